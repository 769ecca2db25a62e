/* The powerspy meter: an Alciom PowerSpy wall meter on a serial tty or a
 * Bluetooth RFCOMM device (/dev/rfcomm0). Opening it stops a real-time
 * mode left running by a previous reader (<Q>, then drains), identifies
 * the device (<?>), reads its calibration floats from EEPROM (<VXX>) and
 * its mains frequency (<F>), and starts real-time mode averaging over
 * about one second of mains periods (<JXXXX>). Each read averages the
 * frames received since the last one. Noise, broken frames and frames
 * without five fields are skipped and counted. A device that cannot be
 * opened is retried with a growing back-off; a link that drops is opened
 * again. Frames are parsed by powerspy_parse.c. */
#include "collectors/power/meter.h"
#include "exporter/api/base.h"
#include "collectors/power/powerspy_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "collectors/power/config.h"
#include "exporter/api/log.h"

#define DRAIN_QUIET_MS 300  /* <Q>: silence that ends the drain */
#define BACKOFF_MAX_S 60

struct spy {
	char name[METER_NAME_MAX];
	char device[METER_ARG_MAX];
	int fd;
	int wake; /* an eventfd: spy_interrupt ends a wait for bytes */
	unsigned timeout_ms;
	struct psy_scan scan;
	struct psy_ident id;
	double uscale, iscale, hz;
	uint64_t bad_frames;        /* frames without five hex fields */
	uint64_t logged_errors;     /* skipped frames and bytes last logged */
};

/* Back-off of the devices that failed to open, by meter name: it must
 * outlive the meter's state, which is freed at each failure. One entry per
 * PowerSpy meter name seen since start-up, grown as meters come. */
struct backoff {
	char name[METER_NAME_MAX];
	unsigned failures;
	double next_try;
};
static struct backoff *backoffs;
static size_t nbackoffs;
static pthread_mutex_t backoff_lock = PTHREAD_MUTEX_INITIALIZER;

/* The back-off entry of a meter (added if new), or NULL when there is no
 * memory for it (that meter then retries without back-off); caller holds
 * the lock. */
static struct backoff *backoff_of(const char *name)
{
	struct backoff *b;

	for (size_t i = 0; i < nbackoffs; i++)
		if (strcmp(backoffs[i].name, name) == 0)
			return &backoffs[i];
	b = realloc(backoffs, (nbackoffs + 1) * sizeof(*b));
	if (!b)
		return NULL;
	backoffs = b;
	b = &backoffs[nbackoffs++];
	*b = (struct backoff){0};
	snprintf(b->name, sizeof(b->name), "%s", name);
	return b;
}

/* Records the outcome of an open: a success clears the back-off, a
 * failure doubles it (1 s, 2 s, 4 s... up to BACKOFF_MAX_S). */
static void backoff_note(const char *name, bool ok)
{
	struct backoff *b;

	pthread_mutex_lock(&backoff_lock);
	b = backoff_of(name);
	if (b && ok) {
		b->failures = 0;
		b->next_try = 0;
	} else if (b) {
		unsigned f = b->failures < 6 ? b->failures : 6;
		double wait = (double)(1u << f);

		if (wait > BACKOFF_MAX_S)
			wait = BACKOFF_MAX_S;
		b->failures++;
		b->next_try = clock_mono_s() + wait;
		log_debug("meter %s: open attempt %u failed; the next one in %.0fs",
			  name, b->failures, wait);
	}
	pthread_mutex_unlock(&backoff_lock);
}

/* Seconds to wait before the next open, or 0. */
static double backoff_left(const char *name, unsigned *failures)
{
	struct backoff *b;
	double left = 0;

	pthread_mutex_lock(&backoff_lock);
	b = backoff_of(name);
	*failures = b ? b->failures : 0;
	if (b)
		left = b->next_try - clock_mono_s();
	pthread_mutex_unlock(&backoff_lock);
	return left > 0 ? left : 0;
}

/* Raw mode, 115200 baud, for a real serial port; an RFCOMM tty ignores
 * the speed. Not a tty (a test's FIFO): left as it is. */
static void set_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return;
	cfmakeraw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	t.c_cflag |= CLOCAL | CREAD;
	tcsetattr(fd, TCSANOW, &t);
	tcflush(fd, TCIOFLUSH);
}

