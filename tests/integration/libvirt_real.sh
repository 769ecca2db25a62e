#!/usr/bin/env bash
# The libvirt collector's production path, against a real libvirtd and a
# real (TCG) qemu guest built by tests/libvirt: the guest shows up with its
# UUID and running state; its CPU, vCPU, emulator, memory, block and network
# series are there and move as the guest works; the exposition lints clean;
# a destroyed guest's series go away and come back, on its new tap device,
# when it starts again; while libvirtd is down virtmeter keeps serving, says
# virtmeter_libvirt_up 0 and logs the outage once, and it reconnects on its
# own when libvirtd is back. Needs root, libvirtd and qemu; skips otherwise.
# shellcheck disable=SC2317 # functions run indirectly: by the trap, by wait_scrape
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/libvirt/lib.sh
. "${top_srcdir:?}/tests/libvirt/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
lv_check || tap_skip_all "$LV_SKIP_REASON"
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_libvirt_up[[:space:]]' ||
	tap_skip_all "virtmeter built without the libvirt collector"

GUEST=vmtest-real
VM="vm=\"$GUEST\""

# Guest and daemons first (lv_cleanup), then virtmeter and the temp dir.
# A libvirtd that ran before this test and that the test stopped is started
# again if the test ends in the middle of the outage.
RESTORE_LIBVIRTD=0
cleanup() {
	local rc=$?
	if [ "$RESTORE_LIBVIRTD" = 1 ] && [ -z "$(lv__live_pid /run/libvirtd.pid libvirtd)" ]; then
		lv__start_libvirtd >/dev/null || true
	fi
	lv_cleanup
	lib_cleanup
	exit "$rc"
}
trap cleanup EXIT

# ---- helpers -------------------------------------------------------------------


# num_cmp A OP B: compares two numbers (floats, exponents) with awk; OP is
# one of > >= == <=. False if either is empty.
num_cmp() {
	[ -n "$1" ] && [ -n "$3" ] || return 1
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		a += 0; b += 0
		if (op == ">") exit !(a > b)
		if (op == ">=") exit !(a >= b)
		if (op == "==") exit !(a == b)
		if (op == "<=") exit !(a <= b)
		exit 1 }'
}

# tap_num DESC A OP B: one check of num_cmp.
tap_num() {
	if num_cmp "$2" "$3" "$4"; then
		tap_ok "$1"
	else
		tap_fail "$1" "expected '$2' $3 '$4'"
	fi
}

# heartbeats: how many loop rounds the guest has logged on its console.
heartbeats() {
	grep -ac '^virtmeter-guest alive ' "$(lv_guest_serial "$GUEST")" 2>/dev/null
}

# wait_heartbeats N SECONDS: waits until the guest has logged N more rounds.
wait_heartbeats() {
	local want i
	want=$(($(heartbeats) + $1))
	for ((i = 0; i < $2 * 4; i++)); do
		[ "$(heartbeats)" -ge "$want" ] && return 0
		sleep 0.25
	done
	return 1
}

# vm_series FILE: the guest's series (sample lines with its vm label).
vm_series() {
	grep -E "^virtmeter_vm_[a-z_]+\{(.*,)?${VM}[,}]" "$1"
}

# guest_iface: the guest's tap device now (vnetN, changes per start).
guest_iface() {
	lv_virsh domiflist "$GUEST" | awk 'NF >= 5 { print $1; exit }'
}

