/*
 * scan.c - rule set x text segment -> findings (see include/exfil/scan.h)
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * SIMD: SSE2 where the build targets it; for the runs of digits, AVX-512
 * or AVX2 besides on x86-64 when the CPU has it (chosen at run time).
 * SCAN_NO_SSE2, SCAN_NO_AVX2 and SCAN_NO_AVX512 leave them out, so that
 * the tests run the other paths too.
 */
#if defined(__SSE2__) && !defined(SCAN_NO_SSE2)
#define SCAN_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SCAN_NO_AVX2)
#define SCAN_AVX2 1
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SCAN_NO_AVX512)
#define SCAN_AVX512 1
#endif
#if defined(SCAN_AVX2) || defined(SCAN_AVX512)
#include <immintrin.h>
#endif

/* the widest instructions the runs of digits use (chosen at run time) */
enum simd { SIMD_BASE, SIMD_AVX2, SIMD_AVX512 };

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/common.h>
#include <exfil/keyfile.h>
#include <exfil/prefilter.h>
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
	if ((s->match_data = pcre2_match_data_create(16, NULL)) == NULL ||
	    (s->match_ctx = pcre2_match_context_create(NULL)) == NULL)
		return EXFIL_ENOMEM;
	return 0;
}

/* scan_end - release what is not in the arena */
void
scan_end(struct scan *s)
{
	if (s->match_data)
		pcre2_match_data_free(s->match_data);
	if (s->match_ctx)
		pcre2_match_context_free(s->match_ctx);
	s->match_data = NULL;
	s->match_ctx = NULL;
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

/* c as evidence may show it: printable ASCII, else '*' */
static inline char
shown(char c)
{
	return (unsigned char)c >= 0x20 && (unsigned char)c < 0x80 ? c : '*';
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
	/* the middle: its blanks and dashes shown, the rest masked; the
	 * ends shown, but never half a UTF-8 sequence or a control byte
	 * (loops without a branch a byte) */
	for (i = keep; i < len - keep; i++)
		out[i] = value[i] == ' ' || value[i] == '-' ? value[i] : '*';
	for (i = 0; i < keep; i++)
		out[i] = shown(value[i]);
	for (i = len - keep; i < len; i++)
		out[i] = shown(value[i]);
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

/*
 * The first place in [from, last] where word (wl bytes, ASCII case
 * ignored) starts, or SIZE_MAX (text[last + wl - 1] readable): memchr()
 * for each case of its first byte, then the rest compared.
 */
static size_t
find_ci(const char *text, size_t from, size_t last, const char *word, size_t wl)
{
	unsigned char c0 = (unsigned char)word[0], alt = c0;
	const char *q, *o;
	size_t i;

	if ((unsigned char)((c0 | 0x20) - 'a') < 26)
		alt = c0 ^ 0x20;
	for (i = from; i <= last; i = (size_t)(q - text) + 1) {
		q = memchr(text + i, c0, last + 1 - i);
		if (alt != c0 &&
		    (o = memchr(text + i, alt,
			 (q ? (size_t)(q - text) : last + 1) - i)) != NULL)
			q = o;
		if (q == NULL)
			break;
		if (strncasecmp(q + 1, word + 1, wl - 1) == 0)
			return (size_t)(q - text);
	}
	return SIZE_MAX;
}

/* which of words[] is within `within` bytes around [ms, me), as a whole
 * word? NULL: none; of several, the first in the list */
static const char *
word_near(char *const *words, size_t nwords, unsigned within, const char *text,
    size_t len, size_t ms, size_t me)
{
	size_t from = ms > within ? ms - within : 0;
	size_t to = me + within < len ? me + within : len;
	size_t i, k, kl;

	for (k = 0; k < nwords; k++) {
		kl = strlen(words[k]);
		if (kl == 0 || to < from || to - from < kl)
			continue;
		for (i = from;
		     (i = find_ci(text, i, to - kl, words[k], kl)) != SIZE_MAX;
		     i++) {
			/* whole words only: "card" is not in "discarded" */
			if ((i > 0 && word_char((unsigned char)text[i - 1]) &&
				word_char((unsigned char)words[k][0])) ||
			    (i + kl < len &&
				word_char((unsigned char)text[i + kl]) &&
				word_char((unsigned char)words[k][kl - 1])))
				continue;
			return words[k];
		}
	}
	return NULL;
}

/* dst[0..n) = src[0..n) with ASCII capitals lowered, as strncasecmp()
 * compares them */
static void
lower_ascii(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] =
		    (char)((unsigned char)(src[i] - 'A') < 26 ? src[i] | 0x20
							      : src[i]);
}

/* is the value vetoed by an allow regex or an allow word? The words are
 * kept in lower case (rules.c), and found in the value lowered */
static bool
allowed(struct scan *s, const struct rule *r, const char *val, size_t vlen)
{
	char buf[512], *low = buf;
	size_t i;

	for (i = 0; i < r->nallow; i++)
		if (pcre2_match(r->allow[i], (PCRE2_SPTR)val, vlen, 0, 0,
			s->match_data, NULL) >= 0)
			return true;
	if (r->nallow_words == 0)
		return false;
	/* out of memory: not vetoed, the finding is kept */
	if (vlen > sizeof(buf) && (low = arena_alloc(s->arena, vlen)) == NULL)
		return false;
	lower_ascii(low, val, vlen);
	for (i = 0; i < r->nallow_words; i++)
		if (memmem(low, vlen, r->allow_words[i],
			strlen(r->allow_words[i])) != NULL)
			return true;
	return false;
}

/* where a rule's pattern may match: near at, starting no later than limit */
struct anchor {
	size_t at;
	size_t limit;
	unsigned digits; /* of a digit run */
	unsigned lit; /* place of the literal in the rule's list (63: 63+) */
};

/*
 * One match of rule r (ovector ov, n pairs): validate, count, keep. 1: a
 * finding's value (new or seen), 0: turned away (validator, entropy,
 * keywords, confidence, allow lists), <0: an error. A match turned away
 * covers nothing: the search goes on from the place after its start, so
 * a value in a longer false match ("IB096AN de89 3704 ...") is found.
 */
static int
take_match(struct scan *s, const struct rule *r, struct finding *f,
    const char *text, size_t len, const char *where, const PCRE2_SIZE *ov,
    int n)
{
	PCRE2_SIZE vs = ov[0], ve = ov[1], ms, me;
	const char *kw = NULL;
	enum confidence conf;
	char digits[64];
	const char *val;
	size_t vlen;
	int rc;

	if (n > 1 && ov[2] != PCRE2_UNSET)
		vs = ov[2], ve = ov[3];
	ms = ov[0], me = ov[1];
	val = text + vs;
	vlen = ve - vs;
	conf = CONF_LOW;
	if (r->validator) {
		if (!r->validator->check(val, vlen))
			return 0;
		conf = CONF_MEDIUM;
	}
	if (r->min_entropy > 0) {
		if (validator_entropy(val, vlen) < r->min_entropy)
			return 0;
		conf = CONF_MEDIUM;
	}
	if (r->nkeywords) {
		if ((kw = word_near(r->keywords, r->nkeywords, r->within, text,
			 len, ms, me)) == NULL)
			return 0;
		conf++;
	} else if (r->nboost &&
	    (kw = word_near(r->boost, r->nboost, r->boost_within, text, len, ms,
		 me)) != NULL) {
		conf++;
	}
	if (conf < r->min_confidence)
		return 0;
	/* the vetoes use the match data: copy the value */
	if ((r->nallow || r->nallow_words) &&
	    allowed(s, r, (val = arena_memdup(s->arena, val, vlen)) ? val : "",
		vlen))
		return 0;
	if (val == NULL)
		return EXFIL_ENOMEM;
	f->hits++;
	if (conf > f->confidence || (kw && f->keyword == NULL)) {
		if (conf > f->confidence)
			f->confidence = conf;
		if (kw)
			f->keyword = kw;
	}
	/* the same value written another way counts once */
	if (r->validator &&
	    (r->validator->digits_only || r->validator->alnum_upper)) {
		size_t k = validator_normalize(
		    r->validator, val, vlen, digits, sizeof(digits));
		if (k <= sizeof(digits))
			val = digits, vlen = k;
	}
	if ((rc = set_add(s->arena, f, hash64(val, vlen))) < 0)
		return rc;
	if (rc == 0)
		return 1; /* a value seen */
	if (f->count++ == 0) {
		f->rule = r;
		f->where = where;
		f->offset = ms; /* ov may be reused by the vetoes */
	}
	if (f->nevidence < SCAN_MAX_EVIDENCE) {
		char *m = scan_mask(s->arena, val, vlen > 200 ? 200 : vlen);
		if (m == NULL)
			return EXFIL_ENOMEM;
		if (s->evidence_key) {
			unsigned char mac[KEYFILE_LEN];
			char *hex = arena_alloc(s->arena, 2 * KEYFILE_LEN + 1);
			if (hex == NULL ||
			    keyfile_hmac(s->evidence_key, val, vlen, mac) < 0)
				return EXFIL_ENOMEM;
			keyfile_hex(mac, sizeof(mac), hex);
			f->digest[f->nevidence] = hex;
		}
		f->evidence[f->nevidence++] = m;
	}
	return 1;
}

/*
 * One search: straight into the JIT code when the pattern has it (what
 * pcre2_match() would call, without its checks), else the interpreter.
 */
static int
match_from(pcre2_code *re, const char *text, size_t len, size_t start,
    pcre2_match_data *md, pcre2_match_context *mc)
{
	int n = pcre2_jit_match(re, (PCRE2_SPTR)text, len, start, 0, md, mc);

	if (n == PCRE2_ERROR_JIT_BADOPTION)
		n = pcre2_match(re, (PCRE2_SPTR)text, len, start, 0, md, mc);
	return n;
}

/* every match of pattern re over the whole text: the naive path */
static int
scan_full(struct scan *s, const struct rule *r, pcre2_code *re,
    struct finding *f, const char *text, size_t len, const char *where)
{
	pcre2_match_data *md = s->match_data;
	PCRE2_SIZE *ov, start = 0, ms;
	int n, rc;

	while (start <= len) {
		n = match_from(re, text, len, start, md, NULL);
		if (n < 0)
			break; /* no match, or a resource limit */
		ov = pcre2_get_ovector_pointer(md);
		/* the next match starts after this one; after the start of
		 * one turned away (take_match()) */
		start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		ms = ov[0];
		if ((rc = take_match(s, r, f, text, len, where, ov, n)) < 0)
			return rc;
		if (rc == 0)
			start = ms + 1;
	}
	return 0;
}

/* may a match of rule r start at text[i]? ("start": rules.h) */
static inline bool
start_at(const struct rule *r, const unsigned char *p, size_t len, size_t i)
{
	unsigned k;

	if (i + r->nstart > len || (i > 0 && !(r->start_map[p[i - 1]] >> 7)))
		return false;
	for (k = 0; k < r->nstart; k++)
		if (!(r->start_map[p[i + k]] >> k & 1))
			return false;
	return true;
}

/*
 * Bit j set: a match of rule r may start at p[base + j], for j < n (n at
 * most 64). One lookup a byte gives its classes (bits 0..6, and bit 7 for
 * the byte before a match); the bits of each class are then gathered 16
 * places at a time. Without branches: which places pass is unpredictable.
 */
static uint64_t
start_mask(const struct rule *r, const unsigned char *p, size_t len,
    size_t base, unsigned n)
{
	/* v[0]: the byte before base; v[1 + j]: p[base + j], 0 past len */
	unsigned char v[1 + 64 + RULES_MAX_START + 16];
	uint64_t m = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1, bits;
	unsigned j, k, w = n + r->nstart;

	v[0] = base > 0 ? r->start_map[p[base - 1]] : 0x80;
	for (j = 0; j < w; j++)
		v[1 + j] = base + j < len ? r->start_map[p[base + j]] : 0;
	memset(v + 1 + w, 0, sizeof(v) - 1 - w);
	for (k = 0; k <= r->nstart; k++) {
		/* class k - 1 of byte j + k - 1; k = 0: bit 7 of byte j - 1 */
		unsigned bit = k ? k - 1 : 7;
		bits = 0;
#ifdef SCAN_SSE2
		for (j = 0; j < n; j += 16) {
			__m128i x =
			    _mm_loadu_si128((const __m128i *)(v + j + k));
			/* bit `bit` of each byte to its top, then gathered */
			x = _mm_slli_epi16(x, (int)(7 - bit));
			bits |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << j;
		}
#else
		for (j = 0; j < n; j++)
			bits |= (uint64_t)(v[j + k] >> bit & 1) << j;
#endif
		m &= bits;
	}
	return m;
}

/*
 * The matches of a rule with "start" that start in [from, an->limit] at or
 * after *pos: its anchored pattern tried at each place where a match may
 * start, in order, and from the end of each match found; *pos moves past
 * what was searched. The same matches as a search from `from`, as no
 * match starts elsewhere.
 */
static int
scan_starts(struct scan *s, const struct rule *r, pcre2_code *at_start,
    struct finding *f, const char *text, size_t len, const char *where,
    size_t from, const struct anchor *an, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)text;
	pcre2_match_data *md = s->match_data;
	size_t i, base, next, limit = an->limit;
	PCRE2_SIZE *ov, me;
	uint64_t m;
	unsigned n;
	int k, rc;

	/* "through": no match starts before the bytes up to the anchor */
	for (i = an->at; i > from && r->start_thru[p[i - 1]]; i--)
		;
	if (from < i)
		from = i;
	if (from < *pos)
		from = *pos;
	if (limit >= len)
		limit = len - 1; /* a match holds at least one byte */
	for (base = from; len && base <= limit;) {
		n = limit - base + 1 < 64 ? (unsigned)(limit - base + 1) : 64;
		m = start_mask(r, p, len, base, n);
		next = base + n;
		while (m) {
			i = base + (size_t)__builtin_ctzll(m);
			m &= m - 1;
			/* the interpreter honours the limit even anchored */
			pcre2_set_offset_limit(s->match_ctx, i);
			if ((k = match_from(
				 at_start, text, len, i, md, s->match_ctx)) < 0)
				continue;
			ov = pcre2_get_ovector_pointer(md);
			me = ov[1];
			if ((rc = take_match(
				 s, r, f, text, len, where, ov, k)) < 0)
				return rc;
			/* the next match starts after this one, or after the
			 * start of one turned away */
			if (rc > 0 && me > i + 1) {
				if (me >= base + n) {
					next = me;
					break;
				}
				m &= ~(uint64_t)0 << (me - base);
			}
		}
		base = next;
	}
	*pos = base > limit + 1 ? base : limit + 1;
	return 0;
}

