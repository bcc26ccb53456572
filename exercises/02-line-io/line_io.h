/* line_io.h -- sending everything, and receiving one line at a time, on a stream socket.
 * (Given: the functions below are the contract the tests check.)
 *
 *   Python                              C
 *   sock.sendall(data)                  send_all(fd, data, len)
 *   f = sock.makefile('rb')             struct line_reader r; line_reader_init(&r, fd);
 *   line = f.readline(limit)            n = recv_line(&r, line, sizeof line);
 *
 * send() and recv() may do less than asked (a short write or read), may be interrupted by
 * a signal before doing anything (EINTR), and TCP keeps no message boundaries: one recv()
 * may return half a line, or three lines and a half. These two functions hide all that.
 *
 * Both must call exactly send() and recv() (not write(), read() or sendmsg()): a later
 * part of the course checks them with a fault-injection library that replaces those two
 * functions (LD_PRELOAD) to make every call short, interrupted, or failing.
 */
#ifndef LINE_IO_H
#define LINE_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Send all LEN bytes of BUF on the connected socket FD: call send() again after a short
 * write and after EINTR. A peer that has gone away gives EPIPE instead of killing the
 * process with SIGPIPE: send() with MSG_NOSIGNAL where the system has it (Linux, the
 * BSDs); where it has not (macOS), ignore SIGPIPE (sigaction with SIG_IGN) before sending.
 * Returns 0 when every byte was sent (LEN 0: at once), or -1 with errno set by the send()
 * that failed (EPIPE, ECONNRESET, EAGAIN after a send timeout, EBADF, ...). */
int send_all(int fd, const void *buf, size_t len);

/* How many bytes a line_reader receives ahead at most. Lines may be longer than this. */
#define LINE_READER_BUFFER 4096

/* The state of one connection's reader: bytes received but not yet returned. One reader
 * per socket, used by one thread. (You may add fields; keep the size name above.) */
struct line_reader {
    int fd;
    size_t start; /* buffer[start..end) has been received and not yet returned */
    size_t end;
    char buffer[LINE_READER_BUFFER];
};

/* Start reading lines from FD (nothing received yet). */
void line_reader_init(struct line_reader *r, int fd);

/* Receive the next line from R's socket into LINE, which has room for SIZE bytes.
 * A line is every byte up to and including the next '\n'; bytes are bytes (a NUL is data).
 * Returns:
 *   n > 0  LINE holds the n bytes of the line and a NUL after them (LINE[n] == '\0').
 *          LINE[n - 1] is '\n', except for the last line of a peer that closed in the
 *          middle of a line: then the n bytes are that unterminated rest.
 *   0      the peer closed the connection and nothing is left (the end of the stream).
 *   -1     errno says why:
 *          EMSGSIZE  the line is longer than SIZE - 1 bytes (its '\n' included): LINE holds
 *                    its first SIZE - 1 bytes and a NUL; they are consumed, and the next
 *                    call goes on with the rest of the same line;
 *          EINVAL    SIZE is less than 2;
 *          anything recv() failed with, except EINTR, which is retried (ECONNRESET, EAGAIN
 *          after a receive timeout, EBADF, ...); the unfinished line is then lost.
 * It never waits for more bytes when a whole line has already been received, and it keeps
 * the bytes after the line in R for the next call. */
ssize_t recv_line(struct line_reader *r, char *line, size_t size);

#endif
