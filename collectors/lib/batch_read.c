/* Many small reads in one system call (see batch_read.h). The ring is set
 * up with the raw system calls: three of them and a few mappings are all
 * a read-only batch needs. */
#include "collectors/lib/batch_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exporter/api/log.h"

#include "build-config.h"

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif

/* Runs after which the ring is trusted to read within the call. */
#define BR_CHECKS 4

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void *map_ring(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* Maps the rings and the submission entries of ring fd set up with p.
 * Returns 0 or -errno. */
static int map_all(struct batch_reader *br, const struct io_uring_params *p)
{
	char *sq, *cq;

	br->sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	br->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (br->cq_len > br->sq_len)
			br->sq_len = br->cq_len;
		br->cq_len = 0;
	}
	br->sq_map = map_ring(br->ring_fd, br->sq_len, IORING_OFF_SQ_RING);
	if (!br->sq_map)
		return -errno;
	br->cq_map = br->cq_len ? map_ring(br->ring_fd, br->cq_len,
					   IORING_OFF_CQ_RING)
				: br->sq_map;
	if (!br->cq_map)
		return -errno;
	br->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	br->sqes = map_ring(br->ring_fd, br->sqes_len, IORING_OFF_SQES);
	if (!br->sqes)
		return -errno;
	sq = br->sq_map;
	cq = br->cq_map;
	br->sq_head = (unsigned *)(void *)(sq + p->sq_off.head);
	br->sq_tail = (unsigned *)(void *)(sq + p->sq_off.tail);
	br->sq_mask = (unsigned *)(void *)(sq + p->sq_off.ring_mask);
	br->sq_array = (unsigned *)(void *)(sq + p->sq_off.array);
	br->cq_head = (unsigned *)(void *)(cq + p->cq_off.head);
	br->cq_tail = (unsigned *)(void *)(cq + p->cq_off.tail);
	br->cq_mask = (unsigned *)(void *)(cq + p->cq_off.ring_mask);
	br->cqes = cq + p->cq_off.cqes;
	br->entries = p->sq_entries;
	return 0;
}

void br_init(struct batch_reader *br, bool use_ring)
{
	struct io_uring_params p;
	int err;

	memset(br, 0, sizeof(*br));
	br->ring_fd = -1;
	if (!use_ring) {
		br->why_not = "turned off";
		return;
	}
	memset(&p, 0, sizeof(p));
	br->ring_fd = (int)syscall(__NR_io_uring_setup, BR_DEPTH, &p);
	if (br->ring_fd < 0) {
		int e = errno;

		snprintf(br->why_buf, sizeof(br->why_buf), "refused (%s)",
			 strerror(e));
		br->why_not = e == ENOSYS  ? "not in this kernel"
			      : e == EPERM ? "not permitted (sysctl "
					     "kernel.io_uring_disabled or "
					     "a seccomp filter)"
					   : br->why_buf;
		br->ring_fd = -1;
		return;
	}
	err = map_all(br, &p);
	if (err < 0) {
		br_fini(br);
		br->why_not = "its rings could not be mapped";
	}
	br->checks = BR_CHECKS;
}

bool br_uses_ring(const struct batch_reader *br)
{
	return br->ring_fd >= 0;
}

void br_fini(struct batch_reader *br)
{
	if (br->sqes)
		munmap(br->sqes, br->sqes_len);
	if (br->cq_map && br->cq_map != br->sq_map)
		munmap(br->cq_map, br->cq_len);
	if (br->sq_map)
		munmap(br->sq_map, br->sq_len);
	if (br->ring_fd >= 0)
		close(br->ring_fd);
	br->sqes = br->cq_map = br->sq_map = NULL;
	br->ring_fd = -1;
}

static void read_one(struct br_read *r)
{
	do
		r->res = pread(r->fd, r->buf, r->cap, 0);
	while (r->res < 0 && errno == EINTR);
	if (r->res < 0)
		r->res = -errno;
}

