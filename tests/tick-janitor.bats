#!/usr/bin/env bats
# The tick's log janitor: pane logs over 32 MiB are cut to their newest
# 8 MiB in place; lifecycle.log and exits.log rotate at 5 MiB keeping five.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

MiB=1048576

@test "a pane log over 32 MiB is cut to its newest 8 MiB, from a line boundary, keeping the tail" {
	local log=$ROOST_HOME/log/p.log size
	roost add p -- "$T/prog/forever" >/dev/null
	roost start p >/dev/null
	# 25 MiB of hole, then 9 MiB of lines, then a known last line.
	set_size $((25 * MiB)) "$log"
	yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c $((9 * MiB)) >>"$log"
	printf '\nTHE-LAST-LINE\n' >>"$log"
	[ "$(file_stat size "$log")" -gt $((32 * MiB)) ]
	run roost tick
	assert_status 0
	[ -z "$output" ]
	size=$(file_stat size "$log")
	[ "$size" -le $((8 * MiB)) ]
	[ "$size" -gt $((8 * MiB - 64)) ]
	[ "$(tail -n 1 "$log")" = "THE-LAST-LINE" ]
	# It starts with a whole line.
	[ "$(head -n 1 "$log")" = "0123456789abcdefghijklmnopqrstuvwxyz" ]
	is_running p
}

@test "a pane log under 32 MiB is left alone" {
	local log=$ROOST_HOME/log/q.log
	roost add q -- "$T/prog/forever" >/dev/null
	roost start q >/dev/null
	set_size $((31 * MiB)) "$log"
	run roost tick
	assert_status 0
	[ "$(file_stat size "$log")" -eq $((31 * MiB)) ]
}

@test "the pane keeps logging into the cut file" {
	local log=$ROOST_HOME/log/e.log
	printf '#!/bin/sh\nwhile :; do read -r l; echo "got:$l"; done\n' \
	    >"$T/prog/echoer"
	chmod +x "$T/prog/echoer"
	roost add e -- "$T/prog/echoer" >/dev/null
	roost start e >/dev/null
	set_size $((33 * MiB)) "$log"
	printf 'tail\n' >>"$log"
	run roost tick
	assert_status 0
	[ "$(file_stat size "$log")" -le $((8 * MiB)) ]
	"$TMUX_BIN" -S "$(sock_of e)" send-keys -t e 'after-cut' Enter
	wait_for 5 grep -q 'got:after-cut' "$log"
	[ "$(file_stat size "$log")" -le $((8 * MiB + 4096)) ]
}

@test "lifecycle.log and exits.log over 5 MiB rotate to .1, older ones shift, five kept" {
	local d=$ROOST_HOME/log i
	roost add r -- "$T/prog/forever" >/dev/null
	for i in 1 2 3 4 5; do
		echo "old lifecycle $i" >"$d/lifecycle.log.$i"
	done
	set_size $((5 * MiB + 1)) "$d/lifecycle.log"
	set_size $((6 * MiB)) "$d/exits.log"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ "$(file_stat size "$d/lifecycle.log.1")" -eq $((5 * MiB + 1)) ]
	[ "$(cat "$d/lifecycle.log.2")" = "old lifecycle 1" ]
	[ "$(cat "$d/lifecycle.log.5")" = "old lifecycle 4" ]
	[ ! -e "$d/lifecycle.log.6" ]
	[ "$(file_stat size "$d/exits.log.1")" -eq $((6 * MiB)) ]
	# The live logs start afresh (a quiet tick need not write one).
	[ ! -e "$d/lifecycle.log" ] || [ "$(file_stat size "$d/lifecycle.log")" -lt $MiB ]
	[ ! -e "$d/exits.log" ] || [ "$(file_stat size "$d/exits.log")" -lt $MiB ]
	# Logging goes on into the new file.
	run roost tick --verbose
	assert_status 0
	grep -q 'ev=tick ids=1 ' "$d/lifecycle.log"
}

@test "logs under 5 MiB do not rotate" {
	local d=$ROOST_HOME/log
	roost add r -- "$T/prog/forever" >/dev/null
	set_size $((5 * MiB - 100)) "$d/lifecycle.log"
	run roost tick
	assert_status 0
	[ ! -e "$d/lifecycle.log.1" ]
	[ "$(file_stat size "$d/lifecycle.log")" -eq $((5 * MiB - 100)) ]
}
