/* The state-file lookups of names.h for a build without yajl: every
 * parser and cg_names_resolve return -ENOTSUP, so containers keep the
 * fallback names that discovery gives them. */
#include "collectors/cgroup/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cg_meta_free(struct cg_meta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->image);
	free(m->pod);
	free(m->namespace);
	memset(m, 0, sizeof(*m));
}

int cg_names_parse_docker(const char *buf, size_t len, struct cg_meta *out)
{
	(void)buf;
	(void)len;
	(void)out;
	return -ENOTSUP;
}

int cg_names_parse_oci(const char *buf, size_t len, struct cg_meta *out)
{
	(void)buf;
	(void)len;
	(void)out;
	return -ENOTSUP;
}

int cg_names_parse_podman(const char *buf, size_t len, const char *id,
			  struct cg_meta *out)
{
	(void)buf;
	(void)len;
	(void)id;
	(void)out;
	return -ENOTSUP;
}

int cg_names_resolve(const struct cg_state_paths *paths, struct cg_container *c)
{
	(void)paths;
	(void)c;
	return -ENOTSUP;
}

void cg_names_use_paths(const struct cg_state_paths *paths)
{
	(void)paths;
}
