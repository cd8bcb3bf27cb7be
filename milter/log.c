/*
 * log.c - syslog or stderr, lines tagged with the queue id
 * (see include/exfil/log.h)
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <exfil/log.h>

static int log_to_stderr = 1;
static int log_level = LOG_INFO;
static const char *log_ident = "exfil";

/* log_open - choose syslog (with facility) or stderr */
void
log_open(const char *ident, int to_stderr, int facility)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* log_set_level - drop lines less important than prio */
void
log_set_level(int prio)
{
	log_level = prio;
}

/* log_msg - one line, prefixed with the queue id when there is one */
void
log_msg(const char *qid, int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n = 0;

	if (prio > log_level)
		return;
	if (qid && *qid)
		n = snprintf(line, sizeof(line), "%s: ", qid);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (log_to_stderr) {
		static const char *names[] = {"emerg", "alert", "crit", "error",
		    "warning", "notice", "info", "debug"};
		fprintf(
		    stderr, "%s[%s]: %s\n", log_ident, names[prio & 7], line);
	} else {
		syslog(prio, "%s", line);
	}
}

/* exfil_strerror - text of an EXFIL_E* code */
const char *
exfil_strerror(int rc)
{
	switch (rc) {
	case EXFIL_OK:
		return "success";
	case EXFIL_ENOMEM:
		return "out of memory";
	case EXFIL_EIO:
		return "input/output error";
	case EXFIL_EINVAL:
		return "invalid argument";
	case EXFIL_ELIMIT:
		return "limit reached";
	default:
		return "internal error";
	}
}
