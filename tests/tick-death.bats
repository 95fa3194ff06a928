#!/usr/bin/env bats
# A death is classified, recorded once and the restart policy applied, at
# once: the canary or the pane-died hook asks for a pass over the
# identity.  The scheduled tick is the safety net for the deaths nobody
# saw (a reboot, a stale socket) and sees nothing twice.

load helpers

setup() {
	common_setup
	# once TAG HOW: the first run ends (exit N, or kill -SIG), every later
	# run lasts.
	cat >"$T/prog/once" <<'EOF'
#!/bin/sh
f=$(dirname "$0")/once.$1
if [ -e "$f" ]; then
	while :; do sleep 1; done
fi
: >"$f"
sleep 0.3
case $2 in
[0-9]*) exit "$2" ;;
*) kill -"$2" $$; sleep 5 ;;
esac
EOF
	chmod +x "$T/prog/once"
}
teardown() {
	# A test that stopped a server resumes it: tmux clients would block.
	[ -n "${STOPPED:-}" ] && kill -CONT "$STOPPED" 2>/dev/null
	common_teardown
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

# start ID: start it and wait until its canary is up.
start_up() {
	roost start "$1" >/dev/null
	is_running "$1"
	wait_for 5 pid_alive "$(canary_pid "$1")"
}

# kill_server ID: SIGKILL the identity's tmux server and wait until it is
# gone (the canary then records the death on its own).
kill_server() {
	local p
	p=$(server_pid "$1")
	[ -n "$p" ]
	kill -KILL "$p"
	wait_for 5 pid_gone "$p"
}

# ended ID: the server is gone.  tmux built with utempter can lose the
# SIGCHLD of a pane that ends (tmux#311); the tick nudges such a server, so
# the wait does the same instead of depending on a tick.
ended() {
	local sp
	sp=$(server_pid "$1" 2>/dev/null)
	[ -n "$sp" ] && kill -CHLD "$sp" 2>/dev/null
	not_running "$1"
}

# wait until the program in the pane has ended, its exit was recorded by
# the pane-died hook and the server exited.
wait_ended() {
	wait_for 10 ended "$1"
	wait_for 5 [ -f "$ROOST_HOME/state/$1.last-exit" ]
}

@test "SIGKILLed server: recorded and relaunched at once, with no tick run; a later tick is quiet" {
	local oldsp oldcp
	roost add k --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_up k
	oldsp=$(server_pid k)
	oldcp=$(canary_pid k)
	kill_server k
	wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=launch id=k mode=fresh cause=restart")" -eq 1 ]'
	wait_for 5 is_running k
	[ "$(count_lines "$ROOST_HOME/state/k.deaths" .)" -eq 1 ]
	grep -Eq '^[0-9]+ server-vanished signal=SIGKILL$' "$ROOST_HOME/state/k.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=death id=k ')" -eq 1 ]
	grep -q "ev=death id=k cause=server-vanished .*signal=SIGKILL .*server_pid=$oldsp" "$(LIFE)"
	[ "$(server_pid k)" != "$oldsp" ]
	pid_alive "$(server_pid k)"
	[ "$(canary_pid k)" != "$oldcp" ]
	pid_alive "$(canary_pid k)"
	[ "$(count_lines "$ROOST_HOME/log/exits.log" "ev=server-exit id=k cause=server-vanished signal=SIGKILL .*server_pid=$oldsp ")" -eq 1 ]
	# The pass that did it logs its summary, asked for by the death,
	# as it ends (after the launch this waited for).
	wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=tick ids=1 running=0 launched=1 reaped=0 deaths=1 ms=[0-9]+ origin=death\$")" -eq 1 ]'
	[ "$(count_lines "$(LIFE)" 'ev=tick ids=1 running=0 launched=1 reaped=0 deaths=1 ms=[0-9]+ origin=death$')" -eq 1 ]
	# A scheduled tick is quiet: no second death.
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ "$(count_lines "$ROOST_HOME/state/k.deaths" .)" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 1 ]
	run roost status k
	assert_status 0
}

