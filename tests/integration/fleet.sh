#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2016 # cleanup runs from the trap; PromQL in single quotes
# A fleet's shape (docs/fleet.md) on one machine: three virtmeters, one per
# "host", each with a power source of its own (a RAPL fixture whose psys
# counter grows at 60 W, an exec meter that prints 90 W, and no meter at
# all: the estimate), the first two in cluster "a" and the third in
# cluster "b" (target labels). An edge Prometheus scrapes them and
# remote-writes everything to a central Prometheus started with its
# remote-write receiver, which alone evaluates the shipped recording rules
# (deploy/prometheus/rules/recording.yml), as a fleet's clustered store
# does. It proves that: the raw series arrive centrally with their
# cluster, instance and the edge's external label; their watts are the
# hosts' (60 + 90 W in cluster a, the estimate's range in cluster b); the
# per-host and per-cluster rules record; and each cluster's recorded power
# is the sum of its hosts' as the edge computes it from its own copy of
# the samples, within a tolerance that a missing host exceeds. Needs
# neither root nor libvirt; about a minute.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"
. "$(dirname "$0")/live_lib.sh"
. "$(dirname "$0")/power_lib.sh"

command -v prometheus >/dev/null 2>&1 || tap_skip_all "prometheus not installed (Debian package prometheus)"
[ -x "${VIRTMETER:-}" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"

RAPL_W=60  # the psys counter of host a1 grows at this
EXEC_W=90  # host a2's exec meter prints this
# The cluster sum and the sum of its hosts computed on the edge read the
# same samples, but a central rule is evaluated on what has arrived by
# then: remote write sends every second here, so its last 1 to 2 s are
# missing, and the recorded value read is up to 1 s older. While samples
# cover less than the rule's 5-minute window, rate() divides what they
# cover by the whole window, so those 3 s are 3 s of the 45 s covered:
# 7 % at most. A missing host (40 % of cluster a or more, all of b) is far
# outside 10 %.
TOL=0.1
RULES=${top_srcdir:?}/deploy/prometheus/rules/recording.yml
CLUSTER_RULE=cluster:virtmeter_host_power_watts:sum_rate5m
HOST_RULE=instance:virtmeter_host_power_watts:rate5m

# ---- the documented configuration ---------------------------------------------------

# The remote-write configuration that docs/fleet.md gives (its first YAML
# block) is one Prometheus accepts.
awk '/^  ```yaml$/ { n++; next } /^  ```$/ && n == 1 { exit } n == 1 { print substr($0, 3) }' \
	"$top_srcdir/docs/fleet.md" >"$TEST_TMP/doc.yml"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check config "$TEST_TMP/doc.yml" 2>&1)
	rc=$?
	tap_is "$rc" 0 "promtool check config accepts the remote-write example of docs/fleet.md"
	[ "$rc" = 0 ] || tap_diag "$out"
else
	tap_skip "promtool check config accepts the remote-write example of docs/fleet.md" "promtool not installed"
fi

# ---- three hosts ------------------------------------------------------------------

# The collectors each virtmeter runs, at 1 s so that the model closes an
# interval every second (it follows the cgroup collector's cycles) and a
# short window sees smooth counters; the cgroup trees are static fixtures.
cat >"$TEST_TMP/host.yml" <<'YML'
collectors:
  host: {interval: 1s}
  cgroup: {interval: 1s}
YML
cat >"$TEST_TMP/exec.yml" <<YML
collectors:
  host: {interval: 1s}
  cgroup: {interval: 1s}
meters:
  - {name: wall, type: exec, command: [/bin/echo, watts $EXEC_W]}
YML
COMMON=(--collector.disable-defaults --collector.host --collector.cgroup --collector.power
	--collector.model)
FIX=$top_srcdir/tests/fixtures
mkdir -p "$TEST_TMP/nosys"

if ! cp -a "$FIX/power/sysfs" "$TEST_TMP/sys" || ! chmod -R u+w "$TEST_TMP/sys"; then
	tap_abort "copy the RAPL fixture"
fi
live_psys "$TEST_TMP/sys/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj" "$RAPL_W" &
lib_track_pid $!
start_virtmeter "${COMMON[@]}" --config.file="$TEST_TMP/host.yml" --path.sysfs="$TEST_TMP/sys" \
	--path.cgroupfs="$FIX/cgroup/v2-systemd" --storage.path="$TEST_TMP/state-a1" ||
	tap_abort "virtmeter a1 starts on the RAPL fixture"
A1=127.0.0.1:$VM_PORT
start_virtmeter "${COMMON[@]}" --config.file="$TEST_TMP/exec.yml" --path.sysfs="$TEST_TMP/nosys" \
	--path.cgroupfs="$FIX/cgroup/hybrid" --storage.path="$TEST_TMP/state-a2" ||
	tap_abort "virtmeter a2 starts with an exec meter"
