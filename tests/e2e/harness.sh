# shellcheck shell=bash disable=SC2034 # (variables set here are read by the tests)
#
# NAME
#	harness.sh - private Postfix + smtp-sink + exfil-milter for e2e tests
# SYNOPSIS
#	. "$srcdir/harness.sh"
#	h_init "$top_srcdir"                  # $H = own mktemp -d folder, traps
#	h_postfix_setup "unix:$H/milter/milter.sock"
#	h_sink_start
#	h_milter_start BIN CONF unix:$H/milter/milter.sock 660 [args...]
#	h_postfix_start
#	h_send NAME swaks-args...             # sets SW_RC, SW_QID, SW_OUT
#	ok DESC / not_ok DESC / skip REASON [DESC] / diag TEXT
#	check 'COND' DESC      # COND: shell code, eval'ed; ok if it succeeds
#	done_testing           # prints the plan 1..N; false if any not ok
# DESCRIPTION
#	Everything lives in the test's own folder $H (mode 0755, outside the
#	source tree, reachable by user postfix):
#
#	  $H/pf/etc       main.cf, master.cf      (PF_CONF)
#	  $H/pf/queue     queue_directory         (PF_QUEUE)
#	  $H/pf/maillog   Postfix log, no syslog  (PF_LOG)
#	  $H/sink/m.*     one file per delivered message (SINK_DIR)
#	  $H/milter/      milter socket and pid file, owned by MILTER_USER
#	  $H/quarantine/  quarantine_dir, owned by MILTER_USER, 0700
#	  $H/spool/       spool_dir, owned by MILTER_USER, 0700
#	  $H/run/         logs of smtp-sink, the milter, swaks transcripts
#
#	Ports are chosen at random outside the kernel's ephemeral range,
#	checked free with ss(8) and reserved with an atomic mkdir in
#	$E2E_PORT_LOCKDIR (default /tmp/exfil-e2e-ports), so several e2e
#	tests can run at the same time. The reservation is released at
#	teardown; a reservation whose owner died is reclaimed.
#
#	h_init installs traps: EXIT runs h_teardown; INT, TERM and HUP exit
#	(and so tear down). h_teardown stops Postfix (postfix stop, then the
#	recorded master pid and its children by pid), then every daemon this
#	shell started (by pid, SIGTERM, at most E2E_STOP_TIMEOUT s, then
#	SIGKILL), releases the ports and removes $H unless E2E_KEEP=1. It
#	never kills by name. A zombie counts as dead (pitfall 11 of the
#	recipe: orphans are not always reaped in containers).
# ENVIRONMENT
#	E2E_TMPDIR	where the mktemp -d folder is made (default /tmp)
#	E2E_KEEP=1	keep $H after the test (its path is printed)
#	E2E_PORT_LOCKDIR, E2E_STOP_TIMEOUT (10), E2E_READY_TIMEOUT (30)
#	MILTER_USER	user owning the milter folders (default postfix)
# SEE ALSO
#	../shared/notes/postfix-harness.md (the recipe), t-basic.sh

# ---------------------------------------------------------------- TAP

_H_TAP_N=0
_H_TAP_FAIL=0

# ok - print a passing TAP line
ok() {
	_H_TAP_N=$((_H_TAP_N + 1))
	printf 'ok %d - %s\n' "$_H_TAP_N" "$*"
}

# not_ok - print a failing TAP line
not_ok() {
	_H_TAP_N=$((_H_TAP_N + 1))
	_H_TAP_FAIL=$((_H_TAP_FAIL + 1))
	printf 'not ok %d - %s\n' "$_H_TAP_N" "$*"
}

# check - check 'COND' desc: eval COND (a shell command), ok if it succeeds
check() {
	local cond=$1
	shift
	if eval "$cond"; then
		ok "$*"
		return 0
	fi
	not_ok "$*"
	diag "failed condition: $cond"
	return 1
}

# skip - a skipped TAP line: skip REASON [DESC]
skip() {
	_H_TAP_N=$((_H_TAP_N + 1))
	printf 'ok %d %s# SKIP %s\n' "$_H_TAP_N" "${2:+- $2 }" "$1"
}

