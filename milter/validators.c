/*
 * validators.c - pure checks on matched values
 * (see include/exfil/validators.h)
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <exfil/decode.h>
#include <exfil/validators.h>

static size_t iban_length(const char *cc);

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

/* validator_normalize - the value as v counts it (see validators.h) */
size_t
validator_normalize(const struct validator *v, const char *s, size_t n,
    char *out, size_t outlen)
{
	size_t i, k = 0;

	if (v != NULL && v->digits_only)
		return validator_digits(s, n, out, outlen);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (v != NULL && v->alnum_upper) {
			if (!(c >= '0' && c <= '9') &&
			    !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z'))
				continue;
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
		}
		if (k < outlen)
			out[k] = c;
		k++;
	}
	/* an IBAN is its country's length, whatever the match ran on to */
	if (v != NULL && v->check == validate_iban && k >= 2) {
		char cc[2];
		size_t l, m = 0;
		for (i = 0; i < n && m < 2; i++)
			if ((s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= '0' && s[i] <= '9'))
				cc[m++] = s[i];
		if (m == 2 && (l = iban_length(cc)) != 0 && k > l)
			k = l;
	}
	return k;
}

/*
 * The Luhn sum of the digits of s (other bytes skipped), from the last:
 * every second one doubled; *k: how many digits. Read where they are,
 * without a copy (most numbers a scan tries are no card).
 */
static unsigned
luhn_sum(const char *s, size_t n, size_t *k)
{
	static const unsigned char twice[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	unsigned sum = 0, v;
	size_t i, c = 0;

	for (i = n; i-- > 0;) {
		if ((v = (unsigned)(unsigned char)s[i] - '0') > 9)
			continue;
		sum += c & 1 ? twice[v] : v;
		c++;
	}
	*k = c;
	return sum;
}

/* validate_luhn - 13 to 19 digits with a valid Luhn checksum */
bool
validate_luhn(const char *s, size_t n)
{
	size_t k;
	unsigned sum = luhn_sum(s, n, &k);

	return k >= 13 && k <= 19 && sum % 10 == 0;
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
	char d[4];
	size_t k, i, j;
	unsigned p;

	/* every brand's prefix above begins with 2 to 6: most numbers are
	 * turned away by their first digit, before their Luhn sum */
	for (i = 0; i < n && (s[i] < '0' || s[i] > '9'); i++)
		;
	if (i == n || s[i] < '2' || s[i] > '6')
		return false;
	if (luhn_sum(s + i, n - i, &k) % 10 != 0 || k < 12 || k > 19)
		return false;
	/* the first four digits (of at least twelve), for the prefixes */
	for (j = 0; j < sizeof(d); i++)
		if (s[i] >= '0' && s[i] <= '9')
			d[j++] = s[i];
	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++) {
		p = prefix_num(d, brands[i].digits);
		if (p >= brands[i].lo && p <= brands[i].hi &&
		    k >= brands[i].minlen && k <= brands[i].maxlen)
			return true;
	}
	return false;
}

/* is_sep - a separator inside a number: blanks, line breaks, - . / */
static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-' ||
	    c == '.' || c == '/';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char
to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/*
 * sep_digits - the digits of s into d (room for max), separators
 * skipped; (size_t)-1 when s has any other character or too many digits
 */
static size_t
sep_digits(const char *s, size_t n, char *d, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if (k == max)
				return (size_t)-1;
			d[k++] = s[i];
		} else if (!is_sep(s[i])) {
			return (size_t)-1;
		}
	}
	return k;
}

/*
 * sep_alnum - the letters (upper-cased) and digits of s into d (room for
 * max), separators skipped; (size_t)-1 on any other character or overflow
 */
static size_t
sep_alnum(const char *s, size_t n, char *d, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (is_digit(s[i]) || is_alpha(s[i])) {
			if (k == max)
				return (size_t)-1;
			d[k++] = to_upper(s[i]);
		} else if (!is_sep(s[i])) {
			return (size_t)-1;
		}
	}
	return k;
}

