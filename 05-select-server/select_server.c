/* select_server.c -- lecture 000's "Satu Server": select() on the listening socket and on
 * standard input, and a thread per client.
 *
 * Translates lecture 000, "Contoh Thread dan Socket: Satu Server":
 *
 *     def run(self):
 *         self.open_socket()
 *         input_list = [self.server, sys.stdin]
 *         running = 1
 *         while running:
 *             input_ready, _, _ = select.select(input_list, [], [])
 *             for s in input_ready:
 *                 if s == self.server:
 *                     client_socket, client_address = self.server.accept()
 *                     c = Client(client_socket, client_address)
 *                     c.start()
 *                     self.threads.append(c)
 *                 elif s == sys.stdin:
 *                     _ = sys.stdin.readline()
 *                     running = 0
 *         self.server.close()
 *         for c in self.threads:
 *             c.join()
 *
 *     class Client(threading.Thread):
 *         def run(self):
 *             while running:
 *                 data = self.client.recv(self.size)
 *                 print('received:', self.address, data)
 *                 if data: self.client.send(data)
 *                 else: self.client.close(); running = 0
 *
 * The first architecture of the lecture: one server (the main thread, which only watches
 * and accepts) and many client threads (each echoes one client and prints what it got).
 * select() is what lets the main thread wait for two things at once: a new connection on
 * the listener, and the operator pressing Enter on standard input. (The code calls
 * pselect(), select with a signal mask for the time of the wait: see pselect_setup.h.)
 *
 * Pressing Enter stops the server: it closes the listener, then, unlike the lecture (whose
 * join would wait forever for a client that stays connected), shuts every client socket
 * down so that each thread's recv returns, and joins every thread before exit 0.
 * It also stops on SIGINT/SIGTERM, and on end of file on standard input (Ctrl-D, or the
 * program feeding the pipe closes it).
 *
 * Standard input is watched only when it is a terminal, a pipe or a socket: where a line
 * can still come. When it is /dev/null or a regular file (`./select_server < /dev/null &`,
 * a service, a test harness), select() would report it readable at once, forever, with
 * end of file: the server would stop before serving anyone. So then it is not watched (a
 * note on stderr says so) and only a signal stops the server.
 *
 * Each client holds a descriptor (and a thread): the server raises its soft limit on open
 * files to the hard one at start (as Redis does to fit its maxclients), so that a shell's
 * low default (macOS: 256) is not what limits it.
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line) called by pselect_server_start() in
 * pselect_setup.c (the signal mask, the FD_SETSIZE check), net_accept_one() (accept
 * without waiting: select did the waiting) and net_send_all(). pselect() is here.
 *
 * Usage: select_server [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 5000, the lecture's)
 *
 * Try:   terminal 1: ./select_server          then press Enter to stop it
 *        terminal 2: nc 127.0.0.1 5000        type lines: echoed, and printed in terminal 1
 *        terminal 3: nc 127.0.0.1 5000        both at once; then press Enter in terminal 1
 * See also: select_echo.c (select for the clients too: one thread for everything),
 *           04-threaded-server/threaded_server.c (the same, without stdin).
 */
#include "bytes_repr.h"
#include "cli.h"
#include "net.h"
#include "pselect_setup.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "select_server"
#define USAGE   "Usage: select_server [-H HOST] [-p PORT] [-q]   (default port 5000)"

/* self.size in the lecture: what one recv may return. */
#define RECV_SIZE 1024

struct server;

/* class Client(threading.Thread) */
struct client {
    pthread_t thread;
    int fd;                         /* self.client */
    char address[NET_ADDRESS_SIZE]; /* self.address */
    struct server *server;
    struct client *prev, *next; /* in server->connected, then in server->finished */
};

/* class Server */
struct server {
    int listener; /* self.server */
    bool quiet;
    pthread_mutex_t lock;       /* guards the two lists */
    pthread_cond_t client_left; /* signalled when a client moves to `finished` */
    struct client *connected;   /* self.threads still running: shut down on stop */
    struct client *finished;    /* returned from run(), waiting for pthread_join */
};

/* Take CLIENT out of `connected` (server->lock held). */
static void unlink_connected(struct server *server, struct client *client)
{
    if (client->prev != NULL)
        client->prev->next = client->next;
    else
        server->connected = client->next;
    if (client->next != NULL)
        client->next->prev = client->prev;
}

/* Client.run(): echo, and print what was received, until the client closes. */
static void *client_run(void *arg)
{
    struct client *self = arg;
    struct server *server = self->server;
    int fd = self->fd;
    char data[RECV_SIZE], text[BYTES_REPR_SIZE(RECV_SIZE)];

    for (;;) {
        ssize_t n = recv(fd, data, sizeof data, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (!server->quiet)
                fprintf(stderr, "closed %s: %s\n", self->address, strerror(errno));
            break;
        }
        if (!server->quiet) { /* print('received:', self.address, data) */
            bytes_repr(data, (size_t)n, text, sizeof text);
            fprintf(stderr, "received: %s %s\n", self->address, text);
        }
        if (n == 0)
            break; /* b'': the client closed */
        if (net_send_all(fd, data, (size_t)n) < 0) {
            if (!server->quiet)
                fprintf(stderr, "closed %s: %s\n", self->address, strerror(errno));
            break;
        }
    }
    /* Last act: move to `finished`; the main thread may then join and free us. The fd is
     * closed after, from our copy: a stop never shuts down a finished client's number. */
    pthread_mutex_lock(&server->lock);
    unlink_connected(server, self);
    self->next = server->finished;
    server->finished = self;
    pthread_cond_signal(&server->client_left);
    pthread_mutex_unlock(&server->lock);
    close(fd);
    return NULL;
}

