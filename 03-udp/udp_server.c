/* udp_server.c -- the lecture's UDP server: recvfrom, print, and send it back.
 *
 * Translates lecture 003, "Servidor UDP" (and lecture 002's sendto/recvfrom):
 *
 *     HOST, PORT = '127.0.0.1', 20000
 *     udp_server_sock = socket(AF_INET, SOCK_DGRAM)
 *     udp_server_sock.bind(addr)
 *     while 1:
 *         data, addr = udp_server_sock.recvfrom(buf)
 *         if not data: break
 *         print "\nReceived message '", data, "'"
 *     udp_server_sock.close()
 *
 * What it teaches: UDP has no connection. No listen(), no accept(): one socket
 * receives every client's datagrams, and each comes with its sender's address, which
 * is where the reply goes (sendto). A datagram is a message with edges: one sendto is
 * one recvfrom, whole or not at all; unlike TCP's byte stream, it is never split or
 * glued to another. But nothing promises it arrives (see udp_client.c).
 *
 * Each datagram gets one line on stderr (-q: none): its size, its sender, and its
 * bytes, escaped like Python's repr (\t \n \r \\ \' \xHH). Then it goes back to the
 * sender unchanged (-u: upper-cased), as an echo server; the lecture's server only
 * printed.
 *
 * Three corners the lecture's `recvfrom(buf)` hides:
 * - A datagram bigger than the buffer is cut to fit, and the rest is thrown away,
 *   silently. We use recvmsg(), which sets MSG_TRUNC when that happened (and, on
 *   Linux, asked with MSG_TRUNC, tells the real size), and report it instead of echoing
 *   a damaged datagram. -b BYTES sets the buffer (default 65536, enough for the
 *   largest UDP datagram over IPv4, 65507 bytes) so you can watch it happen.
 * - An empty datagram (0 bytes) is a datagram like any other. The lecture's
 *   `if not data: break` makes it a stop command that anyone can send; here it is
 *   echoed (empty), and the server stops on SIGINT/SIGTERM only.
 * - The sender's address is whatever the datagram says, and anyone with a raw socket
 *   can write any address there ("spoofing"). Answering it blindly makes a loop: a
 *   datagram forged as coming from our own port gets a reply from us to us, forever.
 *   The server does not answer its own port, nor ports below 1024 (system services
 *   such as echo and chargen would loop with it): see udp_reply_would_loop in udp.h.
 *
 * The socket calls: udp_bind (udp.c: getaddrinfo, socket, bind) and udp_send (sendto,
 * waiting for room); recvmsg is here. From net.c (the kit's socket helpers, net.h, as in
 * 02-tcp-echo): the stop pipe (net_stop_install), net_wait (poll, and the stop pipe),
 * net_print_listening and net_format_address.
 *
 * Usage: udp_server [-H HOST] [-p PORT] [-b BYTES] [-u] [-q]   (default 127.0.0.1:20000)
 *
 * Try:   ./udp_server                         (terminal 1)
 *        ./udp_client hello                   (terminal 2)  -> Received 'hello'
 *        ./udp_server -b 8, then ./udp_client -r 1 "more than eight bytes"
 * See also: udp_client.c; 02-tcp-echo/echo_server.c (the same over TCP).
 */
#include "cli.h"
#include "net.h"
#include "text.h"
#include "udp.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "udp_server"
#define USAGE                                                                                      \
    "Usage: udp_server [-H HOST] [-p PORT] [-b BYTES] [-u] [-q]   (default 127.0.0.1:20000, -b "   \
    "65536)"

/* The log shows at most this many bytes of a datagram (then "..."): a 64 KiB line
 * would hide everything else. */
#define SHOWN_BYTES 200

/* How long a reply may wait for room in a full send buffer before it is dropped. */
#define SEND_WAIT_MS 50

/* On Linux, recvmsg() with MSG_TRUNC returns the datagram's real length even when the
 * buffer was smaller. Elsewhere (and with PORTABLE=1) only the MSG_TRUNC flag in
 * msg_flags says it happened, which POSIX has. */
#if defined(__linux__) && !defined(KIT_PORTABLE)
#define REAL_LENGTH MSG_TRUNC
#else
#define REAL_LENGTH 0
#endif

/* One line on stderr about a datagram of SIZE bytes from FROM, of which KEPT are in
 * DATA; TRUNCATED says the buffer was too small. */
