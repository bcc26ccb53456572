/* check_programs.c -- every program of 07-timers-queues, run as a user runs it: each
 * test asserts what the program teaches, not only that it ran. port_monitor is
 * probed against listeners this test opens and closes itself. */
#define _DEFAULT_SOURCE /* mkdtemp; glibc's catch-all */

#include "harness.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Run a program (DEADLINE_MS, scaled) and keep its results in *R. */
static void run(struct run *r, int deadline_ms, const char *const argv[])
{
    ck_assert_int_eq(run_program(r, NULL, 0, deadline_ms, argv, 0), 0);
    ck_assert_msg(r->code != -1, "%s did not finish in time", argv[0]);
}
#define RUN(r, ...) run(r, 10000, (const char *const[]){__VA_ARGS__, NULL})
/* Assert the exit code, showing the program's stderr when it is not the one expected. */
#define ASSERT_EXIT(r, expected)                                                                   \
    ck_assert_msg((r).code == (expected), "exit code %d, expected %d; stderr:\n%s", (r).code,      \
                  (expected), (r).err)

/* Line number (0-based) of the first line equal to LINE, or -1. */
static int line_index(const char *text, const char *line)
{
    size_t len = strlen(line);
    int index = 0;
    for (const char *p = text; *p != '\0'; index++) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, line, len) == 0)
            return index;
        p += n + (end != NULL);
    }
    return -1;
}

/* Line number of the first line that ends with SUFFIX, or -1. */
static int line_ending_with(const char *text, const char *suffix)
{
    size_t len = strlen(suffix);
    int index = 0;
    for (const char *p = text; *p != '\0'; index++) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n >= len && memcmp(p + n - len, suffix, len) == 0)
            return index;
        p += n + (end != NULL);
    }
    return -1;
}

static int total_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* --- timer_demo -------------------------------------------------------------------------- */

/* One line of the lecture's timer example: [mm:ss][nn] - message. */
struct timer_line {
    int minutes, seconds, run;
    char message[64];
};

/* Parse every line of OUT; each must have the lecture's exact shape. */
static int parse_timer_lines(const char *out, struct timer_line *lines, int max)
{
    int n = 0;
    for (const char *p = out; *p != '\0' && n < max; n++) {
        const char *end = strchr(p, '\n');
        ck_assert_ptr_nonnull(end);
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
        struct timer_line *t = &lines[n];
        int used = 0;
        ck_assert_msg(
            sscanf(line, "[%2d:%2d][%2d] - %n", &t->minutes, &t->seconds, &t->run, &used) == 3 &&
                used == 14 && line[3] == ':' && line[6] == ']',
            "bad line '%s'", line);
        snprintf(t->message, sizeof t->message, "%s", line + used);
        p = end + 1;
    }
    return n;
}

/* Index of the line of run RUN whose message starts with PREFIX, or -1. */
static int find_timer_line(const struct timer_line *lines, int n, int run, const char *prefix)
{
    for (int i = 0; i < n; i++)
        if (lines[i].run == run && strncmp(lines[i].message, prefix, strlen(prefix)) == 0)
            return i;
    return -1;
}

/* The lecture's output: per run "Setting timer", "Executing: Sleeping for N seconds"
 * (5 <= N <= 10), "Exiting", in that order; run k starts 5 (lecture) seconds after
 * run k-1, while runs that sleep longer are still sleeping: they overlap. */
START_TEST(timer_demo_prints_the_lecture_runs)
{
    struct run r;
    RUN(&r, "./timer_demo", "-n", "4", "-s", "0.05", "-r", "7");
    ASSERT_EXIT(r, 0);
    struct timer_line lines[32];
    int n = parse_timer_lines(r.out, lines, 32);
    ck_assert_int_eq(n, 12);
    int overlaps = 0;
    for (int k = 1; k <= 4; k++) {
        int setting = find_timer_line(lines, n, k, "Setting timer");
        int executing = find_timer_line(lines, n, k, "Executing: Sleeping for ");
        int exiting = find_timer_line(lines, n, k, "Exiting");
        ck_assert_msg(setting >= 0 && executing > setting && exiting > executing,
                      "run %d out of order:\n%s", k, r.out);
        int sleep_for = 0;
        char rest[32] = "";
        ck_assert_int_eq(
            sscanf(lines[executing].message, "Executing: Sleeping for %d %31s", &sleep_for, rest),
            2);
        ck_assert_str_eq(rest, "seconds");
        ck_assert(sleep_for >= 5 && sleep_for <= 10);
        int started = lines[setting].minutes * 60 + lines[setting].seconds;
        int ended = lines[exiting].minutes * 60 + lines[exiting].seconds;
        ck_assert_int_ge(started, 5 * (k - 1)); /* a timer never fires early */
        ck_assert_int_ge(ended - started, sleep_for - 1);
        if (scaled_ms(1) == 1) /* and not much late, unless under valgrind */
            ck_assert_int_le(started, 5 * (k - 1) + 2);
        int next = find_timer_line(lines, n, k + 1, "Setting timer");
        if (k < 4 && sleep_for >= 7) { /* still sleeping when the next run starts */
            ck_assert_msg(next >= 0 && next < exiting, "run %d did not overlap:\n%s", k, r.out);
            overlaps++;
        }
    }
    ck_assert_int_ge(overlaps, 1); /* seed 7 sleeps 8 s in run 1 */
    run_free(&r);
}
END_TEST

