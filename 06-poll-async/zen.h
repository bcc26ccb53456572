/* zen.h -- the zen protocol of the lecture's async server, as pure functions.
 *
 * The lecture's zen_utils.py holds the aphorisms and get_answer(); srv_async.py keeps,
 * for every socket, the bytes received so far (bytes_received[sock]) and the bytes
 * still to send (bytes_to_send[sock]). This module is that bookkeeping with no I/O at
 * all: bytes in, answers out. The server only moves bytes between sockets and these
 * functions, and a fuzzer (or a unit test) can drive them with any split of any bytes.
 *
 * The protocol (byte-exact): a question is any bytes ending in '?', no newline.
 *   "Beautiful is better than?" -> "Ugly."
 *   "Explicit is better than?"  -> "Implicit."
 *   "Simple is better than?"    -> "Complex."
 *   anything else               -> "Error: unknown aphorism."
 * Several questions may arrive in one segment (answered in order) and one question
 * may arrive split over many. A question is at most ZEN_MAX_QUESTION bytes, '?'
 * included: once that many bytes have come with no '?', the client is misbehaving.
 */
#ifndef ZEN_H
#define ZEN_H

#include <stddef.h>

#define ZEN_MAX_QUESTION 4096
/* The longest answer, "Error: unknown aphorism." (24 bytes). */
#define ZEN_MAX_ANSWER 24

/* How many aphorisms there are, and the I-th question (0 <= I < ZEN_APHORISMS), a
 * NUL-terminated static string: the lecture's list(zen_utils.aphorisms). */
#define ZEN_APHORISMS 3
const char *zen_question(int i);

/* The answer to QUESTION (LEN bytes, its final '?' included; NUL bytes allowed): a
 * static string, whose length is stored in *ANSWER_LEN. */
const char *zen_answer(const char *question, size_t len, size_t *answer_len);

/* One conversation's state: the lecture's bytes_received[sock] and bytes_to_send[sock]. */
struct zen_conversation {
    char received[ZEN_MAX_QUESTION]; /* the start of a question still without its '?' */
    size_t received_len;
    char *to_send; /* answers not yet sent, in order (malloc'd, grows as needed) */
    size_t to_send_len, to_send_cap;
};

enum zen_status {
    ZEN_OK,        /* everything taken; answers (if any) appended to to_send */
    ZEN_TOO_LONG,  /* ZEN_MAX_QUESTION bytes without a '?': close the connection */
    ZEN_NO_MEMORY, /* to_send could not grow */
};

/* Start a conversation (nothing received, nothing to send). */
void zen_conversation_init(struct zen_conversation *c);
/* Free what it holds (to_send). */
void zen_conversation_free(struct zen_conversation *c);

/* Take LEN bytes just received. Every question they complete is answered, in order,
 * at the end of c->to_send; the start of an unfinished question is kept in
 * c->received. Costs O(LEN) plus one copy of each answer. At most one answer per
 * byte of DATA, so to_send grows by at most LEN * ZEN_MAX_ANSWER bytes. */
enum zen_status zen_receive(struct zen_conversation *c, const char *data, size_t len);

/* The first N bytes of to_send went out: drop them (the lecture's data[n:]). Once
 * everything is sent a large buffer is freed, so a burst does not pin memory. */
void zen_sent(struct zen_conversation *c, size_t n);

#endif
