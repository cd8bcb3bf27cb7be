/*
 * exfil-scan.c - main() of the offline scanner: the daemon's engine over
 * saved messages, one JSON object per file with --json.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/extract.h>
#include <exfil/filetype.h>
#include <exfil/json.h>
#include <exfil/log.h>
#include <exfil/message.h>
#include <exfil/report.h>
#include <exfil/rules.h>
#include <exfil/sandbox.h>
#include <exfil/scan.h>

/* the envelope a saved message is given (--sender, --rcpt, ...) */
static struct {
	const char *sender;
	const char *client;
	const char *auth;
	const char **rcpts;
	size_t nrcpts;
} env;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: exfil-scan [-c conf] [-r rulesdir] [--json|--dump] "
	    "FILE.eml...\n"
	    "       exfil-scan [-c conf] --test-rules [rulesdir]\n"
	    "  -c FILE       configuration file (default: built-in defaults)\n"
	    "  -r DIR        rules folder (overrides rules_dir)\n"
	    "  --json        one JSON object per file on one line\n"
	    "  --test-rules  check every rule's example and counter lines\n"
	    "  --dump        print every text segment as the rules see it\n"
	    "  --explain     each finding: rule, place, confidence, decision\n"
	    "  --sender ADDR, --rcpt ADDR (repeatable), --client-addr IP,\n"
	    "  --auth-user NAME  judge the message as the gateway would with\n"
	    "                this envelope (default: every recipient "
	    "external)\n"
	    "  --naive       run every pattern over all text (tests, bench)\n"
	    "  -h, --help    this text\n"
	    "  -V, --version the version\n"
	    "Exit: 0 all accepted, 1 any not accepted, 2 a file could not be "
	    "read.\n");
}

/* a whole file ("-": standard input) into b */
static int
read_all(const char *path, struct buf *b)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	int rc, e;

	if (fd < 0)
		return EXFIL_EIO;
	rc = buf_read_fd(b, fd);
	e = rc == EXFIL_ENOMEM ? ENOMEM : errno;
	if (fd != 0)
		close(fd);
	errno = e;
	return rc;
}

/* give the message the envelope of the command line */
static int
set_envelope(const struct config *cfg, struct message *m)
{
	size_t i;

	if (message_set_envelope(m, NULL, env.client, NULL, env.auth) < 0)
		return -1;
	if (env.sender && message_set_sender(m, env.sender) < 0)
		return -1;
	for (i = 0; i < env.nrcpts; i++)
		if (message_add_rcpt(m, env.rcpts[i],
			config_is_internal_address(cfg, env.rcpts[i])) < 0)
			return -1;
	return 0;
}

/* scan one file; returns 0 accepted, 1 not accepted, 2 unreadable */
static int
scan_file(struct engine *e, const char *path, int json, int dump)
{
	struct buf raw = {0}, out = {0};
	struct message *m = NULL;
	struct result r;
	int status = 2, rc;

	memset(&r, 0, sizeof(r));
	if (read_all(path, &raw) < 0) {
		fprintf(stderr, "exfil-scan: %s: %s\n", path, strerror(errno));
		if (json) {
			buf_puts(&out, "{\"file\":");
			json_cstr(&out, path);
			buf_puts(&out,
			    ",\"action\":\"tempfail\",\"score\":0,"
			    "\"matches\":[],\"parts\":[],\"errors\":[");
			json_cstr(&out, strerror(errno));
			buf_puts(&out, "]}\n");
			fputs(out.p, stdout);
		}
		goto out;
	}
	if ((m = message_new(e->cfg->spool_memory_limit, e->cfg->spool_dir)) ==
		NULL ||
	    (rc = message_parse(m, raw.p ? raw.p : "", raw.len)) < 0) {
		fprintf(
		    stderr, "exfil-scan: %s: cannot hold the message\n", path);
		goto out;
	}
	buf_free(&raw);
	if (set_envelope(e->cfg, m) < 0) {
		fprintf(stderr, "exfil-scan: %s: out of memory\n", path);
		goto out;
	}
	engine_scan_dump(e, m, &r, dump ? &out : NULL);
	if (dump) {
		/* the segments are the output, then the flags if any */
		rc = 0;
		if (m->flags) {
			rc |= buf_puts(&out, "=== flags: ");
			rc |= report_flags(&out, m->flags, " ");
			rc |= buf_putc(&out, '\n');
		}
	} else if (json == 2) {
		rc = report_explain(&out, path, m, &r);
	} else if (json) {
		rc = report_json(&out, path, m, &r);
	} else {
		rc = report_text(&out, path, m, &r);
	}
	if (rc < 0 || (json == 1 && buf_putc(&out, '\n') < 0)) {
		fprintf(stderr, "exfil-scan: %s: out of memory\n", path);
		goto out;
	}
	fputs(out.p, stdout);
	status = r.verdict.action == ACTION_ACCEPT ? 0 : 1;
out:
	result_free(&r);
	message_free(m);
	buf_free(&raw);
	buf_free(&out);
	return status;
}

