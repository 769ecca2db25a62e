#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# The energy model end to end, on a RAPL fixture whose psys counter is
# written in place, like sysfs, at a power that follows this host's real CPU
# utilisation exactly (IDLE_W + SLOPE_W * u, u measured as the model does),
# with two hand-made LXC-like containers, one busy in bursts and one asleep.
# It proves that: psys is chosen as the host's source; the busy container's
# dynamic energy follows its share of the host's busy CPU time and the idle
# one gets none; idle energy is split by reserved memory; the parts add up
# to the measured energy on every scrape and over the run; the model's host
# energy matches the fixture's energy; the idle power learned converges to
# IDLE_W, is saved on exit and used again at once after a restart; a corrupt
# state file is ignored with one log line; a configured idle power wins;
# without any meter the estimate stands in (and can be turned off); and a
# removed container keeps its final energy while its power goes away.
# Needs root. Everything is bounded in time and undone by the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/power_lib.sh"
. "$(dirname "$0")/cg_lib.sh"

IDLE_W=25  # the fixture's power at zero utilisation
SLOPE_W=50 # and its increase from zero to full utilisation
BUSY=vmt-energy-busy
IDLE=vmt-energy-idle
BUSY_CG=lxc.payload.$BUSY
IDLE_CG=lxc.payload.$IDLE

