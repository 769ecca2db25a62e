#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# The energy model end to end, on a RAPL fixture whose psys counter is
# written in place, like sysfs, at a power that follows this host's real CPU
# utilisation exactly (IDLE_W + SLOPE_W * u, u measured as the model does),
# with two hand-made LXC-like containers, one busy in bursts and one asleep.
# It proves that: psys, the RAPL zone with part_of="", is chosen as the
# host's source; the model's host energy is the fixture's, and no interval
# shows less than the fixture's idle power; the idle power learned from
# every interval converges to IDLE_W, is saved on exit and used again at
# once after a restart; the busy container is charged for each CPU second
# what that second cost the fixture, and the sleeping one no dynamic
# energy; idle energy is split by reserved memory; the parts add up to the
# measured energy on every scrape and over the run; a removed container
# keeps its final energy while its power goes away; a corrupt state file
# is ignored with one log line; a configured idle power wins; without any
# meter the estimate stands in, and can be turned off. Needs root.
# Everything is bounded in time and undone by the EXIT trap.
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

# fixture_power FILE: every STEP_S seconds, sets the microjoules in FILE
# to what a host drawing IDLE_W watts, plus SLOPE_W / CPUS joules for every
# CPU second busy since it started, has used: a power of IDLE_W + SLOPE_W *
# u, u the share of the CPUs busy, counted from /proc/stat as the model
# counts it (every mode but idle, iowait and steal). Both parts are taken
# from the start, so that no rounding adds up. The file is rewritten in
# place (same length, no truncation), so that a reader holding it open never
# sees it empty; a reading is as old as the last write, which at 10 ms is 1
# % of a 1 s interval at most. The loop sleeps on a FIFO and forks nothing.
STEP_S=0.01
CPUS=$(grep -c '^cpu[0-9]' /proc/stat)
TICKS=$(getconf CLK_TCK)
fixture_power() {
	local f=$1 fd e0 b0 t0 u n s q sq now
	mkfifo "$TEST_TMP/tick" && exec {fd}<>"$TEST_TMP/tick" || return 1
	read -r e0 <"$f"
	read -r _ u n s _ _ q sq _ </proc/stat
	b0=$((u + n + s + q + sq))
	t0=${EPOCHREALTIME/./}
	for ((;;)); do
		read -r -t "$STEP_S" -u "$fd" _
		read -r _ u n s _ _ q sq _ </proc/stat
		now=${EPOCHREALTIME/./}
		printf '%d\n' $((e0 + IDLE_W * (now - t0) +
			SLOPE_W * 1000000 * (u + n + s + q + sq - b0) / (CPUS * TICKS))) 1<>"$f"
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

# The busy container outweighs anything else on the host, so that its
# loop has a CPU of its own however busy the host is: its CPU time then
# grows steadily, the same over the model's intervals as over the cgroup
# collector's cycles.
for f in "$CGROOT/cpu/$BUSY_CG/cpu.shares" "$CGROOT/$BUSY_CG/cpu.weight"; do
	[ -w "$f" ] && case $f in
	*.shares) echo 262144 >"$f" ;;
	*) echo 10000 >"$f" ;;
	esac
done

# busy_for SECONDS: a busy loop in the busy container for SECONDS.
busy_for() {
	run_in_cg "$BUSY_CG" timeout "$1" sh -c 'while :; do :; done'
}

# ---- reading a scrape --------------------------------------------------------------

# The identity labels of each container's series, the same on the cgroup
# collector's and the model's: LXC containers, outside Kubernetes, have an
# empty pod and namespace.
LB="container=\"$BUSY\",id=\"$BUSY\",runtime=\"lxc\",pod=\"\",namespace=\"\""
LI="container=\"$IDLE\",id=\"$IDLE\",runtime=\"lxc\",pod=\"\",namespace=\"\""

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

# host_total FILE: the host's CPU seconds in every mode but steal.
host_total() {
	awk '/^virtmeter_host_cpu_seconds_total\{/ && !/mode="steal"/ { s += $NF; n++ }
		END { if (n) printf "%.9g\n", s }' "$1"
}

