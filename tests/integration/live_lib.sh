# shellcheck shell=bash disable=SC2034,SC2154,SC2016 # LIVE_* are for the sourcing scripts, top_srcdir is lib.sh's
# A real Prometheus scraping real virtmeters, for the tests that run the
# shipped PromQL (dashboards.sh, rules.sh). Sourced after lib.sh and
# cg_lib.sh. live_start starts, in job "virtmeter" with target label
# cluster="test":
#
# * a healthy virtmeter: the RAPL fixture (its psys counter written in
#   place at 30 W), two hand-made LXC-like containers on this machine's
#   cgroups (vmt-SCRIPT-busy, a bounded busy loop under a 0.2-CPU quota
#   that also writes a few MiB with O_DIRECT; vmt-SCRIPT-idle, asleep
#   under a 1-CPU quota), the libvirt test driver's VM, the energy model on;
# * a broken virtmeter, to fire the health alerts on real series: no
#   meter that answers (an exec meter that fails; the energy model falls
#   back to its estimate), libvirt unreachable, perf asked for a hardware
#   event only (no PMU here: the collector is down), and a configuration
#   reload rejected (SIGHUP after a bad file), on the static cgroup
#   fixtures;
# * a target where nothing listens (up == 0).
#
# Everything is stopped and removed by the EXIT trap (cg_remove_all, then
# lib_cleanup).

live_cleanup() {
	cg_remove_all
	lib_cleanup
}
trap live_cleanup EXIT

# The checker of the shipped PromQL (its expressions, names and labels).
CHECK=(python3 -B "$LIB_DIR/promql_check.py")

# The containers are named after the script, so that two scripts that use
# this file can run at once (make -j check).
LIVE_NAME=vmt-$(basename "$0" .sh)
LIVE_BUSY=$LIVE_NAME-busy
LIVE_IDLE=$LIVE_NAME-idle
LIVE_OK=""     # host:port of the healthy virtmeter
LIVE_BROKEN="" # of the broken one
LIVE_DEAD=""   # where nothing listens
LIVE_PMU=0     # 1 if the healthy virtmeter counts cycles

# live_skip_reason: why the live part cannot run here; empty if it can.
live_skip_reason() {
	[ "$(id -u)" = 0 ] || { echo "needs root to create cgroups"; return; }
	[ -x "${VIRTMETER:-}" ] || { echo "virtmeter binary not built"; return; }
	command -v prometheus >/dev/null 2>&1 || { echo "prometheus not installed"; return; }
	[ ${#CG_HIERS[@]} -gt 0 ] || { echo "no cgroup hierarchy under $CGROOT"; return; }
	[ -r /proc/stat ] || echo "no /proc/stat"
}

# live_psys FILE WATTS: rewrites FILE (RAPL's energy_uj) every 0.1 s in
# place with a counter growing at WATTS, as sysfs does.
live_psys() {
	local f=$1 w=$2 e0 t0 now fd
	mkfifo "$TEST_TMP/psys.tick" && exec {fd}<>"$TEST_TMP/psys.tick" || return 1
	read -r e0 <"$f"
	t0=${EPOCHREALTIME/./}
	for ((;;)); do
		read -r -t 0.1 -u "$fd" _
		now=${EPOCHREALTIME/./}
		printf '%d\n' $((e0 + w * (now - t0))) 1<>"$f"
	done
}

# live_cgroup_limits NAME QUOTA_US MEM: a CFS quota of QUOTA_US per 100 ms
# and a memory limit, on cgroup v1 or v2.
live_cgroup_limits() {
	local cg=$1 q=$2 mem=$3
	if [ -n "$CG_UNIFIED" ] && [ "$CG_UNIFIED" = "$CGROOT" ]; then
		echo "$q 100000" >"$CGROOT/$cg/cpu.max" && echo "$mem" >"$CGROOT/$cg/memory.max"
	else
		echo 100000 >"$CGROOT/cpu/$cg/cpu.cfs_period_us" && echo "$q" >"$CGROOT/cpu/$cg/cpu.cfs_quota_us" &&
			echo "$mem" >"$CGROOT/memory/$cg/memory.limit_in_bytes"
	fi
}

# live_virtmeters: the containers, the fixture meter and both virtmeters.
live_virtmeters() {
	local sys=$TEST_TMP/sys
	cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$sys" && chmod -R u+w "$sys" || return 1
	live_psys "$sys/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj" 30 &
	lib_track_pid $!
	local c
	for c in "$LIVE_BUSY" "$LIVE_IDLE"; do cg_make "lxc.payload.$c" || return 1; done
	live_cgroup_limits "lxc.payload.$LIVE_BUSY" 20000 $((256 << 20)) || return 1
	live_cgroup_limits "lxc.payload.$LIVE_IDLE" 100000 $((128 << 20)) || return 1
	run_in_cg "lxc.payload.$LIVE_IDLE" timeout 170 sleep 170
	run_in_cg "lxc.payload.$LIVE_BUSY" timeout 170 sh -c \
		'dd if=/dev/zero of="$1" bs=64k count=64 oflag=direct 2>/dev/null; rm -f "$1"; while :; do :; done' \
		sh "$TEST_TMP/io.bin"

	cat >"$TEST_TMP/ok.yml" <<-'YML'
		collectors:
		  host: {interval: 1s}
		  cgroup: {interval: 1s}
		  libvirt: {interval: 1s}
		  perf: {interval: 1s}
	YML
	start_virtmeter --config.file="$TEST_TMP/ok.yml" --path.sysfs="$sys" \
		--collector.cgroup.include="$LIVE_NAME-*" --collector.libvirt.uri=test:///default \
		--storage.path="$TEST_TMP/state-ok" || return 1
	LIVE_OK=127.0.0.1:$VM_PORT

	mkdir -p "$TEST_TMP/nosys"
	cat >"$TEST_TMP/broken.yml" <<-'YML'
		meters:
		  - {name: pdu, type: exec, command: [/bin/false]}
	YML
	start_virtmeter --config.file="$TEST_TMP/broken.yml" --path.sysfs="$TEST_TMP/nosys" \
		--path.cgroupfs="$top_srcdir/tests/fixtures/cgroup/v2-systemd" --collector.perf.events=cycles \
		--collector.libvirt.uri="qemu+unix:///system?socket=$TEST_TMP/no-libvirt.sock" \
		--storage.path="$TEST_TMP/state-broken" || return 1
	LIVE_BROKEN=127.0.0.1:$VM_PORT
	echo 'meters: [' >"$TEST_TMP/broken.yml"
	kill -HUP "$VM_PID"
	free_port || return 1
	LIVE_DEAD=127.0.0.1:$FREE_PORT
}

# live_prometheus RULE_FILE...: Prometheus scraping the three targets every
# second and evaluating RULE_FILEs every second.
live_prometheus() {
	local f
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n'
		printf 'rule_files:\n'
		for f in "$@"; do printf '  - %s\n' "$f"; done
		printf 'scrape_configs:\n  - job_name: virtmeter\n    static_configs:\n'
		printf "      - targets: ['%s', '%s', '%s']\n" "$LIVE_OK" "$LIVE_BROKEN" "$LIVE_DEAD"
		printf '        labels: {cluster: test}\n'
	} >"$TEST_TMP/prometheus.yml"
	start_prometheus "$TEST_TMP/prometheus.yml"
	[ -n "$PROM_PID" ]
}

# live_count PROMQL: the number of series PROMQL gives now (empty on error).
live_count() {
	printf 'q\t%s\n' "$1" | python3 -B "$LIB_DIR/promql_check.py" query "$PROM_URL" |
		awk -F'\t' '$2 == "ok" { print $3 }'
}

# live_series PROMQL [TIME]: one line per series PROMQL gives now (or at
# Unix time TIME): its labels (name=value, sorted, comma-separated), a
# blank and its value.
live_series() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} | python3 -c 'import json, sys
for s in json.load(sys.stdin)["data"]["result"]:
    print(",".join("%s=%s" % kv for kv in sorted(s["metric"].items())), s["value"][1])'
}

