/*
 * scan_test.c - unit tests of scan(3): distinct counting, keywords within
 * a window, scopes, min_count, masking and masked evidence.
 * Card numbers are computed (testutil_visa(): Luhn-valid test values),
 * never real.
 */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/prefilter.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#include "testutil.h"

static const char rules_text[] =
    "rule card\n"
    "  category payment_card\n"
    "  pattern /(?<![\\d])((?:\\d[ -]?){12,18}\\d)(?!\\d)/\n"
    "  validate payment_card\n"
    "  example \"4111111111111111\"\n"
    "end\n"
    "rule code\n"
    "  category access_code\n"
    "  pattern /(?<!\\d)(\\d{4}-\\d{4})(?!\\d)/\n"
    "  keywords secret PIN within 10\n"
    "  example \"PIN 1234-5678\"\n"
    "end\n"
    "rule subject_marking\n"
    "  category marking\n"
    "  pattern /TOP SECRET/\n"
    "  scope subject\n"
    "  example \"TOP SECRET\"\n"
    "end\n"
    "rule three_ids\n"
    "  category ids\n"
    "  pattern /\\bID-(\\d{3})\\b/\n"
    "  min_count 3\n"
    "  example \"ID-001 ID-002 ID-003\"\n"
    "end\n"
    "rule disabled\n"
    "  category x\n"
    "  pattern /ID-/\n"
    "  enabled no\n"
    "  example \"ID-\"\n"
    "end\n"
    "rule vault_name\n"
    "  category file_name\n"
    "  pattern /\\.kdbx$/i\n"
    "  scope name\n"
    "  example \"x.kdbx\"\n"
    "end\n";

enum { R_CARD, R_CODE, R_SUBJECT, R_THREE, R_DISABLED, R_NAME };

struct fixture {
	struct ruleset *rs;
	struct arena *a;
	struct scan s;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	if (rules_load_text(rules_text, sizeof(rules_text) - 1, "scan.rules",
		&fx->rs, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		free(fx);
		return -1;
	}
	if ((fx->a = arena_new()) == NULL ||
	    scan_begin(&fx->s, fx->a, fx->rs) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	scan_end(&fx->s);
	arena_free(fx->a);
	ruleset_unref(fx->rs);
	free(fx);
	return 0;
}

/* --- test values --------------------------------------------------------- */

/* the same number written with blanks every four digits */
static void
spaced(char out[20], const char *d)
{
	snprintf(out, 20, "%.4s %.4s %.4s %.4s", d, d + 4, d + 8, d + 12);
}

static unsigned
count_of(const struct fixture *fx, size_t rule)
{
	const struct finding *f = scan_finding(&fx->s, rule);

	return f ? f->count : 0;
}

static void
segment(struct fixture *fx, const char *text, const char *where, unsigned scope)
{
	assert_int_equal(
	    scan_segment(&fx->s, text, strlen(text), where, scope), 0);
}

/* --- distinct counting --------------------------------------------------- */

static void
test_same_value_counts_once(void **state)
{
	struct fixture *fx = *state;
	char a[17], b[17], as[20], text[256];
	const struct finding *f;

	testutil_visa(a, 12345);
	testutil_visa(b, 67890);
	spaced(as, a);
	/* the same number twice, once with blanks */
	snprintf(text, sizeof(text), "card %s and again %s.", a, as);
	segment(fx, text, "body:text/plain", SCOPE_BODY);
	f = scan_finding(&fx->s, R_CARD);
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->hits, 2);
	assert_ptr_equal(f->rule, &fx->rs->rules[R_CARD]);
	assert_string_equal(f->where, "body:text/plain");
	assert_int_equal(f->offset, strlen("card "));
	/* in another segment: still the same value */
	segment(fx, a, "attachment:x.txt", SCOPE_ATTACHMENT);
	assert_int_equal(count_of(fx, R_CARD), 1);
	assert_string_equal(scan_finding(&fx->s, R_CARD)->where,
	    "body:text/plain"); /* the first place seen */
	/* a different number counts */
	segment(fx, b, "attachment:x.txt", SCOPE_ATTACHMENT);
	assert_int_equal(count_of(fx, R_CARD), 2);
	assert_int_equal(scan_finding(&fx->s, R_CARD)->hits, 4);
}

/* invalid numbers do not count at all */
static void
test_invalid_not_counted(void **state)
{
	struct fixture *fx = *state;
	char a[17], text[128];

	testutil_visa(a, 4242);
	a[15] = (char)('0' + (a[15] - '0' + 1) % 10); /* break the check */
	assert_false(testutil_luhn_ok(a));
	snprintf(text, sizeof(text), "card %s, order 1234 5678 9012 3456", a);
	segment(fx, text, "body:text/plain", SCOPE_BODY);
	assert_null(scan_finding(&fx->s, R_CARD));
	assert_int_equal(fx->s.findings[R_CARD].hits, 0);
}

/* many distinct values: each counts, repeats do not */
static void
test_many_distinct(void **state)
{
	struct fixture *fx = *state;
	struct buf text = {0};
	char a[17];
	unsigned k, round;

	for (round = 0; round < 2; round++) {
		buf_reset(&text);
		for (k = 0; k < 2000; k++) {
			testutil_visa(a, 1000003ULL * k + 11);
			assert_int_equal(buf_printf(&text, "%s\n", a), 0);
		}
		assert_int_equal(scan_segment(&fx->s, text.p, text.len,
				     "attachment:list.csv", SCOPE_ATTACHMENT),
		    0);
		assert_int_equal(count_of(fx, R_CARD), 2000);
	}
	assert_int_equal(scan_finding(&fx->s, R_CARD)->hits, 4000);
	assert_int_equal(
	    scan_finding(&fx->s, R_CARD)->nevidence, SCAN_MAX_EVIDENCE);
	buf_free(&text);
}

/* --- keywords ------------------------------------------------------------ */

static void
test_keywords_window(void **state)
{
	static const struct {
		const char *text;
		bool fires;
	} cases[] = {
	    {"secret: 1234-5678", true}, {"PIN 1234-5678", true},
	    {"pin 1234-5678", true}, /* case-insensitive */
	    {"1234-5678 = PIN", true}, /* after the value */
	    {"1234-5678", false}, /* no keyword */
	    {"secret .................................. 1234-5678", false},
	    {"1234-5678 ................................... pin", false},
	    {"the code 1234-5678", false}, /* not a keyword */
	    {"spin 1234-5678", false}, /* in another word */
	    {"1234-5678 PINs", false},
	    {"spin, pin 1234-5678", true}, /* the second is whole */
	};
	struct fixture *fx = *state;
	struct scan s;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		assert_int_equal(scan_begin(&s, fx->a, fx->rs), 0);
		assert_int_equal(
		    scan_segment(&s, cases[i].text, strlen(cases[i].text),
			"body:text/plain", SCOPE_BODY),
		    0);
		if ((scan_finding(&s, R_CODE) != NULL) != cases[i].fires)
			fail_msg("\"%s\": want %s", cases[i].text,
			    cases[i].fires ? "a finding" : "none");
		scan_end(&s);
	}
}

/* of two keywords near a value, the first of the list is named, not
 * the first in the text */
static void
test_keywords_first_listed(void **state)
{
	static const char text[] = "PIN 1234-5678 secret";
	struct fixture *fx = *state;
	const struct finding *f;
	struct scan s;

	assert_int_equal(scan_begin(&s, fx->a, fx->rs), 0);
	assert_int_equal(
	    scan_segment(&s, text, strlen(text), "b", SCOPE_BODY), 0);
	assert_non_null(f = scan_finding(&s, R_CODE));
	assert_string_equal(f->keyword, "secret");
	scan_end(&s);
}

