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
 *	For outbound mail each policy statement whose conditions all hold
 *	proposes its action, and the most severe wins (accept < tag <
 *	quarantine < reject). Conditions: the category or rule fired, its
 *	distinct count reached N (summed over the matching rules), their
 *	confidence reached a level, the
 *	message's total score reached N, a flag is set. A message that hit
 *	a limit (MSG_F_UNSCANNABLE_MASK) gets at least on_limit. An internal
 *	error gives on_error, whatever was found.
 *	The score is the sum over fired rules of score x distinct count.
 */
#ifndef EXFIL_POLICY_H
#define EXFIL_POLICY_H

#include <stdbool.h>

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
	enum action on_error;
	enum action on_limit;
};

struct verdict {
	enum action action;
	int score;
	const char *reason; /* static text: what decided */
	const struct policy_stmt
	    *stmt; /* the statement that decided, or NULL */
};

void policy_decide(const struct policy_input *in, struct verdict *out);

#endif
