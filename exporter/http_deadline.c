/* The request-head deadline: see http_deadline.h.
 *
 * Each connection has a record, kept in its MHD socket context. While the
 * connection waits for a request head, its record is in one list ordered
 * by deadline (every deadline is "now + timeout" taken under the lock, so
 * appending keeps the order), and a reaper thread sleeps until the head of
 * the list is due, then shuts its socket down. MHD sees end of file, closes
 * the connection and notifies us, and we free the record.
 *
 * Descriptor safety: the reaper only touches a record's descriptor under
 * the lock, and the record leaves the list under that lock in the CLOSED
 * notification. libmicrohttpd sends CLOSED before it closes the socket (its
 * source does so on every path, and traces of 0.9.75 agree for a client
 * close, its idle timeout, our shutdown and a daemon stop), so the
 * descriptor of a listed record is the connection's own socket, never a
 * number that another connection or file has reused. */
#include "exporter/http_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"

#define NS_PER_S INT64_C(1000000000)

/* One connection. prev, next and deadline_ns are meaningful only while
 * waiting is set; all fields but fd are guarded by dl.lock. */
struct dl_conn {
	struct dl_conn *prev, *next;
	int64_t deadline_ns; /* CLOCK_MONOTONIC */
	int fd;		     /* MHD's socket of the connection */
	bool waiting;	     /* in the list: no complete request head yet */
	bool reaped;	     /* shut down already: never armed again */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the list was empty, or stop is set */
	pthread_t reaper;
	struct dl_conn *head, *tail; /* waiting records, earliest first */
	int64_t timeout_ns;
	bool running; /* the reaper thread exists */
	bool stop;
} dl = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Takes r out of the list if it is there. Call with dl.lock held. */
static void unlink_rec(struct dl_conn *r)
{
	if (!r->waiting)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		dl.head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		dl.tail = r->prev;
	r->prev = r->next = NULL;
	r->waiting = false;
}

/* Starts r's deadline afresh: now plus the timeout, at the end of the
 * list. Call with dl.lock held. */
static void arm(struct dl_conn *r)
{
	if (r->reaped)
		return;
	unlink_rec(r);
	r->deadline_ns = clock_mono_ns() + dl.timeout_ns;
	r->prev = dl.tail;
	if (dl.tail)
		dl.tail->next = r;
	else
		dl.head = r;
	dl.tail = r;
	r->waiting = true;
	/* Only a reaper with an empty list sleeps without a deadline. */
	if (dl.head == r)
		pthread_cond_signal(&dl.wake);
}

/* Shuts down every connection whose deadline is at or before now and
 * returns how many. Call with dl.lock held. */
static unsigned reap(int64_t now)
{
	unsigned n = 0;

	while (dl.head && dl.head->deadline_ns <= now) {
		struct dl_conn *r = dl.head;

		unlink_rec(r);
		r->reaped = true;
		/* MHD reads end of file and closes the connection itself. */
		shutdown(r->fd, SHUT_RDWR);
		n++;
	}
	return n;
}

/* The reaper thread: sleeps until the earliest deadline (or, with nothing
 * waiting, until a record is armed) and shuts the late connections down.
 * It logs at debug level only, since clients decide how often it fires. */
static void *reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&dl.lock);
	while (!dl.stop) {
		unsigned n = reap(clock_mono_ns());
		struct timespec ts;

		if (n > 0) {
			pthread_mutex_unlock(&dl.lock);
			log_debug("http: closed %u connection%s that sent no "
				  "complete request head in time",
				  n, n == 1 ? "" : "s");
			pthread_mutex_lock(&dl.lock);
			continue;
		}
		if (!dl.head) {
			pthread_cond_wait(&dl.wake, &dl.lock);
			continue;
		}
		ts.tv_sec = (time_t)(dl.head->deadline_ns / NS_PER_S);
		ts.tv_nsec = (long)(dl.head->deadline_ns % NS_PER_S);
		pthread_cond_timedwait(&dl.wake, &dl.lock, &ts);
	}
	pthread_mutex_unlock(&dl.lock);
	return NULL;
}

int http_deadline_start(unsigned timeout_s)
{
	pthread_condattr_t ca;
	int rc;

	if (dl.running)
		return -EALREADY;
	dl.timeout_ns = (int64_t)(timeout_s ? timeout_s : 1) * NS_PER_S;
	dl.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dl.wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&dl.reaper, NULL, reaper_main, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&dl.wake);
		return -rc;
	}
	dl.running = true;
	return 0;
}

void http_deadline_stop(void)
{
	if (!dl.running)
		return;
	pthread_mutex_lock(&dl.lock);
	dl.stop = true;
	pthread_cond_signal(&dl.wake);
	pthread_mutex_unlock(&dl.lock);
	pthread_join(dl.reaper, NULL);
	pthread_cond_destroy(&dl.wake);
	dl.running = false;
}

/* The record of conn, or NULL if it has none (out of memory at connect). */
static struct dl_conn *rec_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A connection without a record still has MHD's idle timeout, so failing
 * here only weakens the defence for that one connection. */
static void conn_started(struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct dl_conn *r;

	if (!ci) {
		log_debug("http: no socket for a new connection: no deadline");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_debug("http: out of memory: a connection has no deadline");
		return;
	}
	r->fd = ci->connect_fd;
	pthread_mutex_lock(&dl.lock);
	arm(r);
	pthread_mutex_unlock(&dl.lock);
	*socket_context = r;
}

void http_deadline_notify(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct dl_conn *r = *socket_context;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		conn_started(conn, socket_context);
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !r)
		return;
	/* After this, the reaper cannot reach r nor its descriptor. */
	pthread_mutex_lock(&dl.lock);
	unlink_rec(r);
	pthread_mutex_unlock(&dl.lock);
	free(r);
	*socket_context = NULL;
}

void http_deadline_completed(void *cls, struct MHD_Connection *conn,
			     void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct dl_conn *r = rec_of(conn);

	(void)cls;
	(void)con_cls;
	(void)toe;
	if (!r)
		return;
	pthread_mutex_lock(&dl.lock);
	arm(r);
	pthread_mutex_unlock(&dl.lock);
}

void http_deadline_head_in(struct MHD_Connection *conn)
{
	struct dl_conn *r = rec_of(conn);

	if (!r)
		return;
	pthread_mutex_lock(&dl.lock);
	unlink_rec(r);
	pthread_mutex_unlock(&dl.lock);
}
