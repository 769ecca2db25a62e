/* Finding the cgroup of a running libvirt domain from the host side: from
 * its qemu process (the PID file libvirt keeps, then /proc/PID/cgroup), or
 * else from libvirt's naming rules (systemd scope or libvirt's own
 * machine/ layout) checked against the cgroup filesystem. The parsers and
 * name builders are pure (fuzzed); lv_cg_discover does the file I/O. */
#ifndef VIRTMETER_LIBVIRT_CGROUP_H
#define VIRTMETER_LIBVIRT_CGROUP_H

#include <stddef.h>

/* Longest cgroup path (relative to a hierarchy root) handled. */
#define LV_CG_PATH_MAX 1024

/* Writes libvirt's machine name of domain id of driver ("qemu") into out:
 * "DRIVER-ID-NAME", where NAME keeps only ASCII letters, digits and single
 * inner '.' or '-' separators, and the whole name is cut to 64 bytes (as
 * libvirt does for the systemd scope and its own cgroup directories).
 * Returns 0 or -ENAMETOOLONG if out is too small. */
int lv_cg_machine_name(const char *driver, int id, const char *name, char *out,
		       size_t size);

/* Writes the cgroup paths where libvirt puts domain id named name when it
 * is started by driver in resource partition partition ("" means the
 * default, /machine): out[0] is the systemd scope
 * ("/machine.slice/machine-qemu\x2d1\x2dNAME.scope"), out[1] libvirt's own
 * directory ("/machine/qemu-1-NAME.libvirt-qemu"). Returns the number of
 * paths written (at most max) or a negative errno. */
int lv_cg_candidates(const char *driver, int id, const char *name,
		     const char *partition, char (*out)[LV_CG_PATH_MAX],
		     size_t max);

/* Picks the domain's cgroup from the contents of /proc/PID/cgroup of its
 * qemu process (len bytes, no NUL needed): the cgroup2 line if it names a
 * cgroup, else the cpu, memory or another v1 line; a trailing "/emulator"
 * (and the "/libvirt" level libvirt adds under a systemd scope) is removed,
 * so that the path covers the vCPU threads too. The last component must
 * contain driver ("qemu"), so a process outside any VM cgroup is refused.
 * Returns 0, -ENOENT when no line qualifies, or -ENAMETOOLONG. */
int lv_cg_from_proc(const char *buf, size_t len, const char *driver, char *out,
		    size_t size);

/* Parses a PID file's contents (decimal, optional trailing blanks).
 * Returns 0 with *pid > 0, or -EINVAL. */
int lv_cg_parse_pid(const char *buf, size_t len, long *pid);

/* Where lv_cg_discover looks. piddir may be NULL (no PID file lookup). */
struct lv_cg_roots {
	const char *procfs;   /* /proc */
	const char *cgroupfs; /* /sys/fs/cgroup */
	const char *piddir;   /* /run/libvirt/qemu */
};

/* Finds the cgroup of running domain id named name: from
 * piddir/NAME.pid and procfs/PID/cgroup if readable, else the first of
 * lv_cg_candidates that exists as a directory under cgroupfs (on cgroup2,
 * the hybrid unified mount, or a v1 controller). Writes it into out (as in
 * /proc/PID/cgroup, with a leading '/'). Returns 0, -ENOENT, or another
 * negative errno. */
int lv_cg_discover(const struct lv_cg_roots *roots, const char *driver, int id,
		   const char *name, const char *partition, char *out,
		   size_t size);

#endif
