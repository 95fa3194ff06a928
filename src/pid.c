/*
 * pid.c - whether a pid is still the process roost started, waiting for
 * one to go, and this program's own path.  What a pid is (alive or a
 * zombie, its start time, its argv, its memory cgroup) and when the
 * machine booted is the platform seam: pid_linux.c (/proc), pid_darwin.c
 * (sysctl), pid_posix.c (kill(0) and ps) - one of them is compiled in.
 */
#include "roost.h"

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char self[PATHBUF];


/*
 * Still the process roost started: alive, the same start time, and (when
 * word is not NULL) word among its argv words.  This is the one test a
 * pid from a marker must pass before roost signals it: a pid reused after
 * a reboot, or taken by a process that merely names a roost script (an
 * editor, a tail -f), fails it.
 */
int
pid_is(pid_t pid, unsigned long long stamp, const char *word)
{
	unsigned long long now;

	if (pid <= 1 || pid_stamp(pid, &now) == -1 || now != stamp)
		return 0;
	return word == NULL || pid_argv_has(pid, word);
}

/* Poll (reaping if it is our child) until pid is gone; 0 gone, -1 not. */
int
pid_wait_gone(pid_t pid, long ms)
{
	struct timespec t0;
	int st;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		(void)waitpid(pid, &st, WNOHANG);
		if (!pid_alive(pid))
			return 0;
		if (now_ms_since(&t0) >= ms)
			return -1;
		now_sleep_ms(2);
	}
}

/* The absolute path of this program, for scripts and scheduler entries:
 * /proc/self/exe where there is one, else argv[0] made absolute (against
 * the working directory or PATH). */
static int
self_path(const char *argv0, char *out, size_t n)
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
	} else
		return spawn_which(argv0, out, n);
	return len > 0 && (size_t)len < n ? 0 : -1;
}

void
pid_self_init(const char *argv0)
{
	if (self_path(argv0, self, sizeof self) == -1)
		self[0] = '\0';
}

/* This program's absolute path, or NULL when it cannot be told. */
const char *
pid_self(void)
{
	return self[0] != '\0' ? self : NULL;
}

#if !HAVE_PROC_SELF
/* No memory cgroups without /proc: no OOM counter to read. */
int
pid_oom_count(const char *file, long *count)
{
	(void)file, (void)count;
	return -1;
}

/* Without /proc a zombie's status is its parent's to learn, whether a
 * process is in exit(2) cannot be told, nor its terminal or name. */
int
pid_comm(pid_t pid, char *comm, size_t n)
{
	(void)pid, (void)comm, (void)n;
	return -1;
}

int
pid_zombie_status(pid_t pid, int *wstatus, pid_t *ppid, char *comm, size_t n)
{
	(void)pid, (void)wstatus, (void)ppid, (void)comm, (void)n;
	return -1;
}

int
pid_ending(pid_t pid)
{
	(void)pid;
	return -1;
}

int
pid_tty_open(pid_t pid)
{
	(void)pid;
	return -1;
}
#endif
