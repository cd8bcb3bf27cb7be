/*
 * extract_ooxml.c - Office Open XML and OpenDocument: the zip with
 * libarchive, the XML parts that hold text with libxml2's streaming reader
 * (see include/exfil/extract.h)
 */
#include "config.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/xmlreader.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>

#define OX 1 /* Office Open XML */
#define OD 2 /* OpenDocument */

enum part_what {
	P_MEMBER, /* bytes for the caller to type and read */
	P_TEXT, /* XML with text: read here */
	P_SKIP, /* the package's own structure, styles, images */
};

enum part_mode {
	PM_DOC, /* paragraphs, cells, runs */
	PM_SHEET, /* a worksheet: values, formulas, print headers */
	PM_PROPS, /* document properties: one a line, "name: value" */
	PM_PIVOT, /* pivot cache: values in v="" attributes */
	PM_LABEL, /* sensitivity label: attributes */
	PM_RELS, /* relationships: the addresses of external links */
};

struct part_rule {
	const char *glob;
	unsigned char kinds;
	unsigned char what;
	unsigned char mode;
};

/*
 * The first rule that matches decides (OPC part names ignore case). What
 * no rule names is a member: a file hidden in a document is still read.
 */
static const struct part_rule rules[] = {
    {"*.rels", OX, P_TEXT, PM_RELS},
    {"[[]Content_Types[]].xml", OX, P_SKIP, 0},
    {"word/document.xml", OX, P_TEXT, PM_DOC},
    {"word/header*.xml", OX, P_TEXT, PM_DOC},
    {"word/footer*.xml", OX, P_TEXT, PM_DOC},
    {"word/comments.xml", OX, P_TEXT, PM_DOC},
    {"word/footnotes.xml", OX, P_TEXT, PM_DOC},
    {"word/endnotes.xml", OX, P_TEXT, PM_DOC},
    {"word/glossary/document.xml", OX, P_TEXT, PM_DOC},
    {"xl/sharedStrings.xml", OX, P_TEXT, PM_DOC},
    {"xl/worksheets/*.xml", OX, P_TEXT, PM_SHEET},
    {"xl/comments*.xml", OX, P_TEXT, PM_DOC},
    {"xl/threadedComments/*.xml", OX, P_TEXT, PM_DOC},
    {"xl/pivotCache/*.xml", OX, P_TEXT, PM_PIVOT},
    {"xl/drawings/drawing*.xml", OX, P_TEXT, PM_DOC},
    {"xl/externalLinks/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/slides/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/notesSlides/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/comments/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/slideMasters/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/slideLayouts/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/notesMasters/*.xml", OX, P_TEXT, PM_DOC},
    {"ppt/handoutMasters/*.xml", OX, P_TEXT, PM_DOC},
    {"*/charts/chart*.xml", OX, P_TEXT, PM_DOC},
    {"*/diagrams/data*.xml", OX, P_TEXT, PM_DOC},
    {"docProps/core.xml", OX, P_TEXT, PM_PROPS},
    {"docProps/app.xml", OX, P_TEXT, PM_PROPS},
    {"docProps/custom.xml", OX, P_TEXT, PM_PROPS},
    {"docMetadata/LabelInfo.xml", OX, P_TEXT, PM_LABEL},
    {"customXml/item[0-9]*.xml", OX, P_TEXT, PM_DOC},
    {"*/embeddings/*", OX, P_MEMBER, 0},
    {"*/media/*", OX, P_SKIP, 0},
    {"*/theme/*", OX, P_SKIP, 0},
    {"*/styles.xml", OX, P_SKIP, 0},
    {"*/stylesWithEffects.xml", OX, P_SKIP, 0},
    {"*/settings.xml", OX, P_SKIP, 0},
    {"*/webSettings.xml", OX, P_SKIP, 0},
    {"*/fontTable.xml", OX, P_SKIP, 0},
    {"*/fonts/*", OX, P_SKIP, 0},
    {"*/numbering.xml", OX, P_SKIP, 0},
    {"*/printerSettings/*", OX, P_SKIP, 0},
    {"*/people.xml", OX, P_SKIP, 0},
    {"*/persons/*", OX, P_SKIP, 0},
    {"*/commentsExtended.xml", OX, P_SKIP, 0},
    {"*/commentsIds.xml", OX, P_SKIP, 0},
    {"*/commentsExtensible.xml", OX, P_SKIP, 0},
    {"*/drawings/vmlDrawing*.vml", OX, P_SKIP, 0},
    {"*/charts/style*.xml", OX, P_SKIP, 0},
    {"*/charts/colors*.xml", OX, P_SKIP, 0},
    {"*/diagrams/*", OX, P_SKIP, 0},
    {"*/tables/*", OX, P_SKIP, 0},
    {"*/ink/*", OX, P_SKIP, 0},
    {"*/activeX/*.xml", OX, P_SKIP, 0},
    {"*/glossary/*", OX, P_SKIP, 0},
    {"xl/workbook.xml", OX, P_SKIP, 0},
    {"xl/calcChain.xml", OX, P_SKIP, 0},
    {"xl/metadata.xml", OX, P_SKIP, 0},
    {"xl/connections.xml", OX, P_SKIP, 0},
    {"xl/queryTables/*", OX, P_SKIP, 0},
    {"xl/volatileDependencies.xml", OX, P_SKIP, 0},
    {"ppt/presentation.xml", OX, P_SKIP, 0},
    {"ppt/presProps.xml", OX, P_SKIP, 0},
    {"ppt/viewProps.xml", OX, P_SKIP, 0},
    {"ppt/tableStyles.xml", OX, P_SKIP, 0},
    {"ppt/commentAuthors.xml", OX, P_SKIP, 0},
    {"ppt/revisionInfo.xml", OX, P_SKIP, 0},
    {"ppt/tags/*", OX, P_SKIP, 0},
    {"docProps/thumbnail.*", OX, P_SKIP, 0},
    {"customXml/itemProps*.xml", OX, P_SKIP, 0},

    {"content.xml", OD, P_TEXT, PM_DOC},
    {"styles.xml", OD, P_TEXT, PM_DOC}, /* headers and footers */
    {"meta.xml", OD, P_TEXT, PM_PROPS},
    {"*/content.xml", OD, P_TEXT, PM_DOC}, /* embedded objects */
    {"mimetype", OD, P_SKIP, 0},
    {"settings.xml", OD, P_SKIP, 0},
    {"manifest.rdf", OD, P_SKIP, 0},
    {"layout-cache", OD, P_SKIP, 0},
    {"META-INF/*", OD, P_SKIP, 0},
    {"Thumbnails/*", OD, P_SKIP, 0},
    {"Pictures/*", OD, P_SKIP, 0},
    {"Configurations2/*", OD, P_SKIP, 0},
    {"ObjectReplacements/*", OD, P_SKIP, 0},
    {"*/styles.xml", OD, P_SKIP, 0},
    {"*/settings.xml", OD, P_SKIP, 0},
    {"*/meta.xml", OD, P_SKIP, 0},
};

