/* Pure parsers of what power meters hand us: sysfs value files (RAPL,
 * hwmon) and the output of exec meters. Each takes a buffer and its length,
 * needs no NUL terminator and never reads past the length (fuzzed). */
#ifndef VIRTMETER_POWER_PARSE_H
#define VIRTMETER_POWER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/virtmeter/meter.h"

/* Parses a sysfs integer file such as "262143328850\n": decimal digits and
 * at most one trailing newline. Returns 0 with the value in *out, -EINVAL
 * for anything else (empty, sign, space, garbage), -ERANGE above
 * UINT64_MAX. */
int meter_parse_u64(const char *buf, size_t len, uint64_t *out);

/* Parses a sysfs name or label file ("package-0\n") into a zone name:
 * printable bytes other than space are kept, others become '_', the
 * trailing newline is dropped. out holds VIRTMETER_ZONE_MAX bytes. Returns
 * 0, or -EINVAL when empty or too long. */
int meter_parse_name(const char *buf, size_t len, char *out);

/* The kind label of a RAPL zone from the name in its own name file
 * (parsed by meter_parse_name): "package" for package-N (package-N-die-M
 * too), "psys", "core", "uncore", "dram", else "other". A static string. */
const char *meter_rapl_kind(const char *name);

/* The kind label of an hwmon power or energy channel from its label
 * (parsed by meter_parse_name; "powerK" or "energyK" without a label
 * file), case-insensitively: "socket" when it holds "socket" or starts
 * with "package" (amd_energy's Esocket0), "core" when it holds "core" not
 * right after "un" (amd_energy's Ecore012, zenpower's SVI2_P_Core), else
 * "sensor". A static string. *num is the number that ends the label (12
 * for Ecore012; at most 9 digits), or -1 without one. */
const char *meter_hwmon_kind(const char *label, long *num);

/* Whether s (NUL-terminated) is a valid zone name: 1 to 63 bytes of
 * [A-Za-z0-9_.:/-]. */
bool meter_zone_valid(const char *s);

/* Parses the output of an exec meter: lines of
 *
 *     QUANTITY VALUE [ZONE]
 *
 * QUANTITY one of watts, joules, volts, amperes; VALUE a non-negative
 * decimal number (digits, at most one '.', no sign, exponent, inf or nan);
 * ZONE a zone name (meter_zone_valid); fields separated by one space.
 * Empty lines and lines starting with '#' are skipped. Every line ends
 * with '\n' (output cut short is refused). A quantity given twice for a
 * zone is refused. Readings of one zone are merged into one entry of out
 * (room for max). On error, the 1-based line number goes to *bad_line and
 * a reason to err (errlen bytes). Returns the number of readings (at least
 * 1), -EINVAL for bad output, -E2BIG for more than max zones. */
int meter_parse_exec(const char *buf, size_t len,
		     struct virtmeter_reading *out, size_t max,
		     unsigned *bad_line, char *err, size_t errlen);

#endif