/* Join the clients whose thread has returned, and free them. */
static void join_finished(struct server *server)
{
    pthread_mutex_lock(&server->lock);
    struct client *list = server->finished;
    server->finished = NULL;
    pthread_mutex_unlock(&server->lock);
    while (list != NULL) {
        struct client *next = list->next;
        pthread_join(list->thread, NULL);
        free(list);
        list = next;
    }
}

/* c = Client(client_socket, client_address); c.start(); self.threads.append(c) */
static void start_client(struct server *server, int fd, const char *address)
{
    struct client *client = calloc(1, sizeof *client);
    int rc = ENOMEM;
    if (client != NULL) {
        client->fd = fd;
        client->server = server;
        snprintf(client->address, sizeof client->address, "%s", address);
        pthread_mutex_lock(&server->lock);
        client->next = server->connected;
        if (server->connected != NULL)
            server->connected->prev = client;
        server->connected = client;
        pthread_mutex_unlock(&server->lock);

        /* The thread inherits the main thread's mask: SIGINT and SIGTERM blocked. */
        rc = pthread_create(&client->thread, NULL, client_run, client);
        if (rc == 0)
            return;
        pthread_mutex_lock(&server->lock);
        unlink_connected(server, client);
        pthread_mutex_unlock(&server->lock);
        free(client);
    }
    fprintf(stderr, "%s: pthread_create: %s: dropping %s\n", PROGRAM, strerror(rc), address);
    close(fd);
}

/* Standard input can still bring a line when it is a terminal, a pipe or a socket. */
static bool stdin_is_interactive(void)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) < 0)
        return false; /* closed */
    return isatty(STDIN_FILENO) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

/* Read what standard input has. Returns true when the server must stop: a whole line
 * (sys.stdin.readline()), end of file, or an error. Reads with read(2), not stdio: a
 * FILE buffer could hold a line that select() can no longer see. */
static bool stdin_says_stop(void)
{
    char chunk[256];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0)
        return errno != EINTR && errno != EAGAIN;
    return n == 0 || memchr(chunk, '\n', (size_t)n) != NULL;
}

/* Server.run(): the select loop. Returns when it is time to stop. SIGINT and SIGTERM are
 * blocked except inside pselect (WAIT_MASK), so their handler runs only there
 * (pselect_setup.h). */
static void run(struct server *server, bool watch_stdin, const sigset_t *wait_mask)
{
    bool waiting_for_resources = false;
    for (;;) {
        fd_set input_list;
        FD_ZERO(&input_list);
        FD_SET(net_stop_fd(), &input_list);
        int max_fd = net_stop_fd();
        if (!waiting_for_resources) {
            FD_SET(server->listener, &input_list);
            max_fd = server->listener > max_fd ? server->listener : max_fd;
        }
        if (watch_stdin)
            FD_SET(STDIN_FILENO, &input_list);
        /* Out of descriptors, the listener stays readable: look again in 100 ms only. */
        struct timespec retry = {0, 100 * 1000 * 1000};
        int ready = pselect(max_fd + 1, &input_list, NULL, NULL,
                            waiting_for_resources ? &retry : NULL, wait_mask);
        if (ready < 0 && errno == EINTR) {
            if (net_stop_requested()) /* a signal interrupted the wait: SIGINT or SIGTERM? */
                return;
            continue;
        }
        if (ready < 0) {
            fprintf(stderr, "%s: select: %s\n", PROGRAM, strerror(errno));
            return;
        }
        if (FD_ISSET(net_stop_fd(), &input_list))
            return; /* SIGINT or SIGTERM */
        if (watch_stdin && FD_ISSET(STDIN_FILENO, &input_list) && stdin_says_stop())
            return; /* running = 0 */
        if (waiting_for_resources || FD_ISSET(server->listener, &input_list)) {
            char address[NET_ADDRESS_SIZE];
            int fd = net_accept_one(server->listener, true, address, sizeof address);
            if (fd >= 0 || errno == EAGAIN) /* a client, or none waiting: watch again */
                waiting_for_resources = false;
            if (fd >= 0) {
                if (!server->quiet)
                    fprintf(stderr, "connected %s\n", address);
                start_client(server, fd, address);
            } else if (errno != EAGAIN) {
                if (!waiting_for_resources) /* say it once, not ten times a second */
                    fprintf(stderr, "%s: accept: %s (retrying every 100 ms)\n", PROGRAM,
                            strerror(errno));
                waiting_for_resources = true;
            }
        }
        join_finished(server);
    }
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 5000, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &net);
    if (status >= 0)
        return status;

    struct server server = {.quiet = net.quiet};
    sigset_t wait_mask;
    server.listener =
        pselect_server_start(PROGRAM, net.host, net.port, &wait_mask); /* open_socket() */
    if (server.listener < 0)
        return 1;
    bool watch_stdin = stdin_is_interactive();
    if (!watch_stdin && !server.quiet)
        fprintf(stderr,
                "%s: standard input is not a terminal or a pipe: not watching it; "
                "stop with Ctrl-C or SIGTERM\n",
                PROGRAM);
    pthread_mutex_init(&server.lock, NULL);
    pthread_cond_init(&server.client_left, NULL);

    run(&server, watch_stdin, &wait_mask);

    /* self.server.close(); for c in self.threads: c.join() -- after waking each thread. */
    close(server.listener); /* from here on, a client's connection attempt is refused */
    pthread_mutex_lock(&server.lock);
    for (struct client *c = server.connected; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (server.connected != NULL)
        pthread_cond_wait(&server.client_left, &server.lock);
    pthread_mutex_unlock(&server.lock);
    join_finished(&server);
    pthread_cond_destroy(&server.client_left);
    pthread_mutex_destroy(&server.lock);
    net_stop_remove();
    return 0;
}
