/*
 * policy_test.c - unit tests of policy(3): policy_decide() over tables of
 * findings, flags, direction, errors and limits, with the default policy
 * and with a custom one.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <exfil/common.h>
#include <exfil/message.h>
#include <exfil/policy.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#define MAXRULES 16

/* a rule set from text; every rule gets a trivial pattern and example */
static struct ruleset *
ruleset(const char *text)
{
	struct ruleset *rs;
	char err[512];

	if (rules_load_text(
		text, strlen(text), "policy.rules", &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(rs->nrules <= MAXRULES);
	return rs;
}

struct count {
	const char *rule; /* id; NULL ends the list */
	unsigned n;
};

/* a scan whose findings have the given distinct counts */
static void
fake_scan(struct scan *s, struct finding *f, const struct ruleset *rs,
    const struct count *counts)
{
	const struct rule *r;
	size_t i;

	memset(s, 0, sizeof(*s));
	memset(f, 0, MAXRULES * sizeof(*f));
	s->rs = rs;
	s->findings = f;
	for (i = 0; counts && counts[i].rule; i++) {
		r = ruleset_find(rs, counts[i].rule);
		assert_non_null(r);
		f[r->index].rule = r;
		f[r->index].count = counts[i].n;
		f[r->index].hits = counts[i].n;
		f[r->index].where = "body:text/plain";
	}
}

/* Σ score × count over the rules that fired, computed here */
static int
expected_score(const struct ruleset *rs, const struct count *counts)
{
	const struct rule *r;
	int score = 0;
	size_t i;

	for (i = 0; counts && counts[i].rule; i++) {
		r = ruleset_find(rs, counts[i].rule);
		if (counts[i].n >= r->min_count && counts[i].n > 0)
			score += r->score * (int)counts[i].n;
	}
	return score;
}

/* --- the default policy -------------------------------------------------- */

static const char default_rules[] =
    "rule private_key\n category private_key\n pattern /k/\n score 10\n"
    " example \"k\"\nend\n"
    "rule secret_token\n category secret_token\n pattern /t/\n score 8\n"
    " example \"t\"\nend\n"
    "rule bulk_pii\n category bulk_pii\n pattern /b/\n example \"b\"\nend\n"
    "rule card\n category payment_card\n pattern /c/\n score 5\n"
    " example \"c\"\nend\n"
    "rule card2\n category payment_card\n pattern /d/\n example \"d\"\nend\n"
    "rule iban\n category iban\n pattern /i/\n example \"i\"\nend\n"
    "rule ssn\n category us_ssn\n pattern /s/\n example \"s\"\nend\n"
    "rule enc\n category encrypted_attachment\n pattern /e/\n"
    " example \"e\"\nend\n"
    "rule marking\n category classification_marking\n pattern /m/\n"
    " example \"m\"\nend\n"
    "rule ftype\n category file_type\n pattern /f/\n example \"f\"\nend\n"
    "rule fp\n category document_fingerprint\n pattern /p/\n"
    " example \"p\"\nend\n"
    "rule vol\n category volume_anomaly\n pattern /v/\n example \"v\"\nend\n"
    "rule other\n category something_else\n pattern /o/\n score 3\n"
    " example \"o\"\nend\n"
    "rule pair\n category secret_token\n pattern /q/\n min_count 2\n"
    " example \"q q\"\nend\n";

struct pcase {
	const char *label;
	struct count counts[4];
	unsigned flags;
	bool outbound, error;
	enum action on_error, on_limit;
	enum action want;
};

#define OUT true
#define IN false
#define DEF ACTION_TEMPFAIL, ACTION_QUARANTINE /* the defaults */

/* the shipped policy, rules/policy.rules, as exfil-rules(5) states it */
static const struct pcase default_cases[] = {
    {"clean", {{NULL, 0}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"inbound key", {{"private_key", 1}}, 0, IN, false, DEF, ACTION_ACCEPT},
    {"inbound many cards", {{"card", 50}}, 0, IN, false, DEF, ACTION_ACCEPT},
    {"inbound over a limit", {{NULL, 0}}, MSG_F_DEPTH_LIMIT, IN, false, DEF,
	ACTION_ACCEPT},
    {"private key", {{"private_key", 1}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"secret token", {{"secret_token", 1}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"bulk pii", {{"bulk_pii", 1}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    {"one card", {{"card", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"nine cards", {{"card", 9}}, 0, OUT, false, DEF, ACTION_TAG},
    {"ten cards", {{"card", 10}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    {"ten cards, two rules", {{"card", 6}, {"card2", 4}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"nine cards, two rules", {{"card", 5}, {"card2", 4}}, 0, OUT, false, DEF,
	ACTION_TAG},
    {"one iban", {{"iban", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"ten ibans", {{"iban", 10}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    {"one ssn", {{"ssn", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"twelve ssns", {{"ssn", 12}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    {"encrypted", {{"enc", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"marking", {{"marking", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"file type", {{"ftype", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"fingerprint", {{"fp", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"volume", {{"vol", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"no policy for it", {{"other", 5}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    /* most severe wins */
    {"card and key", {{"card", 1}, {"private_key", 1}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"marking and iban", {{"marking", 1}, {"iban", 1}}, 0, OUT, false, DEF,
	ACTION_TAG},
    /* a rule below its min_count did not fire */
    {"below min_count", {{"pair", 1}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"at min_count", {{"pair", 2}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    /* limits: at least on_limit */
    {"depth limit", {{NULL, 0}}, MSG_F_DEPTH_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"parts limit", {{NULL, 0}}, MSG_F_PARTS_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"decode limit", {{NULL, 0}}, MSG_F_DECODE_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"size limit", {{NULL, 0}}, MSG_F_SIZE_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"memory limit", {{NULL, 0}}, MSG_F_MEMORY_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"header limit", {{NULL, 0}}, MSG_F_HEADER_LIMIT, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"malformed is no limit", {{NULL, 0}}, MSG_F_MIME_MALFORMED, OUT, false,
	DEF, ACTION_ACCEPT},
    {"limit, on_limit tag", {{NULL, 0}}, MSG_F_SIZE_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_TAG, ACTION_TAG},
    {"limit, on_limit accept", {{NULL, 0}}, MSG_F_SIZE_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_ACCEPT, ACTION_ACCEPT},
    {"limit, on_limit reject", {{"card", 1}}, MSG_F_SIZE_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_REJECT, ACTION_REJECT},
    {"limit, on_limit tempfail", {{NULL, 0}}, MSG_F_PARTS_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_TEMPFAIL, ACTION_TEMPFAIL},
    {"limit below the findings", {{"private_key", 1}}, MSG_F_SIZE_LIMIT, OUT,
	false, ACTION_TEMPFAIL, ACTION_TAG, ACTION_QUARANTINE},
    /* an internal error: on_error, whatever was found */
    {"error", {{NULL, 0}}, 0, OUT, true, DEF, ACTION_TEMPFAIL},
    {"error with a key", {{"private_key", 1}}, 0, OUT, true, DEF,
	ACTION_TEMPFAIL},
    {"error, on_error accept", {{"private_key", 1}}, 0, OUT, true,
	ACTION_ACCEPT, ACTION_QUARANTINE, ACTION_ACCEPT},
    {"error, on_error quarantine", {{NULL, 0}}, MSG_F_SIZE_LIMIT, OUT, true,
	ACTION_QUARANTINE, ACTION_TAG, ACTION_QUARANTINE},
    {"error, on_error reject", {{"card", 1}}, 0, OUT, true, ACTION_REJECT,
	ACTION_QUARANTINE, ACTION_REJECT},
};

static void
run_cases(const struct ruleset *rs, const struct pcase *cases, size_t n)
{
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v;
	struct scan s;
	size_t i;

	for (i = 0; i < n; i++) {
		fake_scan(&s, f, rs, cases[i].counts);
		memset(&in, 0, sizeof(in));
		in.rs = rs;
		/* only outbound mail is scanned (engine(3)) */
		in.scan = cases[i].outbound && !cases[i].error ? &s : NULL;
		in.flags = cases[i].flags;
		in.outbound = cases[i].outbound;
		in.error = cases[i].error;
		in.on_error = cases[i].on_error;
		in.on_limit = cases[i].on_limit;
		memset(&v, 0xa5, sizeof(v));
		policy_decide(&in, &v);
		if (v.action != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].label,
			    action_name(v.action), action_name(cases[i].want));
		assert_non_null(v.reason);
		if (in.scan && !cases[i].error)
			assert_int_equal(
			    v.score, expected_score(rs, cases[i].counts));
	}
}

static void
test_default_policy(void **state)
{
	struct ruleset *rs = ruleset(default_rules);

	(void)state;
	run_cases(rs, default_cases, EXFIL_ARRAY_LEN(default_cases));
	ruleset_unref(rs);
}

/* --- a custom policy ----------------------------------------------------- */

static const char custom_rules[] =
    "rule a\n category pci\n pattern /a/\n score 5\n example \"a\"\nend\n"
    "rule b\n category pci\n pattern /b/\n score 2\n example \"b\"\nend\n"
    "rule c\n category other\n pattern /c/\n score 1\n example \"c\"\nend\n"
    "rule d\n category hold\n pattern /d/\n score 0\n example \"d\"\nend\n"
    "rule e\n category pci\n pattern /e/\n score 100\n min_count 3\n"
    " example \"e\"\nend\n"
    "policy\n"
    "  when category pci then tag\n"
    "  when category pci count 4 then quarantine\n"
    "  when rule c count 2 then quarantine\n"
    "  when score 30 then reject\n"
    "  when flag malformed then tag\n"
    "  when flag limit category other then reject\n"
    "  when category hold then tempfail\n"
    "end\n";

static const struct pcase custom_cases[] = {
    {"clean", {{NULL, 0}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"one pci", {{"a", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"count summed over a category", {{"a", 2}, {"b", 2}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"count below", {{"a", 2}, {"b", 1}}, 0, OUT, false, DEF, ACTION_TAG},
    {"score reached", {{"a", 6}}, 0, OUT, false, DEF, ACTION_REJECT},
    {"score summed", {{"a", 4}, {"b", 5}}, 0, OUT, false, DEF, ACTION_REJECT},
    {"score just below", {{"a", 5}, {"b", 2}}, 0, OUT, false, DEF,
	ACTION_QUARANTINE},
    {"score across categories", {{"a", 1}, {"b", 1}, {"c", 23}}, 0, OUT, false,
	DEF, ACTION_REJECT},
    {"rule condition below", {{"c", 1}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"rule condition", {{"c", 2}}, 0, OUT, false, DEF, ACTION_QUARANTINE},
    {"min_count not reached", {{"e", 2}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"min_count reached", {{"e", 3}}, 0, OUT, false, DEF, ACTION_REJECT},
    {"flag malformed", {{NULL, 0}}, MSG_F_MIME_MALFORMED, OUT, false, DEF,
	ACTION_TAG},
    {"flag limit and category", {{"c", 1}}, MSG_F_DECODE_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_TAG, ACTION_REJECT},
    {"flag limit, category absent", {{"a", 1}}, MSG_F_DECODE_LIMIT, OUT, false,
	ACTION_TEMPFAIL, ACTION_TAG, ACTION_TAG},
    {"category, no limit", {{"c", 1}}, 0, OUT, false, DEF, ACTION_ACCEPT},
    {"tempfail statement", {{"d", 1}}, 0, OUT, false, DEF, ACTION_TEMPFAIL},
    {"tempfail statement, inbound", {{"d", 1}}, 0, IN, false, DEF,
	ACTION_ACCEPT},
    {"the default policy is not added", {{"a", 0}}, 0, OUT, false, DEF,
	ACTION_ACCEPT},
};

static void
test_custom_policy(void **state)
{
	struct ruleset *rs = ruleset(custom_rules);

	(void)state;
	assert_int_equal(rs->npolicy, 7);
	run_cases(rs, custom_cases, EXFIL_ARRAY_LEN(custom_cases));
	ruleset_unref(rs);
}

/* a score condition alone, and the score itself */
static void
test_score_value(void **state)
{
	static const struct count counts[] = {{"a", 3}, {"b", 4}, {NULL, 0}};
	struct ruleset *rs = ruleset(custom_rules);
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v;
	struct scan s;

	(void)state;
	fake_scan(&s, f, rs, counts);
	memset(&in, 0, sizeof(in));
	in.rs = rs;
	in.scan = &s;
	in.outbound = true;
	in.on_error = ACTION_TEMPFAIL;
	in.on_limit = ACTION_QUARANTINE;
	policy_decide(&in, &v);
	assert_int_equal(v.score, 5 * 3 + 2 * 4);
	assert_int_equal(v.action, ACTION_QUARANTINE); /* pci count 7 */
	ruleset_unref(rs);
}

/* the same input gives the same verdict: no hidden state */
/* the confidence condition: least confidence of the matching findings */
static void
test_confidence_condition(void **state)
{
	static const char text[] =
	    "rule card\n category payment_card\n pattern /c/\n example "
	    "\"c\"\nend\n"
	    "rule mark\n category marking\n pattern /m/\n example \"m\"\nend\n"
	    "policy\n"
	    "  when category payment_card then tag\n"
	    "  when category payment_card confidence high then quarantine\n"
	    "  when confidence medium then tag\n"
	    "end\n";
	static const struct count card[] = {{"card", 1}, {NULL, 0}};
	static const struct count mark[] = {{"mark", 1}, {NULL, 0}};
	static const enum confidence levels[] = {
	    CONF_LOW, CONF_MEDIUM, CONF_HIGH};
	static const enum action want_card[] = {
	    ACTION_TAG, ACTION_TAG, ACTION_QUARANTINE};
	static const enum action want_mark[] = {
	    ACTION_ACCEPT, ACTION_TAG, ACTION_TAG};
	struct ruleset *rs = ruleset(text);
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v;
	struct scan s;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&in, 0, sizeof(in));
		in.rs = rs;
		in.outbound = true;
		in.scan = &s;
		fake_scan(&s, f, rs, card);
		f[ruleset_find(rs, "card")->index].confidence = levels[i];
		policy_decide(&in, &v);
		if (v.action != want_card[i])
			fail_msg("card at %s: got %s, want %s",
			    confidence_name(levels[i]), action_name(v.action),
			    action_name(want_card[i]));
		fake_scan(&s, f, rs, mark);
		f[ruleset_find(rs, "mark")->index].confidence = levels[i];
		policy_decide(&in, &v);
		if (v.action != want_mark[i])
			fail_msg("mark at %s: got %s, want %s",
			    confidence_name(levels[i]), action_name(v.action),
			    action_name(want_mark[i]));
	}
	ruleset_unref(rs);
}

/* one decision with envelope facts; returns the verdict */
struct env {
	bool client_internal, authenticated, monitor;
	const char *sender;
	const char *ext[4];
	size_t size;
	unsigned flags;
};

static struct verdict
decide_env(
    const struct ruleset *rs, const struct count *counts, const struct env *e)
{
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v;
	struct scan s;

	fake_scan(&s, f, rs, counts);
	memset(&in, 0, sizeof(in));
	in.rs = rs;
	in.scan = &s;
	in.outbound = true;
	in.on_limit = ACTION_QUARANTINE;
	in.on_timeout = ACTION_QUARANTINE;
	in.flags = e->flags;
	in.monitor = e->monitor;
	in.client_internal = e->client_internal;
	in.authenticated = e->authenticated;
	in.sender = e->sender;
	in.external = e->ext;
	for (in.nexternal = 0; in.nexternal < 4 && e->ext[in.nexternal];)
		in.nexternal++;
	in.size = e->size;
	policy_decide(&in, &v);
	return v;
}

static void
want(const char *label, struct verdict v, enum action a)
{
	if (v.action != a)
		fail_msg("%s: got %s, want %s", label, action_name(v.action),
		    action_name(a));
}

/* conditions on the envelope: client, authentication, recipients, size */
static void
test_envelope_conditions(void **state)
{
	static const char text[] =
	    "rule card\n category payment_card\n pattern /c/\n example "
	    "\"c\"\nend\n"
	    "policy\n"
	    "  when category payment_card then tag\n"
	    "  when category payment_card authenticated no then quarantine\n"
	    "  when category payment_card client external external_rcpts 3 "
	    "then reject\n"
	    "  when size 1000000 category payment_card then quarantine\n"
	    "  when category payment_card sender_domain .sales.example "
	    "then quarantine\n"
	    "end\n";
	static const struct count card[] = {{"card", 1}, {NULL, 0}};
	struct ruleset *rs = ruleset(text);
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.authenticated = true;
	e.client_internal = true;
	e.sender = "a@example.com";
	e.ext[0] = "x@partner.example";
	want("baseline", decide_env(rs, card, &e), ACTION_TAG);
	e.authenticated = false;
	want("unauthenticated", decide_env(rs, card, &e), ACTION_QUARANTINE);
	e.authenticated = true;
	e.ext[1] = "y@b.example";
	e.ext[2] = "z@c.example";
	want("3 external, internal client", decide_env(rs, card, &e),
	    ACTION_TAG);
	e.client_internal = false;
	want("3 external, external client", decide_env(rs, card, &e),
	    ACTION_REJECT);
	e.ext[1] = e.ext[2] = NULL;
	e.size = 2000000;
	want("big", decide_env(rs, card, &e), ACTION_QUARANTINE);
	e.size = 10;
	e.sender = "bob@eu.sales.example";
	want("sender subdomain", decide_env(rs, card, &e), ACTION_QUARANTINE);
	e.sender = "bob@sales.example.org";
	want("other sender domain", decide_env(rs, card, &e), ACTION_TAG);
	ruleset_unref(rs);
}

/* allow statements: exceptions per category, and for whole messages */
static void
test_allow(void **state)
{
	static const char text[] =
	    "rule mark\n category classification_marking\n pattern /m/\n"
	    " example \"m\"\nend\n"
	    "rule key\n category private_key\n pattern /k/\n example "
	    "\"k\"\nend\n"
	    "policy\n"
	    "  when category classification_marking then quarantine\n"
	    "  when category private_key then quarantine\n"
	    "  allow category classification_marking rcpt_domain "
	    "partner.example,.partner.example\n"
	    "  allow sender_domain audit.example\n"
	    "end\n";
	static const struct count mark[] = {{"mark", 1}, {NULL, 0}};
	static const struct count both[] = {{"mark", 1}, {"key", 1}, {NULL, 0}};
	struct ruleset *rs = ruleset(text);
	struct verdict v;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.sender = "a@example.com";
	e.ext[0] = "x@partner.example";
	want("marking to the partner", decide_env(rs, mark, &e), ACTION_ACCEPT);
	/* the exception covers its category only */
	want("key to the partner", decide_env(rs, both, &e), ACTION_QUARANTINE);
	/* every external recipient must be the partner's */
	e.ext[1] = "y@elsewhere.example";
	want("marking to the partner and another", decide_env(rs, mark, &e),
	    ACTION_QUARANTINE);
	e.ext[1] = "y@eu.partner.example";
	want("marking to the partner's subdomain", decide_env(rs, mark, &e),
	    ACTION_ACCEPT);
	/* an allow's conditions on the findings must hold too */
	ruleset_unref(rs);
	rs = ruleset(
	    "rule card\n category payment_card\n pattern /c/\n example "
	    "\"c\"\nend\n"
	    "policy\n  when category payment_card then tag\n"
	    "  allow category payment_card count 5 rcpt_domain bank.example\n"
	    "  allow score 1000\nend\n");
	{
		static const struct count one[] = {{"card", 1}, {NULL, 0}};
		static const struct count six[] = {{"card", 6}, {NULL, 0}};
		e.sender = "a@example.com";
		e.ext[0] = "ops@bank.example";
		e.ext[1] = NULL;
		want("one card to the bank: count 5 does not hold",
		    decide_env(rs, one, &e), ACTION_TAG);
		want("six cards to the bank: allowed", decide_env(rs, six, &e),
		    ACTION_ACCEPT);
	}
	ruleset_unref(rs);
	rs = ruleset(text);
	e.ext[0] = "x@partner.example";
	/* an allow without names accepts the message */
	e.sender = "robot@audit.example";
	v = decide_env(rs, both, &e);
	want("allowed sender", v, ACTION_ACCEPT);
	assert_string_equal(v.reason, "allowed");
	assert_non_null(v.stmt);
	assert_true(v.stmt->allow);
	ruleset_unref(rs);
}

/* monitor: a rule in mode monitor, and the global monitor mode */
static void
test_monitor(void **state)
{
	static const char text[] =
	    "rule old\n category payment_card\n pattern /o/\n example "
	    "\"o\"\nend\n"
	    "rule new\n category secret_token\n pattern /n/\n mode monitor\n"
	    " example \"n\"\nend\n"
	    "policy\n"
	    "  when category payment_card then tag\n"
	    "  when category secret_token then quarantine\n"
	    "end\n";
	static const struct count old[] = {{"old", 1}, {NULL, 0}};
	static const struct count nw[] = {{"new", 1}, {NULL, 0}};
	static const struct count both[] = {{"old", 1}, {"new", 1}, {NULL, 0}};
	struct ruleset *rs = ruleset(text);
	struct verdict v;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.ext[0] = "x@partner.example";
	v = decide_env(rs, old, &e);
	want("enforced rule", v, ACTION_TAG);
	assert_false(v.monitored);
	v = decide_env(rs, nw, &e);
	want("monitored rule: not acted on", v, ACTION_ACCEPT);
	assert_true(v.monitored);
	assert_int_equal(v.monitor, ACTION_QUARANTINE);
	v = decide_env(rs, both, &e);
	want("both: the enforced one acts", v, ACTION_TAG);
	assert_int_equal(v.monitor, ACTION_QUARANTINE);
	/* global monitor mode: accept, and say what would have been done */
	e.monitor = true;
	v = decide_env(rs, old, &e);
	want("global monitor", v, ACTION_ACCEPT);
	assert_true(v.monitored);
	assert_int_equal(v.monitor, ACTION_TAG);
	assert_string_equal(v.reason, "monitor mode");
	ruleset_unref(rs);
}

/* a scan out of time: on_timeout, and the flag condition */
static void
test_timeout(void **state)
{
	static const char text[] =
	    "rule card\n category payment_card\n pattern /c/\n example "
	    "\"c\"\nend\n"
	    "policy\n  when category payment_card then tag\n"
	    "  when flag timeout client internal then reject\nend\n";
	static const struct count none[] = {{NULL, 0}};
	struct ruleset *rs = ruleset(text);
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.ext[0] = "x@partner.example";
	e.flags = MSG_F_TIMEOUT;
	want(
	    "timeout: on_timeout", decide_env(rs, none, &e), ACTION_QUARANTINE);
	/* a statement on the flag can be more severe than on_timeout */
	e.client_internal = true;
	want("timeout, internal client", decide_env(rs, none, &e),
	    ACTION_REJECT);
	e.flags = 0;
	want("no timeout", decide_env(rs, none, &e), ACTION_ACCEPT);
	ruleset_unref(rs);
}

/* an override in the Subject turns quarantine into tag, where allowed */
static void
test_override(void **state)
{
	static const char text[] =
	    "rule key\n category private_key\n pattern /k/\n example "
	    "\"k\"\nend\n"
	    "rule card\n category payment_card\n pattern /c/\n example "
	    "\"c\"\nend\n"
	    "policy\n"
	    "  when category private_key then quarantine\n"
	    "  when category payment_card count 10 then quarantine\n"
	    "  when category payment_card count 50 then reject\n"
	    "end\n";
	static char *const allowed[] = {"private_key"};
	static const struct count key[] = {{"key", 1}, {NULL, 0}};
	static const struct count cards[] = {{"card", 12}, {NULL, 0}};
	static const struct count many[] = {
	    {"key", 1}, {"card", 60}, {NULL, 0}};
	struct ruleset *rs = ruleset(text);
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v;
	struct scan s;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.rs = rs;
	in.scan = &s;
	in.outbound = true;
	in.override_categories = allowed;
	in.noverride_categories = 1;
	fake_scan(&s, f, rs, key);
	policy_decide(&in, &v);
	want("key, no override", v, ACTION_QUARANTINE);
	assert_false(v.overridden);
	in.override = true;
	policy_decide(&in, &v);
	want("key, override", v, ACTION_TAG);
	assert_true(v.overridden);
	/* a category the operator did not allow is not overridden */
	fake_scan(&s, f, rs, cards);
	policy_decide(&in, &v);
	want("cards, override not allowed", v, ACTION_QUARANTINE);
	assert_false(v.overridden);
	/* never below what another statement asks */
	fake_scan(&s, f, rs, many);
	policy_decide(&in, &v);
	want("key and 60 cards, override", v, ACTION_REJECT);
	assert_false(v.overridden);
	ruleset_unref(rs);
}

static void
test_pure(void **state)
{
	static const struct count counts[] = {{"card", 3}, {NULL, 0}};
	struct ruleset *rs = ruleset(default_rules);
	struct finding f[MAXRULES];
	struct policy_input in;
	struct verdict v1, v2;
	struct scan s;

	(void)state;
	fake_scan(&s, f, rs, counts);
	memset(&in, 0, sizeof(in));
	in.rs = rs;
	in.scan = &s;
	in.outbound = true;
	in.on_error = ACTION_TEMPFAIL;
	in.on_limit = ACTION_QUARANTINE;
	policy_decide(&in, &v1);
	policy_decide(&in, &v2);
	assert_int_equal(v1.action, v2.action);
	assert_int_equal(v1.score, v2.score);
	assert_int_equal(f[ruleset_find(rs, "card")->index].count, 3);
	ruleset_unref(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_policy),
	    cmocka_unit_test(test_custom_policy),
	    cmocka_unit_test(test_score_value),
	    cmocka_unit_test(test_confidence_condition),
	    cmocka_unit_test(test_envelope_conditions),
	    cmocka_unit_test(test_allow),
	    cmocka_unit_test(test_monitor),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_override),
	    cmocka_unit_test(test_pure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
