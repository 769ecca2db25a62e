/* The parsed files of one cycle merged into the families a snapshot
 * serves: a file is taken whole or not at all. It is refused when one of
 * its families would be served under a name of virtmeter's own (reserved),
 * has another TYPE or HELP than the same name in an earlier file, would be
 * served under the name of another family of an earlier file, or would
 * have more than TF_MAX_LABELS label names with theirs; or when one of its
 * series is in an earlier file. No I/O: unit-tested with texts. */
#ifndef VIRTMETER_TEXTFILE_MERGE_H
#define VIRTMETER_TEXTFILE_MERGE_H

#include "collectors/textfile/parse.h"
#include "collectors/textfile/strset.h"
#include "exporter/api/snapshot.h"

/* A family of the merge, from one or more files. */
struct tf_mfam {
	uint32_t file;	  /* the first file it is in (index in files) */
	uint32_t fam;	  /* its index in that file: name, type, line */
	const char *help; /* the first HELP given, in its file; or NULL */
	const char *lnames[TF_MAX_LABELS]; /* union, in files' arenas */
	uint32_t nlnames;
	uint32_t links, last; /* the chain of files it is read from */
};

/* One file of a family's chain. */
struct tf_link {
	uint32_t file, next;
};

/* Where an accepted series comes from. */
struct tf_where {
	uint32_t file, line;
};

/* Zero-initialise; tf_merge_free frees. The files handed to tf_merge_add
 * are used in place until tf_merge_reset. */
struct tf_merge {
	struct tf_set reserved; /* virtmeter's own names, kept across resets */
	struct tf_set served;	/* names of the accepted families -> family */
	struct tf_set series;	/* series keys -> index in where */
	struct tf_mfam *fams;
	size_t nfams, capfams;
	struct tf_link *links;
	size_t nlinks, caplinks;
	struct tf_where *where;
	size_t nwhere, capwhere;
	struct tf_file **files;
	const char **paths;
	size_t nfiles, capfiles, cappaths;
	char *key; /* scratch for series keys */
	size_t capkey;
};

/* Reserves the names the families fams (NULL-terminated) are served under:
 * each name, and a counter's with "_total". Returns 0 or -ENOMEM. */
int tf_merge_reserve(struct tf_merge *m, const struct snap_family *const *fams);

/* Forgets the files of the last cycle (not the reserved names). */
void tf_merge_reset(struct tf_merge *m);

/* Takes the families and samples of file f, read from path, unless they
 * conflict with the reserved names or the files taken before. f and path
 * must stay as they are until tf_merge_reset; f's families get their
 * merged index. Returns 0; -EINVAL with err (its line in f) when the file
 * is refused, the merge then as it was; -ENOMEM (the merge is then only
 * fit for tf_merge_reset). */
int tf_merge_add(struct tf_merge *m, struct tf_file *f, const char *path,
		 struct tf_error *err);

/* Adds the samples of every file taken to set, under families made for
 * them, which set owns (snap_set_attach): labels sorted by name, an absent
 * label given as "", a missing HELP as "Metric read from FILE, ...".
 * Returns 0, or set's error. */
int tf_merge_emit(const struct tf_merge *m, struct snap_set *set);

/* Frees everything m holds and leaves it zeroed. */
void tf_merge_free(struct tf_merge *m);

#endif
