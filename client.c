/*
 * client.c: the echo server's client, in two processes: one sends what you type, the other
 * prints what comes back.
 *
 * Run:    make client && ./client [HOST [PORT]]      (defaults: 127.0.0.1 8080; -h: usage)
 * At a terminal, type a line at the `Input: ` prompt: it comes back. `\q` or Ctrl+D ends the
 * session. Input from a file or a pipe is sent as it is, byte for byte (a `\q` line included),
 * so `./client < file > copy` makes copy equal to file. The prompt and the status lines go to
 * stderr: stdout carries only the echo.
 *
 * What to watch: main() forks once it is connected. The child only writes, the parent only
 * reads, and neither waits for the other. `ps` shows two ./client processes per session.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* BUFFER_SIZE: bytes read at a time, from the input or from the connection. HOST_TEXT_SIZE:
 * room for a numeric IPv6 address with a zone, "fe80::1%eth0". */
enum { BUFFER_SIZE = 64 * 1024, HOST_TEXT_SIZE = 64, EXIT_USAGE = 2 };
static const char PROMPT[] = "Input: ";
static const char SERVER_GONE[] =
    "client: the server closed the connection before the end of the input\n";

/* The machinery, after main: */
static int complain(const char *call);
static int write_all(int descriptor, const char *data, size_t length);
static int connect_to(const char *host, const char *port);
static void check_arguments(int argc, char *argv[]);

/*
 * The writer, the child: sends standard input to the server until the input ends (at a
 * terminal: Ctrl+D, or a line that is just `\q`), then half-closes the connection.
 *
 * shutdown(SHUT_WR), not close(): the parent still holds the connection, and a connection
 * ends only when its last descriptor is closed (as with the server's two close() calls), so
 * close() here would tell the server nothing. shutdown() ends this side's sending for every
 * holder: the server reads end of file, sends back the rest, and closes in its turn.
 */
static void send_input(int connection, int at_terminal)
{
    static char input[BUFFER_SIZE];
    ssize_t n;
    /* At a terminal each read() returns one line (POSIX, canonical mode): `\q` is "\\q\n". */
    while ((n = read(STDIN_FILENO, input, sizeof input)) > 0 &&
           !(at_terminal && n == 3 && memcmp(input, "\\q\n", 3) == 0))
        if (write_all(connection, input, (size_t)n) == -1)
            exit(complain("write to the server"));
    /* A failed read is said, and the writer half-closes all the same, or nothing ends. */
    int status = n == -1 ? complain("read from standard input") : EXIT_SUCCESS;
    /* Its work done, the writer ignores the parent's SIGTERM, so as not to look cut short. */
    if (signal(SIGTERM, SIG_IGN) == SIG_ERR || shutdown(connection, SHUT_WR) == -1) {
        if (errno != ENOTCONN)
            exit(complain("shutdown"));
        fputs(SERVER_GONE, stderr); /* it has reset the connection already */
        exit(EXIT_FAILURE);
    }
    /* After Ctrl+D the cursor still stands after the prompt. */
    fputs(at_terminal && n == 0 ? "\nOutput closed\n" : "Output closed\n", stderr);
    exit(status);
}

/*
 * The reader, the parent: prints what comes back until the server closes. TCP carries bytes,
 * not lines: one read() may return part of a line's echo, or the end of one and the start of
 * the next. At a terminal, the next prompt follows an echo that ends a line, so it never lands
 * inside one. Returns EXIT_SUCCESS at end of file, EXIT_FAILURE after saying what failed.
 */
static int print_echo(int connection, int at_terminal)
{
    static char echo[BUFFER_SIZE];
    ssize_t n;
    while ((n = read(connection, echo, sizeof echo)) > 0) {
        if (write_all(STDOUT_FILENO, echo, (size_t)n) == -1)
            return complain("write to standard output");
        if (at_terminal && echo[n - 1] == '\n')
            fputs(PROMPT, stderr);
    }
    return n == 0 ? EXIT_SUCCESS : complain("read from the server");
}

/*
 * The lesson: connect, then fork. fork copies the descriptors, so both processes hold the
 * connection: the child only writes to it, the parent only reads from it, and neither waits
 * for the other. Each is a plain loop of blocking calls, and a long line cannot deadlock: the
 * reader empties the buffers between client and server while the writer fills them.
 */
