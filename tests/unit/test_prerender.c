/* The interval learning behind rendering ahead: when a scraper counts as
 * steady, when its render is due, when it is forgotten; and the choice of
 * the generation a scrape is served, with the render-ahead thread running
 * against real generations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/prerender.h"
#include "exporter/render.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static struct pr_scraper fresh(void)
{
	struct pr_scraper s;

	memset(&s, 0, sizeof(s));
	s.key = 42;
	return s;
}

static void first_two_scrapes_predict_nothing(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 100.0);
	NEAR(pr_due(&s, 0.25), 0);
	pr_seen(&s, 115.0);
	NEAR(s.interval, 15.0);
	NEAR(pr_due(&s, 0.25), 0); /* one gap is not a rhythm yet */
}

static void steady_scraper_is_due_lead_before_its_next_scrape(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 100.0);
	pr_seen(&s, 115.0);
	pr_seen(&s, 130.0);
	assert_int_equal(s.steady, 1);
	NEAR(pr_due(&s, 0.25), 144.75);
	s.done_for = s.last; /* rendered for the scrape at 145 */
	NEAR(pr_due(&s, 0.25), 0);
	pr_seen(&s, 145.02);
	assert_true(pr_due(&s, 0.25) > 159.0 && pr_due(&s, 0.25) < 160.0);
}

static void jitter_is_followed_and_a_gap_restarts(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 0.0);
	pr_seen(&s, 10.0);
	pr_seen(&s, 20.5); /* within 10 % + 50 ms: follows */
	assert_int_equal(s.steady, 1);
	NEAR(s.interval, 10.125);
	pr_seen(&s, 50.0); /* a missed scrape: starts over */
	assert_int_equal(s.steady, 0);
	NEAR(s.interval, 29.5);
	NEAR(pr_due(&s, 0.25), 0);
}

static void lead_is_capped_at_half_the_interval(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 0.0);
	pr_seen(&s, 1.0);
	pr_seen(&s, 2.0);
	NEAR(pr_due(&s, 5.0), 2.5);
}

static void clients_polling_in_a_loop_are_not_rendered_for(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 0.0);
	pr_seen(&s, 0.001);
	pr_seen(&s, 0.002);
	assert_int_equal(s.steady, 1);
	NEAR(pr_due(&s, 0.25), 0);
}

static void silent_scrapers_expire(void **unused)
{
	struct pr_scraper s = fresh();

	(void)unused;
	pr_seen(&s, 0.0);
	assert_false(pr_expired(&s, 599.0));
	assert_true(pr_expired(&s, 601.0));
	pr_seen(&s, 10.0);
	assert_false(pr_expired(&s, 39.0));
	assert_true(pr_expired(&s, 41.0));
}

static const struct snap_family fam = {
    .name = "t_value", .help = "h", .type = SNAP_GAUGE, .labels = {NULL}};

/* Publishes a generation whose slot 1 holds one sample of value v. */
static void publish(double v)
{
	struct snap_set *set = snap_set_new();
	struct snap_update u = {1, set};

	snap_add0(set, &fam, v);
	assert_int_equal(snap_publish(&u, 1), 0);
	snap_set_unref(set);
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

/* A steady scraper that finds a newer, unrendered generation at each
 * scrape is served the one rendered ahead for it; an unknown client is
 * served the current one. */
static void steady_scrapes_are_served_rendered_ahead(void **unused)
{
	struct snap_gen *g;
	double v = 0;

	(void)unused;
	assert_int_equal(snap_init(), 0);
	assert_int_equal(prerender_start(), 0);
	for (int i = 0; i < 5; i++) {
		publish(++v);
		g = prerender_pick(NULL, EXPO_TEXT, false);
		if (i >= 3) /* steady since the third scrape */
			assert_true(render_ready(g, EXPO_TEXT, false));
		snap_gen_unref(g);
		sleep_s(0.4);
		if (i >= 2)
			publish(++v); /* after the render ahead, before the scrape */
		sleep_s(0.1);
	}
	g = snap_current();
	assert_false(render_ready(g, EXPO_TEXT, false));
	snap_gen_unref(g);
	prerender_stop();
	snap_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_two_scrapes_predict_nothing),
	    cmocka_unit_test(steady_scraper_is_due_lead_before_its_next_scrape),
	    cmocka_unit_test(jitter_is_followed_and_a_gap_restarts),
	    cmocka_unit_test(lead_is_capped_at_half_the_interval),
	    cmocka_unit_test(clients_polling_in_a_loop_are_not_rendered_for),
	    cmocka_unit_test(silent_scrapers_expire),
	    cmocka_unit_test(steady_scrapes_are_served_rendered_ahead),
	};

	return cmocka_run_group_tests_name("prerender", tests, NULL, NULL);
}
