#!/bin/bash
# t-detection.sh - detection and false-positive rates of the shipped rules
# on the public test corpora of ../shared/corpora (PROVENANCE.md there):
# every sample of secrets/secret-samples.jsonl, pii/pii-samples.jsonl and
# pii/stdnum-identifiers.jsonl becomes a small message, all of them are
# scanned by ONE exfil-scan run, and the rates per sample type are printed
# as TAP comments.
#
#   secrets: a sample marked "match" is detected when a secret_token or
#            private_key rule fires on its message; a "nomatch" sample is
#            a false positive when one does. Asserted: detection >= 95%,
#            false positives <= 2%, over all samples not excluded below.
#   PII:     the value is put in a sentence; a "valid" value is detected
#            when a rule of the type's category fires, an invalid one is a
#            false positive when one does. Asserted the same way, for each
#            type that has a rule in the rules folder. The stdnum
#            identifiers (other countries' numbers) have no rule of their
#            own: how many fire a PII rule is shown, not asserted.
#
# DETECTION_VERBOSE=1 lists each miss and false positive with its text.
. "$(dirname "$0")/../tap.sh"

C=$SHARED/corpora
if [ ! -f "$C/secrets/secret-samples.jsonl" ]; then
	echo "1..0 # SKIP no corpora at $C"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Samples judged wrong, so left out of the rates. Tab-separated: sample
