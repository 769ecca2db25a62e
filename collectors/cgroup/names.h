/* Readable names of containers from the runtimes' own state files: docker's
 * config.v2.json, the OCI config.json that containerd and cri-o keep
 * under /run, and podman's containers.json. The JSON parsers are pure
 * functions over a buffer (fuzzed); cg_names_resolve does the file I/O.
 * Built with yajl; without it every function returns -ENOTSUP and names
 * stay the fallback that discovery gave. */
#ifndef VIRTMETER_CGROUP_NAMES_H
#define VIRTMETER_CGROUP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "collectors/cgroup/discover.h"

/* Largest state file read: larger ones are refused (-EFBIG). Podman's
 * containers.json lists every container of the host, so it gets more. */
#define CG_NAMES_MAX_FILE (1024 * 1024)
#define CG_NAMES_MAX_STORE (8 * 1024 * 1024)

/* Longest string value taken from a state file; a longer one counts as
 * absent rather than being cut. */
#define CG_NAMES_MAX_VALUE 1024

/* Deepest nesting of arrays and objects accepted in a state file. */
#define CG_NAMES_MAX_DEPTH 64

/* Where the runtimes keep their state. Tests point these at fixtures; a
 * NULL member means the default below. */
struct cg_state_paths {
	const char *docker; /* /var/lib/docker: containers/ID/config.v2.json */
	const char
	    *containerd;    /* /run/containerd:
			       io.containerd.runtime.v2.task/NS/ID/config.json */
	const char *crio;   /* /run/containers/storage:
			       overlay-containers/ID/userdata/config.json */
	const char *podman; /* /var/lib/containers/storage:
			       overlay-containers/containers.json */
};

/* What a state file says about one container. Each member is NULL when the
 * file does not say, else a string owned by the struct. */
struct cg_meta {
	char *name;
	char *image;
	char *pod;
	char *namespace;
	bool sandbox; /* a Kubernetes pod's sandbox ("pause") container */
};

/* Frees the strings of m and clears it. */
void cg_meta_free(struct cg_meta *m);

/* Parses docker's config.v2.json (len bytes at buf, no NUL needed) into
 * *out: .Name without its leading '/', .Config.Image, and from
 * .Config.Labels the Kubernetes labels io.kubernetes.container.name (which
 * wins over .Name), io.kubernetes.pod.name and io.kubernetes.pod.namespace.
 * Returns 0 (members possibly NULL); -EINVAL if the text is not a JSON
 * object, nests deeper than CG_NAMES_MAX_DEPTH, or is larger than
 * CG_NAMES_MAX_FILE; -ENOMEM. out is set only on success. */
int cg_names_parse_docker(const char *buf, size_t len, struct cg_meta *out);

/* Parses an OCI bundle's config.json (containerd, cri-o) into *out from
 * its .annotations: the container name from io.kubernetes.cri.container-name
 * or io.kubernetes.container.name, the pod from io.kubernetes.cri.sandbox-name
 * or io.kubernetes.pod.name, the namespace from
 * io.kubernetes.cri.sandbox-namespace or io.kubernetes.pod.namespace, the
 * image from io.kubernetes.cri.image-name or io.kubernetes.cri-o.ImageName;
 * a sandbox (io.kubernetes.cri.container-type or
 * io.kubernetes.cri-o.ContainerType "sandbox") is named "POD", as kubelet
 * names it. Returns like cg_names_parse_docker. */
int cg_names_parse_oci(const char *buf, size_t len, struct cg_meta *out);

/* Finds container id in the text of podman's containers.json (an array of
 * {"id", "names": [...], "metadata": "<JSON text>"}) and fills *out with
 * its first name and the "image-name" of its metadata. Returns 0; -ENOENT
 * if id is not listed; -EINVAL if the text is not a JSON array, nests too
 * deep or is larger than CG_NAMES_MAX_STORE; -ENOMEM. */
int cg_names_parse_podman(const char *buf, size_t len, const char *id,
			  struct cg_meta *out);

/* Looks up container c in its runtime's state under paths (NULL for the
 * defaults) and replaces its name, image, pod and namespace with what the
 * state says; a container under a Kubernetes pod that discovery took for
 * containerd becomes docker if only docker's state knows its id. LXC and
 * systemd containers keep the name from their path. Returns 0; -ENOENT
 * when no state file has it (c keeps its fallback name); -EINVAL or -EFBIG
 * for a bad state file; -ENOMEM; -ENOTSUP without yajl. Reads one small
 * file per call (podman: its store file), so callers look up only
 * containers they have not seen before. */
int cg_names_resolve(const struct cg_state_paths *paths,
		     struct cg_container *c);

/* Makes cg_names_resolve look under paths whenever it is passed NULL (as
 * the collector passes it); NULL goes back to the defaults. For tests,
 * which point the collector at fixture state: paths must stay valid while
 * in use, and the call must not race a running collector. */
void cg_names_use_paths(const struct cg_state_paths *paths);

#endif