# live_ready: Prometheus has a minute's worth of what the queries read:
# energy charged to both containers and the VM, idle time counted for the
# idle container, a rate of the busy one's CPU, an estimate on the broken
# host, the rejected reload.
live_ready() {
	local q
	for q in \
		"rate(virtmeter_container_energy_joules_total{component=\"dynamic\",container=\"$LIVE_BUSY\"}[1m]) > 0" \
		"rate(virtmeter_container_idle_energy_joules_total{container=\"$LIVE_IDLE\"}[1m]) > 0" \
		'rate(virtmeter_vm_energy_joules_total{component="dynamic"}[1m]) > 0' \
		'rate(virtmeter_container_cpu_throttled_periods_total[1m]) > 0' \
		'virtmeter_host_power_watts{source="estimate"}' \
		'virtmeter_config_last_reload_successful == 0' \
		'up == 0'; do
		[ "$(live_count "$q")" -gt 0 ] 2>/dev/null || return 1
	done
}

# live_start RULE_FILE...: everything above; waits (at most 60 s) until
# live_ready. Returns 1, with diagnostics, if something did not start.
live_start() {
	live_virtmeters || return 1
	live_prometheus "$@" || { tap_diag_file "$PROM_LOG"; return 1; }
	if ! wait_for 60 live_ready; then
		tap_diag "Prometheus did not get the data the queries need within 60 s"
		return 1
	fi
	[ "$(live_count 'virtmeter_perf_event_supported{event="cycles"} == 1')" = 1 ] && LIVE_PMU=1
	return 0
}

# live_check ORIGIN_TSV EMPTY_OK_FILE: runs every "ORIGIN<TAB>EXPR" line of
# ORIGIN_TSV against Prometheus: one TAP check that none errs, one that
# every query returns series, except those EMPTY_OK_FILE lists ("GLOB<TAB>
# REASON" lines, ORIGIN matched against GLOB; a reason that starts with
# "no PMU:" holds only on a host without a PMU), whose emptiness is noted.
live_check() {
	local what=$1 tsv=$2 ok=$3 results errors empty origin status n glob reason allowed
	results=$(python3 -B "$LIB_DIR/promql_check.py" query "$PROM_URL" <"$tsv")
	errors=$(awk -F'\t' '$2 != "ok"' <<<"$results")
	tap_is "$errors" "" "every $what query runs without an error ($(wc -l <"$tsv") queries)"
	empty="" allowed=0
	while IFS=$'\t' read -r origin status n; do
		if [ "$status" != ok ] || [ "$n" != 0 ]; then continue; fi
		reason=""
		while IFS=$'\t' read -r glob r; do
			# shellcheck disable=SC2053 # GLOB is a pattern
			[[ $origin == $glob ]] || continue
			case $r in "no PMU:"*) [ "$LIVE_PMU" = 0 ] && reason=$r ;; *) reason=$r ;; esac
			break
		done <"$ok"
		if [ -n "$reason" ]; then
			allowed=$((allowed + 1))
			tap_diag "empty, as listed: $origin ($reason)"
		else
			empty="$empty$origin"$'\n'
		fi
	done <<<"$results"
	tap_is "${empty%$'\n'}" "" "every $what query returns series, but the $allowed listed as empty on this machine"
}
