/* Rendering ahead of the scrapes. Prometheus scrapes a target at a steady
 * interval, and collectors publish a new generation every few seconds, so
 * nearly every scrape found a generation that nobody had rendered yet and
 * paid its render and gzip inline: tens of milliseconds at a few thousand
 * workloads. This module learns each scraper's interval (per client address
 * and format) and renders the current generation just before that
 * scraper's next scrape is due. A scrape that arrives after a collector
 * published again is served the generation rendered ahead for it, which is
 * at most a fraction of a second older than the newest: samples are up to a
 * collector interval old anyway. Irregular clients (curl, a browser) are
 * served the current generation as before. */
#ifndef VIRTMETER_PRERENDER_H
#define VIRTMETER_PRERENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "exporter/expo.h"
#include "exporter/api/snapshot.h"

/* Scrapers followed at once; the longest silent one makes room. */
#define PRERENDER_MAX_SCRAPERS 16

/* One scraper: a client address asking for one format and encoding. */
struct pr_scraper {
	uint64_t key;	 /* 0: free */
	double last;	 /* its last scrape, monotonic seconds */
	double interval; /* estimated interval; 0 until two scrapes */
	unsigned steady; /* consecutive gaps that agreed with interval */
	double done_for; /* the value of last that a render ahead served */
	bool started;	 /* last is set */
};

/* Records a scrape of s at now: the interval estimate follows gaps that
 * agree with it (within 10 % + 50 ms) and restarts on one that does not. */
void pr_seen(struct pr_scraper *s, double now);

/* When to render ahead for s, lead seconds before its next scrape: 0 when
 * its interval is not steady yet, shorter than a quarter second (a client
 * polling in a loop), or the render for that scrape is done. */
double pr_due(const struct pr_scraper *s, double lead);

/* Whether s has been silent so long (three intervals, or ten minutes while
 * its interval is unknown) that it is no longer followed. */
bool pr_expired(const struct pr_scraper *s, double now);

/* Starts the render-ahead thread. Returns 0 or a negative errno. */
int prerender_start(void);

/* Stops the thread and drops the generations it kept. */
void prerender_stop(void);

/* The generation a scrape from client (may be NULL) in fmt/gzip is to be
 * served, with a reference for the caller: the current one, or the one
 * rendered ahead for this scrape when the current one is not rendered yet.
 * Records the scrape for the interval estimate. */
struct snap_gen *prerender_pick(const struct sockaddr *client,
				enum expo_format fmt, bool gzip);

/* Counts a scrape served without prerender_pick (one of a selection of
 * collectors), as cached if its body was rendered already, else inline. */
void prerender_count_scrape(bool cached);

/* Adds virtmeter_http_scrapes_total{render} to set. */
void prerender_add_metrics(struct snap_set *set);

/* Families of prerender_add_metrics, NULL-terminated. */
extern const struct snap_family *const prerender_families[];

#endif
