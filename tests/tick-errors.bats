#!/usr/bin/env bats
# One identity's failure never stops the pass over the others; a tick that
# has nothing to supervise is a quiet no-op.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

@test "a broken conf: ev=error and a message for that id, exit 0, the others still supervised in the same pass" {
	local sp
	roost add a -- "$T/prog/forever" >/dev/null
	roost add bad -- "$T/prog/forever" >/dev/null
	roost add z -- "$T/prog/forever" >/dev/null
	roost start a >/dev/null
	sp=$(server_pid a)
	printf 'command=%s\nthis is not a conf line\n' "'$T/prog/forever'" \
	    >"$ROOST_HOME/conf/bad.conf"
	# z, after "bad" in the pass, asks to be launched.
	: >"$ROOST_HOME/state/z.wake"
	"$ROOST_BIN" tick >"$T/out" 2>"$T/err"
	cat "$T/err" >&2
	[ ! -s "$T/out" ]
	grep -q '^roost: tick: bad: .*bad\.conf' "$T/err"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=error id=bad ')" -eq 1 ]
	# z was launched all the same; a untouched.
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z mode=fresh cause=wake')" -eq 1 ]
	is_running z
	is_running a
	[ "$(server_pid a)" = "$sp" ]
	[ "$(count_lines "$(LIFE)" 'ev=tick ids=3 ')" -eq 1 ]
}

@test "a broken conf of a running identity does not tear it down" {
	roost add r -- "$T/prog/forever" >/dev/null
	roost start r >/dev/null
	printf 'idle=soon\n' >>"$ROOST_HOME/conf/r.conf"
	run roost tick
	assert_status 0
	assert_output_has "roost: tick: r: "
	is_running r
	[ "$(count_lines "$(LIFE)" 'ev=error id=r ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=teardown')" -eq 0 ]
}

@test "tick on a home that does not exist: exit 0, nothing created" {
	export ROOST_HOME=$T/nohome
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ ! -e "$T/nohome" ]
	run roost tick --verbose
	assert_status 0
	[ ! -e "$T/nohome" ]
}

@test "tick and status on a home not yet filled in: exit 0, quiet, nothing created" {
	mkdir -m 700 "$ROOST_HOME"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	run roost tick --verbose
	assert_status 0
	[ -z "$(ls -A "$ROOST_HOME")" ]
	run --separate-stderr roost status
	assert_status 0
	[ "${lines[0]}" = "no identities yet: roost add <id> -- <command> defines one" ]
	[ "${lines[1]}" = "tick: no scheduler entry, no pass yet" ]
	[ -z "$(ls -A "$ROOST_HOME")" ]
}

@test "a launch that fails for one identity is logged and the pass goes on" {
	roost add a -- "$T/prog/forever" >/dev/null
	roost add z -- "$T/prog/forever" >/dev/null
	touch "$ROOST_HOME/state/a.wake" "$ROOST_HOME/state/z.wake"
	# Something that is not a socket sits where a's socket goes.
	mkdir "$ROOST_HOME/sock/a"
	echo keep >"$ROOST_HOME/sock/a/file"
	"$ROOST_BIN" tick >"$T/out" 2>"$T/err"
	cat "$T/err" >&2
	[ ! -s "$T/out" ]
	grep -q '^roost: tick: a: ' "$T/err"
	[ "$(count_lines "$(LIFE)" 'ev=error id=a ')" -ge 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=a ')" -eq 0 ]
	not_running a
	# The request stays for a later pass; z was launched all the same.
	[ -f "$ROOST_HOME/state/a.wake" ]
	is_running z
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z mode=fresh cause=wake')" -eq 1 ]
	[ -f "$ROOST_HOME/sock/a/file" ]
}

@test "tick of an identity that does not exist: exit 4 from the command line, nothing from a hook's pass" {
	roost add a -- sleep 1000 >/dev/null
	run --separate-stderr roost tick nosuch
	assert_status 4
	[ "$stderr" = "roost: tick: nosuch: unknown identity" ]
	run --separate-stderr roost tick a nosuch
	assert_status 4
	[ "$stderr" = "roost: tick: nosuch: unknown identity" ]
	not_running a
	# A pane-died hook or a canary of an identity removed since.
	run --separate-stderr roost tick --origin death nosuch
	assert_status 0
	[ -z "$output" ] && [ -z "$stderr" ]
	[ ! -e "$ROOST_HOME/lock/nosuch" ]
	[ ! -e "$ROOST_HOME/state/nosuch.canary" ]
}
