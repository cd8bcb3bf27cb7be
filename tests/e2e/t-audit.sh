#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2034 # check 'COND' is eval'ed by check()
#
# NAME
#	t-audit.sh - end-to-end test of the audit log, syslog lines and metrics
# SYNOPSIS
#	[top_builddir=DIR] [top_srcdir=DIR] tests/e2e/t-audit.sh
# DESCRIPTION
#	A private Postfix (harness.sh) with exfil-milter in front, writing an
#	audit log (audit_log, audit_key_file, evidence_key_file) and serving
#	metrics (metrics_listen). The policy tags secret tokens, rejects card
#	numbers and quarantines private keys. The test sends a Luhn-valid
#	card number, an AWS access key id with a secret access key and a PEM
#	private key, all made here, and proves that no complete secret is in
#	the audit log, the milter's log (stderr, as syslog would get it),
#	Postfix's log, the headers the milter added or the SMTP replies, while
#	the audit log holds the masked evidence and the keyed hash of each
#	value (checked with openssl). Then:
#
#	  tamper       exfil-audit verify: intact, then an edited, a removed
#	               and two swapped lines, each named
#	  concurrency  20 parallel swaks sessions: every line parses as JSON,
#	               one record per message, the chain verifies
#	  metrics      the Prometheus page counts the verdicts and findings;
#	               SIGUSR2 logs them
#	  rotation     the log moved away and a directory put in its place:
#	               SIGUSR2, then mail is deferred (on_audit_error =
#	               tempfail); the directory removed, SIGUSR2: mail flows
#	               and both files verify in order
#	  override     a card number in the sender's override justification
#	               is masked in the log
#	  crash        SIGKILL and a torn last record: verify names it; after
#	               a restart an audit-recover record follows it and the
#	               chain verifies
#
#	Output is TAP; exit status 0 when every check passed, 1 when one
#	failed, 2 on a setup error (Bail out!). Without root, Postfix, swaks
#	or smtp-sink it prints '1..0 # SKIP'.
# ENVIRONMENT
#	top_builddir, top_srcdir (default: the tree holding this script),
#	and those of harness.sh (E2E_KEEP=1 keeps the test folder).

set -u -o pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd -- "$here/../.." && pwd)
# shellcheck source=harness.sh
. "$here/harness.sh"

[[ $(id -u) == 0 ]] || skip_all "needs root (private Postfix instance, privilege drop)"
lacking=$(h_missing_tools postfix postqueue smtp-sink swaks openssl runuser python3)
[[ -z $lacking ]] || skip_all "missing programs: $lacking"
getent passwd postfix >/dev/null || skip_all "no user postfix (install the postfix package)"

top_builddir=$(cd -- "${top_builddir:-$tree}" && pwd) || bail_out "bad top_builddir"
top_srcdir=$(cd -- "${top_srcdir:-$tree}" && pwd) || bail_out "bad top_srcdir"
MILTER_BIN=$top_builddir/milter/exfil-milter
AUDIT_BIN=$top_builddir/milter/exfil-audit
[[ -x $MILTER_BIN && -x $AUDIT_BIN ]] || bail_out "exfil-milter or exfil-audit not built (run make first)"

h_init "$top_srcdir"
diag "test folder $H"

EXT=rcpt@example.net
FROM=alice@corp.example
PUSER=postfix
PGROUP=$(id -gn "$PUSER")

# ------------------------------------------------------------ keys, config

install -d -m 0700 -o "$PUSER" -g "$PGROUP" "$H/audit" "$H/keys"
AUDIT_KEY=$(openssl rand -hex 32)
EVIDENCE_KEY=$(openssl rand -hex 32)
printf '%s\n' "$AUDIT_KEY" >"$H/keys/audit.key"
printf '%s\n' "$EVIDENCE_KEY" >"$H/keys/evidence.key"
chown "$PUSER:$PGROUP" "$H/keys/audit.key" "$H/keys/evidence.key"
chmod 0600 "$H/keys/audit.key" "$H/keys/evidence.key"
LOG=$H/audit/audit.json
h_reserve_port METRICS_PORT || bail_out "no free port"