/*
 * The SWIFT IBAN registry (ISO 13616), release of December 2024: for
 * each country the BBAN structure as groups of a count and a kind, n
 * digits, a upper-case letters, c letters or digits ("8n10n" for
 * Germany is the registry's "8!n10!n"). The IBAN's length is 4 plus the
 * BBAN's. In order of the country code: iban_spec() halves it.
 */
static const struct {
	char cc[3];
	const char *bban;
} iban_countries[] = {
    {"AD", "4n4n12c"}, /* Andorra */
    {"AE", "3n16n"}, /* United Arab Emirates */
    {"AL", "8n16c"}, /* Albania */
    {"AT", "5n11n"}, /* Austria */
    {"AZ", "4a20c"}, /* Azerbaijan */
    {"BA", "3n3n8n2n"}, /* Bosnia and Herzegovina */
    {"BE", "3n7n2n"}, /* Belgium */
    {"BG", "4a4n2n8c"}, /* Bulgaria */
    {"BH", "4a14c"}, /* Bahrain */
    {"BI", "5n5n11n2n"}, /* Burundi */
    {"BR", "8n5n10n1a1c"}, /* Brazil */
    {"BY", "4c4n16c"}, /* Belarus */
    {"CH", "5n12c"}, /* Switzerland */
    {"CR", "4n14n"}, /* Costa Rica */
    {"CY", "3n5n16c"}, /* Cyprus */
    {"CZ", "4n6n10n"}, /* Czechia */
    {"DE", "8n10n"}, /* Germany */
    {"DJ", "5n5n11n2n"}, /* Djibouti */
    {"DK", "4n9n1n"}, /* Denmark */
    {"DO", "4c20n"}, /* Dominican Republic */
    {"EE", "2n14n"}, /* Estonia */
    {"EG", "4n4n17n"}, /* Egypt */
    {"ES", "4n4n1n1n10n"}, /* Spain */
    {"FI", "3n11n"}, /* Finland */
    {"FK", "2a12n"}, /* Falkland Islands */
    {"FO", "4n9n1n"}, /* Faroe Islands */
    {"FR", "5n5n11c2n"}, /* France */
    {"GB", "4a6n8n"}, /* United Kingdom */
    {"GE", "2a16n"}, /* Georgia */
    {"GI", "4a15c"}, /* Gibraltar */
    {"GL", "4n9n1n"}, /* Greenland */
    {"GR", "3n4n16c"}, /* Greece */
    {"GT", "4c20c"}, /* Guatemala */
    {"HN", "4a20n"}, /* Honduras */
    {"HR", "7n10n"}, /* Croatia */
    {"HU", "3n4n1n15n1n"}, /* Hungary */
    {"IE", "4a6n8n"}, /* Ireland */
    {"IL", "3n3n13n"}, /* Israel */
    {"IQ", "4a3n12n"}, /* Iraq */
    {"IS", "4n2n6n10n"}, /* Iceland */
    {"IT", "1a5n5n12c"}, /* Italy */
    {"JO", "4a4n18c"}, /* Jordan */
    {"KW", "4a22c"}, /* Kuwait */
    {"KZ", "3n13c"}, /* Kazakhstan */
    {"LB", "4n20c"}, /* Lebanon */
    {"LC", "4a24c"}, /* Saint Lucia */
    {"LI", "5n12c"}, /* Liechtenstein */
    {"LT", "5n11n"}, /* Lithuania */
    {"LU", "3n13c"}, /* Luxembourg */
    {"LV", "4a13c"}, /* Latvia */
    {"LY", "3n3n15n"}, /* Libya */
    {"MC", "5n5n11c2n"}, /* Monaco */
    {"MD", "2c18c"}, /* Moldova */
    {"ME", "3n13n2n"}, /* Montenegro */
    {"MK", "3n10c2n"}, /* North Macedonia */
    {"MN", "4n12n"}, /* Mongolia */
    {"MR", "5n5n11n2n"}, /* Mauritania */
    {"MT", "4a5n18c"}, /* Malta */
    {"MU", "4a2n2n12n3n3a"}, /* Mauritius */
    {"NI", "4a20n"}, /* Nicaragua */
    {"NL", "4a10n"}, /* Netherlands */
    {"NO", "4n6n1n"}, /* Norway */
    {"OM", "3n16c"}, /* Oman */
    {"PK", "4a16c"}, /* Pakistan */
    {"PL", "8n16n"}, /* Poland */
    {"PS", "4a21c"}, /* Palestine */
    {"PT", "4n4n11n2n"}, /* Portugal */
    {"QA", "4a21c"}, /* Qatar */
    {"RO", "4a16c"}, /* Romania */
    {"RS", "3n13n2n"}, /* Serbia */
    {"RU", "9n5n15c"}, /* Russia */
    {"SA", "2n18c"}, /* Saudi Arabia */
    {"SC", "4a2n2n16n3a"}, /* Seychelles */
    {"SD", "2n12n"}, /* Sudan */
    {"SE", "3n16n1n"}, /* Sweden */
    {"SI", "5n8n2n"}, /* Slovenia */
    {"SK", "4n6n10n"}, /* Slovakia */
    {"SM", "1a5n5n12c"}, /* San Marino */
    {"SO", "4n3n12n"}, /* Somalia */
    {"ST", "4n4n11n2n"}, /* Sao Tome and Principe */
    {"SV", "4a20n"}, /* El Salvador */
    {"TL", "3n14n2n"}, /* Timor-Leste */
    {"TN", "2n3n13n2n"}, /* Tunisia */
    {"TR", "5n1n16c"}, /* Turkey */
    {"UA", "6n19c"}, /* Ukraine */
    {"VA", "3n15n"}, /* Vatican City */
    {"VG", "4a16n"}, /* British Virgin Islands */
    {"XK", "4n10n2n"}, /* Kosovo */
    {"YE", "4a4n18c"}, /* Yemen */
};

