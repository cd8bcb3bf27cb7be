/*
 * NAME
 *	extract - turn archives, office documents and PDFs into members and
 *	text
 * SYNOPSIS
 *	#include <exfil/extract.h>
 *
 *	int extract(struct arena *a, const char *type, const char *where,
 *	    const char *data, size_t len, unsigned depth,
 *	    const struct extract_limits *lim, struct extract_state *st,
 *	    extract_fn *fn, void *arg);
 *	bool extract_handles(const char *type);
 *	void extract_init(void);
 *	int extract_runs(struct buf *b, const char *p, size_t n);
 *	bool extract_encrypted(const char *type, const char *p, size_t n);
 *	double extract_now_ms(void);
 * DESCRIPTION
 *	extract() reads one part whose true type (libmagic, filetype(3)) is
 *	type and calls fn once for each thing inside it, in order.
 *	Archives (extract_archive.c, libarchive from memory: zip, 7z, tar,
 *	cpio, ISO 9660, cab, rar as far as libarchive reads it, and gzip,
 *	bzip2, xz, lzma, zstd, compress, lz4 and lzip streams, with or
 *	without a tar or cpio inside) give one item a regular member, with
 *	its bytes (is_text false): the caller types it and calls extract()
 *	again with the item's depth. A compressed stream that holds no
 *	archive gives one member, named as its header says, else by the
 *	part's name without the suffix ("a.txt.bz2" holds "a.txt").
 *	Office documents (extract_ooxml.c: Word, Excel and PowerPoint Open
 *	XML with their macro and template variants, OpenDocument text,
 *	spreadsheet, presentation and drawing) give one text item (is_text
 *	true, UTF-8) for each XML part that holds what a reader can see or
 *	extract: body, headers and footers, comments, footnotes, endnotes,
 *	shared strings, inline strings and cell values (numbers too, written
 *	out when stored as 3.78282246310005E+14), formulas, print headers
 *	and footers (without their &-codes), slides, notes and masters,
 *	charts, SmartArt, pivot caches, the alternative text of pictures,
 *	the addresses of external links, document and custom properties
 *	("name: value", so that a sensitivity label MSIP_Label_*_Name is
 *	seen). Paragraphs, rows and breaks become line breaks, cells and
 *	tabs become tabs (a table row stays on one line), runs are joined
 *	as they are (a word split into runs stays one word); a comment or a
 *	footnote never joins the words around it. Files embedded in a
 *	document, and any part the reader does not know (a file added to a
 *	docx with zip), are members as above; styles, themes, media and
 *	the package's own structure are skipped. A part that is not
 *	well-formed XML gives the text read before the error, if any, and
 *	its bytes as a member. A zip that libmagic calls application/zip but
 *	that holds an Office document is read as one.
 *	PDF (extract_pdf.c, poppler-glib; only when built with poppler, see
 *	configure --without-poppler): one text item a page that has text
 *	("!page/1"), the page's text in reading order followed by the text of
 *	its annotations (comments, notes), characters read through each
 *	font's ToUnicode map (subset fonts as LibreOffice and Word write
 *	them); one text item for the document information ("!info": title,
 *	subject, keywords, author, creator, producer as "name: value") and
 *	one for the XMP metadata ("!xmp": the values between its tags); the
 *	files attached to the document as members ("!attachments/NAME"). A
 *	PDF that needs a user password gives one item with encrypted set and
 *	the part's own where (one that opens without a password, whatever its
 *	owner password forbids, is read). A PDF that poppler cannot open, or
 *	that has no page, gives one item with unreadable set and the part's
 *	own where, sets EXTRACT_F_UNREADABLE, and extract() returns
 *	EXTRACT_NONE: the caller reads its bytes as it reads an unknown
 *	binary. Poppler calls run under one process-wide lock, released while
 *	fn runs.
 *	OLE2 compound files (extract_ole.c, libgsf: Word, Excel and
 *	PowerPoint 97-2003, Outlook .msg items, Visio, any other compound
 *	file): one text item a stream that has text ("!WordDocument",
 *	"!__substg1.0_0037001F"): an Outlook string property as it is
 *	(UTF-16LE, or 8-bit read as Latin-1), any other stream's printable
 *	runs (extract_runs()), and for an Excel workbook ("!Workbook") its
 *	numeric cells (NUMBER, RK, MULRK records) one a line, integers
 *	written whole. A stream that holds a file (zip, PDF, OLE2,
 *	RTF: an embedded object) is a member, and so is each attachment of an
 *	Outlook item, named by its file name
 *	("!__attach_version1.0_#00000000/notes.txt"); an item attached to an
 *	item is walked as a storage. Storages nest at most 16 deep. A
 *	compound file saved with a password (an EncryptedPackage stream,
 *	Word's fEncrypted bit, an Excel FILEPASS record, PowerPoint's
 *	EncryptedSummary) gives one encrypted item with the part's where; one
 *	that libgsf cannot open gives one unreadable item and EXTRACT_NONE, as
 *	a PDF does.
 *	TNEF (extract_tnef.c, libytnef; only when built with it, see
 *	configure --without-ytnef): winmail.dat of Outlook and Exchange gives
 *	the subject ("!subject") and plain body ("!body") as text, the string
 *	properties of the message one a line ("!properties": "1000001f:
 *	text"), its compressed RTF body and HTML body as members ("!body.rtf",
 *	"!body.html"), and each attachment as a member named by its long file
 *	name, else its title ("!notes.txt"). libytnef is given only the
 *	prefix of the stream whose framing, checksums, fixed sizes and MAPI
 *	property blocks are whole; anything after sets EXTRACT_F_UNREADABLE;
 *	a stream without one whole attribute gives an unreadable item and
 *	EXTRACT_NONE, as a PDF does.
 *	RTF (extract_rtf.c, a small reader of its own: Debian has no C
 *	library for it): one text item ("!text") with what a reader sees, the
 *	document information and user properties (sensitivity labels) and
 *	field instructions (a link's address) included; \'hh read as
 *	Windows-1252, \uN with its \ucN fallback skipped; font, colour and
 *	style tables, pictures and other destinations without text skipped.
 *	Each embedded object (\objdata, hex) is a member ("!object/1").
 *	Groups nest at most 512 deep (deeper ones read as their parent).
 *	Each item's where is the part's where, "!", and the member or part
 *	path ("attachment:a.zip!dir/b.docx!word/document.xml"); its name is
 *	that path, cleaned: no leading "./" or "/", control characters
 *	become "?", bytes that are not UTF-8 are read as Latin-1, at most
 *	1024 bytes.
 *	Encryption: an encrypted member gives an item with encrypted set
 *	and no bytes; a part encrypted as a whole (7z with encrypted
 *	headers, an OpenDocument saved with a password, an OOXML file saved
 *	with a password, which libmagic calls "application/encrypted")
 *	gives one item with encrypted set and the part's own where. Both
 *	set EXTRACT_F_ENCRYPTED; an unencrypted 7z (compressed headers) is
 *	never called encrypted.
 *	extract_runs() appends to b the printable runs of n bytes at p: runs
 *	of at least 8 printable ASCII characters, as they are, or as UTF-16LE
 *	or UTF-16BE code units, each run on a line of its own. The engine
 *	reads a binary of unknown type so, and the OLE2 reader its streams.
 *	extract_encrypted() says whether a part of true type type is
 *	encrypted mail (extract_crypto.c): S/MIME, a CMS ContentInfo (DER or
 *	BER) of enveloped, authenticated-enveloped or encrypted data, whatever
 *	it is declared as; OpenPGP, an armored "-----BEGIN PGP MESSAGE-----"
 *	at the start of a line in the first 64 KiB (inline PGP in a text, or
 *	the second part of multipart/encrypted), or a binary message where
 *	libmagic says application/octet-stream or application/pgp*, whose
 *	first packet is a public-key or symmetric-key encrypted session key.
 *	Signed-only S/MIME and PGP are not encrypted. It reads no key and
 *	decrypts nothing.
 *	extract_now_ms() is CLOCK_MONOTONIC in milliseconds, the clock of
 *	deadline.
 *	extract_handles() says whether extract() reads a type (it does not
 *	look at the bytes). extract_init() initialises libxml2 and finds
 *	which compression filters libarchive has built in (one that would
 *	run an external program is never used); call it once before threads
 *	start (extract() calls it too, under pthread_once).
 * LIMITS
 *	lim bounds everything; a field left 0 takes its EXTRACT_DEFAULT_*.
 *	max_depth: a container at depth max_depth or deeper is not opened.
 *	max_members: items from one container; one tree (one st) gives at
 *	most EXTRACT_TREE_MEMBERS times that in all.
 *	max_expanded: bytes decompressed over the whole tree (st->expanded);
 *	members are read in chunks and their size is never reserved up
 *	front, so a bomb costs at most this much memory, plus the text.
 *	max_ratio: a member stops once it has expanded past
 *	EXTRACT_RATIO_FLOOR bytes and max_ratio times the bytes it was read
 *	from (a solid 7z or rar: the whole part); UINT_MAX: no ratio limit.
 *	max_text: bytes of text from one document part (from one PDF: all
 *	its pages, information and metadata together).
 *	deadline: CLOCK_MONOTONIC milliseconds (0: none); the PDF reader
 *	stops between pages once past it and sets EXTRACT_F_TIMEOUT (fn can
 *	stop any reader by returning an error, as the engine does).
 *	A limit reached sets EXTRACT_F_LIMIT and cuts the member or text
 *	short (the item says truncated; what was read is still given). The
 *	rest of a cut member is never skipped by decompressing it: unless
 *	the container seeks (a zip with a central directory, a plain tar),
 *	the container ends there, and so do skipped entries that would
 *	decompress past a limit. Input that libarchive or libxml2 cannot
 *	read sets EXTRACT_F_UNREADABLE and gives what was read. Neither is
 *	an error. No loop runs on without a bound: each is bounded by a
 *	limit or by the input.
 * RETURN VALUE
 *	0; EXTRACT_NONE (positive) when type is not one extract() reads
 *	(the caller reads the part itself); EXFIL_ENOMEM; or fn's return
 *	value when it is negative, which stops everything at once.
 * OWNERSHIP
 *	Where and name strings come from the arena and live as long as it.
 *	An item's data belongs to extract() and is valid only during the
 *	call of fn (fn copies what it keeps); it is NUL-terminated. So peak
 *	memory is the data of the members on the current path of the tree,
 *	not of the whole tree. The caller owns st: zero it before the first
 *	call of a tree and pass it to every nested call; it holds counters
 *	only, so that a worker process can receive it and send it back.
 * THREADS
 *	Safe from many threads at once, with different arenas and states.
 * SEE ALSO
 *	filetype(3), libarchive(3), libxml2's xmlreader
 */
