/*
 * systemd.c - the systemd user timer that runs the tick on Linux:
 * <unit>.service (a oneshot `roost tick`) and <unit>.timer under
 * ~/.config/systemd/user, loaded with systemctl --user daemon-reload and
 * enable --now.  The units name the home they serve in their first
 * line, so one home never takes over or removes another's.  What was
 * done is reported, a line each, for the command to print.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
units_dir(char *out, size_t n)
{
	const char *e = getenv("ROOST_SYSTEMD_UNITS");
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (e != NULL && *e != '\0')
		return snprintf(out, n, "%s", e) < (int)n ? 0 :
		    err_set(RX_FAIL, "ROOST_SYSTEMD_UNITS: too long");
	if (x != NULL && x[0] == '/')
		return snprintf(out, n, "%s/systemd/user", x) < (int)n ? 0 :
		    err_set(RX_FAIL, "XDG_CONFIG_HOME: too long");
	if (home == NULL || *home == '\0')
		return err_set(RX_FAIL, "HOME is not set: cannot find "
		    "~/.config/systemd/user");
	return snprintf(out, n, "%s/.config/systemd/user", home) < (int)n ?
	    0 : err_set(RX_FAIL, "HOME: too long");
}

/* mkdir -p, 0755 like the rest of ~/.config; the topmost directory it
 * had to create goes to made (empty when none). */
static int
mkdirs(const char *dir, char *made, size_t n)
{
	char p[PATHBUF];
	char *s;
	int r;

	(void)snprintf(p, sizeof p, "%s", dir);
	made[0] = '\0';
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '/')
			*s = '\0';
		if ((r = mkdir(p, 0755)) == -1 && errno != EEXIST)
			return err_set(RX_FAIL, "%s: cannot create: %s", p,
			    strerror(errno));
		if (r == 0 && made[0] == '\0')
			(void)snprintf(made, n, "%s", p);
		if (strlen(p) == strlen(dir))
			return 0;
		*s = '/';
	}
}

/* systemctl --user ARG...: its exit status, 128 when killed, -1 when it
 * could not run; the first line of its stderr in err1. */
static int
sctl(const char *tool, const char *a1, const char *a2, const char *a3,
    struct buf *err1)
{
	const char *argv[] = { tool, "--user", a1, a2, a3, NULL };
	int rc;

	(void)scope_runtime_dir();	/* cron's environment has none */
	rc = spawn_tool(argv, NULL, err1);

	return rc < 256 ? rc : 128;
}

/* A user manager answers: what `auto` asks before it picks systemd. */
int
systemd_available(void)
{
	char tool[PATHBUF];

	if (spawn_find("ROOST_SYSTEMCTL", "systemctl", tool, sizeof tool) == -1)
		return 0;
	return sctl(tool, "show-environment", NULL, NULL, NULL) == 0;
}

/* Linger: 1 on, 0 off, -1 when loginctl cannot tell. */
int
systemd_linger(void)
{
	char tool[PATHBUF], uid[24];
	const char *argv[5];
	struct buf out = { 0 };
	int rc = -1;

	if (spawn_find("ROOST_LOGINCTL", "loginctl", tool, sizeof tool) == -1)
		return -1;
	(void)snprintf(uid, sizeof uid, "%ld", (long)getuid());
	argv[0] = tool;
	argv[1] = "show-user";
	argv[2] = uid;
	argv[3] = "--property=Linger";
	argv[4] = NULL;
	if (spawn_tool(argv, &out, NULL) == 0) {
		if (strstr(buf_str(&out), "Linger=yes") != NULL)
			rc = 1;
		else if (strstr(out.s, "Linger=no") != NULL)
			rc = 0;
	}
	buf_free(&out);
	return rc;
}

struct units {
	char	 dir[PATHBUF];
	char	 service[PATHBUF + 64];
	char	 timer[PATHBUF + 64];
	char	 timer_name[128];
};

static int
units_paths(const char *unit, struct units *u)
{
	if (units_dir(u->dir, sizeof u->dir) == -1)
		return -1;
	(void)snprintf(u->service, sizeof u->service, "%s/%s.service", u->dir,
	    unit);
	(void)snprintf(u->timer, sizeof u->timer, "%s/%s.timer", u->dir, unit);
	(void)snprintf(u->timer_name, sizeof u->timer_name, "%s.timer", unit);
	return 0;
}

