/*
 * extract_fuzz.c - libFuzzer target: one attachment through extract(3),
 * typed as a zip, as a Word document, as an OpenDocument text, as a
 * 7z, gzip and tar archive, as an OLE2 compound file, as RTF and (with poppler and
 * libytnef) as a PDF and a TNEF stream, with members that look like zip,
 * 7z, gzip, OLE2, PDF or TNEF read again (by their magic bytes, not libmagic, to stay fast). Small
 * limits keep each run short; the limits themselves are under test too.
 *
 * Built as a fuzzer with ./configure --enable-fuzzing (clang), and always
 * as a replay program (replay.c) that make check runs over the seeds.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/extract.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz {
	struct arena *a;
	struct extract_limits lim;
	struct extract_state st;
};

/* the type of a member, from its first bytes */
static const char *
sniff(const char *p, size_t n)
{
	if (n >= 4 && memcmp(p, "PK\003\004", 4) == 0)
		return "application/zip";
	if (n >= 6 && memcmp(p, "7z\274\257\047\034", 6) == 0)
		return "application/x-7z-compressed";
	if (n >= 2 && memcmp(p, "\037\213", 2) == 0)
		return "application/gzip";
	if (n >= 8 && memcmp(p, "\320\317\021\340\241\261\032\341", 8) == 0)
		return "application/x-ole-storage";
	if (n >= 5 && memcmp(p, "{\\rtf", 5) == 0)
		return "text/rtf";
#ifdef HAVE_POPPLER
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
#endif
#ifdef HAVE_YTNEF
	if (n >= 4 && memcmp(p, "\x78\x9f\x3e\x22", 4) == 0)
		return "application/vnd.ms-tnef";
#endif
	return NULL;
}

static int
on_item(const struct extract_item *it, void *arg)
{
	struct fuzz *f = arg;
	const char *type;
	size_t i;
	unsigned h = 0;
	int rc;

	/* touch every byte, as a scanner would */
	for (i = 0; i < it->len; i++)
		h = h * 31 + (unsigned char)it->data[i];
	if (it->data[it->len] != '\0' || (it->where && h == 1))
		return 0;
	if (it->is_text || it->encrypted ||
	    (type = sniff(it->data, it->len)) == NULL)
		return 0;
	rc = extract(f->a, type, it->where, it->data, it->len, it->depth,
	    &f->lim, &f->st, on_item, f);
	return rc < 0 ? rc : 0; /* EXTRACT_NONE: an unreadable PDF */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
	    "application/zip",
	    ("application/vnd.openxmlformats-officedocument."
	     "wordprocessingml.document"),
	    "application/vnd.oasis.opendocument.text",
	    "application/x-7z-compressed",
	    "application/gzip",
	    "application/x-tar",
	    "application/x-ole-storage",
	    "text/rtf",
#ifdef HAVE_POPPLER
	    "application/pdf",
#endif
#ifdef HAVE_YTNEF
	    "application/vnd.ms-tnef",
#endif
	};
	struct fuzz f;
	size_t i;

	extract_init();
	/* S/MIME and PGP sniffing reads the bytes too */
	(void)extract_encrypted(
	    "application/octet-stream", (const char *)data, size);
	(void)extract_encrypted("text/plain", (const char *)data, size);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&f, 0, sizeof(f));
		if ((f.a = arena_new()) == NULL)
			return 0;
		f.lim.max_depth = 3;
		f.lim.max_members = 64;
		f.lim.max_expanded = 8 * 1024 * 1024;
		f.lim.max_ratio = 100;
		f.lim.max_text = 256 * 1024;
		(void)extract(f.a, types[i], "attachment:fuzz",
		    (const char *)data, size, 0, &f.lim, &f.st, on_item, &f);
		arena_free(f.a);
	}
	return 0;
}