/* does word (any case) start at most within bytes after text[at], the
 * start of a literal? */
static bool
word_after(
    const char *word, unsigned within, const char *text, size_t len, size_t at)
{
	size_t wl = strlen(word);

	if (at >= len || wl == 0 || wl > len - at)
		return false;
	/* the word's last start: within bytes after at, and in the text */
	return find_ci(text, at,
		   len - at - wl < within ? len - wl : at + within, word,
		   wl) != SIZE_MAX;
}

/* does one of af's words follow the literal at text[at] closely enough? */
static bool
words_after(
    const struct pattern_after *af, const char *text, size_t len, size_t at)
{
	size_t k;

	for (k = 0; k < af->nwords; k++)
		if (word_after(af->words[k], af->within, text, len, at))
			return true;
	return false;
}

/*
 * The matches of pattern re that start at most window bytes before an
 * anchor and no later than its limit (the anchor's start for a literal,
 * the end of a digit run), in order and without overlap (a match turned
 * away covers nothing: take_match()): the same matches as scan_full()
 * finds, when every match holds an anchor and starts within window of
 * it, at a fraction of the cost. PCRE2 sees the whole text, so
 * look-arounds read the real neighbours.
 */
static int
scan_anchored(struct scan *s, const struct rule *r, pcre2_code *re,
    pcre2_code *at_start, const unsigned char *start_set, int first_byte,
    unsigned window, uint64_t litmask, const struct pattern_after *af,
    struct finding *f, const char *text, size_t len, const char *where,
    const struct anchor *an, size_t nan)
{
	pcre2_match_data *md = s->match_data;
	PCRE2_SIZE *ov, start, pos = 0, ms;
	size_t i;
	int n, rc;

	for (i = 0; i < nan; i++) {
		/* a literal of the rule's that this pattern need not hold */
		if (litmask != UINT64_MAX && !(litmask >> an[i].lit & 1))
			continue;
		/* "after": no match holds this literal as its own */
		if (af && af->nwords && !words_after(af, text, len, an[i].at))
			continue;
		start = an[i].at > window ? an[i].at - window : 0;
		if (start < pos)
			start = pos;
		if (r->nstart && at_start) {
			if ((rc = scan_starts(s, r, at_start, f, text, len,
				 where, start, &an[i], &pos)) < 0)
				return rc;
			continue;
		}
		/* no match starts with a byte outside the start set */
		while (start_set && start <= an[i].limit && start < len &&
		    !start_set[(unsigned char)text[start]])
			start++;
		/* nor anywhere but at the byte it starts with, when known */
		if (first_byte >= 0 && start <= an[i].limit && start < len) {
			const char *q = memchr(text + start, first_byte,
			    (an[i].limit < len ? an[i].limit + 1 : len) -
				start);
			if (q == NULL) {
				if (pos < an[i].limit + 1)
					pos = an[i].limit + 1;
				continue;
			}
			start = (size_t)(q - text);
		}
		while (start <= an[i].limit && start <= len) {
			/* one place to try: the pattern compiled anchored
			 * skips the search for where a match may start */
			pcre2_set_offset_limit(s->match_ctx, an[i].limit);
			if (at_start && start == an[i].limit)
				n = match_from(at_start, text, len, start, md,
				    s->match_ctx);
			else
				n = match_from(
				    re, text, len, start, md, s->match_ctx);
			if (n < 0) {
				/* no match starts in [start, limit]: the next
				 * anchor need not look there again */
				if (pos < an[i].limit + 1)
					pos = an[i].limit + 1;
				break;
			}
			ov = pcre2_get_ovector_pointer(md);
			pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			ms = ov[0];
			if ((rc = take_match(
				 s, r, f, text, len, where, ov, n)) < 0)
				return rc;
			if (rc == 0)
				pos = ms + 1; /* turned away: covers nothing */
			start = pos;
		}
	}
	return 0;
}

