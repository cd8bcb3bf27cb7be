#!/bin/sh
# make.sh - make the test documents of tests/unit/extract_test.c with real
# software, from the flat OpenDocument sources next to this script:
#   LibreOffice headless  doc.fodt -> doc.docx doc.odt doc.doc doc.rtf
#                         sheet.fods -> sheet.xlsx sheet.ods sheet.xls
#                         slides.fodp -> slides.pptx slides.odp slides.ppt.gz
#   Python-UNO            enc.docx (OOXML "Standard" encryption: an OLE2
#                         container), enc.odt (ODF with a password) and
#                         enc.doc (Word 97 with a password: RC4 CryptoAPI)
#   zip, 7z, tar, gzip, bzip2, xz   the archives, plain and encrypted
# The results are committed, so the tests never need LibreOffice.
# Debian 12: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui
#   libreoffice-impress-nogui python3-uno p7zip-full zip xz-utils bzip2
# The values are test values: a Luhn-valid test card, the IBAN of the
# ISO 13616 examples, an AWS-shaped key id that is no key, a marking.
set -eu
cd "$(dirname "$0")"
here=$(pwd)
tmp=$(mktemp -d)
# LibreOffice leaves a lock file beside a source it failed on
trap 'rm -rf "$tmp"; rm -f "$here"/.~lock.*' EXIT
lo="soffice -env:UserInstallation=file://$tmp/profile --headless"

$lo --convert-to 'docx:MS Word 2007 XML' --outdir "$tmp" doc.fodt
$lo --convert-to odt --outdir "$tmp" doc.fodt
$lo --convert-to 'xlsx:Calc MS Excel 2007 XML' --outdir "$tmp" sheet.fods
$lo --convert-to ods --outdir "$tmp" sheet.fods
$lo --convert-to 'pptx:Impress MS PowerPoint 2007 XML' --outdir "$tmp" \
	slides.fodp
$lo --convert-to odp --outdir "$tmp" slides.fodp
$lo --convert-to 'doc:MS Word 97' --outdir "$tmp" doc.fodt
$lo --convert-to 'xls:MS Excel 97' --outdir "$tmp" sheet.fods
$lo --convert-to 'rtf:Rich Text Format' --outdir "$tmp" doc.fodt
# PowerPoint 97 writes 450 KB (pictures of its own): kept gzipped
$lo --convert-to 'ppt:MS PowerPoint 97' --outdir "$tmp" slides.fodp
gzip -9 -n -c "$tmp/slides.ppt" >slides.ppt.gz
for f in doc.docx doc.odt sheet.xlsx sheet.ods slides.pptx slides.odp \
	doc.doc sheet.xls doc.rtf; do
	cp "$tmp/$f" "$f"
done

# Password-protected Office files: --convert-to ignores the password
# options (LibreOffice 7.4), Python-UNO does not.
cat >"$tmp/encrypt.py" <<'PY'
# Load the document into a model without a frame (loading it in a window
# crashes the nogui packages) and store it encrypted twice.
import os, sys, time, uno
from com.sun.star.beans import PropertyValue, NamedValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

def named(name, value):
    v = NamedValue()
    v.Name, v.Value = name, value
    return v

