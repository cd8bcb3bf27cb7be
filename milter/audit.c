/*
 * audit.c - the audit log: JSON records chained by HMAC-SHA256
 * (see include/exfil/audit.h, man/exfil-audit.5)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <exfil/audit.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/json.h>
#include <exfil/keyfile.h>
#include <exfil/message.h>
#include <exfil/report.h>
#include <exfil/rules.h>

/*
 * Every line starts with {"@timestamp":"YYYY-MM-DDTHH:MM:SS.mmmZ",
 * "event.action":" and ends with ,"audit.prev":"HEX","audit.mac":"HEX"}
 * at fixed places, so that the chain is read without a JSON parser.
 */
#define TS_LEN 24
#define HEAD "{\"@timestamp\":\""
#define ACTION_KEY "\",\"event.action\":\""
#define ACTION_OFF (sizeof(HEAD) - 1 + TS_LEN + sizeof(ACTION_KEY) - 1)
#define PREV_KEY ",\"audit.prev\":\""
#define MAC_KEY "\",\"audit.mac\":\""
#define MAC_TAIL "\"}\n"
#define HEXLEN 64
/* ,"audit.prev":"HEX","audit.mac":"HEX"}\n */
#define TAIL_LEN \
	(sizeof(PREV_KEY) - 1 + HEXLEN + sizeof(MAC_KEY) - 1 + HEXLEN + \
	    sizeof(MAC_TAIL) - 1)
/* "","audit.mac":"HEX"}\n: what follows the bytes the MAC covers */
#define SUFFIX_LEN (sizeof(MAC_KEY) - 1 + HEXLEN + sizeof(MAC_TAIL) - 1)
#define ZERO_MAC \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_TORN (16u << 20) /* the most of a torn line hashed */

struct audit {
	char *path; /* NULL: no audit log */
	int fd;
	bool always; /* audit_fsync = always */
	unsigned char key[KEYFILE_LEN];
	unsigned char evkey[KEYFILE_LEN];
	bool evkeyed;
	pthread_mutex_t lock;
	char last[AUDIT_MAC_HEX]; /* the last MAC, "" when unknown */
	off_t last_size; /* the file's size after our last append */
	struct timespec synced; /* the last fdatasync */
	bool dirty; /* written since */
	char host[256];
};

