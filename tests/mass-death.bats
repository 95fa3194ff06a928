#!/usr/bin/env bats
# Several deaths at once (contract section 16): five real tmux servers
# SIGKILLed together make one episode, logged as ev=mass-death with
# hooks/mass-death, and come back one at a time, fewest recent deaths
# first, each after the one before it is up and MASS_SPACING (3 s) later.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() {
	thaw
	common_teardown
}

# A cgroup v1 freezer holds a SIGKILLed process before its exit, with the
# signal pending, for as long as the test needs (cgroup v2's freezer lets
# a SIGKILL through).  thaw lets them go and removes the group.
FZ_ROOT=/sys/fs/cgroup/freezer
freezer() {
	need_root "a cgroup freezer"
	build_has_proc || skip "a pending SIGKILL is read from /proc"
	[ -f "$FZ_ROOT/cgroup.procs" ] && [ ! -f "$FZ_ROOT/cgroup.events" ] ||
	    skip "no cgroup v1 freezer here (cgroup v2's lets a SIGKILL through)"
	FZ=$FZ_ROOT/roost-test-$$-$BATS_TEST_NUMBER
	mkdir "$FZ" 2>/dev/null || skip "cannot make a group in $FZ_ROOT"
	echo "$FZ" >"$T/freezer"
}
thaw() {
	local fz p
	[ -n "${T:-}" ] && [ -f "$T/freezer" ] || return 0
	fz=$(cat "$T/freezer")
	[ -d "$fz" ] || return 0
	echo THAWED >"$fz/freezer.state"
	while read -r p; do
		echo "$p" >"$FZ_ROOT/cgroup.procs" 2>/dev/null || :
	done <"$fz/cgroup.procs"
	# Killed members stay in it until their exit is done.
	wait_for 10 rmdir "$fz" 2>/dev/null
}
frozen() { [ "$(cat "$FZ/freezer.state")" = FROZEN ]; }
# status_is ID STATE: status's STATE column for ID.
status_is() {
	[ "$(roost status "$1" 2>/dev/null | awk 'NR == 2 { print $2 }')" = "$2" ]
}

IDS="ea eb ec ed ee"

launches() { grep 'ev=launch ' "$ROOST_HOME/log/lifecycle.log" | grep -c 'cause=restart' || true; }
all_back() { [ "$(launches)" -ge 5 ]; }
episode() { grep -q 'ev=mass-death ' "$ROOST_HOME/log/lifecycle.log"; }

# five_up: the five identities running, with earlier deaths so that the
# relaunch order is known: ee none ... ea four.
five_up() {
	local id now n=0
	now=$(date +%s)
	for id in $IDS; do
		roost add "$id" --restart always --restart-delay 0 \
		    --crashloop 16/300 -- "$T/prog/forever" >/dev/null
		roost start "$id" >/dev/null
	done
	for id in ea eb ec ed; do
		n=$((n + 1))
		for _ in $(seq $((5 - n))); do
			echo "$((now - 100)) status=1" >>"$(state_of "$id").deaths"
		done
	done
}

