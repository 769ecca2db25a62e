#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# The demo for newcomers, deploy/demo/run.sh. Its idle-waste alert is the
# shipped one with short windows: generated from alerts.yml (the same
# expression and threshold, 30-second windows, 30 s of `for:`, labelled as
# the demo's), accepted by promtool, and refused, naming the file, when the
# shipped rule no longer has the shape it shortens. `run.sh --check`, with
# real cgroups, virtmeter and Prometheus, sees within two minutes the
# energy of both workloads in Prometheus and the demo alert firing for the
# idle one and never for the busy one, exits 0, and leaves no cgroup,
# process or file behind; run without --check it prints the URLs (which
# answer) and the queries with their answers, and Ctrl-C removes
# everything. Needs root, cgroups with the cpu and memory controllers,
# prometheus and promtool.
. "$(dirname "$0")/lib.sh"
# The demo makes cgroups: it takes the live tests' cgroup lock (cg_lib.sh).
. "$(dirname "$0")/cg_lib.sh"

command -v promtool >/dev/null 2>&1 || tap_skip_all "promtool not installed (Debian package prometheus)"

DEMO=${top_srcdir:?}/deploy/demo/run.sh
SHIPPED=$top_srcdir/deploy/prometheus/rules/alerts.yml
RULE=VirtmeterContainerIdlePowerWaste

cleanup() {
	local h
	# A demo that failed its own clean-up leaves its cgroups: remove them
	# (they hold only the demo's processes).
	for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
		rmdir "$h/lxc.payload.demo-busy" "$h/lxc.payload.demo-idle" 2>/dev/null
	done
	lib_cleanup
}
trap cleanup EXIT

# ---- the demo's rule ------------------------------------------------------------------

# expr_of FILE ALERT: the expression lines of ALERT in FILE.
expr_of() {
	awk -v a="$2" '$0 ~ "^ *- alert: " a "$" { on = 1; next }
		on && /^ *- / { exit }
		on && /^ *expr: / { ex = 1; next }
		on && ex && /^ *for: / { exit }
		on && ex { print }' "$1"
}

bash "$DEMO" --print-demo-rules >"$TEST_TMP/demo-rules.yml" 2>"$TEST_TMP/demo-rules.err"
tap_is "$?" 0 "run.sh --print-demo-rules prints the demo's rule" || tap_diag_file "$TEST_TMP/demo-rules.err"
out=$(promtool check rules "$TEST_TMP/demo-rules.yml" 2>&1)
tap_like "$out" 'SUCCESS: 1 rules found' "promtool accepts it, one rule" || tap_diag "$out"
R=$TEST_TMP/demo-rules.yml
tap_is "$(sed -n 's/^ *- alert: //p' "$R")" DemoContainerIdlePowerWaste "it is named as the demo's"
tap_is "$(grep -c '^ *demo: short-windows$' "$R")" 1 "and labelled demo=\"short-windows\""
tap_is "$(grep -c '^ *for: 30s$' "$R")" 1 "it waits 30 s (for: 30s)"
tap_is "$(expr_of "$R" DemoContainerIdlePowerWaste | grep -o '\[[0-9a-z]*\]' | sort -u)" '[30s]' \
	"its windows are all 30 seconds"
got=$(expr_of "$R" DemoContainerIdlePowerWaste | sed 's/\[30s\]/[4h]/g')
want=$(expr_of "$SHIPPED" "$RULE")
tap_check "with 4-hour windows back it is the shipped expression, thresholds included" \
	test -n "$want" -a "$got" = "$want" || tap_diag "demo:" "$got" "shipped:" "$want"
tap_like "$(head -n 4 "$R")" 'FOR THE DEMO ONLY' "the file says it is for the demo only"

mkdir -p "$TEST_TMP/rules"
cp "$top_srcdir/deploy/prometheus/rules/"*.yml "$TEST_TMP/rules/"
sed -i 's/rate(virtmeter_container_idle_seconds_total\[4h\])/rate(virtmeter_container_idle_seconds_total[2h])/' \
	"$TEST_TMP/rules/alerts.yml"
bash "$DEMO" --print-demo-rules --rules="$TEST_TMP/rules" >/dev/null 2>"$TEST_TMP/mut.err"
rc=$?
tap_check "a shipped rule with another window is refused (status $rc)" test "$rc" != 0
tap_like "$(cat "$TEST_TMP/mut.err")" "$TEST_TMP/rules/alerts.yml: $RULE has 1 \[4h\] windows.*cannot shorten" \
	"naming the file, the rule and what it found"

# ---- the demo, live -----------------------------------------------------------------------
reason=""
if [ "$(id -u)" != 0 ]; then
	reason="needs root to create cgroups"
elif [ ! -x "${VIRTMETER:-}" ]; then
	reason="virtmeter binary not built"
elif ! command -v prometheus >/dev/null 2>&1; then
	reason="prometheus not installed"
