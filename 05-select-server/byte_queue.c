/* byte_queue.c -- a growable FIFO of bytes (see byte_queue.h). */
#include "byte_queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An empty queue keeps a buffer up to this size for the next bytes; bigger ones go back. */
#define KEEP_WHEN_EMPTY 65536

char *byte_queue_reserve(struct byte_queue *q, size_t room)
{
    if (room > SIZE_MAX / 2 - q->length)
        return NULL; /* absurd: would overflow the arithmetic below */
    /* (A queue that never had a byte has no buffer yet: even room for nothing must be a
     * real pointer, and NULL + 0 is undefined. The fuzzer found both.) */
    if (q->data != NULL && q->start + q->length + room <= q->capacity)
        return q->data + q->start + q->length;
    if (q->data != NULL && q->length + room <= q->capacity) {
        /* Enough space overall, but part of it is before `start`: slide the bytes down. */
        memmove(q->data, q->data + q->start, q->length);
        q->start = 0;
        return q->data + q->length;
    }
    size_t capacity = q->capacity ? q->capacity : 4096;
    while (capacity < q->length + room)
        capacity *= 2;
    char *bigger = malloc(capacity);
    if (bigger == NULL)
        return NULL;
    if (q->length > 0)
        memcpy(bigger, q->data + q->start, q->length);
    free(q->data);
    q->data = bigger;
    q->capacity = capacity;
    q->start = 0;
    return q->data + q->length;
}

void byte_queue_commit(struct byte_queue *q, size_t n)
{
    q->length += n;
}

const char *byte_queue_data(const struct byte_queue *q)
{
    return q->data != NULL ? q->data + q->start : "";
}

size_t byte_queue_length(const struct byte_queue *q)
{
    return q->length;
}

void byte_queue_consume(struct byte_queue *q, size_t n)
{
    q->start += n;
    q->length -= n;
    if (q->length == 0) {
        q->start = 0;
        if (q->capacity > KEEP_WHEN_EMPTY)
            byte_queue_free(q);
    }
}

void byte_queue_free(struct byte_queue *q)
{
    free(q->data);
    q->data = NULL;
    q->start = q->length = q->capacity = 0;
}
