/* Command-line flags in node_exporter's style: see options.h. Both
 * "--flag=value" and "--flag value" are accepted; an unknown flag, a
 * missing value or a bad value is an error that names the flag. */
#include "exporter/options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/listen.h"

enum opt_kind { OPT_BOOL, OPT_STRING, OPT_DIR, OPT_LISTEN, OPT_UINT,
		OPT_UINT0, OPT_DURATION_S, OPT_LEVEL, OPT_FORMAT };

struct opt_def {
	const char *name;   /* without the leading "--" */
	enum opt_kind kind;
	size_t offset;      /* into struct options */
	const char *arg;    /* placeholder for --help, NULL for booleans */
	const char *help;
};

/* What each kind of value must look like, for the error of a bad one. */
static const char *const kind_expect[] = {
	[OPT_BOOL] = "no value",
	[OPT_STRING] = "a non-empty value",
	[OPT_DIR] = "an existing directory",
	[OPT_LISTEN] = "an address like :10171, 127.0.0.1:10171 or [::1]:10171",
	[OPT_UINT] = "a whole number from 1 to 100000",
	[OPT_UINT0] = "a whole number from 0 to 100000",
	[OPT_DURATION_S] = "a duration of at least 1s, like 10s or 1m",
	[OPT_LEVEL] = "error, warn, info or debug",
	[OPT_FORMAT] = "logfmt or json",
};

#define OFF(field) offsetof(struct options, field)

static const struct opt_def opt_defs[] = {
	{"web.listen-address", OPT_LISTEN, OFF(listen), "ADDR",
	 "Address to serve on, host:port, [v6]:port or :port for every "
	 "interface; repeat for several (default :" VIRTMETER_DEFAULT_PORT ")"},
	{"web.telemetry-path", OPT_STRING, OFF(telemetry_path), "PATH",
	 "Path of the metrics endpoint (default /metrics)"},
	{"web.max-connections", OPT_UINT, OFF(max_connections), "N",
	 "HTTP connections held per listen address; a new one past N closes "
	 "the oldest idle one (a keep-alive connection between requests, "
	 "else the one waiting longest for its request head), and none is "
	 "refused (default 4096)"},
	{"web.max-requests", OPT_UINT0, OFF(max_requests), "N",
	 "Scrapes of the metrics answered at once; past N, 503 with "
	 "Retry-After; 0: no cap (default 40)"},
	{"web.timeout", OPT_DURATION_S, OFF(timeout_s), "DURATION",
	 "Close a connection idle for this long, or that has not sent a "
	 "complete request head this long after connecting or after its "
	 "previous request, or has not taken its response this long after "
	 "its request, e.g. 10s (default 10s)"},
	{"config.file", OPT_STRING, OFF(config_file), "FILE",
	 "YAML configuration file (optional; see virtmeter(8) and "
	 "config.md in the documentation)"},
	{"web.config.file", OPT_STRING, OFF(web_config_file), "FILE",
	 "Web configuration file in the Prometheus exporter-toolkit format "
	 "(node_exporter's): TLS, client certificates, basic authentication "
	 "with bcrypt hashes, response headers (see web-config.md in the "
	 "documentation)"},
	{"check-config", OPT_BOOL, OFF(check_config), NULL,
	 "Validate the configuration file and the web configuration file, "
	 "print \"FILE: configuration OK\" for each and exit (1 with the "
	 "error otherwise)"},
	{"log.level", OPT_LEVEL, OFF(log_level), "LEVEL",
	 "Least severe level logged: error, warn, info or debug (default info)"},
	{"log.format", OPT_FORMAT, OFF(log_format), "FORMAT",
	 "Log line format: logfmt or json (default logfmt)"},
	{"path.procfs", OPT_DIR, OFF(procfs), "DIR",
	 "Mount point of procfs (default /proc)"},
	{"path.sysfs", OPT_DIR, OFF(sysfs), "DIR",
	 "Mount point of sysfs (default /sys)"},
	{"path.cgroupfs", OPT_DIR, OFF(cgroupfs), "DIR",
	 "Root of the cgroup hierarchies (default /sys/fs/cgroup)"},
	{"storage.path", OPT_STRING, OFF(storage), "DIR",
	 "Directory for state kept across restarts, such as the learned idle "
	 "power (default /var/lib/virtmeter; created if missing)"},
	{"runas", OPT_STRING, OFF(runas), "USER",
	 "Started as root, become USER (its uid, group and supplementary "
	 "groups) once the listen addresses are bound, keeping only the "
	 "capabilities that the enabled collectors use, with no new "
	 "privileges (see PRIVILEGES in virtmeter(8))"},
	{"collector.disable-defaults", OPT_BOOL, OFF(disable_defaults), NULL,
	 "Start with every collector off: only those that a "
	 "--collector.NAME flag or \"enabled: true\" in the configuration "
	 "file turns on run"},
	{"dump-metrics", OPT_BOOL, OFF(dump_metrics), NULL,
	 "Print every metric family this binary can emit (name, type, "
	 "labels, unit, help; tab-separated) and exit"},
	{"dump-settings", OPT_BOOL, OFF(dump_settings), NULL,
	 "Print every collector setting (flag, file key, type, default, "
	 "limit; tab-separated) and exit"},
	{"version", OPT_BOOL, OFF(version), NULL, "Print the version and exit"},
	{"help", OPT_BOOL, OFF(help), NULL, "Print this help and exit"},
};

