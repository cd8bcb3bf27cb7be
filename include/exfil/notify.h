/*
 * NAME
 *	notify - tell the sender that a message was held or rejected
 * SYNOPSIS
 *	#include <exfil/notify.h>
 *
 *	int notify_build(const struct engine *e, struct message *m,
 *	    const struct result *r, bool split, struct buf *out);
 *	int notify_sender(const struct engine *e, struct message *m,
 *	    const struct result *r);
 * DESCRIPTION
 *	With notify_sender = yes, a message that was quarantined or
 *	rejected (or split: its external recipients removed) makes a notice
 *	to its sender, when the sender's domain is one of internal_domains
 *	(never to the outside: no backscatter). The notice is the template
 *	file notify_template (or a built-in text when it is empty), with
 *	%REF%, %ACTION%, %CATEGORIES%, %SUBJECT%, %RECIPIENTS%, %DATE% and
 *	%SENDER% replaced: the categories found, never the data; the subject
 *	masked as evidence is (scan_mask) when any rule fires on it, and no
 *	value can break a header line.
 *	It is submitted through notify_via: "sendmail:PATH" (the local
 *	sendmail command, started with posix_spawn) or "smtp:HOST:PORT" (a
 *	plain SMTP dialogue on a bounded timeout), from notify_from.
 *	notify_build() writes the notice (headers and body) into out;
 *	notify_sender() builds and submits it.
 * RETURN VALUE
 *	0 (sent, or nothing to send), or EXFIL_EIO with the reason logged.
 *	A failed notice never changes the verdict.
 */
#ifndef EXFIL_NOTIFY_H
#define EXFIL_NOTIFY_H

#include <stdbool.h>

#include <exfil/buf.h>

struct engine;
struct message;
struct result;

bool notify_wanted(const struct engine *e, const struct message *m,
    const struct result *r, bool split);
int notify_build(const struct engine *e, struct message *m,
    const struct result *r, bool split, struct buf *out);
int notify_sender(const struct engine *e, struct message *m,
    const struct result *r, bool split);

#endif
