#!/usr/bin/env bats
# Every pane death is seen at once: the pane-log writer (pipe-pane's,
# which outlives every run) watches the pane's process -- the pid tmux
# gave it, then each one a launch script writes to state/<id>.watch -- and
# nudges the tmux server the moment it ends, however it ends: tmux built
# with utempter before 3.6 can otherwise miss the pane's SIGCHLD until
# the next scheduled tick.  A plain command replaces the launch script,
# so tmux sees its exact status.  And status never calls a pane whose
# process is gone "running".

load helpers
load session-lib

bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# pane_pid ID: the pane process .session recorded.
pane_pid_of() {
	sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of "$1").session"
}

@test "launch makes state/<id>.watch a FIFO of mode 0600 that the pane-log writer holds, and the program does not" {
	add_id bob "$T/prog/forever"
	start_id bob
	[ -p "$(state_of bob).watch" ]
	[ "$(file_stat mode "$(state_of bob).watch")" = 600 ]
	local pp lw
	pp=$(pane_pid_of bob)
	# A plain command replaced the launch script: the pane's process
	# is the program.
	ps -o args= -p "$pp" | grep -q 'prog/forever'
	! pgrep -P "$pp" -f 'bob\.launch' >/dev/null || false
	wait_for 5 eval '[ -s "$(state_of bob).pipe" ]'
	read -r lw _ <"$(state_of bob).pipe"
	if [ -d "/proc/$pp/fd" ]; then
		ls -l "/proc/$pp/fd" >"$T/fds"
		grep -q 'pts\|null' "$T/fds"
		! grep -q '\.watch$' "$T/fds" || false
		ls -l "/proc/$lw/fd" >"$T/lwfds"
		grep -q '\.watch$' "$T/lwfds"
		# Read-only: the writer is no writer of the FIFO, so a watcher
		# an older launch script left on it still reads its end.
		local wfd
		wfd=$(sed -n 's/.* \([0-9][0-9]*\) -> .*\.watch$/\1/p' "$T/lwfds")
		[ -n "$wfd" ]
		[ $(( $(sed -n 's/^flags:[[:space:]]*//p' "/proc/$lw/fdinfo/$wfd") & 3 )) -eq 0 ]
	fi
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a plain command's exit status and signal are tmux's own: exit 137 is a status, SIGTERM a signal" {
	add_id bob "$T/prog/exitwith" 137 0
	roost start bob >/dev/null
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status=137 signal= "
	roost stop bob >/dev/null
	add_id ann "$T/prog/forever"
	start_id ann
	kill -TERM "$(pane_pid_of ann)"
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=ann status= signal=SIGTERM "
	roost stop ann >/dev/null
	assert_no_processes
}

