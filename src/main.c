/*
 * main.c - global options, the command table, option parsing, help.
 * Commands print nothing on failure themselves: they return -1 through
 * fail(), which prints "roost: <command>: <what>: <why>" and picks the
 * exit code rerr() recorded.
 */
#include "roost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct optvals O;

enum homeuse { H_NONE, H_READ, H_CREATE };

struct cmd {
	const char *name;
	const char *usage;	/* after "roost <name>" */
	const char *summary;
	const char *help;	/* options and details, for --help */
	const struct opt *opts;
	int	 minpos, maxpos;	/* positional words; -1: no limit */
	enum homeuse home;
	int	 (*fn)(const struct args *);
	int	 ids;		/* 1: the first word is an identity; 2: all */
};

#define OPT(n, s, a, v) { n, s, a, &O.v }
#define OEND { NULL, 0, 0, NULL }

static const struct opt o_add[] = {
	OPT("cwd", 0, 1, cwd), OPT("idle", 0, 1, idle),
	OPT("restart", 0, 1, restart), OPT("crashloop", 0, 1, crashloop),
	OPT("activity", 0, 1, activity), OPT("resume", 0, 1, resume),
	OPT("replace", 0, 0, replace), OEND
};
static const struct opt o_force[] = { OPT("force", 'f', 0, force), OEND };
static const struct opt o_restart[] = { OPT("fresh", 0, 0, fresh), OEND };
static const struct opt o_tick[] = { OPT("verbose", 0, 0, verbose), OEND };
static const struct opt o_status[] = { OPT("format", 0, 1, format), OEND };
static const struct opt o_render[] = { OEND };	/* --set is special */
static const struct opt o_log[] = { OPT("lines", 'n', 1, lines), OEND };
static const struct opt o_install[] = {
	OPT("scheduler", 0, 1, scheduler), OPT("interval", 0, 1, interval),
	OPT("label", 0, 1, label), OPT("dry-run", 'n', 0, dry_run), OEND
};
static const struct opt o_uninstall[] = {
	OPT("purge", 0, 0, purge), OPT("yes", 'y', 0, yes),
	OPT("label", 0, 1, label), OPT("dry-run", 'n', 0, dry_run), OEND
};
static const struct opt o_none[] = { OEND };

static int cmd_help(const struct args *);

