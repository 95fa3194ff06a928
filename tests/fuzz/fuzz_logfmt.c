/*
 * fuzz_logfmt.c - the logfmt escaper against its reader: for any value
 * without a NUL, esc_logfmt then logfmt_get gives the value back byte for
 * byte, wherever the pair sits in the line; so does the inside-quotes
 * form (esc_logfmtq).  The escaped line never holds a raw newline.
 */
#include "roost.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void
expect(const char *line, const char *key, const char *want, size_t wlen)
{
	struct buf got = { 0 };

	if (logfmt_get(line, key, &got) != 0 || got.len != wlen ||
	    (wlen > 0 && memcmp(got.s, want, wlen) != 0))
		abort();
	buf_free(&got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf val = { 0 }, line = { 0 };
	char *s;

	if (memchr(data, '\0', size) != NULL)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	(void)esc_logfmt(&val, s);
	if (memchr(buf_str(&val), '\n', val.len) != NULL)
		abort();
	buf_addf(&line, "ts=2026-01-01T00:00:00Z ev=fuzz k=%s z=last", val.s);
	expect(line.s, "k", s, size);
	expect(line.s, "z", "last", 4);
	buf_reset(&line);
	buf_addf(&line, "k=%s", val.s);
	expect(line.s, "k", s, size);

	buf_reset(&val);
	(void)esc_logfmtq(&val, s);
	buf_reset(&line);
	buf_addf(&line, "a=1 k=\"%s\" z=last", buf_str(&val));
	expect(line.s, "k", s, size);
	expect(line.s, "z", "last", 4);

	buf_free(&val);
	buf_free(&line);
	free(s);
	return 0;
}
