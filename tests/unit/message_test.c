/*
 * message_test.c - unit tests of message(3): header parsing (CRLF, LF,
 * folding, where the header block ends), the body spool and
 * message_write().
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/message.h>

#include "testutil.h"

struct fixture {
	char dir[256]; /* a private spool folder */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	testutil_temp_dir(fx->dir, sizeof(fx->dir), "message_test");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	rmdir(fx->dir); /* fails, and the test said so, if a file is left */
	free(fx);
	return 0;
}

/* number of entries in dir other than . and .. */
static unsigned
dir_entries(const char *dir)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* bytes of a known pattern, with NULs and 8-bit bytes in it */
static void
fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;
	uint32_t x = seed * 2654435761u + 1;

	for (i = 0; i < n; i++) {
		testutil_next(&x);
		p[i] = (unsigned char)(x >> 16);
	}
}

/* --- headers ------------------------------------------------------------- */

struct hdr {
	const char *name, *value;
};

static const struct {
	const char *label;
	const char *raw;
	size_t nh;
	struct hdr h[4];
	const char *body;
} parse_cases[] = {
    {"CRLF",
	"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
	"body line\r\nsecond\r\n",
	3,
	{{"From", "a@example.com"}, {"To", "b@example.net"}, {"Subject", "hi"}},
	"body line\r\nsecond\r\n"},
    {"LF", "From: a@example.com\nSubject: hi\n\nbody\n", 2,
	{{"From", "a@example.com"}, {"Subject", "hi"}}, "body\n"},
    {"folded CRLF",
	"Subject: part one\r\n part two\r\n\tpart three\r\nX-A: 1\r\n\r\nb", 2,
	{{"Subject", "part one\r\n part two\r\n\tpart three"}, {"X-A", "1"}},
	"b"},
    {"folded LF", "Subject: one\n two\nX-A: 1\n\nb\n", 2,
	{{"Subject", "one\n two"}, {"X-A", "1"}}, "b\n"},
    {"Dear John", "From: a@example.com\nDear John: hi\nmore\n", 1,
	{{"From", "a@example.com"}}, "Dear John: hi\nmore\n"},
    {"Dear John CRLF", "Subject: x\r\nDear John: hi\r\n", 1, {{"Subject", "x"}},
	"Dear John: hi\r\n"},
    {"no colon", "From: a\nthis is text\n", 1, {{"From", "a"}},
	"this is text\n"},
    {"no headers", "\r\nonly body\r\n", 0, {{NULL, NULL}}, "only body\r\n"},
    {"headers only", "From: a\r\nTo: b\r\n", 2, {{"From", "a"}, {"To", "b"}},
	""},
    {"no final newline", "From: a", 1, {{"From", "a"}}, ""},
    {"empty value", "X-Empty:\r\nX-Blank: \r\n\r\nz", 2,
	{{"X-Empty", ""}, {"X-Blank", ""}}, "z"},
    {"blank before colon", "Subject  : spaced\n\nz", 1, {{"Subject", "spaced"}},
	"z"},
    {"colon in value", "Subject: re: a: b\n\n", 1, {{"Subject", "re: a: b"}},
	""},
    {"leading fold is body", " folded first\nFrom: a\n", 0, {{NULL, NULL}},
	" folded first\nFrom: a\n"},
    {"empty line ends", "A: 1\n\nB: 2\n", 1, {{"A", "1"}}, "B: 2\n"},
};

static void
test_parse(void **state)
{
	struct fixture *fx = *state;
	struct message *m;
	const char *body;
	size_t i, j, blen;

	for (i = 0; i < EXFIL_ARRAY_LEN(parse_cases); i++) {
		m = testutil_parse_message(1 << 20, fx->dir, parse_cases[i].raw,
		    strlen(parse_cases[i].raw));
		if (m->nheaders != parse_cases[i].nh)
			fail_msg("%s: %zu headers, want %zu",
			    parse_cases[i].label, m->nheaders,
			    parse_cases[i].nh);
		for (j = 0; j < m->nheaders; j++) {
			assert_string_equal(
			    m->headers[j].name, parse_cases[i].h[j].name);
			assert_string_equal(
			    m->headers[j].value, parse_cases[i].h[j].value);
		}
		assert_int_equal(message_body(m, &body, &blen), 0);
		assert_int_equal(blen, strlen(parse_cases[i].body));
		assert_memory_equal(body, parse_cases[i].body, blen);
		message_free(m);
	}
}

