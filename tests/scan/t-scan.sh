#!/bin/bash
# t-scan.sh - exfil-scan's contract: one JSON object per file on one line,
# exit 0/1/2, findings with provenance and masked evidence, part hashes.
# Messages are built by Python's email package (tests/scan/mkmsg.py).
. "$(dirname "$0")/../tap.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mk="/usr/bin/python3 $top_srcdir/tests/scan/mkmsg.py"
scan() { "$EXFIL_SCAN" -r "$top_srcdir/rules" --json "$@"; }

card=$(luhn_number 4 16)
spaced="${card:0:4} ${card:4:4} ${card:8:4} ${card:12:4}"
masked="${card:0:4}********${card:12:4}"

# clean
$mk "$T/clean.eml" clean
scan "$T/clean.eml" >"$T/out" 2>"$T/err"
rc=$?
check "clean: exit 0" [ $rc -eq 0 ]
check "clean: one line of output" [ "$(wc -l <"$T/out")" -eq 1 ]
check "clean: action accept" [ "$(json_get "$T/out" 'j["action"]')" = accept ]
check "clean: no matches" [ "$(json_get "$T/out" 'len(j["matches"])')" = 0 ]
check "clean: file named" [ "$(json_get "$T/out" 'j["file"]')" = "$T/clean.eml" ]
check "clean: nothing on stderr" [ ! -s "$T/err" ]

# each carrier of a card number: action, category, where, masked evidence
carrier() { # carrier KIND WHERE-PREFIX VALUE
	$mk "$T/$1.eml" "$1" "$3"
	scan "$T/$1.eml" >"$T/$1.out"
	local rc=$?
	check "$1: exit 1 (not accepted)" [ $rc -eq 1 ]
	check "$1: action tag" [ "$(json_get "$T/$1.out" 'j["action"]')" = tag ]
	check "$1: payment_card found" [ "$(json_get "$T/$1.out" '[m["category"] for m in j["matches"]]')" = "['payment_card']" ]
	local where
	where=$(json_get "$T/$1.out" 'j["matches"][0]["where"]')
	check "$1: where is $2... (got $where)" [ "${where#"$2"}" != "$where" ]
	check "$1: evidence masked" [ "$(json_get "$T/$1.out" 'j["matches"][0]["evidence"][0]')" = "$masked" ]
	check "$1: the number appears nowhere in the output" \
		bash -c "! grep -q '$card' '$T/$1.out' && ! grep -q '$spaced' '$T/$1.out'"
}
carrier body "body:text/plain" "$spaced"
carrier html "body:text/html" "$card"
carrier attach "attachment:export.csv" "$card"
carrier forward "message:fwd.eml!attachment:plan.csv" "$card"
carrier subject2047 "header:Subject" "$spaced"
check "subject2047: the Subject really is RFC 2047 encoded" grep -q '^Subject: =?utf-8?B?' "$T/subject2047.eml"
check "subject2047: no digit of the card in the raw Subject" bash -c "! grep -q '^Subject:.*${card:0:4}' '$T/subject2047.eml'"

# a uuencoded file inside a text body (uuencode from sharutils)
if command -v uuencode >/dev/null; then
	printf 'name,card\nbob,%s\n' "$card" >"$T/cards.csv"
	{
		printf 'From: a@example.com\nTo: b@partner.example\nSubject: uu\n\nhere:\n\n'
		(cd "$T" && uuencode cards.csv cards.csv)
		printf '\nbye\n'
	} >"$T/uu.eml"
	scan "$T/uu.eml" >"$T/uu.out"
	check "uuencode: card found in the uuencoded file" \
		[ "$(json_get "$T/uu.out" '[m["where"] for m in j["matches"]]')" = "['attachment:cards.csv']" ]
	check "uuencode: decoded part has the file's SHA-256" \
		[ "$(json_get "$T/uu.out" '[p["sha256"] for p in j["parts"] if p["where"]=="attachment:cards.csv"][0]')" = "$(sha256sum <"$T/cards.csv" | cut -d' ' -f1)" ]
else
	skip "uuencode" "uuencode (sharutils) not installed"
fi

# a token inside random binary bytes is found through printable runs
aws="AKIA$(head -c 4000 /dev/urandom | tr -dc 'A-Z2-7' | head -c 16)"
$mk "$T/binary.eml" binary "aws_access_key_id=$aws"
scan "$T/binary.eml" >"$T/binary.out"
check "binary: AWS key id found in a binary attachment" \
	[ "$(json_get "$T/binary.out" '"aws_access_key_id" in [m["rule"] for m in j["matches"]]')" = True ]
check "binary: quarantined (secret_token)" [ "$(json_get "$T/binary.out" 'j["action"]')" = quarantine ]

