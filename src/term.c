/*
 * term.c - what a terminal would show of a program's output, line by
 * line: control sequences dropped (CSI, OSC, DCS and the other string
 * sequences, two- and three-byte ESC sequences, and their C1 forms, as
 * bytes or UTF-8 characters), and the line edits a
 * terminal performs replayed on the line: \r returns to its start and
 * what follows overwrites it, backspace and the cursor motions CHA, CUF
 * and CUB move along it, EL erases in it.  Fed in chunks of any size;
 * a sequence may straddle two chunks.
 */
#include "roost.h"

#include <stdlib.h>
#include <string.h>

#define LINE_CELLS_MAX	65536	/* a longer line is emitted in parts */
#define STR_MAX		4096	/* an unterminated OSC/DCS gives up here */

enum { T_TEXT, T_ESC, T_INTER, T_CSI, T_STR, T_STR_ESC, T_STR_C2 };

void
term_init(struct term *t)
{
	memset(t, 0, sizeof *t);
}

void
term_free(struct term *t)
{
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

static void
put_cell(struct term *t, const unsigned char *b, size_t n)
{
	struct cell *c;

	if (t->cur >= LINE_CELLS_MAX)
		return;
	if (t->cur >= t->cap) {
		t->cap = t->cap != 0 ? t->cap * 2 : 128;
		while (t->cap <= t->cur)
			t->cap *= 2;
		t->cells = xrealloc(t->cells, sizeof *t->cells * t->cap);
	}
	while (t->ncells < t->cur) {	/* moved past the end: blanks */
		t->cells[t->ncells].b[0] = ' ';
		t->cells[t->ncells++].n = 1;
	}
	c = &t->cells[t->cur++];
	memcpy(c->b, b, n);
	c->n = (unsigned char)n;
	if (t->cur > t->ncells)
		t->ncells = t->cur;
}

static void
emit_line(struct term *t, struct buf *out)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		buf_add(out, t->cells[i].b, t->cells[i].n);
	buf_addc(out, '\n');
	t->ncells = t->cur = 0;
}

static unsigned long
csi_arg(const struct term *t, unsigned long dflt)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < t->plen && t->params[i] >= '0' && t->params[i] <= '9';
	    i++)
		if (v < LINE_CELLS_MAX)
			v = v * 10 + (unsigned long)(t->params[i] - '0');
	return i == 0 || v == 0 ? dflt : v;
}

/* The CSI sequences that edit the line; every other one is dropped. */
static void
csi_final(struct term *t, unsigned char f)
{
	unsigned long n = csi_arg(t, 1), i;

	if (t->plen > 0 && (t->params[0] < '0' || t->params[0] > '9') &&
	    t->params[0] != ';')
		return;		/* private (?25l and the like) */
	switch (f) {
	case 'G':	/* CHA: to column n */
		t->cur = n - 1;
		break;
	case 'C':	/* CUF: n forward */
		t->cur += n;
		break;
	case 'D':	/* CUB: n back */
		t->cur = n > t->cur ? 0 : t->cur - n;
		break;
	case 'K':	/* EL: 0 to the end, 1 from the start, 2 all */
		n = csi_arg(t, 0);
		if (n == 0 && t->cur < t->ncells)
			t->ncells = t->cur;
		else if (n == 1)
			for (i = 0; i < t->cur && i < t->ncells; i++) {
				t->cells[i].b[0] = ' ';
				t->cells[i].n = 1;
			}
		else if (n == 2)
			t->ncells = 0;
		break;
	}
	if (t->cur > LINE_CELLS_MAX)
		t->cur = LINE_CELLS_MAX;
}

/* A C1 control, as a byte (0x80-0x9f) or as a character (U+0080-U+009F
 * in UTF-8): terminals act on CSI, OSC, DCS, SOS, PM and APC like their
 * 7-bit ESC forms, so they start the same sequences; the others show
 * nothing. */
static void
str_begin(struct term *t)
{
	t->state = T_STR;
	t->mark = -1;
	t->cont = 0;
}

static void
c1_control(struct term *t, unsigned char c)
{
	t->plen = 0;
	t->slen = 0;
	if (c == 0x9b)
		t->state = T_CSI;
	else if (c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f)
		str_begin(t);
}

