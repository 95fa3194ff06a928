/*
 * roost.h - the one internal header: shared types and every file's
 * interface, grouped by the file that implements it, lowest layer first.
 *
 * Layers point down: main -> commands (cmd_*.c) -> cli -> lifecycle
 * (tick, launch, teardown, canary, death, schedulers) -> state (home,
 * identities, confs, markers, logs, templates, the scheduler's records,
 * derived state) ->
 * platform (memory, errors, files, processes, tmux, escapers).  A file
 * calls only its own layer or lower ones; scripts/layers.sh checks it.
 *
 * Errors: helpers return -1 after err_set() recorded what went wrong and
 * which exit code it deserves; only the command layer prints, as
 * "roost: <command>: <what>: <why>", and picks the exit code.
 */
#ifndef ROOST_H
#define ROOST_H

#include "config.h"

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

/* Exit codes, the same for every command. */
#define RX_OK		0
#define RX_FAIL		1
#define RX_USAGE	2
#define RX_REFUSED	3
#define RX_UNKNOWN	4
#define RX_TIMEOUT	5	/* timed out waiting: the work stays queued */

#define ID_MAX		64
#define HOME_MAX	1024	/* keeps every derived path far below PATH_MAX */
#define PATHBUF		2048
#define DEATHS_KEEP	16
#define LOG_ROTATE_BYTES	(5L * 1024 * 1024)
#define LOG_KEEP	5
#define PANE_LOG_MAX	(32L * 1024 * 1024)
#define PANE_LOG_KEEP	(8L * 1024 * 1024)
#define TMP_TAG		".tmp."	/* .<name>.tmp.<pid>.<rest>: a writer's temp */

/*
 * Every bounded wait, in milliseconds, named once: what each bounds.
 */
#define RUN_TIMEOUT_MS	15000	/* any one tmux, crontab or launchctl run */
#define TMUX_TIMEOUT_MS	15000	/* any one tmux client run */
#define REFUSED_PAUSE_MS 10	/* before a refused connect is tried again */
#define SERVER_UP_MS	3000	/* a launch: tmux -D until its socket listens */
#define SERVER_POLL_US	200	/* ... asked this often */
#define SERVER_ASK_MS	5000	/* a launch or start: whose server a live socket is */
#define ADOPT_ASK_MS	3000	/* the tick adopting a server: whose it is */
#define TMUX_ASK_MS	3000	/* a teardown's tmux call: a wedged server must not hold a stop */
#define SERVER_GONE_MS	2000	/* a teardown: kill-server until the socket refuses */
#define SERVER_KILLED_MS 1000	/* a teardown: a SIGKILLed server until it is gone */
#define FLUSH_MS	50	/* a teardown: pipe-pane's last bytes, after the pane ends */
#define CANARY_GONE_MS	2000	/* a dismissed canary, after SIGTERM, before SIGKILL */
#define CANARY_KILLED_MS 500	/* a dismissed canary, after SIGKILL, until it is gone */
#define CANARY_ASK_MS	3000	/* a canary respawned: tmux says the server's pid */
#define CANARY_SETTLE_MS 3000	/* a recording canary: line, last-exit, snapshot */
#define PASS_LOCK_WAIT_MS	2000	/* a second pass waits this, then skips */
#define ID_LOCK_WAIT_MS		120000	/* a death's pass waits this for the id */
#define ID_LOCK_BRIEF_MS	3000	/* a full pass waits this for a busy id
					 * (a look, a mark, a send) before it
					 * leaves it to the next pass */
#define SERVER_GONE_WAIT_MS	5000	/* a death's pass: the server exiting */
#define NUDGE_WAIT_MS	1500	/* a nudged server: its hook and exit */
#define HOOK_TIMEOUT_MS	30000	/* a hook, then SIGKILL to its process group */
#define PRINT_GONE_MS	10000	/* launchctl bootout until print says the job is gone */
#define FOLLOW_POLL_MS	200	/* output -f and log -f: between looks at the file */
#define STATUS_PROBE_MS	1000	/* status: a server that does not answer is wedged */
#define REPIPE_MS	3000	/* the tick piping a pane again */

#if defined(__GNUC__) || defined(__clang__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#endif

/* ================================================================ platform */

/* ---- xmalloc.c: allocation that cannot fail ---- */
void	*xmalloc(size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);

/* ---- buf.c: growable byte buffers, always NUL-terminated ---- */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_addf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
const char *buf_str(struct buf *);
void	 buf_firstline(struct buf *);

/* ---- err.c: the error slot and the queue of warnings ---- */
int	 err_set(int code, const char *fmt, ...) PRINTFLIKE(2, 3);
int	 err_errno(const char *what);
const char *err_msg(void);
int	 err_code(void);
void	 err_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
const char *err_warning(size_t *pos);
void	 err_warnings_clear(void);
NORETURN void err_abort(const char *fmt, ...) PRINTFLIKE(1, 2);

