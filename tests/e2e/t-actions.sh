#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2034 # check 'COND' is eval'ed by check()
#
# NAME
#	t-actions.sh - end-to-end test of the actions through Postfix
# SYNOPSIS
#	[top_builddir=DIR] [top_srcdir=DIR] tests/e2e/t-actions.sh
# DESCRIPTION
#	One private Postfix (harness.sh) with exfil-milter in front and
#	smtp-sink behind. The milter's configuration and policy change from
#	phase to phase (rewritten, then SIGUSR1: a reload); in each phase
#	swaks sends messages and the test checks what the client is told
#	(swaks exit code and reply), what reaches the sink (headers,
#	Subject, envelope recipients: smtp-sink's X-Rcpt-Args lines), what
#	is stored in quarantine_dir and what sits in Postfix's hold queue:
#
#	  tag        subject_prefix, tag_copy_to; an inbound message (all
#	             recipients internal) is not judged; store and reject
#	  hold       quarantine_mode = hold: hold queue, release
#	  redirect   quarantine_mode = redirect
#	  split      split_recipients (store, then hold) with internal and
#	             external recipients, and external ones only
#	  networks   client internal|external: 127.0.0.1 in
#	             internal_networks or not
#	  monitor    monitor_mode: delivered unchanged, logged
#	             "action=accept monitor=..."
#	  tempfail   a tempfail policy, then the message sent again
#	  sasl       authenticated yes|no through Postfix SASL (cyrus
#	             sasldb, AUTH PLAIN); skipped without sasl2-bin and
#	             libsasl2-modules(-db)
#
#	At the end every message is accounted for: sent == delivered +
#	quarantined + held + rejected + tempfailed (a tempfailed message,
#	sent again, counts as delivered the second time).
#
#	Output is TAP; exit status 0 when every check passed, 1 when one
#	failed, 2 on a setup error (Bail out!). Without root, Postfix, swaks
#	or smtp-sink it prints '1..0 # SKIP'.
# ENVIRONMENT
#	top_builddir, top_srcdir (default: the tree holding this script),
#	and those of harness.sh (E2E_KEEP=1 keeps the test folder).
#	E2E_NO_SASL=1 skips the SASL phase (as when sasl2-bin is missing).

set -u -o pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd -- "$here/../.." && pwd)
# shellcheck source=harness.sh
. "$here/harness.sh"

[[ $(id -u) == 0 ]] || skip_all "needs root (private Postfix instance, privilege drop)"
lacking=$(h_missing_tools postfix postqueue postsuper postcat postconf smtp-sink swaks openssl runuser)
[[ -z $lacking ]] || skip_all "missing programs: $lacking"
getent passwd postfix >/dev/null || skip_all "no user postfix (install the postfix package)"

top_builddir=$(cd -- "${top_builddir:-$tree}" && pwd) || bail_out "bad top_builddir"
top_srcdir=$(cd -- "${top_srcdir:-$tree}" && pwd) || bail_out "bad top_srcdir"
MILTER_BIN=$top_builddir/milter/exfil-milter
[[ -x $MILTER_BIN ]] || bail_out "$MILTER_BIN not built (run make first)"

T0=$SECONDS
h_init "$top_srcdir"
diag "test folder $H"

EXT=rcpt@example.net		# outside internal_domains
EXT2=other@example.org		# outside
INT=bob@corp.example		# inside
INT2=carol@harness.test		# inside
FROM=alice@corp.example
COPY=dlp-review@corp.example	# tag_copy_to
REDIR=dlp-quarantine@corp.example	# quarantine_redirect_to
PREFIX='[SENSITIVE]'
N_REJECTED=0
N_TEMPFAILED=0
N_OTHER=0
TOKS=()				# the token of every message accepted (250)

# --------------------------------------------------------------- SASL

SASL_USER=alice
SASL_PASS=s3cret-$$-$RANDOM
SASL_WHY=
if [[ ${E2E_NO_SASL:-0} == 1 ]]; then
	SASL_WHY="E2E_NO_SASL=1"
elif ! command -v saslpasswd2 >/dev/null 2>&1 && [[ ! -x /usr/sbin/saslpasswd2 ]]; then
	SASL_WHY="no saslpasswd2 (Debian package sasl2-bin)"
elif ! compgen -G "/usr/lib/*/sasl2/libsasldb.so*" >/dev/null; then
	SASL_WHY="no sasldb auxprop plugin (Debian package libsasl2-modules-db)"
elif ! compgen -G "/usr/lib/*/sasl2/libplain.so*" >/dev/null; then
	SASL_WHY="no PLAIN mechanism (Debian package libsasl2-modules)"
