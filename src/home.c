/* home.c - where the home is, whether it is safe, the paths in it, and
 * the identity's lock (lock/<id>). */
/* realpath(3) and the sticky bit are XSI. */
#define _XOPEN_SOURCE 700

#include "roost.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	char	 dir[HOME_MAX];
	char	 sockdir[HOME_MAX + 8];
	uid_t	 uid;
} H;

static const char *const subdirs[] = {
	"conf", "bin", "state", "lock", "log", "log/server-deaths", NULL
};

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Collapse "//" and trailing "/" so the home prints and compares cleanly. */
static void
path_tidy(char *p)
{
	char *w = p, *r = p;

	for (; *r != '\0'; r++) {
		if (*r == '/' && w > p && w[-1] == '/')
			continue;
		*w++ = *r;
	}
	*w = '\0';
	while (w > p + 1 && w[-1] == '/')
		*--w = '\0';
}

static int
set_abs(char *dst, size_t n, const char *src, const char *what)
{
	char cwd[PATHBUF];
	int len;

	if (*src == '\0')
		return err_set(RX_USAGE, "%s: empty path", what);
	if (has_ctl(src))
		return err_set(RX_USAGE, "%s: path contains a control character",
		    what);
	if (src[0] == '/')
		len = snprintf(dst, n, "%s", src);
	else {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return err_errno("getcwd");
		len = snprintf(dst, n, "%s/%s", cwd, src);
	}
	if (len < 0 || (size_t)len >= n)
		return err_set(RX_USAGE, "%s: path too long (limit %zu bytes)",
		    what, n - 1);
	path_tidy(dst);
	return 0;
}

/* -H beats $ROOST_HOME beats $HOME/.roost. */
int
home_resolve(const char *opt)
{
	const char *e, *sd;
	char tmp[HOME_MAX];

	H.uid = getuid();
	if (opt != NULL)
		e = opt;
	else if ((e = getenv("ROOST_HOME")) != NULL && *e != '\0')
		;
	else {
		const char *h = getenv("HOME");

		if (h == NULL || *h == '\0')
			return err_set(RX_FAIL, "home: neither ROOST_HOME nor "
			    "HOME is set");
		if (snprintf(tmp, sizeof tmp, "%s/.roost", h) >=
		    (int)sizeof tmp)
			return err_set(RX_USAGE, "home: $HOME too long");
		e = tmp;
	}
	if (set_abs(H.dir, sizeof H.dir, e, "home") == -1)
		return -1;
	sd = getenv("ROOST_SOCK_DIR");
	if (sd != NULL && *sd != '\0')
		return set_abs(H.sockdir, sizeof H.sockdir, sd,
		    "ROOST_SOCK_DIR");
	(void)snprintf(H.sockdir, sizeof H.sockdir, "%s/sock", H.dir);
	return 0;
}

/*
 * A directory roost trusts: a real directory (not a symlink), owned by
 * us, not writable by group or others.  Created 0700 when asked.
 */
int
home_dir_check(const char *path, int create)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno != ENOENT || !create)
			return err_set(RX_FAIL, "%s: %s", path, strerror(errno));
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return err_set(RX_FAIL, "%s: cannot create: %s", path,
			    strerror(errno));
		if (lstat(path, &st) == -1)
			return err_errno(path);
		if (S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) &&
		    st.st_uid == H.uid && chmod(path, 0700) == -1)
			return err_errno(path);
		if (lstat(path, &st) == -1)
			return err_errno(path);
	}
	if (S_ISLNK(st.st_mode))
		return err_set(RX_FAIL, "%s: unsafe: is a symlink", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(RX_FAIL, "%s: unsafe: not a directory", path);
	if (st.st_uid != H.uid)
		return err_set(RX_FAIL, "%s: unsafe: owned by uid %ld, not by "
		    "you (uid %ld)", path, (long)st.st_uid, (long)H.uid);
	if ((st.st_mode & 022) != 0)
		return err_set(RX_FAIL, "%s: unsafe: group or world writable "
		    "(mode %04o)", path, (unsigned)(st.st_mode & 07777));
	return 0;
}

const char *
home_dir(void)
{
	return H.dir;
}

/* The socket directory: $ROOST_SOCK_DIR, else <home>/sock. */
const char *
home_sockdir(void)
{
	return H.sockdir;
}

int
home_exists(void)
{
	struct stat st;

	return lstat(H.dir, &st) == 0;
}

/*
 * Every directory above path, as the system resolves it, must be one that
 * no other user can change under us: owned by us or by root, and not
 * writable by group or others unless it is sticky (like /tmp, where
 * nobody may rename what is not theirs).  Otherwise someone could swap
 * the home, the socket directory or the templates for their own.
 */
