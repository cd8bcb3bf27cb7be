/*
 * html_fuzz.c - libFuzzer target: HTML to text, then normalisation
 * Replayed over tests/fuzz/corpora/html/ by make check (replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/decode.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *t;
	size_t n, k;

	if (a == NULL)
		return 0;
	if ((t = html_to_text(a, (const char *)data, size, &n)) != NULL)
		(void)text_normalize(a, t, n, &k);
	arena_free(a);
	return 0;
}
