/*
 * charset_fuzz.c - libFuzzer target: charset conversion; the first byte picks the charset
 * Replayed over tests/fuzz/corpora/charset/ by make check (replay.c).
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
	static const char *const names[] = {"utf-8", "us-ascii", "utf-16",
	    "utf-16le", "utf-16be", "iso-8859-1", "windows-1252", "koi8-r",
	    "gb2312", "gbk", "shift_jis", "iso-2022-jp", "euc-kr", "big5",
	    "no-such-charset", ""};
	struct arena *a;
	const char *t;
	size_t n, k;

	if (size < 1 || (a = arena_new()) == NULL)
		return 0;
	t = charset_to_utf8(a,
	    names[data[0] % (sizeof(names) / sizeof(names[0]))],
	    (const char *)data + 1, size - 1, &n);
	if (t != NULL)
		(void)text_normalize(a, t, n, &k);
	arena_free(a);
	return 0;
}
