/* ident.c - identity names: [A-Za-z0-9][A-Za-z0-9_-]{0,63}, so that an
 * identity is a file name, a tmux session name and a marker prefix with no
 * dot, slash, colon or space in it. */
#include "roost.h"

#include <string.h>

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

static int
fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* a and b are the same name but for the case of some letter. */
static int
case_twins(const char *a, const char *b, size_t blen)
{
	size_t i;

	if (strlen(a) != blen || strncmp(a, b, blen) == 0)
		return 0;
	for (i = 0; i < blen; i++)
		if (fold(a[i]) != fold(b[i]))
			return 0;
	return 1;
}

/*
 * A defined identity whose name differs from id only in case: on a
 * case-insensitive file system (APFS and HFS+ as macOS formats them) the
 * two would share one conf, one socket and every marker.  0 when there is
 * none, else -1 (RX_USAGE) naming it.
 */
int
ident_clash(const char *id)
{
	char dir[PATHBUF], **v;
	size_t n, i, l;
	int rc = 0;

	home_path(dir, "conf");
	v = file_names(dir, &n);
	for (i = 0; i < n && rc == 0; i++) {
		l = strlen(v[i]);
		if (l > 5 && strcmp(v[i] + l - 5, ".conf") == 0 &&
		    case_twins(id, v[i], l - 5))
			rc = err_set(RX_USAGE, "%s: differs from the identity "
			    "%.*s only in case (a case-insensitive file system "
			    "would give both the same files)", id, (int)(l - 5),
			    v[i]);
	}
	file_names_free(v, n);
	return rc;
}
