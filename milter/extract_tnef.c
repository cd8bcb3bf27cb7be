/*
 * extract_tnef.c - TNEF (winmail.dat, application/ms-tnef) with libytnef:
 * the message's subject, body and string properties as text, its RTF and
 * HTML bodies and its attachments as members (see include/exfil/extract.h).
 * Built only with libytnef (./configure --without-ytnef leaves it out).
 *
 * libytnef trusts the lengths in the stream and prints its complaints on
 * standard output (which would break exfil-scan --json): it is given only
 * the prefix of the stream that passed tnef_check() below, which walks the
 * same structure first: the framing and checksum of each attribute, the
 * fixed sizes its handlers read, and every MAPI property block.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ytnef.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>

#define TNEF_SIGNATURE 0x223e9f78UL
#define MV_FLAG_ 0x1000
#define RTF_UNCOMPRESSED 0x414c454dUL /* "MELA" */

static uint32_t
le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* bytes left from d in a block of size n */
#define LEFT(d, n) ((n) > (d) ? (n) - (d) : 0)

/*
 * Is this MAPI property block one libytnef reads within its bounds? The
 * walk is libytnef's TNEFFillMapi(): count, then each property's tag, the
 * name of a named property, the value count of a multi-valued one, and
 * each value (variable ones with their size, padded to 4 bytes).
 */
static bool
mapi_ok(const unsigned char *p, size_t n)
{
	uint32_t count, tag, type, len, vals, i, j, k;
	size_t d = 4;
	bool mv;

	if (n < 4)
		return false;
	count = le32(p);
	if (count > n / 8)
		return false;
	for (i = 0; i < count; i++) {
		if (LEFT(d, n) < 4)
			return false;
		tag = le32(p + d);
		d += 4;
		type = tag & 0xffff;
		if ((tag >> 16) >= 0x8000) {
			/* a named property: GUID, then names or an id */
			if (LEFT(d, n) < 20)
				return false;
			len = le32(p + d + 16);
			d += 20;
			if (len > n / 4)
				return false;
			if (len == 0) {
				if (LEFT(d, n) < 4)
					return false;
				d += 4;
			}
			for (k = 0; k < len; k++) {
				uint32_t nl;

				if (LEFT(d, n) < 4)
					return false;
				nl = le32(p + d);
				d += 4;
				if (nl > LEFT(d, n))
					return false;
				d += nl + (nl % 4 ? 4 - nl % 4 : 0);
			}
		}
		vals = 1;
		if ((mv = (type & MV_FLAG_) != 0)) {
			type &= ~MV_FLAG_;
			if (LEFT(d, n) < 4)
				return false;
			vals = le32(p + d);
			d += 4;
			if (vals == 0 || vals > n / 4)
				return false;
		}
		for (j = 0; j < vals; j++) {
			switch (type) {
			case PT_BINARY:
			case PT_OBJECT:
			case PT_STRING8:
			case PT_UNICODE:
				if (!mv)
					d += 4; /* the value count: 1 */
				if (LEFT(d, n) < 4)
					return false;
				len = le32(p + d);
				d += 4;
				if (len > LEFT(d, n) || len > INT32_MAX)
					return false;
				d += len + (len % 4 ? 4 - len % 4 : 0);
				break;
			case PT_I2:
			case PT_BOOLEAN:
			case PT_LONG:
			case PT_R4:
			case PT_CURRENCY:
			case PT_APPTIME:
			case PT_ERROR:
				if (LEFT(d, n) < 4)
					return false;
				d += 4;
				break;
			case PT_DOUBLE:
			case PT_I8:
			case PT_SYSTIME:
				if (LEFT(d, n) < 8)
					return false;
				d += 8;
				break;
			case PT_CLSID:
				if (LEFT(d, n) < 16)
					return false;
				d += 16;
				break;
			default:
				return false;
			}
		}
	}
	return true;
}

