#!/bin/bash
# bench-scan.sh - scan-stage throughput, run on demand (never in make
# check): the shipped rules over a generated mail-like corpus, with the
# prefilter, naively, and pcre2grep -f over the same patterns and the same
# normalised text, side by side in one run. Reports medians and ratios.
#
#   tests/bench/bench-scan.sh [SIZE_MB [ROUNDS [RULESDIR]]]
#
# Needs ../shared/bench/gen_corpus.py (the developers' tree) or CORPUS=FILE,
# and pcre2grep (Debian package pcre2-utils; installed when missing).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
size=${1:-50}
rounds=${2:-5}
rules=${3:-$top/rules}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

command -v pcre2grep >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pcre2-utils >/dev/null
make -s -C "$top" tests/bench/scan-bench
corpus=${CORPUS:-}
if [ -z "$corpus" ]; then
	gen=$top/../shared/bench/gen_corpus.py
	[ -f "$gen" ] || { echo "no $gen: set CORPUS=FILE" >&2; exit 2; }
	python3 "$gen" "$T/corpus.txt" "$size" >/dev/null
	corpus=$T/corpus.txt
fi
echo "== exfil-milter scan stage ($rounds rounds, alternating)"
"$top/tests/bench/scan-bench" "$rules" "$corpus" "$rounds" "$T/patterns" \
	"$T/norm.txt" | tee "$T/out"
fast=$(sed -n 's/^prefilter *\([0-9.]*\) MB\/s.*/\1/p' "$T/out")
mb=$(stat -c %s "$T/norm.txt")
echo "== pcre2grep -u -c -f (the same $(wc -l <"$T/patterns") patterns, the same text)"
# UTF mode, as the rules are compiled; exit status 2 is an error
pcre2grep -u -c -f "$T/patterns" "$T/norm.txt" >/dev/null 2>"$T/grep.err"
[ $? -le 1 ] || { cat "$T/grep.err" >&2; exit 2; }
times=()
for _ in $(seq 1 "$rounds"); do
	s=$(date +%s%N)
	pcre2grep -u -c -f "$T/patterns" "$T/norm.txt" >/dev/null || true
	times+=($((($(date +%s%N) - s) / 1000)))
done
med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
grep_mbs=$(awk -v b="$mb" -v us="$med" 'BEGIN { printf "%.1f", b / us }')
echo "pcre2grep  $grep_mbs MB/s (median)"
awk -v f="$fast" -v g="$grep_mbs" 'BEGIN { printf "prefilter / pcre2grep = %.1f x\n", f / g }'
