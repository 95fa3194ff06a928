/*
 * render.c - the templates (templates/NAME.in), compiled in, overridable
 * file by file.
 *
 * A placeholder is @{name|esc[|esc...]}: every placeholder names its
 * escapers, applied left to right.  "include" is the one non-escaper: the
 * value names another template, rendered with the same variables.  @@
 * is a literal @.  Unknown names, unknown escapers and unterminated
 * placeholders are errors naming the template and line.
 */
#define _XOPEN_SOURCE 700	/* realpath */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMPL_MAX	(256 * 1024)
#define INCLUDE_DEPTH	4

void
render_set(struct vars *v, const char *name, const char *value)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = xstrdup(value);
			return;
		}
	if (v->n == v->cap) {
		v->cap = v->cap != 0 ? v->cap * 2 : 32;
		v->v = xrealloc(v->v, sizeof *v->v * (size_t)v->cap);
	}
	v->v[v->n].name = xstrdup(name);
	v->v[v->n].value = xstrdup(value);
	v->n++;
}

void
render_free(struct vars *v)
{
	int i;

	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

static const char *
vars_get(const struct vars *v, const char *name, size_t len)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (strlen(v->v[i].name) == len &&
		    memcmp(v->v[i].name, name, len) == 0)
			return v->v[i].value;
	return NULL;
}

static void
setp(struct vars *v, const char *name, const char *fmt, const char *id)
{
	char p[PATHBUF];

	if (id != NULL)
		home_path(p, fmt, id);
	else
		home_path(p, "%s", fmt);
	render_set(v, name, p);
}

/* The alert-silence hook's second pass, once busy_quiet and ready_quiet
 * have gone by (section 13). */
static void
quiet_delay(struct vars *v, const struct conf *c)
{
	char d[24];
	unsigned long q = c->busy_quiet > c->ready_quiet ? c->busy_quiet :
	    c->ready_quiet;

	(void)snprintf(d, sizeof d, "%lu", q > 0 ? q : 1);
	render_set(v, "quiet_delay", d);
}

#if HAVE_UTMP_SHIM
/* A shim at p that nobody but us or root can have put there: no
 * symbolic link, under directories that pass the home's own checks, and
 * one tmux_shim_check takes (a file of ours or root's that others cannot
 * write, an object tmux can load). */
static int
shim_safe(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    home_above_check(p) == 0 && tmux_shim_check(p) == 0;
}
#endif

/*
 * The utmp shim the canary preloads into the server (roost(1), THE
 * CANARY), or "" for none: $ROOST_UTMP_SHIM when set (tmux_paths_check
 * has vetted it; empty: none), else, by this program's real path,
 * lib/roost/noutmp.so in the parent of its directory, where make install
 * puts it, or build/noutmp.so beside a roost run from its build tree:
 * the first that is safe (shim_safe).
 */
static const char *
utmp_shim(void)
{
	const char *e = getenv("ROOST_UTMP_SHIM");
#if HAVE_UTMP_SHIM
	static char p[PATHBUF];
	static int looked;
	char *bin, *up;
	int n;

	if (e != NULL)
		return e;
	if (looked)
		return p;
	looked = 1;
	if (pid_self() == NULL || (bin = realpath(pid_self(), NULL)) == NULL)
		return p;
	if ((up = strrchr(bin, '/')) != NULL) {
		*up = '\0';		/* BINDIR */
		up = xstrdup(bin);
		if (strrchr(up, '/') != NULL)
			*strrchr(up, '/') = '\0';	/* its parent */
		n = snprintf(p, sizeof p, "%s/lib/roost/noutmp.so", up);
		if (n < 0 || (size_t)n >= sizeof p || !shim_safe(p)) {
			n = snprintf(p, sizeof p, "%s/build/noutmp.so", bin);
			if (n < 0 || (size_t)n >= sizeof p || !shim_safe(p))
				p[0] = '\0';
		}
		free(up);
	}
	free(bin);
	return p;
#else
	return e != NULL ? e : "";
#endif
}

