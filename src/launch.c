/*
 * launch.c - a new session on the identity's own tmux server: the canary
 * starts the server, one tmux invocation creates the session and sets
 * what it needs, then .session records it.  Callers hold the identity's
 * lock.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The scripts a launch runs (which: RS_LAUNCH, RS_CANARY, RS_HOOK): the
 * canary and the hook follow the templates (so an upgrade reaches running
 * homes); the launch script is rendered only when missing. */
static int
scripts_present(const char *id, const struct conf *c, int which)
{
	return render_id_scripts(id, c, which | RS_KEEP_LAUNCH);
}

/*
 * state/<id>.watch, a FIFO: each launch script writes its pid to it, and
 * the pane-log writer, which holds it open to read, watches that process
 * and nudges the tmux server when it ends (tmux built with utempter,
 * before 3.6, can miss the pane's SIGCHLD); the writer and the pane-died
 * hook also lock it in turn to record a pane's end.  Made here, without a
 * fork; anything else found at that name is left alone, and then no
 * launch script writes to it and the writer records nothing.
 */
static int
watch_ready(const char *id)
{
	char p[PATHBUF];
	struct stat st;

	home_path(p, "state/%s.watch", id);
	if (lstat(p, &st) == 0 || errno != ENOENT)
		return 0;
	if (mkfifo(p, 0600) == -1 && errno != EEXIST)
		return err_errno(p);
	return 0;
}

/* The pane log exists as a regular file (never a symlink) before
 * pipe-pane's shell appends to it. */
