#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# --web.config.file, the exporter-toolkit's file as node_exporter reads it,
# against real clients: a CA, server and client certificates made here with
# openssl; curl over TLS trusts the right CA and refuses a wrong one; a
# required client certificate is enforced and checked against the client
# CA; TLS 1.0 and 1.1 are refused under the default min_version (and
# served when min_version allows them, so that the refusal is the
# server's); cipher_suites restricts TLS 1.2; a node_exporter-style file
# with a bcrypt hash from htpasswd (or Python's crypt) is taken as is:
# the right password 200, a wrong or missing one 401 with the challenge on
# every path, the configured headers on every response, the password and
# the hash never in the log, the bcrypt check cached; a real Prometheus
# scrapes over TLS with basic auth and gets up 1; SIGHUP with a new
# certificate serves it on the same listening socket, and with a broken
# file or key keeps the old one with one log line; --check-config checks
# the file, and a bad one stops the start with FILE:LINE:COL.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl not installed"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
features=$("$VIRTMETER" --version | sed -n 's/.*features: \([^)]*\)).*/\1/p')
case ",$features," in *,tls,*) ;; *) tap_skip_all "virtmeter built without GnuTLS (features: $features)" ;; esac
case ",$features," in *,basic-auth,*) ;; *) tap_skip_all "virtmeter built without libxcrypt (features: $features)" ;; esac

D=$TEST_TMP/pki
mkdir -p "$D"
PASSWORD='correct horse battery'

# ---- certificates -----------------------------------------------------------
# ca NAME: a self-signed CA in $D/NAME.crt and .key.
ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$D/$1.key" -out "$D/$1.crt" >/dev/null 2>&1
}
# issue CA NAME CN EXT: a certificate for CN signed by CA, with the
# extensions EXT (openssl's x509v3 config lines, separated by \n).
issue() {
	printf '%b\n' "$4" >"$D/$2.ext"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$D/$2.key" \
		-out "$D/$2.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$D/$2.csr" -CA "$D/$1.crt" -CAkey "$D/$1.key" \
			-CAcreateserial -days 2 -extfile "$D/$2.ext" -out "$D/$2.crt" >/dev/null 2>&1
}
SERVER_EXT='subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
CLIENT_EXT='subjectAltName=DNS:scraper.example\nextendedKeyUsage=clientAuth'
ca ca && ca wrongca && ca rogueca &&
	issue ca server localhost "$SERVER_EXT" &&
	issue ca server2 localhost "$SERVER_EXT" &&
	issue ca client scraper "$CLIENT_EXT" &&
	issue rogueca rogue scraper "$CLIENT_EXT" ||
	tap_abort "openssl makes a CA, server and client certificates"
tap_ok "openssl makes a CA, server and client certificates"

# ---- virtmeter with a web configuration ---------------------------------------------
# write_web NAME CONTENT: the web configuration $TEST_TMP/NAME.yml.
write_web() {
	printf '%s\n' "$2" >"$TEST_TMP/$1.yml.new" && mv -f "$TEST_TMP/$1.yml.new" "$TEST_TMP/$1.yml"
}

# start_web NAME [ARGS...]: starts virtmeter on a free port with the web
# configuration NAME (only the host collector, to be quick) and waits
# until it logs that it serves (6 s, VM_SLOW times that at most). Sets
# VM_PID, VM_PORT, VM_LOG and URL (https://127.0.0.1:PORT). Returns 1 if
# it did not start.
start_web() {
	local name=$1 i attempt
	shift
	for ((attempt = 0; attempt < 5; attempt++)); do
		free_port || return 1
		VM_PORT=$FREE_PORT
		URL=https://127.0.0.1:$VM_PORT
		spawn_virtmeter --web.listen-address="127.0.0.1:$VM_PORT" \
			--web.config.file="$TEST_TMP/$name.yml" --collector.disable-defaults \
			--collector.host "$@"
		for ((i = 0; i < 60 * VM_SLOW; i++)); do
			grep -q 'started; metrics at path' "$VM_LOG" 2>/dev/null && return 0
			kill -0 "$VM_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill_pid "$VM_PID"
		grep -q 'Address already in use' "$VM_LOG" || break
	done
	tap_diag "virtmeter with $name.yml did not start; its log:"
	tap_diag_file "$VM_LOG"
	return 1
}

