#!/usr/bin/env bats
# The tick notices a death, classifies it, records it once and applies the
# restart policy.

load helpers

setup() { common_setup; }
teardown() {
	# A test that stopped a server resumes it: tmux clients would block.
	[ -n "${STOPPED:-}" ] && kill -CONT "$STOPPED" 2>/dev/null
	common_teardown
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

# start ID: start it and wait until its canary is up.
start_up() {
	roost start "$1" >/dev/null
	is_running "$1"
	wait_for 5 pid_alive "$(canary_pid "$1")"
}

# kill_server ID: SIGKILL the identity's tmux server and wait until it is
# gone (the canary then records the death on its own).
kill_server() {
	local p
	p=$(server_pid "$1")
	[ -n "$p" ]
	kill -KILL "$p"
	wait_for 5 pid_gone "$p"
	wait_for 5 not_running "$1"
}

# ended ID: the server is gone.  tmux built with utempter can lose the
# SIGCHLD of a pane that ends (tmux#311); the tick nudges such a server, so
# the wait does the same instead of depending on a tick.
ended() {
	local sp
	sp=$(server_pid "$1" 2>/dev/null)
	[ -n "$sp" ] && kill -CHLD "$sp" 2>/dev/null
	not_running "$1"
}

# wait until the program in the pane has ended, its exit was recorded by
# the pane-died hook and the server exited.
wait_ended() {
	wait_for 10 ended "$1"
	wait_for 5 [ -f "$ROOST_HOME/state/$1.last-exit" ]
}

@test "SIGKILLed server: the next tick records one death and relaunches it" {
	local oldsp oldcp
	roost add k -- "$T/prog/forever" >/dev/null
	start_up k
	oldsp=$(server_pid k)
	oldcp=$(canary_pid k)
	kill_server k
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ "$(count_lines "$ROOST_HOME/state/k.deaths" .)" -eq 1 ]
	grep -Eq '^[0-9]+ server-vanished$' "$ROOST_HOME/state/k.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=death id=k ')" -eq 1 ]
	grep -q "ev=death id=k cause=server-vanished .*server_pid=$oldsp" "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=k mode=fresh cause=restart')" -eq 1 ]
	is_running k
	[ "$(server_pid k)" != "$oldsp" ]
	pid_alive "$(server_pid k)"
	[ "$(canary_pid k)" != "$oldcp" ]
	pid_alive "$(canary_pid k)"
	[ "$(count_lines "$ROOST_HOME/log/exits.log" "ev=server-exit id=k cause=server-vanished server_pid=$oldsp")" -eq 1 ]
	# A pass that did something logs its summary.
	[ "$(count_lines "$(LIFE)" 'ev=tick ids=1 running=0 launched=1 reaped=0 deaths=1 ms=[0-9]+$')" -eq 1 ]
	# A further tick is quiet: no second death.
	run roost tick
	assert_status 0
	[ "$(count_lines "$ROOST_HOME/state/k.deaths" .)" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 1 ]
	run roost status k
	assert_status 0
}

@test "exit 0 under on-failure: exited, not relaunched" {
	roost add z --restart on-failure -- "$T/prog/exitwith" 0 >/dev/null
	roost start z >/dev/null
	wait_ended z
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/z.deaths"
	grep -q 'ev=death id=z cause="status=0" status=0 signal=' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z ')" -eq 1 ]
	not_running z
	[ ! -e "$ROOST_HOME/state/z.session" ]
	run roost status z
	assert_status 3
	[[ ${lines[1]} =~ ^z\ +exited\ +-\ +-\ +-\ +1\ +status=0\ [0-9]+s\ ago$ ]]
	# It stays down.
	run roost tick
	assert_status 0
	not_running z
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z ')" -eq 1 ]
}

@test "a failure under on-failure is relaunched" {
	roost add f -- "$T/prog/exitwith" 3 >/dev/null
	roost start f >/dev/null
	wait_ended f
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ status=3$' "$ROOST_HOME/state/f.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=f mode=fresh cause=restart')" -eq 1 ]
}

@test "a signal death is recorded by name and relaunched under on-failure" {
	roost add s -- "$T/prog/killself" SEGV >/dev/null
	roost start s >/dev/null
	wait_ended s
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ SIGSEGV$' "$ROOST_HOME/state/s.deaths"
	grep -q 'ev=death id=s cause=SIGSEGV status= signal=SIGSEGV' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=s mode=fresh cause=restart')" -eq 1 ]
}

@test "--restart never: a failed program stays down" {
	roost add n --restart never -- "$T/prog/exitwith" 3 >/dev/null
	roost start n >/dev/null
	wait_ended n
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ status=3$' "$ROOST_HOME/state/n.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=n ')" -eq 1 ]
	not_running n
	run roost tick
	assert_status 0
	not_running n
	[ "$(count_lines "$(LIFE)" 'ev=launch id=n ')" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/state/n.deaths" .)" -eq 1 ]
	run roost status n
	assert_status 3
	[[ ${lines[1]} =~ ^n\ +exited\  ]]
}

@test "--restart never: a SIGKILLed server stays down" {
	roost add nk --restart never -- "$T/prog/forever" >/dev/null
	start_up nk
	kill_server nk
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-vanished$' "$ROOST_HOME/state/nk.deaths"
	not_running nk
	[ "$(count_lines "$(LIFE)" 'ev=launch id=nk ')" -eq 1 ]
}

