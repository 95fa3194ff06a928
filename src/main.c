/*
 * main.c - the command table and main(): global options, then the
 * command, its options, the identity check, the home, and its exec.
 */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_help(const struct args *);

static const struct opt no_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[<command> | conf]",
	.summary = "show help for roost or one command",
	.help = "  conf   list the keys of conf/<id>.conf\n",
	.opts = no_opts,
	.minpos = 0,
	.maxpos = 1,
	.home = H_NONE,
	.ids = 0,
	.exec = cmd_help
};

static const struct cmd_entry *const cmds[] = {
	&cmd_install_entry, &cmd_uninstall_entry, &cmd_add_entry,
	&cmd_rm_entry, &cmd_start_entry, &cmd_stop_entry, &cmd_wake_entry,
	&cmd_restart_entry, &cmd_tick_entry, &cmd_status_entry,
	&cmd_render_entry, &cmd_attach_entry, &cmd_output_entry, &cmd_log_entry,
	&cmd_canary_entry, &cmd_mark_entry, &cmd_send_entry,
	&cmd_pane_died_entry, &cmd_pane_log_entry, &cmd_help_entry
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	return NULL;
}

static int
cmd_help(const struct args *a)
{
	const struct cmd_entry *c;

	if (a->n == 0) {
		cli_help_all(cmds, NCMDS, 0);
		return RX_OK;
	}
	if ((c = cmd_find(a->v[0])) == NULL && strcmp(a->v[0], "conf") == 0) {
		cli_help_conf(conf_keys());
		return RX_OK;
	}
	if (c == NULL)
		return cli_usage("unknown command: %s", a->v[0]);
	cli_help(c);
	return RX_OK;
}

static int
has_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

/* A bad identity is refused before anything, even the home, is made:
 * the first argument, or every one (c->ids 2), after a -- too (a script
 * puts one before an id it was given). */
static int
ids_check(const struct cmd_entry *c, const struct args *a)
{
	int i, n = c->ids == 2 ? a->n : c->ids;

	for (i = 0; i < a->n && i < n; i++)
		if (ident_check(a->v[i]) == -1)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *c;
	struct args a;
	int i, rc, g;

	pid_self_init(argv[0]);
	cli_set_tmux(getenv("TMUX"));
	(void)unsetenv("TMUX");	/* never talk to an enclosing tmux */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((g = cli_global(argc, argv, &i)) == 1)
			continue;
		if (g == -1)
			return cli_usage("option -H needs a directory");
		if (strcmp(argv[i], "--version") == 0) {
			(void)printf("roost %s\n", ROOST_VERSION);
			return cli_finish(RX_OK);
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_help_all(cmds, NCMDS, 0);
			return cli_finish(RX_OK);
		} else
			return cli_usage("unknown option: %s", argv[i]);
	}
	if (i == argc) {
		cli_help_all(cmds, NCMDS, 1);
		return RX_USAGE;
	}
	if ((c = cmd_find(argv[i])) == NULL)
		return cli_usage("unknown command: %s", argv[i]);
	cli_begin(c);
	if (has_help(argc - i - 1, argv + i + 1)) {
		cli_help(c);
		return cli_finish(RX_OK);
	}
	/* The parsed words are freed on every path (leak-checked builds). */
	if ((rc = cli_parse(c, argc - i - 1, argv + i + 1, &a)) != 0)
		;
	else if (ids_check(c, &a) == -1)	/* before the home is made */
		rc = cli_fail();
	else if (home_resolve(cli_home()) == -1 || (c->home != H_NONE &&
	    home_open(c->home == H_CREATE) == -1))
		rc = cli_fail();
	else
		rc = cli_finish(c->exec(&a));
	cli_args_free(&a, c);
	return rc;
}
