/* Energy accounting: one monotonic joules counter per meter zone, fed
 * either by the meter's own energy counter (wraparound and resets handled)
 * or by watts integrated over the real sample times (trapezoids). Pure
 * functions of their inputs: no clock, no I/O. */
#ifndef VIRTMETER_POWER_ENERGY_H
#define VIRTMETER_POWER_ENERGY_H

#include <stdbool.h>

/* The state of one zone's counter. Zero-initialised means "no sample yet". */
struct energy_acc {
	bool have_prev;
	double prev_t;     /* monotonic seconds of the previous sample */
	double prev_value; /* its raw counter (joules) or its watts */
	double total;      /* the exported counter, joules; never decreases */
	double last_watts; /* power over the last accounted interval, W */
	bool have_watts;   /* last_watts is valid */
};

/* What one update did, for tests and log lines. */
enum energy_event {
	ENERGY_FIRST,     /* first sample: baseline only, nothing added */
	ENERGY_ADDED,     /* the increase since the previous sample was added */
	ENERGY_WRAPPED,   /* the counter wrapped at its range; the true increase
			   * was added */
	ENERGY_RESET,     /* the counter went back without a known range (the
			   * meter restarted): new baseline, nothing added */
	ENERGY_GAP,       /* more than max_gap since the previous sample: not
			   * bridged, new baseline */
	ENERGY_STALE,     /* sample time not after the previous one: ignored */
	ENERGY_INVALID,   /* NaN, infinite or negative value: ignored */
};

/* Accounts a reading of a meter's own energy counter (joules at monotonic
 * time t). range > 0 is the value at which the counter wraps to 0; with
 * range 0 a decrease is a reset. A decrease after a gap longer than
 * max_gap seconds is ambiguous (it may have wrapped more than once) and is
 * a new baseline; an increase after such a gap was measured by the meter
 * and is added. Returns what happened. */
enum energy_event energy_add_counter(struct energy_acc *a, double t,
				     double joules, double range,
				     double max_gap);

/* Accounts a power reading (watts at monotonic time t): adds the trapezoid
 * between the previous sample and this one, unless they are more than
 * max_gap seconds apart (a gap is never bridged with a made-up value).
 * Returns what happened. */
enum energy_event energy_add_watts(struct energy_acc *a, double t,
				   double watts, double max_gap);

/* A short word for an event ("wrapped", "reset"...), for log lines. */
const char *energy_event_name(enum energy_event ev);

#endif
