/*
 * sandbox_test.c - unit tests of sandbox(3): a worker gives the very items
 * extract() gives in process, nested containers included; a worker that
 * crashes or hangs costs that part only (an unreadable item, a flag) and
 * is replaced; a worker can open no file and allocate no more than its
 * limit. The test types application/x-exfil-test-* exist only with
 * EXFIL_SANDBOX_TEST in the environment, set here.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/extract.h>
#include <exfil/filetype.h>
#include <exfil/sandbox.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#define MAXSEEN 256

typedef int extract_call(struct arena *a, const char *type, const char *where,
    const char *data, size_t len, unsigned depth,
    const struct extract_limits *lim, struct extract_state *st, extract_fn *fn,
    void *arg);

struct walk {
	struct arena *a;
	extract_call *call; /* extract or sandbox_extract */
	struct extract_limits lim;
	struct extract_state st;
	char *where[MAXSEEN];
	char *data[MAXSEEN];
	size_t len[MAXSEEN];
	bool unreadable[MAXSEEN];
	size_t n;
};

static char datadir[512];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* record the item, and open what libmagic says is a container */
static int
on_item(const struct extract_item *it, void *arg)
{
	struct walk *w = arg;
	const char *type;

	assert_true(w->n < MAXSEEN);
	assert_int_equal(it->data[it->len], '\0');
	w->where[w->n] = arena_strdup(w->a, it->where);
	w->data[w->n] = arena_memdup(w->a, it->data, it->len);
	w->len[w->n] = it->len;
	w->unreadable[w->n] = it->unreadable;
	w->n++;
	if (it->is_text || it->encrypted || it->len == 0)
		return 0;
	type = filetype_detect(w->a, it->data, it->len);
	if (!extract_handles(type))
		return 0;
	return w->call(w->a, type, it->where, it->data, it->len, it->depth,
		   &w->lim, &w->st, on_item, w) < 0
	    ? -1
	    : 0;
}

static void
walk_init(struct walk *w, extract_call *call)
{
	memset(w, 0, sizeof(*w));
	assert_non_null(w->a = arena_new());
	w->call = call;
	w->lim.max_depth = 5;
	w->lim.max_members = 1000;
	w->lim.max_expanded = 64 * 1024 * 1024;
	w->lim.max_ratio = 100;
	w->lim.max_text = 1024 * 1024;
}

static char *
load(const char *name, size_t *len)
{
	return testutil_read_file(datadir, name, len);
}

static int
walk_file(struct walk *w, const char *name)
{
	const char *type;
	char where[256];
	size_t len;
	char *data;
	int rc;

	data = load(name, &len);
	type = filetype_detect(w->a, data, len);
	snprintf(where, sizeof(where), "attachment:%s", name);
	rc = w->call(
	    w->a, type, where, data, len, 0, &w->lim, &w->st, on_item, w);
	free(data);
	return rc;
}

/* the same items, in the same order, with the same bytes */
static void
test_same_items(void **state)
{
	static const char *const files[] = {"nested.zip", "doc.docx",
	    "sheet.xlsx", "archive.7z", "enc-zipcrypto.zip", "doc.doc",
	    "test.msg", "doc.rtf", "doc.pdf", "winmail.dat"};
	struct walk in, out;
	size_t i, j;

	(void)state;
	assert_true(sandbox_active());
	for (i = 0; i < EXFIL_ARRAY_LEN(files); i++) {
		walk_init(&in, extract);
		walk_init(&out, sandbox_extract);
		assert_int_equal(
		    walk_file(&in, files[i]), walk_file(&out, files[i]));
		assert_int_equal(in.st.flags, out.st.flags);
		assert_int_equal(in.st.members, out.st.members);
		assert_int_equal(in.st.expanded, out.st.expanded);
		if (in.n != out.n)
			fail_msg("%s: %zu items in process, %zu in a worker",
			    files[i], in.n, out.n);
		for (j = 0; j < in.n; j++) {
			assert_string_equal(in.where[j], out.where[j]);
			assert_int_equal(in.len[j], out.len[j]);
			assert_memory_equal(in.data[j], out.data[j], in.len[j]);
		}
		arena_free(in.a);
		arena_free(out.a);
	}
}

