/* ident.c - identity names: [A-Za-z0-9][A-Za-z0-9_-]{0,63}, so that an
 * identity is a file name, a tmux session name and a marker prefix with no
 * dot, slash, colon or space in it. */
#include "roost.h"

/* [A-Za-z0-9][A-Za-z0-9_-]{0,63} */
int
ident_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; id[i] != '\0'; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (i >= ID_MAX)
			return 0;
		if (!alnum && (i == 0 || (c != '_' && c != '-')))
			return 0;
	}
	return i > 0;
}

int
ident_check(const char *id)
{
	struct buf b = { 0 };
	int rc;

	if (ident_valid(id))
		return 0;
	if (id == NULL)
		return err_set(RX_USAGE, "missing identity");
	(void)esc_logfmt(&b, id);
	rc = err_set(RX_USAGE, "invalid identity %s: must match "
	    "[A-Za-z0-9][A-Za-z0-9_-]{0,63}", *id == '\0' ? "\"\"" :
	    buf_str(&b));
	buf_free(&b);
	return rc;
}
