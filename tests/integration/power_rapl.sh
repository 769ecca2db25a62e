#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317
# The rapl and hwmon meters on a sysfs fixture tree (this machine has
# neither): found without any configuration, every RAPL package and
# sub-zone read, intel-rapl-mmio left out, each zone with its kind and the
# zone that contains it (so that part_of="" alone sums to psys), every
# meter family with meter and source labels, energy_uj wrapping at
# max_energy_range_uj between two reads counted as the true increase, hwmon
# power and energy channels with their labels, a garbage value taking the
# meter down without the counters going backwards, and recovery.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
SYS=$TEST_TMP/sys
cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" || tap_abort "copy the sysfs fixture"
chmod -R u+w "$SYS"
RAPL=$SYS/devices/virtual/powercap/intel-rapl
P0=$RAPL/intel-rapl:0
HW=$SYS/devices/platform/amd_energy.0/hwmon/hwmon2
RANGE=262143328850

start_virtmeter --path.sysfs="$SYS" --no-collector.process ||
	tap_abort "virtmeter starts with --path.sysfs on the fixture"
wait_read_after rapl "$(now_s)" || tap_abort "the rapl meter reads" "$(cat "$VM_LOG")"
B=$TEST_TMP/m.b
# The meters' first reads may end after /healthz answers (well after,
# under valgrind), and a power figure takes two reads: the scrape checked
# below is the first with a read of hwmon and the power of psys.
# shellcheck disable=SC2317 # called through wait_for
first_reads() {
	scrape m text >/dev/null &&
		[ -n "$(meter_series "$B" virtmeter_meter_last_sample_timestamp_seconds hwmon)" ] &&
		[ -n "$(meter_series "$B" virtmeter_power_watts rapl psys)" ]
}
wait_for $((5 * VM_SLOW)) first_reads
lint_scrape "$B" text "the scrape with RAPL and hwmon meters is clean"
tap_is "$(meter_series "$B" virtmeter_meter_up rapl)" 1 "rapl is found without configuration and up"
tap_is "$(samples "$B" virtmeter_meter_up 'meter="rapl"' 'source="rapl"' | wc -l)" 1 \
	"virtmeter_meter_up carries source=\"rapl\""
zones=$(samples "$B" virtmeter_energy_joules_total 'meter="rapl"' |
	sed 's/.*zone="\([^"]*\)".*/\1/' | sort | tr '\n' ' ')
tap_is "$zones" "package-0 package-0/core package-0/dram package-0/uncore package-1 package-1/core package-1/dram psys " \
	"every package and sub-zone is a zone, the mmio copy of package-0 is not"
