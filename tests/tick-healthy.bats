#!/usr/bin/env bats
# The tick over healthy running identities: no process is created, nothing
# is printed, nothing is logged; --verbose prints the summary.

load helpers

setup() {
	common_setup
	roost add h1 -- "$T/prog/forever" >/dev/null
	roost add h2 -- "$T/prog/forever" >/dev/null
	roost start h1 >/dev/null
	roost start h2 >/dev/null
	is_running h1 && is_running h2
	# The canaries launched with them are up (the tick would respawn them).
	wait_for 5 pid_alive "$(canary_pid h1)"
	wait_for 5 pid_alive "$(canary_pid h2)"
}

teardown() { common_teardown; }

@test "a healthy tick creates no process: strace shows only roost's own execve" {
	# Without /proc, whether a pid is still roost's canary is asked of
	# ps(1): that build forks on every pass by design.
	build_has_proc || skip "this roost is built without /proc: ps answers for process identity"
	need_tool strace "it counts the processes a pass creates"
	# Quiet non-running identities too: parked, stopped, crash-loop, down.
	local id
	for id in pk st cl dn; do
		roost add "$id" -- "$T/prog/forever" >/dev/null
	done
	touch "$ROOST_HOME/state/pk.idle-reaped" "$ROOST_HOME/state/st.stopped"
	echo 'deaths=3 window=300' >"$ROOST_HOME/state/cl.crash-loop"
	run strace_roost -f -e trace=clone,clone3,fork,vfork,execve \
	    -o "$T/strace.out" "$ROOST_BIN" tick
	assert_status 0
	cat "$T/strace.out" >&2
	[ "$(count_lines "$T/strace.out" 'execve\(')" -eq 1 ]
	grep -q "execve(\"$ROOST_BIN\"" "$T/strace.out"
	[ "$(count_lines "$T/strace.out" '(clone|clone3|fork|vfork)\(')" -eq 0 ]
	# Still healthy, nothing launched, nothing logged.
	is_running h1 && is_running h2
	[ -z "$output" ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=(launch|tick|death|reap)')" -eq 2 ]
}

@test "a healthy tick prints nothing on stdout or stderr" {
	"$ROOST_BIN" tick >"$T/out" 2>"$T/err"
	[ ! -s "$T/out" ]
	[ ! -s "$T/err" ]
}

# idle_logged: after a pass, both programs' first idle (ready_quiet after
# the launch) is in the log.  Until then a pass, the tick's or the pane's
# alert hook's, still has that line to write.
idle_logged() {
	roost tick >/dev/null 2>&1
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" \
	    'ev=activity id=h[12] doing=idle$')" -eq 2 ]
}

@test "a quiet tick does not grow lifecycle.log" {
	local log=$ROOST_HOME/log/lifecycle.log before after
	wait_for 15 idle_logged
	before=$(wc -c <"$log")
	run roost tick
	assert_status 0
	run roost tick
	assert_status 0
	after=$(wc -c <"$log")
	[ "$before" -eq "$after" ]
	[ "$(count_lines "$log" 'ev=tick')" -eq 0 ]
}

@test "tick --verbose prints the summary line and logs it" {
	run roost tick --verbose
	assert_status 0
	[[ $output =~ ^tick\ ids=2\ running=2\ launched=0\ reaped=0\ deaths=0\ ms=[0-9]+$ ]]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" \
	    '^ts=[^ ]+ ev=tick ids=2 running=2 launched=0 reaped=0 deaths=0 ms=[0-9]+ origin=schedule$')" -eq 1 ]
}

@test "a tick respawns a dead canary (and says so in the log)" {
	local old
	old=$(canary_pid h1)
	kill -TERM "$old"
	wait_for 5 pid_gone "$old"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	wait_for 5 [ -f "$ROOST_HOME/state/h1.canary" ]
	[ "$(canary_pid h1)" != "$old" ]
	pid_alive "$(canary_pid h1)"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" \
	    'ev=canary id=h1 state=spawned origin=tick')" -eq 1 ]
	# Not a death: the server was never touched.
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=death')" -eq 0 ]
	[ ! -e "$ROOST_HOME/state/h1.deaths" ]
}

@test "a pane that changed costs one capture-pane and no process; quiet again, the next tick asks nothing" {
	build_has_proc || skip "this roost is built without /proc: ps answers for process identity"
	need_tool strace "it counts the processes a pass creates"
	roost add w --waiting-pattern '\[y/n\]' --ready-pattern '^[$] $' \
	    -- "sh -c 'PS1=\"\$ \" exec sh -i'" >/dev/null
	roost start w >/dev/null
	# The pane's own alert hook would look first: the test's ticks do.
	"$TMUX_BIN" -S "$(sock_of w)" set-option -w -t =w: monitor-silence 0
	roost tick w
	wait_for 10 grep -q 'screen=' "$ROOST_HOME/state/w.seen"
	"$TMUX_BIN" -S "$(sock_of w)" send-keys -t =w: 'echo hel""lo' Enter
	wait_for 10 grep -q '^hello' "$ROOST_HOME/log/w.log"
	# The echo and the next prompt both reached the log.
	wait_for 10 eval '[ "$(tail -c 2 "$ROOST_HOME/log/w.log")" = "\$ " ]'
	# roost asks tmux itself, on the server's socket: one capture-pane
	# sent, and no process.
	run strace_roost -f -e trace=clone,clone3,fork,vfork,execve,sendto \
	    -s 100000 -o "$T/strace1.out" "$ROOST_BIN" tick
	assert_status 0
	cat "$T/strace1.out" >&2
	[ "$(count_lines "$T/strace1.out" '(clone|clone3|fork|vfork)\(')" -eq 0 ]
	[ "$(count_lines "$T/strace1.out" 'execve\(')" -eq 1 ]
	[ "$(grep -c 'sendto(.*capture-pane' "$T/strace1.out")" -eq 1 ]
	run strace_roost -f -e trace=clone,clone3,fork,vfork,execve,sendto \
	    -s 100000 -o "$T/strace2.out" "$ROOST_BIN" tick
	assert_status 0
	cat "$T/strace2.out" >&2
	[ "$(count_lines "$T/strace2.out" '(clone|clone3|fork|vfork)\(')" -eq 0 ]
	[ "$(count_lines "$T/strace2.out" 'execve\(')" -eq 1 ]
	[ "$(grep -c 'sendto(' "$T/strace2.out")" -eq 0 ]
}
