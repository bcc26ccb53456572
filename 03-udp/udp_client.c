/* udp_client.c -- the lecture's UDP client, with the timeout and retries UDP needs.
 *
 * Translates lecture 003, "Cliente UDP":
 *
 *     HOST, PORT = '127.0.0.1', 20000
 *     udp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
 *     data = "TEST"
 *     if (udp_client_socket.sendto(data, (HOST, PORT))):
 *         print "Sending message"
 *     udp_client_socket.close()
 *
 * What it teaches: lecture 002's point that UDP is fast but gives no guarantee. The
 * lecture's client sends and hopes. Ours waits for the echo, and when none comes
 * within the timeout (default 1 s) it sends again, up to -r times (default 3); then it
 * says `no reply after N tries` and exits 1. A reply may be lost, or the request may
 * be lost, or nobody listens: from here these look the same. (Nobody listening is not
 * even an error: on an unconnected UDP socket the kernel's "port unreachable" answer
 * is not reported. A connect()ed UDP socket would get ECONNREFUSED.)
 *
 * Anyone can send a datagram to our port. We accept a reply only if recvfrom says it
 * comes from the address we sent to; anything else is ignored (and noted on stderr).
 * (connect() on a UDP socket makes the kernel do that filtering; we do it by hand
 * to show it.)
 *
 * UDP has no sequence numbers: a late reply to one message can be taken for the reply
 * to the next. Real protocols number their messages; this one is an echo.
 *
 * Input: the words joined by spaces, as one datagram (default the lecture's "TEST");
 * or `-`: each line of standard input (without its newline) is one datagram, and
 * the first one without a reply ends the program.
 * Output: `Received 'TEXT'` per reply (bytes shown as Python's repr shows them).
 *
 * The socket calls: net_udp_client (net.c: getaddrinfo, socket) and udp_send (udp.c:
 * sendto, waiting for room); recvfrom is here. From net.c (net.h, as in 02-tcp-echo):
 * net_wait (poll), net_format_address, net_write_all, net_monotonic_ms.
 *
 * Usage: udp_client [-H HOST] [-p PORT] [-t SECONDS] [-r TRIES] [WORD... | -]
 *
 * Try:   ./udp_server &  ./udp_client hello        -> Received 'hello'
 *        ./udp_client -p 1 -t 0.2 hello            -> no reply after 3 tries
 *        kill -STOP the server, run a client, kill -CONT it: late replies, duplicates
 * See also: udp_server.c.
 */
#include "cli.h"
#include "net.h"
#include "text.h"
#include "udp.h"

#include <errno.h>
#include <float.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "udp_client"
#define USAGE                                                                                      \
    "Usage: udp_client [-H HOST] [-p PORT] [-t SECONDS] [-r TRIES] [WORD... | -]   (default "      \
    "127.0.0.1:20000, 1 s, 3 tries, 'TEST')"

struct server {
    int sock;
    struct sockaddr_storage address; /* where we send, and where replies must come from */
    socklen_t len;
    char text[NET_ADDRESS_SIZE];
    int timeout_ms;
    long tries;
};

/* Wait up to the timeout for a datagram from the server; ignore (and note) datagrams
 * from anyone else. Returns the reply's size (the reply is in REPLY; 0 is a valid,
 * empty reply), -1 on timeout, -2 on an error (reported). */
static ssize_t await_reply(const struct server *server, char *reply, size_t size)
{
    long long deadline = net_monotonic_ms() + server->timeout_ms;

    for (;;) {
        long long left = deadline - net_monotonic_ms();
        int ready = net_wait(server->sock, POLLIN, left > 0 ? (int)left : 0);
        if (ready == 0)
            return -1;
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n =
            ready < 0 ? -1
                      : recvfrom(server->sock, reply, size, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: recvfrom: %s\n", PROGRAM, strerror(errno));
            return -2;
        }
        /* data, addr = recvfrom(...): addr says who sent it. Not the server? Ignore. */
        if (!udp_same_address((struct sockaddr *)&from, (struct sockaddr *)&server->address)) {
            char who[NET_ADDRESS_SIZE];
            net_format_address((struct sockaddr *)&from, who, sizeof who);
            fprintf(stderr, "%s: ignored a datagram from %s (not %s)\n", PROGRAM, who,
                    server->text);
            continue;
        }
        return n;
    }
}

/* Send MESSAGE and wait for its reply, sending again after each timeout. Prints the
 * reply. Returns the exit status. */
