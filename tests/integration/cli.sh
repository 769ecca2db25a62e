#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The command line: --help, --version and --dump-metrics say what they
# should; every kind of bad invocation exits with its documented status and
# a message naming the culprit; --check-config; a port already in use; both
# flag forms; repeated listen addresses; collector switches (flags winning
# over the file) and --collector.disable-defaults; log level and format;
# SIGINT and SIGTERM end cleanly.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"

OUT=$TEST_TMP/out
ERR=$TEST_TMP/err

# run ARGS...: runs virtmeter in the foreground (bounded to 10 s), output in
# $OUT and $ERR, status in RC.
run() {
	timeout 10 "$VIRTMETER" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

# ---- --help ------------------------------------------------------------------
run --help
tap_is "$RC" 0 "--help exits with 0"
help=$(cat "$OUT")
for flag in --web.listen-address --web.telemetry-path --web.max-connections \
	--web.max-requests --web.timeout --config.file --check-config --log.level --log.format \
	--path.procfs --path.sysfs --path.cgroupfs --collector. --no-collector. \
	--collector.disable-defaults --dump-metrics --version --help; do
	if grep -qF -- "$flag" <<<"$help"; then
		tap_ok "--help documents $flag"
	else
		tap_fail "--help documents $flag" "not found in --help output"
	fi
done
for c in host process; do
	tap_like "$help" "^[[:space:]]+${c}[[:space:]]" "--help lists the $c collector"
done
tap_like "$(grep -A3 -- '--collector.disable-defaults' "$OUT" | tr -s ' \n' ' ')" \
	'every collector off: only those that a --collector.NAME flag or "enabled: true" in the configuration file turns on run' \
	"--help says what --collector.disable-defaults leaves on"
tap_like "$help" 'logfmt' "--help names the logfmt log format"
tap_like "$help" 'json' "--help names the json log format"

# ---- --version ---------------------------------------------------------------
run --version
tap_is "$RC" 0 "--version exits with 0"
version_line=$(head -n1 "$OUT")
tap_like "$version_line" '^virtmeter [0-9]+\.[0-9]+\.[0-9]+' "--version prints 'virtmeter X.Y.Z'"
tap_like "$version_line" 'libmicrohttpd [0-9]+\.[0-9]+' "--version names the libmicrohttpd version"
version=$(awk '{ print $2; exit }' "$OUT")

# ---- --dump-metrics ------------------------------------------------------------
run --dump-metrics
tap_is "$RC" 0 "--dump-metrics exits with 0"
cp "$OUT" "$TEST_TMP/dump"
bad=$(awk -F'\t' '
	NF != 5 { print NR ": " NF " fields, expected 5: " $0; next }
	$1 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ { print NR ": bad name " $1 }
	$2 !~ /^(counter|gauge|histogram|summary|info|stateset|unknown)$/ { print NR ": bad type " $2 }
	$3 != "" && $3 !~ /^[a-zA-Z_][a-zA-Z0-9_]*(,[a-zA-Z_][a-zA-Z0-9_]*)*$/ { print NR ": bad labels " $3 }
	$5 == "" { print NR ": no help for " $1 }
	seen[$1]++ { print NR ": " $1 " listed twice" }' "$TEST_TMP/dump")
if [ -z "$bad" ] && [ -s "$TEST_TMP/dump" ]; then
	tap_ok "--dump-metrics prints name, type, labels, unit, help separated by tabs, each name once"
else
	tap_fail "--dump-metrics prints name, type, labels, unit, help separated by tabs, each name once" \
		"${bad:-empty output}"
fi
bad=$(awk -F'\t' '$2 == "counter" && $1 !~ /_total$/ { print $1 }' "$TEST_TMP/dump")
tap_is "$bad" "" "--dump-metrics prints counters with their _total suffix"
# The unit field is the suffix of the name (before _total), and present
# whenever the name ends in a base unit.
bad=$(awk -F'\t' '{
	base = $1; sub(/_total$/, "", base)
	want = ""
	if (base ~ /_seconds$/) want = "seconds"
	if (base ~ /_bytes$/) want = "bytes"
	if ($4 != "" && substr(base, length(base) - length($4)) != "_" $4)
		print $1 ": unit \"" $4 "\" is not the end of its name"
	if (want != "" && $4 != want)
		print $1 ": unit \"" $4 "\", expected \"" want "\""
}' "$TEST_TMP/dump")
tap_is "$bad" "" "--dump-metrics gives each family the unit its name ends with"
expected_families="virtmeter_build_info virtmeter_collector_up
virtmeter_collector_duration_seconds virtmeter_collector_errors_total
virtmeter_collector_last_success_timestamp_seconds process_cpu_seconds_total
process_resident_memory_bytes process_virtual_memory_bytes process_open_fds
process_max_fds process_start_time_seconds virtmeter_host_cpu_seconds_total
virtmeter_host_cpu_guest_seconds_total virtmeter_host_cpus
virtmeter_host_boot_time_seconds virtmeter_host_memory_total_bytes
virtmeter_host_memory_free_bytes virtmeter_host_memory_available_bytes
virtmeter_host_memory_buffers_bytes virtmeter_host_memory_cached_bytes
virtmeter_host_swap_total_bytes virtmeter_host_swap_free_bytes"
missing=""
for f in $expected_families; do
	cut -f1 "$TEST_TMP/dump" | grep -qx -- "$f" || missing="$missing $f"
done
tap_is "${missing# }" "" "--dump-metrics lists every family of the self, host and process collectors"
labels_of() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$TEST_TMP/dump"; }
tap_is "$(labels_of virtmeter_build_info)" "version,libmicrohttpd,features" \
	"--dump-metrics gives virtmeter_build_info the labels version, libmicrohttpd, features"
tap_is "$(labels_of virtmeter_collector_up)" "collector" \
	"--dump-metrics gives virtmeter_collector_up the label collector"
tap_is "$(labels_of virtmeter_host_cpu_seconds_total)" "mode" \
	"--dump-metrics gives virtmeter_host_cpu_seconds_total the label mode"

# ---- bad flags -----------------------------------------------------------------
for flag in --no-such-flag --web.listen-adress=127.0.0.1:1 --collector.gpu --no-collector.gpu; do
	run "$flag"
	name=${flag%%=*}
	tap_is "$RC" 2 "unknown flag $name exits with 2"
	tap_is "$(wc -l <"$ERR" | tr -d ' ')" 1 "unknown flag $name gives a one-line error"
	tap_like "$(head -n1 "$ERR")" "^virtmeter: error: .*${name//./\\.}" \
		"unknown flag $name: the error starts with 'virtmeter: error:' and names the flag"
done

# Bad values: every one fails the command line at once, with 2 and the flag
# named, instead of starting and failing later (a collector's init, the
# listener, a scrape that can never match).
while IFS='|' read -r args name; do
	read -ra argv <<<"$args"
	run "${argv[@]}" --web.listen-address=127.0.0.1:0
	tap_is "$RC" 2 "$args exits with 2"
	tap_like "$(head -n1 "$ERR")" "^virtmeter: error: .*${name//./\\.}" "$args: the error names $name"
	tap_is "$(wc -l <"$ERR" | tr -d ' ')" 1 "$args: a one-line error"
done <<'EOF_BAD'
--web.listen-address=foo|--web.listen-address
--web.listen-address=127.0.0.1:65536|--web.listen-address
--web.max-connections=0|--web.max-connections
--web.max-requests=-1|--web.max-requests
--web.max-requests=lots|--web.max-requests
--web.timeout=0s|--web.timeout
--web.telemetry-path=/a/../metrics|--web.telemetry-path
--web.telemetry-path=/m%65trics|--web.telemetry-path
--path.procfs=/nonexistent-procfs|--path.procfs
--path.sysfs=/dev/null|--path.sysfs
--path.cgroupfs=/nonexistent-cgroupfs|--path.cgroupfs
--collector.cgroup.idle-cycles=0|--collector.cgroup.idle-cycles
--collector.cgroup.io-uring=maybe|--collector.cgroup.io-uring
--collector.perf.max-cgroups=100001|--collector.perf.max-cgroups
--collector.libvirt.uri=|--collector.libvirt.uri
--collector.model.estimate-min-watts=-1|--collector.model.estimate-min-watts
--collector.model.idle-watts=nan|--collector.model.idle-watts
--collector.model.idle-policy=fair|--collector.model.idle-policy
--collector.model.dynamic-by=ram|--collector.model.dynamic-by
--collector.model.idle-threshold=101|--collector.model.idle-threshold
--collector.model.max-gap=2d|--collector.model.max-gap
--collector.model.retire-after=0s|--collector.model.retire-after
--collector.model.learn-window=30s|--collector.model.learn-window
--collector.model.host-meter=rapl/|--collector.model.host-meter
--collector.model.estimate-min-watts=5 --collector.model.estimate-max-watts=1|estimate-max-watts
EOF_BAD
# Only the file can say whether a pair set partly in it is bad: with
# --config.file the pair is checked once the file is read (exit 1).
printf 'collectors:\n  model:\n    estimate_max_watts: "2"\n' >"$TEST_TMP/max2.yml"
run --check-config --config.file="$TEST_TMP/max2.yml" --collector.model.estimate-min-watts=3
tap_is "$RC" 1 "a file and a flag that make a bad pair: --check-config exits with 1"
tap_like "$(cat "$ERR")" "collector model: estimate-max-watts \(2\) is below estimate-min-watts \(3\)" \
	"the error names the collector and both settings"
run --check-config --config.file="$TEST_TMP/max2.yml" --collector.model.estimate-min-watts=1
tap_is "$RC" 0 "a file and a flag that make a good pair: --check-config exits with 0"

# ---- configuration files -----------------------------------------------------------
good=$TEST_TMP/good.yml
printf 'collectors:\n  host:\n    enabled: true\n    interval: 1s\n  process:\n    enabled: false\n' >"$good"
unknown_key=$TEST_TMP/unknown-key.yml
printf 'collectors:\n  host:\n    enabled: true\n    bogus: 1\n' >"$unknown_key"
bad_value=$TEST_TMP/bad-value.yml
printf 'collectors:\n  host:\n    enabled: true\n    interval: abc\n' >"$bad_value"
missing_file=$TEST_TMP/no-such-dir/virtmeter.yml

run --config.file="$missing_file"
tap_is "$RC" 1 "a missing --config.file exits with 1"
tap_like "$(cat "$ERR")" "^virtmeter: error: .*$missing_file" "a missing --config.file is named in the error"

run --config.file="$TEST_TMP"
tap_is "$RC" 1 "an unreadable --config.file (a directory) exits with 1"
tap_like "$(cat "$ERR")" "^virtmeter: error: .*$TEST_TMP" "an unreadable --config.file is named in the error"

# What is not a regular file is refused at once, naming the file and what
# it is: a FIFO (which a blocking open would wait on forever), a device, a
# directory, a symlink to a device; a symlink to a regular file is read.
mkfifo "$TEST_TMP/fifo.yml"
ln -s /dev/zero "$TEST_TMP/zero.yml"
ln -s "$good" "$TEST_TMP/link.yml"
for c in "$TEST_TMP/fifo.yml|a FIFO" "/dev/null|a character device" \
	"$TEST_TMP|a directory" "$TEST_TMP/zero.yml|a character device"; do
	f=${c%%|*} kind=${c#*|}
	t0=$EPOCHREALTIME
	run --check-config --config.file="$f"
	took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	tap_is "$RC" 1 "--check-config --config.file=$f ($kind) exits with 1"
	tap_is "$(cat "$ERR")" "virtmeter: error: $f: cannot read $f: it is $kind, not a regular file" \
		"--check-config on $kind: the error names the file and what it is"
	tap_check "--check-config on $kind answers at once (${took} s)" \
		awk -v t="$took" 'BEGIN { exit !(t < 2) }'
done
run --check-config --config.file="$TEST_TMP/link.yml"
tap_is "$RC" 0 "--check-config on a symlink to a regular file exits with 0"

run --config.file="$unknown_key"
tap_is "$RC" 1 "a config file with an unknown key exits with 1"
tap_like "$(cat "$ERR")" "^virtmeter: error: $unknown_key:4:5: .*bogus" \
	"an unknown key is reported as FILE:4:5 naming the key"

run --config.file="$bad_value"
tap_is "$RC" 1 "a config file with a bad duration exits with 1"
tap_like "$(cat "$ERR")" "^virtmeter: error: $bad_value:4:15: " "a bad duration is reported as FILE:4:15"

run --check-config --config.file="$good"
tap_is "$RC" 0 "--check-config on a good file exits with 0"
tap_is "$(cat "$OUT")" "$good: configuration OK" "--check-config on a good file prints 'FILE: configuration OK'"

run --check-config --config.file="$unknown_key"
tap_is "$RC" 1 "--check-config on a bad file exits with 1"
tap_like "$(cat "$OUT" "$ERR")" "$unknown_key:4:5: " "--check-config on a bad file gives FILE:LINE:COL"
tap_unlike "$(cat "$OUT" "$ERR")" "configuration OK" "--check-config on a bad file does not say OK"

run --check-config --config.file="$missing_file"
tap_is "$RC" 1 "--check-config on a missing file exits with 1"

# ---- a running daemon ------------------------------------------------------------------
if start_virtmeter --config.file="$good" --collector.process; then
	tap_ok "virtmeter starts and serves /healthz"
	port=$VM_PORT
	first_pid=$VM_PID
	first_url=$VM_URL

	# Flags win over the file: the file disables process, the flag enables it.
	scrape m text >/dev/null
	tap_check "--collector.process wins over 'enabled: false' in the file" has_sample "$TEST_TMP/m.b" process_cpu_seconds_total
	tap_like "$(grep '^virtmeter_build_info{' "$TEST_TMP/m.b")" "version=\"$version\"" \
		"virtmeter_build_info carries the version that --version prints"

	# The same address a second time.
	run --web.listen-address="127.0.0.1:$port"
	tap_is "$RC" 1 "a listen address already in use exits with 1"
	tap_like "$(cat "$ERR")" "127\.0\.0\.1:$port" "the error names the address in use"
	tap_like "$(cat "$ERR")" "Address already in use" "the error says 'Address already in use'"
	tap_is "$(fetch h "$first_url/healthz")" 200 "the daemon already on the port keeps serving"

	stop_virtmeter "$first_pid"
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts and serves /healthz"
fi

# --flag value form, and a custom telemetry path.
free_port
p1=$FREE_PORT
if start_virtmeter_on "$p1" --web.listen-address "127.0.0.1:$p1" --web.telemetry-path /stats; then
	tap_ok "flags accept the '--flag value' form"
	tap_is "$(fetch s "$VM_URL/stats")" 200 "--web.telemetry-path /stats serves the metrics on /stats"
	tap_check "--web.telemetry-path: /stats has the metrics" has_sample "$TEST_TMP/s.b" virtmeter_build_info
	tap_is "$(fetch s "$VM_URL/metrics")" 404 "--web.telemetry-path /stats: /metrics is 404"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "virtmeter started with '--flag value' flags exits with 0"
else
	tap_fail "flags accept the '--flag value' form"
fi

# Two listen addresses.
free_port
p1=$FREE_PORT
free_port
p2=$FREE_PORT
if start_virtmeter_on "$p1" --web.listen-address="127.0.0.1:$p1" --web.listen-address="127.0.0.1:$p2"; then
	tap_is "$(fetch a "http://127.0.0.1:$p1/metrics")" 200 "repeated --web.listen-address: the first address serves"
	tap_is "$(fetch b "http://127.0.0.1:$p2/metrics")" 200 "repeated --web.listen-address: the second address serves"
	stop_virtmeter
else
	tap_fail "virtmeter starts with two --web.listen-address"
fi

# Collector switches, JSON logs at debug level.
if start_virtmeter --no-collector.process --log.format=json --log.level=debug; then
	scrape m text >/dev/null
	tap_unlike "$(cat "$TEST_TMP/m.b")" '^process_' "--no-collector.process: no process_* series"
	tap_unlike "$(cat "$TEST_TMP/m.b")" 'virtmeter_collector_up\{collector="process"\}' \
		"--no-collector.process: no virtmeter_collector_up for process"
	tap_check "--no-collector.process: the host collector still runs" \
		has_sample "$TEST_TMP/m.b" virtmeter_host_cpu_seconds_total
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "virtmeter with JSON logs exits with 0"
	nonjson=$(grep -v '^{.*}$' "$VM_LOG")
	tap_is "$nonjson" "" "--log.format=json: every log line is a JSON object"
	tap_like "$(head -n1 "$VM_LOG")" '"level": *"[a-z]+".*"msg": *"' \
		"--log.format=json: log lines carry level and msg"
else
	tap_fail "virtmeter starts with --no-collector.process --log.format=json"
fi

# ---- --collector.disable-defaults ----------------------------------------------------
# up_series FILE: the collectors that have a virtmeter_collector_up series.
up_series() {
	sed -n 's/^virtmeter_collector_up{collector="\([^"]*\)"}.*/\1/p' "$1" | sort | tr '\n' ' '
}
run --collector.disable-defaults=true
tap_is "$RC" 2 "--collector.disable-defaults=true exits with 2 (it takes no value)"
if start_virtmeter --collector.disable-defaults --collector.host; then
	sleep 1
	scrape dd text >/dev/null
	tap_is "$(up_series "$TEST_TMP/dd.b")" "host " \
		"--collector.disable-defaults --collector.host: virtmeter_collector_up for host only"
	tap_unlike "$(cat "$TEST_TMP/dd.b")" '^process_' "--collector.disable-defaults: no process_* series"
	tap_check "--collector.disable-defaults --collector.host: the host series are served" \
		has_sample "$TEST_TMP/dd.b" virtmeter_host_cpu_seconds_total
	tap_like "$(cat "$VM_LOG")" 'msg="collectors enabled: host"' "the log says that only host is enabled"
	stop_virtmeter
else
	tap_fail "virtmeter starts with --collector.disable-defaults --collector.host"
fi
file_on=$TEST_TMP/process-on.yml
printf 'collectors:\n  process:\n    enabled: true\n  cgroup:\n    interval: 1s\n' >"$file_on"
if start_virtmeter --config.file="$file_on" --collector.disable-defaults --collector.host; then
	sleep 1
	scrape dd text >/dev/null
	tap_is "$(up_series "$TEST_TMP/dd.b")" "host process " \
		"--collector.disable-defaults: 'enabled: true' in the file turns process on, a setting alone does not turn cgroup on"
	stop_virtmeter
else
	tap_fail "virtmeter starts with --collector.disable-defaults and a file"
fi
if start_virtmeter --config.file="$file_on" --collector.disable-defaults --no-collector.process --collector.cgroup; then
	sleep 1
	scrape dd text >/dev/null
	tap_is "$(up_series "$TEST_TMP/dd.b")" "cgroup " \
		"--collector.disable-defaults: --no-collector.process wins over the file's 'enabled: true'"
	stop_virtmeter
else
	tap_fail "virtmeter starts with --collector.disable-defaults --no-collector.process"
fi
if start_virtmeter --collector.disable-defaults; then
	scrape dd text >/dev/null
	tap_is "$(up_series "$TEST_TMP/dd.b")" "" "--collector.disable-defaults alone: no collector runs"
	tap_check "--collector.disable-defaults alone: virtmeter_build_info is still served" \
		has_sample "$TEST_TMP/dd.b" virtmeter_build_info
	tap_like "$(cat "$VM_LOG")" 'msg="collectors enabled: \(none\)"' "the log says that no collector is enabled"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "virtmeter with no collector exits with 0"
else
	tap_fail "virtmeter starts with --collector.disable-defaults alone"
fi

if start_virtmeter --log.level=error; then
	scrape m text >/dev/null
	stop_virtmeter
	tap_is "$(cat "$VM_LOG")" "" "--log.level=error: a clean start, scrape and stop log nothing"
else
	tap_fail "virtmeter starts with --log.level=error"
fi

if start_virtmeter; then
	tap_unlike "$(cat "$VM_LOG")" 'level=debug' "the default log level (info) logs no debug lines"
	tap_like "$(head -n1 "$VM_LOG")" '^ts=[^ ]+ level=info msg="' "the default log format is logfmt (ts, level, msg)"
	kill -INT "$VM_PID"
	if wait_gone "$VM_PID" 50; then
		wait "$VM_PID"
		tap_is "$?" 0 "SIGINT ends virtmeter with status 0"
	else
		tap_fail "SIGINT ends virtmeter with status 0" "still running 5 s after SIGINT"
	fi
	lib_untrack_pid "$VM_PID"
else
	tap_fail "virtmeter starts with default flags"
fi

tap_done