/* t with the letters of each of the rule's literals in it, found
 * ignoring case, in the other case (malloc'd; NULL: out of memory) */
static char *
literals_swapped(const struct rule *r, const char *t)
{
	size_t n = strlen(t), i, k, l;
	char *v = strdup(t);

	for (k = 0; v && k < r->nliterals; k++) {
		l = strlen(r->literals[k]);
		for (i = 0; l && i + l <= n; i++) {
			if (strncasecmp(t + i, r->literals[k], l) != 0)
				continue;
			for (size_t j = i; j < i + l; j++)
				if ((unsigned char)((t[j] | 0x20) - 'a') < 26)
					v[j] = (char)(t[j] ^ 0x20);
		}
	}
	return v;
}

/* does a match in an example or counter start where "start" says none
 * can, or does the fast path find another count than the naive one, in
 * it or (literals "exact") in it with its literals in the other case? (a
 * broken promise of a window, start class, digit run or case loses
 * findings in the fast path) */
static bool
promise_broken(const struct ruleset *rs, const struct rule *r)
{
	size_t j, bad, no;
	const char *t, *kind;
	char *v;
	bool same;

	for (j = 0; j < r->nexamples + r->ncounters; j++) {
		kind = j < r->nexamples ? "example" : "counter";
		no = (j < r->nexamples ? j : j - r->nexamples) + 1;
		t = j < r->nexamples ? r->examples[j]
				     : r->counters[j - r->nexamples];
		if (scan_text_agrees(rs, r, t, strlen(t), &same) == 0 &&
		    !same) {
			printf("FAIL %s:%u: rule %s: %s %zu: the fast path "
			       "finds other matches than the naive one (a "
			       "window, start class, after or digits promise "
			       "is broken)\n",
			    r->file, r->line, r->id, kind, no);
			return true;
		}
		if (r->literals_exact && (v = literals_swapped(r, t)) != NULL) {
			same = true;
			if (strcmp(v, t) != 0)
				(void)scan_text_agrees(
				    rs, r, v, strlen(v), &same);
			free(v);
			if (!same) {
				printf("FAIL %s:%u: rule %s: %s %zu, its "
				       "literals in the other case: the fast "
				       "path finds other matches than the "
				       "naive one (the literals are not "
				       "exact)\n",
				    r->file, r->line, r->id, kind, no);
				return true;
			}
		}
		if (scan_text_starts(r, t, strlen(t), &bad) == 0 &&
		    bad != (size_t)-1) {
			printf("FAIL %s:%u: rule %s: %s %zu has a match at "
			       "byte %zu, where its start classes allow none\n",
			    r->file, r->line, r->id, kind, no, bad);
			return true;
		}
	}
	return false;
}

/* --test-rules: every example matches its rule, no counter does, no
 * match breaks the rule's start classes, and the fast path agrees */
