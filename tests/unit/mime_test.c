/*
 * mime_test.c - unit tests of mime(3): multipart trees, nested messages,
 * provenance ("where"), header parts, malformed structure and limits.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/message.h>
#include <exfil/mime.h>

#include "testutil.h"

#define MAXREC 4096

/* what one call of the walker's callback saw */
struct rec {
	enum mime_kind kind;
	const char *where, *header_name, *content_type, *charset, *filename;
	bool attachment;
	unsigned depth;
	const char *data;
	size_t len;
};

struct recs {
	struct rec r[MAXREC];
	size_t n;
	int fail_at; /* return an error on that call (1-based); 0: never */
};

static int
record(const struct mime_part *p, void *arg)
{
	struct recs *rs = arg;
	struct rec *r;

	if (rs->fail_at && (int)rs->n + 1 == rs->fail_at)
		return EXFIL_EINTERNAL;
	assert_true(rs->n < MAXREC);
	assert_non_null(p->where);
	assert_non_null(p->data);
	r = &rs->r[rs->n++];
	r->kind = p->kind;
	r->where = p->where;
	r->header_name = p->header_name;
	r->content_type = p->content_type;
	r->charset = p->charset;
	r->filename = p->filename;
	r->attachment = p->attachment;
	r->depth = p->depth;
	r->data = p->data;
	r->len = p->len;
	if (p->kind == MIME_HEADER)
		assert_non_null(p->header_name);
	else
		assert_non_null(p->content_type);
	return 0;
}

static const struct rec *
find(const struct recs *rs, const char *where)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].where, where) == 0)
			return &rs->r[i];
	return NULL;
}

static size_t
count_leaves(const struct recs *rs)
{
	size_t i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += rs->r[i].kind == MIME_LEAF;
	return n;
}

/* the k-th leaf (0-based) */
static const struct rec *
leaf(const struct recs *rs, size_t k)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].kind == MIME_LEAF && k-- == 0)
			return &rs->r[i];
	fail_msg("no leaf %zu", k);
	return NULL;
}

static const struct mime_limits roomy = {
    .max_depth = 20, .max_parts = 1000, .max_decoded = 0, .max_body = 0};

/* parse raw into a message and walk it */
static struct message *
walk(const char *raw, size_t len, const struct mime_limits *lim,
    struct recs *rs, int *rc)
{
	struct message *m = testutil_parse_message(1 << 20, NULL, raw, len);

	memset(rs, 0, sizeof(*rs));
	*rc = mime_walk(m, lim, record, rs);
	return m;
}

static struct recs *
new_recs(void)
{
	struct recs *rs = calloc(1, sizeof(*rs));

	assert_non_null(rs);
	return rs;
}

/* --- trees --------------------------------------------------------------- */

