/*
 * file.c - every open under the home goes through here: O_NOFOLLOW,
 * O_CLOEXEC, regular files only; writes others read are atomic (temp in
 * the same directory, write all, fsync, rename); removal of what is
 * already gone is success.
 */
#include "roost.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
file_open(const char *path, int flags, int mode)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	if (fd == -1) {
		if (errno == ELOOP || errno == EMLINK)
			return err_set(RX_FAIL, "%s: refusing to open a symlink",
			    path);
		return err_set(RX_FAIL, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return err_set(RX_FAIL, "%s: not a regular file", path);
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* 0 read, 1 absent, -1 error (including "larger than max").  With dfd
 * other than AT_FDCWD, name is relative to it and path is for messages:
 * a pass over many files of one directory skips the path walk. */
int
file_read_at(int dfd, const char *name, const char *path, struct buf *out,
    size_t max)
{
	char chunk[8192];
	struct stat st;
	ssize_t n = 0;
	int fd;

	buf_reset(out);
	/* O_NONBLOCK: a FIFO planted at the path must not block open(2);
	 * the regular-file check below then refuses it. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP || errno == EMLINK)
			return err_set(RX_FAIL, "%s: refusing to open a symlink",
			    path);
		return err_errno(path);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return err_set(RX_FAIL, "%s: not a regular file", path);
	}
	/* Files others read are replaced by rename, never rewritten, so the
	 * size seen at open is the size to read: no extra read for EOF. */
	while (out->len < (size_t)st.st_size) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > max) {
			(void)close(fd);
			return err_set(RX_FAIL, "%s: larger than %zu bytes", path,
			    max);
		}
		buf_add(out, chunk, (size_t)n);
	}
	(void)close(fd);
	if (n == -1)
		return err_errno(path);
	(void)buf_str(out);
	return 0;
}

