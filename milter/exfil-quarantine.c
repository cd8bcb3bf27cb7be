/*
 * exfil-quarantine.c - review the quarantine: list, show, release, delete,
 * purge, stats (see exfil-quarantine(8))
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <exfil/audit.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/keyfile.h>
#include <exfil/message.h>
#include <exfil/mime.h>
#include <exfil/qcrypt.h>
#include <exfil/qreview.h>
#include <exfil/quarantine.h>
#include <exfil/release.h>
#include <exfil/submit.h>

#define PROG "exfil-quarantine"

struct opts {
	struct config *cfg;
	const char *conf_path;
	struct audit *audit;
	const char *qdir;
	EVP_PKEY *keys[8]; /* quarantine_private_key: newest first */
	size_t nkeys;
	bool json, message, force, dry_run;
	int part; /* show --part N (1-based), 0: none */
	const char *reviewer, *reason;
	char **to;
	size_t nto;
	const char *sender, *recipient, *category, *rule, *status;
	time_t since, until;
	long older_than; /* days, -1: retention */
	unsigned long count;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: " PROG " [-c FILE] [-d DIR] [-k KEY] COMMAND ...\n"
	    "  list [--json] [--sender A] [--recipient A] [--category C]\n"
	    "       [--rule R] [--status S] [--since DATE] [--until DATE]\n"
	    "  show ID [--json] [--message | --part N]\n"
	    "  release ID [--to ADDR]... [--reason TEXT] [--force]\n"
	    "  delete ID [--reason TEXT]\n"
	    "  purge [--older-than DAYS] [--dry-run]\n"
	    "  stats [--json]\n"
	    "  audit-verify [LOGFILE]...   (-k: the audit key)\n"
	    "Options: -c configuration (default " EXFIL_SYSCONFDIR
	    "/exfil-milter/exfil-milter.conf),\n"
	    "  -d quarantine folder, -k private key, --reviewer NAME.\n");
}

static int fail(const char *fmt, ...) EXFIL_PRINTF(1, 2);

/* a one-line error; 1, the exit status of a failed command */
static int
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* DATE as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC */
static int
parse_date(const char *s, bool end, time_t *out)
{
	struct tm tm = {0};
	const char *p;

	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL || *p) {
		memset(&tm, 0, sizeof(tm));
		if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL || *p)
			return -1;
		if (end) {
			tm.tm_hour = 23;
			tm.tm_min = 59;
			tm.tm_sec = 59;
		}
	}
	*out = timegm(&tm);
	return 0;
}

/* --- who acts, and as whom ---------------------------------------- */

static char reviewer_name[256];

static void
find_reviewer(struct opts *o)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;

	if (o->reviewer)
		snprintf(
		    reviewer_name, sizeof(reviewer_name), "%s", o->reviewer);
	else if (sudo && *sudo)
		snprintf(reviewer_name, sizeof(reviewer_name), "%s", sudo);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(
		    reviewer_name, sizeof(reviewer_name), "%s", pw->pw_name);
	else
		snprintf(reviewer_name, sizeof(reviewer_name), "uid %u",
		    (unsigned)getuid());
}

