/* The listen addresses of the HTTP server, parsed and bound. */
#ifndef VIRTMETER_LISTEN_H
#define VIRTMETER_LISTEN_H

#include <stddef.h>

/* Checks the form of a listen address ("host:port", "[v6]:port" or
 * ":port", port 0 to 65535) without resolving it. Returns 0 or -EINVAL. */
int listen_check(const char *addr);

/* Parses addr, resolves it and returns a listening TCP socket (close on
 * exec, non-blocking) bound to it: the first address that works, IPv4
 * first; ":port" is every interface, dual-stack where the host has IPv6.
 * Returns the descriptor, owned by the caller, or a negative errno with
 * err filled in, naming addr. */
int listen_open(const char *addr, char *err, size_t errlen);

/* Logs where fd listens, with addr as given: the port that the kernel
 * chose for ":0" shows there. */
void listen_log_bound(const char *addr, int fd);

#endif
