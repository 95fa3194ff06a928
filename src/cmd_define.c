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
	const char *cwd, *idle, *restart, *crashloop, *activity, *resume;
	const char *replace;
} ao;

static struct {
	const char *force;
} ro;

static const struct opt add_opts[] = {
	{ "cwd", 0, OPT_ARG, &ao.cwd, NULL, NULL },
	{ "idle", 0, OPT_ARG, &ao.idle, NULL, NULL },
	{ "restart", 0, OPT_ARG, &ao.restart, NULL, NULL },
	{ "crashloop", 0, OPT_ARG, &ao.crashloop, NULL, NULL },
	{ "activity", 0, OPT_ARG, &ao.activity, NULL, NULL },
	{ "resume", 0, OPT_ARG, &ao.resume, NULL, NULL },
	{ "replace", 0, OPT_FLAG, &ao.replace, NULL, NULL },
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

static int
add_conf_from_opts(struct conf *c)
{
	struct stat st;

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
			return err_set(RX_USAGE, "--cwd %s: %s", ao.cwd,
			    strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return err_set(RX_USAGE, "--cwd %s: not a directory",
			    ao.cwd);
	}
	if (ao.activity != NULL && abs_path("activity", ao.activity,
	    &c->activity) == -1)
		return -1;
	if (ao.resume != NULL) {
		if (*ao.resume == '\0')
			return err_set(RX_USAGE, "--resume: empty command");
		c->resume = xstrdup(ao.resume);
	}
	return 0;
}

/* conf/<id>.conf and the identity's rendered scripts; each is tried. */
static int
definition_remove(const char *id)
{
	static const char *const files[] = {
		"conf/%s.conf", "bin/%s.launch", "bin/%s.canary", NULL
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
	struct buf cmd = { 0 };
	struct vars v = { 0 };
	struct buf b = { 0 };
	int i, existed = 0, lk = -1, rc = -1;

	conf_defaults(&c);
	if (ident_check(id) == -1)
		return cli_fail();
	if (a->dd > 1)
		return cli_usage("unexpected argument before --: %s",
		    a->v[1]);
	for (i = 1; i < a->n; i++) {
		if (i > 1)
			buf_addc(&cmd, ' ');
		buf_adds(&cmd, a->v[i]);
	}
	if (cmd.len == 0 || strspn(cmd.s, " \t\n") == cmd.len) {
		buf_free(&cmd);
		return cli_usage("missing command after --");
	}
	c.command = cmd.s;
	if (add_conf_from_opts(&c) == -1)
		goto out;
	/* Render everything first: a template error leaves nothing behind. */
	if (render_std(&v, id, &c) == -1 || render("launch", &v, &b) == -1 ||
	    render("canary", &v, &b) == -1)
		goto out;
	if (ident_clash(id) == -1 || (lk = marker_lock(id, 1)) < 0)
		goto out;
	existed = conf_exists(id);
	if (existed && ao.replace == NULL) {
		(void)err_set(RX_USAGE, "%s: already defined (use --replace to "
		    "overwrite it)", id);
		goto out;
	}
	if (conf_write(id, &c) == -1 || render_id_scripts(id, &c, 0) == -1) {
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
	char p[PATHBUF];
	struct stat st;
	int lk, rc = -1, known;

	if (ident_check(id) == -1)
		return cli_fail();
	home_path(p, "bin/%s.launch", id);
	known = conf_exists(id) || lstat(p, &st) == 0 ||
	    marker_has(id, M_SESSION) != 0 || marker_has(id, M_DEATHS) != 0;
	if (!known)
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	if ((lk = marker_lock(id, 1)) < 0)
		return cli_fail();
	if (state_running(id)) {
		if (ro.force == NULL) {
			(void)err_set(RX_REFUSED, "%s: running (stop it first, or "
			    "use --force)", id);
			goto out;
		}
		if (teardown(id, "rm") == -1)
			goto out;
	} else {
		pid_t cp;

		/* A canary left over from a death: end it, it can record
		 * nothing useful for an identity that is going away. */
		if (canary_pid(id, &cp) == 0 && cp > 0)
			(void)teardown(id, "rm");
	}
	if (definition_remove(id) == -1 || marker_purge(id, &names) == -1)
		goto out;
	log_event("purge", id, "removed", buf_str(&names), LEND);
	cli_out("removed %s\n", id);
	cli_out("purged: %s\n", names.len > 0 ? names.s : "(no markers)");
	home_path(p, "log/%s.log", id);
	if (lstat(p, &st) == 0)
		cli_out("kept: %s\n", p);
	rc = 0;
out:
	file_unlock(lk);
	buf_free(&names);
	return rc == 0 ? RX_OK : cli_fail();
}


const struct cmd_entry cmd_add_entry = {
	"add", "<id> [--cwd DIR] [--idle SECS] [--restart POLICY] "
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
	add_opts, 2, -1, H_CREATE, 1, cmd_add
};

const struct cmd_entry cmd_rm_entry = {
	"rm", "<id> [--force]",
	"remove an identity: conf, scripts and markers (keeps its log)",
	"  --force, -f   tear a running session down first\n",
	rm_opts, 1, 1, H_READ, 1, cmd_rm
};
