/* zen.c -- the zen protocol: answers and framing, no I/O (see zen.h). */
#include "zen.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *question, *answer;
} aphorisms[ZEN_APHORISMS] = {
    {"Beautiful is better than?", "Ugly."},
    {"Explicit is better than?", "Implicit."},
    {"Simple is better than?", "Complex."},
};
static const char unknown[] = "Error: unknown aphorism.";

const char *zen_question(int i)
{
    return i >= 0 && i < ZEN_APHORISMS ? aphorisms[i].question : NULL;
}

const char *zen_answer(const char *question, size_t len, size_t *answer_len)
{
    /* Compare lengths first and then bytes: the question may hold NUL bytes, so it
     * is never treated as a C string. */
    for (size_t i = 0; i < sizeof aphorisms / sizeof aphorisms[0]; i++) {
        if (strlen(aphorisms[i].question) == len &&
            memcmp(aphorisms[i].question, question, len) == 0) {
            *answer_len = strlen(aphorisms[i].answer);
            return aphorisms[i].answer;
        }
    }
    *answer_len = sizeof unknown - 1;
    return unknown;
}

void zen_conversation_init(struct zen_conversation *c)
{
    c->received_len = 0;
    c->to_send = NULL;
    c->to_send_len = c->to_send_cap = 0;
}

void zen_conversation_free(struct zen_conversation *c)
{
    free(c->to_send);
    zen_conversation_init(c);
}

/* Append ANSWER to to_send, doubling its room when needed. Returns 0 or -1. */
static int queue_answer(struct zen_conversation *c, const char *answer, size_t len)
{
    if (c->to_send_len + len > c->to_send_cap) {
        size_t cap = c->to_send_cap ? c->to_send_cap : 64;
        while (cap < c->to_send_len + len)
            cap *= 2;
        char *bigger = realloc(c->to_send, cap);
        if (bigger == NULL)
            return -1;
        c->to_send = bigger;
        c->to_send_cap = cap;
    }
    memcpy(c->to_send + c->to_send_len, answer, len);
    c->to_send_len += len;
    return 0;
}

enum zen_status zen_receive(struct zen_conversation *c, const char *data, size_t len)
{
    while (len > 0) {
        /* The lecture tests data.endswith(b'?') on everything received so far, which
         * merges two questions that arrive in one segment into one wrong question.
         * Looking for each '?' answers them one by one, in order. */
        const char *mark = memchr(data, '?', len);
        size_t take = mark != NULL ? (size_t)(mark - data) + 1 : len;
        if (c->received_len + take > ZEN_MAX_QUESTION ||
            (mark == NULL && c->received_len + take == ZEN_MAX_QUESTION))
            return ZEN_TOO_LONG; /* no room left for the '?' that would end it */
        memcpy(c->received + c->received_len, data, take);
        c->received_len += take;
        data += take;
        len -= take;
        if (mark != NULL) {
            size_t answer_len;
            const char *answer = zen_answer(c->received, c->received_len, &answer_len);
            if (queue_answer(c, answer, answer_len) < 0)
                return ZEN_NO_MEMORY;
            c->received_len = 0;
        }
    }
    return ZEN_OK;
}

void zen_sent(struct zen_conversation *c, size_t n)
{
    if (n >= c->to_send_len) {
        c->to_send_len = 0;
        if (c->to_send_cap > 4096) {
            free(c->to_send);
            c->to_send = NULL;
            c->to_send_cap = 0;
        }
        return;
    }
    memmove(c->to_send, c->to_send + n, c->to_send_len - n);
    c->to_send_len -= n;
}
