# shellcheck shell=bash
# Helpers shared by the benchmarks (sourced after tests/integration/lib.sh,
# which provides TEST_TMP and series_value).

# die MESSAGE...: says why the benchmark cannot run, and stops it.
die() {
	echo "bench: $*" >&2
	exit 1
}

# sched_ns PID: run time of all threads of PID in nanoseconds (schedstat,
# finer than the 10 ms ticks of stat).
sched_ns() {
	local t s=0 v
	for t in /proc/"$1"/task/*; do
		v=$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null) && s=$((s + ${v:-0}))
	done
	echo "$s"
}

# thread_ns PID: "NAME NANOSECONDS" per thread name of PID (virtmeter
# names each collector's thread after it), threads of one name summed.
thread_ns() {
	local t c v
	for t in /proc/"$1"/task/*; do
		read -r c <"$t/comm" 2>/dev/null || continue
		v=$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null) || continue
		echo "$c ${v:-0}"
	done | awk '{ s[$1] += $2 } END { for (c in s) print c, s[c] }'
}

# cpu_ticks PID: utime + stime of PID in clock ticks (what
# process_cpu_seconds_total reports, read directly so that no scrape and no
# process-collector staleness gets in the way).
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# status_kb PID FIELD: a /proc/PID/status field (VmRSS, VmHWM) in kB.
status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# metric FILE SERIES: the value of SERIES written exactly as in FILE.
metric() {
	series_value "$1" "$2"
}

# to_ms VALUE: converts a wrk duration (1.23us, 4.5ms, 1.2s, 2m) to ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000; exit }
		if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0; exit }
		if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000; exit }
		if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000; exit }
		print "" }'
}

# run_wrk NAME URL [HEADER]: one wrk run; prints "p50_ms p99_ms requests".
run_wrk() {
	local out=$TEST_TMP/wrk.$1 p50 p99 reqs
	if [ -n "${3:-}" ]; then
		timeout $((WRK_SECONDS + 40)) wrk -t1 -c1 -d"${WRK_SECONDS}s" --timeout 30s --latency -H "$3" "$2" >"$out" 2>&1
	else
		timeout $((WRK_SECONDS + 40)) wrk -t1 -c1 -d"${WRK_SECONDS}s" --timeout 30s --latency "$2" >"$out" 2>&1
	fi
	p50=$(awk '$1 == "50%" { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	echo "$(to_ms "$p50") $(to_ms "$p99") ${reqs:-0}"
}

# steady_scrapes URL N INTERVAL [HEADER]: N scrapes INTERVAL seconds apart,
# as Prometheus scrapes; prints "p50_ms max_ms" of the last N-3 (the first
# three teach virtmeter the interval).
steady_scrapes() {
	local i t times=()
	for ((i = 0; i < $2; i++)); do
		t=$(curl -s -o /dev/null -w '%{time_total}' ${4:+-H "$4"} "$1")
		[ "$i" -ge 3 ] && times+=("$t")
		sleep "$3"
	done
	printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int((NR + 1) / 2)] * 1000, v[NR] * 1000 }'
}

# fmt FORMAT [A B C D]: printf with awk's numbers.
fmt() {
	awk -v f="$1" -v a="${2:-0}" -v b="${3:-0}" -v c="${4:-0}" -v d="${5:-0}" 'BEGIN { printf f, a, b, c, d }'
}

# gen_tree DIR N: a cgroup v2 root with N docker containers under
# system.slice, each with the files of the docker container of the fixture
# tree $FIXTURE, the
# integers varied (half of them with one io device, half with two).
gen_tree() {
	local src
	src=$(find "$FIXTURE/system.slice" -maxdepth 1 -type d -name 'docker-*.scope' | head -n 1)
	[ -d "$src" ] || die "no docker container in $FIXTURE"
	mkdir -p "$1/system.slice" || die "mkdir $1 failed"
	for f in cgroup.controllers cgroup.subtree_control cpu.stat cpu.pressure memory.pressure io.pressure; do
		cp "$FIXTURE/$f" "$1/$f" 2>/dev/null
	done
	echo 1 >"$1/cgroup.procs"
	: >"$1/system.slice/cgroup.procs"
	grep -qw memory "$1/cgroup.controllers" 2>/dev/null ||
		echo "cpuset cpu io memory hugetlb pids rdma misc" >"$1/cgroup.controllers"
	# One awk: reads the fixture's files, writes N copies.
	(cd "$src" && awk -v n="$2" -v dst="$1/system.slice" '
		FNR == 1 { nf++; name[nf] = FILENAME }
		{ line[nf, FNR] = $0; nl[nf] = FNR }
		function vary(s,   out, m, v) {
			# integers after "key " or "key=": scaled by 0.5-1.5
			out = ""
			while (match(s, /(^|[ =])[0-9]+( |$)/)) {
				m = substr(s, RSTART, RLENGTH)
				v = m; gsub(/[^0-9]/, "", v)
				sub(/[0-9]+/, sprintf("%d", v * (0.5 + rand())), m)
				out = out substr(s, 1, RSTART - 1) m
				s = substr(s, RSTART + RLENGTH)
			}
			return out s
		}
		END {
			srand(42)
			for (c = 1; c <= n; c++) {
				id = ""
				for (k = 0; k < 8; k++) id = id sprintf("%08x", int(rand() * 4294967296))
				dir = dst "/docker-" id ".scope"
				if (system("mkdir \"" dir "\"") != 0) exit 1
				for (f = 1; f <= nf; f++) {
					p = dir "/" name[f]
					for (l = 1; l <= nl[f]; l++) {
						if (name[f] == "io.stat" && l > 1 && c % 2) break
						if (name[f] == "cgroup.procs")
							print 10000 + c > p
						else
							print vary(line[f, l]) > p
					}
					close(p)
				}
			}
		}' ./*) || die "generating the tree failed"
}

# psys_meter FILE WATTS: adds WATTS joules to the microjoule counter FILE
# every second, in place as sysfs does, so that the model has a measured
# source whose energy grows. Sleeps on a FIFO: the loop forks nothing.
psys_meter() {
	local f=$1 w=$2 fd e
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	read -r e <"$f"
	for ((;;)); do
		read -r -t 1 -u "$fd" _
		e=$((e + w * 1000000))
		printf '%d\n' "$e" 1<>"$f"
	done
}
