/* The host's source of energy: the meter chosen by configuration or, by
 * default, the best one the power collector publishes (a wall meter, PDU
 * or BMC; else RAPL; else hwmon), each zone that no other zone of the
 * meter contains (part_of="": RAPL psys where there is one, else its
 * packages and DRAM) read from its energy counter at the meter's own
 * sample time; or, without any meter, the linear estimate from the host's
 * CPU utilisation. */
#include "collectors/model/learn.h"
#include "collectors/model/model.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FAM_ENERGY "virtmeter_energy_joules"

/* The labels of the power collector's energy family, in order. */
enum { L_METER, L_SOURCE, L_ZONE, L_KIND, L_PART_OF };

/* Rank of a zone as a measure of the whole host: lower is better. A
 * reading at the wall (a wall meter, PDU or BMC: kind "wall"), then RAPL,
 * then hwmon, then a meter configured with another kind (a GPU's). */
static int rank_of(const char *source, const char *kind)
{
	if (strcmp(kind, "wall") == 0)
		return 0;
	if (strcmp(source, "rapl") == 0)
		return 1;
	if (strcmp(source, "hwmon") == 0)
		return 2;
	return 3;
}

/* Whether the host-meter list names zone of meter as METER/ZONE. */
static bool named_zone(const struct setting_list *l, const char *meter,
		       const char *zone)
{
	size_t ml = strlen(meter);

	for (size_t i = 0; i < l->n; i++) {
		const char *it = l->v[i];

		if (strncmp(it, meter, ml) == 0 && it[ml] == '/' &&
		    strcmp(it + ml + 1, zone) == 0)
			return true;
	}
	return false;
}

/* Whether the host-meter list names meter as a whole (not zone by zone). */
static bool named_whole(const struct setting_list *l, const char *meter)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], meter) == 0)
			return true;
	return false;
}

/* The meter of the best rank in the power set (the name that sorts first
 * among equals), or NULL. */
static const char *best_meter(const struct snap_set *power)
{
	const struct snap_sample *s;
	const char *best = NULL;
	int best_rank = INT_MAX;

	FOR_SAMPLES(power, FAM_ENERGY, s) {
		const char *meter = model_label(power, s, L_METER);
		int r = rank_of(model_label(power, s, L_SOURCE),
				model_label(power, s, L_KIND));

		if (!best || r < best_rank ||
		    (r == best_rank && strcmp(meter, best) < 0)) {
			best = meter;
			best_rank = r;
		}
	}
	return best;
}

/* Adds zone of meter (of type source) to src, at most MODEL_MAX_ZONES. */
static void take_zone(struct host_source *src, const char *meter,
		      const char *source, const char *zone)
{
	if (src->nzones == MODEL_MAX_ZONES)
		return;
	if (src->nzones == 0) {
		snprintf(src->source, sizeof(src->source), "%s", source);
		snprintf(src->meter, sizeof(src->meter), "%s", meter);
	} else if (strcmp(src->meter, meter)) {
		/* A sum over several meters: name them all. */
		size_t l = strlen(src->meter);

		if (!strstr(src->meter, meter))
			snprintf(src->meter + l, sizeof(src->meter) - l, "+%s",
				 meter);
	}
	snprintf(src->zones[src->nzones], sizeof(src->zones[0]), "%s/%s", meter,
		 zone);
	src->nzones++;
}

/* The chosen meter and zones in the power set, into src (not its series):
 * the zones the host-meter list names (a meter named whole gives the
 * zones no other of its zones contains), else those of the best meter.
 * Returns whether any zone was chosen. */
static bool choose(const struct model *m, const struct snap_set *power,
		   struct host_source *src)
{
	const struct setting_list *l = m->conf.host_meter;
	const char *best = l->n ? NULL : best_meter(power);
	const struct snap_sample *s;

	memset(src, 0, sizeof(*src));
	FOR_SAMPLES(power, FAM_ENERGY, s) {
		const char *meter = model_label(power, s, L_METER);
		const char *zone = model_label(power, s, L_ZONE);
		bool whole = model_label(power, s, L_PART_OF)[0] == '\0';
		bool take;

		if (l->n)
			take = named_zone(l, meter, zone) ||
			       (whole && named_whole(l, meter));
		else
			take = whole && best && strcmp(meter, best) == 0;
		if (take)
			take_zone(src, meter, model_label(power, s, L_SOURCE),
				  zone);
	}
	for (size_t z = 0; z < src->nzones; z++) {
		size_t len = strlen(src->zone);
		const char *zone = strchr(src->zones[z], '/') + 1;

		snprintf(src->zone + len, sizeof(src->zone) - len, "%s%s",
			 z ? "+" : "", zone);
	}
	src->measured = src->nzones > 0;
	return src->measured;
}