/* bban_ok - does b (k characters, upper case) have the structure? */
static bool
bban_ok(const char *b, size_t k, const char *spec)
{
	size_t pos = 0, cnt, i;
	char kind;

	while (*spec) {
		for (cnt = 0; is_digit(*spec); spec++)
			cnt = cnt * 10 + (size_t)(*spec - '0');
		kind = *spec++;
		if (pos + cnt > k)
			return false;
		for (i = 0; i < cnt; i++, pos++) {
			if (kind == 'n' && !is_digit(b[pos]))
				return false;
			if (kind == 'a' && !is_alpha(b[pos]))
				return false;
		}
	}
	return pos == k;
}

/* Spain: the two check digits of the CCC (entity, office, DC, account) */
static unsigned
es_ccc_digit(const char *d, size_t k)
{
	static const unsigned w[] = {1, 2, 4, 8, 5, 10, 9, 7, 3, 6};
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < k; i++)
		sum += w[i + 10 - k] * (unsigned)(d[i] - '0');
	sum %= 11;
	return sum < 2 ? sum : 11 - sum;
}

/* national check digits of the BBAN, where the IBAN registry has some */
static bool
iban_national_ok(const char *cc, const char *b)
{
	unsigned r = 0;
	size_t i;

	if (memcmp(cc, "ES", 2) == 0) /* CCC: EEEE OOOO DD NNNNNNNNNN */
		return es_ccc_digit(b, 8) == (unsigned)(b[8] - '0') &&
		    es_ccc_digit(b + 10, 10) == (unsigned)(b[9] - '0');
	if (memcmp(cc, "BE", 2) == 0) { /* first ten digits mod 97 */
		for (i = 0; i < 10; i++)
			r = (r * 10 + (unsigned)(b[i] - '0')) % 97;
		return (r == 0 ? 97 : r) ==
		    (unsigned)((b[10] - '0') * 10 + (b[11] - '0'));
	}
	return true;
}

/* the BBAN structure of country cc (its first two letters, either
 * case), or NULL: a search by halves of the registry */
