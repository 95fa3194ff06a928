#!/usr/bin/env bats
# The program ends inside a live server: the pane-died hook records it
# (status or signal name), dismisses the canary, and the server exits
# cleanly -- never an ev=server-exit.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# ended ID SERVER_PID [CANARY_PID]: the program has ended and everything
# settled: the hook's line is there, the server and canary are gone.
ended() {
	local sp=$2 cp=${3:-}
	wait_for 10 exit_recorded "$1" "$sp"
	wait_for 5 pid_gone "$sp"
	[ -z "$cp" ] || wait_for 5 pid_gone "$cp"
	wait_for 5 sock_refuses "$1"
}

@test "program exits 3: ev=session-exit status=3, .last-exit, server gone, no server-exit" {
	add_id bob "$T/prog/held" "$T/prog/exitwith" 3
	roost start bob >/dev/null
	local sp cp pp line
	sp=$(server_pid bob)
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	cp=$(canary_pid bob 2>/dev/null || true)
	go bob
	ended bob "$sp" "$cp"
	[ "$(count_lines "$(exits_log)" 'ev=session-exit')" -eq 1 ]
	line=$(grep 'ev=session-exit' "$(exits_log)")
	[[ $line =~ ^$EXITS_TS\ ev=session-exit\ id=bob\ status=3\ signal=\ oom=\ pane_pid=$pp\ server_pid=$sp$ ]]
	[ "$(cat "$(state_of bob).last-exit")" = "$line" ]
	[ "$(server_exits)" -eq 0 ]
	[ ! -e "$(state_of bob).canary" ]
	[ -z "$(ls "$ROOST_HOME/log/server-deaths")" ]
	assert_no_processes
}

@test "program killed by SIGSEGV: ev=session-exit signal=SIGSEGV with no status, no server-exit" {
	add_id bob "$T/prog/held" "$T/prog/killself" SEGV
	roost start bob >/dev/null
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob 2>/dev/null || true)
	go bob
	ended bob "$sp" "$cp"
	[ "$(count_lines "$(exits_log)" 'ev=session-exit')" -eq 1 ]
	grep -qE "^$EXITS_TS ev=session-exit id=bob status= signal=SIGSEGV oom= pane_pid=[0-9]+ server_pid=$sp\$" "$(exits_log)"
	grep -q 'signal=SIGSEGV' "$(state_of bob).last-exit"
	[ "$(server_exits)" -eq 0 ]
	assert_no_processes
}

@test "program killed by SIGTERM: signal=SIGTERM; program exits 0: status=0" {
	add_id t "$T/prog/held" "$T/prog/killself" TERM
	add_id z "$T/prog/held" "$T/prog/exitwith" 0
	local st sz
	roost start t >/dev/null
	st=$(server_pid t)
	roost start z >/dev/null
	sz=$(server_pid z)
	go t
	go z
	ended t "$st"
	ended z "$sz"
	has_line "$(exits_log)" "ev=session-exit id=t status= signal=SIGTERM "
	has_line "$(exits_log)" "ev=session-exit id=z status=0 signal= "
	[ "$(server_exits)" -eq 0 ]
}

# The pane log holds what the program printed and nothing a shell says
# of its end ("Terminated", "Killed", "Segmentation fault").
@test "stopped, restarted or killed by a signal: roost output holds only what the program printed" {
	printf '#!/bin/sh\nprintf "said: %%s" "$1"\nexec sleep 600\n' >"$T/prog/says"
	chmod +x "$T/prog/says"
	# Several words (the argv rule) and one word (a command line).
	roost add bob -- "$T/prog/says" one >/dev/null
	roost add sue -- "$T/prog/says" >/dev/null
	roost start bob >/dev/null
	roost start sue >/dev/null
	wait_for 10 grep -q 'said: one' "$ROOST_HOME/log/bob.log"
	wait_for 10 grep -q 'said: ' "$ROOST_HOME/log/sue.log"
	roost restart bob --fresh >/dev/null
	wait_for 10 eval '[ "$(count_lines "$ROOST_HOME/log/bob.log" "said: one")" -eq 2 ]'
	roost stop bob >/dev/null
	roost stop sue >/dev/null
	run --separate-stderr roost output bob -n 100
	assert_status 0
	[[ ${lines[0]} =~ ^---\ roost:\ .*\ launch\ fresh\ ---$ ]]
	[ "${lines[1]}" = "said: one" ]
	[[ ${lines[2]} =~ ^---\ roost:\ .*\ launch\ fresh\ ---$ ]]
	[ "${lines[3]}" = "said: one" ]
	[ "${#lines[@]}" -eq 4 ]
	run --separate-stderr roost output sue -n 100
	assert_status 0
	[ "${lines[1]}" = "said: " ]
	[ "${#lines[@]}" -eq 2 ]
	# A program that a signal kills by itself: its death is recorded,
	# the shell's word for the signal is not in the output.
	add_id k "$T/prog/held" "$T/prog/killself" SEGV
	roost start k >/dev/null
	local sp
	sp=$(server_pid k)
	go k
	ended k "$sp"
	grep -q 'signal=SIGSEGV' "$(state_of k).last-exit"
	run --separate-stderr roost output k -n 100
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} =~ ^---\ roost:\ .*\ launch\ fresh\ ---$ ]]
}

