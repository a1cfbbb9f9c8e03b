/*
 * server.c: a TCP echo server that forks one child per client, and reaps every child.
 *
 * The parent only accepts connections: for each one it forks a child, which sends back
 * exactly the bytes the client sends until the client closes its side, then exits. A SIGCHLD
 * handler reaps the children as they end, so none is left a zombie, however many clients
 * leave at once. At most MAX children run at once; more clients wait in the listen queue
 * until one leaves. SIGINT (Ctrl+C) or SIGTERM stops the server and all its children.
 *
 * Run:    make server && ./server          then ./client in other terminals
 *         ./server [-q] [-c MAX] [PORT [ADDRESS]]     PORT 0 takes any free port
 * Watch:  a "New client" line per connection, a "Recv" line per read, a "Child ... exited"
 *         line when a client leaves. `ps au` shows the parent and one ./server child per
 *         connected client, never one in state Z.
 *
 * The three faults of the server this one replaces, and how they are avoided here:
 *   - "Accept: Interrupted system call" each time a client left: the SIGCHLD arrived while
 *     the server was blocked in accept(), which then failed with EINTR, and the server took
 *     that for an error. Here the handler is installed with SA_RESTART, and EINTR from any
 *     call is taken for what it is: "a signal came, try again".
 *   - Log lines cut in two: the SIGCHLD handler printed with printf() while the main program
 *     was in the middle of its own printf(). Here the handler builds its line in a buffer and
 *     sends it with a single write(); main writes each of its lines with a single write too
 *     (stdout is line-buffered), so whole lines can only follow each other.
 *   - Every echo 1025 bytes long: the server sent back its whole buffer, not the bytes it
 *     had read. Here the child sends exactly what read() returned, all of it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    DEFAULT_MAX_CHILDREN = 256,
    MAX_CHILDREN_LIMIT = 65536,
    LISTEN_BACKLOG = 128,         /* connections the kernel queues while we do not accept */
    ECHO_BUFFER_SIZE = 64 * 1024, /* bytes a child reads at a time */
    EXIT_USAGE = 2,
    DECIMAL_DIGITS_MAX = 20,         /* enough for any long */
    HOST_TEXT_SIZE = 64,             /* a numeric IPv6 address with a zone: "fe80::1%eth0" */
    PORT_TEXT_SIZE = sizeof "65535", /* a port number as text */
    PORT_MAX = 65535,
};

static const char default_port[] = "8080";
/* Loopback: only programs on this machine can connect. Serving the network is a choice to
 * make on purpose (0.0.0.0 or ::), not a default: an echo server is a toy, not a service. */
static const char default_address[] = "127.0.0.1";

/* State shared with the signal handlers. The handler for SIGCHLD changes live_children and
 * child_pids; main changes them only while SIGCHLD is blocked, so that the two never update
 * them at the same time. */
static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t live_children = 0;
static pid_t *child_pids; /* the running children, live_children of them */
static int quiet = 0;     /* -q: no per-connection and per-read lines */

/* ---- Output that is safe in a signal handler: write(), one write per line ---- */

typedef struct {
    char text[sizeof "Child  killed by signal \n" + 2 * DECIMAL_DIGITS_MAX];
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

/* Writes all of buffer, going on after a partial write or EINTR. Returns 0, or -1. */
static int write_all(int fd, const char *buffer, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, buffer, length);
        if (written == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buffer += written;
        length -= (size_t)written;
    }
    return 0;
}

/* ---- Signal handlers ---- */

static void forget_child(pid_t child)
{
    for (int i = 0; i < live_children; i++) {
        if (child_pids[i] == child) {
            child_pids[i] = child_pids[live_children - 1];
            live_children--;
            return;
        }
    }
}

/* Reaps every finished child. The loop is the point: signals do not queue, so one SIGCHLD
 * may stand for many children, and WNOHANG stops it when none is left to reap. */
static void on_child_exit(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* waitpid() and write() may change it under main's feet */
    int status;
    pid_t child;
    while ((child = waitpid(-1, &status, WNOHANG)) > 0) {
        forget_child(child);
        if (quiet)
            continue;
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
        write_all(STDOUT_FILENO, line.text, line.length);
    }
    errno = saved_errno;
}

