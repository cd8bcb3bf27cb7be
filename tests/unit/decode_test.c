/*
 * decode_test.c - unit tests of decode(3) (base64, quoted-printable,
 * RFC 2047 header words, RFC 2231 parameters) and charset(3)
 * (charset_to_utf8, html_to_text).
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

#include <openssl/evp.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/common.h>
#include <exfil/decode.h>

#include "testutil.h"

#define EURO "\xe2\x82\xac" /* U+20AC in UTF-8 */
#define REPL "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

static int
setup(void **state)
{
	*state = arena_new();
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* an independent UTF-8 check (RFC 3629): no overlongs, no surrogates */
static bool
valid_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			need = 1, cp = p[i] & 0x1f, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			need = 2, cp = p[i] & 0x0f, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			need = 3, cp = p[i] & 0x07, min = 0x10000;
		else
			return false;
		if (i + need >= n)
			return false;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* decode into a heap buffer of exactly the documented size */
static size_t
b64(const char *in, unsigned char **out)
{
	size_t len = strlen(in);

	*out = malloc(len * 3 / 4 + 3);
	assert_non_null(*out);
	return decode_base64(in, len, *out);
}

/* --- base64 -------------------------------------------------------------- */

static void
test_base64_table(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		size_t outlen;
	} cases[] = {
	    /* RFC 4648 section 10 test vectors */
	    {"", "", 0},
	    {"Zg==", "f", 1},
	    {"Zm8=", "fo", 2},
	    {"Zm9v", "foo", 3},
	    {"Zm9vYg==", "foob", 4},
	    {"Zm9vYmE=", "fooba", 5},
	    {"Zm9vYmFy", "foobar", 6},
	    /* padding missing or short, as some clients write it */
	    {"Zg", "f", 1},
	    {"Zg=", "f", 1},
	    {"Zm8", "fo", 2},
	    {"Zm9vYg", "foob", 4},
	    /* misplaced or extra padding is skipped */
	    {"Zm=8", "fo", 2},
	    {"Zm9v====", "foo", 3},
	    {"=Zm9v", "foo", 3},
	    /* line breaks, blanks and junk are skipped */
	    {"Zm9v\r\nYmFy", "foobar", 6},
	    {"Zm9v\nYmFy\n", "foobar", 6},
	    {" Zm 9v\tYm\r\nFy ", "foobar", 6},
	    {"Zm9v!Ym*Fy.", "foobar", 6},
	    {"SGVs\r\nbG8s\nIHdv cmxk\tIQ==", "Hello, world!", 13},
	    {"\x80\xffZm9v\x01", "foo", 3},
	    /* a single leftover character carries no whole byte */
	    {"Zm9vY", "foo", 3},
	    {"////", "\xff\xff\xff", 3},
	    {"++++", "\xfb\xef\xbe", 3},
	    {"AAAA", "\0\0\0", 3},
	};
	unsigned char *out;
	size_t i, n;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		n = b64(cases[i].in, &out);
		if (n != cases[i].outlen || memcmp(out, cases[i].out, n) != 0)
			fail_msg("base64 case %zu (%s): %zu bytes", i,
			    cases[i].in, n);
		free(out);
	}
}

/* every byte value, encoded by OpenSSL in 76-column lines, comes back */
static void
test_base64_all_bytes(void **state)
{
	unsigned char raw[1000], enc[2000], *out;
	char lines[2200];
	size_t i, o = 0, n;
	int elen;

	(void)state;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 131 + 7);
	for (n = 0; n < sizeof(raw); n += 1 + n % 5) {
		elen = EVP_EncodeBlock(enc, raw, (int)n);
		assert_true(elen >= 0);
		/* MIME line length: 76, CRLF */
		for (i = 0, o = 0; i < (size_t)elen; i++) {
			if (i && i % 76 == 0) {
				lines[o++] = '\r';
				lines[o++] = '\n';
			}
			lines[o++] = (char)enc[i];
		}
		lines[o] = '\0';
		assert_int_equal(b64(lines, &out), n);
		assert_memory_equal(out, raw, n);
		free(out);
	}
}

/* --- quoted-printable ---------------------------------------------------- */

#define BYTES(s) s, sizeof(s) - 1

