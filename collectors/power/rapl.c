/* The rapl meter: every RAPL zone of the powercap class in sysfs
 * (<sysfs>/class/powercap/intel-rapl:N packages, psys, and their
 * intel-rapl:N:M sub-zones core, uncore, dram; AMD processors appear under
 * the same intel-rapl control type, or amd-rapl on some kernels).
 * energy_uj is the zone's energy counter in microjoules, which wraps at
 * max_energy_range_uj. The intel-rapl-mmio zones repeat the package
 * domains through another interface and are left out so nothing counts
 * twice. Descriptors are opened once and re-read with pread. Each zone
 * is described by its kind and by the zone that already counts its
 * energy: core and uncore are inside their package; dram, though sysfs
 * puts it under the package, is not; psys, where there is one, holds
 * every other zone. */
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

struct rapl_zone {
	char name[VIRTMETER_ZONE_MAX];
	const char *kind; /* meter_rapl_kind of its own name */
	char parent[VIRTMETER_ZONE_MAX]; /* the package of a sub-zone, or "" */
	char part_of[VIRTMETER_ZONE_MAX];
	int fd; /* energy_uj */
	double range_j;
};

struct rapl {
	size_t n;
	struct rapl_zone z[METER_MAX_ZONES];
};

static const char *const prefixes[] = {"intel-rapl:", "amd-rapl:"};

/* The zone name of entry (a directory of the powercap class): its own
 * name file, after its parent's for a sub-zone ("package-0/dram"); the
 * parent's name goes to z->parent ("" for a top-level zone) and the kind
 * of its own to z->kind. */
static int zone_name(const char *dir, const char *entry, struct rapl_zone *z)
{
	char path[PATH_MAX], buf[VIRTMETER_ZONE_MAX], parent[PATH_MAX];
	char own[VIRTMETER_ZONE_MAX];
	const char *colon2 = strchr(strchr(entry, ':') + 1, ':');
	int n;

	meter_fmt(path, sizeof(path), "%s/%s/name", dir, entry);
	n = meter_sysfs_read(path, buf, sizeof(buf));
	if (n < 0 || meter_parse_name(buf, (size_t)n, own))
		return n < 0 ? n : -EINVAL;
	z->kind = meter_rapl_kind(own);
	z->parent[0] = '\0';
	if (!colon2) {
		memcpy(z->name, own, sizeof(own));
		return 0;
	}
	meter_fmt(parent, sizeof(parent), "%.*s", (int)(colon2 - entry), entry);
	meter_fmt(path, sizeof(path), "%s/%s/name", dir, parent);
	n = meter_sysfs_read(path, buf, sizeof(buf));
	if (n < 0 || meter_parse_name(buf, (size_t)n, z->parent))
		return n < 0 ? n : -EINVAL;
	if (strlen(z->parent) + 1 + strlen(own) >= VIRTMETER_ZONE_MAX)
		return -ENAMETOOLONG;
	meter_fmt(z->name, VIRTMETER_ZONE_MAX, "%s/%s", z->parent, own);
	return 0;
}

/* Opens one zone. Returns 0 or a negative errno with err set. */
static int zone_open(const char *dir, const char *entry, struct rapl_zone *z,
		     char *err)
{
	char path[PATH_MAX];
	uint64_t range = 0;
	int rc, fd;

	rc = zone_name(dir, entry, z);
	if (rc) {
		meter_err(err, "cannot read the name of %s/%s: %s", dir,
			 entry, strerror(-rc));
		return rc;
	}
	meter_fmt(path, sizeof(path), "%s/%s/max_energy_range_uj", dir, entry);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (meter_sysfs_u64(fd, &range))
			range = 0;
		close(fd);
	}
	z->range_j = (double)range / 1e6;
	meter_fmt(path, sizeof(path), "%s/%s/energy_uj", dir, entry);
	z->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (z->fd < 0) {
		rc = -errno;
		meter_err(err, "cannot open %s: %s%s", path, strerror(-rc),
			 rc == -EACCES ? " (RAPL energy_uj is readable by root only "
					 "on kernels patched for CVE-2020-8694: run "
					 "virtmeter as root or grant read access to it)" : "");
		return rc;
	}
	return 0;
}

