/* The libFuzzer builds of the configuration parser link the table of meter
 * kinds (collectors/power/kinds.c) without the meters themselves, which
 * need libcurl, yajl and more: these meter_ops stand in for them. A parse
 * only checks that a kind has its ops; it never calls them. */
#include "collectors/power/meter.h"

const struct meter_ops meter_rapl_ops = {.source = "rapl"};
const struct meter_ops meter_hwmon_ops = {.source = "hwmon"};
const struct meter_ops meter_exec_ops = {.source = "exec"};
const struct meter_ops meter_plugin_ops = {.source = "plugin"};
const struct meter_ops meter_redfish_ops = {.source = "redfish"};
const struct meter_ops meter_http_ops = {.source = "http"};
const struct meter_ops meter_powerspy_ops = {.source = "powerspy"};
