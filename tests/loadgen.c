/*
 * loadgen: a load generator for any TCP echo server, used by the tests and by `make bench`.
 *
 *   tests/loadgen [-H HOST] -p PORT [-c C] [-n N] [-r R] [-s SIZE] [-t MIB] [-k CHUNK_KIB]
 *                 [-d HOLD_MS] MODE
 *
 * Modes:
 *   conn    C workers make N connections in all; each connects, sends SIZE bytes, reads them
 *           back, keeps the connection open HOLD_MS ms, closes. Connections/s, latency p50/p99.
 *   rtt     C connections, each doing R round trips of SIZE bytes. Round trips/s, p50/p99.
 *   stream  one connection carrying MIB MiB in CHUNK_KIB KiB chunks, sending and receiving at
 *           once (poll on a non-blocking socket, so full buffers cannot deadlock it). MiB/s.
 *   hold    opens C connections, one round trip of SIZE bytes on each, then closes all of them
 *           at the same moment: many clients leaving at once.
 *   reset   opens one connection, sends SIZE bytes without reading the echo, waits until the
 *           echo starts to come back, then resets it (SO_LINGER with a zero timeout makes
 *           close() send RST): a client that vanishes. With a SIZE the socket takes at once,
 *           the server has answered it all and waits to read: its read() fails.
 *
 * Every byte that comes back is checked against what was sent: a pseudo-random pattern, with
 * NUL bytes, different for each connection. A mismatch, a reset, a refused connection, an
 * echo cut short or a peer silent for IO_TIMEOUT_MS counts as an error. Prints one line of
 * key=value pairs, where ok counts the connections (the round trips for rtt) that went right;
 * exits 0 if there was no error, 1 if there was, 2 on bad arguments.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum {
    EXIT_ERRORS = 1,
    EXIT_USAGE = 2,
    IO_TIMEOUT_MS = 10000, /* a peer silent this long counts as an error, never a hang */
    MAX_WORKERS = 1024,
    KIB = 1024,
    MIB = 1024 * 1024,
    PERCENT = 100,
    MEDIAN_PERCENTILE = 50,
    TAIL_PERCENTILE = 99,
};

static const long NANOS_PER_SECOND = 1000000000L;
static const long NANOS_PER_MICRO = 1000L;
static const long NANOS_PER_MILLI = 1000000L;

static struct {
    const char *host;
    const char *port;
    long concurrency;
    long connections;
    long rounds;
    long size;
    long mebibytes;
    long chunk_kib;
    long hold_ms;
    const char *mode;
} options = {"127.0.0.1", NULL, 1, 1, 1, 64, 16, 64, 0, NULL};

static struct addrinfo *server_address;

/* Shared by the worker threads, under the lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long next_connection = 0;
static long error_count = 0;
static long *latencies_us; /* one per connection (conn) or round trip (rtt) */
static long latency_count = 0;

/* ---- Time ---- */

static long long now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * NANOS_PER_SECOND + now.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec left = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * NANOS_PER_MILLI};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        continue;
}

/* ---- The pattern: xorshift64, seeded per connection, so every byte can be checked ---- */

typedef struct {
    uint64_t state;        /* the generator's state; never 0 */
    unsigned char word[8]; /* its last output, handed out a byte at a time */
    size_t used;           /* bytes of word already handed out */
} pattern;

static pattern pattern_for(long connection, long salt)
{
    pattern p = {.state = 0x9E3779B97F4A7C15u * (uint64_t)(connection + 1) + (uint64_t)salt,
                 .used = sizeof p.word};
    if (p.state == 0)
        p.state = 1;
    return p;
}

static void step(pattern *p)
{
    p->state ^= p->state << 13;
    p->state ^= p->state >> 7;
    p->state ^= p->state << 17;
}

/* The next length bytes of the pattern (about one in 256 is a NUL). Whole words are copied
 * at once: the stream must be fast enough not to be what a benchmark measures. */