#ifndef EXFIL_EXTRACT_H
#define EXFIL_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct buf;

#define EXTRACT_NONE 1 /* extract() does not read this type */

#define EXTRACT_F_LIMIT 0x01 /* a limit cut something short */
#define EXTRACT_F_ENCRYPTED 0x02 /* something could not be read: key */
#define EXTRACT_F_UNREADABLE 0x04 /* something was corrupt or unsupported */
#define EXTRACT_F_TIMEOUT 0x08 /* the deadline passed: the rest not read */

#define EXTRACT_DEFAULT_MAX_DEPTH 5
#define EXTRACT_DEFAULT_MAX_MEMBERS 10000
#define EXTRACT_DEFAULT_MAX_EXPANDED ((size_t)128 * 1024 * 1024)
#define EXTRACT_DEFAULT_MAX_RATIO 200
#define EXTRACT_DEFAULT_MAX_TEXT ((size_t)32 * 1024 * 1024)
#define EXTRACT_RATIO_FLOOR ((size_t)1024 * 1024)
#define EXTRACT_TREE_MEMBERS 8

struct extract_limits {
	unsigned max_depth; /* containers nested deeper are not opened */
	unsigned max_members; /* items per container */
	size_t max_expanded; /* bytes expanded in all, per tree */
	unsigned max_ratio; /* expanded / compressed, per member */
	size_t max_text; /* text bytes per document part */
	double deadline; /* CLOCK_MONOTONIC ms; 0: none */
};