/*
 * The variables every template may use.  With an id (and its conf) also
 * the identity's own paths and commands.
 */
int
render_std(struct vars *v, const char *id, const struct conf *c)
{
	char p[PATHBUF];
	const char *home = getenv("HOME");

	/* Baked into scripts that run in other directories. */
	if (tmux_paths_check() == -1)
		return -1;
	render_set(v, "home", home_dir());
	render_set(v, "roost", pid_self() != NULL ? pid_self() : "roost");
	render_set(v, "tmux", tmux_bin());
	render_set(v, "sockdir", home_sockdir());
	render_set(v, "platform", ROOST_PLATFORM);
	render_set(v, "version", ROOST_VERSION);
	render_set(v, "forensics", "forensics-" ROOST_PLATFORM);
	render_set(v, "sh_lib", "sh-lib");
	render_set(v, "tmux_conf", getenv("ROOST_TMUX_CONF") != NULL ?
	    getenv("ROOST_TMUX_CONF") : "");
	render_set(v, "utmp_shim", utmp_shim());
	render_set(v, "tmp_tag", TMP_TAG);
	{
		struct buf b = { 0 };

		sig_list(0, &b);
		render_set(v, "signals", b.s);
		buf_reset(&b);
		sig_list(1, &b);
		render_set(v, "fatal_signals", b.s);
		buf_free(&b);
	}
	setp(v, "state", "state", NULL);
	setp(v, "logdir", "log", NULL);
	setp(v, "bindir", "bin", NULL);
	setp(v, "exits_log", "log/exits.log", NULL);
	setp(v, "lifecycle_log", "log/lifecycle.log", NULL);
	setp(v, "forensics_dir", "log/server-deaths", NULL);
	setp(v, "pane_died", "bin/pane-died", NULL);
	if (id == NULL)
		return 0;
	render_set(v, "id", id);
	if (home_sock(id, p, sizeof p) == -1)
		return -1;
	render_set(v, "sock", p);
	setp(v, "conf", "conf/%s.conf", id);
	setp(v, "env_file", "conf/%s.env", id);
	setp(v, "launch", "bin/%s.launch", id);
	setp(v, "canary", "bin/%s.canary", id);
	home_pane_log(p, id);
	render_set(v, "pane_log", p);
	if (c != NULL) {
		render_set(v, "command", c->command);
		render_set(v, "resume", c->resume != NULL ? c->resume :
		    c->command);
		render_set(v, "cwd", c->cwd != NULL ? c->cwd :
		    home != NULL ? home : "/");
		quiet_delay(v, c);
	}
	return 0;
}

static const struct tmpl *
builtin(const char *name)
{
	size_t i;

	for (i = 0; i < roost_ntemplates; i++)
		if (strcmp(roost_templates[i].name, name) == 0)
			return &roost_templates[i];
	return NULL;
}

/* $ROOST_TEMPLATES/<name>.in, then $ROOST_HOME/templates/<name>.in, then
 * the compiled-in copy. */
