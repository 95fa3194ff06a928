/*
 * pid_darwin.c - the platform seam on macOS: sysctl answers what a pid is.
 */
#include "roost.h"

#if HAVE_DARWIN && !HAVE_PROC_SELF
#include <errno.h>
#include <signal.h>

int
pid_alive(pid_t pid)
{
	return pid > 1 && (kill(pid, 0) == 0 || errno == EPERM);
}

int
pid_group_alive(pid_t pgid)
{
	return pgid > 1 && (kill(-pgid, 0) == 0 || errno == EPERM);
}

int
pid_stamp(pid_t pid, unsigned long long *stamp)
{
	if (!pid_alive(pid))
		return -1;
	*stamp = 0;
	return 0;
}

int
pid_argv_has(pid_t pid, const char *word)
{
	(void)word;
	return pid_alive(pid);
}

time_t
pid_boot_time(void)
{
	return 0;
}

int
pid_memcg(pid_t pid, char *file, size_t n, long *count)
{
	(void)pid, (void)file, (void)n, (void)count;
	return -1;
}
#endif
