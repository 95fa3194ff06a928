/*
 * server.c - an identity's tmux server and its socket, as this home owns
 * them.  The socket directory may be shared (ROOST_SOCK_DIR): a server is
 * this home's only when it says so (the server option @roost-home, set at
 * launch), and roost removes nothing there but a dead socket of its own.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HOME_OPTION	"@roost-home"

/* The server's "<pid> <@roost-home>" as tmux reports it. */
static int
server_ask(const char *sock, pid_t *pid, struct buf *home, long ms)
{
	const char *args[] = { "display-message", "-p",
	    "#{pid} #{" HOME_OPTION "}", NULL };
	const char *args2[] = { "show-options", "-sv", HOME_OPTION, NULL };
	struct buf o = { 0 };
	unsigned long v;
	char *sp;
	int rc = 0;

	buf_reset(home);
	*pid = 0;
	/* display-message needs a session; a server without one still
	 * answers show-options. */
	if (tmux_run_ms(sock, args, &o, ms) == 0) {
		buf_firstline(&o);
		if ((sp = strchr(o.s, ' ')) != NULL) {
			*sp++ = '\0';
			buf_adds(home, sp);
		}
		if (num_ulong(o.s, 1UL << 30, &v) == 0 && v > 1)
			*pid = (pid_t)v;
	} else if (tmux_run_ms(sock, args2, &o, ms) == 0) {
		buf_firstline(&o);
		buf_adds(home, o.s);
	} else
		rc = -1;
	buf_free(&o);
	return rc;
}

/*
 * The server on id's socket is this home's: 1 yes, 0 no (the error slot
 * says whose it is), -1 when it does not answer within ms, SERVER_GONE
 * when it stopped accepting connections while asked (a server on its way
 * out, such as one whose session just ended: not a foreign one).  A
 * server started before @roost-home existed is ours when its pid is the
 * one .session recorded (the context's, read once).
 */
int
server_ours(struct idctx *x, long ms)
{
	struct buf home = { 0 };
	const struct session *sp = marker_ctx_session(x);
	const char *id = x->id, *sock = x->sock;
	pid_t pid;
	int rc, have = sp != NULL;

	/* Stopped, the server .session recorded would only time out. */
	if (have && sp->server_pid > 1 && pid_stopped(sp->server_pid) &&
	    pid_is(sp->server_pid, sp->server_start, NULL))
		return err_set(RX_FAIL, "%s: its tmux server (pid %ld) on %s is "
		    "wedged: stopped by a signal, it accepts connections and "
		    "answers nothing (kill -CONT %ld resumes it; roost restart "
		    "%s replaces it)", id, (long)sp->server_pid, sock,
		    (long)sp->server_pid, id);
	if (server_ask(sock, &pid, &home, ms) == -1) {
		buf_free(&home);
		if (!tmux_alive_pid(sock,
		    have && sp->server_pid > 1 ? sp->server_pid : -1)) {
			(void)err_set(RX_FAIL, "%s: the tmux server on %s went "
			    "away while asked whose it is", id, sock);
			return SERVER_GONE;
		}
		rc = err_set(RX_FAIL, "%s: %s accepts connections but did not "
		    "answer as a tmux server in %ld ms: a wedged server, or not "
		    "tmux (%s)", id, sock, ms, err_msg());
		return rc;
	}
	if (strcmp(home.s, home_dir()) == 0)
		rc = 1;
	else if (home.len == 0 && pid > 1 && have && sp->server_pid == pid)
		rc = 1;
	else {
		if (home.len == 0)
			(void)err_set(RX_FAIL, "%s: the tmux server on %s is not "
			    "roost's (no %s): refusing to touch it", id, sock,
			    HOME_OPTION);
		else
			(void)err_set(RX_FAIL, "%s: the tmux server on %s "
			    "belongs to the home %s, not %s: give each home its "
			    "own ROOST_SOCK_DIR", id, sock, home.s, home_dir());
		rc = 0;
	}
	buf_free(&home);
	return rc;
}

/*
 * Clear the way for a new server on sock: nothing there, or a dead socket
 * of ours, which goes.  Anything else (a file, a symlink, a socket of
 * another user, one that still answers) is refused and left alone.
 */
int
server_sock_clear(const char *sock)
{
	struct stat st;

	if (lstat(sock, &st) == -1)
		return errno == ENOENT ? 0 : err_errno(sock);
	if (!S_ISSOCK(st.st_mode))
		return err_set(RX_FAIL, "%s: not a socket: refusing to remove "
		    "it (a socket directory shared with something else?)", sock);
	if (st.st_uid != getuid())
		return err_set(RX_FAIL, "%s: a socket of uid %ld: refusing to "
		    "remove it", sock, (long)st.st_uid);
	if (tmux_alive(sock))
		return err_set(RX_FAIL, "%s: a server still answers on it",
		    sock);
	return file_remove(sock);
}
