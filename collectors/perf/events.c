/* libpfm4 resolution and per-event probing (see perf_events.h). */
#include "collectors/perf/events.h"
#include "exporter/api/base.h"

#include <dirent.h>
#include <errno.h>
#include <perfmon/pfmlib_perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_rc;

/* libpfm4 is initialised once for the process: the settings check (main
 * thread, also at a reload) and the collector's init may both ask. */
static void pfm_init_once(void)
{
	pfm_rc = pfm_initialize();
}

int perf_events_init(char *why, size_t size)
{
	int rc;

	pthread_once(&pfm_once, pfm_init_once);
	rc = pfm_rc;
	if (rc == PFM_SUCCESS)
		return 0;
	snprintf(why, size, "libpfm4 initialisation failed: %s",
		 pfm_strerror(rc));
	return -EIO;
}

/* Encodes event name for perf_event into *attr (user and kernel mode).
 * Returns libpfm4's result, PFM_SUCCESS or an error. */
static int encode(const char *name, struct perf_event_attr *attr)
{
	pfm_perf_encode_arg_t arg;

	memset(&arg, 0, sizeof(arg));
	memset(attr, 0, sizeof(*attr));
	arg.attr = attr;
	arg.size = sizeof(arg);
	return pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3,
					 PFM_OS_PERF_EVENT_EXT, &arg);
}

int perf_events_check_name(const char *name, char *err, size_t errlen)
{
	struct perf_event_attr attr;
	int rc;

	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-:.=", *p))) {
			snprintf(err, errlen, "'%.60s' is not an event name "
				 "(letters, digits and _-:.=)", name);
			return -EINVAL;
		}
	pthread_once(&pfm_once, pfm_init_once);
	if (pfm_rc != PFM_SUCCESS)
		return 0;
	rc = encode(name, &attr);
	if (rc == PFM_SUCCESS)
		return 0;
	snprintf(err, errlen, "unknown event '%.60s' (libpfm4: %s; "
		 "showevtinfo from libpfm4's examples lists the names)", name,
		 pfm_strerror(rc));
	return -EINVAL;
}

int perf_events_open(struct perf_event_attr *attr, int pid, int cpu,
		     int group_fd, unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd,
			    flags);
}

/* Whether name is one of the events whose guest and host shares are
 * exported apart for VMs. */
static bool is_split_name(const char *name)
{
	static const char *const names[] = {"cycles", "cpu-cycles",
					    "instructions"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

int perf_events_resolve(struct perf_event_def *ev)
{
	struct perf_event_attr attr;
	int rc = encode(ev->name, &attr);

	if (rc != PFM_SUCCESS) {
		snprintf(ev->reason, sizeof(ev->reason),
			 "unknown to libpfm4: %s", pfm_strerror(rc));
		return -ENOENT;
	}
	attr.size = sizeof(attr);
	/* libpfm4 excludes the guest by default: count both unless a
	 * split asks otherwise. */
	attr.exclude_guest = 0;
	attr.exclude_host = 0;
	attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			   PERF_FORMAT_TOTAL_TIME_RUNNING;
	attr.disabled = 0;
	ev->attr = attr;
	ev->resolved = true;
	ev->hardware = attr.type != PERF_TYPE_SOFTWARE;
	ev->want_split = ev->hardware && is_split_name(ev->name);
	return 0;
}

/* Whether the kernel registered a CPU PMU under sysfs: "cpu" (x86),
 * "cpu_core" and "cpu_atom" (hybrid Intel), "armv8_pmuv3_0" and the like
 * (Arm). */
static bool has_cpu_pmu(const char *sysfs)
{
	char path[512];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/event_source/devices", sysfs);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir)) != NULL)
		found = strncmp(d->d_name, "cpu", 3) == 0 ||
			strncmp(d->d_name, "armv", 4) == 0;
	closedir(dir);
	return found;
}

/* Fills ev->reason from the errno of a failed open. */
static void set_reason(struct perf_event_def *ev, int err, const char *sysfs)
{
	const char *what;

	switch (err) {
	case EACCES:
	case EPERM:
		what = "not permitted: needs CAP_PERFMON (or CAP_SYS_ADMIN) "
		       "or kernel.perf_event_paranoid <= 0";
		break;
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		what = ev->hardware && !has_cpu_pmu(sysfs)
			   ? "no hardware PMU on this host"
			   : "not supported by this host's PMU";
		break;
	default:
		what = "refused by the kernel";
		break;
	}
	snprintf(ev->reason, sizeof(ev->reason), "%s (perf_event_open: %s)",
		 what, strerror(err));
}

/* Whether ev opens on cpu with the guest (or the host) excluded. */
static bool opens_excluding(const struct perf_event_def *ev, int cpu,
			    bool guest)
{
	struct perf_event_attr attr = ev->attr;
	int fd;

	attr.exclude_guest = guest;
	attr.exclude_host = !guest;
	fd = perf_events_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int perf_events_probe(struct perf_event_def *ev, int cpu, const char *sysfs)
{
	struct perf_event_attr attr = ev->attr;
	int fd, err;

	ev->supported = false;
	ev->split = false;
	if (!ev->resolved)
		return -ENOENT;
	fd = perf_events_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = errno;
		set_reason(ev, err, sysfs);
		return -err;
	}
	close(fd);
	ev->supported = true;
	ev->reason[0] = '\0';
	ev->split = ev->want_split && opens_excluding(ev, cpu, true) &&
		    opens_excluding(ev, cpu, false);
	return 0;
}
