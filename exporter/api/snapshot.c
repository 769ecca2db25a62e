/* Typed samples and atomically published generations: see snapshot.h.
 *
 * Publishing builds a new generation under a mutex held only for the
 * pointer swap; references are atomic, so readers never wait on writers. */
#include "exporter/api/snapshot.h"
#include "exporter/api/buf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* A set larger than this is refused (-E2BIG): a runaway source must not
 * take the host's memory. 8 M samples is far beyond 10,000 workloads. */
#define SNAP_MAX_SAMPLES (8u << 20)

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap_gen *snap_cur;
static uint64_t snap_next_id = 1;

struct snap_set *snap_set_new(void)
{
	struct snap_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	atomic_init(&set->refs, 1);
	memset(set->fam_cache, 0xff, sizeof(set->fam_cache));
	set->last_labels = NONE;
	return set;
}

/* Zeros: the labels of a sample in a set that stores none. */
const char snap_no_labels[SNAP_MAX_LABELS];

struct snap_set *snap_set_new_sized(size_t nsamples, size_t nstrings)
{
	struct snap_set *set = snap_set_new();

	if (!set)
		return NULL;
	/* Without memory for the hint the set just grows as usual. */
	set->samples = nsamples ? malloc(nsamples * sizeof(*set->samples)) : NULL;
	set->capsamples = set->samples ? nsamples : 0;
	set->strings = nstrings ? malloc(nstrings) : NULL;
	set->capstrings = set->strings ? nstrings : 0;
	return set;
}

struct snap_set *snap_set_ref(struct snap_set *set)
{
	if (set)
		atomic_fetch_add(&set->refs, 1);
	return set;
}

void snap_set_unref(struct snap_set *set)
{
	if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
		return;
	free(set->fams);
	free(set->samples);
	free(set->strings);
	if (set->owned_free)
		set->owned_free(set->owned);
	free(set);
}

int snap_set_attach(struct snap_set *set, void *data, void (*free_fn)(void *))
{
	if (set->owned_free)
		return -EBUSY;
	set->owned = data;
	set->owned_free = free_fn;
	return 0;
}


static size_t count_labels(const struct snap_family *fam)
{
	size_t n = 0;

	while (n < SNAP_MAX_LABELS && fam->labels[n])
		n++;
	return n;
}

/* The slot of fam in the family cache. */
static size_t fam_slot(const struct snap_family *fam)
{
	uintptr_t p = (uintptr_t)fam;

	return (size_t)((p >> 4) ^ (p >> 10)) & (SNAP_FAM_CACHE - 1);
}

/* Returns the index of fam in set, adding it if new, or NONE without
 * memory. */
static uint32_t fam_index(struct snap_set *set, const struct snap_family *fam)
{
	uint32_t *slot = &set->fam_cache[fam_slot(fam)];
	struct snap_fam_entry *e;

	if (*slot < set->nfams && set->fams[*slot].desc == fam)
		return *slot;
	for (size_t i = 0; i < set->nfams; i++) {
		if (set->fams[i].desc == fam) {
			*slot = (uint32_t)i;
			return *slot;
		}
	}
	if (buf_grow_array((void **)&set->fams, &set->capfams, set->nfams + 1,
		 sizeof(*set->fams)))
		return NONE;
	e = &set->fams[set->nfams];
	e->desc = fam;
	e->nlabels = (uint32_t)count_labels(fam);
	e->first = e->last = NONE;
	e->count = 0;
	*slot = (uint32_t)set->nfams++;
	return *slot;
}

/* How many of values[0..n) equal, in order, the first values of the last
 * run of label values stored; *end receives the offset just past the
 * last of those in the arena. One pass over both strings, no strlen. */
static size_t same_as_last(const struct snap_set *set,
			   const char *const *values, size_t n, size_t *end)
{
	size_t i, lim = n < set->last_nlabels ? n : set->last_nlabels;
	const char *p;

	*end = set->last_labels;
	if (set->last_labels == NONE)
		return 0;
	p = set->strings + set->last_labels;
	for (i = 0; i < lim; i++) {
		const char *v = values[i] ? values[i] : "";

		while (*p && *p == *v) {
			p++;
			v++;
		}
		if (*p != *v)
			break;
		p++;
		*end = (size_t)(p - set->strings);
	}
	return i;
}

/* Appends values[from..n) (NULL as "") to the string arena; returns 0 or
 * -1 without memory. */
static int append_labels(struct snap_set *set, const char *const *values,
			 size_t from, size_t n)
{
	size_t need = 0;

	for (size_t i = from; i < n; i++)
		need += strlen(values[i] ? values[i] : "") + 1;
	if (set->nstrings + need >= NONE ||
	    buf_grow_array((void **)&set->strings, &set->capstrings,
			   set->nstrings + need, 1))
		return -1;
	for (size_t i = from; i < n; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t l = strlen(v) + 1;

		memcpy(set->strings + set->nstrings, v, l);
		set->nstrings += l;
	}
	return 0;
}