static const struct cmd cmds[] = {
	{ "install", "[--scheduler auto|cron|launchd|none] [--interval SECS] "
	  "[--label LABEL] [--dry-run]",
	  "set up the home and the scheduler entry that runs the tick",
	  "  --scheduler S   auto (cron on Linux, launchd on macOS), cron, "
	  "launchd or none\n"
	  "  --interval SECS how often the tick runs (default 60; cron rounds "
	  "to minutes)\n"
	  "  --label LABEL   launchd label (default org.roost.tick)\n"
	  "  --dry-run, -n   print what would be written; touch nothing\n"
	  "Idempotent: prints created, updated or unchanged for each thing.\n",
	  o_install, 0, 0, H_NONE, cmd_install, 0 },
	{ "uninstall", "[--purge [--yes]] [--label LABEL] [--dry-run]",
	  "remove the scheduler entry (--purge: also every session and the "
	  "home)",
	  "  --purge         also stop every session and delete the home\n"
	  "  --yes, -y       confirm --purge without a terminal\n"
	  "  --label LABEL   launchd label (default org.roost.tick)\n"
	  "  --dry-run, -n   print what would be removed; touch nothing\n",
	  o_uninstall, 0, 0, H_NONE, cmd_uninstall, 0 },
	{ "add", "<id> [--cwd DIR] [--idle SECS] [--restart POLICY] "
	  "[--crashloop N/SECS] [--activity PATH] [--resume CMD] [--replace] "
	  "-- CMD [ARG...]",
	  "define an identity (does not launch it)",
	  "  --cwd DIR          working directory (default: $HOME)\n"
	  "  --idle SECS        park after SECS without activity; 0 = never "
	  "(default 3600)\n"
	  "  --restart POLICY   always, on-failure (default) or never\n"
	  "  --crashloop N/SECS stop restarting after N deaths in SECS, N at "
	  "most 16\n"
	  "                     (default 3/300)\n"
	  "  --activity PATH    file or directory whose newest mtime is "
	  "activity\n"
	  "                     (default: log/<id>.log, the pane's output)\n"
	  "  --resume CMD       sh command run when resuming a parked session\n"
	  "  --replace          overwrite an existing definition\n"
	  "CMD [ARG...] is kept as one sh command line: words are joined with "
	  "spaces,\nso quote for sh as you would type it.\n",
	  o_add, 2, -1, H_CREATE, cmd_add, 1 },
	{ "rm", "<id> [--force]",
	  "remove an identity: conf, scripts and markers (keeps its log)",
	  "  --force, -f   tear a running session down first\n",
	  o_force, 1, 1, H_READ, cmd_rm, 1 },
	{ "start", "<id>",
	  "clear stop, crash-loop and deaths, then launch now",
	  "Launches in resume mode when the session was parked.\n",
	  o_none, 1, 1, H_READ, cmd_start, 1 },
	{ "stop", "<id>",
	  "halt an identity: clean teardown, never relaunched until start", "",
	  o_none, 1, 1, H_READ, cmd_stop, 1 },
	{ "wake", "<id>",
	  "launch now if not running (resume if parked)",
	  "Refused (exit 3) when the identity is stopped or crash-looped.\n",
	  o_none, 1, 1, H_READ, cmd_wake, 1 },
	{ "restart", "<id> [--fresh]",
	  "clean teardown, then launch",
	  "  --fresh   run the command, not the resume command\n",
	  o_restart, 1, 1, H_READ, cmd_restart, 1 },
	{ "tick", "[--verbose]",
	  "one supervision pass over every identity (run by the scheduler)",
	  "  --verbose   print a summary line (the tick is silent otherwise)\n",
	  o_tick, 0, 0, H_READ, cmd_tick, 0 },
	{ "status", "[<id>...] [--format table|logfmt]",
	  "state of each identity",
	  "  --format F   table (default) or logfmt\n"
	  "With one id: exit 0 when running, 3 when not, 4 when unknown.\n",
	  o_status, 0, -1, H_READ, cmd_status, 2 },
	{ "render", "<template> [<id>] [--set KEY=VALUE...]",
	  "print one rendered template",
	  "  --set KEY=VALUE   override a template variable (repeatable)\n"
	  "Templates: launch canary pane-died tmux-hook pipe-pane crontab "
	  "launchd.plist\n"
	  "forensics-linux forensics-darwin.\n",
	  o_render, 1, 2, H_NONE, cmd_render, 0 },
	{ "attach", "<id>", "attach the terminal to the identity's session",
	  "Runs tmux -S <sock> attach -t <id>.\n",
	  o_none, 1, 1, H_READ, cmd_attach, 1 },
	{ "log", "[<id>] [-n N]",
	  "the newest lifecycle and exit events",
	  "  -n N, --lines N   how many (default 20)\n",
	  o_log, 0, 1, H_READ, cmd_log, 1 },
	{ "canary", "<id>",
	  "make sure the identity's canary runs",
	  "Prints spawned, already, skipped (not running) or failed.\n",
	  o_none, 1, 1, H_READ, cmd_canary, 1 },
	{ "help", "[<command>]", "show help for roost or one command", "",
	  o_none, 0, 1, H_NONE, cmd_help, 0 },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const struct cmd *current;

void
out(const char *fmt, ...)
{
	va_list ap;

	if (R.quiet)
		return;
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
}

int
fail(void)
{
	errline(errmsg());
	return errcode();
}

/* A usage error: one line, like every error (contract section 5); the
 * usage itself is one `roost <command> --help` away. */
int
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errline(msg);
	return RX_USAGE;
}

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void
help_all(FILE *f)
{
	size_t i;

	(void)fprintf(f, "usage: roost [-H HOME] [-q] [-v] COMMAND [ARGS]\n"
	    "       roost help [COMMAND] | roost COMMAND --help | "
	    "roost --version\n\n"
	    "Keeps long-running programs alive in tmux, one server per "
	    "identity, and\nrecords why each one died.\n\n"
	    "Commands:\n");
	for (i = 0; i < NCMDS; i++)
		(void)fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	(void)fprintf(f, "\nGlobal options:\n"
	    "  -H HOME   the home (default: $ROOST_HOME, else $HOME/.roost)\n"
	    "  -q        quiet: no success output\n"
	    "  -v        verbose\n\n"
	    "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 refused "
	    "by state\n(or not running, for status), 4 unknown identity.\n"
	    "See roost(1).\n");
}

static void
help_cmd(const struct cmd *c)
{
	(void)printf("usage: roost %s %s\n\n%s.\n", c->name, c->usage,
	    c->summary);
	if (c->help[0] != '\0')
		(void)printf("\n%s", c->help);
}

static int
cmd_help(const struct args *a)
{
	const struct cmd *c;

	if (a->n == 0) {
		help_all(stdout);
		return RX_OK;
	}
	if ((c = cmd_find(a->v[0])) == NULL)
		return usage_error("unknown command: %s", a->v[0]);
	help_cmd(c);
	return RX_OK;
}

