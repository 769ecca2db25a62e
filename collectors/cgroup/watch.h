/* Knowing that the cgroup tree changed without walking it: an inotify
 * watch on every directory that discovery walks (slices and services, not
 * containers) reports the mkdir and rmdir of a container under it, and
 * discovery then walks again. Without inotify, past the watch limit, after
 * a lost event and every CG_WATCH_REWALK cycles regardless, it walks. */
#ifndef VIRTMETER_CGROUP_WATCH_H
#define VIRTMETER_CGROUP_WATCH_H

#include <stdbool.h>

/* Cycles after which the tree is walked even without an event. */
#define CG_WATCH_REWALK 12

struct cg_watch {
	int fd;		     /* inotify descriptor, -1 without one */
	bool dirty;	     /* walk at the next cycle */
	bool broken;	     /* a watch could not be set: walk every cycle */
	unsigned since_walk; /* cycles since the last walk */
};

/* Opens the inotify descriptor; the first cycle walks. */
void cg_watch_init(struct cg_watch *w);

/* Closes it. */
void cg_watch_close(struct cg_watch *w);

/* Watches the directory at path (discovery's on_dir; arg is the struct
 * cg_watch). */
void cg_watch_dir(const char *path, void *arg);

/* Reads the pending events; whether this cycle must walk. */
bool cg_watch_changed(struct cg_watch *w);

/* Records a complete walk: the next cycles walk only on an event. */
void cg_watch_walked(struct cg_watch *w);

#endif
