/* Microbenchmark of the energy model (collectors/model/) at scale: what
 * one model cycle costs per workload, with no other collector running.
 *
 *   tests/bench/model_bench [-n WORKLOADS] [-r ROUNDS]
 *
 * It publishes hand-made sets into the slots of the host, power, cgroup
 * and libvirt collectors, as those collectors publish them at default
 * intervals: WORKLOADS VMs and WORKLOADS containers (default 1,000 each),
 * every family of the cgroup and libvirt collectors filled for each (the
 * model reads a handful of them; the others make the sets as long as the
 * real ones), counters growing, set times 5 s apart. Each round is five
 * one-second model cycles: one after the host, power, cgroup and libvirt
 * sets of a new 5 s cycle were published (the model attributes an
 * interval), then four with only a new power set (power reads every
 * second; nothing else is new). The model runs directly: its init with
 * the default settings and a temporary storage directory, then its
 * collect into a set sized like the last one, which is published into the
 * model's slot as the scheduler does (untimed).
 *
 * CPU time is read with CLOCK_THREAD_CPUTIME_ID around each collect. It
 * prints, per workload, the median and mean of the attributing and the
 * idle cycles, the mean per one-second cycle at default intervals
 * ((attributing + 4 idle) / 5), and the cost of the model's emission
 * alone (the samples of its last cycle added again to a fresh set, which
 * is what its emit does every cycle), each against the goal of 2 us per
 * workload per cycle. See tests/bench/README-model.md. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"

extern const struct collector model_collector;

#define GOAL_US 2.0
#define DT 5.0	      /* seconds between two cycles of the 5 s collectors */
#define IDLE_CYCLES 4 /* one-second model cycles with nothing new from them */
#define WARMUP 2      /* rounds left out: a first interval, then a warm-up */
#define NVCPUS 2
#define HOST_CPUS 128.0
#define HOST_W 400.0 /* the meter's power */

/* One VM or container: its labels and its CPU use. */
struct wl {
	char name[32];
	char id[72];   /* containers: 64 hex digits */
	char uuid[40]; /* VMs */
	double rate;   /* CPU seconds per second */
};

struct bench {
	size_t n;
	struct wl *vms, *cts;
	double t_start;
	size_t hint_samples, hint_strings;
	void *state;
	size_t in_samples[2]; /* cgroup and libvirt sets' samples */
};