static void on_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static int install_handler(int signal_number, void (*handler)(int), int flags)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signal_number, &action, NULL);
}

/* Blocks (how = SIG_BLOCK) or unblocks (SIG_UNBLOCK) one signal. */
static void mask_signal(int how, int signal_number)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
    if (sigprocmask(how, &set, NULL) == -1) {
        perror("server: sigprocmask");
        exit(EXIT_FAILURE);
    }
}

/* ---- The child: echo one client ---- */

/* Echoes until the client closes its side; returns the child's exit status. */
static int echo(int connection, const char *ip, const char *port)
{
    /* static: the buffer takes no room in the parent's stack or heap (fork copies those),
     * and it is too big to sit comfortably on a child's stack. */
    static char buffer[ECHO_BUFFER_SIZE];
    for (;;) {
        ssize_t received = read(connection, buffer, sizeof buffer);
        if (received == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "Child %ld: read from IP %s, Port %s: %s\n", (long)getpid(), ip, port,
                    strerror(errno));
            return EXIT_FAILURE;
        }
        if (received == 0)
            return EXIT_SUCCESS; /* the client closed its side: the echo is complete */
        if (!quiet)
            printf("Recv %ld bytes from IP %s, Port %s\n", (long)received, ip, port);

        /* Send back exactly the bytes read: received of them, not sizeof buffer. send() may
         * take fewer than asked: go on with the rest. MSG_NOSIGNAL: a client that has gone
         * gives EPIPE here, where SIGPIPE would kill the child without a word. */
        for (ssize_t sent = 0; sent < received;) {
            ssize_t n = send(connection, buffer + sent, (size_t)(received - sent), MSG_NOSIGNAL);
            if (n == -1) {
                if (errno == EINTR)
                    continue;
                fprintf(stderr, "Child %ld: send to IP %s, Port %s: %s\n", (long)getpid(), ip, port,
                        strerror(errno));
                return EXIT_FAILURE;
            }
            sent += n;
        }
    }
}

/* ---- The parent ---- */

/* The numeric address and port of a socket address, as text. */
static void describe_address(const struct sockaddr_storage *address, socklen_t length,
                             char ip[HOST_TEXT_SIZE], char port[PORT_TEXT_SIZE])
{
    if (getnameinfo((const struct sockaddr *)address, length, ip, HOST_TEXT_SIZE, port,
                    PORT_TEXT_SIZE, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        strcpy(ip, "?");
        strcpy(port, "?");
    }
}

/* A listening socket on address and port; -1 after a message naming both. */
static int open_listener(const char *address, const char *port)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the address is */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo *found;
    int error = getaddrinfo(address, port, &hints, &found);
    if (error != 0) {
        fprintf(stderr, "server: cannot resolve address %s port %s: %s\n", address, port,
                gai_strerror(error));
        return -1;
    }
    int listener = -1;
    const char *failed_call = "socket";
    int failure = 0;
    for (struct addrinfo *candidate = found; candidate != NULL && listener == -1;
         candidate = candidate->ai_next) {
        listener = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
        if (listener == -1) {
            failed_call = "socket";
            failure = errno;
            continue;
        }
        /* SO_REUSEADDR: a restarted server may bind the port at once, even while connections
         * of the previous one still linger in TIME_WAIT. */
        int on = 1;
        if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
            failed_call = "setsockopt";
        else if (bind(listener, candidate->ai_addr, candidate->ai_addrlen) == -1)
            failed_call = "bind";
        else if (listen(listener, LISTEN_BACKLOG) == -1)
            failed_call = "listen";
        else
            break;
        failure = errno;
        close(listener);
        listener = -1;
    }
    freeaddrinfo(found);
    if (listener == -1)
        fprintf(stderr, "server: cannot listen on address %s port %s: %s: %s\n", address, port,
                failed_call, strerror(failure));
    return listener;
}

