#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2317,SC2119
# The key sums of docs/metrics.md, read from its "| family | sum |" tables
# as they are written there (their ranges shortened to 20s), evaluated by a
# real Prometheus that scrapes virtmeter every second, against figures
# the test sets itself:
#   - a procfs whose /proc/stat counts, in ticks per second over 8 CPUs,
#     user 300 (guest 200 of it), nice 40 (guest_nice 20), system 100,
#     idle 250, iowait 30, irq 10, softirq 20, steal 50: the documented busy
#     CPUs are 4.7 (not 6.9, as with guest added again), a share of 0.5875;
#   - a RAPL psys counter at 100 W, and a configured idle power of 40 W;
#   - libvirt's test driver, whose 4 active domains each use one CPU.
# The energy model then charges each of those VMs (100 - 40) / 4.7 W of
# dynamic and overhead energy and 40 W times its reserved share
# ((vCPUs / 8 + memory / 16 GiB) / 2) of idle energy; the documented sum
# of a VM's components must give those shares of the documented host
# energy (itself 100 W's), and the documented sum of every VM, container
# and unattributed part must equal it. A second virtmeter, on every collector and the
# fixtures of the golden scrape, gives Prometheus the series of every
# section: every query of the page must evaluate there without an error
# (a join that matches many to many, two series left with one label set).
. "$(dirname "$0")/lib.sh"
# shellcheck source=doc_lib.sh
. "$(dirname "$0")/doc_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
"$VIRTMETER" --version | grep -q libvirt || tap_skip_all "built without libvirt: no VMs to charge"
"$VIRTMETER" --version | grep -q yaml || tap_skip_all "built without libyaml: no configuration file"
command -v prometheus >/dev/null 2>&1 || tap_skip_all "prometheus not installed (Debian package prometheus)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
command -v jq >/dev/null 2>&1 || tap_skip_all "jq not installed"

DOC=$top_srcdir/docs/metrics.md
P_W=100   # the psys zone's power
IDLE_W=40 # the configured idle power
NCPU=8
MEM_KB=16777216
# ticks per second of each mode of the cpu line, in /proc/stat's order:
# user nice system idle iowait irq softirq steal guest guest_nice
TICKS=(300 40 100 250 30 10 20 50 200 20)
BUSY=4.7     # (300 + 40 + 100 + 10 + 20) / 100
SHARE=0.5875 # 470 / 800
GUEST=2.2    # (200 + 20) / 100
VM_DYN=$(awk -v p=$P_W -v i=$IDLE_W -v b=$BUSY 'BEGIN { print (p - i) / b }')
WIN=20

# doc FAMILY N: the N-th query of the family's sum cell that names it,
# its range shortened to the test's window. Aborts when the page has none.
doc() {
	local qy
	qy=$(doc_query "$DOC" "$1" "$2")
	[ -n "$qy" ] || tap_abort "docs/metrics.md has a query $2 for $1"
	printf '%s\n' "$qy" | sed -E "s/\[(5m|1h)\]/[${WIN}s]/g"
}
Q_BUSY=$(doc virtmeter_host_cpu_seconds_total 1)
Q_SHARE=$(doc virtmeter_host_cpu_seconds_total 2)
Q_GUEST=$(doc virtmeter_host_cpu_guest_seconds_total 1)
Q_OUTSIDE=$(doc virtmeter_host_cpu_guest_seconds_total 2)
Q_VM=$(doc virtmeter_vm_energy_joules_total 1)
Q_VM_COMP=$(doc virtmeter_vm_energy_joules_total 2)
Q_PARTS=$(doc virtmeter_vm_energy_joules_total 3)
Q_HOST_E=$(doc virtmeter_host_energy_joules_total 1)

# ---- the fixtures ----------------------------------------------------------------