static bool
is_hex64(const char *p)
{
	size_t i;

	for (i = 0; i < HEXLEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
			(p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/*
 * The tail of one line (n bytes ending with its '\n'): prev and mac, or
 * -1 when it is not the end of a record.
 */
static int
parse_tail(
    const char *p, size_t n, char prev[AUDIT_MAC_HEX], char mac[AUDIT_MAC_HEX])
{
	const char *t;

	if (n < TAIL_LEN)
		return -1;
	t = p + n - TAIL_LEN;
	if (memcmp(t, PREV_KEY, sizeof(PREV_KEY) - 1) != 0)
		return -1;
	t += sizeof(PREV_KEY) - 1;
	if (!is_hex64(t) ||
	    memcmp(t + HEXLEN, MAC_KEY, sizeof(MAC_KEY) - 1) != 0 ||
	    !is_hex64(t + HEXLEN + sizeof(MAC_KEY) - 1) ||
	    memcmp(t + 2 * HEXLEN + sizeof(MAC_KEY) - 1, MAC_TAIL,
		sizeof(MAC_TAIL) - 1) != 0)
		return -1;
	if (prev) {
		memcpy(prev, t, HEXLEN);
		prev[HEXLEN] = '\0';
	}
	if (mac) {
		memcpy(mac, t + HEXLEN + sizeof(MAC_KEY) - 1, HEXLEN);
		mac[HEXLEN] = '\0';
	}
	return 0;
}

/* the MAC of a line: HMAC over everything before ","audit.mac" */
static int
line_mac(const unsigned char key[KEYFILE_LEN], const char *p, size_t n,
    char out[AUDIT_MAC_HEX])
{
	unsigned char mac[KEYFILE_LEN];

	if (keyfile_hmac(key, p, n, mac) < 0)
		return EXFIL_EINTERNAL;
	keyfile_hex(mac, sizeof(mac), out);
	return 0;
}

/* evidence_hmac_hex - the keyed hash of one matched value */
int
evidence_hmac_hex(const unsigned char key[32], const char *value, size_t n,
    char out[AUDIT_MAC_HEX])
{
	return line_mac(key, value, n, out);
}

/* the MAC of the record that ends at byte end of fd, or -1 */
static int
mac_before(int fd, off_t end, char mac[AUDIT_MAC_HEX])
{
	char t[TAIL_LEN];

	if (end < (off_t)TAIL_LEN ||
	    pread(fd, t, TAIL_LEN, end - (off_t)TAIL_LEN) != (ssize_t)TAIL_LEN)
		return -1;
	return parse_tail(t, TAIL_LEN, NULL, mac);
}

/* the offset where the line holding byte end-1 starts */
static off_t
line_start(int fd, off_t end)
{
	char chunk[4096];
	off_t pos = end;
	ssize_t n, i;

	while (pos > 0) {
		size_t want =
		    pos > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)pos;
		if ((n = pread(fd, chunk, want, pos - (off_t)want)) !=
		    (ssize_t)want)
			return -1;
		for (i = n; i-- > 0;)
			if (chunk[i] == '\n')
				return pos - (off_t)want + i + 1;
		pos -= (off_t)want;
	}
	return 0;
}

/* SHA-256 (hex) of n bytes of fd at off */
static int
sha256_range(int fd, off_t off, size_t n, char out[AUDIT_MAC_HEX])
{
	unsigned char md[32], chunk[8192];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned mdlen = 0;
	ssize_t got;
	int rc = EXFIL_EIO;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while (n > 0) {
		got = pread(
		    fd, chunk, n < sizeof(chunk) ? n : sizeof(chunk), off);
		if (got <= 0)
			goto out;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1)
			goto out;
		off += got;
		n -= (size_t)got;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	keyfile_hex(md, sizeof(md), out);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* the same for bytes in memory */
static void
sha256_mem(const char *p, size_t n, char out[AUDIT_MAC_HEX])
{
	unsigned char md[32];
	unsigned mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	keyfile_hex(md, sizeof(md), out);
}

/* {"@timestamp":"...","event.action":"ACTION" (no closing brace) */
static int
record_begin(struct buf *b, const struct audit *a, const char *action)
{
	struct timespec ts;
	struct tm tm;
	char t[32];
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	rc |= buf_printf(
	    b, HEAD "%s.%03ldZ" ACTION_KEY, t, (long)(ts.tv_nsec / 1000000));
	rc |= buf_puts(b, action);
	rc |= buf_printf(b,
	    "\",\"event.kind\":\"event\",\"event.dataset\":\"exfil.audit\","
	    "\"host.name\":");
	rc |= json_cstr(b, a->host);
	rc |= buf_puts(b, ",\"process.name\":");
	rc |= json_cstr(b, program_invocation_short_name);
	rc |= buf_printf(b, ",\"process.pid\":%ld", (long)getpid());
	return rc ? EXFIL_ENOMEM : 0;
}

/* close the record that starts at b->p + start: prev, mac, newline */
static int
record_seal(struct audit *a, struct buf *b, size_t start, const char *prev,
    char mac[AUDIT_MAC_HEX])
{
	int rc;

	if (buf_printf(b, PREV_KEY "%s", prev) < 0)
		return EXFIL_ENOMEM;
	if ((rc = line_mac(a->key, b->p + start, b->len - start, mac)) < 0)
		return rc;
	if (buf_printf(b, MAC_KEY "%s" MAC_TAIL, mac) < 0)
		return EXFIL_ENOMEM;
	return 0;
}

/* the last MAC of PATH.1 (the file logrotate made), or "" */
static void
rotated_mac(const char *path, char mac[AUDIT_MAC_HEX])
{
	char old[4096];
	struct stat st;
	int fd;

	mac[0] = '\0';
	snprintf(old, sizeof(old), "%s.1", path);
	if ((fd = open(old, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && mac_before(fd, st.st_size, mac) < 0)
		mac[0] = '\0';
	close(fd);
}

/*
 * Under the lock: what must precede a new record (an audit-start record
 * for an empty file, the end of a torn line and an audit-recover record)
 * into pre, and the MAC the new record continues into prev.
 */
static int
chain_tail(struct audit *a, struct buf *pre, char prev[AUDIT_MAC_HEX])
{
	char sha[AUDIT_MAC_HEX], from[16];
	struct stat st;
	size_t start;
	off_t ls, torn_len;
	char endc = '\n';
	int rc;

	if (fstat(a->fd, &st) < 0)
		return EXFIL_EIO;
	if (st.st_size == a->last_size && a->last[0]) {
		memcpy(prev, a->last, AUDIT_MAC_HEX);
		return 0;
	}
	if (st.st_size == 0) {
		/* a new file: continue the chain of the one before it */
		snprintf(from, sizeof(from), "%s", a->last[0] ? "reopen" : "");
		if (a->last[0] == '\0') {
			rotated_mac(a->path, a->last);
			snprintf(from, sizeof(from), "%s",
			    a->last[0] ? "rotated" : "none");
		}
		start = pre->len;
		if ((rc = record_begin(pre, a, "audit-start")) < 0 ||
		    (rc = buf_printf(
			 pre, ",\"audit.continues\":\"%s\"", from)) < 0 ||
		    (rc = record_seal(a, pre, start,
			 a->last[0] ? a->last : ZERO_MAC, prev)) < 0)
			return rc < 0 ? rc : EXFIL_ENOMEM;
		return 0;
	}
	if (pread(a->fd, &endc, 1, st.st_size - 1) != 1)
		return EXFIL_EIO;
	if (endc == '\n' && mac_before(a->fd, st.st_size, prev) == 0)
		return 0;
	/* a torn or foreign last line: end it, say so, go on after it */
	if ((ls = line_start(
		 a->fd, endc == '\n' ? st.st_size - 1 : st.st_size)) < 0)
		return EXFIL_EIO;
	torn_len = st.st_size - ls - (endc == '\n');
	if ((rc = sha256_range(a->fd, ls,
		 (size_t)(torn_len > MAX_TORN ? MAX_TORN : torn_len), sha)) < 0)
		return rc;
	if (mac_before(a->fd, ls, a->last) < 0)
		memcpy(a->last, ZERO_MAC, AUDIT_MAC_HEX);
	if (endc != '\n' && buf_putc(pre, '\n') < 0)
		return EXFIL_ENOMEM;
	start = pre->len;
	if ((rc = record_begin(pre, a, "audit-recover")) < 0 ||
	    (rc = buf_printf(pre,
		 ",\"audit.torn_offset\":%lld,\"audit.torn_length\":%lld,"
		 "\"audit.torn_sha256\":\"%s\"",
		 (long long)ls, (long long)torn_len, sha)) < 0 ||
	    (rc = record_seal(a, pre, start, a->last, prev)) < 0)
		return rc < 0 ? rc : EXFIL_ENOMEM;
	return 0;
}

static double
elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void
sync_now(struct audit *a)
{
	if (fdatasync(a->fd) == 0) {
		a->dirty = false;
		clock_gettime(CLOCK_MONOTONIC, &a->synced);
	}
}

/*
 * append - seal the record in rec (begun by record_begin, not closed)
 * and append it, with what must precede it, in one write
 */
static int
append(struct audit *a, struct buf *rec)
{
	struct buf out = {0};
	char prev[AUDIT_MAC_HEX], mac[AUDIT_MAC_HEX];
	struct stat st;
	bool locked = false;
	size_t start;
	int rc;

	pthread_mutex_lock(&a->lock);
	if (a->fd < 0) {
		rc = EXFIL_EIO;
		goto out;
	}
	if (flock(a->fd, LOCK_EX) < 0) {
		rc = EXFIL_EIO;
		goto out;
	}
	locked = true;
	if ((rc = chain_tail(a, &out, prev)) < 0)
		goto out;
	start = out.len;
	if (buf_append(&out, rec->p, rec->len) < 0) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	if ((rc = record_seal(a, &out, start, prev, mac)) < 0)
		goto out;
	if (write(a->fd, out.p, out.len) != (ssize_t)out.len) {
		/* a short write leaves a torn line: the next append ends it */
		rc = EXFIL_EIO;
		a->last_size = -1;
		goto out;
	}
	memcpy(a->last, mac, sizeof(mac));
	a->last_size = fstat(a->fd, &st) == 0 ? st.st_size : -1;
	a->dirty = true;
	if (a->always || elapsed(&a->synced) >= 1.0)
		sync_now(a);
	if (a->always && a->dirty)
		rc = EXFIL_EIO; /* fdatasync failed */
out:
	if (locked)
		flock(a->fd, LOCK_UN);
	pthread_mutex_unlock(&a->lock);
	buf_free(&out);
	return rc;
}

/*
 * Open the log for appending. A file that root creates takes the owner of
 * its folder (the daemon's user), so that the daemon can append to it.
 */
static int
open_log(struct audit *a)
{
	const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY;
	char *dir = NULL, *slash;
	struct stat st;

	a->last_size = -1;
	if ((a->fd = open(a->path, flags)) >= 0 || errno != ENOENT)
		goto out;
	if ((a->fd = open(a->path, flags | O_CREAT | O_EXCL, 0600)) < 0) {
		if (errno == EEXIST)
			a->fd = open(a->path, flags); /* another was first */
		goto out;
	}
	if (geteuid() != 0 || (dir = strdup(a->path)) == NULL)
		goto out;
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(slash ? dir : ".", &st) == 0 && st.st_uid != 0 &&
	    fchown(a->fd, st.st_uid, st.st_gid) < 0) {
		close(a->fd);
		a->fd = -1;
	}
out:
	free(dir);
	return a->fd < 0 ? EXFIL_EIO : 0;
}

/* audit_open - the audit log of cfg, or a no-op one */
int
audit_open(
    const struct config *cfg, struct audit **out, char *err, size_t errlen)
{
	struct audit *a;
	int rc = 0;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return EXFIL_ENOMEM;
	a->fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a->synced);
	if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "localhost");
	if (cfg->evidence_key_file[0]) {
		if ((rc = keyfile_load(
			 cfg->evidence_key_file, a->evkey, err, errlen)) < 0)
			goto out;
		a->evkeyed = true;
	}
	if (cfg->audit_log[0] == '\0')
		goto out;
	if (cfg->audit_key_file[0] == '\0') {
		snprintf(err, errlen, "audit_log %s needs audit_key_file",
		    cfg->audit_log);
		rc = EXFIL_EINVAL;
		goto out;
	}
	if ((rc = keyfile_load(cfg->audit_key_file, a->key, err, errlen)) < 0)
		goto out;
	a->always = strcmp(cfg->audit_fsync, "always") == 0;
	if ((a->path = strdup(cfg->audit_log)) == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	if ((rc = open_log(a)) < 0)
		snprintf(
		    err, errlen, "audit_log %s: %s", a->path, strerror(errno));
out:
	if (rc < 0)
		audit_close(a);
	else
		*out = a;
	return rc;
}

/* audit_enabled - are records written? */
int
audit_enabled(const struct audit *a)
{
	return a && a->path;
}

/* audit_path - the log's path, or "" */
const char *
audit_path(const struct audit *a)
{
	return a && a->path ? a->path : "";
}

/* audit_check - the keys of cfg load, and audit_log has its key */
int
audit_check(const struct config *cfg, char *err, size_t errlen)
{
	struct audit *a = NULL;
	struct config copy = *cfg;
	int rc;

	copy.audit_log = ""; /* keys only: open no file */
	if (cfg->audit_log[0] && cfg->audit_key_file[0] == '\0') {
		snprintf(err, errlen, "audit_log %s needs audit_key_file",
		    cfg->audit_log);
		return EXFIL_EINVAL;
	}
	if ((rc = audit_open(&copy, &a, err, errlen)) == 0 &&
	    cfg->audit_key_file[0])
		rc = keyfile_load(cfg->audit_key_file, a->key, err, errlen);
	audit_close(a);
	return rc;
}

/* audit_evidence_key - the evidence key, or NULL */
const unsigned char *
audit_evidence_key(const struct audit *a)
{
	return a && a->evkeyed ? a->evkey : NULL;
}

/* audit_reopen - open the path again (after a rotation) */
int
audit_reopen(struct audit *a)
{
	int rc = 0;

	if (!audit_enabled(a))
		return 0;
	pthread_mutex_lock(&a->lock);
	if (a->fd >= 0) {
		struct stat st;
		char mac[AUDIT_MAC_HEX];
		/* remember where the old file's chain ends */
		if (flock(a->fd, LOCK_EX) == 0) {
			if (fstat(a->fd, &st) == 0 &&
			    mac_before(a->fd, st.st_size, mac) == 0)
				memcpy(a->last, mac, sizeof(mac));
			flock(a->fd, LOCK_UN);
		}
		if (a->dirty)
			fdatasync(a->fd);
		close(a->fd);
	}
	rc = open_log(a);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* audit_flush - sync a periodic log when a second has passed */
void
audit_flush(struct audit *a)
{
	if (!audit_enabled(a))
		return;
	pthread_mutex_lock(&a->lock);
	if (a->fd >= 0 && a->dirty && elapsed(&a->synced) >= 1.0)
		sync_now(a);
	pthread_mutex_unlock(&a->lock);
}

/* audit_sync - sync what is pending, now */
void
audit_sync(struct audit *a)
{
	if (!audit_enabled(a))
		return;
	pthread_mutex_lock(&a->lock);
	if (a->fd >= 0 && a->dirty)
		sync_now(a);
	pthread_mutex_unlock(&a->lock);
}

/* audit_close - sync, close, forget the keys */
void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0) {
		if (a->dirty)
			fdatasync(a->fd);
		close(a->fd);
	}
	pthread_mutex_destroy(&a->lock);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	OPENSSL_cleanse(a->evkey, sizeof(a->evkey));
	free(a->path);
	free(a);
}

/* ,"NAME":"value" when value is set */
static int
field(struct buf *b, const char *name, const char *value)
{
	int rc = 0;

	if (value == NULL)
		return 0;
	rc |= buf_printf(b, ",\"%s\":", name);
	rc |= json_cstr(b, value);
	return rc;
}

/* the Message-ID header, without surrounding blanks */
static const char *
message_id(const struct message *m, size_t *n)
{
	const char *v;
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "Message-ID") != 0)
			continue;
		v = m->headers[i].value;
		v += strspn(v, " \t\r\n");
		*n = strlen(v);
		while (*n && strchr(" \t\r\n", v[*n - 1]))
			(*n)--;
		return v;
	}
	return NULL;
}

