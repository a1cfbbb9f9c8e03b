/*
 * subreaper: a test tool, not a lesson. Runs a command as its child and adopts, as init
 * would, every descendant orphaned by the command's processes, then reaps all of them.
 *
 *     tests/subreaper ./zombie
 *
 * When a parent exits before its children, the children get a new parent: init (PID 1), or
 * the nearest ancestor that declared itself a "child subreaper" (Linux, prctl). In a container
 * PID 1 may be a program that never reaps, so a test that waits for init to clear an orphaned
 * zombie could wait forever. Under this tool the adoptive parent is known and does reap:
 * every child it reaps is reported on stderr as
 *     subreaper: reaped <pid> (exited with status <n> | killed by signal <n>)
 * and it exits with the command's own exit status once it has no child left.
 * On systems without child subreapers it still runs the command and reaps it, but orphans
 * go to init as usual.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

enum { EXIT_USAGE = 2, EXIT_EXEC_FAILED = 127 };

int main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return EXIT_USAGE;
    }
#ifdef PR_SET_CHILD_SUBREAPER
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == -1) {
        perror("subreaper: prctl(PR_SET_CHILD_SUBREAPER)");
        return EXIT_FAILURE;
    }
#endif
    fflush(stdout);
    pid_t command = fork();
    if (command == -1) {
        perror("subreaper: fork");
        return EXIT_FAILURE;
    }
    if (command == 0) {
        execvp(argv[1], &argv[1]);
        perror("subreaper: execvp");
        _exit(EXIT_EXEC_FAILED);
    }

    int command_status = EXIT_FAILURE;
    for (;;) {
        int status;
        pid_t reaped = wait(&status);
        if (reaped == -1) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD)
                break; /* no child left, adopted or not */
            perror("subreaper: wait");
            return EXIT_FAILURE;
        }
        if (WIFEXITED(status))
            fprintf(stderr, "subreaper: reaped %ld (exited with status %d)\n", (long)reaped,
                    WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            fprintf(stderr, "subreaper: reaped %ld (killed by signal %d)\n", (long)reaped,
                    WTERMSIG(status));
        if (reaped == command)
            command_status = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
    }
    return command_status;
}
