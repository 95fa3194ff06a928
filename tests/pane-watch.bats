#!/usr/bin/env bats
# Every pane death is seen at once: the launch script leaves a watcher
# on state/<id>.watch (a FIFO whose only writer is the script), which
# nudges the tmux server the moment the script ends, however it ends --
# tmux built with utempter before 3.6 can otherwise miss the pane's
# SIGCHLD until the next scheduled tick.  And status never calls a pane
# whose process is gone "running".

load helpers
load session-lib

bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# pane_pid ID: the pane process .session recorded.
pane_pid_of() {
	sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of "$1").session"
}

@test "launch makes state/<id>.watch a FIFO of mode 0600, and the program does not hold it" {
	add_id bob "$T/prog/forever"
	start_id bob
	[ -p "$(state_of bob).watch" ]
	[ "$(file_stat mode "$(state_of bob).watch")" = 600 ]
	local pp prog
	pp=$(pane_pid_of bob)
	# The program (the launch script's child) has no descriptor on it
	# (where /proc shows descriptors).
	wait_for 5 eval '[ -n "$(pgrep -P "$pp" -f prog/forever)" ]'
	prog=$(pgrep -P "$pp" -f prog/forever | head -n 1)
	if [ -d "/proc/$prog/fd" ]; then
		ls -l "/proc/$prog/fd" >"$T/fds"
		grep -q 'pts\|null' "$T/fds"
		! grep -q '\.watch$' "$T/fds"
	fi
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a SIGKILLed launch script is recorded at once (signal=SIGKILL) and the death acted on, with no tick" {
	add_id bob "$T/prog/forever"
	start_id bob
	local sp pp
	sp=$(server_pid bob)
	pp=$(pane_pid_of bob)
	kill -KILL "$pp"
	# Well within the bound, and far below any tick interval: nothing
	# but the hook (and the pass it asks for) can have written these.
	wait_for 5 has_line "$(exits_log)" "ev=session-exit id=bob status= signal=SIGKILL "
	wait_for 5 has_line "$(life_log)" "ev=death id=bob cause=SIGKILL"
	[ "$(server_exits)" -eq 0 ]
	wait_for 5 pid_gone "$sp"
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a watcher whose FIFO was replaced by a regular file is not started, and the program still runs" {
	add_id bob "$T/prog/forever"
	: >"$(state_of bob).watch"
	start_id bob
	is_running bob
	[ -f "$(state_of bob).watch" ] && [ ! -p "$(state_of bob).watch" ]
	roost stop bob >/dev/null
	assert_no_processes
}

@test "status says dead, not running, for a pane whose process is gone while its server lives" {
	add_id bob "$T/prog/exitwith" 0 0.5
	start_id bob
	local sp
	sp=$(server_pid bob)
	# No hook: the server stays up with the dead pane (remain-on-exit).
	"$TMUX_BIN" -S "$(sock_of bob)" set-hook -u -t =bob: pane-died
	wait_for 10 eval '"$TMUX_BIN" -S "$(sock_of bob)" display -p -t =bob: "#{pane_dead}" | grep -qx 1'
	run --separate-stderr roost status bob --format logfmt
	[ "$status" -eq 3 ]
	[[ $output == *"id=bob state=dead "* ]] || { echo "$output" >&2; false; }
	"$TMUX_BIN" -S "$(sock_of bob)" kill-server
	wait_for 5 pid_gone "$sp"
}