@test "exit 0 under on-failure: exited, not relaunched" {
	roost add z --restart on-failure -- "$T/prog/exitwith" 0 >/dev/null
	roost start z >/dev/null
	wait_ended z
	wait_for 5 test -f "$ROOST_HOME/state/z.deaths"
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/z.deaths"
	grep -q 'ev=death id=z cause="status=0" status=0 signal=' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z ')" -eq 1 ]
	not_running z
	# The pass removes .session last, after the death's line.
	wait_for 5 eval '[ ! -e "$ROOST_HOME/state/z.session" ]'
	run roost status z
	assert_status 3
	[[ ${lines[1]} =~ ^z\ +exited\ +-\ +-\ +-\ +-\ +-\ +0\ +1\ +status=0\ [0-9]+s\ ago$ ]]
	# It stays down.
	run roost tick
	assert_status 0
	not_running z
	[ "$(count_lines "$(LIFE)" 'ev=launch id=z ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=backoff')" -eq 0 ]
}

@test "a failure under on-failure is relaunched after restart_delay, logged as ev=backoff" {
	roost add f -- "$T/prog/once" f 3 >/dev/null
	roost start f >/dev/null
	wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=launch id=f mode=fresh cause=restart")" -eq 1 ]'
	grep -Eq '^[0-9]+ status=3$' "$ROOST_HOME/state/f.deaths"
	grep -Eq 'ev=backoff id=f delay=1\.000 until=[0-9]+\.[0-9]{3}$' "$(LIFE)"
}

@test "a signal death is recorded by name and relaunched under on-failure" {
	roost add s --restart-delay 0 -- "$T/prog/once" s SEGV >/dev/null
	roost start s >/dev/null
	wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=launch id=s mode=fresh cause=restart")" -eq 1 ]'
	grep -Eq '^[0-9]+ SIGSEGV$' "$ROOST_HOME/state/s.deaths"
	grep -q 'ev=death id=s cause=SIGSEGV status= signal=SIGSEGV' "$(LIFE)"
}

@test "--restart never: a failed program stays down" {
	roost add n --restart never -- "$T/prog/exitwith" 3 >/dev/null
	roost start n >/dev/null
	wait_ended n
	wait_for 5 test -f "$ROOST_HOME/state/n.deaths"
	grep -Eq '^[0-9]+ status=3$' "$ROOST_HOME/state/n.deaths"
	run roost tick
	assert_status 0
	not_running n
	[ "$(count_lines "$(LIFE)" 'ev=launch id=n ')" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/state/n.deaths" .)" -eq 1 ]
	run roost status n
	assert_status 3
	[[ ${lines[1]} =~ ^n\ +exited\  ]]
}

@test "--restart never: a SIGKILLed server stays down" {
	roost add nk --restart never -- "$T/prog/forever" >/dev/null
	start_up nk
	kill_server nk
	wait_for 5 test -f "$ROOST_HOME/state/nk.deaths"
	# The signal of a server's death is named, in .deaths and status.
	grep -Eq '^[0-9]+ server-vanished signal=SIGKILL$' "$ROOST_HOME/state/nk.deaths"
	run roost tick
	assert_status 0
	not_running nk
	run roost status --format logfmt nk
	[[ $output == *" last_exit=SIGKILL last_exit_age="* ]]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=nk ')" -eq 1 ]
}

@test "--restart always: even exit 0 is relaunched" {
	local oldsp
	roost add a --restart always --restart-delay 0 -- "$T/prog/once" a 0 >/dev/null
	roost start a >/dev/null
	oldsp=$(server_pid a)
	wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=launch id=a mode=fresh cause=restart")" -eq 1 ]'
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/a.deaths"
	[ -f "$ROOST_HOME/state/a.session" ]
	# A restart due at once happens in the live server: the server
	# stays, the program's pane process is new.
	[ "$(server_pid a)" = "$oldsp" ]
	grep -q "ev=launch id=a mode=fresh cause=restart server_pid=$oldsp respawn=yes" "$(LIFE)"
}

