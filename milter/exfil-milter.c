/*
 * exfil-milter.c - main(): options, configuration, socket, privilege drop,
 * signals, smfi_register, smfi_main.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include <exfil/audit.h>
#include <exfil/buf.h>
#include <exfil/callbacks.h>
#include <exfil/config.h>
#include <exfil/engine.h>
#include <exfil/extract.h>
#include <exfil/filetype.h>
#include <exfil/log.h>
#include <exfil/metrics.h>
#include <exfil/rules.h>
#include <exfil/sandbox.h>

#ifndef EXFIL_SYSCONFDIR
#define EXFIL_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF EXFIL_SYSCONFDIR "/exfil-milter/exfil-milter.conf"

static const char *conf_path = DEFAULT_CONF;
static const char *socket_override;
static struct audit *audit; /* audit_log, opened once as user */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: exfil-milter [-c conf] [-p socket] [-f] [-n] [-h] [-V]\n"
	    "  -c FILE    configuration file (default " DEFAULT_CONF ")\n"
	    "  -p SOCKET  unix:PATH or inet:PORT@ADDRESS (overrides socket)\n"
	    "  -f         stay in the foreground and log to stderr\n"
	    "  -n         check configuration and rules, print the effective\n"
	    "             configuration, and exit\n"
	    "  -h         this text\n"
	    "  -V         the version\n"
	    "Signals: SIGUSR1 reloads configuration and rules, SIGUSR2 logs\n"
	    "statistics and reopens the audit log; SIGTERM, SIGINT and SIGHUP\n"
	    "stop the daemon.\n");
}

/* configuration and rules, or a one-line error on stderr */
static int
load(struct engine **out, int quiet)
{
	struct config *cfg = NULL;
	char err[1024];
	size_t i;
	int rc;

	if (access(conf_path, F_OK) < 0 && errno == ENOENT &&
	    strcmp(conf_path, DEFAULT_CONF) == 0) {
		/* no file at the default place: built-in defaults */
		cfg = config_defaults();
		if (cfg == NULL) {
			log_msg(NULL, LOG_ERR, "out of memory");
			return EXFIL_ENOMEM;
		}
	} else if ((rc = config_load(conf_path, &cfg, err, sizeof(err))) < 0) {
		log_msg(NULL, LOG_ERR, "%s", err);
		return rc;
	}
	if (socket_override &&
	    config_set(cfg, "socket", socket_override, err, sizeof(err)) < 0) {
		log_msg(NULL, LOG_ERR, "-p: %s", err);
		config_unref(cfg);
		return EXFIL_EINVAL;
	}
	rc = engine_new(cfg, out, err, sizeof(err));
	config_unref(cfg);
	if (rc < 0) {
		log_msg(NULL, LOG_ERR, "%s", err);
		return rc;
	}
	for (i = 0; !quiet && i < (*out)->rs->nwarnings; i++)
		log_msg(NULL, LOG_WARNING, "%s", (*out)->rs->warnings[i]);
	return 0;
}

/* the path of a unix: socket, or NULL */
static const char *
unix_path(const char *sock)
{
	if (strncmp(sock, "unix:", 5) == 0)
		return sock + 5;
	if (strncmp(sock, "local:", 6) == 0)
		return sock + 6;
	if (sock[0] == '/')
		return sock;
	return NULL;
}

/*
 * A socket file left by a crashed daemon is removed, but only when a
 * connection test shows that nobody listens on it.
 */
