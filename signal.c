/*
 * signal.c: a signal wakes a sleeping process; signal() installs the handlers.
 *
 * alarm(2) asks the kernel to send this process SIGALRM in 2 seconds. Its handler prints
 * "Time out" and asks for the next one. The main loop sleeps 100 seconds, three times, yet the
 * program ends after about 6 seconds: when a handler has run, sleep() returns at once, with the
 * seconds it did not sleep. Ctrl+C sends SIGINT, whose handler prints "CTRL+C pressed" instead
 * of ending the program, and that too cuts the sleep short.
 *
 * Run:    make signal && ./signal
 * Watch:  "wait..", "Time out" and the seconds left, three times in about 6 s. Run it again
 *         and press Ctrl+C during a wait: it prints "CTRL+C pressed" and goes on.
 *
 * The trap in signal(): what it does after the first delivery is not the same everywhere.
 * BSD semantics keep the handler installed. System V semantics reset the signal to its default
 * action just before the handler runs, so the next SIGALRM would end the program ("Alarm
 * clock"). glibc gives the BSD kind by default, but the System V kind when a strict standard
 * is asked for, as here with _POSIX_C_SOURCE. So each handler below installs itself again
 * first thing. Delete those two signal() calls in the handlers, rebuild, and watch the program
 * die at the second alarm. Even with them, a signal arriving in the instant before the handler
 * re-installs itself gets the default action. sigaction.c shows the way out: sigaction() means
 * the same thing on every system.
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

/* The handlers' messages. A handler may call only async-signal-safe functions: write() is
 * one, printf() is not (a signal arriving while main is inside printf could find its buffer
 * half-updated and garble the output, or deadlock on its lock). */
static const char time_out_message[] = "Time out\n";
static const char interrupt_message[] = "CTRL+C pressed\n";

/* Writes all of text to stdout with write() alone, so handlers may use it. write() may write
 * less than asked (rarely, on a terminal or pipe), so go on with the rest. */
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
    int saved_errno = errno;         /* write() may change errno under the feet of main's code */
    signal(signal_number, on_alarm); /* the System V reset: install the handler again */
    write_text(time_out_message, sizeof time_out_message - 1);
    alarm(ALARM_SECONDS);
    errno = saved_errno;
}

static void on_interrupt(int signal_number)
{
    int saved_errno = errno;
    signal(signal_number, on_interrupt);
    write_text(interrupt_message, sizeof interrupt_message - 1);
    errno = saved_errno;
}

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("signal: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, also into a pipe */
    if (atexit(check_output) != 0) {
        fputs("signal: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }

    if (signal(SIGALRM, on_alarm) == SIG_ERR) {
        perror("signal(SIGALRM)");
        return EXIT_FAILURE;
    }
    if (signal(SIGINT, on_interrupt) == SIG_ERR) {
        perror("signal(SIGINT)");
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
