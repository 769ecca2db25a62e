/* A meter plugin for the tests: its argument picks a behaviour.
 *   "ok"         one zone "main" at 100 W (no energy counter: integrated)
 *   "fail-open"  open fails with a message
 *   "fail-read"  every read fails with a message
 *   "hang"       the second and later reads block for an hour
 *   "bad-zone"   returns a reading with an invalid zone name */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <virtmeter/meter.h>

static int test_open(const char *arg, void **state, char *err, size_t errlen)
{
	static const char *const modes[] = {"ok", "fail-read", "hang", "bad-zone"};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(arg, modes[i]) == 0) {
			*state = (void *)modes[i];
			return 0;
		}
	snprintf(err, errlen, "test plugin refuses to open with '%s'", arg);
	return -EINVAL;
}

static int test_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err, size_t errlen)
{
	static int reads;
	const char *mode = state;

	(void)max;
	if (strcmp(mode, "fail-read") == 0) {
		snprintf(err, errlen, "test plugin cannot reach its device");
		return -EIO;
	}
	if (strcmp(mode, "hang") == 0 && reads++ > 0)
		sleep(3600);
	snprintf(out[0].zone, sizeof(out[0].zone), "%s",
		 strcmp(mode, "bad-zone") == 0 ? "bad zone!" : "main");
	out[0].have = VIRTMETER_HAVE_WATTS;
	out[0].watts = 100;
	return 1;
}

static void test_close(void *state)
{
	(void)state;
}

const struct virtmeter_meter virtmeter_meter = {
	.abi_version = VIRTMETER_METER_ABI_VERSION,
	.struct_size = sizeof(struct virtmeter_meter),
	.name = "test",
	.open = test_open,
	.read = test_read,
	.close = test_close,
};
