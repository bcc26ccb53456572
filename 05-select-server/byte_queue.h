/* byte_queue.h -- a growable FIFO of bytes: what select_echo keeps for a client while the
 * client is not reading fast enough (Python's fopnp async server keeps the same thing
 * in its bytes_to_send dictionary).
 *
 * Pure memory handling, no I/O: easy to test on its own, and to fuzz.
 *
 *     char *room = byte_queue_reserve(&q, 4096);   // space for up to 4096 more bytes
 *     ssize_t n = recv(fd, room, 4096, 0);
 *     if (n > 0) byte_queue_commit(&q, n);         // they are in the queue now
 *     ...
 *     ssize_t sent = send(fd, byte_queue_data(&q), byte_queue_length(&q), 0);
 *     if (sent > 0) byte_queue_consume(&q, sent);  // they have left
 */
#ifndef BYTE_QUEUE_H
#define BYTE_QUEUE_H

#include <stddef.h>

struct byte_queue {
    char *data;      /* NULL until the first byte */
    size_t start;    /* the oldest byte is data[start] */
    size_t length;   /* bytes queued: data[start .. start + length) */
    size_t capacity; /* bytes allocated */
};

#define BYTE_QUEUE_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Return room for at least ROOM more bytes after the queued ones, or NULL when memory runs
 * out (the queue is unchanged). Moves the queued bytes to the front, or doubles the
 * buffer, as needed: O(length) at worst, amortised O(1) per byte. */
char *byte_queue_reserve(struct byte_queue *q, size_t room);
/* Append the first N bytes of the room byte_queue_reserve returned (N <= ROOM). */
void byte_queue_commit(struct byte_queue *q, size_t n);
/* The oldest queued byte, and how many there are. */
const char *byte_queue_data(const struct byte_queue *q);
size_t byte_queue_length(const struct byte_queue *q);
/* Drop the N oldest bytes (N <= length). An emptied queue gives a big buffer back
 * (above 64 KiB), so that an idle client costs little. O(1). */
void byte_queue_consume(struct byte_queue *q, size_t n);
/* Free everything; the queue is empty and usable again. */
void byte_queue_free(struct byte_queue *q);

#endif