/*
 * Whose a unit file is: 1 this home's, 0 absent, -1 another home's (or
 * not roost's at all, or unreadable).  The first line of every roost
 * unit is "# roost tick ... for home <home>; ...".
 */
static int
unit_ours(const char *path)
{
	struct buf b = { 0 }, want = { 0 };
	int r, rc;

	if ((r = file_read(path, &b, 1024 * 1024)) == 1)
		return 0;
	if (r == -1)
		return -1;
	buf_addf(&want, " for home %s; ", home_dir());
	b.len = strcspn(b.s, "\n");
	b.s[b.len] = '\0';
	rc = strncmp(b.s, "# roost tick", 12) == 0 && strstr(b.s, want.s) != NULL ?
	    1 : err_set(RX_FAIL, "%s is not this home's (its first line: "
	    "\"%.80s\"): give this home its own units with --label", path, b.s);
	buf_free(&b);
	buf_free(&want);
	return rc;
}

/* daemon-reload, enable --now, and restart when an active timer's
 * schedule changed. */
static int
systemd_load(const char *tool, const struct units *u, int updated)
{
	struct buf e = { 0 };
	const char *what = "daemon-reload";
	int rc;

	if ((rc = sctl(tool, "daemon-reload", NULL, NULL, &e)) == 0) {
		what = "enable --now";
		rc = sctl(tool, "enable", "--now", u->timer_name, &e);
	}
	if (rc == 0 && updated) {
		what = "restart";
		rc = sctl(tool, "restart", u->timer_name, NULL, &e);
	}
	if (rc != 0)
		(void)err_set(RX_FAIL, "systemctl --user %s failed (%s): the "
		    "units are in %s; once a user manager runs: systemctl "
		    "--user daemon-reload && systemctl --user enable --now %s",
		    what, e.len > 0 ? e.s : rc == -1 ? err_msg() : "no message",
		    u->dir, u->timer_name);
	buf_free(&e);
	return rc == 0 ? 0 : -1;
}

/* state/.systemd-dirs: the topmost unit directory install created, so
 * uninstall removes what it made (and only while it is empty). */
static int
dirs_made_record(const char *made)
{
	char p[PATHBUF];
	struct buf b = { 0 };
	int rc;

	home_path(p, "state/.systemd-dirs");
	buf_addf(&b, "%s\n", made);
	rc = file_write(p, b.s, b.len, 0600);
	buf_free(&b);
	return rc;
}

/* rmdir from dir up to the recorded top, each only when empty. */
static void
dirs_made_remove(const char *dir, struct buf *report)
{
	char p[PATHBUF], d[PATHBUF], *slash;
	struct buf top = { 0 };

	home_path(p, "state/.systemd-dirs");
	if (file_read(p, &top, PATHBUF) != 0) {
		buf_free(&top);
		return;
	}
	top.s[strcspn(top.s, "\n")] = '\0';
	(void)snprintf(d, sizeof d, "%s", dir);
	if (top.s[0] == '/' && strncmp(d, top.s, strlen(top.s)) == 0) {
		while (strlen(d) >= strlen(top.s) && rmdir(d) == 0) {
			buf_addf(report, "removed directory %s\n", d);
			if ((slash = strrchr(d, '/')) == NULL || slash == d)
				break;
			*slash = '\0';
		}
	}
	(void)file_remove(p);
	buf_free(&top);
}

/* The stamp an old unit's Persistent=true left:
 * ~/.local/share/systemd/timers/stamp-<timer>. */
static void
stamp_remove(const char *timer_name, struct buf *report)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char p[PATHBUF];
	struct stat st;

	if (x != NULL && x[0] == '/')
		(void)snprintf(p, sizeof p, "%s/systemd/timers/stamp-%s", x,
		    timer_name);
	else if (home != NULL && home[0] == '/')
		(void)snprintf(p, sizeof p, "%s/.local/share/systemd/timers/"
		    "stamp-%s", home, timer_name);
	else
		return;
	if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && file_remove(p) == 0)
		buf_addf(report, "removed systemd timer stamp %s\n", p);
}

