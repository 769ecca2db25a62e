#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The http meter against local servers that answer as the real plugs do:
# Shelly Gen1 (with basic auth, password from a file), Shelly Gen2 (over
# HTTPS with a test CA, and with digest auth), Tasmota (with and without
# its web password) and a PDU read with JSON paths and
# scales; and bad ones: garbage, truncated JSON, a wrong type, HTTP 401 and
# 500, a certificate that does not verify, a server that accepts and never
# answers. Every bad meter logs one clear line and has virtmeter_meter_up 0,
# the good ones keep being read, scrapes stay fast, a plug that restarts
# never takes the energy counter back, and no password reaches the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"
. "$(dirname "$0")/net_lib.sh"

net_require
make_certs || tap_abort "a test CA and certificates are made" "$(cat "$TEST_TMP/tls/openssl.log")"
start_netmeter shelly1 shelly2tls=shelly2@tls shelly2_digest tasmota tasmota_auth pdu plug_garbage plug_truncated \
	plug_wrongtype plug_500 hang tasmotabad=tasmota@badtls ||
	tap_abort "the fixture plugs start"
S2_TLS=$(port_of shelly2tls)
TAS_BAD=$(port_of tasmotabad)
PW=$TEST_TMP/plug.pass
password_file "$PW"
CA=$TEST_TMP/tls/ca.crt

CONF=$TEST_TMP/meters.yml
cat >"$CONF" <<EOC
meters:
  - name: shelly1
    type: http
    preset: shelly_gen1
    url: http://127.0.0.1:$(port_of shelly1)/
    username: $NET_USER
    password_file: $PW
    interval: 500ms
  - {name: shelly2, type: http, preset: shelly_gen2, url: "https://127.0.0.1:$S2_TLS", ca_file: $CA, interval: 500ms}
  - {name: tasmota, type: http, preset: tasmota, url: "http://127.0.0.1:$(port_of tasmota)"}
  - {name: digest, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of shelly2_digest)", username: admin, password_file: $PW}
  - {name: tasauth, type: http, preset: tasmota, url: "http://127.0.0.1:$(port_of tasmota_auth)", username: $NET_USER, password_file: $PW}
  - {name: tasbad, type: http, preset: tasmota, url: "http://127.0.0.1:$(port_of tasmota_auth)", username: $NET_USER, password: wrong-Pa55}
  - name: pdu
    type: http
    url: http://127.0.0.1:$(port_of pdu)/api/outlets
    zone: outlet2
    watts_path: outlets[1].power_mw
    watts_scale: 0.001
    energy_path: outlets[1].energy_wh
    energy_unit: Wh
    volts_path: outlets[1].voltage_dv
    volts_scale: 0.1
    interval: 500ms
    kind: outlet
  - {name: garbage, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of plug_garbage)"}
  - {name: truncated, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of plug_truncated)"}
  - {name: wrongtype, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of plug_wrongtype)"}
  - {name: status500, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of plug_500)"}
  - {name: badpass, type: http, preset: shelly_gen1, url: "http://127.0.0.1:$(port_of shelly1)", username: $NET_USER, password: wrong-Pa55}
  - {name: badcert, type: http, preset: tasmota, url: "https://127.0.0.1:$TAS_BAD", ca_file: $CA}
  - {name: insecure, type: http, preset: tasmota, url: "https://127.0.0.1:$TAS_BAD", tls_insecure: true}
  - {name: hang, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of hang)", interval: 500ms, timeout: 1s}
  - {name: hanglong, type: http, preset: shelly_gen2, url: "http://127.0.0.1:$(port_of hang)", timeout: 30s}
EOC
out=$("$VIRTMETER" --check-config --config.file="$CONF" 2>&1)
tap_is "$?" 0 "--check-config accepts http meters of every kind"
tap_unlike "$out" "Pa55" "--check-config does not print a password"

