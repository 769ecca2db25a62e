/* The YAML walker of the configuration file (see config_yaml.h): libyaml
 * events checked for the features we refuse, mappings walked against key
 * tables, typed leaf setters, and error messages with line and column. */
#include "exporter/api/config_yaml.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void config_err_vset(struct config_error *err, const char *file, unsigned line,
		     unsigned column, const char *fmt, va_list ap)
{
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void config_err_set(struct config_error *err, const char *file, unsigned line,
		    unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vset(err, file, line, column, fmt, ap);
	va_end(ap);
}

#define DURATION_MAX_MS (24u * 60 * 60 * 1000)

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

#ifdef HAVE_LIBYAML

/* Records an error at a libyaml mark (0-based) and returns -EINVAL. */
int cy_fail_at(struct parse_ctx *c, const yaml_mark_t *m, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vset(c->err, c->file, (unsigned)m->line + 1, (unsigned)m->column + 1,
		 fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copies at most 40 bytes of s into out for an error message: control
 * bytes become '?', a cut never splits a UTF-8 sequence, and "..." marks
 * the cut. Returns out. */
const char *cy_show(const char *s, size_t len, char *out, size_t size)
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
bool cy_is_null(const yaml_event_t *ev)
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
const char *cy_describe(const yaml_event_t *ev, char *out, size_t size)
{
	char tmp[64];

	if (ev->type == YAML_MAPPING_START_EVENT)
		return "a mapping";
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return "a list";
	if (ev->type != YAML_SCALAR_EVENT)
		return "something else";
	if (cy_is_null(ev))
		return "nothing";
	snprintf(out, size, "'%s'",
		 cy_show((const char *)ev->data.scalar.value, ev->data.scalar.length,
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
		config_err_set(c->err, c->file, 0, 0, "out of memory while parsing");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_pos(c, p->problem_offset, &line, &column);
		config_err_set(c->err, c->file, line, column,
			"invalid YAML input: %s", problem);
		return -EINVAL;
	}
	if (p->context)
		return cy_fail_at(c, &p->problem_mark,
			       "YAML syntax error: %s (%s started at line %u column %u)%s",
			       problem, p->context,
			       (unsigned)p->context_mark.line + 1,
			       (unsigned)p->context_mark.column + 1,
			       tab_hint(c, &p->problem_mark));
	return cy_fail_at(c, &p->problem_mark, "YAML syntax error: %s%s", problem,
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
		return cy_fail_at(c, &ev->start_mark,
			       "aliases (*%s) are not supported: write the value out "
			       "(or quote it, if it is a glob pattern)",
			       cy_show((const char *)anchor, strlen((const char *)anchor),
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
		return cy_fail_at(c, &ev->start_mark,
			       "anchors (&%s) are not supported: write the value out",
			       cy_show((const char *)anchor, strlen((const char *)anchor),
				    tmp, sizeof(tmp)));
	if (tag)
		return cy_fail_at(c, &ev->start_mark,
			       "tags (%s) are not supported: remove the tag",
			       cy_show((const char *)tag, strlen((const char *)tag), tmp,
				    sizeof(tmp)));
	return 0;
}

/* Fetches the next event into ev. On success the caller owns ev and
 * deletes it; on error there is nothing to delete. */
int cy_next_event(struct parse_ctx *c, yaml_event_t *ev)
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
const char *cy_key_list(const struct key_table *t, char *out, size_t size)
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
	char tmp[64], known[sizeof(c->err->msg)], path[192];
	const char *where = w->path[0] ? "in " : "at the top level";
	int idx, rc;

	if (key->type != YAML_SCALAR_EVENT || cy_is_null(key))
		return cy_fail_at(c, &key->start_mark, "keys must be names, got %s (%s%s)",
			       cy_describe(key, tmp, sizeof(tmp)), where, w->path);
	idx = key_find(&w->keys, key);
	if (idx < 0)
		return cy_fail_at(c, &key->start_mark, "unknown %s '%s' %s%s (known: %s)",
			       w->keys.noun,
			       cy_show((const char *)key->data.scalar.value,
				    key->data.scalar.length, tmp, sizeof(tmp)),
			       where, w->path,
			       cy_key_list(&w->keys, known, sizeof(known)));
	if (*seen & ((uint64_t)1 << idx))
		return cy_fail_at(c, &key->start_mark,
			       "duplicate key '%s' %s%s (first at line %u)",
			       cy_show((const char *)key->data.scalar.value,
				    key->data.scalar.length, tmp, sizeof(tmp)),
			       where, w->path, first_line[idx]);
	*seen |= (uint64_t)1 << idx;
	first_line[idx] = (unsigned)key->start_mark.line + 1;
	snprintf(path, sizeof(path), "%s%s%s", w->path, w->path[0] ? "." : "",
		 (const char *)key->data.scalar.value);
	rc = cy_next_event(c, &value);
	if (rc)
		return rc;
	rc = w->on_value(c, (size_t)idx, path, &value, w->arg);
	yaml_event_delete(&value);
	return rc;
}

/* Walks the mapping that starts with the event start (already fetched and
 * owned by the caller) up to its end event. A null value counts as an
 * empty mapping. */
int cy_walk_map(struct parse_ctx *c, const yaml_event_t *start,
		    const struct map_walk *w)
{
	unsigned first_line[64];
	uint64_t seen = 0;
	yaml_event_t key;
	char tmp[64], known[sizeof(c->err->msg)];
	int rc = 0;

	if (cy_is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT && !w->path[0])
		return cy_fail_at(c, &start->start_mark,
			       "the top level must be a mapping of 'key: value' lines, got %s",
			       cy_describe(start, tmp, sizeof(tmp)));
	if (start->type != YAML_MAPPING_START_EVENT)
		return cy_fail_at(c, &start->start_mark,
			       "%s: expected a mapping of %ss (known: %s), got %s",
			       w->path, w->keys.noun,
			       cy_key_list(&w->keys, known, sizeof(known)),
			       cy_describe(start, tmp, sizeof(tmp)));
	if (w->keys.count > 64)
		return cy_fail_at(c, &start->start_mark, "%s: too many keys", w->path);
	for (;;) {
		rc = cy_next_event(c, &key);
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
int cy_set_bool(struct parse_ctx *c, const char *path,
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
		return cy_fail_at(c, &value->start_mark,
			       "%s: expected true or false, got the quoted string %s (remove the quotes)",
			       path, cy_describe(value, tmp, sizeof(tmp)));
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
	return cy_fail_at(c, &value->start_mark, "%s: expected true or false, got %s",
		       path, cy_describe(value, tmp, sizeof(tmp)));
}

/* Sets a FIELD_DURATION (unsigned milliseconds). */
int cy_set_duration(struct parse_ctx *c, const char *path,
			const yaml_event_t *value, unsigned *out)
{
	char tmp[64];

	if (value->type == YAML_SCALAR_EVENT &&
	    strlen((const char *)value->data.scalar.value) ==
		    value->data.scalar.length &&
	    config_parse_duration((const char *)value->data.scalar.value, out) == 0)
		return 0;
	return cy_fail_at(c, &value->start_mark,
		       "%s: expected a duration like 5s, 500ms or 1m (at most 24h), got %s",
		       path, cy_describe(value, tmp, sizeof(tmp)));
}

int cy_walk_list(struct parse_ctx *c, const char *path,
		 const yaml_event_t *value, const char *expected,
		 int (*on_item)(struct parse_ctx *c, const char *path,
				const yaml_event_t *item, void *arg),
		 void *arg)
{
	yaml_event_t ev;
	char tmp[64];
	int rc;

	if (cy_is_null(value))
		return 0;
	if (value->type != YAML_SEQUENCE_START_EVENT)
		return cy_fail_at(c, &value->start_mark, "%s: expected %s, got %s",
				  path, expected, cy_describe(value, tmp, sizeof(tmp)));
	for (;;) {
		rc = cy_next_event(c, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = on_item(c, path, &ev, arg);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
	}
}

/* on_value for a table of struct field: arg is a struct field_target. */
int cy_on_field(struct parse_ctx *c, size_t idx, const char *path,
		    const yaml_event_t *value, void *arg)
{
	const struct field_target *t = arg;
	const struct field *f = &t->fields[idx];
	char *base = t->base;

	switch (f->type) {
	case FIELD_BOOL:
		return cy_set_bool(c, path, value, (int *)(void *)(base + f->offset));
	case FIELD_DURATION:
		return cy_set_duration(c, path, value,
				    (unsigned *)(void *)(base + f->offset));
	}
	return -EINVAL;
}

#endif /* HAVE_LIBYAML */
