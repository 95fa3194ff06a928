/*
 * activity.c - what a running program is doing (section 13): busy (a
 * turn in progress), waiting (for a person), idle (at its prompt), or
 * starting (not yet at its prompt since this launch).
 *
 * The markers are the interface, for the program's hooks, for roost
 * send and for people: state/<id>.busy, .waiting and .ready.  The rules:
 *
 *  1. A .busy or .waiting the program wrote (through its hooks or roost
 *     mark: any content but "by=roost") wins over detection, and
 *     detection never removes it.  Waiting wins over busy: an agent that
 *     asks for approval is mid-turn.
 *  2. A program .busy older than busy_max is stale (a hook that never
 *     ran its "end"): ignored, and logged once, ev=activity stale=busy.
 *  3. Otherwise the screen and the pane log decide, and roost writes and
 *     removes the same markers, with the content "by=roost":
 *     waiting_pattern on the screen's bottom line: waiting (the marker
 *     holds the line); ready_pattern there: idle; before the first
 *     ready: starting; output in the last busy_quiet seconds: busy;
 *     else idle.
 *  4. .ready is written once per launch, the first time the program is
 *     idle and either ready_pattern is on the bottom line or ready_quiet
 *     seconds went by without output since the launch.
 *  5. The screen is read (one tmux capture-pane) only when a pattern is
 *     set and the pane log's size or mtime changed since roost last
 *     read it; what it saw is kept in state/<id>.seen (one logfmt line:
 *     size= mtime= of the log then, screen=waiting|ready|none, line=,
 *     and the doing= last logged, stale= the stale .busy's mtime
 *     already logged).  So a quiet running program costs no fork and no
 *     tmux call: a stat, a read and lstats.
 *  6. Each change of doing roost sees is logged, ev=activity doing=;
 *     entering waiting runs hooks/waiting once, with the matched line.
 *
 * The bottom line is the last non-blank line of the visible screen: the
 * line a program waits on.  A pattern is bounded by conf.c (256 bytes,
 * no back-references, small {n,m}), the screen by the pane's size, and
 * a line matched by LINE_MAX_BYTES: matching costs microseconds.
 */
#include "roost.h"

#include <sys/stat.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M_SEEN		"seen"
#define BY_ROOST	"by=roost"
#define LINE_MAX_BYTES	512	/* of the bottom line kept and matched */
#define CAPTURE_MS	3000

/* What roost saw the last time it looked (state/<id>.seen). */
struct seen {
	long long size, mtime;	/* the pane log's, mtime in ns */
	char	 screen[8];	/* waiting, ready, none; "" never looked */
	char	 line[LINE_MAX_BYTES];
	char	 doing[10];	/* last logged; "" none yet */
	long long stale;	/* the .busy mtime logged stale, 0 none */
};

/* The facts one decision needs. */
struct afacts {
	int	 busy, waiting, ready;	/* markers present */
	int	 busy_roost, waiting_roost;	/* written by detection */
	long long busy_mtime;	/* seconds */
	char	 wline[LINE_MAX_BYTES];	/* the .waiting's line= */
	long long size, mtime;	/* the pane log now; mtime -1 none */
	struct seen seen;
};

const char *
activity_name(enum doing d)
{
	switch (d) {
	case DOING_STARTING: return "starting";
	case DOING_IDLE: return "idle";
	case DOING_BUSY: return "busy";
	case DOING_WAITING: return "waiting";
	default: return "-";
	}
}

static long long
ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void
kv_copy(const char *line, const char *key, char *out, size_t n)
{
	struct buf v = { 0 };

	out[0] = '\0';
	if (logfmt_get(line, key, &v) == 0)
		(void)snprintf(out, n, "%s", v.s);
	buf_free(&v);
}

static long long
kv_ll(const char *line, const char *key)
{
	char v[32];

	kv_copy(line, key, v, sizeof v);
	return strtoll(v, NULL, 10);
}

