/*
 * fuzz_support.c - what the roost objects need from main.c, for the
 * libFuzzer targets that link every object except main.c.
 */
#include "roost.h"

#include <stdio.h>

struct optvals O;

void
out(const char *fmt, ...)
{
	(void)fmt;
}

int
fail(void)
{
	return errcode();
}

int
usage_error(const char *fmt, ...)
{
	(void)fmt;
	return RX_USAGE;
}
