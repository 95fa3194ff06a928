/*
 * spawn.c - child processes: fork/exec with an argv array (never through
 * sh), signals blocked across fork, /dev/null on stdio, _exit on any
 * child failure; every run bounded in time.
 */
/* closefrom(3) and close_range(2) are declared only outside strict
 * POSIX; configure probed them with these macros. */
#include "config.h"
#if HAVE_CLOSEFROM
#define _DEFAULT_SOURCE 1
#endif
#if HAVE_CLOSE_RANGE
#define _GNU_SOURCE 1
#endif
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

#ifndef NSIG
#define NSIG 65		/* not POSIX; covers every signal on Linux and macOS */
#endif

/* The child's stdio: stdin from infd (or /dev/null), stdout to outfd (or
 * /dev/null), stderr to errfd (or left, unless SP_NULLIO); nothing else
 * open but keep1 and keep2. */
static void
child_fds(int flags, int infd, int outfd, int errfd, int keep1, int keep2)
{
	int nul, fd, max;

	if ((nul = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	if (dup2(infd >= 0 ? infd : nul, 0) == -1)
		_exit(127);
	if (dup2(outfd >= 0 ? outfd : nul, 1) == -1)
		_exit(127);
	if (dup2(errfd >= 0 ? errfd : ((flags & SP_NULLIO) ? nul : 2), 2) == -1)
		_exit(127);
	/* Below the higher kept descriptor one close each (a few), above it
	 * one call where the system has one. */
	max = keep1 > keep2 ? keep1 : keep2;
	for (fd = 3; fd < max; fd++)
		if (fd != keep1 && fd != keep2)
			(void)close(fd);
	fd = max < 3 ? 3 : max + 1;
#if HAVE_CLOSEFROM
	closefrom(fd);
#else
#if HAVE_CLOSE_RANGE
	if (close_range((unsigned)fd, ~0U, 0) == 0)
		return;
#endif
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 4096)
		max = 4096;
	for (; fd < max; fd++)
		(void)close(fd);
#endif
}

/* The child's side of every spawn: default signals, a session of its own
 * with SP_SETSID, and its stdio (child_fds). */
static void
child_setup(int flags, int infd, int outfd, int errfd, int keep1, int keep2)
{
	int i;

	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			(void)signal(i, SIG_DFL);
	if ((flags & SP_SETSID) && setsid() == -1)
		_exit(127);
	child_fds(flags, infd, outfd, errfd, keep1, keep2);
}

/* exec argv, or tell the parent why not through ex and _exit. */
static void
child_exec(const char *const argv[], char *const envp[], int ex)
{
	ssize_t n;
	int e;

	if (envp != NULL)
		execve(argv[0], (char *const *)argv, envp);
	else
		execv(argv[0], (char *const *)argv);
	e = errno;
	n = write(ex, &e, sizeof e);
	_exit(n == (ssize_t)sizeof e ? 127 : 126);
}

static int
read_full(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r == (ssize_t)n ? 0 : -1;
}

static int
pipe_cloexec(int p[2])
{
	if (pipe(p) == -1)
		return err_errno("pipe");
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * Start argv[0] (an absolute path) with argv.  stdin comes from infd (or
 * /dev/null), stdout goes to outfd (or /dev/null), stderr to errfd (or
 * stays, unless SP_NULLIO).  Returns once
 * the child runs argv[0] (a close-on-exec pipe says so), so its argv is
 * already the program's, or with an error when the exec failed.
 */
static pid_t
spawn(const char *const argv[], int flags, int infd, int outfd, int errfd)
{
	sigset_t all, old;
	pid_t pid;
	int e = 0, st, ex[2];

	if (pipe_cloexec(ex) == -1)
		return -1;
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		(void)close(ex[0]);
		child_setup(flags, infd, outfd, errfd, ex[1], -1);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		sig_child();
		child_exec(argv, NULL, ex[1]);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		(void)err_set(RX_FAIL, "fork: %s", strerror(errno));
		(void)close(ex[0]), (void)close(ex[1]);
		return -1;
	}
	(void)close(ex[1]);
	if (read_full(ex[0], &e, sizeof e) == 0) {	/* exec failed */
		(void)close(ex[0]);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		return err_set(RX_FAIL, "%s: cannot execute: %s", argv[0],
		    strerror(e));
	}
	(void)close(ex[0]);
	return pid;
}

/*
 * Start argv (with envp, or this environment when NULL) as a child that
 * leads its own session, so its process group is its own, with stdio on
 * /dev/null: one fork.  It is never waited for here: it outlives us (and
 * is then init's), and should it end first its zombie lasts until we do
 * (short: every caller but `tick --every` ends soon; that loop reaps).
 * When hold is not NULL the child waits before its exec until hold(pid,
 * arg) has returned 0 (anything else and it exits without running argv):
 * the caller can record the pid before the program can possibly need the
 * record.  Returns the pid once argv runs.
 */
pid_t
spawn_detached(const char *const argv[], char *const envp[],
    int (*hold)(pid_t, void *), void *arg)
{
	int h[2], ex[2], st, e = 0, rc = 0;
	pid_t pid;
	sigset_t all, old;
	char go = 1;

	if (pipe_cloexec(ex) == -1)
		return -1;
	if (pipe_cloexec(h) == -1) {
		(void)close(ex[0]), (void)close(ex[1]);
		return -1;
	}
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0) {
		(void)close(ex[0]);
		(void)close(h[1]);
		child_setup(SP_SETSID | SP_NULLIO, -1, -1, -1, ex[1], h[0]);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		sig_child();
		if (read_full(h[0], &go, 1) == -1)
			_exit(0);	/* not released */
		(void)close(h[0]);
		child_exec(argv, envp, ex[1]);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(ex[1]);
	(void)close(h[0]);
	if (pid == -1) {
		(void)close(ex[0]), (void)close(h[1]);
		return err_set(RX_FAIL, "fork: %s", strerror(errno));
	}
	if (hold != NULL && hold(pid, arg) == -1)
		rc = -1;
	else if (write(h[1], &go, 1) != 1)
		rc = err_set(RX_FAIL, "cannot start %s: %s", argv[0],
		    strerror(errno));
	(void)close(h[1]);
	if (rc == 0 && read_full(ex[0], &e, sizeof e) == 0)
		rc = err_set(RX_FAIL, "%s: cannot execute: %s", argv[0],
		    strerror(e));
	(void)close(ex[0]);
	/* Not running argv: it ends at once; no zombie of it stays. */
	if (rc != 0)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	return rc == 0 ? pid : -1;
}

/*
 * Become a detached process: 0 in a grandchild of the caller that leads
 * its own session, with stdio on /dev/null and no other descriptor open
 * (no lock of the caller's stays held by it); 1 in the caller, which
 * never waits for it and never gets its zombie; -1 when fork fails.
 */
int
spawn_daemon(void)
{
	pid_t mid;
	int st;

	if ((mid = fork()) == -1)
		return err_set(RX_FAIL, "fork: %s", strerror(errno));
	if (mid == 0) {
		pid_t g = fork();

		if (g != 0)
			_exit(g == -1 ? 1 : 0);
		(void)setsid();
		child_fds(SP_NULLIO, -1, -1, -1, -1, -1);
		return 0;
	}
	while (waitpid(mid, &st, 0) == -1 && errno == EINTR)
		;
	return 1;
}

/*
 * Run argv in a session of its own with in (len bytes) on its stdin and
 * stdio otherwise on /dev/null, and wait at most ms for it: 0 when it
 * ended (*status as from wait), 1 when it ran out of time and its
 * process group was killed, -1 when it could not start.
 */
int
spawn_feed(const char *const argv[], const char *in, size_t len, long ms,
    int *status)
{
	struct timespec t0;
	void (*old)(int);
	int p[2], late = 0;
	ssize_t w;
	pid_t pid, r;

	if (pipe(p) == -1)
		return err_errno("pipe");
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	pid = spawn(argv, SP_SETSID | SP_NULLIO, p[0], -1, -1);
	(void)close(p[0]);
	if (pid == -1) {
		(void)close(p[1]);
		return -1;
	}
	/* A hook that does not read its stdin must not kill us. */
	old = signal(SIGPIPE, SIG_IGN);
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	w = write(p[1], in, len);	/* short or failed: it did not read */
	(void)w;
	(void)close(p[1]);
	(void)signal(SIGPIPE, old);
	now_mono(&t0);
	while ((r = waitpid(pid, status, WNOHANG)) == 0 ||
	    (r == -1 && errno == EINTR)) {
		if (!late && now_ms_since(&t0) >= ms) {
			(void)kill(-pid, SIGKILL);
			late = 1;
		}
		now_sleep_ms(10);
	}
	return late;
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
    int *status, long timeout)
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
	pid = spawn(argv, 0, -1, po[1], pe[1]);
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
		long left = timeout - now_ms_since(&t0);
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
		return err_set(RX_FAIL, "%s: no answer after %ld ms, killed",
		    argv[0], timeout);
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
	return spawn_tool_ms(argv, out, err1, RUN_TIMEOUT_MS);
}

