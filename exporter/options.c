/* Command-line flags in node_exporter's style: see options.h. Both
 * "--flag=value" and "--flag value" are accepted; an unknown flag, a
 * missing value or a bad value is an error that names the flag. */
#include "exporter/options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"

enum opt_kind { OPT_BOOL, OPT_STRING, OPT_LISTEN, OPT_UINT, OPT_DURATION_S,
		OPT_LEVEL, OPT_FORMAT };

struct opt_def {
	const char *name;   /* without the leading "--" */
	enum opt_kind kind;
	size_t offset;      /* into struct options */
	const char *arg;    /* placeholder for --help, NULL for booleans */
	const char *help;
};

#define OFF(field) offsetof(struct options, field)

static const struct opt_def opt_defs[] = {
	{"web.listen-address", OPT_LISTEN, OFF(listen), "ADDR",
	 "Address to serve on, host:port, [v6]:port or :port for every "
	 "interface; repeat for several (default :" VIRTMETER_DEFAULT_PORT ")"},
	{"web.telemetry-path", OPT_STRING, OFF(telemetry_path), "PATH",
	 "Path of the metrics endpoint (default /metrics)"},
	{"web.max-connections", OPT_UINT, OFF(max_connections), "N",
	 "Concurrent HTTP connections allowed per listen address (default 64)"},
	{"web.timeout", OPT_DURATION_S, OFF(timeout_s), "DURATION",
	 "Close a connection idle for this long, or that has not sent a "
	 "complete request head this long after connecting or after its "
	 "previous request, e.g. 10s (default 10s)"},
	{"config.file", OPT_STRING, OFF(config_file), "FILE",
	 "YAML configuration file (optional; see docs/config.md)"},
	{"check-config", OPT_BOOL, OFF(check_config), NULL,
	 "Validate the configuration file, print \"configuration OK\" and exit"},
	{"log.level", OPT_LEVEL, OFF(log_level), "LEVEL",
	 "Least severe level logged: error, warn, info or debug (default info)"},
	{"log.format", OPT_FORMAT, OFF(log_format), "FORMAT",
	 "Log line format: logfmt or json (default logfmt)"},
	{"path.procfs", OPT_STRING, OFF(procfs), "DIR",
	 "Mount point of procfs (default /proc)"},
	{"path.sysfs", OPT_STRING, OFF(sysfs), "DIR",
	 "Mount point of sysfs (default /sys)"},
	{"path.cgroupfs", OPT_STRING, OFF(cgroupfs), "DIR",
	 "Root of the cgroup hierarchies (default /sys/fs/cgroup)"},
	{"dump-metrics", OPT_BOOL, OFF(dump_metrics), NULL,
	 "Print every metric family this binary can emit (name, type, "
	 "labels, help; tab-separated) and exit"},
	{"version", OPT_BOOL, OFF(version), NULL, "Print the version and exit"},
	{"help", OPT_BOOL, OFF(help), NULL, "Print this help and exit"},
};

#define NDEFS (ARRAY_SIZE(opt_defs))

static void opts_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->telemetry_path = "/metrics";
	o->log_level = LOG_LVL_INFO;
	o->log_format = LOG_FMT_LOGFMT;
	o->procfs = "/proc";
	o->sysfs = "/sys";
	o->cgroupfs = "/sys/fs/cgroup";
	o->max_connections = 64;
	o->timeout_s = 10;
	for (size_t i = 0; i < CONFIG_MAX_COLLECTORS; i++)
		o->collector_flag[i] = -1;
}

