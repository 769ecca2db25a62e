#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2317
# The power series summed in PromQL by a real Prometheus, the way
# collectors/power/metrics.md says to. Three virtmeters are scraped every
# second: one on a RAPL fixture with package, core, uncore, dram and psys
# zones, one on the same fixture without psys, and one with a wall meter
# beside RAPL; all three have an hwmon device with two socket sensors and
# four core sensors (amd_energy), the cores split between the sockets by
# the CPU topology. Every zone's energy counter is written in place, like
# sysfs, at a power of its own. The documented host total must equal psys
# where the fixture has it, packages + DRAM where it does not (never core
# or uncore, which the naive sum adds), and the wall meter where there is
# one; the per-meter sum over part_of="" must count each watt once; sum by
# (kind) and the cores' part_of must make sense.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
command -v prometheus >/dev/null 2>&1 || tap_skip_all "prometheus not installed (Debian package prometheus)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v jq >/dev/null 2>&1 || tap_skip_all "jq not installed"

# The documented host total (collectors/power/metrics.md), as written there.
HOST_TOTAL='  sum by (instance) (virtmeter_power_watts{kind="wall"})
or
  sum by (instance) (virtmeter_power_watts{kind="psys"})
or
  sum by (instance) (virtmeter_power_watts{kind=~"package|dram"})'
# And from the energy counters.
HOST_TOTAL_RATE='  sum by (instance) (rate(virtmeter_energy_joules_total{kind="wall"}[10s]))
or
  sum by (instance) (rate(virtmeter_energy_joules_total{kind="psys"}[10s]))
or
  sum by (instance) (rate(virtmeter_energy_joules_total{kind=~"package|dram"}[10s]))'
# Each meter's own total, whatever it is.
PER_METER='sum by (instance, meter) (virtmeter_power_watts{part_of=""})'
# The power of every zone, in watts: RAPL's and amd_energy's.
declare -A RATE=(
	[intel-rapl:0]=60 [intel-rapl:0/intel-rapl:0:0]=30 [intel-rapl:0/intel-rapl:0:1]=5
	[intel-rapl:0/intel-rapl:0:2]=8 [intel-rapl:1]=50 [intel-rapl:1/intel-rapl:1:0]=25
	[intel-rapl:1/intel-rapl:1:1]=7 [intel-rapl:2]=150
	[energy1]=10 [energy2]=12 [energy3]=14 [energy4]=16 [energy5]=40 [energy6]=45
)
PSYS_W=150
PKG_DRAM_W=125 # 60 + 50 + 8 + 7
CORE_UNCORE_W=60
WALL_W=400

# ---- the fixtures ------------------------------------------------------------------

# make_sysfs DIR [nopsys]: the sysfs fixture in DIR, its amd_energy device
# made a two-socket one, without psys if asked.
make_sysfs() {
	local d=$1 hw i labels=(Ecore000 Ecore001 Ecore002 Ecore003 Esocket0 Esocket1)
	{ cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$d" && chmod -R u+w "$d"; } || return 1
	if [ "${2-}" = nopsys ]; then
		rm -rf "$d/devices/virtual/powercap/intel-rapl/intel-rapl:2" "$d/class/powercap/intel-rapl:2"
	fi
	hw=$d/devices/platform/amd_energy.0/hwmon/hwmon2
	rm -f "$hw"/energy*
	for i in 1 2 3 4 5 6; do
		printf '%s\n' "${labels[i - 1]}" >"$hw/energy${i}_label"
	done
	# Cores 0 and 2 on package 0, 1 and 3 on package 1.
	for i in 0 1 2 3; do
		mkdir -p "$d/devices/system/cpu/cpu$i/topology"
		echo $((i % 2)) >"$d/devices/system/cpu/cpu$i/topology/physical_package_id"
	done
}
A=$TEST_TMP/sys-psys
B=$TEST_TMP/sys-nopsys
make_sysfs "$A" || tap_abort "copy the sysfs fixture"
make_sysfs "$B" nopsys || tap_abort "copy the sysfs fixture without psys"

# The counter files and their powers, in both trees.
FILES=()
POWERS=()
for d in "$A" "$B"; do
	for k in "${!RATE[@]}"; do
		case $k in
		energy*) f=$d/devices/platform/amd_energy.0/hwmon/hwmon2/${k}_input ;;
		*) f=$d/devices/virtual/powercap/intel-rapl/$k/energy_uj ;;
		esac
		[ -d "${f%/*}" ] || continue
		FILES+=("$f")
		POWERS+=("${RATE[$k]}")
	done
done

# counters: every 50 ms, writes each counter as 10^10 microjoules plus what
# its power has used since the start (W = uJ/us). In place, never shorter,
# like sysfs; the loop sleeps on a FIFO and forks nothing.
counters() {
	local fd t0 now i
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	t0=${EPOCHREALTIME/./}
	for ((;;)); do
		now=${EPOCHREALTIME/./}
		for i in "${!FILES[@]}"; do
			printf '%d\n' $((10000000000 + POWERS[i] * (now - t0))) 1<>"${FILES[i]}"
		done
		read -r -t 0.05 -u "$fd" _
	done
}
for f in "${FILES[@]}"; do printf '10000000000\n' >"$f"; done
counters &
lib_track_pid $!

