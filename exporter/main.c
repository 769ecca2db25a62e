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
#include "exporter/http_conns.h"
#include "exporter/api/log.h"
#include "exporter/options.h"
#include "exporter/prerender.h"
#include "exporter/runas.h"
#include "exporter/scheduler.h"
#include "exporter/api/snapshot.h"
#include "exporter/version.h"
#include "exporter/web.h"

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

/* The families the daemon publishes itself, besides its collectors':
 * listed by --dump-metrics, and kept from the textfile collector's files. */
static const struct snap_family *const *const self_families[] = {
	sched_families,
	prerender_families,
	http_conns_families,
	NULL,
};

static void dump_metrics(void)
{
	for (size_t i = 0; self_families[i]; i++)
		dump_families(self_families[i]);
	for (size_t i = 0; collector_table[i]; i++)
		dump_families(collector_table[i]->families);
}

/* Prints one collector setting per line for --dump-settings: the flag,
 * the file key (collectors.NAME.KEY), the type, the default and the
 * limit, tab-separated; "-" where there is none. */
static void dump_settings(void)
{
	static const char *const types[] = {
		[SETTING_BOOL] = "bool", [SETTING_UINT] = "number",
		[SETTING_STRING] = "string", [SETTING_LIST] = "list",
	};

	for (size_t i = 0; collector_table[i]; i++) {
		const struct collector *c = collector_table[i];

		for (size_t k = 0; c->options && c->options[k].key; k++) {
			const struct collector_option *opt = &c->options[k];
			char limit[64] = "-";

			if (opt->type == SETTING_UINT)
				snprintf(limit, sizeof(limit), "%lu to %lu", opt->min,
					 opt->max);
			else if (opt->max && opt->type == SETTING_LIST)
				snprintf(limit, sizeof(limit), "at most %lu items",
					 opt->max);
			else if (opt->max)
				snprintf(limit, sizeof(limit), "at most %lu bytes",
					 opt->max);
			printf("--collector.%s.%s\tcollectors.%s.", c->name, opt->key,
			       c->name);
			for (const char *p = opt->key; *p; p++)
				putchar(*p == '-' ? '_' : *p);
			printf("\t%s\t%s\t%s\n", types[opt->type],
			       opt->def && *opt->def ? opt->def : "-", limit);
		}
	}
}

/* Builds the configuration: the defaults, then path (NULL: none), then
 * the flags of o. On failure writes the error, naming the file and line
 * or the flag, into msg and returns a negative errno. */
static int load_config(const struct options *o, const char *path,
		       struct config **out, char *msg, size_t msglen)
{
	struct config_error err;
	struct config *cfg = NULL;
	int rc;

	memset(&err, 0, sizeof(err));
	if (!path) {
		cfg = config_new(collector_table);
		rc = cfg ? 0 : -ENOMEM;
		if (rc)
			snprintf(msg, msglen, "out of memory");
	} else {
		rc = config_load(path, collector_table, &cfg, &err);
		if (rc && err.line)
			snprintf(msg, msglen, "%s:%u:%u: %s", path, err.line,
				 err.column, err.msg);
		else if (rc)
			snprintf(msg, msglen, "%s: %s", path, err.msg);
	}
	if (rc == 0)
		rc = config_apply_flags(cfg, o->flags, o->nflags, msg, msglen);
	if (rc == 0)
		rc = config_check(cfg, msg, msglen);
	if (rc) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* Fills one scheduler entry per registry collector from the defaults (all
 * off with --collector.disable-defaults), the config and the flags, in
 * rising order of precedence. */
static size_t build_entries(const struct options *o, const struct config *cfg,
			    struct sched_entry *e)
{
	for (size_t n = 0; n < cfg->n; n++) {
		const struct collector *c = cfg->table[n];
		const struct config_collector *cc = &cfg->c[n];

		e[n].c = c;
		e[n].enabled = opts_collector_enabled(o, n, cc->enabled,
						      c->default_enabled);
		e[n].interval_ms = cc->interval_ms ? cc->interval_ms : c->interval_ms;
		e[n].timeout_ms = cc->timeout_ms ? cc->timeout_ms : c->timeout_ms;
		e[n].settings = cc->settings;
	}
	return cfg->n;
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
 * configuration kept. *live is the configuration the collectors run
 * with: it is replaced while they are stopped, and freed unless a
 * collector stuck in its source was left behind with it. web_ok says
 * whether the web configuration's reload went well, for the reload
 * metrics. */
static void reload_collectors(const struct options *o,
			      const struct collector_env *env,
			      struct config **live, bool web_ok)
{
	struct sched_entry *e;
	struct config *cfg;
	char msg[1024];
	size_t n;

	if (load_config(o, o->config_file, &cfg, msg, sizeof(msg))) {
		log_error("reload rejected: %s; keeping the running configuration",
			  msg);
		sched_note_reload(false);
		return;
	}
	e = calloc(cfg->n ? cfg->n : 1, sizeof(*e));
	if (!e) {
		log_error("reload rejected: out of memory");
		sched_note_reload(false);
		config_free(cfg);
		return;
	}
	n = build_entries(o, cfg, e);
	if (sched_stop(STOP_GRACE_MS))
		config_free(*live);
	else
		log_warn("reload: the old configuration is kept in memory for "
			 "the collector left behind");
	*live = cfg;
	sched_note_reload(web_ok);
	if (sched_start(e, n, env)) {
		log_error("reload: could not restart the collectors");
	} else {
		log_info("configuration reloaded from %s", o->config_file);
		log_enabled(e, n);
		runas_check(e, n);
	}
	free(e);
}

/* SIGHUP: re-reads the web configuration file (certificates and keys
 * included), then the config file. Each bad file is rejected on its own
 * and its running configuration kept. */
static void reload(const struct options *o, const struct collector_env *env,
		   struct config **live)
{
	bool web_ok = true;