/* message_split_headers() says where the body starts */
static void
test_split_headers_offset(void **state)
{
	static const char raw[] = "Content-Type: text/plain\r\n"
				  "Content-Disposition: attachment;\r\n"
				  " filename=x.txt\r\n"
				  "\r\n"
				  "data\r\n";
	struct arena *a = arena_new();
	struct header *h;
	size_t n, off, k;

	(void)state;
	assert_non_null(a);
	assert_int_equal(
	    message_split_headers(a, raw, sizeof(raw) - 1, &h, &n, &off), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[1].name, "Content-Disposition");
	assert_string_equal(h[1].value, "attachment;\r\n filename=x.txt");
	assert_int_equal(off, strstr(raw, "data") - raw);
	/* a length that cuts the block short is respected */
	k = strlen("Content-Type: text");
	assert_int_equal(message_split_headers(a, raw, k, &h, &n, &off), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].value, "text");
	assert_int_equal(off, k);
	arena_free(a);
}

/* many headers and recipients grow their arrays */
static void
test_many_headers_and_rcpts(void **state)
{
	struct fixture *fx = *state;
	struct message *m = message_new(1024, fx->dir);
	char name[32], value[32], addr[64];
	unsigned i;

	assert_non_null(m);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "X-H%u", i);
		snprintf(value, sizeof(value), "v%u", i * 3);
		assert_int_equal(message_add_header(m, name, value), 0);
		snprintf(addr, sizeof(addr), "<user%u@example.com>", i);
		assert_int_equal(message_add_rcpt(m, addr, i % 2 == 0), 0);
	}
	assert_int_equal(m->nheaders, 100);
	assert_int_equal(m->nrcpts, 100);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "X-H%u", i);
		snprintf(value, sizeof(value), "v%u", i * 3);
		assert_string_equal(m->headers[i].name, name);
		assert_string_equal(m->headers[i].value, value);
		snprintf(addr, sizeof(addr), "user%u@example.com", i);
		assert_string_equal(m->rcpts[i].addr, addr);
		assert_int_equal(m->rcpts[i].internal, i % 2 == 0);
	}
	message_free(m);
}

static void
test_addr_strip(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"<alice@example.com>", "alice@example.com"},
	    {"alice@example.com", "alice@example.com"},
	    {"  <alice@example.com>", "alice@example.com"},
	    {"<alice@example.com> SIZE=100", "alice@example.com"},
	    {"alice@example.com BODY=8BITMIME", "alice@example.com"},
	    {"<>", ""},
	    {"", ""},
	    {"<alice@example.com", "alice@example.com"},
	};
	struct arena *a = arena_new();
	size_t i;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++)
		assert_string_equal(
		    message_addr_strip(a, cases[i].in), cases[i].out);
	arena_free(a);
}

static void
test_envelope(void **state)
{
	struct fixture *fx = *state;
	struct message *m = message_new(1024, fx->dir);

	assert_non_null(m);
	assert_int_equal(message_set_envelope(
			     m, "4F2A1C", "192.0.2.1", "client.example", NULL),
	    0);
	assert_int_equal(message_set_sender(m, "<sender@example.com>"), 0);
	assert_string_equal(m->qid, "4F2A1C");
	assert_string_equal(m->client_addr, "192.0.2.1");
	assert_string_equal(m->client_name, "client.example");
	assert_null(m->auth_user);
	assert_string_equal(m->sender, "sender@example.com");
	assert_int_equal(message_set_envelope(m, NULL, NULL, NULL, "bob"), 0);
	assert_string_equal(m->qid, "4F2A1C"); /* NULL leaves it alone */
	assert_string_equal(m->auth_user, "bob");
	message_free(m);
}