/* ---- num.c: strict numbers ---- */
int	 num_ulong(const char *, unsigned long max, unsigned long *);

/* ---- sig.c: signal names ---- */
int	 sig_num(const char *);
void	 sig_name(int, char out[16]);
void	 sig_normal(const char *, char out[16]);
void	 sig_hold(void);
void	 sig_release(void);
void	 sig_child(void);
void	 sig_list(int fatal, struct buf *);

/* ---- now.c: clocks ---- */
time_t	 now_wall(void);
time_t	 now_display(void);
void	 now_mono(struct timespec *);
long	 now_ms_since(const struct timespec *);
void	 now_sleep_ms(long);
void	 now_sleep_us(long);

/* ---- fmt.c: times and durations for people ---- */
void	 fmt_iso(time_t, char out[32]);
void	 fmt_dur(long secs, char out[32]);
void	 fmt_ago(long secs, char out[32]);

/* ---- escape.c: one escaper per target language ---- */
typedef int (*escaper_fn)(struct buf *, const char *);
escaper_fn esc_find(const char *name);
int	 esc_sh(struct buf *, const char *);
int	 esc_fmt(struct buf *, const char *);
int	 esc_logfmt(struct buf *, const char *);
int	 esc_logfmtq(struct buf *, const char *);
int	 esc_line(struct buf *, const char *);
int	 esc_json(struct buf *, const char *);

/* ---- logfmt.c: building and reading logfmt lines ---- */
void	 logfmt_begin(struct buf *, const char *ev, const char *id);
void	 logfmt_kv(struct buf *, const char *key, const char *val);
void	 logfmt_kvl(struct buf *, const char *key, long val);
int	 logfmt_get(const char *line, const char *key, struct buf *out);
int	 logfmt_next(const char **p, struct buf *key, struct buf *val);
int	 logfmt_json(const char *line, struct buf *out);

/* ---- term.c: terminal output as the text a terminal shows ---- */
struct cell {
	unsigned char b[4];
	unsigned char n;
};

struct term {
	int	 state;
	char	 params[32];
	size_t	 plen, slen;
	unsigned char u[4];	/* a UTF-8 character being read */
	size_t	 ulen, uwant;
	struct cell *cells;	/* the line, a character a cell */
	size_t	 ncells, cap, cur;
	int	 mark;		/* in a string: PANE_MARK bytes matched at a
				 * line's start, -1 not at one */
	int	 cont;		/* in a string: UTF-8 continuation bytes due */
};

/* How log_pane_mark's launch line begins. */
#define PANE_MARK	"--- roost: "

void	 term_init(struct term *);
void	 term_feed(struct term *, const char *, size_t, struct buf *out);
void	 term_flush(struct term *, struct buf *out);
void	 term_free(struct term *);

/* ---- file.c: safe file I/O (O_NOFOLLOW, regular files, atomic writes) ---- */
int	 file_open(const char *path, int flags, int mode);
int	 file_read(const char *path, struct buf *out, size_t max);
int	 file_read_at(int dfd, const char *name, const char *path,
	    struct buf *out, size_t max);
int	 file_write(const char *path, const void *data, size_t len, int mode);
int	 file_replace(const char *path, const void *data, size_t len, int mode);
void	 file_sync_defer(void);
void	 file_sync_pending(void);
int	 file_write_changed(const char *path, const struct buf *, int mode,
	    int *changed);
int	 file_remove(const char *path);
int	 file_rmtree_at(int dfd, const char *name);
int	 file_rmtree(const char *path);
int	 file_append(const char *path, const char *line, size_t len);
int	 file_lock(const char *path, int wait);
void	 file_unlock(int fd);
void	 file_sweep(const char *dir);
void	 file_sweep_of(const char *path);
int	 file_mtime(const char *path, struct timespec *out);
char	**file_names(const char *dir, size_t *n);
void	 file_names_free(char **, size_t);
int	 file_names_cmp(const void *, const void *);

/* ---- pid_linux.c, pid_darwin.c, pid_posix.c: the platform seam (one is
 * compiled in): what a pid is, when the machine booted ---- */
int	 pid_alive(pid_t);		/* runs, and is not a zombie */
int	 pid_group_alive(pid_t pgid);	/* some member that is not a zombie */
int	 pid_stopped(pid_t);		/* stopped by a signal (SIGSTOP and the like) */
int	 pid_stamp(pid_t, unsigned long long *stamp);	/* its start time */
int	 pid_argv_has(pid_t, const char *word);
int	 pid_zombie_status(pid_t, int *wstatus, pid_t *ppid, char *comm,
	    size_t n);
