/*
 * NAME
 *	quarantine - durable store of held messages
 * SYNOPSIS
 *	#include <exfil/quarantine.h>
 *
 *	int quarantine_store(const struct config *cfg, struct message *m,
 *	    const struct result *r, char *path, size_t pathlen);
 * DESCRIPTION
 *	Writes the whole message, as received, to
 *	quarantine_dir/<ref>.eml and a metadata record (envelope, verdict,
 *	findings with masked evidence, parts with SHA-256) to
 *	quarantine_dir/<ref>.json. Each file is written under a temporary
 *	name with mode 0600, fsync'd, renamed into place, and the folder is
 *	fsync'd, all before this function returns: only then may the milter
 *	answer "discard". A failure removes what was half-written.
 * RETURN VALUE
 *	0, or EXFIL_EIO/EXFIL_ENOMEM (errno says why); the caller applies
 *	on_error (by default tempfail: the message stays with the client).
 */
#ifndef EXFIL_QUARANTINE_H
#define EXFIL_QUARANTINE_H

#include <stddef.h>

struct config;
struct message;
struct result;

int quarantine_store(const struct config *cfg, struct message *m,
    const struct result *r, char *path, size_t pathlen);

#endif
