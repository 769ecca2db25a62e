#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # loops run in the background
# The soak (not part of make check): virtmeter for SOAK_SECONDS (default one
# hour) at SOAK_RATE scrapes a second (default 50) on one keep-alive
# connection, while around it
#   - containers appear and vanish: a generated cgroup v2 tree of
#     SOAK_CONTAINERS containers (default 100), one removed and another
#     added every 2 s;
#   - VMs appear and vanish: libvirt's test driver hosted by a real
#     libvirtd (test+unix:///default), a transient domain created and
#     another destroyed every 2 s (needs root and libvirt-daemon-system;
#     without them the soak runs without VMs and says so);
#   - a meter flaps: an exec meter that answers, fails, hangs past its
#     timeout and prints garbage, in turns of 10 s;
#   - the configuration is reloaded (SIGHUP) every 30 s, alternating two
#     files.
# Every 30 s (more often in a run shorter than 10 min) it records the
# daemon's resident memory, open file descriptors and threads, and the
# scrapes so far, into soak.csv. At the end the churn stops, and it checks: no scrape failed (each answered 200
# with a whole exposition, none slower than 1 s), the open descriptors are
# back to where they were before the churn began, and the resident memory
# is flat over the last half of the run (at most 30 min): its least-squares
# slope over that half adds up to less than 1 % of it. Prints the curve and
# "N passed, N failed".
#
#   make soak                       (the build's virtmeter, one hour)
#   SOAK_SECONDS=600 bash tests/soak/soak.sh
#
# SOAK_OUT names a directory that keeps soak.csv, the scraper's report and
# the daemon's log (default: the temporary directory, removed unless
# KEEP_TMP=1).
SOAK_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$SOAK_DIR/../.." && pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

SECS=${SOAK_SECONDS:-3600}
RATE=${SOAK_RATE:-50}
NCT=${SOAK_CONTAINERS:-100}
for v in "$SECS" "$RATE" "$NCT"; do
	case $v in '' | *[!0-9]* | 0) echo "soak.sh: SOAK_SECONDS, SOAK_RATE and SOAK_CONTAINERS are positive integers" >&2; exit 2 ;; esac
done
OUT=${SOAK_OUT:-$TEST_TMP}
mkdir -p "$OUT" || tap_abort "cannot create $OUT"
[ -x "$VIRTMETER" ] || tap_abort "virtmeter binary not built ($VIRTMETER)"
command -v python3 >/dev/null || tap_abort "python3 is needed for the scraper"

# ---- the cgroup tree ---------------------------------------------------------
FIX=$top_srcdir/tests/fixtures/cgroup/v2-systemd
TREE=$TEST_TMP/cgroup
{ cp -r "$FIX" "$TREE" && chmod -R u+w "$TREE"; } || tap_abort "copy $FIX"
for ((i = 1; i <= NCT; i++)); do
	cp -r "$TREE/lxc.payload.web1" "$TREE/lxc.payload.soak$i"
done

# ---- the flapping meter ------------------------------------------------------
MODE=$TEST_TMP/meter.mode
echo up >"$MODE"
METER=$TEST_TMP/meter.sh
cat >"$METER" <<'EOF'
#!/bin/sh
# Answers as the file $1 says: up, fail, hang or garbage.
case $(cat "$1") in
up) printf 'watts 180.5\njoules 1000 psu1\n' ;;
fail) echo "sensor offline" >&2; exit 3 ;;
hang) exec sleep 30 ;;
*) printf 'watts 12\nnot a reading\n' ;;
esac
EOF
chmod +x "$METER"

# ---- libvirt's test driver in a real libvirtd --------------------------------
LV_URI=test+unix:///default
VMS=no
# hold_test_state: the test driver's shared state lives while a connection
# holds it; this one lasts as long as the libvirtd it talks to.
hold_test_state() {
	sleep $((SECS + 600)) | virsh -c "$LV_URI" >/dev/null 2>&1 &
	lib_track_pid $!
}
if [ "$(id -u)" -eq 0 ] && [ -r "$top_srcdir/tests/libvirt/lib.sh" ]; then
	# shellcheck source=tests/libvirt/lib.sh
	. "$top_srcdir/tests/libvirt/lib.sh"
	if lv_check && lv_start_daemons >/dev/null 2>&1; then
		hold_test_state
		VMS=yes
	fi
fi
[ "$VMS" = yes ] || tap_diag "no libvirtd here (needs root and libvirt-daemon-system): the soak runs without VMs"

