/*
 * tick.c - one supervision pass, over every identity or over named ones.
 *
 * The rules, in the order they apply to one identity:
 *
 *  1. Running (its socket accepts a connection):
 *     a. no .session (a launch that died half-way, or a .session lost):
 *        adopt the server if it is this home's (write .session), or end
 *        it when it has no session of the identity;
 *     b. the server .session recorded is gone while another answers on
 *        the socket: the recorded one died (rule 2);
 *     c. .stopped is present: tear it down, parked (start resumes);
 *     d. a .wake is stale (it is already awake): remove it;
 *     e. the pane pid in .session is gone but tmux has not noticed (a
 *        lost SIGCHLD): nudge the server with SIGCHLD, and if that ends
 *        it, go on with rule 2 in this same pass;
 *     f. idle longer than the conf's idle: tear it down, parked (reap);
 *     g. its canary is not alive: spawn one;
 *     h. its pane log is over the cap: cut it;
 *     i. what the program is doing may have changed (activity.c): look;
 *     j. its queue holds a message and the program is ready (.ready
 *        since this launch, not busy, not waiting): deliver the oldest;
 *     k. its pane-log writer (.pipe) was killed: pipe the pane again
 *        (and never park it for an idleness that only a lost pipe shows).
 *     Rule f never parks a program that is busy or waiting (section 13).
 *  2. Not running, .session present: it died.  Record the death; deaths
 *     in the crash-loop window reaching the limit write .crash-loop.
 *  3. Not running, no .session: .stopped or .crash-loop: nothing; .wake
 *     or a non-empty .queue/: launch (resume when parked), through the
 *     crash-loop guard; a restart the newest death calls for (policy):
 *     launch once its backoff is over (restart_delay doubled per earlier
 *     death in the window, capped at the tick interval); otherwise
 *     nothing.
 *
 * tick_decide() is the only place these rules are written.  It is pure:
 * facts in, actions out.  The pass calls it twice per identity: first on
 * facts from one listing of state/ and of the socket directory, without
 * the lock (most identities need nothing, and a healthy running one costs
 * stat, read, connect and kill(0): no fork, no exec); then, when that
 * asks for anything, on facts read again under the identity's lock, and
 * acts on that second answer, deciding again after a death so that a
 * restart due at once happens in the same pass.  Teardowns of several
 * identities wait side by side.  One identity's failure is logged and
 * the pass goes on.
 *
 * A pass asked for by the pane's alert-silence hook (origin=activity)
 * only looks at what the program is doing (rule 1i); the other rules
 * are the scheduled pass's.
 *
 * A pass requested by a death (origin=death, from the pane-died hook or
 * the canary) takes no pass lock: it waits for the identity's own lock,
 * so it is never lost, and when the restart must wait out its backoff it
 * sleeps and decides again.
 */
#include "roost.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOPS_MAX		64	/* teardowns waiting side by side */

/* Actions, applied in this order. */
enum {
	A_ADOPT		= 1 << 0,	/* 1a */
	A_PARK_STOPPED	= 1 << 1,	/* 1c, ends the list */
	A_UNWAKE	= 1 << 2,	/* 1d */
	A_NUDGE		= 1 << 3,	/* 1e */
	A_REAP		= 1 << 4,	/* 1f, ends the list */
	A_CANARY	= 1 << 5,	/* 1g */
	A_TRIM		= 1 << 6,	/* 1h */
	A_DEATH		= 1 << 7,	/* 1b, 2 */
	A_LAUNCH	= 1 << 8,	/* 3: a wake or a queue */
	A_RESTART	= 1 << 9,	/* 3: a restart whose backoff is over */
	A_LOOK		= 1 << 10,	/* 1i: see what the program is doing */
	A_DELIVER	= 1 << 11,	/* 1j */
	A_PIPE		= 1 << 12	/* 1k */
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
	int	 taken;		/* s's server is gone, another answers */
	int	 stopped, crashloop, wake, queue, parked;
	int	 pane_dead;	/* the recorded pane pid is gone */
	time_t	 activity;	/* newest activity, never before woke */
	int	 canary;	/* the canary runs */
	int	 log_big;	/* the pane log is over the cap */
	int	 pipe_dead;	/* .pipe names a writer that is gone */
	int	 deliver;	/* a message waits and the program is ready */
	int	 restart;	/* a restart is owed, as o says */
	struct owed o;
	int	 look;		/* activity_due() */
	int	 engaged;	/* idle too long, but busy or waiting */
};

