/*
 * scan.c - rule set x text segment -> findings (see include/exfil/scan.h)
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/common.h>
#include <exfil/rules.h>
#include <exfil/scan.h>
#include <exfil/validators.h>

/* scan_begin - per-message scan state */
int
scan_begin(struct scan *s, struct arena *a, const struct ruleset *rs)
{
	memset(s, 0, sizeof(*s));
	s->arena = a;
	s->rs = rs;
	if (rs->nrules &&
	    (s->findings = arena_calloc(a, rs->nrules, sizeof(*s->findings))) ==
		NULL)
		return EXFIL_ENOMEM;
	if ((s->match_data = pcre2_match_data_create(16, NULL)) == NULL)
		return EXFIL_ENOMEM;
	return 0;
}

/* scan_end - release what is not in the arena */
void
scan_end(struct scan *s)
{
	if (s->match_data)
		pcre2_match_data_free(s->match_data);
	s->match_data = NULL;
}

/* scan_finding - the finding of a rule that fired, or NULL */
const struct finding *
scan_finding(const struct scan *s, size_t rule_index)
{
	const struct finding *f;

	if (rule_index >= s->rs->nrules)
		return NULL;
	f = &s->findings[rule_index];
	if (f->count == 0 || f->count < s->rs->rules[rule_index].min_count)
		return NULL;
	if (s->rs->rules[rule_index].max_count &&
	    f->count > s->rs->rules[rule_index].max_count)
		return NULL;
	return f;
}

/* scan_mask - a value with all but a little of each end masked */
char *
scan_mask(struct arena *a, const char *value, size_t len)
{
	size_t keep = len / 4, i;
	char *out;

	if (keep > 4)
		keep = 4;
	if ((out = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (i < keep || i >= len - keep || c == ' ' || c == '-')
			out[i] = (char)c;
		else
			out[i] = '*';
		/* never leave half a UTF-8 sequence or a control byte */
		if (c >= 0x80 || c < 0x20)
			out[i] = '*';
	}
	out[len] = '\0';
	return out;
}

static unsigned long long
hash64(const char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* add h to the finding's set; 1 if new, 0 if seen, <0 on error */
static int
set_add(struct arena *a, struct finding *f, unsigned long long h)
{
	unsigned long long *ns;
	size_t i, j, ncap;

	if (f->count >= SCAN_MAX_VALUES)
		return 1;
	if (f->setcap == 0 || (f->count + 1) * 2 > f->setcap) {
		ncap = f->setcap ? f->setcap * 2 : 16;
		if ((ns = arena_calloc(a, ncap, sizeof(*ns))) == NULL)
			return EXFIL_ENOMEM;
		for (i = 0; i < f->setcap; i++) {
			if (f->set[i] == 0)
				continue;
			for (j = f->set[i] & (ncap - 1); ns[j];
			     j = (j + 1) & (ncap - 1))
				;
			ns[j] = f->set[i];
		}
		f->set = ns;
		f->setcap = ncap;
	}
	for (j = h & (f->setcap - 1); f->set[j]; j = (j + 1) & (f->setcap - 1))
		if (f->set[j] == h)
			return 0;
	f->set[j] = h;
	return 1;
}

static bool
word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || c == '_';
}

/* is one of words[] within `within` bytes around [ms, me)? */
static bool
word_near(char *const *words, size_t nwords, unsigned within, const char *text,
    size_t len, size_t ms, size_t me)
{
	size_t from = ms > within ? ms - within : 0;
	size_t to = me + within < len ? me + within : len;
	size_t i, k, kl;

	for (k = 0; k < nwords; k++) {
		kl = strlen(words[k]);
		for (i = from; i + kl <= to; i++) {
			if (strncasecmp(text + i, words[k], kl) != 0)
				continue;
			/* whole words only: "card" is not in "discarded" */
			if ((i > 0 && word_char((unsigned char)text[i - 1]) &&
				word_char((unsigned char)words[k][0])) ||
			    (i + kl < len &&
				word_char((unsigned char)text[i + kl]) &&
				word_char((unsigned char)words[k][kl - 1])))
				continue;
			return true;
		}
	}
	return false;
}

/* Shannon entropy of s in bits per byte */
static double
entropy_bits(const char *s, size_t n)
{
	unsigned count[256] = {0};
	double h = 0, q;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (count[i] == 0)
			continue;
		q = (double)count[i] / (double)n;
		h -= q * log2(q);
	}
	return h;
}

