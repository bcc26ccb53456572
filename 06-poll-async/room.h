/* room.h -- room for many connections: tables indexed by file descriptor that grow to
 * fit. (The descriptor limit itself is raised by net.c's net_raise_fd_limit.)
 *
 * An event-loop server keeps its state in arrays indexed by fd (the lecture's
 * sockets[fd] dictionary: fds are small integers, so an array is the natural map),
 * and it holds as many connections as the process may have descriptors. The tables
 * grow here, once for the whole folder: zen_server.c, async_echo.c, loadgen.c, loop.c and
 * loop_poll.c use them.
 */
#ifndef ROOM_H
#define ROOM_H

#include <stddef.h>

/* Make room for TABLE[INDEX] in a table of *SIZE items of ITEM_SIZE bytes: when INDEX
 * is past the end, double the size (from 64) until it fits, realloc, and zero the new
 * items. Returns the table, moved or not, with *SIZE updated; or NULL (ENOMEM) with
 * TABLE and *SIZE left as they were. TABLE may be NULL with *SIZE 0. Costs one
 * comparison when INDEX already fits, which is nearly always: the table only doubles. */
void *make_room(void *table, int *size, size_t item_size, int index);

#endif
