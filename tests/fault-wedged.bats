#!/usr/bin/env bats
# A server that accepts connections and answers nothing (SIGSTOPped) is
# `wedged` in status, and start says so at once; a socket that is not
# this home's server is `foreign`.  The healthy running case asks tmux
# nothing.

load helpers
bats_require_minimum_version 1.5.0

STOPPED=

setup() { common_setup; }
teardown() {
	[ -z "$STOPPED" ] || kill -CONT "$STOPPED" 2>/dev/null
	common_teardown
}

@test "a SIGSTOPped server is wedged in status (exit 3), and start says what it found, at once" {
	roost add w -- "$T/prog/forever"
	roost start w >/dev/null
	local spid
	spid=$(server_pid w)
	kill -STOP "$spid"
	STOPPED=$spid
	# A signal is delivered a moment after kill(2) returns.
	wait_for 5 eval '[ "$(ps -o stat= -p "$spid" | cut -c1)" = T ]'
	run --separate-stderr roost status w --format logfmt
	assert_status 3
	[[ $output == *"state=wedged doing= ready= "* ]]
	local t0
	t0=$(now_ms)
	run --separate-stderr roost start w
	assert_status 1
	[ "$stderr" = "roost: start: w: its tmux server (pid $spid) on $(sock_of w) is wedged: stopped by a signal, it accepts connections and answers nothing (kill -CONT $spid resumes it; roost restart w replaces it)" ]
	# No wait for an answer that cannot come.
	[ $(($(now_ms) - t0)) -lt 4000 ]
	kill -CONT "$spid"
	STOPPED=
	run roost status w --format logfmt
	assert_status 0
	[[ $output == *"state=running"* ]]
}

@test "another home's server on the identity's socket (a shared socket dir) is foreign in status" {
	export ROOST_SOCK_DIR=$T/sock
	mkdir -p "$ROOST_SOCK_DIR"
	chmod 0700 "$ROOST_SOCK_DIR"
	roost -H "$T/other" add f -- "$T/prog/forever" >/dev/null
	roost -H "$T/other" start f >/dev/null
	roost add f -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost status f --format logfmt
	assert_status 3
	[[ $output == *"state=foreign"* ]]
	# Its own home sees it running.
	run roost -H "$T/other" status f --format logfmt
	assert_status 0
	[[ $output == *"state=running"* ]]
}

@test "a plain tmux server (not roost's) on the socket is foreign in status" {
	roost add p -- "$T/prog/forever" >/dev/null
	mkdir -p "$ROOST_HOME/sock"
	"$TMUX_BIN" -S "$(sock_of p)" -f /dev/null new-session -d -s p "$T/prog/forever"
	run --separate-stderr roost status p --format logfmt
	assert_status 3
	[[ $output == *"state=foreign"* ]]
}
