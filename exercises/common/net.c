/* net.c -- opening sockets for the exercises' programs (see net.h). */
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char *format_address(const struct sockaddr *address, char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN], port[8];
    socklen_t length =
        address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_in plain;

    /* ::ffff:127.0.0.1 is an IPv4 peer seen through an IPv6 socket: show it as IPv4. */
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *six = (const struct sockaddr_in6 *)address;
        if (IN6_IS_ADDR_V4MAPPED(&six->sin6_addr)) {
            memset(&plain, 0, sizeof plain);
            plain.sin_family = AF_INET;
            plain.sin_port = six->sin6_port;
            memcpy(&plain.sin_addr, &six->sin6_addr.s6_addr[12], 4);
            address = (const struct sockaddr *)&plain;
            length = sizeof plain;
        }
    }
    if (getnameinfo(address, length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(text, size, "?");
        return text;
    }
    if (address->sa_family == AF_INET6)
        snprintf(text, size, "[%s]:%s", host, port);
    else
        snprintf(text, size, "%s:%s", host, port);
    return text;
}

char *peer_address(int fd, char *text, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;

    if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) {
        snprintf(text, size, "?");
        return text;
    }
    return format_address((struct sockaddr *)&address, text, size);
}

/* getaddrinfo for HOST:PORT; on failure fill ERROR and return -1. */
static int resolve(const char *host, int port, int socktype, int flags, struct addrinfo **list,
                   char *error, size_t error_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype, .ai_flags = flags};
    char service[16];

    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, list);
    if (rc != 0) {
        snprintf(error, error_size, "getaddrinfo %s: %s", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int tcp_listen(const char *host, int port, char *error, size_t error_size)
{
    struct addrinfo *list;
    int fd = -1;

    if (resolve(host, port, SOCK_STREAM, AI_PASSIVE, &list, error, error_size) != 0)
        return -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[ADDRESS_TEXT_SIZE];
        const char *step = "socket";
        int one = 1;

        format_address(ai->ai_addr, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        /* SO_REUSEADDR: a restarted server may bind at once, even while connections of
         * its previous run are still in TIME_WAIT. */
        if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            (step = "bind", bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) &&
            (step = "listen", listen(fd, 128) == 0))
            break;
        snprintf(error, error_size, "%s %s: %s", step, where, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    return fd;
}

int print_listening(int listener, char *error, size_t error_size)
{
    char where[ADDRESS_TEXT_SIZE];
    struct sockaddr_storage address;
    socklen_t length = sizeof address;

    if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        snprintf(error, error_size, "getsockname: %s", strerror(errno));
        return -1;
    }
    printf("listening on %s\n", format_address((struct sockaddr *)&address, where, sizeof where));
    /* stdout is a pipe when a test or a script starts the server: without the flush the
     * line would wait in stdio's buffer, and whoever waits for it would wait forever. */
    if (fflush(stdout) != 0) {
        snprintf(error, error_size, "stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int tcp_connect_to(const char *host, int port, char *error, size_t error_size)
{
    struct addrinfo *list;
    int fd = -1;

    if (resolve(host, port, SOCK_STREAM, 0, &list, error, error_size) != 0)
        return -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        char where[ADDRESS_TEXT_SIZE];

        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            snprintf(error, error_size, "connect %s: %s",
                     format_address(ai->ai_addr, where, sizeof where), strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

int udp_socket_to(const char *host, int port, struct sockaddr_storage *address, socklen_t *length,
                  char *error, size_t error_size)
{
    struct addrinfo *list;
    int fd = -1;

    if (resolve(host, port, SOCK_DGRAM, 0, &list, error, error_size) != 0)
        return -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            snprintf(error, error_size, "socket: %s", strerror(errno));
            continue;
        }
        memcpy(address, ai->ai_addr, ai->ai_addrlen);
        *length = ai->ai_addrlen;
    }
    freeaddrinfo(list);
    return fd;
}
