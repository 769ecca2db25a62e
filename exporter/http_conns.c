/* The HTTP server's connections: see http_conns.h.
 *
 * Each connection has a record, kept in its MHD socket context and in one
 * of three lists of its pool (one pool per listen address), each ordered
 * by deadline since every deadline is "now + timeout" taken under the
 * lock, so that appending keeps the order:
 *   fresh - connected, no complete request head yet;
 *   kept  - a keep-alive connection between requests (idle);
 *   busy  - a request head is in: its response is due.
 * A reaper thread sleeps until the earliest head of a list is due, then
 * shuts its socket down; MHD sees end of file or a failed send, closes the
 * connection and notifies us, and we free the record.
 *
 * Room under load: a new connection that takes its pool past its maximum
 * shuts down the oldest kept connection (a keep-alive client reconnects
 * for its next request: HTTP lets a server close an idle connection at
 * any time), else the fresh one that has waited longest for its head. A
 * fresh connection whose whole request head already sits in its socket
 * is passed over: its client is not slow, it only waits for its thread,
 * and under a flood of reconnecting attackers (thousands a second) the
 * oldest fresh connection may be a few milliseconds old. The newcomer is
 * never the one closed, and nothing is refused: when nothing is idle,
 * MHD's own limit (set higher) and then the kernel's accept queue make
 * new connections wait for a slot.
 *
 * Descriptor safety: the reaper and the eviction only touch a record's
 * descriptor under the lock, and the record leaves its list under that
 * lock in the CLOSED notification. libmicrohttpd sends CLOSED before it
 * closes the socket (its source does so on every path, and traces of
 * 0.9.75 agree for a client close, its idle timeout, our shutdown and a
 * daemon stop), so the descriptor of a listed record is the connection's
 * own socket, never a number that another connection or file has reused. */
#include "exporter/http_conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"

#define NS_PER_S INT64_C(1000000000)
/* How many waiting connections one eviction looks at, and how much of
 * each one's socket: a scrape's request head is a few hundred bytes. */
#define EVICT_SCAN 8
#define HEAD_PEEK 2048

enum conn_list_id { LIST_FRESH, LIST_KEPT, LIST_BUSY, NLISTS };

/* Why virtmeter closed a connection: the reason label of
 * virtmeter_http_connections_dropped_total. */
enum drop_reason {
	DROP_HEAD_TIMEOUT,
	DROP_RESPONSE_TIMEOUT,
	DROP_EVICTED_IDLE,
	DROP_EVICTED_WAITING,
	NDROPS
};

static const char *const drop_names[NDROPS] = {
    [DROP_HEAD_TIMEOUT] = "head_timeout",
    [DROP_RESPONSE_TIMEOUT] = "response_timeout",
    [DROP_EVICTED_IDLE] = "evicted_idle",
    [DROP_EVICTED_WAITING] = "evicted_waiting",
};

/* Why a request was refused: the reason label of
 * virtmeter_http_requests_rejected_total. */
enum reject_reason { REJECT_MAX_REQUESTS, REJECT_MALFORMED, NREJECTS };

static const char *const reject_names[NREJECTS] = {
    [REJECT_MAX_REQUESTS] = "max_requests",
    [REJECT_MALFORMED] = "malformed",
};

struct conn_rec;

struct conn_list {
	struct conn_rec *head, *tail; /* earliest deadline first */
};

struct http_pool {
	struct conn_list lists[NLISTS]; /* guarded by cn.lock */
	unsigned max;			/* --web.max-connections */
	unsigned count;			/* records, guarded by cn.lock */
	struct http_pool *prev, *next;	/* every pool, for the reaper */
};

/* One connection. The list fields and reaped are guarded by cn.lock; fd
 * is set once; slot and nul are touched only in the connection's own MHD
 * thread (its callbacks and access handler). */