/* a test request: one item, or none */
static void
test_call(struct walk *w, const char *what)
{
	char type[64];

	snprintf(type, sizeof(type), "application/x-exfil-test-%s", what);
	assert_int_equal(sandbox_extract(w->a, type, "attachment:t", "x", 1, 0,
			     &w->lim, &w->st, on_item, w),
	    0);
}

/* a worker that crashes costs that part; the next one is read */
static void
test_crash(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w, sandbox_extract);
	test_call(&w, "crash");
	assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
	assert_int_equal(w.n, 1);
	assert_true(w.unreadable[0]);
	assert_string_equal(w.where[0], "attachment:t");
	arena_free(w.a);

	walk_init(&w, sandbox_extract);
	assert_int_equal(walk_file(&w, "doc.docx"), 0);
	assert_int_equal(w.st.flags, 0);
	assert_true(w.n > 5);
	arena_free(w.a);
}

/* with no deadline, a runaway worker dies at its CPU limit */
static void
test_cpu(void **state)
{
	struct walk w;
	double t0 = now_ms();

	(void)state;
	walk_init(&w, sandbox_extract);
	w.lim.deadline = 0;
	test_call(&w, "hang");
	print_message("# cpu: stopped after %.0f ms\n", now_ms() - t0);
	assert_true(now_ms() - t0 < 30000);
	assert_true(w.st.flags & EXTRACT_F_UNREADABLE);
	assert_int_equal(w.n, 1);
	assert_true(w.unreadable[0]);
	arena_free(w.a);

	/* and the workers that replace it (retiring after each CPU
	 * second) still read documents */
	for (int i = 0; i < 3; i++) {
		walk_init(&w, sandbox_extract);
		assert_int_equal(walk_file(&w, "doc.docx"), 0);
		assert_int_equal(w.st.flags, 0);
		arena_free(w.a);
	}
}

/* a worker that hangs is killed at the deadline */
static void
test_hang(void **state)
{
	struct walk w;
	double t0 = now_ms();

	(void)state;
	walk_init(&w, sandbox_extract);
	w.lim.deadline = t0 + 300;
	test_call(&w, "hang");
	print_message("# hang: stopped after %.0f ms\n", now_ms() - t0);
	assert_true(now_ms() - t0 < 5000);
	assert_true(w.st.flags & EXTRACT_F_TIMEOUT);
	assert_int_equal(w.n, 1);
	assert_true(w.unreadable[0]);
	arena_free(w.a);

	walk_init(&w, sandbox_extract);
	assert_int_equal(walk_file(&w, "plain.zip"), 0);
	assert_int_equal(w.st.flags, 0);
	arena_free(w.a);
}

/* a worker opens no file (the filter), and allocates within its limit */
static void
test_confined(void **state)
{
	struct walk w;

	(void)state;
	walk_init(&w, sandbox_extract);
	test_call(&w, "open");
	assert_int_equal(w.n, 1);
#ifdef HAVE_SECCOMP
	assert_string_equal(w.data[0], "open: 1"); /* EPERM */
#endif
	arena_free(w.a);
#ifndef SANITIZED
	walk_init(&w, sandbox_extract);
	test_call(&w, "alloc");
	assert_int_equal(w.n, 1);
	assert_string_equal(w.data[0], "alloc: no"); /* RLIMIT_AS */
	arena_free(w.a);
#endif
}

static int
group_setup(void **state)
{
	(void)state;
	setenv("EXFIL_SANDBOX_TEST", "1", 1);
	/* workers get 2 CPU seconds (and retire after 1): test_cpu */
	setenv("EXFIL_SANDBOX_CPU", "2", 1);
	extract_init();
	if (filetype_init(1) != 0 ||
	    sandbox_init(2, (size_t)512 * 1024 * 1024) != 0)
		return -1;
	return testutil_data_dir("extract", datadir, sizeof(datadir));
}

static int
group_teardown(void **state)
{
	(void)state;
	filetype_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_items),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_hang),
	    cmocka_unit_test(test_cpu),
	    cmocka_unit_test(test_confined),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
