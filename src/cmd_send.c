/*
 * cmd_send.c - send: a message for the program, queued on disk and
 * delivered when it is ready; and the wait for readiness that start,
 * wake and restart share with it.
 *
 * The rules:
 *  1. The message is checked before anything is written: not empty, no
 *     NUL byte (programs read text; a NUL would be cut or mangled on the
 *     way), at most QUEUE_MSG_MAX bytes.  Otherwise exit 2.
 *  2. A stopped or crash-looped identity refuses it (exit 3), an unknown
 *     one exits 4; nothing is kept.
 *  3. Queued first (atomically), delivered after: a message is never
 *     lost between the two.  Delivered at once when the program is
 *     ready; else the identity is woken (unless --no-wake) and the pass
 *     that sees it ready delivers it.
 *  4. --now delivers this message at once, whatever the queue and the
 *     readiness rules say (never while a person is attached); a message
 *     it cannot deliver is not kept.
 *  5. Waiting (--wait) polls every WAIT_POLL_MS and asks for a pass over
 *     the identity every WAIT_PASS_MS, so the pass that sees the program
 *     ready is the one that delivers.
 */
#include "roost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_DEFAULT_S	60	/* --wait without a number */
#define WAIT_MAX_S	86400UL
#define WAIT_POLL_MS	50
#define WAIT_PASS_MS	250

static struct {
	const char *nowake, *now, *wait, *file;
} so;

static const struct opt send_opts[] = {
	{ "no-wake", 0, OPT_FLAG, &so.nowake, NULL, NULL },
	{ "now", 0, OPT_FLAG, &so.now, NULL, NULL },
	{ "wait", 0, OPT_OPTARG, &so.wait, NULL, NULL },
	{ "file", 0, OPT_ARG, &so.file, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* --wait[=SECS] in ms: 0 when not given, -1 (usage error) when bad. */
long
send_wait_ms(const char *v)
{
	unsigned long s;

	if (v == NULL)
		return 0;
	if (*v == '\0')
		return WAIT_DEFAULT_S * 1000L;
	if (num_ulong(v, WAIT_MAX_S, &s) == -1 || s == 0)
		return -1;
	return (long)s * 1000;
}

/* A pass over id, as the tick would run it (deliveries included). */
static void
pass(const char *id)
{
	char *ids[1];
	struct tally t;

	ids[0] = (char *)id;
	(void)tick_pass(0, "command", ids, 1, &t);
	err_warnings_clear();
}

/*
 * After a pass: does the tick owe the program no launch at all (stopped,
 * crash-looped, or down by its restart policy)?  Then nothing waited for
 * can come: -1 with the error set, else 0.
 */
static int
hopeless(const char *id)
{
	struct idctx x;
	struct facts f;
	struct verdict v;
	struct conf c;
	int rc = 0;

	if (conf_read(id, &c) == -1) {
		err_warnings_clear();
		return 0;
	}
	home_ctx(id, &x);
	tick_verdict(&x, &c, now_wall(), &f, &v);
	if (!(v.act & (A_LAUNCH | A_RESTART | A_RESPAWN)) &&
	    (v.st == ST_STOPPED || v.st == ST_CRASHLOOP || v.st == ST_EXITED))
		rc = err_set(RX_REFUSED, "%s: %s: nothing will run to wait for "
		    "(roost status %s says why)", id, state_name(v.st), id);
	conf_free(&c);
	return rc;
}

/*
 * Rule 5 for readiness: 1 once the program is ready, 0 when ms passed
 * first, -1 when it will not run (hopeless); *waited says how long it
 * took.
 */
int
send_wait_ready(const char *id, long ms, long *waited)
{
	struct timespec t0;
	long next = 0, once;

	now_mono(&t0);
	for (;;) {
		if (deliver_wait_ready(id, 0, &once) == 1) {
			*waited = now_ms_since(&t0);
			pass(id);	/* what waited for this, goes in now */
			return 1;
		}
		*waited = now_ms_since(&t0);
		if (*waited >= ms)
			return 0;
		if (*waited >= next) {
			pass(id);
			if (hopeless(id) == -1)
				return -1;
			next = *waited + WAIT_PASS_MS;
		}
		now_sleep_ms(WAIT_POLL_MS);
	}
}

/* Rule 5 for a message: 1 delivered, 2 given up on, 0 not in time, -1
 * nothing will run to take it (hopeless). */
static int
wait_delivered(const char *id, const char *item, long ms)
{
	struct timespec t0;
	long next = 0, w;
	int q;

	now_mono(&t0);
	for (;;) {
		if ((q = queue_has(id, item)) != 1)
			return q == 0 ? 1 : 2;
		w = now_ms_since(&t0);
		if (w >= ms)
			return 0;
		if (w >= next) {
			pass(id);
			if (hopeless(id) == -1)
				return -1;
			next = w + WAIT_PASS_MS;
			continue;
		}
		now_sleep_ms(WAIT_POLL_MS);
	}
}

/* All of fd, at most QUEUE_MSG_MAX bytes (rule 1). */
static int
read_msg(int fd, const char *what, struct buf *out)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(RX_FAIL, "%s: %s", what, strerror(errno));
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > (size_t)QUEUE_MSG_MAX)
			return err_set(RX_USAGE, "%s: message larger than %ld "
			    "bytes (1 MiB)", what, QUEUE_MSG_MAX);
		buf_add(out, chunk, (size_t)n);
	}
}

