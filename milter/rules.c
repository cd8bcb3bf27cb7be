/*
 * rules.c - rule files -> immutable compiled rule set, file:line:col errors
 * (see include/exfil/rules.h)
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <exfil/common.h>
#include <exfil/decode.h>
#include <exfil/prefilter.h>
#include <exfil/rules.h>
#include <exfil/validators.h>

/*
 * The default policy: the same text as rules/policy.rules. Categories
 * and counts decide; the most severe action wins.
 */
const char rules_default_policy[] =
    "policy\n"
    "  when category private_key then quarantine\n"
    "  when category secret_token then quarantine\n"
    "  when category bulk_pii then quarantine\n"
    "  when category payment_card then tag\n"
    "  when category payment_card count 10 then quarantine\n"
    "  when category iban then tag\n"
    "  when category iban count 10 then quarantine\n"
    "  when category us_ssn then tag\n"
    "  when category us_ssn count 10 then quarantine\n"
    "  when category national_id then tag\n"
    "  when category national_id count 10 then quarantine\n"
    "  when category bank_account then tag\n"
    "  when category encrypted_attachment then tag\n"
    "  when category classification_marking then tag\n"
    "  when category file_type then tag\n"
    "  when category document_fingerprint then tag\n"
    "  when category volume_anomaly then tag\n"
    "end\n";

struct parser {
	const char *file;
	unsigned line;
	struct ruleset *rs;
	struct rule *cur;
	bool in_policy;
	bool saw_policy;
	unsigned depth; /* of include */
	char *err;
	size_t errlen;
};

#define RULES_MAX_INCLUDE 8
#define RULES_WINDOW 1024 /* how far before its anchor a match may start */
#define RULES_DIGITS_WINDOW 32 /* the same for a run of digits */

static int parse_text(struct parser *p, const char *text, size_t len);
static void stmt_clear(struct policy_stmt *st);
static int read_file(const char *path, char **text, size_t *len);

static int perr(struct parser *p, size_t col, const char *fmt, ...)
    EXFIL_PRINTF(3, 4);

/* perr - "file:line:col: message" */
static int
perr(struct parser *p, size_t col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%u:%zu: %s", p->file, p->line,
		    col, msg);
	return EXFIL_EINVAL;
}

static int
strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return EXFIL_ENOMEM;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return EXFIL_ENOMEM;
	}
	*v = nv;
	(*v)[(*n)++] = s;
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_clear(struct rule *r)
{
	size_t i;

	free(r->id);
	free(r->category);
	free(r->file);
	for (i = 0; i < r->npatterns; i++)
		pcre2_code_free(r->patterns[i]);
	free(r->patterns);
	free(r->windows);
	for (i = 0; r->pattern_literals && i < r->npatterns; i++)
		free(r->pattern_literals[i]);
	free(r->pattern_literals);
	for (i = 0; r->after && i < r->npatterns; i++)
		strv_free(r->after[i].words, r->after[i].nwords);
	free(r->after);
	free(r->litmask);
	for (i = 0; r->start_sets && i < r->npatterns; i++)
		free(r->start_sets[i]);
	free(r->start_sets);
	free(r->first_bytes);
	for (i = 0; r->at_start && i < r->npatterns; i++)
		pcre2_code_free(r->at_start[i]);
	free(r->at_start);
	for (i = 0; r->in_window && i < r->npatterns; i++)
		pcre2_code_free(r->in_window[i]);
	free(r->in_window);
	strv_free(r->keywords, r->nkeywords);
	strv_free(r->boost, r->nboost);
	strv_free(r->literals, r->nliterals);
	strv_free(r->allow_words, r->nallow_words);
	for (i = 0; i < r->nallow; i++)
		pcre2_code_free(r->allow[i]);
	free(r->allow);
	strv_free(r->examples, r->nexamples);
	strv_free(r->sources, r->npatterns);
	strv_free(r->counters, r->ncounters);
	memset(r, 0, sizeof(*r));
}

/* ruleset_ref - one more reference */
struct ruleset *
ruleset_ref(struct ruleset *rs)
{
	__atomic_add_fetch(&rs->refs, 1, __ATOMIC_SEQ_CST);
	return rs;
}

/* ruleset_unref - drop a reference; the last one frees */
void
ruleset_unref(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL || __atomic_sub_fetch(&rs->refs, 1, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < rs->nrules; i++)
		rule_clear(&rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->npolicy; i++)
		stmt_clear(&rs->policy[i]);
	free(rs->policy);
	strv_free(rs->warnings, rs->nwarnings);
	for (i = 0; i <= RULES_NSCOPES; i++)
		prefilter_free(rs->prefilters[i]);
	free(rs->plain_rules);
	free(rs->digit_rules);
	free(rs->digit_same);
	free(rs);
}

/* ruleset_find - a rule by id */
const struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

/* --- tokens of one line --- */

struct tok {
	const char *s;
	size_t n;
	size_t col; /* 1-based */
};

/* next blank-separated word at *pos; 0 at the end of the line */
static int
next_word(const char *line, size_t *pos, struct tok *t)
{
	size_t i = *pos;

	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (line[i] == '\0' || line[i] == '#')
		return 0;
	t->s = line + i;
	t->col = i + 1;
	while (line[i] && line[i] != ' ' && line[i] != '\t')
		i++;
	t->n = (size_t)(line + i - t->s);
	*pos = i;
	return 1;
}

static bool
tok_is(const struct tok *t, const char *w)
{
	return strlen(w) == t->n && strncasecmp(t->s, w, t->n) == 0;
}

static char *
tok_dup(const struct tok *t)
{
	return strndup(t->s, t->n);
}

