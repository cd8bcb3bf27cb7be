/*
 * testutil.c - helpers shared by the unit tests: Luhn-valid test numbers,
 * temporary folders and files, base64 bodies, parsed messages. The
 * contract is in testutil.h.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include <exfil/buf.h>
#include <exfil/filetype.h>
#include <exfil/message.h>

#include "testutil.h"

/* --- test values --------------------------------------------------------- */

bool
testutil_luhn_ok(const char *d)
{
	size_t n = strlen(d), i;
	unsigned sum = 0, v;

	for (i = 0; i < n; i++) {
		v = (unsigned)(d[n - 1 - i] - '0');
		if (i % 2 == 1)
			v = v * 2 > 9 ? v * 2 - 9 : v * 2;
		sum += v;
	}
	return sum % 10 == 0;
}

/* the last of the len digits of num: the one that makes it Luhn-valid */
static void
luhn_complete(char *num, size_t len)
{
	char c;

	num[len] = '\0';
	for (c = '0'; c <= '9'; c++) {
		num[len - 1] = c;
		if (testutil_luhn_ok(num))
			return;
	}
	fail_msg("no check digit for %s", num);
}

void
testutil_visa(char out[17], unsigned long long k)
{
	snprintf(out, 17, "4%014llu0", k);
	luhn_complete(out, 16);
}

uint32_t
testutil_next(uint32_t *seed)
{
	return *seed = *seed * 1103515245u + 12345u;
}

void
testutil_card_number(char *out, const char *prefix, size_t len, uint32_t *seed)
{
	size_t i;

	strcpy(out, prefix);
	for (i = strlen(prefix); i < len - 1; i++) {
		out[i] = (char)('0' + (testutil_next(seed) >> 16) % 10);
	}
	luhn_complete(out, len);
}

/* --- temporary folders --------------------------------------------------- */

const char *
testutil_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

void
testutil_temp_dir(char *dir, size_t dirlen, const char *name)
{
	int n = snprintf(dir, dirlen, "%s/%s.XXXXXX", testutil_tmpdir(), name);

	assert_true(n > 0 && (size_t)n < dirlen);
	assert_non_null(mkdtemp(dir));
}

void
testutil_write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sizeof(path));
	fp = fopen(path, "we");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

char *
testutil_read_file(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	struct stat st;
	FILE *fp;
	char *p;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) < 0)
		fail_msg("cannot read %s", path);
	assert_non_null(p = malloc((size_t)st.st_size + 1));
	*len = fread(p, 1, (size_t)st.st_size, fp);
	p[*len] = '\0';
	fclose(fp);
	return p;
}

int
testutil_data_dir(const char *sub, char *out, size_t outlen)
{
	const char *top = getenv("top_srcdir");
	const char *cands[] = {top, "../..", ".", ".."};
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (cands[i] == NULL || *cands[i] == '\0')
			continue;
		snprintf(out, outlen, "%s/tests/data/%s", cands[i], sub);
		if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	return -1;
}

void
testutil_remove_tree(const char *dir)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* --- messages ------------------------------------------------------------ */

void
testutil_put_base64(struct buf *b, const void *p, size_t n)
{
	unsigned char *enc = malloc(n / 3 * 4 + 8);
	int elen, i;

	assert_non_null(enc);
	elen = EVP_EncodeBlock(enc, p, (int)n);
	for (i = 0; i < elen; i++) {
		if (i && i % 76 == 0)
			assert_int_equal(buf_puts(b, "\r\n"), 0);
		assert_int_equal(buf_putc(b, enc[i]), 0);
	}
	assert_int_equal(buf_puts(b, "\r\n"), 0);
	free(enc);
}

struct message *
testutil_parse_message(
    size_t mem_limit, const char *spool_dir, const char *raw, size_t len)
{
	struct message *m = message_new(mem_limit, spool_dir);

	assert_non_null(m);
	assert_int_equal(message_parse(m, raw, len), 0);
	return m;
}

/* --- engines ------------------------------------------------------------- */

const char testutil_card_rule[] =
    "rule payment_card\n"
    "  category payment_card\n"
    "  pattern /(?<!\\d)((?:\\d[ -]?){12,18}\\d)(?!\\d)/\n"
    "  validate payment_card\n"
    "  score 5\n"
    "  example \"Card 4111 1111 1111 1111 exp 12/29\"\n"
    "end\n";

int
testutil_filetype_setup(void **state)
{
	(void)state;
	return filetype_init(1) == 0 ? 0 : -1;
}

int
testutil_filetype_teardown(void **state)
{
	(void)state;
	filetype_fini();
	return 0;
}
