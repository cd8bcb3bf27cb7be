/*
 * extract_test.c - unit tests of extract(3): Office documents and archives
 * made by real software (tests/data/extract/, made by make.sh there) give
 * the test values as text with the right provenance; encryption is
 * flagged; bombs generated here end at the limits, quickly and in bounded
 * memory; hostile input never crashes.
 *
 * Members are typed with libmagic and read again, as the engine does, by
 * walk() below.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include <zlib.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>
#include <exfil/filetype.h>

#include "testutil.h"

/* the test values in every document (see make.sh) */
#define CARD "4111 1111 1111 1111"
#define IBAN "DE89 3704 0044 0532 0130 00"
#define AWS "AKIAEXFILTESTKEY2345"
#define MARK "CONFIDENTIAL"
#define AMEX "378282246310005"

#if defined(__SANITIZE_ADDRESS__)
#define RSS_FACTOR 3
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_FACTOR 3
#endif
#endif
#ifndef RSS_FACTOR
#define RSS_FACTOR 1
#endif

/*
 * Seconds a bomb may take. Each takes well under one here (see the "#"
 * lines); the bound is loose for loaded and sanitized builds, yet far
 * below what an unbounded expansion costs (the tar.gz bomb took 35 s
 * while the rest of a member was still skipped by decompressing it).
 */
#define BOUND_S 10.0

#define MAXSEEN 512
#define KEEP_MAX (1024 * 1024) /* member bytes kept for the checks */

/* what the walk saw: one item */
struct seen {
	char *where;
	char *type; /* libmagic type of a member */
	char *data; /* text, or the first KEEP_MAX bytes of a member */
	size_t len, size;
	unsigned depth;
	bool is_text, encrypted, unreadable, truncated;
};

struct walk {
	struct arena *a;
	struct extract_limits lim;
	struct extract_state st;
	struct seen v[MAXSEEN];
	size_t n;
	bool keep; /* record items (not for the bombs) */
	int fail_at; /* return an error on that item (1-based) */
	unsigned long calls;
};

static char datadir[512];

static int
on_item(const struct extract_item *it, void *arg)
{
	struct walk *w = arg;
	const char *type = NULL;
	struct seen *s;
	int rc;

	w->calls++;
	if (w->fail_at && w->calls == (unsigned long)w->fail_at)
		return -7;
	assert_non_null(it->where);
	assert_non_null(it->data);
	assert_int_equal(it->data[it->len], '\0');
	if (!it->is_text && !it->encrypted && it->len > 0)
		type = filetype_detect(w->a, it->data, it->len);
	if (w->keep) {
		assert_true(w->n < MAXSEEN);
		s = &w->v[w->n++];
		s->where = arena_strdup(w->a, it->where);
		s->type = type ? arena_strdup(w->a, type) : NULL;
		s->len = it->len < KEEP_MAX ? it->len : KEEP_MAX;
		s->size = it->len;
		s->data = arena_memdup(w->a, it->data, s->len);
		s->depth = it->depth;
		s->is_text = it->is_text;
		s->encrypted = it->encrypted;
		s->unreadable = it->unreadable;
		s->truncated = it->truncated;
		if (it->name)
			assert_non_null(strstr(it->where, it->name));
	}
	if (type && extract_handles(type)) {
		rc = extract(w->a, type, it->where, it->data, it->len,
		    it->depth, &w->lim, &w->st, on_item, w);
		/* EXTRACT_NONE: an unreadable PDF, read as a binary */
		assert_true(rc <= 0 || rc == EXTRACT_NONE);
		return rc < 0 ? rc : 0;
	}
	return 0;
}

static void
walk_init(struct walk *w)
{
	memset(w, 0, sizeof(*w));
	assert_non_null(w->a = arena_new());
	w->keep = true;
	w->lim.max_depth = 5;
	w->lim.max_members = 1000;
	w->lim.max_expanded = 64 * 1024 * 1024;
	w->lim.max_ratio = 100;
	w->lim.max_text = 1024 * 1024;
}

static void
walk_done(struct walk *w)
{
	arena_free(w->a);
	w->a = NULL;
}

/* a whole file of tests/data/extract/ */
static char *
load(const char *name, size_t *len)
{
	return testutil_read_file(datadir, name, len);
}

/* walk one file as the attachment "name", typed by libmagic */
static int
walk_file(struct walk *w, const char *name)
{
	char where[256];
	const char *type;
	size_t len;
	char *data;
	int rc;

	data = load(name, &len);
	assert_non_null(type = filetype_detect(w->a, data, len));
	snprintf(where, sizeof(where), "attachment:%s", name);
	rc = extract(
	    w->a, type, where, data, len, 0, &w->lim, &w->st, on_item, w);
	free(data);
	return rc;
}

/* is every occurrence of needle in text a word of its own? */
static bool
has_word(const char *text, size_t len, const char *needle)
{
	size_t k = strlen(needle);
	const char *p = text, *end = text + len;
	bool found = false;

	while ((p = memmem(p, (size_t)(end - p), needle, k)) != NULL) {
		if (p > text && (isalnum((unsigned char)p[-1])))
			return false;
		if (p + k < end && isalnum((unsigned char)p[k]))
			return false;
		found = true;
		p += k;
	}
	return found;
}

/* the items whose where matches the glob */
static const struct seen *
find(const struct walk *w, const char *glob, bool text, size_t *from)
{
	size_t i;

	for (i = from ? *from : 0; i < w->n; i++)
		if (fnmatch(glob, w->v[i].where, 0) == 0 &&
		    w->v[i].is_text == text) {
			if (from)
				*from = i + 1;
			return &w->v[i];
		}
	return NULL;
}

static void
dump(const struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		print_message("#   %s%s%s%s (%zu bytes%s%s)\n", w->v[i].where,
		    w->v[i].is_text ? " text" : "",
		    w->v[i].encrypted ? " encrypted" : "",
		    w->v[i].truncated ? " truncated" : "", w->v[i].size,
		    w->v[i].type ? ", " : "", w->v[i].type ? w->v[i].type : "");
}

/*
 * Some text (text true) or member bytes (text false) whose where matches
 * glob holds every one of the NULL-terminated needles, each as a word.
 */
static void
expect_in(const struct walk *w, const char *glob, int text, ...)
{
	const char *needles[16], *nd;
	const struct seen *s;
	size_t n = 0, i, from = 0;
	va_list ap;

	va_start(ap, text);
	while ((nd = va_arg(ap, const char *)) != NULL && n < 16)
		needles[n++] = nd;
	va_end(ap);
	while ((s = find(w, glob, text, &from)) != NULL) {
		for (i = 0; i < n; i++)
			if (!has_word(s->data, s->len, needles[i]))
				break;
		if (i == n)
			return;
	}
	dump(w);
	fail_msg("no %s at %s holds all of \"%s\"...", text ? "text" : "member",
	    glob, needles[0]);
}

#define EXPECT_TEXT(w, glob, ...) expect_in(w, glob, true, __VA_ARGS__, NULL)
#define EXPECT_MEMBER(w, glob, ...) expect_in(w, glob, false, __VA_ARGS__, NULL)
#define EXPECT_ALL(w, glob, prefix) \
	EXPECT_TEXT(w, glob, prefix, MARK, CARD, IBAN, AWS)

/* no text anywhere holds needle */
static void
expect_nowhere(const struct walk *w, const char *needle)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->v[i].is_text &&
		    memmem(w->v[i].data, w->v[i].len, needle, strlen(needle))) {
			dump(w);
			fail_msg("%s holds %s", w->v[i].where, needle);
		}
}

/* --- Office documents ---------------------------------------------------- */

static void
test_values(void **state)
{
	char digits[32];
	size_t i, n = 0;

	(void)state;
	for (i = 0; CARD[i]; i++)
		if (CARD[i] != ' ')
			digits[n++] = CARD[i];
	digits[n] = '\0';
	assert_true(testutil_luhn_ok(digits));
	assert_true(testutil_luhn_ok(AMEX));
	assert_int_equal(strlen(AWS), 20);
}