/* A byte outside any sequence. */
static void
text_byte(struct term *t, unsigned char c, struct buf *out)
{
	if (t->ulen > 0) {		/* inside a UTF-8 character */
		if ((c & 0xc0) == 0x80) {
			t->u[t->ulen++] = c;
			if (t->ulen == t->uwant) {
				t->ulen = 0;
				if (t->u[0] == 0xc2 && t->u[1] <= 0x9f)
					c1_control(t, t->u[1]);
				else
					put_cell(t, t->u, t->uwant);
			}
			return;
		}
		put_cell(t, t->u, t->ulen);	/* cut short: keep as it was */
		t->ulen = 0;
	}
	if (c == '\n')
		emit_line(t, out);
	else if (c == '\r')
		t->cur = 0;
	else if (c == '\b') {
		if (t->cur > 0)
			t->cur--;
	} else if (c == '\t')
		put_cell(t, &c, 1);
	else if (c == 0x1b)
		t->state = T_ESC;
	else if (c < 0x20 || c == 0x7f)
		;		/* BEL, SO, SI, NUL, DEL: nothing to show */
	else if (c >= 0x80 && c <= 0x9f)
		c1_control(t, c);
	else if (c >= 0xc2 && c <= 0xf4) {
		t->u[0] = c;
		t->ulen = 1;
		t->uwant = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	} else
		put_cell(t, &c, 1);
	if (t->ncells >= LINE_CELLS_MAX)
		emit_line(t, out);
}

static void term_byte(struct term *, unsigned char, struct buf *);

/*
 * A byte of a string sequence (OSC, DCS ...): it ends at BEL, at ST (ESC
 * \\, or 0x9c as a byte or a character), at an ESC that starts another
 * sequence, at CAN or SUB (which cancel it), after STR_MAX bytes, and at
 * the launch line roost writes at the start of a line (the run that left
 * it unended is over; the next one had a terminal of its own).
 */
static void
str_byte(struct term *t, unsigned char c, struct buf *out)
{
	const char *m = PANE_MARK;
	int st = t->state;

	if (t->mark >= 0 && c == (unsigned char)m[t->mark]) {
		if (m[++t->mark] == '\0') {
			t->state = T_TEXT;
			if (t->ncells > 0)
				emit_line(t, out);
			while (*m != '\0')
				text_byte(t, (unsigned char)*m++, out);
		}
		return;
	}
	t->mark = c == '\n' ? 0 : -1;
	t->state = T_STR;
	if (++t->slen > STR_MAX) {
		t->state = T_TEXT;
		return;
	}
	if (st == T_STR_ESC) {
		if (c != '\\') {	/* another sequence begins */
			t->state = T_ESC;
			term_byte(t, c, out);
		} else
			t->state = T_TEXT;
		return;
	}
	if ((c & 0xc0) == 0x80 && (t->cont > 0 || st == T_STR_C2)) {
		/* In a UTF-8 character: only U+009C is an ST. */
		if (st == T_STR_C2 && c == 0x9c)
			t->state = T_TEXT;
		else if (t->cont > 0)
			t->cont--;
		return;
	}
	t->cont = 0;
	if (c == 0x07 || c == 0x9c || c == 0x18 || c == 0x1a)
		t->state = T_TEXT;
	else if (c == 0x1b)
		t->state = T_STR_ESC;
	else if (c == 0xc2)
		t->state = T_STR_C2;
	else if (c >= 0xc3 && c <= 0xf4)
		t->cont = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
}

static void
term_byte(struct term *t, unsigned char c, struct buf *out)
{
	switch (t->state) {
	case T_TEXT:
		text_byte(t, c, out);
		return;
	case T_ESC:
		t->plen = 0;
		t->slen = 0;
		if (c < 0x20 && c != 0x1b) {	/* a control acts, the ESC
						 * is dropped */
			t->state = T_TEXT;
			text_byte(t, c, out);
		} else if (c == '[')
			t->state = T_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' ||
		    c == '_')
			str_begin(t);
		else if (c >= 0x20 && c <= 0x2f)
			t->state = T_INTER;	/* ESC ( B and the like */
		else if (c == 0x1b)
			t->state = T_ESC;
		else
			t->state = T_TEXT;	/* ESC 7, ESC =, ESC c ... */
		return;
	case T_INTER:
		if (c < 0x20 || c > 0x2f) {
			t->state = T_TEXT;
			if (c < 0x20)
				text_byte(t, c, out);
		}
		return;
	case T_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			csi_final(t, c);
			t->state = T_TEXT;
		} else if (c >= 0x20 && c <= 0x3f) {
			if (t->plen < sizeof t->params)
				t->params[t->plen++] = (char)c;
		} else {		/* a control inside: it acts, the CSI ends */
			t->state = T_TEXT;
			text_byte(t, c, out);
		}
		return;
	case T_STR:
	case T_STR_ESC:
	case T_STR_C2:
		str_byte(t, c, out);
		return;
	}
}

/* Feed n bytes; each line they complete is appended to out. */
void
term_feed(struct term *t, const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		term_byte(t, (unsigned char)p[i], out);
	(void)buf_str(out);
}

/* The line not yet ended by a newline, if it shows anything. */
void
term_flush(struct term *t, struct buf *out)
{
	if (t->ulen > 0) {
		put_cell(t, t->u, t->ulen);
		t->ulen = 0;
	}
	if (t->ncells > 0)
		emit_line(t, out);
	(void)buf_str(out);
}