[ "$(id -u)" = 0 ] || tap_skip_all "needs root to create cgroups"
[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ ${#CG_HIERS[@]} -gt 0 ] || tap_skip_all "no cgroup hierarchy under $CGROOT"
[ -r /proc/stat ] || tap_skip_all "no /proc/stat"

cleanup() {
	cg_remove_all
	lib_cleanup
}
trap cleanup EXIT

SYS=$TEST_TMP/sys
cp -a "$top_srcdir/tests/fixtures/power/sysfs" "$SYS" || tap_abort "copy the sysfs fixture"
chmod -R u+w "$SYS"
PSYS=$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj
[ "$(cat "$SYS/devices/virtual/powercap/intel-rapl/intel-rapl:2/name")" = psys ] ||
	tap_abort "the fixture's intel-rapl:2 is the psys zone"
STORE=$TEST_TMP/store

# ---- the fixture's power -------------------------------------------------------

# fixture_power FILE: every 50 ms, reads /proc/stat and adds (IDLE_W +
# SLOPE_W * u) * step to the microjoules in FILE, u being the utilisation
# over the step as the model defines it (busy: every mode but idle, iowait
# and steal; of all modes but steal). The file is rewritten in place (same
# length, no truncation), so that a reader holding it open never sees it
# empty. It sleeps on a FIFO so that the loop forks nothing.
fixture_power() {
	local f=$1 fd e u n s i w q sq b t pb pt now prev step pend=0
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	read -r e <"$f"
	read -r _ u n s i w q sq _ </proc/stat
	pb=$((u + n + s + q + sq))
	pt=$((pb + i + w))
	prev=${EPOCHREALTIME/./}
	for ((;;)); do
		read -r -t 0.05 -u "$fd" _
		read -r _ u n s i w q sq _ </proc/stat
		now=${EPOCHREALTIME/./}
		step=$((now - prev))
		prev=$now
		b=$((u + n + s + q + sq))
		t=$((b + i + w))
		e=$((e + IDLE_W * step))
		# A step without a tick leaves its busy part to the next one.
		pend=$((pend + step))
		if [ $t -gt $pt ]; then
			e=$((e + SLOPE_W * pend * (b - pb) / (t - pt)))
			pb=$b pt=$t pend=0
		fi
		printf '%d\n' "$e" 1<>"$f"
	done
}
fixture_power "$PSYS" &
lib_track_pid $!

# fixture_j: the fixture's psys energy now, in joules.
fixture_j() {
	local uj
	read -r uj <"$PSYS"
	awk -v uj="$uj" 'BEGIN { printf "%.6f", uj / 1e6 }'
}

# ---- the containers --------------------------------------------------------------

cg_make "$BUSY_CG" || tap_abort "mkdir the cgroup $BUSY_CG"
cg_make "$IDLE_CG" || tap_abort "mkdir the cgroup $IDLE_CG"
run_in_cg "$IDLE_CG" timeout 300 sleep 300

# Memory limits of a quarter and an eighth of the host's memory: with the
# reserved idle policy (and no CPU reservation) the containers' weights are
# 1/8 and 1/16 of the host's idle energy.
HOST_MEM=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
LIMITS_SET=0
set_limit() {
	local f
	for f in "$CGROOT/memory/$1/memory.limit_in_bytes" "$CGROOT/$1/memory.max"; do
		[ -w "$f" ] && { echo "$2" >"$f" && return 0; }
	done
	return 1
}
set_limit "$BUSY_CG" $((HOST_MEM / 4)) && set_limit "$IDLE_CG" $((HOST_MEM / 8)) &&
	LIMITS_SET=1

# busy_for SECONDS: a busy loop in the busy container for SECONDS.
busy_for() {
	run_in_cg "$BUSY_CG" timeout "$1" sh -c 'while :; do :; done'
}

# ---- reading a scrape --------------------------------------------------------------

LB="container=\"$BUSY\",id=\"$BUSY\",runtime=\"lxc\""
LI="container=\"$IDLE\",id=\"$IDLE\",runtime=\"lxc\""

sv() { series_value "$@"; }
ct_j() { sv "$1" "virtmeter_container_energy_joules_total{$2,component=\"$3\",source=\"$4\"}"; }
attributed() { sv "$1" 'virtmeter_model_intervals_total{outcome="attributed"}'; }
gaps() { sv "$1" 'virtmeter_model_intervals_total{outcome="gap"}'; }

# figures FILE: "ERROR SUM HOST DYN IDLE" of a scrape: the error ratio ("-"
# if absent), the sum of every container's energy and the unattributed
# energy, the host's energy, and the host's dynamic and idle parts (summed
# over containers and unattributed).
figures() {
	awk '
	/^virtmeter_attribution_error_ratio / { err = $2 }
	/^virtmeter_container_energy_joules_total\{/ || /^virtmeter_host_unattributed_energy_joules_total\{/ {
		sum += $NF
		if ($0 ~ /component="dynamic"/ || $0 ~ /component="overhead"/) dyn += $NF
		if ($0 ~ /component="idle"/) idle += $NF
	}
	/^virtmeter_host_energy_joules_total\{/ { host = $NF }
	END { printf "%s %.9g %.9g %.9g %.9g\n", err == "" ? "-" : err, sum, host, dyn, idle }' "$1"
}

# cpu_of FILE LABELS: the container's user + system CPU seconds.
cpu_of() {
	awk -v want="$2" 'index($0, "virtmeter_container_cpu_seconds_total{" want ",mode=") == 1 &&
		($0 ~ /mode="user"/ || $0 ~ /mode="system"/) { s += $NF; n++ }
		END { if (n == 2) printf "%.9g\n", s }' "$1"
}

# host_busy FILE: the host's busy CPU seconds (every mode but idle, iowait
# and steal).
host_busy() {
	awk '/^virtmeter_host_cpu_seconds_total\{/ && !/mode="(idle|iowait|steal)"/ { s += $NF; n++ }
		END { if (n) printf "%.9g\n", s }' "$1"
}

# ts_of FILE COLLECTOR: end of the collector's last successful cycle.
ts_of() { sv "$1" "virtmeter_collector_last_success_timestamp_seconds{collector=\"$2\"}"; }

# calc EXPR VAR=VALUE...: evaluates an awk expression.
calc() {
	local expr=$1 args=() a
	shift
	for a in "$@"; do args+=(-v "$a"); done
	awk "${args[@]}" "BEGIN { printf \"%.6g\", $expr }"
}
# holds EXPR VAR=VALUE...: the awk condition EXPR is true.
holds() {
	local expr=$1 args=() a
	shift
	for a in "$@"; do args+=(-v "$a"); done
	awk "${args[@]}" "BEGIN { exit !($expr) }"
}

# ---- the long run ----------------------------------------------------------------

cat >"$TEST_TMP/config.yml" <<'YML'
collectors:
  host:
    interval: 1s
  cgroup:
    interval: 1s
  power:
    interval: 1s
YML
VM_ARGS=(--config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT"
	--path.sysfs="$SYS" --no-collector.perf --no-collector.libvirt)

start_virtmeter "${VM_ARGS[@]}" --storage.path="$STORE" || tap_abort "virtmeter starts"
T0=$EPOCHREALTIME
MAIN_PID=$VM_PID
MAIN_LOG=$VM_LOG

# rel: seconds since T0.
rel() { calc 'a - b' "a=$EPOCHREALTIME" "b=$T0"; }

# Every scrape of the long run goes through look: it checks the error ratio
# and that the parts add up to the host's energy, keeping the worst of each.
NLOOK=0 NERR=0 ERR_MAX=0 SUM_DEV_MAX=0 ERR_WORST="" SUM_WORST=""
look() {
	local f=$TEST_TMP/$1.b err sum host dev
	scrape "$1" text >/dev/null
	read -r err sum host _ _ < <(figures "$f")
	NLOOK=$((NLOOK + 1))
	if [ "$err" != - ]; then
		NERR=$((NERR + 1))
		if holds 'e > m' "e=$err" "m=$ERR_MAX"; then
			ERR_MAX=$err
			ERR_WORST=$(grep -E '^virtmeter_(attribution|host_(energy|power|unattr|idle))' "$f")
		fi
	fi
	if holds 'h > 0' "h=$host"; then
		dev=$(calc '(s - h) / h' "s=$sum" "h=$host")
		dev=${dev#-}
		if holds 'd > m' "d=$dev" "m=$SUM_DEV_MAX"; then
			SUM_DEV_MAX=$dev
			SUM_WORST="parts $sum J, host $host J at $(rel) s"
		fi
	fi
}

# watch_until SECONDS: looks every second until SECONDS after T0.
watch_until() {
	while holds 'n < t' "n=$(rel)" "t=$1"; do
		look w
		sleep 1
	done
}

# at_publish NAME: looks right after the model attributed an interval
# (polling every 0.1 s, at most 3 s), so that two such looks lag the
# model's intervals by the same time; the scrape is kept in
# $TEST_TMP/NAME.b, the moment in AT_T and the fixture's energy in AT_E.
at_publish() {
	local n0 n i
	look "$1"
	n0=$(attributed "$TEST_TMP/$1.b")
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		look "$1"
		n=$(attributed "$TEST_TMP/$1.b")
		[ "$n" != "$n0" ] && break
	done
	AT_T=$EPOCHREALTIME
	AT_E=$(fixture_j)
	[ "$n" != "$n0" ]
}

src_ready() { look w; [ -n "$(sv "$TEST_TMP/w.b" 'virtmeter_host_power_source_info{meter="rapl",source="rapl",zone="psys"}')" ]; }
wait_for 6 src_ready
B=$TEST_TMP/w.b
tap_is "$(sv "$B" 'virtmeter_host_power_source_info{meter="rapl",source="rapl",zone="psys"}')" 1 \
	"with a psys zone the host's source is rapl psys alone" ||
	tap_diag "$(grep -E '^virtmeter_(host_power_source|energy_joules)' "$B")"
tap_is "$(samples "$B" virtmeter_host_power_source_info | wc -l)" 1 "one source info series"
tap_check "the choice is logged" log_has 'model: the host.s energy comes from meter rapl \(rapl\), zones psys'

# The schedule (seconds after T0): the busy loop runs 6-22, 32-42 and
# 52-62, so that utilisation spreads for the fit; the energy is compared
# between 5 and 68, both in quiet stretches.
watch_until 5
at_publish d0 || tap_diag "no interval attributed in 3 s around $(rel) s"
D0_T=$AT_T D0_E=$AT_E
busy_for 16
watch_until 11
at_publish a0
A0_T=$AT_T
watch_until 20.5
at_publish a1
A1_T=$AT_T
lint_scrape "$TEST_TMP/a1.b" text "the scrape with the model's series is clean"
watch_until 32
busy_for 10
watch_until 52
busy_for 10
watch_until 68
at_publish d1 || tap_diag "no interval attributed in 3 s around $(rel) s"
D1_T=$AT_T D1_E=$AT_E

# (a) In a steady burst the busy container's share of the host's dynamic
# energy is its share of the host's busy CPU time. Both shares are steady
# there, so the model's intervals, lagging the scrapes, and the collectors'
# cycles see the same ratios: the CPU shares are taken as rates over each
# collector's own cycle times.
f0=$TEST_TMP/a0.b f1=$TEST_TMP/a1.b
c0=$(cpu_of "$f0" "$LB") c1=$(cpu_of "$f1" "$LB")
h0=$(host_busy "$f0") h1=$(host_busy "$f1")
tc0=$(ts_of "$f0" cgroup) tc1=$(ts_of "$f1" cgroup)
th0=$(ts_of "$f0" host) th1=$(ts_of "$f1" host)
bd0=$(ct_j "$f0" "$LB" dynamic rapl) bd1=$(ct_j "$f1" "$LB" dynamic rapl)
read -r _ _ _ hd0 _ < <(figures "$f0")
read -r _ _ _ hd1 _ < <(figures "$f1")
cpu_share=$(calc '((c1 - c0) / (tc1 - tc0)) / ((h1 - h0) / (th1 - th0))' \
	"c0=$c0" "c1=$c1" "tc0=$tc0" "tc1=$tc1" "h0=$h0" "h1=$h1" "th0=$th0" "th1=$th1")
dyn_share=$(calc '(b1 - b0) / (d1 - d0)' "b0=$bd0" "b1=$bd1" "d0=$hd0" "d1=$hd1")
tap_check "in a burst the busy container gets its CPU share of the dynamic energy (energy $dyn_share, CPU $cpu_share)" \
	holds 'c > 0.05 && r - c <= 0.05 * c && c - r <= 0.05 * c' "r=$dyn_share" "c=$cpu_share" ||
	tap_diag "over $(calc 'b - a' "a=$A0_T" "b=$A1_T") s: container CPU $c0 -> $c1 s (cgroup cycles $tc0 -> $tc1)," \
		"host busy $h0 -> $h1 s (host cycles $th0 -> $th1)," \
		"container dynamic $bd0 -> $bd1 J, host dynamic $hd0 -> $hd1 J"

# (b) The sleeping container gets no dynamic energy.
B=$TEST_TMP/d1.b
bdyn=$(ct_j "$B" "$LB" dynamic rapl)
idyn=$(ct_j "$B" "$LI" dynamic rapl)
tap_check "the sleeping container gets no dynamic energy ($idyn J, the busy one $bdyn J)" \
	holds 'b > 0 && i != "" && i < 0.01 * b' "i=$idyn" "b=$bdyn" ||
	tap_diag "$(samples "$B" virtmeter_container_energy_joules_total)"

# Idle energy by reserved memory: 1/8 and 1/16 of it.
read -r _ _ _ _ hidle < <(figures "$B")
if [ "$LIMITS_SET" = 1 ]; then
	mem=$(sv "$B" virtmeter_host_memory_total_bytes)
	for c in "$BUSY:$LB" "$IDLE:$LI"; do
		lim=$(sv "$B" "virtmeter_container_memory_limit_bytes{${c#*:}}")
		want=$(calc 'l / m / 2' "l=$lim" "m=$mem")
		got=$(calc 'i / h' "i=$(ct_j "$B" "${c#*:}" idle rapl)" "h=$hidle")
		tap_check "${c%%:*} gets its reserved share of the idle energy (got $got, want $want)" \
			holds 'w > 0 && g - w <= 0.01 * w && w - g <= 0.01 * w' "g=$got" "w=$want" ||
			tap_diag "limit $lim of $mem bytes; idle energy $hidle J" \
				"$(samples "$B" virtmeter_container_energy_joules_total 'component="idle"')"
	done
else
	tap_skip "the idle energy is split by reserved memory" "no writable memory limit file"
fi

# (c) The parts add up to the measured energy, interval by interval and
# over the run.
tap_check "the attribution error stays below 0.5 % on every scrape (worst $ERR_MAX over $NERR of $NLOOK scrapes)" \
	holds 'n > 30 && e < 0.005' "n=$NERR" "e=$ERR_MAX" ||
	tap_diag "$ERR_WORST"
tap_check "containers plus unattributed energy equal the host's energy on every scrape (worst deviation $SUM_DEV_MAX)" \
	holds 'd < 0.005' "d=$SUM_DEV_MAX" || tap_diag "$SUM_WORST"
read -r _ sum host dyn idle < <(figures "$B")
tap_check "over the run the parts ($sum J) add up to the host's energy ($host J)" \
	holds 'h > 500 && s - h <= 0.005 * h && h - s <= 0.005 * h' "s=$sum" "h=$host"
tap_is "$(sv "$B" 'virtmeter_model_dynamic_split_info{by="cpu"}')" 1 "dynamic energy is split by CPU time"

# (d) The model's host energy over a minute is the fixture's. Both looks
# were taken just after the model attributed an interval, so the model's
# intervals end the same time before each, and the power is steady there.
hA=$(sv "$TEST_TMP/d0.b" 'virtmeter_host_energy_joules_total{source="rapl"}')
hB=$(sv "$TEST_TMP/d1.b" 'virtmeter_host_energy_joules_total{source="rapl"}')
gA=$(gaps "$TEST_TMP/d0.b") gB=$(gaps "$TEST_TMP/d1.b")
dt=$(calc 'b - a' "a=$D0_T" "b=$D1_T")
pm=$(calc '(b - a) / t' "a=$hA" "b=$hB" "t=$dt")
pf=$(calc '(b - a) / t' "a=$D0_E" "b=$D1_E" "t=$dt")
tap_check "the model's host power over $dt s ($pm W) is the fixture's ($pf W) within 3 %" \
	holds 'f > 0 && m - f <= 0.03 * f && f - m <= 0.03 * f' "m=$pm" "f=$pf" ||
	tap_diag "host energy $hA -> $hB J, fixture $D0_E -> $D1_E J, gap intervals $gA -> $gB"
tap_is "$(calc 'b - a' "a=$gA" "b=$gB")" 0 "no interval of that minute was a gap"

# (e) The idle power learned converges to the fixture's.
learned() {
	look w
	[ "$(sv "$TEST_TMP/w.b" virtmeter_host_idle_power_samples)" -ge 60 ] 2>/dev/null &&
		[ -n "$(sv "$TEST_TMP/w.b" 'virtmeter_host_idle_power_watts{method="learned"}')" ]
}
wait_for 8 learned
B=$TEST_TMP/w.b
n=$(sv "$B" virtmeter_host_idle_power_samples)
lw=$(sv "$B" 'virtmeter_host_idle_power_watts{method="learned"}')
tap_check "the learned idle power ($lw W, from $n intervals) is the fixture's $IDLE_W W within 5 %" \
	holds 'n >= 60 && w != "" && w - i <= 0.05 * i && i - w <= 0.05 * i' "w=$lw" "i=$IDLE_W" "n=$n" ||
	tap_diag "$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")"

# (k) A removed container keeps its final energy; its power goes.
tap_check "the busy container's cgroup is removed" cg_remove "$BUSY_CG"
retired() { look w; [ "$(sv "$TEST_TMP/w.b" virtmeter_model_retired_workloads)" -ge 1 ] 2>/dev/null; }
wait_for 5 retired
B=$TEST_TMP/w.b
tap_check "the removed container is counted as retired" retired
tap_is "$(samples "$B" virtmeter_container_power_watts "container=\"$BUSY\"" | wc -l)" 0 \
	"its power series are gone"
k1=$(samples "$B" virtmeter_container_energy_joules_total "container=\"$BUSY\"")
sleep 1.5
look w
k2=$(samples "$TEST_TMP/w.b" virtmeter_container_energy_joules_total "container=\"$BUSY\"")
tap_check "its energy series stay, with their final values" \
	test "$(printf '%s\n' "$k1" | wc -l)" = 3 -a "$k1" = "$k2" ||
	tap_diag "before:" "$k1" "after:" "$k2"
tap_is "$(samples "$TEST_TMP/w.b" virtmeter_container_power_watts "container=\"$IDLE\"" | wc -l)" 3 \
	"the container still present keeps its power series"

# (f) The learned idle power survives a restart.
stop_virtmeter "$MAIN_PID"
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
STATE=$STORE/idle-power.state
tap_check "the learned idle power is saved to the storage directory" test -s "$STATE"
tap_is "$(head -n 1 "$STATE" 2>/dev/null)" "virtmeter-idle-power 1" "as a state file"
start_virtmeter "${VM_ARGS[@]}" --storage.path="$STORE" || tap_abort "virtmeter starts again"
idle_known() { scrape r text >/dev/null; samples "$TEST_TMP/r.b" virtmeter_host_idle_power_watts | grep -q .; }
wait_for 8 idle_known
B=$TEST_TMP/r.b
lw=$(sv "$B" 'virtmeter_host_idle_power_watts{method="learned"}')
tap_check "after a restart the first idle power is the learned one ($lw W)" \
	holds 'w != "" && w - i <= 0.05 * i && i - w <= 0.05 * i' "w=$lw" "i=$IDLE_W" ||
	tap_diag "$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")" "$(tap_diag_file "$VM_LOG")"
tap_check "within the first few intervals ($(attributed "$B") attributed)" \
	holds 'a >= 1 && a <= 3' "a=$(attributed "$B")"
stop_virtmeter
printf 'virtmeter-idle-power 1\nwindow 86400\nnot a bucket\n' >"$STATE"

# (g), (h), (i), (j) run side by side.
start_virtmeter "${VM_ARGS[@]}" --storage.path="$STORE" ||
	tap_abort "virtmeter starts with a corrupt state file"
G_URL=$VM_URL G_LOG=$VM_LOG
start_virtmeter "${VM_ARGS[@]}" --storage.path="$TEST_TMP/store-h" --collector.model.idle-watts=20 ||
	tap_abort "virtmeter starts with --collector.model.idle-watts=20"
H_URL=$VM_URL
mkdir -p "$TEST_TMP/nometer/class" "$TEST_TMP/nometer/devices"
NOMETER=(--config.file="$TEST_TMP/config.yml" --path.cgroupfs="$CGROOT"
	--path.sysfs="$TEST_TMP/nometer" --no-collector.perf --no-collector.libvirt)
start_virtmeter "${NOMETER[@]}" --storage.path="$TEST_TMP/store-i" ||
	tap_abort "virtmeter starts without any meter"
I_URL=$VM_URL I_LOG=$VM_LOG
start_virtmeter "${NOMETER[@]}" --storage.path="$TEST_TMP/store-j" --no-collector.model.estimate ||
	tap_abort "virtmeter starts without any meter and without the estimate"
J_URL=$VM_URL

has_idle_w() { scrape "$1" text "$2/metrics" >/dev/null; samples "$TEST_TMP/$1.b" virtmeter_host_idle_power_watts | grep -q .; }
wait_for 8 has_idle_w g "$G_URL"
tap_is "$(grep -c "$STATE" "$G_LOG")" 1 "a corrupt state file is named in exactly one log line" ||
	tap_diag_file "$G_LOG"
tap_like "$(grep "$STATE" "$G_LOG")" 'level=warn.*ignoring' "which says it is ignored"
tap_is "$(fetch gm "$G_URL/metrics")" 200 "virtmeter still serves"
tap_is "$(samples "$TEST_TMP/g.b" virtmeter_host_idle_power_watts | sed 's/{.*//; s/ .*//')$(value "$TEST_TMP/g.b" virtmeter_host_idle_power_watts 'method="estimate"' | grep -c .)" \
	virtmeter_host_idle_power_watts1 "nothing was learned from the corrupt file (method estimate)" ||
	tap_diag "$(samples "$TEST_TMP/g.b" virtmeter_host_idle_power_watts)"

wait_for 8 has_idle_w h "$H_URL"
tap_is "$(samples "$TEST_TMP/h.b" virtmeter_host_idle_power_watts)" \
	'virtmeter_host_idle_power_watts{method="configured"} 20' \
	"--collector.model.idle-watts=20 is used as configured"

est_ready() { scrape i text "$I_URL/metrics" >/dev/null; samples "$TEST_TMP/i.b" virtmeter_container_energy_joules_total | grep -q .; }
wait_for 10 est_ready
B=$TEST_TMP/i.b
tap_is "$(samples "$B" virtmeter_host_power_source_info)" \
	'virtmeter_host_power_source_info{meter="",source="estimate",zone=""} 1' \
	"without any meter the source is the estimate"
tap_check "the sleeping container's energy is labelled source=\"estimate\"" \
	test "$(samples "$B" virtmeter_container_energy_joules_total "container=\"$IDLE\"" 'source="estimate"' | wc -l)" = 3
tap_is "$(samples "$B" virtmeter_container_energy_joules_total | grep -vc 'source="estimate"')" 0 \
	"and no container energy has another source"
cpus=$(sv "$B" virtmeter_host_cpus)
tap_check "the estimate's idle power is 0.74 W per CPU" \
	near "$(value "$B" virtmeter_host_idle_power_watts 'method="estimate"')" "$(calc '0.74 * c' "c=$cpus")" 1e-9
tap_check "the estimate is logged" grep -q 'no power meter measures this host' "$I_LOG"

scrape j text "$J_URL/metrics" >/dev/null
B=$TEST_TMP/j.b
tap_check "without the estimate the containers are still seen" \
	test -n "$(cpu_of "$B" "$LI")"
tap_is "$(samples "$B" virtmeter_container_energy_joules_total | wc -l)" 0 \
	"--no-collector.model.estimate without a meter gives no container energy"
tap_is "$(samples "$B" virtmeter_host_power_source_info | wc -l)" 0 "and no host source"

tap_diag "took $(rel) s"
tap_done
