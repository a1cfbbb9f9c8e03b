/*
 * zombie.c: a child that has exited but has not been reaped is a zombie.
 *
 * The child exits at once. The parent sleeps for 10 seconds and never calls wait(), so for
 * those 10 seconds the child is dead yet still in the process table: the kernel keeps its
 * entry (pid, exit status, resource usage) until the parent collects it. That leftover entry
 * is the zombie. Then the parent exits without having reaped it either. The orphaned zombie
 * gets a new parent, which reaps it: init (PID 1), or the nearest ancestor that made itself a
 * "subreaper" (Linux; on a desktop, usually the session's `systemd --user`).
 *
 * Run:    make zombie && ./zombie
 * Watch:  within the 10 seconds, in another terminal, run `ps au` or the ps command the
 *         program prints: the child's STAT is Z and its command shows <defunct>. Run it again
 *         once the parent has exited: the zombie is gone.
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
#include <unistd.h>

enum { ZOMBIE_SECONDS = 10, NOT_FORKED_YET = -1 };

static const char program_name[] = "zombie"; /* begins every message on stderr */

/* Shared helpers, identical wherever they appear, after main (README.md, "Shared helpers"): */
static void setup_stdout(void);                                 /* line by line, checked at exit */
static void die(const char *call);                              /* "name: call: error", exit 1 */
static void report(pid_t fork_result, const char *format, ...); /* "This PID: ..." and text */

int main(void)
{
    setup_stdout();
    /* An ignored SIGCHLD (inherited) has the system reap our children itself: take the default. */
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
        die("signal");

    report(NOT_FORKED_YET, "before fork");
    puts("Begin to fork");
    fflush(stdout); /* or the child would inherit, and print again, what is buffered */
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    puts("Fork done"); /* printed twice: once by each process */

    if (pid == 0) {
        report(pid, "in the child: exiting now");
        return EXIT_SUCCESS;
    }

    report(pid, "in the parent: sleep(%d)", ZOMBIE_SECONDS);
    printf("Child %ld stays a zombie for %d s. See it from another terminal with:\n", (long)pid,
           ZOMBIE_SECONDS);
    printf("    ps -o pid,ppid,stat,args -p %ld,%ld\n", (long)getpid(), (long)pid);
    sleep(ZOMBIE_SECONDS); /* no signal handler here to cut it short */

    report(pid, "exit without reaping");
    puts("The orphaned zombie now goes to init or a subreaper, which reaps it");
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
