/* cmd_define.c - add and rm: defining an identity (its conf and rendered
 * scripts) and removing it with exactly its markers. */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *cwd, *idle, *restart, *crashloop, *activity;
	const char *replace, *restart_delay, *stop_keys, *stop_signal;
	const char *stop_timeout, *env_file;
	const char *memory_max, *memory_high;
	struct strv resume, env;
	const char *v3[7];	/* section 13's keys, as in keys3[] */
} ao;

/* The options of the v3 keys: --resume-after for resume_after, ... */
static const char *const keys3[] = {
	"resume_after", "resume_grace", "waiting_pattern", "ready_pattern",
	"ready_quiet", "busy_quiet", "busy_max"
};

static struct {
	const char *force;
} ro;

static const struct opt add_opts[] = {
	{ "cwd", 0, OPT_ARG, &ao.cwd, NULL, NULL },
	{ "idle", 0, OPT_ARG, &ao.idle, NULL, NULL },
	{ "restart", 0, OPT_ARG, &ao.restart, NULL, NULL },
	{ "crashloop", 0, OPT_ARG, &ao.crashloop, NULL, NULL },
	{ "activity", 0, OPT_ARG, &ao.activity, NULL, NULL },
	{ "resume", 0, OPT_LIST, NULL, &ao.resume, "a command" },
	{ "replace", 0, OPT_FLAG, &ao.replace, NULL, NULL },
	{ "restart-delay", 0, OPT_ARG, &ao.restart_delay, NULL, NULL },
	{ "stop-keys", 0, OPT_ARG, &ao.stop_keys, NULL, NULL },
	{ "stop-signal", 0, OPT_ARG, &ao.stop_signal, NULL, NULL },
	{ "stop-timeout", 0, OPT_ARG, &ao.stop_timeout, NULL, NULL },
	{ "env", 0, OPT_LIST, NULL, &ao.env, "K=V" },
	{ "env-file", 0, OPT_ARG, &ao.env_file, NULL, NULL },
	{ "memory-max", 0, OPT_ARG, &ao.memory_max, NULL, NULL },
	{ "memory-high", 0, OPT_ARG, &ao.memory_high, NULL, NULL },
	{ "resume-after", 0, OPT_ARG, &ao.v3[0], NULL, NULL },
	{ "resume-grace", 0, OPT_ARG, &ao.v3[1], NULL, NULL },
	{ "waiting-pattern", 0, OPT_ARG, &ao.v3[2], NULL, NULL },
	{ "ready-pattern", 0, OPT_ARG, &ao.v3[3], NULL, NULL },
	{ "ready-quiet", 0, OPT_ARG, &ao.v3[4], NULL, NULL },
	{ "busy-quiet", 0, OPT_ARG, &ao.v3[5], NULL, NULL },
	{ "busy-max", 0, OPT_ARG, &ao.v3[6], NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static const struct opt rm_opts[] = {
	{ "force", 'f', OPT_FLAG, &ro.force, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* An absolute form of a user-given path (not resolved: may not exist). */
static int
abs_path(const char *opt, const char *in, char **outp)
{
	char cwd[PATHBUF];
	struct buf b = { 0 };

	if (*in == '\0')
		return err_set(RX_USAGE, "--%s: empty path", opt);
	if (in[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return err_errno("getcwd");
		buf_adds(&b, cwd);
		buf_addc(&b, '/');
	}
	buf_adds(&b, in);
	*outp = b.s;
	return 0;
}

/*
 * The argv rule (tmux new-session's): one word is a sh command line, kept
 * as it is; several words are kept exactly, each sh-quoted, so the
 * program gets them as its arguments.
 */
static char *
argv_command(int n, char *const v[])
{
	struct buf b = { 0 };
	int i;

	if (n == 1)
		return xstrdup(v[0]);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		(void)esc_sh(&b, v[i]);
	}
	return b.s;
}

/* The scope's memory limits (section 15): sizes, and only where they
 * can be enforced. */
static int
opts_memory(struct conf *c)
{
	if (ao.memory_max != NULL && conf_bytes_parse(ao.memory_max,
	    &c->memory_max) == -1)
		return err_set(RX_USAGE, "--memory-max %s: not a size (bytes, or "
		    "with a K, M or G suffix)", ao.memory_max);
	if (ao.memory_high != NULL && conf_bytes_parse(ao.memory_high,
	    &c->memory_high) == -1)
		return err_set(RX_USAGE, "--memory-high %s: not a size (bytes, "
		    "or with a K, M or G suffix)", ao.memory_high);
	if ((c->memory_max > 0 || c->memory_high > 0) &&
	    scope_memory_enforced() == -1)
		return err_set(RX_USAGE, "%s: %s",
		    c->memory_max > 0 ? "memory_max" : "memory_high", err_msg());
	return 0;
}

/* A missing --cwd, and the command that makes it, quoted for sh. */
static int
cwd_missing(const char *given, const char *abs)
{
	struct buf q = { 0 };

	esc_sh(&q, abs);
	(void)err_set(RX_USAGE, "--cwd %s: no such directory: create it "
	    "first (mkdir -p %s) or give one that exists", given, buf_str(&q));
	buf_free(&q);
	return -1;
}

static int
add_conf_v3(struct conf *c)
{
	char opt[24];
	size_t i, j;

	for (i = 0; i < sizeof keys3 / sizeof keys3[0]; i++) {
		if (ao.v3[i] == NULL || conf_set_key(c, keys3[i], ao.v3[i]) == 0)
			continue;
		for (j = 0; keys3[i][j] != '\0' && j < sizeof opt - 1; j++)
			opt[j] = keys3[i][j] == '_' ? '-' : keys3[i][j];
		opt[j] = '\0';
		return err_set(RX_USAGE, "--%s: %s", opt, err_msg());
	}
	return 0;
}

static int
add_conf_from_opts(struct conf *c)
{
	struct stat st;
	char cwd[PATHBUF];

	if (ao.idle != NULL && num_ulong(ao.idle, 10UL * 365 * 86400,
	    &c->idle) == -1)
		return err_set(RX_USAGE, "--idle %s: not a number of seconds "
		    "(0 = never)", ao.idle);
	if (ao.restart != NULL && conf_restart_parse(ao.restart, &c->restart) == -1)
		return err_set(RX_USAGE, "--restart %s: must be always, "
		    "on-failure or never", ao.restart);
	if (ao.crashloop != NULL && conf_crashloop_parse(ao.crashloop, &c->cl_deaths,
	    &c->cl_window) == -1)
		return err_set(RX_USAGE, "--crashloop %s: must be N/SECS with N "
		    "from 1 to 16 and SECS at least 1, e.g. 3/300", ao.crashloop);
	if (ao.cwd != NULL) {
		if (abs_path("cwd", ao.cwd, &c->cwd) == -1)
			return -1;
		if (stat(c->cwd, &st) == -1)
			return errno == ENOENT ? cwd_missing(ao.cwd, c->cwd) :
			    err_set(RX_USAGE, "--cwd %s: %s", ao.cwd,
			    strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return err_set(RX_USAGE, "--cwd %s: not a directory",
			    ao.cwd);
	} else {
		/* The directory add ran in, so every launcher starts there. */
		if (getcwd(cwd, sizeof cwd) == NULL)
			return err_errno("getcwd");
		c->cwd = xstrdup(cwd);
	}
	if (ao.activity != NULL && abs_path("activity", ao.activity,
	    &c->activity) == -1)
		return -1;
	if (ao.resume.n == 1 && *ao.resume.v[0] == '\0')
		return err_set(RX_USAGE, "--resume: empty command");
	if (ao.resume.n > 0)
		c->resume = argv_command(ao.resume.n, ao.resume.v);
	if (ao.restart_delay != NULL && (num_ulong(ao.restart_delay, 3600,
	    &c->restart_delay) == -1))
		return err_set(RX_USAGE, "--restart-delay %s: not a number of "
		    "seconds (0 to 3600)", ao.restart_delay);
	if (ao.stop_keys != NULL) {
		struct buf b = { 0 };

		if (esc_line(&b, ao.stop_keys) == -1) {
			buf_free(&b);
			return err_set(RX_USAGE, "--stop-keys: %s", err_msg());
		}
		buf_free(&b);
		c->stop_keys = *ao.stop_keys != '\0' ? xstrdup(ao.stop_keys) :
		    NULL;
	}
	if (ao.stop_signal != NULL && conf_stop_signal_parse(ao.stop_signal,
	    &c->stop_signal) == -1)
		return err_set(RX_USAGE, "--stop-signal %s: must be HUP, INT, "
		    "QUIT, TERM, USR1, USR2 or none", ao.stop_signal);
	if (ao.stop_timeout != NULL && conf_seconds_parse(ao.stop_timeout,
	    &c->stop_timeout) == -1)
		return err_set(RX_USAGE, "--stop-timeout %s: not a number of "
		    "seconds (1 to 3600)", ao.stop_timeout);
	if (opts_memory(c) == -1)
		return -1;
	return add_conf_v3(c);
}

/* A variable name the shell can export. */
static int
env_name_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

/* The launch script's own names (templates/launch.in makes them
 * readonly before it reads the env file). */
static int
env_name_reserved(const char *k, size_t n)
{
	static const char *const names[] = { "ROOST_HOME", "ROOST_ID",
	    "TMUX_BIN", "CONF", "ENV_FILE", "WATCH", "FATAL_SIGNALS", "run",
	    "dir" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && strncmp(k, names[i], n) == 0)
			return 1;
	return 0;
}

/* One K=V into the env file's text (a later K replaces an earlier one
 * when the file is sourced). */
static int
env_put(struct buf *b, const char *kv, const char *from)
{
	const char *eq = strchr(kv, '=');

	/* Named by its name only: the value may be a secret. */
	if (eq == NULL)
		return err_set(RX_USAGE, "%s: expected NAME=VALUE", from);
	if (!env_name_ok(kv, (size_t)(eq - kv)))
		return err_set(RX_USAGE, "%s %.*s: expected NAME=VALUE with a "
		    "shell variable name", from, (int)(eq - kv < 64 ? eq - kv :
		    64), kv);
	if (env_name_reserved(kv, (size_t)(eq - kv)))
		return err_set(RX_USAGE, "%s %.*s: a name the launch script "
		    "keeps for itself", from, (int)(eq - kv), kv);
	buf_addf(b, "export %.*s=", (int)(eq - kv), kv);
	(void)esc_sh(b, eq + 1);
	buf_addc(b, '\n');
	return 0;
}

/* --env-file F: NAME=VALUE lines (an "export " before is allowed), the
 * value verbatim to the end of the line; blank and # lines skipped. */
static int
env_file_read(const char *path, struct buf *out)
{
	struct buf text = { 0 };
	char *line, *save = NULL;
	int rc;

	if ((rc = file_read(path, &text, 1024 * 1024)) != 0) {
		buf_free(&text);
		return rc == 1 ? err_set(RX_USAGE, "--env-file %s: no such "
		    "file", path) : err_set(RX_USAGE, "--env-file %s",
		    err_msg());
	}
	rc = 0;
	for (line = strtok_r(text.s, "\n", &save); rc == 0 && line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char from[PATHBUF + 48];
		const char *q;
		int n = 1;

		/* Its line number: the newlines before it, some of them
		 * made NULs by strtok_r. */
		for (q = text.s; q < line; q++)
			n += *q == '\n' || *q == '\0';
		(void)snprintf(from, sizeof from, "--env-file %s: line %d",
		    path, n);
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		rc = env_put(out, line, from);
	}
	buf_free(&text);
	return rc;
}

/* conf/<id>.env from --env-file, then each --env (so --env wins): the
 * text in *out, "" when neither was given. */
static int
env_text(struct buf *out)
{
	int i;

	if (ao.env_file == NULL && ao.env.n == 0)
		return 0;
	buf_adds(out, "# roost environment of this identity: export lines, "
	    "sourced by its launch script\n");
	if (ao.env_file != NULL && env_file_read(ao.env_file, out) == -1)
		return -1;
	for (i = 0; i < ao.env.n; i++)
		if (env_put(out, ao.env.v[i], "--env") == -1)
			return -1;
	return 0;
}

/* conf/<id>.conf, conf/<id>.env and the identity's rendered scripts;
 * each is tried. */
static int
definition_remove(const char *id)
{
	static const char *const files[] = {
		"conf/%s.conf", "conf/%s.env", "bin/%s.launch", "bin/%s.canary",
		NULL
	};
	char p[PATHBUF];
	int i, rc = 0;

	for (i = 0; files[i] != NULL; i++) {
		home_path(p, files[i], id);
		if (file_remove(p) == -1)
			rc = -1;
	}
	return rc;
}

static int
cmd_add(const struct args *a)
{
	const char *id = a->v[0];
	struct conf c;
	struct vars v = { 0 };
	struct buf b = { 0 }, envt = { 0 };
	char envp[PATHBUF];
	int existed = 0, lk = -1, rc = -1;

	conf_defaults(&c);
	if (ident_check(id) == -1)
		return cli_fail();
	if (a->dd > 1)
		return cli_usage("unexpected argument before --: %s",
		    a->v[1]);
	if (a->n < 2)
		return cli_usage("missing the command after --: roost add %s "
		    "[OPTIONS] -- CMD [ARG...]", id);
	c.command = argv_command(a->n - 1, a->v + 1);
	if (strspn(c.command, " \t\n") == strlen(c.command)) {
		conf_free(&c);
		return cli_usage("missing command after --");
	}
	if (add_conf_from_opts(&c) == -1 || conf_fits(id, &c) == -1 ||
	    env_text(&envt) == -1)
		goto out;
	/* Only now, with the input valid: a usage error writes nothing. */
	if (home_open(1) == -1)
		goto out;
	/* Render everything first: a template error leaves nothing behind. */
	if (render_std(&v, id, &c) == -1 || render("launch", &v, &b) == -1 ||
	    render("canary", &v, &b) == -1)
		goto out;
	if (ident_clash(id) == -1 || (lk = home_lock(id, 1)) < 0)
		goto out;
	existed = conf_exists(id);
	if (existed && ao.replace == NULL) {
		(void)err_set(RX_USAGE, "%s: already defined (use --replace to "
		    "overwrite it)", id);
		goto out;
	}
	home_path(envp, "conf/%s.env", id);
	if (conf_write(id, &c) == -1 || (envt.len > 0 &&
	    file_write(envp, envt.s, envt.len, 0600) == -1) ||
	    render_id_scripts(id, &c, RS_LAUNCH | RS_CANARY | RS_HOOK) == -1) {
		struct buf why = { 0 };

		buf_adds(&why, err_msg());
		if (!existed)
			(void)definition_remove(id);
		(void)err_set(RX_FAIL, "%s", why.s);
		buf_free(&why);
		goto out;
	}
	log_event(existed ? "replace" : "add", id, "command", c.command, LEND);
	cli_out("added %s\n", id);
	rc = 0;
out:
	file_unlock(lk);
	buf_free(&b);
	buf_free(&envt);
	render_free(&v);
	conf_free(&c);
	return rc == 0 ? RX_OK : cli_fail();
}

/* rm: conf, rendered scripts and exactly state/<id>.*; the pane log stays. */
static int
cmd_rm(const struct args *a)
{
	const char *id = a->v[0];
	struct buf names = { 0 };
	char p[PATHBUF], nm[24], **msgs = NULL;
	size_t nmsgs = 0;
	struct idctx x;
	struct stat st;
	int lk, rc = -1, known;

	if (ident_check(id) == -1)
		return cli_fail();
	home_path(p, "bin/%s.launch", id);
	known = state_known(id) || lstat(p, &st) == 0 ||
	    marker_has(id, M_DEATHS) != 0;
	if (!known)
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	if (ro.force != NULL)
		cli_detach_if_inside(id);
	if ((lk = home_lock(id, 1)) < 0)
		return cli_fail();
	home_ctx(id, &x);
	if (state_ctx_running(&x)) {
		if (ro.force == NULL) {
			(void)err_set(RX_REFUSED, "%s: running (stop it first, or "
			    "use --force)", id);
			goto out;
		}
		if (cli_teardown(&x, "rm") == -1)
			goto out;
	} else {
		pid_t cp;

		/* A canary left over from a death: end it, it can record
		 * nothing useful for an identity that is going away. */
		if (canary_pid(id, &cp) == 0 && cp > 0)
			(void)teardown(&x, "rm");
	}
	msgs = queue_items(id, &nmsgs);	/* what rm deletes, it says */
	if (definition_remove(id) == -1 || marker_purge(id, &names) == -1)
		goto out;
	(void)snprintf(nm, sizeof nm, "%zu", nmsgs);
	log_event("purge", id, "removed", buf_str(&names), "messages", nm, LEND);
	cli_out("removed %s\n", id);
	cli_out("purged: %s\n", names.len > 0 ? names.s : "(no markers)");
	if (nmsgs > 0) {
		size_t i;

		cli_out("deleted: %zu queued message%s:", nmsgs,
		    nmsgs == 1 ? "" : "s");
		for (i = 0; i < nmsgs; i++)
			cli_out(" %s", msgs[i]);
		cli_out("\n");
	}
	if (lstat(x.pane_log, &st) == 0)
		cli_out("kept: %s\n", x.pane_log);
	rc = 0;
out:
	file_unlock(lk);
	buf_free(&names);
	file_names_free(msgs, nmsgs);
	return rc == 0 ? RX_OK : cli_fail();
}


const struct cmd_entry cmd_add_entry = {
	.name = "add",
	.usage = "<id> [--cwd DIR] [--idle SECS] [--restart POLICY] "
	    "[--restart-delay SECS] [--crashloop N/SECS] [--activity PATH] "
	    "[--resume CMD]... [--env K=V]... [--env-file F] [--stop-keys KEYS] "
	    "[--stop-signal SIG] [--stop-timeout SECS] [--resume-after park|any] "
	    "[--resume-grace SECS] [--waiting-pattern ERE] [--ready-pattern ERE] "
	    "[--ready-quiet SECS] [--busy-quiet SECS] [--busy-max SECS] "
	    "[--memory-max SIZE] [--memory-high SIZE] "
	    "[--replace] -- CMD [ARG...]",
	.summary = "define an identity (does not launch it)",
	.help = "  --cwd DIR            working directory (default: the current one)\n"
	    "  --idle SECS          park after SECS without activity; 0 = never "
	    "(default 3600)\n"
	    "  --restart POLICY     always, on-failure (default) or never\n"
	    "  --restart-delay SECS before the first restart, 0-3600 (default 1); "
	    "doubles per\n"
	    "                       death in the crash-loop window, up to the tick "
	    "interval\n"
	    "  --crashloop N/SECS   stop restarting after N deaths in SECS, N at "
	    "most 16\n"
	    "                       (default 3/300)\n"
	    "  --activity PATH      file or directory whose newest mtime is "
	    "activity\n"
	    "                       (default: log/<id>.log, the pane's output)\n"
	    "  --resume CMD         run when resuming a parked session; given "
	    "more than\n"
	    "                       once, the words are its argv\n"
	    "  --env K=V            a variable of the program (repeatable), in "
	    "conf/<id>.env\n"
	    "  --env-file F         K=V lines from F (--env wins over it)\n"
	    "  --memory-max SIZE    MemoryMax= of the identity's systemd scope "
	    "(bytes, or\n"
	    "                       with K, M or G); refused where no user "
	    "manager answers\n"
	    "  --memory-high SIZE   MemoryHigh= of the scope (the same)\n"
	    "  --stop-keys KEYS     tmux send-keys words typed to end it, e.g. "
	    "\"C-c\" or\n"
	    "                       \"'/exit' Enter\" (default: none)\n"
	    "  --stop-signal SIG    then this signal: HUP INT QUIT TERM (default) "
	    "USR1 USR2\n"
	    "                       or none\n"
	    "  --stop-timeout SECS  then wait this long before SIGKILL, 1-3600 "
	    "(default 10)\n"
	    "  --resume-after W     park (default) or any: resume after a death "
	    "too\n"
	    "  --resume-grace SECS  a resumed launch dying sooner makes the next "
	    "fresh (30)\n"
	    "  --waiting-pattern ERE  a screen line matching it: waiting for a "
	    "person\n"
	    "  --ready-pattern ERE  a screen line matching it: at its input prompt\n"
	    "  --ready-quiet SECS   this long without output since launch: ready "
	    "(default 2)\n"
	    "  --busy-quiet SECS    output this recent: busy; 0 = never "
	    "(default 3)\n"
	    "  --busy-max SECS      a .busy older than this is stale (default "
	    "21600)\n"
	    "  --replace            overwrite an existing definition (the env file "
	    "is kept\n"
	    "                       unless --env or --env-file is given)\n"
	    "One word after -- is a sh command line; several words are the "
	    "program and its\narguments, each kept exactly as given.\n",
	.opts = add_opts,
	.minpos = 1,
	.maxpos = -1,
	.home = H_NONE,
	.ids = 1,
	.exec = cmd_add
};

const struct cmd_entry cmd_rm_entry = {
	.name = "rm",
	.usage = "<id> [--force]",
	.summary = "remove an identity: conf, scripts and markers (keeps its log)",
	.help = "  --force, -f   tear a running session down first\n",
	.opts = rm_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_rm
};