/* the window is counted in characters around the value */
static void
test_keywords_distance(void **state)
{
	struct fixture *fx = *state;
	char text[128];
	struct scan s;
	size_t gap;

	for (gap = 1; gap <= 30; gap++) {
		/* "PIN" + gap blanks + value: PIN starts gap + 3 before it */
		snprintf(text, sizeof(text), "PIN%*s1234-5678", (int)gap, "");
		assert_int_equal(scan_begin(&s, fx->a, fx->rs), 0);
		assert_int_equal(
		    scan_segment(&s, text, strlen(text), "b", SCOPE_BODY), 0);
		if (gap + 3 <= 10)
			assert_non_null(scan_finding(&s, R_CODE));
		if (gap > 10)
			assert_null(scan_finding(&s, R_CODE));
		scan_end(&s);
	}
}

/* --- scope --------------------------------------------------------------- */

static void
test_scope(void **state)
{
	struct fixture *fx = *state;
	char a[17];

	/* a subject-only rule ignores the body and the headers */
	segment(fx, "TOP SECRET plans", "body:text/plain", SCOPE_BODY);
	segment(fx, "TOP SECRET plans", "header:X-A", SCOPE_HEADERS);
	segment(fx, "TOP SECRET plans", "attachment:a", SCOPE_ATTACHMENT);
	assert_null(scan_finding(&fx->s, R_SUBJECT));
	segment(fx, "TOP SECRET plans", "header:Subject", SCOPE_SUBJECT);
	assert_non_null(scan_finding(&fx->s, R_SUBJECT));
	assert_string_equal(
	    scan_finding(&fx->s, R_SUBJECT)->where, "header:Subject");
	/* a name-only rule sees names and nothing else */
	segment(fx, "db.kdbx", "body:text/plain", SCOPE_BODY);
	assert_null(scan_finding(&fx->s, R_NAME));
	segment(fx, "db.KDBX", "attachment:db.KDBX", SCOPE_NAME);
	assert_non_null(scan_finding(&fx->s, R_NAME));
	/* a rule with the default scope does not read file names */
	testutil_visa(a, 77);
	segment(fx, a, "attachment:x", SCOPE_NAME);
	assert_null(scan_finding(&fx->s, R_CARD));
	segment(fx, a, "header:Subject", SCOPE_SUBJECT);
	assert_non_null(scan_finding(&fx->s, R_CARD));
}

static void
test_disabled(void **state)
{
	struct fixture *fx = *state;

	segment(fx, "ID-111 ID-222 ID-333 ID-444", "b", SCOPE_ALL);
	assert_null(scan_finding(&fx->s, R_DISABLED));
	assert_int_equal(fx->s.findings[R_DISABLED].hits, 0);
	assert_non_null(scan_finding(&fx->s, R_THREE));
}

/* --- min_count ----------------------------------------------------------- */

static void
test_min_count(void **state)
{
	struct fixture *fx = *state;

	segment(fx, "ID-001 ID-002 ID-001", "b", SCOPE_BODY);
	assert_null(scan_finding(&fx->s, R_THREE)); /* 2 distinct < 3 */
	assert_int_equal(fx->s.findings[R_THREE].count, 2);
	segment(fx, "ID-002", "b", SCOPE_BODY);
	assert_null(scan_finding(&fx->s, R_THREE));
	segment(fx, "ID-003", "b2", SCOPE_BODY);
	assert_non_null(scan_finding(&fx->s, R_THREE));
	assert_int_equal(count_of(fx, R_THREE), 3);
	/* group 1 is the value: "001", "002", "003" */
	assert_int_equal(scan_finding(&fx->s, R_THREE)->nevidence, 3);
	assert_string_equal(scan_finding(&fx->s, R_THREE)->where, "b");
	/* out of range */
	assert_null(scan_finding(&fx->s, fx->rs->nrules));
}

/* --- masking ------------------------------------------------------------- */

/*
 * The contract: at most a quarter, at most four characters, at each end.
 * Blanks and dashes carry no data: they may show the value's shape.
 */
static void
check_mask(const char *in, size_t len, const char *out)
{
	size_t keep = len / 4 > 4 ? 4 : len / 4, i;

	assert_int_equal(strlen(out), len);
	for (i = 0; i < len; i++) {
		if (i < keep || i >= len - keep)
			continue;
		if ((in[i] == ' ' || in[i] == '-') && out[i] == in[i])
			continue;
		if (out[i] != '*')
			fail_msg(
			    "\"%s\" -> \"%s\": byte %zu readable", in, out, i);
	}
}

static void
test_mask_examples(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"4111111111111111", "4111********1111"}, /* from scan(3) */
	    {"", ""},
	    {"a", "*"},
	    {"abc", "***"},
	    {"abcd", "a**d"},
	    {"abcdefgh", "ab****gh"},
	    {"378282246310005", "378*********005"},
	    {"sk_live_0123456789abcdefghijklmn",
		"sk_l************************klmn"},
	};
	struct fixture *fx = *state;
	char *m;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		m = scan_mask(fx->a, cases[i].in, strlen(cases[i].in));
		assert_non_null(m);
		assert_string_equal(m, cases[i].out);
		check_mask(cases[i].in, strlen(cases[i].in), m);
	}
}

/* random values of every length up to 300 */
static void
test_mask_property(void **state)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/";
	struct fixture *fx = *state;
	char in[301], *m;
	uint32_t x = 1;
	size_t len, i, readable, keep;

	for (len = 0; len <= 300; len++) {
		for (i = 0; i < len; i++) {
			testutil_next(&x);
			in[i] = alpha[(x >> 16) % (sizeof(alpha) - 1)];
		}
		in[len] = '\0';
		m = scan_mask(fx->a, in, len);
		assert_non_null(m);
		check_mask(in, len, m);
		keep = len / 4 > 4 ? 4 : len / 4;
		for (i = 0, readable = 0; i < len; i++)
			readable += m[i] != '*';
		assert_true(readable <= 2 * keep);
		assert_true(readable * 2 <= len); /* half at the very most */
	}
}

/* bytes that are not printable ASCII are never shown */
static void
test_mask_binary(void **state)
{
	static const char in[] =
	    "\xc3\xa9\xc3\xa9\x01\x02 abc \xe2\x82\xac\x7f";
	struct fixture *fx = *state;
	size_t i, len = sizeof(in) - 1;
	char *m;

	m = scan_mask(fx->a, in, len);
	assert_non_null(m);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m[i];
		assert_true(c < 0x80);
		assert_true(c >= 0x20);
	}
	check_mask(in, len, m);
}

/* evidence is the masked value: the middle digits are never kept */
static void
test_evidence_masked(void **state)
{
	struct fixture *fx = *state;
	char a[17], as[20], want[17], text[256];
	const struct finding *f;
	unsigned k;

	testutil_visa(a, 31415926535ULL);
	spaced(as, a);
	snprintf(text, sizeof(text), "card no. %s", as);
	segment(fx, text, "body:text/plain", SCOPE_BODY);
	f = scan_finding(&fx->s, R_CARD);
	assert_non_null(f);
	assert_int_equal(f->nevidence, 1);
	/* the digits, first and last four shown, as in scan(3) */
	snprintf(want, sizeof(want), "%.4s********%.4s", a, a + 12);
	assert_string_equal(f->evidence[0], want);
	assert_null(strstr(f->evidence[0], a));
	assert_null(strstr(f->evidence[0], a + 4));
	/* more values than evidence slots: only the first few are kept */
	for (k = 0; k < 10; k++) {
		testutil_visa(a, 1000 + k);
		segment(fx, a, "body:text/plain", SCOPE_BODY);
	}
	f = scan_finding(&fx->s, R_CARD);
	assert_int_equal(f->count, 11);
	assert_int_equal(f->nevidence, SCAN_MAX_EVIDENCE);
	for (k = 0; k < f->nevidence; k++)
		check_mask(
		    f->evidence[k], strlen(f->evidence[k]), f->evidence[k]);
}

