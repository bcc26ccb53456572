/* check_programs.c -- what each program of 04-threaded-server teaches beyond the shared
 * robustness list (check_echo_servers.c): failed pthread_create, zombies, the parent's
 * copy of a connection, the pool's limit, multi_client's verdicts, and the command line. */
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define START(s, ...) ck_assert_int_eq(server_start(s, (const char *const[]){__VA_ARGS__, NULL}), 0)

static void stop(struct server *s)
{
    int code = server_stop(s);
    ck_assert_msg(code == 0, "exit code %d after SIGTERM, expected 0", code);
}

/* Run multi_client with ARGS against PORT; 30 s deadline. */
static void run_multi_client(struct run *r, int port, const char *const args[])
{
    char port_text[16];
    const char *argv[16] = {"./multi_client", "-p", port_text};
    int n = 3;
    snprintf(port_text, sizeof port_text, "%d", port);
    for (int i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    ck_assert_int_eq(run_program(r, NULL, 0, 30000, argv, 0), 0);
}

/* "127.0.0.1:PORT" of FD's own end (what the server calls its peer). */
static void local_address(int fd, char *text, size_t size)
{
    struct sockaddr_in address;
    socklen_t len = sizeof address;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address, &len), 0);
    snprintf(text, size, "127.0.0.1:%d", ntohs(address.sin_port));
}

/* threaded_server notes each connection on stderr (connected/closed with the client's
 * address); -q silences them; stdout carries only the listening line. */
START_TEST(threaded_server_logs_unless_quiet)
{
    struct server s;
    START(&s, "./threaded_server", "-p", "0");
    int fd = connect_or_fail(&s);
    char peer[64], line[96];
    local_address(fd, peer, sizeof peer);
    ck_assert_int_eq(echo_round_trip(fd, "x", 1, 2000), 0);
    close(fd);
    snprintf(line, sizeof line, "closed %s\n", peer);
    ck_assert(wait_for_stderr(&s.child, line, 3000));
    snprintf(line, sizeof line, "connected %s\n", peer);
    ck_assert(wait_for_stderr(&s.child, line, 0));
    ck_assert(nothing_arrives(s.child.out, 0)); /* nothing more on stdout */
    stop(&s);

    START(&s, "./threaded_server", "-p", "0", "-q");
    ck_assert_int_eq(echo_once(&s, "quiet\n", 2000), 0);
    char *err = child_stderr(&s.child);
    ck_assert_str_eq(err, "");
    free(err);
    stop(&s);
}
END_TEST

/* When pthread_create fails (here: a stack bigger than the address space), the client is
 * dropped with a log line and the server carries on and stops cleanly. */
START_TEST(threaded_server_survives_failed_pthread_create)
{
    struct server s;
    START(&s, "./threaded_server", "-p", "0", "-q", "-s", "1000000000000");
    for (int i = 0; i < 3; i++) {
        int fd = connect_or_fail(&s);
        size_t len;
        char *data = recv_until_eof(fd, &len, 3000); /* closed at once, nothing said */
        ck_assert_ptr_nonnull(data);
        ck_assert_uint_eq(len, 0);
        free(data);
        close(fd);
    }
    ck_assert(wait_for_stderr(&s.child, "threaded_server: pthread_create: ", 2000));
    ck_assert(wait_for_stderr(&s.child, ": dropping 127.0.0.1:", 0));
    if (have_proc()) /* no thread was left behind by the failures */
        ck_assert_int_eq(count_threads(s.child.pid), 1 + SANITIZER_THREADS);
    stop(&s);
}
END_TEST

/* -H ::1 listens on IPv6 and says so with brackets; -H localhost works too. */
START_TEST(threaded_server_ipv6_and_localhost)
{
    struct server s;
    START(&s, "./threaded_server", "-p", "0", "-q", "-H", "::1");
    ck_assert_str_eq(s.host, "::1");
    ck_assert_int_eq(echo_once(&s, "over IPv6\n", 2000), 0);
    stop(&s);
    START(&s, "./threaded_server", "-p", "0", "-q", "-H", "localhost");
    ck_assert_int_eq(echo_once(&s, "by name\n", 2000), 0);
    stop(&s);
}
END_TEST