int	 pid_ending(pid_t);		/* gone, a zombie, in exit(2) or
					 * SIGKILLed */
int	 pid_comm(pid_t, char *comm, size_t);	/* its name, or -1 */
int	 pid_tty_open(pid_t);		/* its pseudo-terminal, one more holder */
time_t	 pid_boot_time(void);		/* 0 when unknown */
int	 pid_clock0(char *, size_t);	/* the canary's clock */
int	 pid_memcg(pid_t, char *file, size_t n, long *count);
long long pid_group_rss(pid_t pgid);	/* bytes, -1 unknown */
int	 pid_same_pidns(pid_t);	/* 1, 0, -1: cannot tell */
int	 pid_oom_count(const char *file, long *count);

/* ---- pid.c: still the process roost started; this program ---- */
int	 pid_is(pid_t, unsigned long long stamp, const char *word);
int	 pid_wait_gone(pid_t, long ms);
void	 pid_self_init(const char *argv0);
const char *pid_self(void);

/* ---- pidwatch.c: a process that is not our child, waited for ---- */
int	 pid_watch_open(pid_t);		/* fd readable once it ends, or -1 */
int	 pid_watch_gone(int fd, pid_t);	/* 1: ended and reaped */
int	 pid_watch_exit(int fd, int *wstatus);	/* reaped too, or -1 */
int	 pid_watch_fifo(const char *path);	/* pids written to it, or -1 */

/* ---- spawn.c: child processes, always by argv, never through sh ---- */
#define SP_SETSID	0x1	/* child gets its own session */
#define SP_NULLIO	0x2	/* stdin/stdout/stderr on /dev/null */
pid_t	 spawn_detached(const char *const argv[], char *const envp[],
	    int (*hold)(pid_t, void *), void *arg);
int	 spawn_daemon(void);
int	 spawn_feed(const char *const argv[], const char *in, size_t len,
	    long ms, int *status);
int	 spawn_tool(const char *const argv[], struct buf *out, struct buf *err1);
long	 spawn_timeout(long ms);
int	 spawn_tool_ms(const char *const argv[], struct buf *out,
	    struct buf *err1, long timeout);
int	 spawn_which(const char *name, char *out, size_t n);
void	 spawn_detach(void);
int	 spawn_find(const char *env, const char *name, char *out, size_t n);

/* ---- scope.c: the identity's own systemd scope, where a user manager
 * answers (Linux); "plain" everywhere else ---- */
#define SCOPE_SLICE	"roost.slice"
#define SCOPE_ARGV_MAX	24
struct scope_argv {
	const char *v[SCOPE_ARGV_MAX];
	char	 unit[ID_MAX + 64];
	char	 max[48], high[48], rt[48];
};
const char *scope_runtime_dir(void);
int	 scope_manager(void);
const char *scope_why(void);
void	 scope_unit(const char *id, char *out, size_t n);
void	 scope_argv(struct scope_argv *, const char *unit, const char *mm,
	    const char *mh, long max_s, const char *const inner[]);
int	 scope_cgroup(pid_t, char *out, size_t n);
int	 scope_self_in(const char *prefix);
int	 scope_memory_current(const char *cg, unsigned long long *bytes);
int	 scope_memory_pid(pid_t, unsigned long long *bytes);
int	 scope_kill(const char *unit);
int	 scope_stop(const char *unit, struct buf *why);
int	 scope_probe(const char *unit, const char *mm, const char *mh,
	    struct buf *why);
int	 scope_memory_enforced(void);

/* ---- tmux.c: the tmux driver ---- */
const char *tmux_bin(void);
int	 tmux_check(void);
int	 tmux_paths_check(void);
int	 tmux_shim_check(const char *);
int	 tmux_alive(const char *sock);
#define TMUX_PIDS	"#{pid} #{pane_pid}"	/* a format: read with tmux_pids() */
int	 tmux_pids(const char *out, pid_t *server, pid_t *pane);
int	 tmux_alive_pid(const char *sock, pid_t server);
int	 tmux_probe(const char *sock);
int	 tmux_refused_again(const char *sock, pid_t server);
int	 tmux_run(const char *sock, const char *const args[], struct buf *out);
int	 tmux_run_ms(const char *sock, const char *const args[],
	    struct buf *out, long timeout);

/* ---- tmuxwire.c: a tmux command with no client process ---- */
#define TMUX_WIRE_EXEC	(-2)	/* not spoken here: run tmux's client */
int	 tmux_wire(const char *sock, const char *const args[],
	    struct buf *out, struct buf *err, long timeout);

/* =================================================================== state */