static const struct opt *
opt_find(const struct opt *o, const char *name, size_t len, char shortc)
{
	for (; o->name != NULL; o++)
		if (shortc != 0 ? o->shortc == shortc :
		    strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/*
 * Options may come before or after positional words; "--" ends them.
 * render's repeatable --set is collected into a->sets.
 */
static int
opts_parse(const struct cmd *c, int argc, char **argv, struct args *a)
{
	int i;

	a->v = xmalloc(sizeof *a->v * ((size_t)argc + 1));
	a->sets = xmalloc(sizeof *a->sets * ((size_t)argc + 1));
	a->n = a->nsets = 0;
	a->dd = -1;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq;
		const struct opt *o;

		if (a->dd >= 0 || arg[0] != '-' || arg[1] == '\0') {
			a->v[a->n++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			a->dd = a->n;
			continue;
		}
		if (strcmp(c->name, "render") == 0 &&
		    strncmp(arg, "--set", 5) == 0 &&
		    (arg[5] == '\0' || arg[5] == '=')) {
			if (arg[5] == '=')
				a->sets[a->nsets++] = argv[i] + 6;
			else if (i + 1 < argc)
				a->sets[a->nsets++] = argv[++i];
			else
				return usage_error("--set needs KEY=VALUE");
			continue;
		}
		if (arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			o = opt_find(c->opts, arg + 2, eq != NULL ?
			    (size_t)(eq - arg - 2) : strlen(arg + 2), 0);
		} else {
			eq = NULL;
			o = arg[2] == '\0' ? opt_find(c->opts, "", 0, arg[1]) :
			    NULL;
		}
		if (o == NULL)
			return usage_error("unknown option: %s", arg);
		if (!o->takes_arg) {
			if (eq != NULL)
				return usage_error("option --%s takes no value",
				    o->name);
			*o->val = "1";
		} else if (eq != NULL)
			*o->val = eq + 1;
		else if (i + 1 < argc)
			*o->val = argv[++i];
		else
			return usage_error("option %s needs a value", arg);
	}
	a->v[a->n] = NULL;
	if (a->n < c->minpos)
		return usage_error("missing argument");
	if (c->maxpos >= 0 && a->n > c->maxpos)
		return usage_error("unexpected argument: %s", a->v[c->maxpos]);
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

/* A bad identity is refused before anything, even the home, is made. */
static int
ids_check(const struct cmd *c, const struct args *a)
{
	int i, n = c->ids == 2 ? a->n : c->ids;

	for (i = 0; i < a->n && i < n && (a->dd < 0 || i < a->dd); i++)
		if (ident_check(a->v[i]) == -1)
			return -1;
	return 0;
}

static int
finish(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (R.cmd != NULL)
			(void)fprintf(stderr, "roost: %s: stdout: %s\n", R.cmd,
			    strerror(errno));
		else
			(void)fprintf(stderr, "roost: stdout: %s\n",
			    strerror(errno));
		return rc == RX_OK ? RX_FAIL : rc;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static char self[PATHBUF];
	const char *opt_home = NULL;
	struct args a;
	int i, rc;

	if (exe_path(argv[0], self, sizeof self) == 0)
		R.self = self;
	(void)unsetenv("TMUX");	/* never talk to an enclosing tmux */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-H") == 0 && i + 1 < argc)
			opt_home = argv[++i];
		else if (strncmp(argv[i], "-H", 2) == 0 && argv[i][2] != '\0')
			opt_home = argv[i] + 2;
		else if (strcmp(argv[i], "-q") == 0)
			R.quiet = 1;
		else if (strcmp(argv[i], "-v") == 0)
			R.verbose = 1;
		else if (strcmp(argv[i], "--version") == 0) {
			(void)printf("roost %s\n", ROOST_VERSION);
			return finish(RX_OK);
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			help_all(stdout);
			return finish(RX_OK);
		} else
			return usage_error("unknown option: %s", argv[i]);
	}
	if (i == argc) {
		help_all(stderr);
		return RX_USAGE;
	}
	if ((current = cmd_find(argv[i])) == NULL)
		return usage_error("unknown command: %s", argv[i]);
	R.cmd = current->name;
	if (has_help(argc - i - 1, argv + i + 1)) {
		help_cmd(current);
		return finish(RX_OK);
	}
	/* a.v and a.sets are freed on every path (leak-checked builds). */
	if ((rc = opts_parse(current, argc - i - 1, argv + i + 1, &a)) != 0)
		;
	else if (ids_check(current, &a) == -1)	/* before the home is made */
		rc = fail();
	else if (home_resolve(opt_home) == -1 ||
	    (current->home != H_NONE &&
	    home_open(current->home == H_CREATE) == -1))
		rc = fail();
	else
		rc = finish(current->fn(&a));
	free(a.v);
	free(a.sets);
	return rc;
}