struct conn_rec {
	struct conn_rec *prev, *next;
	struct http_pool *pool;
	int64_t deadline_ns; /* CLOCK_MONOTONIC */
	int fd;		     /* MHD's socket of the connection */
	enum conn_list_id list;
	bool listed; /* in pool->lists[list] */
	bool reaped; /* shut down already: never armed again */
	bool slot;   /* holds a response slot */
	bool nul;    /* this request's line decoded to a NUL byte */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* an earlier deadline, or stop */
	pthread_t reaper;
	struct http_pool *pools;
	int64_t timeout_ns;
	unsigned max_requests; /* 0: no cap */
	bool running;	       /* the reaper thread exists */
	bool stop;
	atomic_uint in_flight; /* response slots taken */
	atomic_uint open;      /* records in every pool */
	atomic_ulong dropped[NDROPS];
	atomic_ulong rejected[NREJECTS];
} cn = {.lock = PTHREAD_MUTEX_INITIALIZER, .timeout_ns = 10 * NS_PER_S};

/* Takes r out of its list if it is in one. Call with cn.lock held. */
static void unlink_rec(struct conn_rec *r)
{
	struct conn_list *l;

	if (!r->listed)
		return;
	l = &r->pool->lists[r->list];
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	r->listed = false;
}

/* Starts r's deadline afresh in list id: now plus the timeout, at the end
 * of that list. Call with cn.lock held. */
static void arm(struct conn_rec *r, enum conn_list_id id)
{
	struct conn_list *l = &r->pool->lists[id];

	if (r->reaped)
		return;
	unlink_rec(r);
	r->deadline_ns = clock_mono_ns() + cn.timeout_ns;
	r->list = id;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	r->listed = true;
	/* A list that was empty may now hold the earliest deadline. */
	if (l->head == r)
		pthread_cond_signal(&cn.wake);
}

/* Shuts r's socket down for reason: MHD reads end of file (or fails to
 * send) and closes the connection itself. A response that its client
 * does not take is reset instead: a FIN would wait behind the unsent
 * bytes, which the kernel would keep for a client that reads nothing.
 * Call with cn.lock held. */
static void cut(struct conn_rec *r, enum drop_reason reason)
{
	static const struct linger reset = {.l_onoff = 1, .l_linger = 0};

	unlink_rec(r);
	r->reaped = true;
	if (reason == DROP_RESPONSE_TIMEOUT)
		setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	shutdown(r->fd, SHUT_RDWR);
	atomic_fetch_add(&cn.dropped[reason], 1);
}

/* Shuts down every connection whose deadline is at or before now, and
 * sets *next to the earliest deadline left (INT64_MAX: none). Returns how
 * many were shut down. Call with cn.lock held. */
static unsigned reap(int64_t now, int64_t *next)
{
	unsigned n = 0;

	*next = INT64_MAX;
	for (struct http_pool *p = cn.pools; p; p = p->next) {
		for (int id = 0; id < NLISTS; id++) {
			struct conn_list *l = &p->lists[id];

			while (l->head && l->head->deadline_ns <= now) {
				cut(l->head, id == LIST_BUSY
						 ? DROP_RESPONSE_TIMEOUT
						 : DROP_HEAD_TIMEOUT);
				n++;
			}
			if (l->head && l->head->deadline_ns < *next)
				*next = l->head->deadline_ns;
		}
	}
	return n;
}

/* The reaper thread: sleeps until the earliest deadline (or, with nothing
 * listed, until a record is armed) and shuts the late connections down.
 * It logs at debug level only, since clients decide how often it fires. */
static void *reaper_main(void *arg)
{
	(void)arg;
	thread_name("", "http-reaper");
	pthread_mutex_lock(&cn.lock);
	while (!cn.stop) {
		int64_t next;
		unsigned n = reap(clock_mono_ns(), &next);
		struct timespec ts;

		if (n > 0) {
			pthread_mutex_unlock(&cn.lock);
			log_debug("http: closed %u connection%s that sent no "
				  "complete request head, or took no response, "
				  "in time",
				  n, n == 1 ? "" : "s");
			pthread_mutex_lock(&cn.lock);
			continue;
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&cn.wake, &cn.lock);
			continue;
		}
		ts.tv_sec = (time_t)(next / NS_PER_S);
		ts.tv_nsec = (long)(next % NS_PER_S);
		pthread_cond_timedwait(&cn.wake, &cn.lock, &ts);
	}
	pthread_mutex_unlock(&cn.lock);
	return NULL;
}

