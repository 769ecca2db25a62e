/* --runas USER: from root to USER with the capabilities of the enabled
 * collectors alone (collector_caps in the registry), set with the raw
 * capset system call: virtmeter has no libcap. See runas.h. */
#include "exporter/runas.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38 /* Linux 5.8 */
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47 /* Linux 4.3 */
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_BIT(c) ((uint64_t)1 << (c))
/* Capability numbers fit in the 64 bits of capset's two words. */
#define CAP_WORDS 2

/* The capabilities kept by runas_drop, for runas_check; active once it
 * has run. */
static struct {
	bool active;
	uint64_t kept;
} state;

/* The names of the capabilities that collector_caps may hold. */
static const char *const cap_names[] = {
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_PERFMON] = "CAP_PERFMON",
};

/* The name of capability cap, "CAP_?" for one outside cap_names. */
static const char *cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names) || !cap_names[cap])
		return "CAP_?";
	return cap_names[cap];
}

/* Formats a one-line error message into err. */
__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int runas_lookup(const char *name, struct runas_user *u, char *err,
		 size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[16384];
	int rc;

	if (strlen(name) >= sizeof(u->name)) {
		set_err(err, errlen, "--runas=%.64s...: too long for a user name",
			name);
		return -EINVAL;
	}
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (rc != 0) {
		set_err(err, errlen, "--runas=%s: cannot look the user up: %s",
			name, strerror(rc));
		return -rc;
	}
	if (!found) {
		set_err(err, errlen,
			"--runas=%s: no such user (expected the name of a user "
			"of the passwd database, such as one useradd --system "
			"made)", name);
		return -ENOENT;
	}
	memcpy(u->name, name, strlen(name) + 1);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	return 0;
}

/* The capability that row stands for on this kernel: its fallback where
 * the kernel does not know row->cap (PR_CAPBSET_READ says EINVAL). */
static int row_cap(const struct collector_cap *row)
{
	if (row->fallback >= 0 &&
	    prctl(PR_CAPBSET_READ, (unsigned long)row->cap, 0, 0, 0) < 0 &&
	    errno == EINVAL)
		return row->fallback;
	return row->cap;
}

/* Whether the collector called name is among the enabled ones of e. */
static bool is_enabled(const struct sched_entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].enabled && strcmp(e[i].c->name, name) == 0)
			return true;
	return false;
}

/* The capabilities that the enabled collectors of e use, on this kernel. */
static uint64_t caps_needed(const struct sched_entry *e, size_t n)
{
	uint64_t need = 0;

	for (const struct collector_cap *row = collector_caps; row->collector;
	     row++)
		if (is_enabled(e, n, row->collector))
			need |= CAP_BIT(row_cap(row));
	return need;
}

/* Lists the capabilities of set with the enabled collectors that use
 * each, "CAP_X (a, b), CAP_Y (c)", into out; "none" for an empty set. */
static void describe(uint64_t set, const struct sched_entry *e, size_t n,
		     char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int cap = 0; cap < 64 && len < size; cap++) {
		const char *sep = " (";

		if (!(set & CAP_BIT(cap)))
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					len ? ", " : "", cap_name(cap));
		for (const struct collector_cap *row = collector_caps;
		     row->collector && len < size; row++) {
			if (row_cap(row) != cap ||
			    !is_enabled(e, n, row->collector))
				continue;
			len += (size_t)snprintf(out + len, size - len, "%s%s",
						sep, row->collector);
			sep = ", ";
		}
		if (len < size && strcmp(sep, ", ") == 0)
			len += (size_t)snprintf(out + len, size - len, ")");
	}
	if (!out[0])
		snprintf(out, size, "none");
}

/* The calling thread's permitted capabilities into *prm. Returns 0 or a
 * negative errno. */
static int caps_permitted(uint64_t *prm)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[CAP_WORDS];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

/* Makes set the calling thread's permitted and effective capabilities,
 * with none inheritable. Returns 0 or a negative errno. */
static int caps_set(uint64_t set)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[CAP_WORDS];

	memset(d, 0, sizeof(d));
	for (size_t w = 0; w < CAP_WORDS; w++)
		d[w].permitted = d[w].effective = (uint32_t)(set >> (32 * w));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Drops every capability but those of keep from the bounding set, up to
 * the last one the kernel knows. Returns 0 or a negative errno with err
 * filled in. */
