/*
 * notify.c - tell the sender that a message was held or rejected
 * (see include/exfil/notify.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/charset.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/decode.h>
#include <exfil/engine.h>
#include <exfil/log.h>
#include <exfil/message.h>
#include <exfil/notify.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

extern char **environ;

#define NOTIFY_TIMEOUT_MS 20000

static const char default_template[] =
    "Subject: Your message was %ACTION% (ref %REF%)\n"
    "\n"
    "Your message\n"
    "\n"
    "  Subject:    %SUBJECT%\n"
    "  To:         %RECIPIENTS%\n"
    "  Date:       %DATE%\n"
    "\n"
    "was %ACTION% by the data-loss prevention gateway because it\n"
    "appears to contain: %CATEGORIES%.\n"
    "\n"
    "If it must be sent, ask your security team to review it, quoting\n"
    "the reference %REF%.\n";

/* notify_wanted - does this verdict call for a notice to this sender? */
bool
notify_wanted(const struct engine *e, const struct message *m,
    const struct result *r, bool split)
{
	const struct config *cfg = e->cfg;

	if (!cfg->notify_sender || m->sender == NULL || m->sender[0] == '\0')
		return false;
	if (!config_is_internal_address(cfg, m->sender))
		return false; /* never to the outside: no backscatter */
	return split || r->verdict.action == ACTION_QUARANTINE ||
	    r->verdict.action == ACTION_REJECT;
}

static const char *
action_words(const struct result *r, bool split)
{
	if (split)
		return "not delivered to its external recipients";
	return r->verdict.action == ACTION_REJECT ? "rejected" : "held";
}

/* one line: CR and LF (a folded or crafted value) become blanks */
static char *
one_line(struct arena *a, const char *s)
{
	char *t = arena_strdup(a, s ? s : ""), *p;

	for (p = t; p && *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return t;
}

/* the Subject as the notice may show it (engine_masked) */
static const char *
shown_subject(const struct engine *e, struct message *m)
{
	const char *subj = NULL;
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, "Subject") == 0) {
			subj = decode_header(m->arena, m->headers[i].value);
			break;
		}
	if (subj == NULL)
		return "(none)";
	subj =
	    engine_masked(e, m->arena, subj, "header:Subject", SCOPE_SUBJECT);
	return subj ? subj : "(unavailable)";
}

/* notify_build - the notice: headers and body */
int
notify_build(const struct engine *e, struct message *m, const struct result *r,
    bool split, struct buf *out)
{
	const struct ruleset *rs = r->scan.rs;
	const struct config *cfg = e->cfg;
	struct buf tmpl = {0}, cats = {0}, rcpts = {0};
	char date[64], chunk[4096];
	const char *t, *p, *q;
	struct tm tm;
	time_t now = time(NULL);
	size_t i, n;
	FILE *fp;
	int rc = 0;

	if (cfg->notify_template[0] &&
	    (fp = fopen(cfg->notify_template, "re")) != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			buf_append(&tmpl, chunk, n);
		fclose(fp);
	}
	t = tmpl.len ? tmpl.p : default_template;
	for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
		if (!scan_finding(&r->scan, i) || rs->rules[i].monitor ||
		    (cats.len && strstr(cats.p, rs->rules[i].category)))
			continue;
		buf_printf(
		    &cats, "%s%s", cats.len ? ", " : "", rs->rules[i].category);
	}
	if (cats.len == 0)
		buf_puts(&cats, "content that could not be checked");
	for (i = 0; i < m->nrcpts; i++)
		buf_printf(&rcpts, "%s%s", i ? ", " : "", m->rcpts[i].addr);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);

	rc |= buf_printf(out, "From: %s\r\nTo: <%s>\r\nDate: %s\r\n",
	    cfg->notify_from, m->sender, date);
	rc |= buf_puts(out,
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n");
	/* the template's own headers come next, then its body */
	for (p = t; *p; p = q) {
		q = p + strcspn(p, "%\n");
		rc |= buf_append(out, p, (size_t)(q - p));
		if (*q == '\n') {
			rc |= buf_append(out, "\r\n", 2);
			q++;
		} else if (*q == '%') {
			const char *end = strchr(q + 1, '%');
			const char *val = NULL;
			size_t k = end ? (size_t)(end - q - 1) : 0;
			if (end && k == 3 && !strncmp(q + 1, "REF", 3))
				val = r->ref;
			else if (end && k == 6 && !strncmp(q + 1, "ACTION", 6))
				val = action_words(r, split);
			else if (end && k == 10 &&
			    !strncmp(q + 1, "CATEGORIES", 10))
				val = cats.p;
			else if (end && k == 7 && !strncmp(q + 1, "SUBJECT", 7))
				val = shown_subject(e, m);
			else if (end && k == 10 &&
			    !strncmp(q + 1, "RECIPIENTS", 10))
				val = one_line(m->arena, rcpts.p);
			else if (end && k == 4 && !strncmp(q + 1, "DATE", 4))
				val = date;
			else if (end && k == 6 && !strncmp(q + 1, "SENDER", 6))
				val = one_line(m->arena, m->sender);
			if (val) {
				rc |= buf_puts(out, val);
				q = end + 1;
			} else {
				rc |= buf_putc(out, '%');
				q++;
			}
		}
	}
	buf_free(&tmpl);
	buf_free(&cats);
	buf_free(&rcpts);
	return rc ? EXFIL_ENOMEM : 0;
}