for z in "psys psys -" "package-0 package psys" "package-1 package psys" \
	"package-0/core core package-0" "package-0/uncore uncore package-0" \
	"package-1/core core package-1" "package-0/dram dram psys" "package-1/dram dram psys" \
	"hwmon:amd_energy/Esocket0 socket -" "hwmon:amd_energy/Ecore000 core amd_energy/Esocket0" \
	"hwmon:power_meter/power1 sensor -"; do
	read -r zone kind in <<<"$z"
	meter=rapl
	case $zone in hwmon:*) meter=hwmon zone=${zone#hwmon:} ;; esac
	tap_is "$(zone_labels "$B" "$meter" "$zone")" "$kind $in" \
		"$meter zone $zone has kind=\"$kind\" and part_of=\"${in#-}\""
done
tap_is "$(samples "$B" virtmeter_power_watts 'meter="rapl"' 'part_of=""' | sed 's/.*zone="\([^"]*\)".*/\1/')" psys \
	"with psys present, the RAPL power series with part_of=\"\" are psys alone"
tap_is "$(samples "$B" virtmeter_power_watts 'meter="rapl"' 'part_of="psys"' | wc -l)" 4 \
	"psys holds both packages and both DRAM zones"
tap_check "every meter family names meter and source, zone figures their zone" meter_labels_ok "$B"
tap_is "$(samples "$B" virtmeter_meter_last_sample_timestamp_seconds 'meter="rapl"' 'source="rapl"' | wc -l)" 1 \
	"virtmeter_meter_last_sample_timestamp_seconds carries source=\"rapl\""

# A wrap between two reads: 5 J before the range, then 15 J after 0.
printf '%s\n' $((RANGE - 5000000)) >"$P0/energy_uj"
wait_read_after rapl "$(now_s)" || tap_fail "rapl reads again"
e1=$(meter_series "$B" virtmeter_energy_joules_total rapl package-0)
printf '15000000\n' >"$P0/energy_uj"
wait_read_after rapl "$(now_s)" || tap_fail "rapl reads again"
e2=$(meter_series "$B" virtmeter_energy_joules_total rapl package-0)
d=$(awk -v a="$e2" -v b="$e1" 'BEGIN { printf "%.6f", a - b }')
tap_check "a counter that wraps at max_energy_range_uj adds the true 20 J (got $d)" near "$d" 20 0.001
w=$(meter_series "$B" virtmeter_power_watts rapl package-0)
# 20 W over the wrap's interval, or 0 W if a later read (no change) was
# published first: never the 262 kJ jump of a wrap taken for a decrease.
tap_check "a wrap shows no power spike (got $w W)" \
	awk -v w="$w" 'BEGIN { exit !(w != "" && w >= 0 && w < 40) }'

# Garbage in energy_uj: the meter goes down, its counters keep their value.
printf 'garbage\n' >"$P0/energy_uj"
sleep 2.5
scrape m text >/dev/null
tap_is "$(meter_series "$B" virtmeter_meter_up rapl)" 0 "a garbage energy_uj takes the rapl meter down"
e3=$(meter_series "$B" virtmeter_energy_joules_total rapl package-0)
tap_check "its energy counter stays served and does not go back ($e3 >= $e2)" not_less "$e3" "$e2"
tap_is "$(meter_series "$B" virtmeter_power_watts rapl package-0)" "" "a down meter has no power sample"
tap_check "the failure is logged once, naming the zone" \
	test "$(grep -c 'meter rapl (rapl) failed: reading energy_uj of zone package-0' "$VM_LOG")" = 1
printf '16000000\n' >"$P0/energy_uj"
wait_read_after rapl "$(now_s)" || tap_fail "rapl reads again after the repair"
tap_is "$(meter_series "$B" virtmeter_meter_up rapl)" 1 "the meter recovers once the file is good again"
tap_check "the recovery is logged" log_has "meter rapl \(rapl\) recovered"
e4=$(meter_series "$B" virtmeter_energy_joules_total rapl package-0)
tap_check "the counter never went backwards ($e4 >= $e3)" not_less "$e4" "$e3"

# hwmon: power in microwatts, *_input before *_average, energy counters.
tap_is "$(meter_series "$B" virtmeter_meter_up hwmon)" 1 "hwmon is found without configuration and up"
tap_is "$(meter_series "$B" virtmeter_power_watts hwmon power_meter/power1)" 187 \
	"power1_average of an ACPI power meter in watts"
tap_is "$(meter_series "$B" virtmeter_power_watts hwmon ina226/power1)" 4.5 \
	"power1_input is preferred over power1_average"
tap_is "$(samples "$B" virtmeter_energy_joules_total 'meter="hwmon"' 'zone="coretemp/temp1"' | wc -l)" 0 \
	"a device without power or energy channels has no zone"
h1=$(meter_series "$B" virtmeter_energy_joules_total hwmon amd_energy/Esocket0)
printf '9812500000\n' >"$HW/energy2_input"
wait_read_after hwmon "$(now_s)" || tap_fail "hwmon reads again"
h2=$(meter_series "$B" virtmeter_energy_joules_total hwmon amd_energy/Esocket0)
d=$(awk -v a="$h2" -v b="$h1" 'BEGIN { printf "%.6f", a - b }')
tap_check "energy2_input (labelled Esocket0) counts its 12.5 J increase (got $d)" near "$d" 12.5 0.001
printf '100\n' >"$HW/energy2_input"
wait_read_after hwmon "$(now_s)" || tap_fail "hwmon reads again"
h3=$(meter_series "$B" virtmeter_energy_joules_total hwmon amd_energy/Esocket0)
tap_check "a counter reset never makes the counter go back ($h3 >= $h2)" not_less "$h3" "$h2"
p1=$(meter_series "$B" virtmeter_energy_joules_total hwmon power_meter/power1)
wait_read_after hwmon "$(now_s)"
p2=$(meter_series "$B" virtmeter_energy_joules_total hwmon power_meter/power1)
tap_check "watts are integrated into energy ($p1 < $p2)" awk -v a="$p1" -v b="$p2" 'BEGIN { exit !(b > a) }'

fetch h "$VM_URL/healthz" >/dev/null
stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly with its meter threads"
tap_done