/* one rule over one segment, by its anchors or in full */
static int
scan_rule(struct scan *s, const struct rule *r, struct finding *f,
    const char *text, size_t len, const char *where, const struct anchor *an,
    size_t nan, bool anchored)
{
	size_t p;
	int rc;

	for (p = 0; p < r->npatterns; p++) {
		rc = anchored
		    ? scan_anchored(s, r,
			  r->in_window && r->in_window[p] ? r->in_window[p]
							  : r->patterns[p],
			  r->at_start ? r->at_start[p] : NULL,
			  r->start_sets ? r->start_sets[p] : NULL,
			  r->first_bytes ? r->first_bytes[p] : -1,
			  rule_window(r, p),
			  r->litmask ? r->litmask[p] : UINT64_MAX,
			  r->after ? &r->after[p] : NULL, f, text, len, where,
			  an, nan)
		    : scan_full(s, r, r->patterns[p], f, text, len, where);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* what a scan reuses from segment to segment: the anchors of each literal
 * rule, collected by the prefilter, and the runs of digits */
struct scan_work {
	struct scan *s;
	struct anchor **an; /* per literal rule: the places of its literals */
	size_t *n, *cap;
	size_t *touched; /* the rules with anchors in this segment */
	size_t ntouched;
	int failed;
	struct anchor *runs, *sel; /* the runs of digits, those of a rule */
	size_t runs_cap, sel_cap;
	/* the rule whose runs sel holds in this segment ((size_t)-1: none),
	 * how many; same: the next rule asks the same (rules.h) */
	size_t sel_rule, nsel;
	bool same;
	unsigned char *keys; /* a byte a run: run_push() */
	const char *text; /* the segment the prefilter reads */
	/* the rules with min_count above one seen so far (a few), and the
	 * bytes of the texts they copied (hold_segment()) */
	struct holding *holds;
	size_t nholds, holds_cap, held_bytes;
	bool no_holds; /* no room for one: none made after (holding_of()) */
};

/* a segment a rule with min_count has not looked at yet: its anchors */
struct held {
	const char *text, *where;
	size_t len;
	struct anchor *an;
	size_t nan;
};

/* what a rule with min_count above one holds back (run_or_hold()) */
struct holding {
	size_t rule;
	size_t most; /* the most values the held segments may give */
	bool open; /* most reached min_count: the rule runs at once */
	struct held *segs;
	size_t nsegs, cap;
};

static void
on_literal(size_t id, size_t start, void *arg)
{
	struct scan_work *h = arg;
	size_t rule = RULES_LITERAL_RULE(id);
	unsigned place = RULES_LITERAL_PLACE(id);
	const struct rule *r = &h->s->rs->rules[rule];
	struct anchor *v;

	if (h->failed)
		return;
	/* "exact": the literal as written, or no anchor (63: one of many,
	 * kept) */
	if (r->literals_exact && place < 63 &&
	    memcmp(h->text + start, r->literals[place],
		strlen(r->literals[place])) != 0)
		return;
	if (h->n[rule] == 0)
		h->touched[h->ntouched++] = rule;
	if ((v = arena_grow(h->s->arena, h->an[rule], h->n[rule], &h->cap[rule],
		 sizeof(*v))) == NULL) {
		h->failed = 1;
		return;
	}
	h->an[rule] = v;
	h->an[rule][h->n[rule]].at = start;
	h->an[rule][h->n[rule]].limit = start;
	h->an[rule][h->n[rule]].lit = place;
	h->n[rule]++;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

#ifdef SCAN_SSE2
/* 0xff in each byte of x from lo to lo + span: x - lo is at most span,
 * compared unsigned */
static inline __m128i
byte_range(__m128i x, char lo, char span)
{
	__m128i y = _mm_sub_epi8(x, _mm_set1_epi8(lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(span)), y);
}
#endif

/* the classes of the bytes of a block of 64, a bit a byte; zeros past the
 * end of the text, which is in no class */
struct classes {
	uint64_t dm; /* ASCII digits */
	uint64_t sm; /* separators in a run: blank, dash, dot, slash */
	uint64_t lm; /* ASCII letters */
	uint64_t bm; /* blanks and dashes */
};

#ifndef SCAN_SSE2
static bool
is_letter(unsigned char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}
#endif

/* the classes of p[0..63] */
static inline void
block_classes(const unsigned char *p, struct classes *c)
{
	unsigned k;

	c->dm = c->sm = c->lm = c->bm = 0;
#ifdef SCAN_SSE2
	for (k = 0; k < 64; k += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + k));
		__m128i blank = _mm_cmpeq_epi8(x, _mm_set1_epi8(' '));
		/* '0'..'9'; ' ' '-' '.' '/'; letters either case; ' ' '-' */
		__m128i d = byte_range(x, '0', 9);
		__m128i e = _mm_or_si128(byte_range(x, '-', 2), blank);
		__m128i l =
		    byte_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25);
		__m128i s =
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')), blank);
		c->dm |= (uint64_t)(unsigned)_mm_movemask_epi8(d) << k;
		c->sm |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << k;
		c->lm |= (uint64_t)(unsigned)_mm_movemask_epi8(l) << k;
		c->bm |= (uint64_t)(unsigned)_mm_movemask_epi8(s) << k;
	}
#else
	for (k = 0; k < 64; k++) {
		c->dm |= (uint64_t)is_digit(p[k]) << k;
		c->sm |= (uint64_t)(p[k] == ' ' || p[k] == '-' || p[k] == '.' ||
			     p[k] == '/')
		    << k;
		c->lm |= (uint64_t)is_letter(p[k]) << k;
		c->bm |= (uint64_t)(p[k] == ' ' || p[k] == '-') << k;
	}
#endif
}

#ifdef SCAN_AVX512
/* the classes of 32 bytes, in the low half of each mask */
__attribute__((target("avx512bw,avx512vl"))) static inline void
half_classes_avx512(__m256i x, struct classes *c)
{
	__mmask32 blank = _mm256_cmpeq_epi8_mask(x, _mm256_set1_epi8(' '));

	c->dm = _mm256_cmple_epu8_mask(
	    _mm256_sub_epi8(x, _mm256_set1_epi8('0')), _mm256_set1_epi8(9));
	c->sm = blank |
	    _mm256_cmple_epu8_mask(
		_mm256_sub_epi8(x, _mm256_set1_epi8('-')), _mm256_set1_epi8(2));
	c->lm = _mm256_cmple_epu8_mask(
	    _mm256_sub_epi8(_mm256_or_si256(x, _mm256_set1_epi8(0x20)),
		_mm256_set1_epi8('a')),
	    _mm256_set1_epi8(25));
	c->bm = blank | _mm256_cmpeq_epi8_mask(x, _mm256_set1_epi8('-'));
}

/* the classes of block p[b..b+63]: the bytes before len loaded 32 at a
 * time (256-bit registers do not slow the core down as 512-bit ones do) */
__attribute__((target("avx512bw,avx512vl,bmi2"))) static inline void
block_classes_avx512(
    const unsigned char *p, size_t len, size_t b, struct classes *c)
{
	uint64_t in = b >= len ? 0
	    : len - b >= 64    ? ~(uint64_t)0
			       : _bzhi_u64(~0ull, (unsigned)(len - b));
	struct classes lo, hi;

	half_classes_avx512(_mm256_maskz_loadu_epi8((__mmask32)in, p + b), &lo);
	half_classes_avx512(
	    _mm256_maskz_loadu_epi8((__mmask32)(in >> 32), p + b + 32), &hi);
	c->dm = lo.dm | hi.dm << 32;
	c->sm = lo.sm | hi.sm << 32;
	c->lm = lo.lm | hi.lm << 32;
	c->bm = lo.bm | hi.bm << 32;
}
#endif

