/* Log lines in logfmt or JSON on stderr: see log.h. */
#include "exporter/api/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporter/api/buf.h"

static enum log_level log_threshold = LOG_LVL_INFO;
static enum log_format log_fmt = LOG_FMT_LOGFMT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_setup(enum log_level level, enum log_format format)
{
	log_threshold = level;
	log_fmt = format;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = LOG_FMT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -EINVAL;
	return 0;
}

/* Appends s as a quoted string; JSON and logfmt share the escapes we need
 * (quote, backslash, control characters). */
static void put_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

__attribute__((format(printf, 2, 0))) static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char ts[80], msg[2048];
	struct timespec now;
	struct tm tm;
	struct buf b;

	if (level > log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000));
	/* A message longer than msg is cut: log lines are for people, and one
	 * line must stay one write(2). */
	vsnprintf(msg, sizeof(msg), fmt, ap);

	buf_init(&b, 8192);
	if (log_fmt == LOG_FMT_JSON) {
		buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
			   level_names[level]);
		put_quoted(&b, msg);
		buf_puts(&b, "}\n");
	} else {
		buf_printf(&b, "ts=%s level=%s msg=", ts, level_names[level]);
		put_quoted(&b, msg);
		buf_putc(&b, '\n');
	}
	if (!buf_err(&b)) {
		ssize_t rc = write(STDERR_FILENO, b.data, b.len);
		(void)rc;
	}
	buf_free(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

bool log_fail_once(struct log_once *st, const char *fmt, ...)
{
	va_list ap;

	if (st->failing)
		return false;
	st->failing = true;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
	return true;
}

bool log_recover(struct log_once *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failing)
		return false;
	st->failing = false;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, fmt, ap);
	va_end(ap);
	return true;
}