/* ---- home.c: where the home is, whether it is safe, its paths, locks ---- */
int	 home_resolve(const char *opt_home);
int	 home_open(int create);
int	 home_exists(void);
const char *home_dir(void);
const char *home_sockdir(void);
int	 home_dir_check(const char *path, int create);
int	 home_above_check(const char *path);
void	 home_path(char *out, const char *fmt, ...) PRINTFLIKE(2, 3);
int	 home_launch_comm(const char *id, const char *comm);
void	 home_pane_log(char *out, const char *id);
int	 home_lock(const char *id, int wait);
int	 home_sock(const char *id, char *out, size_t n);
struct idctx;
void	 home_ctx(const char *id, struct idctx *);
int	 home_ctx_sock(const struct idctx *);

/* ---- ident.c: identity names ---- */
int	 ident_valid(const char *);
int	 ident_check(const char *);
int	 ident_clash(const char *);

/* ---- conf.c: conf/<id>.conf, and the list of identities ---- */
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
	unsigned long restart_delay;	/* seconds before the first restart */
	char	*stop_keys;	/* tmux send-keys words, NULL: none */
	int	 stop_signal;	/* 0: none */
	unsigned long stop_timeout;	/* seconds */
	unsigned long long memory_max, memory_high;	/* the scope's, 0 none */
	/* v3, section 13: what the program is doing, resume after a death */
	int	 resume_any;	/* resume_after=any */
	unsigned long resume_grace;	/* seconds */
	char	*waiting_pattern;	/* ERE on the screen, NULL: none */
	char	*ready_pattern;	/* ERE on the screen, NULL: none */
	unsigned long ready_quiet, busy_quiet, busy_max;	/* seconds */
	char	*submit_keys;	/* tmux send-keys words after a paste */
	unsigned long submit_delay_ms;	/* between the paste and the keys */
	unsigned long confirm;	/* seconds for a delivery to show */
	int	 deliver_attached;	/* deliver while a person is attached */
};

const char *const *conf_keys(void);
void	 conf_defaults(struct conf *);
void	 conf_free(struct conf *);
int	 conf_parse(const char *name, const char *text, size_t len,
	    struct conf *);
int	 conf_read(const char *id, struct conf *);
int	 conf_format(const struct conf *, struct buf *);
int	 conf_write(const char *id, const struct conf *);
int	 conf_fits(const char *id, const struct conf *);
int	 conf_exists(const char *id);
int	 conf_ids(char ***);
void	 conf_ids_free(char **, int);
void	 conf_dir_open(void);
void	 conf_dir_close(void);
int	 conf_restart_parse(const char *, enum restart *);
int	 conf_crashloop_parse(const char *, unsigned long *, unsigned long *);
int	 conf_stop_signal_parse(const char *, int *sig);
int	 conf_bytes_parse(const char *, unsigned long long *);
int	 conf_seconds_parse(const char *, unsigned long *);
int	 conf_pattern_check(const char *, const char **why);
int	 conf_set_key(struct conf *, const char *key, const char *value);

/* ---- marker.c: state/<id>.<marker> ---- */
#define M_SESSION	"session"
#define M_PIPE		"pipe"	/* the pane-log writer: <pid> <start> */
#define M_STOPPED	"stopped"
#define M_IDLE		"idle-reaped"
#define M_WAKE		"wake"
#define M_DEATHS	"deaths"
#define M_CRASHLOOP	"crash-loop"
#define M_CANARY	"canary"
#define M_LASTEXIT	"last-exit"
#define M_QUEUE		"queue"
#define M_BUSY		"busy"
#define M_WAITING	"waiting"
#define M_READY		"ready"
#define M_RESUME_FAILED	"resume-failed"

struct session {
	time_t	 woke;
	char	 mode[8];
	pid_t	 server_pid;
	pid_t	 pane_pid;	/* 0 when unknown */
	unsigned long long server_start, pane_start;	/* pid_stamp()s */
	char	 pane_id[16];	/* the program's pane (%N), "" when unknown */
	char	 memcg[256];	/* the server's oom_kill counter file, or "" */
	long	 oom_kills;	/* its value at launch, -1 unknown */
	char	 scope[ID_MAX + 32];	/* roost-<id>.scope, or "" (plain) */
	unsigned run;		/* 1 the launch, +1 each respawn in its server */
	time_t	 died;		/* the program died (recorded) and its server
				 * waits, the pane dead, for the restart; 0 */
};

struct death {
	time_t	 when;
	char	 cause[96];
};

/*
 * An identity's context, built once where a command or a pass over it
 * begins (home_ctx: its name, socket, pane log and tmux target) and
 * handed down; its .session is read when first needed and kept
 * (marker_ctx_session) until whoever writes it says so
 * (marker_ctx_forget).
 */
