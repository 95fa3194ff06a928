#!/usr/bin/env bats
# Several deaths at once (contract section 16): five real tmux servers
# SIGKILLed together make one episode, logged as ev=mass-death with
# hooks/mass-death, and come back one at a time, fewest recent deaths
# first, each after the one before it is up and MASS_SPACING (3 s) later.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

IDS="ea eb ec ed ee"

launches() { grep 'ev=launch ' "$ROOST_HOME/log/lifecycle.log" | grep -c 'cause=restart' || true; }
all_back() { [ "$(launches)" -ge 5 ]; }
episode() { grep -q 'ev=mass-death ' "$ROOST_HOME/log/lifecycle.log"; }

@test "five servers SIGKILLed at once: one ev=mass-death, hooks/mass-death, and a staggered relaunch, fewest recent deaths first" {
	mkdir -p "$ROOST_HOME/hooks"
	printf '#!/bin/sh\n{ echo "event=$ROOST_EVENT"; cat; } >"%s/mass.hook"\n' "$T" \
	    >"$ROOST_HOME/hooks/mass-death"
	chmod 0700 "$ROOST_HOME/hooks/mass-death"
	local id now n=0 pids=
	now=$(date +%s)
	for id in $IDS; do
		roost add "$id" --restart always --restart-delay 0 \
		    --crashloop 16/300 -- "$T/prog/forever" >/dev/null
		roost start "$id" >/dev/null
	done
	# Earlier deaths, so the order is known: ee none ... ea four.
	for id in ea eb ec ed; do
		n=$((n + 1))
		for _ in $(seq $((5 - n))); do
			echo "$((now - 100)) status=1" >>"$(state_of "$id").deaths"
		done
	done
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
	! grep -q 'ev=mass-death' "$ROOST_HOME/log/lifecycle.log"
	[ ! -e "$ROOST_HOME/state/.mass-death" ]
}
