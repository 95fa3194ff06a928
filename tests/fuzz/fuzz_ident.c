/*
 * fuzz_ident.c - ident_valid against a plain reference reading of the
 * documented pattern [A-Za-z0-9][A-Za-z0-9_-]{0,63}.
 */
#include "roost.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static int
in(const char *set, unsigned char c)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static int
reference(const char *s)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char rest[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-";
	size_t n = strlen(s), i;

	if (n < 1 || n > 64 || !in(alnum, (unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!in(rest, (unsigned char)s[i]))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!!ident_valid(s) != reference(s))
		abort();
	if (ident_check(s) != (reference(s) ? 0 : -1))
		abort();
	free(s);
	return 0;
}
