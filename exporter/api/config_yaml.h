/* The YAML walker of the configuration file, for the exporter's loader
 * (exporter/config.c) and for a collector that parses a section of its
 * own: a parse context, mappings walked against a table of keys (unknown
 * and duplicate keys are errors with line and column), typed leaf fields
 * found by offset, the duration syntax and the error helpers. */
#ifndef VIRTMETER_CONFIG_YAML_H
#define VIRTMETER_CONFIG_YAML_H

#include "build-config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Where the first error of a configuration was found. */
struct config_error {
	char file[256];
	unsigned line;   /* 1-based; 0 when not tied to a line */
	unsigned column; /* 1-based; 0 when not tied to a column */
	char msg[512];
};

/* Parses a duration such as "5s", "500ms", "1m", "1.5s" or a bare number
 * of seconds into milliseconds. Returns 0 or -EINVAL (also for 0 and for
 * more than a day). */
int config_parse_duration(const char *s, unsigned *ms);

/* Fills err (file may be NULL) with a printf-style message. */
void config_err_vset(struct config_error *err, const char *file, unsigned line,
		     unsigned column, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
void config_err_set(struct config_error *err, const char *file, unsigned line,
		    unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#ifdef HAVE_LIBYAML
#include <yaml.h>

/* One parse: the libyaml parser, the input (for error positions), where
 * results go and where the first error goes. */
struct parse_ctx {
	yaml_parser_t parser;
	const char *text;
	size_t len;
	const char *file;
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
enum field_type { FIELD_BOOL, FIELD_DURATION };

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

/* Records an error at a libyaml mark (0-based) and returns -EINVAL. */
int cy_fail_at(struct parse_ctx *c, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* At most 40 bytes of s for an error message (control bytes as '?'). */
const char *cy_show(const char *s, size_t len, char *out, size_t size);

/* Whether ev is a null scalar (~, null, or nothing). */
bool cy_is_null(const yaml_event_t *ev);

/* A short description of ev for an error message ("the string 'x'",
 * "a list", ...). */
const char *cy_describe(const yaml_event_t *ev, char *out, size_t size);

/* The next event of the stream; refuses anchors, aliases and tags.
 * Returns 0 or -EINVAL (error recorded). */
int cy_next_event(struct parse_ctx *c, yaml_event_t *ev);

/* The names of a key table as "a, b, c". */
const char *cy_key_list(const struct key_table *t, char *out, size_t size);

/* Walks the mapping that starts with start (fetched and owned by the
 * caller) up to its end event; a null value is an empty mapping. */
int cy_walk_map(struct parse_ctx *c, const yaml_event_t *start,
		const struct map_walk *w);

/* Walks the list that starts with value (a null value is an empty list),
 * calling on_item with each item's first event, which on_item consumes in
 * full (a mapping up to its end); expected says what the list should be,
 * for the error when value is not a list ("a list of ..."). */
int cy_walk_list(struct parse_ctx *c, const char *path,
		 const yaml_event_t *value, const char *expected,
		 int (*on_item)(struct parse_ctx *c, const char *path,
				const yaml_event_t *item, void *arg),
		 void *arg);

/* Typed setters; each consumes the value (a list up to its end). */
int cy_set_bool(struct parse_ctx *c, const char *path,
		const yaml_event_t *value, int *out);
int cy_set_duration(struct parse_ctx *c, const char *path,
		    const yaml_event_t *value, unsigned *out);

/* on_value for a table of struct field: arg is a struct field_target. */
int cy_on_field(struct parse_ctx *c, size_t idx, const char *path,
		const yaml_event_t *value, void *arg);

#endif /* HAVE_LIBYAML */
#endif
