/* cmd_render.c - render: print one rendered template, to read what roost
 * would install. */
#include "roost.h"

#include <stdio.h>
#include <string.h>

static struct strv sets;

static const struct opt render_opts[] = {
	{ "set", 0, OPT_LIST, NULL, &sets, "KEY=VALUE" },
	{ NULL, 0, OPT_FLAG, NULL, NULL, NULL }
};

/* render <template> [<id>] [--set K=V...]: the rendering on stdout. */
static int
cmd_render(const struct args *a)
{
	const char *id = a->n > 1 ? a->v[1] : NULL;
	struct conf c;
	struct vars v = { 0 };
	struct buf b = { 0 };
	int i, have_conf = 0, rc = -1;

	conf_defaults(&c);
	if (id != NULL) {
		if (ident_check(id) == -1)
			return cli_fail();
		if (home_open(0) == -1 || conf_read(id, &c) == -1)
			return cli_fail();
		have_conf = 1;
	}
	if (render_std(&v, id, have_conf ? &c : NULL) == -1)
		goto out;
	{
		unsigned long m;

		sched_vars(&v, 60, SCHED_LABEL, &m);
	}
	for (i = 0; i < sets.n; i++) {
		const char *eq = strchr(sets.v[i], '=');
		char key[64];

		if (eq == NULL || eq == sets.v[i] ||
		    (size_t)(eq - sets.v[i]) >= sizeof key) {
			conf_free(&c);
			render_free(&v);
			return cli_usage("--set %s: expected KEY=VALUE",
			    sets.v[i]);
		}
		(void)snprintf(key, sizeof key, "%.*s",
		    (int)(eq - sets.v[i]), sets.v[i]);
		render_set(&v, key, eq + 1);
	}
	if (render(a->v[0], &v, &b) == -1)
		goto out;
	(void)fwrite(b.s, 1, b.len, stdout);
	rc = 0;
out:
	buf_free(&b);
	render_free(&v);
	conf_free(&c);
	return rc == 0 ? RX_OK : cli_fail();
}

const struct cmd_entry cmd_render_entry = {
	.name = "render",
	.usage = "<template> [<id>] [--set KEY=VALUE...]",
	.summary = "print one rendered template",
	.help = "  --set KEY=VALUE   override a template variable (repeatable)\n"
	    "Templates: launch canary pane-died tmux-hook pipe-pane alert-hook backoff crontab "
	    "launchd.plist\n"
	    "roost-tick.service roost-tick.timer forensics-linux forensics-darwin "
	    "sh-lib.\n",
	.opts = render_opts,
	.minpos = 1,
	.maxpos = 2,
	.home = H_NONE,
	.ids = 0,
	.exec = cmd_render
};
