/*
 * prefilter.c - many literals in one pass: a table of pairs of bytes says
 * where a literal may start, a hash of its first bytes confirms for the
 * long ones, then a trie from each place left (see
 * include/exfil/prefilter.h)
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * SIMD: SSE2 where the build targets it; AVX2 (and BMI1 and 2) besides on
 * x86-64 when the CPU has it (chosen at run time). PF_NO_SSE2 and
 * PF_NO_AVX2 leave them out, so that the tests run the other paths too.
 * AVX-512BW (on 256-bit registers: ternary logic, a test into a mask
 * register, 7 instructions for 32 places where AVX2 takes 11) ran 10 to
 * 16% slower here, as did its ternary logic alone.
 */
#if defined(__SSE2__) && !defined(PF_NO_SSE2)
#define PF_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(PF_NO_AVX2)
#define PF_AVX2 1
#include <immintrin.h>
#endif

#include <exfil/prefilter.h>

/* the bits of the pair table: what a pair of bytes may be in a literal */
#define PF_P4 0x01u /* bytes 0-1 of a literal of 4 or more, group 0 */
#define PF_M4 0x02u /* bytes 1-2 of it */
#define PF_Q4 0x04u /* bytes 2-3 of it (group 1: these three << 3) */
#define PF_P3 0x40u /* bytes 0-1 of a literal of 3, or of 2 */
#define PF_Q3 0x80u /* bytes 1-2 of it, or byte 1 of one of 2 */
#define PF_OUT 0x80000000u /* in the trie: the child has outputs */
#define PF_MAX_ONE 4 /* literals of one byte compared as such */
#define PF_PAD_MIN 16 /* last places worth a padded block of their own */
#define PF_QBITS 15 /* the hash of a literal's head: 2^15 bits, 4 KiB */
#define PF_HEAD 8 /* a literal's head: its first 4, 6 or 8 bytes */
#define PF_NHEAD 3 /* lengths of a head */
#define PF_FOLD UINT64_C(0x2020202020202020) /* bit 5 of 8 bytes */
/* places whose candidates are listed, then tried (with 1024, 2% slower:
 * more loop exits to mispredict; f[] and at[] take 12 KiB of stack) */
#define PF_CHUNK 4096

#define PF_BYTES(b) (UINT64_C(0x0101010101010101) * (b))

struct prefilter {
	/* the two bytes at a place, as read (both cases) -> PF_* bits */
	unsigned char pair[1u << 16];
	/* the distinct literals of one byte (bit 5 set), compared when no
	 * more than PF_MAX_ONE; more set PF_P3 and PF_Q3 everywhere */
	unsigned char one[PF_MAX_ONE];
	unsigned none;
	/* one[j] in each of 32 bytes, 0 past none (a byte with bit 5 set
	 * is never 0), for cand64_avx2() to compare with as they are */
	unsigned char onev[PF_MAX_ONE][32];
	unsigned char isone[256]; /* 1: a literal of one byte, any case */
	int avx2; /* the CPU has AVX2, BMI1 and 2: cand64_avx2() */
	/* bit h(head, bit 5 set in each byte): a literal of 4 or more
	 * may start with that head, its first 4, 6 or 8 bytes (the most of
	 * these it has) */
	uint64_t head[1u << (PF_QBITS - 6)];
	/* the first 4, 6 and 8 bytes of a 64-bit word read from memory
	 * (whatever the byte order) */
	uint64_t headmask[PF_NHEAD];
	/* the trie, over byte classes that fold ASCII case */
	unsigned char cls[256]; /* byte -> class; 0: in no literal */
	unsigned nclass;
	unsigned width; /* nclass + 1: a row of delta */
	uint32_t nstates;
	/*
	 * nstates rows of width: in the columns of the classes, the child
	 * (the index of its row's first entry, so that a walk multiplies
	 * nothing), 0 for none, PF_OUT: it has outputs; in the last
	 * column, the state's first output (index into outs, +1)
	 */
	uint32_t *delta;
	struct pf_out {
		size_t id;
		uint32_t next; /* next output of the same state, +1; 0 ends */
	} * outs;
	size_t nouts;
};

/* the index in pf->pair of the bytes p[0..1]: them as a 16-bit word of
 * the machine (one load; shifting a byte in, the compiler shared the
 * loads of neighbouring places and kept them on the stack) */