WALL=$TEST_TMP/wall.txt
printf 'watts %s\n' "$WALL_W" >"$WALL"
M=$TEST_TMP/exec-meter.sh
{ cp "$top_srcdir/tests/fixtures/power/exec-meter.sh" "$M" && chmod +x "$M"; } || tap_abort "copy the exec meter"
CONF=$TEST_TMP/wall.yml
cat >"$CONF" <<EOC
meters:
  - {name: rapl, type: rapl}
  - {name: hwmon, type: hwmon}
  - {name: wall, type: exec, command: [$M, file, $WALL]}
EOC

# ---- three virtmeters and a Prometheus -------------------------------------------

ONLY_POWER=(--no-collector.host --no-collector.process --no-collector.cgroup
	--no-collector.libvirt --no-collector.perf --no-collector.model)
declare -A INST
start_virtmeter "${ONLY_POWER[@]}" --path.sysfs="$A" || tap_abort "virtmeter starts on the psys fixture"
INST[psys]=127.0.0.1:$VM_PORT
start_virtmeter "${ONLY_POWER[@]}" --path.sysfs="$B" || tap_abort "virtmeter starts on the fixture without psys"
INST[nopsys]=127.0.0.1:$VM_PORT
start_virtmeter "${ONLY_POWER[@]}" --path.sysfs="$A" --config.file="$CONF" ||
	tap_abort "virtmeter starts with a wall meter beside RAPL"
INST[wall]=127.0.0.1:$VM_PORT

cat >"$TEST_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: virtmeter
    static_configs:
      - targets: ['${INST[psys]}', '${INST[nopsys]}', '${INST[wall]}']
EOF
start_prometheus "$TEST_TMP/prometheus.yml"
[ -n "$PROM_PID" ] || tap_abort "Prometheus starts on loopback and becomes ready" "$(cat "$PROM_LOG")"
tap_ok "Prometheus starts and scrapes three virtmeters"

# ---- queries ------------------------------------------------------------------------

AT="" # the evaluation time of every query, once the data is there

# q PROMQL: the answer's result as "LABELS VALUE" lines (LABELS the
# sorted name=value pairs but __name__ and job, joined by ","), sorted.
q() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
		${AT:+--data-urlencode "time=$AT"} 2>/dev/null |
		jq -r 'select(.status == "success") | .data.result[] |
			(.metric | del(.__name__, .job) | to_entries | sort_by(.key) |
				map("\(.key)=\(.value)") | join(",")) + " " + .value[1]' | LC_ALL=C sort
}
# pick PAIR...: of the "LABELS VALUE" lines on stdin, the value of the
# first whose labels hold every NAME=VALUE pair given.
pick() {
	awk -v want="$*" '
		BEGIN { nw = split(want, w, " ") }
		{
			delete have
			n = split($1, l, ",")
			for (k = 1; k <= n; k++) have[l[k]] = 1
			for (k = 1; k <= nw; k++) if (!(w[k] in have)) next
			print $2
			exit
		}'
}
# qv PROMQL CASE: the value of the one series of instance CASE (psys,
# nopsys or wall) in the answer; empty if none.
qv() {
	q "$1" | pick "instance=${INST[$2]}"
}
# same A B: A and B are both numbers and equal to 1e-9 relative (sums in
# another order round differently).
same() {
	[ -n "$1" ] && [ -n "$2" ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; exit !(d <= 1e-9 * m + 1e-12) }'
}
# about GOT WANT: GOT within 15 % of WANT (counters written every 50 ms,
# read every second).
about() {
	near "$1" "$2" "$(awk -v w="$2" 'BEGIN { print w * 0.15 }')"
}

# Wait until every target has its power series and 12 s of them (for the
# 10 s rates).
have_all() {
	local c
	for c in psys nopsys wall; do
		[ -n "$(qv "$HOST_TOTAL" "$c")" ] || return 1
	done
}
wait_for 30 have_all || tap_abort "Prometheus has the power series of the three virtmeters" \
	"$(q 'up'; tail -n 5 "$PROM_LOG")"
sleep 12
AT=$(date +%s.%N)
AT=$(awk -v t="$AT" 'BEGIN { printf "%.3f", t - 1 }')
tap_diag "queries at $AT"

for c in psys nopsys wall; do
	tap_is "$(qv 'up' "$c")" 1 "the $c virtmeter is up in Prometheus"
done

# ---- the host's total ----------------------------------------------------------

t=$(qv "$HOST_TOTAL" psys)
ref=$(qv 'sum by (instance) (virtmeter_power_watts{zone="psys"})' psys)
tap_check "with psys, the host total is psys ($t = $ref)" same "$t" "$ref"
tap_check "and psys runs at its ${PSYS_W} W ($t)" about "$t" "$PSYS_W"