/* one per tree (one top-level part and all its nested members) */
struct extract_state {
	unsigned flags; /* EXTRACT_F_* seen anywhere in the tree */
	size_t expanded; /* bytes expanded so far */
	unsigned long members; /* items given so far */
};

struct extract_item { /* one member or one text of a document */
	const char *where; /* "attachment:a.zip!dir/b.docx!word/document.xml" */
	const char *name; /* member or part path, or NULL */
	const char *data; /* the bytes, valid during the call; NULL: none */
	size_t len;
	unsigned depth; /* the member's depth: the part's depth + 1 */
	bool is_text; /* UTF-8 text already extracted: scan it */
	bool encrypted; /* an encrypted member or document: not readable */
	bool unreadable; /* a document its reader could not open */
	bool truncated; /* a limit or an error cut data short */
};

typedef int extract_fn(const struct extract_item *it, void *arg);

void extract_init(void);
bool extract_handles(const char *type);
int extract_runs(struct buf *b, const char *p, size_t n);
bool extract_encrypted(const char *type, const char *p, size_t n);
double extract_now_ms(void);
int extract(struct arena *a, const char *type, const char *where,
    const char *data, size_t len, unsigned depth,
    const struct extract_limits *lim, struct extract_state *st, extract_fn *fn,
    void *arg);

