/*
 * state.c - the state of an identity, derived from its markers and one
 * connect(2) to its socket; nothing of it is stored apart from them.
 * Its facts are gathered in one place (state_facts) and turned into THE
 * state and THE next action by one pure function (state_decide): status
 * shows what the tick then does.
 *
 * The rules, in the order they apply to one identity (the state each
 * leaves it in, as status says it, after the arrow):
 *
 *  1. Running (its socket accepts a connection):
 *     a. no .session (a launch that died half-way, or a .session lost):
 *        adopt the server if it is this home's (write .session), or end
 *        it when it has no session of the identity -> running;
 *     b. the server .session recorded is gone while another answers on
 *        the socket: the recorded one died (rule 2) -> dead;
 *     c. .stopped is present: tear it down, parked (start resumes)
 *        -> running until it is down;
 *     d. a .wake is stale (it is already awake): remove it;
 *     e. the program died, its death is recorded (.session died=) and
 *        its server waits with the pane dead: the restart rule 3 would
 *        owe (a .wake or a queue make it due now) respawns the pane in
 *        that same server once its backoff is over -> backoff; the
 *        crash-loop guard (3c) writes .crash-loop and ends the server
 *        -> crash-loop; a restart no longer owed ends it -> exited.
 *        Meanwhile only rules h and i apply;
 *     f. the pane pid in .session is gone but tmux has not noticed (a
 *        lost SIGCHLD): nudge the server with SIGCHLD, and if that ends
 *        it, go on with rule 2 in this same pass -> dead;
 *     g. idle longer than the conf's idle, neither busy nor waiting
 *        (section 13): tear it down, parked (reap);
 *     h. its canary is not alive: spawn one;
 *     i. its pane log is over the cap: cut it;
 *     j. what the program is doing may have changed (activity.c): look;
 *     k. its queue holds a message and the program is ready (.ready
 *        since this launch, not busy, not waiting): deliver the oldest;
 *     l. its pane-log writer (.pipe) was killed: pipe the pane again
 *        (and never park it for an idleness that only a lost pipe
 *        shows, so g waits for l);
 *     otherwise -> running.
 *  2. Not running, .session present: it died.  Record the death -> dead.
 *  3. Not running, no .session:
 *     a. .stopped: nothing -> stopped;
 *     b. .crash-loop: nothing -> crash-loop;
 *     c. a launch is asked for (d) or a restart owed (e, whatever is
 *        left of its backoff) and the deaths in the crash-loop window
 *        reach the limit: write .crash-loop, no launch -> crash-loop;
 *     d. .wake or a non-empty .queue/: launch (resume when parked);
 *     e. not parked, and the newest death's cause calls for a restart
 *        (the policy): launch once its backoff is over;
 *     f. -> parked when .idle-reaped, backoff while a restart waits,
 *        exited after a death, else down.
 *
 *  The restart (rules 1e, 3c-3e), computed once: the window counts the
 *  deaths newer than now minus its length, the same count for the guard
 *  and for the backoff, which is restart_delay doubled for each death in
 *  the window after the first, capped at the tick interval, counted from
 *  the newest death to the millisecond; several deaths at once may push
 *  it later (mass.c, a fact the tick adds).
 */
#include "roost.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The identity's tmux socket accepts a connection.  A refused one is
 * asked again only while the server .session recorded is alive: a death
 * already seen costs no wait. */
int
state_ctx_running(struct idctx *x)
{
	const struct session *s;
	int r;

	if (x->sock[0] == '\0')
		return 0;
	if ((r = tmux_probe(x->sock)) != -1)
		return r;
	s = marker_ctx_session(x);
	return tmux_refused_again(x->sock, s != NULL && s->server_pid > 1 ?
	    s->server_pid : -1);
}

/* What became of the server s records, that same process by its start
 * time: 0 gone (a zombie has no start time, and its socket is closed
 * already), 1 it runs, 2 it is on its way out (pid_ending: in exit(2),
 * or SIGKILLed and not yet scheduled to exit, when its socket still
 * accepts). */
