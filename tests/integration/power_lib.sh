# shellcheck shell=bash
# Helpers of the power meter tests (sourced after lib.sh): waiting for a
# meter's next read and reading its series from a scrape.

# meter_series FILE FAMILY METER [ZONE]: the value of FAMILY for METER (and
# ZONE, "" when not given, for the zone families: power, energy, voltage,
# current) in the scrape FILE; empty if absent.
meter_series() {
	local file=$1 fam=$2 meter=$3
	case $fam in
	virtmeter_power_watts | virtmeter_energy_joules_total | \
		virtmeter_meter_voltage_volts | virtmeter_meter_current_amperes)
		value "$file" "$fam" "meter=\"$meter\"" "zone=\"${4-}\""
		;;
	*) value "$file" "$fam" "meter=\"$meter\"" ;;
	esac
}

# zone_labels FILE METER ZONE: the kind and part_of labels of ZONE of METER
# in virtmeter_energy_joules_total of the scrape FILE, as "KIND PART_OF"
# ("-" for an empty part_of); empty if absent.
zone_labels() {
	samples "$1" virtmeter_energy_joules_total "meter=\"$2\"" "zone=\"$3\"" | head -n 1 |
		sed -n 's/.*kind="\([^"]*\)".*part_of="\([^"]*\)".*/\1 \2/p' |
		awk '{ print $1, ($2 == "" ? "-" : $2) }'
}

# meter_labels_ok FILE: every sample of the meter families in the scrape
# FILE names its meter and source; power, energy, voltage and current name
# their zone; power and energy their kind and part_of. Prints the first
# sample that does not and returns 1.
meter_labels_ok() {
	awk '
	/^virtmeter_(meter_|power_watts|energy_joules_total)/ {
		bad = $0 !~ /[{,]meter="/ || $0 !~ /,source="/
		if ($0 ~ /^virtmeter_(power_watts|energy_joules_total|meter_voltage_volts|meter_current_amperes)\{/)
			bad = bad || $0 !~ /,zone="/
		if ($0 ~ /^virtmeter_(power_watts|energy_joules_total)\{/)
			bad = bad || $0 !~ /,kind="[a-z0-9_]+",part_of="/
		if (bad) { print; exit 1 }
	}' "$1"
}

# wait_read_after METER T: waits (at most about 8 s, VM_SLOW times that)
# until METER's last sample was taken after Unix time T, scraping into
# $TEST_TMP/m.b each time. Returns 1 on timeout.
wait_read_after() {
	local i ts
	for ((i = 0; i < 32 * VM_SLOW; i++)); do
		scrape m text >/dev/null
		ts=$(meter_series "$TEST_TMP/m.b" virtmeter_meter_last_sample_timestamp_seconds "$1")
		if [ -n "$ts" ] && awk -v a="$ts" -v b="$2" 'BEGIN { exit !(a > b + 0.05) }'; then
			return 0
		fi
		sleep 0.25
	done
	return 1
}

# now_s: Unix time with fractions.
now_s() {
	date +%s.%N
}

# near GOT WANT TOLERANCE: |GOT - WANT| <= TOLERANCE (GOT non-empty).
near() {
	[ -n "$1" ] && awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# not_less GOT PREVIOUS: GOT >= PREVIOUS (both non-empty).
not_less() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'
}

# log_has ERE: virtmeter's log holds a line matching ERE.
log_has() {
	grep -Eq -- "$1" "$VM_LOG"
}
