#!/usr/bin/env bash
# What one host sends a fleet's store (a measurement, not a test): N VMs on
# libvirt's in-process test driver and N containers in a generated cgroup
# v2 tree (default 1000 each), a RAPL fixture whose psys zone draws 150 W,
# every collector on at its default interval:
#
#   VIRTMETER=./virtmeter bash tests/bench/cardinality.sh [N]
#
# Waits until virtmeter serves every VM and container with their energy,
# then scrapes it once whole and once per `collect[]` selection, and prints
# for each: the series of one scrape, the families, the bytes in the text
# format, in OpenMetrics and gzipped (as Prometheus asks for it), and then
# the series per VM and per container, and the largest families. The
# figures of docs/fleet.md come from it.
#
# Installs nothing, needs neither root nor a libvirtd; under a minute.
# Everything it starts listens on 127.0.0.1 and is stopped by PID; the
# temporary directory is removed (KEEP_TMP=1 keeps it).
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"
export LC_ALL=C

N=${1:-1000}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N]" >&2; exit 2 ;; esac
FIXTURE=$top_srcdir/tests/fixtures/cgroup/v2-systemd
: "${VIRTMETER:=${top_builddir:-.}/virtmeter}"
[ -x "$VIRTMETER" ] || die "no virtmeter binary at $VIRTMETER (set VIRTMETER)"
command -v curl >/dev/null 2>&1 || die "curl not installed"
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_vm_energy_joules' ||
	die "this virtmeter has no libvirt collector or no energy model"

XML=$TEST_TMP/node-$N.xml
bash "$BENCH_DIR/gen-testdriver-xml.sh" "$N" "$XML" || die "gen-testdriver-xml.sh failed"
TREE=$TEST_TMP/tree
gen_tree "$TREE" "$N"
SYS=$TEST_TMP/sys
if ! cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" || ! chmod -R u+w "$SYS"; then
	die "copying the power fixture failed"
fi
psys_meter "$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj" 150 &
lib_track_pid $!

start_virtmeter --collector.libvirt.uri="test://$XML" --path.cgroupfs="$TREE" --path.sysfs="$SYS" \
	--storage.path="$TEST_TMP/store" || die "virtmeter did not start; its log: $(head -n 20 "$VM_LOG")"

# ready: the last scrape (w.b) has every VM's and container's energy.
ready() {
	scrape w text >/dev/null
	[ "$(grep -c '^virtmeter_vm_energy_joules_total{.*component="dynamic"' "$TEST_TMP/w.b")" -ge "$N" ] &&
		[ "$(grep -c '^virtmeter_container_energy_joules_total{.*component="dynamic"' "$TEST_TMP/w.b")" -ge "$N" ]
}
wait_for 60 ready || die "virtmeter did not serve $N VMs and containers with their energy within a minute"

echo "== one scrape of a host with $N VMs (libvirt test driver) and $N containers (generated cgroup v2 tree)"
echo "$("$VIRTMETER" --version 2>&1 | head -n 1); $(nproc) CPUs; perf: $(grep -c '^virtmeter_perf_event_supported{.*} 1' "$TEST_TMP/w.b") events countable here"
echo
printf '%-28s %8s %8s %11s %11s %10s\n' selection series families "text B" "OpenMetr. B" "gzip B"

# one SELECTION...: one scrape of the collectors named (none: all), in
# each format and encoding; prints a row of the table.
one() {
	local url=$VM_URL/metrics sep='?' c series fams text om gz
	for c in "$@"; do
		url="$url${sep}collect[]=$c"
		sep='&'
	done
	fetch s "$url" -g -H 'Accept: text/plain;version=0.0.4' >/dev/null
	series=$(grep -vc '^#' "$TEST_TMP/s.b")
	fams=$(grep -c '^# TYPE ' "$TEST_TMP/s.b")
	text=$(wc -c <"$TEST_TMP/s.b")
	fetch o "$url" -g -H "Accept: $ACCEPT_PROM2" >/dev/null
	om=$(wc -c <"$TEST_TMP/o.b")
	fetch z "$url" -g -H "Accept: $ACCEPT_PROM2" -H 'Accept-Encoding: gzip' >/dev/null
	gz=$(wc -c <"$TEST_TMP/z.b")
	printf '%-28s %8d %8d %11d %11d %10d\n' "${*:-(all)}" "$series" "$fams" "$text" "$om" "$gz"
	[ $# -eq 0 ] && cp "$TEST_TMP/s.b" "$TEST_TMP/all.b"
}
one
# The collectors of this build, as --help lists them.
for c in $("$VIRTMETER" --help 2>&1 | awk '/^Collectors/ { f = 1; next } f && /^  [a-z]+ / { print $1 }'); do
	one "$c"
done
one power model
one host power model

echo
awk -v n="$N" '
	/^#/ { next }
	/[{,]vm="/ { vm++ }
	/[{,]container="/ { ct++ }
	END { printf "series per VM: %.1f; per container: %.1f; the rest (host, meters, virtmeter itself): %d\n", vm / n, ct / n, NR - vm - ct }
' "$TEST_TMP/all.b"
echo "largest families (series):"
grep -v '^#' "$TEST_TMP/all.b" | sed 's/[{ ].*//' | sort | uniq -c | sort -rn | head -n 12 | awk '{ printf "  %6d  %s\n", $1, $2 }'
