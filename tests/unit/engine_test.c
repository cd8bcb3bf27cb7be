/*
 * engine_test.c - unit tests of engine(3): a rules folder written here,
 * messages built in memory, verdicts, direction, parts and their SHA-256.
 * Card numbers and key material are computed or random here: test values
 * of the right shape, never real secrets.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/message.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#include "testutil.h"

/* with testutil_card_rule */
static const char rules_text[] =
    "rule private_key_pem\n"
    "  category private_key\n"
    "  pattern /-----BEGIN ((?:RSA |EC |OPENSSH )?PRIVATE KEY)-----/\n"
    "  score 10\n"
    "  example \"-----BEGIN PRIVATE KEY-----\"\n"
    "end\n"
    "rule bulk_email\n"
    "  category bulk_pii\n"
    "  literals @ window 64\n"
    "  pattern /(?<![\\w.+-])([\\w.+-]{1,64}@[\\w-]+(?:\\.[\\w-]+)+)/\n"
    "  min_count 50\n"
    "end\n";

struct fixture {
	char dir[256];
	struct config *cfg;
	struct engine *e;
	struct message *m;
	struct result r;
	bool have_result;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	testutil_temp_dir(fx->dir, sizeof(fx->dir), "engine_test");
	testutil_write_file(fx->dir, "card.rules", testutil_card_rule);
	testutil_write_file(fx->dir, "test.rules", rules_text);
	if ((fx->cfg = config_defaults()) == NULL ||
	    config_set(fx->cfg, "rules_dir", fx->dir, err, sizeof(err)) ||
	    config_set(fx->cfg, "spool_dir", fx->dir, err, sizeof(err)) ||
	    config_set(fx->cfg, "internal_domains",
		"example.com, .corp.example", err, sizeof(err)))
		return -1;
	if (engine_new(fx->cfg, &fx->e, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->have_result)
		result_free(&fx->r);
	message_free(fx->m);
	engine_unref(fx->e);
	config_unref(fx->cfg);
	testutil_remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* --- test values --------------------------------------------------------- */

/* a PEM block of random bytes: the shape of a key, not a key */
static void
fake_pem(struct buf *b)
{
	unsigned char rnd[900];
	unsigned char enc[1300];
	int elen, i;

	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
	elen = EVP_EncodeBlock(enc, rnd, sizeof(rnd));
	assert_int_equal(buf_puts(b, "-----BEGIN PRIVATE KEY-----\n"), 0);
	for (i = 0; i < elen; i++) {
		assert_int_equal(buf_putc(b, enc[i]), 0);
		if (i % 64 == 63 || i == elen - 1)
			assert_int_equal(buf_putc(b, '\n'), 0);
	}
	assert_int_equal(buf_puts(b, "-----END PRIVATE KEY-----\n"), 0);
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --- running a message --------------------------------------------------- */

/* a message with recipients (NULL-terminated), parsed from raw */
static struct message *
build(struct fixture *fx, const char *raw, size_t len, const char *const *rcpts)
{
	struct message *m = testutil_parse_message(
	    fx->cfg->spool_memory_limit, fx->dir, raw, len);
	size_t i;

	assert_int_equal(
	    message_set_envelope(m, "TESTQID", "192.0.2.7", NULL, NULL), 0);
	assert_int_equal(message_set_sender(m, "<alice@example.com>"), 0);
	for (i = 0; rcpts && rcpts[i]; i++)
		assert_int_equal(
		    message_add_rcpt(m, rcpts[i],
			config_is_internal_address(fx->cfg, rcpts[i])),
		    0);
	return m;
}

static const struct result *
scan(struct fixture *fx, const char *raw, size_t len, const char *const *rcpts)
{
	if (fx->have_result)
		result_free(&fx->r);
	message_free(fx->m);
	fx->m = build(fx, raw, len, rcpts);
	assert_int_equal(engine_scan(fx->e, fx->m, &fx->r), 0);
	fx->have_result = true;
	return &fx->r;
}

/* a multipart message: the part headers (and any part before) in head,
 * then data as the last part, in base64 */
static const struct result *
scan_attached(struct fixture *fx, const char *head, const void *data,
    size_t len, const char *const *rcpts)
{
	struct buf raw = {0};
	const struct result *r;

	assert_int_equal(
	    buf_printf(&raw,
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n%s"
		"Content-Transfer-Encoding: base64\r\n\r\n",
		head),
	    0);
	testutil_put_base64(&raw, data, len);
	assert_int_equal(buf_puts(&raw, "--b--\r\n"), 0);
	r = scan(fx, raw.p, raw.len, rcpts);
	buf_free(&raw);
	return r;
}

static const struct finding *
finding(const struct fixture *fx, const char *rule)
{
	const struct rule *r = ruleset_find(fx->e->rs, rule);

	assert_non_null(r);
	return scan_finding(&fx->r.scan, r->index);
}

static const struct part_info *
part(const struct result *r, const char *where)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		if (strcmp(r->parts[i].where, where) == 0)
			return &r->parts[i];
	return NULL;
}

static const char *const external[] = {"<bob@example.net>", NULL};

/* --- tests --------------------------------------------------------------- */

static void
test_clean(void **state)
{
	static const char raw[] = "From: alice@example.com\r\n"
				  "To: bob@example.net\r\n"
				  "Subject: lunch\r\n"
				  "\r\n"
				  "Shall we meet at 12:30? Room 1234.\r\n";
	struct fixture *fx = *state;
	const struct result *r;
	char want[65];

	r = scan(fx, raw, sizeof(raw) - 1, external);
	assert_int_equal(r->verdict.action, ACTION_ACCEPT);
	assert_int_equal(r->verdict.score, 0);
	assert_true(r->outbound);
	assert_int_equal(r->nexternal, 1);
	assert_true(r->scanned);
	assert_false(r->error);
	assert_int_equal(r->nerrors, 0);
	assert_null(finding(fx, "payment_card"));
	/* the body is a part, hashed */
	assert_int_equal(r->nparts, 1);
	assert_string_equal(r->parts[0].where, "body:text/plain");
	assert_int_equal(
	    r->parts[0].size, strlen("Shall we meet at 12:30? Room 1234.\r\n"));
	sha256_hex(
	    "Shall we meet at 12:30? Room 1234.\r\n", r->parts[0].size, want);
	assert_string_equal(r->parts[0].sha256, want);
	assert_non_null(r->parts[0].type);
	/* a reference id: 20 upper-case hex digits */
	assert_int_equal(strlen(r->ref), 20);
	assert_int_equal(strspn(r->ref, "0123456789ABCDEF"), 20);
}

static void
test_card_tagged(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;
	const struct result *r;
	char card[17], raw[512];
	int n;

	testutil_visa(card, 20240101);
	n = snprintf(raw, sizeof(raw),
	    "From: alice@example.com\r\nSubject: order\r\n\r\n"
	    "Please charge %.4s %.4s %.4s %.4s, thanks.\r\n",
	    card, card + 4, card + 8, card + 12);
	r = scan(fx, raw, (size_t)n, external);
	assert_int_equal(r->verdict.action, ACTION_TAG);
	assert_int_equal(r->verdict.score, 5);
	f = finding(fx, "payment_card");
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_string_equal(f->where, "body:text/plain");
	/* the evidence is masked: the middle digits are not in it */
	assert_int_equal(f->nevidence, 1);
	assert_null(strstr(f->evidence[0], card + 4));
	assert_memory_equal(f->evidence[0], card, 4);
}

/* all recipients internal: accepted, not even scanned */
static void
test_internal_not_scanned(void **state)
{
	static const char *const internal[] = {"<carol@example.com>",
	    "dave@EU.corp.example", "<erin@Example.COM>", NULL};
	struct fixture *fx = *state;
	const struct result *r;
	struct buf pem = {0}, raw = {0};
	char card[17];

	testutil_visa(card, 5);
	fake_pem(&pem);
	assert_int_equal(
	    buf_printf(&raw, "Subject: %s\r\n\r\n%s\r\n%s", card, card, pem.p),
	    0);
	r = scan(fx, raw.p, raw.len, internal);
	assert_false(r->outbound);
	assert_int_equal(r->nexternal, 0);
	assert_false(r->scanned);
	assert_int_equal(r->verdict.action, ACTION_ACCEPT);
	assert_int_equal(r->nparts, 0);
	/* one outside recipient makes it outbound */
	{
		static const char *const mixed[] = {
		    "<carol@example.com>", "<mallory@example.org>", NULL};
		r = scan(fx, raw.p, raw.len, mixed);
		assert_true(r->outbound);
		assert_int_equal(r->nexternal, 1);
		assert_true(r->scanned);
		assert_int_equal(r->verdict.action, ACTION_QUARANTINE);
	}
	buf_free(&pem);
	buf_free(&raw);
}

/* no recipients (a saved file): judged as outbound */
static void
test_no_recipients_outbound(void **state)
{
	struct fixture *fx = *state;
	const struct result *r;
	char card[17], raw[256];
	int n;

	testutil_visa(card, 77);
	n = snprintf(raw, sizeof(raw), "Subject: x\n\n%s\n", card);
	r = scan(fx, raw, (size_t)n, NULL);
	assert_true(r->outbound);
	assert_true(r->scanned);
	assert_int_equal(r->verdict.action, ACTION_TAG);
}

/* a PEM key header in a base64 attachment: quarantine, and the part's
 * SHA-256 is that of the decoded attachment */
static void
test_pem_attachment(void **state)
{
	struct fixture *fx = *state;
	struct buf pem = {0}, raw = {0};
	const struct part_info *p;
	const struct finding *f;
	const struct result *r;
	char want[65];

	fake_pem(&pem);
	assert_int_equal(
	    buf_puts(&raw,
		"From: alice@example.com\r\n"
		"To: bob@example.net\r\n"
		"Subject: the key\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"
		"\r\n"
		"--xyz\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"\r\n"
		"Here it is.\r\n"
		"--xyz\r\n"
		"Content-Type: application/octet-stream; "
		"name=\"key.pem\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; "
		"filename=\"key.pem\"\r\n"
		"\r\n"),
	    0);
	testutil_put_base64(&raw, pem.p, pem.len);
	assert_int_equal(buf_puts(&raw, "--xyz--\r\n"), 0);
	r = scan(fx, raw.p, raw.len, external);
	assert_int_equal(r->verdict.action, ACTION_QUARANTINE);
	f = finding(fx, "private_key_pem");
	assert_non_null(f);
	assert_string_equal(f->where, "attachment:key.pem");
	assert_null(finding(fx, "payment_card"));
	p = part(r, "attachment:key.pem");
	assert_non_null(p);
	assert_int_equal(p->size, pem.len);
	sha256_hex(pem.p, pem.len, want);
	assert_string_equal(p->sha256, want);
	assert_string_equal(p->declared, "application/octet-stream");
	assert_non_null(p->type);
	assert_non_null(part(r, "body:text/plain"));
	assert_int_equal(r->nparts, 2);
	buf_free(&pem);
	buf_free(&raw);
}

/* ten distinct cards in a CSV attachment: quarantine (count 10) */
static void
test_ten_cards(void **state)
{
	struct fixture *fx = *state;
	struct buf csv = {0}, raw = {0};
	const struct result *r;
	char card[17];
	unsigned k;

	assert_int_equal(buf_puts(&csv, "name,card\r\n"), 0);
	for (k = 0; k < 10; k++) {
		testutil_visa(card, 1000 + 17 * k);
		assert_int_equal(
		    buf_printf(&csv, "person%u,%s\r\n", k, card), 0);
	}
	/* the same card again does not count */
	assert_int_equal(buf_printf(&csv, "again,%s\r\n", card), 0);
	assert_int_equal(
	    buf_puts(&raw,
		"Subject: list\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\n"
		"Content-Type: text/csv\r\n"
		"Content-Disposition: attachment; filename=l.csv\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"),
	    0);
	testutil_put_base64(&raw, csv.p, csv.len);
	assert_int_equal(buf_puts(&raw, "--b--\r\n"), 0);
	r = scan(fx, raw.p, raw.len, external);
	assert_non_null(finding(fx, "payment_card"));
	assert_int_equal(finding(fx, "payment_card")->count, 10);
	assert_int_equal(r->verdict.action, ACTION_QUARANTINE);
	assert_int_equal(r->verdict.score, 50);
	buf_free(&csv);
	buf_free(&raw);
}

/* a card hidden by encodings: an RFC 2047 subject, HTML, UTF-16 */
static void
test_encodings(void **state)
{
	struct fixture *fx = *state;
	const struct result *r;
	struct buf raw = {0};
	char card[17], subj[64], u16[64];
	unsigned char b64[64];
	size_t i;
	int n;

	testutil_visa(card, 31337);
	/* Subject: =?UTF-8?B?...?= */
	n = EVP_EncodeBlock(b64, (const unsigned char *)card, 16);
	snprintf(subj, sizeof(subj), "=?UTF-8?B?%.*s?=", n, (char *)b64);
	assert_int_equal(
	    buf_printf(&raw, "Subject: %s\r\n\r\nhello\r\n", subj), 0);
	r = scan(fx, raw.p, raw.len, external);
	assert_int_equal(r->verdict.action, ACTION_TAG);
	assert_string_equal(
	    finding(fx, "payment_card")->where, "header:Subject");

	/* HTML: digits split by tags and an entity */
	buf_reset(&raw);
	assert_int_equal(buf_printf(&raw,
			     "Content-Type: text/html; charset=utf-8\r\n\r\n"
			     "<p>card <span>%.4s</span>&#32;<b>%.4s</b> "
			     "<i>%.4s</i> %.4s</p>\r\n",
			     card, card + 4, card + 8, card + 12),
	    0);
	r = scan(fx, raw.p, raw.len, external);
	assert_int_equal(r->verdict.action, ACTION_TAG);
	assert_string_equal(
	    finding(fx, "payment_card")->where, "body:text/html");

	/* UTF-16LE text with a byte order mark, in base64 */
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0; i < 16; i++) {
		u16[2 + 2 * i] = card[i];
		u16[3 + 2 * i] = '\0';
	}
	buf_reset(&raw);
	assert_int_equal(buf_puts(&raw,
			     "Content-Type: text/plain; charset=utf-16\r\n"
			     "Content-Transfer-Encoding: base64\r\n\r\n"),
	    0);
	testutil_put_base64(&raw, u16, 34);
	r = scan(fx, raw.p, raw.len, external);
	assert_int_equal(r->verdict.action, ACTION_TAG);
	buf_free(&raw);
}

/* printable runs of a binary attachment are scanned */
static void
test_binary_attachment(void **state)
{
	struct fixture *fx = *state;
	struct buf bin = {0};
	const struct result *r;
	unsigned char junk[256];
	char card[17];
	size_t i;

	testutil_visa(card, 8086);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i < 32 ? i : 0x80 + i % 100);
	assert_int_equal(buf_append(&bin, junk, sizeof(junk)), 0);
	assert_int_equal(buf_printf(&bin, "card=%s", card), 0);
	assert_int_equal(buf_append(&bin, junk, sizeof(junk)), 0);
	r = scan_attached(fx,
	    "--b\r\nContent-Type: application/octet-stream\r\n", bin.p, bin.len,
	    external);
	assert_int_equal(r->verdict.action, ACTION_TAG);
	assert_int_equal(r->nparts, 1);
	assert_int_equal(r->parts[0].size, bin.len);
	buf_free(&bin);
}

