/* fuzz_text.c -- libFuzzer harness for text.c: escape_bytes, strip_whitespace,
 * upper_ascii, join_words and the line buffer, the functions that handle whatever bytes
 * the network (or a command line, or standard input) brings.
 *
 * master: 02-tcp-echo/tests/fuzz_text.c; edit there, then run `make sync` at the top of
 * the kit (every folder holds an identical copy; `make test` fails on one that differs).
 *
 * The first byte of the input chooses how the rest is cut into chunks (the pieces a
 * recv() could have returned); the rest is the bytes. Properties, each checked against
 * a reference computed here, any violation aborts:
 * - escape_bytes: the output is printable ASCII only (0x20..0x7e), NUL-terminated at
 *   the returned length, which is the sum of each byte's cost (1 as it is, 2 for
 *   \t \n \r \\ \', 4 for \xHH) and at most ESCAPED_SIZE - 1; decoding it gives the
 *   input back, byte for byte; and escaping chunk by chunk gives the same text as
 *   escaping the whole (nothing depends on where a recv() cut the bytes).
 * - strip_whitespace: the kept part is inside the input, starts and ends with a
 *   non-space byte (or is empty), only ASCII white space was cut, and stripping it
 *   again cuts nothing.
 * - upper_ascii: a-z become A-Z, every other byte stays; doing it twice changes
 *   nothing more; chunk by chunk is the same as whole.
 * - join_words: the input's NUL-separated words joined by single spaces, with the
 *   length counted right.
 * - line_buffer (udp_client's `-`): the bytes fed in chunks, the lines taken after each
 *   chunk and at the end, are exactly the lines of the whole: the pieces between the
 *   '\n's, and the rest after the last '\n' when it is not empty (getline's lines).
 */
#include "../text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* How many bytes escape_bytes writes for C: Python's repr rules. */
static size_t escaped_cost(unsigned char c)
{
    if (c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == '\'')
        return 2;
    return c >= 0x20 && c < 0x7f ? 1 : 4;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode escape_bytes' output TEXT (LEN bytes) into OUT; returns the decoded length,
 * or aborts when TEXT is not something escape_bytes may write. */
static size_t unescape(const char *text, size_t len, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\\') {
            out[n++] = (unsigned char)text[i];
            continue;
        }
        if (++i == len)
            abort(); /* a lone backslash at the end */
        switch (text[i]) {
        case 't':
            out[n++] = '\t';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case '\\':
        case '\'':
            out[n++] = (unsigned char)text[i];
            break;
        case 'x': {
            if (i + 2 >= len)
                abort();
            int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high < 0 || low < 0)
                abort(); /* upper-case or not hex */
            unsigned char c = (unsigned char)(high * 16 + low);
            if (escaped_cost(c) != 4)
                abort(); /* \xHH for a byte that has a shorter form */
            out[n++] = c;
            i += 2;
            break;
        }
        default:
            abort();
        }
    }
    return n;
}

/* The size of chunk number I, from the plan byte: 1 to 16 bytes, varying. */
static size_t chunk_size(unsigned plan, size_t i)
{
    return 1 + ((plan * 7 + i * (plan | 1)) % 16);
}

static void check_escape(const unsigned char *bytes, size_t len, unsigned plan)
{
    char *whole = malloc(ESCAPED_SIZE(len)), *pieces = malloc(ESCAPED_SIZE(len));
    unsigned char *decoded = malloc(len + 1);
    if (whole == NULL || pieces == NULL || decoded == NULL)
        abort();

    size_t n = escape_bytes(bytes, len, whole), cost = 0;
    for (size_t i = 0; i < len; i++)
        cost += escaped_cost(bytes[i]);
    if (n != cost || n > ESCAPED_SIZE(len) - 1 || whole[n] != '\0')
        abort();
    for (size_t i = 0; i < n; i++)
        if (whole[i] < 0x20 || whole[i] > 0x7e)
            abort();
    if (unescape(whole, n, decoded) != len || memcmp(decoded, bytes, len) != 0)
        abort();

    /* Chunk by chunk, each escaped on its own, concatenated: the same text. */
    size_t at = 0, out = 0;
    for (size_t i = 0; at < len; i++) {
        size_t size = chunk_size(plan, i);
        if (size > len - at)
            size = len - at;
        out += escape_bytes(bytes + at, size, pieces + out);
        at += size;
    }
    if (out != n || memcmp(pieces, whole, n) != 0)
        abort();
    free(whole);
    free(pieces);
    free(decoded);
}