static inline unsigned
pair_index(const unsigned char *p)
{
	uint16_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* the pair bits of the place p[0] (p[0..1] readable) */
static inline unsigned
pair_at(const struct prefilter *pf, const unsigned char *p)
{
	return pf->pair[pair_index(p)];
}

/* the hash of a head, the bytes of x past it 0 */
static inline uint32_t
head_hash(uint64_t x)
{
	x *= UINT64_C(0x9e3779b97f4a7c15);
	return (uint32_t)(x >> (64 - PF_QBITS));
}

/*
 * May a literal of 4 or more start at p[0]? The heads of each length at
 * p[0] hash in (p[0..PF_HEAD-1] readable). The long heads keep a walk
 * from starting where a literal's first four bytes are common (content
 * for contentful): of every 3 walks 2 found nothing with four.
 */
static inline unsigned
head_at(const struct prefilter *pf, const unsigned char *p)
{
	uint64_t x;
	uint32_t h4, h6, h8;

	/* unrolled, the masks kept in registers over a loop of places (the
	 * head of 8 is all of x) */
	memcpy(&x, p, sizeof(x));
	x |= PF_FOLD;
	h4 = head_hash(x & pf->headmask[0]);
	h6 = head_hash(x & pf->headmask[1]);
	h8 = head_hash(x);
	return (unsigned)((pf->head[h4 >> 6] >> (h4 & 63)) |
		   (pf->head[h6 >> 6] >> (h6 & 63)) |
		   (pf->head[h8 >> 6] >> (h8 & 63))) &
	    1;
}

/* the pair a, b, in each case of each byte, gets bits */
static void
pair_set(struct prefilter *pf, unsigned a, unsigned b, unsigned bits)
{
	unsigned char ab[2];
	unsigned i;

	for (i = 0; i < 4; i++) {
		ab[0] = (unsigned char)(a ^ (i & 1) << 5);
		ab[1] = (unsigned char)(b ^ (i & 2) << 4);
		pf->pair[pair_index(ab)] |= (unsigned char)bits;
	}
}

/*
 * Choosing the groups of the literals of 4 or more. A group lets through
 * every 4 bytes abcd with ab the first two bytes of one of its literals,
 * bc bytes 1-2 of one, cd bytes 2-3 of one: the literals' own heads and
 * chimeras of them. The groups are chosen to let through little text:
 * each 4 bytes weighs the product of the weights of its bytes, roughly
 * how often each is in mail (English letters, space), and literals move
 * from one group to the other while that lowers the sum of both groups.
 * Over the shipped rules and mail text, 15% fewer places passed the pair
 * bits and 11% fewer walks than with the groups by the first byte's
 * parity (where it starts). Over byte classes; integers, so that the
 * choice is the same everywhere.
 */
struct groups {
	size_t nc; /* byte classes */
	uint32_t *cnt; /* [g][role][a * nc + b]: literals of pair a, b there */
	int64_t *w; /* [class]: its weight */
	int64_t *sa; /* [g * nc + b]: sum of w[a] of the pairs a, b, role 0 */
	int64_t *sd; /* [g * nc + c]: sum of w[d] of the pairs c, d, role 2 */
};

/* the weight of a (folded) byte: how often in a thousand bytes of text */
static int64_t
groups_weight(unsigned c)
{
	static const unsigned char letter[26] = {82, 15, 28, 43, 127, 22, 20,
	    61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20,
	    1};

	if (c >= 'a' && c <= 'z')
		return letter[c - 'a'];
	return c == ' ' ? 150 : c >= '0' && c <= '9' ? 5 : 3;
}

/* add (or remove) the literal of classes x[0..3] to (from) group g */
static void
groups_put(struct groups *gs, unsigned g, const size_t *x, int add)
{
	size_t nc = gs->nc;
	uint32_t *p =
	    gs->cnt + ((size_t)g * 3 + 0) * nc * nc + x[0] * nc + x[1];
	uint32_t *m =
	    gs->cnt + ((size_t)g * 3 + 1) * nc * nc + x[1] * nc + x[2];
	uint32_t *q =
	    gs->cnt + ((size_t)g * 3 + 2) * nc * nc + x[2] * nc + x[3];

	if (add) {
		if ((*p)++ == 0)
			gs->sa[g * nc + x[1]] += gs->w[x[0]];
		(*m)++;
		if ((*q)++ == 0)
			gs->sd[g * nc + x[2]] += gs->w[x[3]];
	} else {
		if (--*p == 0)
			gs->sa[g * nc + x[1]] -= gs->w[x[0]];
		(*m)--;
		if (--*q == 0)
			gs->sd[g * nc + x[2]] -= gs->w[x[3]];
	}
}

/* the weight of what group g lets through with byte 1 b or byte 2 c: all
 * that moving a literal of bytes 1-2 b, c changes */
static int64_t
groups_part(const struct groups *gs, unsigned g, size_t b, size_t c)
{
	size_t nc = gs->nc, k;
	const uint32_t *m = gs->cnt + ((size_t)g * 3 + 1) * nc * nc;
	const int64_t *sa = gs->sa + g * nc, *sd = gs->sd + g * nc;
	int64_t s = 0;

	for (k = 0; k < nc; k++) {
		if (m[b * nc + k])
			s += gs->w[b] * gs->w[k] * sa[b] * sd[k];
		if (k != b && m[k * nc + c])
			s += gs->w[k] * gs->w[c] * sa[k] * sd[c];
	}
	return s;
}

/* grp[i]: the group of lits[i] (of 4 bytes or more), 0 or 1; by the first
 * byte's parity when out of memory */
static void
groups_choose(
    const struct prefilter *pf, char *const *lits, size_t n, unsigned char *grp)
{
	struct groups gs;
	size_t i, j, pass, x[4];
	int64_t before, after;
	unsigned c, moved = 1;

	gs.nc = pf->nclass;
	gs.cnt = calloc(6 * gs.nc * gs.nc, sizeof(*gs.cnt));
	gs.w = calloc(gs.nc, sizeof(*gs.w));
	gs.sa = calloc(2 * gs.nc, sizeof(*gs.sa));
	gs.sd = calloc(2 * gs.nc, sizeof(*gs.sd));
	for (i = 0; i < n; i++)
		grp[i] =
		    (unsigned char)(((unsigned char)lits[i][0] | 0x20) % 2);
	if (!gs.cnt || !gs.w || !gs.sa || !gs.sd)
		goto out;
	for (c = 0; c < 256; c++)
		gs.w[pf->cls[c]] = groups_weight((unsigned)tolower((int)c));
	for (i = 0; i < n; i++)
		if (strlen(lits[i]) >= 4) {
			for (j = 0; j < 4; j++)
				x[j] = pf->cls[(unsigned char)lits[i][j]];
			groups_put(&gs, grp[i], x, 1);
		}
	for (pass = 0; pass < 4 && moved; pass++)
		for (moved = 0, i = 0; i < n; i++) {
			if (strlen(lits[i]) < 4)
				continue;
			for (j = 0; j < 4; j++)
				x[j] = pf->cls[(unsigned char)lits[i][j]];
			before = groups_part(&gs, 0, x[1], x[2]) +
			    groups_part(&gs, 1, x[1], x[2]);
			groups_put(&gs, grp[i], x, 0);
			groups_put(&gs, grp[i] ^ 1, x, 1);
			after = groups_part(&gs, 0, x[1], x[2]) +
			    groups_part(&gs, 1, x[1], x[2]);
			if (after < before) {
				grp[i] ^= 1;
				moved = 1;
			} else {
				groups_put(&gs, grp[i] ^ 1, x, 0);
				groups_put(&gs, grp[i], x, 1);
			}
		}
out:
	free(gs.cnt);
	free(gs.w);
	free(gs.sa);
	free(gs.sd);
}

/* the filter learns where a literal of len bytes may start (of 4 or more:
 * in group grp, 0 or 1) */
static void
filter_add(struct prefilter *pf, const char *lit, size_t len, unsigned grp)
{
	const unsigned char *b = (const unsigned char *)lit;
	unsigned char hb[PF_HEAD] = {0};
	unsigned g, c;
	uint32_t h;
	uint64_t x;

	if (len >= 4) {
		/* two groups, so that pairs of different literals meet less */
		g = grp * 3;
		pair_set(pf, b[0], b[1], PF_P4 << g);
		pair_set(pf, b[1], b[2], PF_M4 << g);
		pair_set(pf, b[2], b[3], PF_Q4 << g);
		/* its head, as head_at() reads it from text */
		memcpy(hb, b, len < PF_HEAD ? len : PF_HEAD);
		memcpy(&x, hb, sizeof(x));
		h = head_hash((x | PF_FOLD) &
		    pf->headmask[((len < PF_HEAD ? len : PF_HEAD) - 4) / 2]);
		pf->head[h >> 6] |= UINT64_C(1) << (h & 63);
	} else if (len == 3) {
		pair_set(pf, b[0], b[1], PF_P3);
		pair_set(pf, b[1], b[2], PF_Q3);
	} else if (len == 2) {
		pair_set(pf, b[0], b[1], PF_P3);
		for (c = 0; c < 256; c++)
			pair_set(pf, b[1], c, PF_Q3);
	} else if (!pf->isone[b[0]]) {
		pf->isone[b[0]] = pf->isone[b[0] ^ 0x20] = 1;
		if (pf->none < PF_MAX_ONE) {
			pf->one[pf->none] = (unsigned char)(b[0] | 0x20);
			memset(pf->onev[pf->none], b[0] | 0x20,
			    sizeof(pf->onev[0]));
		}
		if (++pf->none == PF_MAX_ONE + 1)
			/* too many: every place may start one */
			for (c = 0; c < 1u << 16; c++)
				pf->pair[c] |= PF_P3 | PF_Q3;
	}
}

/* prefilter_new - the filter and trie of n literals */
struct prefilter *
prefilter_new(char *const *lits, const size_t *ids, size_t n)
{
	struct prefilter *pf;
	unsigned char *grp = NULL;
	uint32_t max_states = 1, s, t, u;
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
	for (i = 0; i < PF_NHEAD; i++) {
		unsigned char mb[sizeof(uint64_t)] = {0};

		memset(mb, 0xff, 4 + 2 * i);
		memcpy(&pf->headmask[i], mb, sizeof(mb));
	}
	pf->width = pf->nclass + 1;
	if ((uint64_t)max_states * pf->width >= PF_OUT)
		goto fail;
	pf->delta = calloc((size_t)max_states * pf->width, sizeof(uint32_t));
	pf->outs = calloc(n, sizeof(*pf->outs));
	grp = malloc(n);
	if (!pf->delta || !pf->outs || !grp)
		goto fail;
	groups_choose(pf, lits, n, grp);
#ifdef PF_AVX2
	pf->avx2 = __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
#endif
	/* the trie: class 0 has no edges, so a walk stops there */
	pf->nstates = 1;
	for (i = 0; i < n; i++) {
		len = strlen(lits[i]);
		if (len == 0)
			continue;
		filter_add(pf, lits[i], len, grp[i]);
		for (s = u = 0, j = 0; j < len; j++) {
			c = pf->cls[(unsigned char)lits[i][j]];
			t = pf->delta[(size_t)s * pf->width + c] & ~PF_OUT;
			if (t == 0) {
				t = pf->nstates++;
				pf->delta[(size_t)s * pf->width + c] = t;
			}
			u = s;
			s = t;
		}
		pf->delta[(size_t)u * pf->width + c] |= PF_OUT;
		pf->outs[pf->nouts].id = ids[i];
		pf->outs[pf->nouts].next =
		    pf->delta[(size_t)s * pf->width + pf->nclass];
		pf->delta[(size_t)s * pf->width + pf->nclass] =
		    (uint32_t)++pf->nouts;
	}
	/* the children as the index of their rows */
	for (s = 0; s < pf->nstates; s++)
		for (c = 0; c < pf->nclass; c++) {
			t = pf->delta[(size_t)s * pf->width + c];
			pf->delta[(size_t)s * pf->width + c] =
			    (t & ~PF_OUT) * pf->width | (t & PF_OUT);
		}
	free(grp);
	return pf;
fail:
	free(grp);
	prefilter_free(pf);
	return NULL;
}

/*
 * Report every literal that starts at text[at]. Over the benchmark corpus
 * 79,057 walks take 538,704 steps, most for CONFIDENTIAL, INTERNAL and
 * credential. Comparing a state's single-path tail (up to 8 bytes) as one
 * word cut the steps by 26% and the L1 misses by 14%, but not the time
 * (within 1%, interleaved); nor did taking the output flag off the
 * chain of loads, or prefetching each listed place's second row.
 */
static void
walk(const struct prefilter *pf, const unsigned char *p, size_t len, size_t at,
    prefilter_hit_fn *fn, void *arg)
{
	uint32_t r = 0, o, d;
	size_t i;

	for (i = at; i < len; i++) {
		d = pf->delta[r + pf->cls[p[i]]];
		r = d & ~PF_OUT;
		if (r == 0)
			return;
		if (d & PF_OUT)
			for (o = pf->delta[r + pf->nclass]; o;
			     o = pf->outs[o - 1].next)
				fn(pf->outs[o - 1].id, at, arg);
	}
}

/*
 * f[k..k+1] = the pair bits of p[k], p[k+1]: one store of 16 bits for two
 * places (a store a place ran 2% slower, with 8% fewer instructions: the
 * stores seem to bound the loop), through a register the compiler cannot
 * see into (else it gathered the bytes of eight places into a vector, one
 * insertion each: a third slower)
 */
static inline void
pair_store2(const struct prefilter *pf, const unsigned char *p,
    unsigned char *f, unsigned k)
{
	unsigned a = pair_at(pf, p + k), b = pair_at(pf, p + k + 1);
	uint16_t v;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = (uint16_t)(a | b << 8);
#ifdef __GNUC__
	__asm__("" : "+r"(v));
#endif
	memcpy(f + k, &v, sizeof(v));
#else
	(void)v;
	f[k] = (unsigned char)a;
	f[k + 1] = (unsigned char)b;
#endif
}

/* the pair bits of the 8 places from p[0], a byte each into f[0..7]
 * (p[0..8] readable): stored as bytes, not shifted into words, as this is
 * most of the work (a load of two bytes and of the table a place, a store
 * for two); unrolled by hand (unrolled by the compiler, the loads of two
 * bytes became loads of one, kept on the stack). Also measured slower,
 * interleaved: one 8-byte load for 8 places, the pairs taken by shifts
 * (3%, 5 instructions a place, not 3.5); a second table of the bits
 * shifted up 8 for the odd places (3.5%: 128 KiB more to cache); the
 * second place's bits loaded into a high byte register (13%); an AVX2
 * gather (2.8 times the cycles) */
static inline void
pairs8(const struct prefilter *pf, const unsigned char *p, unsigned char *f)
{
	pair_store2(pf, p, f, 0);
	pair_store2(pf, p, f, 2);
	pair_store2(pf, p, f, 4);
	pair_store2(pf, p, f, 6);
}

/* pairs8() of 64 places (p[0..64] readable) */
static inline void
pairs64(const struct prefilter *pf, const unsigned char *p, unsigned char *f)
{
	pairs8(pf, p, f);
	pairs8(pf, p + 8, f + 8);
	pairs8(pf, p + 16, f + 16);
	pairs8(pf, p + 24, f + 24);
	pairs8(pf, p + 32, f + 32);
	pairs8(pf, p + 40, f + 40);
	pairs8(pf, p + 48, f + 48);
	pairs8(pf, p + 56, f + 56);
}

/* pairs8() of the 66 places of a block (p[0..66] readable; as a loop,
 * one-line texts, of a block or two, took 4% more instructions than when
 * the bits were shifted into words) */
static inline void
pairs66(const struct prefilter *pf, const unsigned char *p, unsigned char *f)
{
	pairs64(pf, p, f);
	pair_store2(pf, p, f, 64);
}

#ifndef PF_SSE2
/* eight bytes as a word, b[0] its lowest byte (one load, as compilers
 * see it) */
static inline uint64_t
le64(const unsigned char *b)
{
	return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	    (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
	    (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}
#endif

/* may a literal start at the place of pair bits f0, given f1 and f2, the
 * pair bits of the next two places? Nonzero if so; in each byte when the
 * arguments hold eight places */
#define PF_CAND(f0, f1, f2) \
	((f0) & ((f1) >> 1) & \
	    ((((f2) >> 2) & PF_BYTES(PF_P4 | PF_P4 << 3)) | PF_BYTES(PF_P3)))

/* may a literal start at p[0]? (p[0..n-1] readable, n at least 4) */
static inline int
maybe(const struct prefilter *pf, const unsigned char *p, size_t n)
{
	uint64_t c = PF_CAND((uint64_t)pair_at(pf, p),
	    (uint64_t)pair_at(pf, p + 1), (uint64_t)pair_at(pf, p + 2));
	unsigned char h[PF_HEAD] = {0};

	/* a literal of 4 or more: its head confirms (zeros past the
	 * text, as no literal holds one) */
	memcpy(h, p, n < PF_HEAD ? n : PF_HEAD);
	return pf->isone[p[0]] || (c & PF_P3) || (c && head_at(pf, h));
}

/* the places p[0..63] where a literal may start, one bit each, from the
 * pair bits of p[0..65], f[0..65] (not inlined: in blocks(), the portable
 * code ran 13% slower) */
__attribute__((noinline)) static uint64_t
cand64(
    const struct prefilter *pf, const unsigned char *p, const unsigned char *f)
{
	uint64_t m = 0;
	unsigned q, j, no = pf->none <= PF_MAX_ONE ? pf->none : 0;

#ifdef PF_SSE2
	const __m128i g = _mm_set1_epi8((char)(PF_P4 | PF_P4 << 3)),
		      p3 = _mm_set1_epi8((char)PF_P3),
		      fold = _mm_set1_epi8(0x20);
	__m128i ov[PF_MAX_ONE];

	for (j = 0; j < no; j++)
		ov[j] = _mm_set1_epi8((char)pf->one[j]);

	for (q = 0; q < 64; q += 16) {
		const __m128i v0 = _mm_loadu_si128((const __m128i *)(f + q));
		const __m128i v1 =
		    _mm_loadu_si128((const __m128i *)(f + q + 1));
		const __m128i v2 =
		    _mm_loadu_si128((const __m128i *)(f + q + 2));
		__m128i r = _mm_and_si128(v0, _mm_srli_epi16(v1, 1));
		r = _mm_and_si128(r,
		    _mm_or_si128(_mm_and_si128(_mm_srli_epi16(v2, 2), g), p3));
		r = _mm_cmpeq_epi8(r, _mm_setzero_si128());
		if (no) {
			/* the literals of one byte: 0 where one is */
			const __m128i t = _mm_or_si128(
			    _mm_loadu_si128((const __m128i *)(p + q)), fold);
			for (j = 0; j < no; j++)
				r = _mm_andnot_si128(
				    _mm_cmpeq_epi8(t, ov[j]), r);
		}
		m |= (uint64_t)(~(unsigned)_mm_movemask_epi8(r) & 0xffffu) << q;
	}
#else
	for (q = 0; q < 8; q++) {
		uint64_t c = PF_CAND(
		    le64(f + 8 * q), le64(f + 8 * q + 1), le64(f + 8 * q + 2));
		uint64_t t = le64(p + 8 * q) | PF_FOLD, x;
		for (j = 0; j < no; j++) {
			/* 0x80 in each byte that is pf->one[j], else 0 */
			x = t ^ PF_BYTES(pf->one[j]);
			x = ~(((x & PF_BYTES(0x7f)) + PF_BYTES(0x7f)) | x) &
			    PF_BYTES(0x80);
			c |= x;
		}
		/* 0x80 in each byte that is not 0, then one bit a byte */
		c = (((c & PF_BYTES(0x7f)) + PF_BYTES(0x7f)) | c) &
		    PF_BYTES(0x80);
		m |= ((c >> 7) * UINT64_C(0x0102040810204080)) >> 56 << (8 * q);
	}
#endif
	return m;
}

#ifdef PF_AVX2
/* of the 32 places from f[0]: 0xff in each byte where no literal may
 * start by the pair bits (f[0..33] readable) */
__attribute__((target("avx2"))) static inline __m256i
none32_avx2(const unsigned char *f)
{
	const __m256i v1 = _mm256_loadu_si256((const __m256i *)(f + 1)),
		      v2 = _mm256_loadu_si256((const __m256i *)(f + 2));
	__m256i r;

	r = _mm256_and_si256(
	    _mm256_loadu_si256((const __m256i *)f), _mm256_srli_epi16(v1, 1));
	r = _mm256_and_si256(r,
	    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v2, 2),
				_mm256_set1_epi8((char)(PF_P4 | PF_P4 << 3))),
		_mm256_set1_epi8((char)PF_P3)));
	return _mm256_cmpeq_epi8(r, _mm256_setzero_si256());
}