/* "rule.id":[...],"rule.category":[...],"exfil.findings":[...] */
static int
findings(struct buf *b, const struct engine *e, const struct message *m,
    const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	const struct finding *f;
	size_t i, j, k;
	int rc = 0, n;

	for (k = 0; k < 3; k++) {
		rc |= buf_puts(b,
		    k == 0	 ? ",\"rule.id\":["
			: k == 1 ? "],\"rule.category\":["
				 : "],\"exfil.findings\":[");
		n = 0;
		for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
			if ((f = scan_finding(&r->scan, i)) == NULL)
				continue;
			if (k == 1) {
				/* each category once */
				for (j = 0; j < i; j++)
					if (scan_finding(&r->scan, j) &&
					    strcmp(rs->rules[j].category,
						rs->rules[i].category) == 0)
						break;
				if (j < i)
					continue;
			}
			if (n++)
				rc |= buf_putc(b, ',');
			if (k < 2) {
				rc |= json_cstr(b,
				    k == 0 ? rs->rules[i].id
					   : rs->rules[i].category);
				continue;
			}
			rc |= buf_puts(b, "{\"rule.id\":");
			rc |= json_cstr(b, rs->rules[i].id);
			rc |= buf_puts(b, ",\"rule.category\":");
			rc |= json_cstr(b, rs->rules[i].category);
			rc |= buf_printf(b,
			    ",\"count\":%u,\"confidence\":\"%s\",\"where\":",
			    f->count, confidence_name(f->confidence));
			rc |= report_place(b, e, m, f->where);
			rc |= buf_puts(b, ",\"evidence\":[");
			for (j = 0; j < f->nevidence; j++) {
				rc |= j ? buf_putc(b, ',') : 0;
				rc |= json_cstr(b, f->evidence[j]);
			}
			rc |= buf_puts(b, "],\"evidence_hmac\":[");
			for (j = 0; j < f->nevidence && f->digest[j]; j++) {
				rc |= j ? buf_putc(b, ',') : 0;
				rc |= json_cstr(b, f->digest[j]);
			}
			rc |= buf_puts(b, "]}");
		}
	}
	rc |= buf_putc(b, ']');
	return rc ? EXFIL_ENOMEM : 0;
}

