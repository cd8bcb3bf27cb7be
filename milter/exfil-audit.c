/*
 * exfil-audit.c - main() of the audit log tool: verify the HMAC chain
 * (see man/exfil-audit.1)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <exfil/audit.h>
#include <exfil/config.h>
#include <exfil/keyfile.h>

#ifndef EXFIL_SYSCONFDIR
#define EXFIL_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF EXFIL_SYSCONFDIR "/exfil-milter/exfil-milter.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: exfil-audit [-c conf] [-k keyfile] [-q] verify "
	    "[LOGFILE...]\n"
	    "  -c FILE    configuration file (default " DEFAULT_CONF ")\n"
	    "  -k FILE    the audit key (default: audit_key_file)\n"
	    "  -q         print nothing when the chain is intact\n"
	    "verify checks the HMAC chain of each LOGFILE (default: "
	    "audit_log);\n"
	    "several files are checked in the order given, oldest first, each\n"
	    "continuing the one before. Exit status: 0 intact, 1 broken (the\n"
	    "first bad line is named), 2 usage or configuration error.\n");
}

int
main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONF, *key_path = NULL;
	char err[1024];
	struct config *cfg = NULL;
	int c, quiet = 0, conf_given = 0, rc;

	while ((c = getopt(argc, argv, "c:k:qh")) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			conf_given = 1;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "verify") != 0) {
		usage(stderr);
		return 2;
	}
	optind++;
	if (conf_given || access(conf_path, F_OK) == 0 || errno != ENOENT) {
		if (config_load(conf_path, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "exfil-audit: %s\n", err);
			return 2;
		}
	} else if ((cfg = config_defaults()) == NULL) {
		fprintf(stderr, "exfil-audit: out of memory\n");
		return 2;
	}
	rc = audit_verify_main(cfg, conf_path, key_path, argv + optind,
	    argc - optind, quiet, "exfil-audit");
	config_unref(cfg);
	return rc;
}
