/* fault_inject.c -- a test-only LD_PRELOAD shim that makes the socket calls of the
 * program under test fail the way a real network makes them fail, on a schedule the
 * test chooses. Never linked into the kit's programs; tests start a program with
 *
 *     LD_LIBRARY_PATH="$PWD/tests" LD_PRELOAD=fault_inject.so \
 *         FAULT_INJECT="RULE;RULE;..." ./echo_server -p 0
 *
 * (The folder goes into LD_LIBRARY_PATH and only the name into LD_PRELOAD: the dynamic
 * loader splits LD_PRELOAD at spaces, so a full path fails in a folder like "My Course".)
 *
 * master: 02-tcp-echo/tests/fault_inject.c; edit there, then run `make sync` at the top
 * of the kit (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * A RULE is CALLS:FAULT[@SCHEDULE]
 *   CALLS     send, recv, read, write, accept, or io (= send, recv, read and write),
 *             connect, poll, several joined with '+' (send+write). sendto and sendmsg
 *             count as send, recvfrom and recvmsg as recv, accept4 as accept; ppoll,
 *             select and pselect count as poll.
 *   FAULT     short       do the call, but with at most half the bytes (at least 1)
 *             eintr       fail with EINTR before doing anything (as if a signal came)
 *             eagain      fail with EAGAIN, only on a non-blocking descriptor
 *             econnreset  fail with ECONNRESET (recv/read) ...
 *             epipe       ... or EPIPE (send/write), as after a peer's reset
 *   SCHEDULE  every=N     every Nth matching call (default every=1: every call)
 *             nth=N       only the Nth matching call
 *             after=N     every call after the first N
 *             p=P         with probability P (0..1), from FAULT_SEED (default 1)
 *
 * Every rule counts its own matching calls; when several fire on one call, an error
 * wins over `short`.
 *
 * Example: short reads and writes everywhere, and every third call interrupted:
 *     FAULT_INJECT="io:short;io+accept:eintr@every=3"
 *
 * Only sockets and pipes are touched: regular files and terminals behave normally, and
 * so does standard error (fd 2), so a program's own messages always get out. On a
 * datagram socket only eintr and eagain apply (a datagram is never "short", and UDP has
 * no reset); on sendmsg/recvmsg `short` does not apply either (their data is in iovecs).
 * eintr and eagain never change state (nothing was transferred), so a correct program
 * simply retries; short transfers are real (the rest of the bytes stay for the next
 * call). econnreset and epipe are sticky per descriptor once injected, as a real reset is
 * (except on accept: ECONNABORTED there concerns one queued client, not the listener).
 *
 * connect and poll take only eintr (the other faults do not apply to them):
 * - connect:eintr makes the real connect() first (on a stream socket), then reports
 *   EINTR instead of success or EINPROGRESS: POSIX says a connect interrupted by a
 *   signal is not aborted but completes in the background, and a correct program then
 *   waits for writability and reads SO_ERROR (or, calling connect again, takes EISCONN
 *   for success). Real errors (ECONNREFUSED at once, ...) pass through unchanged.
 * - poll:eintr fails the wait at once with EINTR, as a signal arriving then would
 *   (poll, ppoll, select and pselect are never restarted after a handler, whatever
 *   SA_RESTART says). It is counted per call, whatever the descriptors.
 *
 * FAULT_INJECT_LOG=1 prints each injected fault to stderr (for debugging a test).
 */
#define _DEFAULT_SOURCE /* glibc: accept4 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* glibc defines RTLD_NEXT only under _GNU_SOURCE, which would also switch accept()'s
 * declaration to a transparent union that -Wpedantic rejects: use its value directly. */
#ifndef RTLD_NEXT
#define RTLD_NEXT ((void *)-1l)
#endif

enum call {
    CALL_SEND,
    CALL_RECV,
    CALL_READ,
    CALL_WRITE,
    CALL_ACCEPT,
    CALL_CONNECT,
    CALL_POLL,
    CALL_COUNT
};
enum fault { FAULT_SHORT, FAULT_EINTR, FAULT_EAGAIN, FAULT_ECONNRESET, FAULT_EPIPE };
enum when { WHEN_EVERY, WHEN_NTH, WHEN_AFTER, WHEN_PROBABILITY };

