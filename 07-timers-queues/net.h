/* net.h -- a TCP connect that gives up after a timeout, for pool_demo's page loader
 * and port_monitor's probes.
 *
 *   Python                                        C
 *   socket.create_connection((host, port), 1.0)   net_connect(host, port, 1.0, -1, why, n)
 *   except socket.timeout: "timed out"            -1, why = "timed out"
 *   except ConnectionRefusedError as e: str(e)    -1, why = "Connection refused"
 *
 * A plain connect() waits as long as the kernel likes (over two minutes when SYNs go
 * unanswered). To bound it: make the socket non-blocking, start connect() (it says
 * EINPROGRESS), then poll() for writability with a timeout; once writable, the
 * outcome is in getsockopt(SO_ERROR). Every address getaddrinfo() gives (IPv6 and
 * IPv4 for "localhost") is tried in turn, within the one overall timeout.
 *
 * Costs: one socket and a handshake (a loopback round trip is some microseconds),
 * plus getaddrinfo(): instant for numeric addresses and names in /etc/hosts, a DNS
 * query otherwise -- and that part cannot be interrupted or bounded by TIMEOUT.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

/* Connect to HOST:PORT (PORT a number or service name) within TIMEOUT seconds. If
 * STOP_FD >= 0, also give up as soon as it becomes readable ("stopped"): a self-pipe
 * that a signal handler writes to. Returns a connected socket in blocking mode, or
 * -1 with a short reason in WHY: strerror() of the failure ("Connection refused"),
 * "timed out", "stopped", or getaddrinfo's message ("Name or service not known"). */
int net_connect(const char *host, const char *port, double timeout, int stop_fd, char *why,
                size_t why_size);

#endif
