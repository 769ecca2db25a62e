/* The energy model (collector "model"): each time the cgroup collector (or,
 * without it, libvirt) publishes a cycle, the host's energy over exactly
 * that cycle's interval is split over the VMs and containers that used it,
 * with idle power kept apart and each VM's virtualization overhead priced
 * in joules. It reads only the other collectors' published sets; see
 * docs/attribution.md for the equations. */
#include "collectors/model/learn.h"
#include "collectors/model/model.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How often the learned idle power is saved, in seconds. */
#define MODEL_SAVE_EVERY_S 600.0
#define MODEL_STATE_FILE "idle-power.state"

static const struct snap_family fam_src_info = {
    .name = "virtmeter_host_power_source_info",
    .help = "Always 1: the meter and zones whose sum is the host's power, "
	    "or source=\"estimate\" when no meter measures the host.",
    .type = SNAP_GAUGE,
    .labels = {"meter", "source", "zone", NULL},
};
static const struct snap_family fam_host_w = {
    .name = "virtmeter_host_power_watts",
    .help = "The host's mean power over the model's last interval.",
    .type = SNAP_GAUGE,
    .unit = "watts",
    .labels = {"source", NULL},
};
static const struct snap_family fam_host_j = {
    .name = "virtmeter_host_energy_joules",
    .help = "The host's energy over the intervals the model attributed.",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"source", NULL},
};
static const struct snap_family fam_idle_w = {
    .name = "virtmeter_host_idle_power_watts",
    .help = "The host's idle power in use: configured, learned from its "
	    "history, or the estimate's.",
    .type = SNAP_GAUGE,
    .unit = "watts",
    .labels = {"method", NULL},
};
static const struct snap_family fam_idle_n = {
    .name = "virtmeter_host_idle_power_samples",
    .help = "Intervals in the learning window behind the learned idle "
	    "power.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};
static const struct snap_family fam_vm_j = {
    .name = "virtmeter_vm_energy_joules",
    .help = "Host energy attributed to the VM, by component: dynamic "
	    "(guest work), idle (its share of idle power) and overhead "
	    "(virtualization itself).",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"vm", "component", "source", NULL},
};
static const struct snap_family fam_ct_j = {
    .name = "virtmeter_container_energy_joules",
    .help = "Host energy attributed to the container, by component: "
	    "dynamic and idle (overhead is always 0).",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"container", "id", "runtime", "pod", "namespace", "component",
	       "source", NULL},
};
static const struct snap_family fam_vm_w = {
    .name = "virtmeter_vm_power_watts",
    .help = "Mean power attributed to the VM over the model's last "
	    "interval, by component.",
    .type = SNAP_GAUGE,
    .unit = "watts",
    .labels = {"vm", "component", "source", NULL},
};
static const struct snap_family fam_ct_w = {
    .name = "virtmeter_container_power_watts",
    .help = "Mean power attributed to the container over the model's last "
	    "interval, by component.",
    .type = SNAP_GAUGE,
    .unit = "watts",
    .labels = {"container", "id", "runtime", "pod", "namespace", "component",
	       "source", NULL},
};
static const struct snap_family fam_unattr = {
    .name = "virtmeter_host_unattributed_energy_joules",
    .help = "Host energy charged to no VM or container: the dynamic energy "
	    "of the host's own processes and kernel, and the idle energy "
	    "the idle policy leaves with the host.",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"component", "source", NULL},
};
static const struct snap_family fam_error = {
    .name = "virtmeter_attribution_error_ratio",
    .help = "|sum of all parts - measured energy| / measured energy, for "
	    "the model's last interval.",
    .type = SNAP_GAUGE,
    .unit = "ratio",
    .labels = {NULL},
};
static const struct snap_family fam_intervals = {
    .name = "virtmeter_model_intervals",
    .help = "Intervals the model closed, by outcome: attributed, gap (the "
	    "energy was not covered by readings max_gap apart or closer, so "
	    "it was charged to no one) or first (a start, nothing to split).",
    .type = SNAP_COUNTER,
    .labels = {"outcome", NULL},
};
static const struct snap_family fam_until = {
    .name = "virtmeter_model_attributed_until_timestamp_seconds",
    .help = "Unix time up to which the model has attributed the host's "
	    "energy (the end of its last closed interval): its energy "
	    "counters stand for the host up to this moment, and time() "
	    "minus it is how far they lag.",
    .type = SNAP_GAUGE,
    .unit = "seconds",
    .labels = {NULL},
};
static const struct snap_family fam_retired = {
    .name = "virtmeter_model_retired_workloads",
    .help = "Workloads that ended and whose final counters are still "
	    "exported (for retire_after).",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};
