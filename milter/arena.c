/*
 * arena.c - one memory pool per message (see include/exfil/arena.h)
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	size_t used;
	size_t budget; /* 0: unlimited */
};

/* arena_new - an empty arena */
struct arena *
arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

/* arena_set_budget - refuse allocations beyond max_bytes in total */
void
arena_set_budget(struct arena *a, size_t max_bytes)
{
	a->budget = max_bytes;
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	if ((c = malloc(sizeof(*c) + size)) == NULL)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = NULL;
	return c;
}

/* arena_alloc - n bytes, aligned, uninitialised */
void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (a->budget && (need > a->budget || a->used > a->budget - need))
		return NULL;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* fuzzing: every block is its own malloc of exactly n bytes, so
	 * that ASan sees an overflow past any arena allocation */
	if ((c = chunk_new(n)) == NULL)
		return NULL;
	c->used = n;
	c->next = a->head;
	a->head = c;
	a->used += need;
	return c->data;
#endif
	if (need > ARENA_CHUNK / 4) {
		/* a big block gets a chunk of its own, behind the head */
		if ((c = chunk_new(need)) == NULL)
			return NULL;
		c->used = need;
		if (a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			a->head = c;
		}
		a->used += need;
		return c->data;
	}
	c = a->head;
	if (c == NULL || c->size - c->used < need) {
		if ((c = chunk_new(ARENA_CHUNK)) == NULL)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

/* arena_calloc - zeroed array of n elements */
void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if ((p = arena_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

/* arena_memdup - copy of n bytes, NUL-terminated for convenience */
void *
arena_memdup(struct arena *a, const void *src, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n)
		memcpy(p, src, n);
	p[n] = '\0';
	return p;
}

/* arena_strndup - copy of at most n bytes of s */
char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	const char *end = memchr(s, '\0', n);

	return arena_memdup(a, s, end ? (size_t)(end - s) : n);
}

/* arena_strdup - copy of s */
char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_memdup(a, s, strlen(s));
}

/* arena_sprintf - formatted string in the arena */
char *
arena_sprintf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* arena_grow - room for one more element of an array in the arena */
void *
arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	/* not zeroed: each caller sets the element it adds (a scan's
	 * arrays of anchors and runs grow anew with each message) */
	if (ncap < *cap || size == 0 || ncap > SIZE_MAX / size ||
	    (nv = arena_alloc(a, ncap * size)) == NULL)
		return NULL;
	if (n)
		memcpy(nv, v, n * size);
	*cap = ncap;
	return nv;
}

/* arena_used - bytes handed out so far */
size_t
arena_used(const struct arena *a)
{
	return a->used;
}

/* arena_free - release the arena and everything in it */
void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
