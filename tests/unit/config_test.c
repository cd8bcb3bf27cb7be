/*
 * config_test.c - unit tests of config(3): defaults, the file syntax
 * (comments, continuation lines, lists), "file:line: message" errors and
 * config_is_internal_address().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include <exfil/config.h>

#include "testutil.h"

/* --- helpers ------------------------------------------------------------ */

/* write text to a new temporary file; its path goes to path */
static void
write_temp(const char *text, char *path, size_t pathlen)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, pathlen, "%s/config_test.XXXXXX", testutil_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* load text as a configuration file; err gets the message */
static int
load_text(const char *text, struct config **out, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	int rc;

	write_temp(text, path, pathlen);
	err[0] = '\0';
	rc = config_load(path, out, err, errlen);
	unlink(path);
	return rc;
}

/* an independent reading of the size syntax: digits, then K, M or G */
static size_t
size_of(const char *s)
{
	size_t v = 0;

	while (isdigit((unsigned char)*s))
		v = v * 10 + (size_t)(*s++ - '0');
	switch (toupper((unsigned char)*s)) {
	case 'K':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	default:
		return v;
	}
}

static size_t
list_len(const char *s)
{
	size_t n = 0;

	while (*s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		n++;
		while (*s && *s != ',' && !isspace((unsigned char)*s))
			s++;
	}
	return n;
}

/* --- defaults ------------------------------------------------------------- */

/* each key's default, in the file's syntax, is accepted by config_set() */
static void
test_every_default_parses(void **state)
{
	const struct config_key *k;
	struct config *c;
	char err[512];
	size_t n, i;

	(void)state;
	k = config_keys(&n);
	assert_true(n > 0);
	c = config_defaults();
	assert_non_null(c);
	for (i = 0; i < n; i++) {
		assert_non_null(k[i].name);
		assert_non_null(k[i].def);
		assert_non_null(k[i].help);
		assert_true(strlen(k[i].help) > 0);
		err[0] = '\0';
		if (config_set(c, k[i].name, k[i].def, err, sizeof(err)) != 0)
			fail_msg("default of %s: %s", k[i].name, err);
	}
	config_unref(c);
}

/* key names are unique lower-case identifiers */
static void
test_key_names(void **state)
{
	const struct config_key *k;
	size_t n, i, j;

	(void)state;
	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		for (j = 0; k[i].name[j]; j++)
			assert_true(islower((unsigned char)k[i].name[j]) ||
			    k[i].name[j] == '_' ||
			    isdigit((unsigned char)k[i].name[j]));
		for (j = i + 1; j < n; j++)
			assert_string_not_equal(k[i].name, k[j].name);
	}
}

/* config_defaults() holds, for every key, the value its default text means */
static void
test_defaults_values(void **state)
{
	const struct config_key *k;
	const struct strlist *l;
	struct config *c;
	const void *f;
	size_t n, i;

	(void)state;
	k = config_keys(&n);
	c = config_defaults();
	assert_non_null(c);
	assert_int_equal(c->refs, 1);
	assert_null(c->path);
	for (i = 0; i < n; i++) {
		f = (const char *)c + k[i].offset;
		switch (k[i].type) {
		case CFG_STRING:
			assert_string_equal(*(char *const *)f, k[i].def);
			break;
		case CFG_LIST:
			l = f;
			assert_int_equal(l->n, list_len(k[i].def));
			break;
		case CFG_BOOL:
			assert_int_equal(*(const bool *)f,
			    strcasecmp(k[i].def, "yes") == 0 ||
				strcasecmp(k[i].def, "true") == 0);
			break;
		case CFG_UINT:
			if (k[i].offset ==
			    offsetof(struct config, milter_timeout))
				assert_int_equal(*(const int *)f,
				    strtol(k[i].def, NULL, 10));
			else
				assert_int_equal(*(const unsigned *)f,
				    strtoul(k[i].def, NULL, 10));
			break;
		case CFG_SIZE:
			assert_int_equal(*(const size_t *)f, size_of(k[i].def));
			break;
		case CFG_MODE:
			assert_int_equal(
			    *(const unsigned *)f, strtoul(k[i].def, NULL, 8));
			break;
		case CFG_ACTION:
			assert_string_equal(
			    action_name(*(const enum action *)f), k[i].def);
			break;
		case CFG_FACILITY:
		case CFG_LOGLEVEL:
			/* checked by name below */
			break;
		}
	}
	/* what the contracts promise (STYLE.md, actions(3), policy(3)) */
	assert_int_equal(c->on_error, ACTION_TEMPFAIL);
	assert_string_equal(c->header_prefix, "X-Exfil");
	assert_int_equal(c->syslog_facility, LOG_MAIL);
	assert_int_equal(c->internal_domains.n, 0);
	assert_true(c->spool_memory_limit > 0);
	assert_true(c->max_mime_depth > 0);
	assert_true(c->max_mime_parts > 0);
	config_unref(c);
}

