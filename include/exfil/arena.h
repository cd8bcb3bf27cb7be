/*
 * NAME
 *	arena - one memory pool per message, freed in one call
 * SYNOPSIS
 *	#include <exfil/arena.h>
 *
 *	struct arena *arena_new(void);
 *	void *arena_alloc(struct arena *a, size_t n);
 *	char *arena_strndup(struct arena *a, const char *s, size_t n);
 *	void arena_free(struct arena *a);
 * DESCRIPTION
 *	Allocations come from chunks; a request larger than a quarter of a
 *	chunk gets a chunk of its own. Nothing is freed before arena_free().
 *	Memory is 16-byte aligned. arena_used() counts the bytes handed out,
 *	which the message limits are checked against.
 *	arena_grow() makes room for one more element in an array of n
 *	elements of size bytes that lives in the arena: when n reached *cap
 *	it returns a copy twice as large (16 elements at first) and updates
 *	*cap, else v itself. The room past the n elements copied is not
 *	zeroed: the caller sets element n. The old copy stays in the arena
 *	until it dies.
 * RETURN VALUE
 *	NULL when memory is exhausted or the arena's budget is spent.
 * OWNERSHIP
 *	The creator owns the arena; everything allocated from it dies with it.
 */
#ifndef EXFIL_ARENA_H
#define EXFIL_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_set_budget(struct arena *a, size_t max_bytes);
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n, size_t size);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void *arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size);
size_t arena_used(const struct arena *a);
void arena_free(struct arena *a);

#endif
