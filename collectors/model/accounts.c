/* The model's accounts (one per VM and container) and what feeds them:
 * the host's CPU counters, libvirt's VM times and the perf collector's
 * cycles, each read at the moment its set describes, and the cgroup
 * collector's CPU times at each interval's end. */
#include "collectors/model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a of the key, with the kind mixed in. */
static size_t acct_hash(enum wl_kind kind, const char *key)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)kind;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)h;
}

/* The account of kind and key whose hash is h, or NULL. */
static struct acct *find_hashed(const struct acct_table *t, enum wl_kind kind,
				const char *key, size_t h)
{
	struct acct *a;

	if (!t->nslots)
		return NULL;
	a = t->slots[h & (t->nslots - 1)];
	for (; a; a = a->next)
		if (a->hash == h && a->kind == kind && strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

struct acct *acct_find(const struct acct_table *t, enum wl_kind kind,
		       const char *key)
{
	return find_hashed(t, kind, key, acct_hash(kind, key));
}

/* Doubles the slots (or makes the first 64). Returns 0 or -ENOMEM. */
static int acct_grow(struct acct_table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	struct acct **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < t->nslots; i++) {
		struct acct *a = t->slots[i], *next;

		for (; a; a = next) {
			size_t h = a->hash & (n - 1);

			next = a->next;
			a->next = slots[h];
			slots[h] = a;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

struct acct *acct_get(struct acct_table *t, enum wl_kind kind, const char *key)
{
	size_t h = acct_hash(kind, key);
	struct acct *a = find_hashed(t, kind, key, h);

	if (a)
		return a;
	if (t->n >= t->nslots && acct_grow(t))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->key = strdup(key))) {
		free(a);
		return NULL;
	}
	a->kind = kind;
	a->hash = h;
	a->cpu_cur = NAN;
	a->next = t->slots[h & (t->nslots - 1)];
	t->slots[h & (t->nslots - 1)] = a;
	t->n++;
	return a;
}

struct acct *acct_get_near(struct acct_table *t, struct acct *hint,
			   enum wl_kind kind, const char *key)
{
	if (hint && hint->kind == kind && strcmp(hint->key, key) == 0)
		return hint;
	return acct_get(t, kind, key);
}

static void acct_free(struct acct *a)
{
	free(a->key);
	free(a->name);
	free(a->runtime);
	free(a->pod);
	free(a->ns);
	free(a->source);
	free(a);
}

void acct_expire(struct model *m, double now)
{
	struct acct_table *t = &m->accts;
	size_t before = m->retired;

	m->retired = 0;
	for (size_t i = 0; i < t->nslots; i++) {
		struct acct **pp = &t->slots[i];

		while (*pp) {
			struct acct *a = *pp;

			if (a->gone_at > 0 &&
			    now - a->gone_at >= m->conf.retire_after) {
				*pp = a->next;
				m->dirty |= a->source != NULL;
				acct_free(a);
				t->n--;
				continue;
			}
			if (a->gone_at > 0 && a->source)
				m->retired++;
			pp = &a->next;
		}
	}
	m->dirty |= m->retired != before;
}

void acct_free_all(struct acct_table *t)
{
	for (size_t i = 0; i < t->nslots; i++) {
		struct acct *a = t->slots[i], *next;

		for (; a; a = next) {
			next = a->next;
			acct_free(a);
		}
	}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

const struct snap_fam_entry *model_family(const struct snap_set *set,
					  const char *name)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->nfams; i++)
		if (strcmp(set->fams[i].desc->name, name) == 0)
			return &set->fams[i];
	return NULL;
}

const char *model_label(const struct snap_set *set,
			const struct snap_sample *s, unsigned k)
{
	const char *p = snap_sample_labels(set, s);

	while (k--)
		p += strlen(p) + 1;
	return p;
}

/* The host's CPU counters and size. */
static void feed_host(struct model *m, const struct snap_set *set)
{
	const struct snap_sample *s;
	double busy = 0, total = 0;
	bool any = false;

	FOR_SAMPLES(set, "virtmeter_host_cpu_seconds", s) {
		const char *mode = model_label(set, s, 0);

		any = true;
		if (strcmp(mode, "steal") == 0)
			continue;
		total += s->value;
		if (strcmp(mode, "idle") && strcmp(mode, "iowait"))
			busy += s->value;
	}
	if (any) {
		series_push(&m->busy, set->time, busy);
		series_push(&m->total, set->time, total);
	}
	FOR_SAMPLES(set, "virtmeter_host_cpus", s)
		m->host_cpus = s->value;
	FOR_SAMPLES(set, "virtmeter_host_memory_total_bytes", s)
		m->host_mem = s->value;
}

/* Adds v to the scratch sum of a (host: its host-mode sum), starting the
 * sum over when a belongs to an earlier set. */
static void add_sum(struct acct *a, uint64_t mark, double v, bool host)
{
	if (host) {
		if (a->mark_host != mark)
			a->sum_host = 0;
		a->mark_host = mark;
		a->sum_host += v;
		return;
	}
	if (a->mark != mark)
		a->sum = 0;
	a->mark = mark;
	a->sum += v;
}

/* Pushes the scratch sums of mark into series (via the offsets of the two
 * series in struct acct) at time t. */
static void push_sums(struct model *m, uint64_t mark, double t,
		      size_t off, size_t off_host)
{
	for (size_t i = 0; i < m->accts.nslots; i++)
		for (struct acct *a = m->accts.slots[i]; a; a = a->next) {
			if (a->mark == mark)
				series_push((struct series *)((char *)a + off),
					    t, a->sum);
			if (off_host && a->mark_host == mark)
				series_push(
					(struct series *)((char *)a + off_host),
					t, a->sum_host);
		}
}

/* The account of VM label k of sample s, trying first the one at *at of
 * the VMs in the order libvirt's set lists them (each family lists them
 * in the same order), then the one before it (a VM's vCPUs come in a
 * row), then the table. */
static struct acct *vm_in_order(struct model *m, const struct snap_set *set,
				const struct snap_sample *s, size_t *at)
{
	const char *vm = model_label(set, s, 0);
	struct acct *a;

	if (*at < m->norder && strcmp(m->order[*at]->key, vm) == 0)
		return m->order[(*at)++];
	if (*at > 0 && strcmp(m->order[*at - 1]->key, vm) == 0)
		return m->order[*at - 1];
	a = acct_find(&m->accts, WL_VM, vm);
	return a;
}

/* libvirt: each VM's whole CPU time, its vCPUs' time and its size. */
static void feed_libvirt(struct model *m, const struct snap_set *set)
{
	const struct snap_fam_entry *fe =
		model_family(set, "virtmeter_vm_cpu_seconds");
	const struct snap_sample *s;
	uint64_t mark = ++m->marks;
	struct acct *a;
	size_t at;

	m->vms = 0;
	if (fe && fe->count > m->order_cap) {
		struct acct **o = realloc(m->order, fe->count * sizeof(*o));

		if (o) {
			m->order = o;
			m->order_cap = fe->count;
		}
	}
	m->norder = 0;
	FOR_SAMPLES(set, "virtmeter_vm_cpu_seconds", s) {
		a = acct_get(&m->accts, WL_VM, model_label(set, s, 0));
		if (!a)
			continue;
		series_push(&a->lv_cpu, set->time, s->value);
		a->lv_seen = set->time;
		m->vms++;
		if (m->norder < m->order_cap)
			m->order[m->norder++] = a;
	}
	at = 0;
	FOR_SAMPLES(set, "virtmeter_vm_vcpu_seconds", s) {
		a = vm_in_order(m, set, s, &at);
		if (a)
			add_sum(a, mark, s->value, false);
	}
	push_sums(m, mark, set->time, offsetof(struct acct, lv_vcpu), 0);
	at = 0;
	FOR_SAMPLES(set, "virtmeter_vm_vcpus", s) {
		a = vm_in_order(m, set, s, &at);
		if (a)
			a->vcpus = s->value;
	}
	at = 0;
	FOR_SAMPLES(set, "virtmeter_vm_memory_max_bytes", s) {
		a = vm_in_order(m, set, s, &at);
		if (a)
			a->mem = s->value;
	}
}

/* perf: cycles of the host, of each VM (and its host-mode part) and of
 * each container. The perf collector may count a workload before the
 * cgroup collector's cycle lists it: its account is made here then. */
static void feed_perf(struct model *m, const struct snap_set *set)
{
	const struct snap_sample *s;
	uint64_t mark = ++m->marks;
	struct acct *a;

	FOR_SAMPLES(set, "virtmeter_host_perf_events", s)
		if (strcmp(model_label(set, s, 0), "cycles") == 0)
			series_push(&m->cycles, set->time, s->value);
	FOR_SAMPLES(set, "virtmeter_vm_perf_events", s) {
		if (strcmp(model_label(set, s, 1), "cycles"))
			continue;
		a = acct_get(&m->accts, WL_VM, model_label(set, s, 0));
		if (!a)
			continue;
		add_sum(a, mark, s->value, false);
		if (strcmp(model_label(set, s, 2), "host") == 0)
			add_sum(a, mark, s->value, true);
	}
	FOR_SAMPLES(set, "virtmeter_container_perf_events", s) {
		if (strcmp(model_label(set, s, WL_CT_NLABELS), "cycles"))
			continue;
		a = acct_get(&m->accts, WL_CONTAINER,
			     model_label(set, s, WL_CT_ID));
		if (a)
			add_sum(a, mark, s->value, false);
	}
	push_sums(m, mark, set->time, offsetof(struct acct, cycles),
		  offsetof(struct acct, cyc_host));
}

/* Whether set is newer than what input k last fed. */
static bool fresh(struct model *m, const struct snap_set *set, int k)
{
	if (!set || !(set->time > m->seen[k]))
		return false;
	m->seen[k] = set->time;
	return true;
}

void model_feed(struct model *m, const struct model_inputs *in)
{
	if (fresh(m, in->set[IN_HOST], IN_HOST))
		feed_host(m, in->set[IN_HOST]);
	if (fresh(m, in->set[IN_LIBVIRT], IN_LIBVIRT))
		feed_libvirt(m, in->set[IN_LIBVIRT]);
	if (fresh(m, in->set[IN_PERF], IN_PERF))
		feed_perf(m, in->set[IN_PERF]);
}

/* Replaces *field with a copy of v unless equal. */
static void set_str(char **field, const char *v)
{
	char *copy;

	if (*field && strcmp(*field, v) == 0)
		return;
	copy = strdup(v);
	if (!copy)
		return;
	free(*field);
	*field = copy;
}

void model_read_cpu(struct model *m, const struct snap_set *cg, double now)
{
	const struct snap_sample *s;
	uint64_t mark = ++m->marks;
	struct acct *a;

	a = NULL;
	FOR_SAMPLES(cg, "virtmeter_container_cpu_seconds", s) {
		a = acct_get_near(&m->accts, a, WL_CONTAINER,
				  model_label(cg, s, WL_CT_ID));
		if (!a)
			continue;
		if (a->mark != mark) {
			/* The labels its series carry, the cgroup
			 * collector's (unchanged strings are not copied). */
			set_str(&a->name, model_label(cg, s, WL_CT_CONTAINER));
			set_str(&a->runtime, model_label(cg, s, WL_CT_RUNTIME));
			set_str(&a->pod, model_label(cg, s, WL_CT_POD));
			set_str(&a->ns, model_label(cg, s, WL_CT_NAMESPACE));
			/* Until its limits are read below. */
			a->mem = 0;
			a->vcpus = 0;
		}
		add_sum(a, mark, s->value, false);
	}
	a = NULL;
	FOR_SAMPLES(cg, "virtmeter_vm_cgroup_cpu_seconds", s) {
		a = acct_get_near(&m->accts, a, WL_VM, model_label(cg, s, 0));
		if (a)
			add_sum(a, mark, s->value, false);
	}
	FOR_SAMPLES(cg, "virtmeter_container_memory_limit_bytes", s) {
		a = acct_find(&m->accts, WL_CONTAINER,
			      model_label(cg, s, WL_CT_ID));
		if (a)
			a->mem = s->value;
	}
	FOR_SAMPLES(cg, "virtmeter_container_cpu_quota_cpus", s) {
		a = acct_find(&m->accts, WL_CONTAINER,
			      model_label(cg, s, WL_CT_ID));
		if (a)
			a->vcpus = s->value;
	}
	for (size_t i = 0; i < m->accts.nslots; i++)
		for (a = m->accts.slots[i]; a; a = a->next) {
			bool in_lv = a->kind == WL_VM && m->seen[IN_LIBVIRT] > 0 &&
				     a->lv_seen == m->seen[IN_LIBVIRT];

			a->cpu_cur = a->mark == mark ? a->sum : NAN;
			if (a->mark == mark || in_lv)
				a->gone_at = 0;
			else if (a->gone_at == 0)
				a->gone_at = now;
		}
}
