/*
 * mem.c - how much memory an identity uses, for status: the summed
 * resident memory of its pane's process group (the program and what it
 * started), through the platform seam.  -1 where it cannot be read.
 */
#include "roost.h"

long long
mem_bytes(const char *id, const struct session *s)
{
	(void)id;
	if (s->pane_pid <= 1 || (s->pane_start != 0 &&
	    !pid_is(s->pane_pid, s->pane_start, NULL)))
		return -1;
	return pid_group_rss(s->pane_pid);
}