#ifdef HAVE_POPPLER
/*
 * A customer list over two pages of a PDF (tests/data/extract/list.pdf,
 * 30 addresses a page): the bulk rule holds page 1 back, whose text
 * poppler's reader frees, and reads it with page 2 (under ASan, a held
 * text that was not copied is a use after free).
 */
static void
test_bulk_over_pages(void **state)
{
	struct fixture *fx = *state;
	const struct finding *f;
	char dir[1024], *pdf;
	size_t len;

	assert_int_equal(testutil_data_dir("extract", dir, sizeof(dir)), 0);
	pdf = testutil_read_file(dir, "list.pdf", &len);
	scan_attached(fx,
	    "--b\r\nContent-Type: text/plain\r\n\r\nthe list\r\n"
	    "--b\r\nContent-Type: application/pdf; name=list.pdf\r\n"
	    "Content-Disposition: attachment; filename=list.pdf\r\n",
	    pdf, len, external);
	assert_non_null(f = finding(fx, "bulk_email"));
	assert_int_equal(f->count, 60);
	assert_string_equal(f->where, "attachment:list.pdf!page/1");
	assert_int_equal(f->nevidence, SCAN_MAX_EVIDENCE);
	/* the first address of page 1 */
	assert_string_equal(f->evidence[0],
	    scan_mask(fx->m->arena, "user00@customer0.example", 24));
	free(pdf);
}
#endif