check_bad() { # NAME YAML EXPECTED-ERE
	printf '%s' "$2" >"$TEST_TMP/$1.yml"
	out=$("$VIRTMETER" --check-config --config.file="$TEST_TMP/$1.yml" 2>&1)
	tap_is "$?" 1 "--check-config refuses $1"
	tap_like "$out" "$TEST_TMP/$1.yml:$3" "$1 is reported at its line and column"
	tap_unlike "$out" "s3cret" "and the password is not printed"
}
check_bad missing-url $'meters:\n  - name: p\n    type: http\n    preset: tasmota\n' \
	'2:5: meters\[0\]: a meter of type http needs a url'
check_bad both-passwords $'meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n    username: u\n    password: s3cret\n    password_file: /etc/p\n' \
	"7:20: meters\[0\].password_file: give password or password_file, not both"
check_bad unknown-preset $'meters:\n  - {name: p, type: http, url: "http://p", preset: kasa, password: s3cret}\n' \
	"2:52: meters\[0\].preset: unknown value 'kasa' \(known: shelly_gen1, shelly_gen2, tasmota\)"
check_bad credentials-in-url $'meters:\n  - {name: p, type: http, preset: tasmota, url: "http://admin:s3cret@p"}\n' \
	'2:49: meters\[0\].url: put credentials in username and password'

start_virtmeter --config.file="$CONF" --no-collector.process --log.level=debug ||
	tap_abort "virtmeter starts with http meters"
wait_read_after shelly2 "$(now_s)" || tap_abort "the Shelly Gen2 meter reads" "$(cat "$VM_LOG")"
sleep 1.5
wait_read_after pdu "$(now_s)"
B=$TEST_TMP/m.b
lint_scrape "$B" text "the scrape with http meters is clean"

tap_is "$(meter_series "$B" virtmeter_meter_up shelly1)" 1 "Shelly Gen1 with basic auth is up"
tap_is "$(meter_series "$B" virtmeter_power_watts shelly1 "")" 61.36 "Shelly Gen1 meters[0].power"
tap_is "$(samples "$B" virtmeter_meter_up 'source="http"' 'meter="shelly1"' | wc -l)" 1 \
	"the source label is http"
tap_is "$(meter_series "$B" virtmeter_meter_up shelly2)" 1 "Shelly Gen2 over HTTPS with ca_file is up"
tap_is "$(meter_series "$B" virtmeter_power_watts shelly2 "")" 48.7 "Shelly Gen2 apower"
tap_is "$(samples "$B" virtmeter_meter_voltage_volts 'meter="shelly2"')" \
	'virtmeter_meter_voltage_volts{meter="shelly2",source="http",zone=""} 231.4' "Shelly Gen2 voltage, with source and zone"
tap_is "$(samples "$B" virtmeter_meter_current_amperes 'meter="shelly2"')" \
	'virtmeter_meter_current_amperes{meter="shelly2",source="http",zone=""} 0.241' "Shelly Gen2 current, with source and zone"
tap_is "$(zone_labels "$B" shelly2 "")" "wall -" "a plug reads the wall: kind=\"wall\" inside nothing"
tap_is "$(meter_series "$B" virtmeter_meter_up digest)" 1 "Shelly Gen2 with digest authentication (SHA-256) is up"
tap_is "$(meter_series "$B" virtmeter_power_watts tasmota "")" 27 "Tasmota StatusSNS.ENERGY.Power"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts tasmota "")" 229 "Tasmota Voltage"
tap_is "$(meter_series "$B" virtmeter_meter_up tasauth)" 1 "Tasmota with a web password (user and password in the query) is up"
tap_is "$(meter_series "$B" virtmeter_power_watts pdu outlet2)" 98 "a PDU's milliwatts scaled to watts, in its zone"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts pdu outlet2)" 230.1 "a PDU's decivolts scaled to volts, in its zone"
tap_is "$(zone_labels "$B" pdu outlet2)" "outlet -" "the PDU's kind: outlet labels its zone"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
tap_is "$(meter_series "$B" virtmeter_meter_up insecure)" 1 "tls_insecure: true reads a server whose certificate does not verify"
e1=$(meter_series "$B" virtmeter_energy_joules_total shelly2 "")
p1=$(meter_series "$B" virtmeter_energy_joules_total pdu outlet2)

