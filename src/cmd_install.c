/*
 * cmd_install.c - install and uninstall: the home, the shared scripts and
 * the scheduler entry that runs `roost tick` (a systemd user timer or a
 * crontab block on Linux, a launchd agent on macOS), and the record of
 * which one it is (state/.scheduler).  Idempotent; --dry-run touches
 * nothing.  Install warns when the entry it made will not run.
 */
#include "roost.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* S_MISSING: auto found nothing that could run the tick. */
enum sched { S_NONE, S_CRON, S_SYSTEMD, S_LAUNCHD, S_MISSING };

static const char *const sched_names[] = {
	"none", "cron", "systemd", "launchd", "none"
};

#define HOW_TO_CRON	"install cron (Debian, Ubuntu: apt-get install cron; " \
	"Fedora: dnf install cronie) and run roost install again; " HOW_TO_EVERY

/* Where no init starts cron or a user manager, the loop is the way. */
#define HOW_TO_EVERY	"where nothing would start one (a container, WSL " \
	"without systemd): roost install --scheduler none, then keep roost " \
	"tick --every 60 running (the container's entrypoint, a terminal)"

static struct {
	const char *scheduler, *interval, *label, *dry_run;
} io;

static struct {
	const char *purge, *yes, *label, *dry_run;
} uo;