/* the least size libytnef's handler reads from an attribute */
static size_t
min_size(uint32_t id)
{
	switch (id & 0xffff) {
	case 0x0006: /* attDateStart */
	case 0x0007: /* attDateEnd */
	case 0x8005: /* attDateSent */
	case 0x8006: /* attDateRecd */
	case 0x8012: /* attAttachCreateDate */
	case 0x8013: /* attAttachModifyDate */
	case 0x8020: /* attDateModified */
		return 14;
	case 0x800d: /* attPriority */
	case 0x9006: /* attTnefVersion */
	case 0x9003: /* attMsgProps */
	case 0x9005: /* attAttachment */
		return 4;
	default:
		return 1;
	}
}

#define ATT_REND_DATA 0x00069002UL /* attAttachRendData: an attachment */

/* attributes of an attachment (after its attAttachRendData), by the
 * whole id, type and all, as libytnef matches them */
static bool
attach_attr(uint32_t id)
{
	switch (id) {
	case 0x0006800fUL: /* attAttachData */
	case 0x00018010UL: /* attAttachTitle */
	case 0x00068011UL: /* attAttachMetaFile */
	case 0x00038012UL: /* attAttachCreateDate */
	case 0x00038013UL: /* attAttachModifyDate */
	case 0x00069001UL: /* attAttachTransportFilename */
	case 0x00069005UL: /* attAttachment */
		return true;
	default:
		return false;
	}
}

#define MAX_SEEN 64

/* has this id been seen in the scope? Records it; true when full too */
static bool
seen(uint32_t *v, unsigned *n, uint32_t id)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (v[i] == id)
			return true;
	if (*n == MAX_SEEN)
		return true;
	v[(*n)++] = id;
	return false;
}

/*
 * tnef_check - the length of the well-formed prefix of the stream (the
 * signature, the key and whole attributes), or 0 when there is none. An
 * attribute given twice in the message or in one attachment, or an
 * attachment's attribute before its attAttachRendData, ends the prefix
 * too: libytnef would overwrite (and leak) the first one, or keep it
 * where it never frees it.
 */
static size_t
tnef_check(const unsigned char *p, size_t n, bool *bad)
{
	uint32_t msg[MAX_SEEN], att[MAX_SEEN];
	unsigned nmsg = 0, natt = 0;
	size_t d = 6, good = 0;
	uint32_t id, len, i;
	bool in_att = false;
	unsigned sum;

	*bad = false;
	if (n < 6 || le32(p) != TNEF_SIGNATURE)
		return 0;
	while (LEFT(d, n) >= 9) {
		id = le32(p + d + 1);
		len = le32(p + d + 5);
		d += 9;
		if (len == 0 || len > LEFT(d, n) || LEFT(d, n) - len < 2 ||
		    len < min_size(id))
			break;
		/* libytnef complains on stdout of a version of another size */
		if ((id & 0xffff) == 0x9006 && len != 4)
			break;
		for (sum = 0, i = 0; i < len; i++)
			sum += p[d + i];
		if ((sum & 0xffff) !=
		    (unsigned)(p[d + len] | p[d + len + 1] << 8))
			break;
		if (((id & 0xffff) == 0x9003 || (id & 0xffff) == 0x9005) &&
		    !mapi_ok(p + d, len))
			break;
		if (id == ATT_REND_DATA) { /* a new attachment */
			in_att = true;
			natt = 0;
		} else if (attach_attr(id)) {
			if (!in_att || seen(att, &natt, id))
				break;
		} else if (seen(msg, &nmsg, id)) {
			break;
		}
		d += len + 2;
		good = d;
	}
	*bad = good != n;
	return good ? good : 0;
}

