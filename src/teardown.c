/*
 * teardown.c - the clean end of a session: the canary is dismissed before
 * the server is touched, so a clean path never produces ev=server-exit,
 * and a teardown never writes a death record.  Callers hold the
 * identity's lock.
 */
#include "roost.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_GONE_MS	5000	/* kill-server until the socket refuses */

/* The pane processes, so a teardown can make sure none outlives it. */
static void
pane_pids(const char *sock, struct buf *o)
{
	const char *args[] = { "list-panes", "-a", "-F", "#{pane_pid}", NULL };

	if (tmux_run(sock, args, o) != 0)
		buf_reset(o);
}

/* Pane processes that ignored the hangup get SIGTERM, then SIGKILL, to
 * their process group: a teardown leaves nothing running. */
static void
reap_panes(const struct buf *list)
{
	pid_t pids[64];
	const char *p = list->s;
	struct timespec t0;
	int n = 0, i, round;

	while (*p != '\0' && n < 64) {
		unsigned long v = strtoul(p, (char **)&p, 10);

		if (v > 1 && v < (1UL << 30))
			pids[n++] = (pid_t)v;
		p += strspn(p, " \n");
		if (*p != '\0' && (*p < '0' || *p > '9'))
			break;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < 3; round++) {
		int left = 0;

		while (now_ms_since(&t0) < 200L * round * round)
			now_sleep_ms(5);
		for (i = 0; i < n; i++) {
			if (!pid_alive(pids[i]) && !pid_group_alive(pids[i]))
				continue;
			left++;
			if (round == 1)
				(void)kill(-pids[i], SIGTERM);
			else if (round == 2)
				(void)kill(-pids[i], SIGKILL);
		}
		if (left == 0)
			return;
	}
}

/*
 * Clean teardown: canary first, then kill-server, then wait until the
 * socket refuses, then the socket file.  Never a death record.
 */
int
teardown(const char *id, const char *reason)
{
	char sock[PATHBUF];
	struct buf pids = { 0 };
	struct session s;
	struct timespec t0;
	int rc = 0;

	if (home_sock(id, sock, sizeof sock) == -1)
		return -1;
	canary_dismiss(id);
	if (tmux_alive(sock)) {
		const char *args[] = { "kill-server", NULL };

		pane_pids(sock, &pids);
		(void)tmux_run(sock, args, NULL);
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		while (tmux_alive(sock) && now_ms_since(&t0) < SERVER_GONE_MS)
			now_sleep_ms(5);
		if (tmux_alive(sock) && marker_session_read(id, &s) == 0 &&
		    s.server_pid > 1) {
			(void)kill(s.server_pid, SIGKILL);
			(void)pid_wait_gone(s.server_pid, 1000);
		}
		if (tmux_alive(sock))
			rc = err_set(RX_FAIL, "%s: the tmux server on %s would "
			    "not exit", id, sock);
		if (pids.len > 0)
			reap_panes(&pids);
	}
	buf_free(&pids);
	if (rc == 0 && file_remove(sock) == -1)
		rc = -1;
	if (rc == 0 && marker_rm(id, M_SESSION) == -1)
		rc = -1;
	log_event("teardown", id, "reason", reason, LEND);
	return rc;
}
