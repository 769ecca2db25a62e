/* The host's source of energy: the meter chosen by configuration or, by
 * default, the best one the power collector publishes (a wall meter, PDU
 * or BMC; else RAPL psys; else RAPL packages and DRAM; else hwmon), each
 * zone's energy counter read at the meter's own sample time; or, without
 * any meter, the linear estimate from the host's CPU utilisation. */
#include "collectors/model/learn.h"
#include "collectors/model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Rank of a meter type: lower is a better measure of the whole host. */
static int rank_of(const char *source)
{
	if (strcmp(source, "hwmon") == 0)
		return 2;
	if (strcmp(source, "rapl") == 0)
		return 1;
	return 0;
}

/* Whether zone z of meter meter is named by the host-meter list. */
static bool configured(const struct setting_list *l, const char *meter,
		       const char *zone)
{
	size_t ml = strlen(meter);

	for (size_t i = 0; i < l->n; i++) {
		const char *it = l->v[i];

		if (strcmp(it, meter) == 0)
			return true;
		if (strncmp(it, meter, ml) == 0 && it[ml] == '/' &&
		    strcmp(it + ml + 1, zone) == 0)
			return true;
	}
	return false;
}

/* Whether a RAPL zone counts toward the host: psys alone when present,
 * else each package and each package's DRAM (core and uncore lie inside
 * the package). */
static bool rapl_zone(const char *zone, bool has_psys)
{
	const char *slash = strchr(zone, '/');

	if (has_psys)
		return strcmp(zone, "psys") == 0;
	if (strncmp(zone, "package-", 8))
		return false;
	return !slash || strcmp(slash, "/dram") == 0;
}

/* Whether the host-meter list names meter as a whole (not zone by zone). */
static bool named_whole(const struct model *m, const char *meter)
{
	for (size_t i = 0; i < m->conf.host_meter->n; i++)
		if (strcmp(m->conf.host_meter->v[i], meter) == 0)
			return true;
	return false;
}

/* Whether meter has a psys zone in the family fe of power. */
static bool psys_of(const struct snap_set *power, const char *meter)
{
	const struct snap_sample *s;

	FOR_SAMPLES(power, "virtmeter_energy_joules", s)
		if (strcmp(model_label(power, s, 0), meter) == 0 &&
		    strcmp(model_label(power, s, 2), "psys") == 0)
			return true;
	return false;
}

/* The chosen meter and zones in the power set, into src (not its series).
 * Returns whether any zone was chosen. */
static bool choose(const struct model *m, const struct snap_set *power,
		   struct host_source *src)
{
	const struct snap_fam_entry *fe =
		model_family(power, "virtmeter_energy_joules");
	const struct snap_sample *s;
	const char *best = NULL, *best_source = NULL;
	bool has_psys = false, cfg = m->conf.host_meter->n > 0;

	memset(src, 0, sizeof(*src));
	if (!fe)
		return false;
	for (uint32_t i = fe->first; i != UINT32_MAX; i = s->next) {
		const char *meter, *type;

		s = &power->samples[i];
		meter = model_label(power, s, 0);
		type = model_label(power, s, 1);
		if (cfg)
			continue;
		if (!best || rank_of(type) < rank_of(best_source) ||
		    (rank_of(type) == rank_of(best_source) &&
		     strcmp(meter, best) < 0)) {
			best = meter;
			best_source = type;
		}
	}
	has_psys = best && psys_of(power, best);
	for (uint32_t i = fe->first; i != UINT32_MAX; i = s->next) {
		const char *meter, *type, *zone;
		bool take;

		s = &power->samples[i];
		meter = model_label(power, s, 0);
		type = model_label(power, s, 1);
		zone = model_label(power, s, 2);
		if (cfg)
			take = configured(m->conf.host_meter, meter, zone) &&
			       (strcmp(type, "rapl") || !named_whole(m, meter) ||
				rapl_zone(zone, psys_of(power, meter)));
		else
			take = strcmp(meter, best) == 0 &&
			       (strcmp(type, "rapl") || rapl_zone(zone, has_psys));
		if (!take || src->nzones == MODEL_MAX_ZONES)
			continue;
		if (src->nzones == 0) {
			snprintf(src->source, sizeof(src->source), "%s", type);
			snprintf(src->meter, sizeof(src->meter), "%s", meter);
		} else if (strcmp(src->meter, meter)) {
			/* A sum over several meters: name them all. */
			size_t l = strlen(src->meter);

			if (!strstr(src->meter, meter))
				snprintf(src->meter + l, sizeof(src->meter) - l,
					 "+%s", meter);
		}
		snprintf(src->zones[src->nzones], sizeof(src->zones[0]),
			 "%s/%s", meter, zone);
		src->nzones++;
	}
	for (size_t z = 0; z < src->nzones; z++) {
		size_t l = strlen(src->zone);
		const char *zone = strchr(src->zones[z], '/') + 1;

		snprintf(src->zone + l, sizeof(src->zone) - l, "%s%s",
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
		if (meter_of(model_label(power, s, 0), zone))
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

		FOR_SAMPLES(power, "virtmeter_energy_joules", s)
			if (meter_of(model_label(power, s, 0), zone) &&
			    strcmp(model_label(power, s, 2),
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