/* The message: the words after the id joined by blanks, "-" for stdin,
 * or --file F. */
static int
message(const struct args *a, struct buf *m)
{
	int fd, rc, i;

	if (so.file != NULL && a->n > 1)
		return err_set(RX_USAGE, "give the message as words or as "
		    "--file, not both");
	if (so.file != NULL || (a->n == 2 && strcmp(a->v[1], "-") == 0 &&
	    a->dd != 1)) {
		const char *f = so.file != NULL ? so.file : "-";

		if (strcmp(f, "-") == 0)
			return read_msg(STDIN_FILENO, "stdin", m);
		if ((fd = open(f, O_RDONLY | O_CLOEXEC)) == -1)
			return err_set(RX_USAGE, "%s: %s", f, strerror(errno));
		rc = read_msg(fd, f, m);
		(void)close(fd);
		return rc;
	}
	if (a->n < 2)
		return err_set(RX_USAGE, "missing message (words, - for "
		    "stdin, or --file F)");
	for (i = 1; i < a->n; i++) {
		if (i > 1)
			buf_addc(m, ' ');
		buf_adds(m, a->v[i]);
	}
	return 0;
}

static int
msg_check(const struct buf *m)
{
	if (m->len == 0)
		return err_set(RX_USAGE, "empty message");
	if (memchr(m->s, '\0', m->len) != NULL)
		return err_set(RX_USAGE, "message contains a NUL byte "
		    "(refused: a program reads text)");
	return 0;
}

/* Rule 2, under the lock. */
static int
send_allowed(struct idctx *x, struct conf *c)
{
	const char *id = x->id, *why;

	if (!state_known(id))
		return err_set(RX_UNKNOWN, "%s: unknown identity", id);
	if (conf_read(id, c) == -1)
		return -1;
	why = marker_has(id, M_STOPPED) == 1 ? "stopped" :
	    marker_has(id, M_CRASHLOOP) == 1 ? "crash-loop" : NULL;
	if (why != NULL) {
		log_event("refused", id, "cause", why, "by", "send", LEND);
		return err_set(RX_REFUSED, "refused %s: %s (roost start %s "
		    "clears it)", id, why, id);
	}
	if (so.now != NULL && !state_ctx_running(x))
		return err_set(RX_REFUSED, "%s: not running (--now answers a "
		    "running program)", id);
	return 0;
}

/* Rule 4: 0 delivered, -1 not (the message is taken back). */
static int
send_now(struct idctx *x, const struct conf *c, const char *item)
{
	const char *id = x->id;
	char name[256], p[PATHBUF];
	const char *why;
	int rc;

	(void)snprintf(name, sizeof name, "%s", item);
	rc = deliver_one(x, c, 1, name, sizeof name, &why);
	if (rc == 1)
		return 0;
	if (rc == 0) {
		home_path(p, "state/%s.%s/%s", id, M_QUEUE, item);
		(void)file_remove(p);
		home_path(p, "state/%s.%s/%s" QUEUE_SENDING, id, M_QUEUE, item);
		(void)file_remove(p);
		return err_set(RX_REFUSED, "%s: %s (nothing sent)", id,
		    why != NULL && strcmp(why, "attached") == 0 ?
		    "a person is attached" : "not running");
	}
	if (rc == 2)
		return err_set(RX_FAIL, "%s: %s: not confirmed after %d attempts "
		    "(moved to %s.queue/%s/)", id, item, DELIVER_TRIES, id,
		    QUEUE_FAILED);
	return -1;
}

