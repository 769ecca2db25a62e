/* The YAML configuration file: a pure parser over a buffer, driven by
 * libyaml's event API and a table of top-level section handlers, plus the
 * bounded file reader around it and the duration syntax shared with flags. */
#include "exporter/api/config_yaml.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A configuration file is a few kilobytes; anything past this is a mistake
 * (or an attack on the parser) and is refused before parsing. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define DURATION_MAX_MS (24u * 60 * 60 * 1000)
#define NO_LIBYAML_MSG \
	"built without libyaml: install libyaml-dev and rebuild to use a configuration file"

void config_defaults(struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_MAX_COLLECTORS; i++) {
		cfg->collectors[i].enabled = -1;
		cfg->collectors[i].interval_ms = 0;
		cfg->collectors[i].timeout_ms = 0;
	}
	cfg->cgroup.include.n = 0;
	cfg->cgroup.exclude.n = 0;
	cfg->meters = (struct power_settings){0};
	cfg->perf.nevents = 0;
	cfg->perf.events_set = false;
	cfg->perf.max_cgroups = -1;
}

void config_free(struct config *cfg)
{
	power_settings_free(&cfg->meters);
	config_defaults(cfg);
}

const struct power_settings *config_power_settings(const struct config *cfg)
{
	return cfg ? &cfg->meters : NULL;
}

/* The number must be digits with at most one '.', checked by hand before
 * strtod so that signs, spaces, hex, exponents, "inf" and "nan" (all of
 * which strtod would take) are refused. Rounds to the nearest millisecond;
 * a result of 0 ms is refused like 0 itself. */
int config_parse_duration(const char *s, unsigned *ms)
{
	static const struct {
		const char *suffix;
		double ms;
	} units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000},
		{"", 1000},
	};
	const char *p;
	char *end;
	size_t digits = 0, dots = 0;
	double v;

	if (!s || !ms)
		return -EINVAL;
	for (p = s; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
		if (*p == '.')
			dots++;
		else
			digits++;
	}
	if (digits == 0 || dots > 1)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end != p || errno != 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		double total;

		if (strcmp(p, units[i].suffix) != 0)
			continue;
		total = v * units[i].ms;
		if (!(total >= 0.5) || total > (double)DURATION_MAX_MS)
			return -EINVAL;
		*ms = (unsigned)(total + 0.5);
		return 0;
	}
	return -EINVAL;
}

/* Reads at most max bytes of path into a malloc'd buffer that the caller
 * frees (set even when empty). Returns 0 or a negative errno. */
static int read_bounded(const char *path, size_t max, char **out, size_t *outlen)
{
	char *data = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < max) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *p;

			if (ncap > max)
				ncap = max;
			p = realloc(data, ncap);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			data = p;
			cap = ncap;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = data;
	*outlen = len;
	data = NULL;
out:
	free(data);
	close(fd);
	return rc;
}

/* Reads at most one byte more than config_parse accepts, so that a file
 * that is too large is reported by config_parse like any other input. On
 * error cfg is left as it was. */
