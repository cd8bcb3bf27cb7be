/*
 * uu_fuzz.c - libFuzzer target: the uuencoded block finder and decoder
 * Replayed over tests/fuzz/corpora/uu/ by make check (replay.c).
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
	const char *p = (const char *)data;
	struct uu_block b;
	unsigned char *out;
	size_t off = 0;

	while (off < size && decode_uu_block(p + off, size - off, &b)) {
		if ((out = malloc(b.bodylen + 4)) == NULL)
			return 0;
		(void)decode_uu(b.body, b.bodylen, out);
		free(out);
		if (b.next == 0)
			break;
		off += b.next;
	}
	return 0;
}