static void
test_mixed_with_attachment(void **state)
{
	unsigned char bin[700];
	struct buf raw = {0};
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 29 + 3);
	assert_int_equal(
	    buf_puts(&raw,
		"From: alice@example.com\r\n"
		"To: bob@example.net\r\n"
		"Subject: report\r\n"
		"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
		"Message-ID: <1@example.com>\r\n"
		"Received: from x by y\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"=-b1\"\r\n"
		"\r\n"
		"This is a multi-part message in MIME format.\r\n"
		"--=-b1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"\r\n"
		"Hello Bob,\r\nsee attached.\r\n"
		"--=-b1\r\n"
		"Content-Type: application/octet-stream\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; "
		"filename=\"data.bin\"\r\n"
		"\r\n"),
	    0);
	testutil_put_base64(&raw, bin, sizeof(bin));
	assert_int_equal(buf_puts(&raw, "--=-b1--\r\n"), 0);
	m = walk(raw.p, raw.len, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	/* the headers a person wrote, not the transport ones */
	r = find(rs, "header:Subject");
	assert_non_null(r);
	assert_int_equal(r->kind, MIME_HEADER);
	assert_string_equal(r->header_name, "Subject");
	assert_string_equal(r->data, "report");
	assert_non_null(find(rs, "header:From"));
	assert_non_null(find(rs, "header:To"));
	assert_null(find(rs, "header:Date"));
	assert_null(find(rs, "header:Message-ID"));
	assert_null(find(rs, "header:Received"));
	assert_null(find(rs, "header:MIME-Version"));
	/* the usual preamble says nothing */
	assert_null(find(rs, "preamble"));
	/* the text, without the CRLF that belongs to the delimiter */
	r = find(rs, "body:text/plain");
	assert_non_null(r);
	assert_int_equal(r->kind, MIME_LEAF);
	assert_false(r->attachment);
	assert_string_equal(r->charset, "utf-8");
	assert_int_equal(r->depth, 1);
	assert_int_equal(r->len, strlen("Hello Bob,\r\nsee attached."));
	assert_memory_equal(r->data, "Hello Bob,\r\nsee attached.", r->len);
	/* the attachment, decoded */
	r = find(rs, "attachment:data.bin");
	assert_non_null(r);
	assert_true(r->attachment);
	assert_string_equal(r->filename, "data.bin");
	assert_string_equal(r->content_type, "application/octet-stream");
	assert_int_equal(r->len, sizeof(bin));
	assert_memory_equal(r->data, bin, sizeof(bin));
	assert_int_equal(count_leaves(rs), 2);
	message_free(m);
	buf_free(&raw);
	free(rs);
}

static void
test_alternative(void **state)
{
	static const char raw[] =
	    "Subject: alt\n"
	    "Content-Type: multipart/alternative; boundary=alt\n"
	    "\n"
	    "--alt\n"
	    "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "caf=E9 4111=\n"
	    " 1111\n"
	    "--alt  \n" /* transport padding */
	    "Content-Type: TEXT/HTML; charset=utf-8\n"
	    "\n"
	    "<p>caf\xc3\xa9</p>\n"
	    "--alt--\n"
	    "epilogue words\n";
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	int rc;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	r = find(rs, "body:text/plain");
	assert_non_null(r);
	assert_string_equal(r->charset, "ISO-8859-1");
	assert_int_equal(r->len, strlen("caf\xe9 4111 1111"));
	assert_memory_equal(r->data, "caf\xe9 4111 1111", r->len);
	r = find(rs, "body:text/html");
	assert_non_null(r);
	assert_string_equal(r->content_type, "text/html"); /* lower case */
	assert_false(r->attachment);
	assert_int_equal(r->len, strlen("<p>caf\xc3\xa9</p>"));
	r = find(rs, "epilogue");
	assert_non_null(r);
	assert_non_null(strstr(r->data, "epilogue words"));
	message_free(m);
	free(rs);
}

