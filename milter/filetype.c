/*
 * filetype.c - libmagic handle pool (see include/exfil/filetype.h)
 */
#include "config.h"

#include <magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <exfil/arena.h>
#include <exfil/common.h>
#include <exfil/filetype.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static magic_t *pool;
static unsigned pool_size, pool_free;

/* filetype_init - load the database into n handles */
int
filetype_init(unsigned handles)
{
	unsigned i;

	if (pool)
		return 0;
	if (handles == 0)
		handles = 1;
	if ((pool = calloc(handles, sizeof(*pool))) == NULL)
		return EXFIL_ENOMEM;
	for (i = 0; i < handles; i++) {
		pool[i] = magic_open(
		    MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
		if (pool[i] == NULL || magic_load(pool[i], NULL) != 0) {
			if (pool[i])
				magic_close(pool[i]);
			while (i-- > 0)
				magic_close(pool[i]);
			free(pool);
			pool = NULL;
			return EXFIL_EIO;
		}
	}
	pool_size = pool_free = handles;
	return 0;
}

/* filetype_detect - the true MIME type of the bytes */
const char *
filetype_detect(struct arena *a, const void *p, size_t n)
{
	const char *t;
	const char *res;
	magic_t m;

	if (pool == NULL)
		return "application/octet-stream";
	if (n == 0)
		return "application/x-empty";
	pthread_mutex_lock(&pool_lock);
	while (pool_free == 0)
		pthread_cond_wait(&pool_cond, &pool_lock);
	m = pool[--pool_free];
	pthread_mutex_unlock(&pool_lock);

	t = magic_buffer(m, p, n > FILETYPE_PEEK ? FILETYPE_PEEK : n);
	res = arena_strdup(a, t ? t : "application/octet-stream");

	pthread_mutex_lock(&pool_lock);
	pool[pool_free++] = m;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	return res;
}

/* filetype_fini - close the handles */
void
filetype_fini(void)
{
	unsigned i;

	for (i = 0; pool && i < pool_size; i++)
		magic_close(pool[i]);
	free(pool);
	pool = NULL;
	pool_size = pool_free = 0;
}
