/*
 * prefilter-bench.c - throughput of prefilter_run() alone (run on demand,
 * never a timed test): the literals of the shipped rules' body scope over
 * already-normalised text, one segment per message as scan-bench does.
 *
 *	prefilter-bench RULESDIR TEXTFILE [ROUNDS [LITERALS-OUT]]
 *
 * Prints the median MB/s (and cycles per byte on x86), the number of hits
 * and a checksum of the (id, start) sequence, to compare two builds.
 * LITERALS-OUT receives the literals, one a line.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_RDTSC 1
#endif

#include <exfil/arena.h>
#include <exfil/prefilter.h>
#include <exfil/rules.h>

#include "bench.h"

struct count {
	uint64_t hits, sum;
};

static void
on_hit(size_t id, size_t start, void *arg)
{
	struct count *c = arg;

	c->hits++;
	c->sum = (c->sum ^ (id * 0x9e3779b97f4a7c15u + start)) * 0x100000001b3u;
}

int
main(int argc, char **argv)
{
	struct ruleset *rs;
	const struct prefilter *pf;
	struct count c = {0, 0};
	double *t, *cy, t0;
	size_t *seg, nseg, len, i, j;
	const char *text;
	char err[1024];
	int rounds = argc > 3 ? atoi(argv[3]) : 11, r;
	uint64_t c0 = 0;
	FILE *fp;

	if (argc < 3 || rounds < 1) {
		fprintf(stderr,
		    "usage: prefilter-bench RULESDIR TEXTFILE [ROUNDS "
		    "[LITERALS-OUT]]\n");
		return 2;
	}
	if (rules_load_dir(argv[1], &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	pf = rs->prefilters[__builtin_ctz(SCOPE_BODY)];
	if (pf == NULL) {
		fprintf(stderr, "no literal in the body scope\n");
		return 2;
	}
	if (argc > 4 && (fp = fopen(argv[4], "w")) != NULL) {
		for (i = 0; i < rs->nrules; i++)
			if (rs->rules[i].enabled &&
			    (rs->rules[i].scope & SCOPE_BODY))
				for (j = 0; j < rs->rules[i].nliterals; j++)
					fprintf(fp, "%s\n",
					    rs->rules[i].literals[j]);
		fclose(fp);
	}
	text = bench_corpus(argv[2], arena_new(), &len, &seg, &nseg);
	if (text == NULL)
		return 2;
	t = calloc((size_t)rounds, sizeof(*t));
	cy = calloc((size_t)rounds, sizeof(*cy));
	for (r = 0; r < rounds; r++) {
		struct count rc = {0, 0};
		t0 = bench_now();
#ifdef HAVE_RDTSC
		c0 = __rdtsc();
#endif
		for (i = 0; i < nseg; i++)
			prefilter_run(pf, text + seg[i], seg[i + 1] - seg[i],
			    on_hit, &rc);
#ifdef HAVE_RDTSC
		cy[r] = (double)(__rdtsc() - c0) / (double)len;
#endif
		t[r] = bench_now() - t0;
		if (r == 0)
			c = rc;
		else if (rc.hits != c.hits || rc.sum != c.sum)
			return 1;
	}
	(void)c0;
	qsort(t, (size_t)rounds, sizeof(*t), bench_dcmp);
	qsort(cy, (size_t)rounds, sizeof(*cy), bench_dcmp);
	printf("prefilter_run %8.1f MB/s (median of %d, best %.1f), "
	       "%.2f cycles/byte; %zu segments, %llu hits, sum %016llx\n",
	    (double)len / 1e6 / t[rounds / 2], rounds, (double)len / 1e6 / t[0],
	    cy[rounds / 2], nseg, (unsigned long long)c.hits,
	    (unsigned long long)c.sum);
	return 0;
}
