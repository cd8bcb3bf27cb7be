/*
 * NAME
 *	rules - rule files to an immutable, compiled rule set
 * SYNOPSIS
 *	#include <exfil/rules.h>
 *
 *	int rules_load_dir(const char *dir, struct ruleset **out,
 *	    char *err, size_t errlen);
 *	int rules_load_text(const char *text, size_t len, const char *name,
 *	    struct ruleset **out, char *err, size_t errlen);
 *	void ruleset_unref(struct ruleset *rs);
 * DESCRIPTION
 *	Reads every "*.rules" file of dir in name order. A file holds rule
 *	blocks, policy blocks and "include FILE" lines (FILE relative to the
 *	including file's folder, at most 8 deep; grammar in exfil-rules(5)):
 *
 *	    rule ID
 *	      category  NAME
 *	      pattern   /REGEX/FLAGS [window N] [after WORD... within N]
 *	                [literals WORD...]  (one or more; flags i m s x;
 *	                                    window, literals: this
 *	                                    pattern's own, of the rule's;
 *	                                    after: WORD follows the literal)
 *	      scope     body attachment subject headers name | all
 *	      validate  luhn | payment_card
 *	      literals  WORD... [window N] [exact]
 *	                                    (every match contains one;
 *	                                    exact: in the case written)
 *	      digits    N[-M] [window N] [whole] [shape G...] [letters]
 *	                                    (every match has N (to M) digits;
 *	                                    whole: each match is whole
 *	                                    numbers of one run; shape: the
 *	                                    groups, N or N-M digits each,
 *	                                    of a match that starts in a run;
 *	                                    letters: a run after a
 *	                                    two-letter word, scan(3))
 *	      start     [<CLASS] CLASS... [through CLASS]
 *	                                    (the bytes every match starts
 *	                                    with, one class a byte; <CLASS:
 *	                                    the byte before it; through:
 *	                                    every byte up to its anchor,
 *	                                    scan(3))
 *	      keywords  WORD... within N    (required near a match)
 *	      boost     WORD... within N    (optional: raise confidence)
 *	      entropy   BITS                (least Shannon entropy)
 *	      allow     /REGEX/FLAGS        (a value matching it is vetoed)
 *	      allow_words WORD...           (a value containing one: vetoed)
 *	      min_confidence low | medium | high
 *	      min_count N
 *	      max_count N
 *	      score     N
 *	      mode      monitor | enforce   (monitor: reported, not acted on)
 *	      example   "TEXT"              (must match)
 *	      counter   "TEXT"              (must not match)
 *	      enabled   yes | no
 *	    end
 *
 *	    policy
 *	      when COND... then ACTION
 *	      allow COND...                 (an exception: see policy(3))
 *	    end
 *
 *	where COND is "category NAME", "rule ID", "count N", "score N",
 *	"confidence low|medium|high", "flag limit|malformed|timeout",
 *	"client internal|external", "authenticated yes|no",
 *	"external_rcpts N", "size N", "sender_domain D[,D...]" or
 *	"rcpt_domain D[,D...]", all of which must hold; a statement needs
 *	at least one. A rule id named in a policy must exist (an error
 *	otherwise); a category that no rule has and that is not one of the
 *	categories of exfil-rules(5) is a warning (a typo, most likely). Patterns are
 *	compiled once with PCRE2 (UTF mode) and JIT-compiled. When no file
 *	has a policy block the built-in default policy applies (the one
 *	shipped in rules/policy.rules).
 *	A ruleset is immutable and shared by reference counting.
 * RETURN VALUE
 *	0, or EXFIL_EINVAL/EXFIL_EIO with one line "file:line:col: message"
 *	in err. Warnings (a rule without examples) are kept in
 *	rs->warnings.
 * OWNERSHIP
 *	*out holds one reference for the caller.
 */
#ifndef EXFIL_RULES_H
#define EXFIL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <exfil/verdict.h>

struct validator;

/*
 * Confidence of a match, in the style of Microsoft Purview: the pattern
 * alone is low; a checksum (validator) or an entropy minimum passed adds a
 * level, and a keyword nearby (required or boost) adds one more.
 */
enum confidence {
	CONF_LOW = 0,
	CONF_MEDIUM,
	CONF_HIGH,
};

const char *confidence_name(enum confidence c);

#define SCOPE_SUBJECT 0x01u
#define SCOPE_HEADERS 0x02u
#define SCOPE_BODY 0x04u
#define SCOPE_NAME 0x08u /* attachment file names */
#define SCOPE_ATTACHMENT 0x10u /* attachment content */
#define SCOPE_TYPE \
	0x20u /* a part's true type (libmagic), e.g. application/pdf */