/* a forwarded message: its headers and parts carry a "message:...!" prefix */
static void
test_nested_message(void **state)
{
	static const char raw[] =
	    "Subject: fwd\r\n"
	    "Content-Type: multipart/mixed; boundary=outer\r\n"
	    "\r\n"
	    "--outer\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "see below\r\n"
	    "--outer\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "Content-Disposition: attachment; filename=\"fwd.eml\"\r\n"
	    "\r\n"
	    "Subject: =?UTF-8?Q?inner_caf=C3=A9?=\r\n"
	    "Content-Type: multipart/mixed; boundary=outer2\r\n"
	    "\r\n"
	    "--outer2\r\n"
	    "Content-Type: text/csv\r\n"
	    "Content-Disposition: attachment; filename=plan.csv\r\n"
	    "\r\n"
	    "a,b\r\n"
	    "--outer2--\r\n"
	    "--outer\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: second\r\n"
	    "\r\n"
	    "inner body\r\n"
	    "--outer--\r\n";
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	size_t i;
	int rc, seen = 0;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	r = find(rs, "message:fwd.eml!header:Subject");
	assert_non_null(r);
	assert_int_equal(r->kind, MIME_HEADER);
	assert_string_equal(r->data, "inner caf\xc3\xa9");
	r = find(rs, "message:fwd.eml!attachment:plan.csv");
	assert_non_null(r);
	assert_true(r->attachment);
	assert_int_equal(r->len, 3);
	assert_memory_equal(r->data, "a,b", 3);
	assert_true(r->depth >= 2);
	/* the nested message's own content type is not a leaf of its own */
	assert_null(find(rs, "attachment:fwd.eml"));
	/* a message without a name gets one, still with the '!' */
	for (i = 0; i < rs->n; i++) {
		const char *w = rs->r[i].where;
		if (strncmp(w, "message:", 8) == 0 &&
		    strncmp(w, "message:fwd.eml!", 16) != 0) {
			assert_non_null(strchr(w, '!'));
			if (strstr(w, "!body:text/plain") != NULL) {
				assert_int_equal(rs->r[i].len, 10);
				assert_memory_equal(
				    rs->r[i].data, "inner body", 10);
				seen |= 1;
			}
			if (strstr(w, "!header:Subject") != NULL)
				seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	message_free(m);
	free(rs);
}

/* a message/rfc822 part in base64 is decoded before it is walked */
static void
test_nested_message_base64(void **state)
{
	static const char inner[] = "Subject: hidden\r\n\r\nsecret body\r\n";
	struct buf raw = {0};
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	int rc;

	(void)state;
	assert_int_equal(buf_puts(&raw,
			     "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			     "--b\r\n"
			     "Content-Type: message/rfc822; name=x.eml\r\n"
			     "Content-Transfer-Encoding: base64\r\n\r\n"),
	    0);
	testutil_put_base64(&raw, inner, sizeof(inner) - 1);
	assert_int_equal(buf_puts(&raw, "--b--\r\n"), 0);
	m = walk(raw.p, raw.len, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	r = find(rs, "message:x.eml!header:Subject");
	assert_non_null(r);
	assert_string_equal(r->data, "hidden");
	r = find(rs, "message:x.eml!body:text/plain");
	assert_non_null(r);
	assert_memory_equal(r->data, "secret body", 11);
	message_free(m);
	buf_free(&raw);
	free(rs);
}

/* boundaries that are prefixes of each other do not confuse the walker */
static void
test_boundary_prefix(void **state)
{
	static const char raw[] = "Content-Type: multipart/mixed; boundary=b\n"
				  "\n"
				  "--b\n"
				  "Content-Type: multipart/mixed; boundary=b2\n"
				  "\n"
				  "--b2\n"
				  "\n"
				  "one\n"
				  "--b2\n"
				  "\n"
				  "--bx not a delimiter\n"
				  "--b2--\n"
				  "--b\n"
				  "\n"
				  "three\n"
				  "--b--\n";
	struct recs *rs = new_recs();
	struct message *m;
	size_t i, n = 0;
	int rc;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	assert_int_equal(count_leaves(rs), 3);
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].kind != MIME_LEAF)
			continue;
		switch (n++) {
		case 0:
			assert_memory_equal(rs->r[i].data, "one", 3);
			assert_int_equal(rs->r[i].len, 3);
			assert_int_equal(rs->r[i].depth, 2);
			break;
		case 1:
			assert_int_equal(
			    rs->r[i].len, strlen("--bx not a delimiter"));
			break;
		case 2:
			assert_memory_equal(rs->r[i].data, "three", 5);
			assert_int_equal(rs->r[i].depth, 1);
			break;
		}
	}
	message_free(m);
	free(rs);
}

