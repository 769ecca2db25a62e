/* The daemon's log: levels, logfmt or JSON lines on stderr, and a tiny
 * "failing source" tracker so that a source that fails every cycle logs one
 * line when it starts failing and one when it recovers, never a flood. */
#ifndef VIRTMETER_LOG_H
#define VIRTMETER_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_LOGFMT, LOG_FMT_JSON };

/* Sets the threshold and line format. Safe to call again (on reload). */
void log_setup(enum log_level level, enum log_format format);

/* Parses "error|warn|info|debug" and "logfmt|json". Return 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);

/* Writes one line at the given level; the message is printf-formatted.
 * Thread-safe: each line is written with a single write(2). */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* One per source that may fail repeatedly (a collector, a meter, a
 * connection). Zero-initialised means "healthy". */
struct log_once {
	bool failing;
};

/* Logs msg at warn level only if the source was healthy until now, and marks
 * it failing. Returns true if it logged. */
bool log_fail_once(struct log_once *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Logs msg at info level only if the source was failing, and marks it
 * healthy. Returns true if it logged. */
bool log_recover(struct log_once *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