/* Queues r[0..n) (n at most br->entries) on the submission ring. */
static void queue(struct batch_reader *br, struct br_read *r, size_t n)
{
	struct io_uring_sqe *sqes = br->sqes;
	unsigned tail = *br->sq_tail;

	for (size_t i = 0; i < n; i++, tail++) {
		unsigned idx = tail & *br->sq_mask;
		struct io_uring_sqe *e = &sqes[idx];

		memset(e, 0, sizeof(*e));
		e->opcode = IORING_OP_READ;
		e->fd = r[i].fd;
		e->addr = (unsigned long)r[i].buf;
		e->len = (unsigned)r[i].cap;
		e->off = 0;
		e->user_data = i;
		if (br->force_async)
			e->flags = IOSQE_ASYNC;
		br->sq_array[idx] = idx;
		r[i].res = -EINPROGRESS;
	}
	STORE(br->sq_tail, tail);
}

/* Takes the completions there are; returns how many. */
static size_t reap(struct batch_reader *br, struct br_read *r, size_t n)
{
	const struct io_uring_cqe *cqes = br->cqes;
	unsigned head = *br->cq_head, tail = LOAD(br->cq_tail);
	size_t got = 0;

	for (; head != tail; head++, got++) {
		const struct io_uring_cqe *c = &cqes[head & *br->cq_mask];

		if (c->user_data >= n)
			continue;
		r[c->user_data].res = c->res;
		/* The kernel wrote these bytes, which valgrind cannot see:
		 * without this, memcheck takes every byte parsed from them
		 * for uninitialised (millions of errors a run). */
		if (c->res > 0)
			VALGRIND_MAKE_MEM_DEFINED(r[c->user_data].buf,
						  (size_t)c->res);
	}
	STORE(br->cq_head, head);
	return got;
}

/* Runs r[0..n) through the ring and waits for all of them. Returns 0, or
 * -errno when the ring failed (the reads not done are then left with
 * -EINPROGRESS). */
static int ring_round(struct batch_reader *br, struct br_read *r, size_t n)
{
	size_t done = 0;

	queue(br, r, n);
	while (done < n) {
		unsigned pending = LOAD(br->sq_tail) - LOAD(br->sq_head);
		long ret = syscall(__NR_io_uring_enter, br->ring_fd, pending,
				   (unsigned)(n - done), IORING_ENTER_GETEVENTS,
				   NULL, 0);

		if (ret < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EBUSY)
			return -errno;
		done += reap(br, r, n);
	}
	return 0;
}

/* Stops using the ring, for the reason why, said in one log line. */
static void give_up(struct batch_reader *br, const char *why)
{
	br_fini(br);
	br->why_not = why;
	log_info("io_uring %s: reading each file with its own pread from now "
		 "on", why);
}

/* Whether this process has an io_uring worker thread ("iou-wrk-PID"):
 * the kernel started one for reads it could not do within the call. */
static bool has_worker(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], comm[32];
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		found = n >= 7 && memcmp(comm, "iou-wrk", 7) == 0;
	}
	closedir(d);
	return found;
}

/* After one of the first runs: falls back to pread when the kernel used
 * worker threads for the ring's reads. */
static void check_inline(struct batch_reader *br)
{
	if (br->ring_fd < 0 || br->checks == 0)
		return;
	br->checks--;
	if (has_worker())
		give_up(br, "hands these reads to worker threads on this kernel");
}

void br_run(struct batch_reader *br, struct br_read *r, size_t n)
{
	if (n == 0)
		return;
	for (size_t off = 0; off < n;) {
		size_t k = n - off;

		if (br->ring_fd < 0) {
			for (; off < n; off++)
				read_one(&r[off]);
			return;
		}
		if (k > br->entries)
			k = br->entries;
		if (ring_round(br, r + off, k) < 0)
			give_up(br, "failed");
		for (size_t i = off; i < off + k; i++) {
			if (r[i].res != -EINVAL && r[i].res != -EOPNOTSUPP &&
			    r[i].res != -EAGAIN && r[i].res != -EINPROGRESS)
				continue;
			read_one(&r[i]);
			/* pread could where the ring could not: a kernel
			 * without IORING_OP_READ (before 5.6). */
			if (r[i].res >= 0 && br->ring_fd >= 0)
				give_up(br, "cannot read files on this kernel");
		}
		off += k;
	}
	check_inline(br);
}
