/*
 * zombie.c: a child that has exited but has not been reaped is a zombie.
 *
 * The child exits at once. The parent sleeps for 10 seconds and never calls wait(), so for
 * those 10 seconds the child is dead yet still in the process table: the kernel keeps its
 * entry (pid, exit status, resource usage) until the parent collects it. That leftover entry
 * is the zombie. Then the parent exits, without having reaped its child either.
 *
 * Run:    make zombie && ./zombie
 * Watch:  within the 10 seconds, in another terminal, run `ps au` or the ps command the
 *         program prints: the child's STAT is Z and its command shows <defunct>. Run it again
 *         once the parent has exited: the zombie is gone. Its parent never reaped it; the
 *         orphaned zombie was adopted by init (PID 1) or the nearest "subreaper" process,
 *         whose job is to reap the orphans it adopts.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

enum {
    ZOMBIE_SECONDS = 10, /* how long the parent leaves its child unreaped */
    NOT_FORKED_YET = -1,
};

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
        fputs("zombie: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    /* Each line goes out as soon as it ends, also into a pipe (./zombie | cat). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (atexit(check_output) != 0) {
        fputs("zombie: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }

    /* A process whose SIGCHLD is set to "ignore" gets no zombies: the system reaps its
     * children at once. That setting is inherited from whatever started us, so put back the
     * default, under which an exited child waits for its parent as a zombie. */
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
        perror("signal");
        return EXIT_FAILURE;
    }

    report(NOT_FORKED_YET, "before fork");
    puts("Begin to fork");
    fflush(stdout); /* nothing may wait in the buffer, or both processes would print it */
    pid_t pid = fork();
    if (pid == -1) {
        perror("fork");
        return EXIT_FAILURE;
    }
    puts("Fork done"); /* printed twice: once by each process */

    if (pid == 0) {
        report(pid, "in the child: exiting now");
        return EXIT_SUCCESS;
    }

    report(pid, "in the parent: sleeping without reaping the child");
    printf("Child %ld exits at once and, never reaped, stays a zombie for %d s."
           " To see it, in another terminal run: ps -o pid,ppid,stat,args -p %ld,%ld\n",
           (long)pid, ZOMBIE_SECONDS, (long)getpid(), (long)pid);
    sleep_seconds(ZOMBIE_SECONDS);

    report(pid, "parent exits without reaping; init adopts the zombie and reaps it");
    return EXIT_SUCCESS;
}
