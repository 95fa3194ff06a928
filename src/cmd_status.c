/*
 * cmd_status.c - status: the state of each identity (derived in state.c)
 * as an aligned table, logfmt lines or one JSON document, and whether
 * the tick runs at all: the scheduler install recorded and the age of
 * the last completed pass (state/.tick.last).
 */
#include "roost.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum format { F_TABLE, F_LOGFMT, F_JSON };

static struct {
	const char *format, *verbose;
} so;

static const struct opt status_opts[] = {
	{ "format", 0, OPT_ARG, &so.format, NULL, NULL },
	{ "verbose", 0, OPT_FLAG, &so.verbose, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* A conf that does not parse: status still shows the row, exits 2. */
static int conf_bad;

#define NCOLS 10
enum { C_ID, C_STATE, C_DOING, C_PID, C_UPTIME, C_IDLE, C_MEM, C_QUEUE,
	C_DEATHS, C_LAST };
struct row {
	char	 col[NCOLS][192];
	enum state st;
	long	 pid, uptime, idle, last_age;	/* -1: none */
	int	 deaths, wake;
	char	 last[96];
	const char *doing;	/* NULL when not running */
	int	 ready;
	long	 queue;
	long long mem;		/* bytes, -1 unknown */
};

static const char *const heads[NCOLS] = {
	"ID", "STATE", "DOING", "PID", "UPTIME", "IDLE", "MEM", "QUEUE",
	"DEATHS", "LAST EXIT"
};

/* 812K, 812M, 1.2G */
static void
fmt_mem(long long b, char *out, size_t n)
{
	if (b < 0)
		(void)snprintf(out, n, "-");
	else if (b < 1024LL * 1024)
		(void)snprintf(out, n, "%lldK", b / 1024);
	else if (b < 1024LL * 1024 * 1024)
		(void)snprintf(out, n, "%lldM", b / (1024 * 1024));
	else
		(void)snprintf(out, n, "%.1fG", (double)b / (1024.0 * 1024 *
		    1024));
}

/* DOING and MEM of a running identity. */
static void
row_running(const struct idctx *x, struct row *r, const struct conf *c,
    const struct session *s)
{
	const char *id = x->id;
	struct activity a;

	r->mem = mem_bytes(id, s);
	fmt_mem(r->mem, r->col[C_MEM], sizeof r->col[C_MEM]);
	/* What it is doing is known of a running program only: not of one
	 * whose server answers nothing (wedged). */
	if (c == NULL || r->st != ST_RUNNING)
		return;
	(void)activity_get(x, c, s, 0, &a);
	r->doing = activity_name(a.doing);
	r->ready = a.ready;
	(void)snprintf(r->col[C_DOING], sizeof r->col[C_DOING], "%s",
	    r->doing);
}

/* What the scheduler and the last pass say. */
struct tickinfo {
	char	 sched[16];	/* "" when install recorded none */
	unsigned long interval;
	long	 last_age;	/* -1: no pass yet */
	struct buf line;	/* the last pass's ev=tick line */
	char	 warning[256];	/* "" when all is well */
};

/*
 * A .deaths cause as LAST EXIT shows it, as for a .last-exit record: its
 * first word ("status=1", "SIGSEGV", "server-dead"), a server's death by
 * its signal when known ("SIGKILL"), then " oom" when the OOM killer did it.
 */
static void
last_cause(const char *cause, char *out, size_t n)
{
	const char *sig = strstr(cause, " signal=");
	const char *oom = strstr(cause, " oom=yes") != NULL ? " oom" : "";

	if (sig != NULL) {
		sig += 8;
		(void)snprintf(out, n, "%.*s%s", (int)strcspn(sig, " "), sig,
		    oom);
	} else
		(void)snprintf(out, n, "%.*s%s", (int)strcspn(cause, " "),
		    cause, oom);
}

/* The newest death, or the parking, or a death not yet classified. */
static void
row_last(struct idctx *x, struct row *r, const struct death *d, int n,
    time_t now)
{
	const char *id = x->id;
	const struct session *s;
	struct timespec ts;
	time_t when;

	if (r->st == ST_PARKED && marker_mtime(id, M_IDLE, &ts) == 0) {
		(void)strcpy(r->last, "idle");
		r->last_age = (long)(now - ts.tv_sec);
	} else if (r->st == ST_STOPPED && marker_mtime(id, M_STOPPED, &ts) == 0) {
		(void)strcpy(r->last, "stopped");
		r->last_age = (long)(now - ts.tv_sec);
	} else if (r->st == ST_DEAD && (s = marker_ctx_session(x)) != NULL &&
	    state_last_exit(id, s, r->last, sizeof r->last, &when) == 0) {
		r->last_age = (long)(now - when);
	} else if (n > 0) {
		last_cause(d[n - 1].cause, r->last, sizeof r->last);
		r->last_age = (long)(now - d[n - 1].when);
	}
}

static void
row_fill(const char *id, struct row *r)
{
	struct death d[DEATHS_KEEP];
	struct idctx x;
	struct verdict v;
	struct facts f;
	struct conf c;
	time_t now = now_display();
	char dur[32];
	int alive, have_conf;

	memset(r, 0, sizeof *r);
	r->pid = r->uptime = r->idle = r->last_age = -1;
	r->mem = -1;
	/* A session whose conf was deleted is shown all the same (as the
	 * tick supervises it: never restarted). */
	have_conf = conf_read(id, &c) == 0;
	if (!have_conf && err_code() != RX_UNKNOWN) {
		cli_warn("%s", err_msg());
		conf_bad = 1;
	}
	if (!have_conf) {
		conf_defaults(&c);
		c.restart = RESTART_NEVER;
		c.idle = 0;
	}
	/* The tick's own decision on the same facts (state.c). */
	home_ctx(id, &x);
	tick_verdict(&x, &c, now, &f, &v);
	r->st = v.st;
	alive = f.alive;
	/* Whose server answers: ours, another's, or one that answers
	 * nothing (a fork, so status asks and the tick does not). */
	if (alive && (r->st == ST_RUNNING || strcmp(v.rule, "1b") == 0)) {
		enum state p = state_probe(&x, STATUS_PROBE_MS);

		if (p == ST_FOREIGN)
			alive = 0;	/* nothing of it is this identity's */
		if (r->st == ST_RUNNING || p == ST_FOREIGN)
			r->st = p;
	}
	r->deaths = marker_deaths_read(id, d, DEATHS_KEEP);
	(void)snprintf(r->col[C_ID], sizeof r->col[C_ID], "%s", id);
	(void)snprintf(r->col[C_STATE], sizeof r->col[C_STATE], "%s",
	    state_name(r->st));
	(void)snprintf(r->col[C_DEATHS], sizeof r->col[C_DEATHS], "%d",
	    r->deaths);
	if ((r->queue = queue_count(id)) < 0)	/* queue.c: what is a message */
		r->queue = 0;
	(void)snprintf(r->col[C_QUEUE], sizeof r->col[C_QUEUE], "%ld",
	    r->queue);
	(void)strcpy(r->col[C_DOING], "-");
	(void)strcpy(r->col[C_PID], "-");
	(void)strcpy(r->col[C_UPTIME], "-");
	(void)strcpy(r->col[C_IDLE], "-");
	(void)strcpy(r->col[C_MEM], "-");
	(void)strcpy(r->col[C_LAST], "-");
	/* A .session that could not be read names no pid (-1: null). */
	if (alive && f.session && f.s.server_pid > 0) {
		r->pid = (long)f.s.server_pid;
		(void)snprintf(r->col[C_PID], sizeof r->col[C_PID], "%ld",
		    r->pid);
	}
	/* A server waiting with its dead pane (backoff) runs no program. */
	if (r->pid > 0 && f.s.died == 0) {
		r->uptime = (long)(now - f.s.woke);
		fmt_dur(r->uptime, dur);
		(void)snprintf(r->col[C_UPTIME], sizeof r->col[C_UPTIME], "%s",
		    dur);
		if (have_conf) {
			r->idle = (long)(now - state_activity(&x, &c, f.s.woke));
			fmt_dur(r->idle, dur);
			(void)snprintf(r->col[C_IDLE], sizeof r->col[C_IDLE],
			    "%s", dur);
		}
		row_running(&x, r, have_conf ? &c : NULL, &f.s);
	}
	conf_free(&c);
	row_last(&x, r, d, r->deaths, now);
	r->wake = (r->st == ST_PARKED || r->st == ST_DOWN ||
	    r->st == ST_EXITED || r->st == ST_BACKOFF) && state_wake_pending(id);
	if (r->last_age >= 0) {
		char *p;

		fmt_ago(r->last_age, dur);
		(void)snprintf(r->col[C_LAST], sizeof r->col[C_LAST],
		    "%s %s ago%s", r->last, dur, r->wake ? " (wake pending)" :
		    "");
		/* A cause written by hand reaches no terminal as controls,
		 * C0 or C1 (JSON and logfmt escape them). */
		for (p = r->col[C_LAST]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
			else if ((unsigned char)*p == 0xc2 &&
			    (unsigned char)p[1] >= 0x80 &&
			    (unsigned char)p[1] <= 0x9f)
				*p = p[1] = '?';
	} else if (r->wake)
		(void)strcpy(r->col[C_LAST], "(wake pending)");
}

/*
 * Said plainly when nothing runs the tick and no pass is recent (none
 * within three intervals, nor since install, three intervals on): install
 * chose no scheduler, or made a cron entry with no cron daemon to run it
 * (a container, WSL without systemd).  1 when it said so.
 */
static int
nothing_runs(struct tickinfo *ti, time_t now)
{
	time_t since;
	const char *why;

	if (ti->last_age >= 0 ? ti->last_age <= (long)(3 * ti->interval) :
	    (since = sched_since()) <= 0 ||
	    now - since <= (time_t)(3 * ti->interval))
		return 0;
	if (strcmp(ti->sched, "none") == 0)
		why = "install set up no scheduler (--scheduler none)";
	else if (strcmp(ti->sched, "cron") == 0 && cron_daemon() == 0)
		why = "the cron entry is there, but no cron daemon is running "
		    "to run it";
	else
		return 0;
	(void)snprintf(ti->warning, sizeof ti->warning, "nothing runs the "
	    "tick: %s; keep roost tick --every %lu running (a container's "
	    "entrypoint, a terminal)", why, ti->interval);
	return 1;
}

/* The scheduler recorded, the last pass, and what is wrong with them. */
static void
tick_info(struct tickinfo *ti)
{
	time_t now = now_display(), when;
	char ago[32];

	memset(ti, 0, sizeof *ti);
	ti->last_age = -1;
	(void)sched_read(ti->sched, sizeof ti->sched, &ti->interval);
	if (sched_last_pass(&ti->line, &when) == 0)
		ti->last_age = (long)(now - when) < 0 ? 0 : (long)(now - when);
	if (nothing_runs(ti, now))
		return;
	if (ti->last_age == -1 && ti->sched[0] != '\0' &&
	    strcmp(ti->sched, "none") != 0 &&
	    (when = sched_since()) > 0 && now - when >
	    (time_t)(3 * ti->interval)) {
		/* No pass since install set the entry up, three intervals on. */
		fmt_ago((long)(now - when), ago);
		(void)snprintf(ti->warning, sizeof ti->warning, "no tick pass "
		    "has completed since the %s entry was set up %s ago: is it "
		    "running? (roost install says why it would not)", ti->sched,
		    ago);
		return;
	}
	if (ti->sched[0] == '\0')
		(void)snprintf(ti->warning, sizeof ti->warning, "no scheduler "
		    "entry: nothing runs the tick, so no session is restarted "
		    "or parked unless you run roost tick (roost install sets one "
		    "up)");
	else if (strcmp(ti->sched, "none") != 0 && ti->last_age >
	    (long)(3 * ti->interval)) {
		fmt_ago(ti->last_age, ago);
		(void)snprintf(ti->warning, sizeof ti->warning, "the last tick "
		    "pass was %s ago, more than three intervals (%lus each): is "
		    "the %s entry running? (roost install says why it would not)",
		    ago, ti->interval, ti->sched);
	}
}

static const char *
colour(enum state s)
{
	switch (s) {
	case ST_RUNNING: return "\033[32m";
	case ST_PARKED: return "\033[36m";
	case ST_CRASHLOOP: case ST_DEAD: case ST_WEDGED: case ST_FOREIGN:
		return "\033[31m";
	case ST_EXITED: case ST_BACKOFF: return "\033[33m";
	default: return "\033[2m";
	}
}

static void
print_trailer(const struct tickinfo *ti)
{
	char ago[32];

	if (ti->sched[0] == '\0')
		cli_out("tick: no scheduler entry");
	else if (strcmp(ti->sched, "none") == 0)
		cli_out("tick: none (you run roost tick)");
	else
		cli_out("tick: %s", ti->sched);
	if (ti->last_age >= 0) {
		fmt_ago(ti->last_age, ago);
		cli_out(", last pass %s ago\n", ago);
	} else
		cli_out(", no pass yet\n");
	if (ti->warning[0] != '\0')
		cli_warn("warning: %s", ti->warning);
	/* Which launch is in force: each identity in its own scope, or
	 * plain (section 15 of the contract). */
	if (so.verbose != NULL || cli_verbose()) {
		if (scope_manager() == 1)
			cli_out("mode: scope (each identity in roost-<id>.scope "
			    "under %s, user manager at %s)\n", SCOPE_SLICE,
			    scope_runtime_dir());
		else
			cli_out("mode: plain (%s)\n", scope_why());
	}
}

static void
print_table(struct row *rows, int n, const struct tickinfo *ti, int hint)
{
	size_t w[NCOLS];
	int i, j, tty = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	if (hint) {
		cli_out("no identities yet: roost add <id> -- <command> "
		    "defines one\n");
		print_trailer(ti);
		return;
	}
	for (j = 0; j < NCOLS; j++)
		w[j] = strlen(heads[j]);
	for (i = 0; i < n; i++)
		for (j = 0; j < NCOLS; j++)
			if (strlen(rows[i].col[j]) > w[j])
				w[j] = strlen(rows[i].col[j]);
	for (j = 0; j < NCOLS - 1; j++)
		cli_out("%-*s  ", (int)w[j], heads[j]);
	cli_out("%s\n", heads[NCOLS - 1]);
	for (i = 0; i < n; i++)
		for (j = 0; j < NCOLS; j++) {
			const char *c = rows[i].col[j];

			if (j == C_STATE && tty)
				cli_out("%s%s\033[0m%*s  ", colour(rows[i].st), c,
				    (int)(w[j] - strlen(c)), "");
			else if (j < NCOLS - 1)
				cli_out("%-*s  ", (int)w[j], c);
			else
				cli_out("%s\n", c);
		}
	print_trailer(ti);
}

static void
kv_num(struct buf *b, const char *key, long v)
{
	if (v >= 0)
		logfmt_kvl(b, key, v);
	else
		logfmt_kv(b, key, "");
}

static void
print_logfmt(struct row *rows, int n)
{
	struct buf b = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];

		buf_reset(&b);
		buf_adds(&b, "id=");
		buf_adds(&b, r->col[0]);
		logfmt_kv(&b, "state", r->col[C_STATE]);
		logfmt_kv(&b, "doing", r->doing != NULL ? r->doing : "");
		logfmt_kv(&b, "ready", r->doing == NULL ? "" : r->ready ?
		    "yes" : "no");
		kv_num(&b, "pid", r->pid);
		kv_num(&b, "uptime", r->uptime);
		kv_num(&b, "idle", r->idle);
		if (r->mem >= 0)
			buf_addf(&b, " mem=%lld", r->mem);
		else
			logfmt_kv(&b, "mem", "");
		logfmt_kvl(&b, "queue", r->queue);
		logfmt_kvl(&b, "deaths", r->deaths);
		logfmt_kv(&b, "last_exit", r->last);
		kv_num(&b, "last_exit_age", r->last_age);
		logfmt_kv(&b, "wake_pending", r->wake ? "yes" : "no");
		cli_out("%s\n", b.s);
	}
	buf_free(&b);
}

static void
json_key(struct buf *b, const char *key, int *first)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	(void)esc_json(b, key);
	buf_addc(b, ':');
}

