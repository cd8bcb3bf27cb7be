/*
 * engine.c - one message through every stage (see include/exfil/engine.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <exfil/arena.h>
#include <exfil/charset.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/decode.h>
#include <exfil/engine.h>
#include <exfil/extract.h>
#include <exfil/filetype.h>
#include <exfil/keyfile.h>
#include <exfil/message.h>
#include <exfil/mime.h>
#include <exfil/qcrypt.h>
#include <exfil/rules.h>
#include <exfil/sandbox.h>
#include <exfil/scan.h>

/* engine_new - configuration plus its compiled rules */
int
engine_new(struct config *cfg, struct engine **out, char *err, size_t errlen)
{
	struct engine *e;
	PCRE2_SIZE eoff;
	int rc, ecode;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return EXFIL_ENOMEM;
	if ((rc = rules_load_dir(cfg->rules_dir, &e->rs, err, errlen)) < 0) {
		free(e);
		return rc;
	}
	if (cfg->override_marker[0] &&
	    (e->override_re = pcre2_compile((PCRE2_SPTR)cfg->override_marker,
		 PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_CASELESS, &ecode,
		 &eoff, NULL)) == NULL) {
		snprintf(err, errlen, "override_marker: bad regex");
		ruleset_unref(e->rs);
		free(e);
		return EXFIL_EINVAL;
	}
	/* the keys: each one's file names itself in err */
	if ((cfg->release_secret_file[0] &&
		(rc = keyfile_load(cfg->release_secret_file, e->release_key,
		     err, errlen)) < 0) ||
	    (cfg->quarantine_public_key[0] &&
		(rc = qcrypt_load_key(cfg->quarantine_public_key, false,
		     &e->qkey, err, errlen)) < 0) ||
	    (cfg->evidence_key_file[0] &&
		(rc = keyfile_load(cfg->evidence_key_file, e->evidence_key, err,
		     errlen)) < 0)) {
		EVP_PKEY_free(e->qkey);
		OPENSSL_cleanse(e->release_key, sizeof(e->release_key));
		OPENSSL_cleanse(e->evidence_key, sizeof(e->evidence_key));
		if (e->override_re)
			pcre2_code_free(e->override_re);
		ruleset_unref(e->rs);
		free(e);
		return rc;
	}
	e->has_release_key = cfg->release_secret_file[0] != '\0';
	e->evidence_keyed = cfg->evidence_key_file[0] != '\0';
	e->cfg = config_ref(cfg);
	e->refs = 1;
	*out = e;
	return 0;
}

/* engine_ref - one more reference */
struct engine *
engine_ref(struct engine *e)
{
	__atomic_add_fetch(&e->refs, 1, __ATOMIC_SEQ_CST);
	return e;
}

/* engine_unref - drop a reference; the last one frees */
void
engine_unref(struct engine *e)
{
	if (e == NULL || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_SEQ_CST))
		return;
	ruleset_unref(e->rs);
	config_unref(e->cfg);
	if (e->override_re)
		pcre2_code_free(e->override_re);
	EVP_PKEY_free(e->qkey);
	OPENSSL_cleanse(e->release_key, sizeof(e->release_key));
	OPENSSL_cleanse(e->evidence_key, sizeof(e->evidence_key));
	free(e);
}

/* messages in the scan stage now, in the whole daemon */
static unsigned scans_active;

/* engine_admit - count one more message in, unless max_scans are */
bool
engine_admit(const struct engine *e, struct result *r)
{
	unsigned cap = e->cfg->max_scans;

	if (__atomic_add_fetch(&scans_active, 1, __ATOMIC_SEQ_CST) <= cap ||
	    cap == 0)
		return true;
	__atomic_sub_fetch(&scans_active, 1, __ATOMIC_SEQ_CST);
	memset(r, 0, sizeof(*r));
	engine_ref_id(r->ref, sizeof(r->ref));
	r->verdict.action = ACTION_TEMPFAIL;
	r->verdict.reason = "busy: max_scans messages are being scanned";
	return false;
}

