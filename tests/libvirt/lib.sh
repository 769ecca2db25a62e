# shellcheck shell=bash
# Helpers for tests that need a real libvirtd with a real (TCG) qemu guest.
# Source it from bash:
#
#   . "$srcdir/tests/libvirt/lib.sh"
#   lv_check || { echo "SKIP: $LV_SKIP_REASON"; exit 77; }
#   trap lv_cleanup EXIT
#   lv_build_guest && lv_start_daemons && lv_define_guest vmt1 &&
#       lv_start_guest vmt1 && lv_wait_guest_alive vmt1 90 || exit 1
#   ... test against qemu:///system ...
#
# Every function returns 0 on success and non-zero with a message on stderr.
# Every wait is bounded. Only daemons and guests this shell started or
# defined are stopped or removed, by PID or by name.
#
# Settings (set before sourcing, or override after):
#   LV_URI          libvirt URI                (qemu:///system)
#   LV_CACHE_DIR    guest kernel, initrd, disks and serial logs
#                   (/var/lib/libvirt/images/virtmeter-test)
#   LV_MEMORY_MIB   guest memory               (256)
#   LV_VCPUS        guest vCPUs                (2)
#   LV_DISK_SIZE    raw disk size for truncate (64M)

LV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LV_URI:=qemu:///system}"
: "${LV_CACHE_DIR:=/var/lib/libvirt/images/virtmeter-test}"
: "${LV_MEMORY_MIB:=256}"
: "${LV_VCPUS:=2}"
: "${LV_DISK_SIZE:=64M}"
: "${LV_VIRSH_TIMEOUT:=60}"
: "${LV_DAEMON_TIMEOUT:=30}"

LV_VIRTLOGD_PID=""   # set when this shell started virtlogd
LV_LIBVIRTD_PID=""   # set when this shell started (or restarted its own) libvirtd
LV_GUESTS=""         # space-separated names this shell defined
LV_SKIP_REASON=""

lv__err() { echo "lv: $*" >&2; }

# virsh with a time bound and the C locale (for parsing).
lv_virsh() {
	LC_ALL=C timeout "$LV_VIRSH_TIMEOUT" virsh -q -c "$LV_URI" "$@"
}

# lv_check: can this machine run the real-libvirt tests? 0 if yes; else 1
# with LV_SKIP_REASON set (the caller skips with exit 77).
lv_check() {
	LV_SKIP_REASON=""
	if [ "$(id -u)" -ne 0 ]; then
		LV_SKIP_REASON="not root"
	elif ! command -v virsh >/dev/null 2>&1 || ! command -v libvirtd >/dev/null 2>&1 ||
		! command -v virtlogd >/dev/null 2>&1; then
		LV_SKIP_REASON="libvirt-daemon-system not installed"
	elif ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		LV_SKIP_REASON="qemu-system-x86 not installed"
	elif ! command -v truncate >/dev/null 2>&1 || ! command -v timeout >/dev/null 2>&1; then
		LV_SKIP_REASON="coreutils truncate/timeout missing"
	fi
	[ -z "$LV_SKIP_REASON" ]
}

# lv_build_guest: build (or reuse the cached) guest kernel and initramfs.
lv_build_guest() {
	timeout 1200 bash "$LV_DIR/build-guest.sh" "$LV_CACHE_DIR"
}

# PID from PIDFILE if that process is alive and its comm is COMM; else empty.
lv__live_pid() {
	local pidfile=$1 comm=$2 pid
	[ -r "$pidfile" ] || return 0
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] && echo "$pid"
	return 0
}

# Wait (bounded) until PIDFILE names a live COMM; print its PID.
lv__wait_pidfile() {
	local pidfile=$1 comm=$2 i pid
	for ((i = 0; i < LV_DAEMON_TIMEOUT * 10; i++)); do
		pid=$(lv__live_pid "$pidfile" "$comm")
		[ -n "$pid" ] && { echo "$pid"; return 0; }
		sleep 0.1
	done
	lv__err "$comm did not write $pidfile within ${LV_DAEMON_TIMEOUT}s"
	return 1
}

# Wait (bounded) until libvirtd answers on LV_URI.
lv__wait_answer() {
	local i
	for ((i = 0; i < LV_DAEMON_TIMEOUT * 4; i++)); do
		LC_ALL=C timeout 5 virsh -q -c "$LV_URI" version >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	lv__err "libvirtd does not answer on $LV_URI after ${LV_DAEMON_TIMEOUT}s"
	return 1
}