static const char *
iban_spec(const char *cc)
{
	size_t lo = 0, hi = sizeof(iban_countries) / sizeof(iban_countries[0]),
	       mid;
	char c[2] = {to_upper(cc[0]), to_upper(cc[1])};
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = memcmp(c, iban_countries[mid].cc, 2);
		if (d == 0)
			return iban_countries[mid].bban;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* the length of an IBAN of country cc (its first two letters), or 0 */
static size_t
iban_length(const char *cc)
{
	const char *p = iban_spec(cc);
	size_t len = 4;

	if (p == NULL)
		return 0;
	while (*p) {
		size_t cnt = 0;
		while (*p >= '0' && *p <= '9')
			cnt = cnt * 10 + (size_t)(*p++ - '0');
		len += cnt;
		if (*p)
			p++; /* the kind */
	}
	return len;
}

/* validate_iban - ISO 13616: registry country, length, BBAN, mod 97 */
bool
validate_iban(const char *s, size_t n)
{
	char d[64];
	size_t k = sep_alnum(s, n, d, sizeof(d)), i, l;
	unsigned r = 0, kk;

	if (k == (size_t)-1 || k < 5)
		return false;
	/*
	 * A pattern that allows blanks anywhere may run on into the next
	 * word ("DE89 3704 ... 3000 by Friday"): the IBAN is the first L
	 * characters, L its country's length, when a separator and then a
	 * letter follow them. More digits mean a longer number: no IBAN.
	 */
	if ((l = iban_length(d)) == 0 || k < l)
		return false;
	if (k > l) {
		if (!is_alpha(d[l]))
			return false;
		for (i = 0, kk = 0; i < n && kk < l; i++)
			if (is_digit(s[i]) || is_alpha(s[i]))
				kk++;
		if (i >= n || !is_sep(s[i]))
			return false;
		k = l;
	}
	/* a country of the registry, check digits 02 to 98 */
	if (!validate_iban_lead(d) || !bban_ok(d + 4, k - 4, iban_spec(d)))
		return false;
	/* the BBAN, then country and check digits; letters count 10-35 */
	for (i = 0; i < k; i++) {
		char c = d[(i + 4) % k];

		if (is_digit(c))
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
	}
	return r == 1 && iban_national_ok(d, d + 4);
}

/* the numbers the SSA says were made public and are void */
static const char *const ssn_void[] = {
    "078051120", /* the Woolworth wallet card, 1938 */
    "219099999", /* a Social Security Board pamphlet, 1940 */
    "457555462", /* shown in an advertisement, 2007 */
};

/* validate_us_ssn - area, group and serial of a US social security number */
bool
validate_us_ssn(const char *s, size_t n)
{
	char d[9];
	size_t i, k = 0;
	unsigned area, group, serial;

	for (i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if (k == sizeof(d))
				return false;
			d[k++] = s[i];
		} else if (!is_sep(s[i]) || (k != 3 && k != 5)) {
			return false; /* a separator only between the groups */
		}
	}
	if (k != 9)
		return false;
	area = prefix_num(d, 3);
	group = prefix_num(d + 3, 2);
	serial = prefix_num(d + 5, 4);
	if (area == 0 || area == 666 || area >= 900 || group == 0 ||
	    serial == 0)
		return false;
	for (i = 0; i < sizeof(ssn_void) / sizeof(ssn_void[0]); i++)
		if (memcmp(d, ssn_void[i], 9) == 0)
			return false;
	return true;
}

/* are p, a routing number's first two digits, in the ranges the Federal
 * Reserve assigns? */
static bool
aba_range(unsigned p)
{
	return p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) ||
	    p == 80;
}

