#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# GET /metrics?collect[]=NAME, as node_exporter: only the named collectors'
# families plus virtmeter's own (their collector status, build, HTTP and
# reload metrics); one, two, repeated and reordered names; brackets sent
# URL-encoded as Prometheus' params: does; an unknown or disabled name is a
# 400 in plain text that lists the names a client may use; gzip, OpenMetrics
# and HEAD as without a selection; each distinct selection rendered once per
# generation (counted by virtmeter_http_scrapes_total), and a selection
# scraped after a new cycle shows the new values.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v gzip >/dev/null 2>&1 || tap_skip_all "gzip not installed"

# The families of virtmeter itself, served with any selection.
SELF='virtmeter_build_info|virtmeter_collector_[a-z_]+|virtmeter_http_[a-z_]+|virtmeter_config_last_reload_[a-z_]+'

# sel NAME QUERY [CURL_ARGS...]: fetches /metrics?QUERY (brackets as
# given, curl -g) as text into $TEST_TMP/NAME.b; prints the status.
sel() {
	local name=$1 query=$2
	shift 2
	fetch "$name" "$VM_URL/metrics?$query" -g -H 'Accept: text/plain;version=0.0.4' "$@"
}
# names FILE: the sorted sample names of an exposition.
names() { grep -v '^#' "$1" | sed 's/[{ ].*//' | sort -u; }
# foreign FILE REGEX: the sample names that match neither REGEX nor SELF.
foreign() { names "$1" | grep -v -E "^($2|$SELF)\$"; }
# collectors FILE: the collector label values of virtmeter_collector_up.
collectors() {
	sed -n 's/^virtmeter_collector_up{collector="\([^"]*\)"}.*/\1/p' "$1" | sort | tr '\n' ' '
}

start_virtmeter || tap_abort "virtmeter starts with every default collector"
tap_ok "virtmeter starts with every default collector"
sleep 1

# ---- one collector, two, repeated ----------------------------------------------------
tap_is "$(sel one 'collect[]=host')" 200 "collect[]=host answers 200"
tap_is "$(header one Content-Type)" "$CT_TEXT" "collect[]=host: the text format"
lint_scrape "$TEST_TMP/one.b" text "collect[]=host: a clean exposition"
tap_is "$(foreign "$TEST_TMP/one.b" 'virtmeter_host_[a-z_]+')" "" \
	"collect[]=host: only the host collector's families and virtmeter's own"
tap_check "collect[]=host: virtmeter_host_cpu_seconds_total is there" has_sample "$TEST_TMP/one.b" virtmeter_host_cpu_seconds_total
tap_check "collect[]=host: virtmeter_build_info is there" has_sample "$TEST_TMP/one.b" virtmeter_build_info
tap_check "collect[]=host: virtmeter_config_last_reload_successful is there" \
	has_sample "$TEST_TMP/one.b" virtmeter_config_last_reload_successful
tap_is "$(collectors "$TEST_TMP/one.b")" "host " "collect[]=host: virtmeter_collector_up for host only"
fetch all "$VM_URL/metrics" -H 'Accept: text/plain;version=0.0.4' >/dev/null
tap_check "without collect[], process_* and other collectors' series are served" \
	test "$(foreign "$TEST_TMP/all.b" 'virtmeter_host_[a-z_]+' | wc -l)" -gt 5

tap_is "$(sel two 'collect[]=host&collect[]=process')" 200 "collect[]=host&collect[]=process answers 200"
tap_is "$(foreign "$TEST_TMP/two.b" 'virtmeter_host_[a-z_]+|process_[a-z_]+')" "" \
	"two collectors: only their families and virtmeter's own"
tap_check "two collectors: process_cpu_seconds_total is there" has_sample "$TEST_TMP/two.b" process_cpu_seconds_total
tap_check "two collectors: virtmeter_host_cpu_seconds_total is there" has_sample "$TEST_TMP/two.b" virtmeter_host_cpu_seconds_total
tap_is "$(collectors "$TEST_TMP/two.b")" "host process " "two collectors: virtmeter_collector_up for both, no other"
sel rep 'collect[]=process&collect[]=host&collect[]=process&collect[]=host&x=1' >/dev/null
tap_is "$(names "$TEST_TMP/rep.b")" "$(names "$TEST_TMP/two.b")" \
	"repeated and reordered names (and another parameter) select the same families"