/* config_dump() writes a file that loads back to the same configuration */
static void
test_dump_roundtrip(void **state)
{
	char path[256], err[512], *d1 = NULL, *d2 = NULL;
	size_t l1 = 0, l2 = 0;
	struct config *c, *c2 = NULL;
	FILE *fp;

	(void)state;
	c = config_defaults();
	assert_non_null(c);
	assert_int_equal(config_set(c, "internal_domains",
			     "a.example, .b.example", err, sizeof(err)),
	    0);
	assert_int_equal(
	    config_set(c, "on_limit", "reject", err, sizeof(err)), 0);
	fp = open_memstream(&d1, &l1);
	assert_non_null(fp);
	config_dump(c, fp);
	fclose(fp);
	assert_int_equal(
	    load_text(d1, &c2, path, sizeof(path), err, sizeof(err)), 0);
	assert_non_null(c2);
	assert_int_equal(c2->on_limit, ACTION_REJECT);
	assert_int_equal(c2->internal_domains.n, 2);
	fp = open_memstream(&d2, &l2);
	assert_non_null(fp);
	config_dump(c2, fp);
	fclose(fp);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	config_unref(c);
	config_unref(c2);
}

/* --- the file ------------------------------------------------------------- */

static void
test_file_syntax(void **state)
{
	static const char text[] =
	    "# exfil-milter.conf for the test\n"
	    "\n"
	    "socket = unix:/run/exfil/exfil.sock\n"
	    "   \t\n"
	    "internal_domains = example.com, .example.org\n"
	    "    example.net,corp.example ,  last.example\n"
	    "\tfinal.example\n"
	    "# a comment between keys\n"
	    "max_message_size = 10M\n"
	    "spool_memory_limit=512k\n"
	    "max_decoded_bytes = 1G\n"
	    "max_message_memory = 4096\n"
	    "tag_rules_header = Yes\n"
	    "on_error = accept\n"
	    "on_limit = TAG\n"
	    "socket_mode = 0600\n"
	    "log_level = debug\n"
	    "syslog_facility = local3\n"
	    "max_mime_depth = 7\n"
	    "milter_timeout = 60\n"
	    "reject_reply = Blocked by policy,\n"
	    "  call the help desk\n"
	    "header_prefix = X-Test   \n";
	static const char *const domains[] = {"example.com", ".example.org",
	    "example.net", "corp.example", "last.example", "final.example"};
	char path[256], err[512];
	struct config *c = NULL;
	size_t i;

	(void)state;
	assert_int_equal(
	    load_text(text, &c, path, sizeof(path), err, sizeof(err)), 0);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->socket, "unix:/run/exfil/exfil.sock");
	assert_int_equal(c->internal_domains.n, EXFIL_ARRAY_LEN(domains));
	for (i = 0; i < EXFIL_ARRAY_LEN(domains); i++)
		assert_string_equal(c->internal_domains.v[i], domains[i]);
	assert_int_equal(c->max_message_size, (size_t)10 * 1024 * 1024);
	assert_int_equal(c->spool_memory_limit, (size_t)512 * 1024);
	assert_int_equal(c->max_decoded_bytes, (size_t)1 << 30);
	assert_int_equal(c->max_message_memory, 4096);
	assert_true(c->tag_rules_header);
	assert_int_equal(c->on_error, ACTION_ACCEPT);
	assert_int_equal(c->on_limit, ACTION_TAG);
	assert_int_equal(c->socket_mode, 0600);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->syslog_facility, LOG_LOCAL3);
	assert_int_equal(c->max_mime_depth, 7);
	assert_int_equal(c->milter_timeout, 60);
	/* continuation lines are joined with one blank */
	assert_string_equal(
	    c->reject_reply, "Blocked by policy, call the help desk");
	assert_string_equal(c->header_prefix, "X-Test");
	/* keys not in the file keep their defaults */
	assert_int_equal(c->on_error, ACTION_ACCEPT);
	config_unref(c);
}

/*
 * A comment line inside a continued value is a comment, not part of the
 * value, and does not end it: main.cf's rule, flush-left or indented.
 */
