/*
 * report.c - a scan result as JSON or text (see include/exfil/report.h)
 */
#include "config.h"

#include <string.h>

#include <exfil/common.h>
#include <exfil/engine.h>
#include <exfil/json.h>
#include <exfil/message.h>
#include <exfil/report.h>
#include <exfil/rules.h>
#include <exfil/validators.h>

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
    {MSG_F_MIME_MALFORMED, "mime_malformed"},
    {MSG_F_DEPTH_LIMIT, "depth_limit"},
    {MSG_F_PARTS_LIMIT, "parts_limit"},
    {MSG_F_DECODE_LIMIT, "decode_limit"},
    {MSG_F_SIZE_LIMIT, "size_limit"},
    {MSG_F_MEMORY_LIMIT, "memory_limit"},
    {MSG_F_HEADER_LIMIT, "header_limit"},
    {MSG_F_LONG_LINE, "long_line"},
    {MSG_F_TIMEOUT, "timeout"},
    {MSG_F_UNREADABLE, "unreadable"},
};

/* report_flags - flag names joined by sep (JSON strings when sep is ",") */
int
report_flags(struct buf *b, unsigned flags, const char *sep)
{
	size_t i;
	int rc = 0, first = 1, json = strcmp(sep, ",") == 0;

	for (i = 0; i < EXFIL_ARRAY_LEN(flag_names) && rc == 0; i++) {
		if (!(flags & flag_names[i].flag))
			continue;
		if (!first)
			rc = buf_puts(b, sep);
		if (rc == 0)
			rc = json ? json_cstr(b, flag_names[i].name)
				  : buf_puts(b, flag_names[i].name);
		first = 0;
	}
	return rc;
}

/* report_place - a part's place, masked when mask is given and a rule
 * fires on it */
int
report_place(struct buf *b, const struct engine *mask, const struct message *m,
    const char *where)
{
	const char *shown = where;

	if (mask && where &&
	    (shown = engine_masked(mask, m->arena, where, where, SCOPE_NAME)) ==
		NULL)
		return EXFIL_ENOMEM;
	return json_cstr(b, shown);
}

/* report_json - one line: the exfil-scan JSON contract */
int
report_json(struct buf *b, const char *file, const struct message *m,
    const struct result *r)
{
	return report_json_masked(b, file, m, r, NULL);
}

/* report_json_masked - the same, file names masked by mask's rules */
int
report_json_masked(struct buf *b, const char *file, const struct message *m,
    const struct result *r, const struct engine *mask)
{
	const struct ruleset *rs = r->scan.rs;
	const struct finding *f;
	size_t i, j;
	int rc = 0, first = 1;

	rc |= buf_puts(b, "{\"file\":");
	rc |= json_cstr(b, file);
	rc |= buf_printf(
	    b, ",\"action\":\"%s\",", action_name(r->verdict.action));
	if (r->verdict.monitored)
		rc |= buf_printf(
		    b, "\"monitor\":\"%s\",", action_name(r->verdict.monitor));
	if (r->override) {
		rc |= buf_puts(b, "\"override\":");
		rc |= json_cstr(b, r->override);
		rc |= buf_printf(b, ",\"overridden\":%s,",
		    r->verdict.overridden ? "true" : "false");
	}
	rc |= buf_printf(b, "\"score\":%d,\"ref\":", r->verdict.score);
	rc |= json_cstr(b, r->ref);
	rc |= buf_printf(
	    b, ",\"outbound\":%s,\"flags\":[", r->outbound ? "true" : "false");
	rc |= report_flags(b, m->flags, ",");
	rc |= buf_puts(b, "],\"matches\":[");
	for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
		if ((f = scan_finding(&r->scan, i)) == NULL)
			continue;
		rc |= buf_puts(b, first ? "{\"rule\":" : ",{\"rule\":");
		first = 0;
		rc |= json_cstr(b, rs->rules[i].id);
		rc |= buf_puts(b, ",\"category\":");
		rc |= json_cstr(b, rs->rules[i].category);
		rc |= buf_printf(b,
		    ",\"count\":%u,\"confidence\":\"%s\",\"where\":", f->count,
		    confidence_name(f->confidence));
		rc |= report_place(b, mask, m, f->where);
		rc |= buf_puts(b, ",\"evidence\":[");
		for (j = 0; j < f->nevidence; j++) {
			if (j)
				rc |= buf_putc(b, ',');
			rc |= json_cstr(b, f->evidence[j]);
		}
		rc |= buf_puts(b, "]}");
	}
	rc |= buf_puts(b, "],\"parts\":[");
	for (i = 0; i < r->nparts; i++) {
		const struct part_info *p = &r->parts[i];
		rc |= buf_puts(b, i ? ",{\"where\":" : "{\"where\":");
		rc |= report_place(b, mask, m, p->where);
		rc |= buf_puts(b, ",\"type\":");
		rc |= json_cstr(b, p->type);
		rc |= buf_printf(b,
		    ",\"size\":%zu,\"sha256\":\"%s\","
		    "\"encrypted\":%s",
		    p->size, p->sha256, p->encrypted ? "true" : "false");
		if (p->mismatch) {
			rc |= buf_puts(b, ",\"mismatch\":");
			rc |= json_cstr(b, p->mismatch);
		}
		rc |= buf_putc(b, '}');
	}
	rc |= buf_puts(b, "],\"errors\":[");
	for (i = 0; i < r->nerrors; i++) {
		if (i)
			rc |= buf_putc(b, ',');
		rc |= json_cstr(b, r->errors[i]);
	}
	rc |= buf_puts(b, "]}");
	return rc ? EXFIL_ENOMEM : 0;
}

