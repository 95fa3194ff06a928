/* num.c - strict numbers: what a user or a marker file says is a number
 * only if it is exactly one. */
#include "roost.h"

#include <limits.h>

/* Decimal digits only: no sign, no spaces, at most max. */
int
num_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (ULONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}
