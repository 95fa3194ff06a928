#!/usr/bin/env bats
# The canary: a tmux server that dies dirty (SIGKILL, SIGTERM) is recorded
# by the process outside it; a canary whose own client dies stays silent.

load helpers
load session-lib

setup() { common_setup; }
teardown() { common_teardown; }

# server_exit_re ID CAUSE SERVER_PID WAIT_RC: the whole line, strictly.
server_exit_re() {
	printf '%s' "^$EXITS_TS ev=server-exit id=$1 cause=$2 server_pid=$3 wait_rc=$4 orphans=[0-9,]* forensics=\"[^\"]*/log/server-deaths/$1-[0-9]+\\.txt\"\$"
}

@test "kill -9 the server: one ev=server-exit cause=server-vanished line, .last-exit, forensics naming the id, canary gone" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp line fx
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -9 "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	wait_for 5 pid_gone "$cp"
	[ "$(server_exits)" -eq 1 ]
	[ "$(count_lines "$(exits_log)" "$(server_exit_re bob server-vanished "$sp" 1)")" -eq 1 ]
	[ "$(count_lines "$(exits_log)" 'ev=session-exit')" -eq 0 ]
	line=$(grep 'ev=server-exit' "$(exits_log)")
	[ "$(cat "$(state_of bob).last-exit")" = "$line" ]
	fx=$(field "$line" forensics)
	[ "$fx" = "$(echo "$ROOST_HOME"/log/server-deaths/bob-*.txt)" ]
	[ -f "$fx" ]
	head -n 1 "$fx" | grep -qx '# roost forensics: tmux server death of identity bob'
	grep -q "^# identity=bob server_pid=$sp cause=server-vanished" "$fx"
	grep -qxF -- "$line" "$fx"
	[ ! -e "$(state_of bob).canary" ]
	sock_refuses bob
}

@test "kill -9 as soon as start returns (a dying server still looks alive for a moment): recorded every time" {
	add_id bob "$T/prog/forever"
	local i sp
	for i in 1 2 3 4 5 6 7 8; do
		roost start bob >/dev/null
		sp=$(server_pid bob)
		kill -9 "$sp"
		wait_for 5 has_line "$(exits_log)" \
		    "ev=server-exit id=bob cause=server-vanished server_pid=$sp "
		wait_for 5 eval '[ ! -e "$(state_of bob).canary" ]'
	done
	[ "$(server_exits bob)" -eq 8 ]
	[ "$(count_lines "$(exits_log)" .)" -eq 8 ]
}

@test "kill -TERM the server: cause=server-shutdown" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -TERM "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	wait_for 5 pid_gone "$cp"
	[ "$(server_exits)" -eq 1 ]
	[ "$(count_lines "$(exits_log)" "$(server_exit_re bob server-shutdown "$sp" 0)")" -eq 1 ]
	grep -q "cause=server-shutdown server_pid=$sp " "$(state_of bob).last-exit"
	ls "$ROOST_HOME"/log/server-deaths/bob-*.txt >/dev/null
	sock_refuses bob
}

@test "kill only the canary's tmux client while the server lives: no record, server still up, canary respawnable" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp client
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	client=$(canary_client bob)
	[ -n "$client" ]
	kill -9 "$client"
	wait_for 5 pid_gone "$cp"
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	[ ! -e "$(state_of bob).last-exit" ]
	[ -z "$(ls "$ROOST_HOME/log/server-deaths")" ]
	is_running bob
	pid_alive "$sp"
	run roost canary bob
	assert_status 0
	[ "$output" = "spawned" ]
	wait_for 5 canary_waiting bob
	roost stop bob >/dev/null
	[ ! -e "$(exits_log)" ] || [ "$(server_exits)" -eq 0 ]
	assert_no_processes
}

@test "kill -TERM the canary's tmux client while the server lives: silent too" {
	add_id bob "$T/prog/forever"
	start_id bob
	local cp client
	cp=$(canary_pid bob)
	client=$(canary_client bob)
	kill -TERM "$client"
	wait_for 5 pid_gone "$cp"
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	is_running bob
}

# relaunch_after_kill CMD WORD: kill -9 the server and relaunch as soon as
# it is dead, racing the canary that is recording the death.  (Not before:
# kill(2) returns while the server may still accept for a moment, and a
# launch then rightly says "running".)
relaunch_after_kill() {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp sp2 cp2
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -9 "$sp"
	wait_for 5 pid_gone "$sp"
	run roost "$1" bob
	assert_status 0
	[ "$output" = "$2 bob (fresh)" ]
	# The original death is recorded, once, with the old server's pid.
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	[ "$(server_exits)" -eq 1 ]
	[ "$(count_lines "$(exits_log)" "$(server_exit_re bob server-vanished "$sp" 1)")" -eq 1 ]
	has_line "$(life_log)" "ev=death id=bob cause=server-vanished( |\$)"
	# The new session runs, watched by a new canary.
	is_running bob
	sp2=$(server_pid bob)
	[ "$sp2" != "$sp" ]
	pid_alive "$sp2"
	[ "$("$TMUX_BIN" -S "$(sock_of bob)" display-message -p '#{pid}')" = "$sp2" ]
	cp2=$(canary_pid bob)
	[ "$cp2" != "$cp" ]
	runs_canary "$cp2" bob
	args_of "$cp2" | grep -qF "bob.canary $sp2"
	wait_for 5 pid_gone "$cp"
	wait_for 5 canary_waiting bob
	# And the new canary still works.
	kill -9 "$sp2"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob .*server_pid=$sp2 "
	[ "$(server_exits)" -eq 2 ]
}

@test "a dirty death followed at once by roost start still records the original death" {
	relaunch_after_kill start started
}

@test "a dirty death followed at once by roost wake still records the original death" {
	relaunch_after_kill wake woke
}

@test "20 servers SIGKILLed at once: 20 whole, well-formed server-exit lines, one per identity" {
	local i pids=() sp
	for i in $(seq 1 20); do
		add_id "s$i" "$T/prog/forever"
		roost start "s$i" >/dev/null
	done
	for i in $(seq 1 20); do
		wait_for 5 canary_waiting "s$i"
		pids+=("$(server_pid "s$i")")
	done
	kill -9 "${pids[@]}"
	wait_for 20 eval '[ "$(count_lines "$(exits_log)" .)" -ge 20 ]'
	for i in $(seq 1 20); do
		wait_for 10 eval '[ ! -e "$(state_of s'"$i"').canary" ]'
	done
	[ "$(count_lines "$(exits_log)" .)" -eq 20 ]
	for i in $(seq 1 20); do
		sp=${pids[$((i - 1))]}
		[ "$(count_lines "$(exits_log)" "$(server_exit_re "s$i" server-vanished "$sp" 1)")" -eq 1 ] ||
		    { echo "no whole line for s$i (server $sp)" >&2; cat "$(exits_log)" >&2; false; }
	done
	# Every byte of the log belongs to one of those lines.
	[ "$(wc -l <"$(exits_log)")" -eq 20 ]
	[ -z "$(grep -vE "^$EXITS_TS ev=server-exit id=s[0-9]+ cause=server-vanished server_pid=[0-9]+ wait_rc=1 orphans=[0-9,]* forensics=\"[^\"]*\"\$" "$(exits_log)")" ]
	[ "$(tail -c 1 "$(exits_log)" | od -An -c | tr -d ' ')" = '\n' ]
	[ "$(ls "$ROOST_HOME/log/server-deaths" | wc -l)" -eq 20 ]
}