/* Fifty children end at the same moment: their SIGCHLDs coalesce, yet the handler's loop
 * reaps every one (no zombie left); the parent, interrupted in accept, serves on; the
 * children all ended well. */
START_TEST(forking_server_reaps_a_burst_of_children)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    START(&s, "./forking_server", "-p", "0", "-q");
    int fds[50];
    for (int i = 0; i < 50; i++) {
        fds[i] = connect_or_fail(&s);
        ck_assert_int_eq(echo_round_trip(fds[i], "c", 1, 3000), 0);
    }
    ck_assert_int_eq(count_children(s.child.pid), 50);
    for (int i = 0; i < 50; i++)
        close(fds[i]);
    ck_assert_int_eq(wait_for_count(count_children, s.child.pid, 0, 5000), 0);
    ck_assert_int_eq(echo_once(&s, "after the burst\n", 2000), 0);
    ck_assert_int_eq(wait_for_count(count_children, s.child.pid, 0, 5000), 0);
    char *err;
    ck_assert_int_eq(server_stop_keep_stderr(&s, &err), 0);
    ck_assert_str_eq(err, ""); /* -q, and no "N child processes ended abnormally" */
    free(err);
}
END_TEST

/* The parent closes its copy of each connection: with 40 clients connected its own
 * descriptors stay as they were, and with only 16 allowed it still serves 40 more. Each
 * child sees its client close (its EOF is not hidden by a copy left in the parent). */
START_TEST(forking_server_parent_closes_its_copy)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    START(&s, "./forking_server", "-p", "0");
    pid_t pid = s.child.pid;
    int fds = count_open_fds(pid), clients[80];
    ck_assert_int_gt(fds, 3);
    /* valgrind's forked child opens files of its own above the limit: it cannot run with
     * 16 descriptors, so under valgrind only the first half of the test runs. */
    int rounds = under_valgrind() ? 1 : 2;
    if (!have_prlimit()) {
        note_skip("its second half (16 descriptors allowed) needs Linux (prlimit)");
        rounds = 1;
    }
    for (int round = 0; round < rounds; round++) {
        if (round == 1)
            ck_assert_int_gt(set_fd_limit(pid, 16), 0);
        for (int i = 40 * round; i < 40 * (round + 1); i++) {
            clients[i] = connect_or_fail(&s);
            ck_assert_msg(echo_round_trip(clients[i], "p", 1, 3000) == 0, "client %d not served",
                          i);
        }
        ck_assert_int_eq(wait_for_count(count_open_fds, pid, fds, 2000), fds);
    }
    for (int i = 0; i < 40 * rounds; i++)
        close(clients[i]);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
    char *err;
    ck_assert_int_eq(server_stop_keep_stderr(&s, &err), 0);
    int connected = 0, closed = 0;
    for (const char *p = err; (p = strstr(p, "connected 127.0.0.1:")) != NULL; p++)
        connected++;
    for (const char *p = err; (p = strstr(p, "closed 127.0.0.1:")) != NULL; p++)
        closed++;
    ck_assert_int_eq(connected, 40 * rounds);
    ck_assert_int_eq(closed, 40 * rounds); /* each child saw its client's EOF */
    ck_assert_ptr_null(strstr(err, "abnormally"));
    ck_assert_ptr_null(strstr(err, "Too many open files"));
    free(err);
}
END_TEST

/* EMFILE: the parent holds no client's descriptor (it closes its copy), so clients alone
 * never exhaust them. Its limit set to its lowest free descriptor number leaves it none:
 * accept fails; it says so once, does not spin, and serves the queued client as soon as
 * descriptors are back, then new clients. */
