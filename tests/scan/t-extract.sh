#!/bin/bash
# t-extract.sh - exfil-scan end to end on attachments: a disguised file type
# is a file_type finding; the carriers read by extract_pdf.c and the other
# readers give their text to the rules with its provenance; encrypted mail
# is encrypted_attachment; bombs end as limit flags. The attached files are
# those of tests/data/extract/ (made by make.sh there with LibreOffice, qpdf,
# openssl, gpg and the like), or made here.
. "$(dirname "$0")/../tap.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$top_srcdir/tests/data/extract
scan() { "$EXFIL_SCAN" -r "$top_srcdir/rules" --json "$@"; }

# mail FILE NAME TYPE OUT: a message carrying FILE as NAME, declared TYPE
mail() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
from email.message import EmailMessage
from email.policy import SMTP
src, name, ctype, out = sys.argv[1:5]
m = EmailMessage(policy=SMTP)
m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "files"
m.set_content("attached")
mt, st = ctype.split("/", 1)
m.add_attachment(open(src, "rb").read(), maintype=mt, subtype=st, filename=name)
open(out, "wb").write(m.as_bytes())
PY
}
# rules OUT: the rules that fired, sorted, one string
rules() { json_get "$1" "' '.join(sorted(set(m['rule'] for m in j['matches'])))"; }
has_rule() { case " $(rules "$1") " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }
where_of() { json_get "$1" "[m['where'] for m in j['matches'] if m['rule']=='$2']"; }

# --- file type mismatches -------------------------------------------------
mm() { # mm NAME FILE ATTACHED-AS CONTENT-TYPE yes|no
	mail "$D/$2" "$3" "$4" "$T/$1.eml"
	scan "$T/$1.eml" >"$T/$1.out"
	if [ "$5" = yes ]; then
		check "$1: file_type_mismatch" has_rule "$T/$1.out" file_type_mismatch
		check "$1: at the part" [ "$(where_of "$T/$1.out" file_type_mismatch)" = "['attachment:$3']" ]
		check "$1: the part says how" [ -n "$(json_get "$T/$1.out" "[p['mismatch'] for p in j['parts'] if 'mismatch' in p]")" ]
	else
		check "$1: no file_type_mismatch" bash -c "! grep -q file_type_mismatch '$T/$1.out'"
	fi
}
mm docx-as-jpg doc.docx holiday.jpg image/jpeg yes
mm zip-as-pdf plain.zip report.pdf application/pdf yes
mm zip-as-txt plain.zip notes.txt text/plain yes
mm zip-declared-png plain.zip scan application/octet-stream no
mm 7z-declared-image archive.7z photo image/png yes
mm docx-as-docx doc.docx doc.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document no
mm docx-octet doc.docx doc.docx application/octet-stream no
mm docx-as-zip doc.docx doc.zip application/zip no
mm xlsx-declared-excel sheet.xlsx sheet.xlsx application/vnd.ms-excel no
mm enc-docx enc.docx enc.docx application/octet-stream no
printf 'name,card\nbob,1\n' >"$T/list.csv"
mail "$T/list.csv" list.csv application/vnd.ms-excel "$T/csv.eml"
scan "$T/csv.eml" >"$T/csv.out"
check "csv declared application/vnd.ms-excel: no mismatch" bash -c "! grep -q file_type_mismatch '$T/csv.out'"
mail "$T/list.csv" list.csv text/csv "$T/csv2.eml"
scan "$T/csv2.eml" >"$T/csv2.out"
check "csv declared text/csv: no mismatch" bash -c "! grep -q file_type_mismatch '$T/csv2.out'"
cp /bin/true "$T/true.bin"
mail "$T/true.bin" invoice.txt text/plain "$T/exe.eml"
scan "$T/exe.eml" >"$T/exe.out"
check "program named .txt: file_type_mismatch" has_rule "$T/exe.out" file_type_mismatch
check "program named .txt: file_executable too" has_rule "$T/exe.out" file_executable
# a member of an archive is judged by its own name
mkdir "$T/z" && cp "$D/doc.docx" "$T/z/cat.jpg" && (cd "$T/z" && zip -q -X ../pics.zip cat.jpg)
mail "$T/pics.zip" pics.zip application/zip "$T/pics.eml"
scan "$T/pics.eml" >"$T/pics.out"
check "docx named .jpg inside a zip: mismatch at the member" [ "$(where_of "$T/pics.out" file_type_mismatch)" = "['attachment:pics.zip!cat.jpg']" ]

