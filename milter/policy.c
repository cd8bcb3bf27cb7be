/*
 * policy.c - findings + envelope + flags -> verdict (pure: no I/O)
 * (see include/exfil/policy.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <exfil/config.h>
#include <exfil/message.h>
#include <exfil/policy.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#define MAX_RULES_STACK 256

/* which findings count: fired, not allowed away, and enforced (or not) */
struct counted {
	const struct policy_input *in;
	const unsigned char *use; /* per rule: 1 counts */
};

static const struct finding *
counted_finding(const struct counted *c, size_t i)
{
	return c->use[i] ? scan_finding(c->in->scan, i) : NULL;
}

static int
message_score(const struct counted *c)
{
	const struct finding *f;
	long score = 0;
	size_t i;

	for (i = 0; i < c->in->rs->nrules; i++)
		if ((f = counted_finding(c, i)) != NULL)
			score += (long)c->in->rs->rules[i].score * f->count;
	return score > 1000000 ? 1000000 : (int)score;
}

/* the envelope and flag conditions of st */
static bool
facts_hold(const struct policy_input *in, const struct policy_stmt *st)
{
	size_t i;

	if ((st->flags & POLICY_FLAG_LIMIT) &&
	    !(in->flags & MSG_F_UNSCANNABLE_MASK))
		return false;
	if ((st->flags & POLICY_FLAG_MALFORMED) &&
	    !(in->flags & (MSG_F_MIME_MALFORMED | MSG_F_LONG_LINE)))
		return false;
	if ((st->flags & POLICY_FLAG_TIMEOUT) && !(in->flags & MSG_F_TIMEOUT))
		return false;
	if (st->client != POLICY_ANY &&
	    (st->client == POLICY_YES) != in->client_internal)
		return false;
	if (st->auth != POLICY_ANY &&
	    (st->auth == POLICY_YES) != in->authenticated)
		return false;
	if (st->external_rcpts && in->nexternal < st->external_rcpts)
		return false;
	if (st->size && in->size < st->size)
		return false;
	if (st->nsender_domains &&
	    !(in->sender &&
		addr_domain_in(
		    in->sender, st->sender_domains, st->nsender_domains)))
		return false;
	if (st->nrcpt_domains) {
		if (in->nexternal == 0)
			return false;
		for (i = 0; i < in->nexternal; i++)
			if (!addr_domain_in(in->external[i], st->rcpt_domains,
				st->nrcpt_domains))
				return false;
	}
	return true;
}

/* does rule i match the statement's category and rule names? */
static bool
names_rule(const struct policy_stmt *st, const struct rule *r)
{
	return (st->category == NULL ||
		   strcmp(st->category, r->category) == 0) &&
	    (st->rule == NULL || strcmp(st->rule, r->id) == 0);
}

/* do st's finding conditions hold over the counted findings? */
static bool
findings_hold(const struct counted *c, const struct policy_stmt *st, int score)
{
	const struct finding *f;
	unsigned count = 0;
	bool any = false;
	size_t i;

	if (st->score >= 0 && score < st->score)
		return false;
	if (st->category == NULL && st->rule == NULL && st->count == 0 &&
	    st->confidence == CONF_LOW)
		return true; /* envelope, score and flags only */
	for (i = 0; i < c->in->rs->nrules; i++) {
		if ((f = counted_finding(c, i)) == NULL ||
		    !names_rule(st, &c->in->rs->rules[i]) ||
		    f->confidence < st->confidence)
			continue;
		any = true;
		count += f->count;
	}
	return any && count >= (st->count ? st->count : 1);
}

/* may the sender's override turn this statement's quarantine into tag? */
static bool
overridable(const struct policy_input *in, const struct policy_stmt *st)
{
	size_t i;

	if (!in->override || st->action != ACTION_QUARANTINE ||
	    st->category == NULL)
		return false;
	for (i = 0; i < in->noverride_categories; i++)
		if (strcmp(in->override_categories[i], st->category) == 0)
			return true;
	return false;
}