for c in cgroup power model; do
	tap_check "collect[]=$c answers 200" test "$(sel c "collect[]=$c")" = 200
	tap_is "$(collectors "$TEST_TMP/c.b")" "$c " "collect[]=$c: virtmeter_collector_up for $c only"
done

# ---- URL-encoded brackets -----------------------------------------------------------
tap_is "$(sel enc 'collect%5B%5D=host')" 200 "collect%5B%5D=host answers 200"
tap_is "$(names "$TEST_TMP/enc.b")" "$(names "$TEST_TMP/one.b")" "collect%5B%5D=host selects what collect[]=host does"
sel enc2 'collect%5b%5d=ho%73t&collect%5B%5D=process' >/dev/null
tap_is "$(names "$TEST_TMP/enc2.b")" "$(names "$TEST_TMP/two.b")" \
	"lower-case escapes and an escaped name are decoded too"

# ---- unknown names ------------------------------------------------------------------
tap_is "$(sel bad 'collect[]=host&collect[]=gpu')" 400 "an unknown name answers 400"
tap_is "$(header bad Content-Type)" "text/plain; charset=utf-8" "the 400 is plain text"
known=$("$VIRTMETER" --help | awk '/^Collectors/ { on = 1; next } on && /^  [a-z0-9_]+ / { printf "%s%s", n++ ? ", " : "", $1 }')
tap_is "$(cat "$TEST_TMP/bad.b")" "400 collect[]: unknown collector 'gpu'; known collectors: $known" \
	"the 400 names the unknown collector and lists every known one ($known)"
tap_is "$(sel bad2 'collect%5B%5D=')" 400 "an empty name answers 400"
tap_is "$(sel bad3 'collect[]=host,process')" 400 "a comma-separated list is no name (400)"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the 400s, /healthz answers 200"

# ---- gzip, OpenMetrics, HEAD --------------------------------------------------------
tap_is "$(sel gz 'collect[]=host' -H 'Accept-Encoding: gzip')" 200 "collect[]=host with gzip answers 200"
tap_is "$(header gz Content-Encoding)" gzip "collect[]=host with Accept-Encoding: gzip gets Content-Encoding: gzip"
tap_like "$(header gz Vary)" 'Accept-Encoding' "a selection's response has 'Vary: Accept-Encoding'"
gzip -dc <"$TEST_TMP/gz.b" >"$TEST_TMP/gunz" 2>/dev/null
tap_is "$(names "$TEST_TMP/gunz")" "$(names "$TEST_TMP/one.b")" "the gzip body gunzips to the same selection"
fetch om "$VM_URL/metrics?collect[]=host" -g -H "Accept: $ACCEPT_PROM2" >/dev/null
tap_is "$(header om Content-Type)" "$CT_OPENMETRICS" "collect[]=host with Prometheus' Accept gets OpenMetrics"
tap_is "$(tail -n1 "$TEST_TMP/om.b")" "# EOF" "collect[]=host in OpenMetrics ends with '# EOF'"
lint_scrape "$TEST_TMP/om.b" openmetrics "collect[]=host in OpenMetrics: a clean exposition"
tap_is "$(foreign "$TEST_TMP/om.b" 'virtmeter_host_[a-z_]+')" "" "collect[]=host in OpenMetrics: the same selection"
sel hd 'collect[]=host' -I -H 'Accept-Encoding: gzip' >/dev/null
for h in Content-Type Content-Encoding Vary; do
	tap_is "$(header hd "$h")" "$(header gz "$h")" "HEAD with collect[]=host: the same $h as GET"
done