int main(int argc, char *argv[])
{
    /* Started with a standard descriptor closed (`2>&-`), the client would get its number
     * back from socket(): "Connected to", or the echo, would go to the server. /dev/null
     * fills each closed one first (open() returns the lowest free number). */
    for (int descriptor = STDIN_FILENO; descriptor <= STDERR_FILENO; descriptor++)
        if (fcntl(descriptor, F_GETFD) == -1 && open("/dev/null", O_RDWR) != descriptor)
            return EXIT_FAILURE; /* nowhere to say why: stderr may be the one missing */
    check_arguments(argc, argv);
    const char *host = optind < argc ? argv[optind] : "127.0.0.1";
    const char *port = optind + 1 < argc ? argv[optind + 1] : "8080";
    /* A write to a connection or a pipe whose reader has gone raises SIGPIPE, which kills
     * without a word (status 141). Ignored, it lets write() fail with EPIPE, reported like any
     * other error. SIGTERM must end the writer (see below), even if the client was started
     * ignoring it. The client catches no signal, so none of its calls fails with EINTR. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR)
        return complain("signal");
    int connection = connect_to(host, port);
    int at_terminal = isatty(STDIN_FILENO);
    if (at_terminal)
        fputs(PROMPT, stderr); /* unbuffered: nothing waits in stdio to be copied by fork */

    pid_t writer = fork();
    if (writer == -1)
        return complain("fork");
    if (writer == 0)
        send_input(connection, at_terminal);
    int status = print_echo(connection, at_terminal);

    /* The server has closed (or the reader failed). A writer still waiting for input (the
     * server went while the user was not typing) must not wait for the next line: SIGTERM
     * ends it. One that has half-closed ignores SIGTERM and exits by itself. (kill() on a
     * child that has exited succeeds: until reaped, it is a zombie, still there.) Either way
     * the parent reaps it, as every parent must, and learns how it ended. */
    int how;
    if (kill(writer, SIGTERM) == -1)
        return complain("kill");
    if (waitpid(writer, &how, 0) == -1)
        return complain("waitpid");
    if (WIFSIGNALED(how) && WTERMSIG(how) != SIGTERM)
        fprintf(stderr, "client: the writer was killed by signal %d\n", WTERMSIG(how));
    else if (WIFSIGNALED(how) && status == EXIT_SUCCESS)
        fputs(SERVER_GONE, stderr); /* the writer was cut short */
    else if (status == EXIT_SUCCESS && WEXITSTATUS(how) == EXIT_SUCCESS)
        fputs("Client closed\n", stderr);
    /* Both ended by themselves: the writer's status. Otherwise, someone has said why. */
    return status == EXIT_SUCCESS && WIFEXITED(how) ? WEXITSTATUS(how) : EXIT_FAILURE;
}

/* ---- Machinery ---- */

/* Says on stderr which call failed and why ("client: read from the server: Connection reset
 * by peer"); returns EXIT_FAILURE, the status to exit with. */
static int complain(const char *call)
{
    fprintf(stderr, "client: %s: %s\n", call, strerror(errno));
    return EXIT_FAILURE;
}

/* write() may take only part of what it is given: this goes on until all is written. */
static int write_all(int descriptor, const char *data, size_t length)
{
    for (ssize_t written; length > 0; data += written, length -= (size_t)written)
        if ((written = write(descriptor, data, length)) == -1)
            return -1;
    return 0;
}

/* Tries each address of host and port in turn, saying how each went; returns the first
 * connection made, or exits with status 1. */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *found;
    int error = getaddrinfo(host, port, &hints, &found);
    if (error != 0) {
        fprintf(stderr, "client: cannot resolve %s port %s: %s\n", host, port, gai_strerror(error));
        exit(EXIT_FAILURE);
    }
    for (struct addrinfo *address = found; address != NULL; address = address->ai_next) {
        char ip[HOST_TEXT_SIZE];
        if (getnameinfo(address->ai_addr, address->ai_addrlen, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST) != 0)
            strcpy(ip, "?");
        int connection = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
        if (connection != -1 && connect(connection, address->ai_addr, address->ai_addrlen) == 0) {
            fprintf(stderr, "Connected to %s port %s\n", ip, port);
            freeaddrinfo(found);
            return connection;
        }
        fprintf(stderr, "client: cannot connect to %s port %s: %s\n", ip, port, strerror(errno));
        if (connection != -1)
            close(connection);
    }
    freeaddrinfo(found);
    exit(EXIT_FAILURE);
}

/* PORT as typed: 1 to 5 digits, no sign, space or leading zero, at most 65535 (strtol() alone
 * would take " 80", "+80" and "010"). */
static int is_port(const char *text)
{
    size_t digits = strspn(text, "0123456789");
    return digits > 0 && digits <= 5 && text[digits] == '\0' && (text[0] != '0' || digits == 1) &&
           strtol(text, NULL, 10) <= 65535;
}

/* -h prints the usage line on stdout and exits 0. A bad argument is named, then the usage line
 * goes to stderr, and the status is 2. The arguments left start at optind. */
static void check_arguments(int argc, char *argv[])
{
    opterr = 0; /* getopt() would start its message with argv[0], not "client:" */
    int option = getopt(argc, argv, "h");
    char **left = argv + optind; /* HOST, PORT, and anything after them */
    if (option == '?')
        fprintf(stderr, "client: OPTION must be -h, not '-%c'\n", optopt);
    else if (argc - optind > 2)
        fprintf(stderr, "client: ARGUMENTS must be at most HOST PORT, not '%s'\n", left[2]);
    else if (argc - optind == 2 && !is_port(left[1]))
        fprintf(stderr, "client: PORT must be a number from 0 to 65535, not '%s'\n", left[1]);
    else if (option != 'h')
        return;
    fprintf(option == 'h' ? stdout : stderr, "usage: %s [-h] [HOST [PORT]]\n", argv[0]);
    exit(option == 'h' ? EXIT_SUCCESS : EXIT_USAGE);
}