/* header names and values are case-insensitive (RFC 2045 section 2) */
static void
test_case_insensitive(void **state)
{
	static const char raw[] =
	    "content-type: MULTIPART/Mixed; BOUNDARY=\"Up\"\r\n"
	    "\r\n"
	    "--Up\r\n"
	    "CONTENT-TYPE: Text/Plain; Charset=\"UTF-8\"\r\n"
	    "content-transfer-encoding: BASE64\r\n"
	    "\r\n"
	    "Zm9vYmFy\r\n"
	    "--Up\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable\r\n"
	    "\r\n"
	    "a=3Db\r\n"
	    "--Up--\r\n";
	struct recs *rs = new_recs();
	struct message *m;
	int rc;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	assert_int_equal(count_leaves(rs), 2);
	assert_string_equal(leaf(rs, 0)->content_type, "text/plain");
	assert_string_equal(leaf(rs, 0)->charset, "UTF-8");
	assert_int_equal(leaf(rs, 0)->len, 6);
	assert_memory_equal(leaf(rs, 0)->data, "foobar", 6);
	assert_int_equal(leaf(rs, 1)->len, 3);
	assert_memory_equal(leaf(rs, 1)->data, "a=b", 3);
	message_free(m);
	free(rs);
}

/* --- defaults and malformed structure ------------------------------------ */

static void
test_missing_content_type(void **state)
{
	static const char raw[] = "Subject: plain\r\n\r\nJust text.\r\n";
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	int rc;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	r = find(rs, "body:text/plain");
	assert_non_null(r);
	assert_string_equal(r->content_type, "text/plain");
	assert_false(r->attachment);
	assert_null(r->charset);
	assert_int_equal(r->depth, 0);
	assert_int_equal(r->len, strlen("Just text.\r\n"));
	assert_int_equal(count_leaves(rs), 1);
	message_free(m);
	free(rs);
}

/* in multipart/digest a part without Content-Type is a message/rfc822 */
static void
test_digest_default(void **state)
{
	static const char raw[] = "Content-Type: multipart/digest; boundary=d\n"
				  "\n"
				  "--d\n"
				  "\n"
				  "Subject: digest one\n"
				  "\n"
				  "first\n"
				  "--d--\n";
	struct recs *rs = new_recs();
	struct message *m;
	size_t i;
	int rc, seen = 0;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	for (i = 0; i < rs->n; i++) {
		if (strncmp(rs->r[i].where, "message:", 8) == 0 &&
		    strstr(rs->r[i].where, "!header:Subject")) {
			assert_string_equal(rs->r[i].data, "digest one");
			seen = 1;
		}
	}
	assert_int_equal(seen, 1);
	message_free(m);
	free(rs);
}

static void
test_malformed(void **state)
{
	static const struct {
		const char *label, *raw;
		const char *must_see; /* data some leaf must contain */
	} cases[] = {
	    {"no closing boundary",
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\n\nfirst\n--b\n\nlast part 4111\n",
		"last part 4111"},
	    {"no delimiter at all",
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"only text 4111\n",
		"only text 4111"},
	    {"no boundary parameter",
		"Content-Type: multipart/mixed\n\n--x\n\nbody 4111\n",
		"body 4111"},
	    {"bad content type", "Content-Type: garbage\n\nbody 4111\n",
		"body 4111"},
	    {"nested missing close",
		"Content-Type: multipart/mixed; boundary=o\n\n"
		"--o\nContent-Type: multipart/mixed; boundary=i\n\n"
		"--i\n\ninner 4111\n--o\n\nouter 4111\n--o--\n",
		"inner 4111"},
	};
	struct recs *rs = new_recs();
	struct message *m;
	size_t i, j;
	int rc, found;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		m = walk(cases[i].raw, strlen(cases[i].raw), &roomy, rs, &rc);
		assert_int_equal(rc, 0);
		if (!(m->flags & MSG_F_MIME_MALFORMED))
			fail_msg("%s: not flagged", cases[i].label);
		assert_int_equal(m->flags & MSG_F_UNSCANNABLE_MASK, 0);
		found = 0;
		for (j = 0; j < rs->n; j++)
			if (rs->r[j].kind == MIME_LEAF &&
			    memmem(rs->r[j].data, rs->r[j].len,
				cases[i].must_see, strlen(cases[i].must_see)))
				found = 1;
		if (!found)
			fail_msg("%s: \"%s\" not read", cases[i].label,
			    cases[i].must_see);
		message_free(m);
	}
	free(rs);
}

