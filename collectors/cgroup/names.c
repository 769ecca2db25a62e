/* Container names from the runtimes' state files, parsed with yajl's tree
 * API: pure parsers over a buffer, and the bounded reads that feed them.
 * See names.h. yajl frees a tree recursively, so nesting is checked before
 * a text is handed to it. */
#include "collectors/cgroup/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "collectors/lib/scan.h"

static const struct cg_state_paths defaults = {
    .docker = "/var/lib/docker",
    .containerd = "/run/containerd",
    .crio = "/run/containers/storage",
    .podman = "/var/lib/containers/storage",
};

/* What cg_names_use_paths set, or NULL for the defaults. */
static const struct cg_state_paths *use_paths;

/* Most containerd namespaces looked at (k8s.io, moby, default, ...). */
#define MAX_NAMESPACES 64

void cg_meta_free(struct cg_meta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->image);
	free(m->pod);
	free(m->namespace);
	memset(m, 0, sizeof(*m));
}

/* ---- pure parsing ------------------------------------------------------ */

/* Parses len bytes at buf (at most max) into a yajl tree that the caller
 * frees with yajl_tree_free. Returns 0, -EINVAL or -ENOMEM. */
static int parse_tree(const char *buf, size_t len, size_t max, yajl_val *out)
{
	char *text;

	if (!buf || len == 0 || len > max ||
	    !scan_json_depth_ok(buf, len, CG_NAMES_MAX_DEPTH))
		return -EINVAL;
	/* yajl_tree_parse wants a NUL-terminated string. */
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, buf, len);
	text[len] = '\0';
	*out = yajl_tree_parse(text, NULL, 0);
	free(text);
	return *out ? 0 : -EINVAL;
}

/* The string at path under v, or NULL if it is missing, not a string,
 * empty or longer than CG_NAMES_MAX_VALUE. */
static const char *get_str(yajl_val v, const char **path)
{
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);
	const char *str = YAJL_GET_STRING(s);

	if (!str || !str[0] || strlen(str) > CG_NAMES_MAX_VALUE)
		return NULL;
	return str;
}

/* The string v itself (see get_str). */
static const char *str_value(yajl_val v)
{
	const char *none[] = {NULL};

	return v ? get_str(v, none) : NULL;
}

/* The string member key of object obj (see get_str). */
static const char *member(yajl_val obj, const char *key)
{
	const char *path[] = {key, NULL};

	return obj ? get_str(obj, path) : NULL;
}

/* Sets *dst to a copy of the first non-NULL of a and b, unless *dst is
 * already set. Returns 0 or -ENOMEM. */