/* The pass: what it did, the teardowns still waiting, how it was asked. */
struct pass {
	struct tally *t;
	const char *origin;
	int	 nstops;
	struct pending {
		struct stop *st;
		char	 id[ID_MAX + 1];
		int	 lk;
		int	 reap;	/* an idle reap: ev=reap once it is done */
		char	 age[24];
	} stops[STOPS_MAX];
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

/* Still the process .session recorded (a .session without start times,
 * from an older roost, trusts the pid alone). */
static int
recorded(pid_t pid, unsigned long long start)
{
	return start != 0 ? pid_is(pid, start, NULL) : pid_alive(pid);
}

/*
 * Not to be parked (section 13): waiting for a person, or busy by its
 * own word.  Output in the last busy_quiet seconds is activity already:
 * the reap waits for idle seconds of quiet.
 */
static int
engaged(const struct activity *a)
{
	return a->doing == DOING_WAITING || (a->doing == DOING_BUSY && a->own);
}

static void
facts_running(const char *id, const struct conf *c, struct facts *f)
{
	struct stat st;
	char p[PATHBUF];
	pid_t cp;

	f->session = marker_session_read(id, &f->s) == 0;
	if (!f->session) {
		memset(&f->s, 0, sizeof f->s);
		return;
	}
	f->taken = f->s.server_pid > 1 &&
	    !recorded(f->s.server_pid, f->s.server_start);
	if (f->taken)
		return;
	f->pane_dead = f->s.pane_pid > 1 &&
	    !recorded(f->s.pane_pid, f->s.pane_start);
	if (c->idle > 0)
		f->activity = state_activity(id, c, f->s.woke);
	if (c->idle > 0 && now_wall() - f->activity > (time_t)c->idle) {
		struct activity a;

		(void)activity_get(id, c, &f->s, 0, &a);
		f->engaged = engaged(&a);
	}
	f->look = activity_due(id, c, &f->s);
	f->canary = canary_live(id, &cp);
	home_pane_log(p, id);
	f->log_big = lstat(p, &st) == 0 && st.st_size > PANE_LOG_MAX;
	{
		unsigned long long ws;
		pid_t wp;

		f->pipe_dead = marker_pid_read(id, M_PIPE, &wp, &ws) == 0 &&
		    !recorded(wp, ws);
	}
}

/* Rule 1i's markers (the attached check is left to the delivery): no
 * fork, and nothing at all read when the queue is not in the listing. */
static int
deliverable(const char *id, const struct snap *sn)
{
	return (sn == NULL || listed(&sn->state, id, M_QUEUE)) &&
	    has(sn, id, M_READY) && !has(sn, id, M_BUSY) &&
	    !has(sn, id, M_WAITING) && deliver_ready_marker(id) &&
	    marker_queue_nonempty(id) == 1;
}

/* A restart owed during several deaths at once waits its turn too. */
static void
mass_owed(const char *id, struct owed *o)
{
	time_t now = now_wall(), due, turn;

	due = turn = now + (o->wait + 999) / 1000;
	mass_due(id, now, &turn);
	if (turn > due) {
		o->wait = (long)(turn - now) * 1000;
		o->until = (long long)turn * 1000;
	}
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
		f->deliver = f->session && !f->taken && deliverable(id, sn);
		return;
	}
	f->session = sn != NULL ? listed(&sn->state, id, M_SESSION) :
	    marker_session_read(id, &f->s) == 0;
	f->crashloop = has(sn, id, M_CRASHLOOP);
	f->parked = has(sn, id, M_IDLE);
	f->queue = (sn == NULL || listed(&sn->state, id, M_QUEUE)) &&
	    marker_queue_nonempty(id) == 1;
	if (!f->session && !f->stopped && !f->crashloop && !f->parked &&
	    has(sn, id, M_DEATHS) &&
	    (f->restart = state_restart(id, c, now_wall(), &f->o) == 1))
		mass_owed(id, &f->o);	/* section 16 */
}

