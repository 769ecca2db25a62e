#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# The cgroup collector on this machine's real cgroup filesystem: a
# hand-made LXC-like cgroup with a bounded busy loop and a memory hog shows
# CPU and memory moving; removing it while virtmeter runs drops its series
# and its descriptors; and, when LXC is installed, a real busybox container
# is reported with runtime "lxc". Needs root. Everything is bounded in time
# and undone by the EXIT trap.
. "$(dirname "$0")/lib.sh"

CGROOT=${CGROUPFS:-/sys/fs/cgroup}
NAME=vmtest-busy
CG=lxc.payload.$NAME
LXC_NAME=vmt-lxc1
LXC_STARTED=0
DIRS=()

[ "$(id -u)" = 0 ] || tap_skip_all "needs root to create cgroups"
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ -e "$CGROOT/cgroup.controllers" ] || [ -e "$CGROOT/memory/cgroup.procs" ] ||
	[ -e "$CGROOT/unified/cgroup.controllers" ] ||
	tap_skip_all "no cgroup hierarchy under $CGROOT"

# The directories of the test cgroup: one per v1 controller that matters
# and one in the cgroup2 tree (on a pure cgroup2 host, just the root).
if [ -e "$CGROOT/cgroup.controllers" ]; then
	DIRS=("$CGROOT/$CG")
else
	for h in cpu cpuacct memory pids blkio unified; do
		[ -e "$CGROOT/$h/cgroup.procs" ] && DIRS+=("$CGROOT/$h/$CG")
	done
fi

# kill_cg_procs: kills every process left in the test cgroup.
kill_cg_procs() {
	local d p
	for d in "${DIRS[@]}"; do
		[ -f "$d/cgroup.procs" ] || continue
		while read -r p; do
			kill -KILL "$p" 2>/dev/null
		done <"$d/cgroup.procs"
	done
}

cleanup() {
	local d i ok
	kill_cg_procs
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in "${DIRS[@]}"; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
		ok=1
		for d in "${DIRS[@]}"; do [ -d "$d" ] && ok=0; done
		[ "$ok" = 1 ] && break
		sleep 0.2
	done
	if [ "$LXC_STARTED" = 1 ]; then
		timeout 20 lxc-stop -k -n "$LXC_NAME" >/dev/null 2>&1
		timeout 20 lxc-destroy -n "$LXC_NAME" >/dev/null 2>&1
	fi
	lib_cleanup
}
trap cleanup EXIT

# run_in_cg CMD...: runs CMD in the background inside the test cgroup.
# Sets BG_PID.
run_in_cg() {
	local procs=() d
	for d in "${DIRS[@]}"; do procs+=("$d/cgroup.procs"); done
	sh -c 'n=$1; shift; i=0
		for f in "$@"; do
			i=$((i + 1)); [ $i -le "$n" ] || break
			echo $$ >"$f" || exit 1
		done
		shift "$n"; exec "$@"' sh "${#procs[@]}" "${procs[@]}" "$@" &
	BG_PID=$!
	lib_track_pid "$BG_PID"
}

# val SERIES: its value in a fresh scrape, empty if absent.
val() {
	scrape cg text >/dev/null
	series_value "$TEST_TMP/cg.b" "$1"
}

L="container=\"$NAME\",id=\"$NAME\",runtime=\"lxc\""
cpu_total() {
	scrape cg text >/dev/null
	local u s
	u=$(series_value "$TEST_TMP/cg.b" "virtmeter_container_cpu_seconds_total{$L,mode=\"user\"}")
	s=$(series_value "$TEST_TMP/cg.b" "virtmeter_container_cpu_seconds_total{$L,mode=\"system\"}")
	[ -n "$u" ] && [ -n "$s" ] && awk -v u="$u" -v s="$s" 'BEGIN { print u + s }'
}
has_container() { [ -n "$(val "virtmeter_container_info{$L,image=\"\",pod=\"\",namespace=\"\"}")" ]; }
no_container() { scrape cg text >/dev/null; ! grep -q "container=\"$NAME\"" "$TEST_TMP/cg.b"; }
mem_usage() { val "virtmeter_container_memory_usage_bytes{$L}"; }
mem_above() { local m; m=$(mem_usage); [ -n "$m" ] && awk -v m="$m" -v t="$1" 'BEGIN { exit !(m > t) }'; }
open_fds() { val 'process_open_fds'; }

cat >"$TEST_TMP/config.yml" <<'YML'
collectors:
  cgroup:
    interval: 1s
  process:
    interval: 1s
YML
start_virtmeter --config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT" ||
	tap_abort "virtmeter starts"
fds_known() { [ -n "$(open_fds)" ]; }
wait_for 5 fds_known
sleep 1.5 # a cgroup cycle has run: its descriptors are counted
BASE_FDS=$(open_fds)
tap_like "$BASE_FDS" '^[0-9]+$' "process_open_fds is reported before the test cgroup exists"

for d in "${DIRS[@]}"; do mkdir "$d" || tap_abort "mkdir $d"; done
run_in_cg timeout 8 sh -c 'while :; do :; done'
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
run_in_cg timeout 10 sh -c '{ head -c 64M /dev/zero; sleep 6; } | tail >/dev/null'
HOG=$BG_PID
wait_for 8 mem_above $((m0 + 32 * 1024 * 1024))
tap_check "a 64 MiB memory hog raises its memory usage by more than 32 MiB" \
	mem_above $((m0 + 32 * 1024 * 1024))

kill_pid "$HOG"
kill_pid "$BUSY"
kill_cg_procs
sleep 0.3
for i in 1 2 3 4 5 6 7 8 9 10; do
	left=0
	for d in "${DIRS[@]}"; do [ -d "$d" ] && { rmdir "$d" 2>/dev/null || left=1; }; done
	[ "$left" = 0 ] && break
	sleep 0.3
done
tap_is "$left" 0 "the test cgroups are removed while virtmeter runs"
wait_for 5 no_container
tap_check "the removed container's series are gone" no_container
tap_check "virtmeter is still running" kill -0 "$VM_PID"
fds_back() { local f; f=$(open_fds); [ -n "$f" ] && [ "$f" -le "$BASE_FDS" ]; }
# One evaluation decides: a scrape's own connection may be open when the
# process collector counts, so a second look could see one more.
tap_check "process_open_fds is back to its baseline $BASE_FDS" wait_for 8 fds_back ||
	tap_diag "process_open_fds is $(open_fds)"

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
	LX="container=\"$LXC_NAME\",id=\"$LXC_NAME\",runtime=\"lxc\""
	lxc_seen() { [ -n "$(val "virtmeter_container_info{$LX,image=\"\",pod=\"\",namespace=\"\"}")" ]; }
	lxc_cpu() { [ -n "$(val "virtmeter_container_cpu_seconds_total{$LX,mode=\"user\"}")" ]; }
	lxc_mem() { local m; m=$(val "virtmeter_container_memory_usage_bytes{$LX}"); [ -n "$m" ] && [ "${m%%.*}" -gt 0 ] 2>/dev/null; }
	wait_for 10 lxc_seen
	tap_check "a real LXC container is reported with runtime lxc" lxc_seen
	tap_check "the LXC container has CPU series" lxc_cpu
	tap_check "the LXC container has a memory usage above 0" lxc_mem
fi
tap_done
