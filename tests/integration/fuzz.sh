#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Short libFuzzer runs (with ASan and UBSan) of every fuzz target that this
# build made (configure finds clang with -fsanitize=fuzzer), each for
# ${FUZZ_SECONDS:-15} seconds, starting from a copy of its checked-in corpus
# so that the run never grows the corpus in the source tree. A crash, leak,
# sanitizer report or timeout fails the target; its reproducer is left in
# the temporary directory, whose path is printed (KEEP_TMP=1 keeps it).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The targets this build has (Makefile.am exports FUZZ_TARGETS).
TARGETS=${FUZZ_TARGETS:-accept config procfs}
SECS=${FUZZ_SECONDS:-15}
case $SECS in '' | *[!0-9]*) SECS=15 ;; esac

built=""
for t in $TARGETS; do
	[ -x "$top_builddir/tests/fuzz/libfuzzer_$t" ] && built="$built $t"
done
[ -n "$built" ] || tap_skip_all "libFuzzer targets not built (install clang and re-run configure)"

for t in $TARGETS; do
	bin=$top_builddir/tests/fuzz/libfuzzer_$t
	desc="libfuzzer_$t runs ${SECS} s without a crash, leak or sanitizer report"
	if [ ! -x "$bin" ]; then
		tap_fail "$desc" "not built while other targets were: $bin"
		continue
	fi
	corpus=$TEST_TMP/corpus-$t
	artifacts=$TEST_TMP/artifacts-$t
	mkdir -p "$corpus" "$artifacts"
	cp -R "$top_srcdir/tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null
	timeout $((SECS + 120)) "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$TEST_TMP/$t.log" 2>&1
	rc=$?
	stats=$(grep -E '^stat::number_of_executed_units' "$TEST_TMP/$t.log" | awk '{ print $2 }')
	if [ $rc -eq 0 ]; then
		tap_ok "$desc (${stats:-?} executions)"
	else
		KEEP_TMP=1
		tap_fail "$desc" "exit status $rc; artifacts in $artifacts:" "$(ls "$artifacts")" "end of its log:"
		grep -v '^#[0-9]' "$TEST_TMP/$t.log" | tail -n 40 | sed 's/^/#   /'
	fi
done

tap_done
