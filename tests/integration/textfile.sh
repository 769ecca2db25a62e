#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The textfile collector in the real daemon, on a directory of this test:
# the samples of its *.prom files are served beside virtmeter's own with
# their values, types and help; virtmeter_textfile_mtime_seconds follows
# each file; a file that changes is read again at the next cycle, one that
# is removed goes; a bad file (invalid, a duplicate of another file's
# series, one of virtmeter's own names) is skipped whole with one log line
# naming file and line while the others stay served and
# virtmeter_textfile_scrape_error says 1; files that come and go under the
# scrapes never break it; promtool finds every scrape clean. The
# directory is set by the configuration file in one run and by the flag
# in another; without one, only the error gauge is exported.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"

D=$TEST_TMP/textfile
mkdir -p "$D"
CONF=$TEST_TMP/virtmeter.yml
ONLY=(--no-collector.host --no-collector.cgroup --no-collector.power --no-collector.libvirt
	--no-collector.perf --no-collector.model)

# put NAME MTIME TEXT: writes D/NAME with printf's %b of TEXT through a
# temporary file renamed into place (as the README tells jobs to), its
# mtime set to the Unix time MTIME.
put() {
	printf '%b' "$3" >"$D/.$1.tmp" && touch -d "@$2" "$D/.$1.tmp" && mv -f "$D/.$1.tmp" "$D/$1"
}

# now NAME: scrapes the text format into $TEST_TMP/NAME.b.
now() { scrape "$1" text >/dev/null; }
# Predicates for wait_for: the scrape has SERIES with VALUE, or lacks it.
# shellcheck disable=SC2317
serves() { now w && [ "$(series_value "$TEST_TMP/w.b" "$1")" = "$2" ]; }
# shellcheck disable=SC2317
lacks() { now w && ! grep -qF -- "$1 " "$TEST_TMP/w.b"; }
# logged WORDS: how many lines of the log hold WORDS.
logged() { grep -cF -- "$1" "$VM_LOG"; }

put jobs.prom 1600000000 '# HELP backup_last_success_timestamp_seconds Unix time of the last good backup.
# TYPE backup_last_success_timestamp_seconds gauge
backup_last_success_timestamp_seconds{job="home"} 1700000000
backup_last_success_timestamp_seconds{job="mail"} 1700000100
# HELP backup_runs_total Backups run.
# TYPE backup_runs_total counter
backup_runs_total{job="home"} 42
'
put apt.prom 1600000500 'apt_upgrades_pending{origin="security",arch="amd64"} 3
apt_upgrades_pending{origin="stable"} 11
'
printf 'not_read 1\n' >"$D/notes.txt"
mkdir -p "$D/sub" && printf 'not_read 1\n' >"$D/sub/deep.prom"
printf 'collectors:\n  textfile:\n    interval: 1s\n    directory: %s\n' "$D" >"$CONF"

start_virtmeter --config.file="$CONF" "${ONLY[@]}" || tap_abort "virtmeter starts with collectors.textfile.directory"
tap_ok "virtmeter starts with collectors.textfile.directory in its configuration file"
wait_for 5 serves 'virtmeter_collector_up{collector="textfile"}' 1
now s
tap_is "$(series_value "$TEST_TMP/s.b" 'backup_last_success_timestamp_seconds{job="mail"}')" 1700000100 \
	"a gauge of a file is served with its value"
tap_is "$(series_value "$TEST_TMP/s.b" 'backup_runs_total{job="home"}')" 42 "a counter of a file is served with its value"
tap_is "$(series_value "$TEST_TMP/s.b" 'apt_upgrades_pending{arch="",origin="stable"}')" 11 \
	"an untyped family gets every label name of its samples (\"\" where a sample lacks one)"
tap_is "$(grep -E '^# (TYPE|HELP) (backup_runs_total|apt_upgrades_pending) ' "$TEST_TMP/s.b")" \
	"# HELP apt_upgrades_pending Metric read from $D/apt.prom
# TYPE apt_upgrades_pending untyped
# HELP backup_runs_total Backups run.
# TYPE backup_runs_total counter" "TYPE and HELP are the file's; a family without HELP is 'Metric read from FILE'"
tap_is "$(series_value "$TEST_TMP/s.b" "virtmeter_textfile_mtime_seconds{file=\"$D/jobs.prom\"}")" 1600000000 \
	"virtmeter_textfile_mtime_seconds is the file's mtime"
tap_is "$(series_value "$TEST_TMP/s.b" "virtmeter_textfile_mtime_seconds{file=\"$D/apt.prom\"}")" 1600000500 \
	"each file has its own mtime"
