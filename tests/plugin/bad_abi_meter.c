/* A meter plugin built for a future ABI version: virtmeter must refuse to
 * load it without calling any of its functions. */
#include <stddef.h>

#include <virtmeter/meter.h>

static int never_open(const char *arg, void **state, char *err, size_t errlen)
{
	(void)arg;
	(void)state;
	(void)err;
	(void)errlen;
	return 0;
}

static int never_read(void *state, struct virtmeter_reading *out, size_t max,
		      char *err, size_t errlen)
{
	(void)state;
	(void)out;
	(void)max;
	(void)err;
	(void)errlen;
	return 0;
}

static void never_close(void *state)
{
	(void)state;
}

const struct virtmeter_meter virtmeter_meter = {
	.abi_version = VIRTMETER_METER_ABI_VERSION + 98,
	.struct_size = sizeof(struct virtmeter_meter),
	.name = "future",
	.open = never_open,
	.read = never_read,
	.close = never_close,
};
