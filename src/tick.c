/*
 * tick.c - one supervision pass, over every identity or over named ones.
 *
 * The rules are numbered in state.c, where the one function that applies
 * them, state_decide(), is written; each action below cites its rule.
 *
 * state_decide() is pure: facts in, the state and actions out (status
 * shows the same state).  The pass calls it twice per identity: first on
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
 * only looks at what the program is doing (rule 1j); the other rules
 * are the scheduled pass's.
 *
 * A pass requested by a death (origin=death, from the pane-died hook or
 * the canary) takes no pass lock: it waits for the identity's own lock,
 * so it is never lost, and when the restart must wait out its backoff it
 * sleeps (a second at a time) and decides again.  So does a pass asked
 * for by a waiting server's run-shell at the end of its backoff
 * (origin=backoff, rule 1e); that run-shell ends with its server.
 */
#include "roost.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOPS_MAX		64	/* teardowns waiting side by side */

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

/* Rule 1k's markers (the attached check is left to the delivery): no
 * fork, and nothing at all read when the queue is not in the listing. */
static int
deliverable(struct idctx *x, const struct snap *sn)
{
	const char *id = x->id;

	if (sn != NULL && !state_listed(&sn->state, id, M_QUEUE))
		return 0;
	if (sn != NULL ? !state_listed(&sn->state, id, M_READY) ||
	    state_listed(&sn->state, id, M_BUSY) ||
	    state_listed(&sn->state, id, M_WAITING) :
	    marker_has(id, M_READY) != 1 || marker_has(id, M_BUSY) == 1 ||
	    marker_has(id, M_WAITING) == 1)
		return 0;
	return deliver_ready_marker(x) && marker_queue_nonempty(id) == 1;
}

/* The facts of a running program only the tick looks at (rules 1g-1l). */
static void
facts_running(struct idctx *x, const struct conf *c,
    const struct snap *sn, struct facts *f)
{
	const char *id = x->id;
	struct stat st;
	unsigned long long ws;
	pid_t cp, wp;

	f->canary = canary_live(id, &cp);
	f->log_big = lstat(x->pane_log, &st) == 0 &&
	    st.st_size > PANE_LOG_MAX;
	if (f->s.died > 0)
		return;	/* rule 1e: the rest is of a live program */
	if (c->idle > 0)
		f->activity = state_activity(x, c, f->s.woke);
	if (c->idle > 0 && now_wall() - f->activity > (time_t)c->idle) {
		struct activity a;

		(void)activity_get(x, c, &f->s, 0, &a);
		f->engaged = engaged(&a);
	}
	f->look = activity_due(x, c, &f->s);
	f->pipe_dead = marker_pid_read(id, M_PIPE, &wp, &ws) == 0 &&
	    !recorded(wp, ws);
	f->deliver = deliverable(x, sn);
}

/* The turn of a restart owed during several deaths at once (section
 * 16), in f->turn_ms; settle as for mass_due. */
static void
tick_turn(const char *id, const struct conf *c, time_t now, struct facts *f,
    int settle)
{
	struct verdict v;
	time_t due, turn;

	if (f->ndeaths == 0)
		return;
	state_decide(c, f, &v);
	if (!v.restart)
		return;
	due = turn = now + (v.wait + 999) / 1000;
	mass_due(id, now, &turn, settle);
	if (turn > due)
		f->turn_ms = (long long)turn * 1000;
}

/* What the tick would decide now, for those who only ask (status, a
 * --wait): the live facts with the episode's turn, and the verdict. */
void
tick_verdict(struct idctx *x, const struct conf *c, time_t now,
    struct facts *f, struct verdict *v)
{
	state_facts(x, NULL, now, f);
	tick_turn(x->id, c, now, f, 0);
	state_decide(c, f, v);
}

/*
 * The facts of one identity (sn NULL reads them live): state_facts(),
 * and the tick's own: those of a running program, and the turn of a
 * restart owed during several deaths at once.
 */
void
tick_facts(struct idctx *x, const struct conf *c, const struct snap *sn,
    time_t now, struct facts *f)
{
	state_facts(x, sn, now, f);
	if (f->alive && f->session && !f->taken)
		facts_running(x, c, sn, f);
	tick_turn(x->id, c, now, f, 1);
}

static void
tick_error(struct tally *t, const char *id, const char *op)
{
	err_warn("%s: %s", id, err_msg());
	log_event("error", id, "op", op, "error", err_msg(), LEND);
	t->errors++;
}

/* The crash-loop guard tripped (rules 1e, 3c): .crash-loop says the
 * deaths the decision counted in the window. */
