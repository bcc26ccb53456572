/* check_udp_ping.c -- the graded tests of exercise 03-udp-ping: udp_ping, run as a user runs
 * it (`./udp_ping -p PORT -c N -t T`), against an echo server that is a thread of this test
 * and follows a script: reply at once, late, twice, never, from another address first... The
 * table at the end gives each test's points.
 */
#include "graded.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the server does with the ping of one sequence number. */
struct action {
    bool drop;          /* never reply */
    int delay_ms;       /* reply this long after the ping arrived */
    bool twice;         /* reply twice (the second copy 1 ms after the first) */
    bool other_address; /* first send the same bytes from another socket (wrong address) */
    bool wrong_payload; /* first send "ping 0", an empty datagram and 2000 bytes, from the
                           right address */
    bool spam_wrong;    /* send "ping 0" every 50 ms for 2 s, from the right address */
};

enum { MAX_SEQ = 16, MAX_PENDING = 128 };

struct pending {
    long long due; /* monotonic ms */
    int from;      /* which socket sends it */
    char payload[2000];
    size_t len;
};

struct echo_server {
    int fd, other_fd, port;
    int stop[2];
    struct action actions[MAX_SEQ + 1];
    struct sockaddr_storage client;
    socklen_t client_len;
    struct pending pending[MAX_PENDING];
    int npending;
    int pings; /* how many pings arrived */
};

static int udp_socket_local(int *port)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t length = sizeof address;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
              getsockname(fd, (struct sockaddr *)&address, &length) == 0);
    if (port != NULL)
        *port = ntohs(address.sin_port);
    return fd;
}

static void schedule(struct echo_server *s, long long due, int from, const char *payload,
                     size_t len)
{
    if (s->npending == MAX_PENDING)
        return;
    struct pending *p = &s->pending[s->npending++];
    p->due = due;
    p->from = from;
    memcpy(p->payload, payload, len);
    p->len = len;
}

static void *serve(void *arg)
{
    struct echo_server *s = arg;
    for (;;) {
        long long now = monotonic_ms(), next = -1;
        for (int i = 0; i < s->npending;) {
            struct pending *p = &s->pending[i];
            if (p->due <= now) {
                sendto(p->from, p->payload, p->len, 0, (struct sockaddr *)&s->client,
                       s->client_len);
                s->pending[i] = s->pending[--s->npending];
                continue;
            }
            if (next < 0 || p->due < next)
                next = p->due;
            i++;
        }
        struct pollfd pfd[2] = {{.fd = s->fd, .events = POLLIN},
                                {.fd = s->stop[0], .events = POLLIN}};
        int n = poll(pfd, 2, next < 0 ? -1 : (int)(next - now));
        if (n <= 0)
            continue;
        if (pfd[1].revents)
            return NULL;
        char buffer[64];
        s->client_len = sizeof s->client;
        ssize_t len = recvfrom(s->fd, buffer, sizeof buffer - 1, 0, (struct sockaddr *)&s->client,
                               &s->client_len);
        if (len <= 0)
            continue;
        buffer[len] = '\0';
        s->pings++;
        int seq = 0;
        sscanf(buffer, "ping %d", &seq);
        struct action a = seq >= 1 && seq <= MAX_SEQ ? s->actions[seq] : (struct action){0};
        now = monotonic_ms();
        if (a.other_address)
            schedule(s, now, s->other_fd, buffer, (size_t)len);
        if (a.wrong_payload) {
            static char big[2000];
            memcpy(big, buffer, (size_t)len); /* starts like the echo, then goes on */
            schedule(s, now, s->fd, "ping 0", 6);
            schedule(s, now, s->fd, "", 0);
            schedule(s, now, s->fd, big, sizeof big);
        }
        if (a.spam_wrong)
            for (int i = 0; i < 40; i++)
                schedule(s, now + 50 * i, s->fd, "ping 0", 6);
        if (!a.drop) {
            schedule(s, now + a.delay_ms, s->fd, buffer, (size_t)len);
            if (a.twice)
                schedule(s, now + a.delay_ms + 1, s->fd, buffer, (size_t)len);
        }
    }
}

