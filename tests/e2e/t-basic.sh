#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2034 # check 'COND' is eval'ed by check()
#
# NAME
#	t-basic.sh - end-to-end test: Postfix -> exfil-milter -> smtp-sink
# SYNOPSIS
#	[top_builddir=DIR] [top_srcdir=DIR] tests/e2e/t-basic.sh
# DESCRIPTION
#	Starts the built milter ($top_builddir/milter/exfil-milter, as root:
#	it drops to user postfix) with its own configuration and rules (a
#	copy of $top_srcdir/rules plus a test rule that rejects), a private
#	Postfix on a free loopback port with smtpd_milters pointing at it and
#	milter_default_action = tempfail, and smtp-sink as the next hop. Then
#	it sends mail with swaks and smtp-source and checks what arrives,
#	what is quarantined and what the client is told. Every message sent
#	is counted: sent == delivered + quarantined + rejected (+ tempfailed).
#
#	Output is TAP for automake's tap-driver; exit status 0 when every
#	check passed, 1 when one failed, 2 on a setup error (Bail out!).
#	Without root, Postfix, swaks or smtp-sink it prints '1..0 # SKIP'.
# ENVIRONMENT
#	top_builddir, top_srcdir (default: the tree holding this script),
#	and those of harness.sh (E2E_KEEP=1 keeps the test folder).

set -u -o pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd -- "$here/../.." && pwd)
# shellcheck source=harness.sh
. "$here/harness.sh"

[[ $(id -u) == 0 ]] || skip_all "needs root (private Postfix instance, privilege drop)"
lacking=$(h_missing_tools postfix postqueue smtp-sink smtp-source swaks openssl runuser)
[[ -z $lacking ]] || skip_all "missing programs: $lacking"
getent passwd postfix >/dev/null || skip_all "no user postfix (install the postfix package)"

top_builddir=$(cd -- "${top_builddir:-$tree}" && pwd) || bail_out "bad top_builddir"
top_srcdir=$(cd -- "${top_srcdir:-$tree}" && pwd) || bail_out "bad top_srcdir"
MILTER_BIN=$top_builddir/milter/exfil-milter
[[ -x $MILTER_BIN ]] || bail_out "$MILTER_BIN not built (run make first)"

h_init "$top_srcdir"
diag "test folder $H"

EXT=rcpt@example.net		# outside internal_domains
INT=bob@corp.example		# inside
FROM=alice@corp.example
SENT_REJECTED=0
SENT_TEMPFAILED=0

# ------------------------------------------------ configuration, rules

MSOCK=$MILTER_DIR/milter.sock
CONF=$H/exfil-milter.conf
cat >"$CONF" <<EOF
# exfil-milter configuration written by t-basic.sh
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
tag_rules_header = no
EOF

mkdir -p "$H/rules"
if [[ -d $top_srcdir/rules ]]; then
	cp -R -- "$top_srcdir/rules/." "$H/rules/"
fi
cat >"$H/rules/zz-t-basic.rules" <<'EOF'
# t-basic.sh: a marker that makes the policy reject
rule test_reject_marker
  category   classification_marking
  pattern    /EXFIL-TEST-REJECT-[0-9]{6}/
  score      1
  example    "Status report EXFIL-TEST-REJECT-123456"
  counter    "EXFIL-TEST-REJECT-12345 is too short"
end
policy
  when rule test_reject_marker then reject
end
EOF
chmod -R u=rwX,go=rX "$H/rules" "$CONF"

if "$MILTER_BIN" -n -c "$CONF" >"$H/run/milter-n.log" 2>&1; then
	ok "exfil-milter -n accepts the test configuration and rules"
else
	not_ok "exfil-milter -n accepts the test configuration and rules"
	diag_file "$H/run/milter-n.log" 20
fi

# ------------------------------------------------------------ start up

h_postfix_setup "unix:$MSOCK"
h_sink_start || bail_out "smtp-sink did not start"
if h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660; then
	ok "milter started as root is ready: socket $MSOCK with mode 0660"
else
	not_ok "milter started as root is ready: socket $MSOCK with mode 0660"
	bail_out "exfil-milter did not start"
