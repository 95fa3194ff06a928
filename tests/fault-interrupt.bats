#!/usr/bin/env bats
# A stop or a restart interrupted half-way (Ctrl-C, a TERM, a hang-up)
# finishes what it began: never a program that ends unrecorded behind a
# server shown as running.  (Background jobs of a script ignore SIGINT,
# so these send TERM and HUP, held off by the same mask as INT.)

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	# Ends a second after its stop signal, saying when it got it.
	cat >"$T/prog/slowstop" <<EOS
#!/bin/sh
trap 'echo term >"$T/got-term"; sleep 1; exit 0' TERM
while :; do sleep 0.1; done
EOS
	chmod +x "$T/prog/slowstop"
	roost add a --restart always --restart-delay 0 -- "$T/prog/slowstop" >/dev/null
	roost start a >/dev/null
}

teardown() { common_teardown; }

# interrupt SIG CMD...: run roost CMD, send it SIG once the program has
# its stop signal (the hook is unset by then), wait for it to end.
interrupt() {
	local sig=$1 pid
	shift
	"$ROOST_BIN" "$@" >"$T/out" 2>&1 &
	pid=$!
	wait_for 10 test -e "$T/got-term"
	kill -"$sig" "$pid"
	wait_for 20 pid_gone "$pid"
	wait "$pid" 2>/dev/null || true
}

program_gone() {
	wait_for 5 sh -c '! pgrep -f "$1/prog/slowstop" >/dev/null' sh "$T"
}

@test "stop interrupted by TERM while the program ends: it is stopped, nothing shown running" {
	local spid
	spid=$(server_pid a)
	interrupt TERM stop a
	wait_for 5 pid_gone "$spid"
	run is_running a
	assert_status 1
	[ ! -e "$(state_of a).session" ]
	[ -e "$(state_of a).stopped" ]
	run roost status a --format logfmt
	assert_status 3
	assert_output_has "state=stopped"
	grep -q ' ev=teardown id=a reason=stop ' "$ROOST_HOME/log/lifecycle.log"
	program_gone
}

@test "restart interrupted by HUP while the program ends: it runs again, launched once" {
	local spid
	spid=$(server_pid a)
	interrupt HUP restart a
	wait_for 5 pid_gone "$spid"
	is_running a
	[ "$(server_pid a)" != "$spid" ]
	run roost status a --format logfmt
	assert_status 0
	assert_output_has "state=running"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=launch id=a ')" -eq 2 ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=a ')" -eq 0 ]
}