/*
 * Between extract.c and its readers (extract_archive.c, extract_ooxml.c)
 * only; not for other modules.
 */
struct archive;
struct archive_entry;

enum extract_kind {
	XK_ZIP = 1, /* zip, jar, epub ...: may hold an office document */
	XK_7Z,
	XK_TAR,
	XK_RAR,
	XK_OTHER, /* cab, cpio, ISO 9660 */
	XK_STREAM, /* a compressed stream: gzip, bzip2, xz ... */
	XK_RAW, /* the same read as one file, when it holds no tar */
	XK_OOXML,
	XK_ODF,
	XK_ENCRYPTED, /* libmagic says the whole part is encrypted */
	XK_PDF,
	XK_OLE, /* an OLE2 compound file */
	XK_TNEF,
	XK_RTF,
};

struct extract_ctx {
	struct arena *a;
	struct extract_limits lim; /* defaults filled in */
	struct extract_state *st;
	const char *where;
	const char *data;
	size_t len;
	unsigned depth;
	unsigned items; /* given from this container */
	bool cheap_skip; /* the rest of a member is skipped without
			  * decompressing it (a zip read by its central
			  * directory, a plain tar) */
	extract_fn *fn;
	void *arg;
};

#define EXTRACT_STOP 1 /* a reader's own: end this container, no error */

/* what extract_read_data() did */
enum extract_read {
	XR_OK, /* the whole member */
	XR_LIMIT, /* cut short by a limit: flag set */
	XR_ERROR, /* libarchive failed on this member: the caller flags it */
};

/* what extract_next_header() found */
enum extract_next {
	XN_ENTRY, /* a header, in *e */
	XN_BAD, /* an unreadable header: the caller flags it, goes on */
	XN_FATAL, /* the archive cannot be read further */
	XN_END, /* the end, or the header budget spent (EXTRACT_F_LIMIT) */
};

unsigned long extract_max_headers(const struct extract_ctx *x);
enum extract_next extract_next_header(struct extract_ctx *x, struct archive *ar,
    struct archive_entry **e, unsigned long *n);
int extract_archive(struct extract_ctx *x, enum extract_kind kind);
int extract_office(struct extract_ctx *x, enum extract_kind kind);
int extract_pdf(struct extract_ctx *x);
int extract_ole(struct extract_ctx *x);
int extract_tnef(struct extract_ctx *x);
int extract_rtf(struct extract_ctx *x);
void extract_ole_init(void);
struct archive *extract_open(struct extract_ctx *x, enum extract_kind kind);
int extract_read_data(struct extract_ctx *x, struct archive *ar, char **data,
    size_t *len, enum extract_read *how);
bool extract_drain(struct extract_ctx *x, struct archive *ar);
const char *extract_where(
    struct extract_ctx *x, const char *path, size_t pathlen, const char **name);
int extract_emit(struct extract_ctx *x, struct extract_item *it);
int extract_emit_at(struct extract_ctx *x, const char *path, char *data,
    size_t len, bool is_text, bool truncated);
int extract_put_cp(struct buf *o, unsigned long c);
int extract_utf16le(struct buf *o, const unsigned char *p, size_t n);
int extract_latin1(struct buf *o, const unsigned char *p, size_t n);
bool extract_room(struct extract_ctx *x);

#endif