/* of the 32 places from p[0]: r, 0 in each byte that is a literal of one
 * byte (compared when there are no more than PF_MAX_ONE) */
__attribute__((target("avx2"))) static inline __m256i
one32_avx2(const struct prefilter *pf, const unsigned char *p, __m256i r)
{
	const __m256i t = _mm256_or_si256(
	    _mm256_loadu_si256((const __m256i *)p), _mm256_set1_epi8(0x20));
	__m256i e;

	/* two or four compares, no loop: with a loop over pf->one[], 30
	 * instructions a block for two (the shipped rules' @ and |) */
	e = _mm256_or_si256(
	    _mm256_cmpeq_epi8(
		t, _mm256_loadu_si256((const __m256i *)pf->onev[0])),
	    _mm256_cmpeq_epi8(
		t, _mm256_loadu_si256((const __m256i *)pf->onev[1])));
	if (pf->none > 2)
		e = _mm256_or_si256(e,
		    _mm256_or_si256(
			_mm256_cmpeq_epi8(t,
			    _mm256_loadu_si256((const __m256i *)pf->onev[2])),
			_mm256_cmpeq_epi8(t,
			    _mm256_loadu_si256((const __m256i *)pf->onev[3]))));
	return _mm256_andnot_si256(e, r);
}

/* cand64() with AVX2: 32 places at a time (the two halves written out,
 * the literals of one byte apart: as a loop, 14 more instructions a
 * block) */
