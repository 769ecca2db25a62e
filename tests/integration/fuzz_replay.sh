#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Every input of the checked-in fuzz corpus still goes through its parser
# without a crash: each replay driver (built by make check with the normal
# compiler) is run over its corpus directory. One check per target: it
# exits 0 and replays every file of the corpus, none "not ok".
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The targets this build has (Makefile.am exports FUZZ_TARGETS).
TARGETS=${FUZZ_TARGETS:-accept config procfs}

for t in $TARGETS; do
	bin=$top_builddir/tests/fuzz/replay_$t
	corpus=$top_srcdir/tests/fuzz/corpus/$t
	desc="replay_$t runs the whole $t corpus without a crash"
	if [ ! -x "$bin" ]; then
		tap_fail "$desc" "not built: $bin (make check builds it)"
		continue
	fi
	nfiles=$(find "$corpus" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
	if [ "$nfiles" -eq 0 ]; then
		tap_fail "$desc" "empty or missing corpus: $corpus"
		continue
	fi
	timeout 120 "$bin" "$corpus" >"$TEST_TMP/$t.out" 2>&1
	rc=$?
	nok=$(grep -c '^ok ' "$TEST_TMP/$t.out")
	if [ $rc -eq 0 ] && [ "$nok" -eq "$nfiles" ] && ! grep -q '^not ok' "$TEST_TMP/$t.out"; then
		tap_ok "$desc ($nfiles inputs)"
	else
		tap_fail "$desc" "exit status $rc; $nok of $nfiles inputs replayed ok; output:"
		grep -v '^ok ' "$TEST_TMP/$t.out" | tail -n 30 | sed 's/^/#   /'
	fi
done

tap_done
