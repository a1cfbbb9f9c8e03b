/*
 * server.c: a TCP echo server that forks a child for each client, and reaps every child.
 *
 * The parent only accepts connections. For each one it forks a child, which sends back exactly
 * the bytes its client sends until the client closes, then exits. A SIGCHLD handler reaps the
 * children as they end, so that none stays a zombie, however many end at once.
 *
 * Run:    make server && ./server          then ./client in other terminals
 *         ./server [-q] [-c MAX] [PORT [ADDRESS]]      PORT 0 takes any free port
 * Watch:  a "New client" line per client, "Recv" per read, "Child ... exited" when a client
 *         leaves. In another terminal, `ps -o pid,ppid,stat,args -C server` (Linux; on BSD and
 *         macOS `ps -ax -o pid,ppid,stat,args | grep server`) shows one child per connected
 *         client, none left in state Z. Ctrl+C stops the server and its children (see stop()).
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
    static char buffer[ECHO_BUFFER_SIZE]; /* static: too big for a child's stack */
    ssize_t received;
    while ((received = read(client->connection, buffer, sizeof buffer)) > 0) {
        if (!quiet && log_line("Recv %ld bytes from IP %s, Port %s\n", (long)received, client->ip,
                               client->port) == -1)
            return EXIT_FAILURE; /* the log is gone: the parent sees this exit, and stops */
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

static volatile sig_atomic_t log_failed = 0; /* a log line could not be written: stop */

/* [2] Each log line leaves in one write(), so lines follow each other but never cut into each
 * other. No stdio buffer holds the log, so none holds a line when the server forks (the child
 * would print it a second time). Returns 0, or -1 if the log cannot be written. */
static int log_line(const char *format, ...)
{
    char line[LINE_SIZE];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (length >= LINE_SIZE)
        length = LINE_SIZE - 1; /* cannot happen: no line is that long */
    if (length < 0 || write_all(STDOUT_FILENO, line, (size_t)length) == -1) {
        log_failed = 1;
        return -1;
    }
    return 0;
}

/* Writes all the bytes, going on after a partial write. Returns 0, or -1. (No EINTR here: the
 * parent's handlers all have SA_RESTART, and a child catches no signal.) */
static int write_all(int fd, const char *bytes, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
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
    if (write_all(STDOUT_FILENO, line, (size_t)(end - line)) == -1)
        log_failed = 1;
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

/* SIGCHLD is blocked from just before fork() until the child is in the list: a child that
 * ended at once would otherwise be reaped before it was counted, then counted for ever. And
 * until its "New client" line is out, so that its "Child ... exited" line comes after. A
 * blocked signal is not lost: it stays pending, and the handler runs as soon as it is let in. */
static void mask_sigchld(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(how, &set, NULL) == -1) {
        perror("server: sigprocmask");
        exit(EXIT_FAILURE);
    }
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
 *   - SIGINT and SIGTERM are caught, and blocked except while the server waits: pselect() and
 *     sigsuspend() let them in and wait in one step, so a stop that comes just before a wait
 *     ends the wait at once, instead of being missed until the next client.
 *   - SIGPIPE is ignored. Its default action kills a process that writes where no one reads
 *     any more, without a word: a child whose client has vanished, or the server when the
 *     reader of its log has gone (./server | head -1). Ignored, it turns into an EPIPE error,
 *     which is reported. (send() with MSG_NOSIGNAL would do it for one call, but not every
 *     system has it; an ignored signal is inherited by every child, so once is enough.) */
static volatile sig_atomic_t stop_signal = 0; /* SIGINT or SIGTERM, once one has come */
static sigset_t waiting_mask;                 /* the mask inside pselect and sigsuspend: empty */

static void on_stop(int signal_number)
{
    stop_signal = signal_number;
}

static int set_action(int signal_number, void (*handler)(int), int flags)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signal_number, &action, NULL);
}