#define NDEFS (ARRAY_SIZE(opt_defs))

static int opts_defaults(struct options *o)
{
	size_t n = collector_count();

	memset(o, 0, sizeof(*o));
	o->telemetry_path = "/metrics";
	o->log_level = LOG_LVL_INFO;
	o->log_format = LOG_FMT_LOGFMT;
	o->procfs = "/proc";
	o->sysfs = "/sys";
	o->cgroupfs = "/sys/fs/cgroup";
	o->storage = "/var/lib/virtmeter";
	o->max_connections = 4096;
	o->max_requests = 40;
	o->timeout_s = 10;
	o->collector_flag = calloc(n ? n : 1, sizeof(*o->collector_flag));
	if (!o->collector_flag)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		o->collector_flag[i] = -1;
	return 0;
}

void opts_free(struct options *o)
{
	free(o->collector_flag);
	free(o->flags);
	o->collector_flag = NULL;
	o->flags = NULL;
	o->nflags = 0;
}

/* Parses an unsigned decimal in min..max. Returns 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned min, unsigned max,
		      unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Whether path can be requested as it is written: RFC 3986 path
 * characters but %, since requests are matched once decoded, and no "..",
 * which every request path is refused for. */
static bool plain_path(const char *path)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "-._~!$&'()*+,;=:@/";

	return strspn(path, ok) == strlen(path) && !strstr(path, "..");
}

/* Stores value into o for def. Returns 0 or -EINVAL with err filled. */
static int store(struct options *o, const struct opt_def *def,
		 const char *value, char *err, size_t errlen)
{
	char *field = (char *)o + def->offset;
	struct stat st;
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
	case OPT_DIR:
		/* A root given on the command line is looked at once: a typo
		 * fails here instead of a collector failing forever. */
		if (!*value)
			break;
		if (stat(value, &st) < 0) {
			snprintf(err, errlen, "--%s: '%s': %s", def->name, value,
				 strerror(errno));
			return -EINVAL;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "--%s: '%s' is not a directory",
				 def->name, value);
			return -EINVAL;
		}
		*(const char **)field = value;
		return 0;
	case OPT_LISTEN:
		if (listen_check(value) < 0)
			break;
		if (o->nlisten == OPT_MAX_LISTEN) {
			snprintf(err, errlen, "--%s: at most %d addresses",
				 def->name, OPT_MAX_LISTEN);
			return -EINVAL;
		}
		o->listen[o->nlisten++] = value;
		return 0;
	case OPT_UINT:
		if (parse_uint(value, 1, 100000, (unsigned *)field))
			break;
		return 0;
	case OPT_UINT0:
		if (parse_uint(value, 0, 100000, (unsigned *)field))
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
	snprintf(err, errlen, "--%s: invalid value '%s' (expected %s)",
		 def->name, value, kind_expect[def->kind]);
	return -EINVAL;
}

/* Stores --collector.NAME.KEY: the option must exist in collector idx;
 * booleans take no value (or =true/=false), others need one. The value
 * itself is checked once every flag is read. Returns 0, or -EINVAL with
 * err filled in, or -ENOMEM. */
