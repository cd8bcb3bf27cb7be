#!/bin/bash
# t-test-rules.sh - every shipped rule's examples match and its counters do
# not (exfil-scan --test-rules), and a broken rule file is reported with
# file:line:col.
. "$(dirname "$0")/../tap.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

out=$("$EXFIL_SCAN" --test-rules "$top_srcdir/rules" 2>"$T/err")
rc=$?
echo "$out" | sed 's/^/# /'
check "shipped packs: every example matches, no counter does" [ $rc -eq 0 ]
check "shipped packs: summary says 0 failed" grep -q ' 0 failed$' <<<"$out"
check "shipped packs: no rule without an example" [ ! -s "$T/err" ]

# a counter that matches and an example that does not: both reported
mkdir "$T/bad"
cat > "$T/bad/x.rules" <<'R'
rule too_wide
  category   secret_token
  pattern    /tok_[a-z]+/
  example    "TOK_UPPER"
  counter    "tok_lower"
end
R
out=$("$EXFIL_SCAN" --test-rules "$T/bad")
rc=$?
check "broken examples: exit 1" [ $rc -eq 1 ]
check "broken examples: example reported" grep -q 'x.rules:1: rule too_wide: example 1 does not match' <<<"$out"
check "broken examples: counter reported" grep -q 'x.rules:1: rule too_wide: counter 1 matches' <<<"$out"

# promise DIR WHAT MESSAGE SED: the rules of $T/DIR break a promise, and
# --test-rules fails with MESSAGE; once SED puts the rule right, it passes
promise() {
	local out rc
	out=$("$EXFIL_SCAN" --test-rules "$T/$1")
	rc=$?
	check "$2: exit 1" [ $rc -eq 1 ]
	check "$2: reported" grep -qF "$3" <<<"$out"
	sed -i "$4" "$T/$1"/*.rules
	"$EXFIL_SCAN" --test-rules "$T/$1" >/dev/null
	check "$2: put right, passes" [ $? -eq 0 ]
}

# a window too narrow for a match that starts before its literal: the
# naive path finds it, the fast path not; reported, and not with window 4
mkdir "$T/win"
cat > "$T/win/w.rules" <<'R'
rule narrow
  category   secret_token
  pattern    /\b[a-z0-9]{3}\dQ~[a-z0-9]{8}\b/
  literals   Q~ window 0
  example    "abc1Q~defghijk"
end
R
promise win "narrow window" \
	'w.rules:1: rule narrow: example 1: the fast path finds other matches than the naive one' \
	's/window 0/window 4/'

# "after @ within N" too short for the example's @: reported; not with 12
mkdir "$T/af"
cat > "$T/af/a.rules" <<'R'
rule cred_url
  category   secret_token
  pattern    /https:\/\/\w+:(\w+)@\w+/ after @ within 5
  literals   :// window 5
  example    "see https://user:pw1@host"
end
R
promise af "after @ too short" \
	'a.rules:1: rule cred_url: example 1: the fast path finds other matches than the naive one' \
	's/within 5/within 12/'

# "exact" literals whose pattern matches them in any case: the example
# with its literal in lower case is found naively, not from the literal;
# reported, and not once the pattern keeps the case
mkdir "$T/ex"
cat > "$T/ex/e.rules" <<'R'
rule shouty
  category   classification_marking
  pattern    /(?i)\bTOP-SECRET\b/
  literals   TOP-SECRET exact
  example    "marked TOP-SECRET here"
end
R
promise ex "exact literals, caseless pattern" \
	'e.rules:1: rule shouty: example 1, its literals in the other case: the fast path finds other matches than the naive one (the literals are not exact)' \
	's/(?i)//'
# says DESC FILE TEXT PATTERN: TEXT (printf's format) as FILE, then
# exfil-scan --test-rules on its folder prints a line matching PATTERN
# (what it printed left in err)
says() {
	printf "$3" >"$2"
	err=$("$EXFIL_SCAN" --test-rules "$(dirname "$2")" 2>&1)
	check "$1" grep -q "$4" <<<"$err"
}
says "a word after the literals' window: file:line:col" "$T/ex/e.rules" 'rule r1\n  category x\n  pattern /a/\n  literals a window 3 b\nend\n' "e.rules:4:23: unexpected 'b'"
says "exact without literals: file:line:col" "$T/ex/e.rules" 'rule r1\n  category x\n  pattern /a/\n  literals exact\nend\n' "e.rules:4:12: literals needs words before 'exact'"

# syntax errors: one line with file:line:col, exit 2
mkdir "$T/syn"
says "bad regex: exit 2 and file:line:col" "$T/syn/s.rules" 'rule r1\n  category x\n  pattern /a(b/\nend\n' "s.rules:3:1[0-9]: bad regex"
check "bad regex: one line" [ "$(wc -l <<<"$err")" -eq 1 ]
says "unknown keyword: file:line:col" "$T/syn/s.rules" 'rule r1\n  category x\n  pattern /a/\n  frobnicate yes\nend\n' "s.rules:4:3: unknown rule keyword 'frobnicate'"
says "unknown action: file:line:col" "$T/syn/s.rules" 'policy\n  when category x then explode\nend\n' "s.rules:2:24: unknown action 'explode'"
says "policy naming an unknown rule: file:line:col" "$T/syn/s.rules" 'rule a\n  category x\n  pattern /a/\n  example "a"\nend\npolicy\n  when rule b then reject\nend\n' "s.rules:7:13: policy names unknown rule 'b'"
says "policy statement without condition: an error" "$T/syn/s.rules" 'policy\n  when then reject\nend\n' "s.rules:2:7: 'when' needs a condition"
printf 'rule a\n  category x\n  pattern /a/\n  example "a"\nend\npolicy\n  when category payment_cards then tag\nend\n' > "$T/syn/s.rules"
"$EXFIL_SCAN" --test-rules "$T/syn" >/dev/null 2>"$T/warn"
check "misspelt category: a warning naming it" grep -q "s.rules:7: policy names category 'payment_cards' that no rule has" "$T/warn"
rm -f "$T/syn/s.rules"
err=$("$EXFIL_SCAN" --test-rules "$T/syn" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "syn: no \*.rules files" <<<"$err"; then
	ok "no rule files: exit 2 with the folder named"
else
	not_ok "no rule files: exit 2 with the folder named"
fi
done_testing
