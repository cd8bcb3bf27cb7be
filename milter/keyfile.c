/*
 * keyfile.c - secret key files (see include/exfil/keyfile.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <exfil/common.h>
#include <exfil/decode.h>
#include <exfil/keyfile.h>

/* keyfile_load - 32 bytes from one line of 64 hex digits */
int
keyfile_load(
    const char *path, unsigned char key[KEYFILE_LEN], char *err, size_t errlen)
{
	char text[2 * KEYFILE_LEN + 3];
	struct stat st;
	ssize_t n;
	int fd, rc = 0, i;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EXFIL_EIO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rc = EXFIL_EINVAL;
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) {
		snprintf(err, errlen,
		    "%s: mode %03o lets other users read or change the key "
		    "(chmod 0600 or 0640)",
		    path, (unsigned)(st.st_mode & 0777));
		rc = EXFIL_EINVAL;
		goto out;
	}
	n = read(fd, text, sizeof(text));
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = EXFIL_EIO;
		goto out;
	}
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	if (n != 2 * KEYFILE_LEN) {
		snprintf(err, errlen,
		    "%s: expected one line of 64 hex digits "
		    "(openssl rand -hex 32)",
		    path);
		rc = EXFIL_EINVAL;
		goto out;
	}
	for (i = 0; i < KEYFILE_LEN; i++) {
		int hi = decode_hexval((unsigned char)text[2 * i]);
		int lo = decode_hexval((unsigned char)text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen,
			    "%s:1:%d: not a hex digit (expected 64 hex "
			    "digits)",
			    path, 2 * i + (hi < 0 ? 1 : 2));
			rc = EXFIL_EINVAL;
			goto out;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
out:
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return rc;
}

/* keyfile_hmac - HMAC-SHA256 of p with key */
int
keyfile_hmac(const unsigned char key[KEYFILE_LEN], const void *p, size_t n,
    unsigned char mac[KEYFILE_LEN])
{
	unsigned int len = KEYFILE_LEN;

	if (HMAC(EVP_sha256(), key, KEYFILE_LEN, p, n, mac, &len) == NULL ||
	    len != KEYFILE_LEN)
		return EXFIL_EINTERNAL;
	return 0;
}

/* keyfile_hex - lowercase hex of n bytes */
void
keyfile_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
