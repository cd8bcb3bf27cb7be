/*
 * NAME
 *	validators - checks that turn a pattern match into a finding
 * SYNOPSIS
 *	#include <exfil/validators.h>
 *
 *	const struct validator *validator_find(const char *name);
 *	bool validate_luhn(const char *s, size_t n);
 * DESCRIPTION
 *	Pure functions over the matched text. Separators (blanks, dashes,
 *	dots, slashes) inside numbers are ignored by the numeric checks.
 *	luhn:          13 to 19 digits whose Luhn checksum is 0.
 *	payment_card:  luhn, and the length and issuer prefix of a card
 *	               brand (Visa, Mastercard, Amex, Discover, JCB, Diners,
 *	               UnionPay, Maestro).
 *	validator_find() looks a validator up by the name used in rules.
 *	Each validator also says how to normalise a value so that the same
 *	number written twice counts once.
 */
#ifndef EXFIL_VALIDATORS_H
#define EXFIL_VALIDATORS_H

#include <stdbool.h>
#include <stddef.h>

struct validator {
	const char *name;
	bool (*check)(const char *s, size_t n);
	bool digits_only; /* normalise the value to its digits */
};

const struct validator *validator_find(const char *name);
bool validate_luhn(const char *s, size_t n);
bool validate_payment_card(const char *s, size_t n);
size_t validator_digits(const char *s, size_t n, char *out, size_t outlen);

#endif
