#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2119 # cleanup runs from the trap
# The perf collector on this machine's real perf_event and cgroups: events
# the host cannot count (hardware events without a PMU, a name libpfm4 does
# not know) are reported unsupported with a reason, never faked; software
# events count for the host; the clocks are in seconds in families of
# their own, never in the event counts; a busy loop in a hand-made
# container cgroup counts task-clock within 10 % of the CPU time its
# cgroup.stat reports,
# while an idle cgroup counts about nothing; 100 cgroups made and removed
# while virtmeter counts leave its descriptor count where it started; the
# max-cgroups cap shows its skipped cgroups; and without privilege the
# collector is down with one log line naming CAP_PERFMON. Needs root and a
# cgroup2 tree (hybrid or pure). Everything is bounded in time and undone
# by the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"

PFX=lxc.payload.vmperf # containers named vmperf-*
NCHURN=100

[ "$(id -u)" = 0 ] || tap_skip_all "needs root to create cgroups and count them"
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --help 2>&1 | grep -q -- '--collector.perf.events' ||
	tap_skip_all "virtmeter built without libpfm4: no perf collector"
[ -n "$CG_UNIFIED" ] || tap_skip_all "no cgroup2 tree under $CGROOT"

cleanup() {
	cg_remove_all
	lib_cleanup
}
trap cleanup EXIT

# cpu_usec NAME: usage_usec of cgroup NAME's cpu.stat in the cgroup2 tree.
cpu_usec() {
	awk '$1 == "usage_usec" { print $2 }' "$CG_UNIFIED/$1/cpu.stat"
}