static void fill(pattern *p, unsigned char *buffer, size_t length)
{
    while (length > 0) {
        if (p->used == sizeof p->word && length >= sizeof p->word) {
            step(p);
            memcpy(buffer, &p->state, sizeof p->state);
            buffer += sizeof p->state;
            length -= sizeof p->state;
            continue;
        }
        if (p->used == sizeof p->word) {
            step(p);
            memcpy(p->word, &p->state, sizeof p->word);
            p->used = 0;
        }
        *buffer++ = p->word[p->used++];
        length--;
    }
}

/* ---- Errors ---- */

static void count_error(const char *what, int error)
{
    pthread_mutex_lock(&lock);
    if (error_count++ < 5) /* the first few are enough to see what went wrong */
        fprintf(stderr, "loadgen: %s: %s\n", what, error ? strerror(error) : "failed");
    pthread_mutex_unlock(&lock);
}

/* ---- Connections ---- */

static int open_connection(void)
{
    int fd =
        socket(server_address->ai_family, server_address->ai_socktype, server_address->ai_protocol);
    if (fd == -1) {
        count_error("socket", errno);
        return -1;
    }
    if (connect(fd, server_address->ai_addr, server_address->ai_addrlen) == -1) {
        count_error("connect", errno);
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
        count_error("fcntl", errno);
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Sends `length` bytes of the send pattern and reads as many back, checking each against the
 * expect pattern, both at once. Returns 0, or -1 after counting an error.
 */
static int exchange(int fd, pattern *send_pattern, pattern *expect_pattern, long long length,
                    size_t chunk)
{
    unsigned char *outgoing = malloc(chunk), *incoming = malloc(chunk), *expected = malloc(chunk);
    if (outgoing == NULL || incoming == NULL || expected == NULL) {
        count_error("malloc", ENOMEM);
        free(outgoing);
        free(incoming);
        free(expected);
        return -1;
    }
    long long sent = 0, received = 0;
    size_t pending = 0, offset = 0; /* bytes of outgoing not yet sent, from offset */
    int result = 0;
    while (received < length) {
        if (pending == 0 && sent < length) {
            pending = (size_t)(length - sent < (long long)chunk ? length - sent : (long long)chunk);
            fill(send_pattern, outgoing, pending);
            offset = 0;
        }
        struct pollfd watch = {.fd = fd, .events = POLLIN};
        if (pending > 0)
            watch.events |= POLLOUT;
        int ready = poll(&watch, 1, IO_TIMEOUT_MS);
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready <= 0) {
            count_error(ready == 0 ? "no answer within the time-out" : "poll",
                        ready == 0 ? ETIMEDOUT : errno);
            result = -1;
            break;
        }
        if (pending > 0 && (watch.revents & (POLLOUT | POLLERR))) {
            ssize_t n = send(fd, outgoing + offset, pending, MSG_NOSIGNAL);
            if (n > 0) {
                offset += (size_t)n;
                pending -= (size_t)n;
                sent += n;
            } else if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                count_error("send", errno);
                result = -1;
                break;
            }
        }
        if (watch.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, incoming, chunk, 0);
            if (n == 0) {
                count_error("the server closed the connection before the whole echo", 0);
                result = -1;
                break;
            }
            if (n == -1) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                count_error("recv", errno);
                result = -1;
                break;
            }
            fill(expect_pattern, expected, (size_t)n);
            if (memcmp(incoming, expected, (size_t)n) != 0) {
                count_error("the echo differs from what was sent", 0);
                result = -1;
                break;
            }
            received += n;
        }
    }
    free(outgoing);
    free(incoming);
    free(expected);
    return result;
}

static void record_latency(long long start_ns)
{
    long us = (long)((now_ns() - start_ns) / NANOS_PER_MICRO);
    pthread_mutex_lock(&lock);
    latencies_us[latency_count++] = us;
    pthread_mutex_unlock(&lock);
}

/* ---- Modes ---- */

static void *conn_worker(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        long index = next_connection < options.connections ? next_connection++ : -1;
        pthread_mutex_unlock(&lock);
        if (index == -1)
            return NULL;
        long long start = now_ns();
        int fd = open_connection();
        if (fd == -1)
            continue;
        pattern out = pattern_for(index, 0), expected = pattern_for(index, 0);
        if (exchange(fd, &out, &expected, options.size, (size_t)options.size) == 0) {
            if (options.hold_ms > 0)
                sleep_ms(options.hold_ms);
            close(fd);
            record_latency(start);
        } else {
            close(fd);
        }
    }
}

