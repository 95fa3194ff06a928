/* util.c - the error slot, growable buffers, numbers and time. */
#include "roost.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char	errbuf[1024];
static int	errc = RX_FAIL;

int
rerr(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	errc = code;
	return -1;
}

/* "what: strerror(errno)", exit code 1. */
int
rerr_errno(const char *what)
{
	return rerr(RX_FAIL, "%s: %s", what, strerror(errno));
}

const char *
errmsg(void)
{
	return errbuf[0] != '\0' ? errbuf : "unknown error";
}

int
errcode(void)
{
	return errc;
}

/*
 * "roost: <cmd>: <msg>" on stderr as exactly one line: control
 * characters a user put in an argument are shown escaped, so nobody can
 * forge a second "roost:" line.
 */
void
errline(const char *msg)
{
	struct buf b = { 0 };
	const char *p;

	buf_adds(&b, "roost: ");
	if (R.cmd != NULL) {
		buf_adds(&b, R.cmd);
		buf_adds(&b, ": ");
	}
	for (p = msg; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	buf_addc(&b, '\n');
	(void)fwrite(b.s, 1, b.len, stderr);
	buf_free(&b);
}

void
warnx_(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errline(msg);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("roost: fatal: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	exit(RX_FAIL);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n != 0 ? n : 1);
	if (p == NULL)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void
buf_grow(struct buf *b, size_t more)
{
	size_t need;

	if (more > SIZE_MAX / 2 - b->len)
		fatal("buffer too large");
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = xrealloc(b->s, b->cap);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf failed");
	if ((size_t)n < sizeof small) {
		buf_add(b, small, (size_t)n);
		return;
	}
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	(void)vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* Never NULL, so a fresh buffer reads as "". */
const char *
buf_str(struct buf *b)
{
	if (b->s == NULL)
		buf_grow(b, 0), b->s[0] = '\0';
	return b->s;
}

/* Strict decimal: digits only, no sign, no spaces, at most max. */
int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (ULONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

time_t
now_wall(void)
{
	return time(NULL);
}

/* The clock status shows; ROOST_NOW pins it so golden tests are stable. */
time_t
now_display(void)
{
	const char *e = getenv("ROOST_NOW");
	unsigned long v;

	if (e != NULL && parse_ulong(e, LONG_MAX, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

void
fmt_iso(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "%lld", (long long)t);
}

/* 45s, 5m, 2h03m, 3d04h: short, sortable by eye. */
void
fmt_dur(long s, char out[32])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		(void)snprintf(out, 32, "%lds", s);
	else if (s < 3600)
		(void)snprintf(out, 32, "%ldm", s / 60);
	else if (s < 86400)
		(void)snprintf(out, 32, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		(void)snprintf(out, 32, "%ldd%02ldh", s / 86400,
		    s % 86400 / 3600);
}

void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
