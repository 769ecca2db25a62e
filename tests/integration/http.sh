#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The HTTP surface, driven with curl and raw sockets: status codes, the
# Allow header on 405, content negotiation for real scrapers (Prometheus
# 2.42, Prometheus 3 and its protobuf-first list, curl), gzip, Vary, HEAD,
# the landing page (what each health signal means), /healthz, and a
# request with a huge header that must be refused without hurting the
# daemon. The collect[] selection has its own script, collect.sh.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v gzip >/dev/null 2>&1 || tap_skip_all "gzip not installed"

start_virtmeter || tap_abort "virtmeter starts and serves /healthz"
tap_ok "virtmeter starts and serves /healthz"

# raw NAME REQUEST: sends REQUEST (printf format, \r\n written out) on a
# new connection and saves everything the server sends until it closes the
# connection (5 s at most) in $TEST_TMP/NAME.raw.
raw() {
	local fd
	if ! exec {fd}<>"/dev/tcp/127.0.0.1/$VM_PORT"; then
		: >"$TEST_TMP/$1.raw"
		return 1
	fi
	# shellcheck disable=SC2059 # the request is the format
	printf "$2" 1>&"$fd"
	timeout 5 cat <&"$fd" >"$TEST_TMP/$1.raw"
	exec {fd}>&-
}

# ---- content negotiation -------------------------------------------------------
tap_is "$(fetch none "$VM_URL/metrics" -H 'Accept:')" 200 "GET /metrics without Accept answers 200"
tap_is "$(header none Content-Type)" "$CT_TEXT" "no Accept: the text format 0.0.4"
tap_unlike "$(cat "$TEST_TMP/none.b")" '^# EOF' "no Accept: the body has no '# EOF'"
lint_scrape "$TEST_TMP/none.b" text "no Accept: the text body is a clean exposition"
tap_check "the text body has virtmeter_build_info" has_sample "$TEST_TMP/none.b" virtmeter_build_info
tap_like "$(header none Vary)" '(^|[ ,])Accept($|[ ,])' "/metrics answers with 'Vary: Accept'"
tap_like "$(header none Vary)" '(^|[ ,])Accept-Encoding($|[ ,])' "/metrics answers with 'Vary: Accept-Encoding'"
tap_is "$(header none Content-Encoding)" "" "no Accept-Encoding: no Content-Encoding"
tap_unlike "$(head -c2 "$TEST_TMP/none.b" | od -An -tx1 | tr -d ' ')" '^1f8b$' "no Accept-Encoding: the body is not gzip"

for accept in '*/*' 'text/plain' 'text/plain;version=0.0.4'; do
	fetch t "$VM_URL/metrics" -H "Accept: $accept" >/dev/null
	tap_is "$(header t Content-Type)" "$CT_TEXT" "Accept: $accept gets the text format"
	tap_unlike "$(cat "$TEST_TMP/t.b")" '^# EOF' "Accept: $accept: no '# EOF'"
done

for who in PROM2 PROM3 PROM3_PB OM_ONLY; do
	case $who in
	PROM2) accept=$ACCEPT_PROM2 desc="Prometheus 2.42's Accept" ;;
	PROM3) accept=$ACCEPT_PROM3 desc="Prometheus 3's Accept" ;;
	PROM3_PB) accept=$ACCEPT_PROM3_PB desc="Prometheus 3's protobuf-first Accept" ;;
	OM_ONLY) accept='application/openmetrics-text;version=1.0.0' desc="Accept: application/openmetrics-text;version=1.0.0" ;;
	esac
	tap_is "$(fetch "$who" "$VM_URL/metrics" -H "Accept: $accept")" 200 "$desc: 200"
	tap_is "$(header "$who" Content-Type)" "$CT_OPENMETRICS" "$desc gets OpenMetrics 1.0.0"
	tap_is "$(tail -n1 "$TEST_TMP/$who.b")" "# EOF" "$desc: the body ends with '# EOF'"
	lint_scrape "$TEST_TMP/$who.b" openmetrics "$desc: a clean OpenMetrics exposition"
done

# ---- gzip ------------------------------------------------------------------------------
tap_is "$(fetch gz "$VM_URL/metrics" -H 'Accept-Encoding: gzip')" 200 "Accept-Encoding: gzip: 200"
tap_is "$(header gz Content-Encoding)" gzip "Accept-Encoding: gzip gets Content-Encoding: gzip"
tap_like "$(header gz Vary)" 'Accept-Encoding' "a gzip response has 'Vary: Accept-Encoding'"
if gzip -dc <"$TEST_TMP/gz.b" >"$TEST_TMP/gunzipped" 2>"$TEST_TMP/gz.err"; then
	tap_ok "the gzip body gunzips"
else
	tap_fail "the gzip body gunzips" "$(cat "$TEST_TMP/gz.err")"