int http_conns_start(unsigned timeout_s, unsigned max_requests)
{
	pthread_condattr_t ca;
	int rc;

	if (cn.running)
		return -EALREADY;
	cn.timeout_ns = (int64_t)(timeout_s ? timeout_s : 1) * NS_PER_S;
	cn.max_requests = max_requests;
	cn.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cn.wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&cn.reaper, NULL, reaper_main, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&cn.wake);
		return -rc;
	}
	cn.running = true;
	return 0;
}

void http_conns_stop(void)
{
	if (!cn.running)
		return;
	pthread_mutex_lock(&cn.lock);
	cn.stop = true;
	pthread_cond_signal(&cn.wake);
	pthread_mutex_unlock(&cn.lock);
	pthread_join(cn.reaper, NULL);
	pthread_cond_destroy(&cn.wake);
	cn.running = false;
}

struct http_pool *http_conns_pool_new(unsigned max_connections)
{
	struct http_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max = max_connections ? max_connections : 1;
	pthread_mutex_lock(&cn.lock);
	p->next = cn.pools;
	if (cn.pools)
		cn.pools->prev = p;
	cn.pools = p;
	pthread_mutex_unlock(&cn.lock);
	return p;
}

void http_conns_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&cn.lock);
	if (p->prev)
		p->prev->next = p->next;
	else
		cn.pools = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&cn.lock);
	free(p);
}

/* The record of conn, or NULL if it has none (out of memory at connect). */
static struct conn_rec *rec_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Whether r's socket holds a whole request head that MHD has not read
 * yet (looked at, not taken). Over TLS the bytes never match, and a head
 * longer than HEAD_PEEK bytes does not count: such connections are
 * judged by their age alone. Call with cn.lock held. */
static bool head_waiting(const struct conn_rec *r)
{
	char buf[HEAD_PEEK];
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	return n > 0 && (memmem(buf, (size_t)n, "\r\n\r\n", 4) ||
			 memmem(buf, (size_t)n, "\n\n", 2));
}

/* Makes room for newcomer in its full pool: shuts down the oldest idle
 * keep-alive connection, else the oldest of the first EVICT_SCAN
 * connections still waiting for their first request head that has not
 * sent it whole, never newcomer itself. Call with cn.lock held. */
static void evict_one(struct http_pool *p, const struct conn_rec *newcomer)
{
	struct conn_rec *victim = p->lists[LIST_KEPT].head;

	if (victim) {
		cut(victim, DROP_EVICTED_IDLE);
		return;
	}
	victim = p->lists[LIST_FRESH].head;
	for (int i = 0; victim && i < EVICT_SCAN; i++, victim = victim->next)
		if (victim != newcomer && !head_waiting(victim)) {
			cut(victim, DROP_EVICTED_WAITING);
			return;
		}
}

/* A connection without a record still has MHD's idle timeout and limit,
 * so failing here only weakens the defence for that one connection. */
static void conn_started(struct http_pool *p, struct MHD_Connection *conn,
			 void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn_rec *r;

	if (!ci || !p) {
		log_debug("http: no socket for a new connection: no deadline");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_debug("http: out of memory: a connection has no deadline");
		return;
	}
	r->fd = ci->connect_fd;
	r->pool = p;
	pthread_mutex_lock(&cn.lock);
	arm(r, LIST_FRESH);
	if (++p->count > p->max)
		evict_one(p, r);
	pthread_mutex_unlock(&cn.lock);
	atomic_fetch_add(&cn.open, 1);
	*socket_context = r;
}

/* Gives back r's response slot if it holds one. */
static void release_slot(struct conn_rec *r)
{
	if (!r->slot)
		return;
	r->slot = false;
	atomic_fetch_sub(&cn.in_flight, 1);
}

void http_conns_notify(void *cls, struct MHD_Connection *conn,
		       void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct conn_rec *r = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		conn_started(cls, conn, socket_context);
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !r)
		return;
	release_slot(r);
	/* After this, the reaper cannot reach r nor its descriptor. */
	pthread_mutex_lock(&cn.lock);
	unlink_rec(r);
	r->pool->count--;
	pthread_mutex_unlock(&cn.lock);
	atomic_fetch_sub(&cn.open, 1);
	free(r);
	*socket_context = NULL;
}

