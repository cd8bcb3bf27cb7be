/*
 * NAME
 *	json - write JSON into a buffer
 * SYNOPSIS
 *	#include <exfil/json.h>
 *
 *	int json_str(struct buf *b, const char *s, size_t n);
 * DESCRIPTION
 *	json_str() writes a quoted JSON string: quotes, backslashes and
 *	control characters escaped, invalid UTF-8 replaced by U+FFFD, so
 *	that every line we write parses.
 * RETURN VALUE
 *	0 or EXFIL_ENOMEM.
 */
#ifndef EXFIL_JSON_H
#define EXFIL_JSON_H

#include <stddef.h>

#include <exfil/buf.h>

int json_str(struct buf *b, const char *s, size_t n);
int json_cstr(struct buf *b, const char *s);

#endif
