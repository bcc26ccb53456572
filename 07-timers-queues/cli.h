/* cli.h -- the two command-line checks every program of 01-threads shares.
 *
 * Python gets int("abc") -> ValueError for free; in C, atoi("abc") quietly returns 0.
 * These helpers say "no" instead, so a program can print one clear line and exit 2.
 */
#ifndef CLI_H
#define CLI_H

/* Parse TEXT as a whole decimal number in [MIN, MAX]: an optional sign and digits,
 * nothing else. Returns 0 and stores it in *VALUE, or -1 (nothing stored) on anything
 * else: "", "12x", "-", " 12", overflow. */
int parse_long(const char *text, long min, long max, long *value);

/* Parse TEXT as a number of seconds: a decimal such as "2", "0.05", ".5" or "1e-3" (no
 * sign, no blanks, no hexadecimal, no "inf"), at most one day. Returns 0 and stores
 * it, or -1 (nothing stored). */
int parse_seconds(const char *text, double *value);

/* Bad usage: print "PROGRAM: PROBLEM" (when FORMAT is not NULL) and then USAGE, both
 * to stderr, and return 2, the exit status for bad usage: `return usage_error(...);`.
 * With FORMAT NULL only the usage line is printed (getopt already named the problem). */
int usage_error(const char *program, const char *usage, const char *format, ...);

/* Sleep for SECONDS (may be fractional), resuming after signals. */
void sleep_seconds(double seconds);

#endif
