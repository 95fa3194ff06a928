/*
 * cli.c - what the command layer shares: option parsing from each
 * command's own table, success output, error lines, help.  This is the
 * only place roost writes to stderr: errors and the warnings lower layers
 * queued, each as one line "roost: <command>: <message>".
 */
#include "roost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cmd_entry *current;
static int quiet, verbose;
static char tmux_env[PATHBUF];	/* $TMUX as roost found it */
static const char *opt_home;	/* -H, before or after the command */

void
cli_begin(const struct cmd_entry *c)
{
	current = c;
}

void
cli_set_tmux(const char *e)
{
	(void)snprintf(tmux_env, sizeof tmux_env, "%s", e != NULL ? e : "");
}

/*
 * This process runs inside the tmux session of id (NULL: of any identity
 * of this home): an agent that restarts or stops itself.  tmux's $TMUX
 * names the socket; the launch script's ROOST_HOME and ROOST_ID say it
 * too.
 */
int
cli_inside(const char *id)
{
	const char *rh = getenv("ROOST_HOME"), *ri = getenv("ROOST_ID");
	char sock[PATHBUF];
	size_t n = strcspn(tmux_env, ",");

	if (rh != NULL && ri != NULL && strcmp(rh, home_dir()) == 0 &&
	    (id == NULL || strcmp(ri, id) == 0))
		return 1;
	if (n == 0)
		return 0;
	if (id == NULL)
		return strlen(home_sockdir()) < n &&
		    strncmp(tmux_env, home_sockdir(), strlen(home_sockdir())) ==
		    0 && tmux_env[strlen(home_sockdir())] == '/' &&
		    memchr(tmux_env + strlen(home_sockdir()) + 1, '/',
		    n - strlen(home_sockdir()) - 1) == NULL;
	return home_sock(id, sock, sizeof sock) == 0 && strlen(sock) == n &&
	    strncmp(tmux_env, sock, n) == 0;
}

/*
 * A teardown for a command: the same as teardown(), and on a terminal,
 * once it has waited a second, it says what it waits for.
 */
int
cli_teardown(struct idctx *x, const char *reason)
{
	struct stop *st = teardown_begin(x, reason);
	const char *id = x->id;
	int shown = 0;

	if (st == NULL)
		return -1;
	while (!teardown_poll(st)) {
		long ms = teardown_waited(st);

		if (ms >= 1000 && isatty(STDERR_FILENO) && !quiet) {
			(void)fprintf(stderr, "\rroost: %s: %s: waiting for the "
			    "program to end (%lds)", cli_cmd(), id, ms / 1000);
			shown = 1;
		}
		now_sleep_ms(shown ? 100 : 20);
	}
	if (shown)
		(void)fputc('\n', stderr);
	marker_ctx_forget(x);
	return teardown_finish(st);
}

/* A teardown from inside the session it ends survives it. */
void
cli_detach_if_inside(const char *id)
{
	if (cli_inside(id))
		spawn_detach();
}

const char *
cli_cmd(void)
{
	return current != NULL ? current->name : NULL;
}

int
cli_verbose(void)
{
	return verbose;
}

const char *
cli_home(void)
{
	return opt_home;
}

/*
 * A global option (-q, -v, -H DIR, -HDIR) at argv[*i]: 1 when it was
 * one (*i advanced past its value), 0 when not, -1 when -H lacks its
 * value.  main() takes them before the command, cli_parse() after it.
 */
int
cli_global(int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "-q") == 0)
		quiet = 1;
	else if (strcmp(a, "-v") == 0)
		verbose = 1;
	else if (strcmp(a, "-H") == 0) {
		if (*i + 1 >= argc)
			return -1;
		opt_home = argv[++*i];
	} else if (strncmp(a, "-H", 2) == 0)
		opt_home = a + 2;
	else
		return 0;
	return 1;
}

void
cli_out(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
}

/*
 * "roost: <cmd>: <msg>" on stderr as exactly one line: control
 * characters a user put in an argument are shown escaped, so nobody can
 * forge a second "roost:" line.
 */