struct rule {
    unsigned calls; /* bit mask of enum call */
    enum fault fault;
    enum when when;
    unsigned long n;       /* for every / nth / after */
    double probability;    /* for p */
    unsigned long matched; /* matching calls seen so far (under lock) */
};

#define MAX_RULES 16
#define MAX_FDS   65536

static struct rule rules[MAX_RULES];
static int nrules;
static int logging;
static unsigned long long random_state = 1;
static unsigned char reset_fds[MAX_FDS / 8]; /* descriptors given a sticky reset */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
/* accept4 is Linux's (glibc declares it only under _GNU_SOURCE): wrapped only there, and not
 * in a PORTABLE=1 build, which must not name it at all. */
#if defined(__linux__) && !defined(KIT_PORTABLE)
#define WRAP_ACCEPT4 1
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
#endif
static int (*real_close)(int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                           const sigset_t *);

static void bad_spec(const char *spec)
{
    /* A typo in a test must not silently test nothing. */
    fprintf(stderr, "fault_inject: cannot parse FAULT_INJECT rule '%s'\n", spec);
    abort();
}

static unsigned parse_calls(char *text, const char *spec)
{
    static const char *const names[CALL_COUNT] = {"send",   "recv",    "read", "write",
                                                  "accept", "connect", "poll"};
    unsigned mask = 0;
    for (char *save = NULL, *name = strtok_r(text, "+", &save); name != NULL;
         name = strtok_r(NULL, "+", &save)) {
        if (strcmp(name, "io") == 0) {
            mask |= 1u << CALL_SEND | 1u << CALL_RECV | 1u << CALL_READ | 1u << CALL_WRITE;
            continue;
        }
        int i = 0;
        while (i < CALL_COUNT && strcmp(name, names[i]) != 0)
            i++;
        if (i == CALL_COUNT)
            bad_spec(spec);
        mask |= 1u << i;
    }
    return mask;
}

static void parse_rule(char *spec)
{
    char original[256];
    snprintf(original, sizeof original, "%s", spec);
    if (nrules == MAX_RULES)
        bad_spec(original);
    struct rule *r = &rules[nrules];
    char *colon = strchr(spec, ':');
    if (colon == NULL)
        bad_spec(original);
    *colon = '\0';
    char *fault = colon + 1, *at = strchr(fault, '@');
    if (at != NULL)
        *at = '\0';
    r->calls = parse_calls(spec, original);

    static const char *const faults[] = {"short", "eintr", "eagain", "econnreset", "epipe"};
    size_t f = 0;
    while (f < sizeof faults / sizeof faults[0] && strcmp(fault, faults[f]) != 0)
        f++;
    if (f == sizeof faults / sizeof faults[0])
        bad_spec(original);
    r->fault = (enum fault)f;

    r->when = WHEN_EVERY;
    r->n = 1;
    if (at != NULL) {
        char *value = strchr(at + 1, '=');
        if (value == NULL)
            bad_spec(original);
        *value++ = '\0';
        char *end;
        if (strcmp(at + 1, "p") == 0) {
            r->when = WHEN_PROBABILITY;
            r->probability = strtod(value, &end);
        } else {
            r->n = strtoul(value, &end, 10);
            if (strcmp(at + 1, "every") == 0 && r->n > 0)
                r->when = WHEN_EVERY;
            else if (strcmp(at + 1, "nth") == 0 && r->n > 0)
                r->when = WHEN_NTH;
            else if (strcmp(at + 1, "after") == 0)
                r->when = WHEN_AFTER;
            else
                bad_spec(original);
        }
        if (*end != '\0')
            bad_spec(original);
    }
    nrules++;
}

