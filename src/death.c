/*
 * death.c - turning an observed death into a record: classified from
 * .last-exit when that belongs to this session, appended to .deaths,
 * logged as ev=death, .session removed.  Callers hold the identity's lock.
 *
 * A launch over a dead server first lets a canary that is still
 * recording finish, so the death it saw is never lost.
 */
#include "roost.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
vanished_reason(const struct idctx *x, const struct session *s)
{
	struct stat st;
	time_t boot = pid_boot_time();

	if (boot > 0 && s->woke > 0 && boot > s->woke)
		return "reboot";
	if (x->sock[0] == '\0' || lstat(x->sock, &st) == -1)
		return "socket-missing";
	return tmux_alive_pid(x->sock, s->server_pid > 1 ? s->server_pid : -1) ?
	    "socket-taken" : "stale-socket";
}

static int
unreachable(const struct idctx *x, const struct session *s)
{
	return err_set(RX_FAIL, "%s: its tmux server (pid %ld) runs but does "
	    "not answer on %s: started with another ROOST_SOCK_DIR or home, "
	    "or its socket removed (kill -USR1 %ld makes it again)", x->id,
	    (long)s->server_pid, x->sock, (long)s->server_pid);
}

/* It runs, and not on this identity's socket. */
static int
out_of_reach(struct idctx *x, const struct session *s)
{
	return state_server_fate(s) == 1 && !state_ctx_running(x);
}

/* The session's server runs where this home cannot reach it (-1, the
 * error set), so it is neither dead nor to be launched again; else 0. */
