/*
 * prefilter.c - many literals in one pass: an Aho-Corasick DFA over byte
 * classes (see include/exfil/prefilter.h)
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/prefilter.h>

#define PF_OUT 0x80000000u

struct prefilter {
	unsigned char cls[256]; /* byte -> class; 0: in no literal */
	unsigned nclass;
	uint32_t nstates;
	uint32_t *delta; /* nstates x nclass: next state */
	uint32_t *rows; /* the same as row offsets, PF_OUT marking outputs */
	uint32_t *out; /* first output of a state, index into outs, +1 */
	struct pf_out {
		size_t id;
		size_t len;
		uint32_t next; /* next output of the same state, +1; 0 ends */
	} * outs;
	size_t nouts;
};

/* prefilter_new - the automaton of n literals */
struct prefilter *
prefilter_new(char *const *lits, const size_t *ids, size_t n)
{
	struct prefilter *pf;
	uint32_t *queue = NULL, *fail = NULL, max_states = 1, s, t, u;
	size_t i, j, len, head = 0, tail = 0;
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
	fail = calloc(max_states, sizeof(uint32_t));
	queue = calloc(max_states, sizeof(uint32_t));
	if (!pf->delta || !pf->out || !pf->outs || !fail || !queue)
		goto fail;
	/* the trie: delta holds goto edges, 0 meaning none (yet) */
	pf->nstates = 1;
	for (i = 0; i < n; i++) {
		len = strlen(lits[i]);
		if (len == 0)
			continue;
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
		pf->outs[pf->nouts].len = len;
		pf->outs[pf->nouts].next = pf->out[s];
		pf->out[s] = (uint32_t)++pf->nouts;
	}
	/* breadth first: failure links, then complete the DFA */
	for (c = 0; c < pf->nclass; c++) {
		t = pf->delta[c];
		if (t) {
			fail[t] = 0;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		s = queue[head++];
		/* inherit the outputs of the failure state */
		if (pf->out[s] == 0)
			pf->out[s] = pf->out[fail[s]];
		else {
			/* append the failure chain to this state's own list */
			u = pf->out[s];
			while (pf->outs[u - 1].next &&
			    pf->outs[u - 1].next != pf->out[fail[s]])
				u = pf->outs[u - 1].next;
			if (pf->outs[u - 1].next == 0)
				pf->outs[u - 1].next = pf->out[fail[s]];
		}
		for (c = 0; c < pf->nclass; c++) {
			t = pf->delta[(size_t)s * pf->nclass + c];
			if (t) {
				fail[t] =
				    pf->delta[(size_t)fail[s] * pf->nclass + c];
				queue[tail++] = t;
			} else {
				pf->delta[(size_t)s * pf->nclass + c] =
				    pf->delta[(size_t)fail[s] * pf->nclass + c];
			}
		}
	}
	/* the scanning table: row offsets, outputs marked in the top bit */
	if ((size_t)pf->nstates * pf->nclass >= PF_OUT ||
	    (pf->rows = calloc(
		 (size_t)pf->nstates * pf->nclass, sizeof(uint32_t))) == NULL)
		goto fail;
	for (i = 0; i < (size_t)pf->nstates * pf->nclass; i++) {
		t = pf->delta[i];
		pf->rows[i] = t * pf->nclass | (pf->out[t] ? PF_OUT : 0);
	}
	free(queue);
	free(fail);
	return pf;
fail:
	free(queue);
	free(fail);
	prefilter_free(pf);
	return NULL;
}

/* prefilter_run - report every occurrence of every literal */
void
prefilter_run(const struct prefilter *pf, const char *text, size_t len,
    prefilter_hit_fn *fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *cls = pf->cls;
	const uint32_t *row = pf->rows;
	uint32_t next, cur = 0, o;
	size_t i;

	/*
	 * One load a byte: rows[] holds the next state's row offset, with
	 * PF_OUT set when that state ends a literal (rare: then the state
	 * number, and its outputs, are worked out).
	 */
	for (i = 0; i < len; i++) {
		next = row[cur + cls[p[i]]];
		if (__builtin_expect((next & PF_OUT) != 0, 0)) {
			for (o = pf->out[(next & ~PF_OUT) / pf->nclass]; o;
			     o = pf->outs[o - 1].next)
				fn(pf->outs[o - 1].id,
				    i + 1 - pf->outs[o - 1].len, arg);
		}
		cur = next & ~PF_OUT;
	}
}

/* prefilter_free - release the automaton */
void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->rows);
	free(pf->out);
	free(pf->outs);
	free(pf);
}
