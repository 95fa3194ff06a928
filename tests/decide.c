/*
 * decide.c - the one decision (src/state.c), rule by rule: facts in, the
 * state and the actions out, with the restart's numbers; and the time
 * format of the records (src/fmt.c).  Built and run
 * by `make check` (build/decide-test); not part of the installed roost.
 * Prints "N passed, N failed"; exits 1 when one failed.
 */
#include "roost.h"

#include <stdio.h>
#include <string.h>

#define NOW	1800000000

static int passed, failed;

static void
check(const char *what, const struct conf *c, const struct facts *f,
    enum state st, unsigned act, const char *rule)
{
	struct verdict v;

	state_decide(c, f, &v);
	if (v.st == st && v.act == act && strcmp(v.rule, rule) == 0) {
		passed++;
		return;
	}
	failed++;
	printf("FAILED: %s: got state=%s act=%#x rule=%s, want state=%s "
	    "act=%#x rule=%s\n", what, state_name(v.st), v.act, v.rule,
	    state_name(st), act, rule);
}

static void
expect(const char *what, int ok)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAILED: %s\n", what);
}

/* A running program, healthy: its canary up, nothing due. */
static void
running(struct facts *f)
{
	memset(f, 0, sizeof *f);
	f->now = NOW;
	f->now_ms = (long long)NOW * 1000;
	f->alive = 1;
	f->session = 1;
	f->s.server_pid = 100;
	f->s.pane_pid = 101;
	f->s.woke = NOW - 10;
	f->activity = NOW - 10;
	f->canary = 1;
}

/* Down, no session; deaths added by died(). */
static void
down(struct facts *f)
{
	memset(f, 0, sizeof *f);
	f->now = NOW;
	f->now_ms = (long long)NOW * 1000;
	f->interval = 60;
}

/* A death ago_ms before now, with cause. */
static void
died(struct facts *f, long ago_ms, const char *cause)
{
	struct death *d = &f->d[f->ndeaths++];

	f->death_ms = f->now_ms - ago_ms;
	d->when = (time_t)(f->death_ms / 1000);
	(void)snprintf(d->cause, sizeof d->cause, "%s", cause);
}

