/*
 * mem.c - how much memory an identity uses, for status: its scope's
 * memory.current where it runs in one (scope.c), else the summed
 * resident memory of its pane's process group (the program and what it
 * started), through the platform seam.  -1 where it cannot be read.
 */
#include "roost.h"

long long
mem_bytes(const char *id, const struct session *s)
{
	unsigned long long b;

	(void)id;
	/* In its own scope: the scope's memory.current, its whole tree. */
	if (s->scope[0] != '\0' && s->server_pid > 1 &&
	    (s->server_start == 0 || pid_is(s->server_pid, s->server_start,
	    NULL)) && scope_memory_pid(s->server_pid, &b) == 0)
		return (long long)b;
	if (s->pane_pid <= 1 || (s->pane_start != 0 &&
	    !pid_is(s->pane_pid, s->pane_start, NULL)))
		return -1;
	return pid_group_rss(s->pane_pid);
}
