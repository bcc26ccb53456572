/* fuzz_byte_queue.c -- libFuzzer harness for byte_queue.c, select_echo's output buffer.
 *
 * The fuzzer's bytes are a program: a sequence of operations on one queue (reserve room
 * and commit part of it, consume, reserve nothing, ask for an absurd amount, free), the
 * way select_echo's recv and send calls drive it, with sizes the fuzzer chooses. Next to
 * the queue runs a model written here, a plain array that appends at the end and removes
 * from the front. After every operation the queue must hold exactly the model's bytes in
 * the model's order; reserve must give room (never NULL for a sane size, and room that can
 * really be written: ASan watches), an absurd reserve must fail and change nothing, an
 * emptied queue must give a big buffer back, and the buffer must stay within twice the
 * most the queue was ever asked to hold (amortised doubling, no runaway growth).
 *
 * Run by `make fuzz` (clang, libFuzzer); `make test` replays tests/corpus/byte_queue.
 */
#include "../byte_queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model's limit: enough for many doublings past the 64 KiB give-back threshold,
 * small enough to stay fast (every step compares the whole queue). */
#define MODEL_MAX (256u << 10)

/* The model: bytes [start, start + length) of a fixed array, oldest first. */
struct model {
    unsigned char bytes[2 * MODEL_MAX];
    size_t start, length;
};

/* The next fuzzer byte (0 once the input is used up). */
static unsigned next_byte(const uint8_t *data, size_t size, size_t *at)
{
    return *at < size ? data[(*at)++] : 0;
}

/* A size from the next two bytes: 0 .. 16383. */
static size_t next_size(const uint8_t *data, size_t size, size_t *at)
{
    size_t high = next_byte(data, size, at) & 0x3f;
    return high << 8 | next_byte(data, size, at);
}

/* Room for N more bytes at the model's end (slides its bytes to the front when needed). */
static unsigned char *model_end(struct model *m, size_t n)
{
    if (m->start + m->length + n > sizeof m->bytes) {
        memmove(m->bytes, m->bytes + m->start, m->length);
        m->start = 0;
    }
    return m->bytes + m->start + m->length;
}

/* The queue holds exactly the model's bytes; its fields are consistent. */
static void check_same(const struct byte_queue *q, const struct model *m)
{
    if (byte_queue_length(q) != m->length || byte_queue_data(q) == NULL)
        abort();
    if (m->length > 0 && memcmp(byte_queue_data(q), m->bytes + m->start, m->length) != 0)
        abort();
    if (q->start + q->length > q->capacity && q->capacity > 0)
        abort();
    if (q->capacity == 0 && q->data != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct model m; /* 512 KiB: not on the stack */
    struct byte_queue q = BYTE_QUEUE_INIT;
    unsigned char next_value = 0; /* appended bytes count up: a reordering shows */
    size_t at = 0, peak = 0;

    m.start = m.length = 0;
    while (at < size) {
        unsigned op = next_byte(data, size, &at) % 6;
        if (op <= 1) { /* reserve ROOM, commit part of it (a recv that got N bytes) */
            size_t room = next_size(data, size, &at);
            size_t n = room * next_byte(data, size, &at) / 255;
            if (m.length + room > MODEL_MAX)
                continue;
            char *p = byte_queue_reserve(&q, room);
            if (p == NULL)
                abort(); /* a sane size must not fail */
            if (q.length + room > peak)
                peak = q.length + room;
            memset(p, 0xA5, room); /* all of the room is ours to write */
            unsigned char *end = model_end(&m, n);
            for (size_t i = 0; i < n; i++)
                p[i] = (char)(end[i] = next_value++);
            byte_queue_commit(&q, n);
            m.length += n;
        } else if (op == 2) { /* consume N (a send that took N bytes), or everything */
            size_t how = next_byte(data, size, &at), n = m.length;
            if (how != 255 && m.length > 0)
                n = (how << 8 | next_byte(data, size, &at)) * 31 % (m.length + 1);
            check_same(&q, &m);
            byte_queue_consume(&q, n);
            m.start += n;
            m.length -= n;
            if (m.length == 0 && q.capacity > 65536)
                abort();      /* an emptied queue gives a big buffer back */
        } else if (op == 3) { /* reserve nothing: still a valid pointer */
            if (byte_queue_reserve(&q, 0) == NULL)
                abort();
            if (q.length > peak)
                peak = q.length;
        } else if (op == 4) { /* an absurd size: refused, and nothing changes */
            size_t before = q.length;
            if (byte_queue_reserve(&q, SIZE_MAX - next_byte(data, size, &at)) != NULL ||
                q.length != before)
                abort();
        } else { /* free: empty again, and usable */
            byte_queue_free(&q);
            m.start = m.length = 0;
        }
        check_same(&q, &m);
        if (q.capacity > 4096 && q.capacity >= 2 * peak)
            abort(); /* doubling overshot: more than twice what was ever needed */
    }
    byte_queue_free(&q);
    return 0;
}
