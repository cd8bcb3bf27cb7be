/*
 * filetype.c - libmagic handle pool (see include/exfil/filetype.h)
 */
#include "config.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/filetype.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static magic_t *pool;
static unsigned pool_size, pool_free;

/* filetype_init - load the database into n handles */
int
filetype_init(unsigned handles)
{
	unsigned i;

	if (pool)
		return 0;
	if (handles == 0)
		handles = 1;
	if ((pool = calloc(handles, sizeof(*pool))) == NULL)
		return EXFIL_ENOMEM;
	for (i = 0; i < handles; i++) {
		pool[i] = magic_open(
		    MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
		if (pool[i] == NULL || magic_load(pool[i], NULL) != 0) {
			if (pool[i])
				magic_close(pool[i]);
			while (i-- > 0)
				magic_close(pool[i]);
			free(pool);
			pool = NULL;
			return EXFIL_EIO;
		}
	}
	pool_size = pool_free = handles;
	return 0;
}

/* filetype_detect - the true MIME type of the bytes */
const char *
filetype_detect(struct arena *a, const void *p, size_t n)
{
	const char *t;
	const char *res;
	magic_t m;

	if (pool == NULL)
		return "application/octet-stream";
	if (n == 0)
		return "application/x-empty";
	pthread_mutex_lock(&pool_lock);
	while (pool_free == 0)
		pthread_cond_wait(&pool_cond, &pool_lock);
	m = pool[--pool_free];
	pthread_mutex_unlock(&pool_lock);

	t = magic_buffer(m, p, n > FILETYPE_PEEK ? FILETYPE_PEEK : n);
	res = arena_strdup(a, t ? t : "application/octet-stream");

	pthread_mutex_lock(&pool_lock);
	pool[pool_free++] = m;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	return res;
}

/* filetype_fini - close the handles */
void
filetype_fini(void)
{
	unsigned i;

	for (i = 0; pool && i < pool_size; i++)
		magic_close(pool[i]);
	free(pool);
	pool = NULL;
	pool_size = pool_free = 0;
}

/* what a type or a name says a file is */
enum ft_kind {
	K_NONE = 0, /* says nothing, or nothing that matters here */
	K_TEXT,
	K_IMAGE,
	K_MEDIA,
	K_WEB,
	K_PDF,
	K_OFFICE,
	K_ARCHIVE,
	K_EXEC,
};

static const char *const kind_names[] = {"", "text", "image", "media",
    "web page", "PDF", "Office document", "archive", "executable"};

/* file name extensions, lower case, by kind */
static const struct {
	const char *ext;
	enum ft_kind kind;
} exts[] = {
    {"txt", K_TEXT},
    {"csv", K_TEXT},
    {"tsv", K_TEXT},
    {"log", K_TEXT},
    {"md", K_TEXT},
    {"json", K_TEXT},
    {"xml", K_TEXT},
    {"ini", K_TEXT},
    {"cfg", K_TEXT},
    {"conf", K_TEXT},
    {"yaml", K_TEXT},
    {"yml", K_TEXT},
    {"ics", K_TEXT},
    {"vcf", K_TEXT},
    {"jpg", K_IMAGE},
    {"jpeg", K_IMAGE},
    {"png", K_IMAGE},
    {"gif", K_IMAGE},
    {"bmp", K_IMAGE},
    {"tif", K_IMAGE},
    {"tiff", K_IMAGE},
    {"webp", K_IMAGE},
    {"svg", K_IMAGE},
    {"heic", K_IMAGE},
    {"ico", K_IMAGE},
    {"mp3", K_MEDIA},
    {"wav", K_MEDIA},
    {"m4a", K_MEDIA},
    {"ogg", K_MEDIA},
    {"flac", K_MEDIA},
    {"wma", K_MEDIA},
    {"aac", K_MEDIA},
    {"mp4", K_MEDIA},
    {"mov", K_MEDIA},
    {"avi", K_MEDIA},
    {"mkv", K_MEDIA},
    {"wmv", K_MEDIA},
    {"webm", K_MEDIA},
    {"mpg", K_MEDIA},
    {"mpeg", K_MEDIA},
    {"htm", K_WEB},
    {"html", K_WEB},
    {"pdf", K_PDF},
    {"doc", K_OFFICE},
    {"docx", K_OFFICE},
    {"docm", K_OFFICE},
    {"dot", K_OFFICE},
    {"dotx", K_OFFICE},
    {"dotm", K_OFFICE},
    {"xls", K_OFFICE},
    {"xlsx", K_OFFICE},
    {"xlsm", K_OFFICE},
    {"xlsb", K_OFFICE},
    {"xlt", K_OFFICE},
    {"xltx", K_OFFICE},
    {"xltm", K_OFFICE},
    {"ppt", K_OFFICE},
    {"pptx", K_OFFICE},
    {"pptm", K_OFFICE},
    {"pps", K_OFFICE},
    {"ppsx", K_OFFICE},
    {"pot", K_OFFICE},
    {"potx", K_OFFICE},
    {"potm", K_OFFICE},
    {"odt", K_OFFICE},
    {"ods", K_OFFICE},
    {"odp", K_OFFICE},
    {"odg", K_OFFICE},
    {"ott", K_OFFICE},
    {"ots", K_OFFICE},
    {"otp", K_OFFICE},
    {"rtf", K_OFFICE},
    {"msg", K_OFFICE},
    {"vsd", K_OFFICE},
    {"vsdx", K_OFFICE},
    {"pub", K_OFFICE},
    {"zip", K_ARCHIVE},
    {"7z", K_ARCHIVE},
    {"rar", K_ARCHIVE},
    {"tar", K_ARCHIVE},
    {"gz", K_ARCHIVE},
    {"tgz", K_ARCHIVE},
    {"bz2", K_ARCHIVE},
    {"tbz", K_ARCHIVE},
    {"tbz2", K_ARCHIVE},
    {"xz", K_ARCHIVE},
    {"txz", K_ARCHIVE},
    {"lz", K_ARCHIVE},
    {"lzma", K_ARCHIVE},
    {"zst", K_ARCHIVE},
    {"z", K_ARCHIVE},
    {"cab", K_ARCHIVE},
    {"cpio", K_ARCHIVE},
    {"jar", K_ARCHIVE},
    {"war", K_ARCHIVE},
    {"ear", K_ARCHIVE},
    {"apk", K_ARCHIVE},
    {"epub", K_ARCHIVE},
    {"iso", K_ARCHIVE},
    {"exe", K_EXEC},
    {"dll", K_EXEC},
    {"msi", K_EXEC},
    {"scr", K_EXEC},
    {"com", K_EXEC},
    {"sys", K_EXEC},
    {"cpl", K_EXEC},
    {"ocx", K_EXEC},
    {"so", K_EXEC},
    {"elf", K_EXEC},
    {"dylib", K_EXEC},
};

/* MIME types, exact, by kind: those libmagic gives and clients declare */
static const struct {
	const char *type;
	enum ft_kind kind;
} types[] = {
    {"application/pdf", K_PDF},
    {"application/x-pdf", K_PDF},
    {"application/msword", K_OFFICE},
    {"application/rtf", K_OFFICE},
    {"application/x-ole-storage", K_OFFICE},
    {"application/cdfv2", K_OFFICE},
    {"application/encrypted", K_OFFICE},
    {"application/ms-tnef", K_OFFICE},
    {"application/vnd.ms-tnef", K_OFFICE},
    {"application/zip", K_ARCHIVE},
    {"application/x-zip-compressed", K_ARCHIVE},
    {"application/java-archive", K_ARCHIVE},
    {"application/x-java-archive", K_ARCHIVE},
    {"application/vnd.android.package-archive", K_ARCHIVE},
    {"application/epub+zip", K_ARCHIVE},
    {"application/x-7z-compressed", K_ARCHIVE},
    {"application/x-tar", K_ARCHIVE},
    {"application/x-gtar", K_ARCHIVE},
    {"application/x-ustar", K_ARCHIVE},
    {"application/x-rar", K_ARCHIVE},
    {"application/x-rar-compressed", K_ARCHIVE},
    {"application/vnd.rar", K_ARCHIVE},
    {"application/vnd.ms-cab-compressed", K_ARCHIVE},
    {"application/x-cpio", K_ARCHIVE},
    {"application/x-iso9660-image", K_ARCHIVE},
    {"application/gzip", K_ARCHIVE},
    {"application/x-gzip", K_ARCHIVE},
    {"application/x-bzip2", K_ARCHIVE},
    {"application/x-xz", K_ARCHIVE},
    {"application/x-lzma", K_ARCHIVE},
    {"application/x-lzip", K_ARCHIVE},
    {"application/x-compress", K_ARCHIVE},
    {"application/zstd", K_ARCHIVE},
    {"application/x-zstd", K_ARCHIVE},
    {"application/x-lz4", K_ARCHIVE},
    {"application/x-dosexec", K_EXEC},
    {"application/vnd.microsoft.portable-executable", K_EXEC},
    {"application/x-executable", K_EXEC},
    {"application/x-pie-executable", K_EXEC},
    {"application/x-sharedlib", K_EXEC},
    {"application/x-mach-binary", K_EXEC},
    {"application/x-msi", K_EXEC},
    {"application/x-ms-installer", K_EXEC},
    {"application/x-msdownload", K_EXEC},
    {"application/x-msdos-program", K_EXEC},
    {"text/html", K_WEB},
};

static enum ft_kind
kind_of_type(const char *t, bool declared)
{
	size_t i;

	if (t == NULL || *t == '\0')
		return K_NONE;
	for (i = 0; i < EXFIL_ARRAY_LEN(types); i++)
		if (strcasecmp(t, types[i].type) == 0)
			return declared || types[i].kind != K_WEB
			    ? types[i].kind
			    : K_NONE;
	if (strncasecmp(
		t, "application/vnd.openxmlformats-officedocument.", 46) == 0 ||
	    strncasecmp(t, "application/vnd.oasis.opendocument.", 35) == 0 ||
	    strncasecmp(t, "application/vnd.ms-", 19) == 0)
		return K_OFFICE;
	if (!declared)
		return K_NONE; /* only these true types can be disguised */
	if (strncasecmp(t, "image/", 6) == 0)
		return K_IMAGE;
	if (strncasecmp(t, "audio/", 6) == 0 ||
	    strncasecmp(t, "video/", 6) == 0)
		return K_MEDIA;
	/* text/ (CSV as text/csv and the like), application/octet-stream
	 * and anything else: no claim */
	return K_NONE;
}

static enum ft_kind
kind_of_name(const char *name, const char **ext)
{
	const char *dot, *slash;
	size_t i;

	if (name == NULL)
		return K_NONE;
	slash = strrchr(name, '/');
	if ((dot = strrchr(slash ? slash + 1 : name, '.')) == NULL ||
	    dot[1] == '\0')
		return K_NONE;
	for (i = 0; i < EXFIL_ARRAY_LEN(exts); i++)
		if (strcasecmp(dot + 1, exts[i].ext) == 0) {
			*ext = dot;
			return exts[i].kind;
		}
	return K_NONE;
}

/* do a true kind and a claimed one contradict each other? */
static bool
contradicts(const char *type, enum ft_kind truth, enum ft_kind claim)
{
	if (truth == K_NONE || claim == K_NONE || truth == claim)
		return false;
	/* a Windows installer is an OLE2 file that libmagic may not name */
	if (claim == K_EXEC &&
	    (strcasecmp(type, "application/x-ole-storage") == 0 ||
		strcasecmp(type, "application/cdfv2") == 0))
		return false;
	/* Open XML and OpenDocument are zips; a zip may be one */
	if ((truth == K_OFFICE && claim == K_ARCHIVE) ||
	    (truth == K_ARCHIVE && claim == K_OFFICE))
		return false;
	return true;
}

/* filetype_mismatch - does the name or declared type disguise the type? */
bool
filetype_mismatch(const char *type, const char *name, const char *declared,
    char *why, size_t whylen)
{
	enum ft_kind truth = kind_of_type(type, false), claim;
	const char *ext = NULL;

	if (truth == K_NONE)
		return false;
	if (contradicts(type, truth, claim = kind_of_name(name, &ext))) {
		if (whylen)
			snprintf(why, whylen, "%s named %s (%s)", type, ext,
			    kind_names[claim]);
		return true;
	}
	if (contradicts(type, truth, claim = kind_of_type(declared, true))) {
		if (whylen)
			snprintf(why, whylen, "%s declared %s", type, declared);
		return true;
	}
	return false;
}
