/*
 * cmd_log.c - log: the newest lifecycle and exit events, merged in time
 * order, as logfmt or JSON lines; with -f it goes on printing new events
 * as they are written, across the logs' rotation, until interrupted.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *lines, *follow, *format;
} lo;

static const struct opt log_opts[] = {
	{ "lines", 'n', OPT_ARG, &lo.lines, NULL, NULL },
	{ "follow", 'f', OPT_FLAG, &lo.follow, NULL, NULL },
	{ "format", 0, OPT_ARG, &lo.format, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* One log being read: its descriptor, which file that is, and a line
 * not yet finished. */
struct lfile {
	char	 path[PATHBUF];
	int	 fd;		/* -1 while the file does not exist */
	dev_t	 dev;
	ino_t	 ino;
	struct buf part;
};

/* -1 with the error set when the log is there but is not one to read
 * (a symlink, not a regular file); 0 otherwise, missing included. */
static int
lf_open(struct lfile *f)
{
	struct stat st;

	if ((f->fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return errno == ENOENT ? 0 : err_set(RX_FAIL, "%s: %s", f->path,
		    errno == ELOOP ? "a symlink, not read" : strerror(errno));
	if (fstat(f->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(f->fd);
		f->fd = -1;
		return err_set(RX_FAIL, "%s: not a regular file, not read",
		    f->path);
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

/* Everything new in f, as whole lines matching id, onto lines. */
static void
lf_read(struct lfile *f, const char *id, struct buf *lines, int *count)
{
	struct buf v = { 0 };
	struct stat st;
	char chunk[8192], *line, *nl;
	ssize_t n;

	if (f->fd < 0)
		return;
	/* Cut in place (by hand): start again from its beginning. */
	if (fstat(f->fd, &st) == 0 && st.st_size < lseek(f->fd, 0, SEEK_CUR)) {
		(void)lseek(f->fd, 0, SEEK_SET);
		buf_reset(&f->part);
	}
	while ((n = read(f->fd, chunk, sizeof chunk)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			buf_add(&f->part, chunk, (size_t)n);
	(void)buf_str(&f->part);
	for (line = f->part.s; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (*line == '\0' || (id != NULL &&
		    (logfmt_get(line, "id", &v) != 0 || strcmp(v.s, id) != 0)))
			continue;
		buf_adds(lines, line);
		buf_addc(lines, '\n');
		(*count)++;
	}
	/* Keep the unfinished rest for the next read. */
	n = (ssize_t)strlen(line);
	memmove(f->part.s, line, (size_t)n + 1);
	f->part.len = (size_t)n;
	buf_free(&v);
}

/* Rotated (renamed away, a new file in its place) or newly created:
 * finish the old file, then read the new one from its start. */
static void
lf_check(struct lfile *f, const char *id, struct buf *lines, int *count)
{
	struct stat st;

	if (lstat(f->path, &st) == -1)
		return;
	if (f->fd >= 0 && st.st_dev == f->dev && st.st_ino == f->ino)
		return;
	lf_read(f, id, lines, count);
	if (f->fd >= 0)
		(void)close(f->fd);
	buf_reset(&f->part);
	(void)lf_open(f);
}

struct lline {
	const char *s;
	int	 idx;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct lline *x = a, *y = b;
	int c;

	/* ts= comes first and is ISO-8601: text order is time order; equal
	 * seconds keep each log's own order. */
	if ((c = strncmp(x->s, y->s, 23)) != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static void
emit(const char *line, int json)
{
	struct buf b = { 0 };

	if (!json) {
		cli_out("%s\n", line);
		return;
	}
	if (logfmt_json(line, &b) == -1) {
		buf_adds(&b, "{\"raw\":");
		(void)esc_json(&b, line);
		buf_addc(&b, '}');
	}
	cli_out("%s\n", b.s);
	buf_free(&b);
}

/* The newest n of count lines in all (a line each), in time order. */
static void
print_sorted(struct buf *all, int count, unsigned long n, int json)
{
	struct lline *v;
	char *p;
	int i;

	if (count == 0)
		return;
	v = xmalloc(sizeof *v * (size_t)count);
	for (i = 0, p = all->s; i < count; i++) {
		v[i].s = p;
		v[i].idx = i;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	qsort(v, (size_t)count, sizeof *v, cmp_line);
	for (i = count > (int)n ? count - (int)n : 0; i < count; i++)
		emit(v[i].s, json);
	free(v);
}

static int
cmd_log(const struct args *a)
{
	const char *id = a->n > 0 ? a->v[0] : NULL;
	static const char *const names[2] = { "lifecycle.log", "exits.log" };
	struct lfile f[2];
	struct buf all = { 0 };
	unsigned long n = 20;
	int count = 0, i, json = 0, rc = RX_OK;

	if (id != NULL && ident_check(id) == -1)
		return cli_fail();
	if (lo.lines != NULL && num_ulong(lo.lines, 1000000, &n) == -1)
		return cli_usage("-n %s: not a count", lo.lines);
	if (lo.format != NULL && strcmp(lo.format, "json") == 0)
		json = 1;
	else if (lo.format != NULL && strcmp(lo.format, "logfmt") != 0)
		return cli_usage("--format %s: must be logfmt or json", lo.format);
	if (id != NULL && !conf_exists(id))
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	if (!home_exists() && lo.follow == NULL)
		return RX_OK;
	for (i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof f[i]);
		home_path(f[i].path, "log/%s", names[i]);
		if (lf_open(&f[i]) == -1) {
			cli_warn("%s", err_msg());
			rc = RX_FAIL;
		}
		lf_read(&f[i], id, &all, &count);
	}
	print_sorted(&all, count, n, json);
	while (lo.follow != NULL && rc == RX_OK) {
		if (fflush(stdout) == EOF || ferror(stdout))
			rc = RX_FAIL;	/* the reader went away */
		now_sleep_ms(FOLLOW_POLL_MS);
		buf_reset(&all);
		count = 0;
		for (i = 0; i < 2; i++) {
			lf_check(&f[i], id, &all, &count);
			lf_read(&f[i], id, &all, &count);
		}
		print_sorted(&all, count, (unsigned long)count, json);
	}
	for (i = 0; i < 2; i++) {
		if (f[i].fd >= 0)
			(void)close(f[i].fd);
		buf_free(&f[i].part);
	}
	buf_free(&all);
	return rc;
}

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "[<id>] [-n N] [-f] [--format logfmt|json]",
	.summary = "the newest lifecycle and exit events",
	.help = "  -n N, --lines N   how many (default 20)\n"
	    "  -f, --follow      then print new events as they come, until "
	    "interrupted\n"
	    "  --format F        logfmt (default) or json: an object a line, "
	    "integers as\n"
	    "                    numbers, empty values as null\n",
	.opts = log_opts,
	.minpos = 0,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_log
};
