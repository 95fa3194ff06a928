#!/usr/bin/env bats
# The pane-died hook hands tmux's raw facts straight to `roost pane-died`,
# which records (one classifier, C's), dismisses the canary and asks for a
# pass: one exec after tmux's own run-shell.  Only the program's own pane
# is the program's death: a person's split pane or extra window ending
# (remain-on-exit and the hook hold for the whole session) goes quietly.

load helpers
load session-lib

bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# panes ID: the session's panes, one "<pane_id> <dead>" a line.
panes() {
	"$TMUX_BIN" -S "$(sock_of "$1")" list-panes -s -t "=$1:" \
	    -F '#{pane_id} #{pane_dead}'
}

@test "a person's split pane and extra window ending record no death and go; the program runs on" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp
	sp=$(server_pid bob)
	"$TMUX_BIN" -S "$(sock_of bob)" split-window -t =bob: "$T/prog/exitwith 4 0.3"
	"$TMUX_BIN" -S "$(sock_of bob)" new-window -t =bob: "$T/prog/exitwith 5 0.3"
	[ "$(panes bob | wc -l)" -eq 3 ]
	# Both end, and are killed rather than left dead (remain-on-exit).
	wait_for 10 eval '[ "$(panes bob | wc -l)" -eq 1 ]'
	[ "$(panes bob)" = "$(sed -n 's/.*@roost-pane "\{0,1\}\(%[0-9]*\).*/\1/p' \
	    <<<"$("$TMUX_BIN" -S "$(sock_of bob)" show-options -t =bob: @roost-pane)") 0" ]
	[ ! -e "$(exits_log)" ]
	[ ! -e "$(state_of bob).last-exit" ]
	[ ! -e "$(state_of bob).deaths" ]
	is_running bob
	[ "$(server_pid bob)" = "$sp" ]
	pid_alive "$(canary_pid bob)"
	run roost status bob
	assert_status 0
	# The program's own end is still its death.
	"$TMUX_BIN" -S "$(sock_of bob)" respawn-pane -k -t =bob: "$T/prog/exitwith 6 0.2"
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status=6 "
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the record costs one exec after tmux's run-shell: no date, tr, rm or mv" {
	need_tool strace "it counts the processes the hook creates"
	add_id bob "$T/prog/exitwith" 3 1
	start_id bob
	local sp
	sp=$(server_pid bob)
	strace -f -qq -s 512 -e trace=execve -o "$T/strace.out" -p "$sp" &
	local st=$!
	wait_for 5 test -s "$T/strace.out" || true
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status=3 "
	wait_for 5 pid_gone "$sp"
	# KILL, not TERM: a tracer told to detach can deadlock with a
	# tracee in vfork(2) (canary-clock.bats says how).
	wait_for 10 grep -q 'execve(.*"pane-died"' "$T/strace.out"
	kill -KILL "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	cat "$T/strace.out" >&2
	# run-shell's sh, then roost pane-died; after the record, the pass
	# it asks for and the tmux client that ends the session (exit 3 is
	# restarted after a backoff, in the same server).  Nothing else runs
	# for it, but tmux's own utempter helper -- and the pane's alert hook,
	# which looks at the quiet program whenever it likes (its sh and its
	# tick name "activity").  A roost built without /proc asks ps (through
	# env) for each process's identity: that seam is not the record's.
	grep -Eq 'execve\("[^"]*/roost", \[[^]]*"pane-died"' "$T/strace.out"
	! grep -Eq 'execve\("[^"]*/(date|tr|rm|mv|cat)"' "$T/strace.out" || false
	local seam='^$'
	build_has_proc || seam='"/bin/ps", "-ww"'
	[ "$(grep -v -e utempter -e activity "$T/strace.out" | grep -v -e "$seam" |
	    grep -c 'execve(')" -le 4 ]
}

