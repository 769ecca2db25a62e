/* Unit tests of the render cache: one render per generation and format,
 * however many concurrent scrapes, and gzip that inflates to the same. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build-config.h"
#include "exporter/render.h"

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

static const struct snap_family fam = {
	.name = "t_value", .help = "A value.", .type = SNAP_GAUGE, .labels = {"i"},
};

/* Publishes a generation with n samples in slot 1 and returns it. */
static struct snap_gen *make_gen(int n)
{
	struct snap_set *set = snap_set_new();
	struct snap_update u = {1, set};
	char label[16];

	for (int i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%d", i);
		snap_add(set, &fam, i, label);
	}
	snap_publish(&u, 1);
	snap_set_unref(set);
	return snap_current();
}

struct scrape {
	struct snap_gen *gen;
	bool gzip;
	const char *data;
	size_t len;
	int rc;
};

static void *scraper(void *arg)
{
	struct scrape *s = arg;

	s->rc = render_get(s->gen, EXPO_TEXT, s->gzip, &s->data, &s->len);
	return NULL;
}

static void concurrent_scrapes_of_one_generation_render_once(void **state)
{
	struct scrape s[8];
	pthread_t t[8];
	struct snap_gen *gen;
	unsigned long before;

	(void)state;
	snap_init();
	gen = make_gen(20000);
	before = render_count();
	for (int i = 0; i < 8; i++) {
		s[i] = (struct scrape){.gen = gen};
		pthread_create(&t[i], NULL, scraper, &s[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(render_count() - before, 1);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(s[i].rc, 0);
		assert_ptr_equal(s[i].data, s[0].data);
	}
	assert_non_null(strstr(s[0].data, "t_value{i=\"19999\"} 19999\n"));
	snap_gen_unref(gen);
	snap_shutdown();
}

static void a_new_generation_is_rendered_again(void **state)
{
	struct snap_gen *g1, *g2;
	const char *d1, *d2;
	size_t l1, l2;

	(void)state;
	snap_init();
	g1 = make_gen(1);
	g2 = make_gen(2);
	assert_int_equal(render_get(g1, EXPO_TEXT, false, &d1, &l1), 0);
	assert_int_equal(render_get(g2, EXPO_TEXT, false, &d2, &l2), 0);
	assert_null(strstr(d1, "i=\"1\""));
	assert_non_null(strstr(d2, "i=\"1\""));
	/* The two formats of one generation are separate renders. */
	assert_int_equal(render_get(g2, EXPO_OPENMETRICS, false, &d1, &l1), 0);
	assert_non_null(strstr(d1, "# EOF\n"));
	assert_null(strstr(d2, "# EOF\n"));
	snap_gen_unref(g1);
	snap_gen_unref(g2);
	snap_shutdown();
}

static void gzip_inflates_to_the_plain_render(void **state)
{
#ifdef HAVE_ZLIB
	struct snap_gen *gen;
	const char *plain, *gz;
	size_t plen, glen;
	uLongf outlen;
	unsigned long before;
	z_stream zs;
	char *out;

	(void)state;
	snap_init();
	gen = make_gen(5000);
	assert_true(render_can_gzip());
	assert_int_equal(render_get(gen, EXPO_OPENMETRICS, true, &gz, &glen), 0);
	before = render_count();
	assert_int_equal(render_get(gen, EXPO_OPENMETRICS, true, &gz, &glen), 0);
	assert_int_equal(render_count(), before); /* cached */
	assert_int_equal(render_get(gen, EXPO_OPENMETRICS, false, &plain, &plen), 0);
	assert_true(glen < plen / 3);
	assert_int_equal((unsigned char)gz[0], 0x1f);
	assert_int_equal((unsigned char)gz[1], 0x8b);
	out = malloc(plen + 1);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)glen;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)plen + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	outlen = zs.total_out;
	inflateEnd(&zs);
	assert_int_equal(outlen, plen);
	assert_memory_equal(out, plain, plen);
	free(out);
	snap_gen_unref(gen);
	snap_shutdown();
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_scrapes_of_one_generation_render_once),
		cmocka_unit_test(a_new_generation_is_rendered_again),
		cmocka_unit_test(gzip_inflates_to_the_plain_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
