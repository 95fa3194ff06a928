/*
 * pid_linux.c - the platform seam on Linux: /proc answers what a pid is
 * (state, process group, start time, argv, memory cgroup) and
 * /proc/stat when the machine booted.
 */
#include "roost.h"

#if HAVE_PROC_SELF
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/*
 * Linux: /proc/<pid>/stat is "pid (comm) S ppid pgrp ... starttime ...":
 * the name, the state letter, the parent, the process group, the flags
 * (field 9), the start time (field 22, in clock ticks since boot), the
 * signals pending for its first thread (field 31) and a zombie's exit
 * code (field 52), read after the last ')' (comm may hold
 * anything).  -2 when the process is gone, -1 when it cannot be read.
 */
struct pstat {
	char	 state;
	long	 ppid, pgrp;
	unsigned long flags;
	unsigned long long start;
	unsigned long sigpnd;	/* pending signals, bit N-1 for signal N */
	char	 comm[16];	/* the kernel's name, at most 15 bytes */
	int	 exit_code;	/* a zombie's wait status, -1 unknown */
};

static int
proc_stat(const char *pid, struct pstat *ps)
{
	char p[64], st[1024], *lp, *rp, *f;
	ssize_t n;
	int fd, i;

	(void)snprintf(p, sizeof p, "/proc/%.20s/stat", pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ESRCH ? -2 : -1;
	n = read(fd, st, sizeof st - 1);
	(void)close(fd);
	if (n <= 0)
		return -2;	/* gone between open and read */
	st[n] = '\0';
	if ((lp = strchr(st, '(')) == NULL || (rp = strrchr(st, ')')) == NULL ||
	    rp < lp || rp[1] != ' ' || rp[2] == '\0')
		return -1;
	ps->state = rp[2];
	(void)snprintf(ps->comm, sizeof ps->comm, "%.*s", (int)(rp - lp - 1),
	    lp + 1);
	/* After the state: ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime, then vsize rss rsslim
	 * startcode endcode startstack kstkesp kstkeip signal. */
	ps->sigpnd = 0;
	if (sscanf(rp + 3, "%ld %ld %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u "
	    "%*d %*d %*d %*d %*d %*d %llu %*s %*s %*s %*s %*s %*s %*s %*s %lu",
	    &ps->ppid, &ps->pgrp, &ps->flags, &ps->start, &ps->sigpnd) < 4)
		return -1;
	/* A zombie's exit_code is field 52 (Linux 3.5+); the state, field
	 * 3, follows ") ". */
	ps->exit_code = -1;
	if (ps->state == 'Z') {
		for (f = rp + 2, i = 3; f != NULL && i < 52; i++)
			if ((f = strchr(f, ' ')) != NULL)
				f++;
		if (f == NULL || sscanf(f, "%d", &ps->exit_code) != 1)
			ps->exit_code = -1;
	}
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

/* Stopped (T) or traced-stopped (t): a SIGSTOPped server that accepts
 * connections and answers nothing. */
int
pid_stopped(pid_t pid)
{
	struct pstat ps;

	return pid > 1 && pstat_of(pid, &ps) == 0 &&
	    (ps.state == 'T' || ps.state == 't');
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

/* The resident memory of process group pgid's members, in bytes (from
 * /proc/<pid>/statm); -1 when none can be read. */
long long
pid_group_rss(pid_t pgid)
{
	struct dirent *e;
	long long sum = -1, page = (long long)sysconf(_SC_PAGESIZE);
	DIR *d;

	if (pgid <= 1 || page <= 0 || (d = opendir("/proc")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct pstat ps;
		char p[64], buf[128];
		unsigned long long rss;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    proc_stat(e->d_name, &ps) != 0 || ps.pgrp != (long)pgid)
			continue;
		(void)snprintf(p, sizeof p, "/proc/%.20s/statm", e->d_name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		(void)close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (sscanf(buf, "%*u %llu", &rss) == 1)
			sum = (sum < 0 ? 0 : sum) + (long long)rss * page;
	}
	(void)closedir(d);
	return sum;
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

/*
 * A zombie's wait status, as its parent will get it from waitpid(2):
 * /proc/PID/stat's exit_code (Linux 3.5+).  The kernel gives it only to a
 * reader it would let trace the process, and 0 to any other, so a 0 says
 * nothing.  ppid gets its parent, comm its name (the kernel's, at most 15
 * bytes).  0; -1 when it is not a zombie or cannot be read.
 */
int
pid_zombie_status(pid_t pid, int *wstatus, pid_t *ppid, char *comm, size_t n)
{
	struct pstat ps;

	if (pstat_of(pid, &ps) != 0 || ps.state != 'Z' || ps.exit_code < 0)
		return -1;
	*wstatus = ps.exit_code;
	*ppid = (pid_t)ps.ppid;
	(void)snprintf(comm, n, "%s", ps.comm);
	return 0;
}

/* The kernel's name of pid (its program's, at most 15 bytes): 0, or -1
 * when it is gone or cannot be read. */
int
pid_comm(pid_t pid, char *comm, size_t n)
{
	struct pstat ps;

	if (pstat_of(pid, &ps) != 0 || ps.state == 'Z')
		return -1;
	(void)snprintf(comm, n, "%s", ps.comm);
	return 0;
}

/*
 * Is pid on its way out: gone, a zombie, in exit(2) already (the
 * kernel's PF_EXITING in /proc/PID/stat's flags, set before it closes
 * the process's descriptors), or bound to be (a SIGKILL pending: until
 * it is scheduled to exit, a killed server still accepts connections)?
 * 1 yes, 0 no, -1 cannot be told.  A pane whose terminal closed because
 * its tmux server is being killed ends after its server started to: this
 * tells that end from one of its own.
 */
int
pid_ending(pid_t pid)
{
	struct pstat ps;

	switch (pstat_of(pid, &ps)) {
	case 0:
		return dead_state(ps.state) || (ps.flags & 0x4UL) != 0 ||
		    (ps.sigpnd & (1UL << (SIGKILL - 1))) != 0;
	case -2:
		return 1;
	default:
		return -1;
	}
}

/*
 * The terminal pid runs on (its first of descriptors 0-2 that is a
 * pseudo-terminal), opened as one more holder: -1 when it has none.
 * Not our controlling terminal, never blocking, closed on exec.
 */
int
pid_tty_open(pid_t pid)
{
	char p[64], t[PATHBUF];
	ssize_t n;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		(void)snprintf(p, sizeof p, "/proc/%ld/fd/%d", (long)pid, fd);
		if ((n = readlink(p, t, sizeof t - 1)) <= 0)
			continue;
		t[n] = '\0';
		if (strncmp(t, "/dev/pts/", 9) == 0)
			return open(t, O_RDWR | O_NOCTTY | O_NONBLOCK |
			    O_CLOEXEC);
	}
	return -1;
}

/* Is word one of pid's argv words?  1 yes, 0 no or gone. */
int
pid_argv_has(pid_t pid, const char *word)
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

/*
 * The canary's clock (templates/canary.in): the kernel's uptime as the
 * canary reads it (/proc/uptime) and the wall clock, read together, both
 * in centiseconds, as "UPTIME:WALL".  The canary adds the uptime at a
 * death to WALL - UPTIME: the death's wall clock with no exec.  -1 when
 * either cannot be read.
 */
int
pid_clock0(char *out, size_t n)
{
	char b[64];
	unsigned long long sec = 0, frac = 0;
	struct timespec ts;
	const char *q;
	ssize_t r;
	int fd, d = 0;

	if ((fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, b, sizeof b - 1);
	(void)close(fd);
	if (r <= 0 || clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	b[r] = '\0';
	for (q = b; *q >= '0' && *q <= '9'; q++)
		sec = sec * 10 + (unsigned long long)(*q - '0');
	if (q == b || *q++ != '.')
		return -1;
	for (; d < 2 && *q >= '0' && *q <= '9'; q++, d++)
		frac = frac * 10 + (unsigned long long)(*q - '0');
	if (d != 2 || ts.tv_sec < 0)
		return -1;
	(void)snprintf(out, n, "%llu:%llu", sec * 100 + frac,
	    (unsigned long long)ts.tv_sec * 100 +
	    (unsigned long long)ts.tv_nsec / 10000000);
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

/* How many PID namespaces deep pid is below the one /proc was mounted
 * in: the count of NSpid's numbers in its status (readable by anyone,
 * Linux 4.1 on); -1 when it cannot be read. */
static int
nspid_depth(const char *pid)
{
	char p[64], line[256];
	int depth = -1;
	char *w;
	FILE *f;

	(void)snprintf(p, sizeof p, "/proc/%.20s/status", pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (depth == -1 && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "NSpid:", 6) == 0)
			for (depth = 0, w = strtok(line + 6, " \t\n"); w != NULL;
			    w = strtok(NULL, " \t\n"))
				depth++;
	(void)fclose(f);
	return depth;
}

/*
 * pid is in this process's PID namespace: 1 yes, 0 no, -1 cannot tell.
 * A container that shares the host's /proc sees the host's processes:
 * their ns/pid link differs from ours.  Reading another user's link needs
 * ptrace rights; then a different NSpid depth still tells them apart.
 */
int
pid_same_pidns(pid_t pid)
{
	char p[64], mine[64], theirs[64];
	ssize_t a, b;
	int d1, d2;

	(void)snprintf(p, sizeof p, "/proc/%ld/ns/pid", (long)pid);
	if ((a = readlink("/proc/self/ns/pid", mine, sizeof mine - 1)) > 0 &&
	    (b = readlink(p, theirs, sizeof theirs - 1)) > 0)
		return a == b && memcmp(mine, theirs, (size_t)a) == 0;
	(void)snprintf(p, sizeof p, "%ld", (long)pid);
	if ((d1 = nspid_depth("self")) == -1 || (d2 = nspid_depth(p)) == -1)
		return -1;
	return d1 == d2 ? -1 : 0;
}

/* A cgroup path the shell scripts can carry unquoted. */
static int
plain_path(const char *p)
{
	for (; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._/:@+=,-", *p) == NULL)
			return 0;
	return 1;
}

/* The "oom_kill N" line of a memory.events or memory.oom_control file. */
int
pid_oom_count(const char *file, long *count)
{
	char line[256];
	long v;
	FILE *f;
	int rc = -1;

	if ((f = fopen(file, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "oom_kill %ld", &v) == 1) {
			*count = v;
			rc = 0;
			break;
		}
	(void)fclose(f);
	return rc;
}

/*
 * The file that counts OOM kills in pid's memory cgroup (v2
 * memory.events, else v1 memory.oom_control), and its count now: -1
 * when there is none that can be read.
 */
int
pid_memcg(pid_t pid, char *file, size_t n, long *count)
{
	char p[64], line[1024], v1[PATHBUF] = "", v2[PATHBUF] = "";
	FILE *f;

	(void)snprintf(p, sizeof p, "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *c1 = strchr(line, ':'), *c2;

		line[strcspn(line, "\n")] = '\0';
		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2++ = '\0';
		if (!plain_path(c2))
			continue;
		if (c1[1] == '\0')
			(void)snprintf(v2, sizeof v2, "%s", c2);
		else if (strstr(c1 + 1, "memory") != NULL)
			(void)snprintf(v1, sizeof v1, "%s", c2);
	}
	(void)fclose(f);
	/* v2 first: a scoped server's memory.events counts its identity's
	 * kills alone; on a mixed host v1 memory is rarely the scope's. */
	if (v2[0] != '\0' && snprintf(file, n, "/sys/fs/cgroup%s/"
	    "memory.events", strcmp(v2, "/") == 0 ? "" : v2) < (int)n &&
	    pid_oom_count(file, count) == 0)
		return 0;
	if (v1[0] != '\0' && snprintf(file, n, "/sys/fs/cgroup/memory%s/"
	    "memory.oom_control", strcmp(v1, "/") == 0 ? "" : v1) < (int)n &&
	    pid_oom_count(file, count) == 0)
		return 0;
	if (v2[0] != '\0' && snprintf(file, n, "/sys/fs/cgroup/unified%s/"
	    "memory.events", strcmp(v2, "/") == 0 ? "" : v2) < (int)n &&
	    pid_oom_count(file, count) == 0)
		return 0;
	return -1;
}
#endif
