/*
 * tick.c - one supervision pass over every identity (contract section 7).
 *
 * The healthy path of an identity costs a conf read, a few lstat(2)s, one
 * connect(2) and one kill(pid, 0): no fork, no exec.  Only actions
 * (launch, teardown, canary respawn) start processes.  One identity's
 * failure is logged and the pass goes on.
 */
#include "roost.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tally {
	int	 ids, running, launched, reaped, deaths, errors;
};

/*
 * One listing of state/ and of the socket directory per pass: whether a
 * marker or a socket exists becomes a lookup, not a syscall.  It only
 * decides which identities need a closer look; anything acted on is
 * checked again under the identity's lock.
 */
struct names {
	char	**v;
	size_t	 n;
};

struct snap {
	struct names state, sock;
};

/* Is "<id>" (m NULL) or "<id>.<m>" in the listing? */
static int
has(const struct names *nm, const char *id, const char *m)
{
	char key[ID_MAX + 32];
	const char *k = key;

	if (m != NULL)
		(void)snprintf(key, sizeof key, "%s.%s", id, m);
	else
		k = id;
	return nm->n > 0 &&
	    bsearch(&k, nm->v, nm->n, sizeof *nm->v, names_cmp) != NULL;
}

/* Newest mtime of the activity file, or of the entries of the activity
 * directory (default: the pane log); never earlier than woke. */
time_t
activity_time(const char *id, const struct conf *c, time_t woke)
{
	char p[PATHBUF];
	struct stat st;
	time_t t = woke;

	if (c->activity != NULL)
		(void)snprintf(p, sizeof p, "%s", c->activity);
	else
		hpath(p, "log/%s.log", id);
	if (stat(p, &st) == -1)
		return t;
	if (st.st_mtime > t)
		t = st.st_mtime;
	if (S_ISDIR(st.st_mode)) {
		struct dirent *de;
		DIR *d;
		int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
			if (dfd != -1)
				(void)close(dfd);
			return t;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    st.st_mtime > t)
				t = st.st_mtime;
		(void)closedir(d);
	}
	return t;
}

static void
tick_error(struct tally *t, const char *id, const char *op)
{
	char why[1024];

	(void)snprintf(why, sizeof why, "%s", errmsg());
	(void)fprintf(stderr, "roost: tick: %s: %s\n", id, why);
	lifelog("error", id, "op", op, "error", why, LEND);
	t->errors++;
}

static int
crash_looping(const char *id, const struct conf *c, time_t now)
{
	struct death d[DEATHS_KEEP];
	unsigned long in = 0;
	int n, i;
	char buf[64];

	n = deaths_read(id, d, DEATHS_KEEP);
	for (i = 0; i < n; i++)
		if (d[i].when > now - (time_t)c->cl_window)
			in++;
	if (in < c->cl_deaths)
		return 0;
	(void)snprintf(buf, sizeof buf, "deaths=%lu window=%lu\n", in,
	    c->cl_window);
	if (marker_set(id, M_CRASHLOOP, buf) == -1)
		return -1;
	(void)snprintf(buf, sizeof buf, "%lu", in);
	lifelog("refused", id, "cause", "crash-loop", "deaths", buf, LEND);
	return 1;
}

