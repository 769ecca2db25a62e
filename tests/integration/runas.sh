#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2119 # cleanup runs from the trap
# --runas USER: virtmeter started as root binds its listen address (one
# below 1024 here), then becomes a system user made for the test: its
# uid, group and supplementary groups, with no new privileges and only
# the capabilities of the enabled collectors (CAP_DAC_READ_SEARCH for the
# cgroup, power and libvirt collectors, CAP_PERFMON for perf) permitted,
# effective and bounding, none inheritable or ambient, in every thread.
# As that user every collector is up: RAPL energy_uj of mode 0400 owned
# by root is read (a fixture: this machine has no RAPL), perf counts a
# hand-made container. Without perf, CAP_PERFMON goes; with the host
# collector alone, every capability. The storage directory is made for
# the user; one the user cannot write, an unknown user and a start as
# another user than root are refused with errors that name them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (--runas changes user)"
for tool in useradd userdel groupadd groupdel setpriv; do
	command -v "$tool" >/dev/null || tap_skip_all "$tool is not installed (Debian packages passwd, util-linux)"
done
[ ${#CG_HIERS[@]} -gt 0 ] || tap_skip_all "no cgroup hierarchy under $CGROOT"

RUSER=vmtrunas$$
RGROUP=vmtrgrp$$
CGNAME=vmtrunas$$
CG=lxc.payload.$CGNAME

cleanup() {
	cg_remove_all
	lib_cleanup
	userdel "$RUSER" 2>/dev/null
	groupdel "$RUSER" 2>/dev/null
	groupdel "$RGROUP" 2>/dev/null
}
trap cleanup EXIT

groupadd --system "$RGROUP" || tap_abort "groupadd --system $RGROUP"
useradd --system --user-group --groups "$RGROUP" --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin "$RUSER" ||
	tap_abort "useradd --system $RUSER"
RUID=$(id -u "$RUSER")
RGID=$(id -g "$RUSER")
XGID=$(getent group "$RGROUP" | cut -d: -f3)

HAS_PERF=0
HAS_LIBVIRT=0
"$VIRTMETER" --dump-settings | grep -q '^--collector\.perf\.' && HAS_PERF=1
"$VIRTMETER" --dump-settings | grep -q '^--collector\.libvirt\.' && HAS_LIBVIRT=1
# The capability perf keeps: CAP_PERFMON, or CAP_SYS_ADMIN on a kernel
# that does not know it (before 5.8).
PERF_CAP=sys_admin
setpriv --list-caps | grep -qx perfmon && [ "$(cat /proc/sys/kernel/cap_last_cap)" -ge 38 ] &&
	PERF_CAP=perfmon

# cap_names HEX: the names of the capabilities of the set HEX (as
# /proc/PID/status shows it), in their numbers' order, as setpriv names
# them.
cap_names() {
	local i=0 name out=""
	while read -r name; do
		(( (16#$1 >> i) & 1 )) && out="$out $name"
		i=$((i + 1))
	done < <(setpriv --list-caps)
	echo "${out# }"
}
# field PID NAME: the value of NAME in /proc/PID/status, blanks squeezed.
field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' '  '
}
# caps_of PID: "eff=... prm=... bnd=... inh=... amb=..." by name.
caps_of() {
	echo "eff=$(cap_names "$(field "$1" CapEff)") prm=$(cap_names "$(field "$1" CapPrm)")" \
		"bnd=$(cap_names "$(field "$1" CapBnd)") inh=$(cap_names "$(field "$1" CapInh)")" \
		"amb=$(cap_names "$(field "$1" CapAmb)")"
}
# caps_are NAMES: what caps_of prints for a process holding NAMES alone.
caps_are() {
	echo "eff=$1 prm=$1 bnd=$1 inh= amb="
}
# threads_agree PID: every thread of PID has the main thread's uids, gids,
# capabilities and no-new-privileges.
threads_agree() {
	local t want got
	want=$(grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs)' "/proc/$1/status")
	for t in /proc/"$1"/task/*; do
		got=$(grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs)' "$t/status") || return 1
		[ "$got" = "$want" ] || { echo "thread ${t##*/}: $got"; return 1; }
	done
}

# Everything the user reads is under $TEST_TMP, which it may enter; the
# storage directory does not exist yet.
chmod 755 "$TEST_TMP"
mkdir -p "$TEST_TMP/bin"
cp "$VIRTMETER" "$TEST_TMP/bin/virtmeter"
VIRTMETER=$TEST_TMP/bin/virtmeter
SYS=$TEST_TMP/sys
STATE=$TEST_TMP/state
mkdir -p "$TEST_TMP/textfile"
cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS"
chmod -R u+w,go+rX "$SYS"
# RAPL as current kernels have it: energy_uj readable by root only.
find -L "$SYS/class/powercap" -name energy_uj -exec chown 0:0 {} + -exec chmod 0400 {} +
printf '# TYPE runas_test_value gauge\nrunas_test_value 7\n' >"$TEST_TMP/textfile/t.prom"
chmod 644 "$TEST_TMP/textfile/t.prom"
{
	echo "collectors:"
	echo "  cgroup: {interval: 1s}"
	[ "$HAS_PERF" = 1 ] && echo "  perf: {interval: 1s}"
	echo "  textfile: {directory: $TEST_TMP/textfile}"
	[ "$HAS_LIBVIRT" = 1 ] && echo "  libvirt: {uri: \"test:///default\"}"
	echo "meters:"
	echo "  - {name: rapl, type: rapl}"
} >"$TEST_TMP/config.yml"
chmod 644 "$TEST_TMP/config.yml"
ARGS=(--config.file="$TEST_TMP/config.yml" --path.sysfs="$SYS" --storage.path="$STATE")

ALL_UP="host=1 process=1 cgroup=1 power=1"
[ "$HAS_LIBVIRT" = 1 ] && ALL_UP="$ALL_UP libvirt=1"
[ "$HAS_PERF" = 1 ] && ALL_UP="$ALL_UP perf=1"
ALL_UP="$ALL_UP model=1 textfile=1"
# In the numbers' order, as cap_names lists them.
WANT=dac_read_search
[ "$HAS_PERF" = 1 ] && WANT="dac_read_search $PERF_CAP"

M=$TEST_TMP/m.b
# ups: "NAME=UP" for each collector of the last scrape, in its order.
ups() {
	sed -n 's/^virtmeter_collector_up{collector="\([a-z]*\)"} \([01]\)$/\1=\2/p' "$M" | paste -sd ' '
}
all_up() {
	scrape m text >/dev/null
	[ "$(ups)" = "$ALL_UP" ] &&
		[ "$(series_value "$M" 'virtmeter_meter_up{meter="rapl",source="rapl"}')" = 1 ]
}
# counted: the last scrape has more than half a second of the container's
# CPU time as the cgroup collector reads it, and (with perf) as perf
# counts it on the container's cgroup.
counted() {
	local cpu clock=1
	scrape m text >/dev/null
	cpu=$(samples "$M" virtmeter_container_cpu_seconds_total "container=\"$CGNAME\"" |
		awk '{ s += $NF } END { print s + 0 }')
	[ "$HAS_PERF" = 1 ] &&
		clock=$(value "$M" virtmeter_container_perf_event_seconds_total "container=\"$CGNAME\"" 'event="task-clock"')
	awk -v c="$cpu" -v t="${clock:-0}" 'BEGIN { exit !(c > 0.5 && t > 0.5) }'
}

# ---- refused before anything starts ---------------------------------------------
out=$("$VIRTMETER" --runas=nosuchuser$$ "${ARGS[@]}" 2>&1)
tap_is "$?" 2 "an unknown user is a command-line error (exit 2)"
tap_like "$out" "--runas=nosuchuser$$: no such user" "that names the user"
out=$(setpriv --reuid="$RUID" --regid="$RGID" --clear-groups "$VIRTMETER" --runas="$RUSER" \
	--web.listen-address=127.0.0.1:0 "${ARGS[@]}" 2>&1)
tap_is "$?" 1 "--runas as another user than root fails"
tap_like "$out" "--runas=$RUSER: virtmeter runs as uid $RUID, not root" "saying that root is needed"
mkdir "$TEST_TMP/rootonly"
out=$("$VIRTMETER" --runas="$RUSER" --web.listen-address=127.0.0.1:0 --collector.disable-defaults \
	--collector.host --storage.path="$TEST_TMP/rootonly" 2>&1)
tap_is "$?" 1 "a storage directory the user cannot write is refused"
tap_like "$out" "--storage.path=$TEST_TMP/rootonly: user $RUSER cannot write there: Permission denied" \
	"naming the directory and the user"

# ---- as the user, every collector up ------------------------------------------------
cg_make "$CG" || tap_abort "mkdir the cgroup $CG"
run_in_cg "$CG" sleep 120
run_in_cg "$CG" timeout 4 sh -c 'while :; do :; done'
PORT=""
for p in $(seq 990 -1 900); do
	port_is_free "$p" && { PORT=$p; break; }
done
if [ -n "$PORT" ]; then
	start_virtmeter_on "$PORT" --web.listen-address=127.0.0.1:"$PORT" --runas="$RUSER" "${ARGS[@]}" ||
		tap_abort "virtmeter --runas=$RUSER starts on port $PORT"
	tap_ok "a port below 1024 ($PORT) is bound before root is given up"
else
	start_virtmeter --runas="$RUSER" "${ARGS[@]}" || tap_abort "virtmeter --runas=$RUSER starts"
	tap_skip "a port below 1024 is bound before root is given up" "ports 900-990 are all taken"
fi
tap_is "$(field "$VM_PID" Uid)" "$RUID $RUID $RUID $RUID" "it runs as the user's uid (real, effective, saved, file system)"
tap_is "$(field "$VM_PID" Gid)" "$RGID $RGID $RGID $RGID" "with the user's group"
tap_is "$(field "$VM_PID" Groups | tr ' ' '\n' | grep . | sort -n | paste -sd ' ')" \
	"$(printf '%s\n' "$RGID" "$XGID" | sort -n | paste -sd ' ')" "and its supplementary groups, no other"
tap_is "$(field "$VM_PID" NoNewPrivs)" 1 "with no new privileges"
tap_is "$(caps_of "$VM_PID")" "$(caps_are "$WANT")" \
	"permitted, effective and bounding capabilities: $WANT; none inheritable or ambient"
tap_check "every thread has the same user, groups and capabilities" threads_agree "$VM_PID"
kept="CAP_DAC_READ_SEARCH \\(cgroup, power$([ "$HAS_LIBVIRT" = 1 ] && echo ', libvirt')\\)"
[ "$HAS_PERF" = 1 ] && kept="$kept, CAP_${PERF_CAP^^} \\(perf\\)"
tap_like "$(grep 'running as user' "$VM_LOG")" \
	"running as user $RUSER \\(uid $RUID, gid $RGID\\), capabilities kept: $kept\"\$" \
	"one log line names the user and each capability kept with its collectors"
tap_is "$(stat -c '%U:%G %a' "$STATE")" "$RUSER:$RUSER 750" "the missing storage directory was made for the user"
wait_for 15 all_up
tap_is "$(ups)" "$ALL_UP" "every collector is up"
tap_is "$(series_value "$M" 'virtmeter_meter_up{meter="rapl",source="rapl"}')" 1 \
	"the rapl meter reads energy_uj of mode 0400 owned by root (CAP_DAC_READ_SEARCH)"
wait_for 15 counted
tap_check "the hand-made container's CPU time is served$([ "$HAS_PERF" = 1 ] && echo ', and counted by perf on its cgroup')" counted
tap_like "$(series_value "$M" process_open_fds)" '^[1-9][0-9]*$' "the process collector reads its own /proc/self"
tap_is "$(series_value "$M" runas_test_value)" 7 "the text file is served"
if [ "$HAS_LIBVIRT" = 1 ]; then
	tap_is "$(series_value "$M" virtmeter_libvirt_up)" 1 "libvirt's test driver answers"
fi
kill -HUP "$VM_PID"
reloaded() { grep -q "configuration reloaded from $TEST_TMP/config.yml" "$VM_LOG"; }
tap_check "SIGHUP reloads the configuration as the user" wait_for 5 reloaded
tap_check "every collector is up after the reload" wait_for 10 all_up
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends it with 0"

# ---- fewer collectors, fewer capabilities ------------------------------------------
if [ "$HAS_PERF" = 1 ]; then
	sed 's/^  perf: {interval: 1s}$/  perf: {interval: 1s, enabled: false}/' "$TEST_TMP/config.yml" >"$TEST_TMP/noperf.yml"
	chmod 644 "$TEST_TMP/noperf.yml"
	start_virtmeter --runas="$RUSER" --config.file="$TEST_TMP/noperf.yml" --path.sysfs="$SYS" \
		--storage.path="$STATE" || tap_abort "virtmeter --runas without perf starts"
	tap_is "$(caps_of "$VM_PID")" "$(caps_are dac_read_search)" \
		"without perf, $PERF_CAP is neither kept nor in the bounding set"
	tap_like "$(grep 'running as user' "$VM_LOG")" 'capabilities kept: CAP_DAC_READ_SEARCH \(cgroup, power[^)]*\)"$' \
		"and the log line keeps CAP_DAC_READ_SEARCH alone"
	ALL_UP=${ALL_UP/ perf=1/}
	tap_check "the other collectors are up" wait_for 15 all_up
	# A reload that turns perf on cannot grant what was given up.
	cp "$TEST_TMP/config.yml" "$TEST_TMP/noperf.yml"
	kill -HUP "$VM_PID"
	warned() { grep -q 'the perf collector uses CAP_[A-Z_]* (system-wide and per-cgroup counters), which virtmeter gave up at start' "$VM_LOG"; }
	tap_check "a reload that turns perf on warns that its capability was given up" wait_for 5 warned
	tap_is "$(caps_of "$VM_PID")" "$(caps_are dac_read_search)" "and the capabilities stay as they were"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends it with 0"
else
	tap_skip "without perf, CAP_PERFMON is not kept" "this build has no perf collector (libpfm4)"
fi
start_virtmeter --runas="$RUSER" --collector.disable-defaults --collector.host --storage.path="$STATE" ||
	tap_abort "virtmeter --runas with the host collector alone starts"
tap_is "$(caps_of "$VM_PID")" "$(caps_are "")" "with the host collector alone, no capability at all"
tap_like "$(grep 'running as user' "$VM_LOG")" 'capabilities kept: none"$' "and the log says none"
scrape m text >/dev/null
tap_is "$(series_value "$M" 'virtmeter_collector_up{collector="host"}')" 1 "the host collector is up"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends it with 0"
tap_done