# val SERIES: its value in a fresh scrape, empty if absent.
val() {
	scrape p text >/dev/null
	series_value "$TEST_TMP/p.b" "$1"
}
# ct CGROUP EVENT: the container series of the perf event in cgroup CGROUP
# (a clock's in seconds, in its family of its own).
ct() {
	local n=${1#lxc.payload.} fam=virtmeter_container_perf_events_total
	case $2 in task-clock | cpu-clock) fam=virtmeter_container_perf_event_seconds_total ;; esac
	printf '%s{container="%s",id="%s",runtime="lxc",pod="",namespace="",event="%s"}' "$fam" "$n" "$n" "$2"
}
# exact_s VALUE: VALUE is a whole number of nanoseconds written in seconds:
# at most 9 decimals, counting those an exponent adds (3.2588e-05 has 9),
# so no float noise such as 1.2000000000000002.
exact_s() {
	[[ $1 =~ ^[0-9]+(\.([0-9]+))?(e-([0-9]+))?$ ]] || return 1
	local frac=${BASH_REMATCH[2]} exp=${BASH_REMATCH[4]:-0}
	[ $((${#frac} + 10#$exp)) -le 9 ]
}
open_fds() { find "/proc/$VM_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

cat >"$TEST_TMP/config.yml" <<'YML'
collectors:
  cgroup:
    interval: 1s
  perf:
    interval: 1s
cgroup:
  include: ["vmperf-*"] # other tests may make cgroups meanwhile
perf:
  events: [cycles, instructions, dTLB-load-misses, task-clock, page-faults,
           context-switches]
YML

# ---- a name libpfm4 does not know is a configuration error -----------------
sed 's/context-switches\]/context-switches, NO_SUCH_EVENT_XYZ]/' "$TEST_TMP/config.yml" >"$TEST_TMP/typo.yml"
out=$("$VIRTMETER" --config.file="$TEST_TMP/typo.yml" --check-config 2>&1)
tap_is "$?" 1 "--check-config refuses an event name unknown to libpfm4"
tap_like "$out" "typo.yml:10:[0-9]+: perf.events: unknown event 'NO_SUCH_EVENT_XYZ' \\(libpfm4: " \
	"the error names the file, line, key and event"
out=$("$VIRTMETER" --collector.perf.events=task-clock,NO_SUCH_EVENT_XYZ --version 2>&1)
tap_is "$?" 2 "the same name in --collector.perf.events is a bad command line"

start_virtmeter --config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT" \
	--no-collector.libvirt || tap_abort "virtmeter starts with the perf collector"
perf_up() { [ "$(val 'virtmeter_collector_up{collector="perf"}')" = 1 ]; }
host_tc() { val 'virtmeter_host_perf_event_seconds_total{event="task-clock"}'; }
host_counted() { awk -v t="$(host_tc)" 'BEGIN { exit !(t != "" && t + 0 > 0) }'; }
wait_for 8 host_counted
tap_check "virtmeter_collector_up{collector=\"perf\"} is 1 when software events can be counted" perf_up

# ---- what this host cannot count ------------------------------------------
scrape p text >/dev/null
lint_scrape "$TEST_TMP/p.b" text "the exposition with perf series is clean"
for e in cycles instructions dTLB-load-misses; do
	tap_is "$(series_value "$TEST_TMP/p.b" "virtmeter_perf_event_supported{event=\"$e\"}")" 0 \
		"$e is reported unsupported"
done
tap_is "$(samples "$TEST_TMP/p.b" virtmeter_host_perf_events_total 'event="cycles"')" "" \
	"an unsupported hardware event has no counter series (no fake zero)"
tap_is "$(samples "$TEST_TMP/p.b" virtmeter_host_perf_events_total 'event="task-clock"')" "" \
	"task-clock, a time, is not among the event counts"
tap_like "$(grep -E '^# (TYPE|UNIT) virtmeter_host_perf_event_seconds' "$TEST_TMP/p.b")" \
	'^# TYPE virtmeter_host_perf_event_seconds_total counter$' \
	"the host's clock family is a counter in seconds"
scrape pom openmetrics >/dev/null
tap_is "$(grep -E '^# UNIT virtmeter_host_perf_event_seconds ' "$TEST_TMP/pom.b")" \
	'# UNIT virtmeter_host_perf_event_seconds seconds' \
	"OpenMetrics gives the host's clock family the unit seconds"
tap_is "$(series_value "$TEST_TMP/p.b" 'virtmeter_perf_mode_split_supported{event="cycles"}')" 0 \
	"the guest/host split of cycles is reported impossible here"
tap_like "$(grep 'event cycles is not counted' "$VM_LOG")" \
	'(no hardware PMU|not supported).*perf_event_open' \
	"the log gives the reason why cycles is not counted"
tap_is "$(grep -c 'event cycles is not counted' "$VM_LOG")" 1 "that reason is logged once"
kill -HUP "$VM_PID"
reloaded() { grep -q 'configuration reloaded' "$VM_LOG"; }
wait_for 5 reloaded
sleep 2 # the restarted perf collector probes its events at its first cycle
tap_check "SIGHUP reloads the configuration" reloaded
tap_is "$(grep -c 'event cycles is not counted' "$VM_LOG")" 1 \
	"a reload with the same events does not log their reasons again"

# ---- host software events --------------------------------------------------
for e in task-clock page-faults context-switches; do
	tap_is "$(series_value "$TEST_TMP/p.b" "virtmeter_perf_event_supported{event=\"$e\"}")" 1 \
		"software event $e is supported"
done
t0=$(host_tc)
sleep 2.2
t1=$(host_tc)
ncpu=$(series_value "$TEST_TMP/p.b" 'virtmeter_host_cpus')
[ -n "$ncpu" ] || ncpu=$(nproc)
# System-wide, task-clock advances by wall time on every online CPU.
tap_check "host task-clock grows by about 2 s per online CPU, in seconds ($t0 -> $t1, $ncpu CPUs)" \
	awk -v a="$t0" -v b="$t1" -v n="$ncpu" 'BEGIN { d = (b - a) / n; exit !(d > 1.2 && d < 3.5) }'
both_exact() { exact_s "$t0" && exact_s "$t1"; }
tap_check "the host's task-clock is written as exact nanoseconds in seconds ($t0, $t1)" both_exact
tap_check "host context-switches are counted" \
	ge "$(series_value "$TEST_TMP/p.b" 'virtmeter_host_perf_events_total{event="context-switches"}')" 1

# ---- churn: 100 cgroups made and removed ----------------------------------
sleep 1.2
BASE_FDS=$(open_fds)
tap_like "$BASE_FDS" '^[0-9]+$' "virtmeter's descriptors are counted before the churn ($BASE_FDS)"
for ((i = 0; i < NCHURN; i++)); do cg_make "$PFX-churn-$i" || tap_abort "mkdir cgroup $PFX-churn-$i"; done
counted_all() { ge "$(val virtmeter_perf_cgroups_counted)" "$NCHURN"; }
wait_for 15 counted_all
tap_check "all $NCHURN cgroups are counted (virtmeter_perf_cgroups_counted $(val virtmeter_perf_cgroups_counted))" counted_all
PEAK_FDS=$(open_fds)
tap_check "counting them holds more descriptors ($BASE_FDS -> $PEAK_FDS)" ge "$PEAK_FDS" $((BASE_FDS + NCHURN))
has_churn_series() { [ -n "$(val "$(ct "$PFX-churn-7" task-clock)")" ]; }
tap_check "a churn cgroup has its task-clock series" has_churn_series

# The cap: a second virtmeter counting at most 10 of them.
MAIN_PID=$VM_PID MAIN_URL=$VM_URL MAIN_LOG=$VM_LOG
if start_virtmeter --path.cgroupfs="$CGROOT" --no-collector.libvirt --collector.perf.max-cgroups=10 \
	--config.file="$TEST_TMP/config.yml"; then
	capped() { [ "$(val virtmeter_perf_cgroups_counted)" = 10 ] && ge "$(val virtmeter_perf_cgroups_skipped)" $((NCHURN - 10)); }
	wait_for 10 capped
	tap_check "--collector.perf.max-cgroups=10 counts 10 and shows the others skipped ($(val virtmeter_perf_cgroups_skipped))" capped
	stop_virtmeter
else
	tap_fail "a second virtmeter with --collector.perf.max-cgroups=10 starts"
fi
VM_PID=$MAIN_PID VM_URL=$MAIN_URL VM_LOG=$MAIN_LOG

for ((i = 0; i < NCHURN; i++)); do cg_remove "$PFX-churn-$i"; done
fds_back() { [ "$(open_fds)" -le "$BASE_FDS" ]; }
wait_for 15 fds_back
tap_check "after the $NCHURN cgroups are removed, the descriptors are back to $BASE_FDS (now $(open_fds))" fds_back
none_counted() { [ "$(val virtmeter_perf_cgroups_counted)" = 0 ]; }
tap_check "no cgroup is counted any more" none_counted
tap_check "virtmeter is still running" kill -0 "$VM_PID"

# ---- busy and idle containers ---------------------------------------------
BUSY=$PFX-busy IDLE=$PFX-idle GO=$TEST_TMP/go
{ cg_make "$BUSY" && cg_make "$IDLE"; } || tap_abort "mkdir the busy and idle cgroups"
# The busy loop starts only once virtmeter counts the cgroup, so that the
# whole of its CPU time is counted; it runs 4 s.
run_in_cg "$BUSY" sh -c "while [ ! -e '$GO' ]; do sleep 0.05; done; exec timeout 4 sh -c 'while :; do :; done'"
BUSY_PID=$BG_PID
run_in_cg "$IDLE" sleep 30
busy_seen() { [ -n "$(val "$(ct "$BUSY" task-clock)")" ] && [ -n "$(val "$(ct "$IDLE" task-clock)")" ]; }
wait_for 10 busy_seen
tap_check "the busy and idle cgroups are counted as containers" busy_seen
sleep 1.2 # one more cycle, so that the waiting loop's time is in both
u0=$(cpu_usec "$BUSY")
b0=$(val "$(ct "$BUSY" task-clock)")
i0=$(val "$(ct "$IDLE" task-clock)")
: >"$GO"
wait_gone "$BUSY_PID" 80
sleep 2.5 # two perf cycles after the loop ended
u1=$(cpu_usec "$BUSY")
b1=$(val "$(ct "$BUSY" task-clock)")
i1=$(val "$(ct "$IDLE" task-clock)")
cpu_s=$(awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
tc_s=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.3f", b - a }')
# At most 4 s; less when other work on this host competes for the CPUs.
tap_check "the busy loop used at least 1 s of CPU per cpu.stat ($cpu_s s of at most 4)" \
	awk -v c="$cpu_s" 'BEGIN { exit !(c > 1 && c < 5) }'
tap_check "its task-clock ($tc_s s) is within 10 % of its cpu.stat usage ($cpu_s s)" \
	awk -v t="$tc_s" -v c="$cpu_s" 'BEGIN { r = t / c; exit !(r > 0.9 && r < 1.1) }'
idle_ms=$(awk -v a="$i0" -v b="$i1" 'BEGIN { printf "%.3f", (b - a) * 1e3 }')
tap_check "the idle cgroup counts about zero task-clock meanwhile ($idle_ms ms)" \
	awk -v d="$idle_ms" 'BEGIN { exit !(d >= 0 && d < 20) }'
tap_check "the busy container's task-clock is written as exact nanoseconds in seconds ($b1)" exact_s "$b1"
tap_check "the busy container's context-switches are counted" \
	ge "$(val "$(ct "$BUSY" context-switches)")" 0
cg_remove "$BUSY"
cg_remove "$IDLE"
# Only the perf collector's series: the energy model keeps an ended
# container's energy counters for a while on purpose.
gone() { scrape p text >/dev/null; ! grep '^virtmeter_container_perf_' "$TEST_TMP/p.b" | grep -q "container=\"${BUSY#lxc.payload.}\""; }
wait_for 6 gone
tap_check "the removed containers' perf series are gone" gone
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"

# ---- CPU hotplug -----------------------------------------------------------
# A sysfs tree of our own whose online-CPU list the test rewrites: the
# groups follow it (3 descriptors per CPU: one software group of two
# events, one task-clock group) and the host's counters never go back.
if [ "$(nproc)" -ge 2 ]; then
	SYS=$TEST_TMP/sys
	mkdir -p "$SYS/devices/system/cpu"
	echo 0 >"$SYS/devices/system/cpu/online"
	start_virtmeter --config.file="$TEST_TMP/config.yml" --path.sysfs="$SYS" \
		--path.cgroupfs="$CGROOT" --no-collector.libvirt ||
		tap_abort "virtmeter starts with a sysfs tree of the test's own"
	fds_are() { [ "$(val virtmeter_perf_open_fds)" = "$1" ]; }
	wait_for 5 fds_are 3
	tap_check "with CPU 0 online, the host holds one CPU's groups ($(val virtmeter_perf_open_fds) fds)" fds_are 3
	h0=$(host_tc)
	echo 0-1 >"$SYS/devices/system/cpu/online"
	wait_for 5 fds_are 6
	tap_check "CPU 1 coming online adds its groups ($(val virtmeter_perf_open_fds) fds)" fds_are 6
	sleep 1.2
	h1=$(host_tc)
	echo 0 >"$SYS/devices/system/cpu/online"
	wait_for 5 fds_are 3
	tap_check "CPU 1 going offline closes its groups ($(val virtmeter_perf_open_fds) fds)" fds_are 3
	sleep 1.2
	h2=$(host_tc)
	tap_check "the host's task-clock keeps growing through it ($h0 -> $h1 -> $h2)" \
		awk -v a="$h0" -v b="$h1" -v c="$h2" 'BEGIN { exit !(a > 0 && b > a && c > b) }'
	stop_virtmeter
else
	tap_fail "this machine has at least 2 CPUs, for the hotplug check"
fi

# ---- without privilege -----------------------------------------------------
# A copy any user can run, in a directory any user can enter.
UNPRIV=$TEST_TMP/unpriv
mkdir -p "$UNPRIV" && cp "$VIRTMETER" "$UNPRIV/virtmeter" && chmod 755 "$TEST_TMP" "$UNPRIV"
if ! command -v setpriv >/dev/null; then
	tap_fail "setpriv (util-linux) is installed to run virtmeter unprivileged"
elif [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 0 ]; then
	tap_fail "kernel.perf_event_paranoid > 0, so that an unprivileged user cannot count" \
		"perf_event_paranoid is $(cat /proc/sys/kernel/perf_event_paranoid)"
else
	SAVED=$VIRTMETER
	printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "%s" "$@"\n' \
		"$UNPRIV/virtmeter" >"$UNPRIV/run"
	chmod 755 "$UNPRIV/run"
	VIRTMETER=$UNPRIV/run
	if start_virtmeter --no-collector.libvirt --no-collector.cgroup; then
		perf_down() { [ "$(val 'virtmeter_collector_up{collector="perf"}')" = 0 ]; }
		wait_for 5 perf_down
		tap_check "without privilege, virtmeter_collector_up{collector=\"perf\"} is 0" perf_down
		tap_check "virtmeter keeps serving the other collectors" \
			test "$(val 'virtmeter_collector_up{collector="host"}')" = 1
		sleep 1
		tap_is "$(grep -c 'CAP_PERFMON' "$VM_LOG")" 1 \
			"one log line names what is needed (CAP_PERFMON or perf_event_paranoid)"
		stop_virtmeter
	else
		tap_fail "virtmeter starts as an unprivileged user"
	fi
	VIRTMETER=$SAVED
fi
tap_done
