# shellcheck shell=bash
# Helpers of the network meter tests (sourced after lib.sh and
# power_lib.sh): a throwaway test CA and certificates made at test time, and
# the fixture servers of tests/fixtures/power/netmeter.py.

# shellcheck disable=SC2154 # top_srcdir comes from lib.sh
NET_FIXTURE=$top_srcdir/tests/fixtures/power/netmeter.py
# The fixture's credentials (test-only; never a real device's).
# shellcheck disable=SC2034 # used by the scripts that source this file
NET_USER=monitor
# shellcheck disable=SC2034
NET_PASS='test-only-Pa55"word'

# net_require: skips the whole script when virtmeter is not built, or built
# without libyaml, libcurl or yajl, or when python3 or openssl is missing.
net_require() {
	[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
	"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
	"$VIRTMETER" --version | grep -q 'libcurl.*yajl' || tap_skip_all "built without libcurl or yajl: no network meters"
	command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is not installed (setup.sh test installs it)"
	command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl is not installed (setup.sh test installs it)"
}

# password_file FILE: writes the fixtures' password into FILE, readable by
# its owner only.
password_file() {
	printf '%s\n' "$NET_PASS" >"$1" && chmod 600 "$1"
}

# make_certs: a CA (ca.crt), a server certificate for 127.0.0.1 that it
# signed (srv.crt, srv.key) and a self-signed one it did not (bad.crt,
# bad.key), all in $TEST_TMP/tls. Returns non-zero on failure.
make_certs() {
	local d=$TEST_TMP/tls
	mkdir -p "$d" && (
		cd "$d" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
			-days 1 -subj "/CN=virtmeter test CA" &&
			openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
				-subj "/CN=127.0.0.1" &&
			printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
			openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out srv.crt -days 1 -extfile ext &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout bad.key -out bad.crt \
				-days 1 -subj "/CN=127.0.0.1" -addext subjectAltName=IP:127.0.0.1
	) >"$d/openssl.log" 2>&1
}

# start_netmeter PROFILE[@tls|@badtls]...: starts the fixture servers (one
# port each, chosen by the kernel) and waits (at most 15 s) until their
# ports are known. Returns non-zero if they do not come up.
start_netmeter() {
	local i t=$TEST_TMP/tls
	NET_PORTS=$TEST_TMP/netmeter.ports
	python3 "$NET_FIXTURE" "$NET_PORTS" --cert "$t/srv.crt" --key "$t/srv.key" \
		--badcert "$t/bad.crt" --badkey "$t/bad.key" "$@" \
		>"$TEST_TMP/netmeter.log" 2>&1 &
	NET_PID=$!
	lib_track_pid "$NET_PID"
	for ((i = 0; i < 150; i++)); do
		[ -s "$NET_PORTS" ] && return 0
		kill -0 "$NET_PID" 2>/dev/null || break
		sleep 0.1
	done
	tap_diag "the fixture servers did not start:"
	tap_diag_file "$TEST_TMP/netmeter.log"
	return 1
}

# port_of PROFILE: the port of a fixture profile.
port_of() {
	awk -v p="$1" '$1 == p { print $2 }' "$NET_PORTS"
}

# fixture_stats PROFILE [SCHEME]: the fixture's counters (JSON) of a
# profile; _reset and _expire are reached the same way.
fixture_get() {
	curl -s --max-time 5 -k "${3:-http}://127.0.0.1:$(port_of "$1")/$2"
}

# json_field JSON KEY: the integer value of KEY in a flat JSON object.
json_field() {
	printf '%s' "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}

# no_secret_logged DESCRIPTION: the password never shows in virtmeter's
# log, whole or in part.
no_secret_logged() {
	if grep -qF -- 'Pa55' "$VM_LOG"; then
		tap_fail "$1" "the log holds the password:" "$(grep -F 'Pa55' "$VM_LOG" | head -3)"
	else
		tap_ok "$1"
	fi
}

# stop_while_hung WHAT: stops virtmeter while a fixture server of kind
# WHAT (server, BMC) hangs in the middle of a read, and checks that the
# read is interrupted, the stop takes under 2 s and ends with status 0.
stop_while_hung() {
	local t0 t1
	t0=$(now_s)
	stop_virtmeter
	t1=$(now_s)
	tap_check "a read that hangs (30 s timeout) is interrupted at stop, not left behind" \
		fails grep -q "did not stop in time" "$VM_LOG"
	tap_check "virtmeter stops within 2 s while a $1 hangs" \
		awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2) }'
	tap_is "$VM_STATUS" 0 "virtmeter stops cleanly while a $1 hangs"
}
