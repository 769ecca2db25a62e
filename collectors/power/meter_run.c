/* The thread of one power meter (see meter_run.h). */
#include "collectors/power/meter_run.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"

struct meter_run {
	/* Set before the thread starts, then read-only. */
	char name[METER_NAME_MAX];
	const struct meter_ops *ops;
	struct meter_config cfg;
	bool has_cfg;
	char sysfs[PATH_MAX];
	unsigned interval_ms, timeout_ms;
	double max_gap_s;
	pthread_t thread;
	/* Written by the thread under lock, read by it without: the stopper
	 * reads them under lock to interrupt a read. */
	void *state;
	bool opened;
	/* The thread's own. */
	struct log_once health;
	/* Guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool stopping, up, busy, stuck_logged;
	double busy_since, last_sample;
	size_t nzones;
	struct meter_zone zones[METER_MAX_ZONES];
	uint64_t skipped;      /* guarded by lock: summed over every opening */
	uint64_t skipped_seen; /* the thread's: the open meter's last count */
};

void meter_timing(const struct meter_config *cm, unsigned *interval_ms,
		  unsigned *timeout_ms, unsigned *max_gap_ms)
{
	unsigned i = cm && cm->interval_ms ? cm->interval_ms : METER_DEFAULT_INTERVAL_MS;
	unsigned t = cm && cm->timeout_ms ? cm->timeout_ms : METER_DEFAULT_TIMEOUT_MS;
	unsigned g = 5 * i > 2 * t ? 5 * i : 2 * t;

	*interval_ms = i;
	*timeout_ms = t;
	*max_gap_ms = cm && cm->max_gap_ms ? cm->max_gap_ms : g;
}

