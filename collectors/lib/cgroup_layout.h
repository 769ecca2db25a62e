/* Which cgroup hierarchies a host has (v1, v2 or hybrid) and where each one
 * that virtmeter reads is mounted, found under one root directory
 * (--path.cgroupfs) with stat and readdir only, so that tests can point it
 * at fixture trees. */
#ifndef VIRTMETER_CGROUP_LAYOUT_H
#define VIRTMETER_CGROUP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest absolute directory of a hierarchy that a layout records. */
#define CG_LAYOUT_PATH_MAX 1024

/* Longest cgroup path, relative to a hierarchy's root, that is handled. */
#define CG_REL_PATH_MAX 4096

enum cg_mode {
	CG_MODE_V1 = 1, /* controllers as separate v1 hierarchies only */
	CG_MODE_V2,	/* one cgroup2 hierarchy at the root */
	CG_MODE_HYBRID, /* v1 controllers plus a cgroup2 tree at <root>/unified
			 */
};

/* The hierarchies virtmeter reads. CG_HIER_UNIFIED is the cgroup2 tree
 * (the root itself on v2); the others are v1 controller hierarchies. */
enum cg_hier {
	CG_HIER_UNIFIED,
	CG_HIER_CPU,
	CG_HIER_CPUACCT,
	CG_HIER_MEMORY,
	CG_HIER_BLKIO,
	CG_HIER_PIDS,
	CG_NHIERS
};

struct cg_layout {
	enum cg_mode mode;
	/* Absolute directory of each hierarchy, "" where it is not mounted.
	 * Co-mounted v1 controllers (cpu,cpuacct) share one directory: the
	 * real one, not the compatibility symlink beside it. */
	char dir[CG_NHIERS][CG_LAYOUT_PATH_MAX];
	/* Controllers available in the cgroup2 tree, as bits
	 * (1u << CG_HIER_CPU, CG_HIER_MEMORY, CG_HIER_BLKIO for "io",
	 * CG_HIER_PIDS); 0 on v1 and on a hybrid host whose cgroup2 tree only
	 * tracks processes. cpu.stat and the PSI files exist in every cgroup2
	 * directory whatever this says. */
	unsigned v2_controllers;
};

/* Returns "v1", "v2" or "hybrid" (a static string). */
const char *cg_mode_name(enum cg_mode mode);

/* Returns the hierarchy's name: "unified", "cpu", "cpuacct", "memory",
 * "blkio" or "pids" (a static string; "?" if out of range). */
const char *cg_hier_name(enum cg_hier h);

/* Detects the layout under root (normally /sys/fs/cgroup) into out: v2 if
 * root holds cgroup.controllers; otherwise v1 controller hierarchies are
 * the subdirectories whose comma-separated names list a controller and
 * that hold cgroup.procs (an empty mount point does not count), and the
 * layout is hybrid if <root>/unified holds cgroup.controllers, else v1.
 * Returns 0; -ENOENT if root has no hierarchy at all; -ENAMETOOLONG; or
 * the errno of opening root. out is written only on success. */
int cg_layout_detect(const char *root, struct cg_layout *out);

/* Parses the text of a cgroup.controllers file (len bytes at buf, no NUL
 * needed: "cpuset cpu io memory pids\n") into the bit mask described at
 * struct cg_layout. Unknown controllers are ignored. Returns 0, or -EINVAL
 * if a name is longer than any controller could be. */
int cg_layout_parse_controllers(const char *buf, size_t len, unsigned *mask);

/* Whether rel is a usable cgroup path relative to a hierarchy's root:
 * starts with '/', is shorter than CG_REL_PATH_MAX, and has no "." or ".."
 * component (so joined to a hierarchy it stays inside it). */
bool cg_rel_path_valid(const char *rel);

/* Writes the absolute directory of cgroup rel in hierarchy h into out
 * (rel "/" is the hierarchy's root). Returns 0; -ENOENT if h is not
 * mounted; -EINVAL if rel is not valid; -ENAMETOOLONG. */
int cg_layout_path(const struct cg_layout *l, enum cg_hier h, const char *rel,
		   char *out, size_t size);

/* Tells in which hierarchies cgroup rel exists, for the reader: *mask gets
 * bit (1u << h) for each mounted hierarchy h where the directory is
 * present. On this kind of host a VM's cgroup is in cpu and memory but not
 * in cpuacct, for instance. Returns 0 (with *mask possibly 0), -EINVAL if
 * rel is not valid, or -ENAMETOOLONG. */
int cg_layout_locate(const struct cg_layout *l, const char *rel,
		     unsigned *mask);

/* The hierarchy that container discovery walks: the cgroup2 tree on v2;
 * on v1 and hybrid the memory hierarchy, which every runtime populates
 * (runc, crun, LXC and libvirt create their cgroup in each mounted
 * controller they use, kubelet refuses to run without memory, and systemd
 * realizes memory for the scopes that runc's systemd driver creates),
 * then cpu, cpuacct, pids, blkio and the cgroup2 tree when memory is not
 * mounted. Returns the hierarchy, or -ENOENT if none is mounted. */
int cg_layout_walk_hier(const struct cg_layout *l);

#endif
