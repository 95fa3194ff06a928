/*
 * err.c - the error slot and the warning queue.
 *
 * err_set() formats into a scratch buffer before it replaces the slot, so
 * a message may embed the previous one (err_set(c, "%s: %s", what,
 * err_msg())).  Warnings are queued, not printed: only the command layer
 * writes to stderr, and it drains the queue.
 */
#include "roost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MAX		1024
#define WARN_MAX	(16 * 1024)

static char	errbuf[ERR_MAX];
static int	errc = RX_FAIL;
/* Queued messages, each ended by a NUL.  A fixed array: the allocator
 * reports through this file, so this file allocates nothing. */
static char	warnings[WARN_MAX];
static size_t	warnlen;

int
err_set(int code, const char *fmt, ...)
{
	char next[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(next, sizeof next, fmt, ap);
	va_end(ap);
	memcpy(errbuf, next, sizeof errbuf);
	errc = code;
	return -1;
}

/* "what: strerror(errno)", exit code 1. */
int
err_errno(const char *what)
{
	return err_set(RX_FAIL, "%s: %s", what, strerror(errno));
}

const char *
err_msg(void)
{
	return errbuf[0] != '\0' ? errbuf : "unknown error";
}

int
err_code(void)
{
	return errc;
}

void
err_warn(const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (warnlen + strlen(msg) + 1 > WARN_MAX)
		return;
	memcpy(warnings + warnlen, msg, strlen(msg) + 1);
	warnlen += strlen(msg) + 1;
}

/* The warning at *pos, advancing it; NULL after the last one. */
const char *
err_warning(size_t *pos)
{
	const char *w;

	if (*pos >= warnlen)
		return NULL;
	w = warnings + *pos;
	*pos += strlen(w) + 1;
	return w;
}

void
err_warnings_clear(void)
{
	warnlen = 0;
}

/* A bug or an exhausted machine, never something a user typed. */
void
err_abort(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("roost: internal error: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	exit(RX_FAIL);
}
