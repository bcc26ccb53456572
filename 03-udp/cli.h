/* cli.h -- the command line of every program of the kit: strict numbers, the usage
 * error, and the options themselves, declared in a table the way Python's argparse
 * declares them.
 *
 * master: 01-threads/cli.h; edit there, then run `make sync` at the top of the kit
 * (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * Python gets int("abc") -> ValueError for free; in C, atoi("abc") quietly returns 0.
 * These helpers say "no" instead, so a program can print one clear line and exit 2:
 *
 *   Python (argparse)                              C (cli.h)
 *   parser.add_argument("-n", "--count", type=int) {'n', "count", CLI_INT, &count,
 *                                                   "count", 1, 1000}
 *   args = parser.parse_args()                     status = parse_options(argc, argv,
 *                                                   PROGRAM, USAGE, options, false);
 *   (a bad value: "error: argument -n: invalid")   "thread_class: bad count 'x': expected
 *                                                   1 to 1000", the usage line, exit 2
 *
 * The parsers are pure functions (no I/O): a fuzzer calls them directly.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

/* Parse TEXT as a whole decimal number in [MIN, MAX]: an optional sign and digits,
 * nothing else. Returns 0 and stores it in *VALUE, or -1 (nothing stored) on anything
 * else: "", "12x", "-", " 12", overflow. */
int parse_long(const char *text, long min, long max, long *value);

/* Parse TEXT as a number of seconds: a decimal such as "2", "0.05", ".5" or "1e-3" (no
 * sign, no blanks, no hexadecimal, no "inf"), at most one day. Returns 0 and stores
 * it, or -1 (nothing stored). */
int parse_seconds(const char *text, double *value);

/* Parse TEXT as a port number: 1 to 5 digits (no sign, no spaces), MIN to 65535.
 * Servers pass MIN 0 (port 0: the kernel picks a free port), clients 1. Returns 0 and
 * stores it, or -1 (nothing stored) for "", "abc", "-1", "+80", " 80", "70000",
 * "000080" (65535 has five digits: a sixth is a typo, not port 80). */
int parse_port(const char *text, int min, int *port);

/* Bad usage: print "PROGRAM: PROBLEM" (when FORMAT is not NULL) and then USAGE, both
 * to stderr, and return 2, the exit status for bad usage: `return usage_error(...);`.
 * With FORMAT NULL only the usage line is printed (getopt already named the problem). */
int usage_error(const char *program, const char *usage, const char *format, ...);

/* Sleep for SECONDS (may be fractional), resuming after signals. */
void sleep_seconds(double seconds);

/* --- The options, in a table --------------------------------------------------------- */

enum cli_kind {
    CLI_FLAG,    /* no value: sets a bool to true */
    CLI_INT,     /* an int in [MIN, MAX] (parse_long) */
    CLI_LONG,    /* a long in [MIN, MAX] (parse_long) */
    CLI_SECONDS, /* a double in [MIN, MAX] (parse_seconds) */
    CLI_TEXT,    /* any text: stores the argument itself (a const char *) */
    CLI_CHOICE,  /* one of CHOICES: stores its index (an int) */
    CLI_PORT,    /* a port, MIN to 65535 (parse_port; an int) */
};

struct cli_option {
    int letter;       /* 'n' for -n; 0: only the long name */
    const char *name; /* "count" for --count */
    enum cli_kind kind;
    void *value;      /* where the value goes: bool *, int *, long *, double *, ... */
    const char *what; /* how a message names it: "bad WHAT 'ARG': expected ..." */
    double min, max;  /* the accepted range (INT, LONG, SECONDS; PORT: only MIN) */
    /* What the message says is expected (NULL: "MIN to MAX", for SECONDS "MIN to MAX
     * seconds"; for CHOICE the choices joined with "or"). */
    const char *expected;
    const char *const *choices; /* CHOICE: the names, NULL at the end */
};

/* At most this many options in one table (-h/--help comes on top). */
#define CLI_MAX_OPTIONS 24

/* Parse ARGV with getopt_long against OPTIONS (ended by an entry whose NAME is NULL:
 * {0}), storing each value where its entry says; -h/--help is always there. Other
 * arguments (words, names) are refused as bad usage unless TAKES_ARGUMENTS. Returns -1
 * when the program goes on (optind is then its first other argument), else the exit
 * status to return at once: 0 after -h (usage printed on stdout), 2 after bad usage
 * (one line naming the problem, then the usage line, on stderr). */
int parse_options(int argc, char *argv[], const char *program, const char *usage,
                  const struct cli_option *options, bool takes_arguments);

/* The options every network program shares; the caller fills in the defaults. */
struct net_options {
    const char *host; /* -H/--host HOST */
    int port;         /* -p/--port PORT */
    int min_port;     /* 0 for servers (port 0: the kernel picks), 1 for clients */
    bool quiet;       /* -q/--quiet: a server keeps its notes to itself */
};

/* parse_options() for a network program: COMMON names which of -H, -p and -q it takes
 * ("Hpq" for a server), into *NET; OPTIONS (or NULL) are its own. Returns as
 * parse_options does. */
int parse_net_options(int argc, char *argv[], const char *program, const char *usage,
                      const char *common, const struct cli_option *options, bool takes_arguments,
                      struct net_options *net);

#endif