@test "roost pane-died refuses a bad identity (exit 2) and writes nothing" {
	roost add x -- true >/dev/null
	local id
	for id in "" "../x" "a b" "x.y"; do
		run --separate-stderr roost pane-died "id=$id" status=1
		assert_status 2
		[[ $stderr == "roost: pane-died: invalid identity "* ]] || { echo "$stderr" >&2; false; }
	done
	run --separate-stderr roost pane-died status=1
	assert_status 2
	[ "$stderr" = "roost: pane-died: missing identity" ]
	[ ! -e "$ROOST_HOME/log/exits.log" ]
	[ ! -e "$ROOST_HOME/state/x.last-exit" ]
}

@test "roost pane-died for an identity with no conf, session, canary or server: exit 4, nothing written" {
	roost add x -- true >/dev/null
	run --separate-stderr roost pane-died id=ghost status= signal=KILL pane_pid=5 server_pid=6
	assert_status 4
	[ "$stderr" = "roost: pane-died: ghost: unknown identity" ]
	[ ! -e "$ROOST_HOME/log/exits.log" ]
	[ ! -e "$ROOST_HOME/state/ghost.last-exit" ]
	[ -z "$(ls "$ROOST_HOME/log/server-deaths")" ]
}

@test "roost pane-died names signals by the one table: 9, kill, KILL, SIGKILL alike; a number without a name stays a number" {
	roost add x -- true >/dev/null
	local s
	for s in 9 kill KILL SIGKILL; do
		run roost pane-died id=x status= "signal=$s" pane_pid=5 server_pid=6
		assert_status 0
		tail -n 1 "$ROOST_HOME/log/exits.log" | grep -q ' signal=SIGKILL oom=[a-z]* pane_pid=5 server_pid=6 forensics='
	done
	run roost pane-died id=x status= signal=63 pane_pid=5 server_pid=6
	assert_status 0
	tail -n 1 "$ROOST_HOME/log/exits.log" | grep -Eq ' status= signal=SIG63 oom= pane_pid=5 server_pid=6$'
	# The snapshots go to log/server-deaths, after the record.
	wait_for 10 eval '[ -n "$(ls "$ROOST_HOME/log/server-deaths")" ]'
	local fx
	fx=$(ls "$ROOST_HOME/log/server-deaths" | head -n 1)
	wait_for 10 grep -q '^== last 50 lines' "$ROOST_HOME/log/server-deaths/$fx"
	head -n 1 "$ROOST_HOME/log/server-deaths/$fx" | grep -qx '# roost forensics: SIGKILL of the program of identity x'
}