# ---- a new cycle ----------------------------------------------------------------------
t0=$(series_value "$TEST_TMP/one.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
v0=$(series_value "$TEST_TMP/one.b" 'virtmeter_host_cpu_seconds_total{mode="idle"}')
# shellcheck disable=SC2317 # called through wait_for
newer() {
	sel new 'collect[]=host' >/dev/null
	t1=$(series_value "$TEST_TMP/new.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(a != "" && b != "" && b > a) }'
}
if wait_for 12 newer; then
	tap_ok "after the host collector's next cycle, collect[]=host shows it (last success $t0 -> $t1)"
else
	tap_fail "after the host collector's next cycle, collect[]=host shows it" "last success '$t0', then '$t1'"
fi
# The idle time grows only while a CPU idles, which on a loaded host (or
# beside daemons under valgrind) may take more than one cycle.
# shellcheck disable=SC2317 # called through wait_for
idle_grew() {
	sel new 'collect[]=host' >/dev/null
	v1=$(series_value "$TEST_TMP/new.b" 'virtmeter_host_cpu_seconds_total{mode="idle"}')
	awk -v a="$v0" -v b="$v1" 'BEGIN { exit !(a != "" && b != "" && b > a) }'
}
if wait_for 12 idle_grew; then
	tap_ok "a later cycle's idle CPU time is served ($v0 -> $v1)"
else
	tap_fail "a later cycle's idle CPU time is served" "idle before '$v0', then '$v1'"
fi
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"

# ---- one render per selection and generation -----------------------------------------
# Only host and process, on a cycle of an hour: after their first cycles no
# generation is published until the SIGHUP below, so every scrape in
# between reads one generation, and the reload publishes the scrape
# counters.
CONF=$TEST_TMP/slow.yml
printf 'collectors:\n  host:\n    interval: 1h\n  process:\n    interval: 1h\n' >"$CONF"
start_virtmeter --config.file="$CONF" --collector.disable-defaults --collector.host --collector.process ||
	tap_abort "virtmeter starts with only host and process, every hour"
sleep 1.5
# scrapes FILE RENDER: virtmeter_http_scrapes_total{render=RENDER} in FILE.
scrapes() { series_value "$1" "virtmeter_http_scrapes_total{render=\"$2\"}"; }
fetch s0 "$VM_URL/metrics" -H 'Accept: text/plain;version=0.0.4' >/dev/null # inline
c0=$(scrapes "$TEST_TMP/s0.b" cached)
i0=$(scrapes "$TEST_TMP/s0.b" inline)
sel a 'collect[]=host&collect[]=process' >/dev/null                        # inline
sel b 'collect[]=process&collect[]=host&collect[]=process' >/dev/null      # cached
sel c 'collect[]=host' >/dev/null                                          # inline
sel d 'collect[]=host&collect[]=process' -H 'Accept-Encoding: gzip' >/dev/null  # inline
sel e 'collect%5B%5D=process&collect%5B%5D=host' -H 'Accept-Encoding: gzip' >/dev/null # cached
tap_check "the same selection in another order is served the same bytes" cmp -s "$TEST_TMP/a.b" "$TEST_TMP/b.b"
tap_check "the same selection with gzip is served the same compressed bytes" cmp -s "$TEST_TMP/d.b" "$TEST_TMP/e.b"
tap_is "$(sel dis 'collect[]=cgroup')" 400 "a disabled collector answers 400"
tap_is "$(cat "$TEST_TMP/dis.b")" "400 collect[]: collector 'cgroup' is disabled; enabled collectors: host, process" \
	"the 400 says it is disabled and lists the enabled ones"
kill -HUP "$VM_PID"
wait_for 5 grep -q 'configuration reloaded' "$VM_LOG"
fetch s1 "$VM_URL/metrics" -H 'Accept: text/plain;version=0.0.4' >/dev/null
c1=$(scrapes "$TEST_TMP/s1.b" cached)
i1=$(scrapes "$TEST_TMP/s1.b" inline)
tap_is "$(awk -v a="$i0" -v b="$i1" 'BEGIN { print b - a }')" 4 \
	"four renders for one unfiltered and three distinct selected scrapes (inline $i0 -> $i1)"
tap_is "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" 2 \
	"a selection asked again in another order is served from the cache (cached $c0 -> $c1)"
ta=$(series_value "$TEST_TMP/a.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
# shellcheck disable=SC2317 # called through wait_for
renewed() {
	sel after 'collect[]=process&collect[]=host' >/dev/null
	tb=$(series_value "$TEST_TMP/after.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
	awk -v a="$ta" -v b="$tb" 'BEGIN { exit !(a != "" && b != "" && b > a) }'
}
tap_check "after the reload's new cycles, the cached selection is rendered anew" wait_for 5 renewed
tap_diag "host's last success in the selection: $ta, then $tb"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
tap_done
