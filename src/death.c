/*
 * death.c - turning an observed death into a record: classified from
 * .last-exit when that belongs to this session, appended to .deaths,
 * logged as ev=death, .session removed.  Callers hold the identity's lock.
 *
 * A launch over a dead server first lets a canary that is still
 * recording finish, so the death it saw is never lost.
 */
#include "roost.h"

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

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

/* What a field of the record says, "" when nothing. */
static void
field(const char *line, const char *key, char *out, size_t n)
{
	struct buf v = { 0 };

	if (logfmt_get(line, key, &v) == 0)
		(void)snprintf(out, n, "%s", v.s);
	else
		out[0] = '\0';
	buf_free(&v);
}

/* Why a server vanished with no record of it: the machine rebooted since
 * the session woke, another server holds the socket now, the socket is
 * left over, or it is gone. */
static const char *
vanished_reason(const char *id, const struct session *s)
{
	char sock[PATHBUF];
	struct stat st;
	time_t boot = pid_boot_time();

	if (boot > 0 && s->woke > 0 && boot > s->woke)
		return "reboot";
	if (home_sock(id, sock, sizeof sock) == -1 || lstat(sock, &st) == -1)
		return "socket-missing";
	return tmux_alive(sock) ? "socket-taken" : "stale-socket";
}

/* This session's death is in .deaths already (a pass killed after
 * writing it, before removing .session): its newest line was written
 * after .session, no earlier than the session woke.  One session dies
 * once, and launch writes .session after recording any death before. */
static int
recorded(const char *id, const struct session *s)
{
	struct timespec dm, sm;
	struct death d[1];

	return marker_mtime(id, M_DEATHS, &dm) == 0 &&
	    marker_mtime(id, M_SESSION, &sm) == 0 &&
	    (dm.tv_sec > sm.tv_sec || (dm.tv_sec == sm.tv_sec &&
	    dm.tv_nsec > sm.tv_nsec)) &&
	    marker_deaths_read(id, d, 1) == 1 && d[0].when >= s->woke;
}

/* The .deaths line, <cause>[ oom=yes][ reason=<why>]: 0 written, 1 there
 * already, -1 not written. */
static int
deaths_add(const char *id, const struct session *s, const char *cause,
    const char *oom, const char *reason)
{
	char line[160];

	if (recorded(id, s))
		return 1;
	(void)snprintf(line, sizeof line, "%s%s%s%s", cause,
	    strcmp(oom, "yes") == 0 ? " oom=yes" : "",
	    reason != NULL ? " reason=" : "", reason != NULL ? reason : "");
	return marker_deaths_append(id, now_wall(), line);
}

/*
 * Turn a death the tick (or a launch) found into a record: .deaths line,
 * ev=death, .session gone, a dead socket of ours removed.  *clean_exit is
 * 1 when the program itself exited with status 0.
 *
 * .session goes only once the .deaths line is written (a full disk keeps
 * the death for a later pass), and a pass killed in between finds its
 * line there (it names the session) and does not count it again.
 */
int
death_record(const char *id, const struct session *s, int *clean_exit)
{
	struct buf le = { 0 }, cause = { 0 };
	char sock[PATHBUF], spid[24], status[32] = "", sig[32] = "",
	    oom[16] = "", ev[32] = "", c[64] = "";
	const char *reason = NULL;
	time_t when;
	int matched, dup;

	*clean_exit = 0;
	/* A canary may still be writing this death's record. */
	if (!(matched = state_last_exit_line(id, s, &le, &when)) &&
	    canary_settle(id, CANARY_SETTLE_MS) == 0)
		matched = state_last_exit_line(id, s, &le, &when);
	if (matched) {
		field(le.s, "ev", ev, sizeof ev);
		field(le.s, "status", status, sizeof status);
		field(le.s, "signal", sig, sizeof sig);
		field(le.s, "oom", oom, sizeof oom);
		field(le.s, "cause", c, sizeof c);
		if (sig[0] != '\0') {
			char norm[16];

			sig_normal(sig, norm);
			(void)snprintf(sig, sizeof sig, "%s", norm);
		}
	}
	if (matched && strcmp(ev, "session-exit") == 0) {
		if (sig[0] != '\0')
			buf_adds(&cause, sig);
		else {
			buf_addf(&cause, "status=%s", status[0] ? status : "?");
			*clean_exit = strcmp(status, "0") == 0;
			reason = exit_reason(status);
		}
	} else if (matched && c[0] != '\0') {
		buf_adds(&cause, c);
	} else {
		buf_adds(&cause, "server-dead");
		reason = vanished_reason(id, s);
	}
	if ((dup = deaths_add(id, s, cause.s, oom, reason)) == -1) {
		buf_free(&le);
		buf_free(&cause);
		return err_set(err_code(), "%s: its death is not recorded yet: %s",
		    id, err_msg());
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)s->server_pid);
	if (dup == 1)
		;	/* logged by the pass that wrote the line */
	else if (reason != NULL)
		log_event("death", id, "cause", cause.s, "reason", reason,
		    "status", status, "signal", sig, "oom", oom, "server_pid",
		    spid, LEND);
	else
		log_event("death", id, "cause", cause.s, "status", status,
		    "signal", sig, "oom", oom, "server_pid", spid, LEND);
	if (dup == 0)
		hook_death(id, matched ? le.s : NULL);
	/* What survived the server is ended before any relaunch. */
	(void)teardown_orphans(id, s, !(matched &&
	    strcmp(ev, "session-exit") == 0));
	(void)marker_rm(id, M_CANARY);
	if (home_sock(id, sock, sizeof sock) == 0 && !tmux_alive(sock))
		(void)server_sock_clear(sock);
	buf_free(&le);
	buf_free(&cause);
	return marker_rm(id, M_SESSION);
}

/*
 * A death nobody has recorded yet (the server is gone, .session is still
 * there) is recorded now: 1 when it was, 0 when there was none.
 * *clean_exit as for death_record.
 */
int
death_flush(const char *id, int *clean_exit)
{
	struct session s;

	*clean_exit = 0;
	if (state_running(id) || marker_session_read(id, &s) != 0)
		return 0;
	return death_record(id, &s, clean_exit) == -1 ? -1 : 1;
}
