/*
 * inject: a test tool, not a lesson. Loaded into a program with LD_PRELOAD, it makes fork(),
 * accept(), write(), shutdown() and sigaction() behave as they can under load or on other
 * systems, and holds fork(), pselect() and sigsuspend() up to make a race window wide, as the
 * environment asks:
 *
 *   INJECT_FORK_FAIL_EVERY=N    every Nth fork() fails with EAGAIN, as at the process limit
 *   INJECT_ACCEPT_NONBLOCK=1    every connection accept() returns has O_NONBLOCK set if the
 *                               listening socket has: what FreeBSD and macOS do, not Linux
 *   INJECT_ACCEPT_FAIL=N        the Nth connection accept() takes is closed at once, and
 *                               accept() fails with EPROTO instead, as for a connection that
 *                               broke while it was being accepted
 *   INJECT_ACCEPT_ERRNO=E       accept() fails with errno E (a number: 24 is EMFILE on Linux)
 *   INJECT_ACCEPT_ERRORS=N      N times in a row, without taking a connection, as when the
 *   INJECT_ACCEPT_ERRORS_AFTER=M  process is out of descriptors; from call M + 1 (default 0)
 *   INJECT_WRITE_MAX=N          write() writes at most N bytes at a time, as a signal or a
 *                               full socket buffer can make it do
 *   INJECT_SHUTDOWN_PAUSE_MS=N  shutdown() waits N ms after the real one, before it returns
 *   INJECT_FORK_PAUSE_MS=N      fork() waits N ms in the parent before it returns (when it
 *                               succeeds): a child that ends at once ends meanwhile
 *   INJECT_PSELECT_PAUSE_MS=N   pselect() waits N ms before the real one, under the caller's
 *                               signal mask, not pselect()'s: a signal sent meanwhile comes
 *                               just before the wait
 *   INJECT_SIGSUSPEND_PAUSE_MS=N  the same for the first sigsuspend()
 *   INJECT_TERM_IGNORED=1       sigaction() that gives SIGTERM its default action ignores it
 *                               instead: the process does not die of SIGTERM, as one stuck in
 *                               the kernel would not (only SIGKILL ends it)
 *
 * A pause lasts its whole length, even if a signal handler runs during it.
 *
 *     LD_PRELOAD=tests/inject.so INJECT_FORK_FAIL_EVERY=2 ./server 0
 *
 * Anything not asked for passes through unchanged; the C library's stdio writes without the
 * write() symbol, so only a program's own write() calls are cut short. It finds the real
 * functions with dlsym(RTLD_NEXT), a GNU extension that musl has too. <sys/socket.h> is left out on
 * purpose: with _GNU_SOURCE, glibc declares accept() with a type of its own for the address; the
 * addresses are only passed on here, as plain pointers.
 */
#define _GNU_SOURCE /* for RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/types.h>
#include <time.h>
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

/* Waits the number of milliseconds the setting NAME asks for, if any. nanosleep() returns early
 * with EINTR when a handler runs; it then says how long was left, and the wait goes on. */
static void pause_for(const char *name)
{
    long milliseconds = setting(name);
    if (milliseconds <= 0)
        return;
    int saved_errno = errno;
    struct timespec left = {milliseconds / 1000, milliseconds % 1000 * 1000000L};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        continue;
    errno = saved_errno;
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
    pid_t child = real_fork();
    if (child > 0)
        pause_for("INJECT_FORK_PAUSE_MS");
    return child;
}

int pselect(int count, fd_set *readable, fd_set *writable, fd_set *exceptional,
            const struct timespec *timeout, const sigset_t *mask)
{
    int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                        const sigset_t *);
    *(void **)&real_pselect = real("pselect");
    if (real_pselect == NULL) {
        errno = ENOSYS;
        return -1;
    }
    pause_for("INJECT_PSELECT_PAUSE_MS");
    return real_pselect(count, readable, writable, exceptional, timeout, mask);
}

int sigsuspend(const sigset_t *mask)
{
    static int calls = 0;
    int (*real_sigsuspend)(const sigset_t *);
    *(void **)&real_sigsuspend = real("sigsuspend");
    if (real_sigsuspend == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (++calls == 1)
        pause_for("INJECT_SIGSUSPEND_PAUSE_MS");
    return real_sigsuspend(mask);
}

int accept(int listener, void *address, void *length)
{
    static long connections = 0, calls = 0;
    int (*real_accept)(int, void *, void *);
    *(void **)&real_accept = real("accept");
    if (real_accept == NULL) {
        errno = ENOSYS;
        return -1;
    }
    long first = setting("INJECT_ACCEPT_ERRORS_AFTER") + 1, call = ++calls;
    if (call >= first && call < first + setting("INJECT_ACCEPT_ERRORS")) {
        errno = (int)setting("INJECT_ACCEPT_ERRNO");
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

/* write() and sigaction() run in signal handlers (the server's), so their wrappers call
 * neither getenv() nor dlsym(): both are looked up once, when the library is loaded (a GNU C
 * constructor, which gcc and clang both have). */
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static long write_max, term_ignored;

__attribute__((constructor)) static void set_up_handler_calls(void)
{
    *(void **)&real_write = real("write");
    *(void **)&real_sigaction = real("sigaction");
    write_max = setting("INJECT_WRITE_MAX");
    term_ignored = setting("INJECT_TERM_IGNORED");
}

int sigaction(int signal_number, const struct sigaction *action, struct sigaction *old_action)
{
    if (real_sigaction == NULL)
        set_up_handler_calls(); /* called before the constructor: another library's constructor */
    if (real_sigaction == NULL) {
        errno = ENOSYS;
        return -1;
    }
    struct sigaction ignoring;
    if (term_ignored && signal_number == SIGTERM && action != NULL &&
        !(action->sa_flags & SA_SIGINFO) && action->sa_handler == SIG_DFL) {
        ignoring = *action;
        ignoring.sa_handler = SIG_IGN;
        action = &ignoring;
    }
    return real_sigaction(signal_number, action, old_action);
}

ssize_t write(int descriptor, const void *data, size_t length)
{
    if (real_write == NULL)
        set_up_handler_calls(); /* called before the constructor: another library's constructor */
    if (real_write == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (write_max > 0 && length > (size_t)write_max)
        length = (size_t)write_max;
    return real_write(descriptor, data, length);
}

int shutdown(int connection, int how)
{
    int (*real_shutdown)(int, int);
    *(void **)&real_shutdown = real("shutdown");
    if (real_shutdown == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int result = real_shutdown(connection, how);
    pause_for("INJECT_SHUTDOWN_PAUSE_MS");
    return result;
}
