/*
 * charset.c - anything to UTF-8 (iconv), HTML to text
 * (see include/exfil/charset.h)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/charset.h>
#include <exfil/common.h>

static bool
is_ascii(const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] & 0x80)
			return false;
	return true;
}

/* length of the valid UTF-8 sequence at p, 0 if invalid */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* valid UTF-8 kept, each invalid byte replaced by U+FFFD */
static char *
utf8_clean(struct arena *a, const char *in, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, n;
	char *out;

	if (len > (SIZE_MAX - 1) / 3 ||
	    (out = arena_alloc(a, len * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static bool
charset_is(const char *cs, const char *name)
{
	return strcasecmp(cs, name) == 0;
}

/* charset_to_utf8 - convert, never losing the ASCII text */
char *
charset_to_utf8(struct arena *a, const char *charset, const char *in,
    size_t len, size_t *outlen)
{
	struct buf out = {0};
	iconv_t cd = (iconv_t)-1;
	char *inp = (char *)in, *outp, *res = NULL;
	size_t inleft = len, outleft, r;
	char chunk[8192];

	if (charset == NULL || *charset == '\0' ||
	    charset_is(charset, "us-ascii") || charset_is(charset, "ascii")) {
		if (is_ascii(in, len)) {
			*outlen = len;
			return arena_memdup(a, in, len);
		}
		charset = "utf-8"; /* 8-bit text without a label: try UTF-8 */
	}
	if (charset_is(charset, "utf-8") || charset_is(charset, "utf8")) {
		if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
			in += 3, len -= 3;
		return utf8_clean(a, in, len, outlen);
	}
	/* UTF-16 with a byte order mark: the mark wins over the label */
	if (len >= 2 &&
	    ((unsigned char)in[0] == 0xff && (unsigned char)in[1] == 0xfe))
		charset = "UTF-16LE", inp += 2, inleft -= 2;
	else if (len >= 2 &&
	    ((unsigned char)in[0] == 0xfe && (unsigned char)in[1] == 0xff))
		charset = "UTF-16BE", inp += 2, inleft -= 2;
	else if (charset_is(charset, "utf-16"))
		charset = "UTF-16LE"; /* what Windows writes without a mark */
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-8", "WINDOWS-1252");
	if (cd == (iconv_t)-1)
		return utf8_clean(a, in, len, outlen);
	while (inleft > 0) {
		outp = chunk;
		outleft = sizeof(chunk);
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		if (buf_append(&out, chunk, sizeof(chunk) - outleft) < 0)
			goto out;
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		/* invalid or truncated sequence: keep ASCII, skip the rest */
		if (errno == EILSEQ || errno == EINVAL) {
			unsigned char c = (unsigned char)*inp;
			/* UTF-16: skip the whole code unit, or every
			 * later character would be read misaligned */
			size_t skip = charset_is(charset, "UTF-16LE") ||
				charset_is(charset, "UTF-16BE")
			    ? 2
			    : 1;
			if (c < 0x80 && skip == 1) {
				if (buf_putc(&out, c) < 0)
					goto out;
			}
			if (skip > inleft)
				skip = inleft;
			inp += skip;
			inleft -= skip;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		break;
	}
	outp = chunk;
	outleft = sizeof(chunk);
	iconv(cd, NULL, NULL, &outp, &outleft);
	if (buf_append(&out, chunk, sizeof(chunk) - outleft) < 0)
		goto out;
	res = arena_memdup(a, out.p ? out.p : "", out.len);
	*outlen = out.len;
out:
	iconv_close(cd);
	buf_free(&out);
	return res;
}

/* --- HTML to text --- */

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
    {"amp", '&'},
    {"lt", '<'},
    {"gt", '>'},
    {"quot", '"'},
    {"apos", '\''},
    {"nbsp", 0xa0},
    {"ensp", 0x2002},
    {"emsp", 0x2003},
    {"thinsp", 0x2009},
    {"ndash", 0x2013},
    {"mdash", 0x2014},
    {"hyphen", 0x2010},
    {"shy", 0xad},
    {"zwnj", 0x200c},
    {"zwj", 0x200d},
    {"copy", 0xa9},
    {"reg", 0xae},
    {"euro", 0x20ac},
    {"pound", 0xa3},
    {"sect", 0xa7},
    {"lsquo", 0x2018},
    {"rsquo", 0x2019},
    {"ldquo", 0x201c},
    {"rdquo", 0x201d},
    {"hellip", 0x2026},
    {"bull", 0x2022},
    {"middot", 0xb7},
    {"period", '.'},
    {"comma", ','},
    {"colon", ':'},
    {"sol", '/'},
    {"num", '#'},
    {"dollar", '$'},
    {"percnt", '%'},
    {"lpar", '('},
    {"rpar", ')'},
    {"plus", '+'},
    {"equals", '='},
    {"minus", 0x2212},
    {"auml", 0xe4},
    {"ouml", 0xf6},
    {"uuml", 0xfc},
    {"Auml", 0xc4},
    {"Ouml", 0xd6},
    {"Uuml", 0xdc},
    {"szlig", 0xdf},
    {"eacute", 0xe9},
    {"egrave", 0xe8},
    {"agrave", 0xe0},
    {"ccedil", 0xe7},
    {"Eacute", 0xc9},
};

static int
put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	return buf_append(b, u, n);
}

/* decode the entity at p (after '&'); returns bytes consumed, 0 if none */
static size_t
entity(const char *p, size_t n, uint32_t *cp)
{
	size_t i = 0, j;
	uint32_t v = 0;

	if (n > 0 && p[0] == '#') {
		i = 1;
		if (i < n && (p[i] == 'x' || p[i] == 'X')) {
			for (i++, j = i; i < n &&
			     isxdigit((unsigned char)p[i]) && i - j < 8;
			     i++)
				v = v * 16 +
				    (uint32_t)(isdigit((unsigned char)p[i])
					    ? p[i] - '0'
					    : (tolower((unsigned char)p[i]) -
						  'a' + 10));
			if (i == j)
				return 0;
		} else {
			for (j = i;
			     i < n && isdigit((unsigned char)p[i]) && i - j < 8;
			     i++)
				v = v * 10 + (uint32_t)(p[i] - '0');
			if (i == j)
				return 0;
		}
		if (i < n && p[i] == ';')
			i++;
		*cp = v;
		return i;
	}
	for (j = 0; j < sizeof(entities) / sizeof(entities[0]); j++) {
		size_t l = strlen(entities[j].name);
		if (l <= n && memcmp(p, entities[j].name, l) == 0 &&
		    (l == n || !isalnum((unsigned char)p[l]))) {
			*cp = entities[j].cp;
			return l < n && p[l] == ';' ? l + 1 : l;
		}
	}
	return 0;
}

/* text with entities decoded, appended to b */
static int
put_text(struct buf *b, const char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (p[i] == '&' &&
		    (k = entity(p + i + 1, n - i - 1, &cp)) > 0) {
			if (put_utf8(b, cp) < 0)
				return -1;
			i += 1 + k;
			continue;
		}
		if (buf_putc(b, p[i]) < 0)
			return -1;
		i++;
	}
	return 0;
}

static bool
tag_is(const char *name, size_t len, const char *const *set)
{
	for (; *set; set++)
		if (strlen(*set) == len && strncasecmp(name, *set, len) == 0)
			return true;
	return false;
}

static const char *const block_tags[] = {"br", "p", "div", "tr", "li", "ul",
    "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "hr", "title", "section", "article", "header", "footer", "dd", "dt", NULL};
static const char *const cell_tags[] = {"td", "th", NULL};
static const char *const keep_attrs[] = {
    "alt", "title", "href", "value", "placeholder", "content", NULL};

/* append the visible or extractable attribute values of one tag */
static int
tag_attrs(struct buf *b, const char *p, size_t n)
{
	size_t i = 0, ns, ne, vs, ve;
	char q;

	while (i < n) {
		while (i < n && !isalpha((unsigned char)p[i]))
			i++;
		ns = i;
		while (i < n &&
		    (isalnum((unsigned char)p[i]) || p[i] == '-' ||
			p[i] == ':' || p[i] == '_'))
			i++;
		ne = i;
		while (i < n && isspace((unsigned char)p[i]))
			i++;
		if (i >= n || p[i] != '=')
			continue;
		i++;
		while (i < n && isspace((unsigned char)p[i]))
			i++;
		if (i < n && (p[i] == '"' || p[i] == '\'')) {
			q = p[i++];
			vs = i;
			while (i < n && p[i] != q)
				i++;
			ve = i;
			if (i < n)
				i++;
		} else {
			vs = i;
			while (i < n && !isspace((unsigned char)p[i]))
				i++;
			ve = i;
		}
		if (ne > ns && tag_is(p + ns, ne - ns, keep_attrs) && ve > vs) {
			if (buf_putc(b, ' ') < 0 ||
			    put_text(b, p + vs, ve - vs) < 0 ||
			    buf_putc(b, ' ') < 0)
				return -1;
		}
	}
	return 0;
}

/* find s (case-insensitive) in p[0..n) */
static const char *
find_ci(const char *p, size_t n, const char *s)
{
	size_t l = strlen(s), i;

	for (i = 0; i + l <= n; i++)
		if (strncasecmp(p + i, s, l) == 0)
			return p + i;
	return NULL;
}

/* html_to_text - what a reader sees (and can extract) */
char *
html_to_text(struct arena *a, const char *in, size_t len, size_t *outlen)
{
	struct buf b = {0};
	const char *p = in, *end = in + len, *lt, *gt, *close;
	char *res = NULL;
	size_t nlen;

	while (p < end) {
		lt = memchr(p, '<', (size_t)(end - p));
		if (lt == NULL)
			lt = end;
		if (put_text(&b, p, (size_t)(lt - p)) < 0)
			goto out;
		if (lt == end)
			break;
		p = lt + 1;
		if (p == end) {
			/* a '<' that ends the text is text; do not read *end */
			if (buf_putc(&b, '<') < 0)
				goto out;
			break;
		}
		if (end - p >= 3 && memcmp(p, "!--", 3) == 0) {
			/* comments are kept: a recipient can read them */
			close = find_ci(p + 3, (size_t)(end - p - 3), "-->");
			if (close == NULL)
				close = end;
			if (buf_putc(&b, ' ') < 0 ||
			    put_text(&b, p + 3, (size_t)(close - p - 3)) < 0 ||
			    buf_putc(&b, ' ') < 0)
				goto out;
			p = close == end ? end : close + 3;
			continue;
		}
		if (!isalpha((unsigned char)*p) && *p != '/' && *p != '!' &&
		    *p != '?') {
			/* a lone '<' is text */
			if (buf_putc(&b, '<') < 0)
				goto out;
			continue;
		}
		gt = memchr(p, '>', (size_t)(end - p));
		if (gt == NULL)
			gt = end;
		const char *name = p + (*p == '/');
		nlen = 0;
		while (name + nlen < gt &&
		    (isalnum((unsigned char)name[nlen]) || name[nlen] == ':'))
			nlen++;
		if (*p != '/' &&
		    (tag_is(name, nlen,
			(const char *const[]){"script", "style", NULL}))) {
			char endtag[16];
			snprintf(
			    endtag, sizeof(endtag), "</%.*s", (int)nlen, name);
			close = gt < end
			    ? find_ci(gt, (size_t)(end - gt), endtag)
			    : NULL;
			if (close == NULL) {
				p = end;
				break;
			}
			gt = memchr(close, '>', (size_t)(end - close));
			p = gt ? gt + 1 : end;
			continue;
		}
		if (tag_attrs(&b, name + nlen, (size_t)(gt - name - nlen)) < 0)
			goto out;
		if (tag_is(name, nlen, block_tags)) {
			if (buf_putc(&b, '\n') < 0)
				goto out;
		} else if (tag_is(name, nlen, cell_tags)) {
			if (buf_putc(&b, '\t') < 0)
				goto out;
		}
		p = gt < end ? gt + 1 : end;
	}
	res = arena_memdup(a, b.p ? b.p : "", b.len);
	*outlen = b.len;
out:
	buf_free(&b);
	return res;
}

/*
 * The zeros of Unicode's decimal digits (general category Nd, Unicode
 * 14.0, as PCRE2 10.42 knows it), each the first of ten in a row: what
 * PCRE2's \d matches beyond ASCII.
 */
static const uint32_t digit_zeros[] = {0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66,
    0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20,
    0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50,
    0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50,
    0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0,
    0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
    0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8,
    0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0};

/* the ASCII digit of a decimal digit beyond ASCII, or 0 */
static int
digit_form(uint32_t cp)
{
	size_t lo = 0, hi = EXFIL_ARRAY_LEN(digit_zeros), mid;

	if (cp < digit_zeros[0])
		return 0;
	while (hi - lo > 1) { /* the last zero at or below cp */
		mid = (lo + hi) / 2;
		if (digit_zeros[mid] <= cp)
			lo = mid;
		else
			hi = mid;
	}
	return cp - digit_zeros[lo] < 10 ? (int)('0' + cp - digit_zeros[lo])
					 : 0;
}

/* what one code point becomes: -1 drop, 0 keep, else this ASCII byte */
static int
normal_form(uint32_t cp)
{
	if (cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
	    cp == 0x205f || cp == 0x3000)
		return ' ';
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xfe63 ||
	    cp == 0xff0d)
		return '-';
	if ((cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0xfeff ||
	    cp == 0xad || cp == 0x180e || cp == 0x2061 || cp == 0x2062 ||
	    cp == 0x2063 || cp == 0x2064)
		return -1;
	if (cp >= 0xff01 && cp <= 0xff5e)
		return (int)(cp - 0xff01 + 0x21);
	/* the two letters that Unicode folds to ASCII ones (long s, Kelvin
	 * sign): a rule's literal "secret" must find what its caseless
	 * pattern matches */
	if (cp == 0x17f)
		return 's';
	if (cp == 0x212a)
		return 'K';
	return digit_form(cp);
}

/* text_normalize - spaces, dashes, invisible and fullwidth characters */
const char *
text_normalize(struct arena *a, const char *in, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, o = 0, n;
	uint32_t cp;
	char *out;
	int f;

	if (is_ascii(in, len)) {
		*outlen = len;
		return in;
	}
	if ((out = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i += n) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			out[o++] = (char)p[i]; /* not UTF-8: keep the byte */
			n = 1;
			continue;
		}
		if (n == 1) {
			out[o++] = (char)p[i];
			continue;
		}
		cp = n == 2  ? (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f)
		    : n == 3 ? (uint32_t)(p[i] & 0x0f) << 12 |
			(uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f)
			     : (uint32_t)(p[i] & 0x07) << 18 |
			(uint32_t)(p[i + 1] & 0x3f) << 12 |
			(uint32_t)(p[i + 2] & 0x3f) << 6 | (p[i + 3] & 0x3f);
		f = normal_form(cp);
		if (f > 0)
			out[o++] = (char)f;
		else if (f == 0) {
			memcpy(out + o, p + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}
