#!/usr/bin/env bats
# add defines an identity (conf + rendered scripts, nothing launched);
# rm removes exactly what add and the markers made, and keeps the pane log
# (roost(1): COMMANDS, EXIT STATUS).

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# mode_of PATH: octal permission bits.
mode_of() { file_stat mode "$1"; }

# no_files_for ID: no conf, scripts or markers of ID exist.
no_files_for() {
	local left
	[ -d "$ROOST_HOME" ] || return 0	# nothing at all was written
	left=$(find "$ROOST_HOME" \( -name "$1.*" -o -name "$1" \) ! -type d)
	[ -z "$left" ] || { echo "left: $left" >&2; return 1; }
}

@test "add writes conf 0600, launch and canary 0700, the shared pane-died 0700" {
	run --separate-stderr roost add bob -- "$T/prog/forever"
	assert_status 0
	[ "$output" = "added bob" ]
	[ -z "$stderr" ]
	[ "$(mode_of "$ROOST_HOME/conf/bob.conf")" = 600 ]
	[ "$(mode_of "$ROOST_HOME/bin/bob.launch")" = 700 ]
	[ "$(mode_of "$ROOST_HOME/bin/bob.canary")" = 700 ]
	[ "$(mode_of "$ROOST_HOME/bin/pane-died")" = 700 ]
	grep -qx "command='$T/prog/forever'" "$ROOST_HOME/conf/bob.conf"
	# Defined, not launched.
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
	run roost status bob
	assert_status 3
}

@test "add logs ev=add with the command to lifecycle.log" {
	roost add bob -- 'echo hi'
	run grep -E '^ts=[0-9TZ:-]+ ev=add id=bob command="echo hi"$' \
	    "$ROOST_HOME/log/lifecycle.log"
	assert_status 0
}

@test "add stores every option in the conf" {
	mkdir "$T/work"
	run roost add bob --cwd "$T/work" --idle 0 --restart always \
	    --crashloop 5/60 --activity "$T/work" --resume "resume me" \
	    --restart-delay 4 --stop-keys "C-c" --stop-signal INT \
	    --stop-timeout 7 -- "run me"
	assert_status 0
	. "$ROOST_HOME/conf/bob.conf"
	[ "$command" = "run me" ]
	[ "$restart_delay" = 4 ]
	[ "$stop_keys" = C-c ]
	[ "$stop_signal" = INT ]
	[ "$stop_timeout" = 7 ]
	[ "$resume" = "resume me" ]
	[ "$cwd" = "$T/work" ]
	[ "$idle" = 0 ]
	[ "$restart" = always ]
	[ "$crashloop" = 5/60 ]
	[ "$activity" = "$T/work" ]
}

@test "a missing --cwd says how to make it: the mkdir it names, run by sh, makes the very directory" {
	cd "$T"
	run --separate-stderr roost add bob --cwd "it's a dir/sub" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --cwd it's a dir/sub: no such directory: create it first (mkdir -p '$T/it'\\''s a dir/sub') or give one that exists" ]
	[ ! -e "$ROOST_HOME" ]
	fix=${stderr#*create it first (}
	fix=${fix%) or give one that exists}
	sh -c "$fix"
	[ -d "$T/it's a dir/sub" ]
	run roost add bob --cwd "it's a dir/sub" -- true
	assert_status 0
	grep -q -F "cwd='$T/it'\\''s a dir/sub'" "$ROOST_HOME/conf/bob.conf"
}

@test "add makes a relative --cwd absolute" {
	mkdir "$T/rel"
	cd "$T"
	run roost add bob --cwd rel -- true
	assert_status 0
	grep -qx "cwd='$T/rel'" "$ROOST_HOME/conf/bob.conf"
}

@test "add keeps several words after -- exactly, each quoted for sh; one word stays a sh command line" {
	run roost add bob -- printf '%s\n' a b
	assert_status 0
	. "$ROOST_HOME/conf/bob.conf"
	[ "$command" = "'printf' '%s\n' 'a' 'b'" ]
	run roost add one -- 'echo $HOME; exit 3'
	assert_status 0
	. "$ROOST_HOME/conf/one.conf"
	[ "$command" = 'echo $HOME; exit 3' ]
}