static void
test_docx(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "doc.docx"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_ALL(&w, "attachment:doc.docx!word/document.xml", "Body:");
	EXPECT_ALL(&w, "attachment:doc.docx!word/header*.xml", "Header:");
	EXPECT_ALL(&w, "attachment:doc.docx!word/footer*.xml", "Footer:");
	EXPECT_ALL(&w, "attachment:doc.docx!word/comments.xml", "Comment:");
	EXPECT_TEXT(&w, "attachment:doc.docx!word/footnotes.xml",
	    "Footnote:", MARK, CARD);
	/* the table: one row, its cells apart */
	EXPECT_TEXT(&w, "attachment:doc.docx!word/document.xml",
	    MARK "\t" CARD "\t" IBAN "\t" AWS);
	/* paragraphs apart, runs joined */
	EXPECT_TEXT(&w, "attachment:doc.docx!word/document.xml", "Alpha\nBeta",
	    "Splitrunword");
	EXPECT_TEXT(&w, "attachment:doc.docx!docProps/core.xml", "Payout",
	    "Vendor payouts");
	EXPECT_TEXT(&w, "attachment:doc.docx!docProps/custom.xml",
	    "MSIP_Label_3f8e6c1a-5b2d-4e7f-9a10-2c4d6e8f0a1b_Name: Highly "
	    "Confidential");
	/* a link's address, a picture's alternative text */
	EXPECT_TEXT(&w, "attachment:doc.docx!word/_rels/document.xml.rels",
	    "https://portal.example.com/keys?id=" AWS);
	EXPECT_TEXT(
	    &w, "attachment:doc.docx!word/document.xml", "Alt text card " CARD);
	/* styles, settings, relationships are not text */
	assert_null(find(&w, "*styles.xml", true, NULL));
	assert_null(find(&w, "*.rels", false, NULL));
	walk_done(&w);
}

static void
test_xlsx(void **state)
{
	struct walk w;
	const struct seen *s;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "sheet.xlsx"), 0);
	assert_int_equal(w.st.flags, 0);
	/* text cells */
	EXPECT_TEXT(&w, "attachment:sheet.xlsx!xl/sharedStrings.xml", MARK,
	    CARD, IBAN, AWS);
	/* a number cell, as a number; the print header without its &C */
	EXPECT_TEXT(&w, "attachment:sheet.xlsx!xl/worksheets/sheet1.xml", AMEX,
	    MARK, "Footer", AWS);
	s = find(
	    &w, "attachment:sheet.xlsx!xl/worksheets/sheet1.xml", true, NULL);
	assert_null(memmem(s->data, s->len, "&C", 2));
	/* shared-string indexes are not values */
	assert_null(memmem(s->data, s->len, "10\t", 3));
	EXPECT_TEXT(
	    &w, "attachment:sheet.xlsx!xl/comments1.xml", "Note:", CARD);
	EXPECT_TEXT(&w, "attachment:sheet.xlsx!docProps/custom.xml",
	    "Classification: " MARK);
	walk_done(&w);
}

static void
test_pptx(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "slides.pptx"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:slides.pptx!ppt/slides/slide1.xml",
	    "Slide:", MARK, CARD, IBAN, AWS);
	EXPECT_ALL(&w, "attachment:slides.pptx!ppt/notesSlides/notesSlide1.xml",
	    "Notes:");
	walk_done(&w);
}

static void
test_odt(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "doc.odt"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_ALL(&w, "attachment:doc.odt!content.xml", "Body:");
	EXPECT_ALL(&w, "attachment:doc.odt!content.xml", "Comment:");
	EXPECT_TEXT(&w, "attachment:doc.odt!content.xml",
	    MARK "\t" CARD "\t" IBAN "\t" AWS);
	EXPECT_TEXT(&w, "attachment:doc.odt!content.xml", "Footnote:", CARD,
	    "Alpha\nBeta", "Splitrunword");
	EXPECT_TEXT(&w, "attachment:doc.odt!content.xml",
	    "https://portal.example.com/keys?id=" AWS, "Alt title " MARK,
	    "Alt text card " CARD);
	EXPECT_ALL(&w, "attachment:doc.odt!styles.xml", "Header:");
	EXPECT_ALL(&w, "attachment:doc.odt!styles.xml", "Footer:");
	EXPECT_TEXT(&w, "attachment:doc.odt!meta.xml", "Payout",
	    "MSIP_Label_3f8e6c1a-5b2d-4e7f-9a10-2c4d6e8f0a1b_Name: Highly "
	    "Confidential");
	walk_done(&w);
}

static void
test_ods(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "sheet.ods"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:sheet.ods!content.xml", MARK, CARD, IBAN,
	    AWS, AMEX, "Note:");
	EXPECT_TEXT(&w, "attachment:sheet.ods!styles.xml", MARK, AWS);
	EXPECT_TEXT(
	    &w, "attachment:sheet.ods!meta.xml", "Classification: " MARK);
	walk_done(&w);
}

static void
test_odp(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "slides.odp"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:slides.odp!content.xml", "Slide:", MARK,
	    CARD, IBAN, AWS);
	EXPECT_ALL(&w, "attachment:slides.odp!content.xml", "Notes:");
	walk_done(&w);
}

/* a file added to a document is read: Word ignores it, unzip does not */
static void
test_hidden_member(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "hidden.docx"), 0);
	EXPECT_ALL(&w, "attachment:hidden.docx!word/document.xml", "Body:");
	EXPECT_MEMBER(&w, "attachment:hidden.docx!extra/notes.txt",
	    "Text:", MARK, CARD, IBAN, AWS);
	walk_done(&w);
}

/* --- archives ------------------------------------------------------------ */

static void
test_zip(void **state)
{
	struct walk w;
	const struct seen *s;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "plain.zip"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_MEMBER(&w, "attachment:plain.zip!secrets.txt", "Text:", MARK,
	    CARD, IBAN, AWS);
	assert_non_null(
	    s = find(&w, "attachment:plain.zip!secrets.txt", false, NULL));
	assert_string_equal(s->type, "text/plain");
	assert_int_equal(s->depth, 1);
	EXPECT_ALL(&w, "attachment:plain.zip!dir/report.docx!word/document.xml",
	    "Body:");
	EXPECT_ALL(&w, "attachment:plain.zip!dir/report.docx!word/header*.xml",
	    "Header:");
	walk_done(&w);
}

static void
test_nested_zip(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "nested.zip"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_MEMBER(&w,
	    "attachment:nested.zip!middle.zip!inner.zip!secrets.txt",
	    "Text:", MARK, CARD, IBAN, AWS);
	EXPECT_ALL(&w,
	    "attachment:nested.zip!middle.zip!inner.zip!dir/report.docx!word/"
	    "comments.xml",
	    "Comment:");
	walk_done(&w);

	/* three levels allowed: the docx (depth 3) is not opened */
	walk_init(&w);
	w.lim.max_depth = 3;
	assert_int_equal(walk_file(&w, "nested.zip"), 0);
	assert_int_equal(w.st.flags, EXTRACT_F_LIMIT);
	EXPECT_MEMBER(
	    &w, "attachment:nested.zip!middle.zip!inner.zip!secrets.txt", CARD);
	assert_null(find(&w, "*report.docx!*", true, NULL));
	walk_done(&w);
}

static void
test_7z(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "archive.7z"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_MEMBER(&w, "attachment:archive.7z!secrets.txt", "Text:", MARK,
	    CARD, IBAN, AWS);
	EXPECT_TEXT(&w, "attachment:archive.7z!sheet.xlsx!xl/sharedStrings.xml",
	    MARK, CARD, IBAN, AWS);
	EXPECT_TEXT(&w,
	    "attachment:archive.7z!sheet.xlsx!xl/worksheets/sheet1.xml", AMEX);
	walk_done(&w);
}

static void
test_tar(void **state)
{
	static const char *const files[] = {"archive.tar.gz", "archive.tar.xz"};
	char glob[128];
	struct walk w;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(files); i++) {
		walk_init(&w);
		assert_int_equal(walk_file(&w, files[i]), 0);
		assert_int_equal(w.st.flags, 0);
		snprintf(
		    glob, sizeof(glob), "attachment:%s!secrets.txt", files[i]);
		EXPECT_MEMBER(&w, glob, "Text:", MARK, CARD, IBAN, AWS);
		snprintf(glob, sizeof(glob),
		    "attachment:%s!doc.odt!content.xml", files[i]);
		EXPECT_ALL(&w, glob, "Body:");
		walk_done(&w);
	}
}

/* a compressed file: named by its header, or by the part's name */
static void
test_streams(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "secrets.txt.gz"), 0);
	EXPECT_MEMBER(&w, "attachment:secrets.txt.gz!secrets.txt", CARD, AWS);
	walk_done(&w);

	walk_init(&w);
	assert_int_equal(walk_file(&w, "secrets.txt.bz2"), 0);
	EXPECT_MEMBER(&w, "attachment:secrets.txt.bz2!secrets.txt", CARD, AWS);
	walk_done(&w);

	/* zeros first look like the end of an empty tar */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "zeros.gz"), 0);
	EXPECT_MEMBER(&w, "attachment:zeros.gz!zeros", CARD, AWS);
	walk_done(&w);
}

