#!/bin/bash
# bench-extract.sh - extraction throughput per carrier, run on demand (never
# in make check): exfil-scan over one message per carrier, each attachment
# made here from the test documents of tests/data/extract/ (qpdf repeats the
# PDF's pages, sharing their fonts and content streams: its MB/s is low and
# its pages/s, 2 x COPIES over the time, tells more; zip stores copies of the
# other documents). Reports the attachment's size, the best of ROUNDS wall
# times (the whole scan: MIME, extraction in the workers, rules), MB/s and
# the peak RSS of exfil-scan itself (each worker is bounded apart, by
# extract_memory_limit).
#
#   tests/bench/bench-extract.sh [COPIES [ROUNDS]]
#
# Needs qpdf and zip (Debian packages qpdf, zip).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
copies=${1:-200}
rounds=${2:-3}
D=$top/tests/data/extract
scan=$top/milter/exfil-scan
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# mail FILE NAME OUT: a message carrying FILE as NAME
mail() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
from email.message import EmailMessage
from email.policy import SMTP
src, name, out = sys.argv[1:4]
m = EmailMessage(policy=SMTP)
m["From"] = "a@example.com"; m["To"] = "b@partner.example"; m["Subject"] = "bench"
m.set_content("attached")
m.add_attachment(open(src, "rb").read(), maintype="application",
                 subtype="octet-stream", filename=name)
open(out, "wb").write(m.as_bytes())
PY
}

# carriers: a PDF of COPIES x 2 pages, and zips of COPIES documents each
pages=()
for ((i = 0; i < copies; i++)); do pages+=("$D/doc.pdf"); done
qpdf --empty --pages "${pages[@]}" -- "$T/big.pdf"
for f in doc.docx sheet.xlsx doc.odt doc.doc sheet.xls test.msg doc.rtf \
	winmail.dat; do
	mkdir -p "$T/z-$f"
	for ((i = 0; i < copies; i++)); do
		cp "$D/$f" "$T/z-$f/$i-$f"
	done
	(cd "$T/z-$f" && zip -q -0 "$T/$f.zip" ./*)
done

printf '%-22s %10s %9s %9s %10s\n' carrier bytes seconds MB/s "RSS MiB"
for f in big.pdf doc.docx.zip sheet.xlsx.zip doc.odt.zip doc.doc.zip \
	sheet.xls.zip test.msg.zip doc.rtf.zip winmail.dat.zip; do
	src=$T/$f
	mail "$src" "$f" "$T/m.eml"
	size=$(stat -c %s "$src")
	best=
	for ((r = 0; r < rounds; r++)); do
		/usr/bin/time -f '%e %M' -o "$T/time" \
			"$scan" -r "$top/rules" --json "$T/m.eml" >/dev/null || true
		read -r secs rss < <(tail -1 "$T/time")
		if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then
			best=$secs
			brss=$rss
		fi
	done
	awk -v n="$f" -v b="$size" -v s="$best" -v r="$brss" 'BEGIN {
		printf "%-22s %10d %9.2f %9.1f %10.0f\n", n, b, s,
		    (s > 0 ? b / 1e6 / s : 0), r / 1024 }'
done