/* The same seed gives the same random sleeps, run after run. */
START_TEST(timer_demo_seed_is_reproducible)
{
    struct run first, second;
    RUN(&first, "./timer_demo", "-n", "3", "-s", "0.01", "-r", "42");
    RUN(&second, "./timer_demo", "-n", "3", "-s", "0.01", "-r", "42");
    ASSERT_EXIT(first, 0);
    ASSERT_EXIT(second, 0);
    struct timer_line a[16], b[16];
    int na = parse_timer_lines(first.out, a, 16), nb = parse_timer_lines(second.out, b, 16);
    ck_assert_int_eq(na, 9);
    ck_assert_int_eq(nb, 9);
    for (int k = 1; k <= 3; k++) {
        int i = find_timer_line(a, na, k, "Executing"), j = find_timer_line(b, nb, k, "Executing");
        ck_assert_str_eq(a[i].message, b[j].message);
    }
    run_free(&first);
    run_free(&second);
}
END_TEST

/* Ctrl-C while runs sleep (1-2 s each here): no new run, the sleeping runs cut their
 * sleep short and say "Exiting", exit 0 at once. */
START_TEST(timer_demo_stops_on_sigint)
{
    struct child c;
    char line[256];
    const char *const argv[] = {"./timer_demo", "-s", "0.2", "-r", "7", NULL};
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    bool second_sleeping = false;
    while (!second_sleeping && read_line(c.out, line, sizeof line, 5000) >= 0)
        second_sleeping = strstr(line, "[02] - Executing") != NULL;
    ck_assert_msg(second_sleeping, "run 2 never started");
    long long start = monotonic_ms();
    int code = child_stop(&c, SIGINT, 3000);
    long long took = monotonic_ms() - start;
    char *err = child_stderr(&c);
    ck_assert_msg(code == 0, "exit %d; stderr:\n%s", code, err);
    free(err);
    ck_assert_int_lt(took, scaled_ms(800)); /* not the 1.6 s run 1 still had to sleep */
    int setting = 0, exiting = 0;
    while (read_line(c.out, line, sizeof line, 1000) >= 0) {
        setting += strstr(line, "Setting timer") != NULL;
        exiting += strstr(line, "Exiting") != NULL;
    }
    child_close(&c);
    ck_assert_int_le(setting, 1);           /* at most run 3, if it slipped in before the signal */
    ck_assert_int_eq(exiting, setting + 2); /* every run that started has ended */
}
END_TEST

/* -o: the one-shot timer fires, the cancelled one never does, and cancelling a timer
 * that fired already is "too late". */
START_TEST(timer_demo_one_shot_and_cancel)
{
    struct run r;
    /* The events are 1 lecture second apart: 0.1 s, or 0.5 s under valgrind, whose
     * threads can wake a good 100 ms late. */
    RUN(&r, "./timer_demo", "-o", "-s", scaled_ms(1) == 1 ? "0.1" : "0.5");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(total_lines(r.out), 5);
    ck_assert_int_eq(
        line_ending_with(r.out, "] - Timer(2.0, hello).start(); Timer(4.0, never).start()"), 0);
    ck_assert_int_eq(line_ending_with(r.out, "] - hello: my timer fired"), 1);
    ck_assert_int_eq(line_ending_with(r.out, "] - never.cancel() -> cancelled: it will never run"),
                     2);
    ck_assert_int_eq(line_ending_with(r.out, "] - hello.cancel() -> too late: it already fired"),
                     3);
    ck_assert_int_eq(line_ending_with(r.out, "] - hello ran 1 time(s), never ran 0 time(s)"), 4);
    ck_assert_int_eq(line_ending_with(r.out, "never: my timer fired"), -1);
    if (scaled_ms(1) == 1) /* on time: 2 lecture seconds */
        ck_assert_int_eq(line_index(r.out, "[00:02] - hello: my timer fired"), 1);
    run_free(&r);
}
END_TEST

/* --- queue_demo ---------------------------------------------------------------------------- */

/* Check queue_demo's output for ITEMS items and WORKERS workers: every item processed
 * exactly once, join() only after the last, every worker joined, counts adding up. */
static void check_queue_demo(const char *out, int items, int workers)
{
    char line[64];
    int last_operacao = -1;
    for (int i = 1; i <= items; i++) {
        snprintf(line, sizeof line, ") operacao(%d)", i);
        int found = 0, at = -1;
        for (int w = 1; w <= workers; w++) {
            char full[96];
            snprintf(full, sizeof full, "(Thread-%-3d%s", w, line);
            found += count_lines(out, full);
            at = line_index(out, full) > at ? line_index(out, full) : at;
        }
        ck_assert_msg(found == 1, "item %d processed %d times:\n%s", i, found, out);
        last_operacao = at > last_operacao ? at : last_operacao;
    }
    snprintf(line, sizeof line, "(MainThread) q.join() returned: %d items processed", items);
    ck_assert_int_gt(line_index(out, line), last_operacao);
    snprintf(line, sizeof line, "(MainThread) queue closed; %d workers joined", workers);
    ck_assert_int_gt(line_index(out, line), 0);
    int sum = 0;
    for (int w = 1; w <= workers; w++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "(MainThread) Thread-%d processed ", w);
        const char *p = strstr(out, prefix);
        ck_assert_ptr_nonnull(p);
        sum += atoi(p + strlen(prefix));
    }
    ck_assert_int_eq(sum, items);
    ck_assert_int_eq(total_lines(out), items + 4 + workers);
}

/* Workers share the items: each processed exactly once, join() after the last, then
 * closing the queue lets every worker leave; with a bounded queue too. */
