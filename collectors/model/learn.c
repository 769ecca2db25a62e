/* The idle-power learner of learn.h: a ring of per-minute sums, the
 * least-squares intercept over them, and the state file that carries them
 * across restarts (a strict parser over bytes, an atomic save). */
#include "collectors/model/learn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/lib/scan.h"
#include "exporter/api/base.h"
#include "exporter/api/buf.h"

#define MAGIC "virtmeter-idle-power"
#define VERSION 1
#define MIN_VAR_U 1e-4 /* below it, a slope is noise rather than a line */
/* A megawatt is a broken meter, not a host; the bound keeps sums finite. */
#define MAX_POWER 1e6
/* One interval every 60 us at most: more is a loop, not a meter. */
#define BUCKET_MAX_N 1000000
#define MAX_MINUTE 16666666666.0 /* 1e12 s, about the year 33000 */
/* The longest bucket line (an 11-digit minute, a 7-digit count, seven
 * %.17g numbers of at most 23 bytes, blanks and newline) fits a week. */
#define FILE_MAX ((size_t)4 << 20)
_Static_assert(168 * 60 * (11 + 7 + 7 * 23 + 9) + 128 <= FILE_MAX,
	       "the longest history must fit in a state file");
#define NUM_MAX 32 /* the longest number field accepted */

/* The sums of one minute's intervals, each counted once. */
struct bucket {
	int64_t minute; /* floor(t / 60) */
	uint64_t n;     /* 0: an empty slot */
	double su, sp, suu, sup;
	double pmin;       /* the lowest power */
	bool have_low;     /* a reading at u <= LEARN_LOW_UTIL was seen */
	double plow, ulow; /* the lowest such power, and its u */
};

/* The point learn_fold is gathering: its end, length, sum of u * dt,
 * energy and intervals. */
struct point {
	double t, dt, udt, e;
	uint64_t n;
};

struct learn {
	double window_s;
	size_t nbuckets; /* ceil(window_s / 60) */
	int64_t newest;  /* the newest minute, or -1 before any */
	struct point pend;
	struct bucket b[];
};

/* Writes a message into err (when there is room); returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Allocates an empty ring of ceil(window_s / 60) buckets, in one block. */
struct learn *learn_new(double window_s)
{
	struct learn *l;
	size_t nb;

	if (!(window_s >= 60 && window_s <= LEARN_MAX_WINDOW_S))
		return NULL;
	nb = (size_t)ceil(window_s / 60);
	l = calloc(1, sizeof(*l) + nb * sizeof(l->b[0]));
	if (l)
		*l = (struct learn){.window_s = window_s, .nbuckets = nb,
				    .newest = -1};
	return l;
}

/* Frees the ring, which is one allocation. */
void learn_free(struct learn *l)
{
	free(l);
}

/* The index of the ring slot of minute m (m >= 0). */
static size_t slot_of(const struct learn *l, int64_t m)
{
	return (size_t)((uint64_t)m % l->nbuckets);
}

/* Keeps in b the lower of its low-utilisation reading and (p, u). */
static void keep_low(struct bucket *b, bool have, double p, double u)
{
	if (have && (!b->have_low || p < b->plow)) {
		b->have_low = true;
		b->plow = p;
		b->ulow = u;
	}
}

/* Whether an interval's figures are in range; written so that NaN fails
 * every test. */
static bool valid(double t, double dt, double u, double p)
{
	return t >= 0 && t / 60 < MAX_MINUTE && dt > 0 && isfinite(dt) &&
	       u >= 0 && u <= 1 && p >= 0 && p <= MAX_POWER;
}

/* Adds the point (u, p) that ended at t, counted as n intervals, to the
 * bucket of its minute, starting that bucket afresh when its slot still
 * holds a minute that has left. */
