/*
 * session.c - one identity's session on its own tmux server: launch,
 * clean teardown, the canary, and turning an observed death into a
 * record.  Callers hold the identity's lock.
 *
 * The ordering rules that keep records honest:
 *   - a clean teardown dismisses the canary (pidfile removed, group
 *     SIGTERMed, waited for) before it touches the server, so a clean
 *     path can never produce ev=server-exit;
 *   - a launch over a dead server first lets a canary that is still
 *     recording finish, so the death it saw is never lost.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVER_GONE_MS	5000	/* kill-server until the socket refuses */
#define CANARY_GONE_MS	2000
#define CANARY_SETTLE_MS 3000	/* a recording canary: line, last-exit, snapshot */

int
running(const char *id)
{
	char sock[PATHBUF];

	if (sock_path(id, sock, sizeof sock) == -1)
		return 0;
	return sock_alive(sock);
}

static void
canary_script(const char *id, char *p)
{
	hpath(p, "bin/%s.canary", id);
}

/* 0 with the pid in .canary (alive or not), 1 when there is none. */
int
canary_pid(const char *id, pid_t *pid)
{
	return pidfile_read(id, M_CANARY, pid);
}

int
canary_live(const char *id, pid_t *pid)
{
	char script[PATHBUF];

	canary_script(id, script);
	return canary_pid(id, pid) == 0 && pid_runs_script(*pid, script);
}

/* A dismissal: pidfile first (a waking canary then knows), then SIGTERM to
 * its process group, then wait for it to be gone. */
void
canary_dismiss(const char *id)
{
	pid_t pid;
	int live = canary_live(id, &pid);

	(void)marker_rm(id, M_CANARY);
	if (!live)
		return;
	(void)kill(-pid, SIGTERM);
	if (wait_gone(pid, CANARY_GONE_MS) == -1) {
		(void)kill(-pid, SIGKILL);
		(void)wait_gone(pid, 500);
	}
}

/* Let a canary that is recording a death finish (bounded). */
int
canary_settle(const char *id, long ms)
{
	pid_t pid;

	if (!canary_live(id, &pid))
		return 0;
	return wait_gone(pid, ms);
}

