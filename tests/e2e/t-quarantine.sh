#!/bin/bash
#
# NAME
#	t-quarantine.sh - the quarantine end to end: store encrypted, list,
#	show, release once through the milter, delete, purge, tamper, crash
# SYNOPSIS
#	[top_builddir=DIR] [top_srcdir=DIR] tests/e2e/t-quarantine.sh
# DESCRIPTION
#	A private Postfix with exfil-milter (harness.sh) and a quarantine
#	encrypted to an X25519 key made here by openssl, with release tokens
#	and release_via pointing back at the same Postfix port, so that a
#	released message passes the milter again:
#	  * a message with a private key and a card number in its Subject is
#	    quarantined: one sealed message and one metadata file, 0600 in
#	    0700 folders; grep -r finds neither the key nor the card in the
#	    quarantine folder; the milter's user cannot decrypt it;
#	  * list --json names it (id, sender, recipients, categories,
#	    status); show prints the metadata; show --message (root, with
#	    the private key) gives back the body as sent;
#	  * release: exit 0, the sink gets it exactly once with its original
#	    body and without the token header, the milter logs the token and
#	    nothing new is quarantined; a second release is refused; the
#	    history names the reviewer and the reason;
#	  * a token is honoured once: the same tokened message sent again is
#	    quarantined, sent to another recipient is quarantined, and a
#	    forged token is ignored;
#	  * tampered and truncated entries are reported, not shown;
#	  * delete keeps the record with status deleted; purge removes it;
#	  * quarantine_min_free above the free space: tempfail, logged crit;
#	  * SIGKILL of the milter during a burst of quarantined messages:
#	    every message the client saw accepted is in the quarantine and
#	    opens intact; every other one was refused with a 4xx.
#	TAP output.

set -u -o pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd -- "$here/../.." && pwd)
# shellcheck source=harness.sh
. "$here/harness.sh"

[[ $(id -u) == 0 ]] || skip_all "needs root (private Postfix instance, privilege drop)"
lacking=$(h_missing_tools postfix postqueue postconf smtp-sink swaks openssl runuser python3)
[[ -z $lacking ]] || skip_all "missing programs: $lacking"
getent passwd postfix >/dev/null || skip_all "no user postfix (install the postfix package)"

top_builddir=$(cd -- "${top_builddir:-$tree}" && pwd) || bail_out "bad top_builddir"
top_srcdir=$(cd -- "${top_srcdir:-$tree}" && pwd) || bail_out "bad top_srcdir"
MILTER_BIN=$top_builddir/milter/exfil-milter
QBIN=$top_builddir/milter/exfil-quarantine
[[ -x $MILTER_BIN && -x $QBIN ]] || bail_out "programs not built (run make first)"

h_init "$top_srcdir"
diag "test folder $H"

EXT=rcpt@example.net
EXT2=other@example.org
FROM=alice@corp.example
MSOCK=$MILTER_DIR/milter.sock
CONF=$H/exfil-milter.conf
KEYS=$H/keys
install -d -m 0755 "$KEYS"
openssl genpkey -algorithm X25519 -out "$KEYS/q.key" 2>/dev/null &&
	openssl pkey -in "$KEYS/q.key" -pubout -out "$KEYS/q.pub" 2>/dev/null ||
	bail_out "openssl cannot make an X25519 key"
chmod 0600 "$KEYS/q.key"
chmod 0644 "$KEYS/q.pub"
openssl rand -hex 32 >"$KEYS/release.key"
chown root:postfix "$KEYS/release.key" && chmod 0640 "$KEYS/release.key"
openssl rand -hex 32 >"$KEYS/audit.key"
chown root:postfix "$KEYS/audit.key" && chmod 0640 "$KEYS/audit.key"
install -d -m 0700 -o postfix "$H/audit"

# the milter reloads as its user: rules it can read (a clone may be 0700)
RULES=$H/rules
mkdir -p "$RULES" && cp -R -- "$top_srcdir/rules/." "$RULES/" &&
	chmod -R u=rwX,go=rX "$RULES" || bail_out "cannot copy the rules"