int
state_server_fate(const struct session *s)
{
	unsigned long long stamp;

	if (s->server_pid <= 1 || s->server_start == 0 ||
	    pid_stamp(s->server_pid, &stamp) != 0 || stamp != s->server_start)
		return 0;
	return pid_ending(s->server_pid) == 1 ? 2 : 1;
}

int
state_ctx_server_ending(struct idctx *x)
{
	const struct session *s = marker_ctx_session(x);

	return s != NULL && state_server_fate(s) == 2;
}

int
state_running(const char *id)
{
	struct idctx x;

	home_ctx(id, &x);
	return state_ctx_running(&x);
}

/* Its server is gone or going, its death perhaps not recorded yet. */
int
state_dying(const char *id)
{
	struct idctx x;

	home_ctx(id, &x);
	return !state_ctx_running(&x) || state_ctx_server_ending(&x);
}

static const char *const state_names[] = {
	"running", "parked", "stopped", "crash-loop", "dead", "exited",
	"backoff", "down", "wedged", "foreign"
};

const char *
state_name(enum state s)
{
	return state_names[s];
}

/*
 * Whose server answers on a socket that accepts: ST_RUNNING when it is
 * the one .session recorded and not stopped (no fork: the usual case),
 * ST_WEDGED when that one is stopped (SIGSTOP: it accepts and answers
 * nothing); otherwise it is asked, for at most ms: ours (ST_RUNNING),
 * another's (ST_FOREIGN), no answer (ST_WEDGED), or gone while asked
 * (ST_DEAD).
 */
enum state
state_probe(struct idctx *x, long ms)
{
	const struct session *s = marker_ctx_session(x);

	if (s != NULL && s->server_pid > 1 &&
	    pid_is(s->server_pid, s->server_start, NULL))
		return pid_stopped(s->server_pid) ? ST_WEDGED : ST_RUNNING;
	if (x->sock[0] == '\0')
		return ST_RUNNING;
	switch (server_ours(x, ms)) {
	case 1:
		return ST_RUNNING;
	case 0:
		return ST_FOREIGN;
	case SERVER_GONE:
		return ST_DEAD;	/* ended while asked; the next look tells why */
	default:
		return ST_WEDGED;
	}
}

/* The tick interval install recorded, else 60 s. */
unsigned long
state_interval(void)
{
	char name[16];
	unsigned long n;

	(void)sched_read(name, sizeof name, &n);
	return n;
}

/* The restart policy says restart after a death with this cause. */
int
state_policy_restarts(const struct conf *c, const char *cause)
{
	if (c->restart == RESTART_ALWAYS)
		return 1;
	if (c->restart == RESTART_NEVER)
		return 0;
	return strncmp(cause, "status=0", 8) != 0 ||
	    (cause[8] != '\0' && cause[8] != ' ');
}

/* Is "<id>" (m NULL) or "<id>.<m>" in the listing? */
int
state_listed(const struct names *nm, const char *id, const char *m)
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
		return state_listed(&sn->state, id, m);
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
 * The identity's conf, as every decision reads it: 0, or -1 when it is
 * bad.  One that is gone (a session whose conf was deleted) is supervised
 * with defaults, never restarted or reaped.
 */
int
state_conf(const char *id, struct conf *c)
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

/* Deaths newer than now minus the window: the one count. */
int
state_in_window(const struct death *d, int n, time_t now,
    unsigned long window)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (d[i].when > now - (time_t)window)
			k++;
	return k;
}

/*
 * The facts of an identity (x: home_ctx(), its .session read here when
 * it was not yet); sn, a full pass's listing, makes a marker's
 * presence a lookup (NULL reads them live).  now is the caller's clock
 * (status's pinned one, or the pass's); now_ms is the clock's own
 * millisecond when it is within two seconds of now.  A healthy running
 * identity costs a read of .session, a connect and kill(0)s.
 *
 * The newest death's time comes from the mtime of .deaths (its line is
 * the last write) when that is its second or the next: the write may
 * land in the second after the epoch was read (a loaded machine), and a
 * backoff counted from it is never short.
 */
void
state_facts(struct idctx *x, const struct snap *sn, time_t now,
    struct facts *f)
{
	const char *id = x->id;
	struct timespec w, m;
	int deaths;