@test "a command line with shell syntax still runs under the launch script, which names the signal that killed it" {
	add_id bob "$T/prog/forever && true"
	start_id bob
	local pp prog
	pp=$(pane_pid_of bob)
	ps -o args= -p "$pp" | grep -q 'bob\.launch'
	# The pane's process is the session leader of its terminal.
	wait_for 5 eval '[ -n "$(pgrep -s "$pp" -f "prog/forever")" ]'
	prog=$(pgrep -s "$pp" -f "prog/forever" | head -n 1)
	kill -KILL "$prog"
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status= signal=SIGKILL "
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a SIGKILLed pane process is recorded at once (signal=SIGKILL) and the death acted on, with no tick" {
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

@test "a .watch that is not a FIFO is left alone by the launch script and the writer, and the program still runs" {
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

@test "the pane-log writer records a program's end itself, at once and once, even when tmux's hook never runs" {
	build_has_proc ||
	    skip "this roost is built without /proc: a zombie's status is the hook's to record"
	chld_drop_build
	add_id bob "$T/prog/forever"
	start_id bob
	local sp pp
	sp=$(server_pid bob)
	pp=$(pane_pid_of bob)
	wait_for 5 eval '[ -s "$(state_of bob).pipe" ]'
	# No hook: only the writer can record it.  And the server cannot
	# reap the program before the writer's nudge (its own SIGCHLD is
	# swallowed), so the writer always finds the zombie to read: it
	# records before its first nudge.  Nor can a pass nudge it first:
	# the pane's silence asks for one after a second (alert-silence),
	# which a loaded machine can bring level with the kill.
	"$TMUX_BIN" -S "$(sock_of bob)" set-hook -u -t =bob: pane-died
	"$TMUX_BIN" -S "$(sock_of bob)" set-hook -u -t =bob: alert-silence
	"$TMUX_BIN" -S "$(sock_of bob)" set-option -w -t =bob: monitor-silence 0
	chld_drop_attach "$sp"
	kill -TERM "$pp"
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status= signal=SIGTERM oom= pane_pid=$pp server_pid=$sp"
	wait "$DROP_PID"
	[ "$(grep -c "ev=session-exit id=bob " "$(exits_log)")" -eq 1 ]
	grep -q "ev=session-exit id=bob status= signal=SIGTERM " "$(state_of bob).last-exit"
	# The server killed before any hook acted: a death of its own,
	# recorded by the canary though .last-exit holds this pane's end.
	kill -KILL "$sp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=bob cause=server-vanished signal=SIGKILL "
	[ "$(grep -c "ev=session-exit id=bob " "$(exits_log)")" -eq 1 ]
	assert_no_processes
}

# kernel_keeps_exit: Linux 6.15 or later, whose pidfd keeps the exit
# status of a process its parent has reaped (PIDFD_INFO_EXIT).
kernel_keeps_exit() {
	local r maj min
	[ "$(uname -s)" = Linux ] || return 1
	r=$(uname -r)
	maj=${r%%.*}
	r=${r#*.}
	min=${r%%[!0-9]*}
	[ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "${min:-0}" -ge 15 ]; }
}

# writer_watches WRITER PID: the writer holds a pidfd for PID.
writer_watches() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		grep -Eq "^Pid:[[:space:]]+$2\$" "$f" 2>/dev/null && return 0
	done
	return 1
}

# reap_skips: the writer records from a reaped process's pidfd only here.
reap_skips() {
	build_has_proc ||
	    skip "this roost is built without /proc: a program's end is the hook's to record"
	build_has_pidfd ||
	    skip "this roost is built without pidfd_open: the writer watches no process"
	kernel_keeps_exit ||
	    skip "Linux $(uname -r) keeps no exit status for a reaped process's pidfd (PIDFD_INFO_EXIT, Linux 6.15)"
}

# respawned: bob restarted once in its live server, whose launch script
# told the running writer that it exec'd the program.  Sets the test's
# sp (server), pp (program) and wp (the writer, which watches pp).
respawned() {
	roost add bob --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_id bob
	sp=$(server_pid bob)
	kill -KILL "$(pane_pid_of bob)"
	wait_for 10 grep -q "ev=launch id=bob mode=fresh cause=restart server_pid=$sp respawn=yes" "$(life_log)"
	pp=$(pane_pid_of bob)
	read -r wp _ <"$(state_of bob).pipe"
	wait_for 10 writer_watches "$wp" "$pp"
}

# behind_writer CMD...: CMD ends the program while the writer is stopped,
# and the server reaps it (nudged, as utempter may lose its SIGCHLD)
# before the writer goes on: it finds no zombie to read.
behind_writer() {
	kill -STOP "$wp"
	"$@"
	wait_for 10 eval 'kill -CHLD "$sp"; [ ! -e "/proc/$pp" ]'
	kill -CONT "$wp"
}

# term_recorded_once: with no hook, pp SIGTERMed while the writer is
# held back until the server has reaped it; the writer's record, once.
term_recorded_once() {
	"$TMUX_BIN" -S "$(sock_of bob)" set-hook -u -t =bob: pane-died
	behind_writer kill -TERM "$pp"
	recorded_once SIGTERM
	roost stop bob >/dev/null
	assert_no_processes
}

# recorded_once SIGNAL: the writer's record of pp's end, and no other.
recorded_once() {
	wait_for 10 has_line "$(exits_log)" "ev=session-exit id=bob status= signal=$1 oom= pane_pid=$pp server_pid=$sp"
	[ "$(grep -c "pane_pid=$pp " "$(exits_log)")" -eq 1 ]
}

@test "the writer records a program's end even once the server has reaped it: the kernel keeps the status for its pidfd" {
	reap_skips
	local sp pp wp
	respawned
	# No hook: only the writer can record it.
	term_recorded_once
}

@test "a writer that starts after its pane's program was exec'd (piped again by the tick) also records its end once reaped" {
	reap_skips
	add_id bob "$T/prog/forever"
	start_id bob
	local sp pp wp
	sp=$(server_pid bob)
	pp=$(pane_pid_of bob)
	wait_for 10 eval '[ -s "$(state_of bob).pipe" ]'
	read -r wp _ <"$(state_of bob).pipe"
	kill -KILL "$wp"
	wait_for 5 pid_gone "$wp"
	# The new writer learns of the program from pipe-pane alone: no
	# launch script writes to .watch for it.
	roost tick >/dev/null
	wait_for 10 eval '[ -s "$(state_of bob).pipe" ] && ! grep -q "^$wp " "$(state_of bob).pipe"'
	read -r wp _ <"$(state_of bob).pipe"
	wait_for 10 writer_watches "$wp" "$pp"
	term_recorded_once
}

@test "a program tmux hangs up (respawn-pane -k) is no death, even to a writer that comes to it after the reap" {
	reap_skips
	local sp pp wp
	respawned
	# tmux closes the terminal first: the program dies of the hangup.
	behind_writer "$TMUX_BIN" -S "$(sock_of bob)" respawn-pane -k -t =bob: \
	    "$T/prog/forever"
	wait_for 10 eval '! writer_watches "$wp" "$pp"'
	[ "$(count_lines "$(exits_log)" "pane_pid=$pp ")" -eq 0 ]
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a pane tmux closes (kill-session) is no death: the writer records nothing, as no hook runs" {
	build_has_proc ||
	    skip "this roost is built without /proc: the writer records nothing anyway"
	add_id bob "$T/prog/forever"
	start_id bob
	local sp pp
	sp=$(server_pid bob)
	pp=$(pane_pid_of bob)
	wait_for 5 eval '[ -s "$(state_of bob).pipe" ]'
	"$TMUX_BIN" -S "$(sock_of bob)" kill-session -t =bob:
	wait_for 5 pid_gone "$pp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=bob "
	[ "$(count_lines "$(exits_log)" "ev=session-exit id=bob ")" -eq 0 ]
	assert_no_processes
}

@test "a death the writer recorded is recorded once: the hook finds it and acts on it, each of three deaths to the crash-loop" {
	build_has_proc ||
	    skip "this roost is built without /proc: a zombie's status is the hook's to record"
	roost add bob --restart-delay 0 --crashloop 3/300 -- "$T/prog/exitwith" 7 0.3 >/dev/null
	roost start bob >/dev/null
	# The first restart is in the same server; the third death
	# crash-loops it.
	wait_for 20 test -f "$(state_of bob).crash-loop"
	grep -q "ev=launch id=bob mode=fresh cause=restart .*respawn=yes" "$(life_log)"
	[ "$(count_lines "$(exits_log)" 'ev=session-exit id=bob status=7 ')" -eq 3 ]
	[ -z "$(sed -n 's/.*ev=session-exit id=bob .*pane_pid=\([0-9]*\).*/\1/p' "$(exits_log)" | sort | uniq -d)" ]
	wait_for 10 eval '[ "$(count_lines "$(life_log)" "ev=death id=bob cause=\"status=7\"")" -eq 3 ]'
	roost stop bob >/dev/null
	assert_no_processes
}
