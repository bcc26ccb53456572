/* udp.c -- binding, sending and the address rules of 03-udp (see udp.h); the rest is
 * net.c. */
#include "udp.h"
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The port of an IPv4 or IPv6 address, in host byte order; -1 for another family. */
static int port_of(const struct sockaddr *address)
{
    if (address->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)address)->sin_port);
    if (address->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
    return -1;
}

bool udp_reply_would_loop(const struct sockaddr *sender, const struct sockaddr *self)
{
    int port = port_of(sender);
    return port < 1024 || port == port_of(self);
}

bool udp_same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

int udp_bind(const char *host, int port, char *error, size_t error_size)
{
    struct addrinfo *list = net_resolve(host, port, SOCK_DGRAM, AI_PASSIVE, error, error_size);
    int fd = -1;

    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[NET_ADDRESS_SIZE];
        net_format_address(ai->ai_addr, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            snprintf(error, error_size, "bind %s: %s", where, strerror(errno));
            close(fd);
            fd = -1;
        } else if (net_set_blocking(fd, false) < 0) {
            snprintf(error, error_size, "fcntl O_NONBLOCK: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (list != NULL)
        freeaddrinfo(list);
    return fd;
}

int udp_send(int sock, const void *data, size_t len, const struct sockaddr *to, socklen_t to_len,
             int wait_ms)
{
    long long deadline = net_monotonic_ms() + wait_ms;

    for (;;) {
        if (sendto(sock, data, len, 0, to, to_len) >= 0)
            return 0; /* a datagram goes whole or not at all: no short sends */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        long long left = deadline - net_monotonic_ms();
        if (left <= 0)
            return -1; /* still no room: errno is EAGAIN */
        int ready = net_wait(sock, POLLOUT, (int)left);
        if (ready < 0)
            return -1; /* a stop (ECANCELED) or a poll error */
        if (ready == 0) {
            errno = EAGAIN;
            return -1;
        }
    }
}
