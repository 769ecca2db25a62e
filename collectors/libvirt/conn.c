/* The libvirt event loop, the threaded connect attempt and the connection's
 * watchers. Callbacks run in the event loop thread and only touch a small
 * reference-counted lv_watch under its lock; libvirt holds one reference
 * per event registration and drops it through the free callback, so the
 * watch outlives every event callback whatever order libvirt tears things
 * down in (the close callback is covered by the connection's reference). */
#include "collectors/libvirt/conn.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "exporter/api/log.h"

/* More pending redefinitions than this: mark every domain instead. */
#define WATCH_MAX_DIRTY 4096

/* ---- event loop ---------------------------------------------------- */

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static bool loop_registered;
static int loop_refs;
static int loop_timer = -1;
static pthread_t loop_thread;
static atomic_bool loop_quit;

/* libvirt prints every error to stderr unless a handler is set; the
 * collector reads the message itself where it matters. */
static void quiet_error(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* The timer that exists only to wake the loop when it must stop. */
static void wake_timer(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

static void *loop_main(void *arg)
{
	(void)arg;
	thread_name("", "libvirt-events");
	while (!atomic_load(&loop_quit)) {
		if (virEventRunDefaultImpl() < 0) {
			struct timespec ts = {0, 100000000};

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int lv_loop_ref(void)
{
	int err = 0;

	pthread_mutex_lock(&loop_lock);
	if (!loop_registered) {
		if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
			err = -EIO;
			goto out;
		}
		virSetErrorFunc(NULL, quiet_error);
		loop_registered = true;
	}
	if (loop_refs == 0) {
		atomic_store(&loop_quit, false);
		loop_timer = virEventAddTimeout(-1, wake_timer, NULL, NULL);
		if (loop_timer < 0) {
			err = -EIO;
			goto out;
		}
		err = -pthread_create(&loop_thread, NULL, loop_main, NULL);
		if (err < 0) {
			virEventRemoveTimeout(loop_timer);
			loop_timer = -1;
			goto out;
		}
	}
	loop_refs++;
out:
	pthread_mutex_unlock(&loop_lock);
	return err;
}

void lv_loop_unref(void)
{
	pthread_mutex_lock(&loop_lock);
	if (loop_refs > 0 && --loop_refs == 0) {
		atomic_store(&loop_quit, true);
		/* Arming the timer interrupts the loop's poll at once. */
		virEventUpdateTimeout(loop_timer, 0);
		pthread_join(loop_thread, NULL);
		virEventRemoveTimeout(loop_timer);
		loop_timer = -1;
	}
	pthread_mutex_unlock(&loop_lock);
}

/* ---- connect attempt ----------------------------------------------- */

struct lv_dial {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	int refs;	     /* the thread's and the owner's */
	bool done;
	virConnectPtr conn;
	char err[512];
	char uri[];
};

static void dial_unref(struct lv_dial *d)
{
	bool last;

	pthread_mutex_lock(&d->lock);
	last = --d->refs == 0;
	pthread_mutex_unlock(&d->lock);
	if (!last)
		return;
	if (d->conn)
		virConnectClose(d->conn);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void *dial_main(void *arg)
{
	struct lv_dial *d = arg;
	virConnectPtr conn;

	thread_name("", "libvirt-dial");
	conn = virConnectOpenReadOnly(d->uri);
	pthread_mutex_lock(&d->lock);
	d->conn = conn;
	if (!conn)
		snprintf(d->err, sizeof(d->err), "%s",
			 virGetLastErrorMessage());
	d->done = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	dial_unref(d);
	return NULL;
}

int lv_dial_start(const char *uri, struct lv_dial **out)
{
	size_t len = strlen(uri) + 1;
	struct lv_dial *d = calloc(1, sizeof(*d) + len);
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!d)
		return -ENOMEM;
	memcpy(d->uri, uri, len);
	d->refs = 2;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&t, &attr, dial_main, d);
	pthread_attr_destroy(&attr);
	if (err < 0) {
		d->refs = 1;
		dial_unref(d);
		return err;
	}
	*out = d;
	return 0;
}

bool lv_dial_wait(struct lv_dial *d, unsigned ms, virConnectPtr *conn,
		  char *err, size_t errsize)
{
	struct timespec ts = clock_deadline(CLOCK_MONOTONIC, ms);

	pthread_mutex_lock(&d->lock);
	while (!d->done &&
	       pthread_cond_timedwait(&d->cond, &d->lock, &ts) != ETIMEDOUT)
		;
	if (!d->done) {
		pthread_mutex_unlock(&d->lock);
		return false;
	}
	*conn = d->conn;
	d->conn = NULL;
	snprintf(err, errsize, "%s", d->err);
	pthread_mutex_unlock(&d->lock);
	dial_unref(d);
	return true;
}

void lv_dial_abandon(struct lv_dial *d)
{
	dial_unref(d);
}

/* ---- watchers ------------------------------------------------------ */

struct lv_watch {
	pthread_mutex_t lock;
	int refs;
	bool closed;
	int reason; /* virConnectCloseReason */
	char (*dirty)[VIR_UUID_STRING_BUFLEN];
	size_t ndirty, capdirty;
	bool all_dirty;
};

static struct lv_watch *watch_ref(struct lv_watch *w)
{
	pthread_mutex_lock(&w->lock);
	w->refs++;
	pthread_mutex_unlock(&w->lock);
	return w;
}

static void watch_unref(void *opaque)
{
	struct lv_watch *w = opaque;
	bool last;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->dirty);
	free(w);
}

int lv_uuid_string(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[VIR_UUID_BUFLEN];
	char *o = out;

	if (virDomainGetUUID(dom, raw) < 0)
		return -1;
	for (int i = 0; i < VIR_UUID_BUFLEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[raw[i] >> 4];
		*o++ = hex[raw[i] & 15];
	}
	*o = '\0';
	return 0;
}

/* Records that dom's definition changed. Runs in the event loop thread. */
static void watch_mark(struct lv_watch *w, virDomainPtr dom)
{
	char uuid[VIR_UUID_STRING_BUFLEN];

	if (lv_uuid_string(dom, uuid) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->ndirty == w->capdirty && !w->all_dirty) {
		size_t cap = w->capdirty ? w->capdirty * 2 : 16;
		void *p = cap <= WATCH_MAX_DIRTY
			      ? realloc(w->dirty, cap * sizeof(*w->dirty))
			      : NULL;

		if (p) {
			w->dirty = p;
			w->capdirty = cap;
		} else {
			w->all_dirty = true;
		}
	}
	if (!w->all_dirty)
		memcpy(w->dirty[w->ndirty++], uuid, sizeof(uuid));
	pthread_mutex_unlock(&w->lock);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
			int detail, void *opaque)
{
	(void)conn;
	(void)detail;
	if (event == VIR_DOMAIN_EVENT_DEFINED)
		watch_mark(opaque, dom);
	return 0;
}

static void on_metadata(virConnectPtr conn, virDomainPtr dom, int type,
			const char *nsuri, void *opaque)
{
	(void)conn;
	(void)type;
	(void)nsuri;
	watch_mark(opaque, dom);
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	struct lv_watch *w = opaque;

	(void)conn;
	pthread_mutex_lock(&w->lock);
	w->closed = true;
	w->reason = reason;
	pthread_mutex_unlock(&w->lock);
}

/* Registers domain event id with cb; returns the callback id or -1. */
static int register_event(struct lv_conn *c, int id,
			  virConnectDomainEventGenericCallback cb)
{
	int r = virConnectDomainEventRegisterAny(
	    c->conn, NULL, id, cb, watch_ref(c->watch), watch_unref);

	if (r < 0) {
		watch_unref(c->watch);
		log_debug("libvirt: no domain events (%d) on this driver: %s",
			  id, virGetLastErrorMessage());
	}
	return r;
}

int lv_conn_setup(struct lv_conn *c, virConnectPtr conn)
{
	const char *type;

	memset(c, 0, sizeof(*c));
	c->cb_lifecycle = c->cb_metadata = -1;
	c->watch = calloc(1, sizeof(*c->watch));
	if (!c->watch) {
		virConnectClose(conn);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->watch->lock, NULL);
	c->watch->refs = 1;
	c->conn = conn;
	type = virConnectGetType(conn);
	snprintf(c->type, sizeof(c->type), "%s", type ? type : "");
	if (virConnectSetKeepAlive(conn, LV_KEEPALIVE_INTERVAL,
				   LV_KEEPALIVE_COUNT) != 0)
		log_debug("libvirt: no keepalive on this connection: %s",
			  virGetLastErrorMessage());
	/* No reference for this one: drivers without close callbacks (test)
	 * accept it and never call the free callback. The connection's own
	 * reference covers it, since lv_conn_close unregisters it before
	 * dropping that reference. */
	c->close_cb = virConnectRegisterCloseCallback(conn, on_close, c->watch,
						      NULL) == 0;
	c->cb_lifecycle =
	    register_event(c, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
			   VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle));
	c->cb_metadata = register_event(c, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
					VIR_DOMAIN_EVENT_CALLBACK(on_metadata));
	return 0;
}

void lv_conn_close(struct lv_conn *c)
{
	if (!c->conn)
		return;
	/* On a dead connection these fail; closing frees them anyway. */
	if (c->cb_lifecycle >= 0)
		virConnectDomainEventDeregisterAny(c->conn, c->cb_lifecycle);
	if (c->cb_metadata >= 0)
		virConnectDomainEventDeregisterAny(c->conn, c->cb_metadata);
	if (c->close_cb)
		virConnectUnregisterCloseCallback(c->conn, on_close);
	virConnectClose(c->conn);
	watch_unref(c->watch);
	memset(c, 0, sizeof(*c));
	c->cb_lifecycle = c->cb_metadata = -1;
}

bool lv_conn_lost(struct lv_conn *c, char *why, size_t size)
{
	static const char *const reasons[] = {"I/O error", "end of file",
					      "keepalive timeout",
					      "closed by the client"};
	bool closed;
	int reason;

	pthread_mutex_lock(&c->watch->lock);
	closed = c->watch->closed;
	reason = c->watch->reason;
	pthread_mutex_unlock(&c->watch->lock);
	if (closed) {
		snprintf(why, size, "connection closed (%s)",
			 reason >= 0 && reason < 4 ? reasons[reason]
						   : "unknown");
		return true;
	}
	if (virConnectIsAlive(c->conn) == 1)
		return false;
	snprintf(why, size, "%s", virGetLastErrorMessage());
	return true;
}

void lv_conn_take_dirty(struct lv_conn *c,
			char (**uuids)[VIR_UUID_STRING_BUFLEN], size_t *n,
			bool *all)
{
	struct lv_watch *w = c->watch;

	pthread_mutex_lock(&w->lock);
	*uuids = w->dirty;
	*n = w->ndirty;
	*all = w->all_dirty;
	w->dirty = NULL;
	w->ndirty = w->capdirty = 0;
	w->all_dirty = false;
	pthread_mutex_unlock(&w->lock);
}
