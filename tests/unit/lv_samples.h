/* Test helpers shared by the libvirt unit tests: look samples up in a
 * snap_set by family name and label values. */
#ifndef VIRTMETER_TEST_LV_SAMPLES_H
#define VIRTMETER_TEST_LV_SAMPLES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exporter/api/snapshot.h"

/* The entry of family name in set, or NULL. */
static inline const struct snap_fam_entry *lvt_fam(const struct snap_set *set,
						   const char *name)
{
	for (size_t i = 0; i < set->nfams; i++)
		if (strcmp(set->fams[i].desc->name, name) == 0)
			return &set->fams[i];
	return NULL;
}

/* Number of samples of family name in set. */
static inline size_t lvt_count(const struct snap_set *set, const char *name)
{
	const struct snap_fam_entry *f = lvt_fam(set, name);

	return f ? f->count : 0;
}

/* Counts the samples of family name whose label values are the given
 * strings (as many as the family has labels) and stores the value of the
 * last one in *v. */
static inline int lvt_find(const struct snap_set *set, const char *name,
			   double *v, ...)
{
	const struct snap_fam_entry *f = lvt_fam(set, name);
	const char *want[SNAP_MAX_LABELS];
	int found = 0;
	va_list ap;

	if (!f)
		return 0;
	va_start(ap, v);
	for (uint32_t l = 0; l < f->nlabels; l++)
		want[l] = va_arg(ap, const char *);
	va_end(ap);
	for (uint32_t i = f->first; i != UINT32_MAX; i = set->samples[i].next) {
		const char *lab = snap_sample_labels(set, &set->samples[i]);
		bool same = true;

		for (uint32_t l = 0; l < f->nlabels; l++) {
			same = same && strcmp(lab, want[l]) == 0;
			lab += strlen(lab) + 1;
		}
		if (same) {
			found++;
			*v = set->samples[i].value;
		}
	}
	return found;
}

/* The value of the one sample that matches, or -12345 if none or several
 * match (a value no test expects). */
#define LVT_VALUE(set, name, ...)                                           \
	({                                                                  \
		double lvt_v_ = 0;                                          \
		lvt_find((set), (name), &lvt_v_, __VA_ARGS__) == 1 ? lvt_v_ \
								   : -12345.0; \
	})

#endif
