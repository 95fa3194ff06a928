#!/usr/bin/env bats
# tick --every SECS: the foreground loop for where nothing runs the tick
# (a container's entrypoint, WSL without systemd, a terminal).  It runs a
# full pass every SECS, logged as the scheduled tick's, supervises as the
# scheduled tick does, ends with exit 0 on INT or TERM, creates no
# process on its healthy path, and refuses a bad SECS with exit 2.

load helpers
load install-helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }

teardown() {
	# The loop first, by pid: it would relaunch what teardown ends.
	[ -z "${LOOP:-}" ] || kill -KILL "$LOOP" 2>/dev/null || true
	[ -z "${sp:-}" ] || kill -KILL "$sp" 2>/dev/null || true
	[ -z "${UP:-}" ] || kill -KILL "$UP" 2>/dev/null || true
	common_teardown
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }

# passes: how many scheduled passes the log has (--verbose logs each one).
passes() { count_lines "$(LIFE)" ' ev=tick .*origin=schedule$'; }
passes_at_least() { [ "$(passes)" -ge "$1" ]; }
launches_at_least() { [ "$(count_lines "$(LIFE)" ' ev=launch ')" -ge "$1" ]; }

# loop ARGS...: roost tick ARGS in the background, its pid in LOOP, its
# stdout and stderr in $T/loop.out and $T/loop.err.
loop() {
	"$ROOST_BIN" tick "$@" >"$T/loop.out" 2>"$T/loop.err" &
	LOOP=$!
}

# loop_ends SIG: SIG to the loop, which must end by itself with exit 0.
loop_ends() {
	local rc=0
	kill -"$1" "$LOOP"
	wait_for 5 pid_gone "$LOOP"
	wait "$LOOP" || rc=$?
	LOOP=
	[ "$rc" -eq 0 ] || { echo "loop exited $rc" >&2; return 1; }
}

@test "a bad SECS is refused with exit 2, one line, and nothing written, not even the home" {
	local bad
	for bad in 0 -1 86401 1.5 1s abc '' ' 5' 99999999999999999999; do
		run roost tick --every "$bad"
		assert_status 2
		[ "$output" = "roost: tick: --every $bad: must be 1 to 86400 seconds" ]
	done
	run roost tick --every
	assert_status 2
	[ "$output" = "roost: tick: option --every needs a value" ]
	[ ! -e "$ROOST_HOME" ]
}

@test "--every with identities or --origin is refused with exit 2: it runs full passes" {
	run roost tick --every 5 bob
	assert_status 2
	[ "$output" = "roost: tick: --every: runs full passes: no identities and no --origin with it" ]
	run roost tick --every 5 --origin death
	assert_status 2
	[ "$output" = "roost: tick: --every: runs full passes: no identities and no --origin with it" ]
	[ ! -e "$ROOST_HOME" ]
}

@test "the loop runs a pass every SECS, logged like the scheduled tick, and TERM ends it with exit 0" {
	roost add w -- "$T/prog/forever" >/dev/null
	loop --every 1 --verbose
	# The first pass comes at once, the next ones a second apart.
	wait_for 10 passes_at_least 3
	grep -E '^ts=[^ ]+ ev=tick ids=1 running=[01] launched=[01] reaped=0 deaths=0 ms=[0-9]+ origin=schedule$' \
	    "$(LIFE)" >/dev/null
	[ -f "$ROOST_HOME/state/.tick.last" ]
	loop_ends TERM
	grep -E '^tick ids=1 running=0 launched=0 reaped=0 deaths=0 ms=[0-9]+$' "$T/loop.out" >/dev/null
	[ ! -s "$T/loop.err" ]
}

@test "the loop supervises: a wake request is launched by its next pass, a killed server restarted" {
	local sp
	roost add w --restart always -- "$T/prog/forever" >/dev/null
	loop --every 1
	touch "$ROOST_HOME/state/w.wake"
	# The launch line comes last, after the session is up and recorded.
	wait_for 10 launches_at_least 1
	[ "$(count_lines "$(LIFE)" 'ev=launch id=w mode=fresh cause=wake')" -eq 1 ]
	is_running w
	sp=$(server_pid w)
	kill -KILL "$sp"
	wait_for 10 launches_at_least 2
	wait_for 10 is_running w
	loop_ends TERM
	[ ! -s "$T/loop.err" ]
}

@test "INT ends the loop with exit 0 at once, without waiting out SECS" {
	local t0
	roost add w -- "$T/prog/forever" >/dev/null
	loop --every 3600 --verbose
	wait_for 10 [ -s "$T/loop.out" ]
	t0=$(now_ms)
	loop_ends INT
	# Well before the hour: the sleep is what the signal cut short.
	[ $(($(now_ms) - t0)) -lt 5000 ]
	[ "$(wc -l <"$T/loop.out")" -eq 1 ]
	[ ! -s "$T/loop.err" ]
}

@test "a first pass that cannot run ends the loop with its error; a later one is reported and the loop goes on" {
	local lock=$ROOST_HOME/state/.tick.lock
	roost add w -- "$T/prog/forever" >/dev/null
	rm -f "$lock"
	mkdir "$lock"	# a directory where the pass lock should be
	run --separate-stderr roost tick --every 1
	assert_status 1
	[ "$stderr" = "roost: tick: $lock: Is a directory" ]
	rmdir "$lock"
	loop --every 1 --verbose
	wait_for 10 passes_at_least 1
	rm -f "$lock"
	mkdir "$lock"
	wait_for 10 grep -q -x "roost: tick: $lock: Is a directory" "$T/loop.err"
	pid_alive "$LOOP"
	rmdir "$lock"
	local n
	n=$(passes)
	wait_for 10 passes_at_least $((n + 1))
	loop_ends TERM
}

