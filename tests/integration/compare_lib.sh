# shellcheck shell=bash source-path=SCRIPTDIR
# shellcheck disable=SC2317,SC2034,SC2154 # checks called by name; CPUS, DAEMON_URL for the sourcing scripts; top_srcdir from lib.sh
# Shared by compare.sh and compare_vm.sh (source it after lib.sh and
# cg_lib.sh): reading the tool's files, the RAPL fixture whose power follows
# the comparison's workloads, a virtmeter reading it, and the checks of
# every good run against the fixture and the daemon's own counters.

# within GOT WANT PCT [ABS]: |GOT - WANT| <= PCT % of WANT (or ABS).
within() {
	awk -v g="$1" -v w="$2" -v p="$3" -v a="${4:-0}" 'BEGIN {
		d = g - w; if (d < 0) d = -d; t = p / 100 * (w < 0 ? -w : w); if (a > t) t = a
		exit !(g != "" && w != "" && d <= t) }'
}
# col FILE TARGET RUN COLUMN: a cell of runs.csv.
col() {
	awk -F, -v t="$2" -v r="$3" -v c="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$1 == t && $2 == r { print $h[c] }' "$1"
}
# sumcell FILE TARGET FIGURE FIELD: a cell of summary.csv (FIELD mean, sd or diff_pct).
sumcell() {
	awk -F, -v t="$2" -v f="$3" -v c="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$1 == t && $8 == f { print $h[c] }' "$1"
}
# csv_ok FILE: every row has as many fields as the header.
csv_ok() { awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad || NR < 2 }' "$1"; }
json_ok() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
# svg_lines FILE: the number of polylines of a well-formed SVG (fails if not).
svg_lines() {
	python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(len(r.findall(".//{http://www.w3.org/2000/svg}polyline")))' "$1"
}

# ---- the RAPL fixture --------------------------------------------------------------

# The fixture draws IDLE_W, plus SLOPE_W for each CPU that the
# comparison's workloads (native, container and guest) keep busy (their cgroups' CPU time, read every
# 10 ms), so that its power steps up when a job starts and down when it
# ends, whatever else keeps this host busy; its counter is written in
# place (the way model_energy.sh does). A log of "time microjoules"
# every 100 ms gives its energy over any window.
IDLE_W=60 SLOPE_W=40
CPUS=$(grep -c '^cpu[0-9]' /proc/stat)
# workload_ns: the CPU nanoseconds of the comparison's cgroups now.
workload_ns() {
	local f v sum=0
	for f in "${CG_UNIFIED:-/nonexistent}"/machine.slice/machine-virtmeter_compare_native_*/cpu.stat \
		"${CG_UNIFIED:-/nonexistent}"/lxc.payload.vmcompare-*/cpu.stat \
		"${CG_UNIFIED:-/nonexistent}"/machine.slice/machine-qemu*vmcompare*.scope/cpu.stat \
		"${CG_UNIFIED:-/nonexistent}"/machine/qemu-*vmcompare*.libvirt-qemu/cpu.stat; do
		[ -r "$f" ] || continue
		while read -r k v; do
			[ "$k" = usage_usec ] && { sum=$((sum + v * 1000)); break; }
		done <"$f" 2>/dev/null
	done
	WL_NS=$sum
}
fixture_power() {
	local f=$1 fd e t0 prev now d
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	read -r e <"$f"
	t0=${EPOCHREALTIME/./}
	workload_ns
	prev=$WL_NS
	for ((;;)); do
		read -r -t 0.01 -u "$fd" _
		now=${EPOCHREALTIME/./}
		workload_ns
		# A cgroup that went away takes its time with it: count only growth.
		d=$((WL_NS - prev))
		[ $d -lt 0 ] && d=0
		prev=$WL_NS
		# microjoules: W * us, and W * ns / 1000.
		e=$((e + IDLE_W * (now - t0) + SLOPE_W * d / 1000))
		t0=$now
		printf '%d\n' "$e" 1<>"$f"
	done
}
fixture_log() {
	local fd uj
	mkfifo "$TEST_TMP/tick2" && exec {fd}<>"$TEST_TMP/tick2" || return 1
	for ((;;)); do
		read -r uj <"$PSYS"
		echo "$EPOCHREALTIME $uj"
		read -r -t 0.1 -u "$fd" _
	done >"$TEST_TMP/fixture.log"
}

