/*
 * extract.c - dispatch by true type, limits, and what the readers share:
 * opening from memory, reading a member in chunks, provenance (see
 * include/exfil/extract.h)
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>

#define CHUNK (64 * 1024) /* bytes asked of libarchive at a time */
#define MAX_PATH_OUT 1024 /* bytes of a member path kept in where */

/* the types extract() reads, as libmagic names them */
static const struct {
	const char *type;
	enum extract_kind kind;
} types[] = {
    {"application/zip", XK_ZIP},
    {"application/x-zip-compressed", XK_ZIP},
    {"application/java-archive", XK_ZIP},
    {"application/x-java-archive", XK_ZIP},
    {"application/vnd.android.package-archive", XK_ZIP},
    {"application/epub+zip", XK_ZIP},
    {"application/x-7z-compressed", XK_7Z},
    {"application/x-tar", XK_TAR},
    {"application/x-gtar", XK_TAR},
    {"application/x-ustar", XK_TAR},
    {"application/x-rar", XK_RAR},
    {"application/x-rar-compressed", XK_RAR},
    {"application/vnd.rar", XK_RAR},
    {"application/vnd.ms-cab-compressed", XK_OTHER},
    {"application/x-cpio", XK_OTHER},
    {"application/x-iso9660-image", XK_OTHER},
    {"application/gzip", XK_STREAM},
    {"application/x-gzip", XK_STREAM},
    {"application/x-bzip2", XK_STREAM},
    {"application/x-xz", XK_STREAM},
    {"application/x-lzma", XK_STREAM},
    {"application/x-lzip", XK_STREAM},
    {"application/x-compress", XK_STREAM},
    {"application/zstd", XK_STREAM},
    {"application/x-zstd", XK_STREAM},
    {"application/x-lz4", XK_STREAM},
    {"application/encrypted", XK_ENCRYPTED},
    {"application/msword", XK_OLE},
    {"application/vnd.ms-excel", XK_OLE},
    {"application/vnd.ms-powerpoint", XK_OLE},
    {"application/vnd.ms-outlook", XK_OLE},
    {"application/vnd.ms-office", XK_OLE},
    {"application/vnd.visio", XK_OLE},
    {"application/x-ole-storage", XK_OLE},
    {"text/rtf", XK_RTF},
    {"application/rtf", XK_RTF},
    {"application/cdfv2", XK_OLE},
#ifdef HAVE_POPPLER
    {"application/pdf", XK_PDF},
#endif
#ifdef HAVE_YTNEF
    {"application/vnd.ms-tnef", XK_TNEF},
    {"application/ms-tnef", XK_TNEF},
#endif
};

/* compression filters built into libarchive (never an external program) */
typedef int filter_fn(struct archive *);
static filter_fn *const filters[] = {
    archive_read_support_filter_gzip,
    archive_read_support_filter_bzip2,
    archive_read_support_filter_xz,
    archive_read_support_filter_lzma,
    archive_read_support_filter_lzip,
    archive_read_support_filter_compress,
    archive_read_support_filter_zstd,
    archive_read_support_filter_lz4,
};
static bool native[EXFIL_ARRAY_LEN(filters)];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_once(void)
{
	struct archive *ar;
	size_t i;

	xmlInitParser();
	extract_ole_init();
	for (i = 0; i < EXFIL_ARRAY_LEN(filters); i++) {
		/* ARCHIVE_WARN: libarchive would run an external program */
		if ((ar = archive_read_new()) == NULL)
			continue;
		native[i] = filters[i](ar) == ARCHIVE_OK;
		archive_read_free(ar);
	}
}

/* extract_init - initialise libxml2 and probe libarchive, once */
void
extract_init(void)
{
	pthread_once(&once, init_once);
}

