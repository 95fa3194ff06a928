/*
 * roost.h - the one internal header: shared types and every module's
 * interface, grouped by the file that implements it.
 *
 * Error convention: helpers return -1 after rerr() has recorded what
 * went wrong and which exit code it deserves; only the command layer
 * prints "roost: <command>: <what>: <why>" and exits.
 */
#ifndef ROOST_H
#define ROOST_H

#include "config.h"

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

/* Exit codes (contract section 5). */
#define RX_OK		0
#define RX_FAIL		1
#define RX_USAGE	2
#define RX_REFUSED	3
#define RX_UNKNOWN	4

#define ID_MAX		64
#define HOME_MAX	1024	/* keeps every derived path far below PATH_MAX */
#define PATHBUF		2048
#define DEATHS_KEEP	16
#define LOG_ROTATE_BYTES	(5L * 1024 * 1024)
#define LOG_KEEP	5
#define PANE_LOG_MAX	(32L * 1024 * 1024)
#define PANE_LOG_KEEP	(8L * 1024 * 1024)

#if defined(__GNUC__) || defined(__clang__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#endif

/* Options of one command: the table in main.c fills *val ("1" for flags,
 * the argument otherwise; a repeated "set" option appends to sets). */
struct opt {
	const char *name;	/* long name without "--" */
	char	 shortc;	/* or 0 */
	int	 takes_arg;
	const char **val;
};

/* What a command handler gets: positional words, and how many of them
 * came before a "--" (dd; -1 when there was none). */
struct args {
	int	 n;
	char	**v;
	int	 dd;
	int	 nsets;
	char	**sets;		/* repeated --set K=V, for render */
};

/* ---- util.c: errors, buffers, numbers, time ---- */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

int	 rerr(int code, const char *fmt, ...) PRINTFLIKE(2, 3);
int	 rerr_errno(const char *what);
const char *errmsg(void);
int	 errcode(void);
void	 warnx_(const char *fmt, ...) PRINTFLIKE(1, 2);
void	 errline(const char *msg);
NORETURN void fatal(const char *fmt, ...) PRINTFLIKE(1, 2);

