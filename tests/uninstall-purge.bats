#!/usr/bin/env bats
# uninstall-purge.bats - `roost uninstall --purge`: refuses without a
# terminal unless --yes; with --yes stops every session cleanly, removes
# the scheduler entry and deletes the home.

load helpers
load install-helpers

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

@test "--purge without a terminal and without --yes: exit 2, a message, nothing deleted" {
	printf '# mine\n' >"$T/crontab"
	roost add bob -- "$T/prog/forever"
	roost install --scheduler cron
	cp "$T/crontab" "$T/installed"
	(cd "$ROOST_HOME" && find . | sort) >"$T/tree1"
	: >"$T/crontab.calls"
	run roost uninstall --purge </dev/null
	assert_status 2
	assert_output_has "roost: uninstall: --purge deletes $ROOST_HOME: without a terminal it needs --yes"
	[ -f "$ROOST_HOME/conf/bob.conf" ]
	(cd "$ROOST_HOME" && find . | sort) >"$T/tree2"
	diff -u "$T/tree1" "$T/tree2"
	cmp "$T/installed" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
}

@test "--purge --yes stops running sessions, removes the entry and the home, leaves no process" {
	printf '# mine\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	roost add bob -- "$T/prog/forever"
	roost add alice -- "$T/prog/forever"
	roost install --scheduler cron
	roost start bob
	roost start alice
	wait_for 5 is_running bob
	wait_for 5 is_running alice
	spid=$(server_pid bob)
	wait_for 5 test -s "$(state_of bob).canary"
	cpid=$(canary_pid bob)
	pid_alive "$spid"
	pid_alive "$cpid"
	run --separate-stderr roost uninstall --purge --yes </dev/null
	assert_status 0
	[[ $stderr == *"roost: uninstall: purging $ROOST_HOME: 2 identities, their markers, scripts and logs"* ]]
	assert_output_has "removed cron entry"
	assert_output_has "stopped alice"
	assert_output_has "stopped bob"
	assert_output_has "removed home $ROOST_HOME"
	[ ! -e "$ROOST_HOME" ]
	cmp "$T/orig" "$T/crontab"
	wait_for 5 pid_gone "$spid"
	wait_for 5 pid_gone "$cpid"
	assert_no_processes
}

@test "--purge --yes after a death removes the whole home: the death's lock and episode files are roost's" {
	roost add bob -- "$T/prog/exitwith" 1 0.2
	roost start bob
	wait_for 10 grep -q ' ev=death id=bob ' "$ROOST_HOME/log/lifecycle.log"
	wait_for 5 test -e "$ROOST_HOME/lock/.mass"
	run --separate-stderr roost uninstall --purge --yes </dev/null
	assert_status 0
	assert_output_has "removed home $ROOST_HOME"
	[[ $output != *kept* ]]
	[ ! -e "$ROOST_HOME" ]
	assert_no_processes
}

@test "--purge --yes removes every forensics snapshot as roost's: both names, the longest identity" {
	local id
	id=$(printf 'a%.0s' $(seq 1 64))
	roost add "$id" -- "$T/prog/forever" >/dev/null
	: >"$ROOST_HOME/log/server-deaths/$id-1796000000-4242.txt"
	: >"$ROOST_HOME/log/server-deaths/$id-1796000000.txt"
	: >"$ROOST_HOME/log/server-deaths/x-1-1796000000-4242.txt"
	run --separate-stderr roost uninstall --purge --yes </dev/null
	assert_status 0
	assert_output_has "removed home $ROOST_HOME"
	[[ $output != *kept* ]] || { echo "$output" >&2; false; }
	[ ! -e "$ROOST_HOME" ]
}

@test "--purge --yes on a home that is already gone removes the entry and says so" {
	printf '# mine\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	roost install --scheduler cron
	rm -rf "$ROOST_HOME"
	run roost uninstall --purge --yes </dev/null
	assert_status 0
	assert_output_has "removed cron entry"
	assert_output_has "unchanged home $ROOST_HOME (absent)"
	cmp "$T/orig" "$T/crontab"
}

