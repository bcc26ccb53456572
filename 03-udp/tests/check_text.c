/* check_text.c -- the pure functions of text.c (escaping, upper, join, lines), udp.c
 * (udp_same_address, udp_reply_would_loop) and cli.c (ports, seconds), called directly. */
#include "../cli.h"
#include "../text.h"
#include "../udp.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Escape LEN bytes and compare with EXPECTED (also checks the returned length). */
static void assert_escapes(const char *data, size_t len, const char *expected)
{
    char out[ESCAPED_SIZE(64)];
    ck_assert_uint_le(len, 64);
    size_t n = escape_bytes(data, len, out);
    ck_assert_str_eq(out, expected);
    ck_assert_uint_eq(n, strlen(expected));
}

/* Printable ASCII stays as it is; the named escapes are Python's (\t \n \r \\ \'). */
START_TEST(escape_like_python_repr)
{
    assert_escapes("Hello, world", 12, "Hello, world");
    assert_escapes("", 0, "");
    assert_escapes("tab\there\n", 9, "tab\\there\\n");
    assert_escapes("\r", 1, "\\r");
    assert_escapes("it's", 4, "it\\'s");
    assert_escapes("a\\b", 3, "a\\\\b");
    assert_escapes("\"", 1, "\""); /* inside single quotes a double quote is plain */
    assert_escapes("~ !", 3, "~ !");
}
END_TEST

/* NUL, other control bytes, DEL and every byte >= 0x80 become \xHH, lower-case. */
START_TEST(escape_hex_for_unprintable_bytes)
{
    assert_escapes("a\0b", 3, "a\\x00b");
    assert_escapes("\x01\x0b\x0c\x1f\x7f", 5, "\\x01\\x0b\\x0c\\x1f\\x7f");
    assert_escapes("\xc3\xa9", 2, "\\xc3\\xa9"); /* UTF-8 e-acute: two bytes */
    assert_escapes("\xff", 1, "\\xff");
}
END_TEST

/* All 256 byte values: the output fits ESCAPED_SIZE and has the expected length
 * (95 printable, of which 2 are escaped, 3 named, 158 as \xHH). */
START_TEST(escape_all_byte_values_fits)
{
    char data[256], out[ESCAPED_SIZE(256)];
    for (int i = 0; i < 256; i++)
        data[i] = (char)i;
    size_t n = escape_bytes(data, sizeof data, out);
    ck_assert_uint_eq(n, 93 + 2 * 2 + 3 * 2 + 158 * 4);
    ck_assert_uint_eq(strlen(out), n);
}
END_TEST

/* upper_ascii changes a-z only: digits, NUL, and UTF-8 bytes stay. */
START_TEST(upper_ascii_only)
{
    char text[] = "hello, World 42 \0z \xc3\xa9";
    upper_ascii(text, sizeof text - 1);
    ck_assert_int_eq(memcmp(text, "HELLO, WORLD 42 \0Z \xc3\xa9", sizeof text - 1), 0);
}
END_TEST

/* join_words is " ".join(words), including empty words. */
START_TEST(join_words_with_spaces)
{
    char *words[] = {"a", "b c", "", "d"};
    size_t len;
    char *joined = join_words(4, words, &len);
    ck_assert_str_eq(joined, "a b c  d");
    ck_assert_uint_eq(len, 8);
    free(joined);
    joined = join_words(0, words, &len);
    ck_assert_str_eq(joined, "");
    ck_assert_uint_eq(len, 0);
    free(joined);
}
END_TEST

