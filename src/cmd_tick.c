/* cmd_tick.c - tick: one supervision pass (tick.c), as the scheduler runs
 * it: silent on stdout unless asked. */
#include "roost.h"

#include <string.h>

static struct {
	const char *verbose, *origin;
} to;

static const struct opt tick_opts[] = {
	{ "verbose", 0, OPT_FLAG, &to.verbose, NULL, NULL },
	{ "origin", 0, OPT_ARG, &to.origin, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static int
cmd_tick(const struct args *a)
{
	struct tally t;
	int verbose = to.verbose != NULL || cli_verbose(), rc;

	if (to.origin != NULL && strcmp(to.origin, "schedule") != 0 &&
	    strcmp(to.origin, "death") != 0 && strcmp(to.origin, "command") != 0)
		return cli_usage("--origin %s: must be schedule, death or "
		    "command", to.origin);
	if ((rc = tick_pass(verbose, to.origin != NULL ? to.origin :
	    a->n > 0 ? "command" : "schedule", a->v, a->n, &t)) == -1)
		return cli_fail();
	if (rc == 2 && verbose)
		cli_out("tick skipped: another tick holds the lock\n");
	else if (rc == 0 && verbose)
		cli_out("tick ids=%d running=%d launched=%d reaped=%d "
		    "deaths=%d ms=%ld\n", t.ids, t.running, t.launched,
		    t.reaped, t.deaths, t.ms);
	return RX_OK;
}

const struct cmd_entry cmd_tick_entry = {
	"tick", "[--verbose] [--origin schedule|death|command] [<id>...]",
	"one supervision pass over every identity, or the named ones",
	"  --verbose   print a summary line (the tick is silent otherwise)\n"
	"  --origin O  who asked: schedule (default for a full pass), death\n"
	"              (the pane-died hook and the canary: waits for the\n"
	"              identity's lock, sleeps out a restart's backoff) or\n"
	"              command (default with ids)\n",
	tick_opts, 0, -1, H_READ, 2, cmd_tick
};

static const struct opt pane_died_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* pane-died: what the tmux hook runs when the program's pane ends. */
static int
cmd_pane_died(const struct args *a)
{
	struct death_facts df = { "", "", "", "", "" };
	struct buf line = { 0 }, kv[3] = { { 0 } };
	const char *id = NULL, *self = pid_self();
	char fx[PATHBUF], script[PATHBUF];
	int i;

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
	}
	if (ident_check(id) == -1)
		return cli_fail();
	(void)death_exit(id, &df, &line, fx, sizeof fx);
	/* The pass over the identity: once the server is gone (the hook
	 * ends the session when this returns), it records and restarts. */
	{
		const char *argv[] = { self, "-H", home_dir(), "tick",
		    "--origin", "death", id, NULL };

		if (self != NULL && spawn_detached(argv, NULL, NULL, NULL) == -1)
			cli_warn("%s", err_msg());
	}
	/* A SIGKILL's snapshot, by the shared script, after the record and
	 * the pass request, at low priority. */
	if (fx[0] != '\0') {
		const char *argv[] = { script, "snapshot", NULL, NULL, NULL,
		    NULL, NULL };

		home_path(script, "bin/pane-died");
		buf_addf(&kv[0], "id=%s", id);
		buf_addf(&kv[1], "fx=%s", fx);
		buf_addf(&kv[2], "line=%s", line.s);
		argv[2] = kv[0].s, argv[3] = kv[1].s, argv[4] = kv[2].s;
		if (spawn_detached(argv, NULL, NULL, NULL) == -1)
			cli_warn("%s", err_msg());
	}
	for (i = 0; i < 3; i++)
		buf_free(&kv[i]);
	buf_free(&line);
	return RX_OK;
}

const struct cmd_entry cmd_pane_died_entry = {
	"pane-died", "id=<id> [status=N] [signal=SIG] [rsig=SIG] "
	"[pane_pid=N] [server_pid=N]",
	"record the end of an identity's program (what its tmux hook runs)",
	"Appends ev=session-exit to exits.log and writes .last-exit, with\n"
	"the signal named by roost's one table (rsig, what the launch script\n"
	"saw, wins over tmux's signal); dismisses the canary; asks for a\n"
	"pass over the identity.  Fields that are not numbers or signals are\n"
	"dropped.\n",
	pane_died_opts, 1, -1, H_READ, 0, cmd_pane_died
};
