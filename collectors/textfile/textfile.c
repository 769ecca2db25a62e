/* The textfile collector: the samples that batch jobs write to DIR/NAME.prom
 * in the Prometheus text format, read on the collector's own interval and
 * served with virtmeter's own, as node_exporter's textfile collector does.
 * A file is read whole or skipped whole (one log line naming its line and
 * why); virtmeter_textfile_scrape_error says whether one was skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/textfile/merge.h"
#include "collectors/textfile/parse.h"
#include "exporter/api/collector.h"
#include "exporter/api/log.h"

/* The largest file read, and the most bytes of all files in one cycle. */
#define TF_FILE_MAX (4u << 20)
#define TF_TOTAL_MAX (32u << 20)
/* The most files read in one cycle (the first ones by name). */
#define TF_FILES_MAX 1024
#define SUFFIX ".prom"

struct tf_settings {
	char *directory;
};

/* A file of the directory: its name and what stat said before reading. */
struct tf_entry {
	char *name;
	char *path; /* DIR/NAME, as the file label and the log show it */
	struct stat st;
	int stat_err;  /* errno of its stat, 0 when it worked */
	bool dangling; /* a symbolic link to nothing */
};

struct tf_state {
	char *dir; /* NULL: no directory set */
	struct tf_merge merge;
	struct tf_entry *ents;
	size_t nents, capents;
	struct tf_file *parsed; /* one per entry, emptied after each cycle */
	size_t capparsed;
	char *text; /* the file being read */
	size_t captext;
	uint64_t last_fp;
	bool have_last;
	/* The lines logged for skipped files in the last cycle and in this
	 * one: a file skipped for the same reason is logged once. */
	struct tf_set logged[2];
	int cur;
	struct log_once dir_log;
};

static const struct snap_family fam_mtime = {
    .name = "virtmeter_textfile_mtime_seconds",
    .help = "Unix time of the last change of each text file read in the "
	    "last cycle (whole seconds), by path; files skipped as bad have "
	    "none.",
    .type = SNAP_GAUGE,
    .unit = "seconds",
    .labels = {"file", NULL},
};

static const struct snap_family fam_scrape_error = {
    .name = "virtmeter_textfile_scrape_error",
    .help = "1 if the textfile collector's last cycle could not read the "
	    "directory or skipped a file as unreadable or bad, else 0.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family *const textfile_families[] = {
    &fam_mtime, &fam_scrape_error, NULL};

static const struct collector_option textfile_options[] = {
    {.key = "directory",
     .type = SETTING_STRING,
     .offset = offsetof(struct tf_settings, directory),
     .def = NULL,
     .max = 4095,
     .arg = "DIR",
     .help = "serve the samples of DIR/*.prom (Prometheus text format, as "
	     "for node_exporter's textfile collector); unset: no file is "
	     "read and the collector exports only "
	     "virtmeter_textfile_scrape_error"},
    {.key = NULL},
};

/* Frees the entries of the last listing. */
static void entries_clear(struct tf_state *st)
{
	for (size_t i = 0; i < st->nents; i++) {
		free(st->ents[i].name);
		free(st->ents[i].path);
	}
	st->nents = 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tf_entry *)a)->name,
		      ((const struct tf_entry *)b)->name);
}

/* Whether name is NAME.prom. */
static bool is_prom(const char *name)
{
	size_t n = strlen(name), s = sizeof(SUFFIX) - 1;

	return n > s && strcmp(name + n - s, SUFFIX) == 0;
}

/* Adds name to the listing with what stat says of it (following links);
 * a file gone since readdir is left out. Returns 0 or -ENOMEM. */
static int entry_add(struct tf_state *st, int dfd, const char *name)
{
	struct tf_entry e = {0};
	struct stat lst;
	void *p;

	if (fstatat(dfd, name, &e.st, 0) != 0) {
		e.stat_err = errno;
		if (e.stat_err == ENOENT) {
			if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
				return 0; /* gone */
			e.dangling = true;
		}
	}
	if (st->nents == st->capents) {
		size_t ncap = st->capents ? st->capents * 2 : 16;

		p = realloc(st->ents, ncap * sizeof(*st->ents));
		if (!p)
			return -ENOMEM;
		st->ents = p;
		st->capents = ncap;
	}
	e.name = strdup(name);
	if (e.name && asprintf(&e.path, "%s/%s", st->dir, name) < 0)
		e.path = NULL;
	if (!e.name || !e.path) {
		free(e.name);
		return -ENOMEM;
	}
	st->ents[st->nents++] = e;
	return 0;
}

