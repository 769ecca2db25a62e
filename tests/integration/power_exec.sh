#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The exec meter against real commands: good output (every quantity, two
# zones, volts and amperes in the zone that printed them, kind wall unless
# the meter's kind: says otherwise), garbage, output cut short, a command that hangs past its timeout
# (killed, with its process group), one that exits non-zero with a message
# on stderr, one that does not exist, and a counter that resets. Every bad
# meter logs one clear line and has virtmeter_meter_up 0, the good one keeps
# being read, scrapes stay fast and the energy counters never go back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
M=$TEST_TMP/exec-meter.sh
cp "$top_srcdir/tests/fixtures/power/exec-meter.sh" "$M" && chmod +x "$M"
# The hung command sleeps for a time of this run's own, so that counting
# the commands left behind sees no other test's.
HANG=3599.$$
sed -i "s/sleep 3599.25/sleep $HANG/" "$M"
CNT=$TEST_TMP/counter.txt
printf 'joules 1000 psu1\n' >"$CNT"
WF=$TEST_TMP/watts.txt
printf 'watts 100\n' >"$WF"
CONF=$TEST_TMP/meters.yml
cat >"$CONF" <<EOC
meters:
  - {name: good, type: exec, interval: 500ms, command: [$M, good]}
  - {name: garbage, type: exec, command: [$M, garbage]}
  - {name: partial, type: exec, command: [$M, partial]}
  - {name: hang, type: exec, interval: 500ms, timeout: 1s, command: [$M, hang]}
  - {name: fail, type: exec, command: [$M, fail]}
  - {name: missing, type: exec, command: [$TEST_TMP/no-such-program]}
  - {name: flood, type: exec, command: [$M, flood]}
  - {name: counter, type: exec, interval: 300ms, kind: psu, command: [$M, file, $CNT]}
  - {name: gap, type: exec, interval: 300ms, max_gap: 1s, command: [$M, file, $WF]}
EOC

start_virtmeter --config.file="$CONF" --no-collector.process ||
	tap_abort "virtmeter starts with nine exec meters"
wait_read_after good "$(now_s)" || tap_abort "the good exec meter reads" "$(cat "$VM_LOG")"
sleep 1.5
wait_read_after good "$(now_s)"
B=$TEST_TMP/m.b
lint_scrape "$B" text "the scrape with exec meters is clean"
tap_is "$(meter_series "$B" virtmeter_meter_up good)" 1 "a command printing good lines is up"
tap_is "$(meter_series "$B" virtmeter_power_watts good "")" 123.4 "its watts without a zone"
tap_is "$(meter_series "$B" virtmeter_power_watts good outlet3)" 20 "its watts of zone outlet3"
tap_is "$(samples "$B" virtmeter_meter_voltage_volts 'meter="good"')" \
	'virtmeter_meter_voltage_volts{meter="good",source="exec",zone=""} 230.1' \
	"its volts, in the zone that printed them, with source and zone labels"
tap_is "$(samples "$B" virtmeter_meter_current_amperes 'meter="good"')" \
	'virtmeter_meter_current_amperes{meter="good",source="exec",zone=""} 0.54' \
	"its amperes, likewise"
tap_is "$(zone_labels "$B" good outlet3)" "wall -" "an exec meter's zones are kind=\"wall\" inside nothing"
tap_is "$(zone_labels "$B" good "")" "wall -" "its zone without a name too"
tap_is "$(zone_labels "$B" counter psu1)" "psu -" "a meter's kind: sets the kind label"
tap_is "$(samples "$B" virtmeter_meter_last_sample_timestamp_seconds 'meter="good"' 'source="exec"' | wc -l)" 1 \
	"its last sample time carries source=\"exec\""
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
tap_is "$(meter_series "$B" virtmeter_energy_joules_total good outlet3)" 0 \
	"a constant energy counter adds nothing"
e=$(meter_series "$B" virtmeter_energy_joules_total good "")
tap_check "watts are integrated over the real sample times (got $e J)" \
	awk -v e="$e" 'BEGIN { exit !(e > 60) }'

for m in garbage partial hang fail missing flood; do
	tap_is "$(meter_series "$B" virtmeter_meter_up "$m")" 0 "meter $m is down"
	tap_is "$(samples "$B" virtmeter_power_watts "meter=\"$m\"" | wc -l)" 0 "meter $m has no power sample"
done
tap_check "garbage is logged with its line number" \
	log_has "meter garbage \(exec\) failed: output of .*exec-meter.sh, line 2: unknown quantity"
tap_check "output cut short is logged" log_has "meter partial \(exec\) failed: .*line 2: output ends in the middle of a line"
tap_check "a hung command is killed at its timeout" \
	log_has "meter hang \(exec\) failed: .*exec-meter.sh ran for more than 1000ms and was killed"
