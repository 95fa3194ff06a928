/*
 * pid.c - what a pid is: alive or a zombie, in a process group, still the
 * process roost started (its start time and argv), and when the machine
 * booted.  This is the platform seam: Linux answers from /proc; the
 * fallback elsewhere is kill(pid, 0).
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

#if HAVE_PROC_SELF
/*
 * Linux: /proc/<pid>/stat is "pid (comm) S ppid pgrp ... starttime ...":
 * the state letter, the process group and the start time (field 22, in
 * clock ticks since boot), read after the last ')' (comm may hold
 * anything).  -2 when the process is gone, -1 when it cannot be read.
 */
struct pstat {
	char	 state;
	long	 pgrp;
	unsigned long long start;
};

static int
proc_stat(const char *pid, struct pstat *ps)
{
	char p[64], st[1024], *rp;
	ssize_t n;
	int fd;

	(void)snprintf(p, sizeof p, "/proc/%.20s/stat", pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ESRCH ? -2 : -1;
	n = read(fd, st, sizeof st - 1);
	(void)close(fd);
	if (n <= 0)
		return -2;	/* gone between open and read */
	st[n] = '\0';
	if ((rp = strrchr(st, ')')) == NULL || rp[1] != ' ' || rp[2] == '\0')
		return -1;
	ps->state = rp[2];
	/* After the state: ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime. */
	if (sscanf(rp + 3, "%*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
	    "%*d %*d %*d %*d %*d %*d %llu", &ps->pgrp, &ps->start) != 2)
		return -1;
	return 0;
}

static int
pstat_of(pid_t pid, struct pstat *ps)
{
	char num[24];

	(void)snprintf(num, sizeof num, "%ld", (long)pid);
	return proc_stat(num, ps);
}

static int
dead_state(char s)
{
	return s == 'Z' || s == 'X' || s == 'x';
}

/* Alive and not a zombie: where init does not reap promptly (some
 * containers) a dead server or canary lingers as a zombie that kill(0)
 * still finds. */
int
pid_alive(pid_t pid)
{
	struct pstat ps;
	int rc;

	if (pid <= 1)
		return 0;
	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
	rc = pstat_of(pid, &ps);
	return !(rc == -2 || (rc == 0 && dead_state(ps.state)));
}

/* Some member of process group pgid is alive (zombies do not count). */
int
pid_group_alive(pid_t pgid)
{
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (pgid <= 1 || (kill(-pgid, 0) == -1 && errno != EPERM))
		return 0;
	if ((d = opendir("/proc")) == NULL)
		return 1;
	while (!found && (e = readdir(d)) != NULL) {
		struct pstat ps;

		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    proc_stat(e->d_name, &ps) == 0 && !dead_state(ps.state) &&
		    ps.pgrp == (long)pgid)
			found = 1;
	}
	(void)closedir(d);
	return found;
}

/* The start time that tells this process from a later one given the
 * same pid: 0, or -1 when it is gone (or a zombie) or cannot be told. */
int
pid_stamp(pid_t pid, unsigned long long *stamp)
{
	struct pstat ps;

	if (pid <= 1 || pstat_of(pid, &ps) != 0 || dead_state(ps.state))
		return -1;
	*stamp = ps.start;
	return 0;
}

/* Is word one of pid's argv words?  1 yes, 0 no or gone. */
static int
argv_has(pid_t pid, const char *word)
{
	char p[64], cmd[PATHBUF * 2];
	size_t i;
	ssize_t n;
	int fd;

	(void)snprintf(p, sizeof p, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, cmd, sizeof cmd - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;	/* a zombie has an empty cmdline */
	cmd[n] = '\0';
	for (i = 0; i < (size_t)n; i += strlen(cmd + i) + 1)
		if (strcmp(cmd + i, word) == 0)
			return 1;
	return 0;
}

/* The machine's boot time, from /proc/stat's btime; 0 when unknown. */
time_t
pid_boot_time(void)
{
	char line[256];
	unsigned long v;
	FILE *f;
	time_t t = 0;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "btime %lu", &v) == 1) {
			t = (time_t)v;
			break;
		}
	(void)fclose(f);
	return t;
}
#else
/* Without /proc: kill(0) is all there is; a zombie counts as alive and
 * every live process has the same (unknown) start time. */
int
pid_alive(pid_t pid)
{
	return pid > 1 && (kill(pid, 0) == 0 || errno == EPERM);
}

int
pid_group_alive(pid_t pgid)
{
	return pgid > 1 && (kill(-pgid, 0) == 0 || errno == EPERM);
}

int
pid_stamp(pid_t pid, unsigned long long *stamp)
{
	if (!pid_alive(pid))
		return -1;
	*stamp = 0;
	return 0;
}

static int
argv_has(pid_t pid, const char *word)
{
	(void)word;
	return pid_alive(pid);
}

time_t
pid_boot_time(void)
{
	return 0;
}
#endif

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
	return word == NULL || argv_has(pid, word);
}

/* Is pid alive and running script (one of its argv words)? */
int
pid_runs_script(pid_t pid, const char *script)
{
	return pid_alive(pid) && argv_has(pid, script);
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