int
home_above_check(const char *path)
{
	char parent[PATHBUF], real[PATH_MAX], *slash;
	struct stat st;
	size_t i;

	(void)snprintf(parent, sizeof parent, "%s", path);
	if ((slash = strrchr(parent, '/')) == NULL)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (realpath(parent, real) == NULL)
		return errno == ENOENT ? 0 : err_set(RX_FAIL, "%s: %s", parent,
		    strerror(errno));
	for (i = strlen(real); ; ) {
		char save = real[i];

		real[i] = '\0';
		if (stat(i == 0 ? "/" : real, &st) == -1)
			return err_errno(i == 0 ? "/" : real);
		if (st.st_uid != 0 && st.st_uid != H.uid)
			return err_set(RX_FAIL, "%s: unsafe: %s above it is owned "
			    "by uid %ld", path, i == 0 ? "/" : real,
			    (long)st.st_uid);
		if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)
			return err_set(RX_FAIL, "%s: unsafe: %s above it is "
			    "writable by others (mode %04o)", path,
			    i == 0 ? "/" : real, (unsigned)(st.st_mode & 07777));
		real[i] = save;
		if (i == 0)
			break;
		while (i > 0 && real[--i] != '/')
			;
	}
	return 0;
}

/*
 * Check (and with create, make) the whole tree.  Returns 1 when the
 * home does not exist and create is 0: read-only commands then see an
 * empty home instead of making one.
 */
int
home_open(int create)
{
	char p[PATHBUF];
	struct stat st;
	int i;

	if (!create && !home_exists())
		return 1;
	if (home_above_check(H.dir) == -1 || home_dir_check(H.dir, create) == -1)
		return -1;
	for (i = 0; subdirs[i] != NULL; i++) {
		home_path(p, "%s", subdirs[i]);
		/* A home not yet filled in reads as empty (the tick on a
		 * fresh home must stay quiet), but never as unsafe. */
		if (!create && lstat(p, &st) == -1 && errno == ENOENT)
			continue;
		if (home_dir_check(p, create) == -1)
			return -1;
	}
	if (!create && lstat(H.sockdir, &st) == -1 && errno == ENOENT)
		return 0;
	if (home_above_check(H.sockdir) == -1)
		return -1;
	return home_dir_check(H.sockdir, create);
}

/* home + "/" + formatted tail; the home's length cap makes overflow a bug. */
void
home_path(char *out, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(out, PATHBUF, "%s/", H.dir);
	va_start(ap, fmt);
	m = vsnprintf(out + n, PATHBUF - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0 || m < 0 || (size_t)n + (size_t)m >= PATHBUF)
		err_abort("path too long under %s", H.dir);
}

/* comm, the kernel's name of a process (at most 15 bytes), is that of
 * id's launch script, bin/<id>.launch, still running. */
int
home_launch_comm(const char *id, const char *comm)
{
	char launch[ID_MAX + 8];

	(void)snprintf(launch, sizeof launch, "%s.launch", id);
	return strncmp(comm, launch, 15) == 0;
}

/*
 * The identity's lock (flock on lock/<id>), serialising launch, teardown
 * and tick.  It lives apart from state/ and is never removed with the
 * identity: a lock file unlinked while others hold or wait on it would
 * let the next opener lock a new inode and run beside them.
 */
int
home_lock(const char *id, int wait)
{
	char p[PATHBUF];

	home_path(p, "lock");
	if (home_dir_check(p, 1) == -1)
		return -1;
	home_path(p, "lock/%s", id);
	return file_lock(p, wait);
}

/* The identity's pane log, log/<id>.log: the one place it is spelled. */
void
home_pane_log(char *out, const char *id)
{
	home_path(out, "log/%s.log", id);
}

int
home_sock(const char *id, char *out, size_t n)
{
	struct sockaddr_un sun;
	int len;

	len = snprintf(out, n, "%s/%s", H.sockdir, id);
	if (len < 0 || (size_t)len >= n || (size_t)len >= sizeof sun.sun_path)
		return err_set(RX_FAIL, "socket path %s/%s is %d bytes, over the "
		    "platform limit of %zu: set ROOST_SOCK_DIR to a shorter "
		    "directory", H.sockdir, id, len, sizeof sun.sun_path - 1);
	return 0;
}

/* The identity's context: its paths and target built here, once; its
 * .session left to the first that needs it (marker_ctx_session). */
void
home_ctx(const char *id, struct idctx *x)
{
	memset(x, 0, sizeof *x);
	x->id = id;
	if (home_sock(id, x->sock, sizeof x->sock) == -1)
		x->sock[0] = '\0';
	home_pane_log(x->pane_log, id);
	(void)snprintf(x->target, sizeof x->target, "=%s:", id);
}

/* Its socket path is usable: 0, or -1 with the error said again. */
int
home_ctx_sock(const struct idctx *x)
{
	char p[PATHBUF];

	if (x->sock[0] != '\0')
		return 0;
	return home_sock(x->id, p, sizeof p) == -1 ? -1 :
	    err_set(RX_FAIL, "%s: no socket path", x->id);
}
