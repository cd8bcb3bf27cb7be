#!/bin/bash
#
# NAME
#	t-docs.sh - the man pages and samples say what the code does
# SYNOPSIS
#	[top_srcdir=DIR] [top_builddir=DIR] tests/docs/t-docs.sh
# DESCRIPTION
#	Configuration: every key that "exfil-milter -n -c /dev/null" prints
#	(the keyword table of milter/config.c, all at their defaults) is
#	documented in man/exfil-milter.conf.5 as ".TP" ".B key" with the same
#	default, and appears once, in the same order, as a "#key = default"
#	line of contrib/exfil-milter.conf.sample; neither documents a key that
#	does not exist, and the sample with every key uncommented loads and
#	gives the defaults. Sizes may be written 2M for 2097152, and paths
#	under /etc and /var stand for the build's sysconfdir and localstatedir.
#
#	Man pages: every man/*.[1-8] renders without a warning
#	(groff -man -ww, man --warnings; skipped when they are missing).
#
#	Rules: every rule keyword, policy condition, flag, scope word,
#	validator, pattern flag and string escape that milter/rules.c accepts
#	is documented in man/exfil-rules.5; every rule keyword and condition
#	the page lists is accepted by "exfil-scan --test-rules" in a small
#	rule file (an unknown keyword is refused, so the check has teeth);
#	the rule files of its EXAMPLES load and pass --test-rules and use
#	every keyword; its default policy is rules/policy.rules and the
#	built-in one of rules.c; its CATEGORIES cover the shipped packs.
#
#	Output is TAP for automake's tap-driver: exit status 0 when every
#	check passed, 1 when one failed, 2 on a setup error (Bail out!).
#	Only bash, grep, sed and awk (and the built programs) are used.
# ENVIRONMENT
#	top_srcdir, top_builddir (default: the tree holding this script).

set -u

case ${BASH_SOURCE[0]} in
*/*) here=${BASH_SOURCE[0]%/*} ;;
*) here=. ;;
esac
here=$(cd -- "$here" && pwd)
top_srcdir=${top_srcdir:-$(cd -- "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}

MILTER=$top_builddir/milter/exfil-milter
SCAN=$top_builddir/milter/exfil-scan
CONF5=$top_srcdir/man/exfil-milter.conf.5
RULES5=$top_srcdir/man/exfil-rules.5
SAMPLE=$top_srcdir/contrib/exfil-milter.conf.sample
RULES_C=$top_srcdir/milter/rules.c
VALIDATORS_C=$top_srcdir/milter/validators.c
POLICY_RULES=$top_srcdir/rules/policy.rules

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
# check "what" CMD...: ok when CMD succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
diag() {
	[ -n "$*" ] && printf '%s\n' "$*" | sed 's/^/# /'
	return 0
}
bail_out() {
	echo "Bail out! $*"
	exit 2
}
# minus "A..." "B...": the words of A that are not in B
minus() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		nb = split(b, B); for (i = 1; i <= nb; i++) in_b[B[i]] = 1
		na = split(a, A)
		for (i = 1; i <= na; i++) if (!(A[i] in in_b)) printf "%s ", A[i]
	}'
}
# uniq_lines: input lines, each once, in order
uniq_lines() {
	awk '!seen[$0]++'
}

for f in "$MILTER" "$SCAN"; do
	[ -x "$f" ] || bail_out "$f not built (run make first)"
done
for f in "$CONF5" "$RULES5" "$SAMPLE" "$RULES_C" "$VALIDATORS_C" \
    "$POLICY_RULES"; do
	[ -r "$f" ] || bail_out "$f missing"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/t-docs.XXXXXX") || bail_out "mktemp failed"
trap 'rm -rf "$T"' EXIT

# unroff: roff text as it reads (the escapes these pages use)
unroff() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(dq/"/g' \
	    -e "s/\\\\(aq/'/g" -e 's/\\(mu/x/g' -e 's/\\&//g' -e 's/\\e/\\/g'
}

# =====================================================================
# 1. configuration keys
# =====================================================================

# The build's sysconfdir, from the default configuration path that
# "exfil-milter -h" prints; its localstatedir from the Makefile.
sysconfdir=$("$MILTER" -h 2>&1 |
    sed -n 's|.*(default \(/.*\)/exfil-milter/exfil-milter\.conf).*|\1|p')
localstatedir=
if [ -r "$top_builddir/Makefile" ]; then
	prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
	localstatedir=$(sed -n 's/^localstatedir = //p' \
	    "$top_builddir/Makefile")
	localstatedir=${localstatedir//\$\{prefix\}/$prefix}
	localstatedir=${localstatedir//\$(prefix)/$prefix}
fi
if [ -z "$localstatedir" ] && [ -n "$sysconfdir" ]; then
	localstatedir=${sysconfdir%/etc}/var
	[ "$sysconfdir" = /etc ] && localstatedir=/var
fi
diag "build: sysconfdir=${sysconfdir:-?} localstatedir=${localstatedir:-?}"

# same KEY VALUE_FROM_-n DOCUMENTED_VALUE: do they mean the same?
same() {
	local want=$2 doc=$3 num suffix mult=1 from to
	[ "$doc" = "$want" ] && return 0
	# a size with a suffix, against -n's bytes
	if [[ $want =~ ^[0-9]+$ ]] && [[ $doc =~ ^([0-9]+)([KkMmGg]?)[Bb]?$ ]]; then
		num=${BASH_REMATCH[1]}
		suffix=${BASH_REMATCH[2]}
		case $suffix in
		[Kk]) mult=1024 ;;
		[Mm]) mult=$((1024 * 1024)) ;;
		[Gg]) mult=$((1024 * 1024 * 1024)) ;;
		esac
		[ $((10#$num * mult)) = "$want" ] && return 0
	fi
	# /etc and /var stand for the build's installation directories
	for pair in "/etc=$sysconfdir" "/var=$localstatedir"; do
		from=${pair%%=*}
		to=${pair#*=}
		[ -n "$to" ] || continue
		case $doc in
		"$from"/*) [ "$to${doc#"$from"}" = "$want" ] && return 0 ;;
		esac
	done
	return 1
}

# key<TAB>value of every "key = value" line of a file, and with "any",
# of every "#key = value" line too (blanks around the value removed)
key_lines() {
	awk -v any="${2:-}" '
	/^#?[a-z0-9_]+[ \t]*=/ {
		line = $0
		if (sub(/^#/, "", line) && any != "any")
			next
		k = line; sub(/[ \t]*=.*/, "", k)
		v = line; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
		print k "\t" v
	}' "$1"
}