struct idctx {
	const char *id;
	char	 sock[PATHBUF];	/* "" when its path is unusable */
	char	 pane_log[PATHBUF];
	char	 target[ID_MAX + 4];	/* "=<id>:", its session */
	int	 read;		/* .session was read (into s when session) */
	int	 session;
	struct session s;
};

int	 marker_has(const char *id, const char *m);
int	 marker_set(const char *id, const char *m, const char *content);
int	 marker_rm(const char *id, const char *m);
int	 marker_read(const char *id, const char *m, struct buf *);
int	 marker_mtime(const char *id, const char *m, struct timespec *);
int	 marker_queue_nonempty(const char *id);
int	 marker_purge(const char *id, struct buf *names);
int	 marker_session_read(const char *id, struct session *);
const struct session *marker_ctx_session(struct idctx *);
void	 marker_ctx_forget(struct idctx *);
int	 marker_session_write(const char *id, const struct session *);
int	 marker_session_record(const char *id, struct session *);
int	 marker_pid_read(const char *id, const char *m, pid_t *,
	    unsigned long long *stamp);
int	 marker_pid_write(const char *id, const char *m, pid_t,
	    unsigned long long stamp);
int	 marker_deaths_read(const char *id, struct death *, int max);
int	 marker_deaths_append(const char *id, time_t, const char *cause);

/* ---- queue.c: state/<id>.queue/, the messages for the program ---- */
#define QUEUE_MSG_MAX	(1024L * 1024)	/* one message, bytes */
#define QUEUE_SENDING	".sending"	/* suffix of the item being delivered */
#define QUEUE_FAILED	"failed"	/* subdirectory: given up on */
int	 queue_dir(const char *id, int create, char *out, size_t n);
int	 queue_put(const char *id, const char *data, size_t len,
	    char *name, size_t n);
char	**queue_items(const char *id, size_t *n);
int	 queue_count(const char *id);
int	 queue_has(const char *id, const char *name);

/* ---- log.c: lifecycle.log, exits.log and the pane logs ---- */
/* log_event(ev, id, key, value, ..., LEND): a typed NULL ends the pairs. */
#define LEND ((const char *)NULL)
void	 log_event(const char *ev, const char *id, ...);
const char *log_last(void);
int	 log_pane_mark(const char *path, const char *mode);
int	 log_rotate(const char *path, long max, int keep);
int	 log_pane_trim(const char *path);
/* The pane's process ended: may it be recorded (1, its wait status in
 * ws), then the record, both before the first nudge. */
struct pane_end {
	const char *id;
	pid_t	 pid, server;
	int	 watchfd, lockfd, ttyfd;	/* pidfd, .watch, the terminal */
	int	 exact;		/* its launch script exec'd a plain command */
	int	 ws;
};
typedef int (*log_seen_fn)(struct pane_end *);
typedef void (*log_ended_fn)(const struct pane_end *);
int	 log_pane_copy(const char *id, int in, pid_t pid, log_seen_fn,
	    log_ended_fn);

/* ---- render.c: templates and their variables ---- */
struct tmpl {
	const char *name;
	const char *text;
	size_t	 len;
};
extern const struct tmpl roost_templates[];
extern const size_t roost_ntemplates;

struct vars {
	int	 n, cap;
	struct var {
		char	*name;
		char	*value;
	} *v;
};

void	 render_set(struct vars *, const char *name, const char *value);
void	 render_free(struct vars *);
int	 render_std(struct vars *, const char *id, const struct conf *);
int	 render_text(const char *tname, const char *text, size_t len,
	    const struct vars *, struct buf *out);
int	 render(const char *tname, const struct vars *, struct buf *out);
int	 render_line(const char *tname, const struct vars *, struct buf *out);
#define RS_LAUNCH	1	/* bin/<id>.launch */
#define RS_CANARY	2	/* bin/<id>.canary */
#define RS_HOOK		4	/* bin/pane-died */
#define RS_KEEP_LAUNCH	8	/* an existing launch script stays */
int	 render_id_scripts(const char *id, const struct conf *, int which);
int	 render_shared(int dry, int *changed);

/* ---- state.c: an identity's state, derived from markers and a connect ---- */
enum state {
	ST_RUNNING, ST_PARKED, ST_STOPPED, ST_CRASHLOOP, ST_DEAD, ST_EXITED,
	ST_BACKOFF, ST_DOWN,
	ST_WEDGED,	/* the socket accepts, the server answers nothing */
	ST_FOREIGN	/* the socket is another home's server, or not roost's */
};

