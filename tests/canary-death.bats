#!/usr/bin/env bats
# The canary: the server of a launch is the canary's own child (tmux -D),
# so its death is recorded with its exact wait status (signal=, status=,
# exact=yes); a canary the tick respawned for a server it did not start
# waits in tmux wait-for and says exact=no.  A canary whose own client or
# self dies stays silent.

load helpers
load session-lib

setup() { common_setup; }
teardown() { common_teardown; }

# server_exit_re ID CAUSE SIGNAL STATUS EXACT SERVER_PID WAIT_RC: the
# whole line, strictly (oom is no or unknown: never yes for these).
server_exit_re() {
	printf '%s' "^$EXITS_TS ev=server-exit id=$1 cause=$2 signal=$3 status=$4 exact=$5 oom=(no|unknown) server_pid=$6 wait_rc=$7 orphans=[0-9,]* forensics=\"[^\"]*/log/server-deaths/$1-[0-9]+-$6\\.txt\"\$"
}

# kill_canary ID: SIGKILL ID's canary and wait until it is gone (kill(2)
# returns before it is: a roost canary asked at once may still see it).
kill_canary() {
	local p
	p=$(canary_pid "$1")
	kill -9 "$p"
	wait_for 5 pid_gone "$p"
}

# kill_server_with SIG CAUSE SIGNAL STATUS WAIT_RC
kill_server_with() {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp line fx
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -"$1" "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	wait_for 5 pid_gone "$cp"
	[ "$(server_exits)" -eq 1 ]
	[ "$(count_lines "$(exits_log)" "$(server_exit_re bob "$2" "$3" "$4" yes "$sp" "$5")")" -eq 1 ] ||
	    { cat "$(exits_log)" >&2; false; }
	[ "$(count_lines "$(exits_log)" 'ev=session-exit')" -eq 0 ]
	line=$(grep 'ev=server-exit' "$(exits_log)")
	[ "$(cat "$(state_of bob).last-exit")" = "$line" ]
	fx=$(field "$line" forensics)
	[ "$fx" = "$(echo "$ROOST_HOME"/log/server-deaths/bob-*.txt)" ]
	[ -f "$fx" ]
	head -n 1 "$fx" | grep -qx '# roost forensics: tmux server death of identity bob'
	grep -q "^# identity=bob server_pid=$sp cause=$2 signal=$3 " "$fx"
	grep -qxF -- "$line" "$fx"
	# The snapshot answers questions: the cgroup, the kernel's OOM lines
	# (on macOS: memory pressure, jetsam), the pane's last output.
	case $(uname -s) in
	Linux)
		grep -qx '== memory cgroup of the server (as at launch)' "$fx"
		grep -qx '== kernel OOM lines (wall-clock times)' "$fx" ;;
	Darwin)
		grep -qx '== vm_stat' "$fx"
		grep -qx '== memorystatus / jetsam lines of the last 5 minutes' "$fx" ;;
	esac
	grep -q '^== last 50 lines of the pane' "$fx"
	# The pass the canary asks for records the death at once.
	wait_for 5 has_line "$(life_log)" "ev=death id=bob cause=$2 "
	[ ! -e "$(state_of bob).canary" ]
	# The pass removes .session last, after the death's line.
	wait_for 5 eval '[ ! -e "$(state_of bob).session" ]'
	sock_refuses bob
}

@test "kill -9 the server: cause=server-vanished signal=SIGKILL exact=yes wait_rc=137, .last-exit, forensics, the death recorded at once" {
	kill_server_with KILL server-vanished SIGKILL '' 137
}

@test "kill -SEGV the server: signal=SIGSEGV exact=yes" {
	kill_server_with SEGV server-vanished SIGSEGV '' 139
}

@test "kill -BUS the server: a signal whose number differs between systems is named by kill -l" {
	local n
	n=$(kill -l BUS)
	kill_server_with BUS server-vanished SIGBUS '' $((128 + n))
}

@test "kill -ABRT the server: signal=SIGABRT exact=yes" {
	kill_server_with ABRT server-vanished SIGABRT '' 134
}

@test "kill -TERM the server: tmux exits 0, so cause=server-shutdown status=0 exact=yes" {
	kill_server_with TERM server-shutdown '' 0 0
}

