/*
 * pid_posix.c - the platform seam without /proc or sysctl: kill(0) is
 * the answer.
 */
#include "roost.h"

#if !HAVE_PROC_SELF && !HAVE_DARWIN
#include <errno.h>
#include <signal.h>
/* Without /proc: kill(0) is all there is; a zombie counts as alive and
 * every live process has the same (unknown) start time. */
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
