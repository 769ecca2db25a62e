#!/usr/bin/env bash
# Benchmark (not a test) of the libvirt collector on libvirt's in-process
# test driver with N domains (default 1000), side by side with Debian's
# prometheus-libvirt-exporter on the same node file, same client, same run:
#
#   VIRTMETER=./virtmeter [LV_BULK_BENCH=tests/bench/lv_bulk_bench] \
#       bash tests/bench/libvirt.sh [N]
#
# With LV_BULK_BENCH (make bench-libvirt sets it), first runs that
# microbenchmark of the production bulk path (virtmeter's own work on N
# qemu/KVM-like records, no libvirt call) and prints its figures.
# Prints virtmeter's collection time and CPU per cycle (and per domain),
# scrape latency p50/p99 for both exporters (wrk -t1 -c1, interleaved
# rounds), their resident memory and body sizes, the ratios, and whether
# the goals are met. See tests/bench/README-libvirt.md. Bounded: about
# 1.5 minutes; everything it starts listens on 127.0.0.1 and is stopped by
# PID at the end.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"

N=${1:-1000}
case $N in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
ROUNDS=${BENCH_ROUNDS:-2}      # interleaved wrk rounds per exporter
WRK_SECONDS=${BENCH_WRK_SECONDS:-5}
CPU_CYCLES=${BENCH_CPU_CYCLES:-15} # cycles measured without any scrape
GOAL_RATIO=20                  # scrape at least this many times faster
GOAL_US_PER_DOMAIN=20          # collection CPU per domain, microseconds
PEER=prometheus-libvirt-exporter

[ -x "$VIRTMETER" ] || die "no virtmeter binary at $VIRTMETER (set VIRTMETER)"
for t in wrk curl awk; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed (see tests/bench/README-libvirt.md)"
done
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_libvirt_up[[:space:]]' ||
	die "this virtmeter has no libvirt collector (configure found no libvirt-dev?)"
"$VIRTMETER" --version 2>/dev/null | grep -q yaml ||
	die "this virtmeter cannot read a configuration file (no libyaml): the bench sets the interval through one"
HAVE_PEER=1
command -v "$PEER" >/dev/null 2>&1 || HAVE_PEER=0
CLK_TCK=$(getconf CLK_TCK)

# ---- helpers ---------------------------------------------------------------------

# thread_ns PID: "TID NS" per thread of PID, NS its run time in
# nanoseconds from schedstat (precise, where stat has 10 ms ticks).
thread_ns() {
	local t
	for t in /proc/"$1"/task/*; do
		[ -r "$t/schedstat" ] && echo "${t##*/} $(awk '{ print $1 }' "$t/schedstat" 2>/dev/null)"
	done
}

# ---- the node file ---------------------------------------------------------------

XML=$TEST_TMP/node-$N.xml
bash "$BENCH_DIR/gen-testdriver-xml.sh" "$N" "$XML" || die "gen-testdriver-xml.sh failed"
URI="test://$XML"

echo "== libvirt collector benchmark: $N domains on the test driver"
echo "host: $(nproc) CPUs, $(uname -r); $("$VIRTMETER" --version 2>&1 | head -n 1)"
command -v virsh >/dev/null 2>&1 && echo "libvirt: $(virsh -c "$URI" version 2>/dev/null | awk '/Using library/ { print $NF }')"

# ---- the bulk path: virtmeter's own work, measured first (nothing else runs) ----

BULK_OUT=$TEST_TMP/bulk.txt
BULK_US=""
if [ -n "${LV_BULK_BENCH:-}" ]; then
	if [ -x "$LV_BULK_BENCH" ] && timeout 300 "$LV_BULK_BENCH" -n "$N" >"$BULK_OUT" 2>&1; then
		BULK_US=$(awk '$1 == "collection" { print $2 }' "$BULK_OUT")
	else
		echo "WARNING: $LV_BULK_BENCH failed: $(head -n 3 "$BULK_OUT" 2>/dev/null)"
	fi
fi

# ---- virtmeter: collection time and CPU per cycle ---------------------------------------