/* --- limits -------------------------------------------------------------- */

/* n multiparts nested in each other around one text leaf */
static void
nested_multiparts(struct buf *b, unsigned n)
{
	unsigned i;

	assert_int_equal(
	    buf_printf(b, "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"),
	    0);
	for (i = 1; i < n; i++)
		assert_int_equal(buf_printf(b,
				     "--b%u\r\nContent-Type: multipart/mixed; "
				     "boundary=b%u\r\n\r\n",
				     i - 1, i),
		    0);
	assert_int_equal(buf_printf(b, "--b%u\r\n\r\ndeep leaf\r\n--b%u--\r\n",
			     n - 1, n - 1),
	    0);
	for (i = n - 1; i-- > 0;)
		assert_int_equal(buf_printf(b, "--b%u--\r\n", i), 0);
}

static void
test_depth_limit(void **state)
{
	static const struct {
		unsigned nest, max_depth;
		bool limited;
	} cases[] = {
	    {3, 5, false},
	    {5, 5, false}, /* the leaf is 5 deep: not deeper than 5 */
	    {6, 5, true}, {30, 5, true},
	    {3000, 20, true}, /* no stack exhaustion */
	};
	struct recs *rs = new_recs();
	struct mime_limits lim = roomy;
	struct buf raw = {0};
	struct message *m;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		buf_reset(&raw);
		nested_multiparts(&raw, cases[i].nest);
		lim.max_depth = cases[i].max_depth;
		lim.max_parts = 100000;
		m = walk(raw.p, raw.len, &lim, rs, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(
		    !!(m->flags & MSG_F_DEPTH_LIMIT), cases[i].limited);
		if (!cases[i].limited) {
			assert_int_equal(count_leaves(rs), 1);
			assert_int_equal(rs->r[rs->n - 1].depth, cases[i].nest);
			assert_memory_equal(
			    rs->r[rs->n - 1].data, "deep leaf", 9);
		} else {
			assert_int_equal(count_leaves(rs), 0);
		}
		message_free(m);
	}
	buf_free(&raw);
	free(rs);
}

/* a chain of forwarded messages hits the depth limit too */
static void
test_depth_limit_messages(void **state)
{
	struct recs *rs = new_recs();
	struct mime_limits lim = roomy;
	struct buf raw = {0};
	struct message *m;
	unsigned i;
	int rc;

	(void)state;
	for (i = 0; i < 50; i++)
		assert_int_equal(buf_puts(&raw,
				     "Subject: fwd\r\n"
				     "Content-Type: message/rfc822\r\n"
				     "\r\n"),
		    0);
	assert_int_equal(buf_puts(&raw, "Subject: last\r\n\r\nbody\r\n"), 0);
	lim.max_depth = 10;
	m = walk(raw.p, raw.len, &lim, rs, &rc);
	assert_int_equal(rc, 0);
	assert_true(m->flags & MSG_F_DEPTH_LIMIT);
	assert_int_equal(count_leaves(rs), 0);
	message_free(m);
	buf_free(&raw);
	free(rs);
}