# fixture_j A B: the fixture's joules between the times A and B,
# interpolated in its log.
fixture_j() {
	awk -v a="$1" -v b="$2" '
		function at(x,    i) {
			for (i = 2; i <= n; i++)
				if (t[i] >= x) return e[i - 1] + (e[i] - e[i - 1]) * (x - t[i - 1]) / (t[i] - t[i - 1])
			return ""
		}
		{ t[++n] = $1; e[n] = $2 / 1e6 }
		END { ea = at(a); eb = at(b); if (ea != "" && eb != "") printf "%.6f\n", eb - ea }' "$TEST_TMP/fixture.log"
}

# fixture_start: a copy of the sysfs fixture in $TEST_TMP/sys (SYS), its
# psys counter (PSYS) advanced by fixture_power, and the log of it.
fixture_start() {
	SYS=$TEST_TMP/sys
	cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" && chmod -R u+w "$SYS" || return 1
	PSYS=$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj
	fixture_power "$PSYS" &
	lib_track_pid $!
	fixture_log &
	lib_track_pid $!
}

# fixture_virtmeter ARGS...: a virtmeter reading the fixture every 250 ms,
# its collectors quick (so that a window's ends are exact), the model
# charging idle power equally, ended workloads kept for 30 min (the
# checks read each run's counters at the end); DAEMON_URL is its address.
fixture_virtmeter() {
	cat >"$TEST_TMP/vm.yml" <<'YML'
collectors:
  host: {interval: 250ms}
  cgroup: {interval: 250ms, idle_cycles: 1}
  power: {interval: 250ms}
  libvirt: {interval: 1s}
  model: {interval: 1s}
  process: {enabled: false}
# The fixture read every 250 ms: the energy at a job's start and end is
# interpolated between readings, exact where the power is steady between
# them.
meters:
  - {name: rapl, type: rapl, interval: 250ms}
YML
	start_virtmeter --config.file="$TEST_TMP/vm.yml" --path.sysfs="$SYS" --storage.path="$TEST_TMP/store" \
		--no-collector.perf --no-collector.textfile --collector.model.idle-policy=equal \
		--collector.model.retire-after=30m "$@" || return 1
	DAEMON_URL=$VM_URL
}

# ---- checks of every good run -----------------------------------------------------

