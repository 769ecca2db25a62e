#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make install as operators and packagers run it: into a staging directory
# (DESTDIR), once with the default directories (prefix /usr/local) and
# once as a package would (prefix=/usr sysconfdir=/etc on make install's
# command line). Every file lands where it should and nothing else does:
# the binary, virtmeter(8), the plugin header, the unit and its sysusers.d
# entry, the example as the configuration, every docs/*.md and README.md
# under the documentation directory, every dashboards/**/*.json and
# deploy/prometheus/**/*.yml under share/virtmeter; nothing under
# localstatedir (the state directory is the unit's). The installed binary
# runs --version; the installed manual page renders without a warning, is
# found by man as virtmeter(8) and names every installed file in FILES;
# the installed unit names the installed paths and passes
# systemd-analyze verify without a word; systemd-sysusers makes the user
# from the installed entry; the installed header builds the example
# plugin. An edited configuration survives make install and make
# uninstall; otherwise make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
[ -f "$top_builddir/Makefile" ] || tap_skip_all "no Makefile in $top_builddir"
MAKE=${MAKE:-make}
command -v "$MAKE" >/dev/null || tap_skip_all "$MAKE is not installed"

# The unit is installed unless configure was given
# --with-systemdsystemunitdir=no.
UNITS=1
grep -q '^VM_INSTALL_UNIT = install-vm-unit' "$top_builddir/Makefile" || UNITS=0
NO_UNITS="configured with --with-systemdsystemunitdir=no"

# mk DEST TARGET VAR=VALUE...: runs make TARGET in the build tree with
# DESTDIR=DEST and the directories given, its output in $TEST_TMP/mk.log.
# The make that runs this test must not lend it its job server or flags.
# shellcheck disable=SC2016 # ${prefix} is make's, expanded there
mk() {
	local dest=$1 target=$2
	shift 2
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		"$MAKE" -C "$top_builddir" "$target" DESTDIR="$dest" \
		systemdsystemunitdir='${prefix}/lib/systemd/system' sysusersdir='${prefix}/lib/sysusers.d' \
		"$@" >"$TEST_TMP/mk.log" 2>&1
}
A_DIRS=(prefix=/usr/local sysconfdir=/usr/local/etc localstatedir=/usr/local/var)
B_DIRS=(prefix=/usr sysconfdir=/etc localstatedir=/var)
A=$TEST_TMP/a
B=$TEST_TMP/b

# files DEST: the files under DEST, as paths from it, sorted.
files() {
	(cd "$1" && find . -type f | sed 's|^\./|/|' | LC_ALL=C sort)
}