static int
render_load(const char *name, struct buf *text)
{
	const char *dir = getenv("ROOST_TEMPLATES");
	const struct tmpl *t;
	char p[PATHBUF];
	int rc;

	if (name[0] == '.' || name[0] == '\0' || strlen(name) > 64 ||
	    name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] != '\0')
		return err_set(RX_USAGE, "unknown template '%s'", name);
	if (dir != NULL && *dir != '\0') {
		/* The same trust as the home's own templates/: the directory
		 * and everything above it ours (or root's), nobody else's to
		 * write. */
		if (dir[0] != '/')
			return err_set(RX_USAGE, "ROOST_TEMPLATES=%s: not an "
			    "absolute path", dir);
		if (home_above_check(dir) == -1 || home_dir_check(dir, 0) == -1)
			return err_set(err_code(), "ROOST_TEMPLATES: %s",
			    err_msg());
		if (snprintf(p, sizeof p, "%s/%s.in", dir, name) >=
		    (int)sizeof p)
			return err_set(RX_USAGE, "ROOST_TEMPLATES: path too long");
		if ((rc = file_read(p, text, TMPL_MAX)) != 1)
			return rc;
	}
	home_path(p, "templates");
	if (access(p, F_OK) == 0 || errno != ENOENT) {
		if (home_dir_check(p, 0) == -1)	/* a symlink or unsafe dir */
			return -1;
		home_path(p, "templates/%s.in", name);
		if ((rc = file_read(p, text, TMPL_MAX)) != 1)
			return rc;
	}
	if ((t = builtin(name)) == NULL)
		return err_set(RX_USAGE, "unknown template '%s'", name);
	buf_reset(text);
	buf_add(text, t->text, t->len);
	return 0;
}

static int render_depth(const char *, const char *, size_t,
    const struct vars *, struct buf *, int);

static int
expand(const char *tname, int line, const char *ph, size_t phlen,
    const struct vars *v, struct buf *out, int depth)
{
	const char *bar = memchr(ph, '|', phlen), *val, *e;
	struct buf cur = { 0 }, next = { 0 };
	size_t nlen;
	int rc = 0;

	nlen = bar != NULL ? (size_t)(bar - ph) : phlen;
	if (bar == NULL)
		return err_set(RX_USAGE, "template %s, line %d: @{%.*s} names no "
		    "escaper", tname, line, (int)phlen, ph);
	if ((val = vars_get(v, ph, nlen)) == NULL)
		return err_set(RX_USAGE, "template %s, line %d: unknown "
		    "placeholder '%.*s'", tname, line, (int)nlen, ph);
	buf_adds(&cur, val);
	for (e = bar + 1; rc == 0 && e <= ph + phlen; ) {
		size_t elen = strcspn(e, "|}");
		char ename[16];
		escaper_fn fn;

		if (e + elen > ph + phlen)
			elen = (size_t)(ph + phlen - e);
		if (elen == 0 || elen >= sizeof ename) {
			rc = err_set(RX_USAGE, "template %s, line %d: unknown "
			    "escaper '%.*s' in @{%.*s}", tname, line,
			    (int)elen, e, (int)phlen, ph);
			break;
		}
		memcpy(ename, e, elen);
		ename[elen] = '\0';
		buf_reset(&next);
		if (strcmp(ename, "include") == 0) {
			struct buf t = { 0 };

			if (depth >= INCLUDE_DEPTH)
				rc = err_set(RX_USAGE, "template %s, line %d: "
				    "includes nested too deep", tname, line);
			else if ((rc = render_load(buf_str(&cur), &t)) == 0)
				rc = render_depth(cur.s, t.s, t.len, v, &next,
				    depth + 1);
			buf_free(&t);
		} else if ((fn = esc_find(ename)) == NULL)
			rc = err_set(RX_USAGE, "template %s, line %d: unknown "
			    "escaper '%s' in @{%.*s}", tname, line, ename,
			    (int)phlen, ph);
		else if (fn(&next, buf_str(&cur)) == -1)
			rc = err_set(RX_USAGE, "template %s, line %d: @{%.*s}: "
			    "%s", tname, line, (int)phlen, ph, err_msg());
		buf_reset(&cur);
		buf_add(&cur, buf_str(&next), next.len);
		e += elen + 1;
	}
	if (rc == 0)
		buf_add(out, buf_str(&cur), cur.len);
	buf_free(&cur);
	buf_free(&next);
	return rc;
}

