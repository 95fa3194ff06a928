/*
 * escape.c - one escaper per target language.  A value is escaped where
 * it is placed (by the renderer or the log writer), never pre-escaped.
 * Each returns 0, or -1 with a reason when the language cannot carry
 * the value at all.
 */
#include "roost.h"

#include <stdio.h>
#include <string.h>

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
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

static const struct {
	const char *name;
	escaper_fn fn;
} escapers[] = {
	{ "sh", esc_sh },
	{ "xml", esc_xml },
	{ "tmux", esc_tmux },
	{ "fmt", esc_fmt },
	{ "logfmt", esc_logfmt },
	{ "logfmtq", esc_logfmtq },
	{ "cron", esc_cron },
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