# parts: type from libmagic, size and SHA-256 of the decoded attachment
printf 'name,card\nalice,%s\n' "$card" >"$T/export.csv"
want=$(sha256sum "$T/export.csv" | cut -d' ' -f1)
got=$(json_get "$T/attach.out" '[p["sha256"] for p in j["parts"] if p["where"]=="attachment:export.csv"][0]')
check "parts: sha256 of the decoded attachment" [ "$got" = "$want" ]
got=$(json_get "$T/attach.out" '[p["size"] for p in j["parts"] if p["where"]=="attachment:export.csv"][0]')
check "parts: size of the decoded attachment" [ "$got" = "$(stat -c %s "$T/export.csv")" ]
got=$(json_get "$T/binary.out" '[p["type"] for p in j["parts"] if p["where"]=="attachment:blob.bin"][0]')
check "parts: libmagic type of random bytes is application/octet-stream" [ "$got" = application/octet-stream ]

# several files: one line each, exit status is the worst
scan "$T/clean.eml" "$T/body.eml" "$T/clean.eml" >"$T/multi" 2>/dev/null
rc=$?
check "three files: three lines" [ "$(wc -l <"$T/multi")" -eq 3 ]
check "three files: exit 1" [ $rc -eq 1 ]
check "three files: every line parses as JSON" \
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/multi"

# an unreadable file: exit 2, one line on stderr naming it, still one object
scan "$T/clean.eml" "$T/missing.eml" >"$T/out" 2>"$T/err"
rc=$?
check "missing file: exit 2" [ $rc -eq 2 ]
check "missing file: one stderr line naming it" \
	bash -c "[ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'missing.eml: No such file' '$T/err'"
check "missing file: one JSON object per input" [ "$(wc -l <"$T/out")" -eq 2 ]

# any bytes at all are a message: empty, binary junk, no headers
: >"$T/empty"
head -c 5000 /dev/urandom >"$T/junk"
printf 'no header here, card %s\n' "$spaced" >"$T/noheader"
scan "$T/empty" >"$T/o1"; r1=$?
scan "$T/junk" >"$T/o2"; r2=$?
scan "$T/noheader" >"$T/o3"; r3=$?
check "empty file: exit 0" [ $r1 -eq 0 ]
check "random bytes: scanned, not an error (exit $r2)" [ $r2 -lt 2 ]
check "text without headers: card found" [ $r3 -eq 1 ] && [ "$(json_get "$T/o3" 'j["matches"][0]["where"]')" = "body:text/plain" ]

# internal recipients are unknown offline: everything is judged outbound
check "offline: outbound" [ "$(json_get "$T/body.out" 'j["outbound"]')" = True ]

# text output for a person
"$EXFIL_SCAN" -r "$top_srcdir/rules" "$T/body.eml" >"$T/text"
check "text output: one finding line with the masked value" \
	grep -qF "payment_card [payment_card] x1 medium in body:text/plain: $masked" "$T/text"

# limits: a flag each, and on_limit (default quarantine) for what was not
# fully scanned; a long line is only malformed
printf 'rules_dir = %s\nmax_headers = 10\nmax_header_size = 1K\nmax_line_length = 2K\n' \
	"$top_srcdir/rules" >"$T/limits.conf"
/usr/bin/python3 "$top_srcdir/tests/scan/mklimits.py" "$T"
lscan() { "$EXFIL_SCAN" -c "$T/limits.conf" --json "$1"; }
lscan "$T/many-headers.eml" >"$T/l1"
check "50 headers over max_headers 10: header_limit flag" [ "$(json_get "$T/l1" 'j["flags"]')" = "['header_limit']" ]
check "header limit: quarantined by on_limit" [ "$(json_get "$T/l1" 'j["action"]')" = quarantine ]
check "header limit: the 51st header (Subject) was not read" [ "$(json_get "$T/l1" 'len(j["matches"])')" = 0 ]
lscan "$T/long-header.eml" >"$T/l2"
check "5 KB header over max_header_size 1K: header_limit flag" [ "$(json_get "$T/l2" 'j["flags"]')" = "['header_limit']" ]
lscan "$T/long-line.eml" >"$T/l3"
check "3000-character line over max_line_length 2K: long_line flag" [ "$(json_get "$T/l3" 'j["flags"]')" = "['long_line']" ]
check "long line: not a limit, accepted" [ "$(json_get "$T/l3" 'j["action"]')" = accept ]
scan "$T/many-headers.eml" >"$T/l4"
check "default limits: the same message is read whole (card in Subject)" \
	[ "$(json_get "$T/l4" '[m["where"] for m in j["matches"]]')" = "['header:Subject']" ]

