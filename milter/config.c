/*
 * config.c - configuration file and its keyword table
 * (see include/exfil/config.h)
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <exfil/config.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#ifndef EXFIL_SYSCONFDIR
#define EXFIL_SYSCONFDIR "/etc"
#endif
#ifndef EXFIL_LOCALSTATEDIR
#define EXFIL_LOCALSTATEDIR "/var"
#endif

#define OFF(f) offsetof(struct config, f)

/*
 * The one source of truth for configuration keys. The man page
 * exfil-milter.conf(5) and contrib/exfil-milter.conf.sample document each
 * of them; tests/unit/config_test.c proves that they do.
 */
static const struct config_key keys[] = {
    {"socket", CFG_STRING, OFF(socket), "inet:8893@127.0.0.1",
	"where to listen: unix:PATH or inet:PORT@ADDRESS"},
    {"socket_mode", CFG_MODE, OFF(socket_mode), "0660",
	"permissions of a unix socket (Postfix's users must write to it)"},
    {"socket_group", CFG_STRING, OFF(socket_group), "",
	"group of a unix socket, e.g. postfix"},
    {"user", CFG_STRING, OFF(user), "",
	"account to run as after opening the socket (empty: stay)"},
    {"pid_file", CFG_STRING, OFF(pid_file), "",
	"file to write the daemon's pid to (empty: none)"},
    {"syslog_facility", CFG_FACILITY, OFF(syslog_facility), "mail",
	"syslog facility"},
    {"log_level", CFG_LOGLEVEL, OFF(log_level), "info",
	"least important level logged: err, warning, notice, info, debug"},
    {"milter_timeout", CFG_UINT, OFF(milter_timeout), "300",
	"seconds libmilter waits for the MTA before giving up"},
    {"rules_dir", CFG_STRING, OFF(rules_dir),
	EXFIL_SYSCONFDIR "/exfil-milter/rules",
	"folder of *.rules files (rules and policy)"},
    {"spool_dir", CFG_STRING, OFF(spool_dir), "/var/tmp",
	"folder for bodies larger than spool_memory_limit (private files)"},
    {"spool_memory_limit", CFG_SIZE, OFF(spool_memory_limit), "2M",
	"body bytes held in memory before spooling to a private file"},
    {"max_message_size", CFG_SIZE, OFF(max_message_size), "100M",
	"bytes of a message scanned at most; the rest is a limit finding"},
    {"max_mime_depth", CFG_UINT, OFF(max_mime_depth), "20",
	"deepest MIME nesting walked"},
    {"max_mime_parts", CFG_UINT, OFF(max_mime_parts), "1000",
	"most MIME parts walked in one message"},
    {"max_headers", CFG_UINT, OFF(max_headers), "1000",
	"most headers read in one message or nested message (0: all)"},
    {"max_header_size", CFG_SIZE, OFF(max_header_size), "256K",
	"bytes of one header read at most (0: all)"},
    {"max_line_length", CFG_SIZE, OFF(max_line_length), "1M",
	"a body line longer than this marks the message malformed (0: off)"},
    {"max_decoded_bytes", CFG_SIZE, OFF(max_decoded_bytes), "200M",
	"most decoded bytes produced from one message"},
    {"max_message_memory", CFG_SIZE, OFF(max_message_memory), "256M",
	"memory budget of one message's scan"},
    {"max_scans", CFG_UINT, OFF(max_scans), "16",
	"messages scanned at the same time; more are tempfailed (0: no "
	"cap)"},
    {"max_archive_depth", CFG_UINT, OFF(max_archive_depth), "5",
	"archives and documents nested deeper are not opened"},
    {"max_archive_members", CFG_UINT, OFF(max_archive_members), "10000",
	"members read from one archive or document"},
    {"max_expanded_bytes", CFG_SIZE, OFF(max_expanded_bytes), "128M",
	"bytes expanded from one attachment and everything inside it"},
    {"max_expansion_ratio", CFG_UINT, OFF(max_expansion_ratio), "200",
	"expanded / compressed size of one member at most (zip bombs)"},
    {"max_text_per_part", CFG_SIZE, OFF(max_text_per_part), "32M",
	"text bytes taken from one part of a document"},
    {"magic_handles", CFG_UINT, OFF(magic_handles), "4",
	"libmagic handles loaded once and shared by the threads"},
    {"internal_domains", CFG_LIST, OFF(internal_domains), "",
	"our domains; a leading dot also matches subdomains"},
    {"internal_networks", CFG_LIST, OFF(internal_networks), "",
	"client address ranges (CIDR, IPv4 and IPv6) that are ours"},
    {"monitor_mode", CFG_BOOL, OFF(monitor_mode), "no",
	"log and report what would be done, but accept every message"},
    {"scan_timeout", CFG_UINT, OFF(scan_timeout), "60",
	"seconds one message may be scanned (keep below Postfix's "
	"milter_content_timeout); 0: no limit"},
    {"quarantine_dir", CFG_STRING, OFF(quarantine_dir),
	EXFIL_LOCALSTATEDIR "/lib/exfil-milter/quarantine",
	"folder of quarantined messages (writable by user)"},
    {"quarantine_public_key", CFG_STRING, OFF(quarantine_public_key), "",
	"PEM X25519 or RSA public key: held messages are encrypted to it "
	"(empty: stored in clear)"},
    {"quarantine_private_key", CFG_STRING, OFF(quarantine_private_key), "",
	"its private half, read by exfil-quarantine only (never readable "
	"by user)"},
    {"quarantine_retention_days", CFG_UINT, OFF(quarantine_retention_days),
	"90", "days exfil-quarantine purge keeps an entry; 0: for ever"},
    {"quarantine_min_free", CFG_UINT, OFF(quarantine_min_free), "5",
	"percent of the quarantine file system kept free: below it mail "
	"to be quarantined is tempfailed"},
    {"release_via", CFG_STRING, OFF(release_via), "sendmail:/usr/sbin/sendmail",
	"how released mail is reinjected: sendmail:PATH or smtp:HOST:PORT"},
    {"release_secret_file", CFG_STRING, OFF(release_secret_file), "",
	"key file (64 hex digits) of the release tokens that let released "
	"mail pass the milter once (empty: no tokens)"},
    {"release_token_lifetime", CFG_UINT, OFF(release_token_lifetime), "3600",
	"seconds a release token is valid"},
    {"tag_rules_header", CFG_BOOL, OFF(tag_rules_header), "no",
	"add X-Exfil-Rules naming the rules that fired"},
    {"header_prefix", CFG_STRING, OFF(header_prefix), "X-Exfil",
	"prefix of the headers we add and strip"},
    {"reject_reply", CFG_STRING, OFF(reject_reply),
	"Message blocked by the data-loss prevention policy",
	"text of the 550 5.7.1 reply; the reference id is appended"},
    {"tempfail_reply", CFG_STRING, OFF(tempfail_reply),
	"Message could not be checked, try again later",
	"text of the 451 4.7.1 reply; the reference id is appended"},
    {"on_error", CFG_ACTION, OFF(on_error), "tempfail",
	"action on an internal error: tempfail, accept, quarantine, reject"},
    {"on_limit", CFG_ACTION, OFF(on_limit), "quarantine",
	"action for outbound mail that could not be fully scanned"},
    {"on_timeout", CFG_ACTION, OFF(on_timeout), "quarantine",
	"action for outbound mail whose scan ran out of time"},
    {"subject_prefix", CFG_STRING, OFF(subject_prefix), "",
	"put before the Subject of tagged mail, e.g. [SENSITIVE]"},
    {"tag_copy_to", CFG_STRING, OFF(tag_copy_to), "",
	"address added as a recipient of tagged mail (a security team)"},
    {"quarantine_mode", CFG_STRING, OFF(quarantine_mode), "store",
	"store (quarantine_dir, then discard), hold (the MTA's hold queue) "
	"or redirect (to quarantine_redirect_to only)"},
    {"quarantine_redirect_to", CFG_STRING, OFF(quarantine_redirect_to), "",
	"the one recipient of quarantined mail when quarantine_mode is "
	"redirect"},
    {"notify_sender", CFG_BOOL, OFF(notify_sender), "no",
	"tell an internal sender that a message was held or rejected"},
    {"notify_via", CFG_STRING, OFF(notify_via), "sendmail:/usr/sbin/sendmail",
	"how notices are submitted: sendmail:PATH or smtp:HOST:PORT"},
    {"notify_from", CFG_STRING, OFF(notify_from), "postmaster",
	"the sender address of notices"},
    {"notify_template", CFG_STRING, OFF(notify_template),
	EXFIL_SYSCONFDIR "/exfil-milter/notify.template",
	"the notice's text, %REF% %ACTION% %CATEGORIES% %SUBJECT% "
	"%RECIPIENTS% %DATE% %SENDER% replaced (missing: a built-in text)"},
    {"override_marker", CFG_STRING, OFF(override_marker), "",
	"a regex; a Subject matching it asks to override a quarantine, "
	"group 1 being the justification (empty: off)"},
    {"override_categories", CFG_LIST, OFF(override_categories), "",
	"categories whose quarantine an override turns into tag"},
    {"split_recipients", CFG_BOOL, OFF(split_recipients), "no",
	"when blocking mail to internal and external recipients, deliver "
	"it to the internal ones"},
    /* audit and metrics */
    {"audit_log", CFG_STRING, OFF(audit_log), "",
	"file of JSON audit records, one a line, chained by HMAC (empty: "
	"none)"},
    {"audit_key_file", CFG_STRING, OFF(audit_key_file), "",
	"key file (64 hex digits) of the audit chain's HMAC-SHA256"},
    {"evidence_key_file", CFG_STRING, OFF(evidence_key_file), "",
	"key file (64 hex digits) of the keyed hash of each matched value "
	"(empty: no hashes)"},
    {"audit_fsync", CFG_STRING, OFF(audit_fsync), "periodic",
	"always (sync each audit record) or periodic (at most once a "
	"second)"},
    {"on_audit_error", CFG_ACTION, OFF(on_audit_error), "tempfail",
	"action when the audit record cannot be written: tempfail, reject "
	"or accept"},
    {"metrics_listen", CFG_STRING, OFF(metrics_listen), "",
	"ADDRESS:PORT of the Prometheus metrics page, e.g. 127.0.0.1:9787 "
	"(empty: none)"},

    /* extraction workers */
    {"extract_workers", CFG_UINT, OFF(extract_workers), "4",
	"worker processes that read attachments, each without files, "
	"network or more memory than extract_memory_limit (0: read in the "
	"daemon itself); read at start"},
    {"extract_memory_limit", CFG_SIZE, OFF(extract_memory_limit), "512M",
	"address space of one extraction worker (0: no limit); read at "
	"start"},
};

