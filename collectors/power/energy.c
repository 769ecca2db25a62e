/* Energy accounting (see energy.h): the counter only ever grows, whatever
 * the meter reports. */
#include "collectors/power/energy.h"
#include "exporter/api/base.h"

#include <math.h>

static bool valid(double v)
{
	return isfinite(v) && v >= 0;
}

/* Starts over from the sample (value at t) without adding anything. */
static void baseline(struct energy_acc *a, double t, double value)
{
	a->have_prev = true;
	a->prev_t = t;
	a->prev_value = value;
	a->have_watts = false;
}

/* Adds joules over dt seconds ending at t, and remembers the sample. */
static void add(struct energy_acc *a, double t, double value, double joules,
		double dt)
{
	a->total += joules;
	a->last_watts = joules / dt;
	a->have_watts = true;
	a->prev_t = t;
	a->prev_value = value;
}

enum energy_event energy_add_counter(struct energy_acc *a, double t,
				     double joules, double range,
				     double max_gap)
{
	double dt, delta;

	if (!valid(joules) || !isfinite(t) || !(range >= 0))
		return ENERGY_INVALID;
	if (!a->have_prev) {
		baseline(a, t, joules);
		return ENERGY_FIRST;
	}
	dt = t - a->prev_t;
	if (!(dt > 0))
		return ENERGY_STALE;
	if (joules >= a->prev_value) {
		add(a, t, joules, joules - a->prev_value, dt);
		return ENERGY_ADDED;
	}
	/* The counter went back: a wrap if it has a range and the reading
	 * fits in it, unless a long gap makes the number of wraps unknown. */
	if (range > 0 && a->prev_value <= range && dt <= max_gap) {
		delta = range - a->prev_value + joules;
		add(a, t, joules, delta, dt);
		return ENERGY_WRAPPED;
	}
	baseline(a, t, joules);
	return range > 0 ? ENERGY_GAP : ENERGY_RESET;
}

enum energy_event energy_add_watts(struct energy_acc *a, double t,
				   double watts, double max_gap)
{
	double dt;

	if (!valid(watts) || !isfinite(t))
		return ENERGY_INVALID;
	if (!a->have_prev) {
		baseline(a, t, watts);
		a->last_watts = watts;
		a->have_watts = true;
		return ENERGY_FIRST;
	}
	dt = t - a->prev_t;
	if (!(dt > 0))
		return ENERGY_STALE;
	if (dt > max_gap) {
		baseline(a, t, watts);
		a->last_watts = watts;
		a->have_watts = true;
		return ENERGY_GAP;
	}
	add(a, t, watts, (a->prev_value + watts) / 2 * dt, dt);
	a->last_watts = watts;
	return ENERGY_ADDED;
}

const char *energy_event_name(enum energy_event ev)
{
	static const char *const names[] = {
		[ENERGY_FIRST] = "first", [ENERGY_ADDED] = "added",
		[ENERGY_WRAPPED] = "wrapped", [ENERGY_RESET] = "reset",
		[ENERGY_GAP] = "gap", [ENERGY_STALE] = "stale",
		[ENERGY_INVALID] = "invalid",
	};

	if ((unsigned)ev < ARRAY_SIZE(names))
		return names[ev];
	return "?";
}