#define SCOPE_ALL 0x3fu
#define RULES_NSCOPES 6 /* bits of a scope */
#define RULES_MAX_SHAPE 8 /* groups of "digits ... shape" */
#define RULES_MAX_START 7 /* classes of "start" */
#define RULES_WINDOW_RULE 0xffffffffu /* a pattern without its own window */
/* a window short enough to try each of its places (rules.c) */
#define RULES_SHORT_WINDOW 256
/* the prefilter's id of literal j of rule i */
#define RULES_LITERAL_ID(i, j) ((size_t)(i) << 6 | ((j) < 63 ? (j) : 63))
#define RULES_LITERAL_RULE(id) ((id) >> 6)
#define RULES_LITERAL_PLACE(id) ((unsigned)((id)&63))

struct rule {
	char *id;
	char *category;
	char *file;
	unsigned line;
	unsigned index; /* position in the rule set */
	pcre2_code **patterns;
	char **sources; /* each pattern as written, "(?flags)REGEX" */
	size_t npatterns;
	/* per pattern: how far before its anchor a match may start, or
	 * RULES_WINDOW_RULE for the rule's window */
	unsigned *windows;
	/* per pattern, for a rule with literals and a window of 0: the
	 * pattern compiled anchored (a match starts where it is tried), or
	 * NULL; the array itself NULL when the rule has none */
	pcre2_code **at_start;
	/* per pattern, for one searched in a window of its anchors of at
	 * most RULES_SHORT_WINDOW bytes: the pattern compiled without
	 * PCRE2's start optimizations, or NULL (array NULL: none) */
	pcre2_code **in_window;
	/* per pattern: "literals WORD..." as written, or NULL */
	char **pattern_literals;
	/* per pattern: "after WORD... within N": every match holds one of
	 * the rule's literals and one of the words (any case) starting at
	 * most N bytes after it, so a literal without one that near anchors
	 * nothing; nwords 0: no such promise */
	struct pattern_after {
		char **words;
		size_t nwords;
		unsigned within;
	} * after;
	/* per pattern: bit j set, the rule's literal j anchors it (bit 63:
	 * literal 63 and after); NULL: every literal anchors every pattern */
	uint64_t *litmask;
	/* per pattern: 256 flags, the bytes a match may start with, when
	 * PCRE2 keeps no such set (NULL: any byte); NULL: none at all */
	unsigned char **start_sets;
	/* per pattern: the ASCII byte that every match starts with ('('
	 * '<', or a letter of a pattern that never ignores case), or -1;
	 * NULL: none known */
	int *first_bytes;
	const struct validator *validator;
	char **keywords; /* required near a match */
	size_t nkeywords;
	unsigned within;
	char **literals; /* every match contains one (any case) */
	size_t nliterals;
	/* "literals ... exact": every match contains one in the case
	 * written, so a literal found in another case anchors nothing */
	bool literals_exact;
	unsigned digits; /* every match holds a run of this many digits */
	unsigned digits_max; /* ... and at most this many; 0: no maximum */
	unsigned window; /* a match starts at most this far before */
	/* "digits ... whole": every match lies in one run of digits and
	 * its value starts and ends at its numbers' edges */
	bool digits_whole;
	/* "digits ... letters": the run follows a word of two ASCII letters
	 * (no ASCII letter or digit before them), directly or after one
	 * blank or dash (an IBAN's check digits), and only such runs
	 * anchor the rule */
	bool digits_letters;
	/*
	 * "digits ... shape G1 .. Gk" (k <= RULES_MAX_SHAPE): the rule
	 * promises that a match (1) consists of digits, non-ASCII
	 * characters and the bytes + ( ) blank . - only; (2) never starts
	 * right after an ASCII digit, nor after one and a blank, dot or
	 * dash; (3) holds at least shape_lo[0] + ... + shape_lo[k-1]
	 * digits, starts with a digit, + or (, and when it starts with an
	 * ASCII digit, holds a non-ASCII byte or is there k groups of ASCII
	 * digits, the i-th whole (no digit right before or after it) with
	 * shape_lo[i] to shape_hi[i] digits, joined by single blanks, dots
	 * or dashes. A run in whose
	 * window no match of that form can start is skipped (scan.c:
	 * shape_may_match).
	 */
	unsigned char shape_lo[8], shape_hi[8];
	unsigned nshape; /* 0: no shape */
	/*
	 * "start [<C0] C1 .. Ck" (k <= RULES_MAX_START): the rule promises
	 * that every match of its patterns starts at a byte text[i] with
	 * text[i + j - 1] in class Cj for each j (all k bytes in the text),
	 * and, with <C0, text[i - 1] in C0 or i the segment's start. Bit
	 * j - 1 of start_map[b] is set when byte b is in Cj, and bit 7
	 * (as start_prev[b]) when it is in C0 (every byte without one). With "through C",
	 * every byte from a match's start to its anchor (the start of its
	 * literal or digit run) is in C: start_thru[b] (every byte
	 * without). The scanner tries the patterns, anchored, only at such
	 * places (scan.c).
	 */
	unsigned char start_map[256];
	unsigned char start_prev[256];
	unsigned char start_thru[256];
	unsigned nstart; /* 0: no start classes */
	char **boost; /* optional: raise the confidence */
	size_t nboost;
	unsigned boost_within;
	pcre2_code **allow; /* a value matching one is vetoed */
	size_t nallow;
	char **allow_words; /* a value containing one is vetoed */
	size_t nallow_words;
	double min_entropy; /* bits per character; 0: none */
	enum confidence min_confidence;
	unsigned min_count;
	unsigned max_count; /* 0: none */
	int score;
	unsigned scope;
	char **examples;
	size_t nexamples;
	char **counters;
	size_t ncounters;
	bool enabled;
	bool monitor; /* "mode monitor": reported, never acted on */
};