/* What one run of udp_ping gave. */
struct ping_run {
    struct run run;
    char *lines[32];
    int nlines;
    long long took_ms;
    char where[32]; /* "127.0.0.1:PORT" */
};

/* Run udp_ping with ARGS (after -p PORT) against a server following ACTIONS[1..]. */
static void ping(struct ping_run *r, const struct action *actions, int nactions,
                 const char *const args[])
{
    struct echo_server *s = calloc(1, sizeof *s);
    pthread_t thread;
    const char *argv[16] = {"./udp_ping", "-p"};
    char port[16];
    int argc = 3;

    ck_assert_ptr_nonnull(s);
    s->fd = udp_socket_local(&s->port);
    s->other_fd = udp_socket_local(NULL);
    ck_assert(pipe(s->stop) == 0);
    for (int i = 0; i < nactions && i < MAX_SEQ; i++)
        s->actions[i + 1] = actions[i];
    snprintf(port, sizeof port, "%d", s->port);
    argv[2] = port;
    for (int i = 0; args[i] != NULL && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    ck_assert_int_eq(pthread_create(&thread, NULL, serve, s), 0);

    memset(r, 0, sizeof *r);
    snprintf(r->where, sizeof r->where, "127.0.0.1:%d", s->port);
    long long start = monotonic_ms();
    int rc = run_program(&r->run, NULL, 0, 20000, argv, 0);
    r->took_ms = monotonic_ms() - start;
    ck_assert(write(s->stop[1], "x", 1) == 1);
    pthread_join(thread, NULL);
    close(s->fd);
    close(s->other_fd);
    close(s->stop[0]);
    close(s->stop[1]);
    free(s);
    ck_assert_msg(rc == 0 && r->run.code != -1, "udp_ping did not finish within 20 s");
    for (char *line = r->run.out; *line != '\0' && r->nlines < 32;) {
        char *end = strchr(line, '\n');
        r->lines[r->nlines++] = line;
        if (end == NULL)
            break;
        *end = '\0';
        line = end + 1;
    }
}

static void ping_free(struct ping_run *r)
{
    run_free(&r->run);
}

/* Fail, quoting the whole run, unless CONDITION holds. */
#define EXPECT(r, condition, ...)                                                                  \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            char what_[512], out_[2048] = "";                                                      \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                            \
            for (int i_ = 0; i_ < (r)->nlines; i_++) {                                             \
                strncat(out_, (r)->lines[i_], sizeof out_ - strlen(out_) - 2);                     \
                strncat(out_, "\n", sizeof out_ - strlen(out_) - 1);                               \
            }                                                                                      \
            ck_abort_msg("%s\nudp_ping exited with status %d; its stdout:\n%s\nits stderr:\n%s",   \
                         what_, (r)->run.code, out_, (r)->run.err);                                \
        }                                                                                          \
    } while (0)

/* Line I must be exactly the printf-style text given. */
#define EXPECT_LINE(r, i, ...)                                                                     \
    do {                                                                                           \
        char want_[256];                                                                           \
        snprintf(want_, sizeof want_, __VA_ARGS__);                                                \
        EXPECT(r, (r)->nlines > (i) && strcmp((r)->lines[i], want_) == 0,                          \
               "line %d should be \"%s\"", (i) + 1, want_);                                        \
    } while (0)

/* Line I must be "reply from WHERE: seq=SEQ time=T ms" with T printed with 3 decimals.
 * Returns T. */
static double expect_reply(struct ping_run *r, int i, int seq)
{
    double ms = -1;
    char want[256];
    EXPECT(r,
           r->nlines > i &&
               sscanf(r->lines[i], "reply from %*[^:]:%*d: seq=%*d time=%lf ms", &ms) == 1,
           "line %d should be a reply: \"reply from %s: seq=%d time=T ms\"", i + 1, r->where, seq);
    snprintf(want, sizeof want, "reply from %s: seq=%d time=%.3f ms", r->where, seq, ms);
    EXPECT(r, strcmp(r->lines[i], want) == 0, "line %d should be \"%s\"", i + 1, want);
    return ms;
}