static void
seen_read(const char *id, struct seen *s)
{
	struct buf b = { 0 };

	memset(s, 0, sizeof *s);
	s->mtime = -1;
	if (marker_read(id, M_SEEN, &b) == 0) {
		s->size = kv_ll(b.s, "size");
		s->mtime = kv_ll(b.s, "mtime");
		kv_copy(b.s, "screen", s->screen, sizeof s->screen);
		kv_copy(b.s, "line", s->line, sizeof s->line);
		kv_copy(b.s, "doing", s->doing, sizeof s->doing);
		s->stale = kv_ll(b.s, "stale");
	}
	buf_free(&b);
}

static void
seen_write(const char *id, const struct seen *s)
{
	struct buf b = { 0 };
	char p[PATHBUF];

	buf_addf(&b, "size=%lld mtime=%lld", s->size, s->mtime);
	logfmt_kv(&b, "screen", s->screen);
	logfmt_kv(&b, "line", s->line);
	logfmt_kv(&b, "doing", s->doing);
	buf_addf(&b, " stale=%lld\n", s->stale);
	/* Rewritten often and worth nothing after a crash: not synced. */
	home_path(p, "state/%s.%s", id, M_SEEN);
	(void)file_replace(p, b.s, b.len, 0600);
	buf_free(&b);
}

/* A marker: 1 present (*roost: written by detection), 0 absent. */
static int
marker_probe(const char *id, const char *m, int *roost, char *line,
    size_t n)
{
	struct buf b = { 0 };
	int rc;

	*roost = 0;
	if ((rc = marker_read(id, m, &b)) != 0) {
		buf_free(&b);
		/* Too big to read is there all the same, and the program's
		 * (detection writes one short line). */
		return rc == -1 && marker_has(id, m) == 1;
	}
	*roost = strncmp(b.s, BY_ROOST, strlen(BY_ROOST)) == 0;
	if (line != NULL)
		kv_copy(b.s, "line", line, n);
	buf_free(&b);
	return 1;
}

static void
facts_read(const struct idctx *x, struct afacts *f)
{
	const char *id = x->id;
	struct timespec ts;
	struct stat st;
	int dummy;

	memset(f, 0, sizeof *f);
	f->busy = marker_probe(id, M_BUSY, &f->busy_roost, NULL, 0);
	if (f->busy && marker_mtime(id, M_BUSY, &ts) == 0)
		f->busy_mtime = ts.tv_sec;
	f->waiting = marker_probe(id, M_WAITING, &f->waiting_roost, f->wline,
	    sizeof f->wline);
	f->ready = marker_probe(id, M_READY, &dummy, NULL, 0);
	f->mtime = -1;
	if (lstat(x->pane_log, &st) == 0) {
		f->size = (long long)st.st_size;
#if HAVE_DARWIN
		f->mtime = ts_ns(&st.st_mtimespec);
#else
		f->mtime = ts_ns(&st.st_mtim);
#endif
	}
	seen_read(id, &f->seen);
}

