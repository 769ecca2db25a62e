/* The batch reader: through an io_uring and through pread it reads the
 * same bytes, past the ring's depth, and reports each read's own result
 * (a short buffer filled, a bad descriptor) without losing the others;
 * reads the kernel hands to worker threads make it fall back to pread. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collectors/lib/batch_read.h"

/* More files than one submission round holds. */
#define NFILES (BR_DEPTH * 2 + 37)

struct files {
	char dir[64];
	int fd[NFILES];
};

/* Makes NFILES files whose text names their index. */
static void make_files(struct files *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/virtmeter-br.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (int i = 0; i < NFILES; i++) {
		char path[128], text[64];
		int n;

		snprintf(path, sizeof(path), "%s/f%d", f->dir, i);
		n = snprintf(text, sizeof(text), "file %d of %d\n", i, NFILES);
		f->fd[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		assert_true(f->fd[i] >= 0);
		assert_int_equal(write(f->fd[i], text, (size_t)n), n);
	}
}

static void drop_files(struct files *f)
{
	char cmd[128];

	for (int i = 0; i < NFILES; i++)
		close(f->fd[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* Reads every file through br; checks each read's bytes. */
static void read_all(struct batch_reader *br, const struct files *f)
{
	static char bufs[NFILES][64];
	static struct br_read r[NFILES];

	for (int i = 0; i < NFILES; i++)
		r[i] = (struct br_read){.fd = f->fd[i], .buf = bufs[i],
					.cap = sizeof(bufs[i]), .res = -1};
	br_run(br, r, NFILES);
	for (int i = 0; i < NFILES; i++) {
		char want[64];
		int n = snprintf(want, sizeof(want), "file %d of %d\n", i,
				 NFILES);

		assert_int_equal(r[i].res, n);
		assert_memory_equal(bufs[i], want, (size_t)n);
	}
}

/* Sets br up with an io_uring, which this host's tests need. */
static void ring_reader(struct batch_reader *br)
{
	br_init(br, true);
	if (!br_uses_ring(br))
		fail_msg("no io_uring on this host: %s", br->why_not);
}

static void ring_and_pread_read_the_same_bytes_past_the_depth(void **unused)
{
	struct batch_reader br;
	struct files f;

	(void)unused;
	make_files(&f);
	ring_reader(&br);
	/* The ring is reused, and kept past the runs that check that the
	 * kernel read within the call (no worker thread). */
	for (int i = 0; i < 6; i++)
		read_all(&br, &f);
	assert_true(br_uses_ring(&br));
	br_fini(&br);
	br_init(&br, false);
	assert_false(br_uses_ring(&br));
	assert_string_equal(br.why_not, "turned off");
	read_all(&br, &f);
	br_fini(&br);
	drop_files(&f);
}

static void each_read_reports_its_own_result(void **unused)
{
	static const int bad = 1 << 20; /* no such descriptor */
	struct batch_reader br;
	struct files f;
	char small[4], big[64], other[64];
	struct br_read r[3];

	(void)unused;
	make_files(&f);
	for (int ring = 1; ring >= 0; ring--) {
		br_init(&br, ring);
		r[0] = (struct br_read){f.fd[5], small, sizeof(small), 0};
		r[1] = (struct br_read){bad, big, sizeof(big), 0};
		r[2] = (struct br_read){f.fd[6], other, sizeof(other), 0};
		br_run(&br, r, 3);
		assert_int_equal(r[0].res, 4); /* the buffer filled: more */
		assert_memory_equal(small, "file", 4);
		assert_int_equal(r[1].res, -EBADF);
		assert_true(r[2].res > 0);
		assert_memory_equal(other, "file 6 ", 7);
		br_run(&br, r, 0); /* nothing to do is fine */
		br_fini(&br);
		br_fini(&br); /* twice is harmless */
	}
	drop_files(&f);
}

/* Last of the file: the worker threads it makes linger a moment. */
static void reads_handed_to_workers_fall_back_to_pread(void **unused)
{
	struct batch_reader br;
	struct files f;

	(void)unused;
	make_files(&f);
	ring_reader(&br);
	/* As a kernel that cannot read these files without blocking does
	 * with every read. */
	br.force_async = true;
	read_all(&br, &f); /* right all the same */
	assert_false(br_uses_ring(&br));
	assert_non_null(strstr(br.why_not, "worker threads"));
	read_all(&br, &f);
	br_fini(&br);
	drop_files(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ring_and_pread_read_the_same_bytes_past_the_depth),
	    cmocka_unit_test(each_read_reports_its_own_result),
	    cmocka_unit_test(reads_handed_to_workers_fall_back_to_pread),
	};

	return cmocka_run_group_tests_name("batch_read", tests, NULL, NULL);
}
