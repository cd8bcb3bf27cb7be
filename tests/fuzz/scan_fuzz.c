/*
 * scan_fuzz.c - libFuzzer target: the scan stage's fast path against its
 * naive path. The shipped rules run over the input (normalised, as a
 * message body) both ways; any difference in what fires, how many
 * distinct values or which evidence, aborts. Inputs are cut at 4 KiB:
 * the naive path runs every pattern over all of the text. A form feed
 * cuts the input into segments of one message, each scanned from a
 * copy freed after it (as an extractor's text), so that what a rule with
 * min_count holds back is read again later (ASan sees a text not kept).
 * Replayed over tests/fuzz/corpora/scan/ by make check (replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/charset.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#ifndef EXFIL_RULES_DIR
#define EXFIL_RULES_DIR "rules"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* what fired, as text: rule, distinct count, evidence */
static void
findings(const struct ruleset *rs, const char *text, size_t len, bool naive,
    struct buf *out)
{
	static const char *const where[] = {"body", "part 2", "part 3", "more"};
	const struct finding *f;
	struct arena *a;
	struct scan s;
	size_t i, j, at, end, nseg = 0;
	const char *q;
	char *seg;

	if ((a = arena_new()) == NULL || scan_begin(&s, a, rs) < 0)
		abort();
	scan_set_naive(&s, naive);
	for (at = 0; at <= len; at = end + 1) {
		q = memchr(text + at, '\f', len - at);
		end = q ? (size_t)(q - text) : len;
		if ((seg = malloc(end - at + 1)) == NULL)
			abort();
		memcpy(seg, text + at, end - at);
		s.text_transient = true;
		if (scan_segment(&s, seg, end - at, where[nseg < 3 ? nseg : 3],
			SCOPE_BODY) < 0)
			abort();
		memset(seg, 'x', end - at);
		free(seg);
		nseg++;
	}
	for (i = 0; i < rs->nrules; i++) {
		if ((f = scan_finding(&s, i)) == NULL)
			continue;
		buf_printf(out, "%s=%u@%s+%zu:", rs->rules[i].id, f->count,
		    f->where, f->offset);
		for (j = 0; j < f->nevidence; j++)
			buf_printf(out, "%s,", f->evidence[j]);
	}
	scan_end(&s);
	arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ruleset *rs;
	struct buf fast = {0}, naive = {0};
	struct arena *a;
	const char *text;
	char err[512];
	size_t len;

	if (rs == NULL &&
	    rules_load_dir(EXFIL_RULES_DIR, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (size > 4096)
		size = 4096;
	if ((a = arena_new()) == NULL ||
	    (text = text_normalize(a, (const char *)data, size, &len)) == NULL)
		abort();
	findings(rs, text, len, false, &fast);
	findings(rs, text, len, true, &naive);
	if (fast.len != naive.len ||
	    (fast.len && memcmp(fast.p, naive.p, fast.len) != 0)) {
		fprintf(stderr, "fast:  %.*s\nnaive: %.*s\n", (int)fast.len,
		    fast.p ? fast.p : "", (int)naive.len,
		    naive.p ? naive.p : "");
		abort();
	}
	buf_free(&fast);
	buf_free(&naive);
	arena_free(a);
	return 0;
}