static int
clear_stale_socket(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_msg(NULL, LOG_ERR, "%s: exists and is not a socket", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_msg(NULL, LOG_ERR, "%s: socket path too long", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_msg(NULL, LOG_ERR,
		    "%s: socket in use: another milter listens on it", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_msg(NULL, LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (unlink(path) < 0) {
		log_msg(NULL, LOG_ERR, "%s: cannot remove stale socket: %s",
		    path, strerror(errno));
		return -1;
	}
	log_msg(NULL, LOG_NOTICE, "%s: removed stale socket", path);
	return 0;
}

static int
open_socket(const struct config *cfg)
{
	const char *path = unix_path(cfg->socket);
	struct group *gr;

	if (path && clear_stale_socket(path) < 0)
		return -1;
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS) {
		log_msg(
		    NULL, LOG_ERR, "%s: bad socket specification", cfg->socket);
		return -1;
	}
	if (smfi_opensocket(false) != MI_SUCCESS) {
		log_msg(NULL, LOG_ERR,
		    "%s: cannot listen (in use, or no "
		    "permission?)",
		    cfg->socket);
		return -1;
	}
	if (path == NULL)
		return 0;
	if (cfg->socket_group[0]) {
		if ((gr = getgrnam(cfg->socket_group)) == NULL) {
			log_msg(NULL, LOG_ERR, "socket_group %s: no such group",
			    cfg->socket_group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			log_msg(NULL, LOG_ERR, "%s: chown: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	if (chmod(path, cfg->socket_mode) < 0) {
		log_msg(NULL, LOG_ERR, "%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	if (cfg->user[0]) {
		struct passwd *pw = getpwnam(cfg->user);
		if (pw && chown(path, pw->pw_uid, (gid_t)-1) < 0)
			log_msg(NULL, LOG_WARNING, "%s: chown: %s", path,
			    strerror(errno));
	}
	return 0;
}

static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;

	if (cfg->user[0] == '\0') {
		if (geteuid() == 0)
			log_msg(NULL, LOG_WARNING,
			    "running as root: set user in %s", conf_path);
		return 0;
	}
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_msg(NULL, LOG_ERR, "user %s: no such account", cfg->user);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		log_msg(NULL, LOG_ERR, "user %s: only root can change to it",
		    cfg->user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_msg(NULL, LOG_ERR, "cannot become %s: %s", cfg->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_msg(NULL, LOG_ERR, "privileges were not dropped");
		return -1;
	}
	return 0;
}

/* what the daemon must be able to reach as its user */
static int
check_access(const struct config *cfg)
{
	if (access(cfg->quarantine_dir, W_OK | X_OK) < 0) {
		log_msg(NULL, LOG_ERR,
		    "quarantine_dir %s: %s (it must exist "
		    "and be writable by the milter's user)",
		    cfg->quarantine_dir, strerror(errno));
		return -1;
	}
	if (access(cfg->rules_dir, R_OK | X_OK) < 0)
		log_msg(NULL, LOG_WARNING,
		    "rules_dir %s: %s: a reload (SIGUSR1) would fail",
		    cfg->rules_dir, strerror(errno));
	if (access(conf_path, R_OK) < 0 && errno != ENOENT)
		log_msg(NULL, LOG_WARNING,
		    "%s: %s: a reload (SIGUSR1) would fail", conf_path,
		    strerror(errno));
	if (access(cfg->spool_dir, W_OK | X_OK) < 0) {
		log_msg(NULL, LOG_ERR, "spool_dir %s: %s", cfg->spool_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
write_pid(const struct config *cfg)
{
	FILE *fp;

	if (cfg->pid_file[0] == '\0')
		return;
	if ((fp = fopen(cfg->pid_file, "we")) == NULL) {
		log_msg(NULL, LOG_WARNING, "%s: %s", cfg->pid_file,
		    strerror(errno));
		return;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

static void
log_stats(void)
{
	struct callbacks_stats s;
	struct buf b = {0};

	callbacks_stats(&s);
	log_msg(NULL, LOG_INFO,
	    "stats: messages=%lu accept=%lu tag=%lu quarantine=%lu "
	    "reject=%lu tempfail=%lu errors=%lu",
	    s.messages, s.by_action[ACTION_ACCEPT], s.by_action[ACTION_TAG],
	    s.by_action[ACTION_QUARANTINE], s.by_action[ACTION_REJECT],
	    s.by_action[ACTION_TEMPFAIL], s.errors);
	if (metrics_summary(&b) == 0)
		log_msg(NULL, LOG_INFO, "%s", b.p);
	buf_free(&b);
}

/*
 * SIGUSR1: reload; SIGUSR2: statistics and reopen the audit log. libmilter
 * owns the others. Once a second: sync the audit log (audit_fsync =
 * periodic).
 */
static void *
signal_thread(void *arg)
{
	const struct timespec second = {1, 0};
	sigset_t *set = arg;
	struct engine *e;
	int sig;

	for (;;) {
		audit_flush(audit);
		if ((sig = sigtimedwait(set, NULL, &second)) < 0)
			continue;
		if (sig == SIGUSR1) {
			if (load(&e, 0) == 0) {
				callbacks_set_engine(e);
				log_msg(NULL, LOG_NOTICE,
				    "reloaded %s: %zu rules", conf_path,
				    e->rs->nrules);
			} else {
				log_msg(NULL, LOG_ERR,
				    "reload failed: keeping the running rules");
			}
		} else if (sig == SIGUSR2) {
			log_stats();
			if (audit_reopen(audit) < 0)
				log_msg(NULL, LOG_ERR, "cannot reopen %s: %s",
				    audit_path(audit), strerror(errno));
			else if (audit_enabled(audit))
				log_msg(NULL, LOG_NOTICE, "reopened %s",
				    audit_path(audit));
		}
	}
	return NULL;
}

static int
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static sigset_t sigs;
	sigset_t blocked;
	struct rlimit nocore = {0, 0};
	struct engine *e = NULL;
	const struct config *cfg;
	pthread_t tid;
	char err[1024];
	int c, foreground = 0, check = 0, rc;

	while ((c = getopt(argc, argv, "c:p:fnhV")) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'p':
			socket_override = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(
			    "exfil-milter %s (libmilter)\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	log_open("exfil-milter", 1, LOG_MAIL);
	if (load(&e, 0) < 0)
		return 1;
	cfg = e->cfg;
	if (check) {
		if (audit_check(cfg, err, sizeof(err)) < 0) {
			log_msg(NULL, LOG_ERR, "%s", err);
			engine_unref(e);
			return 1;
		}
		config_dump(cfg, stdout);
		printf("# %s: %zu rules, %zu policy statements\n",
		    cfg->rules_dir, e->rs->nrules, e->rs->npolicy);
		engine_unref(e);
		return 0;
	}
	log_set_level(cfg->log_level);
	/* no core dumps: they would hold message content */
	setrlimit(RLIMIT_CORE, &nocore);
	extract_init(); /* libxml2 and libarchive, before any thread */
	if (filetype_init(cfg->magic_handles) < 0) {
		log_msg(NULL, LOG_ERR, "cannot load the libmagic database");
		return 1;
	}
	/* libmilter opens the socket only for a registered filter */
	smfi_settimeout(cfg->milter_timeout);
	if (smfi_register(callbacks_desc) != MI_SUCCESS) {
		log_msg(NULL, LOG_ERR, "smfi_register failed");
		return 1;
	}
	if (open_socket(cfg) < 0)
		return 1;
	if (!foreground) {
		if (daemonize() < 0) {
			log_msg(NULL, LOG_ERR, "cannot daemonize: %s",
			    strerror(errno));
			return 1;
		}
		log_open("exfil-milter", 0, cfg->syslog_facility);
	}
	write_pid(cfg); /* as root, where root may write */
	if (drop_privileges(cfg) < 0 || check_access(cfg) < 0)
		return 1;
	/* as user, so that a rotated log is reopened as the same owner */
	if (audit_open(cfg, &audit, err, sizeof(err)) < 0) {
		log_msg(NULL, LOG_ERR, "%s", err);
		return 1;
	}
	callbacks_set_audit(audit);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the extraction workers' helper: forked while we have one thread */
	if (sandbox_init(cfg->extract_workers, cfg->extract_memory_limit) < 0) {
		log_msg(NULL, LOG_ERR, "cannot start the extraction workers");
		return 1;
	}
	/*
	 * Our thread waits for SIGUSR1 and SIGUSR2. Every thread, ours too,
	 * must block the signals libmilter's own thread waits for (SIGHUP,
	 * SIGTERM, SIGINT): a thread that does not would take them with
	 * their default action and kill the daemon without a clean stop.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	if (pthread_create(&tid, NULL, signal_thread, &sigs) != 0) {
		log_msg(NULL, LOG_ERR, "cannot start the signal thread");
		return 1;
	}
	pthread_detach(tid);
	if (cfg->metrics_listen[0]) {
		if (metrics_serve(cfg->metrics_listen, cfg->quarantine_dir, err,
			sizeof(err)) < 0) {
			log_msg(NULL, LOG_ERR, "%s", err);
			return 1;
		}
		log_msg(NULL, LOG_INFO, "metrics on http://%s/metrics",
		    cfg->metrics_listen);
	}
	log_msg(NULL, LOG_INFO, "exfil-milter %s listening on %s: %zu rules",
	    PACKAGE_VERSION, cfg->socket, e->rs->nrules);
	callbacks_set_engine(e); /* the callbacks own it now */
	rc = smfi_main();
	log_msg(NULL, LOG_INFO, "stopping");
	callbacks_set_engine(NULL);
	callbacks_set_audit(NULL);
	/* the signal thread still flushes it: sync, and let exit close it */
	audit_sync(audit);
	filetype_fini();
	return rc == MI_SUCCESS ? 0 : 1;
}
