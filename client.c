/*
 * client.c: the echo server's client. It sends what it reads and prints what comes back.
 *
 * Run:    make client && ./client [HOST [PORT]]      (defaults: localhost 8080)
 * At a terminal, type a line at the `Input: ` prompt: it comes back. `\q` or Ctrl+D ends the
 * session: the client closes its sending side, prints the rest of the echo, and exits once
 * the server has closed too. Input from a file or a pipe is sent as it is, byte for byte
 * (a `\q` line included), so `./client < file > copy` makes copy equal to file.
 * The prompt and the status lines go to stderr: stdout carries only the echoed bytes.
 *
 * What to watch: echo_input(). TCP carries a stream of bytes, so the client counts them; and
 * it sends and receives at the same time, so a long line cannot deadlock.
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
#include <unistd.h>

enum {
    BUFFER_SIZE = 64 * 1024, /* bytes read at a time, from the input or from the connection */
    HOST_TEXT_SIZE = 64,     /* a numeric IPv6 address with a zone: "fe80::1%eth0" */
    PORT_MAX = 65535,
    EXIT_USAGE = 2,
};

/* The machinery, after main: */
static void fail(const char *call);
static void write_to_stdout(const char *data, size_t length);
static int is_quit_command(const char *line, size_t length);
static int connect_to(const char *host, const char *port);
static void check_arguments(int argc, char *argv[]);

/*
 * The lesson. Sends standard input to the server and writes the echo to standard output.
 *
 * TCP carries a stream of bytes, not messages: one read() may return part of a line's echo,
 * or the end of one line's echo and the start of the next. So the client counts bytes, sent
 * and echoed: the echo of everything sent so far is complete when the two are equal.
 *
 * And it never waits to send while the echo is coming back. A client that sent a long line
 * whole before reading would not read while the server sends the echo; once the buffers
 * between them are full, each waits for the other to read, for ever. select() says when the
 * connection can take more and when it has more to give, and the client does both. (Not
 * poll(): macOS's manual says its poll() does not support devices, and a terminal is one.)
 */
static void echo_input(int connection, int at_terminal)
{
    static char input[BUFFER_SIZE], echo[BUFFER_SIZE];
    size_t start = 0, end = 0;               /* input[start..end) is read but not sent yet */
    unsigned long long sent = 0, echoed = 0; /* counts that may pass 4 GiB */
    int input_ended = 0, prompted = 0;
    for (;;) {
        /* The input is read once what was read before is sent; at a terminal, once its echo
         * is complete too, so that each line comes back before the next prompt. */
        int want_input = !input_ended && start == end && (!at_terminal || echoed >= sent);
        if (want_input && at_terminal && !prompted) {
            fputs("Input: ", stderr);
            prompted = 1;
        }
        fd_set readable, writable;
        FD_ZERO(&readable);
        FD_ZERO(&writable);
        FD_SET(connection, &readable);
        if (start < end)
            FD_SET(connection, &writable);
        if (want_input)
            FD_SET(STDIN_FILENO, &readable);
        if (select(connection + 1, &readable, &writable, NULL, NULL) == -1)
            fail("select");

        if (FD_ISSET(connection, &writable)) {
            ssize_t n = send(connection, input + start, end - start, 0); /* maybe only part */
            if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
                fail("send");
            if (n > 0) {
                start += (size_t)n;
                sent += (size_t)n;
            }
        }
        if (FD_ISSET(connection, &readable)) {
            ssize_t n = read(connection, echo, sizeof echo); /* what has come, any size */
            if (n > 0) {
                write_to_stdout(echo, (size_t)n);
                echoed += (size_t)n;
            } else if (n == 0 && input_ended && echoed >= sent) {
                return; /* the server has sent everything back and closed */
            } else if (n == 0) {
                fprintf(stderr, "client: the server closed the connection%s\n",
                        echoed < sent ? " before the echo was complete" : "");
                exit(EXIT_FAILURE);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fail("read");
            }
        }
        if (FD_ISSET(STDIN_FILENO, &readable)) {
            ssize_t n = read(STDIN_FILENO, input, sizeof input);
            if (n == -1)
                fail("read from standard input");
            prompted = 0;
            start = 0;
            end = (size_t)n;
            if (n == 0 || (at_terminal && is_quit_command(input, end))) {
                /* Half-close: the server reads end of file and finishes the echo, while
                 * this side can still read what it sends back. */
                if (shutdown(connection, SHUT_WR) == -1) {
                    if (errno != ENOTCONN)
                        fail("shutdown");
                    /* The server reset the connection since select() looked at it. */
                    fputs("client: the server closed the connection\n", stderr);
                    exit(EXIT_FAILURE);
                }
                fputs("Output closed\n", stderr);
                input_ended = 1;
                end = 0;
            }
        }
    }
}