/* What is to be done (state_decide), applied in this order. */
enum {
	A_ADOPT		= 1 << 0,	/* 1a */
	A_PARK_STOPPED	= 1 << 1,	/* 1c, ends the list */
	A_UNWAKE	= 1 << 2,	/* 1d */
	A_NUDGE		= 1 << 3,	/* 1f */
	A_REAP		= 1 << 4,	/* 1g, ends the list */
	A_CANARY	= 1 << 5,	/* 1h */
	A_TRIM		= 1 << 6,	/* 1i */
	A_DEATH		= 1 << 7,	/* 1b, 2 */
	A_LAUNCH	= 1 << 8,	/* 3d: a wake or a queue */
	A_RESTART	= 1 << 9,	/* 3e: a restart whose backoff is over */
	A_LOOK		= 1 << 10,	/* 1j */
	A_DELIVER	= 1 << 11,	/* 1k */
	A_PIPE		= 1 << 12,	/* 1l */
	A_RESPAWN	= 1 << 13,	/* 1e: the dead pane, in its server */
	A_CRASHLOOP	= 1 << 14,	/* 1e, 3c: write .crash-loop, no launch */
	A_END		= 1 << 15	/* 1e: a waiting server owed nothing */
};

/* One listing of state/ and of the socket directory (a full pass's):
 * whether a marker or a socket exists becomes a lookup. */
struct names {
	char	**v;
	size_t	 n;
};
struct snap {
	struct names state, sock;
};

/*
 * The facts of one identity, gathered once (state_facts); the tick adds
 * the few of a running program only it needs (tick.c).
 */
struct facts {
	time_t	 now;		/* the clock: a fact like any other */
	long long now_ms;	/* the same clock to the millisecond */
	unsigned long interval;	/* the tick's, the backoff's cap */
	int	 alive;		/* its socket accepts a connection */
	int	 session;	/* .session was read into s */
	struct session s;
	int	 taken;		/* s's server is gone, another answers */
	int	 pane_dead;	/* the recorded pane pid is gone */
	int	 stopped, crashloop, wake, queue, parked;
	int	 ndeaths;	/* .deaths, oldest first */
	struct death d[DEATHS_KEEP];
	long long death_ms;	/* the newest death, to the ms (its mtime) */
	/* The tick's, of a running program (0 where status gathers). */
	time_t	 activity;	/* newest activity, never before woke */
	int	 engaged;	/* busy by its own word, or waiting */
	int	 canary;	/* the canary runs */
	int	 log_big;	/* the pane log is over the cap */
	int	 pipe_dead;	/* .pipe names a writer that is gone */
	int	 deliver;	/* a message waits and the program is ready */
	int	 look;		/* what it is doing may have changed */
	long long turn_ms;	/* several deaths at once: not before (0) */
};

/* What the facts say: the state, the actions, and the restart's
 * numbers, computed once. */
struct verdict {
	enum state st;
	unsigned act;		/* A_* */
	const char *rule;	/* the rule that decided, "3e" */
	int	 in_window;	/* deaths in the crash-loop window, to now */
	int	 restart;	/* a restart is owed */
	long	 wait;		/* ms until it may start; 0 or less: now */
	long	 delay;		/* the backoff after the newest death, ms */
	long long until;	/* the newest death plus the delay, ms */
};

int	 state_running(const char *id);
int	 state_ctx_running(struct idctx *);
int	 state_server_fate(const struct session *);
int	 state_ctx_server_ending(struct idctx *);
int	 state_dying(const char *id);
int	 state_conf(const char *id, struct conf *);
void	 state_facts(struct idctx *, const struct snap *, time_t now,
	    struct facts *);
void	 state_decide(const struct conf *, const struct facts *,
	    struct verdict *);
int	 state_in_window(const struct death *, int n, time_t now,
	    unsigned long window);
int	 state_listed(const struct names *, const char *id, const char *m);
unsigned long state_interval(void);
int	 state_policy_restarts(const struct conf *, const char *cause);
enum state state_probe(struct idctx *, long ms);
int	 state_ids(char ***);
int	 state_known(const char *id);
const char *state_name(enum state);
time_t	 state_activity(const struct idctx *, const struct conf *,
	    time_t woke);
int	 state_wake_pending(const char *id);
int	 state_last_exit_line(const char *id, const struct session *,
	    struct buf *le, time_t *when);
int	 state_last_exit(const char *id, const struct session *, char *out,
	    size_t n, time_t *when);

/* ---- sched.c: what every scheduler entry shares, and its records ---- */
#define SCHED_LABEL	"org.roost.tick"
#define SCHED_UNIT	"roost-tick"
#define SCHED_FILE	"state/.scheduler"
struct tally;
void	 sched_vars(struct vars *, unsigned long interval, const char *label,
	    unsigned long *minutes);
