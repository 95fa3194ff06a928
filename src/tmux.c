/*
 * tmux.c - the tmux driver.  Liveness is a connect(2) to the socket, so
 * asking "is it up?" never forks; everything else is one tmux client run
 * with an argv array (never through sh).
 */
#include "roost.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TMUX_ARGS_MAX	128

/* $ROOST_TMUX, else the absolute path configure found. */
const char *
tmux_bin(void)
{
	const char *e = getenv("ROOST_TMUX");

	return e != NULL && *e != '\0' ? e : ROOST_TMUX;
}

/* The first bytes of an ELF file (magic, class, byte order, type and
 * machine), or -1. */
static int
elf_head(const char *path, unsigned char h[20])
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK)) == -1)
		return -1;
	n = read(fd, h, 20);
	(void)close(fd);
	return n == 20 && memcmp(h, "\177ELF", 4) == 0 ? 0 : -1;
}

/*
 * A utmp shim the canary can preload into the server (src/noutmp.c): an
 * absolute path that LD_PRELOAD names as it is (none of its separators,
 * a space or a colon, nor the $ of its substitutions), called noutmp.so
 * (the name by which it takes itself out again), a file of ours or
 * root's that nobody else can write, and a shared object that tmux can
 * load (ELF class, byte order and machine as the tmux binary's, or
 * roost's own when tmux is a script): one the dynamic loader refused
 * would stay in LD_PRELOAD of everything the server starts, with an
 * error at every exec.
 */
int
tmux_shim_check(const char *path)
{
	unsigned char h[20], me[20];
	const char *base = strrchr(path, '/');
	struct stat st;

	if (path[0] != '/' || strpbrk(path, " :$\t\n\r\v\f") != NULL)
		return err_set(RX_FAIL, "not an absolute path that LD_PRELOAD "
		    "can name (no spaces, colons or $)");
	if (base == NULL || strcmp(base, "/noutmp.so") != 0)
		return err_set(RX_FAIL, "not named noutmp.so");
	if (stat(path, &st) == -1)
		return err_set(RX_FAIL, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(RX_FAIL, "not a regular file");
	if (st.st_uid != 0 && st.st_uid != getuid())
		return err_set(RX_FAIL, "unsafe: owned by uid %ld, not by you "
		    "or root", (long)st.st_uid);
	if ((st.st_mode & 022) != 0)
		return err_set(RX_FAIL, "unsafe: group or world writable "
		    "(mode %04o)", (unsigned)(st.st_mode & 07777));
	if (elf_head(path, h) == -1)
		return err_set(RX_FAIL, "not an ELF file");
	if ((h[5] == 1 ? h[16] | h[17] << 8 : h[17] | h[16] << 8) != 3 ||
	    ((elf_head(tmux_bin(), me) == 0 ||
	    elf_head("/proc/self/exe", me) == 0) && (h[4] != me[4] ||
	    h[5] != me[5] || h[18] != me[18] || h[19] != me[19])))
		return err_set(RX_FAIL, "not a shared object tmux can load");
	return 0;
}

/* The tmux, its configuration and the utmp shim are absolute paths: they
 * are baked into the canary and the scheduler entry, and reach the passes
 * a death asks for, which run in other directories. */
int
tmux_paths_check(void)
{
	const char *t = tmux_bin(), *conf = getenv("ROOST_TMUX_CONF");
	const char *shim = getenv("ROOST_UTMP_SHIM");

	if (conf != NULL && *conf != '\0' && conf[0] != '/')
		return err_set(RX_FAIL, "tmux: ROOST_TMUX_CONF=%s: not an "
		    "absolute path", conf);
	if (t[0] != '/')
		return err_set(RX_FAIL, "tmux: %s: not an absolute path (set "
		    "ROOST_TMUX to tmux's absolute path)", t);
	if (shim != NULL && *shim != '\0' && tmux_shim_check(shim) == -1)
		return err_set(RX_FAIL, "tmux: ROOST_UTMP_SHIM=%s: %s (empty "
		    "for none)", shim, err_msg());
	return 0;
}

int
tmux_check(void)
{
	const char *t = tmux_bin();
	struct stat st;

	if (tmux_paths_check() == -1)
		return -1;
	if (access(t, X_OK) == -1)
		return err_set(RX_FAIL, "tmux: %s: %s (install tmux 3.3 or newer, "
		    "or point ROOST_TMUX at it)", t, strerror(errno));
	if (stat(t, &st) == -1 || !S_ISREG(st.st_mode))
		return err_set(RX_FAIL, "tmux: %s: not a regular file (install "
		    "tmux 3.3 or newer, or point ROOST_TMUX at it)", t);
	return 0;
}

/* One connect(2) to sun: 0 when it was accepted or queued, else -1 with
 * errno saying why. */
static int
sock_connect(const struct sockaddr_un *sun)
{
	int fd, rc, e;

#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	/* One syscall, not three: the tick does this for every identity. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
#else
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
#endif
	rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	if (rc == -1 && (errno == EAGAIN || errno == EINPROGRESS))
		rc = 0;		/* Linux: listening, backlog full: alive */
	e = errno;
	(void)close(fd);
	errno = e;
	return rc;
}

/* One connect(2) to sock: 1 when a server accepts (or queues) it, -1
 * when it is refused, 0 when there is nothing to connect to. */
int
tmux_probe(const char *sock)
{
	struct sockaddr_un sun;
	struct stat st;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path)
		return 0;
	/* No socket file, nothing to connect to: one lstat(2) instead of
	 * socket + connect + close (most identities are parked). */
	if (lstat(sock, &st) == -1 && errno == ENOENT)
		return 0;
	(void)strcpy(sun.sun_path, sock);
	if (sock_connect(&sun) == 0)
		return 1;
	return errno == ECONNREFUSED ? -1 : 0;
}

