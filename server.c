/*
 * server.c: a TCP echo server that forks a child for each client, and reaps every child.
 *
 * The parent only accepts connections. For each one it forks a child, which sends back exactly
 * the bytes its client sends until the client closes, then exits. A SIGCHLD handler reaps the
 * children as they end, so that none stays a zombie, however many end at once.
 *
 * Run:    make server && ./server          then ./client in other terminals
 *         ./server [-h] [-q] [-c MAX] [PORT [ADDRESS]]      PORT 0 takes any free port
 * Watch:  a "New client" line per client, "Recv" per read, "Child ... exited" when a client
 *         leaves. In another terminal, `ps -o pid,ppid,stat,args -C server` (Linux; on BSD and
 *         macOS `ps -ax -o pid,ppid,stat,args | grep server`) shows one child per connected
 *         client, none left in state Z. Ctrl+C, or kill -TERM (-HUP, -QUIT...), stops the server
 *         and its children, whatever the load or the log (see stop()).
 *
 * The server this one replaces had three faults, each avoided where [1], [2], [3] mark it:
 *   [1] "Accept: Interrupted system call" whenever a client left: SIGCHLD interrupted the
 *       blocked accept(), which failed with EINTR, and the server took that for an error.
 *   [2] Log lines cut in two: its SIGCHLD handler called printf() while main was in printf().
 *   [3] Every echo 1025 bytes long: it sent back its whole buffer, not the bytes it had read.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    ECHO_BUFFER_SIZE = 64 * 1024, /* bytes a child reads at a time */
    HOST_TEXT_SIZE = 64,          /* a numeric IPv6 address with a zone: "fe80::1%eth0" */
    PORT_TEXT_SIZE = sizeof "65535",
    LINE_SIZE = 256, /* the longest log line, and more */
};

/* A connection just accepted, and the client's address as text for the log. */
struct client {
    int connection;
    char ip[HOST_TEXT_SIZE], port[PORT_TEXT_SIZE];
};

static int quiet = 0; /* -q: no log line per connection or per read */

/* The machinery, after the lesson: the log, the children's list, signals, the wait, the stop. */
static int start(int argc, char *argv[]);
static int next_client(int listener, struct client *client);
static void set_up_child(int connection);
static void mask_sigchld(int how);
static void count_child(pid_t child, const struct client *client);
static void forget_child(pid_t child);
static int stop(int listener);
static int log_line(const char *format, ...);
static void log_end_of_child(pid_t child, int status);
static int write_all(int fd, const char *bytes, size_t length);

/* ---- The lesson: accept, fork, the child echoes, the handler reaps ---- */

/* The SIGCHLD handler reaps every child that has ended. The loop is the point: signals do not
 * queue, so one SIGCHLD may stand for several children. WNOHANG makes waitpid() return 0 at
 * once when the children left are still running (and -1 when there are none). */
static void on_child_exit(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* waitpid() and write() may change it under main's feet */
    int status;
    pid_t child;
    while ((child = waitpid(-1, &status, WNOHANG)) > 0) {
        forget_child(child);
        log_end_of_child(child, status); /* [2] with write(), not printf(): see below */
    }
    errno = saved_errno;
}

/* The child's work: sends back what the client sends until it closes its side (read() returns
 * 0). Returns the child's exit status. */