/* Three pings, each echoed at once: the exact output, line by line, and exit 0; and the
 * command line: -h (exit 0), bad count, timeout or port (exit 2). */
START_TEST(pings_and_prints_the_exact_output)
{
    struct ping_run r;
    struct action now = {0};
    ping(&r, (struct action[]){now, now, now}, 3,
         (const char *const[]){"-c", "3", "-t", "1", NULL});
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    EXPECT_LINE(&r, 0, "PING %s: 3 pings, timeout 1 s", r.where);
    double t[3];
    for (int i = 0; i < 3; i++)
        t[i] = expect_reply(&r, i + 1, i + 1);
    EXPECT_LINE(&r, 4, "--- %s ping statistics ---", r.where);
    EXPECT_LINE(&r, 5, "3 sent, 3 received, 0.0%% loss");
    double min, avg, max;
    EXPECT(&r,
           r.nlines > 6 &&
               sscanf(r.lines[6], "rtt min/avg/max = %lf/%lf/%lf ms", &min, &avg, &max) == 3,
           "line 7 should be \"rtt min/avg/max = MIN/AVG/MAX ms\"");
    EXPECT(&r, r.nlines == 7, "7 lines expected");
    (void)t;
    ping_free(&r);

    /* 0050007: five digits at most, the kit's one rule for ports (cli.c). */
    const char *const bad[][2] = {{"-c", "0"}, {"-c", "x"},     {"-t", "abc"},    {"-t", "0"},
                                  {"-p", "0"}, {"-p", "70000"}, {"-p", "0050007"}};
    expect_usage_errors("./udp_ping", bad, 7);
}
END_TEST

/* Ping 2 of 4 is never answered: "timeout: seq=2" after its 0.2 s, the others are replies,
 * and "4 sent, 3 received, 25.0% loss"; exit 0. */
START_TEST(reports_a_lost_ping)
{
    struct ping_run r;
    struct action now = {0}, lost = {.drop = true};
    ping(&r, (struct action[]){now, lost, now, now}, 4,
         (const char *const[]){"-c", "4", "-t", "0.2", NULL});
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    EXPECT_LINE(&r, 0, "PING %s: 4 pings, timeout 0.2 s", r.where);
    expect_reply(&r, 1, 1);
    EXPECT_LINE(&r, 2, "timeout: seq=2");
    expect_reply(&r, 3, 3);
    expect_reply(&r, 4, 4);
    EXPECT_LINE(&r, 5, "--- %s ping statistics ---", r.where);
    EXPECT_LINE(&r, 6, "4 sent, 3 received, 25.0%% loss");
    EXPECT(&r, r.took_ms >= 200, "a lost ping was given up in %lld ms, before its timeout",
           r.took_ms);
    ping_free(&r);
}
END_TEST

/* No ping is answered: three timeouts, "3 sent, 0 received, 100.0% loss", no rtt line, exit
 * 1, after about 3 x 0.2 s. */
START_TEST(reports_total_loss_and_exits_1)
{
    struct ping_run r;
    struct action lost = {.drop = true};
    ping(&r, (struct action[]){lost, lost, lost}, 3,
         (const char *const[]){"-c", "3", "-t", "0.2", NULL});
    EXPECT(&r, r.run.code == 1, "exit status 1 expected when no reply came");
    for (int i = 1; i <= 3; i++)
        EXPECT_LINE(&r, i, "timeout: seq=%d", i);
    EXPECT_LINE(&r, 4, "--- %s ping statistics ---", r.where);
    EXPECT_LINE(&r, 5, "3 sent, 0 received, 100.0%% loss");
    EXPECT(&r, r.nlines == 6, "6 lines expected (no rtt line without replies)");
    EXPECT(&r, r.took_ms >= 600, "three 0.2 s timeouts took only %lld ms", r.took_ms);
    ping_free(&r);
}
END_TEST