static int
tok_uint(struct parser *p, const struct tok *t, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (t->n == 0 || t->n > 9)
		return perr(p, t->col, "expected a number, got '%.*s'",
		    (int)t->n, t->s);
	for (i = 0; i < t->n; i++) {
		if (!isdigit((unsigned char)t->s[i]))
			return perr(p, t->col + i,
			    "expected a number, got '%.*s'", (int)t->n, t->s);
		v = v * 10 + (unsigned long)(t->s[i] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

/* N or N-M into *lo and *hi (0 for N alone) */
static int
tok_range(struct parser *p, const struct tok *t, unsigned *lo, unsigned *hi)
{
	const char *dash = memchr(t->s, '-', t->n);
	struct tok a = *t, b = *t;
	int rc;

	*hi = 0;
	if (dash) {
		a.n = (size_t)(dash - t->s);
		b.s = dash + 1;
		b.n = t->n - a.n - 1;
		b.col = t->col + a.n + 1;
		if ((rc = tok_uint(p, &b, hi)) < 0)
			return rc;
	}
	if ((rc = tok_uint(p, &a, lo)) < 0)
		return rc;
	if (dash && *hi < *lo)
		return perr(p, b.col, "N-M needs M >= N");
	return 0;
}

/* the rest of the line must be empty */
static int
expect_end(struct parser *p, const char *line, size_t pos)
{
	struct tok t;

	if (next_word(line, &pos, &t))
		return perr(p, t.col, "unexpected '%.*s'", (int)t.n, t.s);
	return 0;
}

/* "shape G1 G2 ...": groups of N or N-M digits, as many as follow */
static int
shape_groups(struct parser *p, struct rule *r, const char *line, size_t *pos,
    const struct tok *kw)
{
	unsigned lo, hi;
	size_t at = *pos;
	struct tok t;
	int rc;

	r->nshape = 0;
	while (next_word(line, &at, &t) && isdigit((unsigned char)t.s[0])) {
		if (r->nshape == RULES_MAX_SHAPE)
			return perr(p, t.col, "shape takes at most %d groups",
			    RULES_MAX_SHAPE);
		if ((rc = tok_range(p, &t, &lo, &hi)) < 0)
			return rc;
		if (hi == 0)
			hi = lo;
		if (lo == 0 || hi > 64)
			return perr(p, t.col, "a group takes 1 to 64 digits");
		r->shape_lo[r->nshape] = (unsigned char)lo;
		r->shape_hi[r->nshape++] = (unsigned char)hi;
		*pos = at;
	}
	if (r->nshape == 0)
		return perr(p, kw->col + kw->n, "shape needs groups: N or N-M");
	return 0;
}

/*
 * One class of "start": [SET] or [^SET], SET bytes and ranges A-B, where
 * a byte may be \xHH, \d (the ASCII digits), \w (ASCII letters, digits
 * and _), \s (blank and tab) or \ and any other byte; a '-' first or
 * last is itself. Sets 256 flags.
 */
static int
start_class(struct parser *p, const struct tok *t, unsigned char *set)
{
	const unsigned char *s = (const unsigned char *)t->s;
	size_t i = 1, n = t->n;
	bool neg = false;
	int lo, hi, c, h, l;

	memset(set, 0, 256);
	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return perr(p, t->col, "a start class is [BYTES] or [^BYTES]");
	if (s[i] == '^')
		neg = true, i++;
	for (lo = -1; i < n - 1; i++) {
		c = s[i];
		if (c == '\\' && i + 1 < n - 1) {
			c = s[++i];
			if (c == 'd' || c == 'w' || c == 's') {
				for (h = 0; h < 256; h++)
					set[h] |= c == 'd' ? isdigit(h) != 0
					    : c == 's' ? h == ' ' || h == '\t'
						       : h < 0x80 &&
						(isalnum(h) || h == '_');
				lo = -1;
				continue;
			}
			if (c == 'x') {
				if (i + 2 >= n - 1 ||
				    (h = decode_hexval(s[i + 1])) < 0 ||
				    (l = decode_hexval(s[i + 2])) < 0)
					return perr(p, t->col + i - 1,
					    "\\x needs two hex digits");
				c = h << 4 | l;
				i += 2;
			}
		} else if (c == '-' && lo >= 0 && i + 1 < n - 1) {
			/* a range: lo-hi */
			hi = s[++i];
			if (hi == '\\' && i + 3 < n - 1 && s[i + 1] == 'x' &&
			    (h = decode_hexval(s[i + 2])) >= 0 &&
			    (l = decode_hexval(s[i + 3])) >= 0)
				hi = h << 4 | l, i += 3;
			if (hi < lo)
				return perr(
				    p, t->col + i, "range out of order");
			for (c = lo; c <= hi; c++)
				set[c] = 1;
			lo = -1;
			continue;
		}
		set[c] = 1;
		lo = c;
	}
	for (c = 0; neg && c < 256; c++)
		set[c] = !set[c];
	return 0;
}

/* the byte before a match, in bit 7 of start_map: one table lookup a
 * byte tells the scanner all it needs (scan.c) */
static void
start_prev_bit(struct rule *r)
{
	unsigned c;

	for (c = 0; c < 256; c++)
		r->start_map[c] = (unsigned char)((r->start_map[c] & 0x7f) |
		    (r->start_prev[c] ? 0x80 : 0));
}

/* "start [<C0] C1 .. [through C]": the bytes every match starts with */
static int
start_classes(struct parser *p, struct rule *r, const char *line, size_t pos,
    const struct tok *kw)
{
	unsigned char set[256];
	struct tok t;
	unsigned c;
	int rc;

	memset(r->start_map, 0, sizeof(r->start_map));
	memset(r->start_prev, 1, sizeof(r->start_prev));
	memset(r->start_thru, 1, sizeof(r->start_thru));
	r->nstart = 0;
	while (next_word(line, &pos, &t)) {
		if (tok_is(&t, "through")) {
			if (!next_word(line, &pos, &t))
				return perr(p, t.col + t.n,
				    "through needs a class: [BYTES]");
			if ((rc = start_class(p, &t, r->start_thru)) < 0)
				return rc;
			if (r->nstart == 0)
				return perr(p, kw->col + kw->n,
				    "start needs a class: [BYTES]");
			start_prev_bit(r);
			return expect_end(p, line, pos);
		}
		if (t.s[0] == '<' && r->nstart == 0) {
			t.s++, t.n--, t.col++;
			if ((rc = start_class(p, &t, r->start_prev)) < 0)
				return rc;
			continue;
		}
		if (r->nstart == RULES_MAX_START)
			return perr(p, t.col, "start takes at most %d classes",
			    RULES_MAX_START);
		if ((rc = start_class(p, &t, set)) < 0)
			return rc;
		for (c = 0; c < 256; c++)
			r->start_map[c] |= (unsigned char)(set[c] << r->nstart);
		r->nstart++;
	}
	if (r->nstart == 0)
		return perr(p, kw->col + kw->n, "start needs a class: [BYTES]");
	start_prev_bit(r);
	return 0;
}

/* "TEXT" with \" \\ \n \t \r \xHH escapes */
static int
quoted(struct parser *p, const char *line, size_t pos, char **out)
{
	size_t i = pos, o = 0;
	char *s;
	int hi, lo;

	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (line[i] != '"')
		return perr(p, i + 1, "expected a quoted string");
	if ((s = malloc(strlen(line + i) + 1)) == NULL)
		return EXFIL_ENOMEM;
	for (i++; line[i] && line[i] != '"'; i++) {
		if (line[i] != '\\') {
			s[o++] = line[i];
			continue;
		}
		i++;
		switch (line[i]) {
		case 'n':
			s[o++] = '\n';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case '"':
		case '\\':
			s[o++] = line[i];
			break;
		case 'x':
			if (isxdigit((unsigned char)line[i + 1]) &&
			    isxdigit((unsigned char)line[i + 2])) {
				hi = isdigit((unsigned char)line[i + 1])
				    ? line[i + 1] - '0'
				    : (tolower((unsigned char)line[i + 1]) -
					  'a' + 10);
				lo = isdigit((unsigned char)line[i + 2])
				    ? line[i + 2] - '0'
				    : (tolower((unsigned char)line[i + 2]) -
					  'a' + 10);
				s[o++] = (char)(hi << 4 | lo);
				i += 2;
				break;
			}
			/* FALLTHROUGH */
		default:
			free(s);
			return perr(p, i + 1, "unknown escape '\\%c'",
			    line[i] ? line[i] : ' ');
		}
	}
	if (line[i] != '"') {
		free(s);
		return perr(p, i + 1, "missing closing quote");
	}
	s[o] = '\0';
	if (expect_end(p, line, i + 1) < 0) {
		free(s);
		return EXFIL_EINVAL;
	}
	*out = s;
	return 0;
}

/* "after WORD... within N" on a pattern line (kw: "after"), into *af */
static int
after_words(struct parser *p, const char *line, size_t *pos,
    const struct tok *kw, struct pattern_after *af)
{
	struct tok t = *kw;
	int rc;

	for (;;) {
		if (!next_word(line, pos, &t))
			return perr(p, t.col + t.n,
			    af->nwords ? "after WORD... needs 'within N'"
				       : "after needs a word");
		if (af->nwords && tok_is(&t, "within"))
			break;
		if ((rc = strv_push(&af->words, &af->nwords, tok_dup(&t))) < 0)
			return rc;
	}
	if (!next_word(line, pos, &t))
		return perr(p, t.col + t.n, "within needs a number");
	return tok_uint(p, &t, &af->within);
}

/* how every pattern is compiled: UTF with Unicode properties, invalid
 * UTF-8 allowed, and the scanner limits where a match may start (scan(3)) */
#define PATTERN_OPTS \
	(PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | \
	    PCRE2_USE_OFFSET_LIMIT)

/*
 * /REGEX/FLAGS, the regex ending at the last slash of the line, compiled
 * (and JIT-compiled) and appended to *v; with sources, its text too, the
 * flags written as an inline option ("(?i)REGEX").
 */
static int
regex_push(struct parser *p, const char *line, size_t pos, pcre2_code ***v,
    size_t *n, char ***sources, unsigned **windows, char ***plits,
    struct pattern_after **after)
{
	const char *start, *last, *f;
	uint32_t opts = PATTERN_OPTS;
	PCRE2_UCHAR emsg[256];
	PCRE2_SIZE eoff;
	pcre2_code *re, **nv;
	int ecode;

	while (line[pos] == ' ' || line[pos] == '\t')
		pos++;
	if (line[pos] != '/')
		return perr(p, pos + 1, "a pattern is written /REGEX/FLAGS");
	start = line + pos + 1;
	last = strrchr(start, '/');
	if (last == NULL)
		return perr(p, pos + 1, "pattern without a closing '/'");
	for (f = last + 1; *f && *f != ' ' && *f != '\t'; f++) {
		switch (*f) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		default:
			return perr(p, (size_t)(f - line) + 1,
			    "unknown pattern flag '%c'", *f);
		}
	}
	if (windows) {
		/* "window N", "literals WORD...": this pattern's own
		 * window and anchors (scan(3)) */
		unsigned w = RULES_WINDOW_RULE, *nw;
		size_t wpos = (size_t)(f - line), lpos = 0;
		char *lits = NULL, **nl;
		struct pattern_after af = {NULL, 0, 0}, *na = NULL;
		struct tok t;
		int rc = 0;
		while (rc == 0 && lpos == 0 && next_word(line, &wpos, &t)) {
			if (tok_is(&t, "literals")) {
				lpos = wpos;
				if (!next_word(line, &wpos, &t))
					rc = perr(p, t.col + t.n,
					    "literals needs words");
			} else if (tok_is(&t, "after") && af.nwords == 0) {
				rc = after_words(p, line, &wpos, &t, &af);
			} else if (!tok_is(&t, "window")) {
				rc = perr(p, t.col,
				    "expected 'window N', 'after WORD... "
				    "within N' or 'literals WORD...'");
			} else if (!next_word(line, &wpos, &t)) {
				rc = perr(
				    p, t.col + t.n, "window needs a number");
			} else {
				rc = tok_uint(p, &t, &w);
			}
		}
		if (rc == 0 && lpos) {
			/* the words, checked against the rule's at its end */
			while (line[lpos] == ' ' || line[lpos] == '\t')
				lpos++;
			wpos = lpos + strcspn(line + lpos, "#");
			while (wpos > lpos &&
			    (line[wpos - 1] == ' ' || line[wpos - 1] == '\t'))
				wpos--;
			if ((lits = strndup(line + lpos, wpos - lpos)) == NULL)
				rc = EXFIL_ENOMEM;
		} else if (rc == 0) {
			rc = expect_end(p, line, wpos);
		}
		if (rc == 0 &&
		    (na = realloc(*after, (*n + 1) * sizeof(*na))) == NULL)
			rc = EXFIL_ENOMEM;
		if (rc < 0) {
			strv_free(af.words, af.nwords);
			free(lits);
			return rc;
		}
		*after = na;
		na[*n] = af;
		if ((nl = realloc(*plits, (*n + 1) * sizeof(*nl))) == NULL) {
			free(lits);
			return EXFIL_ENOMEM;
		}
		*plits = nl;
		nl[*n] = lits;
		if ((nw = realloc(*windows, (*n + 1) * sizeof(*nw))) == NULL)
			return EXFIL_ENOMEM;
		*windows = nw;
		nw[*n] = w;
	} else if (expect_end(p, line, (size_t)(f - line)) < 0)
		return EXFIL_EINVAL;
	if (last == start)
		return perr(p, pos + 1, "empty pattern");
	re = pcre2_compile((PCRE2_SPTR)start, (PCRE2_SIZE)(last - start), opts,
	    &ecode, &eoff, NULL);
	if (re == NULL) {
		pcre2_get_error_message(ecode, emsg, sizeof(emsg));
		return perr(p, (size_t)(start - line) + eoff + 1,
		    "bad regex: %s", (char *)emsg);
	}
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0) {
		/* JIT may be refused (e.g. no executable memory): still works */
	}
	if (sources) {
		/* the flags as an inline option, for tools such as pcre2grep */
		char *src, **ns;
		size_t nf = (size_t)(f - last - 1),
		       len = (size_t)(last - start);
		if ((ns = realloc(*sources, (*n + 1) * sizeof(*ns))) == NULL ||
		    (src = malloc(len + nf + 4)) == NULL) {
			if (ns)
				*sources = ns;
			pcre2_code_free(re);
			return EXFIL_ENOMEM;
		}
		*sources = ns;
		if (nf)
			sprintf(src, "(?%.*s)%.*s", (int)nf, last + 1, (int)len,
			    start);
		else
			sprintf(src, "%.*s", (int)len, start);
		(*sources)[*n] = src;
	}
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		pcre2_code_free(re);
		return EXFIL_ENOMEM;
	}
	*v = nv;
	(*v)[(*n)++] = re;
	return 0;
}

