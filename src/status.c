/*
 * status.c - the state of an identity is derived from the markers and
 * one connect(2); nothing else is stored.  status prints it as an
 * aligned table or as logfmt.
 */
#include "roost.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const state_names[] = {
	"running", "parked", "stopped", "crash-loop", "dead", "exited", "down"
};

const char *
state_name(enum state s)
{
	return state_names[s];
}

enum state
state_of(const char *id, int alive)
{
	struct death d[1];

	if (alive)
		return ST_RUNNING;
	if (marker_has(id, M_STOPPED) == 1)
		return ST_STOPPED;
	if (marker_has(id, M_CRASHLOOP) == 1)
		return ST_CRASHLOOP;
	if (marker_has(id, M_SESSION) == 1)
		return ST_DEAD;
	if (marker_has(id, M_IDLE) == 1)
		return ST_PARKED;
	if (deaths_read(id, d, 1) > 0)
		return ST_EXITED;
	return ST_DOWN;
}

/* One unit, for "ago": 45s, 5m, 3h, 2d. */
static void
fmt_ago(long s, char out[32])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		(void)snprintf(out, 32, "%lds", s);
	else if (s < 3600)
		(void)snprintf(out, 32, "%ldm", s / 60);
	else if (s < 86400)
		(void)snprintf(out, 32, "%ldh", s / 3600);
	else
		(void)snprintf(out, 32, "%ldd", s / 86400);
}

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
	int n, alive = running(id), have_conf;

	memset(r, 0, sizeof *r);
	r->uptime = r->idle = r->last_age = -1;
	r->st = state_of(id, alive);
	n = deaths_read(id, d, DEATHS_KEEP);
	(void)snprintf(r->col[0], sizeof r->col[0], "%s", id);
	(void)snprintf(r->col[1], sizeof r->col[1], "%s", state_name(r->st));
	(void)snprintf(r->col[5], sizeof r->col[5], "%d", n);
	(void)strcpy(r->col[2], "-");
	(void)strcpy(r->col[3], "-");
	(void)strcpy(r->col[4], "-");
	(void)strcpy(r->col[6], "-");
	have_conf = conf_read(id, &c) == 0;
	if (!have_conf) {
		warnx_("%s", errmsg());
		conf_bad = 1;
	}
	if (alive && session_read(id, &s) == 0) {
		(void)snprintf(r->col[2], sizeof r->col[2], "%ld",
		    (long)s.server_pid);
		r->uptime = (long)(now - s.woke);
		fmt_dur(r->uptime, dur);
		(void)snprintf(r->col[3], sizeof r->col[3], "%s", dur);
		if (have_conf) {
			r->idle = (long)(now - activity_time(id, &c, s.woke));
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
		out("%-*s  ", (int)w[j], heads[j]);
	out("%s\n", heads[NCOLS - 1]);
	for (i = 0; i < n; i++)
		for (j = 0; j < NCOLS; j++) {
			const char *c = rows[i].col[j];

			if (j == 1 && tty)
				out("%s%s\033[0m%*s  ", colour(rows[i].st), c,
				    (int)(w[j] - strlen(c)), "");
			else if (j < NCOLS - 1)
				out("%-*s  ", (int)w[j], c);
			else
				out("%s\n", c);
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
		lf_kv(&b, "state", r->col[1]);
		lf_kv(&b, "pid", strcmp(r->col[2], "-") ? r->col[2] : "");
		if (r->uptime >= 0)
			lf_kvl(&b, "uptime", r->uptime);
		else
			lf_kv(&b, "uptime", "");
		if (r->idle >= 0)
			lf_kvl(&b, "idle", r->idle);
		else
			lf_kv(&b, "idle", "");
		lf_kv(&b, "deaths", r->col[5]);
		lf_kv(&b, "last_exit", r->last);
		if (r->last_age >= 0)
			lf_kvl(&b, "last_exit_age", r->last_age);
		else
			lf_kv(&b, "last_exit_age", "");
		out("%s\n", b.s);
	}
	buf_free(&b);
}

/* Every defined identity (conf/<id>.conf), sorted; the caller frees. */
int
ids_list(char ***out)
{
	char dir[PATHBUF], **v;
	size_t n, i, k = 0;

	hpath(dir, "conf");
	v = dir_names(dir, &n);
	for (i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		if (l > 5 && strcmp(v[i] + l - 5, ".conf") == 0) {
			v[i][l - 5] = '\0';
			if (ident_valid(v[i])) {
				v[k++] = v[i];
				continue;
			}
		}
		free(v[i]);
	}
	if (k > 1)	/* "a-b.conf" sorts before "a.conf"; ids the other way */
		qsort(v, k, sizeof *v, names_cmp);
	*out = v;
	return (int)k;
}

void
ids_free(char **v, int n)
{
	names_free(v, (size_t)n);
}

int
cmd_status(const struct args *a)
{
	struct row *rows;
	char **ids = NULL;
	int n, i, nr = 0, rc = RX_OK, logfmt = 0;

	if (O.format != NULL) {
		if (strcmp(O.format, "logfmt") == 0)
			logfmt = 1;
		else if (strcmp(O.format, "table") != 0)
			return usage_error("--format %s: must be table or "
			    "logfmt", O.format);
	}
	for (i = 0; i < a->n; i++)
		if (ident_check(a->v[i]) == -1)
			return fail();
	n = a->n > 0 ? a->n : (home_exists() ? ids_list(&ids) : 0);
	rows = xmalloc(sizeof *rows * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		const char *id = a->n > 0 ? a->v[i] : ids[i];

		if (a->n > 0 && !conf_exists(id)) {
			(void)rerr(RX_UNKNOWN, "%s: unknown identity", id);
			(void)fail();
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
	ids_free(ids, a->n > 0 ? 0 : n);
	return rc;
}
