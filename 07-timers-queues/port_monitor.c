/* port_monitor.c -- the lecture's "real-world" host monitor: probe every host of
 * hosts.csv at once with a thread pool, keep each host's state, write an HTML
 * status page, and do it again every -i seconds.
 *
 * Translates lecture 002, "Tosielämän esimerkki (Christian)":
 *
 *     def custom_ping(ip, online_previously, timeout=1):
 *         times = 3 if online_previously else 1
 *         for _ in range(times):
 *             if ping(ip, timeout=timeout):
 *                 return True
 *         return False
 *
 *     def ping_remote_host(host):
 *         original_state = host['online']
 *         if result := custom_ping(ip, original_state):
 *             host['last_online'] = datetime.now()
 *         host['online'] = result
 *         if original_state != host['online']:
 *             host['state_change'] = datetime.now()
 *
 *     hosts = create_host_matrix(read_hosts('hosts.csv'))
 *     while True:
 *         with ThreadPoolExecutor(max_workers=len(hosts)) as executor:
 *             executor.map(ping_remote_host, hosts.values())
 *         with open('pingmon.html','w') as f:
 *             f.write(tmpl.render(hosts=hosts.values()))
 *         sleep(20)
 *
 * The structure is the same: read the hosts, then loop { map the probe over the
 * hosts in the pool; write the page; sleep }. Each task updates only its own host's
 * record, and main reads the records only after map() has returned -- so no lock
 * is needed around them: the executor's own locking orders the writes before the
 * reads.
 *
 * Where C differs, and why:
 * - The probe is a TCP connect with a timeout to the host's port, not an ICMP ping:
 *   sending ICMP needs a raw socket, that is root or CAP_NET_RAW (ping3 needs the
 *   same). So hosts.csv has a port column: name,host,port. "Up" means "accepts TCP
 *   connections on that port", which for a service is the more useful question.
 * - The pool is made once, not once per round: same threads, no churn.
 * - The page is written to FILE.tmp and renamed over FILE: a browser never sees a
 *   half-written page.
 * - It stops: --once does one round; SIGINT or SIGTERM end the loop at once (the
 *   probes in flight give up too: they watch the same self-pipe). The exit status
 *   says whether every host was up in the last complete round: 0 yes, 1 no (or a
 *   runtime error), 2 bad usage.
 *
 * Usage: port_monitor [-f HOSTS] [-o PAGE] [-t TEMPLATE] [-i SECONDS] [-T TIMEOUT]
 *                     [-w WORKERS] [--once] [-v|-q] [--print-template]
 *
 * Try:   ./port_monitor --once -f hosts.csv; echo $?; xdg-open pingmon.html
 *        ./port_monitor -i 2 -v        every 2 s, with the lecture's debug lines
 *        (terminal 2: start and stop a server on a port from hosts.csv)
 *        ./port_monitor --print-template > my.html; ./port_monitor -t my.html --once
 * See also: executor.c (the pool), net.c (the probe), hosts_csv.c, status_page.c.
 */
#include "cli.h"
#include "executor.h"
#include "hosts_csv.h"
#include "net.h"
#include "status_page.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "port_monitor"
#define USAGE                                                                                      \
    "Usage: port_monitor [-f HOSTS] [-o PAGE] [-t TEMPLATE] [-i SECONDS] [-T TIMEOUT] "            \
    "[-w WORKERS] [--once] [-v|-q] [--print-template]"
#define MAX_HOSTS    1000
#define MAX_TEMPLATE (1024 * 1024)

/* --- logging: logging.basicConfig(format="%(asctime)s: %(message)s", datefmt="%H:%M:%S") */
enum { QUIET, INFO, DEBUG };
static int log_level = INFO;

static void log_at(int level, const char *format, ...)
{
    if (level > log_level)
        return;
    char message[512], when[16];
    time_t now = time(NULL);
    struct tm local;
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    localtime_r(&now, &local);
    strftime(when, sizeof when, "%H:%M:%S", &local);
    fprintf(stderr, "%s: %s\n", when, message); /* one call: lines never mix */
}

/* --- the hosts ------------------------------------------------------------------------ */

/* create_host_matrix(): one record per host, as the lecture's dict. */
struct host {
    struct hosts_entry entry;     /* name, host, port */
    long line;                    /* in hosts.csv, for messages */
    bool online;                  /* 'online' (False at first, as in the lecture) */
    struct timespec last_online;  /* 'last_online' (0: never) */
    struct timespec state_change; /* 'state_change' (0: never) */
    bool changed;                 /* online flipped in this round */
    bool stopped;                 /* the round was interrupted: nothing learnt */
    char detail[160];             /* how the last probe went, for the page */
    const struct settings *settings;
};

