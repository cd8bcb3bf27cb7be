/*
 * extract_archive.c - archives and compressed streams with libarchive, read
 * from memory: one item a regular member, encrypted members and archives
 * flagged (see include/exfil/extract.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/extract.h>

#define STOP EXTRACT_STOP

/* what one pass over a container saw */
struct pass {
	unsigned entries; /* headers read */
	bool bad; /* a header could not be read */
	bool encrypted; /* the part was reported encrypted as a whole */
};

/* suffixes of compressed streams, and what the content is then called */
static const char *const suffixes[][2] = {
    {".tgz", ".tar"},
    {".taz", ".tar"},
    {".tbz2", ".tar"},
    {".tbz", ".tar"},
    {".txz", ".tar"},
    {".tlz", ".tar"},
    {".tzst", ".tar"},
    {".gz", ""},
    {".bz2", ""},
    {".xz", ""},
    {".lzma", ""},
    {".lz", ""},
    {".zst", ""},
    {".lz4", ""},
    {".z", ""},
};

/*
 * The name of a compressed stream's content when its header has none
 * (libarchive then says "data"): the part's own name without its suffix.
 */
static const char *
stream_name(struct extract_ctx *x)
{
	const char *base = x->where, *p;
	size_t n, k, i;
	char *s;

	for (p = x->where; *p; p++)
		if (*p == '!' || *p == ':' || *p == '/')
			base = p + 1;
	n = strlen(base);
	for (i = 0; i < EXFIL_ARRAY_LEN(suffixes); i++) {
		k = strlen(suffixes[i][0]);
		if (n > k && strcasecmp(base + n - k, suffixes[i][0]) == 0) {
			s = arena_sprintf(
			    x->a, "%.*s%s", (int)(n - k), base, suffixes[i][1]);
			return s ? s : "data";
		}
	}
	return "data";
}

/*
 * Does the format reader say the archive has encrypted entries? Asked
 * only once a format was chosen: libarchive 3.6 calls through a stale
 * pointer when none was.
 */
static bool
says_encrypted(struct archive *ar)
{
	return archive_format(ar) != 0 &&
	    archive_read_has_encrypted_entries(ar) > 0;
}

/* the part as a whole is encrypted: one item that says so */
static int
whole_encrypted(struct extract_ctx *x, struct pass *ps)
{
	struct extract_item it;

	if (ps->encrypted)
		return 0;
	ps->encrypted = true;
	memset(&it, 0, sizeof(it));
	if ((it.where = arena_strdup(x->a, x->where)) == NULL)
		return EXFIL_ENOMEM;
	it.encrypted = true;
	return extract_emit(x, &it);
}

/* one regular member: its bytes, or the fact that it is encrypted */
static int
one_member(struct extract_ctx *x, struct archive *ar, struct archive_entry *e,
    enum extract_kind kind)
{
	struct extract_item it;
	enum extract_read how;
	const char *path;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!extract_room(x))
		return STOP;
	if ((path = archive_entry_pathname_utf8(e)) == NULL &&
	    (path = archive_entry_pathname(e)) == NULL)
		path = "";
	if (kind == XK_RAW && (path[0] == '\0' || strcmp(path, "data") == 0))
		path = stream_name(x);
	memset(&it, 0, sizeof(it));
	if ((it.where = extract_where(x, path, strlen(path), &it.name)) == NULL)
		return EXFIL_ENOMEM;
	if (archive_entry_is_encrypted(e)) {
		/* libarchive skips its data at the next header */
		it.encrypted = true;
		return extract_emit(x, &it);
	}
	if ((rc = extract_read_data(x, ar, &data, &len, &how)) < 0)
		return rc;
	if (how == XR_ERROR) {
		if (archive_entry_is_encrypted(e) || says_encrypted(ar))
			it.encrypted = true;
		else
			x->st->flags |= EXTRACT_F_UNREADABLE;
	}
	it.data = data;
	it.len = len;
	it.truncated = how != XR_OK;
	rc = extract_emit(x, &it);
	free(data);
	/* the next header would decompress the rest of this member to
	 * skip it: a bomb's rest is never skipped that way */
	if (rc == 0 && how != XR_OK && !x->cheap_skip)
		rc = STOP;
	return rc;
}

/* one pass over the container: every regular member in order */
static int
read_members(struct extract_ctx *x, enum extract_kind kind, struct pass *ps)
{
	struct archive_entry *e;
	struct archive *ar;
	enum extract_next next;
	unsigned long n = 0;
	int rc = 0;

	if ((ar = extract_open(x, kind)) == NULL)
		return EXFIL_ENOMEM;
	while ((next = extract_next_header(x, ar, &e, &n)) != XN_END) {
		if (next != XN_ENTRY) {
			/* 7z with encrypted headers says so here */
			if (says_encrypted(ar)) {
				if ((rc = whole_encrypted(x, ps)) < 0)
					break;
			} else {
				ps->bad = true;
			}
			if (next == XN_FATAL)
				break;
			continue;
		}
		ps->entries++;
		if (archive_entry_filetype(e) != AE_IFREG) {
			/* a directory or a device may claim data too */
			if (!extract_drain(x, ar))
				break;
			continue;
		}
		if ((rc = one_member(x, ar, e, kind)) != 0)
			break;
	}
	archive_read_free(ar);
	return rc == STOP ? 0 : rc;
}

/* is this zip an Office Open XML or OpenDocument file? */
static enum extract_kind
office_kind(struct extract_ctx *x)
{
	const unsigned long max_headers = extract_max_headers(x);
	bool types = false, main = false, mimetype = false, content = false;
	struct archive_entry *e;
	struct archive *ar;
	const char *p;
	unsigned long n;
	int r;

	if ((ar = extract_open(x, XK_ZIP)) == NULL)
		return 0;
	/* a zip without a central directory streams: to look at every
	 * name means to decompress every member, so it is not looked at */
	for (n = 0; x->cheap_skip && n < max_headers; n++) {
		if ((r = archive_read_next_header(ar, &e)) == ARCHIVE_EOF ||
		    r == ARCHIVE_FATAL)
			break;
		if (r < ARCHIVE_WARN || (p = archive_entry_pathname(e)) == NULL)
			continue;
		if (strcasecmp(p, "[Content_Types].xml") == 0)
			types = true;
		else if (strcasecmp(p, "word/document.xml") == 0 ||
		    strcasecmp(p, "xl/workbook.xml") == 0 ||
		    strcasecmp(p, "ppt/presentation.xml") == 0)
			main = true;
		else if (strcmp(p, "mimetype") == 0)
			mimetype = true;
		else if (strcmp(p, "content.xml") == 0)
			content = true;
	}
	archive_read_free(ar);
	return types && main ? XK_OOXML : mimetype && content ? XK_ODF : 0;
}

/* extract_archive - the members of an archive or a compressed stream */
int
extract_archive(struct extract_ctx *x, enum extract_kind kind)
{
	enum extract_kind office;
	struct pass ps = {0};
	int rc;

	if (kind == XK_ZIP && (office = office_kind(x)) != 0)
		return extract_office(x, office);
	rc = read_members(x, kind, &ps);
	if (rc == 0 && kind == XK_STREAM && ps.entries == 0 && !ps.encrypted) {
		/* no tar or cpio inside (or one that says nothing, such as
		 * a stream that starts with zeros): the content is one file */
		memset(&ps, 0, sizeof(ps));
		rc = read_members(x, XK_RAW, &ps);
	}
	if (ps.bad)
		x->st->flags |= EXTRACT_F_UNREADABLE;
	return rc;
}
