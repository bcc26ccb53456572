/* fuzz_chat_frame.c -- a libFuzzer harness for the chat line framing of exercise
 * 05-chat-server: frame_line() of chat_frame.h, in the REFERENCE SOLUTION
 * (05-chat-server/solution/chat_frame.c). Instructors only: the student kit does not get
 * it (against the stub, which always says "need more", it would report a bug at once).
 *
 * `make fuzz` builds it with clang's libFuzzer and runs it; `make test` links it with
 * fuzz_replay.c instead and replays tests/corpus/chat_frame/.
 *
 * The input: byte 0 chooses MAX (odd: CHAT_MAX_LINE, 4096, as the server uses it; even: 1
 * to 64, so that too-long lines are reached with short inputs); bytes 1-8 are chunk sizes
 * (1 to 256, used in turn); the rest is what a client sends. The same bytes go through
 * three consumers that must agree exactly:
 *   whole:     frame_line() over all of them at once, line after line;
 *   split:     as chat_server does it: a buffer of MAX + 1 bytes, filled by "recv()" calls
 *              of the chosen chunk sizes (at most the room left), frame_line() after each,
 *              each call on an exact-size copy of what is buffered (ASan sees a read past
 *              LEN), the unfinished rest moved to the front;
 *   reference: a plain scan for '\n' written here from the contract.
 * Agreeing means the same lines (bytes and lengths, NUL bytes being data like any other),
 * then the same end: a line over MAX bytes (FRAME_TOO_LONG, and nothing after it), or the
 * stream's end with the same unfinished rest. Besides: a FRAME_LINE is at most MAX + 1 bytes
 * and ends with its only '\n'; *LINE_LEN is left alone unless the answer is FRAME_LINE; and
 * the answer is one of the three values.
 */
#include "chat_frame.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "fuzz_chat_frame: %s:%d: property broken: %s\n", __FILE__, __LINE__,   \
                    #condition);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* What a consumer saw: the lines (concatenated, with their lengths), then how it ended. */
struct outcome {
    char *bytes;
    size_t bytes_len;
    size_t *lengths;
    size_t count;
    bool too_long;
    size_t rest; /* unfinished bytes at the end of the stream (when not too_long) */
};

static void outcome_init(struct outcome *o, size_t size)
{
    o->bytes = malloc(size + 1);
    o->lengths = malloc((size + 1) * sizeof *o->lengths);
    CHECK(o->bytes != NULL && o->lengths != NULL);
    o->bytes_len = o->count = o->rest = 0;
    o->too_long = false;
}

static void add_line(struct outcome *o, const char *line, size_t len)
{
    memcpy(o->bytes + o->bytes_len, line, len);
    o->bytes_len += len;
    o->lengths[o->count++] = len;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
    return a->count == b->count && a->bytes_len == b->bytes_len && a->too_long == b->too_long &&
           (a->too_long || a->rest == b->rest) &&
           memcmp(a->lengths, b->lengths, a->count * sizeof *a->lengths) == 0 &&
           memcmp(a->bytes, b->bytes, a->bytes_len) == 0;
}

/* frame_line() with the contract's checks on its answer. */
static enum frame_result frame(const char *buf, size_t len, size_t max, size_t *line_len)
{
    const size_t untouched = (size_t)-7;
    *line_len = untouched;
    enum frame_result r = frame_line(buf, len, max, line_len);
    CHECK(r == FRAME_LINE || r == FRAME_NEED_MORE || r == FRAME_TOO_LONG);
    if (r != FRAME_LINE) {
        CHECK(*line_len == untouched);
        return r;
    }
    CHECK(*line_len >= 1 && *line_len <= len && *line_len <= max + 1);
    CHECK(buf[*line_len - 1] == '\n');
    CHECK(memchr(buf, '\n', *line_len - 1) == NULL);
    return r;
}

/* The stream STREAM[0..LEN) framed all at once. */
static void whole(const char *stream, size_t len, size_t max, struct outcome *o)
{
    size_t done = 0, line_len;
    for (;;) {
        enum frame_result r = frame(stream + done, len - done, max, &line_len);
        if (r == FRAME_LINE) {
            add_line(o, stream + done, line_len);
            done += line_len;
        } else {
            o->too_long = r == FRAME_TOO_LONG;
            o->rest = len - done;
            return;
        }
    }
}

/* The stream as chat_server receives it: bounded buffer, chunks of the chosen sizes. */
static void split(const char *stream, size_t len, size_t max, const uint8_t chunks[8],
                  struct outcome *o)
{
    size_t cap = max + 1, in_len = 0, pos = 0, line_len;
    char *in = malloc(cap);
    CHECK(in != NULL);
    for (int turn = 0; pos < len; turn++) {
        size_t n = (size_t)chunks[turn % 8] + 1;
        if (n > cap - in_len)
            n = cap - in_len; /* recv() is given only the room left */
        if (n > len - pos)
            n = len - pos;
        CHECK(n > 0); /* the buffer never stays full: a full one is a line or too long */
        memcpy(in + in_len, stream + pos, n);
        in_len += n;
        pos += n;
        size_t done = 0;
        for (;;) {
            /* An exact-size copy: a read past the end is a heap overflow ASan reports. */
            char *exact = malloc(in_len - done);
            CHECK(exact != NULL || in_len == done);
            if (in_len > done)
                memcpy(exact, in + done, in_len - done);
            enum frame_result r = frame(exact, in_len - done, max, &line_len);
            free(exact);
            if (r == FRAME_LINE) {
                add_line(o, in + done, line_len);
                done += line_len;
                continue;
            }
            if (r == FRAME_TOO_LONG) {
                o->too_long = true; /* the client is disconnected: nothing more */
                free(in);
                return;
            }
            break;
        }
        memmove(in, in + done, in_len - done);
        in_len -= done;
    }
    o->rest = in_len;
    free(in);
}

/* The contract, read literally: line after line, a '\n' after at most MAX other bytes. */
static void reference(const char *stream, size_t len, size_t max, struct outcome *o)
{
    size_t start = 0;
    for (;;) {
        size_t i = start;
        while (i < len && i - start <= max && stream[i] != '\n')
            i++;
        if (i < len && stream[i] == '\n' && i - start <= max) {
            add_line(o, stream + start, i - start + 1);
            start = i + 1;
        } else if (i - start > max) {
            o->too_long = true;
            return;
        } else {
            o->rest = len - start;
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    size_t max = data[0] & 1 ? CHAT_MAX_LINE : 1 + (size_t)(data[0] >> 1) % 64;
    const uint8_t *chunks = data + 1;
    size_t len = size - 9;
    char *stream = malloc(len); /* exactly the bytes: ASan sees a read past them */
    CHECK(stream != NULL || len == 0);
    if (len > 0)
        memcpy(stream, data + 9, len);

    struct outcome a, b, c;
    outcome_init(&a, len);
    outcome_init(&b, len);
    outcome_init(&c, len);
    whole(stream, len, max, &a);
    split(stream, len, max, chunks, &b);
    reference(stream, len, max, &c);
    CHECK(same(&a, &c));
    CHECK(same(&b, &c));
    if (!c.too_long)
        CHECK(c.rest <= max);
    struct outcome *all[] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        free(all[i]->bytes);
        free(all[i]->lengths);
    }
    free(stream);
    return 0;
}