# get NAME PATH [CURL_ARGS...]: fetch over TLS from the virtmeter started
# last; prints the status ("000" when the connection or handshake failed).
get() {
	local name=$1 path=$2
	shift 2
	fetch "$name" "$URL$path" "$@"
}

# handshake ARGS...: an openssl s_client handshake with the virtmeter
# started last; its output in $TEST_TMP/sc.out. Returns s_client's status.
handshake() {
	timeout 10 openssl s_client -connect "127.0.0.1:$VM_PORT" "$@" </dev/null >"$TEST_TMP/sc.out" 2>&1
}

# fingerprint: the SHA-256 fingerprint of the certificate that the
# virtmeter started last serves.
fingerprint() {
	timeout 10 openssl s_client -connect "127.0.0.1:$VM_PORT" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'
}
file_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }

# listen_inode: the inode of the socket listening on VM_PORT.
listen_inode() {
	ss -Hltne "( sport = :$VM_PORT )" 2>/dev/null | grep -o 'ino:[0-9]*' | head -n1
}

# ---- TLS: the right CA, a wrong one, plain HTTP ---------------------------------------
write_web tls "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key"
start_web tls || tap_abort "virtmeter starts with a TLS web configuration"
tap_ok "virtmeter starts with a TLS web configuration (relative paths from the file's directory)"
tap_is "$(get ok /metrics --cacert "$D/ca.crt")" 200 "curl over TLS trusting the CA gets 200 from /metrics"
tap_check "the body served over TLS is the exposition" grep -q '^virtmeter_build_info{' "$TEST_TMP/ok.b"
tap_is "$(get wrong /metrics --cacert "$D/wrongca.crt")" 000 "curl trusting another CA refuses the server (no response)"
tap_like "$(cat "$TEST_TMP/wrong.err")" 'certificate' "curl says the certificate is the problem"
tap_unlike "$(fetch plain "http://127.0.0.1:$VM_PORT/metrics")" '^200$' "plain HTTP on the TLS port gets no 200"
tap_is "$(get v13 /metrics --cacert "$D/ca.crt" --tlsv1.3)" 200 "TLS 1.3 is served (max_version defaults to TLS13)"
tap_is "$(get v12 /metrics --cacert "$D/ca.crt" --tlsv1.2 --tls-max 1.2)" 200 "TLS 1.2 is served (min_version defaults to TLS12)"

# TLS 1.0 and 1.1, if this openssl still offers them (at security level 0).
if openssl s_client -help 2>&1 | grep -q -- '-tls1_1'; then
	for v in tls1 tls1_1; do
		if handshake -"$v" -cipher 'DEFAULT@SECLEVEL=0'; then
			tap_fail "$v is refused under the default min_version TLS12" "$(grep -E 'Protocol|Cipher' "$TEST_TMP/sc.out")"
		else
			tap_ok "$v is refused under the default min_version TLS12 (s_client fails)"
		fi
	done
	stop_virtmeter
	write_web tls10 "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  min_version: TLS10"
	start_web tls10 || tap_abort "virtmeter starts with min_version TLS10"
	if handshake -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' && grep -q 'Protocol *: TLSv1.1' "$TEST_TMP/sc.out"; then
		tap_ok "with min_version TLS10 the same TLS 1.1 handshake succeeds (so the refusal above is the server's)"
	else
		tap_fail "with min_version TLS10 the same TLS 1.1 handshake succeeds" "$(tail -n 15 "$TEST_TMP/sc.out")"
	fi
else
	tap_skip "TLS 1.0 and 1.1 are refused" "this openssl offers no TLS 1.1 (s_client has no -tls1_1)"
fi
stop_virtmeter

# cipher_suites restricts TLS 1.2 (max_version TLS12, as the toolkit's example).
write_web ciphers "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  max_version: TLS12
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
start_web ciphers || tap_abort "virtmeter starts with cipher_suites"
tap_check "cipher_suites [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]: a client offering it gets it" \
	handshake -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
tap_check "a client offering only ECDHE-RSA-AES128-GCM-SHA256 is refused" \
	fails handshake -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