static const struct part_rule member_rule = {"*", OX | OD, P_MEMBER, 0};

/* what an element's name says about it */
enum {
	N_LINE_END = 1 << 0, /* its end ends a line */
	N_CELL_END = 1 << 1, /* ... a cell (a tab) */
	N_SPACE_END = 1 << 2, /* ... a word */
	N_LINE_START = 1 << 3, /* out of the flow of its paragraph */
	N_SPACE_START = 1 << 4,
	N_TABLE_CELL = 1 << 5, /* a cell that holds paragraphs */
	N_PARA = 1 << 6,
	N_C = 1 << 7, /* a worksheet cell */
	N_V = 1 << 8, /* its value */
	N_HF = 1 << 9, /* a print header or footer */
	N_PICTURE = 1 << 10, /* alternative text and title */
	N_LINK = 1 << 11, /* an OpenDocument link */
	N_ENC = 1 << 12, /* manifest: encryption-data */
	N_PIVOT = 1 << 13, /* a pivot cache value */
	N_PROPERTY = 1 << 14, /* a custom property */
	N_REL = 1 << 15, /* a relationship */
	N_LABEL = 1 << 16, /* a sensitivity label */
};

static const struct {
	const char *name;
	unsigned bits;
} names[] = {
    {"p", N_LINE_END | N_PARA},
    {"h", N_LINE_END | N_PARA},
    {"tr", N_LINE_END},
    {"row", N_LINE_END},
    {"table-row", N_LINE_END},
    {"si", N_LINE_END},
    {"br", N_LINE_END},
    {"cr", N_LINE_END},
    {"line-break", N_LINE_END},
    {"txBody", N_LINE_END},
    {"list-item", N_LINE_END},
    {"text", N_LINE_END},
    {"title", N_LINE_END},
    {"desc", N_LINE_END},
    {"creator", N_LINE_END},
    {"date", N_LINE_END},
    {"author", N_LINE_END},
    /* a comment, a footnote, a text box inside a paragraph must not join
     * the words around it */
    {"comment", N_LINE_END | N_LINE_START},
    {"footnote", N_LINE_END | N_LINE_START},
    {"endnote", N_LINE_END | N_LINE_START},
    {"annotation", N_LINE_END | N_LINE_START},
    {"note", N_LINE_END | N_LINE_START},
    {"note-body", N_LINE_START},
    {"frame", N_LINE_START},
    {"text-box", N_LINE_START},
    {"txbxContent", N_LINE_START},
    {"note-citation", N_SPACE_START},
    {"oddHeader", N_LINE_END | N_HF},
    {"oddFooter", N_LINE_END | N_HF},
    {"evenHeader", N_LINE_END | N_HF},
    {"evenFooter", N_LINE_END | N_HF},
    {"firstHeader", N_LINE_END | N_HF},
    {"firstFooter", N_LINE_END | N_HF},
    {"tab", N_CELL_END},
    {"tc", N_CELL_END | N_TABLE_CELL},
    {"table-cell", N_CELL_END | N_TABLE_CELL},
    {"covered-table-cell", N_CELL_END},
    {"c", N_CELL_END | N_C},
    {"v", N_CELL_END | N_V},
    {"f", N_CELL_END},
    {"is", N_CELL_END},
    {"s", N_SPACE_END | N_PIVOT},
    {"soft-page-break", N_SPACE_END},
    {"lastRenderedPageBreak", N_SPACE_END},
    {"n", N_PIVOT},
    {"d", N_PIVOT},
    {"e", N_PIVOT},
    {"docPr", N_PICTURE},
    {"cNvPr", N_PICTURE},
    {"a", N_LINK},
    {"encryption-data", N_ENC},
    {"property", N_PROPERTY},
    {"Relationship", N_REL},
    {"label", N_LABEL},
};

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_META "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define NS_XLINK "http://www.w3.org/1999/xlink"

