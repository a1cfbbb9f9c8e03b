/*
 * forkprobe: how many processes this machine can create and reap per second, one at a time:
 * fork(), the child's immediate _exit(), the parent's waitpid(). This is the floor under
 * any server that forks a process per connection: it cannot accept connections faster than
 * it can fork, and `make bench` compares the echo server with this figure.
 *
 *     tests/forkprobe [-s SECONDS]        (default 2)
 *
 * Prints one line of key=value pairs: forks=N seconds=S rate=R (forks per second).
 * The cost of fork() grows with the size of the parent's memory (its page tables are
 * copied), so the probe is kept as small as the server's parent: no buffers of its own, the
 * same C library, nothing else mapped.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    EXIT_USAGE = 2,
    DEFAULT_SECONDS = 2,
    MAX_SECONDS = 600,
    FORKS_BETWEEN_CLOCK_READS = 100,
};

static const double NANOS_PER_SECOND = 1e9;

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / NANOS_PER_SECOND;
}

int main(int argc, char *argv[])
{
    long seconds = DEFAULT_SECONDS;
    int option;
    while ((option = getopt(argc, argv, "s:")) != -1) {
        char *end;
        if (option == 's' && (seconds = strtol(optarg, &end, 10)) > 0 && *end == '\0' &&
            seconds <= MAX_SECONDS)
            continue;
        fprintf(stderr, "usage: %s [-s SECONDS]   (1 to %d, default %d)\n", argv[0], MAX_SECONDS,
                DEFAULT_SECONDS);
        return EXIT_USAGE;
    }
    if (optind != argc) {
        fprintf(stderr, "usage: %s [-s SECONDS]\n", argv[0]);
        return EXIT_USAGE;
    }

    fflush(stdout);
    double start = now_seconds(), elapsed = 0;
    long forks = 0;
    while (elapsed < (double)seconds) {
        for (int i = 0; i < FORKS_BETWEEN_CLOCK_READS; i++) {
            pid_t child = fork();
            if (child == -1) {
                perror("forkprobe: fork");
                return EXIT_FAILURE;
            }
            if (child == 0)
                _exit(
                    EXIT_SUCCESS); /* _exit: no stdio flush, no atexit work, as cheap as it gets */
            int status;
            pid_t reaped;
            do {
                reaped = waitpid(child, &status, 0);
            } while (reaped == -1 && errno == EINTR);
            if (reaped == -1) {
                perror("forkprobe: waitpid");
                return EXIT_FAILURE;
            }
            forks++;
        }
        elapsed = now_seconds() - start;
    }
    printf("forks=%ld seconds=%.3f rate=%.1f\n", forks, elapsed, (double)forks / elapsed);
    return EXIT_SUCCESS;
}