@test "kill -9 as soon as start returns: recorded every time, exactly, each with a snapshot of its own" {
	add_id bob "$T/prog/forever"
	local i sp
	for i in 1 2 3 4 5 6 7 8; do
		roost start bob >/dev/null
		sp=$(server_pid bob)
		kill -9 "$sp"
		wait_for 5 has_line "$(exits_log)" \
		    "ev=server-exit id=bob cause=server-vanished signal=SIGKILL status= exact=yes .*server_pid=$sp "
		wait_for 5 eval '[ ! -e "$(state_of bob).canary" ]'
		wait_for 5 eval '[ ! -e "$(state_of bob).session" ]'
	done
	[ "$(server_exits bob)" -eq 8 ]
	[ "$(count_lines "$(exits_log)" .)" -eq 8 ]
	# Eight deaths in a second or two: eight snapshots, none lost to
	# another's name.
	local dir=$ROOST_HOME/log/server-deaths
	wait_for 10 eval '[ "$(ls "$dir" | wc -l)" -eq 8 ]'
	wait_for 10 eval '[ "$(cat "$dir"/* | grep -c "^# identity=bob server_pid=")" -eq 8 ]'
	[ "$(cat "$dir"/* | grep "^# identity=bob server_pid=" | sort -u | wc -l)" -eq 8 ]
}

@test "the canary killed while its server lives: no record, the server runs on; the tick's new canary says exact=no" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp cp2
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -9 "$cp"
	wait_for 5 pid_gone "$cp"
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	is_running bob
	pid_alive "$sp"
	# The tick notices and spawns a canary that waits in tmux wait-for.
	roost tick
	cp2=$(canary_pid bob)
	[ "$cp2" != "$cp" ]
	runs_canary "$cp2" bob
	wait_for 5 canary_waiting bob
	has_line "$(life_log)" "ev=canary id=bob state=spawned origin=tick "
	kill -9 "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	[ "$(count_lines "$(exits_log)" "ev=server-exit id=bob cause=server-vanished signal= status= exact=no oom=(no|unknown) server_pid=$sp wait_rc=1 ")" -eq 1 ]
}

@test "kill only a watching canary's tmux client while the server lives: no record, server still up, canary respawnable" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp cp client
	sp=$(server_pid bob)
	kill_canary bob
	run roost canary bob
	assert_status 0
	[ "$output" = "spawned" ]
	wait_for 5 canary_waiting bob
	cp=$(canary_pid bob)
	client=$(canary_client bob)
	[ -n "$client" ]
	kill -9 "$client"
	wait_for 5 pid_gone "$cp"
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	[ ! -e "$(state_of bob).last-exit" ]
	[ -z "$(ls "$ROOST_HOME/log/server-deaths")" ]
	# Every way out of the canary takes its pidfile with it.
	[ ! -e "$(state_of bob).canary" ]
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

@test "kill -TERM a watching canary's tmux client while the server lives: silent too" {
	add_id bob "$T/prog/forever"
	start_id bob
	local cp client
	kill_canary bob
	roost canary bob >/dev/null
	wait_for 5 canary_waiting bob
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
	[ "$(count_lines "$(exits_log)" "$(server_exit_re bob server-vanished SIGKILL '' yes "$sp" 137)")" -eq 1 ]
	wait_for 5 has_line "$(life_log)" "ev=death id=bob cause=server-vanished( |\$)"
	[ "$(count_lines "$(life_log)" "ev=death id=bob ")" -eq 1 ]
	# The new session runs, watched by a new canary, its server's parent.
	is_running bob
	sp2=$(server_pid bob)
	[ "$sp2" != "$sp" ]
	pid_alive "$sp2"
	[ "$("$TMUX_BIN" -S "$(sock_of bob)" display-message -p '#{pid}')" = "$sp2" ]
	cp2=$(canary_pid bob)
	[ "$cp2" != "$cp" ]
	runs_canary "$cp2" bob
	[ "$(ps -o ppid= -p "$sp2" | tr -d ' ')" = "$cp2" ]
	wait_for 5 pid_gone "$cp"
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

@test "the orphans= of a record and its snapshot name the same pane process groups" {
	add_id bob sh -c 'trap "" HUP; exec '"$T"'/prog/forever'
	start_id bob
	local sp line fx o
	sp=$(server_pid bob)
	kill -9 "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	line=$(grep 'ev=server-exit' "$(exits_log)")
	o=$(field "$line" orphans)
	[ -n "$o" ]
	fx=$(field "$line" forensics)
	wait_for 5 grep -q '^== last 50 lines' "$fx"
	for p in ${o//,/ }; do
		grep -q "pgid=$p" "$fx"
	done
	# The orphan is ended by the next pass's teardown of what is left.
	kill -9 -- "-${o%%,*}" 2>/dev/null || true
}