/* submit through the local sendmail command */
static int
via_sendmail(const char *path, const char *from, const char *to,
    const struct buf *msg, const char *qid)
{
	char *argv[] = {
	    "sendmail", "-i", "-f", (char *)from, "--", (char *)to, NULL};
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0) {
		log_msg(qid, LOG_ERR, "notify: cannot start %s: %s", path,
		    strerror(errno));
		close(fds[0]);
		close(fds[1]);
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (exfil_write_all(fds[1], msg->p, msg->len) == 0)
		rc = 0;
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_msg(qid, LOG_ERR, "notify: %s failed (status %d)", path, status);
	return -1;
}

/* read one SMTP reply (all its lines); its code, or -1 */
static int
smtp_reply(int fd)
{
	char buf[1024];
	size_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t r;
	char *line;

	for (;;) {
		if (poll(&p, 1, NOTIFY_TIMEOUT_MS) <= 0)
			return -1;
		if ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		/* the last line of a reply has a blank after the code */
		for (line = buf; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl == NULL)
				break;
			if (nl - line >= 4 && line[3] == ' ')
				return atoi(line);
			line = nl + 1;
		}
		if (n >= sizeof(buf) - 1)
			n = 0; /* a very long multi-line reply: keep reading */
	}
}

static int
smtp_cmd(int fd, const char *cmd, int want)
{
	if (cmd && exfil_write_all(fd, cmd, strlen(cmd)) < 0)
		return -1;
	return smtp_reply(fd) / 100 == want ? 0 : -1;
}

/* submit by SMTP to HOST:PORT */
static int
via_smtp(const char *hostport, const char *from, const char *to,
    const struct buf *msg, const char *qid)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], cmd[1024], *port;
	const char *p, *q;
	struct timeval tv = {NOTIFY_TIMEOUT_MS / 1000, 0};
	struct buf dot = {0};
	int fd = -1, rc = -1;

	snprintf(host, sizeof(host), "%s", hostport);
	if ((port = strrchr(host, ':')) == NULL)
		return -1;
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		goto out;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto out;
	/* bounded: connect and every read and write give up in time */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto out;
	/* dot-stuffing: a line that starts with '.' gets another */
	for (p = msg->p; p && *p; p = q) {
		q = strchr(p, '\n');
		q = q ? q + 1 : p + strlen(p);
		if (*p == '.')
			buf_putc(&dot, '.');
		buf_append(&dot, p, (size_t)(q - p));
	}
	buf_puts(&dot, ".\r\n");
	if (smtp_cmd(fd, NULL, 2) < 0 ||
	    smtp_cmd(fd, "HELO exfil-milter\r\n", 2) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", from);
	if (smtp_cmd(fd, cmd, 2) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", to);
	if (smtp_cmd(fd, cmd, 2) < 0 || smtp_cmd(fd, "DATA\r\n", 3) < 0 ||
	    smtp_cmd(fd, dot.p, 2) < 0)
		goto out;
	(void)smtp_cmd(fd, "QUIT\r\n", 2);
	rc = 0;
out:
	if (rc < 0)
		log_msg(qid, LOG_ERR, "notify: SMTP submission to %s failed",
		    hostport);
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	buf_free(&dot);
	return rc;
}

/* notify_sender - build the notice and submit it */
int
notify_sender(const struct engine *e, struct message *m, const struct result *r,
    bool split)
{
	const struct config *cfg = e->cfg;
	struct buf msg = {0};
	const char *from;
	int rc;

	if (!notify_wanted(e, m, r, split))
		return 0;
	from = message_addr_strip(m->arena, cfg->notify_from);
	if ((rc = notify_build(e, m, r, split, &msg)) == 0) {
		if (strncmp(cfg->notify_via, "smtp:", 5) == 0)
			rc = via_smtp(cfg->notify_via + 5, from ? from : "",
			    m->sender, &msg, m->qid);
		else
			rc = via_sendmail(cfg->notify_via + 9, from ? from : "",
			    m->sender, &msg, m->qid);
	}
	if (rc == 0)
		log_msg(
		    m->qid, LOG_INFO, "notified the sender (ref %s)", r->ref);
	buf_free(&msg);
	return rc < 0 ? EXFIL_EIO : 0;
}
