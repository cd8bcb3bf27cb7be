/*
 * validators_test.c - unit tests of validators(3): Luhn, payment cards
 * (published test numbers and numbers computed here), separators; IBAN,
 * US SSN, ABA routing, UK NINO, German Steuer-ID, JWT, PEM private keys
 * and entropy against published values; and every sample of the shared
 * PII corpora ($top_srcdir/../shared/corpora/pii) whose type maps to a
 * validator, with the agreement rate per type.
 */
#include "config.h"

#include <math.h>
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

#include "testutil.h"

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
		assert_true(testutil_luhn_ok(good[i]));
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
			testutil_card_number(
			    num, cases[i].prefix, cases[i].len, &seed);
			assert_true(testutil_luhn_ok(num));
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
		assert_false(testutil_luhn_ok(bad[i]));
		assert_false(card(bad[i]));
		assert_false(luhn(bad[i]));
	}
	/* Luhn catches every single-digit change */
	for (i = 0; i < 200; i++) {
		testutil_card_number(num, "4", 16, &seed);
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
		testutil_next(&x);
		len = 10 + (x >> 16) % 12; /* 10 to 21 digits */
		for (k = 0; k < len; k++) {
			testutil_next(&x);
			num[k] = (char)('0' + (x >> 16) % 10);
		}
		num[len] = '\0';
		assert_int_equal(
		    luhn(num), testutil_luhn_ok(num) && len >= 13 && len <= 19);
		valid += luhn(num);
	}
	assert_true(valid > 100); /* both outcomes were exercised */
}

/*
 * validate_payment_card over random numbers of 10 to 21 digits that begin
 * with 2 to 6 (a brand's first digit), half of them Luhn-completed, with
 * blanks, dashes and dots before, between and after the digits: the same
 * answer as over the digits alone, and both answers exercised
 */
