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
	unsigned long secs;

	if (to.origin != NULL && strcmp(to.origin, "schedule") != 0 &&
	    strcmp(to.origin, "death") != 0 && strcmp(to.origin, "command") != 0 &&
	    strcmp(to.origin, "activity") != 0)
		return cli_usage("--origin %s: must be schedule, death, command "
		    "or activity", to.origin);
	if (to.every != NULL) {
		if (num_ulong(to.every, EVERY_MAX, &secs) == -1 || secs == 0)
			return cli_usage("--every %s: must be 1 to %d seconds",
			    to.every, EVERY_MAX);
		if (a->n > 0 || to.origin != NULL)
			return cli_usage("--every: runs full passes: no "
			    "identities and no --origin with it");
		return tick_every(secs, verbose);
	}
	if (to.origin != NULL && strcmp(to.origin, "death") == 0)
		tick_rescope(a);
	if (tick_once(verbose, to.origin != NULL ? to.origin :
	    a->n > 0 ? "command" : "schedule", a->v, a->n) == -1)
		return cli_fail();
	return RX_OK;
}

const struct cmd_entry cmd_tick_entry = {
	.name = "tick",
	.usage = "[--verbose] [--origin schedule|death|command|activity] "
	    "[--every SECS] "
	    "[<id>...]",
	.summary = "one supervision pass over every identity, or the named ones",
	.help = "  --verbose   print a summary line (the tick is silent otherwise)\n"
	    "  --origin O  who asked: schedule (default for a full pass), death\n"
	    "              (the pane-died hook and the canary: waits for the\n"
	    "              identity's lock, sleeps out a restart's backoff),\n"
	    "              command (default with ids) or activity (the pane's\n"
	    "              alert hook: only looks at what the program is doing)\n"
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
