#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The operator's documentation keeps up with the binary. The manual page
# renders with man and groff without a warning, has no blank line and no
# entry without a description; every flag that `virtmeter --help` prints
# (read from it at run time, collector switches and collector settings
# included) heads an entry of the manual page, shows in its rendered text
# and is named in README.md; every flag that heads a manual page entry or a
# row of README.md's flag table is one the binary has; the shipped example
# configuration passes --check-config. The manual page also names every
# key of the configuration file (those of docs/config.md's tables and of
# --dump-settings, each under its collector), heads an entry of SIGNALS
# with every signal the daemon waits for, has an entry of PRIVILEGES per
# collector naming each capability the systemd unit grants, and its
# EXAMPLES are command lines this binary accepts. Each checker is first
# shown to fail on a broken copy.
#
# Flags are read from --help as follows: a line that starts with blanks
# and "--" gives the flag up to its "=" or blank ("--[no-]X" gives --X
# and --no-X); under the "Collectors"
# heading, a line of two blanks, a name and two blanks gives the switches
# --collector.NAME and --no-collector.NAME. In the documents, "--[no-]X"
# stands for both --X and --no-X.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"

MAN=$top_srcdir/docs/virtmeter.8
README=$top_srcdir/README.md
EXAMPLE=$top_srcdir/deploy/virtmeter.yml
HAVE_MAN=1
command -v man >/dev/null 2>&1 || HAVE_MAN=0
command -v groff >/dev/null 2>&1 || HAVE_MAN=0
NO_MAN="man or groff not installed (Debian packages man-db, groff-base)"

# ---- helpers ---------------------------------------------------------------------

# flag_tokens: reads text on stdin and prints every flag it names, once,
# sorted: "--" and a name of letters, digits and "_.-" (a trailing "." or
# "-" is punctuation), with "--[no-]X" printed as --X and --no-X.
flag_tokens() {
	grep -oE -e '--(\[no-\])?[A-Za-z0-9][A-Za-z0-9_.-]*' |
		sed -E 's/[.-]+$//' |
		awk '{ if (sub(/^--\[no-\]/, "")) { print "--" $0; print "--no-" $0 } else print }' |
		LC_ALL=C sort -u
}

# help_flags: prints the flags of `$VIRTMETER --help`, in its order.
help_flags() {
	"$VIRTMETER" --help | awk '
		/^[^ \t]/ { section = $0 }
		/^[ \t]+--/ {
			f = $1; sub(/=.*/, "", f)
			if (sub(/^--\[no-\]/, "", f)) { print "--" f; print "--no-" f }
			else print f
			next
		}
		section ~ /^Collectors/ && /^  [a-z][a-z0-9_-]*  / {
			print "--collector." $1
			print "--no-collector." $1
		}'
}

# man_warnings FILE: renders the manual page FILE with man (80 columns) and
# with groff, all warnings on; prints what they say on stderr and fails if
# they say anything or fail.
man_warnings() {
	local err=$TEST_TMP/man-warnings.err rc1 rc2
	MANWIDTH=80 MANPAGER=cat man --warnings=w -l "$1" >/dev/null 2>"$err"
	rc1=$?
	groff -man -ww -z "$1" 2>>"$err"
	rc2=$?
	cat "$err"
	[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ ! -s "$err" ]
}

# roff_lint FILE: prints a line per blank line of the manual page FILE (roff
# turns it into a paragraph of the entry above, which is how a flag ends up
# as body text of the previous one) and per .TP entry without a
# description; fails if there is any.
roff_lint() {
	awk '
		/^[ \t]*$/ { print FILENAME ":" NR ": blank line"; bad = 1 }
		tp == 2 && /^\.(TP|SH|SS|PP|P|LP|IP)([ \t]|$)/ {
			print FILENAME ":" tagline ": .TP entry without a description"; bad = 1
		}
		{ if (tp == 1) { tp = 2; tagline = NR } else tp = 0 }
		/^\.TP([ \t]|$)/ { tp = 1 }
		END { exit bad }' "$1"
}

