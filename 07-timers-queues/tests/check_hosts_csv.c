/* check_hosts_csv.c -- the hosts.csv line parser (hosts_csv.c): what it accepts,
 * what it skips, the exact reason for everything it refuses, and that no input at
 * all can make it misbehave. */
#include "../hosts_csv.h"
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse TEXT (its whole strlen) and return the kind; ENTRY and REASON filled. */
static enum hosts_line parse(const char *text, struct hosts_entry *entry, char reason[160])
{
    memset(entry, 0x55, sizeof *entry); /* garbage: the parser must write what it returns */
    reason[0] = '\0';
    return hosts_parse_line(text, strlen(text), entry, reason, 160);
}

static void expect_entry(const char *text, const char *name, const char *host, const char *port)
{
    struct hosts_entry e;
    char reason[160];
    enum hosts_line kind = parse(text, &e, reason);
    ck_assert_msg(kind == HOSTS_LINE_ENTRY, "'%s': not an entry (%s)", text, reason);
    ck_assert_str_eq(e.name, name);
    ck_assert_str_eq(e.host, host);
    ck_assert_str_eq(e.port, port);
}

static void expect_skip(const char *text)
{
    struct hosts_entry e;
    char reason[160];
    ck_assert_msg(parse(text, &e, reason) == HOSTS_LINE_SKIP, "'%s' was not skipped", text);
}

static void expect_error(const char *text, const char *why)
{
    struct hosts_entry e;
    char reason[160];
    ck_assert_msg(parse(text, &e, reason) == HOSTS_LINE_ERROR, "'%s' was accepted", text);
    ck_assert_str_eq(reason, why);
}

/* Plain lines, blanks around fields, line endings, leading zeros, '#' in a field. */
START_TEST(accepts_plain_lines)
{
    expect_entry("web,127.0.0.1,8080", "web", "127.0.0.1", "8080");
    expect_entry("web,127.0.0.1,8080\n", "web", "127.0.0.1", "8080");
    expect_entry("web,127.0.0.1,8080\r\n", "web", "127.0.0.1", "8080");
    expect_entry("  web server \t, localhost ,  80  \n", "web server", "localhost", "80");
    expect_entry("v6,::1,0080", "v6", "::1", "80");
    expect_entry("web #1,h,65535", "web #1", "h", "65535");
    expect_entry("\xEF\xBB\xBF"
                 "first,h,1",
                 "first", "h", "1"); /* byte order mark */
    expect_entry("caf\xC3\xA9"
                 ",h,1",
                 "caf\xC3\xA9", "h", "1"); /* UTF-8 is just bytes */
}
END_TEST

/* Quoted fields: commas inside, "" for a quote, blanks outside the quotes. */
START_TEST(accepts_quoted_fields)
{
    expect_entry("\"db, primary\",db.example.com,5432", "db, primary", "db.example.com", "5432");
    expect_entry("\"say \"\"hi\"\"\",h,1", "say \"hi\"", "h", "1");
    expect_entry("  \" padded \"  , \"h\" ,\"22\"", " padded ", "h", "22");
    expect_entry("\"\"\"\",h,1", "\"", "h", "1");
}
END_TEST

/* Blank lines, comment lines and the header are skipped. */
START_TEST(skips_blank_comment_and_header_lines)
{
    expect_skip("");
    expect_skip("\n");
    expect_skip("\r\n");
    expect_skip("   \t  ");
    expect_skip("# name,host,port");
    expect_skip("   # indented comment, with, commas");
    expect_skip("name,host,port");
    expect_skip("Name , HOST , Port\r\n");
    expect_skip("\xEF\xBB\xBF# comment after a byte order mark");
}
END_TEST

/* Every kind of bad line gets its own exact reason. */
START_TEST(refuses_bad_lines_with_clear_reasons)
{
    expect_error("just text", "expected 3 fields (name,host,port), found 1");
    expect_error("a,b", "expected 3 fields (name,host,port), found 2");
    expect_error("a,b,1,2", "expected 3 fields (name,host,port), found 4");
    expect_error(",h,1", "empty name");
    expect_error("  \"\" ,h,1", "empty name");
    expect_error("a,,1", "empty host");
    expect_error("a,h,", "empty port");
    expect_error("a,h,0", "bad port '0': expected 1 to 65535");
    expect_error("a,h,65536", "bad port '65536': expected 1 to 65535");
    expect_error("a,h,-1", "bad port '-1': expected 1 to 65535");
    expect_error("a,h,+1", "bad port '+1': expected 1 to 65535");
    expect_error("a,h,http", "bad port 'http': expected 1 to 65535");
    expect_error("a,h,1 2", "bad port '1 2': expected 1 to 65535");
    expect_error("a,h,99999999999999999999",
                 "bad port '99999999999999999999': expected 1 to 65535");
    expect_error("a,my host,1", "bad host 'my host': no blanks allowed");
    expect_error("\"a,h,1",
                 "field 1: the quote is not closed (a quoted field must end on its line)");
    expect_error("a,\"h,1",
                 "field 2: the quote is not closed (a quoted field must end on its line)");
    expect_error("\"a\"x,h,1", "field 1: text after the closing quote");
    expect_error("a\"b,h,1", "field 1: a quote inside an unquoted field (quote the whole field)");
    expect_error("\x1b[31mred,h,1", "control character 0x1b at column 1");
    expect_error("a,h,1\x7f", "control character 0x7f at column 6");
}
END_TEST

