#!/usr/bin/env bats
# A program that ignores SIGHUP outlives its tmux server's SIGKILL: what
# is provably left of the session (its pane's process group, matched by
# the start time .session recorded) is ended before the relaunch, so the
# program never runs twice.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	printf '#!/bin/sh\ntrap "" HUP\nwhile :; do sleep 0.2; done\n' >"$T/prog/nohup"
	chmod +x "$T/prog/nohup"
}
teardown() {
	[ -n "${DECOY:-}" ] && kill -KILL -- "-$DECOY" 2>/dev/null
	common_teardown
}

copies() {
	pgrep -f "^/bin/sh $T/prog/nohup\$" | wc -l
}

one_copy() { [ "$(copies)" -eq 1 ]; }

@test "a program that ignores SIGHUP survives its server's SIGKILL: it is ended before the restart, one copy runs" {
	roost add o --restart always --restart-delay 0 -- "$T/prog/nohup"
	roost start o >/dev/null
	wait_for 10 one_copy
	local spid old
	spid=$(server_pid o)
	old=$(pgrep -f "^/bin/sh $T/prog/nohup\$")
	kill -KILL "$spid"
	wait_for 15 eval '[ -e "$(state_of o).session" ] && [ "$(server_pid o)" != "$spid" ]'
	wait_for 10 pid_gone "$old"
	wait_for 10 one_copy
	grep -q " ev=orphans id=o pgid=[0-9]* graceful=yes " "$ROOST_HOME/log/lifecycle.log"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=o ')" -eq 1 ]

	# stop ends the one that runs, and nothing is left.
	run roost stop o
	assert_status 0
	wait_for 10 eval '[ "$(copies)" -eq 0 ]'
}

@test "an orphan that ignores its stop signal too is killed after stop_timeout" {
	printf '#!/bin/sh\ntrap "" HUP TERM\nwhile :; do sleep 0.2; done\n' >"$T/prog/nohup"
	roost add o --restart never --stop-timeout 1 -- "$T/prog/nohup"
	roost start o >/dev/null
	wait_for 10 one_copy
	local spid old
	spid=$(server_pid o)
	old=$(pgrep -f "^/bin/sh $T/prog/nohup\$")
	kill -KILL "$spid"
	wait_for 15 test ! -e "$(state_of o).session"
	pid_gone "$old"
	grep -q " ev=orphans id=o pgid=[0-9]* graceful=no " "$ROOST_HOME/log/lifecycle.log"
	[ "$(copies)" -eq 0 ]
}

@test "a pane pid that is not provably the session's (another start time) is never signalled" {
	need_tool setsid "the decoy leads its own process group"
	roost add o --restart never -- "$T/prog/forever"
	roost start o >/dev/null
	local spid s=$ROOST_HOME/state/o.session
	spid=$(server_pid o)
	setsid "$T/prog/nohup" </dev/null >/dev/null 2>&1 &
	DECOY=$!
	wait_for 5 pid_alive "$DECOY"
	# .session names the decoy as its pane, started at another time.
	sed "s/pane_pid=[0-9]*/pane_pid=$DECOY/; s/pane_start=[0-9]*/pane_start=1/" \
	    "$s" >"$s.new" && mv "$s.new" "$s"
	kill -KILL "$spid"
	wait_for 15 test ! -e "$s"
	pid_alive "$DECOY"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=orphans ')" -eq 0 ]
}
