/*
 * NAME
 *	prefilter - find many literals in one pass
 * SYNOPSIS
 *	#include <exfil/prefilter.h>
 *
 *	struct prefilter *prefilter_new(char *const *lits, const size_t *ids,
 *	    size_t n);
 *	void prefilter_run(const struct prefilter *pf, const char *text,
 *	    size_t len, prefilter_hit_fn *fn, void *arg);
 *	void prefilter_free(struct prefilter *pf);
 * DESCRIPTION
 *	Builds a filter and a trie over n literals, compared ignoring ASCII
 *	case. prefilter_run() reads text once and calls fn(id, start, arg)
 *	for every occurrence of every literal, in increasing order of
 *	start (at one start, shorter literals first); id is the literal's
 *	entry of ids[]. Overlapping occurrences are all reported.
 *	How: a table of 2^18 bytes (256 KiB), indexed by a hash of the
 *	first four bytes of each literal (bit 5 of each byte set, which
 *	folds ASCII case; a literal of three bytes with every fourth
 *	byte), says where a literal may start, 64 places at a time (SSE2
 *	gathers the 64 answers in four movemasks); literals of one or two
 *	bytes are compared with SIMD. The trie is walked only from the
 *	places either lets through (about 1 in 50 in mail text), and
 *	decides.
 *	The filter and trie are immutable after prefilter_new() and are
 *	shared by the threads of the daemon.
 * RETURN VALUE
 *	prefilter_new: the automaton, or NULL when out of memory or n is 0.
 */
#ifndef EXFIL_PREFILTER_H
#define EXFIL_PREFILTER_H

#include <stddef.h>

struct prefilter;

typedef void prefilter_hit_fn(size_t id, size_t start, void *arg);

struct prefilter *prefilter_new(char *const *lits, const size_t *ids, size_t n);
void prefilter_run(const struct prefilter *pf, const char *text, size_t len,
    prefilter_hit_fn *fn, void *arg);
void prefilter_free(struct prefilter *pf);

#endif
