/*
 * queue.c - state/<id>.queue/: the messages waiting for the program.
 *
 * The rules:
 *  1. The queue is a directory roost trusts (home_dir_check: not a
 *     symlink, ours, 0700); anything else there is refused, never
 *     followed.
 *  2. A message is one regular file, written to a temp name and renamed
 *     in (0600), named <epoch_ns>-<pid>-<n>.msg so that names sort in
 *     arrival order.  The shell may drop files in too: any regular file
 *     whose name does not start with a dot is a message.
 *  3. The item being delivered is renamed to <name>.sending; it is
 *     delivered again (first) after a crash.  Items given up on move to
 *     failed/, which is not part of the queue.
 *  4. FIFOs, directories, symlinks and dot-files in the queue are not
 *     messages: never opened, never counted, never a wake request.
 */
#include "roost.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The queue's path in out; 0 when it is a trusted directory (created
 * when asked), 1 when absent, -1 when unsafe or unreadable. */
int
queue_dir(const char *id, int create, char *out, size_t n)
{
	struct stat st;
	char p[PATHBUF];

	home_path(p, "state/%s.%s", id, M_QUEUE);
	(void)snprintf(out, n, "%s", p);
	if (!create && lstat(p, &st) == -1 && errno == ENOENT)
		return 1;
	return home_dir_check(p, create);
}

static int
is_item(int dfd, const char *name)
{
	struct stat st;

	if (name[0] == '.' || strcmp(name, QUEUE_FAILED) == 0)
		return 0;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

static int
is_sending(const char *name)
{
	size_t l = strlen(name), s = strlen(QUEUE_SENDING);

	return l > s && strcmp(name + l - s, QUEUE_SENDING) == 0;
}

/* The messages, oldest first, an item being sent before all others;
 * NULL (*n 0) when there are none, or when the queue is unsafe (the
 * error slot says so). */
char **
queue_items(const char *id, size_t *n)
{
	char dir[PATHBUF], **v;
	size_t i, k = 0, all;
	int dfd;

	*n = 0;
	if (queue_dir(id, 0, dir, sizeof dir) != 0)
		return NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		(void)err_errno(dir);
		return NULL;
	}
	v = file_names(dir, &all);
	for (i = 0; i < all; i++) {
		if (is_item(dfd, v[i]))
			v[k++] = v[i];
		else
			free(v[i]);
	}
	(void)close(dfd);
	/* A message a crash interrupted goes first: it was first. */
	for (i = 1; i < k; i++)
		if (is_sending(v[i]) && !is_sending(v[0])) {
			char *s = v[i];

			memmove(v + 1, v, sizeof *v * i);
			v[0] = s;
		}
	*n = k;
	if (k == 0) {
		free(v);
		return NULL;
	}
	return v;
}

/* How many messages wait, -1 when the queue is unsafe. */
int
queue_count(const char *id)
{
	char dir[PATHBUF], **v;
	size_t n;
	int r;

	if ((r = queue_dir(id, 0, dir, sizeof dir)) != 0)
		return r == 1 ? 0 : -1;
	v = queue_items(id, &n);
	file_names_free(v, n);
	return (int)n;
}

/* Where the message name is: 1 still queued (or being sent), 2 given up
 * on (in failed/), 0 gone: delivered. */
int
queue_has(const char *id, const char *name)
{
	char p[PATHBUF];
	struct stat st;

	home_path(p, "state/%s.%s/%s", id, M_QUEUE, name);
	if (lstat(p, &st) == 0)
		return 1;
	home_path(p, "state/%s.%s/%s%s", id, M_QUEUE, name, QUEUE_SENDING);
	if (lstat(p, &st) == 0)
		return 1;
	home_path(p, "state/%s.%s/%s/%s", id, M_QUEUE, QUEUE_FAILED, name);
	if (lstat(p, &st) == 0)
		return 2;
	return 0;
}

/* The newest item's epoch_ns (0 when none): a clock that stepped back
 * must not put a new message before an older one. */
static long long
newest_ns(const char *id)
{
	char **v;
	size_t n, i;
	long long ns = 0, x;

	v = queue_items(id, &n);
	for (i = 0; i < n; i++)
		if (sscanf(v[i], "%lld-", &x) == 1 && x > ns)
			ns = x;
	file_names_free(v, n);
	return ns;
}

/*
 * Write one message into the queue (created when absent); its name in
 * name.  Atomic: a reader sees the whole message or nothing.
 */
int
queue_put(const char *id, const char *data, size_t len, char *name,
    size_t n)
{
	static unsigned seq;
	char dir[PATHBUF], p[PATHBUF];
	struct timespec ts;
	long long ns, last;

	if (queue_dir(id, 1, dir, sizeof dir) == -1)
		return -1;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if ((last = newest_ns(id)) >= ns)
		ns = last + 1;
	(void)snprintf(name, n, "%019lld-%ld-%u.msg", ns, (long)getpid(),
	    ++seq);
	if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
		return err_set(RX_FAIL, "%s: path too long", dir);
	return file_write(p, data, len, 0600);
}
