#!/usr/bin/env bash
# The libvirt collector on libvirt's in-process test driver (no daemon):
# every domain of a node file shows up once in virtmeter_vm_info with its
# UUID; domain names with quotes, backslashes, newlines, XML specials and
# UTF-8 come out of the exposition escaped exactly as the text format and
# OpenMetrics want; the state of running and shut-off domains; times in
# seconds are written as whole nanoseconds, without float noise; the
# exposition lints clean. Then, with a libvirt that cannot be reached, the
# daemon still starts and serves, says virtmeter_libvirt_up 0 (while
# virtmeter_collector_up stays 1: the collector works), shows both on the
# landing page, and logs that once, not once per cycle.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v virsh >/dev/null 2>&1 || tap_skip_all "virsh not installed (Debian package libvirt-clients)"
"$VIRTMETER" --dump-metrics 2>/dev/null | grep -q '^virtmeter_libvirt_up[[:space:]]' ||
	tap_skip_all "virtmeter built without the libvirt collector"

GEN=${top_srcdir:?}/tests/bench/gen-testdriver-xml.sh

# ---- helpers -------------------------------------------------------------------

# esc_label VALUE: VALUE escaped as a label value of the text format.
esc_label() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	printf '%s' "$s"
}


# virsh_name URI UUID: the domain's name, byte for byte (may hold newlines).
virsh_name() {
	local n
	n=$(LC_ALL=C.UTF-8 timeout 30 virsh -q -c "$1" domname "$2" && echo x) || return 1
	n=${n%x}
	printf '%s' "${n%$'\n\n'}"
}

# The collector's interval: 1 s through a configuration file when this
# build reads YAML, else its default (from --help).
INTERVAL=$("$VIRTMETER" --help 2>/dev/null | awk '$1 == "libvirt" { if (match($0, /every [0-9]+s/)) print substr($0, RSTART + 6, RLENGTH - 7) }')
: "${INTERVAL:=5}"
CONFIG_ARGS=()
if "$VIRTMETER" --version 2>/dev/null | grep -q 'yaml'; then
	printf 'collectors:\n  libvirt:\n    interval: 1s\n' >"$TEST_TMP/virtmeter.yml"
	if "$VIRTMETER" --config.file="$TEST_TMP/virtmeter.yml" --check-config >"$TEST_TMP/check.out" 2>&1; then
		CONFIG_ARGS=(--config.file="$TEST_TMP/virtmeter.yml")
		INTERVAL=1
	else
		tap_diag "the configuration file is refused; using the default interval:"
		tap_diag_file "$TEST_TMP/check.out"
	fi
fi
tap_diag "libvirt collector interval: ${INTERVAL}s"

# What a shut-off domain may show: its definition, nothing measured.
SHUTOFF_OK='^virtmeter_vm_(info|state|vcpus|vcpus_maximum|memory_max_bytes|memory_balloon_bytes|block_(capacity|allocation|physical)_bytes|openstack_[a-z_]+)\{'

# noisy_times FILE: the samples of FILE that are times in seconds (a family
# ending in _seconds or _seconds_total, timestamps aside) below 1e6 s,
# where a double holds every nanosecond, written with more than 9 decimals
# (those of an exponent counted): float noise such as 0.4945440000000012
# from seconds added or subtracted as doubles, where the nanoseconds
# should have been summed and converted once.
noisy_times() {
	awk '!/^#/ {
		name = $1; sub(/[{ ].*/, "", name)
		if (name !~ /_seconds(_total)?$/ || name ~ /_timestamp_seconds$|_time_seconds$/) next
		v = $NF
		if (v !~ /^[0-9.e+-]+$/ || v + 0 >= 1e6) next
		m = v; e = 0
		if (match(v, /e[-+]?[0-9]+$/)) { e = substr(v, RSTART + 1) + 0; m = substr(v, 1, RSTART - 1) }
		d = index(m, ".") ? length(m) - index(m, ".") : 0
		if (d - e > 9) print
	}' "$1"
}

# info_count FILE: how many virtmeter_vm_info series the scrape has.
info_count() {
	grep -c '^virtmeter_vm_info{' "$1"
}