static void add_point(struct learn *l, double t, double u, double p,
		      uint64_t n)
{
	struct bucket *b;
	int64_t m = (int64_t)floor(t / 60);

	if (m <= l->newest - (int64_t)l->nbuckets)
		return;
	b = &l->b[slot_of(l, m)];
	if (b->n == 0 || b->minute != m)
		*b = (struct bucket){.minute = m};
	if (b->n + n > BUCKET_MAX_N)
		return;
	b->pmin = b->n == 0 ? p : fmin(b->pmin, p);
	b->n += n;
	b->su += (double)n * u;
	b->sp += (double)n * p;
	b->suu += (double)n * u * u;
	b->sup += (double)n * u * p;
	keep_low(b, u <= LEARN_LOW_UTIL, p, u);
	if (m > l->newest)
		l->newest = m;
}

void learn_add(struct learn *l, double t, double dt, double u, double p)
{
	if (valid(t, dt, u, p))
		add_point(l, t, u, p, 1);
}

void learn_fold(struct learn *l, double t, double dt, double u, double p,
		double point_s)
{
	struct point *q = &l->pend;

	if (!valid(t, dt, u, p)) {
		*q = (struct point){0};
		return;
	}
	/* Unix times of about 2e9 s carry 0.2 us of rounding. */
	if (q->n > 0 && fabs(t - dt - q->t) > 1e-3)
		*q = (struct point){0};
	q->t = t;
	q->dt += dt;
	q->udt += u * dt;
	q->e += p * dt;
	q->n++;
	if (q->dt >= point_s || q->n >= BUCKET_MAX_N) {
		add_point(l, q->t, fmin(q->udt / q->dt, 1), q->e / q->dt, q->n);
		*q = (struct point){0};
	}
}

/* Sums the buckets in the window and fits the line; see learn.h for the
 * floor and the ceiling that bound the intercept. */
double learn_idle(const struct learn *l, size_t *samples)
{
	struct bucket t = {.pmin = INFINITY};
	double mu, mp, var, b, idle;

	/* Slots are summed in index order, so that a history read back from
	 * its own text gives the same value to the last bit. */
	for (size_t i = 0; i < l->nbuckets; i++) {
		const struct bucket *s = &l->b[i];

		if (s->n == 0 || s->minute <= l->newest - (int64_t)l->nbuckets)
			continue;
		t.n += s->n;
		t.su += s->su;
		t.sp += s->sp;
		t.suu += s->suu;
		t.sup += s->sup;
		t.pmin = fmin(t.pmin, s->pmin);
		keep_low(&t, s->have_low, s->plow, s->ulow);
	}
	if (samples)
		*samples = t.n > SIZE_MAX ? SIZE_MAX : (size_t)t.n;
	if (t.n < LEARN_MIN_SAMPLES)
		return NAN;
	mu = t.su / (double)t.n;
	mp = t.sp / (double)t.n;
	var = t.suu / (double)t.n - mu * mu;
	if (!(var >= MIN_VAR_U))
		return t.have_low ? fmax(fmin(t.plow, t.pmin), 0) : NAN;
	b = (t.sup / (double)t.n - mu * mp) / var;
	idle = mp - b * mu;
	if (t.have_low)
		idle = fmax(idle, t.plow - b * t.ulow);
	return isfinite(idle) ? fmax(fmin(idle, t.pmin), 0) : NAN;
}

/* Prints the header and the window's buckets, oldest first, with every
 * double in %.17g so that it reads back to the same bits. */
int learn_format(const struct learn *l, char **out, size_t *len)
{
	int64_t m = l->newest - (int64_t)l->nbuckets + 1;
	struct buf o;

	buf_init(&o, FILE_MAX);
	buf_printf(&o, "%s %d\nwindow %.17g\n", MAGIC, VERSION, l->window_s);
	for (m = m < 0 ? 0 : m; m <= l->newest; m++) {
		const struct bucket *b = &l->b[slot_of(l, m)];

		if (b->n == 0 || b->minute != m)
			continue;
		buf_printf(&o, "%" PRId64 " %" PRIu64 " %.17g %.17g %.17g %.17g %.17g",
			   m, b->n, b->su, b->sp, b->suu, b->sup, b->pmin);
		if (b->have_low)
			buf_printf(&o, " %.17g %.17g\n", b->plow, b->ulow);
		else
			buf_puts(&o, " - -\n");
	}
	/* The text is never empty, so NULL means the buffer failed. */
	*out = buf_steal(&o, len);
	return *out ? 0 : -ENOMEM;
}

