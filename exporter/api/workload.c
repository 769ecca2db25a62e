/* The shared workload table: see workload.h. Same publication scheme as
 * the snapshot: immutable lists, a table swapped under a short mutex. */
#include "exporter/api/workload.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t wl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wl_table *wl_cur;
static uint64_t wl_next_id = 1;

struct wl_list *wl_list_new(void)
{
	struct wl_list *list = calloc(1, sizeof(*list));

	if (list)
		atomic_init(&list->refs, 1);
	return list;
}

static void workload_free(struct workload *w)
{
	free((char *)w->id);
	free((char *)w->name);
	free((char *)w->runtime);
	free((char *)w->pod);
	free((char *)w->namespace);
	free((char *)w->cgroup);
}

void wl_list_unref(struct wl_list *list)
{
	if (!list || atomic_fetch_sub(&list->refs, 1) != 1)
		return;
	for (size_t i = 0; i < list->n; i++)
		workload_free(&list->items[i]);
	free(list->items);
	free(list);
}

/* strdup that maps NULL to NULL and reports failure through *fail. */
static char *dup_or_null(const char *s, int *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

int wl_list_add(struct wl_list *list, const struct workload *w)
{
	struct workload c = *w;
	int fail = 0;

	if (list->err)
		return list->err;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct workload *p = realloc(list->items, cap * sizeof(*p));

		if (!p)
			goto nomem;
		list->items = p;
		list->cap = cap;
	}
	c.id = dup_or_null(w->id ? w->id : "", &fail);
	c.name = dup_or_null(w->name ? w->name : "", &fail);
	c.runtime = dup_or_null(w->runtime ? w->runtime : "", &fail);
	c.pod = dup_or_null(w->pod ? w->pod : "", &fail);
	c.namespace = dup_or_null(w->namespace ? w->namespace : "", &fail);
	c.cgroup = dup_or_null(w->cgroup, &fail);
	if (fail) {
		workload_free(&c);
		goto nomem;
	}
	list->items[list->n++] = c;
	return 0;
nomem:
	list->err = -ENOMEM;
	return list->err;
}

void wl_table_unref(struct wl_table *table)
{
	if (!table || atomic_fetch_sub(&table->refs, 1) != 1)
		return;
	for (size_t i = 0; i < WL_NSOURCES; i++)
		wl_list_unref(table->lists[i]);
	free(table);
}

int wl_publish(enum wl_source src, struct wl_list *list)
{
	struct wl_table *t, *old;

	if ((unsigned)src >= WL_NSOURCES)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	atomic_init(&t->refs, 1);
	pthread_mutex_lock(&wl_lock);
	for (size_t i = 0; i < WL_NSOURCES; i++) {
		t->lists[i] = i == (size_t)src ? list : wl_cur ? wl_cur->lists[i] : NULL;
		if (t->lists[i])
			atomic_fetch_add(&t->lists[i]->refs, 1);
	}
	t->id = wl_next_id++;
	old = wl_cur;
	wl_cur = t;
	pthread_mutex_unlock(&wl_lock);
	wl_table_unref(old);
	return 0;
}

struct wl_table *wl_current(void)
{
	struct wl_table *t;

	pthread_mutex_lock(&wl_lock);
	if (!wl_cur) {
		wl_cur = calloc(1, sizeof(*wl_cur));
		if (wl_cur)
			atomic_init(&wl_cur->refs, 1);
	}
	t = wl_cur;
	if (t)
		atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&wl_lock);
	return t;
}

const struct workload *wl_find(const struct wl_table *table, enum wl_kind kind,
			       const char *id)
{
	for (size_t s = 0; s < WL_NSOURCES; s++) {
		const struct wl_list *l = table->lists[s];

		for (size_t i = 0; l && i < l->n; i++)
			if (l->items[i].kind == kind && strcmp(l->items[i].id, id) == 0)
				return &l->items[i];
	}
	return NULL;
}
