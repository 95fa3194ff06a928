/*
 * cron.c - the crontab block that runs the tick: between "# BEGIN roost
 * <home>" and "# END roost <home>", every other line of the user's
 * crontab kept byte for byte.  What was done is reported, a line each,
 * for the command to print.
 */
#include "roost.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* crontab -l; "no crontab" reads as empty, any other failure is an error. */
int
cron_read(const char *tool, struct buf *out)
{
	const char *argv[] = { tool, "-l", NULL };
	struct buf err = { 0 };
	int rc;

	if ((rc = spawn_tool(argv, out, &err)) == -1) {
		buf_free(&err);
		return -1;
	}
	if (rc == 0 || (rc < 256 && strstr(err.s, "no crontab") != NULL)) {
		if (rc != 0)
			buf_reset(out);
		buf_free(&err);
		return 0;
	}
	if (err.len > 0)
		(void)err_set(RX_FAIL, "crontab -l failed: %s; nothing was "
		    "changed", err.s);
	else if (rc >= 256)
		(void)err_set(RX_FAIL, "crontab -l was killed by signal %d, "
		    "saying nothing; nothing was changed", rc - 256);
	else
		(void)err_set(RX_FAIL, "crontab -l exited %d, saying nothing; "
		    "nothing was changed", rc);
	buf_free(&err);
	return -1;
}

static int
crontab_write(const char *tool, const struct buf *text)
{
	char tmp[PATHBUF];
	const char *argv[3];
	struct buf err = { 0 };
	int fd, rc;

	/* In the home when there is one; uninstall may run after it is gone. */
	if (home_exists())
		home_path(tmp, ".crontab.XXXXXX");
	else if (snprintf(tmp, sizeof tmp, "%s/roost-crontab.XXXXXX",
	    getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ?
	    getenv("TMPDIR") : "/tmp") >= (int)sizeof tmp)
		return err_set(RX_FAIL, "TMPDIR: too long");
	if ((fd = mkstemp(tmp)) == -1)
		return err_errno(tmp);
	errno = 0;
	if (write(fd, text->s != NULL ? text->s : "", text->len) !=
	    (ssize_t)text->len) {
		int saved = errno;

		(void)close(fd);
		(void)unlink(tmp);
		return err_set(RX_FAIL, "%s: cannot write: %s", tmp,
		    saved != 0 ? strerror(saved) : "short write (disk full?)");
	}
	if (close(fd) == -1) {
		(void)unlink(tmp);
		return err_errno(tmp);
	}
	argv[0] = tool;
	argv[1] = tmp;
	argv[2] = NULL;
	rc = spawn_tool(argv, NULL, &err);
	(void)unlink(tmp);
	if (rc > 0)
		rc = err_set(RX_FAIL, "crontab: %s", err.len ? err.s : "failed");
	buf_free(&err);
	return rc;
}

static int
crontab_remove(const char *tool)
{
	const char *argv[] = { tool, "-r", NULL };
	struct buf err = { 0 };
	int rc = spawn_tool(argv, NULL, &err);

	if (rc > 0)
		rc = err_set(RX_FAIL, "crontab -r: %s", err.len ? err.s : "failed");
	buf_free(&err);
	return rc;
}

/*
 * The crontab without our block (other lines byte for byte), and where
 * the block was: *at is its offset in the result, -1 if absent.  A BEGIN
 * without its END is refused: stripping to the end would eat the user's
 * lines.
 */
static int
cron_strip(const struct buf *in, const char *begin, const char *end,
    struct buf *outb, long *at)
{
	const char *p = in->s != NULL ? in->s : "", *e = p + in->len;
	int inside = 0;

	*at = -1;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(e - p);
		size_t full = nl != NULL ? len + 1 : len;

		if (!inside && len == strlen(begin) &&
		    memcmp(p, begin, len) == 0) {
			inside = 1;
			if (*at < 0)
				*at = (long)outb->len;
		} else if (inside && len == strlen(end) &&
		    memcmp(p, end, len) == 0)
			inside = 0;
		else if (!inside)
			buf_add(outb, p, full);
		p += full;
	}
	(void)buf_str(outb);
	if (inside)
		return err_set(RX_FAIL, "crontab: '%s' has no '%s' line; fix the "
		    "crontab by hand (crontab -e); nothing was changed", begin,
		    end);
	return 0;
}

static int
cron_markers(char *begin, char *end, size_t n)
{
	struct buf b = { 0 };

	if (esc_line(&b, home_dir()) == -1) {
		buf_free(&b);
		return -1;
	}
	(void)snprintf(begin, n, "# BEGIN roost %s", b.s);
	(void)snprintf(end, n, "# END roost %s", b.s);
	buf_free(&b);
	return 0;
}

/* The crontab with our block in it (replaced in place, or added);
 * *had says whether it was there before. */
static int
cron_merge(const struct buf *cur, const struct buf *block, const char *begin,
    const char *end, struct buf *next, int *had)
{
	struct buf rest = { 0 };
	long at;

	if (cron_strip(cur, begin, end, &rest, &at) == -1) {
		buf_free(&rest);
		return -1;
	}
	*had = at >= 0;
	if (at >= 0) {
		buf_add(next, rest.s, (size_t)at);
		buf_add(next, block->s, block->len);
		buf_add(next, rest.s + at, rest.len - (size_t)at);
	} else if (rest.len > 0 && rest.s[rest.len - 1] != '\n') {
		/* No final newline: put the block first, so the user's bytes
		 * stay exactly as they were. */
		buf_add(next, block->s, block->len);
		buf_add(next, rest.s, rest.len);
	} else {
		buf_add(next, rest.s, rest.len);
		buf_add(next, block->s, block->len);
	}
	(void)buf_str(next);
	buf_free(&rest);
	return 0;
}