/* a UTF-16LE string inside a binary (as Windows programs write them) */
static void
binary_utf16_run(void **state, int big_endian)
{
	struct fixture *fx = *state;
	struct buf bin = {0}, raw = {0};
	const struct result *r;
	unsigned char junk[64];
	char card[17];
	size_t i;

	testutil_visa(card, 1986);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(0x80 + i);
	assert_int_equal(buf_append(&bin, junk, sizeof(junk)), 0);
	for (i = 0; i < 16; i++) {
		if (big_endian)
			assert_int_equal(buf_putc(&bin, '\0'), 0);
		assert_int_equal(buf_putc(&bin, card[i]), 0);
		if (!big_endian)
			assert_int_equal(buf_putc(&bin, '\0'), 0);
	}
	assert_int_equal(buf_append(&bin, "\0\0", 2), 0);
	assert_int_equal(buf_append(&bin, junk, sizeof(junk)), 0);
	assert_int_equal(
	    buf_puts(&raw,
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\n"
		"Content-Type: application/octet-stream\r\n"
		"Content-Disposition: attachment; filename=x.bin\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"),
	    0);
	testutil_put_base64(&raw, bin.p, bin.len);
	assert_int_equal(buf_puts(&raw, "--b--\r\n"), 0);
	r = scan(fx, raw.p, raw.len, external);
	assert_non_null(finding(fx, "payment_card"));
	assert_string_equal(
	    finding(fx, "payment_card")->where, "attachment:x.bin");
	assert_int_equal(r->verdict.action, ACTION_TAG);
	buf_free(&bin);
	buf_free(&raw);
}

