/*
 * message.c - message assembly: envelope, headers, body spool
 * (see include/exfil/message.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/message.h>

/* message_new - an empty message */
struct message *
message_new(size_t mem_limit, const char *spool_dir)
{
	struct message *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->arena = arena_new()) == NULL) {
		free(m);
		return NULL;
	}
	m->spool_fd = -1;
	m->mem_limit = mem_limit;
	m->spool_dir = spool_dir ? arena_strdup(m->arena, spool_dir) : NULL;
	return m;
}

static const char *
dup_or_null(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

/* message_set_envelope - connection facts; NULL where unknown */
int
message_set_envelope(struct message *m, const char *qid,
    const char *client_addr, const char *client_name, const char *auth_user)
{
	if (qid)
		m->qid = arena_strdup(m->arena, qid);
	if (client_addr)
		m->client_addr = arena_strdup(m->arena, client_addr);
	if (client_name)
		m->client_name = arena_strdup(m->arena, client_name);
	if (auth_user)
		m->auth_user = dup_or_null(m->arena, auth_user);
	return 0;
}

/* message_addr_strip - copy of addr without <> and surrounding blanks */
const char *
message_addr_strip(struct arena *a, const char *addr)
{
	const char *s = addr, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '<') {
		s++;
		e = strchr(s, '>');
		if (e == NULL)
			e = s + strlen(s);
	} else {
		e = s + strcspn(s, " \t");
	}
	return arena_strndup(a, s, (size_t)(e - s));
}

/* message_set_sender - the envelope sender (MAIL FROM) */
int
message_set_sender(struct message *m, const char *addr)
{
	m->sender = message_addr_strip(m->arena, addr);
	return m->sender ? 0 : EXFIL_ENOMEM;
}

/* message_add_rcpt - one envelope recipient (RCPT TO) */
int
message_add_rcpt(struct message *m, const char *addr, bool internal)
{
	struct rcpt *v;

	if ((v = arena_grow(m->arena, m->rcpts, m->nrcpts, &m->rcpts_cap,
		 sizeof(*v))) == NULL)
		return EXFIL_ENOMEM;
	m->rcpts = v;
	if ((m->rcpts[m->nrcpts].addr = message_addr_strip(m->arena, addr)) ==
	    NULL)
		return EXFIL_ENOMEM;
	m->rcpts[m->nrcpts].internal = internal;
	m->nrcpts++;
	return 0;
}

/* message_add_header - one header as received */
int
message_add_header(struct message *m, const char *name, const char *value)
{
	struct header *v;

	if ((v = arena_grow(m->arena, m->headers, m->nheaders, &m->headers_cap,
		 sizeof(*v))) == NULL)
		return EXFIL_ENOMEM;
	m->headers = v;
	m->headers[m->nheaders].name = arena_strdup(m->arena, name);
	m->headers[m->nheaders].value = arena_strdup(m->arena, value);
	if (!m->headers[m->nheaders].name || !m->headers[m->nheaders].value)
		return EXFIL_ENOMEM;
	m->nheaders++;
	return 0;
}

/* open a private, nameless file in the spool folder */
static int
spool_open(const char *dir)
{
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/var/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/exfil.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	(void)unlink(path);
	return fd;
}

/* message_append_body - add body bytes; spool to a file past mem_limit */
int
message_append_body(struct message *m, const void *p, size_t n)
{
	int rc;

	if (m->map) {
		/* a view was taken: the body is complete */
		return EXFIL_EINTERNAL;
	}
	if (m->spool_fd < 0 && m->mem.len + n > m->mem_limit) {
		if ((m->spool_fd = spool_open(m->spool_dir)) < 0)
			return EXFIL_EIO;
		if ((rc = exfil_write_all(m->spool_fd, m->mem.p, m->mem.len)) <
		    0)
			return rc;
		buf_free(&m->mem);
	}
	if (m->spool_fd >= 0)
		rc = exfil_write_all(m->spool_fd, p, n);
	else
		rc = buf_append(&m->mem, p, n);
	if (rc == 0)
		m->body_len += n;
	return rc;
}

/* message_is_spooled - is the body in a file? */
bool
message_is_spooled(const struct message *m)
{
	return m->spool_fd >= 0;
}