static void *rtt_worker(void *worker_number)
{
    long worker = (long)(intptr_t)worker_number;
    int fd = open_connection();
    if (fd == -1)
        return NULL;
    pattern out = pattern_for(worker, 1), expected = pattern_for(worker, 1);
    for (long round = 0; round < options.rounds; round++) {
        long long start = now_ns();
        if (exchange(fd, &out, &expected, options.size, (size_t)options.size) == -1)
            break;
        record_latency(start);
    }
    close(fd);
    return NULL;
}

static int run_threads(void *(*worker)(void *), long count)
{
    pthread_t threads[MAX_WORKERS];
    long started = 0;
    for (; started < count; started++) {
        int error = pthread_create(&threads[started], NULL, worker, (void *)(intptr_t)started);
        if (error != 0) {
            count_error("pthread_create", error);
            break;
        }
    }
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return started == count ? 0 : -1;
}

/* Returns the number of connections that made their round trip. */
static long hold_mode(void)
{
    int *fds = malloc((size_t)options.concurrency * sizeof *fds);
    if (fds == NULL) {
        count_error("malloc", ENOMEM);
        return 0;
    }
    long opened = 0;
    for (; opened < options.concurrency; opened++) {
        fds[opened] = open_connection();
        if (fds[opened] == -1)
            break;
        pattern out = pattern_for(opened, 2), expected = pattern_for(opened, 2);
        if (exchange(fds[opened], &out, &expected, options.size, (size_t)options.size) == -1) {
            close(fds[opened]);
            break;
        }
    }
    /* All served; now every one of them leaves at the same moment. */
    for (long i = 0; i < opened; i++)
        close(fds[i]);
    free(fds);
    return opened;
}

/* Returns 1 once the connection is reset, 0 if it could not be. */
static long reset_mode(void)
{
    int fd = open_connection();
    if (fd == -1)
        return 0;
    pattern out = pattern_for(0, 3);
    unsigned char *data = malloc((size_t)options.size);
    if (data == NULL) {
        count_error("malloc", ENOMEM);
        close(fd);
        return 0;
    }
    fill(&out, data, (size_t)options.size);
    /* Send what the socket takes at once, without reading the echo: a transfer in progress. */
    long sent = 0;
    while (sent < options.size) {
        struct pollfd watch = {.fd = fd, .events = POLLOUT};
        if (poll(&watch, 1, IO_TIMEOUT_MS / 10) <= 0)
            break; /* buffers full: the server is busy echoing into our unread buffer */
        ssize_t n = send(fd, data + sent, (size_t)(options.size - sent), MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += n;
    }
    free(data);
    /* The echo has begun to come back: the server has read, and answered. Left unread. */
    struct pollfd echo = {.fd = fd, .events = POLLIN};
    if (poll(&echo, 1, IO_TIMEOUT_MS) <= 0)
        count_error("no echo before the reset", ETIMEDOUT);
    /* A zero linger time makes close() abort the connection with RST instead of FIN. */
    struct linger abort_now = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now) == -1) {
        count_error("setsockopt(SO_LINGER)", errno);
        close(fd);
        return 0;
    }
    close(fd);
    return 1;
}

/* ---- Report ---- */

static int compare_longs(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static long percentile(long percent)
{
    if (latency_count == 0)
        return 0;
    return latencies_us[(latency_count - 1) * percent / PERCENT];
}

static void usage(const char *program)
{
    fprintf(stderr,
            "usage: %s [-H HOST] -p PORT [-c C] [-n N] [-r R] [-s SIZE] [-t MIB] [-k CHUNK_KIB] "
            "[-d HOLD_MS] conn|rtt|stream|hold|reset\n",
            program);
    exit(EXIT_USAGE);
}

static long positive(const char *text, const char *program, long high)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0 || value > high)
        usage(program);
    return value;
}

