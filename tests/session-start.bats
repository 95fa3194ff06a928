#!/usr/bin/env bats
# start / stop / wake / restart / canary / log / attach on real tmux.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

@test "start: server up, live canary running bin/<id>.canary, .session mode=fresh with the server's pid" {
	add_id bob "$T/prog/forever"
	run roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	grep -qE '^woke=[0-9]+ mode=fresh server_pid=[0-9]+( |$)' \
	    "$(state_of bob).session"
	local sp real cp
	sp=$(server_pid bob)
	real=$("$TMUX_BIN" -S "$(sock_of bob)" display-message -p '#{pid}')
	[ "$sp" = "$real" ]
	cp=$(canary_pid bob)
	runs_canary "$cp" bob
	# It started this server (tmux -D) and waits for it as its parent.
	args_of "$cp" | grep -qF "bob.canary serve"
	[ "$(ps -o ppid= -p "$sp" | tr -d ' ')" = "$cp" ]
	wait_for 5 canary_waiting bob
	pgrep -f "$T/prog/forever" >/dev/null
	[ ! -e "$(state_of bob).stopped" ]
	[ ! -e "$(exits_log)" ] || [ "$(server_exits)" -eq 0 ]
}

# start_logged: bob started through logging_tmux, its runs of tmux in
# $T/tmux.calls, its canary waiting.
start_logged() {
	logging_tmux
	add_id bob "$T/prog/forever"
	rm -f "$T/tmux.calls"
	run roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	wait_for 5 canary_waiting bob
}

@test "start: no tmux client runs; the canary's server is the only tmux, and the session is whole" {
	start_logged
	# roost spoke to the server itself: the only tmux run is the server
	# the canary started with this tmux.
	[ "$(grep -c . "$T/tmux.calls")" -eq 1 ]
	grep -q -- "-S $(sock_of bob) -f /dev/null -D\$" "$T/tmux.calls"
	# What the one command set up, read back by tmux's client.
	local t=(-S "$(sock_of bob)")
	[ "$("$TMUX_BIN" "${t[@]}" show-options -wv -t bob: remain-on-exit)" = on ]
	"$TMUX_BIN" "${t[@]}" show-hooks -t bob: pane-died | grep -q 'pane-died'
	[ "$("$TMUX_BIN" "${t[@]}" display-message -p -t bob: '#{pane_pipe} #{pane_start_command}')" = \
	    "1 $ROOST_HOME/bin/bob.launch fresh" ]
	is_running bob
}

@test "start with tmux's own client (ROOST_TMUX_CLIENT=exec): exactly one invocation sets the session up" {
	export ROOST_TMUX_CLIENT=exec
	start_logged
	# roost's own invocations: everything but the server the canary
	# starts (tmux -D).
	local mine
	mine=$(grep -v -e ' -D$' "$T/tmux.calls")
	[ "$(printf '%s\n' "$mine" | grep -c .)" -eq 1 ]
	case $mine in *new-session*) ;; *) false ;; esac
	printf '%s\n' "$mine" | grep -q ' -d '
	printf '%s\n' "$mine" | grep -qF 'bin/bob.launch fresh'
	printf '%s\n' "$mine" | grep -q 'remain-on-exit on'
	printf '%s\n' "$mine" | grep -q 'set-hook .*pane-died'
	printf '%s\n' "$mine" | grep -q 'pipe-pane'
	# The canary was rendered with this tmux and started the server with it.
	grep -q -- "-S $(sock_of bob) -f /dev/null -D\$" "$T/tmux.calls"
	is_running bob
}

