/*
 * client.c: the echo server's client. Sends each line it reads and prints the echo.
 *
 * Run:    make client && ./client [HOST [PORT]]      (defaults: localhost 8080)
 * Type a line: the server sends it back, and the client prints it. Type \q, or end the input
 * with Ctrl+D, to finish: the client closes its sending side, prints what is still coming,
 * and exits once the server has closed the connection. Commands such as \q are for a person
 * at a terminal: input from a file or a pipe is sent as it is, byte for byte (a \q line
 * included), so `./client < file > copy` makes copy equal to file.
 *
 * What to watch for in the code: TCP carries a stream of bytes, not messages. One read() may
 * return part of a line, or the end of one and the start of the next, so the client counts
 * the bytes of each echo until it has them all. And it sends and receives at the same time:
 * a client that sent a very long line before reading anything could fill the server's
 * buffers and its own, and both would wait for ever.
 * The prompt and the status lines go to stderr, so stdout carries only the echoed bytes.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

enum {
    RECEIVE_BUFFER_SIZE = 64 * 1024,
    INPUT_READ_SIZE = 64 * 1024, /* bytes of standard input read at a time */
    HOST_TEXT_SIZE = 64,         /* a numeric IPv6 address with a zone: "fe80::1%eth0" */
    PORT_TEXT_SIZE = sizeof "65535",
    PORT_MAX = 65535,
    EXIT_USAGE = 2,
};

static const char default_host[] = "localhost";
static const char default_port[] = "8080";
static const char quit_command[] = "\\q";

/* Writes all of buffer to fd, going on after partial writes. Returns 0, or -1 on error. */
static int write_all(int fd, const char *buffer, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, buffer, length);
        if (written == -1)
            return -1;
        buffer += written;
        length -= (size_t)written;
    }
    return 0;
}

/* Connects to the first address of host and port that accepts; -1 if none does. */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *found;
    int error = getaddrinfo(host, port, &hints, &found);
    if (error != 0) {
        fprintf(stderr, "client: cannot resolve %s port %s: %s\n", host, port, gai_strerror(error));
        return -1;
    }
    int connection = -1;
    for (struct addrinfo *candidate = found; candidate != NULL; candidate = candidate->ai_next) {
        char ip[HOST_TEXT_SIZE], service[PORT_TEXT_SIZE];
        if (getnameinfo(candidate->ai_addr, candidate->ai_addrlen, ip, sizeof ip, service,
                        sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
            snprintf(ip, sizeof ip, "?");
            snprintf(service, sizeof service, "%s", port);
        }
        connection = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
        if (connection == -1) {
            fprintf(stderr, "client: socket for %s port %s: %s\n", ip, service, strerror(errno));
            continue;
        }
        if (connect(connection, candidate->ai_addr, candidate->ai_addrlen) == 0) {
            fprintf(stderr, "Connected to %s port %s\n", ip, service);
            break;
        }
        fprintf(stderr, "client: cannot connect to %s port %s: %s\n", ip, service, strerror(errno));
        close(connection);
        connection = -1;
    }
    freeaddrinfo(found);
    return connection;
}

/*
 * Sends length bytes and reads until as many have come back, writing them to stdout as they
 * arrive. The socket is non-blocking and poll() says when it can take more or has more to
 * give, so sending never stops receiving. Returns 0, or -1 after reporting an error.
 */
static int echo_round_trip(int connection, const char *data, size_t length)
{
    static char received[RECEIVE_BUFFER_SIZE];
    size_t sent = 0, echoed = 0;
    while (echoed < length) {
        struct pollfd watch = {.fd = connection, .events = POLLIN};
        if (sent < length)
            watch.events |= POLLOUT;
        if (poll(&watch, 1, -1) == -1) {
            perror("client: poll");
            return -1;
        }
        if (sent < length && (watch.revents & (POLLOUT | POLLERR))) {
            ssize_t n = send(connection, data + sent, length - sent, 0);
            if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
                perror("client: send");
                return -1;
            }
            if (n > 0)
                sent += (size_t)n;
        }
        if (watch.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(connection, received, sizeof received);
            if (n == -1) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    continue;
                perror("client: read");
                return -1;
            }
            if (n == 0) {
                fprintf(stderr, "client: the server closed the connection before the echo "
                                "was complete\n");
                return -1;
            }
            if (write_all(STDOUT_FILENO, received, (size_t)n) == -1) {
                perror("client: write to standard output");
                return -1;
            }
            echoed += (size_t)n;
        }
    }
    return 0;
}

/* After our side is closed: prints whatever the server still sends, until it closes. */
static int drain(int connection)
{
    static char received[RECEIVE_BUFFER_SIZE];
    for (;;) {
        struct pollfd watch = {.fd = connection, .events = POLLIN};
        if (poll(&watch, 1, -1) == -1) {
            perror("client: poll");
            return -1;
        }
        ssize_t n = read(connection, received, sizeof received);
        if (n == 0)
            return 0;
        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            perror("client: read");
            return -1;
        }
        if (write_all(STDOUT_FILENO, received, (size_t)n) == -1) {
            perror("client: write to standard output");
            return -1;
        }
    }
}

static int is_quit_command(const char *line, size_t length)
{
    size_t command_length = sizeof quit_command - 1;
    if (length > 0 && line[length - 1] == '\n')
        length--;
    return length == command_length && memcmp(line, quit_command, command_length) == 0;
}