/* Each ping's echo first comes from another address (another port) at once, and from the
 * server's address come "ping 0", an empty datagram and one of 2000 bytes that starts with
 * the ping: all are ignored, and the real echo, 50 ms later, is the reply (its time is at
 * least 50 ms). */
START_TEST(ignores_other_addresses_and_wrong_payloads)
{
    struct ping_run r;
    struct action tricky = {.other_address = true, .wrong_payload = true, .delay_ms = 50};
    ping(&r, (struct action[]){tricky, tricky, tricky}, 3,
         (const char *const[]){"-c", "3", "-t", "1", NULL});
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    for (int i = 1; i <= 3; i++) {
        double ms = expect_reply(&r, i, i);
        EXPECT(&r, ms >= 45,
               "ping %d: %.3f ms, but the right echo came after 50 ms: a wrong "
               "datagram was taken for it",
               i, ms);
    }
    EXPECT_LINE(&r, 5, "3 sent, 3 received, 0.0%% loss");
    ping_free(&r);
}
END_TEST

/* Stale and duplicate echoes: the echo of ping 1 comes after its timeout, while ping 2 waits;
 * the echo of ping 2 comes twice, the second copy while ping 3 waits. Neither may count for
 * the later ping. */
START_TEST(ignores_stale_and_duplicate_echoes)
{
    struct ping_run r;
    struct action late = {.delay_ms = 300}, twice = {.delay_ms = 150, .twice = true},
                  slow = {.delay_ms = 100};
    ping(&r, (struct action[]){late, twice, slow}, 3,
         (const char *const[]){"-c", "3", "-t", "0.2", NULL});
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    EXPECT_LINE(&r, 1, "timeout: seq=1");
    double t2 = expect_reply(&r, 2, 2), t3 = expect_reply(&r, 3, 3);
    EXPECT(&r, t2 >= 140,
           "ping 2 took %.3f ms, but its echo came after 150 ms: the late echo "
           "of ping 1 was taken for it",
           t2);
    EXPECT(&r, t3 >= 90,
           "ping 3 took %.3f ms, but its echo came after 100 ms: the second "
           "copy of ping 2's echo was taken for it",
           t3);
    EXPECT_LINE(&r, 5, "3 sent, 2 received, 33.3%% loss");
    ping_free(&r);
}
END_TEST

/* Echoes after 30, 90 and 60 ms: each time about its delay (the test's server keeps time in
 * whole milliseconds: 5 ms of slack), and min/avg/max are the
 * smallest, the mean and the largest of the times printed. */
START_TEST(computes_min_avg_max)
{
    struct ping_run r;
    ping(&r, (struct action[]){{.delay_ms = 30}, {.delay_ms = 90}, {.delay_ms = 60}}, 3,
         (const char *const[]){"-c", "3", "-t", "1", NULL});
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    double t1 = expect_reply(&r, 1, 1), t2 = expect_reply(&r, 2, 2), t3 = expect_reply(&r, 3, 3);
    EXPECT(&r, t1 >= 25 && t2 >= 85 && t3 >= 55, "a time is below its echo's delay");
    double min, avg, max;
    EXPECT(&r,
           r.nlines > 6 &&
               sscanf(r.lines[6], "rtt min/avg/max = %lf/%lf/%lf ms", &min, &avg, &max) == 3,
           "line 7 should be \"rtt min/avg/max = MIN/AVG/MAX ms\"");
    char want[128];
    snprintf(want, sizeof want, "rtt min/avg/max = %.3f/%.3f/%.3f ms", min, avg, max);
    EXPECT(&r, strcmp(r.lines[6], want) == 0, "the rtt line should print 3 decimals: \"%s\"", want);
    /* Which echo is fastest is up to the machine's load: compare with the times printed. */
    double lowest = fmin(t1, fmin(t2, t3)), highest = fmax(t1, fmax(t2, t3));
    EXPECT(&r, min == lowest && max == highest, "min should be %.3f and max %.3f", lowest, highest);
    double mean = (t1 + t2 + t3) / 3;
    EXPECT(&r, avg > mean - 0.002 && avg < mean + 0.002, "avg should be %.3f", mean);
    ping_free(&r);
}
END_TEST