# ts_of FILE COLLECTOR: end of the collector's last successful cycle.
ts_of() { sv "$1" "virtmeter_collector_last_success_timestamp_seconds{collector=\"$2\"}"; }

# verdict DESCRIPTION COMMAND...: tap_check, but returns COMMAND's status,
# so that "verdict ... || tap_diag ..." explains a failure.
verdict() {
	local desc=$1
	shift
	if "$@"; then
		tap_ok "$desc"
		return 0
	fi
	tap_fail "$desc" "failed: $*"
	return 1
}

# holds EXPR VAR=VALUE...: the awk condition EXPR is true.
holds() {
	local expr=$1 args=() a
	shift
	for a in "$@"; do args+=(-v "$a"); done
	awk "${args[@]}" "BEGIN { exit !($expr) }"
}

# ---- the long run ----------------------------------------------------------------

# The cgroup collector every second. The model runs twice as often as the
# cgroup collector that drives it (as its 1 s does against the cgroup's 5
# s by default), so that it closes one interval per cgroup cycle; the RAPL
# meter is read every 200 ms, so that the power collector's last reading
# is at most that old when a cgroup cycle ends: the model then has the
# energy of each interval before the next cycle comes (it does not wait
# longer: an interval not covered by then is a gap). The host's CPU
# counters and the power collector every 200 ms too: an interval's
# utilisation and energy are interpolated between their readings, and the
# idle power is checked to 5 % on a host that other jobs may keep busy,
# which the fit reaches when the readings are a fifth of an interval
# apart (at a second apart, other jobs that come and go every second
# moved it by up to 8 %; docs/attribution.md).
cat >"$TEST_TMP/config.yml" <<'YML'
collectors:
  host:
    interval: 200ms
  cgroup:
    interval: 1s
  power:
    interval: 200ms
  model:
    interval: 500ms
YML
cp "$TEST_TMP/config.yml" "$TEST_TMP/rapl.yml"
cat >>"$TEST_TMP/rapl.yml" <<'YML'
meters:
  - name: rapl
    type: rapl
    interval: 200ms
YML
VM_ARGS=(--config.file="$TEST_TMP/rapl.yml" --path.cgroupfs="$CGROOT"
	--path.sysfs="$SYS" --no-collector.perf --no-collector.libvirt)

start_virtmeter "${VM_ARGS[@]}" --storage.path="$STORE" || tap_abort "virtmeter starts"
T0=$EPOCHREALTIME
MAIN_PID=$VM_PID

# rel: seconds since T0.
rel() { calc 'a - b' "a=$EPOCHREALTIME" "b=$T0"; }