static int send_cmd(struct spy *s, const char *cmd, char *err)
{
	size_t len = strlen(cmd), off = 0;

	while (off < len) {
		ssize_t n = write(s->fd, cmd + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {s->fd, POLLOUT, 0};

			poll(&p, 1, 100);
			continue;
		}
		if (n < 0) {
			int e = errno;

			meter_err(err, "%s: cannot write %s: %s", s->device, cmd, strerror(e));
			return -e;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Waits until deadline (monotonic s) for the next frame. Returns 1 with
 * its content in frame, 0 at the deadline, or a negative errno (the link
 * dropped) with err set. */
static int next_frame(struct spy *s, double deadline, char *frame, char *err)
{
	for (;;) {
		char buf[1];
		struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->wake, POLLIN, 0}};
		double left = deadline - clock_mono_s();
		bool got = false;
		ssize_t n;
		int rc;

		/* Past the deadline, bytes already received are still taken. */
		rc = poll(p, 2, left > 0 ? (int)(left * 1000) + 1 : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0 && p[1].revents) {
			meter_err(err, "%s: stopped", s->device);
			return -ECANCELED;
		}
		if (rc == 0 && left <= 0)
			return 0;
		if (rc == 0)
			continue;
		/* One byte at a time: the rest stays in the kernel's buffer
		 * for the next frame, so no byte is lost between calls. */
		n = read(s->fd, buf, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			meter_err(err, "%s: the link dropped (%s)", s->device,
				  n == 0 ? "end of file" : strerror(errno));
			return n == 0 ? -EPIPE : -errno;
		}
		psy_scan_next(&s->scan, buf, 1, frame, &got);
		if (got)
			return 1;
	}
}

/* Sends cmd and waits for an answer that accept() takes, skipping other
 * frames (left-over real-time frames, <K>). Returns 0, or a negative errno
 * with err set. */
static int ask(struct spy *s, const char *cmd, double deadline,
	       int (*accept)(struct spy *s, const char *f, void *arg), void *arg,
	       char *err)
{
	char frame[PSY_FRAME_MAX];
	int rc = send_cmd(s, cmd, err);

	while (rc == 0) {
		rc = next_frame(s, deadline, frame, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			meter_err(err, "%s: no answer to %s within %ums (is it a PowerSpy, "
				  "switched on and paired?)", s->device, cmd, s->timeout_ms);
			return -ETIMEDOUT;
		}
		if (strcmp(frame, "Z") == 0) {
			meter_err(err, "%s: the device refused %s (<Z>)", s->device, cmd);
			return -EIO;
		}
		rc = accept(s, frame, arg) == 0 ? 1 : 0;
	}
	return rc < 0 ? rc : 0;
}

static int take_ident(struct spy *s, const char *f, void *arg)
{
	(void)arg;
	return psy_parse_ident(f, strlen(f), &s->id);
}

static int take_byte(struct spy *s, const char *f, void *arg)
{
	(void)s;
	return psy_parse_byte(f, strlen(f), arg);
}

static int take_freq(struct spy *s, const char *f, void *arg)
{
	(void)arg;
	return psy_parse_freq(f, strlen(f), s->id.hw, &s->hz);
}

/* <Q>, then drains: frames until <K> or <Z>, or DRAIN_QUIET_MS without a
 * byte. A device that was not streaming answers <K> at once. */
static int stop_realtime(struct spy *s, double deadline, char *err)
{
	char frame[PSY_FRAME_MAX];
	int rc = send_cmd(s, "<Q>", err);

	while (rc == 0) {
		double quiet = clock_mono_s() + DRAIN_QUIET_MS / 1000.0;

		rc = next_frame(s, quiet < deadline ? quiet : deadline, frame, err);
		if (rc <= 0)
			return rc;
		if (strcmp(frame, "K") == 0 || strcmp(frame, "Z") == 0)
			return 0;
		rc = 0;
	}
	return rc;
}

/* A calibration float from 4 EEPROM bytes at addr. */
static int read_float(struct spy *s, unsigned addr, double deadline,
		      double *out, char *err)
{
	uint8_t b[4];
	char cmd[8];
	int rc;

	for (unsigned i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "<V%02X>", addr + i);
		rc = ask(s, cmd, deadline, take_byte, &b[i], err);
		if (rc)
			return rc;
	}
	*out = psy_float_le(b);
	return 0;
}

/* The voltage and current scales: the current-calibration floats, else
 * (unprogrammed: not finite or not positive) the factory ones. */
static int read_scales(struct spy *s, double deadline, char *err)
{
	static const unsigned addr[2][2] = {{0x0E, 0x02}, {0x12, 0x06}};
	double *dst[2] = {&s->uscale, &s->iscale};

	for (int q = 0; q < 2; q++) {
		double cal, factory;
		int rc = read_float(s, addr[q][0], deadline, &cal, err);

		if (rc == 0)
			rc = read_float(s, addr[q][1], deadline, &factory, err);
		if (rc)
			return rc;
		*dst[q] = isfinite(cal) && cal > 0 ? cal : factory;
		if (!isfinite(*dst[q]) || *dst[q] <= 0) {
			meter_err(err, "%s: no usable %s calibration in EEPROM", s->device,
				  q ? "current" : "voltage");
			return -EINVAL;
		}
	}
	return 0;
}

/* The whole start-up dialogue. */
static int handshake(struct spy *s, char *err)
{
	double deadline = clock_mono_s() + s->timeout_ms / 1000.0;
	char cmd[16];
	int rc;

	rc = stop_realtime(s, deadline, err);
	if (rc == 0)
		rc = ask(s, "<?>", deadline, take_ident, NULL, err);
	if (rc == 0)
		rc = read_scales(s, deadline, err);
	if (rc == 0)
		rc = ask(s, "<F>", deadline, take_freq, NULL, err);
	if (rc)
		return rc;
	if (s->id.hw == 2)
		snprintf(cmd, sizeof(cmd), "<J%02X>", psy_periods(s->hz, s->id.hw));
	else
		snprintf(cmd, sizeof(cmd), "<J%04X>", psy_periods(s->hz, s->id.hw));
	return send_cmd(s, cmd, err);
}

