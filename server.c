/*
 * server.c: a TCP echo server that forks one child per client, and reaps every
 * child.
 *
 * The parent only accepts connections: for each one it forks a child, which
 * echoes back exactly the bytes the client sends until the client closes its
 * side, then exits. A SIGCHLD handler reaps the children as they end, so none
 * is left a zombie, however many clients leave at once. At most MAX children
 * run at once; beyond that, new clients wait in the listen queue until one
 * leaves. SIGINT (Ctrl+C) or SIGTERM stops the server and all its children.
 *
 * Run:    make server && ./server            (then ./client in other terminals)
 *         ./server [-q] [-c MAX] [PORT [ADDRESS]]   PORT 0 picks any free port
 * Watch:  one "New client" line per connection, a "Recv" line for each read,
 * and a "Child <pid> exited" line when a client leaves. `ps au` shows one
 * ./server process per connected client, plus the parent, and never one in
 * state Z.
 *
 * The three faults of the program this one replaces, and where they are fixed
 * here:
 *   - "Accept: Interrupted system call" after each client left: a SIGCHLD
 * arriving while the server waited in accept() made it fail with EINTR. Here
 * the signals are blocked except while the server waits in pselect() or
 * sigsuspend(), the handler is installed with SA_RESTART, and EINTR is always
 * taken as "try again".
 *   - Log lines cut in two: the SIGCHLD handler printed with printf() in the
 * middle of the main program's printf(). Here the handler builds its line and
 * sends it with one write(), and it can run only while the main program waits,
 * between two lines.
 *   - Every echo 1025 bytes long: the server sent back its whole buffer, not
 * the bytes it had read. Here it sends exactly what read() returned, all of it,
 * however many write()s it takes.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
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
    LISTEN_BACKLOG = 128,         /* connections the kernel queues while we are not accepting */
    ECHO_BUFFER_SIZE = 64 * 1024, /* bytes a child reads at a time */
    EXIT_USAGE = 2,
    DECIMAL_DIGITS_MAX = 20, /* enough for any long */
    HOST_TEXT_SIZE = 64,     /* a numeric IPv6 address with a zone: "fe80::1%eth0" */
    PORT_TEXT_SIZE = sizeof "65535",
};

static const char default_port[] = "8080";
static const char default_address[] = "127.0.0.1"; /* loopback: reachable from this machine only */

/* Shared between main and the signal handlers. Main changes them only while the
 * signals are blocked, so the two never update them at the same time. */
static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t live_children = 0;
static pid_t *child_pids; /* the running children, live_children of them, for
                             the shutdown */
static int quiet = 0;     /* -q: no per-connection and per-read lines */

/* ---- Writing from a signal handler: write() only, one write per line. ---- */

typedef struct {
    char text[128];
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

/* Writes all of buffer to fd, going on after partial writes and EINTR. Returns
 * 0 or -1. */
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
    for (sig_atomic_t i = 0; i < live_children; i++) {
        if (child_pids[i] == child) {
            child_pids[i] = child_pids[live_children - 1];
            live_children--;
            return;
        }
    }
}

/* Reaps every finished child: one SIGCHLD may stand for several, since signals
 * do not queue. */
