# tap.sh - TAP helpers for the shell tests (sourced).
#   ok "what" | not_ok "what" | check CMD... -- "what" | skip "what" "why"
#   done_testing   prints the plan; the tests run under automake's TAP driver
# Also sets top_srcdir, top_builddir and the paths of the built programs.
top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
EXFIL_SCAN=$top_builddir/milter/exfil-scan
EXFIL_MILTER=$top_builddir/milter/exfil-milter
SHARED=${SHARED:-$top_srcdir/../shared}
tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}
# check "what" CMD...: ok when CMD succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
done_testing() {
	echo "1..$tap_n"
}
# a Luhn-valid number: luhn_number PREFIX LENGTH (random middle digits)
luhn_number() {
	local n=$1 len=$2 i sum=0 d double=1
	while [ ${#n} -lt $((len - 1)) ]; do n=$n$((RANDOM % 10)); done
	for ((i = ${#n} - 1; i >= 0; i--)); do
		d=${n:i:1}
		if [ $double -eq 1 ]; then
			d=$((d * 2))
			[ $d -gt 9 ] && d=$((d - 9))
		fi
		sum=$((sum + d))
		double=$((1 - double))
	done
	echo "$n$(((10 - sum % 10) % 10))"
}
# json_get FILE EXPR: evaluate a Python expression on the JSON line in FILE
# (variable j); prints the result
json_get() {
	python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$1" "$2"
}
