/*
 * minserver: a test tool, not a lesson. The simplest correct forking echo server, the baseline
 * `make bench` measures ./server against: accept, fork, the child echoes and calls _exit; a
 * SIGCHLD handler reaps with a waitpid loop. No log, no signal masks, no cap on children, no
 * clean stop (SIGTERM ends the parent; its children end when their clients close).
 *
 *     tests/minserver [PORT]        (default 0: any free port, on 127.0.0.1)
 *
 * Prints one line when ready, as ./server does: "Waiting for connections on 127.0.0.1 port N".
 * Its echo buffer has the size of ./server's, so that the stream figures compare the designs,
 * not the buffers.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { LISTEN_BACKLOG = 128, ECHO_BUFFER_SIZE = 64 * 1024, PORT_MAX = 65535 };

static void fail(const char *what)
{
    fprintf(stderr, "minserver: %s: %s\n", what, strerror(errno));
    exit(EXIT_FAILURE);
}

static void reap_children(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved_errno;
}

static void echo(int connection)
{
    static char buffer[ECHO_BUFFER_SIZE];
    ssize_t received;
    while ((received = read(connection, buffer, sizeof buffer)) > 0) {
        for (ssize_t sent = 0, n; sent < received; sent += n) {
            n = write(connection, buffer + sent, (size_t)(received - sent));
            if (n == -1)
                return;
        }
    }
}

int main(int argc, char *argv[])
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    if (argc > 2 || port < 0 || port > PORT_MAX) {
        fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
        return 2;
    }
    struct sigaction action = {0};
    action.sa_handler = reap_children;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &action, NULL) == -1)
        fail("sigaction");
    signal(SIGPIPE, SIG_IGN); /* a vanished client gives its child EPIPE, not a silent death */

    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int on = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener == -1 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) == -1 ||
        listen(listener, LISTEN_BACKLOG) == -1 ||
        getsockname(listener, (struct sockaddr *)&address, &length) == -1)
        fail("cannot listen");
    printf("Waiting for connections on 127.0.0.1 port %d\n", ntohs(address.sin_port));
    if (fflush(stdout) == EOF)
        fail("stdout");

    for (;;) {
        int connection = accept(listener, NULL, NULL);
        if (connection == -1) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fail("accept");
        }
        pid_t child = fork();
        if (child == 0) {
            close(listener);
            echo(connection);
            _exit(EXIT_SUCCESS);
        }
        if (child == -1)
            perror("minserver: fork");
        close(connection);
    }
}