static void
test_card_random_separators(void **state)
{
	static const char seps[] = " -.";
	char num[32], sep[128];
	uint32_t x = 7;
	size_t i, k, len, o;
	unsigned valid = 0;
	bool want;

	(void)state;
	for (i = 0; i < 20000; i++) {
		testutil_next(&x);
		len = 10 + (x >> 16) % 12;
		for (k = 0; k < len; k++) {
			testutil_next(&x);
			num[k] = (char)('0' + (x >> 16) % 10);
		}
		num[0] = (char)('2' + (x >> 8) % 5);
		num[len] = '\0';
		for (k = 0; i % 2 && k < 10 && !testutil_luhn_ok(num); k++)
			num[len - 1] = (char)('0' + k);
		want = card(num);
		for (o = 0, k = 0; k < len; k++) {
			testutil_next(&x);
			if ((x >> 16) % 3 == 0)
				sep[o++] = seps[(x >> 20) % 3];
			sep[o++] = num[k];
		}
		sep[o++] = seps[(x >> 24) % 3];
		sep[o] = '\0';
		assert_int_equal(card(sep), want);
		valid += want;
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
		testutil_card_number(num, "7", len, &seed);
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
	static const struct {
		const char *name;
		bool digits_only, alnum_upper;
	} names[] = {
	    {"luhn", true, false},
	    {"payment_card", true, false},
	    {"iban", false, true},
	    {"us_ssn", true, false},
	    {"aba_routing", true, false},
	    {"uk_nino", false, true},
	    {"de_steuer_id", true, false},
	    {"jwt", false, false},
	    {"pem_private_key", false, false},
	};
	const struct validator *v;
	size_t i;

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
	assert_true(testutil_luhn_ok("9000000000000001"));
	assert_false(v->check("9000000000000001", 16));
	assert_true(validator_find("luhn")->check("9000000000000001", 16));
	for (i = 0; i < EXFIL_ARRAY_LEN(names); i++) {
		v = validator_find(names[i].name);
		if (v == NULL)
			fail_msg("validator %s not found", names[i].name);
		assert_string_equal(v->name, names[i].name);
		assert_int_equal(v->digits_only, names[i].digits_only);
		assert_int_equal(v->alnum_upper, names[i].alnum_upper);
		assert_false(v->digits_only && v->alnum_upper);
	}
	assert_null(validator_find("nope"));
	assert_null(validator_find(""));
	assert_null(validator_find("LUHN"));
	assert_null(validator_find("IBAN"));
	/* entropy is a rule keyword, not a validator */
	assert_null(validator_find("entropy"));
}

struct vcase {
	const char *s;
	bool valid;
};

/* run the validator called name over cases */
static void
check_cases(const char *name, const struct vcase *cases, size_t n)
{
	const struct validator *v = validator_find(name);
	size_t i;

	if (v == NULL)
		fail_msg("validator %s not found", name);
	for (i = 0; i < n; i++)
		if (v->check(cases[i].s, strlen(cases[i].s)) != cases[i].valid)
			fail_msg("%s \"%s\": want %s", name, cases[i].s,
			    cases[i].valid ? "valid" : "invalid");
}

/*
 * The example IBAN of each country in the SWIFT IBAN registry (as
 * printed there, in groups of four), and invalid ones from python-stdnum
 * (tests/test_iban.doctest).
 */
static const char *const iban_registry_examples[] = {
    "AD12 0001 2030 2003 5910 0100",
    "AE07 0331 2345 6789 0123 456",
    "AL47 2121 1009 0000 0002 3569 8741",
    "AT61 1904 3002 3457 3201",
    "AZ21 NABZ 0000 0000 1370 1000 1944",
    "BA39 1290 0794 0102 8494",
    "BE68 5390 0754 7034",
    "BG80 BNBG 9661 1020 3456 78",
    "BH67 BMAG 0000 1299 1234 56",
    "BI42 1000 0100 0100 0033 2045 181",
    "BR18 0036 0305 0000 1000 9795 493C 1",
    "BY13 NBRB 3600 9000 0000 2Z00 AB00",
    "CH93 0076 2011 6238 5295 7",
    "CR05 0152 0200 1026 2840 66",
    "CY17 0020 0128 0000 0012 0052 7600",
    "CZ65 0800 0000 1920 0014 5399",
    "DE89 3704 0044 0532 0130 00",
    "DJ21 0001 0000 0001 5400 0100 186",
    "DK50 0040 0440 1162 43",
    "DO28 BAGR 0000 0001 2124 5361 1324",
    "EE38 2200 2210 2014 5685",
    "EG38 0019 0005 0000 0000 2631 8000 2",
    "ES91 2100 0418 4502 0005 1332",
    "FI21 1234 5600 0007 85",
    "FK88 SC12 3456 7890 12",
    "FO62 6460 0001 6316 34",
    "FR14 2004 1010 0505 0001 3M02 606",
    "GB29 NWBK 6016 1331 9268 19",
    "GE29 NB00 0000 0101 9049 17",
    "GI75 NWBK 0000 0000 7099 453",
    "GL89 6471 0001 0002 06",
    "GR16 0110 1250 0000 0001 2300 695",
    "GT82 TRAJ 0102 0000 0012 1002 9690",
    "HN88 CABF 0000 0000 0002 5000 5469",
    "HR12 1001 0051 8630 0016 0",
    "HU42 1177 3016 1111 1018 0000 0000",
    "IE29 AIBK 9311 5212 3456 78",
    "IL62 0108 0000 0009 9999 999",
    "IQ98 NBIQ 8501 2345 6789 012",
    "IS14 0159 2600 7654 5510 7303 39",
    "IT60 X054 2811 1010 0000 0123 456",
    "JO94 CBJO 0010 0000 0000 0131 0003 02",
    "KW81 CBKU 0000 0000 0000 1234 5601 01",
    "KZ86 125K ZT50 0410 0100",
    "LB62 0999 0000 0001 0019 0122 9114",
    "LC55 HEMM 0001 0001 0012 0012 0002 3015",
    "LI21 0881 0000 2324 013A A",
    "LT12 1000 0111 0100 1000",
    "LU28 0019 4006 4475 0000",
    "LV80 BANK 0000 4351 9500 1",
    "LY83 0020 4800 0020 1001 2036 1",
    "MC58 1122 2000 0101 2345 6789 030",
    "MD24 AG00 0225 1000 1310 4168",
    "ME25 5050 0001 2345 6789 51",
    "MK07 2501 2000 0058 984",
    "MN12 1234 1234 5678 9123",
    "MR13 0002 0001 0100 0012 3456 753",
    "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
    "MU17 BOMM 0101 1010 3030 0200 000M UR",
    "NI45 BAPR 0000 0013 0000 0355 8124",
    "NL91 ABNA 0417 1643 00",
    "NO93 8601 1117 947",
    "OM81 0180 0000 0129 9123 456",
    "PK36 SCBL 0000 0011 2345 6702",
    "PL61 1090 1014 0000 0712 1981 2874",
    "PS92 PALS 0000 0000 0400 1234 5670 2",
    "PT50 0002 0123 1234 5678 9015 4",
    "QA58 DOHB 0000 1234 5678 90AB CDEF G",
    "RO49 AAAA 1B31 0075 9384 0000",
    "RS35 2600 0560 1001 6113 79",
    "RU02 0445 2560 0407 0281 0412 3456 7890 1",
    "SA03 8000 0000 6080 1016 7519",
    "SC18 SSCB 1101 0000 0000 0000 1497 USD",
    "SD21 2901 0501 2340 01",
    "SE45 5000 0000 0583 9825 7466",
    "SI56 2633 0001 2039 086",
    "SK31 1200 0000 1987 4263 7541",
    "SM86 U032 2509 8000 0000 0270 100",
    "SO21 1000 0010 0100 0100 141",
    "ST23 0001 0001 0051 8453 1014 6",
    "SV62 CENR 0000 0000 0000 0070 0025",
    "TL38 0080 0123 4567 8910 157",
    "TN59 1000 6035 1835 9847 8831",
    "TR33 0006 1005 1978 6457 8413 26",
    "UA21 3223 1300 0002 6007 2335 6600 1",
    "VA59 0011 2300 0012 3456 78",
    "VG96 VPVG 0000 0123 4567 8901",
    "XK05 1212 0123 4567 8906",
    /* Yemen: the registry's example is not at hand; computed here */
    "YE56 CBYE 0001 0180 0000 1234 5678 91",
};

static void
test_iban_published(void **state)
{
	static const struct vcase cases[] = {
	    /* as printed, run together, lower case, dashed, dotted */
	    {"DE89 3704 0044 0532 0130 00", true},
	    {"DE89370400440532013000", true},
	    {"de89370400440532013000", true},
	    {"gb29 nwbk 6016 1331 9268 19", true},
	    {"GB29-NWBK-6016-1331-9268-19", true},
	    {"NO93.8601.1117.947", true},
	    {"FR14 2004 1010 0505 0001 3m02 606", true},
	    /* python-stdnum tests/test_iban.doctest: invalid */
	    {"AD48 0001 2030 2003 5910 01", false}, /* length */
	    {"AT93 1904 3002 3457 3201 99", false}, /* length */
	    {"BE36 5390 0754 7034 1234", false}, /* length */
	    {"BA30 1290 0794 0102 84", false}, /* length */
	    {"BG93 BNBG 9661 1A20 3456 78", false}, /* A where 2!n */
	    {"GI22 NW3K 0000 0000 7099 453", false}, /* 3 where 4!a */
	    {"NL56 3003 0A17 1643 00", false}, /* A where 10!n */
	    {"QQ93 1234 5678", false}, /* no such country */
	    {"ES2121000418450200051331", false}, /* CCC check digits */
	    {"ES89 3183 1500 9500 0121 0562", false}, /* CCC check digits */
	    {"AL48212110090000000235698741", false}, /* mod 97 */
	    {"CZ6508000000129000145399", false}, /* mod 97 */
	    {"DK5000400440116342", false}, /* mod 97 */
	    /* the registry examples with one digit changed */
	    {"DE89 3704 0044 0532 0130 01", false},
	    {"NL91 ABNA 0417 1643 01", false},
	    {"GB29 NWBK 6016 1331 9268 18", false},
	    /* Belgium's own check (first ten digits mod 97): computed here,
	     * the IBAN check digits right, the account's wrong */
	    {"BE43 5390 0754 7035", false},
	    /* check digits 01 pass mod 97 where 98 does: computed here */
	    {"GB98 NWBK 6016 1300 0000 64", true},
	    {"GB01 NWBK 6016 1300 0000 64", false},
	    {"DE00 3704 0044 0532 0130 00", false},
	    {"DE99 3704 0044 0532 0130 00", false},
	    /* not an IBAN at all */
	    {"", false},
	    {"DE", false},
	    {"DE89", false},
	    {"DE89 3704 0044 0532 0130 00 00", false},
	    {"DE89_3704_0044_0532_0130_00", false},
	    {"DE89 3704 0044 0532 0130 0O", false},
	    {"1234 5678 9012 3456 7890 12", false},
	};

	(void)state;
	check_cases("iban", cases, EXFIL_ARRAY_LEN(cases));
}

/* every registry example, spaced and run together */
static void
test_iban_registry(void **state)
{
	char d[64];
	size_t i, k, j;

	(void)state;
	assert_int_equal(EXFIL_ARRAY_LEN(iban_registry_examples), 89);
	for (i = 0; i < EXFIL_ARRAY_LEN(iban_registry_examples); i++) {
		const char *s = iban_registry_examples[i];

		if (!validate_iban(s, strlen(s)))
			fail_msg("\"%s\": want valid", s);
		for (j = k = 0; s[j]; j++)
			if (s[j] != ' ')
				d[k++] = s[j];
		if (!validate_iban(d, k))
			fail_msg("\"%.*s\": want valid", (int)k, d);
		/* one character short or one more */
		assert_false(validate_iban(d, k - 1));
		d[k] = '0';
		assert_false(validate_iban(d, k + 1));
	}
}

/*
 * mod 97 catches every change of one digit into another (a letter
 * changed into digits is not always caught: it weighs two places)
 */
static void
test_iban_single_changes(void **state)
{
	char d[64];
	size_t i, k, j, pos;
	char c, was;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(iban_registry_examples); i++) {
		const char *s = iban_registry_examples[i];

		for (j = k = 0; s[j]; j++)
			if (s[j] != ' ')
				d[k++] = s[j];
		for (pos = 2; pos < k; pos++) {
			was = d[pos];
			if (was < '0' || was > '9')
				continue;
			for (c = '0'; c <= '9'; c++) {
				if (c == was)
					continue;
				d[pos] = c;
				if (validate_iban(d, k))
					fail_msg("\"%.*s\": want invalid",
					    (int)k, d);
			}
			d[pos] = was;
		}
	}
}

