/* echo_client.c -- the lecture's echo client, done right for any size.
 *
 * Translates lecture 002, "Echo client program":
 *
 *     HOST = '127.0.0.1'
 *     PORT = 50007
 *     with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
 *         s.connect((HOST, PORT))
 *         s.sendall(b'Hello, world')
 *         data = s.recv(1024)
 *     print('Received', repr(data))
 *
 * What it teaches: the client's life cycle, every call of it in this file under the
 * lecture line it translates: getaddrinfo (the address), socket, connect, send and recv,
 * close. From net.c (the kit's socket helpers, net.h) it takes only small things:
 * net_format_address (an address as text), net_set_blocking (fcntl O_NONBLOCK),
 * net_write_all (a write that survives signals) and net_monotonic_ms (a clock).
 *
 * The lecture's client has two quiet bugs that this one fixes, and they are the lesson:
 * 1. One recv(1024) is not "the reply". TCP is a byte stream: the echo may arrive in
 *    pieces, and recv returns the first piece. We count: the echo is complete when as
 *    many bytes came back as we sent.
 * 2. sendall() of a big message, then recv(), deadlocks: the server echoes while we
 *    still send, nobody reads the echo, the buffers on both sides fill up, and both
 *    programs wait for each other forever. So we read while we write: poll() tells us
 *    which of "send more" and "read the echo" can go on now.
 *
 * Two modes:
 *   WORDS...  send them joined by spaces (default "Hello, world"), wait for the whole
 *             echo, print  Received 'TEXT'  (bytes shown as Python's repr shows them:
 *             \t \n \r \\ \' and \xHH for anything that is not printable ASCII).
 *   -         stream standard input to the server and the echo to standard output,
 *             any size and any bytes; at the end of the input, half-close
 *             (shutdown(SHUT_WR): "I have sent everything") and keep reading until the
 *             server closes. `./echo_client - < big.bin | cmp - big.bin` holds.
 * -t SECONDS gives up on an echo that is not complete in time (words mode; by
 * default it waits as long as it takes, like the lecture's client). Exit status 1,
 * with one line on stderr, when the echo is not complete: the server closed early,
 * reset, or was too slow.
 *
 * Usage: echo_client [-H HOST] [-p PORT] [-t SECONDS] [WORD... | -]
 *
 * Try:   ./echo_server                          (terminal 1)
 *        ./echo_client                          -> Received 'Hello, world'
 *        ./echo_client -                        type lines; Ctrl-D ends
 *        head -c 16M /dev/urandom > big.bin; ./echo_client - < big.bin | cmp - big.bin
 * See also: echo_server.c, greet_client.c.
 */
#include "cli.h"
#include "net.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "echo_client"
#define USAGE                                                                                      \
    "Usage: echo_client [-H HOST] [-p PORT] [-t SECONDS] [WORD... | -]   (default "                \
    "127.0.0.1:50007, 'Hello, world')"

/* Print "PROGRAM: ..." about received bytes, showing them escaped. */
static void report_partial(const char *what, const char *reply, size_t got, size_t expected)
{
    char *shown = malloc(ESCAPED_SIZE(got));
    if (shown != NULL)
        escape_bytes(reply, got, shown);
    fprintf(stderr, "%s: %s (%zu of %zu bytes came back: '%s')\n", PROGRAM, what, got, expected,
            shown != NULL ? shown : "...");
    free(shown);
}

/* Words mode: send MESSAGE and read its echo at the same time, until LEN bytes came
 * back. TIMEOUT_MS (-1: none) bounds the whole exchange. Returns the exit status. */