static void die(const char *what)
{
	fprintf(stderr, "model_bench: %s\n", what);
	exit(1);
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reproducible pseudo-random number (splitmix64). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Names as deployments make them: Nova's instance-%08x with a UUID, and
 * docker's 64-hex ids with a name. CPU use from 0.5 % to 3.5 % of a CPU. */
static void make_workloads(struct bench *b)
{
	b->vms = calloc(b->n, sizeof(*b->vms));
	b->cts = calloc(b->n, sizeof(*b->cts));
	if (!b->vms || !b->cts)
		die("out of memory");
	for (size_t i = 0; i < b->n; i++) {
		struct wl *v = &b->vms[i], *c = &b->cts[i];
		uint64_t h = mix(i);
		int len = 0;

		snprintf(v->name, sizeof(v->name), "instance-%08zx", i + 1);
		snprintf(v->uuid, sizeof(v->uuid),
			 "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(h >> 32),
			 (unsigned)(h >> 16) & 0xffff, (unsigned)h & 0xfff,
			 (unsigned)(h >> 4) & 0xfff,
			 (unsigned long long)(mix(h) & 0xffffffffffffULL));
		snprintf(c->name, sizeof(c->name), "web-%zu", i);
		for (int k = 0; k < 4; k++)
			len += snprintf(
			    c->id + len, sizeof(c->id) - (size_t)len, "%016llx",
			    (unsigned long long)mix(h + (uint64_t)k));
		v->rate = 0.005 + 0.005 * (double)(i % 7);
		c->rate = 0.005 + 0.005 * (double)((i + 3) % 7);
	}
}

/* The value of family fam for workload w at time t; extra is the value of
 * the label after the workload's own (mode, vcpu), or NULL. */
static double value_of(const struct bench *b, const char *fam,
		       const struct wl *w, const char *extra, double t)
{
	double cpu = 1000.0 + w->rate * (t - b->t_start);

	if (!strcmp(fam, "virtmeter_container_cpu_seconds") ||
	    !strcmp(fam, "virtmeter_vm_cgroup_cpu_seconds"))
		return extra && !strcmp(extra, "system") ? cpu * 0.25
							 : cpu * 0.75;
	if (!strcmp(fam, "virtmeter_vm_cpu_seconds"))
		return cpu;
	if (!strcmp(fam, "virtmeter_vm_vcpu_seconds"))
		return cpu * 0.8 / NVCPUS;
	if (!strcmp(fam, "virtmeter_vm_vcpus"))
		return NVCPUS;
	if (!strcmp(fam, "virtmeter_vm_memory_max_bytes"))
		return 2.0 * (1 << 30);
	if (!strcmp(fam, "virtmeter_container_memory_limit_bytes"))
		return 1.0 * (1 << 30);
	if (!strcmp(fam, "virtmeter_container_cpu_quota_cpus"))
		return 2;
	return 1e6 + (t - b->t_start);
}

/* The values of the label that follows the workload's own ones, one run
 * of samples per value: mode (user, system), vcpu (each vCPU), the VM's
 * uuid, a device, or a made-up value. Returns how many. */
static size_t extra_values(const char *label, const struct wl *w,
			   const char **out)
{
	static const char *const modes[] = {"user", "system"};
	static const char *const vcpus[NVCPUS] = {"0", "1"};

	if (!strcmp(label, "mode")) {
		memcpy(out, modes, sizeof(modes));
		return ARRAY_SIZE(modes);
	}
	if (!strcmp(label, "vcpu")) {
		memcpy(out, vcpus, sizeof(vcpus));
		return NVCPUS;
	}
	if (!strcmp(label, "uuid"))
		out[0] = w->uuid;
	else
		out[0] = !strcmp(label, "device") ? "vda" : "x";
	return 1;
}

/* Whether family f's labels start with the nbase labels of base. */
static bool starts_with(const struct snap_family *f, const char *const *base,
			size_t nbase)
{
	for (size_t k = 0; k < nbase; k++)
		if (!f->labels[k] || strcmp(f->labels[k], base[k]))
			return false;
	return true;
}

/* Adds w's samples of every family of collector cname whose labels start
 * with base (nbase of them: container, id, runtime, pod, namespace; or
 * vm): what that
 * collector publishes for one workload, in its order. */
static void add_workload(const struct bench *b, struct snap_set *set,
			 const char *cname, const char *const *base,
			 size_t nbase, const struct wl *w, double t)
{
	int idx = collector_find(cname);

	if (idx < 0)
		die("a collector the model reads is not built in");
	for (const struct snap_family *const *f =
		 collector_table[idx]->families;
	     *f; f++) {
		const char *vals[SNAP_MAX_LABELS], *extra[NVCPUS] = {NULL};
		size_t nl = 0, nx = 1;

		if (!starts_with(*f, base, nbase))
			continue;
		while ((*f)->labels[nl])
			nl++;
		vals[0] = w->name;
		if (nbase == WL_CT_NLABELS) {
			vals[WL_CT_ID] = w->id;
			vals[WL_CT_RUNTIME] = "containerd";
			vals[WL_CT_POD] = w->name;
			vals[WL_CT_NAMESPACE] = "shop";
		}
		for (size_t j = nbase + 1; j < nl; j++)
			vals[j] =
			    !strcmp((*f)->labels[j], "uuid") ? w->uuid : "x";
		if (nl > nbase)
			nx = extra_values((*f)->labels[nbase], w, extra);
		for (size_t j = 0; j < nx; j++) {
			if (nl > nbase)
				vals[nbase] = extra[j];
			snap_add_array(set, *f,
				       value_of(b, (*f)->name, w, extra[j], t),
				       vals, nl);
		}
	}
}

/* The family called name that some collector of the registry declares. */
static const struct snap_family *fam(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		for (const struct snap_family *const *f =
			 collector_table[i]->families;
		     f && *f; f++)
			if (!strcmp((*f)->name, name))
				return *f;
	die("a family the model reads is declared by no collector");
	return NULL;
}

static struct snap_set *new_set(double t)
{
	struct snap_set *s = snap_set_new();

	if (!s)
		die("out of memory");
	s->time = t;
	return s;
}

/* The host: busy CPU seconds as the workloads' sum plus the host's own. */
static struct snap_set *host_set(const struct bench *b, double t)
{
	const struct snap_family *cpu = fam("virtmeter_host_cpu_seconds");
	struct snap_set *s = new_set(t);
	double busy = 4.0, el = t - b->t_start;

	for (size_t i = 0; i < b->n; i++)
		busy += b->vms[i].rate + b->cts[i].rate;
	snap_add(s, cpu, 1e6 + busy * el * 0.8, "user");
	snap_add(s, cpu, 1e5 + busy * el * 0.2, "system");
	snap_add(s, cpu, 1e7 + (HOST_CPUS - busy) * el, "idle");
	snap_add(s, cpu, 1000, "iowait");
	snap_add(s, cpu, 1000, "steal");
	snap_add0(s, fam("virtmeter_host_cpus"), HOST_CPUS);
	snap_add0(s, fam("virtmeter_host_memory_total_bytes"),
		  1024.0 * (1 << 30));
	return s;
}

/* A RAPL meter: psys, and package-0 beside it, read at time t. */
static struct snap_set *power_set(const struct bench *b, double t)
{
	const struct snap_family *e = fam("virtmeter_energy_joules");
	struct snap_set *s = new_set(t);
	double j = 1e6 + HOST_W * (t - b->t_start);

	snap_add(s, e, j, "rapl", "rapl", "psys", "psys", "");
	snap_add(s, e, j * 0.7, "rapl", "rapl", "package-0", "package", "psys");
	snap_add(s, fam("virtmeter_meter_last_sample_timestamp_seconds"), t,
		 "rapl", "rapl");
	return s;
}

static struct snap_set *cgroup_set(struct bench *b, double t)
{
	static const char *const ct_base[WL_CT_NLABELS] = {
	    "container", "id", "runtime", "pod", "namespace"};
	static const char *const vm_base[] = {"vm"};
	struct snap_set *s = new_set(t);

	for (size_t i = 0; i < b->n; i++)
		add_workload(b, s, "cgroup", ct_base, WL_CT_NLABELS,
			     &b->cts[i], t);
	for (size_t i = 0; i < b->n; i++)
		add_workload(b, s, "cgroup", vm_base, 1, &b->vms[i], t);
	b->in_samples[0] = s->nsamples;
	return s;
}

static struct snap_set *libvirt_set(struct bench *b, double t)
{
	static const char *const vm_base[] = {"vm"};
	struct snap_set *s = new_set(t);

	for (size_t i = 0; i < b->n; i++)
		add_workload(b, s, "libvirt", vm_base, 1, &b->vms[i], t);
	b->in_samples[1] = s->nsamples;
	return s;
}

/* Publishes the sets (each reference handed over) as one generation. */
static void publish(const char *const *names, struct snap_set **sets, size_t n)
{
	struct snap_update u[4];

	for (size_t i = 0; i < n; i++) {
		int idx = collector_find(names[i]);

		if (idx < 0 || sets[i]->err)
			die("cannot build the input sets");
		u[i] = (struct snap_update){.slot = (size_t)idx + 1,
					    .set = sets[i]};
	}
	if (snap_publish(u, n))
		die("snap_publish failed");
	for (size_t i = 0; i < n; i++)
		snap_set_unref(sets[i]);
}

/* What the 5 s collectors publish at t (with the power collector's set);
 * all false: the power collector's set alone. */
static void publish_inputs(struct bench *b, double t, bool all)
{
	static const char *const names[] = {"host", "power", "cgroup",
					    "libvirt"};
	struct snap_set *sets[4];

	if (!all) {
		sets[0] = power_set(b, t);
		publish(names + 1, sets, 1);
		return;
	}
	sets[0] = host_set(b, t);
	sets[1] = power_set(b, t);
	sets[2] = cgroup_set(b, t);
	sets[3] = libvirt_set(b, t);
	publish(names, sets, 4);
}

/* One model cycle, as the scheduler runs it: collect into a set sized like
 * the last one, then publish it into the model's slot (untimed). Returns
 * the CPU seconds of the collect; *last holds the set published (the
 * caller's reference). */
static double model_cycle(struct bench *b, double t, struct snap_set **last)
{
	struct snap_set *out =
	    snap_set_new_sized(b->hint_samples, b->hint_strings);
	struct snap_update u = {.slot = (size_t)collector_find("model") + 1};
	double c0, c1;
	int rc;

	if (!out)
		die("out of memory");
	c0 = thread_cpu_s();
	rc = model_collector.collect(b->state, out);
	c1 = thread_cpu_s();
	if (rc == COLLECT_UNCHANGED) {
		/* As the scheduler does: the published set stays. */
		snap_set_unref(out);
		return c1 - c0;
	}
	if (rc || out->err)
		die("the model's collect failed");
	out->time = t;
	b->hint_samples = out->nsamples;
	b->hint_strings = out->nstrings;
	u.set = out;
	if (snap_publish(&u, 1))
		die("snap_publish failed");
	snap_set_unref(*last);
	*last = out;
	return c1 - c0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median and the mean of the n values of v (sorted in place). */
static void summarize(double *v, size_t n, double *med, double *mean)
{
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*mean = sum / (double)n;
}

/* Label k (0-based) of sample s of set. */
static const char *label_of(const struct snap_set *set,
			    const struct snap_sample *s, unsigned k)
{
	const char *p = snap_sample_labels(set, s);

	while (k--)
		p += strlen(p) + 1;
	return p;
}

/* The samples of family name in set whose label k is want (any when want
 * is NULL): how many, and the sum of their values in *sum. */
static size_t count(const struct snap_set *set, const char *name, unsigned k,
		    const char *want, double *sum)
{
	size_t n = 0;

	*sum = 0;
	for (size_t f = 0; f < set->nfams; f++) {
		if (strcmp(set->fams[f].desc->name, name))
			continue;
		for (uint32_t i = set->fams[f].first; i != UINT32_MAX;
		     i = set->samples[i].next) {
			const struct snap_sample *s = &set->samples[i];

			if (want && strcmp(label_of(set, s, k), want))
				continue;
			n++;
			*sum += s->value;
		}
	}
	return n;
}

/* Checks that the model attributed every interval after the first and
 * charged every workload, so that the figures are those of the real
 * path. Prints what it found; exits 1 if the model did not attribute. */
static void check(const struct bench *b, const struct snap_set *last,
		  int rounds)
{
	double attributed, gaps, sum, err;
	size_t nvm = count(last, "virtmeter_vm_energy_joules", 0, NULL, &sum);
	size_t nct =
	    count(last, "virtmeter_container_energy_joules", 0, NULL, &sum);

	count(last, "virtmeter_model_intervals", 0, "attributed", &attributed);
	count(last, "virtmeter_model_intervals", 0, "gap", &gaps);
	count(last, "virtmeter_attribution_error_ratio", 0, NULL, &err);
	printf("checks: %.0f intervals attributed, %.0f gaps; %zu VM and %zu "
	       "container energy samples; attribution error %.2g\n",
	       attributed, gaps, nvm, nct, err);
	if (attributed < rounds - 1 || nvm < 3 * b->n || nct < 3 * b->n)
		die("the model did not attribute every interval to every "
		    "workload: the figures would not be those of its real "
		    "path");
}

/* One sample of the model's output, to add again. */
struct emitted {
	const struct snap_family *desc;
	double value;
	size_t nl;
	const char *labels[SNAP_MAX_LABELS];
};

/* The CPU seconds of adding the samples of set again to a fresh set sized
 * like it: the snap_add calls of the model's emit, without its loops over
 * the accounts (a few ns each). Median of reps. */
static double emit_alone(const struct snap_set *set, int reps)
{
	struct emitted *e = calloc(set->nsamples, sizeof(*e));
	double *t = calloc((size_t)reps, sizeof(*t)), med, mean;

	if (!e || !t)
		die("out of memory");
	for (size_t i = 0; i < set->nsamples; i++) {
		const struct snap_sample *s = &set->samples[i];

		e[i].desc = set->fams[s->fam].desc;
		e[i].value = s->value;
		e[i].nl = set->fams[s->fam].nlabels;
		for (unsigned k = 0; k < e[i].nl; k++)
			e[i].labels[k] = label_of(set, s, k);
	}
	for (int r = 0; r < reps; r++) {
		struct snap_set *out =
		    snap_set_new_sized(set->nsamples, set->nstrings);
		double c0;

		if (!out)
			die("out of memory");
		c0 = thread_cpu_s();
		for (size_t i = 0; i < set->nsamples; i++)
			snap_add_array(out, e[i].desc, e[i].value, e[i].labels,
				       e[i].nl);
		t[r] = thread_cpu_s() - c0;
		if (out->err)
			die("adding the model's samples again failed");
		snap_set_unref(out);
	}
	free(e);
	summarize(t, (size_t)reps, &med, &mean);
	free(t);
	return med;
}

/* Parses a count from 1 to max for option opt. */
static int parse_count(const char *s, int max, char opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "model_bench: -%c wants 1..%d\n", opt, max);
		exit(2);
	}
	return (int)v;
}