# Every scrape of the long run goes through look: it checks the error ratio
# and that the parts add up to the host's energy, keeping the worst of each.
# It also keeps the range of the host's utilisation over the seconds
# between looks (U_MIN, U_MAX), which the fit of the idle power needs.
# And the lowest host power of an interval (P_MIN; 0, a gap, aside).
NLOOK=0 NERR=0 ERR_MAX=0 SUM_DEV_MAX=0 ERR_WORST="" SUM_WORST=""
U_MIN=2 U_MAX=-1 U_BUSY="" U_TOTAL=""
P_MIN=1e9 P_MIN_AT=""
look() {
	local f=$TEST_TMP/$1.b err sum host dev hb ht u p
	scrape "$1" text >/dev/null
	read -r err sum host _ _ < <(figures "$f")
	NLOOK=$((NLOOK + 1))
	p=$(sv "$f" 'virtmeter_host_power_watts{source="rapl"}')
	if [ -n "$p" ] && holds 'p > 0 && p < m' "p=$p" "m=$P_MIN"; then
		P_MIN=$p
		P_MIN_AT="at $(rel) s: $(grep -E '^virtmeter_(host_(power|energy)_|model_intervals)' "$f" | tr '\n' ' ')"
	fi
	hb=$(host_busy "$f") ht=$(host_total "$f")
	if [ -n "$U_TOTAL" ] && holds 't - p >= 1' "t=$ht" "p=$U_TOTAL"; then
		u=$(calc '(b - pb) / (t - pt)' "b=$hb" "pb=$U_BUSY" "t=$ht" "pt=$U_TOTAL")
		holds 'u < m' "u=$u" "m=$U_MIN" && U_MIN=$u
		holds 'u > m' "u=$u" "m=$U_MAX" && U_MAX=$u
		U_BUSY=$hb U_TOTAL=$ht
	elif [ -z "$U_TOTAL" ]; then
		U_BUSY=$hb U_TOTAL=$ht
	fi
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

# watch_until SECONDS: looks twice a second (so that the power of every
# interval, which stays up for one, is seen) until SECONDS after T0.
watch_until() {
	while holds 'n < t' "n=$(rel)" "t=$1"; do
		look w
		sleep 0.5
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
tap_is_r "$(sv "$B" 'virtmeter_host_power_source_info{meter="rapl",source="rapl",zone="psys"}')" 1 \
	"with a psys zone the host's source is rapl psys alone" ||
	tap_diag "$(grep -E '^virtmeter_(host_power_source|energy_joules)' "$B")"
tap_is "$(samples "$B" virtmeter_host_power_source_info | wc -l)" 1 "one source info series"
tap_is "$(samples "$B" virtmeter_energy_joules_total 'meter="rapl"' 'part_of=""' | sed 's/.*,zone="\([^"]*\)",kind="\([^"]*\)".*/\1 \2/')" \
	"psys psys" "the model's zones are the meter's zones inside no other: psys, of kind psys"
tap_is "$(samples "$B" virtmeter_energy_joules_total 'meter="rapl"' 'part_of="psys"' | wc -l)" 4 \
	"the packages and DRAM it leaves out are part_of psys"
tap_check "the choice is logged" log_has 'model: the host.s energy comes from meter rapl \(rapl\), zones psys'

# The schedule (seconds after T0): the busy loop runs 6-16, 26-36 and
# 46-54, so that utilisation spreads for the fit; the energy is compared
# between 5 and 61, both in quiet stretches; the idle power is learned by
# about 62, and a last burst after it shows the split.
watch_until 5
at_publish d0 || tap_diag "no interval attributed in 3 s around $(rel) s"
D0_T=$AT_T D0_E=$AT_E
busy_for 10
watch_until 26
busy_for 10
watch_until 46
busy_for 8
watch_until 61
at_publish d1 || tap_diag "no interval attributed in 3 s around $(rel) s"
D1_T=$AT_T D1_E=$AT_E

# (d) The model's host energy over a minute is the fixture's. Both looks
# were taken just after the model attributed an interval, so the model's
# intervals end the same time before each, in quiet stretches where the
# power hardly changes.
hA=$(sv "$TEST_TMP/d0.b" 'virtmeter_host_energy_joules_total{source="rapl"}')
hB=$(sv "$TEST_TMP/d1.b" 'virtmeter_host_energy_joules_total{source="rapl"}')
gA=$(gaps "$TEST_TMP/d0.b") gB=$(gaps "$TEST_TMP/d1.b")
dt=$(calc 'b - a' "a=$D0_T" "b=$D1_T")
pm=$(calc '(b - a) / t' "a=$hA" "b=$hB" "t=$dt")
pf=$(calc '(b - a) / t' "a=$D0_E" "b=$D1_E" "t=$dt")
verdict "the model's host power over $dt s ($pm W) is the fixture's ($pf W) within 3 %" \
	holds 'f > 0 && m - f <= 0.03 * f && f - m <= 0.03 * f' "m=$pm" "f=$pf" ||
	tap_diag "host energy $hA -> $hB J, fixture $D0_E -> $D1_E J, gap intervals $gA -> $gB"
tap_is "$(calc 'b - a' "a=$gA" "b=$gB")" 0 "no interval of that minute was a gap"

# The fixture never draws less than IDLE_W, so no interval may show less
# (but for the few tens of milliseconds by which the fixture's file may lag
# on a busy host).
verdict "no interval's host power is below the fixture's $IDLE_W W (lowest $P_MIN W)" \
	holds 'p >= 0.96 * i' "p=$P_MIN" "i=$IDLE_W" || tap_diag "$P_MIN_AT"

# (e) The idle power learned converges to the fixture's, from every
# interval attributed. Without any spread of the host's utilisation (other
# processes keeping every CPU busy throughout) there is no line to fit:
# that is said, not failed.
learned() {
	look w
	[ "$(sv "$TEST_TMP/w.b" virtmeter_host_idle_power_samples)" -ge 60 ] 2>/dev/null &&
		[ -n "$(sv "$TEST_TMP/w.b" 'virtmeter_host_idle_power_watts{method="learned"}')" ]
}
# (A saturated host may delay the 60th sample; the wait is bounded.)
wait_for 20 learned
B=$TEST_TMP/w.b
n=$(sv "$B" virtmeter_host_idle_power_samples)
na=$(attributed "$B")
lw=$(sv "$B" 'virtmeter_host_idle_power_watts{method="learned"}')
LEARNED=0
if [ -n "$lw" ]; then
	LEARNED=1
	verdict "the learned idle power ($lw W, from $n intervals) is the fixture's $IDLE_W W within 5 %" \
		holds 'n >= 60 && w - i <= 0.05 * i && i - w <= 0.05 * i' "w=$lw" "i=$IDLE_W" "n=$n" ||
		tap_diag "host utilisation from $U_MIN to $U_MAX; lowest interval power seen $P_MIN W" \
			"$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")"
elif holds 'u >= 0.9' "u=$U_MIN"; then
	tap_skip "the learned idle power is the fixture's" \
		"other processes kept the host's CPUs busy throughout (utilisation $U_MIN to $U_MAX): no spread to fit a line to"
else
	tap_fail "the idle power is learned by 60 intervals (utilisation from $U_MIN to $U_MAX)" \
		"$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")"