/* the fields of one message, after record_begin() */
static int
message_fields(struct buf *b, const struct engine *e, const struct message *m,
    const struct result *r)
{
	const char *mid;
	size_t i, n = 0;
	int rc = 0;

	rc |= buf_printf(b,
	    ",\"event.category\":[\"email\"],\"event.type\":[\"info\"],"
	    "\"event.outcome\":\"%s\",\"event.duration\":%.0f",
	    r->error ? "failure" : "success", r->elapsed_ms * 1e6);
	rc |= field(b, "event.id", r->ref);
	rc |= field(b, "event.reason", r->verdict.reason);
	rc |= field(b, "email.local_id", m->qid);
	if ((mid = message_id(m, &n)) != NULL) {
		rc |= buf_puts(b, ",\"email.message_id\":");
		rc |= json_str(b, mid, n);
	}
	rc |= buf_printf(b, ",\"email.direction\":\"%s\"",
	    r->outbound ? "outbound" : "internal");
	rc |= buf_puts(b, ",\"email.from.address\":[");
	rc |= json_cstr(b, m->sender ? m->sender : "");
	for (n = 0; n < 2; n++) {
		rc |= buf_puts(b,
		    n ? "],\"exfil.external_recipients\":["
		      : "],\"email.to.address\":[");
		for (i = 0; i < m->nrcpts; i++) {
			if (n && m->rcpts[i].internal)
				continue;
			if (b->p[b->len - 1] != '[')
				rc |= buf_putc(b, ',');
			rc |= json_cstr(b, m->rcpts[i].addr);
		}
	}
	rc |= buf_putc(b, ']');
	rc |= field(b, "source.ip", m->client_addr);
	rc |= field(b, "source.domain", m->client_name);
	rc |= field(b, "user.name", m->auth_user);
	rc |= buf_printf(b, ",\"exfil.score\":%d", r->verdict.score);
	if (r->verdict.monitored)
		rc |=
		    field(b, "exfil.monitor", action_name(r->verdict.monitor));
	if (r->override)
		rc |= buf_printf(b, ",\"exfil.overridden\":%s",
		    r->verdict.overridden ? "true" : "false");
	rc |= buf_puts(b, ",\"exfil.flags\":[");
	rc |= report_flags(b, m->flags, ",");
	rc |= buf_printf(b, "],\"exfil.bytes\":%zu,\"exfil.scan_ms\":%.3f",
	    m->body_len, r->elapsed_ms);
	rc |= findings(b, e, m, r);
	rc |= buf_puts(b, ",\"email.attachments\":[");
	for (i = 0; i < r->nparts; i++) {
		const struct part_info *p = &r->parts[i];
		rc |= buf_puts(b, i ? ",{\"file.name\":" : "{\"file.name\":");
		rc |= report_place(b, e, m, p->where);
		rc |= buf_puts(b, ",\"file.mime_type\":");
		rc |= json_cstr(b, p->type ? p->type : "");
		rc |= buf_printf(b,
		    ",\"file.size\":%zu,\"file.hash.sha256\":\"%s\","
		    "\"exfil.encrypted\":%s}",
		    p->size, p->sha256, p->encrypted ? "true" : "false");
	}
	rc |= buf_puts(b, "],\"exfil.errors\":[");
	for (i = 0; i < r->nerrors; i++) {
		rc |= i ? buf_putc(b, ',') : 0;
		rc |= json_cstr(b, r->errors[i]);
	}
	rc |= buf_putc(b, ']');
	return rc ? EXFIL_ENOMEM : 0;
}

