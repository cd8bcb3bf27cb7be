#!/bin/bash
# run.sh - install what is missing, build, and run every test: the unit,
# rule, scanner, protocol (miltertest) and end-to-end (Postfix) tests of
# `make check`, then the unit tests again under ASan+UBSan in a separate
# build. The last line is "N passed, N failed, N skipped"; the exit status
# is non-zero when anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
jobs=$(nproc 2>/dev/null || echo 2)
log=$(mktemp -d "${TMPDIR:-/tmp}/exfil-run.XXXXXX")
trap 'rm -rf "$log"' EXIT

say() { printf '== %s\n' "$*"; }

say "packages"
contrib/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

say "build"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt configure ]; then
	autoreconf -fi >"$log/autoreconf" 2>&1 ||
		{ cat "$log/autoreconf"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -f Makefile ] || [ configure -nt config.status ]; then
	./configure -q >"$log/configure" 2>&1 ||
		{ cat "$log/configure"; echo "0 passed, 1 failed"; exit 1; }
fi
make -j"$jobs" >"$log/make" 2>&1 ||
	{ tail -40 "$log/make"; echo "0 passed, 1 failed"; exit 1; }

pass=0 fail=0 skip=0
# add the totals of an automake test-suite.log
count() {
	local f=$1 p s x e xp
	p=$(sed -n 's/^# PASS: *//p' "$f" | head -1)
	s=$(sed -n 's/^# SKIP: *//p' "$f" | head -1)
	x=$(sed -n 's/^# FAIL: *//p' "$f" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$f" | head -1)
	xp=$(sed -n 's/^# XPASS: *//p' "$f" | head -1)
	pass=$((pass + ${p:-0}))
	skip=$((skip + ${s:-0}))
	fail=$((fail + ${x:-0} + ${e:-0} + ${xp:-0}))
}
# show what failed, from the per-test logs
failures() {
	grep -l -E '^(FAIL|ERROR|XPASS)' "$@" 2>/dev/null | while read -r t; do
		echo "--- ${t%.trs}.log"
		grep -E '^(not ok|Bail out|#)' "${t%.trs}.log" | head -30
	done
}

say "make check"
make -j"$jobs" check >"$log/check" 2>&1
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' "$log/check" |
	grep -v '^PASS' | head -50
if [ -f test-suite.log ]; then
	count test-suite.log
	failures $(find tests -name '*.trs')
else
	tail -40 "$log/check"
	fail=$((fail + 1))
fi

say "unit tests under ASan+UBSan"
san=$log/asan
mkdir -p "$san"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -co --exclude-standard -z |
		(cd "$top" && tar --null -cf - -T -) | tar -xf - -C "$san"
else
	cp -a "$top"/. "$san"/
fi
(
	cd "$san" || exit 1
	[ -f Makefile ] && make -s distclean >/dev/null 2>&1
	{ autoreconf -fi && ./configure -q --enable-sanitizers &&
		make -j"$jobs"; } >"$log/asan-build" 2>&1 ||
		{ tail -30 "$log/asan-build"; exit 1; }
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -j"$jobs" check TESTS="$(make -s print-sanitizer-tests)" \
		>"$log/asan-check" 2>&1
	grep -E '^(FAIL|ERROR|XPASS):' "$log/asan-check" | head -20
	exit 0
)
if [ -f "$san/test-suite.log" ]; then
	count "$san/test-suite.log"
	(cd "$san" && failures $(find tests -name '*.trs'))
else
	echo "sanitizer build failed"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
