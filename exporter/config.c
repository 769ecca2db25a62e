/* The YAML configuration file: a pure parser over a buffer, driven by
 * libyaml's event API and a table of top-level section handlers, plus the
 * bounded file reader around it and the duration syntax shared with flags. */
#include "build-config.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef HAVE_LIBYAML
#include <yaml.h>
#endif

/* A configuration file is a few kilobytes; anything past this is a mistake
 * (or an attack on the parser) and is refused before parsing. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define DURATION_MAX_MS (24u * 60 * 60 * 1000)
#define NO_LIBYAML_MSG \
	"built without libyaml: install libyaml-dev and rebuild to use a configuration file"

static void err_vset(struct config_error *err, const char *file, unsigned line,
		     unsigned column, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static void err_set(struct config_error *err, const char *file, unsigned line,
		    unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void err_vset(struct config_error *err, const char *file, unsigned line,
		     unsigned column, const char *fmt, va_list ap)
{
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

static void err_set(struct config_error *err, const char *file, unsigned line,
		    unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, file, line, column, fmt, ap);
	va_end(ap);
}

void config_defaults(struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_MAX_COLLECTORS; i++) {
		cfg->collectors[i].enabled = -1;
		cfg->collectors[i].interval_ms = 0;
		cfg->collectors[i].timeout_ms = 0;
	}
	cfg->cgroup.include.n = 0;
	cfg->cgroup.exclude.n = 0;
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
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
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
	err_set(err, path, 0, 0, NO_LIBYAML_MSG);
	return -ENOTSUP;
#endif
	if (!path) {
		err_set(err, "", 0, 0, "no configuration file given");
		return -EINVAL;
	}
	rc = read_bounded(path, CONFIG_MAX_BYTES + 1, &text, &len);
	if (rc < 0) {
		err_set(err, path, 0, 0, "cannot read %s: %s", path, strerror(-rc));
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
		err_set(err, filename, 0, 0, NO_LIBYAML_MSG);
	return -ENOTSUP;
}

#else /* HAVE_LIBYAML */

/* One parse: the libyaml parser, the input (for error positions), where
 * results go and where the first error goes. */
struct parse_ctx {
	yaml_parser_t parser;
	const char *text;
	size_t len;
	const char *file;
	const char *const *known;
	size_t nknown;
	struct config *cfg;
	struct config_error *err;
};

/* The keys a mapping accepts: count entries of stride bytes from base, each
 * of which starts with its name (a const char *). This lets the section,
 * field and known-collector tables all serve as key tables as they are. */
struct key_table {
	const void *base;
	size_t stride;
	size_t count;
	const char *noun; /* "key" or "collector", for error messages */
};

/* How to walk one mapping: path is the dotted path of the mapping ("" at
 * the top level); on_value gets the index of each key in keys, the dotted
 * path of the value and the value's first event, which it must consume in
 * full (a nested mapping is consumed up to its end event). */
struct map_walk {
	const char *path;
	struct key_table keys;
	int (*on_value)(struct parse_ctx *c, size_t idx, const char *path,
			const yaml_event_t *value, void *arg);
	void *arg;
};

/* Typed leaf settings of a mapping, found by offset in the struct that the
 * walk's arg points to. */
enum field_type { FIELD_BOOL, FIELD_DURATION, FIELD_PATTERNS };

struct field {
	const char *name; /* first: this table is a key_table */
	enum field_type type;
	size_t offset;
};

/* What on_field writes into: the fields of one struct and the struct. */
struct field_target {
	const struct field *fields;
	void *base;
};

struct section {
	const char *name; /* first: this table is a key_table */
	int (*parse)(struct parse_ctx *c, const char *path,
		     const yaml_event_t *value);
};

static int parse_collectors(struct parse_ctx *c, const char *path,
			    const yaml_event_t *value);
static int parse_cgroup(struct parse_ctx *c, const char *path,
			const yaml_event_t *value);

/* The top level of the file. Later sections (meters, idle power) are one
 * line here and one handler each. */