/* member names: UTF-8 kept, control bytes and non-UTF-8 cleaned */
static void
test_names(void **state)
{
	struct extract_ctx x;
	struct extract_state st = {0};
	const char *w, *name;
	char longp[3000];
	struct walk wk;

	(void)state;
	walk_init(&wk);
	assert_int_equal(walk_file(&wk, "names.zip"), 0);
	EXPECT_MEMBER(
	    &wk, "attachment:names.zip!r\xc3\xa9sum\xc3\xa9.txt", CARD);

	memset(&x, 0, sizeof(x));
	x.a = wk.a;
	x.st = &st;
	x.where = "attachment:a.zip";
	w = extract_where(&x, "./a\x01\xe9/b", 7, &name);
	assert_string_equal(w, "attachment:a.zip!a?\xc3\xa9/b");
	assert_string_equal(name, "a?\xc3\xa9/b");
	w = extract_where(&x, "//", 2, &name);
	assert_string_equal(w, "attachment:a.zip!?");
	/* long names are cut, and never past their buffer */
	memset(longp, 'a', sizeof(longp));
	w = extract_where(&x, longp, sizeof(longp), &name);
	assert_int_equal(strlen(name), 1024);
	memset(longp, '\xe9', sizeof(longp));
	w = extract_where(&x, longp, sizeof(longp), &name);
	assert_int_equal(strlen(name), 1024);
	w = extract_where(&x, longp, 7, &name);
	assert_int_equal(strlen(name), 14);
	walk_done(&wk);
}

/* --- encryption ---------------------------------------------------------- */

static void
expect_encrypted(const char *file, const char *where)
{
	const struct seen *s;
	struct walk w;

	walk_init(&w);
	assert_int_equal(walk_file(&w, file), 0);
	if ((s = find(&w, where, false, NULL)) == NULL || !s->encrypted) {
		dump(&w);
		fail_msg("%s: no encrypted item %s", file, where);
	}
	assert_int_equal(s->len, 0);
	assert_int_equal(w.st.flags, EXTRACT_F_ENCRYPTED);
	expect_nowhere(&w, AWS);
	walk_done(&w);
}

static void
test_encrypted(void **state)
{
	(void)state;
	expect_encrypted(
	    "enc-zipcrypto.zip", "attachment:enc-zipcrypto.zip!secrets.txt");
	expect_encrypted("enc-aes.zip", "attachment:enc-aes.zip!secrets.txt");
	expect_encrypted(
	    "enc-entries.7z", "attachment:enc-entries.7z!secrets.txt");
	/* names hidden too: the archive as a whole */
	expect_encrypted("enc-headers.7z", "attachment:enc-headers.7z");
	/* Office files saved with a password */
	expect_encrypted("enc.docx", "attachment:enc.docx");
	expect_encrypted("enc.odt", "attachment:enc.odt");
#ifdef HAVE_POPPLER
	/* a PDF with a user password (AES-256, qpdf) */
	expect_encrypted("enc.pdf", "attachment:enc.pdf");
#endif
}

/* unencrypted archives with compressed headers are not called encrypted */
static void
test_not_encrypted(void **state)
{
	static const char *const files[] = {
	    "archive.7z", "plain.zip", "doc.odt", "doc.docx", "archive.tar.gz"};
	struct walk w;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(files); i++) {
		walk_init(&w);
		assert_int_equal(walk_file(&w, files[i]), 0);
		assert_false(w.st.flags & EXTRACT_F_ENCRYPTED);
		walk_done(&w);
	}
}

/* --- zips built here: bombs and odd documents ---------------------------- */

struct zipw {
	struct buf out, cd;
	unsigned n;
};

static void
put16(struct buf *b, unsigned v)
{
	unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};

	assert_int_equal(buf_append(b, c, 2), 0);
}

static void
put32(struct buf *b, unsigned long v)
{
	put16(b, (unsigned)(v & 0xffff));
	put16(b, (unsigned)(v >> 16));
}

/* one member whose data is already a raw deflate stream (method 8) or
 * stored (method 0) */
static void
zip_add_raw(struct zipw *z, const char *name, const void *data, size_t len,
    unsigned method, unsigned long crc, unsigned long size)
{
	unsigned long off = z->out.len;
	size_t nl = strlen(name);
	int i;

	for (i = 0; i < 2; i++) {
		struct buf *b = i == 0 ? &z->out : &z->cd;

		put32(b, i == 0 ? 0x04034b50 : 0x02014b50);
		if (i == 1)
			put16(b, 20); /* made by */
		put16(b, 20); /* needed */
		put16(b, 0); /* flags */
		put16(b, method);
		put16(b, 0); /* time */
		put16(b, 0x21); /* 1980-01-01 */
		put32(b, crc);
		put32(b, len);
		put32(b, size);
		put16(b, (unsigned)nl);
		put16(b, 0); /* extra */
		if (i == 1) {
			put16(b, 0); /* comment */
			put16(b, 0); /* disk */
			put16(b, 0); /* internal attributes */
			put32(b, 0); /* external attributes */
			put32(b, off);
		}
		assert_int_equal(buf_append(b, name, nl), 0);
		if (i == 0)
			assert_int_equal(buf_append(b, data, len), 0);
	}
	z->n++;
}

/* one member, deflated here */
static void
zip_add(struct zipw *z, const char *name, const void *data, size_t len)
{
	z_stream zs;
	unsigned char *out;
	size_t cap = len + len / 100 + 1024;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	    deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	assert_non_null(out = malloc(cap));
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zip_add_raw(z, name, out, zs.total_out, 8,
	    crc32(0, (const Bytef *)data, (uInt)len), len);
	deflateEnd(&zs);
	free(out);
}

/* the zip's bytes; the caller frees them */
static char *
zip_finish(struct zipw *z, size_t *len)
{
	unsigned long cdoff = z->out.len, cdlen = z->cd.len;
	char *p;

	assert_int_equal(buf_append(&z->out, z->cd.p, z->cd.len), 0);
	put32(&z->out, 0x06054b50);
	put16(&z->out, 0);
	put16(&z->out, 0);
	put16(&z->out, z->n);
	put16(&z->out, z->n);
	put32(&z->out, cdlen);
	put32(&z->out, cdoff);
	put16(&z->out, 0);
	buf_free(&z->cd);
	p = z->out.p;
	*len = z->out.len;
	memset(z, 0, sizeof(*z));
	return p;
}

/*
 * A zip with one member of mib MiB of zeros. The deflate stream is one
 * compressed MiB repeated (each copy refers only to itself), so that a
 * gigabyte costs a megabyte and no time to make.
 */