# diag - TAP diagnostics, one '# ' line per input line
diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# diag_file - the last N (default 30) lines of a file as diagnostics
diag_file() {
	local f=$1 n=${2:-30}
	[[ -r $f ]] || return 0
	printf '# --- %s (last %s lines)\n' "$f" "$n"
	tail -n "$n" -- "$f" | sed 's/^/#   /'
}

# skip_all - nothing can run here: '1..0 # SKIP reason', exit 0
skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

# bail_out - setup error: 'Bail out!' and exit 2 (teardown runs)
bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 2
}

# done_testing - print the plan; return 0 when nothing failed
done_testing() {
	printf '1..%d\n' "$_H_TAP_N"
	[[ $_H_TAP_FAIL -eq 0 ]]
}

# the private Postfix configuration, shared with contrib/quickstart.sh
# shellcheck source=../../contrib/private-postfix.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../contrib/private-postfix.sh"

# ------------------------------------------------------------- messages

# mkmsg OUT TO TOKEN BODY [HEADER...]: a plain message from $FROM to TO
# whose Subject and Message-ID carry TOKEN (to find it at the sink)
mkmsg() {
	local out=$1 to=$2 tok=$3 body=$4 h
	shift 4
	{
		printf 'From: Alice Sender <%s>\n' "$FROM"
		printf 'To: <%s>\n' "$to"
		printf 'Subject: e2e %s\n' "$tok"
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s@client.harness.test>\n' "$tok"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n'
		for h in "$@"; do
			printf '%s\n' "$h"
		done
		printf '\n%s\n' "$body"
	} >"$out"
}

# newtok NAME: a token unique to this run and message
newtok() {
	printf 't%s-%s-%s' "$$" "$1" "$(h_random_digits 8)"
}

# ---------------------------------------------------------- utilities

H=""
_H_PIDS=()		# daemons started by this shell (direct children)
_H_PIDNAMES=()		# their names, for messages
_H_PORTLOCKS=()		# port reservations to release
_H_TORN_DOWN=0
_H_CREATED=0
E2E_STOP_TIMEOUT=${E2E_STOP_TIMEOUT:-10}
E2E_READY_TIMEOUT=${E2E_READY_TIMEOUT:-30}
E2E_PORT_LOCKDIR=${E2E_PORT_LOCKDIR:-/tmp/exfil-e2e-ports}
MILTER_USER=${MILTER_USER:-postfix}

# h_missing_tools - print the names of missing programs, one line
h_missing_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] ||
		    missing+=("$t")
	done
	printf '%s' "${missing[*]}"
}

# h_pid_alive - true if PID runs and is not a zombie
h_pid_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $st && $st != Z* ]]
}

# h_wait_for - h_wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s
#	until it succeeds (0), gives up for good (CMD returned 2: 2) or
#	TIMEOUT_S seconds passed (1).
h_wait_for() {
	local deadline=$((SECONDS + $1)) rc
	shift
	while :; do
		"$@"
		rc=$?
		((rc == 0 || rc == 2)) && return "$rc"
		((SECONDS >= deadline)) && return 1
		sleep 0.1
	done
}

# h_banner - print the first line a TCP port sends (empty if none)
h_banner() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 3 line <&3 || exit 1
		printf 'QUIT\r\n' >&3 2>/dev/null
		printf '%s' "${line%$'\r'}"
	) 2>/dev/null
}

# h_has_banner - true if PORT answers with a 220 greeting
h_has_banner() {
	local b
	b=$(h_banner "$1") || return 1
	[[ $b == 220[\ -]* ]]
}

# h_port_open - true if something accepts TCP connections on PORT
h_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _h_port_in_use - true if PORT has a listener (or looks taken)
_h_port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Htanl "sport = :$1" 2>/dev/null) ]] && return 0
		return 1
	fi
	h_port_open "$1"
}