/* the action of the when statements over the counted findings */
static enum action
decide(const struct counted *c, int *score, const struct policy_stmt **stmt,
    bool *overridden)
{
	const struct policy_input *in = c->in;
	const struct policy_stmt *st;
	enum action a = ACTION_ACCEPT;
	size_t i;

	*score = message_score(c);
	*stmt = NULL;
	for (i = 0; i < in->rs->npolicy; i++) {
		st = &in->rs->policy[i];
		if (st->allow || !facts_hold(in, st) ||
		    !findings_hold(c, st, *score))
			continue;
		if (st->action == ACTION_TEMPFAIL) {
			*stmt = st;
			return ACTION_TEMPFAIL;
		}
		if (overridable(in, st)) {
			*overridden = true;
			if (ACTION_TAG > a) {
				a = ACTION_TAG;
				*stmt = st;
			}
			continue;
		}
		if (st->action > a) {
			a = st->action;
			*stmt = st;
		}
	}
	return a;
}

/* policy_decide - the verdict for one message */
void
policy_decide(const struct policy_input *in, struct verdict *out)
{
	unsigned char stack_use[MAX_RULES_STACK], *use = stack_use;
	unsigned char enforce_use[MAX_RULES_STACK], *euse = enforce_use;
	const struct policy_stmt *st, *estmt;
	struct counted all, enforced;
	enum action full, limit = ACTION_ACCEPT;
	size_t i, j, n = in->rs->nrules;
	int score, escore;
	bool ovr = false;

	memset(out, 0, sizeof(*out));
	out->reason = "clean";
	if (in->error) {
		out->action = out->monitor = in->on_error;
		out->reason = "internal error";
		return;
	}
	if (!in->outbound) {
		out->reason = "internal recipients only";
		return;
	}
	if (in->scan == NULL)
		return;
	/* rule sets with more rules than the stack holds: the heap; on
	 * failure, every rule counts (fail closed) */
	if (n > MAX_RULES_STACK) {
		use = calloc(n, 1);
		euse = calloc(n, 1);
	}
	if (use == NULL || euse == NULL) {
		free(use != stack_use ? use : NULL);
		out->action = out->monitor = in->on_error;
		out->reason = "internal error";
		return;
	}
	memset(use, 1, n);
	/* 1. exceptions: every condition of an allow must hold, those on the
	 * findings (count, score, confidence) judged before any exception */
	all.in = in;
	all.use = use;
	score = message_score(&all);
	for (i = 0; i < in->rs->npolicy; i++) {
		st = &in->rs->policy[i];
		if (!st->allow || !facts_hold(in, st) ||
		    ((st->count || st->score >= 0 ||
			 st->confidence != CONF_LOW) &&
			!findings_hold(&all, st, score)))
			continue;
		if (st->category == NULL && st->rule == NULL) {
			out->reason = "allowed";
			out->stmt = st;
			goto done;
		}
		for (j = 0; j < n; j++)
			if (names_rule(st, &in->rs->rules[j]))
				use[j] = 0;
	}
	/* 2. the verdict with every rule, and with the enforced ones */
	for (j = 0; j < n; j++)
		euse[j] = use[j] && !in->rs->rules[j].monitor;
	enforced.in = in;
	enforced.use = euse;
	full = decide(&all, &score, &st, &ovr);
	ovr = false;
	out->action = decide(&enforced, &escore, &estmt, &ovr);
	/* the override counts only where it changed the outcome */
	out->overridden = ovr && out->action < ACTION_QUARANTINE;
	out->score = escore;
	out->stmt = estmt;
	if (out->stmt)
		out->reason = "policy";
	/* 3. what could not be scanned */
	if ((in->flags & MSG_F_UNSCANNABLE_MASK) && in->on_limit > limit)
		limit = in->on_limit;
	if ((in->flags & MSG_F_TIMEOUT) && in->on_timeout > limit)
		limit = in->on_timeout;
	if (limit > out->action && out->action != ACTION_TEMPFAIL) {
		out->action = limit;
		out->stmt = NULL;
		out->reason = (in->flags & MSG_F_TIMEOUT)
		    ? "scan timed out"
		    : "not fully scannable";
	}
	if (limit > full && full != ACTION_TEMPFAIL)
		full = limit;
	out->monitor = full;
	if (in->monitor) {
		out->monitor = out->action > full ? out->action : full;
		out->action = ACTION_ACCEPT;
		out->reason = "monitor mode";
	}
	out->monitored = out->monitor != out->action;
	(void)score;
done:
	if (use != stack_use)
		free(use);
	if (euse != enforce_use)
		free(euse);
}