/* Prints one row: seconds per cycle (median, mean) as ms, and per
 * workload as us against the goal. */
static void row(const char *what, double med, double mean, size_t nwl)
{
	double us = med * 1e6 / (double)nwl, us_mean = mean * 1e6 / (double)nwl;

	printf("%-40s %8.3f %8.3f %8.3f %8.3f %6.1f %8.2f\n", what, med * 1e3,
	       mean * 1e3, us, us_mean, GOAL_US, us / GOAL_US);
}

/* The model started as the daemon starts it: default settings, state in
 * a temporary directory (dir, which the caller removes). */
static void start_model(struct bench *b, char *dir, void **settings)
{
	struct collector_env env = {.procfs = "/proc",
				    .sysfs = "/sys",
				    .cgroupfs = "/sys/fs/cgroup",
				    .storage = dir};

	*settings = calloc(1, model_collector.settings_size);
	if (!*settings || settings_defaults(&model_collector, *settings))
		die("out of memory");
	env.settings = *settings;
	if (model_collector.init(&env, &b->state))
		die("the model's init failed");
}

/* Runs the rounds; fills attr (one per round) and idle (IDLE_CYCLES per
 * round) with each collect's CPU seconds. */
static void run(struct bench *b, int rounds, double *attr, double *idle,
		struct snap_set **last)
{
	for (int r = 0; r < rounds; r++) {
		double t = b->t_start + DT * r;

		publish_inputs(b, t, true);
		attr[r] = model_cycle(b, t, last);
		for (int k = 1; k <= IDLE_CYCLES; k++) {
			publish_inputs(b, t + k, false);
			idle[r * IDLE_CYCLES + k - 1] =
			    model_cycle(b, t + k, last);
		}
	}
}

