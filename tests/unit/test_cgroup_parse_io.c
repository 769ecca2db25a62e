/* Tests of the cgroup I/O parsers (collectors/cgroup/parse.c): cgroup2's
 * io.stat and v1's blkio.throttle files, on the kernel's real formats and
 * on truncated, overflowing, repeated and malformed inputs. Every input is
 * copied into a heap block of its exact length, so that reading past it
 * trips ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/cgroup/parse.h"
#include "tests/unit/exact.h"
#include "exporter/api/base.h"

static const char v2_io_stat[] =
    "254:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 "
    "dios=0\n"
    "253:0 rbytes=0 wbytes=4096 rios=0 wios=1 dbytes=0 dios=0\n";

/* v1 blkio.throttle.io_service_bytes with two devices. */
static const char v1_blkio_bytes[] = "254:0 Read 1459200\n"
				     "254:0 Write 314773504\n"
				     "254:0 Sync 310456320\n"
				     "254:0 Async 5776384\n"
				     "254:0 Discard 0\n"
				     "254:0 Total 316232704\n"
				     "253:0 Read 0\n"
				     "253:0 Write 4096\n"
				     "253:0 Sync 4096\n"
				     "253:0 Async 0\n"
				     "253:0 Discard 0\n"
				     "253:0 Total 4096\n"
				     "Total 316236800\n";

static int io_of(const char *s, struct cg_io_dev *out, size_t max)
{
	size_t n = strlen(s);
	char *p = exact_n(s, n);
	int ret = cg_parse_io_stat_v2(p, n, out, max);

	free(p);
	return ret;
}

static int blkio_of(const char *s, enum cg_blkio_unit unit,
		    struct cg_io_dev *out, size_t max)
{
	size_t n = strlen(s);
	char *p = exact_n(s, n);
	int ret = cg_parse_blkio_v1(p, n, unit, out, max);

	free(p);
	return ret;
}

/* ---- io.stat ----------------------------------------------------------- */

static void io_stat_reads_devices_in_file_order(void **unused)
{
	struct cg_io_dev d[4];

	assert_int_equal(io_of(v2_io_stat, d, 4), 2);
	assert_int_equal(d[0].major, 254);
	assert_int_equal(d[0].minor, 0);
	assert_true(d[0].rbytes == 1459200);
	assert_true(d[0].wbytes == 314773504);
	assert_true(d[0].rios == 192);
	assert_true(d[0].wios == 353);
	assert_int_equal(d[0].present, 0xf);
	assert_int_equal(d[1].major, 253);
	assert_true(d[1].wbytes == 4096 && d[1].wios == 1);
}

static void io_stat_ignores_unknown_fields_whatever_their_value(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(io_of("8:16 wios=2 cost.vrate=100.00 depth=max "
			       "rbytes=4096 x= rios=1 wbytes=8192 dios=0\r\n",
			       d, 2),
			 1);
	assert_int_equal(d[0].minor, 16);
	assert_true(d[0].rbytes == 4096 && d[0].wbytes == 8192);
	assert_true(d[0].rios == 1 && d[0].wios == 2);
}

static void io_stat_keeps_devices_without_stats(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(io_of("8:0 \n254:0 rbytes=4096\n", d, 2), 2);
	assert_int_equal(d[0].present, 0);
	assert_true(d[0].rbytes == 0 && d[0].wios == 0);
	assert_int_equal(d[1].present, CG_IO_RBYTES);
	assert_true(d[1].wbytes == 0);
	assert_int_equal(io_of("", d, 2), 0);
	assert_int_equal(io_of("\n\n", d, 2), 0);
}

static void io_stat_counts_devices_beyond_max(void **unused)
{
	static const char three[] = "8:0 rbytes=1\n8:16 rbytes=2\n"
				    "8:32 rbytes=3\n";
	struct cg_io_dev d[3];

	memset(d, 0xa5, sizeof(d));
	assert_int_equal(io_of(three, d, 2), 3);
	assert_true(d[0].rbytes == 1 && d[1].rbytes == 2);
	assert_int_equal(d[2].major, 0xa5a5a5a5); /* untouched */
	assert_int_equal(io_of(three, NULL, 0), 3);
	assert_int_equal(io_of(three, d, 3), 3);
	assert_true(d[2].rbytes == 3);
}

static void io_stat_merges_a_device_named_on_several_lines(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(io_of("8:0 rbytes=1\n9:0\n8:0 wbytes=2\n", d, 2), 2);
	assert_int_equal(d[0].present, CG_IO_RBYTES | CG_IO_WBYTES);
	assert_true(d[0].wbytes == 2);
}

