/*
 * NAME
 *	release - tokens that let a released message pass the milter once
 * SYNOPSIS
 *	#include <exfil/release.h>
 *
 *	int release_token(const unsigned char key[32], struct message *m,
 *	    char *const *rcpts, size_t nrcpts, time_t expires,
 *	    char *out, size_t outlen);
 *	enum release_state release_check(const struct engine *e,
 *	    struct message *m, time_t now, const char **why);
 *	bool release_honoured(const struct engine *e, struct message *m,
 *	    struct result *r);
 *	int release_purge_used(const char *quarantine_dir, time_t now);
 * DESCRIPTION
 *	exfil-quarantine release adds a header HEADER_PREFIX-Release whose
 *	value is "v=1; exp=EXPIRY; n=NONCE; mac=MAC": MAC is HMAC-SHA256
 *	(release_secret_file) over the version, expiry, nonce, the envelope
 *	recipients (without angle brackets, lower case, sorted, unique)
 *	and the SHA-256 of a canonical form of the message: the values of
 *	From, To, Cc, Subject, Date and Message-ID (unfolded, blanks
 *	collapsed) and the body (CRLF as LF, trailing blanks of each line
 *	and trailing empty lines dropped), so that what an MTA adds on the
 *	way (Received, a changed line ending) does not matter while any
 *	change to the content or the recipients does.
 *	release_check() verifies the header of a message the milter
 *	received, in a constant-time comparison, and consumes the nonce:
 *	a file quarantine_dir/.tokens/NONCE created with O_EXCL (durable
 *	across restarts and shared by every milter process), so that a
 *	token is honoured once. release_honoured() is the milter's use of
 *	it: with a valid token it fills r as an accepted message (reason
 *	"released", logged) and returns true; with a bad one it logs why and
 *	returns false, and the message is judged as any other. Either way
 *	the header, which starts with header_prefix, is removed before
 *	delivery with the other client-sent X-Exfil headers.
 *	release_purge_used() removes consumed nonces past their expiry.
 * RETURN VALUE
 *	release_token(): 0, or EXFIL_ENOMEM/EXFIL_EINTERNAL.
 *	release_check(): RELEASE_NONE (no token, or no release_secret_file),
 *	RELEASE_OK, or RELEASE_BAD with *why (a static string).
 *	release_purge_used(): the number removed, or EXFIL_EIO.
 */
#ifndef EXFIL_RELEASE_H
#define EXFIL_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct engine;
struct message;
struct result;

enum release_state { RELEASE_NONE, RELEASE_OK, RELEASE_BAD };

#define RELEASE_HEADER_SUFFIX "Release"

int release_token(const unsigned char key[32], struct message *m,
    char *const *rcpts, size_t nrcpts, time_t expires, char *out,
    size_t outlen);
enum release_state release_check(
    const struct engine *e, struct message *m, time_t now, const char **why);
bool release_honoured(
    const struct engine *e, struct message *m, struct result *r);
int release_purge_used(const char *quarantine_dir, time_t now);

#endif