/* UTF-16LE text in a binary, as Windows programs store strings */
static void
test_binary_utf16_run(void **state)
{
	binary_utf16_run(state, 0);
}

/* UTF-16BE text in a binary, as Java class files and Macs store strings */
static void
test_binary_utf16be_run(void **state)
{
	binary_utf16_run(state, 1);
}

/* a body too large for memory is spooled and scanned the same */
static void
test_spooled_body(void **state)
{
	struct fixture *fx = *state;
	const struct result *r;
	struct buf raw = {0};
	char card[17], err[256];
	unsigned k;

	assert_int_equal(
	    config_set(fx->cfg, "spool_memory_limit", "4K", err, sizeof(err)),
	    0);
	testutil_visa(card, 4444);
	assert_int_equal(buf_puts(&raw, "Subject: big\r\n\r\n"), 0);
	for (k = 0; k < 2000; k++)
		assert_int_equal(buf_printf(&raw, "filler line %u\r\n", k), 0);
	assert_int_equal(buf_printf(&raw, "%s\r\n", card), 0);
	r = scan(fx, raw.p, raw.len, external);
	assert_true(message_is_spooled(fx->m));
	assert_int_equal(r->verdict.action, ACTION_TAG);
	buf_free(&raw);
}

/* a limit reached on outbound mail gives on_limit */
static void
test_limit(void **state)
{
	static const char raw[] =
	    "Content-Type: multipart/mixed; boundary=a\n\n"
	    "--a\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nhello\n--b--\n"
	    "--a--\n";
	struct fixture *fx = *state;
	const struct result *r;
	struct engine *e;
	char err[256];

	/* the engine shares the configuration: a new one for new limits */
	assert_int_equal(
	    config_set(fx->cfg, "max_mime_depth", "1", err, sizeof(err)), 0);
	assert_int_equal(engine_new(fx->cfg, &e, err, sizeof(err)), 0);
	engine_unref(fx->e);
	fx->e = e;
	r = scan(fx, raw, sizeof(raw) - 1, external);
	assert_true(fx->m->flags & MSG_F_DEPTH_LIMIT);
	assert_int_equal(r->verdict.action, fx->cfg->on_limit);
	assert_int_equal(r->verdict.action, ACTION_QUARANTINE);
	/* the same message to internal recipients only is accepted */
	{
		static const char *const internal[] = {"a@example.com", NULL};
		r = scan(fx, raw, sizeof(raw) - 1, internal);
		assert_int_equal(r->verdict.action, ACTION_ACCEPT);
	}
}

