/*
 * extract_pdf.c - PDF with poppler-glib: the text of every page and of its
 * annotations, the document information, the XMP metadata and the files
 * attached to the document (see include/exfil/extract.h). Built only with
 * poppler (./configure --without-poppler leaves it out).
 *
 * Poppler is not thread-safe in every call (its global parameters, font
 * caches): every poppler call here runs under one lock, which is released
 * while the caller scans an item, so that one thread's PDF never waits for
 * another's scan and a PDF attached to a PDF can be read.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <poppler.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct pdf {
	struct extract_ctx *x;
	size_t text; /* bytes of text given so far, for max_text */
};

/* past the deadline: flag it */
static bool
late(struct extract_ctx *x)
{
	if (x->lim.deadline > 0 && extract_now_ms() > x->lim.deadline) {
		x->st->flags |= EXTRACT_F_TIMEOUT;
		return true;
	}
	return false;
}

/* give one item with the lock released (the caller scans it) */
static int
emit_unlocked(struct extract_ctx *x, struct extract_item *it)
{
	int rc;

	pthread_mutex_unlock(&lock);
	rc = extract_emit(x, it);
	pthread_mutex_lock(&lock);
	return rc;
}

/*
 * One text item at path, cut to what is left of max_text for the whole
 * document (text is the caller's buffer: a NUL is written where it is
 * cut). EXTRACT_STOP once the budget is spent.
 */
static int
emit_text(struct pdf *p, const char *path, char *text, size_t len)
{
	struct extract_ctx *x = p->x;
	size_t left = x->lim.max_text - p->text;
	bool cut = false;
	int rc;

	if (len > left) {
		len = left;
		text[len] = '\0';
		cut = true;
		x->st->flags |= EXTRACT_F_LIMIT;
	}
	p->text += len;
	pthread_mutex_unlock(&lock);
	rc = extract_emit_at(x, path, text, len, true, cut);
	pthread_mutex_lock(&lock);
	if (rc < 0)
		return rc;
	return cut ? EXTRACT_STOP : rc;
}

/* append "name: value\n" when there is a value */
static int
prop(struct buf *b, const char *name, gchar *value)
{
	int rc = 0;

	if (value && *value)
		rc = buf_printf(b, "%s: %s\n", name, value);
	g_free(value);
	return rc;
}

/* XMP: the text between the tags, one line a value, entities read */
static int
xmp_text(struct buf *b, const char *s)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
	    {"&quot;", '"'}, {"&apos;", '\''}};
	bool line = false;
	size_t i;

	while (*s) {
		if (*s == '<') {
			if ((s = strchr(s, '>')) == NULL)
				break;
			s++;
			if (line && buf_putc(b, '\n') < 0)
				return EXFIL_ENOMEM;
			line = false;
			continue;
		}
		if (*s == '&') {
			for (i = 0; i < EXFIL_ARRAY_LEN(ents); i++)
				if (strncmp(s, ents[i].ent,
					strlen(ents[i].ent)) == 0)
					break;
			if (i < EXFIL_ARRAY_LEN(ents)) {
				if (buf_putc(b, ents[i].c) < 0)
					return EXFIL_ENOMEM;
				s += strlen(ents[i].ent);
				line = true;
				continue;
			}
		}
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			/* blanks between values say nothing */
			if (line && buf_putc(b, ' ') < 0)
				return EXFIL_ENOMEM;
			while (
			    *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
				s++;
			continue;
		}
		if (buf_putc(b, *s++) < 0)
			return EXFIL_ENOMEM;
		line = true;
	}
	return 0;
}

/* the document information and the XMP metadata */
static int
metadata(struct pdf *p, PopplerDocument *doc)
{
	struct buf b = {0};
	gchar *xmp;
	int rc = 0;

	rc |= prop(&b, "title", poppler_document_get_title(doc));
	rc |= prop(&b, "subject", poppler_document_get_subject(doc));
	rc |= prop(&b, "keywords", poppler_document_get_keywords(doc));
	rc |= prop(&b, "author", poppler_document_get_author(doc));
	rc |= prop(&b, "creator", poppler_document_get_creator(doc));
	rc |= prop(&b, "producer", poppler_document_get_producer(doc));
	if (rc < 0) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	if ((rc = emit_text(p, "info", b.p, b.len)) != 0)
		goto out;
	b.len = 0;
	if ((xmp = poppler_document_get_metadata(doc)) != NULL) {
		rc = xmp_text(&b, xmp);
		g_free(xmp);
		if (rc == 0)
			rc = emit_text(p, "xmp", b.p, b.len);
	}
out:
	buf_free(&b);
	return rc;
}

