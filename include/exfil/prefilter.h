/*
 * NAME
 *	prefilter - find many literals in one pass (Aho-Corasick)
 * SYNOPSIS
 *	#include <exfil/prefilter.h>
 *
 *	struct prefilter *prefilter_new(char *const *lits, const size_t *ids,
 *	    size_t n);
 *	void prefilter_run(const struct prefilter *pf, const char *text,
 *	    size_t len, prefilter_hit_fn *fn, void *arg);
 *	void prefilter_free(struct prefilter *pf);
 * DESCRIPTION
 *	Builds one automaton over n literals, compared ignoring ASCII case,
 *	as a full DFA over byte classes (bytes that occur in no literal
 *	share one class and are skipped fast). prefilter_run() reads text
 *	once and calls fn(id, start, arg) for every occurrence of every
 *	literal, in increasing order of the occurrence's end; id is the
 *	literal's entry of ids[]. Overlapping occurrences are all reported.
 *	The automaton is immutable after prefilter_new() and is shared by
 *	the threads of the daemon.
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