/* audit_message - the record of one judged message */
int
audit_message(struct audit *a, const struct engine *e, const struct message *m,
    const struct result *r)
{
	struct buf b = {0};
	int rc;

	if (!audit_enabled(a))
		return 0;
	if ((rc = record_begin(&b, a, action_name(r->verdict.action))) == 0 &&
	    (rc = message_fields(&b, e, m, r)) == 0)
		rc = append(a, &b);
	buf_free(&b);
	return rc;
}

static bool
action_word(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strncmp(s, "audit-", 6) == 0 ||
	    strlen(s) > 64)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return false;
	return true;
}

/* audit_action - the record of one review action */
int
audit_action(struct audit *a, const char *entry_id, const char *action,
    const char *reviewer, const char *reason, const char *detail_json)
{
	struct buf b = {0};
	int rc = 0;

	if (!action_word(action) ||
	    (detail_json &&
		(detail_json[0] != '{' || strpbrk(detail_json, "\r\n"))))
		return EXFIL_EINVAL;
	if (!audit_enabled(a))
		return 0;
	if ((rc = record_begin(&b, a, action)) < 0)
		goto out;
	rc |= buf_puts(
	    &b, ",\"event.category\":[\"email\"],\"event.type\":[\"change\"]");
	rc |= field(&b, "exfil.quarantine_id", entry_id);
	rc |= field(&b, "user.name", reviewer);
	rc |= field(&b, "event.reason", reason);
	if (detail_json) {
		rc |= buf_puts(&b, ",\"exfil.detail\":");
		rc |= buf_puts(&b, detail_json);
	}
	if (rc) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	rc = append(a, &b);
out:
	buf_free(&b);
	return rc;
}

