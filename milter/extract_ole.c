/*
 * extract_ole.c - OLE2 compound files with libgsf: legacy Word, Excel and
 * PowerPoint documents, Outlook .msg items and any other compound file
 * (see include/exfil/extract.h). Each stream gives its text: the strings of
 * an Outlook item as they are, the printable runs of any other stream;
 * a stream that holds a file (a zip, a PDF, an OLE2 file, RTF) and the
 * attachments of an Outlook item are members for the caller to type.
 * Password protection (Office's EncryptionInfo/EncryptedPackage, Word's
 * fEncrypted bit, Excel's FILEPASS record, PowerPoint's EncryptedSummary)
 * makes the whole part one encrypted item.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-utils.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>

#define MAX_LEVEL 16 /* storages nested deeper are not walked */
#define CHUNK 65536
#define MSG_STRING "__substg1.0_" /* an Outlook property stream */
#define MSG_ATTACH "__attach_version1.0_"

/* libgsf's complaints about a hostile file are no news: not on stderr */
static void
quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer arg)
{
	(void)domain, (void)level, (void)msg, (void)arg;
}

/* gsf_init, once (extract_init() calls it) */
void
extract_ole_init(void)
{
	const GLogLevelFlags levels = G_LOG_LEVEL_CRITICAL |
	    G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
	    G_LOG_LEVEL_DEBUG;

	gsf_init();
	g_log_set_handler("libgsf:msole", levels, quiet, NULL);
	g_log_set_handler("libgsf", levels, quiet, NULL);
	/* some of libgsf's readers log without a domain (the fuzzer showed
	 * "Unable to get child ... insufficient blocks" on stderr) */
	g_log_set_handler(NULL, levels, quiet, NULL);
}

/*
 * A stream's bytes, within the tree's expanded budget; *data is the
 * caller's to free with buf_free(). Returns false when the budget cut it.
 */
static int
read_stream(struct extract_ctx *x, GsfInput *in, struct buf *b, bool *cut)
{
	gsf_off_t size = gsf_input_size(in);
	size_t left, want;
	guint8 chunk[CHUNK];

	*cut = false;
	while (size > 0) {
		left = x->lim.max_expanded - x->st->expanded;
		if (left == 0) {
			*cut = true;
			x->st->flags |= EXTRACT_F_LIMIT;
			break;
		}
		want = (size_t)size < CHUNK ? (size_t)size : CHUNK;
		if (want > left)
			want = left;
		if (gsf_input_read(in, want, chunk) == NULL) {
			x->st->flags |= EXTRACT_F_UNREADABLE;
			break;
		}
		if (buf_append(b, chunk, want) < 0)
			return EXFIL_ENOMEM;
		x->st->expanded += want;
		size -= (gsf_off_t)want;
	}
	return buf_putc(b, '\0') < 0 ? EXFIL_ENOMEM : 0;
}

/* does a stream hold a file of its own, for the caller to type? */
static bool
holds_file(const char *p, size_t n)
{
	return (n >= 4 && memcmp(p, "PK\003\004", 4) == 0) ||
	    (n >= 5 && memcmp(p, "%PDF-", 5) == 0) ||
	    (n >= 8 && memcmp(p, "\320\317\021\340\241\261\032\341", 8) == 0) ||
	    (n >= 5 && memcmp(p, "{\\rtf", 5) == 0);
}

/* the 4 hex digits of a property type at the end of an Outlook name */
static bool
prop_type(const char *name, const char *type)
{
	size_t n = strlen(name);

	return strncmp(name, MSG_STRING, strlen(MSG_STRING)) == 0 && n >= 8 &&
	    strcasecmp(name + n - 4, type) == 0;
}

static int walk(
    struct extract_ctx *x, GsfInfile *dir, const char *prefix, unsigned level);

/* a cell's number as a person reads it: integers whole (a card number
 * stored as a number is 16 digits, not 4.1111111111111E+15) */
static int
put_number(struct buf *b, double v)
{
	int rc;

	if (v == v && v > -1e17 && v < 1e17 && v == (double)(long long)v)
		rc = buf_printf(b, "%lld\n", (long long)v);
	else
		rc = buf_printf(b, "%.15g\n", v);
	return rc < 0 ? EXFIL_ENOMEM : 0;
}

/* an RK number: 30 bits of a double or of an integer, maybe / 100 */
static double
rk_value(uint32_t rk)
{
	uint64_t bits;
	double v;

	if (rk & 2) {
		v = (double)((int32_t)(rk & 0xfffffffcU) / 4);
	} else {
		bits = (uint64_t)(rk & 0xfffffffcU) << 32;
		memcpy(&v, &bits, sizeof(v));
	}
	return rk & 1 ? v / 100 : v;
}