rules_dir_default=
"$MILTER" -n -c /dev/null >"$T/n.out" 2>"$T/n.err"
rc=$?
if [ $rc -eq 0 ]; then
	ok "exfil-milter -n -c /dev/null prints the configuration"
else
	# Without an installed rules_dir the check fails; take its default
	# from the message and go on with the tree's rules.
	rules_dir_default=$(sed -n \
	    's/.*\[error\]: \(\/[^:]*\): \(No such file or directory\|no \*\.rules files\)$/\1/p' \
	    "$T/n.err" | sed -n 1p)
	if [ -n "$rules_dir_default" ]; then
		skip "exfil-milter -n -c /dev/null prints the configuration" \
		    "rules_dir $rules_dir_default not installed; checked with rules_dir = \$top_srcdir/rules"
		printf 'rules_dir = %s\n' "$top_srcdir/rules" >"$T/srcrules.conf"
		"$MILTER" -n -c "$T/srcrules.conf" >"$T/n.out" 2>"$T/n.err" ||
		    bail_out "exfil-milter -n fails: $(sed -n 1p "$T/n.err")"
	else
		not_ok "exfil-milter -n -c /dev/null prints the configuration"
		diag "exit $rc: $(cat "$T/n.err")"
		bail_out "no configuration to compare with"
	fi
fi
key_lines "$T/n.out" >"$T/keys"
if [ -n "$rules_dir_default" ]; then
	awk -F '\t' -v d="$rules_dir_default" \
	    'BEGIN { OFS = "\t" } $1 == "rules_dir" { $2 = d } { print }' \
	    "$T/keys" >"$T/keys.new" && cat "$T/keys.new" >"$T/keys"
fi
nkeys=$(grep -c '' "$T/keys")
check "exfil-milter -n printed the keyword table ($nkeys keys)" [ "$nkeys" -ge 10 ]

# key<TAB>default of every ".TP" ".B key" "(TYPE; default: ...)" entry
# under PARAMETERS of exfil-milter.conf(5)
awk '
/^\.SH / { insec = ($0 ~ /^\.SH PARAMETERS/); next }
!insec { prev = $0; next }
prev == ".TP" && /^\.B [a-z0-9_]+$/ {
	key = $2
	getline l1
	if (l1 ~ /; default: empty\)$/)
		val = ""
	else if (l1 ~ /; default:$/) {
		getline l2
		val = l2
		sub(/^\.BR? /, "", val)
		sub(/ \)$/, "", val)
		gsub(/^"|"$/, "", val)
	} else
		val = "(no default given: " l1 ")"
	print key "\t" val
	prev = ""
	next
}
{ prev = $0 }' "$CONF5" | unroff >"$T/man.keys"

