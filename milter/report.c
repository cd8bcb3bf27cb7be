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

/* report_json - one line: the exfil-scan JSON contract */
int
report_json(struct buf *b, const char *file, const struct message *m,
    const struct result *r)
{
	const struct ruleset *rs = r->scan.rs;
	const struct finding *f;
	size_t i, j;
	int rc = 0, first = 1;

	rc |= buf_puts(b, "{\"file\":");
	rc |= json_cstr(b, file);
	rc |= buf_printf(b, ",\"action\":\"%s\",\"score\":%d,\"ref\":",
	    action_name(r->verdict.action), r->verdict.score);
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
		rc |= json_cstr(b, f->where);
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
		rc |= json_cstr(b, p->where);
		rc |= buf_puts(b, ",\"type\":");
		rc |= json_cstr(b, p->type);
		rc |= buf_printf(b,
		    ",\"size\":%zu,\"sha256\":\"%s\","
		    "\"encrypted\":%s}",
		    p->size, p->sha256, p->encrypted ? "true" : "false");
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

	rc |= buf_printf(b, "%s: %s (score %d, ref %s%s)\n", file,
	    action_name(r->verdict.action), r->verdict.score, r->ref,
	    r->outbound ? "" : ", internal only");
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