/* Ports are 1 to 5 digits, within range; servers may ask for 0, clients not. */
START_TEST(parse_port_is_strict)
{
    int port = -7;
    ck_assert_int_eq(parse_port("50007", 0, &port), 0);
    ck_assert_int_eq(port, 50007);
    ck_assert_int_eq(parse_port("0", 0, &port), 0);
    ck_assert_int_eq(port, 0);
    ck_assert_int_eq(parse_port("65535", 1, &port), 0);
    ck_assert_int_eq(port, 65535);
    ck_assert_int_eq(parse_port("00080", 1, &port), 0); /* 5 digits: still a port */
    ck_assert_int_eq(port, 80);
    const char *bad[] = {"",    "000080", /* 6 digits: found by the fuzzer */
                         "abc", "70000",  "65536", "-1",  "+80",
                         " 80", "80 ",    "8o",    "1e3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        port = -7;
        ck_assert_msg(parse_port(bad[i], 0, &port) == -1, "'%s' accepted", bad[i]);
        ck_assert_int_eq(port, -7);
    }
    ck_assert_int_eq(parse_port("0", 1, &port), -1);
}
END_TEST

/* Seconds: decimals and exponents, never negative, NaN or more than a day. */
START_TEST(parse_seconds_and_long)
{
    double s = -1;
    ck_assert_int_eq(parse_seconds("0.25", &s), 0);
    ck_assert(s == 0.25);
    ck_assert_int_eq(parse_seconds("1e-3", &s), 0);
    ck_assert_int_eq(parse_seconds("-1", &s), -1);
    ck_assert_int_eq(parse_seconds("nan", &s), -1);
    ck_assert_int_eq(parse_seconds("", &s), -1);
    ck_assert_int_eq(parse_seconds("1x", &s), -1);
    ck_assert_int_eq(parse_seconds("100000", &s), -1);
    /* a plain decimal only: strtod's blanks, signs, hexadecimal and infinity are not */
    const char *bad[] = {" 1", "+1", "0x10", "inf", "1 ", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = -7;
        ck_assert_msg(parse_seconds(bad[i], &s) == -1, "'%s' accepted", bad[i]);
        ck_assert(s == -7);
    }
    long v;
    ck_assert_int_eq(parse_long("12", 1, 20, &v), 0);
    ck_assert_int_eq(v, 12);
    ck_assert_int_eq(parse_long("21", 1, 20, &v), -1);
    /* a sign and digits only: strtol's leading blanks are not */
    ck_assert_int_eq(parse_long(" 12", 1, 20, &v), -1);
    ck_assert_int_eq(parse_long("\t12", 1, 20, &v), -1);
}
END_TEST

/* udp_same_address: family, address and port must all match; IPv6 too. */
START_TEST(same_address_compares_endpoints)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(20000)}, b = a;
    a.sin_addr.s_addr = b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(udp_same_address((struct sockaddr *)&a, (struct sockaddr *)&b));
    b.sin_port = htons(20001); /* another port: another sender */
    ck_assert(!udp_same_address((struct sockaddr *)&a, (struct sockaddr *)&b));
    b.sin_port = a.sin_port;
    b.sin_addr.s_addr = htonl(0x7f000002); /* 127.0.0.2 */
    ck_assert(!udp_same_address((struct sockaddr *)&a, (struct sockaddr *)&b));

    struct sockaddr_in6 x = {.sin6_family = AF_INET6, .sin6_port = htons(20000)}, y = x;
    x.sin6_addr = y.sin6_addr = in6addr_loopback;
    ck_assert(udp_same_address((struct sockaddr *)&x, (struct sockaddr *)&y));
    ck_assert(!udp_same_address((struct sockaddr *)&x, (struct sockaddr *)&a)); /* families */
    y.sin6_addr.s6_addr[0] = 0xfe;
    ck_assert(!udp_same_address((struct sockaddr *)&x, (struct sockaddr *)&y));
}
END_TEST

/* udp_reply_would_loop: no answer to our own port (from any address, any family), nor to
 * a port below 1024; every other sender is answered. */
