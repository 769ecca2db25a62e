#!/usr/bin/env bash
# virtmeter's set-up commands on Debian 12 (run as root, or with sudo):
#
#   ./setup.sh run [FLAGS...]   install build dependencies, build, and run
#                               virtmeter on this host with its defaults
#   ./setup.sh test             install build and test dependencies, build
#                               with warnings as errors and the sanitizers,
#                               run the whole suite
#   ./setup.sh compare [FLAGS...] -- CMD [ARGS...]
#                               install what virtmeter-compare needs, build,
#                               and run it (docs/compare.md)
#
# The build lives in ./build (out of tree); `test` builds it with ASan and
# UBSan, and ./build/plain without them for the tests that need a plain
# binary and those that run the daemon under valgrind. Nothing is
# installed system-wide except Debian packages.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="$here/build"

# libgnutls28-dev and libcrypt-dev: TLS and basic authentication
# (--web.config.file).
run_pkgs=(build-essential autoconf automake libtool pkg-config
	libmicrohttpd-dev libvirt-dev libxml2-dev libpfm4-dev
	libcurl4-openssl-dev libyajl-dev zlib1g-dev libyaml-dev
	libgnutls28-dev libcrypt-dev)
# The libvirt tests run a real libvirtd with a TCG qemu guest built from
# Debian's kernel package and busybox (tests/libvirt/).
# python3 and openssl: the fixture BMCs and plugs, and their test CA.
# man-db and groff-base: the manual page is rendered and checked for
# warnings (tests/integration/docs.sh). apache2-utils: htpasswd makes the
# bcrypt hash of tests/integration/tls.sh, as the exporter-toolkit's
# documentation does. systemd and strace: the unit is verified, and the
# system calls virtmeter makes are checked against its filter
# (tests/integration/systemd.sh, install.sh). python3-yaml and jsonnet: the
# dashboards' generator and the mixin, and their checks
# (tests/integration/dashboards.sh, rules.sh). python3-kubernetes: the
# Kubernetes manifests are checked against the API types of its models;
# mmdebstrap, podman and runc: the image's root is made from Debian
# packages, imported and run as the DaemonSet runs it
# (tests/integration/kubernetes.sh).
test_pkgs=(libcmocka-dev prometheus curl gzip iproute2 procps python3 python3-yaml jsonnet openssl
	clang libclang-rt-14-dev man-db groff-base apache2-utils systemd strace
	libvirt-daemon-system qemu-system-x86 busybox-static cpio xz-utils lxc
	python3-kubernetes mmdebstrap podman runc)
# virtmeter-compare's container and vm targets: LXC, and a libvirtd that
# boots a guest from a kernel and a busybox initramfs.
compare_pkgs=(curl lxc libvirt-daemon-system qemu-system-x86 busybox-static cpio xz-utils)
# valgrind: the daemon under memcheck (tests/integration/valgrind.sh and
# make check-valgrind), on the plain build.
test_pkgs+=(valgrind)

die() { echo "setup.sh: $*" >&2; exit 1; }

# Installs the Debian packages that are missing, with one apt-get call.
install_pkgs() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root (sudo ./setup.sh ...) to install them"
	echo "setup.sh: installing ${missing[*]}" >&2
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# kvm_device: a host without udev (a container, a minimal VM) keeps
# /dev/kvm as the kernel made it, root's alone. There, every start of
# libvirtd probed qemu's capabilities again, several runs of qemu, before
# it answered: 72 s on an idle two-core machine, about 300 s on a busy
# one; with /dev/kvm as udev leaves it on Debian (group kvm, which the
# qemu user is in, mode 0660), 0.2 s. This gives it that group and mode,
# for the tests, whose guests are TCG's (domain type qemu) whatever KVM
# can do. setup.sh compare leaves /dev/kvm alone: there, --vm-type=auto
# would take a KVM that starts a guest but cannot boot it (a nested
# host's stand-in for VMX) for a working one.
kvm_device() {
	[ -c /dev/kvm ] && [ "$(id -u)" -eq 0 ] && getent group kvm >/dev/null || return 0
	[ "$(stat -c %G:%a /dev/kvm)" = root:600 ] || return 0
	echo "setup.sh: /dev/kvm is root's alone (no udev): giving it group kvm and mode 0660, as udev does" >&2
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
}