static enum extract_kind
kind_of(const char *type)
{
	size_t i;

	if (type == NULL)
		return 0;
	for (i = 0; i < EXFIL_ARRAY_LEN(types); i++)
		if (strcasecmp(type, types[i].type) == 0)
			return types[i].kind;
	if (strncasecmp(type, "application/vnd.openxmlformats-officedocument.",
		46) == 0)
		return XK_OOXML;
	/* Word, Excel and PowerPoint macro-enabled and binary variants */
	if (strncasecmp(type, "application/vnd.ms-", 19) == 0 &&
	    strcasestr(type, "macroenabled") != NULL)
		return XK_OOXML;
	if (strncasecmp(type, "application/vnd.oasis.opendocument.", 35) == 0 ||
	    strncasecmp(type, "application/vnd.sun.xml.", 24) == 0)
		return XK_ODF;
	return 0;
}

/* extract_handles - does extract() read this type? */
bool
extract_handles(const char *type)
{
	return kind_of(type) != 0;
}

/* extract_room - may one more item be read from this container? */
bool
extract_room(struct extract_ctx *x)
{
	unsigned long tree =
	    (unsigned long)x->lim.max_members * EXTRACT_TREE_MEMBERS;

	if (x->items >= x->lim.max_members || x->st->members >= tree ||
	    x->st->expanded >= x->lim.max_expanded) {
		x->st->flags |= EXTRACT_F_LIMIT;
		return false;
	}
	return true;
}

/*
 * Will libarchive read this zip by its central directory? It does when the
 * last end-of-central-directory record in the last 16 KiB passes the
 * checks below (libarchive 3.4 and later, the seekable zip bidder); then
 * the rest of a member is skipped by a seek. Else it streams, and to skip
 * a member means to decompress it: a bomb's rest must never be skipped.
 */
static bool
zip_seekable(const char *p, size_t n)
{
	const unsigned char *e;
	size_t start = n > 16 * 1024 ? n - 16 * 1024 : 0, i;
	unsigned long cdsize, cdoff;

	if (n < 22)
		return false;
	for (i = n - 22; i > start; i--) {
		if (memcmp(p + i, "PK\005\006", 4) != 0)
			continue;
		if (i - start >= 20 && memcmp(p + i - 20, "PK\006\007", 4) == 0)
			return false; /* zip64: not sure, so no */
		e = (const unsigned char *)p + i;
		cdsize = (unsigned long)e[12] | (unsigned long)e[13] << 8 |
		    (unsigned long)e[14] << 16 | (unsigned long)e[15] << 24;
		cdoff = (unsigned long)e[16] | (unsigned long)e[17] << 8 |
		    (unsigned long)e[18] << 16 | (unsigned long)e[19] << 24;
		return e[4] == 0 && e[5] == 0 && e[6] == 0 && e[7] == 0 &&
		    e[8] == e[10] && e[9] == e[11] && cdoff + cdsize <= i;
	}
	return false;
}

/* extract_open - a libarchive reader over the part, for its kind */
struct archive *
extract_open(struct extract_ctx *x, enum extract_kind kind)
{
	struct archive *ar;
	size_t i;
	int r = ARCHIVE_OK;

	if ((ar = archive_read_new()) == NULL)
		return NULL;
	x->cheap_skip = false;
	switch (kind) {
	case XK_ZIP:
	case XK_OOXML:
	case XK_ODF:
		x->cheap_skip = zip_seekable(x->data, x->len);
		r = archive_read_support_format_zip(ar);
		break;
	case XK_7Z:
		r = archive_read_support_format_7zip(ar);
		break;
	case XK_TAR:
		x->cheap_skip = true; /* no filter: a skip is a seek */
		r = archive_read_support_format_tar(ar);
		break;
	case XK_RAR:
		if ((r = archive_read_support_format_rar(ar)) == ARCHIVE_OK)
			r = archive_read_support_format_rar5(ar);
		break;
	case XK_OTHER:
		if ((r = archive_read_support_format_cab(ar)) == ARCHIVE_OK &&
		    (r = archive_read_support_format_cpio(ar)) == ARCHIVE_OK)
			r = archive_read_support_format_iso9660(ar);
		break;
	case XK_STREAM:
	case XK_RAW:
		/* a compressed stream holds a tar, a cpio, or one file (the
		 * raw format, the reader's second try) */
		for (i = 0; i < EXFIL_ARRAY_LEN(filters); i++)
			if (native[i] && r == ARCHIVE_OK)
				r = filters[i](ar);
		if (r == ARCHIVE_OK && kind == XK_RAW)
			r = archive_read_support_format_raw(ar);
		else if (r == ARCHIVE_OK &&
		    (r = archive_read_support_format_tar(ar)) == ARCHIVE_OK)
			r = archive_read_support_format_cpio(ar);
		break;
	default:
		r = ARCHIVE_FATAL;
		break;
	}
	if (r != ARCHIVE_OK) {
		archive_read_free(ar);
		return NULL;
	}
	/* a part that is no archive fails here or at its first header:
	 * the reader reports it then */
	(void)archive_read_open_memory(ar, x->data, x->len);
	return ar;
}