/*
 * cron reads at most 999 bytes of a command (Vixie cron's MAX_COMMAND,
 * which Debian's cron keeps) and silently drops the rest, so a longer
 * entry would run a cut command: refuse it before anything is written.
 */
int
cron_check(const struct vars *v)
{
	struct buf block = { 0 };
	const char *p, *cmd;
	size_t len;
	int k, rc = 0;

	if (render("crontab", v, &block) == -1) {
		buf_free(&block);
		return -1;
	}
	for (p = block.s; *p != '\0'; p += len + (p[len] == '\n')) {
		len = strcspn(p, "\n");
		if (*p == '#')
			continue;
		for (cmd = p, k = 0; k < 5; k++) {
			cmd += strcspn(cmd, " \t");
			cmd += strspn(cmd, " \t");
		}
		if ((size_t)(p + len - cmd) > CRON_COMMAND_MAX) {
			rc = err_set(RX_FAIL, "the cron entry's command would be "
			    "%zu bytes, and cron reads at most %d: shorten the "
			    "home path or PATH, or use --scheduler systemd; "
			    "nothing was written", (size_t)(p + len - cmd),
			    CRON_COMMAND_MAX);
			break;
		}
	}
	buf_free(&block);
	return rc;
}

/*
 * A cron daemon runs in this PID namespace: 1 yes, 0 no, -1 cannot tell
 * (no /proc; macOS starts cron on demand).  Its name is cron (Debian, BSD), crond
 * (cronie, busybox, dcron) or fcron.
 */
int
cron_daemon(void)
{
	struct dirent *de;
	char p[sizeof "/proc//comm" + sizeof de->d_name], comm[32];
	ssize_t n;
	DIR *d;
	int fd, found = 0;

	if (!HAVE_PROC_SELF || HAVE_DARWIN || (d = opendir("/proc")) == NULL)
		return -1;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		(void)snprintf(p, sizeof p, "/proc/%s/comm", de->d_name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, comm, sizeof comm - 1);
		(void)close(fd);
		if (n <= 0)
			continue;
		comm[n] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		/* Not a cron of another PID namespace: a container on a
		 * shared /proc sees the host's, which never runs our entry. */
		found = (strcmp(comm, "cron") == 0 || strcmp(comm, "crond") == 0 ||
		    strcmp(comm, "fcron") == 0) &&
		    pid_same_pidns((pid_t)atol(de->d_name)) != 0;
	}
	(void)closedir(d);
	return found;
}

/* cur: the crontab as read before anything was created (NULL if dry).
 * What was done goes to report, a line each. */
int
cron_install(const struct vars *v, const char *tool, const struct buf *cur,
    int dry, struct buf *report)
{
	char begin[PATHBUF + 32], end[PATHBUF + 32];
	struct buf block = { 0 }, next = { 0 };
	int had, rc = -1;

	if (render("crontab", v, &block) == -1 ||
	    cron_markers(begin, end, sizeof begin) == -1)
		goto out;
	if (dry) {
		buf_addf(report, "would write cron entry:\n%s", block.s);
		rc = 0;
		goto out;
	}
	if (cron_merge(cur, &block, begin, end, &next, &had) == -1)
		goto out;
	if (next.len == cur->len && memcmp(next.s, cur->s, cur->len) == 0) {
		buf_adds(report, "unchanged cron entry\n");
		rc = 0;
		goto out;
	}
	if (crontab_write(tool, &next) == -1)
		goto out;
	buf_addf(report, "%s cron entry\n", had ? "updated" : "created");
	rc = 0;
out:
	buf_free(&block);
	buf_free(&next);
	return rc;
}

int
cron_uninstall(int dry, struct buf *report)
{
	char tool[PATHBUF], begin[PATHBUF + 32], end[PATHBUF + 32];
	struct buf cur = { 0 }, next = { 0 };
	long at;
	int rc = -1;

	if (cron_markers(begin, end, sizeof begin) == -1)
		return -1;
	if (spawn_find("ROOST_CRONTAB", "crontab", tool, sizeof tool) == -1) {
		if (getenv("ROOST_CRONTAB") != NULL)
			return -1;
		return 0;	/* no cron here: nothing of ours either */
	}
	if (cron_read(tool, &cur) == -1 ||
	    cron_strip(&cur, begin, end, &next, &at) == -1)
		goto out;
	if (at < 0) {
		buf_adds(report, "unchanged cron entry (none installed)\n");
		rc = 0;
		goto out;
	}
	if (dry) {
		buf_adds(report, "would remove cron entry\n");
		rc = 0;
		goto out;
	}
	/* Nothing of the user's is left: no crontab at all, rather than an
	 * empty one where there was none. */
	if (next.len == 0 ? crontab_remove(tool) == -1 :
	    crontab_write(tool, &next) == -1)
		goto out;
	buf_adds(report, "removed cron entry\n");
	rc = 0;
out:
	buf_free(&cur);
	buf_free(&next);
	return rc;
}