/* Tests that wait out a tool's time limit (a wedged server, a socket
 * that is not tmux's) shorten every limit to ROOST_TEST_TOOL_TIMEOUT_MS. */
long
spawn_timeout(long ms)
{
	const char *e = getenv("ROOST_TEST_TOOL_TIMEOUT_MS");
	unsigned long cap;

	if (e == NULL || num_ulong(e, (unsigned long)ms, &cap) == -1 || cap == 0)
		return ms;
	return (long)cap;
}

/* The same, killed after timeout ms. */
int
spawn_tool_ms(const char *const argv[], struct buf *out, struct buf *err1,
    long timeout)
{
	struct buf err = { 0 };
	int st;

	if (spawn_run(argv, out, &err, &st, spawn_timeout(timeout)) == -1) {
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

/*
 * Carry on in a child that leads a session of its own and ignores
 * SIGHUP; this process waits for it and exits with its status.  For a
 * command run from inside the very session it tears down: the teardown
 * hangs up and signals that session's processes, not this child.
 */
void
spawn_detach(void)
{
	pid_t pid;
	int st;

	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == -1)
		return;		/* carry on here: better than not at all */
	if (pid == 0) {
		(void)setsid();
		(void)signal(SIGHUP, SIG_IGN);
		return;
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : RX_FAIL);
}
