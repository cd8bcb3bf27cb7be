/*
 * qreview.c - review side of the quarantine (see include/exfil/qreview.h)
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <exfil/common.h>
#include <exfil/keyfile.h>
#include <exfil/qcrypt.h>
#include <exfil/qreview.h>
#include <exfil/quarantine.h>

/* qreview_lock - one writer at a time: an flock held until exit */
int
qreview_lock(const char *qdir, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/.lock", qdir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXFIL_EIO;
	}
	return 0; /* fd stays open: the lock lasts as long as we do */
}

const char *
qreview_str(const struct qentry *q, const char *key)
{
	json_object *v;

	if (q->meta && json_object_object_get_ex(q->meta, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* a whole file into b */
static int
read_all(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return EXFIL_EIO;
	rc = buf_read_fd(b, fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* qreview_load - an entry's metadata by id */
int
qreview_load(const char *qdir, const char *id, struct qentry *q, char *err,
    size_t errlen)
{
	char path[4096], hex[9];
	struct buf b = {0};
	int rc = 0;

	memset(q, 0, sizeof(*q));
	if (quarantine_entry_dir(id, q->day, sizeof(q->day)) < 0) {
		snprintf(
		    err, errlen, "%s: not a quarantine id (20 hex digits)", id);
		return EXFIL_EINVAL;
	}
	snprintf(q->id, sizeof(q->id), "%s", id);
	for (char *p = q->id; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(path, sizeof(path), "%s/%s/%s.json", qdir, q->day, q->id);
	if (read_all(path, &b) < 0) {
		snprintf(err, errlen, "%s: no such entry (%s: %s)", id, path,
		    strerror(errno));
		rc = EXFIL_EIO;
		goto out;
	}
	if ((q->meta = json_tokener_parse(b.p)) == NULL ||
	    !json_object_is_type(q->meta, json_type_object) ||
	    strcmp(qreview_str(q, "id"), q->id) != 0) {
		snprintf(err, errlen,
		    "%s: metadata is damaged (not the JSON "
		    "record of this entry)",
		    path);
		json_object_put(q->meta);
		q->meta = NULL;
		rc = EXFIL_EINVAL;
		goto out;
	}
	memcpy(hex, q->id, 8);
	hex[8] = '\0';
	q->time = (time_t)strtoul(hex, NULL, 16);
out:
	buf_free(&b);
	return rc;
}

void
qreview_free(struct qentry *q)
{
	json_object_put(q->meta);
	q->meta = NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * the names in a folder, sorted; NULL-terminated, NULL on error; names
 * that start with a dot only with hidden (never "." and "..")
 */
static char **
sorted_names(const char *path, bool hidden)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (!hidden || strcmp(de->d_name, ".") == 0 ||
			strcmp(de->d_name, "..") == 0))
			continue;
		if ((nv = realloc(v, (n + 2) * sizeof(*v))) == NULL)
			break;
		v = nv;
		if ((v[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_name);
	return v;
}

static void
free_names(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* is the day folder y/m/d (as numbers) within [since, until]? */
static int
day_in_range(int y, int m, int d, time_t since, time_t until)
{
	struct tm tm = {0};
	time_t start;

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	start = timegm(&tm);
	if (since && start + 86400 <= since)
		return 0;
	if (until && start > until)
		return 0;
	return 1;
}

/* one day folder (its path, and all the names in it, sorted) */
typedef int day_fn(const char *path, char **names, void *arg);

/*
 * Every day folder YYYY/MM/DD of qdir whose day meets [since, until] (0:
 * no bound), oldest first; stops at the first fn that returns non-zero.
 */
static int
walk_days(const char *qdir, time_t since, time_t until, day_fn *fn, void *arg)
{
	char path[4096];
	char **ys = sorted_names(qdir, false), **ms, **ds, **fs;
	size_t a, b, c;
	int rc = 0;

	for (a = 0; ys && ys[a] && rc == 0; a++) {
		if (strlen(ys[a]) != 4 || !isdigit((unsigned char)ys[a][0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", qdir, ys[a]);
		ms = sorted_names(path, false);
		for (b = 0; ms && ms[b] && rc == 0; b++) {
			snprintf(
			    path, sizeof(path), "%s/%s/%s", qdir, ys[a], ms[b]);
			ds = sorted_names(path, false);
			for (c = 0; ds && ds[c] && rc == 0; c++) {
				if (!day_in_range(atoi(ys[a]), atoi(ms[b]),
					atoi(ds[c]), since, until))
					continue;
				snprintf(path, sizeof(path), "%s/%s/%s/%s",
				    qdir, ys[a], ms[b], ds[c]);
				/* the day: temporary files too (the sweep) */
				fs = sorted_names(path, true);
				rc = fs ? fn(path, fs, arg) : 0;
				free_names(fs);
			}
			free_names(ds);
		}
		free_names(ms);
	}
	free_names(ys);
	return rc;
}

struct entries {
	const char *qdir;
	time_t since, until;
	qreview_fn *fn;
	void *arg;
};

/* the complete entries (ID.json) of one day folder */
static int
day_entries(const char *path, char **names, void *arg)
{
	struct entries *w = arg;
	char err[512];
	struct qentry q;
	size_t f;
	int rc = 0;

	(void)path;
	for (f = 0; names[f] && rc == 0; f++) {
		if (strlen(names[f]) != QUARANTINE_ID_LEN + 5 ||
		    strcmp(names[f] + QUARANTINE_ID_LEN, ".json") != 0)
			continue;
		names[f][QUARANTINE_ID_LEN] = '\0';
		if (qreview_load(w->qdir, names[f], &q, err, sizeof(err)) < 0) {
			fprintf(stderr, "exfil-quarantine: %s\n", err);
			continue;
		}
		if ((!w->since || q.time >= w->since) &&
		    (!w->until || q.time <= w->until))
			rc = w->fn(&q, w->arg);
		qreview_free(&q);
	}
	return rc;
}

/* qreview_walk - every complete entry in [since, until], oldest first */
int
qreview_walk(
    const char *qdir, time_t since, time_t until, qreview_fn *fn, void *arg)
{
	struct entries w = {qdir, since, until, fn, arg};

	return walk_days(qdir, since, until, day_entries, &w);
}

/* path of the entry's message file: clear or sealed */
static void
message_path(const char *qdir, const struct qentry *q, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", qdir, qreview_str(q, "file"));
	if (strstr(qreview_str(q, "file"), "..") != NULL ||
	    strncmp(qreview_str(q, "file"), q->day, strlen(q->day)) != 0)
		snprintf(out, n, "%s/%s/%s.eml", qdir, q->day, q->id);
}

/* the private key whose id the entry names (the first one, if none) */
static EVP_PKEY *
pick_key(const struct qentry *q, EVP_PKEY *const *keys, size_t nkeys)
{
	char id[2 * QCRYPT_KEYID_LEN + 1];
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (qcrypt_key_id(keys[i], id) == 0 &&
		    strcmp(id, qreview_str(q, "key_id")) == 0)
			return keys[i];
	/* qcrypt_open() then says which key the file wants */
	return nkeys ? keys[0] : NULL;
}

/* qreview_message - the stored message, only when intact */
int
qreview_message(const char *qdir, const struct qentry *q, EVP_PKEY *const *keys,
    size_t nkeys, struct buf *out, char *err, size_t errlen)
{
	char path[4096], why[512], hex[65];
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	json_object *enc;
	int fd, rc, sealed;

	buf_reset(out);
	sealed = json_object_object_get_ex(q->meta, "encrypted", &enc) &&
	    json_object_get_boolean(enc);
	message_path(qdir, q, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EXFIL_EIO;
	}
	if (sealed) {
		EVP_PKEY *priv = pick_key(q, keys, nkeys);
		if (priv == NULL) {
			snprintf(err, errlen,
			    "%s: the message is encrypted: set "
			    "quarantine_private_key (or -k FILE)",
			    q->id);
			close(fd);
			return EXFIL_EINVAL;
		}
		rc = qcrypt_open(fd, priv, out, why, sizeof(why));
		close(fd);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path, why);
			return rc;
		}
	} else {
		close(fd);
		if ((rc = read_all(path, out)) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return rc;
		}
		if (qcrypt_is_sealed(out->p, out->len)) {
			snprintf(err, errlen,
			    "%s: encrypted, but the metadata "
			    "says it is not (altered)",
			    path);
			buf_reset(out);
			return EXFIL_EINVAL;
		}
	}
	if (EVP_Digest(out->p, out->len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return EXFIL_EINTERNAL;
	keyfile_hex(md, sizeof(md), hex);
	if (strcmp(hex, qreview_str(q, "sha256")) != 0) {
		snprintf(err, errlen,
		    "%s: altered or truncated (its SHA-256 is not the one "
		    "recorded when it was quarantined)",
		    path);
		OPENSSL_cleanse(out->p, out->len);
		buf_reset(out);
		return EXFIL_EINVAL;
	}
	return 0;
}

/* qreview_record - new status and a history step, written atomically */
int
qreview_record(const char *qdir, struct qentry *q, const char *status,
    const char *action, const char *by, const char *reason, const char *detail)
{
	char path[4096], when[32];
	json_object *hist, *step;
	const char *text;
	struct tm tm;
	time_t now = time(NULL);
	int dirfd, rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (status)
		json_object_object_add(
		    q->meta, "status", json_object_new_string(status));
	if (!json_object_object_get_ex(q->meta, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(q->meta, "history", hist);
	}
	step = json_object_new_object();
	json_object_object_add(step, "time", json_object_new_string(when));
	json_object_object_add(step, "action", json_object_new_string(action));
	json_object_object_add(step, "by", json_object_new_string(by));
	if (reason)
		json_object_object_add(
		    step, "reason", json_object_new_string(reason));
	if (detail)
		json_object_object_add(
		    step, "detail", json_object_new_string(detail));
	json_object_array_add(hist, step);
	text = json_object_to_json_string_ext(
	    q->meta, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/%s", qdir, q->day);
	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return EXFIL_EIO;
	snprintf(path, sizeof(path), "%s.json", q->id);
	{
		struct buf b = {0};
		rc = buf_puts(&b, text);
		if (rc == 0)
			rc = buf_putc(&b, '\n');
		if (rc == 0)
			rc = quarantine_replace(dirfd, path, b.p, b.len);
		buf_free(&b);
	}
	close(dirfd);
	return rc;
}

/* qreview_remove_message - the message file only (delete keeps the rest) */
int
qreview_remove_message(const char *qdir, const struct qentry *q)
{
	char path[4096];

	message_path(qdir, q, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return EXFIL_EIO;
	return 0;
}

/* qreview_remove - the whole entry */
int
qreview_remove(const char *qdir, const struct qentry *q)
{
	char path[4096];

	if (qreview_remove_message(qdir, q) < 0)
		return EXFIL_EIO;
	snprintf(path, sizeof(path), "%s/%s/%s.json", qdir, q->day, q->id);
	if (unlink(path) < 0 && errno != ENOENT)
		return EXFIL_EIO;
	return 0;
}

/* is name ID.eml or ID.eml.sealed (or a .tmp. file) without ID.json? */
static bool
orphan(int dfd, const char *name)
{
	char json[64];
	struct stat st;

	if (strncmp(name, ".tmp.", 5) == 0)
		return true;
	if (strlen(name) < QUARANTINE_ID_LEN + 4 ||
	    (strcmp(name + QUARANTINE_ID_LEN, ".eml") != 0 &&
		strcmp(name + QUARANTINE_ID_LEN, ".eml.sealed") != 0))
		return false;
	snprintf(json, sizeof(json), "%.*s.json", QUARANTINE_ID_LEN, name);
	return fstatat(dfd, json, &st, 0) < 0 && errno == ENOENT;
}

struct sweep {
	time_t before;
	bool dry_run;
	int n;
};

/* the leftovers of one day folder */
static int
day_sweep(const char *path, char **names, void *arg)
{
	struct sweep *w = arg;
	struct stat st;
	size_t f;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return 0;
	for (f = 0; names[f]; f++)
		if (orphan(dfd, names[f]) &&
		    fstatat(dfd, names[f], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < w->before &&
		    (w->dry_run || unlinkat(dfd, names[f], 0) == 0))
			w->n++;
	close(dfd);
	return 0;
}

/* qreview_sweep - remove what interrupted writes left, older than before */
int
qreview_sweep(const char *qdir, time_t before, bool dry_run)
{
	struct sweep w = {before, dry_run, 0};

	(void)walk_days(qdir, 0, 0, day_sweep, &w);
	return w.n;
}
