/*
 * metrics_test.c - unit tests of metrics(3): counters of judged messages
 * in the Prometheus text format, the quarantine's size, the log summary.
 * The card number is computed here (testutil_visa): no real data.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <exfil/buf.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/message.h>
#include <exfil/metrics.h>

#include "testutil.h"

static const char policy_text[] = "policy\n"
				  "  when category payment_card then reject\n"
				  "end\n";

/* one message through the engine, counted */
static void
count_message(struct engine *e, const char *dir, const char *body)
{
	struct message *m;
	struct result r;
	struct buf raw = {0};

	buf_printf(
	    &raw, "From: <a@corp.example>\r\nSubject: x\r\n\r\n%s\r\n", body);
	m = testutil_parse_message(1 << 20, dir, raw.p, raw.len);
	assert_non_null(m);
	assert_int_equal(message_add_rcpt(m, "b@example.net", false), 0);
	assert_int_equal(engine_scan(e, m, &r), 0);
	metrics_message(m, &r);
	result_free(&r);
	message_free(m);
	buf_free(&raw);
}

/* the value of one sample line of the page, or -1 */
static long
sample(const struct buf *page, const char *name)
{
	const char *p = page->p;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == page->p || p[-1] == '\n') && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static void
test_counters(void **state)
{
	struct config *cfg = config_defaults();
	struct engine *e = NULL;
	struct buf page = {0}, line = {0};
	char dir[256], day[300], card[17], body[128], err[512];

	(void)state;
	testutil_temp_dir(dir, sizeof(dir), "metrics_test");
	testutil_write_file(dir, "test.rules", testutil_card_rule);
	testutil_write_file(dir, "policy.rules", policy_text);
	snprintf(day, sizeof(day), "%s/2026", dir);
	assert_int_equal(mkdir(day, 0700), 0);
	testutil_write_file(day, "q1.eml", "0123456789");
	testutil_write_file(day, "q1.json", "{}");
	testutil_write_file(day, "q2.eml.sealed", "01234");
	assert_non_null(cfg);
	assert_int_equal(
	    config_set(cfg, "rules_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(
	    config_set(cfg, "spool_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(engine_new(cfg, &e, err, sizeof(err)), 0);

	/* nothing yet */
	assert_int_equal(metrics_render(&page, dir), 0);
	assert_int_equal(
	    sample(&page, "exfil_messages_total{action=\"reject\"}"), 0);
	assert_int_equal(sample(&page, "exfil_scan_seconds_count"), 0);

	testutil_visa(card, 77ULL);
	snprintf(body, sizeof(body), "card %s exp 12/29", card);
	count_message(e, dir, body);
	count_message(e, dir, body);
	count_message(e, dir, "nothing to see");
	metrics_audit_error();

	buf_reset(&page);
	assert_int_equal(metrics_render(&page, dir), 0);
	assert_int_equal(
	    sample(&page, "exfil_messages_total{action=\"reject\"}"), 2);
	assert_int_equal(
	    sample(&page, "exfil_messages_total{action=\"accept\"}"), 1);
	assert_int_equal(sample(&page,
			     "exfil_findings_total{rule=\"payment_card\","
			     "category=\"payment_card\"}"),
	    2);
	assert_int_equal(
	    sample(&page,
		"exfil_findings_by_category_total{category=\"payment_card\"}"),
	    2);
	assert_int_equal(sample(&page, "exfil_scan_seconds_count"), 3);
	assert_int_equal(
	    sample(&page, "exfil_scan_seconds_bucket{le=\"+Inf\"}"), 3);
	assert_int_equal(sample(&page, "exfil_audit_errors_total"), 1);
	assert_true(sample(&page, "exfil_scanned_bytes_total") > 0);
	assert_int_equal(
	    sample(&page, "exfil_limits_total{limit=\"size_limit\"}"), 0);
	/* two messages in a day folder, plain and sealed; every byte */
	assert_int_equal(sample(&page, "exfil_quarantine_messages"), 2);
	assert_true(sample(&page, "exfil_quarantine_bytes") >= 17);
	assert_non_null(
	    strstr(page.p, "# TYPE exfil_scan_seconds histogram\n"));
	/* the page never holds the value */
	assert_null(strstr(page.p, card));

	assert_int_equal(metrics_summary(&line), 0);
	assert_non_null(strstr(line.p, "accept=1 tag=0 quarantine=0 reject=2"));
	assert_non_null(strstr(line.p, "audit_errors=1"));
	assert_non_null(strstr(line.p, "rule:payment_card=2"));
	assert_null(strchr(line.p, '\n'));

	buf_free(&page);
	buf_free(&line);
	engine_unref(e);
	config_unref(cfg);
	testutil_remove_tree(day);
	testutil_remove_tree(dir);
}

static void
test_serve_refuses(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(
	    metrics_serve("localhost:80", "/nonexistent", err, sizeof(err)),
	    EXFIL_EINVAL);
	assert_non_null(strstr(err, "bad address"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_serve_refuses),
	};

	return cmocka_run_group_tests(
	    tests, testutil_filetype_setup, testutil_filetype_teardown);
}
