/* run_bounded.c -- run one grading step (an exercise's build, or its tests) bounded in time,
 * in output and in processes, because the code it runs is a student's and may spin, print
 * without end, or leave processes behind. grade.sh runs every build and every test run
 * through it.
 *
 * Usage: run_bounded [-t SECONDS] [-c BYTES] [-o FILE] [-r REPORT] [-q] -- COMMAND [ARG...]
 *   -t SECONDS  the time limit (default: none). When it is reached every process of the run
 *               is killed and the exit status is 124 (as timeout(1) says it).
 *   -c BYTES    how much of the command's output (stdout and stderr, merged in order) is
 *               kept and shown: the first BYTES/2 as they come, the last BYTES/2 at the end,
 *               and between them one line "... N bytes cut ...". Default 131072.
 *   -o FILE     keep that output in FILE too
 *   -r REPORT   write what happened to REPORT, one "key value" a line: time_limit_s,
 *               elapsed_s, timed_out (0/1), output_bytes, output_cut, stray_killed (-1 when
 *               it cannot be counted: processes still running after the command ended),
 *               killed (every process killed, at the time limit the command's own too),
 *               status (the command's exit status)
 *   -q          quiet: keep the output (-o), do not show it
 * Exit status: the command's (128 + N when a signal N ended it), 124 at the time limit,
 * 125 when run_bounded itself failed, 128 + N when run_bounded was stopped by signal N
 * (Ctrl-C: everything it started is killed first).
 *
 * How every process is found, also one that left the session with setsid() or forked
 * twice to be adopted by init: on Linux this process makes itself a "child subreaper"
 * (prctl PR_SET_CHILD_SUBREAPER), so that every orphan below it is re-parented to it
 * instead of to init. When the command exits (or the limit is reached) it looks through
 * /proc for every process whose chain of parents leads to it, kills each with SIGKILL, reaps
 * it, and looks again until none is left. No cgroup, no root needed. Elsewhere (macOS, the
 * BSDs) it kills the command's process group (the command runs in a session of its own),
 * which misses a process that called setsid(): stray_killed is then -1.
 *
 * Cost: one poll() per 64 KiB of output or per 100 ms; one scan of /proc (a few
 * milliseconds) when the command ends.
 */
#define _DEFAULT_SOURCE /* nanosleep, kill, fdopen, with -std=c11 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define PROGRAM "run_bounded"
#define USAGE                                                                                      \
    "Usage: run_bounded [-t SECONDS] [-c BYTES] [-o FILE] [-r REPORT] [-q] -- COMMAND [ARG...]"

static volatile sig_atomic_t stop_signal; /* set by the handler: SIGINT, SIGTERM, SIGHUP */

