/* room.c -- tables that grow to fit an fd, and the descriptor limit (see room.h). */
#include "room.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* No table grows past this many items, and no limit is raised past this many
 * descriptors: far more than any test or benchmark here opens. */
#define MOST (1 << 20)

void *make_room(void *table, int *size, size_t item_size, int index)
{
    if (index < *size)
        return table;
    if (index < 0 || index >= MOST) {
        errno = ENOMEM;
        return NULL;
    }
    int bigger_size = *size > 0 ? *size : 64;
    while (bigger_size <= index)
        bigger_size *= 2;
    char *bigger = realloc(table, (size_t)bigger_size * item_size);
    if (bigger == NULL)
        return NULL; /* realloc left TABLE as it was */
    /* Zeroed: an fd's entry reads "nothing here" until it is filled in. */
    memset(bigger + (size_t)*size * item_size, 0, (size_t)(bigger_size - *size) * item_size);
    *size = bigger_size;
    return bigger;
}

long raise_descriptor_limit(long wanted)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return -1;
    if (limit.rlim_cur == RLIM_INFINITY)
        return LONG_MAX;
    rlim_t target = limit.rlim_max;
    if (wanted > 0 && (target == RLIM_INFINITY || target > (rlim_t)wanted))
        target = (rlim_t)wanted;
    if (target == RLIM_INFINITY || target > MOST)
        target = MOST;
    /* macOS refuses a soft limit above OPEN_MAX (EINVAL) whatever the hard limit says,
     * and valgrind keeps a few descriptors for itself: ask for less and less, halfway
     * down to what we have, until the system agrees. */
    while (target > limit.rlim_cur) {
        struct rlimit raised = {.rlim_cur = target, .rlim_max = limit.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limit.rlim_cur = target;
            break;
        }
        target = limit.rlim_cur + (target - limit.rlim_cur) / 2;
    }
    return (long)limit.rlim_cur;
}
