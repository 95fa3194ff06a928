/*
 * log.c - lifecycle.log and exits.log: one logfmt event per line, each
 * line one write(2) on O_APPEND, so concurrent writers never interleave.
 * Logs rotate at 5 MiB keeping five; pane logs are cut in place
 * (pipe-pane's cat keeps its O_APPEND descriptor, so a rename would lose
 * what it writes next).
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

/* log_event("launch", id, "mode", "fresh", "cause", "start", LEND) */
void
log_event(const char *ev, const char *id, ...)
{
	struct buf b = { 0 };
	const char *k, *v;
	va_list ap;

	logfmt_begin(&b, ev, id);
	va_start(ap, id);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		logfmt_kv(&b, k, v);
	}
	va_end(ap);
	if (log_write("lifecycle", &b) == -1)
		err_warn("lifecycle.log: %s", err_msg());
	buf_free(&b);
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

/* Cut a pane log over PANE_LOG_MAX to its newest PANE_LOG_KEEP, from a
 * line boundary, in place.  Returns 1 when it cut. */
int
log_pane_trim(const char *path)
{
	struct stat st;
	char *keep;
	off_t from;
	ssize_t n;
	size_t skip = 0;
	int fd;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= PANE_LOG_MAX)
		return 0;
	if ((fd = file_open(path, O_RDWR, 0)) == -1)
		return -1;
	keep = xmalloc(PANE_LOG_KEEP);
	from = st.st_size - PANE_LOG_KEEP;
	n = pread(fd, keep, PANE_LOG_KEEP, from);
	if (n > 0) {
		char *nl = memchr(keep, '\n', (size_t)n);

		if (nl != NULL && nl - keep < n - 1)
			skip = (size_t)(nl - keep) + 1;
		if (pwrite(fd, keep + skip, (size_t)n - skip, 0) ==
		    n - (ssize_t)skip)
			(void)ftruncate(fd, (off_t)((size_t)n - skip));
	}
	free(keep);
	(void)close(fd);
	return n > 0 ? 1 : err_errno(path);
}
