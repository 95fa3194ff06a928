#!/usr/bin/env bats
# Idle parking: a running session whose activity source is older than
# `idle` is torn down cleanly and parked; a wake request resumes it.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

# age_session ID SECS: pretend the session woke SECS ago (idle is measured
# from max(activity, woke)).
age_session() {
	local f=$ROOST_HOME/state/$1.session
	sed "s/woke=[0-9]*/woke=$(($(date +%s) - $2))/" "$f" >"$f.new"
	mv "$f.new" "$f"
}

# parked_by_tick ID: start it with an old activity file and tick once.
park() {
	set_mtime $(($(date +%s) - 3600)) "$T/act"
	roost add "$1" --idle 60 --activity "$T/act" \
	    --resume "$T/prog/forever resumed" -- "$T/prog/forever" >/dev/null
	roost start "$1" >/dev/null
	wait_for 5 pid_alive "$(canary_pid "$1")"
	age_session "$1" 3600
	run roost tick
	assert_status 0
	[ -z "$output" ]
}

@test "an idle session is parked: clean teardown, .idle-reaped, ev=reap, no death, nothing left running" {
	park i
	not_running i
	[ -f "$ROOST_HOME/state/i.idle-reaped" ]
	[ ! -e "$ROOST_HOME/state/i.session" ]
	[ ! -e "$ROOST_HOME/state/i.canary" ]
	[ ! -e "$ROOST_HOME/state/i.deaths" ]
	[ ! -e "$ROOST_HOME/state/i.last-exit" ]
	[ ! -e "$ROOST_HOME/sock/i" ]
	[ "$(count_lines "$(LIFE)" 'ev=reap id=i reason=idle age=[0-9]+')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=teardown id=i reason=idle')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 0 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=server-exit')" -eq 0 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=session-exit')" -eq 0 ]
	assert_no_processes
	run roost status i
	assert_status 3
	[[ ${lines[1]} =~ ^i\ +parked\ +-\ +-\ +-\ +-\ +-\ +0\ +0\ +idle\ [0-9]+s\ ago$ ]]
}

@test "further ticks keep a parked session parked" {
	park i
	run roost tick
	assert_status 0
	run roost tick
	assert_status 0
	not_running i
	[ -f "$ROOST_HOME/state/i.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=reap')" -eq 1 ]
}

@test "touch .wake: the next tick resumes the parked session and consumes .wake and .idle-reaped" {
	park i
	touch "$ROOST_HOME/state/i.wake"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	is_running i
	grep -q 'mode=resume' "$ROOST_HOME/state/i.session"
	[ ! -e "$ROOST_HOME/state/i.wake" ]
	[ ! -e "$ROOST_HOME/state/i.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=i mode=resume cause=wake')" -eq 1 ]
	# The resume command runs, not the fresh one.
	wait_for 5 pgrep -f "$T/prog/forever resumed"
}

@test "a non-empty .queue/ resumes a parked session" {
	park i
	mkdir "$ROOST_HOME/state/i.queue"
	echo job >"$ROOST_HOME/state/i.queue/1"
	run roost tick
	assert_status 0
	is_running i
	grep -q 'mode=resume' "$ROOST_HOME/state/i.session"
	[ ! -e "$ROOST_HOME/state/i.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=i mode=resume cause=queue')" -eq 1 ]
	# The queue belongs to the program: roost leaves it alone.
	[ -f "$ROOST_HOME/state/i.queue/1" ]
}

@test "an empty .queue/ does not wake a parked session" {
	park i
	mkdir "$ROOST_HOME/state/i.queue"
	run roost tick
	assert_status 0
	not_running i
	[ -f "$ROOST_HOME/state/i.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 1 ]
}

@test "an activity directory counts the newest mtime of its entries" {
	mkdir "$T/actdir"
	echo a >"$T/actdir/old"
	echo b >"$T/actdir/new"
	set_mtime $(($(date +%s) - 7200)) "$T/actdir/old"
	set_mtime $(($(date +%s) - 3600)) "$T/actdir"
	roost add d --idle 60 --activity "$T/actdir" -- "$T/prog/forever" >/dev/null
	roost start d >/dev/null
	age_session d 3600
	run roost tick
	assert_status 0
	# "new" is fresh: still running.
	is_running d
	[ ! -e "$ROOST_HOME/state/d.idle-reaped" ]
	set_mtime $(($(date +%s) - 3600)) "$T/actdir/new" "$T/actdir"
	run roost tick
	assert_status 0
	not_running d
	[ -f "$ROOST_HOME/state/d.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=reap id=d reason=idle')" -eq 1 ]
}

@test "idle is measured from woke when the activity is older" {
	set_mtime $(($(date +%s) - 3600)) "$T/act"
	roost add y --idle 60 --activity "$T/act" -- "$T/prog/forever" >/dev/null
	roost start y >/dev/null
	# Just woke: the old activity file does not park it.
	run roost tick
	assert_status 0
	is_running y
	[ ! -e "$ROOST_HOME/state/y.idle-reaped" ]
}

@test "the pane log is the default activity source" {
	roost add l --idle 60 -- "$T/prog/forever" >/dev/null
	roost start l >/dev/null
	age_session l 3600
	set_mtime $(($(date +%s) - 3600)) "$ROOST_HOME/log/l.log"
	run roost tick
	assert_status 0
	not_running l
	[ -f "$ROOST_HOME/state/l.idle-reaped" ]
}

@test "idle=0 never parks" {
	set_mtime $(($(date +%s) - 3600)) "$T/act"
	roost add z --idle 0 --activity "$T/act" -- "$T/prog/forever" >/dev/null
	roost start z >/dev/null
	age_session z 86400
	run roost tick
	assert_status 0
	is_running z
	[ ! -e "$ROOST_HOME/state/z.idle-reaped" ]
	[ "$(count_lines "$(LIFE)" 'ev=reap')" -eq 0 ]
}