/* message_body - one contiguous view of the whole body */
int
message_body(struct message *m, const char **p, size_t *n)
{
	void *map;

	*n = m->body_len;
	if (m->spool_fd < 0) {
		*p = m->mem.p ? m->mem.p : "";
		return 0;
	}
	if (m->map == NULL && m->body_len > 0) {
		map = mmap(
		    NULL, m->body_len, PROT_READ, MAP_PRIVATE, m->spool_fd, 0);
		if (map == MAP_FAILED)
			return EXFIL_EIO;
		m->map = map;
		m->map_len = m->body_len;
	}
	*p = m->map ? m->map : "";
	return 0;
}

/* message_split_headers - parse a header block into an array */
int
message_split_headers(struct arena *a, const char *raw, size_t len,
    struct header **out, size_t *n, size_t *body_off)
{
	const char *p = raw, *end = raw + len, *eol, *colon, *next, *v, *vend;
	const char *name_end;
	struct header *h = NULL, *nh;
	size_t cnt = 0, cap = 0;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r')) {
			p = eol < end ? eol + 1 : end; /* the empty line */
			break;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p || *p == ' ' || *p == '\t')
			break; /* not a header: the body starts here */
		name_end = colon;
		while (name_end > p &&
		    (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		if (memchr(p, ' ', (size_t)(name_end - p)) != NULL)
			break; /* "Dear John: ..." is text, not a header */
		/* take continuation lines along */
		next = eol < end ? eol + 1 : end;
		while (next < end && (*next == ' ' || *next == '\t')) {
			eol = memchr(next, '\n', (size_t)(end - next));
			if (eol == NULL)
				eol = end;
			next = eol < end ? eol + 1 : end;
		}
		v = colon + 1;
		if (v < eol && *v == ' ')
			v++;
		vend = eol;
		if (vend > v && vend[-1] == '\r')
			vend--;
		if ((nh = arena_grow(a, h, cnt, &cap, sizeof(*nh))) == NULL)
			return EXFIL_ENOMEM;
		h = nh;
		h[cnt].name = arena_strndup(a, p, (size_t)(name_end - p));
		h[cnt].value = arena_strndup(a, v, (size_t)(vend - v));
		if (h[cnt].name == NULL || h[cnt].value == NULL)
			return EXFIL_ENOMEM;
		cnt++;
		p = next;
	}
	*out = h;
	*n = cnt;
	*body_off = (size_t)(p - raw);
	return 0;
}

/* message_parse - a raw message read from a file: headers, then body */
int
message_parse(struct message *m, const char *raw, size_t len)
{
	struct header *h;
	size_t n, i, off;
	int rc;

	if ((rc = message_split_headers(m->arena, raw, len, &h, &n, &off)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = message_add_header(m, h[i].name, h[i].value)) < 0)
			return rc;
	if (off < len)
		return message_append_body(m, raw + off, len - off);
	return 0;
}

/* message_header_text - the header block as received, CRLF, empty line */
int
message_header_text(const struct message *m, struct buf *hb)
{
	const char *v;
	size_t i;
	int rc = 0;

	for (i = 0; i < m->nheaders && rc == 0; i++) {
		rc = buf_printf(hb, "%s: ", m->headers[i].name);
		/* folded values come with bare LF from some MTAs: CRLF */
		for (v = m->headers[i].value; *v && rc == 0; v++) {
			if (*v == '\n' &&
			    (v == m->headers[i].value || v[-1] != '\r'))
				rc = buf_append(hb, "\r\n", 2);
			else
				rc = buf_putc(hb, *v);
		}
		if (rc == 0)
			rc = buf_append(hb, "\r\n", 2);
	}
	if (rc == 0)
		rc = buf_append(hb, "\r\n", 2);
	return rc;
}

/* message_write - the whole message (headers, empty line, body) to fd */
int
message_write(struct message *m, int fd)
{
	struct buf hb = {0};
	const char *body;
	size_t blen;
	int rc;

	if ((rc = message_header_text(m, &hb)) < 0)
		goto out;
	if ((rc = exfil_write_all(fd, hb.p, hb.len)) < 0)
		goto out;
	if ((rc = message_body(m, &body, &blen)) < 0)
		goto out;
	rc = exfil_write_all(fd, body, blen);
out:
	buf_free(&hb);
	return rc;
}

/* message_free - the message, its arena, body and spool file */
void
message_free(struct message *m)
{
	if (m == NULL)
		return;
	if (m->map)
		munmap(m->map, m->map_len);
	if (m->spool_fd >= 0)
		close(m->spool_fd);
	buf_free(&m->mem);
	arena_free(m->arena);
	free(m);
}
