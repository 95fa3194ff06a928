/*
 * conf.c - conf/<id>.conf: key=value lines whose values are single-quoted
 * sh words, so `. conf/bob.conf` gives back exactly what roost wrote.
 * The reader is strict: unknown keys, repeated keys, malformed lines and
 * bad values are refused with file, line and key.
 */
#include "roost.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONF_MAX	(256 * 1024)
#define IDLE_MAX	(10UL * 365 * 86400)
#define CL_DEATHS_MAX	DEATHS_KEEP	/* .deaths keeps no more */
#define CL_WINDOW_MAX	(30UL * 86400)

/* conf/ opened once for a pass over every identity, or -1. */
static int conffd = -1;

#define DELAY_MAX	3600UL
#define TIMEOUT_MAX	3600UL
#define PATTERN_MAX	256	/* bytes of a screen pattern */
#define PATTERN_DUP_MAX	255	/* a {n,m} bound in one */
#define PATTERN_WEIGHT_MAX 4096	/* atoms once its repetitions are unrolled */
#define BUSY_MAX_MAX	(30UL * 86400)
#define SUBMIT_DELAY_MAX	10000UL	/* ms */
#define SUBMIT_KEYS	"Enter"

static const char *const keys[] = {
	"command", "resume", "cwd", "idle", "restart", "restart_delay",
	"crashloop", "activity", "stop_keys", "stop_signal", "stop_timeout",
	"memory_max", "memory_high",
	"resume_after", "resume_grace", "waiting_pattern", "ready_pattern",
	"ready_quiet", "busy_quiet", "busy_max",
	"submit_keys", "submit_delay_ms", "confirm", "deliver_attached",
	NULL
};

/* The keys a conf may hold, NULL-terminated: what `roost help conf`
 * lists and what roost.1 must describe. */
const char *const *
conf_keys(void)
{
	return keys;
}

/* The signals a stop may send (conf stop_signal, add --stop-signal). */
static const char *const stop_signals[] = {
	"HUP", "INT", "QUIT", "TERM", "USR1", "USR2", NULL
};

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof *c);
	c->idle = 3600;
	c->restart = RESTART_ON_FAILURE;
	c->cl_deaths = 3;
	c->cl_window = 300;
	c->restart_delay = 1;
	c->stop_signal = sig_num("TERM");
	c->stop_timeout = 10;
	c->resume_grace = 30;
	c->ready_quiet = 2;
	c->busy_quiet = 3;
	c->busy_max = 21600;
	c->submit_delay_ms = 300;
	c->confirm = 5;
}

void
conf_free(struct conf *c)
{
	free(c->command);
	free(c->resume);
	free(c->cwd);
	free(c->activity);
	free(c->stop_keys);
	free(c->waiting_pattern);
	free(c->ready_pattern);
	free(c->submit_keys);
	memset(c, 0, sizeof *c);
}

static const char *
conf_restart_name(enum restart r)
{
	switch (r) {
	case RESTART_ALWAYS: return "always";
	case RESTART_NEVER: return "never";
	default: return "on-failure";
	}
}

int
conf_restart_parse(const char *s, enum restart *r)
{
	if (strcmp(s, "always") == 0)
		*r = RESTART_ALWAYS;
	else if (strcmp(s, "on-failure") == 0)
		*r = RESTART_ON_FAILURE;
	else if (strcmp(s, "never") == 0)
		*r = RESTART_NEVER;
	else
		return -1;
	return 0;
}

/* N/SECS with 1 <= N and 1 <= SECS. */
int
conf_crashloop_parse(const char *s, unsigned long *n, unsigned long *secs)
{
	const char *slash = strchr(s, '/');
	char num[24];
	size_t len;

	if (slash == NULL || (len = (size_t)(slash - s)) == 0 ||
	    len >= sizeof num)
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (num_ulong(num, CL_DEATHS_MAX, n) == -1 || *n == 0 ||
	    num_ulong(slash + 1, CL_WINDOW_MAX, secs) == -1 || *secs == 0)
		return -1;
	return 0;
}

/* HUP INT QUIT TERM USR1 USR2 (with or without SIG) or none; 0 is none. */
int
conf_stop_signal_parse(const char *s, int *sig)
{
	int i;

	if (strcmp(s, "none") == 0) {
		*sig = 0;
		return 0;
	}
	for (i = 0; stop_signals[i] != NULL; i++)
		if (strcmp(s, stop_signals[i]) == 0 ||
		    (strncmp(s, "SIG", 3) == 0 &&
		    strcmp(s + 3, stop_signals[i]) == 0)) {
			*sig = sig_num(stop_signals[i]);
			return 0;
		}
	return -1;
}

