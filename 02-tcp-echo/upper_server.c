/* upper_server.c -- lecture 001's socketserver example: one request, upper-cased.
 *
 * Translates lecture 001, "Example: echo-server" (Python's socketserver module):
 *
 *     class MyTCPSocketHandler(socketserver.BaseRequestHandler):
 *         def handle(self):
 *             self.data = self.request.recv(1024).strip()
 *             print("{} wrote:".format(self.client_address[0]))
 *             print(self.data)
 *             self.request.sendall(self.data.upper())
 *     HOST, PORT = "localhost", 9999
 *     server = socketserver.TCPServer((HOST, PORT), MyTCPSocketHandler)
 *     server.serve_forever()
 *
 * socketserver splits a server in two: the TCPServer owns the listening socket and
 * the accept loop (serve_forever), and calls a handler for each connection. Here the
 * same split is a function pointer: serve_forever() takes handle_upper() and calls it
 * with each accepted connection, then closes it the way socketserver does
 * (shutdown(SHUT_WR), then close).
 *
 * The protocol is the lecture's, byte for byte: ONE recv of at most 1024 bytes per
 * connection, strip the surrounding whitespace, send it back upper-cased, close. So a
 * request that arrives in two pieces is answered after the first piece only: TCP
 * does not keep messages apart, and one recv() is not one message. The
 * lecture's client gets away with it because its message is small and sent at once.
 *
 * TCPServer is synchronous: one connection at a time (see 04-threaded-server for
 * ThreadingMixIn), so a client that connects and sends nothing holds up everyone
 * behind it, here as in Python. Each request is logged to stderr as
 * "HOST wrote: DATA" (the data escaped like Python's repr; -q: no log).
 *
 * The socket calls are in net.c (net.h): net_server_start (socket, SO_REUSEADDR, bind,
 * listen, the stop pipe and the listening line), net_accept (accept), net_wait (poll,
 * and the stop pipe), net_send_all (sendall), net_close_gracefully (shutdown, then close);
 * echo_server.c makes each of those calls itself: read it first.
 *
 * Usage: upper_server [-H HOST] [-p PORT] [-q]     (default 127.0.0.1:9999)
 *
 * Try:   ./upper_server                       (terminal 1)
 *        ./echo_client -p 9999 hello world     (terminal 2) -> Received 'HELLO WORLD'
 *        printf '  spaces around  \n' | nc 127.0.0.1 9999   -> SPACES AROUND
 * See also: echo_server.c (the same loop, echoing until the client closes).
 */
#include "cli.h"
#include "net.h"
#include "text.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "upper_server"
#define USAGE   "Usage: upper_server [-H HOST] [-p PORT] [-q]   (default 127.0.0.1:9999)"

/* After the reply, how long we read and discard what a client still sends before we
 * close (see net_close_gracefully in net.h): a client that sent more than 1024 bytes then
 * gets our reply and a clean end, not a reset. */
#define LINGER_MS 1000

/* socketserver's request: the connection, and who is at the other end. */
struct request {
    int conn;
    const char *client_host; /* self.client_address[0] */
    bool quiet;
};

/* The handler: MyTCPSocketHandler.handle(). */
static void handle_upper(const struct request *request)
{
    char data[1024];
    char shown[ESCAPED_SIZE(sizeof data)];

    /* self.request.recv(1024): wait until something arrived (or we are stopped). A
     * recv interrupted by a signal (EINTR) has received nothing: it is not the one
     * recv of the protocol, so we wait and try again, as Python's recv does (PEP 475). */
    ssize_t n;
    do {
        if (net_wait(request->conn, POLLIN, -1) < 0)
            return;
        n = recv(request->conn, data, sizeof data, 0); /* (data is there: it does not wait) */
    } while (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK));
    if (n < 0) {
        if (!request->quiet)
            fprintf(stderr, "%s: recv: %s\n", request->client_host, strerror(errno));
        return;
    }
    size_t start, len = strip_whitespace(data, (size_t)n, &start); /* .strip() */
    escape_bytes(data + start, len, shown);
    if (!request->quiet)
        fprintf(stderr, "%s wrote: %s\n", request->client_host, shown);
    upper_ascii(data + start, len); /* .upper() */
    if (net_send_all(request->conn, data + start, len) < 0 && !request->quiet && errno != ECANCELED)
        fprintf(stderr, "%s: send: %s\n", request->client_host, strerror(errno));
}

/* TCPServer.serve_forever(): accept a connection, hand it to HANDLER, close it; until a
 * stop signal comes. Returns the exit status. */
static int serve_forever(int listener, bool quiet, void (*handler)(const struct request *))
{
    for (;;) {
        char peer[NET_ADDRESS_SIZE];
        int conn = net_accept(listener, -1, peer, sizeof peer, PROGRAM);
        if (conn < 0)
            return errno == ECANCELED ? 0 : 1; /* a stop signal, or an error (reported) */
        /* client_address[0] is the host alone: cut ":port" (and IPv6's brackets). */
        char *colon = strrchr(peer, ':');
        *colon = '\0';
        char *host = peer[0] == '[' ? peer + 1 : peer;
        host[strcspn(host, "]")] = '\0';

        struct request request = {.conn = conn, .client_host = host, .quiet = quiet};
        handler(&request);
        net_close_gracefully(conn, LINGER_MS); /* socketserver's shutdown_request */
    }
}

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 9999, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &options);
    if (status >= 0)
        return status;

    /* socketserver.TCPServer((HOST, PORT), ...) binds and listens in its constructor.
     * (It sets SO_REUSEADDR only if allow_reuse_address is True; every kit server does.) */
    int listener = net_server_start(PROGRAM, options.host, options.port);
    if (listener < 0)
        return 1;
    status = serve_forever(listener, options.quiet, handle_upper);
    net_server_end(listener);
    return status;
}
