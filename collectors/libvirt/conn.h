/* The libvirt collector's connection plumbing: the process-wide libvirt
 * event loop (needed for keepalive, close and domain events), a connect
 * attempt run in its own thread so that a hung daemon never holds a cycle
 * for long, and a read-only connection with keepalive, a close callback and
 * domain events that mark redefined domains. */
#ifndef VIRTMETER_LIBVIRT_CONN_H
#define VIRTMETER_LIBVIRT_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

/* Keepalive: a probe every 5 s; 3 unanswered probes close the connection,
 * so a dead daemon fails a call in about 20 s. */
#define LV_KEEPALIVE_INTERVAL 5
#define LV_KEEPALIVE_COUNT 3

/* Takes a reference to the process-wide event loop: the first one
 * registers libvirt's default event implementation (once per process),
 * silences libvirt's own printing of errors to stderr, and starts the
 * thread that runs the loop. Returns 0 or a negative errno. */
int lv_loop_ref(void);

/* Drops a reference; the last one stops and joins the loop thread. */
void lv_loop_unref(void);

/* A connect attempt in progress (opaque). */
struct lv_dial;

/* Starts virConnectOpenReadOnly(uri) in a detached thread. Returns 0 with
 * *out set, or a negative errno. */
int lv_dial_start(const char *uri, struct lv_dial **out);

/* Waits up to ms milliseconds for the attempt. Returns false if it is
 * still running (d stays valid); true when it ended: d is then freed, and
 * *conn is the new connection (owned by the caller) or NULL with libvirt's
 * message in err. */
bool lv_dial_wait(struct lv_dial *d, unsigned ms, virConnectPtr *conn,
		  char *err, size_t errsize);

/* Gives up on an attempt: the thread closes whatever it opens and frees d
 * when it ends. */
void lv_dial_abandon(struct lv_dial *d);

/* What the callbacks registered on a connection report (opaque). */
struct lv_watch;

/* An open connection with what watches it. */
struct lv_conn {
	virConnectPtr conn; /* NULL when not connected */
	struct lv_watch *watch;
	int cb_lifecycle, cb_metadata; /* event callback ids, -1 if none */
	bool close_cb;
	char type[32]; /* virConnectGetType: "QEMU", "TEST", "LXC"... */
};

/* Takes over conn (a new read-only connection) into c: reads the driver
 * type, enables keepalive where the driver has it, and registers the close
 * callback and the lifecycle and metadata events where it supports them.
 * Returns 0 or -ENOMEM (conn is then closed). */
int lv_conn_setup(struct lv_conn *c, virConnectPtr conn);

/* Deregisters the callbacks and closes the connection; c is then empty. */
void lv_conn_close(struct lv_conn *c);

/* True if the connection is gone: its close callback fired or libvirt no
 * longer calls it alive. why receives the reason. */
bool lv_conn_lost(struct lv_conn *c, char *why, size_t size);

/* Hands over the UUIDs of domains that were redefined or whose metadata
 * changed since the last call: *uuids is a malloc'd array of *n entries
 * (the caller frees it), and *all is set when too many events came to
 * keep them apart (treat every domain as changed). */
void lv_conn_take_dirty(struct lv_conn *c,
			char (**uuids)[VIR_UUID_STRING_BUFLEN], size_t *n,
			bool *all);

/* Writes dom's UUID as libvirt prints it (36 lowercase hex digits and
 * dashes) into out; returns 0, or -1 as virDomainGetUUID does. The same
 * string as virDomainGetUUIDString's, for one format of the UUID in
 * libvirt instead of two (its debug line formats it on every call). */
int lv_uuid_string(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]);

#endif
