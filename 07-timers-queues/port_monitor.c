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
 * The socket calls are in net.c: net_connect (the probe: getaddrinfo, a non-blocking
 * connect, poll with the timeout), net_reason (the reason on the page and in the log:
 * "Connection refused", "timed out", "stopped"), and the kit's one stop mechanism
 * (net_stop_install: SIGINT and SIGTERM write to a self-pipe that every wait of
 * net.c watches, the probes' connects included).
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
    int port;                     /* entry.port as a number, for net_connect */
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
            /* hosts_parse_line checked the port: 1 to 65535, digits only */
            hosts[n++] = (struct host){
                .entry = entry, .port = (int)strtol(entry.port, NULL, 10), .line = number};
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
    char error[320] = "";
    for (int attempt = 1; attempt <= times; attempt++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        int fd = net_connect(host->entry.host, host->port, host->settings->timeout, NULL, 0, error,
                             sizeof error);
        clock_gettime(CLOCK_MONOTONIC, &end);
        if (fd >= 0) {
            close(fd); /* we only wanted to know that it answers */
            snprintf(host->detail, sizeof host->detail, "connected in %.1f ms%s",
                     seconds_between(&start, &end) * 1000, attempt > 1 ? " (retried)" : "");
            return true;
        }
        if (errno == ECANCELED) { /* a stop: SIGINT or SIGTERM */
            host->stopped = true;
            return false;
        }
    }
    /* The reason alone ("Connection refused", "timed out"), as Python's str(exc). */
    snprintf(host->detail, sizeof host->detail, "%s%s", net_reason(error),
             times > 1 ? " (3 tries)" : "");
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

/* sleep(interval), cut short by SIGINT/SIGTERM (net_wait watches the stop pipe).
 * Returns false when it was. */
static bool sleep_unless_stopped(double seconds)
{
    return net_wait(-1, 0, (int)(seconds * 1000) + 1) == 0;
}

/* --- main ------------------------------------------------------------------------------- */

struct options {
    const char *hosts_path, *page_path, *template_path;
    double interval, timeout;
    long workers;
    bool once;
};

/* Parse the command line into *O. Returns -1 to go on, or an exit status. */
static int parse_command_line(int argc, char *argv[], struct options *o)
{
    bool verbose = false, quiet = false, print_template = false;
    const struct cli_option options[] = {
        {'f', "hosts", CLI_TEXT, &o->hosts_path, "hosts", 0, 0, NULL, NULL},
        {'o', "output", CLI_TEXT, &o->page_path, "output", 0, 0, NULL, NULL},
        {'t', "template", CLI_TEXT, &o->template_path, "template", 0, 0, NULL, NULL},
        {'i', "interval", CLI_SECONDS, &o->interval, "interval", 0, 0, NULL, NULL},
        {'T', "timeout", CLI_SECONDS, &o->timeout, "timeout", 0.001, 60, NULL, NULL},
        {'w', "workers", CLI_LONG, &o->workers, "worker count", 1, 256, NULL, NULL},
        {0, "once", CLI_FLAG, &o->once, "once", 0, 0, NULL, NULL},
        {'v', "verbose", CLI_FLAG, &verbose, "verbose", 0, 0, NULL, NULL},
        {'q', "quiet", CLI_FLAG, &quiet, "quiet", 0, 0, NULL, NULL},
        {0, "print-template", CLI_FLAG, &print_template, "print-template", 0, 0, NULL, NULL},
        {0},
    };
    int status = parse_options(argc, argv, PROGRAM, USAGE, options, false);
    if (status >= 0)
        return status; /* -h (0), or bad usage (2): cli.c has said what was wrong */
    if (print_template) {
        fputs(page_builtin_template, stdout);
        return 0;
    }
    log_level = quiet ? QUIET : verbose ? DEBUG : INFO;
    return -1;
}

/* The lecture's while-True loop. Returns the exit status. */
static int monitor(const struct options *o, struct host *hosts, size_t count, const char *template)
{
    sigset_t previous;
    /* The workers inherit this mask: only the main thread runs the handler. */
    net_block_signals(&previous);
    size_t workers = o->workers > 0 ? (size_t)o->workers : (count < 64 ? count : 64);
    struct executor *ex = executor_create(workers);
    int saved = errno;
    net_restore_signals(&previous);
    if (ex == NULL) {
        fprintf(stderr, "%s: executor_create: %s\n", PROGRAM, strerror(saved));
        return 1;
    }

    int status = 1; /* until a round has found every host up */
    for (long round = 1; !net_stop_requested(); round++) {
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
        if (net_stop_requested())
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
        if (!sleep_unless_stopped(o->interval))
            break;
    }
    executor_destroy(ex);
    return status;
}

int main(int argc, char *argv[])
{
    struct options o = {
        .hosts_path = "hosts.csv", .page_path = "pingmon.html", .interval = 20, .timeout = 1};
    int rc = parse_command_line(argc, argv, &o);
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

    if (net_stop_install() < 0) { /* also ignores SIGPIPE: a probe never writes, but be safe */
        fprintf(stderr, "%s: stop pipe: %s\n", PROGRAM, strerror(errno));
        free(template);
        free(hosts);
        return 1;
    }
    struct settings settings = {.timeout = o.timeout};
    for (size_t i = 0; i < count; i++)
        hosts[i].settings = &settings;

    int status = monitor(&o, hosts, count, template != NULL ? template : page_builtin_template);
    if (net_stop_requested())
        log_at(INFO, "stopped by a signal");
    net_stop_remove();
    free(template);
    free(hosts);
    return status;
}