static const struct snap_family fam_split = {
    .name = "virtmeter_model_dynamic_split_info",
    .help = "Always 1: what the last interval's dynamic energy was split "
	    "by (cpu or cycles).",
    .type = SNAP_GAUGE,
    .labels = {"by", NULL},
};
static const struct snap_family fam_vm_idle_s = {
    .name = "virtmeter_vm_idle_seconds",
    .help = "Time the VM used less than idle_threshold of its vCPUs.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", NULL},
};
static const struct snap_family fam_ct_idle_s = {
    .name = "virtmeter_container_idle_seconds",
    .help = "Time the container used less than idle_threshold of its CPU "
	    "quota (a container without a quota is never counted idle).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"container", "id", "runtime", "pod", "namespace", NULL},
};
static const struct snap_family fam_vm_idle_j = {
    .name = "virtmeter_vm_idle_energy_joules",
    .help = "Idle energy charged to the VM while it was idle: the power it "
	    "keeps the host from saving.",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"vm", "source", NULL},
};
static const struct snap_family fam_ct_idle_j = {
    .name = "virtmeter_container_idle_energy_joules",
    .help = "Idle energy charged to the container while it was idle.",
    .type = SNAP_COUNTER,
    .unit = "joules",
    .labels = {"container", "id", "runtime", "pod", "namespace", "source",
	       NULL},
};

static const struct snap_family *const model_families[] = {
    &fam_src_info,  &fam_host_w,    &fam_host_j,    &fam_idle_w,    &fam_idle_n,
    &fam_vm_j,	    &fam_ct_j,	    &fam_vm_w,	    &fam_ct_w,	    &fam_unattr,
    &fam_error,	    &fam_intervals, &fam_until,	    &fam_retired,   &fam_split,
    &fam_vm_idle_s, &fam_ct_idle_s, &fam_vm_idle_j, &fam_ct_idle_j, NULL,
};

static const char *const comp_names[NCOMP] = {
    [COMP_DYNAMIC] = F_DYN, [COMP_IDLE] = F_IDLE, [COMP_OVERHEAD] = F_OVH};
static const char *const outcome_names[NOUTCOMES] = {
    [OUT_ATTRIBUTED] = "attributed", [OUT_GAP] = "gap", [OUT_FIRST] = "first"};
static const char *const method_names[] = {
    [IDLE_CONFIGURED] = "configured", [IDLE_LEARNED] = "learned",
    [IDLE_ESTIMATE] = "estimate"};
/* The collectors the model reads, by enum model_input. */
static const char *const input_names[NINPUTS] = {
    [IN_HOST] = "host", [IN_POWER] = "power", [IN_CGROUP] = "cgroup",
    [IN_LIBVIRT] = "libvirt", [IN_PERF] = "perf"};

/* Loads the learned idle power from the storage directory; a missing file
 * is a first start, anything else is logged once and ignored. */
static void load_state(struct model *m)
{
	char err[256] = "";
	int rc = learn_load(m->learn, m->state_path, err, sizeof(err));

	if (rc && rc != -ENOENT && *err)
		log_msg(LOG_LVL_WARN, "model: ignoring the learned idle power "
			"(%s): learning starts over", err);
	else if (rc && rc != -ENOENT)
		log_msg(LOG_LVL_WARN, "model: ignoring the learned idle power "
			"in %s (%s): learning starts over", m->state_path,
			strerror(-rc));
}

/* Saves the learned idle power (making the storage directory if need
 * be); a failure is logged once until a save succeeds. */
static void save_state(struct model *m, const char *dir)
{
	static struct log_once save_log;
	int rc;

	mkdir(dir, 0755);
	rc = learn_save(m->learn, m->state_path);
	if (rc)
		log_fail_once(&save_log, "model: cannot save the learned idle "
			      "power to %s: %s (set --storage.path to a "
			      "writable directory)", m->state_path,
			      strerror(-rc));
	else
		log_recover(&save_log, "model: saved the learned idle power "
			    "to %s", m->state_path);
}

/* The storage directory of a model, kept for saving. */
struct model_state {
	struct model m;
	char *dir;
};

