#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2016 # cleanup runs from the trap; patterns in single quotes
# deploy/kubernetes/: every manifest checked against the Kubernetes API
# types (the official Python client's models, walked field by field) and
# the Prometheus Operator's kinds against a transcription of their CRDs
# (tests/integration/kubernetes_check.py); the names the manifests give
# each other agree; the DaemonSet's capabilities are the systemd unit's
# plus those --runas gives up at the start; the PrometheusRule is what
# deploy/kubernetes/generate.py makes from the rule files (not stale), its
# groups are theirs and promtool accepts them. Each checker is first shown
# to fail on a broken copy. Then the image: the root that the
# Containerfile's runtime stage makes (its Debian packages, read from the
# Containerfile, installed by mmdebstrap, plus `make install`), in which
# virtmeter runs under chroot, imported with `podman import` and run as
# the DaemonSet runs it (its arguments, capabilities, read-only root and
# host paths), scraped, and seen to become nobody with the unit's two
# capabilities. The image part needs root, mmdebstrap, podman with runc
# and the Debian mirror; the Debian packages it fetches are kept in
# tests/deb-cache of the build tree (VIRTMETER_DEB_CACHE) for the next run.
. "$(dirname "$0")/lib.sh"

# Debian's python3, whose modules python3-kubernetes and python3-yaml are;
# another python3 earlier in PATH may lack them.
PY=/usr/bin/python3
[ -x "$PY" ] || tap_skip_all "no /usr/bin/python3"
"$PY" -c 'import yaml' 2>/dev/null || tap_skip_all "PyYAML not installed (Debian package python3-yaml)"
"$PY" -c 'import kubernetes.client' 2>/dev/null ||
	tap_skip_all "the Kubernetes Python client is not installed (Debian package python3-kubernetes)"

