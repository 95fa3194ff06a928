/*
 * deliver.c - a queued message into the program, the way a careful
 * person would type it.
 *
 * The rules:
 *  1. A message goes in only when the program is ready: running, .ready
 *     written since this launch, no .busy, no .waiting, its pane log
 *     quiet for SETTLE_MS (waited for, up to SETTLE_WAIT_MS: the echo of
 *     the previous message is not yet the program's turn), and nobody
 *     attached to the session (deliver_attached=yes overrides).  Only the
 *     attached check costs a tmux call, and only once the markers agree.
 *  2. One message at a time, oldest first; an item a crash interrupted
 *     (<name>.sending) first of all.  The caller holds the identity's
 *     lock.
 *  3. The text is pasted, never typed: load-buffer into a buffer of our
 *     own, paste-buffer -p -d (bracketed when the program asked for it).
 *     Control characters but tab, newline, return, backspace and bell
 *     are pasted as their visible ^X form, as tmux 3.6 and later do
 *     themselves: an ESC [ 201 ~ in a message must not end the bracketed
 *     paste early, a ^C or ^D must not reach the terminal as a signal or
 *     an end of file.
 *  4. submit_keys follow after submit_delay_ms; the delivery is confirmed
 *     by .busy appearing or the pane log growing within confirm seconds,
 *     else the keys are typed once more; after DELIVER_TRIES the item
 *     moves to failed/.  The attempt count survives a crash in
 *     .<name>.tries, so a redelivery says attempt=2.
 *  5. Each step is logged as ev=deliver with the item's name and size,
 *     never its bytes; hooks/deliver runs for ok and failed.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONFIRM_POLL_MS	20
#define READY_POLL_MS	50
#define SETTLE_MS	500	/* output this recent: the program is not at rest */
#define SETTLE_WAIT_MS	2000	/* how long a delivery waits for that */
#define ITEM_PATH	(PATHBUF + 320)	/* the queue's path and an item's name */

/* .ready since the launch in .session: 1 yes, 0 no.  woke has whole
 * seconds; within the launch's second, .session's own mtime decides, so
 * a .ready the previous run left a moment before counts for nothing. */
int
deliver_ready_marker(struct idctx *x)
{
	const char *id = x->id;
	const struct session *s;
	struct timespec r, l;

	if ((s = marker_ctx_session(x)) == NULL ||
	    marker_mtime(id, M_READY, &r) != 0)
		return 0;
	if (r.tv_sec != s->woke)
		return r.tv_sec > s->woke;
	return marker_mtime(id, M_SESSION, &l) == 0 &&
	    (r.tv_sec > l.tv_sec || (r.tv_sec == l.tv_sec &&
	    r.tv_nsec >= l.tv_nsec));
}

/* A person is attached to the session (1), nobody (0), unknown (-1). */
static int
attached(const struct idctx *x)
{
	const char *args[] = { "display-message", "-p", "-t", x->target,
	    "#{session_attached}", NULL };
	struct buf o = { 0 };
	int rc;

	if (home_ctx_sock(x) == -1)
		return -1;
	rc = tmux_run_ms(x->sock, args, &o, TMUX_ASK_MS);
	if (rc == 0)
		rc = strtol(buf_str(&o), NULL, 10) > 0;
	else
		rc = -1;
	buf_free(&o);
	return rc;
}

/* The pane log has been quiet for SETTLE_MS, waited for (bounded). */
static int
settled(const struct idctx *x)
{
	struct timespec ts, now, t0;
	long age;

	now_mono(&t0);
	for (;;) {
		if (file_mtime(x->pane_log, &ts) != 0)
			return 1;
		(void)clock_gettime(CLOCK_REALTIME, &now);
		age = (long)(now.tv_sec - ts.tv_sec) * 1000 +
		    (now.tv_nsec - ts.tv_nsec) / 1000000;
		if (age >= SETTLE_MS)
			return 1;
		if (now_ms_since(&t0) >= SETTLE_WAIT_MS)
			return 0;
		now_sleep_ms(SETTLE_MS - age);
	}
}