static void io_stat_rejects_a_field_given_twice(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(io_of("8:0 rbytes=1 rbytes=1\n", d, 2), -EINVAL);
	assert_int_equal(io_of(v2_io_stat, d, 2), 2);
	assert_int_equal(io_of("8:0 rbytes=1\n8:0 rbytes=2\n", d, 2), -EINVAL);
	/* Within a line even for a device that did not fit. */
	assert_int_equal(io_of("8:0 rios=1 rios=1\n", NULL, 0), -EINVAL);
}

static void io_stat_rejects_malformed_lines(void **unused)
{
	static const char *const bad[] = {
	    "8 rbytes=1\n",
	    "8:x rbytes=1\n",
	    "8:0:1 rbytes=1\n",
	    ":0 rbytes=1\n",
	    "8: rbytes=1\n",
	    "a8:0\n",
	    "8:0 rbytes=1x\n",
	    "8:0 rbytes=\n",
	    "8:0 rbytes\n",
	    "8:0 rbytes=-1\n",
	    "8:0 wbytes=2\r\n",
	    "8:0 rbytes=1 junk\n",
	    "8:0 rbytes=0x10\n",
	    "254:",
	    "25",
	};
	struct cg_io_dev d[2];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(io_of(bad[i], d, 2), -EINVAL);
}

static void io_stat_reports_overflow_as_erange(void **unused)
{
	struct cg_io_dev d[1];

	assert_int_equal(io_of("8:0 rbytes=18446744073709551616\n", d, 1),
			 -ERANGE);
	assert_int_equal(io_of("4294967296:0\n", d, 1), -ERANGE);
	assert_int_equal(io_of("0:4294967296\n", d, 1), -ERANGE);
	assert_int_equal(io_of("4294967295:4294967295 wios=18446744073709551615"
			       "\n",
			       d, 1),
			 1);
	assert_true(d[0].major == UINT32_MAX && d[0].wios == UINT64_MAX);
}

static void io_stat_stops_at_len_without_nul(void **unused)
{
	struct cg_io_dev d[1];

	/* Cut inside a value: what is left is a shorter, valid number. */
	assert_int_equal(cg_parse_io_stat_v2(v2_io_stat, 17, d, 1), 1);
	assert_true(d[0].rbytes == 1459);
	/* Cut right after '=' or inside a name. */
	assert_int_equal(cg_parse_io_stat_v2(v2_io_stat, 13, d, 1), -EINVAL);
	assert_int_equal(cg_parse_io_stat_v2(v2_io_stat, 9, d, 1), -EINVAL);
}

/* ---- v1 blkio ---------------------------------------------------------- */

static void blkio_reads_read_and_write_bytes_per_device(void **unused)
{
	struct cg_io_dev d[4];

	assert_int_equal(blkio_of(v1_blkio_bytes, CG_BLKIO_BYTES, d, 4), 2);
	assert_int_equal(d[0].major, 254);
	assert_true(d[0].rbytes == 1459200);
	assert_true(d[0].wbytes == 314773504);
	assert_int_equal(d[0].present, CG_IO_RBYTES | CG_IO_WBYTES);
	assert_true(d[0].rios == 0 && d[0].wios == 0);
	assert_int_equal(d[1].major, 253);
	assert_true(d[1].rbytes == 0 && d[1].wbytes == 4096);
}

static void blkio_reads_serviced_into_operation_counts(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(blkio_of("254:0 Read 192\n254:0 Write 353\n254:0 "
				  "Sync 500\n254:0 Async 45\n254:0 Discard "
				  "0\n254:0 Total 545\nTotal 545\n",
				  CG_BLKIO_IOS, d, 2),
			 1);
	assert_true(d[0].rios == 192 && d[0].wios == 353);
	assert_true(d[0].rbytes == 0);
	assert_int_equal(d[0].present, CG_IO_RIOS | CG_IO_WIOS);
}

static void blkio_accepts_no_devices_and_old_kernels(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(blkio_of("Total 0\n", CG_BLKIO_BYTES, d, 2), 0);
	/* Before Discard existed. */
	assert_int_equal(blkio_of("8:0 Read 4096\n8:0 Write 0\n8:0 Sync "
				  "4096\n8:0 Async 0\n8:0 Total 4096\nTotal "
				  "4096\n",
				  CG_BLKIO_BYTES, d, 2),
			 1);
	assert_true(d[0].rbytes == 4096);
}