K8S=$top_srcdir/deploy/kubernetes
CHECK=("$PY" -B "$top_srcdir/tests/integration/kubernetes_check.py")
UNIT=$top_srcdir/deploy/systemd/virtmeter.service.in
RULES=("$top_srcdir/deploy/prometheus/rules/recording.yml" "$top_srcdir/deploy/prometheus/rules/alerts.yml")
MANIFESTS=("$K8S"/*.yaml)
BAD=$TEST_TMP/bad
mkdir -p "$BAD"

# ---- the PrometheusRule is generated, not stale ------------------------------------
out=$("$PY" -B "$K8S/generate.py" --check 2>&1)
tap_is "$out" "" "deploy/kubernetes/prometheusrule.yaml is what generate.py makes from the rule files (not stale)"
for d in deploy/prometheus/rules deploy/kubernetes; do
	mkdir -p "$TEST_TMP/tree/$d" && cp -r "$top_srcdir/$d/." "$TEST_TMP/tree/$d/"
done
sed -i 's/> 0.95/> 0.9/' "$TEST_TMP/tree/deploy/prometheus/rules/alerts.yml"
out=$("$PY" -B "$K8S/generate.py" --check --root "$TEST_TMP/tree" 2>&1)
tap_like "$out" '^stale: deploy/kubernetes/prometheusrule.yaml' "--check names the PrometheusRule when a rule file changed"

# ---- API types -------------------------------------------------------------------------
out=$("${CHECK[@]}" types "${MANIFESTS[@]}" 2>&1)
tap_is "$out" "" "the ${#MANIFESTS[@]} manifests match their API types"
kinds=$(cat "${MANIFESTS[@]}" | sed -n 's/^kind: //p' | sort | paste -sd ' ')
tap_is "$kinds" "DaemonSet Kustomization Namespace PrometheusRule Service ServiceAccount ServiceMonitor" \
	"the manifests are a DaemonSet, Service, ServiceAccount, ServiceMonitor, PrometheusRule, Namespace and Kustomization"

# bad NAME SOURCE SED-SCRIPT: a copy of SOURCE edited by SED-SCRIPT as
# $BAD/NAME.yaml; the test aborts when the edit changed nothing.
bad() {
	sed "$3" "$K8S/$2" >"$BAD/$1.yaml"
	cmp -s "$K8S/$2" "$BAD/$1.yaml" && tap_abort "the broken copy $1 differs from $2"
	return 0
}
bad ds-field daemonset.yaml 's/readOnlyRootFilesystem:/readOnlyRootFileSystem:/'
bad ds-type daemonset.yaml 's/initialDelaySeconds: 5/initialDelaySeconds: "5"/'
bad ds-list daemonset.yaml 's/drop: \[ALL\]/drop: ALL/'
"$PY" - "$K8S/daemonset.yaml" "$BAD/ds-required.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
del d["spec"]["template"]["spec"]["containers"][0]["name"]
yaml.safe_dump(d, open(sys.argv[2], "w"))
PY
bad svc-field service.yaml 's/clusterIP: None/clusterIp: None/'
bad sm-field servicemonitor.yaml 's/scrapeTimeout:/scrapeTimout:/'
bad sm-duration servicemonitor.yaml 's/interval: 15s/interval: 15 seconds/'
bad sm-enum servicemonitor.yaml 's/action: replace/action: rename/'
bad pr-field prometheusrule.yaml '0,/    - record:/s//    - recrd:/'
bad pr-duration prometheusrule.yaml '0,/      for: /s//      for: x/'
out=$("${CHECK[@]}" types "$BAD"/*.yaml 2>&1)
tap_like "$out" 'containers\[0\]\.securityContext\.readOnlyRootFileSystem: unknown field of V1SecurityContext' \
	"the type check catches an unknown field (the client's deserializer alone ignores it)"
tap_like "$out" "livenessProbe\\.initialDelaySeconds: expected int, got '5'" "the type check catches a string for an int"
tap_like "$out" "capabilities\\.drop: expected a list, got 'ALL'" "the type check catches a scalar for a list"
tap_like "$out" 'ds-required.yaml\[0\] DaemonSet: Invalid value for `name`, must not be `None`' \
	"the type check catches a missing required field"
tap_like "$out" 'Service\.spec\.clusterIp: unknown field of V1ServiceSpec' "the type check catches an unknown field of a Service"
tap_like "$out" 'ServiceMonitor\.spec\.endpoints\[0\]\.scrapeTimout: unknown field' \
	"the ServiceMonitor schema catches an unknown field"
tap_like "$out" "ServiceMonitor\\.spec\\.endpoints\\[0\\]\\.interval: expected duration, got '15 seconds'" \
	"the ServiceMonitor schema catches a bad duration"
tap_like "$out" "relabelings\\[0\\]\\.action: 'rename' is not one of" "the ServiceMonitor schema catches an unknown relabeling action"
tap_like "$out" 'PrometheusRule\.spec\.groups\[0\]\.rules\[0\]\.recrd: unknown field' \
	"the PrometheusRule schema catches an unknown field of a rule"
tap_like "$out" "PrometheusRule\\.spec\\.groups\\[[0-9]+\\]\\.rules\\[[0-9]+\\]\\.for: expected duration, got 'x" \
	"the PrometheusRule schema catches a bad duration"
rm -f "$BAD"/*.yaml

# ---- names the manifests give each other ---------------------------------------------------
out=$("${CHECK[@]}" refs "${MANIFESTS[@]}" 2>&1)
tap_is "$out" "" "selectors, ports, volumes and the service account agree between the manifests"
cp "${MANIFESTS[@]}" "$BAD/"
sed -i 's/port: metrics$/port: http/' "$BAD/servicemonitor.yaml"
sed -i '0,/- name: proc$/s//- name: procfs/' "$BAD/daemonset.yaml"
sed -i '/^  selector:/,/^  ports:/s/component: exporter/component: export/' "$BAD/service.yaml"
out=$("${CHECK[@]}" refs "$BAD"/*.yaml 2>&1)
tap_like "$out" 'ServiceMonitor: endpoint port http is no port of the Service' "the check catches a ServiceMonitor port the Service lacks"
tap_like "$out" 'mounts volume procfs, which is not defined' "the check catches a mount of an undefined volume"
tap_like "$out" 'Service: its selector does not pick the DaemonSet' "the check catches a Service that selects no pod"
rm -f "$BAD"/*.yaml
listed=$("$PY" -c 'import sys, yaml; print(" ".join(sorted(yaml.safe_load(open(sys.argv[1]))["resources"])))' "$K8S/kustomization.yaml")
files=$(for f in "${MANIFESTS[@]}"; do
	case ${f##*/} in kustomization.yaml | namespace.yaml) ;; *) echo "${f##*/}" ;; esac