static uint32_t
le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * The numeric cells of an Excel 97-2003 workbook stream (BIFF8 records
 * NUMBER, RK and MULRK), one a line
 */
static int
biff_numbers(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i, k;
	unsigned type, len;
	uint64_t bits;
	double v;
	int rc = 0;

	for (i = 0; i + 4 <= n && rc == 0; i += 4 + len) {
		type = p[i] | (unsigned)p[i + 1] << 8;
		len = p[i + 2] | (unsigned)p[i + 3] << 8;
		if (len > n - i - 4)
			break;
		if (type == 0x0203 && len >= 14) { /* NUMBER */
			bits =
			    le32(p + i + 10) | (uint64_t)le32(p + i + 14) << 32;
			memcpy(&v, &bits, sizeof(v));
			rc = put_number(b, v);
		} else if (type == 0x027e && len >= 10) { /* RK */
			rc = put_number(b, rk_value(le32(p + i + 10)));
		} else if (type == 0x00bd && len >= 12) { /* MULRK */
			for (k = 4; k + 6 <= (size_t)len - 2 && rc == 0; k += 6)
				rc = put_number(
				    b, rk_value(le32(p + i + 4 + k + 2)));
		}
	}
	return rc;
}

/* one stream: its text, or its bytes as a member */
static int
stream(struct extract_ctx *x, GsfInput *in, const char *path, const char *name,
    const char *attname)
{
	struct buf raw = {0}, txt = {0};
	bool cut;
	int rc;

	if ((rc = read_stream(x, in, &raw, &cut)) < 0)
		goto out;
	raw.len--; /* the NUL */
	if (attname && prop_type(name, "0102") &&
	    strncasecmp(name + strlen(MSG_STRING), "3701", 4) == 0) {
		/* an Outlook attachment's data, named by its file name */
		rc = extract_emit_at(x, attname, raw.p, raw.len, false, cut);
		goto out;
	}
	if (holds_file(raw.p, raw.len)) {
		rc = extract_emit_at(x, path, raw.p, raw.len, false, cut);
		goto out;
	}
	if (prop_type(name, "001F"))
		rc = extract_utf16le(&txt, (unsigned char *)raw.p, raw.len);
	else if (prop_type(name, "001E"))
		rc = extract_latin1(&txt, (unsigned char *)raw.p, raw.len);
	else
		rc = extract_runs(&txt, raw.p, raw.len);
	/* Excel's numbers are binary: written out after the runs */
	if (rc == 0 &&
	    (strcmp(path, "Workbook") == 0 || strcmp(path, "Book") == 0))
		rc = biff_numbers(&txt, (unsigned char *)raw.p, raw.len);
	if (rc == 0 && buf_putc(&txt, '\0') < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0)
		rc = extract_emit_at(x, path, txt.p, txt.len - 1, true, cut);
out:
	buf_free(&raw);
	buf_free(&txt);
	return rc;
}

/*
 * The file name of an Outlook attachment storage (PR_ATTACH_LONG_FILENAME,
 * else PR_ATTACH_FILENAME), as "prefix/NAME", or "prefix/attachment".
 */
static int
attach_name(
    struct extract_ctx *x, GsfInfile *dir, const char *prefix, struct buf *out)
{
	static const char *const names[] = {"__substg1.0_3707001F",
	    "__substg1.0_3704001F", "__substg1.0_3707001E",
	    "__substg1.0_3704001E"};
	struct buf raw = {0};
	GsfInput *in;
	size_t i;
	bool cut;
	int rc = 0;

	for (i = 0; i < EXFIL_ARRAY_LEN(names) && out->len == 0; i++) {
		if ((in = gsf_infile_child_by_name(dir, names[i])) == NULL)
			continue;
		raw.len = 0;
		if ((rc = read_stream(x, in, &raw, &cut)) == 0)
			rc = i < 2 ? extract_utf16le(out,
					 (unsigned char *)raw.p, raw.len - 1)
				   : extract_latin1(out, (unsigned char *)raw.p,
					 raw.len - 1);
		g_object_unref(in);
		if (rc < 0)
			goto out;
	}
	if (rc == 0 && out->len == 0 && buf_puts(out, "attachment") < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0) {
		/* prefix the storage's path */
		struct buf full = {0};

		if (buf_printf(
			&full, "%s/%.*s", prefix, (int)out->len, out->p) < 0 ||
		    buf_putc(&full, '\0') < 0)
			rc = EXFIL_ENOMEM;
		buf_free(out);
		*out = full;
	}
out:
	buf_free(&raw);
	return rc;
}