/* the text of one XML part, as it is built */
struct xml_text {
	struct buf b;
	size_t max;
	enum part_mode mode;
	bool full; /* max reached: stop reading */
	bool nomem;
	bool shared; /* in <c t="s">: the value is a shared-string index */
	bool in_v; /* in a cell value */
	bool in_hf; /* in a print header or footer */
	unsigned cells; /* table cells open: a paragraph ends in a space */
	struct {
		const char *name; /* interned by the reader's dictionary */
		unsigned bits;
	} cache[128];
	bool encrypted; /* manifest: encryption-data seen */
};

/*
 * The bits of an element's name. The reader interns names, so the same
 * pointer comes back again and again: a small cache by pointer spares a
 * search of the table for all but the first.
 */
static unsigned
name_bits(struct xml_text *t, const char *name)
{
	/* Fibonacci hashing: the top 7 bits pick one of 128 slots */
	uint64_t k = (uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15u;
	size_t h = (size_t)(k >> 57), i;
	unsigned bits = 0;

	if (t->cache[h].name == name)
		return t->cache[h].bits;
	for (i = 0; i < EXFIL_ARRAY_LEN(names); i++)
		if (strcmp(name, names[i].name) == 0) {
			bits = names[i].bits;
			break;
		}
	t->cache[h].name = name;
	t->cache[h].bits = bits;
	return bits;
}

/* append n bytes of text, up to the part's limit */
static void
put(struct xml_text *t, const char *s, size_t n)
{
	size_t room;

	if (t->full || t->nomem || n == 0)
		return;
	room = t->max - t->b.len;
	if (n > room) {
		/* cut at a character boundary */
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		t->full = true;
	}
	if (buf_append(&t->b, s, n) < 0)
		t->nomem = true;
}

/* a separator: a line break wins over a tab, a tab over a space */
static void
sep(struct xml_text *t, char c)
{
	char *last;

	if (t->b.len == 0 || t->full)
		return;
	last = &t->b.p[t->b.len - 1];
	if (*last == '\n' || *last == c)
		return;
	if (*last == '\t' && c == ' ')
		return;
	if ((*last == ' ' || *last == '\t') && c != ' ') {
		*last = c;
		return;
	}
	put(t, &c, 1);
}

/*
 * A number in scientific notation as a spreadsheet writes a long one
 * ("3.78282246310005E+14"), written out as digits ("378282246310005")
 * so that a card or account number stored as a number is seen. Returns
 * the length written to out, or 0 when s is not such a number.
 */
static size_t
expand_number(const char *s, size_t n, char *out, size_t outlen)
{
	char digits[64];
	size_t i = 0, nd = 0, nint = 0, o = 0, point, k;
	unsigned exp = 0;
	bool neg = false;

	if (i < n && s[i] == '-')
		neg = true, i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nint++)
		if (nd < sizeof(digits))
			digits[nd++] = s[i];
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (nd < sizeof(digits))
				digits[nd++] = s[i];
	if (nint == 0 || nd >= sizeof(digits) || i >= n ||
	    (s[i] != 'E' && s[i] != 'e'))
		return 0;
	if (++i < n && s[i] == '+')
		i++;
	if (i >= n)
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if ((exp = exp * 10 + (unsigned)(s[i] - '0')) > 30)
			return 0;
	if (i != n)
		return 0;
	point = nint + exp;
	if (outlen < point + nd + 3)
		return 0;
	if (neg)
		out[o++] = '-';
	for (k = 0; k < point; k++)
		if (o > (size_t)neg || k >= nd || digits[k] != '0' ||
		    k + 1 == point)
			out[o++] = k < nd ? digits[k] : '0';
	if (point < nd) {
		out[o++] = '.';
		for (k = point; k < nd; k++)
			out[o++] = digits[k];
	}
	return o;
}