/*
 * WORD... [OPT N] [FLAG]: a word list, the number after OPT ("within" for
 * keywords, "window" for literals; NULL: no option) into *val, which
 * starts at def, and whether FLAG ("exact" for literals; NULL: none)
 * follows the words, into *flagged.
 */
static int
word_list(struct parser *p, const char *line, size_t pos, const struct tok *kw,
    char ***v, size_t *n, const char *opt, unsigned *val, unsigned def,
    const char *flag, bool *flagged)
{
	struct tok t;
	bool have_opt = false;
	int rc;

	if (val)
		*val = def;
	while (next_word(line, &pos, &t)) {
		bool is_opt = opt && tok_is(&t, opt),
		     is_flag = flag && tok_is(&t, flag);
		if ((is_opt || is_flag) && *n == 0)
			return perr(p, t.col, "%.*s needs words before '%s'",
			    (int)kw->n, kw->s, is_opt ? opt : flag);
		if (is_flag && !*flagged) {
			*flagged = true;
			continue;
		}
		if (is_opt && !have_opt) {
			if (!next_word(line, &pos, &t))
				return perr(
				    p, t.col + t.n, "%s needs a number", opt);
			if ((rc = tok_uint(p, &t, val)) < 0)
				return rc;
			have_opt = true;
			continue;
		}
		if (have_opt || (flag && *flagged))
			/* no more words after the options */
			return perr(
			    p, t.col, "unexpected '%.*s'", (int)t.n, t.s);
		if ((rc = strv_push(v, n, tok_dup(&t))) < 0)
			return rc;
	}
	if (*n == 0)
		return perr(
		    p, kw->col + kw->n, "%.*s needs words", (int)kw->n, kw->s);
	return 0;
}

static const char *const confidence_names[] = {"low", "medium", "high"};

/* confidence_name - the word for a confidence level */
const char *
confidence_name(enum confidence c)
{
	return (unsigned)c < EXFIL_ARRAY_LEN(confidence_names)
	    ? confidence_names[c]
	    : "?";
}

static int
tok_confidence(struct parser *p, const struct tok *t, enum confidence *out)
{
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(confidence_names); i++) {
		if (tok_is(t, confidence_names[i])) {
			*out = (enum confidence)i;
			return 0;
		}
	}
	return perr(p, t->col, "unknown confidence '%.*s' (low, medium, high)",
	    (int)t->n, t->s);
}

/* a decimal number such as 3.5 */
static int
tok_decimal(struct parser *p, const struct tok *t, double *out)
{
	char buf[32], *end;

	if (t->n == 0 || t->n >= sizeof(buf))
		return perr(p, t->col, "expected a number, got '%.*s'",
		    (int)t->n, t->s);
	memcpy(buf, t->s, t->n);
	buf[t->n] = '\0';
	*out = strtod(buf, &end);
	if (*end || buf[0] == '-' || *out > 64)
		return perr(
		    p, t->col, "expected a number of bits, got '%s'", buf);
	return 0;
}