@test "a program exiting with a status above 128 keeps its status (no signal invented)" {
	local sp
	add_id bob "$T/prog/held" "$T/prog/exitwith" 147
	roost start bob >/dev/null
	sp=$(server_pid bob)
	go bob
	ended bob "$sp"
	has_line "$(exits_log)" "ev=session-exit id=bob status=147 signal= "
}

@test "a program that ends at once is recorded by the hook, not as a server death" {
	add_id bob "$T/prog/exitwith" 5 0
	roost start bob >/dev/null
	local sp
	# .session may be gone already: the record names the server.
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status=5 "
	sp=$(sed -n 's/.*ev=session-exit id=bob .*server_pid=\([0-9]*\).*/\1/p' \
	    "$(exits_log)" | head -n 1)
	[ -n "$sp" ]
	ended bob "$sp"
	has_line "$(exits_log)" "ev=session-exit id=bob status=5 "
	wait_for 5 eval '[ ! -e "$(state_of bob).canary" ]'
	[ "$(server_exits)" -eq 0 ]
	assert_no_processes
}

@test "a server that misses the pane's SIGCHLD (utempter's window) is nudged by the pane-log writer and records the death" {
	# tools/chld-drop swallows the SIGCHLDs the kernel sends the server
	# and lets through the first one a process sends (the writer's).
	chld_drop_build
	add_id bob "$T/prog/held" "$T/prog/exitwith" 3
	roost start bob >/dev/null
	local sp
	sp=$(server_pid bob)
	chld_drop_attach "$sp"
	go bob
	# No nudge from here (ended's would be one): the writer's only.
	wait_for 15 has_line "$(exits_log)" "ev=session-exit id=bob status=3 "
	wait_for 5 pid_gone "$sp"
	# The server really missed the SIGCHLD that came first, and a
	# process (the pane-log writer) sent the one that made it reap.
	chld_drop_passed
	[ "$(server_exits)" -eq 0 ]
	assert_no_processes
}

@test "a respawned pane's lost SIGCHLD is nudged too: its launch script told the writer its pid" {
	chld_drop_build
	# The first run ends (status 3) once the test has read .session
	# (go1) and is respawned in the same server; the second waits for
	# go, then ends with status 4.
	printf '#!/bin/sh\nif [ ! -e "%s/ran" ]; then\n\t: >"%s/ran"\n\ti=0\n\twhile [ ! -e "%s/go1" ] && [ "$i" -lt 500 ]; do sleep 0.02; i=$((i + 1)); done\n\texit 3\nfi\nexec "%s/prog/held" "%s/prog/exitwith" 4\n' \
	    "$T" "$T" "$T" "$T" "$T" >"$T/prog/twice"
	chmod +x "$T/prog/twice"
	roost add bob --restart-delay 0 -- "$T/prog/twice" >/dev/null
	roost start bob >/dev/null
	local sp
	sp=$(server_pid bob)
	: >"$T/go1"
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	chld_drop_attach "$sp"
	go bob
	wait_for 15 has_line "$(exits_log)" "ev=session-exit id=bob status=4 "
	chld_drop_passed
	roost stop bob >/dev/null
	assert_no_processes
}
