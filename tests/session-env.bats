#!/usr/bin/env bats
# The cheap core of the session suites again, under a hostile home path
# (a space, a single quote and a dollar) and under cron's bare
# environment (env -i, PATH=/usr/bin:/bin): start, a SIGKILL record, an
# exit-status record, stop.

load helpers
load session-lib

setup() {
	common_setup
	HOSTILE="$T/h o'm\$e"
}
teardown() { common_teardown; }

# use_env plain|cron HOME: how r runs roost from now on.
use_env() {
	RENV=$1
	export ROOST_HOME=$2
}

r() {
	if [ "$RENV" = cron ]; then
		env -i PATH=/usr/bin:/bin HOME="$HOME" ROOST_HOME="$ROOST_HOME" \
		    ROOST_TMUX_CONF=/dev/null "$ROOST_BIN" "$@"
	else
		"$ROOST_BIN" "$@"
	fi
}

check_start() {
	r add bob --restart never -- "$T/prog/forever" >/dev/null
	run r start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	grep -qE '^woke=[0-9]+ mode=fresh server_pid=[0-9]+' "$(state_of bob).session"
	runs_canary "$(canary_pid bob)" bob
	wait_for 5 canary_waiting bob
	wait_for 5 pgrep -f "$T/prog/forever"
}

check_kill9() {
	check_start
	local sp cp line fx
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -9 "$sp"
	wait_for 5 has_line "$(exits_log)" "ev=server-exit id=bob "
	wait_for 5 pid_gone "$cp"
	[ "$(server_exits)" -eq 1 ]
	line=$(grep 'ev=server-exit' "$(exits_log)")
	[[ $line =~ ^$EXITS_TS\ ev=server-exit\ id=bob\ cause=server-vanished\ signal=SIGKILL\ status=\ exact=yes\ oom=(no|unknown)\ server_pid=$sp\ wait_rc=137\ orphans=[0-9,]*\ forensics=\"[^\"]+\"$ ]]
	[ "$(cat "$(state_of bob).last-exit")" = "$line" ]
	fx=$(field "$line" forensics)
	[ "$fx" = "$ROOST_HOME/log/server-deaths/bob-${fx##*/bob-}" ]
	[ -f "$fx" ]
	head -n 1 "$fx" | grep -qx '# roost forensics: tmux server death of identity bob'
	[ ! -e "$(state_of bob).canary" ]
}

check_exit3() {
	r add bob --restart never -- "$T/prog/held" "$T/prog/exitwith" 3 >/dev/null
	run r start bob
	assert_status 0
	local sp
	sp=$(server_pid bob)
	go bob
	wait_for 10 exit_recorded bob "$sp"
	wait_for 5 pid_gone "$sp"
	wait_for 5 sock_refuses bob
	grep -qE "^$EXITS_TS ev=session-exit id=bob status=3 signal= oom= pane_pid=[0-9]+ server_pid=$sp\$" "$(exits_log)"
	grep -q 'status=3' "$(state_of bob).last-exit"
	wait_for 5 eval '[ ! -e "$(state_of bob).canary" ]'
	[ "$(server_exits)" -eq 0 ]
	assert_no_processes
}

check_stop() {
	check_start
	run r stop bob
	assert_status 0
	[ "$output" = "stopped bob" ]
	[ -f "$(state_of bob).stopped" ]
	[ -f "$(state_of bob).idle-reaped" ]
	[ ! -e "$(sock_of bob)" ]
	[ ! -e "$(exits_log)" ] || [ "$(server_exits)" -eq 0 ]
	assert_no_processes
	no_procs_naming "$ROOST_HOME"
	run r start bob
	assert_status 0
	[ "$output" = "started bob (resume)" ]
	grep -q 'mode=resume' "$(state_of bob).session"
	r stop bob >/dev/null
	assert_no_processes
}

@test "hostile home (space, quote, dollar): start" {
	use_env plain "$HOSTILE"
	check_start
	# The rendered scripts name the home correctly.
	args_of "$(canary_pid bob)" | grep -qF "$HOSTILE/bin/bob.canary"
}

@test "hostile home: kill -9 the server is recorded with its forensics file" {
	use_env plain "$HOSTILE"
	check_kill9
}

@test "hostile home: exit 3 is recorded by the pane-died hook" {
	use_env plain "$HOSTILE"
	check_exit3
}

@test "hostile home: stop leaves nothing; start resumes" {
	use_env plain "$HOSTILE"
	check_stop
}

@test "cron environment (env -i, bare PATH): start" {
	use_env cron "$T/home"
	check_start
}

@test "cron environment: kill -9 the server is recorded with its forensics file" {
	use_env cron "$T/home"
	check_kill9
}

@test "cron environment: exit 3 is recorded by the pane-died hook" {
	use_env cron "$T/home"
	check_exit3
}

@test "cron environment: stop leaves nothing; start resumes" {
	use_env cron "$T/home"
	check_stop
}

@test "cron environment and hostile home together: start, kill -9 record" {
	use_env cron "$HOSTILE"
	check_kill9
}

@test "cron environment and hostile home together: exit 3 record, stop" {
	use_env cron "$HOSTILE"
	check_exit3
	r rm bob >/dev/null
	check_stop
}