@test "add refuses an existing id without --replace (exit 2) and leaves the conf byte-identical" {
	roost add bob --idle 60 -- "$T/prog/forever"
	cp -p "$ROOST_HOME/conf/bob.conf" "$T/before"
	cp -p "$ROOST_HOME/bin/bob.launch" "$T/before.launch"
	run --separate-stderr roost add bob -- something else
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: add: bob: already defined (use --replace to overwrite it)" ]
	cmp "$T/before" "$ROOST_HOME/conf/bob.conf"
	cmp "$T/before.launch" "$ROOST_HOME/bin/bob.launch"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=(add|replace) ')" -eq 1 ]
}

@test "add --replace overwrites the conf and logs ev=replace" {
	roost add bob --idle 60 -- "$T/prog/forever"
	run roost add bob --replace -- 'other command'
	assert_status 0
	[ "$output" = "added bob" ]
	. "$ROOST_HOME/conf/bob.conf"
	[ "$command" = "other command" ]
	[ "$idle" = 3600 ]
	[ "$(mode_of "$ROOST_HOME/conf/bob.conf")" = 600 ]
	grep -q ' ev=replace id=bob command="other command"$' "$ROOST_HOME/log/lifecycle.log"
}

@test "add with a bad --idle exits 2, names the value, writes nothing" {
	for v in x -1 1.5 "" 99999999999999999999; do
		run --separate-stderr roost add bob --idle "$v" -- true
		assert_status 2
		[ "$stderr" = "roost: add: --idle $v: not a number of seconds (0 = never)" ]
	done
	no_files_for bob
}

@test "add with a bad --restart exits 2, names the value, writes nothing" {
	for v in sometimes Always ""; do
		run --separate-stderr roost add bob --restart "$v" -- true
		assert_status 2
		[ "$stderr" = "roost: add: --restart $v: must be always, on-failure or never" ]
	done
	no_files_for bob
}

@test "add with a bad --crashloop exits 2, names the value, writes nothing" {
	for v in 3 0/300 3/0 /300 3/ a/b 3/300/1 -3/300 17/300; do
		run --separate-stderr roost add bob --crashloop "$v" -- true
		assert_status 2
		[ "$stderr" = "roost: add: --crashloop $v: must be N/SECS with N from 1 to 16 and SECS at least 1, e.g. 3/300" ]
	done
	no_files_for bob
}

@test "add with a bad --cwd exits 2, says why, writes nothing" {
	run --separate-stderr roost add bob --cwd "$T/missing" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --cwd $T/missing: no such directory: create it first (mkdir -p '$T/missing') or give one that exists" ]
	[ ! -e "$ROOST_HOME" ]
	run --separate-stderr roost add bob --cwd "$T/prog/forever" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --cwd $T/prog/forever: not a directory" ]
	run --separate-stderr roost add bob --cwd "" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --cwd: empty path" ]
	no_files_for bob
}

@test "add --replace with a bad option keeps the old definition" {
	roost add bob -- "$T/prog/forever"
	cp "$ROOST_HOME/conf/bob.conf" "$T/before"
	run roost add bob --replace --idle soon -- other
	assert_status 2
	cmp "$T/before" "$ROOST_HOME/conf/bob.conf"
}

