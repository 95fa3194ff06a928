#!/usr/bin/env bats
# A pid from a marker is signalled only while it is provably the process
# roost started: the same start time and still the canary's script.  A
# stale .canary after a reboot, a reused pid, a process that merely names
# the canary's script, another home's canary: none is ever signalled.

load helpers
load session-lib
load install-helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}
teardown() {
	[ -n "${DECOY:-}" ] && kill -KILL -- "-$DECOY" 2>/dev/null
	[ -n "${STOPPED:-}" ] && kill -CONT "$STOPPED" 2>/dev/null
	common_teardown
}

# decoy ARGS...: a process (its own group) whose argv is ARGS, in $DECOY.
decoy() {
	need_tool setsid "the decoy leads its own process group"
	setsid sh -c 'exec "$@"' sh "$@" </dev/null >/dev/null 2>&1 &
	DECOY=$!
	wait_for 5 pid_alive "$DECOY"
}

# start_time PID: PID's start stamp as roost records it: field 22 of
# /proc/PID/stat; on macOS p_starttime in microseconds, from sysctl's
# struct kinfo_proc (a struct timeval at its start); for another build
# without /proc the 64-bit FNV-1a of ps's lstart (bash arithmetic wraps at
# 64 bits as the C does).  The reused-pid case checks it against roost's
# own idea of the canary first, so a wrong one fails there.
start_time() {
	local s h=-3750763034362895579 i c
	if build_has_proc; then
		cut -d')' -f2- "/proc/$1/stat" | awk '{ print $20 }'
		return
	fi
	if [ "$(uname -s)" = Darwin ]; then
		python3 -c '
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
mib = (ctypes.c_int * 4)(1, 14, 1, int(sys.argv[1]))  # KERN_PROC_PID
buf = ctypes.create_string_buffer(1024)
n = ctypes.c_size_t(len(buf))
if libc.sysctl(mib, 4, buf, ctypes.byref(n), None, 0) != 0 or n.value < 16:
    sys.exit(1)
sec, usec = struct.unpack_from("=qi", buf.raw, 0)
print(sec * 1000000 + usec)' "$1"
		return
	fi
	s=$(LC_ALL=C TZ=UTC0 ps -o lstart= -p "$1")
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( (h ^ c) * 1099511628211 ))
	done
	printf '%u\n' "$h"
}

@test "a stale .canary naming a process whose argv names the canary script: stop, start, rm and uninstall --purge never signal it" {
	roost add bob --restart never -- "$T/prog/forever" >/dev/null
	# A tail -f of the canary script, say: its argv has the script's path.
	decoy sh -c 'sleep 1000' "$ROOST_HOME/bin/bob.canary"
	# .canary as a reboot leaves it: that pid, a start time that is not its.
	echo "$DECOY 12345" >"$(state_of bob).canary"
	run roost stop bob
	assert_status 0
	pid_alive "$DECOY"
	echo "$DECOY 12345" >"$(state_of bob).canary"
	run roost start bob
	assert_status 0
	pid_alive "$DECOY"
	roost stop bob >/dev/null
	echo "$DECOY 12345" >"$(state_of bob).canary"
	run roost rm bob
	assert_status 0
	pid_alive "$DECOY"
	roost add bob -- "$T/prog/forever" >/dev/null
	echo "$DECOY 12345" >"$(state_of bob).canary"
	run roost uninstall --purge --yes
	assert_status 0
	pid_alive "$DECOY"
}

@test "a .canary whose pid was reused by an unrelated process with its own start time: never signalled, and taken for no canary" {
	roost add bob --restart never -- "$T/prog/forever" >/dev/null
	start_id bob
	# start_time agrees with roost: the live canary, so written, is taken.
	local cp
	cp=$(canary_pid bob)
	echo "$cp $(start_time "$cp")" >"$(state_of bob).canary"
	run roost canary bob
	assert_status 0
	[ "$output" = already ]
	decoy sleep 1000
	# The right script name cannot be faked into a reused pid; the start
	# time is the decoy's own, the argv not the canary's.
	echo "$DECOY $(start_time "$DECOY")" >"$(state_of bob).canary"
	run roost canary bob
	assert_status 0
	[ "$output" = spawned ]
	pid_alive "$DECOY"
	roost stop bob >/dev/null
	pid_alive "$DECOY"
}

@test "another home's pane-died never touches this home's canary of the same id" {
	roost add bob --restart never -- "$T/prog/forever" >/dev/null
	start_id bob
	local cp
	cp=$(canary_pid bob)
	local other=$T/other
	ROOST_HOME=$other "$ROOST_BIN" add bob --restart never -- "$T/prog/exitwith" 0 >/dev/null
	ROOST_HOME=$other "$ROOST_BIN" start bob >/dev/null
	wait_for 10 grep -q 'ev=session-exit id=bob ' "$other/log/exits.log"
	sleep 0.3
	pid_alive "$cp"
	[ "$(canary_pid bob)" = "$cp" ]
	is_running bob
}

@test "a wedged (SIGSTOPped) server: stop ends it, and the SIGKILL goes to the recorded server only" {
	roost add w --restart never --stop-timeout 1 -- "$T/prog/forever" >/dev/null
	start_id w
	local sp
	sp=$(server_pid w)
	STOPPED=$sp
	kill -STOP "$sp"
	# Each tmux call to the stopped server waits out its limit: 1 s here.
	ROOST_TEST_TOOL_TIMEOUT_MS=1000 run roost stop w
	assert_status 0
	[ "$output" = "stopped w" ]
	wait_for 5 pid_gone "$sp"
	STOPPED=
	! is_running w || false
	[ "$(count_lines "$(exits_log)" 'ev=server-exit')" -eq 0 ]
	assert_no_processes
}

@test "a .session naming a server pid that is now another process: stop never kills it" {
	roost add v --restart never -- "$T/prog/forever" >/dev/null
	decoy sleep 1000
	printf 'woke=%s mode=fresh server_pid=%s pane_pid=%s server_start=1 pane_start=1\n' \
	    "$(date +%s)" "$DECOY" "$DECOY" >"$(state_of v).session"
	run roost stop v
	assert_status 0
	pid_alive "$DECOY"
	run roost tick
	pid_alive "$DECOY"
}