/* A memory size for the scope: bytes, or with a K, M or G suffix
 * (powers of 1024); "" is none (0).  At most a pebibyte. */
int
conf_bytes_parse(const char *s, unsigned long long *v)
{
	char num[24];
	size_t len = strlen(s);
	unsigned long long mul = 1, lim;
	unsigned long n;
	const char *suf = "KMG";

	*v = 0;
	if (len == 0)
		return 0;
	if (len >= sizeof num)
		return -1;
	memcpy(num, s, len + 1);
	if (strchr(suf, num[len - 1]) != NULL) {
		mul = 1ULL << (10 * (1 + (strchr(suf, num[len - 1]) - suf)));
		num[--len] = '\0';
	}
	lim = (1ULL << 50) / mul;
	if (len == 0 || num_ulong(num, lim > ULONG_MAX ? ULONG_MAX :
	    (unsigned long)lim, &n) == -1 || n == 0)
		return -1;
	*v = (unsigned long long)n * mul;
	return 0;
}

/* Seconds, 1 to an hour. */
int
conf_seconds_parse(const char *s, unsigned long *v)
{
	if (num_ulong(s, TIMEOUT_MAX, v) == -1 || *v == 0)
		return -1;
	return 0;
}

/* The {n,m} bounds of an ERE are at most PATTERN_DUP_MAX: nested big
 * bounds make regcomp build a huge automaton. */
static int
pattern_dups_ok(const char *s)
{
	const char *p, *q;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		for (q = p + 1; *q == ',' || (*q >= '0' && *q <= '9'); q++)
			if (*q != ',' && (q == p + 1 || q[-1] == ',') &&
			    strtoul(q, NULL, 10) > PATTERN_DUP_MAX)
				return 0;
	}
	return 1;
}

/*
 * How many times regcomp may copy what a repetition applies to: 2 for
 * *, + and ? (glibc makes x+ into x x*), the upper bound of {n,m}, n + 1
 * for {n,}; 0 when p is no repetition.  *end is past it.
 */
static unsigned long
dup_factor(const char *p, const char **end)
{
	unsigned long n = 0, m = 0;
	const char *q;
	int comma = 0, digits = 0;

	*end = p + 1;
	if (*p == '*' || *p == '+' || *p == '?')
		return 2;
	if (*p != '{')
		return 0;
	for (q = p + 1; *q == ',' || (*q >= '0' && *q <= '9'); q++) {
		if (*q == ',') {
			if (comma++)
				return 0;
		} else if (comma)
			m = m * 10 + (unsigned long)(*q - '0'), digits |= 2;
		else
			n = n * 10 + (unsigned long)(*q - '0'), digits |= 1;
		if (n > PATTERN_DUP_MAX || m > PATTERN_DUP_MAX)
			return PATTERN_WEIGHT_MAX + 1;
	}
	if (*q != '}' || digits == 0)
		return 0;	/* not a bound: a literal { */
	*end = q + 1;
	m = comma ? (digits & 2 ? m : n + 1) : n;
	return m > 2 ? m : 2;
}

/*
 * The size regcomp builds, roughly: every atom counts one, a repetition
 * multiplies what it applies to (a group, or a repetition before it:
 * glibc takes a+++ as ((a+)+)+, and so doubles it again for each), and
 * it must stay under PATTERN_WEIGHT_MAX.  Repetitions of repetitions
 * grow regcomp's time and memory exponentially (a hundred + after one
 * character never finish), which no real screen pattern needs.
 */