#ifdef SCAN_AVX2
/* 0xff in each byte of x from lo to lo + span (byte_range(), 32 bytes) */
__attribute__((target("avx2"))) static inline __m256i
byte_range_avx2(__m256i x, char lo, char span)
{
	__m256i y = _mm256_sub_epi8(x, _mm256_set1_epi8(lo));

	return _mm256_cmpeq_epi8(_mm256_min_epu8(y, _mm256_set1_epi8(span)), y);
}

/* the classes of p[0..63], 32 bytes at a time */
__attribute__((target("avx2"))) static inline void
block_classes_avx2(const unsigned char *p, struct classes *c)
{
	unsigned k;

	c->dm = c->sm = c->lm = c->bm = 0;
	for (k = 0; k < 64; k += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(p + k));
		__m256i blank = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(' '));
		__m256i d = byte_range_avx2(x, '0', 9);
		__m256i e = _mm256_or_si256(byte_range_avx2(x, '-', 2), blank);
		__m256i l = byte_range_avx2(
		    _mm256_or_si256(x, _mm256_set1_epi8(0x20)), 'a', 25);
		__m256i s = _mm256_or_si256(
		    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('-')), blank);
		c->dm |= (uint64_t)(unsigned)_mm256_movemask_epi8(d) << k;
		c->sm |= (uint64_t)(unsigned)_mm256_movemask_epi8(e) << k;
		c->lm |= (uint64_t)(unsigned)_mm256_movemask_epi8(l) << k;
		c->bm |= (uint64_t)(unsigned)_mm256_movemask_epi8(s) << k;
	}
}
#endif

/* the classes of p[0..63] by the instructions of simd */
static inline __attribute__((always_inline)) void
block_classes_by(const unsigned char *p, struct classes *c, enum simd simd)
{
#ifdef SCAN_AVX2
	if (simd == SIMD_AVX2) {
		block_classes_avx2(p, c);
		return;
	}
#endif
	(void)simd;
	block_classes(p, c);
}

/* the classes of block p[b..b+63]; simd: the instructions to use */
static inline __attribute__((always_inline)) void
block_classes_at(const unsigned char *p, size_t len, size_t b,
    struct classes *c, enum simd simd)
{
	unsigned char tail[64];

#ifdef SCAN_AVX512
	if (simd == SIMD_AVX512) {
		block_classes_avx512(p, len, b, c);
		return;
	}
#endif
	if (b >= len) {
		c->dm = c->sm = c->lm = c->bm = 0;
		return;
	}
	if (len - b >= 64) {
		block_classes_by(p + b, c, simd);
		return;
	}
	/* zeros: in no class */
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + b, len - b);
	block_classes_by(tail, c, simd);
}

/*
 * Bits set in x: the instruction where the build targets it, else a few
 * shifts and a multiply inline (GCC's __builtin_popcountll without
 * -mpopcnt is a call into libgcc, 2.6% of the scan stage). hw: the caller
 * is compiled for a CPU with the instruction.
 */
static inline __attribute__((always_inline)) unsigned
pop64(uint64_t x, bool hw)
{
#ifndef __POPCNT__
	if (!hw) {
		x -= (x >> 1) & 0x5555555555555555ull;
		x = (x & 0x3333333333333333ull) +
		    ((x >> 2) & 0x3333333333333333ull);
		x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
		return (unsigned)((x * 0x0101010101010101ull) >> 56);
	}
#else
	(void)hw;
#endif
	return (unsigned)__builtin_popcountll(x);
}

/* bits a to b - 1 */
static inline uint64_t
bit_range(unsigned a, unsigned b)
{
	return (b == 64 ? ~(uint64_t)0 : ((uint64_t)1 << b) - 1) &
	    ~(((uint64_t)1 << a) - 1);
}

/*
 * The bytes of a block in a run: digits, and each separator between two
 * digits (prev_d: the last byte before is a digit). A separator that
 * ends the block is counted in, as if a digit followed: runs_of() puts
 * it right when the next block begins.
 */
static inline uint64_t
run_mask(uint64_t dm, uint64_t sm, uint64_t prev_d)
{
	return dm | (sm & (dm << 1 | prev_d) & (dm >> 1 | (uint64_t)1 << 63));
}

/*
 * Bit i set: bits i to i + m - 1 of x are all set (0 < m <= 64). By
 * doubling the length covered, a few shifts for any m.
 */
static inline uint64_t
in_a_row(uint64_t x, unsigned m)
{
	unsigned have = 1, d;

	while (2 * have <= m) {
		x &= x >> have;
		have *= 2;
	}
	if ((d = m - have) > 0)
		x &= x >> d;
	return x;
}

/*
 * Keep a run [at, limit) of count digits (lead: it follows a two-letter
 * word) in w->runs, and its key in w->keys: its digits (63 for more), in
 * bit 6 whether it is more than one group of digits (a separator in it)
 * and in the top bit whether it follows a two-letter word. The keys have
 * room for 64 more than the runs. What select_runs() reads first.
 */
static inline int
run_push(struct scan *s, struct scan_work *w, size_t *n, size_t at,
    size_t limit, unsigned count, bool lead)
{
	struct anchor *v = w->runs;
	unsigned char *k;

	if (*n == w->runs_cap) {
		if ((v = arena_grow(s->arena, w->runs, *n, &w->runs_cap,
			 sizeof(*v))) == NULL ||
		    (k = arena_alloc(s->arena, w->runs_cap + 64)) == NULL)
			return EXFIL_ENOMEM;
		if (*n)
			memcpy(k, w->keys, *n);
		w->runs = v;
		w->keys = k;
	}
	v[*n].at = at;
	v[*n].limit = limit;
	v[*n].digits = count;
	v[*n].lit = lead;
	w->keys[*n] = (unsigned char)((count < 63 ? count : 63) |
	    (limit - at > count) << 6 | (unsigned)lead << 7);
	(*n)++;
	return 0;
}

/*
 * The places of a block (classes c) that follow a word of two ASCII
 * letters (no ASCII letter or digit before them), directly or after one
 * blank or dash: where a run of digits may be an IBAN's check digits. A
 * bit a place; pc: the classes of the block before (zeros at the start).
 */
static inline uint64_t
lead_mask(const struct classes *pc, const struct classes *c)
{
	uint64_t an = c->lm | c->dm, pa = pc->lm | pc->dm;
	/* bit i of x_j: byte i - j is in x */
	uint64_t l1 = c->lm << 1 | pc->lm >> 63, l2 = c->lm << 2 | pc->lm >> 62,
		 l3 = c->lm << 3 | pc->lm >> 61, b1 = c->bm << 1 | pc->bm >> 63,
		 n3 = an << 3 | pa >> 61, n4 = an << 4 | pa >> 60;

	return (l1 & l2 & ~n3) | (b1 & l2 & l3 & ~n4);
}

/*
 * Runs of digits, single separators (blank, dash, dot, slash) allowed
 * between them, with at least min digits, and (lead_min > 0) those of at
 * least lead_min digits that follow a two-letter word (anchor.lit 1):
 * [at, limit) and the count. Sixty-four bytes at a time: a byte is in a
 * run when it is a digit, or a separator between two digits. A run of
 * min digits is at least min bytes long, so only the runs that start
 * where min bytes in a row are in a run, after a two-letter word, or
 * that go on into the next block are looked at; their digits are
 * counted up to their end. The next block's classes are found while
 * this one's runs are (nothing here waits for them). simd: the
 * instructions to use (beyond SIMD_BASE, with POPCNT), which the CPU has
 * and the caller is compiled for.
 */
