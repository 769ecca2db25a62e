/* The exec meter: runs a command (an argv list, no shell) once per read
 * and parses what it prints with meter_parse_exec (parse.h). The command
 * gets /dev/null as stdin, its own process group and the default signal
 * mask; it is killed (the whole group, SIGKILL) when it runs past the
 * meter's timeout. Its stdout is capped at EXEC_OUT_MAX; the first
 * EXEC_ERR_MAX bytes of its stderr are kept for the log. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collectors/power/meter.h"
#include "exporter/api/base.h"
#include "collectors/power/parse.h"
#include "collectors/power/config.h"
#include "exporter/api/log.h"

#include "build-config.h"

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/valgrind.h>
#endif
#ifndef VALGRIND_CLO_CHANGE /* without the header, or one older than the request */
#define VALGRIND_CLO_CHANGE(option) ((void)(option))
#endif

#define EXEC_OUT_MAX (64 * 1024)
#define EXEC_ERR_MAX 512

struct exec_meter {
	char name[METER_NAME_MAX];
	char *argv[METER_MAX_ARGV + 1];
	char words[METER_MAX_ARGV][METER_ARG_MAX];
	unsigned timeout_ms;
	/* The command running now (0 if none), for exec_interrupt: set and
	 * cleared under pid_lock, and cleared before the child is reaped so
	 * that its pid can never name another process. */
	pthread_mutex_t pid_lock;
	pid_t running;
	char out[EXEC_OUT_MAX];
	char errtext[EXEC_ERR_MAX + 1];
};

/* One run's pipes and child. */
struct run {
	pid_t pid;
	int out_fd, err_fd;
	size_t out_len, err_len;
	bool too_long;
};

static int exec_open(const struct meter_args *a, void **state, char *err)
{
	const struct meter_config *cm = a->cfg;
	struct exec_meter *m;

	if (!cm || cm->argc == 0) {
		meter_err(err, "no command configured");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->name, sizeof(m->name), "%s", a->name);
	for (size_t i = 0; i < cm->argc; i++) {
		memcpy(m->words[i], cm->argv[i], METER_ARG_MAX);
		m->argv[i] = m->words[i];
	}
	m->argv[cm->argc] = NULL;
	m->timeout_ms = a->timeout_ms;
	pthread_mutex_init(&m->pid_lock, NULL);
	*state = m;
	return 0;
}

static void exec_close(void *state)
{
	struct exec_meter *m = state;

	if (!m)
		return;
	pthread_mutex_destroy(&m->pid_lock);
	free(m);
}

