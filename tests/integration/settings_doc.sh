#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Every collector setting says the same thing everywhere: the binary's own
# table (`virtmeter --dump-settings`: flag, file key, type, default,
# limit), the settings table of docs/config.md (a row
#   | `FLAG` | `FILE KEY` | TYPE | `DEFAULT` or - | LIMIT | meaning |
# per setting, no other rows), `--help` (the flag and its default), and
# the errors: a number past its limit is refused by --check-config with
# the limit named and the file's line, and the same value as a flag is a
# bad command line (exit 2) with the same words.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
DOC=$top_srcdir/docs/config.md

"$VIRTMETER" --dump-settings >"$TEST_TMP/dump" 2>"$TEST_TMP/dump.err"
tap_is "$?" 0 "virtmeter --dump-settings exits with 0"
tap_check "virtmeter --dump-settings prints settings" test -s "$TEST_TMP/dump"

# doc_rows FILE: the settings rows of a config.md, as the dump prints them
# (tab-separated, backticks and the meaning dropped).
doc_rows() {
	awk -F' [|] ' '
		/^[|] flag [|] file key [|]/ { intable = 1; next }
		intable && /^[|]---/ { next }
		intable && !/^[|]/ { intable = 0 }
		intable {
			sub(/^[|] /, "")
			for (i = 1; i <= 5; i++) gsub(/`/, "", $i)
			print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5
		}' "$1"
}

# ---- the checker can fail ------------------------------------------------------------
sed '/^| `--collector.cgroup.idle-cycles`/s/| `3` |/| `4` |/' "$DOC" >"$TEST_TMP/bad.md"
tap_check "a wrong default in a copy of docs/config.md is seen" \
	fails diff <(doc_rows "$TEST_TMP/bad.md" | sort) <(sort "$TEST_TMP/dump")

doc_rows "$DOC" | sort >"$TEST_TMP/doc"
sort "$TEST_TMP/dump" >"$TEST_TMP/bin"
tap_check "docs/config.md has a settings table" test -s "$TEST_TMP/doc"
if diff "$TEST_TMP/doc" "$TEST_TMP/bin" >"$TEST_TMP/diff"; then
	tap_ok "docs/config.md's settings table equals --dump-settings (flag, key, type, default, limit)"
else
	tap_fail "docs/config.md's settings table equals --dump-settings (flag, key, type, default, limit)"
	tap_diag "- docs/config.md, + the binary:"
	tap_diag_file "$TEST_TMP/diff"
fi

"$VIRTMETER" --help >"$TEST_TMP/help"
# The help text as one line per entry: a flag and the words below it.
awk '/^ +--/ { if (e) print e; e = $0; next } /^                    / { e = e " " $0; next } { if (e) print e; e = "" } END { if (e) print e }' \
	"$TEST_TMP/help" | tr -s ' ' >"$TEST_TMP/help.entries"
while IFS=$'\t' read -r flag key type def limit; do
	entry=$(grep -F -e " ${flag}=" -e " ${flag} " -e " --[no-]${flag#--} " "$TEST_TMP/help.entries" | head -1)
	if [ -z "$entry" ]; then
		tap_fail "$flag is in --help"
		continue
	fi
	case $type in
	bool) want="default $([ "$def" = true ] && echo on || echo off)" ;;
	*) [ "$def" = - ] && want="" || want="default $def" ;;
	esac
	[ "$limit" != - ] && [ "$type" = number ] && want="$limit; $want"
	[ "$limit" != - ] && [ "$type" = list ] && want="$limit; $want"
	want=${want%; }
	case $entry in
	*"$want"*) tap_ok "--help shows $flag${want:+ with '$want'}" ;;
	*) tap_fail "--help shows $flag with '$want'" "$entry" ;;
	esac
	[ "$type" = number ] || continue
	# Past the limit: refused by the file at its line and by the flag.
	max=${limit##* to }
	min=${limit%% to *}
	collector=${key#collectors.}
	collector=${collector%%.*}
	printf 'collectors:\n  %s:\n    %s: %s\n' "$collector" "${key##*.}" "$((max + 1))" >"$TEST_TMP/over.yml"
	out=$("$VIRTMETER" --config.file="$TEST_TMP/over.yml" --check-config 2>&1)
	rc=$?
	tap_is "$rc" 1 "--check-config refuses $key: $((max + 1))"
	tap_like "$out" "over.yml:3:[0-9]+: $key: expected a whole number from $min to $max, got '$((max + 1))'" \
		"the file's error names $key, its line and the limit"
	out=$("$VIRTMETER" "$flag=$((max + 1))" --version 2>&1)
	rc=$?
	tap_is "$rc" 2 "$flag=$((max + 1)) is a bad command line"
	tap_like "$out" "$flag=$((max + 1)): expected a whole number from $min to $max" \
		"the flag's error names the flag and the limit"
done <"$TEST_TMP/dump"
tap_done