# key<TAB>value of every "key = value" or "#key = value" line of the sample
key_lines "$SAMPLE" any >"$T/sample.keys"

while IFS=$'\t' read -r key want; do
	doc=$(awk -F '\t' -v k="$key" '$1 == k { print $2; exit }' "$T/man.keys")
	if ! grep -q "^$key"$'\t' "$T/man.keys"; then
		not_ok "exfil-milter.conf(5) documents $key"
	elif same "$key" "$want" "$doc"; then
		ok "exfil-milter.conf(5) documents $key, default '$doc'"
	else
		not_ok "exfil-milter.conf(5) documents $key, default '$doc'"
		diag "exfil-milter -n prints: $key = $want"
	fi
	cnt=$(grep -c "^$key"$'\t' "$T/sample.keys")
	doc=$(awk -F '\t' -v k="$key" '$1 == k { print $2; exit }' \
	    "$T/sample.keys")
	if [ "$cnt" -ne 1 ]; then
		not_ok "exfil-milter.conf.sample has one line for $key"
		diag "found $cnt"
	elif same "$key" "$want" "$doc"; then
		ok "exfil-milter.conf.sample has $key = $doc"
	else
		not_ok "exfil-milter.conf.sample has $key = $doc"
		diag "exfil-milter -n prints: $key = $want"
	fi
done <"$T/keys"

names() {
	awk -F '\t' '{ print $1 }' "$1"
}
extra=$(minus "$(names "$T/man.keys")" "$(names "$T/keys")")
check "exfil-milter.conf(5) documents no key the daemon does not know" \
    [ -z "$extra" ]
diag "${extra:+unknown: $extra}"
extra=$(minus "$(names "$T/sample.keys")" "$(names "$T/keys")")
check "exfil-milter.conf.sample has no key the daemon does not know" \
    [ -z "$extra" ]
diag "${extra:+unknown: $extra}"
check "exfil-milter.conf.sample lists the keys in the table's order" \
    [ "$(names "$T/sample.keys")" = "$(names "$T/keys")" ]
check "exfil-milter.conf(5) lists the keys in the table's order" \
    [ "$(names "$T/man.keys")" = "$(names "$T/keys")" ]

# The sample with every key uncommented is a valid file with the defaults
# (rules_dir pointed at the tree's rules, as the sample's need not exist).
{
	sed -n 's/^#\([a-z0-9_]\{1,\}[[:blank:]]*=\)/\1/p' "$SAMPLE"
	printf 'rules_dir = %s\n' "$top_srcdir/rules"
} >"$T/sample.conf"
if "$MILTER" -n -c "$T/sample.conf" >"$T/s.out" 2>"$T/s.err"; then
	bad=
	while IFS=$'\t' read -r key got; do
		[ "$key" = rules_dir ] && continue
		want=$(awk -F '\t' -v k="$key" '$1 == k { print $2; exit }' \
		    "$T/keys")
		same "$key" "$want" "$got" || bad="$bad $key=$got (want $want)"
	done < <(key_lines "$T/s.out")
	check "the sample, uncommented, loads and gives the defaults" \
	    [ -z "$bad" ]
	diag "$bad"
else
	not_ok "the sample, uncommented, loads and gives the defaults"
	diag "$(cat "$T/s.err")"
fi

# =====================================================================
# 2. man pages render without warnings
# =====================================================================

pages=("$top_srcdir"/man/*.[1-8])
for page in "${pages[@]}"; do
	name=${page##*/}
	th=$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\).*/\1 \2/p' "$page" | unroff)
	upper=${name%.*}
	upper=${upper^^}
	check "$name: .TH $upper ${name##*.} and a NAME section" \
	    [ "$th" = "$upper ${name##*.}" -a \
	    "$(grep -c '^\.SH NAME' "$page")" = 1 ]
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -man -ww -z "$page" 2>&1)
		rc=$?
		check "$name: groff -man -ww renders it without warnings" \
		    [ $rc -eq 0 -a -z "$out" ]
		diag "$out"
	else
		skip "$name: groff -man -ww renders it without warnings" \
		    "no groff"
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(MANPAGER=cat PAGER=cat MANWIDTH=80 \
		    man --warnings -l "$page" 2>&1 >/dev/null)
		rc=$?
		check "$name: man --warnings renders it without warnings" \
		    [ $rc -eq 0 -a -z "$out" ]
		diag "$out"
	else
		skip "$name: man --warnings renders it without warnings" \
		    "no man"
	fi