static const struct opt install_opts[] = {
	{ "scheduler", 0, OPT_ARG, &io.scheduler, NULL, NULL },
	{ "interval", 0, OPT_ARG, &io.interval, NULL, NULL },
	{ "label", 0, OPT_ARG, &io.label, NULL, NULL },
	{ "dry-run", 'n', OPT_FLAG, &io.dry_run, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static const struct opt uninstall_opts[] = {
	{ "purge", 0, OPT_FLAG, &uo.purge, NULL, NULL },
	{ "yes", 'y', OPT_FLAG, &uo.yes, NULL, NULL },
	{ "label", 0, OPT_ARG, &uo.label, NULL, NULL },
	{ "dry-run", 'n', OPT_FLAG, &uo.dry_run, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* A user manager answered auto's question: no need to ask again. */
static int sd_answered;

/* auto: launchd on macOS; on Linux systemd when a user manager
 * answers, else cron when there is a crontab(1). */
static enum sched
sched_auto(void)
{
	char tool[PATHBUF];

	if (HAVE_DARWIN)
		return S_LAUNCHD;
	if (systemd_available())
		return sd_answered = 1, S_SYSTEMD;
	if (spawn_find("ROOST_CRONTAB", "crontab", tool, sizeof tool) == 0)
		return S_CRON;
	return S_MISSING;
}

static int
sched_parse(const char *s, enum sched *out)
{
	if (s == NULL || strcmp(s, "auto") == 0)
		*out = sched_auto();
	else if (strcmp(s, "cron") == 0)
		*out = S_CRON;
	else if (strcmp(s, "systemd") == 0)
		*out = S_SYSTEMD;
	else if (strcmp(s, "launchd") == 0)
		*out = S_LAUNCHD;
	else if (strcmp(s, "none") == 0)
		*out = S_NONE;
	else
		return -1;
	return 0;
}

/* A launchd label, or for systemd the units' name. */
static int
label_check(const char *l, int unit)
{
	const char *p;

	if (*l == '\0' || *l == '.' || strchr(l, '/') != NULL ||
	    strlen(l) > 200)
		return err_set(RX_USAGE, "--label: must be 1 to 200 characters, "
		    "without '/' and not start with '.'");
	for (p = l; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(RX_USAGE, "--label: control character");
	if (unit && l[strspn(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789_.-")] != '\0')
		return err_set(RX_USAGE, "--label %s: a systemd unit name takes "
		    "only letters, digits, '_', '.' and '-'", l);
	return 0;
}

/* Builds and temporary paths make poor scheduler targets: say so. */
static void
warn_self(void)
{
	char dir[PATHBUF], p[PATHBUF + 16];
	const char *tmp = getenv("TMPDIR"), *self = pid_self();
	struct stat st;
	char *slash;

	if (self == NULL) {
		cli_warn("warning: cannot tell roost's own absolute path; the "
		    "scheduler entry runs plain 'roost'");
		return;
	}
	(void)snprintf(dir, sizeof dir, "%s", self);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(p, sizeof p, "%s/Makefile.in", dir);
	if (stat(p, &st) == 0)
		cli_warn("warning: %s is in a build tree; the scheduler entry "
		    "will run it from there (make install first)", self);
	else if (strncmp(self, "/tmp/", 5) == 0 ||
	    strncmp(self, "/var/tmp/", 9) == 0 ||
	    (tmp != NULL && *tmp != '\0' &&
	    strncmp(self, tmp, strlen(tmp)) == 0))
		cli_warn("warning: %s is in a temporary directory; the scheduler "
		    "entry will break when it goes", self);
}

/* The home tree and the shared scripts (with dry, only what would be). */
static int
install_home(int dry)
{
	int existed = home_exists(), changed;

	if (dry) {
		if (!existed)
			cli_out("would create home %s\n", home_dir());
		else if (home_open(0) == -1)
			return -1;
		if (render_shared(1, &changed) == -1)
			return -1;
		cli_out(changed ? "would write %s/bin/pane-died\n" :
		    "unchanged %s/bin/pane-died\n", home_dir());
		return 0;
	}
	if (home_open(1) == -1)
		return -1;
	cli_out("%s home %s\n", existed ? "unchanged" : "created", home_dir());
	if (render_shared(0, &changed) == -1)
		return -1;
	cli_out("%s %s/bin/pane-died\n", changed ? existed ? "updated" :
	    "created" : "unchanged", home_dir());
	return 0;
}

/* log/tick.out, where the scheduled tick's output goes, exists and is
 * 0600 before cron, systemd or launchd first creates it with their own
 * umask. */
static int
tick_out_ready(void)
{
	char p[PATHBUF];
	int fd;

	home_path(p, "log/tick.out");
	if ((fd = file_open(p, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
		return -1;
	(void)fchmod(fd, 0600);
	(void)close(fd);
	return 0;
}

/* The entry another scheduler had for this home, now replaced. */
static int
forget_previous(enum sched s, struct buf *report)
{
	char prev[16];
	unsigned long iv;

	if (sched_read(prev, sizeof prev, &iv) != 0 ||
	    strcmp(prev, sched_names[s]) == 0)
		return 0;
	if (strcmp(prev, "cron") == 0)
		return cron_uninstall(0, report);
	if (strcmp(prev, "systemd") == 0)
		return systemd_uninstall(SCHED_UNIT, 0, report);
	if (strcmp(prev, "launchd") == 0)
		return launchd_uninstall(SCHED_LABEL, 0, report);
	return 0;
}

/* Units a user manager never loads run nothing: refuse before writing
 * them, and say what would make one run. */
static int
systemd_prepare(void)
{
	if (sd_answered || systemd_available())
		return 0;
	return err_set(RX_FAIL, "no systemd user manager answers (systemctl "
	    "--user show-environment failed), so a timer would never run; "
	    "nothing was written: log in through a session that starts one, or "
	    "have it run without a login (loginctl enable-linger), or use "
	    "--scheduler cron; " HOW_TO_EVERY);
}

/* The entry is there, but will it run? */
static void
warn_idle_entry(enum sched s)
{
	if (s == S_CRON && cron_daemon() == 0)
		cli_warn("warning: no cron daemon is running, so the entry will "
		    "not run: start it (as root, where systemd runs: "
		    "systemctl enable --now cron); " HOW_TO_EVERY);
	if (s == S_SYSTEMD && systemd_linger() == 0)
		cli_warn("warning: lingering is off for uid %ld: the systemd "
		    "user manager stops when you log out, and with it the "
		    "timer and every session it started; loginctl "
		    "enable-linger keeps them running", (long)getuid());
}

/*
 * Before anything is written: the cron line must fit, and the crontab
 * must read (an override that does not run is an error too).  A missing
 * crontab(1) leaves tool empty: the home is made all the same, and the
 * entry's error says what to install.
 */
static int
cron_prepare(const struct vars *v, int dry, char *tool, size_t n,
    struct buf *cur)
{
	const char *e = getenv("ROOST_CRONTAB");

	if (cron_check(v) == -1)
		return -1;
	if (dry)
		return 0;
	if (spawn_find("ROOST_CRONTAB", "crontab", tool, n) == -1) {
		tool[0] = '\0';
		return e != NULL && *e != '\0' ? -1 : 0;
	}
	return cron_read(tool, cur);
}

static int
install_entry(enum sched s, const struct vars *v, const char *label,
    const char *tool, const struct buf *cur, int dry, struct buf *report)
{
	switch (s) {
	case S_CRON:
		if (!dry && *tool == '\0')
			return err_set(RX_FAIL, "crontab: command not found: "
			    HOW_TO_CRON);
		return cron_install(v, tool, cur, dry, report);
	case S_SYSTEMD:
		return systemd_install(v, label, dry, report);
	case S_LAUNCHD:
		return launchd_install(v, label, dry, report);
	case S_MISSING:
		return err_set(RX_FAIL, "no scheduler to run the tick: no "
		    "systemd user manager answers (systemctl --user) and there "
		    "is no crontab(1); " HOW_TO_CRON);
	case S_NONE:
		break;
	}
	return 0;
}

static int
cmd_install(const struct args *a)
{
	const char *label;
	int dry = io.dry_run != NULL, rc;
	unsigned long interval = 60, minutes, every;
	char tool[PATHBUF] = "";
	struct buf cur = { 0 }, report = { 0 };
	struct vars v = { 0 };
	enum sched s;

	(void)a;
	if (io.interval != NULL && (num_ulong(io.interval, 86400, &interval) ==
	    -1 || interval == 0))
		return cli_usage("--interval %s: must be 1 to 86400 seconds",
		    io.interval);
	if (sched_parse(io.scheduler, &s) == -1)
		return cli_usage("--scheduler %s: must be auto, cron, systemd, "
		    "launchd or none", io.scheduler);
	label = io.label != NULL ? io.label : s == S_SYSTEMD ? SCHED_UNIT :
	    SCHED_LABEL;
	/* The paths go into the scheduler entry and into the scripts. */
	if (label_check(label, s == S_SYSTEMD) == -1 ||
	    tmux_paths_check() == -1)
		return cli_fail();
	every = s == S_CRON ? sched_cron_minutes(interval) * 60 : interval;
	if (s == S_CRON && every != interval)
		cli_warn("notice: cron runs whole minutes, 1 to 60: interval "
		    "%lus rounded to %lu minute%s", interval, every / 60,
		    every == 60 ? "" : "s");
	if (s != S_NONE)
		warn_self();
	(void)render_std(&v, NULL, NULL);
	sched_vars(&v, interval, label, &minutes);
	if (s == S_SYSTEMD)
		render_set(&v, "unit", label);
	/* Check and read before creating anything: a failure here writes
	 * nothing at all.  A missing crontab(1) is different: the home is
	 * still made, and the error says what to install. */
	rc = s == S_CRON ? cron_prepare(&v, dry, tool, sizeof tool, &cur) :
	    s == S_SYSTEMD && !dry ? systemd_prepare() : 0;
	if (rc == 0 && (rc = install_home(dry)) == 0 && !dry)
		rc = tick_out_ready();
	if (rc == 0)
		rc = install_entry(s, &v, label, tool, &cur, dry, &report);
	/* none is another scheduler too: the entry it replaces would tick
	 * beside the loop the moment a cron daemon started. */
	if (rc == 0 && !dry)
		rc = forget_previous(s, &report);
	render_free(&v);
	cli_out("%s", buf_str(&report));
	buf_free(&cur);
	buf_free(&report);
	if (rc == 0 && !dry && (rc = sched_record(sched_names[s], every)) == 0) {
		warn_idle_entry(s);
		log_event("install", NULL, "scheduler", sched_names[s], LEND);
	}
	return rc == 0 ? RX_OK : cli_fail();
}

static int
purge_home(void)
{
	char **ids;
	int n, i, rc = 0;

	n = state_ids(&ids);
	for (i = 0; i < n; i++) {
		int lk = home_lock(ids[i], 1);
		struct idctx x;
		pid_t cp;

		home_ctx(ids[i], &x);
		if (state_ctx_running(&x) || (canary_pid(ids[i], &cp) == 0 &&
		    cp > 0)) {
			if (teardown(&x, "purge") == -1) {
				cli_warn("%s", err_msg());
				rc = -1;
			} else
				cli_out("stopped %s\n", ids[i]);
		}
		file_unlock(lk);
	}
	conf_ids_free(ids, n);
	return rc;
}

/*
 * What a purge deletes: only what roost makes or names, directory by
 * directory; anything else (a file a person keeps in a directory used as
 * the home) stays, and is named.
 */
static const char *const purge_dirs[] = {
	"log/server-deaths", "conf", "bin", "state", "lock", "log", "hooks",
	"templates", NULL
};

/* name is "<id><tail>" for a valid identity and one of the tails. */
static int
id_with(const char *name, const char *const tails[])
{
	char id[ID_MAX + 1];
	size_t n, t;
	int i;

	for (i = 0; tails[i] != NULL; i++) {
		n = strlen(name);
		t = strlen(tails[i]);
		if (n > t && n - t <= ID_MAX && strcmp(name + n - t, tails[i]) == 0) {
			(void)snprintf(id, sizeof id, "%.*s", (int)(n - t), name);
			if (ident_valid(id))
				return 1;
		}
	}
	return 0;
}

static int
one_of(const char *name, const char *const names[])
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* A state/ marker "<id>.<marker>" (markers are lowercase words). */
static int
marker_name(const char *name)
{
	const char *dot = strchr(name, '.');
	char id[ID_MAX + 1];

	if (dot == NULL || dot == name || dot - name > ID_MAX || dot[1] == '\0' ||
	    strspn(dot + 1, "abcdefghijklmnopqrstuvwxyz-") != strlen(dot + 1))
		return 0;
	(void)snprintf(id, sizeof id, "%.*s", (int)(dot - name), name);
	return ident_valid(id);
}

/* name (of len n) ends in "-<digits>": its length without them, else 0. */
static size_t
less_number(const char *name, size_t n)
{
	size_t d = 0;

	while (d < n && name[n - 1 - d] >= '0' && name[n - 1 - d] <= '9')
		d++;
	return d > 0 && d < n && name[n - 1 - d] == '-' ? n - 1 - d : 0;
}

/* The first n bytes of name are an identity. */
static int
ident_prefix(const char *name, size_t n)
{
	char id[ID_MAX + 1];

	if (n == 0 || n > ID_MAX)
		return 0;
	(void)snprintf(id, sizeof id, "%.*s", (int)n, name);
	return ident_valid(id);
}

/* A forensics snapshot "<id>-<epoch>-<pid>.txt", or "<id>-<epoch>.txt"
 * (from an older roost, or a death whose pid was unknown). */
static int
snapshot_name(const char *name)
{
	size_t n = strlen(name), a, b;

	if (n < 5 || strcmp(name + n - 4, ".txt") != 0)
		return 0;
	if ((a = less_number(name, n - 4)) == 0)
		return 0;
	if (ident_prefix(name, a))
		return 1;
	return (b = less_number(name, a)) != 0 && ident_prefix(name, b);
}

static int
roosts(const char *dir, const char *name)
{
	static const char *const conf[] = { ".conf", ".env", NULL },
	    *const bin[] = { ".launch", ".canary", NULL },
	    *const idlog[] = { ".log", NULL },
	    *const state[] = { ".tick.last", ".scheduler", ".tick.lock",
		".mass-death", ".systemd-dirs", NULL },
	    *const lock[] = { ".tick", ".mass", NULL },
	    *const logs[] = { "lifecycle.log", "exits.log", "tick.out",
		".rotate.lock", "server-deaths", NULL },
	    *const hooks[] = { "death", "crash-loop", "server-exit", "reap",
		"launch", "waiting", "deliver", "mass-death", NULL };
	const char *dot;

	if (name[0] == '.' && strstr(name, ".tmp.") != NULL)
		return 1;	/* an atomic writer's temp */
	if (strcmp(dir, "conf") == 0)
		return id_with(name, conf);
	if (strcmp(dir, "bin") == 0)
		return strcmp(name, "pane-died") == 0 || id_with(name, bin);
	if (strcmp(dir, "state") == 0)
		return one_of(name, state) || marker_name(name);
	if (strcmp(dir, "lock") == 0)
		return one_of(name, lock) || ident_valid(name);
	if (strcmp(dir, "sock") == 0)
		return ident_valid(name);
	if (strcmp(dir, "log/server-deaths") == 0)
		return snapshot_name(name);
	if (strcmp(dir, "log") == 0) {
		/* lifecycle.log.1 ... .5, exits.log.1 ... */
		if ((dot = strrchr(name, '.')) != NULL && dot[1] >= '1' &&
		    dot[1] <= '9' && dot[2] == '\0' &&
		    (strncmp(name, "lifecycle.log.", 14) == 0 ||
		    strncmp(name, "exits.log.", 10) == 0))
			return 1;
		return one_of(name, logs) || id_with(name, idlog);
	}
	if (strcmp(dir, "hooks") == 0)
		return one_of(name, hooks);
	if (strcmp(dir, "templates") == 0)
		return (dot = strrchr(name, '.')) != NULL &&
		    strcmp(dot, ".in") == 0;
	return 0;
}

/* Delete roost's entries of home/dir, then dir if that empties it; what
 * stays is said. 0, or -1 when a delete failed. */
static int
purge_dir(const char *dir, const char *path)
{
	struct dirent *de;
	char p[PATHBUF];
	DIR *d;
	int rc = 0, dfd;

	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : err_errno(path);
	if ((d = fdopendir(dfd)) == NULL) {
		(void)close(dfd);
		return err_errno(path);
	}
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    (strcmp(dir, "log") == 0 &&
		    strcmp(name, "server-deaths") == 0))
			continue;	/* its own turn came first */
		(void)snprintf(p, sizeof p, "%s/%s", path, name);
		if (dir[0] == '\0' && (one_of(name, purge_dirs) ||
		    strcmp(name, "sock") == 0))
			continue;	/* the home: what its directories kept is
					 * said already */
		if (!roosts(dir, name))
			cli_out("kept %s\n", p);
		else if (file_rmtree_at(dirfd(d), name) == -1)
			rc = err_set(RX_FAIL, "%s: cannot remove: %s", p,
			    strerror(errno));
	}
	(void)closedir(d);
	(void)rmdir(path);
	return rc;
}

/* The home: roost's own, directory by directory, then the home itself
 * if nothing else is in it.  1 when something was kept. */
static int
purge_files(void)
{
	char p[PATHBUF], sock[PATHBUF];
	size_t i;
	int rc = 0;

	for (i = 0; purge_dirs[i] != NULL; i++) {
		home_path(p, "%s", purge_dirs[i]);
		if (purge_dir(purge_dirs[i], p) == -1)
			rc = -1;
	}
	/* The socket directory when it is the home's own. */
	home_path(sock, "sock");
	if (strcmp(home_sockdir(), sock) == 0 && purge_dir("sock", sock) == -1)
		rc = -1;
	if (rc == -1)
		return -1;
	if (rmdir(home_dir()) == 0 || errno == ENOENT)
		return 0;
	(void)purge_dir("", home_dir());
	return 1;
}

static int
confirm(const char *what)
{
	char line[16];

	(void)fprintf(stderr, "roost: uninstall: delete %s and everything in "
	    "it? [y/N] ", what);
	(void)fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static int
cmd_uninstall(const struct args *a)
{
	const char *label = uo.label != NULL ? uo.label : SCHED_LABEL;
	int dry = uo.dry_run != NULL, n = 0, lk, rc;
	char **ids, p[PATHBUF];
	struct buf report = { 0 };

	(void)a;
	if (label_check(label, 0) == -1)
		return cli_fail();
	if (uo.purge != NULL && home_exists() && home_open(0) == -1)
		return cli_fail();
	if (uo.purge != NULL && !dry && uo.yes == NULL && !isatty(STDIN_FILENO))
		return err_set(RX_USAGE, "--purge deletes %s: without a terminal "
		    "it needs --yes", home_dir()), cli_fail();
	if (uo.purge != NULL && home_exists()) {
		n = state_ids(&ids);
		conf_ids_free(ids, n);
	}
	/* Say what a purge deletes and ask before removing anything. */
	if (uo.purge != NULL && !dry && home_exists()) {
		(void)fprintf(stderr, "roost: uninstall: purging %s: %d "
		    "identit%s, their markers, scripts and logs\n", home_dir(), n,
		    n == 1 ? "y" : "ies");
		if (uo.yes == NULL && !confirm(home_dir()))
			return err_set(RX_REFUSED, "not confirmed: nothing "
			    "deleted"), cli_fail();
	}
	rc = cron_uninstall(dry, &report) == -1 ||
	    systemd_uninstall(uo.label != NULL ? uo.label : SCHED_UNIT, dry,
	    &report) == -1 ||
	    launchd_uninstall(label, dry, &report) == -1 ? -1 : 0;
	cli_out("%s", buf_str(&report));
	buf_free(&report);
	if (rc == 0 && !dry && home_exists() && home_open(0) == 0)
		rc = sched_forget();
	if (rc == -1)
		return cli_fail();
	if (uo.purge == NULL)
		return RX_OK;
	if (!home_exists()) {
		cli_out("unchanged home %s (absent)\n", home_dir());
		return RX_OK;
	}
	if (dry) {
		cli_out("would stop every session and remove home %s (%d "
		    "identit%s)\n", home_dir(), n, n == 1 ? "y" : "ies");
		return RX_OK;
	}
	/* Hold the tick lock: a tick already running must not relaunch
	 * what the purge stops. */
	home_path(p, "state/.tick.lock");
	if ((lk = file_lock(p, 1)) == -1)
		return cli_fail();
	cli_detach_if_inside(NULL);
	rc = purge_home() == -1 ? -1 : purge_files();
	file_unlock(lk);
	if (rc == -1)
		return cli_fail();
	if (rc == 1)
		cli_out("removed roost's files from home %s (it holds others)\n",
		    home_dir());
	else
		cli_out("removed home %s\n", home_dir());
	return RX_OK;
}

const struct cmd_entry cmd_install_entry = {
	.name = "install",
	.usage = "[--scheduler auto|cron|systemd|launchd|none] "
	    "[--interval SECS] [--label LABEL] [--dry-run]",
	.summary = "set up the home and the scheduler entry that runs the tick",
	.help = "  --scheduler S   auto, cron, systemd, launchd or none; auto is "
	    "launchd on macOS,\n"
	    "                  else systemd when systemctl --user answers, else "
	    "cron; none:\n"
	    "                  the home only (then keep roost tick --every SECS "
	    "running)\n"
	    "  --interval SECS how often the tick runs, 1-86400 (default 60; "
	    "cron rounds to\n"
	    "                  minutes)\n"
	    "  --label LABEL   launchd label (default org.roost.tick), or the "
	    "systemd units'\n"
	    "                  name (default roost-tick)\n"
	    "  --dry-run, -n   print what would be written; touch nothing\n"
	    "Idempotent: prints created, updated or unchanged for each thing.  "
	    "Warns when\nthe entry will not run (no cron daemon, no lingering, "
	    "a disabled launchd label).\n",
	.opts = install_opts,
	.minpos = 0,
	.maxpos = 0,
	.home = H_NONE,
	.ids = 0,
	.exec = cmd_install
};

const struct cmd_entry cmd_uninstall_entry = {
	.name = "uninstall",
	.usage = "[--purge [--yes]] [--label LABEL] [--dry-run]",
	.summary = "remove the scheduler entry (--purge: also every session and the "
	    "home)",
	.help = "  --purge         also stop every session and delete the home\n"
	    "  --yes, -y       confirm --purge without a terminal\n"
	    "  --label LABEL   launchd label (default org.roost.tick), or the "
	    "systemd units'\n"
	    "                  name (default roost-tick)\n"
	    "  --dry-run, -n   print what would be removed; touch nothing\n",
	.opts = uninstall_opts,
	.minpos = 0,
	.maxpos = 0,
	.home = H_NONE,
	.ids = 0,
	.exec = cmd_uninstall
};