done | sort | paste -sd ' ')
tap_is "$listed" "$files" "kustomization.yaml lists every manifest but namespace.yaml"

# ---- capabilities: the systemd unit's -----------------------------------------------------
out=$("${CHECK[@]}" caps "$K8S/daemonset.yaml" "$UNIT" 2>&1)
tap_is "$out" "" "the DaemonSet adds the unit's capabilities and --runas's, drops ALL, is not privileged"
sed 's/add: \[PERFMON, /add: [PERFMON, SYS_ADMIN, /' "$K8S/daemonset.yaml" >"$BAD/ds.yaml"
sed 's/^AmbientCapabilities=.*/& CAP_NET_RAW/; s/^CapabilityBoundingSet=.*/& CAP_NET_RAW/' "$UNIT" >"$BAD/unit"
out=$("${CHECK[@]}" caps "$BAD/ds.yaml" "$UNIT" 2>&1)
tap_like "$out" 'more: SYS_ADMIN, fewer: none' "the check catches a capability the unit does not grant"
out=$("${CHECK[@]}" caps "$K8S/daemonset.yaml" "$BAD/unit" 2>&1)
tap_like "$out" 'more: none, fewer: NET_RAW' "the check catches a capability the unit grants and the DaemonSet lacks"
sed -e 's/privileged: false/privileged: true/' -e '/- --runas=nobody/d' "$K8S/daemonset.yaml" >"$BAD/ds.yaml"
out=$("${CHECK[@]}" caps "$BAD/ds.yaml" "$UNIT" 2>&1)
tap_like "$out" 'container virtmeter is privileged' "the check catches a privileged container"
tap_like "$out" 'does not give --runas' "the check catches a container that would keep --runas's capabilities"
rm -f "$BAD"/*

# ---- the rules ---------------------------------------------------------------------------
out=$("${CHECK[@]}" groups "$K8S/prometheusrule.yaml" "${RULES[@]}" 2>&1)
tap_is "$out" "" "the PrometheusRule's groups are those of recording.yml and alerts.yml"
sed 's/> 0.95/> 0.9/' "$K8S/prometheusrule.yaml" >"$BAD/pr.yaml"
out=$("${CHECK[@]}" groups "$BAD/pr.yaml" "${RULES[@]}" 2>&1)
tap_like "$out" '^group virtmeter\.[a-z.]* differs from the rule files' "the check catches a group that differs"
if command -v promtool >/dev/null 2>&1; then
	"${CHECK[@]}" extract "$K8S/prometheusrule.yaml" >"$TEST_TMP/rules.yml"
	out=$(promtool check rules "$TEST_TMP/rules.yml" 2>&1)
	tap_check "promtool check rules accepts the PrometheusRule's groups" test $? -eq 0 || tap_diag "$out"
	n=$(printf '%s\n' "$out" | sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p')
	tap_check "promtool finds the PrometheusRule's rules ($n)" test "${n:-0}" -ge 20
	sed '0,/^\( *expr: \).*/s//\1rate(virtmeter_host_cpu_seconds_total[5m]/' "$TEST_TMP/rules.yml" >"$BAD/rules.yml"
	tap_check "promtool check rules refuses a broken expression" fails promtool check rules "$BAD/rules.yml"
else
	tap_fail "promtool check rules on the PrometheusRule" "promtool is not installed (Debian package prometheus)"