/* Lists the DIR/NAME.prom files into st->ents, sorted by name. Returns 0;
 * -ENOMEM; or -errno when the directory cannot be read (*d is then NULL). */
static int list_dir(struct tf_state *st, DIR **d)
{
	struct dirent *de;
	int rc = 0;

	entries_clear(st);
	*d = opendir(st->dir);
	if (!*d)
		return -errno;
	errno = 0;
	while (rc == 0 && (de = readdir(*d))) {
		if (is_prom(de->d_name))
			rc = entry_add(st, dirfd(*d), de->d_name);
		errno = 0;
	}
	if (rc == 0 && errno)
		rc = -errno;
	qsort(st->ents, st->nents, sizeof(*st->ents), entry_cmp);
	return rc;
}

/* h with the n bytes at p mixed in (FNV-1a). */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3u;
	return h;
}

/* A hash of the listing: names, and the identity, size, times and type of
 * each file. Equal listings read the same. */
static uint64_t listing_hash(const struct tf_state *st, int dir_err)
{
	uint64_t h = mix(0xcbf29ce484222325u, &dir_err, sizeof(dir_err));

	for (size_t i = 0; i < st->nents; i++) {
		const struct tf_entry *e = &st->ents[i];

		h = mix(h, e->name, strlen(e->name) + 1);
		h = mix(h, &e->stat_err, sizeof(e->stat_err));
		h = mix(h, &e->st.st_dev, sizeof(e->st.st_dev));
		h = mix(h, &e->st.st_ino, sizeof(e->st.st_ino));
		h = mix(h, &e->st.st_mode, sizeof(e->st.st_mode));
		h = mix(h, &e->st.st_size, sizeof(e->st.st_size));
		h = mix(h, &e->st.st_mtim, sizeof(e->st.st_mtim));
		h = mix(h, &e->st.st_ctim, sizeof(e->st.st_ctim));
	}
	return h;
}

