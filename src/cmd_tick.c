/* cmd_tick.c - tick: one supervision pass (tick.c), as the scheduler runs
 * it: silent on stdout unless asked.  With --every, a pass every SECS in
 * the foreground, for where nothing else runs the tick (a container's
 * entrypoint, WSL without systemd, a terminal). */
#include "roost.h"

#include <sys/select.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVERY_MAX	86400

static struct {
	const char *verbose, *origin, *every;
} to;

static const struct opt tick_opts[] = {
	{ "verbose", 0, OPT_FLAG, &to.verbose, NULL, NULL },
	{ "origin", 0, OPT_ARG, &to.origin, NULL, NULL },
	{ "every", 0, OPT_ARG, &to.every, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/*
 * A pass a death asked for runs in a scope of its own where a user
 * manager answers: the canary and the pane-died hook ask from inside the
 * dead session's roost-<id>.scope (which must be empty before the
 * relaunch can take its name), a backoff's from inside roost-tick.service
 * (whose default KillMode would end it with the tick).  systemd-run moves
 * this very process (its pid stays) and execs the pass again; when it
 * cannot even run, the pass goes on here.
 */
static void
tick_rescope(const struct args *a)
{
	const char *inner[SCOPE_ARGV_MAX], *self = pid_self();
	struct scope_argv sa;
	char unit[ID_MAX + 48];
	int i, n = 0;

	if (self == NULL || a->n < 1 || a->n > 4 ||
	    !ident_valid(a->v[0]) || getenv("ROOST_PASS_SCOPE") != NULL ||
	    scope_manager() != 1 || scope_self_in("roost-pass-"))
		return;
	inner[n++] = self;
	inner[n++] = "-H";
	inner[n++] = home_dir();
	inner[n++] = "tick";
	inner[n++] = "--origin";
	inner[n++] = "death";
	for (i = 0; i < a->n; i++)
		inner[n++] = a->v[i];
	inner[n] = NULL;
	(void)snprintf(unit, sizeof unit, "roost-pass-%s-%ld.scope", a->v[0],
	    (long)getpid());
	scope_argv(&sa, unit, NULL, NULL, 0, inner);
	(void)setenv("ROOST_PASS_SCOPE", unit, 1);	/* once, however it goes */
	(void)fflush(NULL);
	(void)execv(sa.v[0], (char *const *)sa.v);
}

static volatile sig_atomic_t every_stop;

static void
on_stop(int sig)
{
	every_stop = sig;
}

static void
on_child(int sig)
{
	(void)sig;	/* only to wake pselect(): the loop reaps */
}

/* One pass and what it says; -1 when it could not run. */
static int
tick_once(int verbose, const char *origin, char *const ids[], int nids)
{
	struct tally t;
	int rc;

	if ((rc = tick_pass(verbose, origin, ids, nids, &t)) == -1)
		return -1;
	if (rc == 2 && verbose)
		cli_out("tick skipped: another tick holds the lock\n");
	else if (rc == 0 && verbose)
		cli_out("tick ids=%d running=%d launched=%d reaped=%d "
		    "deaths=%d ms=%ld\n", t.ids, t.running, t.launched,
		    t.reaped, t.deaths, t.ms);
	return 0;
}

/*
 * Sleep until ms have passed since *start or INT/TERM came, reaping any
 * child that ended meanwhile: as a container's PID 1 every orphan (an
 * ended canary, a detached pass) becomes ours.  The signals are blocked
 * outside pselect() so none is lost between the check and the sleep;
 * SIGCHLD is caught only here, so no call of the pass sees EINTR.
 */
static void
every_sleep(const struct timespec *start, long ms)
{
	struct sigaction sa, oldchld;
	struct timespec ts;
	sigset_t block, orig;
	long left;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_child;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigemptyset(&block);
	(void)sigaddset(&block, SIGINT);
	(void)sigaddset(&block, SIGTERM);
	(void)sigaddset(&block, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &block, &orig);
	(void)sigaction(SIGCHLD, &sa, &oldchld);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (every_stop || (left = ms - now_ms_since(start)) <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000L;
		(void)pselect(0, NULL, NULL, NULL, &ts, &orig);
	}
	(void)sigaction(SIGCHLD, &oldchld, NULL);
	(void)sigprocmask(SIG_SETMASK, &orig, NULL);
}

/*
 * The foreground loop: a full pass (origin=schedule, logged as the
 * scheduled tick's) every secs seconds, counted from the start of the
 * last one, until INT or TERM, which end it with exit 0 once the pass
 * in progress is done.  A first pass that cannot run ends it (a wrong
 * home should stop an entrypoint at once); a later one is reported and
 * the loop goes on, as the next scheduled tick would.
 */
static int
tick_every(unsigned long secs, int verbose)
{
	struct sigaction sa;
	struct timespec start;
	int first = 1;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	while (!every_stop) {
		now_mono(&start);
		if (tick_once(verbose, "schedule", NULL, 0) == -1) {
			if (first)
				return cli_fail();
			cli_warn("%s", err_msg());
		}
		first = 0;
		if (cli_finish(RX_OK) != RX_OK)
			return RX_FAIL;	/* stdout is gone: nobody to tell */
		every_sleep(&start, (long)secs * 1000);
	}
	return RX_OK;
}

static int
cmd_tick(const struct args *a)
{
	int verbose = to.verbose != NULL || cli_verbose();
	const char *origin;
	char **ids;
	unsigned long secs;
	int i, n = 0, rc;

	if (to.origin != NULL && strcmp(to.origin, "schedule") != 0 &&
	    strcmp(to.origin, "death") != 0 && strcmp(to.origin, "command") != 0 &&
	    strcmp(to.origin, "activity") != 0 &&
	    strcmp(to.origin, "backoff") != 0)
		return cli_usage("--origin %s: must be schedule, death, command, "
		    "activity or backoff", to.origin);
	if (to.every != NULL) {
		if (num_ulong(to.every, EVERY_MAX, &secs) == -1 || secs == 0)
			return cli_usage("--every %s: must be 1 to %d seconds",
			    to.every, EVERY_MAX);
		if (a->n > 0 || to.origin != NULL)
			return cli_usage("--every: runs full passes: no "
			    "identities and no --origin with it");
		return tick_every(secs, verbose);
	}
	origin = to.origin != NULL ? to.origin : a->n > 0 ? "command" :
	    "schedule";
	/* Named at the command line, an identity must exist; a hook's or
	 * a canary's pass for one removed since has nothing to do. */
	ids = xmalloc(((size_t)a->n + 1) * sizeof *ids);
	for (i = 0; i < a->n; i++) {
		if (state_known(a->v[i]))
			ids[n++] = a->v[i];
		else if (strcmp(origin, "command") == 0) {
			free(ids);
			return err_set(RX_UNKNOWN, "%s: unknown identity",
			    a->v[i]), cli_fail();
		}
	}
	if (strcmp(origin, "death") == 0 && n > 0)
		tick_rescope(a);
	rc = a->n > 0 && n == 0 ? 0 : tick_once(verbose, origin, ids, n);
	free(ids);
	return rc == -1 ? cli_fail() : RX_OK;
}

const struct cmd_entry cmd_tick_entry = {
	.name = "tick",
	.usage = "[--verbose] [--origin schedule|death|command|activity|backoff] "
	    "[--every SECS] "
	    "[<id>...]",
	.summary = "one supervision pass over every identity, or the named ones",
	.help = "  --verbose   print a summary line (the tick is silent otherwise)\n"
	    "  --origin O  who asked: schedule (default for a full pass), death\n"
	    "              (the pane-died hook and the canary: waits for the\n"
	    "              identity's lock, sleeps out a restart's backoff),\n"
	    "              command (default with ids) or activity (the pane's\n"
	    "              alert hook: only looks at what the program is doing)\n"
	    "              or backoff (the waiting server's run-shell at the\n"
	    "              end of a backoff: respawns the dead pane)\n"
	    "  --every SECS  stay in the foreground and run a full pass every "
	    "SECS\n"
	    "              seconds (1-86400), logged as the scheduled tick's, "
	    "until\n"
	    "              INT or TERM (exit 0): where no cron or user manager "
	    "runs\n"
	    "              (a container's entrypoint, WSL without systemd, a "
	    "terminal)\n",
	.opts = tick_opts,
	.minpos = 0,
	.maxpos = -1,
	.home = H_READ,
	.ids = 2,
	.exec = cmd_tick
};

#define RESPAWN_LOCK_MS	5000	/* a restart in place waits this for the id */

/* A pane id as tmux gives it: %N. */
static int
pane_id_ok(const char *p)
{
	size_t n = strlen(p);

	return n > 1 && p[0] == '%' && strspn(p + 1, "0123456789") == n - 1;
}

/* This death would reach the crash-loop limit (rule 3c's count, this
 * death counted): left to the pass, which ends the server and says so. */
static int
would_loop(const char *id, const struct conf *c, time_t now)
{
	struct death d[DEATHS_KEEP];
	int n = marker_deaths_read(id, d, DEATHS_KEEP);

	return state_in_window(d, n, now, c->cl_window) + 1 >=
	    (int)c->cl_deaths;
}

/*
 * The run-shell that ends a backoff in the waiting server: a pass over
 * the identity (origin=backoff) once wait_ms is over.  It dies with the
 * server, so a server that ends meanwhile leaves it to the canary's pass.
 */
static int
pane_died_later(const struct idctx *x, const struct conf *c, long wait_ms)
{
	char d[32];
	const char *args[] = { "run-shell", "-b", "-d", d, NULL, NULL };
	struct buf cmd = { 0 };
	struct vars v = { 0 };
	int rc = -1;

	if (wait_ms < 1)
		wait_ms = 1;
	(void)snprintf(d, sizeof d, "%ld.%03ld", wait_ms / 1000,
	    wait_ms % 1000);
	if (x->sock[0] != '\0' && render_std(&v, x->id, c) == 0 &&
	    render_line("backoff", &v, &cmd) == 0) {
		args[4] = cmd.s;
		rc = tmux_run(x->sock, args, NULL);
	}
	render_free(&v);
	buf_free(&cmd);
	return rc;
}

/*
 * The program of id ended in a server that lives on.  When the restart
 * policy calls for a restart (not stopped, no crash-loop), the death is
 * recorded here and the server kept, its canary (cp, cstamp) and socket
 * with it; .session says the run is over (died=), and the one decision
 * (state.c, rule 1e) says what next: respawn the pane now, or after the
 * backoff (a tmux run-shell -d asks for the pass then; the scheduled tick
 * is the safety net): 1.  Otherwise 0, and nothing is kept: the caller
 * ends the session and the pass does the rest, as after a server's death.
 */
static int
pane_died_restart(struct idctx *x, const char *pane, int clean, pid_t cp,
    unsigned long long cstamp)
{
	const char *id = x->id;
	struct timespec t0;
	struct verdict v;
	struct session s;
	struct facts f;
	struct conf c;
	int lk, dummy, rc = 0;

	if (!pane_id_ok(pane) || conf_read(id, &c) != 0)
		return 0;
	if (!state_policy_restarts(&c, clean ? "status=0" : "")) {
		conf_free(&c);
		return 0;
	}
	now_mono(&t0);
	while ((lk = home_lock(id, 0)) == -2 &&
	    now_ms_since(&t0) < RESPAWN_LOCK_MS)
		now_sleep_ms(5);
	if (lk < 0) {
		conf_free(&c);
		return 0;
	}
	marker_ctx_forget(x);	/* read under the lock */
	if (marker_ctx_session(x) == NULL)
		goto out;
	s = x->s;
	if (s.died > 0 ||
	    marker_has(id, M_STOPPED) == 1 || marker_has(id, M_CRASHLOOP) == 1 ||
	    would_loop(id, &c, now_wall()) ||
	    death_record(x, &s, &dummy) == -1)
		goto out;
	/* The run is over; its server stays, watched by the same canary,
	 * which then records the server's own end (no pane names the
	 * program's record as this run's). */
	s.died = now_wall();
	s.pane_pid = 0;
	s.pane_start = 0;
	if (s.run == 0)
		s.run = 1;
	marker_ctx_forget(x);
	if (marker_session_write(id, &s) == -1)
		goto out;
	if (cp > 0)
		(void)marker_pid_write(id, M_CANARY, cp, cstamp);
	/* .busy, .waiting, .ready were the dead run's: nothing is delivered
	 * into the dead pane (the queue waits for the next run). */
	activity_clear(id);
	tick_facts(x, &c, NULL, now_wall(), &f);
	state_decide(&c, &f, &v);
	if ((v.act & A_RESPAWN) &&
	    launch_respawn(x, &c, pane, &s, "restart") == 0)
		rc = 1;					/* 1e: now */
	else if (!(v.act & A_RESPAWN) && v.st == ST_BACKOFF &&
	    v.restart) {
		tick_backoff_log(id, &v);			/* 1e: later */
		if (pane_died_later(x, &c, v.wait) == -1)
			cli_warn("%s", err_msg());
		rc = 1;
	}
	if (rc == 0) {
		/* Not kept after all: as after a server's death, the
		 * canary dismissed and the death recorded. */
		(void)marker_rm(id, M_CANARY);
		marker_ctx_forget(x);
		(void)marker_rm(id, M_SESSION);
	}
out:
	file_unlock(lk);
	conf_free(&c);
	return rc;
}

/* The record says the program exited with status 0. */
static int
clean_exit(const struct buf *line)
{
	struct buf v = { 0 };
	int clean = logfmt_get(line->s, "status", &v) == 0 &&
	    strcmp(v.s, "0") == 0;

	buf_free(&v);
	return clean;
}

/* The session ends (its server with it: the canary was dismissed), and
 * a pass over the identity, once the server is gone, records the death
 * and restarts it after the backoff.  The pass is asked for first: the
 * server's end may end this run-shell job too. */
static void
pane_died_end(const struct idctx *x)
{
	const char *args[] = { "kill-session", "-t", x->target, NULL };
	const char *argv[] = { pid_self(), "-H", home_dir(), "tick",
	    "--origin", "death", x->id, NULL };

	if (argv[0] != NULL && spawn_detached(argv, NULL, NULL, NULL) == -1)
		cli_warn("%s", err_msg());
	if (x->sock[0] != '\0' && tmux_alive(x->sock))
		(void)tmux_run(x->sock, args, NULL);
}

/* A SIGKILL's snapshot (fx not ""), by the shared script, detached, at
 * low priority. */
static void
pane_died_snapshot(const char *id, const char *fx, const char *line)
{
	struct buf kv[3] = { { 0 } };
	char script[PATHBUF];
	const char *argv[6];
	int i;

	if (*fx == '\0')
		return;
	home_path(script, "bin/pane-died");
	buf_addf(&kv[0], "id=%s", id);
	buf_addf(&kv[1], "fx=%s", fx);
	buf_addf(&kv[2], "line=%s", line);
	argv[0] = script, argv[1] = "snapshot";
	argv[2] = kv[0].s, argv[3] = kv[1].s, argv[4] = kv[2].s;
	argv[5] = NULL;
	if (spawn_detached(argv, NULL, NULL, NULL) == -1)
		cli_warn("%s", err_msg());
	for (i = 0; i < 3; i++)
		buf_free(&kv[i]);
}

static const struct opt pane_died_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* pane-died: what the tmux hook runs when the program's pane ends. */
static int
cmd_pane_died(const struct args *a)
{
	struct death_facts df = { "", "", "", "", "" };
	const char *pane = "";
	struct idctx x;
	unsigned long long cstamp = 0;
	pid_t cp = 0;
	struct buf line = { 0 };
	const char *id = NULL;
	char fx[PATHBUF];
	int i, restarted;

	for (i = 0; i < a->n; i++) {
		const char *w = a->v[i];

		if (strncmp(w, "id=", 3) == 0)
			id = w + 3;
		else if (strncmp(w, "status=", 7) == 0)
			df.status = w + 7;
		else if (strncmp(w, "signal=", 7) == 0)
			df.signal = w + 7;
		else if (strncmp(w, "rsig=", 5) == 0)
			df.rsig = w + 5;
		else if (strncmp(w, "pane_pid=", 9) == 0)
			df.pane_pid = w + 9;
		else if (strncmp(w, "server_pid=", 11) == 0)
			df.server_pid = w + 11;
		else if (strncmp(w, "pane=", 5) == 0)
			pane = w + 5;
	}
	if (ident_check(id) == -1)
		return cli_fail();
	home_ctx(id, &x);
	/* No conf, session, canary or server: no death of roost's to
	 * record (a hand-typed id, say), and no marker left behind. */
	if (!state_known(id)) {
		(void)err_set(RX_UNKNOWN, "%s: unknown identity", id);
		return cli_fail();
	}
	/* The record and the restart first: the state files they write are
	 * synced once the program runs again (file_sync_pending below). */
	file_sync_defer();
	/* The canary dismissed and the record written, or neither: a server
	 * that ends meanwhile (a scope stopped, kill-server) signals its
	 * run-shell jobs, and this one must not die between the two. */
	sig_hold();
	if (!canary_live(id, &cp))
		cp = 0;
	else
		(void)marker_pid_read(id, M_CANARY, &cp, &cstamp);
	(void)death_exit(&x, &df, &line, fx, sizeof fx);
	sig_release();
	/* A restart due now happens in the live server; the snapshot of a
	 * SIGKILL comes after the record and the restart. */
	restarted = pane_died_restart(&x, pane, clean_exit(&line), cp,
	    cstamp) == 1;
	file_sync_pending();
	pane_died_snapshot(id, fx, line.s);
	if (!restarted)
		pane_died_end(&x);
	buf_free(&line);
	return RX_OK;
}

const struct cmd_entry cmd_pane_died_entry = {
	"pane-died", "id=<id> [status=N] [signal=SIG] [rsig=SIG] "
	"[pane_pid=N] [server_pid=N] [pane=%N]",
	"record the end of an identity's program (what its tmux hook runs)",
	"Appends ev=session-exit to exits.log and writes .last-exit, with\n"
	"the signal named by roost's one table (rsig, what the launch script\n"
	"saw, wins over tmux's signal); dismisses the canary.  A restart the\n"
	"policy owes keeps the server, its canary and socket: the program is\n"
	"respawned in pane now, or once its backoff is over (the pane stays\n"
	"dead meanwhile); otherwise it ends the session and asks for a pass\n"
	"over the identity.  Fields that are not numbers or signals are\n"
	"dropped.  An identity with no conf, session, canary or server exits\n"
	"4 and writes nothing.\n",
	pane_died_opts, 1, -1, H_READ, 0, cmd_pane_died
};