static void
test_qp_table(void **state)
{
	static const struct {
		const char *in, *out;
		size_t outlen;
	} cases[] = {
	    {"plain text", BYTES("plain text")},
	    {"a=3Db", BYTES("a=b")},
	    {"a=3db", BYTES("a=b")}, /* lower-case hex, as clients write */
	    {"caf=E9", BYTES("caf\xe9")},
	    {"caf=e9", BYTES("caf\xe9")},
	    {"=C3=A9=c3=a9", BYTES("\xc3\xa9\xc3\xa9")},
	    {"=00x", BYTES("\0x")},
	    /* soft line breaks (RFC 2045 6.7 rule 5) */
	    {"abc=\r\ndef", BYTES("abcdef")},
	    {"abc=\ndef", BYTES("abcdef")},
	    {"abc=  \r\ndef", BYTES("abcdef")}, /* blanks after "=" */
	    {"abc= \t \ndef", BYTES("abcdef")},
	    {"4111=\r\n 1111", BYTES("4111 1111")},
	    {"abc=", BYTES("abc")}, /* at the very end */
	    /* hard line breaks stay */
	    {"a\r\nb\nc", BYTES("a\r\nb\nc")},
	    /* a malformed "=" is kept as it is */
	    {"a=ZZb", BYTES("a=ZZb")},
	    {"100=%", BYTES("100=%")},
	    {"a = b", BYTES("a = b")},
	    {"x=4", BYTES("x=4")},
	    {"x=G1", BYTES("x=G1")},
	    {"x=1G", BYTES("x=1G")},
	    {"==41", BYTES("=A")},
	};
	unsigned char *out;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		len = strlen(cases[i].in);
		out = malloc(len); /* "out needs room for len bytes" */
		assert_non_null(out);
		n = decode_qp(cases[i].in, len, out);
		if (n != cases[i].outlen || memcmp(out, cases[i].out, n) != 0)
			fail_msg("qp case %zu (%s): got %zu bytes \"%.*s\"", i,
			    cases[i].in, n, (int)n, out);
		free(out);
	}
}

/* --- RFC 2047 ------------------------------------------------------------ */

static void
test_header_words(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain subject", "plain subject"},
	    {"=?UTF-8?B?4oKsIDEwMA==?=", EURO " 100"},
	    {"=?utf-8?b?4oKsIDEwMA==?=", EURO " 100"},
	    {"=?UTF-8?Q?caf=C3=A9_au_lait?=", "caf\xc3\xa9 au lait"},
	    {"=?utf-8?q?caf=c3=a9?=", "caf\xc3\xa9"},
	    {"=?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9"},
	    {"=?iso-8859-1?B?Y2Fm6Q==?=", "caf\xc3\xa9"},
	    {"=?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaA==?=",
		"Gr\xc3\xbc\xc3\x9f"
		"e aus Z\xc3\xbcrich"},
	    /* text around words is kept */
	    {"Re: =?UTF-8?Q?caf=C3=A9?= today", "Re: caf\xc3\xa9 today"},
	    /* adjacent words: the white space between them is dropped */
	    {"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"},
	    {"=?UTF-8?Q?a?=   \t =?ISO-8859-1?Q?=E9?=", "a\xc3\xa9"},
	    {"=?UTF-8?Q?4111?=\r\n =?UTF-8?Q?_1111?=", "4111 1111"},
	    {"=?UTF-8?Q?a?==?UTF-8?Q?b?=", "ab"},
	    /* words separated by text keep their spacing */
	    {"=?UTF-8?Q?a?= x =?UTF-8?Q?b?=", "a x b"},
	    {"=?UTF-8?Q?a?= (x) =?UTF-8?Q?b?=", "a (x) b"},
	    /* folding is removed */
	    {"long\r\n subject", "long subject"},
	    /* RFC 2231 language suffix */
	    {"=?UTF-8*en?Q?hi?=", "hi"},
	    /* not encoded words: kept as they are */
	    {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
	    {"=?broken", "=?broken"},
	    {"a =?UTF-8?Q?no end", "a =?UTF-8?Q?no end"},
	    {"=??Q?abc?=", "=??Q?abc?="},
	};
	struct arena *a = *state;
	char *s;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		s = decode_header(a, cases[i].in);
		assert_non_null(s);
		if (strcmp(s, cases[i].out) != 0)
			fail_msg("header case %zu: got \"%s\", want \"%s\"", i,
			    s, cases[i].out);
		assert_true(valid_utf8((const unsigned char *)s, strlen(s)));
	}
}

