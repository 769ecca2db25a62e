#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2119
# Kubernetes labels end to end: virtmeter runs on the cgroup2 fixture tree,
# whose kubepods slices hold a containerd pod (an app container and its
# sandbox), a cri-o pod and a pod whose runtime state is missing, beside
# docker, podman, LXC and systemd-nspawn containers; the runtimes' state
# fixtures are mounted where containerd, cri-o, docker and podman keep
# their state, in a private mount namespace, so the host is untouched.
# Every container series carries its pod and namespace (empty outside
# Kubernetes), and Prometheus's own query engine (promtool test rules)
# gives `sum by (namespace)` and `count by (namespace, pod)` over the
# scrape, with no join, the sums of the fixture's own files. Needs root
# (the mount namespace) and a build with yajl (the state files are JSON).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

FIX=$top_srcdir/tests/fixtures/cgroup
TREE=$FIX/v2-systemd
K_APP=f0d64011ff21798ac98339dab250c8dc7bd8c3e3f91e40d5f4470a72a3b764b1
K_SBX=9125f2177ab83f5c73fb81320caa3d23f4c19ea50066f638f196b6e9920fa0c1
K_GUA=aa21536d9fd228d6134e57c7df3a779d4da73897c1dc61e83d02f4dccc8205cc
C_RED=a76d1df4defefef1abd638db99404eec38d9e4749976b8459b71585281d18c18
D_WEB=f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb
P_API=236afc24ae3e0fe15428343bd8b1f2c2cf3220c70f338d091f29166681157bcf
POD=shop-7d9f8b6c5-x2x4q

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root for a private mount namespace"
command -v unshare >/dev/null 2>&1 || tap_skip_all "unshare not installed (util-linux)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
"$VIRTMETER" --version | grep -q 'yajl' ||
	tap_skip_all "virtmeter built without yajl: no runtime state is read"
unshare -m --propagation private true 2>/dev/null ||
	tap_skip_all "no private mount namespace here"

# In a private mount namespace: empty /run and /var/lib, then each
# runtime's state fixture where that runtime keeps its state; then exec
# virtmeter (its PID stays the one lib.sh tracks).
MOUNT_STATE='
	s=$1; shift
	mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib &&
	mkdir -p /run/containerd /run/containers/storage /var/lib/docker \
		/var/lib/containers/storage &&
	mount --bind "$s/containerd" /run/containerd &&
	mount --bind "$s/crio" /run/containers/storage &&
	mount --bind "$s/docker" /var/lib/docker &&
	mount --bind "$s/podman" /var/lib/containers/storage || exit 1
	exec "$@"'
VM_WRAP=(unshare -m --propagation private -- sh -c "$MOUNT_STATE" sh "$FIX/state")
start_virtmeter --path.cgroupfs="$TREE" --storage.path="$TEST_TMP/storage" \
	--no-collector.libvirt --no-collector.perf ||
	tap_abort "virtmeter starts in a mount namespace with the runtimes' state"
VM_WRAP=()
tap_check "the host's /run/containerd is untouched" test ! -e /run/containerd

B=$TEST_TMP/m.b
[ "$(scrape m text)" = 200 ] || tap_abort "GET /metrics answers 200"
# The cgroup collector's first cycle ends after /healthz answers (well
# after, under valgrind): the scrape below is the first with containers.
# shellcheck disable=SC2317 # called through wait_for
containers_served() { scrape m text >/dev/null && grep -q '^virtmeter_container_' "$B"; }
wait_for $((5 * VM_SLOW)) containers_served

# ---- the labels, as scraped --------------------------------------------------------
APP="container=\"app\",id=\"$K_APP\",runtime=\"containerd\",pod=\"$POD\",namespace=\"prod\""
WEB="container=\"web\",id=\"$D_WEB\",runtime=\"docker\",pod=\"\",namespace=\"\""
app_cg=$TREE/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6b1f9a2e_3c4d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-$K_APP.scope
tap_is "$(series_value "$B" "virtmeter_container_memory_usage_bytes{$APP}")" "$(cat "$app_cg/memory.current")" \
	"a containerd pod's container carries its Kubernetes name, pod and namespace"
tap_is "$(series_value "$B" "virtmeter_container_memory_usage_bytes{$WEB}")" \
	"$(cat "$TREE/system.slice/docker-$D_WEB.scope/memory.current")" \
	"a docker container outside Kubernetes carries an empty pod and namespace"