unsigned long sched_cron_minutes(unsigned long interval);
int	 sched_record(const char *name, unsigned long interval);
int	 sched_forget(void);
int	 sched_read(char *name, size_t n, unsigned long *interval);
time_t	 sched_since(void);
void	 sched_pass_done(const struct tally *, const char *origin);
int	 sched_last_pass(struct buf *line, time_t *when);

/* ---- mem.c: an identity's memory, for status ---- */
long long mem_bytes(const char *id, const struct session *);

/* ---- server.c: an identity's tmux server and its socket ---- */
#define SERVER_GONE	(-2)	/* server_ours: it went away while asked */
int	 server_ours(struct idctx *, long ms);
int	 server_sock_clear(const char *sock);

/* =============================================================== lifecycle */

/* ---- canary.c: the process that outlives a dead server ---- */
int	 canary_pid(const char *id, pid_t *);
int	 canary_live(const char *id, pid_t *);
struct canary_scope {		/* where a launch's canary runs (scope.c) */
	char	 unit[ID_MAX + 32];
	const char *mm, *mh;	/* MemoryMax=, MemoryHigh= bytes, or NULL */
};
int	 canary_serve(const char *id, char *const envp[],
	    const struct canary_scope *, pid_t *pid);
int	 canary_ensure(struct idctx *, const char *origin, const char **what);
int	 canary_settle(const char *id, long ms);
void	 canary_dismiss(const char *id);

/* ---- teardown.c: the clean end of a session ---- */
struct stop;
struct stop *teardown_begin(struct idctx *, const char *reason);
int	 teardown_poll(struct stop *);
long	 teardown_waited(const struct stop *);
int	 teardown_finish(struct stop *);
int	 teardown(struct idctx *, const char *reason);
int	 teardown_orphans(const char *id, const struct session *, int say);
int	 teardown_keys_split(const char *keys, struct buf *store, size_t *offs,
	    int max);

/* ---- death.c: turning an observed death into a record ---- */
/* What tmux (and the launch script) tell of a pane's end, raw. */
struct death_facts {
	const char *status, *signal, *rsig, *pane_pid, *server_pid;
};
int	 launch_respawn(struct idctx *, const struct conf *, const char *pane,
	    const struct session *old, const char *cause);
int	 death_exit(struct idctx *, const struct death_facts *,
	    struct buf *line, char *fx, size_t fxn);
int	 death_seen(struct pane_end *);
void	 death_seen_record(const struct pane_end *);
int	 death_unreachable(struct idctx *);
int	 death_record(struct idctx *, const struct session *,
	    int *clean_exit);
int	 death_flush(struct idctx *, int *clean_exit);

/* ---- mass.c: several deaths at once (contract section 16) ---- */
#define MASS_DEATHS	4	/* more than three identities ... */
#define MASS_WINDOW	10	/* ... dying within ten seconds */
#define MASS_SPACING	3	/* seconds between their staggered restarts */
void	 mass_death_note(const char *id, time_t now);
void	 mass_due(const char *id, time_t now, time_t *due, int settle);

/* ---- launch.c: a new session on the identity's own server ---- */
int	 launch(struct idctx *, const struct conf *, const char *mode_req,
	    const char *cause, const char **mode_out);

/* ---- activity.c: what a running program is doing (section 13) ---- */
enum doing {
	DOING_NONE, DOING_STARTING, DOING_IDLE, DOING_BUSY, DOING_WAITING
};

struct activity {
	enum doing doing;
	int	 ready;		/* reached its prompt since this launch */
	int	 own;		/* the program's own marker decided */
	char	 line[512];	/* waiting: the line it waits on, or "" */
};

const char *activity_name(enum doing);
int	 activity_get(const struct idctx *, const struct conf *,
	    const struct session *, int look, struct activity *);
int	 activity_due(const struct idctx *, const struct conf *,
	    const struct session *);
void	 activity_clear(const char *id);
int	 activity_mark(const char *id, const char *word);
/* ---- deliver.c: a queued message into the program ---- */
#define DELIVER_TRIES	3	/* submits of one item before it fails */
int	 deliver_ready_marker(struct idctx *);
int	 deliver_ready(struct idctx *, const struct conf *, int check_attached,
	    const char **why);
int	 deliver_one(struct idctx *, const struct conf *, int now,
	    char *item, size_t n, const char **why);
int	 deliver_wait_ready(const char *id, long ms, long *waited);

/* ---- hook.c: the user's hooks ---- */
void	 hook_run(const char *event, const char *id, const char *cause,
	    const char *line);
void	 hook_death(const char *id, const char *last_exit);

/* ---- tick.c: one supervision pass ---- */
struct tally {
	int	 ids, running, launched, reaped, deaths, errors;
	long	 ms;
};
void	 tick_verdict(struct idctx *, const struct conf *, time_t now,
	    struct facts *, struct verdict *);