/* has the member expanded too far for the bytes it came from? */
static bool
ratio_exceeded(struct extract_ctx *x, struct archive *ar, la_int64_t in0,
    size_t out, bool solid)
{
	unsigned long long in;
	la_int64_t now;

	if (x->lim.max_ratio == UINT_MAX || out <= EXTRACT_RATIO_FLOOR)
		return false;
	now = archive_filter_bytes(ar, -1);
	/* solid archives (7z, rar) and seeks back make the bytes read for
	 * one member meaningless: the whole part stands for them then */
	if (solid || now <= in0)
		in = x->len;
	else
		in = (unsigned long long)(now - in0);
	if (in == 0)
		in = 1;
	return out / x->lim.max_ratio >= in;
}

/*
 * extract_read_data - the current member's bytes, read in chunks and never
 * beyond the tree's expanded budget or the ratio limit; *data is the
 * caller's to free (NUL-terminated), even when *how is not XR_OK.
 */
int
extract_read_data(struct extract_ctx *x, struct archive *ar, char **data,
    size_t *len, enum extract_read *how)
{
	const int fmt = archive_format(ar) & ARCHIVE_FORMAT_BASE_MASK;
	const bool solid = fmt == ARCHIVE_FORMAT_7ZIP ||
	    fmt == ARCHIVE_FORMAT_RAR || fmt == ARCHIVE_FORMAT_RAR_V5;
	la_int64_t in0 = archive_filter_bytes(ar, -1);
	size_t n = 0, cap = 0, left, want, ncap;
	la_ssize_t r;
	char *p = NULL, *np, probe;
	int rc = 0;

	*how = XR_OK;
	for (;;) {
		left = x->lim.max_expanded - x->st->expanded;
		if (left == 0) {
			/* is there more than the budget allowed? */
			if ((r = archive_read_data(ar, &probe, 1)) > 0)
				*how = XR_LIMIT;
			else if (r < 0)
				*how = XR_ERROR;
			break;
		}
		want = left < CHUNK ? left : CHUNK;
		if (cap - n < want + 1) {
			/* grow by doubling, never past the budget */
			ncap = cap ? cap * 2 : CHUNK + 1;
			if (ncap < n + want + 1)
				ncap = n + want + 1;
			if (ncap > n + left + 1)
				ncap = n + left + 1;
			if ((np = realloc(p, ncap)) == NULL) {
				rc = EXFIL_ENOMEM;
				goto out;
			}
			p = np;
			cap = ncap;
		}
		if ((r = archive_read_data(ar, p + n, want)) == 0)
			break;
		if (r < 0) {
			*how = XR_ERROR;
			break;
		}
		n += (size_t)r;
		x->st->expanded += (size_t)r;
		if (ratio_exceeded(x, ar, in0, n, solid)) {
			*how = XR_LIMIT;
			break;
		}
	}
	if (*how == XR_LIMIT)
		x->st->flags |= EXTRACT_F_LIMIT;
	if (p == NULL && (p = malloc(1)) == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	p = NULL;
out:
	free(p);
	return rc;
}

/*
 * extract_drain - read the rest of the current member and throw it away,
 * as the next header would, but within the budget and the ratio: in a
 * compressed stream or a solid archive skipping means decompressing.
 * Returns false when a limit or an error stopped it (the flag is set on a
 * limit): the container must end then.
 */
bool
extract_drain(struct extract_ctx *x, struct archive *ar)
{
	const int fmt = archive_format(ar) & ARCHIVE_FORMAT_BASE_MASK;
	const bool solid = fmt == ARCHIVE_FORMAT_7ZIP ||
	    fmt == ARCHIVE_FORMAT_RAR || fmt == ARCHIVE_FORMAT_RAR_V5;
	la_int64_t in0 = archive_filter_bytes(ar, -1);
	size_t n = 0, left, want;
	char scratch[16 * 1024];
	la_ssize_t r;

	if (x->cheap_skip)
		return true;
	for (;;) {
		left = x->lim.max_expanded - x->st->expanded;
		want = left < sizeof(scratch) ? left : sizeof(scratch);
		if ((r = archive_read_data(ar, scratch, want ? want : 1)) == 0)
			return true;
		if (r < 0)
			return false;
		if (left == 0 ||
		    ratio_exceeded(x, ar, in0, n + (size_t)r, solid)) {
			x->st->flags |= EXTRACT_F_LIMIT;
			return false;
		}
		n += (size_t)r;
		x->st->expanded += (size_t)r;
	}
}

/* length of the valid UTF-8 sequence at s (n bytes left), or 0 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, surrogate, beyond U+10FFFF */
	return k;
}

