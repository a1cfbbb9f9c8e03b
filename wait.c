/*
 * wait.c: wait() reaps a finished child, blocking until one has finished.
 *
 * Two children: the first exits with status 11 after 5 seconds, the second with status 22
 * after 10 seconds. The parent calls wait() twice. The first call blocks about 5 seconds and
 * returns the first child; the second blocks only about 5 seconds more, because the second
 * child has been running all along. Each reaped child leaves the process table at once, so
 * the parent then sleeps 5 seconds with no zombie to be seen, and exits: about 15 s in all.
 *
 * Run:    make wait && ./wait
 * Watch:  in another terminal, `ps au` a few times: three ./wait processes, then two, then
 *         one, and never one in state Z.
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

enum { CHILD_COUNT = 2, LINGER_SECONDS = 5, NOT_FORKED_YET = -1 };

/* What each child does: sleep, then exit with a status the parent will read. */
static const struct {
    unsigned seconds;
    int exit_status;
} child_plan[CHILD_COUNT] = {{5, 11}, {10, 22}};

static const char program_name[] = "wait"; /* begins every message on stderr */

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

    pid_t last_child = NOT_FORKED_YET;
    for (int i = 0; i < CHILD_COUNT; i++) {
        fflush(stdout); /* or the child would inherit, and print again, what is buffered */
        pid_t pid = fork();
        if (pid == -1)
            die("fork");
        report(pid, "child %d: exit(%d) in %u s", i + 1, child_plan[i].exit_status,
               child_plan[i].seconds);
        if (pid == 0) {
            sleep(child_plan[i].seconds); /* no signal handler here to cut it short */
            exit(child_plan[i].exit_status);
        }
        last_child = pid;
    }

    for (int i = 0; i < CHILD_COUNT; i++) {
        puts("waiting");
        int status;
        pid_t child = wait(&status); /* blocks until some child has ended, then reaps it */
        if (child == -1)
            die("wait");
        report_child(child, status);
    }

    printf("Both children reaped: no zombie left. Exiting in %d s\n", LINGER_SECONDS);
    sleep(LINGER_SECONDS);
    report(last_child, "exit");
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