/* Rule 1: 1 ready, 0 not (*why says why), -1 error. */
int
deliver_ready(struct idctx *x, const struct conf *c, int check_attached,
    const char **why)
{
	const char *id = x->id;
	int a;

	*why = NULL;
	if (!state_ctx_running(x))
		*why = "not running";
	else if (!deliver_ready_marker(x))
		*why = "not ready";
	else if (marker_has(id, M_BUSY) == 1)
		*why = "busy";
	else if (marker_has(id, M_WAITING) == 1)
		*why = "waiting";
	else if (!settled(x))
		*why = "printing";
	else if (marker_has(id, M_BUSY) == 1)	/* it may have said so since */
		*why = "busy";
	else if (marker_has(id, M_WAITING) == 1)
		*why = "waiting";
	if (*why != NULL)
		return 0;
	if (!check_attached || c->deliver_attached)
		return 1;
	if ((a = attached(x)) == -1)
		return -1;
	if (a == 1)
		*why = "attached";
	return !a;
}

/* Wait up to ms for .ready since this launch: 1 ready, 0 not in time.
 * Nothing is locked meanwhile: .session is read at each look. */
int
deliver_wait_ready(const char *id, long ms, long *waited)
{
	struct timespec t0;
	struct idctx x;

	home_ctx(id, &x);
	now_mono(&t0);
	for (;;) {
		*waited = now_ms_since(&t0);
		marker_ctx_forget(&x);
		if (deliver_ready_marker(&x))
			return 1;
		if (*waited >= ms)
			return 0;
		now_sleep_ms(READY_POLL_MS);
	}
}

/* One delivery, its paths and what the log says of it. */
struct item {
	const struct idctx *x;
	const char *id;
	char	 dir[PATHBUF];
	char	 name[256];	/* without .sending */
	char	 sending[ITEM_PATH];
	char	 tries[ITEM_PATH];
	char	 paste[ITEM_PATH];	/* the neutralised copy, or "" */
	long	 bytes;
	int	 attempt;
	struct timespec t0;
};

static void
item_log(const struct item *it, const char *result, const char *why)
{
	char bytes[24], att[16], ms[24];

	(void)snprintf(bytes, sizeof bytes, "%ld", it->bytes);
	(void)snprintf(att, sizeof att, "%d", it->attempt);
	(void)snprintf(ms, sizeof ms, "%ld", now_ms_since(&it->t0));
	log_event("deliver", it->id, "item", it->name, "bytes", bytes,
	    "attempt", att, "result", result, "ms", ms,
	    why != NULL ? "why" : LEND, why, LEND);
	if (strcmp(result, "ok") == 0 || strcmp(result, "failed") == 0)
		hook_run("deliver", it->id, result, log_last());
}

/* Paths of the item name (with or without .sending) in the queue. */
static int
item_init(struct item *it, const struct idctx *x, const char *name)
{
	const char *id = x->id;
	size_t l = strlen(name), s = strlen(QUEUE_SENDING);

	memset(it, 0, sizeof *it);
	it->x = x;
	it->id = id;
	now_mono(&it->t0);
	if (l > s && strcmp(name + l - s, QUEUE_SENDING) == 0)
		l -= s;
	if (l >= sizeof it->name)
		return err_set(RX_FAIL, "%s: name too long", name);
	memcpy(it->name, name, l);
	it->name[l] = '\0';
	if (queue_dir(id, 0, it->dir, sizeof it->dir) != 0)
		return -1;
	(void)snprintf(it->sending, sizeof it->sending, "%s/%s" QUEUE_SENDING,
	    it->dir, it->name);
	(void)snprintf(it->tries, sizeof it->tries, "%s/.%s.tries", it->dir,
	    it->name);
	return 0;
}

/* The attempts made before (a crash interrupted them), from .tries. */
static int
tries_read(const struct item *it)
{
	struct buf b = { 0 };
	unsigned long n = 0;

	if (file_read(it->tries, &b, 64) == 0) {
		b.len = strcspn(b.s, "\n");
		b.s[b.len] = '\0';
		if (num_ulong(b.s, 1000, &n) == -1)
			n = 0;
	}
	buf_free(&b);
	return (int)n;
}

static int
tries_write(const struct item *it)
{
	char n[16];

	(void)snprintf(n, sizeof n, "%d\n", it->attempt);
	return file_write(it->tries, n, strlen(n), 0600);
}

