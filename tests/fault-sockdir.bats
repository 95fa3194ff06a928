#!/usr/bin/env bats
# The socket directory may be shared (ROOST_SOCK_DIR): roost removes there
# nothing but a dead socket of its own, takes no listening socket for its
# server unless that server says it is this home's, and refuses a clash
# between two homes with a clear error.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	export ROOST_SOCK_DIR=$T/socks
	mkdir -m 0700 "$ROOST_SOCK_DIR"
}
teardown() {
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	for s in "$ROOST_SOCK_DIR"/*; do
		[ -S "$s" ] && "$TMUX_BIN" -S "$s" kill-server 2>/dev/null
	done
	common_teardown
}

@test "a regular file where the socket goes: start refuses, names it, and leaves it alone" {
	roost add a -- "$T/prog/forever" >/dev/null
	echo mine >"$ROOST_SOCK_DIR/a"
	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == *"$ROOST_SOCK_DIR/a: not a socket: refusing to remove it"* ]]
	[ "$(cat "$ROOST_SOCK_DIR/a")" = mine ]
	! is_running a || false
}

@test "a symlink where the socket goes: refused, the link and its target untouched" {
	roost add a -- "$T/prog/forever" >/dev/null
	echo precious >"$T/target"
	ln -s "$T/target" "$ROOST_SOCK_DIR/a"
	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == *"not a socket: refusing to remove it"* ]]
	[ -L "$ROOST_SOCK_DIR/a" ]
	[ "$(cat "$T/target")" = precious ]
}

@test "a foreign listening socket named like the id is not taken for roost's server" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	roost add a -- "$T/prog/forever" >/dev/null
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5); time.sleep(60)' \
	    "$ROOST_SOCK_DIR/a" &
	LISTENER=$!
	wait_for 20 test -S "$ROOST_SOCK_DIR/a"
	# tmux waits on the socket for an answer that never comes: for 1 s.
	export ROOST_TEST_TOOL_TIMEOUT_MS=1000
	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == *"accepts connections but did not answer as a tmux server in "*" ms: a wedged server, or not tmux"* ]]
	[ -S "$ROOST_SOCK_DIR/a" ]
	run roost stop a
	[ -S "$ROOST_SOCK_DIR/a" ]
}

@test "a server that goes away while asked whose it is: stop takes it for gone, not for foreign" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	roost add a -- "$T/prog/forever" >/dev/null
	# A bare connect (a liveness probe) is let go; the first client that
	# speaks sees the listener close and the socket go, as a tmux server
	# that is exiting does to a client asking it.
	python3 -c 'import os, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(5)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        d = c.recv(64)
    except OSError:
        d = b""
    c.close()
    if d:
        s.close(); os.unlink(p); break' "$ROOST_SOCK_DIR/a" &
	LISTENER=$!
	wait_for 20 test -S "$ROOST_SOCK_DIR/a"
	run --separate-stderr roost stop a
	assert_status 0
	[ "$output" = "stopped a" ] || { echo "$output / $stderr" >&2; false; }
	wait_for 5 pid_gone "$LISTENER"
	[ ! -e "$ROOST_SOCK_DIR/a" ]
}

@test "a plain tmux server on the socket (no home of its own) is refused, not adopted, not killed" {
	roost add a -- "$T/prog/forever" >/dev/null
	"$TMUX_BIN" -S "$ROOST_SOCK_DIR/a" -f /dev/null new-session -d -s a "$T/prog/forever"
	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == *"is not roost's"* ]]
	run roost tick
	assert_output_has "is not roost's"
	"$TMUX_BIN" -S "$ROOST_SOCK_DIR/a" has-session -t a
	[ ! -e "$(state_of a).session" ]
}

@test "two homes sharing the socket directory and an id: the second is refused, and its stop never kills the first's program" {
	roost add bob --restart never -- "$T/prog/forever" >/dev/null
	start_id bob
	local sp other=$T/other
	sp=$(server_pid bob)
	ROOST_HOME=$other "$ROOST_BIN" add bob --restart never -- "$T/prog/forever" >/dev/null
	run --separate-stderr env ROOST_HOME="$other" "$ROOST_BIN" start bob
	assert_status 1
	[[ $stderr == *"belongs to the home $ROOST_HOME, not $other: give each home its own ROOST_SOCK_DIR"* ]]
	run --separate-stderr env ROOST_HOME="$other" "$ROOST_BIN" stop bob
	pid_alive "$sp"
	is_running bob
	# The first home saw nothing die.
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	[ ! -e "$(state_of bob).deaths" ]
	roost stop bob >/dev/null
}

@test "a server started with another ROOST_SOCK_DIR is out of reach, not dead: nothing records, relaunches or signals it" {
	roost add a -- "$T/prog/forever" >/dev/null
	roost start a >/dev/null
	local sp pp msg
	sp=$(server_pid a)
	pp=$(sed -n 's/.* pane_pid=\([0-9]*\).*/\1/p' "$ROOST_HOME/state/a.session")
	msg="a: its tmux server (pid $sp) runs but does not answer on $ROOST_HOME/sock/a: started with another ROOST_SOCK_DIR or home, or its socket removed (kill -USR1 $sp makes it again)"
	mkdir -m 0700 "$ROOST_HOME/sock"
	local c
	for c in start wake restart; do
		ROOST_SOCK_DIR= run --separate-stderr roost "$c" a
		assert_status 1
		[ "$stderr" = "roost: $c: $msg" ]
	done
	ROOST_SOCK_DIR= run --separate-stderr roost tick
	assert_status 0
	[ "$stderr" = "roost: tick: a: $msg" ]
	# Its program runs on, nothing recorded a death, and the one server
	# is still the only one.
	pid_alive "$pp"
	pid_alive "$sp"
	[ ! -e "$ROOST_HOME/log/exits.log" ] || [ "$(count_lines "$(exits_log)" .)" -eq 0 ]
	[ "$(count_lines "$(life_log)" 'ev=death ')" -eq 0 ]
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
	run --separate-stderr roost stop a
	assert_status 0
}