START_TEST(queue_demo_processes_every_item_once)
{
    struct run r;
    RUN(&r, "./queue_demo", "-w", "4", "-n", "60", "-d", "0.002");
    ASSERT_EXIT(r, 0);
    check_queue_demo(r.out, 60, 4);
    run_free(&r);
    RUN(&r, "./queue_demo", "-w", "3", "-n", "40", "-m", "2", "-d", "0");
    ASSERT_EXIT(r, 0);
    check_queue_demo(r.out, 40, 3);
    run_free(&r);
}
END_TEST

/* One worker takes the items strictly in FIFO order. */
START_TEST(queue_demo_one_worker_is_fifo)
{
    struct run r;
    RUN(&r, "./queue_demo", "-w", "1", "-n", "10", "-d", "0");
    ASSERT_EXIT(r, 0);
    check_queue_demo(r.out, 10, 1);
    for (int i = 2, previous = line_index(r.out, "(Thread-1  ) operacao(1)"); i <= 10; i++) {
        char line[64];
        snprintf(line, sizeof line, "(Thread-1  ) operacao(%d)", i);
        int at = line_index(r.out, line);
        ck_assert_msg(at > previous, "item %d out of order:\n%s", i, r.out);
        previous = at;
    }
    run_free(&r);
}
END_TEST

/* The seconds LINE_NUMBER of TEXT shows after PREFIX ("... after 0.2 s"), or -1 when
 * that line is not PREFIX, a number and " s". */
static double seconds_after(const char *text, int line_number, const char *prefix)
{
    for (int i = 0; i < line_number && text != NULL; i++)
        if ((text = strchr(text, '\n')) != NULL)
            text++;
    if (text == NULL || strncmp(text, prefix, strlen(prefix)) != 0)
        return -1;
    char *end;
    double seconds = strtod(text + strlen(prefix), &end);
    return end != text + strlen(prefix) && strncmp(end, " s\n", 3) == 0 ? seconds : -1;
}

/* -e: put_nowait on a full queue is Full, get_nowait on an empty one is Empty, and
 * the timed versions give up after their timeout: the demo shows the time it measured
 * (one decimal), no earlier than 0.2 s and within check_queue's bound for a timed wait,
 * 150 ms late at most (a loaded 2-core machine can be that late to wake a thread). */
START_TEST(queue_demo_full_and_empty)
{
    struct run r;
    RUN(&r, "./queue_demo", "-e");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(line_index(r.out, "q = Queue(maxsize=2)"), 0);
    ck_assert_int_eq(line_index(r.out, "q.put_nowait(1) -> OK"), 1);
    ck_assert_int_eq(line_index(r.out, "q.put_nowait(2) -> OK"), 2);
    ck_assert_int_eq(line_index(r.out, "q.put_nowait(3) -> Full   (Python raises queue.Full)"), 3);
    double latest = (200 + scaled_ms(150)) / 1000.0 + 0.05; /* + 0.05: the rounding */
    double put = seconds_after(r.out, 4, "q.put(4, timeout=0.2) -> Full after ");
    ck_assert_msg(put >= 0.2 && put <= latest, "put waited %.1f s:\n%s", put, r.out);
    ck_assert_int_eq(line_index(r.out, "q.get_nowait() -> 1"), 5);
    ck_assert_int_eq(line_index(r.out, "q.get_nowait() -> 2"), 6);
    ck_assert_int_eq(line_index(r.out, "q.get_nowait() -> Empty   (Python raises queue.Empty)"), 7);
    double get = seconds_after(r.out, 8, "q.get(timeout=0.2) -> Empty after ");
    ck_assert_msg(get >= 0.2 && get <= latest, "get waited %.1f s:\n%s", get, r.out);
    ck_assert_int_eq(total_lines(r.out), 9);
    run_free(&r);
}
END_TEST

/* --- pool_demo ----------------------------------------------------------------------------- */

/* submit gives pow(323, 1235) as far as C can without big numbers (checked against
 * Python); map keeps input order though the calls finish in reverse; as_completed
 * gives each local "page" its size or its error, in completion order. */
static void check_pool_demo(const struct run *r_)
{
    const struct run r = *r_;
    ASSERT_EXIT(r, 0);
    /* python3 -c 'x = pow(323, 1235); print(str(x)[:9], str(x)[-9:], len(str(x)))' */
    ck_assert_int_ge(line_index(r.out, "pow(323, 1235) = 733018741...630500507 (3099 digits)"), 0);
    ck_assert_int_ge(line_index(r.out, "pow(323, 1235, 1000000007) = 412738484"), 0);

    ck_assert_int_ge(
        line_index(r.out, "results, in input order: [1024, 19683, 65536, 78125, 46656]"), 0);
    int previous = -1;
    for (int base = 6; base >= 2; base--) { /* the last input finished first */
        char line[64];
        snprintf(line, sizeof line, "    pow(%d, %d) finished", base, 12 - base);
        int at = line_index(r.out, line);
        ck_assert_msg(at > previous, "'%s' out of order:\n%s", line, r.out);
        previous = at;
    }

    int fox = line_index(r.out, "'foxnews' page is 102400 bytes");
    int cnn = line_index(r.out, "'cnn' page is 3450 bytes");
    int wsj = line_index(r.out, "'wsj' generated an exception: timed out");
    int bbc = line_index(r.out, "'bbc' generated an exception: Connection reset by peer");
    int made_up =
        line_index(r.out, "'some-made-up-domain' generated an exception: Connection refused");
    ck_assert_msg(fox >= 0 && cnn >= 0 && wsj >= 0 && bbc >= 0 && made_up >= 0, "got:\n%s", r.out);
    /* completion order: refused and reset at once, foxnews after 0.05 s, cnn after
     * 0.25 s, wsj when the 0.5 s timeout runs out */
    ck_assert_int_lt(fox, cnn);
    ck_assert_int_lt(bbc, cnn);
    ck_assert_int_lt(made_up, cnn);
    ck_assert_int_eq(wsj, total_lines(r.out) - 1);
    ck_assert_int_eq(count_lines(r.out, "'cnn' page is 3450 bytes"), 1);
}