static void rapl_close(void *state)
{
	struct rapl *r = state;

	for (size_t i = 0; r && i < r->n; i++)
		close(r->z[i].fd);
	free(r);
}

/* Opens every zone of one control type (prefix). */
static int open_prefix(struct rapl *r, const char *dir, const char *prefix,
		       char *err)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	rc = meter_sysfs_list(dir, prefix, &names, &n);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (r->n >= METER_MAX_ZONES)
			break;
		rc = zone_open(dir, names[i], &r->z[r->n], err);
		if (rc == 0)
			r->n++;
	}
	meter_names_free(names, n);
	return rc;
}

/* Says which zone already counts each zone's energy: a package's core and
 * uncore are inside it; its dram is beside it (the package domain does
 * not count memory), so with the packages inside psys when there is one,
 * else inside none. */
static void nest(struct rapl *r)
{
	size_t psys = r->n; /* none */

	for (size_t i = 0; i < r->n; i++)
		if (!r->z[i].parent[0] && strcmp(r->z[i].kind, "psys") == 0)
			psys = i;
	for (size_t i = 0; i < r->n; i++) {
		struct rapl_zone *z = &r->z[i];
		const char *in = psys < r->n && i != psys ? r->z[psys].name : "";

		if (z->parent[0] && strcmp(z->kind, "dram") != 0)
			in = z->parent;
		meter_fmt(z->part_of, sizeof(z->part_of), "%s", in);
	}
}

/* describe of meter_ops: the kind and container of zone (see nest). */
static void rapl_describe(void *state, const char *zone, char *kind,
			  char *part_of)
{
	const struct rapl *r = state;

	kind[0] = part_of[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->z[i].name, zone) != 0)
			continue;
		meter_fmt(kind, METER_KIND_MAX, "%s", r->z[i].kind);
		meter_fmt(part_of, VIRTMETER_ZONE_MAX, "%s", r->z[i].part_of);
		return;
	}
}

static int rapl_open(const struct meter_args *a, void **state, char *err)
{
	char dir[PATH_MAX];
	struct rapl *r;
	int rc = 0;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	meter_fmt(dir, sizeof(dir), "%s/class/powercap", a->sysfs);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes) && rc == 0; i++)
		rc = open_prefix(r, dir, prefixes[i], err);
	if (rc == 0 && r->n == 0) {
		meter_err(err, "no RAPL zone under %s", dir);
		rc = -ENOENT;
	}
	if (rc) {
		rapl_close(r);
		return rc;
	}
	nest(r);
	*state = r;
	return 0;
}

static int rapl_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err)
{
	struct rapl *r = state;
	size_t n = 0;

	for (size_t i = 0; i < r->n && n < max; i++) {
		uint64_t uj;
		int rc = meter_sysfs_u64(r->z[i].fd, &uj);

		if (rc) {
			meter_err(err, "reading energy_uj of zone %s: %s",
				 r->z[i].name, strerror(-rc));
			return rc;
		}
		memcpy(out[n].zone, r->z[i].name, sizeof(out[n].zone));
		out[n].have = VIRTMETER_HAVE_JOULES;
		out[n].joules = (double)uj / 1e6;
		out[n].joules_range = r->z[i].range_j;
		n++;
	}
	return (int)n;
}

bool meter_rapl_present(const char *sysfs)
{
	char dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	bool found = false;

	meter_fmt(dir, sizeof(dir), "%s/class/powercap", sysfs);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes) && !found; i++) {
		if (meter_sysfs_list(dir, prefixes[i], &names, &n) == 0) {
			found = n > 0;
			meter_names_free(names, n);
		}
	}
	return found;
}

const struct meter_ops meter_rapl_ops = {
	.source = "rapl",
	.open = rapl_open,
	.read = rapl_read,
	.close = rapl_close,
	.describe = rapl_describe,
};
