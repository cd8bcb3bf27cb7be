/*
 * NAME
 *	scan - run the compiled rule set over text segments
 * SYNOPSIS
 *	#include <exfil/scan.h>
 *
 *	int scan_begin(struct scan *s, struct arena *a,
 *	    const struct ruleset *rs);
 *	int scan_segment(struct scan *s, const char *text, size_t len,
 *	    const char *where, unsigned scope);
 *	void scan_end(struct scan *s);
 * DESCRIPTION
 *	One struct scan per message. scan_segment() runs every enabled rule
 *	whose scope covers the segment's scope: each pattern match (group 1
 *	when the pattern has one, else the whole match) must pass the
 *	rule's validator and, when the rule has keywords, have one of them
 *	(case-insensitive) within "within" characters before or after it.
 *	Values are counted once each (normalised: digits only for numeric
 *	validators), so the same number pasted twice counts once.
 *	Each match has a confidence (rules(3)): low for the pattern alone,
 *	medium when a validator or the rule's entropy minimum passed, one
 *	level more with a keyword (required or boost) nearby; matches below
 *	min_confidence, and values matching an allow regex or containing an
 *	allow word, are dropped.
 *	A pattern's matches are taken in order, each after the end of the
 *	one before; a match dropped so covers nothing, and the next is
 *	looked for from the character after its start (a false IBAN does not
 *	hide a true one inside it).
 *	A rule fires when its distinct count reaches min_count (and does not
 *	pass max_count, when set);
 *	scan_finding() then returns its finding, with the first place it
 *	was seen and up to SCAN_MAX_EVIDENCE masked values.
 *	With s->evidence_key set (32 bytes, evidence_key_file), each
 *	evidence value also gets its keyed hash, HMAC-SHA256 in hex, of the
 *	whole normalised value, in f->digest[]: the raw value itself is
 *	never kept.
 *	scan_mask() masks a value for logs and reports: at most a quarter
 *	of it, and never more than four characters at each end, stays
 *	readable ("4111********1111").
 *	Speed: the literals of all rules are found in one pass (prefilter(3))
 *	and a rule with literals runs its patterns only from those places: a
 *	match may start at most "window" bytes (the pattern's own window,
 *	when it has one) before a literal it holds (one of the pattern's
 *	own literals, when it names some). A
 *	rule with "digits N" runs only from runs of N or more digits (single
 *	blanks, dashes, dots or slashes between them); with "digits N ...
 *	letters", only from those runs that follow a two-letter word (and,
 *	when the validator says which two letters and digits a value can
 *	start with, lead(), only from those). Other rules run over
 *	the whole segment. With "digits ... whole" (every match is whole
 *	numbers of one run) the rule's validator is first tried on each
 *	stretch of the run's numbers with as many digits as it may accept
 *	(validators(3)); a run where it accepts none is skipped.
 *	A rule with "start" classes (rules(3)) is tried, anchored, only at
 *	the places of a window where its classes allow a match to start
 *	(and, with "through", no further back than the bytes before the
 *	anchor that are all in that class), from the end of each match
 *	found: the same matches as a search over the window (a pattern
 *	whose first byte PCRE2 knows is left to PCRE2's own search for it,
 *	which is faster).
 *	Where PCRE2 keeps no set of the bytes a match may start with (it
 *	keeps none for \d, \w or \s in UCP mode), the rule set has one
 *	(rules(3)) and a window starts at its first byte that may begin a
 *	match.
 *	A rule with min_count above one holds a segment back, unread, while
 *	the segments so far hold too few of its literals or digits for
 *	min_count values (each match holds a literal, or "digits" of a run,
 *	and matches do not overlap); once they hold enough, it reads the
 *	segments held, in order, then goes on as any rule: the same
 *	findings. A message that never holds enough (most: a bulk rule needs
 *	50 values) costs such a rule no pattern at all. So the text and
 *	where of a segment must stay readable until scan_end(), unless the
 *	caller sets s->text_transient for the segment: then a rule that
 *	holds it back keeps a copy in the arena. A segment that cannot be
 *	held (no memory, or more than SCAN_HOLD_COPY bytes of copies in the
 *	message) is read at once, with those held before it.
 *	scan_set_naive() runs every rule over the whole segment: the same
 *	findings, slower (the tests prove it).
 * LIMITS
 *	At most SCAN_MAX_VALUES distinct values are remembered per rule;
 *	beyond that each further match counts as new. At most SCAN_HOLD_COPY
 *	(4 MiB) of copies held back a message: past it, a rule reads at once.
 * RETURN VALUE
 *	0 or EXFIL_ENOMEM.
 * OWNERSHIP
 *	Findings live in the arena; the match data belongs to the scan and
 *	is freed by scan_end().
 */