/* a print header or footer of a sheet, without its codes (&L, &"Arial") */
static void
put_header_footer(struct xml_text *t, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '&')
			continue;
		put(t, s + start, i - start);
		if (++i >= n)
			break;
		if (s[i] == '&') {
			put(t, "&", 1);
		} else if (s[i] == '"') {
			while (i + 1 < n && s[i + 1] != '"')
				i++;
			i++;
		} else if (s[i] >= '0' && s[i] <= '9') {
			while (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
				i++;
			sep(t, ' ');
		} else if (s[i] == 'K') {
			i += i + 6 < n ? 6 : n - i - 1; /* &Krrggbb colour */
		} else {
			/* &L &C &R start a section; &P, &D ... are fields */
			sep(t,
			    s[i] == 'L' || s[i] == 'C' || s[i] == 'R' ? '\n'
								      : ' ');
		}
		start = i + 1;
	}
	if (start < n)
		put(t, s + start, n - start);
}

static void
on_text(struct xml_text *t, const char *s)
{
	char num[80];
	size_t n = strlen(s), k;

	if (t->mode == PM_SHEET && t->in_v) {
		if (t->shared)
			return;
		if ((k = expand_number(s, n, num, sizeof(num))) > 0) {
			put(t, num, k);
			return;
		}
	}
	if (t->in_hf)
		put_header_footer(t, s, n);
	else
		put(t, s, n);
}

/* put an attribute's value, then c */
static void
put_attr(struct xml_text *t, xmlChar *v, char c)
{
	char num[80];
	size_t n, k;

	if (v == NULL)
		return;
	n = strlen((const char *)v);
	if ((k = expand_number((const char *)v, n, num, sizeof(num))) > 0)
		put(t, num, k);
	else
		put(t, (const char *)v, n);
	sep(t, c);
	xmlFree(v);
}

