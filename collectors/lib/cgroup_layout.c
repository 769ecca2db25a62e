/* Detection of the cgroup layout under one root directory, and the path
 * helpers that join a cgroup's relative path to each hierarchy: see
 * layout.h. Only stat, readdir and one small read of cgroup.controllers. */
#include "collectors/lib/cgroup_layout.h"
#include "exporter/api/base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* v1 controller names, indexed by enum cg_hier (the unified slot unused). */
static const char *const hier_names[CG_NHIERS] = {
    [CG_HIER_UNIFIED] = "unified", [CG_HIER_CPU] = "cpu",
    [CG_HIER_CPUACCT] = "cpuacct", [CG_HIER_MEMORY] = "memory",
    [CG_HIER_BLKIO] = "blkio",	   [CG_HIER_PIDS] = "pids",
};

const char *cg_mode_name(enum cg_mode mode)
{
	switch (mode) {
	case CG_MODE_V1:
		return "v1";
	case CG_MODE_V2:
		return "v2";
	case CG_MODE_HYBRID:
		return "hybrid";
	}
	return "?";
}

const char *cg_hier_name(enum cg_hier h)
{
	if ((unsigned)h >= CG_NHIERS)
		return "?";
	return hier_names[h];
}

/* The cgroup2 names of the controllers we read, and their bits. */
static const struct {
	const char *name;
	enum cg_hier hier;
} v2_ctrls[] = {
    {"cpu", CG_HIER_CPU},
    {"memory", CG_HIER_MEMORY},
    {"io", CG_HIER_BLKIO},
    {"pids", CG_HIER_PIDS},
};

