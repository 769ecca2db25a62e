# shellcheck shell=bash
# Readers of docs/metrics.md's tables, shared by the scripts that check the
# page (metrics_doc.sh) and that run its queries (metrics_promql.sh).
# Source it after lib.sh.
#
# A section starts at a line "## Title". Its metric table has the header
# "| name | type | labels | ... |"; its sum table, the header
# "| family | sum |", and one row per family:
#
#   | `family_name` | text with the PromQL, each query in backticks |
#
# A pipe inside a cell is written \| (as GitHub's tables want it, also
# inside backticks); the queries read from a cell have it as |. A sum cell
# either starts with "not summed" and the reason, or holds a query that
# names its family. Every backticked span of a sum cell is a PromQL query.

# doc_tables DOC: one line per row of DOC's metric and sum tables:
#   NAME<TAB>section<TAB>family<TAB>line
#   SUM<TAB>section<TAB>family<TAB>line<TAB>cell   (cell as written)
#   ERR<TAB>line<TAB>message                       (a malformed sum row)
# The metric tables' own format is checked by metrics_doc.sh.
doc_tables() {
	awk -v OFS='\t' '
		function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
		/^## / { section = trim(substr($0, 4)); kind = ""; header = 0; next }
		!/^\|/ { kind = ""; header = 0; next }
		{
			line = trim($0)
			# Escaped pipes are cell text, not separators.
			gsub(/\\\|/, "\001", line)
			n = split(line, f, "|")
			if (header == 0) {
				header = 1
				c1 = tolower(trim(f[2])); c2 = tolower(trim(f[3]))
				kind = c1 == "name" ? "name" : (c1 == "family" && c2 == "sum" && n == 4) ? "sum" : ""
				next
			}
			if (header == 1) { header = 2; next }   # the |---| separator
			if (kind == "name") {
				name = trim(f[2])
				if (name ~ /^`[a-zA-Z_:][a-zA-Z0-9_:]*`$/)
					print "NAME", section, substr(name, 2, length(name) - 2), NR
				next
			}
			if (kind != "sum") next
			if (f[1] != "" || f[n] != "" || n != 4) {
				print "ERR", NR, "a sum row is | `family` | sum |, two cells (write a | inside a cell as \\|)"
				next
			}
			fam = trim(f[2]); cell = trim(f[3])
			gsub(/\001/, "\\|", cell)
			if (fam !~ /^`[a-zA-Z_:][a-zA-Z0-9_:]*`$/) { print "ERR", NR, "the family cell is not one metric name in backticks: " fam; next }
			if (cell == "") { print "ERR", NR, "empty sum cell for " fam; next }
			if (gsub(/`/, "`", cell) % 2) { print "ERR", NR, "unbalanced backticks in the sum cell of " fam; next }
			print "SUM", section, substr(fam, 2, length(fam) - 2), NR, cell
		}' "$1"
}

# doc_queries CELL: the backticked spans of a sum cell, one per line, with
# \| read as |.
doc_queries() {
	CELL=$1 awk 'BEGIN {
		n = split(ENVIRON["CELL"], p, "`")
		for (i = 2; i <= n; i += 2) {
			q = p[i]
			gsub(/\\\|/, "|", q)
			print q
		}
	}'
}

# names FAMILY: the queries on stdin that name FAMILY (as a whole name).
names() {
	grep -E "(^|[^a-zA-Z0-9_:])$1([^a-zA-Z0-9_:]|\$)"
}

# doc_query DOC FAMILY N: the N-th of the queries of FAMILY's sum cell in
# DOC that name FAMILY (empty if there is none).
doc_query() {
	local cell
	cell=$(doc_tables "$1" | awk -F'\t' -v f="$2" '$1 == "SUM" && $3 == f && !n++ { print $5 }')
	[ -n "$cell" ] || return 0
	doc_queries "$cell" | names "$2" | sed -n "${3}p"
}

# sums_cover DOC: prints one line per section whose sum table is not one
# row per family of its metric table, in that table's order (a family
# missing, one twice, one unknown, or the order changed), and per malformed
# sum row. Returns 1 if it printed any.
sums_cover() {
	local t=$TEST_TMP/cover.$$ s out=""
	doc_tables "$1" >"$t"
	out=$(awk -F'\t' '$1 == "ERR" { print "line " $2 ": " $3 }' "$t")
	while IFS= read -r s; do
		local d
		d=$(diff <(awk -F'\t' -v s="$s" '$1 == "NAME" && $2 == s { print $3 }' "$t") \
			<(awk -F'\t' -v s="$s" '$1 == "SUM" && $2 == s { print $3 }' "$t") |
			sed -n 's/^< /in the metric table, not once at its place in the sum table: /p; s/^> /in the sum table, not at its place: /p')
		[ -n "$d" ] && out="$out${out:+$'\n'}## $s:"$'\n'"$d"
	done < <(awk -F'\t' '($1 == "NAME" || $1 == "SUM") && !seen[$2]++ { print $2 }' "$t")
	rm -f "$t"
	[ -z "$out" ] && return 0
	printf '%s\n' "$out"
	return 1
}

# sums_say DOC: prints one line per sum cell that neither starts with "not
# summed" and a reason of three words or more before any query, nor holds
# a query that names its family. Returns 1 if it printed any.
sums_say() {
	local section fam line cell out="" ok words
	while IFS=$'\t' read -r _ section fam line cell; do
		ok=""
		if [[ $cell == "not summed"* ]]; then
			words=$(printf '%s' "${cell#not summed}" | sed 's/`.*//' | tr -c 'a-zA-Z0-9\n' ' ' | wc -w)
			[ "$words" -ge 3 ] && ok=1
		else
			[ -n "$(doc_queries "$cell" | names "$fam")" ] && ok=1
		fi
		[ -n "$ok" ] || out="$out${out:+$'\n'}line $line ($section): $fam: no query names it, and it does not say \"not summed\" and why"
	done < <(doc_tables "$1" | awk -F'\t' '$1 == "SUM"')
	[ -z "$out" ] && return 0
	printf '%s\n' "$out"
	return 1
}

# sums_parse DOC: writes every query of DOC's sum cells as a recording
# rule, in a group named after its line, and has promtool check them.
# Prints promtool's complaints (each names "LINE #K", the K-th query of
# that line) and returns 1 if a query is not valid PromQL, 2 if DOC has no
# query at all.
sums_parse() {
	local rules=$TEST_TMP/sums.$$.yml out k=0 line cell q j
	echo "groups:" >"$rules"
	while IFS=$'\t' read -r _ _ _ line cell; do
		j=0
		while IFS= read -r q; do
			k=$((k + 1))
			j=$((j + 1))
			printf '  - name: "docs/metrics.md:%s #%s"\n    rules:\n      - record: doc_query_%s\n        expr: |-\n          %s\n' \
				"$line" "$j" "$k" "$q" >>"$rules"
		done < <(doc_queries "$cell")
	done < <(doc_tables "$1" | awk -F'\t' '$1 == "SUM"')
	if [ "$k" -eq 0 ]; then
		rm -f "$rules"
		echo "no query found"
		return 2
	fi
	if out=$(promtool check rules "$rules" 2>&1); then
		rm -f "$rules"
		return 0
	fi
	printf '%s\n' "$out" | grep -F 'docs/metrics.md:' | sed 's/^[^:]*: [0-9]*:[0-9]*: //'
	rm -f "$rules"
	return 1
}
