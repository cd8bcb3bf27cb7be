/*
 * extract_rtf.c - RTF: the text a reader sees, and the objects embedded in
 * the document (see include/exfil/extract.h). Debian has no maintained C
 * library that reads RTF (unrtf is a program), so this is a small reader of
 * its own: groups, control words and symbols, \'hh in Windows-1252, \uN
 * with its \ucN fallback, destinations that hold no text skipped, \binN
 * skipped, \objdata decoded from hex into a member.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/decode.h>
#include <exfil/extract.h>

#define MAX_GROUPS 512 /* deeper groups are read as their parent */
#define MAX_WORD 32

/* destinations whose text no reader sees */
static const char *const skipped[] = {"fonttbl", "colortbl", "stylesheet",
    "listtable", "listoverridetable", "revtbl", "rsidtbl", "generator", "pict",
    "themedata", "colorschememapping", "datastore", "latentstyles", "xmlnstbl",
    "filetbl", "fldrslt_none", "bkmkstart", "bkmkend", "pgdsctbl", "mmathPr",
    "wgrffmtfilter", "pnseclvl", "operator", "creatim", "revtim", "printim",
    "buptim", "panose", "fname", "listpicture", "shppict", "nonshppict",
    "blipuid", "objclass"};

/* \* destinations that hold text: kept */
static const char *const kept[] = {"userprops", "fldinst", "comment",
    "annotation", "atnid", "atnauthor", "footnote"};

/* destinations that are blocks of their own: a line break after them */
static const char *const blocks[] = {"header", "headerl", "headerr", "headerf",
    "footer", "footerl", "footerr", "footerf", "footnote", "annotation",
    "atnid", "atnauthor", "title", "subject", "author", "keywords", "company",
    "doccomm", "comment", "fldinst", "userprops", "info", "shptxt"};

/* Windows-1252 0x80-0x9f (the rest of the 8-bit range is Latin-1) */
static const unsigned short cp1252[32] = {0x20ac, 0xfffd, 0x201a, 0x0192,
    0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
    0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e,
    0x0178};

struct group {
	bool skip; /* no text here */
	bool obj; /* \objdata: hex of an embedded object */
	const char *close; /* text put when it ends: a line break, ": " */
	unsigned char uc; /* fallback characters after \u */
};

struct rtf {
	struct extract_ctx *x;
	const unsigned char *p, *end;
	struct group g[MAX_GROUPS];
	unsigned depth, over; /* groups open, and opened past MAX_GROUPS */
	unsigned skip_chars; /* fallback characters still to skip */
	struct buf text, obj;
	unsigned nobj;
	bool cut; /* max_text reached */
};

static bool
in_list(const char *w, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, v[i]) == 0)
			return true;
	return false;
}

/* one character of text, unless the group is skipped or the text full */
static int
put(struct rtf *r, unsigned long c)
{
	if (r->g[r->depth].skip)
		return 0;
	if (r->skip_chars) {
		r->skip_chars--;
		return 0;
	}
	if (r->text.len >= r->x->lim.max_text) {
		r->cut = true;
		return 0;
	}
	return extract_put_cp(&r->text, c);
}

/* an embedded object, decoded: a member for the caller to type */
static int
end_object(struct rtf *r)
{
	char path[32];
	int rc;

	if (r->obj.len == 0)
		return 0;
	if (buf_putc(&r->obj, '\0') < 0)
		return EXFIL_ENOMEM;
	snprintf(path, sizeof(path), "object/%u", ++r->nobj);
	rc =
	    extract_emit_at(r->x, path, r->obj.p, r->obj.len - 1, false, false);
	r->obj.len = 0;
	return rc;
}

/* a control word and its parameter, at r->p (after the backslash) */
static int
control_word(struct rtf *r, bool starred)
{
	struct group *g = &r->g[r->depth];
	char w[MAX_WORD + 1];
	size_t n = 0;
	long param = 0;
	bool has = false, neg = false;
	int digits = 0;

	while (r->p < r->end && isalpha(*r->p)) {
		if (n < MAX_WORD)
			w[n++] = (char)*r->p;
		r->p++;
	}
	w[n] = '\0';
	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	while (r->p < r->end && isdigit(*r->p)) {
		if (digits++ < 10)
			param = param * 10 + (*r->p - '0');
		has = true;
		r->p++;
	}
	if (neg)
		param = -param;
	if (r->p < r->end && *r->p == ' ')
		r->p++;

	if (starred && !in_list(w, kept, EXFIL_ARRAY_LEN(kept)) &&
	    strcmp(w, "objdata") != 0) {
		g->skip = true; /* an optional destination unknown here */
		return 0;
	}
	if (in_list(w, skipped, EXFIL_ARRAY_LEN(skipped))) {
		g->skip = true;
		return 0;
	}
	if (strcmp(w, "objdata") == 0) {
		g->skip = true;
		g->obj = true;
		return 0;
	}
	if (strcmp(w, "bin") == 0) {
		/* raw bytes: skipped, never past the end */
		if (has && param > 0)
			r->p += (size_t)param < (size_t)(r->end - r->p)
			    ? (size_t)param
			    : (size_t)(r->end - r->p);
		return 0;
	}
	if (strcmp(w, "uc") == 0) {
		g->uc =
		    has && param >= 0 && param < 10 ? (unsigned char)param : 1;
		return 0;
	}
	if (strcmp(w, "u") == 0 && has) {
		int rc =
		    put(r, (unsigned long)(param < 0 ? param + 65536 : param));
		r->skip_chars = g->uc;
		return rc;
	}
	if (strcmp(w, "par") == 0 || strcmp(w, "line") == 0 ||
	    strcmp(w, "row") == 0 || strcmp(w, "sect") == 0 ||
	    strcmp(w, "page") == 0 || strcmp(w, "lbr") == 0)
		return put(r, '\n');
	if (strcmp(w, "tab") == 0 || strcmp(w, "cell") == 0)
		return put(r, '\t');
	/* headers, notes, fields of \info...: a block of text of their own */
	if (strcmp(w, "propname") == 0) {
		/* a user property, as "name: value" (a sensitivity label) */
		g->close = ": ";
		return put(r, '\n');
	}
	if (strcmp(w, "staticval") == 0) {
		g->close = "\n";
		return 0;
	}
	if (in_list(w, blocks, EXFIL_ARRAY_LEN(blocks))) {
		g->close = "\n";
		return put(r, '\n');
	}
	return 0;
}

