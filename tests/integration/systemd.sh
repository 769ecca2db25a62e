#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2119 # cleanup runs from the trap
# The systemd unit, deploy/systemd/virtmeter.service as make builds it,
# holds what it says. systemd-analyze verify accepts it without a word (and
# catches a broken copy). Run as the unit runs it, without a running
# systemd: as a user of its own without supplementary groups, with no new
# privileges, with the unit's AmbientCapabilities= alone (ambient and
# bounding sets) and writable-and-executable memory refused (the kernel's
# PR_SET_MDWE, as MemoryDenyWriteExecute= does it), every collector is up
# and serves samples: a hand-made container's CPU and perf counters, RAPL
# energy_uj of mode 0400 owned by root (a fixture: this machine has no
# RAPL), an exec meter, the libvirt test driver, a text file. Without
# CAP_PERFMON the perf collector goes down, and only it; without
# CAP_DAC_READ_SEARCH the rapl meter, and only it. Every system call that
# virtmeter makes (traced through a start, every collector's cycles, a
# meter of each local kind, scrapes, a reload and a stop) is one that the
# unit's SystemCallFilter= lets through, as systemd-analyze expands its
# sets, and every socket family one that RestrictAddressFamilies= allows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"

UNIT=$top_builddir/deploy/systemd/virtmeter.service
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ -f "$UNIT" ] || tap_skip_all "$UNIT not built (make builds it)"
command -v systemd-analyze >/dev/null || tap_skip_all "systemd-analyze is not installed (Debian package systemd)"

# The uid and gid of the unit's user here: one no account has, so that
# nothing but what the unit grants (no group, no home) can help.
VM_UID=64917
CGNAME=vmtunit$$
CG=lxc.payload.$CGNAME

cleanup() {
	cg_remove_all
	lib_cleanup
}
trap cleanup EXIT

# directive NAME [FILE]: the values of every NAME= line of the unit FILE
# ($UNIT), joined by spaces.
directive() {
	sed -n "s/^$1=//p" "${2:-$UNIT}" | paste -sd ' '
}

