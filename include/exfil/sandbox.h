/*
 * NAME
 *	sandbox - extraction in worker processes with no files, no network
 *	and a memory limit, killed at the message's deadline
 * SYNOPSIS
 *	#include <exfil/sandbox.h>
 *
 *	int sandbox_init(unsigned workers, size_t mem_limit);
 *	bool sandbox_active(void);
 *	int sandbox_extract(struct arena *a, const char *type,
 *	    const char *where, const char *data, size_t len, unsigned depth,
 *	    const struct extract_limits *lim, struct extract_state *st,
 *	    extract_fn *fn, void *arg);
 * DESCRIPTION
 *	sandbox_init() forks a helper ("zygote") while the process has one
 *	thread: it forks the workers later, on demand, so that no worker is
 *	ever forked from a process with threads. At most workers workers
 *	run at once; 0 leaves extraction in the calling process
 *	(sandbox_extract() is then extract()). Call it once, before any
 *	thread starts, after privileges are dropped.
 *	A worker is a child of the zygote. It closes every inherited
 *	descriptor but its socket, limits its address space to mem_limit
 *	(RLIMIT_AS; not in a sanitizer build, whose shadow memory needs
 *	terabytes), may use 120 s of CPU (RLIMIT_CPU: a runaway parser dies
 *	even without a deadline; a worker retires after an answer once it
 *	has used half of that, and is replaced, so that the work of many
 *	messages never kills it), may write no file (RLIMIT_FSIZE 0),
 *	initialises the
 *	readers (libxml2, libarchive, libgsf, poppler), and then, when built
 *	with libseccomp, allows only the system calls that reading memory
 *	and answering on its socket need: any other (open, socket, fork,
 *	execve ...) fails with EPERM. A worker that cannot load its filter
 *	(a service manager that forbids seccomp(2)) runs with its limits
 *	only, and the first such worker is logged as a warning (a build
 *	without libseccomp is told so by configure, not at each start). It dies
 *	with the zygote, which dies with the process.
 *	sandbox_extract() has the contract of extract(3): a worker reads one
 *	container (not the tree: fn types and opens the members it is
 *	given, as with extract(), and that is a new request), sends back
 *	every item and the tree's state, and is free again; then fn is
 *	called for each item, in order, in the calling process. So a thread
 *	holds at most one worker at a time, and nested containers never
 *	wait for each other.
 *	A worker that dies (a crash, RLIMIT_AS) or does not answer by
 *	lim->deadline (it is killed) is replaced; the items it sent are
 *	still given, then one unreadable item with the part's where, and
 *	the state gets EXTRACT_F_UNREADABLE (a crash) or EXTRACT_F_TIMEOUT.
 * RETURN VALUE
 *	sandbox_init: 0, or EXFIL_EIO when no helper could be started.
 *	sandbox_extract: as extract(); EXFIL_EIO when no worker could be
 *	started (the caller's on_error applies).
 * THREADS
 *	sandbox_extract() is safe from many threads; they share the
 *	workers.
 * SEE ALSO
 *	extract(3), seccomp(2), setrlimit(2)
 */
#ifndef EXFIL_SANDBOX_H
#define EXFIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <exfil/extract.h>

struct arena;

int sandbox_init(unsigned workers, size_t mem_limit);
bool sandbox_active(void);
int sandbox_extract(struct arena *a, const char *type, const char *where,
    const char *data, size_t len, unsigned depth,
    const struct extract_limits *lim, struct extract_state *st, extract_fn *fn,
    void *arg);

#endif