tap_is "$(grep -c '^virtmeter_textfile_mtime_seconds{' "$TEST_TMP/s.b")" 2 \
	"only *.prom files of the directory itself are read (not notes.txt, not sub/deep.prom)"
tap_is "$(series_value "$TEST_TMP/s.b" virtmeter_textfile_scrape_error)" 0 "virtmeter_textfile_scrape_error is 0 with good files"
lint_scrape "$TEST_TMP/s.b" text "the scrape with the files' samples is clean for promtool check metrics"
scrape om openmetrics >/dev/null
lint_scrape "$TEST_TMP/om.b" openmetrics "the OpenMetrics scrape with the files' samples is well formed"
tap_like "$(grep -E '^# TYPE apt_upgrades_pending ' "$TEST_TMP/om.b")" 'unknown$' "an untyped family is 'unknown' in OpenMetrics"
tap_is "$(grep -E '^# UNIT backup_last' "$TEST_TMP/om.b")" \
	'# UNIT backup_last_success_timestamp_seconds seconds' "a family named ..._seconds has its UNIT in OpenMetrics"

# ---- a real Prometheus scrapes all along ---------------------------------------------
# It scrapes every second from here to the end of this run (bad files and
# churn included); its view is checked at the end.
if command -v prometheus >/dev/null 2>&1; then
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: virtmeter\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
		"$VM_PORT" >"$TEST_TMP/prometheus.yml"
	start_prometheus "$TEST_TMP/prometheus.yml"
fi
# prom_query PROMQL: the JSON answer of an instant query.
# shellcheck disable=SC2317
prom_query() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" 2>/dev/null
}
# shellcheck disable=SC2317
prom_has() { prom_query "$1" | grep -q "\"value\":\[[0-9.]*,\"$2\"\]"; }
if [ -n "$PROM_PID" ] && wait_for 20 prom_has 'apt_upgrades_pending{origin="stable"}' 11; then
	tap_ok "Prometheus ingests a file's untyped family (OpenMetrics 'unknown')"
	tap_check "and a file's counter under its _total name" prom_has 'backup_runs_total{exported_job="home"}' 42
else
	tap_skip "Prometheus ingests the files' samples" "prometheus not installed or not ready"
	PROM_PID=""
fi

# ---- a file that changes, then one removed ---------------------------------------------
put jobs.prom 1600000900 '# TYPE backup_runs_total counter
backup_runs_total{job="home"} 43
'
if wait_for 5 serves 'backup_runs_total{job="home"}' 43; then
	tap_ok "a file rewritten between cycles is served with its new value"
else
	tap_fail "a file rewritten between cycles is served with its new value" "$(grep backup_runs "$TEST_TMP/w.b")"
fi
tap_is "$(series_value "$TEST_TMP/w.b" "virtmeter_textfile_mtime_seconds{file=\"$D/jobs.prom\"}")" 1600000900 \
	"its mtime follows"
tap_check "the samples it no longer holds are gone" lacks 'backup_last_success_timestamp_seconds{job="home"}'
rm -f "$D/apt.prom"
tap_check "a file removed while the daemon runs takes its samples with it" \
	wait_for 5 lacks 'apt_upgrades_pending{arch="",origin="stable"}'
tap_check "and its mtime series" lacks "virtmeter_textfile_mtime_seconds{file=\"$D/apt.prom\"}"

# ---- bad files are skipped whole ---------------------------------------------------------
put bad.prom 1600001000 'bad_first_line 1\nbad_sample{job="x"} 1 1700000000000\n'
put zdup.prom 1600001000 'dup_first_line 1\n# TYPE backup_runs_total counter\nbackup_runs_total{job="home"} 1\n'
put own.prom 1600001000 'own_first_line 1\nvirtmeter_collector_up{collector="fake"} 1\n'
put builtin.prom 1600001000 '# TYPE virtmeter_host_cpu_seconds_total counter\nvirtmeter_host_cpu_seconds_total{mode="user"} 1\n'
wait_for 5 serves virtmeter_textfile_scrape_error 1
tap_is "$(series_value "$TEST_TMP/w.b" virtmeter_textfile_scrape_error)" 1 "virtmeter_textfile_scrape_error is 1 while a file is bad"
sleep 2.5 # a few more cycles: each bad file must still be logged once
now b
tap_is "$(grep -cE '^(bad|dup|own)_first_line|^virtmeter_host_cpu_seconds_total' "$TEST_TMP/b.b")" 0 \
	"a bad file is skipped whole: not even its good lines are served"
