#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# A running virtmeter changes its mind only when it should. SIGHUP with a
# bad --config.file is rejected with one error log line naming the file and
# line, and the running configuration goes on; a FIFO, a directory or a
# device in the file's place is rejected at once, and SIGTERM still ends
# the daemon; with a good file the new configuration is applied
# (collectors vanish and come back).
# virtmeter_config_last_reload_successful and its success timestamp say
# so, as Prometheus's own do (the start-up load counts). A collector
# whose source breaks keeps its last good samples, reports
# virtmeter_collector_up 0 and logs the failure once, not every cycle, and
# recovers when the source does. SIGTERM ends it with status 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"

CONF=$TEST_TMP/virtmeter.yml

# write_conf CONTENT: replaces $CONF in one rename, as an editor would.
write_conf() {
	printf '%b' "$1" >"$CONF.new" && mv -f "$CONF.new" "$CONF"
}

BOTH='collectors:\n  host:\n    enabled: true\n    interval: 1s\n  process:\n    enabled: true\n    interval: 1s\n'
NO_PROCESS='collectors:\n  host:\n    enabled: true\n    interval: 1s\n  process:\n    enabled: false\n'
BAD_KEY='collectors:\n  host:\n    enabled: true\n    colour: blue\n'

# now NAME: scrapes the text format into $TEST_TMP/NAME.b.
now() { scrape "$1" text >/dev/null; }
# Predicates for wait_for.
# shellcheck disable=SC2317
process_gone() { now p && ! grep -q '^process_' "$TEST_TMP/p.b"; }
# shellcheck disable=SC2317
process_back() { now p && has_sample "$TEST_TMP/p.b" process_cpu_seconds_total; }
rejections() { grep -c 'reload rejected' "$VM_LOG"; }
# shellcheck disable=SC2317
rejected_at_least() { [ "$(rejections)" -ge "$1" ]; }

write_conf "$BOTH"
start_virtmeter --config.file="$CONF" || tap_abort "virtmeter starts with --config.file"
tap_ok "virtmeter starts with --config.file"
# The collectors' first cycles end after /healthz answers (well after,
# under valgrind): s0 is the first scrape that has both.
# shellcheck disable=SC2317 # called through wait_for
first_cycles() {
	now s0 && has_sample "$TEST_TMP/s0.b" virtmeter_host_cpu_seconds_total &&
		has_sample "$TEST_TMP/s0.b" process_cpu_seconds_total
}
wait_for $((5 * VM_SLOW)) first_cycles
tap_check "before any reload, the host collector's series are served" has_sample "$TEST_TMP/s0.b" virtmeter_host_cpu_seconds_total
tap_check "before any reload, the process collector's series are served" has_sample "$TEST_TMP/s0.b" process_cpu_seconds_total
reload_ok() { series_value "$TEST_TMP/$1.b" virtmeter_config_last_reload_successful; }
reload_at() { series_value "$TEST_TMP/$1.b" virtmeter_config_last_reload_success_timestamp_seconds; }
tap_is "$(reload_ok s0)" 1 "after the start-up load, virtmeter_config_last_reload_successful is 1"
ts0=$(reload_at s0)
tap_check "after the start-up load, the success timestamp is the start time ($ts0, now $(date +%s))" \
	awk -v t="$ts0" -v now="$(date +%s)" 'BEGIN { exit !(t != "" && t > now - 30 && t <= now + 1) }'

# ---- a bad file is rejected -----------------------------------------------------------
write_conf "$BAD_KEY"
kill -HUP "$VM_PID"
wait_for 5 grep -q 'reload rejected' "$VM_LOG"
line=$(grep 'reload rejected' "$VM_LOG" | head -n1)
tap_like "$line" "level=error msg=\"reload rejected: $CONF:4:5: [^\"]*colour[^\"]*; keeping the running configuration\"" \
	"SIGHUP with an unknown key logs 'level=error msg=\"reload rejected: FILE:4:5: ...; keeping the running configuration\"'"
sleep 1.5
tap_is "$(rejections)" 1 "a rejected reload is logged once"
tap_check "after a rejected reload, virtmeter is still running" kill -0 "$VM_PID"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after a rejected reload, /healthz answers 200"
now s1
tap_check "after a rejected reload, the host series are still served" has_sample "$TEST_TMP/s1.b" virtmeter_host_cpu_seconds_total
tap_check "after a rejected reload, the process series are still served (old configuration kept)" \
	has_sample "$TEST_TMP/s1.b" process_cpu_seconds_total
tap_is "$(reload_ok s1)" 0 "after a rejected reload, virtmeter_config_last_reload_successful is 0"
tap_is "$(reload_at s1)" "$ts0" "after a rejected reload, the success timestamp stays that of the last good load"
t1=$(series_value "$TEST_TMP/s1.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
sleep 2.5
now s2
t2=$(series_value "$TEST_TMP/s2.b" 'virtmeter_collector_last_success_timestamp_seconds{collector="host"}')
if awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(a != "" && b != "" && b > a) }'; then
	tap_ok "after a rejected reload, the host collector keeps running (last success $t1 -> $t2)"