/* is the value vetoed by an allow regex or an allow word? */
static bool
allowed(struct scan *s, const struct rule *r, const char *val, size_t vlen)
{
	size_t i, k, wl;

	for (i = 0; i < r->nallow; i++)
		if (pcre2_match(r->allow[i], (PCRE2_SPTR)val, vlen, 0, 0,
			s->match_data, NULL) >= 0)
			return true;
	for (i = 0; i < r->nallow_words; i++) {
		wl = strlen(r->allow_words[i]);
		for (k = 0; k + wl <= vlen; k++)
			if (strncasecmp(val + k, r->allow_words[i], wl) == 0)
				return true;
	}
	return false;
}

/* one rule over one segment; calls back into the finding */
static int
scan_rule(struct scan *s, const struct rule *r, struct finding *f,
    const char *text, size_t len, const char *where)
{
	pcre2_match_data *md = s->match_data;
	PCRE2_SIZE *ov, start, vs, ve, ms, me;
	enum confidence conf;
	char digits[64];
	const char *val;
	size_t p, vlen;
	int rc, n;

	for (p = 0; p < r->npatterns; p++) {
		start = 0;
		while (start <= len) {
			n = pcre2_match(r->patterns[p], (PCRE2_SPTR)text, len,
			    start, 0, md, NULL);
			if (n < 0)
				break; /* no match, or a resource limit */
			ov = pcre2_get_ovector_pointer(md);
			vs = ov[0], ve = ov[1];
			if (n > 1 && ov[2] != PCRE2_UNSET)
				vs = ov[2], ve = ov[3];
			start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			ms = ov[0], me = ov[1];
			val = text + vs;
			vlen = ve - vs;
			conf = CONF_LOW;
			if (r->validator) {
				if (!r->validator->check(val, vlen))
					continue;
				conf = CONF_MEDIUM;
			}
			if (r->min_entropy > 0) {
				if (entropy_bits(val, vlen) < r->min_entropy)
					continue;
				conf = CONF_MEDIUM;
			}
			if (r->nkeywords) {
				if (!word_near(r->keywords, r->nkeywords,
					r->within, text, len, ms, me))
					continue;
				conf++;
			} else if (r->nboost &&
			    word_near(r->boost, r->nboost, r->boost_within,
				text, len, ms, me)) {
				conf++;
			}
			if (conf < r->min_confidence)
				continue;
			/* the vetoes use the match data: copy the value */
			if ((r->nallow || r->nallow_words) &&
			    allowed(s, r,
				(val = arena_memdup(s->arena, val, vlen)) ? val
									  : "",
				vlen))
				continue;
			if (val == NULL)
				return EXFIL_ENOMEM;
			f->hits++;
			if (conf > f->confidence)
				f->confidence = conf;
			if (r->validator && r->validator->digits_only) {
				size_t k = validator_digits(
				    val, vlen, digits, sizeof(digits));
				if (k <= sizeof(digits))
					val = digits, vlen = k;
			}
			if ((rc = set_add(s->arena, f, hash64(val, vlen))) < 0)
				return rc;
			if (rc == 0)
				continue;
			if (f->count++ == 0) {
				f->rule = r;
				f->where = where;
				f->offset = ov[0];
			}
			if (f->nevidence < SCAN_MAX_EVIDENCE) {
				char *m = scan_mask(
				    s->arena, val, vlen > 200 ? 200 : vlen);
				if (m == NULL)
					return EXFIL_ENOMEM;
				f->evidence[f->nevidence++] = m;
			}
		}
	}
	return 0;
}

/* scan_segment - every rule in scope over one text segment */
int
scan_segment(struct scan *s, const char *text, size_t len, const char *where,
    unsigned scope)
{
	const struct rule *r;
	size_t i;
	int rc;

	s->bytes += len;
	for (i = 0; i < s->rs->nrules; i++) {
		r = &s->rs->rules[i];
		if (!r->enabled || !(r->scope & scope))
			continue;
		if ((rc = scan_rule(s, r, &s->findings[i], text, len, where)) <
		    0)
			return rc;
	}
	return 0;
}

/* scan_text_matches - does rule r fire on text (all scopes)? */
int
scan_text_matches(const struct ruleset *rs, const struct rule *r,
    const char *text, size_t len, bool *matched)
{
	struct arena *a;
	struct scan s;
	int rc;

	if ((a = arena_new()) == NULL)
		return EXFIL_ENOMEM;
	memset(&s, 0, sizeof(s));
	/* the same normalisation as the engine's, so examples tell true */
	if ((text = text_normalize(a, text, len, &len)) == NULL)
		rc = EXFIL_ENOMEM;
	else if ((rc = scan_begin(&s, a, rs)) == 0) {
		rc = scan_rule(
		    &s, r, &s.findings[r->index], text, len, "example");
		*matched = rc == 0 && scan_finding(&s, r->index) != NULL;
	}
	scan_end(&s);
	arena_free(a);
	return rc;
}