MSOCK=$MILTER_DIR/milter.sock
CONF=$H/exfil-milter.conf
cat >"$CONF" <<EOF
# written by t-audit.sh
socket = unix:$MSOCK
socket_mode = 0660
socket_group = postfix
user = postfix
rules_dir = $H/rules
internal_domains = corp.example, harness.test
quarantine_dir = $QUARANTINE_DIR
spool_dir = $SPOOL_DIR
on_error = tempfail
pid_file = $MILTER_DIR/exfil-milter.pid
tag_rules_header = yes
subject_prefix = [SENSITIVE]
audit_log = $LOG
audit_key_file = $H/keys/audit.key
evidence_key_file = $H/keys/evidence.key
audit_fsync = periodic
on_audit_error = tempfail
metrics_listen = 127.0.0.1:$METRICS_PORT
override_marker = \\[override:\\s*([^\\]]{3,200})\\]
override_categories = private_key
EOF
mkdir -p "$H/rules"
cp -R -- "$top_srcdir/rules/." "$H/rules/"
cat >"$H/rules/policy.rules" <<'EOF'
# t-audit.sh: one verdict a kind of secret
policy
  when category private_key then quarantine
  when category secret_token then tag
  when category payment_card then reject
end
EOF
chmod -R u=rwX,go=rX "$H/rules" "$CONF"

if "$MILTER_BIN" -n -c "$CONF" >"$H/run/milter-n.log" 2>&1; then
	ok "exfil-milter -n accepts the audit and metrics keys"
else
	not_ok "exfil-milter -n accepts the audit and metrics keys"
	diag_file "$H/run/milter-n.log" 10
fi
sed 's|^audit_key_file = .*|audit_key_file = '"$H"'/keys/missing.key|' "$CONF" >"$H/run/bad.conf"
"$MILTER_BIN" -n -c "$H/run/bad.conf" >"$H/run/milter-bad.log" 2>&1
rc=$?
check '[[ $rc != 0 ]] && grep -q "missing.key" "$H/run/milter-bad.log"' \
    "exfil-milter -n refuses a missing audit_key_file, naming it (rc $rc)"

# ------------------------------------------------------------ start up

h_postfix_setup "unix:$MSOCK"
h_sink_start || bail_out "smtp-sink did not start"
h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660 || bail_out "exfil-milter did not start"
h_postfix_start || bail_out "Postfix did not start"
diag "smtpd 127.0.0.1:$SMTP_PORT, metrics 127.0.0.1:$METRICS_PORT, milter pid $MILTER_PID"

send_file() {
	h_send "$1" --from "$FROM" --to "$EXT" --data "@$2"
}

# ------------------------------------------------------------- secrets