# everything_dies ID: server, canary and the records they would write
# gone at once, as in a crash of the whole machine; .session stays.
everything_dies() {
	local sp cp
	sp=$(server_pid "$1")
	cp=$(canary_pid "$1")
	kill -KILL "$cp"
	wait_for 5 pid_gone "$cp"
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	rm -f "$ROOST_HOME/state/$1.canary" "$ROOST_HOME/state/$1.last-exit"
	[ -f "$ROOST_HOME/state/$1.session" ]
}

@test "no socket, no canary, no record, woke after the boot: the tick records server-dead reason=socket-missing and relaunches" {
	local oldsp
	roost add r --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_up r
	oldsp=$(server_pid r)
	everything_dies r
	rm -f "$ROOST_HOME/sock/r"
	run roost status r
	assert_status 3
	[[ ${lines[1]} =~ ^r\ +dead\  ]]
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=socket-missing$' \
	    "$ROOST_HOME/state/r.deaths"
	grep -q "ev=death id=r cause=server-dead reason=socket-missing .*server_pid=$oldsp" "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=r mode=fresh cause=restart')" -eq 1 ]
	is_running r
	[ "$(server_pid r)" != "$oldsp" ]
}

@test "a session that woke before the machine booted: server-dead reason=reboot" {
	local boot
	boot=$(awk '$1 == "btime" { print $2 }' /proc/stat)
	[ -n "$boot" ] || skip "no btime in /proc/stat"
	roost add rb --restart never -- "$T/prog/forever" >/dev/null
	printf 'woke=%s mode=fresh server_pid=999999 pane_pid=999998 server_start=1 pane_start=1\n' \
	    "$((boot - 60))" >"$ROOST_HOME/state/rb.session"
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=reboot$' "$ROOST_HOME/state/rb.deaths"
	grep -q "ev=death id=rb cause=server-dead reason=reboot " "$(LIFE)"
	[ ! -e "$ROOST_HOME/state/rb.session" ]
}

@test "stale socket: socket file present, no server -> server-dead reason=stale-socket, the socket removed" {
	roost add st --restart never -- "$T/prog/forever" >/dev/null
	start_up st
	everything_dies st
	[ -S "$ROOST_HOME/sock/st" ]
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=stale-socket$' \
	    "$ROOST_HOME/state/st.deaths"
	grep -q 'ev=death id=st cause=server-dead reason=stale-socket' "$(LIFE)"
	[ ! -e "$ROOST_HOME/sock/st" ]
}

@test "a death the tick finds waits out its backoff in a pass of its own, then relaunches" {
	roost add bk --restart-delay 5 -- "$T/prog/forever" >/dev/null
	start_up bk
	everything_dies bk
	run roost tick
	assert_status 0
	# Whichever pass finds the death first logs the backoff (this tick,
	# or one it found holding the identity's lock), to the millisecond
	# (capped by the tick interval).
	wait_for 10 grep -Eq 'ev=backoff id=bk delay=[1-5]\.000 until=[0-9]+\.[0-9]{3}$' "$(LIFE)"
	not_running bk
	run roost status bk
	[[ ${lines[1]} =~ ^bk\ +backoff\  ]]
	wait_for 20 is_running bk
	# The server answers before the launch has logged itself.
	wait_for 5 grep -q 'ev=launch id=bk mode=fresh cause=restart' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=launch id=bk mode=fresh cause=restart')" -eq 1 ]
}

@test "an old .last-exit from an earlier server is not this death's cause" {
	roost add o --restart-delay 0 -- "$T/prog/forever" >/dev/null
	start_up o
	everything_dies o
	printf 'ts=2020-01-01T00:00:00Z ev=session-exit id=o status=0 signal= pane_pid=2 server_pid=3\n' \
	    >"$ROOST_HOME/state/o.last-exit"
	run roost tick
	assert_status 0
	grep -Eq '^[0-9]+ server-dead reason=stale-socket$' \
	    "$ROOST_HOME/state/o.deaths"
	# Under on-failure a stale "status=0" must not stop the relaunch.
	[ "$(count_lines "$(LIFE)" 'ev=launch id=o mode=fresh cause=restart')" -eq 1 ]
}

