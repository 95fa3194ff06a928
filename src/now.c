/* now.c - the clocks: wall time for records, monotonic time for waits. */
#include "roost.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

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

	if (e != NULL && num_ulong(e, LONG_MAX, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

void
now_mono(struct timespec *t)
{
	(void)clock_gettime(CLOCK_MONOTONIC, t);
}

long
now_ms_since(const struct timespec *t0)
{
	struct timespec t;

	now_mono(&t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

void
now_sleep_ms(long ms)
{
	now_sleep_us(ms * 1000);
}

void
now_sleep_us(long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000L;
	ts.tv_nsec = (us % 1000000L) * 1000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