/* Rule 3's bytes: tab, newline, return, backspace and bell pass. */
static int
needs_vis(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' &&
	    c != '\b' && c != '\a') || c == 0x7f;
}

/* The text to paste: the item itself, or its neutralised copy. */
static int
paste_source(struct item *it, const struct buf *msg, const char **path)
{
	struct buf v = { 0 };
	size_t i;
	int rc;

	*path = it->sending;
	for (i = 0; i < msg->len && !needs_vis((unsigned char)msg->s[i]); i++)
		;
	if (i == msg->len)
		return 0;
	for (i = 0; i < msg->len; i++) {
		unsigned char c = (unsigned char)msg->s[i];

		if (needs_vis(c)) {
			buf_addc(&v, '^');
			buf_addc(&v, (char)(c ^ 0x40));
		} else
			buf_addc(&v, (char)c);
	}
	(void)snprintf(it->paste, sizeof it->paste, "%s/.%s.paste", it->dir,
	    it->name);
	rc = file_replace(it->paste, v.s, v.len, 0600);
	buf_free(&v);
	*path = it->paste;
	return rc;
}

static long
pane_log_size(const struct idctx *x)
{
	struct stat st;

	return lstat(x->pane_log, &st) == 0 ? (long)st.st_size : -1;
}

/* load-buffer and paste-buffer -p -d, one tmux client. */
static int
paste(const struct idctx *x, const char *path)
{
	char bufname[48];
	struct buf p = { 0 };
	const char *args[] = { "load-buffer", "-b", bufname, NULL, ";",
	    "paste-buffer", "-p", "-d", "-b", bufname, "-t", x->target, NULL };
	int rc;

	(void)snprintf(bufname, sizeof bufname, "roost-send-%ld",
	    (long)getpid());
	(void)esc_fmt(&p, path);	/* load-buffer expands its path */
	args[3] = buf_str(&p);
	rc = tmux_run_ms(x->sock, args, NULL, TMUX_ASK_MS) == 0 ? 0 : -1;
	buf_free(&p);
	return rc;
}

static int
submit(const struct idctx *x, const struct conf *c)
{
	const char *args[40];
	struct buf store = { 0 };
	size_t words[32];
	int n = 0, k, i, rc;

	args[n++] = "send-keys";
	args[n++] = "-t";
	args[n++] = x->target;
	k = teardown_keys_split(c->submit_keys != NULL ? c->submit_keys :
	    "Enter", &store, words, 32);
	for (i = 0; i < k; i++)
		args[n++] = store.s + words[i];
	args[n] = NULL;
	rc = k == 0 ? 0 : tmux_run_ms(x->sock, args, NULL, TMUX_ASK_MS);
	buf_free(&store);
	return rc == 0 ? 0 : -1;
}

/* Went busy, or printed, within confirm seconds of the keys. */
static int
confirmed(const struct idctx *x, const struct conf *c, long size0)
{
	struct timespec t0;

	now_mono(&t0);
	do {
		if (marker_has(x->id, M_BUSY) == 1 || pane_log_size(x) > size0)
			return 1;
		now_sleep_ms(CONFIRM_POLL_MS);
	} while (now_ms_since(&t0) < (long)c->confirm * 1000);
	return 0;
}

/* Given up on: into failed/, never deleted. */
static int
give_up(struct item *it, const char *why)
{
	char fdir[ITEM_PATH], to[ITEM_PATH + 264];

	(void)snprintf(fdir, sizeof fdir, "%s/%s", it->dir, QUEUE_FAILED);
	(void)snprintf(to, sizeof to, "%s/%s", fdir, it->name);
	if (home_dir_check(fdir, 1) == -1)
		return -1;
	if (rename(it->sending, to) == -1)
		return err_set(RX_FAIL, "%s: cannot move to %s: %s",
		    it->sending, fdir, strerror(errno));
	(void)file_remove(it->tries);
	item_log(it, "failed", why);
	return 2;
}

/* Paste, then submit until confirmed: 1 ok, 2 failed for good, -1 the
 * pane would not take it (the item stays, to be sent again). */
