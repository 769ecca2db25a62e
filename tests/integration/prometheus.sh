#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# A real Prometheus server scrapes virtmeter every second and can query what
# it got: the target is up with no scrape error, virtmeter_build_info and
# the host CPU counters are there with their labels, Prometheus ingested
# every sample of the exposition and logged no ingestion error (duplicate
# or out-of-order samples). A second job scrapes only the host and process
# collectors through params: collect[] (which Prometheus URL-encodes).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v prometheus >/dev/null 2>&1 || tap_skip_all "prometheus not installed (Debian package prometheus)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"

tap_diag "$(prometheus --version 2>&1 | head -n1)"
version=$("$VIRTMETER" --version | awk '{ print $2; exit }')

start_virtmeter || tap_abort "virtmeter starts and serves /healthz"
tap_ok "virtmeter starts and serves /healthz"

# ---- Prometheus ---------------------------------------------------------------------
cat >"$TEST_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: virtmeter
    static_configs:
      - targets: ['127.0.0.1:$VM_PORT']
  - job_name: virtmeter-selected
    params:
      collect[]: [host, process]
    static_configs:
      - targets: ['127.0.0.1:$VM_PORT']
EOF
start_prometheus "$TEST_TMP/prometheus.yml"
if [ -z "$PROM_PID" ]; then
	tap_diag "prometheus log:"
	tap_diag_file "$PROM_LOG"
	tap_abort "Prometheus starts on loopback and becomes ready"
fi
tap_ok "Prometheus starts on loopback and becomes ready"

# query NAME PROMQL: instant query; the JSON answer in $TEST_TMP/NAME.json.
query() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$2" \
		-o "$TEST_TMP/$1.json" 2>/dev/null
}
# has_result NAME PROMQL: the query succeeds with a non-empty result.
has_result() {
	query "$1" "$2" && grep -q '"status":"success"' "$TEST_TMP/$1.json" &&
		grep -q '"result":\[{' "$TEST_TMP/$1.json"
}

# Each job's first scrape: Prometheus starts its targets' scrape loops at
# offsets of up to an interval, and a check made before a job's first
# scrape ends finds its target "unknown" and no series of it.
deadline=$((SECONDS + 30))
for q in 'virtmeter_build_info{job="virtmeter"}' 'virtmeter_host_cpu_seconds_total{job="virtmeter"}' \
	'up{job="virtmeter-selected"}'; do
	found=""
	while [ $SECONDS -le $deadline ]; do
		if has_result q "$q"; then
			found=1
			break
		fi
		sleep 0.5
	done
	if [ -n "$found" ]; then
		tap_ok "Prometheus has $q from its scrapes"
	else
		tap_fail "Prometheus has $q from its scrapes (within 30 s)" "last answer: $(head -c 400 "$TEST_TMP/q.json" 2>/dev/null)"
	fi
done

query bi virtmeter_build_info
tap_like "$(cat "$TEST_TMP/bi.json")" "\"version\":\"$version\"" "virtmeter_build_info in Prometheus has version=\"$version\""
tap_like "$(cat "$TEST_TMP/bi.json")" '"libmicrohttpd":"[0-9]' "virtmeter_build_info in Prometheus has the libmicrohttpd label"
tap_like "$(cat "$TEST_TMP/bi.json")" '"value":\[[0-9.]+,"1"\]' "virtmeter_build_info in Prometheus is 1"
query cpu 'virtmeter_host_cpu_seconds_total{mode="idle"}'
tap_like "$(cat "$TEST_TMP/cpu.json")" '"result":\[\{"metric":\{"__name__":"virtmeter_host_cpu_seconds_total"' \
	"Prometheus stores virtmeter_host_cpu_seconds_total{mode=\"idle\"} under its _total name"
query up 'up{job="virtmeter"}'
tap_like "$(cat "$TEST_TMP/up.json")" '"value":\[[0-9.]+,"1"\]' "up{job=\"virtmeter\"} is 1"
query cu 'virtmeter_collector_up{collector="host"}'
tap_like "$(cat "$TEST_TMP/cu.json")" '"value":\[[0-9.]+,"1"\]' "virtmeter_collector_up{collector=\"host\"} is 1 in Prometheus"

# ---- a job with collect[] --------------------------------------------------------------
# value_of NAME: the value of the one sample of the query answer NAME.
value_of() { grep -o '"value":\[[0-9.]*,"[^"]*"\]' "$TEST_TMP/$1.json" | sed 's/.*,"\([^"]*\)"\]/\1/'; }
deadline=$((SECONDS + 15))
until has_result sel 'process_cpu_seconds_total{job="virtmeter-selected"}' || [ $SECONDS -gt $deadline ]; do
	sleep 0.5
done
tap_check "the collect[] job has process_cpu_seconds_total" \
	has_result sel 'process_cpu_seconds_total{job="virtmeter-selected"}'
