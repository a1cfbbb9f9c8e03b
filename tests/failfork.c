/*
 * failfork: a test tool, not a lesson. Loaded into a program with LD_PRELOAD, it makes every
 * Nth call of fork() fail with EAGAIN, as when the limit on processes has been reached; the
 * other calls fork as usual. N comes from the environment variable FAILFORK_EVERY (default 2).
 *
 *     LD_PRELOAD=tests/failfork.so FAILFORK_EVERY=2 ./server 0
 *
 * Linux and glibc: it finds the real fork() with dlsym(RTLD_NEXT), a GNU extension.
 */
#define _GNU_SOURCE /* for RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

enum { DEFAULT_EVERY = 2 };

pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    static long calls = 0, every = 0;
    if (real_fork == NULL) {
        /* POSIX's way to turn dlsym()'s object pointer into a function pointer. */
        *(void **)&real_fork = dlsym(RTLD_NEXT, "fork");
        const char *setting = getenv("FAILFORK_EVERY");
        every = setting != NULL ? strtol(setting, NULL, 10) : DEFAULT_EVERY;
        if (every < 1)
            every = DEFAULT_EVERY;
    }
    if (real_fork == NULL || ++calls % every == 0) {
        errno = EAGAIN;
        return -1;
    }
    return real_fork();
}