static inline __attribute__((always_inline)) int
runs_of(struct scan *s, const char *text, size_t len, unsigned min,
    unsigned lead_min, struct scan_work *w, size_t *nout, enum simd simd)
{
	const unsigned char *p = (const unsigned char *)text;
	struct classes pc = {0, 0, 0, 0}, c, nc;
	uint64_t in, prev_in = 0, prev_d = 0, starts, keep, t, rest, lead = 0;
	size_t b, n = 0, start = 0;
	unsigned k, e, count = 0;
	bool open = false, open_lead = false, ld;
	int rc;

	block_classes_at(p, len, 0, &c, simd);
	for (b = 0; b < len; b += 64) {
		block_classes_at(p, len, b + 64, &nc, simd);
		in = run_mask(c.dm, c.sm, prev_d);
		if (open) {
			/* a run that began before: where does it end? */
			if (~in == 0) {
				count += pop64(c.dm, simd != SIMD_BASE);
				goto next;
			}
			e = (unsigned)__builtin_ctzll(~in);
			count +=
			    pop64(c.dm & bit_range(0, e), simd != SIMD_BASE);
			open = false;
			/* at the block's start, without the separator that
			 * ended the last one */
			if ((count >= min ||
				(open_lead && count >= lead_min)) &&
			    (rc = run_push(s, w, &n, start,
				 b + e - (e == 0 && !prev_d), count,
				 open_lead)) < 0)
				return rc;
		}
		starts = in & ~(in << 1 | prev_in);
		if (starts == 0)
			goto next;
		/* t: places from which min bytes in a row are in a run; and
		 * the run that goes on into the next block */
		t = (min <= 64 ? in_a_row(in, min) : 0) |
		    (in >> 63) << (63 - __builtin_clzll(starts));
		if (lead_min)
			lead = starts & lead_mask(&pc, &c);
		keep = starts & (t | lead);
		while (keep) {
			k = (unsigned)__builtin_ctzll(keep);
			keep &= keep - 1;
			ld = lead >> k & 1;
			rest = ~in & ~bit_range(0, k);
			if (rest == 0) {
				/* on into the next block */
				open = true;
				open_lead = ld;
				start = b + k;
				count = pop64(
				    c.dm & bit_range(k, 64), simd != SIMD_BASE);
				break;
			}
			e = (unsigned)__builtin_ctzll(rest);
			count =
			    pop64(c.dm & bit_range(k, e), simd != SIMD_BASE);
			if ((count >= min || (ld && count >= lead_min)) &&
			    (rc = run_push(s, w, &n, b + k, b + e, count, ld)) <
				0)
				return rc;
		}
	next:
		prev_in = in >> 63;
		prev_d = c.dm >> 63;
		pc = c;
		c = nc;
	}
	/* a run to the end of the text (a separator there is not in it) */
	if (open && (count >= min || (open_lead && count >= lead_min)) &&
	    (rc = run_push(s, w, &n, start, len - !prev_d, count, open_lead)) <
		0)
		return rc;
	*nout = n;
	return 0;
}

#ifdef SCAN_AVX512
/* runs_of() compiled for AVX-512BW, AVX-512VL, BMI2 and POPCNT */
__attribute__((target("avx512bw,avx512vl,bmi2,popcnt"), noinline)) static int
runs_avx512(struct scan *s, const char *text, size_t len, unsigned min,
    unsigned lead_min, struct scan_work *w, size_t *nout)
{
	return runs_of(s, text, len, min, lead_min, w, nout, SIMD_AVX512);
}
#endif

#ifdef SCAN_AVX2
/* runs_of() compiled for AVX2 and POPCNT */
__attribute__((target("avx2,popcnt"), noinline)) static int
runs_avx2(struct scan *s, const char *text, size_t len, unsigned min,
    unsigned lead_min, struct scan_work *w, size_t *nout)
{
	return runs_of(s, text, len, min, lead_min, w, nout, SIMD_AVX2);
}
#endif

/* the runs of digits (runs_of()), by the widest instructions the CPU has */
static int
digit_runs(struct scan *s, const char *text, size_t len, unsigned min,
    unsigned lead_min, struct scan_work *w, size_t *nout)
{
#ifdef SCAN_AVX512
	if (__builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
		return runs_avx512(s, text, len, min, lead_min, w, nout);
#endif
#ifdef SCAN_AVX2
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
		return runs_avx2(s, text, len, min, lead_min, w, nout);
#endif
	return runs_of(s, text, len, min, lead_min, w, nout, SIMD_BASE);
}

/* how many ASCII digits in a row from p[q], before p[end] (end <= len):
 * sixteen bytes at a time where the text has them, without a branch a
 * byte */
static inline size_t
digit_span(const unsigned char *p, size_t len, size_t q, size_t end)
{
	size_t d = q;

#ifdef SCAN_SSE2
	while (d < end && len - d >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + d));
		unsigned m = (unsigned)_mm_movemask_epi8(byte_range(x, '0', 9));
		unsigned n = (unsigned)__builtin_ctz(~m); /* bit 16 is 0 */
		if (n < 16) {
			d += n;
			return (d < end ? d : end) - q;
		}
		d += 16;
	}
#endif
	while (d < end && is_digit(p[d]))
		d++;
	return (d < end ? d : end) - q;
}

/*
 * May a rule with "digits ... whole" find anything in this run? Its
 * matches are whole numbers of the run (from one group's first digit to
 * another's last), so the validator is tried on each such stretch with
 * as many digits as it may accept: when it accepts none, no pattern
 * needs to run. A run of more than WHOLE_MAX_GROUPS groups is left to
 * the patterns.
 */
#define WHOLE_MAX_GROUPS 64

static bool
whole_may_pass(const struct validator *v, const char *text, size_t len,
    const struct anchor *an)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t gs[WHOLE_MAX_GROUPS], ge[WHOLE_MAX_GROUPS], ng = 0, i, a, b;
	unsigned d;

	/* a run of one group (select_runs() checks those with the
	 * validator's digits itself): itself, or nothing */
	if (an->limit - an->at == an->digits)
		return an->digits >= v->min_digits &&
		    an->digits <= v->max_digits &&
		    v->check(text + an->at, an->digits);
#ifdef SCAN_SSE2
	/* a run of up to sixteen bytes (most): its groups by the bits of
	 * its digits, one load */
	if (an->limit - an->at <= 16 && an->at + 16 <= len) {
		unsigned n = (unsigned)(an->limit - an->at), dm, ga, gb, e;
		uint64_t sa, sb;

		dm = (unsigned)_mm_movemask_epi8(byte_range(
			 _mm_loadu_si128((const __m128i *)(p + an->at)), '0',
			 9)) &
		    ((1u << n) - 1);
		/* each group's first digit; bit n of dm is 0 */
		for (sa = dm & ~(dm << 1); sa; sa &= sa - 1) {
			ga = (unsigned)__builtin_ctzll(sa);
			for (d = 0, sb = sa; sb; sb &= sb - 1) {
				gb = (unsigned)__builtin_ctzll(sb);
				e = gb + (unsigned)__builtin_ctz(~dm >> gb);
				if ((d += e - gb) > v->max_digits)
					break;
				if (d >= v->min_digits &&
				    v->check(text + an->at + ga, e - ga))
					return true;
			}
		}
		return false;
	}
#endif
	/* a run is digits, then single separators each before a digit */
	for (i = an->at; i < an->limit; i++) {
		if (ng == WHOLE_MAX_GROUPS)
			return true;
		gs[ng] = i;
		i += digit_span(p, len, i, an->limit);
		ge[ng++] = i;
	}
	for (a = 0; a < ng; a++) {
		for (d = 0, b = a; b < ng; b++) {
			d += (unsigned)(ge[b] - gs[b]);
			if (d > v->max_digits)
				break;
			if (d >= v->min_digits &&
			    v->check(text + gs[a], ge[b] - gs[a]))
				return true;
		}
	}
	return false;
}

/* may a byte be in a match of a rule with "digits ... shape"? */
static bool
shape_byte(unsigned char c)
{
	/* the ASCII ones are all below 64: a bit each */
	const uint64_t ascii = 0x3ffull << '0' | 1ull << '+' | 1ull << '(' |
	    1ull << ')' | 1ull << ' ' | 1ull << '.' | 1ull << '-';

	return c >= 0x80 || (c < 64 && (ascii >> c & 1));
}

/* the widest window of a rule's patterns, and the least digits of its
 * shape */
static void
shape_limits(const struct rule *r, unsigned *window, unsigned *least)
{
	size_t k;

	for (*window = r->window, k = 0; k < r->npatterns; k++)
		if (rule_window(r, k) > *window)
			*window = rule_window(r, k);
	for (*least = 0, k = 0; k < r->nshape; k++)
		*least += r->shape_lo[k];
}

/* is c a blank, dot or dash, what joins the groups of a shape? */
static bool
shape_joint(unsigned char c)
{
	return c == ' ' || c == '.' || c == '-';
}

/* do the shape's groups, whole, start at p[q] and end before p[end]?
 * (p[end] is no digit) */
static bool
shape_at(const struct rule *r, const unsigned char *p, size_t len, size_t q,
    size_t end)
{
	size_t k, d;

	for (k = 0;; k++) {
		d = q + digit_span(p, len, q, end);
		if (d - q < r->shape_lo[k] || d - q > r->shape_hi[k])
			return false;
		if (k + 1 == r->nshape)
			return true;
		if (d + 1 >= end || !shape_joint(p[d]) || !is_digit(p[d + 1]))
			return false;
		q = d + 1;
	}
}

/*
 * The stretch of bytes a match of a shape may hold (shape_byte()) that
 * begins at text[q]: does it hold a non-ASCII byte? The last answer is
 * kept: the bytes from `from` up to `stop` are shape bytes, and stop is
 * the first non-ASCII byte (found) or the stretch's end. Runs come in
 * order, so a later q at or before stop has the same answer, and a q past
 * it is read from there on: each byte is read once a rule and segment,
 * however long the stretch (a text of digits, blanks and accents).
 */