static unsigned
tick_decide(const struct conf *c, const struct facts *f, time_t now)
{
	unsigned a = 0;

	if (f->alive) {
		if (!f->session)
			return A_ADOPT | A_CANARY;
		if (f->taken)
			return A_DEATH;
		if (f->stopped)
			return A_PARK_STOPPED;
		if (f->wake)
			a |= A_UNWAKE;
		if (f->pane_dead && f->s.server_pid > 1)
			a |= A_NUDGE;
		if (f->pipe_dead)
			a |= A_PIPE;
		else if (c->idle > 0 && now - f->activity > (time_t)c->idle &&
		    !f->engaged)
			return a | A_REAP;
		if (f->look)
			a |= A_LOOK;
		if (!f->canary)
			a |= A_CANARY;
		if (f->log_big)
			a |= A_TRIM;
		if (f->deliver)
			a |= A_DELIVER;
		return a;
	}
	if (f->session)
		return A_DEATH;
	if (f->stopped || f->crashloop)
		return 0;
	if (f->wake || f->queue)
		return A_LAUNCH;
	if (f->restart && f->o.wait <= 0)
		return A_RESTART;
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
	hook_run("crash-loop", id, d[n - 1].cause, log_last());
	return 1;
}

/*
 * resume_after=any (section 13): a death of a resumed launch that lived
 * less than resume_grace leaves state/<id>.resume-failed, so the next
 * restart is fresh instead of looping on a broken resume.
 */
static void
resume_note(const char *id, const struct conf *c, const struct facts *f,
    time_t now)
{
	if (!c->resume_any || !f->session)
		return;
	if (strcmp(f->s.mode, "resume") == 0 &&
	    now - f->s.woke < (time_t)c->resume_grace)
		(void)marker_set(id, M_RESUME_FAILED, "");
	else
		(void)marker_rm(id, M_RESUME_FAILED);
}

/* The same guard, for a restart in the live server (pane-died). */
int
tick_crash_looping(const char *id, const struct conf *c, time_t now)
{
	return crash_looping(id, c, now);
}

static void
tick_launch(const char *id, const struct conf *c, struct tally *t,
    const char *cause, time_t now)
{
	const char *mode = NULL;

	if (crash_looping(id, c, now) != 0)
		return;
	if (c->resume_any && strcmp(cause, "restart") == 0) {
		mode = "resume";
		if (marker_has(id, M_RESUME_FAILED) == 1) {
			mode = "fresh";
			cause = "resume-failed";
		}
	}
	(void)marker_rm(id, M_RESUME_FAILED);
	/* launch() has logged ev=error already: warn and count only */
	if (launch(id, c, mode, cause, NULL) == -1) {
		err_warn("%s: %s", id, err_msg());
		t->errors++;
	} else
		t->launched++;
}

/* A server on the socket that .session does not account for: 0 adopted,
 * -1 not (refused, or ended for having no session of the identity). */
static int
adopt(const char *id, struct tally *t)
{
	char sock[PATHBUF], target[ID_MAX + 4], spid[24];
	const char *args[] = { "display-message", "-p", "-t", target,
	    TMUX_PIDS, NULL };
	struct buf o = { 0 };
	struct session s;

	if (home_sock(id, sock, sizeof sock) == -1 ||
	    server_ours(id, sock, ADOPT_ASK_MS) != 1) {
		tick_error(t, id, "adopt");
		return -1;
	}
	(void)snprintf(target, sizeof target, "=%s:", id);
	memset(&s, 0, sizeof s);
	s.oom_kills = -1;
	if (tmux_run_ms(sock, args, &o, ADOPT_ASK_MS) != 0 ||
	    tmux_pids(buf_str(&o), &s.server_pid, &s.pane_pid) == -1) {
		/* No session of this identity on it: nothing to supervise. */
		buf_free(&o);
		if (teardown(id, "orphan") == -1)
			tick_error(t, id, "teardown");
		return -1;
	}
	buf_free(&o);
	s.woke = now_wall();
	(void)snprintf(s.mode, sizeof s.mode, "fresh");
	if (marker_session_record(id, &s) == -1) {
		tick_error(t, id, "adopt");
		return -1;
	}
	(void)snprintf(spid, sizeof spid, "%ld", (long)s.server_pid);
	log_event("adopt", id, "server_pid", spid, LEND);
	return 0;
}