	memset(f, 0, sizeof *f);
	f->now = now;
	f->now_ms = (long long)now * 1000;
	if (clock_gettime(CLOCK_REALTIME, &w) == 0 && w.tv_sec >= now &&
	    w.tv_sec <= now + 2)
		f->now_ms = (long long)w.tv_sec * 1000 + w.tv_nsec / 1000000;
	f->alive = (sn == NULL || state_listed(&sn->sock, id, NULL)) &&
	    state_ctx_running(x);
	f->stopped = has(sn, id, M_STOPPED);
	f->wake = has(sn, id, M_WAKE);
	f->parked = has(sn, id, M_IDLE);
	f->queue = (sn == NULL || state_listed(&sn->state, id, M_QUEUE)) &&
	    marker_queue_nonempty(id) == 1;
	if (f->alive || sn == NULL) {
		if ((f->session = marker_ctx_session(x) != NULL))
			f->s = x->s;
	} else
		f->session = state_listed(&sn->state, id, M_SESSION);
	if (f->alive && f->session) {
		f->taken = f->s.server_pid > 1 &&
		    !recorded(f->s.server_pid, f->s.server_start);
		f->pane_dead = !f->taken && f->s.pane_pid > 1 &&
		    !recorded(f->s.pane_pid, f->s.pane_start);
		deaths = f->s.died > 0;
	} else {
		f->crashloop = has(sn, id, M_CRASHLOOP);
		deaths = !f->alive && !f->session && has(sn, id, M_DEATHS);
	}
	if (!deaths)
		return;
	f->ndeaths = marker_deaths_read(id, f->d, DEATHS_KEEP);
	if (f->ndeaths <= 0) {
		f->ndeaths = 0;
		return;
	}
	f->death_ms = (long long)f->d[f->ndeaths - 1].when * 1000;
	if (marker_mtime(id, M_DEATHS, &m) == 0 &&
	    (m.tv_sec == f->d[f->ndeaths - 1].when ||
	    m.tv_sec == f->d[f->ndeaths - 1].when + 1))
		f->death_ms = (long long)m.tv_sec * 1000 + m.tv_nsec / 1000000;
	f->interval = state_interval();
}

/*
 * The restart the newest death calls for (rules 1e, 3c-3e): 1 with its
 * numbers in v when the policy owes one, else 0.  A death the clock puts
 * in the future (it was stepped back) is taken as long past, never as a
 * backoff of the size of the step; ahead by a moment it is new.
 */
static int
restart_owed(const struct conf *c, const struct facts *f, struct verdict *v)
{
	unsigned long delay, cap;
	long long age;
	int i;

	if (f->ndeaths == 0 ||
	    !state_policy_restarts(c, f->d[f->ndeaths - 1].cause))
		return 0;
	cap = f->interval > 0 ? f->interval : 60;
	delay = c->restart_delay;
	for (i = 1; i < v->in_window && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	age = f->now_ms - f->death_ms;
	if (age < 0)
		age = -age <= 2000 ? 0 : 1LL << 40;
	v->delay = (long)delay * 1000;
	v->until = f->death_ms + v->delay;
	v->wait = age >= v->delay ? 0 : (long)(v->delay - age);
	/* Several deaths at once: its turn (section 16). */
	if (f->turn_ms > f->now_ms + v->wait) {
		v->wait = (long)(f->turn_ms - f->now_ms);
		v->until = f->turn_ms;
	}
	v->restart = 1;
	return 1;
}

#define RULE(r, s, a)	do { v->rule = (r); v->st = (s); v->act |= (a); \
			} while (0)

