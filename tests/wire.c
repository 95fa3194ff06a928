/*
 * wire.c - one tmux command through roost's tmux driver (tmux_run_ms),
 * for tests/tmux-wire.bats to set beside tmux's own client.  Built by
 * `make check` (build/wire-test); not part of the installed roost.
 *
 * Usage: wire-test SOCKET TIMEOUT_MS TMUX-ARGUMENT...
 * The command's stdout goes to stdout; "rc=N" and, on failure, roost's
 * error to stderr.  Exits 0 when it ran at all.
 */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	struct buf out = { 0 };
	long ms;
	int rc;

	if (argc < 4 || (ms = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: wire-test SOCKET TIMEOUT_MS ARG...\n");
		return 2;
	}
	rc = tmux_run_ms(argv[1], (const char *const *)argv + 3, &out, ms);
	if (out.len > 0)
		(void)fwrite(out.s, 1, out.len, stdout);
	fprintf(stderr, "rc=%d\n", rc);
	if (rc != 0)
		fprintf(stderr, "err=%s\n", err_msg());
	buf_free(&out);
	return 0;
}