static char *
zeros_zip(const char *name, size_t mib, size_t *len)
{
	static unsigned char zeros[1024 * 1024];
	unsigned char blk[8192];
	unsigned long crc = 0, c1;
	struct zipw z = {0};
	struct buf d = {0};
	z_stream zs;
	size_t blen, i;
	char *p;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	    deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = zeros;
	zs.avail_in = sizeof(zeros);
	zs.next_out = blk;
	zs.avail_out = sizeof(blk);
	assert_int_equal(deflate(&zs, Z_FULL_FLUSH), Z_OK);
	assert_int_equal(zs.avail_in, 0);
	blen = sizeof(blk) - zs.avail_out;
	deflateEnd(&zs);
	c1 = crc32(0, zeros, sizeof(zeros));
	for (i = 0; i < mib; i++) {
		assert_int_equal(buf_append(&d, blk, blen), 0);
		crc = crc32_combine(crc, c1, sizeof(zeros));
	}
	/* a last, empty block with fixed codes */
	assert_int_equal(buf_append(&d, "\x03\x00", 2), 0);
	zip_add_raw(&z, name, d.p, d.len, 8, crc, mib * sizeof(zeros));
	buf_free(&d);
	p = zip_finish(&z, len);
	return p;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* run a bomb; report time and peak memory */
static void
bomb(const char *what, const char *data, size_t len, struct walk *w,
    double max_s)
{
	double t0 = now_s(), dt;
	long rss0 = peak_rss_kb(), rss1;
	size_t max = w->lim.max_expanded ? w->lim.max_expanded
					 : EXTRACT_DEFAULT_MAX_EXPANDED;

	assert_int_equal(extract(w->a, "application/zip", "attachment:bomb.zip",
			     data, len, 0, &w->lim, &w->st, on_item, w),
	    0);
	dt = now_s() - t0;
	rss1 = peak_rss_kb();
	print_message("# %s: %.3f s, %lu MiB expanded, %lu items, peak RSS "
		      "%ld MiB (was %ld MiB)\n",
	    what, dt, (unsigned long)(w->st.expanded >> 20), w->st.members,
	    rss1 / 1024, rss0 / 1024);
	assert_true(w->st.flags & EXTRACT_F_LIMIT);
	assert_true(w->st.expanded <= max);
	assert_true(dt < max_s);
	/* the budget, and change (AddressSanitizer keeps freed memory in
	 * quarantine and copies on realloc: three times that, then) */
	assert_true(
	    rss1 - rss0 < RSS_FACTOR * ((long)(max / 1024) + 32 * 1024));
}

/* one member that expands to a gigabyte */
static void
test_bomb_gigabyte(void **state)
{
	struct walk w;
	size_t len;
	char *zip;

	(void)state;
	zip = zeros_zip("zeros.bin", 1024, &len);
	print_message("# 1 GiB zip: %zu bytes\n", len);

	/* the ratio stops it after a MiB */
	walk_init(&w);
	bomb("1 GiB zip, ratio 100", zip, len, &w, BOUND_S);
	assert_true(w.st.expanded < 2 * EXTRACT_RATIO_FLOOR);
	assert_int_equal(w.n, 1);
	assert_true(w.v[0].truncated);
	walk_done(&w);

	/* without a ratio limit, the expanded budget does */
	walk_init(&w);
	w.keep = false;
	w.lim.max_ratio = UINT_MAX;
	bomb("1 GiB zip, no ratio limit, 64 MiB budget", zip, len, &w, BOUND_S);
	assert_int_equal(w.st.expanded, w.lim.max_expanded);
	walk_done(&w);

	/* the default limits */
	walk_init(&w);
	memset(&w.lim, 0, sizeof(w.lim));
	bomb("1 GiB zip, default limits", zip, len, &w, BOUND_S);
	walk_done(&w);

	/* no central directory: libarchive streams it */
	len = (size_t)((char *)memmem(zip, len, "PK\001\002", 4) - zip);
	walk_init(&w);
	bomb("1 GiB zip, streamed, ratio 100", zip, len, &w, BOUND_S);
	walk_done(&w);
	walk_init(&w);
	w.keep = false;
	w.lim.max_ratio = UINT_MAX;
	bomb("1 GiB zip, streamed, no ratio limit", zip, len, &w, BOUND_S);
	walk_done(&w);
	free(zip);
}

/* 42.zip's shape: 16 zips of 16 zips ... of a gigabyte each */
static void
test_bomb_42(void **state)
{
	char *level, *next, name[32];
	size_t len, nlen;
	struct zipw z = {0};
	struct walk w;
	int l, i;

	(void)state;
	level = zeros_zip("0.bin", 1024, &len);
	for (l = 1; l <= 4; l++) {
		for (i = 0; i < 16; i++) {
			snprintf(name, sizeof(name), "%d-%d.zip", l, i);
			zip_add(&z, name, level, len);
		}
		next = zip_finish(&z, &nlen);
		free(level);
		level = next;
		len = nlen;
	}
	print_message("# 42.zip-style bomb: %zu bytes, 64 TiB expanded\n", len);

	walk_init(&w);
	w.keep = false;
	bomb("42.zip-style, ratio 100", level, len, &w, BOUND_S);
	walk_done(&w);

	walk_init(&w);
	w.keep = false;
	w.lim.max_ratio = UINT_MAX;
	bomb("42.zip-style, no ratio limit, 64 MiB budget", level, len, &w,
	    BOUND_S);
	walk_done(&w);
	free(level);
}

/* a tar header (ustar) for a regular file of size bytes */
static void
tar_header(
    unsigned char h[512], const char *name, unsigned long long size, char type)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011llo", size);
	memcpy(h + 136, "00000000000", 12);
	memset(h + 148, ' ', 8);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* deflate n bytes with flush into b; the crc and length run on */
static void
deflate_part(z_stream *zs, struct buf *b, const void *p, size_t n, int flush,
    unsigned long *crc, unsigned long long *total)
{
	unsigned char out[16384];

	zs->next_in = (unsigned char *)(uintptr_t)p;
	zs->avail_in = (uInt)n;
	do {
		zs->next_out = out;
		zs->avail_out = sizeof(out);
		assert_true(deflate(zs, flush) != Z_STREAM_ERROR);
		assert_int_equal(
		    buf_append(b, out, sizeof(out) - zs->avail_out), 0);
	} while (zs->avail_out == 0);
	*crc = crc32(*crc, p, (uInt)n);
	*total += n;
}

/*
 * A tar.gz whose first member is mib MiB of zeros and whose second is a
 * text: the zeros are one compressed MiB repeated, as in zeros_zip().
 */
static char *
zeros_tgz(size_t mib, char type, size_t *len)
{
	static unsigned char zeros[1024 * 1024];
	static const char text[] = "after the bomb " AWS "\n";
	unsigned char h[512], tail[2048];
	unsigned long crc = 0, c1;
	unsigned long long total = 0;
	struct buf b = {0}, z = {0};
	z_stream zs;
	size_t i;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	    deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(buf_append(&b, "\037\213\010\0\0\0\0\0\0\003", 10), 0);
	tar_header(h, "zeros.bin", (unsigned long long)mib << 20, type);
	deflate_part(&zs, &b, h, sizeof(h), Z_FULL_FLUSH, &crc, &total);
	/* one MiB of zeros, compressed once, then copied */
	deflate_part(&zs, &z, zeros, sizeof(zeros), Z_FULL_FLUSH, &c1, &total);
	c1 = crc32(0, zeros, sizeof(zeros));
	crc = crc32_combine(crc, c1, sizeof(zeros));
	for (i = 1; i < mib; i++) {
		crc = crc32_combine(crc, c1, sizeof(zeros));
		total += sizeof(zeros);
	}
	for (i = 0; i < mib; i++)
		assert_int_equal(buf_append(&b, z.p, z.len), 0);
	buf_free(&z);
	memset(tail, 0, sizeof(tail));
	tar_header(tail, "after.txt", sizeof(text) - 1, '0');
	memcpy(tail + 512, text, sizeof(text) - 1);
	deflate_part(&zs, &b, tail, sizeof(tail), Z_FINISH, &crc, &total);
	deflateEnd(&zs);
	put32(&b, crc);
	put32(&b, (unsigned long)(total & 0xffffffff));
	*len = b.len;
	return b.p;
}

/* a tar.gz bomb: the rest of the member is never decompressed to skip it */
static void
test_bomb_tgz(void **state)
{
	struct walk w;
	double t0;
	size_t len;
	char *tgz;

	(void)state;
	/* the stream is sound: small, it gives both members */
	tgz = zeros_tgz(4, '0', &len);
	walk_init(&w);
	w.lim.max_ratio = UINT_MAX;
	assert_int_equal(
	    extract(w.a, "application/gzip", "attachment:small.tar.gz", tgz,
		len, 0, &w.lim, &w.st, on_item, &w),
	    0);
	assert_int_equal(w.st.flags, 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.v[0].size, 4 << 20);
	EXPECT_MEMBER(&w, "attachment:small.tar.gz!after.txt", AWS);
	walk_done(&w);
	free(tgz);

	tgz = zeros_tgz(8000, '0', &len);
	print_message("# 8000 MiB tar.gz: %zu bytes\n", len);

	walk_init(&w);
	t0 = now_s();
	assert_int_equal(
	    extract(w.a, "application/gzip", "attachment:bomb.tar.gz", tgz, len,
		0, &w.lim, &w.st, on_item, &w),
	    0);
	print_message(
	    "# 8000 MiB tar.gz, ratio 100: %.3f s, %lu MiB expanded\n",
	    now_s() - t0, (unsigned long)(w.st.expanded >> 20));
	assert_true(now_s() - t0 < BOUND_S);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	assert_int_equal(w.n, 1);
	assert_true(w.v[0].truncated);
	walk_done(&w);

	walk_init(&w);
	w.keep = false;
	w.lim.max_ratio = UINT_MAX;
	t0 = now_s();
	assert_int_equal(
	    extract(w.a, "application/gzip", "attachment:bomb.tar.gz", tgz, len,
		0, &w.lim, &w.st, on_item, &w),
	    0);
	print_message("# 8000 MiB tar.gz, no ratio limit: %.3f s, %lu MiB "
		      "expanded\n",
	    now_s() - t0, (unsigned long)(w.st.expanded >> 20));
	assert_true(now_s() - t0 < BOUND_S);
	assert_int_equal(w.st.expanded, w.lim.max_expanded);
	walk_done(&w);
	free(tgz);

	/* entries that are not files are skipped within the limits too */
	tgz = zeros_tgz(8000, '5', &len);
	walk_init(&w);
	t0 = now_s();
	assert_int_equal(
	    extract(w.a, "application/gzip", "attachment:dir.tar.gz", tgz, len,
		0, &w.lim, &w.st, on_item, &w),
	    0);
	print_message("# 8000 MiB tar.gz, as a directory: %.3f s, %lu MiB "
		      "expanded\n",
	    now_s() - t0, (unsigned long)(w.st.expanded >> 20));
	assert_true(now_s() - t0 < BOUND_S);
	walk_done(&w);
	free(tgz);
}

/* a zip with more members than allowed gives that many */
static void
test_members_limit(void **state)
{
	struct zipw z = {0};
	struct walk w;
	char name[32], *zip;
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%02d.txt", i);
		zip_add(&z, name, "hello world\n", 12);
	}
	zip = zip_finish(&z, &len);
	walk_init(&w);
	w.lim.max_members = 10;
	assert_int_equal(extract(w.a, "application/zip", "attachment:m.zip",
			     zip, len, 0, &w.lim, &w.st, on_item, &w),
	    0);
	assert_int_equal(w.n, 10);
	assert_int_equal(w.st.flags, EXTRACT_F_LIMIT);
	walk_done(&w);
	free(zip);
}

