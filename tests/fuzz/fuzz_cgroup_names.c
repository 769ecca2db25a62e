/* Fuzz target for what container discovery reads from outside: the JSON
 * state-file parsers of collectors/cgroup/names.c (docker config.v2.json,
 * OCI config.json, podman containers.json), and the cgroup path classifier,
 * systemd unescaping and cgroup.controllers parser of discover.c and
 * layout.c (cgroup names are chosen by whoever may create cgroups). Every
 * input goes to each of them, and the invariants they promise are checked. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/cgroup/discover.h"
#include "collectors/lib/cgroup_layout.h"
#include "collectors/cgroup/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A member the parsers set is absent (NULL) or a non-empty string of at
 * most CG_NAMES_MAX_VALUE bytes. */
static void check_str(const char *s)
{
	if (s && (!s[0] || strlen(s) > CG_NAMES_MAX_VALUE))
		abort();
}

static void check_meta(int rc, struct cg_meta *m, int also)
{
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM && rc != also)
		abort();
	if (rc == 0) {
		check_str(m->name);
		check_str(m->image);
		check_str(m->pod);
		check_str(m->namespace);
		if (m->sandbox && !m->name)
			abort();
		cg_meta_free(m);
	}
	if (m->name || m->image || m->pod || m->namespace)
		abort();
}

static void fuzz_json(const char *buf, size_t size)
{
	struct cg_meta m = {0};

	check_meta(cg_names_parse_docker(buf, size, &m), &m, 0);
	check_meta(cg_names_parse_oci(buf, size, &m), &m, 0);
	/* Ids that the corpus uses: a short one and a real-looking one. */
	check_meta(cg_names_parse_podman(buf, size, "x", &m), &m, -ENOENT);
	check_meta(cg_names_parse_podman(buf, size,
					 "236afc24ae3e0fe15428343bd8b1f2c2cf3220c70f338d091f29166681157bcf",
					 &m),
		   &m, -ENOENT);
}

static void fuzz_path(const char *buf, size_t size)
{
	char path[CG_REL_PATH_MAX], out[CG_NAME_MAX];
	struct cg_match m;
	unsigned mask;
	size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;

	memcpy(path, buf, n);
	path[n] = '\0';
	if (cg_classify(path, &m) == CG_CLASS_CONTAINER) {
		if ((unsigned)m.runtime >= CG_NRUNTIMES || (unsigned)m.qos > CG_QOS_BESTEFFORT)
			abort();
		if (!memchr(m.id, '\0', sizeof(m.id)) || !m.id[0] ||
		    !memchr(m.name, '\0', sizeof(m.name)) || !m.name[0] ||
		    !memchr(m.pod_uid, '\0', sizeof(m.pod_uid)))
			abort();
		if ((m.qos == CG_QOS_NONE) != (m.pod_uid[0] == '\0'))
			abort();
	}
	if (cg_unescape_systemd(buf, size, out, sizeof(out)) == 0 && strlen(out) > size)
		abort();
	if (cg_layout_parse_controllers(buf, size, &mask) == 0 &&
	    (mask & ~((1u << CG_NHIERS) - 1)) != 0)
		abort();
	(void)cg_rel_path_valid(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_json((const char *)data, size);
	fuzz_path((const char *)data, size);
	return 0;
}
