/*
 * mkmsg.c - write test.msg, a small Outlook item (MS-OXMSG) with libgsf's
 * OLE2 writer, for tests/unit/extract_test.c and tests/scan/t-extract.sh:
 * the message class, a subject, a plain-text body and one attachment
 * (notes.txt), each in its own property stream, as Outlook stores them.
 * No Debian package writes .msg files; make.sh builds and runs this:
 *   cc -o mkmsg mkmsg.c $(pkg-config --cflags --libs libgsf-1)
 *   ./mkmsg test.msg
 * The card numbers were generated (Luhn-valid, no real card); the IBAN is
 * the ISO 13616 example; the key id is shaped like an AWS key id, no key.
 */
#include <stdio.h>
#include <string.h>

#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-stdio.h>
#include <gsf/gsf-utils.h>

/* a stream of bytes */
static void
put(GsfOutfile *dir, const char *name, const void *p, size_t n)
{
	GsfOutput *o = gsf_outfile_new_child(dir, name, FALSE);

	gsf_output_write(o, n, p);
	gsf_output_close(o);
	g_object_unref(o);
}

/* a PT_UNICODE property: UTF-16LE, ASCII text here */
static void
put_unicode(GsfOutfile *dir, const char *name, const char *s)
{
	unsigned char buf[1024];
	size_t i, n = strlen(s);

	for (i = 0; i < n && 2 * i + 1 < sizeof(buf); i++) {
		buf[2 * i] = (unsigned char)s[i];
		buf[2 * i + 1] = 0;
	}
	put(dir, name, buf, 2 * i);
}

int
main(int argc, char **argv)
{
	/* CLSID of an Outlook message, {00020D0B-0000-0000-C000-000000000046} */
	static const guint8 clsid[16] = {0x0b, 0x0d, 0x02, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
	static const char attached[] =
	    "Attached: card 6011 0824 6281 9485 key AKIAEXFILTESTKEY2345\n";
	unsigned char props[32] = {0};
	GsfOutput *out;
	GsfOutfile *ole, *att;

	if (argc != 2) {
		fprintf(stderr, "usage: mkmsg FILE.msg\n");
		return 2;
	}
	gsf_init();
	if ((out = gsf_output_stdio_new(argv[1], NULL)) == NULL)
		return 1;
	ole = gsf_outfile_msole_new(out);
	gsf_outfile_msole_set_class_id(GSF_OUTFILE_MSOLE(ole), clsid);
	put(ole, "__properties_version1.0", props, sizeof(props));
	put_unicode(ole, "__substg1.0_001A001F", "IPM.Note");
	put_unicode(ole, "__substg1.0_0037001F", "Q3 payouts CONFIDENTIAL");
	put_unicode(ole, "__substg1.0_0C1A001F", "Alice Example");
	put_unicode(ole, "__substg1.0_1000001F",
	    "Body: card 4539 3016 6131 8604 IBAN DE89 3704 0044 0532 0130 00 "
	    "key AKIAEXFILTESTKEY2345\r\n");
	att = GSF_OUTFILE(
	    gsf_outfile_new_child(ole, "__attach_version1.0_#00000000", TRUE));
	put(att, "__properties_version1.0", props, 8);
	put_unicode(att, "__substg1.0_3707001F", "notes.txt");
	put(att, "__substg1.0_37010102", attached, sizeof(attached) - 1);
	gsf_output_close(GSF_OUTPUT(att));
	g_object_unref(att);
	gsf_output_close(GSF_OUTPUT(ole));
	g_object_unref(ole);
	g_object_unref(out);
	gsf_shutdown();
	return 0;
}
