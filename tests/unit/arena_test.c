/*
 * arena_test.c - unit tests of arena(3): alignment, big blocks, budget,
 * strndup, sprintf.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <exfil/arena.h>

#define CHUNK (64 * 1024) /* the chunk size documented in arena.c */

static int
setup(void **state)
{
	struct arena *a = arena_new();

	if (a == NULL)
		return -1;
	*state = a;
	return 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* every allocation, whatever its size, is 16-byte aligned */
static void
test_alignment(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33,
	    100, 255, 1000, 4095, CHUNK / 4, CHUNK / 4 + 1, CHUNK, 3 * CHUNK};
	struct arena *a = *state;
	size_t i, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned char *p = arena_alloc(a, sizes[i]);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % 16, 0);
			/* the memory is ours to write */
			memset(p, 0xa5, sizes[i]);
		}
	}
}

/* allocations never overlap, across small and big blocks */
static void
test_no_overlap(void **state)
{
	struct arena *a = *state;
	unsigned char *p[200];
	size_t n[200], i, j;

	for (i = 0; i < 200; i++) {
		/* a mix of small sizes and big ones that get their own chunk */
		n[i] = (i % 7 == 0) ? CHUNK / 4 + 1 + i : 1 + (i * 37) % 500;
		p[i] = arena_alloc(a, n[i]);
		assert_non_null(p[i]);
		memset(p[i], (int)(i & 0xff), n[i]);
	}
	for (i = 0; i < 200; i++)
		for (j = 0; j < n[i]; j++)
			assert_int_equal(p[i][j], i & 0xff);
}

/* a big block is usable in full and does not disturb the current chunk */
static void
test_big_blocks(void **state)
{
	struct arena *a = *state;
	unsigned char *small1, *big, *small2;
	size_t bign = 5 * CHUNK + 3, i;

	small1 = arena_alloc(a, 32);
	assert_non_null(small1);
	big = arena_alloc(a, bign);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % 16, 0);
	for (i = 0; i < bign; i++)
		big[i] = (unsigned char)(i * 7);
	small2 = arena_alloc(a, 32);
	assert_non_null(small2);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* the small allocations still come from the same chunk: adjacent
	 * (not in a fuzzing build, where each block is its own malloc) */
	assert_ptr_equal(small2, small1 + 32);
#endif
	for (i = 0; i < bign; i++)
		assert_int_equal(big[i], (unsigned char)(i * 7));
	/* arena_used() counts what was handed out, rounded to 16 */
	assert_true(arena_used(a) >= 32 + bign + 32);
	assert_true(arena_used(a) <= 32 + bign + 15 + 32);
}

/* big blocks on an empty arena, then small ones */
static void
test_big_block_first(void **state)
{
	struct arena *a = *state;
	char *big, *s;

	big = arena_alloc(a, CHUNK);
	assert_non_null(big);
	memset(big, 'x', CHUNK);
	s = arena_strdup(a, "after");
	assert_non_null(s);
	assert_string_equal(s, "after");
	assert_true(s + 6 <= big || s >= big + CHUNK);
}

/* arena_used() counts bytes handed out, in 16-byte units */
static void
test_used(void **state)
{
	static const struct {
		size_t n, counted;
	} cases[] = {
	    {1, 16},
	    {16, 16},
	    {17, 32},
	    {0, 16},
	    {100, 112},
	    {20000, 20000},
	    {20001, 20016},
	};
	struct arena *a = *state;
	size_t i, before;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		before = arena_used(a);
		assert_non_null(arena_alloc(a, cases[i].n));
		assert_int_equal(arena_used(a) - before, cases[i].counted);
	}
}

/* the budget refuses what would go beyond it, and only that */
static void
test_budget(void **state)
{
	struct arena *a = *state;
	size_t used;

	arena_set_budget(a, 1024);
	assert_non_null(arena_alloc(a, 512));
	assert_non_null(arena_alloc(a, 256));
	used = arena_used(a);
	assert_int_equal(used, 768);
	/* 257 rounds to 272: 768 + 272 > 1024 */
	assert_null(arena_alloc(a, 257));
	assert_int_equal(arena_used(a), used);
	/* exactly what is left still fits */
	assert_non_null(arena_alloc(a, 256));
	assert_int_equal(arena_used(a), 1024);
	assert_null(arena_alloc(a, 1));
	assert_null(arena_strdup(a, "x"));
	assert_null(arena_sprintf(a, "%d", 1));
	assert_null(arena_calloc(a, 1, 1));
	/* a big block is refused the same way */
	assert_null(arena_alloc(a, 10 * CHUNK));
	/* a budget of 0 means no limit */
	arena_set_budget(a, 0);
	assert_non_null(arena_alloc(a, 10 * CHUNK));
}

