/*
 * fork.c: fork() returns twice.
 *
 * One process calls fork(); two processes return from it. Both go on from the same point in
 * the program, each with its own copy of every variable: the child gets 0 back, the parent
 * gets the child's pid. Each changes its own copies and prints them, and neither sees the
 * other's change.
 *
 * Run:    make fork && ./fork
 * Watch:  the line with pid -1 is printed once, before the fork; every later line is printed
 *         by one of two processes. The child's parent's pid is the parent's own pid, and the
 *         value fork returned in the parent is the child's pid. Both processes print the same
 *         addresses for the variables, yet different values: each address is in its own
 *         process's memory.
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
    GLOBAL_START = 10,
    LOCAL_START = 20,
    CHILD_CHANGE = +1,  /* the child adds 1 to each of its copies */
    PARENT_CHANGE = -1, /* the parent takes 1 from each of its copies */
    NOT_FORKED_YET = -1,
};

int global_value = GLOBAL_START;

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

/* This process's copies of the two variables, and where they are in its memory. */
static void report_values(pid_t fork_result, const char *when, const int *local_value)
{
    report(fork_result, "%s: global_value = %d at %p, local_value = %d at %p", when, global_value,
           (void *)&global_value, *local_value, (const void *)local_value);
}

/* How a reaped child ended: its exit status, or the signal that killed it. */
static void report_child(pid_t child, int status)
{
    if (WIFEXITED(status))
        printf("Child %ld exited with status %d\n", (long)child, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("Child %ld killed by signal %d\n", (long)child, WTERMSIG(status));
}

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("fork: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    /* Send each line out as soon as it ends, even into a pipe or a file, so the output of
     * the two processes appears in the order it is printed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (atexit(check_output) != 0) {
        fputs("fork: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }

    /* A process whose SIGCHLD is set to "ignore" (inherited from whatever started us) has its
     * children reaped by the system at once, so there would be none to wait for: put back
     * the default action. */
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
        perror("signal");
        return EXIT_FAILURE;
    }

    int local_value = LOCAL_START;
    report_values(NOT_FORKED_YET, "before fork", &local_value);

    /* The child gets a copy of everything, the stdio buffer included: text still waiting
     * in it would be printed twice, once by each process. Line buffering has sent it
     * already, but flushing here is what makes that certain. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1) {
        perror("fork");
        return EXIT_FAILURE;
    }

    /* From here on, two processes run this code. */
    if (pid == 0) {
        report(pid, "in the child: fork returned 0");
        global_value += CHILD_CHANGE;
        local_value += CHILD_CHANGE;
        report_values(pid, "child changed its copies", &local_value);
        return EXIT_SUCCESS;
    }

    report(pid, "in the parent: fork returned the child's pid");
    /* Wait for the child: then its change is surely made, and the shell prompt does not come
     * back while the child is still printing (the shell waits only for the parent). */
    int status;
    pid_t reaped;
    do {
        reaped = waitpid(pid, &status, 0);
    } while (reaped == -1 && errno == EINTR);
    if (reaped == -1) {
        perror("waitpid");
        return EXIT_FAILURE;
    }
    report_child(reaped, status);

    global_value += PARENT_CHANGE;
    local_value += PARENT_CHANGE;
    report_values(pid, "parent changed its copies", &local_value);
    return EXIT_SUCCESS;
}
