/*
 * log.c - lifecycle.log and exits.log: one logfmt event per line, each
 * line one write(2) on O_APPEND, so concurrent writers never interleave.
 * Logs rotate at 5 MiB keeping five; pane logs are cut in place
 * (pipe-pane's cat keeps its O_APPEND descriptor, so a rename would lose
 * what it writes next), and each launch marks its start in the pane log.
 */
#include "roost.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Append the line (a newline is added) to log/<logname>.log. */
static int
log_write(const char *logname, struct buf *b)
{
	char p[PATHBUF];

	home_path(p, "log/%s.log", logname);
	(void)log_rotate(p, LOG_ROTATE_BYTES, LOG_KEEP);
	buf_addc(b, '\n');
	return file_append(p, b->s, b->len);
}

/* The line log_event() wrote last, for the hook that event runs. */
static struct buf last;

/* log_event("launch", id, "mode", "fresh", "cause", "start", LEND) */
void
log_event(const char *ev, const char *id, ...)
{
	const char *k, *v;
	va_list ap;

	logfmt_begin(&last, ev, id);
	va_start(ap, id);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		logfmt_kv(&last, k, v);
	}
	va_end(ap);
	if (log_write("lifecycle", &last) == -1)
		err_warn("lifecycle.log: %s", err_msg());
	if (last.len > 0 && last.s[last.len - 1] == '\n')
		last.s[--last.len] = '\0';
}

const char *
log_last(void)
{
	return buf_str(&last);
}

/*
 * path -> path.1 -> ... -> path.keep.  A non-blocking lock keeps two
 * writers from rotating twice; the loser just appends.
 */
int
log_rotate(const char *path, long max, int keep)
{
	char from[PATHBUF], to[PATHBUF], lk[PATHBUF];
	struct stat st;
	int i, fd;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < max)
		return 0;
	home_path(lk, "log/.rotate.lock");
	if ((fd = file_lock(lk, 0)) < 0)
		return 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= max) {
		for (i = keep; i > 1; i--) {
			(void)snprintf(from, sizeof from, "%s.%d", path, i - 1);
			(void)snprintf(to, sizeof to, "%s.%d", path, i);
			if (rename(from, to) == -1 && errno != ENOENT)
				break;
		}
		(void)snprintf(to, sizeof to, "%s.1", path);
		(void)rename(path, to);
	}
	file_unlock(fd);
	return 1;
}

/* The separator a launch writes before its program's first output into
 * the pane log p: "--- roost: <ts> launch <mode> ---", on a line of its
 * own. */
