/* --runas USER: virtmeter started as root becomes USER once its listen
 * addresses are bound, keeping only the capabilities that the enabled
 * collectors use (collector_caps), with no new privileges. */
#ifndef VIRTMETER_RUNAS_H
#define VIRTMETER_RUNAS_H

#include <stddef.h>
#include <sys/types.h>

#include "exporter/scheduler.h"

#define RUNAS_NAME_MAX 256

/* The user to become. */
struct runas_user {
	char name[RUNAS_NAME_MAX];
	uid_t uid;
	gid_t gid; /* its primary group */
};

/* Looks the user name up (the passwd database: files, LDAP, ...) into u.
 * Returns 0, -ENOENT for no such user, or another negative errno; err
 * then names the user and says why. */
int runas_lookup(const char *name, struct runas_user *u, char *err,
		 size_t errlen);

/* Becomes u for good: makes the storage directory (storage) for u when it
 * is missing, drops every capability but those that the enabled
 * collectors of e[0..n) use from the bounding set, takes u's
 * supplementary groups, group and user, keeps those capabilities
 * permitted and effective (none inheritable or ambient), and sets no new
 * privileges. Must be called as root before any thread starts, since
 * capabilities belong to each thread. A capability that root does not
 * hold here (a container's bounding set) is left out with a warning.
 * Returns 0, or a negative errno with err naming the user, capability or
 * directory at fault: the caller must then exit, as the process may be
 * halfway. */
int runas_drop(const struct runas_user *u, const struct sched_entry *e,
	       size_t n, const char *storage, char *err, size_t errlen);

/* After a reload: warns for each enabled collector of e[0..n) that uses a
 * capability runas_drop gave up (one that the reload turned on). Does
 * nothing without --runas. */
void runas_check(const struct sched_entry *e, size_t n);

#endif