# ---- the daemon ---------------------------------------------------------------
# conf N: the configuration, N 1 or 2 (the meter's interval differs).
conf() {
	local lv=""
	[ "$VMS" = yes ] && lv="  libvirt: {uri: \"$LV_URI\", interval: 2s}"
	cat <<EOF
collectors:
  cgroup: {interval: 2s}
  host: {interval: 2s}
$lv
meters:
  - {name: flappy, type: exec, interval: ${1}00ms, timeout: 1s, command: [$METER, $MODE]}
EOF
}
conf 5 >"$TEST_TMP/a.yml"
conf 7 >"$TEST_TMP/b.yml"
cp "$TEST_TMP/a.yml" "$TEST_TMP/virtmeter.yml"
start_virtmeter --config.file="$TEST_TMP/virtmeter.yml" --path.cgroupfs="$TREE" \
	--storage.path="$TEST_TMP/state" || tap_abort "virtmeter starts"
DPID=$VM_PID
echo "virtmeter $("$VIRTMETER" --version 2>&1 | head -n 1), pid $DPID, $SECS s at $RATE scrapes/s, $NCT containers, VMs: $VMS"

# ---- churn --------------------------------------------------------------------
STOP=$TEST_TMP/stop
containers() {
	local n=$NCT
	while [ ! -e "$STOP" ]; do
		n=$((n + 1))
		cp -r "$TREE/lxc.payload.web1" "$TREE/lxc.payload.soak$n"
		rm -rf "$TREE/lxc.payload.soak$((n - NCT))"
		sleep 2
	done
}
# vms: a VM created and another destroyed every 2 s. A libvirtd that
# stopped meanwhile (another program's restart) is started again, with
# its test state held again: virtmeter sees the restart, and the churn
# goes on. Counts what it did in vms.count: "created destroyed starts";
# the daemons it started are in lv.pids, stopped at the end.
vms() {
	local n=0 made=0 gone=0 starts=0
	while [ ! -e "$STOP" ]; do
		if ! timeout 5 virsh -q -c "$LV_URI" version >/dev/null 2>&1; then
			lv_start_daemons >/dev/null 2>&1 && hold_test_state
			starts=$((starts + 1))
			echo "${LV_LIBVIRTD_PID:-} ${LV_VIRTLOGD_PID:-}" >"$TEST_TMP/lv.pids"
		fi
		n=$((n + 1))
		printf "<domain type='test'><name>soak%d</name><memory>65536</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>" "$n" >"$TEST_TMP/dom.xml"
		timeout 20 virsh -q -c "$LV_URI" create "$TEST_TMP/dom.xml" >/dev/null 2>&1 && made=$((made + 1))
		if [ "$n" -gt 10 ]; then
			timeout 20 virsh -q -c "$LV_URI" destroy "soak$((n - 10))" >/dev/null 2>&1 && gone=$((gone + 1))
		fi
		echo "$made $gone $starts" >"$TEST_TMP/vms.count"
		sleep 2
	done
}
meter() {
	local modes=(up fail up hang up garbage) i=0
	while [ ! -e "$STOP" ]; do
		echo "${modes[i % 6]}" >"$MODE.new" && mv "$MODE.new" "$MODE"
		i=$((i + 1))
		sleep 10
	done
	echo up >"$MODE"
}
reloads() {
	local i=0
	local k
	while [ ! -e "$STOP" ]; do
		for ((k = 0; k < 30; k++)); do
			[ -e "$STOP" ] && return
			sleep 1
		done
		i=$((i + 1))
		if ((i % 2)); then
			cp "$TEST_TMP/b.yml" "$TEST_TMP/virtmeter.yml"
		else
			cp "$TEST_TMP/a.yml" "$TEST_TMP/virtmeter.yml"
		fi
		kill -HUP "$DPID" 2>/dev/null
	done
}

# proc_sample: "rss_kb fds threads" of the daemon; the descriptors and
# threads as the fewest of five looks over a second, so that the exec
# meter's pipe and the kernel's io_uring workers, there only while a read
# is in flight, do not count.
proc_sample() {
	local rss thr fds k f t
	fds=999999 thr=999999
	for k in 1 2 3 4 5; do
		f=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
		t=$(awk '/^Threads:/ {print $2}' "/proc/$DPID/status")
		((f < fds)) && fds=$f
		((t < thr)) && thr=$t
		[ "$k" = 5 ] || sleep 0.2
	done
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status")
	echo "$rss $fds $thr"
}
# One sample every 30 s, or more often in a short run (at least 20).
STEP=$((SECS / 20))
((STEP > 30)) && STEP=30
((STEP < 1)) && STEP=1

# The baseline: the daemon settled (a few cycles of each collector), before
# the scraper connects and any churn begins; the end is taken after the
# scraper has gone.
sleep 8
read -r BASE_RSS BASE_FDS BASE_THR < <(proc_sample)
# fd_list: what the daemon's descriptors point at, counted, with the
# churned containers' names made one.
fd_list() {
	find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' |
		sed -E 's/(lxc\.payload\.soak)[0-9]+/\1N/; s/\[[0-9]+\]$/[]/' | sort | uniq -c
}
fd_list >"$TEST_TMP/fds.before"
python3 "$SOAK_DIR/scraper.py" "$VM_PORT" "$RATE" "$SECS" "$TEST_TMP/scrapes.json" \
	"$TEST_TMP/scrapes.progress" >"$TEST_TMP/scraper.log" 2>&1 &