static int echo(const struct client *client)
{
    char buffer[ECHO_BUFFER_SIZE];
    ssize_t received;
    while ((received = read(client->connection, buffer, sizeof buffer)) > 0) {
        if (!quiet && log_line("Recv %ld bytes from IP %s, Port %s\n", (long)received, client->ip,
                               client->port) == -1)
            return EXIT_FAILURE; /* the log is gone: the parent finds it so at its next line */
        /* [3] Exactly the bytes read, all of them, however many write() calls it takes. */
        if (write_all(client->connection, buffer, (size_t)received) == -1)
            break;
    }
    if (received == 0)
        return EXIT_SUCCESS;
    /* The client vanished: "Connection reset by peer", or "Broken pipe" (see SIGPIPE). */
    fprintf(stderr, "server: child %ld: %s: %s\n", (long)getpid(),
            received == -1 ? "read" : "write", strerror(errno));
    return EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
    int listener = start(argc, argv); /* options, signals, the listening socket: see below */
    struct client client;
    while (next_client(listener, &client)) { /* [1] waits and accepts; 0 when told to stop */
        mask_sigchld(SIG_BLOCK); /* no reaping until the new child is counted: see below */
        pid_t child = fork();
        if (child == 0) {
            /* The child serves this one client. Accepting is the parent's job, so it closes
             * its copy of the listening socket; _exit() leaves the parent's clean-ups alone. */
            close(listener);
            set_up_child(client.connection);
            _exit(echo(&client));
        }
        count_child(child, &client); /* logs "New client" (or the failed fork) */
        /* The parent closes its copy of the connection at once. A connection ends when its
         * last descriptor is closed: if the parent kept one, the client would never see the
         * end of its echo, and the parent would run out of descriptors. */
        close(client.connection);
        mask_sigchld(SIG_UNBLOCK);
    }
    return stop(listener);
}

/* ---- The log ---- */

/* Set by the stop handler: once a stop has come, the grace is over (GRACE_SECONDS later, or a
 * second stop signal): the log and the children are waited for no more. See "Stopping". */
static volatile sig_atomic_t hurry = 0;
static volatile sig_atomic_t log_failed = 0;      /* a write to the log failed: stop */
static volatile sig_atomic_t lines_unwritten = 0; /* log lines lost, said on stderr at the end */

/* [2] Each log line leaves in one write(), so lines follow each other but never cut into each
 * other. That holds on a pipe because each is shorter than PIPE_BUF (at least 512 bytes; 4096 on
 * Linux): the system writes such a line whole or not at all, even with the children writing to
 * the same pipe. No stdio buffer holds the log, so none holds a line when the server forks (the
 * child would print it a second time). Returns 0, or -1 if the line could not be written.
 * (Async-signal-safe. The handler and main never count a lost line at the same time: main
 * writes only with SIGCHLD blocked, or before there is any child.) */
static int log_write(const char *line, size_t length)
{
    if (!hurry && write_all(STDOUT_FILENO, line, length) == 0)
        return 0;
    if (!hurry)
        log_failed = 1; /* a real error (EPIPE, ENOSPC), not the end of the grace */
    lines_unwritten++;
    return -1;
}

static int log_line(const char *format, ...)
{
    char line[LINE_SIZE];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (length >= LINE_SIZE)
        length = LINE_SIZE - 1; /* cannot happen: no line is that long */
    if (length < 0) {
        log_failed = 1;
        return -1;
    }
    return log_write(line, (size_t)length);
}

/* Writes all the bytes, going on after a partial write. Returns 0, or -1. A write to a log that
 * is not read blocks; a stop signal then makes it fail with EINTR (the stop handlers have no
 * SA_RESTART), and it is tried again until the grace is over. (The children catch no signal.) */
static int write_all(int fd, const char *bytes, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written == -1 && errno == EINTR && !hurry)
            continue;
        if (written == -1)
            return -1;
        bytes += written;
        length -= (size_t)written;
    }
    return 0;
}

/* [2] The handler's line. vsnprintf() and printf() are not async-signal-safe: a handler that
 * interrupts one of them and calls one itself may find it half-way through a change, or wait
 * for ever on its lock. So the handler spells its numbers out by hand and sends the line with
 * write(), which is async-signal-safe. */
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

static void log_end_of_child(pid_t child, int status)
{
    if (quiet)
        return;
    char line[LINE_SIZE];
    char *end = append(line, "Child ", (int)child);
    if (WIFEXITED(status))
        end = append(end, " exited with status ", WEXITSTATUS(status));
    else
        end = append(end, " killed by signal ", WTERMSIG(status));
    *end++ = '\n';
    log_write(line, (size_t)(end - line));
}

/* ---- The children, counted for the -c cap and the stop ---- */

enum { DEFAULT_MAX_CHILDREN = 256, MAX_CHILDREN_LIMIT = 65536 };
static long max_children = DEFAULT_MAX_CHILDREN; /* -c */