/* scan_text_matches: one rule on one text, as for examples */
static void
test_text_matches(void **state)
{
	struct fixture *fx = *state;
	const struct rule *r = ruleset_find(fx->rs, "code");
	bool hit;

	assert_non_null(r);
	assert_int_equal(
	    scan_text_matches(fx->rs, r, "PIN 1234-5678", 13, &hit), 0);
	assert_true(hit);
	assert_int_equal(
	    scan_text_matches(fx->rs, r, "no 1234-5678", 12, &hit), 0);
	assert_false(hit);
	r = ruleset_find(fx->rs, "three_ids");
	assert_int_equal(
	    scan_text_matches(fx->rs, r, "ID-001 ID-002", 13, &hit), 0);
	assert_false(hit); /* min_count 3 */
}

/* text is read by length: bytes after len, and NULs inside, are fine */
static void
test_lengths_and_nuls(void **state)
{
	struct fixture *fx = *state;
	char a[17], text[64];
	size_t n;

	testutil_visa(a, 999);
	n = (size_t)snprintf(text, sizeof(text), "x%cy %s", '\0', a);
	/* a length that cuts the number short: no finding */
	assert_int_equal(scan_segment(&fx->s, text, n - 1, "b", SCOPE_BODY), 0);
	assert_null(scan_finding(&fx->s, R_CARD));
	assert_int_equal(scan_segment(&fx->s, text, n, "b", SCOPE_BODY), 0);
	assert_int_equal(count_of(fx, R_CARD), 1);
	assert_true(fx->s.bytes == (unsigned long long)(2 * n - 1));
	assert_int_equal(scan_segment(&fx->s, "", 0, "empty", SCOPE_BODY), 0);
}

/* --- rule language: confidence, vetoes, entropy, max_count --- */

struct one {
	struct ruleset *rs;
	struct arena *a;
	struct scan s;
};

/* load rules, scan text (body scope), leave the scan in o */
static void
scan_one(struct one *o, const char *rules, const char *text)
{
	char err[512];

	memset(o, 0, sizeof(*o));
	assert_int_equal(rules_load_text(rules, strlen(rules), "t.rules",
			     &o->rs, err, sizeof(err)),
	    0);
	assert_non_null(o->a = arena_new());
	assert_int_equal(scan_begin(&o->s, o->a, o->rs), 0);
	assert_int_equal(
	    scan_segment(&o->s, text, strlen(text), "body", SCOPE_BODY), 0);
}

static void
one_free(struct one *o)
{
	scan_end(&o->s);
	arena_free(o->a);
	ruleset_unref(o->rs);
}

/* the confidence of rule 0's finding, or -1 when it did not fire */
static int
conf_of(const char *rules, const char *text)
{
	const struct finding *f;
	struct one o;
	int c;

	scan_one(&o, rules, text);
	f = scan_finding(&o.s, 0);
	c = f ? (int)f->confidence : -1;
	one_free(&o);
	return c;
}

static void
test_confidence_levels(void **state)
{
	static const char checksum_boost[] =
	    "rule c\n  category payment_card\n"
	    "  pattern /(?<!\\d)(\\d{16})(?!\\d)/\n"
	    "  validate luhn\n  boost card visa within 20\nend\n";
	static const char pattern_boost[] =
	    "rule p\n  category x\n  pattern /\\bREF-(\\d{6})\\b/\n"
	    "  boost reference within 20\nend\n";
	static const char checksum_keywords[] =
	    "rule k\n  category payment_card\n"
	    "  pattern /(?<!\\d)(\\d{16})(?!\\d)/\n"
	    "  validate luhn\n  keywords card within 20\nend\n";

	(void)state;
	/* pattern + checksum: medium; + keyword: high */
	assert_int_equal(
	    conf_of(checksum_boost, "no 4111111111111111 x"), CONF_MEDIUM);
	assert_int_equal(
	    conf_of(checksum_boost, "visa 4111111111111111 x"), CONF_HIGH);
	/* a keyword too far away does not count */
	assert_int_equal(conf_of(checksum_boost,
			     "visa ......................... 4111111111111111"),
	    CONF_MEDIUM);
	/* pattern alone: low; pattern + keyword: medium */
	assert_int_equal(conf_of(pattern_boost, "see REF-123456"), CONF_LOW);
	assert_int_equal(
	    conf_of(pattern_boost, "reference REF-123456"), CONF_MEDIUM);
	/* required keywords: without one, nothing; with one, high */
	assert_int_equal(conf_of(checksum_keywords, "no 4111111111111111"), -1);
	assert_int_equal(
	    conf_of(checksum_keywords, "card 4111111111111111"), CONF_HIGH);
	/* a finding has the highest confidence of its matches */
	assert_int_equal(conf_of(checksum_boost,
			     "4111111111111111 and later on, far away, visa "
			     "5555555555554444"),
	    CONF_HIGH);
	assert_string_equal(confidence_name(CONF_LOW), "low");
	assert_string_equal(confidence_name(CONF_HIGH), "high");
}

static void
test_min_confidence(void **state)
{
	static const char rules[] = "rule c\n  category payment_card\n"
				    "  pattern /(?<!\\d)(\\d{16})(?!\\d)/\n"
				    "  validate luhn\n  boost card within 20\n"
				    "  min_confidence high\nend\n";

	(void)state;
	assert_int_equal(conf_of(rules, "no 4111111111111111"), -1);
	assert_int_equal(conf_of(rules, "card 4111111111111111"), CONF_HIGH);
}

static void
test_allow_vetoes(void **state)
{
	static const char rules[] = "rule t\n  category secret_token\n"
				    "  pattern /\\btok_([A-Za-z0-9]{8})\\b/\n"
				    "  allow /^x+$/i\n  allow /^0+$/\n"
				    "  allow_words test DUMMY\nend\n";
	const struct finding *f;
	struct one o;

	(void)state;
	scan_one(&o, rules,
	    "tok_XXXXXXXX tok_00000000 tok_myTest12 tok_dummy123 tok_Ab3dE5g7");
	assert_non_null(f = scan_finding(&o.s, 0));
	assert_int_equal(f->count, 1); /* only the last one */
	assert_string_equal(
	    f->evidence[0], "Ab****g7"); /* a quarter each end */
	one_free(&o);
}

/* allow words in any case, anywhere in a value, short or long (the
 * long ones take the other way) */
static void
test_allow_words_long(void **state)
{
	static const char rules[] = "rule t\n  category secret_token\n"
				    "  pattern /\\btok_([A-Za-z0-9]{8,})\\b/\n"
				    "  allow_words PlaceHolder\nend\n";
	static const size_t lens[] = {8, 511, 512, 513, 900};
	char text[2000];
	size_t i, k, n;
	struct one o;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		/* the word at the end, in another case: vetoed */
		memcpy(text, "tok_", 4);
		for (k = 0; k < n; k++)
			text[4 + k] = "Ab3dE5g7"[k % 8];
		if (n >= 11)
			memcpy(text + 4 + n - 11, "placeHOLDER", 11);
		text[4 + n] = '\0';
		scan_one(&o, rules, text);
		if (n >= 11)
			assert_null(scan_finding(&o.s, 0));
		else
			assert_non_null(scan_finding(&o.s, 0));
		one_free(&o);
		/* one letter off: found */
		if (n >= 11) {
			text[4 + n - 1] = 'x';
			scan_one(&o, rules, text);
			assert_non_null(scan_finding(&o.s, 0));
			one_free(&o);
		}
	}
}