/* the scan's memory budget spent: a limit, not an error */
static void
test_memory_limit(void **state)
{
	struct fixture *fx = *state;
	const struct result *r;
	struct engine *e;
	unsigned char *big;
	char err[256];
	size_t n = 512 * 1024;

	big = malloc(n);
	assert_non_null(big);
	memset(big, 'A', n);
	assert_int_equal(
	    config_set(fx->cfg, "max_message_memory", "64K", err, sizeof(err)),
	    0);
	assert_int_equal(engine_new(fx->cfg, &e, err, sizeof(err)), 0);
	engine_unref(fx->e);
	fx->e = e;
	r = scan_attached(fx, "--b\r\n", big, n, external);
	assert_true(fx->m->flags & MSG_F_MEMORY_LIMIT);
	assert_false(r->error);
	assert_int_equal(r->verdict.action, ACTION_QUARANTINE); /* on_limit */
	free(big);
}

/* engine_new reports rule errors as file:line:col and missing folders */
static void
test_engine_new_errors(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = config_defaults();
	struct engine *e = (struct engine *)1;
	char err[512], path[600], want[700];

	assert_non_null(cfg);
	snprintf(path, sizeof(path), "%s/missing", fx->dir);
	assert_int_equal(
	    config_set(cfg, "rules_dir", path, err, sizeof(err)), 0);
	assert_true(engine_new(cfg, &e, err, sizeof(err)) < 0);
	assert_null(e);
	assert_non_null(strstr(err, path));
	testutil_write_file(fx->dir, "zz-bad.rules",
	    "rule bad\n  category c\n  pattern /(/\nend\n");
	assert_int_equal(
	    config_set(cfg, "rules_dir", fx->dir, err, sizeof(err)), 0);
	assert_int_equal(engine_new(cfg, &e, err, sizeof(err)), EXFIL_EINVAL);
	snprintf(want, sizeof(want), "%s/zz-bad.rules:3:", fx->dir);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(cfg->refs, 1); /* no reference kept on failure */
	config_unref(cfg);
}