@test "stop writes .stopped and .idle-reaped, leaves nothing running; wake refuses (exit 3); start resumes" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	run roost stop bob
	assert_status 0
	[ "$output" = "stopped bob" ]
	[ -f "$(state_of bob).stopped" ]
	[ -f "$(state_of bob).idle-reaped" ]
	[ ! -e "$(state_of bob).session" ]
	[ ! -e "$(state_of bob).canary" ]
	sock_refuses bob
	[ ! -e "$(sock_of bob)" ]
	wait_for 5 pid_gone "$sp"
	pid_gone "$cp"
	assert_no_processes
	assert_no_processes "$ROOST_HOME"

	run --separate-stderr roost wake bob
	assert_status 3
	[ -z "$output" ]
	case $stderr in
	"roost: wake: refused bob: stopped"*) ;;
	*) echo "stderr: $stderr" >&2; false ;;
	esac
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	sock_refuses bob
	has_line "$(life_log)" "ev=refused id=bob cause=stopped"

	run roost start bob
	assert_status 0
	[ "$output" = "started bob (resume)" ]
	grep -qE '^woke=[0-9]+ mode=resume server_pid=[0-9]+' \
	    "$(state_of bob).session"
	[ ! -e "$(state_of bob).stopped" ]
	[ ! -e "$(state_of bob).idle-reaped" ]
	is_running bob
	runs_canary "$(canary_pid bob)" bob
	[ "$(server_exits)" -eq 0 ]
}

@test "wake: launches a down identity, says running when up" {
	add_id bob "$T/prog/forever"
	run roost wake bob
	assert_status 0
	[ "$output" = "woke bob (fresh)" ]
	is_running bob
	local sp
	sp=$(server_pid bob)
	run roost wake bob
	assert_status 0
	[ "$output" = "running bob" ]
	[ "$(server_pid bob)" = "$sp" ]
}

@test "restart: new server, prints restarted <id> (mode), no death record; --fresh launches fresh" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp sp2
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	run roost restart bob
	assert_status 0
	[ "$output" = "restarted bob (resume)" ]
	sp2=$(server_pid bob)
	[ -n "$sp2" ] && [ "$sp2" != "$sp" ]
	pid_alive "$sp2"
	wait_for 5 pid_gone "$sp"
	pid_gone "$cp"
	grep -q 'mode=resume' "$(state_of bob).session"
	runs_canary "$(canary_pid bob)" bob
	is_running bob
	wait_for 5 canary_waiting bob

	run roost restart --fresh bob
	assert_status 0
	[ "$output" = "restarted bob (fresh)" ]
	grep -q 'mode=fresh' "$(state_of bob).session"
	[ "$(server_pid bob)" != "$sp2" ]
	wait_for 5 pid_gone "$sp2"
	is_running bob
	[ "$(server_exits)" -eq 0 ]
	[ ! -e "$(state_of bob).last-exit" ]
	[ "$(count_lines "$(life_log)" 'ev=teardown id=bob reason=restart')" -eq 2 ]
}

@test "canary <id>: already when alive, spawned after its group got SIGTERM (silently), skipped when not running" {
	add_id bob "$T/prog/forever"
	start_id bob
	local cp cp2
	cp=$(canary_pid bob)
	run roost canary bob
	assert_status 0
	[ "$output" = "already" ]
	[ "$(canary_pid bob)" = "$cp" ]

	kill -TERM "$cp"
	wait_for 5 pid_gone "$cp"
	# SIGTERM is a dismissal: no record, and the server it started runs on.
	[ "$(server_exits)" -eq 0 ]
	is_running bob

	run roost canary bob
	assert_status 0
	[ "$output" = "spawned" ]
	cp2=$(canary_pid bob)
	[ "$cp2" != "$cp" ]
	runs_canary "$cp2" bob
	wait_for 5 canary_waiting bob
	has_line "$(life_log)" "ev=canary id=bob state=spawned .*pid=$cp2"

	run roost canary bob
	assert_status 0
	[ "$output" = "already" ]

	roost stop bob >/dev/null
	run roost canary bob
	assert_status 0
	[ "$output" = "skipped" ]
	[ ! -e "$(state_of bob).canary" ]
	assert_no_processes
}

@test "canary: a respawned canary records a later SIGKILL of the server" {
	add_id bob "$T/prog/forever"
	start_id bob
	local cp sp
	cp=$(canary_pid bob)
	sp=$(server_pid bob)
	kill -TERM "$cp"
	wait_for 5 pid_gone "$cp"
	run roost canary bob
	[ "$output" = "spawned" ]
	wait_for 5 canary_waiting bob
	kill -9 "$sp"
	wait_for 5 has_line "$(exits_log)" \
	    "ev=server-exit id=bob cause=server-vanished .*exact=no .*server_pid=$sp "
	[ "$(server_exits bob)" -eq 1 ]
}