/* Prints the figures of the rounds after the warm-up. */
static void report(const struct bench *b, double *attr, double *idle, int n,
		   double emit)
{
	size_t nwl = 2 * b->n;
	double am, aa, im, ia;

	summarize(attr, (size_t)n, &am, &aa);
	summarize(idle, (size_t)n * IDLE_CYCLES, &im, &ia);
	printf("\n%-40s %8s %8s %8s %8s %6s %8s\n", "CPU of one model cycle",
	       "ms med", "ms mean", "us/wl", "us/wl mn", "goal", "med/goal");
	row("attributing (1 cycle in 5)", am, aa, nwl);
	row("idle: nothing new but power (4 in 5)", im, ia, nwl);
	row("mean per 1 s cycle, default intervals",
	    (am + IDLE_CYCLES * im) / (IDLE_CYCLES + 1),
	    (aa + IDLE_CYCLES * ia) / (IDLE_CYCLES + 1), nwl);
	row("of which emit alone (every cycle)", emit, emit, nwl);
	printf(
	    "\nemit is %.0f %% of an idle cycle and %.0f %% of an attributing "
	    "one\n",
	    100 * emit / im, 100 * emit / am);
	printf("goal (under %.0f us per workload per cycle): attributing %s, "
	       "idle %s, mean at default intervals %s\n",
	       GOAL_US, am * 1e6 / (double)nwl < GOAL_US ? "holds" : "MISSED",
	       im * 1e6 / (double)nwl < GOAL_US ? "holds" : "MISSED",
	       (am + IDLE_CYCLES * im) / (IDLE_CYCLES + 1) * 1e6 / (double)nwl <
		       GOAL_US
		   ? "holds"
		   : "MISSED");
}

