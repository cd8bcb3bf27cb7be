/*
 * NAME
 *	policy - findings, envelope facts and flags to one verdict
 * SYNOPSIS
 *	#include <exfil/policy.h>
 *
 *	void policy_decide(const struct policy_input *in,
 *	    struct verdict *out);
 * DESCRIPTION
 *	A pure function: no I/O, no clock. Mail whose recipients are all
 *	internal is accepted unscanned (the caller says so in in->outbound).
 *	For outbound mail:
 *	1. Allow statements whose conditions hold make exceptions: one that
 *	   names a category or rule removes those findings from the
 *	   decision; one that names neither accepts the message ("allow
 *	   sender_domain partner.example").
 *	2. Each "when" statement whose conditions all hold proposes its
 *	   action, and the most severe wins (accept < tag < quarantine <
 *	   reject; a tempfail statement wins over all). Conditions: the
 *	   category or rule fired, its distinct count reached N (summed over
 *	   the matching rules), their confidence reached a level, the
 *	   message's score reached N, a flag is set, the client is in
 *	   internal_networks or not, the sender authenticated or not, there
 *	   are at least N external recipients, the message has at least N
 *	   bytes, the sender's domain is one of a list, every external
 *	   recipient's domain is one of a list.
 *	   With in->override, a quarantine proposed by a statement on one of
 *	   override_categories becomes tag (out->overridden).
 *	3. A message that hit a limit gets at least on_limit, one that ran
 *	   out of time at least on_timeout. An internal error gives on_error,
 *	   whatever was found.
 *	Findings of rules in "mode monitor" never act: the verdict is
 *	decided without them, and out->monitor says what it would be with
 *	them. With in->monitor (the global monitor_mode) the action is
 *	accept and out->monitor says what enforcement would have done.
 *	The score is the sum over fired rules of score x distinct count.
 */
#ifndef EXFIL_POLICY_H
#define EXFIL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <exfil/verdict.h>

struct scan;
struct ruleset;
struct policy_stmt;

struct policy_input {
	const struct ruleset *rs;
	const struct scan *scan; /* NULL when nothing was scanned */
	unsigned flags; /* MSG_F_* */
	bool outbound;
	bool error; /* the scan failed */
	bool monitor; /* global monitor mode */
	enum action on_error;
	enum action on_limit;
	enum action on_timeout;
	/* envelope facts */
	bool client_internal;
	bool authenticated;
	const char *sender;
	const char *const *external; /* external recipients' addresses */
	size_t nexternal;
	size_t size;
	/* the sender asked to override (override_marker in the Subject) */
	bool override;
	char *const *override_categories;
	size_t noverride_categories;
};

struct verdict {
	enum action action; /* what is done */
	enum action monitor; /* what enforcing everything would do */
	bool monitored; /* monitor differs from action */
	bool overridden; /* an override turned quarantine into tag */
	int score;
	const char *reason; /* static text: what decided */
	const struct policy_stmt *stmt; /* the statement that decided */
};

void policy_decide(const struct policy_input *in, struct verdict *out);

#endif