static void
test_comment_inside_continuation(void **state)
{
	static const char *const texts[] = {
	    "internal_domains = a.example,\n"
	    "    # indented comment\n"
	    "    b.example\n",
	    "internal_domains = a.example\n"
	    "# flush-left comment\n"
	    "  b.example\n",
	};
	char path[256], err[512];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(texts); i++) {
		c = NULL;
		if (load_text(texts[i], &c, path, sizeof(path), err,
			sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(c->internal_domains.n, 2);
		assert_string_equal(c->internal_domains.v[0], "a.example");
		assert_string_equal(c->internal_domains.v[1], "b.example");
		config_unref(c);
	}
}

/* the value of a later line replaces an earlier one; lists too */
static void
test_last_wins(void **state)
{
	static const char text[] = "internal_domains = a.example b.example\n"
				   "internal_domains = c.example\n"
				   "on_limit = reject\n"
				   "on_limit = accept\n";
	char path[256], err[512];
	struct config *c = NULL;

	(void)state;
	assert_int_equal(
	    load_text(text, &c, path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(c->internal_domains.n, 1);
	assert_string_equal(c->internal_domains.v[0], "c.example");
	assert_int_equal(c->on_limit, ACTION_ACCEPT);
	config_unref(c);
}

/* every bad line gives "file:line: message" and no configuration */
static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg; /* a substring of the message */
	} cases[] = {
	    {"socket = x\nfrobnicate = 1\n", 2, "unknown key 'frobnicate'"},
	    {"# c\n\nmax_message_size = 12Q\n", 3,
		"bad value '12Q' for max_message_size"},
	    {"spool_memory_limit = 1.5M\n", 1, "spool_memory_limit"},
	    {"spool_memory_limit = -1\n", 1, "bad value '-1'"},
	    {"spool_memory_limit = M\n", 1, "bad value 'M'"},
	    {"spool_memory_limit =\n", 1, "bad value ''"},
	    {"max_decoded_bytes = 99999999999999999999G\n", 1,
		"max_decoded_bytes"},
	    {"tag_rules_header = maybe\n", 1,
		"bad value 'maybe' for tag_rules_header"},
	    {"on_error = discard\n", 1, "bad value 'discard' for on_error"},
	    {"on_limit = \n", 1, "on_limit"},
	    {"socket_mode = 0999\n", 1, "bad value '0999' for socket_mode"},
	    {"socket_mode = 77777\n", 1, "socket_mode"},
	    {"socket_mode = rw\n", 1, "socket_mode"},
	    {"max_mime_depth = ten\n", 1, "bad value 'ten' for max_mime_depth"},
	    {"max_mime_parts = -3\n", 1, "max_mime_parts"},
	    {"max_mime_parts = 99999999999\n", 1, "max_mime_parts"},
	    {"log_level = loud\n", 1, "bad value 'loud' for log_level"},
	    {"syslog_facility = local9\n", 1, "syslog_facility"},
	    {"a line without an equals sign\n", 1, "key = value"},
	    {"  indented = 1\n", 1, "continuation line without a key"},
	    /* an error in a continued value points at its first line */
	    {"socket = x\n\nsocket_mode =\n  0777 0777\n", 3, "socket_mode"},
	};
	char path[256], err[512], prefix[300];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		c = (struct config *)1;
		assert_int_equal(load_text(cases[i].text, &c, path,
				     sizeof(path), err, sizeof(err)),
		    EXFIL_EINVAL);
		assert_null(c);
		snprintf(
		    prefix, sizeof(prefix), "%s:%u: ", path, cases[i].line);
		if (strncmp(err, prefix, strlen(prefix)) != 0 ||
		    strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i,
			    err, prefix, cases[i].msg);
		assert_null(strchr(err, '\n'));
	}
}

static void
test_missing_file(void **state)
{
	struct config *c = (struct config *)1;
	char err[512];

	(void)state;
	assert_int_equal(
	    config_load("/nonexistent/exfil.conf", &c, err, sizeof(err)),
	    EXFIL_EIO);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/exfil.conf"));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

/* values of each type, accepted and refused, through config_set() */
static void
test_set_values(void **state)
{
	static const struct {
		const char *key, *value;
		int ok;
	} cases[] = {
	    {"tag_rules_header", "yes", 1},
	    {"tag_rules_header", "TRUE", 1},
	    {"tag_rules_header", "on", 1},
	    {"tag_rules_header", "1", 1},
	    {"tag_rules_header", "off", 1},
	    {"tag_rules_header", "2", 0},
	    {"tag_rules_header", "", 0},
	    {"max_message_size", "0", 1},
	    {"max_message_size", "5KB", 1},
	    {"max_message_size", "5 M", 0},
	    {"max_message_size", "5T", 0},
	    {"max_message_size", "0x10", 0},
	    {"on_error", "quarantine", 1},
	    {"on_error", "Reject", 1},
	    {"on_error", "tempfail", 1},
	    {"on_error", "drop", 0},
	    {"socket_mode", "660", 1},
	    {"socket_mode", "8", 0},
	    {"max_mime_depth", "1 2", 0},
	    {"log_level", "WARNING", 1},
	    {"syslog_facility", "daemon", 1},
	    {"no_such_key", "1", 0},
	};
	struct config *c = config_defaults();
	char err[512];
	size_t i;
	int rc;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++) {
		err[0] = '\0';
		rc = config_set(
		    c, cases[i].key, cases[i].value, err, sizeof(err));
		if (cases[i].ok && rc != 0)
			fail_msg("%s = %s refused: %s", cases[i].key,
			    cases[i].value, err);
		if (!cases[i].ok) {
			assert_int_equal(rc, EXFIL_EINVAL);
			assert_non_null(strstr(err, cases[i].key));
		}
	}
	assert_int_equal(
	    config_set(c, "max_message_size", "5KB", err, sizeof(err)), 0);
	assert_int_equal(c->max_message_size, 5 * 1024);
	config_unref(c);
}