# and the tool where that user may run it
install -d -m 0755 "$H/bin" && install -m 0755 "$QBIN" "$H/bin/" ||
	bail_out "cannot copy exfil-quarantine"
PUB=$KEYS/q.pub PRIVS=$KEYS/q.key
write_conf() {
	{
		echo "socket = unix:$MSOCK"
		echo "socket_mode = 0660"
		echo "socket_group = postfix"
		echo "user = postfix"
		echo "rules_dir = $RULES"
		echo "internal_domains = corp.example"
		echo "quarantine_dir = $QUARANTINE_DIR"
		echo "spool_dir = $SPOOL_DIR"
		echo "pid_file = $MILTER_DIR/exfil-milter.pid"
		echo "quarantine_public_key = $PUB"
		echo "quarantine_private_key = $PRIVS"
		echo "release_secret_file = $KEYS/release.key"
		echo "release_via = smtp:127.0.0.1:$SMTP_PORT"
		echo "audit_log = $H/audit/audit.json"
		echo "audit_key_file = $KEYS/audit.key"
		printf '%s\n' "$@"
	} >"$CONF.tmp" && chmod 0644 "$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
}

h_postfix_setup "unix:$MSOCK"
h_sink_start || bail_out "smtp-sink did not start"
write_conf
h_milter_start "$MILTER_BIN" "$CONF" "unix:$MSOCK" 660 || bail_out "exfil-milter did not start"
h_postfix_start || bail_out "Postfix did not start"
MLOG=$H/run/milter.log
Q() { "$QBIN" -c "$CONF" "$@"; }
# reload: SIGUSR1, then wait until the milter says it reloaded
_reloads() { grep -c 'reloaded ' "$MLOG"; }
_reloaded_since() { (($(_reloads) > $1)); }
reload() {
	local before
	before=$(_reloads)
	kill -USR1 "$MILTER_PID"
	h_wait_for 15 _reloaded_since "$before" || diag "the milter did not reload: $(tail -n 2 "$MLOG")"
}

# a message with a real key (made here) and a card number in its Subject
CARD=$(h_luhn_complete "4$(h_random_digits 14)")
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null >"$H/run/secret.pem"
KEYLINE=$(sed -n 2p "$H/run/secret.pem")
mkmsg() { # FILE TOKEN TO SUBJECT
	{
		printf 'From: Alice <%s>\r\nTo: <%s>\r\nSubject: %s\r\n' "$FROM" "$3" "$4"
		printf 'Message-ID: <%s@corp.example>\r\nDate: %s\r\n\r\n' "$2" "$(date -R)"
		printf 'Token %s. The key, as promised:\r\n' "$2"
		sed 's/$/\r/' "$H/run/secret.pem"
		printf '.leading dot line stays\r\nbye\r\n'
	} >"$1"
}

# ------------------------------------------------------------- store
tok=t$$-held-$RANDOM
mkmsg "$H/run/held.eml" "$tok" "$EXT" "invoice card $CARD"
h_send held --from "$FROM" --to "$EXT" --data "@$H/run/held.eml"
check '[[ $SW_RC == 0 && -n $SW_QID ]]' "key message accepted (250, queued as ${SW_QID:-?})"
h_wait_qid_gone "$SW_QID" 60
check '[[ -z $(h_sink_find "$tok") ]]' "key message not delivered"
check '[[ $(h_count_files "$QUARANTINE_DIR" "*.eml.sealed") == 1 && $(h_count_files "$QUARANTINE_DIR" "*.json") == 1 && $(h_count_files "$QUARANTINE_DIR" "*.eml") == 0 ]]' \
    "one sealed message and one metadata record, no clear copy"
sealed=$(find "$QUARANTINE_DIR" -name '*.eml.sealed' | head -n 1)
ID=$(basename "$sealed" .eml.sealed)
check '[[ $ID =~ ^[0-9A-F]{20}$ && $sealed == $QUARANTINE_DIR/$(date -u +%Y/%m/%d)/$ID.eml.sealed ]]' \
    "entry named by its 20-digit id in today's folder ($ID)"
