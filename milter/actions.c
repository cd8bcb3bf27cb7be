/*
 * actions.c - verdict -> smfi_* calls (see include/exfil/actions.h)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <strings.h>

#include <exfil/actions.h>
#include <exfil/arena.h>
#include <exfil/audit.h>
#include <exfil/decode.h>
#include <exfil/engine.h>
#include <exfil/buf.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/log.h>
#include <exfil/message.h>
#include <exfil/metrics.h>
#include <exfil/notify.h>
#include <exfil/quarantine.h>
#include <exfil/rules.h>

/* remove every client-sent header with our prefix */
static void
strip_forged(SMFICTX *ctx, const struct config *cfg, struct message *m)
{
	size_t plen = strlen(cfg->header_prefix), i, j;
	int idx;

	/* deleting shifts later instances: delete from the back */
	for (i = m->nheaders; i-- > 0;) {
		const char *name = m->headers[i].name;
		if (strncasecmp(name, cfg->header_prefix, plen) != 0 ||
		    name[plen] != '-')
			continue;
		/* libmilter counts instances of the same name from 1 */
		idx = 1;
		for (j = 0; j < i; j++)
			if (strcasecmp(m->headers[j].name, name) == 0)
				idx++;
		if (smfi_chgheader(ctx, (char *)name, idx, NULL) != MI_SUCCESS)
			log_msg(m->qid, LOG_WARNING,
			    "cannot remove header %s[%d]", name, idx);
		else
			log_msg(m->qid, LOG_NOTICE,
			    "removed client-sent header %s", name);
	}
}

static void
add_header(SMFICTX *ctx, const struct config *cfg, struct message *m,
    const char *suffix, const char *value)
{
	char name[128];

	snprintf(name, sizeof(name), "%s-%s", cfg->header_prefix, suffix);
	if (smfi_addheader(ctx, name, (char *)value) != MI_SUCCESS)
		log_msg(m->qid, LOG_WARNING, "cannot add header %s", name);
}

/* reply text with '%' doubled, as smfi_setreply wants */
static void
set_reply(SMFICTX *ctx, struct message *m, const char *code, const char *xcode,
    const char *text, const char *ref)
{
	char msg[512], esc[1024];
	size_t i, o = 0;

	snprintf(msg, sizeof(msg), "%s (ref %s)", text, ref);
	for (i = 0; msg[i] && o + 2 < sizeof(esc); i++) {
		if (msg[i] == '%')
			esc[o++] = '%';
		esc[o++] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
	}
	esc[o] = '\0';
	if (smfi_setreply(ctx, (char *)code, (char *)xcode, esc) != MI_SUCCESS)
		log_msg(m->qid, LOG_WARNING, "cannot set reply text");
}

/* Subject: prefix + Subject, once */
static void
prefix_subject(SMFICTX *ctx, const struct config *cfg, struct message *m)
{
	const char *subj = NULL;
	char *v;
	size_t i, n;

	if (cfg->subject_prefix[0] == '\0')
		return;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, "Subject") == 0) {
			subj = m->headers[i].value;
			break;
		}
	n = strlen(cfg->subject_prefix);
	if (subj && strncmp(subj, cfg->subject_prefix, n) == 0)
		return; /* already there (a reply, or a resend) */
	if ((v = subj ? arena_sprintf(
			    m->arena, "%s %s", cfg->subject_prefix, subj)
		      : arena_strdup(m->arena, cfg->subject_prefix)) == NULL)
		return;
	if ((subj ? smfi_chgheader(ctx, "Subject", 1, v)
		  : smfi_addheader(ctx, "Subject", v)) != MI_SUCCESS)
		log_msg(m->qid, LOG_WARNING, "cannot prefix the Subject");
}

static void
add_rcpt(SMFICTX *ctx, struct message *m, const char *addr)
{
	char *a = arena_sprintf(m->arena, "<%s>", addr);

	if (a == NULL || smfi_addrcpt(ctx, a) != MI_SUCCESS)
		log_msg(m->qid, LOG_WARNING, "cannot add recipient %s", addr);
}

static void
del_rcpt(SMFICTX *ctx, struct message *m, const char *addr)
{
	char *a = arena_sprintf(m->arena, "<%s>", addr);

	if (a == NULL || smfi_delrcpt(ctx, a) != MI_SUCCESS)
		log_msg(
		    m->qid, LOG_WARNING, "cannot remove recipient %s", addr);
}

static void
tag(SMFICTX *ctx, const struct config *cfg, struct message *m,
    const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	struct buf rules = {0};
	char score[32];
	size_t i;

	add_header(ctx, cfg, m, "Verdict", "tag");
	snprintf(score, sizeof(score), "%d", r->verdict.score);
	add_header(ctx, cfg, m, "Score", score);
	add_header(ctx, cfg, m, "Ref", r->ref);
	if (cfg->tag_rules_header && r->scanned && rs) {
		for (i = 0; i < rs->nrules; i++)
			if (scan_finding(&r->scan, i) && !rs->rules[i].monitor)
				buf_printf(&rules, "%s%s",
				    rules.len ? ", " : "", rs->rules[i].id);
		if (rules.len)
			add_header(ctx, cfg, m, "Rules", rules.p);
	}
	buf_free(&rules);
	prefix_subject(ctx, cfg, m);
	if (cfg->tag_copy_to[0])
		add_rcpt(ctx, m, cfg->tag_copy_to);
}