# ---- systemd-analyze verify -----------------------------------------------
# verify_quiet FILE: systemd-analyze verify accepts the unit FILE and says
# nothing (it exits 0 on unknown keys and bad values, which it only prints).
# The man page of Documentation= is looked up in the source tree.
mkdir -p "$TEST_TMP/man/man8" "$TEST_TMP/unit" "$TEST_TMP/bad"
cp "$top_srcdir/docs/virtmeter.8" "$TEST_TMP/man/man8/"
verify_quiet() {
	local out rc
	out=$(MANPATH=$TEST_TMP/man systemd-analyze verify "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}
# The unit as installed names the installed binary: point it at this one.
exec_start=$(directive ExecStart)
tap_like "$exec_start" '^/[^ ]*/virtmeter --config.file=/[^ ]*/virtmeter/virtmeter.yml --storage.path=/var/lib/virtmeter$' \
	"ExecStart runs the installed binary on the installed configuration, state in /var/lib/virtmeter"
sed "s|^ExecStart=[^ ]*|ExecStart=$VIRTMETER|" "$UNIT" >"$TEST_TMP/unit/virtmeter.service"
sed 's/^ProtectSystem=.*/ProtectSystem=bogus/' "$TEST_TMP/unit/virtmeter.service" >"$TEST_TMP/bad/virtmeter.service"
tap_check "verify_quiet catches a bad value (ProtectSystem=bogus)" fails verify_quiet "$TEST_TMP/bad/virtmeter.service"
sed 's/^LockPersonality=/LockPersonalty=/' "$TEST_TMP/unit/virtmeter.service" >"$TEST_TMP/bad/virtmeter.service"
tap_check "verify_quiet catches a misspelt key" fails verify_quiet "$TEST_TMP/bad/virtmeter.service"
out=$(verify_quiet "$TEST_TMP/unit/virtmeter.service")
tap_is "$out" "" "systemd-analyze verify accepts the unit without a warning"

read -ra CAPS <<<"$(directive AmbientCapabilities)"
tap_is "${CAPS[*]}" "CAP_PERFMON CAP_DAC_READ_SEARCH" "the unit grants CAP_PERFMON and CAP_DAC_READ_SEARCH, no other"
tap_is "$(directive CapabilityBoundingSet)" "${CAPS[*]}" "its bounding set is the same two"
tap_is "$(directive User)" virtmeter "it runs as the user virtmeter"
tap_is "$(directive NoNewPrivileges)" yes "with no new privileges"
tap_is "$(directive MemoryDenyWriteExecute)" yes "with writable-and-executable memory refused"

# ---- run as the unit runs it ------------------------------------------------------
# setpriv_caps CAP...: the setpriv list "-all,+cap_x,..." of those
# capabilities (CAP_PERFMON -> +perfmon).
setpriv_caps() {
	local c list=-all
	for c in "$@"; do
		c=${c#CAP_}
		list="$list,+${c,,}"
	done
	echo "$list"
}
# cap_names HEX: the names of the capabilities of the set HEX (as
# /proc/PID/status shows it), in their numbers' order: setpriv lists the
# names in that order.
cap_names() {
	local i=0 name out=""
	while read -r name; do
		(( (16#$1 >> i) & 1 )) && out="$out $name"
		i=$((i + 1))
	done < <(setpriv --list-caps)
	echo "${out# }"
}
# as_unit CAP...: VM_WRAP runs virtmeter as the unit would, with only CAP...
# and, last, writable-and-executable memory refused (tests/helpers/mdwe).
as_unit() {
	local caps
	caps=$(setpriv_caps "$@")
	VM_WRAP=(setpriv --reuid="$VM_UID" --regid="$VM_UID" --clear-groups --no-new-privs
		--inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" "$MDWE")
}

SANDBOX=""
[ "$(id -u)" = 0 ] || SANDBOX="needs root to switch users and own the fixture"
command -v setpriv >/dev/null || SANDBOX="setpriv is not installed (Debian package util-linux)"
[ -x "$top_builddir/tests/helpers/mdwe" ] || SANDBOX="tests/helpers/mdwe not built (make check builds it)"
[ ${#CG_HIERS[@]} -gt 0 ] || SANDBOX="no cgroup hierarchy under $CGROOT"
if [ -z "$SANDBOX" ] && ! "$top_builddir/tests/helpers/mdwe" /bin/true 2>"$TEST_TMP/mdwe.err"; then
	SANDBOX="this kernel refuses PR_SET_MDWE (Linux 6.3 and later have it): $(cat "$TEST_TMP/mdwe.err")"
fi

# Everything the unit's user reads is under $TEST_TMP, which it may enter;
# the state directory is its own, as StateDirectory= makes it.
chmod 755 "$TEST_TMP"
BIN=$TEST_TMP/bin/virtmeter
MDWE=$TEST_TMP/bin/mdwe
SYS=$TEST_TMP/sys
STATE=$TEST_TMP/state
mkdir -p "$TEST_TMP/bin" "$STATE" "$TEST_TMP/textfile"
cp "$VIRTMETER" "$BIN"
[ -x "$top_builddir/tests/helpers/mdwe" ] && cp "$top_builddir/tests/helpers/mdwe" "$MDWE"
cp "$top_srcdir/tests/fixtures/power/exec-meter.sh" "$TEST_TMP/exec-meter.sh"
cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS"
chmod -R u+w,go+rX "$SYS" "$TEST_TMP/exec-meter.sh"
# RAPL as current kernels have it: energy_uj readable by root only.
find -L "$SYS/class/powercap" -name energy_uj -exec chown 0:0 {} + -exec chmod 0400 {} +
printf '# TYPE unit_test_value gauge\nunit_test_value 42\n' >"$TEST_TMP/textfile/unit.prom"
chown "$VM_UID:$VM_UID" "$STATE"
cat >"$TEST_TMP/config.yml" <<EOF
collectors:
  cgroup: {interval: 1s}
  perf: {interval: 1s}
  textfile: {directory: $TEST_TMP/textfile}
  libvirt: {uri: "test:///default"}
meters:
  - {name: rapl, type: rapl}
  - {name: pdu, type: exec, command: [/bin/sh, $TEST_TMP/exec-meter.sh, good]}
EOF
chmod 644 "$TEST_TMP/config.yml"
ARGS=(--config.file="$TEST_TMP/config.yml" --path.sysfs="$SYS" --storage.path="$STATE")

M=$TEST_TMP/m.b
# up_of COLLECTOR: its virtmeter_collector_up in the last scrape.
up_of() { series_value "$M" "virtmeter_collector_up{collector=\"$1\"}"; }
meter_of() { series_value "$M" "virtmeter_meter_up{meter=\"$1\",source=\"$2\"}"; }
# counted: the last scrape has more than half a second of the container's
# CPU time, both as the cgroup collector reads it and as the perf collector
# counts it (task-clock on the container's cgroup).
counted() {
	local cpu clock
	scrape m text >/dev/null
	cpu=$(samples "$M" virtmeter_container_cpu_seconds_total "container=\"$CGNAME\"" |
		awk '{ s += $NF } END { print s + 0 }')
	clock=$(value "$M" virtmeter_container_perf_event_seconds_total "container=\"$CGNAME\"" 'event="task-clock"')
	awk -v c="$cpu" -v t="${clock:-0}" 'BEGIN { exit !(c > 0.5 && t > 0.5) }'
}
# state_is UPS RAPL: the last scrape shows the collectors' states UPS (as
# ups prints them), the rapl meter's virtmeter_meter_up RAPL and the exec
# meter up.
state_is() {
	scrape m text >/dev/null
	[ "$(ups)" = "$1" ] && [ "$(meter_of rapl rapl)" = "$2" ] && [ "$(meter_of pdu exec)" = 1 ]
}
# ups: "NAME=UP" for each collector of the last scrape, in its order.
ups() {
	sed -n 's/^virtmeter_collector_up{collector="\([a-z]*\)"} \([01]\)$/\1=\2/p' "$M" | paste -sd ' '
}
ALL_UP="host=1 process=1 cgroup=1 power=1 libvirt=1 perf=1 model=1 textfile=1"

if [ -n "$SANDBOX" ]; then
	tap_skip "virtmeter runs as the unit runs it" "$SANDBOX"
else
	cg_make "$CG" || tap_abort "mkdir the cgroup $CG"
	run_in_cg "$CG" sleep 120
	run_in_cg "$CG" timeout 3 sh -c 'while :; do :; done'
	VIRTMETER=$BIN
	as_unit "${CAPS[@]}"
	start_virtmeter "${ARGS[@]}" || tap_abort "virtmeter starts as the unit runs it"
	grep -E '^(Uid|Groups|Cap(Amb|Bnd|Eff)|NoNewPrivs)' "/proc/$VM_PID/status" | tr -s '\t' ' ' >"$TEST_TMP/status"
	tap_like "$(grep -E '^(Uid|Groups|NoNewPrivs)' "$TEST_TMP/status" | paste -sd '|')" \
		"^Uid: $VM_UID $VM_UID $VM_UID $VM_UID\|Groups: ?\|NoNewPrivs: 1\$" \
		"it runs as uid $VM_UID, without supplementary groups, with no new privileges"
	tap_is "$(cap_names "$(sed -n 's/^CapEff: //p' "$TEST_TMP/status")")" "dac_read_search perfmon" \
		"its effective capabilities are those two"
	tap_is "$(cap_names "$(sed -n 's/^CapBnd: //p' "$TEST_TMP/status")")" "dac_read_search perfmon" \
		"and so is its bounding set"
	wait_for 15 counted
	tap_check "the hand-made container's CPU time is served, and counted by perf on its cgroup" counted
	wait_for 10 state_is "$ALL_UP" 1
	tap_is "$(ups)" "$ALL_UP" "every collector is up"
	tap_is "$(meter_of rapl rapl)" 1 "the rapl meter reads energy_uj of mode 0400 owned by root"
	tap_like "$(value "$M" virtmeter_energy_joules_total 'meter="rapl"' 'zone="psys"')" '^[0-9]' \
		"the rapl meter serves the psys zone's energy"
	tap_is "$(meter_of pdu exec)" 1 "the exec meter runs its command"
	tap_is "$(series_value "$M" virtmeter_libvirt_up)" 1 "libvirt's test driver answers"
	tap_is "$(value "$M" virtmeter_vm_info 'vm="test"')" 1 "and its VM is served"
	tap_like "$(series_value "$M" process_open_fds)" '^[1-9][0-9]*$' \
		"the process collector counts its own descriptors"
	tap_is "$(series_value "$M" virtmeter_host_cpus)" "$(nproc --all)" "the host collector counts the CPUs"
	tap_is "$(series_value "$M" unit_test_value)" 42 "the text file is served"
	tap_is "$(series_value "$M" virtmeter_textfile_scrape_error)" 0 "without a textfile error"
	tap_like "$(series_value "$M" virtmeter_model_retired_workloads)" '^[0-9]+$' "the energy model serves its figures"
	kill -HUP "$VM_PID"
	reloaded() { grep -q "configuration reloaded from $TEST_TMP/config.yml" "$VM_LOG"; }
	tap_check "SIGHUP (ExecReload=) reloads the configuration as that user" wait_for 5 reloaded
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM (systemctl stop) ends it with 0"

	# Without each capability, the collector that needs it goes down,
	# and only it.
	paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
	if [ "$paranoid" -le 0 ]; then
		tap_skip "without CAP_PERFMON the perf collector is down" \
			"kernel.perf_event_paranoid is $paranoid here: every user may count"
	else
		as_unit CAP_DAC_READ_SEARCH
		start_virtmeter "${ARGS[@]}" || tap_abort "virtmeter starts without CAP_PERFMON"
		wait_for 10 state_is "${ALL_UP/perf=1/perf=0}" 1
		tap_is "$(ups)" "${ALL_UP/perf=1/perf=0}" "without CAP_PERFMON the perf collector is down, and only it"
		tap_like "$(cat "$VM_LOG")" 'perf: not permitted to open counters: virtmeter needs CAP_PERFMON' \
			"and the log names CAP_PERFMON"
		tap_is "$(meter_of rapl rapl)" 1 "the rapl meter is still up"
		stop_virtmeter
	fi
	as_unit CAP_PERFMON
	start_virtmeter "${ARGS[@]}" || tap_abort "virtmeter starts without CAP_DAC_READ_SEARCH"
	wait_for 10 state_is "$ALL_UP" 0
	tap_is "$(meter_of rapl rapl)" 0 "without CAP_DAC_READ_SEARCH the rapl meter is down"
	tap_like "$(cat "$VM_LOG")" "cannot open $SYS/class/powercap/intel-rapl:[0-9]/energy_uj: Permission denied" \
		"and the log names energy_uj and the refusal"
	tap_is "$(meter_of pdu exec)" 1 "the exec meter is still up"
	tap_is "$(ups)" "$ALL_UP" "every collector is still up"
	stop_virtmeter
	VM_WRAP=()
fi

# ---- the system call filter and the address families ------------------------------
# expand_filter ITEM...: the system calls of systemd's sets and names ITEM,
# one a line (a set's own sets expanded too).
expand_filter() {
	local item
	for item in "$@"; do
		case $item in
		@*)
			systemd-analyze syscall-filter --no-pager "$item" |
				awk 'NR > 1 && NF && $1 !~ /^#/ { print $1 }' |
				while read -r sub; do expand_filter "$sub"; done
			;;
		*) echo "$item" ;;
		esac
	done
}
# allowed FILE: the system calls that the SystemCallFilter= lines of the
# unit FILE let through (the allow lines less the ~deny lines), sorted.
allowed() {
	local allow=() deny=() line
	while read -r line; do
		case $line in
		'~'*) read -ra words <<<"${line#\~}"; deny+=("${words[@]}") ;;
		*) read -ra words <<<"$line"; allow+=("${words[@]}") ;;
		esac
	done < <(sed -n 's/^SystemCallFilter=//p' "$1")
	LC_ALL=C comm -23 <(expand_filter "${allow[@]}" | LC_ALL=C sort -u) \
		<(expand_filter "${deny[@]}" | LC_ALL=C sort -u)
}
# refused FILE: the system calls of the trace that the unit FILE refuses.
refused() {
	LC_ALL=C comm -23 "$TEST_TMP/used" <(allowed "$1")
}

if ! command -v strace >/dev/null || ! command -v python3 >/dev/null; then
	tap_skip "every system call virtmeter makes passes SystemCallFilter=" \
		"strace or python3 is not installed (setup.sh test installs them)"
else
	# One http meter too, on a fixture plug: libcurl's calls.
	python3 "$top_srcdir/tests/fixtures/power/netmeter.py" "$TEST_TMP/ports" tasmota \
		>"$TEST_TMP/netmeter.log" 2>&1 &
	lib_track_pid $!
	have_port() { [ -s "$TEST_TMP/ports" ]; }
	wait_for 10 have_port || tap_abort "the fixture plug starts" "$(cat "$TEST_TMP/netmeter.log")"
	port=$(awk '$1 == "tasmota" { print $2 }' "$TEST_TMP/ports")
	cp "$TEST_TMP/config.yml" "$TEST_TMP/traced.yml"
	echo "  - {name: plug, type: http, preset: tasmota, url: \"http://localhost:$port\"}" >>"$TEST_TMP/traced.yml"
	# A build with --enable-sanitizers: LeakSanitizer cannot run under
	# ptrace, and says so as it fails; ASan and UBSan still do.
	VM_WRAP=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
		strace -f -qq -o "$TEST_TMP/trace")
	start_virtmeter --config.file="$TEST_TMP/traced.yml" --path.sysfs="$SYS" --storage.path="$STATE" ||
		tap_abort "virtmeter starts under strace"
	VM_WRAP=()
	plug_up() { scrape m text >/dev/null; [ "$(meter_of plug http)" = 1 ]; }
	wait_for 15 plug_up
	wait_for 10 state_is "$ALL_UP" 1
	fetch gz "$VM_URL/metrics" -H 'Accept-Encoding: gzip' >/dev/null
	fetch landing "$VM_URL/" >/dev/null
	kill -HUP "$VM_PID"
	sleep 1.5
	scrape m openmetrics >/dev/null
	# VM_PID is strace's: a signal to it detaches strace and leaves the
	# traced virtmeter running, so the daemon itself is stopped first.
	traced=$(pgrep -P "$VM_PID" | head -n 1)
	[ -n "$traced" ] && kill "$traced"
	stop_virtmeter
	tap_check "the traced virtmeter is gone with strace" \
		eval '[ -z "$traced" ] || ! kill -0 "$traced" 2>/dev/null'
	tap_is "$(ups)" "$ALL_UP" "under strace every collector is up"
	tap_is "$(meter_of plug http)" 1 "and the http meter reads the fixture plug"
	sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$TEST_TMP/trace" | LC_ALL=C sort -u >"$TEST_TMP/used"
	for call in perf_event_open io_uring_setup io_uring_enter inotify_add_watch execve connect accept4; do
		tap_check "the trace holds $call" grep -qx "$call" "$TEST_TMP/used"
	done
	sed '/^SystemCallFilter=@/s/ perf_event_open//' "$UNIT" >"$TEST_TMP/bad.service"
	tap_is "$(refused "$TEST_TMP/bad.service")" perf_event_open \
		"the check catches a filter without perf_event_open"
	out=$(refused "$UNIT")
	tap_is "$out" "" "every system call virtmeter made is one SystemCallFilter= lets through"
	tap_check "open_by_handle_at, which would step around InaccessiblePaths=, is refused" \
		fails grep -qx open_by_handle_at <(allowed "$UNIT")
	families=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$TEST_TMP/trace" | sed 's/socket(//' | LC_ALL=C sort -u)
	tap_like "$families" AF_INET "the trace holds the sockets it opened"
	out=""
	for f in $families; do
		case " $(directive RestrictAddressFamilies) " in *" $f "*) ;; *) out="$out $f" ;; esac
	done
	tap_is "$out" "" "every socket family it opened is one RestrictAddressFamilies= allows"
fi

tap_done