/* The children still running. The SIGCHLD handler removes each one it reaps; main adds each new
 * one with SIGCHLD blocked, so that the two never change the list at the same time. (C and
 * POSIX promise a handler only writes to a volatile sig_atomic_t; that main blocks the signal
 * around every other access is what makes the array safe. Static: the kernel gives memory only
 * to the pages of it that are used.) */
static struct {
    volatile sig_atomic_t count;
    pid_t pids[MAX_CHILDREN_LIMIT];
} children;

/* Blocks or unblocks the signals in a set; a failure ends the server. */
static void mask_signals(int how, const sigset_t *set)
{
    if (sigprocmask(how, set, NULL) == -1) {
        perror("server: sigprocmask");
        exit(EXIT_FAILURE);
    }
}

/* SIGCHLD is blocked from just before fork() until the child is in the list: a child that
 * ended at once would otherwise be reaped before it was counted, then counted for ever. And
 * until its "New client" line is out, so that its "Child ... exited" line comes after. A
 * blocked signal is not lost: it stays pending, and the handler runs as soon as it is let in. */
static void mask_sigchld(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    mask_signals(how, &set);
}

static void count_child(pid_t child, const struct client *client)
{
    if (child == -1) { /* out of processes or memory: turn this client away, serve the others */
        fprintf(stderr, "server: fork: %s; a client turned away\n", strerror(errno));
        return;
    }
    children.pids[children.count] = child;
    children.count++;
    if (!quiet)
        log_line("New client: IP %s, Port %s, child %ld\n", client->ip, client->port, (long)child);
}

static void forget_child(pid_t child)
{
    for (int i = 0; i < children.count; i++) {
        if (children.pids[i] == child) {
            children.pids[i] = children.pids[--children.count];
            return;
        }
    }
}

/* ---- Signals: the server sets what it relies on, whatever it inherited ---- */

/* A process may be started with signals blocked or ignored (a shell script starts background
 * jobs with SIGINT ignored; `env --block-signal=CHLD` blocks one), and a child inherits its
 * parent's mask and ignored signals. So the server sets each signal it relies on:
 *   - SIGCHLD is caught, and blocked only while a new child is counted.
 *   - The stop signals (below) are caught: each signal whose default action would end the
 *     server and leave its children serving, SIGHUP when its terminal closes first, but the
 *     faults (SIGSEGV...), which mean the server itself is broken. They are blocked only from
 *     the last look at the flag to the wait: pselect() and sigsuspend() let them in and wait in
 *     one step, so a stop that comes just before a wait ends it at once. And they are let in
 *     again as soon as the wait returns: on Linux, a pselect() that finds a client ready
 *     returns without running a handler its mask let in, so a stop kept blocked outside the
 *     wait would wait for a moment with no client.
 *   - SIGPIPE is ignored. Its default action kills a process that writes where no one reads
 *     any more, without a word: a child whose client has vanished, or the server when the
 *     reader of its log has gone (./server | head -1). Ignored, it turns into an EPIPE error,
 *     which is reported. (send() with MSG_NOSIGNAL would do it for one call, but not every
 *     system has it; an ignored signal is inherited by every child, so once is enough.)
 * SIGKILL and SIGSTOP cannot be caught: after kill -KILL the children serve on, orphans. */
static const int stop_signals[] = {
    SIGHUP,  SIGINT,  SIGQUIT,   SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
#ifdef SIGXCPU /* XSI, not plain POSIX: BSD and macOS hide them under _POSIX_C_SOURCE alone */
    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, /* CPU time and file size limits, profiling timers */
#endif
};
enum { STOP_SIGNAL_COUNT = sizeof stop_signals / sizeof stop_signals[0] };
enum { GRACE_SECONDS = 3 }; /* how long a stop waits for the log and the children */

static volatile sig_atomic_t stop_signal = 0; /* the first stop signal, once one has come */
static volatile sig_atomic_t stopping = 0;    /* the stop has begun, by a signal or an error */
static sigset_t waiting_mask;                 /* the mask inside pselect and sigsuspend: empty */
static sigset_t stop_set, wake_set;           /* the stop signals; they and SIGCHLD */
static pid_t server_pid;