/*
 * extract_where - the provenance of a member: the part's where, "!", and
 * the path cleaned (see extract(3)); *name points at the path in it.
 */
const char *
extract_where(
    struct extract_ctx *x, const char *path, size_t pathlen, const char **name)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t plen = strlen(x->where), i = 0, o, k;
	char *w;

	/* leading "/" and "./" say nothing about the member */
	while (i < pathlen &&
	    (s[i] == '/' ||
		(s[i] == '.' && i + 1 < pathlen && s[i + 1] == '/')))
		i += s[i] == '/' ? 1 : 2;
	/* at most 2 bytes out for each byte in, and at most MAX_PATH_OUT
	 * and one character */
	k = pathlen - i < MAX_PATH_OUT / 2 ? 2 * (pathlen - i)
					   : MAX_PATH_OUT + 4;
	if ((w = arena_alloc(x->a, plen + 1 + k + 2)) == NULL)
		return NULL;
	memcpy(w, x->where, plen);
	w[plen] = '!';
	o = plen + 1;
	for (; i < pathlen && o - plen - 1 < MAX_PATH_OUT; i += k) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			w[o++] = '?';
			k = 1;
		} else if ((k = utf8_len(s + i, pathlen - i)) > 0) {
			memcpy(w + o, s + i, k);
			o += k;
		} else {
			/* not UTF-8: read the byte as Latin-1 */
			w[o++] = (char)(0xc0 | (s[i] >> 6));
			w[o++] = (char)(0x80 | (s[i] & 0x3f));
			k = 1;
		}
	}
	if (o == plen + 1)
		w[o++] = '?';
	w[o] = '\0';
	if (name)
		*name = w + plen + 1;
	return w;
}

/* extract_emit - give one item to the caller */
int
extract_emit(struct extract_ctx *x, struct extract_item *it)
{
	x->items++;
	x->st->members++;
	it->depth = x->depth + 1;
	if (it->encrypted)
		x->st->flags |= EXTRACT_F_ENCRYPTED;
	if (it->data == NULL) {
		it->data = "";
		it->len = 0;
	}
	return x->fn(it, x->arg);
}