/* report_text - the same for a person */
int
report_text(struct buf *b, const char *file, const struct message *m,
    const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	const struct finding *f;
	size_t i, j;
	int rc = 0;

	rc |= buf_printf(b, "%s: %s (score %d, ref %s%s%s%s)\n", file,
	    action_name(r->verdict.action), r->verdict.score, r->ref,
	    r->outbound ? "" : ", internal only",
	    r->verdict.monitored ? ", monitor: " : "",
	    r->verdict.monitored ? action_name(r->verdict.monitor) : "");
	if (m->flags) {
		rc |= buf_puts(b, "  flags: ");
		rc |= report_flags(b, m->flags, " ");
		rc |= buf_putc(b, '\n');
	}
	for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
		if ((f = scan_finding(&r->scan, i)) == NULL)
			continue;
		rc |= buf_printf(b, "  %s [%s] x%u %s in %s:", rs->rules[i].id,
		    rs->rules[i].category, f->count,
		    confidence_name(f->confidence), f->where);
		for (j = 0; j < f->nevidence; j++)
			rc |= buf_printf(b, " %s", f->evidence[j]);
		rc |= buf_putc(b, '\n');
	}
	for (i = 0; i < r->nerrors; i++)
		rc |= buf_printf(b, "  error: %s\n", r->errors[i]);
	return rc ? EXFIL_ENOMEM : 0;
}

static int
domains(struct buf *b, const char *cond, char *const *v, size_t n)
{
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	rc |= buf_printf(b, " %s ", cond);
	for (i = 0; i < n; i++)
		rc |= buf_printf(b, "%s%s", i ? "," : "", v[i]);
	return rc;
}