START_TEST(forking_server_out_of_descriptors_then_recovers)
{
    SKIP_UNLESS(have_prlimit() && have_proc(), "needs Linux (prlimit, /proc)");
    struct server s;
    START(&s, "./forking_server", "-p", "0", "-q");
    pid_t pid = s.child.pid;
    int limit = lowest_free_fd(pid);
    ck_assert_int_gt(limit, 3);
    long previous = set_fd_limit(pid, limit);
    ck_assert_int_gt(previous, limit);
    int waiting = connect_or_fail(&s);
    ck_assert_int_eq(send_all(waiting, "queued", 6), 0);
    ck_assert_msg(wait_for_stderr(&s.child, "forking_server: accept: Too many open files", 5000),
                  "the server did not report EMFILE");
    ck_assert(nothing_arrives(waiting, 200));
    double share = cpu_share(pid, 500);
    ck_assert_msg(share >= 0 && share < 0.2, "%.0f%% of a CPU while at EMFILE", share * 100);
    ck_assert_int_eq(set_fd_limit(pid, previous), limit);
    char got[6];
    ck_assert_int_eq(recv_exact(waiting, got, sizeof got, 5000), (int)sizeof got);
    ck_assert_mem_eq(got, "queued", sizeof got);
    close(waiting);
    ck_assert_int_eq(echo_once(&s, "and new ones\n", 3000), 0);
    ck_assert_int_eq(wait_for_count(count_children, pid, 0, 5000), 0);
    ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* SIGTERM ends the children still serving and reaps them: no process is left behind, and
 * their clients see the connection end. */
START_TEST(forking_server_stop_ends_its_children)
{
    struct server s;
    START(&s, "./forking_server", "-p", "0", "-q");
    pid_t pid = s.child.pid;
    int fds[5];
    for (int i = 0; i < 5; i++) {
        fds[i] = connect_or_fail(&s);
        ck_assert_int_eq(echo_round_trip(fds[i], "k", 1, 3000), 0);
    }
    if (have_proc())
        ck_assert_int_eq(count_children(pid), 5);
    char *err;
    ck_assert_int_eq(server_stop_keep_stderr(&s, &err), 0);
    ck_assert_str_eq(err, ""); /* children ended by our SIGTERM are no failure */
    free(err);
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(!nothing_arrives(fds[i], scaled_ms(2000)), "client %d still connected", i);
        close(fds[i]);
    }
}
END_TEST

/* pool_server -n 2: two clients are served at once; the third is accepted by the kernel
 * but waits, unanswered, until one of the two leaves. */
