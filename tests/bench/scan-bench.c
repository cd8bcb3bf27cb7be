/*
 * scan-bench.c - throughput of the scan stage (run on demand, never a
 * timed test): the shipped rules over already-normalised text, one segment
 * per message as the engine scans them, with the prefilter and naively.
 *
 *	scan-bench RULESDIR TEXTFILE [ROUNDS [PATTERNS-OUT [TEXT-OUT]]]
 *
 * Prints the median MB/s of each path, their ratio, and whether both found
 * exactly the same (rule, distinct count, evidence) in every segment: the
 * exit status is 1 when they differ. PATTERNS-OUT receives every pattern
 * for pcre2grep -f, TEXT-OUT the normalised text it was run over.
 * SCAN_BENCH_PROFILE=1 also prints the costliest rules of the fast path.
 * Then, each its own figure: normalising the text, decoding it from
 * base64, and a base64 body's whole way (decode, normalise, scan).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/decode.h>
#include <exfil/rules.h>
#include <exfil/scan.h>

#include "bench.h"

/* the findings of one segment as text, to compare the two paths */
static void
summary(const struct scan *s, struct buf *out)
{
	const struct finding *f;
	size_t i, j;

	for (i = 0; i < s->rs->nrules; i++) {
		if ((f = scan_finding(s, i)) == NULL)
			continue;
		buf_printf(out, "%s=%u:", s->rs->rules[i].id, f->count);
		for (j = 0; j < f->nevidence; j++)
			buf_printf(out, "%s,", f->evidence[j]);
		buf_putc(out, ';');
	}
	buf_putc(out, '\n');
}

/* one pass over all segments; returns seconds */
/* SCAN_BENCH_PROFILE=1: time per rule, summed over the fast rounds */
static unsigned long long *rule_ns, literal_ns, runs_ns;

static double
pass(const struct ruleset *rs, const char *text, const size_t *seg, size_t nseg,
    int naive, struct buf *sum)
{
	struct arena *a;
	struct scan s;
	double t0, t = 0;
	size_t i;

	for (i = 0; i < nseg; i++) {
		if ((a = arena_new()) == NULL || scan_begin(&s, a, rs) < 0)
			exit(2);
		scan_set_naive(&s, naive);
		if (!naive)
			s.rule_ns = rule_ns;
		t0 = bench_now();
		/* as the engine scans a message body */
		if (scan_segment(&s, text + seg[i], seg[i + 1] - seg[i], "body",
			SCOPE_BODY) < 0)
			exit(2);
		t += bench_now() - t0;
		literal_ns += s.literal_ns;
		runs_ns += s.runs_ns;
		if (sum)
			summary(&s, sum);
		scan_end(&s);
		arena_free(a);
	}
	return t;
}

static int
ncmp(const void *a, const void *b)
{
	unsigned long long x = rule_ns[*(const size_t *)a],
			   y = rule_ns[*(const size_t *)b];

	return x < y ? 1 : x > y ? -1 : 0;
}

/* the costliest rules, in ns a byte (the profile itself adds a little) */
static void
profile(const struct ruleset *rs, size_t len, int rounds)
{
	size_t *order, i;
	double bytes = (double)len * rounds;

	if ((order = calloc(rs->nrules, sizeof(*order))) == NULL)
		exit(2);
	for (i = 0; i < rs->nrules; i++)
		order[i] = i;
	qsort(order, rs->nrules, sizeof(*order), ncmp);
	printf("profile: %.3f ns/byte finding the literals (prefilter)\n",
	    (double)literal_ns / bytes);
	printf("profile: %.3f ns/byte finding the runs of digits\n",
	    (double)runs_ns / bytes);
	for (i = 0; i < rs->nrules && i < 15 && rule_ns[order[i]]; i++)
		printf("profile: %.3f ns/byte %s\n",
		    (double)rule_ns[order[i]] / bytes, rs->rules[order[i]].id);
	free(order);
}

/* base64 of in, in lines of 76 characters, as mail carries it */
static char *
base64_lines(const unsigned char *in, size_t n, size_t *outlen)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	char *out = malloc(n / 3 * 4 + n / 57 * 2 + 8), *o = out;
	size_t i, col = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16 |
		    (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
		if ((col += 4) == 76) {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
	}
	*outlen = (size_t)(o - out);
	return out;
}

/*
 * What the scan stage stands between, each its own figure (medians of
 * rounds, MB/s of decoded text): normalising the segments, decoding them
 * from base64, and a message body's whole way: decode, normalise, scan.
 */
