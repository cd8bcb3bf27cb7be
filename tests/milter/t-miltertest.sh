#!/bin/bash
# t-miltertest.sh - protocol tests: the built exfil-milter with its own
# configuration, driven by miltertest (OpenDKIM's Lua milter client).
# TAP output; skips when miltertest is not installed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
here=$top_srcdir/tests/milter
milter=$top_builddir/milter/exfil-milter

if ! command -v miltertest >/dev/null 2>&1; then
	echo "1..0 # SKIP miltertest not installed (Debian package miltertest)"
	exit 0
fi

H=$(mktemp -d "${TMPDIR:-/tmp}/exfil-mt.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$H/rules" "$H/q" "$H/spool"
cp "$top_srcdir"/rules/*.rules "$H/rules/"
cp "$top_srcdir/tests/milter/test-reject.rules" "$H/rules/zz-test.rules"
cat > "$H/exfil-milter.conf" <<CONF
rules_dir = $H/rules
internal_domains = example.com, .example.com
quarantine_dir = $H/q
spool_dir = $H/spool
override_marker = \\[override:\\s*([^\\]]{3,200})\\]
override_categories = private_key
CONF

n=0
tap() { # tap ok|not_ok description
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

"$milter" -f -c "$H/exfil-milter.conf" -p "unix:$H/milter.sock" \
	2>"$H/milter.log" &
pid=$!
for _ in $(seq 1 100); do
	[ -S "$H/milter.sock" ] && break
	sleep 0.05
done
if [ ! -S "$H/milter.sock" ]; then
	tap not_ok "milter started (log: $(tr '\n' ' ' < "$H/milter.log"))"
	echo "1..$n"
	exit 1
fi
tap ok "milter listens on unix:$H/milter.sock"

run_script() { # run_script t-x.lua: number its ok/not ok lines
	local out rc
	out=$(miltertest -s "$here/$1" -D "sock=unix:$H/milter.sock" \
		-D "libdir=$here" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) tap ok "$1: ${line#ok - }" ;;
		"not ok - "*) tap not_ok "$1: ${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <<< "$out"
	[ $rc -eq 0 ] || tap not_ok "$1: miltertest exit status $rc"
}

run_script t-tag.lua
before=$(find "$H/q" -name '*.eml' | wc -l)
run_script t-quarantine.lua
after=$(find "$H/q" -name '*.eml' | wc -l)
if [ $((after - before)) -eq 2 ]; then
	tap ok "quarantine: two messages stored"
else
	tap not_ok "quarantine: two messages stored (found $((after - before)))"
fi
bad=$(find "$H/q" -type f ! -perm 0600 | wc -l)
if [ "$bad" -eq 0 ] && [ "$after" -gt 0 ]; then
	tap ok "quarantine: files are mode 0600"
else
	tap not_ok "quarantine: files are mode 0600 ($bad are not)"
fi
f=$(grep -rl --include='*.eml' 'BEGIN OPENSSH PRIVATE KEY' "$H/q" 2>/dev/null | head -1)
if [ -n "$f" ] && grep -q '^Subject: the key' "$f" &&
	grep -q '^b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW' "$f"; then
	tap ok "quarantine: stored message has its headers and body"
else
	tap not_ok "quarantine: stored message has its headers and body"
fi
j=${f%.eml}.json
if [ -f "$j" ] && grep -q '"category":"private_key"' "$j" &&
	! grep -q 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ' "$j"; then
	tap ok "quarantine: metadata names the category, not the key"
else
	tap not_ok "quarantine: metadata names the category, not the key"
fi
run_script t-reject.lua
run_script t-extract.lua
if grep -qs "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status; then
	tap ok "extraction: the workers' helper runs beside the daemon"
else
	tap not_ok "extraction: the workers' helper runs beside the daemon"
fi
if grep -q 'action=reject' "$H/milter.log" &&
	! grep -q 'EXFIL-TEST-REJECT-123456' "$H/milter.log"; then
	tap ok "log: reject logged without the matched value"
else
	tap not_ok "log: reject logged without the matched value"
fi
# every message left no spool file behind
if [ -z "$(ls -A "$H/spool")" ]; then
	tap ok "spool folder is empty"
else
	tap not_ok "spool folder is empty"
fi
echo "1..$n"
