#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The redfish meter against local HTTPS servers that answer as BMCs do: a
# Dell iDRAC-like Power resource (basic auth, password from a file, a
# chassis without power), an HPE iLO-like one (session auth, trailing '/'
# in every path, a session that expires), a newer EnvironmentMetrics one
# (PowerWatts, EnergykWh), one whose power supplies have PowerSupplyMetrics
# under a PowerSubsystem (one zone each); and bad ones: no power resource,
# garbage, truncated JSON, a wrong type, HTTP 401 and 500, a certificate
# that does not verify, a server that accepts and never answers. Every bad meter logs one clear line and
# has virtmeter_meter_up 0, the good ones keep being read, the energy
# counter never goes back, sessions are closed at the end and no password
# reaches the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"
. "$(dirname "$0")/net_lib.sh"

net_require
make_certs || tap_abort "a test CA and certificates are made" "$(cat "$TEST_TMP/tls/openssl.log")"
start_netmeter dell=dell@tls hpe=hpe@tls env psu rf_none rf_garbage@tls rf_truncated@tls rf_wrongtype@tls \
	rf_500@tls rf_badpass@tls hang@tls dellbad=dell@badtls ||
	tap_abort "the fixture BMCs start"
PW=$TEST_TMP/bmc.pass
password_file "$PW"
CA=$TEST_TMP/tls/ca.crt
H=https://127.0.0.1

rf() { # NAME PROFILE [MORE YAML]: one meter on a fixture, password from the file
	printf '  - {name: %s, type: redfish, url: "%s:%s", username: %s, password_file: %s, ca_file: %s%s}\n' \
		"$1" "$H" "$(port_of "$2")" "$NET_USER" "$PW" "$CA" "${3:+, $3}"
}
CONF=$TEST_TMP/meters.yml
{
	echo "meters:"
	rf dell dell "interval: 500ms"
	cat <<EOC
  - name: hpe
    type: redfish
    url: $H:$(port_of hpe)/redfish/v1/
    auth: session
    username: $NET_USER
    password: '$NET_PASS'
    ca_file: $CA
    interval: 500ms
  - {name: hpebad, type: redfish, url: "$H:$(port_of hpe)", auth: session, username: $NET_USER, password: wrong-Pa55, ca_file: $CA}
  - {name: env, type: redfish, url: "http://127.0.0.1:$(port_of env)", username: $NET_USER, password_file: $PW, interval: 500ms}
  - {name: psu, type: redfish, url: "http://127.0.0.1:$(port_of psu)", username: $NET_USER, password_file: $PW, interval: 500ms}
  - {name: none, type: redfish, url: "http://127.0.0.1:$(port_of rf_none)", username: $NET_USER, password_file: $PW}
EOC
	rf garbage rf_garbage
	rf truncated rf_truncated
	rf wrongtype rf_wrongtype
	rf status500 rf_500
	rf badpass rf_badpass
	rf hang hang "timeout: 1s"
	rf hanglong hang "timeout: 30s"
	rf badcert dellbad
	printf '  - {name: insecure, type: redfish, url: "%s:%s", username: %s, password_file: %s, tls_insecure: true}\n' \
		"$H" "$(port_of dellbad)" "$NET_USER" "$PW"
} >"$CONF"
out=$("$VIRTMETER" --check-config --config.file="$CONF" 2>&1)
tap_is "$?" 0 "--check-config accepts redfish meters" "$out"

start_virtmeter --config.file="$CONF" --no-collector.process --log.level=debug ||
	tap_abort "virtmeter starts with redfish meters"
wait_read_after env "$(now_s)" || tap_abort "the EnvironmentMetrics meter reads" "$(cat "$VM_LOG")"
wait_read_after psu "$(now_s)" || tap_abort "the PowerSubsystem meter reads" "$(cat "$VM_LOG")"
sleep 1
wait_read_after hpe "$(now_s)"
B=$TEST_TMP/m.b
lint_scrape "$B" text "the scrape with redfish meters is clean"

