/*
 * NAME
 *	log - syslog (mail facility) or stderr, tagged with the queue id
 * SYNOPSIS
 *	#include <exfil/log.h>
 *
 *	void log_open(const char *ident, int to_stderr, int facility);
 *	void log_msg(const char *qid, int prio, const char *fmt, ...);
 * DESCRIPTION
 *	Every line about a message starts with its queue id ("4F2A1C: "),
 *	as other milters do. Never pass matched content to these functions:
 *	rule ids, counts and masked evidence only.
 *	log_set_level() drops lines less important than the given priority.
 */
#ifndef EXFIL_LOG_H
#define EXFIL_LOG_H

#include <syslog.h>

#include <exfil/common.h>

void log_open(const char *ident, int to_stderr, int facility);
void log_set_level(int prio);
void log_msg(const char *qid, int prio, const char *fmt, ...)
    EXFIL_PRINTF(3, 4);

#endif