# build_tree DIR [FLAGS...]: configures DIR (once per set of flags) and
# builds virtmeter there.
build_tree() {
	local dir=$1
	shift
	local flags="$*"
	if [ ! -x "$here/configure" ] || [ "$here/configure.ac" -nt "$here/configure" ]; then
		(cd "$here" && autoreconf -fi) >/dev/null 2>&1 ||
			(cd "$here" && autoreconf -fi)
	fi
	mkdir -p "$dir"
	cd "$dir"
	if [ ! -f Makefile ] || [ "$(cat .setup-flags 2>/dev/null)" != "$flags" ]; then
		"$here/configure" $flags >configure.out 2>&1 || { cat configure.out; die "configure failed"; }
		echo "$flags" >.setup-flags
		sed -n '/will be built with/,$p' configure.out >&2
	fi
	make -j"$(nproc)" >make.out 2>&1 || { cat make.out; die "build failed"; }
}

# Prints the URL of the metrics on every address that virtmeter, given
# these flags, will serve, one per line: each --web.listen-address
# (--flag=value or --flag value, repeatable; :10171 when there is none),
# with every interface (":PORT", "0.0.0.0:PORT", "[::]:PORT") shown as
# localhost, and --web.telemetry-path. Prints nothing when a flag makes
# virtmeter exit without serving.
metrics_urls() {
	local addrs=() path=/metrics a host
	while [ $# -gt 0 ]; do
		case $1 in
		--web.listen-address=*) addrs+=("${1#*=}") ;;
		--web.listen-address) [ $# -lt 2 ] || { addrs+=("$2"); shift; } ;;
		--web.telemetry-path=*) path=${1#*=} ;;
		--web.telemetry-path) [ $# -lt 2 ] || { path=$2; shift; } ;;
		-h | --help | --version | --check-config | --dump-metrics) return 0 ;;
		esac
		shift
	done
	[ ${#addrs[@]} -gt 0 ] || addrs=(:10171)
	for a in "${addrs[@]}"; do
		host=${a%:*}
		case $host in '' | 0.0.0.0 | '[::]') host=localhost ;; esac
		echo "http://$host:${a##*:}$path"
	done
}

# count DIR WHAT: the number of WHAT (PASS, FAIL...) in DIR's
# test-suite.log, 0 if none.
count() {
	local n
	n=$(sed -n "s/^# $2: *//p" "$1/test-suite.log" | head -1)
	echo "${n:-0}"
}

# check_tree DIR [MAKE_ARGS...]: make check in DIR, its output in
# DIR/check.out; prints the failures and the failing checks' diagnostics.
check_tree() {
	local dir=$1 rc=0 f
	shift
	cd "$dir"
	make -j2 check "$@" >check.out 2>&1 || rc=$?
	grep -E '^(FAIL|ERROR|XPASS):' check.out >&2 || true
	# The slowest tests (tests/integration/lib.sh prints "# took N s").
	grep -H '^# took [0-9]* s$' tests/integration/*.log 2>/dev/null |
		sed 's|^tests/integration/\(.*\)\.log:# took \([0-9]*\) s$|\2 \1|' |
		sort -rn | head -n 8 | awk '{ s = s (NR > 1 ? ", " : "") $2 " " $1 " s" }
			END { if (s != "") print "slowest in " d ": " s }' d="$(basename "$dir")" >&2
	if [ $rc -ne 0 ]; then
		for f in $(grep -lE '^(not ok|FAIL|ERROR)' tests/*/*.log 2>/dev/null); do
			echo "---- $f" >&2; grep -E -B2 -A8 '^not ok' "$f" | head -60 >&2 || true
		done
	fi
}

