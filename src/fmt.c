/* fmt.c - times and durations as people read them. */
#include "roost.h"

#include <stdio.h>

void
fmt_iso(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "%lld", (long long)t);
}

/* The largest unit, and with two the next one too: 45s, 5m, 2h03m, 3d04h
 * (two) or 45s, 5m, 2h, 3d (one). */
static void
fmt_units(long s, int two, char out[32])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		(void)snprintf(out, 32, "%lds", s);
	else if (s < 3600)
		(void)snprintf(out, 32, "%ldm", s / 60);
	else if (s < 86400)
		(void)snprintf(out, 32, two ? "%ldh%02ldm" : "%ldh", s / 3600,
		    s % 3600 / 60);
	else
		(void)snprintf(out, 32, two ? "%ldd%02ldh" : "%ldd", s / 86400,
		    s % 86400 / 3600);
}

/* An uptime or idle time: short, sortable by eye. */
void
fmt_dur(long s, char out[32])
{
	fmt_units(s, 1, out);
}

/* One unit, for "... ago". */
void
fmt_ago(long s, char out[32])
{
	fmt_units(s, 0, out);
}
