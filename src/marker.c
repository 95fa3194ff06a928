/*
 * marker.c - state/<id>.<marker>.  Presence is the fact, content the
 * detail.  Markers are regular files (queue: a directory) and are never
 * followed through a symlink; identities hold no dot, so "bob." never
 * matches bob2's or bob-x's markers.
 */
#include "roost.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER_MAX	(64 * 1024)

static void
marker_path(char *out, const char *id, const char *m)
{
	home_path(out, "state/%s.%s", id, m);
}

/* The identity's lock (flock), serialising launch, teardown and tick. */
int
marker_lock(const char *id, int wait)
{
	char p[PATHBUF];

	marker_path(p, id, M_LOCK);
	return file_lock(p, wait);
}

/* 1 present, 0 absent, -1 when something that is not a marker sits there. */
int
marker_has(const char *id, const char *m)
{
	char p[PATHBUF];
	struct stat st;
	int want_dir = strcmp(m, M_QUEUE) == 0;

	marker_path(p, id, m);
	if (lstat(p, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return err_errno(p);
	}
	if (S_ISLNK(st.st_mode))
		return err_set(RX_FAIL, "%s: is a symlink, not a marker", p);
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return err_set(RX_FAIL, "%s: not a %s", p,
		    want_dir ? "directory" : "regular file");
	return 1;
}

int
marker_set(const char *id, const char *m, const char *content)
{
	char p[PATHBUF];

	marker_path(p, id, m);
	return file_write(p, content, strlen(content), 0600);
}

int
marker_rm(const char *id, const char *m)
{
	char p[PATHBUF];

	marker_path(p, id, m);
	return file_remove(p);
}

/* 0 read, 1 absent, -1 error (symlinks refused by read_file). */
int
marker_read(const char *id, const char *m, struct buf *b)
{
	char p[PATHBUF];

	marker_path(p, id, m);
	return file_read(p, b, MARKER_MAX);
}

int
marker_mtime(const char *id, const char *m, struct timespec *ts)
{
	char p[PATHBUF];

	marker_path(p, id, m);
	return file_mtime(p, ts);
}

/* A queue directory with at least one entry is a wake request. */
int
marker_queue_nonempty(const char *id)
{
	char p[PATHBUF];
	struct dirent *de;
	DIR *d;
	int fd, found = 0;

	marker_path(p, id, M_QUEUE);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
	if (fd == -1)
		return errno == ENOENT ? 0 : err_set(RX_FAIL, "%s: %s", p,
		    errno == ELOOP ? "is a symlink, not a marker" :
		    strerror(errno));
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return err_errno(p);
	}
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	(void)closedir(d);
	return found;
}

/* Remove exactly state/<id>.*; names of what went are added to names. */
int
marker_purge(const char *id, struct buf *names)
{
	char dir[PATHBUF], prefix[ID_MAX + 2];
	struct dirent *de;
	DIR *d;
	size_t plen;
	int rc = 0;

	home_path(dir, "state");
	plen = (size_t)snprintf(prefix, sizeof prefix, "%s.", id);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_errno(dir);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (file_rmtree_at(dirfd(d), de->d_name) == -1) {
			rc = err_set(RX_FAIL, "%s/%s: cannot remove: %s", dir,
			    de->d_name, strerror(errno));
			continue;
		}
		if (names->len > 0)
			buf_addc(names, ' ');
		buf_adds(names, de->d_name);
	}
	(void)closedir(d);
	return rc;
}

/* woke=<epoch> mode=<fresh|resume> server_pid=<pid> pane_pid=<pid>;
 * 1 when absent. */
int
marker_session_read(const char *id, struct session *s)
{
	struct buf b = { 0 }, v = { 0 };
	unsigned long n;
	int rc;

	memset(s, 0, sizeof *s);
	rc = marker_read(id, M_SESSION, &b);
	if (rc != 0) {
		buf_free(&b);
		return rc;
	}
	if (logfmt_get(b.s, "woke", &v) == 0 &&
	    num_ulong(v.s, 1UL << 40, &n) == 0)
		s->woke = (time_t)n;
	if (logfmt_get(b.s, "mode", &v) == 0)
		(void)snprintf(s->mode, sizeof s->mode, "%s", v.s);
	if (logfmt_get(b.s, "server_pid", &v) == 0 &&
	    num_ulong(v.s, 1UL << 30, &n) == 0)
		s->server_pid = (pid_t)n;
	if (logfmt_get(b.s, "pane_pid", &v) == 0 &&
	    num_ulong(v.s, 1UL << 30, &n) == 0)
		s->pane_pid = (pid_t)n;
	buf_free(&b);
	buf_free(&v);
	return 0;
}

int
marker_session_write(const char *id, const struct session *s)
{
	char line[128];

	(void)snprintf(line, sizeof line, "woke=%lld mode=%s server_pid=%ld "
	    "pane_pid=%ld\n", (long long)s->woke, s->mode, (long)s->server_pid,
	    (long)s->pane_pid);
	return marker_set(id, M_SESSION, line);
}

/* A marker holding one pid: 0 with *pid, 1 absent or unreadable number. */
int
marker_pid_read(const char *id, const char *m, pid_t *pid)
{
	struct buf b = { 0 };
	unsigned long n;
	int rc;

	*pid = 0;
	rc = marker_read(id, m, &b);
	if (rc == 0) {
		b.len = strcspn(b.s, "\n");
		b.s[b.len] = '\0';
		if (num_ulong(b.s, 1UL << 30, &n) == 0 && n > 1)
			*pid = (pid_t)n;
		else
			rc = 1;
	}
	buf_free(&b);
	return rc;
}

/* Up to max deaths, oldest first; returns how many (lines that do not parse
 * are skipped, so a hand-edited file never stops supervision). */
int
marker_deaths_read(const char *id, struct death *d, int max)
{
	struct buf b = { 0 };
	char *line, *save = NULL;
	int n = 0;

	if (marker_read(id, M_DEATHS, &b) != 0) {
		buf_free(&b);
		return 0;
	}
	for (line = strtok_r(b.s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		unsigned long t;

		if (sp == NULL)
			continue;
		*sp = '\0';
		if (num_ulong(line, 1UL << 40, &t) == -1)
			continue;
		if (n == max) {
			memmove(d, d + 1, sizeof *d * (size_t)(max - 1));
			n--;
		}
		d[n].when = (time_t)t;
		(void)snprintf(d[n].cause, sizeof d[n].cause, "%s", sp + 1);
		n++;
	}
	buf_free(&b);
	return n;
}

int
marker_deaths_append(const char *id, time_t when, const char *cause)
{
	struct death d[DEATHS_KEEP];
	struct buf b = { 0 };
	int n, i, rc;

	n = marker_deaths_read(id, d, DEATHS_KEEP);
	if (n == DEATHS_KEEP) {
		memmove(d, d + 1, sizeof d[0] * (DEATHS_KEEP - 1));
		n--;
	}
	d[n].when = when;
	(void)snprintf(d[n].cause, sizeof d[n].cause, "%s", cause);
	n++;
	for (i = 0; i < n; i++)
		buf_addf(&b, "%lld %s\n", (long long)d[i].when, d[i].cause);
	rc = marker_set(id, M_DEATHS, b.s);
	buf_free(&b);
	return rc;
}
