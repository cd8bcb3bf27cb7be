/*
 * replay.c - main() for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput over every file named, or every file of every
 * folder named, so that make check replays the seed corpora (under
 * ASan+UBSan in the sanitizer build). Prints TAP: one line per folder.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	unsigned char *buf;
	struct stat st;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) < 0) {
		if (fp)
			fclose(fp);
		return -1;
	}
	/* exactly the file's size, as libFuzzer does: a read past the end
	 * of the input must hit ASan's redzone, not a spare byte */
	if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* every regular file below path; returns the count, -1 on error */
static long
run_tree(const char *path)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	long n = 0, k;
	DIR *d;

	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return run_file(path) == 0 ? 1 : -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if ((k = run_tree(sub)) < 0) {
			closedir(d);
			return -1;
		}
		n += k;
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	int i, failed = 0;
	long n;

	for (i = 1; i < argc; i++) {
		n = run_tree(argv[i]);
		if (n < 0) {
			printf("not ok %d - %s: cannot read\n", i, argv[i]);
			failed++;
		} else {
			/* a crash or a sanitizer report never gets here */
			printf(
			    "ok %d - %s: %ld inputs replayed\n", i, argv[i], n);
		}
	}
	printf("1..%d\n", argc - 1);
	return failed ? 1 : 0;
}
