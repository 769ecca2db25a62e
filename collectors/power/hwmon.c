/* The hwmon meter: every power and energy channel of every hwmon device in
 * sysfs (<sysfs>/class/hwmon/hwmonN, or its device/ directory for older
 * drivers): powerK_input or, failing that,
 * powerK_average in microwatts, and energyK_input in microjoules (a
 * counter that only resets). A channel's zone is "DEVICE/LABEL", from the
 * device's name file and the channel's powerK_label / energyK_label (else
 * "powerK" / "energyK"); a power and an energy channel with the same label
 * share one zone. Descriptors are opened once and re-read with pread.
 * A zone's kind comes from its label (socket, core, else sensor); a core
 * is inside the socket of its device (amd_energy's Ecore012 in Esocket0),
 * told by the CPU topology in sysfs when the device has several. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/power/meter.h"
#include "exporter/api/base.h"
#include "collectors/power/parse.h"

struct hwmon_chan {
	size_t zone;  /* index into the zone names */
	uint32_t bit; /* VIRTMETER_HAVE_WATTS or _JOULES */
	int fd;
};

/* What one zone is: its kind, the number that ends its label, its device
 * (counted from 0 in the order opened) and the zone that contains it. */
struct hwmon_desc {
	const char *kind; /* meter_hwmon_kind of its label */
	long num;
	size_t dev;
	char part_of[VIRTMETER_ZONE_MAX];
};

struct hwmon {
	size_t nzones, nchans;
	size_t dev; /* the device being opened */
	char zone[METER_MAX_ZONES][VIRTMETER_ZONE_MAX];
	struct hwmon_desc desc[METER_MAX_ZONES];
	struct hwmon_chan ch[METER_MAX_ZONES * 2];
};

/* Index of zone name z (of a channel labelled label), added if new; -1
 * when full. */
static int zone_index(struct hwmon *h, const char *z, const char *label)
{
	struct hwmon_desc *d;

	for (size_t i = 0; i < h->nzones; i++)
		if (strcmp(h->zone[i], z) == 0)
			return (int)i;
	if (h->nzones >= METER_MAX_ZONES)
		return -1;
	meter_fmt(h->zone[h->nzones], VIRTMETER_ZONE_MAX, "%s", z);
	d = &h->desc[h->nzones];
	d->kind = meter_hwmon_kind(label, &d->num);
	d->dev = h->dev;
	d->part_of[0] = '\0';
	return (int)h->nzones++;
}

/* The channel number K of "KIND" K "_SUFFIX", or 0 if file is not one. */
static unsigned chan_number(const char *file, const char *kind,
			    const char *suffix)
{
	size_t kl = strlen(kind);
	unsigned long k;
	char *end;

	if (strncmp(file, kind, kl) != 0 || file[kl] < '1' || file[kl] > '9')
		return 0;
	k = strtoul(file + kl, &end, 10);
	if (strcmp(end, suffix) != 0 || k > 1000)
		return 0;
	return (unsigned)k;
}

