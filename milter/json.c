/*
 * json.c - JSON strings that always parse (see include/exfil/json.h)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <exfil/json.h>

/* length of a valid UTF-8 sequence at p (n bytes left), 0 if invalid */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return need;
}

/* json_str - a quoted, escaped JSON string of n bytes */
int
json_str(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, k;
	int rc;

	if ((rc = buf_putc(b, '"')) < 0)
		return rc;
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)p[i];
			rc = buf_append(b, esc, 2);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			rc = buf_append(b, esc, 6);
			i++;
		} else if ((k = utf8_len(p + i, n - i)) == 0) {
			rc = buf_append(b, "\\ufffd", 6);
			i++;
		} else {
			rc = buf_append(b, p + i, k);
			i += k;
		}
		if (rc < 0)
			return rc;
	}
	return buf_putc(b, '"');
}

/* json_cstr - json_str of a NUL-terminated string; null for NULL */
int
json_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_puts(b, "null");
	return json_str(b, s, strlen(s));
}