/* engine_leave - one message out of the scan stage */
void
engine_leave(void)
{
	__atomic_sub_fetch(&scans_active, 1, __ATOMIC_SEQ_CST);
}

/* engine_ref_id - 8 hex digits of time, 12 of randomness */
void
engine_ref_id(char *out, size_t outlen)
{
	unsigned char rnd[6] = {0};
	unsigned long long v = 0;
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		v = (unsigned long long)clock() ^ (unsigned long long)getpid();
		memcpy(rnd, &v, sizeof(rnd));
	}
	for (v = 0, i = 0; i < sizeof(rnd); i++)
		v = v << 8 | rnd[i];
	snprintf(out, outlen, "%08lX%012llX",
	    (unsigned long)time(NULL) & 0xffffffffUL, v);
}

/* engine_masked - text as logs and metadata may show it */
const char *
engine_masked(const struct engine *e, struct arena *a, const char *text,
    const char *where, unsigned scope)
{
	const char *norm, *shown;
	struct scan s;
	size_t i, n;
	bool hit = false;
	char *t, *p;

	if (text == NULL)
		return NULL;
	if ((norm = text_normalize(a, text, strlen(text), &n)) == NULL ||
	    scan_begin(&s, a, e->rs) < 0)
		return NULL;
	if (scan_segment(&s, norm, n, where, scope) < 0)
		hit = true; /* when in doubt, mask */
	for (i = 0; !hit && i < e->rs->nrules; i++)
		hit = scan_finding(&s, i) != NULL;
	scan_end(&s);
	if ((t = arena_strdup(a, text)) == NULL)
		return NULL;
	for (p = t; *p; p++) /* one line: nothing can break a header */
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	shown = hit ? scan_mask(a, t, strlen(t)) : t;
	return shown;
}

struct walkctx {
	struct engine *e;
	struct message *m;
	struct result *r;
	struct buf *dump;
	const char *type; /* of the leaf being scanned */
	double deadline; /* monotonic ms; 0: none */
	struct extract_limits xlim;
	struct extract_state *xst; /* of the attachment being extracted */
};

static const char *
scope_name(unsigned scope)
{
	switch (scope) {
	case SCOPE_SUBJECT:
		return "subject";
	case SCOPE_HEADERS:
		return "header";
	case SCOPE_BODY:
		return "body";
	case SCOPE_NAME:
		return "name";
	case SCOPE_TYPE:
		return "type";
	default:
		return "attachment";
	}
}

static int
add_error(struct message *m, struct result *r, const char *text)
{
	const char **v;

	if ((v = arena_grow(m->arena, r->errors, r->nerrors, &r->errors_cap,
		 sizeof(*v))) == NULL)
		return EXFIL_ENOMEM;
	r->errors = v;
	r->errors[r->nerrors++] = text;
	return 0;
}