static void setup(void)
{
    /* POSIX's own idiom for storing dlsym's object pointer into a function pointer. */
    *(void **)&real_send = dlsym(RTLD_NEXT, "send");
    *(void **)&real_recv = dlsym(RTLD_NEXT, "recv");
    *(void **)&real_read = dlsym(RTLD_NEXT, "read");
    *(void **)&real_write = dlsym(RTLD_NEXT, "write");
    *(void **)&real_accept = dlsym(RTLD_NEXT, "accept");
#ifdef WRAP_ACCEPT4
    *(void **)&real_accept4 = dlsym(RTLD_NEXT, "accept4");
#endif
    *(void **)&real_close = dlsym(RTLD_NEXT, "close");
    *(void **)&real_sendto = dlsym(RTLD_NEXT, "sendto");
    *(void **)&real_recvfrom = dlsym(RTLD_NEXT, "recvfrom");
    *(void **)&real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
    *(void **)&real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
    *(void **)&real_connect = dlsym(RTLD_NEXT, "connect");
    *(void **)&real_poll = dlsym(RTLD_NEXT, "poll");
    *(void **)&real_ppoll = dlsym(RTLD_NEXT, "ppoll");
    *(void **)&real_select = dlsym(RTLD_NEXT, "select");
    *(void **)&real_pselect = dlsym(RTLD_NEXT, "pselect");

    const char *seed = getenv("FAULT_SEED");
    if (seed != NULL)
        random_state = strtoull(seed, NULL, 10) | 1;
    logging = getenv("FAULT_INJECT_LOG") != NULL;
    const char *spec = getenv("FAULT_INJECT");
    if (spec == NULL)
        return;
    char *copy = strdup(spec);
    if (copy == NULL)
        abort();
    for (char *save = NULL, *rule = strtok_r(copy, ";", &save); rule != NULL;
         rule = strtok_r(NULL, ";", &save))
        parse_rule(rule);
    free(copy);
}

/* Set up when the library is loaded, before main and so before any thread: pthread_once
 * alone would do for correctness, but helgrind does not see its synchronisation and would
 * report the rules, written by whichever thread came first, as raced. (The pthread_once
 * calls stay, for a call made by another library's constructor before this one.) */
static void setup_at_load(void) __attribute__((constructor));
static void setup_at_load(void)
{
    pthread_once(&once, setup);
}

/* A small xorshift generator: reproducible from FAULT_SEED, no libc state touched.
 * Called with LOCK held. */
static double next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return (double)(random_state >> 11) / 9007199254740992.0;
}

/* Sockets and pipes only: those are where short transfers and resets really happen. */
static int is_stream(int fd)
{
    struct stat st;
    if (fd == 2 || fstat(fd, &st) != 0)
        return 0;
    return S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode);
}

static int is_datagram(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM;
}

static int is_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK);
}

/* Which fault, if any, this call gets: -1 for none. ERRORS_ONLY: the call cannot be
 * made short (a datagram, or data in iovecs), so only eintr and eagain apply. poll
 * (FD -1) and connect take only eintr; connect only on a stream socket. */