/* The last non-blank line of text, at most n - 1 bytes of it. */
static void
bottom_line(const char *text, char *out, size_t n)
{
	const char *end = text + strlen(text), *b;
	size_t len;

	while (end > text && (end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\r'))
		end--;
	for (b = end; b > text && b[-1] != '\n'; b--)
		;
	len = (size_t)(end - b);
	/* A prompt ends in a blank that matters ("> "): keep one. */
	if (*end == ' ')
		len++;
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = '\0';
}

static int
matches(const char *pattern, const char *line)
{
	regex_t re;
	int m;

	if (pattern == NULL ||
	    regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* One capture-pane of the visible screen into s (screen=, line=). */
static int
screen_look(const struct idctx *x, const struct conf *c, struct seen *s)
{
	char line[LINE_MAX_BYTES];
	const char *args[] = { "capture-pane", "-p", "-N", "-t", x->target,
	    NULL };
	struct buf o = { 0 };

	if (x->sock[0] == '\0' ||
	    tmux_run_ms(x->sock, args, &o, CAPTURE_MS) != 0) {
		buf_free(&o);
		return -1;
	}
	bottom_line(buf_str(&o), line, sizeof line);
	buf_free(&o);
	s->line[0] = '\0';
	if (matches(c->waiting_pattern, line)) {
		(void)strcpy(s->screen, "waiting");
		(void)snprintf(s->line, sizeof s->line, "%s", line);
	} else if (matches(c->ready_pattern, line))
		(void)strcpy(s->screen, "ready");
	else
		(void)strcpy(s->screen, "none");
	return 0;
}

/* Rules 1-4: the doing, and whether the program is ready (2: just now). */
static enum doing
decide(const struct conf *c, const struct afacts *f, time_t woke,
    const struct timespec *now, int *ready)
{
	long long quiet, last, w = (long long)woke * 1000000000LL;
	int stale = f->busy && !f->busy_roost &&
	    now->tv_sec - f->busy_mtime > (long long)c->busy_max;
	const char *screen = f->seen.screen;

	*ready = f->ready;
	if (f->waiting && !f->waiting_roost)
		return DOING_WAITING;
	if (f->busy && !f->busy_roost && !stale)
		return DOING_BUSY;
	if (strcmp(screen, "waiting") == 0)
		return DOING_WAITING;
	last = f->mtime > w ? f->mtime : w;
	quiet = ts_ns(now) - last;
	/* The prompt on the bottom line: idle, however recent the output. */
	if (strcmp(screen, "ready") == 0 || (!*ready &&
	    quiet >= (long long)c->ready_quiet * 1000000000LL)) {
		if (!*ready)
			*ready = 2;
		return DOING_IDLE;
	}
	if (!*ready)
		return DOING_STARTING;
	/* Output is the program's from the second after the launch on (the
	 * launch's own separator line is not). */
	return c->busy_quiet > 0 && f->mtime / 1000000000LL > (long long)woke &&
	    quiet < (long long)c->busy_quiet * 1000000000LL ? DOING_BUSY :
	    DOING_IDLE;
}

/* The screen must be read again: a pattern is set and the log moved. */
static int
look_needed(const struct conf *c, const struct afacts *f)
{
	return (c->waiting_pattern != NULL || c->ready_pattern != NULL) &&
	    (f->size != f->seen.size || f->mtime != f->seen.mtime ||
	    f->seen.screen[0] == '\0');
}

/* The detection markers, kept in step with the decision (rule 3). */
static void
markers_sync(const char *id, const struct afacts *f, enum doing d)
{
	struct buf b = { 0 };

	if (d == DOING_WAITING && !f->waiting && f->seen.line[0] != '\0') {
		buf_adds(&b, BY_ROOST);
		logfmt_kv(&b, "line", f->seen.line);
		buf_addc(&b, '\n');
		(void)marker_set(id, M_WAITING, b.s);
	} else if (d != DOING_WAITING && f->waiting && f->waiting_roost)
		(void)marker_rm(id, M_WAITING);
	if (d == DOING_BUSY && !f->busy)
		(void)marker_set(id, M_BUSY, BY_ROOST "\n");
	else if (d != DOING_BUSY && f->busy && f->busy_roost)
		(void)marker_rm(id, M_BUSY);
	buf_free(&b);
}

/* Rule 6: log a change, run hooks/waiting on entering waiting. */
static void
report(const char *id, const struct afacts *f, enum doing d)
{
	const char *name = activity_name(d);
	const char *line = f->waiting && !f->waiting_roost ? f->wline :
	    f->seen.line;

	if (d == DOING_STARTING || strcmp(f->seen.doing, name) == 0)
		return;
	if (d == DOING_WAITING) {
		log_event("activity", id, "doing", name, "line", line, LEND);
		hook_run("waiting", id, line, log_last());
	} else
		log_event("activity", id, "doing", name, LEND);
}

/*
 * What the program of a running identity x is doing; s is its .session.
 * With look, roost acts on it too (the tick, under the identity's lock):
 * reads the screen when rule 5 says so, keeps the markers, logs and runs
 * hooks/waiting; without, it only reads (status).  0, or -1 when the
 * screen could not be read (the markers still decided).
 */
int
activity_get(const struct idctx *x, const struct conf *c,
    const struct session *s, int look, struct activity *a)
{
	const char *id = x->id;
	struct afacts f;
	struct timespec now;
	int rc = 0, ready;
	enum doing d;

	facts_read(x, &f);
	(void)clock_gettime(CLOCK_REALTIME, &now);
	if (look && look_needed(c, &f)) {
		if (screen_look(x, c, &f.seen) == -1) {
			/* Not asked again until the log moves. */
			(void)strcpy(f.seen.screen, "none");
			f.seen.line[0] = '\0';
			rc = -1;
		}
		f.seen.size = f.size;
		f.seen.mtime = f.mtime;
	}
	d = decide(c, &f, s->woke, &now, &ready);
	memset(a, 0, sizeof *a);
	a->doing = d;
	a->ready = ready != 0;
	a->own = (d == DOING_WAITING && f.waiting && !f.waiting_roost) ||
	    (d == DOING_BUSY && f.busy && !f.busy_roost);
	(void)snprintf(a->line, sizeof a->line, "%s", d != DOING_WAITING ? "" :
	    f.waiting && !f.waiting_roost ? f.wline : f.seen.line);
	if (!look)
		return rc;
	if (f.busy && !f.busy_roost && f.busy_mtime != f.seen.stale &&
	    now.tv_sec - f.busy_mtime > (long long)c->busy_max) {
		log_event("activity", id, "stale", "busy", LEND);
		f.seen.stale = f.busy_mtime;
	}
	if (ready == 2)
		(void)marker_set(id, M_READY, "");
	markers_sync(id, &f, d);
	report(id, &f, d);
	(void)snprintf(f.seen.doing, sizeof f.seen.doing, "%s",
	    activity_name(d));
	seen_write(id, &f.seen);
	return rc;
}

/*
 * Whether activity_get(look) has anything to do (the tick's lock-free
 * check): the screen must be read, the doing changed, the program just
 * became ready, or a stale .busy is not logged yet.  No fork, no tmux.
 */
int
activity_due(const struct idctx *x, const struct conf *c,
    const struct session *s)
{
	struct afacts f;
	struct timespec now;
	int ready;
	enum doing d;

	facts_read(x, &f);
	if (look_needed(c, &f))
		return 1;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	d = decide(c, &f, s->woke, &now, &ready);
	if (ready == 2 || strcmp(f.seen.doing, activity_name(d)) != 0)
		return 1;
	if ((d == DOING_BUSY && !f.busy) ||
	    (d != DOING_BUSY && f.busy && f.busy_roost) ||
	    (d == DOING_WAITING && !f.waiting) ||
	    (d != DOING_WAITING && f.waiting && f.waiting_roost))
		return 1;
	return f.busy && !f.busy_roost && f.busy_mtime != f.seen.stale &&
	    now.tv_sec - f.busy_mtime > (long long)c->busy_max;
}

/* The activity markers describe one run: launch and teardown clear them. */
void
activity_clear(const char *id)
{
	(void)marker_rm(id, M_BUSY);
	(void)marker_rm(id, M_WAITING);
	(void)marker_rm(id, M_READY);
	(void)marker_rm(id, M_SEEN);
}

/*
 * roost mark: what a program's hooks say.  busy sets .busy and ends a
 * wait (it works again: the question was answered); waiting sets
 * .waiting and keeps .busy (the turn goes on after the answer); idle
 * removes both, and the program is at its prompt, so it is ready.
 */
int
activity_mark(const char *id, const char *word)
{
	if (strcmp(word, "busy") == 0)
		return marker_set(id, M_BUSY, "by=mark\n") == -1 ? -1 :
		    marker_rm(id, M_WAITING);
	if (strcmp(word, "waiting") == 0)
		return marker_set(id, M_WAITING, "by=mark\n");
	if (strcmp(word, "idle") != 0)
		return err_set(RX_USAGE, "%s: must be busy, waiting or idle",
		    word);
	if (marker_rm(id, M_BUSY) == -1 || marker_rm(id, M_WAITING) == -1)
		return -1;
	if (marker_has(id, M_SESSION) == 1 && marker_has(id, M_READY) == 0)
		return marker_set(id, M_READY, "");
	return 0;
}
