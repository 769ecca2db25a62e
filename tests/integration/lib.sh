# shellcheck shell=bash
# Helpers shared by the integration tests: TAP output, free loopback ports,
# starting and stopping virtmeter, fetching over HTTP and checking an
# exposition. Source it from bash:
#
#   . "$(dirname "$0")/lib.sh"
#   start_virtmeter --no-collector.process || tap_abort "virtmeter did not start"
#   fetch m "$VM_URL/metrics"        # status on stdout, $TEST_TMP/m.h, m.b
#   tap_is "$(fetch m "$VM_URL/metrics")" 200 "GET /metrics answers 200"
#   stop_virtmeter; tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with 0"
#   tap_done
#
# Environment (exported by `make check`; defaults for running by hand):
#   VIRTMETER     the binary ($top_builddir/virtmeter)
#   top_srcdir    the source tree (two levels above this file)
#   top_builddir  the build tree (the current directory)
#   VIRTMETER_VALGRIND=1  runs every daemon that start_virtmeter_on or
#                 spawn_virtmeter starts under valgrind's memcheck (make
#                 check-valgrind; see "valgrind" below)
#
# Every wait is bounded in count and time, all traffic goes to 127.0.0.1,
# and an EXIT trap stops every process this shell started (by PID), closes
# the sockets it opened and removes its temporary directory (set
# KEEP_TMP=1 to keep it for a post-mortem).

set -u
# A write to a socket that the server closed must fail, not kill the test.
trap '' PIPE

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$PWD}"
if [ -z "${VIRTMETER:-}" ]; then
	if [ -x "$top_builddir/virtmeter" ]; then
		VIRTMETER=$top_builddir/virtmeter
	else
		VIRTMETER=./virtmeter
	fi
fi
export LC_ALL=C

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/virtmeter-test.XXXXXX") || {
	echo "Bail out! cannot create a temporary directory"
	exit 1
}

LIB_PIDS=()  # processes this shell started and has not yet reaped
LIB_FDS=()   # sockets this shell opened
LIB_PORTS=" " # ports handed out by free_port, not to be handed out twice

# ---- TAP ------------------------------------------------------------------

TAP_N=0
TAP_FAILED=0

# tap_diag LINE...: prints each line (and each line inside it) as "# ...".
tap_diag() {
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# tap_diag_file FILE [MAX_LINES]: prints the head of FILE as diagnostics.
tap_diag_file() {
	[ -f "$1" ] || { tap_diag "($1 does not exist)"; return 0; }
	head -n "${2:-40}" "$1" | sed 's/^/#   /'
}

# tap_ok DESCRIPTION: one passing check.
tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

# tap_fail DESCRIPTION [DIAG...]: one failing check with diagnostics.
tap_fail() {
	local desc=$1
	shift
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $desc"
	[ $# -gt 0 ] && tap_diag "$@"
	return 0
}

# tap_skip DESCRIPTION REASON: one check that cannot run here.
tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# tap_check DESCRIPTION COMMAND...: ok if COMMAND exits 0; returns 1 after a
# failure, so that "tap_check ... || tap_diag ..." adds what went wrong.
tap_check() {
	local desc=$1
	shift
	if "$@"; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command failed: $*"
		return 1
	fi
}

# fails COMMAND...: succeeds if COMMAND fails (its output discarded); for
# checks that a checker catches a broken input.
fails() {
	! "$@" >/dev/null 2>&1
}

# tap_is GOT EXPECTED DESCRIPTION: ok if the strings are equal.
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_ok "$3"
	else
		tap_fail "$3" "got:      '$1'" "expected: '$2'"
	fi
}

# tap_is_r GOT EXPECTED DESCRIPTION: tap_is, returning 1 when it fails,
# so that "tap_is_r ... || tap_diag ..." explains a failure.
tap_is_r() {
	tap_is "$@"
	[ "$1" = "$2" ]
}

# calc EXPR VAR=VALUE...: the value of an awk expression over the
# variables given, to 6 significant digits.
calc() {
	local expr=$1 args=() a
	shift
	for a in "$@"; do args+=(-v "$a"); done
	awk "${args[@]}" "BEGIN { printf \"%.6g\", $expr }"
}

# tap_like GOT ERE DESCRIPTION: ok if GOT matches the extended regex.
tap_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_ok "$3"
	else
		tap_fail "$3" "got:      '$1'" "expected to match: /$2/"
	fi
}