modes=$(find "$QUARANTINE_DIR" -mindepth 1 -not -name '.*' -printf '%y%m %u\n' | sort -u | paste -sd' ')
check '[[ $modes == "d700 postfix f600 postfix" ]]' "files 0600, folders 0700, owned by the milter's user ($modes)"
check '! grep -rqF -- "$KEYLINE" "$QUARANTINE_DIR" && ! grep -rqF -- "$CARD" "$QUARANTINE_DIR"' \
    "grep -r finds neither the private key nor the card number in the quarantine"
check '! grep -rqF -- "Token $tok" "$QUARANTINE_DIR"/????/' "not even the body's text (the message is encrypted)"
out=$(runuser -u postfix -- "$H/bin/exfil-quarantine" -c "$CONF" show "$ID" --message 2>&1)
rc=$?
check '[[ $rc != 0 && $out != *"$KEYLINE"* && $out == *"encrypted"* ]]' \
    "the milter's user cannot decrypt what it wrote (rc $rc: ${out##*: })"

# ------------------------------------------------------- list, show
Q list --json >"$H/run/list.json" 2>"$H/run/list.err"
check 'python3 - "$H/run/list.json" "$ID" "$FROM" "$EXT" <<"EOF"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, rows
r = rows[0]
assert r["id"] == sys.argv[2] and r["sender"] == sys.argv[3], r
assert r["recipients"] == [sys.argv[4]] and r["status"] == "held", r
assert "private_key" in r["categories"], r
assert sys.argv[1] not in r["subject"]
EOF' "list --json: one entry with id, sender, recipients, categories (private_key), status held"
check '[[ $(Q list --json --category payment_card | wc -l) == 0 || $(Q list --json --category private_key | wc -l) == 1 ]] && [[ $(Q list --json --sender nobody@x.example | wc -l) == 0 && $(Q list --json --recipient RCPT@EXAMPLE.NET | wc -l) == 1 ]]' \
    "list filters by category, sender and recipient"
Q show "$ID" >"$H/run/show.txt" 2>&1
check 'grep -q "^Status: *held" "$H/run/show.txt" && grep -q "^Finding: .*private_key" "$H/run/show.txt" && ! grep -qF -- "$CARD" "$H/run/show.txt"' \
    "show: status, findings, the Subject's card masked"
Q show "$ID" --message >"$H/run/shown.eml" 2>"$H/run/shown.err"
check 'diff <(h_body "$H/run/held.eml") <(h_body "$H/run/shown.eml") >/dev/null' \
    "show --message (root, private key): the body exactly as sent"

# ------------------------------------------------------------- release
n_sink=$(h_sink_count)
Q --reviewer analyst1 release "$ID" --reason "approved by the data owner" >"$H/run/rel.out" 2>&1
rc=$?
check '[[ $rc == 0 ]]' "release exits 0 once the MTA accepted it ($(head -c 200 "$H/run/rel.out"))"
h_wait_sink_count $((n_sink + 1)) 60
sleep 1
mapfile -t got < <(h_sink_find "$tok")
check '[[ ${#got[@]} == 1 ]]' "released message arrives at the sink exactly once (${#got[@]})"
check '[[ -n ${got[0]:-} ]] && diff <(h_body "$H/run/held.eml") <(h_body "${got[0]}") >/dev/null' \
    "released message has its original body"
check '[[ -n ${got[0]:-} ]] && ! grep -qi "^X-Exfil-Release:" "${got[0]}" && [[ $(tr -d "\r" <"${got[0]}" | sed -n "s/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p") == "$EXT" ]]' \
    "delivered to the original recipient, the token header removed"
check 'grep -q "released message with a valid token" "$MLOG"' "the milter honoured the token and logged it"
check '[[ $(h_count_files "$QUARANTINE_DIR" "*.json") == 1 ]]' "not quarantined again"
check '[[ $(Q show "$ID" --json | python3 -c "import json,sys; m=json.load(sys.stdin); h=m[\"history\"][-1]; print(m[\"status\"], h[\"action\"], h[\"by\"], h[\"reason\"])") == "released release analyst1 approved by the data owner" ]]' \
    "status released; the history records who released it and why"