int
systemd_install(const struct vars *v, const char *unit, int dry,
    struct buf *report)
{
	char tool[PATHBUF], made[PATHBUF];
	struct buf svc = { 0 }, tmr = { 0 };
	struct units u;
	int ch_s, ch_t, had_s, had_t, rc = -1;

	if (units_paths(unit, &u) == -1 ||
	    render("roost-tick.service", v, &svc) == -1 ||
	    render("roost-tick.timer", v, &tmr) == -1)
		goto out;
	if (dry) {
		buf_addf(report, "would write systemd service %s:\n%s",
		    u.service, svc.s);
		buf_addf(report, "would write systemd timer %s:\n%s", u.timer,
		    tmr.s);
		rc = 0;
		goto out;
	}
	if ((had_s = unit_ours(u.service)) == -1 ||
	    (had_t = unit_ours(u.timer)) == -1 ||
	    spawn_find("ROOST_SYSTEMCTL", "systemctl", tool, sizeof tool) == -1 ||
	    mkdirs(u.dir, made, sizeof made) == -1 ||
	    (made[0] != '\0' && dirs_made_record(made) == -1))
		goto out;
	file_sweep_of(u.service);
	file_sweep_of(u.timer);
	if (file_write_changed(u.service, &svc, 0644, &ch_s) == -1 ||
	    file_write_changed(u.timer, &tmr, 0644, &ch_t) == -1)
		goto out;
	buf_addf(report, "%s systemd service %s\n", !ch_s ? "unchanged" :
	    had_s ? "updated" : "created", u.service);
	buf_addf(report, "%s systemd timer %s\n", !ch_t ? "unchanged" :
	    had_t ? "updated" : "created", u.timer);
	if (!ch_s && !ch_t) {
		/* Unchanged files, but a timer someone stopped or disabled
		 * runs nothing: start it again. */
		if (sctl(tool, "is-enabled", "--quiet", u.timer_name, NULL) == 0 &&
		    sctl(tool, "is-active", "--quiet", u.timer_name, NULL) == 0) {
			rc = 0;
			goto out;
		}
		buf_addf(report, "enabled systemd timer %s (it was not "
		    "active)\n", u.timer_name);
	}
	rc = systemd_load(tool, &u, (ch_s && had_s) || (ch_t && had_t));
out:
	buf_free(&svc);
	buf_free(&tmr);
	return rc;
}

int
systemd_uninstall(const char *unit, int dry, struct buf *report)
{
	char tool[PATHBUF];
	struct units u;
	int s, t, have_tool;

	if (HAVE_DARWIN || units_paths(unit, &u) == -1)
		return 0;
	have_tool = spawn_find("ROOST_SYSTEMCTL", "systemctl", tool,
	    sizeof tool) == 0;
	s = unit_ours(u.service);
	t = unit_ours(u.timer);
	if (s == -1 || t == -1) {
		if (s == 1 || t == 1)
			return -1;
		buf_addf(report, "unchanged systemd timer %s (another home's)\n",
		    u.timer);
		return 0;
	}
	if (s == 0 && t == 0) {
		if (have_tool || getenv("ROOST_SYSTEMD_UNITS") != NULL)
			buf_adds(report, "unchanged systemd timer (none "
			    "installed)\n");
		return 0;
	}
	if (dry) {
		buf_addf(report, "would remove systemd timer %s and service %s\n",
		    u.timer, u.service);
		return 0;
	}
	if (have_tool && t == 1)
		(void)sctl(tool, "disable", "--now", u.timer_name, NULL);
	if (file_remove(u.timer) == -1 || file_remove(u.service) == -1)
		return -1;
	if (have_tool)
		(void)sctl(tool, "daemon-reload", NULL, NULL, NULL);
	if (t == 1)
		buf_addf(report, "removed systemd timer %s\n", u.timer);
	if (s == 1)
		buf_addf(report, "removed systemd service %s\n", u.service);
	stamp_remove(u.timer_name, report);
	dirs_made_remove(u.dir, report);
	return 0;
}
