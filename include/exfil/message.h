/*
 * NAME
 *	message - one message being assembled: envelope, headers, body
 * SYNOPSIS
 *	#include <exfil/message.h>
 *
 *	struct message *message_new(size_t mem_limit, const char *spool_dir);
 *	int message_append_body(struct message *m, const void *p, size_t n);
 *	int message_body(struct message *m, const char **p, size_t *n);
 *	void message_free(struct message *m);
 * DESCRIPTION
 *	The milter callbacks and exfil-scan fill a message; the engine reads
 *	it. The body is held in memory up to mem_limit bytes, then moved to
 *	a private temporary file in spool_dir (O_TMPFILE where the file
 *	system has it, else mkstemp and an immediate unlink; mode 0600
 *	either way), so that no name of it is ever visible.
 *	message_body() returns one contiguous view of the body (a mapping
 *	of the file when spooled); the view lives until message_free().
 *	message_parse() splits a raw RFC 5322 message (as read from a file)
 *	into headers and body, for exfil-scan; message_split_headers() does
 *	the header half for any entity (nested messages, MIME parts): the
 *	header block ends at the first empty line, or at the first line
 *	that is neither a header nor a continuation.
 *	Flags (MSG_F_*) record facts about the mail for the policy.
 * OWNERSHIP
 *	Every string of the message lives in m->arena; the body buffer and
 *	the spool file belong to the message and die with message_free().
 */
#ifndef EXFIL_MESSAGE_H
#define EXFIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <exfil/buf.h>

struct arena;

#define MSG_F_MIME_MALFORMED 0x0001u /* broken structure, read anyway */
#define MSG_F_DEPTH_LIMIT 0x0002u /* nesting deeper than allowed */
#define MSG_F_PARTS_LIMIT 0x0004u /* more parts than allowed */
#define MSG_F_DECODE_LIMIT 0x0008u /* decoded size budget spent */
#define MSG_F_SIZE_LIMIT 0x0010u /* message larger than scanned */
#define MSG_F_MEMORY_LIMIT 0x0020u /* scan memory budget spent */
#define MSG_F_HEADER_LIMIT 0x0040u /* too many or too long headers */
#define MSG_F_UNSCANNABLE_MASK 0x007eu /* any of the limits above */
#define MSG_F_LONG_LINE 0x0080u /* a line longer than allowed (malformed) */
#define MSG_F_TIMEOUT 0x0100u /* the scan ran out of time */
#define MSG_F_UNREADABLE \
	0x0200u /* a part or member was corrupt or unsupported */

struct header {
	const char *name;
	const char *value; /* as received, folding kept */
};

struct rcpt {
	const char *addr; /* without angle brackets */
	bool internal;
};

struct message {
	struct arena *arena;

	/* envelope and connection facts */
	const char *qid;
	const char *client_addr;
	const char *client_name;
	const char *auth_user;
	const char *sender;
	struct rcpt *rcpts;
	size_t nrcpts, rcpts_cap;

	struct header *headers;
	size_t nheaders, headers_cap;

	unsigned flags;

	/* body: memory first, then the spool file */
	struct buf mem;
	size_t body_len;
	size_t mem_limit;
	const char *spool_dir;
	int spool_fd;
	void *map;
	size_t map_len;
};

struct message *message_new(size_t mem_limit, const char *spool_dir);
int message_set_envelope(struct message *m, const char *qid,
    const char *client_addr, const char *client_name, const char *auth_user);
int message_set_sender(struct message *m, const char *addr);
int message_add_rcpt(struct message *m, const char *addr, bool internal);
int message_add_header(struct message *m, const char *name, const char *value);
int message_append_body(struct message *m, const void *p, size_t n);
int message_body(struct message *m, const char **p, size_t *n);
int message_parse(struct message *m, const char *raw, size_t len);
int message_split_headers(struct arena *a, const char *raw, size_t len,
    struct header **out, size_t *n, size_t *body_off);
int message_header_text(const struct message *m, struct buf *hb);
int message_write(struct message *m, int fd);
bool message_is_spooled(const struct message *m);
void message_free(struct message *m);

/* message_addr_strip - the address inside optional angle brackets */
const char *message_addr_strip(struct arena *a, const char *addr);

#endif
