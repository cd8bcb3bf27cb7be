/*
 * buf.c - growable byte buffer (see include/exfil/buf.h)
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exfil/buf.h>
#include <exfil/common.h>

/* buf_reserve - make room for extra more bytes plus the NUL */
int
buf_reserve(struct buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return EXFIL_ENOMEM;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap = cap > SIZE_MAX / 2 ? b->len + extra + 1 : cap * 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return EXFIL_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* buf_append - append n bytes */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = buf_reserve(b, n)) < 0)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* buf_puts - append a string */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

/* buf_printf - append formatted text */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return EXFIL_EINTERNAL;
	if ((rc = buf_reserve(b, (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* buf_reset - empty the buffer, keep its memory */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* buf_free - release the buffer's memory */
void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* exfil_write_all - write all n bytes, across short writes and EINTR */
int
exfil_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return EXFIL_EIO;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* buf_read_fd - the rest of fd, appended; one allocation for a file */
int
buf_read_fd(struct buf *b, int fd)
{
	char tmp[16384];
	struct stat st;
	size_t room;
	ssize_t n;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    buf_reserve(b, (size_t)st.st_size) < 0)
		return EXFIL_ENOMEM;
	for (;;) {
		/* into the room there is; past it (or at the end of a file
		 * read whole) through tmp, so that the end costs no growth */
		room = b->cap ? b->cap - b->len - 1 : 0;
		n = room ? read(fd, b->p + b->len, room)
			 : read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return EXFIL_EIO;
		if (n == 0)
			return 0;
		if (room == 0) {
			if (buf_append(b, tmp, (size_t)n) < 0)
				return EXFIL_ENOMEM;
		} else {
			b->len += (size_t)n;
			b->p[b->len] = '\0';
		}
	}
}
