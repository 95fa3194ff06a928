/* sig.c - signal names, one table for every place roost reads or writes
 * one: SIGKILL, KILL, kill and 9 all mean the same signal. */
#include "roost.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;	/* without "SIG" */
	int	 num;
} sigs[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "SYS", SIGSYS },
};

/* Every signal of the table as "<num>:<NAME>,..." (fatal: only those
 * whose default action ends the process), for the scripts: the one
 * table is rendered into them, never copied. */
void
sig_list(int fatal, struct buf *b)
{
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (fatal && (sigs[i].num == SIGCHLD || sigs[i].num == SIGCONT ||
		    sigs[i].num == SIGSTOP || sigs[i].num == SIGTSTP ||
		    sigs[i].num == SIGTTIN || sigs[i].num == SIGTTOU ||
		    sigs[i].num == SIGURG))
			continue;
		buf_addf(b, "%s%d:%s", b->len > 0 ? "," : "", sigs[i].num,
		    sigs[i].name);
	}
}

/* The number of a signal given as SIGKILL, KILL, kill or 9; -1 if none. */
int
sig_num(const char *s)
{
	char up[16];
	unsigned long n;
	size_t i;

	if (num_ulong(s, 64, &n) == 0)
		return n > 0 ? (int)n : -1;
	for (i = 0; i < sizeof up - 1 && s[i] != '\0'; i++)
		up[i] = (char)toupper((unsigned char)s[i]);
	up[i] = '\0';
	if (s[i] != '\0')
		return -1;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (strcmp(up, sigs[i].name) == 0 ||
		    (strncmp(up, "SIG", 3) == 0 &&
		    strcmp(up + 3, sigs[i].name) == 0))
			return sigs[i].num;
	return -1;
}

/* "SIGKILL" for 9; "SIG<n>" for a number without a name here. */
void
sig_name(int num, char out[16])
{
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigs[i].num == num) {
			(void)snprintf(out, 16, "SIG%s", sigs[i].name);
			return;
		}
	(void)snprintf(out, 16, "SIG%d", num);
}

/* A signal as tmux or a record gives it (9, kill, KILL, SIGKILL), in the
 * one form records use (SIGKILL); "" stays "", the unknown stays as is. */
void
sig_normal(const char *s, char out[16])
{
	int n;

	if (*s == '\0' || (n = sig_num(s)) == -1)
		(void)snprintf(out, 16, "%s", s);
	else
		sig_name(n, out);
}
