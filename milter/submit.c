/*
 * submit.c - hand a message to the MTA (see include/exfil/submit.h)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exfil/buf.h>
#include <exfil/common.h>
#include <exfil/submit.h>

extern char **environ;

/* the local sendmail command, the message on its standard input */
static int
via_sendmail(const char *path, const char *from, char *const *rcpts,
    size_t nrcpts, const char *msg, size_t len, char *err, size_t errlen)
{
	char **argv;
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc = EXFIL_EIO, sp;
	pid_t pid;
	size_t i;

	if ((argv = calloc(nrcpts + 7, sizeof(*argv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EXFIL_ENOMEM;
	}
	argv[0] = (char *)"sendmail";
	argv[1] = (char *)"-i";
	argv[2] = (char *)"-f";
	argv[3] = (char *)from;
	argv[4] = (char *)"--";
	for (i = 0; i < nrcpts; i++)
		argv[5 + i] = rcpts[i];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(argv);
		return EXFIL_EIO;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	sp = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	free(argv);
	if (sp != 0) {
		snprintf(
		    err, errlen, "cannot start %s: %s", path, strerror(sp));
		close(fds[1]);
		return EXFIL_EIO;
	}
	if (exfil_write_all(fds[1], msg, len) == 0)
		rc = 0;
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen, "%s failed (%s %d)", path,
	    WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return EXFIL_EIO;
}

/* read one SMTP reply (all its lines); its code, or -1; text in err */
static int
smtp_reply(int fd, char *err, size_t errlen)
{
	char buf[2048];
	size_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t r;
	char *line, *nl;

	for (;;) {
		if (poll(&p, 1, SUBMIT_TIMEOUT_MS) <= 0) {
			snprintf(err, errlen, "timeout waiting for the server");
			return -1;
		}
		if ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) <= 0) {
			snprintf(
			    err, errlen, "connection closed by the server");
			return -1;
		}
		n += (size_t)r;
		buf[n] = '\0';
		/* the last line of a reply has a blank after the code */
		for (line = buf; (nl = strchr(line, '\n')) != NULL;
		     line = nl + 1) {
			if (nl - line >= 4 && line[3] == ' ') {
				*nl = '\0';
				if (nl > line && nl[-1] == '\r')
					nl[-1] = '\0';
				snprintf(err, errlen, "%s", line);
				return atoi(line);
			}
		}
		if (n >= sizeof(buf) - 1) {
			/* a very long multi-line reply: keep its last part */
			n = strlen(line);
			memmove(buf, line, n);
		}
	}
}

/* send cmd (NULL: none) and read the reply: 0 when its class is want */
static int
smtp_cmd(
    int fd, const char *cmd, size_t len, int want, char *err, size_t errlen)
{
	if (cmd && exfil_write_all(fd, cmd, len) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return smtp_reply(fd, err, errlen) / 100 == want ? 0 : -1;
}

/* one command line: verb, argument, end (">" for addresses) and CRLF */
static int
smtp_line(int fd, int want, char *err, size_t errlen, const char *verb,
    const char *arg, const char *end)
{
	char cmd[1100];
	int n = snprintf(cmd, sizeof(cmd), "%s%s%s\r\n", verb, arg, end);

	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	return smtp_cmd(fd, cmd, (size_t)n, want, err, errlen);
}

/* the DATA payload: CRLF line ends, dot-stuffed, the final dot */
static int
data_payload(const char *msg, size_t len, struct buf *out)
{
	const char *p = msg, *end = msg + len, *nl;
	size_t n;
	int rc = 0;

	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (*p == '.')
			rc = buf_putc(out, '.');
		if (rc == 0)
			rc = buf_append(out, p, n);
		if (rc == 0)
			rc = buf_append(out, "\r\n", 2);
		p = nl ? nl + 1 : end;
	}
	return rc ? rc : buf_append(out, ".\r\n", 3);
}

/* submit by SMTP to HOST:PORT */
static int
via_smtp(const char *hostport, const char *from, char *const *rcpts,
    size_t nrcpts, const char *msg, size_t len, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], reply[1024], *port;
	struct timeval tv = {SUBMIT_TIMEOUT_MS / 1000, 0};
	struct buf data = {0};
	int fd = -1, rc = EXFIL_EIO, gai;
	size_t i;

	snprintf(host, sizeof(host), "%s", hostport);
	if ((port = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "%s: expected HOST:PORT", hostport);
		return EXFIL_EIO;
	}
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') { /* [::1]:25 */
		memmove(host, host + 1, strlen(host));
		port[-3] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &ai)) != 0 || ai == NULL) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(gai));
		goto out;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	/* bounded: connect and every read and write give up in time */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		snprintf(err, errlen, "connect to %s: %s", hostport,
		    strerror(errno));
		goto out;
	}
	if (data_payload(msg, len, &data) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (smtp_cmd(fd, NULL, 0, 2, reply, sizeof(reply)) < 0 ||
	    (smtp_line(fd, 2, reply, sizeof(reply), "EHLO ",
		 "exfil-milter.localhost", "") < 0 &&
		smtp_line(fd, 2, reply, sizeof(reply), "HELO ",
		    "exfil-milter.localhost", "") < 0) ||
	    smtp_line(fd, 2, reply, sizeof(reply), "MAIL FROM:<", from, ">") <
		0)
		goto failed;
	for (i = 0; i < nrcpts; i++)
		if (smtp_line(fd, 2, reply, sizeof(reply), "RCPT TO:<",
			rcpts[i], ">") < 0) {
			char why[1024];
			snprintf(why, sizeof(why), "%s", reply);
			(void)smtp_cmd(
			    fd, "RSET\r\n", 6, 2, reply, sizeof(reply));
			snprintf(err, errlen, "recipient %s refused: %s",
			    rcpts[i], why);
			goto out;
		}
	if (smtp_cmd(fd, "DATA\r\n", 6, 3, reply, sizeof(reply)) < 0 ||
	    smtp_cmd(fd, data.p, data.len, 2, reply, sizeof(reply)) < 0)
		goto failed;
	(void)smtp_cmd(fd, "QUIT\r\n", 6, 2, reply, sizeof(reply));
	rc = 0;
	goto out;
failed:
	snprintf(err, errlen, "%s: %s", hostport, reply);
out:
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	buf_free(&data);
	return rc;
}

/* submit_message - sendmail:PATH or smtp:HOST:PORT */
int
submit_message(const char *via, const char *from, char *const *rcpts,
    size_t nrcpts, const char *msg, size_t len, char *err, size_t errlen)
{
	if (strncmp(via, "smtp:", 5) == 0)
		return via_smtp(
		    via + 5, from, rcpts, nrcpts, msg, len, err, errlen);
	if (strncmp(via, "sendmail:", 9) == 0)
		return via_sendmail(
		    via + 9, from, rcpts, nrcpts, msg, len, err, errlen);
	snprintf(
	    err, errlen, "%s: expected sendmail:PATH or smtp:HOST:PORT", via);
	return EXFIL_EIO;
}
