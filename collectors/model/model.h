/* The energy model's state, shared by its files: the settings, one
 * account per VM and container, the host's source of energy, and the
 * figures of the last interval. The model reads only what the other
 * collectors published (their snapshot sets and the times they describe);
 * it never opens a file of its own except its learned idle power. */
#ifndef VIRTMETER_MODEL_H
#define VIRTMETER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/model/attrib.h"
#include "exporter/api/collector.h"
#include "exporter/api/log.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"

/* How far past a counter's last reading the model extrapolates it, in
 * seconds: covers a reading taken a moment before the interval's end. */
#define MODEL_SLACK_S 0.25
/* The zones of the host's energy source summed at most. */
#define MODEL_MAX_ZONES 16
/* The driver's cycles that may wait for the meter at once. */
#define MODEL_MAX_PENDING 16
/* Seconds after start during which the model waits for the power
 * collector's first cycle before it falls back to the estimate. */
#define MODEL_START_GRACE_S 3.0

enum idle_policy { IDLE_NONE, IDLE_EQUAL, IDLE_RESERVED };
enum dyn_by { DYN_CPU, DYN_CYCLES, DYN_AUTO };
/* The components of a workload's energy, in label order. */
enum component { COMP_DYNAMIC, COMP_IDLE, COMP_OVERHEAD, NCOMP };
/* Outcomes of an interval (virtmeter_model_intervals_total). */
enum outcome { OUT_ATTRIBUTED, OUT_GAP, OUT_FIRST, NOUTCOMES };
/* Where the idle power comes from. */
enum idle_method { IDLE_CONFIGURED, IDLE_LEARNED, IDLE_ESTIMATE };

/* --collector.model.KEY, as the option table fills it. */
struct model_settings {
	struct setting_list host_meter;
	bool estimate;
	char *estimate_min_watts, *estimate_max_watts;
	char *idle_watts;
	char *idle_policy, *dynamic_by;
	unsigned long idle_threshold;
	char *max_gap, *retire_after, *learn_window;
};

/* The settings as numbers. */
struct model_conf {
	const struct setting_list *host_meter;
	bool estimate;
	double est_min_w, est_max_w; /* per host CPU */
	double idle_w;               /* NaN: not configured */
	enum idle_policy policy;
	enum dyn_by by;
	double threshold;            /* fraction of reserved vCPUs */
	double max_gap, retire_after, window; /* seconds */
};

/* One VM (key: its name) or container (key: its id). */
struct acct {
	enum wl_kind kind;
	char *key;
	size_t hash;            /* of kind and key */
	/* Containers: the identity labels of their series (workload.h's
	 * wl_ct_label) but id, which is the key; NULL for VMs. */
	char *name, *runtime, *pod, *ns;
	char *source;           /* source label its counters are under */
	double e[NCOMP];        /* joules since first charged */
	double p[NCOMP];        /* watts over the last interval */
	uint64_t idle_ns;       /* idle waste: time, in whole nanoseconds
				 * (seconds once, when emitted) */
	double idle_e;          /* and energy, joules */
	double cpu_prev;        /* CPU seconds at the last interval's end */
	bool have_prev;
	double cpu_cur;         /* this interval's end; NaN if unseen */
	struct series lv_cpu, lv_vcpu; /* libvirt: whole and vCPU time */
	struct series cycles;   /* perf: cycles, every mode */
	struct series cyc_host; /* perf: a VM's host-mode cycles */
	double lv_seen;         /* time of the last libvirt set it was in */
	double sum, sum_host;   /* scratch: sums over a set's samples */
	uint64_t mark, mark_host; /* scratch: which set sum belongs to */
	double vcpus, mem;      /* reserved CPUs and memory bytes */
	double gone_at;         /* Unix time it vanished; 0 while present */
	double cpu_d;           /* scratch: CPU seconds of this interval */
	struct acct *next;      /* hash chain */
};

/* The accounts, by kind and key. */
struct acct_table {
	struct acct **slots;
	size_t nslots, n;
};

/* The host's source of energy. */
struct host_source {
	char source[32];        /* label: the meter's type, or "estimate" */
	char meter[128];        /* "" for the estimate */
	char zone[256];         /* zones joined by '+' */
	char zones[MODEL_MAX_ZONES][96];
	size_t nzones;
	struct series energy[MODEL_MAX_ZONES]; /* by zone, joules */
	bool measured;
};

/* The indices of the published sets the model reads. */
enum model_input { IN_HOST, IN_POWER, IN_CGROUP, IN_LIBVIRT, IN_PERF, NINPUTS };

struct learn;