START_TEST(pool_server_third_client_waits_for_a_free_thread)
{
    struct server s;
    START(&s, "./pool_server", "-p", "0", "-n", "2");
    int a = connect_or_fail(&s), b = connect_or_fail(&s);
    ck_assert_int_eq(echo_round_trip(a, "a", 1, 2000), 0);
    ck_assert_int_eq(echo_round_trip(b, "b", 1, 2000), 0);
    int c = connect_or_fail(&s);
    ck_assert_int_eq(send_all(c, "c", 1), 0);
    ck_assert(nothing_arrives(c, 300)); /* both threads are busy */
    close(a);
    char got;
    ck_assert_int_eq(recv_exact(c, &got, 1, 3000), 1);
    ck_assert_int_eq(got, 'c');
    ck_assert_int_eq(echo_round_trip(b, "b2", 2, 2000), 0);
    char *err = child_stderr(&s.child);
    ck_assert_ptr_nonnull(strstr(err, "thread 1: connected 127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(err, "thread 2: connected 127.0.0.1:"));
    ck_assert_ptr_null(strstr(err, "thread 3:"));
    free(err);
    close(b);
    close(c);
    if (have_proc()) /* the main thread and the pool's two: nothing more */
        ck_assert_int_eq(count_threads(s.child.pid), 3 + SANITIZER_THREADS);
    stop(&s);
}
END_TEST

/* multi_client tells a concurrent server from one that serves one client at a time:
 * against pool_server -n 1 only one of three clients gets its echo while all hold their
 * connections (exit 1); with -i each leaves when done and all three succeed. */
START_TEST(multi_client_needs_a_concurrent_server)
{
    struct server s;
    START(&s, "./pool_server", "-p", "0", "-q", "-n", "1");
    struct run r;
    run_multi_client(&r, s.port, (const char *const[]){"-n", "3", "-t", "0.5", NULL});
    ck_assert_int_eq(r.code, 1);
    int received = 0;
    for (int i = 1; i <= 3; i++) {
        char line[64];
        snprintf(line, sizeof line, "Received b'Hello, world (%d)'", i);
        received += count_lines(r.out, line);
    }
    ck_assert_int_eq(received, 1);
    ck_assert_int_eq(count_lines(r.err, "multi_client: 1 of 3 clients got their echo"), 1);
    ck_assert_int_eq(
        count_lines(r.err, "multi_client: client 1: recv: no echo before the timeout") +
            count_lines(r.err, "multi_client: client 2: recv: no echo before the timeout") +
            count_lines(r.err, "multi_client: client 3: recv: no echo before the timeout"),
        2);
    run_free(&r);

    run_multi_client(&r, s.port, (const char *const[]){"-n", "3", "-i", NULL});
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_int_eq(count_lines(r.out, "Received b'Hello, world (2)'"), 1);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
    stop(&s);
}
END_TEST

/* multi_client's words replace "Hello, world"; a wrong echo (mixin_server answers
 * something else) and a refused connection are failures, each with its line. */
START_TEST(multi_client_words_and_failures)
{
    struct server s;
    START(&s, "./threaded_server", "-p", "0", "-q");
    struct run r;
    run_multi_client(&r, s.port, (const char *const[]){"-n", "2", "hi", "there", NULL});
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(count_lines(r.out, "Received b'hi there (1)'"), 1);
    ck_assert_int_eq(count_lines(r.out, "Received b'hi there (2)'"), 1);
    run_free(&r);
    stop(&s);

    START(&s, "./mixin_server", "-p", "0", "-q");
    run_multi_client(&r, s.port, (const char *const[]){"-n", "1", NULL});
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "multi_client: client 1: wrong echo b'INI DATA BALASAN'\n"
                            "multi_client: 0 of 1 clients got their echo\n");
    run_free(&r);
    stop(&s);

    /* A bound socket that does not listen: connecting to it is refused. */
    int closed_port = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    ck_assert_int_eq(bind(closed_port, (struct sockaddr *)&address, sizeof address), 0);
    ck_assert_int_eq(getsockname(closed_port, (struct sockaddr *)&address, &len), 0);
    run_multi_client(&r, ntohs(address.sin_port), (const char *const[]){"-n", "2", NULL});
    char line[128];
    snprintf(line, sizeof line, "multi_client: client 2: connect 127.0.0.1:%d: Connection refused",
             ntohs(address.sin_port));
    ck_assert_int_eq(r.code, 1);
    ck_assert_int_eq(count_lines(r.err, line), 1);
    ck_assert_int_eq(count_lines(r.err, "multi_client: 0 of 2 clients got their echo"), 1);
    run_free(&r);
    close(closed_port);
}
END_TEST

/* How many threads of PID are blocked in the system call NUMBER (or in NUMBER2) right now:
 * Linux's /proc/PID/task/TID/syscall starts with the number of the call a blocked thread
 * is in (-1 or "running" when it is in none). */
static int threads_in_syscall(pid_t pid, long number, long number2)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char file[320];
        long call;
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof file, "/proc/%d/task/%s/syscall", (int)pid, e->d_name);
        FILE *f = fopen(file, "r");
        if (f != NULL && fscanf(f, "%ld", &call) == 1 && (call == number || call == number2))
            n++;
        if (f != NULL)
            fclose(f);
    }
    closedir(dir);
    return n;
}

#ifdef SYS_poll
#define SYS_POLL SYS_poll
#else
#define SYS_POLL -2 /* aarch64 and others: glibc's poll() calls ppoll */
#endif
#ifdef SYS_accept
#define SYS_ACCEPT SYS_accept
#else
#define SYS_ACCEPT -2
#endif