static int model_init(const struct collector_env *env, void **state)
{
	const struct model_settings *s = env->settings;
	struct model_state *st = calloc(1, sizeof(*st));
	const char *dir = env->storage ? env->storage : "/var/lib/virtmeter";
	int rc;

	if (!st)
		return -ENOMEM;
	rc = model_conf_from(s, &st->m.conf);
	if (rc) {
		free(st);
		return rc;
	}
	st->dir = strdup(dir);
	st->m.learn = learn_new(st->m.conf.window);
	if (st->dir && asprintf(&st->m.state_path, "%s/%s", dir,
				MODEL_STATE_FILE) < 0)
		st->m.state_path = NULL;
	if (!st->dir || !st->m.learn || !st->m.state_path) {
		free(st->dir);
		learn_free(st->m.learn);
		free(st->m.state_path);
		free(st);
		return -ENOMEM;
	}
	for (int k = 0; k < NINPUTS; k++) {
		int idx = collector_find(input_names[k]);

		st->m.slot[k] = idx >= 0 ? (size_t)idx + 1 : 0;
	}
	st->m.started = clock_real_s();
	st->m.dirty = true;
	st->m.learn_saved_at = st->m.started;
	load_state(&st->m);
	*state = st;
	return 0;
}

/* Closes the oldest waiting interval: reads the workloads' CPU times at
 * its end and attributes it (a first interval only records them). */
static void close_oldest(struct model *m, double now)
{
	struct model_pending p = m->queue[0];

	m->t1 = p.t;
	model_read_cpu(m, p.gen->sets[p.slot], now);
	if (m->t0 > 0) {
		model_attribute(m);
	} else {
		model_attribute_first(m);
		m->outcomes[OUT_FIRST]++;
	}
	m->t0 = m->t1;
	snap_gen_unref(p.gen);
	m->nqueue--;
	memmove(m->queue, m->queue + 1, m->nqueue * sizeof(m->queue[0]));
	m->dirty = true;
}

/* The slot of the driver set in gen: the cgroup collector's, else
 * libvirt's; 0 if neither published. */
static size_t driver_slot(const struct snap_gen *gen, const size_t *slots)
{
	if (slots[IN_CGROUP] && gen->sets[slots[IN_CGROUP]])
		return slots[IN_CGROUP];
	if (slots[IN_LIBVIRT] && gen->sets[slots[IN_LIBVIRT]])
		return slots[IN_LIBVIRT];
	return 0;
}

/* Whether every input the interval ending at t needs has read past t:
 * the meter and the host (model_source_covers), libvirt while VMs are
 * known (their overhead, and the CPU time of VMs without a cgroup view),
 * and perf while dynamic energy may go by cycles. */
static bool inputs_cover(const struct model *m, double t)
{
	if (!model_source_covers(m, t))
		return false;
	if (m->vms && m->seen[IN_LIBVIRT] > 0 && m->seen[IN_LIBVIRT] < t)
		return false;
	if (m->conf.by != DYN_CPU && m->cycles.n && m->seen[IN_PERF] > 0 &&
	    m->seen[IN_PERF] < t)
		return false;
	return true;
}

/* Advances the model with the current generation. */
static void advance(struct model *m, struct snap_gen *gen, double now)
{
	struct model_inputs in = {{NULL}};
	size_t drv;

	for (int k = 0; k < NINPUTS; k++)
		in.set[k] = m->slot[k] ? gen->sets[m->slot[k]] : NULL;
	model_source_feed(m, in.set[IN_POWER], now);
	model_feed(m, &in);
	drv = driver_slot(gen, m->slot);
	if (drv && gen->sets[drv]->time > m->queued_t) {
		if (m->nqueue == MODEL_MAX_PENDING)
			close_oldest(m, now); /* covered or not */
		m->queue[m->nqueue++] = (struct model_pending){
			snap_gen_ref(gen), drv, gen->sets[drv]->time};
		m->queued_t = gen->sets[drv]->time;
	}
	/* In order, each as soon as every input has read past its end, or
	 * once max_gap has passed (its energy is then a gap). */
	while (m->nqueue && (m->t0 == 0 || inputs_cover(m, m->queue[0].t) ||
			     now - m->queue[0].t > m->conf.max_gap))
		close_oldest(m, now);
	acct_expire(m, now);
}

/* Fills lbl[0..WL_CT_NLABELS) with the identity labels of container
 * account a, as the cgroup collector's series of it carry them. */
static void ct_labels(const struct acct *a, const char **lbl)
{
	lbl[WL_CT_CONTAINER] = a->name ? a->name : "";
	lbl[WL_CT_ID] = a->key;
	lbl[WL_CT_RUNTIME] = a->runtime ? a->runtime : "";
	lbl[WL_CT_POD] = a->pod ? a->pod : "";
	lbl[WL_CT_NAMESPACE] = a->ns ? a->ns : "";
}

