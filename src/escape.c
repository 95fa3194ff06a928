/*
 * escape.c - one escaper per target language.  A value is escaped where
 * it is placed (by the renderer or the log writer), never pre-escaped.
 * Each returns 0, or -1 with a reason when the language cannot carry
 * the value at all.
 */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The length of the well-formed UTF-8 sequence at p (1 for ASCII), 0
 * when it is not one: overlong forms, surrogates and values beyond
 * U+10FFFF are not. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* POSIX sh: one single-quoted word; ' becomes '\''. */
int
esc_sh(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
	return 0;
}

/* XML 1.0 text or attribute; control characters are not representable.
 * Tab, newline and CR are character references: parsers normalise them
 * when raw (CR to newline in text, all three to a space in attributes). */
static int
esc_xml(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&apos;"); break;
		case '\t': buf_adds(b, "&#9;"); break;
		case '\n': buf_adds(b, "&#10;"); break;
		case '\r': buf_adds(b, "&#13;"); break;
		default:
			if (is_ctl(c))
				return err_set(RX_USAGE, "control character "
				    "0x%02x cannot appear in XML", c);
			buf_addc(b, (char)c);
		}
	}
	return 0;
}

/*
 * A tmux command-string word.  tmux's parser treats single quotes like
 * sh (nothing special inside, \' outside), so the sh form is right;
 * control characters are refused because a hook string is one line,
 * and byte 0xff because tmux's lexer reads it as end of input.
 */
static int
esc_tmux(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (is_ctl((unsigned char)*p) || (unsigned char)*p == 0xff)
			return err_set(RX_USAGE, "%s 0x%02x cannot appear in a "
			    "tmux command string", is_ctl((unsigned char)*p) ?
			    "control character" : "byte", (unsigned char)*p);
	return esc_sh(b, s);
}

/* tmux formats: a literal # is ##, except that tmux copies a run of #
 * followed by [ (a style) verbatim, so such a run must stay as it is. */
int
esc_fmt(struct buf *b, const char *s)
{
	size_t n;

	for (; *s != '\0'; s++) {
		if (*s != '#') {
			buf_addc(b, *s);
			continue;
		}
		n = strspn(s, "#");
		buf_add(b, s, n);
		if (s[n] != '[')
			buf_add(b, s, n);
		s += n - 1;
	}
	return 0;
}

static int
logfmt_needs_quotes(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ' ' || *s == '=' || *s == '"' ||
		    is_ctl((unsigned char)*s))
			return 1;
	return 0;
}

static void
logfmt_inner(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\r': buf_adds(b, "\\r"); break;
		default:
			if (is_ctl(c))
				buf_addf(b, "\\x%02x", c);
			else
				buf_addc(b, (char)c);
		}
	}
}

/* logfmt value: bare unless it holds a space, =, " or a control char. */
int
esc_logfmt(struct buf *b, const char *s)
{
	if (!logfmt_needs_quotes(s)) {
		buf_adds(b, s);
		return 0;
	}
	buf_addc(b, '"');
	logfmt_inner(b, s);
	buf_addc(b, '"');
	return 0;
}

/* The inside of a double-quoted logfmt value, for scripts that splice a
 * runtime part into it (the canary's forensics= path). */
int
esc_logfmtq(struct buf *b, const char *s)
{
	logfmt_inner(b, s);
	return 0;
}

/*
 * A crontab command: sh quoting, then cron's own % (newline) escaped.
 * cron reads a backslash as escaping the next byte, so after a
 * backslash the % is moved outside the quotes: 'a\'\%'' reads a\%.
 */
static int
esc_cron(struct buf *b, const char *s)
{
	struct buf t = { 0 };
	size_t i;

	if (strchr(s, '\n') != NULL || strchr(s, '\r') != NULL) {
		return err_set(RX_USAGE, "a newline cannot appear in a crontab "
		    "line");
	}
	(void)esc_sh(&t, s);
	for (i = 0; i < t.len; i++) {
		if (t.s[i] == '%' && i > 0 && t.s[i - 1] == '\\')
			buf_adds(b, "'\\%'");
		else if (t.s[i] == '%')
			buf_adds(b, "\\%");
		else
			buf_addc(b, t.s[i]);
	}
	buf_free(&t);
	return 0;
}