# The interval: 1 s, or 3x a cycle if a cycle is slower than 1/3 s (the
# scheduler is fixed-rate and skips ticks it misses, so CPU per cycle is
# CPU over the window divided by window / interval only if cycles fit).
start_vm_bench() {
	printf 'collectors:\n  libvirt:\n    interval: %ss\n    timeout: 60s\n  host:\n    enabled: false\n' \
		"$1" >"$TEST_TMP/bench.yml"
	start_virtmeter --collector.libvirt.uri="$URI" --config.file="$TEST_TMP/bench.yml" ||
		die "virtmeter did not start; its log: $(head -n 20 "$VM_LOG")"
}
wait_first_cycle() {
	local i d
	for ((i = 0; i < 120; i++)); do
		scrape w text >/dev/null
		d=$(metric "$TEST_TMP/w.b" 'virtmeter_collector_duration_seconds{collector="libvirt"}')
		if [ -n "$d" ] && [ "$(grep -c '^virtmeter_vm_info{' "$TEST_TMP/w.b")" -gt 0 ]; then
			echo "$d"
			return 0
		fi
		sleep 0.5
	done
	return 1
}

INTERVAL=1
start_vm_bench "$INTERVAL"
wait_first_cycle >/dev/null || die "no libvirt cycle within 60 s; log: $(head -n 20 "$VM_LOG")"
# The first cycle also reads every domain's XML: judge by a later one.
sleep 2.5
scrape w text >/dev/null
D0=$(metric "$TEST_TMP/w.b" 'virtmeter_collector_duration_seconds{collector="libvirt"}')
if awk -v d="$D0" 'BEGIN { exit !(d > 0.33) }'; then
	INTERVAL=$(awk -v d="$D0" 'BEGIN { i = int(d * 3) + 1; print i }')
	echo "a cycle takes ${D0}s: interval raised to ${INTERVAL}s"
	stop_virtmeter "$VM_PID"
	start_vm_bench "$INTERVAL"
	wait_first_cycle >/dev/null || die "no libvirt cycle after the restart"
fi
VMPID=$VM_PID
CPU_WINDOW=$((CPU_CYCLES * INTERVAL))
VMURL=$VM_URL/metrics
sleep $((INTERVAL + 1))
scrape a text >/dev/null
NDOM=$(grep -c '^virtmeter_vm_info{' "$TEST_TMP/a.b")
echo "virtmeter exports $NDOM of $N domains; body $(wc -c <"$TEST_TMP/a.b") bytes, $(grep -vc '^#' "$TEST_TMP/a.b") samples"
[ "$(metric "$TEST_TMP/a.b" virtmeter_libvirt_up)" = 1 ] || echo "WARNING: virtmeter_libvirt_up is not 1"

