/*
 * mime_fuzz.c - libFuzzer target: one raw message through the stages that
 * read untrusted bytes: header split, MIME walk, transfer decoding, RFC
 * 2047/2231 words, charset conversion, HTML to text, normalisation.
 *
 * Built as a fuzzer with ./configure --enable-fuzzing (clang), and always
 * as a replay program (replay.c) that make check runs over the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/message.h>
#include <exfil/mime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_part(const struct mime_part *p, void *arg)
{
	struct message *m = arg;
	const char *t;
	size_t n, k;

	if (p->kind == MIME_HEADER)
		return text_normalize(m->arena, p->data, p->len, &n) ? 0 : -1;
	t = charset_to_utf8(m->arena, p->charset, p->data, p->len, &n);
	if (t == NULL)
		return -1;
	if (p->content_type && strcmp(p->content_type, "text/html") == 0 &&
	    (t = html_to_text(m->arena, t, n, &n)) == NULL)
		return -1;
	return text_normalize(m->arena, t, n, &k) ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = {.max_depth = 8,
	    .max_parts = 200,
	    .max_decoded = 8 * 1024 * 1024,
	    .max_headers = 200,
	    .max_header_size = 64 * 1024,
	    .max_line = 1024 * 1024};
	struct message *m;

	/* a small memory limit exercises the spool file too */
	if ((m = message_new(4096, "/tmp")) == NULL)
		return 0;
	if (message_parse(m, (const char *)data, size) == 0)
		(void)mime_walk(m, &lim, on_part, m);
	message_free(m);
	return 0;
}