fi
# Intervals are learnt in points of at least 5 s (learn_fold): up to 5
# intervals of the newest point wait.
verdict "every attributed interval but the newest point's is a learning sample ($n of $na)" \
	holds 'n <= a && n >= a - 2 - 5' "n=$n" "a=$na" ||
	tap_diag "$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")" \
		"host utilisation from $U_MIN to $U_MAX"

# (a) The busy container's dynamic energy is its CPU time's: the fixture
# draws SLOPE_W / CPUS joules per busy CPU second, so each CPU second the
# container used costs that much, plus its CPU share of the difference
# between the fixture's idle power and the model's. Taken as rates in a
# steady burst, each over its own source's times: the model's time from
# its idle energy (idle power times duration in every interval where the
# power exceeds it), the CPU time over the collectors' cycles.
# (The loop runs on past the second look, however late that is, until
# the container is removed below.)
busy_for 40
A_START=$(rel)
watch_until "$(calc 's + 4' "s=$A_START")"
at_publish a0
watch_until "$(calc 's + 13' "s=$A_START")"
at_publish a1
lint_scrape "$TEST_TMP/a1.b" text "the scrape with the model's series is clean"
f0=$TEST_TMP/a0.b f1=$TEST_TMP/a1.b
c0=$(cpu_of "$f0" "$LB") c1=$(cpu_of "$f1" "$LB")
h0=$(host_busy "$f0") h1=$(host_busy "$f1")
tc0=$(ts_of "$f0" cgroup) tc1=$(ts_of "$f1" cgroup)
th0=$(ts_of "$f0" host) th1=$(ts_of "$f1" host)
bd0=$(ct_j "$f0" "$LB" dynamic rapl) bd1=$(ct_j "$f1" "$LB" dynamic rapl)
read -r _ _ _ _ i0 < <(figures "$f0")
read -r _ _ _ _ i1 < <(figures "$f1")
w0=$(value "$f0" virtmeter_host_idle_power_watts)
w1=$(value "$f1" virtmeter_host_idle_power_watts)
tap_is "$(samples "$f1" virtmeter_host_idle_power_watts | sed 's/ .*//')" \
	"$(samples "$f0" virtmeter_host_idle_power_watts | sed 's/ .*//')" \
	"the idle power comes from the same method throughout the burst"
