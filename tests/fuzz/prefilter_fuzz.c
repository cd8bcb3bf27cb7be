/*
 * prefilter_fuzz.c - libFuzzer target: prefilter(3) against the reference
 * that compares every literal at every place (tests/prefilter-ref.h);
 * aborts when the (id, start) sequences differ.
 * Input: a byte n (1 to 32 literals), then n literals, each a length byte
 * (1 to 16) and its bytes (a NUL ends one early), then the text.
 * Replayed over tests/fuzz/corpora/prefilter/ by make check (replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/prefilter.h>

#include "../prefilter-ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_hits got = {0}, want = {0};
	char *lits[32], *text;
	size_t ids[32], n, i, l, pos = 1;
	struct prefilter *pf;

	if (size < 1)
		return 0;
	n = 1 + data[0] % 32;
	for (i = 0; i < n; i++) {
		l = pos < size ? 1 + data[pos] % 16 : 1;
		pos++;
		if ((lits[i] = calloc(1, l + 1)) == NULL)
			abort();
		if (pos < size)
			memcpy(lits[i], data + pos,
			    size - pos < l ? size - pos : l);
		pos += l;
		ids[i] = i * 7 + 3;
	}
	pos = pos < size ? pos : size;
	/* the text alone in a buffer of its size: a read past it is caught */
	if ((text = malloc(size > pos ? size - pos : 1)) == NULL)
		abort();
	memcpy(text, data + pos, size - pos);
	/* NULL: more than 254 distinct bytes in the literals */
	if ((pf = prefilter_new(lits, ids, n)) != NULL) {
		prefilter_run(pf, text, size - pos, pf_hits_add, &got);
		pf_ref_run(lits, ids, n, text, size - pos, pf_hits_add, &want);
		if (!pf_hits_equal(&got, &want))
			abort();
		prefilter_free(pf);
	}
	pf_hits_free(&got);
	pf_hits_free(&want);
	for (i = 0; i < n; i++)
		free(lits[i]);
	free(text);
	return 0;
}
