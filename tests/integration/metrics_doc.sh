#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# docs/metrics.md is assembled from the collectors' sections, and it and
# the binary agree: every family that `virtmeter
# --dump-metrics` prints is documented with the same type and labels, every
# family documented in the sections of the collectors that exist (Self,
# Host, Process) is one the binary can emit, and the live /metrics output
# holds exactly the dumped families, types and labels.
#
# The format parsed, strictly:
#   - A section starts at a line "## Title".
#   - A metric table is a markdown table whose header row's first cell is
#     "name"; the row after it is the |---| separator.
#   - Each other row of a metric table is
#       | `metric_name` | type | labels | help |
#     where type is one word (counter, gauge, histogram, summary, info,
#     stateset, unknown), labels is either an em dash (—) for none or label
#     names each in backticks separated by ", " (`a`, `b`), and help is
#     non-empty text (it may itself hold escaped pipes).
#   - Counters are named with their _total suffix, as in --dump-metrics.
#   - The sections "## Self", "## Host" and "## Process" are always
#     checked both ways. Another section (one per optional collector, e.g.
#     "## Libvirt") is checked both ways as soon as the binary emits one of
#     its families; until then it documents a collector not built (yet, or
#     in this build) and its rows are checked only for format, and against
#     the binary only if the binary has a family of that name.
# Labels are compared as sets (order does not matter).
# Each section's "| family | sum |" table says how to sum each of its
# families without counting anything twice (see doc_lib.sh for its
# format): one row per family, in the metric table's order; each cell
# says "not summed" and why, or holds a query that names the family; and
# every query is valid PromQL (promtool). metrics_promql.sh runs the key
# ones against a real Prometheus.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=doc_lib.sh
. "$(dirname "$0")/doc_lib.sh"

[ -x "$VIRTMETER" ] || tap_skip_all "virtmeter binary not built ($VIRTMETER)"
DOC=$top_srcdir/docs/metrics.md
CORE="Self Host Process"   # collectors every build has, on by default
IMPLEMENTED=$CORE

# ---- the binary's list ---------------------------------------------------------------
"$VIRTMETER" --dump-metrics >"$TEST_TMP/dump.raw" 2>"$TEST_TMP/dump.err"
rc=$?
tap_is "$rc" 0 "virtmeter --dump-metrics exits with 0"
[ -s "$TEST_TMP/dump.raw" ] || tap_abort "virtmeter --dump-metrics prints families" "$(cat "$TEST_TMP/dump.err")"
# name TAB type TAB sorted labels ("-" for none: read would merge empty
# tab-separated fields)
awk -F'\t' '{
	n = split($3, l, ",")
	for (i = 2; i <= n; i++) { t = l[i]; for (j = i - 1; j >= 1 && l[j] > t; j--) l[j + 1] = l[j]; l[j + 1] = t }
	s = ""
	for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") l[i]
	print $1 "\t" $2 "\t" (s == "" ? "-" : s)
}' "$TEST_TMP/dump.raw" >"$TEST_TMP/dump"

# ---- the document is assembled from the collectors' sections ----------------------------
# Each collector documents its families in collectors/NAME/metrics.md (the
# exporter's own in exporter/metrics.md); docs/gen-metrics.sh assembles the
# page. A page edited by hand, or a section not assembled, fails here.
GEN=$top_srcdir/docs/gen-metrics.sh
if bash "$GEN" --stdout >"$TEST_TMP/assembled.md" 2>"$TEST_TMP/assembled.err" &&
	diff -u "$DOC" "$TEST_TMP/assembled.md" >"$TEST_TMP/assembled.diff"; then
	tap_ok "docs/metrics.md is what docs/gen-metrics.sh assembles from the sections"
else
	tap_fail "docs/metrics.md is what docs/gen-metrics.sh assembles from the sections" \
		"run docs/gen-metrics.sh and commit docs/metrics.md:"
	tap_diag_file "$TEST_TMP/assembled.err"
	tap_diag_file "$TEST_TMP/assembled.diff"