/* the rule set of a text, or the test fails */
static struct ruleset *
rules_from(const char *text, size_t n)
{
	struct ruleset *rs;
	char err[256];

	if (rules_load_text(text, n, "t.rules", &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return rs;
}

/* the count of rule i over text, from the literals or naively */
static unsigned
count_in(const struct ruleset *rs, size_t i, const char *text, bool naive)
{
	struct arena *a = arena_new();
	const struct finding *f;
	struct scan s;
	unsigned n;

	assert_non_null(a);
	assert_int_equal(scan_begin(&s, a, rs), 0);
	scan_set_naive(&s, naive);
	assert_int_equal(
	    scan_segment(&s, text, strlen(text), "body", SCOPE_BODY), 0);
	n = (f = scan_finding(&s, i)) ? f->count : 0;
	scan_end(&s);
	arena_free(a);
	return n;
}

/* "literals ... exact": a literal in another case anchors nothing, so a
 * pattern that keeps the case finds the same both ways, and one that
 * does not (a broken promise, which --test-rules reports) finds less
 * from the literals */
static void
test_exact_literals(void **state)
{
	static const char rules[] =
	    "rule caps\n category c\n literals TOP-SECRET window 0 exact\n"
	    " pattern /\\bTOP-SECRET-(\\d+)\\b/\n"
	    " example \"TOP-SECRET-1\"\nend\n"
	    "rule any\n category c\n literals TOP-SECRET window 0 exact\n"
	    " pattern /(?i)\\bTOP-SECRET-(\\d+)\\b/\n"
	    " example \"TOP-SECRET-1\"\nend\n"
	    "rule plain\n category c\n literals TOP-SECRET\n"
	    " pattern /(?i)\\bTOP-SECRET-(\\d+)\\b/\n"
	    " example \"TOP-SECRET-1\"\nend\n";
	static const char text[] = "top-secret-1 TOP-SECRET-2 Top-Secret-3 "
				   "TOP-SECRET-4 TOP-secret-5";
	struct ruleset *rs = rules_from(rules, sizeof(rules) - 1);

	(void)state;
	assert_true(rs->rules[0].literals_exact);
	assert_int_equal(rs->rules[0].window, 0);
	assert_false(rs->rules[2].literals_exact);
	assert_int_equal(count_in(rs, 0, text, false), 2);
	assert_int_equal(count_in(rs, 0, text, true), 2);
	assert_int_equal(count_in(rs, 1, text, false), 2);
	assert_int_equal(count_in(rs, 1, text, true), 5);
	assert_int_equal(count_in(rs, 2, text, false), 5);
	ruleset_unref(rs);
}

/*
 * An IBAN rule runs from the runs after two letters whose letters and
 * check digits validate_iban_lead() accepts (the letters right before the
 * run, or before a blank or dash), with the findings of the naive path:
 * hex ids and unknown countries are skipped. A match the validator turns
 * away covers nothing, so "IB096AN de89 ..." (from the fuzzer) hides the
 * German IBAN in it from neither path.
 */
static void
test_iban_leads(void **state)
{
	static const char rules[] =
	    "rule iban\n category c\n validate iban\n"
	    " digits 2 window 3 letters\n"
	    " pattern /(?<![A-Za-z0-9])([A-Za-z]{2}[ -]?\\d{2}"
	    "(?:[ -]?[A-Za-z0-9]){11,30})(?![A-Za-z0-9])/\n"
	    " example \"DE89 3704 0044 0532 0130 00\"\nend\n";
	static const char text[] =
	    "IBAN DE89 3704 0044 0532 0130 00, GB-29 NWBK 6016 1331 9268 "
	    "19; FR 14 2004 1010 0505 0001 3M02 606; again "
	    "de89370400440532013000; ids de79f156-4bff-c8de-45e2-ef88dba2, "
	    "QQ93 1234 5678 9012 3456, DE00 3704 0044 0532 0130 00.";
	static const char hidden[] =
	    "SE ONLY\nIB096AN de89 3704 0044 0532 0130 00, GB-29 NWBK 6016 "
	    "1331 9268 19; ids de79f156-4bff-c8de QQ93 123";
	struct ruleset *rs = rules_from(rules, sizeof(rules) - 1);

	(void)state;
	assert_int_equal(count_in(rs, 0, text, true), 3);
	assert_int_equal(count_in(rs, 0, text, false), 3);
	assert_int_equal(count_in(rs, 0, hidden, true), 2);
	assert_int_equal(count_in(rs, 0, hidden, false), 2);
	ruleset_unref(rs);
}

/*
 * A match turned away (here by its entropy) covers nothing, in each
 * path: tried from the places of its "start" classes, from a window
 * before its literal, and naively, the value after the dash in it is
 * still found
 */
static void
test_turned_away_covers_nothing(void **state)
{
	static const char rules[] =
	    "rule starts\n category c\n literals X window 64\n"
	    " start <[^a-z] [a-z]\n pattern /[a-z][a-z-]*X/\n entropy 3.0\n"
	    " example \"bcdefghijX\"\nend\n"
	    "rule window\n category c\n literals X window 64\n"
	    " pattern /[a-z][a-z-]*X/\n entropy 3.0\n"
	    " example \"bcdefghijX\"\nend\n";
	char text[64];
	struct ruleset *rs = rules_from(rules, sizeof(rules) - 1);
	size_t i;

	(void)state;
	/* 36 a's, a dash, then a value of ten distinct letters */
	memset(text, 'a', 36);
	strcpy(text + 36, "-bcdefghijX");
	for (i = 0; i < 2; i++) {
		assert_int_equal(count_in(rs, i, text, true), 1);
		assert_int_equal(count_in(rs, i, text, false), 1);
	}
	ruleset_unref(rs);
}

/*
 * "after WORD within N": a literal without WORD starting at most N bytes
 * after it anchors nothing. N bytes exactly still counts; a promise one
 * byte short loses the match that needs it, which the naive path finds;
 * the word is compared ignoring case
 */
static void
test_after_word(void **state)
{
	static const char rules[] =
	    "rule url\n category c\n literals :// window 1\n"
	    " pattern /a:\\/\\/[a-z]+:([a-z0-9]+)@[a-z]+/ after @ within 12\n"
	    " example \"a://u:pw1@h\"\nend\n"
	    "rule short\n category c\n literals :// window 1\n"
	    " pattern /a:\\/\\/[a-z]+:([a-z0-9]+)@[a-z]+/ after @ within 11\n"
	    " example \"a://u:pw1@h\"\nend\n"
	    "rule word\n category c\n literals key window 0\n"
	    " pattern /key(?:[a-z ]{0,6})pass=(\\w+)/i after Pass within 8\n"
	    " example \"key pass=x\"\nend\n"
	    "rule two\n category c\n literals tok window 0\n"
	    " pattern /tok\\s{0,3}[:=]\\s*(\\w+)/ after = : within 6\n"
	    " example \"tok: v1\"\nend\n";
	/* the @ of the second URL is 12 bytes after its :// */
	static const char text[] =
	    "a://u:pw1@h, a://www.host, a://user:pw23@h; "
	    "KEY is pass=s3 key nowa PASS=s4";
	struct ruleset *rs = rules_from(rules, sizeof(rules) - 1);

	(void)state;
	assert_non_null(rs->rules[0].after);
	assert_int_equal(rs->rules[0].after[0].nwords, 1);
	assert_string_equal(rs->rules[0].after[0].words[0], "@");
	assert_int_equal(rs->rules[0].after[0].within, 12);
	assert_int_equal(count_in(rs, 0, text, true), 2);
	assert_int_equal(count_in(rs, 0, text, false), 2);
	assert_int_equal(count_in(rs, 1, text, true), 2);
	assert_int_equal(count_in(rs, 1, text, false), 1);
	/* "pass" 7 bytes after "KEY", in another case; the second key's
	 * "pass" 9 after it, past the promise of 8 */
	assert_int_equal(count_in(rs, 2, text, true), 2);
	assert_int_equal(count_in(rs, 2, text, false), 1);
	/* either word: "tok: v1" and "tok = v2" */
	assert_int_equal(count_in(rs, 3, "tok: v1 tok = v2 tok", false), 2);
	ruleset_unref(rs);
}

/* an allow word longer than any buffer, in another case, still vetoes */
static void
test_allow_word_very_long(void **state)
{
	static const char rules[] = "rule t\n  category secret_token\n"
				    "  pattern /\\btok_([A-Za-z0-9]{8,})\\b/\n"
				    "  allow_words "
				    "NotARealTokenButAPlaceholderThatIsLongerTh"
				    "anSixtyFourBytesInAllXyz\n"
				    "end\n";
	struct one o;

	(void)state;
	scan_one(&o, rules,
	    "tok_"
	    "notarealtokenbutaplaceholderthatislongerthansixtyfourbytesinallxyz"
	    "9");
	assert_null(scan_finding(&o.s, 0));
	one_free(&o);
	scan_one(&o, rules, "tok_notarealtoken9");
	assert_non_null(scan_finding(&o.s, 0));
	one_free(&o);
}

static void
test_entropy(void **state)
{
	/* 8 different characters: exactly 3 bits; 2 different: 1 bit */
	static const char rules[] =
	    "rule t\n  category secret_token\n"
	    "  pattern /\\btok_([a-z0-9]{8})\\b/\n  entropy 3.0\nend\n";
	const struct finding *f;
	struct one o;

	(void)state;
	scan_one(&o, rules, "tok_abababab tok_aaaaaaaa tok_a1b2c3d4");
	assert_non_null(f = scan_finding(&o.s, 0));
	assert_int_equal(f->count, 1);
	assert_int_equal(f->confidence, CONF_MEDIUM); /* entropy passed */
	one_free(&o);
	assert_int_equal(conf_of(rules, "tok_aaaabbbb"), -1);
}

static void
test_max_count(void **state)
{
	static const char rules[] =
	    "rule few\n  category ids\n  pattern /\\bID-(\\d{3})\\b/\n"
	    "  min_count 2\n  max_count 3\nend\n";

	(void)state;
	assert_int_equal(conf_of(rules, "ID-001"), -1);
	assert_int_equal(conf_of(rules, "ID-001 ID-002"), CONF_LOW);
	assert_int_equal(conf_of(rules, "ID-001 ID-002 ID-003"), CONF_LOW);
	assert_int_equal(conf_of(rules, "ID-001 ID-002 ID-003 ID-004"), -1);
	/* the same value again is still three distinct values */
	assert_int_equal(
	    conf_of(rules, "ID-001 ID-002 ID-003 ID-003 ID-001"), CONF_LOW);
}

/*
 * A rule with min_count holds segments back while they hold too few of
 * its literals (or digits) for min_count values, and reads them, in
 * order, once they do: the same findings as the naive path, the first
 * place and the evidence of the first segment. The texts come from one
 * buffer written over before each segment, as an extractor's: with
 * text_transient, the rule keeps its own copy of those it holds.
 */
static void
held_run(const struct ruleset *rs, const char *const *texts, size_t n,
    bool naive, struct buf *out, unsigned *hits)
{
	const struct finding *f;
	struct arena *a = arena_new();
	struct scan s;
	char buf[256], where[16];
	size_t i, r, j;

	assert_non_null(a);
	assert_int_equal(scan_begin(&s, a, rs), 0);
	scan_set_naive(&s, naive);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s", texts[i]);
		snprintf(where, sizeof(where), "part %zu", i + 1);
		s.text_transient = true;
		assert_int_equal(scan_segment(&s, buf, strlen(buf),
				     arena_strdup(a, where), SCOPE_BODY),
		    0);
		/* hits[r] after each segment: what the patterns found */
		for (r = 0; hits && r < rs->nrules; r++)
			hits[i * rs->nrules + r] = s.findings[r].hits;
		memset(buf, 'x', sizeof(buf) - 1); /* the extractor's next */
	}
	for (r = 0; r < rs->nrules; r++) {
		if ((f = scan_finding(&s, r)) == NULL)
			continue;
		buf_printf(out, "%s=%u@%s+%zu:", rs->rules[r].id, f->count,
		    f->where, f->offset);
		for (j = 0; j < f->nevidence; j++)
			buf_printf(out, "%s,", f->evidence[j]);
		buf_putc(out, ';');
	}
	buf_putc(out, '\0');
	scan_end(&s);
	arena_free(a);
}

static void
test_min_count_held(void **state)
{
	static const char rules[] =
	    "rule ids\n  category ids\n  literals ID-\n"
	    "  pattern /\\bID-(\\d{3})\\b/\n  min_count 3\nend\n"
	    "rule numbers\n  category ids\n  digits 6 window 0\n"
	    "  pattern /(?<![\\d-])(\\d{6})(?![\\d-])/\n  min_count 3\nend\n";
	static const char *const spread[] = {"ID-001 and 100001",
	    "nothing here", "ID-002, 100002", "ID-001 ID-003 100001 100003"};
	/* three literals and three runs, two values: the rules run, and
	 * neither fires */
	static const char *const short_of[] = {
	    "ID-001 100001", "ID-002 100002", "ID-002 100002"};
	struct buf fast = {0}, naive = {0};
	struct ruleset *rs;
	unsigned hits[4 * 2];
	char err[512];

	(void)state;
	assert_int_equal(rules_load_text(rules, sizeof(rules) - 1, "h.rules",
			     &rs, err, sizeof(err)),
	    0);
	held_run(rs, spread, 4, false, &fast, hits);
	held_run(rs, spread, 4, true, &naive, NULL);
	assert_string_equal(fast.p, naive.p);
	assert_string_equal(fast.p,
	    "ids=3@part 1+0:***,***,***,;numbers=3@part 1+11:1****1,1****2,"
	    "1****3,;");
	/* the first three segments hold two values: no pattern ran */
	assert_int_equal(hits[2 * 2 + 0], 0);
	assert_int_equal(hits[2 * 2 + 1], 0);
	assert_int_equal(hits[3 * 2 + 0], 4);
	assert_int_equal(hits[3 * 2 + 1], 4);
	buf_free(&fast);
	buf_free(&naive);
	held_run(rs, short_of, 3, false, &fast, hits);
	held_run(rs, short_of, 3, true, &naive, NULL);
	assert_string_equal(fast.p, "");
	assert_string_equal(naive.p, "");
	assert_int_equal(hits[2 * 2 + 0], 3);
	assert_int_equal(hits[2 * 2 + 1], 3);
	buf_free(&fast);
	buf_free(&naive);
	ruleset_unref(rs);
}

/*
 * A segment the scan would have to copy past SCAN_HOLD_COPY bytes is not
 * held: the rule reads it at once, with the same findings.
 */
static void
test_min_count_hold_limit(void **state)
{
	static const char rules[] =
	    "rule ids\n  category ids\n  literals ID-\n"
	    "  pattern /\\bID-(\\d{3})\\b/\n  min_count 3\nend\n";
	size_t n = SCAN_HOLD_COPY + 1;
	const struct finding *f;
	struct ruleset *rs;
	struct arena *a;
	struct scan s;
	char err[512], *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big + n - 6, "ID-001", 6);
	assert_int_equal(rules_load_text(rules, sizeof(rules) - 1, "h.rules",
			     &rs, err, sizeof(err)),
	    0);
	assert_non_null(a = arena_new());
	assert_int_equal(scan_begin(&s, a, rs), 0);
	/* one byte less: held, as the cap allows it */
	s.text_transient = true;
	assert_int_equal(
	    scan_segment(&s, big + 1, n - 1, "part 1", SCOPE_BODY), 0);
	assert_int_equal(s.findings[0].hits, 0);
	/* the cap is spent: read at once, with the one held before */
	assert_int_equal(scan_segment(&s, big, n, "part 2", SCOPE_BODY), 0);
	assert_int_equal(s.findings[0].hits, 2);
	s.text_transient = false;
	assert_int_equal(
	    scan_segment(&s, "ID-002 ID-003", 13, "part 3", SCOPE_BODY), 0);
	assert_non_null(f = scan_finding(&s, 0));
	assert_int_equal(f->count, 3);
	assert_string_equal(f->where, "part 1");
	assert_int_equal(f->offset, n - 7);
	scan_end(&s);
	arena_free(a);
	ruleset_unref(rs);
	free(big);
}

