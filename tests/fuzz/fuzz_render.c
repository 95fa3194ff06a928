/*
 * fuzz_render.c - the template parser and renderer (render_text) on any
 * text, with a fixed variable set.  Errors are fine; crashes, sanitizer
 * reports and an output that is not the template with its placeholders
 * replaced are not.
 */
#include "roost.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vars v;

static void
init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	(void)unsetenv("ROOST_TEMPLATES");
	(void)unsetenv("ROOST_SOCK_DIR");
	if (home_resolve("/nonexistent/roost-fuzz") == -1)
		abort();
	render_set(&v, "id", "bob");
	render_set(&v, "empty", "");
	render_set(&v, "home", "/home/u s/'q'/\"d\"/$x/`y`/#z");
	render_set(&v, "nasty", "a'b\"c\\d$e`f\ng\th=i j#k%l&m<n>o;p|q@{r}");
	render_set(&v, "ctl", "\001\002\033[0m\177");
	render_set(&v, "tmpl", "pipe-pane");
	render_set(&v, "bad_tmpl", "../etc/passwd");
	render_set(&v, "pane_log", "/tmp/log dir/bob.log");
	render_set(&v, "sh", "sh");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = { 0 };
	int rc;

	init();
	rc = render_text("fuzz", (const char *)data, size, &v, &out);
	/* Text without '@' renders to itself. */
	if (rc == 0 && memchr(data, '@', size) == NULL &&
	    (out.len != size || (size > 0 && memcmp(out.s, data, size) != 0)))
		abort();
	if (rc == -1 && (err_msg()[0] == '\0' || (err_code() != RX_USAGE &&
	    err_code() != RX_FAIL)))
		abort();
	buf_free(&out);
	return 0;
}
