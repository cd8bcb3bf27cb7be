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
#include <exfil/submit.h>

extern char **environ;

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
		char *to = (char *)m->sender, err[1024];
		rc = submit_message(cfg->notify_via, from ? from : "", &to, 1,
		    msg.p, msg.len, err, sizeof(err));
		if (rc < 0)
			log_msg(m->qid, LOG_ERR, "notify: %s", err);
	}
	if (rc == 0)
		log_msg(
		    m->qid, LOG_INFO, "notified the sender (ref %s)", r->ref);
	buf_free(&msg);
	return rc < 0 ? EXFIL_EIO : 0;
}
