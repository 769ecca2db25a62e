#!/usr/bin/env bash
# Benchmark (not a test) of the energy model in the whole daemon: N VMs on
# libvirt's in-process test driver and N containers in a generated cgroup
# v2 tree (default 1000 each), every collector on at its default interval,
# once with the model and once with --no-collector.model:
#
#   VIRTMETER=./virtmeter [MODEL_BENCH=tests/bench/model_bench] \
#       bash tests/bench/model.sh [N]
#
# With MODEL_BENCH (make bench-model sets it), first runs that
# microbenchmark of the model alone and prints its figures. Then, in
# interleaved rounds (model on, model off, BENCH_ROUNDS times), starts a
# virtmeter, waits until it serves every container and VM (and, with the
# model, their energy), and reads its CPU time (utime + stime from
# /proc/PID/stat, and schedstat's nanoseconds) over BENCH_WINDOW seconds
# during which nothing scrapes it; then its resident memory, and one
# scrape that counts the VM and container energy series. Prints % of one
# core for each, the model's difference, and the goal (the whole daemon
# under 1 % of one core). See tests/bench/README-model.md.
#
# Installs nothing, needs neither root nor a libvirtd; about 5 minutes with
# the defaults. Everything it starts listens on 127.0.0.1 and is stopped by
# PID; the temporary directory is removed (KEEP_TMP=1 keeps it).
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"
export LC_ALL=C

N=${1:-1000}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N]" >&2; exit 2 ;; esac
ROUNDS=${BENCH_ROUNDS:-3}   # interleaved runs with and without the model
WINDOW=${BENCH_WINDOW:-30}  # seconds of CPU measured, without scrapes
GOAL_PCT=1                  # the whole daemon, % of one core
# More virtmeter flags for every run, split at blanks (e.g.
# --no-collector.perf, to see what the other collectors cost here).
read -r -a EXTRA_ARGS <<<"${BENCH_EXTRA_ARGS:-}"
FIXTURE=$top_srcdir/tests/fixtures/cgroup/v2-systemd
POWER_FIXTURE=$top_srcdir/tests/fixtures/power/sysfs
: "${VIRTMETER:=${top_builddir:-.}/virtmeter}"

[ -x "$VIRTMETER" ] || die "no virtmeter binary at $VIRTMETER (set VIRTMETER)"
for t in curl awk; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed (see tests/bench/README-model.md)"
done
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_libvirt_up[[:space:]]' ||
	die "this virtmeter has no libvirt collector (configure found no libvirt-dev?)"
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_vm_energy_joules' ||
	die "this virtmeter has no energy model"
CLK_TCK=$(getconf CLK_TCK)

# ---- the inputs --------------------------------------------------------------

# gen_tree (lib.sh) makes the tree, as for the cgroup benchmark; psys_meter
# (lib.sh) makes the RAPL fixture's psys counter grow.

echo "== energy model benchmark: $N VMs (libvirt test driver) + $N containers (generated cgroup v2 tree)"
echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $("$VIRTMETER" --version 2>&1 | head -n 1)"

# ---- the model alone, first (nothing else runs) -----------------------------

if [ -n "${MODEL_BENCH:-}" ]; then
	echo
	if [ -x "$MODEL_BENCH" ]; then
		timeout 300 "$MODEL_BENCH" -n "$N" 2>/dev/null || echo "WARNING: $MODEL_BENCH failed"
	else
		echo "WARNING: no $MODEL_BENCH (make tests/bench/model_bench)"
	fi
	echo
fi

XML=$TEST_TMP/node-$N.xml
bash "$BENCH_DIR/gen-testdriver-xml.sh" "$N" "$XML" || die "gen-testdriver-xml.sh failed"
TREE=$TEST_TMP/tree
gen_tree "$TREE" "$N"
SYS=$TEST_TMP/sys
if ! cp -a "$POWER_FIXTURE" "$SYS" || ! chmod -R u+w "$SYS"; then
	die "copying the power fixture failed"