# summarize DIR...: prints "N passed, N failed, N skipped", the sums over
# the test-suite.log of each DIR, and fails if anything failed (or, under
# CI, if anything was skipped).
summarize() {
	local pass=0 fail=0 skip=0 d
	for d in "$@"; do
		[ -f "$d/test-suite.log" ] || die "no $d/test-suite.log: the test run did not start"
		pass=$((pass + $(count "$d" PASS)))
		fail=$((fail + $(count "$d" FAIL) + $(count "$d" XPASS) + $(count "$d" ERROR)))
		skip=$((skip + $(count "$d" SKIP)))
	done
	if [ "$skip" -gt 0 ]; then
		echo "Skipped:" >&2
		for d in "$@"; do
			grep -h '^SKIP:\|# SKIP' "$d"/tests/*/*.log 2>/dev/null | head -20 >&2 || true
		done
	fi
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ] || return 1
	if [ "${CI:-}" = true ] && [ "$skip" -gt 0 ]; then
		echo "CI: every test is meant to run here; a skip means the set-up is broken" >&2
		return 1
	fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	install_pkgs "${run_pkgs[@]}"
	build_tree "$build"
	urls=$(metrics_urls "$@" | paste -sd ' ')
	[ -z "$urls" ] || echo "setup.sh: starting virtmeter: $urls (Ctrl-C stops it)" >&2
	exec "$build/virtmeter" "$@"
	;;
test)
	install_pkgs "${run_pkgs[@]}" "${test_pkgs[@]}"
	kvm_device
	# The whole suite once, under ASan and UBSan: a memory error, a leak
	# or undefined behaviour in the daemon or a unit fails its test.
	build_tree "$build" --enable-werror --enable-sanitizers
	check_tree "$build"
	# On a plain build, which CI also installs: the tests that need a plain
	# binary (Makefile.am, PLAIN_TESTS), and VALGRIND_TESTS again with
	# every daemon they start under valgrind's memcheck, where an error or
	# a leak fails the test (make check-valgrind).
	build_tree "$build/plain" --enable-werror FUZZ_CC=false
	# shellcheck disable=SC2016 # make expands it
	VIRTMETER_VALGRIND=1 check_tree "$build/plain" TESTS='$(PLAIN_TESTS) $(VALGRIND_TESTS)'
	summarize "$build" "$build/plain"
	;;
compare)
	install_pkgs "${run_pkgs[@]}" "${compare_pkgs[@]}"
	build_tree "$build"
	extra=()
	# The guest boots this host's kernel; a host without one in /boot
	# (a container, some clouds) gets Debian's, fetched with apt and kept
	# in /var/lib/libvirt/images/virtmeter-test, as the tests do.
	if ! printf '%s\n' "$@" | grep -q '^--vm-kernel' && [ ! -r "/boot/vmlinuz-$(uname -r)" ]; then
		echo "setup.sh: no /boot/vmlinuz-$(uname -r): the guest gets Debian's kernel" >&2
		bash "$here/tests/libvirt/build-guest.sh" || die "cannot get a kernel for the guest (tests/libvirt/build-guest.sh)"
		extra+=(--vm-kernel=/var/lib/libvirt/images/virtmeter-test/vmlinuz)
	fi
	# A host without systemd has no libvirtd running: start one.
	if ! virsh -c qemu:///system version >/dev/null 2>&1; then
		if [ -d /run/systemd/system ]; then
			systemctl start libvirtd || true
		else
			echo "setup.sh: starting virtlogd and libvirtd" >&2
			pgrep -x virtlogd >/dev/null || virtlogd -d || true
			libvirtd -d || true
		fi
		for _ in $(seq 30); do
			virsh -c qemu:///system version >/dev/null 2>&1 && break
			sleep 1
		done
	fi
	exec "$here/tools/virtmeter-compare" --virtmeter="$build/virtmeter" "${extra[@]}" "$@"
	;;
*)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