static int set_action(int signal_number, void (*handler)(int), int flags)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signal_number, &action, NULL);
}

/* The first stop sets the flag and starts the grace: alarm() sends SIGALRM GRACE_SECONDS later,
 * and that second stop signal (or any other, such as a second Ctrl+C) ends the grace. */
static void on_stop(int signal_number)
{
    int saved_errno = errno;
    if (getpid() != server_pid) {
        /* A child just forked, not yet set up (set_up_child): it dies as the default would.
         * The signal stays blocked until the handler returns, then kills it. */
        set_action(signal_number, SIG_DFL, 0);
        raise(signal_number);
    } else if (stopping) {
        hurry = 1;
    } else {
        stopping = 1;
        stop_signal = signal_number;
        alarm(GRACE_SECONDS);
    }
    errno = saved_errno;
}

static void set_up_signals(void)
{
    server_pid = getpid();
    sigemptyset(&waiting_mask);
    sigemptyset(&stop_set);
    for (int i = 0; i < STOP_SIGNAL_COUNT; i++)
        sigaddset(&stop_set, stop_signals[i]);
    wake_set = stop_set;
    sigaddset(&wake_set, SIGCHLD);
    /* [1] SA_RESTART on SIGCHLD: a call it interrupts (a write to the log, say) starts again
     * instead of failing with EINTR. The stop handlers have none, on purpose: a write that
     * waits on a log no one reads fails with EINTR, and write_all() tries again only until the
     * grace is over. Calls that wait for signals (pselect, sigsuspend) are never restarted:
     * there, EINTR means "a handler ran". */
    if (sigprocmask(SIG_SETMASK, &waiting_mask, NULL) == -1 ||
        set_action(SIGCHLD, on_child_exit, SA_RESTART) == -1 ||
        set_action(SIGPIPE, SIG_IGN, 0) == -1) {
        perror("server: sigaction");
        exit(EXIT_FAILURE);
    }
    for (int i = 0; i < STOP_SIGNAL_COUNT; i++) {
        if (set_action(stop_signals[i], on_stop, 0) == -1) {
            perror("server: sigaction");
            exit(EXIT_FAILURE);
        }
    }
}

/* Sets (on = 1) or clears (on = 0) O_NONBLOCK on a descriptor, if it is not so already; -1 on
 * failure. */
static int set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return wanted == flags ? 0 : fcntl(fd, F_SETFL, wanted);
}

/* A new child takes back the default actions of the signals the server catches, and an empty
 * mask, so that Ctrl+C and the stop's SIGTERM end it whatever the server inherited (even while
 * it waits to write to the log); SIGPIPE stays ignored. And it makes its connection blocking:
 * on BSD and macOS, accept() passes on the listening socket's O_NONBLOCK, and read() would fail
 * at once with EAGAIN. (The child does this, not the parent: the parent accepts one client at a
 * time, the children run beside it.) */
static void set_up_child(int connection)
{
    int error = set_action(SIGCHLD, SIG_DFL, 0) == -1;
    for (int i = 0; i < STOP_SIGNAL_COUNT; i++)
        error = error || set_action(stop_signals[i], SIG_DFL, 0) == -1;
    if (error || sigprocmask(SIG_SETMASK, &waiting_mask, NULL) == -1 ||
        set_nonblocking(connection, 0) == -1) {
        fprintf(stderr, "server: child %ld: setting up: %s\n", (long)getpid(), strerror(errno));
        _exit(EXIT_FAILURE);
    }
}

/* ---- Waiting for the next client ---- */

enum { ACCEPT_RETRY_MS = 100, NANOS_PER_MILLI = 1000000 };
static int failed = 0; /* an error the server cannot go on after, already reported */

static int must_stop(void)
{
    return stopping || log_failed || failed;
}

/* The one wait for a client, a handler or a time-out (NULL: none): until the listening socket
 * is readable (-1: none), a handler has run (a child ended, a stop came) or the time is over.
 * The stop signals are blocked from the last look at the flag until pselect(), which lets them
 * in, and let in again as soon as it returns: a stop that came meanwhile runs its handler
 * there, even though a client was ready (see set_up_signals). Returns -1 on an error. */