/* Reads word w, a plain decimal number (digits, a point, an exponent; no
 * sign, inf, nan or hex), or digits only if integer, into *out. Returns 0
 * or -EINVAL. */
static int parse_num(const struct scan *w, bool integer, double *out)
{
	size_t n = (size_t)(w->end - w->p);
	char tmp[NUM_MAX + 1], *end;

	if (n == 0 || n > NUM_MAX || !scan_is_digit(w->p[0]))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!scan_is_digit(w->p[i]) &&
		    (integer || !strchr(".eE+-", w->p[i])))
			return -EINVAL;
	memcpy(tmp, w->p, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	return end == tmp + n && isfinite(*out) ? 0 : -EINVAL;
}

/* Splits line into its blank-separated words, the first max of them into
 * w. Returns how many there are. */
static size_t split(struct scan line, struct scan *w, size_t max)
{
	struct scan word;
	size_t n = 0;

	for (;;) {
		scan_skip_blanks(&line);
		if (line.p == line.end)
			return n;
		scan_next_word(&line, n < max ? &w[n] : &word);
		n++;
	}
}

static const char *const field_names[] = {
    "minute", "n", "su", "sp", "suu", "sup", "pmin", "plow", "ulow",
};

/* Reads bucket line number ln into *b. Returns 0 or -EINVAL with why. */
static int parse_bucket(struct scan line, unsigned ln, struct bucket *b,
			char *err, size_t errlen)
{
	struct scan w[ARRAY_SIZE(field_names)];
	double v[ARRAY_SIZE(field_names)] = {0};
	size_t nw = split(line, w, ARRAY_SIZE(w));
	bool low;

	if (nw != ARRAY_SIZE(w))
		return fail(err, errlen, "line %u: expected %zu fields, got %zu",
			    ln, ARRAY_SIZE(w), nw);
	low = !scan_word_is(&w[7], "-");
	for (size_t i = 0; i < (low ? ARRAY_SIZE(w) : 7); i++)
		if (parse_num(&w[i], i < 2, &v[i]) < 0)
			return fail(err, errlen, "line %u: %s: expected a number, got \"%.*s\"",
				    ln, field_names[i], (int)(w[i].end - w[i].p), w[i].p);
	if (!low && !scan_word_is(&w[8], "-"))
		return fail(err, errlen, "line %u: ulow: expected \"-\" as plow", ln);
	/* What sums of n readings with u in [0, 1] and p in [0, MAX_POWER]
	 * cannot be (u * u <= u and u * p <= p hold in floating point too). */
	if (v[0] > MAX_MINUTE || v[1] < 1 || v[1] > BUCKET_MAX_N ||
	    v[2] > v[1] || v[4] > v[2] || v[5] > v[3] ||
	    v[3] > v[1] * MAX_POWER || v[6] > MAX_POWER ||
	    (low && (v[7] < v[6] || v[7] > MAX_POWER || v[8] > LEARN_LOW_UTIL)))
		return fail(err, errlen, "line %u: values out of range or inconsistent",
			    ln);
	*b = (struct bucket){
	    .minute = (int64_t)v[0], .n = (uint64_t)v[1], .su = v[2],
	    .sp = v[3], .suu = v[4], .sup = v[5], .pmin = v[6],
	    .have_low = low, .plow = v[7], .ulow = v[8],
	};
	return 0;
}

/* Parses into a scratch ring of l's size and copies it over l's only when
 * the whole text is good. Returns 0, -EINVAL or -ENOMEM. */