elif ! postconf -a 2>/dev/null | grep -qx cyrus; then
	SASL_WHY="Postfix was built without Cyrus SASL"
fi

# Debian's Postfix reads the Cyrus configuration (smtpd.conf) from
# $config_directory/sasl, whatever cyrus_sasl_config_path says.
sasl_setup() {
	local d=$PF_CONF/sasl
	install -d -m 0755 "$d"
	if ! printf '%s' "$SASL_PASS" | saslpasswd2 -p -c -f "$d/sasldb2" \
	    -u "mta.harness.test" "$SASL_USER" 2>"$H/run/saslpasswd2.log"; then
		SASL_WHY="saslpasswd2 failed: $(head -n 1 "$H/run/saslpasswd2.log")"
		return 1
	fi
	chown root:postfix "$d/sasldb2" && chmod 0640 "$d/sasldb2"
	cat >"$d/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $d/sasldb2
mech_list: PLAIN LOGIN
EOF
}

# h_postfix_write_conf, plus SASL (the harness rewrites main.cf when it
# has to move to another port: keep the SASL lines then too)
eval "$(declare -f h_postfix_write_conf | sed '1s/^h_postfix_write_conf/_h_postfix_write_conf_plain/')"
h_postfix_write_conf() {
	_h_postfix_write_conf_plain "$@"
	[[ -z $SASL_WHY ]] || return 0
	cat >>"$PF_CONF/main.cf" <<EOF
# SASL for t-actions.sh (authenticated senders)
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF_CONF/sasl
smtpd_sasl_security_options = noanonymous
EOF
	touch -d '-1 minute' "$PF_CONF/main.cf"
}
[[ -n $SASL_WHY ]] || sasl_setup || diag "SASL not set up: $SASL_WHY"

# ------------------------------------------------ configuration, rules

MSOCK=$MILTER_DIR/milter.sock
CONF=$H/exfil-milter.conf
RULES=$H/rules

# write_conf KEY=VALUE...: the base configuration and the phase's keys
write_conf() {
	{
		echo "# exfil-milter configuration written by t-actions.sh"
		echo "socket = unix:$MSOCK"
		echo "socket_mode = 0660"
		echo "socket_group = postfix"
		echo "user = postfix"
		echo "rules_dir = $RULES"
		echo "internal_domains = corp.example, harness.test"
		echo "quarantine_dir = $QUARANTINE_DIR"
		echo "spool_dir = $SPOOL_DIR"
		echo "on_error = tempfail"
		echo "pid_file = $MILTER_DIR/exfil-milter.pid"
		echo "tag_rules_header = no"
		printf '%s\n' "$@"
	} >"$CONF.tmp" && chmod 0644 "$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
}