# --- PDF (poppler) ---------------------------------------------------------
if grep -q '^#define HAVE_POPPLER 1' "$top_builddir/config.h"; then
	mail "$D/doc.pdf" plan.pdf application/pdf "$T/pdf.eml"
	scan "$T/pdf.eml" >"$T/pdf.out"
	check "pdf: card found on page 1 (subset fonts)" [ "$(where_of "$T/pdf.out" payment_card)" = "['attachment:plan.pdf!page/1']" ]
	check "pdf: marking found in the document information" [ "$(where_of "$T/pdf.out" marking_confidential)" = "['attachment:plan.pdf!info']" ]
	check "pdf: key id found" has_rule "$T/pdf.out" aws_access_key_id
	check "pdf: not called encrypted or unreadable" [ "$(json_get "$T/pdf.out" "j['flags']")" = "[]" ]
	# a customer list of 60 rows, 30 a page: bulk in one document, though
	# no page alone holds 50 (the rules hold page 1 back, then read it)
	mail "$D/list.pdf" contacts.pdf application/pdf "$T/list.eml"
	scan "$T/list.eml" >"$T/list.out"
	for r in bulk_email_addresses bulk_phone_numbers; do
		check "pdf list over two pages: $r, 60 values, first seen on page 1" [ "$(json_get "$T/list.out" "[(m['count'], m['where']) for m in j['matches'] if m['rule']=='$r']")" = "[(60, 'attachment:contacts.pdf!page/1')]" ]
	done
	"$EXFIL_SCAN" -r "$top_srcdir/rules" --naive --json "$T/list.eml" >"$T/list.naive"
	check "pdf list over two pages: the naive path finds the same" cmp -s <(sed 's/"ref":"[^"]*"//' "$T/list.out") <(sed 's/"ref":"[^"]*"//' "$T/list.naive")
	mail "$D/enc.pdf" plan.pdf application/pdf "$T/encpdf.eml"
	scan "$T/encpdf.eml" >"$T/encpdf.out"
	check "encrypted pdf: encrypted_attachment" [ "$(where_of "$T/encpdf.out" encrypted_attachment)" = "['attachment:plan.pdf']" ]
	check "encrypted pdf: marked encrypted in parts" [ "$(json_get "$T/encpdf.out" "[p['encrypted'] for p in j['parts'] if p['where']=='attachment:plan.pdf']")" = "[False, True]" ]
	check "encrypted pdf: no card seen" bash -c "! grep -q payment_card '$T/encpdf.out'"
	mail "$D/attached.pdf" plan.pdf application/pdf "$T/attpdf.eml"
	scan "$T/attpdf.eml" >"$T/attpdf.out"
	check "pdf: a file attached to the PDF is read (its card is the second)" [ "$(json_get "$T/attpdf.out" "[m['count'] for m in j['matches'] if m['rule']=='payment_card']")" = "[2]" ]
	# a PDF cut short: unreadable, a finding, its bytes still read
	{ head -c 3000 "$D/doc.pdf"; printf '\nkey AKIAEXFILTESTKEY2345\n'; } >"$T/cut.pdf"
	mail "$T/cut.pdf" cut.pdf application/pdf "$T/cut.eml"
	scan "$T/cut.eml" >"$T/cut.out"
	check "corrupt pdf: flag unreadable" [ "$(json_get "$T/cut.out" "j['flags']")" = "['unreadable']" ]
	check "corrupt pdf: unreadable_attachment finding" [ "$(where_of "$T/cut.out" unreadable_attachment)" = "['attachment:cut.pdf']" ]
	check "corrupt pdf: its printable runs still scanned" has_rule "$T/cut.out" aws_access_key_id
else
	skip "pdf" "built without poppler"
fi

