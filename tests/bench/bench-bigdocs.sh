#!/bin/bash
# bench-bigdocs.sh - one message with a 20 MB xlsx and one with a 20 MB PDF
# through exfil-scan, run on demand (never in make check): wall time, MB/s
# and peak RSS, with the extraction in the scanning process itself
# (extract_workers = 0: the RSS is everything a message costs) and in the
# workers (the default: exfil-scan's own RSS, each worker bounded apart by
# extract_memory_limit). Checks that a card number placed at the end of
# each document is found (or which limit flag stopped the scan before it),
# and a third run with a budget of 1G that reads the whole document.
#
# The xlsx is LibreOffice's sheet.xlsx from tests/data/extract with its
# worksheet replaced by a generated one of SIZE MB compressed (numbers,
# inline strings, the card as the last cell); the PDF is generated page by
# page (Helvetica text, one compressed content stream a page, the card on
# the last page): both well-formed and read by the same libraries as any.
#
#   tests/bench/bench-bigdocs.sh [SIZE_MB [ROUNDS]]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
size=${1:-20}
rounds=${2:-3}
scan=$top/milter/exfil-scan
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
make -s -C "$top" milter/exfil-scan
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

/usr/bin/python3 - "$top/tests/data/extract/sheet.xlsx" "$T" "$size" <<'PY'
import io, random, sys, zipfile, zlib
from email.message import EmailMessage
from email.policy import SMTP
template, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
rnd = random.Random(4711)
def luhn(p):
    s = 0
    for i, d in enumerate(reversed(p)):
        d = int(d) * (2 if i % 2 == 0 else 1)
        s += d - 9 if d > 9 else d
    return p + str((10 - s % 10) % 10)
card = luhn("4" + "".join(rnd.choice("0123456789") for _ in range(14)))
words = ["invoice", "region", "north", "total", "quarter", "widget", "order"]
# --- xlsx: the worksheet grows until the zip is size bytes
zin = zipfile.ZipFile(template)
buf = io.BytesIO()
zout = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
for item in zin.infolist():
    if item.filename != "xl/worksheets/sheet1.xml":
        zout.writestr(item, zin.read(item.filename))
rows, r, approx = [], 1, 0
head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
with zout.open("xl/worksheets/sheet1.xml", "w") as f:
    f.write(head.encode())
    comp = zlib.compressobj()
    while approx < size:
        row = '<row r="%d">' % r
        row += '<c r="A%d"><v>%d</v></c>' % (r, rnd.randrange(10**9))
        row += '<c r="B%d"><v>%.2f</v></c>' % (r, rnd.random() * 1e6)
        row += '<c r="C%d" t="inlineStr"><is><t>%s %s %d</t></is></c>' % (
            r, rnd.choice(words), rnd.choice(words), rnd.randrange(10**6))
        row += '<c r="D%d"><v>%d</v></c></row>' % (r, rnd.randrange(10**12))
        b = row.encode()
        f.write(b)
        approx += len(comp.compress(b))
        r += 1
    f.write(('<row r="%d"><c r="A%d"><v>%s</v></c></row></sheetData></worksheet>'
             % (r, r, card)).encode())
zout.close()
open(out + "/big.xlsx", "wb").write(buf.getvalue())
# --- PDF: pages of text until the file is size bytes
objs, pages, body = [], [], io.BytesIO()
def obj(data):
    objs.append(data)
    return len(objs)
font = obj(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
total, n = 0, 0
kids = []
while total < size:
    lines = ["BT /F1 9 Tf 40 800 Td 11 TL"]
    for i in range(70):
        text = " ".join(rnd.choice(words) + str(rnd.randrange(10**8)) for _ in range(8))
        lines.append("(%s) '" % text)
    if total + 4000 >= size:
        lines.append("(card %s) '" % card)
    lines.append("ET")
    stream = zlib.compress("\n".join(lines).encode())
    content = obj(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    kids.append(obj(None))
    objs[kids[-1] - 1] = (b"<< /Type /Page /Parent PAGESREF 0 R /MediaBox [0 0 595 842] "
                          b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content))
    total += len(stream) + 200
pages_id = obj(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) +
               b"] /Count %d >>" % len(kids))
catalog = obj(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
out_pdf = io.BytesIO()
out_pdf.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for i, data in enumerate(objs, 1):
    data = data.replace(b"PAGESREF", b"%d" % pages_id)
    offsets.append(out_pdf.tell())
    out_pdf.write(b"%d 0 obj\n" % i + data + b"\nendobj\n")
xref = out_pdf.tell()
out_pdf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
for o in offsets:
    out_pdf.write(b"%010d 00000 n \n" % o)
out_pdf.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref))
open(out + "/big.pdf", "wb").write(out_pdf.getvalue())
open(out + "/card", "w").write(card[:4] + "*" * 8 + card[-4:])
for name, ctype in (("big.xlsx", ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
                    ("big.pdf", ("application", "pdf"))):
    m = EmailMessage(policy=SMTP)
    m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "bench"
    m.set_content("attached")
    m.add_attachment(open(out + "/" + name, "rb").read(), maintype=ctype[0],
                     subtype=ctype[1], filename=name)
    open(out + "/" + name + ".eml", "wb").write(m.as_bytes())
PY
masked=$(cat "$T/card")
printf 'extract_workers = 0\n' >"$T/inproc.conf"
printf 'extract_workers = 4\n' >"$T/workers.conf"
# a budget that lets the whole document be read, for comparison
printf 'extract_workers = 0\nmax_message_memory = 1G\nmax_expanded_bytes = 1G\nmax_text_per_part = 256M\nmax_decoded_bytes = 1G\n' >"$T/big.conf"
echo "== $size MB documents, best of $rounds (card at the end: $masked)"
for doc in big.xlsx big.pdf; do
	bytes=$(stat -c %s "$T/$doc")
	for mode in inproc workers big; do
		best= rss=0 found=no
		for ((i = 0; i < rounds; i++)); do
			/usr/bin/time -f '%e %M' -o "$T/time" "$scan" -c "$T/$mode.conf" \
			    -r "$top/rules" --json "$T/$doc.eml" >"$T/out.json" 2>/dev/null || true
			read -r s kb < <(tail -n 1 "$T/time")
			grep -qF -- "$masked" "$T/out.json" && found=yes
			flags=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["flags"]) or "-")' "$T/out.json")
			if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
			[ "$kb" -gt "$rss" ] && rss=$kb
		done
		awk -v d="$doc" -v m="$mode" -v b="$bytes" -v s="$best" -v k="$rss" -v f="$found" -v g="$flags" 'BEGIN {
			printf "%-9s %-8s %6.1f MB  %6.2f s  %6.1f MB/s  peak RSS %4d MiB  card at the end found: %-3s  flags: %s\n",
			    d, m, b / 1e6, s, (s > 0 ? b / 1e6 / s : 0), k / 1024, f, g }'
	done
done
