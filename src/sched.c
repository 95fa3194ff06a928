/* sched.c - what every scheduler entry shares: the template variables
 * that say how often and how the tick runs. */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"

/* cron's resolution: whole minutes, 1 to 60. */
unsigned long
sched_cron_minutes(unsigned long interval)
{
	unsigned long m = (interval + 30) / 60;

	return m < 1 ? 1 : m > 60 ? 60 : m;
}

/* The variables of the scheduler templates (crontab, launchd.plist),
 * for install and for `roost render`. */
void
sched_vars(struct vars *v, unsigned long interval, const char *label,
    unsigned long *minutes)
{
	const char *path = getenv("PATH");
	char num[32], p[PATHBUF];
	unsigned long m = sched_cron_minutes(interval);

	*minutes = m;
	(void)snprintf(num, sizeof num, "%lu", interval);
	render_set(v, "interval", num);
	(void)snprintf(num, sizeof num, "%lu", m);
	render_set(v, "interval_min", num);
	if (m == 1)
		(void)strcpy(num, "*");
	else if (m == 60)
		(void)strcpy(num, "0");
	else
		(void)snprintf(num, sizeof num, "*/%lu", m);
	render_set(v, "cron_minute", num);
	render_set(v, "label", label);
	render_set(v, "path", path != NULL && *path != '\0' ? path :
	    DEFAULT_PATH);
	home_path(p, "log/tick.out");
	render_set(v, "tick_out", p);
}
