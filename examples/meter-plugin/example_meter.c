/* An example virtmeter meter plugin: a made-up 230 V outlet that draws a
 * constant power (its argument, "watts=N", default 50) and counts its
 * energy from the time it was opened. Build it with
 *
 *     cc -shared -fPIC -I/usr/local/include -o example_meter.so example_meter.c
 *
 * and list it in the configuration file:
 *
 *     meters:
 *       - name: lab-outlet
 *         type: plugin
 *         path: /usr/local/lib/virtmeter/example_meter.so
 *         argument: watts=42.5
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <virtmeter/meter.h>

struct outlet {
	double watts;
	double opened; /* CLOCK_MONOTONIC seconds */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int outlet_open(const char *arg, void **state, char *err, size_t errlen)
{
	struct outlet *o;
	double w = 50;
	char *end;

	if (arg && arg[0]) {
		if (strncmp(arg, "watts=", 6) != 0) {
			snprintf(err, errlen, "unknown argument '%s' (expected watts=N)", arg);
			return -EINVAL;
		}
		w = strtod(arg + 6, &end);
		if (*end != '\0' || !(w >= 0)) {
			snprintf(err, errlen, "bad number in '%s'", arg);
			return -EINVAL;
		}
	}
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->watts = w;
	o->opened = now();
	*state = o;
	return 0;
}

static int outlet_read(void *state, struct virtmeter_reading *out, size_t max,
		       char *err, size_t errlen)
{
	const struct outlet *o = state;

	(void)err;
	(void)errlen;
	if (max < 1)
		return -ENOSPC;
	snprintf(out[0].zone, sizeof(out[0].zone), "outlet1");
	out[0].have = VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES |
		      VIRTMETER_HAVE_VOLTS | VIRTMETER_HAVE_AMPERES;
	out[0].watts = o->watts;
	out[0].joules = o->watts * (now() - o->opened);
	out[0].volts = 230.0;
	out[0].amperes = o->watts / 230.0;
	return 1;
}

static void outlet_close(void *state)
{
	free(state);
}

const struct virtmeter_meter virtmeter_meter = {
	.abi_version = VIRTMETER_METER_ABI_VERSION,
	.struct_size = sizeof(struct virtmeter_meter),
	.name = "example",
	.open = outlet_open,
	.read = outlet_read,
	.close = outlet_close,
};