int main(int argc, char *argv[])
{
    check_arguments(argc, argv);
    const char *host = argc > 1 ? argv[1] : "localhost";
    const char *port = argc > 2 ? argv[2] : "8080";

    /*
     * SIGPIPE. A send() on a connection the server has closed, or a write() to a pipe that
     * nobody reads any more, raises SIGPIPE, and its default action ends the process at once,
     * without a word: the shell sees status 141, the user no message. Ignored, SIGPIPE lets
     * the call fail with EPIPE instead, and the error is reported like any other. send() has a
     * flag for one call, MSG_NOSIGNAL, but not on every system (older macOS lacks it, newer
     * ones hide it when _POSIX_C_SOURCE is set): ignoring the signal works everywhere.
     * The client catches no signal, so none of its calls can fail with EINTR.
     */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        fail("signal");

    int connection = connect_to(host, port);
    if (connection == -1)
        return EXIT_FAILURE;
    /* Non-blocking: send() takes what fits now and returns, instead of waiting for room
     * while the echo piles up unread. A call that can do nothing at all fails with EAGAIN
     * (or EWOULDBLOCK), which only means: wait again. */
    int flags = fcntl(connection, F_GETFL);
    if (flags == -1 || fcntl(connection, F_SETFL, flags | O_NONBLOCK) == -1)
        fail("fcntl");

    echo_input(connection, isatty(STDIN_FILENO));
    close(connection);
    fputs("Client closed\n", stderr);
    return EXIT_SUCCESS;
}

/* ---- Machinery ---- */

/* Connects to the first address of host and port that accepts; -1 if none does. */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *found;
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_STREAM;
    int error = getaddrinfo(host, port, &hints, &found);
    if (error != 0) {
        fprintf(stderr, "client: cannot resolve %s port %s: %s\n", host, port, gai_strerror(error));
        return -1;
    }
    int connection = -1;
    for (struct addrinfo *address = found; address != NULL; address = address->ai_next) {
        char ip[HOST_TEXT_SIZE];
        if (getnameinfo(address->ai_addr, address->ai_addrlen, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST) != 0)
            strcpy(ip, "?");
        connection = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
        if (connection != -1 && connect(connection, address->ai_addr, address->ai_addrlen) == 0) {
            fprintf(stderr, "Connected to %s port %s\n", ip, port);
            break;
        }
        fprintf(stderr, "client: cannot connect to %s port %s: %s\n", ip, port, strerror(errno));
        if (connection != -1)
            close(connection);
        connection = -1;
    }
    freeaddrinfo(found);
    return connection;
}

/* Reports a failed call on stderr ("client: send: Broken pipe") and exits with status 1. */
static void fail(const char *call)
{
    fprintf(stderr, "client: %s: %s\n", call, strerror(errno));
    exit(EXIT_FAILURE);
}

/* write() may write only part of what it is given: this goes on until all is written. */
static void write_to_stdout(const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(STDOUT_FILENO, data, length);
        if (written == -1)
            fail("write to standard output");
        data += written;
        length -= (size_t)written;
    }
}

/*
 * At a terminal, each read() returns one line (POSIX: "at most one line shall be returned"
 * in canonical mode), so the command is a read of "\q" with or without its newline.
 */
static int is_quit_command(const char *line, size_t length)
{
    if (length > 0 && line[length - 1] == '\n')
        length--;
    return length == 2 && memcmp(line, "\\q", 2) == 0;
}

/* Bad arguments: says which one, prints the usage line and exits with status 2. */
static void usage(const char *program, const char *problem, const char *argument)
{
    fprintf(stderr, "client: %s '%s'\nusage: %s [HOST [PORT]]\n", problem, argument, program);
    exit(EXIT_USAGE);
}

/* No option; PORT all digits (not "+8080", " 80" or "80x") and at most 65535 (strtol()
 * gives LONG_MAX for a longer number, so it cannot wrap round to a small one). */
static void check_arguments(int argc, char *argv[])
{
    if (argc > 1 && argv[1][0] == '-')
        usage(argv[0], "unknown option", argv[1]);
    if (argc > 3)
        usage(argv[0], "unexpected argument", argv[3]);
    if (argc < 3)
        return;
    const char *port = argv[2];
    if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
        strtol(port, NULL, 10) > PORT_MAX)
        usage(argv[0], "PORT must be a number from 0 to 65535, not", port);
}