/* Parses an unsigned decimal in 1..max. Returns 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Stores value into o for def. Returns 0 or -EINVAL with err filled. */
static int store(struct options *o, const struct opt_def *def,
		 const char *value, char *err, size_t errlen)
{
	char *field = (char *)o + def->offset;
	unsigned ms;

	switch (def->kind) {
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	case OPT_STRING:
		if (!*value)
			break;
		*(const char **)field = value;
		return 0;
	case OPT_LISTEN:
		if (!*value)
			break;
		if (o->nlisten == OPT_MAX_LISTEN) {
			snprintf(err, errlen, "--%s: at most %d addresses",
				 def->name, OPT_MAX_LISTEN);
			return -EINVAL;
		}
		o->listen[o->nlisten++] = value;
		return 0;
	case OPT_UINT:
		if (parse_uint(value, 100000, (unsigned *)field))
			break;
		return 0;
	case OPT_DURATION_S:
		if (config_parse_duration(value, &ms) || ms < 1000)
			break;
		*(unsigned *)field = ms / 1000;
		return 0;
	case OPT_LEVEL:
		if (log_parse_level(value, (enum log_level *)field))
			break;
		return 0;
	case OPT_FORMAT:
		if (log_parse_format(value, (enum log_format *)field))
			break;
		return 0;
	}
	snprintf(err, errlen, "--%s: invalid value '%s' (expected %s; see --help)",
		 def->name, value, def->arg);
	return -EINVAL;
}

/* Stores --collector.NAME.KEY: the option must exist in collector c;
 * booleans take no value (or =true/=false), others need one. Returns 0 or
 * -EINVAL with err filled in. */
static int collector_setting_flag(struct options *o, const struct collector *c,
				  const char *key, int on, const char *value,
				  char *err, size_t errlen)
{
	const struct collector_option *opt = collector_option_find(c, key);
	struct collector_setting *s;

	if (!opt) {
		snprintf(err, errlen, "unknown flag --%scollector.%s.%s: collector "
			 "'%s' has no setting '%s' (see --help)", on ? "" : "no-",
			 c->name, key, c->name, key);
		return -EINVAL;
	}
	if (!opt->arg) {
		if (value && strcmp(value, "true") && strcmp(value, "false")) {
			snprintf(err, errlen, "--collector.%s.%s: expected true or "
				 "false, got '%s'", c->name, key, value);
			return -EINVAL;
		}
		value = !on ? "false" : value ? value : "true";
	} else if (!on || !value || !*value) {
		snprintf(err, errlen, "--collector.%s.%s needs a value (%s)",
			 c->name, key, opt->arg);
		return -EINVAL;
	}
	if (o->nsettings == OPT_MAX_SETTINGS) {
		snprintf(err, errlen, "too many --collector.NAME.KEY flags");
		return -EINVAL;
	}
	s = &o->settings[o->nsettings];
	snprintf(o->setting_names[o->nsettings][0], 64, "%s", c->name);
	snprintf(o->setting_names[o->nsettings][1], 64, "%s", key);
	s->collector = o->setting_names[o->nsettings][0];
	s->key = o->setting_names[o->nsettings][1];
	s->value = value;
	o->nsettings++;
	return 0;
}

/* Handles --[no-]collector.NAME and --[no-]collector.NAME.KEY[=VALUE].
 * value is what followed '=' (NULL if none); a non-boolean setting without
 * '=' takes the next argument. Returns 1 if name was such a flag, 0 if
 * not, -EINVAL on error. */
static int collector_flag(struct options *o, const char *name, const char *value,
			  int argc, char **argv, int *i, char *err, size_t errlen)
{
	char cname[64];
	const char *dot;
	size_t cl;
	int on = 1, idx;

	if (strncmp(name, "no-", 3) == 0) {
		on = 0;
		name += 3;
	}
	if (strncmp(name, "collector.", 10) != 0)
		return 0;
	name += 10;
	dot = strchr(name, '.');
	cl = dot ? (size_t)(dot - name) : strlen(name);
	snprintf(cname, sizeof(cname), "%.*s", (int)cl, name);
	idx = collector_find(cname);
	if (idx < 0) {
		snprintf(err, errlen, "unknown flag --%scollector.%s: this "
			 "virtmeter has no collector '%s' (see --help)",
			 on ? "" : "no-", name, cname);
		return -EINVAL;
	}
	if (!dot) {
		if (value) {
			snprintf(err, errlen, "--collector.%s takes no value", cname);
			return -EINVAL;
		}
		o->collector_flag[idx] = on;
		return 1;
	}
	if (!value && on) {
		const struct collector_option *opt =
			collector_option_find(collector_table[idx], dot + 1);

		if (opt && opt->arg && *i + 1 < argc)
			value = argv[++*i];
	}
	return collector_setting_flag(o, collector_table[idx], dot + 1, on,
				      value, err, errlen) ? -EINVAL : 1;
}