static int
item_send(struct item *it, const struct conf *c, const struct buf *msg)
{
	const char *src;
	long size0;
	int first = 1;

	if (home_ctx_sock(it->x) == -1 || paste_source(it, msg, &src) == -1)
		return -1;
	if (paste(it->x, src) == -1) {
		item_log(it, "error", err_msg());
		return -1;
	}
	for (; it->attempt <= DELIVER_TRIES; it->attempt++) {
		if (tries_write(it) == -1)
			return -1;
		if (first && c->submit_delay_ms > 0)
			now_sleep_ms((long)c->submit_delay_ms);
		first = 0;
		size0 = pane_log_size(it->x);
		if (submit(it->x, c) == -1) {
			item_log(it, "error", err_msg());
			return -1;
		}
		if (confirmed(it->x, c, size0)) {
			(void)file_remove(it->sending);
			(void)file_remove(it->tries);
			item_log(it, "ok", NULL);
			return 1;
		}
		if (it->attempt < DELIVER_TRIES)
			item_log(it, "unconfirmed", NULL);
	}
	it->attempt = DELIVER_TRIES;
	return give_up(it, "unconfirmed");
}

/*
 * Deliver the item name (the oldest, or with now the one just queued):
 * 1 delivered, 2 given up on (failed/), 0 gone already (someone else
 * sent it), -1 error (the item stays queued).
 */
static int
deliver_item(const struct idctx *x, const struct conf *c, const char *name)
{
	struct item it;
	struct buf msg = { 0 };
	char from[ITEM_PATH];
	int rc;

	if (item_init(&it, x, name) == -1)
		return -1;
	if (strcmp(name, it.name) == 0) {
		(void)snprintf(from, sizeof from, "%s/%s", it.dir, it.name);
		if (rename(from, it.sending) == -1) {
			if (errno == ENOENT)
				return 0;
			if (errno != ENAMETOOLONG)
				return err_errno(from);
			/* No room for .sending in its name: given up on as it
			 * is, so it holds up none behind it. */
			(void)snprintf(it.sending, sizeof it.sending, "%s", from);
			return give_up(&it, "name too long");
		}
	}
	it.attempt = tries_read(&it) + 1;
	rc = file_read(it.sending, &msg, QUEUE_MSG_MAX);
	it.bytes = (long)msg.len;
	if (rc == 1)
		rc = 0;		/* taken meanwhile */
	else if (rc == -1)
		rc = give_up(&it, err_msg());
	else if (msg.len == 0)
		rc = give_up(&it, "empty");
	else if (it.attempt > DELIVER_TRIES) {
		it.attempt = DELIVER_TRIES;
		rc = give_up(&it, "unconfirmed");
	} else
		rc = item_send(&it, c, &msg);
	if (it.paste[0] != '\0')
		(void)file_remove(it.paste);
	buf_free(&msg);
	return rc;
}

/*
 * One message into the program, when it is ready (rule 1; *why says what
 * it waits for), or with now the named one at once (only nobody attached
 * is required).  The name delivered lands in item.  1 delivered, 2
 * failed for good, 0 nothing to do or not ready, -1 error.
 */
int
deliver_one(struct idctx *x, const struct conf *c, int now, char *item,
    size_t n, const char **why)
{
	const char *id = x->id;
	char **v;
	size_t k, l;
	int rc;

	*why = NULL;
	if (now) {
		if (!state_ctx_running(x)) {
			*why = "not running";
			return 0;
		}
		if (!c->deliver_attached) {
			if ((rc = attached(x)) == -1)
				return -1;
			if (rc == 1) {
				*why = "attached";
				return 0;
			}
		}
		if ((rc = deliver_item(x, c, item)) == 1)
			(void)marker_rm(id, M_WAITING);
		return rc;
	}
	if ((rc = deliver_ready(x, c, 1, why)) != 1)
		return rc;
	if ((v = queue_items(id, &k)) == NULL)
		return 0;
	l = strlen(v[0]);
	if (l > strlen(QUEUE_SENDING) &&
	    strcmp(v[0] + l - strlen(QUEUE_SENDING), QUEUE_SENDING) == 0)
		l -= strlen(QUEUE_SENDING);
	(void)snprintf(item, n, "%.*s", (int)l, v[0]);
	rc = deliver_item(x, c, v[0]);
	file_names_free(v, k);
	return rc;
}
