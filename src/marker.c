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

/* A queue holding a message is a wake request (a failed/ directory, a
 * FIFO or a temp file is not: they would wake it for ever). */
int
marker_queue_nonempty(const char *id)
{
	int n = queue_count(id);

	return n > 0 ? 1 : n;
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

/* A number field of a logfmt line, at most max; 0 when absent or not a
 * number. */
static unsigned long
field_num(const char *line, const char *key, unsigned long max,
    struct buf *v)
{
	unsigned long n;

	if (logfmt_get(line, key, v) == 0 && num_ulong(v->s, max, &n) == 0)
		return n;
	return 0;
}

/*
 * woke=<epoch> mode=<fresh|resume> server_pid=<pid> pane_pid=<pid>
 * server_start=<stamp> pane_start=<stamp> [run=<n>] [died=<epoch>]
 * [pane_id=%<n>] [memcg=<file> oom_kills=<n>] [scope=<unit>];
 * 1 when absent.  Fields a version of roost did not write read as 0.
 */
int
marker_session_read(const char *id, struct session *s)
{
	struct buf b = { 0 }, v = { 0 };
	int rc;

	memset(s, 0, sizeof *s);
	s->oom_kills = -1;
	rc = marker_read(id, M_SESSION, &b);
	if (rc != 0) {
		buf_free(&b);
		return rc;
	}
	s->woke = (time_t)field_num(b.s, "woke", 1UL << 40, &v);
	if (logfmt_get(b.s, "mode", &v) == 0)
		(void)snprintf(s->mode, sizeof s->mode, "%s", v.s);
	s->server_pid = (pid_t)field_num(b.s, "server_pid", 1UL << 30, &v);
	s->pane_pid = (pid_t)field_num(b.s, "pane_pid", 1UL << 30, &v);
	s->server_start = field_num(b.s, "server_start", ~0UL, &v);
	s->pane_start = field_num(b.s, "pane_start", ~0UL, &v);
	if (logfmt_get(b.s, "pane_id", &v) == 0)
		(void)snprintf(s->pane_id, sizeof s->pane_id, "%s", v.s);
	if (logfmt_get(b.s, "memcg", &v) == 0)
		(void)snprintf(s->memcg, sizeof s->memcg, "%s", v.s);
	if (logfmt_get(b.s, "oom_kills", &v) == 0 && v.len > 0)
		s->oom_kills = (long)field_num(b.s, "oom_kills", 1UL << 40, &v);
	if (logfmt_get(b.s, "scope", &v) == 0)
		(void)snprintf(s->scope, sizeof s->scope, "%s", v.s);
	s->run = (unsigned)field_num(b.s, "run", 1UL << 30, &v);
	s->died = (time_t)field_num(b.s, "died", 1UL << 40, &v);
	buf_free(&b);
	buf_free(&v);
	return 0;
}

/* An identity's .session, read once into its context: NULL when there is
 * none. */
const struct session *
marker_ctx_session(struct idctx *x)
{
	if (!x->read) {
		x->read = 1;
		x->session = marker_session_read(x->id, &x->s) == 0;
		if (!x->session)
			memset(&x->s, 0, sizeof x->s);
	}
	return x->session ? &x->s : NULL;
}

/* .session changed (a launch, a death recorded, a teardown): read it
 * again when next asked. */
void
marker_ctx_forget(struct idctx *x)
{
	x->read = 0;
}

int
marker_session_write(const char *id, const struct session *s)
{
	struct buf b = { 0 };
	int rc;

	buf_addf(&b, "woke=%lld mode=%s server_pid=%ld pane_pid=%ld "
	    "server_start=%llu pane_start=%llu", (long long)s->woke, s->mode,
	    (long)s->server_pid, (long)s->pane_pid, s->server_start,
	    s->pane_start);
	/* Which run of its server this is; a died= run is over, its
	 * server waits with the dead pane for the restart. */
	if (s->run > 0)
		logfmt_kvl(&b, "run", (long)s->run);
	if (s->died > 0)
		logfmt_kvl(&b, "died", (long)s->died);
	/* The pane the pane-died hook acts for (@roost-pane in tmux). */
	if (s->pane_id[0] != '\0')
		logfmt_kv(&b, "pane_id", s->pane_id);
	if (s->memcg[0] != '\0' && s->oom_kills >= 0) {
		logfmt_kv(&b, "memcg", s->memcg);
		logfmt_kvl(&b, "oom_kills", s->oom_kills);
	}
	if (s->scope[0] != '\0')
		logfmt_kv(&b, "scope", s->scope);
	buf_addc(&b, '\n');
	rc = marker_set(id, M_SESSION, b.s);
	buf_free(&b);
	return rc;
}

/* .session for a server and pane just seen alive: their start times and
 * the server's memory cgroup counter taken now, then written. */
int
marker_session_record(const char *id, struct session *s)
{
	(void)pid_stamp(s->server_pid, &s->server_start);
	(void)pid_stamp(s->pane_pid, &s->pane_start);
	if (pid_memcg(s->server_pid, s->memcg, sizeof s->memcg,
	    &s->oom_kills) == -1) {
		s->memcg[0] = '\0';
		s->oom_kills = -1;
	}
	return marker_session_write(id, s);
}

/* A marker holding "<pid> <stamp>": 0 with both, 1 absent or unreadable
 * (an old pidfile without a stamp reads as a stamp of 0, which no live
 * process matches where the platform can tell start times). */
int
marker_pid_read(const char *id, const char *m, pid_t *pid,
    unsigned long long *stamp)
{
	struct buf b = { 0 };
	unsigned long n;
	char *sp;
	int rc;

	*pid = 0;
	*stamp = 0;
	rc = marker_read(id, m, &b);
	if (rc == 0) {
		b.len = strcspn(b.s, "\n");
		b.s[b.len] = '\0';
		if ((sp = strchr(b.s, ' ')) != NULL) {
			*sp++ = '\0';
			if (num_ulong(sp, ~0UL, &n) == 0)
				*stamp = n;
		}
		if (num_ulong(b.s, 1UL << 30, &n) == 0 && n > 1)
			*pid = (pid_t)n;
		else
			rc = 1;
	}
	buf_free(&b);
	return rc;
}

int
marker_pid_write(const char *id, const char *m, pid_t pid,
    unsigned long long stamp)
{
	char line[64], p[PATHBUF];

	/* Not synced: a pidfile names a process no crash leaves alive, and
	 * one lost reads as none.  A launch waits for it. */
	(void)snprintf(line, sizeof line, "%ld %llu\n", (long)pid, stamp);
	marker_path(p, id, m);
	return file_replace(p, line, strlen(line), 0600);
}

/* The newest MARKER_MAX bytes of a marker, from a line start: a marker
 * grown huge by hand still reads as its newest lines.  0, 1 absent, -1. */
static int
marker_read_tail(const char *id, const char *m, struct buf *b)
{
	char p[PATHBUF];
	struct stat st;
	char *nl;
	int fd, rc;

	marker_path(p, id, m);
	if ((rc = file_read(p, b, MARKER_MAX)) != -1)
		return rc;
	if ((fd = file_open(p, O_RDONLY, 0)) == -1)
		return -1;
	buf_reset(b);
	if (fstat(fd, &st) == 0 && st.st_size > MARKER_MAX) {
		char *chunk = xmalloc(MARKER_MAX);
		ssize_t n = pread(fd, chunk, MARKER_MAX,
		    st.st_size - MARKER_MAX);

		if (n > 0) {
			nl = memchr(chunk, '\n', (size_t)n);
			if (nl != NULL)
				buf_add(b, nl + 1, (size_t)(chunk + n - nl - 1));
		}
		free(chunk);
	}
	(void)close(fd);
	(void)buf_str(b);
	return 0;
}

/* Up to max deaths, oldest first; returns how many (lines that do not parse
 * are skipped, so a hand-edited file never stops supervision). */
int
marker_deaths_read(const char *id, struct death *d, int max)
{
	struct buf b = { 0 };
	char *line, *save = NULL;
	int n = 0;

	if (marker_read_tail(id, M_DEATHS, &b) != 0) {
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