A2=127.0.0.1:$VM_PORT
start_virtmeter "${COMMON[@]}" --config.file="$TEST_TMP/host.yml" --path.sysfs="$TEST_TMP/nosys" \
	--path.cgroupfs="$FIX/cgroup/v1-cgroupfs" --storage.path="$TEST_TMP/state-b1" ||
	tap_abort "virtmeter b1 starts without a meter"
B1=127.0.0.1:$VM_PORT
tap_ok "three virtmeters serve: a1 $A1 (RAPL), a2 $A2 (exec), b1 $B1 (estimate)"

# ---- the central store and the edge -----------------------------------------------

# The central Prometheus: no targets, the remote-write receiver, the rules
# evaluated every second.
cat >"$TEST_TMP/central.yml" <<YML
global:
  evaluation_interval: 1s
rule_files:
  - $RULES
YML

# central_prometheus CONFIG: start_prometheus with the receiver, keeping
# its data and log (under TEST_TMP) in a directory of their own, apart
# from the edge's.
central_prometheus() {
	local TEST_TMP=$TEST_TMP/central
	mkdir -p "$TEST_TMP" && start_prometheus "$1" --web.enable-remote-write-receiver
}
central_prometheus "$TEST_TMP/central.yml" ||
	tap_abort "the central Prometheus starts with its remote-write receiver" "$(cat "$TEST_TMP/central/prometheus.log")"
CENTRAL=$PROM_URL

# The edge: scrapes the three hosts every second, each group of targets
# with its cluster label; its external label marks what it sends.
cat >"$TEST_TMP/edge.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels: {prometheus: edge-1}
remote_write:
  - url: $CENTRAL/api/v1/write
    queue_config: {batch_send_deadline: 1s}
scrape_configs:
  - job_name: virtmeter
    static_configs:
      - targets: ['$A1', '$A2']
        labels: {cluster: a}
      - targets: ['$B1']
        labels: {cluster: b}
YML
start_prometheus "$TEST_TMP/edge.yml" || tap_abort "the edge Prometheus starts" "$(cat "$PROM_LOG")"
EDGE=$PROM_URL
EDGE_PID=$PROM_PID
tap_ok "an edge Prometheus scrapes the hosts and remote-writes to a central one that has the rules"

# q URL PROMQL [TIME]: live_series against the Prometheus at URL.
q() {
	PROM_URL=$1 live_series "${@:2}"
}

# val URL PROMQL [TIME]: the value of the one series PROMQL gives (empty
# if none).
val() {
	q "$@" | head -n 1 | awk '{ print $NF }'
}

# ---- the raw series, centrally ----------------------------------------------------

# Data that rate() can read over 15 s, arrived centrally from all three.
arrived() {
	[ "$(q "$CENTRAL" 'count_over_time(virtmeter_host_energy_joules_total[15s]) >= 10' | wc -l)" = 3 ]
}
wait_for 45 arrived || tap_abort "15 s of every host's energy arrive centrally within 45 s" \
	"$(q "$CENTRAL" 'count_over_time(virtmeter_host_energy_joules_total[15s])')" \
	"edge: $(q "$EDGE" 'up')" "$(tail -n 5 "$PROM_LOG")"
tap_ok "15 s of the three hosts' energy counters arrived centrally"

got=$(q "$CENTRAL" 'virtmeter_host_energy_joules_total' | sed 's/ [^ ]*$//' | sort)
want=$(sort <<EOF
__name__=virtmeter_host_energy_joules_total,cluster=a,instance=$A1,job=virtmeter,prometheus=edge-1,source=rapl
__name__=virtmeter_host_energy_joules_total,cluster=a,instance=$A2,job=virtmeter,prometheus=edge-1,source=exec
__name__=virtmeter_host_energy_joules_total,cluster=b,instance=$B1,job=virtmeter,prometheus=edge-1,source=estimate
EOF
)
tap_is "$got" "$want" "the host energy series arrive with cluster, instance, source and the edge's external label"

# 45 s of samples, for the watts and the comparisons below (see TOL).
covered() {
	[ "$(q "$CENTRAL" 'count_over_time(virtmeter_host_energy_joules_total[50s]) >= 45' | wc -l)" = 3 ]
}
wait_for 45 covered || tap_abort "45 s of every host's energy arrive centrally" \
	"$(q "$CENTRAL" 'count_over_time(virtmeter_host_energy_joules_total[50s])')"

# Watts from the raw counters over the last 20 s (past the model's first
# seconds, whose counters stay at 0 until it has closed an interval): the
# fixtures' own.
now=$(($(date +%s) - 3))
w=$(val "$CENTRAL" 'sum(rate(virtmeter_host_energy_joules_total{cluster="a"}[20s]))' "$now")
tap_check "cluster a draws $RAPL_W + $EXEC_W W by its hosts' counters ($w W)" \
	near "$w" $((RAPL_W + EXEC_W)) "$(awk -v w=$((RAPL_W + EXEC_W)) 'BEGIN { print w * 0.1 }')" ||
	tap_diag "$(q "$CENTRAL" 'rate(virtmeter_host_energy_joules_total[20s])' "$now")"
