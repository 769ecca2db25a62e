#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# An honest scraper keeps its scrapes while hostile clients attack: one
# scrape a second, as Prometheus does (keep-alive, gzip), must get every
# answer, 200, each within 1 s, while
#   - 300 idle connections come from two other addresses (127.0.0.2, .3),
#   - 300 idle connections come from the scraper's own address,
#   - 60 slowloris connections from the scraper's own address trickle a
#     header a second and never finish their request,
#   - 50 clients hammer /metrics as fast as it answers (as `hey -c 50`),
# each attacker reopening at once whatever the server closes; then again
# with --web.max-connections below the attack (64 against 300 idle
# connections, 32 against 60 slowloris), where the oldest idle connections
# are closed to make room, and none of the scraper's is refused. Past
# that: responses of the metrics in flight are capped by
# --web.max-requests (503 with Retry-After, /healthz still served), a
# response that nobody takes is cut after --web.timeout, and connections
# past the limit that nothing idle can make room for wait for a slot
# instead of being refused. The figures of each attack (scrapes ok, worst
# latency, what the attacker saw) are printed as diagnostics. Loopback
# addresses only; every attack lasts a bounded time.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not installed"

PY=(python3 -B "$top_srcdir/tests/integration/hostile.py")
NSCRAPES=15 # one a second, for each attack
MAX_LATENCY=1.0

# The attackers and the daemon hold a few hundred descriptors each.
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt 4096 ]; then
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge 4096 ]; then
		ulimit -Sn 4096
	else
		ulimit -Sn "$hard"
	fi
fi
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge 1024 ] ||
	tap_skip_all "the limit on open files is $(ulimit -Sn), below 1024"
tap_diag "open files: soft limit $(ulimit -Sn), hard $(ulimit -Hn)"

# stat_of FILE KEY: a "key value" line of an attacker's summary.
stat_of() {
	awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}

# under_attack NAME CONNS MODE SRCS [VIRTMETER FLAGS...]: starts virtmeter
# with the flags, starts the attacker (CONNS connections of MODE from the
# comma-separated SRCS) for NSCRAPES + 4 s, lets it settle for 2 s, runs
# the scraper from 127.0.0.1, and scrapes the daemon's own figures just
# before the attack ends into $TEST_TMP/NAME.self. Checks that every
# scrape answered 200 within MAX_LATENCY. Results: NAME.scrapes (one line
# per scrape) and NAME.attack (the attacker's summary).
under_attack() {
	local name=$1 conns=$2 mode=$3 srcs=$4 apid ok worst
	shift 4
	if ! start_virtmeter "$@"; then
		tap_fail "$name: virtmeter starts with $*"
		return 1
	fi
	"${PY[@]}" "$mode" "$VM_PORT" "$srcs" "$conns" $((NSCRAPES + 4)) \
		"$TEST_TMP/$name.attack" 2>"$TEST_TMP/$name.attack.err" &
	apid=$!
	lib_track_pid "$apid"
	sleep 2
	"${PY[@]}" scrape "$VM_PORT" 127.0.0.1 "$NSCRAPES" "$TEST_TMP/$name.scrapes"
	fetch "$name.self" "$VM_URL/metrics" -H 'Accept: text/plain' >/dev/null
	cp "$TEST_TMP/$name.self.b" "$TEST_TMP/$name.self" 2>/dev/null
	if ! wait_gone "$apid" 100; then
		tap_diag "$name: the attacker did not end in time"
		kill_pid "$apid"
	fi
	wait "$apid" 2>/dev/null
	lib_untrack_pid "$apid"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "$name: SIGTERM after the attack ends virtmeter with status 0"
	[ -s "$TEST_TMP/$name.attack" ] || tap_diag "$name: the attacker failed:" \
		"$(head -n 5 "$TEST_TMP/$name.attack.err")"
	ok=$(awk '$1 == 200 { n++ } END { print n + 0 }' "$TEST_TMP/$name.scrapes")
	worst=$(awk '$2 > w { w = $2 } END { printf "%.3f", w }' "$TEST_TMP/$name.scrapes")
	tap_diag "$name: scrapes ok $ok/$NSCRAPES, worst latency $worst s;" \
		"  attacker: $(tr '\n' ' ' <"$TEST_TMP/$name.attack")"
	tap_is "$ok" "$NSCRAPES" "$name: every one of $NSCRAPES scrapes answered 200"
	awk -v m="$MAX_LATENCY" '$2 > m' "$TEST_TMP/$name.scrapes" >"$TEST_TMP/$name.slow"
	tap_is "$(wc -l <"$TEST_TMP/$name.slow" | tr -d ' ')" 0 \
		"$name: every scrape answered within $MAX_LATENCY s (worst $worst s)"
	[ -s "$TEST_TMP/$name.slow" ] && tap_diag_file "$TEST_TMP/$name.slow" 5
	awk '$1 != 200' "$TEST_TMP/$name.scrapes" | head -n 5 | sed 's/^/# failed: /'
	return 0
}

