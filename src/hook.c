/*
 * hook.c - the user's hooks: $ROOST_HOME/hooks/<event>, run for each
 * event of that name (death, crash-loop, server-exit, reap, launch,
 * waiting) with
 * the event's logfmt line on stdin and ROOST_EVENT, ROOST_ID, ROOST_CAUSE
 * and ROOST_HOME in the environment.
 *
 * The rules:
 *  1. A missing hook costs one lstat(2).
 *  2. A hook, or a hooks/ directory, that is a symlink, not ours, or
 *     writable by group or others is never run: refused and logged.
 *  3. The caller never waits: a small detached supervisor (a grandchild,
 *     so never the caller's zombie, holding none of its descriptors or
 *     locks) runs the hook, gives it HOOK_TIMEOUT_MS, then SIGKILLs its
 *     process group, and logs the result as ev=hook.
 */
#include "roost.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Why path (a directory when dir) may not be trusted; NULL when it may. */
static const char *
unsafe(const char *path, int dir, char *why, size_t n)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return "cannot be read";
	if (S_ISLNK(st.st_mode))
		return "is a symlink";
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dir ? "is not a directory" : "is not a regular file";
	if (st.st_uid != getuid()) {
		(void)snprintf(why, n, "is owned by uid %ld, not by you",
		    (long)st.st_uid);
		return why;
	}
	if ((st.st_mode & 022) != 0) {
		(void)snprintf(why, n, "is group or world writable (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
		return why;
	}
	if (!dir && (st.st_mode & 0100) == 0)
		return "is not executable";
	return NULL;
}

/* In the supervisor: run the hook, wait for it (bounded), log how it
 * ended.  Never returns. */
static void
supervise(const char *event, const char *id, const char *cause,
    const char *line, const char *path)
{
	const char *argv[] = { path, NULL };
	const char *e = getenv("ROOST_TEST_HOOK_TIMEOUT_MS");
	struct scope_argv sa;
	unsigned long limit = HOOK_TIMEOUT_MS;
	struct buf in = { 0 };
	struct timespec t0;
	char rc[16] = "", ms[24], sb[16];
	const char *sig = "";
	int st = 0, r;

	if (e != NULL && num_ulong(e, HOOK_TIMEOUT_MS, &limit) == -1)
		limit = HOOK_TIMEOUT_MS;
	(void)setenv("ROOST_EVENT", event, 1);
	if (id != NULL)
		(void)setenv("ROOST_ID", id, 1);
	else
		(void)unsetenv("ROOST_ID");	/* not the caller's own */
	(void)setenv("ROOST_CAUSE", cause != NULL ? cause : "", 1);
	(void)setenv("ROOST_HOME", home_dir(), 1);
	if (chdir(home_dir()) == -1)
		_exit(1);
	buf_adds(&in, line != NULL ? line : "");
	buf_addc(&in, '\n');
	now_mono(&t0);
	/* Outside roost.slice (a tick of roost-tick.service, whose default
	 * KillMode ends what is left when the tick ends) the hook gets a
	 * scope of its own, where a user manager answers. */
	if (scope_manager() == 1 && !scope_self_in("roost-")) {
		char unit[96];

		(void)snprintf(unit, sizeof unit, "roost-hook-%s-%ld.scope",
		    event, (long)getpid());
		scope_argv(&sa, unit, NULL, NULL, 0, argv);
		r = spawn_feed(sa.v, in.s, in.len, (long)limit, &st);
	} else
		r = spawn_feed(argv, in.s, in.len, (long)limit, &st);
	(void)snprintf(ms, sizeof ms, "%ld", now_ms_since(&t0));
	if (r == -1)
		log_event("hook", id, "event", event, "error", err_msg(),
		    "ms", ms, LEND);
	else {
		if (WIFEXITED(st))
			(void)snprintf(rc, sizeof rc, "%d", WEXITSTATUS(st));
		else if (WIFSIGNALED(st)) {
			sig_name(WTERMSIG(st), sb);
			sig = sb;
		}
		log_event("hook", id, "event", event, "rc", rc, "signal", sig,
		    "timeout", r == 1 ? "yes" : "no", "ms", ms, LEND);
	}
	_exit(0);
}

void
hook_run(const char *event, const char *id, const char *cause,
    const char *line)
{
	char dir[PATHBUF], path[PATHBUF], why[96];
	const char *bad, *who = "hooks/";
	struct buf l = { 0 }, r = { 0 };
	struct stat st;

	home_path(path, "hooks/%s", event);
	if (lstat(path, &st) == -1)
		return;
	buf_adds(&l, line != NULL ? line : "");	/* log_event reuses it */
	home_path(dir, "hooks");
	if ((bad = unsafe(dir, 1, why, sizeof why)) == NULL) {
		who = "the hook";
		bad = unsafe(path, 0, why, sizeof why);
	}
	if (bad != NULL) {
		buf_addf(&r, "%s %s", who, bad);
		log_event("hook", id, "event", event, "refused", r.s, "path",
		    path, LEND);
		err_warn("hook %s refused: %s", path, r.s);
	} else
		switch (spawn_daemon()) {
		case 0:
			supervise(event, id, cause, l.s, path);
			break;
		case -1:
			log_event("hook", id, "event", event, "error",
			    err_msg(), LEND);
			break;
		}
	buf_free(&l);
	buf_free(&r);
}

/*
 * The hooks of a recorded death: death, with the ev=death line just
 * logged; and server-exit too when the death's record (.last-exit, the
 * canary's line) is an ev=server-exit.
 */
void
hook_death(const char *id, const char *last_exit)
{
	struct buf line = { 0 }, cause = { 0 }, ev = { 0 };

	buf_adds(&line, log_last());
	(void)logfmt_get(line.s, "cause", &cause);
	hook_run("death", id, cause.s, line.s);
	if (last_exit != NULL && logfmt_get(last_exit, "ev", &ev) == 0 &&
	    strcmp(ev.s, "server-exit") == 0) {
		(void)logfmt_get(last_exit, "cause", &cause);
		hook_run("server-exit", id, cause.s, last_exit);
	}
	buf_free(&line);
	buf_free(&cause);
	buf_free(&ev);
}
