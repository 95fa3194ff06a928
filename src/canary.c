/*
 * canary.c - the canary: a detached script, outside the tmux server it
 * watches, that records the server's death when no hook can.  A launch's
 * canary is the server's parent and knows its exact exit status; one the
 * tick respawns waits in `tmux wait-for` instead.  Callers hold the
 * identity's lock.
 */
#include "roost.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
canary_script(const char *id, char *p)
{
	home_path(p, "bin/%s.canary", id);
}

/* 0 with the pid in .canary (alive or not), 1 when there is none. */
int
canary_pid(const char *id, pid_t *pid)
{
	unsigned long long stamp;

	return marker_pid_read(id, M_CANARY, pid, &stamp);
}

/* The canary in .canary still runs: the same process (start time) and
 * still this identity's script. */
int
canary_live(const char *id, pid_t *pid)
{
	char script[PATHBUF];
	unsigned long long stamp;

	canary_script(id, script);
	return marker_pid_read(id, M_CANARY, pid, &stamp) == 0 &&
	    pid_is(*pid, stamp, script);
}

/*
 * A dismissal: the pidfile goes first (a canary that wakes then knows it
 * was dismissed), then SIGTERM to the canary itself (it ends the tmux
 * client it may be waiting in; a server it started is left running for
 * the teardown), then wait for it to be gone.  A pid that is not provably
 * this canary any more is never signalled.
 */
void
canary_dismiss(const char *id)
{
	pid_t pid;
	int live = canary_live(id, &pid);

	(void)marker_rm(id, M_CANARY);
	if (!live)
		return;
	(void)kill(pid, SIGTERM);
	if (pid_wait_gone(pid, CANARY_GONE_MS) == -1) {
		(void)kill(pid, SIGKILL);
		(void)pid_wait_gone(pid, CANARY_KILLED_MS);
	}
}

/* Let a canary that is recording a death finish (bounded). */
int
canary_settle(const char *id, long ms)
{
	pid_t pid;

	if (!canary_live(id, &pid))
		return 0;
	return pid_wait_gone(pid, ms);
}

/* Before the canary runs: its pidfile, with its start time. */
static int
canary_record(pid_t pid, void *arg)
{
	unsigned long long stamp = 0;

	(void)pid_stamp(pid, &stamp);
	return marker_pid_write(arg, M_CANARY, pid, stamp);
}

/* bin/<id>.canary MODE [ARG] detached, in the transient scope unit when
 * it is not NULL (scope.c); ev=canary either way. */
static int
canary_start(const char *id, const char *mode, const char *arg,
    char *const envp[], const char *origin, const struct canary_scope *cs,
    pid_t *out)
{
	char script[PATHBUF], spid[24];
	const char *argv[] = { "/bin/sh", script, mode, arg, NULL };
	struct scope_argv sa;
	pid_t pid;

	canary_script(id, script);
	if (cs != NULL)
		scope_argv(&sa, cs->unit, cs->mm, cs->mh, 0, argv);
	pid = spawn_detached(cs != NULL ? sa.v : argv, envp, canary_record,
	    (void *)id);
	if (pid <= 0) {
		log_event("canary", id, "state", "failed", "origin", origin,
		    "error", err_msg(), LEND);
		return -1;
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)pid);
	log_event("canary", id, "state", "spawned", "origin", origin, "pid",
	    spid, LEND);
	if (out != NULL)
		*out = pid;
	return 0;
}

/*
 * A launch's canary: it starts the identity's tmux server as its own
 * child (tmux -D) in the environment envp, so it learns the server's
 * exact exit status; in the identity's scope when cs is not NULL (then
 * systemd-run runs first and execs it, keeping the pid).  The pidfile is
 * written before it runs.
 */
int
canary_serve(const char *id, char *const envp[], const struct canary_scope *cs,
    pid_t *pid)
{
	return canary_start(id, "serve", cs != NULL ? "scope" : NULL, envp,
	    "launch", cs, pid);
}

/* The server on the socket, as tmux itself reports it. */
static int
server_pid_ask(const char *sock, pid_t *pid)
{
	const char *args[] = { "display-message", "-p", "#{pid}", NULL };
	struct buf o = { 0 };
	unsigned long v;
	int rc = 0;

	/* Bounded short: a wedged server must not hold the tick. */
	if (tmux_run_ms(sock, args, &o, CANARY_ASK_MS) != 0)
		rc = -1;
	else {
		buf_firstline(&o);
		if (num_ulong(o.s, 1UL << 30, &v) == -1 || v <= 1)
			rc = err_set(RX_FAIL, "tmux: unexpected server pid "
			    "'%s'", o.s);
		else
			*pid = (pid_t)v;
	}
	buf_free(&o);
	return rc;
}

/* canary <id>, and the tick's respawn for a server the canary did not
 * start (it then waits in tmux wait-for: exact=no).  what is one of
 * spawned, already, skipped (no server), failed. */
int
canary_ensure(struct idctx *x, const char *origin, const char **what)
{
	const char *id = x->id, *sock = x->sock;
	const struct session *sp;
	struct canary_scope cs;
	char spid[24];
	pid_t pid, server = 0;

	*what = "failed";
	if (home_ctx_sock(x) == -1)
		return -1;
	if (!tmux_alive(sock)) {
		*what = "skipped";
		return 0;
	}
	if (canary_live(id, &pid)) {
		*what = "already";
		return 0;
	}
	if ((sp = marker_ctx_session(x)) != NULL &&
	    pid_is(sp->server_pid, sp->server_start, sock))
		server = sp->server_pid;
	else if (server_pid_ask(sock, &server) == -1)
		return -1;
	(void)snprintf(spid, sizeof spid, "%ld", (long)server);
	/* Where a manager answers it gets a scope of its own: left in the
	 * caller's unit (roost-tick.service) it would be killed with it. */
	cs.mm = cs.mh = NULL;
	(void)snprintf(cs.unit, sizeof cs.unit, "roost-%s-canary.scope", id);
	{
		/* This environment, and the canary's clock (pid_clock0), so
		 * it runs no date at its start either. */
		extern char **environ;
		char c0[64], **env;
		size_t n = 0, i;
		int rc;

		while (environ[n] != NULL)
			n++;
		env = xmalloc(sizeof *env * (n + 2));
		for (i = 0, n = 0; environ[i] != NULL; i++)
			if (strncmp(environ[i], "ROOST_CLOCK0=", 13) != 0)
				env[n++] = environ[i];
		(void)memcpy(c0, "ROOST_CLOCK0=", 13);
		env[n] = pid_clock0(c0 + 13, sizeof c0 - 13) == 0 ? c0 : NULL;
		env[n + 1] = NULL;
		rc = canary_start(id, "watch", spid, env, origin,
		    scope_manager() == 1 ? &cs : NULL, NULL);
		free(env);
		if (rc == -1)
			return -1;
	}
	*what = "spawned";
	return 0;
}
