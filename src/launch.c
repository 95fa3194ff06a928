/*
 * launch.c - a new session on the identity's own tmux server: one tmux
 * invocation creates it and sets what the session needs; then the canary;
 * then .session.  Callers hold the identity's lock.
 */
#include "roost.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CANARY_SETTLE_MS 3000	/* a recording canary: line, last-exit, snapshot */

/* The scripts a launch runs: the canary and the hook follow the
 * templates (so an upgrade reaches running homes); the launch script is
 * rendered only when missing. */
static int
scripts_present(const char *id, const struct conf *c)
{
	return render_id_scripts(id, c, 1);
}

/* The pane log exists as a regular file (never a symlink) before
 * pipe-pane's shell appends to it. */
static int
pane_log_ready(const char *id)
{
	char p[PATHBUF];
	int fd;

	home_path(p, "log/%s.log", id);
	if ((fd = file_open(p, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	(void)close(fd);
	return 0;
}

static int
preclean(const char *id, const char *sock)
{
	int clean;

	if (tmux_alive(sock))
		return teardown(id, "relaunch");
	(void)death_flush(id, &clean);
	(void)canary_settle(id, CANARY_SETTLE_MS);
	canary_dismiss(id);
	return file_remove(sock);
}

/*
 * Launch: one tmux invocation creates the detached session running
 * bin/<id>.launch and, chained, sets remain-on-exit, the pane-died hook
 * and pipe-pane; then the canary; then .session.
 * mode_req: NULL (resume when parked), "fresh" or "resume".
 */
int
launch(const char *id, const struct conf *c, const char *mode_req,
    const char *cause, const char **mode_out)
{
	char sock[PATHBUF], lscript[PATHBUF], spid[24];
	struct buf hook = { 0 }, pipe_cmd = { 0 }, cwd = { 0 }, o = { 0 };
	struct vars v = { 0 };
	struct session s;
	const char *mode, *home = getenv("HOME");
	unsigned long sp, pp;
	char *sp_end;
	int rc = -1, parked;

	if (home_sock(id, sock, sizeof sock) == -1 || tmux_check() == -1 ||
	    preclean(id, sock) == -1 || scripts_present(id, c) == -1 ||
	    pane_log_ready(id) == -1)
		goto out;
	parked = marker_has(id, M_IDLE) == 1;
	mode = mode_req != NULL ? mode_req : parked ? "resume" : "fresh";
	if (render_std(&v, id, c) == -1 ||
	    render_line("tmux-hook", &v, &hook) == -1 ||
	    render_line("pipe-pane", &v, &pipe_cmd) == -1)
		goto out;
	(void)esc_fmt(&cwd, c->cwd != NULL ? c->cwd :
	    home != NULL && *home != '\0' ? home : "/");
	home_path(lscript, "bin/%s.launch", id);
	{
		char target[ID_MAX + 4];
		const char *args[] = {
			"new-session", "-d", "-s", id, "-c", cwd.s,
			"-x", "200", "-y", "50", "-P", "-F", "#{pid} #{pane_pid}",
			lscript, mode, ";",
			"set-option", "-w", "-t", target, "remain-on-exit", "on",
			";",
			"set-hook", "-t", target, "pane-died", hook.s, ";",
			"pipe-pane", "-t", target, pipe_cmd.s, ";",
			/* A user's ~/.tmux.conf must not keep an empty server
			 * alive (no death seen) or kill an unattached one. */
			"set-option", "-s", "exit-empty", "on", ";",
			"set-option", "-s", "exit-unattached", "off", ";",
			"set-option", "-t", target, "destroy-unattached", "off",
			NULL
		};

		(void)snprintf(target, sizeof target, "=%s:", id);
		s.woke = now_wall();
		if (tmux_run(sock, args, &o) != 0)
			goto out;
	}
	errno = 0;
	sp = strtoul(buf_str(&o), &sp_end, 10);
	pp = strtoul(sp_end, NULL, 10);
	if (sp == 0 || pp == 0) {
		(void)err_set(RX_FAIL, "tmux new-session: unexpected output '%.40s'",
		    o.s);
		goto out;
	}
	s.server_pid = (pid_t)sp;
	s.pane_pid = (pid_t)pp;
	(void)snprintf(s.mode, sizeof s.mode, "%s", mode);
	(void)snprintf(spid, sizeof spid, "%lu", pp);
	if (canary_spawn(id, s.server_pid, spid, "launch") == -1)
		err_warn("%s: canary: %s", id, err_msg());
	if (marker_session_write(id, &s) == -1)
		goto out;
	/* tmux built with utempter (tmux#311; fixed in 3.5) can miss the
	 * SIGCHLD of a pane that exits while it spawns; a nudge makes it
	 * reap, so pane-died fires.  Harmless otherwise. */
	(void)kill(s.server_pid, SIGCHLD);
	(void)marker_rm(id, M_WAKE);
	if (strcmp(mode, "resume") == 0 || parked)
		(void)marker_rm(id, M_IDLE);
	(void)snprintf(spid, sizeof spid, "%ld", (long)s.server_pid);
	log_event("launch", id, "mode", mode, "cause", cause, "server_pid", spid,
	    LEND);
	if (mode_out != NULL)
		*mode_out = strcmp(mode, "resume") == 0 ? "resume" : "fresh";
	rc = 0;
out:
	if (rc == -1) {
		struct buf why = { 0 };

		buf_adds(&why, err_msg());
		log_event("error", id, "op", "launch", "error", why.s, LEND);
		/* Never leave a server up that no .session accounts for. */
		if (tmux_alive(sock))
			(void)teardown(id, "launch-failed");
		(void)err_set(RX_FAIL, "%s", why.s);
		buf_free(&why);
	}
	render_free(&v);
	buf_free(&hook);
	buf_free(&pipe_cmd);
	buf_free(&cwd);
	buf_free(&o);
	return rc;
}