/* Verbatim on one line (comments, markers); control characters refused. */
int
esc_line(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (is_ctl((unsigned char)*p))
			return err_set(RX_USAGE, "control character 0x%02x in a "
			    "one-line value", (unsigned char)*p);
	buf_adds(b, s);
	return 0;
}

/* What every value of a unit file must be: UTF-8 (systemd ignores an
 * assignment that is not) without control characters. */
static int
unit_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p != '\0'; p += n) {
		if ((n = utf8_len(p)) == 0)
			return err_set(RX_USAGE, "byte 0x%02x is not UTF-8, which "
			    "a systemd unit file must be", *p);
		if (n == 1 && is_ctl(*p))
			return err_set(RX_USAGE, "control character 0x%02x in a "
			    "systemd unit value", *p);
	}
	return 0;
}

/*
 * A systemd unit setting's value on one line (Description=, the path of
 * StandardOutput=append:): % starts a specifier, so it is doubled; a
 * trailing backslash would continue the line and surrounding blanks
 * are stripped by systemd, so those are refused.
 */
static int
esc_unit(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (unit_clean(s) == -1)
		return -1;
	if (n > 0 && (s[n - 1] == '\\' || s[n - 1] == ' ' || s[0] == ' '))
		return err_set(RX_USAGE, "a systemd unit value cannot begin "
		    "or end with a blank or end with a backslash");
	for (p = s; *p != '\0'; p++) {
		if (*p == '%')
			buf_addc(b, '%');
		buf_addc(b, *p);
	}
	return 0;
}

/* The inside of a double-quoted word of a unit file (Environment=):
 * C-style \\ and \", % doubled. */
static int
unit_quoted(struct buf *b, const char *s, size_t n)
{
	char *v = xmalloc(n + 1);
	size_t i;
	int rc;

	memcpy(v, s, n);
	v[n] = '\0';
	if ((rc = unit_clean(v)) == 0)
		for (i = 0; i < n; i++) {
			if (v[i] == '\\' || v[i] == '"')
				buf_addc(b, '\\');
			else if (v[i] == '%')
				buf_addc(b, '%');
			buf_addc(b, v[i]);
		}
	free(v);
	return rc;
}

/*
 * The executable of ExecStart=, double-quoted (it may hold blanks), %
 * doubled.  systemd takes the path without unescaping it and refuses
 * one holding a quote, a backslash or '=', so those cannot be carried.
 */
static int
esc_unitexec(struct buf *b, const char *s)
{
	const char *p;

	if (unit_clean(s) == -1)
		return -1;
	if (strpbrk(s, "'\"\\=") != NULL)
		return err_set(RX_USAGE, "systemd refuses an executable path "
		    "holding a quote, a backslash or '=' (%s): install roost "
		    "where its path has none", s);
	buf_addc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '%')
			buf_addc(b, '%');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
	return 0;
}

/*
 * Environment lists: the value is NAME=VALUE lines (what the scheduler
 * entry bakes in); each escaper writes the whole list in its target
 * language, every value escaped for it.  env_next() yields one entry.
 */
static int
env_next(const char **p, const char **name, size_t *nlen,
    const char **val, size_t *vlen)
{
	const char *s = *p, *eq, *nl;

	while (*s == '\n')
		s++;
	if (*s == '\0')
		return 0;
	nl = s + strcspn(s, "\n");
	eq = memchr(s, '=', (size_t)(nl - s));
	if (eq == NULL || eq == s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != (size_t)(eq - s) ||
	    (*s >= '0' && *s <= '9'))
		return err_set(RX_USAGE, "environment entry '%.*s': expected "
		    "NAME=VALUE", (int)(nl - s), s);
	*name = s;
	*nlen = (size_t)(eq - s);
	*val = eq + 1;
	*vlen = (size_t)(nl - eq - 1);
	*p = nl;
	return 1;
}

/* esc applied to the vlen bytes at val (a span of a larger string). */
static int
esc_span(struct buf *b, int (*esc)(struct buf *, const char *),
    const char *val, size_t vlen)
{
	char *v = xmalloc(vlen + 1);
	int r;

	memcpy(v, val, vlen);
	v[vlen] = '\0';
	r = esc(b, v);
	free(v);
	return r;
}