static void
on_start(struct xml_text *t, xmlTextReaderPtr r, unsigned bits)
{
	xmlChar *v;

	switch (t->mode) {
	case PM_SHEET:
		if (bits & N_C) {
			v = xmlTextReaderGetAttribute(r, BAD_CAST "t");
			t->shared = v && strcmp((const char *)v, "s") == 0;
			xmlFree(v);
		} else if (bits & N_V) {
			t->in_v = true;
		} else if (bits & N_HF) {
			t->in_hf = true;
		}
		break;
	case PM_PROPS:
		/* custom properties: <property name="MSIP_Label_..._Name">
		 * (OOXML), <meta:user-defined meta:name="..."> (ODF) */
		if ((v = xmlTextReaderGetAttributeNs(
			 r, BAD_CAST "name", BAD_CAST NS_META)) == NULL &&
		    (bits & N_PROPERTY))
			v = xmlTextReaderGetAttribute(r, BAD_CAST "name");
		if (v) {
			sep(t, '\n');
			put(t, (const char *)v, strlen((const char *)v));
			put(t, ": ", 2);
			xmlFree(v);
		}
		break;
	case PM_PIVOT:
		/* shared items and records: <s v="..."/>, <n v="..."/>;
		 * <x v="3"/> is an index */
		if (bits & N_PIVOT)
			put_attr(t, xmlTextReaderGetAttribute(r, BAD_CAST "v"),
			    '\t');
		break;
	case PM_LABEL:
		/* <clbl:label id="{...}" enabled="1" method="Privileged"> */
		while ((bits & N_LABEL) &&
		    xmlTextReaderMoveToNextAttribute(r) == 1) {
			if (xmlTextReaderIsNamespaceDecl(r) == 1)
				continue;
			put(t, (const char *)xmlTextReaderConstName(r),
			    strlen((const char *)xmlTextReaderConstName(r)));
			put(t, "=", 1);
			put(t, (const char *)xmlTextReaderConstValue(r),
			    strlen((const char *)xmlTextReaderConstValue(r)));
			sep(t, ' ');
		}
		xmlTextReaderMoveToElement(r);
		break;
	case PM_RELS:
		/* hyperlinks and linked files: an address can carry data */
		if ((bits & N_REL) &&
		    (v = xmlTextReaderGetAttribute(r, BAD_CAST "TargetMode")) !=
			NULL) {
			if (strcmp((const char *)v, "External") == 0)
				put_attr(t,
				    xmlTextReaderGetAttribute(
					r, BAD_CAST "Target"),
				    '\n');
			xmlFree(v);
		}
		break;
	case PM_DOC:
		/* an OpenDocument number cell: its value, whatever its
		 * display format shows */
		if ((bits & N_TABLE_CELL) &&
		    (v = xmlTextReaderGetAttributeNs(
			 r, BAD_CAST "value", BAD_CAST NS_OFFICE)) != NULL)
			put_attr(t, v, ' ');
		/* what a reader sees on a picture (alternative text, title)
		 * and where an OpenDocument link leads */
		if (bits & N_PICTURE) {
			sep(t, ' ');
			put_attr(t,
			    xmlTextReaderGetAttribute(r, BAD_CAST "title"),
			    ' ');
			put_attr(t,
			    xmlTextReaderGetAttribute(r, BAD_CAST "descr"),
			    ' ');
		} else if (bits & N_LINK) {
			sep(t, ' ');
			put_attr(t,
			    xmlTextReaderGetAttributeNs(
				r, BAD_CAST "href", BAD_CAST NS_XLINK),
			    ' ');
		}
		break;
	}
	if ((bits & N_TABLE_CELL) && xmlTextReaderIsEmptyElement(r) != 1)
		t->cells++;
	if (bits & N_LINE_START)
		sep(t, '\n');
	else if (bits & N_SPACE_START)
		sep(t, ' ');
	if (bits & N_ENC)
		t->encrypted = true;
}

static void
on_end(struct xml_text *t, unsigned bits)
{
	if (t->mode == PM_SHEET) {
		if (bits & N_V)
			t->in_v = false;
		else if (bits & N_C)
			t->shared = false;
		else if (bits & N_HF)
			t->in_hf = false;
	}
	if (t->cells > 0 && (bits & N_TABLE_CELL))
		t->cells--;
	if (t->cells > 0 && (bits & N_PARA))
		sep(t, ' ');
	else if (t->mode == PM_PROPS || t->mode == PM_LABEL ||
	    (bits & N_LINE_END))
		sep(t, '\n');
	else if (bits & N_CELL_END)
		sep(t, '\t');
	else if (bits & N_SPACE_END)
		sep(t, ' ');
}