@test "five servers SIGKILLed at once: one ev=mass-death, hooks/mass-death, and a staggered relaunch, fewest recent deaths first" {
	mkdir -p "$ROOST_HOME/hooks"
	printf '#!/bin/sh\n{ echo "event=$ROOST_EVENT"; cat; } >"%s/mass.hook"\n' "$T" \
	    >"$ROOST_HOME/hooks/mass-death"
	chmod 0700 "$ROOST_HOME/hooks/mass-death"
	local id pids=
	five_up
	local cps= p
	for id in $IDS; do
		pids="$pids $(server_pid "$id")"
		cps="$cps $(canary_pid "$id")"
	done
	# At once, as the premise says: every server is dead before any
	# death is acted on.  A SIGKILLed server still accepts connections
	# until it is scheduled to exit, which on a loaded machine can be
	# after the first canary's pass has looked; so the canaries (each its
	# server's parent, the only ones to act on a server's death) are
	# held until all five servers have ended.
	# shellcheck disable=SC2086
	kill -STOP $cps
	# shellcheck disable=SC2086
	kill -KILL $pids
	for p in $pids; do
		wait_for 10 pid_gone "$p"
	done
	# shellcheck disable=SC2086
	kill -CONT $cps
	wait_for 20 episode
	# The last in the order waits its turn (12 s and more), and status
	# says so, as the tick will do: backoff, not exited.
	wait_for 10 status_is ea backoff
	wait_for 60 all_back
	# One episode, announced once, with at least the four that made it.
	[ "$(grep -c 'ev=mass-death ' "$ROOST_HOME/log/lifecycle.log")" = 1 ]
	line=$(grep 'ev=mass-death ' "$ROOST_HOME/log/lifecycle.log")
	[[ "$line" =~ ids=([a-e,]+) ]]
	[ "$(echo "${BASH_REMATCH[1]}" | tr ',' '\n' | wc -l)" -ge 4 ]
	[[ "$line" == *" oom="* ]]
	wait_for 10 test -s "$T/mass.hook"
	grep -q -x 'event=mass-death' "$T/mass.hook"
	grep -q 'ev=mass-death ' "$T/mass.hook"
	# The order: fewest recent deaths first.
	order=$(grep 'ev=launch .*cause=restart' "$ROOST_HOME/log/lifecycle.log" |
	    sed 's/.* id=\([a-e]*\) .*/\1/' | tr '\n' ' ')
	[ "$order" = "ee ed ec eb ea " ] || { echo "order: $order"; grep -E "ev=(mass-death|launch|death) " "$ROOST_HOME/log/lifecycle.log"; false; }
	# Each after the one before it is up, the spacing apart: launch times
	# (whole seconds) at least MASS_SPACING - 1 apart.
	prev=
	for id in ee ed ec eb ea; do
		w=$(sed -n 's/^woke=\([0-9]*\).*/\1/p' "$(state_of "$id").session")
		if [ -n "$prev" ]; then
			[ "$((w - prev))" -ge 2 ] || { echo "$id woke $w, $((w - prev)) s after the one before"; false; }
		fi
		prev=$w
	done
	for id in $IDS; do
		is_running "$id"
	done
}

@test "three deaths at once are no mass death: each restarts at once" {
	local id pids=
	for id in fa fb fc; do
		roost add "$id" --restart always --restart-delay 0 -- "$T/prog/forever" >/dev/null
		roost start "$id" >/dev/null
		pids="$pids $(server_pid "$id")"
	done
	# shellcheck disable=SC2086
	kill -KILL $pids
	three() { [ "$(launches)" -ge 3 ]; }
	wait_for 20 three
	! grep -q 'ev=mass-death' "$ROOST_HOME/log/lifecycle.log" || false
	[ ! -e "$ROOST_HOME/state/.mass-death" ]
}

@test "servers SIGKILLed but not yet exited count as dying: the first death's pass sees the episode" {
	freezer
	local id pids= p
	five_up
	for id in ea eb ec ed; do
		p=$(server_pid "$id")
		pids="$pids $p"
		echo "$p" >"$FZ/cgroup.procs"
	done
	# Four servers held before their exit, SIGKILL pending: their
	# sockets still accept.  The fifth dies at once, and its canary's
	# pass looks at the other four.
	echo FROZEN >"$FZ/freezer.state"
	wait_for 10 frozen
	# shellcheck disable=SC2086
	kill -KILL $pids "$(server_pid ee)"
	wait_for 20 episode
	line=$(grep 'ev=mass-death ' "$ROOST_HOME/log/lifecycle.log")
	[[ "$line" == *" ids=ea,eb,ec,ed,ee "* ]] || { echo "$line"; false; }
	# Nothing of the four recorded yet: they counted as dying.
	for id in ea eb ec ed; do
		if grep "ev=server-exit id=$id " "$ROOST_HOME/log/exits.log"; then
			false
		fi
	done
	thaw
	wait_for 60 all_back
	order=$(grep 'ev=launch .*cause=restart' "$ROOST_HOME/log/lifecycle.log" |
	    sed 's/.* id=\([a-e]*\) .*/\1/' | tr '\n' ' ')
	[ "$order" = "ee ed ec eb ea " ] || { echo "order: $order"; false; }
	for id in $IDS; do
		is_running "$id"
	done
}
