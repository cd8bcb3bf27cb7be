/*
 * prefilter_test.c - unit tests of prefilter(3): every (id, start) it
 * reports, in order, against the reference that compares every literal at
 * every place (tests/prefilter-ref.h), on chosen and random literals and
 * texts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <exfil/prefilter.h>

#include "../prefilter-ref.h"

/* the prefilter of n literals (ids 100, 101, ...) over text reports what
 * the reference does; returns the number of hits */
static size_t
check(char *const *lits, size_t n, const char *text, size_t len)
{
	struct pf_hits got = {0}, want = {0};
	struct prefilter *pf;
	size_t ids[256], i, nhits;
	/* the text alone in a buffer of its size: ASan sees a read past it */
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	assert_true(n <= 256);
	for (i = 0; i < n; i++)
		ids[i] = 100 + i;
	pf = prefilter_new(lits, ids, n);
	assert_non_null(pf);
	prefilter_run(pf, copy, len, pf_hits_add, &got);
	free(copy);
	pf_ref_run(lits, ids, n, text, len, pf_hits_add, &want);
	if (!pf_hits_equal(&got, &want)) {
		for (i = 0; i < got.n || i < want.n; i++)
			print_message("# %zu: got %zu@%zu want %zu@%zu\n", i,
			    i < got.n ? got.id[i] : 0,
			    i < got.n ? got.at[i] : 0,
			    i < want.n ? want.id[i] : 0,
			    i < want.n ? want.at[i] : 0);
		fail_msg("prefilter and reference differ (%zu, %zu hits)",
		    got.n, want.n);
	}
	nhits = got.n;
	prefilter_free(pf);
	pf_hits_free(&got);
	pf_hits_free(&want);
	return nhits;
}

/* check() over text padded on both sides by pad bytes of filler, for every
 * pad from 0 to 140: matches at the start and end of the text, in the
 * last places of a block, in texts shorter and longer than a block */
static void
check_padded(char *const *lits, size_t n, const char *text, char filler)
{
	size_t len = strlen(text), pad;
	char buf[512];

	assert_true(len + 2 * 140 < sizeof(buf));
	for (pad = 0; pad <= 140; pad++) {
		memset(buf, filler, pad);
		memcpy(buf + pad, text, len);
		memset(buf + pad + len, filler, pad);
		check(lits, n, buf, len + 2 * pad);
		/* and the text alone at the end */
		memset(buf, filler, pad);
		memcpy(buf + pad, text, len);
		check(lits, n, buf, pad + len);
	}
}

/* literals of every length, some prefixes of others, in any case */
static void
test_lengths(void **state)
{
	char *lits[] = {"a", "ab", "abc", "abcd", "abcde", "abcdefghij", "BCD",
	    "cd", "password", "PASS", "pa", "x"};
	size_t n = sizeof(lits) / sizeof(lits[0]);

	(void)state;
	assert_int_equal(check(lits, n, "abcdefghij", 10), 8);
	check_padded(lits, n, "abcdefghij", ' ');
	check_padded(lits, n, "ABCDEFGHIJ", 'z');
	check_padded(lits, n, "aBcDeFgHiJ PassWord pA x", '.');
	check_padded(lits, n, "aaaaaaaabababababcbcbcdcdcd", 'q');
}

/* the same literal twice, and in two cases: all reported, the later
 * given first */
static void
test_duplicates(void **state)
{
	char *lits[] = {"key", "KEY", "key", "eyJ", "eyj", "@", "@", "SK", "sk",
	    "secret", "Secret"};
	size_t n = sizeof(lits) / sizeof(lits[0]);

	(void)state;
	assert_int_equal(check(lits, n, "key", 3), 3);
	check_padded(lits, n, "Key eyJhb a@b SK-123 SECRET", ' ');
	check_padded(lits, n, "keykeyKEYsksk@@@secretsecret", '\n');
}

/* bit 5 folds letters only: '@' is not '`', '[' is not '{', and bytes
 * past ASCII are themselves */
static void
test_not_letters(void **state)
{
	char *lits[] = {"@", "[x]", "{y}", "a@b", "^_^", "~~~~", "\x80\xff",
	    "\xc3\xa9t\xc3\xa9", "\xe0", "1-2", "\x7f\x5f\x3f\x1f"};
	size_t n = sizeof(lits) / sizeof(lits[0]);

	(void)state;
	assert_int_equal(check(lits, n, "`[X]{Y}", 7), 2);
	assert_int_equal(check(lits, n, "`{x}[y]a`b", 10), 0);
	check_padded(lits, n, "` @ {x} [x] [y] {y} a`b a@b A@B ~^~ ^_^", ' ');
	check_padded(lits, n, "\xa0\xdf\xc0\xe0\x80\xff\xa0\xdf", '^');
	check_padded(lits, n,
	    "\xc3\xa9T\xc3\xa9 \xe3\x89t\xe3\x89 \x7f\x5f\x3f\x1f"
	    "\x5f\x7f\x1f\x3f",
	    '\x7f');
	check_padded(lits, n, "~~~~~~~~^^^^____~^_^~", '~');
}

