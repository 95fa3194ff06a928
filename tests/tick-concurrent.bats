#!/usr/bin/env bats
# Concurrent ticks: the tick lock makes a pass exclusive, so a burst of
# ticks relaunches each dead identity exactly once.

load helpers

setup() { common_setup; }
teardown() {
	release_lock
	common_teardown
}

# The lock holder: flock(1) and the sleep it runs with the lock's fd.
release_lock() {
	[ -n "${HOLDER:-}" ] || return 0
	pkill -P "$HOLDER" 2>/dev/null || true
	kill "$HOLDER" 2>/dev/null || true
	wait "$HOLDER" 2>/dev/null || true
	HOLDER=
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

# servers_on SOCK: live (not zombie) tmux servers whose command line names
# SOCK: once the ticks are done, every tmux process naming it but the
# canary's wait-for client (ps, not /proc: a server is "tmux: server" by
# name only on Linux).
servers_on() {
	ps -A -ww -o stat= -o args= | awk -v sock="$1" '
		$1 ~ /^[ZX]/ { next }
		{ a = " " substr($0, index($0, $2)) " " }
		index(a, " " sock " ") && a ~ /tmux/ && a !~ / wait-for / { n++ }
		END { print n + 0 }'
}

@test "8 concurrent ticks over 6 SIGKILLed identities: each relaunched once, one death each, one server each" {
	local i id pids=() sp=()
	for i in 1 2 3 4 5 6; do
		roost add "c$i" -- "$T/prog/forever" >/dev/null
		roost start "c$i" >/dev/null
	done
	for i in 1 2 3 4 5 6; do
		sp[i]=$(server_pid "c$i")
		[ "$(servers_on "$(sock_of "c$i")")" -eq 1 ]
	done
	for i in 1 2 3 4 5 6; do
		kill -KILL "${sp[i]}"
	done
	for i in 1 2 3 4 5 6; do
		wait_for 5 pid_gone "${sp[i]}"
		wait_for 5 not_running "c$i"
	done
	for i in 1 2 3 4 5 6 7 8; do
		"$ROOST_BIN" tick >"$T/tick$i.out" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
	done
	cat "$T"/tick*.out >&2
	for i in 1 2 3 4 5 6 7 8; do
		# Silent, whether it ran the pass or found the lock held.
		[ ! -s "$T/tick$i.out" ]
	done
	for i in 1 2 3 4 5 6; do
		id=c$i
		[ "$(count_lines "$(LIFE)" "ev=launch id=$id mode=fresh cause=restart")" -eq 1 ]
		[ "$(count_lines "$(LIFE)" "ev=death id=$id ")" -eq 1 ]
		[ "$(count_lines "$ROOST_HOME/state/$id.deaths" .)" -eq 1 ]
		is_running "$id"
		[ "$(server_pid "$id")" != "${sp[i]}" ]
		[ "$(servers_on "$(sock_of "$id")")" -eq 1 ]
	done
	# Every tick either ran the pass or was skipped.
	[ $(($(count_lines "$(LIFE)" 'ev=tick ids=') + \
	    $(count_lines "$(LIFE)" 'ev=tick skipped=locked'))) -eq 8 ]
}

@test "a tick while another holds state/.tick.lock exits 0 at once and logs ev=tick skipped=locked" {
	need_tool flock "the lock is held from outside with flock(1)"
	roost add a -- "$T/prog/forever" >/dev/null
	roost start a >/dev/null
	local sp
	sp=$(server_pid a)
	flock "$ROOST_HOME/state/.tick.lock" sleep 30 &
	HOLDER=$!
	wait_for 5 sh -c '! flock -n "$1" true' sh "$ROOST_HOME/state/.tick.lock"
	# The server dies, but the pass belongs to the lock holder.
	kill -KILL "$sp"
	wait_for 5 not_running a
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ "$(count_lines "$(LIFE)" '^ts=[^ ]+ ev=tick skipped=locked$')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=death')" -eq 0 ]
	[ -f "$ROOST_HOME/state/a.session" ]
	run roost tick --verbose
	assert_status 0
	assert_output_has "skipped"
	release_lock
	wait_for 5 flock -n "$ROOST_HOME/state/.tick.lock" true
	# Lock released: the next tick does the work.
	run roost tick
	assert_status 0
	[ "$(count_lines "$(LIFE)" 'ev=death id=a ')" -eq 1 ]
	is_running a
}

@test "ticks racing wakes over killed identities: one death and one launch each, one server each" {
	local i j id pids=() sp=()
	for i in 1 2 3; do
		roost add "r$i" -- "$T/prog/forever" >/dev/null
		roost start "r$i" >/dev/null
		sp[i]=$(server_pid "r$i")
	done
	for i in 1 2 3; do
		kill -KILL "${sp[i]}"
		wait_for 5 pid_gone "${sp[i]}"
		wait_for 5 not_running "r$i"
	done
	for j in 1 2 3 4; do
		"$ROOST_BIN" tick >"$T/tick$j.out" 2>&1 &
		pids+=($!)
		for i in 1 2 3; do
			"$ROOST_BIN" wake "r$i" >"$T/wake$j$i.out" 2>&1 &
			pids+=($!)
		done
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
	done
	for i in 1 2 3; do
		id=r$i
		[ "$(count_lines "$(LIFE)" "ev=launch id=$id .*cause=(restart|wake)")" -eq 1 ]
		[ "$(count_lines "$(LIFE)" "ev=death id=$id ")" -eq 1 ]
		[ "$(count_lines "$ROOST_HOME/state/$id.deaths" .)" -eq 1 ]
		is_running "$id"
		[ "$(servers_on "$(sock_of "$id")")" -eq 1 ]
		# Every wake either launched it or found it running.
		cat "$T"/wake?"$i".out >&2
		[ "$(cat "$T"/wake?"$i".out | grep -cE "^(woke $id \(fresh\)|running $id)$")" -eq 4 ]
	done
}