static void
test_parts_limit(void **state)
{
	static const struct {
		unsigned nparts, max_parts;
		bool limited;
	} cases[] = {
	    {3, 10, false},
	    {50, 10, true},
	    {5000, 100, true},
	};
	struct recs *rs = new_recs();
	struct mime_limits lim = roomy;
	struct buf raw = {0};
	struct message *m;
	size_t i;
	unsigned k;
	int rc;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		buf_reset(&raw);
		assert_int_equal(buf_puts(&raw,
				     "Content-Type: multipart/mixed; "
				     "boundary=p\r\n\r\n"),
		    0);
		for (k = 0; k < cases[i].nparts; k++)
			assert_int_equal(
			    buf_printf(&raw, "--p\r\n\r\npart %u\r\n", k), 0);
		assert_int_equal(buf_puts(&raw, "--p--\r\n"), 0);
		lim.max_parts = cases[i].max_parts;
		m = walk(raw.p, raw.len, &lim, rs, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(
		    !!(m->flags & MSG_F_PARTS_LIMIT), cases[i].limited);
		if (cases[i].limited) {
			assert_true(count_leaves(rs) >= 1);
			assert_true(count_leaves(rs) <= cases[i].max_parts);
		} else {
			assert_int_equal(count_leaves(rs), cases[i].nparts);
		}
		message_free(m);
	}
	buf_free(&raw);
	free(rs);
}

static void
test_decode_limit(void **state)
{
	unsigned char bin[3000];
	struct recs *rs = new_recs();
	struct mime_limits lim = roomy;
	struct buf raw = {0};
	struct message *m;
	size_t i, total = 0;
	int rc;

	(void)state;
	memset(bin, 'A', sizeof(bin));
	assert_int_equal(buf_puts(&raw,
			     "Content-Type: multipart/mixed; "
			     "boundary=p\r\n\r\n"),
	    0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(buf_puts(&raw,
				     "--p\r\nContent-Transfer-"
				     "Encoding: base64\r\n\r\n"),
		    0);
		testutil_put_base64(&raw, bin, sizeof(bin));
	}
	assert_int_equal(buf_puts(&raw, "--p--\r\n"), 0);
	lim.max_decoded = 5000;
	m = walk(raw.p, raw.len, &lim, rs, &rc);
	assert_int_equal(rc, 0);
	assert_true(m->flags & MSG_F_DECODE_LIMIT);
	for (i = 0; i < rs->n; i++)
		total += rs->r[i].len;
	assert_true(total <= lim.max_decoded);
	message_free(m);
	/* without a limit, all of it */
	lim.max_decoded = 0;
	m = walk(raw.p, raw.len, &lim, rs, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m->flags, 0);
	assert_int_equal(count_leaves(rs), 4);
	for (i = 0; i < rs->n; i++)
		assert_int_equal(rs->r[i].len, sizeof(bin));
	message_free(m);
	buf_free(&raw);
	free(rs);
}

static void
test_size_limit(void **state)
{
	static const char raw[] = "Subject: s\n\n0123456789abcdefghij";
	struct recs *rs = new_recs();
	struct mime_limits lim = roomy;
	struct message *m;
	int rc;

	(void)state;
	lim.max_body = 10;
	m = walk(raw, sizeof(raw) - 1, &lim, rs, &rc);
	assert_int_equal(rc, 0);
	assert_true(m->flags & MSG_F_SIZE_LIMIT);
	assert_int_equal(count_leaves(rs), 1);
	assert_int_equal(rs->r[rs->n - 1].len, 10);
	assert_memory_equal(rs->r[rs->n - 1].data, "0123456789", 10);
	message_free(m);
	lim.max_body = 20;
	m = walk(raw, sizeof(raw) - 1, &lim, rs, &rc);
	assert_int_equal(m->flags, 0);
	message_free(m);
	free(rs);
}

/* --- headers and callbacks ----------------------------------------------- */

static void
test_header_parts(void **state)
{
	static const char raw[] =
	    "From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.com>\r\n"
	    "Subject: =?UTF-8?B?4oKsIDEwMA==?=\r\n"
	    " =?UTF-8?Q?_more?=\r\n"
	    "X-Custom: value\r\n"
	    "DKIM-Signature: v=1; b=AAAA\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "body\r\n";
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	int rc;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	r = find(rs, "header:Subject");
	assert_non_null(r);
	assert_int_equal(r->kind, MIME_HEADER);
	assert_string_equal(r->header_name, "Subject");
	assert_string_equal(r->data, "\xe2\x82\xac 100 more");
	assert_int_equal(r->len, strlen(r->data));
	r = find(rs, "header:From");
	assert_non_null(r);
	assert_string_equal(r->data, "Ren\xc3\xa9 <rene@example.com>");
	assert_non_null(find(rs, "header:X-Custom"));
	assert_null(find(rs, "header:DKIM-Signature"));
	assert_null(find(rs, "header:Content-Transfer-Encoding"));
	/* headers of MIME parts are structure, not text */
	message_free(m);
	free(rs);
}

