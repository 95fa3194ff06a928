/*
 * pid_posix.c - the platform seam where there is neither /proc nor
 * Darwin's sysctl: kill(2) says whether a pid exists, ps(1) the rest -
 * its state (a zombie is not alive), its start time, its argv and the
 * members of a process group.  ps runs with LC_ALL=C and TZ=UTC0, so one
 * process reads the same to every caller, whatever their locale or zone.
 * This forks: here even the tick's healthy path starts processes.
 * When ps cannot be run or understood, the answer is kill(2)'s for
 * liveness and "unknown" for a start time, so no pid is ever taken for
 * the process roost started on a guess.
 */
#include "roost.h"

#if !HAVE_PROC_SELF && !HAVE_DARWIN
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_ARGS_MAX	10

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static const char *
skip_blanks(const char *s)
{
	while (blank(*s))
		s++;
	return s;
}

/*
 * /bin/ps with the given arguments, its output in out: 1 when it printed
 * something, 0 when it found no such process (status 1, nothing on
 * stdout or stderr), -1 when it could not run or did not understand.
 */
static int
ps_run(const char *const args[], struct buf *out)
{
	const char *argv[PS_ARGS_MAX + 5];
	struct buf err = { 0 };
	int n = 0, i, rc;

	argv[n++] = "/usr/bin/env";
	argv[n++] = "LC_ALL=C";
	argv[n++] = "TZ=UTC0";
	argv[n++] = "/bin/ps";
	for (i = 0; i < PS_ARGS_MAX && args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	buf_reset(out);
	rc = spawn_tool(argv, out, &err);
	(void)buf_str(out);
	if (rc == 0 && out->len > 0 && *skip_blanks(out->s) != '\0')
		rc = 1;
	else if (rc == 1 && *skip_blanks(buf_str(out)) == '\0' &&
	    err.len == 0)
		rc = 0;
	else
		rc = -1;
	buf_free(&err);
	return rc;
}

/* ps -o FIELD= [-o FIELD2=] -p PID */
static int
ps_pid(pid_t pid, const char *f1, const char *f2, struct buf *out)
{
	const char *args[8];
	char num[24];
	int n = 0;

	(void)snprintf(num, sizeof num, "%ld", (long)pid);
	args[n++] = "-ww";	/* no width limit: BSD ps cuts args at 79 */
	args[n++] = "-o";
	args[n++] = f1;
	if (f2 != NULL) {
		args[n++] = "-o";
		args[n++] = f2;
	}
	args[n++] = "-p";
	args[n++] = num;
	args[n] = NULL;
	return ps_run(args, out);
}

static const char *
next_line(const char *s)
{
	s += strcspn(s, "\n");
	return *s == '\n' ? s + 1 : s;
}

/* A state column that says zombie (Z) or dead (X). */
static int
dead_state(const char *s)
{
	s = skip_blanks(s);
	return *s == 'Z' || *s == 'X';
}

int
pid_alive(pid_t pid)
{
	struct buf out = { 0 };
	int rc;

	if (pid <= 1 || (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
	rc = ps_pid(pid, "stat=", NULL, &out);
	if (rc == 1)
		rc = !dead_state(out.s);
	else
		rc = rc == -1;	/* no ps to ask: kill(2) found it */
	buf_free(&out);
	return rc;
}

/* ps says its state is T (stopped). */
int
pid_stopped(pid_t pid)
{
	struct buf out = { 0 };
	int rc;

	if (pid <= 1)
		return 0;
	rc = ps_pid(pid, "stat=", NULL, &out) == 1 &&
	    *skip_blanks(out.s) == 'T';
	buf_free(&out);
	return rc;
}

/* Some line of ps -A -o pgid= -o stat= names pgid and a live state. */
int
pid_group_alive(pid_t pgid)
{
	static const char *const args[] = {
		"-A", "-o", "pgid=", "-o", "stat=", NULL
	};
	struct buf out = { 0 };
	const char *p;
	char *end;
	int rc, found = 0;

	if (pgid <= 1 || (kill(-pgid, 0) == -1 && errno != EPERM))
		return 0;
	if ((rc = ps_run(args, &out)) != 1) {
		buf_free(&out);
		return 1;	/* cannot tell: kill(2) found the group */
	}
	for (p = out.s; *p != '\0' && !found; p = next_line(p)) {
		long g = strtol(p, &end, 10);

		if (end != p && blank(*end) && g == (long)pgid &&
		    !dead_state(end))
			found = 1;
	}
	buf_free(&out);
	return found;
}

/* 64-bit FNV-1a of s up to its trailing blanks. */
static unsigned long long
fnv1a(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;
	size_t n = strlen(s);

	while (n > 0 && blank(s[n - 1]))
		n--;
	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The line "STAT WEEKDAY MONTH DAY HH:MM:SS YEAR": the start time (at one
 * second's resolution) is hashed, since only its equality matters. */
int
pid_stamp(pid_t pid, unsigned long long *stamp)
{
	struct buf out = { 0 };
	const char *p;
	int rc = -1;

	if (pid <= 1 || ps_pid(pid, "stat=", "lstart=", &out) != 1)
		goto out;
	p = skip_blanks(out.s);
	if (dead_state(p))
		goto out;
	p += strcspn(p, " \t\n");
	p = skip_blanks(p);
	if (*p == '\0')
		goto out;
	*stamp = fnv1a(p);
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* word occurs in ps's args column as a whole blank-delimited word (the
 * column joins argv with blanks; word itself may hold blanks). */
int
pid_argv_has(pid_t pid, const char *word)
{
	struct buf out = { 0 };
	size_t wlen = strlen(word);
	const char *p;
	int found = 0;

	if (pid <= 1 || wlen == 0 || ps_pid(pid, "args=", NULL, &out) != 1) {
		buf_free(&out);
		return 0;
	}
	for (p = out.s; !found && (p = strstr(p, word)) != NULL; p++)
		if ((p == out.s || blank(p[-1])) &&
		    (p[wlen] == '\0' || blank(p[wlen])))
			found = 1;
	buf_free(&out);
	return found;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long
days_from_civil(long y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Built without /proc: no clock given; the canary reads its own (one
 * date where /proc/uptime exists, else date at a death). */
int
pid_clock0(char *out, size_t n)
{
	(void)out, (void)n;
	return -1;
}

/*
 * When the machine booted: the start of pid 1 ("Tue Dec  1 20:00:20 2026"
 * in UTC), which init takes moments after the kernel boots; in a
 * container it is the container's start, after which none of its tmux
 * servers can have survived either.  0 when ps cannot tell.
 */
time_t
pid_boot_time(void)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct buf out = { 0 };
	char wd[4], mon[4];
	const char *m;
	int d, hh, mm, ss;
	long y;
	time_t t = 0;

	if (ps_pid(1, "lstart=", NULL, &out) == 1 &&
	    sscanf(out.s, " %3s %3s %d %d:%d:%d %ld", wd, mon, &d, &hh, &mm,
	    &ss, &y) == 7 && (m = strstr(months, mon)) != NULL &&
	    (m - months) % 3 == 0 && strlen(mon) == 3 && y >= 1970 &&
	    d >= 1 && d <= 31 && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 &&
	    ss >= 0 && ss <= 60)
		t = (time_t)(days_from_civil(y, (int)((m - months) / 3) + 1,
		    d) * 86400L + hh * 3600L + mm * 60L + ss);
	buf_free(&out);
	return t;
}

int
pid_memcg(pid_t pid, char *file, size_t n, long *count)
{
	(void)pid, (void)file, (void)n, (void)count;
	return -1;
}
/* The resident memory of a process group, from ps (KiB); -1 unknown. */
long long
pid_group_rss(pid_t pgid)
{
	static const char *const args[] = {
		"-A", "-o", "pgid=", "-o", "rss=", NULL
	};
	struct buf out = { 0 };
	const char *p;
	char *end;
	long long sum = -1;

	if (pgid <= 1 || ps_run(args, &out) != 1) {
		buf_free(&out);
		return -1;
	}
	for (p = out.s; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		long g = strtol(p, &end, 10);
		long long kb = strtoll(end, &end, 10);

		if (g == (long)pgid && kb >= 0)
			sum = (sum < 0 ? 0 : sum) + kb * 1024;
		end += strcspn(end, "\n");
	}
	buf_free(&out);
	return sum;
}


/* One PID namespace is all there is here. */
int
pid_same_pidns(pid_t pid)
{
	(void)pid;
	return 1;
}
#endif
