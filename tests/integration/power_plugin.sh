#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# Meter plugins loaded with dlopen: the example plugin of
# examples/meter-plugin (watts, volts, amperes and its own energy counter),
# and every bad case: a plugin built for another ABI version, a shared
# object without the descriptor symbol, a missing file, an open that fails,
# reads that fail, a reading with a bad zone name, and a read that hangs
# (the meter goes down at its timeout while the others go on, scrapes stay
# fast and virtmeter still stops).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
PL=$top_builddir/tests/plugin
for so in example_meter test_meter bad_abi_meter no_symbol_meter; do
	[ -f "$PL/$so.so" ] || tap_abort "plugin $so.so is built (make check builds it)"
done
CONF=$TEST_TMP/meters.yml
cat >"$CONF" <<EOC
meters:
  - name: example
    type: plugin
    path: $PL/example_meter.so
    argument: watts=42.5
    interval: 500ms
  - {name: future, type: plugin, path: $PL/bad_abi_meter.so}
  - {name: nosym, type: plugin, path: $PL/no_symbol_meter.so}
  - {name: nofile, type: plugin, path: $TEST_TMP/none.so}
  - {name: badopen, type: plugin, path: $PL/test_meter.so, argument: nonsense}
  - {name: badread, type: plugin, path: $PL/test_meter.so, argument: fail-read}
  - {name: badzone, type: plugin, path: $PL/test_meter.so, argument: bad-zone}
  - {name: hang, type: plugin, path: $PL/test_meter.so, argument: hang, interval: 300ms, timeout: 1s}
EOC

start_virtmeter --config.file="$CONF" --no-collector.process ||
	tap_abort "virtmeter starts with eight plugin meters"
wait_read_after example "$(now_s)" || tap_abort "the example plugin reads" "$(cat "$VM_LOG")"
B=$TEST_TMP/m.b
tap_is "$(meter_series "$B" virtmeter_meter_up example)" 1 "the example plugin is up"
tap_is "$(samples "$B" virtmeter_meter_up 'meter="example"' 'source="plugin"' | wc -l)" 1 "with source=\"plugin\""
tap_is "$(meter_series "$B" virtmeter_power_watts example outlet1)" 42.5 "its argument sets its watts"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts example outlet1)" 230 "its volts, in its zone"
tap_check "its amperes, in its zone" near "$(meter_series "$B" virtmeter_meter_current_amperes example outlet1)" 0.18478 0.0001
tap_is "$(zone_labels "$B" example outlet1)" "wall -" "a plugin's zone is kind=\"wall\" inside nothing"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
e1=$(meter_series "$B" virtmeter_energy_joules_total example outlet1)
t1=$(value "$B" virtmeter_meter_last_sample_timestamp_seconds 'meter="example"' 'source="plugin"')

sleep 2
wait_read_after example "$(now_s)"
lint_scrape "$B" text "the scrape with plugin meters is clean"
e2=$(meter_series "$B" virtmeter_energy_joules_total example outlet1)
t2=$(value "$B" virtmeter_meter_last_sample_timestamp_seconds 'meter="example"' 'source="plugin"')
rate=$(awk -v a="$e1" -v b="$e2" -v s="$t1" -v t="$t2" 'BEGIN { printf "%.2f", (b - a) / (t - s) }')
tap_check "its energy counter grows at its power ($rate W)" near "$rate" 42.5 3

for m in future nosym nofile badopen badread badzone hang; do
	tap_is "$(meter_series "$B" virtmeter_meter_up "$m")" 0 "plugin meter $m is down"
done
tap_check "an ABI mismatch is refused with a clear message" \
	log_has "meter future \(plugin\) failed: .*bad_abi_meter.so has meter ABI version 99; this virtmeter loads version 1: rebuild the plugin"
tap_check "a shared object without the descriptor is refused" \
	log_has "meter nosym \(plugin\) failed: .*no_symbol_meter.so does not export the symbol virtmeter_meter"
tap_check "a missing file is logged" log_has "meter nofile \(plugin\) failed: cannot load .*none.so"
tap_check "a failing open is logged with the plugin's message" \
	log_has "meter badopen \(plugin\) failed: plugin test: open failed: test plugin refuses to open with 'nonsense'"
tap_check "a failing read is logged with the plugin's message" \
	log_has "meter badread \(plugin\) failed: plugin test: test plugin cannot reach its device"
tap_check "a bad zone name from a plugin is refused" log_has "meter badzone \(plugin\) failed: reading 0 has a bad zone name"
tap_check "a read hanging past its timeout is logged" \
	log_has "meter hang \(plugin\): its read has run for more than 1.0s"
tap_is "$(meter_series "$B" virtmeter_energy_joules_total hang main)" 0 \
	"the hung meter's counter stays served"
tap_is "$(value "$B" virtmeter_collector_up 'collector="power"')" 1 "the power collector itself is up"
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$VM_URL/metrics")
tap_check "a scrape during a hung plugin read is fast (${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 0.5) }'

stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops within its grace time while a plugin read hangs"
tap_check "the hung meter is left behind with a log line" log_has "meter hang \(plugin\) did not stop in time"
tap_done