static int
pattern_weight_ok(const char *s)
{
	unsigned long sum[PATTERN_MAX + 2], last[PATTERN_MAX + 2], f;
	const char *p = s, *e;
	int d = 0;

	sum[0] = last[0] = 0;
	while (*p != '\0') {
		unsigned long w = 1;

		if (*p == '(' && d <= PATTERN_MAX) {
			d++;
			sum[d] = last[d] = 0;
			p++;
			continue;
		}
		if (*p == '|') {
			last[d] = 0;
			p++;
			continue;
		}
		if ((f = dup_factor(p, &e)) != 0) {
			if (last[d] > PATTERN_WEIGHT_MAX / f)
				return 0;
			sum[d] -= last[d];
			last[d] *= f;
			sum[d] += last[d];
			if (sum[d] > PATTERN_WEIGHT_MAX)
				return 0;
			p = e;
			continue;
		}
		if (*p == ')' && d > 0) {
			w = sum[d] > 0 ? sum[d] : 1;
			d--;
			p++;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					char c = p[1];

					for (p += 2; *p != '\0' &&
					    !(*p == c && p[1] == ']'); p++)
						;
					if (*p != '\0')
						p += 2;
				} else
					p++;
			}
			if (*p != '\0')
				p++;
		} else if (*p == '\\' && p[1] != '\0')
			p += 2;
		else
			p++;
		last[d] = w;
		if ((sum[d] += w) > PATTERN_WEIGHT_MAX)
			return 0;
	}
	return 1;
}

/*
 * A screen pattern (waiting_pattern, ready_pattern): a POSIX ERE of at
 * most PATTERN_MAX bytes that compiles, with no back-reference (glibc
 * accepts \1 in an ERE, and back-references are what make matching
 * exponential) and no {n,m} bound over PATTERN_DUP_MAX.  It is matched
 * against the visible screen only, a line at a time.  0, or -1 and *why.
 */
int
conf_pattern_check(const char *s, const char **why)
{
	static char msg[160];
	const char *p;
	regex_t re;
	int rc;

	if (strlen(s) > PATTERN_MAX) {
		*why = "longer than 256 bytes";
		return -1;
	}
	for (p = s; *p != '\0'; p++)
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9') {
			*why = "back-references are not allowed";
			return -1;
		} else if (*p == '\\' && p[1] != '\0')
			p++;
		else if ((unsigned char)*p < 0x20 && *p != '\t') {
			*why = "contains a control character";
			return -1;
		}
	if (!pattern_dups_ok(s)) {
		*why = "a {n,m} bound over 255";
		return -1;
	}
	if (!pattern_weight_ok(s)) {
		*why = "repetitions of repetitions too many or too large";
		return -1;
	}
	if ((rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB)) != 0) {
		char e[96];

		(void)regerror(rc, &re, e, sizeof e);
		(void)snprintf(msg, sizeof msg, "not a valid extended regular "
		    "expression: %s", e);
		*why = msg;
		return -1;
	}
	regfree(&re);
	return 0;
}

static int
bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_./:@%+,-", c) != NULL;
}

