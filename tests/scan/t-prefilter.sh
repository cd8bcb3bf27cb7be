#!/bin/bash
# t-prefilter.sh - the fast path (literals and digit runs anchor the rules)
# finds exactly what the naive path (every pattern over all the text)
# finds: exfil-scan --json against exfil-scan --naive --json over the
# project's messages, generated messages full of near-misses, and, when
# present, ../shared's MIME corpora and a generated benchmark corpus.
. "$(dirname "$0")/../tap.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rules=$top_srcdir/rules

same() { # same NAME FILE...: identical JSON apart from the reference id
	"$EXFIL_SCAN" -r "$rules" --json "${@:2}" 2>/dev/null |
		sed 's/"ref":"[^"]*"/"ref":""/' >"$T/fast"
	"$EXFIL_SCAN" -r "$rules" --naive --json "${@:2}" 2>/dev/null |
		sed 's/"ref":"[^"]*"/"ref":""/' >"$T/naive"
	if [ -s "$T/fast" ] && cmp -s "$T/fast" "$T/naive"; then
		ok "$1: the same findings with and without the prefilter"
	else
		not_ok "$1: findings differ"
		diff "$T/naive" "$T/fast" | head -10 | sed 's/^/# /'
	fi
}

same "golden messages" "$top_srcdir"/tests/data/mime/*.eml
same "fuzz seeds" "$top_srcdir"/tests/fuzz/corpora/mime/*

# near-misses: numbers of every length and grouping, tokens cut short,
# prefixes in prose, CSV without spaces, values at segment edges
/usr/bin/python3 - "$T/near.eml" <<'PY'
import random, sys
random.seed(7)
def luhn(prefix, n):
    d = [int(c) for c in prefix] + [random.randint(0, 9) for _ in range(n - len(prefix) - 1)]
    s = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        s += v
    return "".join(map(str, d + [(10 - s % 10) % 10]))
lines = []
for _ in range(400):
    k = random.randint(8, 22)
    num = "".join(str(random.randint(0, 9)) for _ in range(k))
    sep = random.choice(["", " ", "-", ".", "/", "  "])
    grouped = sep.join(num[i:i + 4] for i in range(0, len(num), 4))
    lines.append(random.choice(["acct", "id", "ref", "card", "SSN", "IBAN DE", "routing"]) + " " + grouped)
    lines.append("%s,%s,%s" % (luhn("4", 16), luhn("5", 16), luhn("37", 15)))
    lines.append("token ghp_%s and AKIA%s and xoxb-%d-%d" % (
        "".join(random.choice("abcdefXYZ0123") for _ in range(random.randint(30, 40))),
        "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(random.randint(14, 18))),
        random.randint(10**9, 10**13), random.randint(10**9, 10**13)))
    lines.append("DE%02d %s CONFIDENTIAL internal restricted" % (random.randint(0, 99), " ".join(str(random.randint(1000, 9999)) for _ in range(5))))
# matches that start as far before their literal as the rules' windows
# allow: a quote and 30 word characters (four bytes each) before a keyword,
# long schemes, long local parts, markings with words before the literal
wide = ["\u00e9", "\u4e2d", "\U0001d400", "a"]
for w in wide:
    for kw in ("encryption_key", "secret", "pass", "mot de passe", "passwd"):
        lines.append("conf(%s'%s%s', 'Zx8kQ2mN9pL4vR7tY6')" % ("\u2028" * 5, w * 30, kw))
        lines.append("set(\"%s%s\", \"Zx8kQ2mN9pL4vR7tY6\")" % (w * 31, kw))
# patterns with windows of their own: matches that start at their keyword
for kw in ("encryption_key", "master.key", "signing-key", "secret", "token"):
    lines.append("%s = Zx8kQ2mN9pL4vR7tY6 and <%s>Zx8kQ2mN9pL4vR7tY6</x>" % (kw, kw))
for kw in ("mot de passe", "passwort", "pwd", "password"):
    lines.append("%s: 'Zx8kQ2mN9pL4' / %s = Zx8k:Q2mN9pL4 / %s is Zx8kQ2mN9pL4!" % (kw, kw, kw))
lines.append("jdbc:abcdefghijklmnopqrst:abcdefghijklmnopqrst://bob:Pw0rd9xq@db.corp.test")
lines.append("Server=db1;Database=x;User Id=sa;Password=Zx8kQ2mN9pL4;")
lines.append("NUR F\u00dcR DEN INTERNEN GEBRAUCH / STRICTEMENT CONFIDENTIEL / USAGE INTERNE")
lines.append("webdavs://alice:Zx8kQ2mN9p@files.corp.test and jdbc:mysql://bob:Pw0rd9xq@db.corp.test")
lines.append("%s@mail.corp.test" % ("a" * 64))
lines.append("sl_api_key = %s" % "".join(random.choice("abcdef0123456789") for _ in range(64)))
lines.append("ibm_cos_hmac_secret_access_key=%s" % "".join(random.choice("abcdef0123456789") for _ in range(48)))
# valid numbers as stretches of longer runs ("digits ... whole"): before,
# after and between other numbers, with every separator
for sep in (" ", "-", ".", "/"):
    for num in ("4111 1111 1111 1111", "4111111111111111", "378282246310005",
                "536-90-4399", "536 90 4399", "536904399", "111000025",
                "65929970489", "65 929 970 489"):
        lines.append("SSN routing steuer-id card: 12%s%s%s2029 and %s%s34" % (sep, num, sep, num, sep))
        lines.append("ssn aba idnr %s%s%s%s%s" % (luhn("4", 16), sep, num, sep, luhn("5", 16)))
# a phone list (bulk_phone_numbers counts them): each written as phones
# are, some after words, digits of other scripts or parentheses, so that
# the count shows a single one missed
for i in range(70):
    cc = random.choice(["+49 ", "+\u0664\u0664 ", "(\u0660\u0662) ", "(030) ", "", "tel. "])
    lines.append("x%s%d %03d %04d" % (cc, random.randint(10, 99), i, random.randint(1000, 9999)))
    # the first group in Arabic-Indic digits: the match starts before the run
    lines.append("y\u0664\u0663 %03d %04d" % (i + 100, random.randint(1000, 9999)))
# runs that "digits ... shape" (bulk_phone_numbers) skips or keeps, at
# its edges: phones glued to letters, after a slash, of the smallest and
# largest groups, just before a run that holds none; near-misses of
# other groupings (dates, amounts, hex ids, a group too short or long)
for i in range(60):
    r4 = lambda: random.randint(1000, 9999)
    lines.append("id%s%02d %03d %04dzz" % (random.choice(["ab", "f", "_"]), random.randint(10, 99), i, r4()))
    lines.append("ref:%03d/%02d-%03d-%04d/" % (i, random.randint(10, 99), i + 200, r4()))
    lines.append("%04d.%04d.%04d;" % (r4(), i + 5000, r4()))
    lines.append("%02d.%03d.%03d" % (random.randint(10, 99), i + 300, random.randint(100, 999)))
    lines.append("k%02d-%03d-%04dx%06d" % (random.randint(10, 99), i + 400, r4(), random.randint(0, 999999)))
    # a phone whose own run is too long (the slash joins it): found only
    # from the window of the run after it, which must not be skipped
    lines.append("%07d/%02d-%03d-%04dx%06d" % (i, random.randint(10, 99), i + 600, r4(), random.randint(0, 999999)))
    # and one with no run after it: its own joined run is the only way in
    lines.append("%07d/%02d-%03d-%04d" % (i, random.randint(10, 99), i + 700, r4()))
    lines.append(",2019-%02d-%02d,%d.%02d,9f%07dae,%d-%03d-%04d,%05d-%03d-%04d,%02d-%02d-%04d" % (
        i % 12 + 1, i % 28 + 1, random.randint(10**4, 10**6), i, random.randint(0, 10**7 - 1),
        i % 10, i, r4(), random.randint(10**4, 10**5 - 1), i, r4(), i, i, r4()))
lines.append("AccountKey=%s==" % "".join(random.choice("ABCDEFabcdef0123456789+/") for _ in range(86)))
# rules with "start" (iban, bulk_email_addresses, bulk_phone_numbers):
# matches at the edges of what their classes allow: after a letter or a
# digit, in lower case, with blanks or dashes after the country, check
# digits of another script, letters in the BBAN, at a line's start
def iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)
def group(v, sep):
    return sep.join(v[i:i + 4] for i in range(0, len(v), 4))
for pre in ("", "x", "7", " ", "IBAN:", "(", "\u00e9", "-"):
    de = lambda: iban("DE", "%018d" % random.randint(0, 10**18 - 1))
    nl = lambda: iban("NL", "ABNA%010d" % random.randint(0, 10**10 - 1))
    for ib in (group(de(), " "), de().lower(), group(nl(), " "), group(nl(), "-"),
               (lambda v: v[:2] + " " + v[2:4] + " " + group(v[4:], " "))(de()),
               (lambda v: v[:2] + "-" + v[2:4] + "-" + group(v[4:], "-"))(de()),
               (lambda v: v[:2] + "\u0668\u0669" + v[4:])(de())):
        lines.append("%s%s BIC" % (pre, ib))
# IBANs whose BBAN holds letters (registry formats with 'c' parts): no run
# of digits but their check digits; two-letter words before numbers
# ("at 2024") that are no IBAN; at a line's start and after other bytes
for pre in ("", " ", "x", "9", "(", "at ", "\u00e9", "IBAN: "):
    for cc, bban in (("LV", "BANKABCDEFGHIJKLM"), ("QA", "DOHBABCDEFGHIJKLMNOPQRSTU"),
                     ("RO", "AAAAB1CDEFGHIJKLMNOP"), ("BY", "NBRB3600ABCDEFGHIJKLMNOP"),
                     ("LI", "08810ABCDEFGH1234"), ("KW", "CBKUABCDEFGHIJKLMNOPQRSTUV")):
        v = iban(cc, bban)
        sep = random.choice(["", " ", "-"])
        lines.append("%s%s%s%s and at 2024 we paid %s" % (pre, v[:2], sep, group(v[2:], sep), random.randint(10, 99)))
# UK NI numbers (two letters, six digits, A-D) and markings, after every
# kind of byte, with and without blanks, in the wrong case
for pre in ("", " ", "x", "9", "(", "\u00e9", "-"):
    for i in range(4):
        d = "%06d" % random.randint(0, 999999)
        lines.append("%s%s%s %s %s %s %s" % (pre, random.choice(["AB", "CE", "JG", "ab", "Ab"]),
            random.choice(["", " "]), d[:2], d[2:4], d[4:], random.choice("ABCDE")))
    lines.append("%sSTRICTLY CONFIDENTIAL %sNUR F\u00dcR DEN INTERNEN GEBRAUCH %sconfidential %sRESTRICTED"
                 % (pre, pre, pre, pre))
# an address list: local parts of 1 to 65 bytes, after every kind of byte,
# with dots, plus and percent; some glued to words or other addresses
for i in range(70):
    local = random.choice(["a", "j.doe", "x+tag", "o%d" % i, "p_q-r", "z" * (60 + i % 6)])
    pre = random.choice(["", " ", "<", "mailto:", "\u00e9", "x@", ".", ";", "a\u2028"])
    lines.append("%s%s%d@mail%d.corp.test" % (pre, local, i, i % 7))
# access tokens after their digits, in any case and script
for pre in ("", "x", "|", "token=", "\u00e9"):
    for sep in ("|", "%7C", "%7c", "%7D"):
        for digits in ("123456789012345", "1234567890123456", "\u0661" * 15, "12345678901234"):
            lines.append("%s%s%s%s" % (pre, digits, sep, "aB3_-" * 7))
# a connection string whose key=value form starts more than 1024 bytes
# before its password (eight fields of 90 CJK characters), and markings
# after many blanks
lines.append("Server=db1;" + "".join("App%d=%s;" % (i, "\u4e2d" * 90) for i in range(8)) + "Password=Qw7rT2yU9iO4")
# letters beyond ASCII that fold to ASCII ones (long s, Kelvin sign):
# the caseless patterns match them, so the literals must find them too
lines.append("pa\u017f\u017fword = Lm4nB8vC2xZ6 and api_\u212aey = Rt5yU1iO7pA3sD9f")
# decimal digits of other scripts, whole and mixed into ASCII numbers (a
# match of \d that the ASCII runs of digits did not hold)
def script(v, zero):
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in v)
for zero in (0x660, 0x966, 0xe50, 0x1d7ce):
    c = luhn("4", 16)
    lines.append("card %s / %s%s / +49 30 002 5%s 020 7287" % (script(c, zero), c[:6], script(c[6:9], zero), script("44", zero)))
for n in (0, 1, 63, 64, 65):
    open("%s.%d" % (sys.argv[1], n), "w").write(
        "Subject: marking\n\n(%sSECRET)  [%sTOP SECRET%s]  //%sSECRET//\n" % (" " * n, "\t" * n, " " * n, " " * n))
open(sys.argv[1], "w").write("Subject: near misses DE89370400440532013000\n\n" + "\n".join(lines) + "\n")
PY
same "generated near-misses" "$T/near.eml" "$T"/near.eml.*
n=$(python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).readline())["matches"]))' "$T/fast")
# the long s and the Kelvin sign read as s and K: found by the fast path
printf 'Subject: x\n\npa\305\277\305\277word = Lm4nB8vC2xZ6\n' >"$T/longs.eml"
check "a password written with long s is found (normalised to ASCII)" \
	grep -q '"rule":"password_assignment"' \
	<("$EXFIL_SCAN" -r "$rules" --json "$T/longs.eml" 2>/dev/null)
# a Luhn-valid test number in Arabic-Indic digits (U+0660..U+0669)
printf 'Subject: x\n\ncard \331\244\331\241\331\241\331\241 \331\241\331\241\331\241\331\241 \331\241\331\241\331\241\331\241 \331\241\331\241\331\241\331\241\n' >"$T/arabic.eml"
check "a card number in Arabic-Indic digits is found (normalised to ASCII)" \
	grep -q '"rule":"payment_card"' \
	<("$EXFIL_SCAN" -r "$rules" --json "$T/arabic.eml" 2>/dev/null)
check "near-misses: the comparison is not empty ($n rules fired)" [ "$n" -ge 4 ]

if [ -d "$SHARED/corpora/mime" ]; then
	mapfile -d '' files < <(find "$SHARED/corpora/mime" -type f -print0 | sort -z)
	same "shared MIME corpora (${#files[@]} files)" "${files[@]}"
else
	skip "shared MIME corpora" "$SHARED/corpora/mime not present"
fi
if [ -f "$SHARED/bench/gen_corpus.py" ]; then
	python3 "$SHARED/bench/gen_corpus.py" "$T/corpus.txt" 2 >/dev/null
	same "2 MB benchmark corpus" "$T/corpus.txt"
else
	skip "benchmark corpus" "$SHARED/bench/gen_corpus.py not present"
fi
done_testing
