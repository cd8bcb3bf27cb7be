/*
 * bench.h - what the benchmarks share (header-only, static inline): a
 * clock, the order of doubles for a median, and the corpus as the engine
 * scans it: normalised text, one segment per message (mbox "From " lines
 * separate them).
 */
#ifndef EXFIL_TESTS_BENCH_H
#define EXFIL_TESTS_BENCH_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/charset.h>

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
bench_dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The normalised text of the file at path (in a), its length in *len, and
 * *nseg segments: segment i is from (*seg)[i] to (*seg)[i + 1]. NULL (and
 * a message) when the file cannot be read.
 */
static inline const char *
bench_corpus(
    const char *path, struct arena *a, size_t *len, size_t **seg, size_t *nseg)
{
	struct buf raw = {0};
	const char *text, *p;
	size_t cap = 1024, n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || buf_read_fd(&raw, fd) < 0) {
		perror(path);
		return NULL;
	}
	close(fd);
	text = text_normalize(a, raw.p, raw.len, len);
	*seg = malloc(cap * sizeof(**seg));
	(*seg)[n++] = 0;
	for (p = text; (p = strstr(p + 1, "\nFrom ")) != NULL;) {
		if (n + 2 > cap)
			*seg = realloc(*seg, (cap *= 2) * sizeof(**seg));
		(*seg)[n++] = (size_t)(p + 1 - text);
	}
	(*seg)[n] = *len;
	*nseg = n;
	return text;
}

#endif
