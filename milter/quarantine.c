/*
 * quarantine.c - durable store of held messages
 * (see include/exfil/quarantine.h)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/decode.h>
#include <exfil/engine.h>
#include <exfil/json.h>
#include <exfil/keyfile.h>
#include <exfil/message.h>
#include <exfil/qcrypt.h>
#include <exfil/quarantine.h>
#include <exfil/report.h>
#include <exfil/rules.h>

/* quarantine_entry_dir - "YYYY/MM/DD" of an id's time */
int
quarantine_entry_dir(const char *id, char *out, size_t outlen)
{
	char hex[9];
	struct tm tm;
	time_t t;
	size_t i;

	if (strlen(id) != QUARANTINE_ID_LEN)
		return EXFIL_EINVAL;
	for (i = 0; i < QUARANTINE_ID_LEN; i++)
		if (!isxdigit((unsigned char)id[i]))
			return EXFIL_EINVAL;
	memcpy(hex, id, 8);
	hex[8] = '\0';
	t = (time_t)strtoul(hex, NULL, 16);
	if (gmtime_r(&t, &tm) == NULL)
		return EXFIL_EINVAL;
	snprintf(out, outlen, "%04d/%02d/%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
	return 0;
}

/* quarantine_mkdirs - open dir/rel, creating missing folders 0700 */
int
quarantine_mkdirs(const char *dir, const char *rel)
{
	char part[256], *p, *slash;
	int fd, next;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	snprintf(part, sizeof(part), "%s", rel);
	for (p = part; p && *p; p = slash) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash++ = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			/* a new folder must survive a crash: sync its parent */
			if ((mkdirat(fd, p, 0700) < 0 && errno != EEXIST) ||
			    fsync(fd) < 0) {
				close(fd);
				return -1;
			}
			next =
			    openat(fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		close(fd);
		if ((fd = next) < 0)
			return -1;
	}
	return fd;
}

/* a JSON string of a header's decoded value, masked by the rules */
static int
json_header(struct buf *b, const struct engine *e, struct message *m,
    const char *name, unsigned scope)
{
	const char *v = NULL;
	char where[64];
	size_t i;

	for (i = 0; i < m->nheaders && v == NULL; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			v = decode_header(m->arena, m->headers[i].value);
	if (v == NULL)
		return buf_puts(b, "null");
	snprintf(where, sizeof(where), "header:%s", name);
	if ((v = engine_masked(e, m->arena, v, where, scope)) == NULL)
		return EXFIL_ENOMEM;
	return json_cstr(b, v);
}

/* SHA-256 of the message as stored (before any encryption) */
static int
message_sha256(struct message *m, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	struct buf hb = {0};
	const char *body;
	size_t blen;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = EXFIL_EINTERNAL;

	if (c && message_header_text(m, &hb) == 0 &&
	    message_body(m, &body, &blen) == 0 &&
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, hb.p, hb.len) == 1 &&
	    EVP_DigestUpdate(c, body, blen) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1) {
		keyfile_hex(md, sizeof(md), hex);
		rc = 0;
	}
	EVP_MD_CTX_free(c);
	buf_free(&hb);
	return rc;
}

/* metadata record of a held message */
static int
metadata(struct buf *b, const struct engine *e, struct message *m,
    const struct result *r, const char *file, const char *keyid)
{
	char sha[65];

	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;
	int rc = 0;

	if (message_sha256(m, sha) < 0)
		return EXFIL_EINTERNAL;
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
	rc |= buf_puts(b, "],\"external\":[");
	for (i = 0; i < m->nrcpts; i++)
		rc |= buf_printf(b, "%s%s", i ? "," : "",
		    m->rcpts[i].internal ? "false" : "true");
	rc |= buf_puts(b, "],\"subject\":");
	rc |= json_header(b, e, m, "Subject", SCOPE_SUBJECT);
	rc |= buf_puts(b, ",\"message_id\":");
	rc |= json_header(b, e, m, "Message-ID", SCOPE_HEADERS);
	rc |= buf_printf(
	    b, ",\"size\":%zu,\"sha256\":\"%s\",\"file\":", m->body_len, sha);
	rc |= json_cstr(b, file);
	rc |= buf_printf(
	    b, ",\"encrypted\":%s,\"key_id\":", keyid[0] ? "true" : "false");
	if (keyid[0])
		rc |= json_cstr(b, keyid);
	else
		rc |= buf_puts(b, "null");
	rc |= buf_puts(b, ",\"scan\":");
	if (rc == 0)
		rc = report_json_masked(b, NULL, m, r, e);
	rc |= buf_printf(b,
	    ",\"history\":[{\"time\":\"%s\",\"action\":\"quarantine\","
	    "\"by\":\"exfil-milter\",\"reason\":",
	    when);
	rc |= json_cstr(b, r->verdict.reason);
	rc |= buf_puts(b, "}]}\n");
	return rc ? EXFIL_ENOMEM : 0;
}

/* the message, sealed to the public key, to fd */
static int
write_sealed(struct message *m, EVP_PKEY *pub, int fd)
{
	struct qseal s;
	struct buf hb = {0};
	const char *body;
	size_t blen;
	int rc;

	if ((rc = message_header_text(m, &hb)) < 0 ||
	    (rc = message_body(m, &body, &blen)) < 0 ||
	    (rc = qcrypt_seal_begin(&s, pub, fd)) < 0)
		goto out;
	if ((rc = qcrypt_seal_write(&s, hb.p, hb.len)) == 0 &&
	    (rc = qcrypt_seal_write(&s, body, blen)) == 0)
		rc = qcrypt_seal_end(&s);
	else
		qcrypt_seal_abort(&s);
out:
	buf_free(&hb);
	return rc;
}

/*
 * one file, atomically: a temporary name, 0600, fsync, rename; the
 * content is p/n, or the message (sealed when pub is given)
 */
static int
store_file(int dirfd, const char *name, const void *p, size_t n,
    struct message *m, EVP_PKEY *pub)
{
	char tmp[128];
	int fd, rc, e;

	snprintf(tmp, sizeof(tmp), ".tmp.%s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return EXFIL_EIO;
	if (m == NULL)
		rc = exfil_write_all(fd, p, n);
	else
		rc = pub ? write_sealed(m, pub, fd) : message_write(m, fd);
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

/* quarantine_replace - a file written atomically */
int
quarantine_replace(int dirfd, const char *name, const void *p, size_t n)
{
	int rc = store_file(dirfd, name, p, n, NULL, NULL);

	if (rc == 0 && fsync(dirfd) < 0)
		rc = EXFIL_EIO;
	return rc;
}

/* is less than need percent of total left? why says so */
static bool
short_of(unsigned long long avail, unsigned long long total,
    unsigned long long need, const char *what, const char *dir, char *why,
    size_t whylen)
{
	if (total == 0 || avail * 100 >= need * total)
		return false;
	snprintf(why, whylen,
	    "%s: %llu%% of the %s free, quarantine_min_free is %llu%%", dir,
	    avail * 100 / total, what, need);
	return true;
}

/* quarantine_has_room - is enough of the file system free? */
bool
quarantine_has_room(const struct config *cfg, char *why, size_t whylen)
{
	struct statvfs sv;
	unsigned long long need = cfg->quarantine_min_free;

	if (need == 0 || statvfs(cfg->quarantine_dir, &sv) < 0)
		return true; /* the store itself will say what is wrong */
	return !short_of(sv.f_bavail, sv.f_blocks, need, "space",
		   cfg->quarantine_dir, why, whylen) &&
	    !short_of(sv.f_favail, sv.f_files, need, "inodes",
		cfg->quarantine_dir, why, whylen);
}

/* quarantine_store - message and metadata, durable before we return */
int
quarantine_store(const struct engine *e, struct message *m,
    const struct result *r, char *path, size_t pathlen)
{
	const struct config *cfg = e->cfg;
	struct buf meta = {0};
	char day[16], rel[128], name[64], keyid[2 * QCRYPT_KEYID_LEN + 1] = "";
	int dirfd = -1, rc, err = 0;

	if (quarantine_entry_dir(r->ref, day, sizeof(day)) < 0) {
		errno = EINVAL;
		return EXFIL_EINTERNAL;
	}
	if (e->qkey && qcrypt_key_id(e->qkey, keyid) < 0) {
		errno = EINVAL;
		return EXFIL_EINTERNAL;
	}
	snprintf(
	    name, sizeof(name), "%s.eml%s", r->ref, e->qkey ? ".sealed" : "");
	snprintf(rel, sizeof(rel), "%s/%s", day, name);
	if ((dirfd = quarantine_mkdirs(cfg->quarantine_dir, day)) < 0)
		return EXFIL_EIO;
	if ((rc = metadata(&meta, e, m, r, rel, keyid)) < 0)
		goto out;
	if ((rc = store_file(dirfd, name, NULL, 0, m, e->qkey)) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.json", r->ref);
	if ((rc = store_file(dirfd, name, meta.p, meta.len, NULL, NULL)) < 0) {
		err = errno;
		snprintf(name, sizeof(name), "%s.eml%s", r->ref,
		    e->qkey ? ".sealed" : "");
		(void)unlinkat(dirfd, name, 0);
		errno = err;
		goto out;
	}
	if (fsync(dirfd) < 0) {
		rc = EXFIL_EIO;
		goto out;
	}
	if (path)
		snprintf(path, pathlen, "%s/%s", cfg->quarantine_dir, rel);
out:
	err = errno;
	close(dirfd);
	buf_free(&meta);
	errno = err;
	return rc;
}
