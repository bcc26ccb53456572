/* mixin_server.c -- Python's socketserver in C: a server "class" with a request handler
 * callback, and a mix-in choosing how requests run: serially, in threads, or in processes.
 *
 * Translates lecture 001's "asynchronous echo-server" (async.py):
 *
 *     class ThreadedTCPRequestHandler(socketserver.BaseRequestHandler):
 *         def handle(self):
 *             data = str(self.request.recv(1024))
 *             response = "INI DATA BALASAN : %s"%(data)
 *             self.request.sendall(response.encode())
 *     class ThreadedTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
 *         daemon_threads = True
 *         allow_reuse_address = True
 *     server = ThreadedTCPServer(("localhost", 9999), ThreadedTCPRequestHandler)
 *     server.serve_forever()
 *
 * C has no classes and no multiple inheritance, so the "class" is a struct holding a
 * function pointer (the handler's handle method) and the mix-in is a field that
 * process_request() switches on:
 *   -m serial   TCPServer alone: handle() runs in the serving loop; one client at a time
 *   -m thread   ThreadingMixIn: a thread per request (the lecture's choice, the default)
 *   -m fork     ForkingMixIn: a child process per request
 * The handler is the same function in all three modes, and so are the replies: only who
 * runs it changes. That separation is the point of socketserver's design.
 *
 * A request is one connection: one recv of up to 1024 bytes, one reply
 * `INI DATA BALASAN : ` followed by the bytes received, then the server closes it.
 *
 * In thread mode every waiting request holds a descriptor: the server raises its soft
 * limit on open files to the hard one at start (net_raise_fd_limit, as Redis does to fit
 * its maxclients), so that a shell's low default (macOS: 256) is not the limit.
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line), net_accept() (poll on the listener
 * and the stop pipe for at most the poll interval, then accept), net_wait() and
 * net_send_all() for the handler's recv and sendall.
 *
 * Usage: mixin_server [-H HOST] [-p PORT] [-m serial|thread|fork] [-q]
 *        (defaults 127.0.0.1 and 9999, lecture 001's port; -m thread)
 *
 * Try:   terminal 1: ./mixin_server
 *        terminal 2: printf 'halo' | nc -q1 127.0.0.1 9999     INI DATA BALASAN : halo
 *        terminal 3: nc 127.0.0.1 9999 (type nothing) and retry terminal 2 with -m serial:
 *                    the serial server waits for the idle client first.
 * See also: threaded_server.c and forking_server.c (the same ideas, written out),
 *           02-tcp-echo/upper_server.c (lecture 001's first, serial, handler).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROGRAM "mixin_server"
#define USAGE                                                                                      \
    "Usage: mixin_server [-H HOST] [-p PORT] [-m serial|thread|fork] [-q]   (default port 9999)"

/* serve_forever(poll_interval=0.5): how often the loop looks after its threads/children. */
#define POLL_INTERVAL_MS 500

/* --- The "classes" -------------------------------------------------------------------------- */

struct tcp_server;

/* BaseRequestHandler: what a handler sees of its request. */
struct request {
    int fd;                                /* self.request (the connected socket) */
    char client_address[NET_ADDRESS_SIZE]; /* self.client_address */
    struct tcp_server *server;             /* self.server */
};

enum mixin { MIXIN_SERIAL, MIXIN_THREADING, MIXIN_FORKING };

/* ThreadingMixIn keeps its threads (Python 3.7+: self._threads) to join them at close. */
struct request_thread {
    pthread_t handle;
    struct request request;
    bool done; /* handle() returned; under server->lock */
    struct request_thread *next;
};

/* TCPServer plus one mix-in. */
struct tcp_server {
    int socket;                              /* self.socket, the listener */
    void (*handle)(struct request *request); /* RequestHandlerClass.handle */
    enum mixin mixin;
    bool quiet;
    /* ThreadingMixIn */
    pthread_mutex_t lock;
    struct request_thread *threads;
    /* ForkingMixIn: self.active_children */
    pid_t *active_children;
    size_t child_count, child_capacity;
};

/* --- What a handler may call: self.request.recv and self.request.sendall ------------------- */

