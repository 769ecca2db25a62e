#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Under load and abuse, scrapes keep working: 8 concurrent scrape loops
# (200 scrapes in all, text, OpenMetrics and gzip) run while 20 slowloris
# connections trickle a header every second and never finish their request.
# Every scrape must answer 200 with a non-empty, clean body. Once the
# trickle stops, --web.timeout closes the slow connections; connections
# that never send anything are closed after the timeout (not before). With
# --web.max-connections=N, N held connections keep a further request from
# being served, and it is served once one is released.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"

TIMEOUT=2     # --web.timeout, seconds
NSLOW=20
NLOOPS=8
PER_LOOP=25   # 8 x 25 = 200 scrapes
PHASE_MAX=40  # seconds the scrape phase may take at most

# open_conn: opens a connection to the daemon; sets CONN to its fd.
open_conn() {
	CONN=""
	exec {CONN}<>"/dev/tcp/127.0.0.1/$VM_PORT" 2>/dev/null || return 1
	lib_track_fd "$CONN"
}

# is_closed FD: whether the server has closed the connection: reading it
# reaches end of file (after whatever it sent, e.g. an error response)
# instead of timing out.
is_closed() {
	local i rc _l
	for ((i = 0; i < 200; i++)); do
		read -r -t 0.01 -u "$1" _l 2>/dev/null
		rc=$?
		[ $rc -eq 0 ] && continue
		[ $rc -gt 128 ] && return 1
		return 0
	done
	return 1
}

# elapsed SINCE: seconds (decimal) since the $EPOCHREALTIME value SINCE.
elapsed() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

start_virtmeter "--web.timeout=${TIMEOUT}s" || tap_abort "virtmeter starts with --web.timeout=${TIMEOUT}s"
tap_ok "virtmeter starts with --web.timeout=${TIMEOUT}s"

# ---- 20 slowloris connections ---------------------------------------------------------
SLOW=()
for ((i = 0; i < NSLOW; i++)); do
	open_conn || break
	printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n' 1>&"$CONN" 2>/dev/null
	SLOW+=("$CONN")
done
tap_is "${#SLOW[@]}" "$NSLOW" "$NSLOW slowloris connections are open"

# ---- 8 scrape loops ----------------------------------------------------------------------
LOOP_PIDS=()
for ((l = 0; l < NLOOPS; l++)); do
	case $((l % 3)) in
	0) args=(-H 'Accept: text/plain') ;;
	1) args=(-H "Accept: $ACCEPT_PROM2") ;;
	2) args=(-H 'Accept: text/plain' -H 'Accept-Encoding: gzip') ;;
	esac
	(
		for fd in "${SLOW[@]}"; do exec {fd}>&-; done
		for ((n = 0; n < PER_LOOP; n++)); do
			r=$(curl -sS --max-time 5 -o "$TEST_TMP/loop$l.body" \
				-w '%{http_code} %{size_download} %{time_total}' "${args[@]}" \
				"$VM_URL/metrics" 2>>"$TEST_TMP/loop$l.err")
			echo "${r:-000 0 0}" >>"$TEST_TMP/loop$l.res"
			sleep 0.2
		done
	) &
	LOOP_PIDS+=("$!")
	lib_track_pid "$!"
done

# Trickle one header a second on every slow connection while the loops run.
closed_during=0
declare -A CLOSED=()
start=$SECONDS
for ((t = 1; t <= PHASE_MAX; t++)); do
	running=0
	for p in "${LOOP_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
	[ $running -eq 0 ] && break
	sleep 1
	for fd in "${SLOW[@]}"; do
		[ -n "${CLOSED[$fd]:-}" ] && continue
		if ! printf 'X-Slow-%d: %d\r\n' "$t" "$t" 1>&"$fd" 2>/dev/null; then
			CLOSED[$fd]=1
			closed_during=$((closed_during + 1))
		fi
	done
done
for p in "${LOOP_PIDS[@]}"; do
	if kill -0 "$p" 2>/dev/null; then
		tap_diag "scrape loop $p still running after ${PHASE_MAX}s: killed"
		kill_pid "$p"
	else
		wait "$p" 2>/dev/null
		lib_untrack_pid "$p"
	fi
done
tap_diag "scrape phase: $((SECONDS - start)) s; slow connections closed by the server meanwhile: $closed_during"

cat "$TEST_TMP"/loop*.res >"$TEST_TMP/all.res" 2>/dev/null
tap_is "$(wc -l <"$TEST_TMP/all.res" | tr -d ' ')" $((NLOOPS * PER_LOOP)) \
	"all $((NLOOPS * PER_LOOP)) scrapes ran during the slowloris"