struct stretch {
	size_t from, stop;
	bool found;
};

static bool
stretch_has_high(
    const unsigned char *p, size_t len, size_t q, struct stretch *st)
{
	size_t i;

	if (q >= st->from && q <= st->stop)
		return st->found;
	for (i = q; i < len && shape_byte(p[i]) && p[i] < 0x80; i++)
		;
	st->from = q;
	st->stop = i;
	st->found = i < len && p[i] >= 0x80;
	return st->found;
}

#ifdef SCAN_SSE2
/* bit k: p[k] may start a match of a shape that is not its groups (+ ( or
 * a non-ASCII byte), for k < 16; *digits and *high (each when not NULL):
 * the ASCII digits and the non-ASCII bytes among them */
static inline unsigned
shape_starts16(const unsigned char *p, unsigned *digits, unsigned *high)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);

	if (digits)
		*digits = (unsigned)_mm_movemask_epi8(byte_range(x, '0', 9));
	if (high)
		*high = (unsigned)_mm_movemask_epi8(x);
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(x,
	    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')),
		_mm_cmpeq_epi8(x, _mm_set1_epi8('(')))));
}
#endif

#ifdef SCAN_SSE2
/* do the shape's groups, whole, start at bit q of a run of n <= 16 bytes
 * whose digits are dm and slashes sl, a bit a byte? (shape_at(): a byte
 * between two groups is a separator of the run, a digit after it, and a
 * joint unless a slash) */
static bool
shape_bits(
    const struct rule *r, unsigned dm, unsigned sl, unsigned q, unsigned n)
{
	unsigned k, g;

	for (k = 0;; k++) {
		g = (unsigned)__builtin_ctz(~dm >> q); /* bit n of dm is 0 */
		if (g < r->shape_lo[k] || g > r->shape_hi[k])
			return false;
		if (k + 1 == r->nshape)
			return true;
		q += g;
		if (q + 1 >= n || (sl >> q & 1))
			return false;
		q++;
	}
}
#endif

/* do the shape's groups, whole, start at the run's first digit or at a
 * digit after a slash in it? */
static bool
shape_groups(const struct rule *r, const unsigned char *p, size_t len,
    const struct anchor *an)
{
	const unsigned char *q;
	size_t i;

#ifdef SCAN_SSE2
	/* a run of up to sixteen bytes (most): by the bits of its bytes */
	if (an->limit - an->at <= 16 && an->at + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + an->at));
		unsigned n = (unsigned)(an->limit - an->at),
			 keep = (1u << n) - 1,
			 dm = (unsigned)_mm_movemask_epi8(
				  byte_range(x, '0', 9)) &
		    keep,
			 sl = (unsigned)_mm_movemask_epi8(
				  _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))) &
		    keep;

		if (shape_bits(r, dm, sl, 0, n))
			return true;
		for (; sl; sl &= sl - 1)
			if (shape_bits(
				r, dm, sl, (unsigned)__builtin_ctz(sl) + 1, n))
				return true;
		return false;
	}
#endif
	if (shape_at(r, p, len, an->at, an->limit))
		return true;
	for (i = an->at + 1;
	     i < an->limit && (q = memchr(p + i, '/', an->limit - i)) != NULL;
	     i = (size_t)(q - p) + 1)
		if (shape_at(r, p, len, (size_t)(q - p) + 1, an->limit))
			return true;
	return false;
}

/*
 * May a match of a rule with "digits ... shape" need this run, start in
 * its window [at - window, limit] and hold it? By the rule's promises
 * (rules.h): a match holds a run of the rule's digits and starts at most
 * window bytes before it; it holds only the bytes shape_byte() allows;
 * it starts with an ASCII digit, + ( or a non-ASCII byte, never after an
 * ASCII digit, or one and a blank, dot or dash; one that starts with an
 * ASCII digit either holds a non-ASCII byte or is the shape's groups,
 * each whole, joined by single blanks, dots or dashes, and holds at
 * least the groups' least digits. So a match that holds this run
 *   - and starts in it starts with an ASCII digit: it is the groups,
 *     from the run's first digit or a digit after a slash in it (the
 *     run holds them all: a run takes single blanks, dots and dashes
 *     between digits), tried here; or it holds a non-ASCII byte, past
 *     the run, in the stretch of shape bytes from text[limit];
 *   - or starts before it and reaches it through text[at - 1], a shape
 *     byte: it starts with + ( or a non-ASCII byte in [from, at), or
 *     with an ASCII digit (the groups alone would be part of this run)
 *     and holds a non-ASCII byte: before the run, or past it as above.
 * A match that does not hold this run holds another, from which it is
 * found. When text[at - 1] is no shape byte, a match that starts before
 * the run lies before text[at - 1]: it needs a + ( or non-ASCII byte and
 * the least digits there, counting non-ASCII bytes as digits. A run that
 * no match needs is skipped, and the same matches are found.
 */
static bool
shape_may_match(const struct rule *r, unsigned window, unsigned least,
    const char *text, size_t len, const struct anchor *an, struct stretch *st)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned digits = 0, other = 0;
	size_t i, from;

	/* the run's first digit, and each digit after a slash (a run of
	 * digits alone has none); the groups hold the least digits, and
	 * more than one group a separator: most runs (amounts, ids) have
	 * too few digits, or none */
	bool groups = an->digits >= least &&
	    (r->nshape == 1 || an->limit - an->at > an->digits);

	from = an->at > window ? an->at - window : 0;
#ifdef SCAN_SSE2
	/* most runs: no shape byte right after them, no + ( or non-ASCII
	 * byte in the window before them (sixteen bytes at once): only
	 * their groups may match */
	if (an->at >= 16 && an->at - from <= 16 &&
	    (an->limit == len || !shape_byte(p[an->limit])) &&
	    shape_starts16(p + an->at - 16, NULL, NULL) >>
		    (16 - (an->at - from)) ==
		0)
		return groups && shape_groups(r, p, len, an);
#endif
	if (groups && shape_groups(r, p, len, an))
		return true;
	/* a non-ASCII byte past the run, in a match that holds it */
	if (an->limit < len && shape_byte(p[an->limit]) &&
	    stretch_has_high(p, len, an->limit, st))
		return true;
	if (from >= an->at)
		return false;
	/* through text[at - 1]: a + ( or non-ASCII byte before the run */
	if (shape_byte(p[an->at - 1])) {
#ifdef SCAN_SSE2
		/* the sixteen bytes up to text[at - 1], those from `from` */
		if (an->at - from <= 16 && an->at >= 16)
			return (shape_starts16(p + an->at - 16, NULL, NULL) >>
				   (16 - (an->at - from))) != 0;
#endif
		for (i = from; i < an->at; i++)
			if (p[i] >= 0x80 || p[i] == '+' || p[i] == '(')
				return true;
		return false;
	}
	/* before text[at - 1], which no match holds: no branches */
	if (from + 1 >= an->at)
		return false;
#ifdef SCAN_SSE2
	if (an->at - 1 - from <= 16 && from + 16 <= len) {
		unsigned keep = (1u << (an->at - 1 - from)) - 1, hi, d;
		unsigned o = shape_starts16(p + from, &d, &hi) & keep;

		return o && pop64((d | hi) & keep, false) >= least;
	}
#endif
	for (i = from; i + 1 < an->at; i++) {
		digits += is_digit(p[i]) | (p[i] >= 0x80);
		other |= (p[i] >= 0x80) | (p[i] == '+') | (p[i] == '(');
	}
	return other && digits >= least;
}

/* what a rule asks of a run's key (run_push()) */
struct key_test {
	unsigned lo, hi; /* its digits */
	unsigned one_lo, one_hi; /* its digits when it is one group */
	bool lead; /* it follows a two-letter word */
};

/*
 * Bit j set: key[j] (run_push()) passes test t, for j < 64: without a
 * branch a run.
 */
static inline uint64_t
key_mask(const unsigned char *key, const struct key_test *t)
{
	uint64_t m = 0;
	unsigned j;

#ifdef SCAN_SSE2
	__m128i low = _mm_set1_epi8(0x3f),
		lead = _mm_set1_epi8(t->lead ? 0 : (char)0xff);

	for (j = 0; j < 64; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(key + j));
		__m128i d = _mm_and_si128(x, low);
		/* x + x: bit 6, more than one group, in the top bit */
		__m128i ok = _mm_and_si128(
		    byte_range(d, (char)t->lo, (char)(t->hi - t->lo)),
		    _mm_and_si128(
			_mm_or_si128(byte_range(d, (char)t->one_lo,
					 (char)(t->one_hi - t->one_lo)),
			    _mm_add_epi8(x, x)),
			_mm_or_si128(x, lead)));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(ok) << j;
	}
