/*
 * pidwatch.c - a descriptor that becomes readable when a process that
 * is not our child ends, with no polling: Linux's pidfd (pidfd_open(2),
 * 5.3+), kqueue's EVFILT_PROC NOTE_EXIT on macOS and the BSDs.  Where
 * there is neither, none (-1): the caller then has nothing to wait on.
 *
 * pid_watch_gone() says whether the ended process has been reaped by its
 * parent: a pidfd answers for that process only (a signal 0 through it
 * fails with ESRCH once it is reaped), so a reused pid cannot fool it;
 * kqueue's pid is asked with kill(2), which a zombie still answers.
 *
 * pid_watch_exit() gives the ended process's wait status even once it
 * has been reaped: Linux 6.15's PIDFD_GET_INFO keeps it for whoever
 * holds a pidfd.  Elsewhere, and on older kernels, -1.
 *
 * pid_watch_fifo() opens the FIFO launch scripts write their pids to, to
 * read them: Linux only, whose FIFO read end may be opened without a
 * writer and, opened again after an end of file, waits for the next
 * writer (where that is not so, a reader would spin or hold the pipe as
 * a writer too).  Elsewhere -1: the writer then watches only the
 * process it started with, and macOS's tmux has no utempter to lose a
 * SIGCHLD.
 */
/* syscall(2) is declared only outside strict POSIX; configure probed
 * it with this macro. */
#include "config.h"
#if HAVE_PIDFD
#define _GNU_SOURCE 1
#endif
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#if defined(__linux__)
int
pid_watch_fifo(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode) ||
	    st.st_uid != geteuid())) {
		(void)close(fd);
		fd = -1;
	}
	return fd;
}
#else
int
pid_watch_fifo(const char *path)
{
	(void)path;
	return -1;
}
#endif

#if HAVE_PIDFD
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <stdint.h>
#include <string.h>

/* The first published struct pidfd_info (<linux/pidfd.h>, which older
 * headers lack): its size is part of the ioctl's number. */
struct pidinfo {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid;
	uint32_t fsuid, fsgid;
	int32_t	 exit_code;
};
#define PIDINFO_EXIT	(1ULL << 3)
#define PIDINFO_GET	_IOWR(0xFF, 11, struct pidinfo)

int
pid_watch_exit(int fd, int *wstatus)
{
	struct pidinfo pi;

	memset(&pi, 0, sizeof pi);
	pi.mask = PIDINFO_EXIT;
	if (fd < 0 || ioctl(fd, PIDINFO_GET, &pi) == -1 ||
	    !(pi.mask & PIDINFO_EXIT))
		return -1;
	*wstatus = pi.exit_code;
	return 0;
}

int
pid_watch_open(pid_t pid)
{
	long fd;

	if (pid <= 1)
		return -1;
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

int
pid_watch_gone(int fd, pid_t pid)
{
	(void)pid;
	return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == -1 &&
	    errno == ESRCH;
}

#elif HAVE_KQUEUE
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <stdint.h>

int
pid_watch_open(pid_t pid)
{
	struct kevent ev;
	int kq;

	if (pid <= 1 || (kq = kqueue()) == -1)
		return -1;
	EV_SET(&ev, (uintptr_t)pid, EVFILT_PROC, EV_ADD | EV_ONESHOT,
	    NOTE_EXIT, 0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) == -1) {
		(void)close(kq);
		return -1;
	}
	(void)fcntl(kq, F_SETFD, FD_CLOEXEC);
	return kq;
}

int
pid_watch_gone(int fd, pid_t pid)
{
	(void)fd;
	return kill(pid, 0) == -1 && errno == ESRCH;
}

int
pid_watch_exit(int fd, int *wstatus)
{
	(void)fd;
	(void)wstatus;
	return -1;
}

#else

int
pid_watch_open(pid_t pid)
{
	(void)pid;
	return -1;
}

int
pid_watch_gone(int fd, pid_t pid)
{
	(void)fd;
	return kill(pid, 0) == -1 && errno == ESRCH;
}

int
pid_watch_exit(int fd, int *wstatus)
{
	(void)fd;
	(void)wstatus;
	return -1;
}

#endif