static int ask(const struct server *server, const char *message, size_t len)
{
    static const char before[] = "Received '";
    static char reply[65536], line[sizeof before + ESCAPED_SIZE(sizeof reply) + 1];

    for (long attempt = 1; attempt <= server->tries; attempt++) {
        /* sendto(data, (HOST, PORT)): the whole datagram, or an error such as
         * "Message too long" (more than 65507 bytes over IPv4). */
        if (udp_send(server->sock, message, len, (struct sockaddr *)&server->address, server->len,
                     server->timeout_ms) < 0) {
            fprintf(stderr, "%s: sendto %s: %s\n", PROGRAM, server->text, strerror(errno));
            return 1;
        }
        ssize_t n = await_reply(server, reply, sizeof reply);
        if (n == -2)
            return 1;
        if (n >= 0) {
            /* One line per reply, as it comes, even into a pipe: written at once, whole
             * (net_write_all: no stdio buffer to lose when a write is interrupted). */
            memcpy(line, before, sizeof before - 1);
            size_t end = sizeof before - 1;
            end += escape_bytes(reply, (size_t)n, line + end);
            line[end++] = '\'';
            line[end++] = '\n';
            if (net_write_all(STDOUT_FILENO, line, end) < 0) {
                fprintf(stderr, "%s: write stdout: %s\n", PROGRAM, strerror(errno));
                return 1;
            }
            return 0;
        }
        if (attempt < server->tries)
            fprintf(stderr, "%s: no reply within %.3g s, sending again (try %ld of %ld)\n", PROGRAM,
                    server->timeout_ms / 1000.0, attempt + 1, server->tries);
    }
    fprintf(stderr, "%s: no reply after %ld tries\n", PROGRAM, server->tries);
    return 1;
}

/* `-`: one datagram per line of standard input. Returns the exit status. */
static int ask_each_line(const struct server *server)
{
    static char chunk[65536];
    struct line_buffer lines = LINE_BUFFER_INIT;
    bool at_end = false;
    int status = 0;

    while (status == 0) {
        const char *line;
        size_t len;
        if (line_buffer_next(&lines, at_end, &line, &len)) {
            status = ask(server, line, len);
            continue;
        }
        if (at_end)
            break;
        /* read() gives what has arrived: part of a line, or several lines */
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n > 0 && line_buffer_add(&lines, chunk, (size_t)n) < 0) {
            fprintf(stderr, "%s: out of memory\n", PROGRAM);
            status = 1;
        } else if (n == 0) {
            at_end = true;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            net_wait(STDIN_FILENO, POLLIN, -1); /* a non-blocking stdin */
        } else if (n < 0 && errno != EINTR) {
            fprintf(stderr, "%s: read stdin: %s\n", PROGRAM, strerror(errno));
            status = 1;
        }
    }
    line_buffer_free(&lines);
    return status;
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 20000, .min_port = 1};
    double timeout = 1.0;
    long tries = 3;
    const struct cli_option own[] = {
        /* above 0: DBL_MIN is the smallest positive double (a timeout of 0 s would
         * give up before any reply could come) */
        {'t', "timeout", CLI_SECONDS, &timeout, "timeout", DBL_MIN, 0, "seconds above 0", NULL},
        {'r', "tries", CLI_LONG, &tries, "tries", 1, 100, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", own, true, &options);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    int streaming = optind < argc && strcmp(argv[optind], "-") == 0;
    if (streaming && optind + 1 < argc)
        return usage_error(PROGRAM, USAGE, "'-' (standard input) cannot go with words");

    size_t len = 4;
    char *message = NULL;
    if (!streaming && optind < argc &&
        (message = join_words(argc - optind, argv + optind, &len)) == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    net_ignore_sigpipe(); /* a closed stdout is reported, not a silent death */

    /* udp_client_socket = socket.socket(AF_INET, SOCK_DGRAM): no connect() needed */
    struct server server = {.timeout_ms = (int)(timeout * 1000), .tries = tries};
    char error[256];
    if (server.timeout_ms < 1)
        server.timeout_ms = 1;
    server.sock = net_udp_client(options.host, options.port, &server.address, &server.len, error,
                                 sizeof error);
    /* Non-blocking: poll() says when to read, and a full send buffer is waited for
     * with a deadline (udp_send), never inside a sendto() that no timeout can end. */
    if (server.sock >= 0 && net_set_blocking(server.sock, false) < 0) {
        snprintf(error, sizeof error, "fcntl O_NONBLOCK: %s", strerror(errno));
        close(server.sock);
        server.sock = -1;
    }
    if (server.sock < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        free(message);
        return 1;
    }
    net_format_address((struct sockaddr *)&server.address, server.text, sizeof server.text);
    if (streaming)
        status = ask_each_line(&server);
    else
        status = ask(&server, message != NULL ? message : "TEST", len);
    close(server.sock);
    free(message);
    return status;
}
