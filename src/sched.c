/*
 * sched.c - install and uninstall: the home, the shared scripts and the
 * scheduler entry that runs `roost tick` (a crontab block on Linux, a
 * launchd agent on macOS).  Idempotent; --dry-run touches nothing.
 */
#include "roost.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LABEL	"org.roost.tick"
#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define CRONTAB_MAX	(1024 * 1024)
#define PRINT_GONE_MS	10000
#define BOOTSTRAP_TRIES	5

enum sched { S_NONE, S_CRON, S_LAUNCHD };

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
		return rerr(RX_USAGE, "--label: must be 1 to 200 characters, "
		    "without '/' and not start with '.'");
	for (p = l; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return rerr(RX_USAGE, "--label: control character");
	return 0;
}

/* An absolute path for a tool named by an environment override or PATH. */
static int
tool_path(const char *env, const char *name, char *out, size_t n)
{
	const char *e = getenv(env), *path;

	if (e != NULL && *e != '\0') {
		if (snprintf(out, n, "%s", e) >= (int)n)
			return rerr(RX_FAIL, "%s: too long", env);
		if (access(out, X_OK) == -1)
			return rerr(RX_FAIL, "%s=%s: %s", env, out,
			    strerror(errno));
		return 0;
	}
	for (path = getenv("PATH"); path != NULL && *path != '\0'; ) {
		size_t l = strcspn(path, ":");

		if (l > 0 && snprintf(out, n, "%.*s/%s", (int)l, path, name) <
		    (int)n && out[0] == '/' && access(out, X_OK) == 0)
			return 0;
		path += l + (path[l] == ':');
	}
	return rerr(RX_FAIL, "%s: command not found (set %s)", name, env);
}

/* Scheduler variables, shared by install and `roost render`. */
/* cron's resolution: whole minutes, 1 to 60. */
static unsigned long
cron_minutes(unsigned long interval)
{
	unsigned long m = (interval + 30) / 60;

	return m < 1 ? 1 : m > 60 ? 60 : m;
}

void
sched_vars(struct vars *v, unsigned long interval, const char *label,
    unsigned long *minutes)
{
	const char *path = getenv("PATH");
	char num[32], p[PATHBUF];
	unsigned long m = cron_minutes(interval);

	*minutes = m;
	(void)snprintf(num, sizeof num, "%lu", interval);
	vars_set(v, "interval", num);
	(void)snprintf(num, sizeof num, "%lu", m);
	vars_set(v, "interval_min", num);
	if (m == 1)
		(void)strcpy(num, "*");
	else if (m == 60)
		(void)strcpy(num, "0");
	else
		(void)snprintf(num, sizeof num, "*/%lu", m);
	vars_set(v, "cron_minute", num);
	vars_set(v, "label", label);
	vars_set(v, "path", path != NULL && *path != '\0' ? path :
	    DEFAULT_PATH);
	hpath(p, "log/tick.out");
	vars_set(v, "tick_out", p);
}

/* Builds and temporary paths make poor scheduler targets: say so. */
static void
warn_self(void)
{
	char dir[PATHBUF], p[PATHBUF + 16];
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	char *slash;

	if (R.self == NULL) {
		warnx_("warning: cannot tell roost's own absolute path; the "
		    "scheduler entry runs plain 'roost'");
		return;
	}
	(void)snprintf(dir, sizeof dir, "%s", R.self);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(p, sizeof p, "%s/Makefile.in", dir);
	if (stat(p, &st) == 0)
		warnx_("warning: %s is in a build tree; the scheduler entry "
		    "will run it from there (make install first)", R.self);
	else if (strncmp(R.self, "/tmp/", 5) == 0 ||
	    strncmp(R.self, "/var/tmp/", 9) == 0 ||
	    (tmp != NULL && *tmp != '\0' &&
	    strncmp(R.self, tmp, strlen(tmp)) == 0))
		warnx_("warning: %s is in a temporary directory; the scheduler "
		    "entry will break when it goes", R.self);
}

/* ---- cron ---- */

/* crontab -l; "no crontab" reads as empty, any other failure is an error. */
static int
crontab_read(const char *tool, struct buf *out)
{
	const char *argv[] = { tool, "-l", NULL };
	struct buf err = { 0 };
	int st;

	if (run(argv, out, &err, &st) == -1) {
		buf_free(&err);
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		buf_free(&err);
		return 0;
	}
	if (WIFEXITED(st) && strstr(buf_str(&err), "no crontab") != NULL) {
		buf_reset(out);
		buf_free(&err);
		return 0;
	}
	err.len = strcspn(buf_str(&err), "\n");
	err.s[err.len] = '\0';
	(void)rerr(RX_FAIL, "crontab -l failed: %s; nothing was changed",
	    err.len > 0 ? err.s : "unknown error");
	buf_free(&err);
	return -1;
}

