/*
 * qcrypt.c - sealed quarantine files (see include/exfil/qcrypt.h)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <exfil/common.h>
#include <exfil/keyfile.h>
#include <exfil/qcrypt.h>

#define MAGIC "EXFILQ\0\1"
#define MAGIC_LEN 8
#define KIND_X25519 1
#define KIND_RSA 2
#define TAG_LEN 16
#define FINAL_BIT 0x80000000u
#define X25519_LEN 32
#define HKDF_INFO "exfil-milter quarantine key wrap v1"

/* --- keys ----------------------------------------------------------- */

int
qcrypt_load_key(const char *path, bool private_key, EVP_PKEY **out, char *err,
    size_t errlen)
{
	EVP_PKEY *k;
	FILE *fp;
	int id;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EXFIL_EIO;
	}
	k = private_key ? PEM_read_PrivateKey(fp, NULL, NULL, NULL)
			: PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (k == NULL) {
		snprintf(err, errlen, "%s: not a PEM %s key", path,
		    private_key ? "private" : "public");
		return EXFIL_EINVAL;
	}
	id = EVP_PKEY_get_base_id(k);
	if (id != EVP_PKEY_X25519 &&
	    !(id == EVP_PKEY_RSA && EVP_PKEY_get_bits(k) >= 2048)) {
		snprintf(err, errlen,
		    "%s: an X25519 or RSA (2048 bits or more) key is needed",
		    path);
		EVP_PKEY_free(k);
		return EXFIL_EINVAL;
	}
	*out = k;
	return 0;
}

/* SHA-256 of the public key's DER (also for a private key) */
static int
key_id_raw(EVP_PKEY *key, unsigned char id[QCRYPT_KEYID_LEN])
{
	unsigned char *der = NULL;
	unsigned int len = QCRYPT_KEYID_LEN;
	int n, rc = EXFIL_EINTERNAL;

	if ((n = i2d_PUBKEY(key, &der)) > 0 &&
	    EVP_Digest(der, (size_t)n, id, &len, EVP_sha256(), NULL) == 1)
		rc = 0;
	OPENSSL_free(der);
	return rc;
}

int
qcrypt_key_id(EVP_PKEY *key, char hex[2 * QCRYPT_KEYID_LEN + 1])
{
	unsigned char id[QCRYPT_KEYID_LEN];
	int rc;

	if ((rc = key_id_raw(key, id)) == 0)
		keyfile_hex(id, sizeof(id), hex);
	return rc;
}

/* --- primitives ----------------------------------------------------- */

static void
nonce_of(uint64_t counter, unsigned char nonce[12])
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (unsigned char)(counter >> (56 - 8 * i));
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * AES-256-GCM of n bytes (enc: encrypt and write the tag; else decrypt
 * and check it). 0, or -1 when the tag does not match or OpenSSL fails.
 */
static int
gcm(EVP_CIPHER_CTX *c, int enc, const unsigned char key[32],
    const unsigned char nonce[12], const unsigned char *aad, size_t aadlen,
    const unsigned char *in, size_t n, unsigned char *out,
    unsigned char tag[TAG_LEN])
{
	int len;

	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) !=
		1 ||
	    (aadlen &&
		EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) != 1) ||
	    (n && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1))
		return -1;
	if (!enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		return -1;
	if (EVP_CipherFinal_ex(c, out + n, &len) != 1)
		return -1;
	if (enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		return -1;
	return 0;
}

/* X25519 shared secret -> HKDF-SHA256 -> key-wrapping key */
static int
x25519_kek(EVP_PKEY *mine, EVP_PKEY *peer, const unsigned char eph[32],
    const unsigned char rcpt[32], unsigned char kek[32])
{
	unsigned char secret[32], salt[64];
	size_t slen = sizeof(secret);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(mine, NULL);
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kc = NULL;
	OSSL_PARAM params[5];
	int rc = -1;

	if (pc == NULL || EVP_PKEY_derive_init(pc) != 1 ||
	    EVP_PKEY_derive_set_peer(pc, peer) != 1 ||
	    EVP_PKEY_derive(pc, secret, &slen) != 1 || slen != sizeof(secret))
		goto out;
	memcpy(salt, eph, 32);
	memcpy(salt + 32, rcpt, 32);
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kc = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, secret, sizeof(secret));
	params[2] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_SALT, salt, sizeof(salt));
	params[3] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_INFO, (char *)HKDF_INFO, strlen(HKDF_INFO));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kc, kek, 32, params) == 1)
		rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