/* references: the engine holds the configuration; ids are unique */
static void
test_refs_and_ids(void **state)
{
	struct fixture *fx = *state;
	char a[24], b[24], t[9];

	assert_int_equal(fx->cfg->refs, 2); /* ours and the engine's */
	assert_ptr_equal(engine_ref(fx->e), fx->e);
	assert_int_equal(fx->e->refs, 2);
	engine_unref(fx->e);
	assert_int_equal(fx->e->refs, 1);
	engine_ref_id(a, sizeof(a));
	engine_ref_id(b, sizeof(b));
	assert_int_equal(strlen(a), 20);
	assert_string_not_equal(a, b);
	/* sortable: the first eight digits are the time, in hex */
	snprintf(t, sizeof(t), "%.8s", a);
	assert_true(labs((long)strtoul(t, NULL, 16) - (long)time(NULL)) <= 2);
	/* unguessable: the twelve others differ even within a second */
	assert_string_not_equal(a + 8, b + 8);
	engine_unref(NULL);
}

/* max_scans: the third message at once is a tempfail, until one leaves */
static void
test_max_scans(void **state)
{
	struct fixture *fx = *state;
	struct result r;
	unsigned saved = fx->cfg->max_scans;

	fx->cfg->max_scans = 2;
	assert_true(engine_admit(fx->e, &r));
	assert_true(engine_admit(fx->e, &r));
	assert_false(engine_admit(fx->e, &r));
	assert_int_equal(r.verdict.action, ACTION_TEMPFAIL);
	assert_non_null(strstr(r.verdict.reason, "busy"));
	assert_int_equal(strlen(r.ref), 20);
	engine_leave();
	assert_true(engine_admit(fx->e, &r));
	engine_leave();
	engine_leave();
	/* 0: no cap */
	fx->cfg->max_scans = 0;
	for (int i = 0; i < 100; i++)
		assert_true(engine_admit(fx->e, &r));
	for (int i = 0; i < 100; i++)
		engine_leave();
	fx->cfg->max_scans = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_card_tagged, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_internal_not_scanned, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_no_recipients_outbound, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_pem_attachment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ten_cards, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encodings, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_binary_attachment, setup, teardown),
#ifdef HAVE_POPPLER
	    cmocka_unit_test_setup_teardown(
		test_bulk_over_pages, setup, teardown),
#endif
	    cmocka_unit_test_setup_teardown(
		test_binary_utf16_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_binary_utf16be_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spooled_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_engine_new_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refs_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_scans, setup, teardown),
	};

	return cmocka_run_group_tests(
	    tests, testutil_filetype_setup, testutil_filetype_teardown);
}
