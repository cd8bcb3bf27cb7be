/*
 * metrics.c - counters, histograms, the Prometheus page and its server
 * (see include/exfil/metrics.h)
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/message.h>
#include <exfil/metrics.h>
#include <exfil/report.h>
#include <exfil/rules.h>
#include <exfil/verdict.h>

#define NACTIONS (ACTION_TEMPFAIL + 1)
#define NFLAGS 16

/* scan time buckets, seconds */
static const double bounds[] = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define NBOUNDS EXFIL_ARRAY_LEN(bounds)

struct rule_count {
	char *rule;
	char *category;
	unsigned long long findings;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned long long messages[NACTIONS];
	unsigned long long errors;
	unsigned long long audit_errors;
	unsigned long long bytes; /* message bytes */
	unsigned long long text_bytes; /* text the rules ran over */
	unsigned long long limits[NFLAGS]; /* by MSG_F_* bit */
	unsigned long long buckets[NBOUNDS];
	unsigned long long scans;
	double scan_sum;
	struct rule_count *rules;
	size_t nrules;
} m_;

/* the counter of one rule, made when first seen (under the lock) */
static struct rule_count *
rule_count(const struct rule *r)
{
	struct rule_count *v;
	size_t i;

	for (i = 0; i < m_.nrules; i++)
		if (strcmp(m_.rules[i].rule, r->id) == 0 &&
		    strcmp(m_.rules[i].category, r->category) == 0)
			return &m_.rules[i];
	if ((v = realloc(m_.rules, (m_.nrules + 1) * sizeof(*v))) == NULL)
		return NULL;
	m_.rules = v;
	v = &m_.rules[m_.nrules];
	v->rule = strdup(r->id);
	v->category = strdup(r->category);
	v->findings = 0;
	if (v->rule == NULL || v->category == NULL) {
		free(v->rule);
		free(v->category);
		return NULL;
	}
	m_.nrules++;
	return v;
}

/* metrics_message - count one judged message */
void
metrics_message(const struct message *m, const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	const struct finding *f;
	struct rule_count *rc;
	double s = r->elapsed_ms / 1000.0;
	size_t i;

	pthread_mutex_lock(&lock);
	if ((unsigned)r->verdict.action < NACTIONS)
		m_.messages[r->verdict.action]++;
	m_.errors += r->error;
	m_.bytes += m->body_len;
	m_.text_bytes += r->scan.bytes;
	for (i = 0; i < NFLAGS; i++)
		if (m->flags & (MSG_F_UNSCANNABLE_MASK | MSG_F_TIMEOUT) &
		    (1u << i))
			m_.limits[i]++;
	for (i = 0; i < NBOUNDS; i++)
		if (s <= bounds[i])
			m_.buckets[i]++;
	m_.scans++;
	m_.scan_sum += s;
	for (i = 0; r->scanned && rs && i < rs->nrules; i++)
		if ((f = scan_finding(&r->scan, i)) != NULL &&
		    (rc = rule_count(&rs->rules[i])) != NULL)
			rc->findings++;
	pthread_mutex_unlock(&lock);
}

/* metrics_audit_error - count one audit record not written */
void
metrics_audit_error(void)
{
	pthread_mutex_lock(&lock);
	m_.audit_errors++;
	pthread_mutex_unlock(&lock);
}

/*
 * Messages (ID.eml, ID.eml.sealed) and bytes (every file) below a folder of
 * the quarantine (sharded YYYY/MM/DD), at most depth folders deep; dfd is
 * closed.
 */
static void
quarantine_walk(
    int dfd, int depth, unsigned long long *files, unsigned long long *bytes)
{
	struct dirent *de;
	struct stat st;
	size_t n;
	DIR *d;
	int fd;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0)
				quarantine_walk(fd, depth - 1, files, bytes);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		*bytes += (unsigned long long)st.st_size;
		n = strlen(de->d_name);
		if ((n > 4 && strcmp(de->d_name + n - 4, ".eml") == 0) ||
		    (n > 11 && strcmp(de->d_name + n - 11, ".eml.sealed") == 0))
			(*files)++;
	}
	closedir(d);
}

