/* Rendering ahead of the scrapes: see prerender.h. One thread sleeps until
 * the earliest scraper is due, renders the current generation in that
 * scraper's format and encoding, and keeps it (one per format and
 * encoding) for the scrape that follows. */
#include "exporter/prerender.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"
#include "exporter/render.h"

#define NVARIANTS (EXPO_NFORMATS * 2)
/* Lead before a due scrape: this much, plus twice the last render. */
#define LEAD_MIN_S 0.25
/* Scrapers faster than this are not rendered for: a client polling in a
 * loop finds each generation rendered by its own previous scrape anyway,
 * and waking the thread for every one of its scrapes would cost more than
 * it saves. */
#define MIN_INTERVAL_S 0.25
/* Longest a scraper is waited for while its interval is unknown. */
#define UNKNOWN_EXPIRY_S 600.0

void pr_seen(struct pr_scraper *s, double now)
{
	double gap = now - s->last;

	if (!s->started) {
		s->last = now;
		s->started = true;
		return;
	}
	if (s->interval > 0 && fabs(gap - s->interval) <= 0.1 * s->interval + 0.05) {
		s->interval = 0.75 * s->interval + 0.25 * gap;
		s->steady++;
	} else {
		s->interval = gap > 0 ? gap : 0;
		s->steady = 0;
	}
	s->last = now;
}

double pr_due(const struct pr_scraper *s, double lead)
{
	if (s->key == 0 || s->steady < 1 || s->interval < MIN_INTERVAL_S ||
	    s->done_for == s->last)
		return 0;
	/* A lead longer than half the interval would render for nobody. */
	if (lead > s->interval / 2)
		lead = s->interval / 2;
	return s->last + s->interval - lead;
}

bool pr_expired(const struct pr_scraper *s, double now)
{
	if (s->interval > 0)
		return now - s->last > 3 * s->interval;
	return now - s->last > UNKNOWN_EXPIRY_S;
}

/* ---- the thread ------------------------------------------------------- */

struct scraper_slot {
	struct pr_scraper s;
	unsigned variant; /* fmt * 2 + gzip */
	uint64_t last_gen; /* id of the generation it was served last */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a scrape came, or stop; CLOCK_MONOTONIC */
	pthread_t thread;
	bool running, stopping;
	struct scraper_slot sc[PRERENDER_MAX_SCRAPERS];
	struct snap_gen *ahead[NVARIANTS]; /* rendered ahead, with a ref */
	double ahead_at[NVARIANTS];	   /* when, monotonic seconds */
	double lead;			   /* seconds */
} pr = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .lead = LEAD_MIN_S,
};

/* Scrapes by how their body was found. */
enum { SERVED_CACHED, SERVED_AHEAD, SERVED_INLINE, NSERVED };
static atomic_ulong served[NSERVED];

/* How long a generation rendered ahead may be served after its render. */
static double max_age(void)
{
	return 2 * pr.lead + 0.5;
}

/* Drops the generations rendered ahead that are too old to be served, so
 * that their bodies do not outlive their use; returns when the next one
 * expires, or 0 (caller holds the lock). */
static double drop_expired(double now)
{
	double next = 0;

	for (unsigned v = 0; v < NVARIANTS; v++) {
		double end = pr.ahead_at[v] + max_age();

		if (!pr.ahead[v])
			continue;
		if (end <= now) {
			snap_gen_unref(pr.ahead[v]);
			pr.ahead[v] = NULL;
		} else if (next == 0 || end < next) {
			next = end;
		}
	}
	return next;
}

/* The index and due time of the earliest due scraper (caller holds the
 * lock); -1 if none is. */
static int earliest(double *due)
{
	int best = -1;

	for (int i = 0; i < PRERENDER_MAX_SCRAPERS; i++) {
		double d = pr_due(&pr.sc[i].s, pr.lead);

		if (d > 0 && (best < 0 || d < *due)) {
			best = i;
			*due = d;
		}
	}
	return best;
}

/* Renders the current generation in variant v and keeps it (called
 * without the lock). */
static void render_variant(unsigned v)
{
	struct snap_gen *gen = snap_current(), *old;
	enum expo_format fmt = (enum expo_format)(v / 2);
	double t0 = clock_mono_s(), dur;
	const char *data;
	size_t len;
	int rc;

	rc = render_get(gen, fmt, v % 2 == 1, &data, &len);
	dur = clock_mono_s() - t0;
	pthread_mutex_lock(&pr.lock);
	if (rc < 0) {
		pthread_mutex_unlock(&pr.lock);
		snap_gen_unref(gen);
		return; /* the scrape renders, and logs, inline */
	}
	old = pr.ahead[v];
	pr.ahead[v] = gen;
	pr.ahead_at[v] = clock_mono_s();
	if (dur > 0.001) /* a render, not a hit of the cache */
		pr.lead = LEAD_MIN_S + 2 * dur;
	pthread_mutex_unlock(&pr.lock);
	snap_gen_unref(old);
}

static void *prerender_main(void *arg)
{
	(void)arg;
	thread_name("", "prerender");
	pthread_mutex_lock(&pr.lock);
	while (!pr.stopping) {
		double due = 0, now = clock_mono_s();
		double expiry = drop_expired(now);
		int i = earliest(&due);
		struct timespec ts;

		if (i < 0 && expiry == 0) {
			pthread_cond_wait(&pr.cond, &pr.lock);
			continue;
		}
		if (i < 0 || (expiry > 0 && expiry < due))
			due = expiry;
		if (due > now) {
			ts.tv_sec = (time_t)due;
			ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&pr.cond, &pr.lock, &ts);
			continue;
		}
		if (i < 0 || due != pr_due(&pr.sc[i].s, pr.lead))
			continue; /* woken for an expiry */
		pr.sc[i].s.done_for = pr.sc[i].s.last;
		pthread_mutex_unlock(&pr.lock);
		render_variant(pr.sc[i].variant);
		pthread_mutex_lock(&pr.lock);
	}
	pthread_mutex_unlock(&pr.lock);
	return NULL;
}