/* 1. running */
static void
tick_running(const char *id, const struct conf *c, struct tally *t,
    time_t now)
{
	struct session s;
	char p[PATHBUF];
	const char *what;
	pid_t cp;

	t->running++;
	if (marker_has(id, M_STOPPED) == 1) {
		/* A stop by touch parks like roost stop: start resumes. */
		if (marker_set(id, M_IDLE, "") == -1 ||
		    teardown(id, "stopped") == -1)
			tick_error(t, id, "teardown");
		return;
	}
	if (marker_has(id, M_WAKE) == 1)
		(void)marker_rm(id, M_WAKE);	/* already awake */
	if (session_read(id, &s) != 0)
		memset(&s, 0, sizeof s);
	/* A pane that ended unnoticed (a lost SIGCHLD, see launch()): nudge
	 * its server so it reaps and the pane-died hook records the exit. */
	if (s.pane_pid > 1 && s.server_pid > 1 && !pid_alive(s.pane_pid))
		(void)kill(s.server_pid, SIGCHLD);
	if (c->idle > 0) {
		time_t act = activity_time(id, c, s.woke);

		if (now - act > (time_t)c->idle) {
			char age[24];

			(void)snprintf(age, sizeof age, "%lld",
			    (long long)(now - act));
			if (marker_set(id, M_IDLE, "") == -1 ||
			    teardown(id, "idle") == -1) {
				tick_error(t, id, "reap");
				return;
			}
			lifelog("reap", id, "reason", "idle", "age", age, LEND);
			t->reaped++;
			return;
		}
	}
	if (!canary_live(id, &cp)) {
		if (canary_ensure(id, "tick", &what) == -1)
			tick_error(t, id, "canary");
	}
	hpath(p, "log/%s.log", id);
	(void)pane_log_trim(p);
}

static int
wants_launch(const char *id)
{
	return marker_has(id, M_WAKE) == 1 || queue_nonempty(id) == 1;
}

static void
tick_launch(const char *id, const struct conf *c, struct tally *t,
    const char *cause)
{
	if (launch(id, c, NULL, cause, NULL) == -1) {
		/* launch() has logged ev=error already: stderr and count only */
		(void)fprintf(stderr, "roost: tick: %s: %s\n", id, errmsg());
		t->errors++;
	} else
		t->launched++;
}

/* A running identity with nothing to do: not stopped, no stale wake, its
 * pane alive, not idle, its canary alive, its pane log within bounds.
 * Reads only: stat, read, kill(0). */
static int
healthy(const char *id, const struct conf *c, time_t now,
    const struct snap *sn)
{
	struct session s;
	struct stat st;
	char p[PATHBUF];
	pid_t cp;

	if (has(&sn->state, id, M_STOPPED) || has(&sn->state, id, M_WAKE) ||
	    session_read(id, &s) != 0)
		return 0;
	if (s.pane_pid > 1 && !pid_alive(s.pane_pid))
		return 0;
	if (c->idle > 0 && now - activity_time(id, c, s.woke) >
	    (time_t)c->idle)
		return 0;
	if (!canary_live(id, &cp))
		return 0;
	hpath(p, "log/%s.log", id);
	return lstat(p, &st) == -1 || st.st_size <= PANE_LOG_MAX;
}

static void
tick_one(const char *id, struct tally *t, time_t now, const struct snap *sn)
{
	struct session s;
	struct conf c;
	int lk, clean, relaunch, alive;

	t->ids++;
	if (conf_read(id, &c) == -1) {
		tick_error(t, id, "conf");
		return;
	}
	/* Down with nothing requested, or running with nothing to do: the
	 * locked pass below would do nothing either, so it is skipped (most
	 * identities are parked).  Anything else is decided again under the
	 * lock. */
	alive = has(&sn->sock, id, NULL) && running(id);
	if ((!alive && !has(&sn->state, id, M_SESSION) &&
	    (has(&sn->state, id, M_STOPPED) ||
	    has(&sn->state, id, M_CRASHLOOP) ||
	    !(has(&sn->state, id, M_WAKE) || (has(&sn->state, id, M_QUEUE) &&
	    queue_nonempty(id) == 1)))) ||
	    (alive && healthy(id, &c, now, sn))) {
		t->running += alive;
		conf_free(&c);
		return;
	}
	/* Busy (a command or a stuck teardown holds it): next pass. */
	if ((lk = id_lock(id, 0)) < 0) {
		if (lk == -1)
			tick_error(t, id, "lock");
		conf_free(&c);
		return;
	}
	if (running(id))
		tick_running(id, &c, t, now);
	else if (session_read(id, &s) == 0) {
		/* 2. it died since the last pass */
		t->deaths++;
		if (death_record(id, &s, &clean) == -1)
			tick_error(t, id, "death");
		relaunch = c.restart == RESTART_ALWAYS ||
		    (c.restart == RESTART_ON_FAILURE && !clean);
		if (marker_has(id, M_STOPPED) == 1)
			relaunch = 0;
		if (relaunch && crash_looping(id, &c, now) == 0)
			tick_launch(id, &c, t, "restart");
	} else if (marker_has(id, M_STOPPED) != 1 &&
	    marker_has(id, M_CRASHLOOP) != 1 && wants_launch(id) &&
	    crash_looping(id, &c, now) == 0) {
		/* 3. a wake request (a poison queue item still crash-loops) */
		tick_launch(id, &c, t, marker_has(id, M_WAKE) == 1 ? "wake" :
		    "queue");
	}
	lock_drop(lk);
	conf_free(&c);
}

