#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The meters: section of the configuration file and discovery: a valid
# list passes --check-config, mistakes are reported as file:line:col; on
# this machine's own sysfs (no RAPL, no hwmon power sensor) nothing breaks,
# one line says so and no meter series exists; a list has no fixed length;
# an empty list turns discovery off; a reload (SIGHUP) starts the meters of
# the new file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
M=$top_srcdir/tests/fixtures/power/exec-meter.sh
SYS=$top_srcdir/tests/fixtures/power/sysfs

GOOD=$TEST_TMP/good.yml
cat >"$GOOD" <<EOC
meters:
  - name: rapl
    type: rapl
    interval: 2s
  - name: pdu
    type: exec
    command: [$M, good]
    timeout: 500ms
    max_gap: 10s
  - name: lab
    type: plugin
    path: /usr/lib/virtmeter/example_meter.so
    argument: watts=40
EOC
out=$("$VIRTMETER" --check-config --config.file="$GOOD" 2>&1)
tap_is "$?" 0 "--check-config accepts a meters list of every type"
tap_like "$out" "configuration OK" "and says so"

check_bad() { # NAME YAML EXPECTED-ERE
	printf '%s' "$2" >"$TEST_TMP/$1.yml"
	out=$("$VIRTMETER" --check-config --config.file="$TEST_TMP/$1.yml" 2>&1)
	rc=$?
	tap_is "$rc" 1 "--check-config refuses $1"
	tap_like "$out" "$TEST_TMP/$1.yml:$3" "$1 is reported at its line and column"
}
check_bad no-type $'meters:\n  - name: x\n' '2:5: meters\[0\]: a meter needs a type'
check_bad exec-no-command $'meters:\n  - name: x\n    type: exec\n' '2:5: .*needs a command'
check_bad relative-command $'meters:\n  - name: x\n    type: exec\n    command: [pdu-read]\n' \
	'4:15: meters\[0\].command: the program must be an absolute path'
check_bad wrong-key $'meters:\n  - name: x\n    type: rapl\n    path: /x.so\n' \
	'4:11: meters\[0\].path: not a setting of a meter of type rapl'
check_bad twice $'meters:\n  - {name: a, type: rapl}\n  - {name: a, type: hwmon}\n' \
	"3:12: meters\[1\].name: meter 'a' is defined twice"

# The list has no fixed length: 40 meters all start, each with its series.
MANY=$TEST_TMP/many.yml
{
	echo "meters:"
	for i in $(seq 1 40); do
		echo "  - {name: m$i, type: exec, interval: 5s, command: [$M, good]}"
	done
} >"$MANY"
t0=$(now_s)
start_virtmeter --config.file="$MANY" --path.sysfs="$SYS" --no-collector.process ||
	tap_abort "virtmeter starts with 40 meters"
wait_read_after m40 "$t0" || tap_fail "the 40th meter reads" "$(cat "$VM_LOG")"
tap_is "$(grep -c '^virtmeter_meter_up' "$TEST_TMP/m.b")" 40 "a list of 40 meters runs 40 meters"
tap_is "$(meter_series "$TEST_TMP/m.b" virtmeter_meter_up m40)" 1 "the 40th meter is up"
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter with 40 meters stops cleanly"

# This machine has no RAPL and no hwmon power sensor: nothing found, one
# line, no series, the daemon serves.
start_virtmeter --no-collector.process || tap_abort "virtmeter starts on this machine's sysfs"
sleep 1.5
scrape m text >/dev/null
tap_is "$(value "$TEST_TMP/m.b" virtmeter_collector_up 'collector="power"')" 1 \
	"the power collector is up with no meter"
if [ -d /sys/class/powercap/intel-rapl:0 ]; then
	tap_skip "no meter series where there is no meter" "this machine has RAPL"
	tap_skip "one line says that no meter was found" "this machine has RAPL"
else
	tap_is "$(grep -c '^virtmeter_meter_up' "$TEST_TMP/m.b")" 0 "no meter series where there is no meter"
	tap_check "one line says that no meter was found" \
		log_has "power: no meter configured and none found \(no RAPL zone under /sys/class/powercap"
fi
stop_virtmeter

# An empty list turns discovery off, even where meters exist; a reload
# starts the meters of the new file.
CONF=$TEST_TMP/live.yml
printf 'meters: []\n' >"$CONF"
start_virtmeter --config.file="$CONF" --path.sysfs="$SYS" --no-collector.process ||
	tap_abort "virtmeter starts with an empty meters list"
sleep 1.5
scrape m text >/dev/null
tap_is "$(grep -c '^virtmeter_meter_up' "$TEST_TMP/m.b")" 0 "an empty meters list turns discovery off"
printf 'meters:\n  - {name: pdu, type: exec, interval: 500ms, command: [%s, good]}\n' "$M" >"$CONF"
kill -HUP "$VM_PID"
wait_read_after pdu "$(now_s)" || tap_fail "the reloaded exec meter reads" "$(cat "$VM_LOG")"
tap_is "$(meter_series "$TEST_TMP/m.b" virtmeter_meter_up pdu)" 1 "a reload starts the meters of the new file"
tap_is "$(grep -c '^virtmeter_meter_up' "$TEST_TMP/m.b")" 1 "and only those"
sleep 1
wait_read_after pdu "$(now_s)"
e1=$(meter_series "$TEST_TMP/m.b" virtmeter_energy_joules_total pdu "")
printf 'meters:\n  - {name: pdu, type: exec, interval: 400ms, command: [%s, good]}\n' "$M" >"$CONF"
kill -HUP "$VM_PID"
reloads() { [ "$(grep -c 'configuration reloaded' "$VM_LOG")" -ge "$1" ]; }
wait_for 5 reloads 2 || tap_fail "the second reload happens" "$(cat "$VM_LOG")"
wait_read_after pdu "$(now_s)"
e2=$(meter_series "$TEST_TMP/m.b" virtmeter_energy_joules_total pdu "")
tap_check "a reload keeps the energy counters of a meter it keeps ($e1 -> $e2)" \
	awk -v a="$e1" -v b="$e2" 'BEGIN { exit !(a > 0 && b >= a) }'
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
tap_done
