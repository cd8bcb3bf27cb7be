/*
 * sandbox.c - extraction in worker processes (see include/exfil/sandbox.h)
 *
 * One request, one container: the caller sends the part (type, where,
 * depth, limits, state, bytes); the worker runs extract() on it and sends
 * back each item (a record, its where and its bytes with a NUL) and an
 * end record (extract()'s value and the state). Both ends are this same
 * program on this machine: records are plain structs.
 *
 * With EXFIL_SANDBOX_TEST in the environment (the tests only), the types
 * application/x-exfil-test-{crash,hang,alloc,open} make a worker crash,
 * spin, allocate 1 TiB, or try to open a file, and say what happened.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include <exfil/arena.h>
#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/extract.h>
#include <exfil/log.h>
#include <exfil/sandbox.h>

#define REQ_MAGIC 0x65786631u /* "exf1" */
#define REC_ITEM 1u
#define REC_END 2u
#define MAX_WORKERS 64

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

struct req {
	uint32_t magic;
	uint32_t depth;
	uint32_t type_len, where_len;
	uint64_t data_len;
	struct extract_limits lim;
	struct extract_state st;
};

struct rec {
	uint32_t kind;
	uint32_t flags; /* REC_F_* */
	uint32_t depth;
	uint32_t where_len;
	int32_t name_off; /* in where, or -1 */
	int32_t rc; /* REC_END: extract()'s value */
	uint64_t data_len; /* without the NUL that follows */
	struct extract_state st; /* REC_END */
};

#define REC_F_TEXT 0x1u
#define REC_F_ENCRYPTED 0x2u
#define REC_F_UNREADABLE 0x4u
#define REC_F_TRUNCATED 0x8u
#define REC_F_RETIRE 0x10u /* REC_END: the worker exits after this answer */

/*
 * CPU seconds a worker may use (RLIMIT_CPU): a runaway parser dies even
 * when scan_timeout is 0. A worker retires, answering first, once it has
 * used half of it, so that work done for many messages never kills it.
 */
#define WORKER_CPU_SECONDS 120

struct worker {
	int fd; /* -1: none yet, or dead */
	pid_t pid;
	bool busy;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t zygote_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker pool[MAX_WORKERS];
static unsigned nworkers;
static int zygote_fd = -1;
static size_t worker_mem;
#ifdef HAVE_SECCOMP
static bool warned; /* of a worker without its filter */
#endif

/* --- both ends ----------------------------------------------------------- */

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t r;

