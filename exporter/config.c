/* The configuration: defaults from the collectors' option tables, the
 * YAML file (a pure parser over a buffer, driven by libyaml's event API),
 * and the command line's --collector.NAME.KEY settings. The loader knows
 * no collector: every key past enabled, interval and timeout comes from a
 * collector's option table, and every other top-level section from the
 * collector that owns it. */
#include "exporter/config.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A configuration file is a few kilobytes; anything past this is a mistake
 * (or an attack on the parser) and is refused before parsing. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define NO_LIBYAML_MSG \
	"built without libyaml: install libyaml-dev and rebuild to use a configuration file"

struct config *config_new(const struct collector *const *table)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->table = table;
	while (table[cfg->n])
		cfg->n++;
	cfg->c = calloc(cfg->n ? cfg->n : 1, sizeof(*cfg->c));
	if (!cfg->c)
		goto fail;
	for (size_t i = 0; i < cfg->n; i++) {
		const struct collector *col = table[i];

		cfg->c[i].enabled = -1;
		if (!col->settings_size)
			continue;
		cfg->c[i].settings = calloc(1, col->settings_size);
		if (!cfg->c[i].settings ||
		    settings_defaults(col, cfg->c[i].settings) < 0)
			goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; cfg->c && i < cfg->n; i++) {
		settings_free(cfg->table[i], cfg->c[i].settings);
		free(cfg->c[i].settings);
	}
	free(cfg->c);
	free(cfg);
}

int config_check(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n; i++) {
		const struct collector *col = cfg->table[i];
		char msg[256];
		int rc;

		if (!col->check_settings || !cfg->c[i].settings)
			continue;
		rc = col->check_settings(cfg->c[i].settings, msg, sizeof(msg));
		if (rc) {
			snprintf(err, errlen, "collector %s: %s", col->name, msg);
			return rc;
		}
	}
	return 0;
}

int config_apply_flags(struct config *cfg, const struct config_flag *flags,
		       size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_flag *f = &flags[i];
		const struct collector *col = cfg->table[f->collector];
		char msg[256];
		int rc;

		rc = setting_set_text(cfg->c[f->collector].settings, f->opt,
				      f->value, msg, sizeof(msg));
		if (rc == -EINVAL)
			snprintf(err, errlen, "--collector.%s.%s=%s: %s", col->name,
				 f->opt->key, f->value, msg);
		else if (rc)
			snprintf(err, errlen, "out of memory");
		if (rc)
			return rc;
	}
	return 0;
}

/* What a file of mode m is, for the error of one that is not a regular
 * file. */
static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* Opens path for reading if it is a regular file (or a symlink to one).
 * Anything else is refused before it is opened, and the open itself is
 * non-blocking: a FIFO, which would wait for a writer, or a device swapped
 * in meanwhile never blocks the caller (a reload runs in the thread that
 * takes SIGTERM). Returns the descriptor, or a negative errno with *kind
 * set to what path is when it is not a regular file (-EINVAL). */