static void log_datagram(const char *from, const char *data, size_t kept, size_t size,
                         int truncated, long buffer_size)
{
    static char shown[ESCAPED_SIZE(SHOWN_BYTES)];
    size_t show = kept < SHOWN_BYTES ? kept : SHOWN_BYTES;

    escape_bytes(data, show, shown);
    if (truncated && size > kept)
        fprintf(stderr,
                "received %zu bytes from %s: TRUNCATED to the %ld-byte buffer (-b), not "
                "echoed: '%s'...\n",
                size, from, buffer_size, shown);
    else if (truncated) /* (not Linux: the real size is unknown) */
        fprintf(stderr,
                "received more than %ld bytes from %s: TRUNCATED to the buffer (-b), not "
                "echoed: '%s'...\n",
                buffer_size, from, shown);
    else if (show < kept)
        fprintf(stderr, "received %zu bytes from %s: '%s'... (%zu more bytes)\n", size, from, shown,
                kept - show);
    else
        fprintf(stderr, "received %zu byte%s from %s: '%s'\n", size, size == 1 ? "" : "s", from,
                shown);
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 20000, .min_port = 0};
    long buffer_size = 65536;
    bool upper = false;
    const struct cli_option own[] = {
        {'b', "buffer", CLI_LONG, &buffer_size, "buffer size", 1, 65536, NULL, NULL},
        {'u', "upper", CLI_FLAG, &upper, "upper", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", own, false, &options);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */

    char error[256];
    if (net_stop_install() < 0) {
        fprintf(stderr, "%s: installing signal handlers: %s\n", PROGRAM, strerror(errno));
        return 1;
    }
    /* udp_server_sock = socket(AF_INET, SOCK_DGRAM); udp_server_sock.bind(addr) */
    int sock = udp_bind(options.host, options.port, error, sizeof error);
    char *buffer = malloc((size_t)buffer_size);
    /* Our own address, to refuse to answer datagrams forged as coming from it. */
    struct sockaddr_storage self;
    socklen_t self_len = sizeof self;
    if (sock >= 0 && getsockname(sock, (struct sockaddr *)&self, &self_len) < 0) {
        snprintf(error, sizeof error, "getsockname: %s", strerror(errno));
        close(sock);
        sock = -1;
    }
    if (sock < 0 || buffer == NULL || net_print_listening(sock, error, sizeof error) < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, buffer == NULL ? "out of memory" : error);
        if (sock >= 0)
            close(sock);
        free(buffer);
        net_stop_remove();
        return 1;
    }

    for (status = 0;;) {
        struct sockaddr_storage sender;
        char from[NET_ADDRESS_SIZE];

        if (net_wait(sock, POLLIN, -1) < 0) {
            if (errno != ECANCELED) {
                fprintf(stderr, "%s: poll: %s\n", PROGRAM, strerror(errno));
                status = 1;
            }
            break;
        }
        /* data, addr = recvfrom(buf), with recvmsg to learn about truncation */
        struct iovec part = {.iov_base = buffer, .iov_len = (size_t)buffer_size};
        struct msghdr message = {
            .msg_name = &sender, .msg_namelen = sizeof sender, .msg_iov = &part, .msg_iovlen = 1};
        ssize_t size = recvmsg(sock, &message, REAL_LENGTH); /* (a non-blocking socket) */
        if (size < 0) {
            int error_number = errno;
            if (error_number == EAGAIN || error_number == EWOULDBLOCK || error_number == EINTR)
                continue;
            fprintf(stderr, "%s: recvmsg: %s\n", PROGRAM, strerror(error_number));
            if (error_number != EBADF && error_number != EFAULT && error_number != EINVAL &&
                error_number != ENOTSOCK)
                continue; /* e.g. ENOBUFS, or an ICMP error: it costs one datagram */
            status = 1;   /* a bug of ours, not something a client did */
            break;
        }
        int truncated = (message.msg_flags & MSG_TRUNC) != 0;
        size_t kept = (size_t)size < part.iov_len ? (size_t)size : part.iov_len;
        net_format_address((struct sockaddr *)&sender, from, sizeof from);
        if (!options.quiet)
            log_datagram(from, buffer, kept, (size_t)size, truncated, buffer_size);
        if (truncated)
            continue; /* the rest is lost: an echo would be a lie */
        if (udp_reply_would_loop((struct sockaddr *)&sender, (struct sockaddr *)&self)) {
            if (!options.quiet) /* (a forged source: see udp_reply_would_loop in udp.h) */
                fprintf(stderr, "%s: not answering %s: a reply there could loop forever\n", PROGRAM,
                        from);
            continue;
        }
        if (upper)
            upper_ascii(buffer, kept);
        /* sendto(data, addr): one datagram back, to whoever sent this one. It is sent
         * whole or not at all. A full send buffer is waited for SEND_WAIT_MS at most
         * (one client must not hold up the others), then this reply is lost, as a
         * datagram on the network can be: the client's retry is its remedy. */
        if (udp_send(sock, buffer, kept, (struct sockaddr *)&sender, message.msg_namelen,
                     SEND_WAIT_MS) < 0) {
            if (errno == ECANCELED)
                break; /* a stop signal while we waited */
            if (!options.quiet)
                fprintf(stderr, "%s: sendto %s: %s\n", PROGRAM, from, strerror(errno));
        }
    }
    close(sock);
    free(buffer);
    net_stop_remove();
    return status;
}
