/*
 * teardown.c - the clean end of a session, the same for every teardown
 * (stop, restart, idle parking, rm --force, uninstall --purge, a launch
 * over a live server):
 *
 *  1. the canary is dismissed first, so a clean path never produces
 *     ev=server-exit, and the pane-died hook is unset, so the program's
 *     end is not recorded as a death;
 *  2. stop_keys are typed into the pane, only when the program is not
 *     busy or waiting for a person (activity.c; ev=teardown keys= says
 *     which); after half of stop_timeout (at once when no keys were
 *     typed) stop_signal goes to each live pane's process group;
 *  3. up to stop_timeout for those process groups to end by themselves
 *     (graceful=yes);
 *  4. only then kill-server, SIGKILL to what is left of them
 *     (graceful=no) and to what is left in the identity's scope, the
 *     socket removed, ev=teardown.
 *
 * INT, TERM and HUP are held from step 1 to the end of step 4: an
 * interruption between them would leave a program that ends unrecorded.
 *
 * A pid is signalled only while it is provably the process roost saw: a
 * pane's start time is taken while tmux lists it alive.  Several
 * teardowns can wait at once (teardown_begin, teardown_poll,
 * teardown_finish); teardown() does one from start to end.  Callers hold
 * the identity's lock.
 */
#include "roost.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PANES_MAX	64

struct stop {
	char	 id[ID_MAX + 1];
	char	 reason[24];
	struct idctx x;	/* the caller's context, its id this id */
	int	 alive;		/* a server of ours was up */
	int	 sig;		/* stop_signal, 0 none */
	int	 signalled;
	long	 keys_ms;	/* with stop_keys: when the signal follows */
	long	 timeout_ms;
	struct timespec t0;
	struct session s;
	int	 have_session;
	const char *keys;	/* typed, skipped-busy, skipped-waiting; NULL */
	int	 npanes;
	struct pane {
		pid_t	 pid;
		unsigned long long stamp;
	} panes[PANES_MAX];
};

/* A pane's process group is still there: its leader (provably the one
 * listed) or, the leader gone, any member of the group. */
static int
pane_alive(const struct pane *p)
{
	return pid_is(p->pid, p->stamp, NULL) ||
	    (!pid_alive(p->pid) && pid_group_alive(p->pid));
}

static void
panes_signal(struct stop *st, int sig)
{
	int i;

	for (i = 0; i < st->npanes; i++)
		if (pane_alive(&st->panes[i]))
			(void)kill(-st->panes[i].pid, sig);
}

static void
pane_add(struct stop *st, pid_t pid)
{
	unsigned long long stamp;
	int i;

	for (i = 0; i < st->npanes; i++)
		if (st->panes[i].pid == pid)
			return;
	if (st->npanes == PANES_MAX || pid <= 1 || pid_stamp(pid, &stamp) == -1)
		return;
	st->panes[st->npanes].pid = pid;
	st->panes[st->npanes++].stamp = stamp;
}

/* The live panes of the session, with their start times taken now. */
static void
panes_list(struct stop *st)
{
	const char *args[] = { "list-panes", "-s", "-t", st->x.target, "-F",
	    "#{pane_pid} #{pane_dead}", NULL };
	struct buf o = { 0 };
	char *line, *save = NULL;

	if (tmux_run_ms(st->x.sock, args, &o, TMUX_ASK_MS) == 0)
		for (line = strtok_r(o.s, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			unsigned long v;
			char *sp = strchr(line, ' ');

			if (sp == NULL || strcmp(sp + 1, "0") != 0)
				continue;	/* dead: its pid may be anyone's */
			*sp = '\0';
			if (num_ulong(line, 1UL << 30, &v) == 0)
				pane_add(st, (pid_t)v);
		}
	buf_free(&o);
	/* tmux did not answer (wedged): the pane .session recorded, if it is
	 * still that process. */
	if (st->npanes == 0 && st->have_session &&
	    pid_is(st->s.pane_pid, st->s.pane_start, NULL)) {
		st->panes[0].pid = st->s.pane_pid;
		st->panes[0].stamp = st->s.pane_start;
		st->npanes = 1;
	}
}

/* Split stop_keys into send-keys words: blanks separate, '...' and "..."
 * quote. */
static int
keys_split(const char *keys, struct buf *store, size_t *offs, int max)
{
	const char *p = keys;
	int n = 0;

	buf_reset(store);
	while (*p != '\0' && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		offs[n++] = store->len;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p != '\0' && *p != q)
					buf_addc(store, *p++);
				if (*p == q)
					p++;
			} else
				buf_addc(store, *p++);
		}
		/* A lone ; is the key, never the end of the tmux command
		 * (and what follows it another command). */
		if (store->len - offs[n - 1] == 1 &&
		    store->s[offs[n - 1]] == ';') {
			store->len--;
			buf_adds(store, "\\;");
		}
		buf_addc(store, '\0');
	}
	return n;
}

