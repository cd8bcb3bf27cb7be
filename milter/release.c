/*
 * release.c - release tokens (see include/exfil/release.h)
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/keyfile.h>
#include <exfil/log.h>
#include <exfil/message.h>
#include <exfil/release.h>

#define NONCE_HEX 32
#define TOKENS_DIR ".tokens"

static const char *const canon_headers[] = {
    "From", "To", "Cc", "Subject", "Date", "Message-ID"};

/* a header value unfolded, blanks collapsed, trimmed */
static int
canon_value(struct buf *b, const char *v)
{
	int blank = 0, any = 0, rc = 0;

	for (; *v && rc == 0; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			blank = any;
			continue;
		}
		if (blank)
			rc = buf_putc(b, ' ');
		blank = 0;
		any = 1;
		if (rc == 0)
			rc = buf_putc(b, *v);
	}
	return rc;
}

/* SHA-256 of the canonical form of the message */
static int
message_digest(struct message *m, unsigned char md[32])
{
	struct buf c = {0};
	const char *body, *p, *end, *nl, *e;
	size_t blen, i, j, keep;
	unsigned int mdlen = 32;
	int rc = 0;

	for (i = 0; i < EXFIL_ARRAY_LEN(canon_headers) && rc == 0; i++) {
		rc = buf_printf(&c, "%s:", canon_headers[i]);
		for (j = 0; j < m->nheaders && rc == 0; j++)
			if (strcasecmp(m->headers[j].name, canon_headers[i]) ==
			    0) {
				rc = canon_value(&c, m->headers[j].value);
				break;
			}
		if (rc == 0)
			rc = buf_putc(&c, '\n');
	}
	if (rc == 0 && (rc = message_body(m, &body, &blen)) == 0) {
		rc = buf_puts(&c, "\n");
		keep = c.len;
		for (p = body, end = body + blen; p < end && rc == 0; p = nl) {
			nl = memchr(p, '\n', (size_t)(end - p));
			nl = nl ? nl + 1 : end;
			for (e = nl; e > p &&
			     (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t');
			     e--)
				;
			rc = buf_append(&c, p, (size_t)(e - p));
			if (rc == 0)
				rc = buf_putc(&c, '\n');
			if (e > p)
				keep = c.len; /* trailing empty lines dropped */
		}
		c.len = keep;
	}
	if (rc == 0 &&
	    EVP_Digest(c.p, c.len, md, &mdlen, EVP_sha256(), NULL) != 1)
		rc = EXFIL_EINTERNAL;
	buf_free(&c);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the MAC over version, expiry, nonce, recipients and the digest */
static int
token_mac(const unsigned char key[32], struct message *m, char *const *rcpts,
    size_t nrcpts, long long expires, const char *nonce, unsigned char mac[32])
{
	struct buf in = {0};
	unsigned char md[32];
	char hex[65], **v = NULL, *p;
	size_t i;
	int rc;

	if ((rc = message_digest(m, md)) < 0)
		return rc;
	if (nrcpts && (v = calloc(nrcpts, sizeof(*v))) == NULL)
		return EXFIL_ENOMEM;
	for (i = 0; i < nrcpts; i++) {
		const char *a = message_addr_strip(m->arena, rcpts[i]);
		if (a == NULL || (v[i] = strdup(a)) == NULL) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
		for (p = v[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	qsort(v, nrcpts, sizeof(*v), cmp_str);
	keyfile_hex(md, sizeof(md), hex);
	rc = buf_printf(&in, "exfil-release v1\n%lld\n%s\n", expires, nonce);
	for (i = 0; i < nrcpts && rc == 0; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			rc = buf_printf(&in, "%s\n", v[i]);
	if (rc == 0)
		rc = buf_printf(&in, "%s\n", hex);
	if (rc == 0)
		rc = keyfile_hmac(key, in.p, in.len, mac);
out:
	for (i = 0; v && i < nrcpts; i++)
		free(v[i]);
	free(v);
	buf_free(&in);
	return rc;
}

/* release_token - the header value for a released message */
int
release_token(const unsigned char key[32], struct message *m,
    char *const *rcpts, size_t nrcpts, time_t expires, char *out, size_t outlen)
{
	unsigned char rnd[NONCE_HEX / 2], mac[32];
	char nonce[NONCE_HEX + 1], machex[65];
	int rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return EXFIL_EINTERNAL;
	keyfile_hex(rnd, sizeof(rnd), nonce);
	if ((rc = token_mac(
		 key, m, rcpts, nrcpts, (long long)expires, nonce, mac)) < 0)
		return rc;
	keyfile_hex(mac, sizeof(mac), machex);
	snprintf(out, outlen, "v=1; exp=%lld; n=%s; mac=%s", (long long)expires,
	    nonce, machex);
	return 0;
}

/* the value of "name=" in a token, copied into out (hex or digits) */
static bool
token_field(const char *v, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), n;
	const char *p = v;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == v || p[-1] == ' ' || p[-1] == ';') && p[nlen] == '=')
			break;
		p += nlen;
	}
	if (p == NULL)
		return false;
	p += nlen + 1;
	n = strspn(p, "0123456789abcdefABCDEF");
	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* consume a nonce: true the first time only */
static bool
consume(const char *dir, const char *nonce, long long expires)
{
	char path[4096], text[32];
	int dfd, fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, TOKENS_DIR);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return false;
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return false;
	fd = openat(dfd, nonce, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		n = snprintf(text, sizeof(text), "%lld\n", expires);
		if (exfil_write_all(fd, text, (size_t)n) < 0 || fsync(fd) < 0) {
			close(fd);
			(void)unlinkat(dfd, nonce, 0);
			fd = -1;
		} else {
			close(fd);
			(void)fsync(dfd);
		}
	}
	close(dfd);
	return fd >= 0;
}

/* release_check - a valid, fresh, unused token for this message? */
enum release_state
release_check(
    const struct engine *e, struct message *m, time_t now, const char **why)
{
	const struct config *cfg = e->cfg;
	char name[128], ver[4], exp[24], nonce[NONCE_HEX + 2], mac[80];
	unsigned char want[32], got[32];
	const char *v = NULL;
	char **rcpts = NULL;
	long long expires;
	size_t i;
	enum release_state st = RELEASE_BAD;

	*why = NULL;
	snprintf(name, sizeof(name), "%s-%s", cfg->header_prefix,
	    RELEASE_HEADER_SUFFIX);
	for (i = 0; i < m->nheaders && v == NULL; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			v = m->headers[i].value;
	if (v == NULL)
		return RELEASE_NONE;
	if (!e->has_release_key) {
		*why = "release token, but no release_secret_file";
		return RELEASE_BAD;
	}
	if (!token_field(v, "v", ver, sizeof(ver)) || strcmp(ver, "1") != 0 ||
	    !token_field(v, "exp", exp, sizeof(exp)) ||
	    !token_field(v, "n", nonce, sizeof(nonce)) ||
	    strlen(nonce) != NONCE_HEX ||
	    !token_field(v, "mac", mac, sizeof(mac)) || strlen(mac) != 64) {
		*why = "malformed release token";
		return RELEASE_BAD;
	}
	for (i = 0; i < 32; i++) {
		unsigned int byte;
		sscanf(mac + 2 * i, "%2x", &byte);
		got[i] = (unsigned char)byte;
	}
	expires = strtoll(exp, NULL, 10);
	if (m->nrcpts && (rcpts = calloc(m->nrcpts, sizeof(*rcpts))) == NULL) {
		*why = "out of memory";
		return RELEASE_BAD;
	}
	for (i = 0; i < m->nrcpts; i++)
		rcpts[i] = (char *)m->rcpts[i].addr;
	if (token_mac(
		e->release_key, m, rcpts, m->nrcpts, expires, nonce, want) < 0)
		*why = "cannot compute the token";
	else if (CRYPTO_memcmp(want, got, sizeof(want)) != 0)
		*why = "release token does not match this message and its "
		       "recipients (forged or copied)";
	else if (expires < (long long)now)
		*why = "release token expired";
	else if (!consume(cfg->quarantine_dir, nonce, expires))
		*why = "release token already used";
	else
		st = RELEASE_OK;
	free(rcpts);
	return st;
}

/* release_honoured - the milter's use of release_check() */
bool
release_honoured(const struct engine *e, struct message *m, struct result *r)
{
	const char *why;

	switch (release_check(e, m, time(NULL), &why)) {
	case RELEASE_NONE:
		return false;
	case RELEASE_BAD:
		log_msg(
		    m->qid, LOG_WARNING, "ignored a release token: %s", why);
		return false;
	case RELEASE_OK:
		break;
	}
	memset(r, 0, sizeof(*r));
	engine_ref_id(r->ref, sizeof(r->ref));
	r->verdict.action = ACTION_ACCEPT;
	r->verdict.reason = "released from quarantine (valid token)";
	log_msg(m->qid, LOG_NOTICE,
	    "released message with a valid token: passed once, not judged");
	return true;
}

/* release_purge_used - forget consumed nonces past their expiry */
int
release_purge_used(const char *quarantine_dir, time_t now)
{
	char path[4096], text[32];
	struct dirent *de;
	DIR *d;
	int dfd, fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/%s", quarantine_dir, TOKENS_DIR);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : EXFIL_EIO;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, text, sizeof(text) - 1);
		close(fd);
		text[len > 0 ? len : 0] = '\0';
		if (strtoll(text, NULL, 10) < (long long)now &&
		    unlinkat(dfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
