/* The power collector: starts one thread per power meter (meter_run.c),
 * each reading its meter on its own interval, and publishes the latest
 * state of every meter each cycle. collect() only copies that state under
 * each meter's lock, so a meter whose read hangs never delays another
 * meter, another collector or a scrape: it shows as virtmeter_meter_up 0
 * once its read runs past its timeout. */
#include "build-config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter/api/collector.h"
#include "exporter/api/base.h"
#include "collectors/power/config.h"
#include "collectors/power/meter_run.h"
#include "exporter/api/log.h"

/* How long fini waits for all meter threads together before leaving the
 * stuck ones behind. */
#define STOP_GRACE_MS 1000

/* Every family names its meter and the meter's type; the zone figures
 * name their zone too. Power and energy also say what kind of zone it is
 * and which zone of the meter already counts it ("" for none), so that a
 * sum over part_of="" counts every joule once (metrics.md). */
static const struct snap_family fam_up = {
	.name = "virtmeter_meter_up",
	.help = "1 if the power meter's last read succeeded and no read is "
		"running past its timeout, else 0.",
	.type = SNAP_GAUGE,
	.labels = {"meter", "source", NULL},
};
static const struct snap_family fam_last = {
	.name = "virtmeter_meter_last_sample_timestamp_seconds",
	.help = "Unix time of the power meter's last successful read (0 if "
		"none yet).",
	.type = SNAP_GAUGE,
	.unit = "seconds",
	.labels = {"meter", "source", NULL},
};
static const struct snap_family fam_watts = {
	.name = "virtmeter_power_watts",
	.help = "Power of the meter zone at the last read: reported by the "
		"meter, or its energy counter's increase over the last interval.",
	.type = SNAP_GAUGE,
	.unit = "watts",
	.labels = {"meter", "source", "zone", "kind", "part_of", NULL},
};
static const struct snap_family fam_energy = {
	.name = "virtmeter_energy_joules",
	.help = "Energy of the meter zone since virtmeter started: the meter's "
		"own counter (wraparound handled), or its watts integrated over "
		"time; gaps longer than the meter's max_gap are not bridged.",
	.type = SNAP_COUNTER,
	.unit = "joules",
	.labels = {"meter", "source", "zone", "kind", "part_of", NULL},
};
static const struct snap_family fam_volts = {
	.name = "virtmeter_meter_voltage_volts",
	.help = "Voltage the power meter reports for the zone, at its last "
		"read.",
	.type = SNAP_GAUGE,
	.unit = "volts",
	.labels = {"meter", "source", "zone", NULL},
};
static const struct snap_family fam_amperes = {
	.name = "virtmeter_meter_current_amperes",
	.help = "Current the power meter reports for the zone, at its last "
		"read.",
	.type = SNAP_GAUGE,
	.unit = "amperes",
	.labels = {"meter", "source", "zone", NULL},
};

static const struct snap_family fam_skipped = {
	.name = "virtmeter_meter_skipped_frames",
	.help = "Malformed or broken frames that a serial power meter "
		"(powerspy) skipped since virtmeter started.",
	.type = SNAP_COUNTER,
	.labels = {"meter", "source", NULL},
};

static const struct snap_family *const power_families[] = {
	&fam_up, &fam_last, &fam_watts, &fam_energy, &fam_volts, &fam_amperes,
	&fam_skipped, NULL,
};

/* The running meters: room for every meter of the list (or for the ones
 * discovery may find). */
struct power {
	size_t n;
	struct meter_run *m[];
};

/* The energy totals of the meters of the last run, handed from fini to the
 * next init (a reload), so that counters continue instead of resetting. */
struct carry {
	char meter[METER_NAME_MAX];
	const char *source;
	char zone[VIRTMETER_ZONE_MAX];
	double joules;
};

static pthread_mutex_t carry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct carry *carried;
static size_t ncarried;

/* Starts one meter. A meter whose thread cannot start is logged and
 * skipped: the others still run. */
static void add_meter(struct power *p, const struct collector_env *env,
		      const char *name, const struct meter_ops *ops,
		      const struct meter_config *cm)
{
	struct meter_run *m;
	int rc;

	rc = meter_run_start(name, ops, cm, env->sysfs, &m);
	if (rc) {
		log_error("power: cannot start meter %s: %s", name, strerror(-rc));
		return;
	}
	p->m[p->n++] = m;
	pthread_mutex_lock(&carry_lock);
	for (size_t i = 0; i < ncarried; i++)
		if (strcmp(carried[i].meter, name) == 0 && carried[i].source == ops->source)
			meter_run_seed(m, carried[i].zone, carried[i].joules);
	pthread_mutex_unlock(&carry_lock);
}

/* Keeps the energy totals of p's meters for the next init. */
static void carry_save(struct power *p, struct meter_view *v)
{
	size_t n = 0;

	pthread_mutex_lock(&carry_lock);
	free(carried);
	ncarried = 0;
	carried = calloc(p->n * METER_MAX_ZONES + 1, sizeof(*carried));
	for (size_t i = 0; carried && i < p->n; i++) {
		meter_run_view(p->m[i], clock_mono_s(), v);
		for (size_t k = 0; k < v->nzones; k++) {
			if (!v->zones[k].acc.have_prev && v->zones[k].acc.total == 0)
				continue;
			memcpy(carried[n].meter, v->name, sizeof(carried[n].meter));
			carried[n].source = v->source;
			memcpy(carried[n].zone, v->zones[k].name, sizeof(carried[n].zone));
			carried[n++].joules = v->zones[k].acc.total;
		}
	}
	ncarried = n;
	pthread_mutex_unlock(&carry_lock);
}