static void
janitor(void)
{
	char p[PATHBUF];

	hpath(p, "log/lifecycle.log");
	(void)rotate_if_big(p, LOG_ROTATE_BYTES, LOG_KEEP);
	hpath(p, "log/exits.log");
	(void)rotate_if_big(p, LOG_ROTATE_BYTES, LOG_KEEP);
	hpath(p, "state");
	sweep_temps(p);
	hpath(p, "conf");
	sweep_temps(p);
	hpath(p, "bin");
	sweep_temps(p);
}

int
cmd_tick(const struct args *a)
{
	struct tally t = { 0 };
	struct snap sn;
	struct timespec t0, ts;
	char p[PATHBUF], n[6][24];
	char **ids;
	int lk, nids, i, verbose = O.verbose != NULL || R.verbose;

	(void)a;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	hpath(p, "state");
	if (!home_exists() || path_mtime(p, &ts) == 1)
		return RX_OK;	/* no home, or no markers yet: nothing to do */
	hpath(p, "state/.tick.lock");
	if ((lk = lock_take(p, 0)) == -2) {
		lifelog("tick", NULL, "skipped", "locked", LEND);
		if (verbose)
			out("tick skipped: another tick holds the lock\n");
		return RX_OK;
	}
	if (lk < 0)
		return fail();
	janitor();
	nids = ids_list(&ids);
	hpath(p, "state");
	sn.state.v = dir_names(p, &sn.state.n);
	sn.sock.v = dir_names(R.sockdir, &sn.sock.n);
	hpath(p, "conf");
	R.conffd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (i = 0; i < nids; i++)
		tick_one(ids[i], &t, now_wall(), &sn);
	if (R.conffd >= 0)
		(void)close(R.conffd);
	R.conffd = -1;
	names_free(sn.state.v, sn.state.n);
	names_free(sn.sock.v, sn.sock.n);
	ids_free(ids, nids);
	if (verbose || t.launched || t.reaped || t.deaths || t.errors) {
		(void)snprintf(n[0], sizeof n[0], "%d", t.ids);
		(void)snprintf(n[1], sizeof n[1], "%d", t.running);
		(void)snprintf(n[2], sizeof n[2], "%d", t.launched);
		(void)snprintf(n[3], sizeof n[3], "%d", t.reaped);
		(void)snprintf(n[4], sizeof n[4], "%d", t.deaths);
		(void)snprintf(n[5], sizeof n[5], "%ld", ms_since(&t0));
		lifelog("tick", NULL, "ids", n[0], "running", n[1], "launched",
		    n[2], "reaped", n[3], "deaths", n[4], "ms", n[5], LEND);
		if (verbose)
			out("tick ids=%s running=%s launched=%s reaped=%s "
			    "deaths=%s ms=%s\n", n[0], n[1], n[2], n[3], n[4],
			    n[5]);
	}
	lock_drop(lk);
	return RX_OK;
}
