/*
 * canary.c - the canary: a detached script, outside the tmux server it
 * watches, that records the server's death when no hook can.  Callers
 * hold the identity's lock.
 *
 * A dismissal removes the pidfile before it signals the canary's process
 * group, so a canary that wakes meanwhile knows it was dismissed and
 * records nothing.
 */
#include "roost.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define CANARY_GONE_MS	2000

static void
canary_script(const char *id, char *p)
{
	home_path(p, "bin/%s.canary", id);
}

/* 0 with the pid in .canary (alive or not), 1 when there is none. */
int
canary_pid(const char *id, pid_t *pid)
{
	return marker_pid_read(id, M_CANARY, pid);
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
	if (pid_wait_gone(pid, CANARY_GONE_MS) == -1) {
		(void)kill(-pid, SIGKILL);
		(void)pid_wait_gone(pid, 500);
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

int
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
		log_event("canary", id, "state", "failed", "origin", origin,
		    "error", err_msg(), LEND);
		return -1;
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)pid);
	log_event("canary", id, "state", "spawned", "origin", origin, "pid", spid,
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
	if (home_sock(id, sock, sizeof sock) == -1)
		return -1;
	if (!tmux_alive(sock)) {
		*what = "skipped";
		return 0;
	}
	if (canary_live(id, &pid)) {
		*what = "already";
		return 0;
	}
	if (marker_session_read(id, &s) != 0 || s.server_pid <= 0 ||
	    !pid_alive(s.server_pid)) {
		const char *args[] = { "display-message", "-p", "#{pid}", NULL };
		struct buf o = { 0 };
		unsigned long v;

		if (tmux_run(sock, args, &o) != 0) {
			buf_free(&o);
			return -1;
		}
		o.len = strcspn(buf_str(&o), "\n");
		o.s[o.len] = '\0';
		if (num_ulong(o.s, 1UL << 30, &v) == -1) {
			buf_free(&o);
			return err_set(RX_FAIL, "tmux: unexpected server pid '%s'",
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