# Stop PID (expected comm COMM): SIGTERM, bounded wait, then SIGKILL.
lv__stop_pid() {
	local pid=$1 comm=$2 i
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 150; i++)); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 0
		sleep 0.1
	done
	lv__err "$comm ($pid) ignored SIGTERM for 15s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.1
	done
	return 1
}

# Run a self-daemonizing command with stdio on /dev/null and every other
# descriptor closed: the daemons do not close inherited descriptors, and one
# that kept a test harness's pipe open would hang the harness.
lv__spawn() {
	(
		for fd in "/proc/$BASHPID/fd"/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
		done
		exec "$@"
	) </dev/null >/dev/null 2>&1
}

lv__start_libvirtd() {
	lv__spawn libvirtd -d || { lv__err "libvirtd -d failed"; return 1; }
	lv__wait_pidfile /run/libvirtd.pid libvirtd
}

# lv_start_daemons: start virtlogd and libvirtd unless they already run, and
# wait until libvirtd answers. Remembers the PIDs of those it started.
lv_start_daemons() {
	local pid
	[ "$(id -u)" -eq 0 ] || { lv__err "lv_start_daemons needs root"; return 1; }
	pid=$(lv__live_pid /run/virtlogd.pid virtlogd)
	if [ -z "$pid" ]; then
		lv__spawn virtlogd -d || { lv__err "virtlogd -d failed"; return 1; }
		LV_VIRTLOGD_PID=$(lv__wait_pidfile /run/virtlogd.pid virtlogd) || return 1
	fi
	pid=$(lv__live_pid /run/libvirtd.pid libvirtd)
	if [ -z "$pid" ]; then
		LV_LIBVIRTD_PID=$(lv__start_libvirtd) || return 1
	fi
	lv__wait_answer
}

# lv_stop_daemons: stop the daemons this shell started (libvirtd first).
lv_stop_daemons() {
	local rc=0
	if [ -n "$LV_LIBVIRTD_PID" ]; then
		lv__stop_pid "$LV_LIBVIRTD_PID" libvirtd || rc=1
		LV_LIBVIRTD_PID=""
	fi
	if [ -n "$LV_VIRTLOGD_PID" ]; then
		lv__stop_pid "$LV_VIRTLOGD_PID" virtlogd || rc=1
		LV_VIRTLOGD_PID=""
	fi
	return $rc
}

# lv_restart_libvirtd: kill the running libvirtd by PID and start a new one
# (running guests survive: the new libvirtd reconnects to their qemu
# monitors). A libvirtd this shell did not start is replaced and
# the new one left running at cleanup, as the old one would have been.
lv_restart_libvirtd() {
	local pid new
	pid=$(lv__live_pid /run/libvirtd.pid libvirtd)
	if [ -n "$pid" ]; then
		lv__stop_pid "$pid" libvirtd || { lv__err "could not stop libvirtd ($pid)"; return 1; }
	fi
	new=$(lv__start_libvirtd) || return 1
	if [ -n "$LV_LIBVIRTD_PID" ] || [ -z "$pid" ]; then
		LV_LIBVIRTD_PID=$new
	fi
	lv__wait_answer
}