/* config_ref/config_unref count references */
static void
test_refcount(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_non_null(c);
	assert_ptr_equal(config_ref(c), c);
	assert_int_equal(c->refs, 2);
	config_unref(c);
	assert_int_equal(c->refs, 1);
	assert_string_equal(c->header_prefix, "X-Exfil"); /* still alive */
	config_unref(c);
	config_unref(NULL);
}

/* --- internal addresses --------------------------------------------------- */

static void
test_internal_address(void **state)
{
	static const struct {
		const char *addr;
		bool internal;
	} cases[] = {
	    {"alice@example.com", true},
	    {"Alice@EXAMPLE.COM", true},
	    {"alice@Example.Com", true},
	    {"<alice@example.com>", true},
	    {"alice@example.com.", true}, /* absolute form */
	    {"alice@sub.example.com", false}, /* exact entry: no subdomain */
	    {"alice@example.co", false},
	    {"alice@example.com.evil.test", false},
	    {"alice@badexample.com", false},
	    {"alice@corp.example", true}, /* ".corp.example": itself */
	    {"alice@eu.corp.example", true}, /* and its subdomains */
	    {"<alice@a.b.CORP.example>", true},
	    {"alice@notcorp.example", false},
	    {"alice@corp.example.net", false},
	    {"\"bob@example.com\"@evil.test", false}, /* the last @ counts */
	    {"bob%example.com@evil.test", false},
	    {"alice", false}, /* no '@': no domain */
	    {"<alice>", false},
	    {"", false},
	    {"<>", false},
	    {"alice@", false},
	};
	struct config *c = config_defaults();
	char err[512];
	size_t i;

	(void)state;
	assert_non_null(c);
	assert_int_equal(config_set(c, "internal_domains",
			     "example.com, .corp.example", err, sizeof(err)),
	    0);
	for (i = 0; i < EXFIL_ARRAY_LEN(cases); i++)
		if (config_is_internal_address(c, cases[i].addr) !=
		    cases[i].internal)
			fail_msg("%s: want %s", cases[i].addr,
			    cases[i].internal ? "internal" : "external");
	config_unref(c);
}

/* with no internal_domains, every address is external */
static void
test_internal_none(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_non_null(c);
	assert_false(config_is_internal_address(c, "alice@example.com"));
	assert_false(config_is_internal_address(c, "alice@localhost"));
	config_unref(c);
}

/* action_name and action_parse are inverse, and ordered by severity */
static void
test_actions(void **state)
{
	static const char *const words[] = {
	    "accept", "tag", "quarantine", "reject", "tempfail"};
	enum action a;
	size_t i;

	(void)state;
	for (i = 0; i < EXFIL_ARRAY_LEN(words); i++) {
		assert_int_equal(action_parse(words[i], &a), 0);
		assert_string_equal(action_name(a), words[i]);
	}
	assert_true(ACTION_ACCEPT < ACTION_TAG);
	assert_true(ACTION_TAG < ACTION_QUARANTINE);
	assert_true(ACTION_QUARANTINE < ACTION_REJECT);
	assert_true(action_parse("discard", &a) < 0);
	assert_string_equal(action_name((enum action)42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_default_parses),
	    cmocka_unit_test(test_key_names),
	    cmocka_unit_test(test_defaults_values),
	    cmocka_unit_test(test_dump_roundtrip),
	    cmocka_unit_test(test_file_syntax),
	    cmocka_unit_test(test_comment_inside_continuation),
	    cmocka_unit_test(test_last_wins),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_set_values),
	    cmocka_unit_test(test_refcount),
	    cmocka_unit_test(test_internal_address),
	    cmocka_unit_test(test_internal_none),
	    cmocka_unit_test(test_actions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
