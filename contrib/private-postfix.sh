# private-postfix.sh - the configuration of a private Postfix instance on
# loopback that relays everything to a sink, with a milter in front:
# sourced by contrib/quickstart.sh and tests/e2e/harness.sh (bash).
#
#   private_postfix_conf CONFDIR QUEUE DATA NAME LISTEN SINK_PORT LOG \
#       LOGPREFIX MILTERS RETRY
#
# CONFDIR receives main.cf and master.cf. NAME is the instance's host
# name (mta.NAME.test; it must differ from the sink's greeting). LISTEN is
# the smtpd address (127.0.0.1:PORT). MILTERS is the smtpd_milters value
# ("" for none); milter_default_action is tempfail, so that mail is
# deferred, never let through, when the milter does not answer. RETRY is
# the queue run delay and backoff in seconds (a sink hiccup must not park
# mail for the default 5 minutes). The system's /etc/postfix is never read.
private_postfix_conf() {
	local conf=$1 queue=$2 data=$3 name=$4 listen=$5 sink=$6 log=$7
	local prefix=$8 milters=$9 retry=${10}
	cat >"$conf/main.cf" <<PFEOF
# Private Postfix instance ($name, loopback only): written by
# contrib/private-postfix.sh.
compatibility_level = 3.6
queue_directory = $queue
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
# FQDN, different from the sink's greeting (loop detection)
myhostname = mta.$name.test
mydomain = $name.test
myorigin = \$myhostname
# no local delivery at all: every recipient is relayed to the sink
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$sink
smtp_dns_support_level = disabled
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $log
maillog_file_prefixes = $prefix
smtpd_milters = $milters
non_smtpd_milters = $milters
milter_default_action = tempfail
milter_protocol = 6
in_flow_delay = 0
biff = no
queue_run_delay = ${retry}s
minimal_backoff_time = ${retry}s
maximal_backoff_time = $((retry * 2))s
PFEOF
	cat >"$conf/master.cf" <<PFEOF
# service        type  private unpriv chroot wakeup maxproc command + args
$listen inet n -      n      -      -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
PFEOF
	# a just-written config makes every postfix command wait ~2 s
	touch -d '-1 minute' "$conf/main.cf" "$conf/master.cf"
}
