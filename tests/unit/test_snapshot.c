/* Unit tests of typed sample sets and generation publishing. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/api/snapshot.h"

static const struct snap_family fam_a = {
	.name = "t_a", .help = "a", .type = SNAP_GAUGE, .labels = {"x", "y"},
};
static const struct snap_family fam_b = {
	.name = "t_b", .help = "b", .type = SNAP_COUNTER,
};

static void samples_are_chained_per_family_in_insertion_order(void **state)
{
	struct snap_set *set = snap_set_new();
	const struct snap_fam_entry *e;
	const struct snap_sample *s;

	(void)state;
	assert_int_equal(snap_add(set, &fam_a, 1, "p", "q"), 0);
	assert_int_equal(snap_add0(set, &fam_b, 7), 0);
	assert_int_equal(snap_add(set, &fam_a, 2, "r", NULL), 0);
	assert_int_equal(set->nfams, 2);
	e = &set->fams[0];
	assert_ptr_equal(e->desc, &fam_a);
	assert_int_equal(e->count, 2);
	s = &set->samples[e->first];
	assert_true(s->value == 1);
	assert_string_equal(snap_sample_labels(set, s), "p");
	assert_string_equal(snap_sample_labels(set, s) + 2, "q");
	s = &set->samples[s->next];
	assert_true(s->value == 2);
	assert_string_equal(snap_sample_labels(set, s), "r");
	/* A NULL label value is stored as the empty string. */
	assert_string_equal(snap_sample_labels(set, s) + 2, "");
	assert_int_equal(s->next, UINT32_MAX);
	snap_set_unref(set);
}

/* A set of samples without labels has no label strings at all: their
 * labels are "", never NULL + 0 (undefined behaviour, which clang's
 * -fsanitize=undefined reports when a scrape renders such a set). */
static void samples_without_labels_have_empty_labels(void **state)
{
	struct snap_set *set = snap_set_new();

	(void)state;
	assert_int_equal(snap_add0(set, &fam_b, 7), 0);
	assert_int_equal(snap_add0(set, &fam_b, 8), 0);
	assert_int_equal(set->nsamples, 2);
	assert_non_null(snap_sample_labels(set, &set->samples[0]));
	assert_string_equal(snap_sample_labels(set, &set->samples[1]), "");
	snap_set_unref(set);
}

static void wrong_label_count_is_rejected_and_sticks(void **state)
{
	struct snap_set *set = snap_set_new();

	(void)state;
	assert_int_equal(snap_add(set, &fam_a, 1, "only-one"), -EINVAL);
	assert_int_equal(set->err, -EINVAL);
	assert_int_equal(snap_add(set, &fam_a, 1, "a", "b"), -EINVAL);
	assert_int_equal(set->nsamples, 0);
	snap_set_unref(set);
}

static int freed;

static void count_free(void *data)
{
	freed++;
	free(data);
}

static void attached_data_is_freed_with_the_last_reference(void **state)
{
	struct snap_set *set = snap_set_new();
	void *data = malloc(8);

	(void)state;
	freed = 0;
	assert_int_equal(snap_set_attach(set, data, count_free), 0);
	/* One attachment per set: a second is refused, the caller keeps it. */
	assert_int_equal(snap_set_attach(set, set, count_free), -EBUSY);
	atomic_fetch_add(&set->refs, 1);
	snap_set_unref(set);
	assert_int_equal(freed, 0);
	snap_set_unref(set);
	assert_int_equal(freed, 1);
}

static void label_values_are_copied(void **state)
{
	struct snap_set *set = snap_set_new();
	char name[16] = "before";

	(void)state;
	snap_add(set, &fam_a, 1, name, "y");
	memcpy(name, "after!", 7);
	assert_string_equal(snap_sample_labels(set, &set->samples[0]), "before");
	snap_set_unref(set);
}

static const struct snap_family fam_c = {
	.name = "t_c", .help = "c", .type = SNAP_GAUGE,
	.labels = {"x", "y", "z"},
};

/* The n label values of sample i of set, joined by '|'. */
static const char *joined(const struct snap_set *set, size_t i, size_t n)
{
	static char out[128];
	const char *p = snap_sample_labels(set, &set->samples[i]);
	size_t len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		size_t l = strlen(p);

		assert_true(len + l + 2 < sizeof(out));
		if (k)
			out[len++] = '|';
		memcpy(out + len, p, l + 1);
		len += l;
		p += l + 1;
	}
	return out;
}

/* Samples in a row share their label values: the same values, a run that
 * begins with them, or the last run extended in place; a caller's buffer
 * that changes between samples, a value that differs only past the other
 * one's end, and NULL against "" are each told apart. */
