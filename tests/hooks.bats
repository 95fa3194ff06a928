#!/usr/bin/env bats
# hooks.bats - $ROOST_HOME/hooks/<event>: run for death, server-exit,
# crash-loop, reap and launch with the event's line on stdin and ROOST_*
# in the environment, detached from the tick (never delaying it), killed
# after its time limit, its result logged as ev=hook; an unsafe hook is
# refused and logged, never run.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	mkdir -p "$ROOST_HOME/hooks"
	chmod 700 "$ROOST_HOME/hooks"
}

teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }

# recorder EVENT: a hook that writes its stdin and environment to
# $T/EVENT.out (atomically, so a reader never sees half of it).
recorder() {
	cat >"$ROOST_HOME/hooks/$1" <<EOF
#!/bin/sh
{
	printf 'stdin=%s\n' "\$(cat)"
	printf 'event=%s\nid=%s\ncause=%s\nhome=%s\npwd=%s\n' "\$ROOST_EVENT" \\
	    "\$ROOST_ID" "\$ROOST_CAUSE" "\$ROOST_HOME" "\$(pwd)"
} >"$T/$1.tmp" && mv "$T/$1.tmp" "$T/$1.out"
EOF
	chmod 700 "$ROOST_HOME/hooks/$1"
}

field_of() { sed -n "s/^$2=//p" "$T/$1.out"; }

logged() { grep -q -E -- "$1" "$(LIFE)"; }

server_gone() {
	is_running "$1" && { kill -CHLD "$(server_pid "$1")" 2>/dev/null; return 1; }
	return 0
}

@test "death: the ev=death line on stdin, ROOST_* in the environment, ev=hook logged" {
	recorder death
	roost add bob --restart never -- "$T/prog/exitwith" 3
	roost start bob >/dev/null
	wait_for 10 server_gone bob
	roost tick
	wait_for 10 test -f "$T/death.out"
	[ "$(field_of death stdin)" = "$(grep ' ev=death id=bob ' "$(LIFE)")" ]
	[ "$(field_of death event)" = death ]
	[ "$(field_of death id)" = bob ]
	[ "$(field_of death cause)" = "status=3" ]
	[ "$(field_of death home)" = "$ROOST_HOME" ]
	[ "$(field_of death pwd)" = "$ROOST_HOME" ]
	wait_for 10 logged ' ev=hook id=bob event=death rc=0 signal= timeout=no ms=[0-9]+$'
}

@test "launch and server-exit: a start runs launch; a SIGKILLed server runs death and server-exit with the canary's line" {
	recorder launch
	recorder death
	recorder server-exit
	roost add bob --restart never -- "$T/prog/forever"
	roost start bob >/dev/null
	wait_for 10 test -f "$T/launch.out"
	[ "$(field_of launch cause)" = start ]
	[[ $(field_of launch stdin) == *" ev=launch id=bob mode=fresh cause=start "* ]]
	local sp
	sp=$(server_pid bob)
	wait_for 5 pid_alive "$(canary_pid bob)"
	kill -KILL "$sp"
	wait_for 10 test -f "$ROOST_HOME/state/bob.last-exit"
	roost tick
	wait_for 10 test -f "$T/server-exit.out"
	[ "$(field_of server-exit stdin)" = "$(cat "$ROOST_HOME/state/bob.last-exit")" ]
	[[ $(field_of server-exit stdin) == *" ev=server-exit id=bob "* ]]
	[ -n "$(field_of server-exit cause)" ]
	wait_for 10 test -f "$T/death.out"
	[[ $(field_of death stdin) == *" ev=death id=bob "* ]]
	# The dead server's socket went with the record.
	[ ! -e "$ROOST_HOME/sock/bob" ]
}

@test "crash-loop and reap run their hooks" {
	recorder crash-loop
	recorder reap
	roost add cl --crashloop 1/300 -- "$T/prog/exitwith" 1
	roost start cl >/dev/null
	wait_for 10 server_gone cl
	roost tick
	wait_for 10 test -f "$T/crash-loop.out"
	[ "$(field_of crash-loop id)" = cl ]
	[ "$(field_of crash-loop cause)" = "status=1" ]
	[[ $(field_of crash-loop stdin) == *" ev=refused id=cl cause=crash-loop "* ]]
	roost add idle --idle 1 -- "$T/prog/forever"
	roost start idle >/dev/null
	set_mtime "$(($(date +%s) - 3600))" "$ROOST_HOME/log/idle.log"
	tick_reaps() { roost tick; ! is_running idle; }
	wait_for 15 tick_reaps
	wait_for 10 test -f "$T/reap.out"
	[ "$(field_of reap cause)" = idle ]
	[[ $(field_of reap stdin) == *" ev=reap id=idle reason=idle "* ]]
}

