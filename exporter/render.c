/* The per-generation render cache: see render.h. The first scrape of a
 * generation renders it (and compresses it, if asked) under the
 * generation's lock; concurrent scrapes of the same generation wait for
 * that one render and then share its bytes. */
#include "exporter/render.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "exporter/api/log.h"
#include "exporter/scheduler.h"

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

static atomic_ulong render_counter;

bool render_can_gzip(void)
{
#ifdef HAVE_ZLIB
	return true;
#else
	return false;
#endif
}

unsigned long render_count(void)
{
	return atomic_load(&render_counter);
}

#ifdef HAVE_ZLIB
/* Compresses src into a new gzip blob, at level 1: on the body of 1,000
 * containers (4.7 MB) zlib's default level 6 took 70 ms for 1.13 MB, level
 * 1 took 42 ms for 1.24 MB. Compression is most of a fresh generation's
 * cost, and 10 % more bytes on the wire cost less than that. */
static int gzip_blob(const struct snap_blob *src, struct snap_blob *dst)
{
	z_stream zs;
	uLong bound;
	char *out;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)src->len);
	out = malloc(bound);
	if (!out) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)src->data;
	zs.avail_in = (uInt)src->len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	if (rc != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return -EIO;
	}
	dst->data = out;
	dst->len = zs.total_out;
	deflateEnd(&zs);
	return 0;
}
#endif

/* Renders sets (SNAP_MAX_SLOTS of them, NULL for an empty slot) in fmt
 * into blob (caller holds the lock of the blob's owner). */
static int render_plain(struct snap_set *const *sets, enum expo_format fmt,
			struct snap_blob *blob)
{
	struct buf b;
	int rc;

	buf_init(&b, RENDER_MAX_BYTES);
	rc = expo_render_sets(sets, SNAP_MAX_SLOTS, fmt, &b);
	if (rc) {
		buf_free(&b);
		return rc;
	}
	if (!b.data)
		buf_add(&b, "", 0);
	blob->len = b.len;
	blob->data = buf_steal(&b, NULL);
	if (!blob->data)
		return -ENOMEM;
	atomic_fetch_add(&render_counter, 1);
	return 0;
}

bool render_ready(struct snap_gen *gen, enum expo_format fmt, bool gzip)
{
	bool done;

	/* A render in progress holds the lock: not ready, and no waiting. */
	if (pthread_mutex_trylock(&gen->lock) != 0)
		return false;
	done = gen->blobs[fmt * 2 + (gzip ? 1 : 0)].state != 0;
	pthread_mutex_unlock(&gen->lock);
	return done;
}

/* Sets *data and *len to the rendering of sets in fmt (gzip), rendering
 * and compressing into blobs (SNAP_NBLOBS of them, owned by the caller's
 * generation or view) under lock if not done yet. Returns 0 or a negative
 * errno. */
static int render_blobs(struct snap_set *const *sets, pthread_mutex_t *lock,
			struct snap_blob *blobs, enum expo_format fmt,
			bool gzip, const char **data, size_t *len)
{
	struct snap_blob *plain = &blobs[fmt * 2];
	struct snap_blob *packed = &blobs[fmt * 2 + 1];
	struct snap_blob *want = gzip ? packed : plain;
	int rc = 0;

	if (gzip && !render_can_gzip())
		return -ENOTSUP;
	pthread_mutex_lock(lock);
	if (plain->state == 0) {
		rc = render_plain(sets, fmt, plain);
		plain->state = rc ? rc : 1;
		if (rc)
			log_error("rendering metrics failed: %s", strerror(-rc));
	}
#ifdef HAVE_ZLIB
	if (gzip && packed->state == 0 && plain->state == 1) {
		rc = gzip_blob(plain, packed);
		packed->state = rc ? rc : 1;
		if (rc == 0)
			atomic_fetch_add(&render_counter, 1);
	}
#endif
	if (plain->state < 0)
		rc = plain->state;
	else if (want->state < 0)
		rc = want->state;
	else
		rc = 0;
	pthread_mutex_unlock(lock);
	if (rc)
		return rc;
	/* Once state is 1 the blob never changes again: no lock needed. */
	*data = want->data;
	*len = want->len;
	return 0;
}

int render_get(struct snap_gen *gen, enum expo_format fmt, bool gzip,
	       const char **data, size_t *len)
{
	return render_blobs(gen->sets, &gen->lock, gen->blobs, fmt, gzip, data,
			    len);
}

/* ---- renderings of a selection of collectors ----------------------------- */

/* The current generation restricted to a selection: the selected
 * collectors' sets and a copy of the self-metrics filtered to them. */
