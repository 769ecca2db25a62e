#!/usr/bin/env bash
# Benchmark (not a test) of the perf collector: the default 8 events on N
# container cgroups (default 100) on this host's online CPUs.
#
#   VIRTMETER=./virtmeter bash tests/bench/perf.sh [N]
#
# Makes N cgroups (each with one sleeping process, named vmbench-perf-*, so
# that the cgroup collector publishes them as LXC-style containers), runs
# virtmeter with the cgroup and perf collectors at 1 s, and reports:
#   - descriptors: virtmeter_perf_open_fds and /proc/PID/fd, beside a
#     virtmeter with --no-collector.perf;
#   - CPU per collection cycle: virtmeter_collector_duration_seconds of
#     perf, and the CPU of the whole process (schedstat, all threads) minus
#     that of the virtmeter without perf, over the same window;
#   - slowdown of a CPU-bound loop (fixed work, pinned to the last CPU)
#     run inside one of the counted cgroups, with virtmeter counting and
#     with no virtmeter at all, interleaved ROUNDS times; medians and ratio.
# Needs root and a cgroup2 tree. Installs nothing; about a minute; every
# process it starts is stopped by PID and every cgroup it makes is removed.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/integration/cg_lib.sh
. "$top_srcdir/tests/integration/cg_lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"
export LC_ALL=C

N=${1:-100}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N]" >&2; exit 2 ;; esac
ROUNDS=${BENCH_ROUNDS:-7}
WINDOW=${BENCH_CPU_CYCLES:-10} # 1 s cycles measured without any scrape
LOOP_N=${BENCH_LOOP_N:-40000000}
GOAL_PCT=1
: "${VIRTMETER:=${top_builddir:-.}/virtmeter}"

[ -x "$VIRTMETER" ] || die "no virtmeter binary at $VIRTMETER (set VIRTMETER)"
[ "$(id -u)" = 0 ] || die "needs root to make cgroups and count them"
"$VIRTMETER" --help 2>&1 | grep -q -- '--collector.perf.events' ||
	die "this virtmeter has no perf collector (built without libpfm4)"
[ -n "$CG_UNIFIED" ] || die "no cgroup2 tree under $CGROOT"
LAST_CPU=$(($(nproc) - 1))

nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# shellcheck disable=SC2317 # runs from the trap
cleanup() {
	cg_remove_all
	lib_cleanup
}
trap cleanup EXIT

# A cgroup outside the include pattern: the same host, not counted.
OUTSIDE=lxc.payload.vmbench-outside
cg_make "$OUTSIDE" || die "mkdir the cgroup $OUTSIDE"
FIRST=lxc.payload.vmbench-perf-0 # the counted cgroup the loop runs in
echo "== perf collector benchmark: 8 default events, $N cgroups"
echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $("$VIRTMETER" --version 2>&1 | head -n 1)"
for ((i = 0; i < N; i++)); do
	n=lxc.payload.vmbench-perf-$i
	cg_make "$n" || die "mkdir the cgroup $n"
	# Not a job of this shell: killed through its cgroup at the end.
	(cg_exec "$n" sleep 600 &) 2>/dev/null
done

cat >"$TEST_TMP/bench.yml" <<'YML'
collectors:
  cgroup:
    interval: 1s
  perf:
    interval: 1s
cgroup:
  include: ["vmbench-perf-*"]
YML
start_pair() {
	start_virtmeter --config.file="$TEST_TMP/bench.yml" --no-collector.libvirt --path.cgroupfs="$CGROOT" ||
		die "virtmeter did not start: $(head -n 20 "$VM_LOG")"
	ON_PID=$VM_PID ON_URL=$VM_URL/metrics
}
# wait_counted URL MIN: waits (20 s at most) until MIN cgroups are counted.
wait_counted() {
	local i n=0
	for ((i = 0; i < 80; i++)); do
		scrape wc text "$1" >/dev/null
		n=$(metric "$TEST_TMP/wc.b" virtmeter_perf_cgroups_counted)
		[ "${n:-0}" -ge "$2" ] && break
		sleep 0.25
	done
	echo "${n:-0}"
}