static int wait_for(int listener, const struct timespec *timeout)
{
    fd_set readable;
    FD_ZERO(&readable);
    if (listener != -1)
        FD_SET(listener, &readable); /* below FD_SETSIZE: start() made sure */
    mask_signals(SIG_BLOCK, &stop_set);
    int result =
        must_stop() ? 0 : pselect(listener + 1, &readable, NULL, NULL, timeout, &waiting_mask);
    int error = errno;
    mask_signals(SIG_UNBLOCK, &stop_set);
    errno = error;
    return result == -1 && error != EINTR ? -1 : 0;
}

/* The -c cap: while limit children or more run, waits until one ends; new clients wait in the
 * kernel's listen queue meanwhile. sigsuspend() lets SIGCHLD and the stops in and waits in one
 * step: a child that ends just before cannot be missed. Returns 0 if the server must stop. */
static int wait_for_room(long limit)
{
    if (children.count >= limit) {
        mask_signals(SIG_BLOCK, &wake_set);
        while (children.count >= limit && !must_stop())
            sigsuspend(&waiting_mask);
        mask_signals(SIG_UNBLOCK, &wake_set);
    }
    return !must_stop();
}

/* An accept() error that belongs to the one connection being accepted (Linux's accept(2) lists
 * them): the server goes on after it. */
static int is_connection_error(int error)
{
#ifdef EHOSTDOWN
    if (error == EHOSTDOWN) /* not in POSIX */
        return 1;
#endif
#ifdef ENONET
    if (error == ENONET) /* Linux only */
        return 1;
#endif
    return error == EPROTO || error == ENOPROTOOPT || error == EHOSTUNREACH ||
           error == EOPNOTSUPP || error == ENETUNREACH || error == ENETDOWN;
}

/* Out of descriptors or memory for now: it passes when a child ends, or another process frees
 * some. The server says so once, tries again every ACCEPT_RETRY_MS meanwhile (and at once when a
 * child ends), and says when it works again. */
