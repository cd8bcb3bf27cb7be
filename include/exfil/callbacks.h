/*
 * NAME
 *	callbacks - the libmilter glue: thin callbacks and struct smfiDesc
 * SYNOPSIS
 *	#include <exfil/callbacks.h>
 *
 *	extern struct smfiDesc callbacks_desc;
 *	void callbacks_set_engine(struct engine *e);
 * DESCRIPTION
 *	Each callback copies what the MTA gives (client address, macros
 *	{i} and {auth_authen}, envelope, headers, body chunks) into the
 *	connection's message and returns; the engine runs only at end of
 *	message, then actions_apply() carries out the verdict. Abort and
 *	close free the message, its arena and its spool file.
 *	callbacks_set_engine() swaps in a new engine (reload); each message
 *	keeps a reference to the engine it started with.
 *	callbacks_stats() returns counters of verdicts since start.
 *	callbacks_set_audit() gives the audit log (audit(3)) that end of
 *	message writes each record to, before it answers; the caller keeps
 *	it open until smfi_main() returns.
 */
#ifndef EXFIL_CALLBACKS_H
#define EXFIL_CALLBACKS_H

#include <libmilter/mfapi.h>

struct engine;

struct callbacks_stats {
	unsigned long messages;
	unsigned long by_action[5];
	unsigned long errors;
};

extern struct smfiDesc callbacks_desc;

void callbacks_set_engine(struct engine *e);
struct engine *callbacks_engine(void);
void callbacks_stats(struct callbacks_stats *out);
struct audit;
void callbacks_set_audit(struct audit *a);

#endif