@test "a hanging hook never delays the tick; at its time limit its whole group is killed and that is logged" {
	mkfifo "$T/fifo"
	cat >"$ROOST_HOME/hooks/launch" <<EOF
#!/bin/sh
cat >/dev/null
sleep 600 &
echo \$! >"$T/child"
echo started >"$T/started"
read x <"$T/fifo"
EOF
	chmod 700 "$ROOST_HOME/hooks/launch"
	roost add bob -- "$T/prog/forever"
	touch "$ROOST_HOME/state/bob.wake"
	# The tick is done while the hook still blocks.
	ROOST_TEST_HOOK_TIMEOUT_MS=60000 roost tick
	wait_for 10 test -s "$T/child"
	wait_for 10 test -f "$T/started"
	pgrep -f "$ROOST_HOME/hooks/launch" >/dev/null
	is_running bob
	! logged ' ev=hook id=bob event=launch ' || false
	echo go >"$T/fifo"
	wait_for 10 logged ' ev=hook id=bob event=launch rc=0 signal= timeout=no '
	kill "$(cat "$T/child")"
	roost stop bob >/dev/null
	# Now one that never ends, with a short limit: SIGKILLed, its child too.
	rm -f "$T/child" "$T/started"
	ROOST_TEST_HOOK_TIMEOUT_MS=300 roost start bob >/dev/null
	wait_for 10 logged ' ev=hook id=bob event=launch rc= signal=SIGKILL timeout=yes ms=[0-9]+$'
	wait_for 5 test -s "$T/child"
	wait_for 5 pid_gone "$(cat "$T/child")"
	roost stop bob >/dev/null
}

@test "a failing hook is logged with its status and changes nothing" {
	printf '#!/bin/sh\nexit 7\n' >"$ROOST_HOME/hooks/launch"
	chmod 700 "$ROOST_HOME/hooks/launch"
	roost add bob -- "$T/prog/forever"
	run roost start bob
	assert_status 0
	wait_for 10 logged ' ev=hook id=bob event=launch rc=7 signal= timeout=no '
	is_running bob
	roost stop bob >/dev/null
}

@test "unsafe hooks are refused and logged, never run: writable, symlinked, a FIFO, not executable, an unsafe hooks/" {
	recorder launch
	roost add bob -- "$T/prog/forever"
	start_stop() {
		run --separate-stderr roost start bob
		assert_status 0
		roost stop bob >/dev/null
	}
	chmod 722 "$ROOST_HOME/hooks/launch"
	start_stop
	logged " ev=hook id=bob event=launch refused=\"the hook is group or world writable \\(mode 0722\\)\" path=$ROOST_HOME/hooks/launch"
	[[ $stderr == *"roost: start: hook $ROOST_HOME/hooks/launch refused: the hook is group or world writable (mode 0722)"* ]]
	chmod 600 "$ROOST_HOME/hooks/launch"
	start_stop
	logged 'refused="the hook is not executable"'
	mv "$ROOST_HOME/hooks/launch" "$T/real-hook"
	chmod 700 "$T/real-hook"
	ln -s "$T/real-hook" "$ROOST_HOME/hooks/launch"
	start_stop
	logged 'refused="the hook is a symlink"'
	rm "$ROOST_HOME/hooks/launch"
	mkfifo "$ROOST_HOME/hooks/launch"
	start_stop
	logged 'refused="the hook is not a regular file"'
	rm "$ROOST_HOME/hooks/launch"
	cp "$T/real-hook" "$ROOST_HOME/hooks/launch"
	chmod 777 "$ROOST_HOME/hooks"
	start_stop
	logged 'refused="hooks/ is group or world writable \(mode 0777\)"'
	[ ! -e "$T/launch.out" ]
	# Made safe again, it runs.
	chmod 700 "$ROOST_HOME/hooks"
	start_stop
	wait_for 10 test -f "$T/launch.out"
}

@test "a hook owned by another user is refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to give the hook to another owner"
	recorder launch
	chown nobody "$ROOST_HOME/hooks/launch"
	roost add bob -- "$T/prog/forever"
	roost start bob >/dev/null 2>&1
	logged "refused=\"the hook is owned by uid $(id -u nobody), not by you\""
	roost stop bob >/dev/null
	[ ! -e "$T/launch.out" ]
}
