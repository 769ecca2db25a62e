/* Unit tests of the render cache: one render per generation and format,
 * however many concurrent scrapes, and gzip that inflates to the same; the
 * renders of a selection of collectors, cached per selection, dropped when
 * a new generation is published, and at most RENDER_VIEWS of them. */
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
#include "exporter/scheduler.h"

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

/* ---- selections of collectors ----------------------------------------- */

static const char *const sel_names[] = {"c0", "c1", "c2", "c3", "c4",
					"c5", "c6", "c7", "c8", "c9"};
static const struct filter_known sel_known = {
	.names = sel_names, .enabled = NULL, .n = 10};
static const struct snap_family fam_sel = {
	.name = "t_sel", .help = "A collector's value.", .type = SNAP_GAUGE,
	.labels = {"from"},
};
static const struct snap_family fam_sel_up = {
	.name = "t_sel_up", .help = "Up.", .type = SNAP_GAUGE,
	.labels = {"collector"},
};

/* Publishes a generation where each of the ten collectors has one sample
 * of value v in its slot, and the status slot one up sample each. */
static void publish_all(double v)
{
	struct snap_update u[11];

	u[0] = (struct snap_update){SCHED_STATUS_SLOT, snap_set_new()};
	for (size_t i = 0; i < 10; i++) {
		u[i + 1] = (struct snap_update){sched_slot(i), snap_set_new()};
		snap_add(u[i + 1].set, &fam_sel, v, sel_names[i]);
		snap_add(u[0].set, &fam_sel_up, 1, sel_names[i]);
	}
	snap_publish(u, 11);
	for (size_t i = 0; i < 11; i++)
		snap_set_unref(u[i].set);
}

/* Renders the selection mask as text; *view gets its reference. */
static const char *sel_render(uint32_t mask, bool gzip,
			      struct render_view **view, bool *cached)
{
	const char *data = NULL;
	size_t len = 0;

	assert_int_equal(render_get_filtered(mask, &sel_known, EXPO_TEXT, gzip,
					     view, &data, &len, cached),
			 0);
	assert_non_null(data);
	return data;
}

static void a_selection_holds_only_its_collectors(void **state)
{
	struct render_view *v;
	const char *d;
	bool cached;

	(void)state;
	snap_init();
	publish_all(7);
	d = sel_render((1u << 2) | (1u << 5), false, &v, &cached);
	assert_false(cached);
	assert_non_null(strstr(d, "t_sel{from=\"c2\"} 7\n"));
	assert_non_null(strstr(d, "t_sel{from=\"c5\"} 7\n"));
	assert_null(strstr(d, "from=\"c1\""));
	assert_non_null(strstr(d, "t_sel_up{collector=\"c2\"} 1\n"));
	assert_non_null(strstr(d, "t_sel_up{collector=\"c5\"} 1\n"));
	assert_null(strstr(d, "collector=\"c1\""));
	render_view_unref(v);
	render_views_clear();
	snap_shutdown();
}

static void a_selection_is_rendered_once_per_generation(void **state)
{
	struct render_view *v1, *v2, *v3;
	unsigned long before;
	const char *d1, *d2, *d3;
	bool cached;

	(void)state;
	snap_init();
	publish_all(1);
	d1 = sel_render(1u << 3, false, &v1, &cached);
	assert_false(cached);
	before = render_count();
	d2 = sel_render(1u << 3, false, &v2, &cached);
	assert_true(cached);
	assert_int_equal(render_count(), before);
	assert_ptr_equal(v1, v2);
	assert_ptr_equal(d1, d2);
	/* A new generation: the cached view is not served again. */
	publish_all(2);
	d3 = sel_render(1u << 3, false, &v3, &cached);
	assert_false(cached);
	assert_ptr_not_equal(v3, v1);
	assert_non_null(strstr(d3, "t_sel{from=\"c3\"} 2\n"));
	/* The first view's bytes live on while a response holds them. */
	assert_non_null(strstr(d1, "t_sel{from=\"c3\"} 1\n"));
	render_view_unref(v1);
	render_view_unref(v2);
	render_view_unref(v3);
	render_views_clear();
	snap_shutdown();
}

static void the_cache_keeps_the_most_recent_selections(void **state)
{
	struct render_view *v;
	bool cached;

	(void)state;
	snap_init();
	publish_all(3);
	for (uint32_t i = 0; i < RENDER_VIEWS; i++) {
		sel_render(1u << i, false, &v, &cached);
		assert_false(cached);
		render_view_unref(v);
	}
	/* Selection 0 is used again, so selection 1 is the oldest. */
	sel_render(1u << 0, false, &v, &cached);
	assert_true(cached);
	render_view_unref(v);
	sel_render(1u << RENDER_VIEWS, false, &v, &cached); /* one more */
	assert_false(cached);
	render_view_unref(v);
	sel_render(1u << 0, false, &v, &cached);
	assert_true(cached);
	render_view_unref(v);
	sel_render(1u << 1, false, &v, &cached); /* evicted */
	assert_false(cached);
	render_view_unref(v);
	render_views_clear();
	snap_shutdown();
}

static void a_gzip_selection_is_cached_apart(void **state)
{
#ifdef HAVE_ZLIB
	struct render_view *v;
	const char *d;
	bool cached;

	(void)state;
	snap_init();
	publish_all(4);
	sel_render(1u << 4, false, &v, &cached);
	render_view_unref(v);
	d = sel_render(1u << 4, true, &v, &cached);
	assert_false(cached);
	assert_int_equal((unsigned char)d[0], 0x1f);
	assert_int_equal((unsigned char)d[1], 0x8b);
	render_view_unref(v);
	sel_render(1u << 4, true, &v, &cached);
	assert_true(cached);
	render_view_unref(v);
	render_views_clear();
	snap_shutdown();
#else
	(void)state;
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_scrapes_of_one_generation_render_once),
		cmocka_unit_test(a_new_generation_is_rendered_again),
		cmocka_unit_test(gzip_inflates_to_the_plain_render),
		cmocka_unit_test(a_selection_holds_only_its_collectors),
		cmocka_unit_test(a_selection_is_rendered_once_per_generation),
		cmocka_unit_test(the_cache_keeps_the_most_recent_selections),
		cmocka_unit_test(a_gzip_selection_is_cached_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