fi
lint_scrape "$TEST_TMP/gunzipped" text "the gunzipped body is a clean text exposition"
tap_check "the gunzipped body has virtmeter_build_info" has_sample "$TEST_TMP/gunzipped" virtmeter_build_info
fetch gzom "$VM_URL/metrics" -H 'Accept-Encoding: gzip' -H "Accept: $ACCEPT_PROM2" >/dev/null
tap_is "$(header gzom Content-Type)" "$CT_OPENMETRICS" "OpenMetrics with gzip: the OpenMetrics type"
tap_is "$(gzip -dc <"$TEST_TMP/gzom.b" 2>/dev/null | tail -n1)" "# EOF" "OpenMetrics with gzip: gunzips to a body ending in '# EOF'"
fetch gz0 "$VM_URL/metrics" -H 'Accept-Encoding: gzip;q=0' >/dev/null
tap_is "$(header gz0 Content-Encoding)" "" "Accept-Encoding: gzip;q=0 (refused) gets no Content-Encoding"
tap_check "Accept-Encoding: gzip;q=0 gets a plain body" has_sample "$TEST_TMP/gz0.b" virtmeter_build_info

# ---- HEAD ---------------------------------------------------------------------------
for case_ in "text|" "openmetrics|$ACCEPT_PROM2" "gzip|" ; do
	what=${case_%%|*}
	accept=${case_#*|}
	args=(-H "Accept: ${accept:-*/*}")
	[ "$what" = gzip ] && args+=(-H 'Accept-Encoding: gzip')
	fetch g "$VM_URL/metrics" "${args[@]}" >/dev/null
	code=$(fetch hd "$VM_URL/metrics" -I "${args[@]}")
	tap_is "$code" 200 "HEAD /metrics ($what) answers 200"
	for h in Content-Type Content-Encoding Vary; do
		tap_is "$(header hd "$h")" "$(header g "$h")" "HEAD /metrics ($what): the same $h as GET"
	done
done
raw head 'HEAD /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n'
tap_like "$(head -n1 "$TEST_TMP/head.raw")" '^HTTP/1\.[01] 200 ' "HEAD /metrics over a raw socket: 200"
body_bytes=$(awk 'BEGIN { RS = "\r\n\r\n" } NR > 1 { printf "%s", $0 }' "$TEST_TMP/head.raw" | wc -c)
tap_is "$body_bytes" 0 "HEAD /metrics sends no body"
tap_is "$(fetch hr "$VM_URL/" -I)" 200 "HEAD / answers 200"
tap_is "$(fetch hh "$VM_URL/healthz" -I)" 200 "HEAD /healthz answers 200"

# ---- other paths and methods -----------------------------------------------------------
tap_is "$(fetch q "$VM_URL/metrics?collect%5B%5D=host&x=1")" 200 "/metrics with a query string answers 200"
for path in /nope /metrics/ /metricsx /healthz/x /index.html /favicon.ico; do
	tap_is "$(fetch nf "$VM_URL$path")" 404 "GET $path answers 404"
done
for method in POST PUT DELETE PATCH OPTIONS; do
	tap_is "$(fetch m "$VM_URL/metrics" -X "$method" -d '')" 405 "$method /metrics answers 405"
	tap_is "$(header m Allow)" "GET, HEAD" "$method /metrics: 'Allow: GET, HEAD'"
done
for path in / /healthz; do
	tap_is "$(fetch m "$VM_URL$path" -X POST -d 'x=1')" 405 "POST $path answers 405"
	tap_is "$(header m Allow)" "GET, HEAD" "POST $path: 'Allow: GET, HEAD'"
done

# ---- landing page and health ----------------------------------------------------------
tap_is "$(fetch land "$VM_URL/")" 200 "GET / answers 200"
tap_like "$(header land Content-Type)" '^text/html' "GET / is text/html"
land=$(cat "$TEST_TMP/land.b")
tap_like "$land" 'href="/metrics"' "the landing page links to /metrics"
for c in host process; do
	tap_like "$land" ">$c<" "the landing page lists the $c collector"
done
tap_like "$land" '<th>cycle</th><th>source</th>' "the landing page has a cycle and a source column"
tap_like "$(grep '^<tr><td>host</td>' <<<"$land")" '<td>yes</td><td>ok \(1\)</td><td>no signal of its own</td>' \
	"the landing page: host's cycle is ok (1) and it has no source signal of its own"
tap_like "$land" '<dt>cycle</dt><dd><code>virtmeter_collector_up</code>' \
	"the landing page says that the cycle column is virtmeter_collector_up"
tap_like "$land" 'not that what it reads answers' "the landing page says what virtmeter_collector_up does not say"
tap_like "$land" '<code>virtmeter_meter_up</code> of power' "the landing page names the power meters' health family"
tap_like "$land" 'Alert on these for a source that is down' "the landing page says which signal to alert on for a source"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "GET /healthz answers 200"
tap_is "$(tr -d '\r\n' <"$TEST_TMP/hz.b")" ok "/healthz says 'ok'"

# ---- abuse ----------------------------------------------------------------------------
printf 'X-Big: ' >"$TEST_TMP/bighdr"
head -c 100000 /dev/zero | tr '\0' a >>"$TEST_TMP/bighdr"
code=$(fetch big "$VM_URL/metrics" -H "@$TEST_TMP/bighdr")
tap_like "$code" '^(4[0-9][0-9]|000)$' "a request with a 100 KB header is refused (4xx or closed)"
[ "$code" = 000 ] && tap_diag "curl: $(cat "$TEST_TMP/big.err")"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the huge header, /healthz still answers 200"
tap_is "$(scrape after text)" 200 "after the huge header, /metrics still answers 200"

raw junk 'GARBAGE\r\n\r\n'
tap_unlike "$(head -n1 "$TEST_TMP/junk.raw")" ' 200 ' "a garbage request line is not answered 200"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after a garbage request, /healthz still answers 200"

stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
tap_done