tap_check "a non-zero exit is logged with the command's stderr" \
	log_has "meter fail \(exec\) failed: .*exec-meter.sh exited with status 3; stderr: sensor offline"
tap_check "a missing program is logged" log_has "meter missing \(exec\) failed: .*no-such-program exited with status 127 \(cannot execute it"
tap_check "output past 64 KiB is refused" log_has "meter flood \(exec\) failed: .*exec-meter.sh printed more than 65536 bytes"
tap_is "$(grep -c 'meter garbage (exec) failed' "$VM_LOG")" 1 "a failing meter logs once, not every read"

# The hung command's process group is killed, not left behind.
sleep 1.2
left=$(pgrep -f "sleep $HANG" | wc -l)
tap_check "at most the current hung read's sleep is alive ($left)" test "$left" -le 1

# A scrape never waits for the hung meter.
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$VM_URL/metrics")
tap_check "a scrape during a hung read is fast (${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 0.5) }'
tap_is "$(meter_series "$B" virtmeter_meter_up good)" 1 "the good meter is still read meanwhile"

# The counter meter: increase, reset to a lower value, increase again.
wait_read_after counter "$(now_s)"
c0=$(meter_series "$B" virtmeter_energy_joules_total counter psu1)
printf 'joules 1100 psu1\n' >"$CNT"
wait_read_after counter "$(now_s)"
c1=$(meter_series "$B" virtmeter_energy_joules_total counter psu1)
tap_check "a counter's increase is added ($c0 -> $c1)" near "$(awk -v a="$c1" -v b="$c0" 'BEGIN { print a - b }')" 100 0.001
printf 'joules 50 psu1\n' >"$CNT"
wait_read_after counter "$(now_s)"
c2=$(meter_series "$B" virtmeter_energy_joules_total counter psu1)
tap_is "$c2" "$c1" "a counter that resets leaves the total as it was"
printf 'joules 80 psu1\n' >"$CNT"
wait_read_after counter "$(now_s)"
c3=$(meter_series "$B" virtmeter_energy_joules_total counter psu1)
tap_check "counting resumes from the new value ($c2 -> $c3)" near "$(awk -v a="$c3" -v b="$c2" 'BEGIN { print a - b }')" 30 0.001
printf 'joules 90 psu1\nwatts x\n' >"$CNT"
wait_read_after good "$(now_s)"
sleep 0.7
scrape m text >/dev/null
tap_is "$(meter_series "$B" virtmeter_meter_up counter)" 0 "a bad line takes the whole read down"
c4=$(meter_series "$B" virtmeter_energy_joules_total counter psu1)
tap_is "$c4" "$c3" "a rejected read adds nothing, not even its good lines"

# A gap longer than max_gap is not bridged: 5 s of failed reads at 100 W
# would add 500 J if it were. What is added is the reads published after
# g1 (it may be up to a collector cycle old) and after the gap: under 300 J.
wait_read_after gap "$(now_s)"
g1=$(meter_series "$B" virtmeter_energy_joules_total gap "")
printf 'watts x\n' >"$WF"
sleep 5
printf 'watts 100\n' >"$WF"
wait_read_after gap "$(now_s)"
g2=$(meter_series "$B" virtmeter_energy_joules_total gap "")
d=$(awk -v a="$g1" -v b="$g2" 'BEGIN { printf "%.1f", b - a }')
tap_check "a gap longer than max_gap adds no made-up energy ($d J)" \
	awk -v d="$d" 'BEGIN { exit !(d >= 0 && d < 300) }'
wait_read_after gap "$(now_s)"
g3=$(meter_series "$B" virtmeter_energy_joules_total gap "")
tap_check "counting goes on after the gap ($g2 -> $g3)" awk -v a="$g2" -v b="$g3" 'BEGIN { exit !(b > a) }'

fetch h "$VM_URL/healthz" >/dev/null
tap_is "$(fetch h "$VM_URL/healthz")" 200 "virtmeter keeps serving"
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly while a command hangs"
sleep 0.2
tap_is "$(pgrep -f "sleep $HANG" | wc -l)" 0 "no command it started outlives it"

# Killed outright, virtmeter takes its running commands with it.
start_virtmeter --config.file="$CONF" --no-collector.process ||
	tap_abort "virtmeter starts again"
wait_for 5 pgrep -f "sleep $HANG" >/dev/null
kill -KILL "$VM_PID"
wait "$VM_PID" 2>/dev/null
lib_untrack_pid "$VM_PID"
wait_for 3 bash -c "! pgrep -f 'sleep $HANG' >/dev/null"
tap_is "$(pgrep -f "sleep $HANG" | wc -l)" 0 "a command running when virtmeter is killed is killed too"
tap_done