/* messages and bytes in the quarantine folder */
static void
quarantine_size(
    const char *dir, unsigned long long *files, unsigned long long *bytes)
{
	int fd;

	*files = *bytes = 0;
	if (dir && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		quarantine_walk(fd, 4, files, bytes);
}

/* a Prometheus label value: backslash, quote and newline escaped */
static int
label(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			rc |= buf_putc(b, '\\');
		rc |= *s == '\n' ? buf_puts(b, "\\n") : buf_putc(b, *s);
	}
	return rc;
}

static int
help(struct buf *b, const char *name, const char *type, const char *text)
{
	return buf_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* metrics_render - the Prometheus page */
int
metrics_render(struct buf *b, const char *quarantine_dir)
{
	unsigned long long qfiles, qbytes, n;
	struct buf flag = {0};
	size_t i, j;
	int rc = 0;

	quarantine_size(quarantine_dir, &qfiles, &qbytes);
	pthread_mutex_lock(&lock);
	rc |= help(b, "exfil_messages_total", "counter",
	    "Messages judged, by verdict.");
	for (i = 0; i < NACTIONS; i++)
		rc |=
		    buf_printf(b, "exfil_messages_total{action=\"%s\"} %llu\n",
			action_name((enum action)i), m_.messages[i]);
	rc |= help(b, "exfil_findings_total", "counter",
	    "Rules that fired, by rule and category.");
	for (i = 0; i < m_.nrules; i++) {
		rc |= buf_puts(b, "exfil_findings_total{rule=\"");
		rc |= label(b, m_.rules[i].rule);
		rc |= buf_puts(b, "\",category=\"");
		rc |= label(b, m_.rules[i].category);
		rc |= buf_printf(b, "\"} %llu\n", m_.rules[i].findings);
	}
	rc |= help(b, "exfil_findings_by_category_total", "counter",
	    "Rules that fired, by category.");
	for (i = 0; i < m_.nrules; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(m_.rules[j].category, m_.rules[i].category))
				break;
		if (j < i)
			continue;
		for (n = 0, j = i; j < m_.nrules; j++)
			if (!strcmp(m_.rules[j].category, m_.rules[i].category))
				n += m_.rules[j].findings;
		rc |=
		    buf_puts(b, "exfil_findings_by_category_total{category=\"");
		rc |= label(b, m_.rules[i].category);
		rc |= buf_printf(b, "\"} %llu\n", n);
	}
	rc |= help(
	    b, "exfil_scan_seconds", "histogram", "Time to scan one message.");
	for (i = 0; i < NBOUNDS; i++)
		rc |=
		    buf_printf(b, "exfil_scan_seconds_bucket{le=\"%g\"} %llu\n",
			bounds[i], m_.buckets[i]);
	rc |= buf_printf(b,
	    "exfil_scan_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "exfil_scan_seconds_sum %.6f\nexfil_scan_seconds_count %llu\n",
	    m_.scans, m_.scan_sum, m_.scans);
	rc |= help(b, "exfil_scanned_bytes_total", "counter",
	    "Message bytes received for scanning.");
	rc |= buf_printf(b, "exfil_scanned_bytes_total %llu\n", m_.bytes);
	rc |= help(b, "exfil_scanned_text_bytes_total", "counter",
	    "Bytes of text the rules ran over.");
	rc |= buf_printf(
	    b, "exfil_scanned_text_bytes_total %llu\n", m_.text_bytes);
	rc |= help(b, "exfil_errors_total", "counter",
	    "Messages whose scan failed internally.");
	rc |= buf_printf(b, "exfil_errors_total %llu\n", m_.errors);
	rc |= help(b, "exfil_audit_errors_total", "counter",
	    "Audit records that could not be written.");
	rc |= buf_printf(b, "exfil_audit_errors_total %llu\n", m_.audit_errors);
	rc |= help(b, "exfil_limits_total", "counter",
	    "Messages that hit a limit, by limit.");
	for (i = 0; i < NFLAGS; i++) {
		unsigned bit = 1u << i;
		if (!((MSG_F_UNSCANNABLE_MASK | MSG_F_TIMEOUT) & bit))
			continue;
		buf_reset(&flag);
		rc |= report_flags(&flag, bit, " ");
		rc |= buf_printf(b, "exfil_limits_total{limit=\"%s\"} %llu\n",
		    flag.p ? flag.p : "?", m_.limits[i]);
	}
	pthread_mutex_unlock(&lock);
	rc |= help(b, "exfil_quarantine_messages", "gauge",
	    "Messages stored in the quarantine folder.");
	rc |= buf_printf(b, "exfil_quarantine_messages %llu\n", qfiles);
	rc |= help(b, "exfil_quarantine_bytes", "gauge",
	    "Bytes stored in the quarantine folder.");
	rc |= buf_printf(b, "exfil_quarantine_bytes %llu\n", qbytes);
	buf_free(&flag);
	return rc ? EXFIL_ENOMEM : 0;
}