# gone PID: no such process at all, not even a zombie (kill -0 finds those).
gone() { ! kill -0 "$1" 2>/dev/null; }

@test "as a PID namespace's process 1 (a container's entrypoint) the loop reaps the orphans it inherits" {
	need_root "unshare -p gives the loop a PID namespace of its own"
	need_tool unshare "it makes the PID namespace"
	unshare -p -f --mount-proc true 2>/dev/null ||
	    skip "unshare -p --mount-proc is refused here"
	local c s
	roost add w -- "$T/prog/forever" >/dev/null
	touch "$ROOST_HOME/state/w.wake"
	unshare -p -f --mount-proc --kill-child "$ROOST_BIN" tick --every 3600 \
	    >"$T/loop.out" 2>"$T/loop.err" &
	UP=$!
	wait_for 10 launches_at_least 1
	LOOP=$(pgrep -P "$UP")
	[ -n "$LOOP" ]
	# The canary was spawned detached, so the loop, as process 1, is its
	# parent; its tmux server becomes the loop's child when it ends.
	c=$(pgrep -f "$ROOST_HOME/bin/w.canary")
	[ "$(ps -o ppid= -p "$c" | tr -d ' ')" = "$LOOP" ]
	s=$(pgrep -P "$c")	# the tmux server: the canary starts it
	[ -n "$s" ]
	kill -TERM "$c"
	wait_for 5 gone "$c"
	[ "$(ps -o ppid= -p "$s" | tr -d ' ')" = "$LOOP" ]
	"$TMUX_BIN" -S "$(sock_of w)" kill-server
	wait_for 5 gone "$s"
	# Long before the next pass, an hour away: nothing left as a zombie.
	[ -z "$(ps -o stat= --ppid "$LOOP" | grep Z || true)" ]
	kill -TERM "$LOOP"
	wait "$UP"
	LOOP= UP=
	[ ! -s "$T/loop.err" ]
}

@test "the loop over healthy identities creates no process: strace shows only roost's own execve" {
	build_has_proc || skip "this roost is built without /proc: ps answers for process identity"
	need_tool strace "it counts the processes a pass creates"
	roost add h -- "$T/prog/forever" >/dev/null
	roost start h >/dev/null
	wait_for 5 pid_alive "$(canary_pid h)"
	# strace itself, not strace_roost (a function, so a subshell): $! is
	# strace's pid, and roost is its one child.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f \
	    -e trace=clone,clone3,fork,vfork,execve -o "$T/strace.out" \
	    "$ROOST_BIN" tick --every 1 --verbose >"$T/loop.out" 2>"$T/loop.err" &
	sp=$!
	wait_for 10 passes_at_least 3
	LOOP=$(pgrep -P "$sp")
	[ -n "$LOOP" ]
	kill -TERM "$LOOP"
	wait_for 5 pid_gone "$sp"
	wait "$sp"
	LOOP=
	cat "$T/strace.out" >&2
	[ "$(count_lines "$T/strace.out" 'execve\(')" -eq 1 ]
	[ "$(count_lines "$T/strace.out" '(clone|clone3|fork|vfork)\(')" -eq 0 ]
	grep -q -E '^tick ids=1 running=1 launched=0' "$T/loop.out"
	is_running h
}

status_quiet() { [ -z "$("$ROOST_BIN" status 2>&1 >/dev/null)" ]; }

@test "status says plainly that nothing runs the tick under --scheduler none; the loop's passes quiet it" {
	local now=1800000000
	roost add bob -- "$T/prog/forever" >/dev/null
	roost install --scheduler none >/dev/null
	roost tick
	set_mtime "$((now - 181))" "$ROOST_HOME/state/.tick.last"
	run --separate-stderr env ROOST_NOW=$now "$ROOST_BIN" status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: none (you run roost tick), last pass 3m ago" ]
	[ "$stderr" = "roost: status: warning: nothing runs the tick: install set up no scheduler (--scheduler none); keep roost tick --every 60 running (a container's entrypoint, a terminal)" ]
	loop --every 1
	# The loop's own full pass rewrites the record of the last one, then
	# status is quiet.
	wait_for 10 eval '[ "$(file_stat mtime "$ROOST_HOME/state/.tick.last")" -ne '"$((now - 181))"' ]'
	wait_for 10 status_quiet
	loop_ends TERM
}

@test "status says plainly that nothing runs the tick when no cron daemon runs the cron entry" {
	build_has_proc || skip "without /proc roost cannot tell whether a cron daemon runs"
	if pgrep -x 'cron|crond|fcron' >/dev/null; then
		skip "a cron daemon runs on this machine: its absence cannot be tested"
	fi
	local now=1800000000
	stand_ins
	roost add bob -- "$T/prog/forever" >/dev/null
	roost install --scheduler cron >/dev/null 2>&1
	set_mtime "$((now - 181))" "$ROOST_HOME/state/.scheduler"
	run --separate-stderr env ROOST_NOW=$now "$ROOST_BIN" status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: cron, no pass yet" ]
	[ "$stderr" = "roost: status: warning: nothing runs the tick: the cron entry is there, but no cron daemon is running to run it; keep roost tick --every 60 running (a container's entrypoint, a terminal)" ]
	# With one running, the usual question instead.
	fake_cron
	run --separate-stderr env ROOST_NOW=$now "$ROOST_BIN" status
	[ "$stderr" = "roost: status: warning: no tick pass has completed since the cron entry was set up 3m ago: is it running? (roost install says why it would not)" ]
}