# --- OLE2: Word 97, Outlook items (libgsf) ---------------------------------
mail "$D/doc.doc" plan.doc application/msword "$T/doc.eml"
scan "$T/doc.eml" >"$T/doc.out"
check "doc: card found in WordDocument" [ "$(where_of "$T/doc.out" payment_card)" = "['attachment:plan.doc!WordDocument']" ]
check "doc: key id found" has_rule "$T/doc.out" aws_access_key_id
mail "$D/sheet.xls" sheet.xls application/vnd.ms-excel "$T/xls.eml"
scan "$T/xls.eml" >"$T/xls.out"
check "xls: two cards, one a text cell, one a number cell" [ "$(json_get "$T/xls.out" "[m['count'] for m in j['matches'] if m['rule']=='payment_card']")" = "[2]" ]
mail "$D/enc.doc" plan.doc application/msword "$T/encdoc.eml"
scan "$T/encdoc.eml" >"$T/encdoc.out"
check "doc with a password: encrypted_attachment" [ "$(where_of "$T/encdoc.out" encrypted_attachment)" = "['attachment:plan.doc']" ]
check "doc with a password: no card seen" bash -c "! grep -q payment_card '$T/encdoc.out'"
mail "$D/test.msg" fwd.msg application/vnd.ms-outlook "$T/msg.eml"
scan "$T/msg.eml" >"$T/msg.out"
check "msg: card found in the body" [ "$(where_of "$T/msg.out" payment_card)" = "['attachment:fwd.msg!__substg1.0_1000001F']" ]
check "msg: two cards (body and attachment)" [ "$(json_get "$T/msg.out" "[m['count'] for m in j['matches'] if m['rule']=='payment_card']")" = "[2]" ]
check "msg: the attachment is a part, named by its file name" [ "$(json_get "$T/msg.out" "[p['where'] for p in j['parts'] if p['where'].endswith('notes.txt')]")" = "['attachment:fwd.msg!__attach_version1.0_#00000000/notes.txt']" ]
check "msg: nothing on stderr" bash -c "'$EXFIL_SCAN' -r '$top_srcdir/rules' --json '$T/msg.eml' 2>&1 >/dev/null | wc -c | grep -qx 0"

# --- RTF -------------------------------------------------------------------
mail "$D/doc.rtf" plan.rtf application/rtf "$T/rtf.eml"
scan "$T/rtf.eml" >"$T/rtf.out"
check "rtf: card found in the text" [ "$(where_of "$T/rtf.out" payment_card)" = "['attachment:plan.rtf!text']" ]
check "rtf: sensitivity label found in the user properties" has_rule "$T/rtf.out" msip_label
check "rtf: key id found" has_rule "$T/rtf.out" aws_access_key_id

# --- S/MIME and PGP encrypted mail (openssl, gpg: make.sh) -----------------
/usr/bin/python3 - "$D" "$T" <<'PY'
import sys
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.policy import SMTP
d, t = sys.argv[1:3]
def head(m):
    m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "s"
    return m
# S/MIME enveloped data as the whole message, as openssl smime writes it
m = head(MIMEApplication(open(d + "/smime-enc.p7m", "rb").read(), "pkcs7-mime",
                         policy=SMTP, smime_type="enveloped-data", name="smime.p7m"))
open(t + "/smime.eml", "wb").write(m.as_bytes())
m = head(MIMEApplication(open(d + "/smime-signed.p7m", "rb").read(), "pkcs7-mime",
                         policy=SMTP, smime_type="signed-data", name="smime.p7m"))
open(t + "/smime-signed.eml", "wb").write(m.as_bytes())
# PGP/MIME (RFC 3156)
m = head(MIMEMultipart("encrypted", protocol="application/pgp-encrypted", policy=SMTP))
v = MIMEApplication(b"Version: 1\r\n", "pgp-encrypted", policy=SMTP)
m.attach(v)
m.attach(MIMEApplication(open(d + "/pgp.asc", "rb").read(), "octet-stream",
                         policy=SMTP, name="encrypted.asc"))
open(t + "/pgpmime.eml", "wb").write(m.as_bytes())
# inline PGP in a text body
m = head(EmailMessage(policy=SMTP))
m.set_content("Hi,\n\n" + open(d + "/pgp.asc").read() + "\nbye\n")
open(t + "/inline.eml", "wb").write(m.as_bytes())
# a binary OpenPGP file attached
m = head(EmailMessage(policy=SMTP))
m.set_content("see attached")
m.add_attachment(open(d + "/pgp.gpg", "rb").read(), maintype="application",
                 subtype="octet-stream", filename="report.pdf.gpg")
open(t + "/pgpbin.eml", "wb").write(m.as_bytes())
PY
for k in smime pgpmime inline pgpbin; do
	scan "$T/$k.eml" >"$T/$k.out"
	check "$k: encrypted_attachment" has_rule "$T/$k.out" encrypted_attachment
	check "$k: the part is marked encrypted" [ "$(json_get "$T/$k.out" "any(p['encrypted'] for p in j['parts'])")" = True ]
done
scan "$T/smime-signed.eml" >"$T/smime-signed.out"
check "signed S/MIME: not encrypted" bash -c "! grep -q encrypted_attachment '$T/smime-signed.out'"
check "signed S/MIME: its content is read (the card)" has_rule "$T/smime-signed.out" payment_card

