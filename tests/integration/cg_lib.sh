# shellcheck shell=bash disable=SC2034 # CG_UNIFIED is for the sourcing scripts
# Hand-made cgroups on this machine's real cgroup filesystem, for the live
# tests: a cgroup is made in every hierarchy the collectors read (the
# cgroup2 root on a cgroup2 host; cpu, cpuacct, memory, pids, blkio and the
# unified tree on a v1 or hybrid one), a process is started inside it, and
# everything made is removed by cg_remove_all (call it from the EXIT trap).
# Sourced after lib.sh.

# The tests that make cgroups share the machine's cgroup tree, and each
# one's daemon sees the others' cgroups come and go (its descriptor and
# series checks would count them): under make -j, they run one at a time.
# The lock is held by a small process of its own that lets go when this
# script ends: the script keeps no descriptor of it, so a process that it
# starts, and that outlives it, cannot hold the lock.
# A test that counts nothing of the others' cgroups, and whose own cgroups
# only ever carry its own names, sets CG_LOCK_SHARED=1 before sourcing
# this file: such tests share the lock with each other (the two
# virtmeter-compare tests run side by side) and hold off the counting ones.
cg_lock() {
	local ready
	ready=$(mktemp -u "${TMPDIR:-/tmp}/virtmeter-cglock.XXXXXX") && mkfifo "$ready" || return 1
	(
		exec 9>"${TMPDIR:-/tmp}/virtmeter-tests-cgroups.lock" || exit 1
		flock "$([ "${CG_LOCK_SHARED:-}" = 1 ] && echo -s || echo -x)" 9 || exit 1
		echo >"$ready"
		exec 0</dev/null
		while kill -0 "$CG_LOCK_OWNER" 2>/dev/null; do sleep 0.5; done
	) 9>/dev/null >/dev/null 2>&1 &
	read -r _ <"$ready"
	rm -f "$ready"
}
CG_LOCK_OWNER=$$
cg_lock

CGROOT=${CGROUPFS:-/sys/fs/cgroup}
CG_HIERS=()  # the hierarchies' roots
CG_UNIFIED=  # the cgroup2 tree, empty without one
CG_MADE=()   # cgroups made and not yet removed

if [ -e "$CGROOT/cgroup.controllers" ]; then
	CG_HIERS=("$CGROOT")
	CG_UNIFIED=$CGROOT
else
	for h in cpu cpuacct memory pids blkio unified; do
		[ -e "$CGROOT/$h/cgroup.procs" ] && CG_HIERS+=("$CGROOT/$h")
	done
	[ -e "$CGROOT/unified/cgroup.controllers" ] && CG_UNIFIED=$CGROOT/unified
fi

# cg_make NAME: makes the cgroup NAME in every hierarchy.
cg_make() {
	local h
	for h in "${CG_HIERS[@]}"; do mkdir -p "$h/$1" || return 1; done
	CG_MADE+=("$1")
}

# cg_kill NAME: kills the processes of cgroup NAME.
cg_kill() {
	local h p
	for h in "${CG_HIERS[@]}"; do
		[ -f "$h/$1/cgroup.procs" ] || continue
		while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$h/$1/cgroup.procs"
	done
}

# cg_remove NAME: kills its processes and removes it (retries for 3 s: a
# killed process leaves its cgroup a moment later). Fails if it stays.
cg_remove() {
	local h i left n keep=()
	cg_kill "$1"
	for ((i = 0; i < 30; i++)); do
		left=0
		for h in "${CG_HIERS[@]}"; do
			[ -d "$h/$1" ] && { rmdir "$h/$1" 2>/dev/null || left=1; }
		done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for n in "${CG_MADE[@]}"; do [ "$n" = "$1" ] || keep+=("$n"); done
	CG_MADE=("${keep[@]}")
	[ $left = 0 ]
}

# cg_remove_all: removes every cgroup made.
cg_remove_all() {
	local n
	for n in "${CG_MADE[@]}"; do cg_remove "$n"; done
}

# cg_exec NAME CMD...: runs CMD inside cgroup NAME (in every hierarchy),
# in the foreground.
cg_exec() {
	local name=$1 procs=() h
	shift
	for h in "${CG_HIERS[@]}"; do procs+=("$h/$name/cgroup.procs"); done
	sh -c 'n=$1; shift; i=0
		for f in "$@"; do
			i=$((i + 1)); [ $i -le "$n" ] || break
			echo $$ >"$f" || exit 1
		done
		shift "$n"; exec "$@"' sh "${#procs[@]}" "${procs[@]}" "$@"
}

# run_in_cg NAME CMD...: cg_exec in the background. Sets BG_PID.
run_in_cg() {
	cg_exec "$@" &
	BG_PID=$!
	lib_track_pid "$BG_PID"
}
