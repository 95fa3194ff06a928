/*
 * spawn.c - child processes: fork/exec with an argv array (never through
 * sh), signals blocked across fork, /dev/null on stdio, _exit on any
 * child failure; every run bounded in time.
 */
#include "roost.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_TIMEOUT_MS	15000	/* any one tmux, crontab or launchctl run */

#ifndef NSIG
#define NSIG 65		/* not POSIX; covers every signal on Linux and macOS */
#endif

static void
child_fds(int flags, int outfd, int errfd, int keep)
{
	int nul, fd, max;

	if ((nul = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	if (dup2(nul, 0) == -1)
		_exit(127);
	if (dup2(outfd >= 0 ? outfd : nul, 1) == -1)
		_exit(127);
	if (dup2(errfd >= 0 ? errfd : ((flags & SP_NULLIO) ? nul : 2), 2) == -1)
		_exit(127);
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 4096)
		max = 4096;
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			(void)close(fd);
}

/*
 * Start argv[0] (an absolute path) with argv.  stdout goes to outfd (or
 * /dev/null), stderr to errfd (or stays, unless SP_NULLIO).  With
 * SP_SETSID the child leads a new session and process group.
 */
static pid_t
spawn(const char *const argv[], int flags, int outfd, int errfd)
{
	sigset_t all, old;
	pid_t pid;
	ssize_t n;
	int i, e = 0, st, ex[2];

	/* Closed by the exec (close-on-exec): reading EOF from it means the
	 * child runs argv[0] now, so its /proc cmdline says so (the tick
	 * checks a canary's pid by it) or it is gone. */
	if (pipe(ex) == -1)
		return err_errno("pipe");
	(void)fcntl(ex[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(ex[1], F_SETFD, FD_CLOEXEC);
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		for (i = 1; i < NSIG; i++)
			if (i != SIGKILL && i != SIGSTOP)
				(void)signal(i, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		(void)close(ex[0]);
		if ((flags & SP_SETSID) && setsid() == -1)
			_exit(127);
		child_fds(flags, outfd, errfd, ex[1]);
		execv(argv[0], (char *const *)argv);
		e = errno;	/* tell the parent why, through the pipe */
		n = write(ex[1], &e, sizeof e);
		_exit(n == (ssize_t)sizeof e ? 127 : 126);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		(void)err_set(RX_FAIL, "fork: %s", strerror(errno));
		(void)close(ex[0]), (void)close(ex[1]);
		return -1;
	}
	(void)close(ex[1]);
	do
		n = read(ex[0], &e, sizeof e);
	while (n == -1 && errno == EINTR);
	(void)close(ex[0]);
	if (n == (ssize_t)sizeof e) {	/* exec failed: nothing runs */
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		return err_set(RX_FAIL, "%s: cannot execute: %s", argv[0],
		    strerror(e));
	}
	return pid;
}

/*
 * Start argv as a grandchild that leads its own session, so it is never
 * our zombie and its process group can be signalled as a whole.  Returns
 * its pid.
 */
pid_t
spawn_detached(const char *const argv[])
{
	int p[2], st;
	pid_t mid, pid = -1;
	ssize_t n;

	if (pipe(p) == -1)
		return err_errno("pipe");
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	mid = fork();
	if (mid == -1) {
		(void)close(p[0]), (void)close(p[1]);
		return err_set(RX_FAIL, "fork: %s", strerror(errno));
	}
	if (mid == 0) {
		pid_t g;

		(void)close(p[0]);
		g = spawn(argv, SP_SETSID | SP_NULLIO, -1, -1);
		n = write(p[1], &g, sizeof g);
		_exit(n == (ssize_t)sizeof g && g > 0 ? 0 : 1);
	}
	(void)close(p[1]);
	do
		n = read(p[0], &pid, sizeof pid);
	while (n == -1 && errno == EINTR);
	(void)close(p[0]);
	while (waitpid(mid, &st, 0) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof pid || pid <= 0)
		return err_set(RX_FAIL, "cannot start %s", argv[0]);
	return pid;
}

static int
waitfor(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return err_set(RX_FAIL, "waitpid: %s", strerror(errno));
	return 0;
}

/* Run to completion capturing stdout and stderr; *status as from wait. */
static int
spawn_run(const char *const argv[], struct buf *out, struct buf *errout,
    int *status)
{
	int po[2], pe[2], open_fds = 2, timed_out = 0;
	struct timespec t0;
	struct pollfd pfd[2];
	char chunk[4096];
	pid_t pid;

	if (pipe(po) == -1)
		return err_errno("pipe");
	if (pipe(pe) == -1) {
		(void)close(po[0]), (void)close(po[1]);
		return err_errno("pipe");
	}
	(void)fcntl(po[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(pe[0], F_SETFD, FD_CLOEXEC);
	pid = spawn(argv, 0, po[1], pe[1]);
	(void)close(po[1]);
	(void)close(pe[1]);
	if (pid == -1) {
		(void)close(po[0]), (void)close(pe[0]);
		return -1;
	}
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while (open_fds > 0) {
		long left = RUN_TIMEOUT_MS - now_ms_since(&t0);
		int i, r;

		/* A stopped or wedged tmux server must not hold a tick (and so
		 * every identity) hostage: the client gets a deadline. */
		if (left <= 0) {
			(void)kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if ((r = poll(pfd, 2, (int)left)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0)
			continue;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n > 0) {
				struct buf *b = i == 0 ? out : errout;

				if (b != NULL)
					buf_add(b, chunk, (size_t)n);
				continue;
			}
			if (n == -1 && errno == EINTR)
				continue;
			(void)close(pfd[i].fd);
			pfd[i].fd = -1;
			open_fds--;
		}
	}
	if (pfd[0].fd >= 0)
		(void)close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		(void)close(pfd[1].fd);
	if (out != NULL)
		(void)buf_str(out);
	if (errout != NULL)
		(void)buf_str(errout);
	if (waitfor(pid, status) == -1)
		return -1;
	if (timed_out)
		return err_set(RX_FAIL, "%s: no answer after %d s, killed", argv[0],
		    RUN_TIMEOUT_MS / 1000);
	return 0;
}

/*
 * Run argv to completion: stdout into out (may be NULL), the first line
 * of stderr into err1 (may be NULL).  Returns the exit status, 256 + N
 * when killed by signal N, or -1 when it could not run at all.
 */
int
spawn_tool(const char *const argv[], struct buf *out, struct buf *err1)
{
	struct buf err = { 0 };
	int st;

	if (spawn_run(argv, out, &err, &st) == -1) {
		buf_free(&err);
		return -1;
	}
	if (err1 != NULL) {
		buf_firstline(&err);
		buf_reset(err1);
		buf_adds(err1, err.s);
	}
	buf_free(&err);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 256 + WTERMSIG(st) : 256;
}

/* The first executable name on $PATH, as an absolute path. */
int
spawn_which(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");

	while (path != NULL && *path != '\0') {
		size_t l = strcspn(path, ":");

		if (l > 0 && path[0] == '/' && snprintf(out, n, "%.*s/%s",
		    (int)l, path, name) < (int)n && access(out, X_OK) == 0)
			return 0;
		path += l + (path[l] == ':');
	}
	return -1;
}

/* A tool named by an environment override, else found on $PATH. */
int
spawn_find(const char *env, const char *name, char *out, size_t n)
{
	const char *e = getenv(env);

	if (e != NULL && *e != '\0') {
		if (snprintf(out, n, "%s", e) >= (int)n)
			return err_set(RX_FAIL, "%s: too long", env);
		if (access(out, X_OK) == -1)
			return err_set(RX_FAIL, "%s=%s: %s", env, out,
			    strerror(errno));
		return 0;
	}
	if (spawn_which(name, out, n) == 0)
		return 0;
	return err_set(RX_FAIL, "%s: command not found (set %s)", name, env);
}
