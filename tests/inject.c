/*
 * inject: a test tool, not a lesson. Loaded into a program with LD_PRELOAD, it makes fork()
 * and accept() behave as they can under load or on other systems, as the environment asks:
 *
 *   INJECT_FORK_FAIL_EVERY=N    every Nth fork() fails with EAGAIN, as at the process limit
 *   INJECT_ACCEPT_NONBLOCK=1    every connection accept() returns has O_NONBLOCK set if the
 *                               listening socket has: what FreeBSD and macOS do, not Linux
 *   INJECT_ACCEPT_FAIL=N        the Nth connection accept() takes is closed at once, and
 *                               accept() fails with EPROTO instead, as for a connection that
 *                               broke while it was being accepted
 *
 *     LD_PRELOAD=tests/inject.so INJECT_FORK_FAIL_EVERY=2 ./server 0
 *
 * Anything not asked for passes through unchanged. It finds the real functions with
 * dlsym(RTLD_NEXT), a GNU extension that musl has too. <sys/socket.h> is left out on purpose:
 * with _GNU_SOURCE, glibc declares accept() with a type of its own for the address; the
 * addresses are only passed on here, as plain pointers.
 */
#define _GNU_SOURCE /* for RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* A whole number from the environment, 0 if it is not set. */
static long setting(const char *name)
{
    const char *text = getenv(name);
    return text != NULL ? strtol(text, NULL, 10) : 0;
}

/* The next definition of a function after this library's own. */
static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

pid_t fork(void)
{
    static long calls = 0;
    pid_t (*real_fork)(void);
    *(void **)&real_fork = real("fork"); /* POSIX's way to get a function pointer from dlsym */
    long every = setting("INJECT_FORK_FAIL_EVERY");
    if (real_fork == NULL || (every > 0 && ++calls % every == 0)) {
        errno = EAGAIN;
        return -1;
    }
    return real_fork();
}

int accept(int listener, void *address, void *length)
{
    static long connections = 0;
    int (*real_accept)(int, void *, void *);
    *(void **)&real_accept = real("accept");
    if (real_accept == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int connection = real_accept(listener, address, length);
    if (connection == -1)
        return -1;
    if (++connections == setting("INJECT_ACCEPT_FAIL")) {
        close(connection);
        errno = EPROTO;
        return -1;
    }
    int flags = fcntl(listener, F_GETFL);
    if (setting("INJECT_ACCEPT_NONBLOCK") && flags != -1 && (flags & O_NONBLOCK))
        fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK);
    return connection;
}
