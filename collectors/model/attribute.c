/* One interval's attribution: the host's energy over exactly the interval
 * the workloads' CPU times cover, split into idle and dynamic parts, each
 * shared out by its policy, a VM's dynamic part split again into guest
 * work and virtualization overhead, and the sum checked against the
 * measured energy. The equations are in docs/attribution.md. */
#include "collectors/model/learn.h"
#include "collectors/model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The largest attribution error that is not logged. */
#define MODEL_MAX_ERROR 0.005

void model_pick_idle(struct model *m)
{
	double learned;

	if (isfinite(m->conf.idle_w)) {
		learn_idle(m->learn, &m->idle_samples);
		m->idle_w = m->conf.idle_w;
		m->idle_method = IDLE_CONFIGURED;
		return;
	}
	learned = learn_idle(m->learn, &m->idle_samples);
	if (!m->src.measured)
		learned = NAN;
	if (isfinite(learned)) {
		m->idle_w = learned;
		m->idle_method = IDLE_LEARNED;
		return;
	}
	m->idle_w = m->conf.est_min_w * m->host_cpus;
	m->idle_method = IDLE_ESTIMATE;
}

/* The increase of series s over [t0, t1], or NaN. */
static double delta(const struct model *m, const struct series *s, double t0,
		    double t1)
{
	return series_since(s, t0, t1, m->conf.max_gap, MODEL_SLACK_S);
}

/* Keeps every counter's value at the interval's end, where the next
 * interval starts. */
static void mark_all(struct model *m)
{
	double g = m->conf.max_gap, t = m->t1;

	series_mark(&m->busy, t, g, MODEL_SLACK_S);
	series_mark(&m->total, t, g, MODEL_SLACK_S);
	series_mark(&m->cycles, t, g, MODEL_SLACK_S);
	for (size_t z = 0; z < m->src.nzones; z++)
		series_mark(&m->src.energy[z], t, g, MODEL_SLACK_S);
	for (size_t i = 0; i < m->accts.nslots; i++)
		for (struct acct *a = m->accts.slots[i]; a; a = a->next) {
			series_mark(&a->lv_cpu, t, g, MODEL_SLACK_S);
			series_mark(&a->lv_vcpu, t, g, MODEL_SLACK_S);
			series_mark(&a->cycles, t, g, MODEL_SLACK_S);
			series_mark(&a->cyc_host, t, g, MODEL_SLACK_S);
		}
}

/* Makes room for n accounts in the scratch arrays. Returns 0 or -1. */
static int reserve(struct model *m, size_t n)
{
	struct acct **l;
	double *w, *o, *d;

	if (n <= m->cap)
		return 0;
	n += n / 2 + 16;
	l = realloc(m->list, n * sizeof(*l));
	if (l)
		m->list = l;
	w = realloc(m->w, n * sizeof(*w));
	if (w)
		m->w = w;
	o = realloc(m->out, n * sizeof(*o));
	if (o)
		m->out = o;
	d = realloc(m->dyn, n * sizeof(*d));
	if (d)
		m->dyn = d;
	if (!l || !w || !o || !d)
		return -1;
	m->cap = n;
	return 0;
}

/* Lists the accounts present over the whole interval, with their CPU
 * seconds in cpu_d, and moves each one's reading to the interval's end.
 * Returns how many, or -1 without memory. */
static long gather(struct model *m)
{
	size_t n = 0;

	if (reserve(m, m->accts.n))
		return -1;
	for (size_t i = 0; i < m->accts.nslots; i++)
		for (struct acct *a = m->accts.slots[i]; a; a = a->next) {
			double d = NAN;

			if (isfinite(a->cpu_cur)) {
				if (a->have_prev && a->cpu_cur >= a->cpu_prev)
					d = a->cpu_cur - a->cpu_prev;
				a->cpu_prev = a->cpu_cur;
				a->have_prev = true;
			} else {
				a->have_prev = false;
				if (a->kind == WL_VM && a->gone_at == 0)
					d = delta(m, &a->lv_cpu, m->t0, m->t1);
			}
			memset(a->p, 0, sizeof(a->p));
			a->cpu_d = d;
			if (isfinite(d))
				m->list[n++] = a;
		}
	return (long)n;
}

/* Whether the interval's dynamic energy goes by cycles: asked for (or
 * auto) and counted for the host and every listed workload. Fills the
 * weights and *whole by cycles if so. */
static bool weigh_cycles(struct model *m, size_t n, double *whole)
{
	if (m->conf.by == DYN_CPU || n == 0)
		return false;
	*whole = delta(m, &m->cycles, m->t0, m->t1);
	if (!isfinite(*whole))
		return false;
	for (size_t i = 0; i < n; i++) {
		m->w[i] = delta(m, &m->list[i]->cycles, m->t0, m->t1);
		if (!isfinite(m->w[i]))
			return false;
	}
	return true;
}

/* Sets the account's counters to the source's label, starting them over
 * when the source changed (a counter never mixes sources). */
static void use_source(struct acct *a, const char *source)
{
	char *copy;

	if (a->source && strcmp(a->source, source) == 0)
		return;
	copy = strdup(source);
	if (!copy)
		return;
	free(a->source);
	a->source = copy;
	/* idle_ns has no source label: it goes on. */
	memset(a->e, 0, sizeof(a->e));
	a->idle_e = 0;
}

