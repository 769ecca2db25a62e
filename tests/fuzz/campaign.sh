#!/usr/bin/env bash
# The offline fuzzing campaign (not part of make check, which runs each
# target for seconds: tests/integration/fuzz.sh): every libFuzzer target of
# a build made with clang, FUZZ_RUNS executions each (default ten
# million), one after the other, each from a copy of its checked-in corpus.
# Prints a line per target (executions, seconds, executions a second,
# corpus files before and after, coverage features) and
# "N passed, N failed". A crash, leak, sanitizer report or timeout fails
# the target and keeps its reproducer in FUZZ_OUT (default a temporary
# directory, printed).
#
#   make fuzz-campaign                       (in the build directory)
#   make fuzz-campaign FUZZ_RUNS=1000000 FUZZ_TARGETS="config textfile"
#
# FUZZ_MERGE=1 adds what a run found that covers new code to the corpus in
# the source tree (libFuzzer's -merge=1: only inputs that add coverage), to
# be reviewed and committed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
RUNS=${FUZZ_RUNS:-10000000}
case $RUNS in '' | *[!0-9]* | 0)
	echo "campaign.sh: FUZZ_RUNS is a positive number of executions" >&2
	exit 2
	;;
esac
OUT=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/virtmeter-fuzz.XXXXXX")}
mkdir -p "$OUT" || exit 2
targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
	for b in "$top_builddir"/tests/fuzz/libfuzzer_*; do
		[ -x "$b" ] && targets="$targets ${b##*/libfuzzer_}"
	done
fi
if [ -z "$targets" ]; then
	echo "campaign.sh: no libFuzzer target in $top_builddir/tests/fuzz (install clang, re-run configure, make fuzz)" >&2
	exit 2
fi

echo "fuzzing campaign: $RUNS executions per target, logs and artifacts in $OUT"
printf '%-16s %12s %8s %10s %8s %8s %6s  %s\n' target executions seconds exec/s corpus after ft result
pass=0 fail=0
for t in $targets; do
	bin=$top_builddir/tests/fuzz/libfuzzer_$t
	seed=$top_srcdir/tests/fuzz/corpus/$t
	corpus=$OUT/corpus-$t
	art=$OUT/artifacts-$t
	rm -rf "$corpus" && mkdir -p "$corpus" "$art"
	[ -d "$seed" ] && cp -R "$seed/." "$corpus/"
	before=$(find "$corpus" -type f | wc -l)
	start=$(date +%s.%N)
	if [ -x "$bin" ]; then
		"$bin" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$art/" "$corpus" >"$OUT/$t.log" 2>&1
		rc=$?
	else
		echo "not built: $bin" >"$OUT/$t.log"
		rc=127
	fi
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	execs=$(awk '/^stat::number_of_executed_units/ { print $2 }' "$OUT/$t.log")
	ft=$(grep -oE 'ft: [0-9]+' "$OUT/$t.log" | tail -n 1 | cut -d' ' -f2)
	after=$(find "$corpus" -type f | wc -l)
	rate=$(awk -v e="${execs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? e / s : e) }')
	if [ $rc -eq 0 ] && [ "${execs:-0}" -ge "$RUNS" ]; then
		result=ok
		pass=$((pass + 1))
	else
		result="FAILED (exit $rc; see $OUT/$t.log and $art)"
		fail=$((fail + 1))
	fi
	printf '%-16s %12s %8s %10s %8s %8s %6s  %s\n' "$t" "${execs:-?}" "$secs" "$rate" \
		"$before" "$after" "${ft:-?}" "$result"
	if [ "${FUZZ_MERGE:-0}" = 1 ] && [ $rc -eq 0 ] && [ -d "$seed" ]; then
		"$bin" -merge=1 "$seed" "$corpus" >"$OUT/$t.merge.log" 2>&1 ||
			echo "  $t: merging into $seed failed (see $OUT/$t.merge.log)"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
