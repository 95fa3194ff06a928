#!/usr/bin/env bats
# A hundred clean teardowns in a row, every way roost tears down: stop,
# restart, restart --fresh, a .stopped request honoured by the tick,
# rm --force, and idle reaps.  Not one may look like a death: zero
# ev=server-exit, zero ev=session-exit, zero ev=death; and each one
# leaves nothing of the old session running.

load ../helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }

# What runs for ID now: "server canary pane".
snapshot() {
	local sp cp pp
	sp=$(server_pid "$1")
	cp=$(canary_pid "$1")
	pp=$("$TMUX_BIN" -S "$(sock_of "$1")" list-panes -a -F '#{pane_pid}')
	echo "$sp $cp $pp"
}

# all_gone PID...: none of them is alive.
all_gone() {
	local p
	for p in "$@"; do
		pid_alive "$p" && return 1
	done
	return 0
}

# The session of ID that ran before (snapshot in $1) is gone, the new one
# (if any) is whole: one server, its canary alive.
check_after() {
	local id=$1 old=$2
	# shellcheck disable=SC2086
	all_gone $old || {
		echo "$id: left running after teardown: $old" >&2
		ps -o pid,stat,args -p "${old// /,}" >&2
		return 1
	}
	if is_running "$id"; then
		pid_alive "$(server_pid "$id")"
		wait_for 10 pid_alive "$(canary_pid "$id")"
	fi
}

# one_op ID N: the N-th way of tearing down ID (then bringing it back).
one_op() {
	local id=$1 n=$2 old
	old=$(snapshot "$id")
	case $((n % 5)) in
	0)	roost stop "$id"; check_after "$id" "$old"; roost start "$id" ;;
	1)	roost restart "$id"; check_after "$id" "$old" ;;
	2)	roost restart --fresh "$id"; check_after "$id" "$old" ;;
	3)	touch "$ROOST_HOME/state/$id.stopped"
		roost tick
		refute is_running "$id"
		check_after "$id" "$old"
		roost start "$id" ;;
	4)	roost rm --force "$id"
		check_after "$id" "$old"
		roost add "$id" -- "$T/prog/forever"
		roost start "$id" ;;
	esac >/dev/null
	is_running "$id"
	check_after "$id" ""
}

refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

@test "100 clean teardowns (stop, restart, tick on .stopped, rm --force, idle reap): no exit or death record, nothing left running" {
	local id round i olds
	for id in c1 c2 c3 c4; do
		roost add "$id" -- "$T/prog/forever"
		roost start "$id"
	done
	for id in i1 i2 i3 i4; do
		roost add "$id" --idle 1 -- "$T/prog/forever"
	done

	for round in $(seq 0 19); do
		i=0
		for id in c1 c2 c3 c4; do
			one_op "$id" $((round + i))
			i=$((i + 1))
		done
		# Every fourth round the idle ones wake and are reaped together.
		if [ $((round % 4)) -eq 0 ]; then
			olds=
			for id in i1 i2 i3 i4; do
				run roost wake "$id"
				assert_status 0
				olds="$olds $(snapshot "$id")"
			done
			sleep 2.2
			roost tick
			for id in i1 i2 i3 i4; do
				refute is_running "$id"
				[ -e "$ROOST_HOME/state/$id.idle-reaped" ]
			done
			# shellcheck disable=SC2086
			check_after idle "$olds"
		fi
	done
	for id in c1 c2 c3 c4; do
		roost stop "$id" >/dev/null
	done

	local n
	n=$(count_lines "$(LIFE)" 'ev=teardown ')
	echo "# teardowns: $n" >&3
	[ "$n" -ge 100 ]
	[ "$(count_lines "$(LIFE)" 'ev=reap id=i[0-9] reason=idle ')" -eq 20 ]
	[ "$(count_lines "$(LIFE)" 'ev=death ')" -eq 0 ]
	[ "$(count_lines "$(LIFE)" 'ev=error ')" -eq 0 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=server-exit')" -eq 0 ]
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=session-exit')" -eq 0 ]
	[ -z "$(find "$ROOST_HOME/state" -name '*.deaths')" ]
	[ -z "$(find "$ROOST_HOME/log/server-deaths" -type f)" ]
	[ -z "$(find "$ROOST_HOME/state" -name '*.session' -o -name '*.canary')" ]
	wait_for 10 assert_no_processes
}