static void spy_close(void *state)
{
	struct spy *s = state;
	char err[METER_ERR_MAX];

	if (!s)
		return;
	if (s->fd >= 0) {
		send_cmd(s, "<Q>", err); /* leave the device idle for the next reader */
		close(s->fd);
	}
	if (s->wake >= 0)
		close(s->wake);
	free(s);
}

static int spy_open(const struct meter_args *a, void **state, char *err)
{
	const struct meter_config *cm = a->cfg;
	unsigned failures;
	double wait;
	struct spy *s;
	int rc;

	if (!cm || !cm->net.device[0]) {
		meter_err(err, "no device configured");
		return -EINVAL;
	}
	wait = backoff_left(a->name, &failures);
	if (wait > 0) {
		meter_err(err, "%s: retrying in %.0fs after %u failed attempts",
			  cm->net.device, ceil(wait), failures);
		return -EAGAIN;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->name, sizeof(s->name), "%s", a->name);
	snprintf(s->device, sizeof(s->device), "%s", cm->net.device);
	s->timeout_ms = a->timeout_ms;
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->fd = open(s->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->wake < 0 && s->fd >= 0) {
		rc = -errno;
		meter_err(err, "cannot make an eventfd: %s", strerror(-rc));
		goto fail;
	}
	if (s->fd < 0) {
		rc = -errno;
		meter_err(err, "cannot open %s: %s", s->device, strerror(-rc));
		goto fail;
	}
	set_raw(s->fd);
	rc = handshake(s, err);
	if (rc)
		goto fail;
	log_info("meter %s: PowerSpy on %s: hardware %02X, software %02X, serial "
		 "%04X, %.2f Hz, scales %g V and %g A", s->name, s->device, s->id.hw,
		 s->id.sw, s->id.serial, s->hz, s->uscale, s->iscale);
	backoff_note(a->name, true);
	*state = s;
	return 0;
fail:
	backoff_note(a->name, false);
	spy_close(s);
	return rc;
}

/* Logs the frames and bytes skipped so far when there are new ones: the
 * first time at info level, then at debug level. */
static void log_skipped(struct spy *s)
{
	uint64_t total = s->bad_frames + s->scan.broken + s->scan.noise;

	if (total == s->logged_errors)
		return;
	log_msg(s->logged_errors ? LOG_LVL_DEBUG : LOG_LVL_INFO,"meter %s: skipped so far %llu malformed frames, %llu broken "
		 "frames and %llu noise bytes from %s", s->name,
		 (unsigned long long)s->bad_frames, (unsigned long long)s->scan.broken,
		 (unsigned long long)s->scan.noise, s->device);
	s->logged_errors = total;
}

static int spy_read(void *state, struct virtmeter_reading *out, size_t max,
		    char *err)
{
	struct spy *s = state;
	double deadline = clock_mono_s() + s->timeout_ms / 1000.0;
	double sum[3] = {0, 0, 0};
	char frame[PSY_FRAME_MAX];
	unsigned count = 0;
	int rc;

	if (max < 1)
		return -E2BIG;
	/* Every frame already received, then (if none) wait for one. */
	for (;;) {
		struct psy_raw raw;

		rc = next_frame(s, count ? clock_mono_s() : deadline, frame, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (strcmp(frame, "K") == 0)
			continue; /* the answer to <J> */
		if (psy_parse_frame(frame, strlen(frame), &raw)) {
			s->bad_frames++;
			continue;
		}
		sum[0] += raw.v2;
		sum[1] += raw.i2;
		sum[2] += raw.p;
		count++;
	}
	log_skipped(s);
	if (count == 0) {
		meter_err(err, "%s: no real-time frame within %ums", s->device,
			  s->timeout_ms);
		return -ETIMEDOUT;
	}
	if (psy_reading(sum, count, s->uscale, s->iscale, out)) {
		meter_err(err, "%s: frames give values out of range", s->device);
		return -ERANGE;
	}
	return 1;
}

/* Ends a wait for bytes in another thread (the meter stops). */
static void spy_interrupt(void *state)
{
	struct spy *s = state;
	uint64_t one = 1;

	if (write(s->wake, &one, sizeof(one)) < 0)
		return; /* the counter is already set: the wait ends anyway */
}

/* Frames skipped since the device was opened: without five hex fields,
 * cut short by the next frame, or overlong. */
static uint64_t spy_skipped(void *state)
{
	const struct spy *s = state;

	return s->bad_frames + s->scan.broken;
}

const struct meter_ops meter_powerspy_ops = {
	.source = "powerspy",
	.open = spy_open,
	.read = spy_read,
	.close = spy_close,
	.interrupt = spy_interrupt,
	.skipped = spy_skipped,
};
