#!/usr/bin/env bash
# Benchmark (not a test) of the cgroup collector on a generated cgroup v2
# tree of N containers (default 1000), with collectd's cgroups plugin beside
# it where the host allows a comparison:
#
#   VIRTMETER=./virtmeter bash tests/bench/cgroup.sh [N]
#
# Part 1 (always): virtmeter with --path.cgroupfs=TREE, the cgroup interval
# at 1 s; collection time per cycle, CPU per cycle and per container (minus
# an idle virtmeter measured in the same window), RSS, scrape p50/p99 with
# wrk (plain and gzip).
# Part 2 (when collectd is installed, we are root and the host has a
# writable cgroup v1 cpuacct hierarchy): collectd's cgroups plugin cannot be
# pointed at a directory (it finds the cpuacct mount in /proc/mounts), so N
# empty cgroups are made in the host's real v1 hierarchies and both
# collectd and a second virtmeter read that same tree; CPU per cgroup per
# cycle and their ratio. See tests/bench/README-cgroup.md.
#
# Installs nothing; about 1.5 minutes; everything it starts listens on
# 127.0.0.1 (collectd listens nowhere) and is stopped by PID at the end;
# the temporary directory and the cgroups it made are removed.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"
export LC_ALL=C

N=${1:-1000}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N]" >&2; exit 2 ;; esac
WRK_SECONDS=${BENCH_WRK_SECONDS:-5}
CPU_CYCLES=${BENCH_CPU_CYCLES:-15} # 1 s cycles measured without any scrape
GOAL_US=20                         # collection CPU per container per cycle
FIXTURE=$top_srcdir/tests/fixtures/cgroup/v2-systemd
: "${VIRTMETER:=${top_builddir:-.}/virtmeter}"

[ -x "$VIRTMETER" ] || die "no virtmeter binary at $VIRTMETER (set VIRTMETER)"
for t in wrk curl awk; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed (see tests/bench/README-cgroup.md)"
done
"$VIRTMETER" --version 2>/dev/null | grep -q yaml ||
	die "this virtmeter cannot read a configuration file (no libyaml): the bench sets the interval through one"
CLK_TCK=$(getconf CLK_TCK)

# ---- helpers ---------------------------------------------------------------

# per_us TICKS_OR_NS_DELTA DIVISOR_CYCLES DIVISOR_UNITS SCALE: microseconds
# per unit per cycle; SCALE converts the delta to seconds.
per_us() {
	awk -v d="$1" -v c="$2" -v u="$3" -v s="$4" 'BEGIN { print (c > 0 && u > 0) ? d * s * 1e6 / c / u : 0 }'
}

# start_vm NAME ARGS...: a virtmeter with the cgroup interval at 1 s (and
# the host and process collectors at their defaults); sets NAME_PID and
# NAME_URL.
printf 'collectors:\n  cgroup:\n    interval: 1s\n' >"$TEST_TMP/bench.yml"
# Only the cgroup collector's work is measured: the perf collector would
# try to count every container the cgroup collector publishes, and the
# power collector reads meters.
OTHERS=()
for c in perf power; do
	"$VIRTMETER" --help 2>&1 | grep -qE "^  $c +" && OTHERS+=("--no-collector.$c")
done
start_vm() {
	local name=$1
	shift
	start_virtmeter --config.file="$TEST_TMP/bench.yml" --no-collector.libvirt "${OTHERS[@]}" "$@" ||
		die "virtmeter $* did not start; its log: $(head -n 20 "$VM_LOG")"
	printf -v "${name}_PID" %s "$VM_PID"
	printf -v "${name}_URL" %s "$VM_URL/metrics"
}

# wait_containers URL MIN: waits (30 s at most) until URL reports at least
# MIN containers; prints the count.
wait_containers() {
	local i n=0
	for ((i = 0; i < 120; i++)); do
		scrape wc text "$1" >/dev/null
		n=$(grep -c '^virtmeter_container_info{' "$TEST_TMP/wc.b")
		[ "$n" -ge "$2" ] && break
		sleep 0.25
	done
	echo "$n"
}

# ---- the tree --------------------------------------------------------------

# gen_tree (lib.sh) makes the tree.

TREE=$TEST_TMP/tree
echo "== cgroup collector benchmark: $N containers"
echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $("$VIRTMETER" --version 2>&1 | head -n 1)"
gen_tree "$TREE" "$N"
echo "tree: cgroup v2, $N x system.slice/docker-<64 hex>.scope, $(find "$TREE/system.slice" -mindepth 2 -type f | wc -l) files"

# ---- part 1: virtmeter on the generated tree ---------------------------------