# wait_scrape NAME SECONDS COMMAND...: scrapes into $TEST_TMP/NAME.b every
# 0.5 s until COMMAND (which reads that file) succeeds. Bounded.
wait_scrape() {
	local name=$1 limit=$2 i
	shift 2
	for ((i = 0; i < limit * 2; i++)); do
		scrape "$name" text >/dev/null
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

guest_ready() {
	local f=$TEST_TMP/$1.b
	[ "$(value "$f" virtmeter_libvirt_up)" = 1 ] &&
		[ "$(value "$f" virtmeter_vm_state "$VM")" = 1 ] &&
		[ -n "$(value "$f" virtmeter_vm_cpu_seconds_total "$VM")" ] &&
		[ -n "$(value "$f" virtmeter_vm_net_transmit_packets_total "$VM" "device=\"$IFACE\"")" ] &&
		[ -n "$(value "$f" virtmeter_vm_memory_usable_bytes "$VM")" ]
}

# ---- guest, daemons, virtmeter -------------------------------------------------------

lv_build_guest >"$TEST_TMP/build.log" 2>&1 ||
	tap_abort "the test guest builds (tests/libvirt/build-guest.sh)" "$(tail -n 20 "$TEST_TMP/build.log")"
lv_start_daemons || tap_abort "virtlogd and libvirtd start"
lv_virsh dominfo "$GUEST" >/dev/null 2>&1 && lv_undefine_guest "$GUEST" # left over by a killed run
lv_define_guest "$GUEST" || tap_abort "guest $GUEST is defined"
lv_start_guest "$GUEST" || tap_abort "guest $GUEST starts"
lv_wait_guest_alive "$GUEST" 90 || tap_abort "guest $GUEST runs its loop (heartbeat on the console)"
tap_ok "guest $GUEST runs ($(lv_virsh version 2>/dev/null | awk '/Running hypervisor/ { print $(NF - 1), $NF }'))"
UUID=$(lv_virsh domuuid "$GUEST" | head -n 1)
IFACE=$(guest_iface)
tap_diag "uuid $UUID, interface $IFACE, qemu pid $(lv_guest_pid "$GUEST")"

INTERVAL=5
CONFIG_ARGS=()
# The cgroup and host collectors every second too: the energy model's
# intervals follow the cgroup collector's cycles.
printf 'collectors:\n  libvirt:\n    interval: 1s\n  cgroup:\n    interval: 1s\n  host:\n    interval: 1s\n' >"$TEST_TMP/virtmeter.yml"
if "$VIRTMETER" --config.file="$TEST_TMP/virtmeter.yml" --check-config >"$TEST_TMP/check.out" 2>&1; then
	CONFIG_ARGS=(--config.file="$TEST_TMP/virtmeter.yml")
	INTERVAL=1
else
	tap_diag "the configuration file is refused; the collector runs at its default interval:"
	tap_diag_file "$TEST_TMP/check.out"
fi

start_virtmeter --collector.libvirt.uri="$LV_URI" "${CONFIG_ARGS[@]}" ||
	tap_abort "virtmeter starts with --collector.libvirt.uri=$LV_URI"
tap_ok "virtmeter starts with --collector.libvirt.uri=$LV_URI"

if wait_scrape s1 $((10 * INTERVAL + 20)) guest_ready s1; then
	tap_ok "within 10 cycles: libvirt up, the guest running, with CPU, network and balloon series"
else
	tap_fail "within 10 cycles: libvirt up, the guest running, with CPU, network and balloon series" \
		"$(grep -E '^virtmeter_(libvirt|vm_)' "$TEST_TMP/s1.b" | head -n 40)" "log:" "$(head -n 20 "$VM_LOG")"
fi
S1=$TEST_TMP/s1.b

# ---- one scrape: what is there -------------------------------------------------------

tap_is "$(value "$S1" virtmeter_libvirt_up)" 1 "virtmeter_libvirt_up is 1"
tap_is "$(samples "$S1" virtmeter_vm_info "$VM" | grep -c .)" 1 "one virtmeter_vm_info series for the guest"
tap_is "$(value "$S1" virtmeter_vm_info "$VM" "uuid=\"$UUID\"")" 1 "virtmeter_vm_info carries the guest's UUID ($UUID)"
tap_is "$(value "$S1" virtmeter_vm_info "$VM" 'hypervisor="qemu"' 'os_type="hvm"')" 1 \
	"virtmeter_vm_info says hypervisor qemu (domain type) and os_type hvm"
tap_is "$(value "$S1" virtmeter_vm_state "$VM")" 1 "virtmeter_vm_state is 1 (running)"
tap_is "$(value "$S1" virtmeter_vm_vcpus "$VM")" 2 "virtmeter_vm_vcpus is 2"
tap_num "virtmeter_vm_cpu_seconds_total is above 0" "$(value "$S1" virtmeter_vm_cpu_seconds_total "$VM")" '>' 0
for v in 0 1; do
	for f in vcpu_seconds_total vcpu_wait_seconds_total vcpu_delay_seconds_total; do
		tap_num "virtmeter_vm_$f for vCPU $v is there and >= 0" \
			"$(value "$S1" "virtmeter_vm_$f" "$VM" "vcpu=\"$v\"")" '>=' 0
	done
