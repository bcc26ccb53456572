/* netinfo.c -- lecture 002's table of socket functions, made runnable.
 *
 * Lecture 002 lists, after the main calls, the functions that tell a program where it
 * is on the network:
 *
 *     .gethostname()         Get current hostname
 *     .gethostbyname(name)   Get IP of name
 *     .getpeername()         Remote address
 *     .getsockname()         Local endpoint
 *
 * This program calls each and prints what it got:
 * 1. gethostname(): the name of this machine (lecture 004 binds its server to it).
 * 2. getaddrinfo(name): every address a name has, IPv4 and IPv6, once per socket type.
 *    It replaces gethostbyname(), which knows only IPv4 and is not thread-safe. By
 *    default the names are this host's name and "localhost"; give others as arguments.
 *    A name that does not resolve, or has no IPv6 address, is reported as such: that is
 *    information, not a failure (many machines have no DNS entry for their own name).
 * 3. getsockname() / getpeername() of a live connection: netinfo listens on port 0 of
 *    -H HOST (default 127.0.0.1), so the kernel picks the port, connects to itself and
 *    accepts: each end's "local" address is the other end's "remote" one, and the
 *    client's own port was picked by the kernel too (an "ephemeral" port). With -p PORT
 *    it connects to HOST:PORT instead (a server you started) and shows that connection.
 *
 * Exit status: 0; 1 only when the live connection cannot be made.
 *
 * Usage: netinfo [-H HOST] [-p PORT] [NAME...]
 *
 * Try:   ./netinfo
 *        ./netinfo -H ::1                 the live connection over IPv6
 *        ./netinfo example.com nosuch.invalid
 *        ./echo_server & ./netinfo -p 50007
 * The socket calls are in net.c (net.h): net_listen (socket, bind, listen), net_connect
 * (connect), net_accept (accept), net_format_address (getnameinfo); echo_server.c and
 * echo_client.c make each of those calls themselves: read them first. The calls this
 * program teaches, gethostname, getaddrinfo, getsockname and getpeername, are here.
 *
 * See also: net.c, echo_server.c.
 */
#include "cli.h"
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "netinfo"
#define USAGE                                                                                      \
    "Usage: netinfo [-H HOST] [-p PORT] [NAME...]   (default names: this host's name and "         \
    "localhost)"

static const char *family_name(int family)
{
    return family == AF_INET ? "AF_INET " : family == AF_INET6 ? "AF_INET6" : "other   ";
}

static const char *socktype_name(int type)
{
    return type == SOCK_STREAM  ? "SOCK_STREAM"
           : type == SOCK_DGRAM ? "SOCK_DGRAM "
           : type == SOCK_RAW   ? "SOCK_RAW   "
                                : "other      ";
}

/* Print every address getaddrinfo() gives for NAME, IPv4 and IPv6 alike. */
static void show_addresses(const char *name)
{
    /* AF_UNSPEC: both families. ai_socktype 0: one entry per socket type, which is
     * why each address shows up three times (stream, datagram, raw). */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_CANONNAME}, *list;
    int ipv4 = 0, ipv6 = 0;

    int rc = getaddrinfo(name, NULL, &hints, &list);
    if (rc != 0) {
        printf("getaddrinfo(\"%s\"): does not resolve here: %s\n", name,
               rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return;
    }
    printf("getaddrinfo(\"%s\"): canonical name \"%s\"\n", name,
           list->ai_canonname != NULL ? list->ai_canonname : name);
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        char host[NET_ADDRESS_SIZE];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST) !=
            0)
            snprintf(host, sizeof host, "(unprintable)");
        printf("  %s  %s  %s\n", family_name(ai->ai_family), socktype_name(ai->ai_socktype), host);
        ipv4 += ai->ai_family == AF_INET;
        ipv6 += ai->ai_family == AF_INET6;
    }
    if (ipv4 == 0)
        printf("  (no IPv4 address)\n");
    if (ipv6 == 0)
        printf("  (no IPv6 address)\n");
    freeaddrinfo(list);
}

/* "getsockname() A   getpeername() B" for a connected socket; (getsockname only for a
 * listener, which has no peer). */
