/*
 * validators_test.c - unit tests of validators(3): Luhn, payment cards
 * (published test numbers and numbers computed here), separators.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <exfil/common.h>
#include <exfil/validators.h>

/* an independent Luhn (ISO/IEC 7812-1 annex B) over a digit string */
static bool
luhn_ok(const char *d)
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

/* complete prefix with filler digits and a Luhn check digit to len */
static void
make_number(char *out, const char *prefix, size_t len, uint32_t *seed)
{
	size_t i;
	char c;

	strcpy(out, prefix);
	for (i = strlen(prefix); i < len - 1; i++) {
		*seed = *seed * 1103515245u + 12345u;
		out[i] = (char)('0' + (*seed >> 16) % 10);
	}
	out[len] = '\0';
	for (c = '0'; c <= '9'; c++) {
		out[len - 1] = c;
		if (luhn_ok(out))
			return;
	}
	fail_msg("no check digit for %s", out);
}

static bool
card(const char *s)
{
	return validate_payment_card(s, strlen(s));
}

static bool
luhn(const char *s)
{
	return validate_luhn(s, strlen(s));
}

/* the brands' published test numbers */
static void
test_published_numbers(void **state)
{
	static const char *const good[] = {
	    "4111111111111111", /* Visa */
	    "4012888888881881", /* Visa */
	    "4222222222222", /* Visa, 13 digits */
	    "5555555555554444", /* Mastercard */
	    "5105105105105100", /* Mastercard */
	    "2223000048400011", /* Mastercard 2-series */
	    "378282246310005", /* American Express */
	    "371449635398431", /* American Express */
	    "6011111111111117", /* Discover */
	    "6011000990139424", /* Discover */
	    "3530111333300000", /* JCB */
	    "3566002020360505", /* JCB */
	    "30569309025904", /* Diners Club */
	    "38520000023237", /* Diners Club */
	};
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(good); i++) {
		/* the table itself is right */
		assert_true(luhn_ok(good[i]));
		if (!card(good[i]))
			fail_msg("%s: want a valid card", good[i]);
		assert_true(luhn(good[i]) == (strlen(good[i]) >= 13));
	}
}

/* numbers computed here for each brand's prefixes and lengths */
static void
test_brands_computed(void **state)
{
	static const struct {
		const char *prefix;
		size_t len;
		bool valid;
	} cases[] = {
	    {"4", 13, true},
	    {"4", 16, true},
	    {"4", 19, true},
	    {"51", 16, true},
	    {"55", 16, true},
	    {"2221", 16, true},
	    {"2720", 16, true},
	    {"34", 15, true},
	    {"37", 15, true},
	    {"6011", 16, true},
	    {"65", 16, true},
	    {"644", 16, true},
	    {"3528", 16, true},
	    {"3589", 16, true},
	    {"36", 14, true},
	    {"300", 14, true},
	    {"305", 16, true},
	    {"3095", 14, true},
	    {"38", 14, true},
	    {"39", 16, true},
	    {"62", 16, true},
	    /* wrong prefix */
	    {"9", 16, false},
	    {"1", 16, false},
	    {"0", 16, false},
	    {"2220", 16, false},
	    {"2721", 16, false},
	    {"3527", 16, false},
	    {"59", 16, false},
	    {"33", 15, false},
	    /* wrong length for the brand */
	    {"4", 12, false},
	    {"51", 15, false},
	    {"51", 17, false},
	    {"34", 16, false},
	    {"37", 14, false},
	    {"4", 20, false},
	};
	char num[32];
	uint32_t seed = 42;
	size_t i, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
			make_number(num, cases[i].prefix, cases[i].len, &seed);
			assert_true(luhn_ok(num));
			if (card(num) != cases[i].valid)
				fail_msg("%s (prefix %s, %zu digits): want %s",
				    num, cases[i].prefix, cases[i].len,
				    cases[i].valid ? "valid" : "invalid");
		}
	}
}

/* a Luhn-invalid number is never a card, whatever its prefix */
static void
test_luhn_invalid(void **state)
{
	static const char *const bad[] = {
	    "4111111111111112",
	    "5555555555554445",
	    "378282246310006",
	    "6011111111111118",
	    "3530111333300001",
	    "30569309025905",
	    "1234567812345678",
	};
	char num[32];
	uint32_t seed = 7;
	size_t i, pos;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(bad); i++) {
		assert_false(luhn_ok(bad[i]));
		assert_false(card(bad[i]));
		assert_false(luhn(bad[i]));
	}
	/* Luhn catches every single-digit change */
	for (i = 0; i < 200; i++) {
		make_number(num, "4", 16, &seed);
		pos = i % 16;
		num[pos] = (char)('0' + (num[pos] - '0' + 1 + i % 9) % 10);
		assert_false(card(num));
		assert_false(luhn(num));
	}
}