__attribute__((target("avx2"))) static inline uint64_t
cand64_avx2(
    const struct prefilter *pf, const unsigned char *p, const unsigned char *f)
{
	unsigned no = pf->none <= PF_MAX_ONE ? pf->none : 0;
	__m256i lo = none32_avx2(f), hi = none32_avx2(f + 32);

	if (no) {
		lo = one32_avx2(pf, p, lo);
		hi = one32_avx2(pf, p + 32, hi);
	}
	return ~((uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
	    (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32);
}
#endif

/* cand64(), with AVX2 when the CPU has it */
static uint64_t
cand64_any(
    const struct prefilter *pf, const unsigned char *p, const unsigned char *f)
{
#ifdef PF_AVX2
	if (pf->avx2)
		return cand64_avx2(pf, p, f);
#endif
	return cand64(pf, p, f);
}

/* append to at[n..] the places off + k of the bits k of m; returns the new
 * n (at[] has room for 4 more than that) */
static inline size_t
list64(uint16_t *at, size_t n, unsigned off, uint64_t m)
{
	unsigned j;

	/*
	 * Most blocks have no more than four: four places written whether
	 * or not they are, the count moved without a branch, as a place's
	 * branch would be mispredicted often (unrolled: GCC kept the loop).
	 */
#pragma GCC unroll 4
	for (j = 0; j < 4; j++) {
		at[n] = (uint16_t)(off +
		    (unsigned)__builtin_ctzll(m | UINT64_C(1) << 63));
		n += m != 0;
		m &= m - 1;
	}
	for (; m; m &= m - 1)
		at[n++] = (uint16_t)(off + (unsigned)__builtin_ctzll(m));
	return n;
}

#ifdef PF_AVX2
/* list64() with BMI1, whose tzcnt is 64 for no bit (no bit 63 set in
 * each copy of m) and blsr clears the lowest: 7 instructions a place
 * written, not 9 */
__attribute__((target("bmi"))) static inline size_t
list64_bmi(uint16_t *at, size_t n, unsigned off, uint64_t m)
{
	unsigned j;

#pragma GCC unroll 4
	for (j = 0; j < 4; j++) {
		at[n] = (uint16_t)(off + (unsigned)_tzcnt_u64(m));
		n += m != 0;
		m = _blsr_u64(m);
	}
	for (; m; m = _blsr_u64(m))
		at[n++] = (uint16_t)(off + (unsigned)_tzcnt_u64(m));
	return n;
}
#endif

/* walk from the places base + at[0..n-1] that pass the checks after the
 * pair bits (each place's p[0..PF_HEAD-1] readable); inlined into one
 * function for each instruction set */
__attribute__((always_inline)) static inline void
try_listed(const struct prefilter *pf, const unsigned char *p, size_t len,
    size_t base, uint16_t *at, size_t n, prefilter_hit_fn *fn, void *arg)
{
	const unsigned char *q, *b = p + base;
	size_t i, j;
	unsigned ok;

	/* the places that pass, without a branch on each */
	for (i = j = 0; i < n; i++) {
		q = b + at[i];
		ok =
		    (pair_at(pf, q) & PF_P3) | pf->isone[q[0]] | head_at(pf, q);
		at[j] = at[i];
		j += ok != 0;
	}
	for (i = 0; i < j; i++)
		walk(pf, p, len, base + at[i], fn, arg);
}

typedef uint64_t cand64_fn(
    const struct prefilter *, const unsigned char *, const unsigned char *);
typedef size_t list64_fn(uint16_t *, size_t, unsigned, uint64_t);
typedef void try_listed_fn(const struct prefilter *, const unsigned char *,
    size_t, size_t, uint16_t *, size_t, prefilter_hit_fn *, void *);

/* try_listed() */
static void
try_base(const struct prefilter *pf, const unsigned char *p, size_t len,
    size_t base, uint16_t *at, size_t n, prefilter_hit_fn *fn, void *arg)
{
	try_listed(pf, p, len, base, at, n, fn, arg);
}

#ifdef PF_AVX2
/* try_listed() with BMI2: a shift of a word of the head table by a
 * register (shrx) is one instruction, not a move to cl and a shift */
__attribute__((target("bmi,bmi2"))) static void
try_bmi2(const struct prefilter *pf, const unsigned char *p, size_t len,
    size_t base, uint16_t *at, size_t n, prefilter_hit_fn *fn, void *arg)
{
	try_listed(pf, p, len, base, at, n, fn, arg);
}
#endif

/*
 * Report the literals that start in the blocks of 64 places from text[0]
 * while 73 places are left (2 more than a block for its pair bits, the
 * PF_HEAD bytes from its last place readable, 2 to spare); returns the
 * first place not done. Inlined into one function for each cand64(), so
 * that the AVX2 one is inlined in turn (no call a block) and the loop
 * built for AVX2.
 */
__attribute__((always_inline)) static inline size_t
blocks(const struct prefilter *pf, const unsigned char *p, size_t len,
    prefilter_hit_fn *fn, void *arg, cand64_fn *cand, list64_fn *list,
    try_listed_fn *try)
{
	size_t base = 0, cbase, nc;
	_Alignas(32) unsigned char f[PF_CHUNK + 66];
	uint16_t at[PF_CHUNK + 4];

	/*
	 * Blocks of 64 places: the pair bits of 66 (the 2 more are the
	 * next block's first), a bit a place where a literal may start.
	 * A block's pair bits are looked up during the block before, as a
	 * vector load of bytes just stored one at a time waits for the
	 * stores (2.6 cycles a byte, not 2.1). Chunks of PF_CHUNK places:
	 * their pair bits in f[], their candidates listed, then the hash
	 * of their heads for the literals of 4 or more, then the trie from
	 * each place left.
	 */
	if (len >= 73)
		pairs66(pf, p, f);
	while (base + 73 <= len) {
		for (cbase = base, nc = 0;
		     base + 73 <= len && base - cbase < PF_CHUNK; base += 64) {
			if (base + 64 + 73 <= len)
				pairs64(
				    pf, p + base + 66, f + (base - cbase) + 66);
			nc = list(at, nc, (unsigned)(base - cbase),
			    cand(pf, p + base, f + (base - cbase)));
		}
		try(pf, p, len, cbase, at, nc, fn, arg);
		/* the next chunk's first pair bits (overlapping when this one
		 * was the last, of one block) */
		memmove(f, f + (base - cbase), 66);
	}
	return base;
}

/* blocks() with cand64() */
static size_t
blocks_base(const struct prefilter *pf, const unsigned char *p, size_t len,
    prefilter_hit_fn *fn, void *arg)
{
	return blocks(pf, p, len, fn, arg, cand64, list64, try_base);
}

#ifdef PF_AVX2
/* blocks() with cand64_avx2(), list64_bmi() and try_bmi2() */
__attribute__((target("avx2,bmi"))) static size_t
blocks_avx2(const struct prefilter *pf, const unsigned char *p, size_t len,
    prefilter_hit_fn *fn, void *arg)
{
	return blocks(pf, p, len, fn, arg, cand64_avx2, list64_bmi, try_bmi2);
}
#endif

/* prefilter_run - report every occurrence of every literal */
void
prefilter_run(const struct prefilter *pf, const char *text, size_t len,
    prefilter_hit_fn *fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t base, i, k;
	_Alignas(32) unsigned char f[66];
	uint64_t m;

#ifdef PF_AVX2
	if (pf->avx2)
		base = blocks_avx2(pf, p, len, fn, arg);
	else
#endif
		base = blocks_base(pf, p, len, fn, arg);
	/*
	 * The last places (a header's all): copied into a block of their
	 * own, zeros after them, for the same filter. No literal holds a
	 * NUL, so the zeros add places to try, never lose one; the trie
	 * reads the text itself.
	 */
	for (; len - base >= PF_PAD_MIN; base += 64) {
		_Alignas(16) unsigned char pad[80];
		size_t n = len - base < sizeof(pad) ? len - base : sizeof(pad);

		memset(pad, 0, sizeof(pad));
		memcpy(pad, p + base, n);
		pairs66(pf, pad, f);
		m = cand64_any(pf, pad, f);
		if (len - base < 64)
			m &= ((uint64_t)1 << (len - base)) - 1;
		while (m) {
			k = (size_t)__builtin_ctzll(m);
			m &= m - 1;
			if ((pair_at(pf, pad + k) & PF_P3) ||
			    pf->isone[pad[k]] || head_at(pf, pad + k))
				walk(pf, p, len, base + k, fn, arg);
		}
		if (len - base <= 64)
			return;
	}
	/* a few places: the trie decides where the filter cannot read */
	for (i = base; i < len; i++)
		if (i + 4 > len || maybe(pf, p + i, len - i))
			walk(pf, p, len, i, fn, arg);
}

/* prefilter_free - release the filter and trie */
void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->outs);
	free(pf);
}