/* names: Content-Type name=, no name at all, type without disposition */
static void
test_attachment_names(void **state)
{
	static const char raw[] =
	    "Content-Type: multipart/mixed; boundary=n\n\n"
	    "--n\n"
	    "Content-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9"
	    ".pdf?=\"\n\n"
	    "%PDF\n"
	    "--n\n"
	    "Content-Type: image/png\n\n"
	    "png\n"
	    "--n\n"
	    "Content-Disposition: attachment\n\n"
	    "text as attachment\n"
	    "--n\n"
	    "Content-Disposition: attachment; "
	    "filename*=utf-8''%E2%82%AC.txt\n\n"
	    "euro\n"
	    "--n--\n";
	struct recs *rs = new_recs();
	const struct rec *r;
	struct message *m;
	size_t i;
	int rc, unnamed = 0;

	(void)state;
	m = walk(raw, sizeof(raw) - 1, &roomy, rs, &rc);
	assert_int_equal(rc, 0);
	r = find(rs, "attachment:r\xc3\xa9sum\xc3\xa9.pdf");
	assert_non_null(r);
	assert_string_equal(r->filename, "r\xc3\xa9sum\xc3\xa9.pdf");
	r = find(rs, "attachment:\xe2\x82\xac.txt");
	assert_non_null(r);
	assert_true(r->attachment);
	for (i = 0; i < rs->n; i++) {
		if (strncmp(rs->r[i].where, "attachment:part", 15) == 0) {
			assert_true(rs->r[i].attachment);
			assert_null(rs->r[i].filename);
			unnamed++;
		}
	}
	assert_int_equal(unnamed, 2); /* the image and the text */
	assert_null(find(rs, "body:text/plain"));
	message_free(m);
	free(rs);
}

/* an error from the callback stops the walk and is returned */
static void
test_callback_error(void **state)
{
	static const char raw[] = "Subject: s\nX-A: 1\n\nbody\n";
	struct recs *rs = new_recs();
	struct message *m;

	(void)state;
	m = testutil_parse_message(1 << 20, NULL, raw, sizeof(raw) - 1);
	rs->fail_at = 2;
	assert_int_equal(mime_walk(m, &roomy, record, rs), EXFIL_EINTERNAL);
	assert_int_equal(rs->n, 1);
	message_free(m);
	free(rs);
}

static void
test_header_get(void **state)
{
	static const struct header h[] = {
	    {"Content-Type", "text/plain"},
	    {"content-type", "second"},
	    {"X-A", "1"},
	};

	(void)state;
	assert_string_equal(
	    mime_header_get(h, 3, "CONTENT-TYPE"), "text/plain");
	assert_string_equal(mime_header_get(h, 3, "x-a"), "1");
	assert_null(mime_header_get(h, 3, "X-B"));
	assert_null(mime_header_get(h, 0, "X-A"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mixed_with_attachment),
	    cmocka_unit_test(test_alternative),
	    cmocka_unit_test(test_nested_message),
	    cmocka_unit_test(test_nested_message_base64),
	    cmocka_unit_test(test_boundary_prefix),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_missing_content_type),
	    cmocka_unit_test(test_digest_default),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_depth_limit_messages),
	    cmocka_unit_test(test_parts_limit),
	    cmocka_unit_test(test_decode_limit),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_header_parts),
	    cmocka_unit_test(test_attachment_names),
	    cmocka_unit_test(test_callback_error),
	    cmocka_unit_test(test_header_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