/* Rule 1, the server of a program still up (not its death). */
static void
decide_running(const struct conf *c, const struct facts *f,
    struct verdict *v)
{
	RULE("1", ST_RUNNING, 0);
	if (f->wake)
		RULE("1d", ST_RUNNING, A_UNWAKE);
	if (f->pane_dead && f->s.server_pid > 1) {
		RULE("1f", ST_DEAD, A_NUDGE);
		return;	/* the nudge ends it, or the next pass decides */
	}
	if (f->pipe_dead)
		RULE("1l", ST_RUNNING, A_PIPE);
	else if (c->idle > 0 && f->now - f->activity > (time_t)c->idle &&
	    !f->engaged) {
		RULE("1g", ST_RUNNING, A_REAP);
		return;
	}
	if (f->look)
		RULE("1j", ST_RUNNING, A_LOOK);
	if (!f->canary)
		RULE("1h", ST_RUNNING, A_CANARY);
	if (f->log_big)
		RULE("1i", ST_RUNNING, A_TRIM);
	if (f->deliver)
		RULE("1k", ST_RUNNING, A_DELIVER);
}

/* Rule 1e: a server that waits, its program's death recorded. */
static void
decide_waiting(const struct conf *c, const struct facts *f,
    struct verdict *v)
{
	if (!restart_owed(c, f, v) && !f->wake && !f->queue) {
		RULE("1e", ST_EXITED, A_END);
		return;
	}
	if (v->in_window >= (int)c->cl_deaths) {
		RULE("1e", ST_CRASHLOOP, A_CRASHLOOP | A_END);
		return;
	}
	if (f->wake || f->queue || v->wait <= 0)
		RULE("1e", ST_BACKOFF, A_RESPAWN);
	else
		RULE("1e", ST_BACKOFF, 0);
	if (!f->canary)
		v->act |= A_CANARY;
	if (f->log_big)
		v->act |= A_TRIM;
}

/*
 * The one decision: facts in, the state and the actions out, with the
 * crash-loop window's count and the restart's verdict.  Pure: no I/O,
 * no clock.
 */
void
state_decide(const struct conf *c, const struct facts *f, struct verdict *v)
{
	int owed;

	memset(v, 0, sizeof *v);
	v->in_window = state_in_window(f->d, f->ndeaths, f->now, c->cl_window);
	if (f->alive) {
		if (!f->session)
			RULE("1a", ST_RUNNING, A_ADOPT | A_CANARY);
		else if (f->taken)
			RULE("1b", ST_DEAD, A_DEATH);
		else if (f->stopped)
			RULE("1c", ST_RUNNING, A_PARK_STOPPED);
		else if (f->s.died > 0)
			decide_waiting(c, f, v);
		else
			decide_running(c, f, v);
		return;
	}
	if (f->session) {
		RULE("2", ST_DEAD, A_DEATH);
		return;
	}
	if (f->stopped) {
		RULE("3a", ST_STOPPED, 0);
		return;
	}
	if (f->crashloop) {
		RULE("3b", ST_CRASHLOOP, 0);
		return;
	}
	owed = !f->parked && restart_owed(c, f, v);
	if ((f->wake || f->queue || owed) &&
	    v->in_window >= (int)c->cl_deaths) {
		RULE("3c", ST_CRASHLOOP, A_CRASHLOOP);
		return;
	}
	if (f->parked)
		RULE("3f", ST_PARKED, 0);
	else if (owed && v->wait > 0)
		RULE("3f", ST_BACKOFF, 0);
	else if (f->ndeaths > 0)
		RULE("3f", ST_EXITED, 0);
	else
		RULE("3f", ST_DOWN, 0);
	if (f->wake || f->queue)
		RULE("3d", v->st, A_LAUNCH);
	else if (owed && v->wait <= 0)
		RULE("3e", v->st, A_RESTART);
}
/*
 * Every identity there is something of, sorted: a conf, or a .session
 * (a running session whose conf was deleted is still listed, stoppable
 * and purged).
 */
int
state_ids(char ***out)
{
	char dir[PATHBUF], **conf, **st, **all;
	size_t ns, i;
	int nc, n, k = 0;

	nc = conf_ids(&conf);
	home_path(dir, "state");
	st = file_names(dir, &ns);
	all = xmalloc(sizeof *all * ((size_t)nc + ns + 1));
	for (n = 0; n < nc; n++)
		all[k++] = conf[n];
	free(conf);
	for (i = 0; i < ns; i++) {
		char *dot = strchr(st[i], '.');

		if (dot != NULL && strcmp(dot, "." M_SESSION) == 0) {
			*dot = '\0';
			if (ident_valid(st[i]) &&
			    bsearch(&st[i], all, (size_t)nc, sizeof *all,
			    file_names_cmp) == NULL) {
				all[k++] = st[i];
				continue;
			}
		}
		free(st[i]);
	}
	free(st);
	if (k > 1)
		qsort(all, (size_t)k, sizeof *all, file_names_cmp);
	*out = all;
	return k;
}

