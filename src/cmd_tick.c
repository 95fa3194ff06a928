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
	    strcmp(to.origin, "death") != 0 && strcmp(to.origin, "command") != 0 &&
	    strcmp(to.origin, "activity") != 0)
		return cli_usage("--origin %s: must be schedule, death, command "
		    "or activity", to.origin);
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
	.usage = "[--verbose] [--origin schedule|death|command|activity] "
	    "[<id>...]",
	.summary = "one supervision pass over every identity, or the named ones",
	.help = "  --verbose   print a summary line (the tick is silent otherwise)\n"
	    "  --origin O  who asked: schedule (default for a full pass), death\n"
	    "              (the pane-died hook and the canary: waits for the\n"
	    "              identity's lock, sleeps out a restart's backoff),\n"
	    "              command (default with ids) or activity (the pane's\n"
	    "              alert hook: only looks at what the program is doing)\n",
	.opts = tick_opts,
	.minpos = 0,
	.maxpos = -1,
	.home = H_READ,
	.ids = 2,
	.exec = cmd_tick
};