/*
 * A pattern tried at its literal alone whose first byte is a letter: the
 * scanner skips a literal found in the other case only when the pattern
 * never ignores case ("sk" of "ask" is no Twilio "SK" key), and not when
 * it does, by its flags, at its start, in a group or at all (with
 * UTF, PCRE2 itself knows no first byte of a caseless "S" or "K", which
 * have non-ASCII cases: "AB" here).
 */
static void
test_first_letter_case(void **state)
{
	static const char *const pattern[] = {
	    "/(?<![A-Za-z0-9])(AB[0-9a-f]{4})(?![A-Za-z0-9])/",
	    "/(?<![A-Za-z0-9])(AB[0-9a-f]{4})(?![A-Za-z0-9])/i",
	    "/(?i)(?<![A-Za-z0-9])(AB[0-9a-f]{4})(?![A-Za-z0-9])/",
	    "/(?<![A-Za-z0-9])((?i:AB)[0-9a-f]{4})(?![A-Za-z0-9])/",
	    "/(?<![A-Za-z0-9])((?si)AB[0-9a-f]{4})(?![A-Za-z0-9])/",
	};
	char rules[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++) {
		snprintf(rules, sizeof(rules),
		    "rule k\n  category x\n  literals AB window 0\n"
		    "  pattern %s\nend\n",
		    pattern[i]);
		assert_int_equal(conf_of(rules, "a AB12cd b"), CONF_LOW);
		assert_int_equal(
		    conf_of(rules, "a ab12cd b"), i == 0 ? -1 : (int)CONF_LOW);
		/* nor is the literal in a word */
		assert_int_equal(conf_of(rules, "cab12cd b"), -1);
	}
}

