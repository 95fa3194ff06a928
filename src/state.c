/*
 * state.c - the state of an identity, derived from its markers and one
 * connect(2) to its socket; nothing of it is stored apart from them.
 * status displays it; the tick decides from the same facts.
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
state_running(const char *id)
{
	char sock[PATHBUF];
	struct session s;
	int r;

	if (home_sock(id, sock, sizeof sock) == -1)
		return 0;
	if ((r = tmux_probe(sock)) != -1)
		return r;
	return tmux_refused_again(sock, marker_session_read(id, &s) == 0 &&
	    s.server_pid > 1 ? s.server_pid : -1);
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
state_probe(const char *id, long ms)
{
	char sock[PATHBUF];
	struct session s;

	if (marker_session_read(id, &s) == 0 && s.server_pid > 1 &&
	    pid_is(s.server_pid, s.server_start, NULL))
		return pid_stopped(s.server_pid) ? ST_WEDGED : ST_RUNNING;
	if (home_sock(id, sock, sizeof sock) == -1)
		return ST_RUNNING;
	switch (server_ours(id, sock, ms)) {
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

/* The server runs, but the program's pane process .session recorded is
 * gone (tmux has not seen it end yet): not running, but dead. */
static int
state_pane_dead(const char *id)
{
	struct session s;

	if (marker_session_read(id, &s) != 0 || s.pane_pid <= 1)
		return 0;
	return s.pane_start != 0 ? !pid_is(s.pane_pid, s.pane_start, NULL) :
	    !pid_alive(s.pane_pid);
}

/* c NULL: the conf is unknown (no restart can be told). */
enum state
state_of(const char *id, const struct conf *c, int alive, time_t now)
{
	struct death d[1];
	struct owed o;

	if (alive)
		return state_pane_dead(id) ? ST_DEAD : ST_RUNNING;
	if (marker_has(id, M_STOPPED) == 1)
		return ST_STOPPED;
	if (marker_has(id, M_CRASHLOOP) == 1)
		return ST_CRASHLOOP;
	if (marker_has(id, M_SESSION) == 1)
		return ST_DEAD;
	if (marker_has(id, M_IDLE) == 1)
		return ST_PARKED;
	if (c != NULL && state_restart(id, c, now, &o) == 1 && o.wait > 0)
		return ST_BACKOFF;
	if (marker_deaths_read(id, d, 1) > 0)
		return ST_EXITED;
	return ST_DOWN;
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

/*
 * How long ago the newest death was, in ms.  Its line is the last write
 * of .deaths, so the file's mtime gives the millisecond its epoch lacks;
 * the write may land in the second after the epoch was read (a loaded
 * machine), and then the mtime, later than the death, is the time: a
 * backoff counted from it is never short.
 * now is status's pinned clock or the wall clock; a death that clock puts
 * in the future (it was stepped back) is taken as long past, never as a
 * backoff of the size of the step.
 */
static long long
death_age_ms(const char *id, const struct death *d, time_t now,
    long long *at)
{
	struct timespec m, w;
	long long nw = (long long)now * 1000;

	*at = (long long)d->when * 1000;
	if (marker_mtime(id, M_DEATHS, &m) == 0 && (m.tv_sec == d->when ||
	    m.tv_sec == d->when + 1))
		*at = (long long)m.tv_sec * 1000 + m.tv_nsec / 1000000;
	/* now may be a second or two behind the clock (read at the pass's
	 * start); the clock's own millisecond is the time then. */
	if (clock_gettime(CLOCK_REALTIME, &w) == 0 && w.tv_sec >= now &&
	    w.tv_sec <= now + 2)
		nw = (long long)w.tv_sec * 1000 + w.tv_nsec / 1000000;
	if (nw >= *at)
		return nw - *at;
	/* Ahead by a moment: two clocks read apart, the death is new.  Ahead
	 * by more: the clock was stepped back since. */
	return *at - nw <= 2000 ? 0 : 1LL << 40;
}

/*
 * A restart is owed: the newest death's cause calls for one by policy, and
 * nothing since has settled it (no session, not stopped, not crash-looped,
 * not parked).  1 with *o: restart_delay doubled for each earlier death
 * in the crash-loop window, capped at the tick interval, after the newest
 * death, to the millisecond.  0 when none is owed.
 */
int
state_restart(const char *id, const struct conf *c, time_t now,
    struct owed *o)
{
	struct death d[DEATHS_KEEP];
	unsigned long delay, cap;
	long long age, at;
	int n, i, k = 0;

	if (marker_has(id, M_DEATHS) != 1 || marker_has(id, M_SESSION) == 1 ||
	    marker_has(id, M_STOPPED) == 1 || marker_has(id, M_CRASHLOOP) == 1 ||
	    marker_has(id, M_IDLE) == 1)
		return 0;
	n = marker_deaths_read(id, d, DEATHS_KEEP);
	if (n == 0 || !state_policy_restarts(c, d[n - 1].cause))
		return 0;
	age = death_age_ms(id, &d[n - 1], now, &at);
	for (i = 0; i < n; i++)
		if (d[i].when > d[n - 1].when - (time_t)c->cl_window)
			k++;
	cap = state_interval();
	delay = c->restart_delay;
	for (i = 1; i < k && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	o->delay = (long)delay * 1000;
	o->until = at + o->delay;
	o->wait = age >= o->delay ? 0 : (long)(o->delay - age);
	return 1;
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
state_activity(const char *id, const struct conf *c, time_t woke)
{
	char p[PATHBUF];
	struct stat st;
	time_t t = woke;

	if (c->activity != NULL)
		(void)snprintf(p, sizeof p, "%s", c->activity);
	else
		home_pane_log(p, id);
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
