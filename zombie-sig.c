/*
 * zombie-sig.c: a SIGCHLD handler reaps children as they finish, so no zombie stays.
 *
 * The kernel sends SIGCHLD to a parent whenever one of its children ends. Here its handler,
 * installed with sigaction(), reaps with waitpid(-1, &status, WNOHANG) in a loop until no
 * finished child is left. The loop matters: signals do not queue. Three children exit at the
 * same moment (after 2 seconds, with statuses 11, 12 and 13), and their three SIGCHLDs may
 * merge into one delivery; a handler that reaped one child per signal would leave the others
 * as zombies. The parent meanwhile prints "wait.." every 2 seconds, five times, and exits.
 *
 * Run:    make zombie-sig && ./zombie-sig
 * Watch:  three "Child <pid> exited with status <n>" lines around the 2-second mark, in any
 *         order: the children race to exit. In another terminal, `ps au`: no ./zombie-sig
 *         process stays in state Z (a child is one only from its end to the handler's waitpid).
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
#include <time.h>
#include <unistd.h>

enum {
    CHILD_COUNT = 3,
    FIRST_STATUS = 11, /* child n exits with status 10 + n: 1 would be read as a failure */
    CHILD_SECONDS = 2, /* all of them after this long */
    TICK_SECONDS = 2,  /* the parent says "wait.." this often */
    TICKS = 5,
    NOT_FORKED_YET = -1,
};

static const char program_name[] = "zombie-sig"; /* begins every message on stderr */

/* Only the handler changes this; main reads it at the end. volatile sig_atomic_t is the type
 * C and POSIX promise a handler may write for main to read. (The handler's ++ reads it too,
 * which POSIX.1-2024 allows; it is never cut in two: SIGCHLD is blocked while its handler
 * runs, so the handler never runs inside itself.) */
static volatile sig_atomic_t reaped_count = 0;

static size_t format_child_line(char *line, pid_t child, int status);
static void sleep_whole(time_t seconds);

/* Shared helpers, identical wherever they appear, after main (README.md, "Shared helpers"): */
static void setup_stdout(void);                                 /* line by line, checked at exit */
static void die(const char *call);                              /* "name: call: error", exit 1 */
static void report(pid_t fork_result, const char *format, ...); /* "This PID: ..." and text */
static void write_text(const char *text, size_t length);        /* write(), safe in a handler */
static void unblock(int signal_number);                         /* undo an inherited block */

static void on_child_exit(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* waitpid() and write() may change it under main's feet */
    int status;
    pid_t child;
    /* One SIGCHLD may stand for several children: reap until none is left finished.
     * WNOHANG returns 0 at once when the other children are still running. */
    while ((child = waitpid(-1, &status, WNOHANG)) > 0) {
        /* Not printf(): see format_child_line(). The buffer fits the longest line. */
        char line[sizeof "Child -2147483648 exited with status 255\n"];
        write_text(line, format_child_line(line, child, status));
        reaped_count++;
    }
    errno = saved_errno;
}

int main(void)
{
    setup_stdout();
    struct sigaction action = {0};
    action.sa_handler = on_child_exit;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: system calls the handler interrupts start again instead of failing with
     * EINTR. SA_NOCLDSTOP: no SIGCHLD when a child is merely stopped (Ctrl+Z). */
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &action, NULL) == -1)
        die("sigaction");
    unblock(SIGCHLD); /* a blocked SIGCHLD (inherited) would keep the handler from running */

    report(NOT_FORKED_YET, "before fork");
    pid_t last_child = NOT_FORKED_YET;
    for (int i = 0; i < CHILD_COUNT; i++) {
        fflush(stdout); /* or the child would inherit, and print again, what is buffered */
        pid_t pid = fork();
        if (pid == -1)
            die("fork");
        report(pid, "child %d: exit(%d) in %d s", i + 1, FIRST_STATUS + i, CHILD_SECONDS);
        if (pid == 0) {
            sleep(CHILD_SECONDS); /* a child has no child, so no SIGCHLD cuts this short */
            exit(FIRST_STATUS + i);
        }
        last_child = pid;
    }

    for (int tick = 0; tick < TICKS; tick++) {
        puts("wait..");
        sleep_whole(TICK_SECONDS);
    }
    report(last_child, "exit, reaped %d of %d", (int)reaped_count, CHILD_COUNT);
    return EXIT_SUCCESS;
}

/* Sleeps the whole time, however many SIGCHLDs come: nanosleep() fails with EINTR when the
 * handler has run, even with SA_RESTART, and leaves the time still to sleep in its second
 * argument. (sleep() would return the seconds left, rounded: the ticks would drift.) */
static void sleep_whole(time_t seconds)
{
    struct timespec left = {.tv_sec = seconds, .tv_nsec = 0};
    while (nanosleep(&left, &left) == -1) {
        if (errno != EINTR)
            die("nanosleep");
    }
}

/* The handler may not call printf() (not async-signal-safe: main may be inside printf when
 * the signal comes), so it spells its numbers out by hand, with append() (the same in
 * server.c), and sends the line with one write(): it comes out whole, never cut into one of
 * main's lines. */
static char *append(char *end, const char *text, int number)
{
    char digits[sizeof "-2147483648"], *first = digits + sizeof digits;
    while (*text != '\0')
        *end++ = *text++;
    do
        *--first = (char)('0' + number % 10); /* pids, statuses, signals: never negative */
    while ((number /= 10) > 0);
    while (first < digits + sizeof digits)
        *end++ = *first++;
    return end;
}

/* "Child <pid> exited with status <n>\n", as report_child() prints in the other programs. */
static size_t format_child_line(char *line, pid_t child, int status)
{
    char *end = append(line, "Child ", (int)child);
    if (WIFEXITED(status))
        end = append(end, " exited with status ", WEXITSTATUS(status));
    else
        end = append(end, " killed by signal ", WTERMSIG(status));
    *end++ = '\n';
    return (size_t)(end - line);
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