int cg_layout_parse_controllers(const char *buf, size_t len, unsigned *mask)
{
	unsigned m = 0;
	size_t i = 0;

	while (i < len) {
		size_t start, n;

		while (i < len &&
		       (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
			i++;
		start = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\t' &&
		       buf[i] != '\n')
			i++;
		n = i - start;
		if (n == 0)
			break;
		/* Controller names are short; a long word means this is not a
		 * cgroup.controllers file. */
		if (n > 64)
			return -EINVAL;
		for (size_t k = 0; k < ARRAY_SIZE(v2_ctrls);
		     k++) {
			if (strlen(v2_ctrls[k].name) == n &&
			    memcmp(v2_ctrls[k].name, buf + start, n) == 0)
				m |= 1u << v2_ctrls[k].hier;
		}
	}
	*mask = m;
	return 0;
}

/* Whether dir/name exists as a regular file (following symlinks). */
static bool has_file(const char *dir, const char *name)
{
	char path[CG_LAYOUT_PATH_MAX + 64];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads dir/cgroup.controllers into a mask. A file that cannot be read
 * leaves the mask 0: the tree is still usable for cpu.stat and PSI. */
static unsigned read_controllers(const char *dir)
{
	char path[CG_LAYOUT_PATH_MAX + 64], buf[4096];
	unsigned mask = 0;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/cgroup.controllers", dir) >=
	    (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0 || cg_layout_parse_controllers(buf, (size_t)n, &mask) < 0)
		return 0;
	return mask;
}

/* Joins a and b with a '/' into out. Returns 0 or -ENAMETOOLONG. */
static int join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Whether the comma-separated list name (a v1 mount point such as
 * "cpu,cpuacct") names controller ctrl. */
static bool lists_controller(const char *name, const char *ctrl)
{
	size_t clen = strlen(ctrl);
	const char *p = name;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == clen && memcmp(p, ctrl, n) == 0)
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}

/* What the scan of the root found for one controller: the best entry so
 * far, and whether it is a symlink (a real directory wins over systemd's
 * compatibility symlinks, and the smaller name wins a tie, so that the
 * result does not depend on readdir order). */
struct pick {
	char name[256];
	bool is_link;
	bool found;
};

static void consider(struct pick *p, const char *name, bool is_link)
{
	if (p->found && (is_link > p->is_link ||
			 (is_link == p->is_link && strcmp(name, p->name) >= 0)))
		return;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->is_link = is_link;
	p->found = true;
}

/* Looks at one entry of the root as a possible v1 hierarchy. */
static void scan_entry(const char *root, int dfd, const char *name,
		       struct pick picks[CG_NHIERS])
{
	char dir[CG_LAYOUT_PATH_MAX];
	struct stat st, lst;

	if (name[0] == '.' || strcmp(name, "unified") == 0 ||
	    strlen(name) >= 256)
		return;
	if (fstatat(dfd, name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
		return;
	if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (join(dir, sizeof(dir), root, name) < 0 ||
	    !has_file(dir, "cgroup.procs"))
		return;
	for (int h = CG_HIER_CPU; h < CG_NHIERS; h++) {
		if (lists_controller(name, hier_names[h]))
			consider(&picks[h], name, S_ISLNK(lst.st_mode));
	}
}

/* Fills the v1 slots of l from the subdirectories of root. Returns the
 * number of hierarchies found, or a negative errno. */
static int scan_v1(const char *root, struct cg_layout *l)
{
	struct pick picks[CG_NHIERS];
	struct dirent *e;
	DIR *d;
	int found = 0;

	memset(picks, 0, sizeof(picks));
	d = opendir(root);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		scan_entry(root, dirfd(d), e->d_name, picks);
	closedir(d);
	for (int h = CG_HIER_CPU; h < CG_NHIERS; h++) {
		if (!picks[h].found)
			continue;
		if (join(l->dir[h], sizeof(l->dir[h]), root, picks[h].name) < 0)
			return -ENAMETOOLONG;
		found++;
	}
	return found;
}

int cg_layout_detect(const char *root, struct cg_layout *out)
{
	struct cg_layout l;
	char unified[CG_LAYOUT_PATH_MAX];
	struct stat st;
	int rc;

	if (!root || !out)
		return -EINVAL;
	if (strlen(root) >= CG_LAYOUT_PATH_MAX - 64)
		return -ENAMETOOLONG;
	if (stat(root, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	memset(&l, 0, sizeof(l));
	if (has_file(root, "cgroup.controllers")) {
		l.mode = CG_MODE_V2;
		snprintf(l.dir[CG_HIER_UNIFIED], CG_LAYOUT_PATH_MAX, "%s",
			 root);
		l.v2_controllers = read_controllers(root);
		*out = l;
		return 0;
	}
	rc = scan_v1(root, &l);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	l.mode = CG_MODE_V1;
	rc = join(unified, sizeof(unified), root, "unified");
	if (rc == 0 && has_file(unified, "cgroup.controllers")) {
		l.mode = CG_MODE_HYBRID;
		snprintf(l.dir[CG_HIER_UNIFIED], CG_LAYOUT_PATH_MAX, "%s",
			 unified);
		l.v2_controllers = read_controllers(unified);
	}
	*out = l;
	return 0;
}

bool cg_rel_path_valid(const char *rel)
{
	const char *p;

	if (!rel || rel[0] != '/' || strlen(rel) >= CG_REL_PATH_MAX)
		return false;
	for (p = rel; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

int cg_layout_path(const struct cg_layout *l, enum cg_hier h, const char *rel,
		   char *out, size_t size)
{
	int n;

	if (!l || (unsigned)h >= CG_NHIERS || !cg_rel_path_valid(rel))
		return -EINVAL;
	if (!l->dir[h][0])
		return -ENOENT;
	/* "/" is the root itself: no trailing slash. */
	n = snprintf(out, size, "%s%s", l->dir[h],
		     strcmp(rel, "/") == 0 ? "" : rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cg_layout_locate(const struct cg_layout *l, const char *rel, unsigned *mask)
{
	char path[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX];
	unsigned m = 0;

	if (!l || !mask || !cg_rel_path_valid(rel))
		return -EINVAL;
	for (int h = 0; h < CG_NHIERS; h++) {
		struct stat st;
		int rc =
		    cg_layout_path(l, (enum cg_hier)h, rel, path, sizeof(path));

		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			m |= 1u << h;
	}
	*mask = m;
	return 0;
}

int cg_layout_walk_hier(const struct cg_layout *l)
{
	static const enum cg_hier order[] = {
	    CG_HIER_MEMORY, CG_HIER_CPU,   CG_HIER_CPUACCT,
	    CG_HIER_PIDS,   CG_HIER_BLKIO, CG_HIER_UNIFIED,
	};

	if (!l)
		return -EINVAL;
	if (l->mode == CG_MODE_V2)
		return l->dir[CG_HIER_UNIFIED][0] ? CG_HIER_UNIFIED : -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (l->dir[order[i]][0])
			return order[i];
	}
	return -ENOENT;
}
