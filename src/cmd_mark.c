/* cmd_mark.c - mark: what a program's own hooks call to say what it is
 * doing (section 13); the markers are kept by activity.c. */
#include "roost.h"

#include <string.h>

static const struct opt mark_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* A pass over the identity, detached: what it does at its prompt now
 * (a queued message goes out) need not wait for the scheduled tick. */
static void
pass_request(const char *id)
{
	const char *argv[] = { pid_self(), "-H", home_dir(), "tick", id,
	    NULL };

	if (argv[0] != NULL && spawn_detached(argv, NULL, NULL, NULL) == -1)
		cli_warn("%s", err_msg());
}

static int
cmd_mark(const struct args *a)
{
	const char *id = a->v[0], *word = a->v[1];

	if (strcmp(word, "busy") != 0 && strcmp(word, "waiting") != 0 &&
	    strcmp(word, "idle") != 0)
		return cli_usage("%s: must be busy, waiting or idle", word);
	if (!state_known(id)) {
		(void)err_set(RX_UNKNOWN, "%s: unknown identity", id);
		return cli_fail();
	}
	if (activity_mark(id, word) == -1)
		return cli_fail();
	if (strcmp(word, "idle") == 0 && marker_has(id, M_SESSION) == 1)
		pass_request(id);
	return RX_OK;
}

const struct cmd_entry cmd_mark_entry = {
	.name = "mark",
	.usage = "<id> busy|waiting|idle",
	.summary = "say what the program is doing (for its own hooks)",
	.help = "  busy      a turn started, or goes on after an answer: writes\n"
	    "            state/<id>.busy, removes state/<id>.waiting\n"
	    "  waiting   it asks a person: writes state/<id>.waiting\n"
	    "  idle      back at its prompt: removes both, and asks for a pass\n"
	    "            over the identity (a queued message goes out at once)\n"
	    "What a program marks wins over what roost sees on its screen.\n",
	.opts = mark_opts,
	.minpos = 2,
	.maxpos = 2,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_mark
};
