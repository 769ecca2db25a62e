/* The cgroup of a running libvirt domain, found as DESIGN.md describes:
 * first from the qemu process itself (/run/libvirt/qemu/NAME.pid, readable
 * by root, then /proc/PID/cgroup), else from libvirt's naming rules checked
 * with stat() under each cgroup hierarchy. The naming rules follow what
 * libvirt 6-9 does: the machine name "qemu-ID-NAME" with NAME reduced to
 * hostname characters and cut to 64 bytes; under systemd a scope
 * "machine-<escaped machine name>.scope" in machine.slice; without systemd
 * "<partition>/<machine name>.libvirt-qemu". */
#include "collectors/libvirt/cgroup.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libvirt's limit on a machine name (virDomainDriverGenerateMachineName). */
#define MACHINE_NAME_MAX 64
/* /proc/PID/cgroup lists one line per hierarchy: a few hundred bytes. */
#define PROC_CGROUP_MAX 65536

/* A string built into a caller's fixed buffer; overflow is sticky. */
struct sb {
	char *p;
	size_t size, len;
	bool over;
};

static void sb_init(struct sb *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	b->over = size == 0;
	if (size)
		p[0] = '\0';
}

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->over || b->len + n >= b->size) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int lv_cg_machine_name(const char *driver, int id, const char *name, char *out,
		       size_t size)
{
	char head[64];
	struct sb b;
	bool skip = true; /* no separator at the start or twice in a row */
	int n = snprintf(head, sizeof(head), "%s-%d-", driver, id);

	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	sb_init(&b, out, size);
	sb_puts(&b, head);
	for (const char *p = name; *p && b.len < MACHINE_NAME_MAX; p++) {
		if (*p == '.' || *p == '-') {
			if (!skip)
				sb_add(&b, p, 1);
			skip = true;
			continue;
		}
		skip = false;
		if (is_alnum(*p))
			sb_add(&b, p, 1);
	}
	/* Like libvirt, trim the whole name: "qemu-3-" for a name with no
	 * usable character becomes "qemu-3". */
	while (b.len > 0 && !b.over &&
	       (out[b.len - 1] == '-' || out[b.len - 1] == '.'))
		out[--b.len] = '\0';
	return b.over ? -ENAMETOOLONG : 0;
}

/* Appends s escaped as systemd escapes a unit name component: '/' becomes
 * '-', and '-', '\\', a leading '.' and anything but [A-Za-z0-9:_.] become
 * \xNN. */
static void sb_systemd_escape(struct sb *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		char hex[5];
		unsigned char c = (unsigned char)*p;

		if (c == '/') {
			sb_add(b, "-", 1);
		} else if (is_alnum((char)c) || c == ':' || c == '_' ||
			   (c == '.' && p != s)) {
			sb_add(b, p, 1);
		} else {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			sb_add(b, hex, 4);
		}
	}
}

/* The components of a partition path ("/machine/a" -> "machine", "a"),
 * in a copy the caller frees; "" and "/" give "machine". */
static char *partition_copy(const char *partition)
{
	while (*partition == '/')
		partition++;
	return strdup(*partition ? partition : "machine");
}

