/* The scheduler: see scheduler.h.
 *
 * Slot 0 of the snapshot holds the self-metrics (collector status, build
 * info, reloads); collector i of the registry publishes into slot i + 1
 * (SCHED_STATUS_SLOT and sched_slot in scheduler.h). A worker publishes
 * its samples and the refreshed status together, so a scrape never sees a
 * collector's new samples with its old status. */
#include "exporter/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"
#include "exporter/http_conns.h"
#include "exporter/prerender.h"
#include "exporter/version.h"

#define WATCHDOG_MS 500

struct run;

struct worker {
	struct run *run;
	struct sched_entry e;
	struct collector_env env; /* the run's, with this entry's settings */
	size_t slot;
	pthread_t thread;
	bool started;
	void *state;
	bool inited;
	/* Guarded by sched_lock. */
	bool up, running, stuck;
	double run_start, last_duration, last_success;
	uint64_t errors, cycles;
	struct log_once health;
	/* Sizes of the last good set, for the next one. */
	size_t hint_samples, hint_strings;
};

static const struct snap_family fam_up = {
	.name = "virtmeter_collector_up",
	.help = "1 if the collector's last cycle succeeded and it is not stuck "
		"past its timeout, else 0.",
	.type = SNAP_GAUGE,
	.labels = {"collector"},
};
static const struct snap_family fam_duration = {
	.name = "virtmeter_collector_duration_seconds",
	.help = "Duration of the collector's last finished cycle.",
	.type = SNAP_GAUGE,
	.unit = "seconds",
	.labels = {"collector"},
};
static const struct snap_family fam_errors = {
	.name = "virtmeter_collector_errors",
	.help = "Cycles of the collector that failed (its last good samples "
		"stayed served).",
	.type = SNAP_COUNTER,
	.labels = {"collector"},
};
static const struct snap_family fam_last_success = {
	.name = "virtmeter_collector_last_success_timestamp_seconds",
	.help = "Unix time at which the collector's last successful cycle "
		"ended: how stale its samples are.",
	.type = SNAP_GAUGE,
	.unit = "seconds",
	.labels = {"collector"},
};

static const struct snap_family fam_reload_ok = {
	.name = "virtmeter_config_last_reload_successful",
	.help = "1 if the last load of the configuration (at start, or on "
		"SIGHUP) succeeded, 0 if it was rejected and the running "
		"configuration kept.",
	.type = SNAP_GAUGE,
};
static const struct snap_family fam_reload_time = {
	.name = "virtmeter_config_last_reload_success_timestamp_seconds",
	.help = "Unix time of the last successful load of the configuration "
		"(the start-up load counts).",
	.type = SNAP_GAUGE,
	.unit = "seconds",
};

const struct snap_family *const sched_families[] = {
	&version_build_info, &fam_up, &fam_duration, &fam_errors,
	&fam_last_success, &fam_reload_ok, &fam_reload_time, NULL,
};

static pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;
/* One start..stop of the scheduler. A worker stuck in its source at stop
 * is left behind with its run, which is then never freed, so that the
 * thread can still finish safely after a reload started a new run. */
struct run {
	bool stopping; /* guarded by sched_lock */
	pthread_cond_t cond;
	size_t n;
	struct worker workers[SNAP_MAX_SLOTS];
	pthread_t watchdog;
	bool watchdog_started;
	bool leaked;
};

static struct run *cur; /* guarded by sched_lock */

/* The last load of the configuration (guarded by sched_lock): nothing is
 * reported before the first. */
static struct {
	bool noted, ok;
	double success_at; /* Unix time */
} reload_state;

/* Builds the status set from every enabled worker (caller holds
 * sched_lock). Returns NULL without memory. */
static struct snap_set *status_build(void)
{
	struct snap_set *set = snap_set_new();

	if (!set)
		return NULL;
	version_add_build_info(set);
	prerender_add_metrics(set);
	http_conns_add_metrics(set);
	if (reload_state.noted) {
		snap_add0(set, &fam_reload_ok, reload_state.ok ? 1 : 0);
		snap_add0(set, &fam_reload_time, reload_state.success_at);
	}
	for (size_t i = 0; cur && i < cur->n; i++) {
		const struct worker *w = &cur->workers[i];
		const char *n = w->e.c->name;

		if (!w->e.enabled)
			continue;
		snap_add(set, &fam_up, w->up && !w->stuck ? 1 : 0, n);
		snap_add(set, &fam_duration, w->last_duration, n);
		snap_add(set, &fam_errors, (double)w->errors, n);
		snap_add(set, &fam_last_success, w->last_success, n);
	}
	if (set->err) {
		snap_set_unref(set);
		return NULL;
	}
	return set;
}