struct render_view {
	atomic_int refs;
	uint64_t gen_id;
	uint32_t mask;
	uint64_t used;	 /* when last asked for, a tick of views.tick */
	bool built;	 /* sets[SCHED_STATUS_SLOT] is the filtered copy */
	pthread_mutex_t lock; /* guards built, the status set and blobs */
	struct snap_set *sets[SNAP_MAX_SLOTS]; /* references */
	struct snap_blob blobs[SNAP_NBLOBS];
};

/* The cached views, all of the current generation once a lookup has
 * dropped the others. */
static struct {
	pthread_mutex_t lock;
	struct render_view *v[RENDER_VIEWS];
	uint64_t tick;
} views = {.lock = PTHREAD_MUTEX_INITIALIZER};

void render_view_unref(struct render_view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	for (size_t i = 0; i < SNAP_MAX_SLOTS; i++)
		snap_set_unref(v->sets[i]);
	for (size_t i = 0; i < SNAP_NBLOBS; i++)
		free(v->blobs[i].data);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* Returns a new view of gen restricted to mask, with one reference (the
 * cache's), or NULL without memory. Only takes references: the status
 * set is filtered at the first render. */
static struct render_view *view_new(const struct snap_gen *gen, uint32_t mask)
{
	struct render_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	atomic_init(&v->refs, 1);
	pthread_mutex_init(&v->lock, NULL);
	v->gen_id = gen->id;
	v->mask = mask;
	v->sets[SCHED_STATUS_SLOT] = snap_set_ref(gen->sets[SCHED_STATUS_SLOT]);
	for (size_t i = 0; i < FILTER_MAX_COLLECTORS; i++) {
		size_t slot = sched_slot(i);

		if ((mask & (UINT32_C(1) << i)) && slot < SNAP_MAX_SLOTS)
			v->sets[slot] = snap_set_ref(gen->sets[slot]);
	}
	return v;
}

/* Finds or makes the cached view of gen for mask and returns it with a
 * reference for the caller; views of older generations are dropped, and
 * a new view takes the place of the least recently used one when the
 * cache is full. Returns NULL without memory. */
static struct render_view *view_lookup(const struct snap_gen *gen,
				       uint32_t mask)
{
	struct render_view *v = NULL;
	size_t slot = 0;

	pthread_mutex_lock(&views.lock);
	views.tick++;
	for (size_t i = 0; i < RENDER_VIEWS; i++) {
		if (views.v[i] && views.v[i]->gen_id != gen->id) {
			render_view_unref(views.v[i]);
			views.v[i] = NULL;
		}
		if (views.v[i] && views.v[i]->mask == mask)
			v = views.v[i];
	}
	if (!v) {
		/* A free place, else the least recently used view's. */
		for (size_t i = 0; i < RENDER_VIEWS && views.v[slot]; i++)
			if (!views.v[i] || views.v[i]->used < views.v[slot]->used)
				slot = i;
		v = view_new(gen, mask);
		if (v) {
			render_view_unref(views.v[slot]);
			views.v[slot] = v;
		}
	}
	if (v) {
		v->used = views.tick;
		atomic_fetch_add(&v->refs, 1);
	}
	pthread_mutex_unlock(&views.lock);
	return v;
}

/* Replaces the view's status set by its copy filtered to the view's
 * selection, once. Returns 0 or -ENOMEM. */
static int view_build(struct render_view *v, const struct filter_known *k)
{
	struct snap_set *self;
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->built) {
		self = filter_self_set(v->sets[SCHED_STATUS_SLOT], v->mask, k);
		if (self) {
			snap_set_unref(v->sets[SCHED_STATUS_SLOT]);
			v->sets[SCHED_STATUS_SLOT] = self;
			v->built = true;
		} else {
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int render_get_filtered(uint32_t mask, const struct filter_known *k,
			enum expo_format fmt, bool gzip,
			struct render_view **view, const char **data,
			size_t *len, bool *cached)
{
	struct snap_gen *gen = snap_current();
	struct render_view *v;
	int rc;

	if (!gen)
		return -ENOMEM;
	v = view_lookup(gen, mask);
	snap_gen_unref(gen);
	if (!v)
		return -ENOMEM;
	*cached = pthread_mutex_trylock(&v->lock) == 0;
	if (*cached) {
		*cached = v->blobs[fmt * 2 + (gzip ? 1 : 0)].state != 0;
		pthread_mutex_unlock(&v->lock);
	}
	rc = view_build(v, k);
	if (rc == 0)
		rc = render_blobs(v->sets, &v->lock, v->blobs, fmt, gzip, data,
				  len);
	if (rc) {
		render_view_unref(v);
		return rc;
	}
	*view = v;
	return 0;
}

void render_views_clear(void)
{
	pthread_mutex_lock(&views.lock);
	for (size_t i = 0; i < RENDER_VIEWS; i++) {
		render_view_unref(views.v[i]);
		views.v[i] = NULL;
	}
	pthread_mutex_unlock(&views.lock);
}