#else
	for (j = 0; j < 64; j++) {
		unsigned d = key[j] & 0x3fu;
		m |= (uint64_t)(d - t->lo <= t->hi - t->lo &&
			 ((key[j] >> 6 & 1) ||
			     d - t->one_lo <= t->one_hi - t->one_lo) &&
			 (!t->lead || key[j] >> 7))
		    << j;
	}
#endif
	return m;
}

/*
 * The runs of digits (of all rules) that may hold a match of rule r, in
 * order. Their keys (run_push()) pass over most runs, 64 at a time: as
 * most runs are short, which pass a rule's digits is unpredictable, and a
 * branch a run cost more than the checks. With "whole", a run of one
 * group holds no value but itself: the key passes it only with the
 * validator's digits.
 */
static size_t
select_runs(const struct rule *r, const char *text, size_t len,
    const struct anchor *runs, const unsigned char *keys, size_t nruns,
    struct anchor *sel)
{
	unsigned window = 0, least = 0;
	struct stretch st = {1, 0, false}; /* none read yet */
	struct key_test t;
	size_t b, j, nsel = 0;
	uint64_t m;

	if (r->nshape)
		shape_limits(r, &window, &least);
	/* a key counts up to 63 digits: what passes is checked again */
	t.lo = r->digits < 63 ? r->digits : 63;
	t.hi = r->digits_max && r->digits_max < 63 ? r->digits_max : 63;
	t.one_lo = 0;
	t.one_hi = 63;
	if (r->digits_whole) {
		t.one_lo = r->validator->min_digits;
		t.one_hi = r->validator->max_digits < 63
		    ? r->validator->max_digits
		    : 63;
	}
	t.lead = r->digits_letters;
	if (t.lo > t.hi)
		return 0;
	for (b = 0; b < nruns; b += 64)
		for (m = key_mask(keys + b, &t); m; m &= m - 1) {
			j = b + (size_t)__builtin_ctzll(m);
			if (j >= nruns)
				break;
			/* the key's digits, letters and groups are the run's
			 * below 63 digits */
			if ((keys[j] & 0x3f) == 63 &&
			    (runs[j].digits < r->digits ||
				(r->digits_max &&
				    runs[j].digits > r->digits_max)))
				continue;
			if (r->digits_whole &&
			    !(keys[j] & 0x40 || (keys[j] & 0x3f) == 63
				    ? whole_may_pass(
					  r->validator, text, len, &runs[j])
				    : r->validator->check(
					  text + runs[j].at, runs[j].digits)))
				continue;
			if (!r->nshape ||
			    shape_may_match(
				r, window, least, text, len, &runs[j], &st))
				sel[nsel++] = runs[j];
		}
	return nsel;
}

/*
 * Of the runs sel[0..n-1] of a rule with "digits ... letters", those whose
 * two letters and first two bytes the validator's lead() may accept; the
 * new n. Every match from such a run starts with those letters (at most
 * a blank or dash between them and the run: lead_mask()) and holds the
 * run's first two bytes right after them, so the validator turns it
 * away, and a match turned away covers nothing (take_match()): the same
 * findings, without the patterns (most runs after two letters are in hex
 * ids: "de79f156-4bff-...").
 */
static size_t
keep_leads(const struct validator *v, const char *text, size_t len,
    struct anchor *sel, size_t n)
{
	size_t i, k, at, l;
	char s[4];

	for (i = k = 0; i < n; i++) {
		at = sel[i].at;
		if (at < 3 || at + 2 > len) {
			sel[k++] = sel[i]; /* the edge: left to the patterns */
			continue;
		}
		l = ((unsigned char)((text[at - 1] | 0x20) - 'a') < 26)
		    ? at - 2
		    : at - 3;
		s[0] = text[l];
		s[1] = text[l + 1];
		s[2] = text[at];
		s[3] = text[at + 1];
		if (v->lead(s))
			sel[k++] = sel[i];
	}
	return k;
}

/* scan_set_naive - run every pattern over all the text (tests, benches) */
void
scan_set_naive(struct scan *s, bool naive)
{
	s->naive = naive;
}

/* a clock for the optional profile */
static unsigned long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec;
}

/* what the scan reuses from segment to segment, made at its first */
static struct scan_work *
work_of(struct scan *s)
{
	struct scan_work *h = s->work;
	size_t n = s->rs->nrules ? s->rs->nrules : 1;

	if (h == NULL && (h = arena_calloc(s->arena, 1, sizeof(*h))) != NULL) {
		h->s = s;
		/* an[i] and touched are read only below n[i], ntouched */
		h->an = arena_alloc(s->arena, n * sizeof(*h->an));
		h->n = arena_calloc(s->arena, n, sizeof(*h->n));
		h->cap = arena_calloc(s->arena, n, sizeof(*h->cap));
		h->touched = arena_alloc(s->arena, n * sizeof(*h->touched));
		if (!h->an || !h->n || !h->cap || !h->touched)
			return NULL;
		s->work = h;
	}
	return h;
}

/*
 * The most values rule r can find from anchors an[0..nan-1]: its
 * patterns' matches do not overlap, and each holds one of the literals
 * (anchors) or, of a rule of digits, at least r->digits digits of one of
 * the runs (rules(3)).
 */
static size_t
most_values(const struct rule *r, const struct anchor *an, size_t nan)
{
	size_t most = 0, j;

	if (r->nliterals)
		most = nan;
	else
		for (j = 0; j < nan; j++)
			most += an[j].digits / r->digits;
	return most * r->npatterns;
}

/*
 * The holding of rule i, new (nothing held) at first; NULL: no memory for
 * one, and then none is made for any rule after (a rule that has run
 * without a holding counted nothing, so it must never hold back).
 */
static struct holding *
holding_of(struct scan *s, struct scan_work *w, size_t i)
{
	struct holding *h;
	size_t k;

	for (k = 0; k < w->nholds; k++)
		if (w->holds[k].rule == i)
			return &w->holds[k];
	if (w->no_holds ||
	    (h = arena_grow(s->arena, w->holds, w->nholds, &w->holds_cap,
		 sizeof(*h))) == NULL) {
		w->no_holds = true;
		return NULL;
	}
	w->holds = h;
	h += w->nholds++;
	memset(h, 0, sizeof(*h));
	h->rule = i;
	return h;
}

/*
 * Keep a segment back for the rule of h: its anchors, and its text when
 * the caller does not keep it (s->text_transient; at most
 * SCAN_HOLD_COPY bytes of such texts a message). -1: no room (the arena's
 * budget, or that limit), nothing kept.
 */
static int
hold_segment(struct scan *s, struct scan_work *w, struct holding *h,
    const char *text, size_t len, const char *where, const struct anchor *an,
    size_t nan)
{
	struct held *g;
	const char *t = text;
	struct anchor *a;

	if (s->text_transient &&
	    (len > SCAN_HOLD_COPY - w->held_bytes ||
		(t = arena_memdup(s->arena, text, len)) == NULL))
		return -1;
	if ((a = arena_memdup(s->arena, an, nan * sizeof(*an))) == NULL ||
	    (g = arena_grow(
		 s->arena, h->segs, h->nsegs, &h->cap, sizeof(*g))) == NULL)
		return -1;
	if (s->text_transient)
		w->held_bytes += len;
	h->segs = g;
	g += h->nsegs++;
	g->text = t;
	g->len = len;
	g->where = where;
	g->an = a;
	g->nan = nan;
	return 0;
}

/*
 * Rule r over one segment from its anchors; a rule with min_count above
 * one only once the message may reach it. Until the segments seen hold
 * room for min_count values (most_values()), they are held back: the
 * message may end without, and then the rule cannot fire, so its
 * patterns never run. Once they do hold room, or one cannot be held
 * (hold_segment()), the held segments are looked at, in order, then this
 * one: the same findings, in the same order, as running at once.
 */
static int
run_or_hold(struct scan *s, struct scan_work *w, size_t i, const char *text,
    size_t len, const char *where, const struct anchor *an, size_t nan)
{
	const struct rule *r = &s->rs->rules[i];
	/* no room for a holding: nothing is held, the rule runs at once */
	struct holding *h = r->min_count > 1 ? holding_of(s, w, i) : NULL;
	struct held *g;
	size_t k;
	int rc;

	if (h && !h->open) {
		h->most += most_values(r, an, nan);
		if (h->most < r->min_count &&
		    hold_segment(s, w, h, text, len, where, an, nan) == 0)
			return 0;
		h->open = true;
		for (k = 0; k < h->nsegs; k++) {
			g = &h->segs[k];
			if ((rc = scan_rule(s, r, &s->findings[i], g->text,
				 g->len, g->where, g->an, g->nan, true)) < 0)
				return rc;
		}
		h->nsegs = 0;
	}
	return scan_rule(
	    s, r, &s->findings[i], text, len, where, an, nan, true);
}

