/*
 * fuzz_conf.c - the strict conf reader (conf_parse) on any bytes.  What it
 * accepts must survive a round trip: conf_format of the result parses
 * again to the same values.
 */
#include "roost.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, d;
	struct buf b = { 0 };

	if (conf_parse("fuzz.conf", (const char *)data, size, &c) == -1) {
		if (err_code() != RX_USAGE || err_msg()[0] == '\0')
			abort();
		return 0;
	}
	if (c.command == NULL)
		abort();
	(void)conf_format(&c, &b);
	if (conf_parse("fuzz.conf (formatted)", b.s, b.len, &d) == -1)
		abort();
	if (!same_str(c.command, d.command) || !same_str(c.resume, d.resume) ||
	    !same_str(c.cwd, d.cwd) || !same_str(c.activity, d.activity) ||
	    c.idle != d.idle || c.restart != d.restart ||
	    c.cl_deaths != d.cl_deaths || c.cl_window != d.cl_window)
		abort();
	conf_free(&c);
	conf_free(&d);
	buf_free(&b);
	return 0;
}
