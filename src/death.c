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

#define CANARY_SETTLE_MS 3000	/* a recording canary: line, last-exit, snapshot */

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
	    num_ulong(v.s, 1UL << 30, &lp) == 0 && s->server_pid > 0 &&
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
		reason = home_sock(id, sock, sizeof sock) == 0 &&
		    lstat(sock, &st) == 0 ? "stale-socket" : "socket-missing";
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)s->server_pid);
	if (reason != NULL) {
		log_event("death", id, "cause", cause.s, "reason", reason,
		    "status", status, "signal", sig, "server_pid", spid, LEND);
		buf_addf(&cause, " reason=%s", reason);
	} else
		log_event("death", id, "cause", cause.s, "status", status,
		    "signal", sig, "server_pid", spid, LEND);
	(void)marker_deaths_append(id, now_wall(), cause.s);
	(void)marker_rm(id, M_CANARY);
	buf_free(&le);
	buf_free(&v);
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