# tap_unlike GOT ERE DESCRIPTION: ok if GOT does not match.
tap_unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_fail "$3" "got:      '$1'" "expected not to match: /$2/"
	else
		tap_ok "$3"
	fi
}

# tap_done: prints the plan and exits. Under automake's TAP driver (which
# sets AM_TAP_AWK) the exit status is always 0, since the "not ok" lines
# already carry the verdict; run by hand, the script exits 1 on a failure.
tap_done() {
	lib_stop_virtmeters
	echo "# took $SECONDS s"
	echo "1..$TAP_N"
	if [ -z "${AM_TAP_AWK:-}" ] && [ "$TAP_FAILED" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

# tap_abort DESCRIPTION [DIAG...]: a failure after which nothing else can
# be checked: prints it, the plan, and exits.
tap_abort() {
	tap_fail "$@"
	tap_done
}

# tap_skip_all REASON: the whole script cannot run here (a component is
# absent). Must be called before any check.
tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# ---- processes and clean-up ------------------------------------------------

# lib_track_pid PID: kill PID (TERM, then KILL) when the script exits.
lib_track_pid() {
	LIB_PIDS+=("$1")
}

lib_untrack_pid() {
	local p keep=()
	for p in "${LIB_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	LIB_PIDS=("${keep[@]}")
}

# lib_track_fd FD: close FD when the script exits.
lib_track_fd() {
	LIB_FDS+=("$1")
}

# lib_close_fd FD: closes FD now.
lib_close_fd() {
	local fd=$1 f keep=()
	exec {fd}>&- 2>/dev/null
	for f in "${LIB_FDS[@]}"; do
		[ "$f" = "$1" ] || keep+=("$f")
	done
	LIB_FDS=("${keep[@]}")
}

# wait_gone PID TENTHS: waits up to TENTHS tenths of a second for PID to
# end. Returns 0 if it ended.
wait_gone() {
	local pid=$1 i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
}

# kill_pid PID: TERM, up to 5 s (VM_SLOW times that for a virtmeter),
# then KILL; reaps it if it is our child.
kill_pid() {
	local pid=$1 status tenths=50
	[ -z "${LIB_VM_LOGS[$pid]:-}" ] || tenths=$((50 * VM_SLOW))
	kill -TERM "$pid" 2>/dev/null
	if ! wait_gone "$pid" "$tenths"; then
		kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 20
	fi
	wait "$pid" 2>/dev/null
	status=$?
	lib_untrack_pid "$pid"
	lib_check_valgrind "$pid" "$status"
	lib_check_sanitizers "$pid"
	return 0
}

lib_cleanup() {
	local p fd
	for fd in "${LIB_FDS[@]}"; do
		exec {fd}>&- 2>/dev/null
	done
	for p in "${LIB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${LIB_PIDS[@]}"; do
		if ! wait_gone "$p" 50; then
			kill -KILL "$p" 2>/dev/null
		fi
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
}
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- sanitizer reports ------------------------------------------------------

# A virtmeter built with --enable-sanitizers prints what AddressSanitizer,
# LeakSanitizer or UBSan find on its stderr, which start_virtmeter_on
# sends to its log, and aborts (make check sets ASAN_OPTIONS and
# UBSAN_OPTIONS). The report is also checked for here: a daemon whose log
# holds one fails its test, even one that never looks at its exit status.
SANITIZER_ERE='ERROR: (AddressSanitizer|LeakSanitizer)|AddressSanitizer:DEADLYSIGNAL|LeakSanitizer|runtime error:'
declare -gA LIB_VM_LOGS=() # PID of a virtmeter still to be checked -> its log

# vm_sanitized: $VIRTMETER was built with --enable-sanitizers (make check
# says so; run by hand, ASan's runtime is looked for in the binary).
vm_sanitized() {
	[ "${VIRTMETER_SANITIZERS:-}" = yes ] || grep -qa __asan_init "$VIRTMETER" 2>/dev/null
}

# lib_check_sanitizers PID: once PID has ended, a failing check with the
# report if its log holds a sanitizer report; nothing otherwise (and for
# a PID that start_virtmeter_on did not start).
lib_check_sanitizers() {
	local pid=$1 log
	log=${LIB_VM_LOGS[$pid]:-}
	[ -n "$log" ] || return 0
	unset "LIB_VM_LOGS[$pid]"
	[ -f "$log" ] && grep -Eq "$SANITIZER_ERE" "$log" || return 0
	tap_fail "virtmeter (pid $pid) ends without a sanitizer report in its log" \
		"$(grep -E -A40 "$SANITIZER_ERE" "$log" | head -n 80)"
}

# lib_stop_virtmeters: stops every virtmeter still running (as
# stop_virtmeter) and checks its log (and valgrind's), so that tap_done
# counts a report that a daemon printed as it ended (a leak) before
# printing the plan.
lib_stop_virtmeters() {
	local pid
	for pid in "${!LIB_VM_LOGS[@]}"; do
		stop_virtmeter "$pid" || true
	done
}

# ---- valgrind -----------------------------------------------------------------

# With VIRTMETER_VALGRIND=1 (make check-valgrind), every virtmeter that
# start_virtmeter_on or spawn_virtmeter starts runs under memcheck, after
# the commands of VM_WRAP, with its report in a file of its own beside its
# log (the daemon's own output stays as the test expects it). A definite
# or indirect leak at exit is an error; a possible one is not (pointers
# into the middle of blocks, as libraries keep them, make those). The
# children that an exec meter forks write nothing to the report: they
# hold a copy of the daemon's heap without its other threads, and turn
# their own leak check off (collectors/power/exec.c). When the daemon
# ends, an error in the report (or valgrind's exit status for one) fails
# the test with the report, as a sanitizer report does; the suppressions
# are valgrind.supp's.
LIB_VALGRIND=0
[ "${VIRTMETER_VALGRIND:-0}" = 1 ] && LIB_VALGRIND=1
VG_ERROR_EXITCODE=99
VG_SUPP=$top_srcdir/tests/integration/valgrind.supp
# How many times slower than native the daemon runs here: the deadlines of
# start-up and exit (and a test's own, where it waits on the daemon) are
# multiplied by it. Memcheck runs it 20 to 50 times slower, but mostly
# waits: a collector cycle or a scrape takes far less than its deadline.
VM_SLOW=1
[ "$LIB_VALGRIND" = 1 ] && VM_SLOW=10
declare -gA LIB_VG_LOGS=() # PID of a virtmeter under valgrind -> its report
if [ "$LIB_VALGRIND" = 1 ]; then
	! vm_sanitized || tap_skip_all "VIRTMETER_VALGRIND=1, but virtmeter is built with --enable-sanitizers, which valgrind cannot run: run it on a plain build"
	command -v valgrind >/dev/null 2>&1 || tap_skip_all "VIRTMETER_VALGRIND=1, but valgrind is not installed (Debian package valgrind)"
fi

# lib_valgrind_cmd REPORT: sets LIB_VG_CMD to the command that runs the
# daemon under memcheck with its report in REPORT (empty without
# VIRTMETER_VALGRIND=1).
lib_valgrind_cmd() {
	LIB_VG_CMD=()
	[ "$LIB_VALGRIND" = 1 ] || return 0
	LIB_VG_CMD=(valgrind --tool=memcheck --error-exitcode="$VG_ERROR_EXITCODE"
		--leak-check=full "--show-leak-kinds=definite,indirect"
		"--errors-for-leak-kinds=definite,indirect" --child-silent-after-fork=yes
		--num-callers=30 --suppressions="$VG_SUPP" --log-file="$1")
}

# lib_check_valgrind PID STATUS: once PID has ended with STATUS, a failing
# check with valgrind's report if it counts an error or valgrind exited
# with its error status; its summary as a diagnostic otherwise. Nothing
# for a PID that did not run under valgrind.
lib_check_valgrind() {
	local pid=$1 status=$2 report n
	report=${LIB_VG_LOGS[$pid]:-}
	[ -n "$report" ] || return 0
	unset "LIB_VG_LOGS[$pid]"
	n=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$report" 2>/dev/null | tail -n 1)
	if [ "${n:-0}" -gt 0 ] || [ "$status" = "$VG_ERROR_EXITCODE" ]; then
		tap_fail "virtmeter (pid $pid) ends without an error from valgrind's memcheck" \
			"status $status; $(basename "$report"):" \
			"$(head -n 200 "$report")"
	elif [ -n "$n" ]; then
		tap_diag "virtmeter (pid $pid) under memcheck: ERROR SUMMARY: 0 errors"
	else
		tap_diag "virtmeter (pid $pid) under memcheck ended with status $status before its summary"
	fi
}

# ---- ports -----------------------------------------------------------------

# port_is_free PORT: nothing listens on, or holds, 127.0.0.1:PORT.
port_is_free() {
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# free_port: sets FREE_PORT to a free loopback TCP port in 20000-32767
# (below Linux's default ephemeral range), never the same one twice in a
# script. Must not run in a subshell ($(...)), or the memory is lost.
# Another test running in parallel may still take the port before it is
# bound: start_virtmeter retries on "Address already in use".
free_port() {
	local i port
	FREE_PORT=""
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		case $LIB_PORTS in *" $port "*) continue ;; esac
		if port_is_free "$port"; then
			LIB_PORTS+="$port "
			FREE_PORT=$port
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# ---- Prometheus ----------------------------------------------------------------

# shellcheck disable=SC2034 # the PROM_* variables are for the scripts
PROM_PID=""  # the Prometheus started by start_prometheus
PROM_URL=""
PROM_LOG=""

# prom_ready: Prometheus at PROM_URL answers /-/ready.
prom_ready() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$PROM_URL/-/ready")" = 200 ]
}

# start_prometheus CONFIG [ARGS...]: starts a Prometheus on a free loopback
# port with the configuration file CONFIG (its data in $TEST_TMP/data, its
# output in $TEST_TMP/prometheus.log) and waits up to 15 s for it to be
# ready, trying another port when the chosen one was taken meanwhile. Sets
# PROM_PID, PROM_URL and PROM_LOG; returns 1 (PROM_PID empty) if it did
# not become ready. Stopped with the script's other processes.
start_prometheus() {
	local conf=$1 attempt
	shift
	PROM_PID=""
	PROM_LOG=$TEST_TMP/prometheus.log
	for ((attempt = 0; attempt < 3; attempt++)); do
		free_port || return 1
		PROM_URL=http://127.0.0.1:$FREE_PORT
		prometheus --config.file="$conf" --storage.tsdb.path="$TEST_TMP/data" \
			--web.listen-address="127.0.0.1:$FREE_PORT" "$@" >"$PROM_LOG" 2>&1 &
		PROM_PID=$!
		lib_track_pid "$PROM_PID"
		wait_for 15 prom_ready && return 0
		kill_pid "$PROM_PID"
		PROM_PID=""
		grep -qi 'address already in use' "$PROM_LOG" || return 1
	done
	return 1
}

# ---- virtmeter ---------------------------------------------------------------

# shellcheck disable=SC2034 # the VM_* variables are for the scripts
VM_PID=""    # the virtmeter started last
VM_PORT=""
VM_URL=""
VM_LOG=""    # its stdout and stderr
VM_STATUS="" # exit status that stop_virtmeter saw
LIB_NLOGS=0

# wait_healthz URL PID: waits (at most ~6 s, VM_SLOW times that) until
# URL/healthz answers 200 while PID lives. Returns 0 on success, 1 if PID
# ended, 2 on timeout.
wait_healthz() {
	local url=$1 pid=$2 i deadline=$((SECONDS + 6 * VM_SLOW)) code
	for ((i = 0; i < 60 * VM_SLOW && SECONDS <= deadline; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url/healthz" 2>/dev/null)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null || return 1
	return 2
}

# spawn_virtmeter ARGS...: runs "$VIRTMETER" ARGS... in the background
# with its stdout and stderr in a log of its own, without waiting for it;
# under VIRTMETER_VALGRIND=1, under memcheck. A command in the array
# VM_WRAP, if set, runs it (and must exec it). Sets VM_PID and VM_LOG;
# stop_virtmeter or kill_pid (or tap_done) stops it and checks its
# reports.
VM_WRAP=()
spawn_virtmeter() {
	LIB_NLOGS=$((LIB_NLOGS + 1))
	VM_LOG=$TEST_TMP/virtmeter.$LIB_NLOGS.log
	lib_valgrind_cmd "$TEST_TMP/virtmeter.$LIB_NLOGS.valgrind"
	"${VM_WRAP[@]}" "${LIB_VG_CMD[@]}" "$VIRTMETER" "$@" >"$VM_LOG" 2>&1 &
	VM_PID=$!
	lib_track_pid "$VM_PID"
	LIB_VM_LOGS[$VM_PID]=$VM_LOG
	[ "$LIB_VALGRIND" = 0 ] || LIB_VG_LOGS[$VM_PID]=$TEST_TMP/virtmeter.$LIB_NLOGS.valgrind
}

# start_virtmeter_on PORT ARGS...: spawn_virtmeter ARGS... (the caller
# passes the listen address itself) and waits until
# http://127.0.0.1:PORT/healthz answers. Sets VM_PID, VM_PORT, VM_URL and
# VM_LOG. Returns 0 when it serves; otherwise prints the log as
# diagnostics, reaps or kills the process and returns 1.
start_virtmeter_on() {
	local port=$1 rc
	shift
	# shellcheck disable=SC2034
	VM_PORT=$port
	VM_URL=http://127.0.0.1:$port
	spawn_virtmeter "$@"
	wait_healthz "$VM_URL" "$VM_PID"
	rc=$?
	[ $rc -eq 0 ] && return 0
	if [ $rc -eq 1 ]; then
		wait "$VM_PID" 2>/dev/null
		VM_STATUS=$?
		tap_diag "virtmeter $* exited with status $VM_STATUS before serving; its log:"
	else
		tap_diag "virtmeter $* did not answer /healthz within $((6 * VM_SLOW)) s; its log:"
	fi
	tap_diag_file "$VM_LOG"
	kill_pid "$VM_PID"
	return 1
}

# start_virtmeter ARGS...: start_virtmeter_on a free port, adding
# --web.listen-address=127.0.0.1:PORT. Retries with another port if a
# parallel test took that one first.
start_virtmeter() {
	local attempt
	for ((attempt = 0; attempt < 5; attempt++)); do
		free_port || return 1
		start_virtmeter_on "$FREE_PORT" "--web.listen-address=127.0.0.1:$FREE_PORT" "$@" &&
			return 0
		grep -q 'Address already in use' "$VM_LOG" || return 1
		tap_diag "port $FREE_PORT was taken meanwhile; trying another"
	done
	return 1
}

# stop_virtmeter [PID]: SIGTERM, waits up to 5 s (VM_SLOW times that),
# sets VM_STATUS to the exit status ("killed" if it had to be killed).
# Returns 0 if it exited 0.
stop_virtmeter() {
	local pid=${1:-$VM_PID}
	kill -TERM "$pid" 2>/dev/null
	if wait_gone "$pid" $((50 * VM_SLOW)); then
		wait "$pid" 2>/dev/null
		VM_STATUS=$?
	else
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		VM_STATUS=killed
	fi
	lib_untrack_pid "$pid"
	lib_check_valgrind "$pid" "$VM_STATUS"
	lib_check_sanitizers "$pid"
	[ "$VM_STATUS" = 0 ]
}

# ---- HTTP ------------------------------------------------------------------

# fetch NAME URL [CURL_ARGS...]: one request with curl (10 s at most);
# response headers in $TEST_TMP/NAME.h, body in $TEST_TMP/NAME.b, curl's
# errors in $TEST_TMP/NAME.err. Prints the status code ("000" when there
# was no response).
fetch() {
	local name=$1 url=$2
	shift 2
	: >"$TEST_TMP/$name.h"
	: >"$TEST_TMP/$name.b"
	curl -sS --max-time 10 -D "$TEST_TMP/$name.h" -o "$TEST_TMP/$name.b" \
		-w '%{http_code}' "$@" "$url" 2>"$TEST_TMP/$name.err"
	return 0
}

# header NAME HEADER: the value of HEADER (case-insensitive) in the
# response that fetch NAME got, without the trailing CR; empty if absent.
# Several occurrences are joined with ", ".
header() {
	tr -d '\r' <"$TEST_TMP/$1.h" | awk -v h="$2" '
		BEGIN { h = tolower(h) }
		{
			i = index($0, ":")
			if (i == 0) next
			if (tolower(substr($0, 1, i - 1)) != h) next
			v = substr($0, i + 1)
			sub(/^[ \t]+/, "", v)
			sub(/[ \t]+$/, "", v)
			out = (n++ ? out ", " : "") v
		}
		END { printf "%s", out }'
}

# Accept headers of real scrapers.
ACCEPT_PROM2='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
ACCEPT_PROM3='application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1'
# shellcheck disable=SC2034
ACCEPT_PROM3_PB="application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,$ACCEPT_PROM3"
# shellcheck disable=SC2034 # used by the scripts that source this file
CT_TEXT='text/plain; version=0.0.4; charset=utf-8'
# shellcheck disable=SC2034
CT_OPENMETRICS='application/openmetrics-text; version=1.0.0; charset=utf-8'

# scrape NAME FORMAT [URL]: fetches the metrics (FORMAT text or
# openmetrics) into $TEST_TMP/NAME.b; prints the status code.
scrape() {
	local accept
	case $2 in
	openmetrics) accept=$ACCEPT_PROM2 ;;
	*) accept='text/plain;version=0.0.4' ;;
	esac
	fetch "$1" "${3:-$VM_URL/metrics}" -H "Accept: $accept"
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.25 s until it succeeds
# or SECONDS have passed. Returns COMMAND's last status.
wait_for() {
	local limit=$1 i n
	shift
	n=$((limit * 4))
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.25
	done
	"$@"
}

# ---- exposition checks -----------------------------------------------------------

# expo_check FILE FORMAT: checks an exposition (FORMAT text or openmetrics)
# for what promtool does not catch; prints one line per problem and
# returns 1 if there is any. It checks: at least one sample; every sample
# belongs to a family with a TYPE line; HELP, TYPE and UNIT at most once per
# family; each family's lines are contiguous (no split family); no series
# (name and label set, in any label order) twice; no label name twice in a
# sample; values are numbers; in OpenMetrics, a final "# EOF" with nothing
# after it, no blank line, counter families named without _total and their
# samples with it, a UNIT line exactly where the family name ends in
# _seconds or _bytes; in text, no "# EOF" or "# UNIT" and counter names
# ending in _total.
expo_check() {
	[ -s "$1" ] || { echo "empty body"; return 1; }
	awk -v fmt="$2" '
	function prob(msg) { print "line " NR ": " msg; nprob++ }
	function startfam(name) {
		if (name == cur) return
		if (name in started) prob("family " name " split: its lines are not contiguous")
		started[name] = 1
		cur = name
	}
	function famof(name,   sfx, i, base) {
		if (name in type) return name
		for (i = 1; i <= nsfx; i++) {
			sfx = suffix[i]
			if (length(name) > length(sfx) && substr(name, length(name) - length(sfx) + 1) == sfx) {
				base = substr(name, 1, length(name) - length(sfx))
				if (base in type) return base
			}
		}
		return ""
	}
	# Parses the label set at the start of s (after "{"): sets LABELS to the
	# sorted "name=value" list and REST to what follows "}"; 0 on a syntax
	# error.
	function parse_labels(s,   i, c, n, st, lname, lval, pairs, np, j, k, t, seen_l) {
		np = 0; st = "name"; lname = ""; lval = ""
		n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (st == "name") {
				if (c == "}" && lname == "") { REST = substr(s, i + 1); st = "done"; break }
				if (c == "=") { st = "open"; continue }
				if (c == " " && lname == "") continue
				lname = lname c
			} else if (st == "open") {
				if (c != "\"") return 0
				st = "value"
			} else if (st == "value") {
				if (c == "\\") { lval = lval c substr(s, i + 1, 1); i++; continue }
				if (c == "\"") {
					if (lname !~ /^[a-zA-Z_][a-zA-Z0-9_]*$/) return 0
					if (lname in seen_l) prob("label " lname " twice in one sample")
					seen_l[lname] = 1
					pairs[++np] = lname "=\"" lval "\""
					lname = ""; lval = ""; st = "sep"
					continue
				}
				lval = lval c
			} else if (st == "sep") {
				if (c == ",") { st = "name"; continue }
				if (c == "}") { REST = substr(s, i + 1); st = "done"; break }
				return 0
			}
		}
		if (st != "done") return 0
		for (j = 2; j <= np; j++) {
			t = pairs[j]
			for (k = j - 1; k >= 1 && pairs[k] > t; k--) pairs[k + 1] = pairs[k]
			pairs[k + 1] = t
		}
		LABELS = ""
		for (j = 1; j <= np; j++) LABELS = LABELS (j > 1 ? "," : "") pairs[j]
		return 1
	}
	BEGIN {
		nsfx = split("_total _created _bucket _count _sum _gcount _gsum _info", suffix, " ")
		valid_type["counter"] = valid_type["gauge"] = valid_type["histogram"] = 1
		valid_type["summary"] = valid_type["untyped"] = valid_type["unknown"] = 1
		valid_type["info"] = valid_type["stateset"] = valid_type["gaugehistogram"] = 1
		num = "^[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?$"
	}
	{
		line = $0
		if (eof) { prob("content after # EOF"); next }
		if (line == "") { if (fmt == "openmetrics") prob("blank line"); next }
		if (substr(line, 1, 1) == "#") {
			if (line == "# EOF") {
				if (fmt != "openmetrics") prob("# EOF in the text format")
				eof = 1
				next
			}
			split(line, f, " ")
			kw = f[2]; name = f[3]
			if (kw == "HELP" || kw == "TYPE" || kw == "UNIT") {
				if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) { prob("bad metric name in " kw ": " name); next }
				startfam(name)
				if ((kw, name) in meta) prob(kw " of " name " given twice")
				meta[kw, name] = 1
				if (kw == "TYPE") {
					if (!(f[4] in valid_type)) prob("unknown type " f[4] " for " name)
					type[name] = f[4]
					order[++nfam] = name
				}
				if (kw == "UNIT") {
					if (fmt != "openmetrics") prob("# UNIT in the text format")
					unit[name] = f[4]
				}
			} else if (fmt == "openmetrics") {
				prob("comment line not allowed in OpenMetrics: " line)
			}
			next
		}
		if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { prob("unparsable line: " line); next }
		name = substr(line, 1, RLENGTH)
		rest = substr(line, RLENGTH + 1)
		LABELS = ""
		if (substr(rest, 1, 1) == "{") {
			REST = ""
			if (!parse_labels(substr(rest, 2))) { prob("bad label set: " line); next }
			rest = REST
		}
		if (substr(rest, 1, 1) != " ") { prob("no space before the value: " line); next }
		nv = split(substr(rest, 2), v, " ")
		if (nv < 1 || nv > 2) { prob("expected a value and at most a timestamp: " line); next }
		if (v[1] !~ num && v[1] !~ /^([-+]?Inf|NaN)$/) prob("bad value " v[1] ": " line)
		fam = famof(name)
		if (fam == "") { prob("sample " name " has no TYPE line"); next }
		if (fam != cur) prob("sample " name " is away from the other lines of " fam " (split family)")
		if (fmt == "openmetrics" && type[fam] == "counter" && name !~ /_(total|created)$/)
			prob("counter sample " name " does not end in _total")
		key = name "{" LABELS "}"
		if (key in series) prob("duplicate series " key)
		series[key] = 1
		nsamples++
	}
	END {
		if (nsamples == 0) prob("no samples")
		if (fmt == "openmetrics" && !eof) prob("no # EOF at the end")
		for (i = 1; i <= nfam; i++) {
			name = order[i]
			if (type[name] == "counter") {
				if (fmt == "openmetrics" && name ~ /_total$/) prob("OpenMetrics counter family " name " named with _total")
				if (fmt == "text" && name !~ /_total$/) prob("counter " name " does not end in _total")
			}
			if (fmt == "openmetrics") {
				want = ""
				if (name ~ /_seconds$/) want = "seconds"
				if (name ~ /_bytes$/) want = "bytes"
				u = (name in unit) ? unit[name] : ""
				if (want != "" && u != want) prob("family " name " lacks # UNIT " name " " want)
				if (u != "" && substr(name, length(name) - length(u)) != "_" u)
					prob("# UNIT " u " is not the suffix of " name)
			}
		}
		exit nprob > 0
	}' "$1"
}