/* Publishes the refreshed status, plus slot's new samples if set is not
 * NULL, as one generation. */
static void publish(const struct run *run, size_t slot, struct snap_set *set)
{
	struct snap_update u[2];
	struct snap_set *status;
	size_t n = 0;

	pthread_mutex_lock(&publish_lock);
	pthread_mutex_lock(&sched_lock);
	if (run->stopping) {
		/* A worker left behind by a stop must not overwrite what the
		 * next run publishes. */
		pthread_mutex_unlock(&sched_lock);
		pthread_mutex_unlock(&publish_lock);
		return;
	}
	status = status_build();
	pthread_mutex_unlock(&sched_lock);
	if (status)
		u[n++] = (struct snap_update){SCHED_STATUS_SLOT, status};
	if (set)
		u[n++] = (struct snap_update){slot, set};
	if (snap_publish(u, n))
		log_error("publishing samples failed: out of memory");
	pthread_mutex_unlock(&publish_lock);
	snap_set_unref(status);
}

/* Runs one cycle of w: init if needed, collect, record the outcome. */
static void run_cycle(struct worker *w)
{
	const struct collector *c = w->e.c;
	struct snap_set *set = NULL;
	double start = clock_mono_s(), real_start = clock_real_s(), dur;
	int64_t start_ns = clock_mono_ns();
	const char *detail;
	int rc;

	pthread_mutex_lock(&sched_lock);
	w->running = true;
	w->run_start = start;
	pthread_mutex_unlock(&sched_lock);

	collector_take_error();
	if (!w->inited) {
		rc = c->init(&w->env, &w->state);
		if (rc)
			goto done;
		w->inited = true;
	}
	set = snap_set_new_sized(w->hint_samples, w->hint_strings);
	rc = set ? c->collect(w->state, set) : -ENOMEM;
	if (rc == COLLECT_UNCHANGED) {
		/* The published set stays: publish the status alone. */
		snap_set_unref(set);
		set = NULL;
		rc = 0;
	}
	if (rc == 0 && set && set->err)
		rc = set->err;
done:
	/* In whole nanoseconds, made seconds once: a difference of two
	 * doubles would be written 5.5251999583560973e-05. */
	dur = clock_ns_to_s((uint64_t)(clock_mono_ns() - start_ns));
	pthread_mutex_lock(&sched_lock);
	w->running = false;
	w->last_duration = dur;
	w->cycles++;
	if (w->stuck)
		log_info("collector %s finished a cycle after %.1fs", c->name, dur);
	w->stuck = false;
	w->up = rc == 0;
	if (rc)
		w->errors++;
	else
		w->last_success = clock_real_s();
	pthread_mutex_unlock(&sched_lock);

	detail = collector_take_error();
	if (rc)
		log_fail_once(&w->health, "collector %s failed in %s: %s; "
			      "serving its last good samples", c->name,
			      w->inited ? "collect" : "init",
			      *detail ? detail : strerror(-rc));
	else
		log_recover(&w->health, "collector %s recovered", c->name);
	if (rc == 0 && set) {
		set->time = real_start + dur / 2;
		w->hint_samples = set->nsamples;
		w->hint_strings = set->nstrings;
	}
	publish(w->run, w->slot, rc ? NULL : set);
	snap_set_unref(set);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	double next = clock_mono_s();

	thread_name("", w->e.c->name);
	for (;;) {
		struct timespec ts;
		double now;

		run_cycle(w);
		now = clock_mono_s();
		next += w->e.interval_ms / 1000.0;
		if (next < now) /* a slow cycle skips ticks, never bunches them */
			next = now + w->e.interval_ms / 1000.0;
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		pthread_mutex_lock(&sched_lock);
		while (!run->stopping &&
		       pthread_cond_timedwait(&run->cond, &sched_lock, &ts) != ETIMEDOUT)
			;
		if (run->stopping) {
			pthread_mutex_unlock(&sched_lock);
			break;
		}
		pthread_mutex_unlock(&sched_lock);
	}
	return NULL;
}

/* Marks workers that run past their timeout as stuck, so that their status
 * shows it while the worker itself is blocked in its source. */