int
tick_crash_loop(const char *id, const struct conf *c, const struct facts *f,
    const struct verdict *v)
{
	char buf[64];

	(void)snprintf(buf, sizeof buf, "deaths=%d window=%lu\n", v->in_window,
	    c->cl_window);
	if (marker_set(id, M_CRASHLOOP, buf) == -1)
		return -1;
	(void)snprintf(buf, sizeof buf, "%d", v->in_window);
	log_event("refused", id, "cause", "crash-loop", "deaths", buf, LEND);
	hook_run("crash-loop", id, f->ndeaths > 0 ?
	    f->d[f->ndeaths - 1].cause : "", log_last());
	return 0;
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

static void
tick_launch(struct idctx *x, const struct conf *c, struct tally *t,
    const char *cause)
{
	const char *id = x->id, *mode = NULL;

	if (c->resume_any && strcmp(cause, "restart") == 0) {
		mode = "resume";
		if (marker_has(id, M_RESUME_FAILED) == 1) {
			mode = "fresh";
			cause = "resume-failed";
		}
	}
	(void)marker_rm(id, M_RESUME_FAILED);
	/* launch() has logged ev=error already: warn and count only */
	if (launch(x, c, mode, cause, NULL) == -1) {
		err_warn("%s: %s", id, err_msg());
		t->errors++;
	} else
		t->launched++;
}

/* A server on the socket that .session does not account for: 0 adopted,
 * -1 not (refused, or ended for having no session of the identity). */
static int
adopt(struct idctx *x, struct tally *t)
{
	const char *id = x->id;
	char spid[24];
	const char *args[] = { "display-message", "-p", "-t", x->target,
	    TMUX_PIDS, NULL };
	struct buf o = { 0 };
	struct session s;

	if (x->sock[0] == '\0' || server_ours(x, ADOPT_ASK_MS) != 1) {
		tick_error(t, id, "adopt");
		return -1;
	}
	memset(&s, 0, sizeof s);
	s.oom_kills = -1;
	if (tmux_run_ms(x->sock, args, &o, ADOPT_ASK_MS) != 0 ||
	    tmux_pids(buf_str(&o), &s.server_pid, &s.pane_pid) == -1) {
		/* No session of this identity on it: nothing to supervise. */
		buf_free(&o);
		if (teardown(x, "orphan") == -1)
			tick_error(t, id, "teardown");
		return -1;
	}
	buf_free(&o);
	s.woke = now_wall();
	(void)snprintf(s.mode, sizeof s.mode, "fresh");
	marker_ctx_forget(x);
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
repipe(const struct idctx *x, const struct conf *c)
{
	const char *id = x->id;
	const char *args[] = { "pipe-pane", "-t", x->target, NULL, NULL };
	struct buf cmd = { 0 };
	struct vars v = { 0 };
	int rc = -1;

	if (x->sock[0] != '\0' && render_std(&v, id, c) == 0 &&
	    render_line("pipe-pane", &v, &cmd) == 0) {
		args[3] = cmd.s;
		(void)marker_rm(id, M_PIPE);
		rc = tmux_run_ms(x->sock, args, NULL, REPIPE_MS);
	}
	log_event("pipe", id, "result", rc == 0 ? "restarted" : "failed",
	    LEND);
	render_free(&v);
	buf_free(&cmd);
	return rc;
}

/* Wait for a nudged server to act on its pane's death (bounded). */
static void
nudge(const struct facts *f, struct idctx *x)
{
	struct timespec t0;

	(void)kill(f->s.server_pid, SIGCHLD);
	now_mono(&t0);
	while (state_ctx_running(x) && now_ms_since(&t0) < NUDGE_WAIT_MS)
		now_sleep_ms(20);
}

/* A teardown that parks: .idle-reaped first, so start resumes it.  It
 * waits beside the pass's others; the lock is kept until it is done. */
static int
park(struct pass *p, struct idctx *x, int lk, const char *reason,
    const char *age)
{
	const char *id = x->id;
	struct pending *q;
	struct stop *st;

	if (p->nstops == STOPS_MAX)
		return -2;
	if (marker_set(id, M_IDLE, "") == -1 ||
	    (st = teardown_begin(x, reason)) == NULL)
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

/* ev=backoff: the restart's delay and its end, in seconds to the
 * millisecond, as the decision computed them. */
void
tick_backoff_log(const char *id, const struct verdict *v)
{
	char d[24], u[32];

	(void)snprintf(d, sizeof d, "%ld.%03ld", v->delay / 1000,
	    v->delay % 1000);
	(void)snprintf(u, sizeof u, "%lld.%03lld", v->until / 1000,
	    v->until % 1000);
	log_event("backoff", id, "delay", d, "until", u, LEND);
}

/*
 * A restart that must wait out its backoff (rule 3f, just after a
 * death): ev=backoff, and unless this is already a death's pass (which
 * sleeps for it), a detached pass over the identity is asked for, so the
 * restart comes when it is due, not at the next scheduled tick.
 */
static void
backoff(struct pass *p, const char *id, const struct verdict *v)
{
	const char *argv[] = { pid_self(), "-H", home_dir(), "tick",
	    "--origin", "death", id, NULL };

	tick_backoff_log(id, v);
	if (strcmp(p->origin, "death") != 0 &&
	    strcmp(p->origin, "backoff") != 0 && argv[0] != NULL &&
	    spawn_detached(argv, NULL, NULL, NULL) == -1)
		err_warn("%s: %s", id, err_msg());
}

/* The program's pane in its waiting server: its .session's pane, else
 * the session's active one. */
static const char *
waiting_pane(const struct idctx *x, const struct session *s)
{
	return s->pane_id[0] == '%' ? s->pane_id : x->target;
}

/*
 * A server waiting out a backoff with the program's pane dead (rule 1e)
 * gets its pane respawned now, for a command that asks (wake, start, a
 * send).  1 when it did (*mode says how), 0 when no server waits, -1.
 * The caller holds the identity's lock.
 */
int
tick_respawn(struct idctx *x, const struct conf *c, const char *cause,
    const char **mode)
{
	const struct session *s = marker_ctx_session(x);
	struct session old;

	if (s == NULL || s->died == 0 || !state_ctx_running(x))
		return 0;
	old = *s;
	marker_ctx_forget(x);
	if (launch_respawn(x, c, waiting_pane(x, &old), &old, cause) == -1 ||
	    (s = marker_ctx_session(x)) == NULL)
		return -1;
	if (mode != NULL)
		*mode = strcmp(s->mode, "resume") == 0 ? "resume" : "fresh";
	return 1;
}

/*
 * Act on what state_decide() said, under the identity's lock lk; after
 * is 1 in the round that follows a recorded death.  Returns 1 when the
 * lock now belongs to a waiting teardown, 2 when the facts must be
 * gathered and decided again (after a nudge or a death), else 0.
 */
static int
tick_act(struct pass *p, struct idctx *x, const struct conf *c,
    const struct facts *f, const struct verdict *v, int lk, int after)
{
	const char *id = x->id;
	struct tally *t = p->t;
	struct activity act;
	const char *what;
	unsigned a = v->act;
	int clean, rc;

	if (f->alive && !(a & A_DEATH) && f->s.died == 0)
		t->running++;
	if ((a & A_ADOPT) && adopt(x, t) == -1)		/* 1a */
		return 0;
	if (a & A_PARK_STOPPED) {				/* 1c */
		/* A stop by touch parks like roost stop: start resumes. */
		if ((rc = park(p, x, lk, "stopped", NULL)) == 0)
			return 1;
		if (rc == -1)
			tick_error(t, id, "teardown");
		return 0;
	}
	if ((a & A_CRASHLOOP) && tick_crash_loop(id, c, f, v) == -1)
		tick_error(t, id, "crash-loop");		/* 1e, 3c */
	if (a & A_END) {					/* 1e */
		if (teardown(x, (a & A_CRASHLOOP) ? "crash-loop" :
		    "exited") == -1)
			tick_error(t, id, "teardown");
		return 0;
	}
	if (a & A_RESPAWN) {					/* 1e */
		if (launch_respawn(x, c, waiting_pane(x, &f->s), &f->s,
		    f->wake ? "wake" : f->queue ? "queue" : "restart") == -1) {
			tick_error(t, id, "respawn");
			return 0;
		}
		t->launched++;
		t->running++;
	}
	if (a & A_UNWAKE)					/* 1d */
		(void)marker_rm(id, M_WAKE);
	if (a & A_NUDGE) {					/* 1f */
		nudge(f, x);
		if (!state_ctx_running(x)) {
			t->running--;
			return 2;
		}
	}
	if (a & A_LOOK) {					/* 1j */
		(void)activity_get(x, c, &f->s, 1, &act);
		/* The look may have found it ready: rule 1k, this pass. */
		if (!(a & A_REAP) && deliverable(x, NULL))
			a |= A_DELIVER;
	}
	if ((a & A_REAP) && activity_get(x, c, &f->s, 1, &act) == 0 &&
	    engaged(&act))
		a &= ~(unsigned)A_REAP;	/* the screen says it is not idle */
	if (a & A_REAP) {					/* 1g */
		char age[24];

		(void)snprintf(age, sizeof age, "%lld",
		    (long long)(f->now - f->activity));
		if ((rc = park(p, x, lk, "idle", age)) == 0)
			return 1;
		if (rc == -1)
			tick_error(t, id, "reap");
		return 0;
	}
	if ((a & A_CANARY) && canary_ensure(x, "tick", &what) == -1)
		tick_error(t, id, "canary");			/* 1h */
	if ((a & A_PIPE) && repipe(x, c) == -1)		/* 1l */
		tick_error(t, id, "pipe");
	if (a & A_TRIM)						/* 1i */
		(void)log_pane_trim(x->pane_log);
	if (a & A_DELIVER) {					/* 1k */
		char item[256];
		const char *why;

		if (deliver_one(x, c, 0, item, sizeof item, &why) == -1)
			tick_error(t, id, "deliver");
	}
	if (a & A_DEATH) {					/* 1b, 2 */
		t->deaths++;
		resume_note(id, c, f, f->now);
		if (death_record(x, &f->s, &clean) == -1) {
			/* Kept for a later pass (.session stays). */
			tick_error(t, id, "death");
			return 0;
		}
		mass_death_note(id, f->now);
		return 2;
	}
	if (after && v->st == ST_BACKOFF && v->wait > 0 &&
	    !(a & (A_LAUNCH | A_RESTART)))
		backoff(p, id, v);				/* 3f */
	if (a & A_LAUNCH)					/* 3d */
		tick_launch(x, c, t, f->wake ? "wake" : "queue");
	if (a & A_RESTART)					/* 3e */
		tick_launch(x, c, t, "restart");
	return 0;
}

/* The locked part: decide again on live facts and act, until nothing
 * changes.  Returns the ms a restart that is owed must still wait (0
 * otherwise), for a death's pass to sleep. */
static long
tick_locked(struct pass *p, struct idctx *x, int lk, time_t now)
{
	const char *id = x->id;
	struct verdict v;
	struct facts f;
	struct conf c;
	long due = 0;
	unsigned tried = 0;
	int round, r = 0, after = 0;

	/* A definition removed while we waited is not resurrected. */
	if (!state_known(id)) {
		file_unlock(lk);
		return 0;
	}
	if (state_conf(id, &c) == -1) {
		/* A look (the pane's alert hook) leaves a bad conf for the
		 * passes that report: the alert would log it every second. */
		if (strcmp(p->origin, "activity") != 0)
			tick_error(p->t, id, "conf");
		file_unlock(lk);
		return 0;
	}
	for (round = 0; round < 4; round++) {
		/* Read again under the lock, and after each change. */
		marker_ctx_forget(x);
		tick_facts(x, &c, NULL, now, &f);
		state_decide(&c, &f, &v);
		/* The pane's alert hook asks only for a look (section 13). */
		if (strcmp(p->origin, "activity") == 0)
			v.act &= A_LOOK | A_DELIVER;
		tried |= v.act & (A_LAUNCH | A_RESTART | A_RESPAWN);
		r = tick_act(p, x, &c, &f, &v, lk, after);
		if (r != 2)
			break;
		after = 1;
		now = now_wall();
	}
	if (r != 1) {
		marker_ctx_forget(x);
		tick_facts(x, &c, NULL, now_wall(), &f);
		state_decide(&c, &f, &v);
		if (v.st == ST_BACKOFF && v.restart && v.wait > 0)
			due = v.wait;
		else if (!tried && v.restart && (v.act & (A_RESTART |
		    A_RESPAWN)))
			due = 1;	/* its backoff (or turn) ran out since the
					 * rounds decided: the next try acts */
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
	struct idctx x;
	struct verdict v;
	struct facts f;
	struct conf c;
	int lk;

	p->t->ids++;
	if (state_conf(id, &c) == -1) {
		tick_error(p->t, id, "conf");
		return;
	}
	home_ctx(id, &x);
	tick_facts(&x, &c, sn, now, &f);
	state_decide(&c, &f, &v);
	if (v.act == 0) {
		p->t->running += f.alive && f.s.died == 0;
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
	(void)tick_locked(p, &x, lk, now);
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
	struct idctx x;
	long due;
	int lk, tries;

	p->t->ids++;
	home_ctx(id, &x);
	if (strcmp(p->origin, "death") == 0) {
		now_mono(&t0);
		while (state_ctx_running(&x) &&
		    now_ms_since(&t0) < SERVER_GONE_WAIT_MS)
			now_sleep_ms(10);
	}
	/* A look is not worth waiting for: whoever holds the lock acts. */
	if (strcmp(p->origin, "activity") == 0) {
		if ((lk = home_lock(id, 0)) >= 0) {
			(void)tick_locked(p, &x, lk, now_wall());
			stops_finish(p);
		}
		return;
	}
	/* Slept a second at a time at most: a stop or a start meanwhile
	 * ends the wait (the decision owes nothing then). */
	for (tries = 0; tries < 128; tries++) {
		if ((lk = lock_wait(id)) < 0) {
			tick_error(p->t, id, "lock");
			return;
		}
		due = tick_locked(p, &x, lk, now_wall());
		stops_finish(p);
		if (due == 0 || (strcmp(p->origin, "death") != 0 &&
		    strcmp(p->origin, "backoff") != 0))
			return;
		now_sleep_ms(due < 1000 ? due : 1000);
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
