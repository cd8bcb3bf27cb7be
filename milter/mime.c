/*
 * mime.c - MIME walker: parts, nesting, limits (see include/exfil/mime.h)
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/decode.h>
#include <exfil/message.h>
#include <exfil/mime.h>

struct walk {
	struct message *m;
	const struct mime_limits *lim;
	mime_part_fn *fn;
	void *arg;
	unsigned parts;
	size_t decoded;
};

/*
 * Headers that carry only transport or structure (MIME boundaries are
 * random digits: a Luhn-valid run in one is no card; file names are
 * scanned on their own, as names), and signatures whose
 * random base64 would only feed false positives. Everything else a
 * person wrote or a client set is scanned.
 */
static const char *const skip_headers[] = {"received", "return-path",
    "dkim-signature", "arc-seal", "arc-message-signature",
    "arc-authentication-results", "authentication-results", "received-spf",
    "message-id", "in-reply-to", "references", "date", "mime-version",
    "content-type", "content-disposition", "content-transfer-encoding",
    "content-id", "thread-index",
    "x-ms-exchange-organization-network-message-id",
    "x-ms-exchange-crosstenant-id", "x-ms-tnef-correlator",
    "domainkey-signature", "x-google-dkim-signature", NULL};

/* mime_header_get - value of the first header called name */
const char *
mime_header_get(const struct header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static bool
skip_header(const char *name)
{
	const char *const *s;

	for (s = skip_headers; *s; s++)
		if (strcasecmp(name, *s) == 0)
			return true;
	return false;
}

/* "Type/Sub; params" -> "type/sub", or NULL when there is no valid type */
static char *
media_type(struct arena *a, const char *value)
{
	const char *p, *s, *e;
	char *t;
	size_t i, n;

	if (value == NULL)
		return NULL;
	for (p = value; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';)
		p++;
	s = p;
	while (*p && *p != ';' && *p != ' ' && *p != '\t' && *p != '\r' &&
	    *p != '\n' && *p != '(')
		p++;
	e = p;
	n = (size_t)(e - s);
	if (n < 3 || memchr(s, '/', n) == NULL || s[0] == '/' || e[-1] == '/')
		return NULL;
	if ((t = arena_strndup(a, s, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	return t;
}

static char *
lower_token(struct arena *a, const char *value)
{
	const char *s = value, *e;
	char *t;
	size_t i;

	if (value == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != ';' && *e != '\r' &&
	    *e != '\n' && *e != '(')
		e++;
	if ((t = arena_strndup(a, s, (size_t)(e - s))) == NULL)
		return NULL;
	for (i = 0; t[i]; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	return t;
}

static int
emit_headers(struct walk *w, const struct header *h, size_t n,
    const char *prefix, unsigned depth)
{
	struct mime_part part;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (skip_header(h[i].name))
			continue;
		memset(&part, 0, sizeof(part));
		part.kind = MIME_HEADER;
		part.header_name = h[i].name;
		part.depth = depth;
		part.where = arena_sprintf(
		    w->m->arena, "%sheader:%s", prefix, h[i].name);
		part.data = decode_header(w->m->arena, h[i].value);
		if (part.where == NULL || part.data == NULL)
			return EXFIL_ENOMEM;
		part.len = strlen(part.data);
		if ((rc = w->fn(&part, w->arg)) < 0)
			return rc;
	}
	return 0;
}

/* decode the body of one entity per its Content-Transfer-Encoding */
static int
decode_body(struct walk *w, const char *cte, const char *body, size_t len,
    const char **out, size_t *outlen)
{
	unsigned char *buf;

	if (cte &&
	    (strcmp(cte, "base64") == 0 ||
		strcmp(cte, "quoted-printable") == 0)) {
		size_t room = len + 4;
		if (w->lim->max_decoded &&
		    w->decoded + room > w->lim->max_decoded) {
			w->m->flags |= MSG_F_DECODE_LIMIT;
			if (w->decoded >= w->lim->max_decoded) {
				*out = body;
				*outlen = 0;
				return 0;
			}
			len = w->lim->max_decoded - w->decoded;
			room = len + 4;
		}
		if ((buf = arena_alloc(w->m->arena, room)) == NULL)
			return EXFIL_ENOMEM;
		if (cte[0] == 'b')
			*outlen = decode_base64(body, len, buf);
		else
			*outlen = decode_qp(body, len, buf);
		buf[*outlen] = '\0';
		w->decoded += *outlen;
		*out = (const char *)buf;
		return 0;
	}
	/* 7bit, 8bit, binary, or unknown (read as it is) */
	*out = body;
	*outlen = len;
	w->decoded += len;
	return 0;
}

/* apply the header limits to one entity's header array */
static size_t
limit_headers(struct walk *w, struct header *h, size_t n)
{
	size_t i, max = w->lim->max_header_size;

	if (w->lim->max_headers && n > w->lim->max_headers) {
		w->m->flags |= MSG_F_HEADER_LIMIT;
		n = w->lim->max_headers;
	}
	for (i = 0; max && i < n; i++) {
		if (strlen(h[i].value) > max) {
			w->m->flags |= MSG_F_HEADER_LIMIT;
			h[i].value =
			    arena_strndup(w->m->arena, h[i].value, max);
			if (h[i].value == NULL)
				h[i].value = "";
		}
	}
	return n;
}

/* flag a line longer than max_line in p[0..n) */
static void
check_lines(struct walk *w, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	size_t max = w->lim->max_line;

	if (max == 0 || n <= max)
		return;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)((nl ? nl : end) - p) > max) {
			w->m->flags |= MSG_F_LONG_LINE;
			return;
		}
		if (nl == NULL)
			return;
		p = nl + 1;
	}
}

static int walk_entity(struct walk *w, const struct header *h, size_t nh,
    const char *body, size_t len, unsigned depth, const char *prefix,
    bool in_digest, bool is_message);

/* is there a delimiter line "--boundary" at p? set *close for "--b--" */
static bool
delimiter_at(const char *p, const char *end, const char *b, size_t blen,
    bool *close, const char **next)
{
	const char *q;

	if ((size_t)(end - p) < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return false;
	q = p + 2 + blen;
	*close = (end - q >= 2 && q[0] == '-' && q[1] == '-');
	if (*close)
		q += 2;
	/* only blanks may follow on the line (transport padding) */
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < end && *q != '\r' && *q != '\n')
		return false;
	if (q < end && *q == '\r')
		q++;
	if (q < end && *q == '\n')
		q++;
	*next = q;
	return true;
}

/* find the next delimiter line at or after p; returns its start */
static const char *
find_delimiter(const char *p, const char *end, const char *b, size_t blen,
    bool *close, const char **next)
{
	const char *q = p;

	while (q < end) {
		if ((q == p || q[-1] == '\n') &&
		    delimiter_at(q, end, b, blen, close, next))
			return q;
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL)
			break;
		q++;
	}
	return NULL;
}

/* the content of a part ends before the line break preceding "--b" */
static const char *
strip_eol(const char *start, const char *delim)
{
	if (delim > start && delim[-1] == '\n')
		delim--;
	if (delim > start && delim[-1] == '\r')
		delim--;
	return delim;
}

static bool
has_text(const char *p, size_t n)
{
	static const char usual[] =
	    "This is a multi-part message in MIME format.";
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			k++;
	if (k == 0)
		return false;
	/* the usual preamble says nothing */
	return !(k <= sizeof(usual) &&
	    memmem(p, n, "multi-part message", 18) != NULL);
}

static int
emit_text_leaf(
    struct walk *w, const char *where, const char *p, size_t n, unsigned depth)
{
	struct mime_part part;

	memset(&part, 0, sizeof(part));
	part.kind = MIME_LEAF;
	part.where = where;
	part.content_type = "text/plain";
	part.depth = depth;
	part.data = p;
	part.len = n;
	return where ? w->fn(&part, w->arg) : EXFIL_ENOMEM;
}

static int
walk_multipart(struct walk *w, const char *boundary, const char *body,
    size_t len, unsigned depth, const char *prefix, bool digest)
{
	const char *end = body + len, *d, *next, *start, *cend;
	struct header *h;
	size_t nh, off, blen = strlen(boundary);
	bool close = false;
	int rc;

	d = find_delimiter(body, end, boundary, blen, &close, &next);
	if (d == NULL) {
		/* no delimiter at all: read the whole as text */
		w->m->flags |= MSG_F_MIME_MALFORMED;
		return emit_text_leaf(w,
		    arena_sprintf(w->m->arena, "%sbody:text/plain", prefix),
		    body, len, depth);
	}
	if (has_text(body, (size_t)(strip_eol(body, d) - body)) &&
	    (rc = emit_text_leaf(w,
		 arena_sprintf(w->m->arena, "%spreamble", prefix), body,
		 (size_t)(strip_eol(body, d) - body), depth)) < 0)
		return rc;
	while (!close) {
		start = next;
		d = find_delimiter(start, end, boundary, blen, &close, &next);
		if (d == NULL) {
			w->m->flags |= MSG_F_MIME_MALFORMED; /* no closing */
			cend = end;
		} else {
			cend = strip_eol(start, d);
		}
		rc = message_split_headers(
		    w->m->arena, start, (size_t)(cend - start), &h, &nh, &off);
		if (rc < 0)
			return rc;
		nh = limit_headers(w, h, nh);
		rc = walk_entity(w, h, nh, start + off,
		    (size_t)(cend - start) - off, depth, prefix, digest, false);
		if (rc < 0)
			return rc;
		if (d == NULL)
			return 0;
		if (w->parts >= w->lim->max_parts) {
			w->m->flags |= MSG_F_PARTS_LIMIT;
			return 0;
		}
	}
	if (next < end && has_text(next, (size_t)(end - next)))
		return emit_text_leaf(w,
		    arena_sprintf(w->m->arena, "%sepilogue", prefix), next,
		    (size_t)(end - next), depth);
	return 0;
}

/*
 * uuencoded blocks ("begin 644 name" ... "end") inside a text part are
 * attachments of their own, as old clients and scripts send them.
 */
static int
walk_uuencoded(struct walk *w, const char *data, size_t len, const char *prefix,
    unsigned depth)
{
	struct mime_part part;
	struct uu_block b;
	unsigned char *out;
	size_t off = 0, n;
	int rc;

	while (off < len && memmem(data + off, len - off, "begin ", 6) &&
	    decode_uu_block(data + off, len - off, &b)) {
		off += b.next;
		if (w->parts >= w->lim->max_parts) {
			w->m->flags |= MSG_F_PARTS_LIMIT;
			return 0;
		}
		if (w->lim->max_decoded &&
		    w->decoded + b.bodylen > w->lim->max_decoded) {
			w->m->flags |= MSG_F_DECODE_LIMIT;
			return 0;
		}
		w->parts++;
		if ((out = arena_alloc(w->m->arena, b.bodylen + 4)) == NULL)
			return EXFIL_ENOMEM;
		n = decode_uu(b.body, b.bodylen, out);
		out[n] = '\0';
		w->decoded += n;
		memset(&part, 0, sizeof(part));
		part.kind = MIME_LEAF;
		part.content_type = "application/octet-stream";
		part.filename = arena_strndup(w->m->arena, b.name, b.namelen);
		part.attachment = true;
		part.depth = depth;
		part.data = (const char *)out;
		part.len = n;
		part.where = part.filename
		    ? arena_sprintf(
			  w->m->arena, "%sattachment:%s", prefix, part.filename)
		    : NULL;
		if (part.where == NULL)
			return EXFIL_ENOMEM;
		if ((rc = w->fn(&part, w->arg)) < 0)
			return rc;
	}
	return 0;
}

static int
walk_entity(struct walk *w, const struct header *h, size_t nh, const char *body,
    size_t len, unsigned depth, const char *prefix, bool in_digest,
    bool is_message)
{
	struct arena *a = w->m->arena;
	const char *ctv, *cdv, *data, *sub;
	char *type, *cte, *disp, *filename, *boundary, *charset;
	struct header *nhdr;
	struct mime_part part;
	size_t dlen, nn, off;
	unsigned partno;
	int rc;

	if (w->parts >= w->lim->max_parts) {
		w->m->flags |= MSG_F_PARTS_LIMIT;
		return 0;
	}
	partno = ++w->parts;
	if (is_message && (rc = emit_headers(w, h, nh, prefix, depth)) < 0)
		return rc;
	ctv = mime_header_get(h, nh, "Content-Type");
	cdv = mime_header_get(h, nh, "Content-Disposition");
	type = media_type(a, ctv);
	if (type == NULL) {
		if (ctv != NULL)
			w->m->flags |= MSG_F_MIME_MALFORMED;
		type = in_digest ? "message/rfc822" : "text/plain";
	}
	cte =
	    lower_token(a, mime_header_get(h, nh, "Content-Transfer-Encoding"));
	disp = lower_token(a, cdv);
	filename = cdv ? decode_param(a, cdv, "filename") : NULL;
	if (filename == NULL && ctv)
		filename = decode_param(a, ctv, "name");

	if (strncmp(type, "multipart/", 10) == 0) {
		boundary = ctv ? decode_param(a, ctv, "boundary") : NULL;
		if (boundary == NULL || *boundary == '\0') {
			w->m->flags |= MSG_F_MIME_MALFORMED;
			type = "text/plain";
		} else if (depth + 1 > w->lim->max_depth) {
			w->m->flags |= MSG_F_DEPTH_LIMIT;
			return 0;
		} else {
			return walk_multipart(w, boundary, body, len, depth + 1,
			    prefix, strcmp(type, "multipart/digest") == 0);
		}
	}
	if ((rc = decode_body(w, cte, body, len, &data, &dlen)) < 0)
		return rc;
	if (strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0) {
		if (depth + 1 > w->lim->max_depth) {
			w->m->flags |= MSG_F_DEPTH_LIMIT;
			return 0;
		}
		sub = filename
		    ? arena_sprintf(a, "%smessage:%s!", prefix, filename)
		    : arena_sprintf(a, "%smessage:part%u!", prefix, partno);
		if (sub == NULL)
			return EXFIL_ENOMEM;
		if ((rc = message_split_headers(
			 a, data, dlen, &nhdr, &nn, &off)) < 0)
			return rc;
		nn = limit_headers(w, nhdr, nn);
		return walk_entity(w, nhdr, nn, data + off, dlen - off,
		    depth + 1, sub, false, true);
	}
	charset = ctv ? decode_param(a, ctv, "charset") : NULL;
	memset(&part, 0, sizeof(part));
	part.kind = MIME_LEAF;
	part.content_type = type;
	part.charset = charset;
	part.filename = filename;
	part.depth = depth;
	part.data = data;
	part.len = dlen;
	part.attachment = filename != NULL ||
	    (disp && strcmp(disp, "attachment") == 0) ||
	    (strcmp(type, "text/plain") != 0 && strcmp(type, "text/html") != 0);
	if (part.attachment)
		part.where = filename
		    ? arena_sprintf(a, "%sattachment:%s", prefix, filename)
		    : arena_sprintf(a, "%sattachment:part%u", prefix, partno);
	else
		part.where = arena_sprintf(a, "%sbody:%s", prefix, type);
	if (part.where == NULL)
		return EXFIL_ENOMEM;
	if ((rc = w->fn(&part, w->arg)) < 0)
		return rc;
	if (strncmp(type, "text/", 5) == 0 ||
	    (cte &&
		(strcmp(cte, "x-uuencode") == 0 ||
		    strcmp(cte, "uuencode") == 0 || strcmp(cte, "x-uue") == 0)))
		return walk_uuencoded(w, data, dlen, prefix, depth);
	return 0;
}

/* mime_walk - call fn for each scan-worthy header and each leaf part */
int
mime_walk(struct message *m, const struct mime_limits *lim, mime_part_fn *fn,
    void *arg)
{
	struct header *h = NULL;
	struct walk w;
	const char *body;
	size_t len, nh;
	int rc;

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.lim = lim;
	w.fn = fn;
	w.arg = arg;
	if ((rc = message_body(m, &body, &len)) < 0)
		return rc;
	if (lim->max_body && len > lim->max_body) {
		m->flags |= MSG_F_SIZE_LIMIT;
		len = lim->max_body;
	}
	check_lines(&w, body, len);
	/* a copy of the array: the limits must not change what is stored */
	nh = m->nheaders;
	if (nh &&
	    (h = arena_memdup(m->arena, m->headers, nh * sizeof(*h))) == NULL)
		return EXFIL_ENOMEM;
	nh = limit_headers(&w, h, nh);
	return walk_entity(&w, h, nh, body, len, 0, "", false, true);
}