fi
muser=$(ps -o user= -p "$MILTER_PID" 2>/dev/null | tr -d ' ')
check '[[ $muser == postfix ]]' "milter runs as user postfix (ps says '$muser')"
h_postfix_start || bail_out "Postfix did not start"
diag "smtpd 127.0.0.1:$SMTP_PORT, smtp-sink 127.0.0.1:$SINK_PORT, milter pid $MILTER_PID"

# --------------------------------------------------------------- helpers



# send_file - send_file NAME FILE RCPT...: swaks the file to the recipients
send_file() {
	local name=$1 file=$2 r args=()
	shift 2
	for r in "$@"; do
		args+=(--to "$r")
	done
	h_send "$name" --from "$FROM" "${args[@]}" --data "@$file"
}

# delivered - delivered TOKEN: wait until Postfix is done with SW_QID,
#	then set DFILES to the sink files holding TOKEN and DFILE to the first
delivered() {
	DFILES=()
	DFILE=
	if [[ $SW_RC == 0 && -n $SW_QID ]]; then
		h_wait_qid_gone "$SW_QID" 60 || diag "Postfix is not done with $SW_QID after 60 s"
	fi
	mapfile -t DFILES < <(h_sink_find "$1")
	DFILE=${DFILES[0]:-}
}

# accepted - ok/not_ok for 'the client got 250 and a queue id'
accepted() {
	check '[[ $SW_RC == 0 && -n $SW_QID ]]' "$1: client got 250 (swaks rc $SW_RC, queued as ${SW_QID:-?})" ||
	    diag_file "$SW_OUT" 8
}

# hdrs_of - the unfolded headers of the delivered copy
hdrs_of() {
	if [[ -n $DFILE ]]; then h_headers "$DFILE"; fi
}

# ------------------------------------------------------------- clean mail

tok=$(newtok clean)
mkmsg "$H/run/clean.eml" "$EXT" "$tok" "Hello Rob,

the meeting moves to Thursday. Nothing secret here.
.leading dot line, and a line with trailing spaces   
-- 
Alice"
send_file clean "$H/run/clean.eml" "$EXT"
accepted "clean/external"
delivered "$tok"
check '[[ ${#DFILES[@]} == 1 ]]' "clean/external: delivered to the sink once (${#DFILES[@]} copies)"
check '[[ -n $DFILE ]] && cmp -s <(h_body "$DFILE") <(h_body "$H/run/clean.eml")' \
    "clean/external: body arrives intact"
hdiff=$(diff <(h_headers "$H/run/clean.eml") \
    <(hdrs_of | grep -Eiv '^(Received|X-Exfil-[A-Za-z0-9-]*):'))
check '[[ -n $DFILE && -z $hdiff ]]' \
    "clean/external: all client headers arrive, nothing added but Received:/X-Exfil-*" ||
    diag "$hdiff"
verdicts=$(hdrs_of | grep -i '^X-Exfil-Verdict:')
check '[[ -z $verdicts || $verdicts =~ ^X-Exfil-Verdict:\ *accept$ ]]' \
    "clean/external: no X-Exfil-Verdict other than accept (${verdicts:-none})"

# ------------------------------------------- forged X-Exfil-* headers

tok=$(newtok forged)
mkmsg "$H/run/forged.eml" "$EXT" "$tok" "Nothing to see here." \
    "X-Exfil-Verdict: accept forged-$tok" \
    "X-Exfil-Score: 0 forged-$tok" \
    "X-Exfil-Rules: forged-$tok"
send_file forged "$H/run/forged.eml" "$EXT"
accepted "forged header"
delivered "$tok"
check '[[ -n $DFILE ]]' "forged header: delivered"
nforged=$(hdrs_of | grep -ci "forged-$tok")
check '[[ -n $DFILE && $nforged == 0 ]]' \
    "forged header: client-sent X-Exfil-Verdict/Score/Rules removed ($nforged left)"

# --------------------------------------------------------- card number

card=$(h_luhn_complete "4$(h_random_digits 14)")
h_luhn_valid "$card" || bail_out "Luhn generator is broken ($card)"
card_sp="${card:0:4} ${card:4:4} ${card:8:4} ${card:12:4}"
card_body="Hi,

please charge the order to my Visa card $card_sp, expiry 12/29.