# hook_trace SYSCALLS DONE: bob (restart_delay 0) running, its program
# SIGKILLed with the server traced (SYSCALLS and sendto), until the
# restart is logged and DONE (a pattern) is in the trace; the lines of
# the hook's roost (the process that asked for respawn-pane) go to
# $T/hook.trace.
hook_trace() {
	local sp pp st hp
	sp=$(server_pid bob)
	pp=$(sed -n 's/.* pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	strace -f -y -s 20000 -e "trace=$1,sendto" -o "$T/strace.out" \
	    -p "$sp" 2>"$T/strace.err" &
	st=$!
	wait_for 10 grep -q 'attached' "$T/strace.err"
	kill -KILL "$pp"
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	wait_for 10 grep -q "$2" "$T/strace.out"
	# KILL, not TERM: a tracer told to detach can deadlock with a
	# tracee in vfork(2) (canary-clock.bats says how).
	kill -KILL "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	hp=$(grep 'sendto(.*respawn-pane' "$T/strace.out" | awk '{ print $1; exit }')
	[ -n "$hp" ]
	grep "^$hp " "$T/strace.out" >"$T/hook.trace"
}

@test "a restart is not held up by fsync: the hook syncs its state files once the respawn is asked for" {
	need_tool strace "it orders the hook's respawn and its fsyncs"
	roost add bob --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_id bob
	hook_trace fsync 'fsync(.*/bob[.]session>)'
	grep -E 'fsync|respawn-pane' "$T/hook.trace" |
	    sed 's/^[0-9]* *sendto(.*respawn-pane.*/respawn/; s/.*fsync(.*\/\([^/>]*\)>).*/\1/' \
	    >"$T/order"
	cat "$T/order" >&2
	# The respawn first, then the death's files, each synced once.
	[ "$(head -n 1 "$T/order")" = respawn ]
	grep -qx bob.deaths "$T/order"
	grep -qx bob.session "$T/order"
	[ "$(sort "$T/order" | uniq -d)" = "" ]
	is_running bob
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a restart renders the canary and the hook again after its respawn, not before" {
	need_tool strace "it orders the hook's respawn and its renames"
	roost add bob --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_id bob
	# As an older roost left them: the restart brings both up to date.
	printf '# older\n' >>"$ROOST_HOME/bin/bob.canary"
	printf '# older\n' >>"$ROOST_HOME/bin/pane-died"
	hook_trace rename,renameat,renameat2 'rename[at2]*(.*/pane-died"'
	grep -E 'rename|respawn-pane' "$T/hook.trace" |
	    sed 's/^[0-9]* *sendto(.*respawn-pane.*/respawn/; s/^[0-9]* *rename[at2]*(.*\/\([^/"]*\/[^/"]*\)"[^"]*$/\1/' |
	    grep -e respawn -e '^bin/' >"$T/order"
	cat "$T/order" >&2
	[ "$(head -n 1 "$T/order")" = respawn ]
	grep -qx bin/bob.canary "$T/order"
	grep -qx bin/pane-died "$T/order"
	roost render canary bob | cmp - "$ROOST_HOME/bin/bob.canary"
	roost render pane-died | cmp - "$ROOST_HOME/bin/pane-died"
	is_running bob
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a restart due at once happens in the live server: same server and canary, a new pane process, and a later server SIGKILL is still the canary's record" {
	roost add bob --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_id bob
	local sp cp pp pp2 prog
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	pp=$(sed -n 's/.* pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	# The pane's process is the program: the launch script exec'd it.
	ps -o args= -p "$pp" | grep -q prog/forever
	kill -KILL "$pp"
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	grep -q "ev=death id=bob cause=SIGKILL " "$(life_log)"
	grep -Eq '^[0-9]+ SIGKILL$' "$(state_of bob).deaths"
	pp2=$(sed -n 's/.* pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	[ -n "$pp2" ] && [ "$pp2" != "$pp" ]
	[ "$(server_pid bob)" = "$sp" ]
	[ "$(canary_pid bob)" = "$cp" ]
	pid_alive "$cp"
	run roost status bob
	assert_status 0
	[ "$(server_exits)" -eq 0 ]
	# The server's own death, later, is still recorded, exactly.
	kill -KILL "$sp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=bob cause=server-vanished signal=SIGKILL status= exact=yes "
	wait_for 10 eval '[ "$(count_lines "$(life_log)" "ev=launch id=bob mode=fresh cause=restart")" -eq 2 ]'
	# Each death has a snapshot of its own, even within one second: the
	# program's is named by its pid, the server's by the server's.
	local fx1 fx2
	fx1=$(field "$(grep 'ev=session-exit' "$(exits_log)")" forensics)
	fx2=$(field "$(grep 'ev=server-exit' "$(exits_log)")" forensics)
	[[ $fx1 =~ /log/server-deaths/bob-[0-9]+-$pp\.txt$ ]]
	[[ $fx2 =~ /log/server-deaths/bob-[0-9]+-$sp\.txt$ ]]
	wait_for 10 grep -q "^# identity=bob pane_pid=$pp server_pid=$sp " "$fx1"
	wait_for 10 grep -q "^# identity=bob server_pid=$sp " "$fx2"
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the tmux and its configuration of a start hold for its deaths: a restart keeps the canary's, and the server that replaces a killed one reads it" {
	local conf="$T/my conf.tmux" sp sp2 pp
	printf 'set-option -g @from-conf yes\n' >"$conf"
	export ROOST_TMUX_CONF=$conf
	# A tmux of its own path (ROOST_TMUX), which logs each run.
	logging_tmux
	roost add bob --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_id bob
	sp=$(server_pid bob)
	[ "$("$TMUX_BIN" -S "$(sock_of bob)" show-options -gv @from-conf)" = yes ]
	cp "$ROOST_HOME/bin/bob.canary" "$T/canary.first"
	grep -qxF "TMUX_CONF='$conf'" "$T/canary.first"
	grep -qxF "TMUX_BIN='$T/tmuxw'" "$T/canary.first"
	[ "$(grep -c -- ' -D$' "$T/tmux.calls")" -eq 1 ]
	# The program's death: the hook's roost renders the canary again.
	pp=$(sed -n 's/.* pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	kill -KILL "$pp"
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	cmp "$T/canary.first" "$ROOST_HOME/bin/bob.canary"
	# The server's death: the canary's pass launches a new one, with the
	# configuration.
	kill -KILL "$sp"
	wait_for 10 eval '[ "$(count_lines "$(life_log)" "ev=launch id=bob mode=fresh cause=restart")" -eq 2 ]'
	wait_for 10 is_running bob
	sp2=$(server_pid bob)
	[ "$sp2" != "$sp" ]
	[ "$("$TMUX_BIN" -S "$(sock_of bob)" show-options -gv @from-conf)" = yes ]
	[ "$(grep -c -- ' -D$' "$T/tmux.calls")" -eq 2 ]
	cmp "$T/canary.first" "$ROOST_HOME/bin/bob.canary"
	roost stop bob >/dev/null
	assert_no_processes
}

# once: the first run ends with status 3 after a moment; every later one
# runs on (prog/forever).
once() {
	cat >"$T/prog/once" <<EOS
#!/bin/sh
[ -e '$T/ran' ] && exec '$T/prog/forever'
: >'$T/ran'
sleep 0.3
exit 3
EOS
	chmod +x "$T/prog/once"
}

# start_once ID SECS: ID runs prog/once with a restart_delay of SECS,
# started.
start_once() {
	once
	roost add "$1" --restart-delay "$2" -- "$T/prog/once" >/dev/null
	roost start "$1" >/dev/null
}

# waiting ID SECS: the program died, its death is recorded and its server
# waits with the pane dead for a backoff of SECS.
waiting() {
	wait_for 10 grep -q "ev=backoff id=$1 delay=$2\.000 " "$(life_log)"
	grep -Eq ' died=[0-9]+' "$(state_of "$1").session"
	panes "$1" | grep -q ' 1$'
}

@test "a restart that must wait (restart_delay) keeps its server: after the backoff the same server respawns the pane" {
	start_once bob 1
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status=3 "
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	grep -Eq "ev=backoff id=bob delay=1\.000 until=[0-9]+\.[0-9]{3}$" "$(life_log)"
	[ "$(count_lines "$(life_log)" 'ev=death id=bob cause="status=3"')" -eq 1 ]
	# The same server, canary and socket; .session says this is run 2.
	[ "$(server_pid bob)" = "$sp" ]
	[ "$(canary_pid bob)" = "$cp" ]
	pid_alive "$cp"
	grep -q ' run=2' "$(state_of bob).session"
	run grep -c ' died=' "$(state_of bob).session"
	[ "$output" = 0 ]
	panes bob | grep -q ' 0$'
	run roost status bob
	assert_status 0
	[[ ${lines[1]} =~ ^bob\ +running\ .*\ $sp\  ]]
	[ "$(server_exits)" -eq 0 ]
	roost stop bob >/dev/null
	assert_no_processes
}

@test "during a backoff the server waits with the pane dead: status says backoff, a tick leaves it, stop ends it with no new death" {
	start_once bob 30
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	waiting bob 30
	pid_alive "$sp"
	[ "$(canary_pid bob)" = "$cp" ]
	pid_alive "$cp"
	run roost status bob
	assert_status 3
	[[ ${lines[1]} =~ ^bob\ +backoff\ +-\ +$sp\ +-\ +-\ .*\ 1\ +status=3\  ]]
	run roost status bob --format logfmt
	assert_output_has "state=backoff"
	# The tick decides as status says: wait.
	run roost tick
	assert_status 0
	[ "$(count_lines "$(life_log)" 'ev=launch id=bob ')" -eq 1 ]
	[ "$(server_pid bob)" = "$sp" ]
	run roost stop bob
	assert_status 0
	[ "$output" = "stopped bob" ]
	wait_for 5 pid_gone "$sp"
	[ "$(server_exits)" -eq 0 ]
	[ "$(count_lines "$(state_of bob).deaths" '.')" -eq 1 ]
	[ ! -e "$(state_of bob).session" ]
	run roost status bob
	assert_status 3
	[[ ${lines[1]} =~ ^bob\ +stopped\  ]]
	assert_no_processes
}

@test "wake during a backoff respawns the pane at once in the same server" {
	start_once bob 30
	local sp
	sp=$(server_pid bob)
	waiting bob 30
	run roost wake bob
	assert_status 0
	[ "$output" = "woke bob (fresh)" ]
	grep -q "ev=launch id=bob mode=fresh cause=wake server_pid=$sp respawn=yes" "$(life_log)"
	[ "$(server_pid bob)" = "$sp" ]
	run roost status bob
	assert_status 0
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a message sent during a backoff respawns the pane in the same server and is delivered there" {
	cat >"$T/prog/onecat" <<EOS
#!/bin/sh
[ -e '$T/ran' ] && exec cat
: >'$T/ran'
sleep 0.3
exit 3
EOS
	chmod +x "$T/prog/onecat"
	roost add bob --restart-delay 30 -- "$T/prog/onecat" >/dev/null
	roost start bob >/dev/null
	local sp
	sp=$(server_pid bob)
	waiting bob 30
	run roost send bob hello-there
	assert_status 0
	assert_output_has "queued bob "
	grep -q "ev=launch id=bob mode=fresh cause=send server_pid=$sp respawn=yes" "$(life_log)"
	wait_for 15 grep -q "ev=deliver id=bob .* result=ok" "$(life_log)"
	wait_for 10 grep -q 'hello-there' "$ROOST_HOME/log/bob.log"
	[ "$(server_pid bob)" = "$sp" ]
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a server SIGKILL during the backoff is still the canary's record, and a death of its own" {
	start_once bob 30
	local sp
	sp=$(server_pid bob)
	waiting bob 30
	kill -KILL "$sp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=bob cause=server-vanished signal=SIGKILL status= exact=yes "
	wait_for 10 grep -q "ev=death id=bob cause=server-vanished status= signal=SIGKILL " "$(life_log)"
	[ "$(count_lines "$(state_of bob).deaths" '.')" -eq 2 ]
	tail -n 1 "$(state_of bob).deaths" | grep -Eq '^[0-9]+ server-vanished signal=SIGKILL$'
	# The next restart, doubled: a new server, after its backoff.
	wait_for 10 grep -q "ev=backoff id=bob delay=60\.000 " "$(life_log)"
	run roost status bob
	assert_status 3
	[[ ${lines[1]} =~ ^bob\ +backoff\ .*\ 2\ +SIGKILL\  ]]
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the crash-loop guard still stops a program that dies in its kept server" {
	roost add bob --restart-delay 1 --crashloop 2/300 -- "$T/prog/exitwith" 3 0.3 >/dev/null
	roost start bob >/dev/null
	local sp
	sp=$(server_pid bob)
	wait_for 15 test -f "$(state_of bob).crash-loop"
	wait_for 10 pid_gone "$sp"
	[ "$(cat "$(state_of bob).crash-loop")" = "deaths=2 window=300" ]
	# The first restart came in the same server; the second was refused.
	[ "$(count_lines "$(life_log)" "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes")" -eq 1 ]
	[ "$(count_lines "$(life_log)" 'ev=refused id=bob cause=crash-loop')" -eq 1 ]
	[ "$(count_lines "$(life_log)" 'ev=launch id=bob ')" -eq 2 ]
	[ "$(server_exits)" -eq 0 ]
	wait_for 5 eval '[ ! -e "$(state_of bob).session" ]'
	run roost status bob
	assert_status 3
	[[ ${lines[1]} =~ ^bob\ +crash-loop\  ]]
	assert_no_processes
}