/* NAME='value' NAME='value' ...: assignments before a crontab command. */
static int
esc_cronenv(struct buf *b, const char *s)
{
	const char *name, *val;
	size_t nlen, vlen;
	int r, first = 1;

	while ((r = env_next(&s, &name, &nlen, &val, &vlen)) == 1) {
		if (!first)
			buf_addc(b, ' ');
		first = 0;
		buf_add(b, name, nlen);
		buf_addc(b, '=');
		if (esc_span(b, esc_cron, val, vlen) == -1)
			return -1;
	}
	return r;
}

/* Environment="NAME=value" lines of a systemd service. */
static int
esc_unitenv(struct buf *b, const char *s)
{
	const char *name, *val;
	size_t nlen, vlen;
	int r, first = 1;

	while ((r = env_next(&s, &name, &nlen, &val, &vlen)) == 1) {
		if (!first)
			buf_addc(b, '\n');
		first = 0;
		buf_adds(b, "Environment=\"");
		buf_add(b, name, nlen);
		buf_addc(b, '=');
		if (unit_quoted(b, val, vlen) == -1)
			return -1;
		buf_addc(b, '"');
	}
	return r;
}

/* <key>NAME</key> <string>value</string> pairs of a launchd plist's
 * EnvironmentVariables dictionary, indented for it. */
static int
esc_plistenv(struct buf *b, const char *s)
{
	const char *name, *val;
	size_t nlen, vlen;
	int r, first = 1;

	while ((r = env_next(&s, &name, &nlen, &val, &vlen)) == 1) {
		if (!first)
			buf_addc(b, '\n');
		first = 0;
		buf_adds(b, "\t\t<key>");
		buf_add(b, name, nlen);
		buf_adds(b, "</key>\n\t\t<string>");
		if (esc_span(b, esc_xml, val, vlen) == -1)
			return -1;
		buf_adds(b, "</string>");
	}
	return r;
}

/*
 * A JSON string, quotes included.  Control characters become \u00XX;
 * bytes that are not UTF-8 become U+FFFD, so the document stays valid
 * whatever a log line held.
 */
int
esc_json(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_addc(b, '"');
	while (*p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0) {
			buf_adds(b, "\\ufffd");
			p++;
			continue;
		}
		if (n > 1) {
			buf_add(b, p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\r': buf_adds(b, "\\r"); break;
		default:
			if (is_ctl(*p))
				buf_addf(b, "\\u%04x", *p);
			else
				buf_addc(b, (char)*p);
		}
		p++;
	}
	buf_addc(b, '"');
	return 0;
}

/* Verbatim, for validated tokens only: anything else is a template bug. */
static int
esc_raw(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._/:@%+=,*-", *p) == NULL)
			return err_set(RX_USAGE, "value is not a plain token "
			    "(byte 0x%02x); use an escaper", (unsigned char)*p);
	buf_adds(b, s);
	return 0;
}

/* A tmux format that is also given to strftime(3) first (pipe-pane's
 * command): a literal % is %% as well. */
static int
esc_fmtime(struct buf *b, const char *s)
{
	struct buf t = { 0 };
	const char *p;

	(void)esc_fmt(&t, s);
	for (p = buf_str(&t); *p != '\0'; p++) {
		buf_addc(b, *p);
		if (*p == '%')
			buf_addc(b, '%');
	}
	buf_free(&t);
	return 0;
}

static const struct {
	const char *name;
	escaper_fn fn;
} escapers[] = {
	{ "sh", esc_sh },
	{ "xml", esc_xml },
	{ "tmux", esc_tmux },
	{ "fmt", esc_fmt },
	{ "fmtime", esc_fmtime },
	{ "logfmt", esc_logfmt },
	{ "logfmtq", esc_logfmtq },
	{ "cron", esc_cron },
	{ "cronenv", esc_cronenv },
	{ "unit", esc_unit },
	{ "unitexec", esc_unitexec },
	{ "unitenv", esc_unitenv },
	{ "plistenv", esc_plistenv },
	{ "json", esc_json },
	{ "line", esc_line },
	{ "raw", esc_raw },
};

escaper_fn
esc_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof escapers / sizeof escapers[0]; i++)
		if (strcmp(escapers[i].name, name) == 0)
			return escapers[i].fn;
	return NULL;
}
