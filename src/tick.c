/*
 * tick.c - one supervision pass over every identity.
 *
 * The rules, in the order they apply to one identity:
 *
 *  1. Running (its socket accepts a connection):
 *     a. .stopped is present: tear it down, parked (start resumes).
 *     b. a .wake is stale (it is already awake): remove it.
 *     c. the pane pid in .session is gone but tmux has not noticed (a
 *        lost SIGCHLD): nudge the server with SIGCHLD.
 *     d. idle longer than the conf's idle: tear it down, parked (reap).
 *     e. its canary is not alive: spawn a new one.
 *     f. its pane log is over the cap: cut it.
 *  2. Not running, .session present: it died.  Record the death, then
 *     restart by policy unless .stopped, through the crash-loop guard.
 *  3. Not running, no .session: .stopped or .crash-loop: nothing; .wake
 *     or a non-empty .queue/: launch (resume when parked), through the
 *     crash-loop guard; otherwise nothing.
 *
 * tick_decide() is the only place these rules are written.  It is pure:
 * facts in, actions out.  The pass calls it twice per identity: first on
 * facts from one listing of state/ and of the socket directory, without
 * the lock (most identities need nothing, and a healthy running one costs
 * stat, read, connect and kill(0): no fork, no exec); then, when that
 * asks for anything, on facts read again under the identity's lock, and
 * acts on that second answer.  One identity's failure is logged and the
 * pass goes on.
 */
#include "roost.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Actions, applied in this order. */
enum {
	A_PARK_STOPPED	= 1 << 0,	/* 1a, ends the list */
	A_UNWAKE	= 1 << 1,	/* 1b */
	A_NUDGE		= 1 << 2,	/* 1c */
	A_REAP		= 1 << 3,	/* 1d, ends the list */
	A_CANARY	= 1 << 4,	/* 1e */
	A_TRIM		= 1 << 5,	/* 1f */
	A_DEATH		= 1 << 6,	/* 2 */
	A_LAUNCH	= 1 << 7	/* 3 */
};

/* One listing of state/ and of the socket directory per pass: whether a
 * marker or a socket exists becomes a lookup, not a system call. */
struct names {
	char	**v;
	size_t	 n;
};

struct snap {
	struct names state, sock;
};

/* What the rules look at. */
struct facts {
	int	 alive;
	int	 session;	/* .session was read into s */
	struct session s;
	int	 stopped, crashloop, wake, queue;
	int	 pane_dead;	/* the recorded pane pid is gone */
	time_t	 activity;	/* newest activity, never before woke */
	int	 canary;	/* the canary runs */
	int	 log_big;	/* the pane log is over the cap */
};

/* Is "<id>" (m NULL) or "<id>.<m>" in the listing? */
static int
listed(const struct names *nm, const char *id, const char *m)
{
	char key[ID_MAX + 32];
	const char *k = key;

	if (m != NULL)
		(void)snprintf(key, sizeof key, "%s.%s", id, m);
	else
		k = id;
	return nm->n > 0 &&
	    bsearch(&k, nm->v, nm->n, sizeof *nm->v, file_names_cmp) != NULL;
}

/* A marker's presence: from the listing when there is one, else lstat. */
static int
has(const struct snap *sn, const char *id, const char *m)
{
	if (sn != NULL)
		return listed(&sn->state, id, m);
	return marker_has(id, m) == 1;
}

static void
facts_running(const char *id, const struct conf *c, struct facts *f)
{
	struct stat st;
	char p[PATHBUF];
	pid_t cp;

	f->session = marker_session_read(id, &f->s) == 0;
	if (!f->session)
		memset(&f->s, 0, sizeof f->s);
	f->pane_dead = f->s.pane_pid > 1 && !pid_alive(f->s.pane_pid);
	if (c->idle > 0)
		f->activity = state_activity(id, c, f->s.woke);
	f->canary = canary_live(id, &cp);
	home_path(p, "log/%s.log", id);
	f->log_big = lstat(p, &st) == 0 && st.st_size > PANE_LOG_MAX;
}