	while (n > 0) {
		if ((r = send(fd, s, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	char *s = p;
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, s, n)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* --- the worker ---------------------------------------------------------- */

struct wctx {
	int fd;
	bool failed;
};

/* one item to the caller */
static int
worker_item(const struct extract_item *it, void *arg)
{
	struct wctx *w = arg;
	struct rec r;
	size_t wl = strlen(it->where);

	memset(&r, 0, sizeof(r));
	r.kind = REC_ITEM;
	r.flags = (it->is_text ? REC_F_TEXT : 0) |
	    (it->encrypted ? REC_F_ENCRYPTED : 0) |
	    (it->unreadable ? REC_F_UNREADABLE : 0) |
	    (it->truncated ? REC_F_TRUNCATED : 0);
	r.depth = it->depth;
	r.where_len = (uint32_t)wl;
	r.name_off =
	    it->name && it->name >= it->where && it->name <= it->where + wl
	    ? (int32_t)(it->name - it->where)
	    : -1;
	r.data_len = it->len;
	if (write_all(w->fd, &r, sizeof(r)) < 0 ||
	    write_all(w->fd, it->where, wl) < 0 ||
	    write_all(w->fd, it->data, it->len + 1) < 0) {
		w->failed = true;
		return EXFIL_EIO; /* the caller is gone: stop */
	}
	return 0;
}

/* the smallest PDF: opening it sets poppler's globals up before seccomp */
static const char warm_pdf[] =
    "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 9 9]>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n";

static int
ignore_item(const struct extract_item *it, void *arg)
{
	(void)it, (void)arg;
	return 0;
}

#ifdef HAVE_SECCOMP
/* only what reading memory and answering on the socket needs */
static int
seccomp_on(void)
{
	static const int allowed[] = {SCMP_SYS(read), SCMP_SYS(write),
	    SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(sendto),
	    SCMP_SYS(recvfrom), SCMP_SYS(close), SCMP_SYS(fstat),
	    SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(mmap),
	    SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	    SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(exit),
	    SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	    SCMP_SYS(sigaltstack), SCMP_SYS(clock_gettime),
	    SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(getpid),
	    SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(getrusage),
	    SCMP_SYS(prlimit64), SCMP_SYS(tgkill)};
	scmp_filter_ctx ctx;
	size_t i;
	int rc = -1;

	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return -1;
	for (i = 0; i < EXFIL_ARRAY_LEN(allowed); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0)
			goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}
#endif

/* a test's request: what a worker must survive (EXFIL_SANDBOX_TEST) */
static bool
test_request(const char *type, struct wctx *w)
{
	struct extract_item it;
	char text[64];
	int fd, e;

	if (getenv("EXFIL_SANDBOX_TEST") == NULL ||
	    strncmp(type, "application/x-exfil-test-", 25) != 0)
		return false;
	if (strcmp(type + 25, "crash") == 0)
		abort();
	if (strcmp(type + 25, "hang") == 0)
		for (;;)
			; /* until killed */
	if (strcmp(type + 25, "alloc") == 0) {
		/* past RLIMIT_AS: malloc fails, nothing dies */
		void *p = malloc((size_t)1 << 40);
		snprintf(text, sizeof(text), "alloc: %s", p ? "yes" : "no");
		free(p);
	} else {
		fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		snprintf(text, sizeof(text), "open: %d", e);
	}
	memset(&it, 0, sizeof(it));
	it.where = "test";
	it.data = text;
	it.len = strlen(text);
	it.is_text = true;
	(void)worker_item(&it, w);
	return true;
}

/* CPU seconds this process has used */
static long
cpu_used(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec;
}

/* the CPU limit: WORKER_CPU_SECONDS (the tests may set a smaller one) */
static long
cpu_limit(void)
{
	const char *t = getenv("EXFIL_SANDBOX_CPU");

	if (t && getenv("EXFIL_SANDBOX_TEST") != NULL && atol(t) > 0)
		return atol(t);
	return WORKER_CPU_SECONDS;
}

/* one request after another, until the caller closes the socket */
static void
worker_loop(int fd)
{
	struct wctx w = {fd, false};
	struct arena *a;
	struct req q;
	struct rec end;
	char *type = NULL, *where = NULL, *data = NULL;
	int rc;

	for (;;) {
		if (read_all(fd, &q, sizeof(q)) < 0 || q.magic != REQ_MAGIC ||
		    q.type_len > 4096 || q.where_len > 65536)
			_exit(0);
		type = malloc(q.type_len + 1);
		where = malloc(q.where_len + 1);
		data = malloc(q.data_len + 1);
		if (type == NULL || where == NULL || data == NULL ||
		    read_all(fd, type, q.type_len) < 0 ||
		    read_all(fd, where, q.where_len) < 0 ||
		    read_all(fd, data, q.data_len) < 0)
			_exit(0);
		type[q.type_len] = where[q.where_len] = data[q.data_len] = '\0';
		w.failed = false;
		if (test_request(type, &w)) {
			rc = 0;
		} else if ((a = arena_new()) == NULL) {
			rc = EXFIL_ENOMEM;
		} else {
			rc = extract(a, type, where, data, q.data_len, q.depth,
			    &q.lim, &q.st, worker_item, &w);
			arena_free(a);
		}
		free(type);
		free(where);
		free(data);
		if (w.failed)
			_exit(0);
		memset(&end, 0, sizeof(end));
		end.kind = REC_END;
		end.rc = rc;
		end.st = q.st;
		if (cpu_used() >= cpu_limit() / 2)
			end.flags |= REC_F_RETIRE;
		if (write_all(fd, &end, sizeof(end)) < 0 ||
		    (end.flags & REC_F_RETIRE))
			_exit(0);
	}
}

static const char *const charsets[] = {
    "UTF-16BE", "UTF-16LE", "UTF-16", "ISO-8859-1", "WINDOWS-1252"};
static iconv_t worker_iconv[EXFIL_ARRAY_LEN(charsets)]; /* never closed */

/* a new worker, in the zygote's child: limits, readers, filter, loop */
static void
worker_main(int fd)
{
	struct rlimit nofile = {16, 16}, fsize = {0, 0}, cpu = {0, 0};
	struct extract_state st;
	struct arena *a;
	size_t i;
	char hello;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGCHLD, SIG_DFL);
	/* nothing inherited but stdio and the socket, moved to 3 */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		close(fd);
	}
	for (fd = 4; fd < 1024; fd++)
		close(fd);
#ifndef SANITIZED
	if (worker_mem) {
		struct rlimit as = {worker_mem, worker_mem};

		setrlimit(RLIMIT_AS, &as);
	}
#endif
	setrlimit(RLIMIT_FSIZE, &fsize);
	setrlimit(RLIMIT_NOFILE, &nofile);
	cpu.rlim_cur = (rlim_t)cpu_limit();
	cpu.rlim_max = cpu.rlim_cur + 5;
	setrlimit(RLIMIT_CPU, &cpu);
	extract_init();
	/* character set converters poppler uses through g_convert(): their
	 * gconv modules are files, loaded now and kept for the worker's
	 * life (the filter forbids open) */
	for (i = 0; i < EXFIL_ARRAY_LEN(charsets); i++)
		worker_iconv[i] = iconv_open("UTF-8", charsets[i]);
	memset(&st, 0, sizeof(st));
	if ((a = arena_new()) != NULL) {
		(void)extract(a, "application/pdf", "warm", warm_pdf,
		    sizeof(warm_pdf) - 1, 0, NULL, &st, ignore_item, NULL);
		arena_free(a);
	}
	/* hello: 'F' with the filter on, 'U' without (the daemon warns);
	 * a worker that cannot load its filter (a service manager that
	 * forbids seccomp(2)) still has its limits, and mail still flows */
	hello = 'U';
#ifdef HAVE_SECCOMP
	if (seccomp_on() == 0)
		hello = 'F';
#endif
	if (write_all(3, &hello, 1) < 0)
		_exit(0);
	worker_loop(3);
}

/* --- the zygote ---------------------------------------------------------- */

/* fork a worker for each byte read; send back its socket and pid */
static void
zygote_main(int fd)
{
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int sv[2], keep;
	pid_t pid;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGCHLD, SIG_IGN); /* the workers are reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
	for (keep = 3; keep < 1024; keep++)
		if (keep != fd)
			close(keep);
	for (;;) {
		if (read(fd, &c, 1) != 1)
			_exit(0);
		pid = -1;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
			if ((pid = fork()) == 0) {
				close(fd);
				close(sv[0]);
				worker_main(sv[1]);
				_exit(0);
			}
			close(sv[1]);
		} else {
			sv[0] = -1;
		}
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &pid;
		iov.iov_len = sizeof(pid);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (pid > 0) {
			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
		}
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
			_exit(0);
		if (sv[0] >= 0)
			close(sv[0]);
	}
}

/* sandbox_init - start the zygote (see sandbox(3)) */
int
sandbox_init(unsigned workers, size_t mem_limit)
{
	int sv[2];
	pid_t pid;
	unsigned i;

	if (workers == 0 || zygote_fd >= 0)
		return 0;
	if (workers > MAX_WORKERS)
		workers = MAX_WORKERS;
	worker_mem = mem_limit;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return EXFIL_EIO;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return EXFIL_EIO;
	}
	if (pid == 0) {
		close(sv[0]);
		zygote_main(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	zygote_fd = sv[0];
	for (i = 0; i < workers; i++)
		pool[i].fd = -1;
	nworkers = workers;
	return 0;
}

/* sandbox_active - do workers read the attachments? */
bool
sandbox_active(void)
{
	return zygote_fd >= 0;
}

/* a new worker from the zygote: its socket, or -1 */
static int
spawn(pid_t *pid)
{
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int fd = -1;
	char c = 'w';

	pthread_mutex_lock(&zygote_lock);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = pid;
	iov.iov_len = sizeof(*pid);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	if (write_all(zygote_fd, &c, 1) == 0 &&
	    recvmsg(zygote_fd, &mh, MSG_CMSG_CLOEXEC) == sizeof(*pid) &&
	    *pid > 0 && (cm = CMSG_FIRSTHDR(&mh)) != NULL &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	pthread_mutex_unlock(&zygote_lock);
	/* its hello says whether its system call filter is on */
	if (fd >= 0 && read_all(fd, &c, 1) < 0) {
		kill(*pid, SIGKILL);
		close(fd);
		return -1;
	}
#ifdef HAVE_SECCOMP
	/* built with the filter, yet it could not be loaded: say so once
	 * (a build without libseccomp was told by configure) */
	if (fd >= 0 && c != 'F' &&
	    !__atomic_exchange_n(&warned, true, __ATOMIC_SEQ_CST))
		log_msg(NULL, LOG_WARNING,
		    "extraction workers run without their system call filter: "
		    "seccomp(2) is forbidden here");
#endif
	return fd;
}

/* borrow a worker: an idle one, else a new one, else wait */
static struct worker *
borrow(void)
{
	struct worker *w = NULL;
	unsigned i;

	pthread_mutex_lock(&pool_lock);
	for (;;) {
		for (i = 0; i < nworkers && w == NULL; i++)
			if (!pool[i].busy)
				w = &pool[i];
		if (w)
			break;
		pthread_cond_wait(&pool_cond, &pool_lock);
	}
	w->busy = true;
	pthread_mutex_unlock(&pool_lock);
	if (w->fd < 0)
		w->fd = spawn(&w->pid);
	return w;
}

static void
give_back(struct worker *w, bool dead)
{
	if (dead && w->fd >= 0) {
		kill(w->pid, SIGKILL);
		close(w->fd);
		w->fd = -1;
	}
	pthread_mutex_lock(&pool_lock);
	w->busy = false;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

/*
 * Read the worker's answer into b until the end record, by the deadline,
 * never more than cap bytes (a worker is not trusted: a record that does
 * not add up is a dead worker). 0: whole; 1: the worker died (or sent
 * nonsense); 2: out of time; 3: over cap; EXFIL_ENOMEM.
 */
static int
drain(int fd, double deadline, size_t cap, struct buf *b, struct rec *end)
{
	struct pollfd pf = {fd, POLLIN, 0};
	size_t off = 0, need;
	char chunk[65536];
	struct rec r;
	ssize_t n;
	int ms;

	for (;;) {
		/* whole records at the front of b? */
		while (b->len - off >= sizeof(r)) {
			memcpy(&r, b->p + off, sizeof(r));
			if (r.kind == REC_END) {
				*end = r;
				b->len = off; /* the items only */
				return 0;
			}
			if (r.kind != REC_ITEM || r.where_len > 65536 ||
			    r.data_len > cap)
				return 1;
			need = sizeof(r) + r.where_len + r.data_len + 1;
			if (b->len - off < need)
				break;
			off += need;
		}
		if (b->len > cap)
			return 3;
		ms = -1;
		if (deadline > 0) {
			double left = deadline - extract_now_ms();

			if (left <= 0)
				return 2;
			ms = left > 1e6 ? 1000000 : (int)left + 1;
		}
		if ((n = poll(&pf, 1, ms)) < 0 && errno != EINTR)
			return 1;
		if (n <= 0)
			continue;
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		if (buf_append(b, chunk, (size_t)n) < 0)
			return EXFIL_ENOMEM;
	}
}

/* the items of the answer, to fn in order */
static int
replay(struct arena *a, const struct buf *b, extract_fn *fn, void *arg)
{
	struct extract_item it;
	size_t off = 0;
	struct rec r;
	char *where;
	int rc = 0;

	while (rc >= 0 && b->len - off >= sizeof(r)) {
		memcpy(&r, b->p + off, sizeof(r));
		off += sizeof(r);
		if ((where = arena_strndup(a, b->p + off, r.where_len)) == NULL)
			return EXFIL_ENOMEM;
		off += r.where_len;
		memset(&it, 0, sizeof(it));
		it.where = where;
		it.name = r.name_off >= 0 && (uint32_t)r.name_off <= r.where_len
		    ? where + r.name_off
		    : NULL;
		it.data = b->p + off;
		it.len = r.data_len;
		it.depth = r.depth;
		it.is_text = r.flags & REC_F_TEXT;
		it.encrypted = r.flags & REC_F_ENCRYPTED;
		it.unreadable = r.flags & REC_F_UNREADABLE;
		it.truncated = r.flags & REC_F_TRUNCATED;
		off += r.data_len + 1;
		rc = fn(&it, arg);
	}
	return rc < 0 ? rc : 0;
}

/* the most an answer may hold: the bytes of the members and the text */
static size_t
answer_cap(const struct extract_limits *lim)
{
	size_t exp = lim && lim->max_expanded ? lim->max_expanded
					      : EXTRACT_DEFAULT_MAX_EXPANDED;

	return 2 * exp + ((size_t)64 << 20);
}

/* sandbox_extract - extract() in a worker (see sandbox(3)) */
int
sandbox_extract(struct arena *a, const char *type, const char *where,
    const char *data, size_t len, unsigned depth,
    const struct extract_limits *lim, struct extract_state *st, extract_fn *fn,
    void *arg)
{
	struct extract_state local = {0};
	struct extract_item it;
	struct worker *w;
	struct buf b = {0};
	struct rec end = {0};
	struct req q;
	bool test;
	int how, rc;

	test = getenv("EXFIL_SANDBOX_TEST") != NULL && type &&
	    strncmp(type, "application/x-exfil-test-", 25) == 0;
	if (!sandbox_active() || (!test && !extract_handles(type)))
		return extract(
		    a, type, where, data, len, depth, lim, st, fn, arg);
	if (st == NULL)
		st = &local;
	where = where ? where : "";
	data = data ? data : "";
	memset(&q, 0, sizeof(q));
	q.magic = REQ_MAGIC;
	q.depth = depth;
	q.type_len = (uint32_t)strlen(type);
	q.where_len = (uint32_t)strlen(where);
	q.data_len = len;
	if (lim)
		q.lim = *lim;
	q.st = *st;
	if ((w = borrow())->fd < 0) {
		give_back(w, true);
		return EXFIL_EIO;
	}
	if (write_all(w->fd, &q, sizeof(q)) < 0 ||
	    write_all(w->fd, type, q.type_len) < 0 ||
	    write_all(w->fd, where, q.where_len) < 0 ||
	    write_all(w->fd, data, len) < 0)
		how = 1; /* it died before reading it all */
	else
		how = drain(
		    w->fd, lim ? lim->deadline : 0, answer_cap(lim), &b, &end);
	/* a worker that retires is replaced on its next use */
	give_back(w, how != 0 || (end.flags & REC_F_RETIRE));
	if (how == EXFIL_ENOMEM) {
		buf_free(&b);
		return EXFIL_ENOMEM;
	}
	if (how == 0)
		*st = end.st;
	/* what came before a crash or the deadline is still given */
	rc = replay(a, &b, fn, arg);
	buf_free(&b);
	if (rc < 0)
		return rc;
	if (how == 0 && end.rc == EXFIL_ENOMEM) {
		st->flags |= EXTRACT_F_LIMIT; /* RLIMIT_AS: a limit */
		return 0;
	}
	if (how == 0)
		return end.rc;
	st->flags |= how == 2 ? EXTRACT_F_TIMEOUT
	    : how == 3	      ? EXTRACT_F_LIMIT
			      : EXTRACT_F_UNREADABLE;
	memset(&it, 0, sizeof(it));
	if ((it.where = arena_strdup(a, where)) == NULL)
		return EXFIL_ENOMEM;
	it.data = "";
	it.depth = depth + 1;
	it.unreadable = true;
	return fn(&it, arg);
}