SCRAPER=$!
lib_track_pid "$SCRAPER"
containers & lib_track_pid $!
[ "$VMS" = yes ] && { vms & lib_track_pid $!; }
meter & lib_track_pid $!
reloads & lib_track_pid $!

CSV=$OUT/soak.csv
echo "seconds,rss_kb,fds,threads,scrapes,failed" >"$CSV"
t0=$SECONDS
while kill -0 "$SCRAPER" 2>/dev/null; do
	sleep "$STEP"
	kill -0 "$DPID" 2>/dev/null || break
	read -r rss fds thr < <(proc_sample)
	prog=$(cat "$TEST_TMP/scrapes.progress" 2>/dev/null || echo "0 0")
	echo "$((SECONDS - t0)),$rss,$fds,$thr,${prog// /,}" >>"$CSV"
done
touch "$STOP"
wait "$SCRAPER"
SCRAPER_RC=$?
lib_untrack_pid "$SCRAPER"
# The churn stops; the containers and VMs left are as many as at the start.
sleep 12
read -r END_RSS END_FDS END_THR < <(proc_sample)
fd_list >"$TEST_TMP/fds.after"

# ---- results ------------------------------------------------------------------
echo "# the curve (every $STEP s): seconds, RSS kB, fds, threads, scrapes, failed"
column -t -s, "$CSV" | sed 's/^/#   /'
cat "$TEST_TMP/scraper.log"
read -r NSCRAPES NFAILED <"$TEST_TMP/scrapes.progress"
tap_is "$SCRAPER_RC" 0 "every scrape answered 200 with a whole exposition within 1 s (${NSCRAPES:-0} scrapes, ${NFAILED:-?} failed)"
tap_check "the daemon still runs" kill -0 "$DPID"
if [ "$VMS" = yes ]; then
	read -r VM_MADE VM_GONE VM_STARTS <"$TEST_TMP/vms.count"
	# One VM every 2 s and a bit: at least half of them made, and destroyed.
	tap_check "VMs appeared and vanished throughout: ${VM_MADE:-0} created, ${VM_GONE:-0} destroyed (libvirtd started again $VM_STARTS times)" \
		test "${VM_MADE:-0}" -ge $((SECS / 8)) -a "${VM_GONE:-0}" -ge $((SECS / 8 - 10))
fi
tap_is "$END_FDS" "$BASE_FDS" "open descriptors back to the baseline once the churn stops (threads $BASE_THR then $END_THR)"
[ "$END_FDS" = "$BASE_FDS" ] ||
	diff "$TEST_TMP/fds.before" "$TEST_TMP/fds.after" | awk '/^[<>]/ && n++ < 40 { print "# " $0 }'
half=$(awk -F, -v s="$SECS" 'NR > 1 && $1 >= s - (s / 2 > 1800 ? 1800 : s / 2)' "$CSV")
fit=$(awk -F, '{ n++; x += $1; y += $2; xx += $1 * $1; xy += $1 * $2 }
	END {
		if (n < 3) { print "too few samples"; exit }
		b = (n * xy - x * y) / (n * xx - x * x)
		w = $1 - first; m = y / n
		printf "%.1f %.0f %.0f %.3f", b * 60, m, b * w, 100 * b * w / m
	}' first="$(echo "$half" | head -n 1 | cut -d, -f1)" <<<"$half")
read -r slope_min mean growth pct <<<"$fit"
tap_check "RSS flat over the last half: ${slope_min} kB/min, ${growth} kB over it (${pct} % of ${mean} kB; baseline $BASE_RSS kB, end $END_RSS kB)" \
	awk -v p="${pct:-x}" 'BEGIN { exit !(p ~ /^-?[0-9.]+$/ && p < 1) }'
stop_virtmeter "$DPID"
tap_is "$VM_STATUS" 0 "SIGTERM ends virtmeter with 0 after the soak"
if [ "$OUT" != "$TEST_TMP" ]; then
	cp "$TEST_TMP/scraper.log" "$VM_LOG" "$OUT/" 2>/dev/null
	echo "# kept in $OUT"
fi
if [ "$VMS" = yes ]; then
	# The daemons started at first, then those the churn started again.
	lv_stop_daemons >/dev/null 2>&1
	if [ -s "$TEST_TMP/lv.pids" ]; then
		read -r LV_LIBVIRTD_PID LV_VIRTLOGD_PID <"$TEST_TMP/lv.pids"
		lv_stop_daemons >/dev/null 2>&1
	fi
fi
echo "$((TAP_N - TAP_FAILED)) passed, $TAP_FAILED failed"
tap_done