/* "/machine/a" under systemd: "/machine.slice/machine-a.slice". */
static void sb_systemd_slices(struct sb *b, const char *partition)
{
	char *copy = partition_copy(partition), *save = NULL;
	struct sb prefix;
	char pre[LV_CG_PATH_MAX];

	if (!copy) {
		b->over = true;
		return;
	}
	sb_init(&prefix, pre, sizeof(pre));
	for (char *tok = strtok_r(copy, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		size_t dot = strlen(tok);

		if (dot > 6 && strcmp(tok + dot - 6, ".slice") == 0)
			tok[dot - 6] = '\0';
		if (prefix.len)
			sb_add(&prefix, "-", 1);
		sb_systemd_escape(&prefix, tok);
		sb_add(b, "/", 1);
		sb_puts(b, pre);
		sb_puts(b, ".slice");
	}
	if (prefix.over)
		b->over = true;
	free(copy);
}

/* "/machine/a" without systemd: "/machine/a.partition" (libvirt keeps the
 * top-level machine, system and user and suffixes other components that
 * have no dot). */
static void sb_libvirt_partition(struct sb *b, const char *partition)
{
	char *copy = partition_copy(partition), *save = NULL;
	bool top = true;

	if (!copy) {
		b->over = true;
		return;
	}
	for (char *tok = strtok_r(copy, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		bool keep =
		    strchr(tok, '.') || (top && (strcmp(tok, "machine") == 0 ||
						 strcmp(tok, "system") == 0 ||
						 strcmp(tok, "user") == 0));

		sb_add(b, "/", 1);
		if (tok[0] == '_' || tok[0] == '.')
			sb_add(b, "_", 1);
		sb_puts(b, tok);
		if (!keep)
			sb_puts(b, ".partition");
		top = false;
	}
	free(copy);
}

int lv_cg_candidates(const char *driver, int id, const char *name,
		     const char *partition, char (*out)[LV_CG_PATH_MAX],
		     size_t max)
{
	char machine[MACHINE_NAME_MAX + 64];
	struct sb b;
	int err =
	    lv_cg_machine_name(driver, id, name, machine, sizeof(machine));
	size_t n = 0;

	if (err < 0)
		return err;
	if (n < max) {
		sb_init(&b, out[n], LV_CG_PATH_MAX);
		sb_systemd_slices(&b, partition);
		sb_puts(&b, "/machine-");
		sb_systemd_escape(&b, machine);
		sb_puts(&b, ".scope");
		if (!b.over)
			n++;
	}
	if (n < max) {
		sb_init(&b, out[n], LV_CG_PATH_MAX);
		sb_libvirt_partition(&b, partition);
		sb_add(&b, "/", 1);
		sb_puts(&b, machine);
		sb_puts(&b, ".libvirt-");
		sb_puts(&b, driver);
		if (!b.over)
			n++;
	}
	return (int)n;
}

/* Rank of a /proc/PID/cgroup line by its controllers: lower is better. */
static int line_rank(const char *ctl, size_t n, bool v2)
{
	static const char *const pref[] = {"cpu", "memory", "pids"};

	if (v2)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(pref); i++) {
		size_t k = strlen(pref[i]);

		for (size_t at = 0; at < n;) {
			const char *comma = memchr(ctl + at, ',', n - at);
			size_t end = comma ? (size_t)(comma - ctl) : n;

			if (end - at == k && memcmp(ctl + at, pref[i], k) == 0)
				return 1 + (int)i;
			at = end + 1;
		}
	}
	return 9;
}

/* Cuts path (length *n) back to the domain's own cgroup and checks that
 * its last component names a domain of driver. */
static bool trim_domain_path(const char *path, size_t *n, const char *driver)
{
	static const char emu[] = "/emulator", lv[] = "/libvirt";
	size_t len = *n, last;

	if (len > sizeof(emu) - 1 &&
	    memcmp(path + len - (sizeof(emu) - 1), emu, sizeof(emu) - 1) == 0)
		len -= sizeof(emu) - 1;
	if (len > sizeof(lv) - 1 &&
	    memcmp(path + len - (sizeof(lv) - 1), lv, sizeof(lv) - 1) == 0)
		len -= sizeof(lv) - 1;
	for (last = len; last > 0 && path[last - 1] != '/'; last--)
		;
	*n = len;
	if (len == 0 || path[0] != '/' || last == len)
		return false;
	return memmem(path + last, len - last, driver, strlen(driver)) != NULL;
}

int lv_cg_from_proc(const char *buf, size_t len, const char *driver, char *out,
		    size_t size)
{
	const char *best = NULL;
	size_t best_len = 0;
	int best_rank = 100;

	for (size_t at = 0; at < len;) {
		const char *line = buf + at, *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		const char *c1 = memchr(line, ':', n), *c2;
		size_t plen;
		int rank;

		at += n + 1;
		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
		if (!c2)
			continue;
		plen = n - (size_t)(c2 + 1 - line);
		rank =
		    line_rank(c1 + 1, (size_t)(c2 - c1 - 1),
			      c2 == c1 + 1 && c1 - line == 1 && line[0] == '0');
		/* A NUL would cut the path short where the caller reads it. */
		if (rank >= best_rank || memchr(c2 + 1, '\0', plen) ||
		    !trim_domain_path(c2 + 1, &plen, driver))
			continue;
		best = c2 + 1;
		best_len = plen;
		best_rank = rank;
	}
	if (!best)
		return -ENOENT;
	if (best_len >= size)
		return -ENAMETOOLONG;
	memcpy(out, best, best_len);
	out[best_len] = '\0';
	return 0;
}

int lv_cg_parse_pid(const char *buf, size_t len, long *pid)
{
	long v = 0;
	size_t i = 0;

	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (v > (0x7fffffffL - 9) / 10)
			return -EINVAL;
		v = v * 10 + (buf[i] - '0');
	}
	if (i == 0 || v <= 0)
		return -EINVAL;
	for (; i < len; i++)
		if (buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t' &&
		    buf[i] != '\r')
			return -EINVAL;
	*pid = v;
	return 0;
}

