/*
 * NAME
 *	config - the configuration file: one keyword table, key = value lines
 * SYNOPSIS
 *	#include <exfil/config.h>
 *
 *	int config_load(const char *path, struct config **out,
 *	    char *err, size_t errlen);
 *	struct config *config_defaults(void);
 *	void config_dump(const struct config *c, FILE *fp);
 * DESCRIPTION
 *	The file has one "key = value" a line, as Postfix's main.cf: '#'
 *	starts a comment line, a line that starts with white space continues
 *	the previous one, lists are separated by commas or white space.
 *	Every key lives in one table (config.c), with its type, default and
 *	one-line description; config_keys() exposes the table so that the
 *	tests prove each key is documented.
 *	A configuration is immutable once loaded and is shared by reference
 *	counting: config_ref()/config_unref().
 * RETURN VALUE
 *	config_load() returns 0, or EXFIL_EINVAL/EXFIL_EIO with a one-line
 *	"file:line: message" in err.
 * OWNERSHIP
 *	*out belongs to the caller (one reference).
 */
#ifndef EXFIL_CONFIG_H
#define EXFIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <exfil/common.h>
#include <exfil/verdict.h>

struct strlist {
	char **v;
	size_t n;
};

struct config {
	int refs;
	char *path; /* NULL for built-in defaults */

	/* daemon */
	char *socket;
	unsigned socket_mode;
	char *socket_group;
	char *user;
	char *pid_file;
	int syslog_facility;
	int log_level;
	int milter_timeout;

	/* engine */
	char *rules_dir;
	char *spool_dir;
	size_t spool_memory_limit;
	size_t max_message_size;
	unsigned max_mime_depth;
	unsigned max_mime_parts;
	unsigned max_headers;
	size_t max_header_size;
	size_t max_line_length;
	size_t max_decoded_bytes;
	size_t max_message_memory;
	unsigned max_scans;
	unsigned max_archive_depth;
	unsigned max_archive_members;
	size_t max_expanded_bytes;
	unsigned max_expansion_ratio;
	size_t max_text_per_part;
	unsigned magic_handles;

	/* direction and policy */
	struct strlist internal_domains;
	struct strlist internal_networks;
	bool monitor_mode;
	unsigned scan_timeout;

	/* actions */
	char *quarantine_dir;
	char *quarantine_public_key;
	char *quarantine_private_key;
	unsigned quarantine_retention_days;
	unsigned quarantine_min_free;
	char *release_via;
	char *release_secret_file;
	unsigned release_token_lifetime;
	bool tag_rules_header;
	char *header_prefix;
	char *reject_reply;
	char *tempfail_reply;
	enum action on_error;
	enum action on_limit;
	enum action on_timeout;
	char *subject_prefix;
	char *tag_copy_to;
	char *quarantine_mode;
	char *quarantine_redirect_to;
	bool split_recipients;
	bool notify_sender;
	char *notify_via;
	char *notify_from;
	char *notify_template;
	char *override_marker;
	struct strlist override_categories;

	/* audit and metrics */
	char *audit_log;
	char *audit_key_file;
	char *evidence_key_file;
	char *audit_fsync;
	enum action on_audit_error;
	char *metrics_listen;
	/* extraction workers */
	unsigned extract_workers;
	size_t extract_memory_limit;
};

enum config_type {
	CFG_STRING,
	CFG_LIST,
	CFG_BOOL,
	CFG_UINT,
	CFG_SIZE,
	CFG_MODE,
	CFG_ACTION,
	CFG_FACILITY,
	CFG_LOGLEVEL,
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def; /* default, in the file's syntax */
	const char *help;
};

const struct config_key *config_keys(size_t *n);
struct config *config_defaults(void);
int config_load(
    const char *path, struct config **out, char *err, size_t errlen);
int config_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen);
void config_dump(const struct config *c, FILE *fp);
struct config *config_ref(struct config *c);
void config_unref(struct config *c);

/* config_is_internal_domain - does the address's domain belong to us? */
bool config_is_internal_address(const struct config *c, const char *addr);
/* config_addr_in_networks - is the IP address in internal_networks? */
bool config_addr_in_networks(const struct config *c, const char *ip);
/*
 * addr_domain_in - is the domain of addr one of v[] ("example.com", or
 * ".example.com" for it and its subdomains), ignoring case?
 */
bool addr_domain_in(const char *addr, char *const *v, size_t n);
/*
 * config_parse_listen - "ADDRESS:PORT" or "[IPV6]:PORT" into a socket
 * address: 0, or EXFIL_EINVAL
 */
struct sockaddr_storage;
int config_parse_listen(
    const char *spec, struct sockaddr_storage *ss, unsigned *salen);

#endif