struct model {
	struct model_conf conf;
	char *state_path;       /* the learned idle power's file */
	struct learn *learn;
	double learn_saved_at;
	struct acct_table accts;
	struct host_source src;
	bool have_src;
	double started;         /* Unix time of init */
	/* The host's counters: CPU busy and all, cycles. */
	struct series busy, total, cycles;
	double host_cpus, host_mem;
	double seen[NINPUTS];   /* last set time fed, by enum model_input */
	size_t slot[NINPUTS];   /* each input's slot in a generation; 0: none */
	uint64_t marks;         /* scratch marks handed out */
	/* The interval being attributed, from t0 to t1. */
	double t0, t1;
	/* The driver's cycles not yet attributed, oldest first: each one's
	 * generation (its set holds the workloads' CPU times at its end),
	 * the driver's slot in it and its time. A meter slower than the
	 * driver leaves several waiting. */
	struct model_pending {
		struct snap_gen *gen;
		size_t slot;
		double t;
	} queue[MODEL_MAX_PENDING];
	size_t nqueue;
	double queued_t;        /* time of the newest cycle queued */
	/* The last interval's figures. */
	double e_host, p_host, e_unattr[2];
	double idle_w;
	enum idle_method idle_method;
	size_t idle_samples;
	double error_ratio;
	bool by_cycles;
	uint64_t outcomes[NOUTCOMES];
	size_t retired;
	size_t vms;             /* VMs in libvirt's last set */
	struct acct **order;    /* their accounts, in that set's order */
	size_t norder, order_cap;
	bool dirty;             /* what it emits changed since it last did */
	struct log_once error_log;
	struct acct **list;     /* scratch: the accounts of an interval */
	double *w, *out, *dyn;  /* scratch: their weights and parts */
	size_t cap;
};


/* The inputs of one model cycle: each collector's set in the current
 * generation (NULL when it has published none). */
struct model_inputs {
	const struct snap_set *set[NINPUTS];
};

/* settings.c */
extern const struct collector_option model_options[];
/* The collector's check_settings: the estimate's maximum is not below its
 * minimum. Returns 0 or -EINVAL with why in err. */
int model_check_settings(const void *settings, char *err, size_t errlen);
/* Turns the checked settings into numbers. Returns 0 or -EINVAL with the
 * message recorded for the scheduler. */
int model_conf_from(const struct model_settings *s, struct model_conf *c);

/* accounts.c */
/* Returns the account of kind and key, made if absent (NULL without
 * memory). */
struct acct *acct_get(struct acct_table *t, enum wl_kind kind, const char *key);
/* Returns hint when it is the account of kind and key, else as acct_get:
 * a set's samples of one workload come in a row. */
struct acct *acct_get_near(struct acct_table *t, struct acct *hint,
			   enum wl_kind kind, const char *key);
/* Returns the account of kind and key, or NULL. */
struct acct *acct_find(const struct acct_table *t, enum wl_kind kind,
		       const char *key);
/* Drops the accounts gone for longer than retire_after at now, and counts
 * those still kept in m->retired. */
void acct_expire(struct model *m, double now);
/* Frees every account. */
void acct_free_all(struct acct_table *t);
/* Runs the statement that follows for each sample s of family name in
 * set (none when set is NULL or has no such family). */
#define FOR_SAMPLES(set, name, s)                                          \
	for (const struct snap_fam_entry *fe_ = model_family((set), (name)); \
	     fe_; fe_ = NULL)                                              \
		for (uint32_t i_ = fe_->first; i_ != UINT32_MAX &&         \
		     ((s) = &(set)->samples[i_], 1);                       \
		     i_ = (set)->samples[i_].next)

/* The family called name in set, or NULL. */
const struct snap_fam_entry *model_family(const struct snap_set *set,
					  const char *name);
/* Label k (0-based) of sample s of set. */
const char *model_label(const struct snap_set *set,
			const struct snap_sample *s, unsigned k);
/* Feeds the host, libvirt and perf sets that are newer than the last fed
 * into the series of the host and of the accounts. */
void model_feed(struct model *m, const struct model_inputs *in);
/* Reads each workload's CPU seconds at the end of the interval from the
 * cgroup set into cpu_cur (NaN for the unseen), the accounts of the
 * workloads present marked as such and those absent as gone. */
void model_read_cpu(struct model *m, const struct snap_set *cg, double now);

/* attribute.c */
/* Attributes the interval [m->t0, m->t1] (see docs/attribution.md):
 * charges the accounts read by model_read_cpu, updates the host's figures
 * and moves each account's CPU reading to the interval's start. */
void model_attribute(struct model *m);
/* Records the workloads' CPU times of the first interval end (nothing to
 * attribute before it). */
void model_attribute_first(struct model *m);
/* Sets m->idle_w and m->idle_method for the current source. */
void model_pick_idle(struct model *m);

/* source.c */
/* Chooses the host's source of energy from the power set (or the
 * estimate) and feeds its zones' energy readings. */
void model_source_feed(struct model *m, const struct snap_set *power,
		       double now);
/* The host's energy over [t0, t1] (NaN when not covered), and in *util
 * the host's CPU utilisation over it (NaN when unknown). */
double model_host_energy(struct model *m, double t0, double t1, double *util);
/* Whether the source covers t (a reading at or after it exists, or the
 * source is the estimate and the host's CPU is read past it). */
bool model_source_covers(const struct model *m, double t);

#define F_DYN "dynamic"
#define F_IDLE "idle"
#define F_OVH "overhead"

#endif
