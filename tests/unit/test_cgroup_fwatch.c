/* Watches on single cgroup files: a write marks the file changed, nothing
 * else does; a file deleted or unwatched is read every time; the share of
 * the inotify limit is respected. On regular files, which raise the same
 * IN_MODIFY on a write as cgroupfs does. */
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

#include "collectors/cgroup/fwatch.h"

struct tmpfiles {
	char dir[64];
	char path[2][128];
	int fd[2];
};

static void make(struct tmpfiles *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/virtmeter-fw.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	for (int i = 0; i < 2; i++) {
		snprintf(t->path[i], sizeof(t->path[i]), "%s/memory.max%d",
			 t->dir, i);
		t->fd[i] = open(t->path[i], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		assert_true(t->fd[i] >= 0);
	}
}

static void drop(struct tmpfiles *t)
{
	char cmd[128];

	for (int i = 0; i < 2; i++)
		close(t->fd[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void put(const struct tmpfiles *t, int i, const char *text)
{
	int fd = open(t->path[i], O_WRONLY | O_TRUNC | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void a_write_marks_the_file_changed_and_nothing_else_does(void **unused)
{
	struct cg_fwatch w;
	struct cg_fnote a, b;
	struct tmpfiles t;

	(void)unused;
	make(&t);
	cg_fwatch_init(&w);
	assert_true(w.fd >= 0);
	cg_fwatch_add(&w, t.fd[0], &a);
	cg_fwatch_add(&w, t.fd[1], &b);
	assert_true(a.wd >= 0 && b.wd >= 0);
	assert_true(cg_fnote_due(&a)); /* read once first */
	a.changed = b.changed = false;
	cg_fwatch_poll(&w);
	assert_false(cg_fnote_due(&a));
	assert_false(cg_fnote_due(&b));
	put(&t, 1, "1048576\n");
	cg_fwatch_poll(&w);
	assert_false(cg_fnote_due(&a));
	assert_true(cg_fnote_due(&b));
	b.changed = false;
	/* Removed, the file is read every time and its events are ignored. */
	cg_fwatch_remove(&w, &a);
	assert_true(cg_fnote_due(&a));
	put(&t, 0, "max\n");
	cg_fwatch_poll(&w);
	assert_false(cg_fnote_due(&b));
	assert_int_equal(w.n, 1);
	/* Deleted: the kernel drops the watch, and the note says read. */
	assert_int_equal(unlink(t.path[1]), 0);
	close(t.fd[1]);
	t.fd[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cg_fwatch_poll(&w);
	assert_true(cg_fnote_due(&b));
	assert_int_equal(b.wd, -1);
	assert_int_equal(w.n, 0);
	cg_fwatch_remove(&w, &b); /* harmless once dropped */
	cg_fwatch_close(&w);
	drop(&t);
}

static void past_the_share_of_the_limit_files_are_read_every_time(void **unused)
{
	struct cg_fwatch w;
	struct cg_fnote a, b;
	struct tmpfiles t;

	(void)unused;
	make(&t);
	cg_fwatch_init(&w);
	assert_true(w.max >= 1);
	w.max = 1;
	cg_fwatch_add(&w, t.fd[0], &a);
	cg_fwatch_add(&w, t.fd[1], &b);
	assert_true(a.wd >= 0);
	assert_int_equal(b.wd, -1);
	b.changed = false;
	assert_true(cg_fnote_due(&b)); /* unwatched: always due */
	cg_fwatch_remove(&w, &a);
	cg_fwatch_close(&w);
	drop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_write_marks_the_file_changed_and_nothing_else_does),
	    cmocka_unit_test(past_the_share_of_the_limit_files_are_read_every_time),
	};

	return cmocka_run_group_tests_name("cgroup_fwatch", tests, NULL, NULL);
}