static int
scope_word(struct parser *p, const struct tok *t, unsigned *scope)
{
	static const struct {
		const char *w;
		unsigned bits;
	} words[] = {
	    {"subject", SCOPE_SUBJECT},
	    {"headers", SCOPE_HEADERS},
	    {"header", SCOPE_HEADERS},
	    {"body", SCOPE_BODY},
	    {"name", SCOPE_NAME},
	    {"names", SCOPE_NAME},
	    {"attachment", SCOPE_ATTACHMENT},
	    {"attachments", SCOPE_ATTACHMENT},
	    {"type", SCOPE_TYPE},
	    {"all", SCOPE_ALL},
	};
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(words); i++) {
		if (tok_is(t, words[i].w)) {
			*scope |= words[i].bits;
			return 0;
		}
	}
	return perr(p, t->col,
	    "unknown scope '%.*s' (subject, headers, body, name, attachment, "
	    "type, all)",
	    (int)t->n, t->s);
}

static int
rule_line(struct parser *p, const char *line, size_t pos, const struct tok *kw)
{
	struct rule *r = p->cur;
	struct tok t;
	char *s = NULL;
	unsigned v;
	int rc;

	if (tok_is(kw, "category")) {
		if (!next_word(line, &pos, &t))
			return perr(
			    p, kw->col + kw->n, "category needs a name");
		free(r->category);
		if ((r->category = tok_dup(&t)) == NULL)
			return EXFIL_ENOMEM;
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "pattern"))
		return regex_push(p, line, pos, &r->patterns, &r->npatterns,
		    &r->sources, &r->windows, &r->pattern_literals, &r->after);
	if (tok_is(kw, "allow"))
		return regex_push(p, line, pos, &r->allow, &r->nallow, NULL,
		    NULL, NULL, NULL);
	if (tok_is(kw, "allow_words")) {
		size_t i, k;

		rc = word_list(p, line, pos, kw, &r->allow_words,
		    &r->nallow_words, NULL, NULL, 0, NULL, NULL);
		/* compared ignoring ASCII case: kept in lower case, as the
		 * scanner lowers the value (scan.c: allowed()) */
		for (i = 0; rc == 0 && i < r->nallow_words; i++)
			for (k = 0; r->allow_words[i][k]; k++)
				if ((unsigned char)(r->allow_words[i][k] -
					'A') < 26)
					r->allow_words[i][k] |= 0x20;
		return rc;
	}
	if (tok_is(kw, "literals"))
		return word_list(p, line, pos, kw, &r->literals, &r->nliterals,
		    "window", &r->window, RULES_WINDOW, "exact",
		    &r->literals_exact);
	if (tok_is(kw, "digits")) {
		if (!next_word(line, &pos, &t))
			return perr(
			    p, kw->col + kw->n, "digits needs a number");
		/* N, or N-M: a run of N to M digits */
		if ((rc = tok_range(p, &t, &r->digits, &r->digits_max)) < 0)
			return rc;
		if (r->digits == 0 || r->digits > 64)
			return perr(p, t.col, "digits takes 1 to 64");
		r->window = RULES_DIGITS_WINDOW;
		/* then "window N", "whole" and "shape G...", in any order */
		while (next_word(line, &pos, &t)) {
			if (tok_is(&t, "whole")) {
				r->digits_whole = true;
				continue;
			}
			if (tok_is(&t, "letters")) {
				r->digits_letters = true;
				continue;
			}
			if (tok_is(&t, "shape")) {
				if ((rc = shape_groups(p, r, line, &pos, &t)) <
				    0)
					return rc;
				continue;
			}
			if (!tok_is(&t, "window"))
				return perr(p, t.col,
				    "expected 'window N', 'whole', 'shape "
				    "G...' or 'letters'");
			if (!next_word(line, &pos, &t))
				return perr(
				    p, t.col + t.n, "window needs a number");
			if ((rc = tok_uint(p, &t, &r->window)) < 0)
				return rc;
		}
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "start"))
		return start_classes(p, r, line, pos, kw);
	if (tok_is(kw, "boost"))
		return word_list(p, line, pos, kw, &r->boost, &r->nboost,
		    "within", &r->boost_within, 100, NULL, NULL);
	if (tok_is(kw, "entropy")) {
		if (!next_word(line, &pos, &t))
			return perr(p, kw->col + kw->n, "entropy needs bits");
		if ((rc = tok_decimal(p, &t, &r->min_entropy)) < 0)
			return rc;
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "min_confidence")) {
		if (!next_word(line, &pos, &t))
			return perr(p, kw->col + kw->n,
			    "min_confidence needs low, medium or high");
		if ((rc = tok_confidence(p, &t, &r->min_confidence)) < 0)
			return rc;
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "scope")) {
		r->scope = 0;
		while (next_word(line, &pos, &t))
			if ((rc = scope_word(p, &t, &r->scope)) < 0)
				return rc;
		if (r->scope == 0)
			return perr(p, kw->col + kw->n, "scope needs a word");
		return 0;
	}
	if (tok_is(kw, "validate")) {
		if (!next_word(line, &pos, &t))
			return perr(
			    p, kw->col + kw->n, "validate needs a name");
		s = tok_dup(&t);
		if (s == NULL)
			return EXFIL_ENOMEM;
		r->validator = validator_find(s);
		free(s);
		if (r->validator == NULL)
			return perr(p, t.col, "unknown validator '%.*s'",
			    (int)t.n, t.s);
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "keywords"))
		return word_list(p, line, pos, kw, &r->keywords, &r->nkeywords,
		    "within", &r->within, 100, NULL, NULL);
	if (tok_is(kw, "min_count") || tok_is(kw, "max_count") ||
	    tok_is(kw, "score")) {
		if (!next_word(line, &pos, &t))
			return perr(p, kw->col + kw->n, "expected a number");
		if ((rc = tok_uint(p, &t, &v)) < 0)
			return rc;
		if (tok_is(kw, "score"))
			r->score = (int)v;
		else if (tok_is(kw, "max_count"))
			r->max_count = v;
		else
			r->min_count = v ? v : 1;
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "example") || tok_is(kw, "counter")) {
		if ((rc = quoted(p, line, pos, &s)) < 0)
			return rc;
		if (tok_is(kw, "example"))
			return strv_push(&r->examples, &r->nexamples, s);
		return strv_push(&r->counters, &r->ncounters, s);
	}
	if (tok_is(kw, "mode")) {
		if (!next_word(line, &pos, &t) ||
		    !(tok_is(&t, "monitor") || tok_is(&t, "enforce")))
			return perr(p, kw->col + kw->n,
			    "mode takes monitor or enforce");
		r->monitor = tok_is(&t, "monitor");
		return expect_end(p, line, pos);
	}
	if (tok_is(kw, "enabled")) {
		if (!next_word(line, &pos, &t) ||
		    !(tok_is(&t, "yes") || tok_is(&t, "no")))
			return perr(
			    p, kw->col + kw->n, "enabled takes yes or no");
		r->enabled = tok_is(&t, "yes");
		return expect_end(p, line, pos);
	}
	return perr(
	    p, kw->col, "unknown rule keyword '%.*s'", (int)kw->n, kw->s);
}

static void
stmt_clear(struct policy_stmt *st)
{
	free(st->category);
	free(st->rule);
	free(st->file);
	strv_free(st->sender_domains, st->nsender_domains);
	strv_free(st->rcpt_domains, st->nrcpt_domains);
	memset(st, 0, sizeof(*st));
}

/* D[,D...]: a comma-separated list of domains */
static int
domain_list(const struct tok *t, char ***v, size_t *n)
{
	const char *s = t->s, *e = t->s + t->n, *c;
	int rc;

	while (s < e) {
		c = memchr(s, ',', (size_t)(e - s));
		if (c == NULL)
			c = e;
		if (c > s &&
		    (rc = strv_push(v, n, strndup(s, (size_t)(c - s)))) < 0)
			return rc;
		s = c + 1;
	}
	return 0;
}

/* yes|no, internal|external, or the flag names: a word from a set */
static int
tok_choice(struct parser *p, const struct tok *t, const char *yes,
    const char *no, int *out)
{
	if (tok_is(t, yes))
		*out = POLICY_YES;
	else if (tok_is(t, no))
		*out = POLICY_NO;
	else
		return perr(p, t->col, "expected '%s' or '%s', got '%.*s'", yes,
		    no, (int)t->n, t->s);
	return 0;
}

