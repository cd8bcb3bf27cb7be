/*
 * rules_test.c - unit tests of rules(3): the grammar, "file:line:col"
 * errors, the default policy, warnings, and loading folders (a temporary
 * one and the repository's rules/).
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <exfil/common.h>
#include <exfil/rules.h>
#include <exfil/scan.h>
#include <exfil/validators.h>

#include "testutil.h"

/* --- helpers ------------------------------------------------------------- */

static int
load(const char *text, struct ruleset **rs, char *err, size_t errlen)
{
	err[0] = '\0';
	return rules_load_text(text, strlen(text), "t.rules", rs, err, errlen);
}

/* the rule set of text; the test fails with the error when it does not
 * load */
static struct ruleset *
loaded(const char *text)
{
	struct ruleset *rs = NULL;
	char err[512];

	if (load(text, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return rs;
}

/* the 1-based column of needle in line number lineno (1-based) of text */
static size_t
col_of(const char *text, unsigned lineno, const char *needle)
{
	const char *line = text, *nl, *hit;
	unsigned i;

	for (i = 1; i < lineno; i++) {
		line = strchr(line, '\n');
		assert_non_null(line);
		line++;
	}
	nl = strchr(line, '\n');
	hit = strstr(line, needle);
	assert_non_null(hit);
	assert_true(nl == NULL || hit < nl);
	return (size_t)(hit - line) + 1;
}

/* --- a good rule --------------------------------------------------------- */

static const char good_rule[] =
    "# a comment\n"
    "\n"
    "rule card.visa-1\n"
    "  category  payment_card   # trailing comment\n"
    "  pattern   /(?<!\\d)(4\\d{15})(?!\\d)/\n"
    "  pattern   /visa:\\s*(\\S+)/ix\n"
    "  validate  payment_card\n"
    "  keywords  card Visa within 40\n"
    "  scope     body attachment\n"
    "  min_count 2\n"
    "  score     7\n"
    "  example   \"card 4111111111111111\"\n"
    "  example   \"tab\\there \\\"quoted\\\" \\x41\"\n"
    "  counter   \"card 4111111111111112\"\n"
    "  enabled   no\n"
    "end\n";

static void
test_good_rule(void **state)
{
	struct ruleset *rs = NULL;
	const struct rule *r;
	char err[512];

	(void)state;
	if (load(good_rule, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(rs);
	assert_int_equal(rs->refs, 1);
	assert_int_equal(rs->nrules, 1);
	r = ruleset_find(rs, "card.visa-1");
	assert_non_null(r);
	assert_ptr_equal(r, &rs->rules[0]);
	assert_int_equal(r->index, 0);
	assert_string_equal(r->category, "payment_card");
	assert_string_equal(r->file, "t.rules");
	assert_int_equal(r->line, 3);
	assert_int_equal(r->npatterns, 2);
	assert_ptr_equal(r->validator, validator_find("payment_card"));
	assert_int_equal(r->nkeywords, 2);
	assert_string_equal(r->keywords[0], "card");
	assert_string_equal(r->keywords[1], "Visa");
	assert_int_equal(r->within, 40);
	assert_int_equal(r->scope, SCOPE_BODY | SCOPE_ATTACHMENT);
	assert_int_equal(r->min_count, 2);
	assert_int_equal(r->score, 7);
	assert_int_equal(r->nexamples, 2);
	assert_string_equal(r->examples[0], "card 4111111111111111");
	assert_string_equal(r->examples[1], "tab\there \"quoted\" A");
	assert_int_equal(r->ncounters, 1);
	assert_false(r->enabled);
	assert_int_equal(rs->nwarnings, 0);
	assert_null(ruleset_find(rs, "card"));
	/* the patterns were compiled with their flags: /ix */
	{
		pcre2_match_data *md =
		    pcre2_match_data_create_from_pattern(r->patterns[1], NULL);
		assert_true(
		    pcre2_match(r->patterns[1], (PCRE2_SPTR) "VISA:  x1", 9, 0,
			0, md, NULL) > 0);
		pcre2_match_data_free(md);
	}
	/* refcounting */
	assert_ptr_equal(ruleset_ref(rs), rs);
	assert_int_equal(rs->refs, 2);
	ruleset_unref(rs);
	assert_int_equal(rs->refs, 1);
	ruleset_unref(rs);
	ruleset_unref(NULL);
}

/* scope words, alone and together */
static void
test_scopes(void **state)
{
	static const struct {
		const char *words;
		unsigned scope;
	} cases[] = {
	    {"subject", SCOPE_SUBJECT},
	    {"headers", SCOPE_HEADERS},
	    {"body", SCOPE_BODY},
	    {"name", SCOPE_NAME},
	    {"attachment", SCOPE_ATTACHMENT},
	    {"all", SCOPE_ALL},
	    {"subject body name", SCOPE_SUBJECT | SCOPE_BODY | SCOPE_NAME},
	};
	char text[256], err[512];
	struct ruleset *rs;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text),
		    "rule r\n category c\n pattern /x/\n scope %s\n"
		    " example \"x\"\nend\n",
		    cases[i].words);
		if (load(text, &rs, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].words, err);
		assert_int_equal(rs->rules[0].scope, cases[i].scope);
		ruleset_unref(rs);
	}
}

/* "start": the classes of the first bytes, the byte before, through */
static void
test_start_classes(void **state)
{
	static const char text[] =
	    "rule r\ncategory c\npattern /x/\n"
	    "start <[^A-Za-z0-9] [a-c\\d] [-\\x20\\x80-\\xff] through [^;]\n"
	    "example \"x\"\nend\n";
	const struct rule *r;
	struct ruleset *rs;

	(void)state;
	rs = loaded(text);
	r = &rs->rules[0];
	assert_int_equal(r->nstart, 2);
	assert_int_equal(r->start_map['b'] & 0x7f, 1);
	assert_int_equal(r->start_map['7'] & 0x7f, 1);
	assert_int_equal(r->start_map['d'] & 0x7f, 0);
	assert_int_equal(r->start_map['-'] & 0x7f, 2);
	assert_int_equal(r->start_map[' '] & 0x7f, 2);
	assert_int_equal(r->start_map[0xe9] & 0x7f, 2);
	assert_int_equal(r->start_map['x'] & 0x7f, 0);
	assert_int_equal(r->start_prev['a'], 0);
	assert_int_equal(r->start_prev['5'], 0);
	assert_int_equal(r->start_prev[' '], 1);
	assert_int_equal(r->start_prev[0xc3], 1);
	/* the byte before, where the scanner reads it */
	assert_int_equal(r->start_map[' '] >> 7, 1);
	assert_int_equal(r->start_map['a'] >> 7, 0);
	assert_int_equal(r->start_thru[';'], 0);
	assert_int_equal(r->start_thru['q'], 1);
	ruleset_unref(rs);
}

/* "digits ... letters": its own least digits, apart from the others' */
static void
test_digits_letters(void **state)
{
	static const char text[] =
	    "rule a\ncategory c\npattern /[A-Z]{2}\\d{2}/\n"
	    "digits 2 window 3 letters\nexample \"DE89\"\nend\n"
	    "rule b\ncategory c\npattern /\\d{9}/\ndigits 9\n"
	    "example \"123456789\"\nend\n";
	struct ruleset *rs;

	(void)state;
	rs = loaded(text);
	assert_true(rs->rules[0].digits_letters);
	assert_false(rs->rules[1].digits_letters);
	assert_int_equal(rs->lead_digits, 2);
	assert_int_equal(rs->min_digits, 9);
	assert_int_equal(rs->ndigit, 2);
	ruleset_unref(rs);
}

/*
 * Patterns tried at their literals alone (window 0) are not anchored by a
 * literal whose first byte cannot start them: by PCRE2's first code unit
 * (either case) or its set of first bytes; a window keeps every literal
 */
static void
test_pruned_literals(void **state)
{
	static const char text[] =
	    "rule t\ncategory c\nliterals SK twilio window 0\n"
	    "pattern /SK[0-9a-f]{4}/\npattern /(?i)twilio=(\\w+)/\n"
	    "example \"SK12ab\"\nend\n"
	    "rule u\ncategory c\nliterals ab cd ef Cx window 0\n"
	    "pattern /(?:ab|cd|cx)\\d/\nexample \"ab1\"\nend\n"
	    "rule v\ncategory c\nliterals SK twilio window 4\n"
	    "pattern /SK[0-9a-f]{4}/\nexample \"SK12ab\"\nend\n";
	struct ruleset *rs;

	(void)state;
	rs = loaded(text);
	assert_non_null(rs->rules[0].litmask);
	assert_int_equal(rs->rules[0].litmask[0] & 3, 1);
	assert_int_equal(rs->rules[0].litmask[1] & 3, 2);
	assert_non_null(rs->rules[1].litmask);
	assert_int_equal(rs->rules[1].litmask[0] & 15, 1 | 2 | 8);
	assert_null(rs->rules[2].litmask);
	ruleset_unref(rs);
}

/* what a minimal rule gets by default */
static void
test_rule_defaults(void **state)
{
	static const char text[] = "rule r\ncategory c\npattern /x/\n"
				   "example \"x\"\nend\n";
	struct ruleset *rs;
	char err[512];

	(void)state;
	assert_int_equal(load(text, &rs, err, sizeof(err)), 0);
	assert_true(rs->rules[0].enabled);
	assert_int_equal(rs->rules[0].min_count, 1);
	assert_null(rs->rules[0].validator);
	assert_int_equal(rs->rules[0].nkeywords, 0);
	assert_true(rs->rules[0].scope & SCOPE_BODY);
	assert_true(rs->rules[0].scope & SCOPE_ATTACHMENT);
	ruleset_unref(rs);
}

/* --- errors -------------------------------------------------------------- */

struct err_case {
	const char *label;
	const char *text;
	unsigned line;
	const char *at; /* the column is where this text starts on the line */
	unsigned col; /* or this, when at is NULL */
	const char *msg;
};

#define RULE_HEAD "rule a\n  category c\n  pattern /x/\n"

static const struct err_case err_cases[] = {
    {"empty domain list", "policy\n  when sender_domain , then tag\nend\n", 2,
	",", 0, "'sender_domain' needs a domain"},
    {"max below min", RULE_HEAD "  min_count 5\n  max_count 2\nend\n", 6, "end",
	0, "max_count is below min_count"},
    {"whole without a numeric validator",
	RULE_HEAD "  validate iban\n  digits 8 whole\nend\n", 6, "end", 0,
	"'digits ... whole' needs a numeric validator"},
    {"pattern: an unknown word",
	"rule a\n  category c\n  pattern /x/i wide\nend\n", 3, "wide", 0,
	"expected 'window N'"},
    {"pattern: window without a number",
	"rule a\n  category c\n  pattern /x/ window\nend\n", 3, NULL, 21,
	"window needs a number"},
    {"pattern: a literal the rule has not",
	"rule a\n  category c\n  pattern /ab/ literals ab\n  literals "
	"xy\nend\n",
	5, "end", 0, "pattern 1 names 'ab', not one of the rule's literals"},
    {"pattern: after without a word",
	"rule a\n  category c\n  pattern /x/ after\nend\n", 3, NULL, 20,
	"after needs a word"},
    {"pattern: after without within",
	"rule a\n  category c\n  pattern /x/ after @ near 4\nend\n", 3, NULL,
	29, "after WORD... needs 'within N'"},
    {"pattern: within without a number",
	"rule a\n  category c\n  pattern /x/ after @ within\nend\n", 3, NULL,
	29, "within needs a number"},
    {"pattern: after twice",
	"rule a\n  category c\n  pattern /x/ after @ within 4 after : within "
	"2\nend\n",
	3, "after :", 0, "expected 'window N', 'after WORD... within N'"},
    {"exact without literals", RULE_HEAD "  literals exact\nend\n", 4, "exact",
	0, "literals needs words before 'exact'"},
    {"a word after the literals' window",
	RULE_HEAD "  literals ab window 3 cd\nend\n", 4, "cd", 0,
	"unexpected 'cd'"},
    {"pattern: literals without words",
	"rule a\n  category c\n  pattern /x/ literals\nend\n", 3, NULL, 23,
	"literals needs words"},
    {"digits: an unknown word", RULE_HEAD "  digits 8 wide\nend\n", 4, "wide",
	0, "expected 'window N', 'whole', 'shape G...' or 'letters'"},
    {"digits: shape without groups",
	RULE_HEAD "  digits 8 shape window 4\nend\n", 4, NULL, 17,
	"shape needs groups: N or N-M"},
    {"digits: a shape group of no digits",
	RULE_HEAD "  digits 8 shape 2-4 0\nend\n", 4, "0\n", 0,
	"a group takes 1 to 64 digits"},
    {"digits: a shape group backwards", RULE_HEAD "  digits 8 shape 4-2\nend\n",
	4, "2\n", 0, "N-M needs M >= N"},
    {"start without classes", RULE_HEAD "  start\nend\n", 4, NULL, 8,
	"start needs a class: [BYTES]"},
    {"start: not a class", RULE_HEAD "  start [ab] cd\nend\n", 4, "cd", 0,
	"a start class is [BYTES] or [^BYTES]"},
    {"start: a range backwards", RULE_HEAD "  start [z-a]\nend\n", 4, "a]", 0,
	"range out of order"},
    {"start: half a hex byte", RULE_HEAD "  start [\\x4]\nend\n", 4, "\\x4", 0,
	"\\x needs two hex digits"},
    {"start: only the byte before", RULE_HEAD "  start <[a]\nend\n", 4, NULL, 8,
	"start needs a class: [BYTES]"},
    {"start: through without a class", RULE_HEAD "  start [a] through\nend\n",
	4, NULL, 20, "through needs a class: [BYTES]"},
    {"start: too many classes",
	RULE_HEAD "  start [a] [a] [a] [a] [a] [a] [a] [b]\nend\n", 4, "[b]", 0,
	"start takes at most 7 classes"},
    {"bad entropy", RULE_HEAD "  entropy lots\nend\n", 4, "lots", 0,
	"expected a number of bits"},
    {"bad confidence", RULE_HEAD "  min_confidence sure\nend\n", 4, "sure", 0,
	"unknown confidence 'sure'"},
    {"boost without words", RULE_HEAD "  boost within 5\nend\n", 4, "within", 0,
	"boost needs words before 'within'"},
    {"bad allow regex", RULE_HEAD "  allow /(x/\nend\n", 4, NULL, 12,
	"bad regex"},
    {"policy bad confidence",
	"policy\n  when confidence certain then tag\nend\n", 2, "certain", 0,
	"unknown confidence 'certain'"},
    {"include missing", "include nothere.inc\n", 1, "nothere.inc", 0,
	"nothere.inc: No such file or directory"},
    {"unknown keyword", RULE_HEAD "  colour red\nend\n", 4, "colour", 0,
	"unknown rule keyword 'colour'"},
    {"unknown validator", RULE_HEAD "  validate mod97\nend\n", 4, "mod97", 0,
	"unknown validator 'mod97'"},
    {"missing category", "rule a\n  pattern /x/\n  end\n", 3, "end", 0,
	"no category"},
    {"missing pattern", "rule a\n  category c\nend\n", 3, "end", 0,
	"no pattern"},
    {"missing end", RULE_HEAD "  score 2\n", 4, NULL, 1, "no 'end'"},
    {"missing end, no final newline", RULE_HEAD "  score 2", 4, NULL, 1,
	"no 'end'"},
    {"rule inside a rule", RULE_HEAD "rule b\n", 4, "rule", 0, "'rule'"},
    {"duplicate id",
	RULE_HEAD "  example \"x\"\nend\n\nrule a\n  category c\nend\n", 7, "a",
	0, "duplicate rule id 'a' (first at t.rules:1)"},
    {"bad id", "rule a/b\n", 1, "/", 0, "rule ids"},
    {"no id", "rule\n", 1, NULL, 5, "rule needs an id"},
    {"bad action", "policy\n  when category c then explode\nend\n", 2,
	"explode", 0, "unknown action 'explode'"},
    {"no action", "policy\n  when category c then\nend\n", 2, NULL, 0,
	"then needs an action"},
    {"no then", "policy\n  when category c\nend\n", 2, NULL, 0,
	"missing 'then"},
    {"unknown condition", "policy\n  when colour red then tag\nend\n", 2,
	"colour", 0, "unknown condition 'colour'"},
    {"unknown flag", "policy\n  when flag odd then tag\nend\n", 2, "odd", 0,
	"unknown flag 'odd'"},
    {"bad count", "policy\n  when count x1 then tag\nend\n", 2, "x1", 0,
	"expected a number"},
    {"not when", "policy\n  if category c then tag\nend\n", 2, "if", 0,
	"expected 'when"},
    {"policy without end", "policy\n  when category c then tag\n", 2, NULL, 1,
	"policy block has no 'end'"},
    {"end outside", "end\n", 1, "end", 0, "'end' outside a block"},
    {"text outside", "\n\n   hello world\n", 3, "hello", 0,
	"expected 'rule ID', 'policy' or 'include'"},
    {"unknown scope", RULE_HEAD "  scope body everywhere\nend\n", 4,
	"everywhere", 0, "unknown scope 'everywhere'"},
    {"bad pattern flag", "rule a\n  category c\n  pattern /x/iq\nend\n", 3, "q",
	0, "unknown pattern flag 'q'"},
    {"no slash", "rule a\n  category c\n  pattern x\nend\n", 3, "x", 0,
	"/REGEX/FLAGS"},
    {"empty pattern", "rule a\n  category c\n  pattern //\nend\n", 3, "/", 0,
	"empty pattern"},
    {"bad number", RULE_HEAD "  min_count x1\nend\n", 4, "x1", 0,
	"expected a number"},
    {"junk after value", RULE_HEAD "  score 3 4\nend\n", 4, "4", 0,
	"unexpected '4'"},
    {"keywords without words", RULE_HEAD "  keywords within 5\nend\n", 4,
	"within", 0, "keywords needs words"},
    {"within without number", RULE_HEAD "  keywords pin within\nend\n", 4, NULL,
	0, "within needs a number"},
    {"enabled", RULE_HEAD "  enabled maybe\nend\n", 4, NULL, 0,
	"enabled takes yes or no"},
    {"unknown escape", RULE_HEAD "  example \"a\\qb\"\nend\n", 4, "q", 0,
	"unknown escape"},
    {"unterminated string", RULE_HEAD "  example \"abc\nend\n", 4, NULL, 0,
	"missing closing quote"},
    {"unquoted example", RULE_HEAD "  example abc\nend\n", 4, "abc", 0,
	"quoted string"},
};

static void
test_errors(void **state)
{
	struct ruleset *rs;
	char err[512], want[512];
	size_t i, col;
	int rc;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(err_cases); i++) {
		const struct err_case *c = &err_cases[i];
		rs = (struct ruleset *)1;
		rc = load(c->text, &rs, err, sizeof(err));
		if (rc != EXFIL_EINVAL)
			fail_msg("%s: rc %d", c->label, rc);
		assert_null(rs);
		if (c->at)
			col = col_of(c->text, c->line, c->at);
		else
			col = c->col;
		if (col)
			snprintf(want, sizeof(want),
			    "t.rules:%u:%zu: ", c->line, col);
		else
			snprintf(want, sizeof(want), "t.rules:%u:", c->line);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, c->msg) == NULL)
			fail_msg("%s: got \"%s\", want \"%s...%s\"", c->label,
			    err, want, c->msg);
		assert_null(strchr(err, '\n'));
	}
}