/* The pane's log writer was killed: output went nowhere since.  The pipe
 * is opened again (tmux closes what is left of the old one), ev=pipe. */
static int
repipe(const char *id, const struct conf *c)
{
	char sock[PATHBUF], target[ID_MAX + 4];
	const char *args[] = { "pipe-pane", "-t", target, NULL, NULL };
	struct buf cmd = { 0 };
	struct vars v = { 0 };
	int rc = -1;

	(void)snprintf(target, sizeof target, "=%s:", id);
	if (home_sock(id, sock, sizeof sock) == 0 &&
	    render_std(&v, id, c) == 0 &&
	    render_line("pipe-pane", &v, &cmd) == 0) {
		args[3] = cmd.s;
		(void)marker_rm(id, M_PIPE);
		rc = tmux_run_ms(sock, args, NULL, REPIPE_MS);
	}
	log_event("pipe", id, "result", rc == 0 ? "restarted" : "failed",
	    LEND);
	render_free(&v);
	buf_free(&cmd);
	return rc;
}

/* Wait for a nudged server to act on its pane's death (bounded). */
static void
nudge(const struct facts *f, const char *id)
{
	struct timespec t0;

	(void)kill(f->s.server_pid, SIGCHLD);
	now_mono(&t0);
	while (state_running(id) && now_ms_since(&t0) < NUDGE_WAIT_MS)
		now_sleep_ms(20);
}

/* A teardown that parks: .idle-reaped first, so start resumes it.  It
 * waits beside the pass's others; the lock is kept until it is done. */
static int
park(struct pass *p, const char *id, int lk, const char *reason,
    const char *age)
{
	struct pending *q;
	struct stop *st;

	if (p->nstops == STOPS_MAX)
		return -2;
	if (marker_set(id, M_IDLE, "") == -1 ||
	    (st = teardown_begin(id, reason)) == NULL)
		return -1;
	q = &p->stops[p->nstops++];
	q->st = st;
	q->lk = lk;
	q->reap = age != NULL;
	(void)snprintf(q->id, sizeof q->id, "%s", id);
	(void)snprintf(q->age, sizeof q->age, "%s", age != NULL ? age : "");
	return 0;
}

/* Every teardown of the pass, side by side: each ends when its program
 * does or its stop_timeout is over. */
static void
stops_finish(struct pass *p)
{
	int i, done;

	do {
		done = 1;
		for (i = 0; i < p->nstops; i++)
			if (p->stops[i].st != NULL &&
			    !teardown_poll(p->stops[i].st))
				done = 0;
		if (!done)
			now_sleep_ms(20);
	} while (!done);
	for (i = 0; i < p->nstops; i++) {
		struct pending *q = &p->stops[i];

		if (teardown_finish(q->st) == -1)
			tick_error(p->t, q->id, q->reap ? "reap" : "teardown");
		else if (q->reap) {
			log_event("reap", q->id, "reason", "idle", "age", q->age,
			    LEND);
			hook_run("reap", q->id, "idle", log_last());
			p->t->reaped++;
		}
		file_unlock(q->lk);
	}
	p->nstops = 0;
}

/*
 * A restart that must wait out its backoff: ev=backoff, and unless this
 * is already a death's pass (which sleeps for it), a detached pass over
 * the identity is asked for, so the restart comes when it is due, not
 * at the next scheduled tick.
 */