static int
render_depth(const char *tname, const char *text, size_t len,
    const struct vars *v, struct buf *out, int depth)
{
	const char *p = text, *end = text + len;
	int line = 1;

	while (p < end) {
		const char *close;

		if (*p == '\n')
			line++;
		if (*p != '@' || p + 1 >= end) {
			buf_addc(out, *p++);
			continue;
		}
		if (p[1] == '@') {
			buf_addc(out, '@');
			p += 2;
			continue;
		}
		if (p[1] != '{') {
			buf_addc(out, *p++);
			continue;
		}
		for (close = p + 2; close < end && *close != '}' &&
		    *close != '\n'; close++)
			;
		if (close >= end || *close != '}')
			return err_set(RX_USAGE, "template %s, line %d: "
			    "unterminated placeholder", tname, line);
		if (expand(tname, line, p + 2, (size_t)(close - p - 2), v, out,
		    depth) == -1)
			return -1;
		p = close + 1;
	}
	(void)buf_str(out);
	return 0;
}

int
render_text(const char *tname, const char *text, size_t len,
    const struct vars *v, struct buf *out)
{
	return render_depth(tname, text, len, v, out, 0);
}

int
render(const char *tname, const struct vars *v, struct buf *out)
{
	struct buf t = { 0 };
	int rc;

	if ((rc = render_load(tname, &t)) == 0)
		rc = render_text(tname, t.s, t.len, v, out);
	buf_free(&t);
	return rc;
}

/* Render a one-line tmux string template (hook, pipe-pane command). */
int
render_line(const char *t, const struct vars *v, struct buf *b)
{
	if (render(t, v, b) == -1)
		return -1;
	while (b->len > 0 && b->s[b->len - 1] == '\n')
		b->s[--b->len] = '\0';
	return 0;
}

static int
render_to(const char *tname, const struct vars *v, const char *path,
    int mode, int *changed)
{
	struct buf b = { 0 };
	int rc, ch = 0;

	if ((rc = render(tname, v, &b)) == 0)
		rc = file_write_changed(path, &b, mode, &ch);
	if (changed != NULL)
		*changed = ch;
	buf_free(&b);
	return rc;
}

/*
 * bin/<id>.launch, bin/<id>.canary and the shared bin/pane-died, each
 * written only when its rendering changed: those of which (RS_LAUNCH,
 * RS_CANARY, RS_HOOK; a launch writes each just before it is needed).
 * RS_KEEP_LAUNCH leaves an existing launch script alone (a hand edit is
 * the user's); the canary and the hook are roost's own and always follow
 * the templates.
 */
int
render_id_scripts(const char *id, const struct conf *c, int which)
{
	struct vars v = { 0 };
	struct stat st;
	char p[PATHBUF];
	int rc;

	if ((rc = render_std(&v, id, c)) == 0 && (which & RS_LAUNCH)) {
		home_path(p, "bin/%s.launch", id);
		if (!(which & RS_KEEP_LAUNCH) || lstat(p, &st) == -1)
			rc = render_to("launch", &v, p, 0700, NULL);
	}
	if (rc == 0 && (which & RS_CANARY)) {
		home_path(p, "bin/%s.canary", id);
		rc = render_to("canary", &v, p, 0700, NULL);
	}
	render_free(&v);
	if (rc == 0 && (which & RS_HOOK))
		rc = render_shared(0, NULL);
	return rc;
}

/* bin/pane-died, shared by every identity. */
int
render_shared(int dry, int *changed)
{
	struct vars v = { 0 };
	struct buf b = { 0 };
	char p[PATHBUF];
	int rc;

	home_path(p, "bin/pane-died");
	if (render_std(&v, NULL, NULL) == -1) {
		render_free(&v);
		return -1;
	}
	if (dry) {
		rc = render("pane-died", &v, &b);
		if (rc == 0 && changed != NULL) {
			struct buf old = { 0 };

			*changed = file_read(p, &old, TMPL_MAX) != 0 ||
			    old.len != b.len || memcmp(old.s, b.s, b.len) != 0;
			buf_free(&old);
		}
	} else
		rc = render_to("pane-died", &v, p, 0700, changed);
	buf_free(&b);
	render_free(&v);
	return rc;
}