/*
 * After a refused connect: is it a busy server after all?  BSD and macOS
 * refuse a connection when the listen backlog is full, just as when
 * nobody listens, so a refused socket is asked once more, after a pause
 * -- but only while server (the pid that listened there) is alive, or
 * when it is not known (-1).  A server known dead (0, or a pid that is
 * gone: a death the hook or the canary reported) costs no wait.
 */
int
tmux_refused_again(const char *sock, pid_t server)
{
	if (server == 0 || (server > 0 && !pid_alive(server)))
		return 0;
	now_sleep_ms(REFUSED_PAUSE_MS);
	return tmux_probe(sock) == 1;
}

/* 1 when a server accepts connections on sock, else 0; server as for
 * tmux_refused_again. */
int
tmux_alive_pid(const char *sock, pid_t server)
{
	int r = tmux_probe(sock);

	return r == -1 ? tmux_refused_again(sock, server) : r;
}

/* The same, with no server pid known. */
int
tmux_alive(const char *sock)
{
	return tmux_alive_pid(sock, -1);
}

/*
 * What tmux printed for TMUX_PIDS: the server's pid and the pane's.
 * -1 (nothing recorded) when it is not two plausible pids.
 */
int
tmux_pids(const char *out, pid_t *server, pid_t *pane)
{
	unsigned long sp, pp;
	char *end;

	sp = strtoul(out, &end, 10);
	pp = strtoul(end, NULL, 10);
	if (sp <= 1 || pp <= 1 || sp >= 1UL << 30 || pp >= 1UL << 30)
		return -1;
	*server = (pid_t)sp;
	*pane = (pid_t)pp;
	return 0;
}

/* tmux's own client for a command: $ROOST_TMUX_CLIENT=exec, or what
 * tmux_wire does not speak. */