/* a string property (ytnef has made PT_UNICODE UTF-8 already) */
static int
put_string(struct buf *b, uint32_t tag, const variableLength *v)
{
	const char *s = (const char *)v->data;
	int rc = 0;

	if (s == NULL || v->size <= 0)
		return 0;
	if (buf_printf(b, "%08lx: ", (unsigned long)tag) < 0)
		return EXFIL_ENOMEM;
	if ((tag & 0xffff) == PT_UNICODE)
		rc = buf_puts(b, s) < 0 ? EXFIL_ENOMEM : 0;
	else
		rc = extract_latin1(
		    b, (const unsigned char *)s, (size_t)v->size);
	if (rc == 0 && buf_putc(b, '\n') < 0)
		rc = EXFIL_ENOMEM;
	return rc;
}

/* text: 8-bit (code page unknown: Latin-1) or UTF-8 */
static int
emit_text(
    struct extract_ctx *x, const char *path, const void *p, size_t n, bool utf8)
{
	struct buf b = {0};
	int rc;

	if (p == NULL || n == 0)
		return 0;
	rc = utf8 ? (buf_append(&b, p, strnlen(p, n)) < 0 ? EXFIL_ENOMEM : 0)
		  : extract_latin1(&b, p, n);
	if (rc == 0 && buf_putc(&b, '\0') < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0)
		rc = extract_emit_at(x, path, b.p, b.len - 1, true, false);
	buf_free(&b);
	return rc;
}

/* a member's bytes (copied: the item's data must end in a NUL) */
static int
emit_member(struct extract_ctx *x, const char *path, const void *p, size_t n)
{
	struct buf b = {0};
	bool cut = false;
	size_t left = x->lim.max_expanded - x->st->expanded;
	int rc = 0;

	if (p == NULL)
		return 0;
	if (n > left) {
		n = left;
		cut = true;
		x->st->flags |= EXTRACT_F_LIMIT;
	}
	x->st->expanded += n;
	if (buf_append(&b, p, n) < 0 || buf_putc(&b, '\0') < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0)
		rc = extract_emit_at(x, path, b.p, n, false, cut);
	buf_free(&b);
	return rc;
}

/* the message: subject, body, string properties, RTF and HTML bodies */
static int
message(struct extract_ctx *x, TNEFStruct *t)
{
	struct buf b = {0};
	variableLength *v;
	BYTE *rtf;
	uint32_t i, tag;
	int n = 0, rc;

	if ((rc = emit_text(x, "subject", t->subject.data,
		 t->subject.size > 0 ? (size_t)t->subject.size : 0, false)) !=
	    0)
		return rc;
	if ((rc = emit_text(x, "body", t->body.data,
		 t->body.size > 0 ? (size_t)t->body.size : 0, false)) != 0)
		return rc;
	for (i = 0; i < t->MapiProperties.count && rc == 0; i++) {
		MAPIProperty *mp = &t->MapiProperties.properties[i];

		tag = mp->id;
		if (((tag & 0xffff) == PT_UNICODE ||
			(tag & 0xffff) == PT_STRING8) &&
		    mp->count > 0)
			rc = put_string(&b, tag, &mp->data[0]);
	}
	if (rc == 0 && buf_putc(&b, '\0') < 0)
		rc = EXFIL_ENOMEM;
	if (rc == 0)
		rc = extract_emit_at(
		    x, "properties", b.p, b.len - 1, true, false);
	buf_free(&b);
	if (rc != 0)
		return rc;
	/* the RTF body (MS-OXRTFCP): stored as it is ("MELA"), which
	 * libytnef does not read, or compressed */
	v = MAPIFindProperty(
	    &t->MapiProperties, PROP_TAG(PT_BINARY, PR_RTF_COMPRESSED));
	if (v != MAPI_UNDEFINED && v->size > 16 &&
	    le32(v->data + 8) == RTF_UNCOMPRESSED) {
		size_t raw = le32(v->data + 4);

		if (raw > (size_t)v->size - 16)
			raw = (size_t)v->size - 16;
		if ((rc = emit_member(x, "body.rtf", v->data + 16, raw)) != 0)
			return rc;
	} else if (v != MAPI_UNDEFINED && v->size > 16 &&
	    (rtf = DecompressRTF(v, &n)) != NULL) {
		rc = n > 0 ? emit_member(x, "body.rtf", rtf, (size_t)n) : 0;
		free(rtf);
		if (rc != 0)
			return rc;
	}
	v = MAPIFindProperty(
	    &t->MapiProperties, PROP_TAG(PT_BINARY, PR_BODY_HTML));
	if (v != MAPI_UNDEFINED && v->size > 0)
		rc = emit_member(x, "body.html", v->data, (size_t)v->size);
	return rc;
}

