#!/usr/bin/env bats
# Identities that cannot run: a deleted cwd, a command that is not found,
# a launch script edited to garbage.  Each death is recorded with a
# readable reason (.deaths, ev=death; the pane log holds the launch
# script's or the shell's message), the identity crash-loops after its
# limit, and a healthy identity beside it runs on untouched.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	roost add healthy -- "$T/prog/forever"
	roost start healthy
	HEALTHY_PID=$(server_pid healthy)
	HEALTHY_CANARY=$(canary_pid healthy)
}

teardown() { common_teardown; }

refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }

# Gone; while not, nudge the server: tmux built with utempter can miss
# the SIGCHLD of a pane that ends at once (no tick runs here to do it).
server_gone() {
	is_running "$1" || return 0
	kill -CHLD "$(server_pid "$1" 2>/dev/null)" 2>/dev/null
	return 1
}

# crash_loop ID LIMIT: start ID; each death is acted on at once (the
# pane-died hook asks for a pass), restarts back off, and LIMIT deaths
# crash-loop it.  No tick is run by hand.
crash_loop() {
	local id=$1 limit=$2
	run roost start "$id"
	assert_status 0
	wait_for 30 test -f "$ROOST_HOME/state/$id.crash-loop"
	wait_for 10 server_gone "$id"
	run --separate-stderr roost tick
	assert_status 0
	[ -z "$output" ]
}

# The id is crash-looped: marker, event, status, and a further tick
# launches nothing.
assert_crash_looped() {
	local id=$1 limit=$2 launches
	grep -qx "deaths=$limit window=300" "$ROOST_HOME/state/$id.crash-loop"
	grep -q "ev=refused id=$id cause=crash-loop deaths=$limit" "$(LIFE)"
	[ ! -e "$ROOST_HOME/state/$id.session" ]
	launches=$(count_lines "$(LIFE)" "ev=launch id=$id ")
	[ "$launches" -eq "$limit" ]
	run roost tick
	wait_for 10 server_gone "$id"
	[ "$(count_lines "$(LIFE)" "ev=launch id=$id ")" -eq "$launches" ]
	run roost status "$id"
	assert_status 3
	[[ ${lines[1]} =~ ^$id\ +crash-loop\ + ]]
	run --separate-stderr roost wake "$id"
	assert_status 3
	[[ $stderr == *"refused $id: crash-loop"* ]]
}

# The healthy identity ran through it all: same server, same canary, no
# death, nothing in exits.log about it.
assert_healthy_untouched() {
	is_running healthy
	[ "$(server_pid healthy)" = "$HEALTHY_PID" ]
	[ "$(canary_pid healthy)" = "$HEALTHY_CANARY" ]
	pid_alive "$HEALTHY_PID"
	pid_alive "$HEALTHY_CANARY"
	[ ! -e "$ROOST_HOME/state/healthy.deaths" ]
	[ "$(count_lines "$(LIFE)" 'ev=(death|teardown|launch) id=healthy ')" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" ' id=healthy ')" -eq 0 ]
	run roost status healthy
	assert_status 0
}

# Every .deaths line is "<epoch> <cause>" with the expected cause.
assert_deaths() {
	local id=$1 n=$2 cause=$3
	[ "$(wc -l <"$ROOST_HOME/state/$id.deaths")" -eq "$n" ]
	[ "$(count_lines "$ROOST_HOME/state/$id.deaths" "^[0-9]+ $cause\$")" -eq "$n" ]
}