card=$(h_luhn_complete "4$(h_random_digits 14)")
h_luhn_valid "$card" || bail_out "Luhn generator is broken"
card_sp="${card:0:4} ${card:4:4} ${card:8:4} ${card:12:4}"
b32=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567
akid=AKIA
for _ in $(seq 16); do akid+=${b32:RANDOM%32:1}; done
asecret=$(openssl rand -base64 30 | tr -d '\n')
[[ ${#asecret} == 40 ]] || bail_out "AWS secret shape: ${#asecret} characters"
pem=$H/run/key.pem
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$pem" 2>"$H/run/openssl.log") || bail_out "openssl genpkey failed"
# the complete secrets: each must appear nowhere but in the mail itself
SECRETS=("$card" "$card_sp" "$akid" "$asecret")
while IFS= read -r l; do
	[[ ${#l} -ge 40 && $l != -----* ]] && SECRETS+=("$l")
done <"$pem"
diag "${#SECRETS[@]} secrets made: card, spaced card, AWS key id and secret, ${#SECRETS[@]}-4 PEM lines"

# hmac VALUE: the keyed hash the audit log must hold for VALUE
hmac() {
	printf '%s' "$1" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$EVIDENCE_KEY" |
	    sed 's/^.*= *//'
}

# ------------------------------------------------------------- messages

tok_card=$(newtok card)
mkmsg "$H/run/card.eml" "$EXT" "$tok_card" "Please charge my Visa card $card_sp, expiry 12/29."
send_file card "$H/run/card.eml"
check '[[ $SW_RC != 0 && $SW_REPLY == *550* ]]' "card: rejected with 550 (swaks rc $SW_RC)"
card_reply=$SW_REPLY

tok_aws=$(newtok aws)
mkmsg "$H/run/aws.eml" "$EXT" "$tok_aws" "Deploy credentials:
aws_access_key_id = $akid
aws_secret_access_key = $asecret"
send_file aws "$H/run/aws.eml"
check '[[ $SW_RC == 0 && -n $SW_QID ]]' "aws: accepted (tag), queued as ${SW_QID:-?}"
[[ -n $SW_QID ]] && h_wait_qid_gone "$SW_QID" 60
aws_file=$(h_sink_find "$tok_aws" | head -n 1)
check '[[ -n $aws_file ]] && h_headers "$aws_file" | grep -Eiq "^X-Exfil-Verdict: *tag"' \
    "aws: delivered, tagged"
added_headers=$( [[ -n $aws_file ]] && h_headers "$aws_file" | grep -Ei '^(X-Exfil-[A-Za-z-]*|Subject):')
check '[[ $added_headers == *aws_access_key_id* ]]' "aws: X-Exfil-Rules names aws_access_key_id"

tok_pem=$(newtok pem)
mkmsg "$H/run/pem.eml" "$EXT" "$tok_pem" "The key of the new server:

$(cat "$pem")
"
send_file pem "$H/run/pem.eml"
check '[[ $SW_RC == 0 && -n $SW_QID ]]' "pem: accepted (quarantined), queued as ${SW_QID:-?}"
[[ -n $SW_QID ]] && h_wait_qid_gone "$SW_QID" 60
check '[[ -z $(h_sink_find "$tok_pem") ]]' "pem: not delivered"

# the records are written before the answer: all three are there now
nrec=$(grep -c '"event.action":"\(reject\|tag\|quarantine\)"' "$LOG" 2>/dev/null)
check '[[ $nrec == 3 ]]' "audit log: three message records (reject, tag, quarantine): $nrec"

# ------------------------------------------------ no complete secret

# leaks WHERE FILE...: ok when no complete secret is in the files
leaks() {
	local what=$1 s f found=()
	shift
	for s in "${SECRETS[@]}"; do
		for f in "$@"; do
			[[ -f $f ]] && grep -qF -- "$s" "$f" && found+=("${f##*/}:${s:0:4}...")
		done
	done
	check '[[ ${#found[@]} == 0 ]]' "no complete secret in $what" || diag "found: ${found[*]}"
}
printf '%s\n' "$added_headers" >"$H/run/added-headers.txt"
printf '%s\n' "$card_reply" >"$H/run/replies.txt"
grep -h '^<\*\*\|^<- *[245][0-9][0-9]' "$H"/run/swaks.*.out >>"$H/run/replies.txt"
leaks "the audit log" "$LOG"
leaks "the milter's log (its syslog lines)" "$H/run/milter.log"
leaks "Postfix's log" "$PF_LOG"
leaks "the headers the milter added" "$H/run/added-headers.txt"
leaks "the SMTP replies" "$H/run/replies.txt"
check 'grep -c "action=" "$H/run/milter.log" | grep -qx 3' \
    "the milter logged one action= line per message"

card_mask="${card:0:4}********${card:12:4}"
check 'grep -qF "\"evidence\":[\"$card_mask\"]" "$LOG"' "audit log: masked card evidence $card_mask"
check 'grep -qF "$(hmac "$card")" "$LOG"' "audit log: the keyed hash of the card number (HMAC-SHA256, evidence key)"
check 'grep -qF "$(hmac "$akid")" "$LOG"' "audit log: the keyed hash of the AWS key id"
check 'grep -qF "\"${akid:0:4}************${akid:16:4}\"" "$LOG"' "audit log: the AWS key id masked"
check 'grep -q "\"rule.category\":\[\"private_key\"\]" "$LOG"' "audit log: the private key's record names its category"
check 'grep -q "\"email.to.address\":\[\"$EXT\"\]" "$LOG" && grep -q "\"email.from.address\":\[\"$FROM\"\]" "$LOG"' \
    "audit log: envelope sender and recipient"
check 'grep -q "\"email.message_id\":\"<$tok_aws@client.harness.test>\"" "$LOG"' "audit log: the Message-ID"
check 'grep -q "\"source.ip\":\"127.0.0.1\"" "$LOG"' "audit log: the client address"
check 'grep -q "\"file.hash.sha256\":\"[0-9a-f]\{64\}\"" "$LOG"' "audit log: parts with their SHA-256"
lmode=$(stat -c '%a %U' "$LOG")
check '[[ $lmode == "600 postfix" ]]' "audit log: mode 0600, owned by the milter's user ($lmode)"

# every line is JSON with the ECS names
jsoncheck() {
	python3 - "$1" <<'PY'
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    rec = json.loads(line)
    for k in ("@timestamp", "event.action", "audit.prev", "audit.mac"):
        if k not in rec:
            sys.exit("line %d: no %s" % (i, k))
    n += 1
print(n)
PY
}

# ------------------------------------------------------------- tamper

"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 0 ]] && grep -q "chain intact" "$H/run/verify.out"' "exfil-audit verify: intact (rc $rc)"
"$AUDIT_BIN" -c "$CONF" verify >"$H/run/verify-c.out" 2>&1
rc=$?
check '[[ $rc == 0 ]]' "exfil-audit -c CONF verify: the configured log and key (rc $rc)"

cp "$LOG" "$H/run/t.json"
sed -i '3s/"exfil.score":[0-9]*/"exfil.score":0/' "$H/run/t.json"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$H/run/t.json" >"$H/run/v.out" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "t.json:3: record changed" "$H/run/v.out"' "tamper: an edited score is found at line 3 (rc $rc)" ||
    diag_file "$H/run/v.out" 3
cp "$LOG" "$H/run/t.json"
sed -i '2d' "$H/run/t.json"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$H/run/t.json" >"$H/run/v.out" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "t.json:2: chain broken" "$H/run/v.out"' "tamper: a removed line 2 is found at line 2 (rc $rc)" ||
    diag_file "$H/run/v.out" 3
awk 'NR == 2 { l = $0; next } NR == 3 { print; print l; next } { print }' \
    "$LOG" >"$H/run/t.json"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$H/run/t.json" >"$H/run/v.out" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "t.json:2: chain broken" "$H/run/v.out"' "tamper: lines 2 and 3 swapped are found at line 2 (rc $rc)" ||
    diag_file "$H/run/v.out" 3

# --------------------------------------------------------- concurrency

N=20
before=$(wc -l <"$LOG")
mkmsg "$H/run/par.eml" "$EXT" "par" "Card $card_sp and id $akid"
pids=()
for i in $(seq "$N"); do
	timeout --foreground 120 swaks --server "127.0.0.1:$SMTP_PORT" --timeout 60 \
	    --helo client.harness.test --from "$FROM" --to "$EXT" \
	    --data "@$H/run/par.eml" >"$H/run/swaks.par$i.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
after=$(wc -l <"$LOG")
check '[[ $((after - before)) == $N ]]' "concurrency: $N parallel sessions gave $((after - before)) records"
nlines=$(jsoncheck "$LOG" 2>"$H/run/json.err")
check '[[ $nlines == "$after" ]]' "concurrency: every one of the $after lines parses as JSON with @timestamp, event.action, audit.prev, audit.mac" ||
    diag_file "$H/run/json.err" 3
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 0 ]]' "concurrency: the chain verifies (rc $rc)" || diag_file "$H/run/verify.out" 3
leaks "the audit log after the parallel sessions" "$LOG"

# -------------------------------------------------------------- metrics

metrics=$(curl -s --max-time 10 "http://127.0.0.1:$METRICS_PORT/metrics")
printf '%s\n' "$metrics" >"$H/run/metrics.txt"
mval() {
	awk -v k="$1" '$1 == k { print $2 }' "$H/run/metrics.txt"
}
nrej=$(mval 'exfil_messages_total{action="reject"}')
check '[[ $nrej == $((N + 1)) ]]' "metrics: exfil_messages_total{action=\"reject\"} is $((N + 1)) ($nrej)"
check '[[ $(mval '"'"'exfil_messages_total{action="tag"}'"'"') == 1 && $(mval '"'"'exfil_messages_total{action="quarantine"}'"'"') == 1 ]]' \
    "metrics: one tag, one quarantine"
check '[[ $(mval '"'"'exfil_findings_by_category_total{category="payment_card"}'"'"') == $((N + 1)) ]]' \
    "metrics: payment_card findings counted"
check '[[ $(mval exfil_scan_seconds_count) == $((N + 3)) ]] && grep -q "^exfil_scan_seconds_bucket{le=\"+Inf\"} $((N + 3))$" "$H/run/metrics.txt"' \
    "metrics: scan time histogram counts $((N + 3)) scans"
check '[[ $(mval exfil_quarantine_messages) -ge 1 && $(mval exfil_scanned_bytes_total) -gt 0 ]]' \
    "metrics: quarantine size and bytes scanned"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$METRICS_PORT/nothing")
check '[[ $code == 404 ]]' "metrics: another path is 404 ($code)"
kill -USR2 "$MILTER_PID"
h_wait_for 10 grep -q "metrics: accept=" "$H/run/milter.log"
check 'grep -q "metrics: accept=[0-9]* tag=1 quarantine=1 reject=$((N + 1))" "$H/run/milter.log"' "SIGUSR2: the metrics are logged"

# ------------------------------------------------------------- rotation

mv "$LOG" "$LOG.1"
install -d -m 0700 -o "$PUSER" -g "$PGROUP" "$LOG"	# nobody can open it now
kill -USR2 "$MILTER_PID"
h_wait_for 10 grep -q "cannot reopen $LOG" "$H/run/milter.log"
tok=$(newtok unaudited)
mkmsg "$H/run/clean.eml" "$EXT" "$tok" "Nothing secret here."
send_file unaudited "$H/run/clean.eml"
check '[[ $SW_REPLY == *451* ]]' "on_audit_error = tempfail: clean mail is deferred while the log cannot be written (swaks rc $SW_RC)"
check 'grep -q "cannot write the audit record" "$H/run/milter.log"' "the audit failure is logged"
rmdir "$LOG"
kill -USR2 "$MILTER_PID"
h_wait_for 10 grep -q "reopened $LOG" "$H/run/milter.log"
tok=$(newtok audited)
mkmsg "$H/run/clean2.eml" "$EXT" "$tok" "Nothing secret here either."
send_file audited "$H/run/clean2.eml"
check '[[ $SW_RC == 0 ]]' "after the reopen: clean mail is accepted"
check 'head -n 1 "$LOG" | grep -q "\"event.action\":\"audit-start\",.*\"audit.continues\":\"reopen\""' \
    "the new file starts with an audit-start record"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG.1" "$LOG" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 0 ]]' "exfil-audit verify LOG.1 LOG: the chain runs across the rotation (rc $rc)" ||
    diag_file "$H/run/verify.out" 3
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG" "$LOG.1" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 1 ]]' "exfil-audit verify in the wrong order fails (rc $rc)"

# --------------------------------------- the override justification

# the sender's own words are logged, but never a value a rule finds there
tok=$(newtok override)
{
	printf 'From: <%s>\nTo: <%s>\n' "$FROM" "$EXT"
	printf 'Subject: key for ops [override: card %s is the test card]\n' "$card_sp"
	printf 'Message-ID: <%s@client.harness.test>\n\n' "$tok"
	cat "$pem"
} >"$H/run/override.eml"
send_file override "$H/run/override.eml"
check 'grep -q "override asked by $FROM" "$H/run/milter.log"' "override: the justification is logged"
leaks "the milter's log after an override naming the card" "$H/run/milter.log"
leaks "the audit log after an override naming the card" "$LOG"

# -------------------------------------------------- crash and restart

h_milter_stop KILL
printf '{"@timestamp":"2026-11-28T00:00:00.000Z","event.action":"acc' >>"$LOG"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "torn record" "$H/run/verify.out"' \
    "crash: a torn last record is found (rc $rc)"
h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660 || bail_out "exfil-milter did not start again"
tok=$(newtok restart)
mkmsg "$H/run/restart.eml" "$EXT" "$tok" "Back again, nothing secret."
send_file restart "$H/run/restart.eml"
check '[[ $SW_RC == 0 ]]' "restart: clean mail is accepted (swaks rc $SW_RC)"
check 'tail -n 2 "$LOG" | head -n 1 | grep -q "\"event.action\":\"audit-recover\""' \
    "restart: an audit-recover record follows the torn line"
"$AUDIT_BIN" -k "$H/keys/audit.key" verify "$LOG.1" "$LOG" >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 0 ]] && grep -q "recovered by line" "$H/run/verify.out"' \
    "restart: the chain verifies across the crash, naming the torn line (rc $rc)" ||
    diag_file "$H/run/verify.out" 3

done_testing