# self NAME SERIES: a value of the daemon's own figures near the end of the
# attack NAME (0 when absent).
self() {
	local v
	v=$(series_value "$TEST_TMP/$1.self" "$2")
	echo "${v:-0}"
}

# at_least X MIN: X >= MIN (decimals).
at_least() {
	awk -v x="$1" -v m="$2" 'BEGIN { exit !(x >= m) }'
}

# ---- the attacks, at the default limits ------------------------------------------------
under_attack idle-others 300 idle 127.0.0.2,127.0.0.3
tap_check "idle-others: the attacker held 300 connections at once ($(stat_of "$TEST_TMP/idle-others.attack" max_open))" \
	at_least "$(stat_of "$TEST_TMP/idle-others.attack" max_open)" 300
tap_check "idle-others: virtmeter held them all (virtmeter_http_connections $(self idle-others virtmeter_http_connections))" \
	at_least "$(self idle-others virtmeter_http_connections)" 300

under_attack idle-self 300 idle 127.0.0.1
tap_check "idle-self: the attacker held 300 connections from the scraper's address at once" \
	at_least "$(stat_of "$TEST_TMP/idle-self.attack" max_open)" 300
tap_is "$(stat_of "$TEST_TMP/idle-self.attack" refused)" 0 "idle-self: no connection of the attacker was refused either"

under_attack slowloris-self 60 slowloris 127.0.0.1
tap_check "slowloris-self: 60 trickling connections were open at once" \
	at_least "$(stat_of "$TEST_TMP/slowloris-self.attack" max_open)" 60
tap_check "slowloris-self: virtmeter held them (virtmeter_http_connections $(self slowloris-self virtmeter_http_connections))" \
	at_least "$(self slowloris-self virtmeter_http_connections)" 60

under_attack hammer 50 hammer 127.0.0.1
answered=$(stat_of "$TEST_TMP/hammer.attack" status_200)
tap_check "hammer: the 50 clients got at least 2,000 answers ($answered)" at_least "$answered" 2000
tap_is "$(stat_of "$TEST_TMP/hammer.attack" errors)" 0 "hammer: none of the 50 clients' requests failed (reset or closed)"
tap_is "$(stat_of "$TEST_TMP/hammer.attack" refused)" 0 "hammer: none of their connections was refused"

# ---- the same with fewer slots than attackers: the oldest idle make room --------------------
under_attack idle-others-64 300 idle 127.0.0.2,127.0.0.3 --web.max-connections=64
evicted=$(self idle-others-64 'virtmeter_http_connections_dropped_total{reason="evicted_waiting"}')
tap_check "idle-others-64: connections waiting for their head were closed to make room ($evicted)" \
	at_least "$evicted" 1
open=$(self idle-others-64 virtmeter_http_connections)
tap_check "idle-others-64: virtmeter held about 64 connections, not 300 ($open)" \
	awk -v x="$open" 'BEGIN { exit !(x >= 32 && x <= 80) }'

under_attack slowloris-self-32 60 slowloris 127.0.0.1 --web.max-connections=32
evicted=$(self slowloris-self-32 'virtmeter_http_connections_dropped_total{reason="evicted_waiting"}')
tap_check "slowloris-self-32: trickling connections were closed to make room ($evicted)" \
	at_least "$evicted" 1

# ---- responses of the metrics in flight ------------------------------------------------------------
# A body larger than what the kernel buffers for a connection that reads
# nothing (up to 4 MB on loopback): 1,000 containers, one made from the
# fixture and 999 hard-linked copies of it.
FIXTURE=$top_srcdir/tests/fixtures/cgroup/v2-systemd
# shellcheck source=../bench/lib.sh
. "$top_srcdir/tests/bench/lib.sh"
gen_tree "$TEST_TMP/tree" 1
first=$(find "$TEST_TMP/tree/system.slice" -maxdepth 1 -name 'docker-*.scope' | head -n 1)
for ((i = 1; i < 1000; i++)); do
	cp -al "$first" "$TEST_TMP/tree/system.slice/docker-$(printf '%064x' "$i").scope" || break
done
BIG=5000000