/* config_keys - the keyword table */
const struct config_key *
config_keys(size_t *n)
{
	*n = EXFIL_ARRAY_LEN(keys);
	return keys;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    EXFIL_PRINTF(3, 4);

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
strlist_parse(struct strlist *l, const char *value)
{
	const char *p = value, *start;
	char **v;

	strlist_free(l);
	while (*p) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
			return EXFIL_ENOMEM;
		l->v = v;
		if ((l->v[l->n] = strndup(start, (size_t)(p - start))) == NULL)
			return EXFIL_ENOMEM;
		l->n++;
	}
	return 0;
}

static int
parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024ULL;
		end++;
		break;
	case 'M':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end != '\0' || v > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(v * mult);
	return 0;
}

static const struct {
	const char *name;
	int value;
} facilities[] =
    {
	{"mail", LOG_MAIL},
	{"daemon", LOG_DAEMON},
	{"user", LOG_USER},
	{"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6},
	{"local7", LOG_LOCAL7},
},
  levels[] = {
      {"err", LOG_ERR},
      {"error", LOG_ERR},
      {"warning", LOG_WARNING},
      {"notice", LOG_NOTICE},
      {"info", LOG_INFO},
      {"debug", LOG_DEBUG},
};

static int
lookup_name(const char *value, int is_facility, int *out)
{
	size_t i,
	    n = is_facility ? EXFIL_ARRAY_LEN(facilities)
			    : EXFIL_ARRAY_LEN(levels);

	for (i = 0; i < n; i++) {
		const char *name =
		    is_facility ? facilities[i].name : levels[i].name;
		if (strcasecmp(name, value) == 0) {
			*out =
			    is_facility ? facilities[i].value : levels[i].value;
			return 0;
		}
	}
	return -1;
}

static const char *
name_of(int value, int is_facility)
{
	size_t i,
	    n = is_facility ? EXFIL_ARRAY_LEN(facilities)
			    : EXFIL_ARRAY_LEN(levels);

	for (i = 0; i < n; i++)
		if ((is_facility ? facilities[i].value : levels[i].value) ==
		    value)
			return is_facility ? facilities[i].name
					   : levels[i].name;
	return "?";
}

static const struct config_key *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < EXFIL_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* a PCRE2 regex that compiles */
static bool
regex_valid(const char *value, char *err, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_CASELESS, &code, &off, NULL);
	if (re) {
		pcre2_code_free(re);
		return true;
	}
	pcre2_get_error_message(code, msg, sizeof(msg));
	seterr(err, errlen, "bad regex for override_marker at %zu: %s",
	    (size_t)off + 1, (char *)msg);
	return false;
}