done
tap_is "$(samples "$S1" virtmeter_vm_vcpu_seconds_total "$VM" | grep -c .)" 2 "exactly 2 vCPU series"
EMU1=$(value "$S1" virtmeter_vm_emulator_cpu_seconds_total "$VM")
tap_num "virtmeter_vm_emulator_cpu_seconds_total is there and >= 0" "$EMU1" '>=' 0
CPU1=$(value "$S1" virtmeter_vm_cpu_seconds_total "$VM")
VSUM1=$(samples "$S1" virtmeter_vm_vcpu_seconds_total "$VM" | awk '{ s += $NF } END { print s + 0 }')
tap_num "emulator time <= domain CPU time minus the vCPUs' time (plus 10 ms per vCPU of rounding)" \
	"$EMU1" '<=' "$(awk -v c="$CPU1" -v v="$VSUM1" 'BEGIN { print c - v + 0.02 }')"
tap_is "$(value "$S1" virtmeter_vm_memory_max_bytes "$VM")" 268435456 "virtmeter_vm_memory_max_bytes is 256 MiB"
tap_is "$(value "$S1" virtmeter_vm_memory_balloon_bytes "$VM")" 268435456 "virtmeter_vm_memory_balloon_bytes is 256 MiB"
for f in rss available usable unused; do
	tap_num "virtmeter_vm_memory_${f}_bytes is above 0" "$(value "$S1" "virtmeter_vm_memory_${f}_bytes" "$VM")" '>' 0
done
tap_num "virtmeter_vm_memory_rss_bytes is qemu's RSS (above 100 MiB)" \
	"$(value "$S1" virtmeter_vm_memory_rss_bytes "$VM")" '>' 104857600
for f in read_bytes read_requests write_bytes write_requests read_time_seconds write_time_seconds; do
	tap_num "virtmeter_vm_block_${f}_total{device=\"vda\"} is above 0" \
		"$(value "$S1" "virtmeter_vm_block_${f}_total" "$VM" 'device="vda"')" '>' 0
done
for d in receive transmit; do
	for f in bytes packets errors drops; do
		tap_num "virtmeter_vm_net_${d}_${f}_total{device=\"$IFACE\"} is there" \
			"$(value "$S1" "virtmeter_vm_net_${d}_${f}_total" "$VM" "device=\"$IFACE\"")" '>=' 0
	done
done
tap_num "the guest has sent packets (net transmit is what the guest sent)" \
	"$(value "$S1" virtmeter_vm_net_transmit_packets_total "$VM" "device=\"$IFACE\"")" '>' 0
lint_scrape "$S1" text "the live exposition is clean (promtool check metrics, no duplicate series)"
scrape om1 openmetrics >/dev/null
lint_scrape "$TEST_TMP/om1.b" openmetrics "the live OpenMetrics exposition is clean"

# The VM's cgroup: libvirt puts qemu in machine/qemu-<id>-<name>.libvirt-qemu.
QPID=$(lv_guest_pid "$GUEST")
CG=$(awk -F: '$1 == "0" { print $3 }' "/proc/$QPID/cgroup" 2>/dev/null)
CG=${CG%/emulator}
tap_diag "qemu's cgroup: $CG"
if [ -z "$CG" ]; then
	tap_fail "the guest's cgroup is found" "cannot read qemu's cgroup from /proc/$QPID/cgroup"
else
	tap_is "$(series_value "$S1" "virtmeter_vm_cgroup_info{$VM,cgroup=\"$CG\"}")" 1 \
		"virtmeter_vm_cgroup_info names qemu's own cgroup $CG"
fi

# ---- two scrapes: what moves ---------------------------------------------------------