unlabelled=$(grep '^virtmeter_container_' "$B" | grep -c -v ',pod="[^"]*",namespace="[^"]*"')
tap_is "$unlabelled" 0 "every container series carries pod and namespace"

# ---- PromQL over the scrape ----------------------------------------------------------
if ! command -v promtool >/dev/null 2>&1; then
	tap_skip "PromQL sums by namespace" "promtool not installed (Debian package prometheus)"
	stop_virtmeter
	tap_done
fi
# mem_of CGROUP...: the sum of memory.current of the fixture cgroups (each
# relative to the tree); fails when one has none.
mem_of() {
	local c v s=0
	for c in "$@"; do
		v=$(cat "$TREE/$c/memory.current") || return 1
		s=$((s + v))
	done
	echo "$s"
}
KP=kubepods.slice
prod=$(mem_of "${app_cg#"$TREE"/}" \
	"$KP/kubepods-burstable.slice/kubepods-burstable-pod6b1f9a2e_3c4d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-$K_SBX.scope")
data=$(mem_of "$KP/kubepods-besteffort.slice/kubepods-besteffort-pod0f3e2d1c_5b4a_4968_8776_a5b4c3d2e1f0.slice/crio-$C_RED.scope")
none=$(mem_of "$KP/kubepods-pod9d8c7b6a_1e2f_4a3b_9c4d_5e6f7a8b9c0d.slice/cri-containerd-$K_GUA.scope" \
	"system.slice/docker-$D_WEB.scope" "system.slice/libpod-$P_API.scope" \
	'machine.slice/machine-debian\x2dbox.scope' lxc.payload.web1)
if [ -z "$prod" ] || [ -z "$data" ] || [ -z "$none" ]; then
	tap_abort "the fixture's memory.current files are readable"
fi

# rules_test EXPR EXPECTED...: a promtool rules test of one PromQL
# expression over the scraped series at time 0 (EXPECTED: 'LABELS VALUE').
rules_test() {
	local expr=$1 e
	shift
	echo 'tests:'
	echo '  - interval: 1m'
	echo '    input_series:'
	# One series per sample of the scrape's container families.
	awk -v q="'" '/^virtmeter_container_/ {
		v = $NF; sub(/ [^ ]+$/, "")
		gsub(q, q q)
		printf "      - series: %s%s%s\n        values: %s%s%s\n", q, $0, q, q, v, q
	}' "$B"
	echo '    promql_expr_test:'
	echo "      - expr: '$expr'"
	echo '        eval_time: 0'
	echo '        exp_samples:'
	for e in "$@"; do
		echo "          - labels: '${e% *}'"
		echo "            value: ${e##* }"
	done
}

# promql NAME EXPR EXPECTED...: passes when promtool finds EXPR's result
# equal to EXPECTED.
promql() {
	local name=$1
	shift
	rules_test "$@" >"$TEST_TMP/$name.yml"
	promtool test rules "$TEST_TMP/$name.yml" >"$TEST_TMP/$name.out" 2>&1 ||
		{ cat "$TEST_TMP/$name.out"; return 1; }
}

# The checker can fail: a wrong sum is caught.
tap_check "promtool catches a wrong sum" \
	fails promql wrong 'sum by (namespace) (virtmeter_container_memory_usage_bytes)' \
	"{namespace=\"prod\"} $((prod + 1))" "{namespace=\"data\"} $data" "{} $none"
out=$(promql sum 'sum by (namespace) (virtmeter_container_memory_usage_bytes)' \
	"{namespace=\"prod\"} $prod" "{namespace=\"data\"} $data" "{} $none")
tap_is "$?" 0 "sum by (namespace) of the memory usage is the fixture's per namespace, without a join (prod $prod, data $data, none $none)"
[ -z "$out" ] || tap_diag "$out"
out=$(promql count 'count by (namespace, pod) (virtmeter_container_cpu_seconds_total{mode="user"})' \
	"{namespace=\"prod\",pod=\"$POD\"} 2" '{namespace="data",pod="cache-0"} 1' "{} 5")
tap_is "$?" 0 "count by (namespace, pod): the app and its sandbox, the cri-o pod, and 5 containers outside a known pod"
[ -z "$out" ] || tap_diag "$out"

stop_virtmeter
tap_is "$VM_STATUS" 0 "virtmeter stops cleanly"
tap_done