# expected PREFIX SYSCONFDIR: the files that make install should put there.
expected() {
	local p=$1 etc=$2 f
	{
		echo "$p/bin/virtmeter"
		echo "$p/bin/virtmeter-compare"
		echo "$p/share/man/man8/virtmeter.8"
		echo "$p/share/man/man8/virtmeter-compare.8"
		echo "$p/include/virtmeter/meter.h"
		echo "$etc/virtmeter/virtmeter.yml"
		if [ $UNITS = 1 ]; then
			echo "$p/lib/systemd/system/virtmeter.service"
			echo "$p/lib/sysusers.d/virtmeter.conf"
		fi
		echo "$p/share/doc/virtmeter/README.md"
		echo "$p/share/doc/virtmeter/deploy/virtmeter.yml"
		echo "$p/share/doc/virtmeter/deploy/web-config.yml"
		cd "$top_srcdir" || return 1
		for f in docs/*.md; do echo "$p/share/doc/virtmeter/$f"; done
		[ ! -d dashboards ] || find dashboards -type f -name '*.json' | sed "s|^|$p/share/virtmeter/|"
		find deploy/prometheus -type f -name '*.yml' | sed "s|^deploy/|$p/share/virtmeter/|"
		find deploy/kubernetes -type f -name '*.yaml' | sed "s|^deploy/|$p/share/virtmeter/|"
	} | LC_ALL=C sort
}

# ---- the default directories ------------------------------------------------------
mk "$A" install "${A_DIRS[@]}"
rc=$?
tap_is "$rc" 0 "make install DESTDIR=... succeeds"
[ $rc = 0 ] || tap_diag_file "$TEST_TMP/mk.log" 60
diff <(expected /usr/local /usr/local/etc) <(files "$A") >"$TEST_TMP/a.diff"
tap_is "$(cat "$TEST_TMP/a.diff")" "" "with prefix /usr/local, every file is installed where it belongs, and no other"
if [ $UNITS = 1 ]; then
	tap_is "$(sed -n 's/^ExecStart=//p' "$A/usr/local/lib/systemd/system/virtmeter.service")" \
		"/usr/local/bin/virtmeter --config.file=/usr/local/etc/virtmeter/virtmeter.yml --storage.path=/var/lib/virtmeter" \
		"the unit runs /usr/local/bin/virtmeter on /usr/local/etc/virtmeter/virtmeter.yml"
	tap_is "$(grep -c '^ConfigurationDirectory=' "$A/usr/local/lib/systemd/system/virtmeter.service")" 0 \
		"with the configuration outside /etc, the unit has no ConfigurationDirectory="
else
	tap_skip "the unit names the installed paths" "$NO_UNITS"
fi

# ---- as a package: prefix=/usr sysconfdir=/etc ------------------------------------------
mk "$B" install "${B_DIRS[@]}"
rc=$?
tap_is "$rc" 0 "make install DESTDIR=... prefix=/usr sysconfdir=/etc succeeds"
[ $rc = 0 ] || tap_diag_file "$TEST_TMP/mk.log" 60
diff <(expected /usr /etc) <(files "$B") >"$TEST_TMP/b.diff"
tap_is "$(cat "$TEST_TMP/b.diff")" "" "with prefix /usr and sysconfdir /etc, every file is where it belongs, and no other"
tap_check "nothing is installed under localstatedir (/var): the state directory is the unit's" \
	test ! -e "$B/var"
tap_check "the configuration is the shipped example" cmp -s "$top_srcdir/deploy/virtmeter.yml" "$B/etc/virtmeter/virtmeter.yml"

out=$("$B/usr/bin/virtmeter" --version 2>&1)
tap_is "$?" 0 "the installed binary runs --version"
tap_is "$out" "$("$VIRTMETER" --version 2>&1)" "and says what the built one says"

# The installed manual page.
MAN8=$B/usr/share/man/man8/virtmeter.8
if command -v man >/dev/null && command -v groff >/dev/null; then
	err=$( { MANWIDTH=80 MANPAGER=cat man --warnings=w -l "$MAN8" >/dev/null; groff -man -ww -z "$MAN8"; } 2>&1)
	tap_is "$err" "" "the installed manual page renders with man and groff -ww without a warning"
	tap_is "$(MANPATH=$B/usr/share/man man -w virtmeter 2>&1)" "$MAN8" "man finds it as virtmeter(8)"
	tap_like "$(MANWIDTH=80 MANPAGER=cat MANPATH=$B/usr/share/man man 8 virtmeter 2>/dev/null | head -n 1)" \
		'^VIRTMETER\(8\) +System Administration +VIRTMETER\(8\)$' "and renders it with its title"
else
	tap_skip "the installed manual page renders without a warning" "man or groff not installed (man-db, groff-base)"
fi

# unnamed FILES...: the installed files (paths from a root with prefix
# /usr/local and sysconfdir /etc) that the FILES section of the manual
# page MAN names neither exactly nor under a directory of its (an entry
# ending in /); the binary and the manual page itself need no entry.
unnamed() {
	local man=$1 f d ok
	shift
	awk '/^\.SH / { on = ($0 == ".SH FILES"); next }
		on && prev ~ /^\.TP/ && /^\.I / { sub(/^\.I +/, ""); gsub(/\\-/, "-"); print }
		{ prev = $0 }' "$man" >"$TEST_TMP/files.named"
	for f in "$@"; do
		case $f in /usr/local/bin/virtmeter | /usr/local/share/man/*) continue ;; esac
		ok=0
		while read -r d; do
			[ "$d" = "$f" ] && ok=1
			case $d in */) case $f in "$d"*) ok=1 ;; esac ;; esac
		done <"$TEST_TMP/files.named"
		[ $ok = 1 ] || echo "$f"
	done
}
mapfile -t installed < <(files "$B" | sed 's|^/usr/|/usr/local/|')
sed '/^\.I \/usr\/local\/lib\/sysusers.d\/virtmeter.conf$/s/sysusers.d/sysusers/' "$MAN8" >"$TEST_TMP/nofile.8"
if [ $UNITS = 1 ]; then
	tap_is "$(unnamed "$TEST_TMP/nofile.8" "${installed[@]}")" /usr/local/lib/sysusers.d/virtmeter.conf \
		"the FILES check catches an installed file the manual page does not name"