int
death_unreachable(struct idctx *x)
{
	const struct session *sp;
	struct session s;

	if ((sp = marker_ctx_session(x)) == NULL)
		return 0;
	s = *sp;
	return out_of_reach(x, &s) ? unreachable(x, &s) : 0;
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

/* The .deaths line, <cause>[ signal=<sig>][ oom=yes][ reason=<why>]:
 * 0 written, 1 there already, -1 not written.  sig names the signal of a
 * server's death (its cause says only how the server went). */
static int
deaths_add(const char *id, const struct session *s, const char *cause,
    const char *sig, const char *oom, const char *reason)
{
	char line[192];

	if (recorded(id, s))
		return 1;
	(void)snprintf(line, sizeof line, "%s%s%s%s%s%s", cause,
	    *sig != '\0' ? " signal=" : "", sig,
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
 * line there (it names the session) and does not count it again.  x's
 * .session is read again after (s may be its copy).
 */
int
death_record(struct idctx *x, const struct session *s, int *clean_exit)
{
	const char *id = x->id;
	struct buf le = { 0 }, cause = { 0 };
	char spid[24], status[32] = "", sig[32] = "",
	    oom[16] = "", ev[32] = "", c[64] = "";
	const char *reason = NULL;
	time_t when;
	int matched, dup, far = 0;

	*clean_exit = 0;
	/* A canary may still be writing this death's record (not while
	 * the server runs: its canary has nothing to write). */
	if (!(matched = state_last_exit_line(id, s, &le, &when)) &&
	    !(far = out_of_reach(x, s)) &&
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
	} else if (far) {
		/* Not dead: out of reach.  Its program is not touched. */
		buf_free(&le);
		buf_free(&cause);
		return unreachable(x, s);
	} else {
		buf_adds(&cause, "server-dead");
		reason = vanished_reason(x, s);
	}
	if ((dup = deaths_add(id, s, cause.s, matched && strcmp(ev,
	    "server-exit") == 0 ? sig : "", oom, reason)) == -1) {
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
	if (x->sock[0] != '\0' && !tmux_alive_pid(x->sock,
	    s->server_pid > 1 ? s->server_pid : -1))
		(void)server_sock_clear(x->sock);
	buf_free(&le);
	buf_free(&cause);
	marker_ctx_forget(x);
	return marker_rm(id, M_SESSION);
}

/*
 * A death nobody has recorded yet (the server is gone, .session is still
 * there) is recorded now: 1 when it was, 0 when there was none.
 * *clean_exit as for death_record.
 */
int
death_flush(struct idctx *x, int *clean_exit)
{
	const struct session *sp;
	struct session s;

	*clean_exit = 0;
	if (state_ctx_running(x) || (sp = marker_ctx_session(x)) == NULL)
		return 0;
	s = *sp;
	return death_record(x, &s, clean_exit) == -1 ? -1 : 1;
}

/*
 * The pane-died hook's record: tmux's raw facts in, the one
 * classification out.  The signal is what the launch script saw kill the
 * program (rsig: tmux sees only 128 + N there), else tmux's own (a number
 * on Linux, a lowercase name on macOS), always named SIGxxx by sig.c; a
 * signal means no status.  A SIGKILL gets oom= and a snapshot.
 */

#define OOM_TOOL_MS	2000	/* dmesg or journalctl, for an OOM verdict */

/* s if it is a number, else "". */
static const char *
digits(const char *s)
{
	return s != NULL && *s != '\0' && s[strspn(s, "0123456789")] == '\0' ?
	    s : "";
}

/* The record's signal: rsig, else tmux's; "" when neither names one. */
static void
exit_signal(const char *rsig, const char *tsig, char out[16])
{
	const char *c[2];
	int i, n;

	c[0] = rsig, c[1] = tsig;
	out[0] = '\0';
	for (i = 0; i < 2; i++) {
		if (c[i] == NULL || *c[i] == '\0' || strcmp(c[i], "0") == 0 ||
		    (n = sig_num(c[i])) <= 0)
			continue;
		sig_name(n, out);
		return;
	}
}

/* Run an absolute tool from the usual directories; 0 with its output. */
static int
tool_out(const char *name, const char *const args[], struct buf *out)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin",
	    "/sbin" };
	const char *argv[8];
	char p[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		(void)snprintf(p, sizeof p, "%s/%s", dirs[i], name);
		if (access(p, X_OK) == 0)
			break;
	}
	if (i == sizeof dirs / sizeof dirs[0])
		return -1;
	argv[0] = p;
	for (n = 0; n < 6 && args[n] != NULL; n++)
		argv[n + 1] = args[n];
	argv[n + 1] = NULL;
	return spawn_tool_ms(argv, out, NULL, OOM_TOOL_MS) == 0 &&
	    out->len > 0 ? 0 : -1;
}

/* The kernel log names pid as killed for memory: 0 yes, 1 it can be
 * read and does not, 2 it cannot be read. */
static int
kernel_names(pid_t pid)
{
	const char *const args[] = { NULL };
	struct buf o = { 0 };
	char a[48], b[48];
	int rc = 2;

	if (tool_out("dmesg", args, &o) == 0) {
		(void)snprintf(a, sizeof a, "Killed process %ld ", (long)pid);
		(void)snprintf(b, sizeof b, ",pid=%ld,", (long)pid);
		rc = strstr(o.s, a) != NULL || strstr(o.s, b) != NULL ? 0 : 1;
	}
	buf_free(&o);
	return rc;
}

/* systemd-oomd kills whole cgroups from user space (no kernel counter
 * moves); its journal names the cgroup. */
static int
oomd_names(const char *memcg)
{
	const char *const args[] = { "-q", "-b", "-u", "systemd-oomd", "-o",
	    "cat", NULL };
	struct buf o = { 0 }, cg = { 0 };
	struct stat st;
	const char *c;
	int rc = 0;

	if (*memcg == '\0' || stat("/run/systemd/oom", &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	c = memcg;
	if (strncmp(c, "/sys/fs/cgroup", 14) == 0)
		c += 14;
	if (strncmp(c, "/unified", 8) == 0)
		c += 8;
	buf_addf(&cg, "Killed %.*s ", (int)(strrchr(c, '/') != NULL ?
	    strrchr(c, '/') - c : 0), c);
	if (tool_out("journalctl", args, &o) == 0 && strstr(o.s, cg.s) != NULL)
		rc = 1;
	buf_free(&o);
	buf_free(&cg);
	return rc;
}

/* Did the OOM killer kill the program?  The memory cgroup's counter rose
 * since launch, or the kernel log names its pid, or systemd-oomd's
 * journal its cgroup: yes; no when those can be read and say no;
 * unknown when none can. */
static const char *
exit_oom(pid_t pane, const struct session *s)
{
	const char *v = "unknown";
	long now;

	if (s->memcg[0] != '\0' && s->oom_kills >= 0 &&
	    pid_oom_count(s->memcg, &now) == 0) {
		if (now > s->oom_kills)
			return "yes";
		v = "no";
	} else {
		switch (kernel_names(pane)) {
		case 0:
			return "yes";
		case 1:
			v = "no";
			break;
		}
	}
	return oomd_names(s->memcg) ? "yes" : v;
}

/*
 * The record of the end of the program of id (df->pane_pid as resolved
 * by death_exit or death_seen_record): ev=session-exit appended
 * to exits.log and written to .last-exit.  line gets the record, fx the
 * snapshot's path ("" when there is none to take).
 */
static void
death_write(struct idctx *x, const struct death_facts *df, struct buf *line,
    char *fx, size_t fxn)
{
	const char *id = x->id;
	const struct session *sp;
	struct session s;
	char sig[16], p[PATHBUF];
	const char *status = digits(df->status), *pane = digits(df->pane_pid),
	    *oom = "";
	time_t now = now_wall();

	fx[0] = '\0';
	if ((sp = marker_ctx_session(x)) != NULL)
		s = *sp;
	else {
		memset(&s, 0, sizeof s);
		s.oom_kills = -1;
	}
	exit_signal(df->rsig, df->signal, sig);
	if (sig[0] != '\0')
		status = "";
	if (strcmp(sig, "SIGKILL") == 0) {
		oom = exit_oom((pid_t)strtol(pane, NULL, 10), &s);
		/* The pane's pid makes the name this death's alone: two
		 * kills in one second, or the program's and its server's,
		 * each keep their own snapshot. */
		if (pane[0] != '\0')
			home_path(p, "log/server-deaths/%s-%lld-%s.txt", id,
			    (long long)now, pane);
		else
			home_path(p, "log/server-deaths/%s-%lld.txt", id,
			    (long long)now);
		(void)snprintf(fx, fxn, "%s", p);
	}
	logfmt_begin(line, "session-exit", id);
	logfmt_kv(line, "status", status);
	logfmt_kv(line, "signal", sig);
	logfmt_kv(line, "oom", oom);
	logfmt_kv(line, "pane_pid", pane);
	logfmt_kv(line, "server_pid", digits(df->server_pid));
	if (fx[0] != '\0') {
		buf_adds(line, " forensics=\"");
		(void)esc_logfmtq(line, fx);
		buf_addc(line, '"');
	}
	buf_addc(line, '\n');
	home_path(p, "log/exits.log");
	(void)log_rotate(p, LOG_ROTATE_BYTES, LOG_KEEP);
	if (file_append(p, line->s, line->len) == -1)
		err_warn("%s", err_msg());
	if (marker_set(id, M_LASTEXIT, line->s) == -1)
		err_warn("%s", err_msg());
	line->s[--line->len] = '\0';
}

/*
 * Already written: .last-exit is this run's record of the end of pane
 * (the pane-log writer saw it first), written no earlier than the run
 * began.  A pid is not given again before its process is reaped, so one
 * run cannot meet another's record of the same pid.  1 with line and fx
 * filled from it; 0 otherwise.
 */
static int
death_written(struct idctx *x, const char *pane, struct buf *line, char *fx,
    size_t fxn)
{
	const struct session *sp = marker_ctx_session(x);
	struct buf v = { 0 }, f = { 0 };
	struct timespec mt;
	int rc = 0;

	if (*pane == '\0' || sp == NULL ||
	    marker_mtime(x->id, M_LASTEXIT, &mt) != 0 || mt.tv_sec < sp->woke ||
	    marker_read(x->id, M_LASTEXIT, &v) != 0)
		goto out;
	while (v.len > 0 && v.s[v.len - 1] == '\n')
		v.s[--v.len] = '\0';
	if (strstr(v.s, " ev=session-exit ") == NULL ||
	    logfmt_get(v.s, "pane_pid", &f) != 0 || strcmp(f.s, pane) != 0)
		goto out;
	buf_reset(line);
	buf_adds(line, v.s);
	fx[0] = '\0';
	buf_reset(&f);
	if (logfmt_get(v.s, "forensics", &f) == 0)
		(void)snprintf(fx, fxn, "%s", f.s);
	rc = 1;
out:
	buf_free(&v);
	buf_free(&f);
	return rc;
}

/* state/<id>.watch, locked: the pane-log writer and the hook record a
 * pane's end one at a time.  -1 when it is not the FIFO roost made, or
 * where the writer does not hold it (it then records nothing). */
static int
death_lock(const char *id)
{
	char p[PATHBUF];
	int fd;

	home_path(p, "state/%s.watch", id);
	if ((fd = pid_watch_fifo(p)) >= 0 && flock(fd, LOCK_EX) == -1) {
		(void)close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Record the end of the program of id as tmux told it: dismiss the
 * canary (its pidfile going is the dismissal; nothing is signalled),
 * append ev=session-exit to exits.log and write .last-exit, unless the
 * pane-log writer has written that record already (death_seen).  line
 * gets the record, fx the snapshot's path ("" when there is none to
 * take).
 */
int
death_exit(struct idctx *x, const struct death_facts *df, struct buf *line,
    char *fx, size_t fxn)
{
	int lk;
	const struct session *sp;
	struct death_facts d = *df;
	char spane[24];

	(void)marker_rm(x->id, M_CANARY);
	/* tmux after 3.7 reports an empty #{pane_pid} for a dead pane. */
	d.pane_pid = digits(df->pane_pid);
	if (*d.pane_pid == '\0' && (sp = marker_ctx_session(x)) != NULL &&
	    sp->pane_pid > 1) {
		(void)snprintf(spane, sizeof spane, "%ld", (long)sp->pane_pid);
		d.pane_pid = spane;
	}
	lk = death_lock(x->id);
	if (!death_written(x, d.pane_pid, line, fx, fxn))
		death_write(x, &d, line, fx, fxn);
	if (lk >= 0)
		(void)close(lk);
	return 0;
}

/* The terminal's other end (tmux's) is closed. */
static int
tty_hung_up(int fd)
{
	struct pollfd pf;

	pf.fd = fd;
	pf.events = POLLIN;
	pf.revents = 0;
	return poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP) != 0;
}

/*
 * The pane's process ended, seen by the pane-log writer the moment it did
 * (e->watchfd, its pid_watch_open's), while the tmux server has not yet
 * reaped it: may its record be written now, from the zombie's exact wait
 * status (e->ws), before the server's hook can run (two execs later,
 * and utempter's helper without the utmp shim)?  The hook then finds it
 * written and goes on to act.  Only when nothing leaves a doubt, else the
 * hook records, as it always did:
 *  - a status of 0 is also what the kernel shows a reader it would not
 *    let trace the process (another user's, more capabilities);
 *  - the zombie must be the server's child, not reaped yet (its pid not
 *    given to another);
 *  - a launch script's 128+N is named by the hook's @roost-signal;
 *  - tmux closing the pane's terminal (kill-pane, kill-session, its
 *    server shutting down or killed) hangs it up before it ends: no hook
 *    runs for such an end, which is no death of its own.  A terminal
 *    tmux still holds once the process has ended says the program ended
 *    by itself.  A hung-up one says nothing more (tmux also closes it
 *    soon after it reaps a pane that ended): then only a death by a
 *    signal other than SIGHUP (the one a hangup sends) is the program's
 *    own.
 * A server that reaped it first (both are woken by the same exit) leaves
 * no zombie; where the kernel keeps its status for the pidfd
 * (pid_watch_exit) and the launch script said it exec'd a plain command
 * (e->exact: no @roost-signal to wait for), that status is just as
 * exact.
 * 1 yes; 0 no.  Linux (/proc); elsewhere always 0.
 */
int
death_seen(struct pane_end *e)
{
	char comm[64];
	pid_t ppid;
	int hung;

	if (e->lockfd < 0 || e->ttyfd < 0)
		return 0;
	/* Looked at once the process has ended: a terminal still open was
	 * open after its end. */
	hung = tty_hung_up(e->ttyfd);
	if (pid_zombie_status(e->pid, &e->ws, &ppid, comm, sizeof comm) == 0 &&
	    ppid == e->server && !pid_watch_gone(e->watchfd, e->pid)) {
		/* Not reaped, so tmux still holds the terminal of a pane
		 * that ended by itself: hung up, tmux closed it first. */
		if (hung || home_launch_comm(e->id, comm))
			return 0;
	} else if (!e->exact || !pid_watch_gone(e->watchfd, e->pid) ||
	    pid_watch_exit(e->watchfd, &e->ws) != 0)
		return 0;
	if (e->ws == 0 || (!WIFSIGNALED(e->ws) && !WIFEXITED(e->ws)))
		return 0;
	if (hung && (!WIFSIGNALED(e->ws) || WTERMSIG(e->ws) == SIGHUP))
		return 0;
	return pid_ending(e->server) == 0;
}

/*
 * The record death_seen allowed, written under the lock (e->lockfd,
 * state/<id>.watch) the hook takes too.  Not when a teardown dismissed
 * the canary (it does before it signals the program, and unsets the
 * hook: an end it brings about is no death), nor when .session is not
 * this run's yet (its pane, its memory counter: a process that ends
 * before roost has written it is the hook's), nor when the hook has
 * written it already: the server may have reaped the process and run
 * its hook while death_seen looked, and death_written, under the lock,
 * says so.
 */
void
death_seen_record(const struct pane_end *e)
{
	char st[16], sg[16], pp[24], sp[24], fx[PATHBUF];
	struct death_facts df = { "", "", "", "", "" };
	struct buf line = { 0 };
	struct idctx x;
	pid_t cp;

	if (WIFSIGNALED(e->ws))
		(void)snprintf(sg, sizeof sg, "%d", WTERMSIG(e->ws)),
		    df.signal = sg;
	else
		(void)snprintf(st, sizeof st, "%d", WEXITSTATUS(e->ws)),
		    df.status = st;
	(void)snprintf(pp, sizeof pp, "%ld", (long)e->pid);
	(void)snprintf(sp, sizeof sp, "%ld", (long)e->server);
	df.pane_pid = pp;
	df.server_pid = sp;
	home_ctx(e->id, &x);
	if (flock(e->lockfd, LOCK_EX) == -1)
		return;
	/* Asked under the lock: the hook may have recorded this end and
	 * acted on it meanwhile (a new run, a dismissed canary). */
	if (canary_live(e->id, &cp) && marker_ctx_session(&x) != NULL &&
	    x.s.pane_pid == e->pid && x.s.died == 0 &&
	    !death_written(&x, pp, &line, fx, sizeof fx))
		death_write(&x, &df, &line, fx, sizeof fx);
	(void)flock(e->lockfd, LOCK_UN);
	buf_free(&line);
}
