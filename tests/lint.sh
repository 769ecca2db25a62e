#!/usr/bin/env bash
# Source checks that the compiler does not make: banned unsafe functions
# and files too long to read in one sitting. Run by `make lint`.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
banned=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|atoi|atol|strtok|gets)[[:space:]]*\(' \
	exporter/*.[ch] exporter/api/*.[ch] collectors/*.c collectors/*/*.[ch] 2>/dev/null)
if [ -n "$banned" ]; then
	echo "banned functions (use snprintf, buf_*, strtol/strtoull with checks):"
	echo "$banned"
	rc=1
fi
for f in exporter/*.[ch] exporter/api/*.[ch] collectors/*.c collectors/*/*.[ch]; do
	[ -f "$f" ] || continue
	n=$(wc -l <"$f")
	if [ "$n" -gt 900 ]; then
		echo "$f: $n lines (split it along a seam)"
		rc=1
	fi
done
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