# Two loop rounds of the guest (~10 s), then one more cycle.
wait_heartbeats 2 40 || tap_diag "the guest logged fewer than 2 rounds in 40 s"
sleep $((INTERVAL + 1))
scrape s2 text >/dev/null
S2=$TEST_TMP/s2.b
moved() { # DESC NAME PAIRS...: strictly more in S2 than in S1
	local desc=$1
	shift
	tap_num "$desc" "$(value "$S2" "$@")" '>' "$(value "$S1" "$@")"
}
moved "the domain's CPU time moves" virtmeter_vm_cpu_seconds_total "$VM"
VSUM2=$(samples "$S2" virtmeter_vm_vcpu_seconds_total "$VM" | awk '{ s += $NF } END { print s + 0 }')
tap_num "the vCPUs' time moves (sum over both)" "$VSUM2" '>' "$VSUM1"
# Measured on this guest: each vCPU gains about 0.1 s per loop round.
for v in 0 1; do
	moved "vCPU $v time moves" virtmeter_vm_vcpu_seconds_total "$VM" "vcpu=\"$v\""
done
moved "block read requests move" virtmeter_vm_block_read_requests_total "$VM" 'device="vda"'
moved "block write requests move" virtmeter_vm_block_write_requests_total "$VM" 'device="vda"'
moved "block read bytes move" virtmeter_vm_block_read_bytes_total "$VM" 'device="vda"'
moved "block write bytes move" virtmeter_vm_block_write_bytes_total "$VM" 'device="vda"'
moved "net transmit packets move" virtmeter_vm_net_transmit_packets_total "$VM" "device=\"$IFACE\""
# The host-side view of the guest: the cgroup collector reads the cgroup
# that the libvirt collector put in the workload table (5 s interval, and
# its first cycle may run before the VM is in the table: compare S2 with a
# scrape one cgroup cycle later).
sleep 6
scrape s3 text >/dev/null
S3=$TEST_TMP/s3.b
hcpu() { samples "$1" virtmeter_vm_cgroup_cpu_seconds_total "$VM" | awk '{ s += $NF } END { if (NR) print s }'; }
tap_num "the guest's host-side cgroup CPU time moves (virtmeter_vm_cgroup_cpu_seconds_total)" \
	"$(hcpu "$S3")" '>' "$(hcpu "$S2")"
tap_num "the guest's host-side cgroup memory is qemu's (over 100 MB for a 256 MiB guest)" \
	"$(value "$S3" virtmeter_vm_cgroup_memory_usage_bytes "$VM")" '>' 100000000

# ---- energy: the model prices the guest's virtualization overhead --------------------
# Over about 15 s: the guest's dynamic and overhead energy, and its CPU
# times over the same scrapes. Its overhead share of its dynamic energy
# must be its CPU time outside the vCPUs (the emulator's) as a share of its
# whole CPU time, within 0.05.
scrape e1 text >/dev/null
sleep 15
scrape e2 text >/dev/null
E1=$TEST_TMP/e1.b E2=$TEST_TMP/e2.b
ediff() { awk -v a="$(value "$E1" virtmeter_vm_energy_joules_total "$VM" "component=\"$1\"")" \
	-v b="$(value "$E2" virtmeter_vm_energy_joules_total "$VM" "component=\"$1\"")" \
	'BEGIN { if (a != "" && b != "") printf "%.6f", b - a }'; }