int prerender_start(void)
{
	pthread_condattr_t ca;
	int rc;

	pr.stopping = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pr.cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&pr.thread, NULL, prerender_main, NULL);
	if (rc) {
		pthread_cond_destroy(&pr.cond);
		return -rc;
	}
	pthread_mutex_lock(&pr.lock);
	pr.running = true;
	pthread_mutex_unlock(&pr.lock);
	return 0;
}

void prerender_stop(void)
{
	pthread_mutex_lock(&pr.lock);
	if (!pr.running) {
		pthread_mutex_unlock(&pr.lock);
		return;
	}
	pr.stopping = true;
	pr.running = false; /* scrapes stop recording */
	pthread_cond_signal(&pr.cond);
	pthread_mutex_unlock(&pr.lock);
	pthread_join(pr.thread, NULL);
	pthread_cond_destroy(&pr.cond);
	for (unsigned v = 0; v < NVARIANTS; v++) {
		snap_gen_unref(pr.ahead[v]);
		pr.ahead[v] = NULL;
	}
	memset(pr.sc, 0, sizeof(pr.sc));
}

/* ---- scrapes -------------------------------------------------------------- */

/* FNV-1a of the client's address (not its port: a scraper may reconnect),
 * mixed with the variant; never 0. */
static uint64_t client_key(const struct sockaddr *sa, unsigned v)
{
	const unsigned char *p = NULL;
	uint64_t h = 1469598103934665603ull;
	size_t n = 0;

	if (sa && sa->sa_family == AF_INET) {
		p = (const void *)&((const struct sockaddr_in *)(const void *)sa)
			->sin_addr;
		n = 4;
	} else if (sa && sa->sa_family == AF_INET6) {
		p = (const void *)&((const struct sockaddr_in6 *)(const void *)sa)
			->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	h = (h ^ (v + 1)) * 1099511628211ull;
	return h ? h : 1;
}

/* Records a scrape of key in variant v at now (caller holds the lock);
 * returns the scraper's slot. */
static struct scraper_slot *record(uint64_t key, unsigned v, double now)
{
	int free_i = -1, oldest = 0;

	for (int i = 0; i < PRERENDER_MAX_SCRAPERS; i++) {
		struct scraper_slot *c = &pr.sc[i];

		if (c->s.key == key) {
			pr_seen(&c->s, now);
			if (pr_due(&c->s, pr.lead) > 0)
				pthread_cond_signal(&pr.cond);
			return c;
		}
		if (c->s.key && pr_expired(&c->s, now))
			memset(c, 0, sizeof(*c));
		if (!c->s.key && free_i < 0)
			free_i = i;
		if (c->s.last < pr.sc[oldest].s.last)
			oldest = i;
	}
	if (free_i < 0)
		free_i = oldest;
	memset(&pr.sc[free_i], 0, sizeof(pr.sc[free_i]));
	pr.sc[free_i].s.key = key;
	pr.sc[free_i].variant = v;
	pr_seen(&pr.sc[free_i].s, now);
	return &pr.sc[free_i];
}

struct snap_gen *prerender_pick(const struct sockaddr *client,
				enum expo_format fmt, bool gzip)
{
	unsigned v = (unsigned)fmt * 2 + (gzip ? 1 : 0);
	struct snap_gen *gen = snap_current();
	struct scraper_slot *sc = NULL;
	double now = clock_mono_s();
	bool ready = render_ready(gen, fmt, gzip);

	pthread_mutex_lock(&pr.lock);
	if (pr.running)
		sc = record(client_key(client, v), v, now);
	/* Never older than what this scraper was served before: its counters
	 * would seem to go backwards. */
	if (!ready && pr.ahead[v] && now - pr.ahead_at[v] <= max_age() &&
	    (!sc || pr.ahead[v]->id >= sc->last_gen)) {
		snap_gen_unref(gen);
		gen = snap_gen_ref(pr.ahead[v]);
		ready = true;
		atomic_fetch_add(&served[SERVED_AHEAD], 1);
	} else {
		atomic_fetch_add(&served[ready ? SERVED_CACHED : SERVED_INLINE],
				 1);
	}
	if (sc)
		sc->last_gen = gen->id;
	pthread_mutex_unlock(&pr.lock);
	return gen;
}

void prerender_count_scrape(bool cached)
{
	atomic_fetch_add(&served[cached ? SERVED_CACHED : SERVED_INLINE], 1);
}

static const struct snap_family fam_scrapes = {
    .name = "virtmeter_http_scrapes",
    .help = "Scrapes of /metrics by how their body was found: cached (the "
	    "current generation was rendered already), ahead (rendered ahead "
	    "of this scraper's expected scrape, a collector has published "
	    "since) or inline (the scrape waited for a render).",
    .type = SNAP_COUNTER,
    .labels = {"render"},
};

const struct snap_family *const prerender_families[] = {&fam_scrapes, NULL};

void prerender_add_metrics(struct snap_set *set)
{
	static const char *const names[NSERVED] = {"cached", "ahead", "inline"};

	for (int i = 0; i < NSERVED; i++)
		snap_add(set, &fam_scrapes, (double)atomic_load(&served[i]),
			 names[i]);
}