#if LIBXML_VERSION >= 21200
static void
quiet(void *arg, const xmlError *err)
#else
static void
quiet(void *arg, xmlErrorPtr err)
#endif
{
	(void)arg;
	(void)err;
}

/*
 * The text of one XML part. No network, no DTD loaded, entities not
 * substituted, libxml2's default limits on depth and sizes (no
 * XML_PARSE_HUGE). Returns 0, 1 when the XML is malformed (the text up to
 * there is kept), or EXFIL_ENOMEM.
 */
static int
xml_text(struct xml_text *t, const char *data, size_t len)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlTextReaderPtr r;
	const char *name;
	unsigned bits;
	int ret = 0, type;

	if (len > INT_MAX)
		len = INT_MAX;
	if ((r = xmlReaderForMemory(data, (int)len, NULL, NULL, opts)) == NULL)
		return EXFIL_ENOMEM;
	xmlTextReaderSetStructuredErrorHandler(r, quiet, NULL);
	while (!t->full && !t->nomem && (ret = xmlTextReaderRead(r)) == 1) {
		type = xmlTextReaderNodeType(r);
		switch (type) {
		case XML_READER_TYPE_ELEMENT:
			if ((name = (const char *)xmlTextReaderConstLocalName(
				 r)) == NULL)
				break;
			bits = name_bits(t, name);
			on_start(t, r, bits);
			if (xmlTextReaderIsEmptyElement(r) == 1)
				on_end(t, bits);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			if ((name = (const char *)xmlTextReaderConstLocalName(
				 r)) != NULL)
				on_end(t, name_bits(t, name));
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			if (t->mode != PM_LABEL)
				on_text(t,
				    (const char *)xmlTextReaderConstValue(r));
			break;
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			sep(t, ' ');
			break;
		default:
			break;
		}
	}
	xmlFreeTextReader(r);
	if (t->nomem)
		return EXFIL_ENOMEM;
	return !t->full && ret < 0 ? 1 : 0;
}

static const struct part_rule *
rule_for(const char *path, enum extract_kind kind)
{
	unsigned k = kind == XK_ODF ? OD : OX;
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(rules); i++)
		if ((rules[i].kinds & k) &&
		    fnmatch(rules[i].glob, path, FNM_CASEFOLD) == 0)
			return &rules[i];
	return &member_rule;
}

/* what one pass over the document saw */
struct doc {
	bool bad; /* a header, a member or an XML part could not be read */
};

/* one part of the document: its text, or its bytes as a member */
static int
one_part(struct extract_ctx *x, struct archive *ar, struct archive_entry *e,
    const char *path, const struct part_rule *pr, struct doc *d)
{
	struct xml_text t;
	struct extract_item it;
	enum extract_read how;
	char *data = NULL;
	size_t len = 0;
	int rc, bad;

	memset(&t, 0, sizeof(t));
	memset(&it, 0, sizeof(it));
	if ((it.where = extract_where(x, path, strlen(path), &it.name)) == NULL)
		return EXFIL_ENOMEM;
	if (archive_entry_is_encrypted(e)) {
		it.encrypted = true;
		return extract_emit(x, &it);
	}
	if ((rc = extract_read_data(x, ar, &data, &len, &how)) < 0)
		return rc;
	if (how == XR_ERROR)
		d->bad = true;
	it.truncated = how != XR_OK;
	if (pr->what == P_MEMBER) {
		it.data = data;
		it.len = len;
		rc = extract_emit(x, &it);
		goto out;
	}
	t.max = x->lim.max_text;
	t.mode = (enum part_mode)pr->mode;
	if ((bad = xml_text(&t, data, len)) < 0) {
		rc = bad;
		goto out;
	}
	if (t.full) {
		x->st->flags |= EXTRACT_F_LIMIT;
		it.truncated = true;
	}
	if (t.b.len > 0) {
		it.data = t.b.p;
		it.len = t.b.len;
		it.is_text = true;
		if ((rc = extract_emit(x, &it)) < 0)
			goto out;
	}
	if (bad && how == XR_OK) {
		/* malformed XML: its text stopped there, so its bytes go to
		 * the caller as well, as a member */
		d->bad = true;
		if (extract_room(x)) {
			memset(&it, 0, sizeof(it));
			if ((it.where = extract_where(
				 x, path, strlen(path), &it.name)) == NULL) {
				rc = EXFIL_ENOMEM;
				goto out;
			}
			it.data = data;
			it.len = len;
			rc = extract_emit(x, &it);
		}
	}
out:
	buf_free(&t.b);
	free(data);
	/* never skip the rest of a cut member by decompressing it */
	if (rc == 0 && how != XR_OK && !x->cheap_skip)
		rc = EXTRACT_STOP;
	return rc;
}