/* --- RFC 2231 and quoted parameters -------------------------------------- */

static void
test_params(void **state)
{
	static const struct {
		const char *value, *name, *out; /* out NULL: absent */
	} cases[] = {
	    {"attachment; filename=report.pdf", "filename", "report.pdf"},
	    {"attachment; filename=\"report 2.pdf\"", "filename",
		"report 2.pdf"},
	    {"attachment; FILENAME=x.txt", "filename", "x.txt"},
	    {"attachment; filename = \"spaced.txt\"", "filename", "spaced.txt"},
	    {"attachment; filename=\"a\\\"b.txt\"", "filename", "a\"b.txt"},
	    {"attachment; filename=\"a;b.txt\"; size=3", "filename", "a;b.txt"},
	    {"attachment; size=3; filename=z", "filename", "z"},
	    /* a parameter name inside another's quoted value is not one */
	    {"attachment; x=\"; filename=evil.exe\"; filename=real.txt",
		"filename", "real.txt"},
	    {"attachment; x=\"a\\\"; filename=evil.exe\"; filename=ok.txt",
		"filename", "ok.txt"},
	    {"attachment", "filename", NULL},
	    {"attachment; name=x", "filename", NULL},
	    {"text/plain; filename=x", "name", NULL},
	    {"text/plain; names=x", "name", NULL},
	    /* RFC 2231 extended values */
	    {"attachment; filename*=utf-8''%E2%82%AC.txt", "filename",
		EURO ".txt"},
	    {"attachment; filename*=UTF-8'en'%e2%82%ac.txt", "filename",
		EURO ".txt"},
	    {"attachment; filename*=iso-8859-1'fr'caf%E9.txt", "filename",
		"caf\xc3\xa9.txt"},
	    {"attachment; filename*=''plain.txt", "filename", "plain.txt"},
	    /* continuations, extended and plain */
	    {"attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC.txt",
		"filename", EURO ".txt"},
	    {"attachment;\r\n filename*0*=utf-8''a%20b;\r\n filename*1=c.txt",
		"filename", "a bc.txt"},
	    {"attachment; filename*0=\"long \"; filename*1=\"name.txt\"",
		"filename", "long name.txt"},
	    /* the extended form wins over the plain fallback */
	    {"attachment; filename=\"fallback.txt\"; "
	     "filename*=utf-8''%E2%82%AC.txt",
		"filename", EURO ".txt"},
	    /* Outlook: RFC 2047 words inside a quoted name */
	    {"attachment; filename=\"=?UTF-8?B?4oKsLnR4dA==?=\"", "filename",
		EURO ".txt"},
	    {"application/pdf; name=\"=?iso-8859-1?Q?caf=E9?= "
	     "=?utf-8?Q?.pdf?=\"",
		"name", "caf\xc3\xa9.pdf"},
	    /* other parameters */
	    {"multipart/mixed; boundary=\"----=_Part_0_1\"", "boundary",
		"----=_Part_0_1"},
	    {"text/plain; charset=ISO-8859-1; format=flowed", "charset",
		"ISO-8859-1"},
	    {"text/plain; format=flowed; charset=\"utf-8\"", "charset",
		"utf-8"},
	};
	struct arena *a = *state;
	char *s;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		s = decode_param(a, cases[i].value, cases[i].name);
		if (cases[i].out == NULL) {
			if (s != NULL)
				fail_msg(
				    "param case %zu: got \"%s\", want none", i,
				    s);
			continue;
		}
		if (s == NULL || strcmp(s, cases[i].out) != 0)
			fail_msg("param case %zu: got \"%s\", want \"%s\"", i,
			    s ? s : "(null)", cases[i].out);
	}
}

