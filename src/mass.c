/*
 * mass.c - several deaths at once (contract section 16).  When the
 * machine runs short of memory several servers die within seconds, and
 * restarting them all at once repeats the disaster.  So:
 *
 *  1. more than MASS_DEATHS - 1 identities whose newest death is within
 *     MASS_WINDOW seconds (or whose server is gone or SIGKILLed, its
 *     death not yet recorded) make an episode: state/.mass-death
 *     (`ts= ids=a,b,… oom=`), logged once as ev=mass-death with
 *     hooks/mass-death; a later death in the window joins it quietly;
 *  2. while the episode lasts, its identities restart one at a time: in
 *     order of fewest recent deaths (in their crash-loop window), then
 *     name; each only once the one before it is up (or owes no restart
 *     any more) and MASS_SPACING seconds after that one's launch;
 *  3. the episode ends (done=1, kept so the same deaths counted again
 *     by a later pass never announce a second one) when every one of its
 *     identities is settled, or MASS_EPISODE_MAX seconds after it began.
 *
 * All of it is reads of markers, and only on the paths of a death and of
 * an owed restart; a healthy pass never gets here.
 */
#include "roost.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASS_FILE	"state/.mass-death"
#define MASS_EPISODE_MAX 300	/* seconds an episode can order restarts */

/* The newest death of id, 0 when none. */
static time_t
newest_death(const char *id, char *cause, size_t n)
{
	struct death d[DEATHS_KEEP];
	int k = marker_deaths_read(id, d, DEATHS_KEEP);

	if (k <= 0)
		return 0;
	if (cause != NULL)
		(void)snprintf(cause, n, "%s", d[k - 1].cause);
	return d[k - 1].when;
}

/* The episode's ids (a comma list) and when it began; 0 when none is on. */
static int
episode_read(struct buf *ids, time_t *began, time_t now, int active)
{
	char p[PATHBUF];
	struct buf b = { 0 }, v = { 0 };
	unsigned long ts;
	int rc = 0;

	home_path(p, MASS_FILE);
	if (file_read(p, &b, 64 * 1024) == 0 &&
	    logfmt_get(b.s, "ts", &v) == 0 &&
	    num_ulong(v.s, ~0UL, &ts) == 0 && now - (time_t)ts <
	    MASS_EPISODE_MAX && logfmt_get(b.s, "ids", ids) == 0 &&
	    (!active || logfmt_get(b.s, "done", &v) != 0)) {
		*began = (time_t)ts;
		rc = 1;
	}
	buf_free(&b);
	buf_free(&v);
	return rc;
}

static void
episode_write(time_t began, const char *ids, const char *oom)
{
	char p[PATHBUF];
	struct buf b = { 0 };

	home_path(p, MASS_FILE);
	buf_addf(&b, "ts=%lld", (long long)began);
	logfmt_kv(&b, "ids", ids);
	logfmt_kv(&b, "oom", oom);
	buf_addc(&b, '\n');
	(void)file_replace(p, b.s, b.len, 0600);
	buf_free(&b);
}

static int
in_list(const char *list, const char *id)
{
	size_t l = strlen(id);
	const char *s = list;

	while ((s = strstr(s, id)) != NULL) {
		if ((s == list || s[-1] == ',') && (s[l] == ',' || s[l] == '\0'))
			return 1;
		s += l;
	}
	return 0;
}

/*
 * After id's death was recorded: does it make (or join) an episode?
 * oom= says whether the OOM killer took them: yes when any record says
 * so, no when every one says no, unknown otherwise.
 */
static void
note_locked(const char *id, time_t now);

/* Under lock/.mass: two deaths' passes at once announce one episode. */
void
mass_death_note(const char *id, time_t now)
{
	char p[PATHBUF];
	int lk;

	home_path(p, "lock/.mass");
	if ((lk = file_lock(p, 1)) < 0)
		return;
	note_locked(id, now);
	file_unlock(lk);
}

