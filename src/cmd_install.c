/*
 * cmd_install.c - install and uninstall: the home, the shared scripts and
 * the scheduler entry that runs `roost tick` (a crontab block on Linux, a
 * launchd agent on macOS).  Idempotent; --dry-run touches nothing.
 */
#include "roost.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum sched { S_NONE, S_CRON, S_LAUNCHD };

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

static int
sched_parse(const char *s, enum sched *out)
{
	if (s == NULL || strcmp(s, "auto") == 0)
		*out = HAVE_DARWIN ? S_LAUNCHD : S_CRON;
	else if (strcmp(s, "cron") == 0)
		*out = S_CRON;
	else if (strcmp(s, "launchd") == 0)
		*out = S_LAUNCHD;
	else if (strcmp(s, "none") == 0)
		*out = S_NONE;
	else
		return -1;
	return 0;
}

static int
label_check(const char *l)
{
	const char *p;

	if (*l == '\0' || *l == '.' || strchr(l, '/') != NULL ||
	    strlen(l) > 200)
		return err_set(RX_USAGE, "--label: must be 1 to 200 characters, "
		    "without '/' and not start with '.'");
	for (p = l; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(RX_USAGE, "--label: control character");
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

static int
cmd_install(const struct args *a)
{
	const char *label = io.label != NULL ? io.label : SCHED_LABEL;
	int dry = io.dry_run != NULL, rc;
	unsigned long interval = 60, minutes;
	char tool[PATHBUF] = "";
	struct buf cur = { 0 }, report = { 0 };
	struct vars v = { 0 };
	enum sched s;

	(void)a;
	if (sched_parse(io.scheduler, &s) == -1)
		return cli_usage("--scheduler %s: must be auto, cron, "
		    "launchd or none", io.scheduler);
	if (io.interval != NULL && (num_ulong(io.interval, 86400, &interval) ==
	    -1 || interval == 0))
		return cli_usage("--interval %s: must be 1 to 86400 seconds",
		    io.interval);
	if (label_check(label) == -1)
		return cli_fail();
	if (s == S_CRON) {
		unsigned long m = sched_cron_minutes(interval);

		if (m * 60 != interval)
			cli_warn("notice: cron runs whole minutes, 1 to 60: "
			    "interval %lus rounded to %lu minute%s", interval,
			    m, m == 1 ? "" : "s");
	}
	warn_self();
	/* Read the crontab before creating anything: a failure writes
	 * nothing at all. */
	if (s == S_CRON && !dry && (spawn_find("ROOST_CRONTAB", "crontab", tool,
	    sizeof tool) == -1 || cron_read(tool, &cur) == -1)) {
		buf_free(&cur);
		return cli_fail();
	}
	if ((rc = install_home(dry)) == 0) {
		(void)render_std(&v, NULL, NULL);
		sched_vars(&v, interval, label, &minutes);
		if (s == S_CRON)
			rc = cron_install(&v, tool, &cur, dry, &report);
		else if (s == S_LAUNCHD)
			rc = launchd_install(&v, label, dry, &report);
		render_free(&v);
		cli_out("%s", buf_str(&report));
	}
	buf_free(&cur);
	buf_free(&report);
	if (rc == 0 && !dry)
		log_event("install", NULL, "scheduler", s == S_CRON ? "cron" :
		    s == S_LAUNCHD ? "launchd" : "none", LEND);
	return rc == 0 ? RX_OK : cli_fail();
}

static int
purge_home(void)
{
	char **ids;
	int n, i, rc = 0;

	n = state_ids(&ids);
	for (i = 0; i < n; i++) {
		int lk = marker_lock(ids[i], 1);
		pid_t cp;

		if (state_running(ids[i]) || (canary_pid(ids[i], &cp) == 0 &&
		    cp > 0)) {
			if (teardown(ids[i], "purge") == -1) {
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
	if (label_check(label) == -1)
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
	    launchd_uninstall(label, dry, &report) == -1 ? -1 : 0;
	cli_out("%s", buf_str(&report));
	buf_free(&report);
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
	rc = purge_home() == -1 || file_rmtree(home_dir()) == -1 ? -1 : 0;
	file_unlock(lk);
	if (rc == -1)
		return cli_fail();
	cli_out("removed home %s\n", home_dir());
	return RX_OK;
}

const struct cmd_entry cmd_install_entry = {
	"install", "[--scheduler auto|cron|launchd|none] [--interval SECS] "
	"[--label LABEL] [--dry-run]",
	"set up the home and the scheduler entry that runs the tick",
	"  --scheduler S   auto (cron on Linux, launchd on macOS), cron, "
	"launchd or none\n"
	"  --interval SECS how often the tick runs (default 60; cron rounds "
	"to minutes)\n"
	"  --label LABEL   launchd label (default org.roost.tick)\n"
	"  --dry-run, -n   print what would be written; touch nothing\n"
	"Idempotent: prints created, updated or unchanged for each thing.\n",
	install_opts, 0, 0, H_NONE, 0, cmd_install
};

const struct cmd_entry cmd_uninstall_entry = {
	"uninstall", "[--purge [--yes]] [--label LABEL] [--dry-run]",
	"remove the scheduler entry (--purge: also every session and the "
	"home)",
	"  --purge         also stop every session and delete the home\n"
	"  --yes, -y       confirm --purge without a terminal\n"
	"  --label LABEL   launchd label (default org.roost.tick)\n"
	"  --dry-run, -n   print what would be removed; touch nothing\n",
	uninstall_opts, 0, 0, H_NONE, 0, cmd_uninstall
};
