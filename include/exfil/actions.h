/*
 * NAME
 *	actions - carry out a verdict through libmilter
 * SYNOPSIS
 *	#include <exfil/actions.h>
 *
 *	sfsistat actions_apply(SMFICTX *ctx, const struct engine *e,
 *	    struct message *m, struct result *r);
 *	sfsistat actions_audit(SMFICTX *ctx, const struct engine *e,
 *	    struct audit *a, struct message *m, struct result *r,
 *	    sfsistat st);
 * DESCRIPTION
 *	The only place that edits the message. Always removes every header
 *	that starts with header_prefix ("X-Exfil-") that the client sent, so
 *	that nobody can forge a verdict. Then:
 *	accept      nothing more;
 *	tag         adds X-Exfil-Verdict: tag, X-Exfil-Score and X-Exfil-Ref
 *	            (X-Exfil-Rules only when tag_rules_header is set);
 *	quarantine  stores the message (quarantine(3)) and discards it; if
 *	            it cannot be stored, on_error decides (tempfail by
 *	            default), never a silent loss;
 *	reject      550 5.7.1 reject_reply (ref ID);
 *	tempfail    451 4.7.1 tempfail_reply (ref ID).
 *	A Subject with the override marker (override_marker) loses it before
 *	delivery, whatever the verdict.
 *	Reply texts never carry matched data.
 *	actions_audit() writes the message's audit record (audit(3)) with
 *	the verdict as carried out, before the daemon answers. When it
 *	cannot be written, a message that would leave (st is continue)
 *	gets on_audit_error instead: tempfail (451 tempfail_reply, the
 *	default), reject (550 reject_reply) or accept; a message already
 *	rejected, deferred or quarantined keeps its answer.
 * RETURN VALUE
 *	The sfsistat to return from the end-of-message callback.
 */
#ifndef EXFIL_ACTIONS_H
#define EXFIL_ACTIONS_H

#include <libmilter/mfapi.h>

struct config;
struct engine;
struct message;
struct result;

sfsistat actions_apply(
    SMFICTX *ctx, const struct engine *e, struct message *m, struct result *r);
struct audit;
sfsistat actions_audit(SMFICTX *ctx, const struct engine *e, struct audit *a,
    struct message *m, struct result *r, sfsistat st);

#endif