/*
 * validate_iban_lead() accepts the two letters of every country of the
 * registry, in either case, and no others, with check digits 02 to 98:
 * no IBAN validate_iban() accepts starts otherwise
 */
static void
test_iban_lead(void **state)
{
	char s[5] = "AA12";
	size_t i;
	bool want;
	int a, b;

	(void)state;
	for (a = 'A'; a <= 'Z'; a++)
		for (b = 'A'; b <= 'Z'; b++) {
			s[0] = (char)a, s[1] = (char)b;
			for (want = false, i = 0;
			     i < EXFIL_ARRAY_LEN(iban_registry_examples); i++)
				want |= strncmp(iban_registry_examples[i], s,
					    2) == 0;
			if (validate_iban_lead(s) != want)
				fail_msg("\"%s\": want %d", s, want);
		}
	assert_true(validate_iban_lead("de89"));
	assert_true(validate_iban_lead("Gb02"));
	assert_true(validate_iban_lead("GB98"));
	assert_false(validate_iban_lead("GB01"));
	assert_false(validate_iban_lead("DE00"));
	assert_false(validate_iban_lead("DE99"));
	assert_false(validate_iban_lead("DE8 "));
	assert_false(validate_iban_lead("D189"));
	assert_false(validate_iban_lead("QQ93"));
}