/* The facts of one identity; sn NULL reads them live. */
static void
facts_gather(const char *id, const struct conf *c, const struct snap *sn,
    struct facts *f)
{
	memset(f, 0, sizeof *f);
	f->alive = (sn == NULL || listed(&sn->sock, id, NULL)) &&
	    state_running(id);
	f->stopped = has(sn, id, M_STOPPED);
	f->wake = has(sn, id, M_WAKE);
	if (f->alive) {
		facts_running(id, c, f);
		return;
	}
	f->session = sn != NULL ? listed(&sn->state, id, M_SESSION) :
	    marker_session_read(id, &f->s) == 0;
	f->crashloop = has(sn, id, M_CRASHLOOP);
	f->queue = (sn == NULL || listed(&sn->state, id, M_QUEUE)) &&
	    marker_queue_nonempty(id) == 1;
}

static unsigned
tick_decide(const struct conf *c, const struct facts *f, time_t now)
{
	unsigned a = 0;

	if (f->alive) {
		if (f->stopped)
			return A_PARK_STOPPED;
		if (f->wake)
			a |= A_UNWAKE;
		if (f->pane_dead && f->s.server_pid > 1)
			a |= A_NUDGE;
		if (c->idle > 0 && now - f->activity > (time_t)c->idle)
			return a | A_REAP;
		if (!f->canary)
			a |= A_CANARY;
		if (f->log_big)
			a |= A_TRIM;
		return a;
	}
	if (f->session)
		return A_DEATH;
	if (!f->stopped && !f->crashloop && (f->wake || f->queue))
		return A_LAUNCH;
	return 0;
}

static void
tick_error(struct tally *t, const char *id, const char *op)
{
	err_warn("%s: %s", id, err_msg());
	log_event("error", id, "op", op, "error", err_msg(), LEND);
	t->errors++;
}

/* The crash-loop guard: 1 (and .crash-loop written) when the deaths in
 * the window reach the limit. */
static int
crash_looping(const char *id, const struct conf *c, time_t now)
{
	struct death d[DEATHS_KEEP];
	unsigned long in = 0;
	int n, i;
	char buf[64];

	n = marker_deaths_read(id, d, DEATHS_KEEP);
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
	log_event("refused", id, "cause", "crash-loop", "deaths", buf, LEND);
	return 1;
}

static void
tick_launch(const char *id, const struct conf *c, struct tally *t,
    const char *cause, time_t now)
{
	if (crash_looping(id, c, now) != 0)
		return;
	/* launch() has logged ev=error already: warn and count only */
	if (launch(id, c, NULL, cause, NULL) == -1) {
		err_warn("%s: %s", id, err_msg());
		t->errors++;
	} else
		t->launched++;
}

/* Park a running identity: .idle-reaped first, so start resumes it. */
static int
park(const char *id, const char *reason)
{
	if (marker_set(id, M_IDLE, "") == -1)
		return -1;
	return teardown(id, reason);
}

static void
tick_act(const char *id, const struct conf *c, const struct facts *f,
    unsigned a, struct tally *t, time_t now)
{
	const char *what;
	char p[PATHBUF];
	int clean;

	if (f->alive)
		t->running++;
	if (a & A_PARK_STOPPED) {
		/* A stop by touch parks like roost stop: start resumes. */
		if (park(id, "stopped") == -1)
			tick_error(t, id, "teardown");
		return;
	}
	if (a & A_UNWAKE)
		(void)marker_rm(id, M_WAKE);
	if (a & A_NUDGE)
		(void)kill(f->s.server_pid, SIGCHLD);
	if (a & A_REAP) {
		char age[24];

		(void)snprintf(age, sizeof age, "%lld",
		    (long long)(now - f->activity));
		if (park(id, "idle") == -1) {
			tick_error(t, id, "reap");
			return;
		}
		log_event("reap", id, "reason", "idle", "age", age, LEND);
		t->reaped++;
		return;
	}
	if ((a & A_CANARY) && canary_ensure(id, "tick", &what) == -1)
		tick_error(t, id, "canary");
	if (a & A_TRIM) {
		home_path(p, "log/%s.log", id);
		(void)log_pane_trim(p);
	}
	if (a & A_DEATH) {
		t->deaths++;
		if (death_record(id, &f->s, &clean) == -1)
			tick_error(t, id, "death");
		if ((c->restart == RESTART_ALWAYS ||
		    (c->restart == RESTART_ON_FAILURE && !clean)) &&
		    marker_has(id, M_STOPPED) != 1)
			tick_launch(id, c, t, "restart", now);
	}
	if (a & A_LAUNCH)
		tick_launch(id, c, t, f->wake ? "wake" : "queue", now);
}

