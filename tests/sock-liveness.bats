#!/usr/bin/env bats
# Whether an identity runs is one connect(2) to its socket: no socket file
# is one lstat and no connect; a refused connect is tried once more before
# the server is taken for dead (BSD and macOS refuse a full listen backlog
# just like a socket nobody listens on); a listener with a full backlog
# (EAGAIN on Linux) is alive.

load helpers

setup() {
	common_setup
	roost add bob -- "$T/prog/forever" >/dev/null
	SOCK=$(sock_of bob)
	mkdir -p "${SOCK%/*}"
}

teardown() { common_teardown; }

# connects_to FILE: the connect(2) calls in strace output FILE to $SOCK.
connects_to() {
	grep -c -F "sun_path=\"$SOCK\"" "$1" || true
}

# stats_of FILE: the stat(2)-family calls in strace output FILE on $SOCK.
stats_of() {
	grep -F "\"$SOCK\"" "$1" | grep -c -E 'stat' || true
}

@test "no socket file: not running, one lstat and no connect" {
	need_tool strace "it shows the lstat and connect calls"
	run strace_roost -f -e trace=%stat,%lstat,%fstat,connect \
	    -o "$T/strace.out" "$ROOST_BIN" status bob
	assert_status 3
	assert_output_has "bob  down"
	cat "$T/strace.out" >&2
	[ "$(stats_of "$T/strace.out")" -eq 1 ]
	[ "$(connects_to "$T/strace.out")" -eq 0 ]
}

@test "a socket nobody listens on: refused twice, then not running" {
	need_tool strace "it shows the lstat and connect calls"
	need_tool python3 "it makes the socket"
	# Bound, never listened on: every connect is refused.
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	run strace_roost -f -e trace=connect -o "$T/strace.out" \
	    "$ROOST_BIN" status bob
	assert_status 3
	assert_output_has "bob  down"
	cat "$T/strace.out" >&2
	[ "$(connects_to "$T/strace.out")" -eq 2 ]
	[ "$(grep -F "sun_path=\"$SOCK\"" "$T/strace.out" |
	    grep -c ECONNREFUSED)" -eq 2 ]
}

@test "a listener whose backlog is full is alive (wedged: it answers nothing), not dead" {
	need_tool python3 "it makes the socket"
	# Listen with the smallest backlog and fill it; accept nothing.
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(0)
held = []
while True:
    c = socket.socket(socket.AF_UNIX)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(c)
open(sys.argv[2], "w").close()
time.sleep(60)' "$SOCK" "$T/full" 3>&- &
	local py=$!
	wait_for 10 [ -e "$T/full" ]
	run roost status bob
	kill "$py"
	assert_status 3
	assert_output_has "bob  wedged"
}