/* one condition COND VALUE of a when or allow statement */
static int
policy_cond(struct parser *p, const struct tok *c, const struct tok *t,
    struct policy_stmt *st)
{
	unsigned v;
	int rc;

	if (tok_is(c, "category")) {
		free(st->category);
		return (st->category = tok_dup(t)) ? 0 : EXFIL_ENOMEM;
	}
	if (tok_is(c, "rule")) {
		free(st->rule);
		st->rule_col = (unsigned)t->col;
		return (st->rule = tok_dup(t)) ? 0 : EXFIL_ENOMEM;
	}
	if (tok_is(c, "count") || tok_is(c, "score") ||
	    tok_is(c, "external_rcpts") || tok_is(c, "size")) {
		if ((rc = tok_uint(p, t, &v)) < 0)
			return rc;
		if (tok_is(c, "count"))
			st->count = v;
		else if (tok_is(c, "score"))
			st->score = (int)v;
		else if (tok_is(c, "external_rcpts"))
			st->external_rcpts = v;
		else
			st->size = v;
		return 0;
	}
	if (tok_is(c, "confidence"))
		return tok_confidence(p, t, &st->confidence);
	if (tok_is(c, "client"))
		return tok_choice(p, t, "internal", "external", &st->client);
	if (tok_is(c, "authenticated"))
		return tok_choice(p, t, "yes", "no", &st->auth);
	if (tok_is(c, "sender_domain") || tok_is(c, "rcpt_domain")) {
		bool snd = tok_is(c, "sender_domain");
		size_t *n = snd ? &st->nsender_domains : &st->nrcpt_domains;
		if ((rc = domain_list(t,
			 snd ? &st->sender_domains : &st->rcpt_domains, n)) < 0)
			return rc;
		if (*n == 0)
			return perr(p, t->col, "'%.*s' needs a domain",
			    (int)c->n, c->s);
		return 0;
	}
	if (tok_is(c, "flag")) {
		if (tok_is(t, "limit"))
			st->flags |= POLICY_FLAG_LIMIT;
		else if (tok_is(t, "malformed"))
			st->flags |= POLICY_FLAG_MALFORMED;
		else if (tok_is(t, "timeout"))
			st->flags |= POLICY_FLAG_TIMEOUT;
		else
			return perr(p, t->col,
			    "unknown flag '%.*s' (limit, malformed, timeout)",
			    (int)t->n, t->s);
		return 0;
	}
	return perr(p, c->col,
	    "unknown condition '%.*s' (category, rule, count, score, "
	    "confidence, flag, client, authenticated, external_rcpts, size, "
	    "sender_domain, rcpt_domain)",
	    (int)c->n, c->s);
}

/* when COND... then ACTION | allow COND... */
static int
policy_line(
    struct parser *p, const char *line, size_t pos, const struct tok *kw)
{
	struct policy_stmt st, *nv;
	struct tok t, c;
	int rc;
	char *word;

	memset(&st, 0, sizeof(st));
	st.score = -1;
	if (!tok_is(kw, "when") && !tok_is(kw, "allow"))
		return perr(p, kw->col,
		    "expected 'when COND... then ACTION' or 'allow COND...', "
		    "got '%.*s'",
		    (int)kw->n, kw->s);
	st.allow = tok_is(kw, "allow");
	for (;;) {
		if (!next_word(line, &pos, &c)) {
			if (st.allow)
				break;
			rc = perr(p, pos + 1, "missing 'then ACTION'");
			goto fail;
		}
		if (!st.allow && tok_is(&c, "then"))
			break;
		if (!next_word(line, &pos, &t)) {
			rc = perr(p, c.col + c.n, "'%.*s' needs a value",
			    (int)c.n, c.s);
			goto fail;
		}
		if ((rc = policy_cond(p, &c, &t, &st)) < 0)
			goto fail;
	}
	if (!st.allow) {
		if (!next_word(line, &pos, &t)) {
			rc = perr(p, c.col + c.n, "then needs an action");
			goto fail;
		}
		if ((word = tok_dup(&t)) == NULL)
			goto nomem;
		rc = action_parse(word, &st.action);
		free(word);
		if (rc < 0 || st.action == ACTION_ACCEPT) {
			rc = perr(p, t.col,
			    "unknown action '%.*s' (tag, quarantine, reject, "
			    "tempfail)",
			    (int)t.n, t.s);
			goto fail;
		}
		if ((rc = expect_end(p, line, pos)) < 0)
			goto fail;
	}
	if (st.category == NULL && st.rule == NULL && st.count == 0 &&
	    st.score < 0 && st.flags == 0 && st.confidence == CONF_LOW &&
	    st.client == POLICY_ANY && st.auth == POLICY_ANY &&
	    st.external_rcpts == 0 && st.size == 0 && st.nsender_domains == 0 &&
	    st.nrcpt_domains == 0) {
		rc = perr(p, kw->col + kw->n,
		    "'%.*s' needs a condition (category, rule, count, score, "
		    "confidence, flag, client, authenticated, external_rcpts, "
		    "size, sender_domain, rcpt_domain)",
		    (int)kw->n, kw->s);
		goto fail;
	}
	if ((st.file = strdup(p->file)) == NULL)
		goto nomem;
	st.line = p->line;
	nv = realloc(p->rs->policy, (p->rs->npolicy + 1) * sizeof(*nv));
	if (nv == NULL)
		goto nomem;
	p->rs->policy = nv;
	p->rs->policy[p->rs->npolicy++] = st;
	return 0;
nomem:
	rc = EXFIL_ENOMEM;
fail:
	stmt_clear(&st);
	return rc;
}

static int
rule_begin(struct parser *p, const char *line, size_t pos, const struct tok *kw)
{
	struct rule *nv;
	struct tok t;
	size_t i;

	if (!next_word(line, &pos, &t))
		return perr(p, kw->col + kw->n, "rule needs an id");
	for (i = 0; i < t.n; i++)
		if (!isalnum((unsigned char)t.s[i]) && t.s[i] != '_' &&
		    t.s[i] != '-' && t.s[i] != '.')
			return perr(p, t.col + i,
			    "rule ids use letters, digits, '_', '-' and '.'");
	for (i = 0; i < p->rs->nrules; i++)
		if (strlen(p->rs->rules[i].id) == t.n &&
		    strncmp(p->rs->rules[i].id, t.s, t.n) == 0)
			return perr(p, t.col,
			    "duplicate rule id '%.*s' (first at %s:%u)",
			    (int)t.n, t.s, p->rs->rules[i].file,
			    p->rs->rules[i].line);
	if (expect_end(p, line, pos) < 0)
		return EXFIL_EINVAL;
	nv = realloc(p->rs->rules, (p->rs->nrules + 1) * sizeof(*nv));
	if (nv == NULL)
		return EXFIL_ENOMEM;
	p->rs->rules = nv;
	p->cur = &p->rs->rules[p->rs->nrules++];
	memset(p->cur, 0, sizeof(*p->cur));
	p->cur->id = tok_dup(&t);
	p->cur->file = strdup(p->file);
	p->cur->line = p->line;
	p->cur->index = (unsigned)(p->rs->nrules - 1);
	p->cur->scope = SCOPE_ALL & ~(SCOPE_NAME | SCOPE_TYPE);
	p->cur->min_count = 1;
	p->cur->score = 1;
	p->cur->enabled = true;
	if (p->cur->id == NULL || p->cur->file == NULL)
		return EXFIL_ENOMEM;
	return 0;
}

/*
 * "pattern /RE/ literals WORD...": which of the rule's literals anchor
 * the pattern, as a mask over their places in the "literals" line (the
 * place 63 standing for itself and all after it).
 */
