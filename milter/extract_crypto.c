/*
 * extract_crypto.c - is a part encrypted mail: S/MIME (CMS enveloped,
 * authenticated-enveloped or encrypted data, DER or BER) or OpenPGP (an
 * armored "PGP MESSAGE" or a binary message) whose first packet is an
 * encrypted session key? Signed-only S/MIME and PGP are not encrypted.
 * (see include/exfil/extract.h)
 */
#include "config.h"

#include <string.h>

#include <exfil/common.h>
#include <exfil/decode.h>
#include <exfil/extract.h>

#define ARMOR "-----BEGIN PGP MESSAGE-----"
#define ARMOR_PEEK (64 * 1024) /* bytes of a text searched for armor */

/* the OIDs of CMS content types that are encrypted, DER-encoded */
static const struct {
	const char *der;
	size_t len;
} oids[] = {
    /* 1.2.840.113549.1.7.3 envelopedData */
    {"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03", 11},
    /* 1.2.840.113549.1.7.6 encryptedData */
    {"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x06", 11},
    /* 1.2.840.113549.1.9.16.1.23 authEnvelopedData */
    {"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17", 13},
};

/* a CMS ContentInfo: SEQUENCE { OID of an encrypted type, ... } */
static bool
cms_encrypted(const unsigned char *p, size_t n)
{
	size_t h, i;

	if (n < 2 || p[0] != 0x30)
		return false;
	if (p[1] < 0x80)
		h = 2;
	else if (p[1] == 0x80)
		h = 2; /* BER, indefinite length */
	else if (p[1] <= 0x84)
		h = 2 + (p[1] & 0x7f);
	else
		return false;
	for (i = 0; i < EXFIL_ARRAY_LEN(oids); i++)
		if (n >= h + oids[i].len &&
		    memcmp(p + h, oids[i].der, oids[i].len) == 0)
			return true;
	return false;
}

/* is this the header of an OpenPGP packet PKESK (1) or SKESK (3)? */
static bool
pgp_session_key(const unsigned char *p, size_t n)
{
	unsigned tag, hl, v;

	if (n < 3 || !(p[0] & 0x80))
		return false;
	if (p[0] & 0x40) { /* new format */
		tag = p[0] & 0x3f;
		hl = p[1] < 192 ? 2 : p[1] < 224 ? 3 : p[1] == 255 ? 6 : 0;
	} else { /* old format */
		tag = (p[0] >> 2) & 0x0f;
		hl = (p[0] & 3) == 0  ? 2
		    : (p[0] & 3) == 1 ? 3
		    : (p[0] & 3) == 2 ? 5
				      : 0;
	}
	if ((tag != 1 && tag != 3) || hl == 0 || n <= hl)
		return false;
	v = p[hl]; /* the packet's version */
	return tag == 1 ? (v == 3 || v == 6) : (v == 4 || v == 5 || v == 6);
}

/*
 * An armored PGP MESSAGE at the start of a line within the first
 * ARMOR_PEEK bytes, whose first packet is an encrypted session key.
 */
static bool
pgp_armored(const char *p, size_t n)
{
	const char *a = p, *end, *stop;
	unsigned char raw[64 * 3 / 4 + 3];
	size_t k;

	if (n > ARMOR_PEEK)
		n = ARMOR_PEEK;
	end = p + n;
	while ((a = memmem(a, (size_t)(end - a), ARMOR, sizeof(ARMOR) - 1)) !=
	    NULL) {
		if (a == p || a[-1] == '\n')
			break;
		a++;
	}
	if (a == NULL)
		return false;
	/* the armor headers end at the first empty line */
	for (a += sizeof(ARMOR) - 1; a < end && *a != '\n'; a++)
		;
	while (a < end) {
		const char *eol = memchr(a + 1, '\n', (size_t)(end - a - 1));

		if (eol == NULL)
			return false;
		a++;
		if (eol == a || (eol == a + 1 && *a == '\r')) {
			a = eol + 1;
			break;
		}
		if (memchr(a, ':', (size_t)(eol - a)) == NULL)
			break; /* no headers: the data starts here */
		a = eol;
	}
	/* the first packet's header: a few bytes of base64 suffice, up to
	 * the checksum line ("=...") or the end line ("-----") */
	for (stop = a;
	     stop < end && stop - a < 64 && *stop != '=' && *stop != '-';
	     stop++)
		;
	k = decode_base64(a, (size_t)(stop - a), raw);
	return pgp_session_key(raw, k);
}

/* extract_encrypted - is this part S/MIME or PGP encrypted mail? */
bool
extract_encrypted(const char *type, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;

	if (data == NULL || len == 0)
		return false;
	/* a binary OpenPGP message: only where libmagic knows no better */
	if (type &&
	    (strcmp(type, "application/octet-stream") == 0 ||
		strncmp(type, "application/pgp", 15) == 0) &&
	    pgp_session_key(p, len))
		return true;
	return cms_encrypted(p, len) || pgp_armored(data, len);
}