/* with split_recipients, is this message one to split (some recipients
 * internal, some external)? */
static bool
splittable(const struct config *cfg, const struct message *m)
{
	size_t i, internal = 0;

	if (!cfg->split_recipients)
		return false;
	for (i = 0; i < m->nrcpts; i++)
		internal += m->rcpts[i].internal;
	return internal > 0 && internal < m->nrcpts;
}

/*
 * Mail to internal and external recipients that is blocked: with
 * split_recipients, the external recipients are removed and the internal
 * ones still receive it. Returns 1 when the message was split.
 */
static int
split(SMFICTX *ctx, const struct engine *e, struct message *m,
    const struct result *r)
{
	const struct config *cfg = e->cfg;
	size_t i, internal = 0;

	if (!splittable(cfg, m))
		return 0;
	for (i = 0; i < m->nrcpts; i++)
		internal += m->rcpts[i].internal;
	for (i = 0; i < m->nrcpts; i++)
		if (!m->rcpts[i].internal)
			del_rcpt(ctx, m, m->rcpts[i].addr);
	add_header(ctx, cfg, m, "Verdict", action_name(r->verdict.action));
	add_header(ctx, cfg, m, "Ref", r->ref);
	log_msg(m->qid, LOG_INFO,
	    "split: %s for %u external recipient(s), delivered to %zu "
	    "internal",
	    action_name(r->verdict.action), r->nexternal, internal);
	(void)notify_sender(e, m, r, true);
	return 1;
}

/* quarantine_mode: store (and discard), hold or redirect */
static sfsistat
quarantine(
    SMFICTX *ctx, const struct engine *e, struct message *m, struct result *r)
{
	const struct config *cfg = e->cfg;
	char path[4096], reason[512];
	size_t i;

	if (strcmp(cfg->quarantine_mode, "hold") == 0 && !splittable(cfg, m)) {
		snprintf(reason, sizeof(reason), "exfil-milter ref %s", r->ref);
		add_header(ctx, cfg, m, "Verdict", "quarantine");
		add_header(ctx, cfg, m, "Ref", r->ref);
		if (smfi_quarantine(ctx, reason) == MI_SUCCESS) {
			log_msg(
			    m->qid, LOG_INFO, "held in the MTA's hold queue");
			(void)notify_sender(e, m, r, false);
			return SMFIS_CONTINUE;
		}
		log_msg(m->qid, LOG_ERR, "the MTA refused to hold the message");
		return SMFIS_TEMPFAIL;
	}
	if (strcmp(cfg->quarantine_mode, "redirect") == 0 &&
	    !splittable(cfg, m)) {
		for (i = 0; i < m->nrcpts; i++) {
			add_header(
			    ctx, cfg, m, "Original-Rcpt", m->rcpts[i].addr);
			del_rcpt(ctx, m, m->rcpts[i].addr);
		}
		add_rcpt(ctx, m, cfg->quarantine_redirect_to);
		add_header(ctx, cfg, m, "Verdict", "quarantine");
		add_header(ctx, cfg, m, "Ref", r->ref);
		log_msg(m->qid, LOG_INFO, "redirected to %s",
		    cfg->quarantine_redirect_to);
		(void)notify_sender(e, m, r, false);
		return SMFIS_CONTINUE;
	}
	/* store: durable before we answer (split keeps a copy too), and
	 * nothing accepted that cannot be stored */
	if (!quarantine_has_room(cfg, reason, sizeof(reason))) {
		log_msg(m->qid, LOG_CRIT,
		    "quarantine nearly full, tempfailing: %s", reason);
		r->verdict.action = ACTION_TEMPFAIL;
		r->verdict.reason = "quarantine full";
		set_reply(ctx, m, "451", "4.7.1", cfg->tempfail_reply, r->ref);
		return SMFIS_TEMPFAIL;
	}
	if (quarantine_store(e, m, r, path, sizeof(path)) < 0)
		return -1;
	log_msg(m->qid, LOG_INFO, "quarantined as %s", path);
	if (split(ctx, e, m, r))
		return SMFIS_CONTINUE;
	(void)notify_sender(e, m, r, false);
	return SMFIS_DISCARD;
}