t=$(qv "$HOST_TOTAL" nopsys)
ref=$(qv 'sum by (instance) (virtmeter_power_watts{source="rapl",zone=~"package-[0-9]+(/dram)?"})' nopsys)
tap_check "without psys, the host total is packages + DRAM ($t = $ref)" same "$t" "$ref"
tap_check "at their ${PKG_DRAM_W} W ($t)" about "$t" "$PKG_DRAM_W"
naive=$(qv 'sum by (instance) (virtmeter_power_watts{source="rapl"})' nopsys)
cu=$(qv 'sum by (instance) (virtmeter_power_watts{source="rapl",zone=~".*/(core|uncore)"})' nopsys)
tap_check "the naive RAPL sum adds core and uncore on top ($naive = $t + $cu)" \
	same "$naive" "$(awk -v a="$t" -v b="$cu" 'BEGIN { printf "%.17g", a + b }')"
tap_check "core and uncore run at their ${CORE_UNCORE_W} W, so the trap is real ($cu)" about "$cu" "$CORE_UNCORE_W"
n=$(q "count by (kind) (virtmeter_power_watts{kind=~\"package|dram\",instance=\"${INST[nopsys]}\"})")
tap_is "$n" "$(printf 'kind=dram 2\nkind=package 2')" "the host total sums two packages and two DRAM zones, nothing else"

t=$(qv "$HOST_TOTAL" wall)
tap_check "with a wall meter, the host total is the wall's ${WALL_W} W ($t)" same "$t" "$WALL_W"

t=$(qv "$HOST_TOTAL_RATE" psys)
ref=$(qv 'rate(virtmeter_energy_joules_total{zone="psys"}[10s])' psys)
# (Only compared exactly: a 10 s rate of a counter read every second and
# scraped every second is off by up to a tenth.)
tap_check "from the energy counters, the host total is psys's rate ($t = $ref)" same "$t" "$ref"
t=$(qv "$HOST_TOTAL_RATE" nopsys)
ref=$(qv 'sum by (instance) (rate(virtmeter_energy_joules_total{source="rapl",zone=~"package-[0-9]+(/dram)?"}[10s]))' nopsys)
tap_check "and without psys the packages' and DRAM's ($t = $ref)" same "$t" "$ref"

# ---- each meter's total: part_of="" ---------------------------------------------------

pm() { q "$PER_METER" | pick "instance=${INST[$1]}" "meter=$2"; }
tap_check "RAPL's part_of=\"\" sum is psys where there is one" same "$(pm psys rapl)" "$(qv "$HOST_TOTAL" psys)"
tap_check "and packages + DRAM where there is none" same "$(pm nopsys rapl)" "$(qv "$HOST_TOTAL" nopsys)"
hw=$(pm psys hwmon)
ref=$(qv 'sum by (instance) (virtmeter_power_watts{source="hwmon",kind!="core"})' psys)
tap_check "hwmon's part_of=\"\" sum is its sockets and sensors, not the cores inside the sockets ($hw)" same "$hw" "$ref"

# ---- sum by (kind), and what part_of names ---------------------------------------------

k=$(q "sum by (kind) (virtmeter_power_watts{meter=\"rapl\",instance=\"${INST[psys]}\"})")
tap_is "$(awk '{ print $1 }' <<<"$k" | tr '\n' ' ')" "kind=core kind=dram kind=package kind=psys kind=uncore " \
	"sum by (kind) of RAPL has one series per kind"
for kw in core:55 uncore:5 dram:15 package:110 psys:150; do
	got=$(pick "kind=${kw%:*}" <<<"$k")
	tap_check "RAPL's ${kw%:*} zones sum to about ${kw#*:} W ($got)" about "$got" "${kw#*:}"
done
k=$(q "count by (kind, part_of) (virtmeter_power_watts{meter=\"hwmon\",instance=\"${INST[psys]}\"})")
tap_is "$k" "$(printf '%s\n' 'kind=core,part_of=amd_energy/Esocket0 2' 'kind=core,part_of=amd_energy/Esocket1 2' \
	'kind=sensor 3' 'kind=socket 2')" "hwmon: two cores in each socket (by CPU topology), the sockets and sensors in nothing"
k=$(q "sum by (part_of) (virtmeter_power_watts{kind=\"core\",instance=\"${INST[psys]}\"})
	< on (part_of) group_left
	label_replace(virtmeter_power_watts{kind=\"socket\",instance=\"${INST[psys]}\"}, \"part_of\", \"\$1\", \"zone\", \"(.*)\")")
tap_is "$(awk '{ print $1 }' <<<"$k" | tr '\n' ' ')" "part_of=amd_energy/Esocket0 part_of=amd_energy/Esocket1 " \
	"each socket's cores, joined to the socket their part_of names, use less than the socket"
for kw in Esocket0:24 Esocket1:28; do
	got=$(pick "part_of=amd_energy/${kw%:*}" <<<"$k")
	tap_check "the cores of ${kw%:*} sum to about ${kw#*:} W ($got)" about "$got" "${kw#*:}"
done

kill_pid "$PROM_PID"
tap_done
