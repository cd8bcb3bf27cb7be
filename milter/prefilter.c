/*
 * prefilter.c - many literals in one pass: a hashed filter over the first
 * four bytes of each literal, then a trie from each place it lets through
 * (see include/exfil/prefilter.h)
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <exfil/prefilter.h>

#define PF_HBITS 18 /* filter of 2^18 bytes: 256 KiB */
#define PF_FOLD 0x20202020u /* ASCII letters to lower case, and more */
#define PF_MAX_SHORT 8 /* literals of one or two bytes tested by SIMD */

struct prefilter {
	/* byte h(b0..b3 | 0x20 each) 0x80: a literal may start there */
	unsigned char bloom[1u << PF_HBITS];
	/* literals of one or two bytes, compared with bit 5 set */
	unsigned char shortlit[PF_MAX_SHORT][2];
	unsigned char shortlen[PF_MAX_SHORT];
	unsigned nshort;
	uint64_t shortbyte[4]; /* their first bytes, when more than fit */
	/* the trie, over byte classes that fold ASCII case */
	unsigned char cls[256]; /* byte -> class; 0: in no literal */
	unsigned nclass;
	uint32_t nstates;
	uint32_t *delta; /* nstates x nclass: child, 0 for none */
	uint32_t *out; /* first output of a state, index into outs, +1 */
	struct pf_out {
		size_t id;
		uint32_t next; /* next output of the same state, +1; 0 ends */
	} * outs;
	size_t nouts;
};

static inline uint32_t
pf_hash(uint32_t x)
{
	return ((x | PF_FOLD) * 0x9e3779b1u) >> (32 - PF_HBITS);
}

static void
bloom_set(struct prefilter *pf, const unsigned char *b)
{
	uint32_t x, h;

	memcpy(&x, b, 4);
	h = pf_hash(x);
	pf->bloom[h] = 0x80;
}

/* the filter learns where a literal of len bytes may start */
static void
filter_add(struct prefilter *pf, const char *lit, size_t len)
{
	unsigned char b[4];
	unsigned c, d;

	if (len >= 4) {
		memcpy(b, lit, 4);
		bloom_set(pf, b);
	} else if (len == 3) {
		/* any fourth byte */
		memcpy(b, lit, 3);
		for (c = 0; c < 256; c++) {
			b[3] = (unsigned char)c;
			bloom_set(pf, b);
		}
	} else {
		if (pf->nshort < PF_MAX_SHORT) {
			pf->shortlit[pf->nshort][0] =
			    (unsigned char)(lit[0] | 0x20);
			pf->shortlit[pf->nshort][1] =
			    (unsigned char)(len > 1 ? lit[1] | 0x20 : 0);
			pf->shortlen[pf->nshort] = (unsigned char)len;
		}
		pf->nshort++;
		for (d = 0; d < 2; d++) {
			/* both cases of the first byte */
			c = d ? (unsigned char)toupper((unsigned char)lit[0])
			      : (unsigned char)tolower((unsigned char)lit[0]);
			pf->shortbyte[c >> 6] |= (uint64_t)1 << (c & 63);
		}
	}
}

/* prefilter_new - the filter and trie of n literals */
struct prefilter *
prefilter_new(char *const *lits, const size_t *ids, size_t n)
{
	struct prefilter *pf;
	uint32_t max_states = 1, s, t;
	size_t i, j, len;
	unsigned c;

	if (n == 0 || (pf = calloc(1, sizeof(*pf))) == NULL)
		return NULL;
	/* byte classes: one per distinct folded byte of the literals */
	for (i = 0; i < n; i++) {
		len = strlen(lits[i]);
		max_states += (uint32_t)len;
		for (j = 0; j < len; j++) {
			c = (unsigned char)tolower((unsigned char)lits[i][j]);
			if (pf->cls[c] == 0)
				pf->cls[c] = (unsigned char)++pf->nclass;
		}
	}
	if (pf->nclass > 254)
		goto fail;
	for (c = 'A'; c <= 'Z'; c++)
		pf->cls[c] = pf->cls[tolower(c)];
	pf->nclass++; /* class 0 */
	pf->delta = calloc((size_t)max_states * pf->nclass, sizeof(uint32_t));
	pf->out = calloc(max_states, sizeof(uint32_t));
	pf->outs = calloc(n, sizeof(*pf->outs));
	if (!pf->delta || !pf->out || !pf->outs)
		goto fail;
	/* the trie: class 0 has no edges, so a walk stops there */
	pf->nstates = 1;
	for (i = 0; i < n; i++) {
		len = strlen(lits[i]);
		if (len == 0)
			continue;
		filter_add(pf, lits[i], len);
		for (s = 0, j = 0; j < len; j++) {
			c = pf->cls[(unsigned char)lits[i][j]];
			t = pf->delta[(size_t)s * pf->nclass + c];
			if (t == 0) {
				t = pf->nstates++;
				pf->delta[(size_t)s * pf->nclass + c] = t;
			}
			s = t;
		}
		pf->outs[pf->nouts].id = ids[i];
		pf->outs[pf->nouts].next = pf->out[s];
		pf->out[s] = (uint32_t)++pf->nouts;
	}
	return pf;
fail:
	prefilter_free(pf);
	return NULL;
}