tap_check "max_version TLS12: a TLS 1.3 client is refused" fails handshake -tls1_3
stop_virtmeter

# ---- client certificates -----------------------------------------------------------------
write_web mtls "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  client_ca_file: pki/ca.crt
  client_auth_type: RequireAndVerifyClientCert"
start_web mtls || tap_abort "virtmeter starts with RequireAndVerifyClientCert"
tap_is "$(get nocert /metrics --cacert "$D/ca.crt")" 000 "RequireAndVerifyClientCert: no client certificate, no response"
tap_is "$(get nocert12 /metrics --cacert "$D/ca.crt" --tls-max 1.2)" 000 "RequireAndVerifyClientCert: no client certificate over TLS 1.2, no response"
tap_is "$(get cert /metrics --cacert "$D/ca.crt" --cert "$D/client.crt" --key "$D/client.key")" 200 \
	"RequireAndVerifyClientCert: a client certificate of the client CA gets 200"
tap_is "$(get rogue /metrics --cacert "$D/ca.crt" --cert "$D/rogue.crt" --key "$D/rogue.key")" 000 \
	"RequireAndVerifyClientCert: a client certificate of another CA gets no response"
tap_is "$(get srv /metrics --cacert "$D/ca.crt" --cert "$D/server.crt" --key "$D/server.key")" 000 \
	"RequireAndVerifyClientCert: a certificate of the CA for servers only (extended key usage serverAuth) gets no response"
stop_virtmeter

write_web ifgiven "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  client_ca_file: pki/ca.crt
  client_auth_type: VerifyClientCertIfGiven
  client_allowed_sans: [scraper.example]"
start_web ifgiven || tap_abort "virtmeter starts with VerifyClientCertIfGiven"
tap_is "$(get cert /metrics --cacert "$D/ca.crt" --cert "$D/client.crt" --key "$D/client.key")" 200 \
	"VerifyClientCertIfGiven with client_allowed_sans: the client certificate naming scraper.example gets 200"
tap_is "$(get rogue /metrics --cacert "$D/ca.crt" --cert "$D/rogue.crt" --key "$D/rogue.key")" 000 \
	"VerifyClientCertIfGiven: a certificate of another CA gets no response"
stop_virtmeter
write_web sans "tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  client_ca_file: pki/ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [other.example]"
start_web sans || tap_abort "virtmeter starts with client_allowed_sans"
tap_is "$(get cert /metrics --cacert "$D/ca.crt" --cert "$D/client.crt" --key "$D/client.key")" 000 \
	"client_allowed_sans [other.example]: a trusted certificate naming only scraper.example gets no response"
stop_virtmeter

# ---- basic authentication: a node_exporter web-config.yml ----------------------------
# make_hash COST: a bcrypt hash of $PASSWORD, as the toolkit's
# documentation makes one (htpasswd -nBC), or with Python's crypt.
make_hash() {
	if command -v htpasswd >/dev/null 2>&1; then
		htpasswd -nbBC "$1" "" "$PASSWORD" | tr -d ':\n'
	else
		python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << int(sys.argv[1]))))' "$1" "$PASSWORD"
	fi
}
HASH=$(make_hash 12)
tap_like "$HASH" '^\$2[aby]\$12\$.{53}$' "a bcrypt hash of cost 12 is made ($(command -v htpasswd >/dev/null && echo htpasswd -B || echo "Python's crypt"))"
cat >"$TEST_TMP/node.yml" <<EOT
# A node_exporter web-config.yml, as its documentation writes one.
tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key

http_server_config:
  headers:
    X-Content-Type-Options: nosniff
    X-Frame-Options: deny

basic_auth_users:
  prometheus: $HASH
EOT
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/node.yml" --check-config 2>&1)
tap_is "$?:$out" "0:$TEST_TMP/node.yml: configuration OK" "--check-config takes the node_exporter web-config.yml unchanged"
start_web node --log.level=debug || tap_abort "virtmeter starts with the node_exporter web-config.yml"
tap_ok "virtmeter starts with the node_exporter web-config.yml"
CA=(--cacert "$D/ca.crt")
tap_is "$(get right /metrics "${CA[@]}" -u "prometheus:$PASSWORD")" 200 "the right password gets 200 from /metrics"
tap_check "and the exposition" grep -q '^virtmeter_build_info{' "$TEST_TMP/right.b"
tap_is "$(header right X-Content-Type-Options)/$(header right X-Frame-Options)" "nosniff/deny" \
	"the 200 carries the configured headers"