static void
test_us_ssn(void **state)
{
	static const struct vcase cases[] = {
	    /* python-stdnum stdnum/us/ssn.py */
	    {"536-90-4399", true},
	    {"536904399", true},
	    {"1112-23333", false}, /* dash in the wrong place */
	    {"666-00-0000", false},
	    {"078-05-1120", false}, /* the Woolworth wallet card */
	    {"457-55-5462", false},
	    {"219-09-9999", false},
	    /* the structural rules of the SSA (us-ssn-rules.md) */
	    {"536 90 4399", true},
	    {"536-904399", true},
	    {"000-12-3456", false}, /* area 000 */
	    {"666-12-3456", false}, /* area 666 */
	    {"900-12-3456", false}, /* area 9xx */
	    {"987-65-4320", false}, /* SSA advertising range */
	    {"999-99-9999", false},
	    {"536-00-4399", false}, /* group 00 */
	    {"536-90-0000", false}, /* serial 0000 */
	    {"665-01-0001", true},
	    {"667-99-9999", true},
	    {"899-99-9999", true},
	    {"001-01-0001", true},
	    {"53-690-4399", false},
	    {"5369-0-4399", false},
	    {"536-90-439", false},
	    {"536-90-43999", false},
	    {"53690439", false},
	    {"536-9O-4399", false},
	    {"", false},
	};

	(void)state;
	check_cases("us_ssn", cases, EXFIL_ARRAY_LEN(cases));
}

/*
 * validate_aba_routing over random numbers of eight to ten digits, a
 * blank or dash now and then between them: the same answer as the
 * 3-7-1 checksum and the ranges of the first two digits computed here,
 * and both answers exercised
 */
static void
test_aba_random(void **state)
{
	char num[32];
	unsigned d[16], k, len, o, p, sum, valid = 0, round;
	uint32_t x = 5;
	bool want;

	(void)state;
	for (round = 0; round < 30000; round++) {
		testutil_next(&x);
		len = 8 + (x >> 16) % 3;
		for (o = 0, k = 0; k < len; k++) {
			testutil_next(&x);
			d[k] = (x >> 16) % 10;
			/* a first digit of the ranges half the time */
			if (k == 0 && round % 2)
				d[k] = (x >> 20) % 4 == 0 ? 8 : (x >> 20) % 2;
			if (k && (x >> 24) % 5 == 0)
				num[o++] = (x >> 28) % 2 ? ' ' : '-';
			num[o++] = (char)('0' + d[k]);
		}
		/* the check digit right half the time */
		for (sum = 0, k = 0; k + 1 < len; k++)
			sum += (k % 3 == 0 ? 3 : k % 3 == 1 ? 7 : 1) * d[k];
		if (round % 4 < 2 && len == 9) {
			d[8] = (10 - sum % 10) % 10;
			num[o - 1] = (char)('0' + d[8]);
		}
		num[o] = '\0';
		p = d[0] * 10 + d[1];
		want = len == 9 && (sum + d[len - 1]) % 10 == 0 &&
		    (p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) ||
			p == 80);
		for (k = 0; want && k < 9 && d[k] == 0; k++)
			;
		want = want && k < 9;
		assert_int_equal(validate_aba_routing(num, o), want);
		valid += want;
	}
	assert_true(valid > 100); /* both outcomes were exercised */
}