static void
test_text_limit(void **state)
{
	const struct seen *s;
	struct walk w;

	(void)state;
	walk_init(&w);
	w.lim.max_text = 40;
	assert_int_equal(walk_file(&w, "doc.docx"), 0);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	assert_non_null(
	    s = find(&w, "attachment:doc.docx!word/document.xml", true, NULL));
	assert_true(s->len <= 40);
	assert_true(s->truncated);
	walk_done(&w);
}

/*
 * Parts written here: a sheet with a long number in scientific notation,
 * an inline string and a print header full of codes; an XML bomb; a part
 * that is not XML.
 */
static char *
made_xlsx(size_t *len, const char *sheet, const char *doc, ...)
{
	static const char types[] =
	    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas."
	    "openxmlformats.org/package/2006/content-types\"/>";
	struct zipw z = {0};
	const char *name, *text;
	va_list ap;

	zip_add(&z, "[Content_Types].xml", types, sizeof(types) - 1);
	zip_add(&z, "xl/workbook.xml", "<workbook/>", 11);
	if (sheet)
		zip_add(&z, "xl/worksheets/sheet1.xml", sheet, strlen(sheet));
	if (doc)
		zip_add(&z, "xl/sharedStrings.xml", doc, strlen(doc));
	/* more parts: name, text, ..., NULL */
	va_start(ap, doc);
	while ((name = va_arg(ap, const char *)) != NULL) {
		text = va_arg(ap, const char *);
		zip_add(&z, name, text, strlen(text));
	}
	va_end(ap);
	return zip_finish(&z, len);
}

static void
test_sheet_values(void **state)
{
	static const char sheet[] =
	    "<worksheet xmlns=\"http://schemas.openxmlformats.org/"
	    "spreadsheetml/2006/main\"><sheetData><row r=\"1\">"
	    "<c r=\"A1\"><v>3.78282246310005E+14</v></c>"
	    "<c r=\"B1\" t=\"inlineStr\"><is><t>" CARD "</t></is></c>"
	    "<c r=\"C1\"><f>SUM(A1:A2)</f><v>1.5E+2</v></c>"
	    "<c r=\"D1\" t=\"s\"><v>7</v></c><c r=\"E1\"><v>2.5E-3</v></c>"
	    "<c r=\"F1\"><v>-1.25E+3</v></c><c r=\"G1\"><v>0.5E+1</v></c>"
	    "</row></sheetData><headerFooter><oddHeader>&amp;L&amp;\"Arial,"
	    "Bold\"&amp;12&amp;KFF0000" MARK "&amp;R&amp;P of &amp;N"
	    "</oddHeader><evenFooter>R&amp;&amp;D</evenFooter></headerFooter>"
	    "</worksheet>";
	static const char pivot[] = "<pivotCacheRecords><r><s v=\"Card\"/><n "
				    "v=\"3.78282246310005E+14\"/>"
				    "<x v=\"3\"/></r></pivotCacheRecords>";
	static const char label[] =
	    "<clbl:labelList xmlns:clbl=\"http://schemas.microsoft.com/office/"
	    "2020/mipLabelMetadata\"><clbl:label id=\"{3f8e6c1a}\" "
	    "enabled=\"1\" method=\"Privileged\"/></clbl:labelList>";
	const struct seen *s;
	struct walk w;
	size_t len;
	char *x;

	(void)state;
	x = made_xlsx(&len, sheet, NULL, "xl/pivotCache/pivotCacheRecords1.xml",
	    pivot, "docMetadata/LabelInfo.xml", label, NULL);
	walk_init(&w);
	/* libmagic calls it a zip: the names say it is an Office file */
	assert_int_equal(extract(w.a, "application/zip", "attachment:s.xlsx", x,
			     len, 0, &w.lim, &w.st, on_item, &w),
	    0);
	assert_non_null(
	    s = find(
		&w, "attachment:s.xlsx!xl/worksheets/sheet1.xml", true, NULL));
	assert_string_equal(s->data,
	    AMEX "\t" CARD "\tSUM(A1:A2)\t150\t2.5E-3\t-1250\t5\n" MARK
		 "\n of\nR&D\n");
	/* a pivot cache keeps a copy of the data: values, not indexes */
	assert_non_null(s = find(&w,
			    "attachment:s.xlsx!xl/pivotCache/"
			    "pivotCacheRecords1.xml",
			    true, NULL));
	assert_string_equal(s->data, "Card\t" AMEX "\t");
	assert_non_null(
	    s = find(
		&w, "attachment:s.xlsx!docMetadata/LabelInfo.xml", true, NULL));
	assert_string_equal(
	    s->data, "id={3f8e6c1a} enabled=1 method=Privileged\n");
	walk_done(&w);
	free(x);
}