START_TEST(pool_demo_runs_the_three_examples)
{
    struct run r;
    RUN(&r, "./pool_demo", "-s", "0.5");
    check_pool_demo(&r);
    run_free(&r);
}
END_TEST

/* How many faults of KIND ("short", "EINTR") the shim says it injected (FAULT_INJECT_LOG
 * puts one line per fault on the program's stderr). */
static int faults_injected(const char *err, const char *kind)
{
    char suffix[32];
    int n = 0;
    snprintf(suffix, sizeof suffix, ": %s\n", kind);
    for (const char *p = err; (p = strstr(p, "fault_inject: fd ")) != NULL; p++) {
        const char *end = strchr(p, '\n');
        size_t len = strlen(suffix);
        if (end != NULL && (size_t)(end + 1 - p) >= len && memcmp(end + 1 - len, suffix, len) == 0)
            n++;
    }
    return n;
}

/* The same three examples under the fault-injection shim: every recv and send of the
 * page loads short, every third data call and every second accept interrupted (EINTR),
 * every connect interrupted while it goes on, every fourth poll interrupted. Every byte
 * of each page is still counted, every failure is still the right one, in the same
 * order. (Before the fix, a service whose accept() was interrupted gave up: its page
 * then "timed out".) */
START_TEST(pool_demo_counts_every_byte_under_faults)
{
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    struct run r;
    setenv("FAULT_INJECT_LOG", "1", 1);
    ck_assert(fault_injection("io:short;io:eintr@every=3;accept:eintr@every=2;connect:eintr;"
                              "poll:eintr@every=4"));
    RUN(&r, "./pool_demo", "-s", "0.5");
    check_pool_demo(&r);
    ck_assert_msg(faults_injected(r.err, "short") >= 10 && faults_injected(r.err, "EINTR") >= 10,
                  "the shim injected too few faults: the test did not test:\n%s", r.err);
    run_free(&r);
}
END_TEST

/* --- port_monitor -------------------------------------------------------------------------- */

/* A scratch directory for hosts files and pages, removed at the end of each test. */
static char scratch[64];