/*
 * Standard input, read with read() into a buffer that grows as needed: a line may be of any
 * length and hold any bytes, NUL included. Bytes [start, end) are read but not yet sent.
 */
typedef struct {
    char *data;
    size_t start, end, capacity;
    int at_end; /* end of input seen */
} input_buffer;

/* The length of the next complete line (through its newline, or the last bytes at the end
 * of input), or 0 if more input is needed first. */
static size_t next_line_length(const input_buffer *input)
{
    if (input->start == input->end)
        return 0; /* nothing buffered (data may even be NULL yet) */
    const char *newline = memchr(input->data + input->start, '\n', input->end - input->start);
    if (newline != NULL)
        return (size_t)(newline - (input->data + input->start)) + 1;
    return input->at_end ? input->end - input->start : 0;
}

/* Reads more of standard input; returns 0, or -1 after reporting an error. */
static int read_input(input_buffer *input)
{
    /* Move what is left to the front, then make room for a read of a full buffer's size. */
    if (input->start > 0) {
        memmove(input->data, input->data + input->start, input->end - input->start);
        input->end -= input->start;
        input->start = 0;
    }
    if (input->capacity - input->end < INPUT_READ_SIZE) {
        size_t capacity = input->end + INPUT_READ_SIZE;
        char *data = realloc(input->data, capacity);
        if (data == NULL) {
            perror("client: realloc");
            return -1;
        }
        input->data = data;
        input->capacity = capacity;
    }
    ssize_t n = read(STDIN_FILENO, input->data + input->end, input->capacity - input->end);
    if (n == -1) {
        perror("client: read from stdin");
        return -1;
    }
    if (n == 0)
        input->at_end = 1;
    input->end += (size_t)n;
    return 0;
}

/*
 * Waits until standard input has more, and meanwhile watches the connection: if the server
 * goes away while we wait for the user, say so at once instead of at the next line.
 * Returns 0, or -1 after reporting an error.
 */
static int wait_for_input(int connection)
{
    struct pollfd watch[] = {{.fd = STDIN_FILENO, .events = POLLIN},
                             {.fd = connection, .events = POLLIN}};
    for (;;) {
        if (poll(watch, 2, -1) == -1) {
            perror("client: poll");
            return -1;
        }
        if (watch[1].revents != 0) {
            /* The server sends only echoes: anything now means it closed or failed. */
            char unexpected[RECEIVE_BUFFER_SIZE];
            ssize_t n = read(connection, unexpected, sizeof unexpected);
            if (n == 0) {
                fprintf(stderr, "client: the server closed the connection\n");
                return -1;
            }
            if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
                perror("client: read");
                return -1;
            }
            if (n > 0 && write_all(STDOUT_FILENO, unexpected, (size_t)n) == -1) {
                perror("client: write to standard output");
                return -1;
            }
        }
        if (watch[0].revents != 0)
            return 0;
    }
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

int main(int argc, char *argv[])
{
    check_arguments(argc, argv);
    const char *host = argc > 1 ? argv[1] : default_host;
    const char *port = argc > 2 ? argv[2] : default_port;

    /*
     * SIGPIPE. A send() on a connection the server has closed, or a write() to a pipe that
     * nobody reads any more, raises SIGPIPE, and its default action ends the process at once,
     * without a word: the shell sees status 141, the user no message. Ignored, SIGPIPE lets
     * the call fail with EPIPE instead, and the error is reported like any other. send() has a
     * flag for one call, MSG_NOSIGNAL, but not on every system (older macOS lacks it, newer
     * ones hide it when _POSIX_C_SOURCE is set): ignoring the signal works everywhere.
     * The client catches no signal, so none of its calls can fail with EINTR.
     */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        perror("client: signal");
        return EXIT_FAILURE;
    }

    int connection = connect_to(host, port);
    if (connection == -1)
        return EXIT_FAILURE;
    int flags = fcntl(connection, F_GETFL);
    if (flags == -1 || fcntl(connection, F_SETFL, flags | O_NONBLOCK) == -1) {
        perror("client: fcntl");
        return EXIT_FAILURE;
    }

    int interactive = isatty(STDIN_FILENO);
    input_buffer input = {NULL, 0, 0, 0, 0};
    int status = EXIT_SUCCESS;
    for (;;) {
        size_t length = next_line_length(&input);
        if (length > 0) {
            const char *line = input.data + input.start;
            input.start += length;
            if (interactive && is_quit_command(line, length))
                break;
            if (echo_round_trip(connection, line, length) == -1) {
                status = EXIT_FAILURE;
                break;
            }
            continue;
        }
        if (input.at_end)
            break;
        if (interactive && input.start == input.end)
            fputs("Input: ", stderr);
        if (wait_for_input(connection) == -1 || read_input(&input) == -1) {
            status = EXIT_FAILURE;
            break;
        }
    }
    free(input.data);
    if (status == EXIT_FAILURE) {
        close(connection);
        return status;
    }

    /* Half-close: tell the server we send no more (it sees end of file and finishes), while
     * we can still read what it has left to send. */
    if (shutdown(connection, SHUT_WR) == -1) {
        perror("client: shutdown");
        close(connection);
        return EXIT_FAILURE;
    }
    fputs("Output closed\n", stderr);
    if (drain(connection) == -1)
        status = EXIT_FAILURE;
    close(connection);
    fputs("Client closed\n", stderr);
    return status;
}