/* ----------------------------------------------------------- verify */

/* the event.action of a line, or "" */
static void
line_action(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i;

	out[0] = '\0';
	if (n < ACTION_OFF || memcmp(p, HEAD, sizeof(HEAD) - 1) != 0 ||
	    memcmp(p + sizeof(HEAD) - 1 + TS_LEN, ACTION_KEY,
		sizeof(ACTION_KEY) - 1) != 0)
		return;
	for (i = 0;
	     ACTION_OFF + i < n && p[ACTION_OFF + i] != '"' && i + 1 < outlen;
	     i++)
		out[i] = p[ACTION_OFF + i];
	out[i] = '\0';
}

struct torn {
	unsigned long line; /* 0: none pending */
	long long off, len;
	char sha[AUDIT_MAC_HEX];
};

/* does the audit-recover record p account for the torn line t? */
static bool
recovers(const char *p, const struct torn *t)
{
	char want[256];

	snprintf(want, sizeof(want),
	    ",\"audit.torn_offset\":%lld,\"audit.torn_length\":%lld,"
	    "\"audit.torn_sha256\":\"%s\"" PREV_KEY,
	    t->off, t->len, t->sha);
	return strstr(p, want) != NULL;
}

/* audit_verify_from - check one file, continuing expect_prev if given */
int
audit_verify_from(const char *path, const unsigned char key[32],
    const char *expect_prev, char last_mac[AUDIT_MAC_HEX], FILE *out, char *err,
    size_t errlen)
{
	char prev[AUDIT_MAC_HEX], mac[AUDIT_MAC_HEX], want[AUDIT_MAC_HEX],
	    last[AUDIT_MAC_HEX] = "", first_prev[AUDIT_MAC_HEX] = "",
	    action[80];
	struct torn torn = {0};
	unsigned long lineno = 0, records = 0, recovered = 0;
	long long off = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EXFIL_EIO;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			snprintf(err, errlen,
			    "%s:%lu: torn record (no end of line): a crash "
			    "during a write, or the file was cut",
			    path, lineno);
			rc = EXFIL_EINVAL;
			goto out;
		}
		if (parse_tail(line, (size_t)n, prev, mac) < 0) {
			if (torn.line) {
				lineno = torn.line;
				goto bad_line;
			}
			/* torn, unless an audit-recover record follows */
			torn.line = lineno;
			torn.off = off;
			torn.len = n - 1;
			sha256_mem(line,
			    (size_t)(n - 1) > MAX_TORN ? MAX_TORN
						       : (size_t)(n - 1),
			    torn.sha);
			off += n;
			continue;
		}
		if ((rc = line_mac(key, line, (size_t)n - SUFFIX_LEN, want)) <
		    0)
			goto out;
		if (strcmp(want, mac) != 0) {
			snprintf(err, errlen,
			    "%s:%lu: record changed (its MAC does not match)",
			    path, lineno);
			rc = EXFIL_EINVAL;
			goto out;
		}
		line_action(line, (size_t)n, action, sizeof(action));
		if (torn.line) {
			if (strcmp(action, "audit-recover") != 0 ||
			    !recovers(line, &torn) ||
			    (records && strcmp(prev, last) != 0)) {
				lineno = torn.line;
				goto bad_line;
			}
			if (out)
				fprintf(out,
				    "%s:%lu: torn record of %lld bytes, "
				    "recovered by line %lu\n",
				    path, torn.line, torn.len, lineno);
			recovered++;
			torn.line = 0;
		} else if (records == 0) {
			if (strcmp(action, "audit-start") != 0) {
				snprintf(err, errlen,
				    "%s:%lu: the first record is not an "
				    "audit-start record (records before it "
				    "were "
				    "removed?)",
				    path, lineno);
				rc = EXFIL_EINVAL;
				goto out;
			}
		} else if (strcmp(prev, last) != 0) {
			snprintf(err, errlen,
			    "%s:%lu: chain broken: the record before this one "
			    "was removed, inserted or moved",
			    path, lineno);
			rc = EXFIL_EINVAL;
			goto out;
		}
		if (records == 0) {
			memcpy(first_prev, prev, sizeof(prev));
			if (expect_prev && strcmp(prev, expect_prev) != 0) {
				snprintf(err, errlen,
				    "%s:%lu: does not continue the previous "
				    "file (its last MAC is %.16s..., this "
				    "record names %.16s...)",
				    path, lineno, expect_prev, prev);
				rc = EXFIL_EINVAL;
				goto out;
			}
		}
		memcpy(last, mac, sizeof(mac));
		records++;
		off += n;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = EXFIL_EIO;
		goto out;
	}
	if (torn.line) {
		lineno = torn.line;
		goto bad_line;
	}
	if (last_mac)
		memcpy(last_mac, last, sizeof(last));
	if (out) {
		fprintf(out, "%s: %lu records, chain intact", path, records);
		if (recovered)
			fprintf(
			    out, ", %lu torn record(s) recovered", recovered);
		if (records)
			fprintf(out, "; continues %.16s..., last MAC %s",
			    first_prev, last);
		fputc('\n', out);
	}
	goto out;