/* every (literal, start) a naive search finds, in order of start */
struct pf_hits {
	size_t n;
	size_t id[4096], at[4096];
};

static void
pf_collect(size_t id, size_t start, void *arg)
{
	struct pf_hits *h = arg;

	if (h->n < 4096) {
		h->id[h->n] = id;
		h->at[h->n] = start;
	}
	h->n++;
}

/*
 * The prefilter against a naive search: literals of one to nine bytes
 * (several of one and two bytes, so that both the SIMD test and its
 * fallback run), in any case, at every place of random texts of every
 * length up to 300 (the end of the text, where the filter cannot read
 * four bytes, included).
 */
static void
test_prefilter_exact(void **state)
{
	static const char alphabet[] = "aAbBkK.@-_~ 0\xc3\xa9";
	char *lits[40], text[301];
	size_t ids[40], nl, len, i, j, k, l, expect, round;
	struct pf_hits *got = malloc(sizeof(*got));
	struct prefilter *pf;
	unsigned seed = 1;

	(void)state;
	assert_non_null(got);
	for (round = 0; round < 400; round++) {
		nl = 1 + (size_t)(rand_r(&seed) % 30);
		for (i = 0; i < nl; i++) {
			l = 1 + (size_t)(rand_r(&seed) % 9);
			lits[i] = malloc(l + 1);
			for (j = 0; j < l; j++)
				lits[i][j] = alphabet[rand_r(&seed) %
				    (sizeof(alphabet) - 1)];
			lits[i][l] = '\0';
			ids[i] = (size_t)rand_r(&seed) % 5;
		}
		assert_non_null(pf = prefilter_new(lits, ids, nl));
		len = (size_t)(rand_r(&seed) % 301);
		for (j = 0; j < len; j++)
			text[j] =
			    alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		got->n = 0;
		prefilter_run(pf, text, len, pf_collect, got);
		/* in order of start: compare the multisets place by place */
		for (k = 1; k < got->n && k < 4096; k++)
			assert_true(got->at[k - 1] <= got->at[k]);
		for (expect = 0, j = 0; j < len; j++)
			for (i = 0; i < nl; i++) {
				l = strlen(lits[i]);
				if (j + l <= len &&
				    strncasecmp(text + j, lits[i], l) == 0) {
					/* reported once per literal, here */
					size_t seen = 0, want = 0, m;
					for (m = 0; m < got->n && m < 4096; m++)
						seen += got->at[m] == j &&
						    got->id[m] == ids[i];
					for (m = 0; m < nl; m++)
						want += ids[m] == ids[i] &&
						    strlen(lits[m]) <=
							len - j &&
						    strncasecmp(text + j,
							lits[m],
							strlen(lits[m])) == 0;
					assert_int_equal(seen, want);
					expect++;
				}
			}
		assert_int_equal(got->n, expect);
		prefilter_free(pf);
		for (i = 0; i < nl; i++)
			free(lits[i]);
	}
	free(got);
}

/* the findings of a scan as text: rule, count, evidence */
static void
findings_text(const struct scan *s, char *out, size_t n)
{
	const struct finding *f;
	size_t i, j, o = 0;

	out[0] = '\0';
	for (i = 0; i < s->rs->nrules; i++) {
		if ((f = scan_finding(s, i)) == NULL)
			continue;
		o += (size_t)snprintf(out + o, n - o, "%zu=%u:", i, f->count);
		for (j = 0; j < f->nevidence && o < n; j++)
			o += (size_t)snprintf(
			    out + o, n - o, "%s,", f->evidence[j]);
		if (o >= n)
			break;
	}
}

/* the findings of rules rs in text, by the fast path and by the naive one
 * (fast and naive: n bytes each) */
static void
both_ways(const struct ruleset *rs, const char *text, size_t len, char *fast,
    char *naive, size_t n)
{
	struct arena *a;
	struct scan s;
	int w;

	for (w = 0; w < 2; w++) {
		assert_non_null(a = arena_new());
		assert_int_equal(scan_begin(&s, a, rs), 0);
		scan_set_naive(&s, w == 1);
		assert_int_equal(
		    scan_segment(&s, text, len, "body", SCOPE_BODY), 0);
		findings_text(&s, w ? naive : fast, n);
		scan_end(&s);
		arena_free(a);
	}
}

/*
 * Rules with "start" (and "through") and rules of digits (runs, "whole",
 * "shape", "letters", a most) find what the naive path finds: random texts over
 * small alphabets, windows and runs longer than the 64 places the scanner
 * looks at a time, texts that end at or near a block's edge, matches at
 * the start and end of the text.
 */
/*
 * A shape rule's run is kept for a match that holds it and a non-ASCII
 * digit (text not normalised: PCRE2's \d takes the digits of every
 * script), before the run or past it, as for + and (; and skipped in
 * plain prose, where no match needs it.
 */
/* a list of phone numbers: the shipped rule's digits, shape and pattern */
static const char phone_rules[] =
    "rule phone\n category c\n digits 6 window 12 shape 2-4 3-4 3-4\n"
    " pattern /(?<![\\d+])(?<!\\d[ .-])((?:\\+\\d{1,3}[ .-]?"
    "(?:\\(\\d{2,4}\\)|\\d{2,4})[ .-]?\\d{3,4}[ .-]?\\d{3,4}|"
    "\\(\\d{2,4}\\)[ .-]?\\d{3,4}[ .-]?\\d{3,4}|"
    "\\d{2,4}[ .-]\\d{3,4}[ .-]\\d{3,4}))(?![ .-]?\\d)/\n"
    " example \"+1 (555) 100-1000\"\nend\n";

/*
 * The rules (the text of a rule file) find in each of the n texts what
 * the naive path finds, something in all but the last and nothing in it
 */