tap_is "$(meter_series "$B" virtmeter_meter_up dell)" 1 "the iDRAC-like BMC is up (basic auth, password_file, ca_file)"
tap_is "$(meter_series "$B" virtmeter_power_watts dell System.Embedded.1/PowerControl)" 238 \
	"its PowerConsumedWatts, zone chassis/PowerControl member"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts dell System.Embedded.1/PowerControl)" 230 \
	"its first power supply's LineInputVoltage, in the PowerControl zone"
tap_is "$(zone_labels "$B" dell System.Embedded.1/PowerControl)" "wall -" "a BMC's zone is kind=\"wall\" inside nothing"
tap_is "$(grep -c '^virtmeter_power_watts{meter="dell"' "$B")" 1 "a chassis without a Power resource adds no zone"
tap_is "$(samples "$B" virtmeter_meter_up 'source="redfish"' 'meter="dell"' | wc -l)" 1 "the source label is redfish"
tap_is "$(meter_series "$B" virtmeter_meter_up hpe)" 1 "the iLO-like BMC is up (session auth)"
tap_is "$(meter_series "$B" virtmeter_power_watts hpe 1/0)" 142 "its PowerConsumedWatts in zone 1/0"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts hpe 1/0)" 208 "its LineInputVoltage"
tap_is "$(meter_series "$B" virtmeter_meter_up env)" 1 "the EnvironmentMetrics BMC is up"
tap_is "$(meter_series "$B" virtmeter_power_watts env 1U)" 374.12 "its PowerWatts.Reading"
tap_is "$(meter_series "$B" virtmeter_meter_up insecure)" 1 "tls_insecure: true reads a BMC whose certificate does not verify"
e1=$(meter_series "$B" virtmeter_energy_joules_total env 1U)
tap_is "$(meter_series "$B" virtmeter_meter_up psu)" 1 "the PowerSubsystem BMC is up"
tap_is "$(grep -c '^virtmeter_power_watts{meter="psu"' "$B")" 2 \
	"one zone per power supply with Metrics (an empty bay and the deprecated Power resource add none)"
tap_is "$(meter_series "$B" virtmeter_power_watts psu 1/Bay1)" 181.5 "power supply Bay1's InputPowerWatts.Reading, zone chassis/supply"
tap_is "$(meter_series "$B" virtmeter_power_watts psu 1/Bay2)" 176.25 "power supply Bay2's InputPowerWatts.Reading"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts psu 1/Bay1)" 230.1 "power supply Bay1's InputVoltage.Reading"
tap_is "$(meter_series "$B" virtmeter_meter_current_amperes psu 1/Bay1)" 0.79 "power supply Bay1's InputCurrentAmps.Reading"
tap_is "$(meter_series "$B" virtmeter_meter_voltage_volts psu 1/Bay2)" 229.8 "and Bay2's own voltage, in its zone"
tap_is "$(meter_series "$B" virtmeter_meter_current_amperes psu 1/Bay2)" 0.77 "and Bay2's own current"
tap_is "$(samples "$B" virtmeter_power_watts 'meter="psu"' 'kind="wall"' 'part_of=""' | wc -l)" 2 \
	"both supplies are wall readings inside nothing: their sum is the host's"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
p1=$(meter_series "$B" virtmeter_energy_joules_total psu 1/Bay2)
# The fixture's EnergykWh has 6 decimals: the counter moves in steps of
# 3.6 J, which watts integrated over time would not.
tap_check "the energy follows the supply's EnergykWh counter (3.6 J steps: $p1 J)" \
	awk -v a="$p1" 'BEGIN { q = a / 3.6; d = q - int(q + 0.5); exit !(a > 0 && d < 1e-6 && d > -1e-6) }'

for m in none garbage truncated wrongtype status500 badpass hpebad hang badcert; do
	tap_is "$(meter_series "$B" virtmeter_meter_up "$m")" 0 "meter $m is down"
	tap_is "$(samples "$B" virtmeter_power_watts "meter=\"$m\"" | wc -l)" 0 "meter $m has no power sample"
done
tap_check "a BMC without power resources is logged with its chassis" \
	log_has "meter none \(redfish\) failed: http://127.0.0.1:[0-9]+/redfish/v1/Chassis: no chassis \(Blade7\) has an EnvironmentMetrics, PowerSubsystem or Power resource"
