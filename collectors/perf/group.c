/* Per-target, per-CPU event groups (see perf_group.h). */
#include "collectors/perf/group.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/perf/scale.h"

int perf_target_init(struct perf_target *t, const struct perf_layout *lay)
{
	size_t n = lay->n ? lay->n : 1;

	memset(t, 0, sizeof(*t));
	t->lay = lay;
	t->total = calloc(n, sizeof(*t->total));
	t->ratio = calloc(n, sizeof(*t->ratio));
	if (!t->total || !t->ratio) {
		perf_target_close(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lay->n; i++)
		t->ratio[i] = 1.0;
	return 0;
}

/* Closes the descriptors of g and frees its arrays. */
static void group_close(struct perf_cpu_group *g, size_t n)
{
	/* Members before the leader, as perf(1) does. */
	for (size_t i = n; g->fd && i-- > 0;)
		if (g->fd[i] >= 0)
			close(g->fd[i]);
	free(g->fd);
	free(g->prev);
	g->fd = NULL;
	g->prev = NULL;
}

/* Opens the group of layout lay on cpu into g, counting the cgroup behind
 * cgfd (or the whole CPU when cgfd is -1). Returns 0 or a negative errno
 * (nothing is left open). */
static int group_open(struct perf_cpu_group *g, const struct perf_layout *lay,
		      int cpu, int cgfd)
{
	unsigned long flags = PERF_FLAG_FD_CLOEXEC;
	int pid = -1, err;

	if (cgfd >= 0) {
		flags |= PERF_FLAG_PID_CGROUP;
		pid = cgfd;
	}
	g->cpu = cpu;
	g->fd = malloc(lay->n * sizeof(*g->fd));
	g->prev = calloc(2 * lay->ngroups + lay->n, sizeof(*g->prev));
	if (!g->fd || !g->prev) {
		group_close(g, 0);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lay->n; i++)
		g->fd[i] = -1;
	for (size_t k = 0; k < lay->ngroups; k++) {
		size_t lead = lay->start[k];

		for (size_t i = lead; i < lay->start[k + 1]; i++) {
			struct perf_event_attr attr = lay->attr[i];

			g->fd[i] = perf_events_open(&attr, pid, cpu,
						    i > lead ? g->fd[lead] : -1,
						    flags);
			if (g->fd[i] < 0) {
				err = -errno;
				group_close(g, lay->n);
				return err;
			}
		}
	}
	return 0;
}

/* Whether err means "out of descriptors or memory": worth stopping for. */
static bool out_of_room(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM;
}

/* Opens groups on the CPUs of cpus[0..n) that t has no group for, into
 * next (room for n), moving t's existing groups there (their slot in t is
 * left with fd NULL). *nn gets the number of groups in next, on error too;
 * *cgfd is the cgroup directory, opened on first need; *refused the errno
 * of the first CPU that refused a group. Returns 0, or a negative errno
 * when it stopped early (cgroup gone, out of descriptors or memory). */
static int merge_groups(struct perf_target *t, const int *cpus, size_t n,
			const char *cgdir, struct perf_cpu_group *next,
			size_t *nn, int *cgfd, int *refused)
{
	size_t j = 0, k = 0;
	int err = 0;

	for (size_t i = 0; i < n && err == 0; i++) {
		while (j < t->ng && t->g[j].cpu < cpus[i])
			j++;
		if (j < t->ng && t->g[j].cpu == cpus[i]) {
			next[k++] = t->g[j];
			t->g[j].fd = NULL; /* moved */
			t->g[j].prev = NULL;
			continue;
		}
		if (cgdir && *cgfd < 0) {
			*cgfd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (*cgfd < 0) {
				err = -errno;
				break;
			}
		}
		err = group_open(&next[k], t->lay, cpus[i], *cgfd);
		if (err == 0)
			k++;
		else if (!out_of_room(err)) {
			if (!*refused)
				*refused = err;
			err = 0;
		}
	}
	*nn = k;
	return err;
}

/* Undoes a failed merge: groups moved from t go back to their slot, new
 * ones are closed. */
static void give_back(struct perf_target *t, struct perf_cpu_group *next,
		      size_t nn)
{
	for (size_t k = 0; k < nn; k++) {
		bool returned = false;

		for (size_t j = 0; j < t->ng && !returned; j++)
			if (t->g[j].cpu == next[k].cpu && !t->g[j].fd) {
				t->g[j] = next[k];
				returned = true;
			}
		if (!returned)
			group_close(&next[k], t->lay->n);
	}
}

int perf_target_sync(struct perf_target *t, const int *cpus, size_t n,
		     const char *cgdir)
{
	struct perf_cpu_group *next = calloc(n ? n : 1, sizeof(*next));
	size_t nn = 0;
	int cgfd = -1, refused = 0, err;

	if (!next)
		return -ENOMEM;
	err = merge_groups(t, cpus, n, cgdir, next, &nn, &cgfd, &refused);
	if (cgfd >= 0)
		close(cgfd); /* the open counters hold the cgroup */
	if (err < 0) {
		give_back(t, next, nn);
		free(next);
		return err;
	}
	for (size_t j = 0; j < t->ng; j++)
		group_close(&t->g[j], t->lay->n); /* CPUs gone offline */
	free(t->g);
	t->g = next;
	t->ng = nn;
	t->nfds = nn * t->lay->n;
	return nn == 0 && n > 0 ? refused : 0;
}

/* Reads group k of every CPU of t into t's totals and ratio. Returns 0
 * or the negative errno of the first failed read. */
static int read_group(struct perf_target *t, size_t k)
{
	const struct perf_layout *lay = t->lay;
	size_t lead = lay->start[k], n = lay->start[k + 1] - lead;
	uint64_t buf[PERF_GROUP_WORDS(PERF_MAX_SLOTS)];
	uint64_t delta[PERF_MAX_SLOTS];
	struct perf_times sum = {0, 0}, tm;
	int first_err = 0;

	for (size_t c = 0; c < t->ng; c++) {
		uint64_t *prev = t->g[c].prev + 2 * k + lead;
		ssize_t got = read(t->g[c].fd[lead], buf,
				   PERF_GROUP_WORDS(n) * sizeof(buf[0]));

		if (got < 0 ||
		    perf_scale_group(buf, (size_t)got / sizeof(buf[0]), n, prev,
				     delta, &tm) < 0) {
			if (!first_err)
				first_err = got < 0 ? -errno : -EIO;
			continue;
		}
		for (size_t e = 0; e < n; e++)
			t->total[lead + e] =
			    delta[e] > UINT64_MAX - t->total[lead + e]
				? UINT64_MAX
				: t->total[lead + e] + delta[e];
		sum.enabled += tm.enabled;
		sum.running += tm.running;
	}
	for (size_t e = 0; e < n; e++)
		t->ratio[lead + e] = perf_scale_ratio(&sum, t->ratio[lead + e]);
	return first_err;
}

int perf_target_read(struct perf_target *t)
{
	int err, first_err = 0;

	for (size_t k = 0; k < t->lay->ngroups; k++) {
		err = read_group(t, k);
		if (err < 0 && !first_err)
			first_err = err;
	}
	return first_err;
}

void perf_target_close(struct perf_target *t)
{
	for (size_t i = 0; i < t->ng; i++)
		group_close(&t->g[i], t->lay->n);
	free(t->g);
	free(t->total);
	free(t->ratio);
	memset(t, 0, sizeof(*t));
}
