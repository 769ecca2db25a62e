/* inotify watches over the walked part of the cgroup tree (see watch.h). */
#include "collectors/cgroup/watch.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "exporter/api/log.h"

#define WATCH_MASK                                                        \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR)

void cg_watch_init(struct cg_watch *w)
{
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->dirty = true;
	w->broken = w->fd < 0;
	w->since_walk = 0;
	if (w->broken)
		log_debug("cgroup: no inotify (%s): the tree is walked every "
			  "cycle", strerror(errno));
}

void cg_watch_close(struct cg_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

void cg_watch_dir(const char *path, void *arg)
{
	struct cg_watch *w = arg;

	if (w->fd < 0 || w->broken)
		return;
	if (inotify_add_watch(w->fd, path, WATCH_MASK) >= 0 || errno == ENOENT)
		return; /* ENOENT: the directory went away meanwhile */
	/* ENOSPC (fs.inotify.max_user_watches) or any other refusal: a part
	 * of the tree would go unseen, so every cycle walks instead. */
	log_info("cgroup: cannot watch %s (%s): the cgroup tree is walked "
		 "every cycle", path, strerror(errno));
	w->broken = true;
}

bool cg_watch_changed(struct cg_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (w->fd < 0 || w->broken)
		return true;
	/* Any event on a watched directory (a child made, removed or moved,
	 * the directory itself gone, a lost event) means walking again. */
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		w->dirty = true;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		w->dirty = true;
	if (w->dirty || w->since_walk + 1 >= CG_WATCH_REWALK)
		return true;
	w->since_walk++;
	return false;
}

void cg_watch_walked(struct cg_watch *w)
{
	w->dirty = false;
	w->since_walk = 0;
}
