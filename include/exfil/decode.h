/*
 * NAME
 *	decode - transfer encodings and encoded header words
 * SYNOPSIS
 *	#include <exfil/decode.h>
 *
 *	size_t decode_base64(const char *in, size_t len, unsigned char *out);
 *	size_t decode_qp(const char *in, size_t len, unsigned char *out);
 *	char *decode_header(struct arena *a, const char *value);
 * DESCRIPTION
 *	decode_base64() skips every byte outside the base64 alphabet (line
 *	breaks, junk, misplaced padding) and decodes what remains, as mail
 *	clients do; out needs room for len * 3 / 4 + 3 bytes.
 *	decode_qp() joins soft line breaks ("=" at the end of a line,
 *	trailing blanks allowed) and decodes "=XX"; a malformed "=" is kept
 *	as it is. out needs room for len bytes.
 *	decode_header() unfolds a header value and decodes RFC 2047 encoded
 *	words (B and Q, any charset iconv knows) to UTF-8, joining adjacent
 *	encoded words as RFC 2047 says.
 *	decode_uu_block() finds the next uuencoded block ("begin MODE NAME"
 *	line, encoded lines, "end" line) in text; decode_uu() decodes its
 *	lines, skipping lines that are not uuencoding. out needs room for
 *	len + 3 bytes.
 *	decode_param() returns one parameter of a structured header
 *	(Content-Type, Content-Disposition) with quoted strings, RFC 2231
 *	charset'language'value and continuations decoded to UTF-8.
 * RETURN VALUE
 *	The number of bytes written; decode_header()/decode_param() return
 *	NULL when out of memory (decode_param also when absent).
 * OWNERSHIP
 *	out is the caller's; strings come from the arena.
 */
#ifndef EXFIL_DECODE_H
#define EXFIL_DECODE_H

#include <stddef.h>

struct arena;

size_t decode_base64(const char *in, size_t len, unsigned char *out);
size_t decode_qp(const char *in, size_t len, unsigned char *out);
char *decode_header(struct arena *a, const char *value);
char *decode_param(struct arena *a, const char *value, const char *name);
char *decode_unfold(struct arena *a, const char *value);

struct uu_block {
	const char *name; /* not NUL-terminated */
	size_t namelen;
	const char *body; /* the encoded lines */
	size_t bodylen;
	size_t next; /* offset after the block */
};

int decode_uu_block(const char *p, size_t n, struct uu_block *b);
size_t decode_uu(const char *in, size_t len, unsigned char *out);

/* decode_hexval - the value of one hex digit, or -1 */
int decode_hexval(int c);

#endif
