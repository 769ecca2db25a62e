#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Under load and abuse, scrapes keep working: 8 concurrent scrape loops
# (200 scrapes in all, text, OpenMetrics and gzip) run while 20 slowloris
# connections trickle a header every second and never finish their request
# (reconnecting whenever the server closes them). Every scrape must answer
# 200 with a non-empty, clean body. --web.timeout bounds both idle time and
# the time to send a request head: connections that never send anything,
# and connections that trickle headers forever, are closed after the
# timeout (not before), while a keep-alive client may make requests on one
# connection for longer than the timeout. 30 trickling connections from
# one address, filling --web.max-connections, keep no scrape from that
# address out: the oldest makes room, and closing them logs nothing at the
# default level. With --web.max-connections=N and N connections held, a
# further request is served: an idle keep-alive connection makes room
# first, then the one waiting longest for its request head.
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

# between X LO HI: whether LO <= X <= HI (decimals).
# shellcheck disable=SC2317 # called through tap_check
between() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

# open_slow: opens a connection and sends the start of a request that never
# ends; sets CONN to its fd.
open_slow() {
	open_conn || return 1
	printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n' 1>&"$CONN" 2>/dev/null
}

# trickle FD N: sends one more header line on FD; fails if the server has
# closed the connection (the write fails, or reading reaches end of file).
trickle() {
	printf 'X-Slow-%d: %d\r\n' "$2" "$2" 1>&"$1" 2>/dev/null && ! is_closed "$1"
}

# trickle_until_closed FD MAX: trickles a header on FD every 0.5 s, at most
# MAX times, until the server closes the connection. Sets TRICKLED to the
# seconds from the call to the close, or to "open".
trickle_until_closed() {
	local i t0=$EPOCHREALTIME
	TRICKLED=open
	for ((i = 0; i < $2; i++)); do
		sleep 0.5
		if ! trickle "$1" "$i"; then
			TRICKLED=$(elapsed "$t0")
			return 0
		fi
	done
	return 1
}

# get_on FD PATH: one keep-alive GET on the open connection FD; reads the
# whole response (2 s at most per line) and prints its status code, or
# "none" if the connection failed or closed.
get_on() {
	local fd=$1 line code="" len=0 _body
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$2" 1>&"$fd" 2>/dev/null ||
		{ echo none; return 0; }
	IFS= read -r -t 2 -u "$fd" line || { echo none; return 0; }
	code=$(printf '%s' "$line" | awk '{ print $2 }')
	while IFS= read -r -t 2 -u "$fd" line; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case ${line,,} in
		content-length:*) len=${line#*:} len=${len// /} ;;
		esac
	done
	if [ "$len" -gt 0 ] && ! IFS= read -r -N "$len" -t 2 -u "$fd" _body; then
		echo none
		return 0
	fi
	echo "${code:-none}"
}

start_virtmeter "--web.timeout=${TIMEOUT}s" || tap_abort "virtmeter starts with --web.timeout=${TIMEOUT}s"
tap_ok "virtmeter starts with --web.timeout=${TIMEOUT}s"

# ---- 20 slowloris connections ---------------------------------------------------------
SLOW=()
for ((i = 0; i < NSLOW; i++)); do
	open_slow || break
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