static void set_up_signals(void)
{
    sigset_t running_mask;
    sigemptyset(&waiting_mask);
    sigemptyset(&running_mask);
    sigaddset(&running_mask, SIGINT);
    sigaddset(&running_mask, SIGTERM);
    /* [1] SA_RESTART: a call a handler interrupts (a write to the log, say) starts again
     * instead of failing with EINTR. That includes a stop: the SIGCHLD handler runs inside
     * pselect(), where SIGINT may come while it writes its line. Calls that wait for signals
     * (pselect, sigsuspend) are never restarted: there, EINTR means "a handler ran". */
    if (sigprocmask(SIG_SETMASK, &running_mask, NULL) == -1 ||
        set_action(SIGCHLD, on_child_exit, SA_RESTART) == -1 ||
        set_action(SIGINT, on_stop, SA_RESTART) == -1 ||
        set_action(SIGTERM, on_stop, SA_RESTART) == -1 || set_action(SIGPIPE, SIG_IGN, 0) == -1) {
        perror("server: sigaction");
        exit(EXIT_FAILURE);
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
 * mask, so that Ctrl+C and the stop's SIGTERM end it whatever the server inherited; SIGPIPE
 * stays ignored. And it makes its connection blocking: on BSD and macOS, accept() passes on the
 * listening socket's O_NONBLOCK, and read() would fail at once with EAGAIN. (The child does
 * this, not the parent: the parent accepts one client at a time, the children run beside it.) */
static void set_up_child(int connection)
{
    if (set_action(SIGCHLD, SIG_DFL, 0) == -1 || set_action(SIGINT, SIG_DFL, 0) == -1 ||
        set_action(SIGTERM, SIG_DFL, 0) == -1 ||
        sigprocmask(SIG_SETMASK, &waiting_mask, NULL) == -1 ||
        set_nonblocking(connection, 0) == -1) {
        fprintf(stderr, "server: child %ld: setting up: %s\n", (long)getpid(), strerror(errno));
        _exit(EXIT_FAILURE);
    }
}

/* ---- Waiting for the next client ---- */

static int failed = 0; /* an error the server cannot go on after, already reported */

static int must_stop(void)
{
    return stop_signal != 0 || log_failed || failed;
}

/* The -c cap: while limit children or more run, waits until one ends; new clients wait in the
 * kernel's listen queue meanwhile. sigsuspend() lets SIGCHLD in and waits in one step: a child
 * that ends just before cannot be missed. Returns 0 if the server must stop instead. */
static int wait_for_room(long limit)
{
    if (children.count >= limit) {
        mask_sigchld(SIG_BLOCK);
        while (children.count >= limit && !must_stop())
            sigsuspend(&waiting_mask);
        mask_sigchld(SIG_UNBLOCK);
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
    while (wait_for_room(max_children)) {
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(listener, &readable);
        if (pselect(listener + 1, &readable, NULL, NULL, NULL, &waiting_mask) == -1 &&
            errno != EINTR) {
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
            if (!quiet) /* the address as text is for the log only: it costs the parent */
                describe((struct sockaddr *)&address, length, client->ip, client->port);
            return 1;
        }
        int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK || error == ECONNABORTED)
            continue; /* the client gave up before it was accepted: nothing to report */
        fprintf(stderr, "server: accept: %s\n", strerror(error));
        if (is_connection_error(error))
            continue;
        /* Out of descriptors or memory for now: a child that ends frees some. */
        if ((error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) &&
            children.count > 0)
            wait_for_room(children.count);
        else
            failed = 1;
    }
    return 0;
}

/* ---- Stopping ---- */

/* Closes the listening socket, ends the children still serving with SIGTERM, reaps them all,
 * and returns the exit status: 0 after SIGINT or SIGTERM, 1 after an error.
 *
 * Ctrl+C in the server's terminal sends SIGINT to the whole foreground process group: to the
 * server and to every child at once. The children, with SIGINT's default action, die of it
 * ("killed by signal 2") before the server's SIGTERM can reach them. `kill -TERM <pid>` reaches
 * the server alone, and it ends its children itself ("killed by signal 15").
 *
 * When its log cannot be written (its reader has gone, its disk is full), the server stops the
 * same way and says so on stderr. It could serve on without a log, but then no one would see
 * it; and the Unix way is for a program whose reader has gone to end (SIGPIPE's default would
 * have ended it, but silently, and leaving its children behind). */
static int stop(int listener)
{
    close(listener);         /* no new client from now on; the port is free once the children end */
    mask_sigchld(SIG_BLOCK); /* from here on, the loop below reaps, not the handler */
    int count = children.count;
    log_line("Stopping: ending %d %s\n", count, count == 1 ? "child" : "children");
    for (int i = 0; i < count; i++)
        kill(children.pids[i], SIGTERM);
    int status;
    pid_t child;
    while ((child = waitpid(-1, &status, 0)) > 0)
        log_end_of_child(child, status);
    if (log_failed)
        fputs("server: cannot write to standard output\n", stderr);
    return stop_signal != 0 && !log_failed && !failed ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- Starting: options, signals, the listening socket ---- */

enum { EXIT_USAGE = 2, LISTEN_BACKLOG = 128, PORT_MAX = 65535 };
static const char default_port[] = "8080";
/* Loopback: only programs on this machine can connect. Serving the network is a choice to make
 * on purpose (0.0.0.0 or ::), not a default: an echo server is a toy, not a service. */
static const char default_address[] = "127.0.0.1";

static void usage(const char *program, const char *problem, const char *argument)
{
    if (problem != NULL)
        fprintf(stderr, "server: %s: %s\n", problem, argument);
    fprintf(stderr, "usage: %s [-q] [-c MAX_CHILDREN] [PORT [ADDRESS]]\n", program);
    exit(EXIT_USAGE);
}

/* A whole number from text, within [low, high]; -1 if it is not one. */
static long parse_number(const char *text, long low, long high)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
        return -1;
    return value;
}

/* Reads the options, sets up the signals, opens the listening socket and logs the ready line.
 * Returns the listening socket; exits if the server cannot start. */
static int start(int argc, char *argv[])
{
    int option;
    while ((option = getopt(argc, argv, "qc:")) != -1) {
        if (option == 'q')
            quiet = 1;
        else if (option != 'c')
            usage(argv[0], NULL, NULL); /* getopt() has said what was wrong */
        else if ((max_children = parse_number(optarg, 1, MAX_CHILDREN_LIMIT)) == -1)
            usage(argv[0], "-c: not a number from 1 to 65536", optarg);
    }
    if (argc - optind > 2)
        usage(argv[0], "one argument too many", argv[optind + 2]);
    const char *port = optind < argc ? argv[optind] : default_port;
    const char *address = optind + 1 < argc ? argv[optind + 1] : default_address;
    if (parse_number(port, 0, PORT_MAX) == -1)
        usage(argv[0], "PORT: not a number from 0 to 65535", port);
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
    /* SO_REUSEADDR: a restarted server can bind the port at once, even while connections of
     * the previous one linger in TIME_WAIT. Non-blocking: accept() says EAGAIN instead of
     * waiting if the client that pselect() announced has given up meanwhile. */
    int on = 1;
    int listener = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
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