static struct part_info *
add_part(struct message *m, struct result *r)
{
	struct part_info *v;

	if ((v = arena_grow(m->arena, r->parts, r->nparts, &r->parts_cap,
		 sizeof(*v))) == NULL)
		return NULL;
	r->parts = v;
	v = &r->parts[r->nparts++];
	memset(v, 0, sizeof(*v));
	return v;
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	unsigned i;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static bool
is_textual(const char *type)
{
	static const char *const text_types[] = {"application/json",
	    "application/xml", "application/javascript", "application/csv",
	    "application/x-sh", "application/x-shellscript",
	    "application/x-empty", "application/pgp-keys",
	    "application/x-pem-file", "application/sql", NULL};
	const char *const *t;

	if (strncmp(type, "text/", 5) == 0 || strncmp(type, "message/", 8) == 0)
		return true;
	for (t = text_types; *t; t++)
		if (strcmp(type, *t) == 0)
			return true;
	return false;
}

/* printable runs of a binary (extract_runs()), in the arena */
static char *
printable_runs(struct arena *a, const char *p, size_t n, size_t *outlen)
{
	struct buf b = {0};
	char *res = NULL;

	if (extract_runs(&b, p, n) == 0 &&
	    (res = arena_memdup(a, b.p ? b.p : "", b.len)) != NULL)
		*outlen = b.len;
	buf_free(&b);
	return res;
}

/* the text a reader would see in this leaf */
static const char *
leaf_text(
    struct arena *a, const struct mime_part *p, const char *type, size_t *len)
{
	const char *t;
	size_t tl;

	if (strcmp(type, "text/html") == 0 ||
	    (p->content_type && strcmp(p->content_type, "text/html") == 0 &&
		is_textual(type))) {
		t = charset_to_utf8(a, p->charset, p->data, p->len, &tl);
		return t ? html_to_text(a, t, tl, len) : NULL;
	}
	if (is_textual(type))
		return charset_to_utf8(a, p->charset, p->data, p->len, len);
	/*
	 * "application/octet-stream" is libmagic saying it does not know
	 * (UTF-16 without a byte order mark, say): then a part declared as
	 * text is read in its declared charset. A type libmagic does know
	 * (an archive, a PDF, a program) always wins over the declaration.
	 */
	if (strcmp(type, "application/octet-stream") == 0 && p->content_type &&
	    strncmp(p->content_type, "text/", 5) == 0 && p->charset) {
		t = charset_to_utf8(a, p->charset, p->data, p->len, &tl);
		if (t && strcmp(p->content_type, "text/html") == 0)
			return html_to_text(a, t, tl, len);
		*len = tl;
		return t;
	}
	return printable_runs(a, p->data, p->len, len);
}

/*
 * Normalise a text segment, then scan it. transient: the caller frees the
 * text after this call (an extractor's), so a rule that holds the segment
 * back copies it, unless normalising made a copy in the arena already.
 */
static int
scan_text_of(struct walkctx *w, const char *text, size_t len, const char *where,
    unsigned scope, bool transient)
{
	const char *norm;
	size_t nlen;
	int rc;

	if ((norm = text_normalize(w->m->arena, text, len, &nlen)) == NULL)
		return EXFIL_ENOMEM;
	if (w->dump && scope != SCOPE_TYPE) { /* the type is on the part line */
		if (scope == SCOPE_BODY || scope == SCOPE_ATTACHMENT)
			buf_printf(w->dump, "--- %s (%s, %s)\n", where,
			    scope_name(scope), w->type);
		else
			buf_printf(
			    w->dump, "--- %s (%s)\n", where, scope_name(scope));
		buf_append(w->dump, norm, nlen);
		if (nlen == 0 || norm[nlen - 1] != '\n')
			buf_putc(w->dump, '\n');
	}
	w->r->scan.text_transient = transient && norm == text;
	rc = scan_segment(&w->r->scan, norm, nlen, where, scope);
	w->r->scan.text_transient = false;
	return rc;
}

/* scan_text_of() of a text that lives as long as the message */
static int
scan_text(struct walkctx *w, const char *text, size_t len, const char *where,
    unsigned scope)
{
	return scan_text_of(w, text, len, where, scope, false);
}

/* the type rules see for an encrypted member: files.rules flags it */
#define ENCRYPTED_TYPE "application/x-exfil-encrypted"
/* the type rules see for a disguised part: files.rules flags it too */
#define MISMATCH_TYPE "application/x-exfil-type-mismatch"
/* the type rules see for a document its reader could not open */
#define UNREADABLE_TYPE "application/x-exfil-unreadable"

static int on_item(const struct extract_item *it, void *arg);

/*
 * An archive or document: its members and texts, recursively, within the
 * extraction limits. EXTRACT_NONE when extract() does not read the type.
 */
static int
extract_part(struct walkctx *w, const char *type, const char *where,
    const char *data, size_t len, unsigned depth)
{
	struct extract_state st, *outer = w->xst;
	int rc;

	memset(&st, 0, sizeof(st));
	if (outer == NULL)
		w->xst = &st; /* one state for the whole tree of one part */
	/* in a worker process when there are workers (sandbox(3)) */
	rc = sandbox_extract(w->m->arena, type, where, data, len, depth,
	    &w->xlim, w->xst, on_item, w);
	if (outer == NULL) {
		if (st.flags & EXTRACT_F_LIMIT)
			w->m->flags |= MSG_F_DECODE_LIMIT;
		if (st.flags & EXTRACT_F_UNREADABLE)
			w->m->flags |= MSG_F_UNREADABLE;
		if (st.flags & EXTRACT_F_TIMEOUT)
			w->m->flags |= MSG_F_TIMEOUT;
		w->xst = NULL;
	}
	return rc;
}

/* out of time: flag it, and stop the walk */
static bool
out_of_time(struct walkctx *w)
{
	if (w->deadline > 0 && extract_now_ms() > w->deadline) {
		w->m->flags |= MSG_F_TIMEOUT;
		return true;
	}
	return false;
}

/*
 * One leaf, a MIME part or a member of an archive or document (at the
 * given nesting depth): its true type, SHA-256, name and type for the
 * rules, its members when it is an archive or document, else its text.
 */
static int
scan_leaf(struct walkctx *w, const struct mime_part *p, unsigned depth)
{
	struct arena *a = w->m->arena;
	struct part_info *pi;
	const char *type, *text;
	char why[256];
	size_t tlen;
	int rc;

	if ((type = filetype_detect(a, p->data, p->len)) == NULL)
		return EXFIL_ENOMEM;
	if ((pi = add_part(w->m, w->r)) == NULL)
		return EXFIL_ENOMEM;
	pi->where = p->where;
	pi->type = type;
	pi->declared = p->content_type;
	pi->size = p->len;
	sha256_hex(p->data, p->len, pi->sha256);
	if (p->filename &&
	    (rc = scan_text(w, p->filename, strlen(p->filename), p->where,
		 SCOPE_NAME)) < 0)
		return rc;
	/* the true type, for rules on attachment types (files.rules) */
	if (p->attachment &&
	    (rc = scan_text(w, type, strlen(type), p->where, SCOPE_TYPE)) < 0)
		return rc;
	/* S/MIME or PGP encrypted mail: flagged, then read as any part (the
	 * text around an inline PGP block is still text) */
	if (extract_encrypted(type, p->data, p->len)) {
		pi->encrypted = true;
		if ((rc = scan_text(w, ENCRYPTED_TYPE, strlen(ENCRYPTED_TYPE),
			 p->where, SCOPE_TYPE)) < 0)
			return rc;
	}
	/* a name or declared type that disguises the true type */
	if (p->attachment &&
	    filetype_mismatch(
		type, p->filename, p->content_type, why, sizeof(why))) {
		if ((pi->mismatch = arena_strdup(a, why)) == NULL)
			return EXFIL_ENOMEM;
		if ((rc = scan_text(w, MISMATCH_TYPE, strlen(MISMATCH_TYPE),
			 p->where, SCOPE_TYPE)) < 0)
			return rc;
	}
	/* archives and documents: their members and texts */
	if (p->attachment && extract_handles(type) &&
	    (rc = extract_part(w, type, p->where, p->data, p->len, depth)) !=
		EXTRACT_NONE)
		return rc;
	if ((text = leaf_text(a, p, type, &tlen)) == NULL)
		return EXFIL_ENOMEM;
	w->type = type;
	return scan_text(w, text, tlen, p->where,
	    p->attachment ? SCOPE_ATTACHMENT : SCOPE_BODY);
}

/* one member or text of an archive or document */
static int
on_item(const struct extract_item *it, void *arg)
{
	struct walkctx *w = arg;
	struct mime_part leaf;
	struct part_info *pi;
	int rc;

	if (out_of_time(w))
		return EXFIL_ELIMIT;
	if (it->is_text) {
		w->type = "text/plain";
		/* the extractor frees the text after this call */
		return scan_text_of(w, it->data ? it->data : "", it->len,
		    it->where, SCOPE_ATTACHMENT, true);
	}
	if (it->encrypted || it->unreadable || it->data == NULL) {
		/* nothing to read: listed, and an encrypted or unreadable
		 * one flagged */
		if ((pi = add_part(w->m, w->r)) == NULL)
			return EXFIL_ENOMEM;
		pi->where = it->where;
		pi->size = it->len;
		pi->encrypted = it->encrypted;
		pi->type = it->encrypted ? ENCRYPTED_TYPE
		    : it->unreadable	 ? UNREADABLE_TYPE
					 : NULL;
		if (it->name &&
		    (rc = scan_text(w, it->name, strlen(it->name), it->where,
			 SCOPE_NAME)) < 0)
			return rc;
		return pi->type ? scan_text(w, pi->type, strlen(pi->type),
				      it->where, SCOPE_TYPE)
				: 0;
	}
	memset(&leaf, 0, sizeof(leaf));
	leaf.kind = MIME_LEAF;
	leaf.where = it->where;
	leaf.filename = it->name;
	leaf.attachment = true;
	leaf.data = it->data;
	leaf.len = it->len;
	return scan_leaf(w, &leaf, it->depth);
}

static int
on_part(const struct mime_part *p, void *arg)
{
	struct walkctx *w = arg;

	/* the time budget is checked between parts: a part is bounded by
	 * the size limits, so a message cannot overrun by much */
	if (out_of_time(w))
		return EXFIL_ELIMIT;
	if (p->kind == MIME_HEADER)
		return scan_text(w, p->data, p->len, p->where,
		    strcasecmp(p->header_name, "Subject") == 0 ? SCOPE_SUBJECT
							       : SCOPE_HEADERS);
	return scan_leaf(w, p, 0);
}

/* the facts of the envelope that policy statements test */
static int
envelope_facts(
    const struct config *cfg, struct message *m, struct policy_input *in)
{
	const char **ext = NULL;
	size_t i, n = 0;

	in->client_internal = config_addr_in_networks(cfg, m->client_addr);
	in->authenticated = m->auth_user != NULL && m->auth_user[0] != '\0';
	in->sender = m->sender;
	in->size = m->body_len;
	for (i = 0; i < m->nheaders; i++)
		in->size += strlen(m->headers[i].name) +
		    strlen(m->headers[i].value) + 4;
	if (m->nrcpts &&
	    (ext = arena_calloc(m->arena, m->nrcpts, sizeof(*ext))) == NULL)
		return EXFIL_ENOMEM;
	for (i = 0; i < m->nrcpts; i++)
		if (!m->rcpts[i].internal)
			ext[n++] = m->rcpts[i].addr;
	in->external = m->nrcpts ? ext : NULL;
	in->nexternal = n;
	return 0;
}

/* the justification of an override asked for in the Subject, or NULL */
static const char *
override_asked(const struct engine *e, struct message *m)
{
	pcre2_match_data *md;
	const char *subj, *res = NULL;
	PCRE2_SIZE *ov, s, n;
	size_t i;
	int rc;

	if (e->override_re == NULL)
		return NULL;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, "Subject") == 0)
			break;
	if (i == m->nheaders ||
	    (subj = decode_header(m->arena, m->headers[i].value)) == NULL)
		return NULL;
	if ((md = pcre2_match_data_create_from_pattern(e->override_re, NULL)) ==
	    NULL)
		return NULL;
	rc = pcre2_match(
	    e->override_re, (PCRE2_SPTR)subj, strlen(subj), 0, 0, md, NULL);
	if (rc > 0) {
		ov = pcre2_get_ovector_pointer(md);
		s = ov[0], n = ov[1] - ov[0];
		if (rc > 1 && ov[2] != PCRE2_UNSET)
			s = ov[2], n = ov[3] - ov[2];
		res = arena_strndup(m->arena, subj + s, n > 200 ? 200 : n);
	}
	pcre2_match_data_free(md);
	return res;
}