static int is_shortage(int error)
{
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

/* The numeric address and port of a socket address, as text. */
static void describe(const struct sockaddr *address, socklen_t length, char ip[HOST_TEXT_SIZE],
                     char port[PORT_TEXT_SIZE])
{
    if (getnameinfo(address, length, ip, HOST_TEXT_SIZE, port, PORT_TEXT_SIZE,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        strcpy(ip, "?");
        strcpy(port, "?");
    }
}

/* Waits for the next client and accepts it: 1, or 0 once the server must stop. */
static int next_client(int listener, struct client *client)
{
    static long shortages = 0; /* accept() failures in a row for want of descriptors or memory */
    static const struct timespec retry = {0, ACCEPT_RETRY_MS * NANOS_PER_MILLI};
    while (wait_for_room(max_children)) {
        if (wait_for(listener, NULL) == -1) {
            perror("server: pselect");
            failed = 1;
            break;
        }
        /* [1] EINTR: a handler ran (a child ended, or a stop came). Unless it was a stop, try
         * accept() all the same: a client may be waiting, and if none is, it says EAGAIN. */
        if (must_stop())
            break;
        struct sockaddr_storage address;
        socklen_t length = sizeof address;
        client->connection = accept(listener, (struct sockaddr *)&address, &length);
        if (client->connection != -1) {
            if (shortages > 0)
                fprintf(stderr, "server: accept works again, after %ld failures\n", shortages);
            shortages = 0;
            if (!quiet) /* the address as text is for the log only: it costs the parent */
                describe((struct sockaddr *)&address, length, client->ip, client->port);
            return 1;
        }
        int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK || error == ECONNABORTED)
            continue; /* the client gave up before it was accepted: nothing to report */
        if (is_shortage(error)) {
            if (shortages++ == 0)
                fprintf(stderr, "server: accept: %s; trying again every %d ms\n", strerror(error),
                        ACCEPT_RETRY_MS);
            if (wait_for(-1, &retry) == -1) {
                perror("server: pselect");
                failed = 1;
            }
            continue;
        }
        fprintf(stderr, "server: accept: %s\n", strerror(error));
        if (!is_connection_error(error))
            failed = 1;
    }
    return 0;
}

/* ---- Stopping ---- */

/* Closes the listening socket, ends the children still serving with SIGTERM, reaps them all,
 * and returns the exit status: 0 after a stop signal, 1 after an error or a lost log line.
 *
 * Ctrl+C in the server's terminal sends SIGINT to the whole foreground process group: to the
 * server and to every child at once. The children, with SIGINT's default action, die of it
 * ("killed by signal 2") before the server's SIGTERM can reach them. `kill -TERM <pid>` reaches
 * the server alone, and it ends its children itself ("killed by signal 15"). A stopped child
 * (kill -STOP) keeps a SIGTERM pending until it runs again: SIGCONT makes it run, and die.
 *
 * A stop waits for the log only GRACE_SECONDS: a log no one reads (./server | sleep 60, a
 * terminal after Ctrl+S) would hold it for ever. After that (or at a second stop signal), log
 * lines are counted instead of written, the children left get SIGKILL, and stderr says how many
 * lines were lost. Serving, though, waits for a slow log: the log is the server's record.
 *
 * When its log cannot be written (its reader has gone, its disk is full), the server stops the
 * same way and says so on stderr. It could serve on without a log, but then no one would see
 * it; and the Unix way is for a program whose reader has gone to end (SIGPIPE's default would
 * have ended it, but silently, and leaving its children behind). */
static int stop(int listener)
{
    if (!stopping) { /* an error, not a signal: the grace starts now */
        stopping = 1;
        alarm(GRACE_SECONDS);
    }
    close(listener);         /* no new client from now on; the port is free once the children end */
    mask_sigchld(SIG_BLOCK); /* the list must not change while it is walked */
    int count = children.count;
    log_line("Stopping: ending %d %s\n", count, count == 1 ? "child" : "children");
    for (int i = 0; i < count; i++) {
        kill(children.pids[i], SIGTERM);
        kill(children.pids[i], SIGCONT);
    }
    /* SIGCHLD's handler reaps them, as while serving. The wait is wait_for_room()'s: were the
     * stops let in between the look at the flag and the wait, an end of the grace that came
     * just then would be missed, and no SIGKILL sent. */
    mask_signals(SIG_BLOCK, &wake_set);
    int killed = 0;
    while (children.count > 0) {
        if (hurry && !killed) { /* the grace is over: no more waiting */
            killed = 1;
            for (int i = 0; i < children.count; i++)
                kill(children.pids[i], SIGKILL);
        }
        sigsuspend(&waiting_mask);
    }
    mask_signals(SIG_UNBLOCK, &wake_set);
    alarm(GRACE_SECONDS); /* stderr may be a pipe no one reads, too: the same grace for it */
    if (log_failed)
        fputs("server: cannot write to standard output\n", stderr);
    if (lines_unwritten > 0)
        fprintf(stderr, "server: %d log %s could not be written\n", (int)lines_unwritten,
                lines_unwritten == 1 ? "line" : "lines");
    return stop_signal != 0 && !log_failed && !failed && lines_unwritten == 0 ? EXIT_SUCCESS
                                                                              : EXIT_FAILURE;
}

/* ---- Starting: options, signals, the listening socket ---- */

enum { EXIT_USAGE = 2, LISTEN_BACKLOG = 128, MAX_CHILDREN_DIGITS = 5 };
static const char default_port[] = "8080";
/* Loopback: only programs on this machine can connect. Serving the network is a choice to make
 * on purpose (0.0.0.0 or ::), not a default: an echo server is a toy, not a service. */
static const char default_address[] = "127.0.0.1";

static int is_port(const char *text);

static void usage(FILE *stream, const char *program, int status)
{
    fprintf(stream, "usage: %s [-h] [-q] [-c MAX_CHILDREN] [PORT [ADDRESS]]\n", program);
    exit(status);
}

static void bad_argument(const char *program, const char *what, const char *rule,
                         const char *argument)
{
    fprintf(stderr, "server: %s must be %s, not '%s'\n", what, rule, argument);
    usage(stderr, program, EXIT_USAGE);
}

/* -c as typed: digits only, no leading zero, from 1 to MAX_CHILDREN_LIMIT; -1 if not. */
static long parse_max_children(const char *text)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > MAX_CHILDREN_DIGITS || text[digits] != '\0' || text[0] == '0')
        return -1;
    long value = strtol(text, NULL, 10);
    return value <= MAX_CHILDREN_LIMIT ? value : -1;
}

