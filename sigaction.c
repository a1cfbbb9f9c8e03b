/*
 * sigaction.c: the same program as signal.c, with handlers installed by sigaction().
 *
 * A SIGALRM every 2 seconds prints "Time out"; Ctrl+C (SIGINT) prints "CTRL+C pressed"; each
 * cuts a 100-second sleep short, so three rounds take about 6 seconds.
 *
 * Run:    make sigaction && ./sigaction
 * Watch:  the same output as ./signal. Press Ctrl+C during a wait, as often as you like.
 *
 * What sigaction() gives that signal() does not:
 *   - one meaning on every POSIX system: the handler stays installed after each delivery
 *     (unless SA_RESETHAND asks for the old System V behaviour), so the handlers need not,
 *     and do not, install themselves again, and there is no moment when the signal would
 *     get its default action;
 *   - sa_mask: signals blocked while the handler runs (the signal being handled is blocked
 *     too, unless SA_NODEFER), so one handler does not interrupt the other halfway;
 *   - sa_flags: SA_RESTART makes most system calls a handler interrupted start again instead
 *     of failing with EINTR. It is left off here: it would change nothing, since sleep() is
 *     never restarted, whatever the flags.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum {
    ALARM_SECONDS = 2,   /* one SIGALRM every 2 seconds */
    SLEEP_SECONDS = 100, /* far longer than the program will really sleep */
    ROUNDS = 3,
};

/* Handlers may call only async-signal-safe functions: write(), not printf(). */
static const char time_out_message[] = "Time out\n";
static const char interrupt_message[] = "CTRL+C pressed\n";

/* Writes all of text to stdout with write() alone, so handlers may use it. write() may write
 * less than asked, so go on with the rest. */
static void write_text(const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(STDOUT_FILENO, text, length);
        if (written == -1) {
            if (errno == EINTR)
                continue;
            return; /* a handler has nowhere to report the error; drop the message */
        }
        text += written;
        length -= (size_t)written;
    }
}

static void on_alarm(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* write() may change errno under the feet of main's code */
    write_text(time_out_message, sizeof time_out_message - 1);
    alarm(ALARM_SECONDS);
    errno = saved_errno;
}

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
    write_text(interrupt_message, sizeof interrupt_message - 1);
    errno = saved_errno;
}

/* Installs handler for signal_number, with other_signal blocked while it runs. */
static int install(int signal_number, void (*handler)(int), int other_signal)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, other_signal);
    action.sa_flags = 0; /* no SA_RESTART, no SA_RESETHAND: see the comment at the top */
    return sigaction(signal_number, &action, NULL);
}

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("sigaction: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, also into a pipe */
    if (atexit(check_output) != 0) {
        fputs("sigaction: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }

    if (install(SIGALRM, on_alarm, SIGINT) == -1) {
        perror("sigaction(SIGALRM)");
        return EXIT_FAILURE;
    }
    if (install(SIGINT, on_interrupt, SIGALRM) == -1) {
        perror("sigaction(SIGINT)");
        return EXIT_FAILURE;
    }
    /* The mask of blocked signals is inherited too (env --block-signal=INT): a blocked
     * signal would stay pending and its handler never run. Unblock the two used here. */
    sigset_t used;
    sigemptyset(&used);
    sigaddset(&used, SIGALRM);
    sigaddset(&used, SIGINT);
    if (sigprocmask(SIG_UNBLOCK, &used, NULL) == -1) {
        perror("sigprocmask");
        return EXIT_FAILURE;
    }
    alarm(ALARM_SECONDS);

    for (int round = 0; round < ROUNDS; round++) {
        puts("wait..");
        unsigned seconds_left = sleep(SLEEP_SECONDS);
        printf("Woken up with %u of %d s of sleep left\n", seconds_left, SLEEP_SECONDS);
    }
    return EXIT_SUCCESS;
}
