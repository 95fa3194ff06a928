/*
 * state.c - the state of an identity, derived from its markers and one
 * connect(2) to its socket; nothing of it is stored apart from them.
 * status displays it; the tick decides from the same facts.
 */
#include "roost.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The identity's tmux socket accepts a connection. */
int
state_running(const char *id)
{
	char sock[PATHBUF];

	if (home_sock(id, sock, sizeof sock) == -1)
		return 0;
	return tmux_alive(sock);
}

static const char *const state_names[] = {
	"running", "parked", "stopped", "crash-loop", "dead", "exited", "down"
};

const char *
state_name(enum state s)
{
	return state_names[s];
}

enum state
state_of(const char *id, int alive)
{
	struct death d[1];

	if (alive)
		return ST_RUNNING;
	if (marker_has(id, M_STOPPED) == 1)
		return ST_STOPPED;
	if (marker_has(id, M_CRASHLOOP) == 1)
		return ST_CRASHLOOP;
	if (marker_has(id, M_SESSION) == 1)
		return ST_DEAD;
	if (marker_has(id, M_IDLE) == 1)
		return ST_PARKED;
	if (marker_deaths_read(id, d, 1) > 0)
		return ST_EXITED;
	return ST_DOWN;
}

/* Newest mtime of the activity file, or of the entries of the activity
 * directory (default: the pane log); never earlier than woke. */
time_t
state_activity(const char *id, const struct conf *c, time_t woke)
{
	char p[PATHBUF];
	struct stat st;
	time_t t = woke;

	if (c->activity != NULL)
		(void)snprintf(p, sizeof p, "%s", c->activity);
	else
		home_path(p, "log/%s.log", id);
	if (stat(p, &st) == -1)
		return t;
	if (st.st_mtime > t)
		t = st.st_mtime;
	if (S_ISDIR(st.st_mode)) {
		struct dirent *de;
		DIR *d;
		int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
			if (dfd != -1)
				(void)close(dfd);
			return t;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    st.st_mtime > t)
				t = st.st_mtime;
		(void)closedir(d);
	}
	return t;
}