fi
PSYS=$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj
[ -w "$PSYS" ] || die "no psys counter in the power fixture"
psys_meter "$PSYS" 150 &
lib_track_pid $!
echo "inputs: a test-driver node file of $N running domains (2 vCPUs each); a tree of $N docker containers; a RAPL fixture whose psys zone draws 150 W"

# ---- the runs ----------------------------------------------------------------

# count FILE ERE: lines of FILE that match ERE.
count() {
	grep -cE "$2" "$1"
}

# ready MODE: the last scrape (w.b) shows every container and VM and, with
# the model, energy series for both kinds.
ready() {
	scrape w text >/dev/null
	[ "$(count "$TEST_TMP/w.b" '^virtmeter_container_info\{')" -ge "$N" ] || return 1
	[ "$(count "$TEST_TMP/w.b" '^virtmeter_vm_info\{')" -ge "$N" ] || return 1
	[ "$1" = off ] && return 0
	[ "$(count "$TEST_TMP/w.b" '^virtmeter_container_energy_joules_total\{.*component="dynamic"')" -ge "$N" ] &&
		[ "$(count "$TEST_TMP/w.b" '^virtmeter_vm_energy_joules_total\{.*component="dynamic"')" -ge "$N" ]
}

# wait_ready MODE: polls ready for up to a minute, at gaps of 0.6 and 1.4 s
# in turn, so that the render ahead never learns a steady scrape interval
# (it would render once more, inside the window).
wait_ready() {
	local i
	for ((i = 0; i < 60; i++)); do
		ready "$1" && return 0
		if ((i % 2)); then sleep 1.4; else sleep 0.6; fi
	done
	return 1
}

# run_one MODE ROUND: one virtmeter (MODE on: with the model; off: without)
# measured over WINDOW seconds; appends "MODE ROUND pct_stat pct_sched
# rss_kb anon_kb vm_series ct_series" to $TEST_TMP/results.
run_one() {
	local mode=$1 round=$2 args=() c0 c1 n0 n1 t0 t1 rss anon vme cte
	[ "$mode" = off ] && args=(--no-collector.model)
	start_virtmeter --collector.libvirt.uri="test://$XML" --path.cgroupfs="$TREE" \
		--path.sysfs="$SYS" --storage.path="$TEST_TMP/store-$mode" "${args[@]}" "${EXTRA_ARGS[@]}" ||
		die "virtmeter did not start; its log: $(head -n 20 "$VM_LOG")"
	wait_ready "$mode" || die "virtmeter (model $mode) did not serve $N containers and VMs$([ "$mode" = on ] && echo " with their energy") within a minute; log: $(head -n 20 "$VM_LOG")"
	# Past the cycles that the first scrapes overlapped.
	sleep 3
	c0=$(cpu_ticks "$VM_PID")
	n0=$(sched_ns "$VM_PID")
	thread_ns "$VM_PID" >"$TEST_TMP/threads0"
	t0=$(date +%s.%N)
	sleep "$WINDOW"
	c1=$(cpu_ticks "$VM_PID")
	n1=$(sched_ns "$VM_PID")
	thread_ns "$VM_PID" >"$TEST_TMP/threads1"
	t1=$(date +%s.%N)
	rss=$(status_kb "$VM_PID" VmRSS)
	anon=$(status_kb "$VM_PID" RssAnon)
	scrape "end-$mode-$round" text >/dev/null
	vme=$(count "$TEST_TMP/end-$mode-$round.b" '^virtmeter_vm_energy_joules_total\{')
	cte=$(count "$TEST_TMP/end-$mode-$round.b" '^virtmeter_container_energy_joules_total\{')
	stop_virtmeter "$VM_PID" || echo "WARNING: virtmeter (model $mode) exited with status $VM_STATUS"
	awk -v m="$mode" -v r="$round" -v c=$((c1 - c0)) -v n=$((n1 - n0)) -v hz="$CLK_TCK" \
		-v t0="$t0" -v t1="$t1" -v rss="$rss" -v anon="$anon" -v vme="$vme" -v cte="$cte" 'BEGIN {
		w = t1 - t0
		printf "%s %d %.4f %.4f %d %d %d %d\n", m, r, 100 * c / hz / w, 100 * n / 1e9 / w, rss, anon, vme, cte
	}' >>"$TEST_TMP/results"
	tail -n 1 "$TEST_TMP/results" | awk '{ printf "round %d, model %-3s: %6.3f %% of a core (stat), %6.3f %% (schedstat); RSS %.1f MB, anonymous %.1f MB; energy series: %d VM, %d container\n", $2, $1, $3, $4, $5 / 1024, $6 / 1024, $7, $8 }'
	# Where it went, by thread (each collector has its own), over 0.01 %.
	awk -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
		NR == FNR { s0[$1] = $2; next }
		{ p = 100 * ($2 - s0[$1]) / 1e9 / w; if (p >= 0.01) printf "%s %.3f\n", $1, p }' \
		"$TEST_TMP/threads0" "$TEST_TMP/threads1" | sort -k2,2nr |
		awk '{ printf "%s%s %s", (n++ ? ", " : "    by thread, % of a core: "), $1, $2 } END { if (n) print "" }'
}