static int drop_bounding(uint64_t keep, char *err, size_t errlen)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if ((keep & CAP_BIT(cap)) ||
		    prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) == 0)
			continue;
		set_err(err, errlen,
			"--runas: cannot drop capability %d from the bounding "
			"set: %s", cap, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Whether the process runs one thread: capabilities set now would not
 * reach the others. */
static bool single_threaded(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *ent;
	size_t n = 0;

	if (!d)
		return true; /* no /proc to tell: trust the caller */
	while ((ent = readdir(d)) != NULL)
		if (ent->d_name[0] != '.')
			n++;
	closedir(d);
	return n <= 1;
}

/* Makes the storage directory dir for u when it is missing: root's
 * mkdir, then handed to u. An existing one is left as it is, and
 * checked once u is in place (check_storage). Returns 0 or a negative
 * errno with err filled in. */
static int make_storage(const struct runas_user *u, const char *dir,
			char *err, size_t errlen)
{
	int fd, rc = 0;

	if (mkdir(dir, 0750) < 0) {
		if (errno == EEXIST)
			return 0;
		rc = -errno;
		set_err(err, errlen, "--storage.path=%s: cannot make it for "
			"user %s: %s", dir, u->name, strerror(-rc));
		return rc;
	}
	/* Through a descriptor of what mkdir made, never a path that a
	 * symbolic link could have replaced meanwhile. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, u->uid, u->gid) < 0) {
		rc = -errno;
		set_err(err, errlen, "--storage.path=%s: cannot give it to "
			"user %s: %s", dir, u->name, strerror(-rc));
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		log_info("made --storage.path=%s for user %s", dir, u->name);
	return rc;
}

/* Checks, as u, that u may write in dir. Returns 0 or -errno with err
 * filled in. */
static int check_storage(const struct runas_user *u, const char *dir,
			 char *err, size_t errlen)
{
	int rc;

	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	rc = -errno;
	set_err(err, errlen,
		"--storage.path=%s: user %s cannot write there: %s (make it "
		"theirs: chown %s %s, or give another --storage.path)", dir,
		u->name, strerror(-rc), u->name, dir);
	return rc;
}

/* Leaves out of *need, with a warning each, the capabilities that the
 * process does not hold (root in a container without them). Returns 0
 * or a negative errno with err filled in. */
static int keep_held(uint64_t *need, const struct sched_entry *e, size_t n,
		     char *err, size_t errlen)
{
	uint64_t held = 0, missing;
	char what[256];
	int rc = caps_permitted(&held);

	if (rc < 0) {
		set_err(err, errlen, "--runas: cannot read the capabilities "
			"held: %s", strerror(-rc));
		return rc;
	}
	missing = *need & ~held;
	if (missing) {
		describe(missing, e, n, what, sizeof(what));
		log_warn("--runas: not held, so not kept: %s", what);
	}
	*need &= held;
	return 0;
}

/* Takes u's supplementary groups, group and user, keeping the permitted
 * capabilities (PR_SET_KEEPCAPS). Returns 0 or a negative errno with err
 * filled in. */
static int become(const struct runas_user *u, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1L, 0, 0, 0) < 0) {
		set_err(err, errlen, "--runas=%s: cannot keep capabilities "
			"across the change of user: %s", u->name, strerror(errno));
		return -errno;
	}
	if (initgroups(u->name, u->gid) < 0) {
		set_err(err, errlen, "--runas=%s: cannot take the user's "
			"groups: %s", u->name, strerror(errno));
		return -errno;
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0) {
		set_err(err, errlen, "--runas=%s: cannot take group %u: %s",
			u->name, (unsigned)u->gid, strerror(errno));
		return -errno;
	}
	if (setresuid(u->uid, u->uid, u->uid) < 0) {
		set_err(err, errlen, "--runas=%s: cannot take uid %u: %s",
			u->name, (unsigned)u->uid, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Once u: keeps need alone, clears the ambient set and keep-caps, sets no
 * new privileges, and checks that root cannot come back. Returns 0 or a
 * negative errno with err filled in. */
static int restrict_caps(const struct runas_user *u, uint64_t need,
			 const struct sched_entry *e, size_t n, char *err,
			 size_t errlen)
{
	char what[256];
	int rc = caps_set(need);

	if (rc < 0) {
		describe(need, e, n, what, sizeof(what));
		set_err(err, errlen, "--runas=%s: cannot keep %s: %s", u->name,
			what, strerror(-rc));
		return rc;
	}
	prctl(PR_SET_KEEPCAPS, 0L, 0, 0, 0);
	/* EINVAL before Linux 4.3, which has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		set_err(err, errlen, "--runas=%s: cannot clear the ambient "
			"capabilities: %s", u->name, strerror(errno));
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0, 0, 0) < 0) {
		set_err(err, errlen, "--runas=%s: cannot set no new "
			"privileges: %s", u->name, strerror(errno));
		return -errno;
	}
	if (u->uid != 0 && setresuid(0, 0, 0) == 0) {
		set_err(err, errlen, "--runas=%s: root could be taken back",
			u->name);
		return -EPERM;
	}
	return 0;
}

int runas_drop(const struct runas_user *u, const struct sched_entry *e,
	       size_t n, const char *storage, char *err, size_t errlen)
{
	uint64_t need = caps_needed(e, n);
	char what[256];
	int rc;

	if (geteuid() != 0) {
		set_err(err, errlen,
			"--runas=%s: virtmeter runs as uid %u, not root: only "
			"root can become another user (or start it as %s with "
			"ambient capabilities, as the systemd unit does)",
			u->name, (unsigned)geteuid(), u->name);
		return -EPERM;
	}
	if (!single_threaded()) {
		set_err(err, errlen, "--runas=%s: threads are running already, "
			"and would keep root's capabilities", u->name);
		return -EBUSY;
	}
	rc = keep_held(&need, e, n, err, errlen);
	if (rc == 0 && storage)
		rc = make_storage(u, storage, err, errlen);
	if (rc == 0)
		rc = drop_bounding(need, err, errlen);
	if (rc == 0)
		rc = become(u, err, errlen);
	if (rc == 0)
		rc = restrict_caps(u, need, e, n, err, errlen);
	if (rc == 0 && storage)
		rc = check_storage(u, storage, err, errlen);
	if (rc < 0)
		return rc;
	state.active = true;
	state.kept = need;
	describe(need, e, n, what, sizeof(what));
	log_info("running as user %s (uid %u, gid %u), capabilities kept: %s",
		 u->name, (unsigned)u->uid, (unsigned)u->gid, what);
	return 0;
}

void runas_check(const struct sched_entry *e, size_t n)
{
	if (!state.active)
		return;
	for (const struct collector_cap *row = collector_caps; row->collector;
	     row++) {
		int cap = row_cap(row);

		if (!is_enabled(e, n, row->collector) ||
		    (state.kept & CAP_BIT(cap)))
			continue;
		log_warn("--runas: the %s collector uses %s (%s), which "
			 "virtmeter gave up at start: restart it to grant it",
			 row->collector, cap_name(cap), row->why);
	}
}
