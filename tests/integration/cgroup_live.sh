#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2119 # cleanup runs from the trap
# The cgroup collector on this machine's real cgroup filesystem: a
# hand-made LXC-like cgroup with a bounded busy loop and a memory hog shows
# CPU and memory moving; removing it while virtmeter runs drops its series
# and its descriptors; and, when LXC is installed, a real busybox container
# is reported with runtime "lxc". Needs root. Everything is bounded in time
# and undone by the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"

NAME=vmtest-busy
CG=lxc.payload.$NAME
LXC_NAME=vmt-lxc1
LXC_STARTED=0

[ "$(id -u)" = 0 ] || tap_skip_all "needs root to create cgroups"
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ ${#CG_HIERS[@]} -gt 0 ] || tap_skip_all "no cgroup hierarchy under $CGROOT"

cleanup() {
	cg_remove_all
	if [ "$LXC_STARTED" = 1 ]; then
		timeout 20 lxc-stop -k -n "$LXC_NAME" >/dev/null 2>&1
		timeout 20 lxc-destroy -n "$LXC_NAME" >/dev/null 2>&1
	fi
	lib_cleanup
}
trap cleanup EXIT

# val SERIES: its value in a fresh scrape, empty if absent.
val() {
	scrape cg text >/dev/null
	series_value "$TEST_TMP/cg.b" "$1"
}

# The identity labels: outside Kubernetes, pod and namespace are empty on
# every container series; the info series has image before them.
LID="container=\"$NAME\",id=\"$NAME\",runtime=\"lxc\""
L="$LID,pod=\"\",namespace=\"\""
cpu_total() {
	scrape cg text >/dev/null
	local u s
	u=$(series_value "$TEST_TMP/cg.b" "virtmeter_container_cpu_seconds_total{$L,mode=\"user\"}")
	s=$(series_value "$TEST_TMP/cg.b" "virtmeter_container_cpu_seconds_total{$L,mode=\"system\"}")
	[ -n "$u" ] && [ -n "$s" ] && awk -v u="$u" -v s="$s" 'BEGIN { print u + s }'
}
has_container() { [ -n "$(val "virtmeter_container_info{$LID,image=\"\",pod=\"\",namespace=\"\"}")" ]; }
# The energy model keeps an ended container's energy counters (not its
# power gauges) for --collector.model.retire-after: everything else goes.
RETAINED='^virtmeter_container_(energy_joules|idle_energy_joules|idle_seconds)_total\{'
no_container() { scrape cg text >/dev/null; ! grep -Ev "$RETAINED" "$TEST_TMP/cg.b" | grep -q "container=\"$NAME\""; }
mem_usage() { val "virtmeter_container_memory_usage_bytes{$L}"; }
mem_above() { local m; m=$(mem_usage); [ -n "$m" ] && awk -v m="$m" -v t="$1" 'BEGIN { exit !(m > t) }'; }
open_fds() { val 'process_open_fds'; }

# The perf collector also serves per-container series (it follows the
# workload table the cgroup collector publishes): it runs every second too,
# so a removed container's series are gone within two short cycles.
cat >"$TEST_TMP/config.yml" <<'YML'
collectors:
  cgroup:
    interval: 1s
  process:
    interval: 1s
  perf:
    interval: 1s
  host:
    interval: 1s
YML
start_virtmeter --config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT" ||
	tap_abort "virtmeter starts"
fds_known() { [ -n "$(open_fds)" ]; }
wait_for 5 fds_known
sleep 1.5 # a cgroup cycle has run: its descriptors are counted
BASE_FDS=$(open_fds)
# What those descriptors are, to name a leak if there is one.
fd_list() { ls -l "/proc/$VM_PID/fd" 2>/dev/null | awk 'NR > 1 { print $NF }' | sed 's/[0-9]\{2,\}/N/g' | sort | uniq -c; }
fd_list >"$TEST_TMP/fds.base"
tap_like "$BASE_FDS" '^[0-9]+$' "process_open_fds is reported before the test cgroup exists"

cg_make "$CG" || tap_abort "mkdir the cgroup $CG"
run_in_cg "$CG" timeout 8 sh -c 'while :; do :; done'
BUSY=$BG_PID
wait_for 5 has_container
tap_check "the hand-made cgroup $CG is reported as an lxc container" has_container
c0=$(cpu_total)
sleep 4
c1=$(cpu_total)
tap_like "$c0" '^[0-9.e+-]+$' "its CPU seconds are reported"
d=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')
tap_check "its CPU seconds grow by about the 4 s of busy time (got $d)" \
	awk -v d="$d" 'BEGIN { exit !(d > 2 && d < 7) }'
tap_check "its memory usage is above 0" mem_above 0
m0=$(mem_usage)

# tail holds the 64 MiB it has read until its input ends, 6 s later.
run_in_cg "$CG" timeout 10 sh -c '{ head -c 64M /dev/zero; sleep 6; } | tail >/dev/null'
HOG=$BG_PID
wait_for 8 mem_above $((m0 + 32 * 1024 * 1024))
tap_check "a 64 MiB memory hog raises its memory usage by more than 32 MiB" \
	mem_above $((m0 + 32 * 1024 * 1024))

# The memory limit is read again only when inotify reports a write to it:
# each new limit shows up within a few cycles all the same.
LIMIT_FILE=
for f in "$CGROOT/memory/$CG/memory.limit_in_bytes" "$CGROOT/$CG/memory.max"; do
	[ -w "$f" ] && { LIMIT_FILE=$f; break; }
done
limit_is() {
	local v
	v=$(val "virtmeter_container_memory_limit_bytes{$L}")
	[ -n "$v" ] && awk -v v="$v" -v w="$1" 'BEGIN { exit !(v == w) }'
}
if [ -z "$LIMIT_FILE" ]; then
	tap_skip "a written memory limit is reported" "no writable memory limit file for $CG"
else
	for lim in 1073741824 805306368; do
		echo "$lim" >"$LIMIT_FILE" || tap_abort "write $lim to $LIMIT_FILE"
		wait_for 5 limit_is "$lim"
		tap_check "a limit of $lim written to $(basename "$LIMIT_FILE") is reported" limit_is "$lim"
	done
fi

kill_pid "$HOG"
kill_pid "$BUSY"
tap_check "the test cgroups are removed while virtmeter runs" cg_remove "$CG"
wait_for 5 no_container
tap_check "the removed container's series are gone (but the energy counters the model keeps)" no_container ||
	tap_diag "still served: $(grep -Ev "$RETAINED" "$TEST_TMP/cg.b" | grep -o "^[a-z_]*{container=\"$NAME\"" | sort -u | tr '\n' ' ')"
tap_check "virtmeter is still running" kill -0 "$VM_PID"
fds_back() { local f; f=$(open_fds); [ -n "$f" ] && [ "$f" -le "$BASE_FDS" ]; }
# One evaluation decides: a scrape's own connection may be open when the
# process collector counts, so a second look could see one more.
tap_check "process_open_fds is back to its baseline $BASE_FDS" wait_for 8 fds_back ||
	tap_diag "process_open_fds is $(open_fds); descriptors at the baseline and now:" \
		"$(fd_list | diff "$TEST_TMP/fds.base" - )"

# A real LXC container, when LXC is installed.
if ! command -v lxc-start >/dev/null || ! command -v lxc-create >/dev/null; then
	tap_skip "a real LXC container" "lxc is not installed"
elif ! timeout 60 lxc-create -n "$LXC_NAME" -t busybox >"$TEST_TMP/lxc.log" 2>&1; then
	tap_diag_file "$TEST_TMP/lxc.log"
	tap_skip "a real LXC container" "lxc-create -t busybox failed here"
else
	LXC_STARTED=1
	CONF=/var/lib/lxc/$LXC_NAME/config
	sed -i '/^lxc\.net\.0\./d; /^lxc\.apparmor\.profile/d' "$CONF"
	printf 'lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n' >>"$CONF"
	timeout 30 lxc-start -n "$LXC_NAME" -d >>"$TEST_TMP/lxc.log" 2>&1
	LXID="container=\"$LXC_NAME\",id=\"$LXC_NAME\",runtime=\"lxc\""
	LX="$LXID,pod=\"\",namespace=\"\""
	lxc_seen() { [ -n "$(val "virtmeter_container_info{$LXID,image=\"\",pod=\"\",namespace=\"\"}")" ]; }
	lxc_cpu() { [ -n "$(val "virtmeter_container_cpu_seconds_total{$LX,mode=\"user\"}")" ]; }
	lxc_mem() { local m; m=$(val "virtmeter_container_memory_usage_bytes{$LX}"); [ -n "$m" ] && [ "${m%%.*}" -gt 0 ] 2>/dev/null; }
	wait_for 10 lxc_seen
	tap_check "a real LXC container is reported with runtime lxc" lxc_seen
	tap_check "the LXC container has CPU series" lxc_cpu
	tap_check "the LXC container has a memory usage above 0" lxc_mem
	# The energy model charges it (estimated where no meter measures the
	# host): a dynamic, an idle and a zero overhead counter, and power.
	src() { sed -n 's/^virtmeter_host_power_source_info{.*source="\([^"]*\)".*/\1/p' "$TEST_TMP/cg.b"; }
	lxc_energy() {
		scrape cg text >/dev/null
		[ -n "$(series_value "$TEST_TMP/cg.b" "virtmeter_container_energy_joules_total{$LX,component=\"dynamic\",source=\"$(src)\"}")" ]
	}
	wait_for 15 lxc_energy
	tap_check "the LXC container has energy counters under the host's power source ($(src))" lxc_energy
	tap_is "$(series_value "$TEST_TMP/cg.b" "virtmeter_container_energy_joules_total{$LX,component=\"overhead\",source=\"$(src)\"}")" 0 \
		"a container's overhead energy is 0"
	tap_check "the LXC container has a power gauge" \
		test -n "$(series_value "$TEST_TMP/cg.b" "virtmeter_container_power_watts{$LX,component=\"dynamic\",source=\"$(src)\"}")"
fi
# The log of the first virtmeter: its cgroup files went through an io_uring.
no_pread_line() { ! grep -q 'own pread' "$VM_LOG"; }
tap_check "with io_uring allowed, no line says the cgroup files are read with pread" no_pread_line

# io_uring refused, as Docker's default seccomp profile refuses it: one log
# line says so and why, and the container's figures are read with pread.
NO_URING=$top_builddir/tests/helpers/no_io_uring
if [ ! -x "$NO_URING" ]; then
	tap_skip "io_uring refused by seccomp" "$NO_URING is not built (make check builds it)"
else
	cg_make "$CG" || tap_abort "mkdir the cgroup $CG again"
	run_in_cg "$CG" timeout 20 sh -c 'while :; do :; done'
	VM_WRAP=("$NO_URING")
	start_virtmeter --config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT" \
		--no-collector.perf ||
		tap_abort "virtmeter starts under a seccomp filter that refuses io_uring"
	VM_WRAP=()
	wait_for 5 has_container
	tap_check "without io_uring the container is still found" has_container
	c0=$(cpu_total)
	sleep 2
	c1=$(cpu_total)
	tap_check "and its CPU seconds grow (from $c0 to $c1)" \
		awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(a != "" && b - a > 1) }'
	tap_is "$(grep -c 'io_uring not permitted (sysctl kernel.io_uring_disabled or a seccomp filter): reading each cgroup file with its own pread' "$VM_LOG")" 1 \
		"one log line says io_uring is refused and names the sysctl and seccomp"
	stop_virtmeter
	cg_remove "$CG"
fi

tap_done