static void make_scratch(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/kit-monitor-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_scratch(void)
{
    DIR *dir = opendir(scratch);
    if (dir == NULL)
        return;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char path[400];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(scratch);
}

/* SCRATCH/NAME into OUT. */
static const char *in_scratch(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", scratch, name);
    return out;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, or NULL when it does not exist; free() it. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Listen on 127.0.0.1:PORT again (the port a closed listener had). */
static int listen_on_port(int port)
{
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                  .sin_port = htons((unsigned short)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    ck_assert_int_eq(listen(fd, 128), 0);
    return fd;
}

/* Fill the queue of a listener made with backlog 0 (it holds one connection nobody
 * accepts), so that it ignores every further SYN: a connect to it times out. The
 * connects are non-blocking: the second one never completes, by design. */
static void fill_backlog(int port, int fds[2])
{
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                  .sin_port = htons((unsigned short)port)};
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(fds[i], 0);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        connect(fds[i], (struct sockaddr *)&address, sizeof address);
        struct pollfd p = {.fd = fds[i], .events = POLLOUT};
        if (i == 0) /* the first one gets into the queue: wait until it has */
            ck_assert_int_eq(poll(&p, 1, scaled_ms(2000)), 1);
    }
}

/* A port on which nobody listens (a listener's, closed again). */
static int closed_port(void)
{
    int port, fd = test_listener(1, &port);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return port;
}

/* The row of host NAME in PAGE, as a string (free it), or NULL. */
static char *page_row(const char *page, const char *name)
{
    char cell[128];
    snprintf(cell, sizeof cell, "\"><td>%s</td>", name);
    const char *at = strstr(page, cell);
    if (at == NULL)
        return NULL;
    const char *start = at;
    while (start > page && strncmp(start, "<tr", 3) != 0)
        start--;
    const char *end = strstr(at, "</tr>");
    ck_assert_ptr_nonnull(end);
    return strndup(start, (size_t)(end - start));
}

/* The datetime attribute of the WHICH-th (0: last online, 1: state change) <time>
 * of ROW, into OUT. */
static void row_time(const char *row, int which, char *out, size_t size)
{
    const char *p = row;
    for (int i = 0; i <= which; i++) {
        p = strstr(p, "<time datetime=\"");
        ck_assert_ptr_nonnull(p);
        p += strlen("<time datetime=\"");
    }
    snprintf(out, size, "%.*s", (int)strcspn(p, "\""), p);
}

/* --once: the page has a row per host with the right state and escaped name, the
 * exit status says whether all were up, and every kind of "down" is named. */
START_TEST(port_monitor_once_page_and_exit_status)
{
    make_scratch();
    int up_port, slow_port;
    int up = test_listener(128, &up_port);
    int slow = test_listener(0, &slow_port); /* backlog full: SYNs go unanswered */
    ck_assert_int_ge(up, 0);
    ck_assert_int_ge(slow, 0);
    int filler[2];
    fill_backlog(slow_port, filler);
    int refused_port = closed_port();

    char hosts[256], page_path[256], csv[1024];
    snprintf(csv, sizeof csv,
             "# test hosts\n\n\"<b>up & running</b>\",127.0.0.1,%d\nclosed,127.0.0.1,%d\n"
             "  slow , 127.0.0.1 , %d \n",
             up_port, refused_port, slow_port);
    write_file(in_scratch("hosts.csv", hosts, sizeof hosts), csv);
    in_scratch("page.html", page_path, sizeof page_path);

    struct run r;
    long long start = monotonic_ms();
    RUN(&r, "./port_monitor", "--once", "-f", hosts, "-o", page_path, "-T", "0.4");
    long long took = monotonic_ms() - start;
    ASSERT_EXIT(r, 1); /* not all up */
    ck_assert_str_eq(r.out, "round 1: 1 of 3 hosts up\n");
    ck_assert_int_lt(took, 400 + scaled_ms(1500)); /* one probe at a time would not be less */
    ck_assert_ptr_nonnull(strstr(r.err, "closed (127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(r.err, "is down: Connection refused"));
    ck_assert_ptr_nonnull(strstr(r.err, "is down: timed out"));

    char *page = read_file(page_path);
    ck_assert_ptr_nonnull(page);
    ck_assert_ptr_nonnull(strstr(page, "<p class=\"summary down\">1 of 3 hosts up</p>"));
    char *row = page_row(page, "&lt;b&gt;up &amp; running&lt;/b&gt;");
    ck_assert_msg(row != NULL, "no escaped row in:\n%s", page);
    ck_assert_ptr_nonnull(strstr(row, "<tr class=\"up\">"));
    ck_assert_ptr_nonnull(strstr(row, "<td class=\"state\">up</td>"));
    ck_assert_ptr_nonnull(strstr(row, "connected in "));
    char last_online[64], changed[64];
    row_time(row, 0, last_online, sizeof last_online);
    row_time(row, 1, changed, sizeof changed);
    ck_assert_int_eq(strlen(last_online), 28); /* 2026-11-21T06:45:22.123+0000 */
    ck_assert_str_eq(last_online, changed);    /* offline -> online in this round */
    free(row);
    row = page_row(page, "closed");
    ck_assert_ptr_nonnull(row);
    ck_assert_ptr_nonnull(strstr(row, "<tr class=\"down\">"));
    ck_assert_ptr_nonnull(strstr(row, "Connection refused"));
    ck_assert_ptr_nonnull(strstr(row, ">never</time>"));
    free(row);
    row = page_row(page, "slow");
    ck_assert_ptr_nonnull(row);
    ck_assert_ptr_nonnull(strstr(row, "<td class=\"detail\">timed out</td>"));
    free(row);
    ck_assert_ptr_null(strstr(page, "<b>"));
    free(page);
    run_free(&r);

    /* Only the host that is up: exit 0. No temporary file is left behind. */
    snprintf(csv, sizeof csv, "web,localhost,%d\n", up_port);
    write_file(hosts, csv);
    RUN(&r, "./port_monitor", "--once", "-q", "-f", hosts, "-o", page_path);
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.out, "round 1: 1 of 1 hosts up\n");
    ck_assert_str_eq(r.err, ""); /* -q */
    page = read_file(page_path);
    ck_assert_ptr_nonnull(strstr(page, "<p class=\"summary up\">1 of 1 hosts up</p>"));
    free(page);
    char temporary[300];
    snprintf(temporary, sizeof temporary, "%s.tmp", page_path);
    ck_assert_int_ne(access(temporary, F_OK), 0);
    run_free(&r);

    for (int i = 0; i < 2; i++)
        if (filler[i] >= 0)
            close(filler[i]);
    close(up);
    close(slow);
    remove_scratch();
}
END_TEST

/* Read port_monitor's stdout until a round line ending in WANT; accept and close the
 * probes' connections meanwhile. Returns whether it came within TIMEOUT_MS. */
static bool wait_for_round(struct child *c, const char *want, int listener, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    char line[256];
    while (monotonic_ms() < deadline) {
        int left = (int)(deadline - monotonic_ms());
        if (read_line(c->out, line, sizeof line, left > 0 ? left : 1) < 0)
            return false;
        if (listener >= 0)
            accept_and_close_all(listener);
        size_t n = strlen(line), w = strlen(want);
        if (n >= w && strcmp(line + n - w, want) == 0)
            return true;
    }
    return false;
}

/* The probes under the fault-injection shim: every connect() "interrupted" (EINTR while
 * the attempt goes on in the background, as POSIX says it does) and every second poll()
 * interrupted. Each host still gets its true verdict: up, refused, timed out -- not a
 * false "up" from a socket that never connected, nor a lost timeout. */
START_TEST(port_monitor_probes_right_under_faults)
{
    SKIP_UNLESS(have_preload(), "needs Linux (LD_PRELOAD)");
    make_scratch();
    int up_port, slow_port;
    int up = test_listener(128, &up_port);
    int slow = test_listener(0, &slow_port);
    ck_assert(up >= 0 && slow >= 0);
    int filler[2];
    fill_backlog(slow_port, filler);
    char hosts[256], page_path[256], csv[512];
    snprintf(csv, sizeof csv, "up,127.0.0.1,%d\nclosed,127.0.0.1,%d\nslow,127.0.0.1,%d\n", up_port,
             closed_port(), slow_port);
    write_file(in_scratch("hosts.csv", hosts, sizeof hosts), csv);
    in_scratch("page.html", page_path, sizeof page_path);

    setenv("FAULT_INJECT_LOG", "1", 1);
    ck_assert(fault_injection("connect:eintr;poll:eintr@every=2;io:short;io:eintr@every=3"));
    struct run r;
    RUN(&r, "./port_monitor", "--once", "-f", hosts, "-o", page_path, "-T", "0.4");
    ASSERT_EXIT(r, 1);
    ck_assert_str_eq(r.out, "round 1: 1 of 3 hosts up\n");
    ck_assert_msg(strstr(r.err, "up (127.0.0.1:") != NULL && strstr(r.err, ") is up") != NULL,
                  "stderr:\n%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "is down: Connection refused"));
    ck_assert_ptr_nonnull(strstr(r.err, "is down: timed out"));
    ck_assert_msg(faults_injected(r.err, "EINTR") >= 4, "too few faults: the test did not test");
    char *page = read_file(page_path);
    ck_assert_ptr_nonnull(page);
    char *row = page_row(page, "up");
    ck_assert_ptr_nonnull(row);
    ck_assert_ptr_nonnull(strstr(row, "<tr class=\"up\">"));
    free(row);
    row = page_row(page, "slow");
    ck_assert_ptr_nonnull(row);
    ck_assert_ptr_nonnull(strstr(row, "<td class=\"detail\">timed out</td>"));
    free(row);
    free(page);
    run_free(&r);

    /* Looping under the same faults, it still stops at once on SIGTERM. */
    snprintf(csv, sizeof csv, "up,127.0.0.1,%d\n", up_port);
    write_file(hosts, csv);
    const char *const argv[] = {"./port_monitor", "-f", hosts, "-o", page_path, "-i", "0.05", NULL};
    struct child c;
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    ck_assert(wait_for_round(&c, "round 3: 1 of 1 hosts up", up, 5000));
    long long start = monotonic_ms();
    int code = child_stop(&c, SIGTERM, 2000);
    char *err = child_stderr(&c);
    ck_assert_msg(code == 0, "exit %d; stderr:\n%s", code, err);
    free(err);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(1000));
    child_close(&c);
    for (int i = 0; i < 2; i++)
        if (filler[i] >= 0)
            close(filler[i]);
    close(up);
    close(slow);
    remove_scratch();
}
END_TEST

/* A host going down and coming back: its state, last_online and state_change move
 * as in the lecture (state_change only when the state flips), the other host's do
 * not; SIGTERM ends the loop with exit 1 (a host is down), valgrind-clean. */
START_TEST(port_monitor_tracks_state_changes)
{
    make_scratch();
    int port, listener = test_listener(128, &port);
    ck_assert_int_ge(listener, 0);
    char hosts[256], page_path[256], csv[256];
    snprintf(csv, sizeof csv, "web,127.0.0.1,%d\ngone,127.0.0.1,%d\n", port, closed_port());
    write_file(in_scratch("hosts.csv", hosts, sizeof hosts), csv);
    in_scratch("page.html", page_path, sizeof page_path);
    const char *const argv[] = {"./port_monitor", "-f", hosts, "-o", page_path, "-i",
                                "0.05",           "-T", "0.5", NULL};
    struct child c;
    ck_assert_int_eq(child_start(&c, argv, 0), 0);

    char times[3][2][64]; /* per phase: last_online, state_change of web */
    static const char *const want[3] = {"1 of 2 hosts up", "0 of 2 hosts up", "1 of 2 hosts up"};
    for (int phase = 0; phase < 3; phase++) {
        if (phase == 1)
            close(listener); /* web goes down */
        if (phase == 2)
            listener = listen_on_port(port); /* and comes back */
        ck_assert_msg(wait_for_round(&c, want[phase], phase == 1 ? -1 : listener, 5000),
                      "phase %d: no round with %s", phase, want[phase]);
        char *page = read_file(page_path);
        ck_assert_ptr_nonnull(page);
        char *web = page_row(page, "web"), *gone = page_row(page, "gone");
        ck_assert_ptr_nonnull(web);
        ck_assert_ptr_nonnull(gone);
        ck_assert_ptr_nonnull(
            strstr(web, phase == 1 ? "<tr class=\"down\">" : "<tr class=\"up\">"));
        ck_assert_ptr_nonnull(strstr(gone, "<tr class=\"down\">"));
        ck_assert_ptr_nonnull(
            strstr(gone, "<time datetime=\"\">never</time></td><td><time datetime=\"\">never"));
        row_time(web, 0, times[phase][0], sizeof times[phase][0]);
        row_time(web, 1, times[phase][1], sizeof times[phase][1]);
        if (phase == 1)
            ck_assert_ptr_nonnull(strstr(web, "Connection refused (3 tries)"));
        free(web);
        free(gone);
        free(page);
    }
    /* up: changed now. down: changed again, later; last online is from before. up again:
     * changed again, and last online is now. */
    ck_assert_str_eq(times[0][0], times[0][1]);
    ck_assert_str_gt(times[1][1], times[0][1]);
    ck_assert_str_lt(times[1][0], times[1][1]);
    ck_assert_str_ge(times[1][0], times[0][0]);
    ck_assert_str_gt(times[2][1], times[1][1]);
    ck_assert_str_eq(times[2][0], times[2][1]);

    int code = child_stop(&c, SIGTERM, 2000);
    char *err = child_stderr(&c);
    ck_assert_msg(code == 1, "exit %d, expected 1 (one host down); stderr:\n%s", code, err);
    ck_assert_ptr_nonnull(strstr(err, "web (127.0.0.1:"));
    free(err);
    child_close(&c);
    close(listener);
    remove_scratch();
}
END_TEST

/* SIGINT between rounds ends the loop at once (exit 0: all up); SIGTERM in the middle
 * of a round whose probe would wait 5 s ends it at once too, without a page (exit 1:
 * no round completed). */
START_TEST(port_monitor_stops_on_signals)
{
    make_scratch();
    int port, listener = test_listener(128, &port);
    char hosts[256], page_path[256], csv[256];
    snprintf(csv, sizeof csv, "web,127.0.0.1,%d\n", port);
    write_file(in_scratch("hosts.csv", hosts, sizeof hosts), csv);
    in_scratch("page.html", page_path, sizeof page_path);
    const char *const argv[] = {"./port_monitor", "-f", hosts, "-o", page_path, "-i", "30", NULL};
    struct child c;
    ck_assert_int_eq(child_start(&c, argv, 0), 0);
    ck_assert(wait_for_round(&c, "round 1: 1 of 1 hosts up", listener, 5000));
    long long start = monotonic_ms();
    int code = child_stop(&c, SIGINT, 2000);
    ck_assert_int_eq(code, 0);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(1000)); /* not the 30 s interval */
    child_close(&c);

    int slow_port, slow = test_listener(0, &slow_port);
    int filler[2];
    fill_backlog(slow_port, filler);
    snprintf(csv, sizeof csv, "slow,127.0.0.1,%d\n", slow_port);
    write_file(hosts, csv);
    unlink(page_path);
    const char *const argv_slow[] = {"./port_monitor", "-v", "-f", hosts, "-o",
                                     page_path,        "-T", "5",  NULL};
    ck_assert_int_eq(child_start(&c, argv_slow, 0), 0);
    /* -v logs "Starting ping" when the probe begins: from then on it waits 5 s. */
    ck_assert(wait_for_stderr(&c, "Thread slow: Starting ping", 5000));
    start = monotonic_ms();
    code = child_stop(&c, SIGTERM, 3000);
    char *err = child_stderr(&c);
    ck_assert_msg(code == 1, "exit %d; stderr:\n%s", code, err);
    free(err);
    ck_assert_int_lt(monotonic_ms() - start, scaled_ms(1000));
    ck_assert_int_ne(access(page_path, F_OK), 0);
    char line[256];
    ck_assert_int_lt(read_line(c.out, line, sizeof line, 100), 0); /* no round line */
    child_close(&c);
    for (int i = 0; i < 2; i++)
        if (filler[i] >= 0)
            close(filler[i]);
    close(slow);
    close(listener);
    remove_scratch();
}
END_TEST

/* hosts.csv problems: every bad line named as FILE:LINE: reason, then exit 1 before
 * any probe; a missing file and a file without hosts are named too. */
START_TEST(port_monitor_reports_hosts_file_errors)
{
    make_scratch();
    char hosts[256], page_path[256], expected[2048];
    in_scratch("hosts.csv", hosts, sizeof hosts);
    in_scratch("page.html", page_path, sizeof page_path);
    write_file(hosts, "web,127.0.0.1,80\njust a name\n# fine\nftp,127.0.0.1,http\n"
                      "web,localhost,8080\n\"open quote,h,1\n");
    struct run r;
    RUN(&r, "./port_monitor", "--once", "-f", hosts, "-o", page_path);
    ASSERT_EXIT(r, 1);
    snprintf(expected, sizeof expected,
             "%s:2: expected 3 fields (name,host,port), found 1\n"
             "%s:4: bad port 'http': expected 1 to 65535\n"
             "%s:5: duplicate name 'web' (first on line 1)\n"
             "%s:6: field 1: the quote is not closed (a quoted field must end on its line)\n",
             hosts, hosts, hosts, hosts);
    ck_assert_str_eq(r.err, expected);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_ne(access(page_path, F_OK), 0);
    run_free(&r);

    write_file(hosts, "# nothing here\n\n");
    RUN(&r, "./port_monitor", "--once", "-f", hosts, "-o", page_path);
    ASSERT_EXIT(r, 1);
    snprintf(expected, sizeof expected, "%s: no hosts (expected lines of name,host,port)\n", hosts);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);

    RUN(&r, "./port_monitor", "--once", "-f", "/nonexistent/hosts.csv");
    ASSERT_EXIT(r, 1);
    ck_assert_str_eq(r.err,
                     "port_monitor: open /nonexistent/hosts.csv: No such file or directory\n");
    run_free(&r);
    remove_scratch();
}
END_TEST

