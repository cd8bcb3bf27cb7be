/*
 * qcrypt-bench.c - sealing and opening speed of quarantined messages, run
 * on demand by bench-quarantine.sh: SIZE MiB sealed to a fresh X25519 key
 * (to /dev/null) and opened back, the best and median of ROUNDS.
 *
 *	tests/bench/qcrypt-bench [SIZE_MIB [ROUNDS]]
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <exfil/qcrypt.h>

#include "bench.h"

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, r;
	size_t n = mib << 20;
	double *seal = calloc((size_t)rounds, sizeof(double));
	double *opening = calloc((size_t)rounds, sizeof(double));
	char *p = malloc(n), path[] = "/tmp/qcrypt-bench.XXXXXX", err[256];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	struct buf out = {0};
	struct qseal s;
	int null = open("/dev/null", O_WRONLY), fd = mkstemp(path);
	double t0;

	if (!seal || !opening || !p || !k || null < 0 || fd < 0 || rounds < 1) {
		fprintf(stderr, "qcrypt-bench: cannot set up\n");
		return 2;
	}
	unlink(path);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(' ' + i % 95);
	for (r = 0; r < rounds; r++) {
		t0 = bench_now();
		if (qcrypt_seal_begin(&s, k, null) < 0 ||
		    qcrypt_seal_write(&s, p, n) < 0 || qcrypt_seal_end(&s) < 0)
			return 2;
		seal[r] = bench_now() - t0;
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
		    qcrypt_seal_begin(&s, k, fd) < 0 ||
		    qcrypt_seal_write(&s, p, n) < 0 ||
		    qcrypt_seal_end(&s) < 0 || lseek(fd, 0, SEEK_SET) != 0)
			return 2;
		t0 = bench_now();
		if (qcrypt_open(fd, k, &out, err, sizeof(err)) < 0 ||
		    out.len != n || memcmp(out.p, p, n) != 0) {
			fprintf(stderr, "qcrypt-bench: %s\n", err);
			return 1;
		}
		opening[r] = bench_now() - t0;
	}
	qsort(seal, (size_t)rounds, sizeof(double), bench_dcmp);
	qsort(opening, (size_t)rounds, sizeof(double), bench_dcmp);
	printf("seal %zu MiB: median %.3f s = %.0f MB/s\n", mib,
	    seal[rounds / 2], (double)n / 1e6 / seal[rounds / 2]);
	printf("open %zu MiB: median %.3f s = %.0f MB/s (authenticated, "
	       "file read whole)\n",
	    mib, opening[rounds / 2], (double)n / 1e6 / opening[rounds / 2]);
	return 0;
}
