/*
 * audit_test.c - unit tests of audit(3): the record writer and its HMAC
 * chain. A log is written, then edited, cut, reordered; audit_verify()
 * must name the first bad line. Restart, rotation, a torn last line,
 * threads and a second process writing the same file. The card number is
 * computed here (testutil_visa), the keys are random: no real secrets.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/rand.h>

#include <exfil/audit.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/keyfile.h>
#include <exfil/message.h>

#include "testutil.h"

struct fixture {
	char dir[256];
	char log[300];
	char keyfile[300];
	char evfile[300];
	unsigned char key[KEYFILE_LEN];
	unsigned char evkey[KEYFILE_LEN];
	struct config *cfg;
	struct audit *a;
};

/* a random key, written as a key file (mode 0600) */
static void
make_key(const char *dir, const char *name, unsigned char key[KEYFILE_LEN],
    char *path, size_t pathlen)
{
	char hex[2 * KEYFILE_LEN + 2];

	assert_int_equal(RAND_bytes(key, KEYFILE_LEN), 1);
	keyfile_hex(key, KEYFILE_LEN, hex);
	strcat(hex, "\n");
	testutil_write_file(dir, name, hex);
	snprintf(path, pathlen, "%s/%s", dir, name);
	assert_int_equal(chmod(path, 0600), 0);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	testutil_temp_dir(fx->dir, sizeof(fx->dir), "audit_test");
	testutil_write_file(fx->dir, "test.rules", testutil_card_rule);
	make_key(
	    fx->dir, "audit.key", fx->key, fx->keyfile, sizeof(fx->keyfile));
	make_key(
	    fx->dir, "evidence.key", fx->evkey, fx->evfile, sizeof(fx->evfile));
	snprintf(fx->log, sizeof(fx->log), "%s/audit.json", fx->dir);
	if ((fx->cfg = config_defaults()) == NULL ||
	    config_set(fx->cfg, "rules_dir", fx->dir, err, sizeof(err)) ||
	    config_set(fx->cfg, "spool_dir", fx->dir, err, sizeof(err)) ||
	    config_set(fx->cfg, "internal_domains", "corp.example", err,
		sizeof(err)) ||
	    config_set(fx->cfg, "audit_log", fx->log, err, sizeof(err)) ||
	    config_set(
		fx->cfg, "audit_key_file", fx->keyfile, err, sizeof(err)) ||
	    config_set(
		fx->cfg, "evidence_key_file", fx->evfile, err, sizeof(err)))
		return -1;
	if (audit_open(fx->cfg, &fx->a, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	audit_close(fx->a);
	config_unref(fx->cfg);
	testutil_remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* --- helpers ------------------------------------------------------------- */

static void
write_actions(struct audit *a, int n, const char *tag)
{
	char id[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%d", tag, i);
		assert_int_equal(
		    audit_action(a, id, "release", "analyst",
			"checked with the sender", "{\"size\":123}"),
		    0);
	}
}

/* the lines of a file */
static size_t
read_lines(const char *path, char ***out)
{
	FILE *fp = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t n = 0, cap = 0;

	assert_non_null(fp);
	while (getline(&line, &cap, fp) > 0) {
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		v[n++] = strdup(line);
	}
	free(line);
	fclose(fp);
	*out = v;
	return n;
}

static void
write_lines(const char *path, char **v, size_t n)
{
	FILE *fp = fopen(path, "w");
	size_t i;

	assert_non_null(fp);
	for (i = 0; i < n; i++)
		fputs(v[i], fp);
	fclose(fp);
}

static void
free_lines(char **v, size_t n)
{
	while (n-- > 0)
		free(v[n]);
	free(v);
}

static int
verify(struct fixture *fx, const char *path, char *err, size_t errlen)
{
	err[0] = '\0';
	return audit_verify(path, fx->key, NULL, err, errlen);
}

/* verify fails, naming path:line */
static void
assert_bad_line(struct fixture *fx, unsigned line, const char *reason)
{
	char err[512], want[400];

	assert_true(verify(fx, fx->log, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s:%u: ", fx->log, line);
	if (strncmp(err, want, strlen(want)) != 0 ||
	    (reason && strstr(err, reason) == NULL))
		fail_msg("want '%s...%s', got '%s'", want, reason ? reason : "",
		    err);
}

/* --- tests --------------------------------------------------------------- */

/* records chain from an audit-start record; verify says intact */
static void
test_chain_ok(void **state)
{
	struct fixture *fx = *state;
	char err[512], **v;
	size_t n, i;

	write_actions(fx->a, 5, "q");
	n = read_lines(fx->log, &v);
	assert_int_equal(n, 6);
	assert_non_null(strstr(v[0], "\"event.action\":\"audit-start\""));
	assert_non_null(strstr(v[0], "\"audit.continues\":\"none\""));
	for (i = 1; i < n; i++) {
		assert_non_null(strstr(v[i], "\"event.action\":\"release\""));
		assert_non_null(
		    strstr(v[i], "\"exfil.detail\":{\"size\":123}"));
		assert_non_null(strstr(v[i], "\"user.name\":\"analyst\""));
	}
	free_lines(v, n);
	assert_int_equal(verify(fx, fx->log, err, sizeof(err)), 0);
}

/* the wrong key: the first record already fails */
static void
test_wrong_key(void **state)
{
	struct fixture *fx = *state;
	unsigned char other[KEYFILE_LEN];
	char err[512];

	write_actions(fx->a, 2, "q");
	memcpy(other, fx->key, sizeof(other));
	other[0] ^= 1;
	assert_true(audit_verify(fx->log, other, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, ":1: record changed"));
}

/* one character changed in line 3 */
static void
test_edit(void **state)
{
	struct fixture *fx = *state;
	char **v, *p;
	size_t n;

	write_actions(fx->a, 5, "q");
	n = read_lines(fx->log, &v);
	assert_non_null(p = strstr(v[2], "analyst"));
	*p = 'A';
	write_lines(fx->log, v, n);
	free_lines(v, n);
	assert_bad_line(fx, 3, "MAC does not match");
}

/* line 3 removed: line 3 (the old 4) no longer links */
static void
test_delete(void **state)
{
	struct fixture *fx = *state;
	char **v;
	size_t n;

	write_actions(fx->a, 5, "q");
	n = read_lines(fx->log, &v);
	free(v[2]);
	memmove(&v[2], &v[3], (n - 3) * sizeof(*v));
	write_lines(fx->log, v, n - 1);
	free_lines(v, n - 1);
	assert_bad_line(fx, 3, "chain broken");
}

/* the first record removed: the file no longer starts with audit-start */
static void
test_delete_first(void **state)
{
	struct fixture *fx = *state;
	char **v;
	size_t n;

	write_actions(fx->a, 3, "q");
	n = read_lines(fx->log, &v);
	write_lines(fx->log, v + 1, n - 1);
	free_lines(v, n);
	assert_bad_line(fx, 1, "audit-start");
}

/* lines 2 and 3 swapped */
static void
test_swap(void **state)
{
	struct fixture *fx = *state;
	char **v, *t;
	size_t n;

	write_actions(fx->a, 5, "q");
	n = read_lines(fx->log, &v);
	t = v[1], v[1] = v[2], v[2] = t;
	write_lines(fx->log, v, n);
	free_lines(v, n);
	assert_bad_line(fx, 2, "chain broken");
}

/* line 2 repeated after itself (a replay) */
static void
test_insert(void **state)
{
	struct fixture *fx = *state;
	char **v;
	size_t n;

	write_actions(fx->a, 4, "q");
	n = read_lines(fx->log, &v);
	v = realloc(v, (n + 1) * sizeof(*v));
	memmove(&v[3], &v[2], (n - 2) * sizeof(*v));
	v[2] = strdup(v[1]);
	write_lines(fx->log, v, n + 1);
	free_lines(v, n + 1);
	assert_bad_line(fx, 3, "chain broken");
}

/* the file cut in the middle of its last line, and then recovered */
static void
test_truncate_and_recover(void **state)
{
	struct fixture *fx = *state;
	char err[512], **v, *out = NULL;
	struct stat st;
	size_t n, len = 0;
	FILE *mem;

	write_actions(fx->a, 4, "q");
	assert_int_equal(stat(fx->log, &st), 0);
	assert_int_equal(truncate(fx->log, st.st_size - 100), 0);
	assert_bad_line(fx, 5, "torn record");

	/* a restart: the torn line is ended and a record says so */
	audit_close(fx->a);
	assert_int_equal(audit_open(fx->cfg, &fx->a, err, sizeof(err)), 0);
	write_actions(fx->a, 2, "after");
	n = read_lines(fx->log, &v);
	assert_int_equal(n, 8);
	assert_null(strstr(v[4], "\"audit.mac\""));
	assert_non_null(strstr(v[5], "\"event.action\":\"audit-recover\""));
	assert_non_null(strstr(v[5], "\"audit.torn_length\":"));
	free_lines(v, n);
	mem = open_memstream(&out, &len);
	assert_int_equal(
	    audit_verify(fx->log, fx->key, mem, err, sizeof(err)), 0);
	fclose(mem);
	assert_non_null(strstr(out, ":5: torn record"));
	assert_non_null(strstr(out, "recovered by line 6"));
	free(out);

	/* the torn line changed afterwards: no longer accounted for */
	n = read_lines(fx->log, &v);
	v[4][0] = 'X';
	write_lines(fx->log, v, n);
	free_lines(v, n);
	assert_bad_line(fx, 5, "not an audit record");
}

/* a complete line that is no record, in the middle: named */
static void
test_garbage_line(void **state)
{
	struct fixture *fx = *state;
	char **v;
	size_t n;

	write_actions(fx->a, 3, "q");
	n = read_lines(fx->log, &v);
	free(v[2]);
	v[2] = strdup("{\"hello\":\"world\"}\n");
	write_lines(fx->log, v, n);
	free_lines(v, n);
	assert_bad_line(fx, 3, "not an audit record");
}

/* a new process continues the chain from the file's tail */
static void
test_restart(void **state)
{
	struct fixture *fx = *state;
	char err[512], **v;
	size_t n;

	write_actions(fx->a, 2, "before");
	audit_close(fx->a);
	assert_int_equal(audit_open(fx->cfg, &fx->a, err, sizeof(err)), 0);
	write_actions(fx->a, 2, "after");
	n = read_lines(fx->log, &v);
	assert_int_equal(n, 5); /* no second audit-start */
	free_lines(v, n);
	assert_int_equal(verify(fx, fx->log, err, sizeof(err)), 0);
}

/* rotation: the new file starts by naming the old file's last MAC */
static void
test_rotation(void **state)
{
	struct fixture *fx = *state;
	char err[512], old[400], last[AUDIT_MAC_HEX], last2[AUDIT_MAC_HEX], **v;
	size_t n;

	write_actions(fx->a, 3, "one");
	snprintf(old, sizeof(old), "%s.1", fx->log);
	assert_int_equal(rename(fx->log, old), 0);
	write_actions(fx->a, 1, "late"); /* before the reopen: the old file */
	assert_int_equal(audit_reopen(fx->a), 0);
	write_actions(fx->a, 2, "two");

	assert_int_equal(
	    audit_verify_from(old, fx->key, NULL, last, NULL, err, sizeof(err)),
	    0);
	n = read_lines(fx->log, &v);
	assert_int_equal(n, 3);
	assert_non_null(strstr(v[0], "\"audit.continues\":\"reopen\""));
	assert_non_null(strstr(v[0], last));
	free_lines(v, n);
	assert_int_equal(audit_verify_from(fx->log, fx->key, last, last2, NULL,
			     err, sizeof(err)),
	    0);
	/* the wrong predecessor is caught */
	assert_true(audit_verify_from(fx->log, fx->key, last2, NULL, NULL, err,
			sizeof(err)) < 0);
	assert_non_null(strstr(err, ":1: does not continue"));

	/* a process that did not see the rotation: PATH.1's last MAC */
	assert_int_equal(rename(fx->log, old), 0);
	audit_close(fx->a);
	assert_int_equal(audit_open(fx->cfg, &fx->a, err, sizeof(err)), 0);
	write_actions(fx->a, 1, "three");
	assert_int_equal(audit_verify_from(fx->log, fx->key, last2, NULL, NULL,
			     err, sizeof(err)),
	    0);
	n = read_lines(fx->log, &v);
	assert_non_null(strstr(v[0], "\"audit.continues\":\"rotated\""));
	free_lines(v, n);
}

/* the record of a message: masked evidence and a keyed hash only */
static void
test_message_record(void **state)
{
	struct fixture *fx = *state;
	struct engine *e = NULL;
	struct message *m;
	struct result r;
	struct buf raw = {0};
	char card[17], hmac[AUDIT_MAC_HEX], masked[32], err[512], **v;
	size_t n;

	testutil_visa(card, 424242ULL);
	/* the number in a file name too: a rule of scope name fires there */
	testutil_write_file(fx->dir, "name.rules",
	    "rule card_in_name\n"
	    "  category payment_card\n"
	    "  pattern /(?<!\\d)(\\d{16})(?!\\d)/\n"
	    "  validate payment_card\n"
	    "  scope name\n"
	    "  score 5\n"
	    "end\n");
	buf_printf(&raw,
	    "From: Alice <alice@corp.example>\r\n"
	    "To: Bob <bob@example.net>\r\n"
	    "Subject: order\r\n"
	    "Message-ID: <audit-test-1@corp.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "Please charge card %.4s %.4s %.4s %.4s, expiry 12/29.\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Disposition: attachment; filename=\"card-%s.txt\"\r\n"
	    "\r\n"
	    "hello\r\n"
	    "--b1--\r\n",
	    card, card + 4, card + 8, card + 12, card);
	assert_int_equal(engine_new(fx->cfg, &e, err, sizeof(err)), 0);
	m = testutil_parse_message(1 << 20, fx->dir, raw.p, raw.len);
	assert_non_null(m);
	assert_int_equal(message_set_envelope(m, "4ABCDE", "192.0.2.7",
			     "client.example", "alice"),
	    0);
	assert_int_equal(message_set_sender(m, "alice@corp.example"), 0);
	assert_int_equal(message_add_rcpt(m, "bob@example.net", false), 0);
	assert_int_equal(message_add_rcpt(m, "carol@corp.example", true), 0);
	assert_int_equal(engine_scan(e, m, &r), 0);
	assert_int_equal(audit_message(fx->a, e, m, &r), 0);
	result_free(&r);
	message_free(m);
	engine_unref(e);
	buf_free(&raw);

	assert_int_equal(evidence_hmac_hex(fx->evkey, card, 16, hmac), 0);
	snprintf(
	    masked, sizeof(masked), "\"%.4s********%.4s\"", card, card + 12);
	n = read_lines(fx->log, &v);
	assert_int_equal(n, 2);
	if (strstr(v[1], card) || strstr(v[1], card + 3))
		fail_msg("the card number is in the record: %s", v[1]);
	assert_non_null(strstr(v[1], masked));
	assert_non_null(strstr(v[1], hmac));
	assert_null(strstr(v[1], "\"event.action\":\"accept\""));
	assert_non_null(strstr(v[1], "\"email.local_id\":\"4ABCDE\""));
	assert_non_null(strstr(
	    v[1], "\"email.message_id\":\"<audit-test-1@corp.example>\""));
	assert_non_null(
	    strstr(v[1], "\"email.from.address\":[\"alice@corp.example\"]"));
	assert_non_null(strstr(v[1],
	    "\"email.to.address\":[\"bob@example.net\",\"carol@corp."
	    "example\"]"));
	assert_non_null(strstr(
	    v[1], "\"exfil.external_recipients\":[\"bob@example.net\"]"));
	assert_non_null(strstr(v[1], "\"source.ip\":\"192.0.2.7\""));
	assert_non_null(strstr(v[1], "\"user.name\":\"alice\""));
	assert_non_null(
	    strstr(v[1], "\"rule.id\":[\"card_in_name\",\"payment_card\"]"));
	/* the place with the number in it is masked, the other one not */
	assert_non_null(strstr(v[1], "\"file.name\":\"atta***"));
	assert_non_null(strstr(v[1], "\"where\":\"body:text/plain\""));
	assert_non_null(strstr(v[1], "\"rule.category\":[\"payment_card\"]"));
	assert_non_null(strstr(v[1], "\"file.hash.sha256\":\""));
	assert_non_null(strstr(v[1], "\"exfil.scan_ms\":"));
	free_lines(v, n);
	assert_int_equal(verify(fx, fx->log, err, sizeof(err)), 0);
}

/* no audit_log: nothing written, every call succeeds; a log needs a key */
static void
test_noop_and_config(void **state)
{
	struct fixture *fx = *state;
	struct config *c = config_defaults();
	struct audit *a = NULL;
	char err[512];

	assert_non_null(c);
	assert_int_equal(audit_open(c, &a, err, sizeof(err)), 0);
	assert_false(audit_enabled(a));
	assert_int_equal(audit_action(a, "x", "show", "me", NULL, NULL), 0);
	assert_int_equal(audit_reopen(a), 0);
	audit_close(a);
	assert_int_equal(
	    config_set(c, "audit_log", fx->log, err, sizeof(err)), 0);
	assert_int_equal(audit_open(c, &a, err, sizeof(err)), EXFIL_EINVAL);
	assert_non_null(strstr(err, "needs audit_key_file"));
	assert_int_equal(audit_check(c, err, sizeof(err)), EXFIL_EINVAL);
	assert_int_equal(
	    config_set(c, "audit_fsync", "sometimes", err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_int_equal(
	    config_set(c, "on_audit_error", "quarantine", err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_int_equal(
	    config_set(c, "metrics_listen", "localhost", err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_int_equal(
	    config_set(c, "metrics_listen", "[::1]:9787", err, sizeof(err)), 0);
	config_unref(c);
	/* bad action words and detail objects are refused */
	assert_int_equal(
	    audit_action(fx->a, "x", "audit-start", "me", NULL, NULL),
	    EXFIL_EINVAL);
	assert_int_equal(audit_action(fx->a, "x", "Release", "me", NULL, NULL),
	    EXFIL_EINVAL);
	assert_int_equal(audit_action(fx->a, "x", "show", "me", NULL,
			     "{\"a\":1}\n{\"b\":2}"),
	    EXFIL_EINVAL);
	assert_int_equal(
	    audit_action(fx->a, "x", "show", "me", NULL, "[1]"), EXFIL_EINVAL);
}

/* audit_fsync = always works the same way */
static void
test_fsync_always(void **state)
{
	struct fixture *fx = *state;
	char err[512];

	audit_close(fx->a);
	assert_int_equal(
	    config_set(fx->cfg, "audit_fsync", "always", err, sizeof(err)), 0);
	assert_int_equal(audit_open(fx->cfg, &fx->a, err, sizeof(err)), 0);
	write_actions(fx->a, 3, "sync");
	audit_flush(fx->a);
	audit_sync(fx->a);
	assert_int_equal(verify(fx, fx->log, err, sizeof(err)), 0);
}

/* a log that root creates takes the owner of its folder */
static void
test_owner(void **state)
{
	struct fixture *fx = *state;
	char err[512];
	struct stat st;

	if (geteuid() != 0)
		skip();
	audit_close(fx->a);
	fx->a = NULL;
	assert_int_equal(unlink(fx->log), 0);
	assert_int_equal(chown(fx->dir, 65534, 65534), 0);
	assert_int_equal(audit_open(fx->cfg, &fx->a, err, sizeof(err)), 0);
	assert_int_equal(stat(fx->log, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0600);
}

#define NTHREADS 8
#define PER_THREAD 40

static void *
writer(void *arg)
{
	struct audit *a = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (audit_action(a, "t", "show", "thread", NULL, NULL) != 0)
			return (void *)1;
	return NULL;
}

/* threads of this process and a second process: one intact chain */
static void
test_concurrent(void **state)
{
	struct fixture *fx = *state;
	pthread_t t[NTHREADS];
	char err[512], **v;
	void *res;
	size_t n;
	pid_t pid;
	int i, status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct audit *a = NULL;
		int bad = 0;
		if (audit_open(fx->cfg, &a, err, sizeof(err)) != 0)
			_exit(3);
		for (i = 0; i < NTHREADS * PER_THREAD; i++)
			bad |= audit_action(
			    a, "p", "delete", "process", NULL, NULL);
		audit_close(a);
		_exit(bad ? 4 : 0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer, fx->a), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	n = read_lines(fx->log, &v);
	/* one audit-start: whichever wrote first */
	assert_int_equal(n, 1 + 2 * NTHREADS * PER_THREAD);
	free_lines(v, n);
	assert_int_equal(verify(fx, fx->log, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chain_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_truncate_and_recover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_message_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_noop_and_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fsync_always, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(
	    tests, testutil_filetype_setup, testutil_filetype_teardown);
}