void	*xmalloc(size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_addf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
const char *buf_str(struct buf *);

int	 parse_ulong(const char *, unsigned long max, unsigned long *);
time_t	 now_wall(void);
time_t	 now_display(void);
long	 ms_since(const struct timespec *);
void	 fmt_iso(time_t, char out[32]);
void	 fmt_dur(long secs, char out[32]);
void	 sleep_ms(long);

/* ---- home.c: the home tree, paths, identities ---- */
struct roost {
	char	 home[HOME_MAX];
	char	 sockdir[HOME_MAX + 8];
	const char *cmd;	/* command name, for error lines */
	const char *self;	/* absolute path of this binary, if known */
	int	 quiet;
	int	 verbose;
	int	 conffd;	/* conf/ opened for a pass, or -1 */
	uid_t	 uid;
};
extern struct roost R;

int	 home_resolve(const char *opt_home);
int	 home_open(int create);
int	 home_exists(void);
int	 ident_valid(const char *);
int	 ident_check(const char *);
void	 hpath(char *out, const char *fmt, ...) PRINTFLIKE(2, 3);
int	 sock_path(const char *id, char *out, size_t n);
int	 dir_check(const char *path, int create);
int	 conf_exists(const char *id);

/* ---- fileio.c: safe file I/O under the home ---- */
int	 open_safe(const char *path, int flags, int mode);
int	 read_file(const char *path, struct buf *out, size_t max);
int	 read_file_at(int dfd, const char *name, const char *path,
	    struct buf *out, size_t max);
int	 write_atomic(const char *path, const void *data, size_t len, int mode);
int	 write_if_changed(const char *path, const struct buf *, int mode,
	    int *changed);
int	 remove_file(const char *path);
int	 rmtree_at(int dfd, const char *name);
int	 append_line(const char *path, const char *line, size_t len);
int	 lock_take(const char *path, int wait);
void	 lock_drop(int fd);
int	 id_lock(const char *id, int wait);
void	 sweep_temps(const char *dir);
void	 sweep_temps_of(const char *path);
int	 path_mtime(const char *path, struct timespec *out);
char	**dir_names(const char *dir, size_t *n);
void	 names_free(char **, size_t);
int	 names_cmp(const void *, const void *);

/* ---- marker.c: state/<id>.<marker> ---- */
#define M_SESSION	"session"
#define M_STOPPED	"stopped"
#define M_IDLE		"idle-reaped"
#define M_WAKE		"wake"
#define M_DEATHS	"deaths"
#define M_CRASHLOOP	"crash-loop"
#define M_CANARY	"canary"
#define M_LASTEXIT	"last-exit"
#define M_LOCK		"lock"
#define M_QUEUE		"queue"

struct session {
	time_t	 woke;
	char	 mode[8];
	pid_t	 server_pid;
	pid_t	 pane_pid;	/* 0 when unknown */
};

struct death {
	time_t	 when;
	char	 cause[96];
};

void	 marker_path(char *out, const char *id, const char *m);
int	 marker_has(const char *id, const char *m);
int	 marker_set(const char *id, const char *m, const char *content);
int	 marker_rm(const char *id, const char *m);
int	 marker_read(const char *id, const char *m, struct buf *);
int	 marker_mtime(const char *id, const char *m, struct timespec *);
int	 queue_nonempty(const char *id);
int	 marker_purge(const char *id, struct buf *names);
int	 session_read(const char *id, struct session *);
int	 session_write(const char *id, const struct session *);
int	 pidfile_read(const char *id, const char *m, pid_t *);
int	 deaths_read(const char *id, struct death *, int max);
int	 deaths_append(const char *id, time_t, const char *cause);

/* ---- conf.c: conf/<id>.conf ---- */
enum restart { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };

struct conf {
	char	*command;
	char	*resume;	/* NULL: use command */
	char	*cwd;		/* NULL: $HOME */
	char	*activity;	/* NULL: log/<id>.log */
	unsigned long idle;
	enum restart restart;
	unsigned long cl_deaths;
	unsigned long cl_window;
};

void	 conf_defaults(struct conf *);
void	 conf_free(struct conf *);
int	 conf_parse(const char *name, const char *text, size_t len,
	    struct conf *);
int	 conf_read(const char *id, struct conf *);
int	 conf_format(const struct conf *, struct buf *);
int	 conf_write(const char *id, const struct conf *);
const char *restart_name(enum restart);
int	 restart_parse(const char *, enum restart *);
int	 crashloop_parse(const char *, unsigned long *, unsigned long *);

/* ---- escape.c: one escaper per target language ---- */
typedef int (*escaper_fn)(struct buf *, const char *);
escaper_fn escaper_find(const char *name);
int	 esc_sh(struct buf *, const char *);
int	 esc_xml(struct buf *, const char *);
int	 esc_tmux(struct buf *, const char *);
int	 esc_fmt(struct buf *, const char *);
int	 esc_logfmt(struct buf *, const char *);
int	 esc_logfmtq(struct buf *, const char *);
int	 esc_cron(struct buf *, const char *);
int	 esc_line(struct buf *, const char *);
int	 esc_raw(struct buf *, const char *);
int	 logfmt_get(const char *line, const char *key, struct buf *out);

/* ---- render.c: templates ---- */
struct tmpl {
	const char *name;
	const char *text;
	size_t	 len;
};
extern const struct tmpl roost_templates[];
extern const size_t roost_ntemplates;

#define VARS_MAX 48
struct vars {
	int	 n;
	struct {
		char	*name;
		char	*value;
	} v[VARS_MAX];
};

void	 vars_set(struct vars *, const char *name, const char *value);
void	 vars_free(struct vars *);
int	 vars_std(struct vars *, const char *id, const struct conf *);
int	 tmpl_load(const char *name, struct buf *text);
int	 render_text(const char *tname, const char *text, size_t len,
	    const struct vars *, struct buf *out);
int	 render(const char *tname, const struct vars *, struct buf *out);
int	 render_id_scripts(const char *id, const struct conf *, int keep_launch);
int	 render_shared(int dry, int *changed);

/* ---- logfmt.c: lifecycle.log and exits.log ---- */
void	 lf_begin(struct buf *, const char *ev, const char *id);
void	 lf_kv(struct buf *, const char *key, const char *val);
void	 lf_kvl(struct buf *, const char *key, long val);
int	 lf_write(const char *logname, struct buf *);
/* lifelog(ev, id, key, value, ..., LEND): a typed NULL ends the pairs. */
#define LEND ((const char *)NULL)
void	 lifelog(const char *ev, const char *id, ...);
int	 rotate_if_big(const char *path, long max, int keep);
int	 pane_log_trim(const char *path);

/* ---- proc.c: processes and the platform seam ---- */
#define SP_SETSID	0x1	/* child gets its own session */
#define SP_NULLIO	0x2	/* stdin/stdout/stderr on /dev/null */
pid_t	 spawn(const char *const argv[], int flags, int outfd, int errfd);
pid_t	 spawn_detached(const char *const argv[]);
int	 run(const char *const argv[], struct buf *out, struct buf *errout,
	    int *status);
int	 pid_alive(pid_t);
int	 pgrp_alive(pid_t pgid);
int	 pid_runs_script(pid_t, const char *script);
int	 wait_gone(pid_t, long ms);
int	 exe_path(const char *argv0, char *out, size_t n);

/* ---- tmux.c: the tmux driver ---- */
const char *tmux_bin(void);
int	 tmux_check(void);
int	 sock_alive(const char *sock);
int	 tmux(const char *sock, const char *const args[], struct buf *out);

/* ---- session.c: launch, teardown, canary, death records ---- */
int	 launch(const char *id, const struct conf *, const char *mode_req,
	    const char *cause, const char **mode_out);
int	 teardown(const char *id, const char *reason);
int	 canary_pid(const char *id, pid_t *);
int	 canary_live(const char *id, pid_t *);
int	 canary_ensure(const char *id, const char *origin, const char **what);
int	 canary_settle(const char *id, long ms);
void	 canary_dismiss(const char *id);
int	 running(const char *id);
int	 death_record(const char *id, const struct session *, int *clean_exit);

/* ---- status.c: deriving state from markers ---- */
enum state {
	ST_RUNNING, ST_PARKED, ST_STOPPED, ST_CRASHLOOP, ST_DEAD, ST_EXITED,
	ST_DOWN
};
const char *state_name(enum state);
enum state state_of(const char *id, int alive);
int	 ids_list(char ***);
void	 ids_free(char **, int);
int	 cmd_status(const struct args *);

/* ---- tick.c ---- */
int	 cmd_tick(const struct args *);
time_t	 activity_time(const char *id, const struct conf *, time_t woke);

/* ---- sched.c: install / uninstall ---- */
void	 sched_vars(struct vars *, unsigned long interval, const char *label,
	    unsigned long *minutes);
int	 cmd_install(const struct args *);
int	 cmd_uninstall(const struct args *);

/* ---- cmd_ident.c ---- */
int	 cmd_add(const struct args *);
int	 cmd_rm(const struct args *);
int	 cmd_render(const struct args *);

/* ---- cmd_session.c ---- */
int	 cmd_start(const struct args *);
int	 cmd_stop(const struct args *);
int	 cmd_wake(const struct args *);
int	 cmd_restart(const struct args *);
int	 cmd_attach(const struct args *);
int	 cmd_canary(const struct args *);
int	 cmd_log(const struct args *);

/* ---- main.c: the command table and option parsing ---- */
/* Every option value of every command; the table says which command
 * accepts which. */
struct optvals {
	const char *cwd, *idle, *restart, *crashloop, *activity, *resume;
	const char *replace, *force, *fresh, *verbose, *format;
	const char *scheduler, *interval, *label, *dry_run, *purge, *yes;
	const char *lines;
};
extern struct optvals O;

int	 usage_error(const char *fmt, ...) PRINTFLIKE(1, 2);
int	 fail(void);
void	 out(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
