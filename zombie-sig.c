/*
 * zombie-sig.c: a SIGCHLD handler reaps children as they finish, so no zombie stays.
 *
 * The kernel sends SIGCHLD to a parent whenever one of its children ends. Here its handler,
 * installed with sigaction(), reaps with waitpid(-1, &status, WNOHANG) in a loop until no
 * finished child is left. The loop matters: signals do not queue. Three children exit at the
 * same moment (after 2 seconds, with statuses 1, 2 and 3), and the three SIGCHLDs may merge
 * into one delivery; a handler that reaped one child per signal would leave the others as
 * zombies. The parent meanwhile prints "wait.." every 2 seconds, five times, and exits.
 *
 * Run:    make zombie-sig && ./zombie-sig
 * Watch:  three "Child <pid> exited with status <n>" lines around the 2-second mark. In
 *         another terminal, `ps au` at any moment: never a ./zombie-sig process in state Z.
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
#include <time.h>
#include <unistd.h>

enum {
    CHILD_COUNT = 3,   /* child i exits with status i + 1 */
    CHILD_SECONDS = 2, /* all of them after this long */
    TICK_SECONDS = 2,  /* the parent says "wait.." this often */
    TICKS = 5,
    NOT_FORKED_YET = -1,
    DECIMAL_DIGITS_MAX = 20, /* enough for any long */
};

/* Only the handler changes this; main reads it at the end. volatile sig_atomic_t is the one
 * type a handler may safely write for main to read. */
static volatile sig_atomic_t reaped_count = 0;

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

/*
 * The handler may not use printf() (not async-signal-safe: main may be inside printf when
 * the signal comes), so it builds each line in a buffer with the two helpers below and sends
 * it with a single write(): the line comes out whole, never cut into one of main's lines.
 */
typedef struct {
    char text[sizeof "Child  exited with status \n" + 2 * DECIMAL_DIGITS_MAX];
    size_t length;
} line_buffer;

static void append_text(line_buffer *line, const char *text)
{
    while (*text != '\0' && line->length < sizeof line->text)
        line->text[line->length++] = *text++;
}

static void append_number(line_buffer *line, long number)
{
    char digits[DECIMAL_DIGITS_MAX + 1]; /* written backwards, with room for a minus sign */
    size_t count = 0;
    unsigned long magnitude = number < 0 ? 0UL - (unsigned long)number : (unsigned long)number;
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (number < 0)
        digits[count++] = '-';
    while (count > 0 && line->length < sizeof line->text)
        line->text[line->length++] = digits[--count];
}

/* Sends all of the line with write(), going on after a partial write. */
static void write_line(const line_buffer *line)
{
    size_t sent = 0;
    while (sent < line->length) {
        ssize_t written = write(STDOUT_FILENO, line->text + sent, line->length - sent);
        if (written == -1) {
            if (errno == EINTR)
                continue;
            return; /* a handler has nowhere to report the error; drop the line */
        }
        sent += (size_t)written;
    }
}

static void on_child_exit(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* waitpid() and write() may change it under main's feet */
    int status;
    pid_t child;
    /* One SIGCHLD may stand for several children: reap until none is left finished.
     * WNOHANG returns 0 at once when the other children are still running. */
    while ((child = waitpid(-1, &status, WNOHANG)) > 0) {
        line_buffer line = {.length = 0};
        append_text(&line, "Child ");
        append_number(&line, (long)child);
        if (WIFEXITED(status)) {
            append_text(&line, " exited with status ");
            append_number(&line, WEXITSTATUS(status));
        } else {
            append_text(&line, " killed by signal ");
            append_number(&line, WTERMSIG(status));
        }
        append_text(&line, "\n");
        write_line(&line);
        reaped_count++;
    }
    errno = saved_errno;
}

/* Sleeps the whole time even when SIGCHLD handlers interrupt: nanosleep() then fails with
 * EINTR and leaves the time still to sleep in its second argument. */
static int sleep_seconds(time_t seconds)
{
    struct timespec remaining = {.tv_sec = seconds, .tv_nsec = 0};
    while (nanosleep(&remaining, &remaining) == -1) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("zombie-sig: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out at once, also into a pipe */
    if (atexit(check_output) != 0) {
        fputs("zombie-sig: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }

    struct sigaction action = {0};
    action.sa_handler = on_child_exit;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: system calls the handler interrupts start again instead of failing with
     * EINTR. SA_NOCLDSTOP: no SIGCHLD when a child is merely stopped (Ctrl+Z). */
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &action, NULL) == -1) {
        perror("sigaction");
        return EXIT_FAILURE;
    }
    /* The mask of blocked signals is inherited (env --block-signal=CHLD): a blocked SIGCHLD
     * would stay pending and the handler never run. */
    sigset_t child_signal;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    if (sigprocmask(SIG_UNBLOCK, &child_signal, NULL) == -1) {
        perror("sigprocmask");
        return EXIT_FAILURE;
    }

    report(NOT_FORKED_YET, "before fork");
    pid_t last_child = NOT_FORKED_YET;
    for (int i = 0; i < CHILD_COUNT; i++) {
        fflush(stdout); /* or the child would inherit, and print again, what is buffered */
        pid_t pid = fork();
        if (pid == -1) {
            perror("fork");
            return EXIT_FAILURE;
        }
        report(pid, "child %d: exits with status %d in %d s", i + 1, i + 1, CHILD_SECONDS);
        if (pid == 0) {
            if (sleep_seconds(CHILD_SECONDS) == -1) {
                perror("nanosleep");
                exit(EXIT_FAILURE);
            }
            exit(i + 1);
        }
        last_child = pid;
    }

    for (int tick = 0; tick < TICKS; tick++) {
        puts("wait..");
        if (sleep_seconds(TICK_SECONDS) == -1) {
            perror("nanosleep");
            return EXIT_FAILURE;
        }
    }
    report(last_child, "exit after reaping %d of %d children", (int)reaped_count, CHILD_COUNT);
    return EXIT_SUCCESS;
}
