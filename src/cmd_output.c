/*
 * cmd_output.c - output: what the program printed, from its pane log
 * (log/<id>.log, written by pipe-pane): the newest lines as a terminal
 * shows them (term.c strips the control sequences and replays \r and
 * backspace), or the raw bytes; with -f it goes on printing what comes,
 * across relaunches and the trim that cuts the log in place, until
 * interrupted.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK		65536
#define TAIL_KEEP	256	/* what was read last, to find the place again */

static struct {
	const char *lines, *follow, *raw;
} oo;

static const struct opt output_opts[] = {
	{ "lines", 'n', OPT_ARG, &oo.lines, NULL, NULL },
	{ "follow", 'f', OPT_FLAG, &oo.follow, NULL, NULL },
	{ "raw", 0, OPT_FLAG, &oo.raw, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

struct pane {
	char	 path[PATHBUF];
	int	 fd;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 pos;		/* read up to here */
	char	 tail[TAIL_KEEP];	/* the bytes just before pos */
	size_t	 tlen;
	struct term term;
	int	 raw;
};

static int
pane_open(struct pane *p)
{
	struct stat st;

	p->fd = open(p->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (p->fd == -1)
		return errno == ENOENT ? 1 : err_errno(p->path);
	if (fstat(p->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(p->fd);
		p->fd = -1;
		return err_set(RX_FAIL, "%s: not a regular file", p->path);
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->pos = 0;
	p->tlen = 0;
	return 0;
}

/* Where the newest n lines begin (a last line without its newline
 * counts as one). */
static off_t
tail_start(int fd, off_t size, unsigned long n)
{
	char buf[CHUNK];
	off_t at = size, end = size;
	unsigned long seen = 0;
	char last;

	if (n == 0 || size == 0)
		return size;
	if (pread(fd, &last, 1, size - 1) == 1 && last == '\n')
		end = size - 1;		/* the last line's own newline */
	at = end;
	while (at > 0) {
		size_t want = at < (off_t)sizeof buf ? (size_t)at : sizeof buf;
		ssize_t got, i;

		at -= (off_t)want;
		if ((got = pread(fd, buf, want, at)) <= 0)
			return 0;
		for (i = got - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++seen == n)
				return at + i + 1;
	}
	return 0;
}

static void
remember(struct pane *p, const char *b, size_t n)
{
	if (n >= TAIL_KEEP) {
		memcpy(p->tail, b + n - TAIL_KEEP, TAIL_KEEP);
		p->tlen = TAIL_KEEP;
	} else {
		size_t keep = p->tlen + n > TAIL_KEEP ? TAIL_KEEP - n : p->tlen;

		memmove(p->tail, p->tail + p->tlen - keep, keep);
		memcpy(p->tail + keep, b, n);
		p->tlen = keep + n;
	}
}

/* Print what the log holds past pos. */
static int
pane_read(struct pane *p)
{
	struct buf out = { 0 };
	char *b = xmalloc(CHUNK);
	ssize_t n;
	int rc = 0;

	while ((n = pread(p->fd, b, CHUNK, p->pos)) > 0 ||
	    (n == -1 && errno == EINTR)) {
		if (n <= 0)
			continue;
		p->pos += n;
		remember(p, b, (size_t)n);
		if (p->raw) {
			if (fwrite(b, 1, (size_t)n, stdout) != (size_t)n)
				rc = -1;
			continue;
		}
		buf_reset(&out);
		term_feed(&p->term, b, (size_t)n, &out);
		if (out.len > 0 && fwrite(out.s, 1, out.len, stdout) != out.len)
			rc = -1;
	}
	free(b);
	buf_free(&out);
	return rc;
}

/* The last place in all where the n bytes k occur, or NULL. */
static const char *
find_last(const struct buf *all, const char *k, size_t n)
{
	const char *s, *hit = NULL, *end = all->s + all->len;

	for (s = all->s; n > 0 && s != NULL && (size_t)(end - s) >= n; s++) {
		if ((s = memchr(s, k[0], (size_t)(end - s))) == NULL ||
		    (size_t)(end - s) < n)
			break;
		if (memcmp(s, k, n) == 0)
			hit = s;
	}
	return hit;
}

/*
 * The log was cut in place (the trim keeps its newest part): find the
 * bytes read last in what is left, or failing that their last whole
 * lines, and go on after them; when even those are gone, from the start
 * of what is left.
 */
static void
pane_resync(struct pane *p)
{
	struct buf all = { 0 };
	const char *hit = NULL, *k = p->tail, *nl;
	char *b = xmalloc(CHUNK);
	size_t n = p->tlen;
	ssize_t got;
	off_t at = 0;

	while ((got = pread(p->fd, b, CHUNK, at)) > 0) {
		buf_add(&all, b, (size_t)got);
		at += got;
	}
	free(b);
	while (n > 0 && (hit = find_last(&all, k, n)) == NULL &&
	    (nl = memchr(k, '\n', n - 1)) != NULL) {
		n -= (size_t)(nl + 1 - k);
		k = nl + 1;
	}
	p->pos = hit != NULL ? (off_t)(hit - all.s) + (off_t)n : 0;
	buf_free(&all);
}

/* One look at the log: replaced (a new file in its place), cut, grown. */
static int
pane_poll(struct pane *p)
{
	struct stat st;

	if (lstat(p->path, &st) == 0 && (p->fd < 0 || st.st_dev != p->dev ||
	    st.st_ino != p->ino)) {
		if (p->fd >= 0) {
			(void)pane_read(p);
			(void)close(p->fd);
		}
		if (pane_open(p) == -1)
			return -1;
	}
	if (p->fd < 0 || fstat(p->fd, &st) == -1)
		return 0;
	if (st.st_size < p->pos)
		pane_resync(p);
	return pane_read(p);
}

static int
cmd_output(const struct args *a)
{
	const char *id = a->v[0];
	unsigned long n = 40;
	struct buf out = { 0 };
	struct stat st;
	struct pane p;
	int r, rc = RX_OK;

	if (oo.lines != NULL && num_ulong(oo.lines, 100000000, &n) == -1)
		return cli_usage("-n %s: not a count", oo.lines);
	if (!conf_exists(id))
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	memset(&p, 0, sizeof p);
	term_init(&p.term);
	p.raw = oo.raw != NULL;
	p.fd = -1;
	home_pane_log(p.path, id);
	if ((r = pane_open(&p)) == -1)
		return cli_fail();
	if (r == 0 && fstat(p.fd, &st) == 0)
		p.pos = tail_start(p.fd, st.st_size, n);
	if (p.fd >= 0 && pane_read(&p) == -1)
		rc = RX_FAIL;
	while (oo.follow != NULL && rc == RX_OK) {
		if (fflush(stdout) == EOF || ferror(stdout))
			rc = RX_FAIL;	/* the reader went away */
		now_sleep_ms(FOLLOW_POLL_MS);
		if (pane_poll(&p) == -1)
			rc = cli_fail();
	}
	if (!p.raw) {
		term_flush(&p.term, &out);
		(void)fwrite(out.s, 1, out.len, stdout);
	}
	buf_free(&out);
	term_free(&p.term);
	if (p.fd >= 0)
		(void)close(p.fd);
	return rc;
}

const struct cmd_entry cmd_output_entry = {
	.name = "output",
	.usage = "<id> [-n N] [-f] [--raw]",
	.summary = "what the program printed, from its pane log",
	.help = "  -n N, --lines N   the newest N lines (default 40)\n"
	    "  -f, --follow      then print what comes, across relaunches, until "
	    "interrupted\n"
	    "  --raw             the bytes as written, control sequences and all\n"
	    "Colours and other control sequences are dropped, and a line redrawn "
	    "with \\r\nor backspace shows as it ended.  Each launch is marked by "
	    "a line\n\"--- roost: <time> launch <mode> ---\".\n",
	.opts = output_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_output
};

/* What tmux's pipe-pane runs (templates/pipe-pane.in): the pane's output
 * into log/<id>.log, capped as it grows; the pane's process watched. */
static int
cmd_pane_log(const struct args *a)
{
	unsigned long pid = 0;

	if (a->n > 1 && *a->v[1] != '\0' &&
	    num_ulong(a->v[1], 0x7fffffffUL, &pid) == -1)
		return cli_usage("%s: not a pid", a->v[1]);
	return log_pane_copy(a->v[0], 0, (pid_t)pid, death_seen,
	    death_seen_record) == -1 ? cli_fail() : RX_OK;
}

static const struct opt pane_log_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

const struct cmd_entry cmd_pane_log_entry = {
	.name = "pane-log",
	.usage = "<id> [<pane-pid>]",
	.summary = "append stdin to the pane log, capped (what pipe-pane runs)",
	.help = "Run by tmux pipe-pane for the program's pane: what it prints "
	    "goes to\nlog/<id>.log as it comes, and over 32 MiB the log is cut "
	    "to its newest\n8 MiB at once.  It watches the pane's process "
	    "(pane-pid, then each pid a\nlaunch script writes to "
	    "state/<id>.watch): when it ends, it records the end at once "
	    "where the\nzombie's status can be read (Linux), then sends the "
	    "tmux server SIGCHLD\nuntil the server has reaped it.\n",
	.opts = pane_log_opts,
	.minpos = 1,
	.maxpos = 2,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_pane_log
};