/* report_stmt - a policy statement as it is written in a rules file */
int
report_stmt(struct buf *b, const struct policy_stmt *st)
{
	int rc = 0;

	rc |= buf_puts(b, st->allow ? "allow" : "when");
	if (st->category)
		rc |= buf_printf(b, " category %s", st->category);
	if (st->rule)
		rc |= buf_printf(b, " rule %s", st->rule);
	if (st->count)
		rc |= buf_printf(b, " count %u", st->count);
	if (st->score >= 0)
		rc |= buf_printf(b, " score %d", st->score);
	if (st->confidence != CONF_LOW)
		rc |= buf_printf(
		    b, " confidence %s", confidence_name(st->confidence));
	if (st->flags & POLICY_FLAG_LIMIT)
		rc |= buf_puts(b, " flag limit");
	if (st->flags & POLICY_FLAG_MALFORMED)
		rc |= buf_puts(b, " flag malformed");
	if (st->flags & POLICY_FLAG_TIMEOUT)
		rc |= buf_puts(b, " flag timeout");
	if (st->client != POLICY_ANY)
		rc |= buf_printf(b, " client %s",
		    st->client == POLICY_YES ? "internal" : "external");
	if (st->auth != POLICY_ANY)
		rc |= buf_printf(b, " authenticated %s",
		    st->auth == POLICY_YES ? "yes" : "no");
	if (st->external_rcpts)
		rc |= buf_printf(b, " external_rcpts %u", st->external_rcpts);
	if (st->size)
		rc |= buf_printf(b, " size %zu", st->size);
	rc |= domains(
	    b, "sender_domain", st->sender_domains, st->nsender_domains);
	rc |= domains(b, "rcpt_domain", st->rcpt_domains, st->nrcpt_domains);
	if (!st->allow)
		rc |= buf_printf(b, " then %s", action_name(st->action));
	return rc ? EXFIL_ENOMEM : 0;
}

/* report_explain - each finding and the decision, for tuning */
int
report_explain(struct buf *b, const char *file, const struct message *m,
    const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	const struct policy_stmt *st = r->verdict.stmt;
	const struct finding *f;
	const struct rule *ru;
	size_t i, j;
	int rc = 0;

	rc |= buf_printf(b, "%s: %s (score %d, ref %s%s%s)\n", file,
	    action_name(r->verdict.action), r->verdict.score, r->ref,
	    r->verdict.monitored ? ", monitor: " : "",
	    r->verdict.monitored ? action_name(r->verdict.monitor) : "");
	if (!r->outbound)
		rc |=
		    buf_puts(b, "  not judged: every recipient is internal\n");
	for (i = 0; r->scanned && rs && i < rs->nrules; i++) {
		if ((f = scan_finding(&r->scan, i)) == NULL)
			continue;
		ru = &rs->rules[i];
		rc |= buf_printf(b, "  rule %s (%s:%u), category %s%s\n",
		    ru->id, ru->file, ru->line, ru->category,
		    ru->monitor ? ", mode monitor (not acted on)" : "");
		rc |= buf_printf(
		    b, "    first in %s at byte %zu\n", f->where, f->offset);
		rc |= buf_printf(b,
		    "    %u distinct value%s in %u match%s:", f->count,
		    f->count == 1 ? "" : "s", f->hits,
		    f->hits == 1 ? "" : "es");
		for (j = 0; j < f->nevidence; j++)
			rc |= buf_printf(b, " %s", f->evidence[j]);
		rc |= buf_printf(b, "\n    confidence %s: pattern",
		    confidence_name(f->confidence));
		if (ru->validator)
			rc |= buf_printf(
			    b, " + validator %s", ru->validator->name);
		if (ru->min_entropy > 0)
			rc |= buf_printf(
			    b, " + entropy >= %.1f bits", ru->min_entropy);
		if (f->keyword)
			rc |= buf_printf(b, " + %s '%s' within %u",
			    ru->nkeywords ? "keyword" : "boost word",
			    f->keyword,
			    ru->nkeywords ? ru->within : ru->boost_within);
		rc |= buf_printf(b, "\n    score %d x %u = %ld\n", ru->score,
		    f->count, (long)ru->score * f->count);
	}
	if (m->flags) {
		rc |= buf_puts(b, "  flags: ");
		rc |= report_flags(b, m->flags, " ");
		rc |= buf_putc(b, '\n');
	}
	if (st) {
		rc |= buf_printf(b, "  decided by %s:%u: ", st->file, st->line);
		rc |= report_stmt(b, st);
		rc |= buf_putc(b, '\n');
	} else {
		rc |= buf_printf(b, "  decided by: %s\n", r->verdict.reason);
	}
	return rc ? EXFIL_ENOMEM : 0;
}