# Trickle one header a second on every slow connection while the loops run;
# like a real attacker, reopen each connection that the server closes.
closed_during=0
start=$SECONDS
for ((t = 1; t <= PHASE_MAX; t++)); do
	running=0
	for p in "${LOOP_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
	[ $running -eq 0 ] && break
	sleep 1
	for ((i = 0; i < ${#SLOW[@]}; i++)); do
		trickle "${SLOW[$i]}" "$t" && continue
		closed_during=$((closed_during + 1))
		lib_close_fd "${SLOW[$i]}"
		open_slow && SLOW[i]=$CONN
	done
done
phase=$((SECONDS - start))
for p in "${LOOP_PIDS[@]}"; do
	if kill -0 "$p" 2>/dev/null; then
		tap_diag "scrape loop $p still running after ${PHASE_MAX}s: killed"
		kill_pid "$p"
	else
		wait "$p" 2>/dev/null
		lib_untrack_pid "$p"
	fi
done
tap_diag "scrape phase: $phase s; slow connections closed by the server meanwhile: $closed_during"
if [ "$phase" -ge $((TIMEOUT + 3)) ]; then
	tap_check "trickling slowloris connections are closed while they trickle ($closed_during closed in $phase s, $NSLOW open at a time)" \
		test "$closed_during" -ge "$NSLOW"
else
	tap_skip "trickling slowloris connections are closed while they trickle" "the scrape phase took only $phase s"
fi

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
	tap_ok "the server closes all $NSLOW slow connections once they stop trickling ($(elapsed "$t0") s; --web.timeout=${TIMEOUT}s)"
else
	tap_fail "the server closes all $NSLOW slow connections once they stop trickling" \
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

# ---- a connection that trickles headers forever ----------------------------------------------
# MHD's idle timeout never fires for it; the request-head deadline does.
if open_conn; then
	fd=$CONN
	printf 'GET /metrics HTTP/1.1\r\n' 1>&"$fd" 2>/dev/null
	trickle_until_closed "$fd" $((6 * TIMEOUT))
	tap_check "a connection sending a header every 0.5 s but never the blank line is closed ${TIMEOUT}-$((TIMEOUT + 2)) s after connecting (closed after: $TRICKLED s)" \
		between "$TRICKLED" $((TIMEOUT - 1)).5 $((TIMEOUT + 2))
	lib_close_fd "$fd"
else
	tap_fail "a connection sending a header every 0.5 s but never the blank line is closed" "cannot connect"
fi

# ---- keep-alive ----------------------------------------------------------------------------------
out=$(curl -sS -v --max-time 10 -o /dev/null -o /dev/null -w '%{http_code} ' \
	"$VM_URL/healthz" "$VM_URL/metrics" 2>"$TEST_TMP/ka.err")
tap_is "$out" "200 200 " "a keep-alive client gets two answers in one curl invocation"
tap_check "curl reuses the connection for its second request" \
	grep -qi 're-using existing connection' "$TEST_TMP/ka.err"

# Requests 1.2 s apart on one connection, 3.6 s in all: the deadline starts
# afresh after each request, so a long-lived keep-alive connection stays.
if open_conn; then
	fd=$CONN
	codes=$(get_on "$fd" /healthz)
	for ((i = 0; i < 3; i++)); do
		sleep 1.2
		codes="$codes $(get_on "$fd" /healthz)"
	done
	tap_is "$codes" "200 200 200 200" "one keep-alive connection serves 4 requests 1.2 s apart, longer than --web.timeout=${TIMEOUT}s in all"
	# Then its next request head is due within the timeout too.
	printf 'GET /healthz HTTP/1.1\r\n' 1>&"$fd" 2>/dev/null
	trickle_until_closed "$fd" $((6 * TIMEOUT))
	tap_check "a keep-alive connection that then trickles its next request head is closed ${TIMEOUT}-$((TIMEOUT + 2)) s after its previous request (closed after: $TRICKLED s)" \
		between "$TRICKLED" $((TIMEOUT - 1)).5 $((TIMEOUT + 2))
	lib_close_fd "$fd"
else
	tap_fail "one keep-alive connection serves 4 requests" "cannot connect"
fi

tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the slowloris, /healthz answers 200"
tap_is "$(scrape after text)" 200 "after the slowloris, /metrics answers 200"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM after the slowloris ends virtmeter with status 0"

# ---- 30 trickling connections from one address ---------------------------------------------------
# --web.max-connections=30: trickling connections from 127.0.0.1 fill every
# slot. There is no limit per address to lock out a scraper that shares
# it: a scrape from 127.0.0.1 is served at once, and the connection that
# has waited longest for its request head is closed to make room for it.
NTRICKLE=30
if start_virtmeter "--web.timeout=${TIMEOUT}s" --web.max-connections=30; then
	TR=()
	for ((i = 0; i < NTRICKLE; i++)); do
		open_slow && TR+=("$CONN")
	done
	sleep 0.3
	r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "$VM_URL/metrics")
	tap_is "${r%% *}" 200 "with ${#TR[@]} trickling connections from 127.0.0.1 filling --web.max-connections=30, a scrape from it answers 200"
	tap_check "at once (${r#* } s)" between "${r#* }" 0 1
	tap_check "the oldest trickling connection was closed to make room" is_closed "${TR[0]}"
	nopen=0
	for fd in "${TR[@]:1}"; do trickle "$fd" 1 && nopen=$((nopen + 1)); done
	tap_is "$nopen" $((NTRICKLE - 1)) "the $((NTRICKLE - 1)) others are still open"
	for fd in "${TR[@]}"; do lib_close_fd "$fd"; done
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM after the trickling connections ends virtmeter with status 0"
	tap_is "$(grep -c 'request head' "$VM_LOG")" 0 \
		"closing them logged nothing at the default log level"
else
	tap_fail "virtmeter starts with --web.timeout=${TIMEOUT}s --web.max-connections=30"
fi

# ---- --web.max-connections: who makes room ------------------------------------------------------
# With every slot taken, a new connection closes an idle keep-alive
# connection first (its client has its answers and reconnects for the next
# one), the oldest first; once there is none, the connection that has
# waited longest for its first request head. A new request is never
# refused.
MAXC=4
if start_virtmeter "--web.max-connections=$MAXC" --web.timeout=30s; then
	open_conn && F1=$CONN
	open_conn && F2=$CONN
	open_conn && K1=$CONN
	tap_is "$(get_on "$K1" /healthz)" 200 "keep-alive connection 1 gets an answer"
	open_conn && K2=$CONN
	tap_is "$(get_on "$K2" /healthz)" 200 "keep-alive connection 2 gets an answer"
	sleep 0.3
	# state NAMES...: "open" or "closed" for each of the connections.
	state() {
		local n out=""
		for n in "$@"; do
			if is_closed "${!n}"; then out="$out $n:closed"; else out="$out $n:open"; fi
		done
		echo "${out# }"
	}
	tap_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$VM_URL/healthz")" 200 \
		"--web.max-connections=$MAXC with $MAXC connections held: a further request is served"
	tap_is "$(state K1 K2 F1 F2)" "K1:closed K2:open F1:open F2:open" \
		"the oldest idle keep-alive connection made room, the connections waiting for a head stay"
	# Each further request's connection closes after it: one more held
	# connection fills the pool again.
	open_conn && F3=$CONN
	tap_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$VM_URL/healthz")" 200 \
		"a second further request is served"
	tap_is "$(state K2 F1 F2 F3)" "K2:closed F1:open F2:open F3:open" \
		"the other keep-alive connection made room, though newer than those waiting for a head"
	open_conn && F4=$CONN
	tap_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$VM_URL/healthz")" 200 \
		"a third further request is served"
	tap_is "$(state F1 F2 F3 F4)" "F1:closed F2:open F3:open F4:open" \
		"with no keep-alive connection left, the one waiting longest for its head made room"
	for fd in "$F2" "$F3" "$F4"; do lib_close_fd "$fd"; done
	sleep 1.5 # the counters are taken with the collectors' next cycle
	scrape ev text >/dev/null
	tap_is "$(series_value "$TEST_TMP/ev.b" 'virtmeter_http_connections_dropped_total{reason="evicted_idle"}')" 2 \
		"virtmeter_http_connections_dropped_total{reason=\"evicted_idle\"} is 2"
	tap_is "$(series_value "$TEST_TMP/ev.b" 'virtmeter_http_connections_dropped_total{reason="evicted_waiting"}')" 1 \
		"virtmeter_http_connections_dropped_total{reason=\"evicted_waiting\"} is 1"
	for fd in "$F1" "$K1" "$K2"; do lib_close_fd "$fd"; done
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts with --web.max-connections=$MAXC"
fi

tap_done
