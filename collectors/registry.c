/* The static table of collectors compiled into this binary. Optional
 * collectors are listed under the #ifdef of the library they need. */
#include "collectors/collector.h"

#include <errno.h>
#include <string.h>

#include "build-config.h"

extern const struct collector host_collector;
extern const struct collector process_collector;

const struct collector *const collector_table[] = {
	&host_collector,
	&process_collector,
	NULL,
};

size_t collector_count(void)
{
	return sizeof(collector_table) / sizeof(collector_table[0]) - 1;
}

int collector_find(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		if (strcmp(collector_table[i]->name, name) == 0)
			return (int)i;
	return -ENOENT;
}
