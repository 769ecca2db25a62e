/* Typed samples and atomically published generations.
 *
 * A collector fills a snap_set (family descriptor, label values, value) and
 * publishes it into its slot. Publishing makes a new immutable generation
 * that holds one reference to the current set of every slot; readers take a
 * reference to the current generation and keep it as long as they like, so
 * a scrape never sees half of a collector's cycle and never blocks one. */
#ifndef VIRTMETER_SNAPSHOT_H
#define VIRTMETER_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_MAX_LABELS 8
#define SNAP_MAX_SLOTS 32

/* SNAP_UNTYPED is for samples read from outside whose type is not given
 * (the textfile collector's): "untyped" in text, "unknown" in OpenMetrics. */
enum snap_type { SNAP_GAUGE, SNAP_COUNTER, SNAP_UNTYPED };

/* A metric family, declared once as a const with designated initializers
 * by the code that emits it; where code picks families by a constant, an
 * array with designated indices ([CG_FAM_CPU] = {...}) and an enum. Counter
 * names carry no "_total": the exposition writer adds it. */
struct snap_family {
	const char *name;
	const char *help;
	enum snap_type type;
	const char *unit;                        /* OpenMetrics UNIT or NULL */
	const char *labels[SNAP_MAX_LABELS + 1]; /* NULL-terminated */
};

/* One sample of a set. Read-only outside snapshot.c. */
struct snap_sample {
	double value;
	uint32_t fam;    /* index into the set's families */
	uint32_t next;   /* next sample of the same family, or UINT32_MAX */
	uint32_t labels; /* offset of the first label value in strings */
};

/* One family of a set, with the chain of its samples. */
struct snap_fam_entry {
	const struct snap_family *desc;
	uint32_t nlabels;
	uint32_t first, last; /* sample indices; UINT32_MAX when empty */
	uint32_t count;
};

/* The samples of one collector's cycle. Filled by one thread, then
 * published and never changed again. */
/* Slots of snap_set's family cache (a power of two). */
#define SNAP_FAM_CACHE 64

struct snap_set {
	atomic_int refs;
	struct snap_fam_entry *fams;
	size_t nfams, capfams;
	struct snap_sample *samples;
	size_t nsamples, capsamples;
	char *strings; /* label values, each NUL-terminated, back to back */
	size_t nstrings, capstrings;
	int err;       /* sticky: first allocation/argument error */
	/* Unix time of the moment the samples describe: the middle of the
	 * cycle that read them, set by the scheduler before it publishes
	 * (0 for a set that no cycle filled). Readers that line up several
	 * collectors' figures, such as the energy model, go by it. */
	double time;
	/* Index in fams of recently used families, by a hash of the family's
	 * address: a workload's samples cycle through a few dozen families,
	 * which a search from the start would scan each time. */
	uint32_t fam_cache[SNAP_FAM_CACHE];
	/* The last run of label values stored, reused by the next sample that
	 * has the same values (a workload's families share them). */
	uint32_t last_labels, last_nlabels;
	/* What snap_set_attach handed to the set, freed with it. */
	void *owned;
	void (*owned_free)(void *);
};

/* A rendered form of a generation (kept by render.c). */
struct snap_blob {
	char *data;
	size_t len;
	int state; /* 0 not yet rendered, 1 done, negative errno */
};

#define SNAP_NBLOBS 4

/* An immutable view of every slot at one moment. */
struct snap_gen {
	atomic_int refs;
	uint64_t id;
	struct snap_set *sets[SNAP_MAX_SLOTS];
	pthread_mutex_t lock; /* guards blobs */
	struct snap_blob blobs[SNAP_NBLOBS];
};

/* Returns a new empty set with one reference, or NULL without memory. */
struct snap_set *snap_set_new(void);

/* Like snap_set_new, with room for nsamples samples and nstrings bytes of
 * label values (the previous cycle's sizes): a collector of thousands of
 * workloads then fills its set without regrowing it. */
struct snap_set *snap_set_new_sized(size_t nsamples, size_t nstrings);

/* Takes a reference to set (NULL is ignored) and returns it. */
struct snap_set *snap_set_ref(struct snap_set *set);

/* Drops a reference; the last one frees the set. NULL is ignored. */
void snap_set_unref(struct snap_set *set);

/* Hands data to set: free_fn(data) runs when the set's last reference is
 * dropped, after every generation and reader that held it. For families
 * made at run time (the textfile collector's), whose descriptors and
 * strings must live as long as the samples that point at them. Returns 0,
 * or -EBUSY if the set holds data already (the caller keeps data). */
int snap_set_attach(struct snap_set *set, void *data, void (*free_fn)(void *));

/* Adds one sample of family fam with n label values (n must equal the
 * number of label names of fam; NULL values are written as ""). Values are
 * copied. Returns 0, -EINVAL on a label count mismatch, or -ENOMEM; the
 * first error also sticks in set->err. */
int snap_add_array(struct snap_set *set, const struct snap_family *fam,
		   double value, const char *const *values, size_t n);

#define SNAP_NARGS(...) \
	(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
/* snap_add(set, &FAM, value, "label value", ...) */
#define snap_add(set, fam, value, ...)                                   \
	snap_add_array((set), (fam), (value),                            \
		       (const char *const[]){__VA_ARGS__}, SNAP_NARGS(__VA_ARGS__))
/* snap_add0(set, &FAM, value) for a family without labels. */
#define snap_add0(set, fam, value) snap_add_array((set), (fam), (value), NULL, 0)

/* The label values of a set that stores none: SNAP_MAX_LABELS empty
 * strings back to back. */
extern const char snap_no_labels[SNAP_MAX_LABELS];

/* Returns the label values of a sample, back to back (see strings); in a
 * set without any label value, whose strings is still NULL (and NULL + 0
 * undefined behaviour), snap_no_labels. */
static inline const char *snap_sample_labels(const struct snap_set *set,
					     const struct snap_sample *s)
{
	return set->strings ? set->strings + s->labels : snap_no_labels;
}

/* One change for snap_publish: slot gets set (a reference is taken; NULL
 * empties the slot). */
struct snap_update {
	size_t slot;
	struct snap_set *set;
};

/* Publishes all updates as one new generation. Returns 0, -EINVAL for a bad
 * slot, or -ENOMEM (the current generation is then kept). Thread-safe. */
int snap_publish(const struct snap_update *updates, size_t n);

/* Returns the current generation with a reference the caller must drop
 * with snap_gen_unref(). Never NULL after snap_init(). Thread-safe. */
struct snap_gen *snap_current(void);

/* Takes another reference to gen and returns it. */
struct snap_gen *snap_gen_ref(struct snap_gen *gen);

/* Drops a reference; the last one frees the generation and its blobs. */
void snap_gen_unref(struct snap_gen *gen);

/* Publishes the first, empty generation. Returns 0 or -ENOMEM. */
int snap_init(void);

/* Drops the current generation (readers that hold one keep it). */
void snap_shutdown(void);

#endif
