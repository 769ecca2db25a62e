/* The table of meter kinds: for each type of the meters: list, the
 * meter_ops that reads it (NULL when this binary was built without what it
 * needs) and what the configuration check knows of it. A new kind of meter
 * is its file and one row here. */
#include "build-config.h"

#include <string.h>

#include "collectors/power/config.h"
#include "collectors/power/config_net.h"
#include "collectors/power/meter.h"
#include "exporter/api/base.h"

#define K(key) METER_KEY_BIT(METER_KEY_##key)

/* The keys of both HTTP meters: where and how to connect. */
#define K_HTTP_CLIENT \
	(K(URL) | K(USERNAME) | K(PASSWORD) | K(PASSWORD_FILE) | K(CA_FILE) | \
	 K(TLS_INSECURE))

/* Without libyaml there is no configuration file, so nothing to check. */
#ifdef HAVE_LIBYAML
#define CHECK(fn) (fn)
#else
#define CHECK(fn) NULL
#endif

#if defined(HAVE_LIBCURL) && defined(HAVE_YAJL)
#define NET_OPS(ops) (ops)
#else
#define NET_OPS(ops) NULL
#endif

const struct meter_kind meter_kinds[] = {
	{
		.name = "rapl",
		.ops = &meter_rapl_ops,
		.single = true,
	},
	{
		.name = "hwmon",
		.ops = &meter_hwmon_ops,
		.single = true,
	},
	{
		.name = "exec",
		.ops = &meter_exec_ops,
		.keys = K(COMMAND) | K(KIND),
		.need = METER_KEY_COMMAND,
		.need_what = "a command",
	},
	{
		.name = "plugin",
		.ops = &meter_plugin_ops,
		.keys = K(PATH) | K(ARGUMENT) | K(KIND),
		.need = METER_KEY_PATH,
		.need_what = "a path",
	},
	{
		.name = "redfish",
		.ops = NET_OPS(&meter_redfish_ops),
		.built_without = "libcurl or yajl",
		.keys = K_HTTP_CLIENT | K(AUTH) | K(KIND),
		.need = METER_KEY_URL,
		.need_what = "a url",
		.check = CHECK(meter_check_redfish),
	},
	{
		.name = "http",
		.ops = NET_OPS(&meter_http_ops),
		.built_without = "libcurl or yajl",
		.keys = K_HTTP_CLIENT | K(KIND) | K(PRESET) | K(ZONE) |
			K(WATTS_PATH) | K(ENERGY_PATH) | K(VOLTS_PATH) |
			K(AMPERES_PATH) | K(WATTS_SCALE) | K(ENERGY_SCALE) |
			K(VOLTS_SCALE) | K(AMPERES_SCALE) | K(ENERGY_UNIT),
		.need = METER_KEY_URL,
		.need_what = "a url",
		.check = CHECK(meter_check_http),
	},
	{
		.name = "powerspy",
		.ops = &meter_powerspy_ops,
		.keys = K(DEVICE) | K(KIND),
		.need = METER_KEY_DEVICE,
		.need_what = "a device (a tty such as /dev/rfcomm0)",
	},
};

const size_t meter_nkinds = ARRAY_SIZE(meter_kinds);

const struct meter_kind *meter_kind_find(const char *name, size_t len)
{
	for (size_t i = 0; i < meter_nkinds; i++)
		if (strlen(meter_kinds[i].name) == len &&
		    memcmp(meter_kinds[i].name, name, len) == 0)
			return &meter_kinds[i];
	return NULL;
}