# --- bombs, made here in the temp folder (never committed) -----------------
# a zip whose one member expands to 1 GiB of zeros (one compressed MiB
# repeated: it costs a megabyte and no time), and a 42.zip-style nest of it
# (16 x 16 x 16 x 16 of them: 64 TiB). Each must end as a limit flag with
# on_limit's verdict, quickly and in bounded memory.
/usr/bin/python3 - "$T" <<'PY'
import io, struct, sys, zlib, zipfile
from email.message import EmailMessage
from email.policy import SMTP
t = sys.argv[1]
def zeros_zip(name, mib):
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    blk = co.compress(b"\0" * (1 << 20)) + co.flush(zlib.Z_FULL_FLUSH)
    data = blk * mib + b"\x03\x00"  # and an empty final block
    crc, z = 0, b"\0" * (1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(z, crc)
    size, n = mib << 20, name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x21, crc,
                        len(data), size, len(n), 0) + n
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0x21,
                     crc, len(data), size, len(n), 0, 0, 0, 0, 0, 0) + n
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(cd),
                       len(local) + len(data), 0)
    return local + data + cd + eocd
def mail(path, data, name):
    m = EmailMessage(policy=SMTP)
    m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "x"
    m.set_content("x")
    m.add_attachment(data, maintype="application", subtype="zip", filename=name)
    open(path, "wb").write(m.as_bytes())
gig = zeros_zip("zeros.bin", 1024)
mail(t + "/gig.eml", gig, "gig.zip")
level = gig
for l in range(4):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(16):
            z.writestr("%d-%d.zip" % (l, i), level)
    level = b.getvalue()
mail(t + "/42.eml", level, "42.zip")
PY
for k in gig 42; do
	start=$(date +%s)
	/usr/bin/time -f %M -o "$T/$k.rss" "$EXFIL_SCAN" -r "$top_srcdir/rules" --json "$T/$k.eml" >"$T/$k.out"
	took=$(($(date +%s) - start))
	rss=$(tail -1 "$T/$k.rss")
	echo "# $k bomb: $took s, peak RSS $((rss / 1024)) MiB"
	check "$k bomb: the limit is a flag (decode_limit)" [ "$(json_get "$T/$k.out" "'decode_limit' in j['flags']")" = True ]
	check "$k bomb: on_limit decides (quarantine)" [ "$(json_get "$T/$k.out" "j['action']")" = quarantine ]
	check "$k bomb: within 60 s" [ "$took" -le 60 ]
	check "$k bomb: peak RSS under 512 MiB" [ "$rss" -lt 524288 ]
done

# --- TNEF: winmail.dat (libytnef) ------------------------------------------
if grep -q '^#define HAVE_YTNEF 1' "$top_builddir/config.h"; then
	mail "$D/winmail.dat" winmail.dat application/ms-tnef "$T/tnef.eml"
	scan "$T/tnef.eml" >"$T/tnef.out"
	check "tnef: card found in the body" [ "$(where_of "$T/tnef.out" payment_card)" = "['attachment:winmail.dat!body']" ]
	check "tnef: four cards (body, Unicode body, RTF body, attachment)" [ "$(json_get "$T/tnef.out" "[m['count'] for m in j['matches'] if m['rule']=='payment_card']")" = "[4]" ]
	check "tnef: attachments are parts, by their long names" [ "$(json_get "$T/tnef.out" "[p['where'] for p in j['parts'] if '!' in p['where']]")" = "['attachment:winmail.dat!body.rtf', 'attachment:winmail.dat!notes.txt', 'attachment:winmail.dat!Payout plan.txt']" ]
	# damaged streams: libytnef prints its complaints on stdout; it must
	# never see one, so the output stays one JSON line
	/usr/bin/python3 - "$D/winmail.dat" "$T" <<'PY'
import random, sys
from email.message import EmailMessage
from email.policy import SMTP
data = open(sys.argv[1], "rb").read()
rnd = random.Random(4)
for i in range(20):
    b = bytearray(data)
    for _ in range(3):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    if i % 2:
        b = b[:rnd.randrange(len(b))]
    m = EmailMessage(policy=SMTP)
    m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "x"
    m.set_content("x")
    m.add_attachment(bytes(b), maintype="application", subtype="ms-tnef", filename="winmail.dat")
    open("%s/bad%02d.eml" % (sys.argv[2], i), "wb").write(m.as_bytes())
PY
	scan "$T"/bad*.eml >"$T/bad.out" 2>"$T/bad.err"
	check "damaged tnef: one JSON line per message, nothing else" [ "$(wc -l <"$T/bad.out")" -eq 20 ]
	check "damaged tnef: every line is JSON" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/bad.out"
else
	skip "tnef" "built without libytnef"
fi

done_testing