int opts_parse(int argc, char **argv, struct options *o, char *err,
	       size_t errlen)
{
	opts_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct opt_def *def = NULL;
		char name[128];
		size_t nl;
		int rc;

		if (strcmp(arg, "-h") == 0)
			arg = "--help";
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s' (flags "
				 "start with --; see --help)", arg);
			return -EINVAL;
		}
		arg += 2;
		eq = strchr(arg, '=');
		nl = eq ? (size_t)(eq - arg) : strlen(arg);
		if (nl >= sizeof(name)) {
			snprintf(err, errlen, "unknown flag --%.40s... (see --help)", arg);
			return -EINVAL;
		}
		memcpy(name, arg, nl);
		name[nl] = '\0';
		for (size_t d = 0; d < NDEFS && !def; d++)
			if (strcmp(opt_defs[d].name, name) == 0)
				def = &opt_defs[d];
		if (!def) {
			rc = collector_flag(o, name, eq ? eq + 1 : NULL, argc, argv,
					    &i, err, errlen);
			if (rc < 0)
				return rc;
			if (rc == 1)
				continue;
			snprintf(err, errlen, "unknown flag --%s (see --help)", name);
			return -EINVAL;
		}
		if (def->kind == OPT_BOOL) {
			if (eq) {
				snprintf(err, errlen, "--%s takes no value", name);
				return -EINVAL;
			}
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "--%s needs a value (%s)", name, def->arg);
			return -EINVAL;
		}
		rc = store(o, def, value, err, errlen);
		if (rc)
			return rc;
	}
	if (o->telemetry_path[0] != '/' || strcmp(o->telemetry_path, "/") == 0 ||
	    strcmp(o->telemetry_path, "/healthz") == 0) {
		snprintf(err, errlen, "--web.telemetry-path: '%s' must start with / "
			 "and not be / or /healthz", o->telemetry_path);
		return -EINVAL;
	}
	if (o->nlisten == 0)
		o->listen[o->nlisten++] = ":" VIRTMETER_DEFAULT_PORT;
	return 0;
}

void opts_usage(FILE *f)
{
	fprintf(f, "Usage: virtmeter [FLAGS]\n\n"
		"Prometheus exporter of what virtualization costs on this host: "
		"VMs,\ncontainers, hardware counters and power. Serves "
		"http://HOST:%s/metrics.\n\nFlags:\n", VIRTMETER_DEFAULT_PORT);
	for (size_t d = 0; d < NDEFS; d++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opt_defs[d].name,
			 opt_defs[d].arg ? "=" : "",
			 opt_defs[d].arg ? opt_defs[d].arg : "");
		fprintf(f, "  %-28s %s\n", left, opt_defs[d].help);
	}
	fprintf(f, "\nCollectors (enable with --collector.NAME, disable with "
		"--no-collector.NAME):\n");
	for (size_t i = 0; collector_table[i]; i++) {
		const struct collector *c = collector_table[i];

		fprintf(f, "  %-28s %s (%s by default, every %gs)\n", c->name,
			c->help, c->default_enabled ? "on" : "off",
			c->interval_ms / 1000.0);
		for (size_t k = 0; c->options && c->options[k].key; k++) {
			const struct collector_option *opt = &c->options[k];
			char left[96];

			snprintf(left, sizeof(left), "--collector.%s.%s%s%s", c->name,
				 opt->key, opt->arg ? "=" : "", opt->arg ? opt->arg : "");
			fprintf(f, "    %-26s %s\n", left, opt->help);
		}
	}
	fprintf(f, "\nSignals: SIGHUP reloads --config.file (a bad file is "
		"rejected and the running\nconfiguration kept); SIGTERM and "
		"SIGINT stop cleanly.\n");
}