/* every entry of a list is ADDRESS or ADDRESS/BITS, IPv4 or IPv6 */
static bool
networks_valid(const char *value, char *err, size_t errlen)
{
	struct strlist l = {NULL, 0};
	unsigned char buf[16];
	char net[64], *slash, *end;
	unsigned long bits;
	bool ok = true;
	size_t i;

	if (strlist_parse(&l, value) < 0)
		return false;
	for (i = 0; ok && i < l.n; i++) {
		snprintf(net, sizeof(net), "%s", l.v[i]);
		bits = 0;
		if ((slash = strchr(net, '/')) != NULL) {
			*slash++ = '\0';
			bits = strtoul(slash, &end, 10);
			if (*slash == '\0' || *end)
				bits = 999;
		}
		if (inet_pton(AF_INET, net, buf) == 1)
			ok = bits <= 32;
		else if (inet_pton(AF_INET6, net, buf) == 1)
			ok = bits <= 128;
		else
			ok = false;
		if (!ok)
			seterr(err, errlen,
			    "bad network '%s' in internal_networks (ADDRESS or "
			    "ADDRESS/BITS)",
			    l.v[i]);
	}
	strlist_free(&l);
	return ok;
}

/* config_set - set one key from its text form; err says why not */
int
config_set(struct config *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct config_key *k = key_find(name);
	void *field;
	char *end, *copy;
	unsigned long ul;
	size_t sz;
	int iv;

	if (k == NULL) {
		seterr(err, errlen, "unknown key '%s'", name);
		return EXFIL_EINVAL;
	}
	field = (char *)c + k->offset;
	if (k->offset == OFF(internal_networks) &&
	    !networks_valid(value, err, errlen))
		return EXFIL_EINVAL;
	if ((k->offset == OFF(notify_via) || k->offset == OFF(release_via)) &&
	    strncmp(value, "sendmail:/", 10) &&
	    (strncmp(value, "smtp:", 5) || strchr(value + 5, ':') == NULL)) {
		seterr(err, errlen,
		    "bad value '%s' for %s (sendmail:PATH or "
		    "smtp:HOST:PORT)",
		    value, k->name);
		return EXFIL_EINVAL;
	}
	if (k->offset == OFF(quarantine_min_free) &&
	    strtoul(value, NULL, 10) > 99) {
		seterr(err, errlen,
		    "bad value '%s' for quarantine_min_free (a percentage, "
		    "0 to 99)",
		    value);
		return EXFIL_EINVAL;
	}
	if (k->offset == OFF(override_marker) && value[0] &&
	    !regex_valid(value, err, errlen))
		return EXFIL_EINVAL;
	if (k->offset == OFF(quarantine_mode) && strcmp(value, "store") &&
	    strcmp(value, "hold") && strcmp(value, "redirect")) {
		seterr(err, errlen,
		    "bad value '%s' for quarantine_mode (store, hold or "
		    "redirect)",
		    value);
		return EXFIL_EINVAL;
	}
	if (k->offset == OFF(audit_fsync) && strcmp(value, "always") &&
	    strcmp(value, "periodic")) {
		seterr(err, errlen,
		    "bad value '%s' for audit_fsync (always or periodic)",
		    value);
		return EXFIL_EINVAL;
	}
	if (k->offset == OFF(on_audit_error) && strcasecmp(value, "tempfail") &&
	    strcasecmp(value, "reject") && strcasecmp(value, "accept")) {
		seterr(err, errlen,
		    "bad value '%s' for on_audit_error (tempfail, reject or "
		    "accept)",
		    value);
		return EXFIL_EINVAL;
	}
	if (k->offset == OFF(metrics_listen) && value[0]) {
		struct sockaddr_storage ss;
		unsigned salen;
		if (config_parse_listen(value, &ss, &salen) < 0) {
			seterr(err, errlen,
			    "bad value '%s' for metrics_listen (ADDRESS:PORT "
			    "or "
			    "[IPV6]:PORT)",
			    value);
			return EXFIL_EINVAL;
		}
	}
	switch (k->type) {
	case CFG_STRING:
		if ((copy = strdup(value)) == NULL)
			return EXFIL_ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case CFG_LIST:
		return strlist_parse(field, value);
	case CFG_BOOL:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
		    !strcmp(value, "1") || !strcasecmp(value, "on"))
			*(bool *)field = true;
		else if (!strcasecmp(value, "no") ||
		    !strcasecmp(value, "false") || !strcmp(value, "0") ||
		    !strcasecmp(value, "off"))
			*(bool *)field = false;
		else
			goto bad;
		return 0;
	case CFG_UINT:
		errno = 0;
		ul = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)*value) || *end || errno ||
		    ul > INT_MAX)
			goto bad;
		if (k->offset == OFF(milter_timeout))
			*(int *)field = (int)ul;
		else
			*(unsigned *)field = (unsigned)ul;
		return 0;
	case CFG_SIZE:
		if (parse_size(value, &sz) < 0)
			goto bad;
		*(size_t *)field = sz;
		return 0;
	case CFG_MODE:
		errno = 0;
		ul = strtoul(value, &end, 8);
		if (!isdigit((unsigned char)*value) || *end || errno ||
		    ul > 07777)
			goto bad;
		*(unsigned *)field = (unsigned)ul;
		return 0;
	case CFG_ACTION:
		if (action_parse(value, field) < 0)
			goto bad;
		return 0;
	case CFG_FACILITY:
	case CFG_LOGLEVEL:
		if (lookup_name(value, k->type == CFG_FACILITY, &iv) < 0)
			goto bad;
		*(int *)field = iv;
		return 0;
	}