/* Adds one sample per component of account a to fam (energy or power). */
static void emit_parts(struct snap_set *out, const struct acct *a,
		       const struct snap_family *vm, const struct snap_family *ct,
		       const double *v)
{
	const char *lbl[SNAP_MAX_LABELS];

	if (a->kind != WL_VM)
		ct_labels(a, lbl);
	for (int c = 0; c < NCOMP; c++) {
		if (a->kind == WL_VM) {
			snap_add(out, vm, v[c], a->key, comp_names[c], a->source);
			continue;
		}
		lbl[WL_CT_NLABELS] = comp_names[c];
		lbl[WL_CT_NLABELS + 1] = a->source;
		snap_add_array(out, ct, v[c], lbl, WL_CT_NLABELS + 2);
	}
}

static void emit_acct(struct snap_set *out, const struct acct *a)
{
	const char *lbl[SNAP_MAX_LABELS];

	if (!a->source)
		return;
	emit_parts(out, a, &fam_vm_j, &fam_ct_j, a->e);
	if (a->kind == WL_VM) {
		snap_add(out, &fam_vm_idle_s, clock_ns_to_s(a->idle_ns),
			 a->key);
		snap_add(out, &fam_vm_idle_j, a->idle_e, a->key, a->source);
	} else {
		ct_labels(a, lbl);
		snap_add_array(out, &fam_ct_idle_s, clock_ns_to_s(a->idle_ns),
			       lbl, WL_CT_NLABELS);
		lbl[WL_CT_NLABELS] = a->source;
		snap_add_array(out, &fam_ct_idle_j, a->idle_e, lbl,
			       WL_CT_NLABELS + 1);
	}
	if (a->gone_at == 0)
		emit_parts(out, a, &fam_vm_w, &fam_ct_w, a->p);
}

static void emit(const struct model *m, struct snap_set *out)
{
	const char *src = m->src.source;

	for (int k = 0; k < NOUTCOMES; k++)
		snap_add(out, &fam_intervals, (double)m->outcomes[k],
			 outcome_names[k]);
	snap_add0(out, &fam_retired, (double)m->retired);
	if (m->t0 > 0)
		snap_add0(out, &fam_until, m->t0);
	if (!m->have_src)
		return;
	snap_add(out, &fam_src_info, 1, m->src.meter, src, m->src.zone);
	snap_add(out, &fam_host_w, m->p_host, src);
	snap_add(out, &fam_host_j, m->e_host, src);
	if (m->outcomes[OUT_ATTRIBUTED]) {
		snap_add(out, &fam_idle_w, m->idle_w,
			 method_names[m->idle_method]);
		snap_add(out, &fam_split, 1, m->by_cycles ? "cycles" : "cpu");
		snap_add0(out, &fam_error, m->error_ratio);
	}
	snap_add0(out, &fam_idle_n, (double)m->idle_samples);
	snap_add(out, &fam_unattr, m->e_unattr[0], F_DYN, src);
	snap_add(out, &fam_unattr, m->e_unattr[1], F_IDLE, src);
	for (size_t i = 0; i < m->accts.nslots; i++)
		for (const struct acct *a = m->accts.slots[i]; a; a = a->next)
			emit_acct(out, a);
}

static int model_collect(void *state, struct snap_set *out)
{
	struct model_state *st = state;
	struct model *m = &st->m;
	struct snap_gen *gen = snap_current();
	double now = clock_real_s();

	advance(m, gen, now);
	snap_gen_unref(gen);
	if (now - m->learn_saved_at >= MODEL_SAVE_EVERY_S) {
		m->learn_saved_at = now;
		if (m->src.measured)
			save_state(m, st->dir);
	}
	/* Between intervals nothing it emits changes: the set published
	 * last stays, and building it again would be most of the cost of
	 * the cycles in between. */
	if (!m->dirty)
		return COLLECT_UNCHANGED;
	emit(m, out);
	if (out->err == 0)
		m->dirty = false;
	return out->err;
}

static void model_fini(void *state)
{
	struct model_state *st = state;
	struct model *m = &st->m;
	size_t n = 0;

	learn_idle(m->learn, &n);
	if (n)
		save_state(m, st->dir);
	for (size_t i = 0; i < m->nqueue; i++)
		snap_gen_unref(m->queue[i].gen);
	acct_free_all(&m->accts);
	learn_free(m->learn);
	free(m->state_path);
	free(m->list);
	free(m->order);
	free(m->w);
	free(m->out);
	free(m->dyn);
	free(st->dir);
	free(st);
}

const struct collector model_collector = {
    .name = "model",
    .help = "energy per VM and container: the host's measured (or "
	    "estimated) energy split by CPU time or cycles, idle power kept "
	    "apart, virtualization overhead priced in joules",
    .default_enabled = true,
    .interval_ms = 1000,
    .timeout_ms = 5000,
    .families = model_families,
    .options = model_options,
    .settings_size = sizeof(struct model_settings),
    .check_settings = model_check_settings,
    .init = model_init,
    .collect = model_collect,
    .fini = model_fini,
};