static int
client_exec(const char *sock, const char *const args[], struct buf *out,
    struct buf *err, long timeout)
{
	const char *argv[TMUX_ARGS_MAX + 6];
	const char *conf = getenv("ROOST_TMUX_CONF");
	int n = 0, i, rc;

	argv[n++] = tmux_bin();
	argv[n++] = "-S";
	argv[n++] = sock;
	if (conf != NULL && *conf != '\0') {
		argv[n++] = "-f";
		argv[n++] = conf;
	}
	for (i = 0; args[i] != NULL; i++) {
		if (i == TMUX_ARGS_MAX)
			err_abort("too many tmux arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	rc = spawn_tool_ms(argv, out, err, timeout);
	if (rc == 127 && err->len == 0)
		return err_set(RX_FAIL, "tmux: %s: could not execute", argv[0]);
	return rc < 256 ? rc : -1;
}

/*
 * tmux -S sock args...: the exit status (0 success), or -1 when it could
 * not run, was killed, or the server did not answer in time.  A non-zero
 * status records tmux's first stderr line as the reason.  roost speaks
 * the command to the server itself (tmuxwire.c), so most commands cost no
 * process; tmux's own client runs what that does not speak, or every
 * command with $ROOST_TMUX_CLIENT=exec.
 */
int
tmux_run(const char *sock, const char *const args[], struct buf *out)
{
	return tmux_run_ms(sock, args, out, TMUX_TIMEOUT_MS);
}

/*
 * tmux takes an argument that ends in ';' (a path of a home named so,
 * say) for the end of a command unless a backslash stands before that
 * ';'.  A lone ";" is the separator the caller meant, and one that ends
 * in "\;" is escaped already (send-keys' own way to type a ';').  The
 * escaped copies are kept in store (NULL when no argument needed one).
 */
static int
needs_escape(const char *a)
{
	size_t n = strlen(a);

	return n > 1 && a[n - 1] == ';' && a[n - 2] != '\\';
}

static const char *const *
args_escaped(const char *const args[], const char **v, char **store)
{
	size_t n, len = 0;
	int i;
	char *p;

	for (i = 0; args[i] != NULL; i++)
		if (needs_escape(args[i]))
			len += strlen(args[i]) + 2;
	*store = NULL;
	if (len == 0 || i > TMUX_ARGS_MAX)
		return args;
	p = *store = xmalloc(len);
	for (i = 0; args[i] != NULL; i++) {
		v[i] = args[i];
		if (!needs_escape(args[i]))
			continue;
		n = strlen(args[i]);
		(void)memcpy(p, args[i], n - 1);
		(void)memcpy(p + n - 1, "\\;", 3);
		v[i] = p;
		p += n + 2;
	}
	v[i] = NULL;
	return v;
}

/* The same, given up after timeout ms (a wedged server). */
int
tmux_run_ms(const char *sock, const char *const args0[], struct buf *out,
    long timeout)
{
	const char *how = getenv("ROOST_TMUX_CLIENT"), *v[TMUX_ARGS_MAX + 1];
	const char *const *args;
	struct buf err = { 0 };
	struct timespec t0;
	char *store;
	int rc = TMUX_WIRE_EXEC;

	if (tmux_check() == -1)
		return -1;
	args = args_escaped(args0, v, &store);
	timeout = spawn_timeout(timeout);
	now_mono(&t0);
	if (how == NULL || strcmp(how, "exec") != 0)
		rc = tmux_wire(sock, args, out, &err, timeout);
	if (rc == TMUX_WIRE_EXEC) {
		/* What is left of the one limit, not a second one. */
		long left = timeout - now_ms_since(&t0);

		buf_reset(&err);
		rc = client_exec(sock, args, out, &err, left > 1 ? left : 1);
	}
	if (rc > 0) {
		buf_firstline(&err);
		(void)err_set(RX_FAIL, "tmux %s: %s", args[0],
		    err.len > 0 ? err.s : "failed");
	}
	buf_free(&err);
	free(store);
	return rc;
}