/* more literals of one byte than are compared as such */
static void
test_many_single_bytes(void **state)
{
	char *lits[] = {"@", "#", "$", "%", "&", "q", "Z", "zz", "token"};
	char *few[] = {"token", "@", "#", "$", "%"};
	size_t n = sizeof(lits) / sizeof(lits[0]), k;

	(void)state;
	check_padded(lits, n, "a@b#c$d%e&fQgzZh TOKEN", ' ');
	check_padded(lits, n, "@#$%&@#$%&", 'Q');
	/* one to four of them, each compared (AVX2: two or four at once) */
	for (k = 2; k <= 5; k++) {
		check_padded(few, k, "a@b#c$d%e@@``##$$%%TOKEN", ' ');
		check_padded(few, k, "@#$%@#$%token", '@');
	}
}

/* random literals and texts over a small alphabet, so that they meet */
static void
test_random(void **state)
{
	static const char alpha[] = "aAbBcC@`[{xX-\x80\xe9 ";
	char *lits[40], text[700];
	uint32_t seed = 12345;
	size_t round, n, i, j, len, total = 0;

	(void)state;
	for (round = 0; round < 400; round++) {
		n = 1 + round % 40;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			len = 1 +
			    (seed >> 16) %
				(round % 3 == 2	    ? 11
					: round % 3 ? 7
						    : 3);
			lits[i] = malloc(len + 1);
			assert_non_null(lits[i]);
			for (j = 0; j < len; j++) {
				seed = seed * 1103515245u + 12345u;
				lits[i][j] =
				    alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			}
			lits[i][len] = '\0';
		}
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(text);
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			text[j] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		total += check(lits, n, text, len);
		for (i = 0; i < n; i++)
			free(lits[i]);
	}
	assert_true(total > 1000);
}

/* texts of several chunks of places (their candidates listed, then
 * tried): a literal across a chunk's end, and blocks where every place is a
 * candidate, and a hit */
static void
test_long(void **state)
{
	char *lits[] = {
	    "a", "aa", "aaaa", "abcdef", "bcdefg", "@", "def", "fa", "xyzzy"};
	size_t n = sizeof(lits) / sizeof(lits[0]), at, len;
	char text[3000];
	uint32_t seed = 777;

	(void)state;
	memset(text, 'a', sizeof(text));
	assert_true(check(lits, n, text, sizeof(text)) > 2 * sizeof(text));
	memset(text, '.', sizeof(text));
	for (at = 990; at < 1110; at++) {
		memcpy(text + at, "abcdefg xyzzy", 13);
		check(lits, n, text, 1300);
		check(lits, n, text, at + 6);
		memset(text + at, '.', 13);
	}
	for (len = 0; len < sizeof(text); len++) {
		seed = seed * 1103515245u + 12345u;
		text[len] = "abcdefxyz@. "[(seed >> 16) % 12];
	}
	for (len = 2000; len < sizeof(text); len += 97)
		check(lits, n, text, len);
}

/* mail-like text and literals like the shipped rules' */
static void
test_mail(void **state)
{
	char *lits[] = {"-----BEGIN", "://", "AKIA", "ASIA", "api-key",
	    "apikey", "eyJ", "key", "pass", "pwd", "password", "secret",
	    "confidential", "SK", "Q~", "@", "iban", "ssn", "xoxb-", "ghp_",
	    "contentful", "linear", "discord", "Secret-Key"};
	size_t n = sizeof(lits) / sizeof(lits[0]);
	const char *text =
	    "From alice@example.com Mon\nSubject: the API-KEY and password\n"
	    "\nHello Bob, here is my ApiKey=AKIAXXXXXXXXXXXXXXXX and the "
	    "https://example.com/ link; pwd: hunter2.\n-----BEGIN RSA "
	    "PRIVATE KEY-----\nMIIEv...\n--\nCONFIDENTIAL ghp_abc xoxb-1 "
	    "SSN IBAN eyJhbGciOi sk_live Q~x\n";

	(void)state;
	assert_true(check(lits, n, text, strlen(text)) > 10);
	check_padded(lits, n, "ApiKey=AKIA https:// -----BEGIN", '-');
	/* heads of 4, 6 and 8 bytes that literals share with words */
	check_padded(lits, n,
	    "content contentfuL line linea LINEAR discount discord "
	    "secret secret-k SECRET-KEY confidentia",
	    ' ');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_not_letters),
	    cmocka_unit_test(test_many_single_bytes),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_long),
	    cmocka_unit_test(test_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
