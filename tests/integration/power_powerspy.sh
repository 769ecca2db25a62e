#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The powerspy meter against a pseudo-terminal that speaks the PowerSpy
# protocol (tests/fixtures/power/powerspy.py): a device left in real-time
# mode by a previous reader, with noise, frames cut short and frames of
# four fields between the good ones; a PowerSpy v1 (two-digit <J>); a
# device that never answers; a device path that does not exist; a link
# that drops and comes back. Checks the dialogue (stop first, identify,
# calibration EEPROM, frequency, real-time with periods = frequency), the
# corrected values, one clear log line per failure, virtmeter_meter_up 0,
# reconnection, and an energy counter that never goes back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is not installed (setup.sh test installs it)"
EMU=$top_srcdir/tests/fixtures/power/powerspy.py

# start_spy NAME ARGS...: an emulated PowerSpy at $TEST_TMP/NAME, its
# commands logged to $TEST_TMP/NAME.cmds; waits (at most 15 s) for its
# device to appear. Sets SPY_PID.
start_spy() {
	local name=$1 i
	shift
	python3 "$EMU" "$TEST_TMP/$name" "$TEST_TMP/$name.cmds" "$@" >"$TEST_TMP/$name.log" 2>&1 &
	SPY_PID=$!
	lib_track_pid "$SPY_PID"
	for ((i = 0; i < 150; i++)); do
		[ -e "$TEST_TMP/$name" ] && return 0
		sleep 0.1
	done
	tap_diag_file "$TEST_TMP/$name.log"
	return 1
}
start_spy spy --realtime --noise || tap_abort "the emulated PowerSpy starts"
SPY=$SPY_PID
start_spy v1 --hw 02 || tap_abort "the emulated PowerSpy v1 starts"
start_spy silent --silent || tap_abort "the silent device starts"

CONF=$TEST_TMP/meters.yml
cat >"$CONF" <<EOC
meters:
  - {name: spy, type: powerspy, device: $TEST_TMP/spy}
  - {name: v1, type: powerspy, device: $TEST_TMP/v1}
  - {name: silent, type: powerspy, device: $TEST_TMP/silent, timeout: 2s}
  - {name: absent, type: powerspy, device: $TEST_TMP/no-such-rfcomm}
EOC
T_START=$(now_s)
start_virtmeter --config.file="$CONF" --no-collector.process --log.level=debug ||
	tap_abort "virtmeter starts with powerspy meters"
wait_read_after spy "$(now_s)" || tap_abort "the PowerSpy meter reads" "$(cat "$VM_LOG")"
sleep 1.2
wait_read_after spy "$(now_s)"
B=$TEST_TMP/m.b
lint_scrape "$B" text "the scrape with powerspy meters is clean"

tap_is "$(meter_series "$B" virtmeter_meter_up spy)" 1 "a PowerSpy left in real-time mode, with noise, is up"
tap_is "$(samples "$B" virtmeter_meter_up 'source="powerspy"' 'meter="spy"' | wc -l)" 1 "the source label is powerspy"
tap_is "$(meter_series "$B" virtmeter_power_watts spy "")" 100 "watts = raw power x voltage scale x current scale"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts spy "")" 230 "volts = sqrt(raw) x the current-calibration voltage scale"
tap_is "$(meter_series "$B" virtmeter_meter_current_amperes spy "")" 0.5 "amperes = sqrt(raw) x the current-calibration current scale"
tap_is "$(zone_labels "$B" spy "")" "wall -" "a PowerSpy reads the wall: kind=\"wall\" inside nothing"
cmds=$(head -n 20 "$TEST_TMP/spy.cmds" | tr '\n' ' ')
tap_is "$cmds" "Q ? V0E V0F V10 V11 V02 V03 V04 V05 V12 V13 V14 V15 V06 V07 V08 V09 F J0032 " \
	"the dialogue: stop real-time mode first, identify, EEPROM floats, frequency, <J> with 50 periods at 50 Hz"