int
main(void)
{
	struct verdict v;
	struct facts f;
	struct conf c;

	conf_defaults(&c);

	/* Rule 1: running. */
	running(&f);
	check("healthy", &c, &f, ST_RUNNING, 0, "1");
	running(&f);
	f.session = 0;
	check("1a no .session", &c, &f, ST_RUNNING, A_ADOPT | A_CANARY, "1a");
	running(&f);
	f.taken = 1;
	check("1b server taken", &c, &f, ST_DEAD, A_DEATH, "1b");
	running(&f);
	f.stopped = 1;
	check("1c stopped", &c, &f, ST_RUNNING, A_PARK_STOPPED, "1c");
	running(&f);
	f.wake = 1;
	check("1d stale wake", &c, &f, ST_RUNNING, A_UNWAKE, "1d");
	running(&f);
	f.pane_dead = 1;
	check("1f lost SIGCHLD", &c, &f, ST_DEAD, A_NUDGE, "1f");
	running(&f);
	f.activity = NOW - 3601;
	check("1g idle", &c, &f, ST_RUNNING, A_REAP, "1g");
	f.engaged = 1;
	check("1g idle but engaged", &c, &f, ST_RUNNING, 0, "1");
	running(&f);
	f.canary = 0;
	check("1h canary", &c, &f, ST_RUNNING, A_CANARY, "1h");
	running(&f);
	f.log_big = 1;
	check("1i trim", &c, &f, ST_RUNNING, A_TRIM, "1i");
	running(&f);
	f.look = 1;
	check("1j look", &c, &f, ST_RUNNING, A_LOOK, "1j");
	running(&f);
	f.deliver = 1;
	check("1k deliver", &c, &f, ST_RUNNING, A_DELIVER, "1k");
	running(&f);
	f.pipe_dead = 1;
	f.activity = NOW - 3601;
	check("1l pipe, never a reap", &c, &f, ST_RUNNING, A_PIPE, "1l");

	/* Rule 1e: the server waits with the pane dead. */
	running(&f);
	f.interval = 60;
	f.s.died = NOW;
	died(&f, 200, "status=3");
	check("1e backoff", &c, &f, ST_BACKOFF, 0, "1e");
	state_decide(&c, &f, &v);
	expect("1e wait 800 ms", v.restart && v.wait == 800 && v.delay == 1000);
	f.canary = 0;
	check("1e canary", &c, &f, ST_BACKOFF, A_CANARY, "1e");
	f.canary = 1;
	f.wake = 1;
	check("1e wake: now", &c, &f, ST_BACKOFF, A_RESPAWN, "1e");
	f.wake = 0;
	f.now_ms += 800;
	check("1e due", &c, &f, ST_BACKOFF, A_RESPAWN, "1e");
	f.stopped = 1;
	check("1e stopped: 1c first", &c, &f, ST_RUNNING, A_PARK_STOPPED,
	    "1c");
	f.stopped = 0;
	c.restart = RESTART_NEVER;
	check("1e owed nothing", &c, &f, ST_EXITED, A_END, "1e");
	c.restart = RESTART_ON_FAILURE;
	died(&f, 0, "status=1");
	died(&f, 0, "status=1");
	check("1e crash-loop", &c, &f, ST_CRASHLOOP, A_CRASHLOOP | A_END,
	    "1e");
	running(&f);
	f.s.died = NOW;
	f.pane_dead = 1;
	f.activity = NOW - 7200;
	died(&f, 100, "status=3");
	check("1e: no nudge, no reap", &c, &f, ST_BACKOFF, 0, "1e");

	/* Rule 2. */
	down(&f);
	f.session = 1;
	check("2 dead", &c, &f, ST_DEAD, A_DEATH, "2");

	/* Rule 3. */
	down(&f);
	f.stopped = 1;
	f.wake = 1;
	check("3a stopped", &c, &f, ST_STOPPED, 0, "3a");
	down(&f);
	f.crashloop = 1;
	f.wake = 1;
	check("3b crash-loop", &c, &f, ST_CRASHLOOP, 0, "3b");
	down(&f);
	f.wake = 1;
	died(&f, 1000, "status=1");
	died(&f, 1000, "status=1");
	died(&f, 1000, "status=1");
	check("3c wake at the limit", &c, &f, ST_CRASHLOOP, A_CRASHLOOP, "3c");
	f.wake = 0;
	check("3c restart at the limit, in its backoff", &c, &f, ST_CRASHLOOP,
	    A_CRASHLOOP, "3c");
	state_decide(&c, &f, &v);
	expect("3c counts 3 in the window", v.in_window == 3);
	down(&f);
	died(&f, 400 * 1000, "status=1");
	died(&f, 400 * 1000, "status=1");
	died(&f, 1000, "status=1");
	state_decide(&c, &f, &v);
	expect("deaths outside the window do not count", v.in_window == 1 &&
	    v.delay == 1000 && !(v.act & A_CRASHLOOP));
	down(&f);
	f.wake = 1;
	check("3d wake", &c, &f, ST_DOWN, A_LAUNCH, "3d");
	f.parked = 1;
	check("3d parked wake", &c, &f, ST_PARKED, A_LAUNCH, "3d");
	down(&f);
	f.queue = 1;
	check("3d queue", &c, &f, ST_DOWN, A_LAUNCH, "3d");
	down(&f);
	died(&f, 500, "status=1");
	check("3f backoff", &c, &f, ST_BACKOFF, 0, "3f");
	f.now_ms += 500;
	check("3e restart due", &c, &f, ST_EXITED, A_RESTART, "3e");
	down(&f);
	died(&f, 100, "status=1");
	died(&f, 100, "status=1");
	state_decide(&c, &f, &v);
	expect("3f doubled: 2 s", v.delay == 2000 && v.wait == 1900 &&
	    v.until == f.death_ms + 2000);
	c.restart_delay = 50;
	state_decide(&c, &f, &v);
	expect("3f capped at the interval", v.delay == 60000);
	c.restart_delay = 1;
	f.turn_ms = f.now_ms + 5000;
	state_decide(&c, &f, &v);
	expect("3f several deaths at once: its turn", v.wait == 5000 &&
	    v.until == f.turn_ms && v.st == ST_BACKOFF);
	down(&f);
	died(&f, 100, "status=0");
	check("3f on-failure, status 0: exited", &c, &f, ST_EXITED, 0, "3f");
	c.restart = RESTART_ALWAYS;
	check("3f always, status 0: backoff", &c, &f, ST_BACKOFF, 0, "3f");
	c.restart = RESTART_ON_FAILURE;
	down(&f);
	died(&f, -3600 * 1000L, "status=1");
	check("3e a death in the future (clock set back): due", &c, &f,
	    ST_EXITED, A_RESTART, "3e");
	down(&f);
	died(&f, -1500, "status=1");
	check("3f a death a moment ahead: new", &c, &f, ST_BACKOFF, 0, "3f");
	down(&f);
	f.parked = 1;
	died(&f, 100, "status=1");
	check("3f parked: no restart", &c, &f, ST_PARKED, 0, "3f");
	down(&f);
	check("3f down", &c, &f, ST_DOWN, 0, "3f");

	/* The times the decision's records carry (fmt_iso: no zone file). */
	{
		static const struct {
			long long t;
			const char *want;
		} ts[] = {
			{ 0, "1970-01-01T00:00:00Z" },
			{ -1, "1969-12-31T23:59:59Z" },
			{ 951782400, "2000-02-29T00:00:00Z" },
			{ 4107456000LL, "2100-02-28T00:00:00Z" },
			{ 4107542400LL, "2100-03-01T00:00:00Z" },
			{ 1709251199, "2024-02-29T23:59:59Z" },
			{ NOW, "2027-01-15T08:00:00Z" },
			{ 253402300799LL, "9999-12-31T23:59:59Z" }
		};
		char out[32], what[64];
		size_t i;

		for (i = 0; i < sizeof ts / sizeof ts[0]; i++) {
			fmt_iso((time_t)ts[i].t, out);
			(void)snprintf(what, sizeof what, "fmt_iso %lld: %s",
			    ts[i].t, out);
			expect(what, strcmp(out, ts[i].want) == 0);
		}
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}
