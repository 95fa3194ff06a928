/*
 * pid_darwin.c - the platform seam on macOS: sysctl(3) answers what a pid
 * is, with no fork.  KERN_PROC_PID gives a struct kinfo_proc: its state
 * (XNU's kill(2) succeeds on a zombie, so p_stat decides), its start time
 * and its process group; KERN_PROCARGS2 its argv; KERN_BOOTTIME when the
 * machine booted.  There are no memory cgroups.
 *
 * Written against XNU's bsd/kern/kern_sysctl.c (sysctl_prochandle,
 * sysctl_procargsx, sysctl_boottime) and <sys/sysctl.h>, <sys/proc.h>;
 * see the README's portability section for how far that goes.
 */
#include "roost.h"

#if HAVE_DARWIN && !HAVE_PROC_SELF
#include <sys/sysctl.h>
#include <sys/time.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* pid's kinfo_proc: 0; -2 no such process; -1 it cannot be told.  The
 * kernel lists zombies too, and answers an unknown pid with length 0. */
static int
kinfo(pid_t pid, struct kinfo_proc *kp)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, 0 };
	size_t len = sizeof *kp;

	mib[3] = (int)pid;
	if (sysctl(mib, 4, kp, &len, NULL, 0) == -1)
		return -1;
	if (len < sizeof *kp || kp->kp_proc.p_pid != pid)
		return -2;
	return 0;
}

/* A zombie, or on its way to being one. */
static int
dead(const struct kinfo_proc *kp)
{
	return kp->kp_proc.p_stat == SZOMB ||
	    (kp->kp_proc.p_flag & P_WEXIT) != 0;
}

int
pid_alive(pid_t pid)
{
	struct kinfo_proc kp;
	int rc;

	if (pid <= 1)
		return 0;
	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
	rc = kinfo(pid, &kp);
	return !(rc == -2 || (rc == 0 && dead(&kp)));
}

int
pid_stopped(pid_t pid)
{
	struct kinfo_proc kp;

	return pid > 1 && kinfo(pid, &kp) == 0 && kp.kp_proc.p_stat == SSTOP;
}

/* The group's members, from KERN_PROC_PGRP: asked for its size first (the
 * kernel adds room for five more), then read; a group that grew in
 * between answers ENOMEM and is asked again. */
int
pid_group_alive(pid_t pgid)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PGRP, 0 };
	struct kinfo_proc *kp = NULL;
	size_t len = 0, i;
	int tries, rc = -1, found = 0;

	if (pgid <= 1 || (kill(-pgid, 0) == -1 && errno != EPERM))
		return 0;
	mib[3] = (int)pgid;
	for (tries = 0; tries < 3 && rc == -1; tries++) {
		if (sysctl(mib, 4, NULL, &len, NULL, 0) == -1)
			break;
		kp = xrealloc(kp, len > 0 ? len : 1);
		rc = sysctl(mib, 4, kp, &len, NULL, 0);
		if (rc == -1 && errno != ENOMEM)
			break;
	}
	if (rc == -1) {
		free(kp);
		return 1;	/* cannot tell: kill(2) found the group */
	}
	for (i = 0; i < len / sizeof *kp && !found; i++)
		if (kp[i].kp_eproc.e_pgid == pgid && !dead(&kp[i]))
			found = 1;
	free(kp);
	return found;
}

/* p_starttime (the fork's time, which exec keeps), in microseconds. */
int
pid_stamp(pid_t pid, unsigned long long *stamp)
{
	struct kinfo_proc kp;

	if (pid <= 1 || kinfo(pid, &kp) != 0 || dead(&kp))
		return -1;
	*stamp = (unsigned long long)kp.kp_proc.p_starttime.tv_sec * 1000000ULL +
	    (unsigned long long)kp.kp_proc.p_starttime.tv_usec;
	return 0;
}

/*
 * KERN_PROCARGS2 is argc (an int), the executable's path, NULs up to an
 * aligned boundary, then argc NUL-terminated argv words (then the
 * environment, which is never looked at).  The buffer must hold it all
 * (kern.argmax): given less, the kernel returns the tail, not the head.
 * Another user's process, or a zombie, answers EINVAL.
 */
int
pid_argv_has(pid_t pid, const char *word)
{
	static char *args;
	static size_t argmax;
	int mib[3] = { CTL_KERN, KERN_PROCARGS2, 0 };
	size_t len, i, l, wlen = strlen(word);
	int argc, k;

	if (pid <= 1)
		return 0;
	if (argmax == 0) {
		int am2[2] = { CTL_KERN, KERN_ARGMAX }, am = 0;
		size_t n = sizeof am;

		if (sysctl(am2, 2, &am, &n, NULL, 0) == -1 || am <= 0)
			return 0;
		args = xmalloc((size_t)am);
		argmax = (size_t)am;
	}
	mib[2] = (int)pid;
	len = argmax;
	if (sysctl(mib, 3, args, &len, NULL, 0) == -1 || len < sizeof argc)
		return 0;
	memcpy(&argc, args, sizeof argc);
	i = sizeof argc;
	while (i < len && args[i] != '\0')	/* the executable's path */
		i++;
	while (i < len && args[i] == '\0')	/* its padding */
		i++;
	for (k = 0; k < argc && i < len; k++, i += l + 1) {
		l = strnlen(args + i, len - i);
		if (l < len - i && l == wlen &&
		    memcmp(args + i, word, wlen) == 0)
			return 1;
	}
	return 0;
}

/* No /proc/uptime here: the canary runs date at a death instead. */
int
pid_clock0(char *out, size_t n)
{
	(void)out, (void)n;
	return -1;
}

time_t
pid_boot_time(void)
{
	int mib[2] = { CTL_KERN, KERN_BOOTTIME };
	struct timeval tv;
	size_t len = sizeof tv;

	if (sysctl(mib, 2, &tv, &len, NULL, 0) == -1 || len != sizeof tv)
		return 0;
	return tv.tv_sec;
}

int
pid_memcg(pid_t pid, char *file, size_t n, long *count)
{
	(void)pid, (void)file, (void)n, (void)count;
	return -1;
}
/* The resident memory of a process group: not read on macOS yet (it
 * needs libproc's proc_pidinfo); status shows "-". */
long long
pid_group_rss(pid_t pgid)
{
	(void)pgid;
	return -1;
}


/* One PID namespace is all there is here. */
int
pid_same_pidns(pid_t pid)
{
	(void)pid;
	return 1;
}
#endif