/* The overhead share of VM a over the interval: host-mode cycles of all
 * cycles where dynamic energy goes by cycles and the PMU splits them,
 * else the CPU time outside its vCPUs. */
static double overhead_share(struct model *m, struct acct *a)
{
	if (m->by_cycles && a->cyc_host.n) {
		double host = delta(m, &a->cyc_host, m->t0, m->t1);
		double all = delta(m, &a->cycles, m->t0, m->t1);

		if (isfinite(host) && isfinite(all) && all > 0)
			return attrib_overhead_share(all - host, all);
	}
	return attrib_overhead_share(delta(m, &a->lv_vcpu, m->t0, m->t1),
				     delta(m, &a->lv_cpu, m->t0, m->t1));
}

/* Splits idle energy e over the n listed accounts by the policy. Returns
 * what stays with the host. */
static double share_idle(struct model *m, size_t n, double e)
{
	double whole = 0;

	if (m->conf.policy == IDLE_NONE || n == 0) {
		for (size_t i = 0; i < n; i++)
			m->out[i] = 0;
		return e;
	}
	for (size_t i = 0; i < n; i++) {
		struct acct *a = m->list[i];

		m->w[i] = m->conf.policy == IDLE_EQUAL ? 1 :
			  attrib_reserved_weight(a->vcpus, a->mem, m->host_cpus,
						 m->host_mem);
		whole += m->w[i];
	}
	if (m->conf.policy == IDLE_RESERVED && whole < 1)
		whole = 1;
	return attrib_split(e, m->w, m->out, n, whole);
}

/* Charges the parts of the listed accounts (dynamic parts in dyn, idle
 * parts in m->out). Returns the sum charged. */
static double charge(struct model *m, size_t n, const double *dyn, double dt)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		struct acct *a = m->list[i];
		double ovh = a->kind == WL_VM ? dyn[i] * overhead_share(m, a) : 0;
		double part[NCOMP] = {
			[COMP_DYNAMIC] = dyn[i] - ovh,
			[COMP_IDLE] = m->out[i],
			[COMP_OVERHEAD] = ovh,
		};

		use_source(a, m->src.source);
		for (int c = 0; c < NCOMP; c++) {
			a->e[c] += part[c];
			a->p[c] = part[c] / dt;
			sum += part[c];
		}
		if (attrib_nearly_idle(a->cpu_d, dt, a->vcpus,
				       m->conf.threshold)) {
			/* Whole nanoseconds, summed as integers, so that
			 * the total does not gather the noise of a sum of
			 * doubles (dt comes from two Unix times). */
			a->idle_ns += (uint64_t)llround(dt * 1e9);
			a->idle_e += part[COMP_IDLE];
		}
	}
	return sum;
}

void model_attribute_first(struct model *m)
{
	gather(m);
	mark_all(m);
}

/* The length of the idle-power learner's points (learn_fold): several
 * spacings of the sparsest readings the interval's utilisation and energy
 * are interpolated from. */
static double point_s(const struct model *m)
{
	double spacing = series_spacing(&m->busy);

	for (size_t z = 0; z < m->src.nzones; z++)
		spacing = fmax(spacing, series_spacing(&m->src.energy[z]));
	return fmin(fmax(LEARN_POINT_S, LEARN_POINT_READINGS * spacing),
		    LEARN_POINT_MAX_S);
}

/* Attributes the interval; model_attribute marks its end afterwards. */
static void attribute(struct model *m)
{
	double dt = m->t1 - m->t0, util, e, e_idle, e_dyn, whole, rest[2], sum;
	long n = gather(m);

	e = model_host_energy(m, m->t0, m->t1, &util);
	if (n < 0 || !isfinite(e) || !(dt > 0)) {
		m->outcomes[OUT_GAP]++;
		m->p_host = 0;
		return;
	}
	if (m->src.measured && isfinite(util))
		learn_fold(m->learn, m->t1, dt, util, e / dt, point_s(m));
	model_pick_idle(m);
	attrib_host_split(e, m->idle_w, dt, &e_idle, &e_dyn);

	m->by_cycles = weigh_cycles(m, (size_t)n, &whole);
	if (!m->by_cycles) {
		whole = delta(m, &m->busy, m->t0, m->t1);
		for (long i = 0; i < n; i++)
			m->w[i] = m->list[i]->cpu_d;
	}
	/* The dynamic parts have their own array: share_idle reuses w and
	 * out. */
	rest[0] = attrib_split(e_dyn, m->w, m->dyn, (size_t)n, whole);
	rest[1] = share_idle(m, (size_t)n, e_idle);
	sum = charge(m, (size_t)n, m->dyn, dt) + rest[0] + rest[1];

	m->e_host += e;
	m->p_host = e / dt;
	for (int k = 0; k < 2; k++)
		m->e_unattr[k] += rest[k];
	m->error_ratio = attrib_error_ratio(sum, e);
	if (m->error_ratio > MODEL_MAX_ERROR)
		log_fail_once(&m->error_log, "model: the parts of an interval "
			      "sum to %.3f J but the host used %.3f J (error "
			      "%.4f); the figures are kept but do not add up",
			      sum, e, m->error_ratio);
	else
		log_recover(&m->error_log, "model: the parts sum to the host's "
			    "energy again");
	m->outcomes[OUT_ATTRIBUTED]++;
}

void model_attribute(struct model *m)
{
	attribute(m);
	mark_all(m);
}
