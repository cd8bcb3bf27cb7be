#!/bin/bash
# t-golden.sh - golden files: each tests/data/mime/NAME.eml, dumped with
# exfil-scan --dump (every text segment as the rules see it, with its
# provenance and scope), must equal NAME.ref. Line ends are compared
# without CR. The .ref files were written by hand from the inputs.
. "$(dirname "$0")/../tap.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for eml in "$top_srcdir"/tests/data/mime/*.eml; do
	name=$(basename "$eml" .eml)
	ref=${eml%.eml}.ref
	"$EXFIL_SCAN" -r "$top_srcdir/rules" --dump "$eml" 2>"$T/err" |
		tr -d '\r' >"$T/out"
	if [ ! -f "$ref" ]; then
		not_ok "$name: no $name.ref"
	elif cmp -s "$T/out" "$ref"; then
		ok "$name: segments as expected"
	else
		not_ok "$name: segments differ from $name.ref"
		diff -u "$ref" "$T/out" | sed 's/^/# /'
	fi
done
done_testing
