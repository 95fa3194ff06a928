#!/usr/bin/env bats
# Clean teardowns (stop, restart, rm --force, a launch over a stale
# socket) never produce a death record and leave no process behind.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

no_death_records() {
	[ ! -e "$(exits_log)" ] || [ "$(server_exits)" -eq 0 ]
	[ -z "$(ls "$ROOST_HOME/log/server-deaths" 2>/dev/null)" ]
}

@test "stop: no server-exit record, no process left, socket gone" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	run roost stop bob
	assert_status 0
	[ "$output" = "stopped bob" ]
	wait_for 5 pid_gone "$sp"
	pid_gone "$cp"
	[ ! -e "$(sock_of bob)" ]
	no_death_records
	[ ! -e "$(state_of bob).last-exit" ]
	assert_no_processes
	assert_no_processes "$ROOST_HOME"
	# A second stop is harmless.
	run roost stop bob
	assert_status 0
	[ "$output" = "stopped bob" ]
	no_death_records
}

@test "stop: a program that ignores SIGHUP and SIGTERM is still gone afterwards" {
	printf '#!/bin/sh\ntrap "" HUP TERM\nwhile :; do sleep 1; done\n' >"$T/prog/stubborn"
	chmod +x "$T/prog/stubborn"
	# stop_timeout 1: its default of 10 s is stop-graceful.bats' to wait out.
	roost add bob --restart never --stop-timeout 1 -- "$T/prog/stubborn" >/dev/null
	start_id bob
	wait_for 5 pgrep -f "$T/prog/stubborn"
	run roost stop bob
	assert_status 0
	no_death_records
	assert_no_processes
}

@test "restart: the old server and canary go without a record; only the new session runs" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	run roost restart bob
	assert_status 0
	wait_for 5 pid_gone "$sp"
	pid_gone "$cp"
	wait_for 5 canary_waiting bob
	no_death_records
	[ "$(pgrep -f "$T/prog/forever" | wc -l)" -ge 1 ]
	# Exactly one server and one canary for bob.
	# (the pattern goes through the environment: an argument would put
	# it in the filter's own command line, which ps lists too)
	[ "$(procs_naming "$(sock_of bob)" |
	    S="-S $(sock_of bob) " awk 'index($0, ENVIRON["S"])' | wc -l)" -eq 1 ]
	[ "$(pgrep -f "$ROOST_HOME/bin/bob.canary" | wc -l)" -eq 1 ]
	roost stop bob >/dev/null
	no_death_records
	assert_no_processes
}

@test "rm --force: clean teardown, no record, nothing left; rm without --force refuses a running session" {
	add_id bob "$T/prog/forever"
	add_id bob2 "$T/prog/forever"
	start_id bob
	run --separate-stderr roost rm bob
	assert_status 3
	[[ $stderr == "roost: rm: "*bob*running* ]]
	is_running bob
	run roost rm bob --force
	assert_status 0
	[ "${lines[0]}" = "removed bob" ]
	assert_output_has "purged: "
	no_death_records
	assert_no_processes
	assert_no_processes "$ROOST_HOME"
	[ -z "$(ls "$ROOST_HOME/state" | grep '^bob\.')" ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	[ ! -e "$ROOST_HOME/bin/bob.canary" ]
	[ -f "$ROOST_HOME/log/bob.log" ]
	[ -f "$ROOST_HOME/conf/bob2.conf" ]
}

@test "launch over a stale socket (a tmux server SIGKILLed outside roost): no record, new session up, nothing left after stop" {
	add_id bob "$T/prog/forever"
	local sock=$(sock_of bob) old
	"$TMUX_BIN" -S "$sock" -f /dev/null new-session -d -s bob "$T/prog/forever"
	old=$("$TMUX_BIN" -S "$sock" display-message -p '#{pid}')
	kill -9 "$old"
	wait_for 5 pid_gone "$old"
	[ -S "$sock" ]
	sock_refuses bob
	run roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	[ "$(server_pid bob)" != "$old" ]
	wait_for 5 canary_waiting bob
	no_death_records
	roost stop bob >/dev/null
	pkill -f "$T/prog/forever" 2>/dev/null || true	# the outside server's orphan
	wait_for 5 eval '! pgrep -f "$T/prog/forever" >/dev/null'
	no_death_records
	assert_no_processes
	assert_no_processes "$ROOST_HOME"
}

@test "launch over a stale socket left by a roost server whose canary was dismissed: no record" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -TERM "$cp"
	wait_for 5 pid_gone "$cp"
	kill -9 "$sp"
	wait_for 5 pid_gone "$sp"
	rm -f "$(state_of bob).session"
	[ -S "$(sock_of bob)" ]
	run roost wake bob
	assert_status 0
	[ "$output" = "woke bob (fresh)" ]
	is_running bob
	wait_for 5 canary_waiting bob
	no_death_records
	roost stop bob >/dev/null
	wait_for 5 eval '! pgrep -f "$T/prog/forever" >/dev/null'
	no_death_records
	assert_no_processes
}

@test "launch over a non-tmux stale socket file: replaced, no record" {
	add_id bob "$T/prog/forever"
	mkdir -p "$ROOST_HOME/sock"
	chmod 700 "$ROOST_HOME/sock"
	# A unix socket nobody listens on: bound by a process that then exited
	# (perl-base is essential on Debian; macOS ships perl).
	perl -MIO::Socket::UNIX -e \
	    'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0]) or die "$!\n"' \
	    "$(sock_of bob)"
	[ -S "$(sock_of bob)" ]
	run roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	no_death_records
	roost stop bob >/dev/null
	no_death_records
	assert_no_processes
}