static int
canary_spawn(const char *id, pid_t server_pid, const char *panes,
    const char *origin)
{
	char script[PATHBUF], spid[24], pbuf[256];
	const char *argv[24];
	char *save = NULL, *tok;
	pid_t pid;
	int n = 0;

	canary_script(id, script);
	(void)snprintf(spid, sizeof spid, "%ld", (long)server_pid);
	argv[n++] = "/bin/sh";
	argv[n++] = script;
	argv[n++] = spid;
	(void)snprintf(pbuf, sizeof pbuf, "%s", panes != NULL ? panes : "");
	for (tok = strtok_r(pbuf, " \n", &save); tok != NULL && n < 22;
	    tok = strtok_r(NULL, " \n", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	pid = spawn_detached(argv);
	if (pid > 0) {
		(void)snprintf(spid, sizeof spid, "%ld\n", (long)pid);
		if (marker_set(id, M_CANARY, spid) == -1) {
			(void)kill(-pid, SIGTERM);
			pid = -1;
		}
	}
	if (pid <= 0) {
		lifelog("canary", id, "state", "failed", "origin", origin,
		    "error", errmsg(), LEND);
		return -1;
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)pid);
	lifelog("canary", id, "state", "spawned", "origin", origin, "pid", spid,
	    LEND);
	return 0;
}

/* canary <id>, and the tick's respawn: what is one of spawned, already,
 * skipped (no server), failed. */
int
canary_ensure(const char *id, const char *origin, const char **what)
{
	struct session s;
	char sock[PATHBUF];
	pid_t pid;

	*what = "failed";
	if (sock_path(id, sock, sizeof sock) == -1)
		return -1;
	if (!sock_alive(sock)) {
		*what = "skipped";
		return 0;
	}
	if (canary_live(id, &pid)) {
		*what = "already";
		return 0;
	}
	if (session_read(id, &s) != 0 || s.server_pid <= 0 ||
	    !pid_alive(s.server_pid)) {
		const char *args[] = { "display-message", "-p", "#{pid}", NULL };
		struct buf o = { 0 };
		unsigned long v;

		if (tmux(sock, args, &o) != 0) {
			buf_free(&o);
			return -1;
		}
		o.len = strcspn(buf_str(&o), "\n");
		o.s[o.len] = '\0';
		if (parse_ulong(o.s, 1UL << 30, &v) == -1) {
			buf_free(&o);
			return rerr(RX_FAIL, "tmux: unexpected server pid '%s'",
			    o.s);
		}
		s.server_pid = (pid_t)v;
		buf_free(&o);
	}
	if (canary_spawn(id, s.server_pid, NULL, origin) == -1)
		return -1;
	*what = "spawned";
	return 0;
}

/* The pane processes, so a teardown can make sure none outlives it. */
static void
pane_pids(const char *sock, struct buf *o)
{
	const char *args[] = { "list-panes", "-a", "-F", "#{pane_pid}", NULL };

	if (tmux(sock, args, o) != 0)
		buf_reset(o);
}

/* Pane processes that ignored the hangup get SIGTERM, then SIGKILL, to
 * their process group: a teardown leaves nothing running. */
static void
reap_panes(const struct buf *list)
{
	pid_t pids[64];
	const char *p = list->s;
	struct timespec t0;
	int n = 0, i, round;

	while (*p != '\0' && n < 64) {
		unsigned long v = strtoul(p, (char **)&p, 10);

		if (v > 1 && v < (1UL << 30))
			pids[n++] = (pid_t)v;
		p += strspn(p, " \n");
		if (*p != '\0' && (*p < '0' || *p > '9'))
			break;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 3; round++) {
		int left = 0;

		while (ms_since(&t0) < 200L * round * round)
			sleep_ms(5);
		for (i = 0; i < n; i++) {
			if (!pid_alive(pids[i]) && !pgrp_alive(pids[i]))
				continue;
			left++;
			if (round == 1)
				(void)kill(-pids[i], SIGTERM);
			else if (round == 2)
				(void)kill(-pids[i], SIGKILL);
		}
		if (left == 0)
			return;
	}
}

/*
 * Clean teardown: canary first, then kill-server, then wait until the
 * socket refuses, then the socket file.  Never a death record.
 */
int
teardown(const char *id, const char *reason)
{
	char sock[PATHBUF];
	struct buf pids = { 0 };
	struct session s;
	struct timespec t0;
	int rc = 0;

	if (sock_path(id, sock, sizeof sock) == -1)
		return -1;
	canary_dismiss(id);
	if (sock_alive(sock)) {
		const char *args[] = { "kill-server", NULL };

		pane_pids(sock, &pids);
		(void)tmux(sock, args, NULL);
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		while (sock_alive(sock) && ms_since(&t0) < SERVER_GONE_MS)
			sleep_ms(5);
		if (sock_alive(sock) && session_read(id, &s) == 0 &&
		    s.server_pid > 1) {
			(void)kill(s.server_pid, SIGKILL);
			(void)wait_gone(s.server_pid, 1000);
		}
		if (sock_alive(sock))
			rc = rerr(RX_FAIL, "%s: the tmux server on %s would "
			    "not exit", id, sock);
		if (pids.len > 0)
			reap_panes(&pids);
	}
	buf_free(&pids);
	if (rc == 0 && remove_file(sock) == -1)
		rc = -1;
	if (rc == 0 && marker_rm(id, M_SESSION) == -1)
		rc = -1;
	lifelog("teardown", id, "reason", reason, LEND);
	return rc;
}

/* Statuses with a well-known meaning: the launch script's own 111 (cwd
 * or conf unusable; its message is in the pane log) and sh's 126/127. */
static const char *
exit_reason(const char *status)
{
	if (strcmp(status, "111") == 0)
		return "launch-failed";
	if (strcmp(status, "126") == 0)
		return "not-executable";
	if (strcmp(status, "127") == 0)
		return "command-not-found";
	return NULL;
}

/*
 * Turn a death the tick (or a launch) found into a record: .deaths line,
 * ev=death, .session gone.  *clean_exit is 1 when the program itself
 * exited with status 0.
 */
int
death_record(const char *id, const struct session *s, int *clean_exit)
{
	struct buf le = { 0 }, v = { 0 }, cause = { 0 };
	char sock[PATHBUF], spid[24];
	const char *status = "", *sig = "", *reason = NULL;
	char stbuf[32] = "", sigbuf[32] = "";
	struct timespec lt;
	struct stat st;
	unsigned long lp;
	int matched = 0;

	*clean_exit = 0;
	(void)canary_settle(id, CANARY_SETTLE_MS);
	if (marker_read(id, M_LASTEXIT, &le) == 0 &&
	    marker_mtime(id, M_LASTEXIT, &lt) == 0 && lt.tv_sec >= s->woke &&
	    logfmt_get(le.s, "server_pid", &v) == 0 &&
	    parse_ulong(v.s, 1UL << 30, &lp) == 0 && s->server_pid > 0 &&
	    (pid_t)lp == s->server_pid)
		matched = 1;
	if (matched && logfmt_get(le.s, "ev", &v) == 0 &&
	    strcmp(v.s, "session-exit") == 0) {
		if (logfmt_get(le.s, "status", &v) == 0)
			(void)snprintf(stbuf, sizeof stbuf, "%s", v.s);
		if (logfmt_get(le.s, "signal", &v) == 0)
			(void)snprintf(sigbuf, sizeof sigbuf, "%s", v.s);
		status = stbuf;
		sig = sigbuf;
		if (*sig != '\0')
			buf_adds(&cause, sig);
		else {
			buf_addf(&cause, "status=%s", *status ? status : "?");
			*clean_exit = strcmp(status, "0") == 0;
			reason = exit_reason(status);
		}
	} else if (matched && logfmt_get(le.s, "cause", &v) == 0 &&
	    v.len > 0) {
		buf_adds(&cause, v.s);
	} else {
		buf_adds(&cause, "server-dead");
		reason = sock_path(id, sock, sizeof sock) == 0 &&
		    lstat(sock, &st) == 0 ? "stale-socket" : "socket-missing";
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)s->server_pid);
	if (reason != NULL) {
		lifelog("death", id, "cause", cause.s, "reason", reason,
		    "status", status, "signal", sig, "server_pid", spid, LEND);
		buf_addf(&cause, " reason=%s", reason);
	} else
		lifelog("death", id, "cause", cause.s, "status", status,
		    "signal", sig, "server_pid", spid, LEND);
	(void)deaths_append(id, now_wall(), cause.s);
	(void)marker_rm(id, M_CANARY);
	buf_free(&le);
	buf_free(&v);
	buf_free(&cause);
	return marker_rm(id, M_SESSION);
}