CPUS=$(grep -c '^cpu[0-9]' /proc/stat)
w=$(val "$CENTRAL" 'sum(rate(virtmeter_host_energy_joules_total{cluster="b"}[20s]))' "$now")
tap_check "cluster b draws the estimate, between 0.74 and 3.5 W for each of $CPUS CPUs ($w W)" \
	awk -v w="$w" -v n="$CPUS" 'BEGIN { exit !(w != "" && w >= 0.74 * n * 0.9 && w <= 3.5 * n * 1.1) }'

# ---- the rules, centrally ---------------------------------------------------------

group_health() {
	curl -sS --max-time 5 "$CENTRAL/api/v1/rules" | python3 -c 'import json, sys
for g in json.load(sys.stdin)["data"]["groups"]:
    if g["name"] == "virtmeter.power":
        for r in g["rules"]:
            print(r["name"], r["health"], r.get("lastError", "") or "-")'
}
power_ok() { [ -n "$(group_health)" ] && ! group_health | grep -qv ' ok -$'; }
wait_for 10 power_ok
tap_check "the central Prometheus evaluates the power rules without an error" power_ok ||
	tap_diag "$(group_health)"
hosts_of() {
	q "$CENTRAL" "count by (cluster) ($HOST_RULE)" | sed -n 's/^cluster=\([a-z]*\) \(.*\)$/\1=\2/p' | sort | tr '\n' ' '
}
two_and_one() { [ "$(hosts_of)" = "a=2 b=1 " ]; }
wait_for 10 two_and_one
tap_is "$(hosts_of)" "a=2 b=1 " "each host's power is recorded centrally: two hosts in cluster a, one in b"

# sum_ok CLUSTER: at a time 5 s past, the cluster's recorded power (C_W)
# and the sum of its hosts' as the edge computes it from its own samples
# with the rule's expression (H_W), and the same without the cluster's
# smallest host (P_W, what a lost host would give); true when C_W is H_W
# within TOL. Tried for a few seconds: rule evaluations lag on a loaded
# machine.
sum_ok() {
	local at=$(($(date +%s) - 5)) hosts
	C_W=$(val "$CENTRAL" "$CLUSTER_RULE{cluster=\"$1\"}" "$at")
	hosts=$(q "$EDGE" "rate(virtmeter_host_energy_joules_total{cluster=\"$1\"}[5m])" "$at" | awk '{ print $NF }')
	H_W=$(awk '{ s += $1 } END { printf "%.6f", s }' <<<"$hosts")
	P_W=$(sort -g <<<"$hosts" | awk 'NR > 1 { s += $1 } END { printf "%.6f", s }')
	awk -v c="$C_W" -v h="$H_W" -v t="$TOL" 'BEGIN { d = c - h; if (d < 0) d = -d; exit !(c != "" && h > 0 && d <= t * h) }'
}
for c in a b; do
	wait_for 10 sum_ok "$c"
	rc=$?
	tap_is "$rc" 0 "cluster $c: the recorded $CLUSTER_RULE is the sum of its hosts' within $TOL ($C_W W against $H_W W)"
	tap_check "cluster $c: a host missing from the sum would fail that check ($P_W W)" \
		awk -v p="$P_W" -v h="$H_W" -v t="$TOL" 'BEGIN { d = p - h; if (d < 0) d = -d; exit !(d > t * h) }'
done
# Within the central store, one evaluation: the cluster's series is exactly
# the sum of the per-host series recorded at the same time.
at=$(($(date +%s) - 5))
d=$(q "$CENTRAL" "abs($CLUSTER_RULE - on (cluster) sum by (cluster) ($HOST_RULE)) / $CLUSTER_RULE" "$at" |
	awk '{ print $NF }' | sort -g | tail -n 1)
n=$(q "$CENTRAL" "$CLUSTER_RULE" "$at" | wc -l)
tap_check "both clusters' recorded sums equal their recorded hosts' sums (largest relative difference $d)" \
	awk -v d="$d" -v n="$n" 'BEGIN { exit !(n == 2 && d != "" && d < 1e-9) }'
a=$(val "$CENTRAL" "$CLUSTER_RULE{cluster=\"a\"}")
b=$(val "$CENTRAL" "$CLUSTER_RULE{cluster=\"b\"}")
tap_check "the clusters' sums differ (a: $a W, b: $b W): the hosts are not summed together" \
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b != "" && a != b) }'

# The edge holds no recorded series: the rules run where every host's
# samples meet.
tap_is "$(q "$EDGE" "{__name__=~\"cluster:.*|instance:.*\"}" | wc -l)" 0 "the edge records nothing; the central store does"

# The edge stops first, while the store still takes its last writes.
kill_pid "$EDGE_PID"
tap_done