/* the Subject without the override marker (override_marker), set */
static void
strip_override(SMFICTX *ctx, const struct engine *e, struct message *m)
{
	pcre2_match_data *md;
	const char *raw = NULL, *subj;
	struct buf out = {0};
	PCRE2_SIZE *ov;
	size_t i, k;
	int decoded = 0;

	if (e->override_re == NULL)
		return;
	for (i = 0; i < m->nheaders && raw == NULL; i++)
		if (strcasecmp(m->headers[i].name, "Subject") == 0)
			raw = m->headers[i].value;
	if (raw == NULL ||
	    (md = pcre2_match_data_create_from_pattern(e->override_re, NULL)) ==
		NULL)
		return;
	subj = raw;
	if (pcre2_match(e->override_re, (PCRE2_SPTR)subj, strlen(subj), 0, 0,
		md, NULL) < 0) {
		/* only in the decoded Subject (RFC 2047 words) */
		subj = decode_header(m->arena, raw);
		decoded = 1;
		if (subj == NULL ||
		    pcre2_match(e->override_re, (PCRE2_SPTR)subj, strlen(subj),
			0, 0, md, NULL) < 0)
			goto out;
	}
	ov = pcre2_get_ovector_pointer(md);
	buf_append(&out, subj, ov[0]);
	buf_puts(&out, subj + ov[1]);
	/* trim the blanks the marker leaves */
	while (out.len && out.p[out.len - 1] == ' ')
		out.p[--out.len] = '\0';
	for (k = 0; k < out.len && out.p[k] == ' '; k++)
		;
	if (decoded) {
		/* back to a 7-bit header: one encoded word when needed */
		for (i = k; i < out.len && !(out.p[i] & 0x80); i++)
			;
		if (i < out.len) {
			size_t n = out.len - k, elen = 4 * ((n + 2) / 3);
			char *enc = arena_alloc(m->arena, elen + 16);
			if (enc == NULL)
				goto out;
			memcpy(enc, "=?UTF-8?B?", 10);
			EVP_EncodeBlock((unsigned char *)enc + 10,
			    (unsigned char *)out.p + k, (int)n);
			memcpy(enc + 10 + elen, "?=", 3);
			if (smfi_chgheader(ctx, "Subject", 1, enc) !=
			    MI_SUCCESS)
				log_msg(m->qid, LOG_WARNING,
				    "cannot strip the override marker");
			goto out;
		}
	}
	if (smfi_chgheader(ctx, "Subject", 1, out.p ? out.p + k : "") !=
	    MI_SUCCESS)
		log_msg(
		    m->qid, LOG_WARNING, "cannot strip the override marker");
out:
	pcre2_match_data_free(md);
	buf_free(&out);
}

/* actions_apply - the verdict, carried out */
sfsistat
actions_apply(
    SMFICTX *ctx, const struct engine *e, struct message *m, struct result *r)
{
	const struct config *cfg = e->cfg;
	sfsistat st;

	strip_forged(ctx, cfg, m);
	if (r->override)
		strip_override(ctx, e, m);
	switch (r->verdict.action) {
	case ACTION_ACCEPT:
		return SMFIS_CONTINUE;
	case ACTION_TAG:
		tag(ctx, cfg, m, r);
		return SMFIS_CONTINUE;
	case ACTION_QUARANTINE:
		if ((st = quarantine(ctx, e, m, r)) != (sfsistat)-1)
			return st;
		log_msg(m->qid, LOG_ERR, "cannot quarantine in %s: %s",
		    cfg->quarantine_dir, strerror(errno));
		r->verdict.action = cfg->on_error == ACTION_QUARANTINE
		    ? ACTION_TEMPFAIL
		    : cfg->on_error;
		r->verdict.reason = "quarantine failed";
		return actions_apply(ctx, e, m, r);
	case ACTION_REJECT:
		if (split(ctx, e, m, r))
			return SMFIS_CONTINUE;
		set_reply(ctx, m, "550", "5.7.1", cfg->reject_reply, r->ref);
		(void)notify_sender(e, m, r, false);
		return SMFIS_REJECT;
	case ACTION_TEMPFAIL:
	default:
		set_reply(ctx, m, "451", "4.7.1", cfg->tempfail_reply, r->ref);
		return SMFIS_TEMPFAIL;
	}
}

/* actions_audit - the audit record, before the answer; on_audit_error */
sfsistat
actions_audit(SMFICTX *ctx, const struct engine *e, struct audit *a,
    struct message *m, struct result *r, sfsistat st)
{
	const struct config *cfg = e->cfg;
	int rc;

	if ((rc = audit_message(a, e, m, r)) == 0)
		return st;
	metrics_audit_error();
	log_msg(m->qid, LOG_ERR, "cannot write the audit record to %s: %s%s%s",
	    cfg->audit_log, exfil_strerror(rc),
	    st == SMFIS_CONTINUE ? ", on_audit_error=" : "",
	    st == SMFIS_CONTINUE ? action_name(cfg->on_audit_error) : "");
	if (st != SMFIS_CONTINUE)
		return st; /* it does not leave */
	switch (cfg->on_audit_error) {
	case ACTION_ACCEPT:
		return st;
	case ACTION_REJECT:
		set_reply(ctx, m, "550", "5.7.1", cfg->reject_reply, r->ref);
		return SMFIS_REJECT;
	default:
		set_reply(ctx, m, "451", "4.7.1", cfg->tempfail_reply, r->ref);
		return SMFIS_TEMPFAIL;
	}
}