static int choose_fault_for(enum call call, int fd, int errors_only)
{
    pthread_once(&once, setup);
    if (nrules == 0)
        return -1;
    if (call != CALL_POLL && (fd < 0 || !is_stream(fd)))
        return -1;
    if (call != CALL_POLL && is_datagram(fd)) {
        if (call == CALL_CONNECT)
            return -1; /* a datagram socket's connect only sets an address */
        errors_only = 1;
    }
    int chosen = -1;
    pthread_mutex_lock(&lock);
    if (call != CALL_POLL && call != CALL_CONNECT && call != CALL_ACCEPT && fd < MAX_FDS &&
        (reset_fds[fd / 8] & (1u << (fd % 8))))
        chosen = call == CALL_SEND || call == CALL_WRITE ? FAULT_EPIPE : FAULT_ECONNRESET;
    /* Every rule counts its own matching calls. When several fire on one call, an
     * error wins over a short transfer (the call fails; nothing is transferred). */
    for (int i = 0; i < nrules; i++) {
        struct rule *r = &rules[i];
        if (!(r->calls & (1u << call)))
            continue;
        if (r->fault == FAULT_EAGAIN && !is_nonblocking(fd))
            continue;
        if (r->fault == FAULT_SHORT && call == CALL_ACCEPT)
            continue;
        if (errors_only && r->fault != FAULT_EINTR && r->fault != FAULT_EAGAIN)
            continue;
        if ((call == CALL_CONNECT || call == CALL_POLL) && r->fault != FAULT_EINTR)
            continue;
        unsigned long k = ++r->matched;
        int fire = 0;
        switch (r->when) {
        case WHEN_EVERY:
            fire = k % r->n == 0;
            break;
        case WHEN_NTH:
            fire = k == r->n;
            break;
        case WHEN_AFTER:
            fire = k > r->n;
            break;
        case WHEN_PROBABILITY:
            fire = next_random() < r->probability;
            break;
        }
        if (fire && (chosen < 0 || chosen == FAULT_SHORT))
            chosen = (int)r->fault;
    }
    /* Sticky: a reset connection stays reset. Not for accept: its ECONNABORTED is about
     * one queued client, and the listening socket must go on accepting the others. */
    if ((chosen == FAULT_ECONNRESET || chosen == FAULT_EPIPE) && fd < MAX_FDS &&
        call != CALL_ACCEPT)
        reset_fds[fd / 8] |= (unsigned char)(1u << (fd % 8));
    pthread_mutex_unlock(&lock);
    if (chosen >= 0 && logging) {
        static const char *const names[] = {"short", "EINTR", "EAGAIN", "ECONNRESET", "EPIPE"};
        char line[64];
        int n = snprintf(line, sizeof line, "fault_inject: fd %d: %s\n", fd, names[chosen]);
        real_write(2, line, (size_t)n);
    }
    return chosen;
}

static int choose_fault(enum call call, int fd)
{
    return choose_fault_for(call, fd, 0);
}

/* A new descriptor number starts with a clean slate (the old one was closed). */
static void forget(int fd)
{
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&lock);
        reset_fds[fd / 8] &= (unsigned char)~(1u << (fd % 8));
        pthread_mutex_unlock(&lock);
    }
}

/* Apply a data-call fault: returns 1 and sets *result/errno if the call must not run
 * as asked; shortens *len for a short transfer and returns 0. */
static int apply(int fault, size_t *len, ssize_t *result)
{
    switch (fault) {
    case FAULT_SHORT:
        if (*len > 1) {
            /* Under the lock: the generator's state is shared by every thread (helgrind
             * found the race in a threaded server). */
            pthread_mutex_lock(&lock);
            *len = 1 + (size_t)(next_random() * (double)(*len / 2));
            pthread_mutex_unlock(&lock);
        }
        return 0;
    case FAULT_EINTR:
        errno = EINTR;
        break;
    case FAULT_EAGAIN:
        errno = EAGAIN;
        break;
    case FAULT_ECONNRESET:
        errno = ECONNRESET;
        break;
    case FAULT_EPIPE:
        errno = EPIPE;
        break;
    default:
        return 0;
    }
    *result = -1;
    return 1;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    ssize_t result;
    int fault = choose_fault(CALL_SEND, fd);
    if (fault == FAULT_ECONNRESET)
        fault = FAULT_EPIPE; /* what send reports after a reset */
    if (apply(fault, &len, &result))
        return result;
    return real_send(fd, buf, len, flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    ssize_t result;
    int fault = choose_fault(CALL_RECV, fd);
    if (fault == FAULT_EPIPE)
        fault = FAULT_ECONNRESET;
    if (apply(fault, &len, &result))
        return result;
    return real_recv(fd, buf, len, flags);
}

ssize_t read(int fd, void *buf, size_t len)
{
    ssize_t result;
    int fault = choose_fault(CALL_READ, fd);
    if (fault == FAULT_EPIPE)
        fault = FAULT_ECONNRESET;
    if (apply(fault, &len, &result))
        return result;
    return real_read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    ssize_t result;
    int fault = choose_fault(CALL_WRITE, fd);
    if (fault == FAULT_ECONNRESET)
        fault = FAULT_EPIPE;
    if (apply(fault, &len, &result))
        return result;
    return real_write(fd, buf, len);
}

int accept(int fd, struct sockaddr *address, socklen_t *length)
{
    int fault = choose_fault(CALL_ACCEPT, fd);
    if (fault == FAULT_EINTR || fault == FAULT_EAGAIN || fault == FAULT_ECONNRESET) {
        /* ECONNABORTED is what accept really reports for a connection reset while it
         * waited in the backlog. */
        errno = fault == FAULT_EINTR ? EINTR : fault == FAULT_EAGAIN ? EAGAIN : ECONNABORTED;
        return -1;
    }
    int client = real_accept(fd, address, length);
    forget(client);
    return client;
}

#ifdef WRAP_ACCEPT4
/* accept4 is a Linux extension, declared by glibc only under _GNU_SOURCE. */
int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags)
{
    int fault = choose_fault(CALL_ACCEPT, fd);
    if (fault == FAULT_EINTR || fault == FAULT_EAGAIN || fault == FAULT_ECONNRESET) {
        errno = fault == FAULT_EINTR ? EINTR : fault == FAULT_EAGAIN ? EAGAIN : ECONNABORTED;
        return -1;
    }
    int client = real_accept4(fd, address, length, flags);
    forget(client);
    return client;
}
#endif

