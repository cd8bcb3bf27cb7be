#!/bin/bash
#
# NAME
#	quickstart.sh - try exfil-milter behind a private Postfix, in one command
# SYNOPSIS
#	contrib/quickstart.sh          # as root, or a user who may use sudo
#	contrib/quickstart.sh stop     # stop one left running (e.g. after kill -9)
# DESCRIPTION
#	On a fresh Debian 12 machine, from a clone of the repository:
#
#	1. installs the missing Debian packages (contrib/deps.sh; Postfix is
#	   installed with "No configuration": no system instance is set up),
#	2. builds (autoreconf -fi && ./configure when not configured yet,
#	   then make),
#	3. starts exfil-milter with the shipped rules/ (it drops to user
#	   postfix), waits until it answers, then a private Postfix on
#	   127.0.0.1:2525 whose smtpd_milters points at it and which relays
#	   everything to smtp-sink, which keeps one file per message,
#	4. sends one clean message through it as a self-test, prints a
#	   swaks command to try and where the results appear, and shows the
#	   milter's log until Ctrl-C, which stops everything it started (by
#	   pid, never by name).
#
#	The system's /etc/postfix is never read or written: the private
#	instance has its own config_directory. Postfix's users cannot enter
#	a clone inside a 0700 folder such as /root/x, so everything they
#	must reach (queue, milter socket, rules, sink, quarantine) lives in
#	RUNDIR (default /run/exfil-milter-quickstart, mode 0755). state/ in
#	the clone holds symlinks to it (git-ignored). RUNDIR is kept after
#	Ctrl-C so the messages can be read, and cleared at the next start.
# ENVIRONMENT
#	QS_RUNDIR	runtime folder (default /run/exfil-milter-quickstart)
#	QS_PORT		Postfix smtpd port (default 2525)
#	QS_SINK_PORT	smtp-sink port (default 2526, or a free one)
#	QS_NO_BUILD=1	do not run deps.sh or the build
# EXIT STATUS
#	0 after Ctrl-C (or "stop"), 1 when something could not be set up.

set -u -o pipefail

tree=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=private-postfix.sh
. "$tree/contrib/private-postfix.sh"
RUN=${QS_RUNDIR:-/run/exfil-milter-quickstart}
PORT=${QS_PORT:-2525}
SINK_PORT=${QS_SINK_PORT:-2526}
MUSER=postfix
STOP_TIMEOUT=10

say() { printf 'quickstart: %s\n' "$*"; }
die() {
	printf 'quickstart: ERROR: %s\n' "$*" >&2
	exit 1
}

if [[ $(id -u) != 0 ]]; then
	command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo)"
	exec sudo QS_RUNDIR="$RUN" QS_PORT="$PORT" QS_SINK_PORT="$SINK_PORT" \
	    QS_NO_BUILD="${QS_NO_BUILD:-}" bash "${BASH_SOURCE[0]}" "$@"
fi