/* metrics_summary - the main figures on one line */
int
metrics_summary(struct buf *b)
{
	unsigned long long findings = 0, limits = 0;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < m_.nrules; i++)
		findings += m_.rules[i].findings;
	for (i = 0; i < NFLAGS; i++)
		limits += m_.limits[i];
	rc |= buf_puts(b, "metrics:");
	for (i = 0; i < NACTIONS; i++)
		rc |= buf_printf(
		    b, " %s=%llu", action_name((enum action)i), m_.messages[i]);
	rc |= buf_printf(b,
	    " findings=%llu errors=%llu audit_errors=%llu limits=%llu "
	    "bytes=%llu text_bytes=%llu scan_avg_ms=%.1f",
	    findings, m_.errors, m_.audit_errors, limits, m_.bytes,
	    m_.text_bytes, m_.scans ? 1000.0 * m_.scan_sum / m_.scans : 0.0);
	for (i = 0; i < m_.nrules; i++)
		rc |= buf_printf(
		    b, " rule:%s=%llu", m_.rules[i].rule, m_.rules[i].findings);
	pthread_mutex_unlock(&lock);
	return rc ? EXFIL_ENOMEM : 0;
}

/* ------------------------------------------------------------ server */

struct server {
	int fd;
	char *quarantine_dir;
};

/* one request: read the head, answer, close */
static void
serve_one(int c, const char *qdir)
{
	struct timeval tv = {2, 0};
	struct buf body = {0}, out = {0};
	char req[2048];
	size_t got = 0;
	ssize_t n;
	bool ok;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		if ((n = read(c, req + got, sizeof(req) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	ok = strncmp(req, "GET /metrics ", 13) == 0 ||
	    strncmp(req, "GET / ", 6) == 0;
	if (ok && metrics_render(&body, qdir) == 0)
		buf_printf(&out,
		    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		    "version=0.0.4\r\nContent-Length: %zu\r\nConnection: "
		    "close\r\n\r\n",
		    body.len);
	else
		buf_puts(&out,
		    "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
		    "Connection: close\r\n\r\nnot found: GET /metrics\n");
	if (out.len)
		exfil_write_all(c, out.p, out.len);
	if (ok && body.len)
		exfil_write_all(c, body.p, body.len);
	buf_free(&body);
	buf_free(&out);
}

static void *
serve(void *arg)
{
	struct server *s = arg;
	int c;

	for (;;) {
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			break;
		}
		serve_one(c, s->quarantine_dir);
		close(c);
	}
	return NULL;
}

/* metrics_serve - listen and answer in a thread of its own */
int
metrics_serve(const char *listen_spec, const char *quarantine_dir, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	struct server *s = NULL;
	unsigned salen;
	pthread_t tid;
	int one = 1, fd = -1, rc = EXFIL_EIO;

	if (config_parse_listen(listen_spec, &ss, &salen) < 0) {
		snprintf(
		    err, errlen, "metrics_listen %s: bad address", listen_spec);
		return EXFIL_EINVAL;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, salen) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "metrics_listen %s: %s", listen_spec,
		    strerror(errno));
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->quarantine_dir = strdup(quarantine_dir)) == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	s->fd = fd;
	if (pthread_create(&tid, NULL, serve, s) != 0) {
		snprintf(err, errlen, "metrics_listen: cannot start a thread");
		goto out;
	}
	pthread_detach(tid);
	s = NULL; /* owned by the thread now */
	fd = -1;
	rc = 0;
out:
	if (s)
		free(s->quarantine_dir);
	free(s);
	if (fd >= 0)
		close(fd);
	return rc;
}
