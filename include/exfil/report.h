/*
 * NAME
 *	report - a scan result as one JSON object, or as text
 * SYNOPSIS
 *	#include <exfil/report.h>
 *
 *	int report_json(struct buf *b, const char *file,
 *	    const struct result *r);
 * DESCRIPTION
 *	report_json() writes the object of the exfil-scan contract on one
 *	line (no newline): file, action, score, ref, outbound, flags,
 *	matches (rule, category, count, where, masked evidence), parts
 *	(where, type, size, sha256, encrypted) and errors. Matched values
 *	appear masked only.
 *	report_text() writes the same for a person, one finding a line.
 *	report_explain() writes, for an analyst tuning a rule, each finding
 *	with the rule's file and line, the part and byte offset (in the
 *	normalised text exfil-scan --dump shows), the masked values, what
 *	gave its confidence (validator, entropy, keyword), its share of the
 *	score, and the policy statement that decided the action.
 */
#ifndef EXFIL_REPORT_H
#define EXFIL_REPORT_H

#include <exfil/buf.h>

struct result;
struct message;

int report_json(struct buf *b, const char *file, const struct message *m,
    const struct result *r);
/* report_json_masked - the same, with every place (file names) shown as
 * engine_masked() shows it under mask's rules */
struct engine;
int report_json_masked(struct buf *b, const char *file, const struct message *m,
    const struct result *r, const struct engine *mask);
/* report_place - a part's place (a JSON string), masked as
 * report_json_masked() masks it; mask may be NULL */
int report_place(struct buf *b, const struct engine *mask,
    const struct message *m, const char *where);
int report_text(struct buf *b, const char *file, const struct message *m,
    const struct result *r);
int report_explain(struct buf *b, const char *file, const struct message *m,
    const struct result *r);
/* report_stmt - a policy statement as a rules file writes it */
struct policy_stmt;
int report_stmt(struct buf *b, const struct policy_stmt *st);
/* report_flags - the names of the MSG_F_* flags, comma-separated */
int report_flags(struct buf *b, unsigned flags, const char *sep);

#endif