# A window with no scrape at all: only the collectors run.
TS0=$(metric "$TEST_TMP/a.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="libvirt"}')
thread_ns "$VMPID" >"$TEST_TMP/threads0"
C0=$(cpu_ticks "$VMPID")
T0=$(date +%s.%N)
sleep "$CPU_WINDOW"
C1=$(cpu_ticks "$VMPID")
T1=$(date +%s.%N)
thread_ns "$VMPID" >"$TEST_TMP/threads1"
# The busiest thread over the window: the libvirt collector's worker (the
# other collectors run on their own threads, rarely and briefly).
read -r ALL_NS TOP_NS < <(awk 'NR == FNR { a[$1] = $2; next }
	{ d = $2 - (($1 in a) ? a[$1] : 0); all += d; if (d > top) top = d }
	END { print all + 0, top + 0 }' "$TEST_TMP/threads0" "$TEST_TMP/threads1")
scrape b text >/dev/null
TS1=$(metric "$TEST_TMP/b.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="libvirt"}')
durs=()
for f in a b; do
	durs+=("$(metric "$TEST_TMP/$f.b" 'virtmeter_collector_duration_seconds{collector="libvirt"}')")
done
for ((i = 0; i < 3; i++)); do
	sleep "$INTERVAL"
	scrape "d$i" text >/dev/null
	durs+=("$(metric "$TEST_TMP/d$i.b" 'virtmeter_collector_duration_seconds{collector="libvirt"}')")
done
DUR_MED=$(printf '%s\n' "${durs[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
CYCLES=$(awk -v t0="$T0" -v t1="$T1" -v i="$INTERVAL" 'BEGIN { printf "%d", (t1 - t0) / i + 0.5 }')
CYC_TS=$(awk -v a="$TS0" -v b="$TS1" -v i="$INTERVAL" 'BEGIN { printf "%d", (b - a) / i + 0.5 }')
CPU_S=$(awk -v a="$C0" -v b="$C1" -v hz="$CLK_TCK" 'BEGIN { print (b - a) / hz }')
CPU_CYCLE_MS=$(awk -v c="$CPU_S" -v n="$CYCLES" 'BEGIN { print (n > 0) ? c * 1000 / n : 0 }')
CPU_DOM_US=$(awk -v c="$CPU_S" -v n="$CYCLES" -v d="$NDOM" 'BEGIN { print (n > 0 && d > 0) ? c * 1e6 / n / d : 0 }')
echo
echo "-- virtmeter collection (interval ${INTERVAL}s, ${CPU_WINDOW}s window without scrapes)"
fmt "collection time per cycle: %.1f ms (median of %d readings of virtmeter_collector_duration_seconds), %.1f us per domain\n" \
	"$(awk -v d="$DUR_MED" 'BEGIN { print d * 1000 }')" "${#durs[@]}" "$(awk -v d="$DUR_MED" -v n="$NDOM" 'BEGIN { print (n > 0) ? d * 1e6 / n : 0 }')"
fmt "CPU: %.2f s over %d cycles = %.1f ms per cycle" "$CPU_S" "$CYCLES" "$CPU_CYCLE_MS"
fmt " = %.1f us per domain (cycles counted by the clock; %d by last-success timestamps)\n" "$CPU_DOM_US" "$CYC_TS"
fmt "schedstat (ns): all threads %.1f ms per cycle; busiest thread (the libvirt worker) %.1f ms per cycle = %.1f us per domain\n" \
	"$(awk -v a="$ALL_NS" -v n="$CYCLES" 'BEGIN { print (n > 0) ? a / 1e6 / n : 0 }')" \
	"$(awk -v a="$TOP_NS" -v n="$CYCLES" 'BEGIN { print (n > 0) ? a / 1e6 / n : 0 }')" \
	"$(awk -v a="$TOP_NS" -v n="$CYCLES" -v d="$NDOM" 'BEGIN { print (n > 0 && d > 0) ? a / 1e3 / n / d : 0 }')"
echo "note: on the test driver virConnectGetAllDomainStats returns only state.*, so the"
echo "      collector falls back to per-domain calls (GetInfo, GetVcpus, BlockStats,"
echo "      InterfaceStats, MemoryStats) for everything else: CPU per domain here"
echo "      overstates libvirt's share on the production (qemu) path, which gets it all in"
echo "      one bulk call; but the test driver's domains have no KVM statistics (fewer"
echo "      samples) and nothing is rendered in this window: see the bulk path below."

echo
if [ -n "$BULK_US" ]; then
	echo "-- bulk path (virtmeter's own work): $N synthetic qemu/KVM records, no libvirt call"
	sed 's/^/  /' "$BULK_OUT"
else
	echo "-- bulk path (virtmeter's own work): not measured (set LV_BULK_BENCH, or run make bench-libvirt)"
fi

# ---- the peer ----------------------------------------------------------------------------

PEERURL=""
if [ "$HAVE_PEER" = 1 ]; then
	free_port || die "no free port"
	PPORT=$FREE_PORT
	"$PEER" --libvirt.uri="$URI" --web.listen-address="127.0.0.1:$PPORT" >"$TEST_TMP/peer.log" 2>&1 &
	PEER_PID=$!
	lib_track_pid "$PEER_PID"
	for ((i = 0; i < 50; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PPORT/" 2>/dev/null)" = 200 ] && break
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$(fetch p "http://127.0.0.1:$PPORT/metrics" --max-time 60)" = 200 ]; then
		PEERURL=http://127.0.0.1:$PPORT/metrics
		PDOM=$(grep -c '^libvirt_domain_state_code{' "$TEST_TMP/p.b")
		echo
		echo "$PEER ($(dpkg-query -W -f '${Version}' "$PEER" 2>/dev/null)): exports $PDOM of $N domains; body $(wc -c <"$TEST_TMP/p.b") bytes, $(grep -vc '^#' "$TEST_TMP/p.b") samples"
		if [ "$PDOM" -lt "$N" ]; then
			echo "note: $PEER lists running domains through libvirt-go's ListDomains, which"
			echo "      (as far as we can tell) asks for at most 512 IDs: it silently drops the rest."
			echo "      Its figures below are for $PDOM domains, which favours it."
		fi
	else
		echo "WARNING: $PEER did not answer; its log: $(head -n 5 "$TEST_TMP/peer.log")"
	fi
else
	echo
	echo "$PEER not installed: no side-by-side (apt-get install $PEER)"
fi

# ---- scrape latency, interleaved ------------------------------------------------------------

echo
echo "-- scrape latency: wrk -t1 -c1 -d${WRK_SECONDS}s --latency, $ROUNDS interleaved rounds"
VM_P50S=()
PEER_P50S=()
PEER_CPU_TICKS=0
PEER_REQS=0
for ((r = 1; r <= ROUNDS; r++)); do
	read -r p50 p99 reqs < <(run_wrk "vm$r" "$VMURL")
	VM_P50S+=("$p50")
	fmt "round %d  virtmeter:   p50 %8.3f ms  p99 %8.3f ms" "$r" "$p50" "$p99"
	echo "  ($reqs requests)"
	if [ -n "$PEERURL" ]; then
		c0=$(cpu_ticks "$PEER_PID")
		read -r p50 p99 reqs < <(run_wrk "peer$r" "$PEERURL")
		c1=$(cpu_ticks "$PEER_PID")
		PEER_CPU_TICKS=$((PEER_CPU_TICKS + c1 - c0))
		PEER_REQS=$((PEER_REQS + reqs))
		PEER_P50S+=("$p50")
		fmt "round %d  $PEER: p50 %8.3f ms  p99 %8.3f ms" "$r" "$p50" "$p99"
		echo "  ($reqs requests)"
	fi
done
mean() { printf '%s\n' "$@" | awk '{ s += $1; n++ } END { print (n > 0) ? s / n : 0 }'; }
VM_P50=$(mean "${VM_P50S[@]}")

echo
echo "-- memory"
echo "virtmeter: VmRSS $(status_kb "$VMPID" VmRSS) kB, VmHWM $(status_kb "$VMPID" VmHWM) kB"
[ -n "$PEERURL" ] && echo "$PEER: VmRSS $(status_kb "$PEER_PID" VmRSS) kB, VmHWM $(status_kb "$PEER_PID" VmHWM) kB"

echo
echo "-- goals"
if [ -n "$PEERURL" ]; then
	PEER_P50=$(mean "${PEER_P50S[@]}")
	RATIO=$(awk -v a="$PEER_P50" -v b="$VM_P50" 'BEGIN { print (b > 0) ? a / b : 0 }')
	if [ "$PEER_REQS" -gt 0 ]; then
		PEER_CPU_MS=$(awk -v t="$PEER_CPU_TICKS" -v hz="$CLK_TCK" -v n="$PEER_REQS" 'BEGIN { print t * 1000 / hz / n }')
		fmt "$PEER collects on every scrape: %.1f ms CPU per scrape (%.1f us per exported domain)\n" \
			"$PEER_CPU_MS" "$(awk -v c="$PEER_CPU_MS" -v d="$PDOM" 'BEGIN { print (d > 0) ? c * 1000 / d : 0 }')"
	fi
	verdict=MISSED
	awk -v r="$RATIO" -v g="$GOAL_RATIO" 'BEGIN { exit !(r >= g) }' && verdict=met
	fmt "scrape p50: virtmeter %.3f ms, $PEER %.3f ms: %.0fx faster" "$VM_P50" "$PEER_P50" "$RATIO"
	echo " (goal >= ${GOAL_RATIO}x): $verdict"
else
	fmt "scrape p50: virtmeter %.3f ms ($PEER absent: no ratio)\n" "$VM_P50"
fi
verdict=MISSED
awk -v c="$CPU_DOM_US" -v g="$GOAL_US_PER_DOMAIN" 'BEGIN { exit !(c > 0 && c < g) }' && verdict=met
fmt "collection CPU: %.1f us per domain per cycle" "$CPU_DOM_US"
echo " (goal < ${GOAL_US_PER_DOMAIN} us, on the test driver's per-domain path): $verdict"
if [ -n "$BULK_US" ]; then
	verdict=MISSED
	awk -v c="$BULK_US" -v g="$GOAL_US_PER_DOMAIN" 'BEGIN { exit !(c > 0 && c < g) }' && verdict=met
	fmt "bulk path collection CPU: %.1f us per domain per cycle (mapping; rendering is per scraped generation, shown above)" "$BULK_US"
	echo " (goal < ${GOAL_US_PER_DOMAIN} us, virtmeter's own work on qemu records): $verdict"
fi

stop_virtmeter "$VMPID"
[ -n "${PEER_PID:-}" ] && kill_pid "$PEER_PID"
exit 0
