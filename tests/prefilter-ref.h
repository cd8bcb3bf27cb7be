/*
 * prefilter-ref.h - the reference of prefilter(3) for its unit test and
 * fuzz target: every literal compared at every place, in the contract's
 * order (increasing start; at one start, shorter literals first; literals
 * equal but for ASCII case, the later given first, as the trie reports
 * them), and a recorder of hits. Header-only: static functions.
 */
#ifndef EXFIL_TESTS_PREFILTER_REF_H
#define EXFIL_TESTS_PREFILTER_REF_H

#include <stdlib.h>
#include <string.h>

#include <exfil/prefilter.h>

/* the hits of one run, in the order reported */
struct pf_hits {
	size_t *id, *at;
	size_t n, cap;
};

static void
pf_hits_add(size_t id, size_t at, void *arg)
{
	struct pf_hits *h = arg;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->id = realloc(h->id, h->cap * sizeof(*h->id));
		h->at = realloc(h->at, h->cap * sizeof(*h->at));
		if (h->id == NULL || h->at == NULL)
			abort();
	}
	h->id[h->n] = id;
	h->at[h->n] = at;
	h->n++;
}

static void
pf_hits_free(struct pf_hits *h)
{
	free(h->id);
	free(h->at);
	memset(h, 0, sizeof(*h));
}

/* do both runs report the same (id, start) sequence? */
static int
pf_hits_equal(const struct pf_hits *a, const struct pf_hits *b)
{
	return a->n == b->n &&
	    (a->n == 0 ||
		(memcmp(a->id, b->id, a->n * sizeof(*a->id)) == 0 &&
		    memcmp(a->at, b->at, a->n * sizeof(*a->at)) == 0));
}

/* ASCII letters only: the case the prefilter ignores */
static int
pf_ref_fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* every occurrence of every literal, the slow way */
static void
pf_ref_run(char *const *lits, const size_t *ids, size_t n, const char *text,
    size_t len, prefilter_hit_fn *fn, void *arg)
{
	size_t at, l, maxlen = 0, i, j, k;

	for (i = 0; i < n; i++)
		if (strlen(lits[i]) > maxlen)
			maxlen = strlen(lits[i]);
	for (at = 0; at < len; at++)
		for (l = 1; l <= maxlen && at + l <= len; l++)
			for (j = n; j-- > 0;) {
				if (strlen(lits[j]) != l)
					continue;
				for (k = 0; k < l; k++)
					if (pf_ref_fold(
						(unsigned char)text[at + k]) !=
					    pf_ref_fold(
						(unsigned char)lits[j][k]))
						break;
				if (k == l)
					fn(ids[j], at, arg);
			}
}

#endif