@test "a deleted cwd: death recorded as launch-failed, the pane log says why, crash-loop after 3, others unaffected" {
	mkdir "$T/work"
	roost add gone --cwd "$T/work" -- "$T/prog/forever"
	rmdir "$T/work"
	crash_loop gone 3

	assert_deaths gone 3 'status=111 reason=launch-failed'
	[ "$(count_lines "$(LIFE)" 'ev=death id=gone cause="status=111" reason=launch-failed status=111 ')" -eq 3 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=session-exit id=gone status=111 signal= ')" -eq 3 ]
	wait_for 10 grep -q "roost: gone: cannot change to directory $T/work" "$ROOST_HOME/log/gone.log"
	run roost status gone
	[[ ${lines[1]} == *"status=111"* ]]
	assert_crash_looped gone 3
	assert_healthy_untouched
}

@test "a command not found: death recorded as command-not-found, the pane log names it, crash-loop after 2, others unaffected" {
	# A PATH directory the user may not search (root's, kept by su) makes
	# sh answer 126 "Permission denied" instead: search only what we may.
	local d p=
	local IFS=:
	for d in $PATH; do
		[ -d "$d" ] && [ -x "$d" ] && p=${p:+$p:}$d
	done
	unset IFS
	export PATH=$p
	roost add nocmd --crashloop 2/300 -- no-such-command-roost-test --flag
	crash_loop nocmd 2

	assert_deaths nocmd 2 'status=127 reason=command-not-found'
	[ "$(count_lines "$(LIFE)" 'ev=death id=nocmd cause="status=127" reason=command-not-found status=127 ')" -eq 2 ]
	wait_for 10 grep -q 'no-such-command-roost-test: .*not found' "$ROOST_HOME/log/nocmd.log"
	assert_crash_looped nocmd 2
	assert_healthy_untouched
}

@test "a launch script edited to garbage: death recorded with its status, the pane log holds the shell's error, crash-loop after 3, others unaffected" {
	roost add junk -- "$T/prog/forever"
	printf '#!/bin/sh\nif then ( fi {{\n' >"$ROOST_HOME/bin/junk.launch"
	cp "$ROOST_HOME/bin/junk.launch" "$T/junk.launch"
	crash_loop junk 3

	# roost never re-renders a launch script behind the user's back.
	cmp "$ROOST_HOME/bin/junk.launch" "$T/junk.launch"
	assert_deaths junk 3 'status=2'
	[ "$(count_lines "$(LIFE)" 'ev=death id=junk cause="status=2" status=2 ')" -eq 3 ]
	wait_for 10 grep -qi 'syntax error' "$ROOST_HOME/log/junk.log"
	assert_crash_looped junk 3
	assert_healthy_untouched
}

@test "a launch script edited to binary junk: death recorded, the pane log says why, crash-loop after 2, others unaffected" {
	roost add bin --cwd "$T" --crashloop 2/300 -- "$T/prog/forever"
	# A broken ELF header: execve refuses it; what runs it next may not.
	printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000\376\377\001\002\003\n' \
	    >"$ROOST_HOME/bin/bin.launch"
	crash_loop bin 2

	[ "$(count_lines "$ROOST_HOME/state/bin.deaths" '^[0-9]+ status=[0-9]+')" -eq 2 ]
	refute grep -q 'status=0' "$ROOST_HOME/state/bin.deaths"
	[ -s "$ROOST_HOME/log/bin.log" ]
	assert_crash_looped bin 2
	assert_healthy_untouched
}

@test "all three broken at once beside a healthy one: each crash-loops with its own reason, the healthy one runs on" {
	mkdir "$T/work"
	roost add gone --cwd "$T/work" -- "$T/prog/forever"
	rmdir "$T/work"
	roost add nocmd -- no-such-command-roost-test
	roost add junk -- "$T/prog/forever"
	printf 'garbage ((( {\n' >"$ROOST_HOME/bin/junk.launch"
	local id
	for id in gone nocmd junk; do
		run roost start "$id"
		assert_status 0
	done
	for id in gone nocmd junk; do
		wait_for 30 test -f "$ROOST_HOME/state/$id.crash-loop"
		wait_for 10 server_gone "$id"
	done
	assert_deaths gone 3 'status=111 reason=launch-failed'
	assert_deaths nocmd 3 'status=127 reason=command-not-found'
	assert_deaths junk 3 'status=2'
	for id in gone nocmd junk; do
		assert_crash_looped "$id" 3
	done
	assert_healthy_untouched
	# start clears the crash-loop and the deaths, and tries again (the
	# program dies at once again, so a new count may have begun).
	run roost start nocmd
	assert_status 0
	[ ! -e "$ROOST_HOME/state/nocmd.crash-loop" ]
	[ "$(count_lines "$ROOST_HOME/state/nocmd.deaths" .)" -lt 3 ]
}

@test "a hook that cannot be written, found while the new server starts: start exits 1 naming it and leaves no server, canary or .session" {
	roost add b -- "$T/prog/forever"
	rm -f "$ROOST_HOME/bin/pane-died"
	mkdir "$ROOST_HOME/bin/pane-died"

	run --separate-stderr roost start b
	assert_status 1
	[ "$stderr" = "roost: start: $ROOST_HOME/bin/pane-died: not a regular file" ]
	# The canary and its server had started: both are gone again.
	grep -q "ev=canary id=b state=spawned origin=launch" "$(LIFE)"
	grep -q "ev=teardown id=b reason=launch-failed" "$(LIFE)"
	[ ! -e "$ROOST_HOME/state/b.session" ]
	[ ! -e "$ROOST_HOME/state/b.canary" ]
	refute is_running b
	assert_no_processes "$(sock_of b)"
	assert_no_processes "$ROOST_HOME/bin/b.canary"

	rmdir "$ROOST_HOME/bin/pane-died"
	run roost start b
	assert_status 0
	is_running b
	assert_healthy_untouched
}