@test "--restart always: even exit 0 is relaunched" {
	local oldsp
	roost add a --restart always -- "$T/prog/exitwith" 0 >/dev/null
	roost start a >/dev/null
	oldsp=$(server_pid a)
	wait_ended a
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/a.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=a mode=fresh cause=restart')" -eq 1 ]
	[ -f "$ROOST_HOME/state/a.session" ]
	[ "$(server_pid a)" != "$oldsp" ]
}

@test "reboot shape: .session but no socket, no canary, no record -> server-dead reason=socket-missing, relaunched" {
	local oldsp cp
	roost add r -- "$T/prog/forever" >/dev/null
	start_up r
	oldsp=$(server_pid r)
	cp=$(canary_pid r)
	# Everything dies at once, as in a reboot: the canary cannot record.
	kill -KILL -- "-$cp"
	wait_for 5 pid_gone "$cp"
	kill -KILL "$oldsp"
	wait_for 5 pid_gone "$oldsp"
	rm -f "$ROOST_HOME/sock/r" "$ROOST_HOME/state/r.canary" \
	    "$ROOST_HOME/state/r.last-exit"
	[ -f "$ROOST_HOME/state/r.session" ]
	run roost status r
	assert_status 3
	[[ ${lines[1]} =~ ^r\ +dead\  ]]
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=socket-missing$' \
	    "$ROOST_HOME/state/r.deaths"
	grep -q "ev=death id=r cause=server-dead reason=socket-missing .*server_pid=$oldsp" "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=r mode=fresh cause=restart')" -eq 1 ]
	is_running r
	[ "$(server_pid r)" != "$oldsp" ]
}

@test "stale socket: socket file present, no server -> server-dead reason=stale-socket" {
	local oldsp cp
	roost add st -- "$T/prog/forever" >/dev/null
	start_up st
	oldsp=$(server_pid st)
	cp=$(canary_pid st)
	kill -KILL -- "-$cp"
	wait_for 5 pid_gone "$cp"
	kill -KILL "$oldsp"
	wait_for 5 pid_gone "$oldsp"
	rm -f "$ROOST_HOME/state/st.canary" "$ROOST_HOME/state/st.last-exit"
	[ -S "$ROOST_HOME/sock/st" ]
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=stale-socket$' \
	    "$ROOST_HOME/state/st.deaths"
	grep -q 'ev=death id=st cause=server-dead reason=stale-socket' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=st mode=fresh cause=restart')" -eq 1 ]
	is_running st
}

@test "an old .last-exit from an earlier server is not this death's cause" {
	local oldsp cp
	roost add o -- "$T/prog/forever" >/dev/null
	start_up o
	oldsp=$(server_pid o)
	cp=$(canary_pid o)
	printf 'ts=2020-01-01T00:00:00Z ev=session-exit id=o status=0 signal= pane_pid=2 server_pid=3\n' \
	    >"$ROOST_HOME/state/o.last-exit"
	kill -KILL -- "-$cp"
	wait_for 5 pid_gone "$cp"
	kill -KILL "$oldsp"
	wait_for 5 pid_gone "$oldsp"
	rm -f "$ROOST_HOME/state/o.canary"
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=stale-socket$' \
	    "$ROOST_HOME/state/o.deaths"
	# Under on-failure a stale "status=0" must not stop the relaunch.
	[ "$(count_lines "$(LIFE)" 'ev=launch id=o mode=fresh cause=restart')" -eq 1 ]
}

@test "a pane that ended unnoticed by tmux: the tick nudges its server with SIGCHLD, the exit is then recorded" {
	local sp pp
	need_tool strace "it shows the kill(2) the tick sends"
	roost add u -- "$T/prog/exitwith" 0 1 >/dev/null
	roost start u >/dev/null
	sp=$(server_pid u)
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$ROOST_HOME/state/u.session")
	[ -n "$pp" ]
	# A stopped server cannot reap: the pane ends and stays a zombie, the
	# state a lost SIGCHLD leaves behind.
	STOPPED=$sp
	kill -STOP "$sp"
	wait_for 5 pid_gone "$pp"
	# (no tmux client here: one would block on the stopped server)
	run strace_roost -e trace=kill -o "$T/strace.out" "$ROOST_BIN" tick
	kill -CONT "$sp"
	assert_status 0
	grep -q "^kill($sp, SIGCHLD)" "$T/strace.out"
	wait_ended u
	grep -q 'ev=session-exit id=u status=0 ' "$ROOST_HOME/log/exits.log"
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/u.deaths"
}

@test ".deaths keeps the newest 16 lines" {
	local i old=$(($(date +%s) - 100000)) sp
	roost add h -- "$T/prog/forever" >/dev/null
	roost start h >/dev/null
	for i in $(seq 1 16); do
		echo "$((old + i)) status=$i"
	done >"$ROOST_HOME/state/h.deaths"
	sp=$(server_pid h)
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	wait_for 5 not_running h
	run roost tick
	assert_status 0
	[ "$(count_lines "$ROOST_HOME/state/h.deaths" .)" -eq 16 ]
	[ "$(head -n 1 "$ROOST_HOME/state/h.deaths")" = "$((old + 2)) status=2" ]
	tail -n 1 "$ROOST_HOME/state/h.deaths" | grep -Eq '^[0-9]+ server-vanished$'
	# Old deaths are outside the crash-loop window: relaunched.
	is_running h
}
