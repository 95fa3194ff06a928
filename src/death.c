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

/*
 * Turn a death the tick (or a launch) found into a record: .deaths line,
 * ev=death, .session gone, a dead socket of ours removed.  *clean_exit is
 * 1 when the program itself exited with status 0.
 */
int
death_record(const char *id, const struct session *s, int *clean_exit)
{
	struct buf le = { 0 }, cause = { 0 };
	char sock[PATHBUF], spid[24], status[32] = "", sig[32] = "",
	    oom[16] = "", ev[32] = "", c[64] = "";
	const char *reason = NULL;
	time_t when;
	int matched;

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
	(void)snprintf(spid, sizeof spid, "%ld", (long)s->server_pid);
	if (reason != NULL)
		log_event("death", id, "cause", cause.s, "reason", reason,
		    "status", status, "signal", sig, "oom", oom, "server_pid",
		    spid, LEND);
	else
		log_event("death", id, "cause", cause.s, "status", status,
		    "signal", sig, "oom", oom, "server_pid", spid, LEND);
	hook_death(id, matched ? le.s : NULL);
	/* .deaths: <cause>[ oom=yes][ reason=<why>] */
	if (strcmp(oom, "yes") == 0)
		buf_adds(&cause, " oom=yes");
	if (reason != NULL)
		buf_addf(&cause, " reason=%s", reason);
	(void)marker_deaths_append(id, now_wall(), cause.s);
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