/* Forgets the totals once the meters of a new run took theirs. */
static void carry_drop(void)
{
	pthread_mutex_lock(&carry_lock);
	free(carried);
	carried = NULL;
	ncarried = 0;
	pthread_mutex_unlock(&carry_lock);
}

/* Without a meters: list, RAPL and hwmon are found in sysfs. */
static void discover(struct power *p, const struct collector_env *env)
{
	const char *sysfs = env->sysfs ? env->sysfs : "/sys";

	if (meter_rapl_present(sysfs))
		add_meter(p, env, "rapl", &meter_rapl_ops, NULL);
	if (meter_hwmon_present(sysfs))
		add_meter(p, env, "hwmon", &meter_hwmon_ops, NULL);
	if (p->n == 0)
		log_info("power: no meter configured and none found (no RAPL zone "
			 "under %s/class/powercap, no hwmon power or energy "
			 "sensor under %s/class/hwmon): no power metrics",
			 sysfs, sysfs);
}

static int power_init(const struct collector_env *env, void **state)
{
	const struct power_settings *cm = env->settings;
	bool listed = cm && cm->present;
	/* Discovery finds at most a rapl and a hwmon meter. */
	size_t room = listed ? cm->n : 2;
	struct power *p;

	p = calloc(1, sizeof(*p) + room * sizeof(p->m[0]));
	if (!p)
		return -ENOMEM;
	if (listed) {
		for (size_t i = 0; i < cm->n; i++)
			add_meter(p, env, cm->m[i].name,
				  cm->m[i].kind ? cm->m[i].kind->ops : NULL, &cm->m[i]);
		if (cm->n == 0)
			log_info("power: the meters list is empty: no power metrics");
	} else {
		discover(p, env);
	}
	carry_drop();
	*state = p;
	return 0;
}

/* Adds the samples of one meter's state. */
static void emit(struct snap_set *out, const struct meter_view *v)
{
	const char *src = v->source;

	snap_add(out, &fam_up, v->up ? 1 : 0, v->name, src);
	snap_add(out, &fam_last, v->last_sample, v->name, src);
	if (v->has_skipped)
		snap_add(out, &fam_skipped, (double)v->skipped, v->name, src);
	for (size_t i = 0; i < v->nzones; i++) {
		const struct meter_zone *z = &v->zones[i];

		if (z->acc.have_prev)
			snap_add(out, &fam_energy, z->acc.total, v->name, src,
				 z->name, z->kind, z->part_of);
		if (!v->up || !z->fresh)
			continue;
		if (z->last.have & VIRTMETER_HAVE_WATTS)
			snap_add(out, &fam_watts, z->last.watts, v->name,
				 src, z->name, z->kind, z->part_of);
		else if (z->acc.have_watts)
			snap_add(out, &fam_watts, z->acc.last_watts, v->name,
				 src, z->name, z->kind, z->part_of);
		if (z->last.have & VIRTMETER_HAVE_VOLTS)
			snap_add(out, &fam_volts, z->last.volts, v->name, src,
				 z->name);
		if (z->last.have & VIRTMETER_HAVE_AMPERES)
			snap_add(out, &fam_amperes, z->last.amperes, v->name,
				 src, z->name);
	}
}

static int power_collect(void *state, struct snap_set *out)
{
	struct power *p = state;
	struct meter_view *v;

	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		meter_run_view(p->m[i], clock_mono_s(), v);
		emit(out, v);
	}
	free(v);
	return 0;
}

static void power_fini(void *state)
{
	struct power *p = state;
	struct timespec deadline;
	struct meter_view *v;

	if (!p)
		return;
	v = malloc(sizeof(*v));
	if (v)
		carry_save(p, v);
	free(v);
	deadline = clock_deadline(CLOCK_REALTIME, STOP_GRACE_MS);
	for (size_t i = 0; i < p->n; i++)
		meter_run_signal_stop(p->m[i]);
	for (size_t i = 0; i < p->n; i++)
		meter_run_stop(p->m[i], &deadline);
	free(p);
}

#ifdef HAVE_LIBYAML
/* The meters: section of the configuration file. */
static int power_parse_section(struct parse_ctx *c, const char *path,
			       const struct yaml_event_s *value, void *settings)
{
	return power_parse_meters(c, path, value, settings);
}
#endif

/* Frees the meters list of the settings. */
static void power_free_section(void *settings)
{
	power_settings_free(settings);
}

/* Whether each meter answers, for the landing page. */
static const struct snap_family *const power_health[] = {&fam_up, NULL};

const struct collector power_collector = {
	.name = "power",
	.help = "power meters (RAPL, hwmon, Redfish, HTTP plugs and PDUs, "
		"PowerSpy, exec commands, plugins), each read by a thread of "
		"its own on its own interval",
	.default_enabled = true,
	.interval_ms = 1000,
	.timeout_ms = 5000,
	.families = power_families,
	.health = power_health,
	.settings_size = sizeof(struct power_settings),
#ifdef HAVE_LIBYAML
	.section = "meters",
	.parse_section = power_parse_section,
#endif
	.free_section = power_free_section,
	.init = power_init,
	.collect = power_collect,
	.fini = power_fini,
};
