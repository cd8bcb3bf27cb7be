/*
 * callbacks.c - the mlfi_* functions and struct smfiDesc, nothing else
 * (see include/exfil/callbacks.h)
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <exfil/actions.h>
#include <exfil/audit.h>
#include <exfil/buf.h>
#include <exfil/callbacks.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/log.h>
#include <exfil/message.h>
#include <exfil/release.h>
#include <exfil/metrics.h>
#include <exfil/rules.h>

struct conn {
	char addr[INET6_ADDRSTRLEN];
	char *name;
	struct engine *engine; /* the one this message started with */
	struct message *m;
	int failed; /* the message could not be held: on_error */
};

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct engine *current;
static struct callbacks_stats stats;
static struct audit *audit_log;

/* callbacks_set_audit - the audit log of every message */
void
callbacks_set_audit(struct audit *a)
{
	audit_log = a;
}

/* callbacks_set_engine - swap in e (takes over the caller's reference) */
void
callbacks_set_engine(struct engine *e)
{
	struct engine *old;

	pthread_mutex_lock(&engine_lock);
	old = current;
	current = e;
	pthread_mutex_unlock(&engine_lock);
	engine_unref(old);
}

/* callbacks_engine - a reference to the current engine */
struct engine *
callbacks_engine(void)
{
	struct engine *e;

	pthread_mutex_lock(&engine_lock);
	e = current ? engine_ref(current) : NULL;
	pthread_mutex_unlock(&engine_lock);
	return e;
}

/* callbacks_stats - a copy of the counters */
void
callbacks_stats(struct callbacks_stats *out)
{
	pthread_mutex_lock(&engine_lock);
	*out = stats;
	pthread_mutex_unlock(&engine_lock);
}

static void
conn_reset(struct conn *c)
{
	message_free(c->m);
	c->m = NULL;
	engine_unref(c->engine);
	c->engine = NULL;
	c->failed = 0;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    c->addr, sizeof(c->addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    c->addr, sizeof(c->addr));
	c->name = host ? strdup(host) : NULL;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	conn_reset(c);
	if ((c->engine = callbacks_engine()) == NULL ||
	    (c->m = message_new(c->engine->cfg->spool_memory_limit,
		 c->engine->cfg->spool_dir)) == NULL) {
		log_msg(NULL, LOG_ERR, "out of memory at MAIL FROM");
		conn_reset(c);
		return SMFIS_TEMPFAIL;
	}
	if (message_set_envelope(c->m, smfi_getsymval(ctx, "i"),
		c->addr[0] ? c->addr : NULL, c->name,
		smfi_getsymval(ctx, "{auth_authen}")) < 0 ||
	    message_set_sender(c->m, argv[0] ? argv[0] : "") < 0)
		c->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *a = argv[0] ? argv[0] : "";

	if (c == NULL || c->m == NULL)
		return SMFIS_TEMPFAIL;
	if (message_add_rcpt(
		c->m, a, config_is_internal_address(c->engine->cfg, a)) < 0)
		c->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || c->m == NULL)
		return SMFIS_TEMPFAIL;
	if (message_add_header(c->m, name, value) < 0)
		c->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || c->m == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->failed && message_append_body(c->m, chunk, len) < 0) {
		log_msg(c->m->qid, LOG_ERR, "cannot hold the body in %s",
		    c->engine->cfg->spool_dir);
		c->failed = 1;
	}
	return SMFIS_CONTINUE;
}

/* one syslog line per message: queue id, action, score, categories */
static void
log_verdict(const struct engine *e, struct message *m, const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	struct buf cats = {0};
	size_t i;

	for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
		if (!scan_finding(&r->scan, i))
			continue;
		if (cats.len == 0 || !strstr(cats.p, rs->rules[i].category))
			buf_printf(&cats, "%s%s", cats.len ? "," : "",
			    rs->rules[i].category);
	}
	if (r->override) {
		/* the sender's words in quotes, masked when a rule fires on
		 * them: their own quotes and controls become blanks, so that
		 * the line parses */
		const char *shown = engine_masked(
		    e, m->arena, r->override, "header:Subject", SCOPE_ALL);
		char *just = strdup(shown ? shown : "(masked)"), *p;
		for (p = just; p && *p; p++)
			if (*p == '"' || (unsigned char)*p < 0x20)
				*p = ' ';
		log_msg(m->qid, LOG_NOTICE, "override asked by %s, %s: \"%s\"",
		    m->sender ? m->sender : "<>",
		    r->verdict.overridden ? "quarantine turned into tag"
					  : "not applied",
		    just ? just : "");
		free(just);
	}
	log_msg(m->qid, r->error ? LOG_ERR : LOG_INFO,
	    "action=%s%s%s score=%d ref=%s outbound=%s rcpts=%zu external=%u "
	    "size=%zu categories=%s reason=\"%s\" time=%.1fms",
	    action_name(r->verdict.action),
	    r->verdict.monitored ? " monitor=" : "",
	    r->verdict.monitored ? action_name(r->verdict.monitor) : "",
	    r->verdict.score, r->ref, r->outbound ? "yes" : "no", m->nrcpts,
	    r->nexternal, m->body_len, cats.len ? cats.p : "-",
	    r->verdict.reason, r->elapsed_ms);
	buf_free(&cats);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *qid = smfi_getsymval(ctx, "i");
	struct result r;
	sfsistat st;
	bool admitted;

	if (c == NULL || c->m == NULL)
		return SMFIS_TEMPFAIL;
	if (qid && c->m->qid == NULL)
		message_set_envelope(c->m, qid, NULL, NULL, NULL);
	admitted = engine_admit(c->engine, &r);
	if (admitted && (c->failed || !release_honoured(c->engine, c->m, &r)))
		engine_scan(c->engine, c->m, &r);
	if (admitted && c->failed) {
		r.error = 1;
		r.verdict.action = c->engine->cfg->on_error;
		r.verdict.reason = "message could not be held";
	}
	log_verdict(c->engine, c->m, &r);
	st = actions_apply(ctx, c->engine, c->m, &r);
	st = actions_audit(ctx, c->engine, audit_log, c->m, &r, st);
	if (admitted)
		engine_leave();
	metrics_message(c->m, &r);
	pthread_mutex_lock(&engine_lock);
	stats.messages++;
	stats.by_action[r.verdict.action]++;
	stats.errors += r.error;
	pthread_mutex_unlock(&engine_lock);
	result_free(&r);
	conn_reset(c);
	return st;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c) {
		conn_reset(c);
		free(c->name);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc = {
    .xxfi_name = "exfil-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	SMFIF_ADDRCPT | SMFIF_DELRCPT,
    .xxfi_connect = mlfi_connect,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
};
