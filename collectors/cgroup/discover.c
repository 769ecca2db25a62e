/* Container discovery: the pure classifier of cgroup paths, the bounded
 * walk that applies it to one hierarchy, the list that holds the result
 * and the include/exclude filter. See discover.h. */
#include "collectors/cgroup/discover.h"
#include "exporter/api/base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of a container id as docker, podman, containerd and cri-o write
 * it, and of the short form used as a fallback name. */
#define ID_LEN 64
#define SHORT_ID_LEN 12

const char *cg_runtime_name(enum cg_runtime rt)
{
	static const char *const names[CG_NRUNTIMES] = {
	    [CG_RT_DOCKER] = "docker",
	    [CG_RT_PODMAN] = "podman",
	    [CG_RT_CONTAINERD] = "containerd",
	    [CG_RT_CRIO] = "crio",
	    [CG_RT_LXC] = "lxc",
	    [CG_RT_SYSTEMD] = "systemd",
	};

	if ((unsigned)rt >= CG_NRUNTIMES)
		return "?";
	return names[rt];
}

const char *cg_qos_name(enum cg_qos qos)
{
	switch (qos) {
	case CG_QOS_GUARANTEED:
		return "guaranteed";
	case CG_QOS_BURSTABLE:
		return "burstable";
	case CG_QOS_BESTEFFORT:
		return "besteffort";
	case CG_QOS_NONE:
		break;
	}
	return "";
}

/* ---- the classifier ------------------------------------------------- */

/* One path component: n bytes at p, not NUL-terminated. */
struct comp {
	const char *p;
	size_t n;
};

/* The last components of path, last first: c[0] is the cgroup itself,
 * c[1] its parent, ... Missing ones are empty. */
#define NCOMPS 4

static void last_components(const char *path, struct comp c[NCOMPS])
{
	const char *end = path + strlen(path);

	for (size_t i = 0; i < NCOMPS; i++) {
		const char *start;

		while (end > path && end[-1] == '/')
			end--;
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		c[i].p = start;
		c[i].n = (size_t)(end - start);
		end = start;
	}
}

static bool comp_is(const struct comp *c, const char *s)
{
	return c->n == strlen(s) && memcmp(c->p, s, c->n) == 0;
}

static bool comp_starts(const struct comp *c, const char *prefix)
{
	size_t n = strlen(prefix);

	return c->n >= n && memcmp(c->p, prefix, n) == 0;
}

static bool comp_ends(const struct comp *c, const char *suffix)
{
	size_t n = strlen(suffix);

	return c->n >= n && memcmp(c->p + c->n - n, suffix, n) == 0;
}

static bool is_hex_id(const char *p, size_t n)
{
	if (n != ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	}
	return true;
}

/* Copies n bytes at p into a NUL-terminated field of CG_NAME_MAX bytes.
 * Returns false if it does not fit. */
static bool copy_field(char *out, const char *p, size_t n)
{
	if (n >= CG_NAME_MAX)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Sets the id and, as the fallback name, its first 12 characters. */
static void set_hex_id(struct cg_match *m, const char *p)
{
	copy_field(m->id, p, ID_LEN);
	copy_field(m->name, p, SHORT_ID_LEN);
}

/* PREFIX<64 hex>SUFFIX container names, one table entry per runtime and
 * cgroup driver. */
static const struct {
	const char *prefix;
	const char *suffix;
	enum cg_runtime rt;
} scoped[] = {
    {"docker-", ".scope", CG_RT_DOCKER}, /* systemd driver */
    {"libpod-", ".scope", CG_RT_PODMAN}, /* systemd driver */
    {"libpod-", "", CG_RT_PODMAN},	 /* libpod_parent/ */
    {"cri-containerd-", ".scope", CG_RT_CONTAINERD},
    {"crio-", ".scope", CG_RT_CRIO},
    {"crio-", "", CG_RT_CRIO}, /* cgroupfs driver */
};

/* Cgroups that belong to a runtime but hold no container, and are
 * leaves: conmon monitors, LXC's monitor and pivot cgroups. */
static const char *const helpers[] = {
    "libpod-conmon-",
    "crio-conmon-",
    "lxc.monitor.",
    "lxc.pivot",
};

static bool match_scoped(const struct comp *last, struct cg_match *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(scoped); i++) {
		size_t pn = strlen(scoped[i].prefix),
		       sn = strlen(scoped[i].suffix);

		if (!comp_starts(last, scoped[i].prefix) ||
		    !comp_ends(last, scoped[i].suffix) || last->n < pn + sn ||
		    !is_hex_id(last->p + pn, last->n - pn - sn))
			continue;
		m->runtime = scoped[i].rt;
		set_hex_id(m, last->p + pn);
		return true;
	}
	return false;
}