/* one page: its text, then the text of its annotations (comments) */
static int
page_text(struct pdf *p, PopplerDocument *doc, int i)
{
	PopplerPage *page;
	GList *annots, *l;
	struct buf b = {0};
	char path[32];
	gchar *s;
	int rc = 0;

	if ((page = poppler_document_get_page(doc, i)) == NULL)
		return 0;
	if ((s = poppler_page_get_text(page)) != NULL) {
		rc = buf_puts(&b, s);
		g_free(s);
	}
	annots = poppler_page_get_annot_mapping(page);
	for (l = annots; l && rc == 0; l = l->next) {
		PopplerAnnotMapping *m = l->data;

		if ((s = poppler_annot_get_contents(m->annot)) == NULL)
			continue;
		if (*s)
			rc = buf_printf(&b, "\n%s", s);
		g_free(s);
	}
	poppler_page_free_annot_mapping(annots);
	g_object_unref(page);
	if (rc < 0) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "page/%d", i + 1);
	rc = emit_text(p, path, b.p, b.len);
out:
	buf_free(&b);
	return rc;
}

struct sink {
	struct extract_ctx *x;
	struct buf b;
	bool limit;
};

/* poppler_attachment_save_to_callback: keep the bytes, within budget */
static gboolean
save_cb(const gchar *data, gsize n, gpointer arg, GError **error)
{
	struct sink *k = arg;
	size_t left = k->x->lim.max_expanded - k->x->st->expanded;

	(void)error;
	if (n > left) {
		k->limit = true;
		n = left;
	}
	if (buf_append(&k->b, data, n) < 0)
		return FALSE;
	k->x->st->expanded += n;
	return !k->limit;
}

/* the files attached to the document: members for the caller */
static int
attachments(struct pdf *p, PopplerDocument *doc)
{
	struct extract_ctx *x = p->x;
	struct sink k;
	GList *atts, *l;
	char path[300];
	int rc = 0;

	if (!poppler_document_has_attachments(doc))
		return 0;
	atts = poppler_document_get_attachments(doc);
	for (l = atts; l && rc == 0; l = l->next) {
		PopplerAttachment *att = l->data;

		if (!extract_room(x)) {
			rc = EXTRACT_STOP;
			break;
		}
		memset(&k, 0, sizeof(k));
		k.x = x;
		(void)poppler_attachment_save_to_callback(
		    att, save_cb, &k, NULL);
		if (k.limit)
			x->st->flags |= EXTRACT_F_LIMIT;
		snprintf(path, sizeof(path), "attachments/%s",
		    att->name ? att->name : "?");
		if (buf_putc(&k.b, '\0') < 0) {
			buf_free(&k.b);
			rc = EXFIL_ENOMEM;
			break;
		}
		pthread_mutex_unlock(&lock);
		rc = extract_emit_at(
		    x, path, k.b.p, k.b.len - 1, false, k.limit);
		pthread_mutex_lock(&lock);
		buf_free(&k.b);
	}
	g_list_free_full(atts, g_object_unref);
	return rc;
}

/*
 * extract_pdf - one PDF into items. A PDF that needs a password gives one
 * encrypted item; one that poppler cannot open, or that has no page, gives
 * one unreadable item and EXTRACT_NONE, so that the caller reads its bytes
 * as a binary's.
 */
int
extract_pdf(struct extract_ctx *x)
{
	PopplerDocument *doc = NULL;
	struct extract_item it;
	struct pdf p = {x, 0};
	GError *err = NULL;
	GBytes *bytes;
	bool none = false;
	int i, n, rc = 0;

	pthread_mutex_lock(&lock);
	bytes = g_bytes_new_static(x->data, x->len);
	doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	/* a document without pages is broken too (no page tree) */
	if (doc && (n = poppler_document_get_n_pages(doc)) <= 0) {
		if ((rc = metadata(&p, doc)) != 0)
			goto out;
		g_object_unref(doc);
		doc = NULL;
	}
	if (doc == NULL) {
		memset(&it, 0, sizeof(it));
		if ((it.where = arena_strdup(x->a, x->where)) == NULL) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
		if (err &&
		    g_error_matches(
			err, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED)) {
			it.encrypted = true;
		} else {
			it.unreadable = true;
			x->st->flags |= EXTRACT_F_UNREADABLE;
		}
		rc = emit_unlocked(x, &it);
		none = rc == 0 && it.unreadable;
		goto out;
	}
	if ((rc = metadata(&p, doc)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (late(x) || (rc = page_text(&p, doc, i)) != 0)
			goto out;
	}
	rc = attachments(&p, doc);
out:
	if (doc)
		g_object_unref(doc);
	g_bytes_unref(bytes);
	if (err)
		g_error_free(err);
	pthread_mutex_unlock(&lock);
	/* EXTRACT_STOP and EXTRACT_NONE are both 1: tell them apart */
	if (none)
		return EXTRACT_NONE;
	return rc == EXTRACT_STOP ? 0 : rc;
}