/* Forks a child to serve the connection; the parent keeps only the child's pid. */
static void serve(int listener, int connection, const struct sockaddr_storage *peer,
                  socklen_t peer_length, const sigset_t *original_mask)
{
    char ip[HOST_TEXT_SIZE], port[PORT_TEXT_SIZE];
    describe_address(peer, peer_length, ip, port);

    /* Until the child is in child_pids, SIGCHLD must wait: a child that ended at once would
     * otherwise be reaped before it is counted, and counted after, for ever. */
    mask_signal(SIG_BLOCK, SIGCHLD);
    fflush(stdout); /* nothing may wait in the buffer, or parent and child would both print it */
    pid_t child = fork();
    if (child == -1) {
        /* Out of processes (EAGAIN) or memory: turn this one client away, serve the others. */
        fprintf(stderr, "server: fork for IP %s, Port %s: %s; connection closed\n", ip, port,
                strerror(errno));
        close(connection);
        mask_signal(SIG_UNBLOCK, SIGCHLD);
        return;
    }
    if (child == 0) {
        /* The child serves this one client: accepting is the parent's job, so it closes its
         * copy of the listening socket. It takes back the default signal actions and mask. */
        close(listener);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, original_mask, NULL);
        int status = echo(connection, ip, port);
        close(connection);
        exit(status);
    }
    /* The parent closes its copy of the connection at once. A connection ends when its last
     * descriptor is closed: were the parent to keep one, the client would never see the end
     * of its echo when the child closes, and the parent would run out of descriptors. */
    close(connection);
    child_pids[live_children] = child;
    live_children++;
    if (!quiet)
        printf("New client: IP %s, Port %s, child %ld\n", ip, port, (long)child);
    mask_signal(SIG_UNBLOCK, SIGCHLD); /* only now: its "Child ... exited" line comes after */
}

/* While max_children (or more) run, waits until one ends or a stop is asked for. sigsuspend()
 * unblocks SIGCHLD and waits in one step: a child that ends just before cannot be missed. */
static void wait_for_free_slot(long max_children, const sigset_t *original_mask)
{
    if (live_children < max_children)
        return; /* the usual case: room for one more */
    mask_signal(SIG_BLOCK, SIGCHLD);
    while (live_children >= max_children && !stop_requested)
        sigsuspend(original_mask);
    mask_signal(SIG_UNBLOCK, SIGCHLD);
}

/* Waits until a client is waiting to be accepted (1) or a signal came (0); -1 on error.
 * SIGINT and SIGTERM are blocked except inside pselect(), which unblocks them and waits in
 * one step: a stop asked for a moment before the call is not lost, it ends the wait at once. */
static int wait_for_client(int listener, const sigset_t *original_mask)
{
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listener, &readable);
    if (pselect(listener + 1, &readable, NULL, NULL, NULL, original_mask) == -1)
        return errno == EINTR ? 0 : -1;
    return 1;
}

/* Ends the children still serving clients, and reaps them all. */
static void stop_children(void)
{
    mask_signal(SIG_BLOCK, SIGCHLD); /* from here on, the loop below does the reaping */
    for (int i = 0; i < live_children; i++)
        kill(child_pids[i], SIGTERM);
    int status;
    pid_t child;
    while ((child = waitpid(-1, &status, 0)) != -1 || errno == EINTR) {
        if (child == -1)
            continue;
        if (WIFEXITED(status))
            printf("Child %ld exited with status %d\n", (long)child, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            printf("Child %ld killed by signal %d\n", (long)child, WTERMSIG(status));
    }
    live_children = 0;
}

static void usage(const char *program)
{
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

/* Writing can fail too (a full disk, say), and printf() does not stop the program for it:
 * every process checks its output as it exits (registered with atexit, inherited by fork). */
static void check_output(void)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fputs("server: cannot write to standard output\n", stderr);
        _exit(EXIT_FAILURE); /* not exit(): it must not be called again from an exit handler */
    }
}

