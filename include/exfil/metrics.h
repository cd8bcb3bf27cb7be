/*
 * NAME
 *	metrics - counters and histograms of the daemon, Prometheus text
 * SYNOPSIS
 *	#include <exfil/metrics.h>
 *
 *	void metrics_message(const struct message *m,
 *	    const struct result *r);
 *	void metrics_audit_error(void);
 *	int metrics_render(struct buf *b, const char *quarantine_dir);
 *	int metrics_summary(struct buf *b);
 *	int metrics_serve(const char *listen, const char *quarantine_dir,
 *	    char *err, size_t errlen);
 * DESCRIPTION
 *	One set of counters per process, guarded by a mutex.
 *	metrics_message() counts one judged message: its verdict, each
 *	finding by rule and category, its scan time (a histogram), the
 *	message and text bytes scanned, an internal error, each limit flag
 *	(MSG_F_*). metrics_audit_error() counts an audit record that could
 *	not be written.
 *	metrics_render() writes the Prometheus text exposition format
 *	(version 0.0.4), with the quarantine's messages (ID.eml and
 *	ID.eml.sealed files, in the day folders too) and bytes counted when
 *	the page is asked for. metrics_summary() writes one log line of the
 *	main figures (SIGUSR2).
 *	metrics_serve() binds listen ("ADDRESS:PORT", config(3)) and starts
 *	a thread that answers "GET /metrics" (and "GET /") with the page,
 *	one request a connection; call it after the signals are blocked.
 * RETURN VALUE
 *	0, or EXFIL_ENOMEM; metrics_serve() EXFIL_EINVAL or EXFIL_EIO with
 *	err set.
 */
#ifndef EXFIL_METRICS_H
#define EXFIL_METRICS_H

#include <stddef.h>

#include <exfil/buf.h>

struct message;
struct result;

void metrics_message(const struct message *m, const struct result *r);
void metrics_audit_error(void);
int metrics_render(struct buf *b, const char *quarantine_dir);
int metrics_summary(struct buf *b);
int metrics_serve(
    const char *listen, const char *quarantine_dir, char *err, size_t errlen);

#endif