# The collectors' last cycle times, from the scrape of run MODE ROUND.
durations() {
	awk '/^virtmeter_collector_duration_seconds\{/ {
		match($0, /collector="[^"]*"/); c = substr($0, RSTART + 11, RLENGTH - 12)
		printf "%s%s %.1f ms", (n++ ? ", " : ""), c, $2 * 1000 } END { print "" }' "$TEST_TMP/end-$1-$2.b"
}

echo "runs: model on and off in turn, $ROUNDS each; ${WINDOW}s of CPU per run without scrapes${EXTRA_ARGS[*]:+; flags: ${EXTRA_ARGS[*]}}"
: >"$TEST_TMP/results"
for ((r = 1; r <= ROUNDS; r++)); do
	run_one on "$r"
	run_one off "$r"
done

echo
echo "last cycle per collector (model on, round $ROUNDS): $(durations on "$ROUNDS")"
awk -v goal="$GOAL_PCT" -v n="$N" '
	{ k = $1; runs[k]++; st[k] += $3; sc[k] += $4; rss[k] += $5; anon[k] += $6; vme[k] = $7; cte[k] = $8 }
	END {
		for (k in runs) { st[k] /= runs[k]; sc[k] /= runs[k]; rss[k] /= runs[k]; anon[k] /= runs[k] }
		printf "\n%-34s %10s %10s %9s %9s\n", "mean over runs", "% (stat)", "% (sched)", "RSS MB", "anon MB"
		printf "%-34s %10.3f %10.3f %9.1f %9.1f\n", "model on", st["on"], sc["on"], rss["on"] / 1024, anon["on"] / 1024
		printf "%-34s %10.3f %10.3f %9.1f %9.1f\n", "model off (--no-collector.model)", st["off"], sc["off"], rss["off"] / 1024, anon["off"] / 1024
		printf "%-34s %10.3f %10.3f %9.1f %9.1f\n", "difference: the model", st["on"] - st["off"], sc["on"] - sc["off"], (rss["on"] - rss["off"]) / 1024, (anon["on"] - anon["off"]) / 1024
		printf "\nthe model: %.2f us of CPU per workload per second (schedstat difference over %d workloads)\n", (sc["on"] - sc["off"]) / 100 * 1e6 / (2 * n), 2 * n
		printf "energy series in the last scrape with the model: %d VM (%d VMs), %d container (%d containers)\n", vme["on"], vme["on"] / 3, cte["on"], cte["on"] / 3
		printf "goal (the whole daemon, every collector and the model on, under %g %% of one core): %.3f %% (schedstat), %.2fx the goal: %s\n",
			goal, sc["on"], sc["on"] / goal, sc["on"] < goal ? "holds" : "MISSED"
	}' "$TEST_TMP/results"