/* Some of the identity is still there: a conf, a .session, a socket that
 * answers, or a canary pidfile. */
int
state_known(const char *id)
{
	return conf_exists(id) || marker_has(id, M_SESSION) == 1 ||
	    marker_has(id, M_CANARY) == 1 || state_running(id);
}

/* A wake is requested: .wake, or a non-empty .queue/. */
int
state_wake_pending(const char *id)
{
	return marker_has(id, M_WAKE) == 1 || marker_queue_nonempty(id) == 1;
}

/* A pid field of the record is pid. */
static int
names_pid(const char *line, const char *key, pid_t pid)
{
	struct buf v = { 0 };
	unsigned long n;
	int rc;

	rc = pid > 0 && logfmt_get(line, key, &v) == 0 &&
	    num_ulong(v.s, 1UL << 30, &n) == 0 && (pid_t)n == pid;
	buf_free(&v);
	return rc;
}

/*
 * .last-exit, when it belongs to session s: naming its server and its
 * pane (the hook's record), or naming its server and written no earlier
 * than it woke (the canary's, which names no pane).  The wall clock alone
 * never decides the hook's: one set back since the launch would file the
 * program's own exit as a server death.  1 with the line in le and its
 * mtime in *when, else 0 (about another session).
 */
int
state_last_exit_line(const char *id, const struct session *s,
    struct buf *le, time_t *when)
{
	struct timespec ts;

	if (marker_read(id, M_LASTEXIT, le) != 0 ||
	    marker_mtime(id, M_LASTEXIT, &ts) != 0 ||
	    !names_pid(le->s, "server_pid", s->server_pid))
		return 0;
	/* A server waiting with its dead pane (rule 1e): the program's end
	 * is counted already; only the server's own can be this one's. */
	if (s->died > 0 && strstr(le->s, " ev=server-exit ") == NULL)
		return 0;
	*when = ts.tv_sec;
	return names_pid(le->s, "pane_pid", s->pane_pid) ||
	    ts.tv_sec >= s->woke;
}

/*
 * What .last-exit says about session s, in a few words ("SIGKILL oom",
 * "status=1", "server-vanished"), and when it was written: 0, or 1 when
 * it holds nothing of this session.  For a death no tick has classified
 * yet.
 */
int
state_last_exit(const char *id, const struct session *s, char *out,
    size_t n, time_t *when)
{
	struct buf le = { 0 }, v = { 0 }, w = { 0 };
	time_t t;
	int rc = 1;

	if (!state_last_exit_line(id, s, &le, &t))
		goto out;
	if (logfmt_get(le.s, "signal", &v) == 0 && v.len > 0)
		buf_adds(&w, v.s);
	else if (logfmt_get(le.s, "ev", &v) == 0 &&
	    strcmp(v.s, "session-exit") == 0 &&
	    logfmt_get(le.s, "status", &v) == 0 && v.len > 0)
		buf_addf(&w, "status=%s", v.s);
	else if (logfmt_get(le.s, "cause", &v) == 0 && v.len > 0)
		buf_adds(&w, v.s);
	else
		goto out;
	if (logfmt_get(le.s, "oom", &v) == 0 && strcmp(v.s, "yes") == 0)
		buf_adds(&w, " oom");
	(void)snprintf(out, n, "%s", w.s);
	*when = t;
	rc = 0;
out:
	buf_free(&le);
	buf_free(&v);
	buf_free(&w);
	return rc;
}

/* Newest mtime of the activity file, or of the entries of the activity
 * directory (default: the pane log); never earlier than woke. */
time_t
state_activity(const struct idctx *x, const struct conf *c, time_t woke)
{
	const char *p = c->activity != NULL ? c->activity : x->pane_log;
	struct stat st;
	time_t t = woke;

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