tap_is "$(series_value "$TEST_TMP/b.b" 'backup_runs_total{job="home"}')" 43 "the good file is still served, once"
tap_is "$(series_value "$TEST_TMP/b.b" 'virtmeter_collector_up{collector="fake"}')" "" \
	"a file's sample never joins one of virtmeter's own families"
tap_is "$(grep -c '^virtmeter_textfile_mtime_seconds{' "$TEST_TMP/b.b")" 1 "bad files have no mtime series"
tap_is "$(logged "$D/bad.prom:2: a timestamp")" 1 "a sample with a timestamp is logged once, naming file and line"
tap_is "$(logged "$D/zdup.prom:3: backup_runs_total: the same series as $D/jobs.prom:2")" 1 \
	"a series already in another file is logged once, naming both files"
tap_is "$(logged "$D/own.prom:2: virtmeter_collector_up is a name of virtmeter's own")" 1 \
	"one of the daemon's own families (virtmeter_collector_up) is refused, logged once"
tap_is "$(logged "$D/builtin.prom:1: virtmeter_host_cpu_seconds_total would be served as virtmeter_host_cpu_seconds")" 1 \
	"a collector's family (virtmeter_host_cpu_seconds_total, its collector disabled) is refused, logged once"
tap_is "$(grep -c 'textfile: .*skipped' "$VM_LOG")" 4 "four bad files, four log lines in all"
lint_scrape "$TEST_TMP/b.b" text "the scrape with bad files present is clean for promtool check metrics"
rm -f "$D/bad.prom" "$D/zdup.prom" "$D/own.prom" "$D/builtin.prom"
tap_check "once the bad files are gone, virtmeter_textfile_scrape_error is 0 again" \
	wait_for 5 serves virtmeter_textfile_scrape_error 0

# ---- files that come and go under the scrapes ------------------------------------------
(
	for ((i = 0; i < 300; i++)); do
		printf 'churn_value %d\n' "$i" >"$D/.churn.tmp" && mv -f "$D/.churn.tmp" "$D/churn.prom"
		rm -f "$D/churn.prom"
	done
) &
churner=$!
lib_track_pid "$churner"
errors=0 scrapes=0
while kill -0 "$churner" 2>/dev/null && [ "$scrapes" -lt 200 ]; do
	now c
	scrapes=$((scrapes + 1))
	[ "$(series_value "$TEST_TMP/c.b" virtmeter_textfile_scrape_error)" = 0 ] || errors=$((errors + 1))
done
wait "$churner"
lib_untrack_pid "$churner"
sleep 1.2
tap_is "$errors" 0 "a file removed between the listing and its read is skipped quietly ($scrapes scrapes under churn)"
tap_check "the daemon still serves after the churn" serves 'virtmeter_collector_up{collector="textfile"}' 1
tap_is "$(grep -c 'churn' "$VM_LOG")" 0 "a vanished file is not logged"

if [ -n "$PROM_PID" ]; then
	targets=$(curl -sS --max-time 5 "$PROM_URL/api/v1/targets?state=active" 2>/dev/null)
	tap_like "$targets" '"health":"up".*"lastError":""|"lastError":"".*"health":"up"' \
		"after the changes, bad files and churn, Prometheus's target is healthy with no scrape error"
	tap_is "$(grep -ciE 'error on ingesting|duplicate sample|out of order' "$PROM_LOG")" 0 \
		"Prometheus logged no ingestion error (no duplicate series ever reached it)"
	kill_pid "$PROM_PID"
fi
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with 0"

# ---- the flag, and no directory ------------------------------------------------------------
put flag.prom 1600002000 'from_the_flag 1\n'
rm -f "$D/jobs.prom"
start_virtmeter "${ONLY[@]}" --collector.textfile.directory="$D/" || tap_abort "virtmeter starts with --collector.textfile.directory"
wait_for 8 serves from_the_flag 1
tap_is "$(series_value "$TEST_TMP/w.b" "virtmeter_textfile_mtime_seconds{file=\"$D/flag.prom\"}")" 1600002000 \
	"--collector.textfile.directory=DIR/ reads DIR; the file label has one slash"
stop_virtmeter
start_virtmeter "${ONLY[@]}" || tap_abort "virtmeter starts without a textfile directory"
wait_for 5 serves 'virtmeter_collector_up{collector="textfile"}' 1
tap_is "$(grep -E '^virtmeter_textfile' "$TEST_TMP/w.b")" "virtmeter_textfile_scrape_error 0" \
	"without a directory, the collector exports only virtmeter_textfile_scrape_error 0"
stop_virtmeter
tap_like "$("$VIRTMETER" --help | tr -s ' \n' '  ')" 'without a directory, only virtmeter_textfile_scrape_error' \
	"--help says what the collector exports without a directory"

tap_done