/* how far before its anchor a match of pattern i of rule r may start:
 * the pattern's own window, else the rule's */
static inline unsigned
rule_window(const struct rule *r, size_t i)
{
	return r->windows && r->windows[i] != RULES_WINDOW_RULE ? r->windows[i]
								: r->window;
}

#define POLICY_FLAG_LIMIT 0x01u
#define POLICY_FLAG_MALFORMED 0x02u
#define POLICY_FLAG_TIMEOUT 0x04u

#define POLICY_ANY 0
#define POLICY_YES 1 /* client internal, sender authenticated */
#define POLICY_NO 2

struct policy_stmt {
	bool allow; /* "allow COND...": an exception, no action */
	char *category; /* NULL: any */
	char *rule; /* NULL: any */
	unsigned count; /* 0: no condition */
	int score; /* < 0: no condition */
	unsigned flags; /* 0: no condition */
	enum confidence confidence; /* least confidence; CONF_LOW: any */
	int client; /* POLICY_YES: internal_networks */
	int auth; /* POLICY_YES: authenticated sender */
	unsigned external_rcpts; /* at least this many; 0: no condition */
	size_t size; /* at least this many bytes; 0: none */
	char **sender_domains; /* the sender's domain is one of them */
	size_t nsender_domains;
	char **rcpt_domains; /* every external recipient's domain is one */
	size_t nrcpt_domains;
	enum action action;
	char *file;
	unsigned line;
	unsigned rule_col; /* column of the rule id, for errors */
};

struct prefilter;

struct ruleset {
	int refs;
	struct prefilter *prefilter; /* the literals of every rule */
	/* [b]: the literals of the rules whose scope has bit b, NULL for
	 * none; [RULES_NSCOPES]: the same as prefilter */
	struct prefilter *prefilters[RULES_NSCOPES + 1];
	unsigned min_digits; /* smallest digits of any rule; 0: none */
	/* smallest digits of a rule with "digits ... letters"; 0: none
	 * (such rules do not count in min_digits) */
	unsigned lead_digits;
	/* the enabled rules, by index, that run over all the text (neither
	 * literals nor digits), and those anchored by runs of digits (digits,
	 * no literals): the scanner need not look at the others when their
	 * literals were not found */
	size_t *plain_rules, nplain;
	size_t *digit_rules, ndigit;
	/* [k]: digit_rules[k] asks of the runs what digit_rules[k - 1] asks
	 * (digits, digits_max, letters, whole, the same validator; no
	 * shape), so the scanner selects them once; such rules are next to
	 * each other, in file order otherwise */
	bool *digit_same;
	struct rule *rules;
	size_t nrules;
	struct policy_stmt *policy;
	size_t npolicy;
	char **warnings;
	size_t nwarnings;
};

int rules_load_dir(
    const char *dir, struct ruleset **out, char *err, size_t errlen);
int rules_load_text(const char *text, size_t len, const char *name,
    struct ruleset **out, char *err, size_t errlen);
struct ruleset *ruleset_ref(struct ruleset *rs);
void ruleset_unref(struct ruleset *rs);
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);

/* the default policy, used when no rule file has a policy block */
extern const char rules_default_policy[];

#endif