/*
 * extract_emit_at - one item at path (see extract_where()): text, cut to
 * max_text (a NUL is written there: data is the caller's buffer), or a
 * member's bytes. Empty text gives nothing. EXTRACT_STOP when the
 * container has no room left.
 */
int
extract_emit_at(struct extract_ctx *x, const char *path, char *data, size_t len,
    bool is_text, bool truncated)
{
	struct extract_item it;

	if (is_text && len == 0)
		return 0;
	if (!extract_room(x))
		return EXTRACT_STOP;
	memset(&it, 0, sizeof(it));
	if ((it.where = extract_where(x, path, strlen(path), &it.name)) == NULL)
		return EXFIL_ENOMEM;
	if (is_text && len > x->lim.max_text) {
		len = x->lim.max_text;
		data[len] = '\0';
		truncated = true;
		x->st->flags |= EXTRACT_F_LIMIT;
	}
	it.data = data;
	it.len = len;
	it.is_text = is_text;
	it.truncated = truncated;
	return extract_emit(x, &it);
}

/* extract - one part into items (see extract(3)) */
int
extract(struct arena *a, const char *type, const char *where, const char *data,
    size_t len, unsigned depth, const struct extract_limits *lim,
    struct extract_state *st, extract_fn *fn, void *arg)
{
	struct extract_state local = {0};
	enum extract_kind kind;
	struct extract_ctx x;
	struct extract_item it;

	if ((kind = kind_of(type)) == 0)
		return EXTRACT_NONE;
	if (st == NULL)
		st = &local; /* a tree of one part */
	extract_init();
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.st = st;
	x.where = where ? where : "";
	x.data = data ? data : "";
	x.len = data ? len : 0;
	x.depth = depth;
	x.fn = fn;
	x.arg = arg;
	x.lim.max_depth =
	    lim && lim->max_depth ? lim->max_depth : EXTRACT_DEFAULT_MAX_DEPTH;
	x.lim.max_members = lim && lim->max_members
	    ? lim->max_members
	    : EXTRACT_DEFAULT_MAX_MEMBERS;
	x.lim.max_expanded = lim && lim->max_expanded
	    ? lim->max_expanded
	    : EXTRACT_DEFAULT_MAX_EXPANDED;
	x.lim.max_ratio =
	    lim && lim->max_ratio ? lim->max_ratio : EXTRACT_DEFAULT_MAX_RATIO;
	x.lim.max_text =
	    lim && lim->max_text ? lim->max_text : EXTRACT_DEFAULT_MAX_TEXT;
	x.lim.deadline = lim ? lim->deadline : 0;
	if (st->expanded > x.lim.max_expanded)
		st->expanded = x.lim.max_expanded;

	if (kind == XK_ENCRYPTED) {
		/* an OLE2 container holding EncryptionInfo and
		 * EncryptedPackage: an Office file saved with a password */
		memset(&it, 0, sizeof(it));
		if ((it.where = arena_strdup(a, x.where)) == NULL)
			return EXFIL_ENOMEM;
		it.encrypted = true;
		return extract_emit(&x, &it);
	}
	if (depth >= x.lim.max_depth) {
		st->flags |= EXTRACT_F_LIMIT;
		return 0;
	}
	if (!extract_room(&x))
		return 0;
	if (kind == XK_OOXML || kind == XK_ODF)
		return extract_office(&x, kind);
	if (kind == XK_OLE)
		return extract_ole(&x);
	if (kind == XK_RTF)
		return extract_rtf(&x);
#ifdef HAVE_YTNEF
	if (kind == XK_TNEF)
		return extract_tnef(&x);
#endif
#ifdef HAVE_POPPLER
	if (kind == XK_PDF)
		return extract_pdf(&x);
#endif
	return extract_archive(&x, kind);
}

/*
 * extract_max_headers - headers read from one container at most:
 * directories, links and retries count too, so no loop is endless
 */
