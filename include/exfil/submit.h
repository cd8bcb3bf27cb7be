/*
 * NAME
 *	submit - hand a message to the MTA: sendmail command or SMTP
 * SYNOPSIS
 *	#include <exfil/submit.h>
 *
 *	int submit_message(const char *via, const char *from,
 *	    char *const *rcpts, size_t nrcpts, const char *msg, size_t len,
 *	    char *err, size_t errlen);
 * DESCRIPTION
 *	via is "sendmail:PATH" (PATH -i -f FROM -- RCPT..., started with
 *	posix_spawn, the message on its standard input; success is exit
 *	status 0) or "smtp:HOST:PORT" (EHLO, falling back to HELO, MAIL,
 *	one RCPT a recipient, DATA with every line ending in CRLF and
 *	dot-stuffed; success is the 250 after the final dot). Every
 *	connect, read and write gives up after SUBMIT_TIMEOUT_MS. The
 *	message may hold any bytes (8bit bodies, NULs are sent as they are).
 *	A recipient the server refuses fails the whole submission: nothing
 *	is sent to the others (the transaction is reset).
 * RETURN VALUE
 *	0 once the MTA accepted the message, or EXFIL_EIO with a one-line
 *	reason in err (the server's reply text when there is one).
 */
#ifndef EXFIL_SUBMIT_H
#define EXFIL_SUBMIT_H

#include <stddef.h>

#define SUBMIT_TIMEOUT_MS 20000

int submit_message(const char *via, const char *from, char *const *rcpts,
    size_t nrcpts, const char *msg, size_t len, char *err, size_t errlen);

#endif
