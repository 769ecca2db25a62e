/* The HTTP server's connections: a record for each, the deadlines of its
 * request head and of its response, room made under load by closing the
 * oldest idle connection instead of refusing new ones, and the cap on
 * responses of the metrics in flight. libmicrohttpd's own timeout only
 * closes connections idle for that long, and its connection limit refuses
 * (per address) or stops accepting (in all) when slots run short. */
#ifndef VIRTMETER_HTTP_CONNS_H
#define VIRTMETER_HTTP_CONNS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "exporter/api/snapshot.h"

/* The connections of one listen address (opaque): the cls of the MHD
 * callbacks below for that address's daemon. */
struct http_pool;

/* Starts the reaper thread, which shuts down the connections whose request
 * head, or whose response, is more than timeout_s seconds late (0 is taken
 * as 1), and sets the cap on responses of the metrics in flight (0: none).
 * Call it before starting any daemon that uses the callbacks below.
 * Returns 0, -EALREADY if it is running, or a negative errno. */
int http_conns_start(unsigned timeout_s, unsigned max_requests);

/* Stops and joins the reaper thread; does nothing if it is not running.
 * Call it once every daemon using the callbacks has stopped. */
void http_conns_stop(void);

/* Returns a new pool that holds at most max_connections connections while
 * some of them are idle: a connection past that closes the oldest idle
 * one. NULL without memory. Free it with http_conns_pool_free once its
 * daemon has stopped. */
struct http_pool *http_conns_pool_new(unsigned max_connections);

/* Frees a pool (NULL is a no-op). */
void http_conns_pool_free(struct http_pool *pool);

/* The MHD_OPTION_NOTIFY_CONNECTION callback, cls the connection's pool.
 * STARTED gives the connection a record in *socket_context, owned by the
 * connection, with its head deadline running, and makes room in the pool
 * if it is full; CLOSED frees the record. */
void http_conns_notify(void *cls, struct MHD_Connection *conn,
		       void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);

/* The MHD_OPTION_NOTIFY_COMPLETED callback (cls unused): a request is
 * over, so its response slot is released and the deadline of the
 * connection's next request head starts. */
void http_conns_completed(void *cls, struct MHD_Connection *conn,
			  void **con_cls, enum MHD_RequestTerminationCode toe);

/* The MHD_OPTION_UNESCAPE_CALLBACK (cls unused): decodes the %XX escapes
 * of s in place like libmicrohttpd does, and notes on conn's record when
 * one of them is a NUL byte, which the decoded C string would hide. */
size_t http_conns_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* The request head of conn is complete: stops its head deadline and starts
 * its response deadline. Returns whether its path or query string held an
 * escaped NUL byte. Call it from the access handler's first call for each
 * request. */
bool http_conns_head_in(struct MHD_Connection *conn);

/* Takes a slot for a response of the metrics on conn, released when the
 * request is over. Returns 0, or -EBUSY when the cap is reached (answer
 * 503 then). */
int http_conns_take_slot(struct MHD_Connection *conn);

/* Counts a request answered 400 by the request checks (http_strict.h). */
void http_conns_count_malformed(void);

/* Adds the server's connection figures to set. */
void http_conns_add_metrics(struct snap_set *set);

/* Families of http_conns_add_metrics, NULL-terminated. */
extern const struct snap_family *const http_conns_families[];

#endif
