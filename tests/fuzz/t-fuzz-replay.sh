#!/bin/bash
# t-fuzz-replay.sh - replay the fuzz seeds (tests/fuzz/corpora/<target>/,
# and ../shared/corpora/mime when present) through each fuzz target built as
# a plain program; in the sanitizer build this is the ASan+UBSan run.
. "$(dirname "$0")/../tap.sh"
for target in mime base64 qp uu header html charset extract quarantine \
	prefilter scan; do
	prog=$top_builddir/tests/fuzz/${target}_replay
	dirs=("$top_srcdir/tests/fuzz/corpora/$target")
	[ "$target" = mime ] && [ -d "$SHARED/corpora/mime" ] &&
		dirs+=("$SHARED/corpora/mime")
	out=$("$prog" "${dirs[@]}" 2>&1)
	rc=$?
	echo "$out" | grep -v '^1\.\.' | sed 's/^/# /'
	if [ $rc -eq 0 ] && ! grep -q -E 'Sanitizer|runtime error' <<<"$out"; then
		ok "$target: seeds replayed without crash or sanitizer report"
	else
		not_ok "$target: replay failed (exit $rc)"
	fi
done
done_testing