static void
json_num(struct buf *b, const char *key, long v, int *first)
{
	json_key(b, key, first);
	if (v >= 0)
		buf_addf(b, "%ld", v);
	else
		buf_adds(b, "null");
}

static void
json_str(struct buf *b, const char *key, const char *v, int *first)
{
	json_key(b, key, first);
	if (v != NULL && *v != '\0')
		(void)esc_json(b, v);
	else
		buf_adds(b, "null");
}

/* {"ids":[{...},...],"tick":{...}}: one document, numbers as numbers,
 * null for what is not known. */
static void
print_json(struct row *rows, int n, const struct tickinfo *ti)
{
	struct buf b = { 0 };
	int i, f;

	buf_adds(&b, "{\"ids\":[");
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];

		buf_adds(&b, i > 0 ? ",{" : "{");
		f = 1;
		json_str(&b, "id", r->col[C_ID], &f);
		json_str(&b, "state", r->col[C_STATE], &f);
		json_str(&b, "doing", r->doing, &f);
		json_key(&b, "ready", &f);
		buf_adds(&b, r->doing == NULL ? "null" : r->ready ? "true" :
		    "false");
		json_num(&b, "pid", r->pid, &f);
		json_num(&b, "uptime", r->uptime, &f);
		json_num(&b, "idle", r->idle, &f);
		json_key(&b, "mem", &f);
		if (r->mem >= 0)
			buf_addf(&b, "%lld", r->mem);
		else
			buf_adds(&b, "null");
		json_num(&b, "queue", r->queue, &f);
		json_num(&b, "deaths", r->deaths, &f);
		json_str(&b, "last_exit", r->last, &f);
		json_num(&b, "last_exit_age", r->last_age, &f);
		json_key(&b, "wake_pending", &f);
		buf_adds(&b, r->wake ? "true" : "false");
		buf_addc(&b, '}');
	}
	buf_adds(&b, "],\"tick\":{");
	f = 1;
	json_str(&b, "scheduler", ti->sched, &f);
	json_num(&b, "interval", ti->sched[0] != '\0' ?
	    (long)ti->interval : -1, &f);
	json_num(&b, "last_pass_age", ti->last_age, &f);
	json_key(&b, "last_pass", &f);
	if (ti->line.len == 0 || logfmt_json(ti->line.s, &b) == -1)
		buf_adds(&b, "null");
	json_str(&b, "warning", ti->warning, &f);
	buf_adds(&b, "}}\n");
	cli_out("%s", b.s);
	buf_free(&b);
}

