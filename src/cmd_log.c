/* cmd_log.c - log: the newest lifecycle and exit events, merged in time
 * order. */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	const char *lines;
} lo;

static const struct opt log_opts[] = {
	{ "lines", 'n', OPT_ARG, &lo.lines, NULL, NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* Every line of a log, filtered by id, appended to lines. */
static void
tail_log(const char *name, const char *id, struct buf *lines, int *count)
{
	char p[PATHBUF];
	struct buf b = { 0 }, v = { 0 };
	char *line, *save = NULL;
	int r;

	home_path(p, "log/%s", name);
	if ((r = file_read(p, &b, 64L * 1024 * 1024)) != 0) {
		if (r == -1)
			cli_warn("%s", err_msg());
		buf_free(&b);
		return;
	}
	for (line = strtok_r(b.s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (id != NULL && (logfmt_get(line, "id", &v) != 0 ||
		    strcmp(v.s, id) != 0))
			continue;
		buf_adds(lines, line);
		buf_addc(lines, '\n');
		(*count)++;
	}
	buf_free(&b);
	buf_free(&v);
}

struct lline {
	const char *s;
	int	 idx;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct lline *x = a, *y = b;
	int c;

	/* ts= comes first and is ISO-8601: text order is time order; equal
	 * seconds keep each log's own order. */
	if ((c = strncmp(x->s, y->s, 23)) != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
cmd_log(const struct args *a)
{
	const char *id = a->n > 0 ? a->v[0] : NULL;
	struct buf all = { 0 };
	unsigned long n = 20;
	struct lline *v;
	char *p;
	int count = 0, i;

	if (id != NULL && ident_check(id) == -1)
		return cli_fail();
	if (lo.lines != NULL && num_ulong(lo.lines, 1000000, &n) == -1)
		return cli_usage("-n %s: not a count", lo.lines);
	if (id != NULL && !conf_exists(id))
		return err_set(RX_UNKNOWN, "%s: unknown identity", id), cli_fail();
	if (home_exists() == 0)
		return RX_OK;
	tail_log("lifecycle.log", id, &all, &count);
	tail_log("exits.log", id, &all, &count);
	if (count == 0) {
		buf_free(&all);
		return RX_OK;
	}
	v = xmalloc(sizeof *v * (size_t)count);
	for (i = 0, p = all.s; i < count; i++) {
		v[i].s = p;
		v[i].idx = i;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	qsort(v, (size_t)count, sizeof *v, cmp_line);
	for (i = count > (int)n ? count - (int)n : 0; i < count; i++)
		cli_out("%s\n", v[i].s);
	free(v);
	buf_free(&all);
	return RX_OK;
}

const struct cmd_entry cmd_log_entry = {
	"log", "[<id>] [-n N]",
	"the newest lifecycle and exit events",
	"  -n N, --lines N   how many (default 20)\n",
	log_opts, 0, 1, H_READ, 1, cmd_log
};
