#!/usr/bin/env bash
# virtmeter's two set-up commands on Debian 12 (run as root, or with sudo):
#
#   ./setup.sh run [FLAGS...]   install build dependencies, build, and run
#                               virtmeter on this host with its defaults
#   ./setup.sh test             install build and test dependencies, build
#                               with warnings as errors, run the whole suite
#
# The build lives in ./build (out of tree); nothing is installed system-wide
# except Debian packages.
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
# (tests/integration/dashboards.sh, rules.sh).
test_pkgs=(libcmocka-dev prometheus curl gzip iproute2 procps python3 python3-yaml jsonnet openssl
	clang libclang-rt-14-dev man-db groff-base apache2-utils systemd strace
	libvirt-daemon-system qemu-system-x86 busybox-static cpio xz-utils lxc)

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

# Configures (once per set of flags) and builds in ./build.
build_tree() {
	local flags="$*"
	if [ ! -x "$here/configure" ] || [ "$here/configure.ac" -nt "$here/configure" ]; then
		(cd "$here" && autoreconf -fi) >/dev/null 2>&1 ||
			(cd "$here" && autoreconf -fi)
	fi
	mkdir -p "$build"
	cd "$build"
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

# Prints "N passed, N failed, N skipped" from automake's test-suite.log and
# fails if anything failed (or, under CI, if anything was skipped).
summarize() {
	local log="$build/test-suite.log" pass fail skip
	[ -f "$log" ] || die "no test-suite.log: the test run did not start"
	pass=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	fail=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	skip=$(sed -n 's/^# SKIP: *//p' "$log" | head -1)
	local xpass error
	xpass=$(sed -n 's/^# XPASS: *//p' "$log" | head -1)
	error=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	fail=$(( ${fail:-0} + ${xpass:-0} + ${error:-0} ))
	if [ "${skip:-0}" -gt 0 ]; then
		echo "Skipped:" >&2
		grep -h '^SKIP:\|# SKIP' "$build"/tests/*/*.log 2>/dev/null | head -20 >&2 || true
	fi
	echo "${pass:-0} passed, $fail failed, ${skip:-0} skipped"
	[ "$fail" -eq 0 ] || return 1
	if [ "${CI:-}" = true ] && [ "${skip:-0}" -gt 0 ]; then
		echo "CI: every test is meant to run here; a skip means the set-up is broken" >&2
		return 1
	fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	install_pkgs "${run_pkgs[@]}"
	build_tree
	urls=$(metrics_urls "$@" | paste -sd ' ')
	[ -z "$urls" ] || echo "setup.sh: starting virtmeter: $urls (Ctrl-C stops it)" >&2
	exec "$build/virtmeter" "$@"
	;;
test)
	install_pkgs "${run_pkgs[@]}" "${test_pkgs[@]}"
	build_tree --enable-werror
	cd "$build"
	rc=0
	make -j2 check >check.out 2>&1 || rc=$?
	grep -E '^(FAIL|ERROR|XPASS):' check.out >&2 || true
	if [ $rc -ne 0 ]; then
		for f in $(grep -lE '^(not ok|FAIL|ERROR)' tests/*/*.log 2>/dev/null); do
			echo "---- $f" >&2; grep -E -B2 -A8 '^not ok' "$f" | head -60 >&2 || true
		done
	fi
	summarize
	;;
*)
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