static int
pane_log_ready(const struct idctx *x)
{
	int fd;

	if ((fd = file_open(x->pane_log, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	(void)close(fd);
	return 0;
}

/*
 * The environment of the canary, the tmux server it starts and so of
 * the program: the same whoever launches (a shell, cron's bare one, a
 * systemd timer, launchd).  HOME, PATH and the locale as in force (the
 * scheduler entry bakes them); USER, LOGNAME and SHELL from the passwd
 * entry; ROOST_HOME, ROOST_SOCK_DIR, ROOST_TMUX, ROOST_TMUX_CONF,
 * ROOST_UTMP_SHIM, ROOST_ID.  Nothing else: the identity's own variables
 * come from conf/<id>.env.
 */
static void
env_add(struct strv *e, const char *k, const char *v)
{
	struct buf b = { 0 };

	if (v == NULL)
		return;
	buf_addf(&b, "%s=%s", k, v);
	e->v = xrealloc(e->v, sizeof *e->v * ((size_t)e->n + 2));
	e->v[e->n++] = b.s;
	e->v[e->n] = NULL;
}

static void
env_build(const char *id, struct strv *e)
{
	extern char **environ;
	const struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME"), *path = getenv("PATH"), *sd;
	char **ep;

	e->n = 0;
	e->v = NULL;
	if (home == NULL || *home == '\0')
		home = pw != NULL ? pw->pw_dir : "/";
	env_add(e, "HOME", home);
	env_add(e, "PATH", path != NULL && *path != '\0' ? path :
	    "/usr/local/bin:/usr/bin:/bin");
	if (pw != NULL) {
		env_add(e, "USER", pw->pw_name);
		env_add(e, "LOGNAME", pw->pw_name);
	}
	env_add(e, "SHELL", pw != NULL && pw->pw_shell != NULL &&
	    *pw->pw_shell != '\0' ? pw->pw_shell : "/bin/sh");
	for (ep = environ; *ep != NULL; ep++)
		if (strncmp(*ep, "LANG=", 5) == 0 ||
		    strncmp(*ep, "LC_", 3) == 0) {
			e->v = xrealloc(e->v, sizeof *e->v * ((size_t)e->n + 2));
			e->v[e->n++] = xstrdup(*ep);
			e->v[e->n] = NULL;
		}
	env_add(e, "ROOST_HOME", home_dir());
	if ((sd = getenv("ROOST_SOCK_DIR")) != NULL && *sd != '\0')
		env_add(e, "ROOST_SOCK_DIR", home_sockdir());
	/* An override of systemd-run (the tests' stand-in), the tmux and
	 * its configuration hold for the passes a death asks for too (the
	 * pane-died hook's, the canary's): the canary they render again,
	 * and so the next server, keep them. */
	if ((sd = getenv("ROOST_SYSTEMD_RUN")) != NULL && *sd != '\0')
		env_add(e, "ROOST_SYSTEMD_RUN", sd);
	if ((sd = getenv("ROOST_TMUX")) != NULL && *sd != '\0')
		env_add(e, "ROOST_TMUX", sd);
	if ((sd = getenv("ROOST_TMUX_CONF")) != NULL && *sd != '\0')
		env_add(e, "ROOST_TMUX_CONF", sd);
	if ((sd = getenv("ROOST_UTMP_SHIM")) != NULL)
		env_add(e, "ROOST_UTMP_SHIM", sd);
	env_add(e, "ROOST_ID", id);
	/* The canary's clock with no date of its own (pid_clock0); it
	 * unsets this before it starts the server. */
	{
		char c0[48];

		if (pid_clock0(c0, sizeof c0) == 0)
			env_add(e, "ROOST_CLOCK0", c0);
	}
}

static void
env_free(struct strv *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

/* Whatever was on the socket goes first: a live server of ours is torn
 * down, a dead one's death recorded, its socket removed.  A server or
 * file that is not this home's is refused, never touched. */
static off_t
pane_log_size(const struct idctx *x)
{
	struct stat st;

	return lstat(x->pane_log, &st) == 0 ? st.st_size : 0;
}

static int
preclean(struct idctx *x)
{
	int clean, ours;

	if (tmux_alive(x->sock) &&
	    (ours = server_ours(x, SERVER_ASK_MS)) != SERVER_GONE)
		return ours == 1 ? teardown(x, "relaunch") : -1;
	if (death_unreachable(x) == -1)
		return -1;	/* a second copy of the program, else */
	(void)death_flush(x, &clean);
	(void)canary_settle(x->id, CANARY_SETTLE_MS);
	canary_dismiss(x->id);
	return server_sock_clear(x->sock);
}

/* The last line the pane log got since offset: what a tmux server that
 * could not start said. */
static void
pane_log_said(const struct idctx *x, off_t from, char *out, size_t n)
{
	char chunk[4096];
	ssize_t got;
	int fd;

	out[0] = '\0';
	if ((fd = file_open(x->pane_log, O_RDONLY, 0)) == -1)
		return;
	got = pread(fd, chunk, sizeof chunk - 1, from);
	(void)close(fd);
	if (got <= 0)
		return;
	chunk[got] = '\0';
	while (got > 0 && (chunk[got - 1] == '\n' || chunk[got - 1] == '\r'))
		chunk[--got] = '\0';
	{
		const char *nl = strrchr(chunk, '\n'), *last = nl != NULL ?
		    nl + 1 : chunk;
		size_t len = strlen(last);

		if (len >= n)
			len = n - 1;
		memcpy(out, last, len);
		out[len] = '\0';
	}
}

/* The program's directory, escaped for tmux's -c: the conf's cwd, else
 * HOME, else /. */
static void
launch_cwd(const struct conf *c, struct buf *out)
{
	const char *home = getenv("HOME");

	(void)esc_fmt(out, c->cwd != NULL ? c->cwd :
	    home != NULL && *home != '\0' ? home : "/");
}

/*
 * What a launch prepares while its new server starts (a tmux server
 * listens some milliseconds after its exec, and the launch would only
 * wait): the launch script and the hook, the FIFO the launch script
 * writes to, the slate of activity markers, and the tmux strings of the
 * session.  Nothing of it is needed before the session is created.  Done
 * once, however many tries the server takes; a failure is kept for
 * when the server is up, so the launch tears down what it started.
 */
struct prep {
	int done, rc;
	struct buf why, hook, pipe_cmd, alert, cwd;
};

static void
prep_run(const struct idctx *x, const struct conf *c, struct prep *p)
{
	const char *id = x->id;
	struct vars v = { 0 };

	if (p->done)
		return;
	p->done = 1;
	if (scripts_present(id, c, RS_LAUNCH | RS_HOOK) == -1 ||
	    watch_ready(id) == -1 ||
	    render_std(&v, id, c) == -1 ||
	    render_line("tmux-hook", &v, &p->hook) == -1 ||
	    render_line("pipe-pane", &v, &p->pipe_cmd) == -1 ||
	    render_line("alert-hook", &v, &p->alert) == -1) {
		p->rc = -1;
		buf_adds(&p->why, err_msg());
	} else {
		activity_clear(id);	/* the markers of the run before */
		launch_cwd(c, &p->cwd);
	}
	render_free(&v);
}

/* The prepared launch, or what stopped it.  The new server is then
 * marked this home's, as the session's first command would have marked
 * it, so the failure tears it down. */
static int
prep_result(const struct idctx *x, const struct conf *c, struct prep *p)
{
	const char *args[] = {
		"set-option", "-s", "@roost-home", home_dir(), NULL
	};

	prep_run(x, c, p);
	if (p->rc == 0)
		return 0;
	(void)tmux_run(x->sock, args, NULL);
	return err_set(RX_FAIL, "%s", buf_str(&p->why));
}

static void
prep_free(struct prep *p)
{
	buf_free(&p->why);
	buf_free(&p->hook);
	buf_free(&p->pipe_cmd);
	buf_free(&p->alert);
	buf_free(&p->cwd);
}

/* The canary's server listens (the canary is its parent and waits for
 * it); the session can be created.  A server listens a few milliseconds
 * after its start, and each moment waited here is one more before the
 * program runs: asked every SERVER_POLL_US (an lstat(2) until the socket
 * is there, then a connect(2); no process). */
static int
server_wait_up(const struct idctx *x, pid_t canary, off_t logpos)
{
	const char *id = x->id, *sock = x->sock;
	struct timespec t0;
	char said[256];

	now_mono(&t0);
	while (!tmux_alive(sock)) {
		if (!pid_alive(canary)) {
			pane_log_said(x, logpos, said, sizeof said);
			return err_set(RX_FAIL, "%s: its tmux server did not start"
			    "%s%s", id, said[0] != '\0' ? ": " : "", said);
		}
		if (now_ms_since(&t0) > SERVER_UP_MS)
			return err_set(RX_FAIL, "%s: no tmux server listening on "
			    "%s after %d ms", id, sock, SERVER_UP_MS);
		now_sleep_us(SERVER_POLL_US);
	}
	return 0;
}

/* The canary, and so the server, started and listening. */
static int
server_start1(const struct idctx *x, const struct conf *c, struct strv *env,
    const struct canary_scope *cs, struct prep *p)
{
	off_t logpos = pane_log_size(x);
	pid_t canary;

	if (canary_serve(x->id, env->v, cs, &canary) == -1)
		return -1;
	prep_run(x, c, p);
	return server_wait_up(x, canary, logpos);
}

/*
 * The server in the identity's own scope where a user manager answers
 * (scope.c), else plain.  A scope that cannot be made falls back to the
 * plain launch, said once (ev=scope result=failed why=); a scope of the
 * same name left over from a dead session (an orphan still in it) is
 * stopped first, so `systemctl --user status roost-<id>.scope` always
 * names the live one.  s->scope says which it was.
 */
static int
server_start(const struct idctx *x, const struct conf *c, struct strv *env,
    struct session *s, struct prep *p)
{
	const char *id = x->id;
	struct canary_scope cs;
	struct buf why = { 0 };
	char mm[24] = "", mh[24] = "";
	int rc;

	s->scope[0] = '\0';
	if (scope_manager() != 1)
		return server_start1(x, c, env, NULL, p);
	scope_unit(id, cs.unit, sizeof cs.unit);
	if (c->memory_max > 0)
		(void)snprintf(mm, sizeof mm, "%llu", c->memory_max);
	if (c->memory_high > 0)
		(void)snprintf(mh, sizeof mh, "%llu", c->memory_high);
	cs.mm = mm;
	cs.mh = mh;
	env_add(env, "XDG_RUNTIME_DIR", scope_runtime_dir());
	if ((rc = server_start1(x, c, env, &cs, p)) == -1) {
		canary_dismiss(id);
		if (scope_self_in(cs.unit))
			buf_addf(&why, "this process runs in %s", cs.unit);
		else {
			/* A stale unit of that name gives its name back
			 * (harmless when there is none); then once more. */
			(void)scope_stop(cs.unit, NULL);
			if ((rc = server_start1(x, c, env, &cs, p)) == 0)
				log_event("scope", id, "stale", "stopped",
				    "unit", cs.unit, LEND);
			else {
				canary_dismiss(id);
				if (scope_probe(cs.unit, mm, mh, &why) == 0) {
					buf_free(&why);
					return -1;	/* not the scope's fault */
				}
			}
		}
	}
	if (rc == 0) {
		(void)snprintf(s->scope, sizeof s->scope, "%s", cs.unit);
		log_event("scope", id, "result", "ok", "unit", cs.unit, LEND);
	} else {
		log_event("scope", id, "result", "failed", "unit", cs.unit,
		    "why", why.s, LEND);
		err_warn("%s: no scope (%s): launched without one", id, why.s);
		rc = server_start1(x, c, env, NULL, p);
	}
	buf_free(&why);
	return rc;
}

/* One tmux invocation: the session, running bin/<id>.launch MODE in cwd,
 * and everything it needs set before the program can end. */
static int
session_create(const struct idctx *x, const char *mode, const struct prep *p,
    struct session *s)
{
	const char *id = x->id, *target = x->target, *pid_id;
	char lscript[PATHBUF], rearm[ID_MAX + 24];
	struct buf o = { 0 };
	int rc = -1;

	home_path(lscript, "bin/%s.launch", id);
	/* The target (=<id>:, the id [A-Za-z0-9_-]) has nothing in it for
	 * tmux's parser. */
	(void)snprintf(rearm, sizeof rearm, "kill-session -C -t %s", target);
	{
		const char *args[] = {
			/* Whose server this is, for a shared socket dir. */
			"set-option", "-s", "@roost-home", home_dir(), ";",
			/* The program's environment is the server's, whoever
			 * runs this client. */
			"set-option", "-g", "update-environment", "", ";",
			"new-session", "-d", "-s", id, "-c", p->cwd.s,
			"-x", "200", "-y", "50", "-P", "-F",
			TMUX_PIDS " #{pane_id}",
			lscript, mode, ";",
			"set-option", "-w", "-t", target, "remain-on-exit", "on",
			";",
			/* The program's pane: remain-on-exit and the hook hold
			 * for the whole session, and only this pane's end is
			 * the program's death. */
			"set-option", "-t", target, "-F", "@roost-pane",
			"#{pane_id}", ";",
			"set-hook", "-t", target, "pane-died", p->hook.s, ";",
			"pipe-pane", "-t", target, p->pipe_cmd.s, ";",
			/* A pane quiet for a second asks for a pass over the
			 * identity, which sees what the program is doing
			 * (section 13).  An unattached session keeps its
			 * silence flag, so a pane that stays quiet asks once;
			 * its next output clears the flags, inside the server
			 * (no process), so the next quiet asks again. */
			"set-option", "-w", "-t", target, "monitor-silence",
			"1", ";",
			"set-option", "-w", "-t", target, "monitor-activity",
			"on", ";",
			"set-option", "-t", target, "silence-action", "any", ";",
			"set-option", "-t", target, "activity-action", "any", ";",
			"set-option", "-t", target, "visual-activity", "off", ";",
			"set-hook", "-t", target, "alert-silence", p->alert.s, ";",
			"set-hook", "-t", target, "alert-activity", rearm, ";",
			/* tmux -D turns exit-empty off; and a user's
			 * ~/.tmux.conf must not keep an empty server alive (no
			 * death seen) or kill an unattached one. */
			"set-option", "-s", "exit-empty", "on", ";",
			"set-option", "-s", "exit-unattached", "off", ";",
			"set-option", "-t", target, "destroy-unattached", "off",
			NULL
		};

		(void)log_pane_mark(x->pane_log, mode);
		s->woke = now_wall();
		if (tmux_run(x->sock, args, &o) != 0)
			goto out;
	}
	if ((pid_id = strchr(buf_str(&o), '%')) != NULL)
		(void)snprintf(s->pane_id, sizeof s->pane_id, "%.*s",
		    (int)strcspn(pid_id, " \n"), pid_id);
	if (tmux_pids(buf_str(&o), &s->server_pid, &s->pane_pid) == -1) {
		(void)err_set(RX_FAIL, "tmux new-session: unexpected output "
		    "'%.40s'", o.s);
		goto out;
	}
	rc = 0;
out:
	buf_free(&o);
	return rc;
}

/*
 * A program's restart in its live server: the dead pane (pane, "%N")
 * respawned with the launch script, so the server, its canary and its
 * socket stay; one tmux client.  old is the .session of the run that
 * ended; the new one keeps its server and records the new pane.
 */
int
launch_respawn(struct idctx *x, const struct conf *c, const char *pane,
    const struct session *old, const char *cause)
{
	const char *id = x->id;
	char lscript[PATHBUF], spid[24];
	struct buf cwd = { 0 }, o = { 0 };
	const char *mode;
	struct session s;
	pid_t sp, pp;
	int rc = -1, parked;

	if (home_ctx_sock(x) == -1 ||
	    scripts_present(id, c, RS_LAUNCH) == -1 ||
	    watch_ready(id) == -1)
		return -1;
	parked = marker_has(id, M_IDLE) == 1;
	mode = parked ? "resume" : "fresh";
	/* resume_after=any, as the pass's launch: a resumed run that died
	 * within resume_grace makes this one fresh. */
	if (!parked && c->resume_any) {
		mode = "resume";
		if (strcmp(old->mode, "resume") == 0 &&
		    now_wall() - old->woke < (time_t)c->resume_grace) {
			mode = "fresh";
			cause = "resume-failed";
		}
	}
	(void)marker_rm(id, M_RESUME_FAILED);
	launch_cwd(c, &cwd);
	home_path(lscript, "bin/%s.launch", id);
	{
		const char *args[] = {
			/* What the last run's launch script said. */
			"set-option", "-p", "-u", "-t", pane, "@roost-signal",
			";",
			"respawn-pane", "-k", "-t", pane, "-c", cwd.s, lscript,
			mode, ";",
			"display-message", "-p", "-t", pane, TMUX_PIDS,
			NULL
		};

		(void)log_pane_mark(x->pane_log, mode);
		s = *old;
		s.woke = now_wall();
		if (tmux_run(x->sock, args, &o) != 0)
			goto out;
	}
	if (tmux_pids(buf_str(&o), &sp, &pp) == -1 || sp != old->server_pid) {
		(void)err_set(RX_FAIL, "tmux respawn-pane: unexpected output "
		    "'%.40s'", o.s);
		goto out;
	}
	s.pane_pid = pp;
	s.run = (old->run > 0 ? old->run : 1) + 1;
	s.died = 0;
	(void)snprintf(s.mode, sizeof s.mode, "%s", mode);
	marker_ctx_forget(x);
	if (marker_session_record(id, &s) == -1)
		goto out;
	activity_clear(id);	/* the markers of the run before */
	(void)kill(s.server_pid, SIGCHLD);	/* utempter: see launch() */
	(void)marker_rm(id, M_WAKE);
	if (parked)
		(void)marker_rm(id, M_IDLE);
	(void)snprintf(spid, sizeof spid, "%ld", (long)s.server_pid);
	log_event("launch", id, "mode", mode, "cause", cause, "server_pid", spid,
	    "respawn", "yes", LEND);
	hook_run("launch", id, cause, log_last());
	/* The canary and the hook follow the templates (an upgrade reaches a
	 * running home); the respawn needs neither, so after it.  A running
	 * canary reads on in the file it opened: a new one is renamed in. */
	if (scripts_present(id, c, RS_CANARY | RS_HOOK) == -1)
		log_event("error", id, "op", "render", "error", err_msg(), LEND);
	rc = 0;
out:
	buf_free(&cwd);
	buf_free(&o);
	return rc;
}

/*
 * Launch: the canary starts the identity's tmux server as its own child
 * (so it learns the server's exact exit status), one tmux invocation
 * creates the session, then .session records it.
 * mode_req: NULL (resume when parked), "fresh" or "resume".
 */
int
launch(struct idctx *x, const struct conf *c, const char *mode_req,
    const char *cause, const char **mode_out)
{
	const char *id = x->id;
	char spid[24];
	struct strv env = { 0 };
	struct prep p = { 0 };
	struct session s;
	const char *mode;
	int rc = -1, parked;

	memset(&s, 0, sizeof s);
	s.oom_kills = -1;
	if (home_ctx_sock(x) == -1 || tmux_check() == -1 || preclean(x) == -1 ||
	    scripts_present(id, c, RS_CANARY) == -1 || pane_log_ready(x) == -1)
		goto out;
	parked = marker_has(id, M_IDLE) == 1;
	mode = mode_req != NULL ? mode_req : parked ? "resume" : "fresh";
	env_build(id, &env);
	if (server_start(x, c, &env, &s, &p) == -1 ||
	    prep_result(x, c, &p) == -1 ||
	    session_create(x, mode, &p, &s) == -1)
		goto out;
	(void)snprintf(s.mode, sizeof s.mode, "%s", mode);
	s.run = 1;
	marker_ctx_forget(x);
	if (marker_session_record(id, &s) == -1)
		goto out;
	/* tmux built with utempter (before 3.6; tmux issue 4559) can miss
	 * the SIGCHLD of a pane that exits while it spawns; a nudge makes it
	 * reap, so pane-died fires.  Harmless otherwise. */
	(void)kill(s.server_pid, SIGCHLD);
	(void)marker_rm(id, M_WAKE);
	if (strcmp(mode, "resume") == 0 || parked)
		(void)marker_rm(id, M_IDLE);
	(void)snprintf(spid, sizeof spid, "%ld", (long)s.server_pid);
	log_event("launch", id, "mode", mode, "cause", cause, "server_pid", spid,
	    LEND);
	hook_run("launch", id, cause, log_last());
	if (mode_out != NULL)
		*mode_out = strcmp(mode, "resume") == 0 ? "resume" : "fresh";
	rc = 0;
out:
	if (rc == -1) {
		struct buf why = { 0 };

		buf_adds(&why, err_msg());
		log_event("error", id, "op", "launch", "error", why.s, LEND);
		/* Never leave a server up that no .session accounts for, nor
		 * a canary waiting for one. */
		if (x->sock[0] != '\0' && tmux_alive(x->sock) &&
		    server_ours(x, SERVER_ASK_MS) == 1)
			(void)teardown(x, "launch-failed");
		else
			canary_dismiss(id);
		(void)err_set(RX_FAIL, "%s", why.s);
		buf_free(&why);
	}
	prep_free(&p);
	env_free(&env);
	return rc;
}