static void on_child_exit(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
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

/* ---- Arguments ---- */

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

/* ---- The child: echo one client ---- */

static int echo(int connection, const char *ip, const char *port)
{
    static char buffer[ECHO_BUFFER_SIZE]; /* static: not on the stack, and not in
                                             the parent's way */
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
            return EXIT_SUCCESS; /* the client closed its side: the echo is complete
                                  */
        if (!quiet)
            printf("Recv %zd bytes from IP %s, Port %s\n", received, ip, port);
        /* Send back exactly what was read: received bytes, not sizeof buffer. */
        for (ssize_t sent = 0; sent < received;) {
            /* MSG_NOSIGNAL: a client gone away gives EPIPE here, not a silent death
             * by SIGPIPE */
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

/* ---- Setting up ---- */

static int open_listener(const char *address, const char *port)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
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
    int last_errno = 0;
    const char *failed_call = "socket";
    for (struct addrinfo *candidate = found; candidate != NULL; candidate = candidate->ai_next) {
        listener = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
        if (listener == -1) {
            last_errno = errno;
            failed_call = "socket";
            continue;
        }
        /* A restarted server can bind the port at once, even while connections of
         * the previous one linger in TIME_WAIT. */
        int on = 1;
        if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
            bind(listener, candidate->ai_addr, candidate->ai_addrlen) == 0 &&
            listen(listener, LISTEN_BACKLOG) == 0)
            break;
        last_errno = errno;
        failed_call = "bind";
        close(listener);
        listener = -1;
    }
    freeaddrinfo(found);
    if (listener == -1)
        fprintf(stderr, "server: cannot listen on address %s port %s: %s: %s\n", address, port,
                failed_call, strerror(last_errno));
    return listener;
}

/* The printable address and port of a peer, from the numbers in sockaddr. */
static void describe_peer(const struct sockaddr_storage *peer, socklen_t length, char *ip,
                          size_t ip_size, char *port, size_t port_size)
{
    int error = getnameinfo((const struct sockaddr *)peer, length, ip, (socklen_t)ip_size, port,
                            (socklen_t)port_size, NI_NUMERICHOST | NI_NUMERICSERV);
    if (error != 0) {
        snprintf(ip, ip_size, "?");
        snprintf(port, port_size, "?");
    }
}

static int install_handler(int signal_number, void (*handler)(int), int flags)
{
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signal_number, &action, NULL);
}

/* In the child: back to the default actions and the mask the server started
 * with. */
static void become_plain_child(const sigset_t *original_mask)
{
    signal(SIGCHLD, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigprocmask(SIG_SETMASK, original_mask, NULL);
}

/* Serves one connection: fork a child for it; the parent keeps only the child's
 * pid. */
static void serve(int listener, int connection, const struct sockaddr_storage *peer,
                  socklen_t peer_length, const sigset_t *original_mask)
{
    char ip[HOST_TEXT_SIZE], port[PORT_TEXT_SIZE];
    describe_peer(peer, peer_length, ip, sizeof ip, port, sizeof port);

    fflush(stdout); /* nothing may wait in the buffer, or parent and child would
                       both print it */
    pid_t child = fork();
    if (child == -1) {
        /* Out of processes (EAGAIN) or memory: turn this client away, keep serving
         * others. */
        fprintf(stderr, "server: fork for IP %s, Port %s: %s; connection closed\n", ip, port,
                strerror(errno));
        close(connection);
        return;
    }
    if (child == 0) {
        close(listener); /* the child serves one client; accepting is the parent's
                            job */
        become_plain_child(original_mask);
        int status = echo(connection, ip, port);
        close(connection);
        exit(status);
    }
    /* The parent: the child has its own copy of the connection; without closing
     * ours, the connection would stay open after the child closes it, and the
     * client would never see the end of the echo. */
    close(connection);
    child_pids[live_children] = child;
    live_children++;
    if (!quiet)
        printf("New client: IP %s, Port %s, child %ld\n", ip, port, (long)child);
}

/* Waits until the listener has a connection, or a signal came; returns 1, 0, or
 * -1 on error. */
static int wait_for_client(int listener, const sigset_t *original_mask)
{
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listener, &readable);
    /* pselect() unblocks the signals for exactly as long as it waits: a SIGCHLD
     * or SIGTERM that arrives before the call is not lost, it interrupts the wait
     * at once. */
    if (pselect(listener + 1, &readable, NULL, NULL, NULL, original_mask) == -1)
        return errno == EINTR ? 0 : -1;
    return 1;
}

