/*
 * tmuxwire.c - one tmux command spoken to the server's socket by roost
 * itself, as tmux's own client would speak it: no client process, so no
 * fork and no exec of tmux for each command (a client costs about as
 * much as the command's whole round trip).
 *
 * The protocol is tmux's private one: imsg frames (a 16-byte header: type,
 * length, flags, the protocol version as the peer id, the pid; since
 * tmux 3.6 length and flags are one 32-bit field, the same bytes on a
 * little-endian host for a frame that passes no descriptor) carrying
 * the client's identity, the command's argv, and back what the command
 * writes (stdout, stderr, a file through the client), the files it reads
 * through the client, and its exit status.  A server of another
 * protocol version says so before it runs anything (MSG_VERSION); so does
 * this file for what it does not speak (a big-endian host, a command too
 * long for one frame): the caller then runs tmux's own client, which
 * speaks whatever that tmux speaks.  It never starts a server: a command
 * to a socket with none fails as tmux's client does, and the server was
 * always the canary's to start.
 */
#include "roost.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* tmux-protocol.h and imsg.h: the messages of tmux 3.2 and later.  The
 * version has been 8 since tmux 2.x while messages were added (the file
 * messages in 3.1, the long flags in 3.2): roost needs tmux 3.3. */
#define W_VERSION	8
#define W_HEADER	16
#define W_MAX		16384		/* MAX_IMSGSIZE: header included */

#define MSG_VERSION		12
#define MSG_IDENTIFY_FLAGS	100
#define MSG_IDENTIFY_TERM	101
#define MSG_IDENTIFY_TTYNAME	102
#define MSG_IDENTIFY_ENVIRON	105
#define MSG_IDENTIFY_DONE	106
#define MSG_IDENTIFY_CLIENTPID	107
#define MSG_IDENTIFY_CWD	108
#define MSG_IDENTIFY_FEATURES	109
#define MSG_IDENTIFY_LONGFLAGS	111
#define MSG_COMMAND		200
#define MSG_DETACH		201
#define MSG_DETACHKILL		202
#define MSG_EXIT		203
#define MSG_EXITED		204
#define MSG_EXITING		205
#define MSG_READY		207
#define MSG_SHUTDOWN		210
#define MSG_READ_OPEN		300
#define MSG_READ		301
#define MSG_READ_DONE		302
#define MSG_WRITE_OPEN		303
#define MSG_WRITE		304
#define MSG_WRITE_READY		305
#define MSG_WRITE_CLOSE		306

#define CLIENT_UTF8		0x10000

#ifdef MSG_NOSIGNAL
#define W_SENDFLAGS	MSG_NOSIGNAL
#else
#define W_SENDFLAGS	0
#endif

/* This process, for the frames' headers: asked once a command (after a
 * fork it is another), not once a frame (one system call each). */
static pid_t wire_pid;

/* One frame onto b: the header in host order, as imsg writes it. */
static void
frame(struct buf *b, uint32_t type, const void *data, size_t len)
{
	unsigned char h[W_HEADER];
	uint32_t peer = W_VERSION, pid = (uint32_t)wire_pid;
	uint16_t flen = (uint16_t)(W_HEADER + len), flags = 0;

	memcpy(h, &type, 4);
	memcpy(h + 4, &flen, 2);
	memcpy(h + 6, &flags, 2);
	memcpy(h + 8, &peer, 4);
	memcpy(h + 12, &pid, 4);
	buf_add(b, h, sizeof h);
	if (len > 0)
		buf_add(b, data, len);
}

static void
frame_str(struct buf *b, uint32_t type, const char *s)
{
	frame(b, type, s, strlen(s) + 1);
}

static void
frame_int(struct buf *b, uint32_t type, int v)
{
	frame(b, type, &v, sizeof v);
}

/* tmux's client: a locale that names UTF-8 (or a client inside tmux) is
 * a UTF-8 one. */