/*
 * A bad regex: the column points inside the pattern, where PCRE2 (asked
 * here directly, with the options rules(3) documents) puts the error.
 */
static void
test_bad_regex_column(void **state)
{
	static const char *const patterns[] = {
	    "ab(cd", "abc[z-a]def", "a{3,1}", "x)y", "(?<n>a)(?<n>b)", "\\"};
	char text[256], err[512], want[64], *line3;
	struct ruleset *rs;
	PCRE2_SIZE eoff;
	size_t i, pcol, col;
	pcre2_code *re;
	int ecode;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(patterns); i++) {
		snprintf(text, sizeof(text),
		    "rule a\n  category c\n  pattern   /%s/i\nend\n",
		    patterns[i]);
		re = pcre2_compile((PCRE2_SPTR)patterns[i],
		    PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ecode, &eoff,
		    NULL);
		assert_null(re); /* the pattern really is bad */
		line3 = strstr(text, "  pattern");
		pcol = (size_t)(strchr(line3, '/') - line3) + 2;
		col = pcol + eoff;
		assert_int_equal(
		    load(text, &rs, err, sizeof(err)), EXFIL_EINVAL);
		snprintf(want, sizeof(want), "t.rules:3:%zu: bad regex", col);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("/%s/: got \"%s\", want \"%s\"", patterns[i],
			    err, want);
		/* inside the pattern, or just after it */
		assert_true(col >= pcol && col <= pcol + strlen(patterns[i]));
	}
}

