#!/usr/bin/env bash
# The metric surface of a whole scrape, pinned: virtmeter runs with every
# collector on the fixture trees (cgroup v1, v2 and hybrid; RAPL and hwmon
# sysfs; the libvirt test driver), and the families, types, help texts and
# label-name sets of its scrape must equal tests/golden/scrape-surface.txt.
# Any change to what operators query shows up in review as a change to
# that file. After a deliberate change, rewrite it with
#   GOLDEN_UPDATE=1 make check TESTS=tests/integration/golden.sh
# and commit the file with the change.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
# Without root the perf collector is down and its families are absent.
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root: the pinned surface has the perf collector's host series"

FIX=$top_srcdir/tests/fixtures
GOLDEN=$top_srcdir/tests/golden/scrape-surface.txt
SURFACE_AWK=$top_srcdir/tests/golden/surface.awk

# surface FILE: the metric surface of a text scrape, sorted.
surface() {
	awk -f "$SURFACE_AWK" "$1" | LC_ALL=C sort -t"$(printf '\t')" -k1,1 -k2,2 | cut -f3-
}

# ---- the reduction can fail --------------------------------------------------------------
printf '# HELP a_bytes A.\n# TYPE a_bytes gauge\na_bytes{x="1,y=\\"}",z="2"} 1\na_bytes 2\n' >"$TEST_TMP/odd"
tap_is "$(surface "$TEST_TMP/odd")" "$(printf '# HELP a_bytes A.\n# TYPE a_bytes gauge\n  a_bytes{x,z}\n  a_bytes{}')" \
	"the reduction keeps label names and drops values, even values holding ,=\"} and escapes"
printf '# HELP a_bytes B.\n# TYPE a_bytes gauge\na_bytes{x="1"} 1\n' >"$TEST_TMP/other"
tap_check "a changed help text changes the surface" \
	fails test "$(surface "$TEST_TMP/odd")" = "$(surface "$TEST_TMP/other")"

# scrape_surface LAYOUT OUT: starts virtmeter on the fixtures with that
# cgroup layout, waits until two scrapes 1 s apart (after the meters and
# libvirt have reported, and the model has charged VMs and containers) have
# the same surface, and appends it to OUT.
scrape_surface() {
	local layout=$1 out=$2 prev="" cur="" i
	start_virtmeter --path.cgroupfs="$FIX/cgroup/$layout" \
		--path.sysfs="$FIX/power/sysfs" \
		--collector.libvirt.uri="test://$FIX/libvirt/domains.xml" || return 1
	for ((i = 0; i < 25; i++)); do
		sleep 1
		[ "$(fetch s "$VM_URL/metrics")" = 200 ] || continue
		grep -q '^virtmeter_meter_up{meter="hwmon"' "$TEST_TMP/s.b" || continue
		grep -q '^virtmeter_libvirt_up 1' "$TEST_TMP/s.b" || continue
		# The model charges a VM from its second libvirt reading on:
		# an interval that has one for both VMs and containers.
		grep -q '^virtmeter_vm_energy_joules_total' "$TEST_TMP/s.b" || continue
		grep -q '^virtmeter_container_energy_joules_total' "$TEST_TMP/s.b" || continue
		cur=$(surface "$TEST_TMP/s.b")
		[ -n "$prev" ] && [ "$cur" = "$prev" ] && break
		prev=$cur
	done
	stop_virtmeter
	[ -n "$cur" ] && [ "$cur" = "$prev" ] || return 1
	printf '%s\n' "$cur" >>"$out"
}

got=$TEST_TMP/surface.txt
: >"$got"
for layout in hybrid v1-cgroupfs v2-systemd; do
	echo "== cgroup layout $layout, RAPL and hwmon sysfs, libvirt test driver" >>"$got"
	if scrape_surface "$layout" "$got"; then
		tap_ok "a steady scrape on the $layout fixtures"
	else
		tap_fail "a steady scrape on the $layout fixtures"
		tap_diag_file "$VM_LOG"
	fi
done

if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
	cp "$got" "$GOLDEN"
	tap_diag "wrote $GOLDEN"
fi
if diff -u "$GOLDEN" "$got" >"$TEST_TMP/diff"; then
	tap_ok "the metric surface equals tests/golden/scrape-surface.txt"
else
	tap_fail "the metric surface equals tests/golden/scrape-surface.txt"
	tap_diag "the surface changed (- the golden file, + this build); if the change is meant, rewrite the file with GOLDEN_UPDATE=1 and commit it:"
	tap_diag_file "$TEST_TMP/diff"
fi
tap_done