static void on_signal(int signal_number)
{
    stop_signal = signal_number;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* --- Output: the head as it comes, the tail kept in a ring, the middle counted --------------- */

struct output {
    size_t head_cap, tail_cap; /* bytes of each end kept */
    size_t total;              /* bytes the command wrote */
    size_t head_len;           /* bytes of the head written so far */
    char *tail;                /* ring of the last tail_cap bytes after the head */
    size_t tail_len, tail_start;
    bool show;        /* write to stdout */
    bool stdout_gone; /* stdout is closed (EPIPE): stop writing there */
    FILE *keep;       /* -o FILE, or NULL */
};

static void write_out(struct output *o, const char *data, size_t len)
{
    if (o->keep != NULL)
        fwrite(data, 1, len, o->keep);
    while (o->show && !o->stdout_gone && len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->stdout_gone = true; /* nobody reads: keep counting, stop writing */
            break;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void take(struct output *o, const char *data, size_t len)
{
    o->total += len;
    if (o->head_len < o->head_cap) {
        size_t n = len < o->head_cap - o->head_len ? len : o->head_cap - o->head_len;
        write_out(o, data, n);
        o->head_len += n;
        data += n;
        len -= n;
    }
    /* The rest goes round the ring: only its last tail_cap bytes stay. */
    for (size_t i = 0; i < len && o->tail_cap > 0; i++) {
        size_t at = (o->tail_start + o->tail_len) % o->tail_cap;
        o->tail[at] = data[i];
        if (o->tail_len < o->tail_cap)
            o->tail_len++;
        else
            o->tail_start = (o->tail_start + 1) % o->tail_cap;
    }
}

/* At the end: the note about what was cut, then the kept tail. Returns the bytes cut. */
static size_t finish_output(struct output *o)
{
    size_t cut = o->total - o->head_len - o->tail_len;
    if (cut > 0) {
        char note[256];
        int n = snprintf(note, sizeof note,
                         "\n... %zu bytes cut (the run wrote %zu bytes; the first %zu and the "
                         "last %zu are kept) ...\n",
                         cut, o->total, o->head_len, o->tail_len);
        write_out(o, note, (size_t)n);
    }
    size_t first =
        o->tail_cap - o->tail_start < o->tail_len ? o->tail_cap - o->tail_start : o->tail_len;
    write_out(o, o->tail + o->tail_start, first);
    write_out(o, o->tail, o->tail_len - first);
    return cut;
}

/* --- Processes ----------------------------------------------------------------------------- */

#ifdef __linux__
struct proc {
    pid_t pid, ppid;
    char state;
};

/* Every process in /proc: its pid, parent and state. Returns how many (in *LIST, free()). */
static size_t scan_processes(struct proc **list)
{
    size_t n = 0, cap = 256;
    DIR *dir = opendir("/proc");
    *list = malloc(cap * sizeof **list);
    if (dir == NULL || *list == NULL) {
        if (dir != NULL)
            closedir(dir);
        return 0;
    }
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char path[64], stat[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        long pid = atol(e->d_name);
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* it ended meanwhile */
        size_t len = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[len] = '\0';
        /* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so look after
         * the last ')'. */
        char *paren = strrchr(stat, ')'), state;
        int ppid;
        if (paren == NULL || sscanf(paren + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (n == cap) {
            struct proc *bigger = realloc(*list, (cap *= 2) * sizeof **list);
            if (bigger == NULL)
                break;
            *list = bigger;
        }
        (*list)[n++] = (struct proc){(pid_t)pid, (pid_t)ppid, state};
    }
    closedir(dir);
    return n;
}

/* The pids already sent SIGKILL, so that each stray is counted once. */
struct seen {
    pid_t *pids;
    size_t count, cap;
};

static bool seen_add(struct seen *s, pid_t pid)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->pids[i] == pid)
            return false;
    if (s->count == s->cap) {
        size_t cap = s->cap > 0 ? s->cap * 2 : 64;
        pid_t *bigger = realloc(s->pids, cap * sizeof *bigger);
        if (bigger == NULL)
            return true; /* counted, not remembered: at worst counted twice */
        s->pids = bigger;
        s->cap = cap;
    }
    s->pids[s->count++] = pid;
    return true;
}

/* SIGKILL every live process below this one. Returns how many are still alive (not yet
 * zombies), which is 0 once every one is gone; new ones are added to SEEN. */
static int kill_descendants(pid_t self, struct seen *seen)
{
    struct proc *list;
    size_t n = scan_processes(&list);
    bool *below = calloc(n > 0 ? n : 1, sizeof *below);
    int alive = 0;
    if (below == NULL) {
        free(list);
        return 0;
    }
    /* Mark the children of this process, then their children, until nothing changes. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (below[i])
                continue;
            bool parent_below = list[i].ppid == self;
            for (size_t j = 0; j < n && !parent_below; j++)
                parent_below = below[j] && list[j].pid == list[i].ppid;
            if (parent_below)
                below[i] = changed = true;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!below[i] || list[i].state == 'Z')
            continue;
        alive++;
        if (kill(list[i].pid, SIGKILL) == 0)
            seen_add(seen, list[i].pid);
    }
    free(below);
    free(list);
    return alive;
}
#endif

/* Reap every child that has ended; note the command's status when it is among them. */
static void reap(pid_t command, bool *command_done, int *status)
{
    for (;;) {
        int s;
        pid_t pid = waitpid(-1, &s, WNOHANG);
        if (pid <= 0)
            return;
        if (pid == command) {
            *command_done = true;
            *status = s;
        }
    }
}

/* Kill everything the command started, and the command if it is still there. Returns how
 * many processes were killed, the command among them if it was still running (-1 when they
 * cannot be counted on this system). */
static int kill_all(pid_t command, bool *command_done, int *status)
{
    int killed;
#ifdef __linux__
    /* Kill, reap, look again: a process killed while it forked leaves an orphan, which
     * comes to this process (the subreaper) and is found in the next round. */
    struct seen seen = {NULL, 0, 0};
    for (double give_up = now_seconds() + 5; now_seconds() < give_up;) {
        int alive = kill_descendants(getpid(), &seen);
        reap(command, command_done, status);
        if (alive == 0)
            break;
        sleep_ms(5);
    }
    killed = (int)seen.count;
    free(seen.pids);
#else
    kill(-command, SIGKILL); /* its process group: it runs in a session of its own */
    killed = -1;
#endif
    reap(command, command_done, status);
    return killed;
}

static long parse_number(const char *text, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0) {
        fprintf(stderr, "%s: %s '%s': expected a number of 0 or more\n%s\n", PROGRAM, what, text,
                USAGE);
        exit(125);
    }
    return value;
}

int main(int argc, char *argv[])
{
    long limit = 0, cap = 131072;
    const char *keep_path = NULL, *report_path = NULL;
    bool quiet = false;
    int opt;

    while ((opt = getopt(argc, argv, "+t:c:o:r:qh")) != -1) {
        switch (opt) {
        case 't':
            limit = parse_number(optarg, "-t");
            break;
        case 'c':
            cap = parse_number(optarg, "-c");
            break;
        case 'o':
            keep_path = optarg;
            break;
        case 'r':
            report_path = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            puts(USAGE);
            return 0;
        default:
            fprintf(stderr, "%s\n", USAGE);
            return 125;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no command\n%s\n", PROGRAM, USAGE);
        return 125;
    }

    struct output out = {
        .head_cap = (size_t)cap / 2, .tail_cap = (size_t)cap - (size_t)cap / 2, .show = !quiet};
    out.tail = malloc(out.tail_cap > 0 ? out.tail_cap : 1);
    if (out.tail == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 125;
    }
    if (keep_path != NULL && (out.keep = fopen(keep_path, "w")) == NULL) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, keep_path, strerror(errno));
        return 125;
    }
#ifdef __linux__
    /* Orphans below this process come to it, not to init: that is how it finds them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        fprintf(stderr, "%s: prctl PR_SET_CHILD_SUBREAPER: %s (orphans may escape)\n", PROGRAM,
                strerror(errno));
#endif
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR and the loop looks */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        fprintf(stderr, "%s: pipe: %s\n", PROGRAM, strerror(errno));
        return 125;
    }
    fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
    double started = now_seconds();
    pid_t command = fork();
    if (command < 0) {
        fprintf(stderr, "%s: fork: %s\n", PROGRAM, strerror(errno));
        return 125;
    }
    if (command == 0) {
        /* A session of its own: out of the terminal's reach (no tty to hang on) and one
         * process group that a single kill() reaches. */
        setsid();
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != STDIN_FILENO) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[1]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, argv[optind], strerror(errno));
        _exit(127);
    }
    close(pipe_fds[1]);

    /* Copy its output until it exits, the time limit passes, or a signal comes. */
    bool command_done = false, timed_out = false;
    int status = 0, pipe_fd = pipe_fds[0];
    static char buffer[65536];
    while (!command_done && !stop_signal) {
        double left = limit > 0 ? started + (double)limit - now_seconds() : 1;
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = pipe_fd, .events = POLLIN};
        int wait_ms = left < 0.1 ? (int)(left * 1000) + 1 : 100;
        int n = poll(&p, pipe_fd >= 0 ? 1 : 0, wait_ms);
        if (n > 0) {
            ssize_t got = read(pipe_fd, buffer, sizeof buffer);
            if (got > 0)
                take(&out, buffer, (size_t)got);
            else if (got == 0 || errno != EINTR) {
                close(pipe_fd); /* every writer closed it; wait for the exit alone */
                pipe_fd = -1;
            }
        }
        reap(command, &command_done, &status);
    }

    /* Whatever is still running is a stray now (or everything, at the limit). */
    int killed = kill_all(command, &command_done, &status);
    if (!command_done) { /* not on Linux, or it hides: wait for it, a bounded while */
        for (int i = 0; i < 200 && !command_done; i++) {
            sleep_ms(10);
            reap(command, &command_done, &status);
        }
    }
    /* The rest of the output: every writer is dead, so the end comes; bounded anyway. */
    for (double give_up = now_seconds() + 2; pipe_fd >= 0 && now_seconds() < give_up;) {
        struct pollfd p = {.fd = pipe_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t got = read(pipe_fd, buffer, sizeof buffer);
        if (got > 0)
            take(&out, buffer, (size_t)got);
        else if (got == 0 || errno != EINTR)
            break;
    }
    double elapsed = now_seconds() - started;
    if (timed_out) {
        char note[160];
        int n = snprintf(note, sizeof note,
                         "\n%s: the time limit of %ld s was reached: every process of this run "
                         "was stopped\n",
                         PROGRAM, limit);
        take(&out, note, (size_t)n);
    }
    size_t cut = finish_output(&out);

    int code = !command_done         ? 125
               : WIFEXITED(status)   ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : 125;
    /* The command's own processes at the limit are not strays: count only what outlived it. */
    int strays = timed_out ? 0 : killed;
    if (report_path != NULL) {
        FILE *r = fopen(report_path, "w");
        if (r == NULL) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, report_path, strerror(errno));
            return 125;
        }
        fprintf(r,
                "time_limit_s %ld\nelapsed_s %.3f\ntimed_out %d\noutput_bytes %zu\n"
                "output_cut %zu\nstray_killed %d\nkilled %d\nstatus %d\n",
                limit, elapsed, timed_out, out.total, cut, strays, killed, code);
        fclose(r);
    }
    if (out.keep != NULL)
        fclose(out.keep);
    free(out.tail);
    if (stop_signal)
        return 128 + stop_signal;
    return timed_out ? 124 : code;
}