# wait_inventory N: scrapes until virtmeter_libvirt_up is 1 and there are
# N virtmeter_vm_info series (bounded: 10 cycles + 10 s). Leaves the last
# scrape in $TEST_TMP/inv.b.
wait_inventory() {
	local want=$1 i deadline=$((SECONDS + 10 * INTERVAL + 10))
	for ((i = 0; i < 400 && SECONDS <= deadline; i++)); do
		scrape inv text >/dev/null
		if [ "$(value "$TEST_TMP/inv.b" virtmeter_libvirt_up)" = 1 ] &&
			[ "$(info_count "$TEST_TMP/inv.b")" = "$want" ]; then
			return 0
		fi
		sleep 0.25
	done
	return 1
}

# ---- one fixture ---------------------------------------------------------------

# check_fixture LABEL FILE [AWKWARD]: a virtmeter on test:///FILE; AWKWARD=1
# when FILE was made by gen-testdriver-xml.sh --awkward --stopped 2 (checks
# the literal escaped forms that generator documents, not only what
# esc_label computes, so that a bug shared by both cannot hide).
check_fixture() {
	local label=$1 file=$2 awkward=${3:-0} uri uuids uuid name esc n ndom want_state
	local st bad="" missing="" line ndown=0 stale=""
	uri="test://$file"
	uuids=$(LC_ALL=C timeout 60 virsh -q -c "$uri" list --all --uuid | sed '/^$/d')
	ndom=$(printf '%s\n' "$uuids" | grep -c .)
	tap_diag "$label: $file, $ndom domains"

	if ! start_virtmeter --collector.libvirt.uri="$uri" "${CONFIG_ARGS[@]}"; then
		tap_fail "$label: virtmeter starts on $uri"
		return 0
	fi
	tap_ok "$label: virtmeter starts on $uri"

	if wait_inventory "$ndom"; then
		tap_ok "$label: virtmeter_libvirt_up 1 and $ndom virtmeter_vm_info series (one per domain)"
	else
		tap_fail "$label: virtmeter_libvirt_up 1 and $ndom virtmeter_vm_info series (one per domain)" \
			"libvirt_up: $(value "$TEST_TMP/inv.b" virtmeter_libvirt_up)" \
			"vm_info series: $(info_count "$TEST_TMP/inv.b")" "$(grep '^virtmeter_vm_info' "$TEST_TMP/inv.b" | head -n 20)" \
			"log:" "$(head -n 20 "$VM_LOG")"
	fi
	fetch land "$VM_URL/" >/dev/null
	tap_like "$(grep '^<tr><td>libvirt</td>' "$TEST_TMP/land.b")" '<code>virtmeter_libvirt_up 1</code> up' \
		"$label: the landing page shows virtmeter_libvirt_up 1 as up"

	# Every domain, found by UUID, carries its own name, escaped.
	scrape t text >/dev/null
	for uuid in $uuids; do
		name=$(virsh_name "$uri" "$uuid") || { missing+="$uuid (virsh domname failed) "; continue; }
		esc=$(esc_label "$name")
		n=$(samples "$TEST_TMP/t.b" virtmeter_vm_info "vm=\"$esc\"" "uuid=\"$uuid\"" | grep -c ' 1$')
		[ "$n" = 1 ] || missing+="vm=\"$esc\" uuid=\"$uuid\" ($n) "
		st=$(LC_ALL=C timeout 30 virsh -q -c "$uri" domstate "$uuid" | head -n 1)
		case $st in # virsh's words for virDomainState
		running) want_state=1 ;;
		idle) want_state=2 ;;
		paused) want_state=3 ;;
		'in shutdown') want_state=4 ;;
		'shut off') want_state=5 ;;
		crashed) want_state=6 ;;
		pmsuspended) want_state=7 ;;
		*) want_state="?($st)" ;;
		esac
		n=$(value "$TEST_TMP/t.b" virtmeter_vm_state "vm=\"$esc\"")
		[ "$n" = "$want_state" ] || bad+="vm=\"$esc\": state $n, virsh says $st; "
		if [ "$want_state" = 5 ]; then
			ndown=$((ndown + 1))
			n=$(grep -F "vm=\"$esc\"" "$TEST_TMP/t.b" | grep '^virtmeter_vm_' | grep -Evc "$SHUTOFF_OK")
			[ "$n" = 0 ] || stale+="vm=\"$esc\": $n series; "
		fi
	done
	if [ -z "$missing" ]; then
		tap_ok "$label: each domain's virtmeter_vm_info has its UUID and its escaped name"
	else
		tap_fail "$label: each domain's virtmeter_vm_info has its UUID and its escaped name" \
			"not found exactly once: $missing" "$(grep '^virtmeter_vm_info' "$TEST_TMP/t.b" | head -n 20)"
	fi
	if [ -z "$bad" ]; then
		tap_ok "$label: virtmeter_vm_state is libvirt's state code of each domain (as virsh domstate says)"
	else
		tap_fail "$label: virtmeter_vm_state is libvirt's state code of each domain (as virsh domstate says)" "$bad"
	fi
	if [ "$ndown" -gt 0 ]; then
		if [ -z "$stale" ]; then
			tap_ok "$label: the $ndown shut-off domains have only definition series (no counters, no usage)"
		else
			tap_fail "$label: the $ndown shut-off domains have only definition series (no counters, no usage)" "$stale"
		fi
	fi
	n=$(samples "$TEST_TMP/t.b" virtmeter_vm_info | awk -F'vm="' '{ print $2 }' | sort | uniq -d | head -n 3)
	tap_is "$n" "" "$label: no vm name appears in two virtmeter_vm_info series"

	if [ "$awkward" = 1 ]; then
		# The literal forms, as gen-testdriver-xml.sh documents them.
		for line in \
			'vm="vm \"quoted\""|00000001-7669-4d74-8000-000000000001' \
			'vm="vm\\back\\slash"|00000002-7669-4d74-8000-000000000002' \
			'vm="vm\nline2"|00000003-7669-4d74-8000-000000000003' \
			'vm="vm-ünïcødé-虚拟机"|00000004-7669-4d74-8000-000000000004' \
			"vm=\"vm a&b<c>'d\"|00000005-7669-4d74-8000-000000000005" \
			'vm="vm \\\"mix\\n\""|00000006-7669-4d74-8000-000000000006'; do
			esc=${line%|*}
			uuid=${line#*|}
			n=$(samples "$TEST_TMP/t.b" virtmeter_vm_info "$esc" "uuid=\"$uuid\"" | grep -c .)
			tap_is "$n" 1 "$label: the text format writes the name as $esc"
		done
		# A name with a newline must not leak a raw newline: every line of the
		# body is a comment or starts with a metric name.
		n=$(grep -Ecv '^(#|[a-zA-Z_:][a-zA-Z0-9_:]*(\{| ))' "$TEST_TMP/t.b")
		tap_is "$n" 0 "$label: no line of the body is a fragment of a label value"
		# The same in OpenMetrics (same escaping rules).
		scrape om openmetrics >/dev/null
		n=$(samples "$TEST_TMP/om.b" virtmeter_vm_info 'vm="vm\nline2"' | grep -c .)
		tap_is "$n" 1 "$label: OpenMetrics writes the name with a newline as vm\\nline2"
		n=$(samples "$TEST_TMP/om.b" virtmeter_vm_info 'vm="vm \\\"mix\\n\""' | grep -c .)
		tap_is "$n" 1 "$label: OpenMetrics escapes a backslash before a quote and before an n"
		lint_scrape "$TEST_TMP/om.b" openmetrics "$label: the OpenMetrics body is a clean exposition"
		# Per-domain values the test driver gives for a running domain of
		# the generated file: 2 vCPUs, 256 MiB.
		esc='vm="vm-ünïcødé-虚拟机"'
		tap_is "$(value "$TEST_TMP/t.b" virtmeter_vm_vcpus "$esc")" 2 \
			"$label: virtmeter_vm_vcpus of the UTF-8 domain is 2"
		tap_is "$(value "$TEST_TMP/t.b" virtmeter_vm_memory_max_bytes "$esc")" 268435456 \
			"$label: virtmeter_vm_memory_max_bytes of the UTF-8 domain is 256 MiB"
	fi

	n=$(noisy_times "$TEST_TMP/t.b")
	tap_is "$n" "" "$label: every time in seconds below 1e6 s is written as whole nanoseconds (no float noise)"
	lint_scrape "$TEST_TMP/t.b" text "$label: the text body is a clean exposition (promtool, no duplicates)"
	stop_virtmeter "$VM_PID"
	tap_is "$VM_STATUS" 0 "$label: SIGTERM ends virtmeter with status 0"
}