/* Parse one sh word (quoted pieces and bare chars); *pp moves past it. */
static int
parse_word(const char **pp, const char *end, struct buf *out, int *line)
{
	const char *p = *pp;

	buf_reset(out);
	while (p < end) {
		if (*p == '\'') {
			const char *q = p + 1;

			while (q < end && *q != '\'')
				q++;
			if (q >= end)
				return -1;	/* unterminated quote */
			for (const char *r = p + 1; r < q; r++)
				if (*r == '\n')
					(*line)++;
			buf_add(out, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (*p == '\\' && p + 1 < end && p[1] == '\'') {
			buf_addc(out, '\'');
			p += 2;
		} else if (bare_char(*p)) {
			buf_addc(out, *p++);
		} else
			break;
	}
	(void)buf_str(out);
	*pp = p;
	return 0;
}

static int
bad(const char *name, int line, const char *key, const char *why)
{
	if (name == NULL)
		return err_set(RX_USAGE, "key '%s': %s", key != NULL ? key : "", why);
	if (key != NULL)
		return err_set(RX_USAGE, "%s: line %d: key '%s': %s", name, line,
		    key, why);
	return err_set(RX_USAGE, "%s: line %d: %s", name, line, why);
}

static int
is_abs(const char *v)
{
	return v[0] == '/';
}

/* The v3 keys of section 13. */
static int
set_key3(struct conf *c, const char *name, int line, const char *k,
    const char *v)
{
	char **slot = NULL;
	const char *why;

	if (strcmp(k, "resume_after") == 0) {
		if (strcmp(v, "park") != 0 && strcmp(v, "any") != 0)
			return bad(name, line, k, "must be park or any");
		c->resume_any = strcmp(v, "any") == 0;
	} else if (strcmp(k, "resume_grace") == 0) {
		if (num_ulong(v, TIMEOUT_MAX, &c->resume_grace) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(0 to 3600)");
	} else if (strcmp(k, "waiting_pattern") == 0 ||
	    strcmp(k, "ready_pattern") == 0) {
		if (conf_pattern_check(v, &why) == -1)
			return bad(name, line, k, why);
		slot = k[0] == 'w' ? &c->waiting_pattern : &c->ready_pattern;
	} else if (strcmp(k, "ready_quiet") == 0 ||
	    strcmp(k, "busy_quiet") == 0) {
		if (num_ulong(v, TIMEOUT_MAX, k[0] == 'r' ? &c->ready_quiet :
		    &c->busy_quiet) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(0 to 3600)");
	} else if (strcmp(k, "busy_max") == 0) {
		if (num_ulong(v, BUSY_MAX_MAX, &c->busy_max) == -1 ||
		    c->busy_max == 0)
			return bad(name, line, k, "not a number of seconds "
			    "(1 to 2592000)");
	}
	if (slot != NULL) {
		free(*slot);
		*slot = *v != '\0' ? xstrdup(v) : NULL;
	}
	return 0;
}

static int
set_key(struct conf *c, const char *name, int line, const char *k,
    const char *v)
{
	char **slot = NULL;

	if (strcmp(k, "command") == 0) {
		if (*v == '\0')
			return bad(name, line, k, "empty command");
		slot = &c->command;
	} else if (strcmp(k, "resume") == 0)
		slot = &c->resume;
	else if (strcmp(k, "cwd") == 0) {
		if (*v != '\0' && !is_abs(v))
			return bad(name, line, k, "not an absolute path");
		slot = &c->cwd;
	} else if (strcmp(k, "activity") == 0) {
		if (*v != '\0' && !is_abs(v))
			return bad(name, line, k, "not an absolute path");
		slot = &c->activity;
	} else if (strcmp(k, "idle") == 0) {
		if (num_ulong(v, IDLE_MAX, &c->idle) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(0 = never)");
	} else if (strcmp(k, "restart") == 0) {
		if (conf_restart_parse(v, &c->restart) == -1)
			return bad(name, line, k, "must be always, on-failure "
			    "or never");
	} else if (strcmp(k, "crashloop") == 0) {
		if (conf_crashloop_parse(v, &c->cl_deaths, &c->cl_window) == -1)
			return bad(name, line, k, "must be N/SECS with N from 1 to 16, e.g. 3/300");
	} else if (strcmp(k, "restart_delay") == 0) {
		if (num_ulong(v, DELAY_MAX, &c->restart_delay) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(0 to 3600)");
	} else if (strcmp(k, "stop_keys") == 0)
		slot = &c->stop_keys;
	else if (strcmp(k, "stop_signal") == 0) {
		if (conf_stop_signal_parse(v, &c->stop_signal) == -1)
			return bad(name, line, k, "must be HUP, INT, QUIT, TERM, "
			    "USR1, USR2 or none");
	} else if (strcmp(k, "stop_timeout") == 0) {
		if (conf_seconds_parse(v, &c->stop_timeout) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(1 to 3600)");
	} else if (strcmp(k, "memory_max") == 0 ||
	    strcmp(k, "memory_high") == 0) {
		if (conf_bytes_parse(v, k[7] == 'm' ? &c->memory_max :
		    &c->memory_high) == -1)
			return bad(name, line, k, "not a size (bytes, or with "
			    "a K, M or G suffix; empty = none)");
	} else if (strcmp(k, "submit_keys") == 0)
		slot = &c->submit_keys;
	else if (strcmp(k, "submit_delay_ms") == 0) {
		if (num_ulong(v, SUBMIT_DELAY_MAX, &c->submit_delay_ms) == -1)
			return bad(name, line, k, "not a number of milliseconds "
			    "(0 to 10000)");
	} else if (strcmp(k, "confirm") == 0) {
		if (conf_seconds_parse(v, &c->confirm) == -1)
			return bad(name, line, k, "not a number of seconds "
			    "(1 to 3600)");
	} else if (strcmp(k, "deliver_attached") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return bad(name, line, k, "must be yes or no");
		c->deliver_attached = strcmp(v, "yes") == 0;
	} else
		return set_key3(c, name, line, k, v);
	if (slot != NULL) {
		free(*slot);
		*slot = *v != '\0' ? xstrdup(v) : NULL;
	}
	return 0;
}

/* One v3 key (section 13) from outside a file, e.g. an add option;
 * -1 with "key 'k': why" in the error slot. */
int
conf_set_key(struct conf *c, const char *k, const char *v)
{
	return set_key3(c, NULL, 0, k, v);
}

/* Strict parse of text; name is used in messages only. */
int
conf_parse(const char *name, const char *text, size_t len, struct conf *c)
{
	const char *p = text, *end = text + len;
	struct buf val = { 0 };
	unsigned seen = 0;
	int line = 1, rc = -1;

	conf_defaults(c);
	if ((p = memchr(text, '\0', len)) != NULL) {
		for (const char *q = text; q < p; q++)
			line += *q == '\n';
		(void)bad(name, line, NULL, "contains a NUL byte");
		goto out;
	}
	p = text;
	while (p < end) {
		const char *k = p;
		char key[24];	/* the longest key, deliver_attached, and its NUL */
		int i, kline = line;
		size_t klen;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && (*p == '#' || *p == '\n')) {
			while (p < end && *p != '\n')
				p++;
			p++, line++;
			continue;
		}
		if (p >= end)
			break;
		k = p;
		while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '_'))
			p++;
		klen = (size_t)(p - k);
		if (p >= end || *p != '=' || klen == 0) {
			char shown[40];

			(void)snprintf(shown, sizeof shown, "%.*s",
			    (int)(klen < 32 ? klen : 32), k);
			(void)bad(name, line, klen > 0 ? shown : NULL,
			    "malformed line (expected key=value)");
			goto out;
		}
		for (i = 0; keys[i] != NULL; i++)
			if (strlen(keys[i]) == klen &&
			    memcmp(keys[i], k, klen) == 0)
				break;
		if (keys[i] == NULL || klen >= sizeof key) {
			char shown[40];

			(void)snprintf(shown, sizeof shown, "%.*s",
			    (int)(klen < 32 ? klen : 32), k);
			(void)bad(name, line, shown, "unknown key");
			goto out;
		}
		memcpy(key, k, klen);
		key[klen] = '\0';
		if (seen & (1U << i)) {
			(void)bad(name, line, key, "given twice");
			goto out;
		}
		seen |= 1U << i;
		p++;
		if (parse_word(&p, end, &val, &line) == -1) {
			(void)bad(name, kline, key, "unterminated quote");
			goto out;
		}
		/* A comment needs a blank before it: 'a'#b is one word to sh. */
		if (p < end && *p == '#') {
			(void)bad(name, line, key, "malformed value (values "
			    "are single-quoted sh words)");
			goto out;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '#')
			while (p < end && *p != '\n')
				p++;
		if (p < end && *p != '\n') {
			(void)bad(name, line, key, "malformed value (values "
			    "are single-quoted sh words)");
			goto out;
		}
		if (set_key(c, name, kline, key, val.s) == -1)
			goto out;
		p++, line++;
	}
	if (c->command == NULL) {
		(void)err_set(RX_USAGE, "%s: key 'command': missing", name);
		goto out;
	}
	rc = 0;
out:
	buf_free(&val);
	if (rc == -1)
		conf_free(c);
	return rc;
}

/* 0 read, -1 error: absent is "unknown identity" (exit 4). */
int
conf_read(const char *id, struct conf *c)
{
	char p[PATHBUF], shown[PATHBUF];
	struct buf b = { 0 };
	int rc;

	home_path(p, "conf/%s.conf", id);
	if (conffd >= 0) {
		char name[ID_MAX + 8];

		(void)snprintf(name, sizeof name, "%s.conf", id);
		rc = file_read_at(conffd, name, p, &b, CONF_MAX);
	} else
		rc = file_read(p, &b, CONF_MAX);
	if (rc == 1) {
		buf_free(&b);
		return err_set(RX_UNKNOWN, "%s: unknown identity", id);
	}
	if (rc == 0) {
		(void)snprintf(shown, sizeof shown, "%s", p);
		rc = conf_parse(shown, b.s, b.len, c);
	}
	buf_free(&b);
	return rc;
}

static void
put(struct buf *b, const char *k, const char *v)
{
	buf_adds(b, k);
	buf_addc(b, '=');
	(void)esc_sh(b, v);
	buf_addc(b, '\n');
}

int
conf_format(const struct conf *c, struct buf *b)
{
	buf_adds(b, "# roost identity: sh-sourceable key=value lines; "
	    "see roost(1)\n");
	put(b, "command", c->command);
	if (c->resume != NULL)
		put(b, "resume", c->resume);
	if (c->cwd != NULL)
		put(b, "cwd", c->cwd);
	buf_addf(b, "idle=%lu\n", c->idle);
	buf_addf(b, "restart=%s\n", conf_restart_name(c->restart));
	buf_addf(b, "restart_delay=%lu\n", c->restart_delay);
	buf_addf(b, "crashloop=%lu/%lu\n", c->cl_deaths, c->cl_window);
	if (c->activity != NULL)
		put(b, "activity", c->activity);
	put(b, "stop_keys", c->stop_keys != NULL ? c->stop_keys : "");
	if (c->stop_signal == 0)
		buf_adds(b, "stop_signal=none\n");
	else {
		char sig[16];

		sig_name(c->stop_signal, sig);
		buf_addf(b, "stop_signal=%s\n", sig + 3);
	}
	buf_addf(b, "stop_timeout=%lu\n", c->stop_timeout);
	if (c->memory_max > 0)
		buf_addf(b, "memory_max=%llu\n", c->memory_max);
	if (c->memory_high > 0)
		buf_addf(b, "memory_high=%llu\n", c->memory_high);
	/* The v3 keys only when they are not the default: confs stay as
	 * they were for those who do not use them. */
	if (c->resume_any)
		buf_adds(b, "resume_after=any\n");
	if (c->resume_grace != 30)
		buf_addf(b, "resume_grace=%lu\n", c->resume_grace);
	if (c->waiting_pattern != NULL)
		put(b, "waiting_pattern", c->waiting_pattern);
	if (c->ready_pattern != NULL)
		put(b, "ready_pattern", c->ready_pattern);
	if (c->ready_quiet != 2)
		buf_addf(b, "ready_quiet=%lu\n", c->ready_quiet);
	if (c->busy_quiet != 3)
		buf_addf(b, "busy_quiet=%lu\n", c->busy_quiet);
	if (c->busy_max != 21600)
		buf_addf(b, "busy_max=%lu\n", c->busy_max);
	/* Delivery keys only when set: confs stay as short as before. */
	if (c->submit_keys != NULL)
		put(b, "submit_keys", c->submit_keys);
	if (c->submit_delay_ms != 300)
		buf_addf(b, "submit_delay_ms=%lu\n", c->submit_delay_ms);
	if (c->confirm != 5)
		buf_addf(b, "confirm=%lu\n", c->confirm);
	if (c->deliver_attached)
		buf_adds(b, "deliver_attached=yes\n");
	return 0;
}

/* A conf every reader would refuse is never written: the same limit and
 * message as conf_read's (exit 2: the input is too large). */
int
conf_fits(const char *id, const struct conf *c)
{
	char p[PATHBUF];
	struct buf b = { 0 };
	size_t len;

	home_path(p, "conf/%s.conf", id);
	(void)conf_format(c, &b);
	len = b.len;
	buf_free(&b);
	if (len > CONF_MAX)
		return err_set(RX_USAGE, "%s: larger than %zu bytes", p,
		    (size_t)CONF_MAX);
	return 0;
}

int
conf_write(const char *id, const struct conf *c)
{
	char p[PATHBUF];
	struct buf b = { 0 };
	int rc;

	if (conf_fits(id, c) == -1)
		return -1;
	home_path(p, "conf/%s.conf", id);
	(void)conf_format(c, &b);
	rc = file_write(p, b.s, b.len, 0600);
	buf_free(&b);
	return rc;
}

int
conf_exists(const char *id)
{
	char p[PATHBUF];
	struct stat st;

	home_path(p, "conf/%s.conf", id);
	return lstat(p, &st) == 0;
}

/* Every defined identity (conf/<id>.conf), sorted; the caller frees. */
int
conf_ids(char ***out)
{
	char dir[PATHBUF], **v;
	size_t n, i, k = 0;

	home_path(dir, "conf");
	v = file_names(dir, &n);
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
		qsort(v, k, sizeof *v, file_names_cmp);
	*out = v;
	return (int)k;
}

void
conf_ids_free(char **v, int n)
{
	file_names_free(v, (size_t)n);
}

/* A pass over many identities reads their confs relative to one open
 * conf/ directory: one path walk instead of one per identity. */
void
conf_dir_open(void)
{
	char p[PATHBUF];

	conf_dir_close();
	home_path(p, "conf");
	conffd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void
conf_dir_close(void)
{
	if (conffd >= 0)
		(void)close(conffd);
	conffd = -1;
}