int
file_read(const char *path, struct buf *out, size_t max)
{
	return file_read_at(AT_FDCWD, path, path, out, max);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Tests pause here so they can SIGKILL us between write and rename:
 * every rename, or (ROOST_TEST_RENAME_PAUSE_AT) only the one of a path
 * ending so. */
static void
test_pause(const char *path)
{
	const char *e = getenv("ROOST_TEST_RENAME_PAUSE_MS");
	const char *at = getenv("ROOST_TEST_RENAME_PAUSE_AT");
	size_t n = strlen(path), m = at != NULL ? strlen(at) : 0;
	unsigned long ms;

	if (e == NULL || num_ulong(e, 600000, &ms) == -1)
		return;
	if (m > 0 && (m > n || strcmp(path + n - m, at) != 0))
		return;
	now_sleep_ms((long)ms);
}

/*
 * Synced writes put off (file_sync_defer): written and renamed at once,
 * fsynced by file_sync_pending, once the work they must not delay (a
 * program's restart) is done.  A crash in between leaves what a crash a
 * moment earlier would have.
 */
#define SYNC_LATER	8
static char sync_later[SYNC_LATER][PATHBUF];
static int sync_nlater, sync_deferring;

void
file_sync_defer(void)
{
	sync_deferring = 1;
}

/* fsync what was put off, once each; the deferral ends. */
void
file_sync_pending(void)
{
	int i, fd;

	for (i = 0; i < sync_nlater; i++) {
		fd = open(sync_later[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;	/* replaced or removed since */
		if (fsync(fd) == -1)
			err_warn("%s: cannot sync: %s", sync_later[i],
			    strerror(errno));
		(void)close(fd);
	}
	sync_nlater = 0;
	sync_deferring = 0;
}

/* 1 when path's fsync is put off (remembered once), 0 to sync now. */
static int
sync_put_off(const char *path)
{
	int i;

	if (!sync_deferring || strlen(path) >= PATHBUF)
		return 0;
	for (i = 0; i < sync_nlater; i++)
		if (strcmp(sync_later[i], path) == 0)
			return 1;
	if (sync_nlater == SYNC_LATER)
		return 0;
	(void)memcpy(sync_later[sync_nlater++], path, strlen(path) + 1);
	return 1;
}

static int
write_atomic(const char *path, const void *data, size_t len, int mode,
    int sync)
{
	char tmp[PATHBUF];
	const char *slash = strrchr(path, '/');
	int fd, n, saved;

	if (slash == NULL)
		return err_set(RX_FAIL, "%s: not an absolute path", path);
	n = snprintf(tmp, sizeof tmp, "%.*s/.%s" TMP_TAG "%ld.XXXXXX",
	    (int)(slash - path), path, slash + 1, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return err_set(RX_FAIL, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) == -1)
		return err_set(RX_FAIL, "%s: cannot create temporary file: %s",
		    path, strerror(errno));
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (sync && sync_put_off(path))
		sync = 0;
	if (write_all(fd, data, len) == -1 || fchmod(fd, (mode_t)mode) == -1 ||
	    (sync && fsync(fd) == -1)) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		return err_set(RX_FAIL, "%s: cannot write: %s", path,
		    strerror(saved));
	}
	if (close(fd) == -1) {
		saved = errno;
		(void)unlink(tmp);
		return err_set(RX_FAIL, "%s: cannot write: %s", path,
		    strerror(saved));
	}
	test_pause(path);
	if (rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		return err_set(RX_FAIL, "%s: cannot rename into place: %s", path,
		    strerror(saved));
	}
	return 0;
}

int
file_write(const char *path, const void *data, size_t len, int mode)
{
	return write_atomic(path, data, len, mode, 1);
}

/* Atomic for readers but not synced: for a heartbeat rewritten every
 * pass, where losing the newest copy in a crash costs nothing. */
int
file_replace(const char *path, const void *data, size_t len, int mode)
{
	return write_atomic(path, data, len, mode, 0);
}

/* For idempotent writers: leaves the file (and its mtime) alone if equal. */
int
file_write_changed(const char *path, const struct buf *b, int mode, int *changed)
{
	struct buf old = { 0 };
	struct stat st;
	int rc;

	*changed = 1;
	rc = file_read(path, &old, 16 * 1024 * 1024);
	if (rc == 0 && old.len == b->len &&
	    (b->len == 0 || memcmp(old.s, b->s, b->len) == 0) &&
	    lstat(path, &st) == 0 && (st.st_mode & 07777) == (mode_t)mode) {
		*changed = 0;
		buf_free(&old);
		return 0;
	}
	buf_free(&old);
	if (rc == -1)
		return -1;
	return file_write(path, b->s != NULL ? b->s : "", b->len, mode);
}

int
file_remove(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		return err_set(RX_FAIL, "%s: cannot remove: %s", path,
		    strerror(errno));
	return 0;
}

/* Remove a directory tree without following any symlink in it. */
int
file_rmtree_at(int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
	if (fd == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (file_rmtree_at(dirfd(d), de->d_name) == -1)
			rc = -1;
	}
	(void)closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* rm -r of an absolute path, following no symlink in it. */
int
file_rmtree(const char *path)
{
	const char *slash = strrchr(path, '/');
	char parent[PATHBUF];
	int dfd, rc;

	(void)snprintf(parent, sizeof parent, "%.*s", (int)(slash - path),
	    path);
	if ((dfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return err_errno(parent);
	rc = file_rmtree_at(dfd, slash + 1);
	(void)close(dfd);
	return rc == -1 ? err_set(RX_FAIL, "%s: cannot remove: %s", path,
	    strerror(errno)) : 0;
}

/* One write(2) on O_APPEND: concurrent appenders never interleave. */
/* A short append (a full disk) is taken back, so a record is whole or
 * absent: when nothing was appended after it, the file is cut back to
 * where it began. */
static void
append_undo(int fd, ssize_t w)
{
	struct stat st;
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (at >= w && fstat(fd, &st) == 0 && st.st_size == at)
		(void)ftruncate(fd, at - w);
}

int
file_append(const char *path, const char *line, size_t len)
{
	ssize_t w;
	int fd;

	if ((fd = file_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	do
		w = write(fd, line, len);
	while (w == -1 && errno == EINTR);
	if (w == -1 || (size_t)w != len) {
		int saved = errno;

		if (w > 0)
			append_undo(fd, w);
		(void)close(fd);
		return err_set(RX_FAIL, "%s: short write: %s", path,
		    w == -1 ? strerror(saved) : "disk full?");
	}
	if (close(fd) == -1)
		return err_errno(path);
	return 0;
}

/* An exclusive flock; -2 when wait is 0 and someone else holds it. */
int
file_lock(const char *path, int wait)
{
	int fd;

	if ((fd = file_open(path, O_RDWR | O_CREAT, 0600)) == -1)
		return -1;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		int saved = errno;

		if (saved == EINTR)
			continue;
		(void)close(fd);
		if (saved == EWOULDBLOCK)
			return -2;
		return err_set(RX_FAIL, "%s: cannot lock: %s", path,
		    strerror(saved));
	}
	return fd;
}

void
file_unlock(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

/*
 * Temp files of writers that died between write and rename carry the
 * writer's pid; remove those whose writer is gone (only name's, when
 * name is not NULL).
 */
static void
sweep(const char *dir, const char *name)
{
	char p[PATHBUF];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *tag = strstr(de->d_name, TMP_TAG);
		unsigned long pid;
		char num[24];
		size_t n;

		if (de->d_name[0] != '.' || tag == NULL)
			continue;
		if (name != NULL && ((size_t)(tag - de->d_name) != strlen(name) +
		    1 || strncmp(de->d_name + 1, name, strlen(name)) != 0))
			continue;
		tag += strlen(TMP_TAG);
		n = strcspn(tag, ".");
		if (n == 0 || n >= sizeof num || tag[n] != '.')
			continue;
		memcpy(num, tag, n);
		num[n] = '\0';
		if (num_ulong(num, 1UL << 30, &pid) == -1 ||
		    (pid_t)pid == getpid() || pid_alive((pid_t)pid))
			continue;
		if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) <
		    (int)sizeof p)
			(void)unlink(p);
	}
	(void)closedir(d);
}

void
file_sweep(const char *dir)
{
	sweep(dir, NULL);
}

/* Only path's own temps: for a directory roost shares with others. */
void
file_sweep_of(const char *path)
{
	char dir[PATHBUF];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || (size_t)(slash - path) >= sizeof dir)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	sweep(dir[0] != '\0' ? dir : "/", slash + 1);
}

int
file_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that do not start with '.', sorted; *n how many. */
char **
file_names(const char *dir, size_t *n)
{
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, sizeof *v * cap);
		}
		v[(*n)++] = xstrdup(de->d_name);
	}
	(void)closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof *v, file_names_cmp);
	return v;
}

void
file_names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* 0 with the mtime, 1 when absent, -1 on error. */
int
file_mtime(const char *path, struct timespec *out)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		return err_errno(path);
	}
#if HAVE_DARWIN
	out->tv_sec = st.st_mtimespec.tv_sec;
	out->tv_nsec = st.st_mtimespec.tv_nsec;
#else
	out->tv_sec = st.st_mtim.tv_sec;
	out->tv_nsec = st.st_mtim.tv_nsec;
#endif
	return 0;
}
