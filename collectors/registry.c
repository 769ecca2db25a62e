/* The static table of collectors compiled into this binary. Optional
 * collectors are listed under the #ifdef of the library they need. */
#include "exporter/api/collector.h"
#include "exporter/api/base.h"

#include "build-config.h"

#include <errno.h>
#include <string.h>

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