struct settings {
    double timeout; /* per connect attempt */
    int stop_fd;    /* readable once SIGINT/SIGTERM arrived */
};

/* read_hosts() + create_host_matrix(): every line parsed by hosts_parse_line; every
 * bad line reported as FILE:LINE: reason. Returns the hosts, or NULL after printing
 * why. */
static struct host *read_hosts(const char *path, size_t *count)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "%s: open %s: %s\n", PROGRAM, path, strerror(errno));
        return NULL;
    }
    struct host *hosts = calloc(MAX_HOSTS, sizeof *hosts);
    char *line = NULL;
    size_t cap = 0, n = 0;
    long number = 0;
    int errors = 0;
    ssize_t len;
    while (hosts != NULL && (len = getline(&line, &cap, file)) >= 0) {
        char reason[160];
        struct hosts_entry entry;
        number++;
        enum hosts_line kind = hosts_parse_line(line, (size_t)len, &entry, reason, sizeof reason);
        if (kind == HOSTS_LINE_SKIP)
            continue;
        if (kind == HOSTS_LINE_ERROR) {
            fprintf(stderr, "%s:%ld: %s\n", path, number, reason);
            errors++;
            continue;
        }
        long first = 0;
        for (size_t i = 0; i < n && first == 0; i++)
            if (strcmp(hosts[i].entry.name, entry.name) == 0)
                first = hosts[i].line;
        if (first != 0) {
            fprintf(stderr, "%s:%ld: duplicate name '%s' (first on line %ld)\n", path, number,
                    entry.name, first);
            errors++;
        } else if (n == MAX_HOSTS) {
            fprintf(stderr, "%s:%ld: more than %d hosts\n", path, number, MAX_HOSTS);
            errors++;
            break;
        } else {
            hosts[n++] = (struct host){.entry = entry, .line = number};
        }
    }
    bool read_error = ferror(file);
    free(line);
    fclose(file);
    if (hosts == NULL) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, path, strerror(ENOMEM));
        return NULL;
    }
    if (read_error)
        fprintf(stderr, "%s: read %s: %s\n", PROGRAM, path, strerror(EIO));
    else if (errors == 0 && n == 0)
        fprintf(stderr, "%s: no hosts (expected lines of name,host,port)\n", path);
    if (read_error || errors > 0 || n == 0) {
        free(hosts);
        return NULL;
    }
    *count = n;
    return hosts;
}

/* --- the probe: custom_ping() and ping_remote_host() ------------------------------------ */

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* custom_ping(): up to 3 tries if the host was online, else 1. Returns true when a
 * connect succeeded; writes what happened into HOST->detail. */
static bool custom_ping(struct host *host, bool online_previously)
{
    int times = online_previously ? 3 : 1;
    char why[128] = "";
    for (int attempt = 1; attempt <= times; attempt++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        int fd = net_connect(host->entry.host, host->entry.port, host->settings->timeout,
                             host->settings->stop_fd, why, sizeof why);
        clock_gettime(CLOCK_MONOTONIC, &end);
        if (fd >= 0) {
            close(fd); /* we only wanted to know that it answers */
            snprintf(host->detail, sizeof host->detail, "connected in %.1f ms%s",
                     seconds_between(&start, &end) * 1000, attempt > 1 ? " (retried)" : "");
            return true;
        }
        if (strcmp(why, "stopped") == 0) {
            host->stopped = true;
            return false;
        }
    }
    snprintf(host->detail, sizeof host->detail, "%s%s", why, times > 1 ? " (3 tries)" : "");
    return false;
}

/* The task the pool runs for each host. It never fails: the outcome of the probe is
 * the host's new state. */
static int ping_remote_host(void *arg, void **result, char *error, size_t error_size)
{
    struct host *host = arg;
    (void)result;
    (void)error;
    (void)error_size;
    log_at(DEBUG, "Thread %s: Starting ping", host->entry.name);
    bool original_state = host->online;
    host->changed = false;
    host->stopped = false;
    bool online = custom_ping(host, original_state);
    if (host->stopped)
        return 0; /* interrupted: leave the record as it was */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* datetime.now() */
    if (online)
        host->last_online = now;
    host->online = online;
    if (original_state != online) {
        host->state_change = now;
        host->changed = true;
    }
    log_at(DEBUG, "Thread %s: Ping result: %s", host->entry.name, online ? "True" : "False");
    return 0;
}