/* an error message that does not fit is cut, not overflowed */
static void
test_small_error_buffer(void **state)
{
	struct ruleset *rs;
	char err[12];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(
	    rules_load_text("bogus\n", 6, "t.rules", &rs, err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "t.rules:1:1", 11);
	assert_int_equal(rules_load_text("bogus\n", 6, "t.rules", &rs, NULL, 0),
	    EXFIL_EINVAL);
}

/* a NUL byte in a rule file is refused */
static void
test_nul_byte(void **state)
{
	static const char text[] = "rule a\n  cate\0gory c\nend\n";
	struct ruleset *rs;
	char err[512];

	(void)state;
	assert_int_equal(rules_load_text(text, sizeof(text) - 1, "t.rules", &rs,
			     err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_memory_equal(err, "t.rules:2:", 10);
}

/* --- policy -------------------------------------------------------------- */

/*
 * The statements of a policy text, read here with sscanf: what
 * rules_load_text() must produce for the same text.
 */
struct stmt {
	char category[64];
	unsigned count;
	char action[64];
};

static size_t
read_policy(const char *text, struct stmt *out, size_t max)
{
	const char *p = text;
	size_t n = 0;
	char w1[64], w2[64], w3[64], w4[64], w5[64], w6[64], w7[64];
	int k;

	while ((p = strstr(p, "when ")) != NULL) {
		assert_true(n < max);
		memset(&out[n], 0, sizeof(out[n]));
		k = sscanf(p, "%63s %63s %63s %63s %63s %63s %63s", w1, w2, w3,
		    w4, w5, w6, w7);
		assert_true(k >= 5);
		assert_string_equal(w2, "category");
		snprintf(out[n].category, sizeof(out[n].category), "%s", w3);
		if (strcmp(w4, "count") == 0) {
			assert_true(k >= 7);
			assert_string_equal(w6, "then");
			out[n].count = (unsigned)strtoul(w5, NULL, 10);
			snprintf(
			    out[n].action, sizeof(out[n].action), "%s", w7);
		} else {
			assert_string_equal(w4, "then");
			snprintf(
			    out[n].action, sizeof(out[n].action), "%s", w5);
		}
		n++;
		p += 5;
	}
	return n;
}

static void
assert_policy(const struct ruleset *rs, const struct stmt *want, size_t n)
{
	size_t i;

	assert_int_equal(rs->npolicy, n);
	for (i = 0; i < n; i++) {
		assert_non_null(rs->policy[i].category);
		assert_string_equal(rs->policy[i].category, want[i].category);
		assert_null(rs->policy[i].rule);
		assert_int_equal(rs->policy[i].count, want[i].count);
		assert_true(rs->policy[i].score < 0);
		assert_int_equal(rs->policy[i].flags, 0);
		assert_string_equal(
		    action_name(rs->policy[i].action), want[i].action);
	}
}

/* no policy block anywhere: the built-in default policy applies */
static void
test_default_policy(void **state)
{
	struct stmt want[64];
	struct ruleset *rs;
	char err[512];
	size_t n;

	(void)state;
	n = read_policy(rules_default_policy, want, EXFIL_ARRAY_LEN(want));
	assert_true(n >= 4);
	assert_int_equal(load(good_rule, &rs, err, sizeof(err)), 0);
	assert_policy(rs, want, n);
	ruleset_unref(rs);
	/* also for an empty text */
	assert_int_equal(load("", &rs, err, sizeof(err)), 0);
	assert_int_equal(rs->nrules, 0);
	assert_policy(rs, want, n);
	ruleset_unref(rs);
}

/* a policy block replaces the default one; every condition parses */
static void
test_policy_block(void **state)
{
	static const char text[] =
	    "rule card.visa-1\n category payment_card\n pattern /x/\n"
	    " example \"x\"\nend\n"
	    "policy\n"
	    "  when category payment_card count 3 then quarantine\n"
	    "  when rule card.visa-1 score 20 then reject\n"
	    "  when flag limit flag malformed then TEMPFAIL\n"
	    "  when score 50 then tag   # comment\n"
	    "end\n";
	struct ruleset *rs;

	(void)state;
	rs = loaded(text);
	assert_int_equal(rs->npolicy, 4);
	assert_string_equal(rs->policy[0].category, "payment_card");
	assert_int_equal(rs->policy[0].count, 3);
	assert_int_equal(rs->policy[0].action, ACTION_QUARANTINE);
	assert_string_equal(rs->policy[0].file, "t.rules");
	assert_int_equal(rs->policy[0].line, 7);
	assert_null(rs->policy[1].category);
	assert_string_equal(rs->policy[1].rule, "card.visa-1");
	assert_int_equal(rs->policy[1].score, 20);
	assert_int_equal(rs->policy[1].action, ACTION_REJECT);
	assert_int_equal(
	    rs->policy[2].flags, POLICY_FLAG_LIMIT | POLICY_FLAG_MALFORMED);
	assert_int_equal(rs->policy[2].action, ACTION_TEMPFAIL);
	assert_int_equal(rs->policy[2].count, 0);
	assert_true(rs->policy[2].score < 0);
	assert_int_equal(rs->policy[3].score, 50);
	assert_int_equal(rs->policy[3].action, ACTION_TAG);
	ruleset_unref(rs);
}

/* --- warnings ------------------------------------------------------------ */

static void
test_warnings(void **state)
{
	static const char text[] = "rule with_example\n"
				   "  category c\n"
				   "  pattern /x/\n"
				   "  example \"x\"\n"
				   "end\n"
				   "rule without_example\n"
				   "  category c\n"
				   "  pattern /y/\n"
				   "  counter \"z\"\n"
				   "end\n";
	struct ruleset *rs;
	char err[512];

	(void)state;
	assert_int_equal(load(text, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs->nrules, 2);
	assert_int_equal(rs->nwarnings, 1);
	assert_memory_equal(rs->warnings[0], "t.rules:6:", 10);
	assert_non_null(strstr(rs->warnings[0], "without_example"));
	assert_non_null(strstr(rs->warnings[0], "no example"));
	ruleset_unref(rs);
}

/* --- folders ------------------------------------------------------------- */

static void
test_load_dir(void **state)
{
	char dir[256], err[512], path[512];
	struct ruleset *rs;

	(void)state;
	testutil_temp_dir(dir, sizeof(dir), "rules_test");
	testutil_write_file(dir, "20-b.rules",
	    "rule from_b\n category c\n pattern /b/\n example \"b\"\nend\n");
	testutil_write_file(dir, "10-a.rules",
	    "# first by name\n"
	    "rule from_a\n category c\n pattern /a/\n example \"a\"\nend\n"
	    "policy\n when category c then reject\nend\n");
	testutil_write_file(dir, "notes.txt", "this is not a rules file\n");
	testutil_write_file(dir, "x.rules.bak", "neither is this\n");
	assert_int_equal(rules_load_dir(dir, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs->nrules, 2);
	assert_string_equal(rs->rules[0].id, "from_a");
	assert_string_equal(rs->rules[1].id, "from_b");
	assert_int_equal(rs->rules[1].index, 1);
	snprintf(path, sizeof(path), "%s/10-a.rules", dir);
	assert_string_equal(rs->rules[0].file, path);
	assert_int_equal(rs->rules[0].line, 2);
	/* one file's policy block is the policy: no default added */
	assert_int_equal(rs->npolicy, 1);
	assert_int_equal(rs->policy[0].action, ACTION_REJECT);
	ruleset_unref(rs);

	/* an error names the file it is in */
	testutil_write_file(
	    dir, "30-c.rules", "rule from_c\n category c\n bogus\nend\n");
	assert_int_equal(
	    rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EINVAL);
	snprintf(path, sizeof(path), "%s/30-c.rules:3:2: ", dir);
	assert_memory_equal(err, path, strlen(path));
	/* a duplicate id across files names the first one */
	testutil_write_file(
	    dir, "30-c.rules", "rule from_a\n category c\n pattern /c/\nend\n");
	assert_int_equal(
	    rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EINVAL);
	snprintf(path, sizeof(path), "%s/30-c.rules:1:6: ", dir);
	assert_memory_equal(err, path, strlen(path));
	snprintf(path, sizeof(path), "first at %s/10-a.rules:2", dir);
	assert_non_null(strstr(err, path));
	testutil_remove_tree(dir);
}

/* include FILE reads FILE in place, relative to the including file */
static void
test_include(void **state)
{
	char dir[256], sub[300], err[512], path[600];
	struct ruleset *rs;

	(void)state;
	testutil_temp_dir(dir, sizeof(dir), "rules_test");
	snprintf(sub, sizeof(sub), "%s/inc", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	testutil_write_file(sub, "tokens.inc",
	    "rule from_inc\n category c\n pattern /i/\n example \"i\"\nend\n"
	    "include more.inc\n");
	testutil_write_file(sub, "more.inc",
	    "rule from_more\n category c\n pattern /m/\n example \"m\"\nend\n");
	testutil_write_file(dir, "10-main.rules",
	    "rule first\n category c\n pattern /f/\n example \"f\"\nend\n"
	    "include inc/tokens.inc\n"
	    "rule last\n category c\n pattern /l/\n example \"l\"\nend\n");
	assert_int_equal(rules_load_dir(dir, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs->nrules, 4);
	assert_string_equal(rs->rules[0].id, "first");
	assert_string_equal(rs->rules[1].id, "from_inc");
	assert_string_equal(rs->rules[2].id, "from_more");
	assert_string_equal(rs->rules[3].id, "last");
	/* each rule remembers the file and line it was written in */
	snprintf(path, sizeof(path), "%s/inc/more.inc", dir);
	assert_string_equal(rs->rules[2].file, path);
	assert_int_equal(rs->rules[3].line, 7);
	ruleset_unref(rs);

	/* an error in an included file names that file */
	testutil_write_file(
	    sub, "more.inc", "rule broken\n category c\n oops\nend\n");
	assert_int_equal(
	    rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EINVAL);
	snprintf(path, sizeof(path), "%s/inc/more.inc:3:2: ", dir);
	assert_memory_equal(err, path, strlen(path));

	/* a file that includes itself stops at the depth limit */
	testutil_write_file(sub, "more.inc", "include more.inc\n");
	assert_int_equal(
	    rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "includes nested deeper than 8"));
	unlink(path); /* testutil_remove_tree(): flat folders only */
	snprintf(path, sizeof(path), "%s/more.inc", sub);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tokens.inc", sub);
	unlink(path);
	rmdir(sub);
	testutil_remove_tree(dir);
}

static void
test_load_dir_errors(void **state)
{
	char dir[256], err[512];
	struct ruleset *rs = (struct ruleset *)1;

	(void)state;
	testutil_temp_dir(dir, sizeof(dir), "rules_test");
	/* an empty folder has no rules: an error, not a silent pass */
	assert_int_equal(
	    rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EINVAL);
	assert_null(rs);
	assert_non_null(strstr(err, dir));
	testutil_remove_tree(dir);
	assert_int_equal(rules_load_dir(dir, &rs, err, sizeof(err)), EXFIL_EIO);
	assert_non_null(strstr(err, dir));
}

/* the repository's rules/, found from the test's working folder */
static const char *
repo_rules_dir(char *buf, size_t len)
{
	const char *top = getenv("top_srcdir");
	const char *cands[] = {top, "../..", ".", ".."};
	struct stat st;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(cands); i++) {
		if (cands[i] == NULL || *cands[i] == '\0')
			continue;
		snprintf(buf, len, "%s/rules/policy.rules", cands[i]);
		if (stat(buf, &st) == 0) {
			snprintf(buf, len, "%s/rules", cands[i]);
			return buf;
		}
	}
	return NULL;
}

/* the shipped rules load, their examples match and counters do not */
static void
test_repo_rules(void **state)
{
	char dir[512], err[512];
	const struct rule *r;
	struct ruleset *rs;
	size_t i, j;
	bool hit;

	(void)state;
	if (repo_rules_dir(dir, sizeof(dir)) == NULL) {
		print_message("# rules/ not found: set top_srcdir\n");
		skip();
	}
	if (rules_load_dir(dir, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(rs->nrules > 0);
	assert_true(rs->npolicy > 0);
	assert_non_null(ruleset_find(rs, "payment_card"));
	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		for (j = 0; j < r->nexamples; j++) {
			assert_int_equal(
			    scan_text_matches(rs, r, r->examples[j],
				strlen(r->examples[j]), &hit),
			    0);
			if (!hit)
				fail_msg(
				    "%s: example %zu does not match", r->id, j);
		}
		for (j = 0; j < r->ncounters; j++) {
			assert_int_equal(
			    scan_text_matches(rs, r, r->counters[j],
				strlen(r->counters[j]), &hit),
			    0);
			if (hit)
				fail_msg("%s: counter %zu matches", r->id, j);
		}
	}
	ruleset_unref(rs);
}

/* rules/policy.rules and the built-in default policy say the same */
static void
test_repo_policy_is_default(void **state)
{
	struct stmt want[64];
	char dir[512], path[600], err[512], *text;
	struct ruleset *rs;
	size_t n, len;
	FILE *fp;
	long sz;

	(void)state;
	if (repo_rules_dir(dir, sizeof(dir)) == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/policy.rules", dir);
	fp = fopen(path, "re");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	sz = ftell(fp);
	assert_true(sz > 0);
	rewind(fp);
	text = malloc((size_t)sz + 1);
	assert_non_null(text);
	len = fread(text, 1, (size_t)sz, fp);
	fclose(fp);
	text[len] = '\0';
	n = read_policy(rules_default_policy, want, EXFIL_ARRAY_LEN(want));
	if (rules_load_text(text, len, path, &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_policy(rs, want, n);
	ruleset_unref(rs);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_rule),
	    cmocka_unit_test(test_scopes),
	    cmocka_unit_test(test_rule_defaults),
	    cmocka_unit_test(test_start_classes),
	    cmocka_unit_test(test_digits_letters),
	    cmocka_unit_test(test_pruned_literals),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bad_regex_column),
	    cmocka_unit_test(test_small_error_buffer),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_default_policy),
	    cmocka_unit_test(test_policy_block),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_load_dir_errors),
	    cmocka_unit_test(test_repo_rules),
	    cmocka_unit_test(test_repo_policy_is_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
