/*
 * proc.c - child processes (fork/exec with an argv array, signals blocked
 * across fork, /dev/null on stdio, _exit on any child failure) and the
 * platform seam: the few things only /proc can answer, with fallbacks.
 */
#include "roost.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
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
pid_t
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
		return rerr_errno("pipe");
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
		(void)rerr(RX_FAIL, "fork: %s", strerror(errno));
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
		return rerr(RX_FAIL, "%s: cannot execute: %s", argv[0],
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
		return rerr_errno("pipe");
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	mid = fork();
	if (mid == -1) {
		(void)close(p[0]), (void)close(p[1]);
		return rerr(RX_FAIL, "fork: %s", strerror(errno));
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
		return rerr(RX_FAIL, "cannot start %s", argv[0]);
	return pid;
}

static int
waitfor(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return rerr(RX_FAIL, "waitpid: %s", strerror(errno));
	return 0;
}

/* Run to completion capturing stdout and stderr; *status as from wait. */
int
run(const char *const argv[], struct buf *out, struct buf *errout,
    int *status)
{
	int po[2], pe[2], open_fds = 2, timed_out = 0;
	struct timespec t0;
	struct pollfd pfd[2];
	char chunk[4096];
	pid_t pid;

	if (pipe(po) == -1)
		return rerr_errno("pipe");
	if (pipe(pe) == -1) {
		(void)close(po[0]), (void)close(po[1]);
		return rerr_errno("pipe");
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
		long left = RUN_TIMEOUT_MS - ms_since(&t0);
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
		return rerr(RX_FAIL, "%s: no answer after %d s, killed", argv[0],
		    RUN_TIMEOUT_MS / 1000);
	return 0;
}

#if HAVE_PROC_SELF
/* /proc/<pid>/stat is "pid (comm) S ppid pgrp ...": the state letter and
 * the process group, read after the last ')' (comm may hold anything).
 * -2 when the process is gone, -1 when the line cannot be read. */
static int
proc_stat(const char *pid, char *state, long *pgrp)
{
	char p[64], st[512], *rp;
	ssize_t n;
	int fd;

	(void)snprintf(p, sizeof p, "/proc/%.20s/stat", pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? -2 : -1;
	n = read(fd, st, sizeof st - 1);
	(void)close(fd);
	if (n <= 0)
		return -2;	/* gone between open and read */
	st[n] = '\0';
	if ((rp = strrchr(st, ')')) == NULL || rp[1] != ' ' || rp[2] == '\0')
		return -1;
	*state = rp[2];
	if (pgrp != NULL && sscanf(rp + 3, "%*d %ld", pgrp) != 1)
		return -1;
	return 0;
}
#endif

/*
 * Alive, and not a zombie: where init does not reap promptly (some
 * containers) a dead tmux server or canary lingers as a zombie that
 * kill(0) still finds.  /proc tells; elsewhere kill(0) is the answer.
 */
int
pid_alive(pid_t pid)
{
	if (pid <= 1)
		return 0;
	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
#if HAVE_PROC_SELF
	{
		char num[24], state;
		int rc;

		(void)snprintf(num, sizeof num, "%ld", (long)pid);
		rc = proc_stat(num, &state, NULL);
		if (rc == -2 || (rc == 0 && (state == 'Z' || state == 'X')))
			return 0;
	}
#endif
	return 1;
}

/*
 * Some member of process group pgid is alive (zombies do not count): a
 * pane's program can outlive the pane's own process (the shell layers of
 * the launch script die of the hangup, a program ignoring it does not).
 */
int
pgrp_alive(pid_t pgid)
{
	if (pgid <= 1 || (kill(-pgid, 0) == -1 && errno != EPERM))
		return 0;
#if HAVE_PROC_SELF
	{
		struct dirent *e;
		DIR *d;
		int found = 0;

		if ((d = opendir("/proc")) == NULL)
			return 1;
		while (!found && (e = readdir(d)) != NULL) {
			char state;
			long pg;

			/* Zombies of the group are not alive. */
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
			    proc_stat(e->d_name, &state, &pg) == 0 &&
			    state != 'Z' && state != 'X' && pg == (long)pgid)
				found = 1;
		}
		(void)closedir(d);
		return found;
	}
#else
	return 1;
#endif
}

/*
 * Is pid alive and running script?  Pids get reused; on Linux the
 * cmdline tells whether it is still our canary.  Elsewhere kill(0) is
 * what we have.
 */
int
pid_runs_script(pid_t pid, const char *script)
{
#if HAVE_PROC_SELF
	char p[64], cmd[PATHBUF * 2];
	size_t i;
	ssize_t n;
	int fd;

	/* kill(0) only: a zombie's cmdline is empty, so the read below
	 * already rejects it without pid_alive's /proc/<pid>/stat. */
	if (pid <= 1 || (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
	(void)snprintf(p, sizeof p, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : 1;
	n = read(fd, cmd, sizeof cmd - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;	/* a zombie has an empty cmdline */
	cmd[n] = '\0';
	for (i = 0; i < (size_t)n; i += strlen(cmd + i) + 1)
		if (strcmp(cmd + i, script) == 0)
			return 1;
	return 0;
#else
	(void)script;
	return pid_alive(pid);
#endif
}

/* Poll (reaping if it is our child) until pid is gone; 0 gone, -1 not. */
int
wait_gone(pid_t pid, long ms)
{
	struct timespec t0;
	int st;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		(void)waitpid(pid, &st, WNOHANG);
		if (!pid_alive(pid))
			return 0;
		if (ms_since(&t0) >= ms)
			return -1;
		sleep_ms(2);
	}
}

/* The absolute path of this program, for scripts and scheduler entries:
 * /proc/self/exe where there is one, else argv[0] made absolute (against
 * the working directory or PATH). */
int
exe_path(const char *argv0, char *out, size_t n)
{
	char cwd[PATHBUF];
	int len;
#if HAVE_PROC_SELF
	ssize_t l = readlink("/proc/self/exe", out, n - 1);

	if (l > 0 && (size_t)l < n - 1) {
		out[l] = '\0';
		return 0;
	}
#endif
	if (argv0 == NULL || *argv0 == '\0')
		return -1;
	if (argv0[0] == '/')
		len = snprintf(out, n, "%s", argv0);
	else if (strchr(argv0, '/') != NULL) {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return -1;
		len = snprintf(out, n, "%s/%s", cwd, argv0);
	} else {
		const char *path = getenv("PATH");

		for (len = -1; path != NULL && *path != '\0'; ) {
			size_t pl = strcspn(path, ":");

			if (pl > 0 && path[0] == '/') {
				len = snprintf(out, n, "%.*s/%s", (int)pl, path,
				    argv0);
				if (len > 0 && (size_t)len < n &&
				    access(out, X_OK) == 0)
					break;
			}
			len = -1;
			path += pl + (path[pl] == ':');
		}
	}
	return len > 0 && (size_t)len < n ? 0 : -1;
}