/* one rule over the segment, from its anchors (an, nan) or in full; a
 * rule of digits from the first nruns runs of w */
static int
run_rule(struct scan *s, size_t i, const char *text, size_t len,
    const char *where, const struct anchor *an, size_t nan, struct scan_work *w,
    size_t nruns)
{
	const struct rule *r = &s->rs->rules[i];
	unsigned long long t0 = s->rule_ns ? now_ns() : 0;
	size_t nsel;
	int rc = 0;

	if (s->naive || (r->nliterals == 0 && r->digits == 0)) {
		rc = scan_rule(
		    s, r, &s->findings[i], text, len, where, NULL, 0, false);
	} else if (r->nliterals) {
		/* the prefilter reports in order of the start */
		rc = run_or_hold(s, w, i, text, len, where, an, nan);
	} else {
		if (w->sel_cap < nruns) {
			if ((w->sel = arena_alloc(s->arena,
				 2 * nruns * sizeof(*w->sel))) == NULL)
				return EXFIL_ENOMEM;
			w->sel_cap = 2 * nruns;
		}
		/* the runs the rule before selected, when it asks the same */
		nsel = w->same ? w->nsel
			       : select_runs(r, text, len, w->runs, w->keys,
				     nruns, w->sel);
		if (!w->same && r->digits_letters && r->validator &&
		    r->validator->lead)
			nsel =
			    keep_leads(r->validator, text, len, w->sel, nsel);
		w->sel_rule = i;
		w->nsel = nsel;
		if (nsel)
			rc = run_or_hold(
			    s, w, i, text, len, where, w->sel, nsel);
	}
	if (s->rule_ns)
		s->rule_ns[i] += now_ns() - t0;
	return rc;
}

/*
 * scan_segment - every rule in scope over one text segment: the rules
 * that run over all the text, those whose literals the prefilter found,
 * and those of digits when the text has runs of digits; naively, every
 * rule in scope. A short segment (a header) costs little more than the
 * few rules it may hold.
 */
int
scan_segment(struct scan *s, const char *text, size_t len, const char *where,
    unsigned scope)
{
	const struct ruleset *rs = s->rs;
	const struct prefilter *pf;
	struct scan_work *w;
	size_t nruns = 0, i, k;
	unsigned long long t0, t1;
	int rc = 0;

	s->bytes += len;
	if (s->naive) {
		for (i = 0; i < rs->nrules && rc >= 0; i++)
			if (rs->rules[i].enabled &&
			    (rs->rules[i].scope & scope))
				rc = run_rule(
				    s, i, text, len, where, NULL, 0, NULL, 0);
		return rc < 0 ? rc : 0;
	}
	if ((w = work_of(s)) == NULL)
		return EXFIL_ENOMEM;
	t0 = s->rule_ns ? now_ns() : 0;
	/* a segment of one scope: only the literals of rules in it */
	pf = rs->prefilter;
	if (scope && (scope & (scope - 1)) == 0 &&
	    scope < (1u << RULES_NSCOPES))
		pf = rs->prefilters[__builtin_ctz(scope)];
	if (pf) {
		w->text = text;
		prefilter_run(pf, text, len, on_literal, w);
		if (w->failed)
			return EXFIL_ENOMEM;
	}
	if (s->rule_ns) {
		t1 = now_ns();
		s->literal_ns += t1 - t0;
		t0 = t1;
	}
	if (rs->ndigit &&
	    (rc = digit_runs(s, text, len, rs->min_digits ? rs->min_digits : 65,
		 rs->lead_digits, w, &nruns)) < 0)
		return rc;
	/* zeros after the last key up to a multiple of 64 (select_runs()) */
	if (nruns)
		memset(w->keys + nruns, 0, (0 - nruns) & 63);
	if (s->rule_ns)
		s->runs_ns += now_ns() - t0;
	for (k = 0; k < rs->nplain && rc >= 0; k++)
		if (rs->rules[rs->plain_rules[k]].scope & scope)
			rc = run_rule(s, rs->plain_rules[k], text, len, where,
			    NULL, 0, w, 0);
	for (k = 0; k < w->ntouched; k++) {
		i = w->touched[k];
		if (rc >= 0 && (rs->rules[i].scope & scope))
			rc = run_rule(
			    s, i, text, len, where, w->an[i], w->n[i], w, 0);
		w->n[i] = 0; /* ready for the next segment */
	}
	w->ntouched = 0;
	w->sel_rule = (size_t)-1;
	for (k = 0; nruns && k < rs->ndigit && rc >= 0; k++)
		if (rs->rules[rs->digit_rules[k]].scope & scope) {
			w->same = rs->digit_same[k] &&
			    w->sel_rule == rs->digit_rules[k - 1];
			rc = run_rule(s, rs->digit_rules[k], text, len, where,
			    NULL, 0, w, nruns);
		}
	return rc < 0 ? rc : 0;
}

/* scan_text_runs - the runs of digits of a text (tests) */
int
scan_text_runs(const char *text, size_t len, unsigned min, unsigned lead_min,
    struct scan_run *runs, size_t max, size_t *n)
{
	struct scan_work w;
	struct scan s;
	size_t j;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&w, 0, sizeof(w));
	if ((s.arena = arena_new()) == NULL)
		return EXFIL_ENOMEM;
	if ((rc = digit_runs(&s, text, len, min, lead_min, &w, n)) == 0)
		for (j = 0; j < *n && j < max; j++) {
			runs[j].at = w.runs[j].at;
			runs[j].limit = w.runs[j].limit;
			runs[j].digits = w.runs[j].digits;
			runs[j].lead = w.runs[j].lit != 0;
		}
	arena_free(s.arena);
	return rc;
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
		rc = scan_rule(&s, r, &s.findings[r->index], text, len,
		    "example", NULL, 0, false);
		*matched = rc == 0 && scan_finding(&s, r->index) != NULL;
	}
	scan_end(&s);
	arena_free(a);
	return rc;
}

/*
 * scan_text_agrees - does the fast path find what the naive one finds for
 * rule r in this text (normalised)? The values counted and the matches,
 * over all of the rule's scopes at once: a window, start class or digit
 * run that a match breaks loses it in the fast path alone.
 */
int
scan_text_agrees(const struct ruleset *rs, const struct rule *r,
    const char *text, size_t len, bool *same)
{
	struct finding fast = {0}, naive = {0};
	struct holding *h;
	struct arena *a;
	struct scan s;
	int k, rc = 0;

	*same = true;
	if ((a = arena_new()) == NULL)
		return EXFIL_ENOMEM;
	if ((text = text_normalize(a, text, len, &len)) == NULL)
		rc = EXFIL_ENOMEM;
	for (k = 0; rc == 0 && k < 2; k++) {
		memset(&s, 0, sizeof(s));
		if ((rc = scan_begin(&s, a, rs)) == 0) {
			scan_set_naive(&s, k == 1);
			/* the rule runs at once, below min_count too (a rule
			 * held back runs no pattern: run_or_hold()) */
			if (k == 0 &&
			    (work_of(&s) == NULL ||
				(h = holding_of(&s, s.work, r->index)) == NULL))
				rc = EXFIL_ENOMEM;
			else if (k == 0)
				h->open = true;
			if (rc == 0)
				rc = scan_segment(
				    &s, text, len, "example", r->scope);
			if (rc == 0)
				*(k ? &naive : &fast) = s.findings[r->index];
		}
		scan_end(&s);
	}
	if (rc == 0)
		*same = fast.count == naive.count && fast.hits == naive.hits;
	arena_free(a);
	return rc;
}

/* scan_text_starts - do the rule's matches keep its "start" promise? */
int
scan_text_starts(
    const struct rule *r, const char *text, size_t len, size_t *bad)
{
	pcre2_match_data *md = NULL;
	struct arena *a;
	PCRE2_SIZE *ov, at;
	size_t p;
	int rc = 0;

	*bad = (size_t)-1;
	if (r->nstart == 0)
		return 0;
	if ((a = arena_new()) == NULL)
		return EXFIL_ENOMEM;
	if ((text = text_normalize(a, text, len, &len)) == NULL ||
	    (md = pcre2_match_data_create(16, NULL)) == NULL)
		rc = EXFIL_ENOMEM;
	for (p = 0; rc == 0 && p < r->npatterns && *bad == (size_t)-1; p++) {
		for (at = 0; at <= len;) {
			if (match_from(
				r->patterns[p], text, len, at, md, NULL) < 0)
				break;
			ov = pcre2_get_ovector_pointer(md);
			if (!start_at(
				r, (const unsigned char *)text, len, ov[0])) {
				*bad = ov[0];
				break;
			}
			at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
	pcre2_match_data_free(md);
	arena_free(a);
	return rc;
}
