/* forking_server.c -- an echo server with one process per connection.
 *
 * Translates lecture 001's ForkingMixIn, the process twin of its ThreadingMixIn:
 *
 *     class ForkingTCPServer(socketserver.ForkingMixIn, socketserver.TCPServer):
 *         pass
 *     server = ForkingTCPServer(("localhost", 9999), EchoHandler)
 *     server.serve_forever()
 *
 * For each client the server fork()s: the child serves that one client and exits; the
 * parent goes straight back to accept. Processes share nothing, so a crash or a leak in
 * one child cannot touch the others or the parent. The price: a fork per connection and
 * a whole process per client.
 *
 * The three things every forking server must get right:
 * - The parent closes its copy of the connection at once. After fork() both processes
 *   hold the socket; while the parent keeps its copy, the client never sees EOF when the
 *   child closes, and the parent runs out of descriptors after ~1000 clients.
 * - Children are reaped. A child that exits stays a zombie until its parent calls
 *   waitpid. Our SIGCHLD handler reaps, in a loop: signals do not queue, ten children
 *   ending at once may deliver one SIGCHLD, so one waitpid per signal leaks zombies.
 * - Signals interrupt system calls. A SIGCHLD arriving while the parent waits in poll or
 *   accept makes it return EINTR: that is retried, not treated as an error.
 *
 * On SIGINT/SIGTERM the parent stops accepting, sends SIGTERM to every child still
 * serving (a child has the default action: it ends at once and the kernel closes its
 * socket), reaps them all and exits 0.
 *
 * The socket calls are in net.c: net_server_start() (getaddrinfo, socket, SO_REUSEADDR,
 * bind, listen, the stop pipe, the listening line), net_accept() (poll on the listener
 * and the stop pipe, then accept), net_send_all(); net_stop_forget() is what a child does
 * with the parent's stop pipe and handlers. (The parent holds no client's descriptor, so
 * it does not need to raise its limit on open files as the threaded servers do.)
 *
 * Usage: forking_server [-H HOST] [-p PORT] [-q]   (defaults 127.0.0.1 and 9999, lecture 001's port)
 *
 * Try:   terminal 1: ./forking_server
 *        terminal 2: ./multi_client -p 9999 -n 5
 *        terminal 3: ps --forest -o pid,stat,cmd -C forking_server   one child per client, no Z
 * See also: threaded_server.c (a thread per client), mixin_server.c (-m fork: the same
 *           with socketserver's structure).
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "forking_server"
#define USAGE   "Usage: forking_server [-H HOST] [-p PORT] [-q]   (default port 9999)"

/* The children still running, so that a stop can end them. Only the SIGCHLD handler
 * removes entries, and the main code touches the table only with SIGCHLD blocked: the
 * two never run at the same time (the process has one thread). */
static pid_t *children;
static size_t child_count, child_capacity;
/* Children that ended with something other than exit status 0 (under valgrind: a child
 * with memory errors). Reported at the end. */
static volatile sig_atomic_t failed_children;

/* Forget PID: it has been reaped. Async-signal-safe (plain memory). */
static void forget_child(pid_t pid, int status, int expected_signal)
{
    if (WIFSIGNALED(status) ? WTERMSIG(status) != expected_signal : WEXITSTATUS(status) != 0)
        failed_children++;
    for (size_t i = 0; i < child_count; i++) {
        if (children[i] == pid) {
            children[i] = children[--child_count];
            return;
        }
    }
}

/* SIGCHLD: reap every child that has ended, not just one. Async-signal-safe: waitpid
 * and plain memory only; errno is saved for the code we interrupted. */
static void on_sigchld(int signal_number)
{
    int saved_errno = errno, status;
    pid_t pid;
    (void)signal_number;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        forget_child(pid, status, 0);
    errno = saved_errno;
}

