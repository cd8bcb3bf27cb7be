/*
 * NAME
 *	qcrypt - quarantined messages encrypted at rest to a public key
 * SYNOPSIS
 *	#include <exfil/qcrypt.h>
 *
 *	int qcrypt_load_key(const char *path, bool private_key,
 *	    EVP_PKEY **out, char *err, size_t errlen);
 *	int qcrypt_seal_begin(struct qseal *s, EVP_PKEY *pub, int fd);
 *	int qcrypt_seal_write(struct qseal *s, const void *p, size_t n);
 *	int qcrypt_seal_end(struct qseal *s);
 *	int qcrypt_open(int fd, EVP_PKEY *priv, struct buf *out,
 *	    char *err, size_t errlen);
 *	bool qcrypt_is_sealed(const void *p, size_t n);
 * DESCRIPTION
 *	A sealed file is a header and a sequence of chunks. The header is
 *	the magic "EXFILQ" 0 1, a kind byte (1: X25519, 2: RSA), the key id
 *	(SHA-256 of the recipient's public key in DER), and the message key
 *	wrapped to the recipient: for X25519 an ephemeral public key and the
 *	AES-256-GCM encryption of the message key under a key derived with
 *	HKDF-SHA256 from the shared secret (salt: both public keys); for
 *	RSA the message key encrypted with RSA-OAEP (SHA-256, MGF1-SHA256).
 *	Every file has a fresh random 256-bit message key. Each chunk is a
 *	32-bit big-endian word (the final flag in the top bit, the length,
 *	at most QCRYPT_CHUNK, below it), that many bytes of AES-256-GCM
 *	ciphertext and a 16-byte tag; the word is the additional data and
 *	the nonce is the chunk's number, so a reordered, altered, dropped or
 *	truncated chunk fails, and the last chunk must carry the final flag.
 *	The sealer streams: memory is one chunk whatever the message size.
 *	qcrypt_open() authenticates everything before it returns the
 *	plaintext in out: a wrong key, an altered or truncated file gives a
 *	one-line reason in err and no output at all.
 *	qcrypt_load_key() reads a PEM key (as "openssl genpkey -algorithm
 *	X25519" or "openssl genpkey -algorithm RSA" and "openssl pkey
 *	-pubout" write them) and accepts only X25519 and RSA (2048 bits or
 *	more).
 * RETURN VALUE
 *	0, or EXFIL_EIO (errno), EXFIL_EINVAL (bad key or file, err set),
 *	EXFIL_ENOMEM, EXFIL_EINTERNAL (OpenSSL failed).
 * OWNERSHIP
 *	The caller frees keys with EVP_PKEY_free() and out with buf_free().
 *	A struct qseal holds no memory after qcrypt_seal_end(), or after a
 *	failed call.
 */
#ifndef EXFIL_QCRYPT_H
#define EXFIL_QCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <exfil/buf.h>

#define QCRYPT_CHUNK 65536
#define QCRYPT_KEYID_LEN 32

struct qseal {
	int fd;
	EVP_CIPHER_CTX *ctx;
	unsigned char key[32];
	uint64_t counter;
	unsigned char *chunk; /* QCRYPT_CHUNK bytes of plaintext */
	size_t fill;
};

int qcrypt_load_key(const char *path, bool private_key, EVP_PKEY **out,
    char *err, size_t errlen);
/* qcrypt_key_id - hex SHA-256 of the (public half of the) key's DER */
int qcrypt_key_id(EVP_PKEY *key, char hex[2 * QCRYPT_KEYID_LEN + 1]);
int qcrypt_seal_begin(struct qseal *s, EVP_PKEY *pub, int fd);
int qcrypt_seal_write(struct qseal *s, const void *p, size_t n);
int qcrypt_seal_end(struct qseal *s);
void qcrypt_seal_abort(struct qseal *s);
int qcrypt_open(
    int fd, EVP_PKEY *priv, struct buf *out, char *err, size_t errlen);
bool qcrypt_is_sealed(const void *p, size_t n);

#endif