/* --- the page ------------------------------------------------------------------------- */

/* Read a whole template file. Returns it (free it) or NULL after printing why. */
static char *read_template(const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "%s: open %s: %s\n", PROGRAM, path, strerror(errno));
        return NULL;
    }
    char *text = malloc(MAX_TEMPLATE + 1);
    size_t len = text != NULL ? fread(text, 1, MAX_TEMPLATE + 1, file) : 0;
    bool failed = text == NULL || ferror(file);
    fclose(file);
    if (failed || len > MAX_TEMPLATE || memchr(text, '\0', len) != NULL) {
        fprintf(stderr, "%s: read %s: %s\n", PROGRAM, path,
                failed ? strerror(text == NULL ? ENOMEM : EIO)
                       : "not a text file of at most 1 MiB");
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* tmpl.render(hosts=...) and open('pingmon.html', 'w').write(...), except that the
 * page goes to PATH.tmp first and is renamed over PATH: rename() replaces a file in
 * one step, so a reader sees the old page or the new one, never half of one. */
static int write_page(const char *path, const char *template, const struct host *hosts,
                      size_t count, double interval, long round)
{
    struct host_status status[MAX_HOSTS];
    for (size_t i = 0; i < count; i++)
        status[i] = (struct host_status){
            .name = hosts[i].entry.name,
            .host = hosts[i].entry.host,
            .port = hosts[i].entry.port,
            .online = hosts[i].online,
            .last_online = hosts[i].last_online,
            .state_change = hosts[i].state_change,
            .detail = hosts[i].detail,
        };
    struct page_data data = {.hosts = status, .count = count, .interval = interval, .round = round};
    clock_gettime(CLOCK_REALTIME, &data.updated);
    char error[256], temporary[4096];
    char *page = page_render(template, &data, error, sizeof error);
    if (page == NULL) {
        fprintf(stderr, "%s: render: %s\n", PROGRAM, error);
        return -1;
    }
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *file = fopen(temporary, "w");
    bool ok = file != NULL && fputs(page, file) >= 0;
    if (file != NULL && fclose(file) != 0)
        ok = false;
    if (ok && rename(temporary, path) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "%s: write %s: %s\n", PROGRAM, path, strerror(errno));
        unlink(temporary);
    }
    free(page);
    return ok ? 0 : -1;
}

/* --- signals ---------------------------------------------------------------------------- */
static volatile sig_atomic_t stop_requested;
static int stop_pipe[2] = {-1, -1};

static void on_signal(int signal_number)
{
    (void)signal_number;
    int saved = errno;
    stop_requested = 1;
    ssize_t ignored = write(stop_pipe[1], "s", 1); /* wakes every poll on the pipe */
    (void)ignored;
    errno = saved;
}

/* sleep(interval), cut short by SIGINT/SIGTERM. */
static void sleep_unless_stopped(double seconds)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!stop_requested) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = seconds - seconds_between(&start, &now);
        if (left <= 0)
            break;
        struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
        poll(&p, 1, (int)(left * 1000) + 1); /* EINTR: the loop looks at the flag */
    }
}

/* --- main ------------------------------------------------------------------------------- */

struct options {
    const char *hosts_path, *page_path, *template_path;
    double interval, timeout;
    long workers;
    bool once;
};

/* Parse the command line into *O. Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char *argv[], struct options *o)
{
    enum { ONCE = 256, PRINT_TEMPLATE };
    static const struct option options[] = {
        {"hosts", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"template", required_argument, NULL, 't'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'T'},
        {"workers", required_argument, NULL, 'w'},
        {"once", no_argument, NULL, ONCE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"print-template", no_argument, NULL, PRINT_TEMPLATE},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "f:o:t:i:T:w:vqh", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            o->hosts_path = optarg;
            break;
        case 'o':
            o->page_path = optarg;
            break;
        case 't':
            o->template_path = optarg;
            break;
        case 'i':
            if (parse_seconds(optarg, &o->interval) != 0)
                return usage_error(PROGRAM, USAGE, "bad interval '%s': expected seconds", optarg);
            break;
        case 'T':
            if (parse_seconds(optarg, &o->timeout) != 0 || o->timeout < 0.001 || o->timeout > 60)
                return usage_error(PROGRAM, USAGE, "bad timeout '%s': expected 0.001 to 60 seconds",
                                   optarg);
            break;
        case 'w':
            if (parse_long(optarg, 1, 256, &o->workers) != 0)
                return usage_error(PROGRAM, USAGE, "bad worker count '%s': expected 1 to 256",
                                   optarg);
            break;
        case ONCE:
            o->once = true;
            break;
        case 'v':
            log_level = DEBUG;
            break;
        case 'q':
            log_level = QUIET;
            break;
        case PRINT_TEMPLATE:
            fputs(page_builtin_template, stdout);
            return 0;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            return usage_error(PROGRAM, USAGE, NULL);
        }
    }
    if (optind < argc)
        return usage_error(PROGRAM, USAGE, "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* The lecture's while-True loop. Returns the exit status. */
