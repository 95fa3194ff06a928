/* cmd_tick.c - tick: one supervision pass (tick.c), as the scheduler runs
 * it: silent on stdout unless asked. */
#include "roost.h"

static struct {
	const char *verbose;
} to;

static const struct opt tick_opts[] = {
	{ "verbose", 0, OPT_FLAG, &to.verbose, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static int
cmd_tick(const struct args *a)
{
	struct tally t;
	int verbose = to.verbose != NULL || cli_verbose(), rc;

	(void)a;
	if ((rc = tick_pass(verbose, &t)) == -1)
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
	"tick", "[--verbose]",
	"one supervision pass over every identity (run by the scheduler)",
	"  --verbose   print a summary line (the tick is silent otherwise)\n",
	tick_opts, 0, 0, H_READ, 0, cmd_tick
};