tap_check "the collect[] job has virtmeter_host_cpu_seconds_total" \
	has_result sel 'virtmeter_host_cpu_seconds_total{job="virtmeter-selected",mode="idle"}'
query sel 'count(virtmeter_collector_up{job="virtmeter-selected"})'
tap_is "$(value_of sel)" 2 "the collect[] job has virtmeter_collector_up for its two collectors only"
query sel 'count({job="virtmeter-selected",__name__!~"virtmeter_host_.*|process_.*|virtmeter_build_info|virtmeter_collector_.*|virtmeter_http_.*|virtmeter_config_.*|up|scrape_.*"})'
tap_like "$(cat "$TEST_TMP/sel.json")" '"result":\[\]' "the collect[] job has no other collector's series"
# (The cgroup collector's first cycle may end after the first scrapes.)
deadline=$((SECONDS + 15))
until has_result sel 'count({job="virtmeter",__name__=~"virtmeter_cgroup_.*"})' || [ $SECONDS -gt $deadline ]; do
	sleep 0.5
done
tap_like "$(cat "$TEST_TMP/sel.json")" '"result":\[\{' "while the job without collect[] has the cgroup collector's"

# ---- the target ----------------------------------------------------------------------
curl -sS --max-time 5 "$PROM_URL/api/v1/targets?state=active" -o "$TEST_TMP/targets.json" 2>/dev/null
targets=$(cat "$TEST_TMP/targets.json")
tap_like "$targets" "\"scrapeUrl\":\"http://127.0.0.1:$VM_PORT/metrics\"" "/api/v1/targets lists virtmeter's /metrics"
tap_like "$targets" "\"scrapeUrl\":\"http://127.0.0.1:$VM_PORT/metrics\\?collect%5B%5D=host[^\"]*collect%5B%5D=process\"" \
	"/api/v1/targets shows that Prometheus sends collect[] URL-encoded"
tap_like "$targets" '"health":"up"' "/api/v1/targets shows the target healthy (\"up\")"
tap_like "$targets" '"lastError":""' "/api/v1/targets shows no lastError"
tap_unlike "$targets" '"health":"(down|unknown)"' "/api/v1/targets shows no unhealthy target"
grep -q '"lastError":"[^"]' "$TEST_TMP/targets.json" &&
	tap_diag "targets: $(head -c 600 "$TEST_TMP/targets.json")"

# Prometheus ingested every sample of the exposition. The exposition grows
# while virtmeter starts (the energy model's series come with its first
# intervals): compare once the count has held still between two of our
# scrapes, at most 30 s.
prev=""
for ((i = 0; i < 30; i++)); do
	scrape mine openmetrics >/dev/null
	mine=$(grep -cv '^#' "$TEST_TMP/mine.b")
	query sss 'scrape_samples_scraped{job="virtmeter"}'
	theirs=$(grep -o '"value":\[[0-9.]*,"[0-9]*"\]' "$TEST_TMP/sss.json" | sed 's/.*,"\([0-9]*\)"\]/\1/')
	[ "$mine" = "$prev" ] && [ "$theirs" = "$mine" ] && break
	prev=$mine
	sleep 1
done
tap_is "$theirs" "$mine" "scrape_samples_scraped equals the samples in virtmeter's exposition"
query spa 'scrape_series_added{job="virtmeter"}'
tap_like "$(cat "$TEST_TMP/spa.json")" '"result":\[\{' "Prometheus reports scrape_series_added for virtmeter"

# Metadata: Prometheus understood the TYPE lines.
curl -sS --max-time 5 -G "$PROM_URL/api/v1/targets/metadata" \
	--data-urlencode 'match_target={job="virtmeter"}' -o "$TEST_TMP/meta.json" 2>/dev/null
tap_like "$(cat "$TEST_TMP/meta.json")" '"metric":"virtmeter_host_cpu_seconds(_total)?","type":"counter"' \
	"Prometheus's metadata has virtmeter_host_cpu_seconds as a counter"
tap_like "$(cat "$TEST_TMP/meta.json")" '"metric":"virtmeter_host_cpu_seconds(_total)?","type":"counter","help":"[^"]*","unit":"seconds"' \
	"Prometheus's metadata has the unit seconds (so it negotiated OpenMetrics, which alone carries units)"
tap_like "$(cat "$TEST_TMP/meta.json")" '"metric":"virtmeter_host_memory_total_bytes","type":"gauge"' \
	"Prometheus's metadata has virtmeter_host_memory_total_bytes as a gauge"

sleep 1.5 # one more scrape, so that an ingestion error would be logged
errors=$(grep -Ei 'Error on ingesting|duplicate sample|out of order|append failed|scrape.*err' "$PROM_LOG")
tap_is "$errors" "" "Prometheus logs no ingestion or scrape error for virtmeter"

kill_pid "$PROM_PID"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0 after Prometheus scraped it"
tap_done