Q release "$ID" >"$H/run/rel2.out" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "not held" "$H/run/rel2.out"' "a second release is refused"

# ------------------------------------------------ tokens: once, bound
# the same entry released with its token straight to the sink (no
# milter on the way): that copy is what an attacker could replay
write_conf "release_via = smtp:127.0.0.1:$SINK_PORT"
n_sink=$(h_sink_count)
Q release "$ID" --force >/dev/null 2>&1
h_wait_sink_count $((n_sink + 1)) 30
copy=$(ls -t "$SINK_DIR"/m.* | head -n 1)
tr -d '\r' <"$copy" | grep -Eiv '^(X-Client-Addr|X-Client-Proto|X-Helo-Args|X-Mail-Args|X-Rcpt-Args):' |
	sed 's/$/\r/' >"$H/run/tokened.eml"
check 'grep -q "^X-Exfil-Release: v=1; exp=" "$H/run/tokened.eml"' "the release adds a token header"
write_conf
nq0=$(h_count_files "$QUARANTINE_DIR" "*.json")
h_send replay1 --from "$FROM" --to "$EXT2" --data "@$H/run/tokened.eml"
h_wait_qid_gone "$SW_QID" 60
check '[[ $(h_count_files "$QUARANTINE_DIR" "*.json") == $((nq0 + 1)) ]] && grep -q "ignored a release token: release token does not match" "$MLOG"' \
    "a token copied onto another recipient is ignored: quarantined"
n_sink=$(h_sink_count)
h_send replay2 --from "$FROM" --to "$EXT" --data "@$H/run/tokened.eml"
h_wait_sink_count $((n_sink + 1)) 60
check '[[ $(h_sink_count) == $((n_sink + 1)) ]]' "the token's first use, for its recipients: delivered"
h_send replay3 --from "$FROM" --to "$EXT" --data "@$H/run/tokened.eml"
h_wait_qid_gone "$SW_QID" 60
check '[[ $(h_sink_count) == $((n_sink + 1)) && $(h_count_files "$QUARANTINE_DIR" "*.json") == $((nq0 + 2)) ]] && grep -q "release token already used" "$MLOG"' \
    "used again: ignored, quarantined"
sed "s/mac=[0-9a-f]*/mac=$(printf '0%.0s' {1..64})/" "$H/run/tokened.eml" >"$H/run/forged.eml"
h_send forged --from "$FROM" --to "$EXT" --data "@$H/run/forged.eml"
h_wait_qid_gone "$SW_QID" 60
check '[[ $(h_count_files "$QUARANTINE_DIR" "*.json") == $((nq0 + 3)) ]]' "a forged token is ignored: quarantined"

