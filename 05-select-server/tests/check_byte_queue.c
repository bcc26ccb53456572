/* check_byte_queue.c -- the output buffer of select_echo, on its own: bytes come out in
 * the order they went in, whatever mix of reserve/commit/consume, and memory is given
 * back when the queue empties. */
#include "../byte_queue.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Append LEN bytes of DATA through reserve + commit. */
static void put(struct byte_queue *q, const char *data, size_t len)
{
    char *room = byte_queue_reserve(q, len);
    ck_assert_ptr_nonnull(room);
    memcpy(room, data, len);
    byte_queue_commit(q, len);
}

/* A new queue is empty and its data is a valid (empty) pointer. */
START_TEST(new_queue_is_empty)
{
    struct byte_queue q = BYTE_QUEUE_INIT;
    ck_assert_uint_eq(byte_queue_length(&q), 0);
    ck_assert_ptr_nonnull(byte_queue_data(&q));
    byte_queue_free(&q);
    ck_assert_uint_eq(byte_queue_length(&q), 0);
}
END_TEST

/* Bytes come out in order, partial consumes included, across growth and across the
 * slide to the front; a commit may be shorter than the room reserved. */
START_TEST(fifo_order_across_growth_and_slides)
{
    struct byte_queue q = BYTE_QUEUE_INIT;
    unsigned char expected_next = 0, next_in = 0;
    uint32_t state = 12345;
    for (int round = 0; round < 20000; round++) {
        state = state * 1103515245u + 12345u;
        size_t add = (state >> 16) % 3000, take;
        char *room = byte_queue_reserve(&q, add + 10);
        ck_assert_ptr_nonnull(room);
        for (size_t i = 0; i < add; i++)
            room[i] = (char)next_in++;
        byte_queue_commit(&q, add); /* less than reserved */
        state = state * 1103515245u + 12345u;
        take = (state >> 16) % 3500;
        if (take > byte_queue_length(&q))
            take = byte_queue_length(&q);
        const unsigned char *out = (const unsigned char *)byte_queue_data(&q);
        size_t wrong = take;
        for (size_t i = 0; i < take && wrong == take; i++)
            if (out[i] != (unsigned char)(expected_next + i))
                wrong = i;
        ck_assert_msg(wrong == take, "round %d: byte %zu out of order", round, wrong);
        expected_next = (unsigned char)(expected_next + take);
        byte_queue_consume(&q, take);
    }
    ck_assert_uint_eq((unsigned char)(expected_next + byte_queue_length(&q)), next_in);
    byte_queue_free(&q);
}
END_TEST

/* Reserving room the buffer already has after a consume slides the bytes to the front
 * instead of growing: capacity stays. */
START_TEST(slides_before_growing)
{
    struct byte_queue q = BYTE_QUEUE_INIT;
    char block[3000];
    memset(block, 'a', sizeof block);
    put(&q, block, sizeof block);
    size_t capacity = q.capacity;
    byte_queue_consume(&q, 2500);
    put(&q, "bcdefghijk", 10);
    ck_assert_uint_eq(q.capacity, capacity);
    ck_assert_uint_eq(byte_queue_length(&q), 510);
    ck_assert_mem_eq(byte_queue_data(&q) + 500, "bcdefghijk", 10);
    byte_queue_free(&q);
}
END_TEST

/* An emptied queue keeps a small buffer (no malloc per message) but gives a big one back. */
START_TEST(emptied_queue_gives_big_buffers_back)
{
    struct byte_queue q = BYTE_QUEUE_INIT;
    put(&q, "small", 5);
    byte_queue_consume(&q, 5);
    ck_assert_ptr_nonnull(q.data);
    ck_assert_uint_eq(q.start, 0);
    char *big = malloc(1 << 20);
    ck_assert_ptr_nonnull(big);
    memset(big, 'z', 1 << 20);
    put(&q, big, 1 << 20);
    ck_assert_uint_ge(q.capacity, 1u << 20);
    byte_queue_consume(&q, 1000);
    ck_assert_ptr_nonnull(q.data);
    byte_queue_consume(&q, (1 << 20) - 1000);
    ck_assert_ptr_null(q.data);
    ck_assert_uint_eq(q.capacity, 0);
    free(big);
    byte_queue_free(&q);
}
END_TEST

/* An absurd request fails cleanly and leaves the queue as it was. */
START_TEST(absurd_reserve_fails_cleanly)
{
    struct byte_queue q = BYTE_QUEUE_INIT;
    put(&q, "keep", 4);
    ck_assert_ptr_null(byte_queue_reserve(&q, SIZE_MAX - 2));
    ck_assert_ptr_null(byte_queue_reserve(&q, SIZE_MAX / 2));
    ck_assert_uint_eq(byte_queue_length(&q), 4);
    ck_assert_mem_eq(byte_queue_data(&q), "keep", 4);
    byte_queue_free(&q);
}
END_TEST

static Suite *byte_queue_suite(void)
{
    Suite *s = suite_create("05-select-server byte_queue");
    TCase *tc = tcase_create("byte_queue");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, new_queue_is_empty);
    tcase_add_test(tc, fifo_order_across_growth_and_slides);
    tcase_add_test(tc, slides_before_growing);
    tcase_add_test(tc, emptied_queue_gives_big_buffers_back);
    tcase_add_test(tc, absurd_reserve_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(byte_queue_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
