/*
 * NAME
 *	verdict - the actions a message can end in, in order of severity
 * SYNOPSIS
 *	#include <exfil/verdict.h>
 * DESCRIPTION
 *	accept < tag < quarantine < reject; tempfail stands apart: it is
 *	what errors become by default (the MTA keeps the message and
 *	retries). action_parse() and action_name() convert to and from the
 *	words used in the configuration, the rules and the JSON output.
 */
#ifndef EXFIL_VERDICT_H
#define EXFIL_VERDICT_H

enum action {
	ACTION_ACCEPT = 0,
	ACTION_TAG,
	ACTION_QUARANTINE,
	ACTION_REJECT,
	ACTION_TEMPFAIL,
};

const char *action_name(enum action a);
int action_parse(const char *word, enum action *out);

#endif