static void
cli_errline(const char *cmd, const char *msg)
{
	struct buf b = { 0 };
	const char *p;

	buf_adds(&b, "roost: ");
	if (cmd != NULL) {
		buf_adds(&b, cmd);
		buf_adds(&b, ": ");
	}
	for (p = msg; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	buf_addc(&b, '\n');
	(void)fwrite(b.s, 1, b.len, stderr);
	buf_free(&b);
}

/* Print and forget what lower layers queued with err_warn(). */
static void
cli_warnings(void)
{
	const char *w;
	size_t pos = 0;

	while ((w = err_warning(&pos)) != NULL)
		cli_errline(cli_cmd(), w);
	err_warnings_clear();
}

static void
vwarn(const char *fmt, va_list ap)
{
	char msg[1024];

	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	(void)fflush(stdout);	/* after what was printed so far, in order */
	cli_warnings();
	cli_errline(cli_cmd(), msg);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

/* The error slot as the command's error line; returns its exit code. */
int
cli_fail(void)
{
	cli_warnings();
	cli_errline(cli_cmd(), err_msg());
	return err_code();
}

/* A usage error: one line, like every error; the usage itself is one
 * `roost <command> --help` away. */
int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	return RX_USAGE;
}

static const struct opt *
opt_find(const struct opt *o, const char *name, size_t len, char shortc)
{
	for (; o != NULL && o->name != NULL; o++)
		if (shortc != 0 ? o->shortc == shortc :
		    strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static void
opt_store(const struct opt *o, const char *val)
{
	struct strv *l = o->list;

	if (o->kind != OPT_LIST) {
		*o->val = val;
		return;
	}
	l->v = xrealloc(l->v, sizeof *l->v * ((size_t)l->n + 1));
	l->v[l->n++] = (char *)val;
}

/*
 * Options may come before or after positional words; "--" ends them.
 * Each command's table says which it takes; the values land where the
 * table points (the command's own option struct).
 */
int
cli_parse(const struct cmd_entry *c, int argc, char **argv, struct args *a)
{
	int i, r;

	a->v = xmalloc(sizeof *a->v * ((size_t)argc + 1));
	a->n = 0;
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
		/* -q, -v and -H belong to roost, wherever they stand, unless
		 * the command itself takes that letter. */
		if (arg[1] != '-' && opt_find(c->opts, "", 0, arg[1]) == NULL &&
		    (r = cli_global(argc, argv, &i)) != 0) {
			if (r == -1)
				return cli_usage("option -H needs a directory");
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
			return cli_usage("unknown option: %s", arg);
		if (o->kind == OPT_FLAG) {
			if (eq != NULL)
				return cli_usage("option --%s takes no value",
				    o->name);
			opt_store(o, "1");
		} else if (o->kind == OPT_OPTARG)
			opt_store(o, eq != NULL ? eq + 1 : "");
		else if (eq != NULL)
			opt_store(o, eq + 1);
		else if (i + 1 < argc)
			opt_store(o, argv[++i]);
		else if (o->kind == OPT_LIST)
			return cli_usage("--%s needs %s", o->name,
			    o->argname != NULL ? o->argname : "a value");
		else
			return cli_usage("option %s needs a value", arg);
	}
	a->v[a->n] = NULL;
	if (a->n < c->minpos)
		return cli_usage("missing argument");
	if (c->maxpos >= 0 && a->n > c->maxpos)
		return cli_usage("unexpected argument: %s", a->v[c->maxpos]);
	return RX_OK;
}

void
cli_args_free(struct args *a, const struct cmd_entry *c)
{
	const struct opt *o;

	for (o = c->opts; o != NULL && o->name != NULL; o++)
		if (o->kind == OPT_LIST) {
			free(o->list->v);
			o->list->v = NULL;
			o->list->n = 0;
		}
	free(a->v);
	a->v = NULL;
}

/* Flush stdout: a full disk or a closed pipe is a failure too. */
int
cli_finish(int rc)
{
	cli_warnings();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		char msg[256];

		(void)snprintf(msg, sizeof msg, "stdout: %s", strerror(errno));
		cli_errline(cli_cmd(), msg);
		return rc == RX_OK ? RX_FAIL : rc;
	}
	return rc;
}

void
cli_help(const struct cmd_entry *c)
{
	(void)printf("usage: roost %s %s\n\n%s.  See roost(1).\n", c->name,
	    c->usage, c->summary);
	if (c->help[0] != '\0')
		(void)printf("\n%s", c->help);
}

/* The conf keys, one a line after a heading: `roost help conf`. */
void
cli_help_conf(const char *const *keys)
{
	(void)printf("Keys of conf/<id>.conf (roost(1), CONFIGURATION):\n");
	for (; *keys != NULL; keys++)
		(void)printf("  %s\n", *keys);
}

void
cli_help_all(const struct cmd_entry *const *cmds, size_t n, int to_err)
{
	FILE *f = to_err ? stderr : stdout;
	size_t i;

	(void)fprintf(f, "usage: roost [-H HOME] [-q] [-v] COMMAND [ARGS]\n"
	    "       roost help [COMMAND | conf] | roost COMMAND --help | "
	    "roost --version\n\n"
	    "Keeps long-running programs alive in tmux, one server per "
	    "identity, and\nrecords why each one died.\n\n"
	    "Commands:\n");
	for (i = 0; i < n; i++)
		(void)fprintf(f, "  %-10s %s\n", cmds[i]->name,
		    cmds[i]->summary);
	(void)fprintf(f, "\nGlobal options (before or after the command):\n"
	    "  -H HOME   the home (default: $ROOST_HOME, else $HOME/.roost)\n"
	    "  -q        quiet: no success output\n"
	    "  -v        verbose: tick prints its summary line\n\n"
	    "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 refused "
	    "by state\n(or not running, for status and attach), 4 unknown identity, "
	    "5 timed out\nwaiting (send --wait, start --wait).\n"
	    "See roost(1).\n");
}