fi
# The checker can fail: a section changed without assembling the page.
mkdir -p "$TEST_TMP/tree/docs" "$TEST_TMP/tree/exporter"
cp -r "$top_srcdir/collectors" "$TEST_TMP/tree/"
cp "$DOC" "$GEN" "$TEST_TMP/tree/docs/"
sed 's/^What virtmeter says about itself/What virtmeter says of itself/' \
	"$top_srcdir/exporter/metrics.md" >"$TEST_TMP/tree/exporter/metrics.md"
tap_check "a section changed without assembling the page is seen" \
	fails cmp -s "$TEST_TMP/tree/docs/metrics.md" <(bash "$TEST_TMP/tree/docs/gen-metrics.sh" --stdout 2>/dev/null)

# ---- the document ---------------------------------------------------------------------
[ -f "$DOC" ] || tap_abort "docs/metrics.md exists" "not found: $DOC"
# Prints "ROW<TAB>section<TAB>name<TAB>type<TAB>sorted labels or -<TAB>line" per
# row and "ERR<TAB>line<TAB>message" per malformed row.
awk -v OFS='\t' '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	/^## / { section = trim(substr($0, 4)); intable = 0; next }
	!/^\|/ { intable = 0; header = 0; next }
	{
		line = trim($0)
		n = split(line, f, "|")
		if (f[1] != "" || f[n] != "") { print "ERR", NR, "a table row must start and end with |"; next }
		if (!intable && !header) {
			header = 1
			intable = (tolower(trim(f[2])) == "name")
			next
		}
		if (header == 1) { header = 2; next }   # the |---| separator
		if (!intable) next
		if (n - 2 < 4) { print "ERR", NR, "expected 4 cells: name, type, labels, help"; next }
		name = trim(f[2]); type = trim(f[3]); labels = trim(f[4])
		help = f[5]; for (i = 6; i < n; i++) help = help "|" f[i]
		help = trim(help)
		if (name !~ /^`[a-zA-Z_:][a-zA-Z0-9_:]*`$/) { print "ERR", NR, "name is not one metric name in backticks: " name; next }
		name = substr(name, 2, length(name) - 2)
		if (type !~ /^(counter|gauge|histogram|summary|info|stateset|unknown)$/) { print "ERR", NR, "unknown type: " type; next }
		if (labels == "\342\200\224") labels = ""
		else if (labels !~ /^`[a-zA-Z_][a-zA-Z0-9_]*`(, `[a-zA-Z_][a-zA-Z0-9_]*`)*$/) {
			print "ERR", NR, "labels must be an em dash or `a`, `b`: " labels; next
		} else {
			gsub(/`/, "", labels); gsub(/ /, "", labels)
		}
		if (help == "") { print "ERR", NR, "empty help for " name; next }
		m = split(labels, l, ",")
		for (i = 2; i <= m; i++) { t = l[i]; for (j = i - 1; j >= 1 && l[j] > t; j--) l[j + 1] = l[j]; l[j + 1] = t }
		s = ""
		for (i = 1; i <= m; i++) s = s (i > 1 ? "," : "") l[i]
		print "ROW", section, name, type, (s == "" ? "-" : s), NR
	}' "$DOC" >"$TEST_TMP/doc.all"

errors=$(awk -F'\t' '$1 == "ERR" { print "docs/metrics.md:" $2 ": " $3 }' "$TEST_TMP/doc.all")
tap_is "$errors" "" "every row of the metric tables in docs/metrics.md has the documented format"
awk -F'\t' '$1 == "ROW" { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 }' "$TEST_TMP/doc.all" >"$TEST_TMP/doc"
for s in $IMPLEMENTED; do
	n=$(awk -F'\t' -v s="$s" '$1 == s' "$TEST_TMP/doc" | wc -l)
	if [ "$n" -gt 0 ]; then
		tap_ok "docs/metrics.md has a '## $s' section with a metric table ($n rows)"
	else
		tap_fail "docs/metrics.md has a '## $s' section with a metric table" "no rows found under '## $s'"
	fi
done
# Sections of optional collectors this binary has: one of their families
# is in the dump.
built=$(awk -F'\t' 'NR == FNR { have[$1] = 1; next } ($2 in have) { print $1 }' \
	"$TEST_TMP/dump" "$TEST_TMP/doc" | sort -u | tr '\n' ' ')
for s in $built; do
	case " $IMPLEMENTED " in *" $s "*) ;; *) IMPLEMENTED="$IMPLEMENTED $s" ;; esac
done
tap_diag "sections checked both ways: $IMPLEMENTED"
others=$(cut -f1 "$TEST_TMP/doc" | sort -u | while read -r s; do
	case " $IMPLEMENTED " in *" $s "*) ;; *) printf '%s ' "$s" ;; esac
done)
[ -n "$others" ] && tap_diag "sections of collectors not in this binary (format only): $others"
dups=$(cut -f2 "$TEST_TMP/doc" | sort | uniq -d)
tap_is "$dups" "" "docs/metrics.md documents each family once"

# ---- how each family is summed ------------------------------------------------------------
# Every section ends with a "| family | sum |" table (doc_lib.sh): one row
# per family of its metric table, in that table's order; each cell says
# "not summed" and why, or holds a query that names the family; every
# query is valid PromQL (promtool). Each checker is first shown to fail
# on a broken copy of the page.
# broken NAME SED: a copy of the page edited by SED, as $TEST_TMP/NAME.md.
broken() {
	sed "$2" "$DOC" >"$TEST_TMP/$1.md"
	cmp -s "$DOC" "$TEST_TMP/$1.md" && tap_diag "broken copy $1 is the page itself: $2"
}
# shellcheck disable=SC2016 # markdown's backticks, not a command
host_row='^| `virtmeter_host_cpus` | one series'
broken drop "/$host_row/d"
broken twice "/$host_row/p"
broken unknown "/$host_row/a | \`virtmeter_host_cpus_total\` | \`sum(virtmeter_host_cpus_total)\` |"
broken swapped "/$host_row/{h;d;}; /^| \`virtmeter_host_boot_time_seconds\` | not summed/G"
broken split "/$host_row/s/| one series/| one | series/"
tap_check "the sum tables' check sees a family without a row" fails sums_cover "$TEST_TMP/drop.md"
tap_check "and one with two rows" fails sums_cover "$TEST_TMP/twice.md"
tap_check "and a row for a family that the section does not have" fails sums_cover "$TEST_TMP/unknown.md"
tap_check "and two rows out of the metric table's order" fails sums_cover "$TEST_TMP/swapped.md"
tap_check "and a row of three cells (an unescaped |)" fails sums_cover "$TEST_TMP/split.md"
if out=$(sums_cover "$DOC"); then
	tap_ok "each section's sum table has one row per family of its metric table, in its order"
else
	tap_fail "each section's sum table has one row per family of its metric table, in its order" "$out"
fi

broken other "/$host_row/s/(virtmeter_host_cpus)/(virtmeter_host_cpus_other)/"
broken noreason "/$host_row/s/| one series per host: .* |\$/| not summed |/"
tap_check "the sum cells' check sees a cell whose only query names another family" fails sums_say "$TEST_TMP/other.md"
tap_check "and a \"not summed\" that gives no reason" fails sums_say "$TEST_TMP/noreason.md"
if out=$(sums_say "$DOC"); then
	tap_ok "every sum cell says \"not summed\" and why, or has a query that names its family"
else
	tap_fail "every sum cell says \"not summed\" and why, or has a query that names its family" "$out"
fi

if command -v promtool >/dev/null 2>&1; then
	broken paren "/$host_row/s/(virtmeter_host_cpus)/(virtmeter_host_cpus/"
	broken notpromql "/$host_row/s/| one series per host:/| one series \`per host\`:/"
	tap_check "the queries' check sees an unclosed parenthesis" fails sums_parse "$TEST_TMP/paren.md"
	tap_check "and a backticked span that is no PromQL" fails sums_parse "$TEST_TMP/notpromql.md"
	if out=$(sums_parse "$DOC"); then
		tap_ok "every query of the sum tables is valid PromQL (promtool check rules)"
	else
		tap_fail "every query of the sum tables is valid PromQL (promtool check rules)" "$out"
	fi
else
	tap_skip "every query of the sum tables is valid PromQL" "promtool not installed (Debian package prometheus)"
fi

# ---- binary -> document ------------------------------------------------------------------
while IFS=$'\t' read -r name type labels; do
	doc=$(awk -F'\t' -v n="$name" '$2 == n { print $3 "\t" $4; exit }' "$TEST_TMP/doc")
	desc="$name ($type; labels: ${labels/#-/none}) is documented with that type and labels"
	if [ -z "$doc" ]; then
		tap_fail "$desc" "not in docs/metrics.md"
	else
		tap_is "$doc" "$type"$'\t'"$labels" "$desc"
	fi
done <"$TEST_TMP/dump"

# ---- document -> binary -------------------------------------------------------------------
while IFS=$'\t' read -r section name type labels line; do
	case " $IMPLEMENTED " in *" $section "*) ;; *) continue ;; esac
	if cut -f1 "$TEST_TMP/dump" | grep -qxF -- "$name"; then
		tap_ok "documented $name (docs/metrics.md:$line, ## $section) is emitted by the binary"
	else
		tap_fail "documented $name (docs/metrics.md:$line, ## $section) is emitted by the binary" \
			"virtmeter --dump-metrics does not list it"
	fi
done <"$TEST_TMP/doc"

# ---- dump -> live output ------------------------------------------------------------------
if start_virtmeter; then
	scrape live text >/dev/null
	# name TAB type TAB sorted label names of its samples (or -), from the
	# text body.
	awk '
		$1 == "#" && $2 == "TYPE" { fam = $3; type[fam] = $4; order[++n] = fam; next }
		/^#/ || /^$/ { next }
		{
			if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) next
			nsamp[fam]++
			rest = substr($0, RLENGTH + 1)
			if (substr(rest, 1, 1) != "{") next
			# label names: identifiers before =" (values are skipped).
			s = substr(rest, 2)
			while (match(s, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) {
				lname = substr(s, 1, RLENGTH - 2)
				labs[fam, lname] = 1
				s = substr(s, RLENGTH + 1)
				while (s != "" && substr(s, 1, 1) != "\"") {
					if (substr(s, 1, 1) == "\\") s = substr(s, 2)
					s = substr(s, 2)
				}
				s = substr(s, 2)
				if (substr(s, 1, 1) == ",") s = substr(s, 2)
			}
		}
		END {
			for (i = 1; i <= n; i++) {
				fam = order[i]; m = 0
				for (k in labs) { split(k, kk, SUBSEP); if (kk[1] == fam) l[++m] = kk[2] }
				for (a = 2; a <= m; a++) { t = l[a]; for (b = a - 1; b >= 1 && l[b] > t; b--) l[b + 1] = l[b]; l[b + 1] = t }
				s = ""
				for (a = 1; a <= m; a++) s = s (a > 1 ? "," : "") l[a]
				# A family without samples shows no labels: "*" matches any.
				print fam "\t" type[fam] "\t" (nsamp[fam] == 0 ? "*" : s == "" ? "-" : s)
			}
		}' "$TEST_TMP/live.b" >"$TEST_TMP/live"
	extra=$(awk -F'\t' '
		NR == FNR { d[$1] = $0; dt[$1] = $2; next }
		!($1 in d) { print "live: " $0 "; not in the dump"; next }
		$3 == "*" && dt[$1] != $2 { print "live: " $0 "; dump: " d[$1]; next }
		$3 != "*" && d[$1] != $0 { print "live: " $0 "; dump: " d[$1] }' \
		"$TEST_TMP/dump" "$TEST_TMP/live")
	tap_is "$extra" "" "every family in the live /metrics is in --dump-metrics with the same type and label names"
	missing=""
	while IFS=$'\t' read -r section name _; do
		case " $CORE " in *" $section "*) ;; *) continue ;; esac
		cut -f1 "$TEST_TMP/live" | grep -qxF -- "$name" || missing="$missing $name"
	done <"$TEST_TMP/doc"
	tap_is "${missing# }" "" "every family documented under Self, Host and Process is in the live /metrics"
	stop_virtmeter
else
	tap_fail "virtmeter starts and serves /healthz"
fi

tap_done