vsum() { samples "$1" virtmeter_vm_vcpu_seconds_total "$VM" | awk '{ s += $NF } END { if (NR) print s }'; }
cdiff() { awk -v a="$(value "$E1" "$@")" -v b="$(value "$E2" "$@")" 'BEGIN { if (a != "" && b != "") printf "%.6f", b - a }'; }
SRC=$(samples "$E2" virtmeter_host_power_source_info | sed -n 's/.*source="\([^"]*\)".*/\1/p')
tap_is "$(samples "$E2" virtmeter_vm_energy_joules_total "$VM" "source=\"$SRC\"" | grep -c .)" 3 \
	"the guest has energy counters for dynamic, idle and overhead (source \"$SRC\")"
DYN=$(ediff dynamic) OVH=$(ediff overhead) IDLE=$(ediff idle)
DCPU=$(cdiff virtmeter_vm_cpu_seconds_total "$VM")
DEMU=$(cdiff virtmeter_vm_emulator_cpu_seconds_total "$VM")
DVCPU=$(awk -v a="$(vsum "$E1")" -v b="$(vsum "$E2")" 'BEGIN { printf "%.6f", b - a }')
tap_diag "over 15 s: dynamic $DYN J, overhead $OVH J, idle $IDLE J; CPU $DCPU s, vCPUs $DVCPU s, emulator $DEMU s"
tap_num "the guest's overhead energy is above 0" "$OVH" '>' 0
tap_num "the guest's dynamic energy is above 0" "$DYN" '>' 0
tap_num "the guest holds 2 vCPUs and 256 MiB: it is charged idle energy" "$IDLE" '>' 0
OSHARE=$(awk -v d="$DYN" -v o="$OVH" 'BEGIN { if (d + o > 0) printf "%.4f", o / (d + o) }')
ESHARE=$(awk -v c="$DCPU" -v e="$DEMU" 'BEGIN { if (c > 0) printf "%.4f", e / c }')
tap_diag "overhead share of the dynamic energy $OSHARE, emulator share of the CPU time $ESHARE"
tap_check "the overhead share of its energy ($OSHARE) is its emulator share of CPU time ($ESHARE) within 0.05" \
	awk -v a="$OSHARE" -v b="$ESHARE" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 0.05) }'
tap_num "the attribution error stays at most 0.005" "$(value "$E2" virtmeter_attribution_error_ratio)" "<=" 0.005

EMU2=$(value "$S2" virtmeter_vm_emulator_cpu_seconds_total "$VM")
tap_num "emulator CPU time is >= 0 on the second scrape" "$EMU2" '>=' 0
tap_num "emulator CPU time never goes back" "$EMU2" '>=' "$EMU1"
# Every counter of the guest: none went back.
back=$(join <(vm_series "$S1" | grep -E '^[^{ ]+_total[{ ]' | sed 's/ \([^ ]*\)$/\t\1/' | sort -t$'\t' -k1,1) \
	<(vm_series "$S2" | grep -E '^[^{ ]+_total[{ ]' | sed 's/ \([^ ]*\)$/\t\1/' | sort -t$'\t' -k1,1) -t$'\t' |
	awk -F'\t' '$3 + 0 < $2 + 0')
tap_is "$back" "" "no counter of the guest went back between two scrapes"
lint_scrape "$S2" text "the second live exposition is clean"

# ---- destroy and start again -----------------------------------------------------------

# What a shut-off domain may keep: its definition (info, state 5, vCPUs,
# memory, disk sizes, OpenStack metadata). Everything measured while it runs
# (every counter, vCPU times, memory use, I/O) must go: libvirt 9.0 even
# reports libvirtd's own CPU time as cpu.time of an inactive domain.
# The energy model keeps an ended workload's energy counters (not its power
# gauges) for --collector.model.retire-after, so that increase() over a
# window still sees the energy it used.
SHUTOFF_OK='^virtmeter_vm_(info|state|vcpus|vcpus_maximum|memory_max_bytes|memory_balloon_bytes|block_(capacity|allocation|physical)_bytes|openstack_[a-z_]+|energy_joules_total|idle_energy_joules_total|idle_seconds_total)\{'
only_meta_left() {
	local f=$TEST_TMP/$1.b
	! vm_series "$f" | grep -Evq "$SHUTOFF_OK" &&
		case $(value "$f" virtmeter_vm_state "$VM") in '' | 5) true ;; *) false ;; esac
}
OLD_IFACE=$IFACE
lv_destroy_guest "$GUEST" || tap_abort "virsh destroy $GUEST"
if wait_scrape gone $((5 * INTERVAL + 10)) only_meta_left gone; then
	tap_ok "destroyed: within 5 cycles the guest's runtime series vanish, state 5"
else
	tap_fail "destroyed: within 5 cycles the guest's runtime series vanish, state 5" \
		"series that should have gone:" "$(vm_series "$TEST_TMP/gone.b" | grep -Ev "$SHUTOFF_OK" | head -n 20)" \
		"state: $(value "$TEST_TMP/gone.b" virtmeter_vm_state "$VM")"
