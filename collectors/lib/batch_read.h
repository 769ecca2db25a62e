/* Many small reads at offset 0 in one system call: an io_uring of the
 * collector's own, with pread as the fallback where io_uring is missing or
 * refused. A cgroup cycle reads about a dozen short files per container,
 * and the system call around each read costs more than the read itself. */
#ifndef VIRTMETER_BATCH_READ_H
#define VIRTMETER_BATCH_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Most reads one br_run hands to the kernel at once; a longer list is
 * submitted in several rounds. */
#define BR_DEPTH 256

/* One read: up to cap bytes of fd from offset 0 into buf. res is set by
 * br_run: the bytes read, or a negative errno. */
struct br_read {
	int fd;
	char *buf;
	size_t cap;
	ssize_t res;
};

/* A reader: the ring's descriptor and mappings, or ring_fd -1 (pread). */
struct batch_reader {
	int ring_fd;
	void *sq_map, *cq_map, *sqes;
	size_t sq_len, cq_len, sqes_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	void *cqes;
	unsigned entries;
	unsigned checks; /* runs left to check that no worker was started */
	bool force_async; /* tests only: every read through a worker */
	const char *why_not; /* why pread is used, for the log */
	char why_buf[64];    /* why_not when it holds an errno's text */
};

/* Sets br up: with an io_uring when use_ring and the kernel allows one
 * (io_uring_setup may be missing, or refused by kernel.io_uring_disabled
 * or a seccomp filter), else for pread; br->why_not then says why. Never
 * fails: pread always works. */
void br_init(struct batch_reader *br, bool use_ring);

/* Whether br reads through an io_uring. */
bool br_uses_ring(const struct batch_reader *br);

/* Performs the n reads of r, setting each res. A read the ring could not
 * do (an old kernel without IORING_OP_READ) is done again with pread, and
 * br falls back to pread for good. So it does, with one log line, when
 * its first runs show that the kernel handed the reads to io_uring worker
 * threads instead of doing them within the call (kernels that cannot read
 * the files without blocking): a thread switch per read costs more than
 * the system call it saves. Interrupted waits are resumed. */
void br_run(struct batch_reader *br, struct br_read *r, size_t n);

/* Releases the ring, if any. */
void br_fini(struct batch_reader *br);

#endif