@test "a pane that ended unnoticed by tmux: the tick nudges its server with SIGCHLD and records the death in the same pass" {
	local sp pp
	need_tool strace "it shows the kill(2) the tick sends"
	roost add u --restart never -- "$T/prog/held" "$T/prog/exitwith" 0 >/dev/null
	roost start u >/dev/null
	sp=$(server_pid u)
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$ROOST_HOME/state/u.session")
	[ -n "$pp" ]
	# A stopped server cannot reap: the pane ends and stays a zombie, the
	# state a lost SIGCHLD leaves behind.  It resumes once the pass has
	# nudged it (strace writes each call as it is made; after 10 s it
	# resumes anyway, and the grep below fails).
	STOPPED=$sp
	kill -STOP "$sp"
	go u
	wait_for 5 pid_gone "$pp"
	(
		i=0
		while [ "$i" -lt 500 ] &&
		    ! grep -q "kill($sp, SIGCHLD)" "$T/strace.out" 2>/dev/null; do
			sleep 0.02
			i=$((i + 1))
		done
		kill -CONT "$sp"
	) 3>&- &
	run strace_roost -f -e trace=kill -o "$T/strace.out" "$ROOST_BIN" tick --verbose
	assert_status 0
	grep -q "kill($sp, SIGCHLD)" "$T/strace.out"
	# The same pass saw the server go and recorded the death.
	[[ $output == *" deaths=1 "* ]]
	grep -q 'ev=session-exit id=u status=0 ' "$ROOST_HOME/log/exits.log"
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/u.deaths"
	[ "$(count_lines "$(LIFE)" 'ev=death id=u ')" -eq 1 ]
}

@test ".deaths keeps the newest 16 lines" {
	local i old=$(($(date +%s) - 100000)) sp
	roost add h --restart-delay 0 -- "$T/prog/forever" >/dev/null
	roost start h >/dev/null
	for i in $(seq 1 16); do
		echo "$((old + i)) status=$i"
	done >"$ROOST_HOME/state/h.deaths"
	sp=$(server_pid h)
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	wait_for 10 eval '[ "$(tail -n 1 "$ROOST_HOME/state/h.deaths" | cut -d" " -f2)" = server-vanished ]'
	[ "$(count_lines "$ROOST_HOME/state/h.deaths" .)" -eq 16 ]
	[ "$(head -n 1 "$ROOST_HOME/state/h.deaths")" = "$((old + 2)) status=2" ]
	# Old deaths are outside the crash-loop window: relaunched.
	wait_for 10 is_running h
}

@test "a .deaths grown past 64 KiB by hand is read from its newest lines: the crash-loop count holds" {
	local i now sp
	now=$(date +%s)
	roost add big --restart-delay 0 --crashloop 3/300 -- "$T/prog/forever" >/dev/null
	{
		for i in $(seq 1 3000); do echo "1000 status=9 padding padding padding"; done
		echo "$((now - 5)) status=1"
		echo "$((now - 4)) status=1"
	} >"$ROOST_HOME/state/big.deaths"
	[ "$(wc -c <"$ROOST_HOME/state/big.deaths")" -gt 65536 ]
	roost start big >/dev/null
	sp=$(server_pid big)
	# start clears .deaths: put the big one back under the running session.
	{
		for i in $(seq 1 3000); do echo "1000 status=9 padding padding padding"; done
		echo "$((now - 5)) status=1"
		echo "$((now - 4)) status=1"
	} >"$ROOST_HOME/state/big.deaths"
	kill -KILL "$sp"
	wait_for 10 test -f "$ROOST_HOME/state/big.crash-loop"
	grep -qx 'deaths=3 window=300' "$ROOST_HOME/state/big.crash-loop"
}