static void
test_unfold(void **state)
{
	struct arena *a = *state;

	assert_string_equal(decode_unfold(a, "a\r\n b\r\n\tc"), "a b\tc");
	assert_string_equal(decode_unfold(a, "a\n b"), "a b");
	assert_string_equal(decode_unfold(a, ""), "");
}

/* --- charset ------------------------------------------------------------- */

static void
test_charset_table(void **state)
{
	static const struct {
		const char *charset;
		const char *in;
		size_t inlen;
		const char *out;
	} cases[] = {
	    {NULL, "ascii only", 10, "ascii only"},
	    {"us-ascii", "ascii only", 10, "ascii only"},
	    {"utf-8", "caf\xc3\xa9", 5, "caf\xc3\xa9"},
	    {"UTF8", "\xef\xbb\xbfhi", 5, "hi"}, /* BOM dropped */
	    /* UTF-16 with a byte order mark */
	    {"utf-16", "\xff\xfeH\0i\0 \0\xac\x20", 10, "Hi " EURO},
	    {"UTF-16", "\xfe\xff\0H\0i", 6, "Hi"},
	    {"utf-16le",
		"\xff\xfe"
		"4\0"
		"1\0",
		6, "41"},
	    {"UTF-16LE", "A\0B\0", 4, "AB"}, {"utf-16be", "\0A\0B", 4, "AB"},
	    /* the mark wins over a wrong label */
	    {"utf-16be", "\xff\xfeZ\0", 4, "Z"},
	    /* ISO-8859-1 and friends */
	    {"ISO-8859-1", "caf\xe9", 4, "caf\xc3\xa9"},
	    {"iso-8859-1", "\xa3 5", 3, "\xc2\xa3 5"},
	    {"latin1", "\xfc", 1, "\xc3\xbc"}, {"ISO-8859-15", "\xa4", 1, EURO},
	    {"windows-1252", "\x80 9", 3, EURO " 9"},
	    /* unknown charsets are read as Windows-1252 */
	    {"x-no-such-charset",
		"abc\x80"
		"def",
		7, "abc" EURO "def"},
	    {"x-no-such-charset", "plain", 5, "plain"},
	    /* invalid bytes are skipped, the ASCII text stays */
	    {"windows-1252",
		"ab\x81"
		"cd",
		5, "abcd"},
	    {"us-ascii", "ab", 2, "ab"},
	    /* invalid UTF-8: each bad byte becomes U+FFFD */
	    {"utf-8",
		"a\xff"
		"b",
		3, "a" REPL "b"},
	    {"utf-8", "a\xc3(", 3, "a" REPL "("},
	    {"utf-8", "\xc0\xaf", 2, REPL REPL}, /* overlong */
	    {"utf-8", "\xed\xa0\x80", 3, REPL REPL REPL}, /* surrogate */
	    {"utf-8", "\xf4\x90\x80\x80", 4,
		REPL REPL REPL REPL}, /* > U+10FFFF */
	    {"utf-8", "end\xe2\x82", 5, "end" REPL REPL}, /* truncated */
	};
	struct arena *a = *state;
	size_t i, n;
	char *s;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		n = (size_t)-1;
		s = charset_to_utf8(
		    a, cases[i].charset, cases[i].in, cases[i].inlen, &n);
		assert_non_null(s);
		if (n != strlen(cases[i].out) || strcmp(s, cases[i].out) != 0)
			fail_msg("charset case %zu (%s): got %zu bytes \"%s\"",
			    i, cases[i].charset ? cases[i].charset : "NULL", n,
			    s);
		assert_int_equal(s[n], '\0');
	}
}

/*
 * An invalid code unit in UTF-16 (a lone surrogate) is skipped whole, so
 * that the text after it is still read: the ASCII text is never lost.
 */
static void
test_charset_utf16_invalid_unit(void **state)
{
	static const char in[] = "\xff\xfe"
				 "A\0"
				 "\x00\xdc" /* lone low surrogate */
				 "B\0C\0";
	struct arena *a = *state;
	size_t n;
	char *s;

	s = charset_to_utf8(a, "utf-16", in, sizeof(in) - 1, &n);
	assert_non_null(s);
	assert_true(valid_utf8((const unsigned char *)s, n));
	assert_int_equal(s[0], 'A');
	assert_true(n >= 3);
	assert_string_equal(s + n - 2, "BC");
}

