/*
 * decode.c - base64, quoted-printable, RFC 2047 words, RFC 2231 parameters
 * (see include/exfil/decode.h)
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/charset.h>
#include <exfil/decode.h>

static const signed char b64[256] = {
    ['A'] = 1,
    ['B'] = 2,
    ['C'] = 3,
    ['D'] = 4,
    ['E'] = 5,
    ['F'] = 6,
    ['G'] = 7,
    ['H'] = 8,
    ['I'] = 9,
    ['J'] = 10,
    ['K'] = 11,
    ['L'] = 12,
    ['M'] = 13,
    ['N'] = 14,
    ['O'] = 15,
    ['P'] = 16,
    ['Q'] = 17,
    ['R'] = 18,
    ['S'] = 19,
    ['T'] = 20,
    ['U'] = 21,
    ['V'] = 22,
    ['W'] = 23,
    ['X'] = 24,
    ['Y'] = 25,
    ['Z'] = 26,
    ['a'] = 27,
    ['b'] = 28,
    ['c'] = 29,
    ['d'] = 30,
    ['e'] = 31,
    ['f'] = 32,
    ['g'] = 33,
    ['h'] = 34,
    ['i'] = 35,
    ['j'] = 36,
    ['k'] = 37,
    ['l'] = 38,
    ['m'] = 39,
    ['n'] = 40,
    ['o'] = 41,
    ['p'] = 42,
    ['q'] = 43,
    ['r'] = 44,
    ['s'] = 45,
    ['t'] = 46,
    ['u'] = 47,
    ['v'] = 48,
    ['w'] = 49,
    ['x'] = 50,
    ['y'] = 51,
    ['z'] = 52,
    ['0'] = 53,
    ['1'] = 54,
    ['2'] = 55,
    ['3'] = 56,
    ['4'] = 57,
    ['5'] = 58,
    ['6'] = 59,
    ['7'] = 60,
    ['8'] = 61,
    ['9'] = 62,
    ['+'] = 63,
    ['/'] = 64,
};

/* decode_base64 - tolerant base64 decoder (values in b64[] are +1) */
size_t
decode_base64(const char *in, size_t len, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned long acc = 0;
	unsigned a, b, c, d;
	unsigned long g;
	size_t i, o = 0;
	int n = 0, v;

	for (i = 0; i < len; i++) {
		/* whole groups of four between line breaks, the common case:
		 * one test for the four (a value of 0 wraps to above 63) */
		while (n == 0 && len - i >= 4) {
			a = b64[p[i]] - 1u, b = b64[p[i + 1]] - 1u;
			c = b64[p[i + 2]] - 1u, d = b64[p[i + 3]] - 1u;
			if ((a | b | c | d) > 63)
				break;
			g = a << 18 | b << 12 | c << 6 | d;
			out[o] = (unsigned char)(g >> 16);
			out[o + 1] = (unsigned char)(g >> 8);
			out[o + 2] = (unsigned char)g;
			o += 3;
			i += 4;
		}
		if (i == len)
			break;
		v = b64[(unsigned char)in[i]];
		if (v == 0)
			continue; /* CR, LF, padding, junk */
		acc = (acc << 6) | (unsigned long)(v - 1);
		if (++n == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (n == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return o;
}

/* decode_hexval - the value of one hex digit, or -1 */
int
decode_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* decode_qp - quoted-printable, soft breaks joined */
size_t
decode_qp(const char *in, size_t len, unsigned char *out)
{
	size_t i = 0, o = 0, j;
	int hi, lo;

	while (i < len) {
		if (in[i] != '=') {
			out[o++] = (unsigned char)in[i++];
			continue;
		}
		/* "=" then optional blanks then end of line: soft break */
		j = i + 1;
		while (j < len && (in[j] == ' ' || in[j] == '\t'))
			j++;
		if (j < len && (in[j] == '\r' || in[j] == '\n')) {
			if (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n')
				j++;
			i = j + 1;
			continue;
		}
		if (j == len) {
			i = len; /* "=" at the very end */
			continue;
		}
		if (i + 2 < len + 0 && (hi = decode_hexval(in[i + 1])) >= 0 &&
		    (lo = decode_hexval(in[i + 2])) >= 0) {
			out[o++] = (unsigned char)(hi << 4 | lo);
			i += 3;
			continue;
		}
		out[o++] = '=';
		i++;
	}
	return o;
}

/* decode_unfold - the value with CR LF + blank folding removed */
char *
decode_unfold(struct arena *a, const char *value)
{
	size_t len = strlen(value), o = 0, i;
	char *out;

	if ((out = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (value[i] == '\r' || value[i] == '\n')
			continue;
		out[o++] = value[i];
	}
	out[o] = '\0';
	return out;
}

/* decode one encoded word =?cs?E?text?= at p; NULL if it is not one */
static const char *
encoded_word(struct arena *a, const char *p, struct buf *out)
{
	const char *cs, *q1, *enc, *q2, *text, *end;
	unsigned char *raw;
	size_t rawlen, i, olen;
	char *charset, *utf8, *star;

	if (p[0] != '=' || p[1] != '?')
		return NULL;
	cs = p + 2;
	if ((q1 = strchr(cs, '?')) == NULL || q1 == cs)
		return NULL;
	enc = q1 + 1;
	if (enc[0] == '\0' || enc[1] != '?')
		return NULL;
	text = enc + 2;
	if ((end = strstr(text, "?=")) == NULL)
		return NULL;
	q2 = end;
	if (memchr(text, ' ', (size_t)(q2 - text)) != NULL)
		return NULL;
	if ((charset = arena_strndup(a, cs, (size_t)(q1 - cs))) == NULL)
		return NULL;
	if ((star = strchr(charset, '*')) != NULL)
		*star = '\0'; /* RFC 2231 language suffix */
	rawlen = (size_t)(q2 - text);
	if ((raw = arena_alloc(a, rawlen + 3)) == NULL)
		return NULL;
	if (*enc == 'B' || *enc == 'b') {
		rawlen = decode_base64(text, rawlen, raw);
	} else if (*enc == 'Q' || *enc == 'q') {
		size_t o = 0;
		for (i = 0; i < rawlen; i++) {
			int hi, lo;
			if (text[i] == '_') {
				raw[o++] = ' ';
			} else if (text[i] == '=' && i + 2 < rawlen + 0 &&
			    (hi = decode_hexval(text[i + 1])) >= 0 &&
			    (lo = decode_hexval(text[i + 2])) >= 0) {
				raw[o++] = (unsigned char)(hi << 4 | lo);
				i += 2;
			} else {
				raw[o++] = (unsigned char)text[i];
			}
		}
		rawlen = o;
	} else {
		return NULL;
	}
	utf8 = charset_to_utf8(a, charset, (const char *)raw, rawlen, &olen);
	if (utf8 == NULL || buf_append(out, utf8, olen) < 0)
		return NULL;
	return q2 + 2;
}

/* decode_header - unfold and decode RFC 2047 words to UTF-8 */
char *
decode_header(struct arena *a, const char *value)
{
	struct buf out = {0};
	const char *p, *next, *ws;
	bool last_was_word = false;
	char *unfolded, *res = NULL;
	size_t before;

	if ((unfolded = decode_unfold(a, value)) == NULL)
		return NULL;
	if (strstr(unfolded, "=?") == NULL)
		return unfolded;
	p = unfolded;
	while (*p) {
		/* white space between two encoded words is dropped */
		ws = p;
		while (*ws == ' ' || *ws == '\t')
			ws++;
		if (last_was_word && ws != p && ws[0] == '=' && ws[1] == '?') {
			before = out.len;
			if ((next = encoded_word(a, ws, &out)) != NULL) {
				p = next;
				continue;
			}
			out.len = before;
		}
		if (p[0] == '=' && p[1] == '?') {
			before = out.len;
			if ((next = encoded_word(a, p, &out)) != NULL) {
				p = next;
				last_was_word = true;
				continue;
			}
			out.len = before;
		}
		if (buf_putc(&out, *p) < 0)
			goto out;
		if (*p != ' ' && *p != '\t')
			last_was_word = false;
		p++;
	}
	res = arena_memdup(a, out.p ? out.p : "", out.len);
out:
	buf_free(&out);
	return res;
}

/* percent-decode an RFC 2231 extended value into out */
static int
pct_decode(struct buf *out, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 0 &&
		    (hi = decode_hexval(s[i + 1])) >= 0 &&
		    (lo = decode_hexval(s[i + 2])) >= 0) {
			if (buf_putc(out, hi << 4 | lo) < 0)
				return -1;
			i += 2;
		} else if (buf_putc(out, s[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

/* scan one parameter's value (token or quoted string) into out */
static const char *
param_value(const char *p, struct buf *out)
{
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			if (buf_putc(out, *p++) < 0)
				return NULL;
		}
		if (*p == '"')
			p++;
		return p;
	}
	while (*p && *p != ';' && *p != ' ' && *p != '\t') {
		if (buf_putc(out, *p++) < 0)
			return NULL;
	}
	return p;
}

/*
 * decode_param - one parameter of a structured header value, decoded:
 * name="x", name*=charset'lang'pct-value, name*0=..., name*1*=...
 * The plain and extended forms are both accepted; continuations are
 * joined in order of appearance (clients write them in order).
 */
char *
decode_param(struct arena *a, const char *value, const char *name)
{
	struct buf plain = {0}, ext = {0}, v = {0};
	const char *p, *q, *nstart;
	char *charset = NULL, *res = NULL;
	size_t nlen = strlen(name), klen;
	bool have_plain = false, have_ext = false;

	if ((p = decode_unfold(a, value)) == NULL)
		return NULL;
	/* skip the main value */
	while (*p && *p != ';') {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p++;
		}
	}
	while (*p == ';') {
		p++;
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		nstart = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		if (*p != '=')
			continue;
		klen = (size_t)(p - nstart);
		while (klen &&
		    (nstart[klen - 1] == ' ' || nstart[klen - 1] == '\t'))
			klen--;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		buf_reset(&v);
		if ((q = param_value(p, &v)) == NULL)
			goto out;
		p = q;
		while (*p && *p != ';')
			p++;
		if (klen < nlen || strncasecmp(nstart, name, nlen) != 0)
			continue;
		if (klen == nlen) {
			have_plain = true;
			buf_reset(&plain);
			if (buf_append(&plain, v.p ? v.p : "", v.len) < 0)
				goto out;
			continue;
		}
		if (nstart[nlen] != '*')
			continue;
		/* name* or name*N or name*N* */
		bool extended = nstart[klen - 1] == '*';
		const char *sect = nstart + nlen + 1;
		bool first = extended
		    ? (sect == nstart + klen ||
			  (sect[0] == '0' && sect + 2 == nstart + klen))
		    : (sect[0] == '0' && sect + 1 == nstart + klen);
		const char *val = v.p ? v.p : "";
		size_t vlen = v.len;
		if (extended && first) {
			/* charset'language'value */
			const char *t1 = memchr(val, '\'', vlen);
			const char *t2 = t1 ? memchr(t1 + 1, '\'',
						  vlen - (size_t)(t1 + 1 - val))
					    : NULL;
			if (t1 && t2) {
				charset =
				    arena_strndup(a, val, (size_t)(t1 - val));
				vlen -= (size_t)(t2 + 1 - val);
				val = t2 + 1;
			}
		}
		have_ext = true;
		if (extended) {
			if (pct_decode(&ext, val, vlen) < 0)
				goto out;
		} else if (buf_append(&ext, val, vlen) < 0) {
			goto out;
		}
	}
	if (have_ext) {
		size_t olen;
		res =
		    charset_to_utf8(a, charset && *charset ? charset : "utf-8",
			ext.p ? ext.p : "", ext.len, &olen);
	} else if (have_plain) {
		/* Outlook puts RFC 2047 words inside the quoted name */
		char *raw = arena_memdup(a, plain.p ? plain.p : "", plain.len);
		res = raw ? decode_header(a, raw) : NULL;
	}
out:
	buf_free(&plain);
	buf_free(&ext);
	buf_free(&v);
	return res;
}

/* is p[0..n) a "begin MODE NAME" line? set the name */
static int
uu_begin(const char *p, size_t n, struct uu_block *b)
{
	size_t i = 6, k;

	if (n < 10 || memcmp(p, "begin ", 6) != 0)
		return 0;
	for (k = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++, k++)
		;
	if (k < 3 || k > 4 || i >= n || p[i] != ' ')
		return 0;
	i++;
	while (n > i && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n <= i)
		return 0;
	b->name = p + i;
	b->namelen = n - i;
	return 1;
}

/* decode_uu_block - the next uuencoded block in p[0..n), 1 if found */
int
decode_uu_block(const char *p, size_t n, struct uu_block *b)
{
	const char *line = p, *end = p + n, *eol, *body = NULL;
	size_t ll;

	while (line < end) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - line);
		if (body == NULL) {
			if ((line == p || line[-1] == '\n') &&
			    uu_begin(line, ll, b))
				body = eol < end ? eol + 1 : end;
		} else if (ll >= 3 && memcmp(line, "end", 3) == 0 &&
		    (ll == 3 || line[3] == '\r' || line[3] == ' ')) {
			b->body = body;
			b->bodylen = (size_t)(line - body);
			b->next = (size_t)((eol < end ? eol + 1 : end) - p);
			return 1;
		}
		line = eol < end ? eol + 1 : end;
	}
	if (body == NULL)
		return 0;
	/* no "end" line: take what there is */
	b->body = body;
	b->bodylen = (size_t)(end - body);
	b->next = n;
	return 1;
}

/* decode_uu - the bytes of uuencoded lines */
size_t
decode_uu(const char *in, size_t len, unsigned char *out)
{
	const char *line = in, *end = in + len, *eol;
	size_t o = 0, ll, i, want, got;
	unsigned v[4];
	int k;

	while (line < end) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - line);
		while (ll && (line[ll - 1] == '\r'))
			ll--;
		if (ll == 0 || line[0] < ' ' || line[0] > '`')
			goto next;
		want = (size_t)((line[0] - ' ') & 63);
		if (want == 0 || (ll - 1) * 3 / 4 + 3 < want)
			goto next; /* empty or not a uuencoded line */
		for (i = 1, got = 0; got < want && i < ll; i += 4) {
			unsigned char three[3];
			for (k = 0; k < 4; k++)
				v[k] = i + (size_t)k < ll
				    ? (unsigned)((line[i + (size_t)k] - ' ') &
					  63)
				    : 0;
			three[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
			three[1] = (unsigned char)(v[1] << 4 | v[2] >> 2);
			three[2] = (unsigned char)(v[2] << 6 | v[3]);
			for (k = 0; k < 3 && got < want; k++, got++)
				out[o++] = three[k];
		}
	next:
		line = eol < end ? eol + 1 : end;
	}
	return o;
}
