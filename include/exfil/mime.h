/*
 * NAME
 *	mime - walk the MIME tree of one message
 * SYNOPSIS
 *	#include <exfil/mime.h>
 *
 *	int mime_walk(struct message *m, const struct mime_limits *lim,
 *	    mime_part_fn *fn, void *arg);
 * DESCRIPTION
 *	Calls fn() once for every header worth scanning (kind MIME_HEADER,
 *	value decoded to UTF-8) and once for every leaf part (kind
 *	MIME_LEAF) with its transfer encoding decoded (base64,
 *	quoted-printable; 7bit, 8bit and binary as they are).
 *	multipart parts of any subtype is split on its boundary; a missing
 *	closing boundary ends the part at the end of the data.
 *	message/rfc822 and message/global parts are walked as nested
 *	messages, with their own headers. A missing Content-Type means
 *	text/plain (message/rfc822 inside multipart/digest), as RFC 2045
 *	and 2046 say.
 *	Each call carries "where", the part's provenance, such as
 *	"body:text/plain", "attachment:report.pdf",
 *	"message:fwd.eml!attachment:plan.csv" or "header:Subject".
 * LIMITS
 *	Nesting deeper than max_depth, more than max_parts parts and more
 *	than max_decoded decoded bytes set MSG_F_DEPTH_LIMIT,
 *	MSG_F_PARTS_LIMIT or MSG_F_DECODE_LIMIT on the message and stop the
 *	descent: a finding, not an error. A body longer than max_body is
 *	walked up to max_body and sets MSG_F_SIZE_LIMIT. More than max_headers
 *	headers in one entity (the message or a nested one), or a header
 *	longer than max_header_size, set MSG_F_HEADER_LIMIT and only that
 *	much is read. A line of the raw body longer than max_line sets
 *	MSG_F_LONG_LINE (malformed: RFC 5322 allows 998 characters); it is
 *	still read whole. Broken structure sets
 *	MSG_F_MIME_MALFORMED and is read as far as it goes.
 * RETURN VALUE
 *	0, EXFIL_ENOMEM, or what fn() returned when it was negative.
 * OWNERSHIP
 *	Everything comes from the message's arena and lives as long as it.
 * SEE ALSO
 *	decode(3), RFC 2045, RFC 2046, RFC 2047, RFC 2231
 */
#ifndef EXFIL_MIME_H
#define EXFIL_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct message;

struct mime_limits {
	unsigned max_depth;
	unsigned max_parts;
	size_t max_decoded;
	size_t max_body; /* body bytes walked; 0: all */
	unsigned max_headers; /* headers per entity; 0: no limit */
	size_t max_header_size; /* bytes of one header; 0: no limit */
	size_t max_line; /* line length of the body; 0: no limit */
};

enum mime_kind {
	MIME_HEADER, /* one header; data is its decoded value */
	MIME_LEAF, /* one leaf part; data is the decoded content */
};

struct mime_part {
	enum mime_kind kind;
	const char *where;
	const char *header_name; /* MIME_HEADER */
	const char *content_type; /* declared, lower case, no parameters */
	const char *charset; /* declared, or NULL */
	const char *filename; /* decoded, or NULL */
	bool attachment; /* not a body text a reader sees inline */
	unsigned depth;
	const char *data;
	size_t len;
};

typedef int mime_part_fn(const struct mime_part *part, void *arg);

int mime_walk(struct message *m, const struct mime_limits *lim,
    mime_part_fn *fn, void *arg);

/* mime_header_get - value of the first header called name, or NULL */
const char *mime_header_get(const struct header *h, size_t n, const char *name);

#endif