/* validate_luhn against the independent Luhn over random digit strings */
static void
test_luhn_random(void **state)
{
	char num[32];
	uint32_t x = 99;
	size_t i, k, len;
	unsigned valid = 0;

	(void)state;
	for (i = 0; i < 5000; i++) {
		x = x * 1103515245u + 12345u;
		len = 10 + (x >> 16) % 12; /* 10 to 21 digits */
		for (k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			num[k] = (char)('0' + (x >> 16) % 10);
		}
		num[len] = '\0';
		assert_int_equal(
		    luhn(num), luhn_ok(num) && len >= 13 && len <= 19);
		valid += luhn(num);
	}
	assert_true(valid > 100); /* both outcomes were exercised */
}

/* blanks, dashes, dots and slashes between digits are ignored */
static void
test_separators(void **state)
{
	static const struct {
		const char *s;
		bool valid;
	} cases[] = {
	    {"4111 1111 1111 1111", true},
	    {"4111-1111-1111-1111", true},
	    {"4111.1111.1111.1111", true},
	    {"4111/1111/1111/1111", true},
	    {"4111  1111\t1111 - 1111", true},
	    {"3782-822463-10005", true},
	    {"5555 5555 5555 4444", true},
	    {"4111 1111 1111 1112", false},
	    {"4111 1111 1111", false}, /* 12 digits */
	    {"", false},
	    {"----", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		if (card(cases[i].s) != cases[i].valid)
			fail_msg("\"%s\": want %s", cases[i].s,
			    cases[i].valid ? "valid" : "invalid");
		assert_int_equal(luhn(cases[i].s), cases[i].valid);
	}
}

/* only n bytes are read: the rest of the buffer does not count */
static void
test_length_respected(void **state)
{
	static const char s[] = "41111111111111119999";

	(void)state;
	assert_true(validate_payment_card(s, 16));
	assert_false(validate_payment_card(s, 17));
	assert_true(validate_luhn(s, 16));
	assert_false(validate_luhn(s, 0));
}

/* Luhn needs 13 to 19 digits */
static void
test_luhn_lengths(void **state)
{
	char num[32];
	uint32_t seed = 3;
	size_t len;

	(void)state;
	assert_false(luhn("79927398713")); /* valid checksum, 11 digits */
	for (len = 2; len <= 24; len++) {
		make_number(num, "7", len, &seed);
		assert_int_equal(luhn(num), len >= 13 && len <= 19);
	}
}

static void
test_digits(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(validator_digits("41-11 x9", 8, out, sizeof(out)), 5);
	assert_memory_equal(out, "41119", 5);
	/* more digits than room: all are counted, only room is written */
	memset(out, '#', sizeof(out));
	assert_int_equal(validator_digits("0123456789", 10, out, 4), 10);
	assert_memory_equal(out, "0123####", 8);
	assert_int_equal(validator_digits("", 0, out, sizeof(out)), 0);
}

static void
test_find(void **state)
{
	const struct validator *v;

	(void)state;
	v = validator_find("luhn");
	assert_non_null(v);
	assert_string_equal(v->name, "luhn");
	assert_true(v->digits_only);
	assert_true(v->check("4111111111111111", 16));
	assert_false(v->check("4111111111111112", 16));
	v = validator_find("payment_card");
	assert_non_null(v);
	assert_true(v->digits_only);
	assert_true(v->check("378282246310005", 15));
	/* a Luhn-valid number of no brand */
	assert_true(luhn_ok("9000000000000001"));
	assert_false(v->check("9000000000000001", 16));
	assert_true(validator_find("luhn")->check("9000000000000001", 16));
	assert_null(validator_find("nope"));
	assert_null(validator_find(""));
	assert_null(validator_find("LUHN"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_published_numbers),
	    cmocka_unit_test(test_brands_computed),
	    cmocka_unit_test(test_luhn_invalid),
	    cmocka_unit_test(test_luhn_random),
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_length_respected),
	    cmocka_unit_test(test_luhn_lengths),
	    cmocka_unit_test(test_digits),
	    cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
