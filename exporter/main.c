/* virtmeter: start-up, signals, configuration reload and shutdown. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "exporter/api/collector.h"
#include "exporter/config.h"
#include "exporter/http.h"
#include "exporter/api/log.h"
#include "exporter/options.h"
#include "exporter/prerender.h"
#include "exporter/scheduler.h"
#include "exporter/api/snapshot.h"
#include "exporter/version.h"

#define STOP_GRACE_MS 3000

/* Prints one family per line for --dump-metrics: the exposed name (with
 * "_total" for counters), type, labels, unit and help, tab-separated. */
static void dump_families(const struct snap_family *const *fams)
{
	for (size_t i = 0; fams[i]; i++) {
		const struct snap_family *f = fams[i];

		printf("%s%s\t%s\t", f->name, f->type == SNAP_COUNTER ? "_total" : "",
		       f->type == SNAP_COUNTER ? "counter" : "gauge");
		for (size_t l = 0; f->labels[l]; l++)
			printf("%s%s", l ? "," : "", f->labels[l]);
		printf("\t%s\t%s\n", f->unit ? f->unit : "", f->help);
	}
}

static void dump_metrics(void)
{
	dump_families(sched_families);
	dump_families(prerender_families);
	for (size_t i = 0; collector_table[i]; i++)
		dump_families(collector_table[i]->families);
}

/* Loads path into cfg. On failure writes the error, naming the file and
 * line, into msg and returns a negative errno. */
static int load_config(const char *path, struct config *cfg, char *msg,
		       size_t msglen)
{
	const char *known[CONFIG_MAX_COLLECTORS + 1];
	struct config_error err;
	size_t n = 0;
	int rc;

	for (; collector_table[n] && n < CONFIG_MAX_COLLECTORS; n++)
		known[n] = collector_table[n]->name;
	known[n] = NULL;
	if (!path) {
		config_defaults(cfg);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	rc = config_load(path, known, cfg, &err);
	if (rc == 0)
		return 0;
	if (err.line)
		snprintf(msg, msglen, "%s:%u:%u: %s", path, err.line, err.column,
			 err.msg);
	else
		snprintf(msg, msglen, "%s: %s", path, err.msg);
	return rc;
}

/* Fills one scheduler entry per registry collector from the defaults, the
 * config file and the flags, in rising order of precedence. */
static size_t build_entries(const struct options *o, const struct config *cfg,
			    struct sched_entry *e)
{
	size_t n = 0;

	for (; collector_table[n] && n < CONFIG_MAX_COLLECTORS; n++) {
		const struct collector *c = collector_table[n];
		const struct config_collector *cc = &cfg->collectors[n];

		e[n].c = c;
		e[n].enabled = c->default_enabled;
		if (cc->enabled >= 0)
			e[n].enabled = cc->enabled;
		if (o->collector_flag[n] >= 0)
			e[n].enabled = o->collector_flag[n];
		e[n].interval_ms = cc->interval_ms ? cc->interval_ms : c->interval_ms;
		e[n].timeout_ms = cc->timeout_ms ? cc->timeout_ms : c->timeout_ms;
	}
	return n;
}

static void log_enabled(const struct sched_entry *e, size_t n)
{
	char list[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (!e[i].enabled)
			continue;
		len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
					"%s%s", len ? "," : "", e[i].c->name);
		if (len >= sizeof(list))
			break;
	}
	log_info("collectors enabled: %s", list[0] ? list : "(none)");
}

/* Re-reads the config file; a bad file is rejected and the running
 * configuration kept. live is the configuration env->cfg points at: it is
 * replaced while the collectors are stopped. */
static void reload(const struct options *o, const struct collector_env *env,
		   struct config *live)
{
	struct sched_entry e[CONFIG_MAX_COLLECTORS];
	struct config cfg;
	char msg[1024]; /* a path and a configuration error (512 bytes) */
	size_t n;