# h_reserve_port - h_reserve_port VAR: pick a free loopback port into VAR
h_reserve_port() {
	local _var=$1 _port _lock _owner _tries=0
	mkdir -p "$E2E_PORT_LOCKDIR" 2>/dev/null
	chmod 1777 "$E2E_PORT_LOCKDIR" 2>/dev/null
	while ((_tries++ < 500)); do
		# 20000..31999: below the default ephemeral range (32768-60999)
		_port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		_h_port_in_use "$_port" && continue
		_lock=$E2E_PORT_LOCKDIR/$_port
		if ! mkdir "$_lock" 2>/dev/null; then
			# reclaim a reservation whose owner is gone
			_owner=$(cat "$_lock/owner" 2>/dev/null) || _owner=
			if [[ -n $_owner ]] && ! h_pid_alive "$_owner"; then
				rm -rf -- "$_lock"
			fi
			continue
		fi
		printf '%s\n' "$$" >"$_lock/owner"
		_H_PORTLOCKS+=("$_lock")
		printf -v "$_var" '%s' "$_port"
		return 0
	done
	return 1
}

# _h_release_ports - remove our port reservations
_h_release_ports() {
	local l
	for l in "${_H_PORTLOCKS[@]}"; do
		[[ $(cat "$l/owner" 2>/dev/null) == "$$" ]] && rm -rf -- "$l"
	done
	_H_PORTLOCKS=()
}

# h_track - h_track PID NAME: a daemon for teardown to stop
h_track() {
	_H_PIDS+=("$1")
	_H_PIDNAMES+=("$2")
}

# h_untrack - forget PID (it was stopped and reaped)
h_untrack() {
	local i
	for i in "${!_H_PIDS[@]}"; do
		if [[ ${_H_PIDS[i]} == "$1" ]]; then
			unset '_H_PIDS[i]' '_H_PIDNAMES[i]'
		fi
	done
}