static void show_ends(const char *label, int fd)
{
    struct sockaddr_storage address;
    socklen_t len = sizeof address;
    char text[NET_ADDRESS_SIZE] = "(error)";

    if (getsockname(fd, (struct sockaddr *)&address, &len) == 0)
        net_format_address((struct sockaddr *)&address, text, sizeof text);
    printf("  %-8s  getsockname() %-22s", label, text);
    len = sizeof address;
    if (getpeername(fd, (struct sockaddr *)&address, &len) == 0) {
        net_format_address((struct sockaddr *)&address, text, sizeof text);
        printf("  getpeername() %s", text);
    } else if (errno == ENOTCONN) {
        printf("  (no peer: it only listens)");
    } else {
        printf("  getpeername(): %s", strerror(errno));
    }
    putchar('\n');
}

/* Listen on HOST port 0, connect to it, accept, and show the three sockets' ends.
 * Returns the exit status. */
static int show_loopback_connection(const char *host)
{
    char error[256], listening[NET_ADDRESS_SIZE], peer[NET_ADDRESS_SIZE];
    struct sockaddr_storage address;
    socklen_t len = sizeof address;
    int listener, client = -1, accepted = -1, status = 1;

    listener = net_listen(host, 0, error, sizeof error);
    if (listener < 0)
        goto fail;
    if (getsockname(listener, (struct sockaddr *)&address, &len) < 0) {
        snprintf(error, sizeof error, "getsockname: %s", strerror(errno));
        goto fail;
    }
    net_format_address((struct sockaddr *)&address, listening, sizeof listening);
    int port = ntohs(address.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&address)->sin6_port
                                                   : ((struct sockaddr_in *)&address)->sin_port);
    client = net_connect(host, port, 0, peer, sizeof peer, error, sizeof error);
    if (client < 0)
        goto fail;
    /* connect() returned: the kernel finished the handshake, the connection waits in
     * the listener's queue, and accept() takes it at once. */
    accepted = net_accept(listener, -1, peer, sizeof peer, PROGRAM);
    if (accepted < 0) {
        snprintf(error, sizeof error, "accept: %s", strerror(errno));
        goto fail;
    }
    printf("a live connection: listening on %s (asked for port 0), connected to itself\n",
           listening);
    show_ends("listener", listener);
    show_ends("client", client);
    show_ends("accepted", accepted);
    status = 0;
fail:
    if (status != 0)
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
    if (accepted >= 0)
        close(accepted);
    if (client >= 0)
        close(client);
    if (listener >= 0)
        close(listener);
    return status;
}

/* Connect to HOST:PORT and show the connection's ends. Returns the exit status. */
static int show_connection_to(const char *host, int port)
{
    char error[256], peer[NET_ADDRESS_SIZE];
    int sock = net_connect(host, port, 0, peer, sizeof peer, error, sizeof error);

    if (sock < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, error);
        return 1;
    }
    printf("a live connection to %s\n", peer);
    show_ends("client", sock);
    close(sock);
    return 0;
}

int main(int argc, char *argv[])
{
    /* port 0 here means "no -p": listen on port 0 and connect to ourselves */
    struct net_options options = {.host = "127.0.0.1", .port = 0, .min_port = 1};
    int status = parse_net_options(argc, argv, PROGRAM, USAGE, "Hp", NULL, true, &options);
    if (status >= 0)
        return status;

    /* socket.gethostname() */
    char hostname[256];
    bool have_hostname = gethostname(hostname, sizeof hostname) == 0;
    if (have_hostname) {
        hostname[sizeof hostname - 1] = '\0'; /* POSIX does not promise the NUL if cut */
        printf("gethostname(): %s\n", hostname);
    } else {
        printf("gethostname(): failed: %s\n", strerror(errno));
    }

    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            show_addresses(argv[i]);
    } else {
        if (have_hostname)
            show_addresses(hostname);
        show_addresses("localhost");
    }
    fflush(stdout); /* keep the order of stdout and stderr if the connection fails */
    return options.port != 0 ? show_connection_to(options.host, options.port)
                             : show_loopback_connection(options.host);
}
