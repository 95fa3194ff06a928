#!/usr/bin/env bats
# Stop requests and lifecycle refusals as the tick sees them.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

@test "touch .stopped on a running identity: the next tick tears it down cleanly" {
	local sp cp
	roost add s -- "$T/prog/forever" >/dev/null
	roost start s >/dev/null
	sp=$(server_pid s)
	cp=$(canary_pid s)
	wait_for 5 pid_alive "$cp"
	touch "$ROOST_HOME/state/s.stopped"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	not_running s
	wait_for 5 pid_gone "$sp"
	wait_for 5 pid_gone "$cp"
	[ "$(count_lines "$(LIFE)" 'ev=teardown id=s reason=stopped')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 0 ]
	[ ! -e "$ROOST_HOME/state/s.deaths" ]
	[ ! -e "$ROOST_HOME/state/s.session" ]
	[ ! -e "$ROOST_HOME/state/s.canary" ]
	[ ! -e "$ROOST_HOME/state/s.last-exit" ]
	[ ! -e "$ROOST_HOME/sock/s" ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=server-exit')" -eq 0 ]
	assert_no_processes
	run roost status s
	assert_status 3
	[[ ${lines[1]} =~ ^s\ +stopped\  ]]
	# It stays down, and the next tick records nothing.
	run roost tick
	assert_status 0
	not_running s
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 0 ]
}

@test "a stopped identity is never launched by a tick, even with .wake or a queue" {
	roost add s -- "$T/prog/forever" >/dev/null
	touch "$ROOST_HOME/state/s.stopped" "$ROOST_HOME/state/s.wake"
	mkdir "$ROOST_HOME/state/s.queue"
	touch "$ROOST_HOME/state/s.queue/item"
	run roost tick
	assert_status 0
	run roost tick
	assert_status 0
	not_running s
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 0 ]
	[ -f "$ROOST_HOME/state/s.stopped" ]
	run roost wake s
	assert_status 3
	assert_output_has "refused s: stopped"
	not_running s
}

@test "a stopped identity whose server died is recorded but not relaunched" {
	local sp
	roost add s -- "$T/prog/forever" >/dev/null
	roost start s >/dev/null
	sp=$(server_pid s)
	# A stop request that the server's death beat to the tick.
	touch "$ROOST_HOME/state/s.stopped" "$ROOST_HOME/state/s.wake"
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	wait_for 5 not_running s
	run roost tick
	assert_status 0
	# The canary's own pass may be the one that records the death, and
	# may still be at it: let it (and the canary) end first.
	assert_no_processes
	not_running s
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 1 ]
	[ ! -e "$ROOST_HOME/state/s.session" ]
	[ "$(count_lines "$ROOST_HOME/state/s.deaths" '^[0-9]+ server-vanished signal=SIGKILL$')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death id=s ')" -eq 1 ]
	run roost status s
	assert_status 3
	[[ ${lines[1]} =~ ^s\ +stopped\  ]]
}

@test "a crash-looped identity is never launched by a tick, even with .wake" {
	roost add c -- "$T/prog/forever" >/dev/null
	echo 'deaths=3 window=300' >"$ROOST_HOME/state/c.crash-loop"
	touch "$ROOST_HOME/state/c.wake"
	run roost tick
	assert_status 0
	not_running c
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 0 ]
	[ -f "$ROOST_HOME/state/c.wake" ]
}

@test "a .wake on a down identity launches it fresh at the next tick" {
	roost add w -- "$T/prog/forever" >/dev/null
	touch "$ROOST_HOME/state/w.wake"
	run roost tick
	assert_status 0
	is_running w
	grep -q 'mode=fresh' "$ROOST_HOME/state/w.session"
	[ ! -e "$ROOST_HOME/state/w.wake" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=w mode=fresh cause=wake')" -eq 1 ]
}

@test "a down identity with no request stays down" {
	roost add d -- "$T/prog/forever" >/dev/null
	run roost tick
	assert_status 0
	not_running d
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 0 ]
	run roost status d
	assert_status 3
	[[ ${lines[1]} =~ ^d\ +down\  ]]
}

@test "roost stop then the tick: no death, no relaunch" {
	roost add s -- "$T/prog/forever" >/dev/null
	roost start s >/dev/null
	run roost stop s
	assert_status 0
	[ "$output" = "stopped s" ]
	run roost tick
	assert_status 0
	not_running s
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 0 ]
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" .)" -eq 0 ]
	assert_no_processes
}
