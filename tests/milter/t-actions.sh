#!/bin/bash
# shellcheck disable=SC2016,SC2034 # check 'COND' is eval'ed by check()
#
# t-actions.sh - protocol tests of the actions (subject prefix, copy, hold,
# redirect, split, monitor mode) and of the envelope conditions of the
# policy (authenticated, client, external_rcpts, size, sender_domain,
# rcpt_domain, allow, mode monitor): one exfil-milter per configuration,
# all started at once, each driven by miltertest with t-actions.lua
# (-D case=NAME), and scan_timeout with on_timeout. TAP output; skips
# when miltertest is not installed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
here=$top_srcdir/tests/milter
milter=$top_builddir/milter/exfil-milter

if ! command -v miltertest >/dev/null 2>&1; then
	echo "1..0 # SKIP miltertest not installed (Debian package miltertest)"
	exit 0
fi
if [ ! -x "$milter" ]; then
	echo "Bail out! $milter not built (run make first)"
	exit 2
fi

H=$(mktemp -d "${TMPDIR:-/tmp}/exfil-mt-act.XXXXXX")
pids=()
cleanup() {
	local p
	# all at once: libmilter needs ~4.5 s to notice SIGTERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0
tap() { # tap ok|not_ok description
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() { # check 'COND' description
	if eval "$1"; then tap ok "$2"; else tap not_ok "$2"; fi
}

# ------------------------------------------------------------ rules

mkdir -p "$H/rules" "$H/rules-policy"
cp "$top_srcdir"/rules/*.rules "$H/rules/"
cp "$top_srcdir/tests/milter/test-reject.rules" "$H/rules/zz-test.rules"
cp "$H"/rules/*.rules "$H/rules-policy/"
# markers of their own category: the default policy ignores them
cat >"$H/rules-policy/zz-policy.rules" <<'RULES'
rule t_client
  category t_marker
  pattern  /EXFIL-T-CLIENT-[0-9]{4}/
  example  "EXFIL-T-CLIENT-4711"
end
rule t_monitor
  category t_marker
  pattern  /EXFIL-T-MONITOR-[0-9]{4}/
  mode     monitor
  example  "EXFIL-T-MONITOR-0001"
end
rule t_bulk
  category t_marker
  pattern  /EXFIL-T-BULK-[0-9]{4}/
  example  "EXFIL-T-BULK-0001"
end
rule t_size
  category t_marker
  pattern  /EXFIL-T-SIZE-[0-9]{4}/
  example  "EXFIL-T-SIZE-0001"
end
rule t_sender
  category t_marker
  pattern  /EXFIL-T-SENDER-[0-9]{4}/
  example  "EXFIL-T-SENDER-0001"
end
rule t_rcptdom
  category t_marker
  pattern  /EXFIL-T-RCPTDOM-[0-9]{4}/
  example  "EXFIL-T-RCPTDOM-0001"
end
policy
  when category payment_card authenticated no then quarantine
  when rule t_client client external then reject
  when rule t_client client internal then tag
  when rule t_monitor then reject
  when rule t_bulk external_rcpts 3 then reject
  when rule t_size size 20000 then reject
  when rule t_sender sender_domain corp-a.example then reject
  when rule t_rcptdom rcpt_domain partner.example then reject
  allow category payment_card rcpt_domain cards-ok.example
  allow sender_domain trusted.example
end
RULES

# ---------------------------------------------------- configurations

cases="tag hold redirect split splithold splitredirect monitor policy timeout"

extra_conf() { # the keys of one case
	case $1 in
	tag) printf '%s\n' "subject_prefix = [SENSITIVE]" \
		"tag_copy_to = dlp-review@example.com" ;;
	hold) printf '%s\n' "quarantine_mode = hold" ;;
	redirect) printf '%s\n' "quarantine_mode = redirect" \
		"quarantine_redirect_to = dlp-quarantine@example.com" ;;
	split) printf '%s\n' "split_recipients = yes" ;;
	splithold) printf '%s\n' "split_recipients = yes" "quarantine_mode = hold" ;;
	splitredirect) printf '%s\n' "split_recipients = yes" \
		"quarantine_mode = redirect" \
		"quarantine_redirect_to = dlp-quarantine@example.com" ;;
	monitor) printf '%s\n' "monitor_mode = yes" \
		"subject_prefix = [SENSITIVE]" \
		"tag_copy_to = dlp-review@example.com" ;;
	policy) printf '%s\n' \
		"internal_networks = 10.0.0.0/8, 192.0.2.128/25, 2001:db8:1::/48" ;;
	timeout) printf '%s\n' "scan_timeout = 1" "on_timeout = reject" ;;
	esac
}

for c in $cases; do
	d=$H/$c
	mkdir -p "$d/q" "$d/spool"
	rules=$H/rules
	[ "$c" = policy ] && rules=$H/rules-policy
	{
		echo "rules_dir = $rules"
		echo "internal_domains = example.com, .example.com"
		echo "quarantine_dir = $d/q"
		echo "spool_dir = $d/spool"
		extra_conf "$c"
	} >"$d/exfil-milter.conf"
done

# -------------------------------------------------------- daemons

t0=$SECONDS
for c in $cases; do
	d=$H/$c
	"$milter" -f -c "$d/exfil-milter.conf" -p "unix:$d/milter.sock" \
		2>"$d/milter.log" &
	pids+=($!)
done
for c in $cases; do
	for _ in $(seq 1 200); do
		[ -S "$H/$c/milter.sock" ] && break
		sleep 0.05
	done
	if [ -S "$H/$c/milter.sock" ]; then
		tap ok "$c: milter listens (config: $(extra_conf "$c" | paste -sd ';' -))"
	else
		tap not_ok "$c: milter started (log: $(tr '\n' ' ' <"$H/$c/milter.log"))"
	fi
done

# slow_body PARTS LINES: a clean multipart body (boundary b1) that is slow
# to scan: card-like numbers that all fail the Luhn check
slow_body() {
	awk -v parts="$1" -v lines="$2" 'BEGIN {
		srand(4711)
		for (p = 0; p < parts; p++) {
			printf "--b1\r\nContent-Type: text/plain\r\n\r\n"
			for (l = 0; l < lines; l++) {
				s = "4"; sum = 0
				for (i = 2; i <= 15; i++) s = s int(rand() * 10)
				for (i = 15; i >= 1; i--) {
					v = substr(s, i, 1) + 0
					if ((15 - i) % 2 == 0) { v *= 2; if (v > 9) v -= 9 }
					sum += v
				}
				c = ((10 - sum % 10) % 10 + 1 + int(rand() * 9)) % 10
				s = s c
				printf "order %s %s %s %s shipped\r\n", substr(s, 1, 4),
				    substr(s, 5, 4), substr(s, 9, 4), substr(s, 13, 4)
			}
		}
		printf "--b1--\r\n"
	}'
}
slow_body 2 50 >"$H/slow-small.txt"
# ~13 MB: about 4 s of scanning here, stopped at 1 s by scan_timeout
slow_body 700 520 >"$H/slow-big.txt"

run_case() { # run_case NAME: t-actions.lua against that daemon
	local c=$1 out rc line
	out=$(miltertest -s "$here/t-actions.lua" -D "sock=unix:$H/$c/milter.sock" \
		-D "libdir=$here" -D "case=$c" -D "slow_small=$H/slow-small.txt" \
		-D "slow_big=$H/slow-big.txt" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - $c"*) tap ok "${line#ok - }" ;;
		"not ok - $c"*) tap not_ok "${line#not ok - }" ;;
		"ok - "*) tap ok "$c: ${line#ok - }" ;;
		"not ok - "*) tap not_ok "$c: ${line#not ok - }" ;;
		"") ;;
		*) echo "# $line" ;;
		esac
	done <<<"$out"
	[ $rc -eq 0 ] || tap not_ok "$c: miltertest exit status $rc"
}

neml() { # number of quarantined messages of a case
	find "$H/$1/q" -name '*.eml' | wc -l
}
log_has() { # log_has CASE ERE
	grep -Eq -- "$2" "$H/$1/milter.log"
}

# ---------------------------------------------------------- cases

run_case tag
check '[ "$(neml tag)" -eq 1 ]' "tag: only the key is stored in quarantine_dir ($(neml tag))"

run_case hold
check '[ "$(neml hold)" -eq 0 ]' "hold: nothing written to quarantine_dir ($(neml hold))"
check 'log_has hold "held in the MTA.s hold queue"' "hold: the log says the message is held"

run_case redirect
check '[ "$(neml redirect)" -eq 0 ]' "redirect: nothing written to quarantine_dir ($(neml redirect))"
check 'log_has redirect "redirected to dlp-quarantine@example.com"' "redirect: the log names the redirect address"

run_case split
check '[ "$(neml split)" -eq 2 ]' \
	"split: two messages stored (the split one's copy, the external-only one) ($(neml split))"
f=$(grep -rl --include='*.eml' 'BEGIN OPENSSH PRIVATE KEY' "$H/split/q" 2>/dev/null | head -n 1)
check '[ -n "$f" ]' "split: the stored copy holds the message"
check 'log_has split "split: quarantine for 2 external recipient\(s\), delivered to 2 internal" &&
	log_has split "split: reject for 1 external recipient\(s\), delivered to 1 internal"' \
	"split: the log says how each message was split"

run_case splithold
check '[ "$(neml splithold)" -eq 1 ]' \
	"split+hold: only the split message's copy is stored; the external-only one is held ($(neml splithold))"

run_case splitredirect
check '[ "$(neml splitredirect)" -eq 1 ]' \
	"split+redirect: only the split message's copy is stored; the external-only one is redirected ($(neml splitredirect))"

run_case monitor
check '[ "$(neml monitor)" -eq 0 ]' "monitor: nothing quarantined ($(neml monitor))"
check 'log_has monitor "action=accept monitor=quarantine .*categories=private_key.*reason=\"monitor mode\""' \
	"monitor: log says action=accept monitor=quarantine for the key"
check 'log_has monitor "action=accept monitor=tag .*categories=payment_card"' \
	"monitor: log says action=accept monitor=tag for the card"
check 'log_has monitor "action=accept monitor=reject "' \
	"monitor: log says action=accept monitor=reject for the reject marker"
check '! log_has monitor "action=(tag|quarantine|reject|tempfail) "' \
	"monitor: no other action than accept was carried out"

run_case policy
check 'log_has policy "action=accept monitor=reject .*categories=t_marker"' \
	"policy: a rule in mode monitor is logged as action=accept monitor=reject"
check '[ "$(neml policy)" -eq 2 ]' \
	"policy: two messages stored (unauthenticated card, key to cards-ok.example) ($(neml policy))"

run_case timeout
check 'log_has timeout "action=reject .*reason=\"scan timed out\""' \
	"timeout: the log gives the reason 'scan timed out'"
ms=$(sed -n 's/.*action=reject .*reason="scan timed out" time=\([0-9]*\).*/\1/p' "$H/timeout/milter.log" | head -n 1)
check '[ -n "$ms" ] && [ "$ms" -ge 1000 ] && [ "$ms" -lt 2500 ]' \
	"timeout: the scan stopped soon after 1 s (time=${ms:-?}ms)"

busy=
for c in $cases; do
	[ -z "$(ls -A "$H/$c/spool")" ] || busy="$busy $c"
done
check '[ -z "$busy" ]' "every spool folder is empty${busy:+ (not:$busy)}"
check '! grep -q "EXFIL-TEST-REJECT-314159\|b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA" "$H"/*/milter.log' \
	"no log holds the marker or the key"

for c in $cases; do
	if [ "$failed" -gt 0 ] || [ -n "${VERBOSE:-}" ]; then
		echo "# --- $c/milter.log"
		sed 's/^/#   /' "$H/$c/milter.log" | tail -n 40
	fi
done
echo "# $((SECONDS - t0)) s for the cases (teardown takes ~5 s more)"
echo "1..$n"
[ "$failed" -eq 0 ]