# R: the runs.csv checked; CMP_TARGETS: its targets (native container ...);
# CMP_RUNS: its runs. for_runs CHECK: CHECK TARGET RUN for each; every
# check prints one line per failure.
for_runs() {
	local f=$1 t r
	for t in $CMP_TARGETS; do
		for ((r = 1; r <= CMP_RUNS; r++)); do "$f" "$t" "$r"; done
	done
}
energy_vs_fixture() {
	local got want
	got=$(col "$R" "$1" "$2" energy_j)
	want=$(fixture_j "$(col "$R" "$1" "$2" t_start)" "$(col "$R" "$1" "$2" t_end)")
	within "$got" "$want" 2 || echo "$1 run $2: energy $got J, the fixture's $want J"
}
idle_vs_fixture() {
	local got want t0 t1
	got=$(col "$R" "$1" "$2" idle_w)
	t0=$(col "$R" "$1" "$2" idle_t0) t1=$(col "$R" "$1" "$2" idle_t1)
	want=$(calc 'j / (b - a)' j="$(fixture_j "$t0" "$t1")" a="$t0" b="$t1")
	within "$got" "$want" 2 || echo "$1 run $2: idle $got W, the fixture's $want W"
}
# poll_start FILE: from now on, every 0.2 s, the test's own scrape of the
# daemon appends to FILE a line "UNTIL SERIES VALUE" per workload dynamic
# energy series, UNTIL the moment the model's counters stand for
# (virtmeter_model_attributed_until_timestamp_seconds). POLL_PID is the
# loop's; poll_stop ends it.
poll_start() {
	while :; do
		curl -s --max-time 2 "$DAEMON_URL/metrics" | awk '
			/^virtmeter_model_attributed_until_timestamp_seconds / { u = $2 }
			/^virtmeter_(vm|container)_energy_joules_total\{/ && /component="dynamic"/ { s[++n] = $1; v[n] = $2 }
			END { if (u != "") for (k = 1; k <= n; k++) print u, s[k], v[k] }'
		sleep 0.2
	done >>"$1" &
	POLL_PID=$!
	lib_track_pid "$POLL_PID"
}
poll_stop() { kill "$POLL_PID" 2>/dev/null; wait "$POLL_PID" 2>/dev/null; }
# run_tool SECS ARGS...: the tool with ARGS, ended after SECS, with
# CMP_PID set to its process ID. The tool names its workloads after it,
# so the checks find this run's series and not those of another
# comparison running beside it.
run_tool() {
	local secs=$1 t
	shift
	timeout "$secs" "$TOOL" "$@" &
	t=$!
	lib_track_pid "$t"
	CMP_PID=
	while [ -z "$CMP_PID" ] && kill -0 "$t" 2>/dev/null; do
		CMP_PID=$(pgrep -P "$t" | head -n 1)
		[ -n "$CMP_PID" ] || sleep 0.05
	done
	wait "$t"
}
# daemon_dyn TARGET RUN A B: the dynamic energy that the daemon charged
# the run's workload over the model's intervals that cover the moments A
# to B, from the poll in $POLL: its counter where the model's counters
# last stood for A or earlier, and first for B or later (a guest's boot
# before its job is not counted).
daemon_dyn() {
	local pat
	case $1 in
	native) pat="virtmeter_container_energy_joules_total\\{container=\"virtmeter_compare_native_${CMP_PID:-[0-9]+}_$2\"" ;;
	container) pat="virtmeter_container_energy_joules_total\\{container=\"vmcompare-${CMP_PID:-[0-9]+}-$2\"" ;;
	vm) pat="virtmeter_vm_energy_joules_total\\{vm=\"vmcompare-${CMP_PID:-[0-9]+}-$2\"" ;;
	esac
	grep -E "^[0-9.e+]+ $pat" "$POLL" | awk -v a="$3" -v b="$4" '
		$1 != last { n++; u[n] = $1; v[n] = $3; last = $1 }
		END {
			for (k = 1; k <= n; k++) { if (u[k] <= a) s = k; if (u[k] >= b && !e) e = k }
			if (s && e) printf "%.6f\n", v[e] - v[s]
		}'
}
dyn_vs_daemon() {
	local got want
	got=$(col "$R" "$1" "$2" dynamic_j)
	want=$(daemon_dyn "$1" "$2" "$(col "$R" "$1" "$2" t_start)" "$(col "$R" "$1" "$2" t_end)")
	within "$got" "$want" 2 0.05 || echo "$1 run $2: dynamic $got J, the daemon's counter $want J"
}
parts() {
	local p h
	p=$(calc 'a + b + c' a="$(col "$R" "$1" "$2" dynamic_j)" b="$(col "$R" "$1" "$2" idle_j)" c="$(col "$R" "$1" "$2" overhead_j)")
	h=$(col "$R" "$1" "$2" host_counter_j)
	awk -v p="$p" -v h="$h" 'BEGIN { exit !(p > 0 && p <= h * 1.001) }' || echo "$1 run $2: parts $p J, host $h J"
}