static int echo_words(int sock, const char *peer, const char *message, size_t len, int timeout_ms)
{
    char *reply = malloc(len + 1);
    size_t sent = 0, got = 0;
    long long deadline = net_monotonic_ms() + timeout_ms;
    int status = 0;

    if (reply == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    while (got < len && status == 0) {
        /* Ask for room to send only while something is left to send. */
        struct pollfd p = {.fd = sock, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        long long left = timeout_ms < 0 ? -1 : deadline - net_monotonic_ms();
        int ready = poll(&p, 1, timeout_ms < 0 ? -1 : left > 0 ? (int)left : 0);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
            status = 1;
        } else if (ready == 0) {
            char what[200];
            snprintf(what, sizeof what, "no complete echo from %s within %.3g s", peer,
                     timeout_ms / 1000.0);
            report_partial(what, reply, got, len);
            status = 1;
        }
        if (status != 0)
            break;
        if (sent < len && (p.revents & (POLLOUT | POLLERR))) {
            /* s.sendall(b'Hello, world'), a piece at a time: what fits now */
            ssize_t n = send(sock, message + sent, len - sent, 0);
            if (n >= 0) {
                sent += (size_t)n;
            } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                fprintf(stderr, "%s: send %s: %s\n", PROGRAM, peer, strerror(errno));
                status = 1;
                break;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            /* data = s.recv(1024): whatever part of the echo has arrived */
            ssize_t n = recv(sock, reply + got, len - got, 0);
            if (n > 0) {
                got += (size_t)n;
            } else if (n == 0) { /* the server closed before the whole echo came */
                char what[200];
                snprintf(what, sizeof what, "%s closed the connection early", peer);
                report_partial(what, reply, got, len);
                status = 1;
            } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                fprintf(stderr, "%s: recv %s: %s\n", PROGRAM, peer, strerror(errno));
                status = 1;
            }
        }
    }
    if (status == 0) {
        /* print('Received', repr(data)), as one write of the whole line: net_write_all
         * (stdio's printf would drop its buffer if a write were interrupted, EINTR) */
        static const char before[] = "Received '";
        char *line = malloc(sizeof before + ESCAPED_SIZE(len) + 1);
        if (line == NULL) {
            fprintf(stderr, "%s: out of memory\n", PROGRAM);
            status = 1;
        } else {
            memcpy(line, before, sizeof before - 1);
            size_t n = sizeof before - 1;
            n += escape_bytes(reply, len, line + n);
            line[n++] = '\'';
            line[n++] = '\n';
            if (net_write_all(STDOUT_FILENO, line, n) < 0) {
                fprintf(stderr, "%s: write stdout: %s\n", PROGRAM, strerror(errno));
                status = 1;
            }
            free(line);
        }
    }
    free(reply);
    return status;
}

/* "-" mode: standard input to the server, the echo to standard output, both at once.
 * Each direction has one buffer; poll() watches only what can make progress:
 * stdin while the upload buffer is empty, the socket for sending while it is not,
 * the socket for reading while the download buffer is empty, stdout while it is not.
 * Returns the exit status. */
static int stream_stdin(int sock, const char *peer)
{
    static char up[65536], down[65536]; /* stdin -> server, server -> stdout */
    size_t up_start = 0, up_end = 0, down_start = 0, down_end = 0;
    long long sent = 0, received = 0;
    bool stdin_open = true, server_open = true, half_closed = false;

    while (server_open || down_start < down_end) {
        short sock_events = (short)((up_start < up_end ? POLLOUT : 0) |
                                    (server_open && down_start == down_end ? POLLIN : 0));
        struct pollfd p[3] = {
            {.fd = stdin_open && up_start == up_end ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = sock_events != 0 ? sock : -1, .events = sock_events},
            {.fd = down_start < down_end ? STDOUT_FILENO : -1, .events = POLLOUT},
        };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
            return 1;
        }
        if (p[0].revents != 0) {
            ssize_t n = read(STDIN_FILENO, up, sizeof up);
            if (n > 0) {
                up_start = 0;
                up_end = (size_t)n;
            } else if (n == 0) {
                stdin_open = false;
            } else if (errno != EINTR && errno != EAGAIN) {
                fprintf(stderr, "%s: read stdin: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
        }
        if ((p[1].revents & (POLLOUT | POLLERR)) && up_start < up_end) {
            ssize_t n = send(sock, up + up_start, up_end - up_start, 0);
            if (n > 0) {
                up_start += (size_t)n;
                sent += n;
            } else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                fprintf(stderr, "%s: send %s: %s\n", PROGRAM, peer, strerror(errno));
                return 1;
            }
        }
        /* All of stdin is sent: half-close. The server sees EOF after our last byte,
         * and we go on reading its echo until it closes too. */
        if (!stdin_open && up_start == up_end && !half_closed) {
            shutdown(sock, SHUT_WR);
            half_closed = true;
        }
        if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && down_start == down_end &&
            server_open) {
            ssize_t n = recv(sock, down, sizeof down, 0);
            if (n > 0) {
                down_start = 0;
                down_end = (size_t)n;
                received += n;
            } else if (n == 0) {
                server_open = false;
            } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                fprintf(stderr, "%s: recv %s: %s\n", PROGRAM, peer, strerror(errno));
                return 1;
            }
        }
        if (p[2].revents != 0) {
            /* poll() promises room for PIPE_BUF bytes in a pipe, not for 64 KiB: write
             * no more than that, so that a slow reader of our stdout never blocks us. */
            size_t chunk = down_end - down_start < PIPE_BUF ? down_end - down_start : PIPE_BUF;
            ssize_t n = write(STDOUT_FILENO, down + down_start, chunk);
            if (n > 0) {
                down_start += (size_t)n;
            } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
                fprintf(stderr, "%s: write stdout: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
        }
    }
    if (!half_closed) {
        fprintf(stderr,
                "%s: %s closed the connection before the end of standard input (%lld bytes "
                "sent, %lld came back)\n",
                PROGRAM, peer, sent, received);
        return 1;
    }
    if (received != sent) {
        fprintf(stderr, "%s: %s closed the connection after echoing %lld of %lld bytes\n", PROGRAM,
                peer, received, sent);
        return 1;
    }
    return 0;
}