static void *watchdog_main(void *arg)
{
	struct run *run = arg;

	thread_name("", "watchdog");
	pthread_mutex_lock(&sched_lock);
	while (!run->stopping) {
		struct timespec ts;
		bool changed = false;
		double now = clock_mono_s();

		for (size_t i = 0; i < run->n; i++) {
			struct worker *w = &run->workers[i];

			if (w->running && !w->stuck &&
			    now - w->run_start > w->e.timeout_ms / 1000.0) {
				w->stuck = true;
				changed = true;
				log_warn("collector %s is stuck: its cycle has run "
					 "for more than %.1fs; serving its last "
					 "good samples", w->e.c->name,
					 w->e.timeout_ms / 1000.0);
			}
		}
		if (changed) {
			pthread_mutex_unlock(&sched_lock);
			publish(run, SCHED_STATUS_SLOT, NULL);
			pthread_mutex_lock(&sched_lock);
		}
		ts = clock_deadline(CLOCK_MONOTONIC, WATCHDOG_MS);
		if (!run->stopping)
			pthread_cond_timedwait(&run->cond, &sched_lock, &ts);
	}
	pthread_mutex_unlock(&sched_lock);
	return NULL;
}

int sched_start(const struct sched_entry *entries, size_t n,
		const struct collector_env *env)
{
	struct snap_update clear[SNAP_MAX_SLOTS];
	pthread_condattr_t ca;
	struct run *run;
	size_t nclear = 0;
	int rc;

	if (n + 1 > SNAP_MAX_SLOTS)
		return -E2BIG;
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&run->cond, &ca);
	pthread_condattr_destroy(&ca);
	run->n = n;
	for (size_t i = 0; i < n; i++) {
		run->workers[i].run = run;
		run->workers[i].e = entries[i];
		run->workers[i].env = *env;
		run->workers[i].env.settings = entries[i].settings;
		run->workers[i].slot = sched_slot(i);
		if (!entries[i].enabled)
			clear[nclear++] = (struct snap_update){sched_slot(i), NULL};
	}
	pthread_mutex_lock(&sched_lock);
	cur = run;
	pthread_mutex_unlock(&sched_lock);
	/* A collector disabled by a reload takes its series with it. */
	snap_publish(clear, nclear);
	publish(run, SCHED_STATUS_SLOT, NULL);
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &run->workers[i];

		if (!w->e.enabled)
			continue;
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			sched_stop(0);
			return -rc;
		}
		w->started = true;
	}
	rc = pthread_create(&run->watchdog, NULL, watchdog_main, run);
	if (rc) {
		sched_stop(0);
		return -rc;
	}
	run->watchdog_started = true;
	return 0;
}

/* Waits up to ms for thread t; returns true if it was joined. */
static bool join_within(pthread_t t, unsigned ms)
{
	struct timespec ts = clock_deadline(CLOCK_REALTIME, ms);

	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

bool sched_stop(unsigned grace_ms)
{
	struct run *run;
	bool joined;

	pthread_mutex_lock(&sched_lock);
	run = cur;
	if (run) {
		run->stopping = true;
		pthread_cond_broadcast(&run->cond);
	}
	pthread_mutex_unlock(&sched_lock);
	if (!run)
		return true;
	if (run->watchdog_started)
		pthread_join(run->watchdog, NULL);
	for (size_t i = 0; i < run->n; i++) {
		struct worker *w = &run->workers[i];

		if (!w->started)
			continue;
		if (!join_within(w->thread, grace_ms)) {
			/* Its fini would race the blocked cycle: leave both,
			 * and the run with them. */
			log_warn("collector %s did not stop within %ums; left "
				 "behind", w->e.c->name, grace_ms);
			pthread_detach(w->thread);
			run->leaked = true;
			continue;
		}
		if (w->inited)
			w->e.c->fini(w->state);
	}
	pthread_mutex_lock(&sched_lock);
	cur = NULL;
	pthread_mutex_unlock(&sched_lock);
	joined = !run->leaked;
	if (joined) {
		pthread_cond_destroy(&run->cond);
		free(run);
	}
	return joined;
}

void sched_note_reload(bool ok)
{
	struct run *run;

	pthread_mutex_lock(&sched_lock);
	reload_state.noted = true;
	reload_state.ok = ok;
	if (ok)
		reload_state.success_at = clock_real_s();
	run = cur;
	pthread_mutex_unlock(&sched_lock);
	/* The caller is the thread that stops runs: run stays valid. */
	if (run)
		publish(run, SCHED_STATUS_SLOT, NULL);
}

size_t sched_status_get(struct sched_status *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&sched_lock);
	for (size_t i = 0; cur && i < cur->n && n < max; i++, n++) {
		const struct worker *w = &cur->workers[i];

		out[n] = (struct sched_status){
			.name = w->e.c->name,
			.enabled = w->e.enabled,
			.up = w->up && !w->stuck,
			.stuck = w->stuck,
			.last_duration_s = w->last_duration,
			.last_success_s = w->last_success,
			.errors = w->errors,
			.cycles = w->cycles,
		};
	}
	pthread_mutex_unlock(&sched_lock);
	return n;
}