	if (!o->config_file) {
		log_info("SIGHUP: no --config.file to reload");
		return;
	}
	if (load_config(o->config_file, &cfg, msg, sizeof(msg))) {
		log_error("reload rejected: %s; keeping the running configuration",
			  msg);
		return;
	}
	n = build_entries(o, &cfg, e);
	sched_stop(STOP_GRACE_MS);
	config_free(live);
	*live = cfg;
	if (sched_start(e, n, env)) {
		log_error("reload: could not restart the collectors");
		return;
	}
	log_info("configuration reloaded from %s", o->config_file);
	log_enabled(e, n);
}

/* Waits for signals until SIGTERM or SIGINT. */
static void serve(const struct options *o, const struct collector_env *env,
		  struct config *cfg, const sigset_t *sigs)
{
	for (;;) {
		int sig = 0;

		if (sigwait(sigs, &sig))
			continue;
		if (sig == SIGHUP) {
			reload(o, env, cfg);
			continue;
		}
		log_info("received %s, shutting down", strsignal(sig));
		return;
	}
}

int main(int argc, char **argv)
{
	struct sched_entry entries[CONFIG_MAX_COLLECTORS];
	struct http_settings hs;
	struct collector_env env;
	struct options o;
	struct config cfg;
	char err[1024]; /* a path and a configuration error (512 bytes) */
	sigset_t sigs;
	size_t n;

#ifdef M_MMAP_THRESHOLD
	/* Scrape bodies and their gzip are megabytes that live for a
	 * generation. glibc raises its mmap threshold after the first such
	 * block is freed and serves the next ones from heaps that never
	 * shrink: a fixed threshold gives them back when freed. At 4 MiB the
	 * snapshot sets (under a megabyte or two at 1,000 containers) stay on
	 * the heap and are reused; at 256 KiB they were mapped afresh every
	 * cycle and their page faults cost a quarter of the collection. At
	 * 1,000 containers: RSS 27 MB, against 39 MB with glibc's default. */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
#endif
	if (opts_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		return 2;
	}
	if (o.help) {
		opts_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("virtmeter %s (libmicrohttpd %s; features: %s)\n",
		       version_string(), MHD_get_version(), version_features());
		return 0;
	}
	if (o.dump_metrics) {
		dump_metrics();
		return 0;
	}
	log_setup(o.log_level, o.log_format);
	if (o.check_config && !o.config_file) {
		fprintf(stderr, "virtmeter: error: --check-config needs --config.file\n");
		return 2;
	}
	if (load_config(o.config_file, &cfg, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		return 1;
	}
	if (o.check_config) {
		printf("%s: configuration OK\n", o.config_file);
		config_free(&cfg);
		return 0;
	}

	/* Signals are taken by sigwait() in this thread only: block them
	 * before any thread starts so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (snap_init()) {
		fprintf(stderr, "virtmeter: error: out of memory\n");
		return 1;
	}
	hs = (struct http_settings){
		.listen = o.listen,
		.nlisten = o.nlisten,
		.telemetry_path = o.telemetry_path,
		.max_connections = o.max_connections,
		.timeout_s = o.timeout_s,
	};
	if (prerender_start()) {
		fprintf(stderr, "virtmeter: error: cannot start a thread\n");
		return 1;
	}
	if (http_start(&hs, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		prerender_stop();
		return 1;
	}
	env = (struct collector_env){o.procfs, o.sysfs,	   o.cgroupfs,
				     o.settings, o.nsettings, &cfg};
	n = build_entries(&o, &cfg, entries);
	if (sched_start(entries, n, &env)) {
		fprintf(stderr, "virtmeter: error: cannot start the collectors\n");
		http_stop();
		prerender_stop();
		return 1;
	}
	log_info("virtmeter %s started; metrics at path %s", version_string(),
		 o.telemetry_path);
	log_enabled(entries, n);
	serve(&o, &env, &cfg, &sigs);
	http_stop();
	prerender_stop();
	sched_stop(STOP_GRACE_MS);
	config_free(&cfg);
	snap_shutdown();
	log_info("stopped");
	return 0;
}
