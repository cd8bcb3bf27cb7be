/*
 * NAME
 *	audit - the audit log: one JSON record a line, chained by HMAC
 * SYNOPSIS
 *	#include <exfil/audit.h>
 *
 *	int audit_open(const struct config *cfg, struct audit **out,
 *	    char *err, size_t errlen);
 *	int audit_message(struct audit *a, const struct engine *e,
 *	    const struct message *m, const struct result *r);
 *	int audit_action(struct audit *a, const char *entry_id,
 *	    const char *action, const char *reviewer, const char *reason,
 *	    const char *detail_json);
 *	int audit_reopen(struct audit *a);
 *	void audit_flush(struct audit *a);
void audit_sync(struct audit *a);
 *	void audit_sync(struct audit *a);
 *	void audit_close(struct audit *a);
 *	int audit_verify(const char *path, const unsigned char key[32],
 *	    FILE *out, char *err, size_t errlen);
 *	int evidence_hmac_hex(const unsigned char key[32],
 *	    const char *value, size_t n, char out[65]);
 * DESCRIPTION
 *	audit_open() opens cfg->audit_log for appending (created 0600) and
 *	loads the keys of audit_key_file (the chain) and evidence_key_file
 *	(the keyed hash of matched values, optional). With audit_log empty
 *	it returns a no-op audit: every call on it succeeds and writes
 *	nothing. audit_open() writes nothing itself.
 *	audit_message() appends the record of one judged message (verdict,
 *	envelope, findings with masked evidence and the keyed hashes the
 *	scan made, parts, scan time; with e, the places of findings and
 *	parts, file names included, masked by e's rules as
 *	report_json_masked() masks them); audit_action() the record of one
 *	review action of exfil-quarantine ("release", "delete", "purge",
 *	"show", ...: lowercase letters, digits, '-' and '_', not starting
 *	with "audit-"); detail_json, when not NULL, is one JSON object on
 *	one line, stored as "exfil.detail". The record schema is
 *	exfil-audit(5).
 *	Every record ends with "audit.prev" (the MAC of the record before
 *	it) and "audit.mac", HMAC-SHA256 under the audit key of the line up
 *	to that field. An append takes the process's mutex and an exclusive
 *	flock(2) on the file, reads the last MAC from the file's tail when
 *	the file changed since our last append (another process wrote, or
 *	a restart), and writes the record with one write(2) (O_APPEND), so
 *	threads and processes never interleave or fork the chain.
 *	An empty file first gets an "audit-start" record naming the last
 *	MAC of the previous file (the one this process wrote to before
 *	audit_reopen(), else PATH.1, else none). A last line that is
 *	incomplete or not a record (a crash during a write) is ended and
 *	followed by an "audit-recover" record giving its offset, length and
 *	SHA-256, and the chain continues from the last good record.
 *	audit_fsync = always syncs each record before returning; periodic
 *	at most once a second (audit_flush(), called about once a second,
 *	syncs what is pending when a second has passed; audit_sync() syncs
 *	it now; audit_close() too).
 *	audit_reopen() opens the path again (after a rotation: SIGUSR2).
 *	audit_verify() reads a log and checks every record's MAC and its
 *	link to the record before; err says "PATH:LINE: reason" for the
 *	first bad line; with out not NULL a summary (and recovered torn
 *	lines) is printed there. audit_verify_from() also checks that the
 *	file's first record continues expect_prev (the previous file's last
 *	MAC) and returns the file's last MAC, to check rotated files in
 *	order.
 *	evidence_hmac_hex() is the keyed hash of one value: HMAC-SHA256,
 *	64 lowercase hex digits and a NUL.
 * THREAD SAFETY
 *	One struct audit may be used by any number of threads.
 * RETURN VALUE
 *	0, or a negative EXFIL_E* (EXFIL_EIO: the log cannot be written or
 *	read; EXFIL_EINVAL: bad argument or key; for audit_verify(): the
 *	chain is broken) with err set where there is one.
 * OWNERSHIP
 *	The record holds masked evidence and keyed hashes only; nothing of
 *	the message is kept after audit_message() returns.
 */
#ifndef EXFIL_AUDIT_H
#define EXFIL_AUDIT_H

#include <stddef.h>
#include <stdio.h>

struct audit;
struct config;
struct message;
struct result;

#define AUDIT_MAC_HEX 65 /* 64 hex digits and a NUL */

int audit_open(
    const struct config *cfg, struct audit **out, char *err, size_t errlen);
struct engine;
int audit_message(struct audit *a, const struct engine *e,
    const struct message *m, const struct result *r);
int audit_action(struct audit *a, const char *entry_id, const char *action,
    const char *reviewer, const char *reason, const char *detail_json);
int audit_reopen(struct audit *a);
void audit_flush(struct audit *a);
void audit_sync(struct audit *a);
void audit_close(struct audit *a);
/* audit_enabled - does a write records (audit_log set)? */
int audit_enabled(const struct audit *a);
/* audit_path - the log's path, or "" */
const char *audit_path(const struct audit *a);
/* audit_check - can audit_open() load the keys of cfg? (exfil-milter -n) */
int audit_check(const struct config *cfg, char *err, size_t errlen);
/* audit_evidence_key - the evidence key, or NULL when none was given */
const unsigned char *audit_evidence_key(const struct audit *a);

int audit_verify(const char *path, const unsigned char key[32], FILE *out,
    char *err, size_t errlen);
int audit_verify_from(const char *path, const unsigned char key[32],
    const char *expect_prev, char last_mac[AUDIT_MAC_HEX], FILE *out, char *err,
    size_t errlen);

int evidence_hmac_hex(const unsigned char key[32], const char *value, size_t n,
    char out[AUDIT_MAC_HEX]);

/*
 * audit_verify_main - verify files[] (none: audit_log) with the key of
 * key_path (NULL: audit_key_file), messages prefixed by prog; the exit
 * status: 0 intact, 1 broken (the first bad line named), 2 other errors
 */
int audit_verify_main(const struct config *cfg, const char *conf_path,
    const char *key_path, char **files, int nfiles, int quiet,
    const char *prog);

#endif