pipe, src, docx, odt, legacy = sys.argv[1:6]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext(
    "com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(150):
    try:
        ctx = resolver.resolve(
            "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        time.sleep(0.2)
doc = ctx.ServiceManager.createInstanceWithContext(
    "com.sun.star.text.TextDocument", ctx)
doc.load((prop("URL", uno.systemPathToFileUrl(src)),
          prop("FilterName", "OpenDocument Text Flat XML")))
enc = uno.Any("[]com.sun.star.beans.NamedValue",
              (named("OOXPassword", "secret"), named("CryptoType", "Standard")))
doc.storeToURL(uno.systemPathToFileUrl(docx),
               (prop("FilterName", "MS Word 2007 XML"),
                prop("EncryptionData", enc)))
doc.storeToURL(uno.systemPathToFileUrl(odt),
               (prop("FilterName", "writer8"), prop("Password", "secret")))
doc.storeToURL(uno.systemPathToFileUrl(legacy),
               (prop("FilterName", "MS Word 97"), prop("Password", "secret")))
doc.close(True)
sys.stdout.flush()
os._exit(0)  # the bridge's teardown may crash; the files are written
PY
$lo --norestore "--accept=pipe,name=exfilmk$$;urp;" >/dev/null 2>&1 &
sopid=$!
/usr/bin/python3 "$tmp/encrypt.py" "exfilmk$$" "$here/doc.fodt" \
	"$tmp/enc.docx" "$tmp/enc.odt" "$tmp/enc.doc"
kill $sopid 2>/dev/null || true
wait $sopid 2>/dev/null || true
cp "$tmp/enc.docx" "$tmp/enc.odt" "$tmp/enc.doc" .

# Archives. secrets.txt carries the values as plain text.
cd "$tmp"
printf 'Text: CONFIDENTIAL card 4111 1111 1111 1111 IBAN DE89 3704 0044 0532 0130 00 key AKIAEXFILTESTKEY2345\n' >secrets.txt
mkdir -p dir
cp "$here/doc.docx" dir/report.docx
cp "$here/sheet.xlsx" "$here/doc.odt" .
rm -f ./*.zip ./*.7z ./*.tar*
zip -q -X plain.zip secrets.txt dir/report.docx
zip -q -X inner.zip secrets.txt dir/report.docx
zip -q -X middle.zip inner.zip
zip -q -X nested.zip middle.zip
7z a -bd -bso0 archive.7z secrets.txt sheet.xlsx
tar cf archive.tar secrets.txt doc.odt
gzip -9 -n -c archive.tar >archive.tar.gz
xz -c archive.tar >archive.tar.xz
gzip -9 -n -c secrets.txt >secrets.txt.gz
bzip2 -c secrets.txt >secrets.txt.bz2
# a stream that starts with zeros looks like an empty tar to a reader
# that tries tar first
{ head -c 1024 /dev/zero; cat secrets.txt; } | gzip -9 -n >zeros.gz
zip -q -X -e -P secret enc-zipcrypto.zip secrets.txt
7z a -bd -bso0 -tzip -mem=AES256 -psecret enc-aes.zip secrets.txt
7z a -bd -bso0 -psecret enc-entries.7z secrets.txt
7z a -bd -bso0 -psecret -mhe=on enc-headers.7z secrets.txt
# a file hidden in a document: Word ignores it, unzip does not
cp "$here/doc.docx" hidden.docx
mkdir -p extra && cp secrets.txt extra/notes.txt
zip -q -X hidden.docx extra/notes.txt
# a member name that is UTF-8
cp secrets.txt 'résumé.txt'
LC_ALL=C.UTF-8 zip -q -X names.zip 'résumé.txt'
for f in plain.zip nested.zip archive.7z archive.tar.gz archive.tar.xz \
	secrets.txt.gz secrets.txt.bz2 zeros.gz enc-zipcrypto.zip enc-aes.zip \
	enc-entries.7z enc-headers.7z hidden.docx names.zip; do
	cp "$f" "$here/$f"
done

# PDF (extract_pdf.c), written by LibreOffice with subset fonts: PDF/A-2b so
# that the document information is also written as XMP metadata, comments
# as annotations. qpdf encrypts it (AES-256, a user password: enc.pdf),
# restricts it with an owner password only (restricted.pdf: readable) and
# attaches a text file to it (attached.pdf).
cd "$here"
$lo --convert-to 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},"ExportNotes":{"type":"boolean","value":"true"}}' \
	--outdir "$tmp" pdf.fodt
cp "$tmp/pdf.pdf" doc.pdf
# a customer list over two pages (bulk_pii across pages)
$lo --convert-to 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}' \
	--outdir "$tmp" list.fodt
cp "$tmp/list.pdf" list.pdf
qpdf --encrypt secret owner 256 -- doc.pdf enc.pdf
qpdf --encrypt '' owner 256 --modify=none --extract=n -- doc.pdf restricted.pdf
printf 'Attached: card 6011 0824 6281 9485 key AKIAEXFILTESTKEY2345\n' >"$tmp/notes.txt"
qpdf doc.pdf --add-attachment "$tmp/notes.txt" --key=notes.txt -- attached.pdf

# An Outlook item: no Debian package writes .msg, so mkmsg.c (libgsf's OLE2
# writer, the property streams of MS-OXMSG) makes test.msg.
cc -o "$tmp/mkmsg" "$here/mkmsg.c" $(pkg-config --cflags --libs libgsf-1)
"$tmp/mkmsg" "$here/test.msg"

# TNEF: no Debian package writes it, so mktnef.py does (MS-OXTNEF); ytnef(1)
# (ytnef-tools) reads the result back as a check.
/usr/bin/python3 "$here/mktnef.py" "$here/winmail.dat"
mkdir -p "$tmp/tnef"
ytnef -f "$tmp/tnef" "$here/winmail.dat" >/dev/null
test -s "$tmp/tnef/notes.txt"

# Encrypted mail: S/MIME (CMS enveloped data, DER, AES-256, to a throwaway
# self-signed certificate) and OpenPGP (armored and binary, to a throwaway
# key in a private GNUPGHOME); a signed-only S/MIME message as the counter.
printf 'Content-Type: text/plain\r\n\r\nCard 4111 1111 1111 1111\r\n' >"$tmp/body.txt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" \
	-out "$tmp/c.pem" -days 30 -subj "/CN=exfil test" 2>/dev/null
openssl smime -encrypt -aes256 -in "$tmp/body.txt" -outform DER \
	-out "$here/smime-enc.p7m" "$tmp/c.pem"
openssl smime -sign -nodetach -in "$tmp/body.txt" -outform DER \
	-out "$here/smime-signed.p7m" -signer "$tmp/c.pem" -inkey "$tmp/k.pem"
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Exfil Test <test@example.com>' \
	default default never
gpg --batch --quiet --trust-model always -r test@example.com -a \
	-o "$here/pgp.asc" -e "$tmp/body.txt"
gpg --batch --quiet --trust-model always -r test@example.com \
	-o "$here/pgp.gpg" -e "$tmp/body.txt"
