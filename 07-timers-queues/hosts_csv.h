/* hosts_csv.h -- one line of port_monitor's hosts.csv, parsed by a pure function.
 *
 * The lecture reads its hosts file with csv.reader; here one function reads one
 * line: no I/O, no allocation, no global state, so a fuzzer can call it with any
 * bytes, and the tests can call it with every odd line they can think of.
 *
 * The format, one host per line:
 *
 *     # comment lines start with '#' (after optional blanks); blank lines are skipped
 *     name,host,port
 *     web server,127.0.0.1,8080
 *     "db, primary" , db.example.com , 5432
 *
 * - Exactly three fields separated by commas: a name shown on the page, a host name
 *   or address for getaddrinfo, and a TCP port 1-65535 (digits only).
 * - Blanks (spaces, tabs) around a field are ignored.
 * - A field may be quoted as in CSV (RFC 4180): "a, b" keeps its comma, and "" inside
 *   quotes is one ". A quoted field must end on the same line: this parser sees one
 *   line at a time, so multi-line fields are not supported (an error says so).
 * - A '#' inside a field is just a character: comments are whole lines only.
 * - The header line `name,host,port` (any case) is skipped, so a file exported from
 *   a spreadsheet works.
 * - A trailing "\n" or "\r\n" is ignored; a UTF-8 byte order mark at the start too.
 * - Control characters (other than tab) and NUL bytes are errors: names end up on an
 *   HTML page and in logs.
 */
#ifndef HOSTS_CSV_H
#define HOSTS_CSV_H

#include <stddef.h>

#define HOSTS_NAME_MAX 64  /* bytes of a name */
#define HOSTS_HOST_MAX 253 /* bytes of a host: the longest DNS name */

struct hosts_entry {
    char name[HOSTS_NAME_MAX + 1];
    char host[HOSTS_HOST_MAX + 1];
    char port[6]; /* "1" to "65535", for getaddrinfo */
};

enum hosts_line {
    HOSTS_LINE_ENTRY, /* *ENTRY holds a host */
    HOSTS_LINE_SKIP,  /* blank, comment or header line */
    HOSTS_LINE_ERROR, /* REASON says what is wrong */
};

/* Parse the LEN bytes at LINE (not necessarily NUL-terminated; may contain NULs).
 * On HOSTS_LINE_ENTRY fills *ENTRY; on HOSTS_LINE_ERROR writes a one-line reason
 * (without the file name and line number, which the caller adds) into REASON.
 * Cost: one pass over the line. */
enum hosts_line hosts_parse_line(const char *line, size_t len, struct hosts_entry *entry,
                                 char *reason, size_t reason_size);

#endif