int config_load(const char *path, const char *const *known,
		struct config *cfg, struct config_error *err)
{
	struct config_error dummy;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
#ifndef HAVE_LIBYAML
	config_err_set(err, path, 0, 0, NO_LIBYAML_MSG);
	return -ENOTSUP;
#endif
	if (!path) {
		config_err_set(err, "", 0, 0, "no configuration file given");
		return -EINVAL;
	}
	rc = read_bounded(path, CONFIG_MAX_BYTES + 1, &text, &len);
	if (rc < 0) {
		config_err_set(err, path, 0, 0, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = config_parse(text, len, path, known, cfg, err);
out:
	free(text);
	return rc;
}

#ifndef HAVE_LIBYAML

int config_parse(const char *text, size_t len, const char *filename,
		 const char *const *known, struct config *cfg,
		 struct config_error *err)
{
	(void)text;
	(void)len;
	(void)known;
	(void)cfg;
	if (err)
		config_err_set(err, filename, 0, 0, NO_LIBYAML_MSG);
	return -ENOTSUP;
}

#else /* HAVE_LIBYAML */

struct section {
	const char *name; /* first: this table is a key_table */
	int (*parse)(struct parse_ctx *c, const char *path,
		     const yaml_event_t *value);
};

static int parse_collectors(struct parse_ctx *c, const char *path,
			    const yaml_event_t *value);
static int parse_cgroup(struct parse_ctx *c, const char *path,
			const yaml_event_t *value);

/* meters: the power collector's list, kept in cfg->meters. */
int config_parse_meters(struct parse_ctx *c, const char *path,
			const yaml_event_t *value)
{
	return power_parse_meters(c, path, value, &c->cfg->meters);
}

/* The top level of the file. A later section is one line here and one
 * handler, in a file of its own (config_<section>.c) built on
 * config_yaml.h. */
static const struct section sections[] = {
	{.name = "collectors", .parse = parse_collectors},
	{.name = "cgroup", .parse = parse_cgroup},
	{.name = "meters", .parse = config_parse_meters},
	{.name = "perf", .parse = config_parse_perf},
};

static const struct field collector_fields[] = {
	{.name = "enabled", .type = FIELD_BOOL,
	 .offset = offsetof(struct config_collector, enabled)},
	{.name = "interval", .type = FIELD_DURATION,
	 .offset = offsetof(struct config_collector, interval_ms)},
	{.name = "timeout", .type = FIELD_DURATION,
	 .offset = offsetof(struct config_collector, timeout_ms)},
};

static const struct field cgroup_fields[] = {
	{.name = "include", .type = FIELD_PATTERNS,
	 .offset = offsetof(struct config_cgroup, include)},
	{.name = "exclude", .type = FIELD_PATTERNS,
	 .offset = offsetof(struct config_cgroup, exclude)},
};

static int on_collector(struct parse_ctx *c, size_t idx, const char *path,
			const yaml_event_t *value, void *arg)
{
	struct field_target target = {
		.fields = collector_fields,
		.base = &c->cfg->collectors[idx],
	};
	const struct map_walk w = {
		.path = path,
		.keys = {.base = collector_fields,
			 .stride = sizeof(collector_fields[0]),
			 .count = ARRAY_SIZE(collector_fields),
			 .noun = "key"},
		.on_value = cy_on_field,
		.arg = &target,
	};

	return cy_walk_map(c, value, &w);
}

/* collectors: a mapping from the names of the collectors compiled into
 * this binary to their settings. */
static int parse_collectors(struct parse_ctx *c, const char *path,
			    const yaml_event_t *value)
{
	const struct map_walk w = {
		.path = path,
		.keys = {.base = c->known,
			 .stride = sizeof(c->known[0]),
			 .count = c->nknown,
			 .noun = "collector"},
		.on_value = on_collector,
	};

	return cy_walk_map(c, value, &w);
}

/* cgroup: include and exclude patterns for the containers reported. */
static int parse_cgroup(struct parse_ctx *c, const char *path,
			const yaml_event_t *value)
{
	struct field_target target = {
		.fields = cgroup_fields,
		.base = &c->cfg->cgroup,
	};
	const struct map_walk w = {
		.path = path,
		.keys = {.base = cgroup_fields,
			 .stride = sizeof(cgroup_fields[0]),
			 .count = ARRAY_SIZE(cgroup_fields),
			 .noun = "key"},
		.on_value = cy_on_field,
		.arg = &target,
	};

	return cy_walk_map(c, value, &w);
}

static int on_section(struct parse_ctx *c, size_t idx, const char *path,
		      const yaml_event_t *value, void *arg)
{
	return sections[idx].parse(c, path, value);
}

/* The whole stream: nothing at all (an empty or comment-only file), or one
 * document whose root is a mapping of sections. */
static int parse_stream(struct parse_ctx *c)
{
	const struct map_walk top = {
		.path = "",
		.keys = {.base = sections,
			 .stride = sizeof(sections[0]),
			 .count = ARRAY_SIZE(sections),
			 .noun = "key"},
		.on_value = on_section,
	};
	yaml_event_t ev;
	int docs = 0, rc;

	for (;;) {
		rc = cy_next_event(c, &ev);
		if (rc)
			goto out;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			goto out;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0)
				rc = cy_fail_at(c, &ev.start_mark,
					     "only one YAML document is allowed, found a second one");
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			/* The root node of the document. */
			rc = cy_walk_map(c, &ev, &top);
			break;
		}
		yaml_event_delete(&ev);
		if (rc)
			goto out;
	}
out:
	return rc;
}

/* Parses into a scratch config that is copied to cfg only on success, so
 * that a failed reload leaves the running configuration untouched. */
int config_parse(const char *text, size_t len, const char *filename,
		 const char *const *known, struct config *cfg,
		 struct config_error *err)
{
	struct config_error dummy;
	struct parse_ctx c;
	struct config tmp;
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!filename)
		filename = "";
	if (!cfg || (!text && len)) {
		config_err_set(err, filename, 0, 0, "invalid arguments");
		return -EINVAL;
	}
	if (len > CONFIG_MAX_BYTES) {
		config_err_set(err, filename, 0, 0,
			"file is larger than 1 MiB: this is not a configuration file");
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.text = text ? text : "";
	c.len = len;
	c.file = filename;
	c.known = known;
	for (c.nknown = 0; known && known[c.nknown]; c.nknown++)
		;
	if (c.nknown > CONFIG_MAX_COLLECTORS)
		c.nknown = CONFIG_MAX_COLLECTORS;
	config_defaults(&tmp);
	c.cfg = &tmp;
	c.err = err;
	if (!yaml_parser_initialize(&c.parser)) {
		config_err_set(err, filename, 0, 0, "out of memory while parsing");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)c.text, len);
	rc = parse_stream(&c);
	yaml_parser_delete(&c.parser);
	if (rc == 0)
		*cfg = tmp;
	else
		config_free(&tmp);
	return rc;
}

#endif /* HAVE_LIBYAML */