/*
 * Does the OpenDocument's manifest say that its streams are encrypted (a
 * document saved with a password)? The manifest comes last in the zip,
 * so it is looked for first, in a pass of its own.
 */
static int
odf_encrypted(struct extract_ctx *x, bool *encrypted)
{
	const unsigned long max_headers = extract_max_headers(x);
	struct archive_entry *e;
	struct xml_text t;
	enum extract_read how;
	struct archive *ar;
	const char *path;
	char *data = NULL;
	unsigned long n;
	size_t len;
	int r, rc = 0;

	*encrypted = false;
	if ((ar = extract_open(x, XK_ODF)) == NULL)
		return EXFIL_ENOMEM;
	/* without a central directory the look would decompress every
	 * stream: an encrypted one then just fails to parse */
	for (n = 0; x->cheap_skip && n < max_headers; n++) {
		if ((r = archive_read_next_header(ar, &e)) == ARCHIVE_EOF ||
		    r == ARCHIVE_FATAL)
			break;
		if (r < ARCHIVE_WARN ||
		    (path = archive_entry_pathname(e)) == NULL ||
		    strcmp(path, "META-INF/manifest.xml") != 0)
			continue;
		if ((rc = extract_read_data(x, ar, &data, &len, &how)) < 0)
			break;
		memset(&t, 0, sizeof(t));
		t.max = x->lim.max_text;
		t.mode = PM_DOC;
		rc = xml_text(&t, data, len);
		buf_free(&t.b);
		free(data);
		*encrypted = t.encrypted;
		break;
	}
	archive_read_free(ar);
	return rc < 0 ? rc : 0;
}

/* the part as a whole is encrypted: one item that says so */
static int
whole_encrypted(struct extract_ctx *x)
{
	struct extract_item it;

	memset(&it, 0, sizeof(it));
	if ((it.where = arena_strdup(x->a, x->where)) == NULL)
		return EXFIL_ENOMEM;
	it.encrypted = true;
	return extract_emit(x, &it);
}

/* extract_office - the text of an Office Open XML or OpenDocument file */
int
extract_office(struct extract_ctx *x, enum extract_kind kind)
{
	const struct part_rule *pr;
	struct archive_entry *e;
	enum extract_next next;
	struct doc d = {0};
	struct archive *ar;
	const char *path;
	unsigned long n;
	bool encrypted;
	int rc = 0;

	if (kind == XK_ODF) {
		if ((rc = odf_encrypted(x, &encrypted)) < 0)
			return rc;
		/* its XML streams are ciphertext: nothing to read */
		if (encrypted)
			return whole_encrypted(x);
	}
	if ((ar = extract_open(x, kind)) == NULL)
		return EXFIL_ENOMEM;
	n = 0;
	while ((next = extract_next_header(x, ar, &e, &n)) != XN_END) {
		if (next != XN_ENTRY) {
			d.bad = true;
			if (next == XN_FATAL)
				break;
			continue;
		}
		if ((path = archive_entry_pathname_utf8(e)) == NULL &&
		    (path = archive_entry_pathname(e)) == NULL)
			path = "";
		if (archive_entry_filetype(e) != AE_IFREG ||
		    (pr = rule_for(path, kind))->what == P_SKIP) {
			/* skipped, but never by decompressing without end */
			if (!extract_drain(x, ar))
				break;
			continue;
		}
		if (!extract_room(x))
			break;
		if ((rc = one_part(x, ar, e, path, pr, &d)) != 0)
			break;
	}
	archive_read_free(ar);
	if (rc < 0)
		return rc;
	rc = 0;
	if (d.bad)
		x->st->flags |= EXTRACT_F_UNREADABLE;
	return 0;
}
