/* The table of workloads (VMs and containers) that collectors share.
 *
 * A source (the libvirt collector for VMs, the cgroup collector for
 * containers) builds a wl_list each cycle and publishes it; readers (the
 * cgroup collector's host-side VM view, perf, the power model) take the
 * current wl_table and keep it as long as they like, exactly as with the
 * snapshot. A workload missing from a source's next list has vanished:
 * readers drop their state for it (open fds, previous counters). */
#ifndef VIRTMETER_WORKLOAD_H
#define VIRTMETER_WORKLOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum wl_kind { WL_VM, WL_CONTAINER };

enum wl_source { WL_SRC_LIBVIRT, WL_SRC_CGROUP, WL_NSOURCES };

/* The labels that identify a container, first and in this order on every
 * per-container family of every collector (virtmeter_container_info
 * aside, which keeps image before pod): container, id, runtime, pod,
 * namespace. pod and namespace are fixed for a container id, so they add
 * no series. A reader of a published set (the energy model) finds them by
 * these positions; a family's own labels follow from WL_CT_NLABELS. */
enum wl_ct_label {
	WL_CT_CONTAINER,
	WL_CT_ID,
	WL_CT_RUNTIME,
	WL_CT_POD,
	WL_CT_NAMESPACE,
	WL_CT_NLABELS
};

struct workload {
	enum wl_kind kind;
	const char *id;       /* VM UUID or container id; never NULL */
	const char *name;     /* VM or container name; never NULL */
	const char *runtime;  /* the runtime that runs it ("libvirt", ...); never NULL */
	/* A container's Kubernetes pod and namespace, "" when unknown or
	 * outside Kubernetes (and for VMs); never NULL once in a list. */
	const char *pod;
	const char *namespace;
	/* Path of its cgroup relative to a hierarchy's root, as in
	 * /proc/PID/cgroup ("/machine/qemu-1-web.libvirt-qemu"), or NULL if
	 * unknown. The same relative path applies to every v1 controller and
	 * to the unified hierarchy. */
	const char *cgroup;
	unsigned vcpus;        /* reserved vCPUs, 0 if unknown */
	uint64_t memory_bytes; /* reserved memory, 0 if unknown */
};

/* One source's workloads, immutable once published. */
struct wl_list {
	atomic_int refs;
	struct workload *items;
	size_t n, cap;
	int err; /* sticky: first allocation error of wl_list_add */
};

/* All sources' lists at one moment. */
struct wl_table {
	atomic_int refs;
	uint64_t id;
	struct wl_list *lists[WL_NSOURCES];
};

/* Returns a new empty list with one reference, or NULL without memory. */
struct wl_list *wl_list_new(void);

/* Drops a reference; the last one frees the list and its strings. */
void wl_list_unref(struct wl_list *list);

/* Appends a copy of w (strings are copied; a NULL id, name, runtime, pod
 * or namespace becomes ""). Returns 0 or -ENOMEM (sticky in list->err). */
int wl_list_add(struct wl_list *list, const struct workload *w);

/* Replaces source src's list with list (a reference is taken; NULL empties
 * it) in a new table. Returns 0, -EINVAL or -ENOMEM. Thread-safe. */
int wl_publish(enum wl_source src, struct wl_list *list);

/* Returns the current table with a reference the caller drops with
 * wl_table_unref(). NULL only without memory. Thread-safe. */
struct wl_table *wl_current(void);

/* Drops a reference to a table. */
void wl_table_unref(struct wl_table *table);

/* Finds a workload by kind and id in table; NULL if absent. */
const struct workload *wl_find(const struct wl_table *table, enum wl_kind kind,
			       const char *id);

#endif
