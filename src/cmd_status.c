/*
 * cmd_status.c - status: the state of each identity (derived in state.c)
 * as an aligned table or as logfmt lines.
 */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *format;
} so;

static const struct opt status_opts[] = {
	{ "format", 0, OPT_ARG, &so.format, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* A conf that does not parse: status still shows the row, exits 2. */
static int conf_bad;

#define NCOLS 7
struct row {
	char	 col[NCOLS][192];
	enum state st;
	long	 uptime, idle, last_age;
	char	 last[96];
	int	 have_uptime;
};

static const char *const heads[NCOLS] = {
	"ID", "STATE", "PID", "UPTIME", "IDLE", "DEATHS", "LAST EXIT"
};

static void
row_fill(const char *id, struct row *r)
{
	struct death d[DEATHS_KEEP];
	struct session s;
	struct timespec ts;
	struct conf c;
	time_t now = now_display();
	char dur[32];
	int n, alive = state_running(id), have_conf;

	memset(r, 0, sizeof *r);
	r->uptime = r->idle = r->last_age = -1;
	/* A session whose conf was deleted is shown all the same. */
	have_conf = conf_read(id, &c) == 0;
	if (!have_conf && err_code() != RX_UNKNOWN) {
		cli_warn("%s", err_msg());
		conf_bad = 1;
	}
	r->st = state_of(id, have_conf ? &c : NULL, alive, now);
	n = marker_deaths_read(id, d, DEATHS_KEEP);
	(void)snprintf(r->col[0], sizeof r->col[0], "%s", id);
	(void)snprintf(r->col[1], sizeof r->col[1], "%s", state_name(r->st));
	(void)snprintf(r->col[5], sizeof r->col[5], "%d", n);
	(void)strcpy(r->col[2], "-");
	(void)strcpy(r->col[3], "-");
	(void)strcpy(r->col[4], "-");
	(void)strcpy(r->col[6], "-");
	if (alive && marker_session_read(id, &s) == 0) {
		(void)snprintf(r->col[2], sizeof r->col[2], "%ld",
		    (long)s.server_pid);
		r->uptime = (long)(now - s.woke);
		fmt_dur(r->uptime, dur);
		(void)snprintf(r->col[3], sizeof r->col[3], "%s", dur);
		if (have_conf) {
			r->idle = (long)(now - state_activity(id, &c, s.woke));
			fmt_dur(r->idle, dur);
			(void)snprintf(r->col[4], sizeof r->col[4], "%s", dur);
		}
	}
	if (have_conf)
		conf_free(&c);
	if (r->st == ST_PARKED && marker_mtime(id, M_IDLE, &ts) == 0) {
		(void)strcpy(r->last, "idle");
		r->last_age = (long)(now - ts.tv_sec);
	} else if (r->st == ST_STOPPED && marker_mtime(id, M_STOPPED, &ts) == 0) {
		(void)strcpy(r->last, "stopped");
		r->last_age = (long)(now - ts.tv_sec);
	} else if (n > 0) {
		(void)snprintf(r->last, sizeof r->last, "%.*s",
		    (int)strcspn(d[n - 1].cause, " "), d[n - 1].cause);
		r->last_age = (long)(now - d[n - 1].when);
	}
	if (r->last_age >= 0) {
		fmt_ago(r->last_age, dur);
		(void)snprintf(r->col[6], sizeof r->col[6], "%s %s ago",
		    r->last, dur);
	}
}

static const char *
colour(enum state s)
{
	switch (s) {
	case ST_RUNNING: return "\033[32m";
	case ST_PARKED: return "\033[36m";
	case ST_CRASHLOOP: case ST_DEAD: return "\033[31m";
	case ST_EXITED: return "\033[33m";
	default: return "\033[2m";
	}
}

static void
print_table(struct row *rows, int n)
{
	size_t w[NCOLS];
	int i, j, tty = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

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

			if (j == 1 && tty)
				cli_out("%s%s\033[0m%*s  ", colour(rows[i].st), c,
				    (int)(w[j] - strlen(c)), "");
			else if (j < NCOLS - 1)
				cli_out("%-*s  ", (int)w[j], c);
			else
				cli_out("%s\n", c);
		}
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
		logfmt_kv(&b, "state", r->col[1]);
		logfmt_kv(&b, "pid", strcmp(r->col[2], "-") ? r->col[2] : "");
		if (r->uptime >= 0)
			logfmt_kvl(&b, "uptime", r->uptime);
		else
			logfmt_kv(&b, "uptime", "");
		if (r->idle >= 0)
			logfmt_kvl(&b, "idle", r->idle);
		else
			logfmt_kv(&b, "idle", "");
		logfmt_kv(&b, "deaths", r->col[5]);
		logfmt_kv(&b, "last_exit", r->last);
		if (r->last_age >= 0)
			logfmt_kvl(&b, "last_exit_age", r->last_age);
		else
			logfmt_kv(&b, "last_exit_age", "");
		cli_out("%s\n", b.s);
	}
	buf_free(&b);
}

static int
cmd_status(const struct args *a)
{
	struct row *rows;
	char **ids = NULL;
	int n, i, nr = 0, rc = RX_OK, logfmt = 0;

	if (so.format != NULL) {
		if (strcmp(so.format, "logfmt") == 0)
			logfmt = 1;
		else if (strcmp(so.format, "table") != 0)
			return cli_usage("--format %s: must be table or "
			    "logfmt", so.format);
	}
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
	if (logfmt)
		print_logfmt(rows, nr);
	else if (nr > 0 || a->n == 0)
		print_table(rows, nr);
	free(rows);
	conf_ids_free(ids, a->n > 0 ? 0 : n);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	"status", "[<id>...] [--format table|logfmt]",
	"state of each identity",
	"  --format F   table (default) or logfmt\n"
	"With one id: exit 0 when running, 3 when not, 4 when unknown.\n",
	status_opts, 0, -1, H_READ, 2, cmd_status
};