/* run as root: become the owner of the quarantine folder */
static int
become_owner(const char *qdir)
{
	struct stat st;
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (stat(qdir, &st) < 0)
		return fail("%s: %s", qdir, strerror(errno));
	if (st.st_uid == 0)
		return 0;
	pw = getpwuid(st.st_uid);
	if ((pw ? initgroups(pw->pw_name, st.st_gid)
		: setgroups(1, &st.st_gid)) < 0 ||
	    setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
		return fail(
		    "cannot become the owner of %s: %s", qdir, strerror(errno));
	return 0;
}

/* one audit record of a review action (none without audit_log) */
static void
audit_step(
    struct opts *o, const char *id, const char *action, json_object *detail)
{
	const char *d = detail
	    ? json_object_to_json_string_ext(detail,
		  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
	    : NULL;

	if (o->audit &&
	    audit_action(o->audit, id, action, reviewer_name, o->reason, d) < 0)
		fprintf(stderr,
		    PROG ": warning: %s: the audit log %s could "
			 "not be written: %s\n",
		    id, audit_path(o->audit), strerror(errno));
	json_object_put(detail);
}

/* --- list ------------------------------------------------------------- */

/* does a JSON array of strings (or objects' key) hold want? */
static bool
array_has(json_object *arr, const char *key, const char *want, bool icase)
{
	size_t i, n;
	json_object *v, *k;
	const char *s;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return false;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (key && json_object_object_get_ex(v, key, &k))
			v = k;
		if ((s = json_object_get_string(v)) == NULL)
			continue;
		if (icase ? strcasecmp(s, want) == 0 : strcmp(s, want) == 0)
			return true;
	}
	return false;
}

static json_object *
member(json_object *o, const char *path1, const char *path2)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, path1, &v))
		return NULL;
	if (path2 && !json_object_object_get_ex(v, path2, &v))
		return NULL;
	return v;
}

/* the distinct categories (or rules) of an entry's findings, joined */
static void
findings_list(const struct qentry *q, const char *key, struct buf *out)
{
	json_object *m = member(q->meta, "scan", "matches"), *v;
	size_t i, n = m ? json_object_array_length(m) : 0;
	const char *s;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(m, i);
		if (!json_object_object_get_ex(v, key, &v) ||
		    (s = json_object_get_string(v)) == NULL)
			continue;
		if (out->len && (strstr(out->p, s) != NULL))
			continue;
		buf_printf(out, "%s%s", out->len ? "," : "", s);
	}
}

static bool
matches_filters(const struct opts *o, const struct qentry *q)
{
	json_object *m = member(q->meta, "scan", "matches");

	if (o->status && strcmp(qreview_str(q, "status"), o->status) != 0)
		return false;
	if (o->sender && strcasecmp(qreview_str(q, "sender"), o->sender) != 0)
		return false;
	if (o->recipient &&
	    !array_has(
		member(q->meta, "recipients", NULL), NULL, o->recipient, true))
		return false;
	if (o->category && !array_has(m, "category", o->category, false))
		return false;
	if (o->rule && !array_has(m, "rule", o->rule, false))
		return false;
	return true;
}