static int
client_flags(void)
{
	const char *s = getenv("LC_ALL");

	if (getenv("TMUX") != NULL)
		return CLIENT_UTF8;
	if (s == NULL || *s == '\0')
		s = getenv("LC_CTYPE");
	if (s == NULL || *s == '\0')
		s = getenv("LANG");
	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		if ((s[0] == 'U' || s[0] == 'u') && (s[1] == 'T' ||
		    s[1] == 't') && (s[2] == 'F' || s[2] == 'f') &&
		    (s[3] == '8' || (s[3] == '-' && s[4] == '8')))
			return CLIENT_UTF8;
	return 0;
}

/* tmux's client's directory: $PWD where it is the working directory by
 * another name (a symbolic link kept), else the working directory, else
 * the home, else /. */
static void
client_cwd(char *cwd, size_t n)
{
	const char *pwd = getenv("PWD"), *home = getenv("HOME");
	struct stat a, b;
	struct passwd *pw;

	if (getcwd(cwd, n) != NULL) {
		if (pwd != NULL && *pwd == '/' && strlen(pwd) < n &&
		    stat(pwd, &a) == 0 && stat(cwd, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			(void)snprintf(cwd, n, "%s", pwd);
		return;
	}
	if ((home == NULL || *home == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	(void)snprintf(cwd, n, "%s", home != NULL && *home != '\0' &&
	    strlen(home) < n ? home : "/");
}

/*
 * What tmux's client sends before a command (no terminal: its stdin is
 * /dev/null when roost runs it), then the command: 0, or -1 when the
 * command does not fit one frame.
 */
static int
hello(struct buf *b, const char *const args[])
{
	extern char **environ;
	char cwd[PATHBUF], **e;
	const char *term = getenv("TERM");
	uint64_t longflags;
	struct buf cmd = { 0 };
	int flags = client_flags(), argc = 0, rc = 0;
	pid_t pid = wire_pid;

	longflags = (uint64_t)(unsigned)flags;
	frame_int(b, MSG_IDENTIFY_FLAGS, flags);
	frame(b, MSG_IDENTIFY_LONGFLAGS, &longflags, sizeof longflags);
	frame_str(b, MSG_IDENTIFY_TERM, term != NULL ? term : "");
	frame_int(b, MSG_IDENTIFY_FEATURES, 0);
	frame_str(b, MSG_IDENTIFY_TTYNAME, "");
	client_cwd(cwd, sizeof cwd);
	frame_str(b, MSG_IDENTIFY_CWD, cwd);
	frame(b, MSG_IDENTIFY_CLIENTPID, &pid, sizeof pid);
	for (e = environ; *e != NULL; e++)
		if (strlen(*e) + 1 <= W_MAX - W_HEADER)
			frame_str(b, MSG_IDENTIFY_ENVIRON, *e);
	frame(b, MSG_IDENTIFY_DONE, NULL, 0);

	/* struct msg_command { int argc; } and the argv, each with its NUL. */
	buf_add(&cmd, &argc, sizeof argc);
	for (; args[argc] != NULL; argc++)
		buf_add(&cmd, args[argc], strlen(args[argc]) + 1);
	memcpy(cmd.s, &argc, sizeof argc);
	if (W_HEADER + cmd.len > W_MAX)
		rc = -1;
	else
		frame(b, MSG_COMMAND, cmd.s, cmd.len);
	buf_free(&cmd);
	return rc;
}

/* A nonblocking connection to sock, or -1 with errno.  A listener whose
 * backlog is full (EAGAIN) is tried again until the deadline. */
static int
dial(const char *sock, const struct timespec *t0, long timeout)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)strcpy(sun.sun_path, sock);
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
#ifdef SO_NOSIGPIPE
		{
			int one = 1;

			(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one,
			    sizeof one);
		}
#endif
		if (connect(fd, (const struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
		e = errno;
		(void)close(fd);
		if (e != EAGAIN || now_ms_since(t0) >= timeout) {
			errno = e;
			return -1;
		}
		now_sleep_ms(1);
	}
}

/* Wait for fd to be ready for ev until the deadline: 1 ready, 0 not. */
static int
ready(int fd, short ev, const struct timespec *t0, long timeout)
{
	struct pollfd p;
	long left;
	int r;

	p.fd = fd;
	p.events = ev;
	for (;;) {
		if ((left = timeout - now_ms_since(t0)) <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return 1;	/* the read or write says why */
	}
}

/* All of b onto fd by the deadline: 0, or -1 (errno; ETIMEDOUT). */
static int
say(int fd, const struct buf *b, const struct timespec *t0, long timeout)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = send(fd, b->s + off, b->len - off, W_SENDFLAGS);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return -1;
		if (!ready(fd, POLLOUT, t0, timeout)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* A two-int reply (MSG_WRITE_READY, MSG_READ_DONE): stream, error. */
static void
reply2(struct buf *b, uint32_t type, int stream, int error)
{
	int v[2];

	v[0] = stream;
	v[1] = error;
	frame(b, type, v, sizeof v);
}

/* One conversation: the socket, its deadline, what the command wrote
 * and the files the server opened through the client. */
#define W_FILES	8
struct conv {
	int fd;
	const struct timespec *t0;
	long timeout;
	struct buf *out, *err;
	struct buf tx;		/* replies not yet sent */
	struct {
		int stream, fd;	/* fd 1 out, 2 err, else a file's */
	} files[W_FILES];
	int nfiles;
};

/*
 * The server asks for a file it names (load-buffer PATH reads it through
 * the client): its bytes as MSG_READs on stream, sent as they are read,
 * then MSG_READ_DONE, as tmux's client sends them: the open's errno, or 0
 * once the file ends or a read fails.  fd 0 is the client's stdin,
 * /dev/null here: nothing, then done.  -1 when the deadline passed.
 */
static int
read_for(struct conv *cv, int stream, int fd0, const char *path)
{
	char chunk[W_MAX - W_HEADER];
	int fd, rc = 0;
	ssize_t n;

	if (fd0 != -1) {
		reply2(&cv->tx, MSG_READ_DONE, stream, fd0 == 0 ? 0 : EBADF);
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		reply2(&cv->tx, MSG_READ_DONE, stream, errno);
		return 0;
	}
	memcpy(chunk, &stream, sizeof stream);
	for (;;) {
		n = read(fd, chunk + sizeof stream, sizeof chunk - sizeof stream);
		if (n > 0) {
			frame(&cv->tx, MSG_READ, chunk, sizeof stream + (size_t)n);
			if (say(cv->fd, &cv->tx, cv->t0, cv->timeout) == -1 &&
			    errno == ETIMEDOUT) {
				rc = -1;
				break;
			}
			buf_reset(&cv->tx);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* A pipe or a terminal with nothing yet: wait for it. */
		if (n == -1 && errno == EAGAIN) {
			if (!ready(fd, POLLIN, cv->t0, cv->timeout)) {
				rc = -1;
				break;
			}
			continue;
		}
		break;
	}
	(void)close(fd);
	if (rc == 0)
		reply2(&cv->tx, MSG_READ_DONE, stream, 0);
	return rc;
}

/* The server opens a file for the command's output (stream 1 and 2 for
 * what it prints, others for save-buffer and the like): fd 1 is stdout,
 * 2 stderr, -1 the path given, opened as tmux's client opens it. */
static void
write_open(struct conv *cv, int stream, int fd, int flags, const char *path)
{
	int i, f = -1, e = 0;

	for (i = 0; i < cv->nfiles; i++)
		if (cv->files[i].stream == stream)
			e = EBADF;
	if (e == 0 && cv->nfiles == W_FILES)
		e = EMFILE;
	if (e == 0 && fd == -1) {
		f = open(path, flags | O_NONBLOCK | O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644);
		if (f == -1)
			e = errno;
		else
			(void)fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK);
	} else if (e == 0 && (fd == 1 || fd == 2))
		f = fd;
	else if (e == 0)
		e = EBADF;
	if (e == 0) {
		cv->files[cv->nfiles].stream = stream;
		cv->files[cv->nfiles++].fd = f;
	}
	reply2(&cv->tx, MSG_WRITE_READY, stream, e);
}

static int
write_find(const struct conv *cv, int stream)
{
	int i;

	for (i = 0; i < cv->nfiles; i++)
		if (cv->files[i].stream == stream)
			return i;
	return -1;
}

static void
write_data(struct conv *cv, int stream, const unsigned char *d, size_t n)
{
	int i = write_find(cv, stream);

	if (i == -1)
		return;
	if (cv->files[i].fd == 1) {
		if (cv->out != NULL)
			buf_add(cv->out, d, n);
	} else if (cv->files[i].fd == 2)
		buf_add(cv->err, d, n);
	else
		while (n > 0) {
			ssize_t w = write(cv->files[i].fd, d, n);

			if (w == -1 && errno == EINTR)
				continue;
			if (w <= 0)
				break;	/* tmux's client drops it too */
			d += w;
			n -= (size_t)w;
		}
}

static void
write_close(struct conv *cv, int stream)
{
	int i = write_find(cv, stream);

	if (i == -1)
		return;
	if (cv->files[i].fd > 2)
		(void)close(cv->files[i].fd);
	cv->files[i] = cv->files[--cv->nfiles];
}

/*
 * One frame from the server (type, its data d of dlen bytes): 1 when the
 * conversation is over, 0 to go on, -1 when the deadline passed.  *rc is
 * the command's status so far.
 */
static int
dispatch(struct conv *cv, uint32_t type, const unsigned char *d, size_t dlen,
    int *rc, int *exiting)
{
	int v[3] = { 0, 0, 0 };

	memcpy(v, d, dlen < sizeof v ? dlen : sizeof v);
	switch (type) {
	case MSG_VERSION:
		*rc = TMUX_WIRE_EXEC;
		return 1;
	case MSG_WRITE_OPEN:		/* stream, fd, flags[, path] */
		if (dlen < sizeof v)
			break;
		if (dlen > sizeof v && d[dlen - 1] != '\0')
			reply2(&cv->tx, MSG_WRITE_READY, v[0], EINVAL);
		else
			write_open(cv, v[0], v[1], v[2], dlen > sizeof v ?
			    (const char *)d + sizeof v : "-");
		break;
	case MSG_WRITE:			/* stream, data */
		if (dlen >= sizeof v[0])
			write_data(cv, v[0], d + sizeof v[0],
			    dlen - sizeof v[0]);
		break;
	case MSG_WRITE_CLOSE:		/* stream */
		if (dlen >= sizeof v[0])
			write_close(cv, v[0]);
		break;
	case MSG_READ_OPEN:		/* stream, fd[, path] */
		if (dlen < 2 * sizeof v[0])
			break;
		if (dlen == 2 * sizeof v[0])
			return read_for(cv, v[0], v[1], "-");
		if (d[dlen - 1] != '\0') {
			reply2(&cv->tx, MSG_READ_DONE, v[0], EINVAL);
			break;
		}
		return read_for(cv, v[0], v[1],
		    (const char *)d + 2 * sizeof v[0]);
	case MSG_EXIT:			/* [retval[, message]] */
	case MSG_SHUTDOWN:
		if (dlen > 0 && dlen < sizeof v[0]) {
			buf_adds(cv->err, "bad MSG_EXIT size");
			*rc = 1;
			return 1;
		}
		*rc = dlen >= sizeof v[0] ? v[0] : 0;
		if (dlen > sizeof v[0])
			buf_add(cv->err, d + sizeof v[0], strnlen((const char *)
			    d + sizeof v[0], dlen - sizeof v[0]));
		/* Gone as a client: no need to wait for MSG_EXITED. */
		frame(&cv->tx, MSG_EXITING, NULL, 0);
		*exiting = 1;
		return 1;
	case MSG_READY:
		/* An attached client: not what any command of roost's asks. */
		buf_adds(cv->err, "attached a client that has no terminal");
		*rc = 1;
		frame(&cv->tx, MSG_EXITING, NULL, 0);
		*exiting = 1;
		return 1;
	case MSG_DETACH:
	case MSG_DETACHKILL:
		frame(&cv->tx, MSG_EXITING, NULL, 0);
		*exiting = 1;
		*rc = 0;
		break;
	case MSG_EXITED:
		return 1;
	default:
		break;
	}
	return 0;
}

/*
 * Run args on the server at sock, as `tmux -S sock args...` would:
 * stdout into out (may be NULL), stderr into err.  Returns tmux's exit
 * status (0 or 1), TMUX_WIRE_EXEC when tmux's own client must run it
 * instead (nothing was run), or -1 after err_set when the server did not
 * answer in timeout ms.
 */
int
tmux_wire(const char *sock, const char *const args[], struct buf *out,
    struct buf *err, long timeout)
{
	const union { uint16_t u; unsigned char c[2]; } endian = { 1 };
	struct conv cv;
	struct buf rx = { 0 };
	struct timespec t0;
	int rc = 1, done = 0, exiting = 0, i;

	memset(&cv, 0, sizeof cv);
	if (endian.c[0] != 1)
		return TMUX_WIRE_EXEC;	/* imsg's length field differs */
	wire_pid = getpid();
	if (hello(&cv.tx, args) == -1) {
		buf_free(&cv.tx);
		return TMUX_WIRE_EXEC;	/* its own client says "too long" */
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	cv.t0 = &t0;
	cv.timeout = timeout;
	cv.out = out;
	cv.err = err;
	if ((cv.fd = dial(sock, &t0, timeout)) == -1) {
		/* tmux's client, word for word: exit 1. */
		if (errno == ECONNREFUSED)
			buf_addf(err, "no server running on %s", sock);
		else
			buf_addf(err, "error connecting to %s (%s)", sock,
			    strerror(errno));
		buf_free(&cv.tx);
		return 1;
	}
	/* A write the server refused (it went away) still leaves its
	 * answer, if any, to read. */
	if (say(cv.fd, &cv.tx, &t0, timeout) == -1 && errno == ETIMEDOUT)
		done = -1;
	while (done == 0) {
		char chunk[8192];
		size_t used = 0;
		ssize_t n;

		if (!ready(cv.fd, POLLIN, &t0, timeout)) {
			done = -1;
			break;
		}
		n = read(cv.fd, chunk, sizeof chunk);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* tmux's client: exit 1, "server exited
			 * unexpectedly", unless it was leaving. */
			if (!exiting) {
				buf_adds(err, "server exited unexpectedly");
				rc = 1;
			}
			break;
		}
		buf_add(&rx, chunk, (size_t)n);
		buf_reset(&cv.tx);
		while (done == 0 && rx.len - used >= W_HEADER) {
			const unsigned char *h = (unsigned char *)rx.s + used;
			uint32_t type;
			uint16_t flen;

			memcpy(&type, h, 4);
			memcpy(&flen, h + 4, 2);
			if (flen < W_HEADER) {
				buf_adds(err, "a malformed message");
				rc = 1;
				done = 1;
				break;
			}
			if (rx.len - used < flen)
				break;
			used += flen;
			done = dispatch(&cv, type, h + W_HEADER,
			    (size_t)flen - W_HEADER, &rc, &exiting);
		}
		if (used > 0) {
			memmove(rx.s, rx.s + used, rx.len - used);
			rx.len -= used;
		}
		if (done != -1 && cv.tx.len > 0)
			(void)say(cv.fd, &cv.tx, &t0, timeout);
	}
	(void)close(cv.fd);
	for (i = 0; i < cv.nfiles; i++)
		if (cv.files[i].fd > 2)
			(void)close(cv.files[i].fd);
	buf_free(&cv.tx);
	buf_free(&rx);
	if (done == -1)
		return err_set(RX_FAIL, "tmux: %s: no answer after %ld ms",
		    sock, timeout);
	if (out != NULL)
		(void)buf_str(out);
	(void)buf_str(err);
	return rc;
}