int main(int argc, char *argv[])
{
    int option;
    const long big = 1L << 30;
    while ((option = getopt(argc, argv, "H:p:c:n:r:s:t:k:d:")) != -1) {
        switch (option) {
        case 'H':
            options.host = optarg;
            break;
        case 'p':
            options.port = optarg;
            break;
        case 'c':
            options.concurrency = positive(optarg, argv[0], MAX_WORKERS);
            break;
        case 'n':
            options.connections = positive(optarg, argv[0], big);
            break;
        case 'r':
            options.rounds = positive(optarg, argv[0], big);
            break;
        case 's':
            options.size = positive(optarg, argv[0], big);
            break;
        case 't':
            options.mebibytes = positive(optarg, argv[0], big / MIB * KIB);
            break;
        case 'k':
            options.chunk_kib = positive(optarg, argv[0], big / KIB);
            break;
        case 'd':
            options.hold_ms = positive(optarg, argv[0], big);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind != argc - 1 || options.port == NULL || options.concurrency < 1 || options.size < 1 ||
        options.chunk_kib < 1)
        usage(argv[0]);
    options.mode = argv[optind];

    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int error = getaddrinfo(options.host, options.port, &hints, &server_address);
    if (error != 0) {
        fprintf(stderr, "loadgen: %s port %s: %s\n", options.host, options.port,
                gai_strerror(error));
        return EXIT_ERRORS;
    }

    long samples = 0;
    if (strcmp(options.mode, "conn") == 0)
        samples = options.connections;
    else if (strcmp(options.mode, "rtt") == 0)
        samples = options.concurrency * options.rounds;
    latencies_us = calloc((size_t)(samples > 0 ? samples : 1), sizeof *latencies_us);
    if (latencies_us == NULL) {
        perror("loadgen: calloc");
        return EXIT_ERRORS;
    }

    long long start = now_ns();
    long succeeded = 0; /* connections, or round trips for rtt, that went as they should */
    if (strcmp(options.mode, "conn") == 0) {
        run_threads(conn_worker, options.concurrency);
        succeeded = latency_count;
    } else if (strcmp(options.mode, "rtt") == 0) {
        run_threads(rtt_worker, options.concurrency);
        succeeded = latency_count;
    } else if (strcmp(options.mode, "stream") == 0) {
        int fd = open_connection();
        if (fd != -1) {
            pattern out = pattern_for(0, 4), expected = pattern_for(0, 4);
            succeeded = exchange(fd, &out, &expected, (long long)options.mebibytes * MIB,
                                 (size_t)options.chunk_kib * KIB) == 0;
            close(fd);
        }
    } else if (strcmp(options.mode, "hold") == 0) {
        succeeded = hold_mode();
    } else if (strcmp(options.mode, "reset") == 0) {
        succeeded = reset_mode();
    } else {
        usage(argv[0]);
    }
    double seconds = (double)(now_ns() - start) / (double)NANOS_PER_SECOND;

    char figures[256] = "";
    qsort(latencies_us, (size_t)latency_count, sizeof *latencies_us, compare_longs);
    if (strcmp(options.mode, "conn") == 0 || strcmp(options.mode, "rtt") == 0)
        snprintf(figures, sizeof figures, " rate=%.1f p50_us=%ld p99_us=%ld",
                 (double)latency_count / seconds, percentile(MEDIAN_PERCENTILE),
                 percentile(TAIL_PERCENTILE));
    else if (strcmp(options.mode, "stream") == 0)
        snprintf(figures, sizeof figures, " mib=%ld mib_per_s=%.1f", options.mebibytes,
                 error_count == 0 ? (double)options.mebibytes / seconds : 0.0);
    printf("mode=%s concurrency=%ld connections=%ld rounds=%ld size=%ld ok=%ld errors=%ld "
           "seconds=%.3f%s\n",
           options.mode, options.concurrency, options.connections, options.rounds, options.size,
           succeeded, error_count, seconds, figures);
    freeaddrinfo(server_address);
    free(latencies_us);
    return error_count == 0 ? EXIT_SUCCESS : EXIT_ERRORS;
}
