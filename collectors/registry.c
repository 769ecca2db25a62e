/* The static table of collectors compiled into this binary. Optional
 * collectors are listed under the #ifdef of the library they need. */
#include "exporter/api/collector.h"
#include "exporter/api/base.h"

#include "build-config.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38 /* Linux 5.8 */
#endif

extern const struct collector host_collector;
extern const struct collector process_collector;
extern const struct collector cgroup_collector;
extern const struct collector power_collector;
#ifdef HAVE_LIBVIRT
extern const struct collector libvirt_collector;
#endif
#ifdef HAVE_LIBPFM4
extern const struct collector perf_collector;
#endif
extern const struct collector model_collector;
extern const struct collector textfile_collector;

const struct collector *const collector_table[] = {
	&host_collector,
	&process_collector,
	&cgroup_collector,
	&power_collector,
#ifdef HAVE_LIBVIRT
	&libvirt_collector,
#endif
#ifdef HAVE_LIBPFM4
	&perf_collector,
#endif
	&model_collector,
	&textfile_collector,
	NULL,
};

const struct collector_cap collector_caps[] = {
	{.collector = "cgroup", .cap = CAP_DAC_READ_SEARCH, .fallback = -1,
	 .why = "the container runtimes' state files, root's only"},
	{.collector = "power", .cap = CAP_DAC_READ_SEARCH, .fallback = -1,
	 .why = "RAPL energy_uj, root's only since CVE-2020-8694"},
#ifdef HAVE_LIBVIRT
	{.collector = "libvirt", .cap = CAP_DAC_READ_SEARCH, .fallback = -1,
	 .why = "libvirt's /run/libvirt/qemu/NAME.pid, root's only"},
#endif
#ifdef HAVE_LIBPFM4
	{.collector = "perf", .cap = CAP_PERFMON, .fallback = CAP_SYS_ADMIN,
	 .why = "system-wide and per-cgroup counters"},
#endif
	{.collector = NULL},
};

size_t collector_count(void)
{
	return ARRAY_SIZE(collector_table) - 1;
}

int collector_find(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		if (strcmp(collector_table[i]->name, name) == 0)
			return (int)i;
	return -ENOENT;
}