/* s = socket(AF_INET, SOCK_STREAM); s.connect((HOST, PORT)). Tries each address
 * getaddrinfo gives for HOST in turn (localhost may be ::1 and 127.0.0.1) until one
 * answers. Returns the connected socket, with the address it reached in PEER; or -1
 * after one line on stderr ("echo_client: connect 127.0.0.1:50007: Connection refused"). */
static int connect_to(const char *host, int port, char *peer, size_t peer_size)
{
    /* (HOST, PORT) -> socket addresses, IPv4 or IPv6, whichever HOST names. */
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *addresses;
    char service[8], error[256] = "";
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &addresses);
    if (rc != 0) { /* its own error codes; EAI_SYSTEM means "see errno" */
        fprintf(stderr, "%s: getaddrinfo %s: %s\n", PROGRAM, host,
                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int sock = -1;
    for (struct addrinfo *ai = addresses; ai != NULL && sock < 0; ai = ai->ai_next) {
        net_format_address(ai->ai_addr, peer, peer_size);
        /* s = socket.socket(socket.AF_INET, socket.SOCK_STREAM) */
        sock = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (sock < 0) {
            snprintf(error, sizeof error, "socket %s: %s", peer, strerror(errno));
            continue;
        }
        /* s.connect((HOST, PORT)): the handshake; it returns once the server's kernel
         * has answered (the server need not have called accept() yet). */
        if (connect(sock, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        snprintf(error, sizeof error, "connect %s: %s", peer, strerror(errno));
        close(sock);
        sock = -1;
    }
    freeaddrinfo(addresses);
    if (sock < 0)
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
    return sock;
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 50007, .min_port = 1};
    double timeout = 0; /* -t: 0, wait as long as it takes */
    const struct cli_option own[] = {
        {'t', "timeout", CLI_SECONDS, &timeout, "timeout", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", own, true, &options);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    bool streaming = optind < argc && strcmp(argv[optind], "-") == 0;
    if (streaming && optind + 1 < argc)
        return usage_error(PROGRAM, USAGE, "'-' (standard input) cannot go with words");

    /* data = " ".join(sys.argv[1:]) (lecture 001), or the lecture's b'Hello, world' */
    size_t len = 12;
    char *message = NULL;
    if (!streaming && optind < argc &&
        (message = join_words(argc - optind, argv + optind, &len)) == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    /* A send to a server that is gone fails with EPIPE instead of killing us, and a
     * closed stdout (`| head -c 10`) is an error we report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);

    char peer[NET_ADDRESS_SIZE];
    int sock = connect_to(options.host, options.port, peer, sizeof peer);
    /* From here poll() says when to send and when to receive. A non-blocking socket
     * makes send() take only what fits now, instead of waiting for room for all of it
     * while nobody reads the echo (see the top of this file). */
    if (sock >= 0 && net_set_blocking(sock, false) < 0) {
        fprintf(stderr, "%s: fcntl O_NONBLOCK: %s\n", PROGRAM, strerror(errno));
        close(sock);
        sock = -1;
    }
    if (sock < 0) {
        free(message);
        return 1;
    }
    if (streaming)
        status = stream_stdin(sock, peer);
    else
        status = echo_words(sock, peer, message != NULL ? message : "Hello, world", len,
                            timeout > 0 ? (int)(timeout * 1000) : -1);
    close(sock); /* the `with socket.socket(...) as s:` block ends */
    free(message);
    return status;
}