/* The standard descriptors must be open: with stdout closed, the listening socket would be
 * descriptor 1, and the log would go to it. A closed one is opened on /dev/null. */
static void open_standard_descriptors(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
        if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) != fd)
            exit(EXIT_FAILURE); /* nowhere to say it */
}

/* Reads the options, sets up the signals, opens the listening socket and logs the ready line.
 * Returns the listening socket; exits if the server cannot start. */
static int start(int argc, char *argv[])
{
    int option;
    while ((option = getopt(argc, argv, "hqc:")) != -1) {
        if (option == 'h')
            usage(stdout, argv[0], EXIT_SUCCESS);
        else if (option == 'q')
            quiet = 1;
        else if (option != 'c')
            usage(stderr, argv[0], EXIT_USAGE); /* getopt() has said what was wrong */
        else if ((max_children = parse_max_children(optarg)) == -1)
            bad_argument(argv[0], "-c", "a number from 1 to 65536", optarg);
    }
    if (argc - optind > 2)
        bad_argument(argv[0], "the arguments", "at most PORT and ADDRESS", argv[optind + 2]);
    const char *port = optind < argc ? argv[optind] : default_port;
    const char *address = optind + 1 < argc ? argv[optind + 1] : default_address;
    if (!is_port(port))
        bad_argument(argv[0], "PORT", "a number from 0 to 65535", port);
    open_standard_descriptors();
    set_up_signals();

    struct addrinfo hints = {0}, *found;
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the address is */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int error = getaddrinfo(address, port, &hints, &found);
    if (error != 0) {
        fprintf(stderr, "server: cannot resolve address %s port %s: %s\n", address, port,
                gai_strerror(error));
        exit(EXIT_FAILURE);
    }
    int listener = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    /* select() and pselect() take descriptors below FD_SETSIZE (1024 on Linux) only; a larger
     * one would write past the end of the fd_set. Many descriptors inherited open make that
     * happen: better to refuse to start than to wait with poll(), which POSIX has no pselect()
     * form of (its ppoll() is not in every system). */
    if (listener >= FD_SETSIZE) {
        fprintf(stderr,
                "server: the listening socket is descriptor %d, and pselect() takes only those "
                "below %d: too many descriptors open\n",
                listener, FD_SETSIZE);
        exit(EXIT_FAILURE);
    }
    /* SO_REUSEADDR: a restarted server can bind the port at once, even while connections of
     * the previous one linger in TIME_WAIT. Non-blocking: accept() says EAGAIN instead of
     * waiting if the client that pselect() announced has given up meanwhile. */
    int on = 1;
    struct sockaddr_storage bound;
    socklen_t length = sizeof bound;
    char ip[HOST_TEXT_SIZE], bound_port[PORT_TEXT_SIZE];
    if (listener == -1 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
        bind(listener, found->ai_addr, found->ai_addrlen) == -1 ||
        listen(listener, LISTEN_BACKLOG) == -1 || set_nonblocking(listener, 1) == -1 ||
        getsockname(listener, (struct sockaddr *)&bound, &length) == -1) {
        fprintf(stderr, "server: cannot listen on address %s port %s: %s\n", address, port,
                strerror(errno));
        exit(EXIT_FAILURE);
    }
    freeaddrinfo(found);
    describe((struct sockaddr *)&bound, length, ip, bound_port);
    log_line("Waiting for connections on %s port %s\n", ip, bound_port);
    return listener;
}

/* PORT as typed: 1 to 5 digits, no sign, space or leading zero, at most 65535 (strtol() alone
 * would take " 80", "+80" and "010"). */
static int is_port(const char *text)
{
    size_t digits = strspn(text, "0123456789");
    return digits > 0 && digits <= 5 && text[digits] == '\0' && (text[0] != '0' || digits == 1) &&
           strtol(text, NULL, 10) <= 65535;
}
