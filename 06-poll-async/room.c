/* room.c -- tables that grow to fit an fd (see room.h). */
#include "room.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* No table grows past this many items: far more than any test or benchmark here opens. */
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