/* The same split for delivery's submit_keys. */
int
teardown_keys_split(const char *keys, struct buf *store, size_t *offs, int max)
{
	return keys_split(keys, store, offs, max);
}

/* The hook unset, then the keys typed: one tmux invocation. */
static void
hook_off_keys(struct stop *st, const char *keys)
{
	const char *target = st->x.target, *args[48];
	size_t words[32];
	struct buf store = { 0 };
	int n = 0, k, i;

	args[n++] = "set-hook";
	args[n++] = "-u";
	args[n++] = "-t";
	args[n++] = target;
	args[n++] = "pane-died";
	k = keys != NULL ? keys_split(keys, &store, words, 32) : 0;
	if (k > 0) {
		args[n++] = ";";
		args[n++] = "send-keys";
		args[n++] = "-t";
		args[n++] = target;
		for (i = 0; i < k; i++)
			args[n++] = store.s + words[i];
	}
	args[n] = NULL;
	(void)tmux_run_ms(st->x.sock, args, NULL, TMUX_ASK_MS);
	buf_free(&store);
	st->keys_ms = k > 0 ? st->timeout_ms / 2 : 0;
}

/* Stop keys are for a program idle at its prompt: never typed into a
 * prompt that waits for a person, nor into a turn in progress. */
static const char *
keys_guard(struct stop *st, const struct conf *c)
{
	struct activity a;

	if (c->stop_keys == NULL)
		return NULL;
	st->keys = "typed";
	if (!st->have_session)
		return c->stop_keys;
	(void)activity_get(&st->x, c, &st->s, 1, &a);
	if (a.doing == DOING_BUSY)
		st->keys = "skipped-busy";
	else if (a.doing == DOING_WAITING)
		st->keys = "skipped-waiting";
	return strcmp(st->keys, "typed") == 0 ? c->stop_keys : NULL;
}

/*
 * Steps 1 and 2, for the identity of x (its .session as x has it: the
 * caller forgets it after a write).  Returns NULL, with the error slot
 * set, when the server on the socket is not this home's (it is left
 * alone).
 */
struct stop *
teardown_begin(struct idctx *x, const char *reason)
{
	struct stop *st;
	const struct session *s;
	const char *id = x->id;
	struct conf c;
	int ours;

	if (home_ctx_sock(x) == -1)
		return NULL;
	st = xmalloc(sizeof *st);
	memset(st, 0, sizeof *st);
	sig_hold();	/* released by teardown_finish, or below */
	(void)snprintf(st->id, sizeof st->id, "%s", id);
	(void)snprintf(st->reason, sizeof st->reason, "%s", reason);
	now_mono(&st->t0);
	if ((s = marker_ctx_session(x)) != NULL) {
		st->s = *s;
		st->have_session = 1;
	}
	st->x = *x;
	st->x.id = st->id;
	if (conf_read(id, &c) == -1)
		conf_defaults(&c);	/* a broken conf never blocks a stop */
	st->sig = c.stop_signal;
	st->timeout_ms = (long)c.stop_timeout * 1000;
	canary_dismiss(id);
	if (tmux_alive(st->x.sock)) {
		ours = server_ours(&st->x, TMUX_ASK_MS);
		/* A wedged server does not answer; it is ours if it is still
		 * the process .session recorded. */
		if (ours == -1 && st->have_session &&
		    pid_is(st->s.server_pid, st->s.server_start, st->x.sock))
			ours = 1;
		if (ours != 1 && ours != SERVER_GONE) {
			conf_free(&c);
			free(st);
			sig_release();
			return NULL;
		}
		/* Gone while asked: nothing left to stop but its markers. */
		if (ours == 1) {
			st->alive = 1;
			panes_list(st);
			hook_off_keys(st, keys_guard(st, &c));
		}
	}
	conf_free(&c);
	if (st->alive && st->keys_ms == 0 && st->sig != 0) {
		panes_signal(st, st->sig);
		st->signalled = 1;
	}
	return st;
}

long
teardown_waited(const struct stop *st)
{
	return now_ms_since(&st->t0);
}