# --explain: rule and its line, place, confidence and its reasons, decision
printf 'Subject: x\n\nSSN 123-45-6789 and card %s\n' "$spaced" >"$T/explain.eml"
"$EXFIL_SCAN" -r "$top_srcdir/rules" --explain "$T/explain.eml" >"$T/explain"
line=$(grep -n '^rule us_ssn' "$top_srcdir/rules/pii.rules" | cut -d: -f1)
check "explain: names the rule's file and line" grep -qF "rule us_ssn ($top_srcdir/rules/pii.rules:$line), category us_ssn" "$T/explain"
check "explain: says where (part and byte offset)" grep -qF "first in body:text/plain at byte 4" "$T/explain"
check "explain: validator and keyword raised the confidence" \
	grep -qF "confidence high: pattern + validator us_ssn + keyword 'ssn' within 100" "$T/explain"
check "explain: values masked, never whole" \
	bash -c "grep -qF '$masked' '$T/explain' && ! grep -q '$card' '$T/explain' && ! grep -q '123-45-6789' '$T/explain'"
pline=$(grep -n 'when category payment_card then tag' "$top_srcdir/rules/policy.rules" | cut -d: -f1)
check "explain: the policy line that decided" grep -qF "decided by $top_srcdir/rules/policy.rules:$pline: when category payment_card then tag" "$T/explain"

# an envelope, as the gateway would see it
printf 'rules_dir = %s\ninternal_domains = example.com\ninternal_networks = 10.0.0.0/8, 2001:db8::/32\n' \
	"$top_srcdir/rules" >"$T/env.conf"
