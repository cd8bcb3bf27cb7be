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
bool filetype_mismatch(const char *type, const char *name,
    const char *declared, char *why, size_t whylen);
 *	bool filetype_mismatch(const char *type, const char *name,
 *	    const char *declared, char *why, size_t whylen);
 * DESCRIPTION
 *	libmagic's database is loaded once into a small pool of handles that
 *	threads borrow (a magic_t is not thread-safe and magic_load costs
 *	milliseconds). filetype_detect() looks at the first FILETYPE_PEEK
 *	bytes and returns the MIME type ("application/pdf"), never trusting
 *	a name or a declared type.
 *	filetype_mismatch() says whether a part whose true type is type
 *	claims, by its file name's extension or by its declared type, to be
 *	something it is not, in a way that changes how it must be read: a
 *	true type that is an Office document (Open XML, OpenDocument, OLE2,
 *	a password-protected one), an archive or compressed stream, a PDF or
 *	an executable, under a name or declared type of another of those
 *	kinds or of a harmless one (text, image, audio, video, web page).
 *	An Office file and an archive do not contradict each other (Open
 *	XML is a zip). A name without a known extension, a declared type
 *	of application/octet-stream, any text/ type or anything else not in
 *	the tables claims nothing; so a CSV file declared as text/csv,
 *	application/vnd.ms-excel or application/octet-stream is never a
 *	mismatch, and neither is a true type of text, image or media. When
 *	it is a mismatch, why gets a short description for the report
 *	("application/zip named .pdf", "application/pdf declared
 *	image/jpeg"), cut to whylen. Pure: no libmagic, no allocation.
 * RETURN VALUE
 *	filetype_init: 0 or EXFIL_EIO (database missing). filetype_detect:
 *	the type, "application/octet-stream" when libmagic cannot tell, or
 *	NULL when out of memory.
 */
#ifndef EXFIL_FILETYPE_H
#define EXFIL_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

#define FILETYPE_PEEK (1024 * 1024)

int filetype_init(unsigned handles);
const char *filetype_detect(struct arena *a, const void *p, size_t n);
void filetype_fini(void);
bool filetype_mismatch(const char *type, const char *name, const char *declared,
    char *why, size_t whylen);

#endif