for m in garbage truncated wrongtype status500 badpass tasbad badcert hang hanglong; do
	tap_is "$(meter_series "$B" virtmeter_meter_up "$m")" 0 "meter $m is down"
	tap_is "$(samples "$B" virtmeter_power_watts "meter=\"$m\"" | wc -l)" 0 "meter $m has no power sample"
done
U="http://127.0.0.1"
tap_check "garbage is logged as bad JSON" \
	log_has "meter garbage \(http\) failed: GET $U:[0-9]+/rpc/Switch.GetStatus\?id=0: bad JSON: a NUL byte; virtmeter_meter_up"
tap_check "truncated JSON is logged as bad JSON" \
	log_has "meter truncated \(http\) failed: GET .*: bad JSON: (lexical|parse) error: [a-z]"
tap_check "a wrong type is logged with its path" \
	log_has "meter wrongtype \(http\) failed: GET .*: watts at apower is a string, not a number"
tap_check "HTTP 500 is logged" log_has "meter status500 \(http\) failed: GET .*: HTTP status 500"
tap_check "HTTP 401 is logged with a hint" \
	log_has "meter badpass \(http\) failed: GET .*/status: HTTP status 401 \(check username and password\)"
tap_check "a wrong Tasmota password is logged without it" \
	log_has "meter tasbad \(http\) failed: GET $U:[0-9]+/cm\?cmnd=Status%208: no watts at StatusSNS.ENERGY.Power; the device says: Need user=<username>&password=<password>;"
tap_check "a certificate that does not verify is logged" \
	log_has "meter badcert \(http\) failed: GET https://127.0.0.1:$TAS_BAD/cm\?cmnd=Status%208: TLS certificate does not verify"
tap_check "a server that never answers is logged as a timeout" \
	log_has "meter hang \(http\) failed: GET .*: no answer within 1000ms \(timeout\)"
tap_is "$(grep -c 'meter garbage (http) failed' "$VM_LOG")" 1 "a failing meter logs once, not every read"

# A scrape never waits for the server that never answers.
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$VM_URL/metrics")
tap_check "a scrape while a server hangs is fast (${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 0.5) }'

sleep 1.5
wait_read_after shelly2 "$(now_s)"
e2=$(meter_series "$B" virtmeter_energy_joules_total shelly2 "")
p2=$(meter_series "$B" virtmeter_energy_joules_total pdu outlet2)
tap_check "Shelly Gen2's aenergy.total counter grows ($e1 -> $e2 J)" awk -v a="$e1" -v b="$e2" 'BEGIN { exit !(b > a) }'
tap_check "the PDU's Wh counter grows ($p1 -> $p2 J)" awk -v a="$p1" -v b="$p2" 'BEGIN { exit !(b > a) }'

# The plug restarts: its counter starts again from a low value.
fixture_get shelly2tls _reset https >/dev/null
wait_read_after shelly2 "$(now_s)"
sleep 0.6
wait_read_after shelly2 "$(now_s)"
e3=$(meter_series "$B" virtmeter_energy_joules_total shelly2 "")
tap_check "a plug that restarts does not take the counter back ($e2 -> $e3 J)" not_less "$e3" "$e2"
tap_is "$(meter_series "$B" virtmeter_meter_up shelly2)" 1 "and stays up"

no_secret_logged "no password reaches the log, even at debug level"
tap_is "$(fetch h "$VM_URL/healthz")" 200 "virtmeter keeps serving"
stop_while_hung server
tap_done