/* Drops one hold; the last frees m. */
static void release(struct meter_run *m)
{
	bool last;

	pthread_mutex_lock(&m->lock);
	last = --m->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (!last)
		return;
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The zone called name, added if new (caller holds the lock); NULL when
 * the meter has METER_MAX_ZONES already. */
static struct meter_zone *zone_get(struct meter_run *m, const char *name)
{
	for (size_t i = 0; i < m->nzones; i++)
		if (strcmp(m->zones[i].name, name) == 0)
			return &m->zones[i];
	if (m->nzones >= METER_MAX_ZONES)
		return NULL;
	memset(&m->zones[m->nzones], 0, sizeof(m->zones[0]));
	memcpy(m->zones[m->nzones].name, name, VIRTMETER_ZONE_MAX);
	return &m->zones[m->nzones++];
}

/* Fills in what zone z is the first time it is read: the meter's own
 * description, else the configured kind (or METER_KIND_WALL) inside no
 * other zone. The caller holds the lock: describe only looks up what the
 * meter found at open, in the state that this thread owns. */
static void describe(struct meter_run *m, struct meter_zone *z)
{
	bool configured = m->has_cfg && m->cfg.zone_kind[0];

	if (z->kind[0])
		return;
	if (m->ops->describe) {
		m->ops->describe(m->state, z->name, z->kind, z->part_of);
		return;
	}
	snprintf(z->kind, sizeof(z->kind), "%s",
		 configured ? m->cfg.zone_kind : METER_KIND_WALL);
	z->part_of[0] = '\0';
}

/* Accounts n readings taken at t (monotonic) / real (Unix time); the
 * caller holds the lock. */
static void account(struct meter_run *m, const struct virtmeter_reading *r,
		    size_t n, double t, double real)
{
	for (size_t i = 0; i < m->nzones; i++)
		m->zones[i].fresh = false;
	for (size_t i = 0; i < n; i++) {
		struct meter_zone *z = zone_get(m, r[i].zone);
		double ts = t;
		enum energy_event ev = ENERGY_ADDED;

		if (!z)
			continue;
		/* A meter's own timestamp, moved to the monotonic clock. */
		if (r[i].timestamp > 0 && r[i].timestamp < real)
			ts = t - (real - r[i].timestamp);
		z->fresh = true;
		z->last = r[i];
		describe(m, z);
		if (r[i].have & VIRTMETER_HAVE_JOULES)
			ev = energy_add_counter(&z->acc, ts, r[i].joules,
						r[i].joules_range, m->max_gap_s);
		else if (r[i].have & VIRTMETER_HAVE_WATTS)
			ev = energy_add_watts(&z->acc, ts, r[i].watts, m->max_gap_s);
		if (ev == ENERGY_RESET || ev == ENERGY_GAP || ev == ENERGY_INVALID)
			log_debug("meter %s zone '%s': energy sample %s; the counter "
				  "keeps its value", m->name, z->name,
				  energy_event_name(ev));
	}
}

/* Adds the frames the open meter skipped since the last read. */
static void count_skipped(struct meter_run *m)
{
	uint64_t now = m->ops->skipped(m->state);

	pthread_mutex_lock(&m->lock);
	if (now > m->skipped_seen)
		m->skipped += now - m->skipped_seen;
	pthread_mutex_unlock(&m->lock);
	m->skipped_seen = now;
}

/* Closes the meter (the thread only). */
static void close_meter(struct meter_run *m)
{
	void *st;

	pthread_mutex_lock(&m->lock);
	st = m->state;
	m->state = NULL;
	m->opened = false;
	pthread_mutex_unlock(&m->lock);
	m->ops->close(st);
}

/* Opens the meter if needed and reads it once into buf. Returns the
 * number of readings or a negative errno with err set. */
static int read_once(struct meter_run *m, struct virtmeter_reading *buf,
		     char *err)
{
	const struct meter_args a = {
		.name = m->name,
		.sysfs = m->sysfs,
		.cfg = m->has_cfg ? &m->cfg : NULL,
		.timeout_ms = m->timeout_ms,
	};
	void *st = NULL;
	int rc;

	if (!m->opened) {
		rc = m->ops->open(&a, &st, err);
		if (rc)
			return rc;
		pthread_mutex_lock(&m->lock);
		m->state = st;
		m->opened = true;
		pthread_mutex_unlock(&m->lock);
	}
	memset(buf, 0, METER_MAX_ZONES * sizeof(*buf));
	rc = m->ops->read(m->state, buf, METER_MAX_ZONES, err);
	if (m->ops->skipped)
		count_skipped(m);
	/* A failed read closes the meter; the next read opens it again (a
	 * device that went away and came back, a plugin that lost its
	 * connection). */
	if (rc < 0) {
		m->skipped_seen = 0; /* a new opening counts from 0 */
		close_meter(m);
	}
	return rc;
}

static void cycle(struct meter_run *m, struct virtmeter_reading *buf)
{
	char err[METER_ERR_MAX] = "";
	double t, real, took;
	bool was_stuck, stopping;
	int n;

	pthread_mutex_lock(&m->lock);
	m->busy = true;
	m->busy_since = clock_mono_s();
	pthread_mutex_unlock(&m->lock);
	n = read_once(m, buf, err);
	t = clock_mono_s();
	real = clock_real_s();
	pthread_mutex_lock(&m->lock);
	took = t - m->busy_since;
	was_stuck = m->stuck_logged;
	stopping = m->stopping;
	m->busy = false;
	m->stuck_logged = false;
	m->up = n > 0;
	if (n > 0) {
		account(m, buf, (size_t)n, t, real);
		m->last_sample = real;
	}
	pthread_mutex_unlock(&m->lock);
	if (was_stuck)
		log_info("meter %s: the read that hung returned after %.1fs", m->name, took);
	if (n > 0)
		log_recover(&m->health, "meter %s (%s) recovered", m->name, m->ops->source);
	else if (!stopping) /* a read ended by the stop is no failure */
		log_fail_once(&m->health, "meter %s (%s) failed: %s; virtmeter_meter_up "
			      "is 0 until it answers", m->name, m->ops->source,
			      err[0] ? err : strerror(n < 0 ? -n : EIO));
}

static void *run_main(void *arg)
{
	struct meter_run *m = arg;
	struct virtmeter_reading *buf = calloc(METER_MAX_ZONES, sizeof(*buf));
	double next = clock_mono_s();

	thread_name("meter-", m->name);

	pthread_mutex_lock(&m->lock);
	while (buf && !m->stopping) {
		struct timespec ts;
		double now;

		pthread_mutex_unlock(&m->lock);
		cycle(m, buf);
		now = clock_mono_s();
		next += m->interval_ms / 1000.0;
		if (next < now) /* a slow read skips ticks, never bunches them */
			next = now + m->interval_ms / 1000.0;
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		pthread_mutex_lock(&m->lock);
		while (!m->stopping &&
		       pthread_cond_timedwait(&m->cond, &m->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->lock);
	if (m->opened)
		close_meter(m);
	free(buf);
	release(m);
	return NULL;
}

int meter_run_start(const char *name, const struct meter_ops *ops,
		    const struct meter_config *cm, const char *sysfs,
		    struct meter_run **out)
{
	pthread_condattr_t ca;
	struct meter_run *m;
	unsigned gap;
	int rc;

	if (!ops)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->sysfs, sizeof(m->sysfs), "%s", sysfs ? sysfs : "/sys");
	m->ops = ops;
	if (cm) {
		m->cfg = *cm;
		m->has_cfg = true;
	}
	meter_timing(cm, &m->interval_ms, &m->timeout_ms, &gap);
	m->max_gap_s = gap / 1000.0;
	m->refs = 2; /* the caller's and the thread's */
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&m->thread, NULL, run_main, m);
	if (rc) {
		m->refs = 1;
		release(m);
		return -rc;
	}
	*out = m;
	return 0;
}

void meter_run_view(struct meter_run *m, double now, struct meter_view *out)
{
	bool warn = false;
	double busy_for;

	pthread_mutex_lock(&m->lock);
	busy_for = m->busy ? now - m->busy_since : 0;
	snprintf(out->name, sizeof(out->name), "%s", m->name);
	out->source = m->ops->source;
	out->up = m->up && busy_for <= m->timeout_ms / 1000.0;
	out->last_sample = m->last_sample;
	out->nzones = m->nzones;
	memcpy(out->zones, m->zones, m->nzones * sizeof(m->zones[0]));
	out->has_skipped = m->ops->skipped != NULL;
	out->skipped = m->skipped;
	if (busy_for > m->timeout_ms / 1000.0 && !m->stuck_logged) {
		m->stuck_logged = true;
		warn = true;
	}
	pthread_mutex_unlock(&m->lock);
	if (warn)
		log_warn("meter %s (%s): its read has run for more than %.1fs; "
			 "virtmeter_meter_up is 0 until it returns", m->name,
			 m->ops->source, m->timeout_ms / 1000.0);
}

void meter_run_seed(struct meter_run *m, const char *zone, double joules)
{
	struct meter_zone *z;

	pthread_mutex_lock(&m->lock);
	z = zone_get(m, zone);
	if (z)
		z->acc.total += joules;
	pthread_mutex_unlock(&m->lock);
}

void meter_run_signal_stop(struct meter_run *m)
{
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_broadcast(&m->cond);
	/* End a read in progress where the meter can (an exec command). */
	if (m->opened && m->busy && m->ops->interrupt)
		m->ops->interrupt(m->state);
	pthread_mutex_unlock(&m->lock);
}

void meter_run_stop(struct meter_run *m, const struct timespec *deadline)
{
	meter_run_signal_stop(m);
	if (pthread_timedjoin_np(m->thread, NULL, deadline) != 0) {
		log_warn("meter %s (%s) did not stop in time (a read is hung); "
			 "left behind", m->name, m->ops->source);
		pthread_detach(m->thread);
	}
	release(m);
}