/* Refuses a file without reading it. Returns -EINVAL. */
static int refuse(struct tf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(struct tf_error *err, const char *fmt, ...)
{
	va_list ap;

	err->line = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* What the listing says of e before it is opened. */
static int check_entry(const struct tf_entry *e, size_t total,
		       struct tf_error *err)
{
	if (e->dangling)
		return refuse(err, "a symbolic link to nothing");
	if (e->stat_err)
		return refuse(err, "%s", strerror(e->stat_err));
	if (!S_ISREG(e->st.st_mode))
		return refuse(err, "not a regular file (a FIFO, device or "
				   "directory is never opened)");
	if (e->st.st_size > (off_t)TF_FILE_MAX)
		return refuse(err,
			      "%lld bytes, more than the %u a text file "
			      "may hold",
			      (long long)e->st.st_size, TF_FILE_MAX);
	if (total + (size_t)e->st.st_size > TF_TOTAL_MAX)
		return refuse(err,
			      "the files before it hold %zu bytes: all "
			      "together may hold %u",
			      total, TF_TOTAL_MAX);
	return 0;
}

/* Reads all of fd into st->text (at most TF_FILE_MAX bytes). Returns the
 * length, or -EINVAL with err, or -ENOMEM. */
static ssize_t read_all(struct tf_state *st, int fd, struct tf_error *err)
{
	size_t len = 0;

	for (;;) {
		ssize_t n;

		if (st->captext < len + 65536 && st->captext <= TF_FILE_MAX) {
			size_t ncap = len + 65536 > TF_FILE_MAX + 1
					  ? TF_FILE_MAX + 1
					  : len + 65536;
			char *p = realloc(st->text, ncap);

			if (!p)
				return -ENOMEM;
			st->text = p;
			st->captext = ncap;
		}
		if (len > TF_FILE_MAX)
			return refuse(err, "grew past %u bytes while read",
				      TF_FILE_MAX);
		n = read(fd, st->text + len, st->captext - len);
		if (n == 0)
			return (ssize_t)len;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return refuse(err, "read: %s", strerror(errno));
		len += (size_t)n;
	}
}

/* Reads and parses file e into f. Returns 0 with the file's mtime in
 * *mtime; -ENOENT when it is gone; -EINVAL with err when it is refused;
 * -ENOMEM. */
static int read_file(struct tf_state *st, int dfd, const struct tf_entry *e,
		     struct tf_file *f, size_t *total, double *mtime,
		     struct tf_error *err)
{
	struct stat fst;
	ssize_t len;
	int fd, rc;

	rc = check_entry(e, *total, err);
	if (rc)
		return rc;
	/* O_NONBLOCK: a FIFO put in its place meanwhile must not block the
	 * open, and fstat then refuses it. */
	fd = openat(dfd, e->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT
			   ? -ENOENT
			   : refuse(err, "open: %s", strerror(errno));
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
		close(fd);
		return refuse(err, "not a regular file once opened");
	}
	len = read_all(st, fd, err);
	close(fd);
	if (len < 0)
		return (int)len;
	*total += (size_t)len;
	*mtime = (double)fst.st_mtim.tv_sec;
	return tf_parse(f, st->text, (size_t)len, err);
}

/* Logs that e is skipped, unless the last cycle logged the same. */
static int log_skipped(struct tf_state *st, const struct tf_entry *e,
		       const struct tf_error *err)
{
	char msg[512];
	int n;

	if (err->line)
		n = snprintf(msg, sizeof(msg),
			     "textfile: %s:%u: %s; the file "
			     "is skipped",
			     e->path, err->line, err->msg);
	else
		n = snprintf(msg, sizeof(msg),
			     "textfile: %s: %s; the file "
			     "is skipped",
			     e->path, err->msg);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (tf_set_add(&st->logged[st->cur], msg, (size_t)n, 0, NULL) ==
	    -ENOMEM)
		return -ENOMEM;
	if (tf_set_find(&st->logged[!st->cur], msg, (size_t)n, &(uint32_t){0}))
		log_warn("%s", msg);
	return 0;
}

/* Reads every listed file; returns whether one was skipped, or -ENOMEM. */
static int read_files(struct tf_state *st, int dfd, struct snap_set *out)
{
	size_t total = 0;
	int skipped = 0;

	for (size_t i = 0; i < st->nents && i < TF_FILES_MAX; i++) {
		const struct tf_entry *e = &st->ents[i];
		struct tf_file *f = &st->parsed[i];
		struct tf_error err = {0};
		double mtime = 0;
		int rc = read_file(st, dfd, e, f, &total, &mtime, &err);

		if (rc == -ENOENT)
			continue; /* gone between listing and reading */
		if (rc == 0)
			rc = tf_merge_add(&st->merge, f, e->path, &err);
		if (rc == 0) {
			snap_add(out, &fam_mtime, mtime, e->path);
			continue;
		}
		if (rc == -ENOMEM || log_skipped(st, e, &err))
			return -ENOMEM;
		skipped = 1;
	}
	if (st->nents > TF_FILES_MAX) {
		log_warn("textfile: %s holds %zu .prom files; only the first "
			 "%d by name are read",
			 st->dir, st->nents, TF_FILES_MAX);
		skipped = 1;
	}
	return skipped;
}

/* Makes room for one parsed file per entry, before the merge points at
 * them. Returns 0 or -ENOMEM. */
static int reserve_parsed(struct tf_state *st)
{
	size_t n = st->nents < TF_FILES_MAX ? st->nents : TF_FILES_MAX;
	struct tf_file *p;

	if (n <= st->capparsed)
		return 0;
	p = realloc(st->parsed, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + st->capparsed, 0, (n - st->capparsed) * sizeof(*p));
	st->parsed = p;
	st->capparsed = n;
	return 0;
}

static int textfile_collect(void *state, struct snap_set *out)
{
	struct tf_state *st = state;
	DIR *d = NULL;
	uint64_t fp;
	int rc, dir_err = 0, skipped = 0;

	if (!st->dir) {
		if (st->have_last)
			return COLLECT_UNCHANGED;
		st->have_last = true;
		return snap_add0(out, &fam_scrape_error, 0);
	}
	tf_merge_reset(&st->merge);
	rc = list_dir(st, &d);
	if (rc == -ENOMEM)
		goto out;
	dir_err = -rc;
	fp = listing_hash(st, dir_err);
	if (st->have_last && fp == st->last_fp) {
		rc = COLLECT_UNCHANGED;
		goto out;
	}
	if (dir_err) {
		log_fail_once(&st->dir_log,
			      "textfile: cannot read the directory "
			      "%s: %s",
			      st->dir, strerror(dir_err));
		skipped = 1;
	} else {
		log_recover(&st->dir_log,
			    "textfile: the directory %s is read "
			    "again",
			    st->dir);
	}
	rc = reserve_parsed(st);
	if (rc == 0 && !dir_err)
		rc = read_files(st, dirfd(d), out);
	if (rc < 0)
		goto out;
	skipped |= rc;
	rc = tf_merge_emit(&st->merge, out);
	snap_add0(out, &fam_scrape_error, skipped ? 1 : 0);
	if (rc == 0)
		rc = out->err;
	if (rc == 0) {
		st->last_fp = fp;
		st->have_last = true;
		tf_set_clear(&st->logged[!st->cur]);
		st->cur = !st->cur;
	}
out:
	/* The set holds copies of what it serves: the parses are dropped, so
	 * that a large file read once does not keep its memory. */
	tf_merge_reset(&st->merge);
	for (size_t i = 0; i < st->capparsed; i++)
		tf_file_free(&st->parsed[i]);
	if (d)
		closedir(d);
	if (rc == -ENOMEM)
		collector_error("textfile: out of memory reading %s", st->dir);
	return rc;
}

static void textfile_fini(void *state)
{
	struct tf_state *st = state;

	if (!st)
		return;
	entries_clear(st);
	free(st->ents);
	for (size_t i = 0; i < st->capparsed; i++)
		tf_file_free(&st->parsed[i]);
	free(st->parsed);
	free(st->text);
	tf_merge_free(&st->merge);
	tf_set_free(&st->logged[0]);
	tf_set_free(&st->logged[1]);
	free(st->dir);
	free(st);
}

/* Reserves the names of every family of virtmeter: those of every
 * collector compiled in (enabled or not) and the daemon's own. */
static int reserve_names(struct tf_state *st, const struct collector_env *env)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && collector_table[i]; i++)
		rc = tf_merge_reserve(&st->merge, collector_table[i]->families);
	for (size_t i = 0;
	     rc == 0 && env->self_families && env->self_families[i]; i++)
		rc = tf_merge_reserve(&st->merge, env->self_families[i]);
	return rc;
}

static int textfile_init(const struct collector_env *env, void **state)
{
	const struct tf_settings *s = env->settings;
	struct tf_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	if (s && s->directory && *s->directory) {
		size_t n = strlen(s->directory);

		/* "/dir/" and "/dir" name one directory: one file label. */
		while (n > 1 && s->directory[n - 1] == '/')
			n--;
		st->dir = strndup(s->directory, n);
		if (!st->dir || reserve_names(st, env)) {
			textfile_fini(st);
			return -ENOMEM;
		}
	}
	*state = st;
	return 0;
}

const struct collector textfile_collector = {
    .name = "textfile",
    .help = "samples of the *.prom files of --collector.textfile.directory "
	    "(Prometheus text format, as node_exporter's); without a "
	    "directory, only virtmeter_textfile_scrape_error",
    .default_enabled = true,
    .interval_ms = 5000,
    .timeout_ms = 10000,
    .families = textfile_families,
    .options = textfile_options,
    .settings_size = sizeof(struct tf_settings),
    .init = textfile_init,
    .collect = textfile_collect,
    .fini = textfile_fini,
};