tap_is "$(get bad /metrics "${CA[@]}" -u "prometheus:wrong")" 401 "a wrong password gets 401"
tap_is "$(header bad WWW-Authenticate)" 'Basic realm="virtmeter"' "the 401 carries WWW-Authenticate: Basic realm=\"virtmeter\""
tap_is "$(header bad X-Content-Type-Options)" "nosniff" "the 401 carries the configured headers too"
tap_is "$(get none /metrics "${CA[@]}")" 401 "no credentials get 401"
tap_is "$(header none WWW-Authenticate)" 'Basic realm="virtmeter"' "with the challenge"
tap_is "$(get who /metrics "${CA[@]}" -u "nobody:$PASSWORD")" 401 "an unknown user with the right password gets 401"
for p in / /healthz /no/such/path; do
	tap_is "$(get p /"${p#/}" "${CA[@]}")" 401 "$p without credentials is 401"
done
tap_is "$(get p / "${CA[@]}" -u "prometheus:$PASSWORD")" 200 "/ with the password is 200"
tap_is "$(get p /no/such/path "${CA[@]}" -u "prometheus:$PASSWORD")" 404 "an unknown path with the password is 404"
tap_is "$(get p /metrics "${CA[@]}" -u "prometheus:$PASSWORD" -X POST)" 405 "POST with the password is 405"
tap_is "$(get p /metrics "${CA[@]}" -X POST)" 401 "POST without credentials is 401"

# The cache: a password seen before is not checked by bcrypt again. One
# request with a new wrong password pays a bcrypt check (cost 12); ten
# requests with the right one (on one connection) must cost less than two
# such checks, where they would cost ten without the cache.
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
curl -s -o /dev/null "${CA[@]}" -u "prometheus:new-wrong-$$" "$URL/metrics"
t1=$(ms)
urls=()
for ((i = 0; i < 10; i++)); do urls+=("$URL/metrics"); done
curl -s "${CA[@]}" -u "prometheus:$PASSWORD" "${urls[@]}" >/dev/null
t2=$(ms)
tap_check "ten scrapes with a known password take less than two bcrypt checks ($((t2 - t1)) ms; one check: $((t1 - t0)) ms)" \
	test $((t2 - t1)) -lt $((2 * (t1 - t0)))

tap_check "the password is nowhere in the log (level debug)" fails grep -qF -- "$PASSWORD" "$VM_LOG"
tap_check "the hash is nowhere in the log" fails grep -qF -- "$HASH" "$VM_LOG"
tap_check "the hash's salt is nowhere in the log" fails grep -qF -- "${HASH:7:22}" "$VM_LOG"

# ---- a real Prometheus scrapes over TLS with basic auth -----------------------------------
if command -v prometheus >/dev/null 2>&1; then
	cat >"$TEST_TMP/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: virtmeter-tls
    scheme: https
    tls_config:
      ca_file: $D/ca.crt
    basic_auth:
      username: prometheus
      password: '$PASSWORD'
    static_configs:
      - targets: ['127.0.0.1:$VM_PORT']
EOT
	start_prometheus "$TEST_TMP/prometheus.yml"
	if [ -z "$PROM_PID" ]; then
		tap_diag_file "$PROM_LOG"
		tap_fail "Prometheus starts"
	else
		# prom_value PROMQL: the value of the query's first sample.
		prom_value() {
			curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
				grep -o '"value":\[[0-9.]*,"[^"]*"\]' | head -n1 | sed 's/.*,"\([^"]*\)"\]/\1/'
		}
		up=""
		for ((i = 0; i < 60; i++)); do
			up=$(prom_value 'up{job="virtmeter-tls"}')
			[ "$up" = 1 ] && break
			sleep 0.5
		done
		tap_is "$up" 1 "Prometheus scraping over TLS with basic auth has up{job=\"virtmeter-tls\"} 1"
		n=$(prom_value 'scrape_samples_scraped{job="virtmeter-tls"}')
		tap_check "and ingested the exposition ($n samples)" test "${n:-0}" -gt 10
		tap_like "$(prom_value 'virtmeter_build_info{job="virtmeter-tls"}')" '^1$' "Prometheus has virtmeter_build_info from the TLS scrapes"
		kill_pid "$PROM_PID"
	fi
else
	tap_skip "a real Prometheus scrapes over TLS with basic auth" "prometheus not installed"
fi
tap_check "after the Prometheus scrapes, the password is still nowhere in the log" \
	fails grep -qF -- "$PASSWORD" "$VM_LOG"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0"

# The shipped example, next to a certificate and key of the names it gives.
mkdir -p "$TEST_TMP/example"
cp "$top_srcdir/deploy/web-config.yml" "$TEST_TMP/example/web-config.yml"
cp "$D/server.crt" "$TEST_TMP/example/virtmeter.crt"
cp "$D/server.key" "$TEST_TMP/example/virtmeter.key"
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/example/web-config.yml" --check-config 2>&1)
tap_is "$?:$out" "0:$TEST_TMP/example/web-config.yml: configuration OK" \
	"deploy/web-config.yml passes --check-config as shipped (beside its certificate and key)"

# ---- bad files stop the start, with FILE:LINE:COL --------------------------------------
HASH13=$(make_hash 13)
printf 'basic_auth_users:\n  prometheus: %s\n' "$HASH13" >"$TEST_TMP/cost.yml"
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/cost.yml" --web.listen-address=127.0.0.1:0 2>&1)
rc=$?
tap_is "$rc" 1 "a hash of cost 13 stops the start with status 1"
tap_like "$out" "$TEST_TMP/cost.yml:2:15: basic_auth_users.prometheus: expected a bcrypt hash .*cost above 12" \
	"the error names FILE:2:15, the user and the cost"
tap_check "the error does not show the hash" fails grep -qF -- "${HASH13:7:22}" <<<"$out"
printf 'tls_server_config:\n  cert_file: pki/server.crt\n  colour: blue\n' >"$TEST_TMP/unknown.yml"
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/unknown.yml" --check-config 2>&1)
tap_is "$?" 1 "--check-config on a web configuration with an unknown key exits with 1"
tap_like "$out" "$TEST_TMP/unknown.yml:3:3: unknown key 'colour' in tls_server_config" "and names FILE:3:3 and the key"
printf 'tls_server_config:\n  cert_file: pki/missing.crt\n  key_file: pki/server.key\n' >"$TEST_TMP/missing.yml"
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/missing.yml" --web.listen-address=127.0.0.1:0 2>&1)
tap_is "$?" 1 "a certificate file that is missing stops the start with status 1"
tap_like "$out" "$TEST_TMP/missing.yml:2:14: tls_server_config.cert_file $TEST_TMP/pki/missing.crt: cannot read it: No such file" \
	"and names FILE:2:14 and the file"
printf 'tls_server_config:\n  cert_file: pki/server.crt\n  key_file: pki/client.key\n' >"$TEST_TMP/mismatch.yml"
out=$("$VIRTMETER" --web.config.file="$TEST_TMP/mismatch.yml" --check-config 2>&1)
tap_like "$?: $out" "^1: .*mismatch.yml:3:13: tls_server_config.key_file .*: this is not the key of the certificate" \
	"a key that is not the certificate's is refused at FILE:3:13"

# ---- SIGHUP: a new certificate on the same listener; a broken file keeps the old -----
cp "$D/server.crt" "$D/live.crt" && cp "$D/server.key" "$D/live.key"
LIVE="tls_server_config:
  cert_file: pki/live.crt
  key_file: pki/live.key"
write_web live "$LIVE"
start_web live || tap_abort "virtmeter starts for the reload checks"
fp1=$(fingerprint)
ino1=$(listen_inode)
tap_is "$fp1" "$(file_fingerprint "$D/server.crt")" "before SIGHUP the first certificate is served"
# Replace both files (each in one rename), then SIGHUP.
cp "$D/server2.crt" "$D/live.crt.new" && mv -f "$D/live.crt.new" "$D/live.crt"
cp "$D/server2.key" "$D/live.key.new" && mv -f "$D/live.key.new" "$D/live.key"
kill -HUP "$VM_PID"
wait_for 5 grep -q 'web configuration reloaded from' "$VM_LOG"
fp2=$(fingerprint)
tap_is "$fp2" "$(file_fingerprint "$D/server2.crt")" "after SIGHUP the new certificate is served"
tap_check "and it is another certificate" test "$fp2" != "$fp1"
tap_is "$(listen_inode)" "$ino1" "on the same listening socket ($ino1): the listener was not dropped"
tap_check "by the same process" kill -0 "$VM_PID"
tap_is "$(get r1 /metrics "${CA[@]}")" 200 "scrapes go on after the reload"
tap_is "$(series_value "$TEST_TMP/r1.b" virtmeter_config_last_reload_successful)" 1 \
	"virtmeter_config_last_reload_successful is 1 after the good reload"
tap_is "$(get tls12 /metrics "${CA[@]}" --tls-max 1.2)" 200 "TLS 1.2 is served under min_version TLS12"
write_web live "$LIVE
  min_version: TLS13"
kill -HUP "$VM_PID"
wait_for 5 test "$(grep -c 'web configuration reloaded from' "$VM_LOG")" -ge 2
tap_is "$(get tls12 /metrics "${CA[@]}" --tls-max 1.2)" 000 \
	"after SIGHUP with min_version TLS13, a TLS 1.2 client is refused: new connections take the new settings"
tap_is "$(get tls13 /metrics "${CA[@]}")" 200 "and TLS 1.3 is served"

write_web live "tls_server_config:
  cert_file: pki/live.crt
  key_file: pki/live.key
  colour: blue"
kill -HUP "$VM_PID"
wait_for 5 grep -q 'web configuration reload rejected' "$VM_LOG"
tap_is "$(grep -c 'web configuration reload rejected' "$VM_LOG")" 1 "SIGHUP with a broken file logs one line"
tap_like "$(grep 'reload rejected' "$VM_LOG")" \
	"level=error msg=\"web configuration reload rejected: $TEST_TMP/live.yml:4:3: unknown key 'colour'.*; keeping the running web configuration\"" \
	"naming FILE:4:3 and saying the running configuration stays"
tap_is "$(fingerprint)" "$fp2" "the certificate served is still the last good one"
tap_is "$(get r2 /metrics "${CA[@]}")" 200 "scrapes go on"
tap_is "$(series_value "$TEST_TMP/r2.b" virtmeter_config_last_reload_successful)" 0 \
	"virtmeter_config_last_reload_successful is 0 after the rejected reload"

write_web live "$LIVE"
cp "$D/client.key" "$D/live.key.new" && mv -f "$D/live.key.new" "$D/live.key"
kill -HUP "$VM_PID"
wait_for 5 test "$(grep -c 'web configuration reload rejected' "$VM_LOG")" -ge 2
tap_like "$(grep 'reload rejected' "$VM_LOG" | tail -n1)" "live.yml:3:13: tls_server_config.key_file .*live.key: this is not the key of the certificate" \
	"SIGHUP with a key that does not match the new certificate is rejected"
tap_is "$(fingerprint)" "$fp2" "and the last good certificate is still served"

write_web live "basic_auth_users: {}"
kill -HUP "$VM_PID"
wait_for 5 test "$(grep -c 'web configuration reload rejected' "$VM_LOG")" -ge 3
tap_like "$(grep 'reload rejected' "$VM_LOG" | tail -n1)" "TLS cannot be turned off by a reload" \
	"SIGHUP with a file without TLS is rejected: TLS is not turned off under a running server"
tap_is "$(fingerprint)" "$fp2" "and TLS goes on with the last good certificate"
stop_virtmeter
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with status 0 after the reloads"

# ---- rate_limit (plain HTTP: TLS is not needed for it) -----------------------------------
write_web rate "rate_limit:
  interval: 1m
  burst: 2"
start_web rate || tap_abort "virtmeter starts with a rate_limit"
URL=http://127.0.0.1:$VM_PORT
codes="$(get a /healthz) $(get b /healthz) $(get c /healthz)"
tap_is "$codes" "200 200 429" "rate_limit burst 2, one more a minute: the third request is 429"
stop_virtmeter

tap_done
