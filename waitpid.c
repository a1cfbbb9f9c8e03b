/*
 * waitpid.c: waitpid() with WNOHANG asks "has this child finished?" without blocking.
 *
 * The child exits with status 11 after 8 seconds. The parent does not block in wait():
 * it polls with waitpid(pid, &status, WNOHANG), which returns 0 at once while the child is
 * still running. Between polls the parent is free to do other work; here it sleeps 3 seconds
 * and says so. The polls at 0, 3 and 6 seconds find it running; the one at 9 seconds finds it
 * finished and reaps it. The parent then stays 5 seconds more, with no zombie, and exits.
 *
 * Run:    make waitpid && ./waitpid
 * Watch:  "3s passed" three times, then the status. In another terminal, `ps au`: two
 *         ./waitpid processes for about 9 s, then only the parent; never one in state Z for
 *         more than the moment between the child's exit and the next poll.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    CHILD_SECONDS = 8, /* the child runs this long */
    CHILD_EXIT_STATUS = 11,
    POLL_SECONDS = 3,   /* the parent's other work between two polls */
    LINGER_SECONDS = 5, /* how long the parent stays after reaping */
    NOT_FORKED_YET = -1,
};

static void report(pid_t fork_result, const char *format, ...)
{
    printf("This PID: %ld, parent's pid: %ld, pid %ld, ", (long)getpid(), (long)getppid(),
           (long)fork_result);
    va_list arguments;
    va_start(arguments, format);
    vprintf(format, arguments);
    va_end(arguments);
    putchar('\n');
}

/* How a reaped child ended: its exit status, or the signal that killed it. */
static void report_child(pid_t child, int status)
{
    if (WIFEXITED(status))
        printf("Child %ld exited with status %d\n", (long)child, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("Child %ld killed by signal %d\n", (long)child, WTERMSIG(status));
}

/* sleep() returns early, with the seconds left, when a signal handler has run. */
static void sleep_seconds(unsigned seconds)
{
    while (seconds > 0)
        seconds = sleep(seconds);
}

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("waitpid: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, also into a pipe */
    if (atexit(check_output) != 0) {
        fputs("waitpid: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }
    /* A process whose SIGCHLD is set to "ignore" (inherited from whatever started us) has its
     * children reaped by the system at once, so there would be none to wait for: put back
     * the default action. */
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
        perror("signal");
        return EXIT_FAILURE;
    }
    report(NOT_FORKED_YET, "before fork");

    fflush(stdout); /* or the child would inherit, and print again, what is buffered */
    pid_t pid = fork();
    if (pid == -1) {
        perror("fork");
        return EXIT_FAILURE;
    }
    if (pid == 0) {
        report(pid, "in the child: exits with status %d in %d s", CHILD_EXIT_STATUS, CHILD_SECONDS);
        sleep_seconds(CHILD_SECONDS);
        return CHILD_EXIT_STATUS;
    }

    report(pid, "in the parent: polling with waitpid(WNOHANG) every %d s", POLL_SECONDS);
    int status;
    for (;;) {
        /* With WNOHANG, waitpid returns at once: 0 while the child runs, its pid once it has
         * finished (and is reaped by this very call), -1 on error. */
        pid_t reaped = waitpid(pid, &status, WNOHANG);
        if (reaped == -1) {
            if (errno == EINTR)
                continue;
            perror("waitpid");
            return EXIT_FAILURE;
        }
        if (reaped == pid)
            break;
        sleep_seconds(POLL_SECONDS); /* the parent's "other work" */
        printf("%ds passed\n", POLL_SECONDS);
    }
    report_child(pid, status);

    printf("Child reaped: no zombie left. Exiting in %d s\n", LINGER_SECONDS);
    sleep_seconds(LINGER_SECONDS);
    report(pid, "exit");
    return EXIT_SUCCESS;
}
