#!/bin/bash
# t-corpora.sh - every file of ../shared/corpora/mime (other projects' real
# and malformed MIME test messages) goes through exfil-scan: no crash, no
# sanitizer report, no exit status 2, one JSON line each, no hang.
# Skips when ../shared is absent (a user's clone).
. "$(dirname "$0")/../tap.sh"
corpus=$SHARED/corpora/mime
if [ ! -d "$corpus" ]; then
	echo "1..0 # SKIP $corpus not present (only in the developers' tree)"
	exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
limit=${CORPUS_TIMEOUT:-20}

# one file alone: 0 good, else the reason printed as a TAP comment
one() {
	timeout "$limit" "$EXFIL_SCAN" -r "$top_srcdir/rules" --json "$1" \
		>"$T/o1" 2>"$T/e1"
	local rc=$?
	if [ $rc -ge 2 ] || [ "$(wc -l <"$T/o1")" -ne 1 ] ||
		grep -q -E 'Sanitizer|runtime error' "$T/e1"; then
		echo "# FAILED ${1#"$corpus"/}: exit $rc; $(head -c 300 "$T/e1" | tr '\n' ' ')"
		return 1
	fi
	return 0
}

for dir in "$corpus"/*/; do
	name=$(basename "$dir")
	find "$dir" -type f -print0 | sort -z >"$T/list"
	total=$(tr -cd '\0' <"$T/list" | wc -c)
	# all files of the folder in one run (fast); file by file only to
	# find the culprit when that run fails
	start=$(date +%s%N)
	mapfile -d '' files <"$T/list"
	timeout $((limit * 10)) "$EXFIL_SCAN" -r "$top_srcdir/rules" \
		--json "${files[@]}" >"$T/out" 2>"$T/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ $rc -lt 2 ] && [ "$(wc -l <"$T/out")" -eq "$total" ] &&
		! grep -q -E 'Sanitizer|runtime error' "$T/err" &&
		python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out"; then
		echo "# $name: $total files in $ms ms"
		ok "$name: $total files scanned without crash, hang or exit 2"
		continue
	fi
	bad=0
	while IFS= read -r -d '' f; do
		one "$f" || bad=$((bad + 1))
	done <"$T/list"
	not_ok "$name: $bad of $total files failed (batch exit $rc)"
done
done_testing