/* Copies n label values (NULL as "") into the string arena and returns the
 * offset of the first, or NONE without memory. A workload's samples share
 * their values, so the last run stored is reused when it begins with the
 * same values, and extended in place when it holds the first of them and
 * ends the arena (a sample reads only as many values as its family has). */
static uint32_t store_labels(struct snap_set *set, const char *const *values,
			     size_t n)
{
	size_t end, same = n ? same_as_last(set, values, n, &end) : 0;
	uint32_t off = (uint32_t)set->nstrings;

	if (n == 0)
		return off;
	if (same == n)
		return set->last_labels;
	if (same == set->last_nlabels && end == set->nstrings) {
		if (append_labels(set, values, same, n))
			return NONE;
		set->last_nlabels = (uint32_t)n;
		return set->last_labels;
	}
	if (append_labels(set, values, 0, n))
		return NONE;
	set->last_labels = off;
	set->last_nlabels = (uint32_t)n;
	return off;
}

int snap_add_array(struct snap_set *set, const struct snap_family *fam,
		   double value, const char *const *values, size_t n)
{
	struct snap_sample *s;
	struct snap_fam_entry *e;
	uint32_t fi, labels;
	int rc = 0;

	if (set->err)
		return set->err;
	if (n != count_labels(fam)) {
		rc = -EINVAL;
		goto out;
	}
	if (set->nsamples >= SNAP_MAX_SAMPLES) {
		rc = -E2BIG;
		goto out;
	}
	fi = fam_index(set, fam);
	if (fi == NONE ||
	    buf_grow_array((void **)&set->samples, &set->capsamples, set->nsamples + 1,
		 sizeof(*set->samples))) {
		rc = -ENOMEM;
		goto out;
	}
	labels = store_labels(set, values, n);
	if (labels == NONE) {
		rc = -ENOMEM;
		goto out;
	}
	s = &set->samples[set->nsamples];
	s->value = value;
	s->fam = fi;
	s->next = NONE;
	s->labels = labels;
	e = &set->fams[fi];
	if (e->last == NONE)
		e->first = (uint32_t)set->nsamples;
	else
		set->samples[e->last].next = (uint32_t)set->nsamples;
	e->last = (uint32_t)set->nsamples;
	e->count++;
	set->nsamples++;
out:
	if (rc)
		set->err = rc;
	return rc;
}

struct snap_gen *snap_gen_ref(struct snap_gen *gen)
{
	atomic_fetch_add(&gen->refs, 1);
	return gen;
}

void snap_gen_unref(struct snap_gen *gen)
{
	if (!gen || atomic_fetch_sub(&gen->refs, 1) != 1)
		return;
	for (size_t i = 0; i < SNAP_MAX_SLOTS; i++)
		snap_set_unref(gen->sets[i]);
	for (size_t i = 0; i < SNAP_NBLOBS; i++)
		free(gen->blobs[i].data);
	pthread_mutex_destroy(&gen->lock);
	free(gen);
}

/* Returns a new generation holding the sets of prev (may be NULL), each
 * with a new reference, or NULL without memory. */
static struct snap_gen *gen_copy(const struct snap_gen *prev)
{
	struct snap_gen *gen = calloc(1, sizeof(*gen));

	if (!gen)
		return NULL;
	atomic_init(&gen->refs, 1);
	pthread_mutex_init(&gen->lock, NULL);
	for (size_t i = 0; prev && i < SNAP_MAX_SLOTS; i++) {
		gen->sets[i] = snap_set_ref(prev->sets[i]);
	}
	return gen;
}

int snap_publish(const struct snap_update *updates, size_t n)
{
	struct snap_gen *gen, *old;

	for (size_t i = 0; i < n; i++)
		if (updates[i].slot >= SNAP_MAX_SLOTS)
			return -EINVAL;
	pthread_mutex_lock(&snap_lock);
	gen = gen_copy(snap_cur);
	if (!gen) {
		pthread_mutex_unlock(&snap_lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		snap_set_unref(gen->sets[updates[i].slot]);
		gen->sets[updates[i].slot] = snap_set_ref(updates[i].set);
	}
	gen->id = snap_next_id++;
	old = snap_cur;
	snap_cur = gen;
	pthread_mutex_unlock(&snap_lock);
	snap_gen_unref(old);
	return 0;
}

struct snap_gen *snap_current(void)
{
	struct snap_gen *gen;

	pthread_mutex_lock(&snap_lock);
	gen = snap_cur ? snap_gen_ref(snap_cur) : NULL;
	pthread_mutex_unlock(&snap_lock);
	return gen;
}

int snap_init(void)
{
	return snap_publish(NULL, 0);
}

void snap_shutdown(void)
{
	struct snap_gen *old;

	pthread_mutex_lock(&snap_lock);
	old = snap_cur;
	snap_cur = NULL;
	pthread_mutex_unlock(&snap_lock);
	snap_gen_unref(old);
}
