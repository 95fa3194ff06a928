/*
 * scope.c - the identity's own systemd scope (Linux, where a user
 * manager answers): a launch runs its canary, and so the tmux server and
 * the program, under `systemd-run --user --scope --unit=roost-<id>
 * --slice=roost.slice`, which moves itself into the new scope and then
 * execs the canary (the pid stays the same).  Elsewhere (macOS, cron-only
 * hosts, containers without a manager) every function says "plain" and
 * roost runs as before.
 *
 * Whether a manager answers costs no fork: its private socket
 * ($XDG_RUNTIME_DIR/systemd/private, the runtime directory defaulted to
 * /run/user/<uid> so cron and the timer find it) is a socket of ours.
 * ROOST_SYSTEMD_RUN names the tool (the tests' stand-in).
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#define HAVE_SCOPE	1
#else
#define HAVE_SCOPE	0
#endif

#define SCOPE_STOP_MS	15000	/* systemctl --user stop of a stale scope */

static int known = -1;		/* scope_manager(): -1 not yet asked */
static char why_not[160];
static char run_tool[PATHBUF];

/* XDG_RUNTIME_DIR as the user manager has it: cron and a bare
 * environment do not set it, and systemctl --user needs it. */
const char *
scope_runtime_dir(void)
{
	static char dflt[PATHBUF];
	const char *e = getenv("XDG_RUNTIME_DIR");
	const char *base = getenv("ROOST_RUNTIME_BASE");	/* tests */
	struct stat st;

	if (e != NULL && e[0] == '/')
		return e;
	if (base == NULL || base[0] != '/')
		base = "/run/user";
	if (snprintf(dflt, sizeof dflt, "%s/%ld", base, (long)getuid()) >=
	    (int)sizeof dflt)
		return NULL;
	if (stat(dflt, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid())
		return NULL;
	(void)setenv("XDG_RUNTIME_DIR", dflt, 1);
	return dflt;
}

/* 1 when a user manager answers and systemd-run is there, 0 when not
 * (scope_why() says why); asked once per process. */
int
scope_manager(void)
{
	char sock[PATHBUF];
	const char *rt;
	struct stat st;

	if (known != -1)
		return known;
	known = 0;
	if (!HAVE_SCOPE && getenv("ROOST_SYSTEMD_RUN") == NULL) {
		(void)snprintf(why_not, sizeof why_not, "no systemd on this "
		    "platform");
		return 0;
	}
	if ((rt = scope_runtime_dir()) == NULL) {
		(void)snprintf(why_not, sizeof why_not, "no XDG_RUNTIME_DIR "
		    "and no /run/user/%ld", (long)getuid());
		return 0;
	}
	if (snprintf(sock, sizeof sock, "%s/systemd/private", rt) >=
	    (int)sizeof sock || lstat(sock, &st) == -1 ||
	    !S_ISSOCK(st.st_mode) || st.st_uid != getuid()) {
		(void)snprintf(why_not, sizeof why_not, "no user manager "
		    "(%.100s/systemd/private)", rt);
		return 0;
	}
	if (spawn_find("ROOST_SYSTEMD_RUN", "systemd-run", run_tool,
	    sizeof run_tool) == -1) {
		(void)snprintf(why_not, sizeof why_not, "%s", err_msg());
		return 0;
	}
	return known = 1;
}

const char *
scope_why(void)
{
	return why_not;
}

/* The unit of an identity's scope: roost-<id>.scope. */
void
scope_unit(const char *id, char *out, size_t n)
{
	(void)snprintf(out, n, "roost-%s.scope", id);
}

/*
 * argv for running inner in the transient scope unit (a name ending in
 * .scope), with the memory limits mm/mh (byte counts, NULL or "" for
 * none) and a runtime limit of max_s seconds (0: none).  The strings
 * live in sa until scope_argv_free().
 */
void
scope_argv(struct scope_argv *sa, const char *unit, const char *mm,
    const char *mh, long max_s, const char *const inner[])
{
	size_t n = 0, i;

	memset(sa, 0, sizeof *sa);
	(void)snprintf(sa->unit, sizeof sa->unit, "--unit=%s", unit);
	sa->v[n++] = run_tool;
	sa->v[n++] = "--user";
	sa->v[n++] = "--scope";
	sa->v[n++] = sa->unit;
	sa->v[n++] = "--slice=" SCOPE_SLICE;
	sa->v[n++] = "--collect";
	sa->v[n++] = "--quiet";
	if (mm != NULL && *mm != '\0') {
		(void)snprintf(sa->max, sizeof sa->max, "MemoryMax=%s", mm);
		sa->v[n++] = "-p";
		sa->v[n++] = sa->max;
	}
	if (mh != NULL && *mh != '\0') {
		(void)snprintf(sa->high, sizeof sa->high, "MemoryHigh=%s", mh);
		sa->v[n++] = "-p";
		sa->v[n++] = sa->high;
	}
	if (max_s > 0) {
		(void)snprintf(sa->rt, sizeof sa->rt, "RuntimeMaxSec=%ld",
		    max_s);
		sa->v[n++] = "-p";
		sa->v[n++] = sa->rt;
	}
	sa->v[n++] = "--";
	for (i = 0; inner[i] != NULL && n < SCOPE_ARGV_MAX - 1; i++)
		sa->v[n++] = inner[i];
	sa->v[n] = NULL;
}

/* pid's cgroup on the unified hierarchy ("0::<path>"), or -1. */
int
scope_cgroup(pid_t pid, char *out, size_t n)
{
	char p[64], line[1024];
	FILE *f;
	int rc = -1;

	(void)snprintf(p, sizeof p, "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			rc = snprintf(out, n, "%s", line + 3) < (int)n ? 0 : -1;
			break;
		}
	(void)fclose(f);
	return rc;
}

/* This process runs in a scope of roost.slice whose unit name starts
 * with prefix ("roost-bob.scope" for "roost-bob."): 1, else 0. */
int
scope_self_in(const char *prefix)
{
	char cg[PATHBUF], *leaf;

	if (scope_cgroup(getpid(), cg, sizeof cg) == -1 ||
	    strstr(cg, "/" SCOPE_SLICE "/") == NULL)
		return 0;
	leaf = strrchr(cg, '/') + 1;
	return strncmp(leaf, prefix, strlen(prefix)) == 0;
}

/*
 * memory.current of the cgroup path cg (as /proc/<pid>/cgroup names it),
 * on the unified hierarchy wherever it is mounted: 0 with the bytes, -1
 * when there is none to read (no memory controller there).
 */
int
scope_memory_current(const char *cg, unsigned long long *bytes)
{
	static const char *const roots[] = { "/sys/fs/cgroup",
	    "/sys/fs/cgroup/unified", NULL };
	char p[PATHBUF], line[64];
	FILE *f;
	int i, rc = -1;

	for (i = 0; rc == -1 && roots[i] != NULL; i++) {
		if (snprintf(p, sizeof p, "%s%s/memory.current", roots[i],
		    cg) >= (int)sizeof p || (f = fopen(p, "re")) == NULL)
			continue;
		if (fgets(line, sizeof line, f) != NULL &&
		    sscanf(line, "%llu", bytes) == 1)
			rc = 0;
		(void)fclose(f);
	}
	return rc;
}

/* The memory of the cgroup pid runs in (a scoped server: its whole
 * scope), for status's MEM: 0 with the bytes, -1 when unreadable. */
int
scope_memory_pid(pid_t pid, unsigned long long *bytes)
{
	char cg[PATHBUF];

	if (scope_cgroup(pid, cg, sizeof cg) == -1)
		return -1;
	return scope_memory_current(cg, bytes);
}

/* systemctl --user kill --signal=SIGKILL unit: what is left in an
 * identity's scope once its session is gone (a program's child that left
 * its process group) is the identity's, and goes with it.  The scope,
 * empty, then ends by itself. */
int
scope_kill(const char *unit)
{
	char tool[PATHBUF];
	const char *argv[] = { tool, "--user", "kill", "--signal=SIGKILL",
	    unit, NULL };

	if (scope_runtime_dir() == NULL ||
	    spawn_find("ROOST_SYSTEMCTL", "systemctl", tool, sizeof tool) == -1)
		return -1;
	return spawn_tool_ms(argv, NULL, NULL, SCOPE_STOP_MS) == 0 ? 0 : -1;
}

/* A scope left over from a session that is gone (an orphan of its
 * program still in it) gives its name back: what is in it is killed,
 * then it is stopped (at once, being empty).  The first line systemctl
 * said goes to why. */
int
scope_stop(const char *unit, struct buf *why)
{
	char tool[PATHBUF];
	const char *argv[] = { tool, "--user", "stop", unit, NULL };
	int rc;

	if (scope_runtime_dir() == NULL ||
	    spawn_find("ROOST_SYSTEMCTL", "systemctl", tool, sizeof tool) == -1)
		return -1;
	(void)scope_kill(unit);
	rc = spawn_tool_ms(argv, NULL, why, SCOPE_STOP_MS);
	return rc == 0 ? 0 : -1;
}

/* Why systemd-run will not make the scope: run it for /bin/true and keep
 * the first line it says.  0 when it worked after all. */
int
scope_probe(const char *unit, const char *mm, const char *mh,
    struct buf *why)
{
	const char *const inner[] = { "/bin/true", NULL };
	struct scope_argv sa;
	int rc;

	scope_argv(&sa, unit, mm, mh, 0, inner);
	rc = spawn_tool_ms(sa.v, NULL, why, SCOPE_STOP_MS);
	if (rc != 0 && why->len == 0)
		buf_addf(why, "%s exited %d", run_tool, rc);
	return rc == 0 ? 0 : -1;
}

/* Whether memory limits can be enforced here: 0, or -1 with the reason
 * (no manager, no memory controller on the unified hierarchy).
 * ROOST_SCOPE_MEMORY=1 with a stand-in systemd-run: the tests' host. */
int
scope_memory_enforced(void)
{
	static const char *const files[] = {
	    "/sys/fs/cgroup/cgroup.controllers",
	    "/sys/fs/cgroup/unified/cgroup.controllers", NULL };
	char line[512];
	FILE *f;
	int i;

	if (scope_manager() != 1)
		return err_set(RX_USAGE, "cannot be enforced here: %s",
		    scope_why());
	if (getenv("ROOST_SYSTEMD_RUN") != NULL &&
	    getenv("ROOST_SCOPE_MEMORY") != NULL)
		return 0;	/* the tests' stand-in manager */
	for (i = 0; files[i] != NULL; i++) {
		if ((f = fopen(files[i], "re")) == NULL)
			continue;
		line[0] = '\0';
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		(void)fclose(f);
		if (strstr(line, "memory") != NULL)
			return 0;
	}
	/* A memory controller on cgroup v1 only is never delegated to a
	 * user manager (systemd delegates v1 controllers to privileged
	 * units alone): MemoryMax= would be accepted and ignored. */
	return err_set(RX_USAGE, "cannot be enforced here: no memory "
	    "controller on the unified cgroup hierarchy (cgroup v1 memory is "
	    "not delegated to a user manager)");
}