void http_conns_completed(void *cls, struct MHD_Connection *conn,
			  void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_rec *r = rec_of(conn);

	(void)cls;
	(void)con_cls;
	(void)toe;
	if (!r)
		return;
	release_slot(r);
	pthread_mutex_lock(&cn.lock);
	arm(r, LIST_KEPT);
	pthread_mutex_unlock(&cn.lock);
}

size_t http_conns_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t len = MHD_http_unescape(s);
	struct conn_rec *r;

	(void)cls;
	if (memchr(s, '\0', len)) {
		r = rec_of(conn);
		if (r)
			r->nul = true;
	}
	return len;
}

bool http_conns_head_in(struct MHD_Connection *conn)
{
	struct conn_rec *r = rec_of(conn);
	bool nul;

	if (!r)
		return false;
	nul = r->nul;
	r->nul = false;
	pthread_mutex_lock(&cn.lock);
	arm(r, LIST_BUSY);
	pthread_mutex_unlock(&cn.lock);
	return nul;
}

int http_conns_take_slot(struct MHD_Connection *conn)
{
	struct conn_rec *r = rec_of(conn);
	unsigned cur;

	/* Without a record the slot could not be given back: serve. */
	if (!r || r->slot)
		return 0;
	cur = atomic_load(&cn.in_flight);
	do {
		if (cn.max_requests && cur >= cn.max_requests) {
			atomic_fetch_add(&cn.rejected[REJECT_MAX_REQUESTS], 1);
			return -EBUSY;
		}
	} while (!atomic_compare_exchange_weak(&cn.in_flight, &cur, cur + 1));
	r->slot = true;
	return 0;
}

void http_conns_count_malformed(void)
{
	atomic_fetch_add(&cn.rejected[REJECT_MALFORMED], 1);
}

static const struct snap_family fam_open = {
    .name = "virtmeter_http_connections",
    .help = "HTTP connections open now, on every listen address.",
    .type = SNAP_GAUGE,
};

static const struct snap_family fam_in_flight = {
    .name = "virtmeter_http_requests_in_flight",
    .help = "Responses of the metrics being sent now (at most "
	    "--web.max-requests).",
    .type = SNAP_GAUGE,
};

static const struct snap_family fam_dropped = {
    .name = "virtmeter_http_connections_dropped",
    .help = "HTTP connections that virtmeter closed to protect the server, "
	    "by reason: head_timeout (no complete request head within "
	    "--web.timeout of connecting or of the previous response), "
	    "response_timeout (a response not taken within --web.timeout), "
	    "evicted_idle (an idle keep-alive connection closed to make room "
	    "past --web.max-connections), evicted_waiting (a connection that "
	    "had not sent its request head, closed to make room).",
    .type = SNAP_COUNTER,
    .labels = {"reason"},
};

static const struct snap_family fam_rejected = {
    .name = "virtmeter_http_requests_rejected",
    .help = "HTTP requests refused, by reason: max_requests (503: "
	    "--web.max-requests responses of the metrics were in flight) or "
	    "malformed (400: an escaped NUL byte or .. in the path, no Host "
	    "header in HTTP/1.1, a Host or Content-Length header twice, "
	    "Content-Length with Transfer-Encoding).",
    .type = SNAP_COUNTER,
    .labels = {"reason"},
};

const struct snap_family *const http_conns_families[] = {
    &fam_open, &fam_dropped, &fam_in_flight, &fam_rejected, NULL};

void http_conns_add_metrics(struct snap_set *set)
{
	snap_add0(set, &fam_open, (double)atomic_load(&cn.open));
	snap_add0(set, &fam_in_flight, (double)atomic_load(&cn.in_flight));
	for (int i = 0; i < NDROPS; i++)
		snap_add(set, &fam_dropped, (double)atomic_load(&cn.dropped[i]),
			 drop_names[i]);
	for (int i = 0; i < NREJECTS; i++)
		snap_add(set, &fam_rejected,
			 (double)atomic_load(&cn.rejected[i]), reject_names[i]);
}
