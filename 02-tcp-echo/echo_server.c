/* echo_server.c -- the lecture's echo server: one client at a time, every byte back.
 *
 * Translates lecture 002, "Echo Esimerkki" (Python's socket documentation example):
 *
 *     HOST = '127.0.0.1'
 *     PORT = 50007
 *     with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
 *         s.bind((HOST, PORT))
 *         s.listen(1)
 *         conn, addr = s.accept()
 *         with conn:
 *             print('Connected by', addr)
 *             while True:
 *                 data = conn.recv(1024)
 *                 if not data:
 *                     break
 *                 conn.sendall(data)
 *
 * What it teaches: the server's life cycle (socket, bind, listen, accept, recv,
 * send, close) and that TCP is a byte stream: recv returns whatever has arrived, 1 byte
 * or 64 KiB, never "one message"; recv returning 0 means the client closed (or only
 * half-closed: shutdown(SHUT_WR), "I have sent everything") its side.
 *
 * Like the lecture it is ITERATIVE: it serves one client until that client closes,
 * and only then accepts the next. Unlike the lecture it does not end after its first
 * client: it loops back to accept() (the lecture's threaded variant does the same).
 * A second client meanwhile is not refused: the kernel completes its connection and
 * queues it (the listen backlog) and its bytes wait in the kernel until our accept().
 *
 * Usage: echo_server [-H HOST] [-p PORT] [-q]     (default 127.0.0.1:50007)
 *
 * Try:   ./echo_server                  (terminal 1)
 *        ./echo_client hello there      (terminal 2)  -> Received 'hello there'
 *        nc 127.0.0.1 50007             (terminal 2 and 3: the second waits its turn)
 * See also: echo_client.c; 04-threaded-server (many clients at once).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "echo_server"
#define USAGE   "Usage: echo_server [-H HOST] [-p PORT] [-q]   (default 127.0.0.1:50007)"

/* Echo everything CLIENT sends until it closes, resets, or a stop signal comes.
 * Returns the number of bytes echoed; a problem is described in *WHY (else ""). */
static long long serve_client(int client, int stop_fd, const char **why)
{
    /* One buffer, reused: memory stays the same whatever the client does. The lecture
     * reads 1024 bytes at a time; 64 KiB means fewer system calls for big transfers. */
    static char buffer[65536];
    long long echoed = 0;

    *why = "";
    for (;;) {
        /* conn.recv(): wait for data (or the stop pipe), then take what is there. */
        if (wait_for(client, POLLIN, stop_fd, -1) < 0) {
            *why = errno == ECANCELED ? "server stopping" : strerror(errno);
            return echoed;
        }
        ssize_t n = recv(client, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0) /* `if not data: break`: the client closed or half-closed */
            return echoed;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            *why = strerror(errno); /* typically "Connection reset by peer" */
            return echoed;
        }
        /* conn.sendall(data): every byte, however many send() calls that takes. A
         * client that never reads makes this wait (for room, or for a stop signal):
         * memory stays bounded because we read no more until this is sent. */
        if (send_all(client, buffer, (size_t)n, stop_fd) < 0) {
            *why = errno == ECANCELED ? "server stopping" : strerror(errno);
            return echoed;
        }
        echoed += n;
    }
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 50007, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", false, &options);
    if (status >= 0)
        return status;

    /* socket(AF_INET, SOCK_STREAM), SO_REUSEADDR, bind((HOST, PORT)), listen() */
    int stop_fd, listener = start_server(PROGRAM, options.host, options.port, &stop_fd);
    if (listener < 0)
        return 1;
    for (status = 0;;) {
        char peer[ADDRESS_TEXT_SIZE];
        const char *why;

        /* conn, addr = s.accept(): the next client, or -1 when we are told to stop. */
        int client = accept_client(listener, stop_fd, peer, PROGRAM);
        if (client < 0) {
            status = errno == ECANCELED ? 0 : 1; /* a stop signal, or an error (reported) */
            break;
        }
        if (!options.quiet)
            fprintf(stderr, "connected %s\n", peer); /* print('Connected by', addr) */
        long long echoed = serve_client(client, stop_fd, &why);
        close(client); /* the `with conn:` block ends */
        if (!options.quiet)
            fprintf(stderr, "closed %s after echoing %lld bytes%s%s\n", peer, echoed,
                    *why ? ": " : "", why);
    }
    stop_server(listener);
    return status;
}
