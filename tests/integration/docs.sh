#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The operator's documentation keeps up with the binary. The manual page
# renders with man and groff without a warning, has no blank line and no
# entry without a description; every flag that `virtmeter --help` prints
# (read from it at run time, collector switches and collector settings
# included) heads an entry of the manual page, shows in its rendered text
# and is named in README.md; every flag that heads a manual page entry or a
# row of README.md's flag table is one the binary has; the shipped example
# configuration passes --check-config. Each checker is first shown to fail
# on a broken copy.
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

# ---- no documented flag is stale ---------------------------------------------------------
out=$(stale "$TEST_TMP/doc.man-heads")
tap_is "$out" "" "every flag that heads an entry of docs/virtmeter.8 is one --help lists"
out=$(stale "$TEST_TMP/doc.readme-table")
tap_is "$out" "" "every flag in README.md's flag table is one --help lists"

# ---- the example configuration -----------------------------------------------------------
out=$(config_ok "$EXAMPLE")
tap_is "$out" "$EXAMPLE: configuration OK" "deploy/virtmeter.yml passes --check-config as shipped"

tap_done
