#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# virtmeter-compare with all three targets under a real libvirtd, 2 runs
# each, against a virtmeter reading the RAPL fixture whose power follows
# the comparison's workloads (compare_lib.sh): the same CPU-bound job
# natively, in an LXC container and in a guest built from the test guest's
# kernel and a busybox initramfs holding the job, which boots under TCG
# (--vm-type=qemu: a KVM that starts a guest it cannot boot, as a nested
# host may offer, must not decide the test) and is destroyed and undefined
# after each run. Each
# run's idle power and energy must match the fixture's over the same
# seconds within 2 %, its dynamic energy the daemon's own counter; the
# guest's row has its CPU time, emulator time, steal and an overhead part,
# and the table says the guest ran under TCG. Apart from compare.sh
# because a TCG guest is slow: a few minutes.
# Its figures are checked to 2 %: the daemon runs at full speed, never
# under valgrind, even in make check-valgrind (which runs PLAIN_TESTS).
unset VIRTMETER_VALGRIND
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compare_lib.sh"
. "$top_srcdir/tests/libvirt/lib.sh"

TOOL=$top_srcdir/tools/virtmeter-compare
[ -x "$TOOL" ] || tap_skip_all "$TOOL is not executable"
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v python3 >/dev/null || tap_skip_all "python3 (to parse the JSON and SVG) is not installed"
lv_check || tap_skip_all "$LV_SKIP_REASON"
# Beside the other virtmeter-compare test: the checks hold this test's runs
# against its own fixture and daemon, whatever else keeps the host busy.
CG_LOCK_SHARED=1
. "$(dirname "$0")/cg_lib.sh"
cleanup() { lv_cleanup; cg_remove_all; lib_cleanup; }
trap cleanup EXIT
lv_build_guest >"$TEST_TMP/build.log" 2>&1 || tap_abort "build-guest.sh builds the test guest's kernel" "$(tail -n 5 "$TEST_TMP/build.log")"
lv_start_daemons || tap_abort "libvirtd runs"
fixture_start || tap_abort "copy the sysfs fixture"
fixture_virtmeter --collector.libvirt.uri="$LV_URI" || tap_abort "virtmeter starts on the RAPL fixture and libvirtd"

D=$TEST_TMP/out
T0=$SECONDS
# The job: 12 s of a busy loop, by each target's own clock (the guest's
# for the vm).
POLL=$TEST_TMP/poll
poll_start "$POLL"
run_tool 900 --url="$DAEMON_URL" --runs=2 --idle=12s --sample=100ms --targets=native,container,vm \
	--vm-uri="$LV_URI" --vm-type=qemu --vm-kernel="$LV_CACHE_DIR/vmlinuz" --out="$D" \
	-- busybox sh -c 'busybox timeout 12 busybox sh -c "while :; do :; done"; true' \
	>"$TEST_TMP/stdout" 2>"$TEST_TMP/stderr"
rc=$?
poll_stop
SECS=$((SECONDS - T0))
tap_is "$rc" 0 "native, container and vm, 2 runs each, succeed (took $SECS s)"
[ "$rc" = 0 ] || tap_diag_file "$TEST_TMP/stderr" 30
R=$D/runs.csv CMP_TARGETS="native container vm" CMP_RUNS=2
tap_is "$(awk -F, 'NR > 1 && $3 == "ok" { printf "%s%s ", $1, $2 }' "$R")" \
	"native1 container1 vm1 native2 container2 vm2 " "every run is ok, in interleaved order"
tap_is "$(for_runs energy_vs_fixture)" "" "each run's energy matches the fixture's over the job's seconds within 2 %"
tap_is "$(for_runs idle_vs_fixture)" "" "each run's idle power matches the fixture's over its idle seconds within 2 %"
tap_is "$(for_runs dyn_vs_daemon)" "" "each run's dynamic energy matches the daemon's counter of that workload within 2 %"
tap_is "$(for_runs parts)" "" "a workload's attributed energy is above 0 and at most the host's over the same window"

emu=$(col "$R" vm 1 emulation)
tap_is "$emu" tcg "the vm rows say the guest ran under TCG (--vm-type=qemu)"
tap_like "$(cat "$D/table.txt")" 'vm: TCG, software emulation' "the table says so too"
guest() {
	local w c e s d o i
	w=$(col "$R" vm "$2" wall_s) c=$(col "$R" vm "$2" cpu_s)
	e=$(col "$R" vm "$2" emulator_s) s=$(col "$R" vm "$2" steal_s)
	d=$(col "$R" vm "$2" dynamic_j) o=$(col "$R" vm "$2" overhead_j) i=$(col "$R" vm "$2" idle_j)
	awk -v w="$w" -v c="$c" -v e="$e" -v s="$s" -v d="$d" -v o="$o" -v i="$i" 'BEGIN {
		exit !(w >= 11.9 && w < 14 && c > 1 && e != "" && e >= 0 && s != "" && s >= 0 && d > 0 && o != "" && o >= 0 && i > 0) }' ||
		echo "vm run $2: $w s by its clock, $c CPU s, emulator $e s, steal $s s; dynamic $d J, overhead $o J, idle $i J"
}
tap_is "$(guest vm 1; guest vm 2)" "" \
	"each guest's job took about 12 s by its clock, used host CPU, and was charged dynamic, overhead and idle energy, its emulator time and steal counted"
tap_like "$(grep '^vm' "$D/table.txt" | head -n 1)" '^vm +2 ' "the table has a vm row of 2 runs"
tap_check "summary.json parses" json_ok "$D/summary.json"
tap_like "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["source"], [t["status"] for t in d["targets"]])' "$D/summary.json")" \
	"^rapl \['ok', 'ok', 'ok'\]$" "summary.json: the fixture's meter, every target ok"
tap_is "$(svg_lines "$D/power.svg")" 6 "power.svg is well-formed SVG with a line per run (6)"
tap_is "$(lv_virsh list --all --name | grep -c '^vmcompare-')" 0 "no guest of the comparison is left defined"
tap_is "$(find /var/lib/libvirt/images/virtmeter-compare -mindepth 1 2>/dev/null | wc -l)" 0 "nor any of its files"
tap_done
