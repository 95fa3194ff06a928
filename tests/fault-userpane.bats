#!/usr/bin/env bats
# What a person does inside a session is not a death: a pane they split
# beside the program, or a window they open, ends without touching the
# program, its record or its canary.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	roost add a --restart on-failure -- "$T/prog/forever"
	roost start a >/dev/null
}

teardown() { common_teardown; }

panes() {
	"$TMUX_BIN" -S "$(sock_of a)" list-panes -s -t =a: -F '#{pane_id}' 2>/dev/null | wc -l
}

one_pane() { [ "$(panes)" -eq 1 ]; }

# A person's extra pane (split or window) ends: the program, its server,
# its canary and .session stay; no exit record, no death.
assert_untouched() {
	local spid=$1 cpid=$2
	wait_for 10 one_pane
	roost tick a
	is_running a
	pid_alive "$spid"
	pid_alive "$cpid"
	[ "$(server_pid a)" = "$spid" ]
	[ "$(canary_pid a)" = "$cpid" ]
	[ ! -e "$(state_of a).last-exit" ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=session-exit')" -eq 0 ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=death')" -eq 0 ]
	run roost status a --format logfmt
	assert_status 0
	assert_output_has "state=running"
}

@test "the program's pane is recorded: pane_id= in .session, @roost-pane in tmux" {
	local id
	id=$(sed -n 's/.* pane_id=\(%[0-9]*\).*/\1/p' "$(state_of a).session")
	[ -n "$id" ]
	[ "$("$TMUX_BIN" -S "$(sock_of a)" show-options -v -t =a: @roost-pane)" = "$id" ]
	[ "$("$TMUX_BIN" -S "$(sock_of a)" display-message -p -t =a: '#{pane_id}')" = "$id" ]
}

@test "a pane split beside the program ends: no death, the program runs on" {
	local spid cpid
	spid=$(server_pid a)
	cpid=$(canary_pid a)
	"$TMUX_BIN" -S "$(sock_of a)" split-window -t =a: "exit 0"
	assert_untouched "$spid" "$cpid"
}

@test "a pane split beside the program dies of a signal: no death, the program runs on" {
	local spid cpid
	spid=$(server_pid a)
	cpid=$(canary_pid a)
	"$TMUX_BIN" -S "$(sock_of a)" split-window -t =a: 'kill -9 $$'
	assert_untouched "$spid" "$cpid"
}

@test "a window opened beside the program ends: no death, the program runs on" {
	local spid cpid
	spid=$(server_pid a)
	cpid=$(canary_pid a)
	"$TMUX_BIN" -S "$(sock_of a)" new-window -t =a: "exit 3"
	assert_untouched "$spid" "$cpid"
}

@test "the program ends while a person's pane is open: its death is recorded, the program comes back in the same server beside that pane" {
	local spid ppid
	spid=$(server_pid a)
	ppid=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of a).session")
	"$TMUX_BIN" -S "$(sock_of a)" split-window -t =a: "$T/prog/forever"
	wait_for 10 eval '[ "$(panes)" -eq 2 ]'
	kill -TERM -- "-$ppid"
	wait_for 10 test -e "$(state_of a).last-exit"
	grep -q ' ev=session-exit id=a .*signal=SIGTERM' "$(state_of a).last-exit"
	wait_for 10 grep -q "ev=launch id=a mode=fresh cause=restart server_pid=$spid respawn=yes" "$ROOST_HOME/log/lifecycle.log"
	grep -q 'ev=death id=a cause=SIGTERM ' "$ROOST_HOME/log/lifecycle.log"
	pid_alive "$spid"
	[ "$(panes)" -eq 2 ]
}