# set_policy STATEMENT...: the phase's policy block (none: no file)
set_policy() {
	local f=$RULES/zz-t-actions-phase.rules
	if (($# == 0)); then
		rm -f -- "$f"
		return 0
	fi
	{
		echo "# t-actions.sh: this phase's policy"
		echo "policy"
		printf '  %s\n' "$@"
		echo "end"
	} >"$f.tmp" && chmod 0644 "$f.tmp" && mv -f "$f.tmp" "$f"
}

mkdir -p "$RULES"
[[ -d $top_srcdir/rules ]] && cp -R -- "$top_srcdir/rules/." "$RULES/"
# markers of a category of their own: the default policy ignores them
cat >"$RULES/zz-t-actions.rules" <<'EOF'
# t-actions.sh: markers
rule test_reject_marker
  category   classification_marking
  pattern    /EXFIL-TEST-REJECT-[0-9]{6}/
  score      1
  example    "Status report EXFIL-TEST-REJECT-123456"
end
rule t_client
  category   t_marker
  pattern    /EXFIL-T-CLIENT-[0-9]{4}/
  example    "EXFIL-T-CLIENT-4711"
end
rule t_tempfail
  category   t_marker
  pattern    /EXFIL-T-TEMPFAIL-[0-9]{4}/
  example    "EXFIL-T-TEMPFAIL-0001"
end
policy
  when rule test_reject_marker then reject
end
EOF
chmod -R u=rwX,go=rX "$RULES"

# ------------------------------------------------------------ start up

write_conf "subject_prefix = $PREFIX" "tag_copy_to = $COPY"
if "$MILTER_BIN" -n -c "$CONF" >"$H/run/milter-n.log" 2>&1; then
	ok "exfil-milter -n accepts the test configuration and rules"
else
	not_ok "exfil-milter -n accepts the test configuration and rules"
	diag_file "$H/run/milter-n.log" 20
fi
h_postfix_setup "unix:$MSOCK"
h_sink_start || bail_out "smtp-sink did not start"
h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660 || bail_out "exfil-milter did not start"
h_postfix_start || bail_out "Postfix did not start"
diag "smtpd 127.0.0.1:$SMTP_PORT, smtp-sink 127.0.0.1:$SINK_PORT, milter pid $MILTER_PID"
MLOG=$H/run/milter.log

# reload DESC: SIGUSR1, wait for the milter to say it reloaded
_reload_seen() {
	(($(grep -cE 'reloaded |reload failed' "$MLOG") > $1))
}
reload() {
	local before
	before=$(grep -cE 'reloaded |reload failed' "$MLOG")
	kill -USR1 "$MILTER_PID" 2>/dev/null
	if h_wait_for 15 _reload_seen "$before" &&
	    [[ $(grep -E 'reloaded |reload failed' "$MLOG" | tail -n 1) == *reloaded* ]]; then
		ok "phase $1: milter reloaded"
		return 0
	fi
	not_ok "phase $1: milter reloaded"
	diag_file "$MLOG" 5
	return 1
}

# phase NAME [KEY=VALUE...] [-- POLICY-STATEMENT...]: configure, reload
phase() {
	local name=$1 keys=() pol=()
	shift
	while (($#)) && [[ $1 != -- ]]; do
		keys+=("$1")
		shift
	done
	(($#)) && shift
	pol=("$@")
	diag "---- phase $name: ${keys[*]:-(base keys)}${pol[*]:+; policy: ${pol[*]}}"
	set_policy "${pol[@]}"
	write_conf "${keys[@]}"
	reload "$name"
}

# --------------------------------------------------------------- helpers



# send TOKEN FILE [SWAKS-OPTION...] -- RCPT...: swaks the file; sets
#	SW_* (h_send) and counts what the client was told
send() {
	local tok=$1 file=$2 opts=() to
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	(($#)) && shift
	# one --to with a comma-separated list: swaks keeps only the last
	# of several --to options
	to=$(IFS=,; printf '%s' "$*")
	h_send "$tok" --from "$FROM" --to "$to" "${opts[@]}" --data "@$file"
	if [[ $SW_RC == 0 && -n $SW_QID ]]; then
		TOKS+=("$tok")
	elif grep -Eq '^<\*\* +5[0-9][0-9][ -]' <<<"$SW_REPLY"; then
		N_REJECTED=$((N_REJECTED + 1))
	elif grep -Eq '^<\*\* +4[0-9][0-9][ -]' <<<"$SW_REPLY"; then
		N_TEMPFAILED=$((N_TEMPFAILED + 1))
	else
		N_OTHER=$((N_OTHER + 1))
		diag "send $tok: neither accepted nor refused (swaks rc $SW_RC)"
		diag_file "$SW_OUT" 8
	fi
}

# wait_done: Postfix is done with SW_QID (delivered or discarded)
wait_done() {
	[[ $SW_RC == 0 && -n $SW_QID ]] || return 0
	h_wait_qid_gone "$SW_QID" 60 || diag "Postfix is not done with $SW_QID after 60 s"
}

# delivered TOKEN: set DFILES to the sink files holding TOKEN, DFILE to
#	the first
delivered() {
	DFILES=()
	mapfile -t DFILES < <(h_sink_find "$1")
	DFILE=${DFILES[0]:-}
}

accepted() {
	check '[[ $SW_RC == 0 && -n $SW_QID ]]' "$1: client got 250 (swaks rc $SW_RC, queued as ${SW_QID:-?})" ||
	    diag_file "$SW_OUT" 8
}

# hdr NAME: the values of header NAME of DFILE (one a line, unfolded)
hdr() {
	[[ -n $DFILE ]] || return 0
	h_headers "$DFILE" | sed -n "s/^$1: *//Ip"
}

# rcpts FILE: the envelope recipients the sink got, sorted, comma-joined
rcpts() {
	[[ -n $1 && -f $1 ]] || return 0
	tr -d '\r' <"$1" | sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sort | paste -sd, -
}

# sorted A B...: the words sorted and comma-joined
sorted() {
	printf '%s\n' "$@" | sort | paste -sd, -
}

# qfiles TOKEN: the quarantined .eml files holding TOKEN
qfiles() {
	grep -rlF --include='*.eml' -- "$1" "$QUARANTINE_DIR" 2>/dev/null
}

# nq: number of .eml files in quarantine_dir
nq() {
	h_count_files "$QUARANTINE_DIR" '*.eml'
}

# mlog QID: the milter's verdict line for that queue id
mlog() {
	grep -F -- "$1: action=" "$MLOG" | tail -n 1
}

# in_hold QID: the message is in Postfix's hold queue
in_hold() {
	grep -F "\"queue_id\": \"$1\"" < <(postqueue -c "$PF_CONF" -j 2>/dev/null) |
	    grep -qF '"queue_name": "hold"'
}

# n_hold: number of messages in the hold queue
n_hold() {
	grep -cF '"queue_name": "hold"' < <(postqueue -c "$PF_CONF" -j 2>/dev/null)
}

# only_hold_left: nothing but held mail in the queue
only_hold_left() {
	local out
	out=$(postqueue -c "$PF_CONF" -j 2>/dev/null) || return 1
	! grep -v '"queue_name": "hold"' <<<"$out" | grep -q .
}

# body_same FILE: the delivered body equals FILE's
body_same() {
	[[ -n $DFILE ]] && cmp -s <(h_body "$DFILE") <(h_body "$1")
}

# --------------------------------------------------------- test data

card=$(h_luhn_complete "4$(h_random_digits 14)")
h_luhn_valid "$card" || bail_out "Luhn generator is broken ($card)"
card_sp="${card:0:4} ${card:4:4} ${card:8:4} ${card:12:4}"
card_body="Hi,

please charge the order to my Visa card $card_sp, expiry 12/29.

Thanks, Alice"
cards=()
while ((${#cards[@]} < 10)); do
	c=$(h_luhn_complete "4$(h_random_digits 14)")
	case " ${cards[*]} " in *" $c "*) continue ;; esac
	cards+=("$c")
done
cards_body="Customer list:
$(for c in "${cards[@]}"; do printf 'card %s\n' "$c"; done)"

key=$H/run/key.pem
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$key" 2>"$H/run/openssl.log") || bail_out "openssl genpkey failed"
key_body="Here is the key for the new server:

$(cat "$key")

Alice"
marker=EXFIL-TEST-REJECT-$(h_random_digits 6)

# ====================================================== phase: tag

diag "---- phase tag: subject_prefix = $PREFIX, tag_copy_to = $COPY"

tok=$(newtok tag-card)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$card_body"
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "tag/card"
wait_done
delivered "$tok"
check '[[ ${#DFILES[@]} == 1 ]]' "tag/card: delivered once (${#DFILES[@]} copies: the copy to $COPY is the same message)"
check '[[ $(hdr X-Exfil-Verdict) == tag ]]' "tag/card: X-Exfil-Verdict: tag"
subj=$(hdr Subject)
check '[[ $subj == "$PREFIX e2e $tok" ]]' "tag/card: Subject is '$PREFIX e2e <token>' (got '$subj')"
rc_=$(rcpts "$DFILE")
check '[[ $rc_ == "$(sorted "$EXT" "$COPY")" ]]' "tag/card: envelope recipients $EXT and the copy $COPY (sink got: ${rc_:-none})"
check '[[ $(hdr To) == "<$EXT>" && -z $(hdr Cc) ]]' "tag/card: the copy is not visible in To/Cc"
check 'body_same "$H/run/$tok.eml"' "tag/card: body intact"

tok=$(newtok tag-clean)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "Lunch on Thursday? Nothing secret here."
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "tag/clean"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ -n $DFILE && $(hdr Subject) == "e2e $tok" && $rc_ == "$EXT" && -z $(hdr X-Exfil-Verdict) ]]' \
    "tag/clean: delivered with its Subject, to $EXT only, no verdict (sink got: ${rc_:-none})"

# inbound: all recipients internal -> not judged, even with a key
tok=$(newtok inbound)
mkmsg "$H/run/$tok.eml" "$INT" "$tok" "$key_body" "Cc: <$INT2>"
q0=$(nq)
send "$tok" "$H/run/$tok.eml" -- "$INT" "$INT2"
accepted "inbound/key"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ ${#DFILES[@]} == 1 && $rc_ == "$(sorted "$INT" "$INT2")" ]]' \
    "inbound/key: delivered to both internal recipients (sink got: ${rc_:-none})"
xh=$(hdr 'X-Exfil-[A-Za-z-]*')
check '[[ -n $DFILE && -z $xh && $(hdr Subject) == "e2e $tok" ]] && body_same "$H/run/$tok.eml"' \
    "inbound/key: unchanged: no X-Exfil-* header, no Subject prefix, body intact"
check '[[ $(nq) == "$q0" ]]' "inbound/key: nothing quarantined"
ml=$(mlog "${SW_QID:-none}")
check '[[ $ml == *"action=accept "*"outbound=no"*"reason=\"internal recipients only\""* ]]' \
    "inbound/key: milter log: action=accept outbound=no, not judged"
diag "milter: $ml"

tok=$(newtok store-key)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$key_body"
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "store/key"
wait_done
delivered "$tok"
check '[[ ${#DFILES[@]} == 0 ]] && h_log_has "${SW_QID:-none}: milter-discard"' \
    "store/key: not delivered, Postfix logged milter-discard"
mapfile -t qf < <(qfiles "$tok")
qmode=$( [[ -n ${qf[0]:-} ]] && stat -c %a -- "${qf[0]}")
check '[[ ${#qf[@]} == 1 && $qmode == 600 && -f ${qf[0]%.eml}.json ]]' \
    "store/key: stored once in quarantine_dir, mode 0600, with its .json (${#qf[@]} files, mode ${qmode:-none})"

tok=$(newtok reject)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "Status report, marking $marker, do not forward."
send "$tok" "$H/run/$tok.eml" -- "$EXT"
check '[[ $SW_RC == 26 && $SW_REPLY == *"550 5.7.1"*"(ref "* ]]' \
    "reject: client got 550 5.7.1 ... (ref ID) after DATA (swaks rc $SW_RC)" || diag_file "$SW_OUT" 8
diag "reject reply: $SW_REPLY"
sleep 0.5
delivered "$tok"
check '[[ ${#DFILES[@]} == 0 && -z $(qfiles "$tok") ]]' "reject: neither delivered nor quarantined"

# ====================================================== phase: hold

phase hold "quarantine_mode = hold"

tok=$(newtok hold-key)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$key_body"
q0=$(nq)
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "hold/key"
HOLD_KEEP_QID=$SW_QID
check 'h_wait_for 10 in_hold "$SW_QID"' "hold/key: ${SW_QID:-?} is in the hold queue (postqueue -j)"
check 'grep -Eq "^${SW_QID:-none}!" < <(postqueue -c "$PF_CONF" -p)' "hold/key: postqueue -p marks it ${SW_QID:-?}!"
check 'h_wait_for 10 h_log_has "${SW_QID:-none}: milter-hold: END-OF-MESSAGE .*milter triggers HOLD action"' \
    "hold/key: Postfix logged milter-hold"
held_h=$(postcat -c "$PF_CONF" -hq "$SW_QID" 2>/dev/null | tr -d '\r')
ref=$(sed -n 's/^X-Exfil-Ref: *//p' <<<"$held_h" | head -n 1)
ml=$(mlog "$SW_QID")
check 'grep -q "^X-Exfil-Verdict: quarantine$" <<<"$held_h" && [[ -n $ref && $ml == *"ref=$ref "* ]]' \
    "hold/key: held copy has X-Exfil-Verdict: quarantine and X-Exfil-Ref: $ref (the milter's ref)"
check '[[ $(nq) == "$q0" ]]' "hold/key: nothing written to quarantine_dir"
sleep 1
delivered "$tok"
check '[[ ${#DFILES[@]} == 0 ]]' "hold/key: not delivered"

tok=$(newtok hold-cards)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$cards_body"
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "hold/ten cards"
qid=$SW_QID
check 'h_wait_for 10 in_hold "$qid"' "hold/ten cards (default policy: quarantine at 10): ${qid:-?} held"
postsuper -c "$PF_CONF" -H "$qid" >"$H/run/postsuper.out" 2>&1
postqueue -c "$PF_CONF" -i "$qid" >>"$H/run/postsuper.out" 2>&1
h_wait_qid_gone "$qid" 60
delivered "$tok"
check '[[ ${#DFILES[@]} == 1 && $(hdr X-Exfil-Verdict) == quarantine && -n $(hdr X-Exfil-Ref) ]] && body_same "$H/run/$tok.eml"' \
    "hold/ten cards: released (postsuper -H, postqueue -i): delivered with X-Exfil-Verdict: quarantine, body intact" ||
    diag_file "$H/run/postsuper.out" 5

# ================================================== phase: redirect

phase redirect "quarantine_mode = redirect" "quarantine_redirect_to = $REDIR"

tok=$(newtok redirect)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$key_body" "Cc: <$EXT2>, <$INT>"
q0=$(nq)
h0=$(n_hold)
send "$tok" "$H/run/$tok.eml" -- "$EXT" "$EXT2" "$INT"
accepted "redirect/key"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ ${#DFILES[@]} == 1 && $rc_ == "$REDIR" ]]' \
    "redirect/key: delivered once, to $REDIR only (sink got: ${rc_:-none})"
orig=$(hdr X-Exfil-Original-Rcpt | sort | paste -sd, -)
check '[[ $orig == "$(sorted "$EXT" "$EXT2" "$INT")" ]]' \
    "redirect/key: one X-Exfil-Original-Rcpt per original recipient ($orig)"
check '[[ $(hdr X-Exfil-Verdict) == quarantine && -n $(hdr X-Exfil-Ref) ]]' \
    "redirect/key: X-Exfil-Verdict: quarantine and X-Exfil-Ref"
check '[[ $(hdr To) == "<$EXT>" ]] && body_same "$H/run/$tok.eml"' "redirect/key: To and body as sent"
check '[[ $(nq) == "$q0" && $(n_hold) == "$h0" ]]' "redirect/key: nothing in quarantine_dir or the hold queue"

# ===================================================== phase: split

phase split "split_recipients = yes"

tok=$(newtok split-key)
mkmsg "$H/run/$tok.eml" "$INT" "$tok" "$key_body" "Cc: <$EXT>"
send "$tok" "$H/run/$tok.eml" -- "$INT" "$EXT"
accepted "split/key to $INT + $EXT"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ ${#DFILES[@]} == 1 && $rc_ == "$INT" ]]' "split/key: delivered to the internal recipient only (sink got: ${rc_:-none})"
ref=$(hdr X-Exfil-Ref)
check '[[ $(hdr X-Exfil-Verdict) == quarantine && -n $ref ]]' "split/key: X-Exfil-Verdict: quarantine, X-Exfil-Ref: ${ref:-none}"
mapfile -t qf < <(qfiles "$tok")
check '[[ ${#qf[@]} == 1 && -n $ref && ${qf[0]##*/} == "$ref.eml" ]]' \
    "split/key: a copy is stored in quarantine_dir as <ref>.eml (${qf[*]##*/})"
check 'grep -q "${SW_QID:-none}: split: quarantine for 1 external recipient(s), delivered to 1 internal" "$MLOG"' \
    "split/key: the milter logged the split"

tok=$(newtok split-reject)
mkmsg "$H/run/$tok.eml" "$INT" "$tok" "Status report, marking $marker, do not forward." "Cc: <$EXT>"
send "$tok" "$H/run/$tok.eml" -- "$INT" "$EXT"
accepted "split/reject marker to $INT + $EXT (no 550)"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ $rc_ == "$INT" && $(hdr X-Exfil-Verdict) == reject && -n $(hdr X-Exfil-Ref) ]]' \
    "split/reject: delivered to $INT only with X-Exfil-Verdict: reject (sink got: ${rc_:-none})"
check '[[ -z $(qfiles "$tok") ]]' "split/reject: no quarantine copy"

tok=$(newtok split-extkey)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$key_body"
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "split/key to $EXT only"
wait_done
delivered "$tok"
check '[[ ${#DFILES[@]} == 0 && -n $(qfiles "$tok") ]] && h_log_has "${SW_QID:-none}: milter-discard"' \
    "split/key to external only: quarantined as usual (stored, discarded)"

tok=$(newtok split-extreject)
mkmsg "$H/run/$tok.eml" "$EXT2" "$tok" "Status report, marking $marker, do not forward."
send "$tok" "$H/run/$tok.eml" -- "$EXT2"
check '[[ $SW_RC == 26 && $SW_REPLY == *"550 5.7.1"* ]]' \
    "split/reject marker to external only: rejected as usual, 550 5.7.1 (swaks rc $SW_RC)"

tok=$(newtok split-card)
mkmsg "$H/run/$tok.eml" "$INT" "$tok" "$card_body" "Cc: <$EXT>"
send "$tok" "$H/run/$tok.eml" -- "$INT" "$EXT"
accepted "split/card to $INT + $EXT"
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ $rc_ == "$(sorted "$INT" "$EXT")" && $(hdr X-Exfil-Verdict) == tag ]]' \
    "split/card: a tag verdict is not split: both recipients, tagged (sink got: ${rc_:-none})"

phase split+hold "split_recipients = yes" "quarantine_mode = hold"

tok=$(newtok splithold-ext)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$key_body"
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "split+hold/key to $EXT only"
qid=$SW_QID
h_wait_for 5 in_hold "$qid"
sleep 0.5
check 'in_hold "$qid" && [[ -z $(qfiles "$tok") ]]' \
    "split+hold/key to external only: held as usual (quarantine_mode = hold), not stored (in hold: $(in_hold "$qid" && echo yes || echo no), stored: $(qfiles "$tok" | wc -l))" ||
    diag "milter: $(grep -F "$qid:" "$MLOG" | tail -n 2)"

tok=$(newtok splithold-mixed)
mkmsg "$H/run/$tok.eml" "$INT" "$tok" "$key_body" "Cc: <$EXT>"
send "$tok" "$H/run/$tok.eml" -- "$INT" "$EXT"
accepted "split+hold/key to $INT + $EXT"
qid=$SW_QID
wait_done
delivered "$tok"
rc_=$(rcpts "$DFILE")
check '[[ $rc_ == "$INT" && -n $(qfiles "$tok") ]] && ! in_hold "$qid"' \
    "split+hold/key mixed: split (to $INT only, copy stored, not held) (sink got: ${rc_:-none})"

# ================================================== phase: networks

CLIENT_POLICY=("when rule t_client client internal then tag"
	"when rule t_client client external then reject")

phase networks-in "internal_networks = 10.0.0.0/8, 127.0.0.0/8" -- "${CLIENT_POLICY[@]}"
tok=$(newtok net-in)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "Client marker EXFIL-T-CLIENT-4711."
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "networks/127.0.0.1 internal"
wait_done
delivered "$tok"
check '[[ ${#DFILES[@]} == 1 && $(hdr X-Exfil-Verdict) == tag ]]' \
    "networks: client 127.0.0.1 in internal_networks: 'client internal' holds: tagged"

phase networks-out "internal_networks = 10.0.0.0/8, ::1" -- "${CLIENT_POLICY[@]}"
tok=$(newtok net-out)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "Client marker EXFIL-T-CLIENT-4711."
send "$tok" "$H/run/$tok.eml" -- "$EXT"
check '[[ $SW_RC == 26 && $SW_REPLY == *"550 5.7.1"* ]]' \
    "networks: client 127.0.0.1 not in internal_networks: 'client external' holds: 550 5.7.1 (swaks rc $SW_RC)"

# =================================================== phase: monitor

phase monitor "monitor_mode = yes" "subject_prefix = $PREFIX" "tag_copy_to = $COPY"

# monitored NAME BODY ACTION: sent, delivered unchanged, logged
monitored() {
	local name=$1 body=$2 would=$3 tok ml hd rc_
	tok=$(newtok "mon-$name")
	mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$body"
	send "$tok" "$H/run/$tok.eml" -- "$EXT"
	accepted "monitor/$name"
	wait_done
	delivered "$tok"
	rc_=$(rcpts "$DFILE")
	hd=$(diff <(h_headers "$H/run/$tok.eml") <(h_headers "${DFILE:-/dev/null}" | grep -iv '^Received:'))
	check '[[ ${#DFILES[@]} == 1 && $rc_ == "$EXT" && -z $hd ]] && body_same "$H/run/$tok.eml"' \
	    "monitor/$name: delivered unchanged (headers but Received:, body, recipient $EXT only; sink got: ${rc_:-none})" ||
	    diag "$hd"
	ml=$(mlog "${SW_QID:-none}")
	check '[[ $ml == *"action=accept monitor=$would "*"reason=\"monitor mode\""* ]]' \
	    "monitor/$name: milter log says action=accept monitor=$would"
	diag "milter: $ml"
}
q0=$(nq)
monitored key "$key_body" quarantine
monitored card "$card_body" tag
monitored reject "Status report, marking $marker, do not forward." reject
check '[[ $(nq) == "$q0" ]]' "monitor: nothing quarantined"

# ================================================== phase: tempfail

phase tempfail -- "when rule t_tempfail then tempfail"
tok=$(newtok tempfail)
mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "Marker EXFIL-T-TEMPFAIL-0001."
send "$tok" "$H/run/$tok.eml" -- "$EXT"
check '[[ $SW_RC == 26 && -z $SW_QID && $SW_REPLY == *"451 4.7.1"*"(ref "* ]]' \
    "tempfail: client got 451 4.7.1 ... (ref ID) (swaks rc $SW_RC)" || diag_file "$SW_OUT" 6
diag "tempfail reply: $SW_REPLY"

phase tempfail-retry
send "$tok" "$H/run/$tok.eml" -- "$EXT"
accepted "tempfail/sent again without the tempfail policy"
wait_done
delivered "$tok"
check '[[ ${#DFILES[@]} == 1 ]]' "tempfail: the message sent again is delivered once"

# ====================================================== phase: sasl

AUTH_POLICY=("when category payment_card authenticated no then quarantine")
if [[ -n $SASL_WHY ]]; then
	skip "$SASL_WHY" "sasl: authenticated sender's card is tagged (tests/milter/t-actions.sh covers {auth_authen})"
	skip "$SASL_WHY" "sasl: unauthenticated sender's card is quarantined"
else
	phase sasl -- "${AUTH_POLICY[@]}"
	tok=$(newtok sasl-auth)
	mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$card_body"
	send "$tok" "$H/run/$tok.eml" --auth PLAIN --auth-user "$SASL_USER" --auth-password "$SASL_PASS" -- "$EXT"
	check 'grep -q "^<- *235 " "$SW_OUT" && [[ $SW_RC == 0 && -n $SW_QID ]]' \
	    "sasl: AUTH PLAIN as $SASL_USER accepted (235), message queued as ${SW_QID:-?}" || diag_file "$SW_OUT" 10
	wait_done
	delivered "$tok"
	check 'h_log_has "${SW_QID:-none}: client=.*sasl_method=PLAIN, sasl_username=$SASL_USER"' \
	    "sasl: Postfix logged sasl_username=$SASL_USER"
	check '[[ ${#DFILES[@]} == 1 && $(hdr X-Exfil-Verdict) == tag && -z $(qfiles "$tok") ]]' \
	    "sasl: authenticated sender's card: 'authenticated no' does not hold: tagged, delivered"
	tok=$(newtok sasl-anon)
	mkmsg "$H/run/$tok.eml" "$EXT" "$tok" "$card_body"
	send "$tok" "$H/run/$tok.eml" -- "$EXT"
	accepted "sasl/unauthenticated"
	wait_done
	delivered "$tok"
	check '[[ ${#DFILES[@]} == 0 && -n $(qfiles "$tok") ]] && h_log_has "${SW_QID:-none}: milter-discard"' \
	    "sasl: unauthenticated sender's card: quarantined (stored, discarded)"
fi

# ===================================================== nothing leaks

keyline=$(sed -n 2p "$key")
check '! grep -qE -- "$card|$card_sp|$marker|${cards[0]}" "$MLOG" "$PF_LOG" && [[ -n $keyline ]] && ! grep -qF -- "$keyline" "$MLOG" "$PF_LOG"' \
    "logs (milter, Postfix) hold no card number, marker or key material"
check '[[ -z $(ls -A "$SPOOL_DIR") ]]' "spool_dir is empty"

# ========================================================== counting

h_wait_for 60 only_hold_left || diag "queue still busy: $(postqueue -c "$PF_CONF" -p | tail -n 3)"
# the headers of every held message (they hold the Message-ID token)
held_text=$(for q in $(postqueue -c "$PF_CONF" -j 2>/dev/null |
    sed -n 's/.*"queue_id": *"\([0-9A-Za-z]*\)".*/\1/p'); do
	postcat -c "$PF_CONF" -hq "$q" 2>/dev/null
done)
n_deliv=0 n_quar=0 n_split=0 lost=()
declare -A seen=()
for t in "${TOKS[@]}"; do
	[[ -n ${seen[$t]:-} ]] && continue
	seen[$t]=1
	if [[ -n $(h_sink_find "$t") ]]; then
		n_deliv=$((n_deliv + 1))
		[[ -n $(qfiles "$t") ]] && n_split=$((n_split + 1))
	elif [[ -n $(qfiles "$t") ]]; then
		n_quar=$((n_quar + 1))
	elif ! grep -qF -- "$t" <<<"$held_text"; then
		lost+=("$t")
	fi
done
n_held=$(n_hold)
n_files=$(h_sink_count)
check '[[ ${#lost[@]} == 0 ]]' "counting: every accepted message is delivered, quarantined or held (lost: ${lost[*]:-none})"
check '[[ $n_files == "$n_deliv" ]]' "counting: no message delivered twice ($n_files sink files, $n_deliv messages)"
check 'in_hold "${HOLD_KEEP_QID:-none}"' "counting: the held key ${HOLD_KEEP_QID:-?} is still in the hold queue"
check '[[ $N_OTHER == 0 && $H_SENT == $((n_deliv + n_quar + n_held + N_REJECTED + N_TEMPFAILED)) ]] && only_hold_left' \
    "counting: sent $H_SENT == delivered $n_deliv + quarantined $n_quar + held $n_held + rejected $N_REJECTED + tempfailed-then-retried $N_TEMPFAILED (of the delivered, $n_split split with a quarantine copy); only held mail left in the queue"

diag "t-actions.sh: $((SECONDS - T0)) s before teardown"
done_testing
