#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The HTTP surface, driven with curl and raw sockets: status codes, the
# Allow header on 405, content negotiation for real scrapers (Prometheus
# 2.42, Prometheus 3 and its protobuf-first list, curl), gzip, Vary, HEAD,
# the landing page (what each health signal means), /healthz, requests
# with huge or garbage heads that must be refused without hurting the
# daemon, and the strictness of request heads (400 for an escaped NUL or
# .. in the path, HTTP/1.1 without Host, two Host or Content-Length
# headers, Content-Length with Transfer-Encoding). The collect[] selection
# has its own script, collect.sh.
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
	# shellcheck disable=SC2059 # the request is the format; a server that
	# closes early (a head too large) makes the write fail, quietly
	printf "$2" 1>&"$fd" 2>/dev/null
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

# More garbage: none of it is answered 200, none of it hurts the daemon.
raw bin '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'
tap_unlike "$(head -n1 "$TEST_TMP/bin.raw")" ' 200 ' "a TLS hello on the plain port is not answered 200"
raw nocolon 'GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'
tap_unlike "$(head -n1 "$TEST_TMP/nocolon.raw")" ' 200 ' "a header line without a colon is not answered 200"
head -c 70000 /dev/zero | tr '\0' a >"$TEST_TMP/longpath"
code=$(fetch long "$VM_URL/$(cat "$TEST_TMP/longpath")")
tap_like "$code" '^(4[0-9][0-9]|000)$' "a request line of 70 KB is refused (4xx or closed; got $code)"
hdrs=""
for i in $(seq 300); do hdrs+="X-H$i: $(printf '%0200d' 0)\\r\\n"; done
raw many "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n$hdrs\\r\\n"
tap_like "$(head -n1 "$TEST_TMP/many.raw")" '^(HTTP/1\.1 4[0-9][0-9] |$)' \
	"300 header lines of 200 bytes (past the 36 KiB a connection may use) are refused (4xx or closed)"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the garbage, /healthz still answers 200"

# ---- strict request heads: 400 ---------------------------------------------------------
# status NAME: the status code of the response that raw NAME saved.
status() { head -n1 "$TEST_TMP/$1.raw" | awk '{ print $2 }'; }
tap_is "$(fetch nul "$VM_URL/metrics%00")" 400 "GET /metrics%00 (an escaped NUL byte) answers 400"
tap_like "$(cat "$TEST_TMP/nul.b")" 'NUL byte' "the 400 says why: a NUL byte"
tap_is "$(fetch nulq "$VM_URL/metrics?collect%5B%5D=host%00x")" 400 "an escaped NUL byte in the query answers 400"
tap_is "$(fetch dd "$VM_URL/a/../metrics" --path-as-is)" 400 "GET /a/../metrics answers 400"
tap_is "$(fetch dde "$VM_URL/a/%2e%2e/metrics" --path-as-is)" 400 "GET /a/%2e%2e/metrics (.. escaped) answers 400"
tap_like "$(cat "$TEST_TMP/dde.b")" '"\.\." in the path' "the 400 says why: .. in the path"
tap_is "$(fetch dots "$VM_URL/metrics..")" 400 "GET /metrics.. answers 400"
raw nohost 'GET /metrics HTTP/1.1\r\n\r\n'
tap_is "$(status nohost)" 400 "an HTTP/1.1 request without Host answers 400"
tap_like "$(cat "$TEST_TMP/nohost.raw")" 'Host' "the 400 names the Host header"
raw http10 'GET /healthz HTTP/1.0\r\n\r\n'
tap_is "$(status http10)" 200 "an HTTP/1.0 request without Host answers 200"
raw twohosts 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
tap_is "$(status twohosts)" 400 "a request with two Host headers answers 400"
raw clte 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
tap_is "$(status clte)" 400 "a request with both Content-Length and Transfer-Encoding answers 400"
tap_like "$(cat "$TEST_TMP/clte.raw")" 'Content-Length and Transfer-Encoding' "the 400 says why"
tap_is "$(grep -c '^HTTP/' "$TEST_TMP/clte.raw")" 1 "and nothing after it is taken as a second request (the connection is closed)"
raw smuggle 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
tap_is "$(status smuggle)" 400 "a POST framed both ways answers 400, not 405"
tap_is "$(grep -c '^HTTP/' "$TEST_TMP/smuggle.raw")" 1 "the request hidden in its body is never answered"
raw twocl 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n'
tap_is "$(status twocl)" 400 "a request with two Content-Length headers answers 400"
tap_is "$(fetch fine "$VM_URL/metrics?collect%5B%5D=host")" 200 "an escaped query without NUL still answers 200"
tap_is "$(fetch hz "$VM_URL/healthz")" 200 "after the malformed requests, /healthz still answers 200"
sleep 1.5 # the counters are taken with the collectors' next cycle
scrape self text >/dev/null
tap_check "virtmeter_http_requests_rejected_total{reason=\"malformed\"} counts the 400s (at least 10)" \
	test "$(series_value "$TEST_TMP/self.b" 'virtmeter_http_requests_rejected_total{reason="malformed"}')" -ge 10

stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"
tap_done