done

# =====================================================================
# 3. rule keywords
# =====================================================================

# the words of a function of rules.c that match a pattern
# code_words FUNCTION EXTENDED-REGEX SED-EXPRESSION
code_words() {
	awk -v f="$1" '$0 ~ "^" f "\\(" { on = 1 } on { print } on && /^}/ { on = 0 }' \
	    "$RULES_C" | grep -oE "$2" | sed -e "$3" | uniq_lines
}
code_kw=$(code_words rule_line 'tok_is\(kw, "[a-z_]+"\)' \
    's/.*"\(.*\)".*/\1/')
# the conditions and flags of a when or allow statement (policy_line,
# or policy_cond where it parses one condition)
code_cond=$(code_words 'policy_(line|cond)' 'tok_is\(&?c, "[a-z_]+"\)' \
    's/.*"\(.*\)".*/\1/' | grep -vx 'then')
code_flag=$(code_words 'policy_(line|cond)' 'tok_is\(&?t, "[a-z_]+"\)' \
    's/.*"\(.*\)".*/\1/')
code_scope=$(code_words scope_word '\{"[a-z_]+", SCOPE_' \
    's/.*"\(.*\)".*/\1/')
code_pflag=$(code_words regex_push "case '[a-z]':" "s/case '\(.\)':/\1/")
code_validators=$(grep -oE '\{"[a-z_]+", validate_' "$VALIDATORS_C" |
    sed 's/.*"\(.*\)".*/\1/' | uniq_lines)
for v in code_kw code_cond code_flag code_scope code_pflag code_validators; do
	[ -n "${!v}" ] || bail_out "found no $v in the sources: did they change shape?"
done