/* Lengths: a name of 64 bytes is fine, 65 is not; a host of 253 is fine, 254 not. */
START_TEST(enforces_field_lengths)
{
    char line[600], name[80], host[300];
    memset(name, 'n', 64);
    name[64] = '\0';
    memset(host, 'h', 253);
    host[253] = '\0';
    snprintf(line, sizeof line, "%s,%s,1", name, host);
    expect_entry(line, name, host, "1");
    snprintf(line, sizeof line, "%sx,h,1", name);
    expect_error(line, "name longer than 64 bytes");
    snprintf(line, sizeof line, "a,%sx,1", host);
    expect_error(line, "host longer than 253 bytes");
    char huge[5000];
    memset(huge, 'z', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    expect_error(huge, "expected 3 fields (name,host,port), found 1");
}
END_TEST

/* The parser reads exactly LEN bytes: no NUL terminator needed, NUL bytes inside
 * are refused, and a small reason buffer is cut, never overrun. */
START_TEST(reads_exactly_len_bytes)
{
    struct hosts_entry e;
    char reason[160];
    ck_assert_int_eq(hosts_parse_line("a,b,12345", 6, &e, reason, sizeof reason), HOSTS_LINE_ENTRY);
    ck_assert_str_eq(e.port, "12");
    ck_assert_int_eq(hosts_parse_line("a\0b,h,1", 7, &e, reason, sizeof reason), HOSTS_LINE_ERROR);
    ck_assert_str_eq(reason, "control character 0x00 at column 2");
    char tiny[8];
    memset(tiny, 'X', sizeof tiny);
    ck_assert_int_eq(hosts_parse_line("a,b", 3, &e, tiny, 5), HOSTS_LINE_ERROR);
    ck_assert_str_eq(tiny, "expe");
    ck_assert_int_eq(tiny[5], 'X');
    ck_assert_int_eq(hosts_parse_line("", 0, &e, reason, sizeof reason), HOSTS_LINE_SKIP);
}
END_TEST

/* A small fuzz: 100000 random lines (bytes biased towards the interesting ones).
 * Every answer is one of the three; an entry is always a valid one; under
 * SANITIZE=address any out-of-bounds access would stop the test. */
START_TEST(survives_random_lines)
{
    static const char interesting[] = ",,,\"\" #\t\r\n0123456789aZ:.\xEF\xBB\xBF\x00\x7f";
    unsigned long long state = 0x2545F4914F6CDD1DULL;
    char line[300];
    int entries = 0, skips = 0, errors = 0;
    for (int round = 0; round < 100000; round++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17; /* xorshift64 */
        size_t len = state % sizeof line;
        for (size_t i = 0; i < len; i++) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            line[i] = state % 4 ? interesting[(state >> 8) % (sizeof interesting - 1)]
                                : (char)(state >> 16);
        }
        char *exact = malloc(len > 0 ? len : 1); /* exactly LEN bytes: ASan sees overreads */
        ck_assert_ptr_nonnull(exact);
        memcpy(exact, line, len);
        struct hosts_entry e;
        char reason[64];
        enum hosts_line kind = hosts_parse_line(exact, len, &e, reason, sizeof reason);
        free(exact);
        if (kind == HOSTS_LINE_ENTRY) {
            entries++;
            ck_assert(strlen(e.name) >= 1 && strlen(e.name) <= HOSTS_NAME_MAX);
            ck_assert(strlen(e.host) >= 1 && strlen(e.host) <= HOSTS_HOST_MAX);
            long port = strtol(e.port, NULL, 10);
            ck_assert(port >= 1 && port <= 65535);
        } else if (kind == HOSTS_LINE_SKIP) {
            skips++;
        } else {
            ck_assert_int_eq(kind, HOSTS_LINE_ERROR);
            ck_assert(strlen(reason) > 0 && strlen(reason) < sizeof reason);
            errors++;
        }
    }
    ck_assert_int_gt(entries, 0); /* the generator does reach every outcome */
    ck_assert_int_gt(skips, 0);
    ck_assert_int_gt(errors, 0);
}
END_TEST

static Suite *hosts_csv_suite(void)
{
    Suite *s = suite_create("hosts_csv");
    TCase *tc = tcase_create("hosts_csv");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, accepts_plain_lines);
    tcase_add_test(tc, accepts_quoted_fields);
    tcase_add_test(tc, skips_blank_comment_and_header_lines);
    tcase_add_test(tc, refuses_bad_lines_with_clear_reasons);
    tcase_add_test(tc, enforces_field_lengths);
    tcase_add_test(tc, reads_exactly_len_bytes);
    tcase_add_test(tc, survives_random_lines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(hosts_csv_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
