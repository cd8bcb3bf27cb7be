/*
 * NAME
 *	buf - a growable byte buffer on the heap
 * SYNOPSIS
 *	#include <exfil/buf.h>
 *
 *	int buf_append(struct buf *b, const void *p, size_t n);
 * DESCRIPTION
 *	For output that is built piece by piece (JSON, reports, the body
 *	held in memory). The bytes are always followed by a NUL that is not
 *	counted in len. A zeroed struct buf is an empty buffer.
 * RETURN VALUE
 *	0 or EXFIL_ENOMEM.
 * OWNERSHIP
 *	The caller owns b->p and releases it with buf_free().
 */
#ifndef EXFIL_BUF_H
#define EXFIL_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* buf_read_fd - append all that can be read from fd (to its end): 0,
 * EXFIL_EIO (errno says why) or EXFIL_ENOMEM */
int buf_read_fd(struct buf *b, int fd);
void buf_free(struct buf *b);

#endif