/* A stream of wrong datagrams ("ping 0" every 50 ms) does not keep a ping waiting past its
 * timeout: one ping with -t 0.3 ends in about 0.3 s, a timeout, exit 1. */
START_TEST(ignored_datagrams_do_not_extend_the_timeout)
{
    struct ping_run r;
    ping(&r, (struct action[]){{.drop = true, .spam_wrong = true}}, 1,
         (const char *const[]){"-c", "1", "-t", "0.3", NULL});
    EXPECT(&r, r.run.code == 1, "exit status 1 expected when no reply came");
    EXPECT_LINE(&r, 1, "timeout: seq=1");
    EXPECT_LINE(&r, 3, "1 sent, 0 received, 100.0%% loss");
    EXPECT(&r, r.took_ms >= 300 && r.took_ms < 300 + scaled_ms(1200),
           "a ping with a 0.3 s timeout took %lld ms while wrong datagrams kept coming: every "
           "datagram must not restart the wait",
           r.took_ms);
    ping_free(&r);
}
END_TEST

/* Under the fault-injection library (tests/fault_inject.so, preloaded into udp_ping): every
 * second send() or recv() (sendto() and recvfrom() too) fails with EINTR, as if a signal had
 * come; every third with EAGAIN if the socket is non-blocking; every third poll() or select()
 * is interrupted. Interruptions cost nothing: the pings of the test above still find exactly
 * their own echoes among the wrong ones, and the output is the same. (Where LD_PRELOAD is
 * missing, the run is checked without faults, and the test says it was skipped.) */
START_TEST(survives_eintr_and_eagain)
{
    struct ping_run r;
    struct action tricky = {.other_address = true, .wrong_payload = true, .delay_ms = 50};
    start_faults("send+recv:eintr@every=2;send+recv:eagain@every=3;poll:eintr@every=3");
    ping(&r, (struct action[]){tricky, tricky, tricky}, 3,
         (const char *const[]){"-c", "3", "-t", "1", NULL});
    start_faults(NULL);
    EXPECT(&r, r.run.code == 0, "exit status 0 expected");
    EXPECT_LINE(&r, 0, "PING %s: 3 pings, timeout 1 s", r.where);
    for (int i = 1; i <= 3; i++) {
        double ms = expect_reply(&r, i, i);
        EXPECT(&r, ms >= 45, "ping %d: %.3f ms, but the right echo came after 50 ms", i, ms);
    }
    EXPECT_LINE(&r, 4, "--- %s ping statistics ---", r.where);
    EXPECT_LINE(&r, 5, "3 sent, 3 received, 0.0%% loss");
    EXPECT(&r, r.nlines == 7, "7 lines expected");
    if (!have_preload())
        ping_free(&r);
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    int eintrs = fault_notes(r.run.err, "EINTR");
    EXPECT(&r, eintrs >= 5,
           "only %d EINTR were injected: the test did not test (does udp_ping use send() or "
           "sendto(), recv() or recvfrom()?)",
           eintrs);
    ping_free(&r);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(pings_and_prints_the_exact_output, 3, 15),
        GRADED(reports_a_lost_ping, 3, 15),
        GRADED(reports_total_loss_and_exits_1, 2, 15),
        GRADED(ignores_other_addresses_and_wrong_payloads, 3, 15),
        GRADED(ignores_stale_and_duplicate_echoes, 3, 15),
        GRADED(computes_min_avg_max, 2, 15),
        GRADED(ignored_datagrams_do_not_extend_the_timeout, 2, 15),
        GRADED(survives_eintr_and_eagain, 2, 15),
    };
    return graded_main("03-udp-ping", tests, sizeof tests / sizeof tests[0]);
}