unsigned long
extract_max_headers(const struct extract_ctx *x)
{
	return x->lim.max_members * 4UL + 64;
}

/* extract_next_header - the next header, within the header budget */
enum extract_next
extract_next_header(struct extract_ctx *x, struct archive *ar,
    struct archive_entry **e, unsigned long *n)
{
	int r;

	for (;;) {
		if ((*n)++ >= extract_max_headers(x)) {
			x->st->flags |= EXTRACT_F_LIMIT;
			return XN_END;
		}
		if ((r = archive_read_next_header(ar, e)) == ARCHIVE_EOF)
			return XN_END;
		if (r == ARCHIVE_RETRY)
			continue;
		if (r == ARCHIVE_FATAL)
			return XN_FATAL;
		return r < ARCHIVE_WARN ? XN_BAD : XN_ENTRY;
	}
}

/*
 * extract_runs - the printable runs of a binary: ASCII runs and UTF-16LE
 * (or UTF-16BE) runs of at least 8 characters, one a line, appended to b,
 * so that a token hidden in a binary is seen
 */
int
extract_runs(struct buf *b, const char *p, size_t n)
{
	size_t i = 0, s, k;

	while (i < n) {
		/* UTF-16LE run: printable byte, then NUL (tried first: its
		 * first character is also a one-byte ASCII run) */
		k = 0;
		s = i;
		while (i + 1 < n && (unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f && p[i + 1] == '\0')
			i += 2, k++;
		/* UTF-16BE run: NUL, then printable byte */
		if (k < 8) {
			i = s;
			k = 0;
			while (i + 1 < n && p[i] == '\0' &&
			    (unsigned char)p[i + 1] >= 0x20 &&
			    (unsigned char)p[i + 1] < 0x7f)
				i += 2, k++;
			if (k >= 8)
				s++; /* the printable bytes are the odd ones */
		}
		if (k >= 8) {
			for (; s < i; s += 2)
				if (buf_putc(b, p[s]) < 0)
					return EXFIL_ENOMEM;
			if (buf_putc(b, '\n') < 0)
				return EXFIL_ENOMEM;
			continue;
		}
		/* ASCII run */
		i = s;
		while (i < n && (unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f)
			i++;
		if (i - s >= 8 &&
		    (buf_append(b, p + s, i - s) < 0 || buf_putc(b, '\n') < 0))
			return EXFIL_ENOMEM;
		if (i == s)
			i++;
	}
	return 0;
}

/* extract_put_cp - one code point as UTF-8 (U+FFFD for what is none) */
int
extract_put_cp(struct buf *o, unsigned long c)
{
	char u[4];
	size_t k;

	if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		c = 0xfffd;
	if (c < 0x80) {
		u[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	return buf_append(o, u, k) < 0 ? EXFIL_ENOMEM : 0;
}

/* extract_utf16le - UTF-16LE to UTF-8, NULs dropped */
int
extract_utf16le(struct buf *o, const unsigned char *p, size_t n)
{
	unsigned long c, d;
	size_t i;
	int rc = 0;

	for (i = 0; i + 1 < n && rc == 0; i += 2) {
		c = p[i] | (unsigned long)p[i + 1] << 8;
		if (c == 0)
			continue;
		if (c >= 0xd800 && c < 0xdc00 && i + 3 < n &&
		    (d = p[i + 2] | (unsigned long)p[i + 3] << 8) >= 0xdc00 &&
		    d < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
			i += 2;
		}
		rc = extract_put_cp(o, c);
	}
	return rc;
}

/* extract_latin1 - 8-bit text read as Latin-1, to UTF-8, NULs dropped */
int
extract_latin1(struct buf *o, const unsigned char *p, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		if (p[i] != 0)
			rc = extract_put_cp(o, p[i]);
	return rc;
}

/* extract_now_ms - CLOCK_MONOTONIC in milliseconds, as deadlines are */
double
extract_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