static int
format_parse(const char *s, enum format *f)
{
	*f = F_TABLE;
	if (s == NULL || strcmp(s, "table") == 0)
		return 0;
	if (strcmp(s, "logfmt") == 0)
		*f = F_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*f = F_JSON;
	else
		return -1;
	return 0;
}

static int
cmd_status(const struct args *a)
{
	struct tickinfo ti;
	struct row *rows;
	char **ids = NULL;
	int n, i, nr = 0, rc = RX_OK;
	enum format fmt;

	if (format_parse(so.format, &fmt) == -1)
		return cli_usage("--format %s: must be table, logfmt or json",
		    so.format);
	for (i = 0; i < a->n; i++)
		if (ident_check(a->v[i]) == -1)
			return cli_fail();
	n = a->n > 0 ? a->n : (home_exists() ? state_ids(&ids) : 0);
	rows = xmalloc(sizeof *rows * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		const char *id = a->n > 0 ? a->v[i] : ids[i];

		if (a->n > 0 && !state_known(id)) {
			(void)err_set(RX_UNKNOWN, "%s: unknown identity", id);
			(void)cli_fail();
			rc = RX_UNKNOWN;
			continue;
		}
		row_fill(id, &rows[nr]);
		if (a->n > 0 && rows[nr].st != ST_RUNNING && rc == RX_OK)
			rc = RX_REFUSED;
		nr++;
	}
	if (conf_bad && rc != RX_UNKNOWN)
		rc = RX_USAGE;
	tick_info(&ti);
	if (fmt == F_LOGFMT)
		print_logfmt(rows, nr);
	else if (fmt == F_JSON)
		print_json(rows, nr, &ti);
	else if (nr > 0 || a->n == 0)
		print_table(rows, nr, &ti, a->n == 0 && nr == 0);
	buf_free(&ti.line);
	free(rows);
	conf_ids_free(ids, a->n > 0 ? 0 : n);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[<id>...] [--format table|logfmt|json] [--verbose]",
	.summary = "state of each identity, and whether the tick runs",
	.help = "  --format F   table (default), logfmt (a line per identity) or json\n"
	    "               (one document: {\"ids\":[...],\"tick\":{...}})\n"
	    "  --verbose    also say the launch mode: scope (a systemd scope per\n"
	    "               identity) or plain, and why\n"
	    "The table ends with the scheduler and the age of the last tick pass, "
	    "and warns\nwhen there is no scheduler entry, or no pass in the "
	    "three intervals since install\nor since the last one.\n"
	    "With ids: exit 0 when all run, 3 when one does not, 4 when one is "
	    "unknown.\n",
	.opts = status_opts,
	.minpos = 0,
	.maxpos = -1,
	.home = H_READ,
	.ids = 2,
	.exec = cmd_status
};