/* --- body ---------------------------------------------------------------- */

/* a body within the memory limit stays in memory, exactly at the limit too */
static void
test_body_in_memory(void **state)
{
	struct fixture *fx = *state;
	unsigned char data[1000];
	struct message *m;
	const char *p;
	size_t n;

	fill_pattern(data, sizeof(data), 1);
	m = message_new(sizeof(data), fx->dir);
	assert_non_null(m);
	assert_int_equal(message_body(m, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_non_null(p);
	assert_int_equal(message_append_body(m, data, 600), 0);
	assert_int_equal(message_append_body(m, data + 600, 400), 0);
	assert_false(message_is_spooled(m));
	assert_int_equal(dir_entries(fx->dir), 0);
	assert_int_equal(message_body(m, &p, &n), 0);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(p, data, sizeof(data));
	message_free(m);
}

/*
 * A body larger than the limit moves to a file nobody can name: nothing
 * appears in the spool folder, the file has no link and mode 0600, and
 * the body reads back byte for byte.
 */
static void
test_body_spooled(void **state)
{
	static const size_t chunks[] = {1, 700, 4096, 0, 65536, 3, 100000};
	struct fixture *fx = *state;
	unsigned char *data;
	struct message *m;
	struct stat st;
	const char *p;
	size_t total = 0, off = 0, i, n;

	for (i = 0; i < EXFIL_ARRAY_LEN(chunks); i++)
		total += chunks[i];
	data = malloc(total);
	assert_non_null(data);
	fill_pattern(data, total, 7);
	m = message_new(4096, fx->dir);
	assert_non_null(m);
	for (i = 0; i < EXFIL_ARRAY_LEN(chunks); i++) {
		assert_int_equal(
		    message_append_body(m, data + off, chunks[i]), 0);
		off += chunks[i];
		/* spooled as soon as the limit is passed, not before */
		assert_int_equal(message_is_spooled(m), off > 4096);
		assert_int_equal(dir_entries(fx->dir), 0);
	}
	assert_true(message_is_spooled(m));
	assert_true(m->spool_fd >= 0);
	assert_int_equal(fstat(m->spool_fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, (off_t)total);
	assert_int_equal(fcntl(m->spool_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(message_body(m, &p, &n), 0);
	assert_int_equal(n, total);
	assert_memory_equal(p, data, total);
	/* a second view is the same view */
	assert_int_equal(message_body(m, &p, &n), 0);
	assert_int_equal(n, total);
	assert_memory_equal(p, data, total);
	message_free(m);
	assert_int_equal(dir_entries(fx->dir), 0);
	free(data);
}

/* a spool folder that does not exist is an error, not a lost body */
static void
test_body_spool_error(void **state)
{
	struct fixture *fx = *state;
	char missing[300];
	struct message *m;

	snprintf(missing, sizeof(missing), "%s/no/such/dir", fx->dir);
	m = message_new(10, missing);
	assert_non_null(m);
	assert_int_equal(message_append_body(m, "0123456789", 10), 0);
	assert_int_equal(message_append_body(m, "x", 1), EXFIL_EIO);
	message_free(m);
}

/* message_parse() of a big message spools its body */
static void
test_parse_spools(void **state)
{
	struct fixture *fx = *state;
	struct buf raw = {0};
	struct message *m;
	const char *p;
	size_t n, hlen;
	unsigned i;

	assert_int_equal(buf_puts(&raw,
			     "From: a@example.com\r\n"
			     "Subject: big\r\n\r\n"),
	    0);
	hlen = raw.len;
	for (i = 0; i < 5000; i++)
		assert_int_equal(
		    buf_printf(&raw, "line %u of the body\r\n", i), 0);
	m = testutil_parse_message(1000, fx->dir, raw.p, raw.len);
	assert_true(message_is_spooled(m));
	assert_int_equal(m->nheaders, 2);
	assert_int_equal(message_body(m, &p, &n), 0);
	assert_int_equal(n, raw.len - hlen);
	assert_memory_equal(p, raw.p + hlen, n);
	message_free(m);
	buf_free(&raw);
}

/* --- message_write ------------------------------------------------------- */

/* read all of fd from the start */
static void
read_back(int fd, struct buf *out)
{
	char chunk[4096];
	ssize_t r;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(out, chunk, (size_t)r), 0);
	assert_true(r == 0);
}

/*
 * message_write() writes "name: value" CRLF lines, an empty line and the
 * body; parsing what it wrote gives the same headers and body back.
 */
static void
test_write_roundtrip(void **state)
{
	static const struct hdr hs[] = {
	    {"From", "a@example.com"},
	    {"Subject", "folded\r\n continued"},
	    {"X-Lf-Fold", "bare\n lf"}, /* as some MTAs pass it */
	    {"X-Empty", ""},
	};
	static const size_t limits[] = {1 << 20, 64}; /* memory, spooled */
	struct fixture *fx = *state;
	unsigned char body[3000];
	struct buf expect = {0}, got = {0};
	struct message *m, *m2;
	const char *p;
	size_t i, li, n, k;
	char path[300];
	int fd;

	fill_pattern(body, sizeof(body), 3);
	/* what RFC 5322 wants on the wire, built by hand */
	assert_int_equal(buf_puts(&expect,
			     "From: a@example.com\r\n"
			     "Subject: folded\r\n continued\r\n"
			     "X-Lf-Fold: bare\r\n lf\r\n"
			     "X-Empty: \r\n"
			     "\r\n"),
	    0);
	assert_int_equal(buf_append(&expect, body, sizeof(body)), 0);
	for (li = 0; li < EXFIL_ARRAY_LEN(limits); li++) {
		m = message_new(limits[li], fx->dir);
		assert_non_null(m);
		for (i = 0; i < EXFIL_ARRAY_LEN(hs); i++)
			assert_int_equal(
			    message_add_header(m, hs[i].name, hs[i].value), 0);
		assert_int_equal(message_append_body(m, body, 1000), 0);
		assert_int_equal(
		    message_append_body(m, body + 1000, sizeof(body) - 1000),
		    0);
		assert_int_equal(message_is_spooled(m), li == 1);
		snprintf(path, sizeof(path), "%s/out.eml", fx->dir);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(message_write(m, fd), 0);
		buf_reset(&got);
		read_back(fd, &got);
		close(fd);
		assert_int_equal(got.len, expect.len);
		assert_memory_equal(got.p, expect.p, expect.len);
		/* and back */
		m2 = testutil_parse_message(1 << 20, fx->dir, got.p, got.len);
		assert_int_equal(m2->nheaders, EXFIL_ARRAY_LEN(hs));
		for (k = 0; k < m2->nheaders; k++) {
			assert_string_equal(m2->headers[k].name, hs[k].name);
			/* bare LF folding came back as CRLF */
			if (k != 2)
				assert_string_equal(
				    m2->headers[k].value, hs[k].value);
		}
		assert_string_equal(m2->headers[2].value, "bare\r\n lf");
		assert_int_equal(message_body(m2, &p, &n), 0);
		assert_int_equal(n, sizeof(body));
		assert_memory_equal(p, body, n);
		message_free(m2);
		message_free(m);
	}
	buf_free(&expect);
	buf_free(&got);
}

/* a write to a bad descriptor fails */
static void
test_write_error(void **state)
{
	struct fixture *fx = *state;
	struct message *m = message_new(100, fx->dir);

	assert_non_null(m);
	assert_int_equal(message_add_header(m, "From", "a@example.com"), 0);
	assert_int_equal(message_write(m, -1), EXFIL_EIO);
	message_free(m);
	message_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
	    cmocka_unit_test(test_split_headers_offset),
	    cmocka_unit_test_setup_teardown(
		test_many_headers_and_rcpts, setup, teardown),
	    cmocka_unit_test(test_addr_strip),
	    cmocka_unit_test_setup_teardown(test_envelope, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_body_in_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_spooled, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_body_spool_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parse_spools, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_write_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