/* Opens one channel file of device dev (named devname). */
static int chan_open(struct hwmon *h, const char *dev, const char *devname,
		     const char *kind, unsigned k, const char *file, uint32_t bit,
		     char *err)
{
	char path[PATH_MAX], buf[VIRTMETER_ZONE_MAX], label[VIRTMETER_ZONE_MAX];
	char zone[VIRTMETER_ZONE_MAX * 2];
	int n, idx, fd;

	meter_fmt(path, sizeof(path), "%s/%s%u_label", dev, kind, k);
	n = meter_sysfs_read(path, buf, sizeof(buf));
	if (n < 0 || meter_parse_name(buf, (size_t)n, label))
		meter_fmt(label, sizeof(label), "%s%u", kind, k);
	meter_fmt(zone, sizeof(zone), "%s/%s", devname, label);
	zone[VIRTMETER_ZONE_MAX - 1] = '\0';
	idx = zone_index(h, zone, label);
	if (idx < 0 || h->nchans >= ARRAY_SIZE(h->ch))
		return 0;
	meter_fmt(path, sizeof(path), "%s/%s", dev, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		meter_err(err, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	h->ch[h->nchans++] = (struct hwmon_chan){(size_t)idx, bit, fd};
	return 0;
}

/* Whether dev has the file KIND K SUFFIX. */
static bool has_file(const char *dev, const char *kind, unsigned k,
		     const char *suffix)
{
	char path[PATH_MAX];

	meter_fmt(path, sizeof(path), "%s/%s%u%s", dev, kind, k, suffix);
	return access(path, F_OK) == 0;
}

/* Opens the channels of one device directory. */
static int dev_open(struct hwmon *h, const char *dev, const char *devname,
		    char *err)
{
	char **files = NULL;
	size_t n = 0;
	int rc;

	rc = meter_sysfs_list(dev, "", &files, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned k;

		if ((k = chan_number(files[i], "power", "_input")) != 0)
			rc = chan_open(h, dev, devname, "power", k, files[i],
				       VIRTMETER_HAVE_WATTS, err);
		else if ((k = chan_number(files[i], "power", "_average")) != 0 &&
			 !has_file(dev, "power", k, "_input"))
			rc = chan_open(h, dev, devname, "power", k, files[i],
				       VIRTMETER_HAVE_WATTS, err);
		else if ((k = chan_number(files[i], "energy", "_input")) != 0)
			rc = chan_open(h, dev, devname, "energy", k, files[i],
				       VIRTMETER_HAVE_JOULES, err);
	}
	meter_names_free(files, n);
	return rc;
}

static void hwmon_close(void *state)
{
	struct hwmon *h = state;

	for (size_t i = 0; h && i < h->nchans; i++)
		close(h->ch[i].fd);
	free(h);
}

/* The device's name for zones: its name file, with ":hwmonN" added when
 * another device has the same name. */
static void dev_name(const char *dir, char **devs, size_t ndev, size_t i,
		     char *out)
{
	char path[PATH_MAX], buf[VIRTMETER_ZONE_MAX], other[VIRTMETER_ZONE_MAX];
	int n;

	meter_fmt(path, sizeof(path), "%s/%s/name", dir, devs[i]);
	n = meter_sysfs_read(path, buf, sizeof(buf));
	if (n < 0 || meter_parse_name(buf, (size_t)n, out)) {
		meter_fmt(out, VIRTMETER_ZONE_MAX, "%s", devs[i]);
		return;
	}
	for (size_t j = 0; j < ndev; j++) {
		if (j == i)
			continue;
		meter_fmt(path, sizeof(path), "%s/%s/name", dir, devs[j]);
		n = meter_sysfs_read(path, buf, sizeof(buf));
		if (n >= 0 && meter_parse_name(buf, (size_t)n, other) == 0 &&
		    strcmp(other, out) == 0) {
			meter_fmt(buf, sizeof(buf), "%s", out);
			meter_fmt(out, VIRTMETER_ZONE_MAX, "%.40s:%.20s", buf, devs[i]);
			return;
		}
	}
}

/* The package of CPU cpu from sysfs topology, or -1. */
static long cpu_package(const char *sysfs, long cpu)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	int n;

	if (cpu < 0)
		return -1;
	meter_fmt(path, sizeof(path),
		  "%s/devices/system/cpu/cpu%ld/topology/physical_package_id",
		  sysfs, cpu);
	n = meter_sysfs_read(path, buf, sizeof(buf));
	if (n < 0 || meter_parse_u64(buf, (size_t)n, &v) || v > 1000000)
		return -1;
	return (long)v;
}

/* Whether zone j is a socket channel of device dev. */
static bool socket_of(const struct hwmon *h, size_t j, size_t dev)
{
	return h->desc[j].dev == dev && strcmp(h->desc[j].kind, "socket") == 0;
}

/* Puts core zone i inside a socket of its device: the only one, else the
 * one numbered as the package of the CPU with the core's number (the
 * amd_energy driver reads Ecore K on CPU K), else the first. None when
 * the device has no socket channel. */
static void nest_core(struct hwmon *h, size_t i, const char *sysfs)
{
	struct hwmon_desc *c = &h->desc[i];
	size_t pick = h->nzones, count = 0;
	long pkg;

	for (size_t j = 0; j < h->nzones; j++)
		if (socket_of(h, j, c->dev) && count++ == 0)
			pick = j;
	if (count == 0)
		return;
	pkg = count > 1 ? cpu_package(sysfs, c->num) : -1;
	for (size_t j = 0; pkg >= 0 && j < h->nzones; j++) {
		if (socket_of(h, j, c->dev) && h->desc[j].num == pkg) {
			pick = j;
			break;
		}
	}
	meter_fmt(c->part_of, sizeof(c->part_of), "%s", h->zone[pick]);
}

/* describe of meter_ops: the kind and container of zone. */
static void hwmon_describe(void *state, const char *zone, char *kind,
			   char *part_of)
{
	const struct hwmon *h = state;

	kind[0] = part_of[0] = '\0';
	for (size_t i = 0; i < h->nzones; i++) {
		if (strcmp(h->zone[i], zone) != 0)
			continue;
		meter_fmt(kind, METER_KIND_MAX, "%s", h->desc[i].kind);
		meter_fmt(part_of, VIRTMETER_ZONE_MAX, "%s", h->desc[i].part_of);
		return;
	}
}

static int hwmon_open(const struct meter_args *a, void **state, char *err)
{
	char dir[PATH_MAX], dev[PATH_MAX], name[VIRTMETER_ZONE_MAX];
	char **devs = NULL;
	size_t ndev = 0, before;
	struct hwmon *h;
	int rc;

	meter_fmt(dir, sizeof(dir), "%s/class/hwmon", a->sysfs);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	rc = meter_sysfs_list(dir, "hwmon", &devs, &ndev);
	for (size_t i = 0; rc == 0 && i < ndev; i++) {
		h->dev = i;
		dev_name(dir, devs, ndev, i, name);
		meter_fmt(dev, sizeof(dev), "%s/%s", dir, devs[i]);
		before = h->nchans;
		rc = dev_open(h, dev, name, err);
		/* Older drivers keep their attributes in the device directory. */
		if (rc == 0 && h->nchans == before &&
		    meter_fmt(dev, sizeof(dev), "%s/%s/device", dir, devs[i]) == 0 &&
		    access(dev, F_OK) == 0)
			rc = dev_open(h, dev, name, err);
	}
	meter_names_free(devs, ndev);
	if (rc == 0 && h->nchans == 0) {
		meter_err(err, "no hwmon power or energy channel under %s",
			 dir);
		rc = -ENOENT;
	} else if (rc && !err[0]) {
		meter_err(err, "cannot list %s: %s", dir, strerror(-rc));
	}
	if (rc) {
		hwmon_close(h);
		return rc;
	}
	for (size_t i = 0; i < h->nzones; i++)
		if (strcmp(h->desc[i].kind, "core") == 0)
			nest_core(h, i, a->sysfs);
	*state = h;
	return 0;
}

static int hwmon_read(void *state, struct virtmeter_reading *out, size_t max,
		      char *err)
{
	struct hwmon *h = state;
	size_t n = h->nzones < max ? h->nzones : max;

	for (size_t i = 0; i < n; i++)
		memcpy(out[i].zone, h->zone[i], VIRTMETER_ZONE_MAX);
	for (size_t i = 0; i < h->nchans; i++) {
		const struct hwmon_chan *c = &h->ch[i];
		uint64_t v;
		int rc;

		if (c->zone >= n)
			continue;
		rc = meter_sysfs_u64(c->fd, &v);
		if (rc) {
			meter_err(err, "reading a channel of zone %s: %s",
				 h->zone[c->zone], strerror(-rc));
			return rc;
		}
		out[c->zone].have |= c->bit;
		if (c->bit == VIRTMETER_HAVE_WATTS)
			out[c->zone].watts = (double)v / 1e6;
		else
			out[c->zone].joules = (double)v / 1e6;
	}
	return (int)n;
}

bool meter_hwmon_present(const char *sysfs)
{
	char err[METER_ERR_MAX] = "";
	struct meter_args a = {.sysfs = sysfs};
	void *st = NULL;

	if (hwmon_open(&a, &st, err))
		return false;
	hwmon_close(st);
	return true;
}

const struct meter_ops meter_hwmon_ops = {
	.source = "hwmon",
	.open = hwmon_open,
	.read = hwmon_read,
	.close = hwmon_close,
	.describe = hwmon_describe,
};