/* Whether meter is the METER of the zone "METER/ZONE". */
static bool meter_of(const char *meter, const char *zone)
{
	size_t ml = strcspn(zone, "/");

	return strlen(meter) == ml && strncmp(meter, zone, ml) == 0;
}

/* The meter's sample time (virtmeter_meter_last_sample_timestamp_seconds)
 * of the zone "METER/ZONE", or 0. */
static double sample_time(const struct snap_set *power, const char *zone)
{
	const struct snap_sample *s;

	FOR_SAMPLES(power, "virtmeter_meter_last_sample_timestamp_seconds", s)
		if (meter_of(model_label(power, s, L_METER), zone))
			return s->value;
	return 0;
}

/* Starts the host's counters over under a new source, and says so. What
 * was learned of another meter's idle power is forgotten: a wall meter
 * and RAPL see different idle levels. */
static void switch_source(struct model *m, const struct host_source *src)
{
	if (m->have_src && m->src.measured && src->measured) {
		struct learn *fresh = learn_new(m->conf.window);

		if (fresh) {
			learn_free(m->learn);
			m->learn = fresh;
		}
	}
	m->src = *src;
	m->have_src = true;
	m->dirty = true;
	m->e_host = 0;
	memset(m->e_unattr, 0, sizeof(m->e_unattr));
	if (src->measured)
		log_msg(LOG_LVL_INFO, "model: the host's energy comes from "
			"meter %s (%s), zones %s", src->meter, src->source,
			src->zone);
	else
		log_msg(LOG_LVL_INFO, "model: no power meter measures this "
			"host: its power is estimated from CPU utilisation "
			"(source=\"estimate\")");
}

void model_source_feed(struct model *m, const struct snap_set *power,
		       double now)
{
	struct host_source src;

	if (!choose(m, power, &src)) {
		bool waiting = now - m->started < MODEL_START_GRACE_S;

		/* Without a meter (yet), only the estimate may stand in, and
		 * only when no meter was named. */
		if (waiting || !m->conf.estimate || m->conf.host_meter->n)
			return;
		snprintf(src.source, sizeof(src.source), "estimate");
		if (!m->have_src || m->src.measured)
			switch_source(m, &src);
		return;
	}
	if (!m->have_src || strcmp(m->src.meter, src.meter) ||
	    strcmp(m->src.zone, src.zone))
		switch_source(m, &src);
	for (size_t z = 0; z < m->src.nzones; z++) {
		const char *zone = m->src.zones[z];
		double t = sample_time(power, zone);
		const struct snap_sample *s;

		FOR_SAMPLES(power, FAM_ENERGY, s)
			if (meter_of(model_label(power, s, L_METER), zone) &&
			    strcmp(model_label(power, s, L_ZONE),
				   strchr(zone, '/') + 1) == 0)
				series_push(&m->src.energy[z], t, s->value);
	}
}

bool model_source_covers(const struct model *m, double t)
{
	if (!m->have_src)
		return false;
	/* A reading at or after t, so that the value at t is interpolated,
	 * never extrapolated. */
	if (m->busy.n && series_last_t(&m->busy) < t)
		return false;
	if (!m->src.measured)
		return m->busy.n > 0;
	for (size_t z = 0; z < m->src.nzones; z++)
		if (series_last_t(&m->src.energy[z]) < t)
			return false;
	return true;
}

double model_host_energy(struct model *m, double t0, double t1, double *util)
{
	double g = m->conf.max_gap, e = 0;
	double busy = series_since(&m->busy, t0, t1, g, MODEL_SLACK_S);
	double all = series_since(&m->total, t0, t1, g, MODEL_SLACK_S);

	*util = all > 0 && isfinite(busy) ? busy / all : NAN;
	/* busy and all come from different counters: a saturated host can
	 * read a rounding step above 1. */
	if (*util > 1)
		*util = 1;
	if (!m->have_src)
		return NAN;
	if (!m->src.measured) {
		if (!isfinite(*util))
			return NAN;
		return attrib_estimate_watts(m->conf.est_min_w * m->host_cpus,
					     m->conf.est_max_w * m->host_cpus,
					     *util) * (t1 - t0);
	}
	for (size_t z = 0; z < m->src.nzones; z++) {
		double d = series_since(&m->src.energy[z], t0, t1, g,
					MODEL_SLACK_S);

		if (!isfinite(d))
			return NAN;
		e += d;
	}
	return e;
}