static int
crontab_write(const char *tool, const struct buf *text)
{
	char tmp[PATHBUF];
	const char *argv[3];
	struct buf err = { 0 };
	int fd, st, rc;

	/* In the home when there is one; uninstall may run after it is gone. */
	if (home_exists())
		hpath(tmp, ".crontab.XXXXXX");
	else if (snprintf(tmp, sizeof tmp, "%s/roost-crontab.XXXXXX",
	    getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ?
	    getenv("TMPDIR") : "/tmp") >= (int)sizeof tmp)
		return rerr(RX_FAIL, "TMPDIR: too long");
	if ((fd = mkstemp(tmp)) == -1)
		return rerr_errno(tmp);
	errno = 0;
	if (write(fd, text->s != NULL ? text->s : "", text->len) !=
	    (ssize_t)text->len) {
		int saved = errno;

		(void)close(fd);
		(void)unlink(tmp);
		return rerr(RX_FAIL, "%s: cannot write: %s", tmp,
		    saved != 0 ? strerror(saved) : "short write (disk full?)");
	}
	if (close(fd) == -1) {
		(void)unlink(tmp);
		return rerr_errno(tmp);
	}
	argv[0] = tool;
	argv[1] = tmp;
	argv[2] = NULL;
	rc = run(argv, NULL, &err, &st);
	(void)unlink(tmp);
	if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		err.len = strcspn(buf_str(&err), "\n");
		err.s[err.len] = '\0';
		rc = rerr(RX_FAIL, "crontab: %s", err.len ? err.s : "failed");
	}
	buf_free(&err);
	return rc;
}

/*
 * The crontab without our block (other lines byte for byte), and where
 * the block was: *at is its offset in the result, -1 if absent.  A BEGIN
 * without its END is refused: stripping to the end would eat the user's
 * lines.
 */
static int
cron_strip(const struct buf *in, const char *begin, const char *end,
    struct buf *outb, long *at)
{
	const char *p = in->s != NULL ? in->s : "", *e = p + in->len;
	int inside = 0;

	*at = -1;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(e - p);
		size_t full = nl != NULL ? len + 1 : len;

		if (!inside && len == strlen(begin) &&
		    memcmp(p, begin, len) == 0) {
			inside = 1;
			if (*at < 0)
				*at = (long)outb->len;
		} else if (inside && len == strlen(end) &&
		    memcmp(p, end, len) == 0)
			inside = 0;
		else if (!inside)
			buf_add(outb, p, full);
		p += full;
	}
	(void)buf_str(outb);
	if (inside)
		return rerr(RX_FAIL, "crontab: '%s' has no '%s' line; fix the "
		    "crontab by hand (crontab -e); nothing was changed", begin,
		    end);
	return 0;
}

static int
cron_markers(char *begin, char *end, size_t n)
{
	struct buf b = { 0 };

	if (esc_line(&b, R.home) == -1) {
		buf_free(&b);
		return -1;
	}
	(void)snprintf(begin, n, "# BEGIN roost %s", b.s);
	(void)snprintf(end, n, "# END roost %s", b.s);
	buf_free(&b);
	return 0;
}

/* The crontab with our block in it (replaced in place, or added);
 * *had says whether it was there before. */
static int
cron_merge(const struct buf *cur, const struct buf *block, const char *begin,
    const char *end, struct buf *next, int *had)
{
	struct buf rest = { 0 };
	long at;

	if (cron_strip(cur, begin, end, &rest, &at) == -1) {
		buf_free(&rest);
		return -1;
	}
	*had = at >= 0;
	if (at >= 0) {
		buf_add(next, rest.s, (size_t)at);
		buf_add(next, block->s, block->len);
		buf_add(next, rest.s + at, rest.len - (size_t)at);
	} else if (rest.len > 0 && rest.s[rest.len - 1] != '\n') {
		/* No final newline: put the block first, so the user's bytes
		 * stay exactly as they were. */
		buf_add(next, block->s, block->len);
		buf_add(next, rest.s, rest.len);
	} else {
		buf_add(next, rest.s, rest.len);
		buf_add(next, block->s, block->len);
	}
	(void)buf_str(next);
	buf_free(&rest);
	return 0;
}

