#!/bin/bash
# t-daemon.sh - exfil-milter as an administrator meets it: -n, errors in
# configuration and rules, socket handling, privilege drop, reload on
# SIGUSR1, statistics on SIGUSR2, bodies spooled to a private file, pid file,
# stop on SIGTERM. TAP output.
. "$(dirname "$0")/../tap.sh"
here=$top_srcdir/tests/milter
H=$(mktemp -d "${TMPDIR:-/tmp}/exfil-daemon.XXXXXX")
chmod 0755 "$H"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$H/rules" "$H/q" "$H/spool"
cp "$top_srcdir"/rules/*.rules "$H/rules/"
conf() { # conf FILE [extra lines...]
	local f=$1
	shift
	{
		echo "rules_dir = $H/rules"
		echo "internal_domains = example.com"
		echo "quarantine_dir = $H/q"
		echo "spool_dir = $H/spool"
		printf '%s\n' "$@"
	} >"$f"
}
conf "$H/good.conf"

# start SOCK CONF: start a daemon in the foreground; waits for the socket
start() {
	"$EXFIL_MILTER" -f -c "$2" -p "unix:$1" 2>>"$H/milter.log" &
	last=$!
	pids+=("$last")
	local i
	for i in $(seq 1 100); do
		[ -S "$1" ] && return 0
		kill -0 "$last" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
send() { # send SOCK BODYFILE [FROM]: prints reply= and verdict= lines
	miltertest -s "$here/send.lua" -D "sock=unix:$1" -D "libdir=$here" \
		-D "body=$2" ${3:+-D "from=$3"} 2>&1
}

# --- -n, -h and option errors
out=$("$EXFIL_MILTER" -n -c "$H/good.conf" 2>"$H/err")
rc=$?
check "-n: exit 0 on a good configuration" [ $rc -eq 0 ]
check "-n: prints the effective rules_dir" grep -qx "rules_dir = $H/rules" <<<"$out"
check "-n: prints internal_domains" grep -qx "internal_domains = example.com" <<<"$out"
check "-n: prints defaults of keys not set" grep -qx "on_error = tempfail" <<<"$out"
check "-n: counts the rules" grep -q "^# $H/rules: [1-9][0-9]* rules" <<<"$out"
"$EXFIL_MILTER" -h >/dev/null
check "-h: exit 0" [ $? -eq 0 ]
"$EXFIL_MILTER" -Z >/dev/null 2>&1
check "unknown option: exit 2" [ $? -eq 2 ]

conf "$H/bad1.conf" "frobnicate = yes"
err=$("$EXFIL_MILTER" -n -c "$H/bad1.conf" 2>&1)
rc=$?
check "unknown key: non-zero exit" [ $rc -ne 0 ]
check "unknown key: one line" [ "$(wc -l <<<"$err")" -eq 1 ]
check "unknown key: file:line and the key" grep -q "bad1.conf:5: unknown key 'frobnicate'" <<<"$err"
conf "$H/bad2.conf" "on_error = shrug"
err=$("$EXFIL_MILTER" -n -c "$H/bad2.conf" 2>&1)
check "bad action value: file:line and the key" grep -q "bad2.conf:5: bad value 'shrug' for on_error" <<<"$err"
err=$("$EXFIL_MILTER" -n -c "$H/none.conf" 2>&1)
rc=$?
check "missing configuration file: non-zero exit" [ $rc -ne 0 ]
check "missing configuration file: file named" grep -q 'none.conf: No such file or directory' <<<"$err"

mkdir "$H/badrules"
cp "$H/rules/"*.rules "$H/badrules/"
printf 'rule broken\n  category x\n  pattern /[0-9/\nend\n' >"$H/badrules/zz.rules"
conf "$H/badrules.conf" "rules_dir = $H/badrules"
err=$("$EXFIL_MILTER" -n -c "$H/badrules.conf" 2>&1)
rc=$?
check "bad regex: non-zero exit" [ $rc -ne 0 ]
check "bad regex: file:line:col" grep -q "zz.rules:3:[0-9]*: bad regex" <<<"$err"
err=$("$EXFIL_MILTER" -f -c "$H/badrules.conf" -p "unix:$H/never.sock" 2>&1)
check "bad rules: the daemon refuses to start" [ ! -e "$H/never.sock" ]

conf "$H/noq.conf" "quarantine_dir = $H/no-such-dir"
err=$(timeout 10 "$EXFIL_MILTER" -f -c "$H/noq.conf" -p "unix:$H/noq.sock" 2>&1)
check "missing quarantine_dir: refuses to start and says why" \
	grep -q "quarantine_dir $H/no-such-dir: No such file or directory" <<<"$err"

if ! command -v miltertest >/dev/null; then
	skip "daemon tests" "miltertest not installed"
	done_testing
	exit 0
fi

# --- a running daemon: messages, socket in use, reload, statistics
card=$(luhn_number 5105 16)
printf 'Card %s exp 11/28\r\n' "$card" >"$H/card.txt"
printf 'marker EXFIL-TEST-RELOAD-42 here\r\n' >"$H/marker.txt"
check "daemon starts on a unix socket" start "$H/a.sock" "$H/good.conf"
apid=$last
check "socket has mode 0660 (socket_mode default)" [ "$(stat -c %a "$H/a.sock")" = 660 ]
check "card message is tagged" grep -q 'verdict=tag' <<<"$(send "$H/a.sock" "$H/card.txt")"

# a second daemon on the same socket: refused, the first keeps working
"$EXFIL_MILTER" -f -c "$H/good.conf" -p "unix:$H/a.sock" 2>"$H/err2" &
p2=$!
pids+=("$p2")
wait "$p2"
rc=$?
check "second daemon on a socket in use: exits non-zero" [ $rc -ne 0 ]
check "second daemon: says the socket is in use" grep -q "socket in use" "$H/err2"
check "first daemon still answers" grep -q 'verdict=tag' <<<"$(send "$H/a.sock" "$H/card.txt")"

# reload: a new rule starts to reject; a broken file keeps the running set
check "before reload: marker accepted" grep -q 'reply=c' <<<"$(send "$H/a.sock" "$H/marker.txt")"
cat >"$H/rules/zz-reload.rules" <<'R'
rule reload_marker
  category   classification_marking
  pattern    /EXFIL-TEST-RELOAD-[0-9]+/
  example    "EXFIL-TEST-RELOAD-1"
end
policy
  when rule reload_marker then reject
end
R
kill -USR1 "$apid"
for _ in $(seq 1 40); do
	grep -q 'reloaded' "$H/milter.log" && break
	sleep 0.05
done
check "SIGUSR1: reload logged" grep -q "reloaded $H/good.conf" "$H/milter.log"
check "after reload: marker rejected" grep -q 'reply=y' <<<"$(send "$H/a.sock" "$H/marker.txt")"
printf 'rule oops\n  pattern /(/\nend\n' >"$H/rules/zz-broken.rules"
kill -USR1 "$apid"
for _ in $(seq 1 40); do
	grep -q 'reload failed' "$H/milter.log" && break
	sleep 0.05
done
check "bad reload: error logged with file:line:col" grep -q "zz-broken.rules:2:[0-9]*:" "$H/milter.log"
check "bad reload: running rules kept" grep -q 'reply=y' <<<"$(send "$H/a.sock" "$H/marker.txt")"
rm -f "$H/rules/zz-broken.rules" "$H/rules/zz-reload.rules"
kill -USR2 "$apid"
for _ in $(seq 1 40); do
	grep -q 'stats:' "$H/milter.log" && break
	sleep 0.05
done
check "SIGUSR2: statistics logged" grep -q 'stats: messages=[1-9]' "$H/milter.log"
check "log lines carry the queue id" grep -q '4F2A1C: action=tag' "$H/milter.log"
check "no matched value in the log" bash -c "! grep -q '$card' '$H/milter.log'"

# a large body goes to a private spool file and is still scanned whole
conf "$H/spool.conf" "spool_memory_limit = 64K"
check "daemon with a 64 KB memory limit starts" start "$H/b.sock" "$H/spool.conf"
{
	for _ in $(seq 1 30000); do printf 'filler line of an ordinary long report\r\n'; done
	printf 'and at the end the card %s\r\n' "$card"
} >"$H/big.txt"
check "1 MB body spooled past the limit: card at the end found" \
	grep -q 'verdict=tag' <<<"$(send "$H/b.sock" "$H/big.txt")"
check "spool folder holds no file name" [ -z "$(ls -A "$H/spool")" ]

# stale socket: a socket file nobody listens on is removed at start
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$H/stale.sock"
check "stale socket file exists before start" [ -S "$H/stale.sock" ]
start "$H/stale.sock" "$H/good.conf"
for _ in $(seq 1 100); do # the old file is there already: wait for the log
	grep -q "stale.sock: removed stale socket" "$H/milter.log" && break
	sleep 0.05
done
check "stale socket: removal logged" grep -q "stale.sock: removed stale socket" "$H/milter.log"
check "daemon listens over the stale socket" grep -q 'verdict=tag' <<<"$(send "$H/stale.sock" "$H/card.txt")"

# privilege drop: started as root with user = nobody
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$H/q" "$H/spool"
	conf "$H/user.conf" "user = nobody" "pid_file = $H/milter.pid"
	check "daemon with user = nobody starts" start "$H/u.sock" "$H/user.conf"
	upid=$last
	check "runs as nobody" [ "$(ps -o user= -p "$upid" | tr -d ' ')" = nobody ]
	check "pid file names the daemon" [ "$(cat "$H/milter.pid" 2>/dev/null)" = "$upid" ]
	check "as nobody: card message tagged" grep -q 'verdict=tag' <<<"$(send "$H/u.sock" "$H/card.txt")"
	# a real key, made here by openssl, CRLF as SMTP carries it
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
		sed 's/$/\r/' >"$H/key.txt"
	check "as nobody: key message quarantined (discard)" grep -q 'reply=d' <<<"$(send "$H/u.sock" "$H/key.txt")"
	f=$(find "$H/q" -name '*.eml' 2>/dev/null | head -1)
	check "quarantined file owned by nobody, mode 0600" \
		[ -n "$f" ] && [ "$(stat -c '%U %a' "$f")" = "nobody 600" ]
	# the quarantine becomes unwritable: tempfail, never a loss
	find "$H/q" -type d -exec chmod 0500 {} +
	out=$(send "$H/u.sock" "$H/key.txt")
	echo "$out" | sed "s/^/# /"
	# a tempfail carries a reply text, so miltertest sees a reply code
	check "unwritable quarantine: answered with a reply code" grep -q "reply=y" <<<"$out"
	check "unwritable quarantine: logged, then tempfail" \
		grep -q "cannot quarantine in $H/q: Permission denied" "$H/milter.log"
	find "$H/q" -type d -exec chmod 0700 {} +
else
	skip "privilege drop" "not root"
fi

# a notice to the internal sender of a held message, by SMTP to a real
# smtp-sink on loopback; never to an external sender
if command -v smtp-sink >/dev/null && [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$H/nsink"
	chown nobody "$H/nsink"
	nport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	smtp-sink -u nobody -d "$H/nsink/m." "127.0.0.1:$nport" 8 2>>"$H/milter.log" &
	pids+=("$!")
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && break
		sleep 0.05
	done
	conf "$H/notify.conf" "notify_sender = yes" \
	    "notify_via = smtp:127.0.0.1:$nport" \
	    "notify_from = dlp@example.com"
	check "daemon with notify_sender starts" start "$H/n.sock" "$H/notify.conf"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
		sed 's/$/\r/' >"$H/nkey.txt"
	# lib.lua sends from alice@example.com, an internal sender
	check "notify: key message quarantined" grep -q 'reply=d' <<<"$(send "$H/n.sock" "$H/nkey.txt")"
	for _ in $(seq 1 100); do
		[ -n "$(ls -A "$H/nsink")" ] && break
		sleep 0.05
	done
	nf=$(ls "$H"/nsink/m.* 2>/dev/null | head -1)
	check "notify: one notice arrived" [ -n "$nf" ]
	check "notify: to the sender" grep -q '^X-Rcpt-Args: <alice@example.com>' "${nf:-/dev/null}"
	check "notify: from notify_from" grep -q '^X-Mail-Args: <dlp@example.com>' "${nf:-/dev/null}"
	ref=$(sed -n 's/.*ref=\([0-9A-F]*\).*action=quarantine.*//p; s/.*action=quarantine.* ref=\([0-9A-F]*\) .*/\1/p' "$H/milter.log" | tail -1)
	check "notify: names the reference $ref" grep -q "ref $ref" "${nf:-/dev/null}"
	check "notify: names the category" grep -q 'appears to contain: private_key' "${nf:-/dev/null}"
	check "notify: no key material in the notice" bash -c "! grep -q 'PRIVATE KEY' '${nf:-/dev/null}'"
	check "notify: marked auto-generated" grep -q '^Auto-Submitted: auto-generated' "${nf:-/dev/null}"
	check "external sender: quarantined" grep -q 'reply=d' <<<"$(send "$H/n.sock" "$H/nkey.txt" "<mallory@outside.example>")"
	sleep 0.5
	check "external sender: no notice (no backscatter)" [ "$(ls "$H"/nsink/m.* | wc -l)" -eq 1 ]
else
	skip "notify" "smtp-sink missing or not root"
fi

# SIGTERM stops the daemon
kill -TERM "$apid"
for _ in $(seq 1 200); do
	kill -0 "$apid" 2>/dev/null || break
	[ "$(ps -o stat= -p "$apid" 2>/dev/null)" = Z ] && break
	sleep 0.05
done
wait "$apid" 2>/dev/null
rc=$?
check "SIGTERM: daemon exits cleanly (status $rc)" [ $rc -eq 0 ]
done_testing