START_TEST(reply_would_loop_refuses_own_and_system_ports)
{
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons(20000)}, sender = self;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sender.sin_addr.s_addr = htonl(0x0a000001); /* 10.0.0.1: another host, our port */
    ck_assert(udp_reply_would_loop((struct sockaddr *)&sender, (struct sockaddr *)&self));
    const int ports[] = {0, 7, 19, 1023};
    for (int i = 0; i < 4; i++) {
        sender.sin_port = htons((uint16_t)ports[i]);
        ck_assert_msg(udp_reply_would_loop((struct sockaddr *)&sender, (struct sockaddr *)&self),
                      "port %d answered", ports[i]);
    }
    const int fine[] = {1024, 19999, 20001, 54321, 65535};
    for (int i = 0; i < 5; i++) {
        sender.sin_port = htons((uint16_t)fine[i]);
        ck_assert_msg(!udp_reply_would_loop((struct sockaddr *)&sender, (struct sockaddr *)&self),
                      "port %d not answered", fine[i]);
    }
    struct sockaddr_in6 sender6 = {.sin6_family = AF_INET6, .sin6_port = htons(20000)};
    ck_assert(udp_reply_would_loop((struct sockaddr *)&sender6, (struct sockaddr *)&self));
    sender6.sin6_port = htons(40000);
    ck_assert(!udp_reply_would_loop((struct sockaddr *)&sender6, (struct sockaddr *)&self));
}
END_TEST

/* Feed TEXT to a line buffer in pieces of PIECE bytes and return the lines it gives,
 * each followed by '|', in OUT. */
static void cut_lines(const char *text, size_t piece, char *out)
{
    struct line_buffer lines = LINE_BUFFER_INIT;
    size_t len = strlen(text), at = 0;
    const char *line;
    size_t line_len;
    out[0] = '\0';
    for (bool at_end = false;;) {
        while (line_buffer_next(&lines, at_end, &line, &line_len)) {
            strncat(out, line, line_len);
            strcat(out, "|");
        }
        if (at_end)
            break;
        size_t n = len - at < piece ? len - at : piece;
        ck_assert_int_eq(line_buffer_add(&lines, text + at, n), 0);
        at += n;
        at_end = at == len;
    }
    line_buffer_free(&lines);
}

/* The line buffer gives getline's lines, however the input is cut: a last line
 * without its newline counts, an empty rest does not; a line of 10000 bytes that
 * comes 1 byte at a time is one line. */
START_TEST(line_buffer_cuts_like_getline)
{
    char out[12000];
    for (size_t piece = 1; piece <= 8; piece++) {
        cut_lines("one\n\ntab\there\nlast", piece, out);
        ck_assert_str_eq(out, "one||tab\there|last|");
        cut_lines("a\nb\n", piece, out);
        ck_assert_str_eq(out, "a|b|");
        cut_lines("", piece, out);
        ck_assert_str_eq(out, "");
        cut_lines("\n", piece, out);
        ck_assert_str_eq(out, "|");
    }
    static char long_line[10002];
    memset(long_line, 'y', 10000);
    long_line[10000] = '\n';
    cut_lines(long_line, 1, out);
    ck_assert_uint_eq(strlen(out), 10001);
    ck_assert_int_eq(out[10000], '|');
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("03-udp text, addresses and cli");
    TCase *tc = tcase_create("pure functions");
    tcase_set_timeout(tc, 5);
    tcase_add_test(tc, escape_like_python_repr);
    tcase_add_test(tc, escape_hex_for_unprintable_bytes);
    tcase_add_test(tc, escape_all_byte_values_fits);
    tcase_add_test(tc, upper_ascii_only);
    tcase_add_test(tc, join_words_with_spaces);
    tcase_add_test(tc, parse_port_is_strict);
    tcase_add_test(tc, parse_seconds_and_long);
    tcase_add_test(tc, same_address_compares_endpoints);
    tcase_add_test(tc, reply_would_loop_refuses_own_and_system_ports);
    tcase_add_test(tc, line_buffer_cuts_like_getline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(text_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
