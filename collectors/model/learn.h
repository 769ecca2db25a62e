/* Idle power learned from the host's own history: the intercept of host
 * power against CPU utilisation over a sliding window, kept as per-minute
 * sums so that a day fits in a few tens of kilobytes, and saved to a small
 * text file so that a restart does not start over. Pure arithmetic and a
 * pure parser; the caller logs. */
#ifndef VIRTMETER_MODEL_LEARN_H
#define VIRTMETER_MODEL_LEARN_H

#include <stddef.h>

/* Intervals needed in the window before a value is given. */
#define LEARN_MIN_SAMPLES 60
/* Utilisation at or below which a reading counts as nearly idle (the
 * floor of the intercept). */
#define LEARN_LOW_UTIL 0.05
/* Longest window accepted, in seconds (a week). */
#define LEARN_MAX_WINDOW_S (168 * 3600.0)
/* The shortest point learn_fold gathers, in seconds, and in readings of
 * the sparsest counter behind it; and the longest. */
#define LEARN_POINT_S 5.0
#define LEARN_POINT_READINGS 5
#define LEARN_POINT_MAX_S 120.0

struct learn;

/* Returns a new, empty history over a window of window_s seconds (60 s to
 * LEARN_MAX_WINDOW_S), owned by the caller (learn_free), or NULL without
 * memory or for a window out of range. */
struct learn *learn_new(double window_s);

/* Frees l (NULL is ignored). */
void learn_free(struct learn *l);

/* Adds one interval that ended at Unix time t, lasted dt seconds, and had
 * mean CPU utilisation u (0 to 1) and mean host power p watts. Readings
 * older than the window (counted from the newest t) are dropped. Non-finite
 * or out-of-range values (u outside [0, 1], p < 0, dt <= 0) and a t older
 * than the window are ignored. */
void learn_add(struct learn *l, double t, double dt, double u, double p);

/* Folds one interval, checked as by learn_add, into the point being
 * gathered, and adds that point (its mean utilisation and power, counted
 * as the intervals in it) once it spans point_s seconds. An interval that
 * does not start where the one before ended starts the point afresh.
 *
 * Why points: utilisation and energy are interpolated between readings
 * taken at other moments (the host's counters, the meter's), so that each
 * interval's pair is off by what changed within a reading's spacing. That
 * error falls on the utilisation too, which flattens the fitted slope and
 * raises the intercept (by 2 to 5 W on a host whose load changes every
 * second); over a point several spacings long it is a small part. */
void learn_fold(struct learn *l, double t, double dt, double u, double p,
		double point_s);

/* The learned idle power in watts, and in *samples (may be NULL) the
 * number of intervals behind it (not those of a point still being
 * gathered): the intercept at zero utilisation of the
 * least-squares line of power against utilisation over the window's
 * intervals, not below the lowest power seen at utilisation at or below
 * LEARN_LOW_UTIL carried to zero utilisation along the fitted slope, and
 * not above the lowest power seen at all. NaN while fewer than
 * LEARN_MIN_SAMPLES intervals are in the window, or while their
 * utilisations are too alike to fit a line and none is at or below
 * LEARN_LOW_UTIL. */
double learn_idle(const struct learn *l, size_t *samples);

/* Writes the history as the text of the state file into a new buffer
 * (*out, freed by the caller with free(); *len its length). Returns 0 or
 * -ENOMEM. */
int learn_format(const struct learn *l, char **out, size_t *len);

/* Replaces the history of l with the state file's text buf[0..len) (not
 * NUL-terminated). Readings older than the window (from the newest) are
 * dropped. Returns 0, or -EINVAL for a file that is not a state file of
 * this version (why in err; l is then left unchanged). */
int learn_parse(struct learn *l, const char *buf, size_t len, char *err,
		size_t errlen);

/* Saves the history to path atomically (a temporary file in the same
 * directory, fsync, rename). Returns 0 or a negative errno. */
int learn_save(const struct learn *l, const char *path);

/* Loads path into l. Returns 0, -ENOENT when there is no file, or another
 * negative errno with why in err (-EINVAL: corrupt or foreign; l is then
 * left unchanged). */
int learn_load(struct learn *l, const char *path, char *err, size_t errlen);

#endif