#ifndef EXFIL_SCAN_H
#define EXFIL_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include <exfil/rules.h>

struct arena;
struct rule;

#define SCAN_MAX_EVIDENCE 3
#define SCAN_MAX_VALUES 65536
/* bytes of segments a message's rules may copy to hold them back */
#define SCAN_HOLD_COPY (4u << 20)

struct finding {
	const struct rule *rule;
	unsigned count; /* distinct values */
	unsigned hits; /* all matches */
	enum confidence confidence; /* the highest of its matches */
	const char *keyword; /* the keyword or boost word found, if any */
	const char *where; /* first place seen */
	size_t offset; /* byte offset in that segment */
	const char *evidence[SCAN_MAX_EVIDENCE];
	/* HMAC-SHA256 (hex) of each evidence value, when the scan has an
	 * evidence key; else NULL */
	const char *digest[SCAN_MAX_EVIDENCE];
	unsigned nevidence;
	/* distinct values: open addressing over 64-bit hashes */
	unsigned long long *set;
	size_t setcap;
};

struct scan_work;

struct scan {
	struct arena *arena;
	const struct ruleset *rs;
	struct finding *findings; /* one per rule, by rule index */
	void *match_data;
	void *match_ctx; /* PCRE2 match context: the offset limit */
	bool naive; /* every pattern over all the text */
	struct scan_work *work; /* reused from segment to segment */
	unsigned long long bytes;
	/* optional, set by the caller: nanoseconds spent per rule (by rule
	 * index), in finding the literals, and the runs of digits
	 * (scan-bench's profile); NULL: not measured */
	unsigned long long *rule_ns;
	unsigned long long literal_ns, runs_ns;
	const unsigned char *evidence_key; /* 32 bytes, or NULL: no digests */
	/* set by the caller for a segment whose text it does not keep until
	 * scan_end(): a rule that holds it back copies it */
	bool text_transient;
};

int scan_begin(struct scan *s, struct arena *a, const struct ruleset *rs);
int scan_segment(struct scan *s, const char *text, size_t len,
    const char *where, unsigned scope);
const struct finding *scan_finding(const struct scan *s, size_t rule_index);
void scan_end(struct scan *s);
void scan_set_naive(struct scan *s, bool naive);
char *scan_mask(struct arena *a, const char *value, size_t len);

/*
 * scan_text_runs - the runs of digits the fast path anchors rules of
 * digits to (for tests): runs of at least min digits, and of at least
 * lead_min digits after a two-letter word (lead_min 0: none), in order;
 * the first max of them in runs[], how many in all in *n. 0 or
 * EXFIL_ENOMEM.
 */
struct scan_run {
	size_t at, limit; /* [at, limit): digits and separators between */
	unsigned digits;
	bool lead; /* after a two-letter word */
};
int scan_text_runs(const char *text, size_t len, unsigned min,
    unsigned lead_min, struct scan_run *runs, size_t max, size_t *n);

/*
 * scan_text_matches - does the rule fire on this text alone, normalised as
 * the engine normalises mail? (example and counter lines)
 */
int scan_text_matches(const struct ruleset *rs, const struct rule *r,
    const char *text, size_t len, bool *matched);

/*
 * scan_text_agrees - does the fast path find the same values and matches
 * of rule r in this text (normalised, all the rule's scopes) as the naive
 * path? *same: true if so.
 */
int scan_text_agrees(const struct ruleset *rs, const struct rule *r,
    const char *text, size_t len, bool *same);

/*
 * scan_text_starts - does every match of the rule's patterns in this text
 * (normalised) start where its "start" classes say one may? *bad: the
 * offset of the first that does not, or (size_t)-1 for none.
 */
int scan_text_starts(
    const struct rule *r, const char *text, size_t len, size_t *bad);

#endif