/* Step 3, without blocking: 1 when there is nothing more to wait for. */
int
teardown_poll(struct stop *st)
{
	long ms = teardown_waited(st);
	int i, left = 0;

	if (!st->alive)
		return 1;
	for (i = 0; i < st->npanes; i++)
		left += pane_alive(&st->panes[i]);
	if (left == 0)
		return 1;
	if (!st->signalled && st->sig != 0 && ms >= st->keys_ms) {
		panes_signal(st, st->sig);
		st->signalled = 1;
	}
	return ms >= st->timeout_ms;
}

/* Step 4; frees st.  0, or -1 when the server would not go. */
int
teardown_finish(struct stop *st)
{
	struct timespec t0;
	char waited[24];
	int i, graceful = 1, rc = 0;

	(void)snprintf(waited, sizeof waited, "%ld", teardown_waited(st));
	for (i = 0; i < st->npanes; i++)
		if (pane_alive(&st->panes[i]))
			graceful = 0;
	if (st->alive) {
		const char *args[] = { "kill-server", NULL };

		if (graceful)
			now_sleep_ms(FLUSH_MS);
		(void)tmux_run_ms(st->x.sock, args, NULL, TMUX_ASK_MS);
		now_mono(&t0);
		while (tmux_alive(st->x.sock) &&
		    now_ms_since(&t0) < SERVER_GONE_MS)
			now_sleep_ms(5);
		if (tmux_alive(st->x.sock) && st->have_session &&
		    pid_is(st->s.server_pid, st->s.server_start, st->x.sock)) {
			(void)kill(st->s.server_pid, SIGKILL);
			(void)pid_wait_gone(st->s.server_pid, SERVER_KILLED_MS);
		}
		if (tmux_alive(st->x.sock))
			rc = err_set(RX_FAIL, "%s: the tmux server on %s would "
			    "not exit", st->id, st->x.sock);
		panes_signal(st, SIGKILL);
	}
	/* Its scope goes with it: a child that left the pane's process
	 * group is the identity's too (never the scope we run in). */
	if (rc == 0 && st->have_session && st->s.scope[0] != '\0' &&
	    !scope_self_in(st->s.scope))
		(void)scope_kill(st->s.scope);
	if (rc == 0 && server_sock_clear(st->x.sock) == -1)
		rc = -1;
	if (rc == 0 && marker_rm(st->id, M_SESSION) == -1)
		rc = -1;
	if (rc == 0)
		activity_clear(st->id);
	if (st->keys != NULL)
		log_event("teardown", st->id, "reason", st->reason, "graceful",
		    graceful ? "yes" : "no", "waited_ms", waited, "keys",
		    st->keys, LEND);
	else
		log_event("teardown", st->id, "reason", st->reason, "graceful",
		    graceful ? "yes" : "no", "waited_ms", waited, LEND);
	free(st);
	sig_release();
	return rc;
}

/* One teardown from start to end; x's .session is read again after. */
int
teardown(struct idctx *x, const char *reason)
{
	struct stop *st = teardown_begin(x, reason);

	if (st == NULL)
		return -1;
	while (!teardown_poll(st))
		now_sleep_ms(20);
	marker_ctx_forget(x);
	return teardown_finish(st);
}

/*
 * What is left of a session whose server died: the pane's process group,
 * when it is provably the one .session recorded (its leader with that
 * start time, or, the leader gone, the group still there).  A program
 * that ignores the hangup would otherwise run on beside its restart.  It
 * gets stop_signal, up to stop_timeout to end, then SIGKILL, as in a
 * teardown; ev=orphans when say (after a program's own exit, what is
 * left is mostly the launch script's late nudge: not worth a line).
 * 1 when there was one, else 0.
 */
int
teardown_orphans(const char *id, const struct session *s, int say)
{
	struct pane p;
	struct timespec t0;
	struct conf c;
	char pg[24], waited[24];
	long ms;
	int graceful = 1;

	p.pid = s->pane_pid;
	p.stamp = s->pane_start;
	if (p.pid <= 1 || !pane_alive(&p))
		return 0;
	if (conf_read(id, &c) == -1)
		conf_defaults(&c);
	ms = (long)c.stop_timeout * 1000;
	if (c.stop_signal != 0)
		(void)kill(-p.pid, c.stop_signal);
	conf_free(&c);
	now_mono(&t0);
	while (pane_alive(&p) && now_ms_since(&t0) < ms)
		now_sleep_ms(20);
	if (pane_alive(&p)) {
		(void)kill(-p.pid, SIGKILL);
		graceful = 0;
	}
	(void)snprintf(pg, sizeof pg, "%ld", (long)p.pid);
	(void)snprintf(waited, sizeof waited, "%ld", now_ms_since(&t0));
	if (say)
		log_event("orphans", id, "pgid", pg, "graceful", graceful ? "yes" :
	    "no", "waited_ms", waited, LEND);
	return 1;
}