static void blkio_requires_the_total_line_last(void **unused)
{
	struct cg_io_dev d[2];

	assert_int_equal(blkio_of("", CG_BLKIO_BYTES, d, 2), -EINVAL);
	/* Truncated before the last line, inside its word or its value. */
	assert_int_equal(
	    blkio_of("254:0 Read 1\n254:0 Write 2\n", CG_BLKIO_BYTES, d, 2),
	    -EINVAL);
	assert_int_equal(blkio_of("254:0 Read 1\nTot", CG_BLKIO_BYTES, d, 2),
			 -EINVAL);
	assert_int_equal(blkio_of("254:0 Read 1\nTotal ", CG_BLKIO_BYTES, d, 2),
			 -EINVAL);
	assert_int_equal(
	    blkio_of("Total 0\n8:0 Read 1\n", CG_BLKIO_BYTES, d, 2), -EINVAL);
	assert_int_equal(blkio_of("Total 0\nTotal 0\n", CG_BLKIO_BYTES, d, 2),
			 -EINVAL);
	assert_int_equal(blkio_of("Total 0\n\n", CG_BLKIO_BYTES, d, 2), 0);
}

static void blkio_rejects_malformed_and_repeated_lines(void **unused)
{
	static const char *const bad[] = {
	    "8:0 Read\nTotal 0\n",
	    "8:0 Read x\nTotal 0\n",
	    "8:0\nTotal 0\n",
	    "8:0 12\nTotal 0\n",
	    "8-0 Read 1\nTotal 0\n",
	    "8:0 Read 1 2\nTotal 0\n",
	    "Total\n",
	    "Total 1 2\n",
	    "Total x\n",
	    "8:0 Read 1\r\nTotal 1\n",
	    "8:0 Read 1\n8:0 Read 1\nTotal 1\n",
	};
	struct cg_io_dev d[2];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(blkio_of(bad[i], CG_BLKIO_BYTES, d, 2),
				 -EINVAL);
	assert_int_equal(blkio_of("Total 0\n", (enum cg_blkio_unit)7, d, 2),
			 -EINVAL);
}

static void blkio_counts_devices_beyond_max_once(void **unused)
{
	struct cg_io_dev d[1];

	assert_int_equal(blkio_of(v1_blkio_bytes, CG_BLKIO_BYTES, d, 1), 2);
	assert_int_equal(d[0].major, 254);
	assert_int_equal(blkio_of(v1_blkio_bytes, CG_BLKIO_BYTES, NULL, 0), 2);
}

static void blkio_reports_overflow_as_erange(void **unused)
{
	struct cg_io_dev d[1];

	assert_int_equal(blkio_of("8:0 Read 18446744073709551616\nTotal 0\n",
				  CG_BLKIO_BYTES, d, 1),
			 -ERANGE);
	assert_int_equal(blkio_of("8:0 Sync 99999999999999999999\nTotal 0\n",
				  CG_BLKIO_BYTES, d, 1),
			 -ERANGE);
	assert_int_equal(
	    blkio_of("Total 99999999999999999999\n", CG_BLKIO_BYTES, d, 1),
	    -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(io_stat_reads_devices_in_file_order),
	    cmocka_unit_test(io_stat_ignores_unknown_fields_whatever_their_value),
	    cmocka_unit_test(io_stat_keeps_devices_without_stats),
	    cmocka_unit_test(io_stat_counts_devices_beyond_max),
	    cmocka_unit_test(io_stat_merges_a_device_named_on_several_lines),
	    cmocka_unit_test(io_stat_rejects_a_field_given_twice),
	    cmocka_unit_test(io_stat_rejects_malformed_lines),
	    cmocka_unit_test(io_stat_reports_overflow_as_erange),
	    cmocka_unit_test(io_stat_stops_at_len_without_nul),
	    cmocka_unit_test(blkio_reads_read_and_write_bytes_per_device),
	    cmocka_unit_test(blkio_reads_serviced_into_operation_counts),
	    cmocka_unit_test(blkio_accepts_no_devices_and_old_kernels),
	    cmocka_unit_test(blkio_requires_the_total_line_last),
	    cmocka_unit_test(blkio_rejects_malformed_and_repeated_lines),
	    cmocka_unit_test(blkio_counts_devices_beyond_max_once),
	    cmocka_unit_test(blkio_reports_overflow_as_erange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