int
log_pane_mark(const char *p, const char *mode)
{
	struct buf b = { 0 };
	struct stat st;
	char ts[32], c = '\n';
	int fd, rc;

	if ((fd = file_open(p, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	/* A program that ended mid-line: end its line first. */
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		int rfd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (rfd != -1) {
			if (pread(rfd, &c, 1, st.st_size - 1) != 1)
				c = '\n';
			(void)close(rfd);
		}
	}
	fmt_iso(now_wall(), ts);
	buf_addf(&b, "%s" PANE_MARK "%s launch %s ---\n", c != '\n' ? "\n" : "",
	    ts, mode);
	rc = write(fd, b.s, b.len) == (ssize_t)b.len ? 0 : err_errno(p);
	(void)close(fd);
	buf_free(&b);
	return rc;
}

/* Tests hold a trim between its copy and its catching up, to append
 * in the gap. */
static void
trim_pause(void)
{
	const char *e = getenv("ROOST_TEST_TRIM_PAUSE_MS");
	unsigned long ms;

	if (e != NULL && num_ulong(e, 600000, &ms) == 0)
		now_sleep_ms((long)ms);
}

/* Copy [from, to) of fd down to at; the new end of the copy. */
static off_t
copy_down(int fd, off_t from, off_t to, off_t at, char *buf, size_t n)
{
	while (from < to) {
		size_t want = (size_t)(to - from) < n ? (size_t)(to - from) : n;
		ssize_t got = pread(fd, buf, want, from);

		if (got <= 0 || pwrite(fd, buf, (size_t)got, at) != got)
			return -1;
		from += got;
		at += got;
	}
	return at;
}

/*
 * Cut a pane log over PANE_LOG_MAX to its newest PANE_LOG_KEEP, from a
 * line boundary, in place; 1 when it cut.  pipe-pane's cat goes on
 * appending meanwhile (O_APPEND, no lock): after the copy, what it
 * appended past the old end is copied down behind the kept part, again
 * until nothing new came, and only then is the file truncated there.
 * What lands in the instant between the last look and the truncate is
 * the one thing that can still be lost.  The lock (on the log itself;
 * cat never takes it) keeps a second trim out.
 */
int
log_pane_trim(const char *path)
{
	struct stat st;
	char *keep;
	off_t from, end, w;
	ssize_t n;
	size_t skip = 0;
	int fd, rc = 0;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= PANE_LOG_MAX)
		return 0;
	if ((fd = file_open(path, O_RDWR, 0)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fstat(fd, &st) == -1) {
		(void)close(fd);
		return 0;
	}
	keep = xmalloc(PANE_LOG_KEEP);
	end = st.st_size;
	from = end - PANE_LOG_KEEP;
	if ((n = pread(fd, keep, PANE_LOG_KEEP, from)) <= 0) {
		rc = err_errno(path);
		goto out;
	}
	{
		char *nl = memchr(keep, '\n', (size_t)n);

		if (nl != NULL && nl - keep < n - 1)
			skip = (size_t)(nl - keep) + 1;
	}
	if (pwrite(fd, keep + skip, (size_t)n - skip, 0) != n - (ssize_t)skip) {
		rc = err_errno(path);
		goto out;
	}
	w = (off_t)((size_t)n - skip);
	end = from + n;
	trim_pause();
	while (fstat(fd, &st) == 0 && st.st_size > end) {
		off_t top = st.st_size;

		if ((w = copy_down(fd, end, top, w, keep, PANE_LOG_KEEP)) == -1) {
			rc = err_errno(path);
			goto out;
		}
		end = top;
	}
	if (ftruncate(fd, w) == -1)
		rc = err_errno(path);
	else
		rc = 1;
out:
	free(keep);
	(void)close(fd);
	return rc;
}

/* The writer's own record, gone with it (unless a newer writer's is
 * there by then). */
static void
pipe_record(const char *id, int set)
{
	unsigned long long stamp, s2;
	pid_t pid = getpid(), p2;

	if (set) {
		if (pid_stamp(pid, &stamp) == -1)
			stamp = 0;
		(void)marker_pid_write(id, M_PIPE, pid, stamp);
	} else if (marker_pid_read(id, M_PIPE, &p2, &s2) == 0 && p2 == pid)
		(void)marker_rm(id, M_PIPE);
}

/*
 * The pane's process, watched for its end.  tmux built with utempter
 * (before 3.6; tmux issue 4559) can miss the SIGCHLD of a pane that
 * ends while utempter's helper runs, and then pane-died never fires.
 * This writer is the server's child too and outlives every run of the
 * pane, so it waits on a descriptor that turns readable when the pane's
 * process ends (pid_watch_open: no polling while it runs) and then sends
 * the server (our parent) SIGCHLD until it has reaped it: at once, then
 * every millisecond for the first 50, then every 10 ms, for 10 s at
 * most.  Harmless when the server saw it.  Which process: the pid
 * pipe-pane gave at the start, then each one a launch script writes to
 * state/<id>.watch (a FIFO roost makes, held open here) as it begins, so
 * a respawned pane is watched too: "PID exec" when it is about to exec a
 * plain command, whose wait status is then exactly tmux's, "PID" when
 * it runs a command line under sh itself.
 */
#define NUDGE_FAST	50
#define NUDGE_ROUNDS	(NUDGE_FAST + 995)
struct pwatch {
	const char *id;
	log_seen_fn seen;	/* asked first when the process ends */
	log_ended_fn ended;	/* then told, before the first nudge */
	char path[PATHBUF];	/* state/<id>.watch */
	pid_t server, pid;
	int exact;		/* its launch script said "exec" */
	int fd;			/* pid_watch_open(pid), -1 none */
	int tty;		/* its terminal, held (pid_tty_open), -1 none */
	int fifo;		/* state/<id>.watch, -1 none */
	int rounds;		/* SIGCHLDs sent since it ended, 0 before */
	struct timespec next;	/* when the next one is due */
	char part[24];		/* a line of the FIFO not yet whole */
	size_t npart;
};

static void
pwatch_set(struct pwatch *w, pid_t pid, int exact)
{
	if (pid <= 1)
		return;
	w->exact = exact;
	if (pid == w->pid && w->fd >= 0)
		return;
	if (w->fd >= 0)
		(void)close(w->fd);
	if (w->tty >= 0)
		(void)close(w->tty);
	w->pid = pid;
	w->fd = pid_watch_open(pid);
	w->tty = w->fd >= 0 ? pid_tty_open(pid) : -1;
	w->rounds = 0;
}

/* The pane's first process (pipe-pane's pid) has exec'd its program: it
 * is neither the launch script nor the server's child still to exec.  Its
 * launch script's "exec" line may have come before this writer opened
 * .watch, and gone with no reader. */
static int
pwatch_execd(const struct pwatch *w)
{
	char comm[64], server[64];

	return pid_comm(w->pid, comm, sizeof comm) == 0 &&
	    pid_comm(w->server, server, sizeof server) == 0 &&
	    strcmp(comm, server) != 0 && !home_launch_comm(w->id, comm);
}

static void
pwatch_open(struct pwatch *w, const char *id, pid_t pid, log_seen_fn seen,
    log_ended_fn ended)
{
	w->id = id;
	w->seen = seen;
	w->ended = ended;
	w->server = getppid();
	w->pid = 0;
	w->exact = 0;
	w->fd = w->tty = -1;
	w->npart = 0;
	home_path(w->path, "state/%s.watch", id);
	w->fifo = pid_watch_fifo(w->path);
	pwatch_set(w, pid, 0);
	w->exact = w->fd >= 0 && pwatch_execd(w);
}

/* The pids launch scripts wrote, one per line ("PID" or "PID exec"): the
 * newest is watched.
 * At the end of file (no launch script holds it) it is opened again, to
 * wait for the next one. */
static void
pwatch_fifo(struct pwatch *w)
{
	char b[256];
	ssize_t n, i;

	while ((n = read(w->fifo, b, sizeof b)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < n; i++) {
			if (b[i] != '\n') {
				if (w->npart < sizeof w->part - 1)
					w->part[w->npart++] = b[i];
				continue;
			}
			w->part[w->npart] = '\0';
			{
				char *sp = strchr(w->part, ' ');
				unsigned long v;
				int exact = 0;

				if (sp != NULL) {
					exact = strcmp(sp, " exec") == 0;
					*sp = '\0';
				}
				if (num_ulong(w->part, 0x7fffffffUL, &v) == 0)
					pwatch_set(w, (pid_t)v, exact);
			}
			w->npart = 0;
		}
	}
	(void)close(w->fifo);
	w->npart = 0;
	w->fifo = pid_watch_fifo(w->path);
}

/* The pane's process ended (or a round is due): SIGCHLD to the server
 * until it has reaped it. */
static void
pwatch_nudge(struct pwatch *w)
{
	if (pid_watch_gone(w->fd, w->pid) || getppid() != w->server ||
	    w->rounds >= NUDGE_ROUNDS) {
		(void)close(w->fd);
		w->fd = -1;
		w->rounds = 0;
		return;
	}
	(void)kill(w->server, SIGCHLD);
	w->rounds++;
	now_mono(&w->next);
	w->next.tv_nsec += (w->rounds < NUDGE_FAST ? 1 : 10) * 1000000L;
	if (w->next.tv_nsec >= 1000000000L) {
		w->next.tv_sec++;
		w->next.tv_nsec -= 1000000000L;
	}
}

/* The pane's process ended: whether it may be recorded is asked at once,
 * while it is likely still a zombie, and it is recorded, before the first
 * nudge (the server reaps it once nudged; a zombie gone leaves the record
 * to the hook, unless the kernel kept its status: death_seen); then the
 * rounds go on. */
static void
pwatch_ended(struct pwatch *w)
{
	struct pane_end e;

	e.id = w->id;
	e.pid = w->pid;
	e.server = w->server;
	e.watchfd = w->fd;
	e.lockfd = w->fifo;
	e.ttyfd = w->tty;
	e.exact = w->exact;
	e.ws = 0;
	if (w->seen != NULL && w->ended != NULL && getppid() == w->server &&
	    w->seen(&e))
		w->ended(&e);
	pwatch_nudge(w);
}

/* poll(2)'s timeout: -1 while nothing ended, else ms to the next round. */
static int
pwatch_timeout(const struct pwatch *w)
{
	struct timespec now;
	long ms;

	if (w->fd < 0 || w->rounds == 0)
		return -1;
	now_mono(&now);
	ms = (long)(w->next.tv_sec - now.tv_sec) * 1000L +
	    (w->next.tv_nsec - now.tv_nsec) / 1000000L;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * The pane's output (pipe-pane gives it on in) appended to its log, as
 * it comes; the one writer of the log cuts it (log_pane_trim) as soon as
 * it passes the cap, so nothing is appended while it is cut and no burst
 * of output waits for a tick to be capped.  Records itself in .pipe, so
 * the tick can tell a writer that was killed.  Watches the pane's
 * process (pid, 0 none; see struct pwatch): when it ends, seen and ended
 * may record it.  Ends at the pane's end.
 */
int
log_pane_copy(const char *id, int in, pid_t pid, log_seen_fn seen,
    log_ended_fn ended)
{
	char p[PATHBUF], *buf;
	struct pollfd pf[3];
	struct pwatch w;
	struct stat st;
	ssize_t n, wr, off;
	off_t size = 0;
	int fd, np, t;

	home_pane_log(p, id);
	if ((fd = file_open(p, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	if (fstat(fd, &st) == 0)
		size = st.st_size;
	pipe_record(id, 1);
	pwatch_open(&w, id, pid, seen, ended);
	buf = xmalloc(65536);
	for (;;) {
		np = 0;
		pf[np].fd = in, pf[np++].events = POLLIN;
		if (w.fifo >= 0)
			pf[np].fd = w.fifo, pf[np++].events = POLLIN;
		if (w.fd >= 0 && w.rounds == 0)
			pf[np].fd = w.fd, pf[np++].events = POLLIN;
		t = poll(pf, (nfds_t)np, pwatch_timeout(&w));
		if (t == -1 && errno != EINTR)
			break;
		if (w.fd >= 0 && w.rounds > 0 && pwatch_timeout(&w) == 0)
			pwatch_nudge(&w);
		if (t <= 0)
			continue;
		for (np--; np > 0; np--) {
			if (pf[np].revents == 0)
				continue;
			if (pf[np].fd == w.fifo)
				pwatch_fifo(&w);
			else if (pf[np].fd == w.fd)
				pwatch_ended(&w);
		}
		if (pf[0].revents == 0)
			continue;
		n = read(in, buf, 65536);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		/* A full disk drops output, never stalls the pane. */
		for (off = 0; off < n; off += wr)
			if ((wr = write(fd, buf + off, (size_t)(n - off))) <= 0) {
				if (wr == -1 && errno == EINTR) {
					wr = 0;
					continue;
				}
				break;
			}
		size += n;
		if (size > PANE_LOG_MAX) {
			(void)log_pane_trim(p);
			size = fstat(fd, &st) == 0 ? st.st_size : 0;
		}
	}
	free(buf);
	if (w.fd >= 0)
		(void)close(w.fd);
	if (w.tty >= 0)
		(void)close(w.tty);
	if (w.fifo >= 0)
		(void)close(w.fifo);
	(void)close(fd);
	pipe_record(id, 0);
	return 0;
}