/* Reads at most cap bytes of path into buf. Returns the length or a
 * negative errno (-EFBIG if the file is larger). */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : 0;

			close(fd);
			return err < 0 ? err : (ssize_t)len;
		}
		len += (size_t)n;
	}
	close(fd);
	return -EFBIG;
}

/* The cgroup from piddir/NAME.pid and /proc/PID/cgroup. */
static int from_pidfile(const struct lv_cg_roots *roots, const char *driver,
			const char *name, char *out, size_t size)
{
	char path[4096], small[32], *buf;
	ssize_t n;
	long pid;
	int err;

	if (strchr(name, '/'))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s.pid", roots->piddir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = read_small(path, small, sizeof(small));
	if (n < 0)
		return (int)n;
	err = lv_cg_parse_pid(small, (size_t)n, &pid);
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "%s/%ld/cgroup", roots->procfs, pid);
	buf = malloc(PROC_CGROUP_MAX);
	if (!buf)
		return -ENOMEM;
	n = read_small(path, buf, PROC_CGROUP_MAX);
	err =
	    n < 0 ? (int)n : lv_cg_from_proc(buf, (size_t)n, driver, out, size);
	free(buf);
	return err;
}

int lv_cg_discover(const struct lv_cg_roots *roots, const char *driver, int id,
		   const char *name, const char *partition, char *out,
		   size_t size)
{
	/* cgroup2 alone, hybrid's unified mount, then v1 controllers. */
	static const char *const hier[] = {"",	   "/unified", "/cpu,cpuacct",
					   "/cpu", "/memory",  "/pids"};
	char cand[2][LV_CG_PATH_MAX], path[4096];
	int n;

	if (roots->piddir && from_pidfile(roots, driver, name, out, size) == 0)
		return 0;
	n = lv_cg_candidates(driver, id, name, partition, cand, 2);
	if (n < 0)
		return n;
	for (int c = 0; c < n; c++) {
		for (size_t h = 0; h < ARRAY_SIZE(hier); h++) {
			struct stat sb;
			int len = snprintf(path, sizeof(path), "%s%s%s",
					   roots->cgroupfs, hier[h], cand[c]);

			if (len < 0 || (size_t)len >= sizeof(path) ||
			    stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
				continue;
			if (strlen(cand[c]) >= size)
				return -ENAMETOOLONG;
			memcpy(out, cand[c], strlen(cand[c]) + 1);
			return 0;
		}
	}
	return -ENOENT;
}