/* engine_scan - the verdict for one message */
int
engine_scan(struct engine *e, struct message *m, struct result *r)
{
	return engine_scan_dump(e, m, r, NULL);
}

/* what the arena may take of the budget: the rest after the member
 * bytes and the body, at least a little (the scan then stops early) */
static size_t
arena_share(size_t budget, size_t members, size_t body)
{
	size_t taken = members + body;

	return budget > taken + 4096 ? budget - taken : 4096;
}

/* engine_scan_dump - the verdict, and every segment as scanned */
int
engine_scan_dump(
    struct engine *e, struct message *m, struct result *r, struct buf *dump)
{
	const struct config *cfg = e->cfg;
	struct policy_input in;
	struct mime_limits lim;
	struct walkctx w;
	double t0 = extract_now_ms();
	size_t i, xbudget;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	engine_ref_id(r->ref, sizeof(r->ref));
	for (i = 0; i < m->nrcpts; i++)
		if (!m->rcpts[i].internal)
			r->nexternal++;
	/* a saved file has no envelope: judge it as outbound */
	r->outbound = m->nrcpts == 0 || r->nexternal > 0;

	memset(&in, 0, sizeof(in));
	in.rs = e->rs;
	in.on_error = cfg->on_error;
	in.on_limit = cfg->on_limit;
	in.on_timeout = cfg->on_timeout;
	in.monitor = cfg->monitor_mode;
	in.outbound = r->outbound;
	if ((r->override = override_asked(e, m)) != NULL) {
		in.override = true;
		in.override_categories = cfg->override_categories.v;
		in.noverride_categories = cfg->override_categories.n;
	}
	if ((rc = envelope_facts(cfg, m, &in)) < 0)
		r->error = true;
	if (r->outbound) {
		lim.max_depth = cfg->max_mime_depth;
		lim.max_parts = cfg->max_mime_parts;
		lim.max_decoded = cfg->max_decoded_bytes;
		lim.max_body = cfg->max_message_size;
		lim.max_headers = cfg->max_headers;
		lim.max_header_size = cfg->max_header_size;
		lim.max_line = cfg->max_line_length;
		/* one budget for the message: the expanded bytes of archive
		 * members (held outside the arena while they are read) get at
		 * most half of it, the arena the rest */
		xbudget = cfg->max_expanded_bytes;
		if (cfg->max_message_memory &&
		    (xbudget == 0 || xbudget > cfg->max_message_memory / 2))
			xbudget = cfg->max_message_memory / 2;
		/* the body as received is held too (in memory or mapped) */
		if (cfg->max_message_memory)
			arena_set_budget(m->arena,
			    arena_used(m->arena) +
				arena_share(cfg->max_message_memory, xbudget,
				    m->body_len));
		if ((rc = scan_begin(&r->scan, m->arena, e->rs)) == 0) {
			scan_set_naive(&r->scan, e->naive);
			if (e->evidence_keyed)
				r->scan.evidence_key = e->evidence_key;
			w.e = e;
			w.m = m;
			w.r = r;
			w.dump = dump;
			w.type = NULL;
			w.xlim.max_depth = cfg->max_archive_depth;
			w.xlim.max_members = cfg->max_archive_members;
			w.xlim.max_expanded = xbudget;
			w.xlim.max_ratio = cfg->max_expansion_ratio;
			w.xlim.max_text = cfg->max_text_per_part;
			w.xst = NULL;
			w.deadline = cfg->scan_timeout
			    ? t0 + 1000.0 * cfg->scan_timeout
			    : 0;
			w.xlim.deadline = w.deadline;
			rc = mime_walk(m, &lim, on_part, &w);
		}
		arena_set_budget(m->arena, 0);
		if (rc == EXFIL_ELIMIT)
			rc = 0; /* out of time: MSG_F_TIMEOUT is set */
		if (rc == EXFIL_ENOMEM && cfg->max_message_memory) {
			/* the budget, not the machine, ran out: a limit */
			m->flags |= MSG_F_MEMORY_LIMIT;
			rc = 0;
		}
		if (rc < 0) {
			r->error = true;
			add_error(m, r, exfil_strerror(rc));
		} else {
			r->scanned = true;
			in.scan = &r->scan;
		}
	}
	in.flags = m->flags;
	in.error = r->error;
	policy_decide(&in, &r->verdict);
	r->elapsed_ms = extract_now_ms() - t0;
	return 0;
}

/* result_free - release what the result holds outside the arena */
void
result_free(struct result *r)
{
	scan_end(&r->scan);
}