/* the RSA-OAEP context, encrypting or decrypting */
static EVP_PKEY_CTX *
oaep_ctx(EVP_PKEY *k, int enc)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);

	if (pc == NULL ||
	    (enc ? EVP_PKEY_encrypt_init(pc) : EVP_PKEY_decrypt_init(pc)) !=
		1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	return pc;
}

/* --- sealing -------------------------------------------------------- */

/* the header: magic, kind, key id, wrapped message key */
static int
seal_header(struct qseal *s, EVP_PKEY *pub, struct buf *h)
{
	unsigned char id[QCRYPT_KEYID_LEN], wrap[1024], eph_raw[32], rc_raw[32];
	unsigned char kek[32], zero[12] = {0};
	size_t wlen = 0, len = 32;
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *pc = NULL;
	int kind, rc = EXFIL_EINTERNAL;

	if (key_id_raw(pub, id) < 0)
		return EXFIL_EINTERNAL;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_X25519) {
		kind = KIND_X25519;
		if ((eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL ||
		    EVP_PKEY_get_raw_public_key(eph, eph_raw, &len) != 1 ||
		    (len = 32,
			EVP_PKEY_get_raw_public_key(pub, rc_raw, &len) != 1) ||
		    x25519_kek(eph, pub, eph_raw, rc_raw, kek) < 0)
			goto out;
		memcpy(wrap, eph_raw, 32);
		if (gcm(s->ctx, 1, kek, zero, NULL, 0, s->key, 32, wrap + 32,
			wrap + 64) < 0)
			goto out;
		wlen = 32 + 32 + TAG_LEN;
	} else {
		kind = KIND_RSA;
		wlen = sizeof(wrap);
		if ((pc = oaep_ctx(pub, 1)) == NULL ||
		    EVP_PKEY_encrypt(pc, wrap, &wlen, s->key, 32) != 1)
			goto out;
	}
	rc = buf_append(h, MAGIC, MAGIC_LEN);
	rc |= buf_putc(h, kind);
	rc |= buf_append(h, id, sizeof(id));
	rc |= buf_putc(h, (int)(wlen >> 8));
	rc |= buf_putc(h, (int)(wlen & 0xff));
	rc |= buf_append(h, wrap, wlen);
	rc = rc ? EXFIL_ENOMEM : 0;
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

void
qcrypt_seal_abort(struct qseal *s)
{
	if (s->chunk) {
		OPENSSL_cleanse(s->chunk, QCRYPT_CHUNK);
		free(s->chunk);
	}
	EVP_CIPHER_CTX_free(s->ctx);
	OPENSSL_cleanse(s->key, sizeof(s->key));
	s->chunk = NULL;
	s->ctx = NULL;
}

int
qcrypt_seal_begin(struct qseal *s, EVP_PKEY *pub, int fd)
{
	struct buf h = {0};
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if ((s->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    (s->chunk = malloc(QCRYPT_CHUNK + TAG_LEN + 4)) == NULL) {
		qcrypt_seal_abort(s);
		return EXFIL_ENOMEM;
	}
	if (RAND_bytes(s->key, sizeof(s->key)) != 1)
		rc = EXFIL_EINTERNAL;
	else if ((rc = seal_header(s, pub, &h)) == 0)
		rc = exfil_write_all(fd, h.p, h.len);
	buf_free(&h);
	if (rc < 0)
		qcrypt_seal_abort(s);
	return rc;
}

/* encrypt and write the chunk held in s->chunk */
static int
seal_flush(struct qseal *s, bool final)
{
	unsigned char word[4], nonce[12], tag[TAG_LEN];
	unsigned char *out = NULL;
	int rc = EXFIL_EINTERNAL;

	put32(word, (final ? FINAL_BIT : 0) | (uint32_t)s->fill);
	nonce_of(s->counter++, nonce);
	if ((out = malloc(s->fill + 4 + TAG_LEN + 16)) == NULL)
		return EXFIL_ENOMEM;
	memcpy(out, word, 4);
	if (gcm(s->ctx, 1, s->key, nonce, word, 4, s->chunk, s->fill, out + 4,
		tag) == 0) {
		memcpy(out + 4 + s->fill, tag, TAG_LEN);
		rc = exfil_write_all(s->fd, out, 4 + s->fill + TAG_LEN);
	}
	free(out);
	s->fill = 0;
	return rc;
}

int
qcrypt_seal_write(struct qseal *s, const void *p, size_t n)
{
	const unsigned char *in = p;
	size_t take;
	int rc;

	while (n > 0) {
		if (s->fill == QCRYPT_CHUNK &&
		    (rc = seal_flush(s, false)) < 0) {
			qcrypt_seal_abort(s);
			return rc;
		}
		take = QCRYPT_CHUNK - s->fill;
		if (take > n)
			take = n;
		memcpy(s->chunk + s->fill, in, take);
		s->fill += take;
		in += take;
		n -= take;
	}
	return 0;
}

int
qcrypt_seal_end(struct qseal *s)
{
	int rc = seal_flush(s, true);

	qcrypt_seal_abort(s);
	return rc;
}

bool
qcrypt_is_sealed(const void *p, size_t n)
{
	return n >= MAGIC_LEN && memcmp(p, MAGIC, MAGIC_LEN) == 0;
}

/* --- opening -------------------------------------------------------- */

/* unwrap the message key of a file with header at p (n bytes) */
static int
unwrap(const unsigned char *p, size_t n, EVP_PKEY *priv, EVP_CIPHER_CTX *c,
    unsigned char key[32], size_t *hlen, char *err, size_t errlen)
{
	unsigned char id[QCRYPT_KEYID_LEN], kek[32], zero[12] = {0};
	unsigned char rc_raw[32];
	char want[2 * QCRYPT_KEYID_LEN + 1], have[2 * QCRYPT_KEYID_LEN + 1];
	size_t wlen, off = MAGIC_LEN + 1 + QCRYPT_KEYID_LEN, klen = 32;
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *pc = NULL;
	int kind, rc = EXFIL_EINVAL;

	if (n < off + 2) {
		snprintf(err, errlen, "truncated header");
		return EXFIL_EINVAL;
	}
	kind = p[MAGIC_LEN];
	wlen = (size_t)p[off] << 8 | p[off + 1];
	off += 2;
	if (n < off + wlen) {
		snprintf(err, errlen, "truncated header");
		return EXFIL_EINVAL;
	}
	if (key_id_raw(priv, id) < 0)
		return EXFIL_EINTERNAL;
	if (memcmp(id, p + MAGIC_LEN + 1, QCRYPT_KEYID_LEN) != 0) {
		keyfile_hex(p + MAGIC_LEN + 1, 8, want);
		keyfile_hex(id, 8, have);
		snprintf(err, errlen,
		    "encrypted to key id %s…, the private key given is %s…",
		    want, have);
		return EXFIL_EINVAL;
	}
	if (kind == KIND_X25519 &&
	    EVP_PKEY_get_base_id(priv) == EVP_PKEY_X25519 &&
	    wlen == 32 + 32 + TAG_LEN) {
		if ((eph = EVP_PKEY_new_raw_public_key(
			 EVP_PKEY_X25519, NULL, p + off, 32)) == NULL ||
		    EVP_PKEY_get_raw_public_key(priv, rc_raw, &klen) != 1 ||
		    x25519_kek(priv, eph, p + off, rc_raw, kek) < 0 ||
		    gcm(c, 0, kek, zero, NULL, 0, p + off + 32, 32, key,
			(unsigned char *)p + off + 64) < 0)
			snprintf(err, errlen,
			    "the message key does not unwrap "
			    "(altered header)");
		else
			rc = 0;
	} else if (kind == KIND_RSA &&
	    EVP_PKEY_get_base_id(priv) == EVP_PKEY_RSA) {
		/* OpenSSL wants room for a whole modulus */
		unsigned char plain[1024];
		klen = sizeof(plain);
		if ((pc = oaep_ctx(priv, 0)) == NULL ||
		    EVP_PKEY_decrypt(pc, plain, &klen, p + off, wlen) != 1 ||
		    klen != 32)
			snprintf(err, errlen,
			    "the message key does not unwrap "
			    "(altered header)");
		else {
			memcpy(key, plain, 32);
			rc = 0;
		}
		OPENSSL_cleanse(plain, sizeof(plain));
	} else
		snprintf(err, errlen, "unknown key kind %d", kind);
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	*hlen = off + wlen;
	return rc;
}

int
qcrypt_open(int fd, EVP_PKEY *priv, struct buf *out, char *err, size_t errlen)
{
	struct buf in = {0};
	unsigned char key[32], nonce[12];
	const unsigned char *p;
	EVP_CIPHER_CTX *c = NULL;
	size_t off, len;
	uint64_t counter = 0;
	uint32_t word;
	bool final = false;
	int rc;

	buf_reset(out);
	if ((rc = buf_read_fd(&in, fd)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	p = (const unsigned char *)in.p;
	rc = EXFIL_EINVAL;
	if (!qcrypt_is_sealed(p, in.len)) {
		snprintf(err, errlen, "not an encrypted quarantine file");
		goto out;
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	if ((rc = unwrap(p, in.len, priv, c, key, &off, err, errlen)) < 0)
		goto out;
	/* the plaintext is shorter than the file: one allocation */
	if (buf_reserve(out, in.len) < 0) {
		rc = EXFIL_ENOMEM;
		goto out;
	}
	rc = EXFIL_EINVAL;
	while (!final) {
		if (in.len - off < 4 + TAG_LEN) {
			snprintf(err, errlen, "truncated (ends in chunk %llu)",
			    (unsigned long long)counter);
			goto out;
		}
		word = get32(p + off);
		final = (word & FINAL_BIT) != 0;
		len = word & ~FINAL_BIT;
		if (len > QCRYPT_CHUNK || in.len - off - 4 - TAG_LEN < len) {
			snprintf(err, errlen, "truncated (ends in chunk %llu)",
			    (unsigned long long)counter);
			goto out;
		}
		if (buf_reserve(out, len + 16) < 0) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
		nonce_of(counter, nonce);
		if (gcm(c, 0, key, nonce, p + off, 4, p + off + 4, len,
			(unsigned char *)out->p + out->len,
			(unsigned char *)p + off + 4 + len) < 0) {
			snprintf(err, errlen,
			    "altered: chunk %llu fails authentication",
			    (unsigned long long)counter);
			goto out;
		}
		out->len += len;
		out->p[out->len] = '\0';
		off += 4 + len + TAG_LEN;
		counter++;
	}
	if (off != in.len) {
		snprintf(err, errlen, "altered: data after the final chunk");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	buf_free(&in);
	if (rc < 0 && out->p) {
		OPENSSL_cleanse(out->p, out->len);
		buf_reset(out);
	}
	return rc;
}
