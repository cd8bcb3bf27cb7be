/*
 * header_fuzz.c - libFuzzer target: RFC 2047 words and RFC 2231 parameters of a header value
 * Replayed over tests/fuzz/corpora/header/ by make check (replay.c).
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
	char *value;

	if (a == NULL)
		return 0;
	/* a header value is a string: up to the first NUL */
	if ((value = arena_strndup(a, (const char *)data, size)) != NULL) {
		(void)decode_header(a, value);
		(void)decode_param(a, value, "filename");
		(void)decode_param(a, value, "boundary");
	}
	arena_free(a);
	return 0;
}