/* -t TEMPLATE: the page is the template with its placeholders filled; a broken
 * template is refused at start with its line; --print-template shows the built-in
 * one; a page that cannot be written is a runtime error. */
START_TEST(port_monitor_template_and_output_errors)
{
    make_scratch();
    int port, listener = test_listener(128, &port);
    char hosts[256], page_path[256], template[256], csv[256];
    snprintf(csv, sizeof csv, "web,127.0.0.1,%d\ngone,127.0.0.1,%d\n", port, closed_port());
    write_file(in_scratch("hosts.csv", hosts, sizeof hosts), csv);
    in_scratch("page.html", page_path, sizeof page_path);
    write_file(in_scratch("template.html", template, sizeof template),
               "<p>{{up}}/{{total}}</p>\n{{#hosts}}{{name}}={{state}};{{/hosts}}\n");
    struct run r;
    RUN(&r, "./port_monitor", "--once", "-q", "-f", hosts, "-o", page_path, "-t", template);
    ASSERT_EXIT(r, 1);
    char *page = read_file(page_path);
    ck_assert_str_eq(page, "<p>1/2</p>\nweb=up;gone=down;\n");
    free(page);
    run_free(&r);

    write_file(template, "<p>\n{{#hosts}}{{nmae}}{{/hosts}}\n");
    RUN(&r, "./port_monitor", "--once", "-f", hosts, "-o", page_path, "-t", template);
    ASSERT_EXIT(r, 1);
    char expected[512];
    snprintf(expected, sizeof expected,
             "port_monitor: %s: line 2: unknown placeholder '{{nmae}}'\n", template);
    ck_assert_str_eq(r.err, expected);
    run_free(&r);

    RUN(&r, "./port_monitor", "--print-template");
    ASSERT_EXIT(r, 0);
    ck_assert_int_eq(strncmp(r.out, "<!DOCTYPE html>\n", 16), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "{{#hosts}}"));
    run_free(&r);

    RUN(&r, "./port_monitor", "--once", "-q", "-f", hosts, "-o", "/nonexistent/dir/page.html");
    ASSERT_EXIT(r, 1);
    ck_assert_str_eq(r.err,
                     "port_monitor: write /nonexistent/dir/page.html: No such file or directory\n");
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    close(listener);
    remove_scratch();
}
END_TEST