static void
texts_agree(const char *rules, const char *const *texts, size_t n)
{
	char fast[1024], naive[1024], err[256];
	struct ruleset *rs;
	size_t i;

	if (rules_load_text(
		rules, strlen(rules), "t.rules", &rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	for (i = 0; i < n; i++) {
		both_ways(
		    rs, texts[i], strlen(texts[i]), fast, naive, sizeof(fast));
		if (strcmp(fast, naive) != 0)
			fail_msg("text %zu: fast \"%s\", naive \"%s\"", i, fast,
			    naive);
		if ((naive[0] != '\0') != (i + 1 < n))
			fail_msg("text %zu: naive \"%s\"", i, naive);
	}
	ruleset_unref(rs);
}

static void
test_shape_runs(void **state)
{
	static const char *const texts[] = {
	    /* the last group in Arabic-Indic digits, past the run */
	    "call 123 4567 \xd9\xa8\xd9\xa9\xd9\xa0 now",
	    /* the same sixteen bytes and more into the text */
	    "a line of plain words, then 123 4567 \xd9\xa8\xd9\xa9\xd9\xa0 "
	    "now",
	    /* the first group so, before the run */
	    "call \xd9\xa1\xd9\xa2 345 6789 now",
	    /* + and ( before the run, sixteen bytes and more into the text */
	    "a line of plain words, then +441 2079 123-4567, (55) 123 456",
	    /* + and ( before the run */
	    "call +44 20 7946 0958 or (20) 7946 0958",
	    /* the groups alone, and after a slash */
	    "tel 020 7946 0958, 1234567/55-123-4567",
	    /* prose: dates, amounts, ids */
	    "on 2024-01-15 we paid 12345.67 for order 99887766 (ok)",
	};

	(void)state;
	/* all but the prose hold a phone number */
	texts_agree(phone_rules, texts, sizeof(texts) / sizeof(texts[0]));
}

/*
 * One stretch of shape bytes 600 KB long (digits, blanks, dashes and
 * accented letters): every run in it asks whether a non-ASCII byte lies
 * ahead, and the answers kept from run to run must be right all along
 * (reading the stretch again for each run took minutes).
 */
static void
test_shape_long_stretch(void **state)
{
	static const char *const pieces[] = {"123456 ", "\xc3\xbc ",
	    "020-7946-0958 ", "12 345 ", "\xd9\xa4 ", "(55) 123 456 ",
	    "99887766 ", "+44 ", "7946 0958 ", "- "};
	char *text, fast[4096], naive[4096], err[256];
	size_t len = 0, cap = 600000, k;
	unsigned seed = 11;
	struct ruleset *rs;

	(void)state;
	assert_non_null(text = malloc(cap + 32));
	while (len < cap) {
		k = (size_t)rand_r(&seed) %
		    (sizeof(pieces) / sizeof(pieces[0]));
		memcpy(text + len, pieces[k], strlen(pieces[k]));
		len += strlen(pieces[k]);
	}
	if (rules_load_text(phone_rules, sizeof(phone_rules) - 1, "t.rules",
		&rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	both_ways(rs, text, len, fast, naive, sizeof(fast));
	assert_string_equal(fast, naive);
	assert_true(naive[0] != '\0'); /* it holds phone numbers */
	ruleset_unref(rs);
	free(text);
}

/*
 * A "digits ... whole" rule's key passes a run of one group only with as
 * many digits as its validator accepts, and a run of more groups with any
 * digits: an SSN of nine digits alone, in groups, in a run of more groups
 * whose digits are more than nine (before and after it, in runs of up to
 * sixteen bytes and longer), or with a slash or dot between it and more
 * digits, is found as naively; runs of one group of eight and ten digits
 * are not.
 */
static void
test_whole_one_group(void **state)
{
	static const char rules[] =
	    "rule ssn\n category c\n digits 9 window 0 whole\n"
	    " validate us_ssn\n"
	    " pattern /(?<![\\d-])(\\d{3}-\\d{2}-\\d{4}|\\d{9})(?![\\d-])/\n"
	    " example \"536-90-4399\"\nend\n";
	static const char *const texts[] = {
	    "id 536904399 ok",
	    "id 536-90-4399, the value on its own",
	    "id 12 536-90-4399, after a short group",
	    "id 536-90-4399 1234567 ok",
	    "id 1234567 536-90-4399 ok",
	    "id 12345/536904399 ok",
	    "id 536904399.12345 ok",
	    "id 53690439 5369043990 ok",
	};

	(void)state;
	texts_agree(rules, texts, sizeof(texts) / sizeof(texts[0]));
}

/* is c in a run's separators, or an ASCII letter? */
static bool
run_sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/';
}

static bool
ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* does a run at text[k] follow a two-letter word, directly or after one
 * blank or dash? (the naive way) */
static bool
run_lead(const char *t, size_t k)
{
	size_t d;

	for (d = 0; d < 2; d++) {
		if (k < 2 + d || (d && t[k - 1] != ' ' && t[k - 1] != '-'))
			continue;
		if (ascii_letter(t[k - 1 - d]) && ascii_letter(t[k - 2 - d]) &&
		    (k == 2 + d ||
			!(ascii_letter(t[k - 3 - d]) ||
			    isdigit((unsigned char)t[k - 3 - d]))))
			return true;
	}
	return false;
}

/*
 * The runs of digits the scanner finds (scan_text_runs()) against a
 * byte-by-byte search: digits and single separators between digits, the
 * runs of min digits and those of lead_min after a two-letter word, their
 * places, digits and leads exactly, in random texts whose lengths fall at
 * and near the edges of the scanner's blocks of 64 (runs that cross them,
 * and end at them with a separator).
 */
static void
test_digit_runs_exact(void **state)
{
	static const char *const alphabets[] = {
	    "0123456789 -./", "01 -./ab+(", "ab 1-", "0123456789012345 -"};
	struct scan_run got[400];
	char text[400];
	unsigned seed = 3, min, lead_min, digits, round;
	size_t len, n, want, i, j, k, na;

	(void)state;
	for (round = 0; round < 40000; round++) {
		const char *al = alphabets[round % 4];
		na = strlen(al);
		len = round % 3 == 0 ? 60 + (size_t)rand_r(&seed) % 10 +
			64 * ((size_t)rand_r(&seed) % 5)
				     : (size_t)rand_r(&seed) % sizeof(text);
		for (j = 0; j < len; j++)
			text[j] = al[(size_t)rand_r(&seed) % na];
		min = 1 + (unsigned)rand_r(&seed) % 20;
		lead_min =
		    rand_r(&seed) % 3 ? 0 : 1 + (unsigned)rand_r(&seed) % 4;
		assert_int_equal(scan_text_runs(text, len, min, lead_min, got,
				     sizeof(got) / sizeof(got[0]), &n),
		    0);
		for (want = 0, i = 0; i < len;) {
			if (!isdigit((unsigned char)text[i])) {
				i++;
				continue;
			}
			for (k = i, digits = 0; k < len; k++) {
				if (isdigit((unsigned char)text[k]))
					digits++;
				else if (!(run_sep(text[k]) && k + 1 < len &&
					     isdigit(
						 (unsigned char)text[k + 1])))
					break;
			}
			if (digits >= min ||
			    (lead_min && digits >= lead_min &&
				run_lead(text, i))) {
				if (want >= n || got[want].at != i ||
				    got[want].limit != k ||
				    got[want].digits != digits ||
				    got[want].lead !=
					(lead_min && run_lead(text, i)))
					fail_msg("round %u: run %zu [%zu, %zu) "
						 "in \"%.*s\"",
					    round, want, i, k, (int)len, text);
				want++;
			}
			i = k;
		}
		assert_int_equal(n, want);
	}
}

/*
 * Rules of digits that ask the same of a run share one selection of runs
 * in a segment (rules.h: digit_same), never one of another segment or of
 * a rule out of the segment's scope: a header, then a body where the
 * first of three such rules is out of scope, in one scan, find what the
 * naive path finds, and each rule something. The header's runs lie past
 * the body's end, so that its runs anchor nothing in the body.
 */
static void
test_digit_rules_share(void **state)
{
	static const char rules[] =
	    "rule a\n category c\n digits 9 window 0 whole\n"
	    " validate us_ssn\n scope headers\n"
	    " pattern /(?<![\\d-])(\\d{3}-\\d{2}-\\d{4})(?![\\d-])/\n"
	    " example \"536-90-4399\"\nend\n"
	    "rule x\n category c\n digits 6 window 0\n scope all\n"
	    " pattern /(?<!\\d)(\\d{6,8})(?!\\d)/\n"
	    " example \"123456\"\nend\n"
	    "rule b\n category c\n digits 9 window 0 whole\n"
	    " validate us_ssn\n scope body\n"
	    " pattern /(?<![\\d-])(\\d{9})(?![\\d-])/\n"
	    " example \"536904399\"\nend\n"
	    "rule c\n category c\n digits 9 window 0 whole\n"
	    " validate us_ssn\n scope all\n"
	    " pattern /(?<![\\d-])(\\d{3}-\\d{2}-\\d{4})(?![\\d-])/\n"
	    " example \"536-90-4399\"\nend\n";
	static const char header[] =
	    "X-Note: a header line long enough that its numbers stand past "
	    "the end of the body: 536-90-4399 1234567",
			  body[] = "ids 123-45-6789 and 234567891";
	char out[2][1024], err[256];
	struct ruleset *rs;
	struct arena *a;
	struct scan s;
	size_t i;
	int w;

	(void)state;
	if (rules_load_text(rules, sizeof(rules) - 1, "t.rules", &rs, err,
		sizeof(err)) != 0)
		fail_msg("%s", err);
	for (w = 0; w < 2; w++) {
		assert_non_null(a = arena_new());
		assert_int_equal(scan_begin(&s, a, rs), 0);
		scan_set_naive(&s, w == 1);
		assert_int_equal(scan_segment(&s, header, sizeof(header) - 1,
				     "header", SCOPE_HEADERS),
		    0);
		assert_int_equal(scan_segment(&s, body, sizeof(body) - 1,
				     "body", SCOPE_BODY),
		    0);
		findings_text(&s, out[w], sizeof(out[w]));
		for (i = 0; i < rs->nrules; i++)
			assert_non_null(scan_finding(&s, i));
		scan_end(&s);
		arena_free(a);
	}
	assert_string_equal(out[0], out[1]);
	ruleset_unref(rs);
}

static void
test_start_classes_exact(void **state)
{
	static const char rules[] =
	    "rule mail\n category c\n literals @ window 72\n"
	    " start <[^a-z.] [a-z] through [a-z.]\n"
	    " pattern /(?<![a-z.])([a-z][a-z.]{0,70}@[a-z]{1,5})/\n"
	    " example \"ab@cd\"\nend\n"
	    "rule code\n category c\n digits 3 window 3\n"
	    " start <[^A-Z0-9] [A-Z] [A-Z0-9\\x20] through [A-Z\\x20]\n"
	    " pattern /(?<![A-Z0-9])([A-Z]{1,2} ?\\d{3,6})(?!\\d)/\n"
	    " example \"AB 123\"\nend\n"
	    "rule num\n category c\n digits 6 window 0\n"
	    " pattern /(?<!\\d)(\\d(?:[ .\\/-]?\\d){5,11})(?!\\d)/\n"
	    " example \"12 34 56\"\nend\n"
	    "rule card\n category c\n digits 12 window 0 whole\n"
	    " validate luhn\n"
	    " pattern /(?<!\\d)(\\d(?:[ -]?\\d){11,18})(?!\\d)/\n"
	    " example \"4111 1111 1111 1111\"\nend\n"
	    "rule acct\n category c\n digits 2 window 3 letters\n"
	    " start <[^A-Za-z0-9] [A-Za-z] [A-Za-z] [-\\x20\\d] [\\d]\n"
	    " pattern /(?<![A-Za-z0-9])([A-Za-z]{2}[ -]?\\d{2}"
	    "(?:[ -]?[A-Za-z0-9]){3,10})(?![A-Za-z0-9])/\n"
	    " example \"AB 12 CD3\"\nend\n"
	    "rule phone\n category c\n digits 6 window 12 shape 2-4 3-4 3-4\n"
	    " start <[^0-9+] [+(\\d\\x80-\\xff] [\\d\\x80-\\xff]"
	    " [-\\x20.(\\d\\x80-\\xff]\n"
	    " pattern /(?<![\\d+])(?<!\\d[ .-])((?:\\+\\d{1,3}[ .-]?"
	    "(?:\\(\\d{2,4}\\)|\\d{2,4})[ .-]?\\d{3,4}[ .-]?\\d{3,4}|"
	    "\\(\\d{2,4}\\)[ .-]?\\d{3,4}[ .-]?\\d{3,4}|"
	    "\\d{2,4}[ .-]\\d{3,4}[ .-]\\d{3,4}))(?![ .-]?\\d)/\n"
	    " example \"+1 (555) 100-1000\"\nend\n"
	    "rule zip\n category c\n digits 5-5 window 0\n"
	    " pattern /(?<!\\d)(?<!\\d[ .\\/-])(\\d{5})(?![ .\\/-]?\\d)/\n"
	    " example \"12345\"\nend\n";
	static const char letters[] = "ab.@ AZ1239-Zb",
			  digits[] = "0123456789 -./",
			  mixed[] = "0123456789 -./+(Ab";
	/* lengths at and near the edges of the scanner's blocks */
	static const size_t edges[] = {
	    1, 2, 63, 64, 65, 66, 127, 128, 129, 130, 191, 192, 193, 256, 300};
	char text[301], fast[4096], naive[4096], err[256];
	struct ruleset *rs;
	unsigned seed = 7, round;
	size_t len, j, w;

	(void)state;
	if (rules_load_text(rules, sizeof(rules) - 1, "t.rules", &rs, err,
		sizeof(err)) != 0)
		fail_msg("%s", err);
	for (round = 0; round < 6000; round++) {
		/* letters and some digits, runs of digits (across the
		 * scanner's blocks of 64), or both with + and ( */
		const char *alphabet = round % 3 == 0 ? letters
		    : round % 3 == 1		      ? digits
						      : mixed;
		size_t na = strlen(alphabet);
		len = round % 4 == 0 ? edges[(size_t)rand_r(&seed) %
					   (sizeof(edges) / sizeof(edges[0]))]
				     : (size_t)(rand_r(&seed) % 301);
		for (j = 0; j < len; j++)
			text[j] = alphabet[rand_r(&seed) % na];
		/* long local parts and codes now and then */
		for (j = 0; len > 80 && j < 3; j++) {
			w = (size_t)(rand_r(&seed) % (len - 70));
			memset(text + w, "ab"[j & 1], 60);
		}
		both_ways(rs, text, len, fast, naive, sizeof(fast));
		if (strcmp(fast, naive) != 0)
			fail_msg("round %u: fast \"%s\", naive \"%s\" over "
				 "\"%.*s\"",
			    round, fast, naive, (int)len, text);
	}
	ruleset_unref(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefilter_exact),
	    cmocka_unit_test(test_start_classes_exact),
	    cmocka_unit_test(test_digit_runs_exact),
	    cmocka_unit_test(test_digit_rules_share),
	    cmocka_unit_test(test_shape_runs),
	    cmocka_unit_test(test_shape_long_stretch),
	    cmocka_unit_test(test_whole_one_group),
	    cmocka_unit_test(test_confidence_levels),
	    cmocka_unit_test(test_min_confidence),
	    cmocka_unit_test(test_allow_vetoes),
	    cmocka_unit_test(test_allow_words_long),
	    cmocka_unit_test(test_allow_word_very_long),
	    cmocka_unit_test(test_exact_literals),
	    cmocka_unit_test(test_iban_leads),
	    cmocka_unit_test(test_turned_away_covers_nothing),
	    cmocka_unit_test(test_after_word),
	    cmocka_unit_test(test_entropy),
	    cmocka_unit_test(test_max_count),
	    cmocka_unit_test(test_min_count_held),
	    cmocka_unit_test(test_first_letter_case),
	    cmocka_unit_test(test_min_count_hold_limit),
	    cmocka_unit_test_setup_teardown(
		test_same_value_counts_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_invalid_not_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_many_distinct, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_keywords_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_keywords_distance, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_keywords_first_listed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_min_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_mask_examples, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_mask_property, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mask_binary, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_evidence_masked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_text_matches, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lengths_and_nuls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