/* The QoS class named by the part of a systemd pod slice before "-pod":
 * "kubepods" (guaranteed pods sit right under it), "kubepods-burstable" or
 * "kubepods-besteffort", possibly after a prefix such as "kubelet-". */
static enum cg_qos slice_qos(const char *p, size_t n)
{
	const struct comp s = {.p = p, .n = n};

	if (comp_is(&s, "kubepods") || comp_ends(&s, "-kubepods"))
		return CG_QOS_GUARANTEED;
	if (comp_ends(&s, "kubepods-burstable"))
		return CG_QOS_BURSTABLE;
	if (comp_ends(&s, "kubepods-besteffort"))
		return CG_QOS_BESTEFFORT;
	return CG_QOS_NONE;
}

/* The QoS class of a cgroupfs pod directory from its parents c[2], c[3]:
 * "kubepods/pod<UID>" or "kubepods/QOS/pod<UID>". */
static enum cg_qos dir_qos(const struct comp c[NCOMPS])
{
	if (comp_is(&c[2], "kubepods"))
		return CG_QOS_GUARANTEED;
	if (comp_is(&c[2], "burstable") && comp_is(&c[3], "kubepods"))
		return CG_QOS_BURSTABLE;
	if (comp_is(&c[2], "besteffort") && comp_is(&c[3], "kubepods"))
		return CG_QOS_BESTEFFORT;
	return CG_QOS_NONE;
}

/* Reads the pod UID and QoS class from the parents of a container, if it
 * sits directly in a Kubernetes pod cgroup: systemd driver
 * "kubepods[-QOS]-pod<UID, '-' written '_'>.slice", or cgroupfs driver
 * "kubepods[/QOS]/pod<UID>". Returns whether it does. */
static bool match_pod(const struct comp c[NCOMPS], struct cg_match *m)
{
	const struct comp *pod = &c[1];
	const char *uid = NULL;
	size_t un = 0;

	m->qos = CG_QOS_NONE;
	if (comp_ends(pod, ".slice")) {
		size_t n = pod->n - strlen(".slice");

		for (size_t k = n; k >= 4 && !uid; k--) {
			if (memcmp(pod->p + k - 4, "-pod", 4) == 0) {
				uid = pod->p + k;
				un = n - k;
				m->qos = slice_qos(pod->p, k - 4);
			}
		}
	} else if (comp_starts(pod, "pod")) {
		uid = pod->p + 3;
		un = pod->n - 3;
		m->qos = dir_qos(c);
	}
	if (m->qos == CG_QOS_NONE || un == 0 ||
	    !copy_field(m->pod_uid, uid, un)) {
		m->qos = CG_QOS_NONE;
		return false;
	}
	for (char *q = m->pod_uid; *q; q++) {
		if (*q == '_')
			*q = '-';
		if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
		      (*q >= 'A' && *q <= 'Z') || *q == '-')) {
			m->qos = CG_QOS_NONE;
			return false;
		}
	}
	return true;
}

/* Whether an unescaped machine name is one that libvirt registers for a
 * domain ("qemu-1-web", "lxc-4242-box"): those VMs are the libvirt
 * collector's. */
static bool is_libvirt_machine(const char *name)
{
	static const char *const drivers[] = {"qemu-", "lxc-", "libxl-"};

	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
		size_t n = strlen(drivers[i]);
		const char *p = name + n;

		if (strncmp(name, drivers[i], n) != 0)
			continue;
		if (*p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '-')
			return true;
	}
	return false;
}

/* machine-NAME.scope under machine.slice: a container that registered
 * with systemd-machined (nspawn), unless libvirt registered it. */
static enum cg_class match_machine(const struct comp c[NCOMPS],
				   struct cg_match *m)
{
	const struct comp *last = &c[0];
	size_t pn = strlen("machine-"), sn = strlen(".scope");

	if (last->n <= pn + sn ||
	    cg_unescape_systemd(last->p + pn, last->n - pn - sn, m->name,
				sizeof(m->name)) < 0)
		return CG_CLASS_DESCEND;
	if (is_libvirt_machine(m->name))
		return CG_CLASS_PRUNE;
	if (!comp_is(&c[1], "machine.slice") || strchr(m->name, '/'))
		return CG_CLASS_DESCEND;
	m->runtime = CG_RT_SYSTEMD;
	snprintf(m->id, sizeof(m->id), "%s", m->name);
	return CG_CLASS_CONTAINER;
}