/* A closed descriptor's number will be reused: it must not keep an injected reset. */
int close(int fd)
{
    pthread_once(&once, setup);
    forget(fd);
    return real_close(fd);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t to_len)
{
    ssize_t result;
    int fault = choose_fault(CALL_SEND, fd);
    if (fault == FAULT_ECONNRESET)
        fault = FAULT_EPIPE;
    if (apply(fault, &len, &result))
        return result;
    return real_sendto(fd, buf, len, flags, to, to_len);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                 socklen_t *from_len)
{
    ssize_t result;
    int fault = choose_fault(CALL_RECV, fd);
    if (fault == FAULT_EPIPE)
        fault = FAULT_ECONNRESET;
    if (apply(fault, &len, &result))
        return result;
    return real_recvfrom(fd, buf, len, flags, from, from_len);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags)
{
    size_t unused = 0;
    ssize_t result;
    if (apply(choose_fault_for(CALL_SEND, fd, 1), &unused, &result))
        return result;
    return real_sendmsg(fd, message, flags);
}

ssize_t recvmsg(int fd, struct msghdr *message, int flags)
{
    size_t unused = 0;
    ssize_t result;
    if (apply(choose_fault_for(CALL_RECV, fd, 1), &unused, &result))
        return result;
    return real_recvmsg(fd, message, flags);
}

/* connect:eintr -- the attempt is made, and goes on; only the wait is "interrupted". */
int connect(int fd, const struct sockaddr *address, socklen_t length)
{
    int fault = choose_fault(CALL_CONNECT, fd);
    int result = real_connect(fd, address, length);
    if (fault == FAULT_EINTR && (result == 0 || errno == EINPROGRESS)) {
        errno = EINTR;
        return -1;
    }
    return result;
}

/* poll:eintr -- a signal arrived before anything was ready. */
static int wait_interrupted(void)
{
    if (choose_fault(CALL_POLL, -1) != FAULT_EINTR)
        return 0;
    errno = EINTR;
    return 1;
}

int poll(struct pollfd *fds, nfds_t count, int timeout)
{
    return wait_interrupted() ? -1 : real_poll(fds, count, timeout);
}

/* ppoll is a Linux extension, declared by glibc only under _GNU_SOURCE. */
int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask);
int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask)
{
    return wait_interrupted() ? -1 : real_ppoll(fds, count, timeout, mask);
}

int select(int count, fd_set *read_set, fd_set *write_set, fd_set *error_set,
           struct timeval *timeout)
{
    return wait_interrupted() ? -1 : real_select(count, read_set, write_set, error_set, timeout);
}

int pselect(int count, fd_set *read_set, fd_set *write_set, fd_set *error_set,
            const struct timespec *timeout, const sigset_t *mask)
{
    return wait_interrupted() ? -1
                              : real_pselect(count, read_set, write_set, error_set, timeout, mask);
}
