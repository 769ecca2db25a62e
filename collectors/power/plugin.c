/* The plugin meter: a shared object loaded with dlopen that exports one
 * const struct virtmeter_meter named VIRTMETER_METER_SYMBOL (see the
 * installed include/virtmeter/meter.h). The descriptor is checked before
 * anything of the plugin runs: its ABI version, its size and its three
 * functions. Readings it returns are checked too (zone names, bits). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/meter.h"
#include "collectors/power/parse.h"
#include "collectors/power/config.h"

/* dlopen and dlclose from several meter threads at once are safe in glibc,
 * but serialising them keeps dlerror() messages with their call and keeps
 * race detectors (which do not see the loader's own lock) quiet. */
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

struct plugin {
	void *handle;
	const struct virtmeter_meter *d;
	void *state;
	char path[METER_ARG_MAX];
};

/* Checks the descriptor. Returns 0 or -ENOEXEC with err set. */
static int check_descriptor(const char *path, const struct virtmeter_meter *d,
			    char *err)
{
	if (d->abi_version != VIRTMETER_METER_ABI_VERSION) {
		meter_err(err, "%s has meter ABI version %u; this virtmeter "
			 "loads version %d: rebuild the plugin against its "
			 "<virtmeter/meter.h>", path, (unsigned)d->abi_version,
			 VIRTMETER_METER_ABI_VERSION);
		return -ENOEXEC;
	}
	if (d->struct_size < sizeof(*d)) {
		meter_err(err, "%s: its descriptor is %u bytes, %zu "
			 "expected for ABI version %d", path, (unsigned)d->struct_size,
			 sizeof(*d), VIRTMETER_METER_ABI_VERSION);
		return -ENOEXEC;
	}
	if (!d->open || !d->read || !d->close) {
		meter_err(err, "%s: its descriptor lacks open, read or "
			 "close", path);
		return -ENOEXEC;
	}
	return 0;
}

static void plugin_close(void *state)
{
	struct plugin *p = state;

	if (!p)
		return;
	if (p->d && p->state)
		p->d->close(p->state);
	if (p->handle) {
		pthread_mutex_lock(&dl_lock);
		dlclose(p->handle);
		pthread_mutex_unlock(&dl_lock);
	}
	free(p);
}

static int plugin_open(const struct meter_args *a, void **state, char *err)
{
	char perr[METER_ERR_MAX] = "";
	struct plugin *p;
	const char *e;
	int rc;

	if (!a->cfg || !a->cfg->path[0]) {
		meter_err(err, "no plugin path configured");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->path, sizeof(p->path), "%s", a->cfg->path);
	p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		e = dlerror();
		meter_err(err, "cannot load %s", e ? e : p->path);
		rc = -ENOENT;
		goto fail;
	}
	p->d = dlsym(p->handle, VIRTMETER_METER_SYMBOL);
	if (!p->d) {
		meter_err(err, "%s does not export the symbol %s: not a "
			 "virtmeter meter plugin", p->path, VIRTMETER_METER_SYMBOL);
		rc = -ENOEXEC;
		goto fail;
	}
	rc = check_descriptor(p->path, p->d, err);
	if (rc)
		goto fail;
	rc = p->d->open(a->cfg->argument, &p->state, perr, sizeof(perr));
	if (rc) {
		perr[sizeof(perr) - 1] = '\0';
		meter_err(err, "plugin %s: open failed: %s",
			 p->d->name ? p->d->name : p->path, perr[0] ? perr : strerror(rc < 0 ? -rc : rc));
		rc = rc < 0 ? rc : -EIO;
		p->state = NULL;
		goto fail;
	}
	*state = p;
	return 0;
fail:
	plugin_close(p);
	return rc;
}

/* Checks what the plugin wrote into out[0..n). */
static int check_readings(struct virtmeter_reading *out, size_t n, char *err)
{
	for (size_t i = 0; i < n; i++) {
		struct virtmeter_reading *r = &out[i];

		if (!memchr(r->zone, '\0', sizeof(r->zone)) ||
		    (r->zone[0] && !meter_zone_valid(r->zone))) {
			meter_err(err, "reading %zu has a bad zone name", i);
			return -EPROTO;
		}
		if (r->have == 0 || (r->have & ~(uint32_t)0xf)) {
			meter_err(err, "reading %zu (zone '%s') sets no "
				 "known quantity", i, r->zone);
			return -EPROTO;
		}
	}
	return 0;
}

static int plugin_read(void *state, struct virtmeter_reading *out, size_t max,
		       char *err)
{
	struct plugin *p = state;
	char perr[METER_ERR_MAX] = "";
	int n;

	n = p->d->read(p->state, out, max, perr, sizeof(perr));
	perr[sizeof(perr) - 1] = '\0';
	if (n < 0) {
		meter_err(err, "plugin %s: %s", p->d->name ? p->d->name : "",
			 perr[0] ? perr : strerror(-n));
		return n;
	}
	if (n == 0 || (size_t)n > max) {
		meter_err(err, "plugin %s returned %d readings (1 to %zu "
			 "expected)", p->d->name ? p->d->name : "", n, max);
		return -EPROTO;
	}
	if (check_readings(out, (size_t)n, err))
		return -EPROTO;
	return n;
}

const struct meter_ops meter_plugin_ops = {
	.source = "plugin",
	.open = plugin_open,
	.read = plugin_read,
	.close = plugin_close,
};