/* whatever goes in, what comes out is valid UTF-8 */
static void
test_charset_always_utf8(void **state)
{
	static const char *const charsets[] = {NULL, "utf-8", "iso-8859-1",
	    "windows-1252", "utf-16", "utf-16be", "shift_jis", "x-bogus",
	    "iso-2022-jp", "koi8-r"};
	struct arena *a = *state;
	unsigned char in[512];
	uint32_t x = 12345;
	size_t i, c, n;
	char *s;

	for (c = 0; c < EXFIL_ARRAY_LEN(charsets); c++) {
		for (i = 0; i < sizeof(in); i++) {
			testutil_next(&x);
			in[i] = (unsigned char)(x >> 16);
		}
		s = charset_to_utf8(
		    a, charsets[c], (const char *)in, sizeof(in), &n);
		assert_non_null(s);
		if (!valid_utf8((const unsigned char *)s, n))
			fail_msg("%s: output is not UTF-8",
			    charsets[c] ? charsets[c] : "NULL");
	}
}

/* 8-bit text without a label keeps its ASCII and comes out as UTF-8 */
static void
test_charset_unlabelled(void **state)
{
	static const char *const labels[] = {NULL, "", "us-ascii"};
	static const char in[] = "card\xe9 4111\xff!";
	struct arena *a = *state;
	size_t i, n;
	char *s;

	for (i = 0; i < EXFIL_ARRAY_LEN(labels); i++) {
		s = charset_to_utf8(a, labels[i], in, sizeof(in) - 1, &n);
		assert_non_null(s);
		assert_true(valid_utf8((const unsigned char *)s, n));
		assert_memory_equal(s, "card", 4);
		assert_non_null(strstr(s, " 4111"));
		assert_int_equal(s[n - 1], '!');
	}
}

/* --- HTML ---------------------------------------------------------------- */

/* runs of blanks to one, none at either end: spacing is not the contract */
static char *
squeeze(char *s)
{
	char *r = s, *w = s;

	while (*r == ' ')
		r++;
	for (; *r; r++)
		if (*r != ' ' || (r[1] != ' ' && r[1] != '\0'))
			*w++ = *r;
	*w = '\0';
	return s;
}

static void
test_html_exact(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"<b>bold</b> text", "bold text"},
	    {"4111&#32;1111", "4111 1111"},
	    {"4111&#x20;1111", "4111 1111"},
	    {"4111&#X20;1111", "4111 1111"},
	    {"<span>4111</span> 1111", "4111 1111"},
	    {"<span>4111</span><span> 1111</span>", "4111 1111"},
	    {"&amp;&lt;&gt;&quot;&apos;", "&<>\"'"},
	    {"&euro;5", EURO "5"},
	    {"a&nbsp;b",
		"a\xc2\xa0"
		"b"},
	    {"a &unknown; b", "a &unknown; b"},
	    {"AT&T", "AT&T"},
	    {"1 < 2", "1 < 2"},
	    {"a<script>var x = '4111';</script>b", "ab"},
	    {"a<SCRIPT type=\"text/javascript\">x</SCRIPT>b", "ab"},
	    {"a<style>p { color: red }</style>b", "ab"},
	    {"a<style>x", "a"}, /* never closed: nothing after it */
	    {"x<!-- hidden 1234 -->y", "x hidden 1234 y"},
	    {"<img src=\"a.png\" alt=\"secret alt\">", "secret alt"},
	    {"<a title='tip' href=\"https://example.com/\">go</a>",
		"tip https://example.com/ go"},
	    {"<input value=4111-1111>", "4111-1111"},
	};
	struct arena *a = *state;
	size_t i, n;
	char *s;

	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		s = html_to_text(a, cases[i].in, strlen(cases[i].in), &n);
		assert_non_null(s);
		assert_int_equal(n, strlen(s));
		if (strcmp(squeeze(s), cases[i].out) != 0)
			fail_msg("html case %zu: got \"%s\", want \"%s\"", i, s,
			    cases[i].out);
	}
}