# BUSY reads every container in full every cycle: the cost when every
# container is busy (memory.max, cpu.max and memory.events, which inotify says are
# unchanged, are skipped as on any host). BUSYP does the same with a pread
# per file instead of batches through an io_uring. DEF runs with the defaults: the generated files never
# change, so every container looks idle and is mostly probed (CPU time only).
start_vm BUSY --path.cgroupfs="$TREE" --collector.cgroup.idle-cycles=1
start_vm BUSYP --path.cgroupfs="$TREE" --collector.cgroup.idle-cycles=1 --no-collector.cgroup.io-uring
start_vm DEF --path.cgroupfs="$TREE"
start_vm IDLE --path.cgroupfs="$TREE" --no-collector.cgroup
NCT=$(wait_containers "$BUSY_URL" "$N")
[ "$NCT" -ge "$N" ] || echo "WARNING: virtmeter reports $NCT of $N containers"
sleep 2
scrape a text "$BUSY_URL" >/dev/null
echo "virtmeter exports $NCT containers; body $(wc -c <"$TEST_TMP/a.b") bytes, $(grep -vc '^#' "$TEST_TMP/a.b") samples"

SER='virtmeter_collector_duration_seconds{collector="cgroup"}'
TSER='virtmeter_collector_last_success_timestamp_seconds{collector="cgroup"}'
TS0=$(metric "$TEST_TMP/a.b" "$TSER")
B0=$(cpu_ticks "$BUSY_PID")
I0=$(cpu_ticks "$IDLE_PID")
DN0=$(sched_ns "$DEF_PID")
PN0=$(sched_ns "$BUSYP_PID")
BN0=$(sched_ns "$BUSY_PID")
IN0=$(sched_ns "$IDLE_PID")
T0=$(date +%s.%N)
sleep "$CPU_CYCLES"
B1=$(cpu_ticks "$BUSY_PID")
I1=$(cpu_ticks "$IDLE_PID")
DN1=$(sched_ns "$DEF_PID")
PN1=$(sched_ns "$BUSYP_PID")
BN1=$(sched_ns "$BUSY_PID")
IN1=$(sched_ns "$IDLE_PID")
T1=$(date +%s.%N)
scrape b text "$BUSY_URL" >/dev/null
TS1=$(metric "$TEST_TMP/b.b" "$TSER")
durs=("$(metric "$TEST_TMP/a.b" "$SER")" "$(metric "$TEST_TMP/b.b" "$SER")")
for ((i = 0; i < 3; i++)); do
	sleep 1
	scrape "d$i" text "$BUSY_URL" >/dev/null
	durs+=("$(metric "$TEST_TMP/d$i.b" "$SER")")