case $RUN in
/?*) ;;
*) die "QS_RUNDIR must be an absolute path" ;;
esac
case $(realpath -m -- "$RUN")/ in
"$tree"/*) die "QS_RUNDIR must be outside the source tree (Postfix's users must reach it)" ;;
esac

PF_CONF=$RUN/pf/etc
PF_QUEUE=$RUN/pf/queue
PF_LOG=$RUN/pf/maillog
MSOCK=$RUN/milter/exfil-milter.sock
CONF=$RUN/exfil-milter.conf
PIDS_FILE=$RUN/pids		# "name pid" lines, for "stop" and a rerun

# ------------------------------------------------------------ processes

# alive - true if PID runs and is not a zombie
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $st && $st != Z* ]]
}

# is_ours - is_ours PID COMM: alive and still the program we started
is_ours() {
	alive "$1" && [[ $(ps -o comm= -p "$1" 2>/dev/null) == "$2"* ]]
}

# stop_pids - SIGTERM, wait at most STOP_TIMEOUT s, then SIGKILL
stop_pids() {
	local p left deadline=$((SECONDS + STOP_TIMEOUT))
	(($# == 0)) && return 0
	kill -TERM "$@" 2>/dev/null
	while :; do
		left=()
		for p in "$@"; do
			alive "$p" && left+=("$p")
		done
		((${#left[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			kill -KILL "${left[@]}" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

# master_pid - pid of the private Postfix master, if it runs
master_pid() {
	local p
	[[ -r $PF_QUEUE/pid/master.pid ]] || return 1
	p=$(tr -dc '0-9' <"$PF_QUEUE/pid/master.pid")
	[[ -n $p ]] && is_ours "$p" master && printf '%s' "$p"
}

# postfix_stop - stop the private Postfix and wait for its processes
postfix_stop() {
	local m kids
	m=$(master_pid) || return 0
	kids=$(ps -o pid= --ppid "$m" 2>/dev/null | tr -s ' \n' ' ')
	timeout --foreground 30 postfix -c "$PF_CONF" stop >/dev/null 2>&1
	# shellcheck disable=SC2086 # a list of pids
	stop_pids "$m" $kids
}

# stop_recorded - stop what an earlier run recorded in PIDS_FILE
stop_recorded() {
	local name pid pids=()
	postfix_stop
	if [[ -r $PIDS_FILE ]]; then
		while read -r name pid; do
			[[ -n ${pid:-} ]] && is_ours "$pid" "$name" && pids+=("$pid")
		done <"$PIDS_FILE"
	fi
	stop_pids "${pids[@]}"
	rm -f -- "$PIDS_FILE"
}

STARTED=()
# track - track NAME PID: remember a daemon we started
track() {
	STARTED+=("$2")
	printf '%s %s\n' "$1" "$2" >>"$PIDS_FILE"
}

TORN_DOWN=0
# teardown - EXIT trap: stop everything we started, by pid
# shellcheck disable=SC2317 # called from the trap
teardown() {
	((TORN_DOWN)) && return 0
	TORN_DOWN=1
	trap '' INT TERM HUP
	echo
	say "stopping (Postfix, exfil-milter, smtp-sink)..."
	[[ -d $PF_CONF ]] && postfix_stop
	stop_pids "${STARTED[@]}"
	rm -f -- "$PIDS_FILE"
	say "stopped. Messages and logs stay in $RUN until the next start."
}

if [[ ${1:-} == stop ]]; then
	[[ -d $RUN ]] || die "nothing at $RUN"
	stop_recorded
	say "stopped whatever was left running from $RUN"
	exit 0
elif [[ $# -gt 0 ]]; then
	die "usage: $0 [stop]"
fi

# one quickstart at a time: refuse before spending time on the build
if [[ -r $PIDS_FILE ]]; then
	while read -r name pid; do
		if [[ -n ${pid:-} ]] && is_ours "$pid" "$name"; then
			die "already running ($name pid $pid); stop it with Ctrl-C in its terminal or '$0 stop'"
		fi
	done <"$PIDS_FILE"
fi

# --------------------------------------------------- packages and build

if [[ -z ${QS_NO_BUILD:-} ]]; then
	if [[ -f $tree/contrib/deps.sh ]]; then
		say "checking Debian packages (contrib/deps.sh)"
		sh "$tree/contrib/deps.sh" || die "contrib/deps.sh failed"
	else
		say "installing Debian packages"
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections || die "debconf-set-selections failed"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
		    die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends autoconf automake make gcc pkg-config \
		    libmilter-dev libpcre2-dev libmagic-dev libssl-dev postfix \
		    swaks openssl python3 || die "apt-get install failed"
	fi

	# build as the user who owns the clone when called through sudo, so
	# that the build tree stays theirs
	as_owner=()
	owner=$(stat -c %U -- "$tree")
	if [[ -n ${SUDO_USER:-} && $SUDO_USER != root && $owner == "$SUDO_USER" ]]; then
		as_owner=(runuser -u "$SUDO_USER" --)
	fi
	cd "$tree" || die "cannot enter $tree"
	if [[ ! -f Makefile || ! -x config.status ]]; then
		say "configuring (autoreconf -fi && ./configure)"
		if ! { "${as_owner[@]}" autoreconf -fi && "${as_owner[@]}" ./configure; } \
		    >"$tree/quickstart-build.log" 2>&1; then
			tail -n 20 "$tree/quickstart-build.log"
			die "configure failed, see quickstart-build.log"
		fi
	fi
	say "building (make)"
	"${as_owner[@]}" make -j"$(nproc)" >>"$tree/quickstart-build.log" 2>&1 ||
	    { tail -n 20 "$tree/quickstart-build.log"; die "make failed, see quickstart-build.log"; }
	rm -f -- "$tree/quickstart-build.log"
fi

MILTER_BIN=$tree/milter/exfil-milter
[[ -x $MILTER_BIN ]] || die "$MILTER_BIN was not built"
for t in postfix smtp-sink swaks; do
	command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] ||
	    die "$t is missing (run contrib/deps.sh)"
done
[[ -d $tree/rules ]] || die "no rules/ folder in $tree"
getent passwd "$MUSER" >/dev/null || die "user $MUSER does not exist (is postfix installed?)"
export PATH=$PATH:/usr/sbin:/sbin

# ------------------------------------------------------- runtime folder

if [[ -d $RUN ]]; then
	stop_recorded
	rm -rf -- "$RUN"
fi

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port_busy "$PORT" && die "127.0.0.1:$PORT is in use (set QS_PORT)"
if port_busy "$SINK_PORT"; then
	for _ in $(seq 1 200); do
		SINK_PORT=$((20000 + RANDOM % 12000))
		port_busy "$SINK_PORT" || break
	done
fi

grp=$(id -gn "$MUSER")
install -d -m 0755 "$RUN" "$RUN/log" "$RUN/rules" "$PF_CONF"
install -d -m 0755 -o root -g root "$PF_QUEUE"
install -d -m 0755 -o "$MUSER" -g "$grp" "$RUN/milter"
install -d -m 0700 -o "$MUSER" -g "$grp" "$RUN/quarantine" "$RUN/spool"
install -d -m 0755 -o nobody "$RUN/sink"
runuser -u "$MUSER" -- test -x "$RUN/milter" ||
    die "user $MUSER cannot reach $RUN (a parent folder is not searchable; set QS_RUNDIR)"

trap teardown EXIT
trap 'exit 0' INT TERM HUP

# state/ in the clone: where things are (git-ignored)
state=$tree/state
mkdir -p "$state"
for l in run:. sink:sink quarantine:quarantine rules:rules maillog:pf/maillog \
    milter.log:log/milter.log exfil-milter.conf:exfil-milter.conf; do
	ln -sfn -- "$RUN/${l#*:}" "$state/${l%%:*}"
done
cat >"$state/README" <<EOF
Written by contrib/quickstart.sh on $(date -R).
The running quickstart lives in $RUN (Postfix's users cannot enter this
clone if it is inside a 0700 folder); the links here point there:
  sink/          every delivered message, one file each (m.*)
  quarantine/    quarantined messages: <ref>.eml and <ref>.json (root only)
  rules/         the rules the milter runs (a copy of rules/)
  milter.log     exfil-milter's log (one line per message with its verdict)
  maillog        the private Postfix's log
  exfil-milter.conf
EOF
owner=$(stat -c %U:%G -- "$tree")
chown -hR "$owner" "$state" 2>/dev/null

# ---------------------------------------------------------- exfil-milter

cp -R -- "$tree/rules/." "$RUN/rules/"
chmod -R u=rwX,go=rX "$RUN/rules"
cat >"$CONF" <<EOF
# exfil-milter configuration written by contrib/quickstart.sh
socket = unix:$MSOCK
socket_mode = 0660
socket_group = postfix
user = $MUSER
pid_file = $RUN/milter/exfil-milter.pid
rules_dir = $RUN/rules
# mail to these domains only is not scanned
internal_domains = example.com
quarantine_dir = $RUN/quarantine
spool_dir = $RUN/spool
on_error = tempfail
tag_rules_header = yes
EOF
chmod 0644 "$CONF"

"$MILTER_BIN" -n -c "$CONF" >"$RUN/log/milter-n.log" 2>&1 ||
    { cat "$RUN/log/milter-n.log" >&2; die "exfil-milter -n rejects the configuration"; }

say "starting exfil-milter on unix:$MSOCK"
"$MILTER_BIN" -f -c "$CONF" -p "unix:$MSOCK" >>"$RUN/log/milter.log" 2>&1 &
MILTER_PID=$!
track exfil-milter "$MILTER_PID"

# milter_answers - the socket has its final mode and accepts a connection
milter_answers() {
	[[ -S $MSOCK && $(stat -c %a -- "$MSOCK" 2>/dev/null) == 660 ]] || return 1
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1]); s.close()' \
	    "$MSOCK" 2>/dev/null
}

deadline=$((SECONDS + 30))
until milter_answers; do
	alive "$MILTER_PID" || { cat "$RUN/log/milter.log" >&2; die "exfil-milter exited"; }
	((SECONDS < deadline)) || { cat "$RUN/log/milter.log" >&2; die "exfil-milter did not answer within 30 s"; }
	sleep 0.1
done

# ------------------------------------------------------------- smtp-sink

say "starting smtp-sink on 127.0.0.1:$SINK_PORT"
smtp-sink -u nobody -d "$RUN/sink/m." "127.0.0.1:$SINK_PORT" 256 >>"$RUN/log/sink.log" 2>&1 &
SINK_PID=$!
track smtp-sink "$SINK_PID"

# banner - true if PORT greets with 220
banner() {
	local line
	line=$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 3 l <&3 || exit 1
		printf 'QUIT\r\n' >&3
		printf '%s' "$l"
	) || return 1
	[[ $line == 220* ]]
}

deadline=$((SECONDS + 30))
until banner "$SINK_PORT"; do
	alive "$SINK_PID" || { cat "$RUN/log/sink.log" >&2; die "smtp-sink exited"; }
	((SECONDS < deadline)) || die "smtp-sink did not answer within 30 s"
	sleep 0.1
done

# --------------------------------------------------------------- Postfix

private_postfix_conf "$PF_CONF" "$PF_QUEUE" "$RUN/pf/data" quickstart \
	"127.0.0.1:$PORT" "$SINK_PORT" "$PF_LOG" "$RUN" "unix:$MSOCK" 10

say "starting Postfix on 127.0.0.1:$PORT (config $PF_CONF)"
timeout --foreground 60 postfix -c "$PF_CONF" check ||
    { tail -n 20 "$PF_LOG" >&2; die "postfix check failed"; }
timeout --foreground 60 postfix -c "$PF_CONF" start >/dev/null 2>&1 ||
    { tail -n 20 "$PF_LOG" >&2; die "postfix start failed"; }
deadline=$((SECONDS + 30))
until banner "$PORT"; do
	((SECONDS < deadline)) || { tail -n 20 "$PF_LOG" >&2; die "Postfix did not answer on $PORT"; }
	sleep 0.1
done

# ------------------------------------------------------------- self-test

say "self-test: one clean message through Postfix and exfil-milter"
tok="quickstart-selftest-$$-$RANDOM"
swaks --server "127.0.0.1:$PORT" --timeout 30 --from alice@example.com \
    --to bob@partner.example --header "Subject: $tok" \
    --body "Quickstart self-test, nothing to see." >"$RUN/log/selftest.out" 2>&1 ||
    { cat "$RUN/log/selftest.out" >&2; die "self-test message was not accepted"; }
deadline=$((SECONDS + 30))
until grep -qlF -- "$tok" "$RUN"/sink/m.* 2>/dev/null; do
	((SECONDS < deadline)) || { tail -n 20 "$PF_LOG" >&2; die "self-test message did not reach smtp-sink"; }
	sleep 0.2
done

cat <<EOF

exfil-milter quickstart is running. Ctrl-C stops it.

  client --> Postfix 127.0.0.1:$PORT --> exfil-milter (pid $MILTER_PID, user $MUSER)
                                    \\--> smtp-sink 127.0.0.1:$SINK_PORT (every delivered message)
  rules: $RUN/rules (a copy of rules/; edit, then: kill -USR1 $MILTER_PID)
  internal_domains = example.com: mail only to @example.com is not scanned.

Try it, in another terminal: a Luhn-valid test card to an external recipient
is delivered, tagged:

  swaks --server 127.0.0.1:$PORT --from alice@example.com --to bob@partner.example \\
    --header 'Subject: order' --body 'Please charge my Visa card 4111 1111 1111 1111, exp 12/29.'

A private key is quarantined (the client still gets 250):

  swaks --server 127.0.0.1:$PORT --from alice@example.com --to bob@partner.example \\
    --header 'Subject: key' --body "Server key: \$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)"

Where the results appear (state/ in the clone links to each):
  delivered    $RUN/sink/m.*
  tagged       the delivered ones with X-Exfil-Verdict: tag:
                 grep -l '^X-Exfil-Verdict: tag' $RUN/sink/m.*
  quarantined  $RUN/quarantine/YYYY/MM/DD/<ref>.eml and <ref>.json; review them:
                 milter/exfil-quarantine -c $CONF list
                 milter/exfil-quarantine -c $CONF show <ref>
  rejected     none with the shipped policy; with a "then reject" policy line
               (exfil-rules(5)) the client sees 550 5.7.1 ... (ref <id>)
  verdicts     $RUN/log/milter.log (shown below), Postfix: $PF_LOG

--- exfil-milter log ---
EOF

tail -n +1 -f "$RUN/log/milter.log" &
track tail $!

# until Ctrl-C, or until a daemon dies
while alive "$MILTER_PID" && alive "$SINK_PID" && master_pid >/dev/null; do
	sleep 1
done
alive "$MILTER_PID" || say "exfil-milter exited"
alive "$SINK_PID" || say "smtp-sink exited"
master_pid >/dev/null || say "Postfix stopped"
exit 1