bad:
	seterr(err, errlen, "bad value '%s' for %s (%s)", value, name, k->help);
	return EXFIL_EINVAL;
}

/* config_defaults - a configuration with every key at its default */
struct config *
config_defaults(void)
{
	struct config *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->refs = 1;
	for (i = 0; i < EXFIL_ARRAY_LEN(keys); i++) {
		if (config_set(c, keys[i].name, keys[i].def, NULL, 0) < 0) {
			config_unref(c);
			return NULL;
		}
	}
	return c;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* apply one logical "key = value" line */
static int
config_line(struct config *c, const char *path, unsigned lineno, char *line,
    char *err, size_t errlen)
{
	char msg[512], *eq, *key, *value;
	int rc;

	if ((eq = strchr(line, '=')) == NULL) {
		seterr(
		    err, errlen, "%s:%u: expected 'key = value'", path, lineno);
		return EXFIL_EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if ((rc = config_set(c, key, value, msg, sizeof(msg))) < 0) {
		if (rc == EXFIL_EINVAL)
			seterr(err, errlen, "%s:%u: %s", path, lineno, msg);
		else
			seterr(err, errlen, "%s:%u: %s", path, lineno,
			    exfil_strerror(rc));
	}
	return rc;
}

/* config_load - defaults, then the file's keys */
int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct config *c = NULL;
	char *line = NULL, *logical = NULL;
	size_t cap = 0, loglen = 0;
	unsigned lineno = 0, startline = 0;
	ssize_t n;
	FILE *fp = NULL;
	int rc = 0;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return EXFIL_EIO;
	}
	if ((c = config_defaults()) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		rc = EXFIL_ENOMEM;
		seterr(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		n = getline(&line, &cap, fp);
		if (n >= 0)
			lineno++;
		/* a comment line, even indented, is not part of a value */
		if (n >= 0 && trim(line)[0] == '#')
			continue;
		if (n >= 0 && line[0] != '\0' && line[0] != '#' &&
		    (line[0] == ' ' || line[0] == '\t') && logical &&
		    trim(line)[0] != '\0') {
			/* continuation of the previous line */
			char *t = trim(line);
			size_t tl = strlen(t);
			char *nl = realloc(logical, loglen + tl + 2);
			if (nl == NULL) {
				rc = EXFIL_ENOMEM;
				goto out;
			}
			logical = nl;
			logical[loglen++] = ' ';
			memcpy(logical + loglen, t, tl + 1);
			loglen += tl;
			continue;
		}
		if (logical) {
			rc = config_line(
			    c, path, startline, logical, err, errlen);
			free(logical);
			logical = NULL;
			if (rc < 0)
				goto out;
		}
		if (n < 0)
			break;
		if (trim(line)[0] == '\0' || trim(line)[0] == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			seterr(err, errlen,
			    "%s:%u: continuation line without a key", path,
			    lineno);
			rc = EXFIL_EINVAL;
			goto out;
		}
		if ((logical = strdup(trim(line))) == NULL) {
			rc = EXFIL_ENOMEM;
			goto out;
		}
		loglen = strlen(logical);
		startline = lineno;
	}
	if (ferror(fp)) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		rc = EXFIL_EIO;
	}
	/* keys that only make sense together */
	if (rc == 0 && strcmp(c->quarantine_mode, "redirect") == 0 &&
	    c->quarantine_redirect_to[0] == '\0') {
		seterr(err, errlen,
		    "%s: quarantine_mode = redirect needs "
		    "quarantine_redirect_to",
		    path);
		rc = EXFIL_EINVAL;
	}
out:
	free(logical);
	free(line);
	if (fp)
		fclose(fp);
	if (rc < 0)
		config_unref(c);
	else
		*out = c;
	return rc;
}