done
DUR_MED=$(printf '%s\n' "${durs[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
CYCLES=$(awk -v t0="$T0" -v t1="$T1" 'BEGIN { printf "%d", t1 - t0 + 0.5 }')
CYC_TS=$(awk -v a="$TS0" -v b="$TS1" 'BEGIN { printf "%d", b - a + 0.5 }')
VM_US=$(per_us $((B1 - B0 - (I1 - I0))) "$CYCLES" "$NCT" "$(awk -v h="$CLK_TCK" 'BEGIN { print 1 / h }')")
VM_US_NS=$(per_us $((BN1 - BN0 - (IN1 - IN0))) "$CYCLES" "$NCT" 1e-9)
DEF_US_NS=$(per_us $((DN1 - DN0 - (IN1 - IN0))) "$CYCLES" "$NCT" 1e-9)
PREAD_US_NS=$(per_us $((PN1 - PN0 - (IN1 - IN0))) "$CYCLES" "$NCT" 1e-9)
# shellcheck disable=SC2153 # DEF_URL is set by start_vm (printf -v)
scrape r text "$DEF_URL" >/dev/null
DEF_FULL=$(metric "$TEST_TMP/r.b" 'virtmeter_cgroup_reads_total{kind="full"}')
DEF_PROBE=$(metric "$TEST_TMP/r.b" 'virtmeter_cgroup_reads_total{kind="probe"}')
stop_virtmeter "$DEF_PID"
stop_virtmeter "$BUSYP_PID"
# The floor: one pread of a small file of the tree, as the collector does.
FLOOR_US=""
if [ -x "${PREAD_FLOOR:-}" ]; then
	FLOOR_US=$("$PREAD_FLOOR" "$(find "$TREE/system.slice" -name cpu.stat | head -n 1)" 200000)
fi

echo
echo "-- virtmeter collection (interval 1s, ${CPU_CYCLES}s window without scrapes)"
fmt "collection time per cycle: %.1f ms (median of %d readings of virtmeter_collector_duration_seconds), %.1f us per container\n" \
	"$(awk -v d="$DUR_MED" 'BEGIN { print d * 1000 }')" "${#durs[@]}" "$(awk -v d="$DUR_MED" -v n="$NCT" 'BEGIN { print d * 1e6 / n }')"
fmt "CPU (stat ticks): %.2f s busy, %.2f s idle baseline, over %d cycles" \
	"$(awk -v t=$((B1 - B0)) -v h="$CLK_TCK" 'BEGIN { print t / h }')" "$(awk -v t=$((I1 - I0)) -v h="$CLK_TCK" 'BEGIN { print t / h }')" "$CYCLES"
echo " ($CYC_TS by last-success timestamps)"
fmt "  = %.1f ms per cycle = %.1f us per container per cycle\n" \
	"$(awk -v u="$VM_US" -v n="$NCT" 'BEGIN { print u * n / 1000 }')" "$VM_US"
fmt "CPU (schedstat ns, all threads, minus idle): %.1f us per container per cycle\n" "$VM_US_NS"
fmt "same with --no-collector.cgroup.io-uring (a pread per file): %.1f us per container per cycle (%.2fx)\n" \
	"$PREAD_US_NS" "$(awk -v a="$PREAD_US_NS" -v b="$VM_US_NS" 'BEGIN { print (b > 0) ? a / b : 0 }')"
fmt "defaults (idle containers probed, full read every 3rd cycle): %.1f us per container per cycle" "$DEF_US_NS"
echo " (reads: $DEF_FULL full, $DEF_PROBE probe)"
if [ -n "$FLOOR_US" ]; then
	fmt "floor: one pread of a small file costs %.2f us here; a container read in full costs %.1f preads, a probed one %.1f\n" \
		"$FLOOR_US" "$(awk -v a="$VM_US_NS" -v f="$FLOOR_US" 'BEGIN { print a / f }')" \
		"$(awk -v a="$DEF_US_NS" -v f="$FLOOR_US" 'BEGIN { print a / f }')"
else
	echo "floor: not measured (PREAD_FLOOR unset: run through make bench-cgroup)"
fi

echo
echo "-- scrape latency: wrk -t1 -c1 -d${WRK_SECONDS}s --latency"
read -r P50 P99 REQS < <(run_wrk plain "$BUSY_URL")
fmt "plain: p50 %8.3f ms  p99 %8.3f ms" "$P50" "$P99"
echo "  ($REQS requests)"
read -r G50 G99 GREQS < <(run_wrk gzip "$BUSY_URL" "Accept-Encoding: gzip")
fmt "gzip:  p50 %8.3f ms  p99 %8.3f ms" "$G50" "$G99"
echo "  ($GREQS requests)"
# Prometheus scrapes at a steady interval while the collector publishes
# every second: each scrape finds a new generation.
read -r S50 SMAX < <(steady_scrapes "$BUSY_URL" 13 2 "Accept-Encoding: gzip")
scrape s text "$BUSY_URL" >/dev/null
fmt "steady scraper (every 2 s, gzip, as Prometheus): p50 %.3f ms  max %.3f ms over 10 scrapes" "$S50" "$SMAX"
echo "  (served: $(metric "$TEST_TMP/s.b" 'virtmeter_http_scrapes_total{render="ahead"}') ahead," \
	"$(metric "$TEST_TMP/s.b" 'virtmeter_http_scrapes_total{render="inline"}') inline in all)"

echo
echo "-- memory"
echo "virtmeter ($N containers): VmRSS $(status_kb "$BUSY_PID" VmRSS) kB (anonymous $(status_kb "$BUSY_PID" RssAnon) kB), VmHWM $(status_kb "$BUSY_PID" VmHWM) kB"
echo "virtmeter (idle, no cgroup collector): VmRSS $(status_kb "$IDLE_PID" VmRSS) kB (anonymous $(status_kb "$IDLE_PID" RssAnon) kB; the rest is shared libraries)"
stop_virtmeter "$BUSY_PID"

# ---- part 2: collectd's cgroups plugin on the host's real tree -----------------

CD_ROWS=""
CGMADE=()
rm_cgroups() {
	local d
	for d in "${CGMADE[@]}"; do
		rmdir "$d"/docker-*.scope "$d" 2>/dev/null
	done
	CGMADE=()
}
trap 'rm_cgroups; lib_cleanup' EXIT

CPUACCT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ { print $2; exit }' /proc/mounts)
why=""
if ! command -v collectd >/dev/null 2>&1 && [ ! -x /usr/sbin/collectd ]; then
	why="collectd is not installed; to compare, install it with:
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends collectd-core"
elif [ ! -e /usr/lib/collectd/cgroups.so ]; then
	why="collectd has no cgroups plugin (/usr/lib/collectd/cgroups.so)"
elif [ -z "$CPUACCT" ]; then
	why="the host has no cgroup v1 cpuacct hierarchy in /proc/mounts: collectd's cgroups plugin reads only that, so it reads nothing here"
elif [ "$(id -u)" != 0 ]; then
	why="not root: cannot make cgroups in the host's hierarchies"
fi
echo
echo "-- collectd's cgroups plugin"
echo "collectd cannot read the generated tree: its cgroups plugin takes the cgroup v1"
echo "cpuacct mount point from /proc/mounts (no path setting) and reads only"
echo "cpuacct.stat. So the comparison runs on the host's real v1 tree instead."
if [ -n "$why" ]; then
	echo "skipped: $why"
else
	COLLECTD=$(command -v collectd || echo /usr/sbin/collectd)
	PARENT=vmbench-$$.slice
	V1ROOT=${CPUACCT%/*}
	# The hierarchies virtmeter reads on v1; only cpuacct matters to collectd.
	mk_ok=1
	for h in cpu cpuacct memory blkio pids; do
		[ -d "$V1ROOT/$h" ] || continue
		mkdir "$V1ROOT/$h/$PARENT" 2>/dev/null || { mk_ok=0; break; }
		CGMADE+=("$V1ROOT/$h/$PARENT")
	done
	ids=$(find "$TREE/system.slice" -mindepth 1 -maxdepth 1 -type d -name 'docker-*.scope' -printf '%f\n')
	if [ "$mk_ok" = 1 ]; then
		for d in "${CGMADE[@]}"; do
			(cd "$d" && printf '%s\n' "$ids" | xargs mkdir) 2>/dev/null || mk_ok=0
		done
	fi
	if [ "$mk_ok" = 0 ] || [ ! -d "$CPUACCT/$PARENT" ]; then
		echo "skipped: cannot make cgroups under $V1ROOT (read-only cgroupfs?)"
		rm_cgroups
	else
		NCG=$(find "$CPUACCT" -type d | wc -l)
		echo "made $N empty cgroups $PARENT/docker-<id>.scope in $(echo "${CGMADE[@]}" | wc -w) v1 hierarchies;"
		echo "the cpuacct hierarchy now has $NCG cgroups (collectd reads them all)"
		mkconf() { # mkconf FILE WITH_CGROUPS WRITER
			local pidf
			pidf=$TEST_TMP/${1##*/}.pid
			{
				echo "Hostname \"bench\""
				echo "FQDNLookup false"
				echo "Interval 1"
				echo "BaseDir \"$TEST_TMP\""
				echo "PIDFile \"$pidf\""
				echo "TypesDB \"/usr/share/collectd/types.db\""
				echo "LoadPlugin logfile"
				echo "<Plugin logfile>"
				echo "  File \"$1.log\""
				echo "  LogLevel warning"
				echo "</Plugin>"
				[ "$2" = 1 ] && echo "LoadPlugin cgroups"
				if [ "$3" = csv ]; then
					echo "LoadPlugin csv"
					echo "<Plugin csv>"
					echo "  DataDir \"$TEST_TMP/csv\""
					echo "</Plugin>"
				fi
			} >"$1"
		}
		start_cd() { # start_cd NAME WITH_CGROUPS WRITER: sets NAME_PID
			mkconf "$TEST_TMP/$1.conf" "$2" "$3"
			"$COLLECTD" -C "$TEST_TMP/$1.conf" -f >"$TEST_TMP/$1.out" 2>&1 &
			printf -v "${1}_PID" %s "$!"
			lib_track_pid "$!"
		}
		start_cd CDCSV 1 csv   # cgroups + csv to a temporary directory
		start_cd CDNUL 1 none  # cgroups, values dropped (no write plugin)
		start_cd CDIDLE 0 csv  # baseline: no read plugin
		start_vm REAL --path.cgroupfs="$V1ROOT" --collector.cgroup.idle-cycles=1
		NREAL=$(wait_containers "$REAL_URL" "$N")
		sleep 2
		for p in CDCSV CDNUL CDIDLE; do
			v=${p}_PID
			kill -0 "${!v}" 2>/dev/null || die "collectd ($p) exited: $(head -n 5 "$TEST_TMP/$p.out" "$TEST_TMP/$p.conf.log" 2>/dev/null)"
		done
		s0=()
		for p in "$CDCSV_PID" "$CDNUL_PID" "$CDIDLE_PID" "$REAL_PID" "$IDLE_PID"; do s0+=("$(sched_ns "$p")"); done
		T0=$(date +%s.%N)
		sleep "$CPU_CYCLES"
		s1=()
		for p in "$CDCSV_PID" "$CDNUL_PID" "$CDIDLE_PID" "$REAL_PID" "$IDLE_PID"; do s1+=("$(sched_ns "$p")"); done
		T1=$(date +%s.%N)
		C2=$(awk -v t0="$T0" -v t1="$T1" 'BEGIN { printf "%d", t1 - t0 + 0.5 }')
		d() { echo $((s1[$1] - s0[$1])); }
		CDCSV_US=$(per_us $(($(d 0) - $(d 2))) "$C2" "$NCG" 1e-9)
		CDNUL_US=$(per_us $(($(d 1) - $(d 2))) "$C2" "$NCG" 1e-9)
		REAL_US=$(per_us $(($(d 3) - $(d 4))) "$C2" "$NREAL" 1e-9)
		ncsv=$(find "$TEST_TMP/csv" -type f 2>/dev/null | wc -l)
		echo "virtmeter on the real tree exports $NREAL containers; collectd's csv wrote $ncsv files"
		echo "collectd RSS: $(status_kb "$CDNUL_PID" VmRSS) kB (no writer), $(status_kb "$CDCSV_PID" VmRSS) kB (csv); virtmeter: $(status_kb "$REAL_PID" VmRSS) kB"
		CD_ROWS=1
		stop_virtmeter "$REAL_PID"
		for p in "$CDCSV_PID" "$CDNUL_PID" "$CDIDLE_PID"; do kill_pid "$p"; done
		rm_cgroups
	fi
