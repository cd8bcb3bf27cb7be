#!/bin/bash
# bench-quarantine.sh - how the day-sharded quarantine scales, run on
# demand (never in make check): N synthetic entries spread over DAYS days
# (metadata as the milter writes it, a small clear message each), then
# the median wall time of looking up one entry (show), listing one day
# (list --since/--until), listing everything and stats.
#
#   tests/bench/bench-quarantine.sh [N [DAYS [ROUNDS]]]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
days=${2:-365}
rounds=${3:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
Q=$top/milter/exfil-quarantine
make -s -C "$top" milter/exfil-quarantine tests/bench/qcrypt-bench
echo "== encryption at rest"
"$top/tests/bench/qcrypt-bench" 100 "$rounds"
printf 'quarantine_dir = %s/q\n' "$T" >"$T/conf"
mkdir -m 0700 "$T/q"
python3 - "$T/q" "$n" "$days" <<'PY'
import hashlib, json, os, random, sys, time
root, n, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
msg = b"From: a@corp.example\r\nTo: b@example.net\r\nSubject: x\r\n\r\nbody\r\n"
sha = hashlib.sha256(msg).hexdigest()
start = int(time.time()) - days * 86400
cats = ["payment_card", "private_key", "secret_token", "iban"]
for i in range(n):
    t = start + i * days * 86400 // n
    ident = "%08X%012X" % (t, random.getrandbits(48))
    d = os.path.join(root, time.strftime("%Y/%m/%d", time.gmtime(t)))
    os.makedirs(d, mode=0o700, exist_ok=True)
    with open(os.path.join(d, ident + ".eml"), "wb") as f:
        f.write(msg)
    meta = {"id": ident, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
            "status": "held", "sender": "a%d@corp.example" % (i % 50),
            "recipients": ["b@example.net"], "subject": "x", "size": len(msg),
            "sha256": sha, "file": os.path.relpath(os.path.join(d, ident + ".eml"), root),
            "encrypted": False, "key_id": None,
            "scan": {"action": "quarantine", "score": 10, "matches": [
                {"rule": "r", "category": cats[i % 4], "count": 1, "where": "body", "evidence": ["41**"]}],
                "parts": []},
            "history": []}
    with open(os.path.join(d, ident + ".json"), "w") as f:
        json.dump(meta, f)
PY
one=$(find "$T/q" -name '*.json' | sort | sed -n "$((n / 2))p")
id=$(basename "$one" .json)
day=$(python3 -c "import time,sys; print(time.strftime('%Y-%m-%d', time.gmtime(int(sys.argv[1][:8], 16))))" "$id")
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() { # LABEL CMD...
	local label=$1 i s e
	shift
	for ((i = 0; i < rounds; i++)); do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
	done | median | xargs printf "%-44s %8.3f s (median of $rounds)\n" "$label"
}
echo "== $n entries over $days days ($(du -sh "$T/q" | cut -f1))"
timeit "show ID (one entry)" "$Q" -c "$T/conf" show "$id"
timeit "list --since $day --until $day (one day)" "$Q" -c "$T/conf" list --json --since "$day" --until "$day"
timeit "list --json --category iban (all days)" "$Q" -c "$T/conf" list --json --category iban
timeit "stats (all days)" "$Q" -c "$T/conf" stats
echo "entries in that day: $("$Q" -c "$T/conf" list --json --since "$day" --until "$day" | wc -l)"