fi
lint_scrape "$TEST_TMP/gone.b" text "destroyed: the exposition is clean"

lv_start_guest "$GUEST" || tap_abort "guest $GUEST starts again"
lv_wait_guest_alive "$GUEST" 90 || tap_abort "guest $GUEST runs its loop again"
IFACE=$(guest_iface)
tap_diag "new interface $IFACE (was $OLD_IFACE)"
if wait_scrape back $((10 * INTERVAL + 20)) guest_ready back; then
	tap_ok "started again: the guest's series come back, on its new tap device $IFACE"
else
	tap_fail "started again: the guest's series come back, on its new tap device $IFACE" \
		"$(vm_series "$TEST_TMP/back.b" | head -n 40)"
fi
if [ "$OLD_IFACE" != "$IFACE" ]; then
	tap_is "$(vm_series "$TEST_TMP/back.b" | grep -c "device=\"$OLD_IFACE\"")" 0 \
		"started again: no series left on the old tap device $OLD_IFACE"
else
	# Same tap name: a stale series would show as a duplicate.
	tap_is "$(vm_series "$TEST_TMP/back.b" | grep "device=\"$IFACE\"" | sort | uniq -d | wc -l)" 0 \
		"started again on the same tap device $IFACE: no duplicate series for it"
fi
tap_is "$(value "$TEST_TMP/back.b" virtmeter_vm_info "$VM" "uuid=\"$UUID\"")" 1 "started again: same UUID in virtmeter_vm_info"
lint_scrape "$TEST_TMP/back.b" text "started again: the exposition is clean"

# ---- libvirtd goes away and comes back -------------------------------------------------------

LOG_AT=$(wc -l <"$VM_LOG")
OLD_LIBVIRTD=$(lv__live_pid /run/libvirtd.pid libvirtd)
# The kit restarts libvirtd in one step (lv_restart_libvirtd); the outage
# must last a few cycles here, so stop and start are done apart, with the
# kit's own helpers and its bookkeeping of whose libvirtd it is.
if [ -z "$OLD_LIBVIRTD" ] || ! lv__stop_pid "$OLD_LIBVIRTD" libvirtd; then
	tap_abort "libvirtd ($OLD_LIBVIRTD) stops on SIGTERM"
fi
[ "$LV_LIBVIRTD_PID" = "$OLD_LIBVIRTD" ] || RESTORE_LIBVIRTD=1
OUTAGE_T0=$SECONDS
down_seen() {
	[ "$(value "$TEST_TMP/$1.b" virtmeter_libvirt_up)" = 0 ]
}
if wait_scrape down $((3 * INTERVAL + 10)) down_seen down; then
	tap_ok "libvirtd down: virtmeter_libvirt_up goes 0 (after $((SECONDS - OUTAGE_T0)) s)"
else
	tap_fail "libvirtd down: virtmeter_libvirt_up goes 0" "virtmeter_libvirt_up $(value "$TEST_TMP/down.b" virtmeter_libvirt_up)"
fi
# A few more cycles down, each scrape answered at once.
slow=""
for ((i = 0; i < 5; i++)); do
	sleep "$INTERVAL"
	t=$(curl -s -o "$TEST_TMP/d$i.b" -w '%{http_code} %{time_total}' --max-time 10 "$VM_URL/metrics")
	case $t in
	200\ 0.* | 200\ 1.*) ;;
	*) slow+="[$t] " ;;
	esac
done
tap_is "$slow" "" "libvirtd down: 5 scrapes over 5 cycles all answer 200 within 2 s"
tap_is "$(value "$TEST_TMP/d4.b" virtmeter_libvirt_up)" 0 "libvirtd down: still virtmeter_libvirt_up 0 five cycles later"
# The host-side cgroup view (virtmeter_vm_cgroup_*, but its _info, which
# comes from libvirt) is read live from qemu's cgroup by the cgroup
# collector, and the perf collector's counters (virtmeter_vm_perf_*) count
# on that cgroup: qemu keeps running without libvirtd, so they stay, and
# move. So does the energy the model charges the guest by that cgroup's CPU
# time (virtmeter_vm_energy_*, _power_*, _idle_*).
tap_is "$(grep '^virtmeter_vm_' "$TEST_TMP/d4.b" | grep -v -e '^virtmeter_vm_cgroup_' -e '^virtmeter_vm_perf_' \
	-e '^virtmeter_vm_energy_' -e '^virtmeter_vm_power_' -e '^virtmeter_vm_idle_' | grep -c .)" 0 \
	"libvirtd down: no series from libvirt served stale"
