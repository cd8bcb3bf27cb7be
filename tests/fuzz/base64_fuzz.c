/*
 * base64_fuzz.c - libFuzzer target: the tolerant base64 decoder
 * Replayed over tests/fuzz/corpora/base64/ by make check (replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/decode.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the decoder as the standard states it, a byte at a time: what the
 * fast one must give */
static size_t
reference(const uint8_t *in, size_t len, unsigned char *out)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	size_t i, o = 0;
	int n = 0;
	const char *q;

	for (i = 0; i < len; i++) {
		if (in[i] == 0 || (q = strchr(alpha, in[i])) == NULL)
			continue;
		acc = acc << 6 | (unsigned long)(q - alpha);
		if (++n == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			n = 0;
		}
	}
	if (n == 2)
		out[o++] = (unsigned char)(acc >> 4);
	else if (n == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = malloc(size * 3 / 4 + 3),
		      *want = malloc(size * 3 / 4 + 3);
	size_t n;

	if (out == NULL || want == NULL) {
		free(out);
		free(want);
		return 0;
	}
	n = decode_base64((const char *)data, size, out);
	if (n != reference(data, size, want) || memcmp(out, want, n) != 0)
		abort();
	free(out);
	free(want);
	return 0;
}
