/*
 * quarantine.c - durable store of held messages
 * (see include/exfil/quarantine.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/json.h>
#include <exfil/message.h>
#include <exfil/quarantine.h>
#include <exfil/report.h>

/* metadata record of a held message */
static int
metadata(struct buf *b, struct message *m, const struct result *r)
{
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;
	int rc = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc |= buf_puts(b, "{\"id\":");
	rc |= json_cstr(b, r->ref);
	rc |= buf_printf(
	    b, ",\"time\":\"%s\",\"status\":\"held\",\"queue_id\":", when);
	rc |= json_cstr(b, m->qid);
	rc |= buf_puts(b, ",\"client_addr\":");
	rc |= json_cstr(b, m->client_addr);
	rc |= buf_puts(b, ",\"auth_user\":");
	rc |= json_cstr(b, m->auth_user);
	rc |= buf_puts(b, ",\"sender\":");
	rc |= json_cstr(b, m->sender);
	rc |= buf_puts(b, ",\"recipients\":[");
	for (i = 0; i < m->nrcpts; i++) {
		if (i)
			rc |= buf_putc(b, ',');
		rc |= json_cstr(b, m->rcpts[i].addr);
	}
	rc |= buf_printf(b, "],\"size\":%zu,\"scan\":", m->body_len);
	if (rc == 0)
		rc = report_json(b, NULL, m, r);
	rc |= buf_puts(b, "}\n");
	return rc ? EXFIL_ENOMEM : 0;
}

/* write one file atomically: temp name, fsync, rename */
static int
store_file(int dirfd, const char *name, struct message *m, const struct buf *b)
{
	char tmp[128];
	int fd, rc, e;

	snprintf(tmp, sizeof(tmp), ".tmp.%s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return EXFIL_EIO;
	rc = b ? exfil_write_all(fd, b->p, b->len) : message_write(m, fd);
	if (rc == 0 && fsync(fd) < 0)
		rc = EXFIL_EIO;
	e = errno;
	if (close(fd) < 0 && rc == 0)
		rc = EXFIL_EIO, e = errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = EXFIL_EIO, e = errno;
	if (rc < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		errno = e;
	}
	return rc;
}

/* quarantine_store - message and metadata, durable before we return */
int
quarantine_store(const struct config *cfg, struct message *m,
    const struct result *r, char *path, size_t pathlen)
{
	struct buf meta = {0};
	char name[64];
	int dirfd, rc, e = 0;

	dirfd = open(cfg->quarantine_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return EXFIL_EIO;
	if ((rc = metadata(&meta, m, r)) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.eml", r->ref);
	if ((rc = store_file(dirfd, name, m, NULL)) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.json", r->ref);
	if ((rc = store_file(dirfd, name, m, &meta)) < 0) {
		e = errno;
		snprintf(name, sizeof(name), "%s.eml", r->ref);
		(void)unlinkat(dirfd, name, 0);
		errno = e;
		goto out;
	}
	if (fsync(dirfd) < 0) {
		rc = EXFIL_EIO;
		goto out;
	}
	if (path)
		snprintf(
		    path, pathlen, "%s/%s.eml", cfg->quarantine_dir, r->ref);
out:
	e = errno;
	close(dirfd);
	buf_free(&meta);
	errno = e;
	return rc;
}
