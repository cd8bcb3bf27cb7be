/*
 * NAME
 *	qreview - read and change quarantine entries (exfil-quarantine)
 * SYNOPSIS
 *	#include <exfil/qreview.h>
 *
 *	int qreview_load(const char *qdir, const char *id, struct qentry *q,
 *	    char *err, size_t errlen);
 *	int qreview_walk(const char *qdir, time_t since, time_t until,
 *	    qreview_fn *fn, void *arg);
 *	int qreview_message(const char *qdir, const struct qentry *q,
 *	    EVP_PKEY *const *keys, size_t nkeys, struct buf *out,
 *	    char *err, size_t errlen);
 *	int qreview_record(const char *qdir, struct qentry *q,
 *	    const char *status, const char *action, const char *by,
 *	    const char *reason, const char *detail);
 *	int qreview_remove_message(const char *qdir, const struct qentry *q);
 *	int qreview_remove(const char *qdir, const struct qentry *q);
 *	void qreview_free(struct qentry *q);
 * DESCRIPTION
 *	The review side of quarantine(3). An entry is its metadata record
 *	(json-c object) and the path of its message. qreview_walk() visits
 *	the entries of the day folders between since and until (0: no
 *	bound) in time order, reading only the folders in range, and skips
 *	incomplete ones (no metadata) and temporary files.
 *	qreview_message() returns the stored message only when it is
 *	intact, decrypted with the one of keys[] whose key id the entry
 *	names (so that old entries open after a key rotation): a sealed file is authenticated by qcrypt_open() (a wrong or
 *	missing key, a truncated or altered file are errors), and the
 *	SHA-256 of the plaintext must match the metadata's; err says why
 *	not, and out stays empty.
 *	qreview_record() sets the status (when not NULL), appends a step to
 *	the history (time, action, by, reason, detail) and rewrites the
 *	metadata atomically. Callers serialise changes with qreview_lock().
 * RETURN VALUE
 *	0, or EXFIL_EIO/EXFIL_EINVAL/EXFIL_ENOMEM with err set where given;
 *	qreview_walk() returns what fn returned when it was not 0.
 */
#ifndef EXFIL_QREVIEW_H
#define EXFIL_QREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <exfil/buf.h>

struct qentry {
	char id[32];
	char day[16]; /* YYYY/MM/DD */
	json_object *meta;
	time_t time;
};

typedef int qreview_fn(struct qentry *q, void *arg);

int qreview_lock(const char *qdir, char *err, size_t errlen);
int qreview_load(const char *qdir, const char *id, struct qentry *q, char *err,
    size_t errlen);
int qreview_walk(
    const char *qdir, time_t since, time_t until, qreview_fn *fn, void *arg);
int qreview_message(const char *qdir, const struct qentry *q,
    EVP_PKEY *const *keys, size_t nkeys, struct buf *out, char *err,
    size_t errlen);
int qreview_record(const char *qdir, struct qentry *q, const char *status,
    const char *action, const char *by, const char *reason, const char *detail);
int qreview_remove_message(const char *qdir, const struct qentry *q);
int qreview_remove(const char *qdir, const struct qentry *q);
void qreview_free(struct qentry *q);
/* qreview_str - a string member of the metadata, or "" */
const char *qreview_str(const struct qentry *q, const char *key);

/*
 * qreview_sweep - remove what a write interrupted by a crash left (a
 * message without its metadata, a temporary file: never an entry the
 * client was told was accepted) when last changed before "before"; the
 * number removed (or, with dry_run, that would be)
 */
int qreview_sweep(const char *qdir, time_t before, bool dry_run);

#endif