static int
pattern_litmasks(struct parser *p, struct rule *r, const struct tok *kw)
{
	const char *w, *e;
	size_t i, j, k;

	for (i = 0; i < r->npatterns; i++) {
		if (r->pattern_literals == NULL ||
		    r->pattern_literals[i] == NULL)
			continue;
		if (r->litmask == NULL &&
		    (r->litmask = calloc(r->npatterns, sizeof(*r->litmask))) ==
			NULL)
			return EXFIL_ENOMEM;
		for (j = 0; j < r->npatterns; j++)
			if (r->pattern_literals[j] == NULL)
				r->litmask[j] = UINT64_MAX;
		for (w = r->pattern_literals[i]; *w; w = e) {
			e = w + strcspn(w, " \t");
			for (k = 0; k < r->nliterals; k++)
				if (strlen(r->literals[k]) == (size_t)(e - w) &&
				    strncmp(r->literals[k], w,
					(size_t)(e - w)) == 0)
					break;
			if (k == r->nliterals)
				return perr(p, kw->col,
				    "rule '%s' (line %u): pattern %zu names "
				    "'%.*s', not one of the rule's literals",
				    r->id, r->line, i + 1, (int)(e - w), w);
			r->litmask[i] |= (uint64_t)1 << (k < 63 ? k : 63);
			e += strspn(e, " \t");
		}
	}
	return 0;
}

static int
rule_end(struct parser *p, const struct tok *kw)
{
	struct rule *r = p->cur;
	char w[512];
	int rc;

	if (r->category == NULL)
		return perr(p, kw->col, "rule '%s' (line %u) has no category",
		    r->id, r->line);
	if (r->npatterns == 0)
		return perr(p, kw->col, "rule '%s' (line %u) has no pattern",
		    r->id, r->line);
	if (r->max_count && r->max_count < r->min_count)
		return perr(p, kw->col,
		    "rule '%s' (line %u): max_count is below min_count", r->id,
		    r->line);
	if ((rc = pattern_litmasks(p, r, kw)) < 0)
		return rc;
	if (r->digits_whole &&
	    (r->validator == NULL || r->validator->max_digits == 0))
		return perr(p, kw->col,
		    "rule '%s' (line %u): 'digits ... whole' needs a numeric "
		    "validator (luhn, payment_card, us_ssn, aba_routing, "
		    "de_steuer_id)",
		    r->id, r->line);
	if (r->nexamples == 0) {
		snprintf(w, sizeof(w), "%s:%u: rule '%s' has no example",
		    r->file, r->line, r->id);
		if (strv_push(&p->rs->warnings, &p->rs->nwarnings, strdup(w)) <
		    0)
			return EXFIL_ENOMEM;
	}
	p->cur = NULL;
	return 0;
}

/* include FILE: relative to the including file's folder */
static int
include(struct parser *p, const char *line, size_t pos, const struct tok *kw)
{
	const char *saved_file = p->file, *slash;
	unsigned saved_line = p->line;
	char path[4096], *text;
	struct tok t;
	size_t len;
	int rc;

	if (!next_word(line, &pos, &t))
		return perr(p, kw->col + kw->n, "include needs a file name");
	if (expect_end(p, line, pos) < 0)
		return EXFIL_EINVAL;
	if (p->depth >= RULES_MAX_INCLUDE)
		return perr(p, t.col, "includes nested deeper than %d",
		    RULES_MAX_INCLUDE);
	slash = strrchr(p->file, '/');
	if (t.s[0] == '/' || slash == NULL)
		snprintf(path, sizeof(path), "%.*s", (int)t.n, t.s);
	else
		snprintf(path, sizeof(path), "%.*s/%.*s",
		    (int)(slash - p->file), p->file, (int)t.n, t.s);
	if ((rc = read_file(path, &text, &len)) < 0)
		return perr(p, t.col, "%s: %s", path,
		    rc == EXFIL_ENOMEM ? "out of memory" : strerror(errno));
	p->depth++;
	p->file = path;
	rc = parse_text(p, text, len);
	free(text);
	p->depth--;
	p->file = saved_file;
	p->line = saved_line;
	p->cur = NULL;
	p->in_policy = false;
	return rc;
}

static int
parse_line(struct parser *p, char *line)
{
	size_t pos = 0, len = strlen(line);
	struct tok kw;

	while (len &&
	    (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (!next_word(line, &pos, &kw))
		return 0; /* blank or comment */
	if (tok_is(&kw, "end")) {
		if (expect_end(p, line, pos) < 0)
			return EXFIL_EINVAL;
		if (p->cur)
			return rule_end(p, &kw);
		if (p->in_policy) {
			p->in_policy = false;
			return 0;
		}
		return perr(p, kw.col, "'end' outside a block");
	}
	if (p->cur)
		return rule_line(p, line, pos, &kw);
	if (p->in_policy)
		return policy_line(p, line, pos, &kw);
	if (tok_is(&kw, "rule"))
		return rule_begin(p, line, pos, &kw);
	if (tok_is(&kw, "policy")) {
		p->in_policy = true;
		p->saw_policy = true;
		return expect_end(p, line, pos);
	}
	if (tok_is(&kw, "include"))
		return include(p, line, pos, &kw);
	return perr(p, kw.col,
	    "expected 'rule ID', 'policy' or 'include', got '%.*s'", (int)kw.n,
	    kw.s);
}

/* parse one file's text into p->rs */
static int
parse_text(struct parser *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl;
	char *line;
	int rc = 0;

	p->line = 0;
	p->cur = NULL;
	p->in_policy = false;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		p->line++;
		if (memchr(s, '\0', (size_t)(nl - s)) != NULL)
			return perr(p, 1, "NUL byte in rule file");
		if ((line = strndup(s, (size_t)(nl - s))) == NULL)
			return EXFIL_ENOMEM;
		rc = parse_line(p, line);
		free(line);
		if (rc < 0)
			return rc;
		s = nl < end ? nl + 1 : end;
	}
	if (p->cur)
		return perr(p, 1, "rule '%s' (line %u) has no 'end'",
		    p->cur->id, p->cur->line);
	if (p->in_policy)
		return perr(p, 1, "policy block has no 'end'");
	return 0;
}

static struct ruleset *
ruleset_new(void)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));

	if (rs)
		rs->refs = 1;
	return rs;
}

/* the categories of DESIGN.md: what rules and extractors report */
static const char *const known_categories[] = {"payment_card", "iban", "us_ssn",
    "secret_token", "private_key", "classification_marking",
    "encrypted_attachment", "bulk_pii", "document_fingerprint",
    "volume_anomaly", "file_type", "national_id", "bank_account", NULL};

/*
 * Policy statements must name rules that exist. A category that no rule
 * has and that is not one of the known categories is most likely a typo:
 * a warning.
 */
static int
check_policy(struct parser *p)
{
	const struct policy_stmt *st;
	const char *const *k;
	char w[512];
	size_t i, j;
	bool seen;

	for (i = 0; i < p->rs->npolicy; i++) {
		st = &p->rs->policy[i];
		if (st->rule && ruleset_find(p->rs, st->rule) == NULL) {
			if (p->err && p->errlen)
				snprintf(p->err, p->errlen,
				    "%s:%u:%u: policy names unknown rule '%s'",
				    st->file, st->line, st->rule_col, st->rule);
			return EXFIL_EINVAL;
		}
		if (st->category == NULL)
			continue;
		for (seen = false, k = known_categories; *k && !seen; k++)
			seen = strcmp(*k, st->category) == 0;
		for (j = 0; j < p->rs->nrules && !seen; j++)
			seen =
			    strcmp(p->rs->rules[j].category, st->category) == 0;
		if (seen)
			continue;
		snprintf(w, sizeof(w),
		    "%s:%u: policy names category '%s' that no rule has",
		    st->file, st->line, st->category);
		if (strv_push(&p->rs->warnings, &p->rs->nwarnings, strdup(w)) <
		    0)
			return EXFIL_ENOMEM;
	}
	return 0;
}

/* do rules of digits a and b ask the same of a run (rules.h:
 * digit_same)? The same validator too: "whole" tries it on the runs, and
 * any other use of it in choosing runs is then the same */
static bool
same_runs(const struct rule *a, const struct rule *b)
{
	return a->digits == b->digits && a->digits_max == b->digits_max &&
	    a->digits_letters == b->digits_letters &&
	    a->digits_whole == b->digits_whole &&
	    a->validator == b->validator && a->nshape == 0 && b->nshape == 0;
}

