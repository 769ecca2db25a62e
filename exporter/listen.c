/* The listen addresses of the HTTP server: "host:port", "[v6]:port" or
 * ":port" parsed, resolved and bound to listening sockets, each error
 * naming the address at fault. Kept apart from the server so that the
 * sockets can be bound before virtmeter gives up root (--runas). */
#include "exporter/listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter/api/log.h"

/* Connections past a full pool that nothing idle can make room for wait
 * in the kernel's accept queue (capped by net.core.somaxconn) instead of
 * having their SYN dropped and retried seconds later. */
#define LISTEN_BACKLOG 4096

/* Formats a one-line error message into err (which may be NULL). */
__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Splits "host:port", "[v6addr]:port" or ":port" into host (empty for all
 * interfaces) and a numeric port, each copied NUL-terminated. Returns 0 or
 * -EINVAL. */
static int split_host_port(const char *addr, char *host, size_t hostlen,
			   char *port, size_t portlen)
{
	const char *colon, *h = addr;
	size_t nhost;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' || end == addr + 1)
			return -EINVAL;
		h = addr + 1;
		nhost = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		nhost = (size_t)(colon - addr);
		/* A bare IPv6 address is ambiguous: "::1:80" needs brackets. */
		if (memchr(addr, ':', nhost))
			return -EINVAL;
	}
	if (nhost >= hostlen)
		return -EINVAL;
	colon++;
	if (colon[0] == '\0' || strlen(colon) >= portlen ||
	    strspn(colon, "0123456789") != strlen(colon) ||
	    strtoul(colon, NULL, 10) > 65535)
		return -EINVAL;
	memcpy(host, h, nhost);
	host[nhost] = '\0';
	memcpy(port, colon, strlen(colon) + 1);
	return 0;
}

int listen_check(const char *addr)
{
	char host[NI_MAXHOST], port[8];

	return split_host_port(addr, host, sizeof(host), port, sizeof(port));
}

/* Makes a listening TCP socket bound to sa. IPv6 sockets also take IPv4
 * clients (IPV6_V6ONLY off), which makes "[::]" and ":port" dual-stack.
 * Returns the descriptor or a negative errno. */
static int bind_socket(const struct sockaddr *sa, socklen_t salen)
{
	int fd, one = 1, zero = 0, rc = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		rc = -errno;
	else if (sa->sa_family == AF_INET6 &&
		 setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			    sizeof(zero)) < 0)
		rc = -errno;
	else if (bind(fd, sa, salen) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Binds every interface: [::] dual-stack, or 0.0.0.0 where the host has no
 * IPv6. Returns the descriptor or a negative errno. */
static int bind_any(unsigned short port)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	int fd = bind_socket((const struct sockaddr *)&a6, sizeof(a6));

	if (fd == -EAFNOSUPPORT || fd == -EPROTONOSUPPORT ||
	    fd == -EADDRNOTAVAIL)
		fd = bind_socket((const struct sockaddr *)&a4, sizeof(a4));
	return fd;
}

/* Resolves host and binds the first address that works, IPv4 ones first
 * (as Go programs do for "localhost"). Returns the descriptor or a negative
 * errno, with err filled in. */
static int bind_host(const char *addr, const char *host, bool numeric,
		     const char *port, char *err, size_t errlen)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int fd = -1, first_err = 0, grc;

	if (numeric)
		hints.ai_flags |= AI_NUMERICHOST;
	grc = getaddrinfo(host, port, &hints, &res);
	if (grc != 0) {
		int e = grc == EAI_SYSTEM && errno ? errno : EADDRNOTAVAIL;

		set_err(err, errlen, "listen %s: %s", addr,
			grc == EAI_SYSTEM ? strerror(e) : gai_strerror(grc));
		return -e;
	}
	for (size_t i = 0; i < 2 && fd < 0; i++) {
		for (struct addrinfo *ai = res; ai && fd < 0;
		     ai = ai->ai_next) {
			if (ai->ai_family != families[i])
				continue;
			fd = bind_socket(ai->ai_addr, ai->ai_addrlen);
			/* The first error is about the best address. */
			if (fd < 0 && first_err == 0)
				first_err = fd;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fd = first_err ? first_err : -EADDRNOTAVAIL;
		set_err(err, errlen, "listen %s: %s", addr, strerror(-fd));
	}
	return fd;
}

/* Parses addr and returns a listening socket for it, or a negative errno
 * with err filled in. */
int listen_open(const char *addr, char *err, size_t errlen)
{
	char host[NI_MAXHOST], port[8];
	int fd;

	if (split_host_port(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		set_err(
		    err, errlen,
		    "listen \"%s\": expected host:port, [ipv6]:port or :port",
		    addr);
		return -EINVAL;
	}
	if (host[0] != '\0')
		return bind_host(addr, host, addr[0] == '[', port, err, errlen);
	fd = bind_any((unsigned short)strtoul(port, NULL, 10));
	if (fd < 0)
		set_err(err, errlen, "listen %s: %s", addr, strerror(-fd));
	return fd;
}

/* Logs where fd listens: the port the kernel chose for ":0" shows here. */
void listen_log_bound(const char *addr, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	log_info("listening on %s%s%s:%s (--web.listen-address=%s)",
		  ss.ss_family == AF_INET6 ? "[" : "", host,
		  ss.ss_family == AF_INET6 ? "]" : "", port, addr);
}