/* LXC: "lxc.payload.NAME" (LXC 4 and later) or "lxc/NAME" (older). */
static bool match_lxc(const struct comp c[NCOMPS], struct cg_match *m)
{
	const struct comp *last = &c[0];
	size_t pn = strlen("lxc.payload.");

	if (comp_starts(last, "lxc.payload.") && last->n > pn) {
		if (!copy_field(m->name, last->p + pn, last->n - pn))
			return false;
	} else if (comp_is(&c[1], "lxc")) {
		if (!copy_field(m->name, last->p, last->n))
			return false;
	} else {
		return false;
	}
	m->runtime = CG_RT_LXC;
	snprintf(m->id, sizeof(m->id), "%s", m->name);
	return true;
}

enum cg_class cg_classify(const char *rel_path, struct cg_match *m)
{
	struct comp c[NCOMPS];
	const struct comp *last = &c[0];
	bool pod;

	last_components(rel_path, c);
	if (last->n == 0)
		return CG_CLASS_DESCEND;
	memset(m, 0, sizeof(*m));
	pod = match_pod(c, m);
	if (!pod)
		m->pod_uid[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(helpers); i++) {
		if (comp_starts(last, helpers[i]))
			return CG_CLASS_PRUNE;
	}
	if (match_scoped(last, m))
		return CG_CLASS_CONTAINER;
	if (is_hex_id(last->p, last->n) && (comp_is(&c[1], "docker") || pod)) {
		/* The cgroupfs drivers name the cgroup by the bare id: docker
		 * under "docker", a CRI runtime under the pod (containerd is
		 * the common one; names.c corrects it to docker when docker's
		 * state has the id). */
		m->runtime =
		    comp_is(&c[1], "docker") ? CG_RT_DOCKER : CG_RT_CONTAINERD;
		set_hex_id(m, last->p);
		return CG_CLASS_CONTAINER;
	}
	if (match_lxc(c, m))
		return CG_CLASS_CONTAINER;
	if (comp_ends(last, ".libvirt-qemu") || comp_ends(last, ".libvirt-lxc"))
		return CG_CLASS_PRUNE;
	if (comp_starts(last, "machine-") && comp_ends(last, ".scope"))
		return match_machine(c, m);
	return CG_CLASS_DESCEND;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int cg_unescape_systemd(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		char ch = in[i];

		if (ch == '\\' && i + 3 < len && in[i + 1] == 'x' &&
		    hex_value(in[i + 2]) >= 0 && hex_value(in[i + 3]) >= 0) {
			int v =
			    hex_value(in[i + 2]) * 16 + hex_value(in[i + 3]);

			if (v != 0) {
				ch = (char)v;
				i += 3;
			}
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/* ---- the list --------------------------------------------------------- */

static void container_free(struct cg_container *c)
{
	free(c->rel_path);
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->pod);
	free(c->pod_uid);
	free(c->namespace);
	memset(c, 0, sizeof(*c));
}

void cg_discover_free(struct cg_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		container_free(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

int cg_list_add(struct cg_list *list, const char *rel_path,
		const struct cg_match *m)
{
	struct cg_container c = {.runtime = m->runtime, .qos = m->qos};

	if (list->n == list->cap) {
		size_t ncap = list->cap ? list->cap * 2 : 16;
		struct cg_container *p =
		    reallocarray(list->items, ncap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		list->items = p;
		list->cap = ncap;
	}
	c.rel_path = strdup(rel_path);
	c.id = strdup(m->id);
	c.name = strdup(m->name);
	c.image = strdup("");
	c.pod = strdup("");
	c.pod_uid = strdup(m->pod_uid);
	c.namespace = strdup("");
	if (!c.rel_path || !c.id || !c.name || !c.image || !c.pod ||
	    !c.pod_uid || !c.namespace) {
		container_free(&c);
		return -ENOMEM;
	}
	list->items[list->n++] = c;
	return 0;
}

int cg_set_string(char **field, const char *value)
{
	char *copy = strdup(value ? value : "");

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* ---- the walk ----------------------------------------------------------- */

struct walk {
	const char *root; /* the walked hierarchy's directory */
	struct cg_list *out;
	struct cg_discover_limits lim;
	size_t ndirs;
	bool stop;
	char rel[CG_REL_PATH_MAX];
	size_t len;
};

static int walk_dir(struct walk *w, int fd, unsigned depth);

/* Hands the directory now in w->rel to the caller's on_dir, if any. */
static void notify_dir(const struct walk *w)
{
	char path[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX + 2];
	int n;

	if (!w->lim.on_dir)
		return;
	n = snprintf(path, sizeof(path), "%s%s", w->root, w->rel);
	if (n > 0 && (size_t)n < sizeof(path))
		w->lim.on_dir(path, w->lim.arg);
}

/* Whether entry e of the directory dfd is a directory, without following
 * symlinks (cgroupfs has none; a fixture tree might). */
static bool entry_is_dir(int dfd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type == DT_DIR)
		return true;
	if (e->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* Handles the cgroup now in w->rel, called name in the directory dfd, at
 * depth levels below the root. Returns 0 or -ENOMEM. */
static int visit(struct walk *w, int dfd, const char *name, unsigned depth)
{
	struct cg_match m;
	int fd;

	switch (cg_classify(w->rel, &m)) {
	case CG_CLASS_CONTAINER:
		if (w->out->n >= w->lim.max_containers) {
			w->out->truncated = true;
			w->stop = true;
			return 0;
		}
		return cg_list_add(w->out, w->rel, &m);
	case CG_CLASS_PRUNE:
		return 0;
	case CG_CLASS_DESCEND:
		break;
	}
	if (depth >= w->lim.max_depth)
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* A cgroup removed since readdir, or one we may not read: skip it. */
	if (fd < 0)
		return 0;
	notify_dir(w);
	return walk_dir(w, fd, depth);
}

/* Visits every subdirectory of fd (which this takes over), a cgroup at
 * depth levels below the root whose path is w->rel. Returns 0 or
 * -ENOMEM. */
static int walk_dir(struct walk *w, int fd, unsigned depth)
{
	struct dirent *e;
	DIR *d = fdopendir(fd);
	int rc = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	while (rc == 0 && !w->stop && (e = readdir(d))) {
		size_t save = w->len, n = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || !entry_is_dir(dirfd(d), e))
			continue;
		if (w->ndirs >= w->lim.max_dirs) {
			w->out->truncated = true;
			w->stop = true;
			break;
		}
		w->ndirs++;
		if (save + 1 + n >= sizeof(w->rel))
			continue;
		w->rel[save] = '/';
		memcpy(w->rel + save + 1, e->d_name, n + 1);
		w->len = save + 1 + n;
		rc = visit(w, dirfd(d), e->d_name, depth + 1);
		w->len = save;
		w->rel[save] = '\0';
	}
	closedir(d);
	return rc;
}

static int by_rel_path(const void *a, const void *b)
{
	const struct cg_container *x = a, *y = b;

	return strcmp(x->rel_path, y->rel_path);
}

int cg_discover(const struct cg_layout *l,
		const struct cg_discover_limits *limits, struct cg_list *out)
{
	struct walk *w;
	int h, fd, rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	h = cg_layout_walk_hier(l);
	if (h < 0)
		return h;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->out = out;
	if (limits)
		w->lim = *limits;
	if (!w->lim.max_depth)
		w->lim.max_depth = CG_DISCOVER_MAX_DEPTH;
	if (!w->lim.max_dirs)
		w->lim.max_dirs = CG_DISCOVER_MAX_DIRS;
	if (!w->lim.max_containers)
		w->lim.max_containers = CG_DISCOVER_MAX_CONTAINERS;
	w->root = l->dir[h];
	fd = open(l->dir[h], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	notify_dir(w);
	rc = walk_dir(w, fd, 0);
	if (rc == 0 && out->n > 1)
		qsort(out->items, out->n, sizeof(out->items[0]), by_rel_path);
out:
	free(w);
	return rc;
}

/* ---- the filter -----------------------------------------------------------
 */

static bool any_match(const char *const *pats, size_t n, const char *name,
		      const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (fnmatch(pats[i], name, 0) == 0 ||
		    fnmatch(pats[i], id, 0) == 0)
			return true;
	}
	return false;
}

bool cg_filter_match(const struct cg_filter *f, const char *name,
		     const char *id)
{
	if (!f)
		return true;
	if (f->ninclude && !any_match(f->include, f->ninclude, name, id))
		return false;
	return !any_match(f->exclude, f->nexclude, name, id);
}

void cg_list_filter(struct cg_list *list, const struct cg_filter *f)
{
	size_t kept = 0;

	for (size_t i = 0; i < list->n; i++) {
		struct cg_container *c = &list->items[i];

		if (!cg_filter_match(f, c->name, c->id)) {
			container_free(c);
			continue;
		}
		if (kept != i)
			list->items[kept] = *c;
		kept++;
	}
	list->n = kept;
}