lv__check_name() {
	case "$1" in
	'' | [!A-Za-z0-9]* | *[!A-Za-z0-9_.-]*)
		lv__err "guest name '$1': use letters, digits, '_', '.', '-'"
		return 1
		;;
	esac
	[ ${#1} -le 48 ] || { lv__err "guest name '$1' too long"; return 1; }
}

lv_guest_disk() { echo "$LV_CACHE_DIR/$1.img"; }
lv_guest_serial() { echo "$LV_CACHE_DIR/$1.serial.log"; }

# A stable locally administered qemu MAC for NAME: 52:54:00:xx:xx:xx.
lv_guest_mac() {
	local h
	h=$(printf '%s' "$1" | md5sum | cut -c1-6)
	echo "52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
}

# lv_define_guest NAME [MEMORY_MIB] [VCPUS]: make its disk, define it.
lv_define_guest() {
	local name=$1 mem=${2:-$LV_MEMORY_MIB} vcpus=${3:-$LV_VCPUS} xml disk serial
	lv__check_name "$name" || return 1
	case "$LV_CACHE_DIR" in
	*[!A-Za-z0-9_./-]*) lv__err "LV_CACHE_DIR '$LV_CACHE_DIR' has characters unsafe in XML/sed"; return 1 ;;
	esac
	if [ ! -f "$LV_CACHE_DIR/vmlinuz" ] || [ ! -f "$LV_CACHE_DIR/initrd.gz" ]; then
		lv__err "no guest kernel/initrd in $LV_CACHE_DIR: run lv_build_guest (build-guest.sh) first"
		return 1
	fi
	disk=$(lv_guest_disk "$name")
	serial=$(lv_guest_serial "$name")
	rm -f "$disk" "$serial"
	truncate -s "$LV_DISK_SIZE" "$disk" || { lv__err "truncate $disk failed"; return 1; }
	xml=$(mktemp "${TMPDIR:-/tmp}/lv-$name.XXXXXX.xml") || return 1
	sed -e "s|@NAME@|$name|g" -e "s|@MEMORY_MIB@|$mem|g" -e "s|@VCPUS@|$vcpus|g" \
		-e "s|@KERNEL@|$LV_CACHE_DIR/vmlinuz|g" -e "s|@INITRD@|$LV_CACHE_DIR/initrd.gz|g" \
		-e "s|@DISK@|$disk|g" -e "s|@SERIAL@|$serial|g" -e "s|@MAC@|$(lv_guest_mac "$name")|g" \
		"$LV_DIR/guest.xml.in" >"$xml"
	if ! lv_virsh define "$xml" >/dev/null; then
		lv__err "virsh define $name failed (XML kept in $xml)"
		return 1
	fi
	rm -f "$xml"
	case " $LV_GUESTS " in *" $name "*) ;; *) LV_GUESTS="$LV_GUESTS $name" ;; esac
}

# lv_start_guest NAME: start it (serial log emptied first, so that
# lv_wait_guest_alive sees only this boot).
lv_start_guest() {
	local serial
	serial=$(lv_guest_serial "$1")
	[ -e "$serial" ] && : >"$serial"
	lv_virsh start "$1" >/dev/null || { lv__err "virsh start $1 failed"; return 1; }
}

# lv_wait_guest_alive NAME [TIMEOUT=90]: wait for the guest's heartbeat line
# in its serial log.
lv_wait_guest_alive() {
	local name=$1 timeout=${2:-90} serial i
	serial=$(lv_guest_serial "$name")
	for ((i = 0; i < timeout * 4; i++)); do
		grep -qa '^virtmeter-guest alive ' "$serial" 2>/dev/null && return 0
		sleep 0.25
	done
	lv__err "guest $name: no heartbeat in ${timeout}s; end of $serial:"
	tail -n 15 "$serial" 2>/dev/null | sed 's/^/lv:   /' >&2
	return 1
}

# lv_guest_state NAME: running, shut off, paused, ... (empty if unknown).
lv_guest_state() {
	lv_virsh domstate "$1" 2>/dev/null | head -n 1
}

# lv_guest_pid NAME: PID of the guest's qemu process (empty if not running).
lv_guest_pid() {
	local pid=""
	pid=$(cat "/run/libvirt/qemu/$1.pid" 2>/dev/null) || true
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	[ -d "/proc/$pid" ] && echo "$pid"
	return 0
}

# lv_destroy_guest NAME: hard stop it if it is active.
lv_destroy_guest() {
	local st
	st=$(lv_guest_state "$1")
	case "$st" in
	'' | 'shut off') return 0 ;;
	esac
	lv_virsh destroy "$1" >/dev/null || { lv__err "virsh destroy $1 failed"; return 1; }
}

# lv_undefine_guest NAME: destroy, undefine, remove its disk, serial log and
# libvirt's qemu log of it.
lv_undefine_guest() {
	local name=$1 rc=0
	lv__check_name "$name" || return 1
	lv_destroy_guest "$name" || rc=1
	if lv_virsh dominfo "$name" >/dev/null 2>&1; then
		lv_virsh undefine "$name" >/dev/null || { lv__err "virsh undefine $name failed"; rc=1; }
	fi
	rm -f "$(lv_guest_disk "$name")" "$(lv_guest_serial "$name")" "/var/log/libvirt/qemu/$name.log"
	LV_GUESTS=$(echo " $LV_GUESTS " | sed "s/ $name / /; s/^ *//; s/ *$//")
	return $rc
}

# lv_cleanup: for `trap lv_cleanup EXIT`: remove this shell's guests, stop
# this shell's daemons, keep the exit status.
lv_cleanup() {
	local rc=$? g
	for g in $LV_GUESTS; do
		lv_undefine_guest "$g" || true
	done
	lv_stop_daemons || true
	return $rc
}