static int collector_setting_flag(struct options *o, size_t idx,
				  const char *key, int on, const char *value,
				  char *err, size_t errlen)
{
	const struct collector *c = collector_table[idx];
	const struct collector_option *opt = collector_option_find(c, key);
	struct config_flag *nf;

	if (!opt) {
		snprintf(err, errlen, "unknown flag --%scollector.%s.%s: collector "
			 "'%s' has no setting '%s' (see --help)", on ? "" : "no-",
			 c->name, key, c->name, key);
		return -EINVAL;
	}
	if (opt->type == SETTING_BOOL) {
		if (value && strcmp(value, "true") && strcmp(value, "false")) {
			snprintf(err, errlen, "--collector.%s.%s: expected true or "
				 "false, got '%s'", c->name, opt->key, value);
			return -EINVAL;
		}
		value = !on ? "false" : value ? value : "true";
	} else if (!on) {
		snprintf(err, errlen, "--no-collector.%s.%s: only a setting that "
			 "is on or off takes --no-", c->name, opt->key);
		return -EINVAL;
	} else if (!value || !*value) {
		snprintf(err, errlen, "--collector.%s.%s needs a value (%s)",
			 c->name, opt->key, opt->arg);
		return -EINVAL;
	}
	nf = realloc(o->flags, (o->nflags + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	o->flags = nf;
	o->flags[o->nflags++] = (struct config_flag){
		.collector = idx, .opt = opt, .value = value};
	return 0;
}

/* Checks every --collector.NAME.KEY value the way the configuration will
 * take it (type, limit, the option's own check), so that a bad one is a
 * bad command line; without --config.file, which may set the others
 * later, also the collectors' settings as a whole (config_check). Returns
 * 0, -EINVAL with err filled in, or -ENOMEM. */
static int check_flags(const struct options *o, char *err, size_t errlen)
{
	struct config *cfg;
	int rc;

	if (o->nflags == 0)
		return 0;
	cfg = config_new(collector_table);
	if (!cfg)
		return -ENOMEM;
	rc = config_apply_flags(cfg, o->flags, o->nflags, err, errlen);
	if (rc == 0 && !o->config_file)
		rc = config_check(cfg, err, errlen);
	config_free(cfg);
	return rc;
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
	int on = 1, idx, rc;

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

		if (opt && opt->type != SETTING_BOOL && *i + 1 < argc)
			value = argv[++*i];
	}
	rc = collector_setting_flag(o, (size_t)idx, dot + 1, on, value, err,
				    errlen);
	return rc < 0 ? rc : 1;
}

int opts_parse(int argc, char **argv, struct options *o, char *err,
	       size_t errlen)
{
	if (opts_defaults(o)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
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
	if (!plain_path(o->telemetry_path)) {
		snprintf(err, errlen, "--web.telemetry-path: '%s' must be a plain "
			 "path: letters, digits and -._~!$&'()*+,;=:@/ without "
			 "\"..\" (requests are matched decoded)", o->telemetry_path);
		return -EINVAL;
	}
	if (o->nlisten == 0)
		o->listen[o->nlisten++] = ":" VIRTMETER_DEFAULT_PORT;
	return check_flags(o, err, errlen);
}

bool opts_collector_enabled(const struct options *o, size_t i,
			    int file_enabled, bool default_enabled)
{
	if (o->collector_flag[i] >= 0)
		return o->collector_flag[i] == 1;
	if (file_enabled >= 0)
		return file_enabled == 1;
	return default_enabled && !o->disable_defaults;
}

#define HELP_INDENT 32
#define HELP_WIDTH 79

/* Prints "  LEFT  TEXT" with TEXT wrapped at HELP_WIDTH columns under
 * column HELP_INDENT; a LEFT too wide for its column gets a line of its
 * own. */
static void print_entry(FILE *f, const char *indent, const char *left,
			const char *text)
{
	size_t col = strlen(indent) + strlen(left);

	fprintf(f, "%s%s", indent, left);
	if (col + 1 >= HELP_INDENT) {
		fputc('\n', f);
		col = 0;
	}
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col < HELP_INDENT) {
			fprintf(f, "%*s", (int)(HELP_INDENT - col), "");
			col = HELP_INDENT;
		} else if (col + 1 + word > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_INDENT, "");
			col = HELP_INDENT;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(text, 1, word, f);
		col += word;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
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
		print_entry(f, "  ", left, opt_defs[d].help);
	}
	fprintf(f, "\nCollectors (enable with --collector.NAME, disable with "
		"--no-collector.NAME):\n");
	for (size_t i = 0; collector_table[i]; i++) {
		const struct collector *c = collector_table[i];
		char text[512];

		snprintf(text, sizeof(text), "%s (%s by default, every %gs)",
			 c->help, c->default_enabled ? "on" : "off",
			 c->interval_ms / 1000.0);
		print_entry(f, "  ", c->name, text);
		for (size_t k = 0; c->options && c->options[k].key; k++) {
			const struct collector_option *opt = &c->options[k];
			bool b = opt->type == SETTING_BOOL;
			char left[96], help[512];

			snprintf(left, sizeof(left), "--%scollector.%s.%s%s%s",
				 b ? "[no-]" : "", c->name, opt->key,
				 b ? "" : "=", b ? "" : opt->arg);
			print_entry(f, "    ", left,
				    setting_help(opt, help, sizeof(help)));
		}
	}
	fprintf(f, "\nEvery collector setting can also be written in the "
		"configuration file as\ncollectors: NAME: KEY (with _ for -); "
		"flags override the file.\nWith --collector.disable-defaults, "
		"every collector is off unless turned on\nby its flag or by "
		"\"enabled: true\" in the file.\n"
		"\nSignals: SIGHUP reloads --config.file and --web.config.file "
		"(a bad file is\nrejected and the running configuration kept); "
		"SIGTERM and SIGINT stop cleanly.\n");
}