static int monitor(const struct options *o, struct host *hosts, size_t count, const char *template)
{
    sigset_t signals, previous;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    /* The workers inherit this mask: only the main thread runs the handler. */
    pthread_sigmask(SIG_BLOCK, &signals, &previous);
    size_t workers = o->workers > 0 ? (size_t)o->workers : (count < 64 ? count : 64);
    struct executor *ex = executor_create(workers);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (ex == NULL) {
        fprintf(stderr, "%s: executor_create: %s\n", PROGRAM, strerror(saved));
        return 1;
    }

    int status = 1; /* until a round has found every host up */
    for (long round = 1; !stop_requested; round++) {
        log_at(DEBUG, "Main: Launching threads");
        size_t failed;
        char error[256];
        /* executor.map(ping_remote_host, hosts.values()) */
        if (executor_map(ex, ping_remote_host, hosts, sizeof hosts[0], count, NULL, &failed, error,
                         sizeof error) != FUTURE_DONE) {
            fprintf(stderr, "%s: probe %s: %s\n", PROGRAM, hosts[failed].entry.name, error);
            status = 1;
            break;
        }
        if (stop_requested)
            break; /* an interrupted round teaches nothing: keep the last page */
        size_t up = 0;
        for (size_t i = 0; i < count; i++) {
            const struct host *h = &hosts[i];
            up += h->online;
            if (h->changed || round == 1)
                log_at(INFO, "%s (%s:%s) is %s%s%s", h->entry.name, h->entry.host, h->entry.port,
                       h->online ? "up" : "down", h->online ? "" : ": ",
                       h->online ? "" : h->detail);
        }
        log_at(DEBUG, "Main: Writing result to HTML file");
        if (write_page(o->page_path, template, hosts, count, o->interval, round) < 0) {
            status = 1;
            break;
        }
        status = up == count ? 0 : 1;
        printf("round %ld: %zu of %zu hosts up\n", round, up, count);
        fflush(stdout);
        if (o->once)
            break;
        log_at(DEBUG, "Main: sleeping %gsec", o->interval);
        sleep_unless_stopped(o->interval);
    }
    executor_destroy(ex);
    return status;
}

int main(int argc, char *argv[])
{
    struct options o = {
        .hosts_path = "hosts.csv", .page_path = "pingmon.html", .interval = 20, .timeout = 1};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    tzset(); /* before any thread calls localtime_r */

    log_at(DEBUG, "Main: Read hosts and create internal data structures");
    size_t count;
    struct host *hosts = read_hosts(o.hosts_path, &count);
    if (hosts == NULL)
        return 1;
    log_at(DEBUG, "Main: Prepare HTML template");
    char *template = o.template_path != NULL ? read_template(o.template_path) : NULL;
    char error[256];
    if (o.template_path != NULL &&
        (template == NULL || page_check(template, error, sizeof error) < 0)) {
        if (template != NULL)
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, o.template_path, error);
        free(template);
        free(hosts);
        return 1;
    }

    if (pipe(stop_pipe) < 0) {
        fprintf(stderr, "%s: pipe: %s\n", PROGRAM, strerror(errno));
        free(template);
        free(hosts);
        return 1;
    }
    fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK); /* a handler must never block */
    struct settings settings = {.timeout = o.timeout, .stop_fd = stop_pipe[0]};
    for (size_t i = 0; i < count; i++)
        hosts[i].settings = &settings;
    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN); /* a probe never writes, but be safe */

    int status = monitor(&o, hosts, count, template != NULL ? template : page_builtin_template);
    if (stop_requested)
        log_at(INFO, "stopped by a signal");
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    free(template);
    free(hosts);
    return status;
}