# the words of the ".B"/".BI"/".BR" line that follows a ".TP" in a
# section of exfil-rules(5): the first word at the outer level, or every
# word inside .RS/.RE
# man_entries SECTION-REGEX outer|inner
man_entries() {
	awk -v sec="$1" -v which="$2" '
	/^\.S[HS] / { insec = ($0 ~ sec); depth = 0; tp = 0; next }
	!insec { next }
	/^\.RS/ { depth++ }
	/^\.RE/ { depth-- }
	tp && $1 !~ /^\.B[IR]?$/ { tp = 0 }
	tp && which == "outer" && depth == 0 { w = $2; gsub(/"/, "", w); print w }
	tp && which == "inner" && depth > 0 {
		for (i = 2; i <= NF; i++) {
			w = $i; gsub(/[^a-z_]/, "", w)
			if (w != "" && w != "or") print w
		}
	}
	{ tp = ($0 == ".TP") }' "$RULES5" | unroff | uniq_lines
}
man_kw=$(man_entries '^\\.SS Rule keywords' outer)
man_inner=$(man_entries '^\\.SS Rule keywords' inner)
man_cond=$(man_entries '^\\.SS Conditions' outer)
man_cats=$(man_entries '^\\.SH CATEGORIES' outer)
rules5_text=$(unroff <"$RULES5")

for k in $code_kw; do
	check "exfil-rules(5) documents rule keyword '$k'" \
	    grep -qx -- "$k" <<<"$man_kw"
done
for c in $code_cond; do
	check "exfil-rules(5) documents policy condition '$c'" \
	    grep -qx -- "$c" <<<"$man_cond"
done
missing=
for f in $code_flag; do
	grep -q "^\.BR flag \".*\b$f\b" "$RULES5" || missing="$missing $f"
done
check "exfil-rules(5) documents the flags: ${code_flag//$'\n'/ }" [ -z "$missing" ]
diag "${missing:+missing:$missing}"
missing=
for w in $code_scope; do
	grep -qx -- "$w" <<<"$man_inner" || missing="$missing $w"
done
check "exfil-rules(5) documents the scope words: ${code_scope//$'\n'/ }" \
    [ -z "$missing" ]
diag "${missing:+missing:$missing}"
missing=
for w in $code_validators; do
	grep -qx -- "$w" <<<"$man_inner" || missing="$missing $w"
done
check "exfil-rules(5) documents the validators: ${code_validators//$'\n'/ }" \
    [ -z "$missing" ]
diag "${missing:+missing:$missing}"
missing=
for f in $code_pflag; do
	grep -qx "\.B $f" "$RULES5" || missing="$missing $f"
done
check "exfil-rules(5) documents the pattern flags: ${code_pflag//$'\n'/ }" \
    [ -z "$missing" ]
diag "${missing:+missing:$missing}"
code_esc=$(code_words quoted "case '[^']{1,2}':" "s/case '\(.*\)':/\1/")
[ -n "$code_esc" ] || bail_out "found no escapes in quoted() of rules.c"
missing=
for e in $code_esc; do
	[ "$e" = "\\\\" ] && e="\\"
	grep -qF -- "\\$e" <<<"$rules5_text" || missing="$missing \\$e"
done
check "exfil-rules(5) documents the string escapes: ${code_esc//$'\n'/ }" \
    [ -z "$missing" ]
diag "${missing:+missing:$missing}"

# test_rules NAME DIR: "exfil-scan --test-rules DIR" passes, no warning
test_rules() {
	local what=$1 dir=$2 out rc
	out=$("$SCAN" --test-rules "$dir" 2>"$T/tr.err")
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$T/tr.err" ] &&
	    grep -q ' 0 failed$' <<<"$out"; then
		ok "$what"
	else
		not_ok "$what"
		diag "exit $rc: $out"
		diag "$(cat "$T/tr.err")"
		diag "$(cat "$dir"/*.rules)"
	fi
}

# One rule a keyword: a base rule plus the keyword's sample line. The
# base example must still fire with each of them.
declare -A sample=(
	[category]='category   doc_other'
	[pattern]='pattern    /\bsecret-doc-\d+\b/'
	[scope]='scope      subject headers body name attachment all'
	[validate]='validate   luhn'
	[keywords]='keywords   card visa within 20'
	[min_count]='min_count  1'
	[score]='score      7'
	[example]='example    "doc 42\twith a \"quote\", a \\ and \x41"'
	[counter]='counter    "nothing to see here"'
	[enabled]='enabled    no'
	[boost]='boost      card within 20'
	[entropy]='entropy    0.3'
	[allow]='allow      /^0+$/'
	[allow_words]='allow_words 0000 9999'
	[min_confidence]='min_confidence low'
	[max_count]='max_count  5'
	[literals]='literals   card doc'
	[digits]='digits     4'
	[start]='start      <[^A-Za-z0-9_] [cdCD\x80-\xff] through [^;]'
	[mode]='mode       monitor'
)
for k in $man_kw; do
	if [ -z "${sample[$k]+set}" ]; then
		not_ok "rule keyword '$k' (from exfil-rules(5)) is accepted by exfil-scan --test-rules"
		diag "t-docs.sh has no sample line for '$k': add one"
		continue
	fi
	mkdir -p "$T/kw/$k"
	cat >"$T/kw/$k/doc.rules" <<-EOF
	rule doc_$k
	  category   doc_test
	  pattern    /\b(?:doc|card)[ -](\d+)\b/i
	  ${sample[$k]}
	  example    "card 4111111111111111"
	end
	EOF
	test_rules "rule keyword '$k' (from exfil-rules(5)) is accepted by exfil-scan --test-rules" \
	    "$T/kw/$k"
done
mkdir -p "$T/kw-bad"
printf 'rule doc_bad\n  category doc_test\n  pattern /doc/\n  frobnicate yes\nend\n' \
    >"$T/kw-bad/doc.rules"
err=$("$SCAN" --test-rules "$T/kw-bad" 2>&1)
rc=$?
check "an undocumented keyword is refused with file:line:col (exit 2)" \
    [ $rc -eq 2 -a -n "$(grep "doc.rules:4:3: unknown rule keyword 'frobnicate'" <<<"$err")" ]
[ $rc -eq 2 ] || diag "exit $rc: $err"

# As exfil-rules(5) says, the expression ends at the last '/' of the line.
mkdir -p "$T/slash"
cat >"$T/slash/doc.rules" <<'EOF'
rule doc_slash
  category   doc_test
  pattern    /\b\d\d/\d\d\b/
  example    "exp 12/29"
  counter    "exp 1229"
end
EOF
test_rules "a '/' inside a pattern needs no escape (the last '/' ends it)" \
    "$T/slash"

# One policy a condition.
declare -A csample=(
	[category]='category doc_test'
	[rule]='rule doc_rule'
	[count]='count 2'
	[score]='score 5'
	[flag]='flag limit flag malformed flag timeout'
	[confidence]='confidence medium'
	[client]='client external'
	[authenticated]='authenticated no'
	[external_rcpts]='external_rcpts 2'
	[size]='size 1048576'
	[sender_domain]='sender_domain example.com,.example.org'
	[rcpt_domain]='rcpt_domain partner.example'
)
for c in $man_cond; do
	if [ -z "${csample[$c]+set}" ]; then
		not_ok "policy condition '$c' (from exfil-rules(5)) is accepted by exfil-scan --test-rules"
		diag "t-docs.sh has no sample for '$c': add one"
		continue
	fi
	mkdir -p "$T/cond/$c"
	cat >"$T/cond/$c/doc.rules" <<-EOF
	rule doc_rule
	  category   doc_test
	  pattern    /doc/
	  example    "doc"
	end
	policy
	  when ${csample[$c]} then quarantine
	end
	EOF
	test_rules "policy condition '$c' (from exfil-rules(5)) is accepted by exfil-scan --test-rules" \
	    "$T/cond/$c"
done

# The EXAMPLES: the .nf blocks that hold rules or a policy.
mkdir -p "$T/examples"
awk '
/^\.SH / { insec = ($0 ~ /^\.SH EXAMPLES/); next }
!insec { next }
/^\.nf/ { inblock = 1; first = 1; keep = 0; next }
/^\.fi/ { inblock = 0; if (keep) print ""; next }
inblock && first { keep = ($1 == "rule" || $1 == "policy"); first = 0 }
inblock && keep { print }' "$RULES5" | unroff >"$T/examples/examples.rules"
nex=$(grep -c '^rule ' "$T/examples/examples.rules")
check "exfil-rules(5) EXAMPLES hold rules ($nex) and a policy" \
    [ "$nex" -ge 1 -a "$(grep -c '^policy' "$T/examples/examples.rules")" -ge 1 ]
test_rules "exfil-rules(5) EXAMPLES load and pass exfil-scan --test-rules" \
    "$T/examples"
used=$(awk '$1 == "rule" { on = 1; next } $1 == "end" { on = 0 } on { print $1 }' \
    "$T/examples/examples.rules" | uniq_lines)
missing=$(minus "$man_kw" "$used")
check "exfil-rules(5) EXAMPLES use every rule keyword" [ -z "$missing" ]
diag "${missing:+unused: $missing}"

# The default policy: the page, rules/policy.rules and rules.c agree.
awk '
/^\.S[HS] / { insec = ($0 ~ /^\.SS Default policy/); next }
insec && /^\.nf/ { on = 1; next }
insec && /^\.fi/ { on = 0 }
on && $1 == "when" { $1 = $1; print }' "$RULES5" | unroff >"$T/policy.man"
awk '$1 == "when" { $1 = $1; print }' "$POLICY_RULES" >"$T/policy.file"
sed -n 's/^[ \t]*"[ \t]*\(when .*\)\\n"[ \t]*$/\1/p' "$RULES_C" |
    awk '{ $1 = $1; print }' >"$T/policy.builtin"
if [ -s "$T/policy.man" ] &&
    [ "$(cat "$T/policy.man")" = "$(cat "$T/policy.file")" ]; then
	ok "exfil-rules(5) default policy is rules/policy.rules"
else
	not_ok "exfil-rules(5) default policy is rules/policy.rules"
	diag "page:"
	diag "$(sed 's/^/  /' "$T/policy.man")"
	diag "rules/policy.rules:"
	diag "$(sed 's/^/  /' "$T/policy.file")"
fi
if [ -s "$T/policy.builtin" ] &&
    [ "$(cat "$T/policy.man")" = "$(cat "$T/policy.builtin")" ]; then
	ok "exfil-rules(5) default policy is the built-in one of rules.c"
else
	not_ok "exfil-rules(5) default policy is the built-in one of rules.c"
	diag "rules.c:"
	diag "$(sed 's/^/  /' "$T/policy.builtin")"
fi

# Every category of the shipped packs and of the default policy is listed.
cats=$(cat "$top_srcdir"/rules/*.rules | awk '
	$1 == "category" { print $2 }
	$1 == "when" || $1 == "allow" { for (i = 2; i < NF; i++) if ($i == "category") print $(i + 1) }' |
    uniq_lines)
missing=$(minus "$cats" "$man_cats")
check "exfil-rules(5) CATEGORIES lists every category of rules/*.rules" \
    [ -n "$cats" -a -z "$missing" ]
diag "${missing:+missing: $missing}"

echo "1..$n"
[ $failed -eq 0 ] || exit 1
exit 0