# h_stop_pids - SIGTERM the PIDs, wait at most E2E_STOP_TIMEOUT, SIGKILL
#	the rest. Our own children are reaped with wait; others (Postfix)
#	count as gone when dead or zombie.
h_stop_pids() {
	local p deadline alive
	(($# == 0)) && return 0
	for p in "$@"; do
		h_pid_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	deadline=$((SECONDS + E2E_STOP_TIMEOUT))
	while :; do
		alive=()
		for p in "$@"; do
			h_pid_alive "$p" && alive+=("$p")
		done
		((${#alive[@]} == 0)) && break
		if ((SECONDS >= deadline)); then
			diag "still running after ${E2E_STOP_TIMEOUT}s, SIGKILL: ${alive[*]}"
			kill -KILL "${alive[@]}" 2>/dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

# h_init - h_init [SRCDIR]: make $H, chmod 0755, install the traps
h_init() {
	local src=${1:-} base=${E2E_TMPDIR:-/tmp} rh
	H=$(mktemp -d "$base/exfil-e2e.XXXXXX") || bail_out "mktemp -d in $base failed"
	_H_CREATED=1
	trap '_h_on_exit' EXIT
	trap 'diag "interrupted (SIGINT)"; exit 130' INT
	trap 'diag "terminated (SIGTERM)"; exit 143' TERM
	trap 'exit 129' HUP
	chmod 0755 "$H" || bail_out "chmod 0755 $H failed"
	rh=$(realpath -- "$H")
	if [[ -n $src ]]; then
		src=$(realpath -- "$src")
		case $rh/ in
		"$src"/*) bail_out "test folder $rh is inside the source tree $src (set E2E_TMPDIR)" ;;
		esac
	fi
	if ! runuser -u "$MILTER_USER" -- test -x "$H" 2>/dev/null; then
		bail_out "user $MILTER_USER cannot reach $H (a parent folder is not searchable; set E2E_TMPDIR)"
	fi
	mkdir -p "$H/run" "$H/pf/etc"
	install -d -m 0755 -o "$MILTER_USER" -g "$(id -gn "$MILTER_USER")" "$H/milter"
	install -d -m 0700 -o "$MILTER_USER" -g "$(id -gn "$MILTER_USER")" "$H/quarantine" "$H/spool"
	PF_CONF=$H/pf/etc
	PF_QUEUE=$H/pf/queue
	PF_LOG=$H/pf/maillog
	SINK_DIR=$H/sink
	QUARANTINE_DIR=$H/quarantine
	SPOOL_DIR=$H/spool
	MILTER_DIR=$H/milter
}

# _h_on_exit - EXIT trap: teardown, keep the exit status
_h_on_exit() {
	local rc=$?
	h_teardown "$rc"
	exit "$rc"
}

# h_milter_pf_addr - libmilter socket spec -> Postfix milter address
#	unix:/p -> unix:/p ; inet:PORT@HOST -> inet:HOST:PORT
h_milter_pf_addr() {
	case $1 in
	inet:*@*) local a=${1#inet:}; printf 'inet:%s:%s' "${a#*@}" "${a%@*}" ;;
	inet:*) printf 'inet:127.0.0.1:%s' "${1#inet:}" ;;
	/*) printf 'unix:%s' "$1" ;;
	*) printf '%s' "$1" ;;
	esac
}

# ------------------------------------------------------------ Postfix

# h_postfix_write_conf - main.cf and master.cf for the ports chosen
#	h_postfix_write_conf MILTER_SPEC (libmilter or Postfix form, or "")
h_postfix_write_conf() {
	local milters=
	[[ -n $1 ]] && milters=$(h_milter_pf_addr "$1")
	private_postfix_conf "$PF_CONF" "$PF_QUEUE" "$H/pf/data" harness \
	    "127.0.0.1:$SMTP_PORT" "$SINK_PORT" "$PF_LOG" "$H" "$milters" 2
}

# h_postfix_setup - h_postfix_setup MILTER_SPEC: ports, config, queue
#	Sets SMTP_PORT and SINK_PORT (unless already set), PF_* variables.
h_postfix_setup() {
	_H_MILTER_SPEC=$1
	[[ -n ${SMTP_PORT:-} ]] || h_reserve_port SMTP_PORT || bail_out "no free port"
	[[ -n ${SINK_PORT:-} ]] || h_reserve_port SINK_PORT || bail_out "no free port"
	install -d -m 0755 -o root -g root "$PF_QUEUE"
	h_postfix_write_conf "$_H_MILTER_SPEC"
	if ! timeout --foreground 60 postfix -c "$PF_CONF" check; then
		diag_file "$PF_LOG"
		bail_out "postfix -c $PF_CONF check failed"
	fi
}

# h_postfix_master_pid - print the pid of our master, if it runs
h_postfix_master_pid() {
	local p
	[[ -n ${PF_QUEUE:-} && -r $PF_QUEUE/pid/master.pid ]] || return 1
	p=$(tr -dc '0-9' <"$PF_QUEUE/pid/master.pid")
	[[ -n $p ]] && h_pid_alive "$p" || return 1
	[[ $(ps -o comm= -p "$p" 2>/dev/null) == master ]] || return 1
	printf '%s' "$p"
}

# h_postfix_start - start Postfix, wait for the smtpd 220 banner
#	A port taken meanwhile by someone else: retried on a new port.
h_postfix_start() {
	local try
	for try in 1 2 3; do
		if timeout --foreground 60 postfix -c "$PF_CONF" start >/dev/null 2>&1 &&
		    h_wait_for "$E2E_READY_TIMEOUT" h_has_banner "$SMTP_PORT"; then
			return 0
		fi
		diag "postfix start (port $SMTP_PORT) failed, try $try"
		diag_file "$PF_LOG" 15
		h_postfix_stop
		h_reserve_port SMTP_PORT || break
		h_postfix_write_conf "$_H_MILTER_SPEC"
	done
	return 1
}

# h_postfix_stop - postfix stop, then make sure master and children died
h_postfix_stop() {
	local m kids
	m=$(h_postfix_master_pid) || return 0
	kids=$(ps -o pid= --ppid "$m" 2>/dev/null | tr -s ' \n' ' ')
	timeout --foreground 30 postfix -c "$PF_CONF" stop >/dev/null 2>&1
	# shellcheck disable=SC2086 # kids is a list of pids
	h_stop_pids "$m" $kids
}

# h_postfix_flush - ask qmgr to retry the deferred queue now
h_postfix_flush() {
	timeout --foreground 30 postqueue -c "$PF_CONF" -f >/dev/null 2>&1
}

# h_queue_empty - true if nothing is in the Postfix queue
h_queue_empty() {
	local out
	out=$(timeout --foreground 30 postqueue -c "$PF_CONF" -j 2>/dev/null) || return 1
	[[ -z $out ]]
}

# h_wait_queue_empty - h_wait_queue_empty [TIMEOUT]
h_wait_queue_empty() {
	h_wait_for "${1:-60}" h_queue_empty
}

# h_log_has - true if the Postfix log matches an extended regexp
h_log_has() {
	grep -Eq -- "$1" "$PF_LOG" 2>/dev/null || return 1
}

# h_wait_qid_gone - h_wait_qid_gone QID [TIMEOUT]: Postfix logged
#	"QID: removed" (delivered, bounced or discarded and deleted) or
#	"QID: milter-discard" (never queued).
h_wait_qid_gone() {
	h_wait_for "${2:-60}" h_log_has "$1: (removed|milter-discard)"
}

# ----------------------------------------------------------- smtp-sink

# h_sink_start - smtp-sink on SINK_PORT, one file per message in SINK_DIR
h_sink_start() {
	local try
	install -d -m 0755 -o nobody "$SINK_DIR"
	for try in 1 2 3; do
		smtp-sink -u nobody -d "$SINK_DIR/m." "127.0.0.1:$SINK_PORT" 256 \
		    >>"$H/run/sink.log" 2>&1 &
		SINK_PID=$!
		h_track "$SINK_PID" smtp-sink
		if h_wait_for "$E2E_READY_TIMEOUT" _h_sink_ready; then
			return 0
		fi
		diag "smtp-sink on port $SINK_PORT did not start, try $try"
		diag_file "$H/run/sink.log" 5
		h_stop_pids "$SINK_PID"
		h_untrack "$SINK_PID"
		h_reserve_port SINK_PORT || break
		# Postfix relays to SINK_PORT: keep main.cf in step
		[[ -f $PF_CONF/main.cf ]] && h_postfix_write_conf "$_H_MILTER_SPEC"
	done
	return 1
}

_h_sink_ready() {
	h_pid_alive "$SINK_PID" || return 2
	h_has_banner "$SINK_PORT"
}

# h_sink_stop - stop smtp-sink
h_sink_stop() {
	[[ -n ${SINK_PID:-} ]] || return 0
	h_stop_pids "$SINK_PID"
	h_untrack "$SINK_PID"
	SINK_PID=
}

# h_sink_count - number of messages the sink received
h_sink_count() {
	local f n=0
	for f in "$SINK_DIR"/m.*; do
		[[ -f $f ]] && n=$((n + 1))
	done
	printf '%d' "$n"
}

# h_sink_find - print the sink files that contain a fixed string
h_sink_find() {
	local f
	for f in "$SINK_DIR"/m.*; do
		[[ -f $f ]] && grep -qF -- "$1" "$f" && printf '%s\n' "$f"
	done
	return 0
}

# h_wait_sink_count - h_wait_sink_count N [TIMEOUT]: at least N messages
h_wait_sink_count() {
	h_wait_for "${2:-60}" _h_sink_count_ge "$1"
}

_h_sink_count_ge() {
	(($(h_sink_count) >= $1))
}

# h_count_files - h_count_files DIR GLOB: number of matching files in DIR
# and its subfolders (the quarantine is sharded by day)
h_count_files() {
	find "$1" -type f -name "$2" 2>/dev/null | wc -l | tr -d ' '
}

# -------------------------------------------------------------- milter

# _h_sock_id - identity of a unix socket path (inode, change time)
_h_sock_id() {
	stat -c '%i %.9Z' -- "$1" 2>/dev/null
}

# h_milter_start - h_milter_start BIN CONF SOCKET MODE [ARGS...]
#	Start BIN -f -c CONF -p SOCKET [ARGS] (stderr -> $H/run/milter.log)
#	and wait until it is ready: for unix:PATH, PATH is a socket, has
#	octal MODE (e.g. 660) and is not a stale socket left by an earlier
#	instance; for inet:PORT@HOST, the port accepts connections.
#	Sets MILTER_PID. Returns 1 if the milter died or did not get ready.
h_milter_start() {
	local bin=$1 conf=$2 sock=$3 mode=$4 path='' old=''
	shift 4
	if [[ $sock == unix:* || $sock == /* ]]; then
		path=${sock#unix:}
		old=$(_h_sock_id "$path")
	fi
	"$bin" -f -c "$conf" -p "$sock" "$@" >>"$H/run/milter.log" 2>&1 &
	MILTER_PID=$!
	h_track "$MILTER_PID" exfil-milter
	_H_MSOCK_PATH=$path
	_H_MSOCK_OLD=$old
	_H_MSOCK_MODE=$mode
	_H_MSOCK_SPEC=$sock
	if h_wait_for "$E2E_READY_TIMEOUT" _h_milter_ready; then
		return 0
	fi
	if h_pid_alive "$MILTER_PID"; then
		diag "milter (pid $MILTER_PID) not ready after ${E2E_READY_TIMEOUT}s"
	else
		wait "$MILTER_PID"
		diag "milter exited with status $? before it was ready"
	fi
	[[ -n $path ]] && diag "socket: $(ls -l -- "$path" 2>&1)"
	diag_file "$H/run/milter.log" 20
	return 1
}

_h_milter_ready() {
	local id a
	h_pid_alive "$MILTER_PID" || return 2
	if [[ -n $_H_MSOCK_PATH ]]; then
		[[ -S $_H_MSOCK_PATH ]] || return 1
		id=$(_h_sock_id "$_H_MSOCK_PATH") || return 1
		[[ $id != "$_H_MSOCK_OLD" ]] || return 1
		[[ $(stat -c %a -- "$_H_MSOCK_PATH") == "$_H_MSOCK_MODE" ]]
	else
		a=${_H_MSOCK_SPEC#inet:}
		h_port_open "${a%@*}"
	fi
}

# h_milter_stop - h_milter_stop [SIGNAL]: stop the milter by pid
#	SIGTERM (default): wait for it (libmilter takes ~4.5 s).
#	KILL: SIGKILL, reap at once (the socket stays behind, as in a crash).
h_milter_stop() {
	local sig=${1:-TERM}
	[[ -n ${MILTER_PID:-} ]] || return 0
	if [[ $sig == KILL || $sig == 9 ]]; then
		kill -KILL "$MILTER_PID" 2>/dev/null
		wait "$MILTER_PID" 2>/dev/null
	else
		h_stop_pids "$MILTER_PID"
	fi
	h_untrack "$MILTER_PID"
	MILTER_PID=
}

# ---------------------------------------------------------- clients

H_SENT=0	# messages offered to Postfix by h_send/h_burst

# h_send - h_send NAME SWAKS-ARGS...: one swaks transaction to SMTP_PORT
#	Transcript in $H/run/swaks.NAME.out. Sets SW_RC (swaks exit code:
#	0 accepted, 2x failure at a stage, 26 rejected after DATA),
#	SW_QID (Postfix queue id, if queued), SW_OUT (transcript path),
#	SW_REPLY (the server's failure lines, '<** ...').
h_send() {
	local name=$1
	shift
	SW_OUT=$H/run/swaks.$name.out
	H_SENT=$((H_SENT + 1))
	timeout --foreground 120 swaks --server "127.0.0.1:$SMTP_PORT" --timeout 60 \
	    --helo client.harness.test "$@" >"$SW_OUT" 2>&1
	SW_RC=$?
	SW_QID=$(sed -n 's/^<- *2[0-9][0-9] .*queued as \([0-9A-Za-z]*\).*/\1/p' "$SW_OUT" | tail -n 1)
	SW_REPLY=$(grep -E '^<\*\*' "$SW_OUT")
	return 0
}

# h_burst - h_burst N SESSIONS SUBJECT [smtp-source args]: N messages
#	Sets BURST_RC.
h_burst() {
	local n=$1 s=$2 subj=$3
	shift 3
	H_SENT=$((H_SENT + n))
	timeout --foreground 300 smtp-source -s "$s" -m "$n" -S "$subj" \
	    -M client.harness.test "$@" "127.0.0.1:$SMTP_PORT" \
	    >"$H/run/smtp-source.out" 2>&1
	BURST_RC=$?
}

# --------------------------------------------------- message helpers

# h_luhn_complete - print PREFIX followed by its Luhn check digit
h_luhn_complete() {
	local s=$1 sum=0 i d dbl=1
	for ((i = ${#s} - 1; i >= 0; i--)); do
		d=${s:i:1}
		if ((dbl)); then
			d=$((d * 2))
			((d > 9)) && d=$((d - 9))
		fi
		sum=$((sum + d))
		dbl=$((1 - dbl))
	done
	printf '%s%d' "$s" $(((10 - sum % 10) % 10))
}

# h_luhn_valid - true if the digits of $1 pass the Luhn check
h_luhn_valid() {
	local s=${1//[^0-9]/} sum=0 i d dbl=0
	for ((i = ${#s} - 1; i >= 0; i--)); do
		d=${s:i:1}
		if ((dbl)); then
			d=$((d * 2))
			((d > 9)) && d=$((d - 9))
		fi
		sum=$((sum + d))
		dbl=$((1 - dbl))
	done
	((${#s} >= 12 && sum % 10 == 0))
}

# h_random_digits - print N random decimal digits
h_random_digits() {
	local n=$1 out=
	while ((${#out} < n)); do
		out+=$((RANDOM % 10))
	done
	printf '%s' "$out"
}

# h_headers - unfolded header lines of a message file (CR removed);
#	smtp-sink's own X-Client-*/X-Helo-Args/X-Mail-Args/X-Rcpt-Args
#	lines are dropped.
h_headers() {
	tr -d '\r' <"$1" | awk '
		/^$/ { exit }
		/^[ \t]/ { cur = cur $0; next }
		{ if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }' |
	    grep -Eiv '^(X-Client-Addr|X-Client-Proto|X-Helo-Args|X-Mail-Args|X-Rcpt-Args):'
}

# h_body - the body of a message file (after the first empty line), CR
#	removed, without trailing empty lines (swaks appends one to --data,
#	smtp-sink one to each dump file)
h_body() {
	tr -d '\r' <"$1" | awk '
		b && /^$/ { blank++; next }
		b { while (blank > 0) { print ""; blank-- } print; next }
		/^$/ { b = 1 }'
}

# ------------------------------------------------------------ teardown

# h_dump_logs - the interesting logs as TAP diagnostics
h_dump_logs() {
	[[ -n $H ]] || return 0
	diag_file "${PF_LOG:-}" 40
	diag_file "$H/run/milter.log" 40
	diag_file "$H/run/sink.log" 10
}

# h_teardown - h_teardown [RC]: stop everything we started, by pid;
#	remove $H. With RC != 0 or a failed check, dump the logs first.
h_teardown() {
	local rc=${1:-0}
	((_H_TORN_DOWN)) && return 0
	_H_TORN_DOWN=1
	trap '' INT TERM HUP
	if [[ -n $H ]] && ((_H_TAP_FAIL > 0 || rc != 0)); then
		h_dump_logs
	fi
	[[ -n ${PF_CONF:-} ]] && h_postfix_stop
	# all our daemons at once (libmilter needs ~4.5 s to exit)
	h_stop_pids "${_H_PIDS[@]}"
	_H_PIDS=()
	_H_PIDNAMES=()
	_h_release_ports
	if ((_H_CREATED)) && [[ -d $H ]]; then
		if [[ ${E2E_KEEP:-0} == 1 ]]; then
			diag "kept test folder $H"
		else
			rm -rf -- "$H"
		fi
	fi
	return 0
}