/* the document, one token at a time: every step moves r->p forward */
static int
parse(struct rtf *r)
{
	bool starred = false;
	const char *s;
	int rc = 0, h, l;
	unsigned char c;

	while (r->p < r->end && rc == 0 && !r->cut) {
		c = *r->p++;
		if (r->g[r->depth].obj && c != '{' && c != '}' && c != '\\') {
			/* hex digits of an embedded object, within budget */
			if ((h = decode_hexval(c)) < 0 || r->p >= r->end ||
			    (l = decode_hexval(*r->p)) < 0)
				continue;
			r->p++;
			if (r->x->st->expanded >= r->x->lim.max_expanded) {
				r->x->st->flags |= EXTRACT_F_LIMIT;
				continue;
			}
			r->x->st->expanded++;
			if (buf_putc(&r->obj, (char)(h << 4 | l)) < 0)
				rc = EXFIL_ENOMEM;
			continue;
		}
		switch (c) {
		case '{':
			if (r->depth + 1 >= MAX_GROUPS) {
				r->over++;
				break;
			}
			r->g[r->depth + 1] = r->g[r->depth];
			r->depth++;
			r->g[r->depth].obj = false;
			r->g[r->depth].close = NULL;
			break;
		case '}':
			if (r->over) {
				r->over--;
				break;
			}
			if (r->depth == 0)
				break; /* unbalanced: ignored */
			if (r->g[r->depth].obj)
				rc = end_object(r);
			r->depth--;
			r->skip_chars = 0;
			for (s = r->g[r->depth + 1].close; rc == 0 && s && *s;
			     s++)
				rc = put(r, (unsigned char)*s);
			break;
		case '\\':
			if (r->p >= r->end)
				break;
			c = *r->p;
			if (isalpha(c)) {
				rc = control_word(r, starred);
				starred = false;
				continue;
			}
			r->p++;
			if (c == '*') {
				starred = true;
				continue;
			}
			if (c == '\'' && r->end - r->p >= 2 &&
			    (h = decode_hexval(r->p[0])) >= 0 &&
			    (l = decode_hexval(r->p[1])) >= 0) {
				r->p += 2;
				c = (unsigned char)(h << 4 | l);
				rc = put(r,
				    c >= 0x80 && c < 0xa0 ? cp1252[c - 0x80]
							  : c);
			} else if (c == '\\' || c == '{' || c == '}') {
				rc = put(r, c);
			} else if (c == '~') {
				rc = put(r, ' ');
			} else if (c == '_') {
				rc = put(r, '-');
			} else if (c == '\n' || c == '\r') {
				rc = put(r, '\n'); /* \<newline> is \par */
			}
			break;
		case '\r':
		case '\n':
			break; /* line ends in the source are no text */
		default:
			rc = put(r, c);
			break;
		}
		starred = false;
	}
	return rc;
}

/* extract_rtf - one RTF document: its text, then its embedded objects */
int
extract_rtf(struct extract_ctx *x)
{
	struct rtf *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return EXFIL_ENOMEM;
	r->x = x;
	r->p = (const unsigned char *)x->data;
	r->end = r->p + x->len;
	r->g[0].uc = 1;
	rc = parse(r);
	if (rc == 0 && r->obj.len)
		rc = end_object(r); /* an object left open at the end */
	if (r->cut)
		x->st->flags |= EXTRACT_F_LIMIT;
	if (rc == 0 && buf_putc(&r->text, '\0') < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0)
		rc = extract_emit_at(
		    x, "text", r->text.p, r->text.len - 1, true, r->cut);
	buf_free(&r->text);
	buf_free(&r->obj);
	free(r);
	return rc == EXTRACT_STOP ? 0 : rc;
}