fi

# ---- the table -------------------------------------------------------------------

echo
echo "-- CPU per cgroup per cycle (1 s interval, minus each program's idle baseline)"
printf '%-62s %8s %10s\n' "program, input (files read per cgroup)" cgroups "us/cg/cyc"
printf '%-62s %8d %10.1f\n' "virtmeter, generated v2 tree, busy (idle-cycles=1; ticks)" "$NCT" "$VM_US"
printf '%-62s %8d %10.1f\n' "virtmeter, generated v2 tree, busy (idle-cycles=1; ns)" "$NCT" "$VM_US_NS"
printf '%-62s %8d %10.1f\n' "virtmeter, generated v2 tree, busy, pread per file (ns)" "$NCT" "$PREAD_US_NS"
printf '%-62s %8d %10.1f\n' "virtmeter, generated v2 tree, defaults (idle; ns)" "$NCT" "$DEF_US_NS"
if [ -n "$CD_ROWS" ]; then
	printf '%-62s %8d %10.1f\n' "virtmeter, host v1 tree, empty cgroups, every file" "$NREAL" "$REAL_US"
	printf '%-62s %8d %10.1f\n' "collectd cgroups, same host v1 tree (cpuacct.stat), no writer" "$NCG" "$CDNUL_US"
	printf '%-62s %8d %10.1f\n' "collectd cgroups, same host v1 tree (cpuacct.stat), csv" "$NCG" "$CDCSV_US"
	fmt "ratio collectd / virtmeter, same host tree: %.2f (no writer), %.2f (csv)\n" \
		"$(awk -v a="$CDNUL_US" -v b="$REAL_US" 'BEGIN { print (b > 0) ? a / b : 0 }')" \
		"$(awk -v a="$CDCSV_US" -v b="$REAL_US" 'BEGIN { print (b > 0) ? a / b : 0 }')"
	fmt "ratio collectd (no writer, host tree) / virtmeter (v2 tree): %.2f\n" \
		"$(awk -v a="$CDNUL_US" -v b="$VM_US_NS" 'BEGIN { print (b > 0) ? a / b : 0 }')"
	echo "note: collectd reads one file per cgroup (cpuacct.stat: user and system CPU);"
	echo "      virtmeter reads CPU, memory, I/O, pids (and pressure on v2) per container."
else
	echo "(no collectd figures: see above)"
fi

echo
echo "-- goal"
for row in "every container busy:$VM_US_NS" "defaults, every container idle:$DEF_US_NS"; do
	verdict=MISSED
	awk -v c="${row##*:}" -v g="$GOAL_US" 'BEGIN { exit !(c > 0 && c < g) }' && verdict=met
	fmt "collection CPU, %s %.1f us per container per cycle (goal < %d us): " "${row%%:*}" "${row##*:}" "$GOAL_US"
	echo "$verdict"
done
exit 0