static void
backoff(struct pass *p, const char *id, const struct conf *c, time_t now)
{
	const char *argv[] = { pid_self(), "-H", home_dir(), "tick",
	    "--origin", "death", id, NULL };
	struct facts f;
	char d[24], u[32];

	(void)now;
	facts_gather(id, c, NULL, &f);
	if (!f.restart || f.o.wait <= 0)
		return;
	/* Seconds to the millisecond: the backoff, and the death plus it. */
	(void)snprintf(d, sizeof d, "%ld.%03ld", f.o.delay / 1000,
	    f.o.delay % 1000);
	(void)snprintf(u, sizeof u, "%lld.%03lld", f.o.until / 1000,
	    f.o.until % 1000);
	log_event("backoff", id, "delay", d, "until", u, LEND);
	if (strcmp(p->origin, "death") != 0 && argv[0] != NULL &&
	    spawn_detached(argv, NULL, NULL, NULL) == -1)
		err_warn("%s: %s", id, err_msg());
}

/*
 * Act on what tick_decide() said, under the identity's lock lk.  Returns
 * 1 when the lock now belongs to a waiting teardown, 2 when the facts
 * must be gathered and decided again (after a nudge or a death), else 0.
 */
static int
tick_act(struct pass *p, const char *id, const struct conf *c,
    const struct facts *f, unsigned a, int lk, time_t now)
{
	struct tally *t = p->t;
	struct activity act;
	const char *what;
	char p2[PATHBUF];
	int clean, rc;

	if (f->alive && !(a & A_DEATH))
		t->running++;
	if ((a & A_ADOPT) && adopt(id, t) == -1)
		return 0;
	if (a & A_PARK_STOPPED) {
		/* A stop by touch parks like roost stop: start resumes. */
		if ((rc = park(p, id, lk, "stopped", NULL)) == 0)
			return 1;
		if (rc == -1)
			tick_error(t, id, "teardown");
		return 0;
	}
	if (a & A_UNWAKE)
		(void)marker_rm(id, M_WAKE);
	if (a & A_NUDGE) {
		nudge(f, id);
		if (!state_running(id)) {
			t->running--;
			return 2;
		}
	}
	if (a & A_LOOK) {
		(void)activity_get(id, c, &f->s, 1, &act);
		/* The look may have found it ready: rule 1j, this pass. */
		if (!(a & A_REAP) && deliverable(id, NULL))
			a |= A_DELIVER;
	}
	if ((a & A_REAP) && activity_get(id, c, &f->s, 1, &act) == 0 &&
	    engaged(&act))
		a &= ~(unsigned)A_REAP;	/* the screen says it is not idle */
	if (a & A_REAP) {
		char age[24];

		(void)snprintf(age, sizeof age, "%lld",
		    (long long)(now - f->activity));
		if ((rc = park(p, id, lk, "idle", age)) == 0)
			return 1;
		if (rc == -1)
			tick_error(t, id, "reap");
		return 0;
	}
	if ((a & A_CANARY) && canary_ensure(id, "tick", &what) == -1)
		tick_error(t, id, "canary");
	if ((a & A_PIPE) && repipe(id, c) == -1)
		tick_error(t, id, "pipe");
	if (a & A_TRIM) {
		home_pane_log(p2, id);
		(void)log_pane_trim(p2);
	}
	if (a & A_DELIVER) {
		char item[256];
		const char *why;

		if (deliver_one(id, c, 0, item, sizeof item, &why) == -1)
			tick_error(t, id, "deliver");
	}
	if (a & A_DEATH) {
		t->deaths++;
		resume_note(id, c, f, now);
		if (death_record(id, &f->s, &clean) == -1) {
			/* Kept for a later pass (.session stays). */
			tick_error(t, id, "death");
			return 0;
		}
		mass_death_note(id, now);
		if (state_policy_restarts(c, clean ? "status=0" : "") &&
		    marker_has(id, M_STOPPED) != 1 &&
		    crash_looping(id, c, now) == 0)
			backoff(p, id, c, now);
		return 2;
	}
	if (a & A_LAUNCH)
		tick_launch(id, c, t, f->wake ? "wake" : "queue", now);
	if (a & A_RESTART)
		tick_launch(id, c, t, "restart", now);
	return 0;
}

