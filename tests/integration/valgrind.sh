#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # cleanup runs from the trap
# virtmeter under valgrind's memcheck, with the cgroup collector reading
# through its io_uring: the kernel fills the read buffers where valgrind
# cannot see it, and the reader tells memcheck which bytes it wrote
# (valgrind's client requests), so that a run has no error at all. The
# daemon serves a generated cgroup tree (the v2 fixture and 40 more
# containers, several batches of the ring a cycle), is scraped a few
# times, and SIGTERM ends it with status 0 and an error summary of 0
# errors, leaks included; the log shows that the ring was used throughout.
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
command -v valgrind >/dev/null || tap_skip_all "valgrind is not installed (Debian package valgrind)"
! vm_sanitized || tap_skip_all "virtmeter is built with --enable-sanitizers, which valgrind cannot run: run this test on a plain build"
disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)
[ "$disabled" = 0 ] || tap_skip_all "io_uring is disabled here (kernel.io_uring_disabled=$disabled)"

# The tree: the cgroup2 fixture, and 40 containers more made like its
# lxc container.
FIX=$top_srcdir/tests/fixtures/cgroup/v2-systemd
TREE=$TEST_TMP/cgroup
cp -r "$FIX" "$TREE" || tap_abort "copy $FIX"
chmod -R u+w "$TREE"
for i in $(seq 1 40); do
	cp -r "$TREE/lxc.payload.web1" "$TREE/lxc.payload.gen$i"
done
cat >"$TEST_TMP/config.yml" <<EOF
collectors:
  cgroup: {interval: 1s}
  host: {interval: 1s}
  process: {interval: 1s}
EOF

# healthy PID URL: waits (at most 60 s: valgrind starts slowly) until
# URL/healthz answers 200 while PID lives.
healthy() {
	local i
	for ((i = 0; i < 240; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2/healthz")" = 200 ] && return 0
		sleep 0.25
	done
	return 1
}

VG_LOG=$TEST_TMP/valgrind.log
free_port || tap_abort "no free port"
VM_URL=http://127.0.0.1:$FREE_PORT
VM_LOG=$TEST_TMP/virtmeter.log
valgrind --error-exitcode=99 --leak-check=full --log-file="$VG_LOG" \
	"$VIRTMETER" --web.listen-address=127.0.0.1:"$FREE_PORT" --log.level=debug \
	--config.file="$TEST_TMP/config.yml" --collector.disable-defaults \
	--collector.cgroup --collector.host --collector.process \
	--path.cgroupfs="$TREE" --storage.path="$TEST_TMP/state" >"$VM_LOG" 2>&1 &
VM_PID=$!
lib_track_pid "$VM_PID"
healthy "$VM_PID" "$VM_URL" || {
	tap_diag_file "$VM_LOG"
	tap_diag_file "$VG_LOG"
	tap_abort "virtmeter under valgrind answers /healthz within 60 s"
}
tap_ok "virtmeter under valgrind answers /healthz"

M=$TEST_TMP/m.b
# served: the last scrape has CPU time for the fixture's container and
# the last generated one, and the cgroup collector is up.
served() {
	scrape m text >/dev/null
	[ "$(series_value "$M" 'virtmeter_collector_up{collector="cgroup"}')" = 1 ] &&
		[ -n "$(samples "$M" virtmeter_container_cpu_seconds_total 'container="web1"')" ] &&
		[ -n "$(samples "$M" virtmeter_container_cpu_seconds_total 'container="gen40"')" ]
}
tap_check "the cgroup collector serves the generated containers" wait_for 60 served
# A few cycles of the ring, and scrapes of them.
for i in 1 2 3 4 5; do
	sleep 1
	tap_is "$(scrape m text)" 200 "scrape $i answers 200"
done
tap_like "$(grep -c 'container="gen[0-9]*"' "$M")" '^[1-9][0-9]*$' "the last scrape has the generated containers"
tap_like "$(cat "$VM_LOG")" 'cgroup: reading through an io_uring' "the cgroup collector reads through its io_uring"
tap_unlike "$(cat "$VM_LOG")" 'io_uring .*reading each (cgroup )?file with' "and never fell back to pread"

kill -TERM "$VM_PID"
if wait_gone "$VM_PID" 600; then
	wait "$VM_PID"
	status=$?
else
	kill -KILL "$VM_PID"
	status=killed
fi
lib_untrack_pid "$VM_PID"
tap_is "$status" 0 "SIGTERM ends it with status 0 (valgrind's --error-exitcode is 99)"
summary=$(grep -o 'ERROR SUMMARY: [0-9]* errors from [0-9]* contexts' "$VG_LOG")
tap_is "$summary" "ERROR SUMMARY: 0 errors from 0 contexts" "valgrind reports no error"
[ "$summary" = "ERROR SUMMARY: 0 errors from 0 contexts" ] || tap_diag_file "$VG_LOG" 80
tap_like "$(cat "$VG_LOG")" 'All heap blocks were freed|definitely lost: 0 bytes' "and no leak"
tap_done
