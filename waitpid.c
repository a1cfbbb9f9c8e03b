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
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    CHILD_SECONDS = 8, /* the child runs this long */
    CHILD_EXIT_STATUS = 11,
    POLL_SECONDS = 3,   /* the parent's other work between two polls */
    LINGER_SECONDS = 5, /* how long the parent stays after reaping */
    NOT_FORKED_YET = -1,
};

static const char program_name[] = "waitpid"; /* begins every message on stderr */

/* Shared helpers, identical wherever they appear, after main (README.md, "Shared helpers"): */
static void setup_stdout(void);                                 /* line by line, checked at exit */
static void die(const char *call);                              /* "name: call: error", exit 1 */
static void report(pid_t fork_result, const char *format, ...); /* "This PID: ..." and text */
static void report_child(pid_t child, int status);              /* "Child <pid> exited ..." */

int main(void)
{
    setup_stdout();
    /* An ignored SIGCHLD (inherited) has the system reap our children itself: take the default. */
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
        die("signal");
    report(NOT_FORKED_YET, "before fork");

    fflush(stdout); /* or the child would inherit, and print again, what is buffered */
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        report(pid, "child: exit(%d) in %d s", CHILD_EXIT_STATUS, CHILD_SECONDS);
        sleep(CHILD_SECONDS); /* no signal handler here to cut it short */
        return CHILD_EXIT_STATUS;
    }

    report(pid, "parent: polls every %d s", POLL_SECONDS);
    int status;
    /* With WNOHANG, waitpid returns at once: 0 while the child runs, its pid once it has
     * finished (and is reaped by this very call), -1 on error. */
    pid_t reaped;
    while ((reaped = waitpid(pid, &status, WNOHANG)) == 0) {
        sleep(POLL_SECONDS); /* the parent's "other work" */
        printf("%ds passed\n", POLL_SECONDS);
    }
    if (reaped == -1)
        die("waitpid");
    report_child(pid, status);

    printf("Child reaped: no zombie left. Exiting in %d s\n", LINGER_SECONDS);
    sleep(LINGER_SECONDS);
    report(pid, "exit");
    return EXIT_SUCCESS;
}

/* ---- Shared helpers, identical wherever they appear: README.md, "Shared helpers" ---- */

static void check_stdout(void);

static void setup_stdout(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, even into a pipe or a file */
    atexit(check_stdout);             /* cannot fail: POSIX guarantees room for 32 functions */
}

/* Run at exit by every process, children included: a failed write must not pass in silence. */
static void check_stdout(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write to standard output\n", program_name);
        _exit(EXIT_FAILURE); /* not exit(): an exit handler must not call it */
    }
}

static void die(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", program_name, call, strerror(errno));
    exit(EXIT_FAILURE);
}

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

static void report_child(pid_t child, int status)
{
    if (WIFEXITED(status))
        printf("Child %ld exited with status %d\n", (long)child, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("Child %ld killed by signal %d\n", (long)child, WTERMSIG(status));
}
