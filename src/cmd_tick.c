/* cmd_tick.c - tick: one supervision pass (tick.c), as the scheduler runs
 * it: silent on stdout unless asked. */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *verbose, *origin;
} to;

static const struct opt tick_opts[] = {
	{ "verbose", 0, OPT_FLAG, &to.verbose, NULL, NULL },
	{ "origin", 0, OPT_ARG, &to.origin, NULL, NULL },
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

static int
cmd_tick(const struct args *a)
{
	struct tally t;
	int verbose = to.verbose != NULL || cli_verbose(), rc;

	if (to.origin != NULL && strcmp(to.origin, "schedule") != 0 &&
	    strcmp(to.origin, "death") != 0 && strcmp(to.origin, "command") != 0)
		return cli_usage("--origin %s: must be schedule, death or "
		    "command", to.origin);
	if (to.origin != NULL && strcmp(to.origin, "death") == 0)
		tick_rescope(a);
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
	.name = "tick",
	.usage = "[--verbose] [--origin schedule|death|command] [<id>...]",
	.summary = "one supervision pass over every identity, or the named ones",
	.help = "  --verbose   print a summary line (the tick is silent otherwise)\n"
	    "  --origin O  who asked: schedule (default for a full pass), death\n"
	    "              (the pane-died hook and the canary: waits for the\n"
	    "              identity's lock, sleeps out a restart's backoff) or\n"
	    "              command (default with ids)\n",
	.opts = tick_opts,
	.minpos = 0,
	.maxpos = -1,
	.home = H_READ,
	.ids = 2,
	.exec = cmd_tick
};
