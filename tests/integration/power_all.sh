#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# One meter of every kind in one configuration file, as an operator would
# write it: rapl and hwmon on the sysfs fixture, a Redfish BMC over HTTPS,
# a smart plug over HTTP, an emulated PowerSpy on a pseudo-terminal, an exec
# command and the example plugin. The file passes --check-config, and a
# run's /metrics shows every meter up with its watts and a joules counter
# that grows, every meter family with the same identifying labels and each
# zone with its kind; the scrape lints clean with promtool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"
. "$(dirname "$0")/net_lib.sh"

net_require
PL=$top_builddir/tests/plugin
[ -f "$PL/example_meter.so" ] || tap_abort "the example plugin is built (make check builds it)"

# The hardware this machine lacks, as fixtures.
SYS=$TEST_TMP/sys
cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" && chmod -R u+w "$SYS" ||
	tap_abort "copy the sysfs fixture"
# RAPL zones only count energy: their counters move, written in place (the
# meter keeps the files open) the way the kernel's do.
bump_rapl() {
	local f v
	while :; do
		for f in "$SYS"/devices/virtual/powercap/intel-rapl/*/energy_uj \
			"$SYS"/devices/virtual/powercap/intel-rapl/*/*/energy_uj; do
			[ -f "$f" ] || continue
			read -r v <"$f"
			printf '%d\n' $((v + 1000000)) 1<>"$f"
		done
		sleep 0.3
	done
}
bump_rapl &
lib_track_pid $!
make_certs || tap_abort "a test CA and certificates are made" "$(cat "$TEST_TMP/tls/openssl.log")"
start_netmeter dell@tls shelly2 || tap_abort "the fixture BMC and plug start"
PW=$TEST_TMP/bmc.pass
password_file "$PW"
python3 "$top_srcdir/tests/fixtures/power/powerspy.py" "$TEST_TMP/spy" "$TEST_TMP/spy.cmds" \
	>"$TEST_TMP/spy.log" 2>&1 &
lib_track_pid $!
spy_up() { [ -e "$TEST_TMP/spy" ]; }
wait_for 15 spy_up || tap_abort "the emulated PowerSpy starts" "$(cat "$TEST_TMP/spy.log")"
M=$TEST_TMP/exec-meter.sh
cp "$top_srcdir/tests/fixtures/power/exec-meter.sh" "$M" && chmod +x "$M" || tap_abort "copy the exec meter"

CONF=$TEST_TMP/virtmeter.yml
cat >"$CONF" <<EOC
meters:
  - name: rapl
    type: rapl
  - name: hwmon
    type: hwmon
  - name: bmc
    type: redfish
    url: https://127.0.0.1:$(port_of dell)
    username: $NET_USER
    password_file: $PW
    ca_file: $TEST_TMP/tls/ca.crt
  - name: plug
    type: http
    preset: shelly_gen2
    url: http://127.0.0.1:$(port_of shelly2)
  - name: spy
    type: powerspy
    device: $TEST_TMP/spy
  - name: pdu
    type: exec
    command: [$M, good]
  - name: lab
    type: plugin
    path: $PL/example_meter.so
    argument: watts=42.5
EOC

out=$("$VIRTMETER" --config.file="$CONF" --check-config 2>&1)
tap_is "$?:$out" "0:$CONF: configuration OK" "--check-config accepts one meter of every kind"

start_virtmeter --config.file="$CONF" --path.sysfs="$SYS" --no-collector.process ||
	tap_abort "virtmeter starts with one meter of every kind"
KINDS="rapl:rapl hwmon:hwmon bmc:redfish plug:http spy:powerspy pdu:exec lab:plugin"
all_read() {
	local k
	scrape all text >/dev/null || return 1
	for k in $KINDS; do
		[ "$(value "$TEST_TMP/all.b" virtmeter_meter_up "meter=\"${k%%:*}\"")" = 1 ] || return 1
	done
}
wait_for 20 all_read || tap_diag_file "$VM_LOG"
cp "$TEST_TMP/all.b" "$TEST_TMP/first.b"
sleep 3
scrape later text >/dev/null
for k in $KINDS; do
	m=${k%%:*} src=${k##*:}
	tap_is "$(value "$TEST_TMP/later.b" virtmeter_meter_up "meter=\"$m\"" "source=\"$src\"")" 1 \
		"meter $m ($src) is up"
	w=$(samples "$TEST_TMP/later.b" virtmeter_power_watts "meter=\"$m\"" | head -n 1 | awk '{ print $NF }')
	tap_check "meter $m has watts ($w)" awk -v w="$w" 'BEGIN { exit !(w != "" && w + 0 > 0) }'
	j0=$(samples "$TEST_TMP/first.b" virtmeter_energy_joules_total "meter=\"$m\"" | awk '{ s += $NF } END { print s + 0 }')
	j1=$(samples "$TEST_TMP/later.b" virtmeter_energy_joules_total "meter=\"$m\"" | awk '{ s += $NF } END { print s + 0 }')
	tap_check "meter $m has a joules counter that grows ($j0 -> $j1)" \
		awk -v a="$j0" -v b="$j1" 'BEGIN { exit !(b > a) }'
done
lint_scrape "$TEST_TMP/later.b" text "the scrape with every kind of meter is clean"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$TEST_TMP/later.b"
# The kinds each meter's zones have: RAPL's and hwmon's from sysfs, the
# wall for every meter outside the machine.
for k in "rapl core dram package psys uncore" "hwmon core sensor socket" "bmc wall" \
	"plug wall" "spy wall" "pdu wall" "lab wall"; do
	m=${k%% *}
	got=$(samples "$TEST_TMP/later.b" virtmeter_energy_joules_total "meter=\"$m\"" |
		sed 's/.*kind="\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ')
	tap_is "${got% }" "${k#* }" "meter $m's zones are of kind ${k#* }"
done
tap_is "$(grep -c 'failed' "$VM_LOG")" 0 "no meter logged a failure"
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
tap_done