/* config_dump - the effective configuration, in the file's syntax */
void
config_dump(const struct config *c, FILE *fp)
{
	size_t i, j;

	for (i = 0; i < EXFIL_ARRAY_LEN(keys); i++) {
		const void *field = (const char *)c + keys[i].offset;
		const struct strlist *l;

		fprintf(fp, "%s = ", keys[i].name);
		switch (keys[i].type) {
		case CFG_STRING:
			fputs(*(char *const *)field, fp);
			break;
		case CFG_LIST:
			l = field;
			for (j = 0; j < l->n; j++)
				fprintf(fp, "%s%s", j ? ", " : "", l->v[j]);
			break;
		case CFG_BOOL:
			fputs(*(const bool *)field ? "yes" : "no", fp);
			break;
		case CFG_UINT:
			if (keys[i].offset == OFF(milter_timeout))
				fprintf(fp, "%d", *(const int *)field);
			else
				fprintf(fp, "%u", *(const unsigned *)field);
			break;
		case CFG_SIZE:
			fprintf(fp, "%zu", *(const size_t *)field);
			break;
		case CFG_MODE:
			fprintf(fp, "%04o", *(const unsigned *)field);
			break;
		case CFG_ACTION:
			fputs(action_name(*(const enum action *)field), fp);
			break;
		case CFG_FACILITY:
		case CFG_LOGLEVEL:
			fputs(name_of(*(const int *)field,
				  keys[i].type == CFG_FACILITY),
			    fp);
			break;
		}
		fputc('\n', fp);
	}
}