static void
tick_one(const char *id, struct tally *t, time_t now, const struct snap *sn)
{
	struct facts f;
	struct conf c;
	int lk;

	t->ids++;
	if (conf_read(id, &c) == -1) {
		tick_error(t, id, "conf");
		return;
	}
	facts_gather(id, &c, sn, &f);
	if (tick_decide(&c, &f, now) == 0) {
		t->running += f.alive;
		conf_free(&c);
		return;
	}
	/* Busy (a command or a stuck teardown holds it): next pass. */
	if ((lk = marker_lock(id, 0)) < 0) {
		if (lk == -1)
			tick_error(t, id, "lock");
		conf_free(&c);
		return;
	}
	facts_gather(id, &c, NULL, &f);
	tick_act(id, &c, &f, tick_decide(&c, &f, now), t, now);
	file_unlock(lk);
	conf_free(&c);
}

/* Rotate the logs, remove temps of writers that died mid-write. */
static void
janitor(void)
{
	char p[PATHBUF];

	home_path(p, "log/lifecycle.log");
	(void)log_rotate(p, LOG_ROTATE_BYTES, LOG_KEEP);
	home_path(p, "log/exits.log");
	(void)log_rotate(p, LOG_ROTATE_BYTES, LOG_KEEP);
	home_path(p, "state");
	file_sweep(p);
	home_path(p, "conf");
	file_sweep(p);
	home_path(p, "bin");
	file_sweep(p);
}

static void
tick_log(const struct tally *t)
{
	char n[6][24];

	(void)snprintf(n[0], sizeof n[0], "%d", t->ids);
	(void)snprintf(n[1], sizeof n[1], "%d", t->running);
	(void)snprintf(n[2], sizeof n[2], "%d", t->launched);
	(void)snprintf(n[3], sizeof n[3], "%d", t->reaped);
	(void)snprintf(n[4], sizeof n[4], "%d", t->deaths);
	(void)snprintf(n[5], sizeof n[5], "%ld", t->ms);
	log_event("tick", NULL, "ids", n[0], "running", n[1], "launched",
	    n[2], "reaped", n[3], "deaths", n[4], "ms", n[5], LEND);
}

/*
 * One pass under state/.tick.lock.  0 when it ran (*t says what it did),
 * 1 when there is nothing to supervise, 2 when another pass holds the
 * lock, -1 when it could not run.  ev=tick is logged when the pass did
 * something, or always with verbose.
 */
int
tick_pass(int verbose, struct tally *t)
{
	struct snap sn;
	struct timespec t0, ts;
	char p[PATHBUF], **ids;
	int lk, nids, i;

	memset(t, 0, sizeof *t);
	now_mono(&t0);
	home_path(p, "state");
	if (!home_exists() || file_mtime(p, &ts) == 1)
		return 1;	/* no home, or no markers yet: nothing to do */
	home_path(p, "state/.tick.lock");
	if ((lk = file_lock(p, 0)) == -2) {
		log_event("tick", NULL, "skipped", "locked", LEND);
		return 2;
	}
	if (lk < 0)
		return -1;
	janitor();
	nids = conf_ids(&ids);
	home_path(p, "state");
	sn.state.v = file_names(p, &sn.state.n);
	sn.sock.v = file_names(home_sockdir(), &sn.sock.n);
	conf_dir_open();
	for (i = 0; i < nids; i++)
		tick_one(ids[i], t, now_wall(), &sn);
	conf_dir_close();
	file_names_free(sn.state.v, sn.state.n);
	file_names_free(sn.sock.v, sn.sock.n);
	conf_ids_free(ids, nids);
	t->ms = now_ms_since(&t0);
	if (verbose || t->launched || t->reaped || t->deaths || t->errors)
		tick_log(t);
	file_unlock(lk);
	return 0;
}