/* recv(SIZE) that also returns (with -1) when the server is asked to stop, in every
 * mode: the self-pipe is readable for everyone once a stop was asked, threads and forked
 * children included (they share it). So a stop never waits for an idle client. */
static ssize_t request_recv(struct request *request, void *buf, size_t size)
{
    for (;;) {
        if (net_wait(request->fd, POLLIN, -1) < 0)
            return -1; /* a stop (ECANCELED) */
        ssize_t n = recv(request->fd, buf, size, 0);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

static int request_sendall(struct request *request, const void *buf, size_t len)
{
    return net_send_all(request->fd, buf, len);
}

/* --- The lecture's handler -------------------------------------------------------------- */

#define REPLY_PREFIX "INI DATA BALASAN : "

/* ThreadedTCPRequestHandler.handle: one recv of up to 1024 bytes, one reply. The reply
 * carries the bytes as received (any bytes, NULs too). Python's str(bytes) would add
 * b'...' around them (see the README): we send the data itself. */
static void threaded_tcp_request_handler(struct request *request)
{
    char data[1024];
    char response[sizeof REPLY_PREFIX - 1 + sizeof data];

    ssize_t n = request_recv(request, data, sizeof data);
    if (n < 0)
        return; /* reset, or the server is stopping: nothing to answer */
    if (!request->server->quiet)
        fprintf(stderr, "%s wrote %zd bytes\n", request->client_address, n);
    memcpy(response, REPLY_PREFIX, sizeof REPLY_PREFIX - 1);
    memcpy(response + sizeof REPLY_PREFIX - 1, data, (size_t)n);
    request_sendall(request, response, sizeof REPLY_PREFIX - 1 + (size_t)n);
}

/* --- TCPServer ------------------------------------------------------------------------- */

/* finish_request + shutdown_request: run the handler, then end the connection the way
 * socketserver does (shutdown for writing: the client sees EOF, then close). */
static void finish_request(struct request *request)
{
    request->server->handle(request);
    shutdown(request->fd, SHUT_WR);
    close(request->fd);
}

/* ThreadingMixIn.process_request_thread */
static void *request_thread_run(void *arg)
{
    struct request_thread *thread = arg;
    struct tcp_server *server = thread->request.server;
    finish_request(&thread->request);
    pthread_mutex_lock(&server->lock);
    thread->done = true;
    pthread_mutex_unlock(&server->lock);
    return NULL;
}

/* Join the threads whose request is finished (all of them when ALL). */
static void join_threads(struct tcp_server *server, bool all)
{
    struct request_thread **link = &server->threads;
    while (*link != NULL) {
        struct request_thread *thread = *link;
        pthread_mutex_lock(&server->lock);
        bool done = thread->done;
        pthread_mutex_unlock(&server->lock);
        if (done || all) {
            pthread_join(thread->handle, NULL);
            *link = thread->next;
            free(thread);
        } else {
            link = &thread->next;
        }
    }
}

/* ForkingMixIn.collect_children: reap the children that ended (wait for all when ALL). */
static void collect_children(struct tcp_server *server, bool all)
{
    while (server->child_count > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, all ? 0 : WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fprintf(stderr, "%s: child %ld ended with status %d\n", PROGRAM, (long)pid, status);
        for (size_t i = 0; i < server->child_count; i++)
            if (server->active_children[i] == pid)
                server->active_children[i] = server->active_children[--server->child_count];
    }
}

/* process_request: where the three mix-ins differ. Takes over REQUEST->fd. */
static void process_request(struct tcp_server *server, struct request *request)
{
    if (server->mixin == MIXIN_SERIAL) {
        finish_request(request); /* the loop waits until this client is done */
        return;
    }
    if (server->mixin == MIXIN_THREADING) {
        struct request_thread *thread = calloc(1, sizeof *thread);
        int rc = ENOMEM;
        if (thread != NULL) {
            thread->request = *request;
            sigset_t old;
            net_block_signals(&old); /* signals are for the main thread */
            rc = pthread_create(&thread->handle, NULL, request_thread_run, thread);
            net_restore_signals(&old);
        }
        if (rc != 0) {
            fprintf(stderr, "%s: pthread_create: %s: dropping %s\n", PROGRAM, strerror(rc),
                    request->client_address);
            free(thread);
            close(request->fd);
            return;
        }
        thread->next = server->threads;
        server->threads = thread;
        return;
    }
    /* MIXIN_FORKING */
    if (server->child_count == server->child_capacity) {
        size_t capacity = server->child_capacity ? server->child_capacity * 2 : 16;
        pid_t *bigger = realloc(server->active_children, capacity * sizeof *bigger);
        if (bigger == NULL) {
            fprintf(stderr, "%s: out of memory: dropping %s\n", PROGRAM, request->client_address);
            close(request->fd);
            return;
        }
        server->active_children = bigger;
        server->child_capacity = capacity;
    }
    sigset_t old;
    net_block_signals(&old); /* until the child has the default SIGTERM action back */
    pid_t pid = fork();
    if (pid == 0) {
        close(server->socket);
        /* A SIGTERM sent to the child ends the child only. Unlike forking_server's
         * children (net_stop_forget), this one keeps the read end of the parent's stop
         * pipe open: a stop of the whole server makes it readable here too, so the
         * request's wait (net_wait) ends and the child exits by itself, while the parent
         * waits for it in server_close, as socketserver does. The child never writes to
         * the pipe: only the handler did, and the child has the default action now. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        net_restore_signals(&old);
        finish_request(request);
        free(server->active_children);
        _exit(0);
    }
    net_restore_signals(&old);
    if (pid < 0)
        fprintf(stderr, "%s: fork: %s: dropping %s\n", PROGRAM, strerror(errno),
                request->client_address);
    else
        server->active_children[server->child_count++] = pid;
    close(request->fd); /* the child has its copy */
}

/* service_actions: what serve_forever does between requests. */
static void service_actions(struct tcp_server *server)
{
    if (server->mixin == MIXIN_THREADING)
        join_threads(server, false);
    else if (server->mixin == MIXIN_FORKING)
        collect_children(server, false);
}

/* serve_forever: until SIGINT/SIGTERM (returns 0), or an accept that fails for good
 * (net_accept has said why; returns 1). */
static int serve_forever(struct tcp_server *server)
{
    for (;;) {
        struct request request = {.server = server};
        request.fd = net_accept(server->socket, POLL_INTERVAL_MS, request.client_address,
                                sizeof request.client_address, PROGRAM);
        if (request.fd < 0 && errno != ETIMEDOUT)
            return errno == ECANCELED ? 0 : 1;
        if (request.fd >= 0)
            process_request(server, &request);
        service_actions(server);
    }
}

/* server_close: stop listening; wait for every request still running (they end quickly:
 * the stop pipe wakes each one). */
static void server_close(struct tcp_server *server)
{
    close(server->socket);
    join_threads(server, true);
    collect_children(server, true);
    free(server->active_children);
}

int main(int argc, char *argv[])
{
    static const char *const mixins[] = {"serial", "thread", "fork", NULL}; /* enum mixin */
    struct net_options net = {.host = "127.0.0.1", .port = 9999, .min_port = 0};
    int mixin = MIXIN_THREADING;
    const struct cli_option options[] = {
        {'m', "mixin", CLI_CHOICE, &mixin, "mix-in", 0, 0, "serial, thread or fork", mixins},
        {0},
    };
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", options, false, &net);
    if (status >= 0)
        return status;
    struct tcp_server server = {
        .handle = threaded_tcp_request_handler, .mixin = (enum mixin)mixin, .quiet = net.quiet};

    /* TCPServer.__init__: server_bind() and server_activate(). */
    net_raise_fd_limit(); /* thread mode: one descriptor per waiting request */
    server.socket = net_server_start(PROGRAM, net.host, net.port);
    if (server.socket < 0)
        return 1;
    pthread_mutex_init(&server.lock, NULL);

    status = serve_forever(&server);

    server_close(&server);
    pthread_mutex_destroy(&server.lock);
    net_stop_remove();
    return status;
}