int learn_parse(struct learn *l, const char *buf, size_t len, char *err,
		size_t errlen)
{
	struct scan rest = {buf, buf + len}, line, w[2];
	double version, window;
	struct learn *tmp;
	struct bucket b;
	unsigned ln = 2;
	int ret = 0;

	if (len > FILE_MAX)
		return fail(err, errlen, "larger than %zu bytes", FILE_MAX);
	if (!scan_next_line(&rest, &line) || split(line, w, 2) != 2 ||
	    !scan_word_is(&w[0], MAGIC) || parse_num(&w[1], true, &version) < 0)
		return fail(err, errlen, "not a virtmeter idle-power state file");
	if (version != VERSION)
		return fail(err, errlen, "version %.0f not supported", version);
	/* The file's window is only informational: l's own applies. */
	if (!scan_next_line(&rest, &line) || split(line, w, 2) != 2 ||
	    !scan_word_is(&w[0], "window") || parse_num(&w[1], false, &window) < 0 ||
	    window < 60 || window > LEARN_MAX_WINDOW_S)
		return fail(err, errlen, "line 2: expected \"window SECONDS\"");
	if (buf[len - 1] != '\n')
		return fail(err, errlen, "no newline at the end (truncated?)");
	tmp = learn_new(l->window_s);
	if (!tmp)
		return -ENOMEM;
	while (scan_next_line(&rest, &line)) {
		ret = parse_bucket(line, ++ln, &b, err, errlen);
		if (ret == 0 && b.minute <= tmp->newest)
			ret = fail(err, errlen, "line %u: minute %" PRId64 " not after the one before",
				   ln, b.minute);
		if (ret < 0)
			break;
		/* Minutes increase, so the newest comes last and overwrites
		 * the slot of any that has left the window. */
		tmp->b[slot_of(tmp, b.minute)] = b;
		tmp->newest = b.minute;
	}
	if (ret == 0) {
		memcpy(l->b, tmp->b, l->nbuckets * sizeof(l->b[0]));
		l->newest = tmp->newest;
		l->pend = (struct point){0};
	}
	free(tmp);
	return ret;
}

/* Writes the text to a temporary file beside path and renames it over
 * path. The temporary file is removed on any error. */
int learn_save(const struct learn *l, const char *path)
{
	char *text = NULL, *tmp = NULL;
	size_t len, off = 0;
	int fd, dir, err = learn_format(l, &text, &len);

	if (err < 0)
		return err;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		free(text);
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	err = fd < 0 || fchmod(fd, 0644) < 0 ? -errno : 0;
	while (err == 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		off += n > 0 ? (size_t)n : 0;
	}
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	/* A close error may be the first report of a failed write. */
	if (fd >= 0 && close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) < 0)
		err = -errno;
	if (err < 0 && fd >= 0)
		unlink(tmp);
	/* Best effort, so that the rename survives a crash. */
	dir = err < 0 ? -1
		      : open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	free(tmp);
	free(text);
	return err;
}

/* Reads path whole (up to FILE_MAX bytes) and parses it into l, with why
 * it failed in err, the path first. */
int learn_load(struct learn *l, const char *path, char *err, size_t errlen)
{
	char chunk[65536], why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = fd < 0 ? -errno : 0;
	struct buf in;
	ssize_t n;

	buf_init(&in, FILE_MAX);
	for (n = 1; ret == 0 && n != 0;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno != EINTR)
			ret = -errno;
		else if (n > 0 && buf_add(&in, chunk, (size_t)n) < 0)
			ret = buf_err(&in) == -ENOMEM ? -ENOMEM : -EFBIG;
	}
	if (ret == 0)
		ret = learn_parse(l, in.data ? in.data : "", in.len, why,
				  sizeof(why));
	else if (ret == -EFBIG)
		snprintf(why, sizeof(why), "larger than %zu bytes", FILE_MAX);
	else
		snprintf(why, sizeof(why), "%s", strerror(-ret));
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	buf_free(&in);
	if (fd >= 0)
		close(fd);
	return ret;
}
