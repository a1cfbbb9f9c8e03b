/*
 * fork.c: fork() returns twice.
 *
 * One process calls fork(); two processes return from it. Both go on from the same point in
 * the program, each with its own copy of every variable: the child gets 0 back, the parent
 * gets the child's pid. Each changes its own copies and prints them, and neither sees the
 * other's change.
 *
 * Run:    make fork && ./fork
 * Watch:  the first two lines come from one process, before the fork; every later line from
 *         one of two. The child's parent's pid is the parent's own pid, and the pid fork
 *         returned in the parent is the child's. Both print the same addresses for the
 *         variables, yet different values: each address is in its own process's memory.
 *         Parent and child run side by side, so their lines may come in another order from
 *         run to run (with ./fork > file, "in the parent" may come after both of the child's
 *         lines). The parent's last two lines come last: it waits for the child first.
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

enum { GLOBAL_START = 10, LOCAL_START = 20, NOT_FORKED_YET = -1 };

static const char program_name[] = "fork"; /* begins every message on stderr */
int global_value = GLOBAL_START;

static void show_values(const char *who, const int *local_value);

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

    int local_value = LOCAL_START;
    report(NOT_FORKED_YET, "before fork");
    show_values("before:", &local_value);

    fflush(stdout); /* or the child would inherit, and print again, what is buffered */
    pid_t pid = fork();
    if (pid == -1)
        die("fork");

    /* From here on, two processes run this code. */
    if (pid == 0) {
        report(pid, "in the child");
        global_value++;
        local_value++;
        show_values("child:", &local_value);
        return EXIT_SUCCESS;
    }

    report(pid, "in the parent");
    /* Wait for the child: then its change is surely made, and the shell's prompt does not
     * come back while the child is still printing (the shell waits only for the parent). */
    int status;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    report_child(pid, status);
    global_value--;
    local_value--;
    show_values("parent:", &local_value);
    return EXIT_SUCCESS;
}

/* This process's copies of the two variables, and where they are in its memory. */
static void show_values(const char *who, const int *local_value)
{
    printf("%-8sglobal_value %d at %p, local_value %d at %p\n", who, global_value,
           (void *)&global_value, *local_value, (const void *)local_value);
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
