/* Discovery of containers from their cgroups: a bounded walk of one
 * hierarchy that recognises each runtime's cgroup names (docker, podman,
 * containerd, cri-o, LXC, systemd-machined containers, Kubernetes pods),
 * leaves libvirt's VMs to the libvirt collector, and filters the result
 * with the configured include and exclude patterns. Readable names come
 * from names.h afterwards. */
#ifndef VIRTMETER_CGROUP_DISCOVER_H
#define VIRTMETER_CGROUP_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "collectors/lib/cgroup_layout.h"

enum cg_runtime {
	CG_RT_DOCKER,
	CG_RT_PODMAN,
	CG_RT_CONTAINERD,
	CG_RT_CRIO,
	CG_RT_LXC,
	CG_RT_SYSTEMD, /* a container registered with systemd-machined (nspawn)
			*/
	CG_NRUNTIMES
};

/* Kubernetes quality-of-service class of a pod, from its cgroup's place. */
enum cg_qos {
	CG_QOS_NONE,
	CG_QOS_GUARANTEED,
	CG_QOS_BURSTABLE,
	CG_QOS_BESTEFFORT
};

/* Longest id or name taken from a cgroup path (one path component). */
#define CG_NAME_MAX 256

/* Default bounds of a walk. */
#define CG_DISCOVER_MAX_DEPTH 8
#define CG_DISCOVER_MAX_DIRS 65536
#define CG_DISCOVER_MAX_CONTAINERS 16384

/* One container. Every string is owned by the list, never NULL, and ""
 * when unknown. */
struct cg_container {
	char *rel_path; /* its cgroup, relative to any hierarchy's root */
	enum cg_runtime runtime;
	char *id;      /* runtime id (64 hex digits), or the LXC/machine name */
	char *name;    /* readable name; falls back to the id's first 12
			  characters, or the name in the path */
	char *image;   /* image reference, "" if unknown */
	char *pod;     /* Kubernetes pod name, "" if unknown or none */
	char *pod_uid; /* Kubernetes pod UID from the path, "" if none */
	char *namespace; /* Kubernetes namespace, "" if unknown or none */
	enum cg_qos qos;
};

/* The containers found by one walk, sorted by rel_path. */
struct cg_list {
	struct cg_container *items;
	size_t n, cap;
	bool truncated; /* the directory or container bound was reached */
};

/* Bounds of one walk; 0 in a field means its CG_DISCOVER_* default. */
struct cg_discover_limits {
	unsigned max_depth;    /* levels below the hierarchy's root */
	size_t max_dirs;       /* directories looked at */
	size_t max_containers; /* containers kept */
	/* If set, called with the absolute path of each directory before its
	 * entries are read (the root included, containers not): where to put
	 * an inotify watch that sees the next container come or go. */
	void (*on_dir)(const char *path, void *arg);
	void *arg;
};

/* What cg_classify decides about one cgroup. */
enum cg_class {
	CG_CLASS_DESCEND,   /* not a container: look at its children */
	CG_CLASS_CONTAINER, /* a container: its children belong to it */
	CG_CLASS_PRUNE, /* a VM, a runtime's helper or LXC's monitor: skip it
			   and its children */
};

/* A container recognised in a path, before it is copied into a list. */
struct cg_match {
	enum cg_runtime runtime;
	char id[CG_NAME_MAX];
	char name[CG_NAME_MAX];	   /* fallback name */
	char pod_uid[CG_NAME_MAX]; /* "" outside Kubernetes */
	enum cg_qos qos;
};

/* Returns the runtime's label value: "docker", "podman", "containerd",
 * "crio", "lxc" or "systemd" (a static string; "?" if out of range). */
const char *cg_runtime_name(enum cg_runtime rt);

/* Returns "guaranteed", "burstable", "besteffort", or "" for CG_QOS_NONE
 * (a static string). */
const char *cg_qos_name(enum cg_qos qos);

/* Decides what the cgroup at rel_path (NUL-terminated, relative to a
 * hierarchy's root, leading '/') is, from its last component and, for
 * Kubernetes and the cgroupfs drivers, its parents. On CG_CLASS_CONTAINER
 * *m is filled in; otherwise it is left in an unspecified state. Pure:
 * looks at the string only. */
enum cg_class cg_classify(const char *rel_path, struct cg_match *m);

/* Undoes systemd's unit-name escaping (\xHH) of len bytes at in into out,
 * NUL-terminated. A malformed or NUL-producing escape is copied as it is.
 * Returns 0 or -ENAMETOOLONG if out is too small. */
int cg_unescape_systemd(const char *in, size_t len, char *out, size_t size);

/* Walks the hierarchy that cg_layout_walk_hier picks, within limits (NULL
 * for the defaults), and fills out with every container found: out is
 * initialised here and freed with cg_discover_free, also after an error.
 * Directories that vanish or cannot be read during the walk are skipped.
 * Returns 0 (out->truncated tells whether a bound was hit), -ENOENT if no
 * hierarchy is mounted, -ENOMEM, or the errno of opening the hierarchy's
 * root. */
int cg_discover(const struct cg_layout *l,
		const struct cg_discover_limits *limits, struct cg_list *out);

/* Frees every string of list and its array, and empties it. */
void cg_discover_free(struct cg_list *list);

/* Appends a container made from m found at rel_path, copying the strings
 * and setting name to the match's fallback. Returns 0 or -ENOMEM (the list
 * is then unchanged). For the walk and for tests. */
int cg_list_add(struct cg_list *list, const char *rel_path,
		const struct cg_match *m);

/* Replaces *field (a string owned by a list entry) with a copy of value.
 * Returns 0 or -ENOMEM (the old value is then kept). */
int cg_set_string(char **field, const char *value);

/* Include and exclude glob patterns (fnmatch, no flags), matched against a
 * container's name and against its id. */
struct cg_filter {
	const char *const *include;
	size_t ninclude;
	const char *const *exclude;
	size_t nexclude;
};

/* Whether a container called name with id id passes filter f: with
 * include patterns, one of them must match the name or the id; then no
 * exclude pattern may match either. A NULL or empty filter passes all. */
bool cg_filter_match(const struct cg_filter *f, const char *name,
		     const char *id);

/* Removes (and frees) the entries of list that f does not pass, keeping
 * the order of the others. */
void cg_list_filter(struct cg_list *list, const struct cg_filter *f);

#endif