/* Kills the running command's process group, when virtmeter stops. */
static void exec_interrupt(void *state)
{
	struct exec_meter *m = state;

	if (pthread_mutex_trylock(&m->pid_lock) != 0)
		return; /* being reaped right now */
	if (m->running > 0) {
		kill(-m->running, SIGKILL);
		kill(m->running, SIGKILL);
	}
	pthread_mutex_unlock(&m->pid_lock);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(struct exec_meter *m, int out_w, int err_w)
{
	struct sigaction sa;
	sigset_t none;
	int null_fd;

	/* Under valgrind, a child that cannot exec (and _exits) would end
	 * with a leak check of the heap it copied, where the blocks that
	 * only the other threads' stacks point to (those threads are not in
	 * the child) look lost: its status would be --error-exitcode's, not
	 * the 126 or 127 that the meter reports. A few no-op instructions
	 * outside valgrind. */
	VALGRIND_CLO_CHANGE("--leak-check=no");
	setpgid(0, 0);
	/* Killed with virtmeter, even when virtmeter itself is killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 ||
	    dup2(err_w, 2) < 0)
		_exit(126);
	if (null_fd > 2)
		close(null_fd);
	execv(m->argv[0], m->argv);
	_exit(127);
}

/* Starts the command with its stdout and stderr on pipes. */
static int start(struct exec_meter *m, struct run *r, char *err)
{
	int out[2], errp[2], e;

	if (pipe2(out, O_CLOEXEC))
		goto fail;
	if (pipe2(errp, O_CLOEXEC)) {
		e = errno;
		close(out[0]);
		close(out[1]);
		errno = e;
		goto fail;
	}
	pthread_mutex_lock(&m->pid_lock);
	r->pid = fork();
	if (r->pid == 0)
		child(m, out[1], errp[1]);
	e = errno;
	/* Also here, so that the group exists before anyone can kill it. */
	if (r->pid > 0)
		setpgid(r->pid, r->pid);
	m->running = r->pid > 0 ? r->pid : 0;
	pthread_mutex_unlock(&m->pid_lock);
	close(out[1]);
	close(errp[1]);
	r->out_fd = out[0];
	r->err_fd = errp[0];
	if (r->pid < 0) {
		close(out[0]);
		close(errp[0]);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	meter_err(err, "cannot start %s: %s", m->argv[0], strerror(e));
	return -e;
}

/* Reads what is ready on fd into buf (keeping at most cap bytes, the rest
 * is dropped). Returns false at end of file. */
static bool drain(int fd, char *buf, size_t cap, size_t *len, bool *over)
{
	char scratch[4096];
	ssize_t n;

	if (*len < cap)
		n = read(fd, buf + *len, cap - *len);
	else
		n = read(fd, scratch, sizeof(scratch));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (*len < cap)
		*len += (size_t)n;
	else if (over)
		*over = true;
	return true;
}

/* Collects the output until both pipes close or the deadline passes.
 * Returns 0, or -ETIMEDOUT. */
static int collect(struct exec_meter *m, struct run *r, double deadline)
{
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd p[2] = {{r->out_fd, POLLIN, 0}, {r->err_fd, POLLIN, 0}};
		double left = deadline - (clock_mono_s() * 1e3);

		if (left <= 0)
			return -ETIMEDOUT;
		p[0].fd = out_open ? r->out_fd : -1;
		p[1].fd = err_open ? r->err_fd : -1;
		if (poll(p, 2, (int)left + 1) < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents && out_open)
			out_open = drain(r->out_fd, m->out, EXEC_OUT_MAX, &r->out_len,
					 &r->too_long);
		if (p[1].revents && err_open)
			err_open = drain(r->err_fd, m->errtext, EXEC_ERR_MAX, &r->err_len,
					 NULL);
	}
	return 0;
}

/* Reaps the child, which has exited or been killed: its pid is first
 * taken out of reach of exec_interrupt. */
static void reap_now(struct exec_meter *m, struct run *r, int *status)
{
	pthread_mutex_lock(&m->pid_lock);
	m->running = 0;
	pthread_mutex_unlock(&m->pid_lock);
	while (waitpid(r->pid, status, 0) < 0 && errno == EINTR)
		;
}

/* Waits for the child until the deadline; kills its group after that.
 * Returns 0 with its wait status, or -ETIMEDOUT (killed and reaped). */
static int reap(struct exec_meter *m, struct run *r, double deadline,
		int *status)
{
	siginfo_t si;

	for (;;) {
		/* WNOWAIT: see the exit without reaping, so that the pid
		 * stays ours until reap_now. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			break;
		if (si.si_pid == r->pid) {
			reap_now(m, r, status);
			return 0;
		}
		if ((clock_mono_s() * 1e3) >= deadline)
			break;
		usleep(2000);
	}
	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
	reap_now(m, r, status);
	return -ETIMEDOUT;
}

/* The first line of the command's stderr, made printable, in out. */
static const char *first_err_line(struct exec_meter *m, size_t len, char *out,
				  size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size && m->errtext[i] != '\n'; i++) {
		unsigned char c = (unsigned char)m->errtext[i];

		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

/* Turns the outcome of a run into a result and a message. */
static int judge(struct exec_meter *m, struct run *r, int rc, int status,
		 char *err)
{
	char line[160];

	first_err_line(m, r->err_len, line, sizeof(line));
	if (r->err_len)
		log_debug("meter %s: %s wrote on stderr: %s", m->name, m->argv[0], line);
	if (rc == -ETIMEDOUT) {
		meter_err(err, "%s ran for more than %ums and was killed",
			 m->argv[0], m->timeout_ms);
		return rc;
	}
	if (rc) {
		meter_err(err, "%s: %s", m->argv[0], strerror(-rc));
		return rc;
	}
	if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
		meter_err(err, "%s %s %d%s%s%s", m->argv[0],
			 WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			 !WIFSIGNALED(status) && WEXITSTATUS(status) == 127
				 ? " (cannot execute it: check the path)" : "",
			 line[0] ? "; stderr: " : "", line);
		return -EIO;
	}
	if (r->too_long) {
		meter_err(err, "%s printed more than %d bytes", m->argv[0],
			 EXEC_OUT_MAX);
		return -EFBIG;
	}
	return 0;
}

static int exec_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err)
{
	struct exec_meter *m = state;
	double deadline = (clock_mono_s() * 1e3) + m->timeout_ms;
	struct run r = {0};
	char why[160];
	unsigned line;
	int rc, rrc, status = 0, n;

	rc = start(m, &r, err);
	if (rc)
		return rc;
	rc = collect(m, &r, deadline);
	close(r.out_fd);
	close(r.err_fd);
	/* A timeout while reading still has to kill and reap the child. */
	rrc = reap(m, &r, rc == -ETIMEDOUT ? 0 : deadline, &status);
	if (rc == 0)
		rc = rrc;
	rc = judge(m, &r, rc, status, err);
	if (rc)
		return rc;
	n = meter_parse_exec(m->out, r.out_len, out, max, &line, why, sizeof(why));
	if (n < 0)
		meter_err(err, "output of %s, line %u: %s", m->argv[0], line,
			 why);
	return n;
}

const struct meter_ops meter_exec_ops = {
	.source = "exec",
	.open = exec_open,
	.read = exec_read,
	.close = exec_close,
	.interrupt = exec_interrupt,
};
