/* cmd_session.c - start, stop, wake, restart, attach, canary, log. */
#include "roost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The id, its conf and its lock: what every session command begins with.
 * Without c only the identity must exist: a typo in a conf must not stop
 * anyone from stopping a session. */
static int
begin(const char *id, struct conf *c, int *lk, int need_conf)
{
	*lk = -1;
	conf_defaults(c);
	if (ident_check(id) == -1)
		return -1;
	if (!need_conf) {
		if (!conf_exists(id))
			return rerr(RX_UNKNOWN, "%s: unknown identity", id);
	} else if (conf_read(id, c) == -1)
		return -1;
	if ((*lk = id_lock(id, 1)) < 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

static int
end(struct conf *c, int lk, int rc)
{
	lock_drop(lk);
	conf_free(c);
	return rc == 0 ? RX_OK : rc > 0 ? rc : fail();
}

/* Refused by lifecycle state: exit 3, logged. */
static int
refused(const char *id)
{
	const char *why = marker_has(id, M_STOPPED) == 1 ? "stopped" :
	    marker_has(id, M_CRASHLOOP) == 1 ? "crash-loop" : NULL;

	if (why == NULL)
		return 0;
	lifelog("refused", id, "cause", why, "by", R.cmd, LEND);
	(void)rerr(RX_REFUSED, "refused %s: %s (roost start %s clears it)", id,
	    why, id);
	return -1;
}

int
cmd_start(const struct args *a)
{
	const char *id = a->v[0], *mode = NULL;
	struct conf c;
	int lk, rc = -1;

	if (begin(id, &c, &lk, 1) == -1)
		return end(&c, lk, -1);
	if (!running(id)) {
		struct session s;
		int clean;

		/* Record a death no tick has seen before the slate is wiped,
		 * so the launch does not write it into the fresh .deaths. */
		if (session_read(id, &s) == 0)
			(void)death_record(id, &s, &clean);
	}
	if (marker_rm(id, M_STOPPED) == -1 || marker_rm(id, M_CRASHLOOP) == -1 ||
	    marker_rm(id, M_DEATHS) == -1)
		return end(&c, lk, -1);
	lifelog("start", id, LEND);
	if (running(id)) {
		out("running %s\n", id);
		return end(&c, lk, 0);
	}
	if (launch(id, &c, NULL, "start", &mode) == 0) {
		out("started %s (%s)\n", id, mode);
		rc = 0;
	}
	return end(&c, lk, rc);
}

int
cmd_stop(const struct args *a)
{
	const char *id = a->v[0];
	struct conf c;
	pid_t cp;
	int lk;

	if (begin(id, &c, &lk, 0) == -1)
		return end(&c, lk, -1);
	if (marker_set(id, M_STOPPED, "") == -1 ||
	    marker_set(id, M_IDLE, "") == -1)
		return end(&c, lk, -1);
	lifelog("stop", id, LEND);
	if (!running(id)) {
		struct session s;
		int clean;

		/* A death the tick has not seen yet is still a death. */
		if (session_read(id, &s) == 0)
			(void)death_record(id, &s, &clean);
	}
	if ((running(id) || (canary_pid(id, &cp) == 0 && cp > 0) ||
	    marker_has(id, M_SESSION) == 1) && teardown(id, "stop") == -1)
		return end(&c, lk, -1);
	out("stopped %s\n", id);
	return end(&c, lk, 0);
}

int
cmd_wake(const struct args *a)
{
	const char *id = a->v[0], *mode = NULL;
	struct conf c;
	int lk, rc = -1;

	if (begin(id, &c, &lk, 1) == -1)
		return end(&c, lk, -1);
	if (refused(id) == -1)
		return end(&c, lk, -1);
	if (running(id)) {
		out("running %s\n", id);
		return end(&c, lk, 0);
	}
	if (launch(id, &c, NULL, "wake", &mode) == 0) {
		out("woke %s (%s)\n", id, mode);
		rc = 0;
	}
	return end(&c, lk, rc);
}

int
cmd_restart(const struct args *a)
{
	const char *id = a->v[0], *mode = NULL;
	struct conf c;
	int lk, rc = -1;

	if (begin(id, &c, &lk, 1) == -1)
		return end(&c, lk, -1);
	if (refused(id) == -1)
		return end(&c, lk, -1);
	if (running(id) && teardown(id, "restart") == -1)
		return end(&c, lk, -1);
	if (launch(id, &c, O.fresh != NULL ? "fresh" : "resume", "restart",
	    &mode) == 0) {
		out("restarted %s (%s)\n", id, mode);
		rc = 0;
	}
	return end(&c, lk, rc);
}

int
cmd_attach(const struct args *a)
{
	const char *id = a->v[0];
	char sock[PATHBUF], target[ID_MAX + 4];
	const char *argv[8];
	struct conf c;

	conf_defaults(&c);
	if (ident_check(id) == -1 || conf_read(id, &c) == -1)
		return fail();
	conf_free(&c);
	if (sock_path(id, sock, sizeof sock) == -1 || tmux_check() == -1)
		return fail();
	if (!sock_alive(sock))
		return rerr(RX_REFUSED, "%s: not running", id), fail();
	(void)snprintf(target, sizeof target, "=%s:", id);
	argv[0] = tmux_bin();
	argv[1] = "-S";
	argv[2] = sock;
	argv[3] = "attach-session";
	argv[4] = "-t";
	argv[5] = target;
	argv[6] = NULL;
	(void)fflush(stdout);
	execv(argv[0], (char *const *)argv);
	return rerr(RX_FAIL, "%s: %s", argv[0], strerror(errno)), fail();
}

int
cmd_canary(const struct args *a)
{
	const char *id = a->v[0], *what = "failed";
	struct conf c;
	int lk, rc;

	if (begin(id, &c, &lk, 0) == -1)
		return end(&c, lk, -1);
	rc = canary_ensure(id, "command", &what);
	out("%s\n", what);
	if (rc == -1)
		warnx_("%s", errmsg());
	return end(&c, lk, rc == -1 ? RX_FAIL : 0);
}

/* Every line of a log, filtered by id, appended to lines. */
static void
tail_log(const char *name, const char *id, struct buf *lines, int *count)
{
	char p[PATHBUF];
	struct buf b = { 0 }, v = { 0 };
	char *line, *save = NULL;
	int r;

	hpath(p, "log/%s", name);
	if ((r = read_file(p, &b, 64L * 1024 * 1024)) != 0) {
		if (r == -1)
			warnx_("%s", errmsg());
		buf_free(&b);
		return;
	}
	for (line = strtok_r(b.s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (id != NULL && (logfmt_get(line, "id", &v) != 0 ||
		    strcmp(v.s, id) != 0))
			continue;
		buf_adds(lines, line);
		buf_addc(lines, '\n');
		(*count)++;
	}
	buf_free(&b);
	buf_free(&v);
}

struct lline {
	const char *s;
	int	 idx;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct lline *x = a, *y = b;
	int c;

	/* ts= comes first and is ISO-8601: text order is time order; equal
	 * seconds keep each log's own order. */
	if ((c = strncmp(x->s, y->s, 23)) != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

int
cmd_log(const struct args *a)
{
	const char *id = a->n > 0 ? a->v[0] : NULL;
	struct buf all = { 0 };
	unsigned long n = 20;
	struct lline *v;
	char *p;
	int count = 0, i;

	if (id != NULL && ident_check(id) == -1)
		return fail();
	if (O.lines != NULL && parse_ulong(O.lines, 1000000, &n) == -1)
		return usage_error("-n %s: not a count", O.lines);
	if (id != NULL && !conf_exists(id))
		return rerr(RX_UNKNOWN, "%s: unknown identity", id), fail();
	if (home_exists() == 0)
		return RX_OK;
	tail_log("lifecycle.log", id, &all, &count);
	tail_log("exits.log", id, &all, &count);
	if (count == 0) {
		buf_free(&all);
		return RX_OK;
	}
	v = xmalloc(sizeof *v * (size_t)count);
	for (i = 0, p = all.s; i < count; i++) {
		v[i].s = p;
		v[i].idx = i;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	qsort(v, (size_t)count, sizeof *v, cmp_line);
	for (i = count > (int)n ? count - (int)n : 0; i < count; i++)
		out("%s\n", v[i].s);
	free(v);
	buf_free(&all);
	return RX_OK;
}