P="GET $H:[0-9]+/redfish/v1/Chassis/System.Embedded.1/Power"
tap_check "garbage is logged as bad JSON, with the resource's URL" \
	log_has "meter garbage \(redfish\) failed: $P: bad JSON: lexical error"
tap_check "truncated JSON is logged as bad JSON" log_has "meter truncated \(redfish\) failed: $P: bad JSON"
tap_check "a wrong type is logged with its property" \
	log_has "meter wrongtype \(redfish\) failed: $P: PowerControl\[\].PowerConsumedWatts is not a number"
tap_check "HTTP 500 is logged" log_has "meter status500 \(redfish\) failed: $P: HTTP status 500"
tap_check "HTTP 401 is logged with a hint" \
	log_has "meter badpass \(redfish\) failed: GET $H:[0-9]+/redfish/v1/Chassis: HTTP status 401 \(check username and password\)"
tap_check "a refused session login is logged" \
	log_has "meter hpebad \(redfish\) failed: session login: POST $H:[0-9]+/redfish/v1/SessionService/Sessions: HTTP status 401 \(check username and password\)"
tap_check "a certificate that does not verify is logged" \
	log_has "meter badcert \(redfish\) failed: GET $H:[0-9]+/redfish/v1/Chassis: TLS certificate does not verify"
tap_check "a BMC that never answers is logged as a timeout" \
	log_has "meter hang \(redfish\) failed: GET .*: no answer within 1000ms \(timeout\)"
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$VM_URL/metrics")
tap_check "a scrape while a BMC hangs is fast (${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 0.5) }'

# Sessions: one login for many reads; a session that expires is opened
# again, and the meter stays up.
s=$(fixture_get hpe _stats https)
tap_is "$(json_field "$s" logins)" 1 "one session serves every read"
fixture_get hpe _expire https >/dev/null
wait_read_after hpe "$(now_s)"
sleep 0.6
wait_read_after hpe "$(now_s)"
s=$(fixture_get hpe _stats https)
tap_is "$(json_field "$s" logins)" 2 "an expired session (401) is opened again"
tap_is "$(meter_series "$B" virtmeter_meter_up hpe)" 1 "and the meter stays up"

# The BMC's own energy counter: it grows, and a reset does not take the
# exported counter back.
sleep 1
wait_read_after env "$(now_s)"
e2=$(meter_series "$B" virtmeter_energy_joules_total env 1U)
tap_check "the EnergykWh counter grows ($e1 -> $e2 J)" awk -v a="$e1" -v b="$e2" 'BEGIN { exit !(b > a) }'
wait_read_after psu "$(now_s)"
p2=$(meter_series "$B" virtmeter_energy_joules_total psu 1/Bay2)
tap_check "a power supply's EnergykWh counter grows ($p1 -> $p2 J)" awk -v a="$p1" -v b="$p2" 'BEGIN { exit !(b > a) }'
s=$(fixture_get psu _stats)
tap_is "$(json_field "$s" discoveries)" 1 "the power supplies are found once, not at every read"
fixture_get env _reset >/dev/null
wait_read_after env "$(now_s)"
sleep 0.6
wait_read_after env "$(now_s)"
e3=$(meter_series "$B" virtmeter_energy_joules_total env 1U)
tap_check "a BMC whose counter goes back does not take the total back ($e2 -> $e3 J)" not_less "$e3" "$e2"

no_secret_logged "no password reaches the log, even at debug level"
tap_is "$(fetch h "$VM_URL/healthz")" 200 "virtmeter keeps serving"
# The iLO-like BMC stops answering in the middle of its reads: the stop
# interrupts the read under way, and the session must still be closed.
fixture_get hpe _stall https >/dev/null
sleep 1.5 # a read of hpe has started and hangs (its timeout is 5 s)
stop_while_hung BMC
s=$(fixture_get hpe _stats https)
tap_is "$(json_field "$s" logouts)" 1 \
	"the session is closed (DELETE) when virtmeter stops, even from a read the stop interrupted"
tap_done
