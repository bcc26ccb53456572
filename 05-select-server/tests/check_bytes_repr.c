/* check_bytes_repr.c -- bytes_repr() writes exactly what Python 3's repr(bytes) writes
 * (the expected strings below were printed by Python 3.11), and never overflows. */
#include "../bytes_repr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *data;
    size_t len;
    const char *python;
} cases[] = {
    {"hello\n", 6, "b'hello\\n'"},
    {"it's", 4, "b\"it's\""},
    {"say \"hi\"", 8, "b'say \"hi\"'"},
    {"both ' and \"", 12, "b'both \\' and \"'"},
    {"\x00\x01\x7f\x80\xff", 5, "b'\\x00\\x01\\x7f\\x80\\xff'"},
    {"tab\there\r\n", 10, "b'tab\\there\\r\\n'"},
    {"back\\slash", 10, "b'back\\\\slash'"},
    {"", 0, "b''"},
};

/* Each case matches Python byte for byte, and the returned length is its length. */
START_TEST(matches_python)
{
    char text[128];
    size_t n = bytes_repr(cases[_i].data, cases[_i].len, text, sizeof text);
    ck_assert_str_eq(text, cases[_i].python);
    ck_assert_uint_eq(n, strlen(cases[_i].python));
}
END_TEST

/* Like snprintf: a short buffer gets a NUL-terminated prefix, the return value is the
 * length needed, and a zero-size buffer is not touched. */
START_TEST(truncates_like_snprintf)
{
    char text[8];
    memset(text, '#', sizeof text);
    size_t n = bytes_repr("\x01\x02\x03", 3, text, sizeof text);
    ck_assert_uint_eq(n, strlen("b'\\x01\\x02\\x03'"));
    ck_assert_str_eq(text, "b'\\x01\\"); /* 7 bytes and the NUL */
    ck_assert_uint_eq(bytes_repr("abc", 3, text, 0), 6);
    ck_assert_int_eq(text[0], 'b'); /* untouched */
}
END_TEST

/* BYTES_REPR_SIZE(n) is enough for the worst case: n bytes that all need \xNN. */
START_TEST(worst_case_fits)
{
    char data[1024], text[BYTES_REPR_SIZE(1024)];
    memset(data, 0xff, sizeof data);
    size_t n = bytes_repr(data, sizeof data, text, sizeof text);
    ck_assert_uint_lt(n, sizeof text);
    ck_assert_uint_eq(strlen(text), n);
    ck_assert_int_eq(text[n - 1], '\'');
}
END_TEST

static Suite *bytes_repr_suite(void)
{
    Suite *s = suite_create("05-select-server bytes_repr");
    TCase *tc = tcase_create("bytes_repr");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, matches_python, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, truncates_like_snprintf);
    tcase_add_test(tc, worst_case_fits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(bytes_repr_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