# man_heading_flags FILE: the flags named by the tags of the .TP entries
# of the manual page FILE (the line after each .TP, with its macro, quotes
# and \fX font escapes dropped and \- read as -).
man_heading_flags() {
	awk '
		prev ~ /^\.TP([ \t]|$)/ {
			s = $0
			if (s ~ /^\.(B|I|BR|BI|IB|RB|IR|RI)([ \t]|$)/) {
				sub(/^\.[A-Z]+[ \t]*/, "", s)
				gsub(/"/, "", s)
			}
			gsub(/\\f[BIRP]/, "", s)
			gsub(/\\-/, "-", s)
			gsub(/\\[&%]/, "", s)
			print s
		}
		{ prev = $0 }' "$1" | flag_tokens
}

# man_text_flags FILE: the flags in the manual page FILE as man renders it.
man_text_flags() {
	MANWIDTH=80 MANPAGER=cat man -l "$1" 2>/dev/null | flag_tokens
}

# readme_table_flags FILE: the flags in the first cell of the rows of
# README FILE's flag table (rows that start with "| `--").
readme_table_flags() {
	grep -E '^\| *`--' "$1" | awk -F'|' '{ print $2 }' | flag_tokens
}

# missing SET: prints the flags of --help that the sorted list in file SET
# lacks; fails if there is any.
# shellcheck disable=SC2317 # called through fails
missing() {
	local out
	out=$(LC_ALL=C sort -u "$TEST_TMP/flags" | LC_ALL=C comm -23 - "$1")
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# stale SET: prints the flags of the sorted list in file SET that this
# binary does not have; fails if there is any. Placeholders (a name with
# capitals, such as --collector.NAME) are not flags. A flag of a collector
# that this binary was built without cannot be checked and is left out,
# and --no-collector.NAME.KEY is taken as the "off" form of a boolean
# --collector.NAME.KEY.
stale() {
	local f name c out=""
	while read -r f; do
		case $f in *[A-Z]*) continue ;; esac
		grep -qxF -- "$f" "$TEST_TMP/flags" && continue
		name=${f#--}
		name=${name#no-}
		case $name in
		collector.*)
			c=${name#collector.}
			c=${c%%.*}
			grep -qxF -- "--collector.$c" "$TEST_TMP/flags" || continue
			case $f in --no-collector.*.*)
				grep -qxF -- "--$name" "$TEST_TMP/flags" && continue ;;
			esac
			;;
		esac
		out="$out$f"$'\n'
	done <"$1"
	[ -z "$out" ] || { printf '%s' "$out"; return 1; }
}

# config_ok FILE: FILE passes --check-config (exit 0 and the OK line).
config_ok() {
	local out rc
	out=$(timeout 10 "$VIRTMETER" --config.file="$1" --check-config 2>&1)
	rc=$?
	printf '%s\n' "$out"
	[ $rc -eq 0 ] && [ "$out" = "$1: configuration OK" ]
}

# man_section FILE NAME: the source lines of section NAME of the manual
# page FILE (after its .SH line, up to the next .SH).
man_section() {
	awk -v name="$2" '
		/^\.SH / { s = $0; sub(/^\.SH +/, "", s); gsub(/"/, "", s); on = (s == name); next }
		on' "$1"
}

# man_section_words FILE NAME: the words of section NAME as man renders
# it, one a line (letters, digits and _, as configuration keys are).
man_section_words() {
	MANWIDTH=80 MANPAGER=cat man -l "$1" 2>/dev/null |
		awk -v name="$2" '/^[A-Z]/ { on = ($0 == name); next } on' |
		grep -oE '[A-Za-z0-9_]+' | LC_ALL=C sort -u
}

# config_doc_keys FILE: the keys named in the first cell of the tables of
# docs/config.md FILE (backticked words; flags are not keys).
# shellcheck disable=SC2016 # markdown backticks, not a command
config_doc_keys() {
	grep -E '^\| *`' "$1" | awk -F'|' '{ print $2 }' |
		grep -oE '`[a-z][a-z0-9_]*`' | tr -d '`' | LC_ALL=C sort -u
}

# man_collector_keys FILE: "COLLECTOR KEY" for each key in bold in the
# entry of each collector under "collectors" in CONFIGURATION FILE.
man_collector_keys() {
	man_section "$1" "CONFIGURATION FILE" | awk '
		/^\.TP/ { tp = 1; next }
		tp { tp = 0; if ($1 == ".B") { entry = $2; next } }
		/^\.RS/ { depth++ }
		/^\.RE/ { depth--; entry = "" }
		depth == 1 && entry != "" {
			s = $0
			while (match(s, /\\fB[a-z_]+\\fR/)) {
				print entry, substr(s, RSTART + 3, RLENGTH - 6)
				s = substr(s, RSTART + RLENGTH)
			}
		}' | LC_ALL=C sort -u
}

# dump_collector_keys: "COLLECTOR KEY" for each setting of --dump-settings.
dump_collector_keys() {
	"$VIRTMETER" --dump-settings | cut -f2 |
		awk -F. '$1 == "collectors" { print $2, $3 }' | LC_ALL=C sort -u
}

# man_tags FILE SECTION: the words of the tags of the .TP entries of
# SECTION (macros, quotes and font escapes dropped), one a line.
man_tags() {
	man_section "$1" "$2" | awk '
		tp { s = $0; sub(/^\.[A-Z]+ +/, "", s); gsub(/\\f[BIRP]|"|,/, " ", s); print s; tp = 0 }
		/^\.TP/ { tp = 1 }' | tr ' ' '\n' | grep . | LC_ALL=C sort -u
}

# man_examples FILE: the command lines of EXAMPLES that run virtmeter, one
# a line (roff escapes read, continuation lines joined).
man_examples() {
	man_section "$1" EXAMPLES | awk '
		/^\.nf/ { nf = 1; next }
		/^\.fi/ { nf = 0; next }
		nf {
			s = $0
			gsub(/\\-/, "-", s); gsub(/\\&/, "", s); gsub(/\\e/, "\\", s)
			line = line s
			if (sub(/ *\\$/, " ", line)) next
			gsub(/  +/, " ", line)
			if (line ~ /^virtmeter( |$)/) print line
			line = ""
		}'
}

# examples_parse FILE: every virtmeter command line of FILE's EXAMPLES is
# one this binary accepts (--version added, so that it exits after
# reading its flags); prints those it refuses.
examples_parse() {
	local line args bad=0 n=0
	while read -r line; do
		n=$((n + 1))
		read -ra args <<<"${line#virtmeter}"
		if ! timeout 5 "$VIRTMETER" "${args[@]}" --version >/dev/null 2>"$TEST_TMP/example.err"; then
			echo "$line: $(cat "$TEST_TMP/example.err")"
			bad=1
		fi
	done < <(man_examples "$1")
	[ $n -gt 0 ] || { echo "no virtmeter command line in EXAMPLES"; return 1; }
	return $bad
}

# daemon_signals: the signals exporter/main.c waits for (sigaddset).
daemon_signals() {
	grep -oE 'sigaddset\(&sigs, *SIG[A-Z0-9]+' "$top_srcdir/exporter/main.c" |
		grep -oE 'SIG[A-Z0-9]+$' | LC_ALL=C sort -u
}

# unit_caps: the capabilities that the systemd unit grants.
unit_caps() {
	sed -n 's/^AmbientCapabilities=//p' "$top_srcdir/deploy/systemd/virtmeter.service.in" |
		tr ' ' '\n' | grep . | LC_ALL=C sort -u
}

# help_collectors: the collectors of this binary, from --help's switches.
help_collectors() {
	sed -n 's/^--no-collector\.\([a-z0-9_-]*\)$/\1/p' "$TEST_TMP/flags" | LC_ALL=C sort -u
}

# keys_missing FILE: the keys of docs/config.md that the CONFIGURATION FILE
# section of the manual page FILE lacks, and the settings of
# --dump-settings not in the entry of their collector there; fails if any.
keys_missing() {
	local out
	out=$(LC_ALL=C comm -23 <(config_doc_keys "$top_srcdir/docs/config.md") \
		<(man_section_words "$1" "CONFIGURATION FILE"))
	out=$(printf '%s\n%s' "$out" "$(LC_ALL=C comm -23 <(dump_collector_keys) <(man_collector_keys "$1") |
		sed 's/^/collectors./; s/ /./')" | grep .)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# manual_misses FILE: prints what the manual page FILE lacks of the
# daemon's signals (as tags of SIGNALS), its collectors (as tags of
# PRIVILEGES) and the unit's capabilities (in PRIVILEGES); fails if any.
manual_misses() {
	local out
	out=$(LC_ALL=C comm -23 <(daemon_signals) <(man_tags "$1" SIGNALS) | sed 's/^/SIGNALS: /')
	out=$(printf '%s\n' "$out" "$(LC_ALL=C comm -23 <(help_collectors) <(man_tags "$1" PRIVILEGES) |
		sed 's/^/PRIVILEGES: /')" "$(LC_ALL=C comm -23 <(unit_caps) <(man_section "$1" PRIVILEGES |
		grep -oE 'CAP_[A-Z_]+' | LC_ALL=C sort -u) | sed 's/^/PRIVILEGES: /')" | grep .)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# Sorted flag sets of each document, in $TEST_TMP/NAME.
sets_of() { # PREFIX MANFILE READMEFILE
	man_heading_flags "$2" >"$TEST_TMP/$1.man-heads"
	[ $HAVE_MAN = 1 ] && man_text_flags "$2" >"$TEST_TMP/$1.man-text"
	flag_tokens <"$3" >"$TEST_TMP/$1.readme"
	readme_table_flags "$3" >"$TEST_TMP/$1.readme-table"
	return 0
}

# ---- the flags of this binary --------------------------------------------------------
help_flags >"$TEST_TMP/flags"
nflags=$(grep -c . "$TEST_TMP/flags")
ncoll=$(grep -c '^--no-collector\.[^.]*$' "$TEST_TMP/flags")
bad=$(grep -vE '^--[a-z0-9][a-z0-9_.-]*$' "$TEST_TMP/flags")
tap_is "$bad" "" "every flag read from --help is a flag name"
if [ "$nflags" -gt 0 ] && [ "$ncoll" -gt 0 ]; then
	tap_ok "--help gives $nflags flags, of which the switches of $ncoll collectors"
else
	tap_abort "--help gives flags and collectors" "read $nflags flags, $ncoll collectors from:" \
		"$("$VIRTMETER" --help 2>&1 | head -n 20)"
fi
first=$(head -n1 "$TEST_TMP/flags")

# ---- the checkers can fail ------------------------------------------------------------
# A manual page with an undefined macro.
sed '/^\.SH OPTIONS/a .XX undefined' "$MAN" >"$TEST_TMP/macro.8"
if [ $HAVE_MAN = 1 ]; then
	tap_check "man_warnings catches a warning (an undefined macro)" \
		fails man_warnings "$TEST_TMP/macro.8"
else
	tap_skip "man_warnings catches a warning (an undefined macro)" "$NO_MAN"
fi
# The manual page with the .TP of the first flag's entry made a blank
# line: the flag becomes body text of the entry above.
n=$(awk -v flag="$first" '
	function norm(s) { gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); sub(/^\.[A-Z]+ +/, "", s); return s }
	prev ~ /^\.TP/ && index(norm($0), flag) == 1 { print NR - 1; exit }
	{ prev = $0 }' "$MAN")
if [ -n "$n" ]; then
	sed "${n}s/.*//" "$MAN" >"$TEST_TMP/blank.8"
	tap_check "roff_lint catches a blank line instead of a .TP" fails roff_lint "$TEST_TMP/blank.8"
	sets_of blank "$TEST_TMP/blank.8" "$README"
	tap_check "the heading check catches $first turned into body text" \
		fails missing "$TEST_TMP/blank.man-heads"
else
	tap_fail "a broken copy of the manual page can be made" "no .TP entry starts with $first in $MAN"
fi
# An entry without a description.
awk '{ print } /^\.SH OPTIONS/ { print ".TP"; print ".B \\-\\-nothing"; }' "$MAN" >"$TEST_TMP/nobody.8"
tap_check "roff_lint catches a .TP entry without a description" fails roff_lint "$TEST_TMP/nobody.8"
# A manual page and a README without the first flag, and a README whose
# table names a flag the binary does not have.
plain=${first#--}
grep -vF -e "$plain" -e "${plain//-/\\-}" "$MAN" >"$TEST_TMP/without.8"
grep -vF -e "$plain" "$README" >"$TEST_TMP/without.md"
{
	cat "$README"
	# shellcheck disable=SC2016 # markdown backticks, not a command
	echo '| `--web.no-such-flag=X` | | a flag that does not exist |'
} >"$TEST_TMP/stale.md"
sets_of without "$TEST_TMP/without.8" "$TEST_TMP/without.md"
sets_of stale "$MAN" "$TEST_TMP/stale.md"
tap_check "the README check catches $first left out" fails missing "$TEST_TMP/without.readme"
if [ $HAVE_MAN = 1 ]; then
	tap_check "the rendered manual page check catches $first left out" \
		fails missing "$TEST_TMP/without.man-text"
else
	tap_skip "the rendered manual page check catches $first left out" "$NO_MAN"
fi
tap_check "the stale flag check catches a README row of a flag the binary does not have" \
	fails stale "$TEST_TMP/stale.readme-table"
# An example configuration with an unknown key.
{
	cat "$EXAMPLE"
	echo 'nosuch_section: {}'
} >"$TEST_TMP/bad.yml"
tap_check "config_ok catches a configuration with an unknown key" fails config_ok "$TEST_TMP/bad.yml"

# ---- the manual page -------------------------------------------------------------------
if [ $HAVE_MAN = 1 ]; then
	out=$(man_warnings "$MAN")
	tap_is "$out" "" "docs/virtmeter.8 renders with man (80 columns) and groff -ww without a warning"
else
	tap_skip "docs/virtmeter.8 renders with man (80 columns) and groff -ww without a warning" "$NO_MAN"
fi
out=$(roff_lint "$MAN")
tap_is "$out" "" "docs/virtmeter.8 has no blank line and no .TP entry without a description"

# ---- every flag of --help is documented ----------------------------------------------
sets_of doc "$MAN" "$README"
while read -r f; do
	where=""
	grep -qxF -- "$f" "$TEST_TMP/doc.man-heads" || where="$where; heads no entry of docs/virtmeter.8"
	if [ $HAVE_MAN = 1 ]; then
		grep -qxF -- "$f" "$TEST_TMP/doc.man-text" || where="$where; not in the rendered manual page"
	fi
	grep -qxF -- "$f" "$TEST_TMP/doc.readme" || where="$where; not in README.md"
	if [ -z "$where" ]; then
		tap_ok "$f is documented in docs/virtmeter.8 and README.md"
	else
		tap_fail "$f is documented in docs/virtmeter.8 and README.md" "${where#; }"
	fi
done <"$TEST_TMP/flags"

# ---- every setting of --dump-settings heads an entry --------------------------------
out=$("$VIRTMETER" --dump-settings | cut -f1 | while read -r f; do
	grep -qxF -- "$f" "$TEST_TMP/doc.man-heads" || echo "$f"
done)
tap_is "$out" "" "every flag of --dump-settings ($("$VIRTMETER" --dump-settings | wc -l)) heads an entry of docs/virtmeter.8"

# ---- no documented flag is stale ---------------------------------------------------------
out=$(stale "$TEST_TMP/doc.man-heads")
tap_is "$out" "" "every flag that heads an entry of docs/virtmeter.8 is one --help lists"
out=$(stale "$TEST_TMP/doc.readme-table")
tap_is "$out" "" "every flag in README.md's flag table is one --help lists"

# ---- keys, signals, privileges and examples of the manual page -------------------------
if [ $HAVE_MAN = 1 ]; then
	sed 's/\\fBtls_insecure\\fR//; s/\\fBlearn_window\\fR//' "$MAN" >"$TEST_TMP/nokeys.8"
	out=$(keys_missing "$TEST_TMP/nokeys.8")
	tap_is "$out" "$(printf 'tls_insecure\ncollectors.model.learn_window')" \
		"keys_missing catches a meter key and a collector setting left out"
	out=$(keys_missing "$MAN")
	tap_is "$out" "" "the manual page names every key of docs/config.md and --dump-settings"
else
	tap_skip "the manual page names every key of docs/config.md and --dump-settings" "$NO_MAN"
fi
tap_is "$(daemon_signals | paste -sd ' ')" "SIGHUP SIGINT SIGTERM" "the daemon waits for SIGHUP, SIGINT and SIGTERM"
tap_is "$(unit_caps | paste -sd ' ')" "CAP_DAC_READ_SEARCH CAP_PERFMON" "the unit's capabilities are read"
sed -e 's/^\.BR SIGTERM ", " SIGINT$/.B SIGTERM/' -e '/^\.B textfile$/,/^\.SH/{/^\.B textfile$/d}' \
	-e 's/CAP_PERFMON/CAP_X/g' "$MAN" >"$TEST_TMP/nosig.8"
out=$(manual_misses "$TEST_TMP/nosig.8")
tap_is "$out" "$(printf 'SIGNALS: SIGINT\nPRIVILEGES: textfile\nPRIVILEGES: CAP_PERFMON')" \
	"manual_misses catches a signal, a collector and a capability left out"
out=$(manual_misses "$MAN")
tap_is "$out" "" "SIGNALS has every signal, PRIVILEGES every collector and the unit's capabilities"
sed 's/^virtmeter \\-\\-collector.disable\\-defaults/virtmeter \\-\\-collector.disable\\-default/' "$MAN" >"$TEST_TMP/badex.8"
tap_check "examples_parse catches an example with a misspelt flag" fails examples_parse "$TEST_TMP/badex.8"
out=$(examples_parse "$MAN")
tap_is "$out" "" "every virtmeter command line of EXAMPLES ($(man_examples "$MAN" | wc -l)) is one the binary accepts"

# ---- the example configuration -----------------------------------------------------------
out=$(config_ok "$EXAMPLE")
tap_is "$out" "$EXAMPLE: configuration OK" "deploy/virtmeter.yml passes --check-config as shipped"

tap_done
