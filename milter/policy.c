/*
 * policy.c - findings + envelope + flags -> verdict (pure: no I/O)
 * (see include/exfil/policy.h)
 */
#include "config.h"

#include <string.h>

#include <exfil/message.h>
#include <exfil/policy.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

static int
message_score(const struct policy_input *in)
{
	const struct finding *f;
	long score = 0;
	size_t i;

	for (i = 0; i < in->rs->nrules; i++)
		if ((f = scan_finding(in->scan, i)) != NULL)
			score += (long)in->rs->rules[i].score * f->count;
	return score > 1000000 ? 1000000 : (int)score;
}

/* does statement st hold? */
static bool
stmt_holds(
    const struct policy_input *in, const struct policy_stmt *st, int score)
{
	const struct finding *f;
	const struct rule *r;
	unsigned count = 0;
	bool any = false;
	size_t i;

	if (st->score >= 0 && score < st->score)
		return false;
	if ((st->flags & POLICY_FLAG_LIMIT) &&
	    !(in->flags & MSG_F_UNSCANNABLE_MASK))
		return false;
	if ((st->flags & POLICY_FLAG_MALFORMED) &&
	    !(in->flags & (MSG_F_MIME_MALFORMED | MSG_F_LONG_LINE)))
		return false;
	if (st->category == NULL && st->rule == NULL && st->count == 0 &&
	    st->confidence == CONF_LOW)
		return true; /* score and flags only */
	for (i = 0; i < in->rs->nrules; i++) {
		r = &in->rs->rules[i];
		if ((f = scan_finding(in->scan, i)) == NULL)
			continue;
		if (st->category && strcmp(st->category, r->category) != 0)
			continue;
		if (st->rule && strcmp(st->rule, r->id) != 0)
			continue;
		if (f->confidence < st->confidence)
			continue;
		any = true;
		count += f->count;
	}
	return any && count >= (st->count ? st->count : 1);
}

/* policy_decide - the verdict for one message */
void
policy_decide(const struct policy_input *in, struct verdict *out)
{
	size_t i;

	out->action = ACTION_ACCEPT;
	out->score = 0;
	out->reason = "clean";
	out->stmt = NULL;
	if (in->error) {
		out->action = in->on_error;
		out->reason = "internal error";
		return;
	}
	if (!in->outbound) {
		out->reason = "internal recipients only";
		return;
	}
	if (in->scan == NULL)
		return;
	out->score = message_score(in);
	for (i = 0; i < in->rs->npolicy; i++) {
		const struct policy_stmt *st = &in->rs->policy[i];
		if (st->action > out->action && st->action != ACTION_TEMPFAIL &&
		    stmt_holds(in, st, out->score)) {
			out->action = st->action;
			out->reason = "policy";
			out->stmt = st;
		}
	}
	for (i = 0; i < in->rs->npolicy; i++) {
		const struct policy_stmt *st = &in->rs->policy[i];
		if (st->action == ACTION_TEMPFAIL &&
		    stmt_holds(in, st, out->score)) {
			out->action = ACTION_TEMPFAIL;
			out->reason = "policy";
			out->stmt = st;
			return;
		}
	}
	if ((in->flags & MSG_F_UNSCANNABLE_MASK) &&
	    in->on_limit > out->action) {
		out->action = in->on_limit;
		out->reason = "not fully scannable";
		out->stmt = NULL;
	}
}