/* pool_server's threads wait for a client in poll(), on the listener and the stop pipe,
 * never inside accept(): a thread blocked in accept() cannot be woken on BSD or macOS
 * (shutdown of a listener wakes nobody there), and poll() wakes on the stop pipe
 * everywhere. With its four threads (and its main thread) idle in poll and none in
 * accept, SIGTERM ends it at once. (The old pool_server, blocked in accept() and woken by
 * shutdown(listener), fails here.) */
START_TEST(pool_server_threads_wait_in_poll_not_in_accept)
{
    SKIP_UNLESS(have_proc(), "needs Linux (/proc)");
    struct server s;
    START(&s, "./pool_server", "-p", "0", "-q", "-n", "4");
    ck_assert_int_eq(echo_once(&s, "warm up\n", 2000), 0); /* every thread has run */
    long long deadline = monotonic_ms() + scaled_ms(5000);
    int polling;
    while ((polling = threads_in_syscall(s.child.pid, SYS_POLL, SYS_ppoll)) < 4 &&
           monotonic_ms() < deadline)
        sleep_ms(5);
    ck_assert_msg(polling >= 4, "only %d threads wait in poll", polling);
    ck_assert_int_eq(threads_in_syscall(s.child.pid, SYS_ACCEPT, SYS_accept4), 0);
    long long t0 = monotonic_ms();
    stop(&s);
    ck_assert_int_lt(monotonic_ms() - t0, scaled_ms(2000));
}
END_TEST

/* The servers meant to hold many clients raise their soft limit on open files to the
 * hard one at start (as Redis does): started with a soft limit of 64 (as a shell may
 * start them: macOS's default is 256), each holds 100 clients at once and serves the
 * last of them. (The old servers, which kept the limit, left the last one queued.) */
static const char *const raising[][8] = {
    {"./threaded_server", "-p", "0", "-q", NULL},
    {"./pool_server", "-p", "0", "-q", "-n", "128", NULL},
    {"./mixin_server", "-p", "0", "-q", "-m", "thread", NULL},
};

START_TEST(servers_raise_their_descriptor_limit)
{
    enum { LOW = 64, CLIENTS = 100 };
    SKIP_UNLESS(need_fds(CLIENTS + 64), "needs 164 descriptors, and the hard limit is lower");
    struct server s;
    ck_assert_msg(server_start_with_fd_limit(&s, raising[_i], LOW) == 0, "%s did not start",
                  raising[_i][0]);
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = connect_or_fail(&s);
    int last = fds[CLIENTS - 1];
    bool mixin = strcmp(raising[_i][0], "./mixin_server") == 0;
    if (mixin) { /* one request: its reply, then the server closes */
        const char expected[] = "INI DATA BALASAN : last";
        char reply[sizeof expected - 1];
        ck_assert_int_eq(send_all(last, "last", 4), 0);
        ck_assert_msg(recv_exact(last, reply, sizeof reply, 3000) == (ssize_t)sizeof reply,
                      "%s did not answer client %d", raising[_i][0], CLIENTS);
        ck_assert_mem_eq(reply, expected, sizeof reply);
    } else {
        ck_assert_msg(echo_round_trip(last, "last\n", 5, 3000) == 0, "%s did not serve client %d",
                      raising[_i][0], CLIENTS);
    }
    if (!mixin) /* and the first is still served: all 100 were held at once */
        ck_assert_int_eq(echo_round_trip(fds[0], "first\n", 6, 3000), 0);
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    stop(&s);
}
END_TEST

static const char *const programs[] = {"threaded_server", "forking_server", "pool_server",
                                       "mixin_server", "multi_client"};

/* -h prints the usage to stdout and exits 0; an unknown option, an extra argument and
 * every kind of bad port give one line naming the problem, the usage line, and exit 2. */
