/*
 * noutmp.c - a shared object the canary preloads into an identity's tmux
 * server, where tmux is linked with libutempter: the server's utempter
 * calls do nothing.  Not part of roost's binary (see Makefile.in).
 *
 * tmux built with libutempter writes a utmp record for every pane it
 * spawns, by forking and waiting for a setgid helper, and removes it the
 * same way when the pane goes.  For roost's panes that is one process
 * more on every start and restart; a record left behind for good when
 * the server is killed; and, while the helper runs, the server's SIGCHLD
 * handler set aside (tmux before 3.6 can then miss a pane's end).  A
 * program roost keeps alive is no login session, as none under runit or
 * s6 is.
 *
 * The canary puts this object first in LD_PRELOAD for the server's exec
 * alone.  Before tmux's main reads its environment (its panes', hooks'
 * and pipe-pane's), the entry is taken out again: what follows it, the
 * user's own LD_PRELOAD, is what they get.
 */
#include <stdlib.h>
#include <string.h>

int	utempter_add_record(int, const char *);
int	utempter_remove_record(int);
int	utempter_remove_added_record(void);

/* libutempter's calls, as tmux makes them: success, nothing written. */
int
utempter_add_record(int master_fd, const char *hostname)
{
	(void)master_fd, (void)hostname;
	return 1;
}

int
utempter_remove_record(int master_fd)
{
	(void)master_fd;
	return 1;
}

int
utempter_remove_added_record(void)
{
	return 1;
}

/* LD_PRELOAD without its first entry (ours): the separators are the
 * dynamic loader's, a space or a colon. */
__attribute__((constructor)) static void
noutmp_unpreload(void)
{
	const char *p = getenv("LD_PRELOAD");
	size_t n;

	if (p == NULL)
		return;
	n = strcspn(p, " :");
	if (p[n] == '\0')
		(void)unsetenv("LD_PRELOAD");
	else
		(void)setenv("LD_PRELOAD", p + n + 1, 1);
}
