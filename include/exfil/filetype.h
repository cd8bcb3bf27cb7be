/*
 * NAME
 *	filetype - libmagic: bytes in, canonical MIME type out
 * SYNOPSIS
 *	#include <exfil/filetype.h>
 *
 *	int filetype_init(unsigned handles);
 *	const char *filetype_detect(struct arena *a, const void *p,
 *	    size_t n);
 *	void filetype_fini(void);
 * DESCRIPTION
 *	libmagic's database is loaded once into a small pool of handles that
 *	threads borrow (a magic_t is not thread-safe and magic_load costs
 *	milliseconds). filetype_detect() looks at the first FILETYPE_PEEK
 *	bytes and returns the MIME type ("application/pdf"), never trusting
 *	a name or a declared type.
 * RETURN VALUE
 *	filetype_init: 0 or EXFIL_EIO (database missing). filetype_detect:
 *	the type, "application/octet-stream" when libmagic cannot tell, or
 *	NULL when out of memory.
 */
#ifndef EXFIL_FILETYPE_H
#define EXFIL_FILETYPE_H

#include <stddef.h>

struct arena;

#define FILETYPE_PEEK (1024 * 1024)

int filetype_init(unsigned handles);
const char *filetype_detect(struct arena *a, const void *p, size_t n);
void filetype_fini(void);

#endif