else
	tap_fail "after a rejected reload, the host collector keeps running" "last success before: '$t1', 2.5 s later: '$t2'"
fi

# A YAML syntax error is rejected the same way.
write_conf 'collectors:\n  host:\n    enabled: [true\n'
kill -HUP "$VM_PID"
wait_for 5 rejected_at_least 2
tap_like "$(grep 'reload rejected' "$VM_LOG" | sed -n 2p)" "level=error msg=\"reload rejected: $CONF:[0-9]+:[0-9]+: " \
	"SIGHUP with a YAML syntax error is rejected with FILE:LINE:COL"
tap_check "after a YAML syntax error, process series are still served" process_back

# A vanished file is rejected too, and names the file.
rm -f "$CONF"
kill -HUP "$VM_PID"
wait_for 5 rejected_at_least 3
tap_like "$(grep 'reload rejected' "$VM_LOG" | sed -n 3p)" "level=error msg=\"reload rejected: .*$CONF" \
	"SIGHUP with the config file gone is rejected, naming the file"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the file vanished, /healthz answers 200"

# What is not a regular file in its place is rejected at once, naming the
# file and what it is: a FIFO (a blocking open would wait for a writer
# and keep the daemon from answering SIGTERM), a directory, a symlink to a
# device.
n=3
for kind in FIFO directory device; do
	case $kind in
	FIFO) mkfifo "$CONF" && want="a FIFO" ;;
	directory) mkdir "$CONF" && want="a directory" ;;
	device) ln -s /dev/zero "$CONF" && want="a character device" ;;
	esac
	n=$((n + 1))
	t0=$EPOCHREALTIME
	kill -HUP "$VM_PID"
	wait_for 5 rejected_at_least "$n"
	took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	tap_like "$(grep 'reload rejected' "$VM_LOG" | sed -n "${n}p")" \
		"level=error msg=\"reload rejected: $CONF: cannot read $CONF: it is $want, not a regular file; keeping the running configuration\"" \
		"SIGHUP with $want as the config file is rejected, naming the file and what it is"
	tap_check "the reload with $want is rejected at once (${took} s)" \
		awk -v t="$took" 'BEGIN { exit !(t < 2) }'
	tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after SIGHUP with $want, /healthz answers 200"
	rm -rf "$CONF"
done

# ---- a good file is applied -------------------------------------------------------------
write_conf "$NO_PROCESS"
kill -HUP "$VM_PID"
if wait_for 6 process_gone; then
	tap_ok "SIGHUP with 'process: enabled: false': process_* series vanish within 6 s"
else
	tap_fail "SIGHUP with 'process: enabled: false': process_* series vanish within 6 s" \
		"$(grep '^process_' "$TEST_TMP/p.b" | head -n3)"
fi
now s3
tap_unlike "$(cat "$TEST_TMP/s3.b")" 'virtmeter_collector_up\{collector="process"\}' \
	"after disabling process, virtmeter_collector_up{collector=\"process\"} is gone"
tap_check "after disabling process, the host series are still served" has_sample "$TEST_TMP/s3.b" virtmeter_host_cpu_seconds_total
tap_is "$(rejections)" 6 "a good file is not logged as rejected"
tap_is "$(reload_ok s3)" 1 "after a good reload, virtmeter_config_last_reload_successful is 1 again"
ts3=$(reload_at s3)
tap_check "after a good reload, the success timestamp is newer ($ts0 -> $ts3)" \
	awk -v a="$ts0" -v b="$ts3" 'BEGIN { exit !(a != "" && b != "" && b > a) }'
lint_scrape "$TEST_TMP/s3.b" text "after the reload, /metrics is a clean exposition"

write_conf "$BOTH"
kill -HUP "$VM_PID"
if wait_for 6 process_back; then
	tap_ok "SIGHUP with process enabled again: process_* series come back within 6 s"
else
	tap_fail "SIGHUP with process enabled again: process_* series come back within 6 s"
fi
tap_like "$(cat "$TEST_TMP/p.b")" 'virtmeter_collector_up\{collector="process"\} 1' \
	"process enabled again: virtmeter_collector_up{collector=\"process\"} is 1"

# A FIFO as the file once more, then SIGTERM: the reload did not block,
# so the daemon stops as asked.
rm -f "$CONF"
mkfifo "$CONF"
kill -HUP "$VM_PID"
wait_for 5 rejected_at_least 7
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM after reloads (the last with a FIFO as the file) ends virtmeter with status 0"

