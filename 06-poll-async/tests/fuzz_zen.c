/* fuzz_zen.c -- libFuzzer harness for the zen question framing (zen.c).
 *
 * The server hands zen_receive() whatever one recv() returned, so the framing must
 * not depend on how the stream is cut. The input is a control part and a stream:
 *
 *     byte 0        how many bytes of control follow (at most 63)
 *     control       chunk sizes (1..64 each, reused in turn) for the split run, and
 *                   how many bytes of to_send the "server" sends after each chunk
 *     the rest      the stream the client sent
 *
 * and the checks (abort() on any violation):
 * - whole and split: the same bytes in one zen_receive() and in chunks, with partial
 *   sends (zen_sent) in between, give the same status and the same answer bytes;
 * - both equal an independent reference written here: each '?' ends a question, the
 *   answer is one of the four byte-exact strings; ZEN_TOO_LONG exactly when 4096
 *   bytes arrive with no '?' (a question of 4096 bytes, '?' included, is fine);
 * - to_send stays within its documented bound (ZEN_MAX_ANSWER per byte received),
 *   and received_len below ZEN_MAX_QUESTION.
 */
#include "../zen.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The reference: what the answers to STREAM must be, and the status. Written from
 * the protocol's text, not from zen.c. */
static size_t reference(const char *stream, size_t len, char *out, enum zen_status *status)
{
    static const char *const known[][2] = {
        {"Beautiful is better than?", "Ugly."},
        {"Explicit is better than?", "Implicit."},
        {"Simple is better than?", "Complex."},
    };
    size_t out_len = 0, start = 0;
    *status = ZEN_OK;
    for (size_t i = 0; i < len; i++) {
        if (stream[i] != '?') {
            if (i - start + 1 == ZEN_MAX_QUESTION) { /* 4096 bytes, no '?' */
                *status = ZEN_TOO_LONG;
                return out_len;
            }
            continue;
        }
        const char *answer = "Error: unknown aphorism.";
        for (size_t k = 0; k < 3; k++)
            if (strlen(known[k][0]) == i - start + 1 &&
                memcmp(known[k][0], stream + start, i - start + 1) == 0)
                answer = known[k][1];
        memcpy(out + out_len, answer, strlen(answer));
        out_len += strlen(answer);
        start = i + 1;
    }
    return out_len;
}

/* to_send holds only whole answers, each one of the four strings. */
static void check_answers(const char *bytes, size_t len)
{
    static const char *const answers[] = {"Ugly.", "Implicit.", "Complex.",
                                          "Error: unknown aphorism."};
    while (len > 0) {
        size_t i = 0;
        while (i < 4 &&
               !(strlen(answers[i]) <= len && memcmp(bytes, answers[i], strlen(answers[i])) == 0))
            i++;
        check(i < 4);
        bytes += strlen(answers[i]);
        len -= strlen(answers[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t control_len = data[0] % 64;
    if (size < 1 + control_len)
        return 0;
    const uint8_t *control = data + 1;
    const char *stream = (const char *)data + 1 + control_len;
    size_t len = size - 1 - control_len;

    /* The reference answers: at most one per byte received. */
    char *expected = malloc(len * ZEN_MAX_ANSWER + 1);
    check(expected != NULL);
    enum zen_status expected_status;
    size_t expected_len = reference(stream, len, expected, &expected_status);

    /* Whole: one zen_receive. */
    struct zen_conversation whole;
    zen_conversation_init(&whole);
    enum zen_status whole_status = zen_receive(&whole, stream, len);
    check(whole_status == expected_status);
    check(whole.to_send_len == expected_len);
    check(expected_len == 0 || memcmp(whole.to_send, expected, expected_len) == 0);
    check(whole.to_send_len <= len * ZEN_MAX_ANSWER);
    check(whole.received_len < ZEN_MAX_QUESTION);
    check_answers(whole.to_send, whole.to_send_len);

    /* Split: chunks of fuzzer-chosen sizes, and after each a partial send whose
     * bytes are collected in SENT, as the client would receive them. */
    struct zen_conversation split;
    zen_conversation_init(&split);
    char *sent = malloc(expected_len + 1);
    check(sent != NULL);
    size_t sent_len = 0, done = 0, k = 0;
    enum zen_status split_status = ZEN_OK;
    while (done < len && split_status == ZEN_OK) {
        size_t chunk = control_len ? (size_t)control[k++ % control_len] % 64 + 1 : 1 + done % 7;
        if (chunk > len - done)
            chunk = len - done;
        split_status = zen_receive(&split, stream + done, chunk);
        done += chunk;
        check(split.to_send_len <= done * ZEN_MAX_ANSWER);
        check(split.received_len < ZEN_MAX_QUESTION);
        /* A partial send: how much of to_send goes out now (maybe nothing). */
        size_t n = control_len ? (size_t)control[k++ % control_len] * 3 : split.to_send_len;
        if (n > split.to_send_len)
            n = split.to_send_len;
        check(sent_len + n <= expected_len);
        if (n > 0)
            memcpy(sent + sent_len, split.to_send, n);
        sent_len += n;
        zen_sent(&split, n);
    }
    check(split_status == expected_status);
    /* The rest goes out in one send. */
    check(sent_len + split.to_send_len == expected_len);
    if (split.to_send_len > 0)
        memcpy(sent + sent_len, split.to_send, split.to_send_len);
    zen_sent(&split, split.to_send_len);
    check(split.to_send_len == 0);
    check(expected_len == 0 || memcmp(sent, expected, expected_len) == 0);

    zen_conversation_free(&whole);
    zen_conversation_free(&split);
    free(sent);
    free(expected);
    return 0;
}