PROCFS=$TEST_TMP/proc
SYS=$TEST_TMP/sys
mkdir -p "$PROCFS" || tap_abort "make the procfs fixture"
printf 'MemTotal: %s kB\nMemFree: 8388608 kB\nMemAvailable: 12582912 kB\nBuffers: 524288 kB\nCached: 2097152 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n' \
	"$MEM_KB" >"$PROCFS/meminfo"
{ cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" && chmod -R u+w "$SYS"; } || tap_abort "copy the sysfs fixture"
PSYS=$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj
[ "$(cat "${PSYS%/*}/name")" = psys ] || tap_abort "the fixture's intel-rapl:2 is the psys zone"

# counters: every 50 ms, writes /proc/stat's counters (ticks since the
# start at their rates, plus a base) and the psys counter (10^10 uJ plus
# what P_W has used since the start: W = uJ/us), in place, never shorter,
# as the kernel's files are rewritten. Sleeps on a FIFO; forks nothing.
counters() {
	local fd t0 now us i line cpus=""
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	for ((i = 0; i < NCPU; i++)); do
		cpus+="cpu$i 0 0 0 0 0 0 0 0 0 0"$'\n'
	done
	t0=${EPOCHREALTIME/./}
	for ((;;)); do
		now=${EPOCHREALTIME/./}
		us=$((now - t0))
		line=cpu
		for i in "${!TICKS[@]}"; do
			line+=" $((1000000 + TICKS[i] * us / 1000000))"
		done
		printf '%s\n%sbtime 1700000000\n' "$line" "$cpus" 1<>"$PROCFS/stat"
		printf '%d\n' $((10000000000 + P_W * us)) 1<>"$PSYS"
		read -r -t 0.05 -u "$fd" _
	done
}
# The fixture's own value is longer: written in place, it would leave a
# tail.
printf '10000000000\n' >"$PSYS"
counters &
lib_track_pid $!
wait_for 5 test -s "$PROCFS/stat" || tap_abort "the procfs fixture is written"

CONF=$TEST_TMP/virtmeter.yml
cat >"$CONF" <<'EOF'
collectors:
  host:
    interval: 1s
  libvirt:
    interval: 1s
EOF

start_virtmeter --config.file="$CONF" --path.procfs="$PROCFS" --path.sysfs="$SYS" \
	--collector.libvirt.uri="test://$top_srcdir/tests/fixtures/libvirt/domains.xml" \
	--no-collector.cgroup --no-collector.perf --no-collector.textfile \
	--collector.model.idle-watts=$IDLE_W --collector.model.dynamic-by=cpu ||
	tap_abort "virtmeter starts on the fixtures"
TARGET=127.0.0.1:$VM_PORT
FIX=$top_srcdir/tests/fixtures
start_virtmeter --path.cgroupfs="$FIX/cgroup/hybrid" --path.sysfs="$FIX/power/sysfs" \
	--collector.libvirt.uri="test://$FIX/libvirt/domains.xml" ||
	tap_abort "a second virtmeter starts on the golden scrape's fixtures"
ALL=127.0.0.1:$VM_PORT

cat >"$TEST_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: virtmeter
    static_configs:
      - targets: ['$TARGET', '$ALL']
EOF
start_prometheus "$TEST_TMP/prometheus.yml"
[ -n "$PROM_PID" ] || tap_abort "Prometheus starts on loopback and becomes ready" "$(cat "$PROM_LOG")"
tap_ok "Prometheus starts and scrapes two virtmeters"

# ---- queries ------------------------------------------------------------------------

AT="" # the evaluation time of every query, once the data is there

# q PROMQL: the answer's result array (JSON), [] on an error.
q() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
		${AT:+--data-urlencode "time=$AT"} 2>/dev/null |
		jq -c 'if .status == "success" then .data.result else [] end'
}
# qv PROMQL [JQ_FILTER]: the value of the first series of the first
# virtmeter (the one on the test's figures) that the filter keeps.
qv() {
	q "$1" | jq -r --arg t "$TARGET" "[.[] | select(.metric.instance == \$t and (${2:-true}))][0].value[1] // empty"
}
# near GOT WANT REL: GOT within REL (a fraction) of WANT.
near() {
	[ -n "$1" ] && awk -v a="$1" -v b="$2" -v r="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= r * m + 1e-12) }'
}

# The model's figures for the VMs, 22 s of them (for the 20 s windows).
have_vms() {
	[ "$(q "count(virtmeter_vm_energy_joules_total{component=\"idle\",instance=\"$TARGET\"})" | jq -r '.[0].value[1] // 0')" -ge 4 ] &&
		[ -n "$(q "virtmeter_container_energy_joules_total{instance=\"$ALL\"}" | jq -r '.[0].value[1] // empty')" ]
}
wait_for 30 have_vms || tap_abort "Prometheus has the energy model's VM and container series" \
	"$(q 'up'; q 'virtmeter_collector_up'; tail -n 20 "$VM_LOG")"
sleep $((WIN + 2))
AT=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.3f", t - 1 }')
tap_diag "queries at $AT over ${WIN}s"

# ---- the host's CPU ---------------------------------------------------------------------

got=$(qv "$Q_BUSY")
tap_check "the documented busy CPUs are the fixture's $BUSY, guest time not added twice ($got)" near "$got" "$BUSY" 0.1
got=$(qv "$Q_SHARE")
tap_check "the documented busy share is $SHARE exactly ($got)" near "$got" "$SHARE" 0.005
got=$(qv "$Q_GUEST")
tap_check "the documented guest CPUs are the fixture's $GUEST ($got)" near "$got" "$GUEST" 0.1
got=$(qv "$Q_OUTSIDE")
want=$(awk -v b=$BUSY -v g=$GUEST 'BEGIN { print b - g }')
tap_check "the documented busy CPUs outside guests are $want ($got)" near "$got" "$want" 0.1
got=$(qv 'sum by (instance) (rate(virtmeter_host_cpu_seconds_total{mode!~"idle|iowait|steal"}[20s])) + sum by (instance) (rate(virtmeter_host_cpu_guest_seconds_total[20s]))')
tap_check "adding guest time again would give $BUSY + $GUEST ($got): the trap the query avoids" \
	near "$got" "$(awk -v b=$BUSY -v g=$GUEST 'BEGIN { print b + g }')" 0.1

# ---- a VM's energy by component, and the parts of the host ------------------------------------

# The model splits the energy the meter measured over each interval, so
# each part is compared with its share of the host's energy over the same
# window (a 20 s window of counters written every second is a few per
# cent off in itself, the same for every series of one scrape).
host=$(qv "$Q_HOST_E")
tap_check "the documented host energy is psys's $P_W W over ${WIN}s ($host J)" near "$host" $((P_W * WIN)) 0.15
# share W: the energy of W watts of the host's P_W over the window.
share() { awk -v h="$host" -v w="$1" -v p=$P_W 'BEGIN { printf "%.17g", h * w / p }'; }
# for_vm NAME: the jq filter of the VM's series.
for_vm() { printf '.metric.vm == "%s"' "$1"; }
# comp_j NAME COMPONENT...: the documented by-component query's energy of
# the VM in those components.
comp_j() {
	local vm=$1
	shift
	q "$Q_VM_COMP" | jq -r --arg vm "$vm" --arg t "$TARGET" --args '
		[.[] | select(.metric.instance == $t and .metric.vm == $vm and (.metric.component | IN($ARGS.positional[])))
			| .value[1] | tonumber] | if length == 0 then empty else add end' "$@"
}
for vm in "name with  spaces" "instance-0000002a"; do
	vcpus=$(qv 'virtmeter_vm_vcpus' "$(for_vm "$vm")")
	mem=$(qv 'virtmeter_vm_memory_max_bytes' "$(for_vm "$vm")")
	idle=$(awk -v i=$IDLE_W -v c="$vcpus" -v n=$NCPU -v m="$mem" -v t=$((MEM_KB * 1024)) \
		'BEGIN { print i * (c / n + m / t) / 2 }')
	got=$(comp_j "$vm" dynamic overhead)
	tap_check "$vm: dynamic + overhead is ($P_W - $IDLE_W) W / $BUSY busy CPUs = $VM_DYN W of the host's $P_W W ($got J)" \
		near "$got" "$(share "$VM_DYN")" 0.03
	got=$(comp_j "$vm" idle)
	tap_check "$vm: idle is $IDLE_W W x ($vcpus/$NCPU + its memory share) / 2 = $idle W of them ($got J)" \
		near "$got" "$(share "$idle")" 0.03
	parts=$(comp_j "$vm" dynamic idle overhead)
	total=$(qv "$Q_VM" "$(for_vm "$vm")")
	tap_check "$vm: the documented total is its components' sum ($total J)" near "$total" "$parts" 1e-9
done

parts=$(qv "$Q_PARTS")
tap_check "VMs + containers + unattributed ($parts J) is the host's energy ($host J)" near "$parts" "$host" 1e-6
n=$(q "count(virtmeter_host_unattributed_energy_joules_total{instance=\"$TARGET\"})" | jq -r '.[0].value[1] // 0')
tap_is "$n" 2 "the unattributed part has its two components (dynamic, idle)"
idle_e=$(qv "sum by (instance) (increase(virtmeter_host_unattributed_energy_joules_total{component=\"idle\"}[${WIN}s])) + sum by (instance) (increase(virtmeter_vm_energy_joules_total{component=\"idle\"}[${WIN}s]))")
tap_check "the idle components add up to the idle power's $IDLE_W W of them ($idle_e J)" near "$idle_e" "$(share $IDLE_W)" 0.03

# ---- every query of the page evaluates -----------------------------------------------------

# q_raw PROMQL: Prometheus's answer, as it is.
q_raw() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
		--data-urlencode "time=$AT" 2>&1
}
bad=""
n=0
nonempty=0
while IFS=$'\t' read -r _ _ fam line cell; do
	while IFS= read -r qy; do
		qy=${qy//\[5m\]/[${WIN}s]}
		qy=${qy//\[1h\]/[${WIN}s]}
		r=$(q_raw "$qy")
		n=$((n + 1))
		if [[ $r != '{"status":"success"'* ]]; then
			bad="$bad${bad:+$'\n'}docs/metrics.md:$line: $fam: $qy: ${r:-no answer}"
		elif [[ $r != *'"result":[]'* ]]; then
			nonempty=$((nonempty + 1))
		fi
	done < <(doc_queries "$cell" | grep -F '(')
done < <(doc_tables "$DOC" | awk -F'\t' '$1 == "SUM"')
tap_diag "$n queries of the page evaluated, $nonempty with series"
tap_is "$bad" "" "every query of the page's sum tables evaluates without an error"

kill_pid "$PROM_PID"
tap_done
