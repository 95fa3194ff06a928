/*
 * chld-drop PID: make process PID miss the next SIGCHLD it gets, as a
 * tmux server built with utempter can miss the one that tells it a pane
 * ended, then let through the first SIGCHLD a process sends it
 * (SI_USER).  Which comes first when a child ends, the kernel's or one a
 * process sends on seeing the zombie, is not fixed, so the first is
 * swallowed whatever sent it.  Prints "attached" once it traces PID,
 * "dropped" for each SIGCHLD it swallows, "passed" for the one it lets
 * through, then detaches and exits 0.  Linux only: it works by
 * ptrace(2) signal-delivery-stops.  Built by the test that uses it.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void
say(const char *what, const siginfo_t *si)
{
	if (si != NULL)
		printf("%s code=%d pid=%ld\n", what, si->si_code,
		    (long)si->si_pid);
	else
		printf("%s\n", what);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	siginfo_t si;
	pid_t pid;
	int st, sig, dropped = 0;

	if (argc != 2 || (pid = (pid_t)atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: chld-drop PID\n");
		return 2;
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == -1) {
		perror("chld-drop: PTRACE_SEIZE");
		return 1;
	}
	say("attached", NULL);
	for (;;) {
		if (waitpid(pid, &st, __WALL) == -1) {
			if (errno == EINTR)
				continue;
			perror("chld-drop: waitpid");
			return 1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			say("gone", NULL);
			return 1;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		if ((st >> 16) == PTRACE_EVENT_STOP) {
			/* A group-stop: let it be one. */
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
			continue;
		}
		if (sig == SIGCHLD &&
		    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0) {
			if (dropped && si.si_code == SI_USER) {
				say("passed", &si);
				ptrace(PTRACE_DETACH, pid, NULL,
				    (void *)(long)SIGCHLD);
				return 0;
			}
			say("dropped", &si);
			dropped = 1;
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
}
