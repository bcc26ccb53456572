/* check_zen.c -- the zen protocol module (zen.c) on its own: answers, framing of
 * split and coalesced questions, the 4096-byte limit, and partial sends. No sockets:
 * this is the pure part a fuzzer will drive later. */
#include "../zen.h"
#include "harness.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Feed TEXT (LEN bytes) to a fresh conversation in pieces of PIECE bytes; return what
 * it would send, NUL-terminated (malloc'd), and the final status in *STATUS. */
static char *answers_for(const char *text, size_t len, size_t piece, enum zen_status *status)
{
    struct zen_conversation c;
    zen_conversation_init(&c);
    *status = ZEN_OK;
    for (size_t at = 0; at < len && *status == ZEN_OK; at += piece)
        *status = zen_receive(&c, text + at, len - at < piece ? len - at : piece);
    char *out = malloc(c.to_send_len + 1);
    ck_assert_ptr_nonnull(out);
    if (c.to_send_len > 0)
        memcpy(out, c.to_send, c.to_send_len);
    out[c.to_send_len] = '\0';
    zen_conversation_free(&c);
    return out;
}

/* Each aphorism gets its answer, byte for byte; anything else gets the error. */
START_TEST(answers_are_byte_exact)
{
    static const char *const cases[][2] = {
        {"Beautiful is better than?", "Ugly."},
        {"Explicit is better than?", "Implicit."},
        {"Simple is better than?", "Complex."},
        {"Complex is better than?", "Error: unknown aphorism."},
        {"beautiful is better than?", "Error: unknown aphorism."},
        {"Beautiful is better than ?", "Error: unknown aphorism."},
        {"?", "Error: unknown aphorism."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        const char *answer = zen_answer(cases[i][0], strlen(cases[i][0]), &len);
        ck_assert_uint_eq(len, strlen(cases[i][1]));
        ck_assert_mem_eq(answer, cases[i][1], len);
    }
}
END_TEST

/* The list of questions (the lecture's list(zen_utils.aphorisms)): three, each with
 * its own known answer, and nothing past the end. */
START_TEST(question_list)
{
    for (int i = 0; i < ZEN_APHORISMS; i++) {
        const char *q = zen_question(i);
        ck_assert_ptr_nonnull(q);
        ck_assert_int_eq(q[strlen(q) - 1], '?');
        size_t len;
        ck_assert_str_ne(zen_answer(q, strlen(q), &len), "Error: unknown aphorism.");
    }
    ck_assert_str_eq(zen_question(0), "Beautiful is better than?");
    ck_assert_ptr_null(zen_question(ZEN_APHORISMS));
    ck_assert_ptr_null(zen_question(-1));
}
END_TEST

/* A NUL byte is just a byte: a question holding one is unknown, not cut short. */
START_TEST(nul_bytes_are_data)
{
    size_t len;
    const char *answer = zen_answer("Simple\0is better than?", 22, &len);
    ck_assert_uint_eq(len, 24);
    ck_assert_mem_eq(answer, "Error: unknown aphorism.", 24);
    /* A right question, then a NUL and a '?': two questions, two answers. */
    static const char two[] = "Simple is better than?\0?";
    enum zen_status status;
    char *out = answers_for(two, sizeof two - 1, sizeof two, &status);
    ck_assert_int_eq(status, ZEN_OK);
    ck_assert_str_eq(out, "Complex.Error: unknown aphorism.");
    free(out);
}
END_TEST

/* A question that arrives one byte at a time is answered once, when its '?' comes. */
START_TEST(split_into_single_bytes)
{
    static const char text[] = "Beautiful is better than?";
    struct zen_conversation c;
    zen_conversation_init(&c);
    for (size_t i = 0; i + 1 < sizeof text - 1; i++) {
        ck_assert_int_eq(zen_receive(&c, text + i, 1), ZEN_OK);
        ck_assert_uint_eq(c.to_send_len, 0); /* nothing until the '?' */
        ck_assert_uint_eq(c.received_len, i + 1);
    }
    ck_assert_int_eq(zen_receive(&c, "?", 1), ZEN_OK);
    ck_assert_uint_eq(c.to_send_len, 5);
    ck_assert_mem_eq(c.to_send, "Ugly.", 5);
    ck_assert_uint_eq(c.received_len, 0);
    zen_conversation_free(&c);
}
END_TEST

/* Three questions in one segment: three answers, in the order asked. */
START_TEST(three_questions_in_one_segment)
{
    static const char text[] =
        "Simple is better than?Beautiful is better than?Explicit is better than?";
    enum zen_status status;
    char *out = answers_for(text, sizeof text - 1, sizeof text, &status);
    ck_assert_int_eq(status, ZEN_OK);
    ck_assert_str_eq(out, "Complex.Ugly.Implicit.");
    free(out);
}
END_TEST

/* However the bytes are cut into pieces, the answers are the same. */
START_TEST(any_split_gives_the_same_answers)
{
    static const char text[] = "Explicit is better than?xyz?Simple is better than?"
                               "Beautiful is better than?\x01\xff?Simple is";
    const char *expected = "Implicit.Error: unknown aphorism.Complex.Ugly."
                           "Error: unknown aphorism.";
    for (size_t piece = 1; piece <= sizeof text; piece++) {
        enum zen_status status;
        char *out = answers_for(text, sizeof text - 1, piece, &status);
        ck_assert_int_eq(status, ZEN_OK);
        ck_assert_msg(strcmp(out, expected) == 0, "pieces of %zu: got '%s'", piece, out);
        free(out);
    }
}
END_TEST

/* Up to 4096 bytes with the '?' is a question; 4096 bytes without one is refused,
 * in one piece or many. */
START_TEST(limit_of_4096_bytes)
{
    char *text = malloc(ZEN_MAX_QUESTION + 2);
    ck_assert_ptr_nonnull(text);
    memset(text, 'x', ZEN_MAX_QUESTION + 1);
    text[ZEN_MAX_QUESTION - 1] = '?'; /* 4095 x and a '?': 4096 bytes, fine */
    enum zen_status status;
    for (size_t piece = 1; piece <= ZEN_MAX_QUESTION; piece *= 4) {
        char *out = answers_for(text, ZEN_MAX_QUESTION, piece, &status);
        ck_assert_int_eq(status, ZEN_OK);
        ck_assert_str_eq(out, "Error: unknown aphorism.");
        free(out);
    }
    text[ZEN_MAX_QUESTION - 1] = 'x'; /* 4096 x: can only grow past the limit */
    for (size_t piece = 1; piece <= ZEN_MAX_QUESTION; piece *= 4) {
        char *out = answers_for(text, ZEN_MAX_QUESTION, piece, &status);
        ck_assert_int_eq(status, ZEN_TOO_LONG);
        free(out);
    }
    text[ZEN_MAX_QUESTION] = '?'; /* 4096 x and a '?': 4097 bytes, too long */
    char *out = answers_for(text, ZEN_MAX_QUESTION + 1, ZEN_MAX_QUESTION + 1, &status);
    ck_assert_int_eq(status, ZEN_TOO_LONG);
    free(out);
    /* Earlier questions do not count against the limit of the next one. */
    struct zen_conversation c;
    zen_conversation_init(&c);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(zen_receive(&c, "Simple is better than?", 22), ZEN_OK);
    ck_assert_uint_eq(c.to_send_len, 1000 * strlen("Complex."));
    zen_conversation_free(&c);
    free(text);
}
END_TEST

/* A partial send keeps the rest, in order (the lecture's data[n:]). */
START_TEST(partial_sends_keep_the_rest)
{
    struct zen_conversation c;
    zen_conversation_init(&c);
    ck_assert_int_eq(zen_receive(&c, "Simple is better than?Explicit is better than?", 46), ZEN_OK);
    ck_assert_uint_eq(c.to_send_len, 17);
    zen_sent(&c, 3);
    ck_assert_uint_eq(c.to_send_len, 14);
    ck_assert_mem_eq(c.to_send, "plex.Implicit.", 14);
    zen_sent(&c, 14);
    ck_assert_uint_eq(c.to_send_len, 0);
    zen_conversation_free(&c);
}
END_TEST

static Suite *zen_suite(void)
{
    Suite *s = suite_create("zen");
    TCase *tc = tcase_create("protocol");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, answers_are_byte_exact);
    tcase_add_test(tc, question_list);
    tcase_add_test(tc, nul_bytes_are_data);
    tcase_add_test(tc, split_into_single_bytes);
    tcase_add_test(tc, three_questions_in_one_segment);
    tcase_add_test(tc, any_split_gives_the_same_answers);
    tcase_add_test(tc, limit_of_4096_bytes);
    tcase_add_test(tc, partial_sends_keep_the_rest);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(zen_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