/* the rules of digits that ask the same of a run next to each other,
 * in file order otherwise, and digit_same */
static void
group_digit_rules(struct ruleset *rs)
{
	size_t k, j, m, t;

	for (k = 0; k < rs->ndigit; k++) {
		rs->digit_same[k] = k > 0 &&
		    same_runs(&rs->rules[rs->digit_rules[k - 1]],
			&rs->rules[rs->digit_rules[k]]);
		/* bring the next rule like this one up behind it */
		for (j = k + 1; j < rs->ndigit; j++)
			if (same_runs(&rs->rules[rs->digit_rules[k]],
				&rs->rules[rs->digit_rules[j]])) {
				t = rs->digit_rules[j];
				for (m = j; m > k + 1; m--)
					rs->digit_rules[m] =
					    rs->digit_rules[m - 1];
				rs->digit_rules[k + 1] = t;
				break;
			}
	}
}

/*
 * One filter over the literals of every enabled rule, each reporting its
 * rule's index, and one for each scope over the literals of the rules in
 * that scope; and the fewest digits any digits rule asks for.
 */
static int
build_prefilter(struct ruleset *rs)
{
	char **lits = NULL;
	size_t *ids = NULL, n = 0, i, j;
	unsigned bit;
	int rc = 0;

	if (rs->nrules &&
	    ((rs->plain_rules = calloc(rs->nrules, sizeof(size_t))) == NULL ||
		(rs->digit_rules = calloc(rs->nrules, sizeof(size_t))) ==
		    NULL ||
		(rs->digit_same = calloc(rs->nrules, sizeof(bool))) == NULL))
		return EXFIL_ENOMEM;
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		if (!r->enabled)
			continue;
		n += r->nliterals;
		if (r->nliterals == 0 && r->digits && r->digits_letters &&
		    (rs->lead_digits == 0 || r->digits < rs->lead_digits))
			rs->lead_digits = r->digits;
		else if (r->nliterals == 0 && r->digits &&
		    (rs->min_digits == 0 || r->digits < rs->min_digits))
			rs->min_digits = r->digits;
		if (r->nliterals == 0 && r->digits == 0)
			rs->plain_rules[rs->nplain++] = i;
		else if (r->nliterals == 0)
			rs->digit_rules[rs->ndigit++] = i;
	}
	group_digit_rules(rs);
	if (n == 0)
		return 0;
	lits = calloc(n, sizeof(*lits));
	ids = calloc(n, sizeof(*ids));
	if (lits == NULL || ids == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	/* bit RULES_NSCOPES: every scope */
	for (bit = 0; bit <= RULES_NSCOPES; bit++) {
		for (n = 0, i = 0; i < rs->nrules; i++) {
			const struct rule *r = &rs->rules[i];
			if (!r->enabled ||
			    (bit < RULES_NSCOPES && !(r->scope & (1u << bit))))
				continue;
			for (j = 0; j < r->nliterals; j++, n++) {
				lits[n] = r->literals[j];
				ids[n] = RULES_LITERAL_ID(i, j);
			}
		}
		if (n == 0)
			continue; /* NULL: no literal in this scope */
		if ((rs->prefilters[bit] = prefilter_new(lits, ids, n)) ==
		    NULL) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
	}
	rs->prefilter = rs->prefilters[RULES_NSCOPES];
out:
	free(lits);
	free(ids);
	return rc;
}

/* does PCRE2 know the one code unit every match starts with? */
static bool
first_unit(const pcre2_code *re)
{
	uint32_t type = 0;

	return pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 &&
	    type == 1;
}

/*
 * May a part of the pattern written as src ignore case? It does when
 * compiled so, or when an option setting "(?...)" names i anywhere (also
 * "(?-i)": a guess on the safe side).
 */
static bool
may_ignore_case(const pcre2_code *re, const char *src)
{
	uint32_t opts = 0;
	const char *q, *o;

	if (pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts) != 0 ||
	    (opts & PCRE2_CASELESS))
		return true;
	for (q = src; (q = strstr(q, "(?")) != NULL; q += 2)
		for (o = q + 2;
		     isalpha((unsigned char)*o) || *o == '^' || *o == '-'; o++)
			if (*o == 'i')
				return true;
	return false;
}

/*
 * The byte every match of pattern i starts with, when PCRE2 knows it and
 * it is an ASCII byte whose case cannot differ (no letter, or a letter
 * of a pattern that never ignores case: "SK" of a Twilio key is not
 * "sk" of "ask"): the scanner looks for it with memchr before it calls
 * PCRE2 in a window.
 */
