/* cmd_session.c - start, stop, wake, restart, attach and canary: one
 * identity's session, under its lock. */
#include "roost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *fresh;
	const char *wait;	/* --wait[=SECS] */
} rso;

static const struct opt no_opts[] = {
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static const struct opt restart_opts[] = {
	{ "fresh", 0, OPT_FLAG, &rso.fresh, NULL, NULL },
	{ "wait", 0, OPT_OPTARG, &rso.wait, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

static const struct opt wait_opts[] = {
	{ "wait", 0, OPT_OPTARG, &rso.wait, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* With --wait, the success line waits for readiness and gets its end:
 * "<line>, ready after <ms> ms". */
static struct {
	long	 ms;
	char	 id[ID_MAX + 1];
	char	 line[128];
} rw;

static void
say(const char *id, const char *fmt, const char *verb, const char *mode)
{
	if (rw.ms <= 0) {
		cli_out(fmt, verb, id, mode);
		return;
	}
	(void)snprintf(rw.id, sizeof rw.id, "%s", id);
	(void)snprintf(rw.line, sizeof rw.line, fmt, verb, id, mode);
	rw.line[strcspn(rw.line, "\n")] = '\0';
}

/* After the lock is let go: wait for the program to be ready (the
 * passes it asks for deliver what was queued for it). */
static int
ready_wait(int rc)
{
	long waited;

	if (rc != 0 || rw.ms <= 0 || rw.id[0] == '\0')
		return rc;
	switch (send_wait_ready(rw.id, rw.ms, &waited)) {
	case 1:
		cli_out("%s, ready after %ld ms\n", rw.line, waited);
		return 0;
	case -1:
		cli_out("%s\n", rw.line);
		return -1;
	}
	cli_out("%s\n", rw.line);
	return err_set(RX_TIMEOUT, "%s: not ready within %ld s", rw.id,
	    rw.ms / 1000);
}

/* --wait's value: -1 when it is not a number of seconds. */
static int
wait_opt(void)
{
	if ((rw.ms = send_wait_ms(rso.wait)) == -1)
		return err_set(RX_USAGE, "--wait: not a number of seconds "
		    "(1 to 86400): %s", rso.wait);
	return 0;
}

/* Refused by lifecycle state: exit 3, logged. */
static int
refused(const char *id)
{
	const char *why = marker_has(id, M_STOPPED) == 1 ? "stopped" :
	    marker_has(id, M_CRASHLOOP) == 1 ? "crash-loop" : NULL;

	if (why == NULL)
		return 0;
	log_event("refused", id, "cause", why, "by", cli_cmd(), LEND);
	(void)err_set(RX_REFUSED, "refused %s: %s (roost start %s clears it)", id,
	    why, id);
	return -1;
}

#define B_CONF		0x1	/* the conf must parse */
#define B_UNREFUSED	0x2	/* not stopped, not crash-looped */

/* The id, its lock and its conf: what every session command begins
 * with.  The conf is read under the lock, so a definition removed while
 * we waited is not brought back.  Without B_CONF only something of the
 * identity must exist (a conf, a session): a typo in a conf, or a conf
 * deleted under a running session, must not stop anyone from stopping
 * it. */
static int
begin(const char *id, struct conf *c, int *lk, int flags)
{
	*lk = -1;
	conf_defaults(c);
	if (ident_check(id) == -1)
		return -1;
	if (!state_known(id))
		return err_set(RX_UNKNOWN, "%s: unknown identity", id);
	if ((*lk = home_lock(id, 1)) < 0)
		return -1;
	if (!(flags & B_CONF)) {
		if (!state_known(id))
			return err_set(RX_UNKNOWN, "%s: unknown identity", id);
	} else if (conf_read(id, c) == -1)
		return -1;
	if ((flags & B_UNREFUSED) && refused(id) == -1)
		return -1;
	return 0;
}

static int
end(struct conf *c, int lk, int rc)
{
	file_unlock(lk);
	conf_free(c);
	rc = ready_wait(rc);
	return rc == 0 ? RX_OK : rc > 0 ? rc : cli_fail();
}

/* Launch and say so: "<verb> <id> (fresh|resume)". */
static int
launch_say(struct idctx *x, const struct conf *c, const char *mode_req,
    const char *cause, const char *verb)
{
	const char *id = x->id, *mode = NULL;

	if (launch(x, c, mode_req, cause, &mode) == -1)
		return -1;
	say(id, "%s %s (%s)\n", verb, mode);
	return 0;
}

/* "running <id>" when its server runs (a server on its socket that is
 * not this home's is an error), else launch it (resume if parked). */
static int
launch_unless_running(struct idctx *x, const struct conf *c,
    const char *cause, const char *verb)
{
	const char *id = x->id;
	int ours;

	if (state_ctx_running(x)) {
		if (home_ctx_sock(x) == -1)
			return -1;
		/* A server that went away while asked is launched anew. */
		if ((ours = server_ours(x, SERVER_ASK_MS)) == 1) {
			const char *mode;
			int r;

			/* One waiting out a backoff with the program's pane
			 * dead (state.c, rule 1e): respawned now. */
			if ((r = tick_respawn(x, c, cause, &mode)) == -1)
				return -1;
			if (r == 1)
				say(id, "%s %s (%s)\n", verb, mode);
			else
				say(id, "%s %s%s\n", "running", "");
			return 0;
		}
		if (ours != SERVER_GONE)
			return -1;
	}
	return launch_say(x, c, NULL, cause, verb);
}

static int
cmd_start(const struct args *a)
{
	const char *id = a->v[0];
	struct idctx x;
	struct conf c;
	int lk, clean;

	if (wait_opt() == -1)
		return cli_fail();
	if (begin(id, &c, &lk, B_CONF) == -1)
		return end(&c, lk, -1);
	home_ctx(id, &x);
	if (death_unreachable(&x) == -1)
		return end(&c, lk, -1);
	/* Record a death no tick has seen before the slate is wiped, so the
	 * launch does not write it into the fresh .deaths. */
	(void)death_flush(&x, &clean);
	if (marker_rm(id, M_STOPPED) == -1 || marker_rm(id, M_CRASHLOOP) == -1 ||
	    marker_rm(id, M_DEATHS) == -1)
		return end(&c, lk, -1);
	log_event("start", id, LEND);
	return end(&c, lk, launch_unless_running(&x, &c, "start", "started"));
}

static int
cmd_stop(const struct args *a)
{
	const char *id = a->v[0];
	struct idctx x;
	struct conf c;
	pid_t cp;
	int lk, clean, rc = 0;

	cli_detach_if_inside(id);
	if (begin(id, &c, &lk, 0) == -1)
		return end(&c, lk, -1);
	home_ctx(id, &x);
	log_event("stop", id, LEND);
	sig_hold();	/* an interrupted stop would leave it half-stopped */
	/* A death the tick has not seen yet is still a death. */
	(void)death_flush(&x, &clean);
	/* The program first, the markers after: a home that cannot take
	 * .stopped (out of space, out of inodes) is when a runaway program
	 * most needs stopping. */
	if ((state_ctx_running(&x) || (canary_pid(id, &cp) == 0 && cp > 0) ||
	    marker_has(id, M_SESSION) == 1) && cli_teardown(&x, "stop") == -1)
		rc = -1;
	else if (marker_set(id, M_STOPPED, "") == -1 ||
	    marker_set(id, M_IDLE, "") == -1)
		rc = err_set(err_code(), "stopped %s, but %s", id, err_msg());
	else
		cli_out("stopped %s\n", id);
	sig_release();
	return end(&c, lk, rc);
}

static int
cmd_wake(const struct args *a)
{
	const char *id = a->v[0];
	struct idctx x;
	struct conf c;
	int lk;

	if (wait_opt() == -1)
		return cli_fail();
	if (begin(id, &c, &lk, B_CONF | B_UNREFUSED) == -1)
		return end(&c, lk, -1);
	home_ctx(id, &x);
	return end(&c, lk, launch_unless_running(&x, &c, "wake", "woke"));
}

static int
cmd_restart(const struct args *a)
{
	const char *id = a->v[0];
	struct idctx x;
	struct conf c;
	int lk, rc;

	cli_detach_if_inside(id);
	if (wait_opt() == -1)
		return cli_fail();
	if (begin(id, &c, &lk, B_CONF | B_UNREFUSED) == -1)
		return end(&c, lk, -1);
	home_ctx(id, &x);
	/* Held until the launch: an interrupted restart must not leave it
	 * down with nothing asking for it. */
	sig_hold();
	if (state_ctx_running(&x) && cli_teardown(&x, "restart") == -1)
		rc = -1;
	else
		rc = launch_say(&x, &c, rso.fresh != NULL ? "fresh" : "resume",
		    "restart", "restarted");
	sig_release();
	return end(&c, lk, rc);
}

static int
cmd_attach(const struct args *a)
{
	const char *id = a->v[0];
	const char *argv[8];
	struct idctx x;
	struct conf c;

	conf_defaults(&c);
	if (ident_check(id) == -1 || conf_read(id, &c) == -1)
		return cli_fail();
	conf_free(&c);
	home_ctx(id, &x);
	if (home_ctx_sock(&x) == -1 || tmux_check() == -1)
		return cli_fail();
	if (!tmux_alive(x.sock))
		return err_set(RX_REFUSED, "%s: not running", id), cli_fail();
	argv[0] = tmux_bin();
	argv[1] = "-S";
	argv[2] = x.sock;
	argv[3] = "attach-session";
	argv[4] = "-t";
	argv[5] = x.target;
	argv[6] = NULL;
	(void)fflush(stdout);
	execv(argv[0], (char *const *)argv);
	return err_set(RX_FAIL, "%s: %s", argv[0], strerror(errno)), cli_fail();
}

static int
cmd_canary(const struct args *a)
{
	const char *id = a->v[0], *what = "failed";
	struct idctx x;
	struct conf c;
	int lk, rc;

	if (begin(id, &c, &lk, 0) == -1)
		return end(&c, lk, -1);
	home_ctx(id, &x);
	rc = canary_ensure(&x, "command", &what);
	cli_out("%s\n", what);
	if (rc == -1)
		cli_warn("%s", err_msg());
	return end(&c, lk, rc == -1 ? RX_FAIL : 0);
}

/* start, wake and restart say the same of --wait. */
#define WAIT_HELP "return once the program is ready (default 60 s); " \
	"exit 5 when not in time,\n" \
	"                 3 at once when nothing will run (stopped, " \
	"crash-loop, exited)\n"

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "<id> [--wait[=SECS]]",
	.summary = "clear stop, crash-loop and deaths, then launch now",
	.help = "Launches in resume mode when the session was parked.\n"
	    "  --wait[=SECS]  " WAIT_HELP,
	.opts = wait_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_start
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "<id>",
	.summary = "halt an identity: clean teardown, never relaunched until start",
	.help = "",
	.opts = no_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_stop
};

const struct cmd_entry cmd_wake_entry = {
	.name = "wake",
	.usage = "<id> [--wait[=SECS]]",
	.summary = "launch now if not running (resume if parked)",
	.help = "Refused (exit 3) when the identity is stopped or crash-looped.\n"
	    "  --wait[=SECS]  " WAIT_HELP,
	.opts = wait_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_wake
};

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.usage = "<id> [--fresh] [--wait[=SECS]]",
	.summary = "clean teardown, then launch",
	.help = "  --fresh         run the command, not the resume command\n"
	    "  --wait[=SECS]   " WAIT_HELP,
	.opts = restart_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_restart
};

const struct cmd_entry cmd_attach_entry = {
	.name = "attach",
	.usage = "<id>",
	.summary = "attach the terminal to the identity's session",
	.help = "Runs tmux -S <sock> attach-session -t <id>.\n",
	.opts = no_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_attach
};

const struct cmd_entry cmd_canary_entry = {
	.name = "canary",
	.usage = "<id>",
	.summary = "make sure the identity's canary runs",
	.help = "Prints spawned, already, skipped (not running) or failed.\n",
	.opts = no_opts,
	.minpos = 1,
	.maxpos = 1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_canary
};
