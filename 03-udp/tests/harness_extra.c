/* harness_extra.c -- UDP test peers and pipe reading for the 03-udp suites (see
 * harness_extra.h). */
#include "harness_extra.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Milliseconds left until DEADLINE, at least 0. */
static int ms_left(long long deadline)
{
    long long left = deadline - monotonic_ms();
    return left > 0 ? (int)left : 0;
}

struct sockaddr_in loopback(int port)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int udp_socket(int *port)
{
    struct sockaddr_in address = loopback(0);
    socklen_t len = sizeof address;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

int unused_udp_port(void)
{
    int port = 0, fd = udp_socket(&port);
    if (fd >= 0)
        close(fd);
    return port;
}

int send_datagram(int fd, const void *data, size_t len, int port)
{
    struct sockaddr_in to = loopback(port);
    ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&to, sizeof to);
    return n == (ssize_t)len ? 0 : -1;
}

ssize_t recv_datagram(int fd, void *buf, size_t size, int timeout_ms, struct sockaddr_in *from)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        struct sockaddr_in sender;
        socklen_t len = sizeof sender;
        ssize_t got = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&sender, &len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got >= 0 && from != NULL)
            *from = sender;
        return got;
    }
}

int send_spoofed(const struct sockaddr_in *from, const struct sockaddr_in *to, const void *data,
                 size_t len)
{
    static unsigned char packet[65535];
    size_t total = 20 + 8 + len;
    if (total > sizeof packet) {
        errno = EMSGSIZE;
        return -1;
    }
    /* IPPROTO_RAW: we write the IP header too (IP_HDRINCL); the kernel fills in its
     * checksum, total length and id. The UDP checksum 0 means "none" over IPv4. */
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0)
        return -1;
    memset(packet, 0, 28);
    packet[0] = 0x45; /* IPv4, a header of 5 words */
    packet[2] = (unsigned char)(total >> 8);
    packet[3] = (unsigned char)total;
    packet[8] = 64;          /* time to live */
    packet[9] = IPPROTO_UDP; /* what follows */
    memcpy(packet + 12, &from->sin_addr, 4);
    memcpy(packet + 16, &to->sin_addr, 4);
    memcpy(packet + 20, &from->sin_port, 2);
    memcpy(packet + 22, &to->sin_port, 2);
    packet[24] = (unsigned char)((8 + len) >> 8);
    packet[25] = (unsigned char)(8 + len);
    memcpy(packet + 28, data, len);
    ssize_t n = sendto(fd, packet, total, 0, (const struct sockaddr *)to, sizeof *to);
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return n == (ssize_t)total ? 0 : -1;
}

void fill_random(void *buf, size_t len, unsigned seed)
{
    unsigned char *bytes = buf;
    unsigned long long state = seed * 2654435761ULL + 1;
    for (size_t i = 0; i < len; i++) { /* xorshift64: fast, even under valgrind */
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (unsigned char)(state >> 24);
    }
}

char *read_until_eof(int fd, size_t *len, int timeout_ms)
{
    long long deadline = monotonic_ms() + scaled_ms(timeout_ms);
    size_t cap = 4096;
    char *buf = malloc(cap);

    *len = 0;
    while (buf != NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (cap - *len < 2048) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                break;
            buf = bigger;
        }
        ssize_t k = read(fd, buf + *len, cap - *len - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        if (k == 0) {
            buf[*len] = '\0';
            return buf;
        }
        *len += (size_t)k;
    }
    free(buf);
    return NULL;
}

int client_start(struct child *c, const char *program, int port, const char *const args[])
{
    char port_text[16];
    const char *argv[32] = {program, "-p", port_text};
    int n = 3;
    snprintf(port_text, sizeof port_text, "%d", port);
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return child_start(c, argv, CHILD_STDIN_PIPE);
}

int child_finish(struct child *c, char **out, char **err, int timeout_ms)
{
    size_t len;
    *out = read_until_eof(c->out, &len, timeout_ms);
    if (*out == NULL)
        *out = strdup("(stdout did not end in time)");
    int code = child_wait(c, timeout_ms);
    *err = child_stderr(c);
    child_close(c);
    return code;
}