TIMEOUT=3
if start_virtmeter --path.cgroupfs="$TEST_TMP/tree" --collector.disable-defaults \
	--collector.cgroup --web.max-requests=2 --web.timeout=${TIMEOUT}s; then
	big=0
	for ((i = 0; i < 40; i++)); do
		fetch body "$VM_URL/metrics" -H 'Accept: text/plain' >/dev/null
		big=$(wc -c <"$TEST_TMP/body.b")
		[ "$big" -gt "$BIG" ] && break
		sleep 0.5
	done
	tap_check "the metrics of 1,000 containers are over $BIG bytes uncompressed ($big)" at_least "$big" "$BIG"
	# Three readers that take nothing: two hold the two slots.
	"${PY[@]}" slowread "$VM_PORT" 127.0.0.1 3 $((TIMEOUT + 2)) "$TEST_TMP/slowread.attack" &
	apid=$!
	lib_track_pid "$apid"
	sleep 1.5
	code=$(fetch busy "$VM_URL/metrics" -H 'Accept: text/plain')
	tap_is "$code" 503 "--web.max-requests=2: with 2 responses in flight, a further scrape answers 503"
	tap_is "$(header busy Retry-After)" 1 "the 503 says Retry-After: 1"
	tap_like "$(cat "$TEST_TMP/busy.b")" 'web\.max-requests' "the 503 names --web.max-requests"
	tap_is "$(fetch hz "$VM_URL/healthz")" 200 "meanwhile /healthz answers 200"
	wait "$apid" 2>/dev/null
	lib_untrack_pid "$apid"
	tap_check "the readers that took nothing were cut after --web.timeout=${TIMEOUT}s ($(stat_of "$TEST_TMP/slowread.attack" closed) closed)" \
		at_least "$(stat_of "$TEST_TMP/slowread.attack" closed)" 2
	code=000
	for ((i = 0; i < 20 && code != 200; i++)); do
		code=$(fetch free "$VM_URL/metrics" -H 'Accept: text/plain' -H 'Accept-Encoding: gzip')
		[ "$code" = 200 ] || sleep 0.25
	done
	tap_is "$code" 200 "once they are gone, a scrape answers 200"
	for ((i = 0; i < 12; i++)); do
		fetch self "$VM_URL/metrics" -H 'Accept-Encoding: gzip' >/dev/null
		gzip -dc <"$TEST_TMP/self.b" >"$TEST_TMP/self.txt" 2>/dev/null
		[ "$(series_value "$TEST_TMP/self.txt" 'virtmeter_http_connections_dropped_total{reason="response_timeout"}')" -ge 2 ] 2>/dev/null && break
		sleep 0.5
	done
	tap_check "virtmeter_http_connections_dropped_total{reason=\"response_timeout\"} counts them" \
		at_least "$(series_value "$TEST_TMP/self.txt" 'virtmeter_http_connections_dropped_total{reason="response_timeout"}')" 2
	tap_check "virtmeter_http_requests_rejected_total{reason=\"max_requests\"} counts the 503" \
		at_least "$(series_value "$TEST_TMP/self.txt" 'virtmeter_http_requests_rejected_total{reason="max_requests"}')" 1
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts on 1,000 containers with --web.max-requests=2"
fi

# ---- past the limit with nothing idle: new connections wait -------------------------------------
# 12 readers that take nothing keep every connection busy: virtmeter takes
# 4 and a few more, the rest and a new request wait in the accept queue
# until --web.timeout cuts the readers, and are then served.
if start_virtmeter --path.cgroupfs="$TEST_TMP/tree" --collector.disable-defaults \
	--collector.cgroup --web.max-connections=4 --web.max-requests=0 --web.timeout=${TIMEOUT}s; then
	for ((i = 0; i < 40; i++)); do
		fetch body "$VM_URL/metrics" -H 'Accept: text/plain' >/dev/null
		[ "$(wc -c <"$TEST_TMP/body.b")" -gt "$BIG" ] && break
		sleep 0.5
	done
	"${PY[@]}" slowread "$VM_PORT" 127.0.0.1 12 $((TIMEOUT + 1)) "$TEST_TMP/queue.attack" &
	apid=$!
	lib_track_pid "$apid"
	sleep 0.7
	r=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 15 "$VM_URL/healthz" 2>"$TEST_TMP/queue.err")
	tap_diag "a request behind 12 busy connections: ${r:-none} ($(cat "$TEST_TMP/queue.err"))"
	tap_is "${r%% *}" 200 "--web.max-connections=4 with 12 busy connections: a new request is not refused but served"
	tap_check "it waited for a slot (${r#* } s)" at_least "${r#* }" 1
	wait "$apid" 2>/dev/null
	lib_untrack_pid "$apid"
	stop_virtmeter
	tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
else
	tap_fail "virtmeter starts with --web.max-connections=4"
fi

tap_done