static void
around(const struct ruleset *rs, const char *text, const size_t *seg,
    size_t nseg, int rounds)
{
	double *tnorm = calloc((size_t)rounds, sizeof(double)),
	       *tdec = calloc((size_t)rounds, sizeof(double)),
	       *tall = calloc((size_t)rounds, sizeof(double)), t0;
	size_t i, n, dn, total = seg[nseg],
			 *elen = calloc(nseg, sizeof(size_t));
	char **enc = calloc(nseg, sizeof(char *));
	unsigned char *dec = malloc(total + 4);
	struct arena *a;
	struct scan s;
	int r;

	for (i = 0; i < nseg; i++)
		enc[i] = base64_lines((const unsigned char *)text + seg[i],
		    seg[i + 1] - seg[i], &elen[i]);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nseg; i++) {
			a = arena_new();
			t0 = bench_now();
			text_normalize(
			    a, text + seg[i], seg[i + 1] - seg[i], &n);
			tnorm[r] += bench_now() - t0;
			t0 = bench_now();
			dn = decode_base64(enc[i], elen[i], dec);
			tdec[r] += bench_now() - t0;
			arena_free(a);
			a = arena_new();
			scan_begin(&s, a, rs);
			t0 = bench_now();
			dn = decode_base64(enc[i], elen[i], dec);
			const char *t = text_normalize(a, (char *)dec, dn, &n);
			if (scan_segment(&s, t, n, "body", SCOPE_BODY) < 0)
				exit(2);
			tall[r] += bench_now() - t0;
			scan_end(&s);
			arena_free(a);
		}
	}
	qsort(tnorm, (size_t)rounds, sizeof(double), bench_dcmp);
	qsort(tdec, (size_t)rounds, sizeof(double), bench_dcmp);
	qsort(tall, (size_t)rounds, sizeof(double), bench_dcmp);
	printf("normalise  %8.1f MB/s (median; text_normalize over the "
	       "segments)\n",
	    (double)total / 1e6 / tnorm[rounds / 2]);
	printf("base64     %8.1f MB/s (median; decode_base64, of decoded "
	       "text)\n",
	    (double)total / 1e6 / tdec[rounds / 2]);
	printf("decode+normalise+scan %8.1f MB/s (median; a base64 body's "
	       "whole way)\n",
	    (double)total / 1e6 / tall[rounds / 2]);
	for (i = 0; i < nseg; i++)
		free(enc[i]);
	free(enc);
	free(elen);
	free(dec);
	free(tnorm);
	free(tdec);
	free(tall);
}

int
main(int argc, char **argv)
{
	struct buf fast = {0}, naive = {0};
	struct ruleset *rs;
	double *tf, *tn, mf, mn, mb;
	size_t *seg, nseg, len, i, k, npat = 0;
	const char *text;
	char err[1024];
	int rounds = argc > 3 ? atoi(argv[3]) : 5, r;
	FILE *fp;

	if (argc < 3 || rounds < 1) {
		fprintf(stderr,
		    "usage: scan-bench RULESDIR TEXTFILE [ROUNDS "
		    "[PATTERNS-OUT [TEXT-OUT]]]\n");
		return 2;
	}
	if (rules_load_dir(argv[1], &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	text = bench_corpus(argv[2], arena_new(), &len, &seg, &nseg);
	if (text == NULL)
		return 2;
	for (i = 0; i < rs->nrules; i++)
		npat += rs->rules[i].npatterns;
	if (argc > 4 && (fp = fopen(argv[4], "w")) != NULL) {
		for (i = 0; i < rs->nrules; i++)
			for (k = 0; k < rs->rules[i].npatterns; k++)
				fprintf(fp, "%s\n", rs->rules[i].sources[k]);
		fclose(fp);
	}
	if (argc > 5 && (fp = fopen(argv[5], "wb")) != NULL) {
		fwrite(text, 1, len, fp);
		fclose(fp);
	}
	if (getenv("SCAN_BENCH_PROFILE") &&
	    (rule_ns = calloc(rs->nrules, sizeof(*rule_ns))) == NULL)
		exit(2);
	tf = calloc((size_t)rounds, sizeof(*tf));
	tn = calloc((size_t)rounds, sizeof(*tn));
	/* alternate the two paths, so that both see the same machine */
	for (r = 0; r < rounds; r++) {
		tf[r] = pass(rs, text, seg, nseg, 0, r == 0 ? &fast : NULL);
		/* SCAN_BENCH_FAST_ONLY=1: for a profiler or a quick look,
		 * the fast path alone: its median, no comparison */
		if (getenv("SCAN_BENCH_FAST_ONLY"))
			continue;
		tn[r] = pass(rs, text, seg, nseg, 1, r == 0 ? &naive : NULL);
	}
	if (rule_ns)
		profile(rs, len, rounds);
	if (getenv("SCAN_BENCH_FAST_ONLY")) {
		qsort(tf, (size_t)rounds, sizeof(*tf), bench_dcmp);
		printf("prefilter  %8.1f MB/s (median of %d, fast path only; "
		       "best %.1f)\n",
		    (double)len / 1e6 / tf[rounds / 2], rounds,
		    (double)len / 1e6 / tf[0]);
		return 0;
	}
	qsort(tf, (size_t)rounds, sizeof(*tf), bench_dcmp);
	qsort(tn, (size_t)rounds, sizeof(*tn), bench_dcmp);
	mb = (double)len / 1e6;
	mf = mb / tf[rounds / 2];
	mn = mb / tn[rounds / 2];
	printf("text %.1f MB in %zu segments, %zu rules, %zu patterns, "
	       "%d rounds\n",
	    mb, nseg, rs->nrules, npat, rounds);
	printf("prefilter  %8.1f MB/s (median)\n", mf);
	printf("naive      %8.1f MB/s (median)\n", mn);
	printf("ratio      %8.1f x\n", mf / mn);
	if (fast.len != naive.len || memcmp(fast.p, naive.p, fast.len) != 0) {
		printf("findings   DIFFER between the two paths\n");
		return 1;
	}
	printf("findings   identical in all %zu segments\n", nseg);
	around(rs, text, seg, nseg, rounds);
	return 0;
}
