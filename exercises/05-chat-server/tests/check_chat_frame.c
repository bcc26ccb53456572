/* check_chat_frame.c -- the graded tests of exercise 05-chat-server, part 1: frame_line()
 * of chat_frame.h, a pure function, called directly. The table at the end gives the points. */
#include "chat_frame.h"
#include "graded.h"

#include <stdlib.h>

static const char *result_name(enum frame_result r)
{
    return r == FRAME_LINE        ? "FRAME_LINE"
           : r == FRAME_NEED_MORE ? "FRAME_NEED_MORE"
           : r == FRAME_TOO_LONG  ? "FRAME_TOO_LONG"
                                  : "an unknown value";
}

/* frame_line(BUF, LEN, MAX) must return EXPECTED, with *line_len == EXPECTED_LEN for a line. */
#define EXPECT_FRAME(buf, len, max, expected, expected_len)                                        \
    do {                                                                                           \
        size_t line_len_ = 999999;                                                                 \
        enum frame_result got_ = frame_line(buf, len, max, &line_len_);                            \
        ck_assert_msg(got_ == (expected),                                                          \
                      "frame_line(%s, len %zu, max %zu) returned %s, "                             \
                      "expected %s%s",                                                             \
                      #buf, (size_t)(len), (size_t)(max), result_name(got_),                       \
                      result_name(expected),                                                       \
                      got_ == FRAME_NEED_MORE ? " (the stub always says FRAME_NEED_MORE: not "     \
                                                "implemented yet?)"                                \
                                              : "");                                               \
        if ((expected) == FRAME_LINE)                                                              \
            ck_assert_msg(line_len_ == (size_t)(expected_len),                                     \
                          "frame_line(%s, len %zu) set *line_len to %zu, expected %zu", #buf,      \
                          (size_t)(len), line_len_, (size_t)(expected_len));                       \
    } while (0)

/* Complete lines are found with their '\n' (the first line only), NUL is data, and a buffer
 * without '\n' needs more. */
START_TEST(frame_finds_the_first_complete_line)
{
    EXPECT_FRAME("abc\n", 4, 4096, FRAME_LINE, 4);
    EXPECT_FRAME("abc\ndef\n", 8, 4096, FRAME_LINE, 4);
    EXPECT_FRAME("\n", 1, 4096, FRAME_LINE, 1);
    EXPECT_FRAME("a\0b\n", 4, 4096, FRAME_LINE, 4);
    EXPECT_FRAME("abc\ndef", 4, 4096, FRAME_LINE, 4);
    EXPECT_FRAME("abc", 3, 4096, FRAME_NEED_MORE, 0);
    EXPECT_FRAME("", 0, 4096, FRAME_NEED_MORE, 0);
    EXPECT_FRAME("abc\n", 3, 4096, FRAME_NEED_MORE, 0); /* LEN ends before the '\n' */
}
END_TEST

/* The limit: at most MAX bytes before the '\n'. MAX bytes and '\n' is a line; MAX bytes
 * without '\n' needs more; MAX + 1 bytes without '\n', with or without one after, is too
 * long; and a line that fits is found even when a too-long one follows it. */
START_TEST(frame_enforces_the_line_limit)
{
    enum { MAX = CHAT_MAX_LINE };
    char *buf = malloc(MAX + 10);
    ck_assert_ptr_nonnull(buf);
    memset(buf, 'x', MAX + 10);
    buf[MAX] = '\n';
    EXPECT_FRAME(buf, MAX + 1, MAX, FRAME_LINE, MAX + 1);
    EXPECT_FRAME(buf, MAX, MAX, FRAME_NEED_MORE, 0);
    buf[MAX] = 'x';
    buf[MAX + 1] = '\n';
    EXPECT_FRAME(buf, MAX + 1, MAX, FRAME_TOO_LONG, 0);
    EXPECT_FRAME(buf, MAX + 2, MAX, FRAME_TOO_LONG, 0);
    EXPECT_FRAME(buf, MAX + 10, MAX, FRAME_TOO_LONG, 0);
    free(buf);

    EXPECT_FRAME("abc\n", 4, 3, FRAME_LINE, 4);
    EXPECT_FRAME("abcd\n", 5, 3, FRAME_TOO_LONG, 0);
    EXPECT_FRAME("abcd", 4, 3, FRAME_TOO_LONG, 0);
    EXPECT_FRAME("ab\nabcdefgh", 11, 3, FRAME_LINE, 3);
}
END_TEST

int main(void)
{
    /* The graded items: test, points, timeout in seconds. */
    const struct graded_test tests[] = {
        GRADED(frame_finds_the_first_complete_line, 1, 5),
        GRADED(frame_enforces_the_line_limit, 2, 5),
    };
    return graded_main("05-chat-server framing", tests, sizeof tests / sizeof tests[0]);
}