static void label_runs_are_shared_and_told_apart(void **state)
{
	struct snap_set *set = snap_set_new();
	char dev[8] = "8:0";

	(void)state;
	snap_add(set, &fam_a, 1, "web", "id1");      /* web|id1 stored */
	snap_add(set, &fam_a, 2, "web", "id1");      /* the same run */
	assert_int_equal(set->nstrings, 8);
	snap_add(set, &fam_c, 3, "web", "id1", dev); /* extended in place */
	assert_int_equal(set->nstrings, 12);
	snap_add(set, &fam_a, 4, "web", "id1");      /* the run's first two */
	assert_int_equal(set->nstrings, 12);
	memcpy(dev, "8:16", 5);                      /* the buffer changes */
	snap_add(set, &fam_c, 5, "web", "id1", dev);
	snap_add(set, &fam_a, 6, "web", "id10");     /* longer than id1 */
	snap_add(set, &fam_a, 7, "web", "id");       /* shorter */
	snap_add(set, &fam_c, 8, "web", "id", NULL);
	snap_add(set, &fam_c, 9, "web", "id", "");
	snap_add(set, &fam_c, 10, "web", "id", "x");
	snap_add(set, &fam_a, 11, NULL, "id");
	assert_int_equal(set->err, 0);
	assert_int_equal(set->nsamples, 11);
	assert_string_equal(joined(set, 0, 2), "web|id1");
	assert_string_equal(joined(set, 1, 2), "web|id1");
	assert_string_equal(joined(set, 2, 3), "web|id1|8:0");
	assert_string_equal(joined(set, 3, 2), "web|id1");
	assert_string_equal(joined(set, 4, 3), "web|id1|8:16");
	assert_string_equal(joined(set, 5, 2), "web|id10");
	assert_string_equal(joined(set, 6, 2), "web|id");
	assert_string_equal(joined(set, 7, 3), "web|id|");
	assert_string_equal(joined(set, 8, 3), "web|id|");
	assert_string_equal(joined(set, 9, 3), "web|id|x");
	assert_string_equal(joined(set, 10, 2), "|id");
	snap_set_unref(set);
}

static void publish_swaps_whole_generations(void **state)
{
	struct snap_set *s1 = snap_set_new(), *s2 = snap_set_new();
	struct snap_gen *g0, *g1, *g2;
	struct snap_update u;

	(void)state;
	assert_int_equal(snap_init(), 0);
	g0 = snap_current();
	snap_add0(s1, &fam_b, 1);
	u = (struct snap_update){3, s1};
	assert_int_equal(snap_publish(&u, 1), 0);
	g1 = snap_current();
	assert_ptr_not_equal(g0, g1);
	assert_true(g1->id > g0->id);
	assert_null(g0->sets[3]);
	assert_ptr_equal(g1->sets[3], s1);
	/* A reader keeps its generation while a newer one is published. */
	snap_add0(s2, &fam_b, 2);
	u = (struct snap_update){3, s2};
	assert_int_equal(snap_publish(&u, 1), 0);
	g2 = snap_current();
	assert_ptr_equal(g1->sets[3], s1);
	assert_ptr_equal(g2->sets[3], s2);
	assert_true(g1->sets[3]->samples[0].value == 1);
	snap_gen_unref(g0);
	snap_gen_unref(g1);
	snap_gen_unref(g2);
	snap_set_unref(s1);
	snap_set_unref(s2);
	snap_shutdown();
}

static void other_slots_carry_over_to_the_next_generation(void **state)
{
	struct snap_set *a = snap_set_new(), *b = snap_set_new();
	struct snap_update u[2] = {{1, a}, {2, b}};
	struct snap_gen *g;

	(void)state;
	snap_init();
	assert_int_equal(snap_publish(u, 2), 0);
	u[0] = (struct snap_update){2, NULL};
	assert_int_equal(snap_publish(u, 1), 0);
	g = snap_current();
	assert_ptr_equal(g->sets[1], a);
	assert_null(g->sets[2]);
	snap_gen_unref(g);
	snap_set_unref(a);
	snap_set_unref(b);
	snap_shutdown();
}

static void bad_slot_is_rejected_without_publishing(void **state)
{
	struct snap_update u = {SNAP_MAX_SLOTS, NULL};
	struct snap_gen *g0, *g1;

	(void)state;
	snap_init();
	g0 = snap_current();
	assert_int_equal(snap_publish(&u, 1), -EINVAL);
	g1 = snap_current();
	assert_ptr_equal(g0, g1);
	snap_gen_unref(g0);
	snap_gen_unref(g1);
	snap_shutdown();
}

static void *publisher(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		struct snap_set *s = snap_set_new();
		struct snap_update u = {(size_t)(i % 4), s};

		snap_add0(s, &fam_b, i);
		snap_publish(&u, 1);
		snap_set_unref(s);
	}
	return NULL;
}

static void concurrent_publish_and_read_never_tear(void **state)
{
	pthread_t t[2];
	uint64_t last = 0;

	(void)state;
	snap_init();
	pthread_create(&t[0], NULL, publisher, NULL);
	pthread_create(&t[1], NULL, publisher, NULL);
	for (int i = 0; i < 5000; i++) {
		struct snap_gen *g = snap_current();

		/* Generations only move forward and each set is whole. */
		assert_true(g->id >= last);
		last = g->id;
		for (int s = 0; s < 4; s++)
			if (g->sets[s])
				assert_int_equal(g->sets[s]->nsamples, 1);
		snap_gen_unref(g);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	snap_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_are_chained_per_family_in_insertion_order),
		cmocka_unit_test(samples_without_labels_have_empty_labels),
		cmocka_unit_test(wrong_label_count_is_rejected_and_sticks),
		cmocka_unit_test(label_values_are_copied),
		cmocka_unit_test(label_runs_are_shared_and_told_apart),
		cmocka_unit_test(attached_data_is_freed_with_the_last_reference),
		cmocka_unit_test(publish_swaps_whole_generations),
		cmocka_unit_test(other_slots_carry_over_to_the_next_generation),
		cmocka_unit_test(bad_slot_is_rejected_without_publishing),
		cmocka_unit_test(concurrent_publish_and_read_never_tear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