/* Remember PID. Called with SIGCHLD blocked. Returns 0 or -1 (out of memory). */
static int remember_child(pid_t pid)
{
    if (child_count == child_capacity) {
        size_t capacity = child_capacity ? child_capacity * 2 : 64;
        pid_t *bigger = realloc(children, capacity * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        children = bigger;
        child_capacity = capacity;
    }
    children[child_count++] = pid;
    return 0;
}

/* The child's whole life: echo until the client closes. Blocking calls are fine here:
 * this process has nothing else to do. */
static void serve_client(int fd, const char *peer, bool quiet)
{
    char buffer[16384];
    const char *why = NULL;
    for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            why = strerror(errno);
            break;
        }
        if (net_send_all(fd, buffer, (size_t)n) < 0) {
            why = strerror(errno);
            break;
        }
    }
    if (!quiet)
        fprintf(stderr, "closed %s (process %ld)%s%s\n", peer, (long)getpid(), why ? ": " : "",
                why ? why : "");
    close(fd);
}

/* Fork a child for the client on FD; the parent keeps nothing of the connection. */
static void fork_client(int listener, int fd, const char *peer, bool quiet)
{
    /* SIGCHLD blocked: the handler must not see the table half-updated, and the child
     * must not receive SIGTERM before it has dropped the parent's handler (it would
     * write to the parent's stop pipe and stop the whole server). */
    sigset_t old;
    net_block_signals(&old);
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: the parent's listener, pipe and table are not ours to use. */
        close(listener);
        net_stop_forget(); /* SIGINT, SIGTERM: default action (end at once); pipe closed */
        signal(SIGCHLD, SIG_DFL);
        free(children);
        children = NULL;
        net_restore_signals(&old);
        serve_client(fd, peer, quiet);
        _exit(0); /* not exit(): no atexit handlers or stdio flushes of the parent's */
    }
    if (pid < 0)
        fprintf(stderr, "%s: fork: %s: dropping %s\n", PROGRAM, strerror(errno), peer);
    else if (remember_child(pid) < 0)
        fprintf(stderr, "%s: out of memory: child %ld not tracked\n", PROGRAM, (long)pid);
    else if (!quiet)
        fprintf(stderr, "connected %s (process %ld)\n", peer, (long)pid);
    net_restore_signals(&old);
    close(fd); /* the child has its own copy; keeping ours would hide its close */
}

/* Stop: SIGTERM to every child, then reap them all; SIGKILL for any still there after
 * 2 s (our children end at once on SIGTERM, but a stop must never hang). */
static void stop_children(void)
{
    sigset_t old;
    net_block_signals(&old); /* we reap ourselves now; the handler keeps out of the way */
    for (size_t i = 0; i < child_count; i++)
        kill(children[i], SIGTERM);
    struct timespec start, now, pause = {0, 5 * 1000 * 1000};
    bool killed = false;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (child_count > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            forget_child(pid, status, killed ? SIGKILL : SIGTERM);
            continue;
        }
        if (pid < 0 && errno != EINTR)
            break; /* ECHILD: none left after all */
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!killed && now.tv_sec - start.tv_sec >= 2) {
            for (size_t i = 0; i < child_count; i++)
                kill(children[i], SIGKILL);
            killed = true;
        }
        nanosleep(&pause, NULL);
    }
    free(children);
    children = NULL;
    child_count = child_capacity = 0;
    net_restore_signals(&old);
}

int main(int argc, char *argv[])
{
    struct net_options net = {.host = "127.0.0.1", .port = 9999, .min_port = 0};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hpq", NULL, false, &net);
    if (status >= 0)
        return status;

    int listener = net_server_start(PROGRAM, net.host, net.port);
    if (listener < 0)
        return 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigchld;
    sigemptyset(&action.sa_mask);
    /* No SA_RESTART (net_accept retries EINTR itself, on purpose: the lesson), and
     * SA_NOCLDSTOP: a child stopped by ^Z has not ended. */
    action.sa_flags = SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &action, NULL) < 0) {
        fprintf(stderr, "%s: sigaction SIGCHLD: %s\n", PROGRAM, strerror(errno));
        net_server_end(listener);
        return 1;
    }

    char peer[NET_ADDRESS_SIZE];
    int fd;
    while ((fd = net_accept(listener, -1, peer, sizeof peer, PROGRAM)) >= 0)
        fork_client(listener, fd, peer, net.quiet);
    status = errno == ECANCELED ? 0 : 1; /* else net_accept said what failed */

    close(listener);
    stop_children();
    signal(SIGCHLD, SIG_DFL);
    net_stop_remove();
    if (failed_children > 0)
        fprintf(stderr, "%s: %d child processes ended abnormally\n", PROGRAM, (int)failed_children);
    return status;
}