# promtool_check FILE: promtool check metrics on FILE (text format). Prints
# promtool's output; returns 0 only on exit 0 with no output at all (no
# lint problem either). Returns 2 if promtool is not installed.
promtool_check() {
	local out rc
	command -v promtool >/dev/null 2>&1 || return 2
	out=$(promtool check metrics <"$1" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}

# lint_scrape FILE FORMAT DESCRIPTION: one TAP check that the exposition is
# clean: expo_check, plus promtool for the text format when installed.
lint_scrape() {
	local out rc=0 p
	out=$(expo_check "$1" "$2") || rc=1
	if [ "$2" = text ]; then
		p=$(promtool_check "$1")
		case $? in
		0 | 2) ;;
		*)
			rc=1
			out="$out${out:+$'\n'}promtool: $p"
			;;
		esac
	fi
	if [ $rc -eq 0 ]; then
		tap_ok "$3"
	else
		tap_fail "$3" "$out"
	fi
}

# samples FILE NAME [LABEL=\"VALUE\"...]: the sample lines of metric NAME
# whose label set holds every given pair, written as in the exposition
# (escaped). Matched as plain strings, not regexes.
samples() {
	local file=$1 name=$2
	shift 2
	# Through the environment: awk -v would interpret the backslashes.
	S_NAME=$name S_WANT=$(printf '%s\037' "$@") awk -v NARGS=$# '
		BEGIN {
			name = ENVIRON["S_NAME"]
			n = NARGS ? split(ENVIRON["S_WANT"], w, "\037") - 1 : 0
		}
		index($0, name "{") != 1 && index($0, name " ") != 1 { next }
		{
			rest = substr($0, length(name) + 1)
			for (i = 1; i <= n; i++)
				if (!index(rest, "{" w[i] ",") && !index(rest, "{" w[i] "}") &&
				    !index(rest, "," w[i] ",") && !index(rest, "," w[i] "}"))
					next
			print
		}' "$file"
}

# value FILE NAME [PAIRS...]: the value of the one matching sample (empty
# if none; the first if several).
value() {
	samples "$@" | head -n 1 | awk '{ print $NF }'
}

# series_value FILE SERIES: the value of the sample whose name and labels
# are written exactly SERIES (e.g. 'virtmeter_collector_up{collector="host"}');
# empty if absent.
series_value() {
	# Through the environment, not awk -v, which would eat the backslashes
	# of escaped label values.
	SERIES="$2" awk 'BEGIN { s = ENVIRON["SERIES"] }
		index($0, s " ") == 1 { print substr($0, length(s) + 2); exit }' "$1" |
		cut -d' ' -f1
}

# has_sample FILE NAME: the exposition has a sample named exactly NAME.
has_sample() {
	grep -Eq "^$2(\{| )" "$1"
}