/* The identity's conf; one that is gone (a session whose conf was
 * deleted) is supervised with defaults, never restarted or reaped. */
static int
conf_for(const char *id, struct conf *c)
{
	if (conf_read(id, c) == 0)
		return 0;
	if (err_code() != RX_UNKNOWN)
		return -1;
	conf_defaults(c);
	c->restart = RESTART_NEVER;
	c->idle = 0;
	return 0;
}

/* The locked part: decide again on live facts and act, until nothing
 * changes.  Returns the ms a restart that is owed must still wait (0
 * otherwise), for a death's pass to sleep. */
static long
tick_locked(struct pass *p, const char *id, int lk, time_t now)
{
	struct facts f;
	struct conf c;
	long due = 0;
	int round, r = 0;

	/* A definition removed while we waited is not resurrected. */
	if (!state_known(id)) {
		file_unlock(lk);
		return 0;
	}
	if (conf_for(id, &c) == -1) {
		/* A look (the pane's alert hook) leaves a bad conf for the
		 * passes that report: the alert would log it every second. */
		if (strcmp(p->origin, "activity") != 0)
			tick_error(p->t, id, "conf");
		file_unlock(lk);
		return 0;
	}
	for (round = 0; round < 4; round++) {
		unsigned a;

		facts_gather(id, &c, NULL, &f);
		a = tick_decide(&c, &f, now);
		/* The pane's alert hook asks only for a look (section 13). */
		if (strcmp(p->origin, "activity") == 0)
			a &= A_LOOK | A_DELIVER;
		r = tick_act(p, id, &c, &f, a, lk, now);
		if (r != 2)
			break;
		now = now_wall();
	}
	if (r != 1) {
		facts_gather(id, &c, NULL, &f);
		if (!f.alive && !f.session && f.restart && f.o.wait > 0)
			due = f.o.wait;
		file_unlock(lk);
	}
	conf_free(&c);
	return due;
}

/* The identity's lock, waited for ID_LOCK_BRIEF_MS at most: -2 when it
 * stayed busy. */
static int
lock_brief(const char *id)
{
	struct timespec t0;
	int lk;

	now_mono(&t0);
	while ((lk = home_lock(id, 0)) == -2 &&
	    now_ms_since(&t0) < ID_LOCK_BRIEF_MS)
		now_sleep_ms(20);
	return lk;
}

static void
tick_one(struct pass *p, const char *id, time_t now, const struct snap *sn)
{
	struct facts f;
	struct conf c;
	int lk;

	p->t->ids++;
	if (conf_for(id, &c) == -1) {
		tick_error(p->t, id, "conf");
		return;
	}
	facts_gather(id, &c, sn, &f);
	if (tick_decide(&c, &f, now) == 0) {
		p->t->running += f.alive;
		conf_free(&c);
		return;
	}
	conf_free(&c);
	/* Held briefly (a look, a mark, a send): waited for.  Held longer (a
	 * command's teardown): the next pass. */
	if ((lk = lock_brief(id)) < 0) {
		if (lk == -1)
			tick_error(p->t, id, "lock");
		return;
	}
	(void)tick_locked(p, id, lk, now);
}

/* The identity's lock, waited for (bounded): a death's pass is never
 * lost to a lock. */
static int
lock_wait(const char *id)
{
	struct timespec t0;
	int lk;

	now_mono(&t0);
	while ((lk = home_lock(id, 0)) == -2) {
		if (now_ms_since(&t0) > ID_LOCK_WAIT_MS)
			return err_set(RX_FAIL, "%s: its lock stayed busy for "
			    "%d s", id, ID_LOCK_WAIT_MS / 1000);
		now_sleep_ms(50);
	}
	return lk;
}

/* A pass over one named identity: its server let go first (the hook
 * that asked runs inside it), then decided under its lock; a restart that
 * must wait out its backoff is slept for and decided again. */