# ---- fixtures: the project's, if any, and a generated one ------------------------

for f in "$top_srcdir"/tests/fixtures/libvirt/*.xml; do
	[ -f "$f" ] || continue
	grep -q '<node' "$f" || continue
	check_fixture "fixture $(basename "$f")" "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
done

if bash "$GEN" --awkward --stopped 2 20 "$TEST_TMP/gen20.xml" 2>"$TEST_TMP/gen.err"; then
	tap_ok "gen-testdriver-xml.sh writes a 20-domain node file"
	check_fixture "generated" "$TEST_TMP/gen20.xml" 1
else
	tap_fail "gen-testdriver-xml.sh writes a 20-domain node file" "$(cat "$TEST_TMP/gen.err")"
fi

# ---- libvirt unreachable ---------------------------------------------------------

BAD_URI='qemu+unix:///system?socket=/nonexistent/virtmeter-test.sock'
if start_virtmeter --collector.libvirt.uri="$BAD_URI" "${CONFIG_ARGS[@]}"; then
	tap_ok "unreachable libvirt: virtmeter starts and serves /healthz"
	# About five cycles.
	sleep $((5 * INTERVAL + 1))
	tap_check "unreachable libvirt: virtmeter is still running after 5 cycles" kill -0 "$VM_PID"
	tap_is "$(scrape down text)" 200 "unreachable libvirt: GET /metrics answers 200"
	tap_is "$(value "$TEST_TMP/down.b" virtmeter_libvirt_up)" 0 "unreachable libvirt: virtmeter_libvirt_up 0"
	tap_is "$(grep -c '^virtmeter_vm_' "$TEST_TMP/down.b")" 0 "unreachable libvirt: no virtmeter_vm_ series"
	lint_scrape "$TEST_TMP/down.b" text "unreachable libvirt: the body is a clean exposition"
	tap_is "$(series_value "$TEST_TMP/down.b" 'virtmeter_collector_up{collector="libvirt"}')" 1 \
		"unreachable libvirt: virtmeter_collector_up{collector=\"libvirt\"} stays 1 (its cycles run)"
	fetch land "$VM_URL/" >/dev/null
	row=$(grep '^<tr><td>libvirt</td>' "$TEST_TMP/land.b")
	tap_like "$row" '<td>ok \(1\)</td>' "unreachable libvirt: the landing page says the collector's cycle is ok (1)"
	tap_like "$row" '<code>virtmeter_libvirt_up 0</code> down' \
		"unreachable libvirt: the landing page shows virtmeter_libvirt_up 0 as down in the source column"
	# The lines of the log that speak of libvirt at warning level or worse.
	n=$(grep -i 'libvirt' "$VM_LOG" | grep -Eci 'level=(warn|error)|"level":"(warn|error)"')
	if [ "$n" = 1 ]; then
		tap_ok "unreachable libvirt: exactly one warning in the log over 5 cycles"
	else
		tap_fail "unreachable libvirt: exactly one warning in the log over 5 cycles" \
			"$n warning lines; the log:" "$(head -n 30 "$VM_LOG")"
	fi
	tap_like "$(grep -i 'libvirt' "$VM_LOG" | grep -Ei 'level=(warn|error)|"level":"(warn|error)"' | head -n 1)" \
		'nonexistent' "unreachable libvirt: the warning names the URI or socket that failed"
	stop_virtmeter "$VM_PID"
	tap_is "$VM_STATUS" 0 "unreachable libvirt: SIGTERM ends virtmeter with status 0"
else
	tap_fail "unreachable libvirt: virtmeter starts and serves /healthz"
fi

tap_done
