/*
 * sigaction.c: the same program as signal.c, with handlers installed by sigaction().
 *
 * A SIGALRM every 2 seconds prints "Time out"; Ctrl+C (SIGINT) prints "CTRL+C pressed"; each
 * cuts one of three 100-second sleeps short, and the third ends the program: after about 6
 * seconds left alone, at once after three quick presses of Ctrl+C.
 *
 * Run:    make sigaction && ./sigaction
 * Watch:  the same output as ./signal, with or without Ctrl+C.
 *
 * What sigaction() gives that signal() does not:
 *   - one meaning on every POSIX system: the handler stays installed after each delivery
 *     (unless SA_RESETHAND asks for the old System V behaviour), so the handlers need not,
 *     and do not, install themselves again, and there is no moment when the signal would
 *     get its default action;
 *   - sa_mask: signals blocked while the handler runs (the signal being handled is blocked
 *     too, unless SA_NODEFER), so one handler does not interrupt the other halfway;
 *   - sa_flags: SA_RESTART makes most system calls a handler interrupted start again instead
 *     of failing with EINTR: here, a printf() whose write() waits, its pipe full because the
 *     reader has not read yet, when a signal comes. Without it, that line would be lost. The
 *     sleeps end all the same: sleep() is never restarted, whatever the flags.
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

static const char program_name[] = "sigaction"; /* begins every message on stderr */

/* Shared helpers, identical wherever they appear, after main (README.md, "Shared helpers"): */
static void setup_stdout(void);                          /* line by line, checked at exit */
static void die(const char *call);                       /* "name: call: error", exit 1 */
static void write_text(const char *text, size_t length); /* write(), safe in a handler */
static void unblock(int signal_number);                  /* undo an inherited block */

/* Handlers may call only async-signal-safe functions (write(), not printf()), and save errno. */
static const char time_out_message[] = "Time out\n";
static const char interrupt_message[] = "CTRL+C pressed\n";

static void on_alarm(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
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
static void install(int signal_number, void (*handler)(int), int other_signal)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, other_signal);
    action.sa_flags = SA_RESTART; /* and no SA_RESETHAND: see the comment at the top */
    if (sigaction(signal_number, &action, NULL) == -1)
        die("sigaction");
}

int main(void)
{
    setup_stdout();
    install(SIGALRM, on_alarm, SIGINT);
    install(SIGINT, on_interrupt, SIGALRM);
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