/* Rule 3 under the lock: queue, then deliver or wake.  *woke when this
 * launched the program. */
static int
send_locked(const char *id, struct conf *c, const struct buf *m, char *item,
    size_t n, int *woke)
{
	struct idctx x;
	char name[256];
	const char *why, *mode;
	int rc;

	*woke = 0;
	home_ctx(id, &x);
	if (send_allowed(&x, c) == -1 || queue_put(id, m->s, m->len, item,
	    n) == -1)
		return -1;
	if (so.now != NULL)
		return send_now(&x, c, item);
	/* A server waiting out a backoff (rule 1e): a send wakes it. */
	if (so.nowake == NULL && (rc = tick_respawn(&x, c, "send", &mode)) != 0) {
		*woke = rc == 1;
		return rc == 1 ? 0 : -1;
	}
	if (state_ctx_running(&x)) {
		name[0] = '\0';
		rc = deliver_one(&x, c, 0, name, sizeof name, &why);
		if (rc == -1)
			cli_warn("%s: delivery deferred: %s", id, err_msg());
		if (rc == 2 && strcmp(name, item) == 0)
			return err_set(RX_FAIL, "%s: %s: not confirmed after %d "
			    "attempts (moved to %s.queue/%s/)", id, item,
			    DELIVER_TRIES, id, QUEUE_FAILED);
		return 0;
	}
	if (so.nowake != NULL)
		return 0;
	if (launch(&x, c, NULL, "send", &mode) == -1)
		return err_set(err_code(), "%s: queued %s, but %s", id, item,
		    err_msg());
	*woke = 1;
	return 0;
}

static int
cmd_send(const struct args *a)
{
	const char *id = a->v[0];
	struct buf m = { 0 };
	struct conf c;
	char item[256];
	long ms = send_wait_ms(so.wait);
	int lk, rc, woke = 0;

	conf_defaults(&c);
	if (ms == -1)
		return cli_usage("--wait: not a number of seconds (1 to %lu): "
		    "%s", WAIT_MAX_S, so.wait);
	if (so.now != NULL && so.nowake != NULL)
		return cli_usage("--now and --no-wake: --now needs it running");
	if (message(a, &m) == -1 || msg_check(&m) == -1) {
		buf_free(&m);
		return cli_fail();
	}
	if (!state_known(id)) {
		buf_free(&m);
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	}
	if ((lk = home_lock(id, 1)) < 0) {
		buf_free(&m);
		return cli_fail();
	}
	rc = send_locked(id, &c, &m, item, sizeof item, &woke);
	file_unlock(lk);
	conf_free(&c);
	buf_free(&m);
	if (rc == -1)
		return cli_fail();
	if (so.now != NULL) {
		cli_out("delivered %s %s\n", id, item);
		return RX_OK;
	}
	if (ms == 0) {
		cli_out("queued %s %s\n", id, item);
		return RX_OK;
	}
	switch (wait_delivered(id, item, ms)) {
	case -1:
		return cli_fail();
	case 1:
		cli_out("delivered %s %s\n", id, item);
		return RX_OK;
	case 2:
		return err_set(RX_FAIL, "%s: %s: not confirmed after %d attempts "
		    "(moved to %s.queue/%s/)", id, item, DELIVER_TRIES, id,
		    QUEUE_FAILED), cli_fail();
	}
	return err_set(RX_TIMEOUT, "%s: %s: not delivered within %ld s (it "
	    "stays queued)", id, item, ms / 1000), cli_fail();
}

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "<id> [--no-wake] [--now] [--wait[=SECS]] [--file F] "
	    "[--] TEXT... | -",
	.summary = "queue a message for the program, delivered when it is ready",
	.help = "  --no-wake      do not launch a parked or down identity (the "
	    "next tick will)\n"
	    "  --now          deliver at once, skipping the queue and readiness "
	    "(answers a prompt)\n"
	    "  --wait[=SECS]  return once delivered (default 60 s); exit 5 when "
	    "not in time,\n"
	    "                 3 at once when nothing will run (it stays "
	    "queued)\n"
	    "  --file F       the message is F's contents (- for stdin)\n"
	    "The words are joined by blanks; - alone reads stdin.  At most 1 MiB, "
	    "no NUL bytes.\n"
	    "Prints \"queued <id> <item>\", or \"delivered <id> <item>\" with "
	    "--wait or --now.\n",
	.opts = send_opts,
	.minpos = 1,
	.maxpos = -1,
	.home = H_READ,
	.ids = 1,
	.exec = cmd_send
};
