/*
 * NAME
 *	quarantine - durable, optionally encrypted store of held messages
 * SYNOPSIS
 *	#include <exfil/quarantine.h>
 *
 *	int quarantine_store(const struct engine *e, struct message *m,
 *	    const struct result *r, char *path, size_t pathlen);
 *	bool quarantine_has_room(const struct config *cfg, char *why,
 *	    size_t whylen);
 *	int quarantine_entry_dir(const char *id, char *out, size_t outlen);
 *	int quarantine_replace(int dirfd, const char *name,
 *	    const void *p, size_t n);
 * DESCRIPTION
 *	An entry is named by the message's reference id (8 hex digits of
 *	the time, 12 random ones) and lives in quarantine_dir/YYYY/MM/DD/
 *	(the id's UTC day, quarantine_entry_dir()), so that no folder grows
 *	beyond one day's mail and ids sort by time. It is two files:
 *	ID.eml, the message exactly as received (ID.eml.sealed instead,
 *	encrypted with qcrypt(3), when quarantine_public_key is set), and
 *	ID.json, the metadata record: id, time, status "held", queue id,
 *	client address, authenticated user, envelope sender and recipients
 *	(each marked external or not), the Subject and Message-ID (masked
 *	by engine_masked() when a rule fires on them), size, encryption and
 *	key id, the scan (report_json_masked(): verdict, score, findings
 *	with masked evidence, attachments with type and SHA-256, file names
 *	masked) and a history whose first step is the quarantine itself.
 *	The metadata is written last: an entry without ID.json is
 *	incomplete and never listed.
 *	Every file is created 0600 under a temporary name, fsync'd and
 *	renamed into place, and the folder is fsync'd (new day folders,
 *	0700, are fsync'd into their parents), all before
 *	quarantine_store() returns: only then may the milter answer
 *	"discard". A failure removes what was half-written.
 *	quarantine_has_room() is false when less than quarantine_min_free
 *	percent of the file system's space or inodes is free (why says
 *	which); the milter then tempfails instead of quarantining.
 *	quarantine_replace() writes a file the same atomic way (the tool
 *	uses it to update the metadata).
 * RETURN VALUE
 *	0, or EXFIL_EIO/EXFIL_ENOMEM/EXFIL_EINTERNAL (errno says why); the
 *	caller applies on_error (by default tempfail: the message stays with
 *	the client). quarantine_entry_dir() returns EXFIL_EINVAL for a
 *	string that is not an id.
 */
#ifndef EXFIL_QUARANTINE_H
#define EXFIL_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct engine;
struct message;
struct result;

#define QUARANTINE_ID_LEN 20

int quarantine_store(const struct engine *e, struct message *m,
    const struct result *r, char *path, size_t pathlen);
bool quarantine_has_room(const struct config *cfg, char *why, size_t whylen);
int quarantine_entry_dir(const char *id, char *out, size_t outlen);
int quarantine_replace(int dirfd, const char *name, const void *p, size_t n);
/* quarantine_mkdirs - open dir/rel, creating its folders 0700 (fsync'd) */
int quarantine_mkdirs(const char *dir, const char *rel);

#endif
