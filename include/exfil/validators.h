/*
 * NAME
 *	validators - checks that turn a pattern match into a finding
 * SYNOPSIS
 *	#include <exfil/validators.h>
 *
 *	const struct validator *validator_find(const char *name);
 *	size_t validator_normalize(const struct validator *v, const char *s,
 *	    size_t n, char *out, size_t outlen);
 *	double validator_entropy(const char *s, size_t n);
 *	bool validate_luhn(const char *s, size_t n);
 *	bool validate_iban(const char *s, size_t n);
 *	bool validate_iban_lead(const char *s);
 *	...
 * DESCRIPTION
 *	Pure functions over the matched text (no state, no allocation, no
 *	I/O: safe from any thread). Each reads exactly n bytes of s, which
 *	need not be NUL-terminated.
 *
 *	Separators (blanks, dashes, dots, slashes) inside numbers are
 *	ignored by the numeric checks.
 *	luhn:          13 to 19 digits whose Luhn checksum is 0.
 *	payment_card:  luhn, and the length and issuer prefix of a card
 *	               brand (Visa, Mastercard, Amex, Discover, JCB, Diners,
 *	               UnionPay, Maestro).
 *	iban:          ISO 13616: a country of the SWIFT IBAN registry, its
 *	               length and BBAN structure (digits, letters or both at
 *	               each place), check digits 02 to 98, and the mod-97
 *	               checksum (ISO 7064 MOD 97-10); for Belgium and Spain
 *	               also the national check digits of the BBAN. Blanks,
 *	               dashes and dots are ignored, case does not matter;
 *	               any other character fails.
 *	us_ssn:        AAA-GG-SSSS or nine digits (a separator, if any, only
 *	               between the groups): area not 000, 666 or 900-999,
 *	               group not 00, serial not 0000, and not one of the
 *	               numbers made public (078-05-1120, 219-09-9999,
 *	               457-55-5462).
 *	aba_routing:   nine digits, ABA checksum with weights 3, 7, 1, first
 *	               two digits 00-12, 21-32, 61-72 or 80, not all zeros.
 *	uk_nino:       two prefix letters (the first not D F I Q U V, the
 *	               second not D F I O Q U V, not BG GB KN NK NT TN ZZ),
 *	               six digits and a suffix A to D; blanks and dashes
 *	               ignored, case does not matter.
 *	de_steuer_id:  eleven digits, the first not 0; of the first ten,
 *	               one digit appears twice or three times and no other
 *	               more than once; the last is the ISO 7064 MOD 11,10
 *	               check digit.
 *	jwt:           three base64url parts joined by dots (the third may
 *	               be empty: an unsecured JWT), the first decoding to a
 *	               JSON object that names "alg" (only the first 8192
 *	               characters of the header are decoded).
 *	pem_private_key: a whole PEM block, "-----BEGIN L-----" to
 *	               "-----END L-----" with the same label L ending in
 *	               "PRIVATE KEY" (or "PGP PRIVATE KEY BLOCK"), whose body
 *	               is base64 (header lines such as "Proc-Type:" aside)
 *	               of at least 32 characters.
 *	validator_find() looks a validator up by the name used in rules.
 *	A numeric validator also says how many digits a value it accepts
 *	has (luhn 13 to 19, payment_card 12 to 19, us_ssn and aba_routing
 *	9, de_steuer_id 11), so that the scanner can try it on the numbers
 *	of a digit run before any pattern runs.
 *
 *	Each validator also says how to normalise a value so that the same
 *	number written twice counts once: digits_only keeps the digits,
 *	alnum_upper keeps ASCII letters and digits with letters upper-cased,
 *	neither keeps the value as it is. validator_normalize() writes that
 *	form to out (at most outlen bytes; v NULL: the value as it is);
 *	validator_digits() is the digits_only form.
 *
 *	validator_entropy() is the Shannon entropy of s in bits per
 *	character, each byte counting as one character (0 for n == 0, at
 *	most 8); it backs the "entropy N" rule keyword.
 * RETURN VALUE
 *	validator_normalize() and validator_digits() return the length of
 *	the whole normalised value, which may exceed outlen: the caller
 *	uses out only when the result is at most outlen.
 */
#ifndef EXFIL_VALIDATORS_H
#define EXFIL_VALIDATORS_H

#include <stdbool.h>
#include <stddef.h>

struct validator {
	const char *name;
	bool (*check)(const char *s, size_t n);
	bool digits_only; /* normalise the value to its digits */
	bool alnum_upper; /* normalise to letters and digits, upper case */
	/* every value it accepts has min_digits to max_digits digits; 0:
	 * no such bound (the scanner's "digits ... whole" test, scan(3)) */
	unsigned min_digits, max_digits;
	/* for a rule with "digits ... letters": may a value it accepts
	 * start with s[0..3], the two letters before a run of digits and
	 * the run's first two bytes? NULL: any. The scanner asks before it
	 * runs the patterns from the run (scan(3)). */
	bool (*lead)(const char *s);
};

const struct validator *validator_find(const char *name);
size_t validator_normalize(const struct validator *v, const char *s, size_t n,
    char *out, size_t outlen);
size_t validator_digits(const char *s, size_t n, char *out, size_t outlen);
double validator_entropy(const char *s, size_t n);

bool validate_luhn(const char *s, size_t n);
bool validate_payment_card(const char *s, size_t n);
bool validate_iban(const char *s, size_t n);
bool validate_iban_lead(const char *s);
bool validate_us_ssn(const char *s, size_t n);
bool validate_aba_routing(const char *s, size_t n);
bool validate_uk_nino(const char *s, size_t n);
bool validate_de_steuer_id(const char *s, size_t n);
bool validate_jwt(const char *s, size_t n);
bool validate_pem_private_key(const char *s, size_t n);

#endif