# ---- descriptors and CPU per cycle -------------------------------------------
start_pair
start_virtmeter --config.file="$TEST_TMP/bench.yml" --no-collector.libvirt --path.cgroupfs="$CGROOT" \
	--no-collector.perf || die "the virtmeter without perf did not start"
OFF_PID=$VM_PID
COUNTED=$(wait_counted "$ON_URL" "$N")
[ "$COUNTED" -ge "$N" ] || echo "WARNING: $COUNTED of $N cgroups counted"
sleep 2
scrape a text "$ON_URL" >/dev/null
SUPPORTED=$(grep -c '^virtmeter_perf_event_supported{.*} 1$' "$TEST_TMP/a.b")
echo "events counted here: $SUPPORTED of 8 ($(grep '^virtmeter_perf_event_supported{.*} 1$' "$TEST_TMP/a.b" |
	sed 's/.*event="\([^"]*\)".*/\1/' | tr '\n' ' '))"
echo "unsupported here: $(grep '^virtmeter_perf_event_supported{.*} 0$' "$TEST_TMP/a.b" |
	sed 's/.*event="\([^"]*\)".*/\1/' | tr '\n' ' ')"
PFDS=$(metric "$TEST_TMP/a.b" virtmeter_perf_open_fds)
echo
echo "-- descriptors ($COUNTED cgroups counted, $(nproc) CPUs)"
echo "virtmeter_perf_open_fds: $PFDS ($(fmt '%.1f' "$(awk -v f="$PFDS" -v n="$COUNTED" -v c="$(nproc)" 'BEGIN { print f / (n + 1) / c }')") per target per CPU; host + $COUNTED cgroups)"
echo "/proc/PID/fd: $(nfds "$ON_PID") with perf, $(nfds "$OFF_PID") without"

SER='virtmeter_collector_duration_seconds{collector="perf"}'
A0=$(sched_ns "$ON_PID")
B0=$(sched_ns "$OFF_PID")
T0=$(date +%s.%N)
sleep "$WINDOW"
A1=$(sched_ns "$ON_PID")
B1=$(sched_ns "$OFF_PID")
T1=$(date +%s.%N)
durs=()
for ((i = 0; i < 5; i++)); do
	scrape "d$i" text "$ON_URL" >/dev/null
	durs+=("$(metric "$TEST_TMP/d$i.b" "$SER")")
	sleep 1
done
DUR=$(printf '%s\n' "${durs[@]}" | median)
CYCLES=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%d", b - a + 0.5 }')
CPU_MS=$(awk -v a=$((A1 - A0)) -v b=$((B1 - B0)) -v c="$CYCLES" 'BEGIN { print (a - b) / 1e6 / c }')
echo
echo "-- CPU per collection cycle (interval 1 s, ${WINDOW} s window without scrapes)"
fmt "perf cycle duration: %.2f ms (median of 5), %.1f us per cgroup\n" \
	"$(awk -v d="$DUR" 'BEGIN { print d * 1000 }')" "$(awk -v d="$DUR" -v n="$COUNTED" 'BEGIN { print d * 1e6 / n }')"
fmt "CPU with perf minus without: %.2f ms per cycle, %.1f us per cgroup per cycle\n" \
	"$CPU_MS" "$(awk -v m="$CPU_MS" -v n="$COUNTED" 'BEGIN { print m * 1000 / n }')"
echo "VmRSS: $(status_kb "$ON_PID" VmRSS) kB with perf, $(status_kb "$OFF_PID" VmRSS) kB without"
stop_virtmeter "$OFF_PID"
stop_virtmeter "$ON_PID"

# ---- slowdown of a CPU-bound loop ----------------------------------------------
# run_loop [CGROUP]: CPU time (user + system, s) of the fixed-work loop,
# pinned to the last CPU, inside CGROUP (default: the first counted one). CPU time rather than wall
# time: on a shared host the loop also waits for its CPU, and that wait is
# not what counting costs (what it costs, at context switches and timer
# ticks, is charged to the loop itself).
run_loop() {
	local TIMEFORMAT='%U %S' t
	t=$({ time cg_exec "${1:-$FIRST}" taskset -c "$LAST_CPU" \
		awk -v n="${2:-$LOOP_N}" 'BEGIN { for (i = 0; i < n; i++) s += i; exit s < 0 }'; } 2>&1)
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f\n", a[1] + a[2] }'
}
echo
echo "-- slowdown of a CPU-bound loop ($LOOP_N awk iterations on CPU $LAST_CPU, in a counted cgroup; CPU seconds)"
run_loop >/dev/null # warm-up
OFF=() ON=()
for ((r = 0; r < ROUNDS; r++)); do
	OFF+=("$(run_loop)")
	start_pair
	wait_counted "$ON_URL" "$N" >/dev/null
	sleep 1
	ON+=("$(run_loop)")
	stop_virtmeter "$ON_PID"