/* Ends the children still serving clients and reaps them. */
static void stop_children(void)
{
    for (sig_atomic_t i = 0; i < live_children; i++)
        kill(child_pids[i], SIGTERM);
    int status;
    pid_t child;
    /* SIGCHLD is blocked here: waitpid() in this loop does all the reaping. */
    while ((child = waitpid(-1, &status, 0)) > 0 || (child == -1 && errno == EINTR)) {
        if (child <= 0)
            continue;
        if (WIFEXITED(status))
            printf("Child %ld exited with status %d\n", (long)child, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            printf("Child %ld killed by signal %d\n", (long)child, WTERMSIG(status));
    }
    live_children = 0;
}

int main(int argc, char *argv[])
{
    long max_children = DEFAULT_MAX_CHILDREN;
    int option;
    while ((option = getopt(argc, argv, "qc:")) != -1) {
        if (option == 'q')
            quiet = 1;
        else if (option == 'c' && (max_children = parse_number(optarg, 1, 65536)) > 0)
            continue;
        else
            usage(argv[0]);
    }
    if (argc - optind > 2)
        usage(argv[0]);
    const char *port = optind < argc ? argv[optind] : default_port;
    const char *address = optind + 1 < argc ? argv[optind + 1] : default_address;
    if (parse_number(port, 0, 65535) == -1)
        usage(argv[0]);

    setvbuf(stdout, NULL, _IOLBF, 0); /* one write per log line, also into a pipe or a file */
    child_pids = calloc((size_t)max_children, sizeof *child_pids);
    if (child_pids == NULL) {
        perror("server: calloc");
        return EXIT_FAILURE;
    }

    /* Block the signals the server handles: they are let in only while it waits
     * (pselect, sigsuspend), so a handler never runs in the middle of main's
     * work. */
    sigset_t handled, original_mask;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &handled, &original_mask) == -1) {
        perror("server: sigprocmask");
        return EXIT_FAILURE;
    }
    if (install_handler(SIGCHLD, on_child_exit, SA_RESTART | SA_NOCLDSTOP) == -1 ||
        install_handler(SIGINT, on_stop, 0) == -1 || install_handler(SIGTERM, on_stop, 0) == -1) {
        perror("server: sigaction");
        return EXIT_FAILURE;
    }

    int listener = open_listener(address, port);
    if (listener == -1)
        return EXIT_FAILURE;
    /* Non-blocking, so that accept() returns EAGAIN instead of blocking when the
     * client pselect() announced has gone away in the meantime. */
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
    describe_peer(&bound, bound_length, bound_ip, sizeof bound_ip, bound_port, sizeof bound_port);
    printf("Waiting for connections on %s port %s\n", bound_ip, bound_port);

    int exit_status = EXIT_SUCCESS;
    while (!stop_requested) {
        if (live_children >= max_children) {
            /* Full: wait for a child to end (or a stop) before accepting more. */
            sigsuspend(&original_mask);
            continue;
        }
        int ready = wait_for_client(listener, &original_mask);
        if (ready == -1) {
            perror("server: pselect");
            exit_status = EXIT_FAILURE;
            break;
        }
        if (ready == 0)
            continue; /* a signal: a child ended, or a stop was asked for */

        struct sockaddr_storage peer;
        socklen_t peer_length = sizeof peer;
        int connection = accept(listener, (struct sockaddr *)&peer, &peer_length);
        if (connection == -1) {
            /* Not errors: interrupted, nothing left to accept, or the client already
             * gone. */
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                continue;
            perror("server: accept");
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                continue; /* out of resources for now: serve on, those in progress will
                             free some */
            exit_status = EXIT_FAILURE;
            break;
        }
        serve(listener, connection, &peer, peer_length, &original_mask);
    }

    close(listener);
    if (stop_requested)
        printf("Stopping: ending %d children\n", (int)live_children);
    stop_children();
    free(child_pids);
    return exit_status;
}
