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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = malloc(size * 3 / 4 + 3);

	if (out == NULL)
		return 0;
	(void)decode_base64((const char *)data, size, out);
	free(out);
	return 0;
}
