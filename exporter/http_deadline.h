/* The request-head deadline of the HTTP server: a connection must deliver a
 * complete request head within the timeout of connecting, or of the end of
 * its previous request, however slowly it trickles bytes; otherwise it is
 * shut down. libmicrohttpd's own timeout only closes idle connections. */
#ifndef VIRTMETER_HTTP_DEADLINE_H
#define VIRTMETER_HTTP_DEADLINE_H

#include <microhttpd.h>

/* Starts the reaper thread, which shuts down the connections whose head is
 * more than timeout_s seconds late (0 is taken as 1). Call it before starting
 * any daemon that uses the callbacks below. Returns 0, -EALREADY if it is
 * running, or a negative errno. */
int http_deadline_start(unsigned timeout_s);

/* Stops and joins the reaper thread; does nothing if it is not running.
 * Call it once every daemon using the callbacks has stopped. */
void http_deadline_stop(void);

/* The MHD_OPTION_NOTIFY_CONNECTION callback (cls unused). STARTED gives the
 * connection a record in *socket_context, owned by the connection, with
 * its deadline running; CLOSED frees it. */
void http_deadline_notify(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe);

/* The MHD_OPTION_NOTIFY_COMPLETED callback (cls unused): a request is
 * over, so the deadline of the connection's next request head starts. */
void http_deadline_completed(void *cls, struct MHD_Connection *conn,
			     void **con_cls,
			     enum MHD_RequestTerminationCode toe);

/* Stops conn's deadline: its request head is complete. Call it from the
 * access handler's first call for each request. */
void http_deadline_head_in(struct MHD_Connection *conn);

#endif
