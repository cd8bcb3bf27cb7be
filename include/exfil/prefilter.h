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
 *	How: a table over every pair of bytes (64 KiB, both cases of each
 *	byte; the part text touches stays in L1) holds one bit for each
 *	role a pair plays in a literal: bytes 0-1, 1-2 and 2-3 of a literal
 *	of four or more (two groups of literals, chosen when built to let
 *	little text through: weighed by how often mail has each byte),
 *	bytes 0-1 and 1-2 of one of three (of one of two: bytes 0-1, and
 *	byte 1 before any byte). prefilter_run() looks the pair at each
 *	place up (a byte a place, no hashing, no case folding) and
 *	combines the bits of three places, 32 at a time with AVX2 (and
 *	BMI1 and 2) when the CPU has it (chosen at run time), else 16 with
 *	SSE2 (64-bit words elsewhere), into one bit a place where a literal
 *	may start;
 *	literals of one byte are compared with SIMD too (more than four
 *	distinct: every place). About 1 place in 63 of mail text passes;
 *	those of 4096 places are listed (without a branch a place), then
 *	a bit table of 2^15 bits (4 KiB) over a hash of the first four,
 *	six or eight bytes (bit 5 set in each) must agree for one of the
 *	three when only a literal of four or more may start there (again
 *	without a branch on each, as such branches were mispredicted
 *	often); a literal is in the table by its first 4, 6 or 8 bytes,
 *	the most of these it has. The trie is walked from the places left
 *	(about 1 in 270), and decides. The last places of a text (all of a
 *	short one, as a header) are copied into a block of their own with
 *	zeros after them, which no literal holds, for the same filter (a
 *	third fewer instructions over one-line segments).
 *	The filter and trie are immutable after prefilter_new() and are
 *	shared by the threads of the daemon.
 * RETURN VALUE
 *	prefilter_new: the automaton, or NULL when out of memory, n is 0 or
 *	the literals hold more than 254 distinct bytes (ASCII case folded).
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