# ---- a failing collector ------------------------------------------------------------------
# A procfs of copies that the test can break: the host collector keeps its
# descriptors open, so the files are rewritten in place.
PROC=$TEST_TMP/proc
mkdir -p "$PROC"
cat /proc/stat >"$PROC/stat"
cat /proc/meminfo >"$PROC/meminfo"
cp "$PROC/stat" "$TEST_TMP/stat.good"
printf 'collectors:\n  host:\n    interval: 1s\n' >"$TEST_TMP/host1s.yml"
# shellcheck disable=SC2317 # called through wait_for
host_up() { now f && [ "$(series_value "$TEST_TMP/f.b" 'virtmeter_collector_up{collector="host"}')" = "$1" ]; }
host_warns() { grep 'level=warn' "$VM_LOG" | grep -c 'host'; }

if start_virtmeter --config.file="$TEST_TMP/host1s.yml" --path.procfs="$PROC"; then
	tap_check "with a readable procfs copy, virtmeter_collector_up{collector=\"host\"} is 1" wait_for 3 host_up 1
	good_idle=$(series_value "$TEST_TMP/f.b" 'virtmeter_host_cpu_seconds_total{mode="idle"}')
	good_mem=$(series_value "$TEST_TMP/f.b" virtmeter_host_memory_total_bytes)
	printf 'garbage\n' >"$PROC/stat"
	tap_check "with a garbage stat, virtmeter_collector_up{collector=\"host\"} goes 0 within 4 s" wait_for 4 host_up 0
	e1=$(series_value "$TEST_TMP/f.b" 'virtmeter_collector_errors_total{collector="host"}')
	sleep 3.2 # three more cycles
	now f2
	e2=$(series_value "$TEST_TMP/f2.b" 'virtmeter_collector_errors_total{collector="host"}')
	if awk -v a="$e1" -v b="$e2" 'BEGIN { exit !(a != "" && b >= a + 2) }'; then
		tap_ok "virtmeter_collector_errors_total{collector=\"host\"} counts each failed cycle ($e1 -> $e2 in 3.2 s)"
	else
		tap_fail "virtmeter_collector_errors_total{collector=\"host\"} counts each failed cycle" "before: '$e1', 3.2 s later: '$e2'"
	fi
	tap_is "$(series_value "$TEST_TMP/f2.b" 'virtmeter_host_cpu_seconds_total{mode="idle"}')" "$good_idle" \
		"a failing host collector keeps serving its last good CPU samples"
	tap_is "$(series_value "$TEST_TMP/f2.b" virtmeter_host_memory_total_bytes)" "$good_mem" \
		"a failing host collector keeps serving its last good memory samples"
	lint_scrape "$TEST_TMP/f2.b" text "with a failing collector, /metrics is a clean exposition"
	w1=$(host_warns)
	tap_check "the failure of the host collector is logged at level warn" test "$w1" -ge 1
	tap_is "$w1" 1 "the failure of the host collector is logged in exactly one warn line"
	[ "$w1" -ne 1 ] && tap_diag "$(grep 'level=warn' "$VM_LOG")"
	cp "$TEST_TMP/stat.good" "$PROC/stat.tmp" && cat "$PROC/stat.tmp" >"$PROC/stat"
	tap_check "with stat readable again, virtmeter_collector_up{collector=\"host\"} is back to 1 within 4 s" wait_for 4 host_up 1
	tap_is "$(host_warns)" "$w1" "no warn line is added while the host collector fails or recovers"
	tap_is "$(grep 'level=info' "$VM_LOG" | grep -c 'host.*recover')" 1 \
		"the recovery of the host collector is logged once at level info"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts with --path.procfs on a copy"
fi

# A procfs with nothing in it: the host collector cannot start at all.
mkdir -p "$TEST_TMP/empty-proc"
if start_virtmeter --config.file="$TEST_TMP/host1s.yml" --path.procfs="$TEST_TMP/empty-proc"; then
	sleep 3.5 # a few 1 s cycles
	now e
	tap_is "$(series_value "$TEST_TMP/e.b" 'virtmeter_collector_up{collector="host"}')" 0 \
		"--path.procfs on an empty directory: virtmeter_collector_up{collector=\"host\"} is 0"
	tap_is "$(series_value "$TEST_TMP/e.b" 'virtmeter_collector_up{collector="process"}')" 1 \
		"--path.procfs on an empty directory: the process collector is unaffected (up 1)"
	errs=$(series_value "$TEST_TMP/e.b" 'virtmeter_collector_errors_total{collector="host"}')
	tap_check "--path.procfs on an empty directory: the host collector retries every cycle (errors_total $errs >= 3)" \
		test "${errs%.*}" -ge 3
	tap_unlike "$(cat "$TEST_TMP/e.b")" '^virtmeter_host_cpu_seconds_total' \
		"--path.procfs on an empty directory: no host CPU series (there never was a good sample)"
	lint_scrape "$TEST_TMP/e.b" text "--path.procfs on an empty directory: /metrics is a clean exposition"
	w=$(host_warns)
	tap_is "$w" 1 "--path.procfs on an empty directory: exactly one warn line about host after several cycles"
	[ "$w" -ne 1 ] && tap_diag "$(grep 'level=warn' "$VM_LOG")"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts with --path.procfs on an empty directory"
fi

tap_done