/* --- every program ---------------------------------------------------------------------- */

static const char *const programs[] = {"timer_demo", "queue_demo", "pool_demo", "port_monitor"};

/* -h prints the usage to stdout and exits 0; bad usage prints one line naming the
 * problem, then the usage line, and exits 2. */
START_TEST(every_program_handles_bad_usage)
{
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char path[64];
        struct run r;
        snprintf(path, sizeof path, "./%s", programs[i]);

        RUN(&r, path, "-h");
        ck_assert_msg(r.code == 0, "%s -h: exit %d", path, r.code);
        ck_assert_msg(strncmp(r.out, "Usage: ", 7) == 0, "%s -h printed '%s'", path, r.out);
        run_free(&r);

        RUN(&r, path, "--no-such-option");
        ck_assert_msg(r.code == 2, "%s --no-such-option: exit %d", path, r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        ck_assert_ptr_nonnull(strstr(r.err, "\nUsage: "));
        ck_assert_str_eq(r.out, "");
        run_free(&r);

        RUN(&r, path, "unexpected");
        ck_assert_msg(r.code == 2, "%s unexpected: exit %d", path, r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        run_free(&r);
    }
    struct run r;
    RUN(&r, "./timer_demo", "-n", "abc");
    ASSERT_EXIT(r, 2);
    ck_assert_str_eq(r.err,
                     "timer_demo: bad run count 'abc': expected 0 to 1000000\n"
                     "Usage: timer_demo [-n RUNS] [-s SCALE] [-r SEED] [-o]   (RUNS 0: until "
                     "Ctrl-C)\n");
    run_free(&r);
    /* The option tables name each bad value as the getopt blocks they replaced did. */
    const char *const named[][4] = {
        {"./timer_demo", "-s", "0", "timer_demo: bad scale '0': expected 0.001 to 60\n"},
        {"./queue_demo", "-d", "x", "queue_demo: bad delay 'x': expected seconds\n"},
        {"./pool_demo", "-s", "0.001", "pool_demo: bad scale '0.001': expected 0.01 to 100\n"},
        {"./port_monitor", "-T", "0",
         "port_monitor: bad timeout '0': expected 0.001 to 60 seconds\n"},
        {"./port_monitor", "-w", "0", "port_monitor: bad worker count '0': expected 1 to 256\n"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        run(&r, 10000, (const char *const[]){named[i][0], named[i][1], named[i][2], NULL});
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", named[i][0], named[i][1], named[i][2],
                      r.code);
        ck_assert_msg(strncmp(r.err, named[i][3], strlen(named[i][3])) == 0, "%s %s %s said:\n%s",
                      named[i][0], named[i][1], named[i][2], r.err);
        run_free(&r);
    }
    const char *const bad[][4] = {{"./timer_demo", "-s", "0"},     {"./timer_demo", "-s", "nan"},
                                  {"./timer_demo", "-r", "-1"},    {"./queue_demo", "-w", "0"},
                                  {"./queue_demo", "-n", "1e3"},   {"./queue_demo", "-d", "x"},
                                  {"./pool_demo", "-w", "101"},    {"./pool_demo", "-s", ""},
                                  {"./port_monitor", "-i", "-1"},  {"./port_monitor", "-T", "0"},
                                  {"./port_monitor", "-w", "abc"}, {"./port_monitor", "-f"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run(&r, 10000, bad[i]);
        ck_assert_msg(r.code == 2, "%s %s %s: exit %d", bad[i][0], bad[i][1],
                      bad[i][2] ? bad[i][2] : "", r.code);
        ck_assert_int_eq(total_lines(r.err), 2);
        run_free(&r);
    }
}
END_TEST

static Suite *programs_suite(void)
{
    Suite *s = suite_create("07-timers-queues programs");
    TCase *tc = tcase_create("programs");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, timer_demo_prints_the_lecture_runs);
    tcase_add_test(tc, timer_demo_seed_is_reproducible);
    tcase_add_test(tc, timer_demo_stops_on_sigint);
    tcase_add_test(tc, timer_demo_one_shot_and_cancel);
    tcase_add_test(tc, queue_demo_processes_every_item_once);
    tcase_add_test(tc, queue_demo_one_worker_is_fifo);
    tcase_add_test(tc, queue_demo_full_and_empty);
    tcase_add_test(tc, pool_demo_runs_the_three_examples);
    tcase_add_test(tc, pool_demo_counts_every_byte_under_faults);
    tcase_add_test(tc, port_monitor_once_page_and_exit_status);
    tcase_add_test(tc, port_monitor_tracks_state_changes);
    tcase_add_test(tc, port_monitor_probes_right_under_faults);
    tcase_add_test(tc, port_monitor_stops_on_signals);
    tcase_add_test(tc, port_monitor_reports_hosts_file_errors);
    tcase_add_test(tc, port_monitor_template_and_output_errors);
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