done
OFF_MED=$(printf '%s\n' "${OFF[@]}" | median)
ON_MED=$(printf '%s\n' "${ON[@]}" | median)
PAIRED=$(for ((r = 0; r < ROUNDS; r++)); do awk -v a="${OFF[r]}" -v b="${ON[r]}" 'BEGIN { print b / a }'; done | median)
echo "without virtmeter: ${OFF[*]} s (median $OFF_MED)"
echo "virtmeter counting $N cgroups: ${ON[*]} s (median $ON_MED)"
SLOW=$(awk -v a="$OFF_MED" -v b="$ON_MED" 'BEGIN { printf "%.2f", (b / a - 1) * 100 }')
fmt "ratio on/off: %.4f = %+.2f %% (goal < $GOAL_PCT %%); median of the paired ratios %.4f\n" \
	"$(awk -v a="$OFF_MED" -v b="$ON_MED" 'BEGIN { print b / a }')" "$SLOW" "$PAIRED"
# The spread of the runs without virtmeter is the noise floor of this run.
NOISE=$(printf '%s\n' "${OFF[@]}" | sort -g | awk -v m="$OFF_MED" '{ v[NR] = $1 } END { printf "%.1f", (v[NR] - v[1]) / m * 100 }')
echo "noise: the runs without virtmeter spread over $NOISE % of their median"
awk -v s="$SLOW" -v g="$GOAL_PCT" -v n="$NOISE" 'BEGIN {
	if (n + 0 >= g + 0 && (s < 0 ? -s : s) < n + 0)
		print "verdict: the difference is within this run'"'"'s noise, which is larger than the goal: this run cannot tell whether the goal is met"
	else if (s + 0 < g + 0)
		print "verdict: goal met"
	else
		print "verdict: goal NOT met"
}'

# ---- the same virtmeter, loop in a counted and in an uncounted cgroup ---------
# Isolates what per-cgroup counting costs the counted workload, with
# short runs interleaved closely (the order alternates) so that the host's
# drift cancels out; the same pairs with no virtmeter at all are the
# control: any ratio there is the bias and noise of the method.
PAIRS=${BENCH_PAIRS:-15}
SHORT_N=$((LOOP_N / 4))

# pairs LABEL: PAIRS interleaved runs in the counted and the outside
# cgroup; prints the medians and the median of the paired ratios.
pairs() {
	local r a b in=() out=() ratio=()
	for ((r = 0; r < PAIRS; r++)); do
		if ((r % 2)); then
			b=$(run_loop "$FIRST" "$SHORT_N")
			a=$(run_loop "$OUTSIDE" "$SHORT_N")
		else
			a=$(run_loop "$OUTSIDE" "$SHORT_N")
			b=$(run_loop "$FIRST" "$SHORT_N")
		fi
		out+=("$a") in+=("$b")
		ratio+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')")
	done
	awk -v l="$1" -v a="$(printf '%s\n' "${out[@]}" | median)" \
		-v b="$(printf '%s\n' "${in[@]}" | median)" -v r="$(printf '%s\n' "${ratio[@]}" | median)" \
		'BEGIN { printf "%-28s outside %.3f s, counted %.3f s; paired ratio %.4f (%+.2f %%)\n", l, a, b, r, (r - 1) * 100 }'
}
echo
echo "-- the loop ($SHORT_N iterations) in cgroup ${FIRST#lxc.payload.} vs one outside the include pattern, $PAIRS pairs each"
pairs "no virtmeter (control):"
start_pair
wait_counted "$ON_URL" "$N" >/dev/null
pairs "virtmeter counting $N:"
stop_virtmeter "$ON_PID"
exit 0