bad=$(awk '$1 != 200 || $2 <= 0' "$TEST_TMP/all.res" | sort | uniq -c | head -n 5)
tap_is "$bad" "" "every scrape during the slowloris answered 200 with a non-empty body"
[ -n "$bad" ] && tap_diag "curl errors:" "$(cat "$TEST_TMP"/loop*.err 2>/dev/null | sort | uniq -c | head -n 5)"
tap_diag "scrape time under load: $(sort -k3 -g "$TEST_TMP/all.res" | awk '{ t[NR] = $3 } END { if (NR) printf "median %.4f s, max %.4f s", t[int((NR + 1) / 2)], t[NR] }')"
lint_scrape "$TEST_TMP/loop0.body" text "the last text scrape under load is a clean exposition"
lint_scrape "$TEST_TMP/loop1.body" openmetrics "the last OpenMetrics scrape under load is a clean exposition"
if gzip -dc <"$TEST_TMP/loop2.body" >"$TEST_TMP/loop2.txt" 2>/dev/null; then
	lint_scrape "$TEST_TMP/loop2.txt" text "the last gzip scrape under load gunzips to a clean exposition"
else
	tap_fail "the last gzip scrape under load gunzips to a clean exposition" "gzip -d failed"
fi

# ---- the slow connections go once they stop trickling -------------------------------------
t0=$EPOCHREALTIME
limit=$((TIMEOUT + 4))
open=()
for ((i = 0; i < limit * 4; i++)); do
	open=()
	for fd in "${SLOW[@]}"; do
		is_closed "$fd" || open+=("$fd")
	done
	[ ${#open[@]} -eq 0 ] && break
	sleep 0.25
done
if [ ${#open[@]} -eq 0 ]; then
	tap_ok "the server closes all $NSLOW slow connections once idle ($(elapsed "$t0") s; --web.timeout=${TIMEOUT}s)"
else
	tap_fail "the server closes all $NSLOW slow connections once idle" \
		"${#open[@]} still open ${limit} s after their last byte"
fi
for fd in "${SLOW[@]}"; do lib_close_fd "$fd"; done

# ---- connections that send nothing -------------------------------------------------------------
IDLE=()
for ((i = 0; i < 5; i++)); do
	open_conn && IDLE+=("$CONN")
done
t0=$EPOCHREALTIME
declare -A GONE=()
early=""
for ((i = 0; i < limit * 5; i++)); do
	for fd in "${IDLE[@]}"; do
		[ -n "${GONE[$fd]:-}" ] && continue
		is_closed "$fd" && GONE[$fd]=$(elapsed "$t0")
	done
	[ ${#GONE[@]} -eq ${#IDLE[@]} ] && break
	sleep 0.2
done
times=""
for fd in "${IDLE[@]}"; do
	times="$times ${GONE[$fd]:-open}"
	if [ -n "${GONE[$fd]:-}" ] && awk -v t="${GONE[$fd]}" 'BEGIN { exit !(t < 1.0) }'; then
		early="$early ${GONE[$fd]}"
	fi
done
tap_is "${#GONE[@]}" "${#IDLE[@]}" "connections that send nothing are closed within $limit s (closed after:$times s)"
tap_is "${early# }" "" "connections that send nothing are not closed before 1 s (the timeout is ${TIMEOUT}s)"
for fd in "${IDLE[@]}"; do lib_close_fd "$fd"; done

# What a connection that keeps trickling gets: for the record only, since
# --web.timeout is an idle timeout and such a connection is never idle.
if open_conn; then
	fd=$CONN
	printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n' 1>&"$fd" 2>/dev/null
	t0=$EPOCHREALTIME
	fate="still open after $((3 * TIMEOUT)) s of one header every 0.5 s"
	for ((i = 0; i < 6 * TIMEOUT; i++)); do
		sleep 0.5
		if ! printf 'X-T: %d\r\n' "$i" 1>&"$fd" 2>/dev/null || is_closed "$fd"; then
			fate="closed by the server after $(elapsed "$t0") s"
			break
		fi
	done
	tap_diag "a connection trickling headers: $fate"
	lib_close_fd "$fd"
fi

tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the slowloris, /healthz answers 200"
tap_is "$(scrape after text)" 200 "after the slowloris, /metrics answers 200"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM after the slowloris ends virtmeter with status 0"

# ---- --web.max-connections ----------------------------------------------------------------------
MAXC=4
if start_virtmeter "--web.max-connections=$MAXC" --web.timeout=30s; then
	HELD=()
	for ((i = 0; i < MAXC - 1; i++)); do
		open_conn && HELD+=("$CONN")
	done
	sleep 0.3
	tap_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$VM_URL/healthz")" 200 \
		"--web.max-connections=$MAXC: with $((MAXC - 1)) idle connections held, a request is served"
	open_conn && HELD+=("$CONN")
	sleep 0.3
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$VM_URL/healthz")
	tap_check "--web.max-connections=$MAXC: with $MAXC connections held, a further request is not served (got $code)" \
		test "$code" != 200
	lib_close_fd "${HELD[0]}"
	code=000
	for ((i = 0; i < 12 && code != 200; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$VM_URL/healthz")
	done
	tap_is "$code" 200 "--web.max-connections=$MAXC: once one connection is released, requests are served again"
	for fd in "${HELD[@]:1}"; do lib_close_fd "$fd"; done
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts with --web.max-connections=$MAXC"
fi

tap_done
