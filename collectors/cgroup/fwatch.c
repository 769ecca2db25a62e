/* inotify watches on single cgroup files (see fwatch.h). */
#include "collectors/cgroup/fwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "exporter/api/log.h"

/* A quarter of the user's inotify watch limit (of 8192, the old default,
 * when it cannot be read). */
static size_t watch_share(void)
{
	unsigned long limit = 8192;
	FILE *f = fopen("/proc/sys/fs/inotify/max_user_watches", "re");

	if (f) {
		if (fscanf(f, "%lu", &limit) != 1)
			limit = 8192;
		fclose(f);
	}
	return limit / 4;
}

void cg_fwatch_init(struct cg_fwatch *w)
{
	memset(w, 0, sizeof(*w));
	w->max = watch_share();
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		log_debug("cgroup: no inotify for files (%s): the memory and "
			  "CPU limits and memory.events are read every time", strerror(errno));
}

void cg_fwatch_close(struct cg_fwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->v);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

/* The index of wd in w->v, or where it would go (*found false). */
static size_t find(const struct cg_fwatch *w, int wd, bool *found)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->v[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < w->n && w->v[lo].wd == wd;
	return lo;
}

/* Puts (wd, note) in the table at index i. Returns 0 or -ENOMEM. */
static int insert(struct cg_fwatch *w, size_t i, int wd, struct cg_fnote *note)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct cg_fwatch_ent *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	memmove(&w->v[i + 1], &w->v[i], (w->n - i) * sizeof(w->v[0]));
	w->v[i] = (struct cg_fwatch_ent){wd, note};
	w->n++;
	return 0;
}

void cg_fwatch_add(struct cg_fwatch *w, int fd, struct cg_fnote *note)
{
	char path[64];
	bool found;
	size_t i;
	int wd;

	note->wd = -1;
	note->changed = true;
	if (w->fd < 0 || w->broken || fd < 0)
		return;
	if (w->n >= w->max) {
		if (!w->capped)
			log_debug("cgroup: %zu cgroup files watched, a quarter of "
				  "fs.inotify.max_user_watches: further ones are "
				  "read every time", w->n);
		w->capped = true;
		return;
	}
	/* The descriptor's link names the very file it has open. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(w->fd, path, IN_MODIFY);
	if (wd < 0) {
		if (errno != ENOENT) { /* ENOENT: the cgroup went meanwhile */
			log_info("cgroup: cannot watch a cgroup file (%s): "
				 "the memory and CPU limits and memory.events "
				 "are read every time from now on", strerror(errno));
			w->broken = true;
		}
		return;
	}
	i = find(w, wd, &found);
	/* The same file watched twice shares a wd: the second reader reads
	 * every time rather than steal the first one's events. */
	if (found || insert(w, i, wd, note) < 0)
		return;
	note->wd = wd;
}

void cg_fwatch_remove(struct cg_fwatch *w, struct cg_fnote *note)
{
	bool found;
	size_t i;

	if (note->wd < 0)
		return;
	i = find(w, note->wd, &found);
	if (found && w->v[i].note == note) {
		inotify_rm_watch(w->fd, note->wd);
		memmove(&w->v[i], &w->v[i + 1], (w->n - i - 1) * sizeof(w->v[0]));
		w->n--;
	}
	note->wd = -1;
}

/* Handles one event. */
static void take(struct cg_fwatch *w, const struct inotify_event *ev)
{
	bool found;
	size_t i;

	if (ev->mask & IN_Q_OVERFLOW) {
		for (i = 0; i < w->n; i++)
			w->v[i].note->changed = true;
		return;
	}
	i = find(w, ev->wd, &found);
	if (!found)
		return; /* removed since */
	w->v[i].note->changed = true;
	if (ev->mask & IN_IGNORED) { /* the kernel dropped the watch */
		w->v[i].note->wd = -1;
		memmove(&w->v[i], &w->v[i + 1], (w->n - i - 1) * sizeof(w->v[0]));
		w->n--;
	}
}

void cg_fwatch_poll(struct cg_fwatch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (w->fd < 0)
		return;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(void *)(buf + off);

			take(w, ev);
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
}