tap_is "$(grep -c '^virtmeter_vm_cgroup_info' "$TEST_TMP/d4.b")" 0 \
	"libvirtd down: no virtmeter_vm_cgroup_info (it comes from libvirt)"
tap_num "libvirtd down: the host-side cgroup view of the running guest is still served" \
	"$(grep -c "^virtmeter_vm_cgroup_cpu_seconds_total{$VM" "$TEST_TMP/d4.b")" '>' 0
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "libvirtd down: /healthz answers 200"
lint_scrape "$TEST_TMP/d4.b" text "libvirtd down: the exposition is clean"
tap_check "libvirtd down: virtmeter still runs" kill -0 "$VM_PID"

NEW_LIBVIRTD=$(lv__start_libvirtd) || tap_abort "libvirtd starts again"
# Whose libvirtd it is: ours if we started the old one or none ran before
# (as lv_restart_libvirtd decides).
[ "$LV_LIBVIRTD_PID" = "$OLD_LIBVIRTD" ] && LV_LIBVIRTD_PID=$NEW_LIBVIRTD
RESTORE_LIBVIRTD=0
lv__wait_answer || tap_abort "libvirtd answers again"
UP_T0=$SECONDS
up_again() {
	[ "$(value "$TEST_TMP/$1.b" virtmeter_libvirt_up)" = 1 ] && guest_ready "$1"
}
if wait_scrape up 60 up_again up; then
	tap_ok "libvirtd back: virtmeter_libvirt_up 1 and the guest's series back (after $((SECONDS - UP_T0)) s)"
else
	tap_fail "libvirtd back: virtmeter_libvirt_up 1 and the guest's series back within 60 s" \
		"$(grep -E '^virtmeter_(libvirt|vm_info|vm_state)' "$TEST_TMP/up.b")"
fi
tap_is "$(value "$TEST_TMP/up.b" virtmeter_vm_info "$VM" "uuid=\"$UUID\"")" 1 "libvirtd back: the guest's info series, same UUID"
lint_scrape "$TEST_TMP/up.b" text "libvirtd back: the exposition is clean"

# One line when the connection is lost, one when it is back, for the
# whole outage (several cycles).
sleep "$INTERVAL"
tail -n +"$((LOG_AT + 1))" "$VM_LOG" >"$TEST_TMP/outage.log"
tap_diag "log during the outage:"
tap_diag_file "$TEST_TMP/outage.log" 20
# The scheduler's own line about a cycle that ran past the collector's
# timeout is a different event: a libvirtd that has just started, with its
# guests' monitors still reconnecting on a busy host, can hold the first
# stats query for longer than that. It is not counted as an outage warning,
# but when it is there the cycle must have ended, and said so.
grep -i libvirt "$TEST_TMP/outage.log" | grep -E 'level=(warn|error)' |
	grep -v 'collector libvirt is stuck' >"$TEST_TMP/outage.warn"
tap_is "$(grep -c . "$TEST_TMP/outage.warn")" 1 "log: exactly one warning for the outage"
stuck=$(grep -c 'collector libvirt is stuck' "$TEST_TMP/outage.log")
finished=$(grep -c 'collector libvirt finished a cycle after' "$TEST_TMP/outage.log")
tap_is "$stuck $finished" "$stuck $stuck" \
	"log: each stuck libvirt cycle ($stuck) is followed by the line that it finished"
n=$(grep -i libvirt "$TEST_TMP/outage.log" | grep 'level=info' | grep -Eci 'recover|reconnect|connected|back|reachable')
tap_is "$n" 1 "log: exactly one recovery line for the outage"

stop_virtmeter "$VM_PID"
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
tap_done