int main(int argc, char *argv[])
{
    long max_children = DEFAULT_MAX_CHILDREN;
    int option;
    while ((option = getopt(argc, argv, "qc:")) != -1) {
        if (option == 'q')
            quiet = 1;
        else if (option == 'c' && (max_children = parse_number(optarg, 1, MAX_CHILDREN_LIMIT)) > 0)
            continue;
        else
            usage(argv[0]);
    }
    if (argc - optind > 2)
        usage(argv[0]);
    const char *port = optind < argc ? argv[optind] : default_port;
    const char *address = optind + 1 < argc ? argv[optind + 1] : default_address;
    if (parse_number(port, 0, PORT_MAX) == -1)
        usage(argv[0]);

    setvbuf(stdout, NULL, _IOLBF, 0); /* one write per log line, into a pipe or a file too */
    if (atexit(check_output) != 0) {
        fputs("server: atexit failed\n", stderr);
        return EXIT_FAILURE;
    }
    child_pids = calloc((size_t)max_children, sizeof *child_pids);
    if (child_pids == NULL) {
        perror("server: calloc");
        return EXIT_FAILURE;
    }

    /* SIGINT and SIGTERM are let in only while the server waits (see wait_for_client). */
    sigset_t stop_signals, original_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop_signals, &original_mask) == -1) {
        perror("server: sigprocmask");
        return EXIT_FAILURE;
    }
    /* SA_RESTART: calls the SIGCHLD handler interrupts (accept, write) start again instead of
     * failing with EINTR. Not all calls can be restarted (pselect, sigsuspend), so EINTR is
     * still handled everywhere. SA_NOCLDSTOP: no SIGCHLD for a child merely stopped. */
    if (install_handler(SIGCHLD, on_child_exit, SA_RESTART | SA_NOCLDSTOP) == -1 ||
        install_handler(SIGINT, on_stop, 0) == -1 || install_handler(SIGTERM, on_stop, 0) == -1) {
        perror("server: sigaction");
        return EXIT_FAILURE;
    }

    int listener = open_listener(address, port);
    if (listener == -1)
        return EXIT_FAILURE;
    /* Non-blocking, so that accept() says EAGAIN instead of waiting if the client that
     * pselect() announced has given up in the meantime. */
    int flags = fcntl(listener, F_GETFL);
    if (flags == -1 || fcntl(listener, F_SETFL, flags | O_NONBLOCK) == -1) {
        perror("server: fcntl");
        return EXIT_FAILURE;
    }
    struct sockaddr_storage bound;
    socklen_t bound_length = sizeof bound;
    if (getsockname(listener, (struct sockaddr *)&bound, &bound_length) == -1) {
        perror("server: getsockname");
        return EXIT_FAILURE;
    }
    char bound_ip[HOST_TEXT_SIZE], bound_port[PORT_TEXT_SIZE];
    describe_address(&bound, bound_length, bound_ip, bound_port);
    printf("Waiting for connections on %s port %s\n", bound_ip, bound_port);

    int exit_status = EXIT_SUCCESS;
    while (!stop_requested) {
        wait_for_free_slot(max_children, &original_mask);
        if (stop_requested)
            break;
        int ready = wait_for_client(listener, &original_mask);
        if (ready == -1) {
            perror("server: pselect");
            exit_status = EXIT_FAILURE;
            break;
        }
        if (ready == 0)
            continue; /* a signal came: a child ended, or a stop was asked for */

        struct sockaddr_storage peer;
        socklen_t peer_length = sizeof peer;
        int connection = accept(listener, (struct sockaddr *)&peer, &peer_length);
        if (connection == -1) {
            /* Not errors: a signal came, or the client gave up before we accepted it. */
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                continue;
            int failure = errno;
            perror("server: accept");
            /* Out of descriptors or memory for now: wait for a child to end and free some. */
            if ((failure == EMFILE || failure == ENFILE || failure == ENOBUFS ||
                 failure == ENOMEM) &&
                live_children > 0) {
                wait_for_free_slot(live_children, &original_mask);
                continue;
            }
            exit_status = EXIT_FAILURE;
            break;
        }
        serve(listener, connection, &peer, peer_length, &original_mask);
    }

    close(listener); /* no new client from now on; the port is free once the children end */
    if (stop_requested)
        printf("Stopping: ending %d children\n", (int)live_children);
    stop_children();
    free(child_pids);
    return exit_status;
}