static int
build_first_byte(struct rule *r, size_t i)
{
	uint32_t unit = 0;
	size_t k;

	if (!first_unit(r->patterns[i]) ||
	    pcre2_pattern_info(
		r->patterns[i], PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0 ||
	    unit >= 0x80 ||
	    (isalpha((int)unit) &&
		may_ignore_case(r->patterns[i], r->sources[i])))
		return 0;
	if (r->first_bytes == NULL) {
		if ((r->first_bytes = calloc(r->npatterns, sizeof(int))) ==
		    NULL)
			return EXFIL_ENOMEM;
		for (k = 0; k < r->npatterns; k++)
			r->first_bytes[k] = -1;
	}
	r->first_bytes[i] = (int)unit;
	return 0;
}

/* may a match start with byte c, by PCRE2's set of first bytes (bits),
 * else its first code unit (either case when ASCII)? */
static bool
may_start(const uint8_t *bits, uint32_t unit, unsigned c)
{
	if (bits)
		return bits[c / 8] >> (c % 8) & 1;
	return c == unit ||
	    (unit < 0x80 &&
		(c == (unsigned)tolower((int)unit) ||
		    c == (unsigned)toupper((int)unit)));
}

/*
 * A pattern tried at its literals alone (window 0) finds nothing at a
 * literal whose first byte, in either case, cannot start a match: by the
 * code unit or the set of bytes PCRE2 knows every match starts with, such
 * literals leave the pattern's mask ("SK" of a Twilio key does not anchor
 * its "twilio = ..." pattern). Literal 63, standing for all after it,
 * stays.
 */
static int
prune_litmask(struct rule *r)
{
	const uint8_t *bits;
	uint32_t type, unit;
	unsigned char c;
	size_t i, k;
	unsigned w;

	for (i = 0; r->enabled && i < r->npatterns; i++) {
		w = rule_window(r, i);
		bits = NULL;
		type = unit = 0;
		if (w != 0 || r->nliterals < 2 ||
		    pcre2_pattern_info(
			r->patterns[i], PCRE2_INFO_FIRSTCODETYPE, &type) != 0 ||
		    (type == 1 &&
			pcre2_pattern_info(r->patterns[i],
			    PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0) ||
		    (type != 1 &&
			(pcre2_pattern_info(r->patterns[i],
			     PCRE2_INFO_FIRSTBITMAP, &bits) != 0 ||
			    bits == NULL)))
			continue;
		if (r->litmask == NULL) {
			if ((r->litmask = calloc(
				 r->npatterns, sizeof(*r->litmask))) == NULL)
				return EXFIL_ENOMEM;
			for (k = 0; k < r->npatterns; k++)
				r->litmask[k] = UINT64_MAX;
		}
		if (type == 1)
			bits = NULL;
		/* the literal as found: its first byte in either case */
		for (k = 0; k < r->nliterals && k < 63; k++) {
			c = (unsigned char)r->literals[k][0];
			if (!may_start(bits, unit, c) &&
			    !may_start(bits, unit, c ^ 0x20u))
				r->litmask[i] &= ~((uint64_t)1 << k);
		}
	}
	return 0;
}

/*
 * Pattern i compiled again with extra options, JIT-compiled when it can
 * be (the interpreter works too), into (*v)[i] (*v made for the rule's
 * patterns); NULL when PCRE2 refuses, and the pattern itself serves.
 */
static int
compile_again(struct rule *r, size_t i, uint32_t extra, pcre2_code ***v)
{
	uint32_t opts = PATTERN_OPTS | extra;
	PCRE2_SIZE eoff;
	int ecode;

	if (*v == NULL && (*v = calloc(r->npatterns, sizeof(**v))) == NULL)
		return EXFIL_ENOMEM;
	/* the source holds the flags inline: "(?i)REGEX" */
	(*v)[i] = pcre2_compile((PCRE2_SPTR)r->sources[i],
	    PCRE2_ZERO_TERMINATED, opts, &ecode, &eoff, NULL);
	if ((*v)[i] != NULL &&
	    pcre2_jit_compile((*v)[i], PCRE2_JIT_COMPLETE) != 0) {
		/* no JIT: the interpreter works too */
	}
	return 0;
}

/*
 * The variants of the patterns that the scanner tries at a few places
 * (scan.c: scan_anchored):
 *
 * - for the patterns of literal rules that start at their literal
 *   (window 0), and of rules with "start", the pattern compiled
 *   anchored: tried at one place, it does not first search for where a
 *   match may start, which can cost more than the match;
 * - for a pattern searched in a window of at most RULES_SHORT_WINDOW
 *   bytes, the pattern as it is.
 *
 * Both without PCRE2's start optimizations: before it tries a place,
 * PCRE2 looks for the code unit every match must hold (the '=' of a key
 * that ends in "==") as far as the text goes, past the window; in a
 * message without one (a hostile one of "KEY" lines), every anchor
 * read the rest of the segment, 25,000 cycles an anchor on 100 KB. Each
 * place of a short window is tried instead. A pattern with a verb such
 * as (*COMMIT), whose outcome the optimizations may change, keeps them.
 */
static int
build_variants(struct rule *r)
{
	uint32_t nso;
	unsigned w;
	size_t i;
	int rc;

	if (!r->enabled || (r->nliterals == 0 && r->digits == 0))
		return 0;
	for (i = 0; i < r->npatterns; i++) {
		w = rule_window(r, i);
		nso = strstr(r->sources[i], "(*") ? 0 : PCRE2_NO_START_OPTIMIZE;
		if (w != 0 && w <= RULES_SHORT_WINDOW && nso &&
		    (rc = compile_again(r, i, nso, &r->in_window)) < 0)
			return rc;
		/* "start": each pattern is tried at its places, but where
		 * PCRE2 knows the byte a match starts with, its own search
		 * for that byte is faster */
		if ((w != 0 &&
			(r->nstart == 0 || first_unit(r->patterns[i]))) ||
		    (r->nliterals == 0 && r->nstart == 0))
			continue;
		if ((rc = compile_again(
			 r, i, PCRE2_ANCHORED | nso, &r->at_start)) < 0)
			return rc;
	}
	return 0;
}

/*
 * The bytes a match of pattern i may start with, when PCRE2 keeps no such
 * set itself: with PCRE2_UCP it keeps none for \d, \w or \s. The same
 * source compiled without UCP gives the set for ASCII (the classes agree
 * there); every byte from 0x80 is added, for what UCP matches beyond
 * ASCII. NULL (no skipping) when PCRE2 cannot tell.
 */
static int
build_start_set(struct rule *r, size_t i)
{
	uint32_t opts = PATTERN_OPTS & ~(uint32_t)PCRE2_UCP, type = 0, unit = 0;
	const uint8_t *bits = NULL;
	unsigned char *set;
	pcre2_code *re;
	PCRE2_SIZE eoff;
	unsigned c;
	int ecode;

	if (pcre2_pattern_info(r->patterns[i], PCRE2_INFO_FIRSTBITMAP, &bits) ==
		0 &&
	    bits != NULL)
		return 0; /* PCRE2 skips by itself */
	if (pcre2_pattern_info(
		r->patterns[i], PCRE2_INFO_FIRSTCODETYPE, &type) == 0 &&
	    type != 0)
		return 0;
	if ((re = pcre2_compile((PCRE2_SPTR)r->sources[i],
		 PCRE2_ZERO_TERMINATED, opts, &ecode, &eoff, NULL)) == NULL)
		return 0;
	bits = NULL;
	pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &bits);
	pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type);
	pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &unit);
	if (bits == NULL && (type != 1 || unit > 0x7f)) {
		pcre2_code_free(re);
		return 0;
	}
	if (r->start_sets == NULL &&
	    (r->start_sets = calloc(r->npatterns, sizeof(*r->start_sets))) ==
		NULL) {
		pcre2_code_free(re);
		return EXFIL_ENOMEM;
	}
	if ((set = calloc(1, 256)) == NULL) {
		pcre2_code_free(re);
		return EXFIL_ENOMEM;
	}
	for (c = 0; c < 256; c++)
		set[c] = c >= 0x80 || may_start(bits, unit, c);
	r->start_sets[i] = set;
	pcre2_code_free(re);
	return 0;
}

static int
finish(struct parser *p)
{
	size_t i, j;
	int rc;

	if (!p->saw_policy) {
		p->file = "(built-in policy)";
		if ((rc = parse_text(p, rules_default_policy,
			 sizeof(rules_default_policy) - 1)) < 0)
			return rc;
	}
	if ((rc = check_policy(p)) < 0)
		return rc;
	for (i = 0; i < p->rs->nrules; i++) {
		struct rule *r = &p->rs->rules[i];
		if ((rc = build_variants(r)) < 0 || (rc = prune_litmask(r)) < 0)
			return rc;
		for (j = 0; r->enabled && (r->nliterals || r->digits) &&
		     j < r->npatterns;
		     j++)
			if ((rc = build_start_set(r, j)) < 0 ||
			    (rc = build_first_byte(r, j)) < 0)
				return rc;
	}
	return build_prefilter(p->rs);
}

/* rules_load_text - a rule set from one text (tests, --test-rules) */
int
rules_load_text(const char *text, size_t len, const char *name,
    struct ruleset **out, char *err, size_t errlen)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	*out = NULL;
	if ((p.rs = ruleset_new()) == NULL)
		return EXFIL_ENOMEM;
	p.err = err;
	p.errlen = errlen;
	p.file = name;
	if ((rc = parse_text(&p, text, len)) < 0 || (rc = finish(&p)) < 0) {
		if (rc == EXFIL_ENOMEM && err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		ruleset_unref(p.rs);
		return rc;
	}
	*out = p.rs;
	return 0;
}

static int
read_file(const char *path, char **text, size_t *len)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if ((fp = fopen(path, "re")) == NULL)
		return EXFIL_EIO;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(fp);
				return EXFIL_ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		errno = EIO;
		return EXFIL_EIO;
	}
	fclose(fp);
	*text = buf;
	*len = n;
	return 0;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rules_load_dir - every *.rules file of dir, in name order */
int
rules_load_dir(const char *dir, struct ruleset **out, char *err, size_t errlen)
{
	struct parser p;
	struct dirent *de;
	char **names = NULL, path[4096], *text;
	size_t nnames = 0, i, len, nl;
	DIR *d;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return EXFIL_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl > 6 && strcmp(de->d_name + nl - 6, ".rules") == 0 &&
		    de->d_name[0] != '.') {
			if ((rc = strv_push(
				 &names, &nnames, strdup(de->d_name))) < 0)
				break;
		}
	}
	closedir(d);
	if (rc < 0)
		goto out;
	if (nnames == 0) {
		snprintf(err, errlen, "%s: no *.rules files", dir);
		rc = EXFIL_EINVAL;
		goto out;
	}
	qsort(names, nnames, sizeof(*names), namecmp);
	if ((p.rs = ruleset_new()) == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	p.err = err;
	p.errlen = errlen;
	for (i = 0; i < nnames; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((rc = read_file(path, &text, &len)) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		p.file = path;
		rc = parse_text(&p, text, len);
		free(text);
		if (rc < 0)
			goto out;
	}
	rc = finish(&p);
out:
	if (rc == EXFIL_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", dir);
	strv_free(names, nnames);
	if (rc < 0)
		ruleset_unref(p.rs);
	else
		*out = p.rs;
	return rc;
}
