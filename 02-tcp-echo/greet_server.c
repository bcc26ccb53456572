/* greet_server.c -- lecture 004's first server: greet each client, then hang up.
 *
 * Translates lecture 004, "Server Sederhana" (server.py):
 *
 *     s = socket.socket()
 *     host = socket.gethostname()
 *     port = 12345
 *     s.bind((host, port))
 *     s.listen(5)
 *     while True:
 *         c, addr = s.accept()
 *         print 'Got connection from', addr
 *         c.send('Thank you for connecting')
 *         c.close()
 *
 * The smallest server there is: the client need not send anything. It teaches the
 * accept loop, and that a server may speak first. The greeting is sent exactly as
 * the lecture's: 24 bytes, "Thank you for connecting", no newline.
 *
 * The lecture binds to gethostname(), this host's name; every kit server listens on
 * 127.0.0.1 unless told otherwise. `./greet_server -H "$(hostname)"` does what the
 * lecture does (if the name resolves to an address of this machine: netinfo shows it).
 *
 * The socket calls are in net.c (net.h): net_server_start (socket, SO_REUSEADDR, bind,
 * listen, the stop pipe and the listening line), net_accept (accept), net_send_all
 * (send, looped) and net_close_gracefully (close); echo_server.c makes each of those
 * calls itself: read it first.
 *
 * Usage: greet_server [-H HOST] [-p PORT] [-q]     (default 127.0.0.1:12345)
 *
 * Try:   ./greet_server                 (terminal 1)
 *        ./greet_client                 (terminal 2) -> Thank you for connecting
 *        nc 127.0.0.1 12345
 * See also: greet_client.c, netinfo.c (gethostname, getaddrinfo).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM  "greet_server"
#define USAGE    "Usage: greet_server [-H HOST] [-p PORT] [-q]   (default 127.0.0.1:12345)"
#define GREETING "Thank you for connecting"

int main(int argc, char *argv[])
{
    struct net_options options = {.host = "127.0.0.1", .port = 12345, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &options);
    if (status >= 0)
        return status;

    /* s = socket.socket(); s.bind((host, port)); s.listen(5) -- plus SO_REUSEADDR. */
    int listener = net_server_start(PROGRAM, options.host, options.port);
    if (listener < 0)
        return 1;
    for (status = 0;;) {
        char peer[NET_ADDRESS_SIZE];
        int client = net_accept(listener, -1, peer, sizeof peer, PROGRAM); /* s.accept() */
        if (client < 0) {
            status = errno == ECANCELED ? 0 : 1; /* a stop signal, or an error (reported) */
            break;
        }
        if (!options.quiet)
            fprintf(stderr, "Got connection from %s\n", peer);
        /* c.send(...): the lecture's send() may send only part; net_send_all cannot. */
        if (net_send_all(client, GREETING, strlen(GREETING)) < 0 && errno != ECANCELED &&
            !options.quiet)
            fprintf(stderr, "%s: send: %s\n", peer, strerror(errno));
        /* c.close(), politely: if the client did send something, we read it first,
         * since closing with unread data resets the connection (see net.h). We do not
         * wait for more: the next client should not wait for this one. */
        net_close_gracefully(client, 0);
    }
    net_server_end(listener);
    return status;
}