/* validate_aba_routing - nine digits, 3-7-1 checksum, Federal Reserve range */
bool
validate_aba_routing(const char *s, size_t n)
{
	static const unsigned w[] = {3, 7, 1};
	char d[9];
	size_t k, i;
	unsigned sum = 0;

	/* most numbers are turned away by their first two digits, before
	 * the digits are copied */
	if (n >= 2 && is_digit(s[0]) && is_digit(s[1]) &&
	    !aba_range((unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0')))
		return false;
	if ((k = sep_digits(s, n, d, sizeof(d))) != 9 ||
	    !aba_range(prefix_num(d, 2)))
		return false;
	for (i = 0; i < 9; i++)
		sum += w[i % 3] * (unsigned)(d[i] - '0');
	return sum % 10 == 0 && memcmp(d, "000000000", 9) != 0;
}

/* validate_uk_nino - prefix rules, six digits, suffix A to D */
bool
validate_uk_nino(const char *s, size_t n)
{
	static const char *const bad_prefix[] = {
	    "BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
	char d[9];
	size_t k = sep_alnum(s, n, d, sizeof(d)), i;

	if (k != 9 || !is_alpha(d[0]) || !is_alpha(d[1]))
		return false;
	if (strchr("DFIQUV", d[0]) || strchr("DFIOQUV", d[1]))
		return false;
	for (i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++)
		if (memcmp(d, bad_prefix[i], 2) == 0)
			return false;
	for (i = 2; i < 8; i++)
		if (!is_digit(d[i]))
			return false;
	return d[8] >= 'A' && d[8] <= 'D';
}

/* validate_de_steuer_id - German tax id: digit counts and MOD 11,10 */
bool
validate_de_steuer_id(const char *s, size_t n)
{
	char d[11];
	size_t k = sep_digits(s, n, d, sizeof(d)), i;
	unsigned count[10] = {0}, repeated = 0, product = 10, sum, check;

	if (k != 11 || d[0] == '0')
		return false;
	for (i = 0; i < 10; i++)
		count[d[i] - '0']++;
	for (i = 0; i < 10; i++) {
		if (count[i] > 3)
			return false;
		if (count[i] > 1)
			repeated++;
	}
	if (repeated != 1)
		return false; /* one digit twice or three times, no other */
	/* ISO 7064 MOD 11,10 */
	for (i = 0; i < 10; i++) {
		sum = ((unsigned)(d[i] - '0') + product) % 10;
		if (sum == 0)
			sum = 10;
		product = (2 * sum) % 11;
	}
	check = 11 - product;
	if (check == 10)
		check = 0;
	return check == (unsigned)(d[10] - '0');
}

static bool
is_b64url(char c)
{
	return is_digit(c) || is_alpha(c) || c == '-' || c == '_';
}

/* b64url_part - length of a base64url part at s (padding allowed) */
static size_t
b64url_part(const char *s, size_t n)
{
	size_t i = 0, pad = 0;

	while (i < n && is_b64url(s[i]))
		i++;
	while (i < n && s[i] == '=' && pad < 2)
		i++, pad++;
	return i;
}

#define JWT_HEADER_MAX 8192

/* validate_jwt - header.payload.signature, the header a JSON object with alg */
bool
validate_jwt(const char *s, size_t n)
{
	char map[JWT_HEADER_MAX];
	unsigned char out[JWT_HEADER_MAX / 4 * 3 + 3];
	size_t h, p, sig, i, m, o;

	h = b64url_part(s, n);
	if (h == 0 || h == n || s[h] != '.')
		return false;
	p = b64url_part(s + h + 1, n - h - 1);
	if (p == 0 || h + 1 + p == n || s[h + 1 + p] != '.')
		return false;
	sig = b64url_part(s + h + 2 + p, n - h - 2 - p);
	if (h + 2 + p + sig != n)
		return false;
	/* base64url to base64, then decode_base64() */
	m = h < sizeof(map) ? h : sizeof(map);
	for (i = 0; i < m; i++)
		map[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	o = decode_base64(map, m, out);
	for (i = 0; i < o &&
	     (out[i] == ' ' || out[i] == '\t' || out[i] == '\r' ||
		 out[i] == '\n');
	     i++)
		;
	if (i == o || out[i] != '{')
		return false;
	for (; i + 5 <= o; i++)
		if (memcmp(out + i, "\"alg\"", 5) == 0)
			return true;
	return false;
}

/* starts - does s[0..n) start with the string w? */
static bool
starts(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && memcmp(s, w, k) == 0;
}

static bool
is_b64(char c)
{
	return is_digit(c) || is_alpha(c) || c == '+' || c == '/' || c == '=';
}

/* pem_label_ok - a private key's label: "... PRIVATE KEY" or PGP's */
static bool
pem_label_ok(const char *l, size_t k)
{
	static const char tail[] = "PRIVATE KEY";
	size_t i;

	for (i = 0; i < k; i++)
		if (!(is_digit(l[i]) || (l[i] >= 'A' && l[i] <= 'Z') ||
			l[i] == ' '))
			return false;
	if (k == sizeof("PGP PRIVATE KEY BLOCK") - 1 &&
	    memcmp(l, "PGP PRIVATE KEY BLOCK", k) == 0)
		return true;
	return k >= sizeof(tail) - 1 &&
	    memcmp(l + k - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0 &&
	    (k == sizeof(tail) - 1 || l[k - sizeof(tail)] == ' ');
}

/* validate_pem_private_key - BEGIN and END labels match, base64 between */
bool
validate_pem_private_key(const char *s, size_t n)
{
	const char *label, *body, *end, *line, *eol;
	size_t k, i, b64 = 0;
	bool header;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n > 0 &&
	    (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		s[n - 1] == '\n'))
		n--;
	if (!starts(s, n, "-----BEGIN "))
		return false;
	label = s + 11;
	for (k = 0; 11 + k < n && label[k] != '-' && label[k] != '\n'; k++)
		;
	if (!starts(label + k, n - 11 - k, "-----") || !pem_label_ok(label, k))
		return false;
	body = label + k + 5;
	/* the end: "-----END " label "-----" closes the text */
	if (n < 11 + k + 5 + 9 + k + 5)
		return false;
	end = s + n - (9 + k + 5);
	if (!starts(end, 9, "-----END ") || memcmp(end + 9, label, k) != 0 ||
	    memcmp(end + 9 + k, "-----", 5) != 0)
		return false;
	/* the body: header lines (with a colon) aside, base64 only */
	for (line = body; line < end; line = eol + 1) {
		for (eol = line; eol < end && *eol != '\n'; eol++)
			;
		header = memchr(line, ':', (size_t)(eol - line)) != NULL;
		for (i = 0; !header && line + i < eol; i++) {
			if (is_b64(line[i]))
				b64++;
			else if (line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '\r')
				return false;
		}
	}
	return b64 >= 32;
}

/* validator_entropy - Shannon entropy in bits per character (byte) */
double
validator_entropy(const char *s, size_t n)
{
	uint64_t seen[4] = {0, 0, 0, 0}, m;
	size_t count[256], i, w;
	double h = 0, q;
	unsigned c;

	if (n == 0)
		return 0;
	/* only the bytes seen are counted and summed, in the order of
	 * their value as before (the same sum to the last bit) */
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!(seen[c >> 6] >> (c & 63) & 1)) {
			seen[c >> 6] |= (uint64_t)1 << (c & 63);
			count[c] = 0;
		}
		count[c]++;
	}
	for (w = 0; w < 4; w++)
		for (m = seen[w]; m; m &= m - 1) {
			c = (unsigned)(w * 64 + (size_t)__builtin_ctzll(m));
			q = (double)count[c] / (double)n;
			h -= q * log2(q);
		}
	return h;
}

/*
 * validate_iban_lead - may an IBAN start with s[0..3]: a country of the
 * registry (either case, as validate_iban() upper-cases it), then check
 * digits from 02 to 98 (those of MOD 97-10)?
 */
bool
validate_iban_lead(const char *s)
{
	unsigned kk;

	if (!is_alpha(s[0]) || !is_alpha(s[1]) || !is_digit(s[2]) ||
	    !is_digit(s[3]) || iban_spec(s) == NULL)
		return false;
	kk = (unsigned)(s[2] - '0') * 10 + (unsigned)(s[3] - '0');
	return kk >= 2 && kk <= 98;
}

/*
 * The validators by the names rules use, with how each value is
 * normalised for counting and how many digits a value they accept has
 * (the length checks of each function above).
 */
static const struct validator validators[] = {
    {"luhn", validate_luhn, true, false, 13, 19, NULL},
    {"payment_card", validate_payment_card, true, false, 12, 19, NULL},
    {"iban", validate_iban, false, true, 0, 0, validate_iban_lead},
    {"us_ssn", validate_us_ssn, true, false, 9, 9, NULL},
    {"aba_routing", validate_aba_routing, true, false, 9, 9, NULL},
    {"uk_nino", validate_uk_nino, false, true, 0, 0, NULL},
    {"de_steuer_id", validate_de_steuer_id, true, false, 11, 11, NULL},
    {"jwt", validate_jwt, false, false, 0, 0, NULL},
    {"pem_private_key", validate_pem_private_key, false, false, 0, 0, NULL},
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