/* a budget smaller than one allocation refuses it outright */
static void
test_budget_big_request(void **state)
{
	struct arena *a = *state;

	arena_set_budget(a, 100);
	assert_null(arena_alloc(a, 200));
	assert_null(arena_alloc(a, SIZE_MAX / 2));
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 96));
}

/* sizes that would overflow are refused, not wrapped */
static void
test_overflow(void **state)
{
	struct arena *a = *state;

	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 8));
	assert_null(arena_calloc(a, SIZE_MAX / 2, 3));
	assert_null(arena_calloc(a, (size_t)1 << 40, (size_t)1 << 40));
	assert_null(arena_memdup(a, "x", SIZE_MAX));
}

static void
test_calloc_zeroed(void **state)
{
	struct arena *a = *state;
	unsigned char *p;
	size_t i;

	/* dirty some memory first, so that zeroing is not free */
	p = arena_alloc(a, 4096);
	assert_non_null(p);
	memset(p, 0xff, 4096);
	p = arena_calloc(a, 100, 13);
	assert_non_null(p);
	for (i = 0; i < 1300; i++)
		assert_int_equal(p[i], 0);
	p = arena_calloc(a, 0, 8);
	assert_non_null(p);
}

static void
test_strndup(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
	    {"hello", 5, "hello"},
	    {"hello", 3, "hel"},
	    {"hello", 0, ""},
	    {"hello", 100, "hello"}, /* stops at the NUL */
	    {"", 10, ""},
	    {"a\0b", 3, "a"},
	};
	struct arena *a = *state;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = arena_strndup(a, cases[i].in, cases[i].n);
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		assert_ptr_not_equal(s, cases[i].in);
	}
	s = arena_strdup(a, "copy me");
	assert_non_null(s);
	assert_string_equal(s, "copy me");
}

/* strndup must not read past n bytes of an unterminated buffer */
static void
test_strndup_unterminated(void **state)
{
	struct arena *a = *state;
	char raw[4] = {'a', 'b', 'c', 'd'}; /* no NUL */
	char *s;

	s = arena_strndup(a, raw, sizeof(raw));
	assert_non_null(s);
	assert_int_equal(strlen(s), 4);
	assert_memory_equal(s, "abcd", 5);
}

static void
test_memdup(void **state)
{
	struct arena *a = *state;
	const char bin[] = {'x', '\0', 'y', '\0', 'z'};
	char *p;

	p = arena_memdup(a, bin, sizeof(bin));
	assert_non_null(p);
	assert_memory_equal(p, bin, sizeof(bin));
	assert_int_equal(p[sizeof(bin)], '\0'); /* terminated for convenience */
	p = arena_memdup(a, NULL, 0);
	assert_non_null(p);
	assert_int_equal(p[0], '\0');
}

static void
test_sprintf(void **state)
{
	struct arena *a = *state;
	char expect[512], big[3000];
	char *s;

	s = arena_sprintf(a, "%s:%u:%zu: %s", "f.rules", 12u, (size_t)7, "x");
	assert_non_null(s);
	assert_string_equal(s, "f.rules:12:7: x");
	s = arena_sprintf(a, "%s", "");
	assert_non_null(s);
	assert_string_equal(s, "");
	snprintf(expect, sizeof(expect), "%08x|%-5s|%5d|%.3f", 0xbeefu, "ab",
	    -42, 3.14159);
	s = arena_sprintf(a, "%08x|%-5s|%5d|%.3f", 0xbeefu, "ab", -42, 3.14159);
	assert_non_null(s);
	assert_string_equal(s, expect);
	/* longer than any internal guess, and than a small block */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_sprintf(a, "<%s>", big);
	assert_non_null(s);
	assert_int_equal(strlen(s), sizeof(big) + 1);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[sizeof(big)], '>');
	assert_int_equal((uintptr_t)s % 16, 0);
}

/* arena_free(NULL) is harmless, and a used arena frees in one call */
static void
test_free_many(void **state)
{
	struct arena *a = arena_new();
	size_t i;

	(void)state;
	arena_free(NULL);
	assert_non_null(a);
	for (i = 0; i < 1000; i++)
		assert_non_null(arena_alloc(a, (i % 10 == 0) ? 20000 : 100));
	arena_free(a); /* leaks would show under the sanitizers */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_big_block_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_used, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_budget_big_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_calloc_zeroed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_strndup, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_strndup_unterminated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memdup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sprintf, setup, teardown),
	    cmocka_unit_test(test_free_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