/* cur: the crontab as read before anything was created (NULL if dry). */
static int
install_cron(const struct vars *v, const char *tool, const struct buf *cur,
    int dry)
{
	char begin[PATHBUF + 32], end[PATHBUF + 32];
	struct buf block = { 0 }, next = { 0 };
	int had, rc = -1;

	if (render("crontab", v, &block) == -1 ||
	    cron_markers(begin, end, sizeof begin) == -1)
		goto out;
	if (dry) {
		out("would write cron entry:\n%s", block.s);
		rc = 0;
		goto out;
	}
	if (cron_merge(cur, &block, begin, end, &next, &had) == -1)
		goto out;
	if (next.len == cur->len && memcmp(next.s, cur->s, cur->len) == 0) {
		out("unchanged cron entry\n");
		rc = 0;
		goto out;
	}
	if (crontab_write(tool, &next) == -1)
		goto out;
	out("%s cron entry\n", had ? "updated" : "created");
	rc = 0;
out:
	buf_free(&block);
	buf_free(&next);
	return rc;
}

static int
uninstall_cron(int dry)
{
	char tool[PATHBUF], begin[PATHBUF + 32], end[PATHBUF + 32];
	struct buf cur = { 0 }, next = { 0 };
	long at;
	int rc = -1;

	if (cron_markers(begin, end, sizeof begin) == -1)
		return -1;
	if (tool_path("ROOST_CRONTAB", "crontab", tool, sizeof tool) == -1) {
		if (getenv("ROOST_CRONTAB") != NULL)
			return -1;
		return 0;	/* no cron here: nothing of ours either */
	}
	if (crontab_read(tool, &cur) == -1 ||
	    cron_strip(&cur, begin, end, &next, &at) == -1)
		goto out;
	if (at < 0) {
		out("unchanged cron entry (none installed)\n");
		rc = 0;
		goto out;
	}
	if (dry) {
		out("would remove cron entry\n");
		rc = 0;
		goto out;
	}
	if (crontab_write(tool, &next) == -1)
		goto out;
	out("removed cron entry\n");
	rc = 0;
out:
	buf_free(&cur);
	buf_free(&next);
	return rc;
}

/* ---- launchd ---- */

static int
agents_dir(char *out, size_t n)
{
	const char *e = getenv("ROOST_LAUNCH_AGENTS"), *home = getenv("HOME");

	if (e != NULL && *e != '\0')
		return snprintf(out, n, "%s", e) < (int)n ? 0 :
		    rerr(RX_FAIL, "ROOST_LAUNCH_AGENTS: too long");
	if (home == NULL || *home == '\0')
		return rerr(RX_FAIL, "HOME is not set: cannot find "
		    "~/Library/LaunchAgents");
	return snprintf(out, n, "%s/Library/LaunchAgents", home) < (int)n ?
	    0 : rerr(RX_FAIL, "HOME: too long");
}