Thanks, Alice"
diag "test card number: ${card:0:4}********${card:12:4}"

tok=$(newtok card-ext)
mkmsg "$H/run/card-ext.eml" "$EXT" "$tok" "$card_body"
send_file card-ext "$H/run/card-ext.eml" "$EXT"
accepted "card/external"
delivered "$tok"
check '[[ -n $DFILE ]]' "card/external: delivered"
verdicts=$(hdrs_of | grep -i '^X-Exfil-Verdict:' | tr -d '\r')
check '[[ $verdicts =~ ^X-Exfil-Verdict:\ *tag$ ]]' \
    "card/external: tagged, one 'X-Exfil-Verdict: tag' (got: ${verdicts:-none})"
check 'hdrs_of | grep -Eiq "^X-Exfil-Score: *[0-9]+"' "card/external: X-Exfil-Score: N present"
check '[[ -n $DFILE ]] && ! hdrs_of | grep -iq "^X-Exfil-Rules:"' \
    "card/external: no X-Exfil-Rules header (tag_rules_header = no)"
check '[[ -n $DFILE ]] && cmp -s <(h_body "$DFILE") <(h_body "$H/run/card-ext.eml")' \
    "card/external: body arrives intact"

tok=$(newtok card-int)
mkmsg "$H/run/card-int.eml" "$INT" "$tok" "$card_body"
send_file card-int "$H/run/card-int.eml" "$INT"
accepted "card/internal"
delivered "$tok"
check '[[ -n $DFILE ]] && ! hdrs_of | grep -iq "^X-Exfil-Verdict:"' \
    "card/internal only: delivered without X-Exfil-Verdict (not scanned)"

tok=$(newtok card-mixed)
mkmsg "$H/run/card-mixed.eml" "$INT" "$tok" "$card_body" "Cc: <$EXT>"
send_file card-mixed "$H/run/card-mixed.eml" "$INT" "$EXT"
accepted "card/internal+external"
delivered "$tok"
check '[[ -n $DFILE ]] && hdrs_of | grep -Eiq "^X-Exfil-Verdict: *tag$"' \
    "card/internal+external recipients: tagged"

# ----------------------------------------------------- private key

key=$H/run/key.pem
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$key" 2>"$H/run/openssl.log") || bail_out "openssl genpkey failed"
tok=$(newtok pkey)
mkmsg "$H/run/pkey.eml" "$EXT" "$tok" "Here is the key for the new server:

$(cat "$key")

Alice"
mapfile -t q_before < <(find "$QUARANTINE_DIR" -name "*.eml" 2>/dev/null)
send_file pkey "$H/run/pkey.eml" "$EXT"
accepted "private key/external"
delivered "$tok"
check '[[ ${#DFILES[@]} == 0 ]]' "private key/external: not delivered to the sink"
check 'h_log_has "${SW_QID:-none}: milter-discard"' \
    "private key/external: Postfix logged milter-discard for ${SW_QID:-?}"
q_new=()
for f in $(find "$QUARANTINE_DIR" -name "*.eml" 2>/dev/null); do
	[[ -f $f ]] || continue
	case " ${q_before[*]} " in *" $f "*) continue ;; esac
	q_new+=("$f")
done
qfile=${q_new[0]:-}
qmode=$( [[ -n $qfile ]] && stat -c %a -- "$qfile")
check '[[ ${#q_new[@]} == 1 && $qmode == 600 ]] && grep -qF -- "$tok" "$qfile"' \
    "private key/external: one new .eml in quarantine_dir, mode 0600, holding the message (${#q_new[@]} new, mode ${qmode:-none})"
check '[[ -n $qfile && -f ${qfile%.eml}.json ]]' \
    "private key/external: its .json record exists"

# ---------------------------------------------------------------- reject

rval=$(h_random_digits 6)
marker=EXFIL-TEST-REJECT-$rval
tok=$(newtok reject)
mkmsg "$H/run/reject.eml" "$EXT" "$tok" "Status report, marking $marker, do not forward."
send_file reject "$H/run/reject.eml" "$EXT"
[[ $SW_RC == 26 ]] && SENT_REJECTED=$((SENT_REJECTED + 1))
check '[[ $SW_RC == 26 && $SW_REPLY == *"550 5.7.1"* ]]' \
    "reject: client got 550 5.7.1 after DATA (swaks rc $SW_RC)" || diag_file "$SW_OUT" 8