static void
test_xml_bomb(void **state)
{
	static const char laughs[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY a \"" MARK "\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
	    "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
	    "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
	    "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
	    "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">"
	    "<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">"
	    "<!ENTITY j \"&i;&i;&i;&i;&i;&i;&i;&i;&i;&i;\">"
	    "<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>"
	    "<sst><si><t>" AWS " &j; &ext;</t></si></sst>";
	static const char ext[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY a \"" MARK "\">"
	    "<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>"
	    "<sst><si><t>" AWS " &a; &ext;</t></si></sst>";
	static const char xlsx[] =
	    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	double t0 = now_s();
	const struct seen *s;
	struct walk w;
	size_t len;
	char *x;

	(void)state;
	/* libxml2 sees the loop: the part is malformed, its bytes go to
	 * the caller */
	x = made_xlsx(&len, NULL, laughs, NULL);
	walk_init(&w);
	assert_int_equal(extract(w.a, xlsx, "attachment:b.xlsx", x, len, 0,
			     &w.lim, &w.st, on_item, &w),
	    0);
	print_message("# billion laughs: %.3f s\n", now_s() - t0);
	assert_true(now_s() - t0 < BOUND_S);
	assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
	EXPECT_MEMBER(&w, "attachment:b.xlsx!xl/sharedStrings.xml", AWS);
	assert_true(w.v[0].size < 1000);
	walk_done(&w);
	free(x);

	/* entities are not substituted, files are not read */
	x = made_xlsx(&len, NULL, ext, NULL);
	walk_init(&w);
	assert_int_equal(extract(w.a, xlsx, "attachment:e.xlsx", x, len, 0,
			     &w.lim, &w.st, on_item, &w),
	    0);
	assert_non_null(
	    s = find(&w, "attachment:e.xlsx!xl/sharedStrings.xml", true, NULL));
	assert_non_null(memmem(s->data, s->len, AWS, strlen(AWS)));
	assert_true(s->len < 100);
	expect_nowhere(&w, "root:");
	walk_done(&w);
	free(x);
}

/* a text part that is not XML: its bytes go to the caller */
static void
test_bad_xml(void **state)
{
	static const char bad[] = "<sst><si><t>" CARD "</t></si>\x01<<" AWS;
	struct walk w;
	size_t len;
	char *x;

	(void)state;
	x = made_xlsx(&len, NULL, bad, NULL);
	walk_init(&w);
	assert_int_equal(
	    extract(w.a,
		"application/vnd.openxmlformats-officedocument."
		"spreadsheetml.sheet",
		"attachment:b.xlsx", x, len, 0, &w.lim, &w.st, on_item, &w),
	    0);
	assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
	EXPECT_MEMBER(&w, "attachment:b.xlsx!xl/sharedStrings.xml", CARD, AWS);
	walk_done(&w);
	free(x);
}

/* --- hostile and odd input ----------------------------------------------- */

static void
test_not_handled(void **state)
{
	struct extract_state st = {0};
	struct arena *a;

	(void)state;
	assert_non_null(a = arena_new());
	assert_int_equal(extract(a, "text/plain", "x", "abc", 3, 0, NULL, &st,
			     on_item, NULL),
	    EXTRACT_NONE);
	assert_int_equal(
	    extract(a, "image/png", "x", "abc", 3, 0, NULL, &st, on_item, NULL),
	    EXTRACT_NONE);
#ifndef HAVE_POPPLER
	assert_int_equal(extract(a, "application/pdf", "x", "abc", 3, 0, NULL,
			     &st, on_item, NULL),
	    EXTRACT_NONE);
#endif
	assert_false(extract_handles("application/octet-stream"));
	assert_true(extract_handles("application/zip"));
	assert_true(extract_handles("application/x-7z-compressed"));
	assert_true(
	    extract_handles("application/vnd.openxmlformats-"
			    "officedocument.wordprocessingml.document"));
	assert_true(
	    extract_handles("application/vnd.ms-excel.sheet.macroEnabled.12"));
	assert_true(extract_handles("application/vnd.oasis.opendocument.text"));
	arena_free(a);
}

/* every file, cut short and with bytes flipped, typed as each kind */
static void
test_garbage(void **state)
{
	static const char *const files[] = {"doc.docx", "sheet.xlsx", "doc.odt",
	    "plain.zip", "archive.7z", "archive.tar.gz", "secrets.txt.bz2",
	    "enc-headers.7z", "doc.pdf", "attached.pdf", "doc.doc", "test.msg",
	    "doc.rtf", "winmail.dat"};
	static const char *const types[] = {"application/zip",
	    "application/x-7z-compressed", "application/gzip",
	    "application/x-tar", "application/x-rar",
	    ("application/vnd.openxmlformats-officedocument."
	     "wordprocessingml.document"),
	    "application/vnd.oasis.opendocument.text", "application/pdf",
	    "application/msword", "text/rtf", "application/vnd.ms-tnef"};
	uint32_t seed = 1;
	struct walk w;
	size_t i, j, k, len, cut;
	char *data;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(files); i++) {
		data = load(files[i], &len);
		for (k = 0; k < 6; k++) {
			cut = k == 0 ? len / 2 : len;
			for (j = 0; k > 1 && j < 8; j++) {
				testutil_next(&seed);
				data[(seed >> 8) % len] ^=
				    (char)(seed >> 24 | 1);
			}
			for (j = 0; j < EXFIL_ARRAY_LEN(types); j++) {
				walk_init(&w);
				w.keep = false;
				assert_true(
				    extract(w.a, types[j], "g", data, cut, 0,
					&w.lim, &w.st, on_item, &w) >= 0);
				walk_done(&w);
			}
		}
		free(data);
	}
}

/* --- PDF ----------------------------------------------------------------- */

#ifdef HAVE_POPPLER
#define PDFCARD "5105 5260 1815 9084"

/* pages with subset fonts, annotations, information, XMP (make.sh) */
static void
test_pdf(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	assert_int_equal(walk_file(&w, "doc.pdf"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(
	    &w, "attachment:doc.pdf!page/1", "Page one:", MARK, PDFCARD, IBAN);
	/* a comment, exported as an annotation */
	EXPECT_TEXT(&w, "attachment:doc.pdf!page/1", "Note: key " AWS);
	EXPECT_TEXT(&w, "attachment:doc.pdf!page/2", "Page two:", AWS,
	    "5105526018159084");
	EXPECT_TEXT(&w, "attachment:doc.pdf!info",
	    "title: Payout plan Q3 " MARK, "subject: Vendor payouts",
	    "keywords: finance, AKIAEXFILTESTKEY6789", "author: Alice Example");
	EXPECT_TEXT(&w, "attachment:doc.pdf!xmp", "Payout plan Q3 " MARK,
	    "AKIAEXFILTESTKEY6789", "Alice Example");
	assert_null(find(&w, "attachment:doc.pdf!page/3", true, NULL));
	walk_done(&w);

	/* an owner password alone restricts, it does not encrypt */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "restricted.pdf"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:restricted.pdf!page/1", MARK, PDFCARD);
	walk_done(&w);

	/* a file attached to the document is a member */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "attached.pdf"), 0);
	EXPECT_MEMBER(&w, "attachment:attached.pdf!attachments/notes.txt",
	    "Attached:", "6011 0824 6281 9485", AWS);
	EXPECT_TEXT(&w, "attachment:attached.pdf!page/2", AWS);
	walk_done(&w);
}

/* a PDF cut short or with no pages: one unreadable item, EXTRACT_NONE */
static void
test_pdf_unreadable(void **state)
{
	static const char nopages[] =
	    "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n"
	    "trailer << /Root 1 0 R >>\n%%EOF\n";
	const size_t cuts[] = {16, 400, 3000};
	struct walk w;
	size_t len, i;
	char *pdf;

	(void)state;
	pdf = load("doc.pdf", &len);
	for (i = 0; i <= EXFIL_ARRAY_LEN(cuts); i++) {
		walk_init(&w);
		if (i < EXFIL_ARRAY_LEN(cuts))
			assert_int_equal(
			    extract(w.a, "application/pdf", "attachment:r.pdf",
				pdf, cuts[i], 0, &w.lim, &w.st, on_item, &w),
			    EXTRACT_NONE);
		else
			assert_int_equal(
			    extract(w.a, "application/pdf", "attachment:r.pdf",
				nopages, sizeof(nopages) - 1, 0, &w.lim, &w.st,
				on_item, &w),
			    EXTRACT_NONE);
		assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
		assert_int_equal(w.n, 1);
		assert_true(w.v[0].unreadable);
		assert_string_equal(w.v[0].where, "attachment:r.pdf");
		walk_done(&w);
	}
	free(pdf);
}

/* the text limit holds for the whole document; a deadline stops it */
static void
test_pdf_limits(void **state)
{
	struct walk w;
	size_t i, total = 0;

	(void)state;
	walk_init(&w);
	w.lim.max_text = 150;
	assert_int_equal(walk_file(&w, "doc.pdf"), 0);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	for (i = 0; i < w.n; i++)
		total += w.v[i].size;
	assert_true(total <= 150);
	assert_true(w.v[w.n - 1].truncated);
	assert_null(find(&w, "attachment:doc.pdf!page/2", true, NULL));
	walk_done(&w);

	/* a deadline long past: no page is read */
	walk_init(&w);
	w.lim.deadline = 1;
	assert_int_equal(walk_file(&w, "doc.pdf"), 0);
	assert_true(w.st.flags & EXTRACT_F_TIMEOUT);
	assert_null(find(&w, "attachment:doc.pdf!page/*", true, NULL));
	walk_done(&w);

	/* two pages allowed as members, the rest not given */
	walk_init(&w);
	w.lim.max_members = 2;
	assert_int_equal(walk_file(&w, "doc.pdf"), 0);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	assert_int_equal(w.n, 2);
	walk_done(&w);
}
#endif

/* --- OLE2: legacy Office, Outlook items ---------------------------------- */

static void
test_ole(void **state)
{
	struct walk w;

	(void)state;
	/* Word 97 (LibreOffice): the text is UTF-16LE in WordDocument */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "doc.doc"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:doc.doc!WordDocument", "Body:", MARK, CARD,
	    IBAN, AWS);
	/* the summary information: title, subject */
	EXPECT_TEXT(
	    &w, "attachment:doc.doc!?SummaryInformation", "Payout plan Q3");
	walk_done(&w);

	/* Excel 97: the shared strings in Workbook */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "sheet.xls"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(
	    &w, "attachment:sheet.xls!Workbook", "Accounts", CARD, IBAN, AWS);
	/* a number cell (a binary double in a NUMBER record), as a number */
	EXPECT_TEXT(&w, "attachment:sheet.xls!Workbook", AMEX);
	walk_done(&w);

	/* PowerPoint 97, gzipped (make.sh): the gzip member is read too */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "slides.ppt.gz"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w,
	    "attachment:slides.ppt.gz!slides.ppt!PowerPoint Document",
	    "Slide:", MARK, CARD, IBAN, AWS);
	walk_done(&w);

	/* an Outlook item (mkmsg.c): its strings and its attachment */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "test.msg"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(
	    &w, "attachment:test.msg!__substg1.0_0037001F", "Q3 payouts " MARK);
	EXPECT_TEXT(&w, "attachment:test.msg!__substg1.0_1000001F",
	    "Body: card 4539 3016 6131 8604 IBAN " IBAN " key " AWS);
	EXPECT_MEMBER(&w,
	    "attachment:test.msg!__attach_version1.0_#00000000/notes.txt",
	    "Attached:", "6011 0824 6281 9485", AWS);
	walk_done(&w);

	/* Word 97 saved with a password (RC4 CryptoAPI, LibreOffice) */
	expect_encrypted("enc.doc", "attachment:enc.doc");
}