@test "rm removes the conf, the scripts and exactly state/bob.*, never bob2's or bob-x's" {
	roost add bob -- true
	roost add bob2 -- true
	roost add bob-x -- true
	local s=$ROOST_HOME/state
	for id in bob bob2 bob-x; do
		touch "$s/$id.wake" "$s/$id.stopped" "$s/$id.idle-reaped"
		echo "1 status=1" >"$s/$id.deaths"
		echo "deaths=3 window=300" >"$s/$id.crash-loop"
		echo "ts=x ev=session-exit id=$id" >"$s/$id.last-exit"
		mkdir "$s/$id.queue"
		touch "$s/$id.queue/item1"
	done
	touch "$s/bobby.wake" "$s/.tick.lock"
	run --separate-stderr roost rm bob
	assert_status 0
	[ "${lines[0]}" = "removed bob" ]
	[[ ${lines[1]} == "purged: "* ]]
	local p
	for p in bob.wake bob.stopped bob.idle-reaped bob.deaths bob.crash-loop \
	    bob.last-exit bob.queue; do
		[[ " ${lines[1]#purged: } " == *" $p "* ]] || {
			echo "purged line lacks $p: ${lines[1]}" >&2
			false
		}
	done
	[ -z "$(ls -A "$s" | grep '^bob\.')" ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	[ ! -e "$ROOST_HOME/bin/bob.launch" ]
	[ ! -e "$ROOST_HOME/bin/bob.canary" ]
	# Shared and other identities' files are untouched.
	[ -f "$ROOST_HOME/bin/pane-died" ]
	[ -f "$s/.tick.lock" ]
	# The lock outlives the identity: one removed under a waiting opener
	# would let two launches run at once.
	[ -f "$ROOST_HOME/lock/bob" ]
	[ -f "$s/bobby.wake" ]
	for id in bob2 bob-x; do
		for m in wake stopped idle-reaped deaths crash-loop last-exit; do
			[ -f "$s/$id.$m" ]
		done
		[ -f "$s/$id.queue/item1" ]
		[ -f "$ROOST_HOME/conf/$id.conf" ]
		[ -f "$ROOST_HOME/bin/$id.launch" ]
		[ -f "$ROOST_HOME/bin/$id.canary" ]
	done
	grep -q ' ev=purge id=bob removed=' "$ROOST_HOME/log/lifecycle.log"
	run roost status bob
	assert_status 4
}

@test "rm keeps log/bob.log and says so with a kept: line" {
	roost add bob -- true
	echo "pane output" >"$ROOST_HOME/log/bob.log"
	run roost rm bob
	assert_status 0
	[ "${lines[0]}" = "removed bob" ]
	[ "${lines[2]}" = "kept: $ROOST_HOME/log/bob.log" ]
	[ "$(cat "$ROOST_HOME/log/bob.log")" = "pane output" ]
}

@test "rm without a pane log prints no kept: line" {
	roost add bob -- true
	run roost rm bob
	assert_status 0
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "removed bob" ]
	[[ ${lines[1]} == "purged: "* ]]
}

@test "rm of an unknown id exits 4 and names it" {
	roost add bob -- true
	run --separate-stderr roost rm nobody
	assert_status 4
	[ "$stderr" = "roost: rm: nobody: unknown identity" ]
	[ -f "$ROOST_HOME/conf/bob.conf" ]
}

@test "rm of an unknown id in a home that does not exist exits 4" {
	run --separate-stderr roost rm nobody
	assert_status 4
	[ "$stderr" = "roost: rm: nobody: unknown identity" ]
	[ ! -e "$ROOST_HOME" ]
}

@test "rm of a running id without --force exits 3 and leaves it running" {
	roost add bob -- "$T/prog/forever"
	run roost start bob
	assert_status 0
	wait_for 5 is_running bob
	run --separate-stderr roost rm bob
	assert_status 3
	[ "$stderr" = "roost: rm: bob: running (stop it first, or use --force)" ]
	is_running bob
	[ -f "$ROOST_HOME/conf/bob.conf" ]
	[ -f "$ROOST_HOME/state/bob.session" ]
}

@test "rm --force of a running id tears it down, removes it, and leaves no process" {
	roost add bob -- "$T/prog/forever"
	roost start bob
	wait_for 5 is_running bob
	local spid cpid
	spid=$(server_pid bob)
	wait_for 5 test -s "$ROOST_HOME/state/bob.canary"
	cpid=$(canary_pid bob)
	run roost rm --force bob
	assert_status 0
	[ "${lines[0]}" = "removed bob" ]
	run is_running bob
	[ "$status" -ne 0 ]
	[ ! -e "$ROOST_HOME/sock/bob" ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	[ -z "$(ls -A "$ROOST_HOME/state" | grep '^bob\.')" ]
	wait_for 5 pid_gone "$spid"
	wait_for 5 pid_gone "$cpid"
	# A clean teardown: no death was recorded anywhere.
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=server-exit')" -eq 0 ]
	assert_no_processes
}
