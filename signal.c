/*
 * signal.c: a signal wakes a sleeping process; signal() installs the handlers.
 *
 * alarm(2) asks the kernel to send this process SIGALRM in 2 seconds; its handler prints
 * "Time out" and asks for the next one. Ctrl+C sends SIGINT; its handler prints "CTRL+C
 * pressed" instead of letting the program end. The main loop sleeps 100 seconds, three times,
 * yet the program ends after about 6 seconds: when a handler has run, sleep() returns at once,
 * with the seconds it did not sleep. Each signal handled, alarm or Ctrl+C, uses up one of the
 * three sleeps: the third one ends the program, so three quick presses of Ctrl+C end it.
 *
 * Run:    make signal && ./signal
 * Watch:  "wait..", "Time out" and the seconds left, three times in about 6 s. Run it again
 *         and press Ctrl+C during a wait: "^CCTRL+C pressed" (^C is the terminal's echo), and
 *         that wait ends at once.
 *
 * The trap in signal(): what it installs is not the same everywhere.
 *   - BSD semantics (musl's signal(), always; glibc's by default, without -std=c11 or
 *     _POSIX_C_SOURCE): the handler stays installed, the signal is blocked while its handler
 *     runs, and SA_RESTART is set, so a read() or accept() the handler interrupted starts
 *     again instead of failing with EINTR.
 *   - System V semantics (glibc's signal() with -std=c11 or _POSIX_C_SOURCE, as here): the
 *     signal is reset to its default action just before the handler runs, is not blocked while
 *     it runs, and an interrupted call fails with EINTR.
 * So each handler installs itself again first thing. On glibc, delete those two signal() calls
 * in the handlers, rebuild, and the second alarm ends the program ("Alarm clock"); with musl
 * (make CC=musl-gcc) it goes on. Even with them, on glibc a signal that comes before the
 * handler has installed itself again gets the default action. sigaction.c shows the way out:
 * sigaction() means the same on every system. (sleep() is never restarted, whatever the
 * semantics, so the output is the same with both libraries.)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    ALARM_SECONDS = 2,   /* one SIGALRM every 2 seconds */
    SLEEP_SECONDS = 100, /* far longer than the program will really sleep */
    ROUNDS = 3,
};

static const char program_name[] = "signal"; /* begins every message on stderr */

/* Shared helpers, identical wherever they appear, after main (README.md, "Shared helpers"): */
static void setup_stdout(void);                          /* line by line, checked at exit */
static void die(const char *call);                       /* "name: call: error", exit 1 */
static void write_text(const char *text, size_t length); /* write(), safe in a handler */
static void unblock(int signal_number);                  /* undo an inherited block */

/* A handler may call only async-signal-safe functions: write(), not printf(), which main may
 * be inside of when the signal comes. And it saves errno, which write() may change under the
 * feet of main's code. */
static const char time_out_message[] = "Time out\n";
static const char interrupt_message[] = "CTRL+C pressed\n";

static void on_alarm(int signal_number)
{
    int saved_errno = errno;
    signal(signal_number, on_alarm); /* the System V reset: install the handler again */
    write_text(time_out_message, sizeof time_out_message - 1);
    alarm(ALARM_SECONDS);
    errno = saved_errno;
}

static void on_interrupt(int signal_number)
{
    int saved_errno = errno;
    signal(signal_number, on_interrupt); /* the System V reset: install the handler again */
    write_text(interrupt_message, sizeof interrupt_message - 1);
    errno = saved_errno;
}

int main(void)
{
    setup_stdout();
    if (signal(SIGALRM, on_alarm) == SIG_ERR || signal(SIGINT, on_interrupt) == SIG_ERR)
        die("signal");
    /* Blocked signals wait, pending, and the mask is inherited (env --block-signal=INT). */
    unblock(SIGALRM);
    unblock(SIGINT);
    alarm(ALARM_SECONDS);

    for (int round = 0; round < ROUNDS; round++) {
        puts("wait..");
        /* POSIX lets sleep() be built on SIGALRM, and then the handler's alarm() would change
         * it. On Linux, the BSDs and macOS, sleep() is nanosleep(): the two do not meet. */
        unsigned seconds_left = sleep(SLEEP_SECONDS);
        printf("Woken up with %u of %d s of sleep left\n", seconds_left, SLEEP_SECONDS);
    }
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

static void write_text(const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(STDOUT_FILENO, text, length);
        if (written == -1) {
            if (errno == EINTR)
                continue; /* a handler ran while write() waited (on a full pipe, say) */
            return;       /* a handler has nowhere to report the error: drop the text */
        }
        text += written; /* a signal or a full disk may cut a write short: go on */
        length -= (size_t)written;
    }
}

static void unblock(int signal_number)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, signal_number);
    if (sigprocmask(SIG_UNBLOCK, &signals, NULL) == -1)
        die("sigprocmask");
}