# type (source/rule), expect (match, nomatch or *), pieces of text that
# pick the samples out (any of them, split by |), reason. Keep it short
# and honest.
cat > "$T/exclude.tsv" <<'EXCLUDE'
detect-secrets/ip_public	*		a public IP address is not a secret (no rule, by design)
detect-secrets/artifactory	match	xxxxxxxxxx	placeholder (AP6xxxx..., AKCxxxx...)
detect-secrets/twilio	match	xxxxxxxxxx	placeholder (SKxxxx..., ACxxxx...)
detect-secrets/npm	match	npm_xxxxxxxxxxx	placeholder
detect-secrets/aws_key	match	ZZZZZZZZZZZZZZZZ	placeholder (AKIAZZZZ...)
detect-secrets/aws_key	match	EXAMPLEKEY	AWS's documentation secret key
detect-secrets/basic_auth	match	username:password@	placeholder credentials
gitleaks/aws-amazon-bedrock-api-key-long-lived	match	EXAMPLEEXAMPLE	placeholder (the key body is EXAMPLE repeated)
gitleaks/pkcs12-file	*		empty sample: a file-name rule, no text to scan
gitleaks/gcp-service-account	match	"type": "service_account"	the type line alone: no key material
gitleaks/nuget-config-password	nomatch	CleartextPassword1	same text as a match sample; gitleaks rejects it by file name only
gitleaks/hashicorp-tf-password	nomatch	rootpasswd	same text as a match sample
gitleaks/anthropic-api-key	nomatch	sk-ant-admin01-abc123xyz-456def789ghij	a valid Anthropic admin key (the other rule's match)
gitleaks/anthropic-admin-api-key	nomatch	sk-ant-api03-abc123xyz-456def789ghij	a valid Anthropic API key (the other rule's match)
gitleaks/curl-auth-header	nomatch	Basic eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjb25maWRlbmNlIjowLjh9	holds a complete signed JWT
gitleaks/mailchimp-api-key	nomatch	MailchimpSDK.initialize(token: 3012a575	a well-formed Mailchimp key; gitleaks only misses the ')' after it
detect-secrets/telegram_token	nomatch	bot110201543:	a real bot token in the Bot API URL form (bot<token>)
gitleaks/freemius-secret-key	nomatch	sk_ubb4yN3mzqGR2x8	same text as a match sample; gitleaks rejects it by file name only
detect-secrets/gitlab_token	nomatch	ghp_	a GitHub token (the GitHub plugin's match sample)
gitleaks/cisco-meraki-api-key	nomatch	acdeFf05b1a6|5cb4a5f04cd4	a 40+ character key assigned to a *api-key/*token name (gitleaks' generic-api-key pattern matches it too)
gitleaks/settlemint-application-access-token	nomatch	2iom5bmy6q8mnnea|sm_aat_gyah1j3jer	a random value assigned to a *Token name (gitleaks' generic-api-key pattern matches it too)
gitleaks/settlemint-service-access-token	nomatch	smj5etgeb2ooc9cl	a random value assigned to a *Token name (gitleaks' generic-api-key pattern matches it too)
gitleaks/stripe-access-token	nomatch	task_test_k3yd3msc5	a random value assigned to a *Token name (gitleaks' generic-api-key pattern matches it too)
detect-secrets/npm	nomatch	_authToken=743b294a	a token assigned to _authToken, if not in .npmrc syntax (gitleaks' generic-api-key pattern matches it too)
detect-secrets/pypi_token	nomatch	CJDU3OTM1MjliLWIyYTYtNDEwOC05NzRkLTM0MjNiNmEwNWIzYgACF1sxLFsibWluaW1h	a cut-short real token, still 68 characters of it (gitleaks' own rule takes 50)
EXCLUDE

# 1. one message per sample, and an index of them
python3 - "$C" "$T" <<'PY' || exit 1
import json, os, sys
corp, tmp = sys.argv[1], sys.argv[2]
os.makedirs(tmp + "/m")
excl = []
for line in open(tmp + "/exclude.tsv", encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) == 4:
        excl.append(f)
used = [0] * len(excl)
idx = open(tmp + "/index.tsv", "w", encoding="utf-8")

def message(name, subject, body):
    with open("%s/m/%s.eml" % (tmp, name), "wb") as f:
        f.write(("From: sender@example.com\nTo: recipient@example.org\n"
                 "Subject: %s\nMIME-Version: 1.0\n"
                 "Content-Type: text/plain; charset=utf-8\n"
                 "Content-Transfer-Encoding: 8bit\n\n" % subject)
                .encode() + body.encode("utf-8", "surrogatepass") + b"\n")

n = 0
for line in open(corp + "/secrets/secret-samples.jsonl", encoding="utf-8"):
    j = json.loads(line)
    n += 1
    kind = "%s/%s" % (j["source"], j["rule"])
    want = "pos" if j["expect"] == "match" else "neg"
    why = ""
    for i, (k, e, piece, reason) in enumerate(excl):
        if k == kind and e in ("*", j["expect"]) and any(
                p in j["sample"] for p in piece.split("|")):
            why, used[i] = reason, used[i] + 1
            break
    name = "s%05d" % n
    message(name, "sample %d" % n, j["sample"])
    idx.write("\t".join([name, "secret", kind, want, why]) + "\n")

SENTENCE = {
    "payment_card": "Please charge the order to my card number {} - thanks!",
    "iban": "Please transfer the deposit to our IBAN {} by Friday.",
    "us_ssn": "For the payroll form: my social security number (SSN) is {}.",
}
OTHER = "For your records, the customer's identifier is {}, as on the form."
n = 0
for fn in ("pii-samples.jsonl", "stdnum-identifiers.jsonl"):
    path = corp + "/pii/" + fn
    if not os.path.exists(path):
        continue
    for line in open(path, encoding="utf-8"):
        j = json.loads(line)
        if "type" not in j or "valid" not in j:
            continue
        n += 1
        name = "p%05d" % n
        message(name, "record %d" % n,
                SENTENCE.get(j["type"], OTHER).format(j["value"]))
        idx.write("\t".join([name, "pii", j["type"],
                             "pos" if j["valid"] else "neg", ""]) + "\n")
with open(tmp + "/unused.txt", "w") as f:
    for u, e in zip(used, excl):
        if u == 0:
            f.write("%s %s %s\n" % (e[0], e[1], e[2]))
PY
nmsg=$(wc -l < "$T/index.tsv")

# 2. one scan of all of them (exit 1 only means "not all accepted")
scan=$(cd "$(dirname "$EXFIL_SCAN")" && pwd)/$(basename "$EXFIL_SCAN")
rules=$(cd "$top_srcdir/rules" && pwd)
(cd "$T/m" && exec "$scan" -r "$rules" --json ./*.eml) > "$T/scan.jsonl" 2> "$T/scan.err"
rc=$?
nout=$(wc -l < "$T/scan.jsonl")
if [ $rc -le 1 ] && [ "$nout" -eq "$nmsg" ] && [ "$nmsg" -gt 0 ]; then
	ok "one exfil-scan run over $nmsg sample messages"
else
	not_ok "one exfil-scan run over $nmsg sample messages (exit $rc, $nout results)"
	sed 's/^/# /' "$T/scan.err" | head -20
fi
if [ -s "$T/unused.txt" ]; then
	not_ok "every exclusion picks out a sample"
	sed 's/^/# unused: /' "$T/unused.txt"
else
	ok "every exclusion picks out a sample"
fi

# 3. rates per type; the lines "RATE name rate limit op" are asserted below
python3 - "$T" "$top_srcdir/rules" <<'PY' > "$T/report" || exit 1
import collections, glob, json, os, re, sys
tmp, rulesdir = sys.argv[1], sys.argv[2]
verbose = os.environ.get("DETECTION_VERBOSE") == "1"
fired = {}
for line in open(tmp + "/scan.jsonl", encoding="utf-8"):
    j = json.loads(line)
    name = os.path.basename(j["file"])[:-4]
    fired[name] = [(m["category"], m["rule"]) for m in j.get("matches", [])]
cats = set()
for fn in glob.glob(rulesdir + "/*.rules"):
    for line in open(fn, encoding="utf-8"):
        m = re.match(r"\s*category\s+(\S+)", line)
        if m:
            cats.add(m.group(1))
SECRET = {"secret_token", "private_key"}
PII = {"payment_card", "iban", "us_ssn", "bank_account", "national_id", "bulk_pii"}
CATEGORY = {"payment_card": "payment_card", "iban": "iban", "us_ssn": "us_ssn"}
rows = collections.OrderedDict()
excluded, detail, other = [], [], collections.Counter()
n_other = 0
for line in open(tmp + "/index.tsv", encoding="utf-8"):
    name, group, kind, want, why = line.rstrip("\n").split("\t")
    got = fired.get(name, [])
    if why:
        excluded.append((kind, want, why))
        continue
    if group == "secret":
        hit = any(c in SECRET for c, _ in got)
    elif kind in CATEGORY:
        hit = any(c == CATEGORY[kind] for c, _ in got)
    else:
        n_other += 1
        for r in sorted({r for c, r in got if c in PII}):
            other[r] += 1
        continue
    r = rows.setdefault((group, kind), [0, 0, 0, 0])
    if want == "pos":
        r[0] += 1
        r[1] += hit
    else:
        r[2] += 1
        r[3] += hit
    if hit != (want == "pos"):
        detail.append((name, kind, "missed" if want == "pos" else "false positive",
                       ",".join(r for _, r in got)))

def pct(a, b):
    return "%5.1f%%" % (100.0 * a / b) if b else "    -"

print("# %-52s %11s %7s %11s %7s" % ("sample type", "detected", "", "false pos.", ""))
tot = collections.defaultdict(lambda: [0, 0, 0, 0])
for (group, kind), r in rows.items():
    print("# %-52s %5d/%-5d %7s %5d/%-5d %7s" % (kind, r[1], r[0], pct(r[1], r[0]), r[3], r[2], pct(r[3], r[2])))
    key = "secrets" if group == "secret" else kind
    for i in range(4):
        tot[key][i] += r[i]
print("#")
for key, r in tot.items():
    print("# %-52s %5d/%-5d %7s %5d/%-5d %7s" % ("TOTAL " + key, r[1], r[0], pct(r[1], r[0]), r[3], r[2], pct(r[3], r[2])))
print("#")
print("# excluded samples: %d" % len(excluded))
for (kind, want, why), k in sorted(collections.Counter(excluded).items()):
    print("#   %3d %s %s: %s" % (k, kind, "match" if want == "pos" else "nomatch", why))
if n_other:
    print("# other identifiers (stdnum, no rule of their own): %d values, %d fired a PII rule%s"
          % (n_other, sum(other.values()), "".join(" (%s %d)" % kv for kv in other.most_common())))
print("# misses and false positives: %d%s" % (len(detail), "" if verbose else " (DETECTION_VERBOSE=1 lists them)"))
if verbose:
    text = {}
    for name, kind, what, rules in detail:
        body = open("%s/m/%s.eml" % (tmp, name), encoding="utf-8", errors="replace").read().split("\n\n", 1)[1]
        print("#   %s %s %s [%s] %r" % (name, kind, what, rules, body[:160]))
for key, r in tot.items():
    if key != "secrets" and CATEGORY.get(key) not in cats:
        continue
    if r[0]:
        print("RATE %s:detection %.4f 0.95 ge" % (key, r[1] / r[0]))
    if r[2]:
        print("RATE %s:false_positives %.4f 0.02 le" % (key, r[3] / r[2]))
PY
grep -v '^RATE ' "$T/report"
while read -r _ what rate limit op; do
	if python3 -c "import sys; r, l = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if (r >= l if sys.argv[3] == 'ge' else r <= l) else 1)" "$rate" "$limit" "$op"; then
		ok "$what $rate ($op $limit)"
	else
		not_ok "$what $rate ($op $limit)"
	fi
done < <(grep '^RATE ' "$T/report")
done_testing