static void
note_locked(const char *id, time_t now)
{
	struct buf ids = { 0 }, cur = { 0 };
	char **v = NULL, cause[96];
	int n, i, count = 0, yes = 0, no = 0;
	time_t began;

	/* One episode per window: the deaths that made it, counted again by
	 * a later pass, never announce a second. */
	if (episode_read(&cur, &began, now, 0) && now - began <= MASS_WINDOW) {
		if (!in_list(cur.s, id) && now - newest_death(id, NULL, 0) <=
		    MASS_WINDOW && now - began <= MASS_WINDOW) {
			buf_addf(&cur, ",%s", id);
			episode_write(began, cur.s, "unknown");
		}
		buf_free(&cur);
		return;
	}
	buf_free(&cur);
	if ((n = conf_ids(&v)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		time_t w = newest_death(v[i], cause, sizeof cause);

		/* Dead or dying but not yet recorded (its own pass is on
		 * its way) counts too: they died together. */
		if (strcmp(v[i], id) != 0 && marker_has(v[i], M_SESSION) == 1 &&
		    state_dying(v[i])) {
			w = now;
			(void)snprintf(cause, sizeof cause, "dying");
		}
		if (w == 0 || now - w > MASS_WINDOW)
			continue;
		buf_addf(&ids, "%s%s", count > 0 ? "," : "", v[i]);
		count++;
		yes += strstr(cause, "oom=yes") != NULL;
		no += strstr(cause, "oom=no") != NULL ||
		    strstr(cause, "oom=") == NULL;
	}
	conf_ids_free(v, n);
	if (count >= MASS_DEATHS) {
		const char *oom = yes > 0 ? "yes" : no == count ? "no" :
		    "unknown";

		episode_write(now, ids.s, oom);
		log_event("mass-death", NULL, "ids", ids.s, "oom", oom, LEND);
		hook_run("mass-death", NULL, oom, log_last());
	}
	buf_free(&ids);
}

/* Deaths of id in its crash-loop window: the order's first key. */
static int
recent_deaths(const char *id, time_t now)
{
	struct death d[DEATHS_KEEP];
	struct conf c;
	unsigned long win = 300;
	int k;

	if (conf_read(id, &c) == 0) {
		win = c.cl_window;
		conf_free(&c);
	}
	k = marker_deaths_read(id, d, DEATHS_KEEP);
	return state_in_window(d, k, now, win);
}

/* Up, or owes no restart (stopped, crash-looped, policy): settled.
 * *woke is its launch when it is up. */
static int
settled(const char *id, time_t *woke)
{
	struct idctx x;
	struct verdict v;
	struct facts f;
	struct conf c;

	*woke = 0;
	home_ctx(id, &x);
	state_facts(&x, NULL, now_wall(), &f);
	if (f.alive && f.session && f.s.died == 0) {
		if (state_ctx_server_ending(&x))
			return 0;	/* killed, its death not yet recorded */
		*woke = f.s.woke;
		return 1;
	}
	if (f.session != f.alive)
		return 0;	/* dead, its death not yet recorded, or a launch
				 * under way (.session not written yet) */
	if (conf_read(id, &c) == -1)
		return 1;
	state_decide(&c, &f, &v);
	conf_free(&c);
	return !(v.restart && v.st == ST_BACKOFF) && !(v.act & (A_RESTART |
	    A_RESPAWN));
}

struct rank {
	char	 id[ID_MAX + 1];
	int	 deaths;
};

static int
rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->deaths != y->deaths)
		return x->deaths < y->deaths ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * During an episode, when may id (which owes a restart) start?  *due is
 * raised to after the one before it in the order is up plus the spacing
 * (or to now + the spacing while that one is not up yet).  settle: the
 * episode is marked done when this is its last (the tick's; status only
 * asks).
 */
void
mass_due(const char *id, time_t now, time_t *due, int settle)
{
	struct rank r[64];
	struct buf ids = { 0 }, line = { 0 };
	char p[PATHBUF];
	time_t began, woke;
	int n = 0, i, all = 1;
	size_t l;
	char *s;

	if (!episode_read(&ids, &began, now, 1) || !in_list(ids.s, id)) {
		buf_free(&ids);
		return;
	}
	for (s = ids.s; *s != '\0' && n < 64; s += l + (s[l] == ',')) {
		l = strcspn(s, ",");
		if (l == 0 || l > ID_MAX)
			continue;
		memcpy(r[n].id, s, l);
		r[n].id[l] = '\0';
		if (!ident_valid(r[n].id))
			continue;
		r[n].deaths = recent_deaths(r[n].id, now);
		n++;
	}
	qsort(r, (size_t)n, sizeof *r, rank_cmp);
	for (i = 0; i < n && strcmp(r[i].id, id) != 0; i++) {
		if (!settled(r[i].id, &woke)) {
			all = 0;
			if (*due < now + MASS_SPACING)
				*due = now + MASS_SPACING;
			break;
		}
		if (woke + MASS_SPACING > *due)
			*due = woke + MASS_SPACING;
	}
	/* This one is the last unsettled: the episode is over once it is up. */
	for (i++; all && i < n; i++)
		all = settled(r[i].id, &woke);
	if (settle && all && i >= n && *due <= now) {
		/* Kept, marked done: the window still knows it was had. */
		home_path(p, MASS_FILE);
		if (file_read(p, &line, 64 * 1024) == 0) {
			line.len = strcspn(line.s, "\n");
			line.s[line.len] = '\0';
			buf_adds(&line, " done=1\n");
			(void)file_replace(p, line.s, line.len, 0600);
		}
		buf_free(&line);
	}
	buf_free(&ids);
}