sk1=$(value "$B" virtmeter_meter_skipped_frames_total 'meter="spy"' 'source="powerspy"')
tap_check "skipped frames are counted in virtmeter_meter_skipped_frames_total ($sk1)" \
	awk -v n="$sk1" 'BEGIN { exit !(n >= 1) }'
tap_is "$(meter_series "$B" virtmeter_meter_skipped_frames_total v1)" 0 "a clean link skips no frame"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
tap_check "skipped frames and noise are counted in the log" \
	log_has "meter spy: skipped so far [0-9]+ malformed frames, [0-9]+ broken frames and [0-9]+ noise bytes"

tap_is "$(meter_series "$B" virtmeter_meter_up v1)" 1 "a PowerSpy v1 is up"
tap_is "$(grep -c '^J32$' "$TEST_TMP/v1.cmds")" 1 "a PowerSpy v1 gets a two-digit <J32>"

for m in silent absent; do
	tap_is "$(meter_series "$B" virtmeter_meter_up "$m")" 0 "meter $m is down"
	tap_is "$(samples "$B" virtmeter_power_watts "meter=\"$m\"" | wc -l)" 0 "meter $m has no power sample"
done
tap_check "a device that never answers is logged" \
	log_has "meter silent \(powerspy\) failed: .*/silent: no answer to <\?> within 2000ms"
tap_check "a missing device is logged" \
	log_has "meter absent \(powerspy\) failed: cannot open .*/no-such-rfcomm: No such file or directory"
tap_is "$(grep -c 'meter absent (powerspy) failed' "$VM_LOG")" 1 "a missing device is logged once, not every retry"
# Opens are retried after 1 s, 2 s, 4 s...: at most log2(elapsed) + 2
# attempts, where a retry on every 1 s read would make about one a second.
n_absent=$(grep -c 'meter absent: open attempt [0-9]* failed' "$VM_LOG")
elapsed=$(awk -v a="$T_START" -v b="$(now_s)" 'BEGIN { printf "%d", b - a }')
tap_check "a missing device is retried with a growing back-off ($n_absent attempts in ${elapsed}s)" \
	awk -v n="$n_absent" -v t="$elapsed" 'BEGIN { exit !(n >= 2 && n <= log(t + 1) / log(2) + 2) }'

# The link drops and comes back 1.5 s later: down, logged, reconnected
# (stopping real-time mode again), and the counter never goes back.
e1=$(meter_series "$B" virtmeter_energy_joules_total spy "")
kill -USR1 "$SPY"
ok=0
for ((i = 0; i < 40; i++)); do
	if log_has "meter spy \(powerspy\) failed: .*/spy: the link dropped"; then ok=1; break; fi
	sleep 0.25
done
tap_is "$ok" 1 "a link that drops is logged"
ok=0
for ((i = 0; i < 60; i++)); do
	if log_has "meter spy \(powerspy\) recovered"; then ok=1; break; fi
	sleep 0.25
done
tap_is "$ok" 1 "the meter reconnects when the device is back"
wait_read_after spy "$(now_s)"
tap_is "$(meter_series "$B" virtmeter_meter_up spy)" 1 "and is up again"
e2=$(meter_series "$B" virtmeter_energy_joules_total spy "")
tap_check "the energy counter did not go back ($e1 -> $e2 J)" not_less "$e2" "$e1"
tap_is "$(grep -c '^Q$' "$TEST_TMP/spy.cmds")" 2 "the reconnection stops real-time mode first again"
sleep 2.2
wait_read_after spy "$(now_s)"
sk2=$(meter_series "$B" virtmeter_meter_skipped_frames_total spy)
tap_check "the skipped-frame counter keeps counting across the reconnection ($sk1 -> $sk2)" \
	awk -v a="$sk1" -v b="$sk2" 'BEGIN { exit !(b > a) }'


tap_is "$(fetch h "$VM_URL/healthz")" 200 "virtmeter keeps serving"
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
tap_is "$(tail -n 1 "$TEST_TMP/spy.cmds")" Q "virtmeter leaves the device out of real-time mode"
tap_done
