/*
 * validators.c - pure checks on matched values
 * (see include/exfil/validators.h)
 */
#include "config.h"

#include <string.h>

#include <exfil/validators.h>

/* validator_digits - copy the digits of s into out; count them all */
size_t
validator_digits(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (k < outlen)
				out[k] = s[i];
			k++;
		}
	}
	return k;
}

static bool
luhn_digits(const char *d, size_t k)
{
	unsigned sum = 0, v;
	size_t i;

	for (i = 0; i < k; i++) {
		v = (unsigned)(d[k - 1 - i] - '0');
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* validate_luhn - 13 to 19 digits with a valid Luhn checksum */
bool
validate_luhn(const char *s, size_t n)
{
	char d[32];
	size_t k = validator_digits(s, n, d, sizeof(d));

	return k >= 13 && k <= 19 && luhn_digits(d, k);
}

static unsigned
prefix_num(const char *d, size_t len)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

/*
 * Issuer prefixes (IIN ranges) and lengths of the card brands a DLP
 * analyst expects, from the brands' published tables.
 */
static const struct {
	unsigned digits; /* length of the prefix compared */
	unsigned lo, hi; /* prefix range */
	unsigned minlen, maxlen;
} brands[] = {
    {1, 4, 4, 13, 19}, /* Visa */
    {2, 51, 55, 16, 16}, /* Mastercard */
    {4, 2221, 2720, 16, 16}, /* Mastercard 2-series */
    {2, 34, 34, 15, 15}, /* American Express */
    {2, 37, 37, 15, 15}, /* American Express */
    {4, 6011, 6011, 16, 19}, /* Discover */
    {2, 65, 65, 16, 19}, /* Discover */
    {3, 644, 649, 16, 19}, /* Discover */
    {4, 3528, 3589, 16, 19}, /* JCB */
    {3, 300, 305, 14, 19}, /* Diners Club International */
    {2, 36, 36, 14, 19}, /* Diners Club International */
    {4, 3095, 3095, 14, 19}, /* Diners Club International */
    {2, 38, 39, 14, 19}, /* Diners Club International */
    {2, 62, 62, 16, 19}, /* UnionPay */
    {2, 50, 50, 12, 19}, /* Maestro */
    {2, 56, 58, 12, 19}, /* Maestro */
    {2, 67, 67, 12, 19}, /* Maestro */
};

/* validate_payment_card - Luhn plus a brand's prefix and length */
bool
validate_payment_card(const char *s, size_t n)
{
	char d[32];
	size_t k = validator_digits(s, n, d, sizeof(d)), i;
	unsigned p;

	if (k < 12 || k > 19 || !luhn_digits(d, k))
		return false;
	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++) {
		p = prefix_num(d, brands[i].digits);
		if (p >= brands[i].lo && p <= brands[i].hi &&
		    k >= brands[i].minlen && k <= brands[i].maxlen)
			return true;
	}
	return false;
}

static const struct validator validators[] = {
    {"luhn", validate_luhn, true},
    {"payment_card", validate_payment_card, true},
};

/* validator_find - a validator by its name in the rules */
const struct validator *
validator_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
		if (strcmp(validators[i].name, name) == 0)
			return &validators[i];
	return NULL;
}