bad_line:
	snprintf(err, errlen,
	    "%s:%lu: not an audit record (changed, or torn and not "
	    "recovered)",
	    path, lineno);
	rc = EXFIL_EINVAL;
out:
	free(line);
	fclose(fp);
	return rc;
}

/* audit_verify - is the chain of one file intact? */
int
audit_verify(const char *path, const unsigned char key[32], FILE *out,
    char *err, size_t errlen)
{
	return audit_verify_from(path, key, NULL, NULL, out, err, errlen);
}

/* audit_verify_main - the "verify" command of exfil-audit and of
 * exfil-quarantine audit-verify: its exit status */
int
audit_verify_main(const struct config *cfg, const char *conf_path,
    const char *key_path, char **files, int nfiles, int quiet, const char *prog)
{
	unsigned char key[KEYFILE_LEN];
	char err[1024], last[AUDIT_MAC_HEX] = "";
	int i, rc = 2, vrc;

	if (key_path == NULL)
		key_path = cfg->audit_key_file;
	if (key_path[0] == '\0') {
		fprintf(stderr,
		    "%s: no audit key (audit_key_file in %s, or -k)\n", prog,
		    conf_path);
		return 2;
	}
	if (keyfile_load(key_path, key, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	if (nfiles == 0 && cfg->audit_log[0] == '\0') {
		fprintf(stderr,
		    "%s: no log file given and no audit_log in %s\n", prog,
		    conf_path);
		goto out;
	}
	rc = 0;
	/* several files: oldest first, each continuing the one before */
	for (i = 0; rc == 0 && i < (nfiles ? nfiles : 1); i++) {
		const char *path = nfiles ? files[i] : cfg->audit_log;
		if ((vrc = audit_verify_from(path, key,
			 i > 0 && last[0] ? last : NULL, last,
			 quiet ? NULL : stdout, err, sizeof(err))) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = vrc == EXFIL_EINVAL ? 1 : 2;
		}
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
