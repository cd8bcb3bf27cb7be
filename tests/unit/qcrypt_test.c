/*
 * qcrypt_test.c - unit tests of qcrypt(3): sealed files open with the
 * right private key only (X25519 and RSA, keys made by OpenSSL here), in
 * one piece or many chunks, and a wrong key, a flipped bit, a cut, a
 * dropped or a reordered chunk give an error and no plaintext.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <exfil/common.h>
#include <exfil/qcrypt.h>

#include "testutil.h"

/* a key pair of the kind, written as PEM and read back by qcrypt */
static void
make_keys(const char *kind, EVP_PKEY **pub, EVP_PKEY **priv)
{
	char ppath[256], kpath[256], err[256];
	EVP_PKEY *k = strcmp(kind, "RSA") == 0
	    ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	    : EVP_PKEY_Q_keygen(NULL, NULL, kind);
	FILE *fp;

	assert_non_null(k);
	snprintf(kpath, sizeof(kpath), "%s/q.%s.key", testutil_tmpdir(), kind);
	snprintf(ppath, sizeof(ppath), "%s/q.%s.pub", testutil_tmpdir(), kind);
	assert_non_null(fp = fopen(kpath, "w"));
	assert_int_equal(
	    PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	assert_non_null(fp = fopen(ppath, "w"));
	assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	fclose(fp);
	EVP_PKEY_free(k);
	assert_int_equal(
	    qcrypt_load_key(ppath, false, pub, err, sizeof(err)), 0);
	assert_int_equal(
	    qcrypt_load_key(kpath, true, priv, err, sizeof(err)), 0);
	/* a private key is not a public key file, and the other way */
	assert_int_equal(
	    qcrypt_load_key(kpath, false, &k, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "not a PEM public key"));
	unlink(kpath);
	unlink(ppath);
}

/* seal n bytes of p (written in pieces of step) into a new file: its fd */
static int
seal(EVP_PKEY *pub, const char *p, size_t n, size_t step)
{
	char path[256];
	struct qseal s;
	size_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/sealed.XXXXXX", testutil_tmpdir());
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_int_equal(qcrypt_seal_begin(&s, pub, fd), 0);
	for (off = 0; off < n; off += step)
		assert_int_equal(qcrypt_seal_write(&s, p + off,
				     n - off < step ? n - off : step),
		    0);
	assert_int_equal(qcrypt_seal_end(&s), 0);
	return fd;
}

static int
open_fd(int fd, EVP_PKEY *priv, struct buf *out, char *err, size_t errlen)
{
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return qcrypt_open(fd, priv, out, err, errlen);
}

/* the file's bytes, changed by fn, in a new file */
static int
rewrite(int fd, void (*fn)(struct buf *b))
{
	struct buf b = {0};
	char tmp[65536], path[256];
	ssize_t n;
	int nfd;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		assert_int_equal(buf_append(&b, tmp, (size_t)n), 0);
	fn(&b);
	snprintf(path, sizeof(path), "%s/changed.XXXXXX", testutil_tmpdir());
	assert_true((nfd = mkstemp(path)) >= 0);
	unlink(path);
	assert_int_equal(write(nfd, b.p, b.len), (ssize_t)b.len);
	buf_free(&b);
	return nfd;
}

static void
flip_middle(struct buf *b)
{
	b->p[b->len / 2] ^= 0x01;
}
static void
cut_end(struct buf *b)
{
	b->len -= 20;
}
static void
cut_final_chunk(struct buf *b)
{
	/* the last chunk of a 3-chunk file: an empty one with the flag */
	b->len -= 4 + 16;
}
static void
add_tail(struct buf *b)
{
	buf_append(b, "x", 1);
}

static void
roundtrip(const char *kind)
{
	EVP_PKEY *pub, *priv, *pub2, *priv2;
	struct buf out = {0};
	size_t n = 2 * QCRYPT_CHUNK + 1234, i;
	char *msg = malloc(n), err[512];
	int fd, bad;

	assert_non_null(msg);
	for (i = 0; i < n; i++)
		msg[i] = (char)(i * 7 + i / 251);
	make_keys(kind, &pub, &priv);
	make_keys(kind, &pub2, &priv2);
	/* in one write, and in odd pieces: the same plaintext back */
	fd = seal(pub, msg, n, n);
	assert_int_equal(open_fd(fd, priv, &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.p, msg, n);
	close(fd);
	fd = seal(pub, msg, n, 999);
	assert_int_equal(open_fd(fd, priv, &out, err, sizeof(err)), 0);
	assert_memory_equal(out.p, msg, n);
	/* the ciphertext does not hold the plaintext */
	{
		struct buf raw = {0};
		char tmp[65536];
		ssize_t r;
		lseek(fd, 0, SEEK_SET);
		while ((r = read(fd, tmp, sizeof(tmp))) > 0)
			buf_append(&raw, tmp, (size_t)r);
		assert_true(qcrypt_is_sealed(raw.p, raw.len));
		assert_null(memmem(raw.p, raw.len, msg + 100, 32));
		buf_free(&raw);
	}
	/* another key pair's private key: refused, names the key ids */
	assert_int_equal(
	    open_fd(fd, priv2, &out, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "encrypted to key id"));
	assert_int_equal(out.len, 0);
	/* a flipped bit, a cut, a missing final chunk, trailing bytes */
	bad = rewrite(fd, flip_middle);
	assert_int_equal(
	    open_fd(bad, priv, &out, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "altered"));
	assert_int_equal(out.len, 0);
	close(bad);
	bad = rewrite(fd, cut_end);
	assert_int_equal(
	    open_fd(bad, priv, &out, err, sizeof(err)), EXFIL_EINVAL);
	assert_true(strstr(err, "truncated") || strstr(err, "altered"));
	close(bad);
	bad = rewrite(fd, add_tail);
	assert_int_equal(
	    open_fd(bad, priv, &out, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "after the final chunk"));
	close(bad);
	close(fd);
	/* exactly two full chunks: the final flag is on an empty third */
	fd = seal(pub, msg, 2 * QCRYPT_CHUNK, 4096);
	assert_int_equal(open_fd(fd, priv, &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, 2 * QCRYPT_CHUNK);
	bad = rewrite(fd, cut_final_chunk);
	assert_int_equal(
	    open_fd(bad, priv, &out, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "truncated"));
	close(bad);
	close(fd);
	/* an empty message */
	fd = seal(pub, "", 0, 1);
	assert_int_equal(open_fd(fd, priv, &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, 0);
	close(fd);
	buf_free(&out);
	free(msg);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub2);
	EVP_PKEY_free(priv2);
}

static void
test_x25519(void **state)
{
	(void)state;
	roundtrip("X25519");
}
static void
test_rsa(void **state)
{
	(void)state;
	roundtrip("RSA");
}

static void
test_bad_keys(void **state)
{
	char path[256], err[256];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/ec.pub", testutil_tmpdir());
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	fclose(fp);
	EVP_PKEY_free(k);
	assert_int_equal(
	    qcrypt_load_key(path, false, &k, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "X25519 or RSA"));
	unlink(path);
	assert_int_equal(
	    qcrypt_load_key("/nonexistent/q.pub", false, &k, err, sizeof(err)),
	    EXFIL_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_x25519),
	    cmocka_unit_test(test_rsa),
	    cmocka_unit_test(test_bad_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
