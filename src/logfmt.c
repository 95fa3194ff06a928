/*
 * logfmt.c - logfmt lines: ts= first, then ev= and id=, then key=value
 * pairs; a value holding a space, =, " or a control character is
 * double-quoted with \" \\ \n \t \r \xHH escapes.  Building and reading.
 */
#include "roost.h"

#include <stdio.h>
#include <string.h>

void
logfmt_begin(struct buf *b, const char *ev, const char *id)
{
	char ts[32];

	fmt_iso(now_wall(), ts);
	buf_reset(b);
	buf_addf(b, "ts=%s ev=", ts);
	(void)esc_logfmt(b, ev);
	if (id != NULL)
		logfmt_kv(b, "id", id);
}

void
logfmt_kv(struct buf *b, const char *key, const char *val)
{
	buf_addc(b, ' ');
	buf_adds(b, key);
	buf_addc(b, '=');
	(void)esc_logfmt(b, val != NULL ? val : "");
}

void
logfmt_kvl(struct buf *b, const char *key, long val)
{
	buf_addf(b, " %s=%ld", key, val);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read one quoted value starting after the opening quote; -1 if malformed. */
static const char *
unquote(const char *p, struct buf *out)
{
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p != '\\') {
			buf_addc(out, *p);
			continue;
		}
		switch (*++p) {
		case '"': buf_addc(out, '"'); break;
		case '\\': buf_addc(out, '\\'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'x':
			if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return NULL;
			buf_addc(out, (char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
			break;
		default:
			return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

/* The value of key in a logfmt line: 0 found, 1 absent, -1 malformed. */
int
logfmt_get(const char *line, const char *key, struct buf *out)
{
	const char *p = line;
	size_t klen = strlen(key);

	buf_reset(out);
	while (*p != '\0' && *p != '\n') {
		const char *k = p;
		int match;

		while (*p == ' ')
			p++;
		k = p;
		p += strcspn(p, "= \n");
		if (*p != '=')
			return -1;
		match = (size_t)(p - k) == klen && memcmp(k, key, klen) == 0;
		p++;
		buf_reset(out);
		if (*p == '"') {
			if ((p = unquote(p + 1, out)) == NULL)
				return -1;
		} else {
			size_t n = strcspn(p, " \n");

			buf_add(out, p, n);
			p += n;
		}
		(void)buf_str(out);
		if (match)
			return 0;
		if (*p != ' ' && *p != '\0' && *p != '\n')
			return -1;
	}
	buf_reset(out);
	return 1;
}

/* The next key=value pair at *pp, for readers that walk a whole line: 1
 * with key and val (unquoted), 0 at the end, -1 when malformed. */
int
logfmt_next(const char **pp, struct buf *key, struct buf *val)
{
	const char *p = *pp, *k;
	size_t n;

	while (*p == ' ')
		p++;
	if (*p == '\0' || *p == '\n')
		return 0;
	k = p;
	p += strcspn(p, "= \n");
	if (*p != '=' || p == k)
		return -1;
	buf_reset(key);
	buf_add(key, k, (size_t)(p - k));
	(void)buf_str(key);
	buf_reset(val);
	if (*++p == '"') {
		if ((p = unquote(p + 1, val)) == NULL)
			return -1;
	} else {
		n = strcspn(p, " \n");
		buf_add(val, p, n);
		p += n;
	}
	(void)buf_str(val);
	if (*p != ' ' && *p != '\0' && *p != '\n')
		return -1;
	*pp = p;
	return 1;
}

/* A value JSON can carry as a number: an integer of at most 18 digits,
 * without a leading zero or plus. */
static int
json_int(const char *s)
{
	const char *d = s + (*s == '-');
	size_t n = strlen(d);

	return n > 0 && n <= 18 && strspn(d, "0123456789") == n &&
	    (d[0] != '0' || n == 1);
}

/*
 * One logfmt line as one JSON object, keys in their order: integers
 * become numbers, an empty value null, everything else a string.  -1
 * (out unchanged) when the line is not logfmt.
 */
int
logfmt_json(const char *line, struct buf *out)
{
	struct buf k = { 0 }, v = { 0 }, o = { 0 };
	const char *p = line;
	int r, first = 1;

	buf_addc(&o, '{');
	while ((r = logfmt_next(&p, &k, &v)) == 1) {
		if (!first)
			buf_addc(&o, ',');
		first = 0;
		(void)esc_json(&o, k.s);
		buf_addc(&o, ':');
		if (v.len == 0)
			buf_adds(&o, "null");
		else if (json_int(v.s))
			buf_adds(&o, v.s);
		else
			(void)esc_json(&o, v.s);
	}
	buf_addc(&o, '}');
	if (r == 0)
		buf_add(out, o.s, o.len);
	buf_free(&k);
	buf_free(&v);
	buf_free(&o);
	return r == 0 ? 0 : -1;
}
