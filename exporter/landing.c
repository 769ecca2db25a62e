/* The landing page (GET /): the version, and per collector whether its
 * cycles run (virtmeter_collector_up) and whether its sources answer (its
 * health families, from the current generation), with what each means. */
#include "exporter/landing.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/expo.h"
#include "exporter/scheduler.h"
#include "exporter/version.h"

#define LANDING_MAX_COLLECTORS 64
/* Samples of a collector's health families shown on the page. */
#define LANDING_SAMPLES 16

/* Appends s with the HTML special characters escaped. */
static void put_html(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else if (*s == '"')
			buf_puts(b, "&quot;");
		else if (*s == '\'')
			buf_puts(b, "&#39;");
		else
			buf_putc(b, *s);
	}
}

/* The cycle state of a collector in words: what virtmeter_collector_up
 * says, and why it is 0. */
static const char *cycle_state(const struct sched_status *st)
{
	if (!st->enabled)
		return "-";
	if (st->stuck)
		return "stuck (0)";
	if (st->cycles == 0)
		return "not run yet (0)";
	return st->up ? "ok (1)" : "failed (0)";
}

/* Appends one sample of a health family: name{labels} value (up|down). */
static void put_health_sample(struct buf *b, const struct snap_set *set,
			      const struct snap_fam_entry *e,
			      const struct snap_sample *sm)
{
	const char *v = snap_sample_labels(set, sm);

	buf_puts(b, "<code>");
	put_html(b, e->desc->name);
	for (uint32_t l = 0; l < e->nlabels; l++) {
		buf_puts(b, l ? "," : "{");
		put_html(b, e->desc->labels[l]);
		buf_puts(b, "=&quot;");
		put_html(b, v);
		buf_puts(b, "&quot;");
		v += strlen(v) + 1;
	}
	buf_puts(b, e->nlabels ? "} " : " ");
	expo_put_value(b, sm->value);
	buf_printf(b, "</code> %s", sm->value == 1 ? "up" : "down");
}

/* Appends the source column of collector c: the samples of its health
 * families in set (its slot of the current generation; may be NULL). */
static void put_health(struct buf *b, const struct collector *c,
		       const struct snap_set *set)
{
	size_t shown = 0, more = 0;

	if (!c->health || !c->health[0]) {
		buf_puts(b, "no signal of its own");
		return;
	}
	for (size_t f = 0; set && f < set->nfams; f++) {
		const struct snap_fam_entry *e = &set->fams[f];
		bool mine = false;

		for (size_t h = 0; c->health[h]; h++)
			mine = mine || c->health[h] == e->desc;
		for (uint32_t s = e->first; mine && s != UINT32_MAX;
		     s = set->samples[s].next) {
			if (shown == LANDING_SAMPLES) {
				more++;
				continue;
			}
			buf_puts(b, shown++ ? "<br>" : "");
			put_health_sample(b, set, e, &set->samples[s]);
		}
	}
	if (more)
		buf_printf(b, "<br>and %zu more", more);
	if (shown == 0)
		buf_puts(b, "none reported");
}

/* Appends one table row per collector known to the scheduler. */
static void put_collector_rows(struct buf *b)
{
	struct sched_status st[LANDING_MAX_COLLECTORS];
	size_t n = sched_status_get(st, LANDING_MAX_COLLECTORS);
	struct snap_gen *gen = snap_current();

	if (n == 0)
		buf_puts(b, "<tr><td colspan=\"6\">no collector is "
			    "running</td></tr>\n");
	for (size_t i = 0; i < n && collector_table[i]; i++) {
		size_t slot = sched_slot(i);

		buf_puts(b, "<tr><td>");
		put_html(b, st[i].name);
		buf_printf(b, "</td><td>%s</td><td>%s</td><td>",
			   st[i].enabled ? "yes" : "no", cycle_state(&st[i]));
		if (st[i].enabled)
			put_health(b, collector_table[i],
				   gen && slot < SNAP_MAX_SLOTS
				       ? gen->sets[slot]
				       : NULL);
		else
			buf_puts(b, "-");
		if (st[i].cycles > 0)
			buf_printf(b, "</td><td>%.3f s</td>",
				   st[i].last_duration_s);
		else
			buf_puts(b, "</td><td>never ran</td>");
		buf_printf(b, "<td>%" PRIu64 "</td></tr>\n", st[i].errors);
	}
	snap_gen_unref(gen);
}

/* Writes what each column of the collector table means, and which signal
 * to alert on: the health families are listed from the registry. */
static void put_legend(struct buf *b)
{
	size_t shown = 0;

	buf_puts(b,
		 "<dl>\n<dt>cycle</dt><dd><code>virtmeter_collector_up</code>: "
		 "ok (1) when the collector's last cycle ended without error "
		 "and no cycle runs past its timeout; failed (0) when it "
		 "returned an error, stuck (0) when a cycle hangs. Its last "
		 "good samples stay served meanwhile. It says that the "
		 "collector works, not that what it reads answers: a collector "
		 "whose source is down (libvirtd stopped, a meter that does not "
		 "answer) runs its cycles fine and says so in its source "
		 "column.</dd>\n<dt>source</dt><dd>The collector's own families "
		 "that say whether its sources answer, up (1) or down (0) as of "
		 "its last cycle (");
	for (size_t i = 0; collector_table[i]; i++) {
		const struct collector *c = collector_table[i];

		for (size_t h = 0; c->health && c->health[h]; h++) {
			buf_puts(b, shown++ ? ", <code>" : "<code>");
			put_html(b, c->health[h]->name);
			buf_puts(b, "</code> of ");
			put_html(b, c->name);
		}
	}
	if (shown == 0)
		buf_puts(b, "none in this build");
	buf_puts(b,
		 "). Alert on these for a source that is down, and on "
		 "<code>virtmeter_collector_up</code> for a collector that "
		 "fails.</dd>\n<dt>last duration, errors</dt><dd>"
		 "<code>virtmeter_collector_duration_seconds</code> and "
		 "<code>virtmeter_collector_errors_total</code>.</dd>\n</dl>\n");
}

void landing_write(struct buf *b, const char *telemetry_path)
{
	buf_puts(
	    b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>virtmeter</title>\n<style>body{font-family:sans-serif;"
	    "margin:2em}table{border-collapse:collapse}th,td{border:1px "
	    "solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}"
	    "</style></head>\n<body>\n<h1>virtmeter</h1>\n<p>Prometheus "
	    "exporter of what virtualization costs: VMs, containers, "
	    "performance counters and power.</p>\n<p>Version ");
	put_html(b, version_string());
	buf_puts(b, " (features: ");
	put_html(b, version_features());
	buf_puts(b, ")</p>\n<p><a href=\"");
	put_html(b, telemetry_path);
	buf_puts(b,
		 "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
		 "<h2>Collectors</h2>\n<table>\n<tr><th>collector</th>"
		 "<th>enabled</th><th>cycle</th><th>source</th>"
		 "<th>last duration</th><th>errors</th></tr>\n");
	put_collector_rows(b);
	buf_puts(b, "</table>\n");
	put_legend(b);
	buf_puts(b, "</body></html>\n");
}