fi
tap_is "$(unnamed "$MAN8" "${installed[@]}")" "" "the manual page's FILES names every file installed"

# The installed unit and user.
if [ $UNITS = 1 ]; then
	U=$B/usr/lib/systemd/system/virtmeter.service
	tap_is "$(sed -n 's/^ExecStart=//p' "$U")" \
		"/usr/bin/virtmeter --config.file=/etc/virtmeter/virtmeter.yml --storage.path=/var/lib/virtmeter" \
		"the unit runs /usr/bin/virtmeter on /etc/virtmeter/virtmeter.yml"
	tap_is "$(grep -c '^ConfigurationDirectory=virtmeter$' "$U")" 1 \
		"with the configuration in /etc, the unit has ConfigurationDirectory=virtmeter"
	tap_is "$(grep -c '@[A-Za-z_]*@' "$U")" 0 "no @placeholder@ is left in it"
	if command -v systemd-analyze >/dev/null; then
		# Verified where it will run from: the binary at its ExecStart= path
		# is the staged one, the man page of Documentation= the installed one.
		mkdir -p "$TEST_TMP/unit"
		sed "s|^ExecStart=/usr/bin/virtmeter|ExecStart=$B/usr/bin/virtmeter|" "$U" >"$TEST_TMP/unit/virtmeter.service"
		out=$(MANPATH=$B/usr/share/man systemd-analyze verify "$TEST_TMP/unit/virtmeter.service" 2>&1)
		rc=$?
		tap_is "$rc:$out" "0:" "systemd-analyze verify accepts the installed unit without a word"
	else
		tap_skip "systemd-analyze verify accepts the installed unit" "systemd-analyze is not installed"
	fi
	if command -v systemd-sysusers >/dev/null; then
		out=$(systemd-sysusers --root="$B" --dry-run 2>&1)
		tap_like "$out" "Creating user 'virtmeter' \\(virtmeter Prometheus exporter\\) with UID [0-9]+ and GID [0-9]+" \
			"systemd-sysusers makes the user virtmeter and its group from the installed entry"
	else
		tap_skip "systemd-sysusers makes the user virtmeter" "systemd-sysusers is not installed"
	fi
else
	tap_skip "the installed unit passes systemd-analyze verify" "$NO_UNITS"
fi

# The installed header is enough to build a plugin.
CC_=${CC:-cc}
if command -v "$CC_" >/dev/null; then
	"$CC_" -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I"$B/usr/include" \
		"$top_srcdir/examples/meter-plugin/example_meter.c" >"$TEST_TMP/cc.log" 2>&1
	rc=$?
	tap_is "$rc" 0 "the installed <virtmeter/meter.h> builds the example plugin"
	[ $rc = 0 ] || tap_diag_file "$TEST_TMP/cc.log"
else
	tap_skip "the installed <virtmeter/meter.h> builds the example plugin" "no C compiler"
fi

# ---- an edited configuration is the operator's -----------------------------------------
echo '# edited by the operator' >>"$B/etc/virtmeter/virtmeter.yml"
cp "$B/etc/virtmeter/virtmeter.yml" "$TEST_TMP/edited.yml"
mk "$B" install "${B_DIRS[@]}"
tap_is "$?" 0 "make install over an installation succeeds"
tap_check "it keeps the edited configuration" cmp -s "$TEST_TMP/edited.yml" "$B/etc/virtmeter/virtmeter.yml"
tap_like "$(cat "$TEST_TMP/mk.log")" "$B/etc/virtmeter/virtmeter.yml exists: kept as it is" "and says so"
mk "$B" uninstall "${B_DIRS[@]}"
tap_is "$?" 0 "make uninstall succeeds"
tap_is "$(files "$B" | paste -sd ' ')" /etc/virtmeter/virtmeter.yml \
	"make uninstall removes every file but the edited configuration"
mk "$A" uninstall "${A_DIRS[@]}"
tap_is "$(files "$A" | paste -sd ' ')" "" "of an unedited installation, make uninstall leaves no file"

tap_done