static int take(char **dst, const char *a, const char *b)
{
	const char *s = a ? a : b;

	if (*dst || !s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int cg_names_parse_docker(const char *buf, size_t len, struct cg_meta *out)
{
	const char *labels_path[] = {"Config", "Labels", NULL};
	const char *image_path[] = {"Config", "Image", NULL};
	struct cg_meta m = {0};
	const char *name;
	yajl_val root, labels;
	int rc;

	rc = parse_tree(buf, len, CG_NAMES_MAX_FILE, &root);
	if (rc < 0)
		return rc;
	if (!YAJL_IS_OBJECT(root)) {
		rc = -EINVAL;
		goto out;
	}
	labels = yajl_tree_get(root, labels_path, yajl_t_object);
	name = member(root, "Name");
	/* Docker writes the name with a leading '/'. */
	while (name && *name == '/')
		name++;
	if (name && !*name)
		name = NULL;
	rc =
	    take(&m.name, member(labels, "io.kubernetes.container.name"), name);
	if (rc == 0)
		rc = take(&m.image, get_str(root, image_path), NULL);
	if (rc == 0)
		rc = take(&m.pod, member(labels, "io.kubernetes.pod.name"),
			  NULL);
	if (rc == 0)
		rc = take(&m.namespace,
			  member(labels, "io.kubernetes.pod.namespace"), NULL);
	m.sandbox = m.name && strcmp(m.name, "POD") == 0;
out:
	yajl_tree_free(root);
	if (rc == 0)
		*out = m;
	else
		cg_meta_free(&m);
	return rc;
}

static bool is_sandbox(yajl_val ann)
{
	const char *a = member(ann, "io.kubernetes.cri.container-type");
	const char *b = member(ann, "io.kubernetes.cri-o.ContainerType");

	return (a && strcmp(a, "sandbox") == 0) ||
	       (b && strcmp(b, "sandbox") == 0);
}

int cg_names_parse_oci(const char *buf, size_t len, struct cg_meta *out)
{
	const char *ann_path[] = {"annotations", NULL};
	struct cg_meta m = {0};
	yajl_val root, ann;
	int rc;

	rc = parse_tree(buf, len, CG_NAMES_MAX_FILE, &root);
	if (rc < 0)
		return rc;
	if (!YAJL_IS_OBJECT(root)) {
		rc = -EINVAL;
		goto out;
	}
	ann = yajl_tree_get(root, ann_path, yajl_t_object);
	m.sandbox = is_sandbox(ann);
	rc = take(&m.name, member(ann, "io.kubernetes.cri.container-name"),
		  member(ann, "io.kubernetes.container.name"));
	if (rc == 0 && m.sandbox)
		rc = take(&m.name, "POD", NULL);
	if (rc == 0)
		rc = take(&m.pod, member(ann, "io.kubernetes.cri.sandbox-name"),
			  member(ann, "io.kubernetes.pod.name"));
	if (rc == 0)
		rc = take(&m.namespace,
			  member(ann, "io.kubernetes.cri.sandbox-namespace"),
			  member(ann, "io.kubernetes.pod.namespace"));
	if (rc == 0)
		rc = take(&m.image, member(ann, "io.kubernetes.cri.image-name"),
			  member(ann, "io.kubernetes.cri-o.ImageName"));
out:
	yajl_tree_free(root);
	if (rc == 0)
		*out = m;
	else
		cg_meta_free(&m);
	return rc;
}

/* Fills m from one podman store entry: its first name, and the name and
 * image in its metadata (itself JSON text in a string). */
static int podman_entry(yajl_val entry, struct cg_meta *m)
{
	const char *names_path[] = {"names", NULL};
	yajl_val names = yajl_tree_get(entry, names_path, yajl_t_array);
	const char *meta = member(entry, "metadata");
	const char *first = NULL;
	yajl_val mt = NULL;
	int rc;

	if (names && names->u.array.len > 0)
		first = str_value(names->u.array.values[0]);
	if (meta &&
	    parse_tree(meta, strlen(meta), CG_NAMES_MAX_VALUE, &mt) == 0 &&
	    !YAJL_IS_OBJECT(mt)) {
		yajl_tree_free(mt);
		mt = NULL;
	}
	rc = take(&m->name, first, member(mt, "name"));
	if (rc == 0)
		rc = take(&m->image, member(mt, "image-name"), NULL);
	yajl_tree_free(mt);
	return rc;
}

int cg_names_parse_podman(const char *buf, size_t len, const char *id,
			  struct cg_meta *out)
{
	struct cg_meta m = {0};
	yajl_val root;
	int rc;

	if (!id)
		return -EINVAL;
	rc = parse_tree(buf, len, CG_NAMES_MAX_STORE, &root);
	if (rc < 0)
		return rc;
	rc = YAJL_IS_ARRAY(root) ? -ENOENT : -EINVAL;
	for (size_t i = 0; rc == -ENOENT && i < root->u.array.len; i++) {
		yajl_val e = root->u.array.values[i];
		const char *eid = YAJL_IS_OBJECT(e) ? member(e, "id") : NULL;

		if (eid && strcmp(eid, id) == 0)
			rc = podman_entry(e, &m);
	}
	yajl_tree_free(root);
	if (rc == 0)
		*out = m;
	else
		cg_meta_free(&m);
	return rc;
}

/* ---- reading the state files ------------------------------------------- */

/* Reads the regular file path, at most max bytes, into a malloc'd buffer
 * that the caller frees. Opened non-blocking so that a FIFO put in its
 * place cannot stall the collector. Returns 0, -EFBIG if the file is
 * larger than max, or a negative errno. */
static int read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc(max + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	/* One byte more than allowed tells a file that is too large. */
	while (len <= max) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		rc = -EFBIG;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Reads path and parses it with parse into m. */
static int load(const char *path, size_t max,
		int (*parse)(const char *, size_t, struct cg_meta *),
		struct cg_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, max, &buf, &len);

	if (rc == 0)
		rc = parse(buf, len, m);
	free(buf);
	return rc;
}

/* Joins the NULL-terminated parts with '/' into out. Returns 0 or
 * -ENAMETOOLONG. */
static int join_path(char *out, size_t size, const char *const *parts)
{
	size_t o = 0;

	for (size_t i = 0; parts[i]; i++) {
		size_t n = strlen(parts[i]);

		if (o + (i > 0) + n >= size)
			return -ENAMETOOLONG;
		if (i > 0)
			out[o++] = '/';
		memcpy(out + o, parts[i], n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* containerd keeps one bundle directory per namespace: look in each. */
static int load_containerd(const char *base, const char *id, struct cg_meta *m)
{
	const char *dparts[] = {base, "io.containerd.runtime.v2.task", NULL};
	char dir[4096], path[4096];
	struct dirent *e;
	unsigned seen = 0;
	DIR *d;
	int rc = -ENOENT;

	if (join_path(dir, sizeof(dir), dparts) < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while (rc == -ENOENT && seen++ < MAX_NAMESPACES && (e = readdir(d))) {
		const char *parts[] = {dir, e->d_name, id, "config.json", NULL};

		if (e->d_name[0] == '.' ||
		    join_path(path, sizeof(path), parts) < 0)
			continue;
		rc = load(path, CG_NAMES_MAX_FILE, cg_names_parse_oci, m);
		/* A stray file beside the namespace directories. */
		if (rc == -ENOTDIR)
			rc = -ENOENT;
	}
	closedir(d);
	return rc;
}

/* Podman's store lists every container; the volatile file holds those
 * created with --transient-store. */
static int load_podman(const char *base, const char *id, struct cg_meta *m)
{
	static const char *const files[] = {"containers.json",
					    "volatile-containers.json"};
	char path[4096];
	int rc = -ENOENT;

	for (size_t i = 0; i < 2 && (rc == -ENOENT); i++) {
		char *buf = NULL;
		size_t len = 0;

		const char *parts[] = {base, "overlay-containers", files[i],
				       NULL};

		if (join_path(path, sizeof(path), parts) < 0)
			return -ENAMETOOLONG;
		rc = read_file(path, CG_NAMES_MAX_STORE, &buf, &len);
		if (rc == 0)
			rc = cg_names_parse_podman(buf, len, id, m);
		free(buf);
	}
	return rc;
}

/* Whether id can be put in a path: no '/', not "." or "..", not empty. */
static bool id_is_safe(const char *id)
{
	return id && id[0] && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0;
}

/* Copies what m says into c. Returns 0 or -ENOMEM. */
static int apply(const struct cg_meta *m, struct cg_container *c)
{
	int rc = 0;

	if (m->name)
		rc = cg_set_string(&c->name, m->name);
	if (rc == 0 && m->image)
		rc = cg_set_string(&c->image, m->image);
	if (rc == 0 && m->pod)
		rc = cg_set_string(&c->pod, m->pod);
	if (rc == 0 && m->namespace)
		rc = cg_set_string(&c->namespace, m->namespace);
	return rc;
}

/* Looks c up in the state of runtime rt. */
static int lookup(const struct cg_state_paths *p, enum cg_runtime rt,
		  const char *id, struct cg_meta *m)
{
	const char *docker[] = {p->docker, "containers", id, "config.v2.json",
				NULL};
	const char *crio[] = {p->crio,	  "overlay-containers", id,
			      "userdata", "config.json",	NULL};
	char path[4096];

	switch (rt) {
	case CG_RT_DOCKER:
		if (join_path(path, sizeof(path), docker) < 0)
			return -ENAMETOOLONG;
		return load(path, CG_NAMES_MAX_FILE, cg_names_parse_docker, m);
	case CG_RT_CONTAINERD:
		return load_containerd(p->containerd, id, m);
	case CG_RT_CRIO:
		if (join_path(path, sizeof(path), crio) < 0)
			return -ENAMETOOLONG;
		return load(path, CG_NAMES_MAX_FILE, cg_names_parse_oci, m);
	case CG_RT_PODMAN:
		return load_podman(p->podman, id, m);
	default:
		return -ENOENT;
	}
}

void cg_names_use_paths(const struct cg_state_paths *paths)
{
	use_paths = paths;
}

int cg_names_resolve(const struct cg_state_paths *paths, struct cg_container *c)
{
	struct cg_state_paths p = paths	      ? *paths
				  : use_paths ? *use_paths
					      : defaults;
	enum cg_runtime rt;
	struct cg_meta m = {0};
	int rc;

	if (!c)
		return -EINVAL;
	if (c->runtime == CG_RT_LXC || c->runtime == CG_RT_SYSTEMD)
		return 0;
	if (!id_is_safe(c->id))
		return -EINVAL;
	p.docker = p.docker ? p.docker : defaults.docker;
	p.containerd = p.containerd ? p.containerd : defaults.containerd;
	p.crio = p.crio ? p.crio : defaults.crio;
	p.podman = p.podman ? p.podman : defaults.podman;
	rt = c->runtime;
	rc = lookup(&p, rt, c->id, &m);
	/* Under a cgroupfs-driver pod the bare id may be docker's. */
	if (rc == -ENOENT && rt == CG_RT_CONTAINERD && c->pod_uid[0]) {
		rt = CG_RT_DOCKER;
		rc = lookup(&p, rt, c->id, &m);
	}
	if (rc == 0)
		rc = apply(&m, c);
	if (rc == 0)
		c->runtime = rt;
	cg_meta_free(&m);
	return rc;
}