# ------------------------------------------------------- key rotation
openssl genpkey -algorithm X25519 -out "$KEYS/q2.key" 2>/dev/null
openssl pkey -in "$KEYS/q2.key" -pubout -out "$KEYS/q2.pub" 2>/dev/null
chmod 0600 "$KEYS/q2.key"
PUB=$KEYS/q2.pub PRIVS="$KEYS/q2.key, $KEYS/q.key"
write_conf
reload
rtok=t$$-rotated-$RANDOM
mkmsg "$H/run/rot.eml" "$rtok" "$EXT" "after the rotation"
h_send rotated --from "$FROM" --to "$EXT" --data "@$H/run/rot.eml"
h_wait_qid_gone "$SW_QID" 60
RID=$(grep -rlF --include='*.json' -- "$rtok@" "$QUARANTINE_DIR" | head -n 1)
RID=$(basename "${RID:-none}" .json)
k1=$(Q show "$ID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
k2=$(Q show "$RID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
check '[[ -n $k1 && -n $k2 && $k1 != "$k2" ]]' "after a key rotation new entries name the new key id"
check 'Q show "$RID" --message | grep -qF "Token $rtok." && Q show "$ID" --message | grep -qF "Token $tok."' \
    "with both private keys listed, old and new entries open"
out=$("$QBIN" -c "$CONF" -k "$KEYS/q2.key" show "$ID" --message 2>&1)
check '[[ $out == *"encrypted to key id ${k1:0:16}"* ]]' "with only the new key, an old entry names the key it needs"

# ------------------------------------------------ tamper, delete, purge
mapfile -t ids < <(Q list --json --status held | python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in sys.stdin]')
T1=${ids[0]:-none} T2=${ids[1]:-none}
f1=$(find "$QUARANTINE_DIR" -name "$T1.eml.sealed")
f2=$(find "$QUARANTINE_DIR" -name "$T2.eml.sealed")
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$f1"
truncate -s -40 "$f2"
out1=$(Q show "$T1" --message 2>&1)
rc1=$?
out2=$(Q show "$T2" --message 2>&1)
rc2=$?
check '[[ $rc1 == 1 && $out1 == *altered* && $out1 != *"$KEYLINE"* && $(wc -l <<<"$out1") == 1 ]]' "altered entry: one line naming it altered, nothing shown"
check '[[ $rc2 == 1 && $out2 == *truncated* && $out2 != *"$KEYLINE"* ]]' "truncated entry: reported, not shown"
Q delete "$T1" --reason "spam" >/dev/null 2>&1
rc=$?
check '[[ $rc == 0 && ! -e $f1 && $(Q show "$T1" --json | python3 -c "import json,sys; m=json.load(sys.stdin); print(m[\"status\"], m[\"history\"][-1][\"action\"])") == "deleted delete" ]]' \
    "delete removes the message and keeps the record, status deleted"
n_all=$(Q list --json | wc -l)
sleep 1
Q purge --older-than 0 >"$H/run/purge.out" 2>&1
rc=$?
check '[[ $rc == 0 && $(Q list --json | wc -l) == 0 && $n_all -ge 4 && $(find "$QUARANTINE_DIR" -name "*.json" -o -name "*.eml*" | wc -l) == 0 ]]' \
    "purge --older-than 0 removes all $n_all entries"

# ------------------------------------------------------- audit trail
"$QBIN" -c "$CONF" audit-verify >"$H/run/verify.out" 2>&1
rc=$?
check '[[ $rc == 0 ]]' "exfil-quarantine audit-verify: the chain of milter and review records is intact"
check 'python3 - "$H/audit/audit.json" "$ID" <<"EOF"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
acts = [(r.get("event.action"), r.get("user.name")) for r in recs if sys.argv[2] in json.dumps(r)]
assert ("release", "analyst1") in acts, acts
EOF' "the audit log records the release of $ID by analyst1"
python3 - "$H/audit/audit.json" "$H/run/audit.bad" <<'EOF'
import sys
l = open(sys.argv[1]).readlines(); l[1], l[2] = l[2], l[1]; open(sys.argv[2], "w").writelines(l)
EOF
"$QBIN" -c "$CONF" audit-verify "$H/run/audit.bad" >"$H/run/verify.bad" 2>&1
rc=$?
check '[[ $rc == 1 ]] && grep -q "audit.bad:2:" "$H/run/verify.bad"' "audit-verify names the first of two swapped records ($(tail -n 1 "$H/run/verify.bad"))"

# ------------------------------------------------------ capacity guard
write_conf "quarantine_min_free = 99"
reload
h_send full --from "$FROM" --to "$EXT" --data "@$H/run/held.eml"
check 'grep -Eq "^<\*\* +451" <<<"$SW_REPLY" && grep -q "quarantine nearly full" "$MLOG" && [[ $(h_count_files "$QUARANTINE_DIR" "*.json") == 0 ]]' \
    "quarantine_min_free not met: 451 tempfail, logged, nothing stored"
write_conf
reload

# --------------------------------------------------- crash in a burst
N=30
pids=()
for i in $(seq 1 $N); do
	mkmsg "$H/run/burst$i.eml" "t$$-burst-$i" "$EXT" "burst $i"
	( timeout 120 swaks --server "127.0.0.1:$SMTP_PORT" --timeout 60 --helo client.harness.test \
	    --from "$FROM" --to "$EXT" --data "@$H/run/burst$i.eml" >"$H/run/burst$i.out" 2>&1 ) &
	pids+=($!)
done
# kill as soon as a few are stored: the rest are in flight
_some_stored() { (($(h_count_files "$QUARANTINE_DIR" "*.json") >= 3)); }
h_wait_for 60 _some_stored
h_milter_stop KILL
wait "${pids[@]}"
acc=0 tf=0 other=0
for i in $(seq 1 $N); do
	if grep -Eq '^<- +250 .*queued as' "$H/run/burst$i.out"; then
		acc=$((acc + 1))
	elif grep -Eq '^<\*\* +4[0-9][0-9]' "$H/run/burst$i.out"; then
		tf=$((tf + 1))
	else
		other=$((other + 1))
	fi
done
diag "burst: $acc accepted, $tf tempfailed, $other other"
# each accepted message, by its Message-ID: stored and intact; a
# message stored just before the kill may have been tempfailed (it is
# then held twice once the client retries: never lost)
found=0 stored=0 intact=0
for i in $(seq 1 $N); do
	grep -Eq '^<- +250 .*queued as' "$H/run/burst$i.out" || continue
	j=$(grep -rlF --include='[0-9A-F]*.json' -- "t$$-burst-$i@" "$QUARANTINE_DIR" | head -n 1)
	[[ -n $j ]] || continue
	found=$((found + 1))
	Q show "$(basename "$j" .json)" --message 2>/dev/null | grep -qF -- "Token t$$-burst-$i." && intact=$((intact + 1))
done
for j in $(find "$QUARANTINE_DIR" -name '[0-9A-F]*.json'); do
	stored=$((stored + 1))
done
check '[[ $other == 0 && $((acc + tf)) == $N && $found == $acc && $intact == $acc && $acc -gt 0 && $tf -gt 0 ]]' \
    "SIGKILL in a burst: every accepted message is in the quarantine and opens intact ($acc accepted, $found found, $intact intact; $tf tempfailed, $stored stored)"
# a kill between the message file and its record leaves a message
# without a record: never listed, never one the client saw accepted, and
# swept by purge once it is an hour old
norec=0
for f in $(find "$QUARANTINE_DIR" -name '*.eml.sealed'); do
	[[ -e ${f%.eml.sealed}.json ]] || norec=$((norec + 1))
done
check '[[ $(find "$QUARANTINE_DIR" -name "*.eml.sealed" | wc -l) == $((stored + norec)) && $norec -le $tf && $(Q list --json | wc -l) == $stored ]]' \
    "every record has its message; $norec message(s) without a record (killed mid-write) are not listed"
# and one of each kind made here, so that the sweep has work for sure
today=$QUARANTINE_DIR/$(date -u +%Y/%m/%d)
printf 'x' >"$today/$(printf '%08X' "$(date +%s)")0123456789AB.eml.sealed"
printf 'x' >"$today/.tmp.0123.json"
printf 'x' >"$today/$(printf '%08X' "$(date +%s)")0123456789AC.eml"
touch -d '-1 minute' "$today/$(printf '%08X' "$(date +%s)")0123456789AC.eml"
young=$today/$(printf '%08X' "$(date +%s)")0123456789AC.eml
find "$QUARANTINE_DIR" -type f ! -path "$young" -newermt '-1 hour' -exec touch -d '-2 hours' {} +
Q purge --older-than 3650 >"$H/run/sweep.out" 2>&1
check '[[ $(find "$QUARANTINE_DIR" -name "*.eml.sealed" | wc -l) == $stored && $(Q list --json | wc -l) == $stored && ! -e $today/.tmp.0123.json && -e $young ]]' \
    "purge sweeps what interrupted writes left, keeps every entry ($(tail -n 1 "$H/run/sweep.out"))"

done_testing