static int
test_rules(const struct ruleset *rs)
{
	unsigned nex = 0, nco = 0, failed = 0;
	const struct rule *r;
	size_t i, j;
	bool hit;

	for (i = 0; i < rs->nwarnings; i++)
		fprintf(stderr, "warning: %s\n", rs->warnings[i]);
	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		if (promise_broken(rs, r))
			failed++;
		for (j = 0; j < r->nexamples; j++, nex++) {
			if (scan_text_matches(rs, r, r->examples[j],
				strlen(r->examples[j]), &hit) < 0)
				return 2;
			if (!hit) {
				printf("FAIL %s:%u: rule %s: example %zu does "
				       "not match\n",
				    r->file, r->line, r->id, j + 1);
				failed++;
			}
		}
		for (j = 0; j < r->ncounters; j++, nco++) {
			if (scan_text_matches(rs, r, r->counters[j],
				strlen(r->counters[j]), &hit) < 0)
				return 2;
			if (hit) {
				printf("FAIL %s:%u: rule %s: counter %zu "
				       "matches\n",
				    r->file, r->line, r->id, j + 1);
				failed++;
			}
		}
	}
	printf("%zu rules, %u examples, %u counters: %u failed\n", rs->nrules,
	    nex, nco, failed);
	return failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"test-rules", no_argument, NULL, 't'},
	    {"dump", no_argument, NULL, 'd'},
	    {"naive", no_argument, NULL, 'N'},
	    {"explain", no_argument, NULL, 'e'},
	    {"sender", required_argument, NULL, 'S'},
	    {"rcpt", required_argument, NULL, 'R'},
	    {"client-addr", required_argument, NULL, 'C'},
	    {"auth-user", required_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *rulesdir = NULL, **rcpts;
	struct config *cfg = NULL;
	struct engine *e = NULL;
	char err[1024];
	int c, json = 0, testrules = 0, dump = 0, naive = 0, status = 0, s, i;

	while ((c = getopt_long(argc, argv, "c:r:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'r':
			rulesdir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 't':
			testrules = 1;
			break;
		case 'd':
			dump = 1;
			break;
		case 'N':
			naive = 1;
			break;
		case 'e':
			json = 2; /* the explain report */
			break;
		case 'S':
			env.sender = optarg;
			break;
		case 'R':
			if ((rcpts = realloc(env.rcpts,
				 (env.nrcpts + 1) * sizeof(*rcpts))) == NULL)
				return 2;
			env.rcpts = rcpts;
			env.rcpts[env.nrcpts++] = optarg;
			break;
		case 'C':
			env.client = optarg;
			break;
		case 'A':
			env.auth = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("exfil-scan %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_open("exfil-scan", 1, 0);
	if (testrules && optind < argc && rulesdir == NULL)
		rulesdir = argv[optind++];
	if (!testrules && optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (conf) {
		if (config_load(conf, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "exfil-scan: %s\n", err);
			return 2;
		}
	} else if ((cfg = config_defaults()) == NULL) {
		fprintf(stderr, "exfil-scan: out of memory\n");
		return 2;
	}
	if (rulesdir &&
	    config_set(cfg, "rules_dir", rulesdir, err, sizeof(err)) < 0) {
		fprintf(stderr, "exfil-scan: %s\n", err);
		config_unref(cfg);
		return 2;
	}
	if (engine_new(cfg, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "exfil-scan: %s\n", err);
		config_unref(cfg);
		return 2;
	}
	config_unref(cfg); /* the engine holds it now */
	e->naive = naive;
	if (testrules) {
		status = test_rules(e->rs);
		engine_unref(e);
		return status;
	}
	extract_init();
	if (filetype_init(1) < 0)
		fprintf(stderr,
		    "exfil-scan: warning: libmagic database not "
		    "loaded; types are not detected\n");
	/* the same extraction workers as the daemon's (sandbox(3)) */
	fflush(stdout);
	if (sandbox_init(
		e->cfg->extract_workers, e->cfg->extract_memory_limit) < 0)
		fprintf(stderr,
		    "exfil-scan: warning: no extraction workers; "
		    "attachments are read in this process\n");
	for (i = optind; i < argc; i++) {
		s = scan_file(e, argv[i], json, dump);
		if (s > status)
			status = s;
	}
	fflush(stdout);
	filetype_fini();
	engine_unref(e);
	free(env.rcpts);
	return status;
}