static void
test_aba_routing(void **state)
{
	static const struct vcase cases[] = {
	    /* python-stdnum stdnum/us/rtn.py */
	    {"111000025", true},
	    {"112000025", false}, /* checksum */
	    {"11100002", false}, /* eight digits */
	    {"11100002B", false},
	    /* routing numbers the banks publish */
	    {"011000015", true}, /* Federal Reserve Bank of Boston */
	    {"021000021", true}, /* JPMorgan Chase, New York */
	    {"121000358", true}, /* Bank of America, California */
	    {"322271627", true}, /* JPMorgan Chase, California */
	    {"0210-0002-1", true},
	    /* checksum right, no such Federal Reserve range: computed */
	    {"131000021", false},
	    {"201000029", false},
	    {"331000025", false},
	    {"601000027", false},
	    {"731000023", false},
	    {"791000021", false},
	    {"811000024", false},
	    {"991000025", false},
	    {"000000000", false},
	    {"1110000250", false},
	    {"", false},
	};

	(void)state;
	check_cases("aba_routing", cases, EXFIL_ARRAY_LEN(cases));
}

static void
test_uk_nino(void **state)
{
	static const struct vcase cases[] = {
	    /* HMRC National Insurance Manual NIM39110 rules; examples as
	     * used by public validators' tests (idnumbers,
	     * is-national-insurance-number, PaperMtn ni_numbers.yaml) */
	    {"AB123456A", true},
	    {"AA012344B", true},
	    {"AA111111A", true},
	    {"AA123456C", true},
	    {"AB 12 34 56 C", true},
	    {"ab 12 34 56 c", true},
	    {"AB-12-34-56-D", true},
	    {"AD123456A", false}, /* D second */
	    {"BO012344B", false}, /* O second */
	    {"GB012344B", false}, /* prefix GB */
	    {"AB111111G", false}, /* suffix */
	    {"ZZ123456C", false}, /* prefix ZZ */
	    /* gov.uk's placeholder "QQ 12 34 56 C": Q is never used */
	    {"QQ 12 34 56 C", false},
	    {"DA123456A", false},
	    {"FA123456A", false},
	    {"IA123456A", false},
	    {"UA123456A", false},
	    {"VA123456A", false},
	    {"AF123456A", false},
	    {"AI123456A", false},
	    {"AQ123456A", false},
	    {"AU123456A", false},
	    {"AV123456A", false},
	    {"OA123456A", true}, /* O is fine first */
	    {"BG123456A", false},
	    {"KN123456A", false},
	    {"NK123456A", false},
	    {"NT123456A", false},
	    {"TN123456A", false},
	    {"AB123456E", false},
	    {"AB123456", false}, /* no suffix */
	    {"AB12345C", false},
	    {"AB1234567C", false},
	    {"A1123456C", false},
	    {"", false},
	};

	(void)state;
	check_cases("uk_nino", cases, EXFIL_ARRAY_LEN(cases));
}

static void
test_de_steuer_id(void **state)
{
	static const struct vcase cases[] = {
	    /* python-stdnum stdnum/de/idnr.py, tests/test_de_idnr.doctest */
	    {"36 574 261 809", true},
	    {"36574261809", true},
	    {"36574261890", false}, /* checksum */
	    {"36554266806", false}, /* more digits repeated */
	    {"116574261809", false}, /* length */
	    {"A6574261809", false},
	    {"01234567896", false}, /* leading zero */
	    {"12345678903", false}, /* each digit once */
	    {"11234567890", true}, /* one digit twice */
	    {"11123456786", true}, /* one digit three times */
	    {"11112345678", false}, /* one digit four times */
	    {"11223456785", false}, /* two digits more than once */
	    /* the example of de.wikipedia.org, Steuerliche
	     * Identifikationsnummer */
	    {"86095742719", true},
	    {"86095742710", false},
	    {"86 095 742 719", true},
	    {"", false},
	};

	(void)state;
	check_cases("de_steuer_id", cases, EXFIL_ARRAY_LEN(cases));
}