static const struct section sections[] = {
	{.name = "collectors", .parse = parse_collectors},
	{.name = "cgroup", .parse = parse_cgroup},
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

static int fail_at(struct parse_ctx *c, const yaml_mark_t *m, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

/* Records an error at a libyaml mark (0-based) and returns -EINVAL. */
static int fail_at(struct parse_ctx *c, const yaml_mark_t *m, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(c->err, c->file, (unsigned)m->line + 1, (unsigned)m->column + 1,
		 fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copies at most 40 bytes of s into out for an error message: control
 * bytes become '?', a cut never splits a UTF-8 sequence, and "..." marks
 * the cut. Returns out. */
static const char *show(const char *s, size_t len, char *out, size_t size)
{
	size_t n = len, o = 0;

	if (size < 8)
		return "";
	if (n > 40 || n > size - 4) {
		n = size - 4 < 40 ? size - 4 : 40;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (n < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* A plain scalar that YAML reads as null: an empty value, "~" or "null". */
static bool is_null(const yaml_event_t *ev)
{
	const char *v;

	if (ev->type != YAML_SCALAR_EVENT ||
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)ev->data.scalar.value;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	       strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

/* Describes a value for "expected X, got Y" messages, in out. */
static const char *describe(const yaml_event_t *ev, char *out, size_t size)
{
	char tmp[64];

	if (ev->type == YAML_MAPPING_START_EVENT)
		return "a mapping";
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return "a list";
	if (ev->type != YAML_SCALAR_EVENT)
		return "something else";
	if (is_null(ev))
		return "nothing";
	snprintf(out, size, "'%s'",
		 show((const char *)ev->data.scalar.value, ev->data.scalar.length,
		      tmp, sizeof(tmp)));
	return out;
}

/* Turns a byte offset into a 1-based line and column (reader errors carry
 * an offset, not a mark). */
static void offset_pos(const struct parse_ctx *c, size_t off, unsigned *line,
		       unsigned *column)
{
	size_t start = 0;
	unsigned l = 1;

	if (off > c->len)
		off = c->len;
	for (size_t i = 0; i < off; i++) {
		if (c->text[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*column = (unsigned)(off - start) + 1;
}

/* libyaml's words for a tab ("cannot start any token") leave people
 * guessing: name the usual cause when the error points at one. */
static const char *tab_hint(const struct parse_ctx *c, const yaml_mark_t *m)
{
	if (m->index < c->len && c->text[m->index] == '\t')
		return ": YAML does not allow tabs for indentation";
	return "";
}

/* Reports the error that made yaml_parser_parse fail, in libyaml's words. */
static int syntax_error(struct parse_ctx *c)
{
	const yaml_parser_t *p = &c->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line, column;

	if (p->error == YAML_MEMORY_ERROR) {
		err_set(c->err, c->file, 0, 0, "out of memory while parsing");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_pos(c, p->problem_offset, &line, &column);
		err_set(c->err, c->file, line, column,
			"invalid YAML input: %s", problem);
		return -EINVAL;
	}
	if (p->context)
		return fail_at(c, &p->problem_mark,
			       "YAML syntax error: %s (%s started at line %u column %u)%s",
			       problem, p->context,
			       (unsigned)p->context_mark.line + 1,
			       (unsigned)p->context_mark.column + 1,
			       tab_hint(c, &p->problem_mark));
	return fail_at(c, &p->problem_mark, "YAML syntax error: %s%s", problem,
		       tab_hint(c, &p->problem_mark));
}

/* Refuses the YAML features that this format has no use for and that make
 * files harder to review: anchors, aliases and explicit tags. */
static int check_features(struct parse_ctx *c, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	char tmp[64];

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		anchor = ev->data.alias.anchor;
		return fail_at(c, &ev->start_mark,
			       "aliases (*%s) are not supported: write the value out "
			       "(or quote it, if it is a glob pattern)",
			       show((const char *)anchor, strlen((const char *)anchor),
				    tmp, sizeof(tmp)));
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail_at(c, &ev->start_mark,
			       "anchors (&%s) are not supported: write the value out",
			       show((const char *)anchor, strlen((const char *)anchor),
				    tmp, sizeof(tmp)));
	if (tag)
		return fail_at(c, &ev->start_mark,
			       "tags (%s) are not supported: remove the tag",
			       show((const char *)tag, strlen((const char *)tag), tmp,
				    sizeof(tmp)));
	return 0;
}

/* Fetches the next event into ev. On success the caller owns ev and
 * deletes it; on error there is nothing to delete. */
static int next_event(struct parse_ctx *c, yaml_event_t *ev)
{
	int rc;

	if (!yaml_parser_parse(&c->parser, ev))
		return syntax_error(c);
	rc = check_features(c, ev);
	if (rc)
		yaml_event_delete(ev);
	return rc;
}

/* Index of the key table entry named like the scalar ev, or -1. The length
 * check matters: a quoted key may hold a NUL byte. */
static int key_find(const struct key_table *t, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	for (size_t i = 0; i < t->count; i++) {
		const char *const *name =
			(const void *)((const char *)t->base + i * t->stride);

		if (strlen(*name) == len && memcmp(*name, v, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Writes the names of a key table as "a, b, c" into out. */
static const char *key_list(const struct key_table *t, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->count && o < size; i++) {
		const char *const *name =
			(const void *)((const char *)t->base + i * t->stride);
		int n = snprintf(out + o, size - o, "%s%s", i ? ", " : "", *name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

/* Handles one key of a mapping and its value. seen and first_line track
 * which keys came before (key tables have at most 64 entries). */
static int walk_entry(struct parse_ctx *c, const struct map_walk *w,
		      const yaml_event_t *key, uint64_t *seen,
		      unsigned *first_line)
{
	yaml_event_t value;
	char tmp[64], known[160], path[192];
	const char *where = w->path[0] ? "in " : "at the top level";
	int idx, rc;

	if (key->type != YAML_SCALAR_EVENT || is_null(key))
		return fail_at(c, &key->start_mark, "keys must be names, got %s (%s%s)",
			       describe(key, tmp, sizeof(tmp)), where, w->path);
	idx = key_find(&w->keys, key);
	if (idx < 0)
		return fail_at(c, &key->start_mark, "unknown %s '%s' %s%s (known: %s)",
			       w->keys.noun,
			       show((const char *)key->data.scalar.value,
				    key->data.scalar.length, tmp, sizeof(tmp)),
			       where, w->path,
			       key_list(&w->keys, known, sizeof(known)));
	if (*seen & ((uint64_t)1 << idx))
		return fail_at(c, &key->start_mark,
			       "duplicate key '%s' %s%s (first at line %u)",
			       show((const char *)key->data.scalar.value,
				    key->data.scalar.length, tmp, sizeof(tmp)),
			       where, w->path, first_line[idx]);
	*seen |= (uint64_t)1 << idx;
	first_line[idx] = (unsigned)key->start_mark.line + 1;
	snprintf(path, sizeof(path), "%s%s%s", w->path, w->path[0] ? "." : "",
		 (const char *)key->data.scalar.value);
	rc = next_event(c, &value);
	if (rc)
		return rc;
	rc = w->on_value(c, (size_t)idx, path, &value, w->arg);
	yaml_event_delete(&value);
	return rc;
}

/* Walks the mapping that starts with the event start (already fetched and
 * owned by the caller) up to its end event. A null value counts as an
 * empty mapping. */
static int walk_map(struct parse_ctx *c, const yaml_event_t *start,
		    const struct map_walk *w)
{
	unsigned first_line[64];
	uint64_t seen = 0;
	yaml_event_t key;
	char tmp[64], known[160];
	int rc = 0;

	if (is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT && !w->path[0])
		return fail_at(c, &start->start_mark,
			       "the top level must be a mapping of 'key: value' lines, got %s",
			       describe(start, tmp, sizeof(tmp)));
	if (start->type != YAML_MAPPING_START_EVENT)
		return fail_at(c, &start->start_mark,
			       "%s: expected a mapping of %ss (known: %s), got %s",
			       w->path, w->keys.noun,
			       key_list(&w->keys, known, sizeof(known)),
			       describe(start, tmp, sizeof(tmp)));
	if (w->keys.count > 64)
		return fail_at(c, &start->start_mark, "%s: too many keys", w->path);
	for (;;) {
		rc = next_event(c, &key);
		if (rc)
			goto out;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			goto out;
		}
		rc = walk_entry(c, w, &key, &seen, first_line);
		yaml_event_delete(&key);
		if (rc)
			goto out;
	}
out:
	return rc;
}

/* Sets a FIELD_BOOL (an int: 0 or 1). Only plain scalars count: a quoted
 * "true" is a string in YAML, and saying so beats guessing. */
static int set_bool(struct parse_ctx *c, const char *path,
		    const yaml_event_t *value, int *out)
{
	static const char *const truths[] = {"true", "yes", "on"};
	static const char *const lies[] = {"false", "no", "off"};
	char tmp[64];
	const char *v;
	size_t len;

	if (value->type == YAML_SCALAR_EVENT &&
	    (value->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	     value->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		return fail_at(c, &value->start_mark,
			       "%s: expected true or false, got the quoted string %s (remove the quotes)",
			       path, describe(value, tmp, sizeof(tmp)));
	if (value->type != YAML_SCALAR_EVENT ||
	    value->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		goto bad;
	v = (const char *)value->data.scalar.value;
	len = value->data.scalar.length;
	for (size_t i = 0; i < 3; i++) {
		if (strlen(truths[i]) == len && strncasecmp(v, truths[i], len) == 0) {
			*out = 1;
			return 0;
		}
		if (strlen(lies[i]) == len && strncasecmp(v, lies[i], len) == 0) {
			*out = 0;
			return 0;
		}
	}
bad:
	return fail_at(c, &value->start_mark, "%s: expected true or false, got %s",
		       path, describe(value, tmp, sizeof(tmp)));
}

/* Sets a FIELD_DURATION (unsigned milliseconds). */
static int set_duration(struct parse_ctx *c, const char *path,
			const yaml_event_t *value, unsigned *out)
{
	char tmp[64];

	if (value->type == YAML_SCALAR_EVENT &&
	    strlen((const char *)value->data.scalar.value) ==
		    value->data.scalar.length &&
	    config_parse_duration((const char *)value->data.scalar.value, out) == 0)
		return 0;
	return fail_at(c, &value->start_mark,
		       "%s: expected a duration like 5s, 500ms or 1m (at most 24h), got %s",
		       path, describe(value, tmp, sizeof(tmp)));
}

/* Adds one list item, the scalar ev, to out. */
static int add_pattern(struct parse_ctx *c, const char *path,
		       const yaml_event_t *ev, struct config_patterns *out)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	char tmp[64];

	if (is_null(ev) || len == 0)
		return fail_at(c, &ev->start_mark,
			       "%s: empty pattern (remove the line, or write '*' to match all)",
			       path);
	if (strlen(v) != len)
		return fail_at(c, &ev->start_mark, "%s: a pattern cannot hold a NUL byte",
			       path);
	if (len >= CONFIG_PATTERN_MAX)
		return fail_at(c, &ev->start_mark,
			       "%s: pattern %s is longer than %d bytes", path,
			       describe(ev, tmp, sizeof(tmp)), CONFIG_PATTERN_MAX - 1);
	if (out->n >= CONFIG_MAX_PATTERNS)
		return fail_at(c, &ev->start_mark, "%s: more than %d patterns", path,
			       CONFIG_MAX_PATTERNS);
	memcpy(out->pattern[out->n], v, len + 1);
	out->n++;
	return 0;
}

/* Sets a FIELD_PATTERNS: a list of glob patterns (null is an empty list).
 * Consumes the list up to its end event. */
static int set_patterns(struct parse_ctx *c, const char *path,
			const yaml_event_t *value, struct config_patterns *out)
{
	yaml_event_t ev;
	char tmp[64];
	int rc;

	out->n = 0;
	if (is_null(value))
		return 0;
	if (value->type != YAML_SEQUENCE_START_EVENT)
		return fail_at(c, &value->start_mark,
			       "%s: expected a list of glob patterns like [\"web*\"], got %s",
			       path, describe(value, tmp, sizeof(tmp)));
	for (;;) {
		rc = next_event(c, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_SCALAR_EVENT)
			rc = add_pattern(c, path, &ev, out);
		else
			rc = fail_at(c, &ev.start_mark,
				     "%s: expected a glob pattern, got %s", path,
				     describe(&ev, tmp, sizeof(tmp)));
		yaml_event_delete(&ev);
		if (rc)
			return rc;
	}
}

/* on_value for a table of struct field: arg is a struct field_target. */
static int on_field(struct parse_ctx *c, size_t idx, const char *path,
		    const yaml_event_t *value, void *arg)
{
	const struct field_target *t = arg;
	const struct field *f = &t->fields[idx];
	char *base = t->base;

	switch (f->type) {
	case FIELD_BOOL:
		return set_bool(c, path, value, (int *)(void *)(base + f->offset));
	case FIELD_DURATION:
		return set_duration(c, path, value,
				    (unsigned *)(void *)(base + f->offset));
	case FIELD_PATTERNS:
		return set_patterns(c, path, value,
				    (struct config_patterns *)(void *)(base + f->offset));
	}
	return -EINVAL;
}

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
			 .count = sizeof(collector_fields) / sizeof(collector_fields[0]),
			 .noun = "key"},
		.on_value = on_field,
		.arg = &target,
	};

	return walk_map(c, value, &w);
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

	return walk_map(c, value, &w);
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
			 .count = sizeof(cgroup_fields) / sizeof(cgroup_fields[0]),
			 .noun = "key"},
		.on_value = on_field,
		.arg = &target,
	};

	return walk_map(c, value, &w);
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
			 .count = sizeof(sections) / sizeof(sections[0]),
			 .noun = "key"},
		.on_value = on_section,
	};
	yaml_event_t ev;
	int docs = 0, rc;

	for (;;) {
		rc = next_event(c, &ev);
		if (rc)
			goto out;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			goto out;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0)
				rc = fail_at(c, &ev.start_mark,
					     "only one YAML document is allowed, found a second one");
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			/* The root node of the document. */
			rc = walk_map(c, &ev, &top);
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
		err_set(err, filename, 0, 0, "invalid arguments");
		return -EINVAL;
	}
	if (len > CONFIG_MAX_BYTES) {
		err_set(err, filename, 0, 0,
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
		err_set(err, filename, 0, 0, "out of memory while parsing");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)c.text, len);
	rc = parse_stream(&c);
	yaml_parser_delete(&c.parser);
	if (rc == 0)
		*cfg = tmp;
	return rc;
}

#endif /* HAVE_LIBYAML */
