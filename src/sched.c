/*
 * sched.c - what every scheduler entry shares: the template variables
 * that say how often and how the tick runs and the environment baked
 * into it; the record of what install installed (state/.scheduler, one
 * line "scheduler=<name> interval=<secs>"), written and read here; the
 * record of the last completed pass (state/.tick.last, its ev=tick line).
 * It works on files of the home, so it sits in the state layer.
 */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define TICK_LAST	"state/.tick.last"

extern char **environ;

/* cron's resolution: whole minutes, 1 to 60. */
unsigned long
sched_cron_minutes(unsigned long interval)
{
	unsigned long m = (interval + 30) / 60;

	return m < 1 ? 1 : m > 60 ? 60 : m;
}

static void
env_add(struct buf *b, const char *name, const char *val)
{
	if (val == NULL || *val == '\0')
		return;
	if (strchr(val, '\n') != NULL) {
		err_warn("warning: %s holds a newline: not baked into the "
		    "scheduler entry", name);
		return;
	}
	buf_addf(b, "%s=%s\n", name, val);
}

static int
lc_name(const char *e)
{
	size_t n = strcspn(e, "=");

	return strncmp(e, "LC_", 3) == 0 && e[n] == '=' && n > 3 &&
	    strspn(e + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == n - 3;
}

/*
 * The environment the entry bakes in, as NAME=VALUE lines: HOME, the
 * home and socket directory, the PATH, the tmux and its configuration
 * and the utmp shim when set (ROOST_TMUX, ROOST_TMUX_CONF,
 * ROOST_UTMP_SHIM: the tick's launches start the servers a start
 * would) and the locale (LANG, every LC_*) in force now.
 * cron, systemd and launchd each give the tick a bare environment of
 * their own; this makes it the installing shell's.
 */
static void
sched_env(struct buf *b)
{
	const char *path = getenv("PATH"), *shim;
	char **lc = NULL, **e;
	size_t n = 0, i;

	env_add(b, "HOME", getenv("HOME"));
	env_add(b, "ROOST_HOME", home_dir());
	env_add(b, "ROOST_SOCK_DIR", home_sockdir());
	env_add(b, "PATH", path != NULL && *path != '\0' ? path : DEFAULT_PATH);
	env_add(b, "ROOST_TMUX", getenv("ROOST_TMUX"));
	env_add(b, "ROOST_TMUX_CONF", getenv("ROOST_TMUX_CONF"));
	/* Set and empty, it says "no utmp shim": baked as it is. */
	if ((shim = getenv("ROOST_UTMP_SHIM")) != NULL && *shim == '\0')
		buf_adds(b, "ROOST_UTMP_SHIM=\n");
	else
		env_add(b, "ROOST_UTMP_SHIM", shim);
	env_add(b, "LANG", getenv("LANG"));
	for (e = environ; e != NULL && *e != NULL; e++)
		if (lc_name(*e)) {
			lc = xrealloc(lc, sizeof *lc * (n + 1));
			lc[n++] = *e;
		}
	if (n > 1)
		qsort(lc, n, sizeof *lc, file_names_cmp);
	for (i = 0; i < n; i++) {
		char name[64];
		size_t k = strcspn(lc[i], "=");

		(void)snprintf(name, sizeof name, "%.*s", (int)k, lc[i]);
		env_add(b, name, lc[i] + k + 1);
	}
	free(lc);
}

/* The variables of the scheduler templates (crontab, launchd.plist, the
 * systemd units), for install and for `roost render`. */
void
sched_vars(struct vars *v, unsigned long interval, const char *label,
    unsigned long *minutes)
{
	char num[32], p[PATHBUF];
	unsigned long m = sched_cron_minutes(interval);
	struct buf env = { 0 };

	*minutes = m;
	(void)snprintf(num, sizeof num, "%lu", interval);
	render_set(v, "interval", num);
	(void)snprintf(num, sizeof num, "%lu", interval < 60 ? interval : 60);
	render_set(v, "boot_delay", num);
	(void)snprintf(num, sizeof num, "%lu", m);
	render_set(v, "interval_min", num);
	if (m == 1)
		(void)strcpy(num, "*");
	else if (m == 60)
		(void)strcpy(num, "0");
	else
		(void)snprintf(num, sizeof num, "*/%lu", m);
	render_set(v, "cron_minute", num);
	render_set(v, "label", label);
	render_set(v, "unit", SCHED_UNIT);
	home_path(p, "log/tick.out");
	render_set(v, "tick_out", p);
	sched_env(&env);
	render_set(v, "env", buf_str(&env));
	buf_free(&env);
}

/* state/.scheduler: what install installed, for the tick and status. */
int
sched_record(const char *name, unsigned long interval)
{
	char p[PATHBUF], line[64];

	home_path(p, SCHED_FILE);
	(void)snprintf(line, sizeof line, "scheduler=%s interval=%lu\n", name,
	    interval);
	return file_write(p, line, strlen(line), 0600);
}

int
sched_forget(void)
{
	char p[PATHBUF];

	home_path(p, SCHED_FILE);
	return file_remove(p);
}

/*
 * What state/.scheduler, written by install, says: 0 read, 1 absent (name
 * "", interval 60), -1 unreadable.  The interval is in seconds, what the
 * entry really runs at (cron's rounded to whole minutes).
 */
int
sched_read(char *name, size_t n, unsigned long *interval)
{
	struct buf b = { 0 }, v = { 0 };
	char p[PATHBUF];
	int rc;

	*interval = 60;
	name[0] = '\0';
	home_path(p, SCHED_FILE);
	if ((rc = file_read(p, &b, 4096)) == 0) {
		if (logfmt_get(b.s, "scheduler", &v) == 0)
			(void)snprintf(name, n, "%s", v.s);
		if (logfmt_get(b.s, "interval", &v) != 0 ||
		    num_ulong(v.s, 86400, interval) == -1 || *interval == 0)
			*interval = 60;
	}
	buf_free(&b);
	buf_free(&v);
	return rc;
}

/* When install recorded the scheduler (state/.scheduler's mtime), 0
 * when it did not. */
time_t
sched_since(void)
{
	struct timespec ts;
	char p[PATHBUF];

	home_path(p, SCHED_FILE);
	return file_mtime(p, &ts) == 0 ? ts.tv_sec : 0;
}

/* A completed pass: its ev=tick line in state/.tick.last, where status
 * tells from it (and its mtime) whether the scheduler runs. */
void
sched_pass_done(const struct tally *t, const char *origin)
{
	struct buf b = { 0 };
	char p[PATHBUF];

	logfmt_begin(&b, "tick", NULL);
	logfmt_kvl(&b, "ids", t->ids);
	logfmt_kvl(&b, "running", t->running);
	logfmt_kvl(&b, "launched", t->launched);
	logfmt_kvl(&b, "reaped", t->reaped);
	logfmt_kvl(&b, "deaths", t->deaths);
	logfmt_kvl(&b, "ms", t->ms);
	logfmt_kv(&b, "origin", origin);
	buf_addc(&b, '\n');
	home_path(p, TICK_LAST);
	if (file_replace(p, b.s, b.len, 0600) == -1)
		err_warn("%s", err_msg());
	buf_free(&b);
}

/* The last completed pass: 0 with its line and when it ended, 1 when
 * there was none. */
int
sched_last_pass(struct buf *line, time_t *when)
{
	struct timespec ts;
	char p[PATHBUF];
	int rc;

	home_path(p, TICK_LAST);
	if ((rc = file_read(p, line, 4096)) != 0)
		return rc;
	line->len = strcspn(line->s, "\n");
	line->s[line->len] = '\0';
	*when = file_mtime(p, &ts) == 0 ? ts.tv_sec : 0;
	return 0;
}