static int
lctl(const char *tool, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = { tool, a1, a2, a3, NULL };
	int st;

	if (run(argv, NULL, NULL, &st) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int
launchd_load(const char *plist, const char *label)
{
	char tool[PATHBUF], domain[64], target[PATHBUF];
	struct timespec t0;
	int i, rc;

	if (tool_path("ROOST_LAUNCHCTL", "launchctl", tool, sizeof tool) == -1)
		return -1;
	(void)snprintf(domain, sizeof domain, "gui/%ld", (long)getuid());
	(void)snprintf(target, sizeof target, "%s/%s", domain, label);
	(void)lctl(tool, "bootout", target, NULL);	/* absent is fine */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while (lctl(tool, "print", target, NULL) == 0) {
		if (ms_since(&t0) > PRINT_GONE_MS)
			return rerr(RX_FAIL, "launchctl: %s is still loaded "
			    "after bootout", target);
		sleep_ms(100);
	}
	if ((rc = lctl(tool, "enable", target, NULL)) != 0)
		return rerr(RX_FAIL, "launchctl enable %s: exit %d", target, rc);
	for (i = 0; i < BOOTSTRAP_TRIES; i++) {
		if ((rc = lctl(tool, "bootstrap", domain, plist)) == 0)
			return 0;
		if (rc != 5)
			break;
		sleep_ms(200L * (i + 1));	/* still being torn down */
	}
	return rerr(RX_FAIL, "launchctl bootstrap %s %s: exit %d", domain,
	    plist, rc);
}

static int
install_launchd(const struct vars *v, const char *label, int dry)
{
	char dir[PATHBUF], plist[PATHBUF * 2];
	struct buf b = { 0 };
	struct stat st;
	int changed, existed, rc = -1;

	if (agents_dir(dir, sizeof dir) == -1 || render("launchd.plist", v,
	    &b) == -1)
		goto out;
	(void)snprintf(plist, sizeof plist, "%s/%s.plist", dir, label);
	if (dry) {
		out("would write launchd agent %s:\n%s", plist, b.s);
		rc = 0;
		goto out;
	}
	if (stat(dir, &st) == -1 && mkdir(dir, 0755) == -1 && errno != EEXIST) {
		(void)rerr(RX_FAIL, "%s: cannot create: %s", dir,
		    strerror(errno));
		goto out;
	}
	sweep_temps_of(plist);	/* of an install killed mid-write */
	existed = lstat(plist, &st) == 0;
	if (write_if_changed(plist, &b, 0644, &changed) == -1)
		goto out;
	if (!changed) {
		out("unchanged launchd agent %s\n", plist);
		rc = 0;
		goto out;
	}
	if (launchd_load(plist, label) == -1) {
		/* Not loaded: leave no plist, or the next install would say
		 * "unchanged" and never load it. */
		char why[1024];

		(void)snprintf(why, sizeof why, "%s", errmsg());
		(void)remove_file(plist);
		(void)rerr(RX_FAIL, "%s; removed %s so that the next install "
		    "retries", why, plist);
		goto out;
	}
	out("%s launchd agent %s\n", existed ? "updated" : "created", plist);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static int
uninstall_launchd(const char *label, int dry)
{
	char dir[PATHBUF], plist[PATHBUF * 2], tool[PATHBUF], target[PATHBUF];
	struct stat st;

	if (agents_dir(dir, sizeof dir) == -1)
		return HAVE_DARWIN ? -1 : 0;
	(void)snprintf(plist, sizeof plist, "%s/%s.plist", dir, label);
	if (lstat(plist, &st) == -1) {
		if (HAVE_DARWIN || getenv("ROOST_LAUNCH_AGENTS") != NULL)
			out("unchanged launchd agent (none installed)\n");
		return 0;
	}
	if (dry) {
		out("would remove launchd agent %s\n", plist);
		return 0;
	}
	if (tool_path("ROOST_LAUNCHCTL", "launchctl", tool, sizeof tool) == -1)
		return -1;
	(void)snprintf(target, sizeof target, "gui/%ld/%s", (long)getuid(),
	    label);
	(void)lctl(tool, "bootout", target, NULL);
	if (remove_file(plist) == -1)
		return -1;
	out("removed launchd agent %s\n", plist);
	return 0;
}

/* ---- the commands ---- */

/* The home tree and the shared scripts (with dry, only what would be). */
static int
install_home(int dry)
{
	int existed = home_exists(), changed;

	if (dry) {
		if (!existed)
			out("would create home %s\n", R.home);
		else if (home_open(0) == -1)
			return -1;
		if (render_shared(1, &changed) == -1)
			return -1;
		out(changed ? "would write %s/bin/pane-died\n" :
		    "unchanged %s/bin/pane-died\n", R.home);
		return 0;
	}
	if (home_open(1) == -1)
		return -1;
	out("%s home %s\n", existed ? "unchanged" : "created", R.home);
	if (render_shared(0, &changed) == -1)
		return -1;
	out("%s %s/bin/pane-died\n", changed ? existed ? "updated" :
	    "created" : "unchanged", R.home);
	return 0;
}

int
cmd_install(const struct args *a)
{
	const char *label = O.label != NULL ? O.label : DEFAULT_LABEL;
	int dry = O.dry_run != NULL, rc;
	unsigned long interval = 60, minutes;
	char tool[PATHBUF] = "";
	struct buf cur = { 0 };
	struct vars v = { 0 };
	enum sched s;

	(void)a;
	if (sched_parse(O.scheduler, &s) == -1)
		return usage_error("--scheduler %s: must be auto, cron, "
		    "launchd or none", O.scheduler);
	if (O.interval != NULL && (parse_ulong(O.interval, 86400, &interval) ==
	    -1 || interval == 0))
		return usage_error("--interval %s: must be 1 to 86400 seconds",
		    O.interval);
	if (label_check(label) == -1)
		return fail();
	if (s == S_CRON) {
		unsigned long m = cron_minutes(interval);

		if (m * 60 != interval)
			warnx_("notice: cron runs whole minutes, 1 to 60: "
			    "interval %lus rounded to %lu minute%s", interval,
			    m, m == 1 ? "" : "s");
	}
	warn_self();
	/* Read the crontab before creating anything: a failure writes
	 * nothing at all. */
	if (s == S_CRON && !dry && (tool_path("ROOST_CRONTAB", "crontab", tool,
	    sizeof tool) == -1 || crontab_read(tool, &cur) == -1)) {
		buf_free(&cur);
		return fail();
	}
	if ((rc = install_home(dry)) == 0) {
		(void)vars_std(&v, NULL, NULL);
		sched_vars(&v, interval, label, &minutes);
		if (s == S_CRON)
			rc = install_cron(&v, tool, &cur, dry);
		else if (s == S_LAUNCHD)
			rc = install_launchd(&v, label, dry);
		vars_free(&v);
	}
	buf_free(&cur);
	if (rc == 0 && !dry)
		lifelog("install", NULL, "scheduler", s == S_CRON ? "cron" :
		    s == S_LAUNCHD ? "launchd" : "none", LEND);
	return rc == 0 ? RX_OK : fail();
}

static int
purge_home(void)
{
	char **ids;
	int n, i, rc = 0;

	n = ids_list(&ids);
	for (i = 0; i < n; i++) {
		int lk = id_lock(ids[i], 1);
		pid_t cp;

		if (running(ids[i]) || (canary_pid(ids[i], &cp) == 0 &&
		    cp > 0)) {
			if (teardown(ids[i], "purge") == -1) {
				warnx_("%s", errmsg());
				rc = -1;
			} else
				out("stopped %s\n", ids[i]);
		}
		lock_drop(lk);
	}
	ids_free(ids, n);
	return rc;
}

/* rm -r without following symlinks (marker.c has the primitive). */
static int
rmtree(const char *path)
{
	const char *slash = strrchr(path, '/');
	char parent[PATHBUF];
	int dfd, rc;

	(void)snprintf(parent, sizeof parent, "%.*s", (int)(slash - path),
	    path);
	if ((dfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return rerr_errno(parent);
	rc = rmtree_at(dfd, slash + 1);
	(void)close(dfd);
	return rc == -1 ? rerr(RX_FAIL, "%s: cannot remove: %s", path,
	    strerror(errno)) : 0;
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

int
cmd_uninstall(const struct args *a)
{
	const char *label = O.label != NULL ? O.label : DEFAULT_LABEL;
	int dry = O.dry_run != NULL, n = 0, lk, rc;
	char **ids, p[PATHBUF];

	(void)a;
	if (label_check(label) == -1)
		return fail();
	if (O.purge != NULL && home_exists() && home_open(0) == -1)
		return fail();
	if (O.purge != NULL && !dry && O.yes == NULL && !isatty(STDIN_FILENO))
		return rerr(RX_USAGE, "--purge deletes %s: without a terminal "
		    "it needs --yes", R.home), fail();
	if (O.purge != NULL && home_exists()) {
		n = ids_list(&ids);
		ids_free(ids, n);
	}
	/* Say what a purge deletes and ask before removing anything. */
	if (O.purge != NULL && !dry && home_exists()) {
		(void)fprintf(stderr, "roost: uninstall: purging %s: %d "
		    "identit%s, their markers, scripts and logs\n", R.home, n,
		    n == 1 ? "y" : "ies");
		if (O.yes == NULL && !confirm(R.home))
			return rerr(RX_REFUSED, "not confirmed: nothing "
			    "deleted"), fail();
	}
	if (uninstall_cron(dry) == -1 || uninstall_launchd(label, dry) == -1)
		return fail();
	if (O.purge == NULL)
		return RX_OK;
	if (!home_exists()) {
		out("unchanged home %s (absent)\n", R.home);
		return RX_OK;
	}
	if (dry) {
		out("would stop every session and remove home %s (%d "
		    "identit%s)\n", R.home, n, n == 1 ? "y" : "ies");
		return RX_OK;
	}
	/* Hold the tick lock: a tick already running must not relaunch
	 * what the purge stops. */
	hpath(p, "state/.tick.lock");
	if ((lk = lock_take(p, 1)) == -1)
		return fail();
	rc = purge_home() == -1 || rmtree(R.home) == -1 ? -1 : 0;
	lock_drop(lk);
	if (rc == -1)
		return fail();
	out("removed home %s\n", R.home);
	return RX_OK;
}