	if (!o->config_file && !o->web_config_file) {
		log_info("SIGHUP: no --config.file or --web.config.file to reload");
		return;
	}
	if (o->web_config_file)
		web_ok = web_reload(o->web_config_file) == 0;
	if (o->config_file)
		reload_collectors(o, env, live, web_ok);
	else
		sched_note_reload(web_ok);
}

/* Waits for signals until SIGTERM or SIGINT. */
static void serve(const struct options *o, const struct collector_env *env,
		  struct config **cfg, const sigset_t *sigs)
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

/* Runs the daemon once the command line is parsed. Returns the exit
 * status. */
static int run(const struct options *o)
{
	struct sched_entry *entries = NULL;
	struct web_state *web = NULL;
	struct http_settings hs;
	struct collector_env env;
	struct runas_user user;
	struct config *cfg = NULL;
	char err[1024];
	sigset_t sigs;
	size_t n;
	int status = 1;

	log_setup(o->log_level, o->log_format);
	if (o->check_config && !o->config_file && !o->web_config_file) {
		fprintf(stderr, "virtmeter: error: --check-config needs "
			"--config.file or --web.config.file\n");
		return 2;
	}
	if (o->runas && runas_lookup(o->runas, &user, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		return 2;
	}
	if (load_config(o, o->config_file, &cfg, err, sizeof(err)) ||
	    web_load(o->web_config_file, &web, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if (o->check_config) {
		if (o->config_file)
			printf("%s: configuration OK\n", o->config_file);
		if (o->web_config_file)
			printf("%s: configuration OK\n", o->web_config_file);
		web_state_free(web);
		config_free(cfg);
		return 0;
	}
	entries = calloc(cfg->n ? cfg->n : 1, sizeof(*entries));
	if (!entries) {
		fprintf(stderr, "virtmeter: error: out of memory\n");
		goto out;
	}

	/* Signals are taken by sigwait() in this thread only: block them
	 * before any thread starts so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	hs = (struct http_settings){
		.listen = o->listen,
		.nlisten = o->nlisten,
		.telemetry_path = o->telemetry_path,
		.max_connections = o->max_connections,
		.max_requests = o->max_requests,
		.timeout_s = o->timeout_s,
	};
	n = build_entries(o, cfg, entries);
	/* What needs root is opened first (the listening sockets, the web
	 * configuration's keys, read above), then root is given up, before
	 * any thread starts: capabilities belong to each thread. */
	if (o->runas && (http_bind(&hs, err, sizeof(err)) ||
			 runas_drop(&user, entries, n, o->storage, err,
				    sizeof(err)))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		http_stop();
		goto out;
	}
	if (snap_init()) {
		fprintf(stderr, "virtmeter: error: out of memory\n");
		goto out;
	}
	if (prerender_start()) {
		fprintf(stderr, "virtmeter: error: cannot start a thread\n");
		goto out;
	}
	web_start(web, o->web_config_file);
	web = NULL;
	if (http_start(&hs, err, sizeof(err))) {
		fprintf(stderr, "virtmeter: error: %s\n", err);
		prerender_stop();
		goto out;
	}
	env = (struct collector_env){
		.procfs = o->procfs, .sysfs = o->sysfs, .cgroupfs = o->cgroupfs,
		.storage = o->storage, .self_families = self_families,
		.fd_reserve = http_fd_reserve()};
	sched_note_reload(true); /* the start-up load counts, as in Prometheus */
	if (sched_start(entries, n, &env)) {
		fprintf(stderr, "virtmeter: error: cannot start the collectors\n");
		http_stop();
		prerender_stop();
		goto out;
	}
	log_info("virtmeter %s started; metrics at path %s", version_string(),
		 o->telemetry_path);
	log_enabled(entries, n);
	serve(o, &env, &cfg, &sigs);
	http_stop();
	web_stop();
	prerender_stop();
	if (!sched_stop(STOP_GRACE_MS))
		cfg = NULL; /* a collector left behind may still read it */
	snap_shutdown();
	log_info("stopped");
	status = 0;
out:
	web_stop();
	web_state_free(web);
	free(entries);
	config_free(cfg);
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	char err[1024];
	int status;

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
		opts_free(&o);
		return 2;
	}
	if (o.help) {
		opts_usage(stdout);
		status = 0;
	} else if (o.version) {
		printf("virtmeter %s (libmicrohttpd %s; features: %s)\n",
		       version_string(), MHD_get_version(), version_features());
		status = 0;
	} else if (o.dump_metrics) {
		dump_metrics();
		status = 0;
	} else if (o.dump_settings) {
		dump_settings();
		status = 0;
	} else {
		status = run(&o);
	}
	opts_free(&o);
	return status;
}
