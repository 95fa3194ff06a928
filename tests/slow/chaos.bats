#!/usr/bin/env bats
# The chaos soak: eight identities under random abuse for a bounded time
# (ROOST_CHAOS_SECS, default 60) while two tick loops run: servers,
# programs and canaries killed, servers stopped and continued, a person's
# pane split beside the program and ended, and stop, start, restart,
# rm --force and add run against them.  Half the programs ignore SIGHUP
# (they outlive a killed server unless roost ends them).  Every death the
# soak causes is counted (a server or a program killed while its session
# was up), and at the end the deaths roost recorded (ev=death) must match
# exactly, identity by identity: no false death, none lost, none counted
# twice, and nothing of it left running.  Actions on one identity wait until its last death has been
# acted on (a new session, or none), so the count is exact; the tick
# loops race with all of it.

load ../helpers
bats_require_minimum_version 1.5.0

N=8
HALT=

setup() {
	common_setup
	printf '#!/bin/sh\ntrap "" HUP\nwhile :; do sleep 1; done\n' >"$T/prog/nohup"
	chmod +x "$T/prog/nohup"
}

# prog I: what identity I runs.
prog() {
	if [ $(($1 % 2)) -eq 0 ]; then echo "$T/prog/nohup"; else echo "$T/prog/forever"; fi
}
teardown() {
	[ -z "$HALT" ] || : >"$HALT"
	local p
	for p in $(pgrep -f "$T/home/sock" 2>/dev/null); do
		kill -CONT "$p" 2>/dev/null
	done
	common_teardown
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
SESS() { echo "$ROOST_HOME/state/c$1.session"; }

# field I KEY: KEY= of identity I's .session ("" when there is none).
field() {
	sed -n "s/.*[ ^]$2=\\([0-9]*\\).*/\\1/p; s/^$2=\\([0-9]*\\).*/\\1/p" "$(SESS "$1")" 2>/dev/null | head -n 1
}

# run_of I: the run .session records, "<server pid>:<pane pid>" (a
# restart may respawn the pane in the same server).
run_of() {
	echo "$(field "$1" server_pid):$(field "$1" pane_pid)"
}

# settled I: no death of identity I is waiting to be acted on: its dying
# run (DYING[I]) is gone from .session.
settled() {
	[ -n "${DYING[$1]}" ] || return 0
	[ "$(run_of "$1")" != "${DYING[$1]}" ]
}

# up I: identity I runs a session roost has recorded.
up() {
	[ -s "$(SESS "$1")" ] && is_running "c$1" && [ -n "$(field "$1" server_pid)" ]
}

tick_loop() {
	while [ ! -e "$HALT" ]; do
		"$ROOST_BIN" tick >/dev/null 2>&1
		sleep "$1"
	done
}

# One random action on identity i; CAUSED[i] counts the deaths it made.
act() {
	local i=$1 sp pp cp
	if [ "${GONE[$i]}" = 1 ]; then
		roost add "c$i" --restart always --restart-delay 0 --crashloop 16/1 \
		    -- "$(prog "$i")" >/dev/null 2>&1 && GONE[$i]=0
		roost start "c$i" >/dev/null 2>&1
		return
	fi
	if [ "${STOPPED_ID[$i]}" = 1 ]; then
		roost start "c$i" >/dev/null 2>&1 && STOPPED_ID[$i]=0
		return
	fi
	up "$i" || return 0
	sp=$(field "$i" server_pid)
	pp=$(field "$i" pane_pid)
	case $((RANDOM % 10)) in
	0 | 1)	# the server, without a goodbye
		if kill -KILL "$sp" 2>/dev/null; then
			CAUSED[$i]=$((CAUSED[$i] + 1)); DYING[$i]=$sp:$pp
		fi ;;
	2 | 3)	# the program (its process group)
		if [ -n "$pp" ] && kill -KILL -- "-$pp" 2>/dev/null; then
			CAUSED[$i]=$((CAUSED[$i] + 1)); DYING[$i]=$sp:$pp
		fi ;;
	4)	# the canary: respawned by a tick, no death
		read -r cp _ <"$ROOST_HOME/state/c$i.canary" 2>/dev/null &&
		    kill -KILL "$cp" 2>/dev/null ;;
	5)	# a wedge, briefly
		kill -STOP "$sp" 2>/dev/null && { sleep 0.3; kill -CONT "$sp"; } ;;
	6)	roost stop "c$i" >/dev/null 2>&1 && STOPPED_ID[$i]=1 ;;
	7)	roost restart "c$i" >/dev/null 2>&1 ;;
	8)	roost rm --force "c$i" >/dev/null 2>&1 && GONE[$i]=1 ;;
	9)	# a person's pane beside the program, ended: no death
		"$TMUX_BIN" -S "$(sock_of "c$i")" split-window -t "=c$i:" \
		    'sleep 0.2' 2>/dev/null ;;
	esac
	ACTIONS=$((ACTIONS + 1))
}

@test "chaos soak: every death caused is recorded once, none false, nothing leaked" {
	local secs=${ROOST_CHAOS_SECS:-60} i end t1 t2 rec bad=0
	HALT=$T/halt
	CAUSED=() DYING=() GONE=() STOPPED_ID=()
	ACTIONS=0
	for i in $(seq 1 "$N"); do
		roost add "c$i" --restart always --restart-delay 0 --crashloop 16/1 \
		    -- "$(prog "$i")" >/dev/null
		roost start "c$i" >/dev/null
		CAUSED[$i]=0 DYING[$i]= GONE[$i]=0 STOPPED_ID[$i]=0
	done
	tick_loop 0.2 &
	t1=$!
	tick_loop 0.35 &
	t2=$!
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((RANDOM % N + 1))
		if settled "$i"; then
			DYING[$i]=
			act "$i"
		fi
		sleep 0.05
	done
	# Every death acted on, then the tick loops end.
	for i in $(seq 1 "$N"); do
		wait_for 30 settled "$i" || { echo "c$i: its death was never acted on" >&2; bad=1; }
	done
	: >"$HALT"
	wait "$t1" "$t2"
	roost tick >/dev/null 2>&1 || true
	echo "$ACTIONS actions" >&2
	# The accounting, identity by identity.
	for i in $(seq 1 "$N"); do
		# One ev=death per death caused: more is a false or a double
		# count, fewer a lost one.
		rec=$(grep -c " ev=death id=c$i " "$(LIFE)" || true)
		echo "c$i: caused ${CAUSED[$i]}, recorded $rec" >&2
		[ "$rec" -eq "${CAUSED[$i]}" ] || bad=1
	done
	[ "$bad" -eq 0 ]
	[ "$ACTIONS" -gt 0 ]
	# Nothing left: every identity stopped, no process of the test runs.
	for i in $(seq 1 "$N"); do
		[ "${GONE[$i]}" = 1 ] || roost stop "c$i" >/dev/null
	done
	wait_for 20 assert_no_processes
}