/* Render a one-line tmux string template (hook, pipe-pane command). */
static int
render_line(const char *t, const struct vars *v, struct buf *b)
{
	if (render(t, v, b) == -1)
		return -1;
	while (b->len > 0 && b->s[b->len - 1] == '\n')
		b->s[--b->len] = '\0';
	return 0;
}

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

	hpath(p, "log/%s.log", id);
	if ((fd = open_safe(p, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	(void)close(fd);
	return 0;
}

static int
preclean(const char *id, const char *sock)
{
	struct session s;
	int clean;

	if (sock_alive(sock))
		return teardown(id, "relaunch");
	if (session_read(id, &s) == 0)
		(void)death_record(id, &s, &clean);
	(void)canary_settle(id, CANARY_SETTLE_MS);
	canary_dismiss(id);
	return remove_file(sock);
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

	if (sock_path(id, sock, sizeof sock) == -1 || tmux_check() == -1 ||
	    preclean(id, sock) == -1 || scripts_present(id, c) == -1 ||
	    pane_log_ready(id) == -1)
		goto out;
	parked = marker_has(id, M_IDLE) == 1;
	mode = mode_req != NULL ? mode_req : parked ? "resume" : "fresh";
	if (vars_std(&v, id, c) == -1 ||
	    render_line("tmux-hook", &v, &hook) == -1 ||
	    render_line("pipe-pane", &v, &pipe_cmd) == -1)
		goto out;
	(void)esc_fmt(&cwd, c->cwd != NULL ? c->cwd :
	    home != NULL && *home != '\0' ? home : "/");
	hpath(lscript, "bin/%s.launch", id);
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
		if (tmux(sock, args, &o) != 0)
			goto out;
	}
	errno = 0;
	sp = strtoul(buf_str(&o), &sp_end, 10);
	pp = strtoul(sp_end, NULL, 10);
	if (sp == 0 || pp == 0) {
		(void)rerr(RX_FAIL, "tmux new-session: unexpected output '%.40s'",
		    o.s);
		goto out;
	}
	s.server_pid = (pid_t)sp;
	s.pane_pid = (pid_t)pp;
	(void)snprintf(s.mode, sizeof s.mode, "%s", mode);
	(void)snprintf(spid, sizeof spid, "%lu", pp);
	if (canary_spawn(id, s.server_pid, spid, "launch") == -1)
		warnx_("%s: canary: %s", id, errmsg());
	if (session_write(id, &s) == -1)
		goto out;
	/* tmux built with utempter (tmux#311; fixed in 3.5) can miss the
	 * SIGCHLD of a pane that exits while it spawns; a nudge makes it
	 * reap, so pane-died fires.  Harmless otherwise. */
	(void)kill(s.server_pid, SIGCHLD);
	(void)marker_rm(id, M_WAKE);
	if (strcmp(mode, "resume") == 0 || parked)
		(void)marker_rm(id, M_IDLE);
	(void)snprintf(spid, sizeof spid, "%ld", (long)s.server_pid);
	lifelog("launch", id, "mode", mode, "cause", cause, "server_pid", spid,
	    LEND);
	if (mode_out != NULL)
		*mode_out = strcmp(mode, "resume") == 0 ? "resume" : "fresh";
	rc = 0;
out:
	if (rc == -1) {
		char why[1024];

		(void)snprintf(why, sizeof why, "%s", errmsg());
		lifelog("error", id, "op", "launch", "error", why, LEND);
		/* Never leave a server up that no .session accounts for. */
		if (sock_alive(sock))
			(void)teardown(id, "launch-failed");
		(void)rerr(RX_FAIL, "%s", why);
	}
	vars_free(&v);
	buf_free(&hook);
	buf_free(&pipe_cmd);
	buf_free(&cwd);
	buf_free(&o);
	return rc;
}
