/*
 * clock.c: the peers bench's timer, with no fork between the event it
 * starts and the ones it waits for (a shell's date, wc and sleep each
 * cost a millisecond or more, which hid anything faster).  Built by the
 * bench itself; POSIX only.
 *
 *   clock kill PID PIDFILE [LOG PATTERN]
 *	SIGKILL PID, then poll every 100 us (20 s at most) for PIDFILE to
 *	name a live pid other than the one it named before (the restart:
 *	PID may be the program's or its server's) and, given LOG, for one more
 *	line of LOG containing PATTERN ("" for any line) than before the
 *	kill (the record).  Prints "RESTART_US RECORD_US", "-" for what
 *	was not seen; exit 0 when the restart was seen.
 *   clock run PIDFILE OLDPID CMD [ARG...]
 *	Run CMD (stdin and stdout /dev/null) and wait for it, then poll
 *	for PIDFILE to name a live pid other than OLDPID (whatever CMD's
 *	status: a start command may fail and still start).  Prints the
 *	microseconds from before CMD to that pid; exit 0 when seen, 1
 *	when not.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS		100000L
#define LIMIT_US	20000000LL

static long long
now_us(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void
nap(void)
{
	struct timespec t = { 0, POLL_NS };

	(void)nanosleep(&t, NULL);
}

/* The pid PIDFILE names, or 0. */
static long
pid_in(const char *path)
{
	char b[32];
	ssize_t n;
	int fd;
	long v = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, b, sizeof b - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	if (b[0] < '0' || b[0] > '9')
		return 0;
	v = strtol(b, NULL, 10);
	return v;
}

/* A live pid other than old named in path. */
static int
new_pid(const char *path, long old)
{
	long p = pid_in(path);

	return p > 0 && p != old && (kill((pid_t)p, 0) == 0 || errno == EPERM);
}

/* The size of path: 0 when it does not exist yet, -1 when unreadable. */
static off_t
size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	return st.st_size;
}

/* A whole line holding pat ("" for any) was written to path past *off.
 * Only what is new is read; a log that shrank (rotated) is read from
 * its start.  *off moves past the whole lines read. */
static int
logged(const char *path, const char *pat, off_t *off)
{
	static char *line;
	static size_t cap;
	off_t size = size_of(path);
	ssize_t n;
	FILE *f;
	int hit = 0;

	if (size < 0 || size == *off)
		return 0;
	if (size < *off)
		*off = 0;
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fseeko(f, *off, SEEK_SET) == 0)
		while (!hit && (n = getline(&line, &cap, f)) > 0 &&
		    line[n - 1] == '\n') {
			*off += n;
			hit = *pat == '\0' || strstr(line, pat) != NULL;
		}
	(void)fclose(f);
	return hit;
}

static int
usage(void)
{
	(void)fputs("usage: clock kill PID PIDFILE [LOG PATTERN]\n"
	    "       clock run PIDFILE OLDPID CMD [ARG...]\n", stderr);
	return 2;
}

static int
do_kill(int argc, char **argv)
{
	long pid, old;
	off_t base = 0;
	const char *log = NULL, *pat = "";
	long long t0, rec = -1, rst = -1;

	if (argc != 4 && argc != 6)
		return usage();
	pid = strtol(argv[2], NULL, 10);
	if (pid <= 1)
		return usage();
	if (argc == 6) {
		log = argv[4];
		pat = argv[5];
		/* Unreadable now: no record is measured. */
		if ((base = size_of(log)) < 0)
			log = NULL;
	}
	old = pid_in(argv[3]);
	t0 = now_us();
	if (kill((pid_t)pid, SIGKILL) == -1) {
		perror("clock: kill");
		return 2;
	}
	while (now_us() - t0 < LIMIT_US) {
		if (log != NULL && rec < 0 && logged(log, pat, &base))
			rec = now_us() - t0;
		if (new_pid(argv[3], old)) {
			rst = now_us() - t0;
			break;
		}
		nap();
	}
	/* A record that comes after the restart still counts. */
	while (log != NULL && rec < 0 && now_us() - t0 < LIMIT_US) {
		if (logged(log, pat, &base))
			rec = now_us() - t0;
		else
			nap();
	}
	if (rst < 0)
		(void)printf("-");
	else
		(void)printf("%lld", rst);
	if (rec < 0)
		(void)printf(" -\n");
	else
		(void)printf(" %lld\n", rec);
	return rst < 0;
}

static int
do_run(int argc, char **argv)
{
	long old;
	long long t0;
	pid_t c;
	int st, fd;

	if (argc < 5)
		return usage();
	old = strtol(argv[3], NULL, 10);
	t0 = now_us();
	if ((c = fork()) == -1) {
		perror("clock: fork");
		return 2;
	}
	if (c == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
			if (fd > 2)
				(void)close(fd);
		}
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	while (waitpid(c, &st, 0) == -1 && errno == EINTR)
		;
	while (now_us() - t0 < LIMIT_US) {
		if (new_pid(argv[2], old)) {
			(void)printf("%lld\n", now_us() - t0);
			return 0;
		}
		nap();
	}
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "kill") == 0)
		return do_kill(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return do_run(argc, argv);
	return usage();
}
