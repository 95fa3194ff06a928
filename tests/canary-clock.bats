#!/usr/bin/env bats
# The canary's record of a server death comes first, with no exec before
# it where the platform allows: on Linux it knows the wall clock from
# /proc/uptime (read by the shell itself) against the clock it read once
# at its start, the signal's name from roost's table rendered into it, and
# its oom= verdict from the memory cgroup's counter that the launch
# recorded in .session.  Without that counter (a build without /proc, the
# Mac's path, records none) the verdict's only evidence is the kernel log:
# one exec of dmesg before the line, which is the price of oom= there.
# The time it writes is the real one.

load helpers
load session-lib

setup() { common_setup; }
teardown() { common_teardown; }

@test "server SIGKILL: no exec in the canary before its ev=server-exit line, and its ts is the wall clock's" {
	[ -r /proc/uptime ] || skip "no /proc/uptime: the canary runs date here"
	need_tool strace "it shows what the canary runs"
	build_has_proc || skip "this roost is built without /proc: no memory cgroup counter, so oom= needs dmesg before the record"
	add_id bob "$T/prog/forever"
	start_id bob
	grep -q ' memcg=' "$ROOST_HOME/state/bob.session" ||
	    skip "no memory cgroup counter here: oom= needs dmesg before the record"
	local sp cp st t0 t1 line ts
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	strace -qq -f -e trace=execve,write -o "$T/strace.out" -p "$cp" &
	st=$!
	# strace is attached once the canary's pending wait shows up.
	wait_for 5 test -e "$T/strace.out"
	sleep 0.3
	t0=$(date -u +%s)
	kill -KILL "$sp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=bob cause=server-vanished signal=SIGKILL "
	t1=$(date -u +%s)
	# strace has written the record's write(2) (and all before it), then
	# ends.  KILL, not TERM: a tracer told to detach waits for each
	# tracee to stop, and a canary in vfork(2) waits for its child, which
	# waits for the tracer -- a deadlock; a tracer's death detaches all.
	wait_for 10 grep -q 'write(.*ev=serve' "$T/strace.out"
	kill -KILL "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	wait_for 15 pid_gone "$cp"
	# The first write of the line comes before any execve.
	awk '/execve\(/ && !w { print "exec before the record: " $0; bad = 1; exit }
	    /write\(.*ev=serve/ { w = 1 }
	    END { exit bad || !w }' "$T/strace.out" || { cat "$T/strace.out" >&2; false; }
	line=$(grep 'ev=server-exit' "$(exits_log)")
	ts=${line%% *}
	ts=${ts#ts=}
	ts=$(python3 -c 'import calendar, sys, time; print(calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")))' "$ts")
	[ "$ts" -ge $((t0 - 1)) ] && [ "$ts" -le $((t1 + 1)) ] ||
	    { echo "ts=$ts not within $t0..$t1" >&2; false; }
	# The forensics file is named by the same clock, and the server's pid.
	[ "$(field "$line" forensics)" = "$ROOST_HOME/log/server-deaths/bob-$ts-$sp.txt" ]
	[ -f "$ROOST_HOME/log/server-deaths/bob-$ts-$sp.txt" ]
}
