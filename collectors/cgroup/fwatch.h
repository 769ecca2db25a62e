/* Files of a cgroup that are read again only when the kernel says they
 * changed: a memory limit (memory.max, memory.limit_in_bytes) and a CPU
 * quota (cpu.max, cpu.cfs_quota_us and cpu.cfs_period_us) change only
 * when written, and cgroup2 raises a modify event on memory.events
 * whenever one of its counters moves (the kernel's cgroup-v2
 * documentation says so). An inotify watch per file spares three of the
 * twelve or thirteen files of a busy container each cycle (on v1 the
 * period instead of memory.events, for which it raises no event). */
#ifndef VIRTMETER_CGROUP_FWATCH_H
#define VIRTMETER_CGROUP_FWATCH_H

#include <stdbool.h>
#include <stddef.h>

/* One watched file. On the heap (it must not move while watched): the
 * tracked cgroups holding it are copied from array to array. */
struct cg_fnote {
	int wd;	      /* inotify watch, -1 when unwatched (read every time) */
	bool changed; /* an event came since the last read was queued */
};

struct cg_fwatch {
	int fd;	     /* inotify descriptor, -1 without one */
	bool broken; /* a watch was refused: no more are set */
	size_t max;  /* most watches set: a share of the user's limit */
	bool capped; /* the cap was logged */
	struct cg_fwatch_ent {
		int wd;
		struct cg_fnote *note;
	} *v; /* sorted by wd */
	size_t n, cap;
};

/* Opens the inotify descriptor (w->fd stays -1 without one: every file
 * is then read every time). At most a quarter of fs.inotify.
 * max_user_watches is used: the watches on directories, which spare whole
 * walks of the tree, and other programs of the same user come first. */
void cg_fwatch_init(struct cg_fwatch *w);

/* Closes it and frees the table (the notes belong to their owners). */
void cg_fwatch_close(struct cg_fwatch *w);

/* Watches the file open as fd for writes and kernel notifications, with
 * note->changed set (the file is to be read once first). When it cannot
 * be watched note->wd is -1 and the file is read every time. */
void cg_fwatch_add(struct cg_fwatch *w, int fd, struct cg_fnote *note);

/* Stops watching note's file (before it is closed and note freed). */
void cg_fwatch_remove(struct cg_fwatch *w, struct cg_fnote *note);

/* Takes the pending events, setting changed on the notes they name; a
 * lost event sets it on every note. */
void cg_fwatch_poll(struct cg_fwatch *w);

/* Whether the file behind note (NULL: unwatched) must be read now. */
static inline bool cg_fnote_due(const struct cg_fnote *note)
{
	return !note || note->wd < 0 || note->changed;
}

#endif
