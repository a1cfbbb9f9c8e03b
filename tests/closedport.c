/*
 * closedport: a test tool, not a lesson. Holds a TCP port on 127.0.0.1 that is bound but not
 * listening, so that every connection to it is refused for as long as the tool runs, and no
 * other program can take the port meanwhile (no SO_REUSEADDR: a second bind fails).
 *
 *     tests/closedport          prints the port number, then waits until it is killed
 *
 * A test that wants "connection refused" cannot just use the port of a server it stopped: a
 * test running at the same time may be given that very port by the kernel.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    if (holder == -1) {
        perror("closedport: socket");
        return EXIT_FAILURE;
    }
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0; /* any free port */
    socklen_t length = sizeof address;
    if (bind(holder, (struct sockaddr *)&address, length) == -1 ||
        getsockname(holder, (struct sockaddr *)&address, &length) == -1) {
        perror("closedport: bind");
        return EXIT_FAILURE;
    }
    printf("%u\n", (unsigned)ntohs(address.sin_port));
    if (fflush(stdout) == EOF) {
        perror("closedport: write");
        return EXIT_FAILURE;
    }
    for (;;)
        pause(); /* no listen(): connections are refused until a signal ends us */
}
