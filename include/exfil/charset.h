/*
 * NAME
 *	charset - anything to UTF-8, and HTML to text
 * SYNOPSIS
 *	#include <exfil/charset.h>
 *
 *	char *charset_to_utf8(struct arena *a, const char *charset,
 *	    const char *in, size_t len, size_t *outlen);
 *	char *html_to_text(struct arena *a, const char *in, size_t len,
 *	    size_t *outlen);
 * DESCRIPTION
 *	charset_to_utf8() converts with iconv. A missing charset means
 *	US-ASCII; an unknown charset is read as Windows-1252, and bytes that
 *	are invalid in the declared charset are skipped one at a time, so
 *	that the ASCII text is never lost. UTF-8 input is validated the same
 *	way. A UTF-16 byte order mark decides the byte order when present.
 *	html_to_text() drops tags, decodes named and numeric entities, skips
 *	<script> and <style>, keeps comments and the values of alt, title and
 *	href attributes (what a recipient can see or extract), and turns
 *	block elements into line breaks, so that "<span>4111</span> 1111"
 *	reads "4111 1111".
 *	text_normalize() prepares UTF-8 text for the rules, undoing what
 *	editors and evaders do to numbers and words: non-breaking and other
 *	Unicode spaces become a space, Unicode dashes and the minus sign
 *	become '-', zero-width and format characters (ZWSP, ZWJ, ZWNJ, word
 *	joiner, BOM, soft hyphen) are removed, and fullwidth ASCII forms
 *	(U+FF01..U+FF5E), the long s (U+017F) and the Kelvin sign (U+212A)
 *	become ASCII (the NFKC mappings that matter here; the last two are
 *	the only letters beyond ASCII that fold to ASCII ones, so a caseless
 *	pattern matches nothing its ASCII literals miss), and the decimal
 *	digits of every other script (Unicode's Nd, what PCRE2's \d
 *	matches) become ASCII digits: a card number in Arabic-Indic digits
 *	is a card number, and runs of digits are ASCII.
 *	Pure ASCII text is returned as it is, without a copy.
 * RETURN VALUE
 *	A NUL-terminated string in the arena, or NULL when out of memory.
 */
#ifndef EXFIL_CHARSET_H
#define EXFIL_CHARSET_H

#include <stddef.h>

struct arena;

char *charset_to_utf8(struct arena *a, const char *charset, const char *in,
    size_t len, size_t *outlen);
char *html_to_text(struct arena *a, const char *in, size_t len, size_t *outlen);
const char *text_normalize(
    struct arena *a, const char *in, size_t len, size_t *outlen);

#endif