fi
rm -f "$BAD"/*

# ---- the image ---------------------------------------------------------------------------------
"${CHECK[@]}" packages "$K8S/Containerfile" >"$TEST_TMP/pkgs" 2>&1 ||
	tap_abort "the Containerfile's runtime stage installs Debian packages" "$(cat "$TEST_TMP/pkgs")"
read -r -a PKGS <"$TEST_TMP/pkgs"
needed=$(readelf -d "$VIRTMETER" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')
tap_like "$needed" 'libmicrohttpd' "readelf lists the libraries virtmeter links against ($needed)"

image_skip() {
	tap_skip "the image's root built, run under chroot and in podman" "$1"
	tap_done
}
[ "$(id -u)" = 0 ] || image_skip "not root: mmdebstrap and podman run as root here"
! vm_sanitized || image_skip "virtmeter is built with --enable-sanitizers, whose runtime the image does not hold: run this on a plain build (./setup.sh test does)"
for t in mmdebstrap podman runc; do
	command -v "$t" >/dev/null 2>&1 || image_skip "$t is not installed (Debian package $t)"
done
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -f "$SOURCES" ] || SOURCES="deb http://deb.debian.org/debian bookworm main"
curl -s -o /dev/null --max-time 10 http://deb.debian.org/debian/dists/bookworm/Release ||
	[ -n "$(find "${VIRTMETER_DEB_CACHE:-$top_builddir/tests/deb-cache}" -name '*.deb' 2>/dev/null | head -1)" ] ||
	image_skip "the Debian mirror is unreachable and no package is cached"

# The installed tree, as the build stage's make install makes it (the
# unit is not installed in a container: configure's
# --with-systemdsystemunitdir=no there).
STAGE=$TEST_TMP/stage
# shellcheck disable=SC2016 # ${prefix} is make's
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "${MAKE:-make}" -C "$top_builddir" install \
	DESTDIR="$STAGE" prefix=/usr sysconfdir=/etc \
	systemdsystemunitdir='${prefix}/lib/systemd/system' sysusersdir='${prefix}/lib/sysusers.d' \
	>"$TEST_TMP/install.log" 2>&1 || tap_abort "make install DESTDIR=... prefix=/usr" "$(tail -20 "$TEST_TMP/install.log")"
rm -rf "$STAGE/usr/lib/systemd" "$STAGE/usr/lib/sysusers.d"
tap_check "make install put /usr/bin/virtmeter in the image's tree" test -x "$STAGE/usr/bin/virtmeter"

# The runtime stage's root: Debian's essential packages (fewer than
# debian:12-slim has, so what runs here runs there) and the
# Containerfile's, from a cache of .debs kept between runs.
CACHE=${VIRTMETER_DEB_CACHE:-$top_builddir/tests/deb-cache}
ROOT=$TEST_TMP/root
mkdir -p "$CACHE"
t0=$SECONDS
mmdebstrap --mode=root --variant=essential --include="$(printf '%s,' "${PKGS[@]}")" \
	--skip=download/empty --skip=essential/unlink \
	--setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
	--setup-hook="sync-in '$CACHE' /var/cache/apt/archives/" \
	--customize-hook="sync-out /var/cache/apt/archives '$CACHE'" \
	--customize-hook="sync-in '$STAGE' /" \
	bookworm "$ROOT" "$SOURCES" >"$TEST_TMP/mmdebstrap.log" 2>&1 ||
	tap_abort "mmdebstrap made the root of ${PKGS[*]}" "$(tail -20 "$TEST_TMP/mmdebstrap.log")"
tap_ok "mmdebstrap made the root of ${PKGS[*]} in $((SECONDS - t0)) s"

out=$(chroot "$ROOT" /usr/bin/virtmeter --version 2>&1)
tap_like "$out" '^virtmeter [0-9.]+ .*features: .*libvirt' "virtmeter --version runs in the root under chroot ($out)"
missing=$(chroot "$ROOT" /usr/bin/ldd /usr/bin/virtmeter 2>&1 | grep 'not found')
tap_is "$missing" "" "every library virtmeter needs is in the root"
tap_like "$(grep '^nobody:' "$ROOT/etc/passwd")" '^nobody:[^:]*:65534:65534:' "the root has the user nobody for --runas"

# The DaemonSet's container, as podman runs it: the image imported from
# the root, its arguments (the listen address on loopback instead), its
# capabilities, a read-only root, no new privileges, the host paths.
IMAGE=localhost/virtmeter-test:$$
CTR=virtmeter-test-$$
cleanup() {
	podman rm -f "$CTR" >/dev/null 2>&1
	podman rmi -f "$IMAGE" >/dev/null 2>&1
	lib_cleanup
}
trap cleanup EXIT
tar -C "$ROOT" -cf "$TEST_TMP/root.tar" . || tap_abort "the root packed as a tarball"
podman import --change 'ENTRYPOINT ["/usr/bin/virtmeter"]' "$TEST_TMP/root.tar" "$IMAGE" >"$TEST_TMP/import.log" 2>&1 ||
	tap_abort "podman import of the root" "$(cat "$TEST_TMP/import.log")"
tap_ok "podman import made the image $IMAGE"

mapfile -t ARGS < <("$PY" -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
print("\n".join(c["args"]))
print("\n".join("--cap-add=CAP_" + x for x in c["securityContext"]["capabilities"]["add"]))' "$K8S/daemonset.yaml")
free_port || tap_abort "a free port"
PORT=$FREE_PORT
RUN_ARGS=() CAPS=()
for a in "${ARGS[@]}"; do
	case $a in
	--cap-add=*) CAPS+=("$a") ;;
	--web.listen-address=*) RUN_ARGS+=("--web.listen-address=127.0.0.1:$PORT") ;;
	*) RUN_ARGS+=("$a") ;;
	esac
done
mkdir -p "$TEST_TMP/state"
# runc, not crun: crun refuses a host whose cgroups are hybrid. The
# limits are given lower than podman's defaults, which a host may not
# allow raising to.
podman --runtime runc run -d --name "$CTR" --network host --user 0 --read-only \
	--security-opt no-new-privileges --cap-drop=ALL "${CAPS[@]}" \
	--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096 \
	-v /proc:/host/proc:ro -v /sys:/host/sys:ro -v /sys/fs/cgroup:/host/sys/fs/cgroup:ro \
	-v "$TEST_TMP/state:/var/lib/virtmeter" \
	"$IMAGE" "${RUN_ARGS[@]}" >"$TEST_TMP/run.log" 2>&1 ||
	tap_abort "podman run of the image as the DaemonSet runs it" "$(cat "$TEST_TMP/run.log")"
VM_URL=http://127.0.0.1:$PORT
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$VM_URL/healthz")" = 200 ]; }
if ! wait_for 15 healthy; then
	tap_abort "the container answers /healthz" "$(podman logs "$CTR" 2>&1 | tail -20)"
fi
tap_ok "the container answers /healthz, the probes' path, run with ${CAPS[*]} ${RUN_ARGS[*]}"
tap_is "$(scrape s text "$VM_URL/metrics")" 200 "the container's /metrics answers 200"
lint_scrape "$TEST_TMP/s.b" text "the container's scrape is a clean exposition"
for c in host cgroup; do
	tap_is "$(series_value "$TEST_TMP/s.b" "virtmeter_collector_up{collector=\"$c\"}")" 1 \
		"the $c collector is up on the host's paths (/host/proc, /host/sys)"
done
pid=$(podman inspect --format '{{.State.Pid}}' "$CTR")
status=$(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs):' "/proc/$pid/status" | tr '\t' ' ' | tr -s ' ')
tap_like "$status" 'Uid: 65534 65534 65534 65534' "virtmeter became nobody (--runas)"
# CAP_DAC_READ_SEARCH (2) and CAP_PERFMON (38): the unit's two.
tap_like "$status" 'CapEff: 0000004000000004' "it kept the unit's two capabilities, CAP_PERFMON and CAP_DAC_READ_SEARCH, and no other"
tap_like "$status" 'CapBnd: 0000004000000004' "nothing else is in its bounding set"
tap_like "$status" 'NoNewPrivs: 1' "it has no new privileges"
tap_is "$(stat -c %u "$TEST_TMP/state/state" 2>&1)" 65534 "it made --storage.path for nobody on the host path"
podman logs "$CTR" >"$TEST_TMP/ctr.log" 2>&1
tap_like "$(grep -c 'running as user nobody' "$TEST_TMP/ctr.log")" '^1$' "its log says it runs as nobody"
podman stop -t 5 "$CTR" >/dev/null 2>&1
tap_is "$(podman inspect --format '{{.State.ExitCode}}' "$CTR")" 0 "SIGTERM from podman stop ends it with 0"
tap_done