/* a compound file cut short: unreadable, read as a binary */
static void
test_ole_unreadable(void **state)
{
	struct walk w;
	size_t len;
	char *doc;

	(void)state;
	doc = load("doc.doc", &len);
	walk_init(&w);
	assert_int_equal(extract(w.a, "application/msword", "attachment:r.doc",
			     doc, 600, 0, &w.lim, &w.st, on_item, &w),
	    EXTRACT_NONE);
	assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
	assert_int_equal(w.n, 1);
	assert_true(w.v[0].unreadable);
	walk_done(&w);

	/* the expanded budget bounds the streams read */
	walk_init(&w);
	w.lim.max_expanded = 4096;
	assert_int_equal(walk_file(&w, "doc.doc"), 0);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	assert_true(w.st.expanded <= 4096);
	walk_done(&w);
	free(doc);
}

/* --- RTF ----------------------------------------------------------------- */

static void
test_rtf(void **state)
{
	/* what the reader must do with each construct, by hand */
	static const char small[] =
	    "{\\rtf1\\ansi\\ansicpg1252\\uc1{\\fonttbl{\\f0 Arial;}}"
	    "{\\colortbl;\\red0\\green0\\blue0;}"
	    "{\\*\\unknowndest hidden 4111}"
	    "caf\\'e9 \\'80 \\u8364? a\\tab b\\par "
	    "Split{\\b run}word \\{x\\} \\\\ "
	    "{\\pict\\pngblip 89504e47}"
	    "\\bin4 {{{{"
	    "{\\object{\\*\\objdata 504B0304 41 42\n43}}"
	    "{\\header Head}tail}";
	const struct seen *s;
	struct walk w;
	size_t len;

	(void)state;
	/* LibreOffice's RTF: body, header, footer, comment, footnote,
	 * table, properties, a link */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "doc.rtf"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_ALL(&w, "attachment:doc.rtf!text", "Body:");
	EXPECT_ALL(&w, "attachment:doc.rtf!text", "Header:");
	EXPECT_ALL(&w, "attachment:doc.rtf!text", "Footer:");
	EXPECT_ALL(&w, "attachment:doc.rtf!text", "Comment:");
	EXPECT_TEXT(&w, "attachment:doc.rtf!text", "Footnote:", CARD,
	    "Splitrunword", "Alpha\nBeta", "Payout plan Q3",
	    "MSIP_Label_3f8e6c1a-5b2d-4e7f-9a10-2c4d6e8f0a1b_Name: Highly "
	    "Confidential",
	    "https://portal.example.com/keys?id=" AWS);
	EXPECT_TEXT(
	    &w, "attachment:doc.rtf!text", MARK "\t" CARD "\t" IBAN "\t" AWS);
	walk_done(&w);

	walk_init(&w);
	len = sizeof(small) - 1;
	assert_int_equal(extract(w.a, "text/rtf", "attachment:s.rtf", small,
			     len, 0, &w.lim, &w.st, on_item, &w),
	    0);
	assert_non_null(s = find(&w, "attachment:s.rtf!text", true, NULL));
	assert_string_equal(s->data,
	    "caf\xc3\xa9 \xe2\x82\xac \xe2\x82\xac a\tb\nSplitrunword {x} "
	    "\\ \nHead\ntail");
	/* an embedded object is a member, decoded */
	assert_non_null(s = find(&w, "attachment:s.rtf!object/1", false, NULL));
	assert_int_equal(s->size, 7);
	assert_memory_equal(s->data, "PK\003\004ABC", 7);
	walk_done(&w);

	/* the text limit */
	walk_init(&w);
	w.lim.max_text = 10;
	assert_int_equal(walk_file(&w, "doc.rtf"), 0);
	assert_true(w.st.flags & EXTRACT_F_LIMIT);
	assert_non_null(s = find(&w, "attachment:doc.rtf!text", true, NULL));
	assert_true(s->len <= 10 && s->truncated);
	walk_done(&w);
}

/* deep nesting, unbalanced braces, a \bin past the end: bounded */
static void
test_rtf_hostile(void **state)
{
	static const char *const bad[] = {"{\\rtf1 \\bin999999 abc",
	    "{\\rtf1 }}}}} text {{{", "{\\rtf1 \\u-3 \\'", "{\\rtf1 \\",
	    "{\\rtf1 {\\*\\objdata 0", "{\\rtf1 \\uc99999 \\u65 xyz"};
	struct walk w;
	size_t i, n = 200000;
	char *deep;

	(void)state;
	assert_non_null(deep = malloc(2 * n + 32));
	memcpy(deep, "{\\rtf1 ", 7);
	memset(deep + 7, '{', n);
	memcpy(deep + 7 + n, " " AWS " ", strlen(AWS) + 2);
	memset(deep + 9 + n + strlen(AWS), '}', n);
	walk_init(&w);
	assert_int_equal(
	    extract(w.a, "text/rtf", "attachment:d.rtf", deep,
		9 + 2 * n + strlen(AWS), 0, &w.lim, &w.st, on_item, &w),
	    0);
	EXPECT_TEXT(&w, "attachment:d.rtf!text", AWS);
	walk_done(&w);
	free(deep);
	for (i = 0; i < EXFIL_ARRAY_LEN(bad); i++) {
		walk_init(&w);
		assert_int_equal(
		    extract(w.a, "text/rtf", "attachment:b.rtf", bad[i],
			strlen(bad[i]), 0, &w.lim, &w.st, on_item, &w),
		    0);
		walk_done(&w);
	}
}

/* --- TNEF (winmail.dat) -------------------------------------------------- */

#ifdef HAVE_YTNEF
static void
test_tnef(void **state)
{
	struct walk w;

	(void)state;
	/* made by mktnef.py; ytnef(1) reads it too */
	walk_init(&w);
	assert_int_equal(walk_file(&w, "winmail.dat"), 0);
	assert_int_equal(w.st.flags, 0);
	EXPECT_TEXT(&w, "attachment:winmail.dat!subject", "Q3 payouts");
	EXPECT_TEXT(&w, "attachment:winmail.dat!body", "Body:", MARK,
	    "4539 3016 6131 8604", IBAN);
	/* PR_BODY_W, in the MAPI properties */
	EXPECT_TEXT(&w, "attachment:winmail.dat!properties",
	    "1000001f: Unicode body: key " AWS);
	EXPECT_MEMBER(&w, "attachment:winmail.dat!notes.txt",
	    "Attached:", "6011 0824 6281 9485", AWS);
	/* the long file name, from the attachment's MAPI properties */
	EXPECT_MEMBER(
	    &w, "attachment:winmail.dat!Payout plan.txt", "Plan:", MARK, IBAN);
	/* the RTF body (PR_RTF_COMPRESSED), read by the RTF reader */
	EXPECT_TEXT(&w, "attachment:winmail.dat!body.rtf!text",
	    "RTF body: card 3714 9139 0996 033", MARK);
	walk_done(&w);
}