START_TEST(every_program_handles_bad_usage)
{
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char path[64];
        struct run r;
        snprintf(path, sizeof path, "./%s", programs[i]);
        ck_assert_int_eq(run_program(&r, NULL, 0, 5000, (const char *const[]){path, "-h", NULL}, 0),
                         0);
        ck_assert_msg(r.code == 0, "%s -h: exit %d", path, r.code);
        ck_assert_msg(strncmp(r.out, "Usage: ", 7) == 0, "%s -h printed '%s'", path, r.out);
        run_free(&r);
    }
    /* Bad usage exits before anything is allocated: valgrind (one second per start) would
     * add a minute to make memcheck and find nothing. The -h runs above had it. */
    unsetenv("RUN_UNDER");
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char path[64];
        struct run r;
        snprintf(path, sizeof path, "./%s", programs[i]);
        bool client = strcmp(programs[i], "multi_client") == 0;

        const char *const bad[][4] = {{path, "--no-such-option"},
                                      {path, "-p", "abc"},
                                      {path, "-p", "70000"},
                                      {path, "-p", "-1"},
                                      {path, "-p", ""},
                                      {path, "-p", "+80"},
                                      {path, "-p", "0050007"},
                                      {path, "-p"},
                                      {path, client ? "-p" : "unexpected", client ? "0" : NULL}};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            ck_assert_int_eq(run_program(&r, NULL, 0, 5000, bad[k], 0), 0);
            ck_assert_msg(r.code == 2, "%s %s %s: exit %d", path, bad[k][1],
                          bad[k][2] ? bad[k][2] : "", r.code);
            int lines = 0;
            for (const char *p = r.err; *p; p++)
                lines += *p == '\n';
            ck_assert_msg(lines == 2, "%s %s: stderr '%s'", path, bad[k][1], r.err);
            ck_assert_ptr_nonnull(strstr(r.err, "\nUsage: "));
            ck_assert_str_eq(r.out, "");
            run_free(&r);
        }
    }
    struct run r;
    const char *argv[] = {"./threaded_server", "-p", "abc", NULL};
    ck_assert_int_eq(run_program(&r, NULL, 0, 5000, argv, 0), 0);
    ck_assert_str_eq(r.err, "threaded_server: bad port 'abc': expected 0 to 65535\n"
                            "Usage: threaded_server [-H HOST] [-p PORT] [-q] [-s STACK_KIB]"
                            "   (default port 50007)\n");
    run_free(&r);
    const char *const bad_values[][4] = {
        {"./pool_server", "-n", "0"},      {"./pool_server", "-n", "x"},
        {"./mixin_server", "-m", "spoon"}, {"./multi_client", "-n", "0"},
        {"./multi_client", "-t", "nan"},   {"./threaded_server", "-s", "1"}};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        ck_assert_int_eq(run_program(&r, NULL, 0, 5000, bad_values[i], 0), 0);
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", bad_values[i][0], bad_values[i][1],
                      bad_values[i][2], r.code);
        run_free(&r);
    }
}
END_TEST

static Suite *programs_suite(void)
{
    Suite *s = suite_create("04-threaded-server programs");
    TCase *tc = tcase_create("programs");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, threaded_server_logs_unless_quiet);
    tcase_add_test(tc, threaded_server_survives_failed_pthread_create);
    tcase_add_test(tc, threaded_server_ipv6_and_localhost);
    tcase_add_test(tc, forking_server_reaps_a_burst_of_children);
    tcase_add_test(tc, forking_server_parent_closes_its_copy);
    tcase_add_test(tc, forking_server_stop_ends_its_children);
    tcase_add_test(tc, forking_server_out_of_descriptors_then_recovers);
    tcase_add_test(tc, pool_server_third_client_waits_for_a_free_thread);
    tcase_add_test(tc, pool_server_threads_wait_in_poll_not_in_accept);
    tcase_add_loop_test(tc, servers_raise_their_descriptor_limit, 0, 3);
    tcase_add_test(tc, multi_client_needs_a_concurrent_server);
    tcase_add_test(tc, multi_client_words_and_failures);
    tcase_add_test(tc, every_program_handles_bad_usage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *runner = srunner_create(programs_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