void	 tick_facts(struct idctx *, const struct conf *, const struct snap *,
	    time_t now, struct facts *);
int	 tick_crash_loop(const char *id, const struct conf *,
	    const struct facts *, const struct verdict *);
void	 tick_backoff_log(const char *id, const struct verdict *);
int	 tick_respawn(struct idctx *, const struct conf *, const char *cause,
	    const char **mode);
int	 tick_pass(int verbose, const char *origin, char *const ids[],
	    int nids, struct tally *);

/* ---- cron.c: the crontab block ---- */
int	 cron_read(const char *tool, struct buf *out);
int	 cron_install(const struct vars *, const char *tool,
	    const struct buf *cur, int dry, struct buf *report);
int	 cron_uninstall(int dry, struct buf *report);
#define CRON_COMMAND_MAX	999
int	 cron_check(const struct vars *);
int	 cron_daemon(void);

/* ---- systemd.c: the systemd user timer ---- */
int	 systemd_available(void);
int	 systemd_linger(void);
int	 systemd_install(const struct vars *, const char *unit, int dry,
	    struct buf *report);
int	 systemd_uninstall(const char *unit, int dry, struct buf *report);

/* ---- launchd.c: the LaunchAgent ---- */
int	 launchd_install(const struct vars *, const char *label, int dry,
	    struct buf *report);
int	 launchd_uninstall(const char *label, int dry, struct buf *report);

/* ===================================================================== cli */

/* ---- cli.c: options, output, error lines, help ---- */
enum homeuse { H_NONE, H_READ, H_CREATE };

/* An option of one command: a flag sets *val to "1", an option with a
 * value sets *val, a list option appends to *list. */
struct strv {
	int	 n;
	char	**v;
};

struct opt {
	const char *name;	/* long name without "--" */
	char	 shortc;	/* or 0 */
	enum { OPT_FLAG, OPT_ARG, OPT_LIST, OPT_OPTARG } kind;	/* OPTARG: --x[=V], "" without */
	const char **val;
	struct strv *list;
	const char *argname;	/* for a list: what a value looks like */
};

/* The positional words of a command, and how many came before a "--"
 * (dd; -1 when there was none). */
struct args {
	int	 n;
	char	**v;
	int	 dd;
};

struct cmd_entry {
	const char *name;
	const char *usage;	/* after "roost <name>" */
	const char *summary;
	const char *help;	/* options and details, for --help */
	const struct opt *opts;
	int	 minpos, maxpos;	/* positional words; -1: no limit */
	enum homeuse home;
	int	 ids;		/* 1: the first word is an identity; 2: all */
	int	 (*exec)(const struct args *);
};

void	 cli_begin(const struct cmd_entry *);
void	 cli_set_tmux(const char *tmux_env);
int	 cli_inside(const char *id);
void	 cli_detach_if_inside(const char *id);
int	 cli_teardown(struct idctx *, const char *reason);
const char *cli_cmd(void);
int	 cli_global(int argc, char **argv, int *i);
const char *cli_home(void);
int	 cli_verbose(void);
void	 cli_out(const char *fmt, ...) PRINTFLIKE(1, 2);
int	 cli_fail(void);
void	 cli_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
int	 cli_usage(const char *fmt, ...) PRINTFLIKE(1, 2);
int	 cli_parse(const struct cmd_entry *, int argc, char **argv,
	    struct args *);
void	 cli_args_free(struct args *, const struct cmd_entry *);
int	 cli_finish(int rc);
void	 cli_help(const struct cmd_entry *);
void	 cli_help_conf(const char *const *keys);
void	 cli_help_all(const struct cmd_entry *const *, size_t n, int to_err);

/* ================================================================ commands */

extern const struct cmd_entry cmd_install_entry, cmd_uninstall_entry;
extern const struct cmd_entry cmd_add_entry, cmd_rm_entry;
extern const struct cmd_entry cmd_start_entry, cmd_stop_entry;
extern const struct cmd_entry cmd_wake_entry, cmd_restart_entry;
extern const struct cmd_entry cmd_attach_entry, cmd_canary_entry;
extern const struct cmd_entry cmd_tick_entry, cmd_status_entry;
extern const struct cmd_entry cmd_render_entry, cmd_log_entry;
extern const struct cmd_entry cmd_pane_died_entry;
extern const struct cmd_entry cmd_output_entry, cmd_pane_log_entry;
extern const struct cmd_entry cmd_mark_entry;
extern const struct cmd_entry cmd_send_entry;

/* ---- cmd_send.c: what start, wake and restart share with send ---- */
long	 send_wait_ms(const char *opt);
int	 send_wait_ready(const char *id, long ms, long *waited);

#endif