int main(int argc, char **argv)
{
	struct bench b = {.n = 1000};
	int rounds = WARMUP + 50, opt;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200];
	struct snap_set *last = NULL;
	double *attr, *idle, emit;
	void *settings;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			b.n = (size_t)parse_count(optarg, 100000, 'n');
		else if (opt == 'r')
			rounds = WARMUP + parse_count(optarg, 100000, 'r');
		else {
			fprintf(stderr,
				"usage: %s [-n WORKLOADS] [-r ROUNDS]\n",
				argv[0]);
			return 2;
		}
	}
	/* Its lines in order with the model's log lines on stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "%s/model_bench.XXXXXX", tmp ? tmp : "/tmp");
	attr = calloc((size_t)rounds, sizeof(*attr));
	idle = calloc((size_t)rounds * IDLE_CYCLES, sizeof(*idle));
	if (!attr || !idle || snap_init() || !mkdtemp(dir))
		die("cannot start: out of memory or no temporary directory");
	make_workloads(&b);
	start_model(&b, dir, &settings);
	/* Set times in the future: no wall-clock deadline of the model
	 * (max_gap past an interval's end) passes during the run. */
	b.t_start = clock_real_s() + 100000;
	run(&b, rounds, attr, idle, &last);
	printf("== energy model benchmark: %zu VMs + %zu containers, %d rounds "
	       "of 1 attributing + %d idle cycles (%d more left out)\n",
	       b.n, b.n, rounds - WARMUP, IDLE_CYCLES, WARMUP);
	printf("inputs every 5 s: cgroup set %zu samples, libvirt set %zu; "
	       "the model emits %zu samples every cycle\n",
	       b.in_samples[0], b.in_samples[1], last->nsamples);
	check(&b, last, rounds);
	emit = emit_alone(last, 51);
	report(&b, attr + WARMUP, idle + WARMUP * IDLE_CYCLES, rounds - WARMUP,
	       emit);

	model_collector.fini(b.state);
	settings_free(&model_collector, settings);
	free(settings);
	snap_set_unref(last);
	snap_shutdown();
	snprintf(path, sizeof(path), "%s/idle-power.state", dir);
	unlink(path);
	rmdir(dir);
	free(attr);
	free(idle);
	free(b.vms);
	free(b.cts);
	return 0;
}