/* block elements break lines; tags never survive */
static void
test_html_structure(void **state)
{
	static const char in[] =
	    "<html><head><title>T</title><style>.x{}</style></head>"
	    "<body><div>first</div><div>second</div>"
	    "<p>para<br>next</p>"
	    "<table><tr><td>a</td><td>b</td></tr></table>"
	    "<script>document.write('<b>no</b>')</script>"
	    "</body></html>";
	struct arena *a = *state;
	size_t n;
	char *s;

	s = html_to_text(a, in, sizeof(in) - 1, &n);
	assert_non_null(s);
	assert_null(strchr(s, '<'));
	assert_null(strchr(s, '>'));
	assert_null(strstr(s, "firstsecond"));
	assert_non_null(strstr(s, "first\n"));
	assert_non_null(strstr(s, "para\nnext"));
	assert_non_null(strstr(s, "a\t"));
	assert_null(strstr(s, "no"));
	assert_null(strstr(s, ".x"));
	assert_null(strstr(s, "document"));
}

/*
 * uuencoding: the vectors are Python's binascii.b2a_uu() of the plain
 * text, an independent encoder.
 */
static void
test_uu(void **state)
{
	static const char line1[] = "#0V%T\n";
	static const char line2[] =
	    "I8V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q+\"!E>' @,3(O,CD@+2T@;VL \n";
	static const char plain2[] =
	    "card 4111 1111 1111 1111, exp 12/29 -- ok";
	unsigned char out[128];
	struct uu_block b;
	char msg[512];
	size_t n;

	(void)state;
	n = decode_uu(line1, strlen(line1), out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Cat", 3);
	n = decode_uu(line2, strlen(line2), out);
	assert_int_equal(n, strlen(plain2));
	assert_memory_equal(out, plain2, n);

	/* a block in text, CRLF line ends, with text around it */
	snprintf(msg, sizeof(msg),
	    "hello\r\nbegin 644 my file.txt\r\n%s`\r\nend\r\nafter\r\n",
	    "#0V%T\r\n");
	assert_int_equal(decode_uu_block(msg, strlen(msg), &b), 1);
	assert_int_equal(b.namelen, strlen("my file.txt"));
	assert_memory_equal(b.name, "my file.txt", b.namelen);
	n = decode_uu(b.body, b.bodylen, out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Cat", 3);
	assert_string_equal(msg + b.next, "after\r\n");

	/* "begin" in prose is not a block; neither is a bad mode */
	strcpy(msg, "we begin 644 tomorrow\nbegin 99 x\n#0V%T\nend\n");
	assert_int_equal(decode_uu_block(msg, strlen(msg), &b), 0);
	/* a block without "end" runs to the end of the text */
	strcpy(msg, "begin 600 a.bin\n#0V%T\n");
	assert_int_equal(decode_uu_block(msg, strlen(msg), &b), 1);
	assert_int_equal(b.next, strlen(msg));
}

/*
 * html_to_text() reads only its len bytes: a text ending in '<' once read
 * one byte past the end (found in review after fuzzing; the buffer here
 * has no NUL, so the sanitizer build catches any relapse).
 */
static void
test_html_trailing_lt(void **state)
{
	static const char *const cases[] = {"ab<", "<", "x</", "<!-"};
	struct arena *a = *state;
	size_t i, n, k;
	char *in, *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i]);
		assert_non_null(in = malloc(n)); /* exactly n bytes, no NUL */
		memcpy(in, cases[i], n);
		out = html_to_text(a, in, n, &k);
		assert_non_null(out);
		assert_int_equal(strlen(out), k);
		free(in);
	}
	/* a lone '<' at the end is text */
	assert_non_null(in = malloc(3));
	memcpy(in, "ab<", 3);
	out = html_to_text(a, in, 3, &k);
	assert_string_equal(out, "ab<");
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_table),
	    cmocka_unit_test(test_uu),
	    cmocka_unit_test_setup_teardown(
		test_html_trailing_lt, setup, teardown),
	    cmocka_unit_test(test_base64_all_bytes),
	    cmocka_unit_test(test_qp_table),
	    cmocka_unit_test_setup_teardown(test_header_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_params, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unfold, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_charset_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_charset_utf16_invalid_unit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_charset_always_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_charset_unlabelled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html_exact, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_html_structure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
