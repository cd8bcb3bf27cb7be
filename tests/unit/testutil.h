/*
 * NAME
 *	testutil - helpers shared by the cmocka unit tests (tests/unit)
 * SYNOPSIS
 *	#include "testutil.h"
 *
 *	bool testutil_luhn_ok(const char *digits);
 *	void testutil_visa(char out[17], unsigned long long k);
 *	void testutil_card_number(char *out, const char *prefix, size_t len,
 *	    uint32_t *seed);
 *	uint32_t testutil_next(uint32_t *seed);
 *
 *	const char *testutil_tmpdir(void);
 *	void testutil_temp_dir(char *dir, size_t dirlen, const char *name);
 *	void testutil_write_file(const char *dir, const char *name,
 *	    const char *text);
 *	void testutil_remove_tree(const char *dir);
 *	char *testutil_read_file(const char *dir, const char *name,
 *	    size_t *len);
 *	int testutil_data_dir(const char *sub, char *out, size_t outlen);
 *
 *	void testutil_put_base64(struct buf *b, const void *p, size_t n);
 *	struct message *testutil_parse_message(size_t mem_limit,
 *	    const char *spool_dir, const char *raw, size_t len);
 *
 *	extern const char testutil_card_rule[];
 *	int testutil_filetype_setup(void **state);
 *	int testutil_filetype_teardown(void **state);
 * DESCRIPTION
 *	Test values. Card numbers are computed here, never real ones.
 *	testutil_luhn_ok() is an independent Luhn check (ISO/IEC 7812-1
 *	annex B) over a string of ASCII digits, written apart from the
 *	validators under test. testutil_visa() writes the k-th Visa-shaped
 *	test number: "4", k in 14 zero-padded digits, a Luhn check digit
 *	(16 digits and a NUL; k below 10^14). testutil_card_number()
 *	completes prefix to len digits (strlen(prefix) < len) with filler
 *	digits from the linear congruential generator *seed (advanced) and
 *	a Luhn check digit; out needs len + 1 bytes. testutil_next()
 *	advances that generator and returns its new state (the tests take
 *	their random values from its upper bits, the same on every machine).
 *
 *	Temporary folders. testutil_tmpdir() is $TMPDIR, or /tmp when that
 *	is unset or empty. testutil_temp_dir() creates a new private folder
 *	"<tmpdir>/<name>.XXXXXX" (mkdtemp) and writes its path to dir.
 *	testutil_write_file() creates or truncates dir/name with text.
 *	testutil_remove_tree() removes the files directly in dir, then dir:
 *	flat folders only (a subfolder stays, and so does dir then).
 *
 *	Messages. testutil_put_base64() appends n bytes of p to b in base64
 *	(by OpenSSL, not by the code under test) in 76-column lines, each
 *	ended by CRLF, as a MIME body part wants it before its delimiter.
 *	testutil_parse_message() is a new message (message_new() with
 *	mem_limit and spool_dir) with raw parsed into it (message_parse()).
 *
 *	Engines. testutil_card_rule is the text of one rule, payment_card
 *	(category payment_card, Luhn-validated card numbers, score 5), for
 *	a rules folder of a test. testutil_filetype_setup() and
 *	testutil_filetype_teardown() are cmocka group setup and teardown
 *	functions that load libmagic (one handle) for engine_scan() and
 *	free it.
 * RETURN VALUE
 *	testutil_luhn_ok() returns whether the digits pass the Luhn check;
 *	testutil_tmpdir() a string that lives as long as the environment.
 *	The others check what they do with cmocka assertions and fail the
 *	running test (they do not return) when that goes wrong: a name too
 *	long for dir, a folder or file that cannot be made, a base64 or
 *	message call that fails. Call them from a test or from a setup
 *	function (cmocka reports a failed setup) only.
 *	testutil_remove_tree() is the exception: it does its best, reports
 *	nothing, and what is already gone is no error.
 * OWNERSHIP
 *	The caller owns the message of testutil_parse_message() and frees it
 *	with message_free(). The other functions keep nothing.
 */
#ifndef EXFIL_TESTUTIL_H
#define EXFIL_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct message;

bool testutil_luhn_ok(const char *digits);
void testutil_visa(char out[17], unsigned long long k);
void testutil_card_number(
    char *out, const char *prefix, size_t len, uint32_t *seed);
uint32_t testutil_next(uint32_t *seed);

const char *testutil_tmpdir(void);
void testutil_temp_dir(char *dir, size_t dirlen, const char *name);
void testutil_write_file(const char *dir, const char *name, const char *text);
void testutil_remove_tree(const char *dir);
/* testutil_read_file - dir/name whole, NUL-terminated; the test fails if
 * it cannot be read; free() it */
char *testutil_read_file(const char *dir, const char *name, size_t *len);
/* testutil_data_dir - the folder tests/data/SUB of the source tree
 * ($top_srcdir, or found from the build folder): 0, or -1 */
int testutil_data_dir(const char *sub, char *out, size_t outlen);

void testutil_put_base64(struct buf *b, const void *p, size_t n);
struct message *testutil_parse_message(
    size_t mem_limit, const char *spool_dir, const char *raw, size_t len);

extern const char testutil_card_rule[];
int testutil_filetype_setup(void **state);
int testutil_filetype_teardown(void **state);

#endif
