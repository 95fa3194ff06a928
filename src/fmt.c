/* fmt.c - times and durations as people read them. */
#include "roost.h"

#include <stdio.h>

/*
 * UTC, ISO 8601, by arithmetic (days to a civil date: H. Hinnant's
 * civil_from_days).  Not gmtime(3) nor strftime(3): glibc's read the
 * zone file (/etc/localtime) for them, system calls in every process that
 * logs a line, though a roost timestamp is always UTC.
 */
void
fmt_iso(time_t t, char out[32])
{
	long long s = (long long)t, days, sec, era, doe, yoe, doy, mp, y;
	int m, d;
	char b[80];

	days = s / 86400;
	sec = s % 86400;
	if (sec < 0) {
		sec += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	(void)snprintf(b, sizeof b, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ",
	    y, m, d, sec / 3600, sec / 60 % 60, sec % 60);
	(void)snprintf(out, 32, "%.31s", b);
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