t_model=$(calc '(i1 - i0) / ((w0 + w1) / 2)' "i0=$i0" "i1=$i1" "w0=$w0" "w1=$w1")
got=$(calc '(b1 - b0) / t' "b0=$bd0" "b1=$bd1" "t=$t_model")
c_rate=$(calc '(c1 - c0) / (t1 - t0)' "c0=$c0" "c1=$c1" "t0=$tc0" "t1=$tc1")
b_rate=$(calc '(h1 - h0) / (t1 - t0)' "h0=$h0" "h1=$h1" "t0=$th0" "t1=$th1")
want=$(calc 'k * c / n + (i - w) * c / b' "k=$SLOPE_W" "c=$c_rate" "n=$CPUS" \
	"i=$IDLE_W" "w=$w1" "b=$b_rate")
verdict "in a burst the busy container's dynamic power ($got W) is its CPU time's ($want W) within 5 %" \
	holds 'c > 0.2 && g - w <= 0.05 * w && w - g <= 0.05 * w' "g=$got" "w=$want" "c=$c_rate" ||
	tap_diag "model: dynamic $bd0 -> $bd1 J, idle energy $i0 -> $i1 J at $w0, $w1 W: $t_model s" \
		"container CPU $c0 -> $c1 s over cgroup cycles $tc0 -> $tc1: $c_rate CPUs" \
		"host busy $h0 -> $h1 s over host cycles $th0 -> $th1: $b_rate of $CPUS CPUs"

# (b) The sleeping container gets no dynamic energy.
B=$f1
bdyn=$(ct_j "$B" "$LB" dynamic rapl)
idyn=$(ct_j "$B" "$LI" dynamic rapl)
verdict "the sleeping container gets no dynamic energy ($idyn J, the busy one $bdyn J)" \
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
		verdict "${c%%:*} gets its reserved share of the idle energy (got $got, want $want)" \
			holds 'w > 0 && g - w <= 0.01 * w && w - g <= 0.01 * w' "g=$got" "w=$want" ||
			tap_diag "limit $lim of $mem bytes; idle energy $hidle J" \
				"$(samples "$B" virtmeter_container_energy_joules_total 'component="idle"')"
	done
else
	tap_skip "the idle energy is split by reserved memory" "no writable memory limit file"
fi

# (c) The parts add up to the measured energy, interval by interval and
# over the run.
verdict "the attribution error stays below 0.5 % on every scrape (worst $ERR_MAX over $NERR of $NLOOK scrapes)" \
	holds 'n > 30 && e < 0.005' "n=$NERR" "e=$ERR_MAX" ||
	tap_diag "$ERR_WORST"
verdict "containers plus unattributed energy equal the host's energy on every scrape (worst deviation $SUM_DEV_MAX)" \
	holds 'd < 0.005' "d=$SUM_DEV_MAX" || tap_diag "$SUM_WORST"
read -r _ sum host _ _ < <(figures "$B")
tap_check "over the run the parts ($sum J) add up to the host's energy ($host J)" \
	holds 'h > 500 && s - h <= 0.005 * h && h - s <= 0.005 * h' "s=$sum" "h=$host"
tap_is "$(sv "$B" 'virtmeter_model_dynamic_split_info{by="cpu"}')" 1 "dynamic energy is split by CPU time"

# (k) A removed container keeps its final energy; its power goes.
tap_check "the busy container's cgroup is removed" cg_remove "$BUSY_CG"
# (Other containers of the host may come and go too: what is checked is
# this one's series.)
power_gone() { look k; ! grep -q "^virtmeter_container_power_watts{container=\"$BUSY\"" "$TEST_TMP/k.b"; }
wait_for 6 power_gone
B=$TEST_TMP/k.b
tap_is "$(samples "$B" virtmeter_container_power_watts "container=\"$BUSY\"" | wc -l)" 0 \
	"its power series go"