static int
list_one(struct qentry *q, void *arg)
{
	struct opts *o = arg;
	struct buf cats = {0}, rules = {0};
	json_object *out, *v;
	size_t i, n;

	if (!matches_filters(o, q))
		return 0;
	o->count++;
	findings_list(q, "category", &cats);
	findings_list(q, "rule", &rules);
	if (o->json) {
		out = json_object_new_object();
		json_object_object_add(
		    out, "id", json_object_new_string(q->id));
		json_object_object_add(out, "time",
		    json_object_new_string(qreview_str(q, "time")));
		json_object_object_add(out, "status",
		    json_object_new_string(qreview_str(q, "status")));
		json_object_object_add(out, "sender",
		    json_object_new_string(qreview_str(q, "sender")));
		if ((v = member(q->meta, "recipients", NULL)) != NULL)
			json_object_object_add(
			    out, "recipients", json_object_get(v));
		json_object_object_add(out, "subject",
		    json_object_new_string(qreview_str(q, "subject")));
		for (int k = 0; k < 2; k++) {
			struct buf *b = k ? &rules : &cats;
			json_object *a = json_object_new_array();
			char *s, *save = NULL;
			for (s = b->p ? strtok_r(b->p, ",", &save) : NULL; s;
			     s = strtok_r(NULL, ",", &save))
				json_object_array_add(
				    a, json_object_new_string(s));
			json_object_object_add(
			    out, k ? "rules" : "categories", a);
		}
		if ((v = member(q->meta, "scan", "score")) != NULL)
			json_object_object_add(
			    out, "score", json_object_get(v));
		if ((v = member(q->meta, "size", NULL)) != NULL)
			json_object_object_add(out, "size", json_object_get(v));
		if ((v = member(q->meta, "encrypted", NULL)) != NULL)
			json_object_object_add(
			    out, "encrypted", json_object_get(v));
		puts(json_object_to_json_string_ext(out,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	} else {
		printf("%s  %s  %-8s %s ->", q->id, qreview_str(q, "time"),
		    qreview_str(q, "status"),
		    *qreview_str(q, "sender") ? qreview_str(q, "sender")
					      : "<>");
		v = member(q->meta, "recipients", NULL);
		n = v ? json_object_array_length(v) : 0;
		for (i = 0; i < n; i++)
			printf("%s%s", i ? "," : " ",
			    json_object_get_string(
				json_object_array_get_idx(v, i)));
		printf("  [%s]  %s\n", cats.p ? cats.p : "-",
		    qreview_str(q, "subject"));
	}
	buf_free(&cats);
	buf_free(&rules);
	return 0;
}

static int
cmd_list(struct opts *o)
{
	if (qreview_walk(o->qdir, o->since, o->until, list_one, o) != 0)
		return 2;
	if (!o->json)
		fprintf(stderr, "%lu entr%s\n", o->count,
		    o->count == 1 ? "y" : "ies");
	return 0;
}

/* --- show ------------------------------------------------------------- */

struct part_pick {
	int want, seen;
	const struct mime_part *found;
	struct buf *out;
};

static int
pick_part(const struct mime_part *p, void *arg)
{
	struct part_pick *pp = arg;

	if (p->kind != MIME_LEAF || ++pp->seen != pp->want)
		return 0;
	fprintf(stderr, "part %d: %s (%s, %zu bytes)\n", pp->seen, p->where,
	    p->content_type ? p->content_type : "text/plain", p->len);
	return buf_append(pp->out, p->data, p->len) < 0 ? EXFIL_ENOMEM : 1;
}

static void
print_meta(const struct qentry *q)
{
	json_object *v, *m, *a;
	size_t i, n, j;

	printf("Id:          %s\n", q->id);
	printf("Time:        %s\n", qreview_str(q, "time"));
	printf("Status:      %s\n", qreview_str(q, "status"));
	printf("Queue id:    %s\n", qreview_str(q, "queue_id"));
	printf("Client:      %s\n", qreview_str(q, "client_addr"));
	printf("Auth user:   %s\n", qreview_str(q, "auth_user"));
	printf("Sender:      %s\n", qreview_str(q, "sender"));
	v = member(q->meta, "recipients", NULL);
	n = v ? json_object_array_length(v) : 0;
	for (i = 0; i < n; i++)
		printf("%s%s\n", i ? "             " : "Recipients:  ",
		    json_object_get_string(json_object_array_get_idx(v, i)));
	printf("Subject:     %s\n", qreview_str(q, "subject"));
	printf("Size:        %s bytes%s\n",
	    json_object_get_string(member(q->meta, "size", NULL)),
	    json_object_get_boolean(member(q->meta, "encrypted", NULL))
		? ", encrypted"
		: "");
	printf("Verdict:     %s, score %s\n",
	    json_object_get_string(member(q->meta, "scan", "action")),
	    json_object_get_string(member(q->meta, "scan", "score")));
	m = member(q->meta, "scan", "matches");
	n = m ? json_object_array_length(m) : 0;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(m, i);
		printf("Finding:     %s (%s) x%s in %s:",
		    json_object_get_string(member(v, "rule", NULL)),
		    json_object_get_string(member(v, "category", NULL)),
		    json_object_get_string(member(v, "count", NULL)),
		    json_object_get_string(member(v, "where", NULL)));
		a = member(v, "evidence", NULL);
		for (j = 0; a && j < json_object_array_length(a); j++)
			printf(" %s",
			    json_object_get_string(
				json_object_array_get_idx(a, j)));
		putchar('\n');
	}
	m = member(q->meta, "scan", "parts");
	n = m ? json_object_array_length(m) : 0;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(m, i);
		printf("Part %-3zu     %s %s %s bytes sha256 %s\n", i + 1,
		    json_object_get_string(member(v, "where", NULL)),
		    json_object_get_string(member(v, "type", NULL)),
		    json_object_get_string(member(v, "size", NULL)),
		    json_object_get_string(member(v, "sha256", NULL)));
	}
	m = member(q->meta, "history", NULL);
	n = m ? json_object_array_length(m) : 0;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(m, i);
		printf("History:     %s %s by %s",
		    json_object_get_string(member(v, "time", NULL)),
		    json_object_get_string(member(v, "action", NULL)),
		    json_object_get_string(member(v, "by", NULL)));
		if (member(v, "reason", NULL))
			printf(": %s",
			    json_object_get_string(member(v, "reason", NULL)));
		if (member(v, "detail", NULL))
			printf(" (%s)",
			    json_object_get_string(member(v, "detail", NULL)));
		putchar('\n');
	}
}

