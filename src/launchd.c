/*
 * launchd.c - the LaunchAgent that runs the tick on macOS:
 * ~/Library/LaunchAgents/<label>.plist, loaded with launchctl bootout,
 * enable and bootstrap in the gui/<uid> domain, or in user/<uid> when
 * there is no GUI login (SSH, a headless Mac): gui/<uid> refuses to
 * bootstrap there.  What was done is reported, a line each, for the
 * command to print.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOTSTRAP_TRIES	5

static int
agents_dir(char *out, size_t n)
{
	const char *e = getenv("ROOST_LAUNCH_AGENTS"), *home = getenv("HOME");

	if (e != NULL && *e != '\0')
		return snprintf(out, n, "%s", e) < (int)n ? 0 :
		    err_set(RX_FAIL, "ROOST_LAUNCH_AGENTS: too long");
	if (home == NULL || *home == '\0')
		return err_set(RX_FAIL, "HOME is not set: cannot find "
		    "~/Library/LaunchAgents");
	return snprintf(out, n, "%s/Library/LaunchAgents", home) < (int)n ?
	    0 : err_set(RX_FAIL, "HOME: too long");
}

/* launchctl's exit status, 128 when killed, -1 when it could not run. */
static int
lctl(const char *tool, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = { tool, a1, a2, a3, NULL };
	int rc = spawn_tool(argv, NULL, NULL);

	return rc < 256 ? rc : 128;
}

/* gui/<uid> when `launchctl print` knows it, else user/<uid> (said). */
static void
launchd_domain(const char *tool, char *domain, size_t n)
{
	(void)snprintf(domain, n, "gui/%ld", (long)getuid());
	if (lctl(tool, "print", domain, NULL) == 0)
		return;
	err_warn("note: no GUI login (launchctl print %s failed): using the "
	    "user/%ld domain", domain, (long)getuid());
	(void)snprintf(domain, n, "user/%ld", (long)getuid());
}

/* A label switched off with `launchctl disable` is never run, plist or
 * not: warn. */
static void
launchd_warn_disabled(const char *tool, const char *domain,
    const char *label)
{
	const char *argv[] = { tool, "print-disabled", domain, NULL };
	struct buf out = { 0 }, key = { 0 };
	const char *at, *eol;

	buf_addf(&key, "\"%s\" =>", label);
	if (spawn_tool(argv, &out, NULL) == 0 &&
	    (at = strstr(buf_str(&out), key.s)) != NULL) {
		at += key.len;
		eol = at + strcspn(at, "\n");
		while (at < eol && *at == ' ')
			at++;
		if ((size_t)(eol - at) >= 4 && (strncmp(at, "true", 4) == 0 ||
		    strncmp(at, "disabled", 8) == 0))
			err_warn("warning: launchd label %s is disabled in %s "
			    "(launchctl print-disabled): it will not run until "
			    "launchctl enable %s/%s", label, domain, domain,
			    label);
	}
	buf_free(&out);
	buf_free(&key);
}

static int
launchd_load(const char *tool, const char *domain, const char *plist,
    const char *label)
{
	char target[PATHBUF];
	struct timespec t0;
	int i, rc;

	(void)snprintf(target, sizeof target, "%s/%s", domain, label);
	(void)lctl(tool, "bootout", target, NULL);	/* absent is fine */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while (lctl(tool, "print", target, NULL) == 0) {
		if (now_ms_since(&t0) > PRINT_GONE_MS)
			return err_set(RX_FAIL, "launchctl: %s is still loaded "
			    "after bootout", target);
		now_sleep_ms(100);
	}
	if ((rc = lctl(tool, "enable", target, NULL)) != 0)
		return err_set(RX_FAIL, "launchctl enable %s: exit %d", target, rc);
	for (i = 0; i < BOOTSTRAP_TRIES; i++) {
		if ((rc = lctl(tool, "bootstrap", domain, plist)) == 0)
			return 0;
		if (rc != 5)
			break;
		now_sleep_ms(200L * (i + 1));	/* still being torn down */
	}
	return err_set(RX_FAIL, "launchctl bootstrap %s %s: exit %d", domain,
	    plist, rc);
}

int
launchd_install(const struct vars *v, const char *label, int dry,
    struct buf *report)
{
	char dir[PATHBUF], plist[PATHBUF * 2], tool[PATHBUF], domain[64];
	char target[PATHBUF];
	struct buf b = { 0 };
	struct stat st;
	int changed, existed, rc = -1;

	if (agents_dir(dir, sizeof dir) == -1 || render("launchd.plist", v,
	    &b) == -1)
		goto out;
	(void)snprintf(plist, sizeof plist, "%s/%s.plist", dir, label);
	if (dry) {
		buf_addf(report, "would write launchd agent %s:\n%s", plist, b.s);
		rc = 0;
		goto out;
	}
	if (stat(dir, &st) == -1 && mkdir(dir, 0755) == -1 && errno != EEXIST) {
		(void)err_set(RX_FAIL, "%s: cannot create: %s", dir,
		    strerror(errno));
		goto out;
	}
	if (spawn_find("ROOST_LAUNCHCTL", "launchctl", tool, sizeof tool) == -1)
		goto out;
	launchd_domain(tool, domain, sizeof domain);
	(void)snprintf(target, sizeof target, "%s/%s", domain, label);
	file_sweep_of(plist);	/* of an install killed mid-write */
	existed = lstat(plist, &st) == 0;
	if (file_write_changed(plist, &b, 0644, &changed) == -1)
		goto out;
	if (!changed && lctl(tool, "print", target, NULL) == 0) {
		buf_addf(report, "unchanged launchd agent %s\n", plist);
		launchd_warn_disabled(tool, domain, label);
		rc = 0;
		goto out;
	}
	if (launchd_load(tool, domain, plist, label) == -1) {
		/* Not loaded: leave no plist, or the next install would say
		 * "unchanged" and never load it.  The reason survives the
		 * removal: a failed removal is reported instead. */
		if (file_remove(plist) == 0)
			(void)err_set(RX_FAIL, "%s; removed %s so that the next "
			    "install retries", err_msg(), plist);
		goto out;
	}
	buf_addf(report, "%s launchd agent %s\n", !changed ? "loaded" :
	    existed ? "updated" : "created", plist);
	launchd_warn_disabled(tool, domain, label);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int
launchd_uninstall(const char *label, int dry, struct buf *report)
{
	char dir[PATHBUF], plist[PATHBUF * 2], tool[PATHBUF], target[PATHBUF];
	char domain[64];
	struct stat st;

	if (agents_dir(dir, sizeof dir) == -1)
		return HAVE_DARWIN ? -1 : 0;
	(void)snprintf(plist, sizeof plist, "%s/%s.plist", dir, label);
	if (lstat(plist, &st) == -1) {
		if (HAVE_DARWIN || getenv("ROOST_LAUNCH_AGENTS") != NULL)
			buf_adds(report, "unchanged launchd agent (none installed)\n");
		return 0;
	}
	if (dry) {
		buf_addf(report, "would remove launchd agent %s\n", plist);
		return 0;
	}
	if (spawn_find("ROOST_LAUNCHCTL", "launchctl", tool, sizeof tool) == -1)
		return -1;
	launchd_domain(tool, domain, sizeof domain);
	(void)snprintf(target, sizeof target, "%s/%s", domain, label);
	(void)lctl(tool, "bootout", target, NULL);
	if (file_remove(plist) == -1)
		return -1;
	buf_addf(report, "removed launchd agent %s\n", plist);
	return 0;
}