@test "log <id> -n 5: at most 5 logfmt lines, that id only, newest last" {
	add_id bob "$T/prog/forever"
	add_id bob2 "$T/prog/forever"
	start_id bob
	start_id bob2
	roost stop bob >/dev/null
	roost start bob >/dev/null
	roost stop bob2 >/dev/null
	roost stop bob >/dev/null
	run roost log bob -n 5
	assert_status 0
	[ "${#lines[@]}" -eq 5 ]
	local l
	for l in "${lines[@]}"; do
		[[ $l =~ ^$EXITS_TS\ ev=[a-z-]+\ id=bob( |$) ]] ||
		    { echo "bad line: $l" >&2; false; }
	done
	# Newest last: the final stop's teardown.
	[[ ${lines[4]} == *"ev=teardown id=bob reason=stop"* ]]

	run roost log bob2 -n 100
	assert_status 0
	[ "${#lines[@]}" -ge 4 ]
	for l in "${lines[@]}"; do
		[[ $l == *" id=bob2"* ]]
		[[ $l != *" id=bob "* ]]
	done

	run roost log -n 3
	assert_status 0
	[ "${#lines[@]}" -eq 3 ]

	run roost log bob -n x
	assert_status 2
	assert_output_has "roost: log: -n x: not a count"
}

@test "attach: a non-running id exits 3 with a message, an unknown one 4" {
	add_id bob "$T/prog/forever"
	run --separate-stderr roost attach bob
	assert_status 3
	[ "$stderr" = "roost: attach: bob: not running" ]
	run --separate-stderr roost attach nosuch
	assert_status 4
	[ "$stderr" = "roost: attach: nosuch: unknown identity" ]
}

@test "attach: attaches a client to the running session (script gives it a tty)" {
	need_tool script "it gives attach a terminal"
	add_id bob "$T/prog/forever"
	start_id bob
	TERM=xterm in_tty "'$ROOST_BIN' attach bob" "$T/typescript" \
	    </dev/null >/dev/null 2>&1 &
	local sp=$!
	wait_for 5 eval '[ -n "$("$TMUX_BIN" -S "$(sock_of bob)" list-clients -F "#{client_pid}")" ]'
	"$TMUX_BIN" -S "$(sock_of bob)" list-clients -F '#{session_name}' |
	    grep -qx bob
	"$TMUX_BIN" -S "$(sock_of bob)" detach-client -s bob
	wait_for 5 pid_gone "$sp"
	wait "$sp" || true
	is_running bob
}

@test "lifecycle.log: ev=start, ev=canary, ev=launch, ev=stop, ev=teardown carry the fields of section 6" {
	add_id bob "$T/prog/forever"
	start_id bob
	roost stop bob >/dev/null
	local L
	L=$(life_log)
	has_line "$L" "^$EXITS_TS ev=start id=bob( |\$)"
	has_line "$L" "^$EXITS_TS ev=canary id=bob state=spawned origin=launch( |\$)"
	has_line "$L" "^$EXITS_TS ev=launch id=bob mode=fresh cause=start( |\$)"
	has_line "$L" "^$EXITS_TS ev=stop id=bob( |\$)"
	has_line "$L" "^$EXITS_TS ev=teardown id=bob reason=stop( |\$)"
	# The canary is spawned before the launch is logged as done, and the
	# teardown comes after the stop request.
	local order
	order=$(grep -oE 'ev=(start|canary|launch|stop|teardown)' "$L" | tr '\n' ' ')
	[ "$order" = "ev=start ev=canary ev=launch ev=stop ev=teardown " ]
	# Every line: ts first, then ev, then id.
	[ -z "$(grep -vE "^$EXITS_TS ev=[a-z-]+ id=[A-Za-z0-9_-]+( |\$)" "$L")" ]
}