static void
tick_named(struct pass *p, const char *id)
{
	struct timespec t0;
	long due;
	int lk, tries;

	p->t->ids++;
	if (strcmp(p->origin, "death") == 0) {
		now_mono(&t0);
		while (state_running(id) &&
		    now_ms_since(&t0) < SERVER_GONE_WAIT_MS)
			now_sleep_ms(10);
	}
	/* A look is not worth waiting for: whoever holds the lock acts. */
	if (strcmp(p->origin, "activity") == 0) {
		if ((lk = home_lock(id, 0)) >= 0) {
			(void)tick_locked(p, id, lk, now_wall());
			stops_finish(p);
		}
		return;
	}
	for (tries = 0; tries < 8; tries++) {
		if ((lk = lock_wait(id)) < 0) {
			tick_error(p->t, id, "lock");
			return;
		}
		due = tick_locked(p, id, lk, now_wall());
		stops_finish(p);
		if (due == 0 || strcmp(p->origin, "death") != 0)
			return;
		now_sleep_ms(due);
	}
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
tick_log(const struct tally *t, const char *origin)
{
	char n[6][24];

	(void)snprintf(n[0], sizeof n[0], "%d", t->ids);
	(void)snprintf(n[1], sizeof n[1], "%d", t->running);
	(void)snprintf(n[2], sizeof n[2], "%d", t->launched);
	(void)snprintf(n[3], sizeof n[3], "%d", t->reaped);
	(void)snprintf(n[4], sizeof n[4], "%d", t->deaths);
	(void)snprintf(n[5], sizeof n[5], "%ld", t->ms);
	log_event("tick", NULL, "ids", n[0], "running", n[1], "launched",
	    n[2], "reaped", n[3], "deaths", n[4], "ms", n[5], "origin", origin,
	    LEND);
}

/* The full pass's lock: a pass already running is waited for briefly. */
static int
pass_lock(void)
{
	struct timespec t0;
	char p[PATHBUF];
	int lk;

	home_path(p, "state/.tick.lock");
	now_mono(&t0);
	while ((lk = file_lock(p, 0)) == -2 &&
	    now_ms_since(&t0) < PASS_LOCK_WAIT_MS)
		now_sleep_ms(50);
	return lk;
}

/*
 * One pass: over every identity (ids NULL) under state/.tick.lock, or
 * over the named ones.  0 when it ran (*t says what it did), 1 when there
 * is nothing to supervise, 2 when another pass holds the lock, -1 when it
 * could not run.  ev=tick is logged when the pass did something, or
 * always with verbose.
 */
int
tick_pass(int verbose, const char *origin, char *const ids[], int nids,
    struct tally *t)
{
	struct pass p;
	struct snap sn;
	struct timespec t0, ts;
	char dir[PATHBUF], **all;
	int lk = -1, n, i;

	memset(t, 0, sizeof *t);
	memset(&p, 0, sizeof p);
	p.t = t;
	p.origin = origin;
	now_mono(&t0);
	home_path(dir, "state");
	if (!home_exists() || file_mtime(dir, &ts) == 1)
		return 1;	/* no home, or no markers yet: nothing to do */
	if (nids > 0) {
		for (i = 0; i < nids; i++)
			tick_named(&p, ids[i]);
	} else {
		if ((lk = pass_lock()) == -2) {
			log_event("tick", NULL, "skipped", "locked", "origin",
			    origin, LEND);
			return 2;
		}
		if (lk < 0)
			return -1;
		janitor();
		n = state_ids(&all);
		sn.state.v = file_names(dir, &sn.state.n);
		sn.sock.v = file_names(home_sockdir(), &sn.sock.n);
		conf_dir_open();
		for (i = 0; i < n; i++) {
			tick_one(&p, all[i], now_wall(), &sn);
			if (p.nstops == STOPS_MAX)
				stops_finish(&p);
		}
		stops_finish(&p);
		conf_dir_close();
		file_names_free(sn.state.v, sn.state.n);
		file_names_free(sn.sock.v, sn.sock.n);
		conf_ids_free(all, n);
	}
	t->ms = now_ms_since(&t0);
	if (verbose || t->launched || t->reaped || t->deaths || t->errors)
		tick_log(t, origin);
	if (nids == 0)
		sched_pass_done(t, origin);	/* what status tells the scheduler by */
	file_unlock(lk);
	return 0;
}
