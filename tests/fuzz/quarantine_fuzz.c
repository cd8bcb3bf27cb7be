/*
 * quarantine_fuzz.c - libFuzzer target: what the quarantine side reads
 * from outside: a message carrying a release token header (the client
 * writes it), and a sealed quarantine file (qcrypt_open), opened with a
 * fixed X25519 key so that seeds made with it reach the chunk parser.
 * The first byte chooses: 'T' a message, anything else a sealed file.
 * Replayed over tests/fuzz/corpora/quarantine/ by make check (replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <exfil/buf.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/message.h>
#include <exfil/qcrypt.h>
#include <exfil/release.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the fixed test key: bytes 1..32 (seeds are sealed to its public half) */
static EVP_PKEY *
fuzz_key(void)
{
	static EVP_PKEY *k;
	unsigned char raw[32];
	int i;

	if (k == NULL) {
		for (i = 0; i < 32; i++)
			raw[i] = (unsigned char)(i + 1);
		k = EVP_PKEY_new_raw_private_key(
		    EVP_PKEY_X25519, NULL, raw, 32);
	}
	return k;
}

static void
token_message(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	struct engine e;
	struct message *m;
	const char *why;

	if (cfg == NULL && (cfg = config_defaults()) == NULL)
		return;
	memset(&e, 0, sizeof(e));
	e.cfg = cfg;
	e.has_release_key = true;
	memset(e.release_key, 0x42, sizeof(e.release_key));
	if ((m = message_new(1 << 20, NULL)) == NULL)
		return;
	if (message_parse(m, (const char *)data, size) == 0 &&
	    message_add_rcpt(m, "<rcpt@example.net>", false) == 0)
		(void)release_check(&e, m, 1700000000, &why);
	message_free(m);
}

static void
sealed_file(const uint8_t *data, size_t size)
{
	struct buf out = {0};
	char err[512];
	int fd = memfd_create("sealed", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size &&
	    lseek(fd, 0, SEEK_SET) == 0)
		(void)qcrypt_open(fd, fuzz_key(), &out, err, sizeof(err));
	close(fd);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 'T')
		token_message(data + 1, size - 1);
	else
		sealed_file(data, size);
	return 0;
}
