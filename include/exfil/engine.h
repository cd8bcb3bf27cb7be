/*
 * NAME
 *	engine - one message through mime, filetype, text, scan and policy
 * SYNOPSIS
 *	#include <exfil/engine.h>
 *
 *	int engine_new(struct config *cfg, struct engine **out,
 *	    char *err, size_t errlen);
 *	int engine_scan(struct engine *e, struct message *m,
 *	    struct result *r);
 *	void engine_unref(struct engine *e);
 * DESCRIPTION
 *	An engine pairs a configuration with the rule set compiled from its
 *	rules_dir. It is immutable and reference-counted: the daemon swaps
 *	in a new one on reload while messages in flight finish on the one
 *	they started with. exfil-scan and the milter run this same code.
 *	engine_scan() decides the direction (outbound when a recipient is
 *	outside internal_domains, or when there are no recipients, as for a
 *	saved file), walks the MIME tree, types each part with libmagic,
 *	turns it into UTF-8 text (charset, HTML, printable runs of
 *	binaries), scans it (with the key of evidence_key_file, loaded by
 *	engine_new(), for the keyed hashes of evidence), hashes it (SHA-256) and asks the policy for a
 *	verdict. It always fills r->verdict: an internal error becomes
 *	on_error, a limit becomes a flag and on_limit.
 *	engine_scan_dump() does the same and also appends to dump every text
 *	segment exactly as the rules see it, each after a line
 *	"--- WHERE (SCOPE[, TYPE])", for exfil-scan --dump and the golden
 *	tests.
 * RETURN VALUE
 *	0; r->error is set when the scan failed internally.
 * OWNERSHIP
 *	Everything in r lives in the message's arena, except r->scan's
 *	match data, released by result_free().
 */
#ifndef EXFIL_ENGINE_H
#define EXFIL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include <exfil/buf.h>
#include <exfil/policy.h>
#include <exfil/scan.h>

struct config;
struct ruleset;
struct message;

struct engine {
	int refs;
	struct config *cfg;
	struct ruleset *rs;
	bool naive; /* scan_set_naive(): tests and benchmarks only */
	void *override_re; /* override_marker, compiled (pcre2_code) */
	struct evp_pkey_st *qkey; /* quarantine_public_key, or NULL */
	unsigned char release_key[32]; /* release_secret_file */
	bool has_release_key;
	bool evidence_keyed; /* evidence_key_file was loaded */
	unsigned char evidence_key[32];
};

struct part_info {
	const char *where;
	const char *type; /* libmagic */
	const char *declared; /* Content-Type, or NULL */
	size_t size;
	char sha256[65];
	bool encrypted;
	const char *mismatch; /* how the name or Content-Type disguises the
			       * true type (filetype_mismatch()), or NULL */
};

struct result {
	struct verdict verdict;
	bool outbound;
	unsigned nexternal;
	bool scanned;
	bool error;
	struct scan scan;
	struct part_info *parts;
	size_t nparts, parts_cap;
	const char **errors;
	size_t nerrors, errors_cap;
	char ref[24];
	double elapsed_ms;
	const char *override; /* the sender's justification, or NULL */
};

int engine_new(
    struct config *cfg, struct engine **out, char *err, size_t errlen);
struct engine *engine_ref(struct engine *e);
void engine_unref(struct engine *e);
int engine_scan(struct engine *e, struct message *m, struct result *r);
int engine_scan_dump(
    struct engine *e, struct message *m, struct result *r, struct buf *dump);
void result_free(struct result *r);

/*
 * engine_admit - may one more message enter the scan stage (max_scans)?
 * true: it is counted until engine_leave(). false: r is filled as a
 * tempfail ("busy", a new reference id) and nothing is counted.
 */
bool engine_admit(const struct engine *e, struct result *r);
void engine_leave(void);

/* engine_ref_id - a new reference id: sortable by time, unguessable */
void engine_ref_id(char *out, size_t outlen);

/*
 * engine_masked - text (a Subject, a file name) as a log, a notice or the
 * quarantine's metadata may show it: on one line, and masked as evidence
 * is (scan_mask) when any rule fires on it in that scope; NULL when out
 * of memory (or text is NULL).
 */
struct arena;
const char *engine_masked(const struct engine *e, struct arena *a,
    const char *text, const char *where, unsigned scope);

#endif
