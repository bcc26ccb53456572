/* pselect_setup.c -- the signal mask and the FD_SETSIZE check of a pselect() server (see
 * pselect_setup.h). */
#include "pselect_setup.h"

#include "net.h"

#include <stdio.h>
#include <string.h>
#include <sys/select.h>

int pselect_server_start(const char *program, const char *host, int port, sigset_t *wait_mask)
{
    net_raise_fd_limit();
    /* Blocked before the handlers exist: from the first moment on, the handler can run
     * only inside pselect. */
    int rc = net_block_signals(wait_mask);
    if (rc != 0) {
        fprintf(stderr, "%s: pthread_sigmask: %s\n", program, strerror(rc));
        return -1;
    }
    int listener = net_server_start(program, host, port);
    if (listener < 0) {
        net_restore_signals(wait_mask);
        return -1;
    }
    /* (The listening line is out already: a server that fails here says so and exits 1.) */
    if (listener >= FD_SETSIZE || net_stop_fd() >= FD_SETSIZE) {
        fprintf(stderr, "%s: descriptor %d is beyond FD_SETSIZE (%d)\n", program,
                listener > net_stop_fd() ? listener : net_stop_fd(), FD_SETSIZE);
        net_server_end(listener);
        net_restore_signals(wait_mask);
        return -1;
    }
    return listener;
}