static int
cmd_show(struct opts *o, const char *id)
{
	struct qentry q;
	struct buf msg = {0}, part = {0};
	struct message *m = NULL;
	char err[1024];
	int rc = 1;

	if (qreview_load(o->qdir, id, &q, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (o->message || o->part) {
		if (qreview_message(o->qdir, &q, o->keys, o->nkeys, &msg, err,
			sizeof(err)) < 0) {
			fail("%s", err);
			goto out;
		}
		audit_step(
		    o, q.id, o->message ? "show-message" : "show-part", NULL);
		if (o->message) {
			fwrite(msg.p, 1, msg.len, stdout);
		} else {
			struct mime_limits lim = {o->cfg->max_mime_depth,
			    o->cfg->max_mime_parts, o->cfg->max_decoded_bytes,
			    0, 0, 0, 0};
			struct part_pick pp = {o->part, 0, NULL, &part};
			if ((m = message_new(o->cfg->spool_memory_limit,
				 o->cfg->spool_dir)) == NULL ||
			    message_parse(m, msg.p, msg.len) < 0 ||
			    mime_walk(m, &lim, pick_part, &pp) < 0) {
				fail("%s: cannot read the message", id);
				goto out;
			}
			if (pp.seen < o->part) {
				fprintf(stderr,
				    PROG ": %s has %d parts, not %d\n", id,
				    pp.seen, o->part);
				goto out;
			}
			fwrite(part.p, 1, part.len, stdout);
		}
	} else if (o->json) {
		puts(json_object_to_json_string_ext(q.meta,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_meta(&q);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (msg.p)
		OPENSSL_cleanse(msg.p, msg.len);
	buf_free(&msg);
	buf_free(&part);
	message_free(m);
	qreview_free(&q);
	return rc;
}

/* --- release ------------------------------------------------------------ */

/* add a header line in front of the message */
static int
prepend_header(struct buf *msg, const char *name, const char *value)
{
	struct buf n = {0};
	int rc = buf_printf(&n, "%s: %s\r\n", name, value);

	if (rc == 0)
		rc = buf_append(&n, msg->p, msg->len);
	if (rc == 0) {
		OPENSSL_cleanse(msg->p, msg->len);
		buf_free(msg);
		*msg = n;
	} else
		buf_free(&n);
	return rc;
}

static bool
has_header(struct message *m, const char *name)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return true;
	return false;
}

/*
 * Give the message the headers an MTA would add on a local submission
 * (Date, Message-ID), so that what arrives is what the token covers.
 */
static int
complete_headers(struct opts *o, struct buf *msg, const char *id)
{
	struct message *m = message_new(o->cfg->spool_memory_limit, NULL);
	char value[256];
	time_t now = time(NULL);
	struct tm tm;
	int rc = EXFIL_ENOMEM;

	if (m == NULL || message_parse(m, msg->p, msg->len) < 0)
		goto out;
	rc = 0;
	if (!has_header(m, "Message-ID")) {
		snprintf(
		    value, sizeof(value), "<%s.released@exfil-milter>", id);
		rc = prepend_header(msg, "Message-ID", value);
	}
	if (rc == 0 && !has_header(m, "Date")) {
		gmtime_r(&now, &tm);
		strftime(
		    value, sizeof(value), "%a, %d %b %Y %H:%M:%S +0000", &tm);
		rc = prepend_header(msg, "Date", value);
	}
out:
	message_free(m);
	return rc;
}

static int
cmd_release(struct opts *o, const char *id)
{
	struct qentry q;
	struct buf msg = {0}, detail = {0};
	struct message *m = NULL;
	unsigned char key[KEYFILE_LEN];
	char err[1024], token[256], hname[128], **rcpts = NULL;
	const char *sender;
	json_object *rv;
	size_t n, i;
	int rc = 1;

	if (qreview_lock(o->qdir, err, sizeof(err)) < 0 ||
	    qreview_load(o->qdir, id, &q, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (strcmp(qreview_str(&q, "status"), "held") != 0 && !o->force) {
		fail("%s: status is %s, not held (--force to release again)",
		    q.id, qreview_str(&q, "status"));
		goto out;
	}
	if (qreview_message(
		o->qdir, &q, o->keys, o->nkeys, &msg, err, sizeof(err)) < 0) {
		fail("%s", err);
		goto out;
	}
	if (o->nto) {
		rcpts = o->to;
		n = o->nto;
	} else {
		rv = member(q.meta, "recipients", NULL);
		n = rv ? json_object_array_length(rv) : 0;
		if ((rcpts = calloc(n + 1, sizeof(*rcpts))) == NULL)
			goto out;
		for (i = 0; i < n; i++)
			rcpts[i] = (char *)json_object_get_string(
			    json_object_array_get_idx(rv, i));
	}
	if (n == 0) {
		fail("%s: no recipients (use --to)", q.id);
		goto out;
	}
	if (complete_headers(o, &msg, q.id) < 0) {
		fail("%s: cannot read the message", q.id);
		goto out;
	}
	if (o->cfg->release_secret_file[0]) {
		if (keyfile_load(o->cfg->release_secret_file, key, err,
			sizeof(err)) < 0) {
			fail("%s", err);
			goto out;
		}
		if ((m = message_new(o->cfg->spool_memory_limit, NULL)) ==
			NULL ||
		    message_parse(m, msg.p, msg.len) < 0 ||
		    release_token(key, m, rcpts, n,
			time(NULL) + o->cfg->release_token_lifetime, token,
			sizeof(token)) < 0) {
			OPENSSL_cleanse(key, sizeof(key));
			fail("%s: cannot make a release token", q.id);
			goto out;
		}
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(hname, sizeof(hname), "%s-%s", o->cfg->header_prefix,
		    RELEASE_HEADER_SUFFIX);
		if (prepend_header(&msg, hname, token) < 0)
			goto out;
	}
	sender = qreview_str(&q, "sender");
	if (submit_message(o->cfg->release_via, sender, rcpts, n, msg.p,
		msg.len, err, sizeof(err)) < 0) {
		fail("%s: not released: %s", q.id, err);
		goto out;
	}
	buf_printf(&detail, "to");
	for (i = 0; i < n; i++)
		buf_printf(&detail, "%s%s", i ? ", " : " ", rcpts[i]);
	buf_printf(&detail, " via %s%s", o->cfg->release_via,
	    o->cfg->release_secret_file[0] ? " with a release token" : "");
	if (qreview_record(o->qdir, &q, "released", "release", reviewer_name,
		o->reason, detail.p) < 0) {
		fail("%s: released, but the history could not be written: %s",
		    q.id, strerror(errno));
		goto out;
	}
	{
		json_object *d = json_object_new_object(), *to;
		to = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(
			    to, json_object_new_string(rcpts[i]));
		json_object_object_add(d, "to", to);
		json_object_object_add(
		    d, "via", json_object_new_string(o->cfg->release_via));
		json_object_object_add(d, "token",
		    json_object_new_boolean(o->cfg->release_secret_file[0]));
		audit_step(o, q.id, "release", d);
	}
	printf("%s: released %s\n", q.id, detail.p);
	rc = 0;
out:
	if (rcpts != o->to)
		free(rcpts);
	if (msg.p)
		OPENSSL_cleanse(msg.p, msg.len);
	buf_free(&msg);
	buf_free(&detail);
	message_free(m);
	qreview_free(&q);
	return rc;
}

/* --- delete, purge ---------------------------------------------------- */

static int
cmd_delete(struct opts *o, const char *id)
{
	struct qentry q;
	char err[1024];
	int rc = 1;

	if (qreview_lock(o->qdir, err, sizeof(err)) < 0 ||
	    qreview_load(o->qdir, id, &q, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (strcmp(qreview_str(&q, "status"), "deleted") == 0) {
		fail("%s: already deleted", q.id);
		goto out;
	}
	if (qreview_remove_message(o->qdir, &q) < 0 ||
	    qreview_record(o->qdir, &q, "deleted", "delete", reviewer_name,
		o->reason, "message removed, record kept until purge") < 0) {
		fail("%s: %s", q.id, strerror(errno));
		goto out;
	}
	audit_step(o, q.id, "delete", NULL);
	printf("%s: deleted\n", q.id);
	rc = 0;
out:
	qreview_free(&q);
	return rc;
}

static int
purge_one(struct qentry *q, void *arg)
{
	struct opts *o = arg;

	if (!o->dry_run && qreview_remove(o->qdir, q) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", q->id, strerror(errno));
		return 0;
	}
	if (!o->dry_run)
		audit_step(o, q->id, "purge", NULL);
	printf("%s: %s\n", q->id, o->dry_run ? "would be purged" : "purged");
	o->count++;
	return 0;
}

static int
cmd_purge(struct opts *o)
{
	long days = o->older_than >= 0
	    ? o->older_than
	    : (long)o->cfg->quarantine_retention_days;
	char err[1024];
	int tokens, sweep;

	if (o->older_than < 0 && days == 0) {
		fprintf(stderr,
		    PROG ": quarantine_retention_days is 0: "
			 "nothing is purged (use --older-than)\n");
		return 0;
	}
	if (!o->dry_run && qreview_lock(o->qdir, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (qreview_walk(
		o->qdir, 0, time(NULL) - days * 86400 - 1, purge_one, o) != 0)
		return 2;
	tokens = o->dry_run ? 0 : release_purge_used(o->qdir, time(NULL));
	/* leftovers of interrupted writes, once an hour old (no write
	 * takes that long): whatever the retention */
	sweep = qreview_sweep(o->qdir, time(NULL) - 3600, o->dry_run);
	if (sweep > 0)
		fprintf(stderr, "%d file%s of interrupted writes %sremoved\n",
		    sweep, sweep == 1 ? "" : "s",
		    o->dry_run ? "would be " : "");
	fprintf(stderr,
	    "%lu entr%s older than %ld days %spurged; %d used "
	    "release token%s forgotten\n",
	    o->count, o->count == 1 ? "y" : "ies", days,
	    o->dry_run ? "would be " : "", tokens > 0 ? tokens : 0,
	    tokens == 1 ? "" : "s");
	return 0;
}

/* --- stats ------------------------------------------------------------ */

struct stats {
	json_object *status, *category;
	unsigned long entries;
	unsigned long long bytes;
	char oldest[32], newest[32];
};

static void
bump(json_object *o, const char *key)
{
	json_object *v;
	int64_t n = 0;

	if (json_object_object_get_ex(o, key, &v))
		n = json_object_get_int64(v);
	json_object_object_add(o, key, json_object_new_int64(n + 1));
}

static int
stats_one(struct qentry *q, void *arg)
{
	struct stats *s = arg;
	struct buf cats = {0};
	char *c, *save = NULL;

	s->entries++;
	s->bytes += (unsigned long long)json_object_get_int64(
	    member(q->meta, "size", NULL));
	bump(s->status, qreview_str(q, "status"));
	findings_list(q, "category", &cats);
	for (c = cats.p ? strtok_r(cats.p, ",", &save) : NULL; c;
	     c = strtok_r(NULL, ",", &save))
		bump(s->category, c);
	buf_free(&cats);
	if (!s->oldest[0])
		snprintf(
		    s->oldest, sizeof(s->oldest), "%s", qreview_str(q, "time"));
	snprintf(s->newest, sizeof(s->newest), "%s", qreview_str(q, "time"));
	return 0;
}

static int
cmd_stats(struct opts *o)
{
	struct stats s = {
	    json_object_new_object(), json_object_new_object(), 0, 0, "", ""};
	json_object *out = json_object_new_object();
	struct statvfs sv;

	if (qreview_walk(o->qdir, 0, 0, stats_one, &s) != 0)
		return 2;
	json_object_object_add(
	    out, "entries", json_object_new_int64((int64_t)s.entries));
	json_object_object_add(
	    out, "bytes", json_object_new_int64((int64_t)s.bytes));
	json_object_object_add(out, "by_status", s.status);
	json_object_object_add(out, "by_category", s.category);
	json_object_object_add(out, "oldest", json_object_new_string(s.oldest));
	json_object_object_add(out, "newest", json_object_new_string(s.newest));
	if (statvfs(o->qdir, &sv) == 0 && sv.f_blocks)
		json_object_object_add(out, "free_percent",
		    json_object_new_int64(
			(int64_t)(sv.f_bavail * 100 / sv.f_blocks)));
	if (o->json)
		puts(json_object_to_json_string_ext(out,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		puts(json_object_to_json_string_ext(out,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	return 0;
}

/*
 * The private keys: a list (commas or blanks), the current key and the
 * ones rotated out. One that cannot be read matters only for the
 * entries encrypted to it: a warning.
 */
static void
load_keys(struct opts *o, const char *list)
{
	char *copy = strdup(list), *k, *save = NULL, err[1024];

	for (k = copy ? strtok_r(copy, ", \t", &save) : NULL;
	     k && o->nkeys < sizeof(o->keys) / sizeof(o->keys[0]);
	     k = strtok_r(NULL, ", \t", &save)) {
		if (qcrypt_load_key(
			k, true, &o->keys[o->nkeys], err, sizeof(err)) < 0)
			fprintf(stderr, PROG ": warning: %s\n", err);
		else
			o->nkeys++;
	}
	free(copy);
}

/* --- main ------------------------------------------------------------- */

enum {
	OPT_JSON = 256,
	OPT_MESSAGE,
	OPT_PART,
	OPT_REVIEWER,
	OPT_REASON,
	OPT_TO,
	OPT_SENDER,
	OPT_RECIPIENT,
	OPT_CATEGORY,
	OPT_RULE,
	OPT_STATUS,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_OLDER,
	OPT_FORCE,
	OPT_DRY,
};

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"message", no_argument, NULL, OPT_MESSAGE},
    {"part", required_argument, NULL, OPT_PART},
    {"reviewer", required_argument, NULL, OPT_REVIEWER},
    {"reason", required_argument, NULL, OPT_REASON},
    {"to", required_argument, NULL, OPT_TO},
    {"sender", required_argument, NULL, OPT_SENDER},
    {"recipient", required_argument, NULL, OPT_RECIPIENT},
    {"category", required_argument, NULL, OPT_CATEGORY},
    {"rule", required_argument, NULL, OPT_RULE},
    {"status", required_argument, NULL, OPT_STATUS},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"older-than", required_argument, NULL, OPT_OLDER},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
	struct opts o;
	const char *conf = EXFIL_SYSCONFDIR "/exfil-milter/exfil-milter.conf";
	const char *dir = NULL, *keypath = NULL, *cmd, *id;
	char err[1024];
	char *end;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.older_than = -1;
	while ((c = getopt_long(argc, argv, "c:d:k:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_MESSAGE:
			o.message = true;
			break;
		case OPT_PART:
			o.part = (int)strtol(optarg, &end, 10);
			if (*end || o.part < 1)
				return fail("--part %s: a part number from 1",
					   optarg) +
				    1;
			break;
		case OPT_REVIEWER:
			o.reviewer = optarg;
			break;
		case OPT_REASON:
			o.reason = optarg;
			break;
		case OPT_TO: {
			char **nv = realloc(o.to, (o.nto + 1) * sizeof(*nv));
			if (nv == NULL)
				return 2;
			o.to = nv;
			o.to[o.nto++] = optarg;
			break;
		}
		case OPT_SENDER:
			o.sender = optarg;
			break;
		case OPT_RECIPIENT:
			o.recipient = optarg;
			break;
		case OPT_CATEGORY:
			o.category = optarg;
			break;
		case OPT_RULE:
			o.rule = optarg;
			break;
		case OPT_STATUS:
			o.status = optarg;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (parse_date(optarg, c == OPT_UNTIL,
				c == OPT_SINCE ? &o.since : &o.until) < 0)
				return fail("%s: a date is YYYY-MM-DD or "
					    "YYYY-MM-DDTHH:MM:SS (UTC)",
					   optarg) +
				    1;
			break;
		case OPT_OLDER:
			o.older_than = strtol(optarg, &end, 10);
			if (*end || o.older_than < 0)
				return fail("--older-than %s: a number of days",
					   optarg) +
				    1;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_DRY:
			o.dry_run = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	id = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (config_load(conf, &o.cfg, err, sizeof(err)) < 0)
		return fail("%s", err) + 1;
	o.qdir = dir ? dir : o.cfg->quarantine_dir;
	o.conf_path = conf;
	if (strcmp(cmd, "audit-verify") == 0) {
		rc = audit_verify_main(o.cfg, conf, keypath, argv + optind + 1,
		    argc - optind - 1, 0, PROG);
		config_unref(o.cfg);
		return rc;
	}
	find_reviewer(&o);
	/* keys are read with our own rights, before becoming the owner */
	if (!keypath && o.cfg->quarantine_private_key[0])
		keypath = o.cfg->quarantine_private_key;
	if (keypath &&
	    (strcmp(cmd, "show") == 0 || strcmp(cmd, "release") == 0))
		load_keys(&o, keypath);
	if (become_owner(o.qdir) != 0)
		return 2;
	if ((strcmp(cmd, "release") == 0 || strcmp(cmd, "delete") == 0 ||
		strcmp(cmd, "purge") == 0 || strcmp(cmd, "show") == 0) &&
	    audit_open(o.cfg, &o.audit, err, sizeof(err)) < 0) {
		fail("%s", err);
		return 2;
	}
	if ((strcmp(cmd, "show") == 0 || strcmp(cmd, "release") == 0 ||
		strcmp(cmd, "delete") == 0) &&
	    id == NULL) {
		fail("%s: which entry? (an id from \"list\")", cmd);
		return 2;
	}
	if (strcmp(cmd, "list") == 0)
		rc = cmd_list(&o);
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(&o, id);
	else if (strcmp(cmd, "release") == 0)
		rc = cmd_release(&o, id);
	else if (strcmp(cmd, "delete") == 0)
		rc = cmd_delete(&o, id);
	else if (strcmp(cmd, "purge") == 0)
		rc = cmd_purge(&o);
	else if (strcmp(cmd, "stats") == 0)
		rc = cmd_stats(&o);
	else {
		fail("%s: unknown command", cmd);
		usage(stderr);
		rc = 2;
	}
	audit_close(o.audit);
	while (o.nkeys)
		EVP_PKEY_free(o.keys[--o.nkeys]);
	free(o.to);
	config_unref(o.cfg);
	return rc;
}