static int open_regular(const char *path, const char **kind)
{
	struct stat st;
	int fd;

	*kind = NULL;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int config_read_file(const char *path, size_t max, char **out,
		     size_t *outlen, const char **kind)
{
	char *data;
	size_t len = 0;
	int fd, rc = 0;

	fd = open_regular(path, kind);
	if (fd < 0)
		return fd;
	/* One buffer of the largest size: no copy left behind by a realloc,
	 * since the file may hold a key. */
	data = malloc(max + 1);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	while (len < max) {
		ssize_t n = read(fd, data + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (rc < 0) {
		explicit_bzero(data, max + 1);
		free(data);
		return rc;
	}
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return 0;
}

/* Reads at most one byte more than config_parse accepts, so that a file
 * that is too large is reported by config_parse like any other input. */
int config_load(const char *path, const struct collector *const *table,
		struct config **out, struct config_error *err)
{
	struct config_error dummy;
	const char *kind = NULL;
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
	rc = config_read_file(path, CONFIG_MAX_BYTES + 1, &text, &len, &kind);
	if (rc < 0 && kind) {
		config_err_set(err, path, 0, 0,
			       "cannot read %s: it is %s, not a regular file",
			       path, kind);
		goto out;
	}
	if (rc < 0) {
		config_err_set(err, path, 0, 0, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = config_parse(text, len, path, table, out, err);
out:
	free(text);
	return rc;
}

#ifndef HAVE_LIBYAML

int config_parse(const char *text, size_t len, const char *filename,
		 const struct collector *const *table, struct config **out,
		 struct config_error *err)
{
	(void)text;
	(void)len;
	(void)table;
	(void)out;
	if (err)
		config_err_set(err, filename, 0, 0, NO_LIBYAML_MSG);
	return -ENOTSUP;
}

#else /* HAVE_LIBYAML */

/* The keys of collectors.NAME that every collector takes, before the
 * keys of its option table. */
enum { GK_ENABLED, GK_INTERVAL, GK_TIMEOUT, GK_COUNT };

static const struct field generic_fields[GK_COUNT] = {
	[GK_ENABLED] = {.name = "enabled", .type = FIELD_BOOL,
			.offset = offsetof(struct config_collector, enabled)},
	[GK_INTERVAL] = {.name = "interval", .type = FIELD_DURATION,
			 .offset = offsetof(struct config_collector, interval_ms)},
	[GK_TIMEOUT] = {.name = "timeout", .type = FIELD_DURATION,
			.offset = offsetof(struct config_collector, timeout_ms)},
};

/* One collector's keys as the file spells them: the generic keys, then
 * its options with '_' for '-'. */
struct key_names {
	const char **name;
	size_t n;
	unsigned *set_line; /* per option: where the file set it, 0 if not */
};

/* One parse: the configuration being built and the key names. */
struct loader {
	struct config *cfg;
	const char **collector_names; /* cfg->n */
	const char **section_names;   /* "collectors", then sections */
	size_t *section_owner;        /* collector of section_names[i], i > 0 */
	size_t nsections;
	struct key_names *keys;       /* cfg->n */
};

/* What an option's mapping walk writes into. */
struct option_target {
	struct loader *l;
	size_t collector;
	bool generic; /* the keys start with enabled, interval, timeout */
};

static void loader_free(struct loader *l)
{
	for (size_t i = 0; l->keys && i < l->cfg->n; i++) {
		for (size_t k = GK_COUNT; k < l->keys[i].n; k++)
			free((char *)l->keys[i].name[k]);
		free(l->keys[i].name);
		free(l->keys[i].set_line);
	}
	free(l->keys);
	free(l->collector_names);
	free(l->section_names);
	free(l->section_owner);
}

/* The option's key as the file spells it: '_' for '-'. */
static char *file_key(const char *key)
{
	char *s = strdup(key);

	for (char *p = s; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* Builds the key tables of every collector and of the top level. */
static int loader_init(struct loader *l, struct config *cfg)
{
	size_t n = cfg->n;

	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->collector_names = calloc(n + 1, sizeof(*l->collector_names));
	l->section_names = calloc(n + 1, sizeof(*l->section_names));
	l->section_owner = calloc(n + 1, sizeof(*l->section_owner));
	l->keys = calloc(n + 1, sizeof(*l->keys));
	if (!l->collector_names || !l->section_names || !l->section_owner ||
	    !l->keys)
		return -ENOMEM;
	l->section_names[l->nsections++] = "collectors";
	for (size_t i = 0; i < n; i++) {
		const struct collector *col = cfg->table[i];
		struct key_names *k = &l->keys[i];
		size_t nopt = 0;

		l->collector_names[i] = col->name;
		if (col->section) {
			l->section_owner[l->nsections] = i;
			l->section_names[l->nsections++] = col->section;
		}
		while (col->options && col->options[nopt].key)
			nopt++;
		k->name = calloc(GK_COUNT + nopt, sizeof(*k->name));
		k->set_line = calloc(nopt + 1, sizeof(*k->set_line));
		if (!k->name || !k->set_line)
			return -ENOMEM;
		for (size_t g = 0; g < GK_COUNT; g++)
			k->name[k->n++] = generic_fields[g].name;
		for (size_t o = 0; o < nopt; o++) {
			k->name[k->n] = file_key(col->options[o].key);
			if (!k->name[k->n])
				return -ENOMEM;
			k->n++;
		}
	}
	return 0;
}

/* What the list items of a SETTING_LIST are added to. */
struct list_target {
	void *settings;
	const struct collector_option *opt;
};

/* on_item of a SETTING_LIST: one scalar item. */
static int list_item(struct parse_ctx *c, const char *path,
		     const yaml_event_t *ev, void *arg)
{
	const struct list_target *t = arg;
	char tmp[64], msg[256];
	int rc;

	if (ev->type != YAML_SCALAR_EVENT || cy_is_null(ev))
		return cy_fail_at(c, &ev->start_mark,
				  "%s: expected a string as list item, got %s",
				  path, cy_describe(ev, tmp, sizeof(tmp)));
	if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
		return cy_fail_at(c, &ev->start_mark, "%s: a NUL byte is not allowed",
				  path);
	rc = setting_add_item(t->settings, t->opt,
			      (const char *)ev->data.scalar.value, msg, sizeof(msg));
	if (rc == -EINVAL)
		return cy_fail_at(c, &ev->start_mark, "%s: %s", path, msg);
	return rc;
}

/* Sets one option of a collector from its YAML value (consumed). */
static int set_option(struct parse_ctx *c, const char *path,
		      const yaml_event_t *v, void *settings,
		      const struct collector_option *opt)
{
	struct list_target lt = {settings, opt};
	const char *text = (const char *)v->data.scalar.value;
	char tmp[64], msg[256];
	int b, rc;

	switch (opt->type) {
	case SETTING_BOOL:
		rc = cy_set_bool(c, path, v, &b);
		if (rc == 0)
			*(bool *)(void *)((char *)settings + opt->offset) = b;
		return rc;
	case SETTING_LIST:
		setting_clear(settings, opt);
		return cy_walk_list(c, path, v, "a list like [a, b]", list_item,
				    &lt);
	case SETTING_UINT:
	case SETTING_STRING:
		break;
	}
	if (v->type != YAML_SCALAR_EVENT || cy_is_null(v) ||
	    (opt->type == SETTING_UINT &&
	     v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE))
		return cy_fail_at(c, &v->start_mark, "%s: expected %s, got %s", path,
				  opt->type == SETTING_UINT ? "a whole number" :
							      "a string",
				  cy_describe(v, tmp, sizeof(tmp)));
	if (strlen(text) != v->data.scalar.length)
		return cy_fail_at(c, &v->start_mark, "%s: a NUL byte is not allowed",
				  path);
	rc = setting_set_text(settings, opt, text, msg, sizeof(msg));
	if (rc == -EINVAL)
		return cy_fail_at(c, &v->start_mark, "%s: %s", path, msg);
	return rc;
}

/* on_value of a collector's mapping: a generic key or an option. */
static int on_collector_key(struct parse_ctx *c, size_t idx, const char *path,
			    const yaml_event_t *value, void *arg)
{
	const struct option_target *t = arg;
	struct config_collector *cc = &t->l->cfg->c[t->collector];
	const struct collector *col = t->l->cfg->table[t->collector];
	struct key_names *k = &t->l->keys[t->collector];
	size_t o;

	if (t->generic && idx < GK_COUNT) {
		struct field_target ft = {.fields = generic_fields, .base = cc};

		return cy_on_field(c, idx, path, value, &ft);
	}
	o = t->generic ? idx - GK_COUNT : idx;
	if (k->set_line[o])
		return cy_fail_at(c, &value->start_mark,
				  "%s: set twice (first at line %u)", path,
				  k->set_line[o]);
	k->set_line[o] = (unsigned)value->start_mark.line + 1;
	return set_option(c, path, value, cc->settings, &col->options[o]);
}

/* Walks the mapping of a collector's settings: collectors.NAME (generic
 * keys first) or the collector's own section (options only). */
static int walk_collector(struct parse_ctx *c, struct loader *l, size_t idx,
			  const char *path, const yaml_event_t *value,
			  bool generic)
{
	struct key_names *k = &l->keys[idx];
	struct option_target t = {l, idx, generic};
	const struct map_walk w = {
		.path = path,
		.keys = {.base = generic ? k->name : k->name + GK_COUNT,
			 .stride = sizeof(k->name[0]),
			 .count = generic ? k->n : k->n - GK_COUNT,
			 .noun = "key"},
		.on_value = on_collector_key,
		.arg = &t,
	};

	return cy_walk_map(c, value, &w);
}

static int on_collector(struct parse_ctx *c, size_t idx, const char *path,
			const yaml_event_t *value, void *arg)
{
	return walk_collector(c, arg, idx, path, value, true);
}

/* collectors: a mapping from the names of the collectors compiled into
 * this binary to their settings. */
static int parse_collectors(struct parse_ctx *c, struct loader *l,
			    const char *path, const yaml_event_t *value)
{
	const struct map_walk w = {
		.path = path,
		.keys = {.base = l->collector_names,
			 .stride = sizeof(l->collector_names[0]),
			 .count = l->cfg->n,
			 .noun = "collector"},
		.on_value = on_collector,
		.arg = l,
	};

	return cy_walk_map(c, value, &w);
}

static int on_section(struct parse_ctx *c, size_t idx, const char *path,
		      const yaml_event_t *value, void *arg)
{
	struct loader *l = arg;
	size_t owner;
	const struct collector *col;

	if (idx == 0)
		return parse_collectors(c, l, path, value);
	owner = l->section_owner[idx];
	col = l->cfg->table[owner];
	if (col->parse_section)
		return col->parse_section(c, path, value, l->cfg->c[owner].settings);
	return walk_collector(c, l, owner, path, value, false);
}

/* The whole stream: nothing at all (an empty or comment-only file), or one
 * document whose root is a mapping of sections. */
static int parse_stream(struct parse_ctx *c, struct loader *l)
{
	const struct map_walk top = {
		.path = "",
		.keys = {.base = l->section_names,
			 .stride = sizeof(l->section_names[0]),
			 .count = l->nsections,
			 .noun = "key"},
		.on_value = on_section,
		.arg = l,
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

/* Parses into a new config that replaces nothing until the whole file is
 * good, so that a failed reload leaves the running configuration alone. */
int config_parse(const char *text, size_t len, const char *filename,
		 const struct collector *const *table, struct config **out,
		 struct config_error *err)
{
	struct config_error dummy;
	struct config *cfg = NULL;
	struct parse_ctx c;
	struct loader l = {0};
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!filename)
		filename = "";
	if (!out || !table || (!text && len)) {
		config_err_set(err, filename, 0, 0, "invalid arguments");
		return -EINVAL;
	}
	if (len > CONFIG_MAX_BYTES) {
		config_err_set(err, filename, 0, 0,
			"file is larger than 1 MiB: this is not a configuration file");
		return -EINVAL;
	}
	cfg = config_new(table);
	if (!cfg || loader_init(&l, cfg) < 0) {
		config_err_set(err, filename, 0, 0, "out of memory while parsing");
		rc = -ENOMEM;
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.text = text ? text : "";
	c.len = len;
	c.file = filename;
	c.err = err;
	if (!yaml_parser_initialize(&c.parser)) {
		config_err_set(err, filename, 0, 0, "out of memory while parsing");
		rc = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)c.text, len);
	rc = parse_stream(&c, &l);
	yaml_parser_delete(&c.parser);
	if (rc == 0) {
		*out = cfg;
		cfg = NULL;
	}
out:
	loader_free(&l);
	config_free(cfg);
	return rc;
}

#endif /* HAVE_LIBYAML */