/* report every literal that starts at text[at] */
static void
walk(const struct prefilter *pf, const unsigned char *p, size_t len, size_t at,
    prefilter_hit_fn *fn, void *arg)
{
	uint32_t s = 0, o;
	size_t i;

	for (i = at; i < len; i++) {
		s = pf->delta[(size_t)s * pf->nclass + pf->cls[p[i]]];
		if (s == 0)
			return;
		for (o = pf->out[s]; o; o = pf->outs[o - 1].next)
			fn(pf->outs[o - 1].id, at, arg);
	}
}

/* may a literal start at p[0]? (p[0..3] readable) */
static inline uint64_t
maybe(const struct prefilter *pf, const unsigned char *p)
{
	uint32_t x, h;

	memcpy(&x, p, 4);
	h = pf_hash(x);
	return ((pf->bloom[h] >> 7) |
		   (pf->shortbyte[p[0] >> 6] >> (p[0] & 63))) &
	    1;
}

#ifdef __SSE2__
/* the places in p[0..63] where a literal of one or two bytes may start
 * (p[0..64] readable) */
static inline uint64_t
short_mask(const struct prefilter *pf, const unsigned char *p)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	uint64_t m = 0;
	unsigned k, q;

	for (q = 0; q < 4; q++) {
		__m128i a = _mm_or_si128(
		    _mm_loadu_si128((const __m128i *)(p + 16 * q)), fold);
		__m128i b = _mm_or_si128(
		    _mm_loadu_si128((const __m128i *)(p + 16 * q + 1)), fold);
		unsigned bits = 0;
		for (k = 0; k < pf->nshort; k++) {
			__m128i e = _mm_cmpeq_epi8(
			    a, _mm_set1_epi8((char)pf->shortlit[k][0]));
			if (pf->shortlen[k] > 1)
				e = _mm_and_si128(e,
				    _mm_cmpeq_epi8(b,
					_mm_set1_epi8(
					    (char)pf->shortlit[k][1])));
			bits |= (unsigned)_mm_movemask_epi8(e);
		}
		m |= (uint64_t)bits << (16 * q);
	}
	return m;
}
#endif

/* prefilter_run - report every occurrence of every literal */
void
prefilter_run(const struct prefilter *pf, const char *text, size_t len,
    prefilter_hit_fn *fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t base = 0, i, k;
	uint64_t m;

	/*
	 * Blocks of 64 places: one bit a place that the filter lets
	 * through, then the trie from each. The filter reads four bytes
	 * from each place (and SIMD 65), hence the margin.
	 */
	for (; base + 64 + 16 <= len; base += 64) {
		m = 0;
#ifdef __SSE2__
		if (pf->nshort <= PF_MAX_SHORT) {
			uint32_t x;
			unsigned char flag[64];
			/* one byte a place, then four movemasks */
			for (k = 0; k < 64; k++) {
				memcpy(&x, p + base + k, 4);
				flag[k] = pf->bloom[pf_hash(x)];
			}
			for (k = 0; k < 64; k += 16)
				m |= (uint64_t)(unsigned)_mm_movemask_epi8(
					 _mm_loadu_si128(
					     (const __m128i *)(flag + k)))
				    << k;
			if (pf->nshort)
				m |= short_mask(pf, p + base);
		} else
#endif
			for (k = 0; k < 64; k++)
				m |= maybe(pf, p + base + k) << k;
		while (m) {
			k = (size_t)__builtin_ctzll(m);
			m &= m - 1;
			walk(pf, p, len, base + k, fn, arg);
		}
	}
	/* the last places: where the filter cannot read, the trie decides */
	for (i = base; i < len; i++)
		if (i + 4 > len || maybe(pf, p + i))
			walk(pf, p, len, i, fn, arg);
}

/* prefilter_free - release the filter and trie */
void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->out);
	free(pf->outs);
	free(pf);
}