tap_check "it is counted as retired ($(sv "$B" virtmeter_model_retired_workloads))" \
	holds 'r >= 1' "r=$(sv "$B" virtmeter_model_retired_workloads)"
k1=$(samples "$B" virtmeter_container_energy_joules_total "container=\"$BUSY\"")
sleep 1.5
look w
k2=$(samples "$TEST_TMP/w.b" virtmeter_container_energy_joules_total "container=\"$BUSY\"")
same_three() { [ "$(printf '%s\n' "$1" | grep -c .)" = 3 ] && [ "$1" = "$2" ]; }
verdict "its energy series stay, with their final values" same_three "$k1" "$k2" ||
	tap_diag "before:" "$k1" "after:" "$k2"
tap_is "$(samples "$TEST_TMP/w.b" virtmeter_container_power_watts "container=\"$IDLE\"" | wc -l)" 3 \
	"the container still present keeps its power series"

# (f) The learned idle power survives a restart.
N_KEPT=$(sv "$TEST_TMP/w.b" virtmeter_host_idle_power_samples)
stop_virtmeter "$MAIN_PID"
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
STATE=$STORE/idle-power.state
tap_check "the idle power's history is saved to the storage directory" test -s "$STATE"
tap_is "$(head -n 1 "$STATE" 2>/dev/null)" "virtmeter-idle-power 1" "as a state file"
start_virtmeter "${VM_ARGS[@]}" --storage.path="$STORE" || tap_abort "virtmeter starts again"
idle_known() { scrape r text >/dev/null; samples "$TEST_TMP/r.b" virtmeter_host_idle_power_watts | grep -q .; }
wait_for 8 idle_known
B=$TEST_TMP/r.b
n=$(sv "$B" virtmeter_host_idle_power_samples)
verdict "after a restart the history is back ($n samples at the first interval, $N_KEPT before)" \
	holds 'n >= k && k >= 60' "n=$n" "k=$N_KEPT" ||
	{ tap_diag "$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")"; tap_diag_file "$VM_LOG"; }
lw=$(sv "$B" 'virtmeter_host_idle_power_watts{method="learned"}')
if [ "$LEARNED" = 1 ]; then
	verdict "and the first idle power is the learned one ($lw W)" \
		holds 'w != "" && w - i <= 0.05 * i && i - w <= 0.05 * i' "w=$lw" "i=$IDLE_W" ||
		tap_diag "$(grep -E '^virtmeter_(host_idle|model_intervals)' "$B")"
else
	tap_skip "and the first idle power is the learned one" "nothing was learned before the restart"
fi
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
tap_is_r "$(grep -c "$STATE" "$G_LOG")" 1 "a corrupt state file is named in exactly one log line" ||
	tap_diag_file "$G_LOG"
tap_like "$(grep "$STATE" "$G_LOG")" 'level=warn.*ignoring' "which says it is ignored"
tap_is "$(fetch gm "$G_URL/metrics")" 200 "virtmeter still serves"
tap_is_r "$(samples "$TEST_TMP/g.b" virtmeter_host_idle_power_watts | sed 's/ .*//')" \
	'virtmeter_host_idle_power_watts{method="estimate"}' \
	"nothing was learned from the corrupt file (method estimate)" ||
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

# Started together, the two are past the estimate's grace time together.
sleep 1.5
scrape j text "$J_URL/metrics" >/dev/null
B=$TEST_TMP/j.b
tap_check "without the estimate the containers are still seen" \
	test -n "$(cpu_of "$B" "$LI")"
tap_is "$(samples "$B" virtmeter_container_energy_joules_total | wc -l)" 0 \
	"--no-collector.model.estimate without a meter gives no container energy"
tap_is "$(samples "$B" virtmeter_host_power_source_info | wc -l)" 0 "and no host source"

tap_done
