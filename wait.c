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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    CHILD_COUNT = 2,
    LINGER_SECONDS = 5, /* how long the parent stays after reaping both children */
    NOT_FORKED_YET = -1,
};

/* What each child does: sleep, then exit with a status the parent will read. */
static const struct {
    unsigned seconds;
    int exit_status;
} child_plan[CHILD_COUNT] = {{5, 11}, {10, 22}};

/* Every line about a process says who prints it: its pid, its parent's pid, and what fork
 * returned to it (-1 before the fork), then the text made from format like printf's. */
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
        fputs("wait: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, also into a pipe */
    if (atexit(check_output) != 0) {
        fputs("wait: atexit failed\n", stderr);
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

    pid_t last_child = NOT_FORKED_YET;
    for (int i = 0; i < CHILD_COUNT; i++) {
        fflush(stdout); /* or the child would inherit, and print again, what is buffered */
        pid_t pid = fork();
        if (pid == -1) {
            perror("fork");
            return EXIT_FAILURE;
        }
        report(pid, "child %d: exits with status %d in %u s", i + 1, child_plan[i].exit_status,
               child_plan[i].seconds);
        if (pid == 0) {
            sleep_seconds(child_plan[i].seconds);
            exit(child_plan[i].exit_status);
        }
        last_child = pid;
    }

    for (int reaped_count = 0; reaped_count < CHILD_COUNT; reaped_count++) {
        puts("waiting");
        int status;
        pid_t child;
        /* wait() blocks until some child has finished; a signal handler running meanwhile
         * would make it fail with EINTR, which only means "call it again". */
        do {
            child = wait(&status);
        } while (child == -1 && errno == EINTR);
        if (child == -1) {
            perror("wait");
            return EXIT_FAILURE;
        }
        report_child(child, status);
    }

    printf("Both children reaped: no zombie left. Exiting in %d s\n", LINGER_SECONDS);
    sleep_seconds(LINGER_SECONDS);
    report(last_child, "exit");
    return EXIT_SUCCESS;
}
