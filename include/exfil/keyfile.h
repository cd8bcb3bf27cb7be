/*
 * NAME
 *	keyfile - the product's secret key files: one line of 64 hex digits
 * SYNOPSIS
 *	#include <exfil/keyfile.h>
 *
 *	int keyfile_load(const char *path, unsigned char key[KEYFILE_LEN],
 *	    char *err, size_t errlen);
 *	int keyfile_hmac(const unsigned char key[KEYFILE_LEN],
 *	    const void *p, size_t n, unsigned char mac[KEYFILE_LEN]);
 *	void keyfile_hex(const unsigned char *p, size_t n, char *out);
 * DESCRIPTION
 *	Every secret key file of exfil-milter (release_secret_file,
 *	audit_key_file, evidence_key_file) has one format: one line of 64
 *	hexadecimal digits (32 bytes), as "openssl rand -hex 32" writes it,
 *	optionally followed by a newline. keyfile_load() refuses anything
 *	else, and a file that other users may read or write (group or world
 *	writable; world readable), with a one-line "path: reason" in err.
 *	keyfile_hmac() is HMAC-SHA256 (OpenSSL). keyfile_hex() writes 2n
 *	lowercase hex digits and a NUL to out.
 * RETURN VALUE
 *	0, or EXFIL_EIO (the file cannot be read) / EXFIL_EINVAL (bad
 *	content or mode) with err set; keyfile_hmac() 0 or EXFIL_EINTERNAL.
 */
#ifndef EXFIL_KEYFILE_H
#define EXFIL_KEYFILE_H

#include <stddef.h>

#define KEYFILE_LEN 32

int keyfile_load(
    const char *path, unsigned char key[KEYFILE_LEN], char *err, size_t errlen);
int keyfile_hmac(const unsigned char key[KEYFILE_LEN], const void *p, size_t n,
    unsigned char mac[KEYFILE_LEN]);
void keyfile_hex(const unsigned char *p, size_t n, char *out);

#endif
