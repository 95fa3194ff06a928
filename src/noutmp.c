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
 * The canary starts the server with LD_PRELOAD naming this object alone.
 * In tmux (a program called tmux, or one that has libutempter loaded),
 * the object takes its own entry out of LD_PRELOAD before main runs, so
 * that what tmux starts (panes, hooks, pipe-pane) does not inherit it; a
 * wrapper script that execs tmux keeps it for the tmux it runs.
 */
#define _GNU_SOURCE 1	/* dl_iterate_phdr */
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A loaded object is libutempter. */
static int
utempter_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *n = info->dlpi_name, *base;

	(void)size, (void)arg;
	if (n == NULL || (base = strrchr(n, '/')) == NULL)
		base = n;
	else
		base++;
	return base != NULL && strncmp(base, "libutempter.", 12) == 0;
}

/* This process is tmux: its program (the kernel's path) is called tmux
 * (tmux-3.5a and the like too), or it has libutempter loaded. */
static int
in_tmux(void)
{
	char exe[4096];
	const char *base;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n > 0) {
		exe[n] = '\0';
		base = strrchr(exe, '/');
		base = base != NULL ? base + 1 : exe;
		if (strncmp(base, "tmux", 4) == 0)
			return 1;
	}
	return dl_iterate_phdr(utempter_loaded, NULL) != 0;
}

/* An LD_PRELOAD entry (up to a space or a colon, the dynamic loader's
 * separators) names this object. */
static int
is_self(const char *e, size_t n)
{
	static const char self[] = "/noutmp.so";

	return n >= sizeof self - 1 &&
	    memcmp(e + n - (sizeof self - 1), self, sizeof self - 1) == 0;
}

/* LD_PRELOAD without this object's entries, in tmux: unset when nothing
 * else is left. */
__attribute__((constructor)) static void
noutmp_unpreload(void)
{
	const char *p = getenv("LD_PRELOAD"), *e;
	char *keep, *k;
	size_t n;

	if (p == NULL || !in_tmux())
		return;
	if ((keep = malloc(strlen(p) + 1)) == NULL)
		return;
	k = keep;
	for (e = p; *e != '\0'; e += n + (e[n] != '\0')) {
		n = strcspn(e, " :");
		if (n == 0 || is_self(e, n))
			continue;
		if (k != keep)
			*k++ = ':';
		memcpy(k, e, n);
		k += n;
	}
	*k = '\0';
	if (*keep == '\0')
		(void)unsetenv("LD_PRELOAD");
	else
		(void)setenv("LD_PRELOAD", keep, 1);
	free(keep);
}
