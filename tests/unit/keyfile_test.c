/*
 * keyfile_test.c - unit tests of keyfile(3): the one key-file format
 * (64 hex digits on one line), its refusals with their reasons, and
 * HMAC-SHA256 against RFC 4231 test case 2 (with the key zero-padded, as
 * HMAC pads any key shorter than the block).
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

#include <exfil/common.h>
#include <exfil/keyfile.h>

#include "testutil.h"

/* write text with mode to a new temporary file */
static void
write_key(const char *text, mode_t mode, char *path, size_t pathlen)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, pathlen, "%s/keyfile_test.XXXXXX", testutil_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static int
load(const char *text, mode_t mode, unsigned char key[KEYFILE_LEN], char *err,
    size_t errlen)
{
	char path[256];
	int rc;

	write_key(text, mode, path, sizeof(path));
	err[0] = '\0';
	rc = keyfile_load(path, key, err, errlen);
	unlink(path);
	return rc;
}

#define HEX64 \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191A1B1C1D1E1F"

static void
test_valid(void **state)
{
	static const char *texts[] = {HEX64, HEX64 "\n", HEX64 "\r\n"};
	unsigned char key[KEYFILE_LEN];
	char err[256], hex[2 * KEYFILE_LEN + 1];
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(key, 0xee, sizeof(key));
		assert_int_equal(
		    load(texts[i], 0600, key, err, sizeof(err)), 0);
		for (j = 0; j < KEYFILE_LEN; j++)
			assert_int_equal(key[j], j);
	}
	keyfile_hex(key, 3, hex);
	assert_string_equal(hex, "000102");
	assert_int_equal(load(HEX64, 0640, key, err, sizeof(err)), 0);
}

static void
test_refused(void **state)
{
	static const struct {
		const char *text;
		mode_t mode;
		const char *why;
	} bad[] = {
	    {"", 0600, "64 hex digits"},
	    {"0011", 0600, "64 hex digits"},
	    {HEX64 "00\n", 0600, "64 hex digits"},
	    {HEX64 "\n" HEX64 "\n", 0600, "64 hex digits"},
	    {"0g0102030405060708090a0b0c0d0e0f"
	     "101112131415161718191a1b1c1d1e1f",
		0600, ":1:2: not a hex digit"},
	    {HEX64, 0644, "mode 644"},
	    {HEX64, 0620, "mode 620"},
	};
	unsigned char key[KEYFILE_LEN];
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    load(bad[i].text, bad[i].mode, key, err, sizeof(err)),
		    EXFIL_EINVAL);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    bad[i].why);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(
	    keyfile_load("/nonexistent/key", key, err, sizeof(err)), EXFIL_EIO);
	assert_non_null(strstr(err, "/nonexistent/key: "));
}

/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" */
static void
test_hmac(void **state)
{
	unsigned char key[KEYFILE_LEN] = {'J', 'e', 'f', 'e'}, mac[KEYFILE_LEN];
	char hex[2 * KEYFILE_LEN + 1];
	const char *data = "what do ya want for nothing?";

	(void)state;
	assert_int_equal(keyfile_hmac(key, data, strlen(data), mac), 0);
	keyfile_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_hmac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