elif [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control && grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
		reason="cgroup2 without the cpu and memory controllers at its root"
elif [ ! -e /sys/fs/cgroup/cpu/cgroup.procs ] || [ ! -e /sys/fs/cgroup/memory/cgroup.procs ]; then
	reason="no cgroup2 and no cgroup v1 cpu and memory hierarchies"
fi
if [ -n "$reason" ]; then
	tap_skip "the demo, live" "$reason"
	tap_done
fi

# left: the cgroups, processes and files a demo run under DEMO_TMP left.
left() {
	local h
	for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
		[ -d "$h/lxc.payload.demo-busy" ] && echo "cgroup $h/lxc.payload.demo-busy"
		[ -d "$h/lxc.payload.demo-idle" ] && echo "cgroup $h/lxc.payload.demo-idle"
	done
	pgrep -af "$1" | sed 's/^/process /'
	find "$1" -mindepth 1 -maxdepth 1 | sed 's/^/file /'
}

mkdir -p "$TEST_TMP/check"
T0=$SECONDS
TMPDIR=$TEST_TMP/check timeout 170 bash "$DEMO" --check --virtmeter="$VIRTMETER" >"$TEST_TMP/check.out" 2>&1
rc=$?
took=$((SECONDS - T0))
tap_is "$rc" 0 "run.sh --check exits 0 (after $took s)" || tap_diag_file "$TEST_TMP/check.out" 120
out=$(cat "$TEST_TMP/check.out")
tap_like "$out" 'OK after [0-9]+ s: energy per workload in Prometheus' "it says what it saw"
n=$(sed -n 's/.*OK after \([0-9]*\) s.*/\1/p' <<<"$out")
tap_check "within two minutes of Prometheus's start ($n s)" test "${n:-999}" -le 120
for c in demo-busy demo-idle; do
	tap_like "$(sed -n '/^# Energy of each workload/,/^$/p' <<<"$out")" "\{container=\"$c\"\} => [0-9]" \
		"the energy of $c is among the answers"
done
a=$(sed -n '/^# The demo.s idle-waste alert/,$p' <<<"$out")
tap_like "$a" 'alertstate="firing".*container="demo-idle"' "the demo alert fires for demo-idle"
tap_unlike "$a" 'container="demo-busy"' "and not for demo-busy"
w=$(sed -n '/^# Watts of each workload/,/^$/s/.*{component="dynamic", container="demo-busy"} => \([-+.0-9e]*\).*/\1/p' <<<"$out" | head -n 1)
tap_check "the busy workload is charged dynamic power (${w:-none} W)" awk -v w="$w" 'BEGIN { exit !(w != "" && w > 0) }'
tap_is "$(left "$TEST_TMP/check")" "" "--check leaves no cgroup, process or file"

# Interactive: a job of its own (job control on), so that it gets SIGINT
# as from a terminal's Ctrl-C.
mkdir -p "$TEST_TMP/run"
set -m
TMPDIR=$TEST_TMP/run bash "$DEMO" --virtmeter="$VIRTMETER" >"$TEST_TMP/run.out" 2>&1 &
DEMO_PID=$!
set +m
lib_track_pid "$DEMO_PID"
answered() { grep -q '^==== after' "$TEST_TMP/run.out" && grep -q '^# The demo.s idle-waste alert' "$TEST_TMP/run.out"; }
wait_for 40 answered
out=$(cat "$TEST_TMP/run.out")
tap_like "$out" 'Paste the queries.*Ctrl-C stops it all' "without --check it runs until Ctrl-C, and says so" ||
	tap_diag_file "$TEST_TMP/run.out" 80
vurl=$(sed -n 's|^  virtmeter   \(http://127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p' <<<"$out")
purl=$(sed -n 's|^  Prometheus  \(http://127\.0\.0\.1:[0-9]*\)/graph.*|\1|p' <<<"$out")
tap_is "$(fetch v "$vurl/metrics")" 200 "the virtmeter URL it prints answers ($vurl)"
tap_is "$(fetch p "$purl/-/ready")" 200 "the Prometheus URL it prints answers ($purl)"
tap_like "$out" 'sum by \(container, component\) \(rate\(virtmeter_container_energy_joules_total\{container=~"demo-\.\*"\}\[1m\]\)\)' \
	"it prints the PromQL of energy per workload"
tap_like "$out" '  => [a-zA-Z_:]*\{' "with answers"
kill -INT "$DEMO_PID"
if wait_gone "$DEMO_PID" 150; then
	wait "$DEMO_PID" 2>/dev/null
	tap_ok "Ctrl-C stops it"
else
	tap_fail "Ctrl-C stops it within 15 s"
fi
lib_untrack_pid "$DEMO_PID"
tap_like "$(tail -n 1 "$TEST_TMP/run.out")" 'everything it started is gone' "and it says so"
tap_is "$(left "$TEST_TMP/run")" "" "Ctrl-C leaves no cgroup, process or file"
tap_is "$(fetch v2 "$vurl/metrics")" 000 "virtmeter no longer answers"
tap_is "$(fetch p2 "$purl/-/ready")" 000 "nor Prometheus"
tap_done