/* config_ref - one more reference */
struct config *
config_ref(struct config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

/* config_unref - drop a reference; the last one frees */
void
config_unref(struct config *c)
{
	size_t i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < EXFIL_ARRAY_LEN(keys); i++) {
		void *field = (char *)c + keys[i].offset;
		if (keys[i].type == CFG_STRING)
			free(*(char **)field);
		else if (keys[i].type == CFG_LIST)
			strlist_free(field);
	}
	free(c->path);
	free(c);
}

/* addr_domain_in - is addr's domain one of v[]? */
bool
addr_domain_in(const char *addr, char *const *v, size_t n)
{
	const char *at, *end;
	size_t dlen, i, len;

	if ((at = strrchr(addr, '@')) == NULL)
		return false; /* a local name: no domain to compare */
	at++;
	end = at + strcspn(at, ">");
	dlen = (size_t)(end - at);
	while (dlen && at[dlen - 1] == '.')
		dlen--;
	for (i = 0; i < n; i++) {
		const char *d = v[i];
		len = strlen(d);
		if (d[0] == '.') {
			/* .example.com: any subdomain, and the domain itself */
			if (dlen > len &&
			    strncasecmp(at + dlen - len, d, len) == 0)
				return true;
			if (dlen == len - 1 &&
			    strncasecmp(at, d + 1, len - 1) == 0)
				return true;
		} else if (dlen == len && strncasecmp(at, d, len) == 0) {
			return true;
		}
	}
	return false;
}