/* a stream cut or damaged anywhere: what is whole is read, never more */
static void
test_tnef_damaged(void **state)
{
	uint32_t seed = 7;
	struct walk w;
	size_t len, cut, j;
	char *tnef, *copy;
	int rc;

	(void)state;
	tnef = load("winmail.dat", &len);
	assert_non_null(copy = malloc(len));
	for (cut = 0; cut <= len; cut++) {
		walk_init(&w);
		w.keep = false;
		rc = extract(w.a, "application/vnd.ms-tnef", "attachment:w.dat",
		    tnef, cut, 0, &w.lim, &w.st, on_item, &w);
		assert_true(rc == 0 || rc == EXTRACT_NONE);
		/* no whole attribute: unreadable (a cut between two
		 * attributes leaves a well-formed stream) */
		if (cut < 21)
			assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
		walk_done(&w);
	}
	for (j = 0; j < 2000; j++) {
		memcpy(copy, tnef, len);
		testutil_next(&seed);
		copy[(seed >> 8) % len] ^= (char)(seed >> 24 | 1);
		testutil_next(&seed);
		copy[(seed >> 8) % len] = (char)(seed >> 16);
		walk_init(&w);
		w.keep = false;
		rc = extract(w.a, "application/vnd.ms-tnef", "attachment:w.dat",
		    copy, len, 0, &w.lim, &w.st, on_item, &w);
		assert_true(rc == 0 || rc == EXTRACT_NONE);
		walk_done(&w);
	}
	free(copy);
	free(tnef);
}
#endif

/* --- S/MIME and PGP encrypted mail ---------------------------------------- */

static void
test_encrypted_mail(void **state)
{
	static const struct {
		const char *file, *type;
		bool encrypted;
	} t[] = {
	    {"smime-enc.p7m", "application/octet-stream", true},
	    {"smime-signed.p7m", "application/octet-stream", false},
	    {"pgp.asc", "application/pgp-encrypted", true},
	    {"pgp.asc", "text/plain", true},
	    {"pgp.gpg", "application/octet-stream", true},
	    {"pgp.gpg", "image/png", false}, /* libmagic knows better */
	    {"doc.docx", "application/zip", false},
	    {"secrets.txt.gz", "application/gzip", false},
	    {"doc.pdf", "application/pdf", false},
	};
	static const char intro[] = "Hi Bob,\r\nhere it is:\r\n";
	char *data, *text;
	size_t i, len;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(t); i++) {
		data = load(t[i].file, &len);
		if (extract_encrypted(t[i].type, data, len) != t[i].encrypted)
			fail_msg("%s as %s", t[i].file, t[i].type);
		free(data);
	}
	/* inline: the armor at the start of a line inside a text */
	data = load("pgp.asc", &len);
	assert_non_null(text = malloc(len + 64));
	memcpy(text, intro, sizeof(intro) - 1);
	memcpy(text + sizeof(intro) - 1, data, len);
	assert_true(
	    extract_encrypted("text/plain", text, len + sizeof(intro) - 1));
	/* not at the start of a line: a quotation, not a message */
	text[sizeof(intro) - 2] = ' ';
	assert_false(
	    extract_encrypted("text/plain", text, len + sizeof(intro) - 1));
	/* armor whose first packet is not a session key (signed only) */
	assert_false(extract_encrypted(
	    "text/plain", "-----BEGIN PGP MESSAGE-----\n\nowGbwMvMwMXY\n", 42));
	free(text);
	free(data);
	assert_false(extract_encrypted("text/plain", "", 0));
}

/* --- file type mismatches ------------------------------------------------ */

static void
test_mismatch(void **state)
{
	static const char docx[] = "application/vnd.openxmlformats-"
				   "officedocument.wordprocessingml.document";
	static const struct {
		const char *type, *name, *declared;
		bool mismatch;
	} t[] = {
	    {docx, "holiday.jpg", "image/jpeg", true},
	    {docx, "holiday.JPG", NULL, true},
	    {docx, NULL, "image/jpeg", true},
	    {docx, "a.docx", "application/octet-stream", false},
	    {docx, "a.doc", "application/msword", false},
	    {docx, "a.zip", "application/zip", false},
	    {"application/zip", "report.pdf", NULL, true},
	    {"application/zip", "notes.txt", "text/plain", true},
	    {"application/zip", "a.docx", NULL, false},
	    {"application/zip", "noext", "text/plain", false},
	    {"application/zip", "x.dat", "application/octet-stream", false},
	    {"application/zip", "dir/x.tar.gz/", NULL, false},
	    {"application/x-7z-compressed", "a", "image/png", true},
	    {"application/pdf", "a.pdf", "application/pdf", false},
	    {"application/pdf", "a.png", NULL, true},
	    {"application/pdf", "a", "application/vnd.ms-excel", true},
	    {"application/x-dosexec", "invoice.txt", NULL, true},
	    {"application/x-dosexec", "setup.exe", NULL, false},
	    {"application/x-dosexec", "setup", "video/mp4", true},
	    {"application/encrypted", "enc.docx", NULL, false},
	    {"application/x-ole-storage", "a.xls", NULL, false},
	    {"application/x-ole-storage", "a.html", NULL, true},
	    {"application/x-ole-storage", "setup.msi", NULL, false},
	    {"application/msword", "setup.msi", NULL, true},
	    /* text, images and media are never disguised */
	    {"text/plain", "list.csv", "application/vnd.ms-excel", false},
	    {"text/csv", "list.csv", "text/csv", false},
	    {"text/plain", "a.pdf", "application/pdf", false},
	    {"image/jpeg", "a.pdf", "application/pdf", false},
	    {"text/html", "a.txt", "text/plain", false},
	    {"application/octet-stream", "a.pdf", NULL, false},
	    {NULL, "a.pdf", NULL, false},
	};
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(t); i++) {
		why[0] = '\0';
		if (filetype_mismatch(t[i].type, t[i].name, t[i].declared, why,
			sizeof(why)) != t[i].mismatch)
			fail_msg("%zu: %s %s %s", i,
			    t[i].type ? t[i].type : "(null)",
			    t[i].name ? t[i].name : "(null)",
			    t[i].declared ? t[i].declared : "(null)");
		if (t[i].mismatch)
			assert_non_null(strstr(why, t[i].type));
	}
	/* the description is cut to its buffer */
	assert_true(filetype_mismatch(docx, "a.jpg", NULL, why, 8));
	assert_int_equal(strlen(why), 7);
}

static void
test_callback_error(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w);
	w.fail_at = 2;
	assert_int_equal(walk_file(&w, "plain.zip"), -7);
	assert_int_equal(w.calls, 2);
	walk_done(&w);
}

static int
group_setup(void **state)
{
	(void)state;
	extract_init();
	if (filetype_init(1) != 0)
		return -1;
	if (testutil_data_dir("extract", datadir, sizeof(datadir)) == 0)
		return 0;
	print_message("# tests/data/extract not found: set top_srcdir\n");
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	filetype_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_bomb_gigabyte),
	    cmocka_unit_test(test_bomb_42),
	    cmocka_unit_test(test_bomb_tgz),
	    cmocka_unit_test(test_docx),
	    cmocka_unit_test(test_xlsx),
	    cmocka_unit_test(test_pptx),
	    cmocka_unit_test(test_odt),
	    cmocka_unit_test(test_ods),
	    cmocka_unit_test(test_odp),
	    cmocka_unit_test(test_hidden_member),
	    cmocka_unit_test(test_zip),
	    cmocka_unit_test(test_nested_zip),
	    cmocka_unit_test(test_7z),
	    cmocka_unit_test(test_tar),
	    cmocka_unit_test(test_streams),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_encrypted),
	    cmocka_unit_test(test_not_encrypted),
	    cmocka_unit_test(test_members_limit),
	    cmocka_unit_test(test_text_limit),
	    cmocka_unit_test(test_sheet_values),
	    cmocka_unit_test(test_xml_bomb),
	    cmocka_unit_test(test_bad_xml),
	    cmocka_unit_test(test_not_handled),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_callback_error),
	    cmocka_unit_test(test_mismatch),
	    cmocka_unit_test(test_ole),
	    cmocka_unit_test(test_ole_unreadable),
	    cmocka_unit_test(test_rtf),
	    cmocka_unit_test(test_rtf_hostile),
	    cmocka_unit_test(test_encrypted_mail),
#ifdef HAVE_YTNEF
	    cmocka_unit_test(test_tnef),
	    cmocka_unit_test(test_tnef_damaged),
#endif
#ifdef HAVE_POPPLER
	    cmocka_unit_test(test_pdf),
	    cmocka_unit_test(test_pdf_unreadable),
	    cmocka_unit_test(test_pdf_limits),
#endif
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