escan() { "$EXFIL_SCAN" -c "$T/env.conf" --json "$@"; }
escan --sender alice@example.com --rcpt bob@example.com "$T/body.eml" >"$T/e1"
check "envelope: internal recipients only: accepted" [ "$(json_get "$T/e1" 'j["action"]')" = accept ]
check "envelope: internal recipients only: not outbound" [ "$(json_get "$T/e1" 'j["outbound"]')" = False ]
escan --rcpt bob@example.com --rcpt eve@partner.example "$T/body.eml" >"$T/e2"
check "envelope: one external recipient: judged (tag)" [ "$(json_get "$T/e2" 'j["action"]')" = tag ]
# a policy on the facts: unauthenticated clients outside our networks
mkdir -p "$T/prules"
cp "$top_srcdir"/rules/*.rules "$T/prules/"
cat >>"$T/prules/policy.rules" <<'P'
policy
  when category payment_card authenticated no client external then quarantine
  allow category payment_card rcpt_domain bank.example
end
P
printf 'rules_dir = %s\ninternal_domains = example.com\ninternal_networks = 10.0.0.0/8, 2001:db8::/32\n' \
	"$T/prules" >"$T/p.conf"
pscan() { "$EXFIL_SCAN" -c "$T/p.conf" --json --rcpt eve@partner.example "$@" "$T/body.eml"; }
pscan --client-addr 192.0.2.7 >"$T/p1"
check "facts: unauthenticated external client: quarantine" [ "$(json_get "$T/p1" 'j["action"]')" = quarantine ]
pscan --client-addr 192.0.2.7 --auth-user alice >"$T/p2"
check "facts: authenticated: tag" [ "$(json_get "$T/p2" 'j["action"]')" = tag ]
pscan --client-addr 10.1.2.3 >"$T/p3"
check "facts: client in internal_networks (IPv4): tag" [ "$(json_get "$T/p3" 'j["action"]')" = tag ]
pscan --client-addr 2001:db8::25 >"$T/p4"
check "facts: client in internal_networks (IPv6): tag" [ "$(json_get "$T/p4" 'j["action"]')" = tag ]
"$EXFIL_SCAN" -c "$T/p.conf" --json --rcpt ops@bank.example --client-addr 192.0.2.7 "$T/body.eml" >"$T/p5"
check "allow: cards to the bank are accepted" [ "$(json_get "$T/p5" 'j["action"]')" = accept ]
"$EXFIL_SCAN" -c "$T/p.conf" --explain --rcpt eve@partner.example --client-addr 192.0.2.7 "$T/body.eml" >"$T/p6"
check "explain: prints the deciding statement as written" \
	grep -qF "when category payment_card client external authenticated no then quarantine" "$T/p6"
# monitor mode: accept, and say what enforcement would do
printf 'rules_dir = %s\nmonitor_mode = yes\n' "$top_srcdir/rules" >"$T/mon.conf"
"$EXFIL_SCAN" -c "$T/mon.conf" --json "$T/body.eml" >"$T/m1"
rc=$?
check "monitor mode: action accept" [ "$(json_get "$T/m1" 'j["action"]')" = accept ]
check "monitor mode: monitor says tag" [ "$(json_get "$T/m1" 'j["monitor"]')" = tag ]
check "monitor mode: exit 0 (accepted)" [ $rc -eq 0 ]
mkdir -p "$T/mrules"
cp "$top_srcdir"/rules/*.rules "$T/mrules/"
sed 's/^  score      5$/  score      5\n  mode       monitor/' "$top_srcdir/rules/pii.rules" >"$T/mrules/pii.rules"
"$EXFIL_SCAN" -r "$T/mrules" --json "$T/body.eml" >"$T/m2"
check "a rule in mode monitor: not acted on" [ "$(json_get "$T/m2" 'j["action"]')" = accept ]
check "a rule in mode monitor: reported as monitor tag" [ "$(json_get "$T/m2" 'j.get("monitor")')" = tag ]

# an override asked in the Subject: quarantine becomes tag where allowed
printf 'rules_dir = %s\noverride_marker = \\[override:\\s*([^\\]]{3,200})\\]\noverride_categories = private_key\n' \
	"$top_srcdir/rules" >"$T/ov.conf"
{ printf 'Subject: [override: the customer asked for it] key\n\n'; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null; } >"$T/ov.eml"
"$EXFIL_SCAN" -c "$T/ov.conf" --json "$T/ov.eml" >"$T/o1"
check "override: quarantine turned into tag" [ "$(json_get "$T/o1" 'j["action"]')" = tag ]
check "override: the justification is reported" [ "$(json_get "$T/o1" 'j["override"]')" = "the customer asked for it" ]
sed 's/\[override: the customer asked for it\] //' "$T/ov.eml" >"$T/ov2.eml"
"$EXFIL_SCAN" -c "$T/ov.conf" --json "$T/ov2.eml" >"$T/o2"
check "no override: quarantine" [ "$(json_get "$T/o2" 'j["action"]')" = quarantine ]

# attachments: documents and archives made by real software
# (tests/data/extract/make.sh: LibreOffice, zip, 7z, tar)
attach() { # attach FILE: a message carrying that file
	/usr/bin/python3 - "$top_srcdir/tests/data/extract/$1" "$T/$1.eml" <<'PY'
import sys
from email.message import EmailMessage
from email.policy import SMTP
m = EmailMessage(policy=SMTP)
m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "files"
m.set_content("attached")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="application",
                 subtype="octet-stream", filename=sys.argv[1].rsplit("/", 1)[1])
open(sys.argv[2], "wb").write(m.as_bytes())
PY
	scan "$T/$1.eml" >"$T/$1.out"
}
wherefor() { json_get "$T/$1.out" "[m['where'] for m in j['matches'] if m['rule']=='$2']"; }
attach doc.docx
check "docx: card in word/document.xml" [ "$(wherefor doc.docx payment_card)" = "['attachment:doc.docx!word/document.xml']" ]
attach sheet.xlsx
check "xlsx: cards found in the sheet (one a numeric cell)" [ "$(json_get "$T/sheet.xlsx.out" "[m['count'] for m in j['matches'] if m['rule']=='payment_card']")" = "[2]" ]
attach nested.zip
check "zip in zip in zip: provenance" [ "$(wherefor nested.zip payment_card)" = "['attachment:nested.zip!middle.zip!inner.zip!secrets.txt']" ]
attach archive.7z
check "7z: card found" [ "$(wherefor archive.7z payment_card)" = "['attachment:archive.7z!secrets.txt']" ]
attach enc-zipcrypto.zip
check "encrypted zip: encrypted_attachment" [ "$(json_get "$T/enc-zipcrypto.zip.out" "[m['category'] for m in j['matches']]")" = "['encrypted_attachment']" ]
check "encrypted zip: the member is marked encrypted" [ "$(json_get "$T/enc-zipcrypto.zip.out" "[p['encrypted'] for p in j['parts'] if '!' in p['where']]")" = "[True]" ]
attach enc.docx
check "password-protected docx: encrypted_attachment" [ "$(json_get "$T/enc.docx.out" "sorted(set(m['category'] for m in j['matches']))")" = "['encrypted_attachment']" ]

# a bad configuration: exit 2 with file:line
printf 'rules_dir = %s\nno_such_key = 1\n' "$top_srcdir/rules" >"$T/bad.conf"
"$EXFIL_SCAN" -c "$T/bad.conf" --json "$T/clean.eml" >/dev/null 2>"$T/err"
rc=$?
check "bad configuration: exit 2" [ $rc -eq 2 ]
check "bad configuration: file:line named" grep -q "bad.conf:2: unknown key 'no_such_key'" "$T/err"
done_testing