@test "plain uninstall keeps the home and the running sessions" {
	roost add bob -- "$T/prog/forever"
	roost install --scheduler cron
	roost start bob
	wait_for 5 is_running bob
	run roost uninstall </dev/null
	assert_status 0
	assert_output_has "removed cron entry"
	is_running bob
	[ -f "$ROOST_HOME/conf/bob.conf" ]
	roost stop bob
}

# on_tty ANSWER ARGS...: run roost ARGS on a pseudo-terminal (script(1))
# typing ANSWER at it.
on_tty() {
	local answer=$1
	shift
	need_tool script
	printf '%s\n' "$answer" >"$T/answer"
	run in_tty "$(printf '%q ' "$ROOST_BIN" "$@")" <"$T/answer"
}

@test "--purge on a terminal asks first: no deletes nothing, not even the entry; y purges" {
	printf '# mine\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	roost add bob -- "$T/prog/forever"
	roost install --scheduler cron
	cp "$T/crontab" "$T/installed"
	on_tty n uninstall --purge
	assert_status 3
	assert_output_has "purging $ROOST_HOME: 1 identity"
	assert_output_has "delete $ROOST_HOME and everything in it? [y/N]"
	assert_output_has "roost: uninstall: not confirmed: nothing deleted"
	cmp "$T/installed" "$T/crontab"
	[ -f "$ROOST_HOME/conf/bob.conf" ]
	on_tty y uninstall --purge
	assert_status 0
	assert_output_has "removed home $ROOST_HOME"
	[ ! -e "$ROOST_HOME" ]
	cmp "$T/orig" "$T/crontab"
}

@test "--purge of a home that holds a person's own files: roost's are removed, theirs are kept and named" {
	mkdir -p "$ROOST_HOME"
	chmod 0700 "$ROOST_HOME"
	echo notes >"$ROOST_HOME/notes.txt"
	echo rc >"$ROOST_HOME/.profile"
	mkdir "$ROOST_HOME/project"
	echo code >"$ROOST_HOME/project/main.c"
	roost add bob -- "$T/prog/forever"
	roost start bob >/dev/null
	echo mine >"$ROOST_HOME/log/my-notes"
	echo mine >"$ROOST_HOME/state/README"
	mkdir -p "$ROOST_HOME/hooks"
	printf '#!/bin/sh\n' >"$ROOST_HOME/hooks/death"
	chmod 0700 "$ROOST_HOME/hooks/death"
	run --separate-stderr roost uninstall --purge --yes </dev/null
	assert_status 0
	assert_output_has "stopped bob"
	assert_output_has "kept $ROOST_HOME/notes.txt"
	assert_output_has "kept $ROOST_HOME/.profile"
	assert_output_has "kept $ROOST_HOME/project"
	assert_output_has "kept $ROOST_HOME/log/my-notes"
	assert_output_has "kept $ROOST_HOME/state/README"
	assert_output_has "removed roost's files from home $ROOST_HOME (it holds others)"
	[ "$(cat "$ROOST_HOME/notes.txt")" = notes ]
	[ "$(cat "$ROOST_HOME/project/main.c")" = code ]
	[ "$(cat "$ROOST_HOME/log/my-notes")" = mine ]
	[ "$(cat "$ROOST_HOME/state/README")" = mine ]
	# Everything of roost's is gone.
	[ ! -e "$ROOST_HOME/conf" ]
	[ ! -e "$ROOST_HOME/bin" ]
	[ ! -e "$ROOST_HOME/lock" ]
	[ ! -e "$ROOST_HOME/hooks" ]
	[ ! -e "$ROOST_HOME/sock" ]
	[ -z "$(ls -A "$ROOST_HOME/state" | grep -v '^README$')" ]
	[ -z "$(ls -A "$ROOST_HOME/log" | grep -v '^my-notes$')" ]
	assert_no_processes
}
