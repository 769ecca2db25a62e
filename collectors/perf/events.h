/* Event names resolved with libpfm4 into perf_event attributes, and the
 * probe that tells whether this host can count each one (and split it
 * into guest and host mode), with the reason when it cannot. */
#ifndef VIRTMETER_PERF_EVENTS_H
#define VIRTMETER_PERF_EVENTS_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>

#define PERF_MAX_EVENTS 32
#define PERF_EVENT_NAME_MAX 128

/* One configured event. */
struct perf_event_def {
	char name[PERF_EVENT_NAME_MAX]; /* as the operator wrote it */
	struct perf_event_attr attr;	/* counts guest and host alike */
	bool resolved;			/* libpfm4 knows the name */
	bool supported;			/* a counter opened on this host */
	bool hardware;	  /* counted by a PMU, not by the kernel */
	bool want_split;  /* cycles or instructions: split for VMs */
	bool split;	  /* want_split, and exclude_host/exclude_guest open */
	char reason[160]; /* why it is unsupported; "" when supported */
};

/* Whether attr is one of the kernel's clocks (task-clock, cpu-clock): a
 * software event that counts nanoseconds, not events, so that it is
 * exported in seconds and opened in a group of its own. */
static inline bool perf_events_is_clock(const struct perf_event_attr *attr)
{
	return attr->type == PERF_TYPE_SOFTWARE &&
	       (attr->config == PERF_COUNT_SW_CPU_CLOCK ||
		attr->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* Initialises libpfm4 (idempotent). Returns 0, or -EIO with the library's
 * message in why (size bytes). */
int perf_events_init(char *why, size_t size);

/* Resolves ev->name with libpfm4 (PFM_OS_PERF_EVENT_EXT, user and kernel
 * levels) into ev->attr. Returns 0, or -ENOENT with ev->reason set when
 * the name is unknown or cannot be encoded. */
int perf_events_resolve(struct perf_event_def *ev);

/* Opens and closes a counter of ev on cpu, system-wide, to set
 * ev->supported, ev->split and ev->reason. sysfs names the sysfs root,
 * used to tell "no hardware PMU" from "not supported by the PMU".
 * Returns 0 when supported, else the negative errno of perf_event_open
 * (-EACCES or -EPERM: not permitted). */
int perf_events_probe(struct perf_event_def *ev, int cpu, const char *sysfs);

/* perf_event_open(2), which glibc does not wrap. */
int perf_events_open(struct perf_event_attr *attr, int pid, int cpu,
		     int group_fd, unsigned long flags);

/* Checks that name is an event name libpfm4 knows (for the settings'
 * check, so that a typo fails the configuration, not the run): letters,
 * digits and "_-:.=" that libpfm4 encodes for perf_event. Where libpfm4
 * cannot start, names are left for the collector to report. Returns 0 or
 * -EINVAL with the reason in err. */
int perf_events_check_name(const char *name, char *err, size_t errlen);

#endif