/* the attachments, named by their long file name, else their title */
static int
attachments(struct extract_ctx *x, TNEFStruct *t)
{
	struct buf name = {0};
	variableLength *v;
	Attachment *a;
	const BYTE *data;
	size_t len;
	int rc = 0;

	for (a = t->starting_attach.next; a && rc == 0; a = a->next) {
		name.len = 0;
		if ((v = MAPIFindProperty(&a->MAPI,
			 PROP_TAG(PT_UNICODE, PR_ATTACH_LONG_FILENAME))) !=
			MAPI_UNDEFINED &&
		    v->data)
			rc = buf_puts(&name, (const char *)v->data);
		else if ((v = MAPIFindProperty(&a->MAPI,
			      PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME))) !=
			MAPI_UNDEFINED &&
		    v->data && v->size > 0)
			rc = extract_latin1(&name, v->data, (size_t)v->size);
		else if (a->Title.data && a->Title.size > 0)
			rc = extract_latin1(
			    &name, a->Title.data, (size_t)a->Title.size);
		if (rc == 0 && name.len == 0)
			rc = buf_puts(&name, "attachment");
		if (rc == 0 && buf_putc(&name, '\0') < 0)
			rc = EXFIL_ENOMEM;
		if (rc < 0)
			break;
		data = a->FileData.data;
		len = a->FileData.size > 0 ? (size_t)a->FileData.size : 0;
		/* an attached item: PR_ATTACH_DATA_OBJ, after its IID */
		if (len == 0 &&
		    (v = MAPIFindProperty(
			 &a->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ))) !=
			MAPI_UNDEFINED &&
		    v->data && v->size > 16) {
			data = v->data + 16;
			len = (size_t)v->size - 16;
		}
		rc = emit_member(x, name.p, data, len);
	}
	buf_free(&name);
	return rc;
}

/*
 * extract_tnef - one TNEF stream into items. What follows a malformed
 * attribute is not read (EXTRACT_F_UNREADABLE); a stream with no whole
 * attribute gives an unreadable item and EXTRACT_NONE.
 */
int
extract_tnef(struct extract_ctx *x)
{
	struct extract_item it;
	TNEFStruct t;
	size_t good;
	bool bad;
	int rc;

	good = tnef_check((const unsigned char *)x->data, x->len, &bad);
	if (bad || good == 0)
		x->st->flags |= EXTRACT_F_UNREADABLE;
	if (good == 0) {
		memset(&it, 0, sizeof(it));
		if ((it.where = arena_strdup(x->a, x->where)) == NULL)
			return EXFIL_ENOMEM;
		it.unreadable = true;
		rc = extract_emit(x, &it);
		return rc == 0 ? EXTRACT_NONE : rc;
	}
	TNEFInitialize(&t);
	t.Debug = 0;
	/* megabytes an attribute may have: whatever the part holds */
	t.attachmentSize = (int)(x->len / (1024 * 1024) + 1);
	if (TNEFParseMemory((BYTE *)(uintptr_t)x->data, (long)good, &t) < 0)
		x->st->flags |= EXTRACT_F_UNREADABLE;
	if ((rc = message(x, &t)) == 0)
		rc = attachments(x, &t);
	TNEFFree(&t);
	return rc == EXTRACT_STOP ? 0 : rc;
}