/* each child of a storage, recursively */
static int
walk(struct extract_ctx *x, GsfInfile *dir, const char *prefix, unsigned level)
{
	struct buf path = {0}, att = {0};
	const char *name, *base = strrchr(prefix, '/');
	GsfInput *child;
	int i, n, rc = 0;

	if (level >= MAX_LEVEL) {
		x->st->flags |= EXTRACT_F_LIMIT;
		return 0;
	}
	/* an Outlook attachment: its data is named by its file name */
	base = base ? base + 1 : prefix;
	if (strncmp(base, MSG_ATTACH, strlen(MSG_ATTACH)) == 0 &&
	    (rc = attach_name(x, dir, prefix, &att)) < 0)
		goto out;
	n = gsf_infile_num_children(dir);
	for (i = 0; i < n && rc == 0; i++) {
		if ((child = gsf_infile_child_by_index(dir, i)) == NULL)
			continue;
		name = gsf_input_name(child) ? gsf_input_name(child) : "?";
		path.len = 0;
		if (buf_printf(&path, "%s%s%s", prefix, *prefix ? "/" : "",
			name) < 0 ||
		    buf_putc(&path, '\0') < 0) {
			rc = EXFIL_ENOMEM;
		} else if (GSF_IS_INFILE(child) &&
		    gsf_infile_num_children(GSF_INFILE(child)) >= 0) {
			rc = walk(x, GSF_INFILE(child), path.p, level + 1);
		} else {
			rc = stream(
			    x, child, path.p, name, att.len ? att.p : NULL);
		}
		g_object_unref(child);
	}
out:
	buf_free(&path);
	buf_free(&att);
	return rc;
}

/* the first bytes of a stream of the root storage, or 0 of them */
static size_t
peek(GsfInfile *ole, const char *name, unsigned char *p, size_t n)
{
	GsfInput *in;
	gsf_off_t size;

	if ((in = gsf_infile_child_by_name(ole, name)) == NULL)
		return 0;
	size = gsf_input_size(in);
	if ((gsf_off_t)n > size)
		n = (size_t)size;
	if (gsf_input_read(in, n, p) == NULL)
		n = 0;
	g_object_unref(in);
	return n;
}

/* is this compound file an Office document saved with a password? */
static bool
encrypted(GsfInfile *ole)
{
	unsigned char p[4096];
	size_t n, i;
	unsigned type, len;
	GsfInput *in;

	/* Office 2007 and later (ECMA-376 agile or standard encryption) */
	if ((in = gsf_infile_child_by_name(ole, "EncryptedPackage")) != NULL) {
		g_object_unref(in);
		return true;
	}
	/* PowerPoint 97-2003 */
	if ((in = gsf_infile_child_by_name(ole, "EncryptedSummary")) != NULL) {
		g_object_unref(in);
		return true;
	}
	/* Word 97-2003: the FIB's fEncrypted bit */
	if ((n = peek(ole, "WordDocument", p, 12)) == 12 && p[0] == 0xec &&
	    p[1] == 0xa5 && (p[11] & 0x01))
		return true;
	/* Excel 97-2003: a FILEPASS record among the first of the stream */
	if ((n = peek(ole, "Workbook", p, sizeof(p))) == 0)
		n = peek(ole, "Book", p, sizeof(p));
	for (i = 0; i + 4 <= n; i += 4 + len) {
		type = p[i] | (unsigned)p[i + 1] << 8;
		len = p[i + 2] | (unsigned)p[i + 3] << 8;
		if (type == 0x002f)
			return true;
		if (type == 0x000a || (i > 0 && type == 0x0809))
			break; /* EOF, or the next substream */
	}
	return false;
}

/*
 * extract_ole - one compound file into items. One that libgsf cannot open
 * gives an unreadable item and EXTRACT_NONE (read as a binary).
 */
int
extract_ole(struct extract_ctx *x)
{
	struct extract_item it;
	GsfInfile *ole = NULL;
	GsfInput *in;
	GError *err = NULL;
	int rc = 0;

	in = gsf_input_memory_new(
	    (const guint8 *)x->data, (gsf_off_t)x->len, FALSE);
	if (in == NULL)
		return EXFIL_ENOMEM;
	if ((ole = gsf_infile_msole_new(in, &err)) == NULL || encrypted(ole)) {
		memset(&it, 0, sizeof(it));
		if ((it.where = arena_strdup(x->a, x->where)) == NULL) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
		it.encrypted = ole != NULL;
		it.unreadable = ole == NULL;
		if (it.unreadable)
			x->st->flags |= EXTRACT_F_UNREADABLE;
		rc = extract_emit(x, &it);
		if (rc == 0 && it.unreadable)
			rc = EXTRACT_NONE;
		goto out;
	}
	if ((rc = walk(x, ole, "", 0)) == EXTRACT_STOP)
		rc = 0;
out:
	if (ole)
		g_object_unref(ole);
	g_object_unref(in);
	if (err)
		g_error_free(err);
	return rc;
}