static void check_upper(const unsigned char *bytes, size_t len, unsigned plan)
{
    char *once = malloc(len + 1), *pieces = malloc(len + 1);
    if (once == NULL || pieces == NULL)
        abort();
    memcpy(once, bytes, len);
    memcpy(pieces, bytes, len);
    upper_ascii(once, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = bytes[i];
        unsigned char expected = c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
        if ((unsigned char)once[i] != expected)
            abort();
    }
    for (size_t at = 0, i = 0; at < len; i++) {
        size_t size = chunk_size(plan, i);
        if (size > len - at)
            size = len - at;
        upper_ascii(pieces + at, size);
        at += size;
    }
    if (memcmp(pieces, once, len) != 0)
        abort();
    upper_ascii(pieces, len); /* twice is once */
    if (memcmp(pieces, once, len) != 0)
        abort();
    free(once);
    free(pieces);
}

static void check_join(const unsigned char *bytes, size_t len)
{
    /* The input as NUL-separated words (the last one ends with the input). */
    char *copy = malloc(len + 1);
    char *words[64];
    int count = 0;
    if (copy == NULL)
        abort();
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    for (size_t at = 0; at <= len && count < 64; at += strlen(copy + at) + 1)
        words[count++] = copy + at;

    size_t joined_len = 0, expected_len = 0;
    char *joined = join_words(count, words, &joined_len);
    if (joined == NULL)
        abort();
    for (int i = 0; i < count; i++)
        expected_len += strlen(words[i]) + (i > 0);
    if (joined_len != expected_len || strlen(joined) != joined_len)
        abort();
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        if (i > 0 && joined[at++] != ' ')
            abort();
        size_t word = strlen(words[i]);
        if (memcmp(joined + at, words[i], word) != 0)
            abort();
        at += word;
    }
    free(joined);
    free(copy);
}

static void check_strip(const unsigned char *bytes, size_t len)
{
    const char *data = (const char *)bytes;
    size_t start = (size_t)-1, kept = strip_whitespace(data, len, &start);

    if (start > len || kept > len - start)
        abort();
    if (kept > 0 && (is_space(bytes[start]) || is_space(bytes[start + kept - 1])))
        abort();
    for (size_t i = 0; i < len; i++)
        if ((i < start || i >= start + kept) && !is_space(bytes[i]))
            abort(); /* a byte that is not white space was cut */
    size_t again;
    if (strip_whitespace(data + start, kept, &again) != kept || again != 0)
        abort();
}

static void check_lines(const unsigned char *bytes, size_t len, unsigned plan)
{
    struct line_buffer lines = LINE_BUFFER_INIT;
    const unsigned char *expected = bytes, *end = bytes + len; /* the next reference line */
    size_t at = 0;
    bool at_end = false;

    for (size_t i = 0;; i++) {
        const char *line;
        size_t line_len;
        while (line_buffer_next(&lines, at_end, &line, &line_len)) {
            /* the reference: up to the next '\n', or to the end of the input */
            const unsigned char *newline = memchr(expected, '\n', (size_t)(end - expected));
            size_t want = newline != NULL ? (size_t)(newline - expected) : (size_t)(end - expected);
            if (expected >= end || line_len != want || memcmp(line, expected, want) != 0)
                abort();
            if (newline == NULL && !at_end)
                abort(); /* a line without its '\n' before the end */
            expected += want + (newline != NULL);
        }
        if (at_end)
            break;
        if (at == len) {
            at_end = true;
            continue;
        }
        size_t size = chunk_size(plan, i) * (1 + plan % 5); /* up to 80 bytes */
        if (size > len - at)
            size = len - at;
        if (line_buffer_add(&lines, bytes + at, size) != 0)
            abort();
        at += size;
        if (lines.end - lines.start > len || lines.scanned < lines.start ||
            lines.scanned > lines.end)
            abort(); /* it never holds more than what is waiting */
    }
    if (expected != end)
        abort(); /* a line was never given */
    line_buffer_free(&lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned plan = data[0];
    const unsigned char *bytes = data + 1;
    size_t len = size - 1;

    check_escape(bytes, len, plan);
    check_strip(bytes, len);
    check_lines(bytes, len, plan);
    check_upper(bytes, len, plan);
    check_join(bytes, len);
    return 0;
}