static void
test_jwt(void **state)
{
	static const struct vcase cases[] = {
	    /* RFC 7519 section 3.1 (header with CRLF inside) */
	    {"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	     "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	     "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	     "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		true},
	    /* RFC 7519 section 6.1: an unsecured JWT, empty signature */
	    {"eyJhbGciOiJub25lIn0."
	     "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	     "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
		true},
	    /* the example token of jwt.io */
	    {"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	     "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
	     "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		true},
	    /* padded parts, as some libraries write them */
	    {"eyJhbGciOiJub25lIn0=.eyJzdWIiOiIxIn0=.", true},
	    /* header {"typ":"JWT"}: no alg */
	    {"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln", false},
	    /* header ["alg"]: not an object */
	    {"WyJhbGciXQ.eyJzdWIiOiIxIn0.c2ln", false},
	    /* two parts, four parts, empty payload */
	    {"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0", false},
	    {"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2ln.c2ln", false},
	    {"eyJhbGciOiJub25lIn0..c2ln", false},
	    {".eyJzdWIiOiIxIn0.c2ln", false},
	    /* characters outside base64url */
	    {"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2l+", false},
	    {"eyJhbGciOiJub25lIn0.eyJzd WIiOiIxIn0.c2ln", false},
	    {"www.example.com", false},
	    {"a.b.c", false},
	    {"", false},
	};

	(void)state;
	check_cases("jwt", cases, EXFIL_ARRAY_LEN(cases));
}

/* a synthetic body: base64 characters, not a key */
#define PEM_BODY \
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCexampleexample\n" \
	"Tm90IGEgcmVhbCBrZXk6IGV4ZmlsLW1pbHRlciB0ZXN0IGRhdGEgb25seQ==\n"

static void
test_pem_private_key(void **state)
{
	static const struct vcase cases[] = {
	    /* the labels of RFC 7468 (PKCS #8), RFC 1421 style keys of
	     * OpenSSL, OpenSSH and OpenPGP (RFC 4880 armor) */
	    {"-----BEGIN PRIVATE KEY-----\n" PEM_BODY
	     "-----END PRIVATE KEY-----",
		true},
	    {"-----BEGIN RSA PRIVATE KEY-----\n" PEM_BODY
	     "-----END RSA PRIVATE KEY-----\n",
		true},
	    {"-----BEGIN EC PRIVATE KEY-----\r\n" PEM_BODY
	     "-----END EC PRIVATE KEY-----\r\n",
		true},
	    {"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" PEM_BODY
	     "-----END ENCRYPTED PRIVATE KEY-----",
		true},
	    {"-----BEGIN OPENSSH PRIVATE KEY-----\n" PEM_BODY
	     "-----END OPENSSH PRIVATE KEY-----",
		true},
	    {"  -----BEGIN DSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	     "DEK-Info: "
	     "AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" PEM_BODY
	     "-----END DSA PRIVATE KEY-----  ",
		true},
	    {"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG "
	     "v2\n\n" PEM_BODY "=njUN\n-----END PGP PRIVATE KEY BLOCK-----",
		true},
	    /* labels that do not match */
	    {"-----BEGIN RSA PRIVATE KEY-----\n" PEM_BODY
	     "-----END EC PRIVATE KEY-----",
		false},
	    {"-----BEGIN PRIVATE KEY-----\n" PEM_BODY
	     "-----END RSA PRIVATE KEY-----",
		false},
	    /* not private keys */
	    {"-----BEGIN PUBLIC KEY-----\n" PEM_BODY "-----END PUBLIC KEY-----",
		false},
	    {"-----BEGIN CERTIFICATE-----\n" PEM_BODY
	     "-----END CERTIFICATE-----",
		false},
	    {"-----BEGIN NOTPRIVATE KEY-----\n" PEM_BODY
	     "-----END NOTPRIVATE KEY-----",
		false},
	    /* placeholders in documentation, truncated blocks */
	    {"-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n"
	     "-----END RSA PRIVATE KEY-----",
		false},
	    {"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n"
	     "-----END RSA PRIVATE KEY-----",
		false},
	    {"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"
	     "-----END RSA PRIVATE KEY-----",
		false},
	    {"-----BEGIN RSA PRIVATE KEY-----\n" PEM_BODY, false},
	    {"-----BEGIN RSA PRIVATE KEY-----\n" PEM_BODY
	     "-----END RSA PRIVATE KEY-----\nmore text",
		false},
	    {"-----BEGIN PRIVATE KEY----------END PRIVATE KEY-----", false},
	    {"-----BEGIN PRIVATE KEY-----", false},
	    {"", false},
	};

	(void)state;
	check_cases("pem_private_key", cases, EXFIL_ARRAY_LEN(cases));
}

static void
test_entropy(void **state)
{
	char all[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	assert_true(validator_entropy("", 0) == 0.0);
	assert_true(validator_entropy("aaaaaaaa", 8) == 0.0);
	assert_true(fabs(validator_entropy("abababab", 8) - 1.0) < 1e-9);
	assert_true(fabs(validator_entropy("abcd", 4) - 2.0) < 1e-9);
	assert_true(
	    fabs(validator_entropy("0123456789abcdef", 16) - 4.0) < 1e-9);
	assert_true(fabs(validator_entropy(all, sizeof(all)) - 8.0) < 1e-9);
	/* three symbols with 1/2, 1/4, 1/4: 1.5 bits */
	assert_true(fabs(validator_entropy("aabc", 4) - 1.5) < 1e-9);
	/* only n bytes count */
	assert_true(validator_entropy("aaaabcd", 4) == 0.0);
	/* a random-looking token scores higher than a word */
	assert_true(validator_entropy(
			"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40) > 4.5);
	assert_true(validator_entropy("passwordpassword", 16) < 3.0);
}

static void
test_normalize(void **state)
{
	char out[64];
	size_t k;

	(void)state;
	/* alnum_upper: the same IBAN written two ways is one value */
	k = validator_normalize(validator_find("iban"),
	    "gb29 nwbk-6016.1331 9268 19", 27, out, sizeof(out));
	assert_int_equal(k, 22);
	assert_memory_equal(out, "GB29NWBK60161331926819", 22);
	k = validator_normalize(
	    validator_find("uk_nino"), "ab 12 34 56 c", 13, out, sizeof(out));
	assert_int_equal(k, 9);
	assert_memory_equal(out, "AB123456C", 9);
	/* digits_only: as validator_digits */
	k = validator_normalize(
	    validator_find("us_ssn"), "536-90-4399", 11, out, sizeof(out));
	assert_int_equal(k, 9);
	assert_memory_equal(out, "536904399", 9);
	/* neither: the value as it is */
	k = validator_normalize(
	    validator_find("jwt"), "a.B-c_", 6, out, sizeof(out));
	assert_int_equal(k, 6);
	assert_memory_equal(out, "a.B-c_", 6);
	k = validator_normalize(NULL, "x y", 3, out, sizeof(out));
	assert_int_equal(k, 3);
	assert_memory_equal(out, "x y", 3);
	/* more than room: the whole length, only room written */
	memset(out, '#', sizeof(out));
	k = validator_normalize(
	    validator_find("iban"), "de89 3704 0044", 14, out, 4);
	assert_int_equal(k, 12);
	assert_memory_equal(out, "DE89####", 8);
	assert_int_equal(validator_normalize(NULL, "abc", 3, out, 0), 3);
}

/* random bytes of exactly n bytes (no NUL after them): no crash, no
 * read past the end (run under ASan), normalising counts consistently */
static void
test_random_input(void **state)
{
	static const char *const names[] = {"luhn", "payment_card", "iban",
	    "us_ssn", "aba_routing", "uk_nino", "de_steuer_id", "jwt",
	    "pem_private_key"};
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcxyz -./_=+:{}\"\n\r\t\x80\xff";
	const struct validator *v;
	char out[128], *s;
	uint32_t x = 12345;
	size_t i, j, len, nv;

	(void)state;
	for (nv = 0; nv < EXFIL_ARRAY_LEN(names); nv++) {
		v = validator_find(names[nv]);
		assert_non_null(v);
		for (i = 0; i < 3000; i++) {
			testutil_next(&x);
			len = (x >> 16) % 80;
			s = malloc(len ? len : 1);
			assert_non_null(s);
			for (j = 0; j < len; j++) {
				testutil_next(&x);
				s[j] = alphabet[(x >> 16) %
				    (sizeof(alphabet) - 1)];
			}
			(void)v->check(s, len);
			(void)validator_entropy(s, len);
			assert_int_equal(validator_normalize(v, s, len, out, 0),
			    validator_normalize(v, s, len, out, sizeof(out)));
			free(s);
		}
	}
}

/*
 * The shared PII corpora: each line a JSON object with "type", "value"
 * and "valid". A type maps to the validator that judges it.
 */
static const struct {
	const char *type;
	const char *validator;
} corpus_types[] = {
    {"payment_card", "payment_card"},
    {"iban", "iban"},
    {"us_ssn", "us_ssn"},
    {"aba_routing", "aba_routing"},
    {"uk_nino", "uk_nino"},
    {"de_steuer_id", "de_steuer_id"},
    {"jwt", "jwt"},
    {"stdnum:iban", "iban"},
    {"stdnum:us_ssn", "us_ssn"},
    {"stdnum:us_rtn", "aba_routing"},
    {"stdnum:de_idnr", "de_steuer_id"},
};

/*
 * Samples on which we knowingly differ from the corpus, and why. A
 * disagreement not listed here fails the test.
 */
static const struct {
	const char *type, *value, *why;
} corpus_judged[] = {
    {NULL, NULL, NULL},
};

/* json_str - the string value of "key" in a one-line JSON object */
static bool
json_str(const char *line, const char *key, char *out, size_t outlen)
{
	char pat[64];
	const char *p;
	size_t k = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return false;
	for (p += strlen(pat); *p == ' '; p++)
		;
	if (*p++ != '"')
		return false;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++; /* \" and \\; the corpora have no other escape */
		if (k + 1 < outlen)
			out[k++] = *p;
	}
	out[k] = '\0';
	return *p == '"';
}

/* json_bool - "key": true (1), false (0), or absent (-1) */
static int
json_bool(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return -1;
	for (p += strlen(pat); *p == ' '; p++)
		;
	if (strncmp(p, "true", 4) == 0)
		return 1;
	if (strncmp(p, "false", 5) == 0)
		return 0;
	return -1;
}

static bool
corpus_judged_wrong(const char *type, const char *value)
{
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(corpus_judged); i++)
		if (corpus_judged[i].type &&
		    strcmp(corpus_judged[i].type, type) == 0 &&
		    strcmp(corpus_judged[i].value, value) == 0)
			return true;
	return false;
}

/* run_corpus - judge every mapped sample of one file; 0, or -1: absent */
static int
run_corpus(const char *path, unsigned *mismatches, unsigned *judged)
{
	struct {
		unsigned valid, valid_ok, invalid, invalid_ok;
	} t[EXFIL_ARRAY_LEN(corpus_types)];
	char line[8192], type[128], value[4096];
	const struct validator *v;
	const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	unsigned lines = 0, mapped = 0;
	size_t i;
	bool got;
	int valid;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	memset(t, 0, sizeof(t));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lines++;
		if (!json_str(line, "type", type, sizeof(type)) ||
		    !json_str(line, "value", value, sizeof(value)) ||
		    (valid = json_bool(line, "valid")) < 0)
			continue;
		for (i = 0; i < EXFIL_ARRAY_LEN(corpus_types); i++)
			if (strcmp(corpus_types[i].type, type) == 0)
				break;
		if (i == EXFIL_ARRAY_LEN(corpus_types))
			continue;
		mapped++;
		v = validator_find(corpus_types[i].validator);
		assert_non_null(v);
		got = v->check(value, strlen(value));
		if (valid) {
			t[i].valid++;
			t[i].valid_ok += got;
		} else {
			t[i].invalid++;
			t[i].invalid_ok += got;
		}
		if (got == (valid != 0))
			continue;
		if (corpus_judged_wrong(type, value)) {
			(*judged)++;
			continue;
		}
		(*mismatches)++;
		print_message("# %s: %s \"%s\": corpus says %s, %s says %s\n",
		    file, type, value, valid ? "valid" : "invalid", v->name,
		    got ? "valid" : "invalid");
	}
	fclose(fp);
	print_message("# %s: %u lines, %u samples of a type we validate\n",
	    file, lines, mapped);
	for (i = 0; i < EXFIL_ARRAY_LEN(corpus_types); i++) {
		if (t[i].valid + t[i].invalid == 0)
			continue;
		print_message(
		    "#   %-14s -> %-13s valid %u/%u detected (%.1f%%), "
		    "invalid %u/%u accepted (%.1f%%)\n",
		    corpus_types[i].type, corpus_types[i].validator,
		    t[i].valid_ok, t[i].valid,
		    t[i].valid ? 100.0 * t[i].valid_ok / t[i].valid : 100.0,
		    t[i].invalid_ok, t[i].invalid,
		    t[i].invalid ? 100.0 * t[i].invalid_ok / t[i].invalid
				 : 0.0);
	}
	return 0;
}

static void
test_corpora(void **state)
{
	static const char *const files[] = {
	    "pii-samples.jsonl", "stdnum-identifiers.jsonl"};
	const char *top = getenv("top_srcdir");
	char dir[4096], path[4200];
	unsigned mismatches = 0, judged = 0, found = 0;
	size_t i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/corpora/pii",
	    top && *top ? top : ".");
	for (i = 0; i < EXFIL_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (run_corpus(path, &mismatches, &judged) == 0)
			found++;
		else
			print_message("# %s: not found\n", path);
	}
	if (found == 0) {
		print_message("# no PII corpus in %s: skipped\n", dir);
		skip();
	}
	print_message("# %u disagreements judged (see corpus_judged), "
		      "%u unexplained\n",
	    judged, mismatches);
	assert_int_equal(mismatches, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_published_numbers),
	    cmocka_unit_test(test_brands_computed),
	    cmocka_unit_test(test_luhn_invalid),
	    cmocka_unit_test(test_luhn_random),
	    cmocka_unit_test(test_card_random_separators),
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_length_respected),
	    cmocka_unit_test(test_luhn_lengths),
	    cmocka_unit_test(test_digits),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_iban_published),
	    cmocka_unit_test(test_iban_registry),
	    cmocka_unit_test(test_iban_single_changes),
	    cmocka_unit_test(test_iban_lead),
	    cmocka_unit_test(test_us_ssn),
	    cmocka_unit_test(test_aba_routing),
	    cmocka_unit_test(test_aba_random),
	    cmocka_unit_test(test_uk_nino),
	    cmocka_unit_test(test_de_steuer_id),
	    cmocka_unit_test(test_jwt),
	    cmocka_unit_test(test_pem_private_key),
	    cmocka_unit_test(test_entropy),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_random_input),
	    cmocka_unit_test(test_corpora),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