/* config_parse_listen - ADDRESS:PORT or [IPV6]:PORT, numeric only */
int
config_parse_listen(
    const char *spec, struct sockaddr_storage *ss, unsigned *salen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	size_t hlen;

	if (colon == NULL || colon == spec)
		return EXFIL_EINVAL;
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hlen < 3 || spec[hlen - 1] != ']')
			return EXFIL_EINVAL;
		spec++, hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return EXFIL_EINVAL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end || errno || port == 0 ||
	    port > 65535)
		return EXFIL_EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*salen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*salen = sizeof(*s6);
		return 0;
	}
	return EXFIL_EINVAL;
}

/* config_is_internal_address - is addr's domain one of internal_domains? */
bool
config_is_internal_address(const struct config *c, const char *addr)
{
	return addr_domain_in(
	    addr, c->internal_domains.v, c->internal_domains.n);
}

/* does ip (16 or 4 bytes) lie in net/bits? */
static bool
in_prefix(const unsigned char *ip, const unsigned char *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(ip, net, full) != 0)
		return false;
	return rest == 0 ||
	    ((ip[full] ^ net[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* config_addr_in_networks - is ip in one of internal_networks? */
bool
config_addr_in_networks(const struct config *c, const char *ip)
{
	unsigned char a4[4], a6[16], n4[4], n6[16];
	char net[INET6_ADDRSTRLEN + 8], *slash;
	int is4, is6;
	unsigned long bits;
	size_t i;

	if (ip == NULL)
		return false;
	is4 = inet_pton(AF_INET, ip, a4) == 1;
	is6 = !is4 && inet_pton(AF_INET6, ip, a6) == 1;
	if (is6 && memcmp(a6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memcpy(a4, a6 + 12, 4); /* ::ffff:192.0.2.1 is IPv4 */
		is4 = 1, is6 = 0;
	}
	if (!is4 && !is6)
		return false;
	for (i = 0; i < c->internal_networks.n; i++) {
		snprintf(net, sizeof(net), "%s", c->internal_networks.v[i]);
		bits = is4 ? 32 : 128;
		if ((slash = strchr(net, '/')) != NULL) {
			*slash++ = '\0';
			bits = strtoul(slash, NULL, 10);
		}
		if (is4 && inet_pton(AF_INET, net, n4) == 1 && bits <= 32 &&
		    in_prefix(a4, n4, (unsigned)bits))
			return true;
		if (is6 && inet_pton(AF_INET6, net, n6) == 1 && bits <= 128 &&
		    in_prefix(a6, n6, (unsigned)bits))
			return true;
	}
	return false;
}

/* action_name - the word for an action */
const char *
action_name(enum action a)
{
	static const char *const names[] = {
	    "accept", "tag", "quarantine", "reject", "tempfail"};

	return (unsigned)a < EXFIL_ARRAY_LEN(names) ? names[a] : "?";
}

/* action_parse - the action for a word */
int
action_parse(const char *word, enum action *out)
{
	enum action a;

	for (a = ACTION_ACCEPT; a <= ACTION_TEMPFAIL; a++) {
		if (strcasecmp(word, action_name(a)) == 0) {
			*out = a;
			return 0;
		}
	}
	return EXFIL_EINVAL;
}
