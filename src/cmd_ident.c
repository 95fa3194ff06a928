/* cmd_ident.c - defining identities: add, rm, and render. */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An absolute form of a user-given path (not resolved: may not exist). */
static int
abs_path(const char *opt, const char *in, char **outp)
{
	char cwd[PATHBUF];
	struct buf b = { 0 };

	if (*in == '\0')
		return rerr(RX_USAGE, "--%s: empty path", opt);
	if (in[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return rerr_errno("getcwd");
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

	if (O.idle != NULL && parse_ulong(O.idle, 10UL * 365 * 86400,
	    &c->idle) == -1)
		return rerr(RX_USAGE, "--idle %s: not a number of seconds "
		    "(0 = never)", O.idle);
	if (O.restart != NULL && restart_parse(O.restart, &c->restart) == -1)
		return rerr(RX_USAGE, "--restart %s: must be always, "
		    "on-failure or never", O.restart);
	if (O.crashloop != NULL && crashloop_parse(O.crashloop, &c->cl_deaths,
	    &c->cl_window) == -1)
		return rerr(RX_USAGE, "--crashloop %s: must be N/SECS with N "
		    "from 1 to 16 and SECS at least 1, e.g. 3/300", O.crashloop);
	if (O.cwd != NULL) {
		if (abs_path("cwd", O.cwd, &c->cwd) == -1)
			return -1;
		if (stat(c->cwd, &st) == -1)
			return rerr(RX_USAGE, "--cwd %s: %s", O.cwd,
			    strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return rerr(RX_USAGE, "--cwd %s: not a directory",
			    O.cwd);
	}
	if (O.activity != NULL && abs_path("activity", O.activity,
	    &c->activity) == -1)
		return -1;
	if (O.resume != NULL) {
		if (*O.resume == '\0')
			return rerr(RX_USAGE, "--resume: empty command");
		c->resume = xstrdup(O.resume);
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
		hpath(p, files[i], id);
		if (remove_file(p) == -1)
			rc = -1;
	}
	return rc;
}

int
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
		return fail();
	if (a->dd > 1)
		return usage_error("unexpected argument before --: %s",
		    a->v[1]);
	for (i = 1; i < a->n; i++) {
		if (i > 1)
			buf_addc(&cmd, ' ');
		buf_adds(&cmd, a->v[i]);
	}
	if (cmd.len == 0 || strspn(cmd.s, " \t\n") == cmd.len) {
		buf_free(&cmd);
		return usage_error("missing command after --");
	}
	c.command = cmd.s;
	if (add_conf_from_opts(&c) == -1)
		goto out;
	/* Render everything first: a template error leaves nothing behind. */
	if (vars_std(&v, id, &c) == -1 || render("launch", &v, &b) == -1 ||
	    render("canary", &v, &b) == -1)
		goto out;
	if ((lk = id_lock(id, 1)) < 0)
		goto out;
	existed = conf_exists(id);
	if (existed && O.replace == NULL) {
		(void)rerr(RX_USAGE, "%s: already defined (use --replace to "
		    "overwrite it)", id);
		goto out;
	}
	if (conf_write(id, &c) == -1 || render_id_scripts(id, &c, 0) == -1) {
		char why[1024];

		(void)snprintf(why, sizeof why, "%s", errmsg());
		if (!existed)
			(void)definition_remove(id);
		(void)rerr(RX_FAIL, "%s", why);
		goto out;
	}
	lifelog(existed ? "replace" : "add", id, "command", c.command, LEND);
	out("added %s\n", id);
	rc = 0;
out:
	lock_drop(lk);
	buf_free(&b);
	vars_free(&v);
	conf_free(&c);
	return rc == 0 ? RX_OK : fail();
}

/* rm: conf, rendered scripts and exactly state/<id>.*; the pane log stays. */
int
cmd_rm(const struct args *a)
{
	const char *id = a->v[0];
	struct buf names = { 0 };
	char p[PATHBUF];
	struct stat st;
	int lk, rc = -1, known;

	if (ident_check(id) == -1)
		return fail();
	hpath(p, "bin/%s.launch", id);
	known = conf_exists(id) || lstat(p, &st) == 0 ||
	    marker_has(id, M_SESSION) != 0 || marker_has(id, M_DEATHS) != 0;
	if (!known)
		return rerr(RX_UNKNOWN, "%s: unknown identity", id), fail();
	if ((lk = id_lock(id, 1)) < 0)
		return fail();
	if (running(id)) {
		if (O.force == NULL) {
			(void)rerr(RX_REFUSED, "%s: running (stop it first, or "
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
	lifelog("purge", id, "removed", buf_str(&names), LEND);
	out("removed %s\n", id);
	out("purged: %s\n", names.len > 0 ? names.s : "(no markers)");
	hpath(p, "log/%s.log", id);
	if (lstat(p, &st) == 0)
		out("kept: %s\n", p);
	rc = 0;
out:
	lock_drop(lk);
	buf_free(&names);
	return rc == 0 ? RX_OK : fail();
}

/* render <template> [<id>] [--set K=V...]: the rendering on stdout. */
int
cmd_render(const struct args *a)
{
	const char *id = a->n > 1 ? a->v[1] : NULL;
	struct conf c;
	struct vars v = { 0 };
	struct buf b = { 0 };
	int i, have_conf = 0, rc = -1;

	conf_defaults(&c);
	if (id != NULL) {
		if (ident_check(id) == -1)
			return fail();
		if (home_open(0) == -1 || conf_read(id, &c) == -1)
			return fail();
		have_conf = 1;
	}
	if (vars_std(&v, id, have_conf ? &c : NULL) == -1)
		goto out;
	{
		unsigned long m;

		sched_vars(&v, 60, "org.roost.tick", &m);
	}
	for (i = 0; i < a->nsets; i++) {
		const char *eq = strchr(a->sets[i], '=');
		char key[64];

		if (eq == NULL || eq == a->sets[i] ||
		    (size_t)(eq - a->sets[i]) >= sizeof key) {
			conf_free(&c);
			vars_free(&v);
			return usage_error("--set %s: expected KEY=VALUE",
			    a->sets[i]);
		}
		(void)snprintf(key, sizeof key, "%.*s",
		    (int)(eq - a->sets[i]), a->sets[i]);
		vars_set(&v, key, eq + 1);
	}
	if (render(a->v[0], &v, &b) == -1)
		goto out;
	(void)fwrite(b.s, 1, b.len, stdout);
	rc = 0;
out:
	buf_free(&b);
	vars_free(&v);
	conf_free(&c);
	return rc == 0 ? RX_OK : fail();
}
