/* Fuzz target for the libvirt collector's parsers of outside input: the
 * domain XML (collectors/libvirt/meta.c) and the contents of
 * /proc/PID/cgroup and of a PID file (collectors/libvirt/cgroup.c). Every
 * input goes to each parser as raw bytes, and the invariants their results
 * promise are checked. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/libvirt/cgroup.h"
#include "collectors/libvirt/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_meta(const char *buf, size_t size)
{
	struct lv_meta *m = NULL;
	int err = lv_meta_parse(buf, size, &m);

	if (err == 0) {
		/* Every string is set, every device has both fields. */
		if (!m || !m->type || !m->os_type || !m->partition ||
		    !m->nova.name || !m->nova.flavor || !m->nova.user_id ||
		    !m->nova.user_name || !m->nova.project_id ||
		    !m->nova.project_name)
			abort();
		for (size_t i = 0; i < m->ndisks; i++)
			if (!m->disks[i].target || !m->disks[i].mac)
				abort();
		for (size_t i = 0; i < m->nifaces; i++)
			if (!m->ifaces[i].target || !m->ifaces[i].mac)
				abort();
	} else if (m || (err != -EINVAL && err != -E2BIG && err != -ENOMEM)) {
		abort();
	}
	lv_meta_free(m);
}

static void check_cgroup(const char *buf, size_t size)
{
	char out[LV_CG_PATH_MAX], cand[2][LV_CG_PATH_MAX], name[256];
	long pid;
	int err = lv_cg_from_proc(buf, size, "qemu", out, sizeof(out));

	if (err == 0 && (out[0] != '/' || !strstr(out, "qemu")))
		abort();
	if (err != 0 && err != -ENOENT && err != -ENAMETOOLONG)
		abort();
	err = lv_cg_parse_pid(buf, size, &pid);
	if (err == 0 && pid <= 0)
		abort();
	/* The input as a domain name: the machine name stays within 64
	 * bytes, so a scope name within 23 + 64 * 4 ("\x2d") + 6. */
	if (size < sizeof(name)) {
		memcpy(name, buf, size);
		name[size] = '\0';
		err = lv_cg_candidates("qemu", 7, name, "", cand, 2);
		if (err < 0 && err != -ENAMETOOLONG && err != -ENOMEM)
			abort();
		for (int i = 0; i < err; i++)
			if (cand[i][0] != '/' || strlen(cand[i]) > 285)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	check_meta(buf, size);
	check_cgroup(buf, size);
	return 0;
}