diag "reject reply: $SW_REPLY"
check '[[ -n $SW_REPLY && $SW_REPLY != *"$marker"* && $SW_REPLY != *"$rval"* ]]' \
    "reject: the reply does not contain the matched value"
check '[[ $SW_REPLY == *"ref "* ]]' "reject: the reply names a reference id"
mapfile -t DFILES < <(h_sink_find "$tok")
check '[[ ${#DFILES[@]} == 0 ]]' "reject: not delivered"

# ------------------------------------------------------- nothing leaks

check '! grep -qE -- "$card|$card_sp|$marker|$rval" "$H/run/milter.log" "$PF_LOG"' \
    "logs (milter stderr, Postfix) do not contain the card number or the marker"
keyline=$(sed -n 2p "$key")
check '[[ -n $keyline ]] && ! grep -qF -- "$keyline" "$H/run/milter.log" "$PF_LOG"' \
    "logs do not contain private key material"

# ----------------------------------------------------------------- burst

h_wait_queue_empty 60 || diag "queue not empty before the burst"
before=$(h_sink_count)
h_burst 200 10 "e2e burst $$" -f "burst@corp.example" -t "$EXT" -l 2048
h_wait_for 120 _h_sink_count_ge $((before + 200))
h_wait_queue_empty 60
after=$(h_sink_count)
check '[[ $BURST_RC == 0 && $((after - before)) == 200 ]]' \
    "burst: 200 clean messages in 10 sessions, all delivered ($((after - before)), smtp-source rc $BURST_RC)" ||
    diag_file "$H/run/smtp-source.out" 10

# -------------------------------------------------------------- counting

h_wait_queue_empty 60
n_deliv=$(h_sink_count)
n_quar=$(h_count_files "$QUARANTINE_DIR" '*.eml')
check '[[ $H_SENT == $((n_deliv + n_quar + SENT_REJECTED)) ]] && h_queue_empty' \
    "counting: sent $H_SENT == delivered $n_deliv + quarantined $n_quar + rejected $SENT_REJECTED, queue empty"

# ------------------------------------------------------- milter crash

h_milter_stop KILL
tok=$(newtok crash)
mkmsg "$H/run/crash.eml" "$EXT" "$tok" "Sent while the milter is down."
send_file crash "$H/run/crash.eml" "$EXT"
[[ $SW_RC != 0 ]] && SENT_TEMPFAILED=$((SENT_TEMPFAILED + 1))
check '[[ $SW_RC != 0 && -z $SW_QID ]] && grep -Eq "^<\*\* +4[0-9]{2}[ -]" <<<"$SW_REPLY"' \
    "milter killed (SIGKILL): client got a 4xx tempfail (swaks rc $SW_RC)" || diag_file "$SW_OUT" 8
diag "reply while down: $SW_REPLY"
sleep 1
check '[[ $(h_sink_count) == "$n_deliv" && $(h_count_files "$QUARANTINE_DIR" "*.eml") == "$n_quar" ]] && h_queue_empty' \
    "milter killed: nothing queued, delivered or quarantined (the client keeps the message)"

if h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660; then
	ok "milter restarted over its stale socket"
	send_file crash-retry "$H/run/crash.eml" "$EXT"
	delivered "$tok"
	check '[[ $SW_RC == 0 && ${#DFILES[@]} == 1 ]]' \
	    "milter restarted: the tempfailed message, sent again, is delivered"
else
	not_ok "milter restarted over its stale socket"
	skip "milter did not restart" "tempfailed message delivered on retry"
fi

h_wait_queue_empty 60
n_deliv=$(h_sink_count)
n_quar=$(h_count_files "$QUARANTINE_DIR" '*.eml')
check '[[ $H_SENT == $((n_deliv + n_quar + SENT_REJECTED + SENT_TEMPFAILED)) ]]' \
    "counting, whole test: sent $H_SENT == delivered $n_deliv + quarantined $n_quar + rejected $SENT_REJECTED + tempfailed $SENT_TEMPFAILED"

done_testing
